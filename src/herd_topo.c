/*  herd_topo - read a topology file (ZPL) and answer "my endpoints, my
    neighbours, my settings"  */

#include "herd_topo.h"
#include "herd_endpoint.h"
#include "herd_str.h"
#include "herd_wire.h"

#include "herd_topo_private.h"

#include <czmq.h>

//  A setting a node may carry, or inherit from the herd section.
//  Keys a node section may have besides the settings.
static const char *s_node_keys[] = {"client", "herd", "bind", "client_bind"};
#define S_NODE_KEYS (sizeof (s_node_keys) / sizeof (s_node_keys[0]))

//  One error: its line (0 if none) and its text, "WHERE:LINE: what\n".
typedef struct {
    size_t line;
    char *text;
} s_error_t;

static void
s_error_destroy (void **item_p)
{
    s_error_t *error = (s_error_t *) *item_p;
    free (error->text);
    free (error);
    *item_p = NULL;
}

static int
s_error_compare (const void *one, const void *two)
{
    size_t a = ((const s_error_t *) one)->line;
    size_t b = ((const s_error_t *) two)->line;
    return (a > b) - (a < b);
}

herd_topo_t *
herd_topo_new (void)
{
    herd_topo_t *self = (herd_topo_t *) zmalloc (sizeof (herd_topo_t));
    self->error_list = zlistx_new ();
    zlistx_set_destructor (self->error_list, s_error_destroy);
    zlistx_set_comparator (self->error_list, s_error_compare);
    return self;
}

static void
s_clear (herd_topo_t *self)
{
    for (size_t i = 0; i < self->node_count; i++) {
        free (self->nodes[i].client_host);
        free (self->nodes[i].client_bind_host);
    }
    free (self->nodes);
    self->nodes = NULL;
    self->node_count = 0;
    self->root = NULL;
    herd_zpl_destroy (&self->zpl);
}

void
herd_topo_destroy (herd_topo_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_topo_t *self = *self_p;
        s_clear (self);
        free (self->where);
        zlistx_destroy (&self->error_list);
        free (self->errors);
        free (self);
        *self_p = NULL;
    }
}

//  Add "WHERE:LINE: what", or "WHERE: what" if line is 0: the form
//  compilers use, so that editors go to the line.  Errors are kept in line
//  order, and in the order found on one line: the checks go through the
//  file a few times, so an insertion looks back only past the errors of
//  later lines found by an earlier pass.
static void
s_error_at (herd_topo_t *self, size_t line, const char *format, va_list args)
{
    char *what = zsys_vprintf (format, args);
    s_error_t *error = (s_error_t *) zmalloc (sizeof (s_error_t));
    error->line = line;
    error->text =
        line ? herd_str_printf ("%s:%zu: %s\n", self->where, line, what)
             : herd_str_printf ("%s: %s\n", self->where, what);
    free (what);
    zlistx_insert (self->error_list, error, false);
    self->failed = true;
}

//  The same, at a line given as a number.
static void
s_error_line (herd_topo_t *self, size_t line, const char *format, ...)
    CHECK_PRINTF (3);

static void
s_error_line (herd_topo_t *self, size_t line, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_error_at (self, line, format, args);
    va_end (args);
}

void
herd_topo_error (herd_topo_t *self, zconfig_t *item, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_error_at (self, self->zpl ? herd_zpl_line (self->zpl, item) : 0, format,
                args);
    va_end (args);
}

zconfig_t *
herd_topo_later (herd_topo_t *self, zconfig_t *one, zconfig_t *two)
{
    if (!one || !two)
        return one ? one : two;
    return herd_zpl_line (self->zpl, two) > herd_zpl_line (self->zpl, one)
               ? two
               : one;
}


//  A client endpoint (client or client_bind): a port from 1.  Returns the
//  host (fresh), or NULL.
static char *
s_parse_client (const char *text, uint16_t *port)
{
    char host[HERD_TOPO_HOST_MAX + 1];
    if (herd_endpoint_host_port (text, host, sizeof (host), port) || *port == 0)
        return NULL;
    return herd_str_dup (host);
}

//  Is key one a node section may have besides the settings?
static bool
s_node_key (const char *key)
{
    for (size_t i = 0; i < S_NODE_KEYS; i++)
        if (streq (key, s_node_keys[i]))
            return true;
    return false;
}

