/*  herd_inbox - the node's ROUTER: where its neighbours' messages come in
    (proto/herd.md, sections 1, 2 and 7)

    Binds the node's herd endpoint (a host name bound as the address it
    resolves to), with CURVE and zauth when the topology has a keys_dir,
    and a socket monitor for the handshakes it refuses.  Reads a batch of
    messages per turn, vets each (a valid frame, from a neighbour, under
    that neighbour's key), counts it, and hands what passes to the node
    decoded; what does not is refused, logged and counted.  Owned by
    herd_node; the log and the counters are borrowed.  */

#ifndef HERD_INBOX_H_INCLUDED
#define HERD_INBOX_H_INCLUDED

#include "herd_log.h"
#include "herd_stats.h"
#include "herd_wire.h"

//  Messages taken per read, so that clients are not starved; a record of
//  a snapshot, or an update of an AT, counts as one.
#define HERD_INBOX_BATCH 256
//  Messages queued in the inbox before the neighbours' sends are refused.
#define HERD_INBOX_RCVHWM 100000

typedef struct _herd_inbox_t herd_inbox_t;

//  The neighbour whose routing id is name, or NULL if there is none.
typedef void *(herd_inbox_find_fn) (void *arg, herd_span_t name);

//  A message came, vetted but for its sender, from name, which is no
//  neighbour (its own topology may still say it is): refused, and told.
typedef void (herd_inbox_stranger_fn) (void *arg, herd_span_t name);

//  A message from a neighbour (what find gave for its routing id),
//  decoded.  wire and msg (whose frames its spans point into) are valid
//  during the call only.
typedef void (herd_inbox_message_fn) (void *arg,
                                      void *neighbour,
                                      herd_wire_t *wire,
                                      zmsg_t *msg);

typedef struct {
    const char *name;                  //  Our node name
    const char *endpoint;              //  Our herd endpoint, as written
    const char *keys_dir;              //  CURVE keys, or "" for plain links
    herd_log_t *log;                   //  Borrowed
    herd_stats_t *stats;               //  Borrowed: refusals and messages
    herd_inbox_find_fn *find;          //  Vets senders
    herd_inbox_stranger_fn *stranger;  //  Told of refused senders, or NULL
    herd_inbox_message_fn *handle;     //  Takes what passes
    void *arg;                         //  For all three
} herd_inbox_config_t;

//  Bind the inbox.  Returns NULL having said why on stderr (a missing
//  secret key, an endpoint that cannot be bound).
herd_inbox_t *herd_inbox_new (const herd_inbox_config_t *config);

//  Close it; accepts NULL, sets *self_p to NULL.
void herd_inbox_destroy (herd_inbox_t **self_p);

//  The socket to watch for input (herd_watch).
zsock_t *herd_inbox_socket (herd_inbox_t *self);

//  Our certificate when links use CURVE (for the DEALERs), else NULL.
zcert_t *herd_inbox_cert (herd_inbox_t *self);

//  Take up to HERD_INBOX_BATCH messages.  Returns 0 when the inbox was
//  found empty, 1 when it stopped at the batch (herd_watch_fn).
int herd_inbox_read (herd_inbox_t *self);

//  Log and count the handshakes refused since the last call (read every
//  few milliseconds, like the links' monitors).
void herd_inbox_check (herd_inbox_t *self);

#endif
