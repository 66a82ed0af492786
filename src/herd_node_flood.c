/*  herd_node - passing stored updates on to the neighbours: a flood, or a
    broadcast tree (proto/herd.md, section 3)  */

#include "herd_node_private.h"
#include "herd_flood.h"

//  An originator's number (herd_tree) is its bit in a peer's lazy set
_Static_assert(HERD_TREE_ORIGINATORS == HERD_PEER_ORIGINS,
               "herd_tree and herd_peer number originators alike");

//  Updates a neighbour announced and never sent ask it for its records
//  this long after, so that many give-ups make one request.
#define S_LOST_RESYNC_MS 250

//  Append name to the list list..end (HERD_NODE_NAMES_SIZE); returns the new end.
static char *
s_add_name (const char *list, char *end, const char *name)
{
    size_t size = strlen (name);
    size_t room = HERD_NODE_NAMES_SIZE - (size_t) (end - list);
    if (room < 5)
        return end;  //  "..." is there already
    if (size + 2 > room - 4) {
        strcpy (end, "...");
        return end + 3;
    }
    if (end > list)
        *end++ = ',';
    memcpy (end, name, size + 1);
    return end + size;
}

//  Does peer get the whole update of originator number origin (else an
//  IHAVE)?  Flooding, every neighbour does; on a tree, those eager for
//  origin, and for an update of ours (sender NULL) every neighbour our
//  client's reply waits for: those become the tree's first branches (a
//  copy from elsewhere then comes second, and prunes that other link).
static bool
s_eager (herd_node_t *self, herd_peer_t *peer, int origin, const char *sender)
{
    return !self->settings.tree || !herd_peer_lazy (peer, origin)
           || (!sender && herd_peer_slot (peer) >= 0);
}

//  The seen set we send names those we send to, so that they do not send
//  it to each other.  Flooding, it grows along the way; on a tree it names
//  only us and them (the tree, not the set, stops duplicates).
uint64_t
herd_node_flood (herd_node_t *self,
                 const char *originator,
                 uint64_t epoch,
                 uint64_t sequence,
                 herd_span_t seen,
                 herd_span_t payload,
                 const char *sender,
                 char *tx,
                 char *down)
{
    const char *names[HERD_TOPO_NODES_MAX + 1];
    bool target[HERD_TOPO_NODES_MAX] = {false};
    bool eager[HERD_TOPO_NODES_MAX] = {false};
    size_t count = 0;
    names[count++] = self->name;
    int origin = self->settings.tree
                     ? herd_tree_originator (self->tree, originator)
                     : -1;
    for (size_t i = 0; i < self->peer_count; i++) {
        herd_peer_t *peer = self->peers[i];
        const char *neighbour = herd_peer_neighbour (peer);
        target[i] = herd_flood_forward_to (seen, sender, neighbour);
        eager[i] = target[i] && s_eager (self, peer, origin, sender);
        if (eager[i] && herd_peer_up (peer))
            names[count++] = neighbour;
    }
    herd_span_t none = {"", 0};
    char *next_seen =
        herd_flood_next_seen (self->settings.tree ? none : seen, names, count);
    if (self->settings.tree) {
        //  One from a neighbour was noted as it came (herd_node_tree_receive)
        if (!sender)
            herd_tree_receive (self->tree, originator, epoch, sequence, NULL);
        herd_tree_keep (self->tree, originator, epoch, sequence, payload);
    }
    uint64_t waiting = 0;
    char *tx_end = tx, *down_end = down;
    *tx = *down = 0;
    for (size_t i = 0; i < self->peer_count; i++) {
        herd_peer_t *peer = self->peers[i];
        if (!target[i])
            continue;
        if (!eager[i]) {
            herd_peer_announce (peer, originator, epoch, sequence);
            continue;
        }
        //  Queued even when the link looks down: its socket events are read
        //  every few milliseconds, and a send it refuses costs nothing
        //  (catch-up brings the neighbour what it missed)
        herd_peer_queue (peer, originator, epoch, sequence, next_seen, payload);
        if (herd_peer_up (peer)) {
            tx_end = s_add_name (tx, tx_end, herd_peer_neighbour (peer));
            if (herd_peer_slot (peer) >= 0)
                waiting |= 1ull << herd_peer_slot (peer);
        } else
            down_end = s_add_name (down, down_end, herd_peer_neighbour (peer));
    }
    if (tx_end == tx)
        strcpy (tx, "-");
    free (next_seen);
    return waiting;
}