//  The endpoints a node binds: bind and client_bind if given, else the
//  ones its neighbours and clients dial.
static void
s_load_binds (herd_topo_t *self, herd_topo_node_t *node, const char *path)
{
    zconfig_t *bind = zconfig_locate (node->section, "bind");
    node->bind = bind ? zconfig_value (bind) : NULL;
    if (node->bind && herd_endpoint_tcp_check (node->bind)) {
        herd_topo_error (self, bind, "%s/bind: \"%s\" is not tcp://host:port",
                         path, node->bind);
        node->bind = NULL;
    }
    if (!node->bind) {
        node->bind = node->herd;
        bind = zconfig_locate (node->section, "herd");
    }
    zconfig_t *client_bind = zconfig_locate (node->section, "client_bind");
    if (client_bind) {
        node->client_bind_host = s_parse_client (zconfig_value (client_bind),
                                                 &node->client_bind_port);
        if (!node->client_bind_host)
            herd_topo_error (self, client_bind,
                             "%s/client_bind: \"%s\" is not host:port", path,
                             zconfig_value (client_bind));
    } else if (node->client) {
        client_bind = zconfig_locate (node->section, "client");
        node->client_bind_host = herd_str_dup (node->client_host);
        node->client_bind_port = node->client_port;
    }
    //  Both are bound on this node's machine: they may not collide
    if (node->bind && node->client_bind_host) {
        char *client = herd_str_printf ("%s:%u", node->client_bind_host,
                                        node->client_bind_port);
        if (herd_endpoint_same (client, node->bind))
            herd_topo_error (self, herd_topo_later (self, bind, client_bind),
                             "%s: client and herd both bind %s", path, client);
        free (client);
    }
}

static void
s_load_node (herd_topo_t *self, herd_topo_node_t *node, zconfig_t *section)
{
    node->name = zconfig_name (section);
    node->section = section;
    char path[128];
    snprintf (path, sizeof (path), "nodes/%s", node->name);
    if (!herd_wire_name_valid (node->name, strlen (node->name)))
        herd_topo_error (self, section,
                         "%s: bad node name (letters, digits, _ . - only, "
                         "at most %d)",
                         path, HERD_WIRE_NAME_MAX);
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        if (herd_topo_is_setting (key))
            herd_topo_check_setting (self, path, item);
        else if (!s_node_key (key))
            herd_topo_error (self, item, "%s/%s: unknown key", path, key);
    }
    node->client = zconfig_get (section, "client", NULL);
    node->herd = zconfig_get (section, "herd", NULL);
    if (!node->client)
        herd_topo_error (self, section, "%s: missing client (host:port)", path);
    else if (!(node->client_host =
                   s_parse_client (node->client, &node->client_port))) {
        herd_topo_error (self, zconfig_locate (section, "client"),
                         "%s/client: \"%s\" is not host:port", path,
                         node->client);
        node->client = NULL;  //  Later checks compare good endpoints only
    }
    if (!node->herd)
        herd_topo_error (self, section, "%s: missing herd (tcp://host:port)",
                         path);
    else if (herd_endpoint_tcp_check (node->herd)) {
        herd_topo_error (self, zconfig_locate (section, "herd"),
                         "%s/herd: \"%s\" is not tcp://host:port", path,
                         node->herd);
        node->herd = NULL;
    }
    s_load_binds (self, node, path);
}

static void
s_add_neighbour (herd_topo_node_t *node, size_t other)
{
    node->neighbours[node->neighbour_count++] = other;
}

