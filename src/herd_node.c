/*  herd_node - one node of the herd: the reactor

    Read top to bottom: how every handler is dispatched and the end-of-turn
    hook it ends with; the timers and signals; reloading the topology;
    set-up; running and shutdown.  What the handlers do with client lines
    and Places answers is in herd_node_client.c, with herd messages in
    herd_node_herd.c.  */

#include "herd_node_private.h"
#include "herd_str.h"
#include "herd_signals.h"

#include <signal.h>

//  How often held IAMAT replies are checked against their timeout.
#define S_ACK_TICK_MS 20
//  How long a stopping node waits for the Places actor to answer what it
//  holds before it stops anyway.
#define S_STOP_MS 500
//  How long the tap holds records before it publishes them, and how often
//  a stats record is made while someone listens.
#define S_TAP_TICK_MS   20
#define S_STATS_TICK_MS 1000
//  How often records are aged.
#define S_AGE_TICK_MS 1000

//  ---------------------------------------------------------------------
//  Dispatch, and the end of every turn

//  The end of every turn of the loop, after every handler of the node's
//  and of its front end (redis's beforeSleep): what the turn queued goes
//  out now, one message per neighbour for the whole turn (the ACK owed,
//  the updates flooded), connections cut off are freed, the log written.
//  O(neighbours).
static void
s_turn_end (herd_node_t *self)
{
    //  ACKs first: a client's reply at their originator waits for them
    for (size_t i = 0; i < self->peer_count; i++)
        herd_peer_flush_ack (self->peers[i]);
    for (size_t i = 0; i < self->peer_count; i++)
        herd_peer_flush (self->peers[i]);  //  Counted in stats.sent
    herd_front_settle (self->front);
    herd_log_flush (self->log);
}

static int
s_dispatch (herd_node_handler_t *handler)
{
    int rc = handler->fn (handler->node);
    s_turn_end (handler->node);
    return rc;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    return s_dispatch ((herd_node_handler_t *) arg) == -1 ? -1 : 0;
}

static int
s_on_poller (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    return s_dispatch ((herd_node_handler_t *) arg) == -1 ? -1 : 0;
}

static int
s_on_watch (void *arg)
{
    return s_dispatch ((herd_node_handler_t *) arg);
}

//  The front end's handlers end their turns here.
static void
s_on_front_turn_end (void *arg)
{
    s_turn_end ((herd_node_t *) arg);
}

//  Run handler every delay ms, times times (0: for ever).  Returns the
//  timer's id, or -1.
static int
s_timer (herd_node_t *self,
         herd_node_handler_t *handler,
         size_t delay,
         size_t times)
{
    return zloop_timer (self->loop, delay, times, s_on_timer, handler);
}

//  ---------------------------------------------------------------------
//  Timers and signals

//  Neighbours' socket events, catch-up and IHAVEs, refused handshakes,
//  GRAFTs due.
static int
s_on_tick (herd_node_t *self)
{
    int64_t now = zclock_mono ();
    herd_inbox_check (self->inbox);
    for (size_t i = 0; i < self->peer_count; i++)
        if (herd_peer_tick (self->peers[i], now))
            herd_node_peer_down (self, self->peers[i], now);
    herd_node_tree_tick (self, now);
    return 0;
}

static int
s_on_ack_tick (herd_node_t *self)
{
    herd_ack_expire (self->acks, zclock_mono ());
    if (herd_ack_size (self->acks) == 0) {
        zloop_timer_end (self->loop, self->ack_timer);
        self->ack_timer = -1;
    }
    return 0;
}

void
herd_node_watch_acks (herd_node_t *self)
{
    if (herd_ack_size (self->acks) > 0 && self->ack_timer == -1)
        self->ack_timer = s_timer (self, &self->on_ack_tick, S_ACK_TICK_MS, 0);
}

