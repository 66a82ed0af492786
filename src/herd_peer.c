/*  herd_peer - one neighbour  */

#include "herd_peer.h"
#include "herd_sync.h"
#include "herd_wire.h"

struct _herd_peer_t {
    herd_link_t *link;         //  Our DEALER to it
    herd_sync_t *sync;         //  Catch-up with it
    herd_wire_batch_t *batch;  //  Updates not sent yet
    herd_log_t *log;           //  Borrowed
    int slot;                  //  In held-reply masks, or -1
    uint64_t *sent;            //  Counts updates sent, or NULL
    bool ack_owed;             //  An ACK waits for the end of the turn
    uint64_t ack_epoch;        //  ...for the neighbour's update of this
    uint64_t ack_sequence;     //  epoch and sequence
    uint64_t snapack_owed;     //  Highest SNAPMARK of its not acked, or 0
    zlist_t *forwards;         //  SNAPs to pass on when the window opens
    int64_t now;               //  Of the last tick (for link events)
    bool went_down;            //  The link went down since the last tick
    int64_t resync_at;         //  When to ask for its records next, or 0
    int64_t resync_then;       //  And again at this later time, or 0
    bool owes_snapshot;        //  Updates for it were lost on a live link
    bool tree;                 //  Our broadcast is tree
    bool its_tree;             //  Its HELLO said tree
    uint64_t lazy[HERD_PEER_ORIGINS / 64];  //  By originator: sent IHAVEs,
                                            //  not ATs
    int64_t pruned_at[HERD_PEER_ORIGINS];   //  Our last PRUNE of each
    herd_wire_batch_t *ihave;               //  Updates to announce at ihave_at
    int64_t ihave_ms;
    int64_t ihave_at;
    herd_wire_batch_t *graft;      //  Updates to ask for at the next flush
    herd_stats_tree_t *tree_sent;  //  Borrowed, or NULL
};

//  Drop the SNAPs waiting to be passed on.
static void
s_drop_forwards (herd_peer_t *self)
{
    zmsg_t *msg;
    while (self->forwards && (msg = (zmsg_t *) zlist_pop (self->forwards)))
        zmsg_destroy (&msg);
}

//  The link went up or down (from herd_link_check, in herd_peer_tick).  Up:
//  ask the neighbour for what we lack, and for a HELLO back.
static void
s_on_link (void *arg, bool up)
{
    herd_peer_t *self = (herd_peer_t *) arg;
    memset (self->lazy, 0, sizeof (self->lazy));  //  A link starts eager
    if (up)
        herd_sync_hello (self->sync, true, self->now);
    else {
        herd_wire_batch_destroy (&self->ihave);
        herd_wire_batch_destroy (&self->graft);
        herd_sync_link_down (self->sync);
        self->went_down = true;
        self->owes_snapshot = false;  //  Its HELLO, when back, asks for it
        s_drop_forwards (self);
    }
}

//  Pass on the SNAPs waiting, in order, as far as the window lets.
static void
s_send_forwards (herd_peer_t *self, int64_t now_ms)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *) zlist_first (self->forwards))) {
        if (herd_sync_forward (self->sync, &msg, now_ms))
            return;
        zlist_pop (self->forwards);
    }
}

herd_peer_t *
herd_peer_new (const herd_peer_config_t *config)
{
    assert (config && config->table && config->log);
    herd_peer_t *self = (herd_peer_t *) zmalloc (sizeof (herd_peer_t));
    self->log = config->log;
    self->slot = config->slot;
    self->sent = config->sent;
    self->link = herd_link_new (
        config->name, config->neighbour, config->endpoint, config->timing,
        config->cert, config->server_key, config->log, s_on_link, self);
    if (!self->link) {
        herd_peer_destroy (&self);
        return NULL;
    }
    self->sync = herd_sync_new (self->link, config->table, config->epoch,
                                HERD_SYNC_WINDOW, config->log);
    self->tree = config->tree;
    self->tree_sent = config->tree_sent;
    self->ihave_ms = config->ihave_ms;
    herd_sync_set_tree (self->sync, config->tree);
    self->batch = herd_wire_batch_new ();
    self->forwards = zlist_new ();
    return self;
}

void
herd_peer_destroy (herd_peer_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_peer_t *self = *self_p;
        if (self->link)
            herd_peer_flush (self);
        herd_wire_batch_destroy (&self->batch);
        herd_wire_batch_destroy (&self->ihave);
        herd_wire_batch_destroy (&self->graft);
        s_drop_forwards (self);
        zlist_destroy (&self->forwards);
        herd_sync_destroy (&self->sync);
        herd_link_destroy (&self->link);
        free (self);
        *self_p = NULL;
    }
}

