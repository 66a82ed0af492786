/*  herd_topo - read a topology file (ZPL) and answer "my endpoints, my
    neighbours, my settings"  */

#include "herd_topo.h"
#include "herd_str.h"
#include "herd_wire.h"

#include <czmq.h>

//  A setting a node may carry, or inherit from the herd section.
typedef struct {
    const char *key;       //  Name in the file
    const char *fallback;  //  Default
    int64_t minimum;       //  Numeric range; both 0 for text
    int64_t maximum;
} s_setting_t;

static const s_setting_t s_settings[] = {
    {"front", "tcp", 0, 0},
    {"log_dir", "logs", 0, 0},
    {"log_level", "info", 0, 0},
    {"max_line", "65536", 16, 16 * 1024 * 1024},
    {"max_connections", "10000", 1, 1000000},
    {"max_output", "16777216", 4096, 1024 * 1024 * 1024},
    {"idle_timeout_ms", "300000", 100, 86400000},
    {"send_timeout_ms", "30000", 100, 86400000},
    {"max_clients", "1000000", 1, 100000000},
    {"max_rate", "0", 0, 100000000},
    {"max_age_s", "0", 0, 315360000},
    {"state_dir", "", 0, 0},
    {"keys_dir", "", 0, 0},
    {"tap", "", 0, 0},
    {"metrics", "", 0, 0},
    {"state_interval_ms", "10000", 100, 86400000},
};
#define S_SETTINGS (sizeof (s_settings) / sizeof (s_settings[0]))

//  Keys a node section may have besides the settings.
static const char *s_node_keys[] = {"client", "herd"};

typedef struct {
    const char *name;      //  Node name (owned by the zconfig tree)
    char *client_host;     //  Host part of client, no brackets
    uint16_t client_port;  //  Port part of client
    const char *client;    //  Client endpoint as written
    const char *herd;      //  Herd endpoint as written
    zconfig_t *section;    //  This node's section
    size_t neighbours[HERD_TOPO_NODES_MAX];  //  Indices, link order
    size_t neighbour_count;
} s_node_t;

struct _herd_topo_t {
    zconfig_t *root;  //  The parsed file
    s_node_t *nodes;  //  In file order
    size_t node_count;
    char *errors;  //  Accumulated error lines
    bool failed;
};

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
    for (size_t i = 0; i < self->node_count; i++)
        free (self->nodes[i].client_host);
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

static void
s_error (herd_topo_t *self, const char *format, ...)
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

static const s_setting_t *
s_setting (const char *key)
{
    for (size_t i = 0; i < S_SETTINGS; i++)
        if (streq (s_settings[i].key, key))
            return &s_settings[i];
    return NULL;
}

static bool
s_number (const char *text, int64_t *value)
{
    if (!*text)
        return false;
    int64_t result = 0;
    for (const char *at = text; *at; at++) {
        if (*at < '0' || *at > '9' || result > INT64_MAX / 10 - 10)
            return false;
        result = result * 10 + (*at - '0');
    }
    *value = result;
    return true;
}

static void
s_check_setting (herd_topo_t *self, const char *path, zconfig_t *item)
{
    const s_setting_t *setting = s_setting (zconfig_name (item));
    assert (setting);
    const char *value = zconfig_value (item);
    if (setting->maximum > 0) {
        int64_t number;
        if (!s_number (value, &number) || number < setting->minimum
            || number > setting->maximum)
            s_error (self,
                     "%s/%s: \"%s\" is not a number from %" PRId64
                     " to %" PRId64,
                     path, zconfig_name (item), value, setting->minimum,
                     setting->maximum);
    } else if (streq (setting->key, "front") && !streq (value, "tcp")
               && !streq (value, "stream"))
        s_error (self, "%s/front: \"%s\" is not tcp or stream", path, value);
    else if (streq (setting->key, "log_level") && !streq (value, "info")
             && !streq (value, "notice") && !streq (value, "warning")
             && !streq (value, "error"))
        s_error (self,
                 "%s/log_level: \"%s\" is not info, notice, warning or error",
                 path, value);
    else if (!*value)
        s_error (self, "%s/%s: empty value", path, zconfig_name (item));
    else if (streq (setting->key, "metrics")) {
        char host[HERD_TOPO_HOST_MAX + 1];
        uint16_t port;
        if (herd_topo_host_port (value, host, sizeof (host), &port))
            s_error (self, "%s/metrics: \"%s\" is not host:port", path, value);
    }
}

static bool
s_port (const char *text, uint16_t *port)
{
    int64_t value;
    if (!s_number (text, &value) || value < 1 || value > 65535)
        return false;
    *port = (uint16_t) value;
    return true;
}