//  Publish what the tap holds.  And subscriptions come and go on the XPUB:
//  records are only formatted for the tap while at least one is held.
static int
s_on_tap_tick (herd_node_t *self)
{
    herd_tap_flush (self->tap);
    self->tapped = herd_tap_listened (self->tap);
    herd_log_tapping (self->log, self->tapped);
    return 0;
}

//  Once a second, while someone listens: the stats record.
static int
s_on_stats_tick (herd_node_t *self)
{
    if (self->tapped) {
        herd_stats_gauges_t gauges;
        herd_stats_link_t links[HERD_TOPO_NODES_MAX];
        herd_node_gauges (self, &gauges, links);
        herd_stats_log (&self->stats, &gauges, self->log);
    }
    return 0;
}

//  The metrics page, when asked (herd_metrics_render_fn).
static void
s_render_metrics (void *arg, FILE *out)
{
    herd_node_t *self = (herd_node_t *) arg;
    herd_stats_gauges_t gauges;
    herd_stats_link_t links[HERD_TOPO_NODES_MAX];
    herd_node_gauges (self, &gauges, links);
    herd_stats_write_metrics (&self->stats, &gauges, out);
}

static int
s_on_age_tick (herd_node_t *self)
{
    herd_saver_age (self->saver, zclock_time () / 1000);
    return 0;
}

static int
s_on_save_tick (herd_node_t *self)
{
    herd_saver_save (self->saver);
    return 0;
}

static int
s_on_stop_deadline (herd_node_t *self)
{
    herd_log_printf (self->log, "warning", "Places did not answer all in %d ms",
                     S_STOP_MS);
    return -1;
}

//  Stop cleanly: held IAMAT replies go now, and every WHATSAT waiting for
//  Places is answered "herd: node shutting down" before the loop ends
//  (proto/client.md, section 5).
static int
s_stop (herd_node_t *self)
{
    self->stopping = true;
    herd_ack_expire (self->acks, INT64_MAX);
    if (herd_places_stop (self->places))
        return -1;
    herd_watch_poke (self->places_watch);
    return s_timer (self, &self->on_stop_deadline, S_STOP_MS, 1) == -1 ? -1 : 0;
}

static void s_reload (herd_node_t *self);

static int
s_on_signal (herd_node_t *self)
{
    int signal = herd_signals_read (self->signal_fd);
    if (signal == 0)
        return 0;
    if (signal == SIGHUP) {
        herd_log_reopen (self->log);
        herd_log_printf (self->log, "notice", "log reopened (SIGHUP)");
        s_reload (self);
        return 0;
    }
    herd_log_printf (self->log, "notice", "stopping (%s)", strsignal (signal));
    if (self->stopping)
        return -1;  //  A second signal: stop now
    return s_stop (self);
}

//  ---------------------------------------------------------------------
//  Reloading the topology

//  Does node at in next bind, or advertise, other endpoints than node index
//  in topo?  A running node cannot move them.
static bool
s_endpoints_moved (herd_topo_t *topo,
                   size_t index,
                   herd_topo_t *next,
                   size_t at)
{
    return !streq (herd_topo_herd_endpoint (next, at),
                   herd_topo_herd_endpoint (topo, index))
           || !streq (herd_topo_herd_bind (next, at),
                      herd_topo_herd_bind (topo, index))
           || !streq (herd_topo_client_host (next, at),
                      herd_topo_client_host (topo, index))
           || herd_topo_client_port (next, at)
                  != herd_topo_client_port (topo, index)
           || !streq (herd_topo_client_bind_host (next, at),
                      herd_topo_client_bind_host (topo, index))
           || herd_topo_client_bind_port (next, at)
                  != herd_topo_client_bind_port (topo, index);
}