const char *
herd_peer_neighbour (herd_peer_t *self)
{
    assert (self);
    return herd_link_neighbour (self->link);
}

const char *
herd_peer_endpoint (herd_peer_t *self)
{
    assert (self);
    return herd_link_endpoint (self->link);
}

int
herd_peer_slot (herd_peer_t *self)
{
    assert (self);
    return self->slot;
}

herd_link_state_t
herd_peer_state (herd_peer_t *self)
{
    assert (self);
    return herd_link_state (self->link);
}

bool
herd_peer_up (herd_peer_t *self)
{
    assert (self);
    return herd_link_up (self->link);
}

//  Send a tree message of command (PRUNE, IHAVE, GRAFT) naming ids
//  updates; *msg_p is consumed.  Counted if the link took it.  Lost while
//  the link is down: it comes back eager, and catch-up brings what an
//  IHAVE named.  A PRUNE lost is said again (herd_peer_prune), a GRAFT
//  lost is asked again or lost (herd_tree).
static void
s_send_counted (herd_peer_t *self,
                herd_stats_tree_command_t command,
                zmsg_t **msg_p,
                size_t ids)
{
    size_t bytes = zmsg_content_size (*msg_p);
    if (herd_link_send (self->link, msg_p) == 0) {
        if (self->tree_sent) {
            self->tree_sent[command].messages++;
            self->tree_sent[command].bytes += bytes;
            self->tree_sent[command].ids += ids;
        }
    } else if (command == HERD_STATS_IHAVE && herd_link_up (self->link)) {
        //  Refused on a live link (its queue is full): what it named may
        //  reach that neighbour no other way, as for updates lost
        herd_log_printf (self->log, "error",
                         "announcements lost for %s: its queue is full (%zu "
                         "updates); it gets our records again",
                         herd_link_neighbour (self->link), ids);
        self->owes_snapshot = true;
    }
    zmsg_destroy (msg_p);
}

//  Send the IHAVE or GRAFT gathered, if any.
static void
s_send_ids (herd_peer_t *self, herd_stats_tree_command_t command)
{
    herd_wire_batch_t *batch =
        command == HERD_STATS_IHAVE ? self->ihave : self->graft;
    size_t ids = batch ? herd_wire_batch_count (batch) : 0;
    if (ids == 0)
        return;
    zmsg_t *msg = herd_wire_batch_take_as (
        batch, command == HERD_STATS_IHAVE ? "IHAVE" : "GRAFT");
    s_send_counted (self, command, &msg, ids);
}

bool
herd_peer_tick (herd_peer_t *self, int64_t now_ms)
{
    assert (self);
    self->now = now_ms;
    self->went_down = false;
    herd_link_check (self->link);
    if (now_ms >= self->ihave_at)
        s_send_ids (self, HERD_STATS_IHAVE);
    if (self->resync_at && now_ms >= self->resync_at) {
        self->resync_at = self->resync_then;
        self->resync_then = 0;
        //  Sent now, or when the link is up again (after its HELLO "1",
        //  which the neighbour may answer with nothing)
        herd_log_printf (self->log, "notice",
                         "link %s: asking for its records (a link went "
                         "down: what was stored meanwhile may not have "
                         "reached that neighbour)",
                         herd_link_neighbour (self->link));
        herd_sync_resync (self->sync, now_ms);
    }
    //  Updates it lost may have named it as holding them, so nobody else
    //  passes them on: it gets our whole table again, once a snapshot
    //  under way is done (one started now would restart forever under
    //  the load that filled its queue)
    if (self->owes_snapshot && !herd_sync_busy (self->sync)
        && herd_link_up (self->link)) {
        self->owes_snapshot = false;
        herd_sync_request (self->sync, true, now_ms);
    }
    //  Records passed on first: our own snapshot would take every window
    s_send_forwards (self, now_ms);
    if (herd_sync_busy (self->sync))
        herd_sync_tick (self->sync, now_ms);
    return self->went_down;
}

//  Each time asked for is covered by a request at it or later: the
//  earliest goes first, and the latest of the others after it.  So links
//  that keep going down cannot put it off for ever, nor pile requests up.
void
herd_peer_resync (herd_peer_t *self, int64_t at_ms)
{
    assert (self);
    if (!self->resync_at)
        self->resync_at = at_ms;
    else {
        int64_t later = at_ms > self->resync_at ? at_ms : self->resync_at;
        if (at_ms < self->resync_at)
            self->resync_at = at_ms;
        if (later > self->resync_at && later > self->resync_then)
            self->resync_then = later;
    }
}