int
herd_topo_host_port (const char *text, char *host, size_t size, uint16_t *port)
{
    assert (text && host && size > 0 && port);
    const char *colon = strrchr (text, ':');
    int64_t number;
    if (!colon || colon == text || !s_number (colon + 1, &number) || number < 0
        || number > 65535)
        return -1;
    const char *start = text;
    size_t length = (size_t) (colon - text);
    if (*start == '[') {
        if (length < 3 || start[length - 1] != ']')
            return -1;
        start++;
        length -= 2;
    }
    if (length >= size)
        return -1;
    memcpy (host, start, length);
    host[length] = 0;
    *port = (uint16_t) number;
    return 0;
}

//  The client endpoint: a port from 1.
static int
s_parse_client (s_node_t *node, const char *text)
{
    char host[HERD_TOPO_HOST_MAX + 1];
    if (herd_topo_host_port (text, host, sizeof (host), &node->client_port)
        || node->client_port == 0)
        return -1;
    node->client_host = herd_str_dup (host);
    return 0;
}

static int
s_check_herd_endpoint (const char *text)
{
    if (strncmp (text, "tcp://", 6) != 0)
        return -1;
    const char *colon = strrchr (text + 6, ':');
    uint16_t port;
    if (!colon || colon == text + 6 || !s_port (colon + 1, &port))
        return -1;
    return 0;
}

static void
s_load_node (herd_topo_t *self, s_node_t *node, zconfig_t *section)
{
    node->name = zconfig_name (section);
    node->section = section;
    char path[128];
    snprintf (path, sizeof (path), "nodes/%s", node->name);
    if (!herd_wire_name_valid (node->name, strlen (node->name)))
        s_error (self,
                 "%s: bad node name (letters, digits, _ . - only, "
                 "at most %d)",
                 path, HERD_WIRE_NAME_MAX);
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        if (s_setting (key))
            s_check_setting (self, path, item);
        else if (!streq (key, s_node_keys[0]) && !streq (key, s_node_keys[1]))
            s_error (self, "%s/%s: unknown key", path, key);
    }
    node->client = zconfig_get (section, "client", NULL);
    node->herd = zconfig_get (section, "herd", NULL);
    if (!node->client)
        s_error (self, "%s: missing client (host:port)", path);
    else if (s_parse_client (node, node->client)) {
        s_error (self, "%s/client: \"%s\" is not host:port", path,
                 node->client);
        node->client = NULL;  //  Later checks compare good endpoints only
    }
    if (!node->herd)
        s_error (self, "%s: missing herd (tcp://host:port)", path);
    else if (s_check_herd_endpoint (node->herd)) {
        s_error (self, "%s/herd: \"%s\" is not tcp://host:port", path,
                 node->herd);
        node->herd = NULL;
    }
}

static void
s_add_neighbour (s_node_t *node, size_t other)
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
            s_error (self, "links/%s: unknown key (use link = A B)",
                     zconfig_name (link));
            continue;
        }
        char a[HERD_WIRE_NAME_MAX + 2], b[HERD_WIRE_NAME_MAX + 2], extra[2];
        const char *value = zconfig_value (link);
        if (sscanf (value, "%65s %65s %1s", a, b, extra) != 2) {
            s_error (self, "links/link #%zu: \"%s\" is not two node names",
                     count, value);
            continue;
        }
        int ia = herd_topo_node_index (self, a);
        int ib = herd_topo_node_index (self, b);
        if (ia < 0 || ib < 0) {
            s_error (self, "links/link #%zu: unknown node \"%s\"", count,
                     ia < 0 ? a : b);
            continue;
        }
        if (ia == ib) {
            s_error (self, "links/link #%zu: %s is linked to itself", count, a);
            continue;
        }
        s_node_t *node = &self->nodes[ia];
        bool duplicate = false;
        for (size_t i = 0; i < node->neighbour_count; i++)
            duplicate |= node->neighbours[i] == (size_t) ib;
        if (duplicate) {
            s_error (self, "links/link #%zu: %s-%s is listed twice", count, a,
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
        s_node_t *node = &self->nodes[i];
        for (size_t j = 0; j < i; j++) {
            s_node_t *other = &self->nodes[j];
            const char *mine[2] = {node->client, node->herd};
            const char *theirs[2] = {other->client, other->herd};
            for (int m = 0; m < 2; m++)
                for (int t = 0; t < 2; t++)
                    if (mine[m] && theirs[t]) {
                        //  Compare host:port, ignoring the tcp:// prefix
                        const char *x = mine[m] + (m ? 6 : 0);
                        const char *y = theirs[t] + (t ? 6 : 0);
                        if (streq (x, y))
                            s_error (self,
                                     "nodes/%s: endpoint %s is also used by "
                                     "%s",
                                     node->name, mine[m], other->name);
                    }
        }
        if (node->client && node->herd && streq (node->client, node->herd + 6))
            s_error (self, "nodes/%s: client and herd share %s", node->name,
                     node->client);
    }
}

