/*  herd_node - herd messages, and the neighbours' peers (proto/herd.md)  */

#include "herd_node_private.h"
#include "herd_keys.h"
#include "herd_msg.h"

#include <time.h>

//  The peer of neighbour name, or NULL (herd_inbox_find_fn).  O(neighbours).
static bool
s_is_node (herd_node_t *self, herd_span_t name)
{
    char text[HERD_WIRE_NAME_MAX + 1];
    if (name.size > HERD_WIRE_NAME_MAX)
        return false;
    memcpy (text, name.data, name.size);
    text[name.size] = 0;
    return herd_topo_node_index (self->topo, text) >= 0;
}

//  What the metrics page and the stats record read rather than count.
void
herd_node_gauges (herd_node_t *self,
                  herd_stats_gauges_t *gauges,
                  herd_stats_link_t *links)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        links[i].neighbour = herd_peer_neighbour (self->peers[i]);
        links[i].state = herd_peer_state (self->peers[i]);
        links[i].lazy = herd_peer_lazy_count (self->peers[i]);
    }
    herd_stats_gauges_t made = {
        self->name,
        herd_front_connections (self->front),
        herd_front_accepted (self->front),
        herd_table_size (self->table),
        herd_table_evicted (self->table),
        links,
        self->peer_count,
    };
    *gauges = made;
}

//  The inbox asks who sent a message.
void *
herd_node_find_peer (void *arg, herd_span_t name)
{
    herd_node_t *self = (herd_node_t *) arg;
    for (size_t i = 0; i < self->peer_count; i++) {
        const char *neighbour = herd_peer_neighbour (self->peers[i]);
        if (strlen (neighbour) == name.size
            && memcmp (neighbour, name.data, name.size) == 0)
            return self->peers[i];
    }
    return NULL;
}

//  The inbox refused a message from name, no neighbour of ours.  A node of
//  the herd (its topology older than ours) still names us in the seen sets
//  of what it sends its other neighbours, who then do not pass it on to
//  us: we ask them for their records soon.
void
herd_node_on_stranger (void *arg, herd_span_t name)
{
    herd_node_t *self = (herd_node_t *) arg;
    char text[HERD_WIRE_NAME_MAX + 1];
    if (name.size > HERD_WIRE_NAME_MAX)
        return;
    memcpy (text, name.data, name.size);
    text[name.size] = 0;
    if (herd_topo_node_index (self->topo, text) >= 0)
        herd_node_resync_others (self, text, NULL, zclock_mono ());
}

//  One update of an AT from peer: vetted, stored if newer, flooded on.
static void
s_update (herd_node_t *self, herd_peer_t *peer, herd_wire_t *wire)
{
    struct timespec taken;  //  For the record, written once it is flooded
    clock_gettime (CLOCK_REALTIME, &taken);
    const char *sender = herd_peer_neighbour (peer);
    herd_msg_t at;
    const char *reason = NULL;
    if (!s_is_node (self, wire->originator))
        reason = "unknown originator";
    else if (herd_msg_parse_at (&at, wire->payload.data, wire->payload.size,
                                &reason)
                 == 0
             && (at.node.size != wire->originator.size
                 || memcmp (at.node.data, wire->originator.data, at.node.size)))
        reason = "AT line names another originator";
    if (reason) {
        self->stats.refused++;
        herd_log_printf (self->log, "warning",
                         "update from %s dropped: %s; %" PRIu64
                         " refused so far",
                         sender, reason, self->stats.refused);
        return;
    }
    char originator[HERD_WIRE_NAME_MAX + 1];
    memcpy (originator, wire->originator.data, wire->originator.size);
    originator[wire->originator.size] = 0;
    //  The originator may be holding its client's reply for this: it is
    //  owed an ACK (proto/herd.md, section 4)
    if (streq (originator, sender) && !wire->unacked)
        herd_peer_owe_ack (peer, wire->epoch, wire->sequence);
    herd_node_tree_receive (self, peer, originator, wire->epoch,
                            wire->sequence);
    bool stored = herd_table_offer (self->table, &at, wire->payload.data,
                                    wire->payload.size);
    self->stats.updates[HERD_STATS_HERD][stored ? 0 : 1]++;
    char tx[HERD_NODE_NAMES_SIZE], down[HERD_NODE_NAMES_SIZE];
    strcpy (tx, "-");
    *down = 0;
    if (stored)
        herd_node_flood (self, originator, wire->epoch, wire->sequence,
                         wire->seen, wire->payload, sender, tx, down);
    //  One record per update taken: what came, from whom, and where it went
    if (herd_log_enabled (self->log, "info")) {
        char client[HERD_LOG_QUOTE_SIZE];
        herd_log_quote (client, at.client_id.data, at.client_id.size);
        herd_log_printf_at (self->log, &taken, "info",
                            "update %s from=%s originator=%s seq=%" PRIu64
                            " client=%s seen=%.*s tx=%s%s%s",
                            stored ? "stored" : "stale", sender, originator,
                            wire->sequence, client, (int) wire->seen.size,
                            wire->seen.data, tx, *down ? " down=" : "", down);
    }
}