//  Send the queued updates, if any.
static size_t
s_send_batch (herd_peer_t *self)
{
    size_t updates = herd_wire_batch_count (self->batch);
    if (updates == 0)
        return 0;
    zmsg_t *at = herd_wire_batch_take (self->batch);
    if (self->slot < 0)
        herd_wire_at_unacked (at);  //  No reply of ours waits for it
    //  Announcements due later ride along now: no message of their own
    size_t ids = self->ihave ? herd_wire_batch_count (self->ihave) : 0;
    size_t bytes = zmsg_content_size (at);
    if (ids)
        herd_wire_at_announce (at, self->ihave);
    size_t announced = zmsg_content_size (at) - bytes;
    if (herd_link_send (self->link, &at) == 0) {
        if (self->sent)
            *self->sent += updates;
        if (ids && self->tree_sent) {
            self->tree_sent[HERD_STATS_IHAVE].ids += ids;
            self->tree_sent[HERD_STATS_IHAVE].bytes += announced;
        }
        return updates;
    }
    //  Refused while the link is down: catch-up brings them
    if (herd_link_up (self->link)) {
        herd_log_printf (self->log, "error",
                         "update lost for %s: its queue is full (%zu "
                         "updates); it gets our records again",
                         herd_link_neighbour (self->link), updates);
        self->owes_snapshot = true;
    }
    return 0;
}

int
herd_peer_queue (herd_peer_t *self,
                 const char *originator,
                 uint64_t epoch,
                 uint64_t sequence,
                 const char *seen,
                 herd_span_t payload)
{
    assert (self);
    if (herd_wire_batch_add (self->batch, originator, epoch, sequence, seen,
                             payload.data, payload.size)) {
        herd_log_printf (self->log, "error",
                         "update lost for %s: it breaks the frame limits",
                         herd_link_neighbour (self->link));
        return -1;
    }
    //  Under load a turn floods hundreds: they go in a few messages
    if (herd_wire_batch_count (self->batch) >= HERD_PEER_BATCH
        || herd_wire_batch_bytes (self->batch) >= HERD_PEER_BATCH_BYTES)
        s_send_batch (self);
    return 0;
}

static void
s_send_ack (herd_peer_t *self)
{
    zmsg_t *ack = herd_wire_ack (herd_link_neighbour (self->link),
                                 self->ack_epoch, self->ack_sequence);
    herd_link_send (self->link, &ack);  //  Refused: the reply times out
    self->ack_owed = false;
}

void
herd_peer_owe_ack (herd_peer_t *self, uint64_t epoch, uint64_t sequence)
{
    assert (self);
    if (self->ack_owed && self->ack_epoch != epoch)
        s_send_ack (self);  //  It restarted meanwhile
    if (self->ack_owed && sequence <= self->ack_sequence)
        return;  //  Covered by the one owed
    self->ack_owed = true;
    self->ack_epoch = epoch;
    self->ack_sequence = sequence;
}

void
herd_peer_flush_ack (herd_peer_t *self)
{
    assert (self);
    if (self->ack_owed)
        s_send_ack (self);
}

size_t
herd_peer_flush (herd_peer_t *self)
{
    assert (self);
    if (self->ack_owed)
        s_send_ack (self);
    if (self->snapack_owed) {
        zmsg_t *ack = herd_wire_snapack (self->snapack_owed);
        herd_link_send (self->link, &ack);  //  Lost: the next one covers it
        self->snapack_owed = 0;
    }
    s_send_ids (self, HERD_STATS_GRAFT);
    return s_send_batch (self);
}

int
herd_peer_forward_snap (herd_peer_t *self, zmsg_t **msg_p, int64_t now_ms)
{
    assert (self && msg_p);
    if (!herd_link_up (self->link)) {
        zmsg_destroy (msg_p);
        return -1;  //  Catch-up when it is back brings them
    }
    if (zlist_size (self->forwards) == 0
        && herd_sync_forward (self->sync, msg_p, now_ms) == 0)
        return 0;
    //  It waits for the window, in order; past HERD_PEER_FORWARDS_MAX our
    //  whole table follows instead, once a snapshot under way is done (as
    //  for updates lost, herd_peer_tick)
    if (zlist_size (self->forwards) < HERD_PEER_FORWARDS_MAX) {
        zlist_append (self->forwards, *msg_p);
        *msg_p = NULL;
        return 0;
    }
    zmsg_destroy (msg_p);
    s_drop_forwards (self);
    self->owes_snapshot = true;
    return -1;
}

void
herd_peer_snapmark_received (herd_peer_t *self, uint64_t mark)
{
    assert (self);
    if (mark > self->snapack_owed)
        self->snapack_owed = mark;
}

void
herd_peer_snapack_received (herd_peer_t *self, uint64_t mark)
{
    assert (self);
    herd_sync_acked (self->sync, mark);
}

