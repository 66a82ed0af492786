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

herd_topo_t *
herd_topo_new (void)
{
    herd_topo_t *self = (herd_topo_t *) zmalloc (sizeof (herd_topo_t));
    self->errors = herd_str_dup ("");
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
    zconfig_destroy (&self->root);
}

void
herd_topo_destroy (herd_topo_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_topo_t *self = *self_p;
        s_clear (self);
        free (self->errors);
        free (self);
        *self_p = NULL;
    }
}

void
herd_topo_error (herd_topo_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    char *errors = herd_str_printf ("%s%s\n", self->errors, text);
    free (self->errors);
    free (text);
    self->errors = errors;
    self->failed = true;
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
    node->bind = zconfig_get (node->section, "bind", NULL);
    if (node->bind && herd_endpoint_tcp_check (node->bind)) {
        herd_topo_error (self, "%s/bind: \"%s\" is not tcp://host:port", path,
                         node->bind);
        node->bind = NULL;
    }
    if (!node->bind)
        node->bind = node->herd;
    const char *client_bind = zconfig_get (node->section, "client_bind", NULL);
    if (client_bind) {
        node->client_bind_host =
            s_parse_client (client_bind, &node->client_bind_port);
        if (!node->client_bind_host)
            herd_topo_error (self, "%s/client_bind: \"%s\" is not host:port",
                             path, client_bind);
    } else if (node->client) {
        node->client_bind_host = herd_str_dup (node->client_host);
        node->client_bind_port = node->client_port;
    }
    bool explicit = client_bind || node->bind != node->herd;
    if (explicit && node->bind && node->client_bind_host) {
        char *client = herd_str_printf ("%s:%u", node->client_bind_host,
                                        node->client_bind_port);
        if (herd_endpoint_same (client, node->bind))
            herd_topo_error (self, "%s: client and herd both bind %s", path,
                             client);
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
        herd_topo_error (self,
                         "%s: bad node name (letters, digits, _ . - only, "
                         "at most %d)",
                         path, HERD_WIRE_NAME_MAX);
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        if (herd_topo_is_setting (key))
            herd_topo_check_setting (self, path, item);
        else if (!s_node_key (key))
            herd_topo_error (self, "%s/%s: unknown key", path, key);
    }
    node->client = zconfig_get (section, "client", NULL);
    node->herd = zconfig_get (section, "herd", NULL);
    if (!node->client)
        herd_topo_error (self, "%s: missing client (host:port)", path);
    else if (!(node->client_host =
                   s_parse_client (node->client, &node->client_port))) {
        herd_topo_error (self, "%s/client: \"%s\" is not host:port", path,
                         node->client);
        node->client = NULL;  //  Later checks compare good endpoints only
    }
    if (!node->herd)
        herd_topo_error (self, "%s: missing herd (tcp://host:port)", path);
    else if (herd_endpoint_tcp_check (node->herd)) {
        herd_topo_error (self, "%s/herd: \"%s\" is not tcp://host:port", path,
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
    size_t count = 0;
    for (zconfig_t *link = links ? zconfig_child (links) : NULL; link;
         link = zconfig_next (link)) {
        count++;
        if (!streq (zconfig_name (link), "link")) {
            herd_topo_error (self, "links/%s: unknown key (use link = A B)",
                             zconfig_name (link));
            continue;
        }
        char a[HERD_WIRE_NAME_MAX + 2], b[HERD_WIRE_NAME_MAX + 2], extra[2];
        const char *value = zconfig_value (link);
        if (sscanf (value, "%65s %65s %1s", a, b, extra) != 2) {
            herd_topo_error (self,
                             "links/link #%zu: \"%s\" is not two node names",
                             count, value);
            continue;
        }
        int ia = herd_topo_node_index (self, a);
        int ib = herd_topo_node_index (self, b);
        if (ia < 0 || ib < 0) {
            herd_topo_error (self, "links/link #%zu: unknown node \"%s\"",
                             count, ia < 0 ? a : b);
            continue;
        }
        if (ia == ib) {
            herd_topo_error (self, "links/link #%zu: %s is linked to itself",
                             count, a);
            continue;
        }
        herd_topo_node_t *node = &self->nodes[ia];
        bool duplicate = false;
        for (size_t i = 0; i < node->neighbour_count; i++)
            duplicate |= node->neighbours[i] == (size_t) ib;
        if (duplicate) {
            herd_topo_error (self, "links/link #%zu: %s-%s is listed twice",
                             count, a, b);
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
                                "nodes/%s: endpoint %s is also used by "
                                "%s",
                                node->name, mine[m], other->name);
                    }
        }
        if (node->client && node->herd && streq (node->client, node->herd + 6))
            herd_topo_error (self, "nodes/%s: client and herd share %s",
                             node->name, node->client);
    }
}