//  Every update of an AT message, in order (proto/herd.md, section 2).
static void
s_updates (herd_node_t *self, herd_peer_t *peer, herd_wire_t *wire)
{
    size_t count = wire->count;
    for (size_t index = 0; index < count; index++) {
        const char *reason = NULL;
        if (index > 0 && herd_wire_next_update (wire, index, &reason) == -1) {
            self->stats.refused++;
            herd_log_printf (self->log, "warning",
                             "updates from %s dropped from the %zuth of %zu "
                             "on: %s; %" PRIu64 " refused so far",
                             herd_peer_neighbour (peer), index + 1, count,
                             reason, self->stats.refused);
            return;
        }
        self->stats.taken++;
        s_update (self, peer, wire);
    }
}

//  A batch of records from a neighbour's snapshot (or passed on by it):
//  each applied newest-wins; those stored go on, as one batch, to every
//  other neighbour (proto/herd.md, section 5).
static void
s_snap (herd_node_t *self, herd_peer_t *from, zmsg_t *msg)
{
    zmsg_t *forward = herd_wire_snap ();
    size_t records = 0, stored = 0, refused = 0;
    herd_span_t record;
    for (bool more = herd_wire_first_record (msg, &record); more;
         more = herd_wire_next_record (msg, &record)) {
        records++;
        herd_msg_t at;
        if (record.size > HERD_WIRE_PAYLOAD_MAX
            || herd_msg_parse_at (&at, record.data, record.size, NULL)
            || !s_is_node (self, at.node)) {
            refused++;
            continue;
        }
        if (herd_table_offer (self->table, &at, record.data, record.size)) {
            herd_wire_snap_add (forward, record.data, record.size);
            stored++;
        }
    }
    self->stats.refused += refused;
    self->stats.updates[HERD_STATS_HERD][HERD_STATS_STORED] += stored;
    self->stats.updates[HERD_STATS_HERD][HERD_STATS_STALE] +=
        records - stored - refused;
    herd_log_printf (self->log, refused ? "warning" : "info",
                     "snap rx from=%s records=%zu stored=%zu refused=%zu",
                     herd_peer_neighbour (from), records, stored, refused);
    int64_t now = zclock_mono ();
    for (size_t i = 0; stored && i < self->peer_count; i++) {
        herd_peer_t *peer = self->peers[i];
        if (peer == from)
            continue;
        zmsg_t *copy = zmsg_dup (forward);
        if (herd_peer_forward_snap (peer, &copy, now))
            herd_log_printf (self->log, "info", "snap not passed on to %s: %s",
                             herd_peer_neighbour (peer),
                             herd_peer_up (peer)
                                 ? "its window is full; our records follow"
                                 : "link down");
    }
    zmsg_destroy (&forward);
}

//  A message from a neighbour, vetted by the inbox (herd_inbox_message_fn).
void
herd_node_on_message (void *arg,
                      void *neighbour,
                      herd_wire_t *wire,
                      zmsg_t *msg)
{
    herd_node_t *self = (herd_node_t *) arg;
    herd_peer_t *peer = (herd_peer_t *) neighbour;
    switch (wire->command) {
        case HERD_WIRE_AT:
            s_updates (self, peer, wire);
            herd_node_tree_announced (self, peer, wire);
            break;
        case HERD_WIRE_ACK:
            //  A neighbour holds an update of ours (not one of a previous
            //  life of ours)
            if (wire->epoch == self->epoch
                && wire->originator.size == strlen (self->name)
                && memcmp (wire->originator.data, self->name,
                           wire->originator.size)
                       == 0
                && herd_peer_slot (peer) >= 0)
                herd_ack_receive (self->acks, wire->sequence,
                                  (size_t) herd_peer_slot (peer));
            break;
        case HERD_WIRE_HELLO:
            herd_log_printf (self->log, "info",
                             "hello rx from=%s epoch=%" PRIu64 " answer=%s",
                             herd_peer_neighbour (peer), wire->epoch,
                             wire->resync   ? "R"
                             : wire->answer ? "1"
                                            : "0");
            herd_peer_set_tree (peer, wire->tree);
            herd_peer_hello_received (peer, wire->answer, wire->resync,
                                      zclock_mono ());
            break;
        case HERD_WIRE_SNAPMARK:
            herd_peer_snapmark_received (peer, wire->sequence);
            break;
        case HERD_WIRE_SNAPACK:
            herd_peer_snapack_received (peer, wire->sequence);
            break;
        case HERD_WIRE_SNAP:
            s_snap (self, peer, msg);
            break;
        case HERD_WIRE_SNAPEND:
            herd_peer_synced (peer, wire->count);
            break;
        case HERD_WIRE_PRUNE:
        case HERD_WIRE_IHAVE:
        case HERD_WIRE_GRAFT:
            herd_node_tree_message (self, peer, wire);
            break;
        case HERD_WIRE_OTHER:
            herd_log_bytes (self->log, "info", "ignored newer command",
                            wire->name.data, wire->name.size);
            break;
    }
}

