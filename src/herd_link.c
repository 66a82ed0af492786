/*  herd_link - one DEALER to one neighbour's herd endpoint  */

#include "herd_link.h"
#include "herd_events.h"
#include "herd_str.h"

struct _herd_link_t {
    char *neighbour;        //  Neighbour's node name
    char *endpoint;         //  Its herd endpoint
    zsock_t *dealer;        //  Our mailbox to it
    herd_events_t *events;  //  The dealer's socket monitor
    herd_log_t *log;        //  Borrowed
    herd_link_state_t state;
    bool synced_early;        //  The snapshot came before the link was up
    uint64_t synced_records;  //  ...of this many records
    herd_link_fn *on_change;  //  Told when the link goes up or down
    void *arg;
};

herd_link_t *
herd_link_new (const char *name,
               const char *neighbour,
               const char *endpoint,
               const herd_link_timing_t *timing,
               zcert_t *cert,
               const char *server_key,
               herd_log_t *log,
               herd_link_fn *on_change,
               void *arg)
{
    herd_link_t *self = (herd_link_t *) zmalloc (sizeof (herd_link_t));
    self->neighbour = herd_str_dup (neighbour);
    self->endpoint = herd_str_dup (endpoint);
    self->log = log;
    self->on_change = on_change;
    self->arg = arg;
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        herd_log_printf (log, "error", "link %s: out of resources", neighbour);
        herd_link_destroy (&self);
        return NULL;
    }
    zsock_set_identity (self->dealer, name);
    zsock_set_sndhwm (self->dealer, HERD_LINK_SNDHWM);
    zsock_set_sndtimeo (self->dealer, 0);
    zsock_set_linger (self->dealer, 0);
    //  Queue only on a live connection: what a neighbour misses while away
    //  it gets from catch-up, not from a stale backlog
    zsock_set_immediate (self->dealer, 1);
    if (cert) {
        zcert_apply (cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, server_key);
    }
    herd_link_timing_t fallback = HERD_LINK_TIMING_DEFAULT;
    if (!timing)
        timing = &fallback;
    zsock_set_reconnect_ivl (self->dealer, timing->reconnect_ms);
    zsock_set_reconnect_ivl_max (self->dealer, timing->reconnect_max_ms);
    zsock_set_connect_timeout (self->dealer, timing->connect_timeout_ms);
    zsock_set_heartbeat_ivl (self->dealer, timing->heartbeat_ms);
    zsock_set_heartbeat_timeout (self->dealer, timing->timeout_ms);
    //  The far end counts the TTL in tenths of a second: less is none
    zsock_set_heartbeat_ttl (
        self->dealer, timing->timeout_ms < 100 ? 100 : timing->timeout_ms);
    self->events = herd_events_new (
        self->dealer, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                          | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    if (!self->events) {
        herd_log_printf (log, "error", "link %s: no socket monitor: %s",
                         neighbour, zmq_strerror (zmq_errno ()));
        herd_link_destroy (&self);
    } else if (zsock_connect (self->dealer, "%s", endpoint)) {
        herd_log_printf (log, "error", "link %s: cannot connect to %s",
                         neighbour, endpoint);
        herd_link_destroy (&self);
    }
    return self;
}

void
herd_link_destroy (herd_link_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_link_t *self = *self_p;
        herd_events_destroy (&self->events);
        zsock_destroy (&self->dealer);
        free (self->neighbour);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

//  One event of the dealer's monitor: logged (the socket's own events
//  are the monitor's timeline, proto/monitor.md, and what the link state
//  is made of), and a change of state passed on.
static void
s_on_event (herd_link_t *self, uint16_t event, uint32_t value)
{
    //  The socket's own events, for the monitor's timeline
    //  (proto/monitor.md): what the link state below is made of
    if (event == ZMQ_EVENT_CONNECTED)
        herd_log_printf (self->log, "info", "socket connected to=%s %s",
                         self->neighbour, self->endpoint);
    else if (event == ZMQ_EVENT_CONNECT_RETRIED)
        herd_log_printf (self->log, "info",
                         "socket retrying to=%s %s in_ms=%" PRIu32,
                         self->neighbour, self->endpoint, value);
    else if (event == ZMQ_EVENT_DISCONNECTED)
        herd_log_printf (self->log, "info", "socket disconnected to=%s %s",
                         self->neighbour, self->endpoint);
    else if (event != ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        herd_log_printf (self->log, "warning",
                         "socket handshake failed to=%s %s event=%u "
                         "error=%" PRIu32,
                         self->neighbour, self->endpoint, event, value);
    bool up = self->state != HERD_LINK_DOWN;
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && !up) {
        self->state = HERD_LINK_UP;
        herd_log_printf (self->log, "notice", "link up %s %s", self->neighbour,
                         self->endpoint);
        if (self->synced_early) {
            self->synced_early = false;
            herd_link_synced (self, self->synced_records);
        }
        if (self->on_change)
            self->on_change (self->arg, true);
    } else if (event == ZMQ_EVENT_DISCONNECTED && up) {
        self->state = HERD_LINK_DOWN;
        herd_log_printf (self->log, "warning", "link down %s %s",
                         self->neighbour, self->endpoint);
        if (self->on_change)
            self->on_change (self->arg, false);
    }
}

void
herd_link_check (herd_link_t *self)
{
    assert (self);
    uint16_t event;
    uint32_t value;
    while (herd_events_next (self->events, &event, &value))
        s_on_event (self, event, value);
}

const char *
herd_link_endpoint (herd_link_t *self)
{
    assert (self);
    return self->endpoint;
}

int
herd_link_send (herd_link_t *self, zmsg_t **msg_p)
{
    assert (self);
    //  SNDTIMEO is 0: a full pipe gives EAGAIN at once, never a wait
    int rc = zmsg_send (msg_p, self->dealer);
    if (rc == -1)
        zmsg_destroy (msg_p);
    return rc;
}

const char *
herd_link_neighbour (herd_link_t *self)
{
    assert (self);
    return self->neighbour;
}

bool
herd_link_up (herd_link_t *self)
{
    assert (self);
    return self->state != HERD_LINK_DOWN;
}

herd_link_state_t
herd_link_state (herd_link_t *self)
{
    assert (self);
    return self->state;
}

void
herd_link_synced (herd_link_t *self, uint64_t records)
{
    assert (self);
    if (self->state == HERD_LINK_UP) {
        self->state = HERD_LINK_SYNCED;
        herd_log_printf (self->log, "notice", "link synced %s records=%" PRIu64,
                         self->neighbour, records);
    } else if (self->state == HERD_LINK_DOWN) {
        //  Its connection to us came up before ours to it: we hold its
        //  records all the same, and say so once ours is up
        self->synced_early = true;
        self->synced_records = records;
    }
}

const char *
herd_link_state_name (herd_link_state_t state)
{
    return state == HERD_LINK_SYNCED ? "synced"
           : state == HERD_LINK_UP   ? "up"
                                     : "down";
}