bool
herd_node_tree_receive (herd_node_t *self,
                        herd_peer_t *peer,
                        const char *originator,
                        uint64_t epoch,
                        uint64_t sequence)
{
    const char *sender = herd_peer_neighbour (peer);
    if (!self->settings.tree
        || !herd_tree_receive (self->tree, originator, epoch, sequence, sender))
        return false;
    //  A second copy: that link is redundant for originator's tree.  But
    //  a copy straight from the originator is never: it sends us its own
    //  updates whole while its replies wait for us, so the link that
    //  brought the first copy is the one to prune
    if (streq (sender, originator)) {
        const char *first =
            herd_tree_first_from (self->tree, originator, epoch, sequence);
        herd_span_t name = {first, first ? strlen (first) : 0};
        herd_peer_t *other =
            first && *first ? (herd_peer_t *) herd_node_find_peer (self, name)
                            : NULL;
        if (!other || other == peer)
            return true;  //  Who it was is not known any more: wait
        peer = other;
    }
    if (herd_peer_prune (peer, herd_tree_originator (self->tree, originator),
                         originator))
        herd_log_printf (self->log, "info", "tree prune to=%s originator=%s",
                         herd_peer_neighbour (peer), originator);
    return true;
}

void
herd_node_tree_ask (void *arg,
                    void *peer,
                    const char *originator,
                    uint64_t epoch,
                    uint64_t sequence)
{
    herd_node_t *self = (herd_node_t *) arg;
    herd_peer_ask ((herd_peer_t *) peer,
                   herd_tree_originator (self->tree, originator), originator,
                   epoch, sequence);
}

void
herd_node_tree_lost (void *arg, void *peer)
{
    herd_node_t *self = (herd_node_t *) arg;
    herd_log_printf (self->log, "info",
                     "tree: updates %s announced never came; asking it for "
                     "its records",
                     herd_peer_neighbour ((herd_peer_t *) peer));
    //  At most one request in S_LOST_RESYNC_MS, however many give up
    herd_peer_resync ((herd_peer_t *) peer, zclock_mono () + S_LOST_RESYNC_MS);
}

void
herd_node_tree_tick (herd_node_t *self, int64_t now)
{
    size_t asked = herd_tree_expire (self->tree, now);
    if (asked)
        herd_log_printf (self->log, "info", "tree graft asked=%zu missing=%zu",
                         asked, herd_tree_missing (self->tree));
    self->stats.grafts_given_up = herd_tree_given_up (self->tree);
}

//  The updates an IHAVE or GRAFT names, each as originator, epoch and
//  sequence: fn for each that names a node of ours.  Those that do not
//  are dropped, and so is the rest of a malformed message (proto/herd.md,
//  section 2): logged and counted.  Returns how many went to fn.
typedef void (s_id_fn) (herd_node_t *self,
                        herd_peer_t *peer,
                        const char *originator,
                        uint64_t epoch,
                        uint64_t sequence);

//  A refusal of what peer sent: counted, logged.
static void
s_refuse (herd_node_t *self,
          herd_peer_t *peer,
          herd_wire_t *wire,
          const char *what)
{
    self->stats.refused++;
    herd_log_printf (self->log, "warning",
                     "%.*s from %s: %s; %" PRIu64 " refused so far",
                     (int) wire->name.size, wire->name.data,
                     herd_peer_neighbour (peer), what, self->stats.refused);
}

