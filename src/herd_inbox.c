/*  herd_inbox - the node's ROUTER  */

#include "herd_inbox.h"
#include "herd_events.h"
#include "herd_str.h"
#include "herd_keys.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>

struct _herd_inbox_t {
    herd_inbox_config_t config;
    zsock_t *router;        //  Bound on our herd endpoint
    herd_events_t *events;  //  Refused handshakes
    zcert_t *cert;          //  Ours, when links use CURVE; else NULL
    zactor_t *auth;         //  zauth: admits the members' keys only
};

//  CURVE when there is a keys_dir: our secret certificate, and zauth
//  admitting the members' public certificates only.
static int
s_open_security (herd_inbox_t *self)
{
    const char *directory = self->config.keys_dir;
    if (!*directory) {
        herd_log_printf (self->config.log, "warning",
                         "herd links are plain (no keys_dir): anyone who "
                         "reaches %s can send updates",
                         self->config.endpoint);
        return 0;
    }
    self->cert = herd_keys_secret (directory, self->config.name);
    if (!self->cert) {
        fprintf (stderr,
                 "herd: %s: no secret key %s/%s.key_secret (make them with "
                 "herd keys -t FILE)\n",
                 self->config.name, directory, self->config.name);
        return -1;
    }
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth)
        return -1;
    zstr_sendx (self->auth, "CURVE", directory, NULL);
    zsock_wait (self->auth);
    herd_log_printf (self->config.log, "notice",
                     "herd links use CURVE, keys in %s", directory);
    return 0;
}

//  libzmq binds to addresses and interface names, not host names: a herd
//  endpoint named by host (tcp://juzang:12211, as under docker-compose) is
//  bound on the address that name resolves to here.  Caller frees it.
//  NULL if the host is a name that does not resolve.
static char *
s_bindable (const char *endpoint)
{
    const char *host = endpoint + strlen ("tcp://");
    const char *colon = strrchr (host, ':');
    if (strncmp (endpoint, "tcp://", 6) || !colon || *host == '['
        || *host == '*')
        return herd_str_dup (endpoint);
    char *name = herd_str_ndup (host, (size_t) (colon - host));
    struct in_addr ip;
    //  IPv4, as libzmq resolves the name when neighbours connect to it
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM},
                    *found = NULL;
    char *bindable = NULL;
    bool numeric = inet_pton (AF_INET, name, &ip) == 1;
    if (!numeric && getaddrinfo (name, NULL, &hints, &found) == 0) {
        char address[INET_ADDRSTRLEN] = "";
        const struct sockaddr_in *in =
            (const struct sockaddr_in *) found->ai_addr;
        if (inet_ntop (AF_INET, &in->sin_addr, address, sizeof (address)))
            bindable = herd_str_printf ("tcp://%s%s", address, colon);
        freeaddrinfo (found);
    }
    //  A name that does not resolve, and is no interface either: libzmq
    //  would take it for an interface and say "No such device"
    bool unresolved = !numeric && !bindable && !if_nametoindex (name);
    free (name);
    if (unresolved)
        return NULL;
    return bindable ? bindable : herd_str_dup (endpoint);
}

static int
s_bind (herd_inbox_t *self)
{
    const char *endpoint = self->config.endpoint;
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router)
        return -1;
    //  A neighbour that reconnects under the same name takes over at once
    zsock_set_router_handover (self->router, 1);
    zsock_set_rcvhwm (self->router, HERD_INBOX_RCVHWM);
    //  A larger frame drops its connection (libzmq): proto/herd.md, Limits
    zsock_set_maxmsgsize (self->router, HERD_WIRE_FRAME_MAX);
    zsock_set_linger (self->router, 0);
    if (self->cert) {
        zcert_apply (self->cert, self->router);
        zsock_set_curve_server (self->router, 1);
        zsock_set_zap_domain (self->router, "herd");
    }
    self->events = herd_events_new (self->router,
                                    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                        | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    char *bindable = s_bindable (endpoint);
    if (!bindable) {
        fprintf (stderr,
                 "herd: %s: cannot bind herd endpoint %s: its host name does "
                 "not resolve here (a container or a NAT: give the node a "
                 "bind endpoint, e.g. bind = tcp://0.0.0.0:PORT; "
                 "proto/topology.md)\n",
                 self->config.name, endpoint);
        return -1;
    }
    int rc = self->events ? zsock_bind (self->router, "%s", bindable) : -1;
    if (rc != -1 && !streq (bindable, endpoint))
        herd_log_printf (self->config.log, "notice",
                         "herd endpoint %s bound as %s", endpoint, bindable);
    free (bindable);
    if (rc == -1)
        fprintf (stderr, "herd: %s: cannot bind herd endpoint %s: %s\n",
                 self->config.name, endpoint, zmq_strerror (zmq_errno ()));
    return rc == -1 ? -1 : 0;
}