//  SIGHUP: read the topology file again.  A file that does not load, that
//  lacks this node, or that moves this node's endpoints is refused, and
//  the node goes on as it was.
static void
s_reload (herd_node_t *self)
{
    if (!self->topology_path)
        return;
    herd_topo_t *next = herd_topo_new ();
    const char *why = NULL;
    int index = herd_topo_node_index (self->topo, self->name);
    int at = -1;
    if (herd_topo_load (next, self->topology_path))
        why = herd_topo_errors (next);
    else if ((at = herd_topo_node_index (next, self->name)) < 0)
        why = "this node is not in it";
    else if (s_endpoints_moved (self->topo, (size_t) index, next, (size_t) at))
        why = "this node's endpoints changed: restart it instead";
    if (why) {
        char *text = herd_str_dup (why);
        for (char *c = text; *c; c++)
            if (*c == '\n')
                *c = *(c + 1) ? ';' : 0;
        herd_log_printf (self->log, "error",
                         "topology %s not reloaded, the old one stays: %s",
                         self->topology_path, text);
        free (text);
        herd_topo_destroy (&next);
        return;
    }
    herd_node_relink (self, next, (size_t) at);
    self->topo = next;
    herd_topo_destroy (&self->owned_topo);
    self->owned_topo = next;
}

//  ---------------------------------------------------------------------
//  Set-up

//  The log's records go out on the tap (proto/monitor.md), held for up to
//  S_TAP_TICK_MS: a message per kind per tick costs the node and its
//  listeners far less than one per record, or one per handler.
static void
s_on_tap_record (void *arg, const char *record, size_t size)
{
    herd_tap_record (((herd_node_t *) arg)->tap, record, size);
}