//  The places section: provider and url (proto/topology.md).
static void
s_check_places (herd_topo_t *self, zconfig_t *section)
{
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        const char *value = zconfig_value (item);
        if (streq (key, "provider")) {
            if (!streq (value, "stub") && !streq (value, "google")
                && !streq (value, "google-legacy"))
                s_error (self,
                         "places/provider: \"%s\" is not stub, google or "
                         "google-legacy",
                         value);
        } else if (streq (key, "url")) {
            if (strncmp (value, "http://", 7) && strncmp (value, "https://", 8))
                s_error (self, "places/url: \"%s\" is not an http(s) URL",
                         value);
        } else if (streq (key, "timeout_ms")
                   || streq (key, "connect_timeout_ms")
                   || streq (key, "max_in_flight")
                   || streq (key, "rate_per_second")) {
            int64_t number;
            if (!s_number (value, &number) || number < 1 || number > 600000)
                s_error (self,
                         "places/%s: \"%s\" is not a number from 1 to "
                         "600000",
                         key, value);
        } else
            s_error (self, "places/%s: unknown key", key);
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
                if (s_setting (zconfig_name (item)))
                    s_check_setting (self, "herd", item);
                else
                    s_error (self, "herd/%s: unknown key", zconfig_name (item));
        } else if (streq (name, "places"))
            s_check_places (self, section);
        else if (!streq (name, "nodes") && !streq (name, "links"))
            s_error (self, "%s: unknown section", name);
    }
    zconfig_t *nodes = zconfig_locate (root, "nodes");
    size_t count = 0;
    for (zconfig_t *n = nodes ? zconfig_child (nodes) : NULL; n;
         n = zconfig_next (n))
        count++;
    if (count == 0)
        s_error (self, "nodes: no node defined");
    if (count > HERD_TOPO_NODES_MAX) {
        s_error (self, "nodes: more than %d nodes", HERD_TOPO_NODES_MAX);
        count = 0;
    }
    self->nodes = (s_node_t *) zmalloc ((count + 1) * sizeof (s_node_t));
    zconfig_t *section = count ? zconfig_child (nodes) : NULL;
    for (; section; section = zconfig_next (section)) {
        if (herd_topo_node_index (self, zconfig_name (section)) >= 0)
            s_error (self, "nodes/%s: defined twice", zconfig_name (section));
        s_load_node (self, &self->nodes[self->node_count++], section);
    }
    s_check_endpoints (self);
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
        s_error (self, "%s%snot valid ZPL (see the line above)", where,
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
        s_error (self, "%s: no such file", path);
        return -1;
    }
    zchunk_t *chunk = zchunk_slurp (path, HERD_TOPO_FILE_MAX + 1);
    if (!chunk) {
        s_error (self, "%s: cannot read it: %s", path, strerror (errno));
        return -1;
    }
    int rc = -1;
    if (zchunk_size (chunk) > HERD_TOPO_FILE_MAX)
        s_error (self, "%s: larger than %d bytes", path, HERD_TOPO_FILE_MAX);
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

const char *
herd_topo_setting (herd_topo_t *self, size_t index, const char *key)
{
    assert (self && index < self->node_count);
    const s_setting_t *setting = s_setting (key);
    assert (setting);
    const char *value = zconfig_get (self->nodes[index].section, key, NULL);
    if (!value) {
        zconfig_t *herd = zconfig_locate (self->root, "herd");
        value = herd ? zconfig_get (herd, key, NULL) : NULL;
    }
    return value ? value : setting->fallback;
}

const char *
herd_topo_places (herd_topo_t *self, const char *key)
{
    assert (self);
    const char *fallback = NULL;
    if (streq (key, "provider"))
        fallback = "stub";
    else if (streq (key, "timeout_ms"))
        fallback = "5000";
    else if (streq (key, "connect_timeout_ms"))
        fallback = "2000";
    else if (streq (key, "max_in_flight"))
        fallback = "1000";
    else if (streq (key, "rate_per_second"))
        fallback = "1000";
    else
        assert (streq (key, "url"));
    zconfig_t *places = zconfig_locate (self->root, "places");
    return places ? zconfig_get (places, key, fallback) : fallback;
}

int64_t
herd_topo_number (herd_topo_t *self, size_t index, const char *key)
{
    int64_t value = 0;
    bool ok = s_number (herd_topo_setting (self, index, key), &value);
    assert (ok);  //  Checked at load time
    return value;
}