static int
s_load (herd_topo_t *self, zconfig_t *root)
{
    s_clear (self);
    self->root = root;
    self->failed = false;
    for (zconfig_t *section = zconfig_child (root); section;
         section = zconfig_next (section)) {
        const char *name = zconfig_name (section);
        if (streq (name, "herd")) {
            for (zconfig_t *item = zconfig_child (section); item;
                 item = zconfig_next (item))
                if (herd_topo_is_setting (zconfig_name (item)))
                    herd_topo_check_setting (self, "herd", item);
                else
                    herd_topo_error (self, "herd/%s: unknown key",
                                     zconfig_name (item));
        } else if (streq (name, "places"))
            herd_topo_check_places (self, section);
        else if (!streq (name, "nodes") && !streq (name, "links"))
            herd_topo_error (self, "%s: unknown section", name);
    }
    zconfig_t *nodes = zconfig_locate (root, "nodes");
    size_t count = 0;
    for (zconfig_t *n = nodes ? zconfig_child (nodes) : NULL; n;
         n = zconfig_next (n))
        count++;
    if (count == 0)
        herd_topo_error (self, "nodes: no node defined");
    if (count > HERD_TOPO_NODES_MAX) {
        herd_topo_error (self, "nodes: more than %d nodes",
                         HERD_TOPO_NODES_MAX);
        count = 0;
    }
    self->nodes =
        (herd_topo_node_t *) zmalloc ((count + 1) * sizeof (herd_topo_node_t));
    zconfig_t *section = count ? zconfig_child (nodes) : NULL;
    for (; section; section = zconfig_next (section)) {
        if (herd_topo_node_index (self, zconfig_name (section)) >= 0)
            herd_topo_error (self, "nodes/%s: defined twice",
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

static void
s_reset_errors (herd_topo_t *self)
{
    free (self->errors);
    self->errors = herd_str_dup ("");
}

//  Load ZPL text; where names the file it came from, in errors.
static int
s_load_text (herd_topo_t *self, const char *text, const char *where)
{
    zconfig_t *root = zconfig_str_load (text);
    if (!root) {
        //  zconfig has printed the line and the reason on stderr
        herd_topo_error (self, "%s%snot valid ZPL (see the line above)", where,
                         *where ? ": " : "");
        return -1;
    }
    return s_load (self, root);
}

//  The file is read whole, then parsed as text: the same path as
//  herd_topo_load_string, which the topology fuzz target drives.
int
herd_topo_load (herd_topo_t *self, const char *path)
{
    assert (self);
    s_reset_errors (self);
    if (!zsys_file_exists (path)) {
        herd_topo_error (self, "%s: no such file", path);
        return -1;
    }
    zchunk_t *chunk = zchunk_slurp (path, HERD_TOPO_FILE_MAX + 1);
    if (!chunk) {
        herd_topo_error (self, "%s: cannot read it: %s", path,
                         strerror (errno));
        return -1;
    }
    int rc = -1;
    if (zchunk_size (chunk) > HERD_TOPO_FILE_MAX)
        herd_topo_error (self, "%s: larger than %d bytes", path,
                         HERD_TOPO_FILE_MAX);
    else {
        char *text = herd_str_ndup ((const char *) zchunk_data (chunk),
                                    zchunk_size (chunk));
        rc = s_load_text (self, text, path);
        free (text);
    }
    zchunk_destroy (&chunk);
    return rc;
}

int
herd_topo_load_string (herd_topo_t *self, const char *text)
{
    assert (self);
    s_reset_errors (self);
    return s_load_text (self, text, "");
}

const char *
herd_topo_errors (herd_topo_t *self)
{
    assert (self);
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