//  ---------------------------------------------------------------------
//  Links that go down

//  After a link goes down, the other neighbours are asked for their
//  records once its far end has noticed, and this much later.
#define S_RESYNC_SLACK_MS 1000

//  How long after we found a link to neighbour down it has surely found
//  its own link to us down too: it drops a link its timeout after it last
//  heard us, and we heard it at least once per heartbeat of ours, so at
//  most its timeout and heartbeat less our timeout and heartbeat later
//  (each node may have its own settings; proto/herd.md, section 5).
static int64_t
s_resync_delay (herd_node_t *self, const char *neighbour)
{
    int index = herd_topo_node_index (self->topo, neighbour);
    //  A neighbour no longer in the topology: as if it had our settings
    int64_t theirs =
        self->settings.link.timeout_ms + self->settings.link.heartbeat_ms;
    if (index >= 0)
        theirs =
            herd_topo_number (self->topo, (size_t) index, "link_timeout_ms")
            + herd_topo_number (self->topo, (size_t) index,
                                "link_heartbeat_ms");
    int64_t ours =
        self->settings.link.timeout_ms - self->settings.link.heartbeat_ms;
    return (theirs > ours ? theirs - ours : 0) + S_RESYNC_SLACK_MS;
}

//  The link to neighbour went down, or was closed: while it was dead but
//  not yet known to be, both ends named each other in the seen sets of
//  what they stored, so the rest of the herd did not pass that on.  Ask
//  every other neighbour (except skip, or none) for its records once the
//  far end must have noticed too.
void
herd_node_resync_others (herd_node_t *self,
                         const char *neighbour,
                         const herd_peer_t *skip,
                         int64_t now)
{
    int64_t at = now + s_resync_delay (self, neighbour);
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers[i] != skip)
            herd_peer_resync (self->peers[i], at);
}

//  The link of peer went down (herd_node_private.h).
void
herd_node_peer_down (herd_node_t *self, herd_peer_t *peer, int64_t now)
{
    if (herd_peer_slot (peer) >= 0)
        herd_ack_forget (self->acks, (size_t) herd_peer_slot (peer));
    herd_tree_forget (self->tree, peer);
    herd_node_resync_others (self, herd_peer_neighbour (peer), peer, now);
}

//  ---------------------------------------------------------------------
//  The neighbours' peers

//  A peer for node other of topo, or NULL having said why (on stderr and
//  in the log).  It takes the lowest free held-reply slot.
static herd_peer_t *
s_new_peer (herd_node_t *self, herd_topo_t *topo, size_t other)
{
    const char *neighbour = herd_topo_node_name (topo, other);
    const char *directory = self->settings.keys_dir;
    zcert_t *cert = herd_inbox_cert (self->inbox);
    char *key = NULL;
    if (cert && !(key = herd_keys_public (directory, neighbour))) {
        fprintf (stderr, "herd: %s: no public key %s/%s.key\n", self->name,
                 directory, neighbour);
        herd_log_printf (self->log, "error", "no public key %s/%s.key",
                         directory, neighbour);
        return NULL;
    }
    //  Replies that wait for nobody (reply_after = store, or no hold)
    //  take no slot, and their ATs ask for no ACK
    bool waits = !self->settings.reply_at_store && self->settings.ack_hold_ms;
    int slot = waits ? 0 : HERD_ACK_LINKS_MAX;
    while (slot < HERD_ACK_LINKS_MAX && (self->slots >> slot) & 1)
        slot++;
    herd_peer_config_t config = {
        self->name,
        neighbour,
        herd_topo_herd_endpoint (topo, other),
        &self->settings.link,
        cert,
        key,
        slot < HERD_ACK_LINKS_MAX ? slot : -1,
        self->epoch,
        self->table,
        self->log,
        &self->stats.sent,
        self->settings.tree,
        self->settings.ihave_ms,
        self->stats.tree,
    };
    herd_peer_t *peer = herd_peer_new (&config);
    free (key);
    if (peer && slot < HERD_ACK_LINKS_MAX)
        self->slots |= 1ull << slot;
    return peer;
}