static size_t
s_each_id (herd_node_t *self, herd_peer_t *peer, herd_wire_t *wire, s_id_fn *fn)
{
    size_t taken = 0, strangers = 0;
    for (size_t index = 0; index < wire->count; index++) {
        const char *reason = NULL;
        if (index > 0 && herd_wire_next_update (wire, index, &reason) == -1) {
            char what[128];
            snprintf (what, sizeof (what),
                      "dropped from the %zuth of %zu on: %s", index + 1,
                      (size_t) wire->count, reason);
            s_refuse (self, peer, wire, what);
            break;
        }
        char originator[HERD_WIRE_NAME_MAX + 1];
        memcpy (originator, wire->originator.data, wire->originator.size);
        originator[wire->originator.size] = 0;
        if (herd_topo_node_index (self->topo, originator) < 0)
            strangers++;
        else {
            fn (self, peer, originator, wire->epoch, wire->sequence);
            taken++;
        }
    }
    if (strangers) {
        char what[64];
        snprintf (what, sizeof (what), "%zu updates of no node of ours dropped",
                  strangers);
        s_refuse (self, peer, wire, what);
    }
    return taken;
}

static void
s_announced (herd_node_t *self,
             herd_peer_t *peer,
             const char *originator,
             uint64_t epoch,
             uint64_t sequence)
{
    herd_tree_announced (self->tree, peer, originator, epoch, sequence,
                         zclock_mono ());
}

//  A GRAFT asks for an update we stored: it goes as an AT, that names us
//  alone as holding it.
static void
s_asked (herd_node_t *self,
         herd_peer_t *peer,
         const char *originator,
         uint64_t epoch,
         uint64_t sequence)
{
    herd_span_t payload;
    herd_peer_grafted (peer, herd_tree_originator (self->tree, originator));
    if (herd_tree_find (self->tree, originator, epoch, sequence, self->grafts,
                        &payload))
        herd_peer_queue (peer, originator, epoch, sequence, self->name,
                         payload);
    else
        self->stats.grafts_missed++;
}

void
herd_node_tree_announced (herd_node_t *self,
                          herd_peer_t *peer,
                          herd_wire_t *wire)
{
    const char *reason = NULL;
    int rc = herd_wire_announced (wire, &reason);
    if (rc == 1)
        s_each_id (self, peer, wire, s_announced);
    else if (rc == -1) {
        char what[96];
        snprintf (what, sizeof (what), "the ids it announces dropped: %s",
                  reason);
        s_refuse (self, peer, wire, what);
    }
}

void
herd_node_tree_message (herd_node_t *self, herd_peer_t *peer, herd_wire_t *wire)
{
    const char *neighbour = herd_peer_neighbour (peer);
    switch (wire->command) {
        case HERD_WIRE_PRUNE: {
            char originator[HERD_WIRE_NAME_MAX + 1];
            memcpy (originator, wire->originator.data, wire->originator.size);
            originator[wire->originator.size] = 0;
            if (herd_topo_node_index (self->topo, originator) < 0) {
                s_refuse (self, peer, wire, "of no node of ours: dropped");
                break;
            }
            herd_peer_pruned (peer,
                              herd_tree_originator (self->tree, originator));
            herd_log_printf (self->log, "info",
                             "tree prune from=%s originator=%s", neighbour,
                             originator);
            break;
        }
        case HERD_WIRE_IHAVE:
            //  A node of a flood herd never hears of what it lacks: it has
            //  no lazy neighbour
            s_each_id (self, peer, wire, s_announced);
            break;
        case HERD_WIRE_GRAFT: {
            uint64_t missed = self->stats.grafts_missed;
            self->grafts++;  //  Each update it names goes once
            size_t ids = s_each_id (self, peer, wire, s_asked);
            herd_log_printf (
                self->log, "info", "tree graft from=%s ids=%zu missed=%" PRIu64,
                neighbour, ids, self->stats.grafts_missed - missed);
            break;
        }
        default:
            break;
    }
}