static void
s_load_links (herd_topo_t *self, zconfig_t *links)
{
    for (zconfig_t *link = links ? zconfig_child (links) : NULL; link;
         link = zconfig_next (link)) {
        if (!streq (zconfig_name (link), "link")) {
            herd_topo_error (self, link,
                             "links/%s: unknown key (use link = A B)",
                             zconfig_name (link));
            continue;
        }
        char a[HERD_WIRE_NAME_MAX + 2], b[HERD_WIRE_NAME_MAX + 2], extra[2];
        const char *value = zconfig_value (link);
        if (sscanf (value, "%65s %65s %1s", a, b, extra) != 2) {
            herd_topo_error (self, link,
                             "links/link: \"%s\" is not two node names", value);
            continue;
        }
        int ia = herd_topo_node_index (self, a);
        int ib = herd_topo_node_index (self, b);
        if (ia < 0 || ib < 0) {
            herd_topo_error (self, link, "links/link: unknown node \"%s\"",
                             ia < 0 ? a : b);
            continue;
        }
        if (ia == ib) {
            herd_topo_error (self, link, "links/link: %s is linked to itself",
                             a);
            continue;
        }
        herd_topo_node_t *node = &self->nodes[ia];
        bool duplicate = false;
        for (size_t i = 0; i < node->neighbour_count; i++)
            duplicate |= node->neighbours[i] == (size_t) ib;
        if (duplicate) {
            herd_topo_error (self, link, "links/link: %s-%s is listed twice", a,
                             b);
            continue;
        }
        s_add_neighbour (node, (size_t) ib);
        s_add_neighbour (&self->nodes[ib], (size_t) ia);
    }
}

static void
s_check_endpoints (herd_topo_t *self)
{
    for (size_t i = 0; i < self->node_count; i++) {
        herd_topo_node_t *node = &self->nodes[i];
        for (size_t j = 0; j < i; j++) {
            herd_topo_node_t *other = &self->nodes[j];
            const char *mine[2] = {node->client, node->herd};
            const char *theirs[2] = {other->client, other->herd};
            for (int m = 0; m < 2; m++)
                for (int t = 0; t < 2; t++)
                    if (mine[m] && theirs[t]) {
                        //  Compare host:port, ignoring the tcp:// prefix
                        const char *x = mine[m] + (m ? 6 : 0);
                        const char *y = theirs[t] + (t ? 6 : 0);
                        if (streq (x, y))
                            herd_topo_error (
                                self,
                                zconfig_locate (node->section,
                                                m ? "herd" : "client"),
                                "nodes/%s: endpoint %s is also used by "
                                "%s",
                                node->name, mine[m], other->name);
                    }
        }
    }
}


static int
s_load (herd_topo_t *self, zconfig_t *root)
{
    self->root = root;
    for (zconfig_t *section = zconfig_child (root); section;
         section = zconfig_next (section)) {
        const char *name = zconfig_name (section);
        //  Only the first of a name is read: say so of the others
        zconfig_t *first = zconfig_child (root);
        while (first != section && !streq (zconfig_name (first), name))
            first = zconfig_next (first);
        if (first != section) {
            herd_topo_error (self, section,
                             "%s: a second %s section (merge it into the "
                             "first, on line %zu)",
                             name, name, herd_zpl_line (self->zpl, first));
            continue;
        }
        if (streq (name, "herd")) {
            for (zconfig_t *item = zconfig_child (section); item;
                 item = zconfig_next (item))
                if (herd_topo_is_setting (zconfig_name (item)))
                    herd_topo_check_setting (self, "herd", item);
                else
                    herd_topo_error (self, item, "herd/%s: unknown key",
                                     zconfig_name (item));
        } else if (streq (name, "places"))
            herd_topo_check_places (self, section);
        else if (!streq (name, "nodes") && !streq (name, "links"))
            herd_topo_error (self, section, "%s: unknown section", name);
    }
    zconfig_t *nodes = zconfig_locate (root, "nodes");
    size_t count = 0;
    for (zconfig_t *n = nodes ? zconfig_child (nodes) : NULL; n;
         n = zconfig_next (n))
        count++;
    //  A file with no nodes section lacks it from line 1
    if (count == 0)
        s_error_line (self, nodes ? herd_zpl_line (self->zpl, nodes) : 1,
                      "nodes: no node defined");
    if (count > HERD_TOPO_NODES_MAX) {
        herd_topo_error (self, nodes, "nodes: more than %d nodes",
                         HERD_TOPO_NODES_MAX);
        count = 0;
    }
    self->nodes =
        (herd_topo_node_t *) zmalloc ((count + 1) * sizeof (herd_topo_node_t));
    zconfig_t *section = count ? zconfig_child (nodes) : NULL;
    for (; section; section = zconfig_next (section)) {
        if (herd_topo_node_index (self, zconfig_name (section)) >= 0)
            herd_topo_error (self, section, "nodes/%s: defined twice",
                             zconfig_name (section));
        s_load_node (self, &self->nodes[self->node_count++], section);
    }
    s_check_endpoints (self);
    herd_topo_check_pairs (self);
    s_load_links (self, zconfig_locate (root, "links"));
    if (self->failed) {
        s_clear (self);
        return -1;
    }
    return 0;
}