void
herd_peer_hello_received (herd_peer_t *self,
                          bool answer,
                          bool resync,
                          int64_t now_ms)
{
    assert (self);
    herd_sync_request (self->sync, resync, now_ms);
    //  Its link to us came up; ours to it may never have gone down (a
    //  frozen node, a one-sided break): ask it as well
    if (answer)
        herd_sync_hello (self->sync, false, now_ms);
}

void
herd_peer_hello (herd_peer_t *self, int64_t now_ms)
{
    assert (self);
    //  Both ways, whatever was sent since the link came up: it asks for
    //  its records again ("R"), and ours go unasked
    if (herd_link_up (self->link)) {
        herd_sync_resync (self->sync, now_ms);
        herd_sync_request (self->sync, true, now_ms);
    }
}

void
herd_peer_synced (herd_peer_t *self, uint64_t records)
{
    assert (self);
    herd_link_synced (self->link, records);
}

//  Set or clear origin's bit.
static void
s_set_lazy (herd_peer_t *self, int origin, bool lazy)
{
    if (origin < 0 || origin >= HERD_PEER_ORIGINS)
        return;
    uint64_t bit = 1ull << (origin % 64);
    if (lazy)
        self->lazy[origin / 64] |= bit;
    else
        self->lazy[origin / 64] &= ~bit;
}

bool
herd_peer_lazy (herd_peer_t *self, int origin)
{
    assert (self);
    return origin >= 0 && origin < HERD_PEER_ORIGINS
           && (self->lazy[origin / 64] >> (origin % 64)) & 1;
}

size_t
herd_peer_lazy_count (herd_peer_t *self)
{
    assert (self);
    size_t count = 0;
    for (size_t i = 0; i < HERD_PEER_ORIGINS / 64; i++)
        count += (size_t) __builtin_popcountll (self->lazy[i]);
    return count;
}

void
herd_peer_set_tree (herd_peer_t *self, bool tree)
{
    assert (self);
    self->its_tree = tree;
    //  It holds us eager for all since its link came up (or it reloaded):
    //  so do we, or a link it pruned again would never be told
    memset (self->lazy, 0, sizeof (self->lazy));
}

bool
herd_peer_prune (herd_peer_t *self, int origin, const char *originator)
{
    assert (self && originator);
    if (!self->tree || !self->its_tree || origin < 0
        || origin >= HERD_PEER_ORIGINS)
        return false;
    //  Already lazy: copies it sent before our PRUNE reached it.  Still
    //  copies a while later: our PRUNE was lost (a full queue), say it again
    if (herd_peer_lazy (self, origin)
        && self->now - self->pruned_at[origin] < HERD_PEER_PRUNE_AGAIN_MS)
        return false;
    self->pruned_at[origin] = self->now;
    s_set_lazy (self, origin, true);
    zmsg_t *prune = herd_wire_prune (originator);
    s_send_counted (self, HERD_STATS_PRUNE, &prune, 0);
    return true;
}

void
herd_peer_pruned (herd_peer_t *self, int origin)
{
    assert (self);
    //  A flood node sends every neighbour everything
    if (self->tree)
        s_set_lazy (self, origin, true);
}

void
herd_peer_grafted (herd_peer_t *self, int origin)
{
    assert (self);
    s_set_lazy (self, origin, false);
}

//  Add update to *batch_p (made when needed): an update with no seen set
//  and no payload, that names it.
static void
s_add_id (herd_wire_batch_t **batch_p,
          const char *originator,
          uint64_t epoch,
          uint64_t sequence)
{
    if (!*batch_p)
        *batch_p = herd_wire_batch_new ();
    herd_wire_batch_add (*batch_p, originator, epoch, sequence, "", "", 0);
}

void
herd_peer_announce (herd_peer_t *self,
                    const char *originator,
                    uint64_t epoch,
                    uint64_t sequence)
{
    assert (self && originator);
    if (!self->ihave || herd_wire_batch_count (self->ihave) == 0)
        self->ihave_at = self->now + self->ihave_ms;
    s_add_id (&self->ihave, originator, epoch, sequence);
    if (herd_wire_batch_count (self->ihave) >= HERD_PEER_BATCH)
        s_send_ids (self, HERD_STATS_IHAVE);
}

void
herd_peer_ask (herd_peer_t *self,
               int origin,
               const char *originator,
               uint64_t epoch,
               uint64_t sequence)
{
    assert (self && originator);
    s_set_lazy (self, origin, false);
    s_add_id (&self->graft, originator, epoch, sequence);
    if (herd_wire_batch_count (self->graft) >= HERD_PEER_BATCH)
        s_send_ids (self, HERD_STATS_GRAFT);
}

int
herd_peer_send (herd_peer_t *self, zmsg_t **msg_p)
{
    assert (self);
    return herd_link_send (self->link, msg_p);
}
