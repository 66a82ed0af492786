/*  herd_topo_settings - the settings a topology may give its nodes, their
    defaults, ranges and checks (proto/topology.md)  */

#include "herd_topo.h"
#include "herd_endpoint.h"
#include "herd_topo_private.h"

#include <czmq.h>

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
    {"tap_bind", "", 0, 0},
    {"metrics", "", 0, 0},
    {"metrics_bind", "", 0, 0},
    {"state_interval_ms", "10000", 100, 86400000},
    {"link_heartbeat_ms", "1000", 10, 600000},
    {"link_timeout_ms", "3000", 20, 3600000},
    {"link_reconnect_ms", "100", 1, 600000},
    {"link_reconnect_max_ms", "500", 1, 3600000},
    {"link_connect_timeout_ms", "500", 0, 600000},
    {"ack_hold_ms", "100", 0, 60000},
    {"reply_after", "neighbours", 0, 0},
    {"broadcast", "flood", 0, 0},
    {"tree_graft_ms", "30", 1, 60000},
    {"tree_ihave_ms", "50", 0, 60000},
};
#define S_SETTINGS (sizeof (s_settings) / sizeof (s_settings[0]))

static const s_setting_t *
s_setting (const char *key)
{
    for (size_t i = 0; i < S_SETTINGS; i++)
        if (streq (s_settings[i].key, key))
            return &s_settings[i];
    return NULL;
}

bool
herd_topo_parse_number (const char *text, int64_t *value)
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

void
herd_topo_check_setting (herd_topo_t *self, const char *path, zconfig_t *item)
{
    const s_setting_t *setting = s_setting (zconfig_name (item));
    assert (setting);
    const char *value = zconfig_value (item);
    if (setting->maximum > 0) {
        int64_t number;
        if (!herd_topo_parse_number (value, &number)
            || number < setting->minimum || number > setting->maximum)
            herd_topo_error (self, item,
                             "%s/%s: \"%s\" is not a number from %" PRId64
                             " to %" PRId64,
                             path, zconfig_name (item), value, setting->minimum,
                             setting->maximum);
    } else if (streq (setting->key, "front") && !streq (value, "tcp")
               && !streq (value, "stream"))
        herd_topo_error (self, item, "%s/front: \"%s\" is not tcp or stream",
                         path, value);
    else if (streq (setting->key, "log_level") && !streq (value, "info")
             && !streq (value, "notice") && !streq (value, "warning")
             && !streq (value, "error"))
        herd_topo_error (
            self, item,
            "%s/log_level: \"%s\" is not info, notice, warning or error", path,
            value);
    else if (streq (setting->key, "reply_after") && !streq (value, "neighbours")
             && !streq (value, "store"))
        herd_topo_error (self, item,
                         "%s/reply_after: \"%s\" is not neighbours or store",
                         path, value);
    else if (streq (setting->key, "broadcast") && !streq (value, "flood")
             && !streq (value, "tree"))
        herd_topo_error (self, item,
                         "%s/broadcast: \"%s\" is not flood or tree", path,
                         value);
    else if (!*value)
        herd_topo_error (self, item, "%s/%s: empty value", path,
                         zconfig_name (item));
    else if (streq (setting->key, "metrics")
             || streq (setting->key, "metrics_bind")) {
        char host[HERD_TOPO_HOST_MAX + 1];
        uint16_t port;
        if (herd_endpoint_host_port (value, host, sizeof (host), &port))
            herd_topo_error (self, item, "%s/%s: \"%s\" is not host:port", path,
                             setting->key, value);
    } else if ((streq (setting->key, "tap") || streq (setting->key, "tap_bind"))
               && herd_endpoint_tcp_check (value))
        herd_topo_error (self, item, "%s/%s: \"%s\" is not tcp://host:port",
                         path, setting->key, value);
}

//  The item that gives node index its value of key: its own, else the herd
//  section's; NULL if the value is the default.
static zconfig_t *
s_setting_item (herd_topo_t *self, size_t index, const char *key)
{
    zconfig_t *item = zconfig_locate (self->nodes[index].section, key);
    zconfig_t *herd = item ? NULL : zconfig_locate (self->root, "herd");
    return herd ? zconfig_locate (herd, key) : item;
}

