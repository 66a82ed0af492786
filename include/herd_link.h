/*  herd_link - one DEALER to one neighbour's herd endpoint

    Write-only: updates go out here, and come in on the node's ROUTER.  The
    routing id is our node name, so the neighbour knows who sent what.
    Sends never block: they queue up to the high-water mark while a
    connection is up, and are refused while the neighbour is away (catch-up
    brings it what it missed).  A socket monitor, read when the owner asks
    (herd_link_check), tells when the link is up or down; both are logged
    and passed on.  Owned by herd_peer.  */

#ifndef HERD_LINK_H_INCLUDED
#define HERD_LINK_H_INCLUDED

#include "herd_log.h"

#include <czmq.h>

//  Updates queued for one neighbour before sends are refused.
#define HERD_LINK_SNDHWM 100000

//  How a link keeps its connection (topology settings link_*_ms,
//  proto/topology.md): ZMTP heartbeats every heartbeat_ms, a silent or
//  frozen neighbour dropped after timeout_ms; reconnect after
//  reconnect_ms, backing off to reconnect_max_ms; a TCP connect pending
//  for connect_timeout_ms is given up and tried again (0: the kernel's
//  SYN retries, which after a long cut can take many seconds).
typedef struct {
    int heartbeat_ms;
    int timeout_ms;
    int reconnect_ms;
    int reconnect_max_ms;
    int connect_timeout_ms;
} herd_link_timing_t;

//  The defaults: suit loopback and a WAN alike.
#define HERD_LINK_TIMING_DEFAULT                                               \
    {                                                                          \
        1000, 3000, 100, 500, 500                                              \
    }

typedef struct _herd_link_t herd_link_t;

//  down: no connection; up: connected (handshake done); synced: up, and
//  the neighbour's snapshot has come in full since (proto/herd.md, 5).
typedef enum {
    HERD_LINK_DOWN,
    HERD_LINK_UP,
    HERD_LINK_SYNCED,
} herd_link_state_t;

//  The link went up or down (called from herd_link_check).
typedef void (herd_link_fn) (void *arg, bool up);

//  Create a link from node name to neighbour at endpoint; it connects at
//  once and retries by itself, resolving the endpoint's host name again
//  at each try.  timing NULL: the defaults.  With cert (ours) and
//  server_key (the neighbour's public key, Z85), over CURVE; with NULL,
//  plain.  log is borrowed; on_change (may be NULL) is told when the link
//  goes up or down.  Returns NULL on failure (logged).
herd_link_t *herd_link_new (const char *name,
                            const char *neighbour,
                            const char *endpoint,
                            const herd_link_timing_t *timing,
                            zcert_t *cert,
                            const char *server_key,
                            herd_log_t *log,
                            herd_link_fn *on_change,
                            void *arg);

//  Destroy a link; accepts NULL and sets *self_p to NULL.
void herd_link_destroy (herd_link_t **self_p);

//  Read what the socket monitor said since the last call, without
//  blocking: socket events are logged, and state changes passed to
//  on_change.  The owner calls it every few milliseconds: a link's events
//  can wait that long, and polling the monitor in the loop would cost
//  system calls on every turn.
void herd_link_check (herd_link_t *self);

//  The neighbour's herd endpoint, as connected to.
const char *herd_link_endpoint (herd_link_t *self);

//  Send a message without blocking; *msg_p is consumed either way.
//  Returns 0, or -1 if it could not be queued (neighbour away too long).
int herd_link_send (herd_link_t *self, zmsg_t **msg_p);

//  Name of the neighbour.
const char *herd_link_neighbour (herd_link_t *self);

//  Is a connection to the neighbour established now (up or synced)?
bool herd_link_up (herd_link_t *self);

//  State of the link now.
herd_link_state_t herd_link_state (herd_link_t *self);

//  The neighbour's snapshot came in full (records long): an up link is
//  synced from now until it goes down; a link that is down is synced as
//  soon as it is up (its connection to us may come up before ours to it,
//  and it sends one snapshot per link-up).  Logged.
void herd_link_synced (herd_link_t *self, uint64_t records);

//  "down", "up" or "synced".
const char *herd_link_state_name (herd_link_state_t state);

#endif
