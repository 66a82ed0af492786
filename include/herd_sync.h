/*  herd_sync - catch-up: snapshots of the table sent to neighbours that
    ask for them (proto/herd.md, section 5)

    A neighbour whose link to us comes up sends HELLO; we answer with every
    record we hold, in SNAP batches, then SNAPEND.  A snapshot is paced by
    the link: it goes out a few batches per tick, and a batch the link
    refuses (its queue is full, or the connection is not up yet) is tried
    again from the same cursor a little later.  A table of any size gets
    through without blocking the node.  Owned by herd_node; the links and
    the table are borrowed.  */

#ifndef HERD_SYNC_H_INCLUDED
#define HERD_SYNC_H_INCLUDED

#include "herd_link.h"
#include "herd_log.h"
#include "herd_table.h"

#include <czmq.h>

//  Records per SNAP message, and bytes at most.
#define HERD_SYNC_BATCH       256
#define HERD_SYNC_BATCH_BYTES (64 * 1024)

typedef struct _herd_sync_t herd_sync_t;

//  Create catch-up for links[0..count) over table, for a node booted at
//  epoch.  All borrowed.
herd_sync_t *herd_sync_new (herd_table_t *table,
                            herd_link_t **links,
                            size_t count,
                            uint64_t epoch,
                            herd_log_t *log);

//  Destroy it, dropping snapshots under way; accepts NULL.  Call while
//  its loop exists.
void herd_sync_destroy (herd_sync_t **self_p);

//  Pace snapshots with timers on loop.  Call before any request.
void herd_sync_start (herd_sync_t *self, zloop_t *loop);

//  Ask the neighbour on link for its records (answer: and ask it to ask
//  for ours).  The HELLO is sent as soon as the link takes it, tried again
//  until it does.
void herd_sync_hello (herd_sync_t *self, size_t link, bool answer);

//  The neighbour on link index asked for our records: (re)start its
//  snapshot from the first record.
void herd_sync_request (herd_sync_t *self, size_t link);

//  Link index went down: a snapshot under way to it starts again from the
//  first record (what was queued on the old connection may be lost); a
//  HELLO not yet sent is dropped (the link says HELLO when it is up again).
void herd_sync_link_down (herd_sync_t *self, size_t link);

//  Snapshots under way.
size_t herd_sync_active (herd_sync_t *self);

#endif