//  Close a neighbour's peer: replies held for it wait no more.
static void
s_close_peer (herd_node_t *self, herd_peer_t **peer_p)
{
    int slot = herd_peer_slot (*peer_p);
    if (slot >= 0) {
        herd_ack_forget (self->acks, (size_t) slot);
        self->slots &= ~(1ull << slot);
    }
    herd_tree_forget (self->tree, *peer_p);
    herd_peer_destroy (peer_p);
}

//  The peers of the neighbours of node index of topo: those of peers
//  (count of them) that stay (same name, same endpoint) are taken from it
//  (set to NULL there), the others made.  Returns the new array, of
//  *linked peers, *kept of them taken from peers.  A neighbour whose peer
//  cannot be made is left out.
static herd_peer_t **
s_link (herd_node_t *self,
        herd_topo_t *topo,
        size_t index,
        herd_peer_t **peers,
        size_t count,
        size_t *linked,
        size_t *kept)
{
    size_t neighbours = herd_topo_neighbour_count (topo, index);
    herd_peer_t **next =
        (herd_peer_t **) zmalloc ((neighbours + 1) * sizeof (void *));
    *linked = *kept = 0;
    for (size_t n = 0; n < neighbours; n++) {
        size_t other = herd_topo_neighbour (topo, index, n);
        const char *name = herd_topo_node_name (topo, other);
        const char *endpoint = herd_topo_herd_endpoint (topo, other);
        herd_peer_t *peer = NULL;
        for (size_t i = 0; i < count && !peer; i++)
            if (peers[i] && streq (herd_peer_neighbour (peers[i]), name)
                && streq (herd_peer_endpoint (peers[i]), endpoint)) {
                peer = peers[i];
                peers[i] = NULL;
                (*kept)++;
            }
        if (peer || (peer = s_new_peer (self, topo, other)))
            next[(*linked)++] = peer;
    }
    return next;
}

//  Is peer's neighbour a neighbour of node index of topo, at the same
//  endpoint?  O(neighbours).
static bool
s_stays (herd_peer_t *peer, herd_topo_t *topo, size_t index)
{
    for (size_t n = 0; n < herd_topo_neighbour_count (topo, index); n++) {
        size_t other = herd_topo_neighbour (topo, index, n);
        if (streq (herd_peer_neighbour (peer),
                   herd_topo_node_name (topo, other))
            && streq (herd_peer_endpoint (peer),
                      herd_topo_herd_endpoint (topo, other)))
            return true;
    }
    return false;
}

int
herd_node_link (herd_node_t *self, size_t index)
{
    size_t kept;
    self->peers =
        s_link (self, self->topo, index, NULL, 0, &self->peer_count, &kept);
    return self->peer_count == herd_topo_neighbour_count (self->topo, index)
               ? 0
               : -1;
}

//  Every link then says HELLO, so that what either side missed flows both
//  ways (proto/topology.md, Reloading).
void
herd_node_relink (herd_node_t *self, herd_topo_t *next, size_t index)
{
    //  Peers that go are closed first: their held-reply slots are free
    //  for the new ones
    size_t linked, kept, removed = 0;
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < self->peer_count; i++)
        if (!s_stays (self->peers[i], next, index)) {
            const char *neighbour = herd_peer_neighbour (self->peers[i]);
            herd_log_printf (self->log, "notice", "link closed %s", neighbour);
            //  What it sent the others until its topology is ours too
            //  named us: they are asked for their records
            herd_node_resync_others (self, neighbour, self->peers[i], now);
            s_close_peer (self, &self->peers[i]);
            removed++;
        }
    herd_peer_t **peers = s_link (self, next, index, self->peers,
                                  self->peer_count, &linked, &kept);
    free (self->peers);
    self->peers = peers;
    self->peer_count = linked;
    for (size_t i = 0; i < self->peer_count; i++)
        herd_peer_hello (self->peers[i], now);
    herd_log_printf (self->log, "notice",
                     "topology reloaded: %zu nodes, links kept=%zu added=%zu "
                     "removed=%zu",
                     herd_topo_node_count (next), kept, linked - kept, removed);
}