static int
s_open_tap (herd_node_t *self)
{
    const char *endpoint = self->settings.tap;
    if (!*endpoint)
        return 0;
    self->tap = herd_tap_new (endpoint, self->name);
    if (!self->tap) {
        fprintf (stderr, "herd: %s: cannot bind tap %s: %s\n", self->name,
                 endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    herd_log_set_tap (self->log, s_on_tap_record, self);
    return s_timer (self, &self->on_tap_tick, S_TAP_TICK_MS, 0) == -1
                   || s_timer (self, &self->on_stats_tick, S_STATS_TICK_MS, 0)
                          == -1
               ? -1
               : 0;
}

//  The metrics endpoint, when the topology names one.
static int
s_open_metrics (herd_node_t *self)
{
    const char *host = self->settings.metrics_host;
    if (!*host)
        return 0;
    int port = -1;
    self->metrics =
        herd_metrics_new (self->loop, host, self->settings.metrics_port,
                          s_render_metrics, self, &port);
    if (!self->metrics) {
        fprintf (stderr, "herd: %s: cannot serve metrics on %s:%u: %s\n",
                 self->name, host, self->settings.metrics_port,
                 strerror (errno));
        return -1;
    }
    //  The port bound, which port 0 leaves to the kernel
    bool v6 = strchr (host, ':') != NULL;
    snprintf (self->metrics_url, sizeof (self->metrics_url),
              "http://%s%s%s:%d/metrics", v6 ? "[" : "", host, v6 ? "]" : "",
              port);
    herd_log_printf (self->log, "notice", "metrics on %s", self->metrics_url);
    return 0;
}

static int
s_open_front (herd_node_t *self, size_t index)
{
    self->front = herd_front_new (&self->settings.front, self->log,
                                  herd_node_on_line, self);
    if (!self->front)
        return -1;
    herd_front_set_turn_end (self->front, s_on_front_turn_end);
    const char *host = herd_topo_client_bind_host (self->topo, index);
    uint16_t port = herd_topo_client_bind_port (self->topo, index);
    self->client_port = herd_front_bind (self->front, host, port);
    if (self->client_port == -1) {
        fprintf (stderr, "herd: %s: cannot listen on %s:%u: %s\n", self->name,
                 host, port, strerror (errno));
        return -1;
    }
    return herd_front_start (self->front, self->loop);
}

static int
s_on_inbox (herd_node_t *self)
{
    return herd_inbox_read (self->inbox);
}

static int
s_open_herd (herd_node_t *self, size_t index)
{
    herd_inbox_config_t config = {
        self->name,
        herd_topo_herd_bind (self->topo, index),
        self->settings.keys_dir,
        self->log,
        &self->stats,
        herd_node_find_peer,
        herd_node_on_stranger,
        herd_node_on_message,
        self,
    };
    self->inbox = herd_inbox_new (&config);
    if (!self->inbox)
        return -1;
    self->inbox_watch =
        herd_watch_new (self->loop, herd_inbox_socket (self->inbox), s_on_watch,
                        &self->on_inbox);
    if (herd_node_link (self, index))
        return -1;  //  Said why
    return !self->inbox_watch
                   || s_timer (self, &self->on_tick, HERD_PEER_TICK_MS, 0) == -1
               ? -1
               : 0;
}

static int
s_open_places (herd_node_t *self)
{
    herd_places_config_t config = self->settings.places;
    //  Google answers every call without a key REQUEST_DENIED: say so now
    if (!streq (config.provider, "stub") && (!config.key || !*config.key)) {
        fprintf (stderr,
                 "herd: %s: places provider %s, but HERD_PLACES_KEY is not "
                 "set: every WHATSAT will fail\n",
                 self->name, config.provider);
        herd_log_printf (self->log, "warning",
                         "places provider %s without HERD_PLACES_KEY",
                         config.provider);
    }
    config.thread = &self->places_thread;
    zsys_set_pipehwm (HERD_PLACES_QUEUE_MAX);
    //  zactor_new returns once the actor has copied config
    self->places = zactor_new (herd_places_actor, &config);
    if (!self->places)
        return -1;
    zsock_set_sndtimeo (self->places, 0);
    self->places_watch = herd_watch_new (self->loop, zactor_sock (self->places),
                                         s_on_watch, &self->on_places);
    return self->places_watch ? 0 : -1;
}

static int
s_open_state (herd_node_t *self)
{
    self->saver =
        herd_saver_new (self->table, self->log, &self->settings.saver);
    if (herd_saver_load (self->saver))
        return -1;
    if (s_timer (self, &self->on_age_tick, S_AGE_TICK_MS, 0) == -1)
        return -1;
    if (!herd_saver_enabled (self->saver))
        return 0;
    return s_timer (self, &self->on_save_tick,
                    (size_t) self->settings.saver.interval_ms, 0)
                   == -1
               ? -1
               : 0;
}

static int
s_open_signals (herd_node_t *self)
{
    self->signal_fd = herd_signals_open (true);
    if (self->signal_fd == -1)
        return -1;
    zmq_pollitem_t item = {NULL, self->signal_fd, ZMQ_POLLIN, 0};
    return zloop_poller (self->loop, &item, s_on_poller, &self->on_signal);
}

//  Each handler knows its node.
static void
s_handlers (herd_node_t *self)
{
    self->on_tick = (herd_node_handler_t){self, s_on_tick};
    self->on_ack_tick = (herd_node_handler_t){self, s_on_ack_tick};
    self->on_tap_tick = (herd_node_handler_t){self, s_on_tap_tick};
    self->on_stats_tick = (herd_node_handler_t){self, s_on_stats_tick};
    self->on_age_tick = (herd_node_handler_t){self, s_on_age_tick};
    self->on_save_tick = (herd_node_handler_t){self, s_on_save_tick};
    self->on_stop_deadline = (herd_node_handler_t){self, s_on_stop_deadline};
    self->on_signal = (herd_node_handler_t){self, s_on_signal};
    self->on_inbox = (herd_node_handler_t){self, s_on_inbox};
    self->on_places = (herd_node_handler_t){self, herd_node_on_places};
}

herd_node_t *
herd_node_new (herd_topo_t *topo,
               const char *name,
               bool log_stderr,
               const char *state_path)
{
    int index = herd_topo_node_index (topo, name);
    if (index < 0) {
        fprintf (stderr, "herd: no node called %s in the topology\n", name);
        return NULL;
    }
    herd_node_t *self = (herd_node_t *) zmalloc (sizeof (herd_node_t));
    self->topo = topo;
    self->name = herd_topo_node_name (topo, (size_t) index);
    self->signal_fd = -1;
    self->ack_timer = -1;
    self->epoch = (uint64_t) zclock_time () * 1000;
    s_handlers (self);
    const char *reason = NULL;
    if (herd_settings_read (&self->settings, topo, (size_t) index, state_path,
                            &reason)) {
        fprintf (stderr, "herd: %s: %s\n", self->name, reason);
        herd_node_destroy (&self);
        return NULL;
    }
    self->log = herd_log_new (self->settings.log_dir, self->name, log_stderr);
    self->loop = zloop_new ();
    if (!self->log || !self->loop) {
        herd_node_destroy (&self);
        return NULL;
    }
    herd_log_set_level (self->log, self->settings.log_level);
    self->table = herd_table_new (self->epoch);
    herd_table_set_limit (self->table, self->settings.max_clients);
    self->acks =
        herd_ack_new (self->settings.ack_hold_ms, herd_node_on_released, self);
    self->tree = herd_tree_new (self->settings.graft_ms, herd_node_tree_ask,
                                herd_node_tree_lost, self);
    if (s_open_places (self) || s_open_state (self) || s_open_signals (self)
        || s_open_front (self, (size_t) index) || s_open_metrics (self)
        || s_open_tap (self) || s_open_herd (self, (size_t) index)) {
        herd_node_destroy (&self);
        return NULL;
    }
    return self;
}

//  ---------------------------------------------------------------------
//  Running, and shutdown

void
herd_node_destroy (herd_node_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_node_t *self = *self_p;
        //  What needs the loop first
        herd_metrics_destroy (&self->metrics);
        herd_watch_destroy (&self->inbox_watch);
        herd_watch_destroy (&self->places_watch);
        for (size_t i = 0; i < self->peer_count; i++)
            herd_peer_destroy (&self->peers[i]);  //  Sends what is queued
        free (self->peers);
        herd_inbox_destroy (&self->inbox);
        zloop_destroy (&self->loop);
        zactor_destroy (&self->places);
        herd_places_join (self->places_thread, 1000);
        if (self->log)
            herd_log_set_tap (self->log, NULL, NULL);
        if (self->tap)
            herd_tap_flush (self->tap);
        herd_tap_destroy (&self->tap);
        herd_front_destroy (&self->front);
        herd_saver_destroy (&self->saver);
        herd_table_destroy (&self->table);
        herd_ack_destroy (&self->acks);
        herd_tree_destroy (&self->tree);
        if (self->signal_fd != -1)
            close (self->signal_fd);
        if (self->log)
            herd_log_printf (self->log, "notice", "stopped");
        herd_log_destroy (&self->log);
        free (self->topology_path);
        herd_topo_destroy (&self->owned_topo);
        free (self);
        *self_p = NULL;
    }
}

void
herd_node_set_topology_path (herd_node_t *self, const char *path)
{
    assert (self);
    free (self->topology_path);
    self->topology_path = path ? herd_str_dup (path) : NULL;
}

int
herd_node_run (herd_node_t *self)
{
    assert (self);
    int index = herd_topo_node_index (self->topo, self->name);
    const char *host = herd_topo_client_bind_host (self->topo, (size_t) index);
    const char *endpoint = herd_topo_herd_bind (self->topo, (size_t) index);
    herd_log_printf (self->log, "notice", "ready client=%s:%d herd=%s", host,
                     self->client_port, endpoint);
    herd_log_flush (self->log);
    //  And where to watch it, if it can be watched
    const char *tap = self->settings.tap;
    printf ("herd: node %s ready client=%s:%d herd=%s%s%s%s%s\n", self->name,
            host, self->client_port, endpoint, *tap ? " tap=" : "", tap,
            *self->metrics_url ? " metrics=" : "", self->metrics_url);
    fflush (stdout);
    zloop_start (self->loop);
    //  A reply still held (an IAMAT came while Places finished) goes now
    herd_ack_expire (self->acks, INT64_MAX);
    s_turn_end (self);
    herd_saver_finish (self->saver);
    herd_log_flush (self->log);
    return 0;
}