//  Where two settings of node index disagree: the later of the items that
//  set them, else the node's name.
static zconfig_t *
s_pair_item (herd_topo_t *self, size_t index, const char *one, const char *two)
{
    zconfig_t *item = herd_topo_later (self, s_setting_item (self, index, one),
                                       s_setting_item (self, index, two));
    return item ? item : self->nodes[index].section;
}

//  Settings that must agree with each other, as each node sees them.
void
herd_topo_check_pairs (herd_topo_t *self)
{
    for (size_t i = 0; i < self->node_count; i++) {
        const char *name = self->nodes[i].name;
        if (*herd_topo_setting (self, i, "tap_bind")
            && !*herd_topo_setting (self, i, "tap"))
            herd_topo_error (self, s_setting_item (self, i, "tap_bind"),
                             "nodes/%s: tap_bind without tap", name);
        if (*herd_topo_setting (self, i, "metrics_bind")
            && !*herd_topo_setting (self, i, "metrics"))
            herd_topo_error (self, s_setting_item (self, i, "metrics_bind"),
                             "nodes/%s: metrics_bind without metrics", name);
        int64_t heartbeat, timeout, reconnect, reconnect_max;
        if (herd_topo_parse_number (
                herd_topo_setting (self, i, "link_heartbeat_ms"), &heartbeat)
            && herd_topo_parse_number (
                herd_topo_setting (self, i, "link_timeout_ms"), &timeout)
            && timeout <= heartbeat)
            herd_topo_error (
                self,
                s_pair_item (self, i, "link_heartbeat_ms", "link_timeout_ms"),
                "nodes/%s: link_timeout_ms (%" PRId64
                ") is not more than link_heartbeat_ms (%" PRId64 ")",
                name, timeout, heartbeat);
        if (herd_topo_parse_number (
                herd_topo_setting (self, i, "link_reconnect_ms"), &reconnect)
            && herd_topo_parse_number (
                herd_topo_setting (self, i, "link_reconnect_max_ms"),
                &reconnect_max)
            && reconnect_max < reconnect)
            herd_topo_error (self,
                             s_pair_item (self, i, "link_reconnect_ms",
                                          "link_reconnect_max_ms"),
                             "nodes/%s: link_reconnect_max_ms (%" PRId64
                             ") is less than link_reconnect_ms (%" PRId64 ")",
                             name, reconnect_max, reconnect);
    }
}

//  The places section: provider and url (proto/topology.md).
void
herd_topo_check_places (herd_topo_t *self, zconfig_t *section)
{
    for (zconfig_t *item = zconfig_child (section); item;
         item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        const char *value = zconfig_value (item);
        if (streq (key, "provider")) {
            if (!streq (value, "stub") && !streq (value, "google")
                && !streq (value, "google-legacy"))
                herd_topo_error (
                    self, item,
                    "places/provider: \"%s\" is not stub, google or "
                    "google-legacy",
                    value);
        } else if (streq (key, "url")) {
            if (strncmp (value, "http://", 7) && strncmp (value, "https://", 8))
                herd_topo_error (self, item,
                                 "places/url: \"%s\" is not an http(s) URL",
                                 value);
        } else if (streq (key, "timeout_ms")
                   || streq (key, "connect_timeout_ms")
                   || streq (key, "max_in_flight")
                   || streq (key, "rate_per_second")) {
            int64_t number;
            if (!herd_topo_parse_number (value, &number) || number < 1
                || number > 600000)
                herd_topo_error (self, item,
                                 "places/%s: \"%s\" is not a number from 1 to "
                                 "600000",
                                 key, value);
        } else
            herd_topo_error (self, item, "places/%s: unknown key", key);
    }
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
    bool ok =
        herd_topo_parse_number (herd_topo_setting (self, index, key), &value);
    assert (ok);  //  Checked at load time
    return value;
}

bool
herd_topo_is_setting (const char *key)
{
    return s_setting (key) != NULL;
}
