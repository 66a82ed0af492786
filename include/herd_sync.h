/*  herd_sync - catch-up with one neighbour: our HELLO to it, and the
    snapshot of our table it asked for (proto/herd.md, section 5)

    A neighbour whose link to us comes up sends HELLO; we answer with every
    record we hold, in SNAP batches, then SNAPEND.  A snapshot is paced:
    it goes out a few batches per tick, and a batch the link refuses (its
    queue is full, or the connection is not up yet) is tried again from the
    same cursor a little later.  A table of any size gets through without
    blocking the node.  Time is passed in (now_ms, monotonic).  Owned by
    herd_peer, one per neighbour; the link, the table and the log are
    borrowed.  */

#ifndef HERD_SYNC_H_INCLUDED
#define HERD_SYNC_H_INCLUDED

#include "herd_link.h"
#include "herd_log.h"
#include "herd_table.h"

//  Records per SNAP message, and bytes at most.
#define HERD_SYNC_BATCH       256
#define HERD_SYNC_BATCH_BYTES (64 * 1024)
//  Snapshots advance by up to this many batches per tick...
#define HERD_SYNC_BATCHES_PER_TICK 16
//  ...and a batch the link refused is tried again this much later (a
//  HELLO a quarter of it: the link takes it once its connection is whole).
#define HERD_SYNC_RETRY_MS 20
//  At most this many batches go without the neighbour's SNAPACK, so that
//  a snapshot never queues more than 256 KiB ahead of live updates...
#define HERD_SYNC_WINDOW 4
//  ...unless the neighbour has not answered for this long (after this
//  long the last mark goes again, in case its SNAPACK was lost).
#define HERD_SYNC_ACK_WAIT_MS 5000
#define HERD_SYNC_REMARK_MS   1000

typedef struct _herd_sync_t herd_sync_t;

//  Create catch-up with the neighbour on link, over table, for a node
//  booted at epoch, sending at most window batches of a snapshot that
//  the neighbour has not acked (HERD_SYNC_WINDOW; 0: no limit, no
//  SNAPMARKs).  All borrowed.
herd_sync_t *herd_sync_new (herd_link_t *link,
                            herd_table_t *table,
                            uint64_t epoch,
                            uint64_t window,
                            herd_log_t *log);

//  Our broadcast is tree (false, the default: flood): our HELLOs say so.
void herd_sync_set_tree (herd_sync_t *self, bool tree);

//  Destroy it, dropping a snapshot under way; accepts NULL.
void herd_sync_destroy (herd_sync_t **self_p);

//  Say HELLO to the neighbour, asking for its records (answer: and for a
//  HELLO back).  Sent now if the link takes it, else at a later tick.
void herd_sync_hello (herd_sync_t *self, bool answer, int64_t now_ms);

//  Ask the neighbour for its records again, even if it sent a snapshot
//  since the link came up (HELLO "R": another link went down, or a
//  reload).  Sent after any other HELLO waiting, and kept, if the link is
//  down, until it is up again.
void herd_sync_resync (herd_sync_t *self, int64_t now_ms);

//  The neighbour asked for our records: start its snapshot from the first
//  record; the first batches go now.  Unless again, not if one began since
//  the link last went down (both ends' HELLOs ask when a link comes up:
//  one snapshot is enough).  With again while one is under way, that one
//  goes on and a whole new one follows it.
void herd_sync_request (herd_sync_t *self, bool again, int64_t now_ms);

//  Send a SNAP of records we stored from another neighbour's snapshot,
//  within the same window as our snapshot's batches.  Returns 0 (*msg_p
//  consumed), or -1 if the window is full or the link refused it (*msg_p
//  left to the caller).
int herd_sync_forward (herd_sync_t *self, zmsg_t **msg_p, int64_t now_ms);

//  The neighbour acked the snapshot's batches up to mark (SNAPACK): the
//  next tick sends more.
void herd_sync_acked (herd_sync_t *self, uint64_t mark);

//  The link went down: a snapshot under way starts again from the first
//  record (what was queued on the old connection may be lost); a HELLO
//  not yet sent is dropped (the link says HELLO when it is up again).
void herd_sync_link_down (herd_sync_t *self);

//  Send what is due and what the link takes.  Call every few milliseconds
//  while herd_sync_busy.
void herd_sync_tick (herd_sync_t *self, int64_t now_ms);

//  Is a HELLO or a snapshot waiting to go?
bool herd_sync_busy (herd_sync_t *self);

#endif