//  Start a load of the text of where (a file name, or "<string>").
static void
s_reset (herd_topo_t *self, const char *where)
{
    s_clear (self);
    self->failed = false;
    free (self->where);
    self->where = herd_str_dup (where);
    zlistx_purge (self->error_list);
    free (self->errors);
    self->errors = NULL;
}

//  Load ZPL text.  Syntax errors are found by our own scan (herd_zpl), so
//  that they name their line and czmq never prints its own message.
static int
s_load_text (herd_topo_t *self, const char *text)
{
    self->zpl = herd_zpl_new ();
    size_t line;
    const char *reason;
    if (herd_zpl_load (self->zpl, text, &line, &reason)) {
        s_error_line (self, line, "%s", reason);
        s_clear (self);
        return -1;
    }
    return s_load (self, herd_zpl_root (self->zpl));
}

//  The file is read whole, then parsed as text: the same path as
//  herd_topo_load_string, which the topology fuzz target drives.
int
herd_topo_load (herd_topo_t *self, const char *path)
{
    assert (self);
    s_reset (self, path);
    if (!zsys_file_exists (path)) {
        herd_topo_error (self, NULL, "no such file");
        return -1;
    }
    if (zsys_file_mode (path) != -1 && S_ISDIR (zsys_file_mode (path))) {
        herd_topo_error (self, NULL, "a directory, not a topology file");
        return -1;
    }
    zchunk_t *chunk = zchunk_slurp (path, HERD_TOPO_FILE_MAX + 1);
    if (!chunk) {
        herd_topo_error (self, NULL, "cannot read it: %s", strerror (errno));
        return -1;
    }
    int rc = -1;
    if (zchunk_size (chunk) > HERD_TOPO_FILE_MAX)
        herd_topo_error (self, NULL, "larger than %d bytes",
                         HERD_TOPO_FILE_MAX);
    else {
        char *text = herd_str_ndup ((const char *) zchunk_data (chunk),
                                    zchunk_size (chunk));
        rc = s_load_text (self, text);
        free (text);
    }
    zchunk_destroy (&chunk);
    return rc;
}

int
herd_topo_load_string (herd_topo_t *self, const char *text)
{
    assert (self);
    s_reset (self, "<string>");
    return s_load_text (self, text);
}

const char *
herd_topo_errors (herd_topo_t *self)
{
    assert (self);
    if (!self->errors) {
        //  Joined once, when first asked for: O(n) over the errors
        size_t size = 0;
        const s_error_t *error;
        for (error = (const s_error_t *) zlistx_first (self->error_list); error;
             error = (const s_error_t *) zlistx_next (self->error_list))
            size += strlen (error->text);
        self->errors = (char *) zmalloc (size + 1);
        char *end = self->errors;
        for (error = (const s_error_t *) zlistx_first (self->error_list); error;
             error = (const s_error_t *) zlistx_next (self->error_list))
            end = stpcpy (end, error->text);
    }
    return self->errors;
}

size_t
herd_topo_node_count (herd_topo_t *self)
{
    assert (self);
    return self->node_count;
}

int
herd_topo_node_index (herd_topo_t *self, const char *name)
{
    assert (self);
    for (size_t i = 0; i < self->node_count; i++)
        if (streq (self->nodes[i].name, name))
            return (int) i;
    return -1;
}

const char *
herd_topo_node_name (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].name;
}

const char *
herd_topo_client_host (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].client_host;
}

uint16_t
herd_topo_client_port (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].client_port;
}

const char *
herd_topo_herd_endpoint (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].herd;
}

const char *
herd_topo_client_bind_host (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].client_bind_host;
}

uint16_t
herd_topo_client_bind_port (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].client_bind_port;
}

const char *
herd_topo_herd_bind (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].bind;
}

size_t
herd_topo_neighbour_count (herd_topo_t *self, size_t index)
{
    assert (self && index < self->node_count);
    return self->nodes[index].neighbour_count;
}

size_t
herd_topo_neighbour (herd_topo_t *self, size_t index, size_t nth)
{
    assert (self && index < self->node_count);
    assert (nth < self->nodes[index].neighbour_count);
    return self->nodes[index].neighbours[nth];
}
