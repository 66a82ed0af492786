/*  herd_settings - one node's settings, read once from the topology  */

#include "herd_settings.h"
#include "herd_endpoint.h"

#include <czmq.h>

int
herd_settings_read (herd_settings_t *self,
                    herd_topo_t *topo,
                    size_t index,
                    const char *state_path,
                    const char **reason)
{
    assert (self && topo && reason);
    memset (self, 0, sizeof (*self));
    self->log_dir = herd_topo_setting (topo, index, "log_dir");
    self->log_level = herd_topo_setting (topo, index, "log_level");
    self->max_clients = (size_t) herd_topo_number (topo, index, "max_clients");
    herd_front_config_t front = {
        (size_t) herd_topo_number (topo, index, "max_line"),
        (size_t) herd_topo_number (topo, index, "max_connections"),
        (size_t) herd_topo_number (topo, index, "max_output"),
        herd_topo_number (topo, index, "idle_timeout_ms"),
        herd_topo_number (topo, index, "send_timeout_ms"),
        streq (herd_topo_setting (topo, index, "front"), "stream"),
        herd_topo_number (topo, index, "max_rate"),
    };
    self->front = front;
    //  What the node binds: tap_bind and metrics_bind where given
    self->tap = herd_topo_setting (topo, index, "tap_bind");
    if (!*self->tap)
        self->tap = herd_topo_setting (topo, index, "tap");
    self->keys_dir = herd_topo_setting (topo, index, "keys_dir");
    const char *metrics = herd_topo_setting (topo, index, "metrics_bind");
    if (!*metrics)
        metrics = herd_topo_setting (topo, index, "metrics");
    if (*metrics
        && herd_endpoint_host_port (metrics, self->metrics_host,
                                    sizeof (self->metrics_host),
                                    &self->metrics_port)) {
        *reason = "metrics is not host:port";  //  herd_topo refused it first
        return -1;
    }
    herd_link_timing_t link = {
        (int) herd_topo_number (topo, index, "link_heartbeat_ms"),
        (int) herd_topo_number (topo, index, "link_timeout_ms"),
        (int) herd_topo_number (topo, index, "link_reconnect_ms"),
        (int) herd_topo_number (topo, index, "link_reconnect_max_ms"),
        (int) herd_topo_number (topo, index, "link_connect_timeout_ms"),
    };
    self->link = link;
    self->ack_hold_ms = herd_topo_number (topo, index, "ack_hold_ms");
    self->reply_at_store =
        streq (herd_topo_setting (topo, index, "reply_after"), "store");
    self->tree = streq (herd_topo_setting (topo, index, "broadcast"), "tree");
    self->graft_ms = herd_topo_number (topo, index, "tree_graft_ms");
    self->ihave_ms = herd_topo_number (topo, index, "tree_ihave_ms");
    //  The state file: the command line's, else <state_dir>/<node>.state
    herd_saver_config_t *saver = &self->saver;
    const char *directory = herd_topo_setting (topo, index, "state_dir");
    const char *name = herd_topo_node_name (topo, index);
    int size = 0;
    if (state_path)
        size = snprintf (saver->path, sizeof (saver->path), "%s", state_path);
    else if (*directory)
        size = snprintf (saver->path, sizeof (saver->path), "%s/%s.state",
                         directory, name);
    if (size < 0 || (size_t) size >= sizeof (saver->path)) {
        *reason = "state file path too long";
        return -1;
    }
    saver->interval_ms = herd_topo_number (topo, index, "state_interval_ms");
    saver->max_age_s = herd_topo_number (topo, index, "max_age_s");
    saver->in_loop = getenv ("HERD_SAVE_IN_LOOP") != NULL;
    //  Places (proto/places.md): the key from the environment only
    herd_places_config_t *places = &self->places;
    places->provider = herd_topo_places (topo, "provider");
    places->url = herd_topo_places (topo, "url");
    places->key = getenv ("HERD_PLACES_KEY");
    if (!places->url && streq (places->provider, "google"))
        places->url = "https://places.googleapis.com";
    else if (!places->url && streq (places->provider, "google-legacy"))
        places->url = "https://maps.googleapis.com";
    if (streq (places->provider, "stub") && (!places->key || !*places->key))
        places->key = "herd-stub";  //  The stub wants a key, like Google
    places->timeout_ms = atol (herd_topo_places (topo, "timeout_ms"));
    places->connect_timeout_ms =
        atol (herd_topo_places (topo, "connect_timeout_ms"));
    places->max_in_flight = atol (herd_topo_places (topo, "max_in_flight"));
    places->rate_per_second = atol (herd_topo_places (topo, "rate_per_second"));
    return 0;
}