herd_inbox_t *
herd_inbox_new (const herd_inbox_config_t *config)
{
    assert (config && config->log && config->stats && config->find
            && config->handle);
    herd_inbox_t *self = (herd_inbox_t *) zmalloc (sizeof (herd_inbox_t));
    self->config = *config;
    if (s_open_security (self) || s_bind (self))
        herd_inbox_destroy (&self);
    return self;
}

void
herd_inbox_destroy (herd_inbox_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_inbox_t *self = *self_p;
        herd_events_destroy (&self->events);
        zsock_destroy (&self->router);
        zactor_destroy (&self->auth);
        zcert_destroy (&self->cert);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
herd_inbox_socket (herd_inbox_t *self)
{
    assert (self);
    return self->router;
}

zcert_t *
herd_inbox_cert (herd_inbox_t *self)
{
    assert (self);
    return self->cert;
}

//  Over CURVE, zauth binds each connection to the name in the member's
//  certificate (ZAP metadata "name"): the routing id must be that name, or
//  a member could pose as another.
static bool
s_key_matches (zmsg_t *msg, herd_span_t sender)
{
    zmsg_first (msg);
    zframe_t *signature = zmsg_next (msg);  //  From the wire: has metadata
    const char *name = signature ? zframe_meta (signature, "name") : NULL;
    return name && strlen (name) == sender.size
           && memcmp (name, sender.data, sender.size) == 0;
}

//  Vet and hand on one message; returns the work it was (an AT's updates
//  and a SNAP's records count one each).
static size_t
s_take (herd_inbox_t *self, zmsg_t *msg)
{
    herd_wire_t wire;
    const char *reason = NULL;
    void *neighbour = NULL;
    if (herd_wire_decode (&wire, msg, &reason) == 0 && self->cert
        && !s_key_matches (msg, wire.sender))
        reason = "routing id is not the name of the sender's key";
    if (!reason
        && !(neighbour = self->config.find (self->config.arg, wire.sender))) {
        reason = "not a neighbour";
        if (self->config.stranger)
            self->config.stranger (self->config.arg, wire.sender);
    }
    if (reason) {
        herd_stats_t *stats = self->config.stats;
        stats->refused++;
        char prefix[160];
        snprintf (prefix, sizeof (prefix),
                  "%s; %" PRIu64 " refused so far; sender", reason,
                  stats->refused);
        zframe_t *sender = zmsg_first (msg);
        herd_log_bytes (self->config.log, "warning", prefix,
                        sender ? (const char *) zframe_data (sender) : "",
                        sender ? zframe_size (sender) : 0);
        return 1;
    }
    self->config.stats->messages[wire.command]++;
    size_t work = 1;
    if (wire.command == HERD_WIRE_SNAP || wire.command == HERD_WIRE_AT)
        work += wire.count;
    self->config.handle (self->config.arg, neighbour, &wire, msg);
    return work;
}

int
herd_inbox_read (herd_inbox_t *self)
{
    assert (self);
    for (size_t work = 0; work < HERD_INBOX_BATCH;) {
        zmsg_t *msg = zmsg_recv_nowait (self->router);
        if (!msg)
            return 0;
        work += s_take (self, msg);
        zmsg_destroy (&msg);
    }
    return 1;
}

void
herd_inbox_check (herd_inbox_t *self)
{
    assert (self);
    uint16_t event;
    uint32_t value;
    while (herd_events_next (self->events, &event, &value)) {
        herd_stats_t *stats = self->config.stats;
        stats->refused++;
        herd_log_printf (
            self->config.log, "warning",
            "herd connection refused: %s (%u); %" PRIu64 " refused so far",
            event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "authentication failed"
                                                     : "handshake failed",
            value, stats->refused);
    }
}
