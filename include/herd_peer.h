/*  herd_peer - one neighbour: its link (a DEALER), the updates queued for
    it, the ACK we owe it, its share of the held replies, and our catch-up
    with it, created and destroyed as one

    The model is zyre's zyre_peer.  The node finds a neighbour's peer by
    name, queues updates and owes ACKs while it handles a turn's input, and
    flushes every peer at the end of the turn (one AT message per
    neighbour for the whole turn, one cumulative ACK).  The node ticks
    every peer every HERD_PEER_TICK_MS: the link's socket events are read
    (a link that comes up says HELLO, one that goes down restarts the
    snapshot under way) and catch-up advances.  Owned by herd_node; the
    table, the log and the certificate are borrowed.  */

#ifndef HERD_PEER_H_INCLUDED
#define HERD_PEER_H_INCLUDED

#include "herd_link.h"
#include "herd_log.h"
#include "herd_msg.h"
#include "herd_stats.h"
#include "herd_table.h"

//  The node ticks its peers this often.
#define HERD_PEER_TICK_MS 5
//  A peer's queued updates go out at once past this many, or bytes.
#define HERD_PEER_BATCH       256
#define HERD_PEER_BATCH_BYTES (64 * 1024)
//  SNAPs passed on that wait for the snapshot window, at most (4 MiB).
#define HERD_PEER_FORWARDS_MAX 64

typedef struct _herd_peer_t herd_peer_t;

//  Who the neighbour is and how to reach it.  Copied by herd_peer_new.
typedef struct {
    const char *name;                  //  Our node name, the link's routing id
    const char *neighbour;             //  Its node name
    const char *endpoint;              //  Its herd endpoint
    const herd_link_timing_t *timing;  //  Link settings (copied), or NULL
    zcert_t *cert;           //  Ours for CURVE (borrowed), or NULL: plain
    const char *server_key;  //  The neighbour's public key (Z85), or NULL
    int slot;                //  Its bit in held-reply masks (herd_ack), or
                             //  -1 if replies do not wait for it
    uint64_t epoch;          //  Our boot epoch, in HELLOs
    herd_table_t *table;     //  Ours, for snapshots (borrowed)
    herd_log_t *log;         //  Borrowed
    uint64_t *sent;          //  Counts every update sent (borrowed), or NULL
    bool tree;               //  Our broadcast is tree (else flood)
    int64_t ihave_ms;        //  IHAVEs go at most this often (tree)
    herd_stats_tree_t *tree_sent;  //  Counts tree messages sent, by
                                   //  herd_stats_tree_command_t (borrowed,
                                   //  HERD_STATS_TREE_COMMANDS), or NULL
} herd_peer_config_t;

//  Create a peer; its link connects at once and retries by itself.
//  Returns NULL on failure (logged).
herd_peer_t *herd_peer_new (const herd_peer_config_t *config);

//  Send what is queued (best effort), close the link and free everything;
//  accepts NULL, sets *self_p to NULL.
void herd_peer_destroy (herd_peer_t **self_p);

//  The neighbour's name and herd endpoint, valid while the peer lives.
const char *herd_peer_neighbour (herd_peer_t *self);
const char *herd_peer_endpoint (herd_peer_t *self);

//  Its bit in held-reply masks, or -1.
int herd_peer_slot (herd_peer_t *self);

//  State of its link, and whether it is up (up or synced).
herd_link_state_t herd_peer_state (herd_peer_t *self);
bool herd_peer_up (herd_peer_t *self);

//  Read the link's socket events and advance catch-up.  Returns whether
//  the link went down meanwhile.
bool herd_peer_tick (herd_peer_t *self, int64_t now_ms);

//  Ask the neighbour for its records (a HELLO that wants no HELLO back) at
//  the first tick from at_ms, if the link is up then.  Every time asked
//  for is covered by a request at it or later, with at most two pending.
//  The node does so when another link goes down (proto/herd.md, 5).
void herd_peer_resync (herd_peer_t *self, int64_t at_ms);

//  Queue an update for the neighbour: it goes out at herd_peer_flush, or
//  now if the queue is full.  Returns 0, or -1 if it breaks the frame
//  limits (herd_wire; logged, and not sent).
int herd_peer_queue (herd_peer_t *self,
                     const char *originator,
                     uint64_t epoch,
                     uint64_t sequence,
                     const char *seen,
                     herd_span_t payload);

//  The neighbour sent us an update it originated (epoch, sequence): it is
//  owed an ACK, sent at herd_peer_flush; the highest of a turn covers the
//  others (proto/herd.md, section 4).
void herd_peer_owe_ack (herd_peer_t *self, uint64_t epoch, uint64_t sequence);

//  End of a turn: send the ACK owed and the updates queued.  Returns how
//  many updates went out (counted in config's sent too, as are those a
//  full queue sent at once).
size_t herd_peer_flush (herd_peer_t *self);

//  Send the ACK owed now, if any (herd_peer_flush would send it): a node
//  sends every neighbour's ACK before any update, since a client's reply
//  waits for it.
void herd_peer_flush_ack (herd_peer_t *self);

//  The neighbour said HELLO: send it our snapshot (unless one began since
//  the link came up and it did not say resync), and a HELLO back if it
//  asks (answer).
void herd_peer_hello_received (herd_peer_t *self,
                               bool answer,
                               bool resync,
                               int64_t now_ms);

//  Pass on records we stored from another neighbour's snapshot (a SNAP;
//  *msg_p is consumed), within the window of snapshot batches that this
//  one has not acked: now, or in order as the window opens.  Returns 0,
//  or -1 if it will not be sent: the link is down (catch-up brings it), or
//  HERD_PEER_FORWARDS_MAX wait already (then our whole table follows,
//  once a snapshot under way is done).
int herd_peer_forward_snap (herd_peer_t *self, zmsg_t **msg_p, int64_t now_ms);

//  The neighbour sent SNAPMARK mark: it is owed a SNAPACK of the highest,
//  sent at herd_peer_flush.
void herd_peer_snapmark_received (herd_peer_t *self, uint64_t mark);

//  The neighbour acked our snapshot's batches up to mark: more may go.
void herd_peer_snapack_received (herd_peer_t *self, uint64_t mark);

//  After a reload, if the link is up: ask the neighbour for its records
//  again (HELLO "R") and send it ours, so that what either missed flows
//  both ways whatever was sent since the link came up.
void herd_peer_hello (herd_peer_t *self, int64_t now_ms);

//  The neighbour's snapshot came in full (records long): synced.
void herd_peer_synced (herd_peer_t *self, uint64_t records);

//  ---------------------------------------------------------------------
//  The broadcast tree (proto/herd.md, section 3).  Each originator's
//  updates travel on a tree of their own (its number: herd_tree).  For
//  each, a peer is eager (sent whole ATs) or lazy (sent IHAVEs of what we
//  stored, every ihave_ms).  It is eager for all when its link comes up;
//  only a tree node makes a tree peer lazy.  origin is the originator's
//  number, 0 to HERD_PEER_ORIGINS - 1 (else: eager).

#define HERD_PEER_ORIGINS 256
//  A neighbour lazy for an originator that still sends its updates whole
//  this long after our PRUNE is sent PRUNE again.
#define HERD_PEER_PRUNE_AGAIN_MS 1000

//  Is it lazy for origin's updates?  For how many originators is it?
bool herd_peer_lazy (herd_peer_t *self, int origin);
size_t herd_peer_lazy_count (herd_peer_t *self);

//  It said HELLO, with its broadcast (tree or flood): it is eager for
//  every originator (as it holds us since its link came up); a flood
//  neighbour stays so.
void herd_peer_set_tree (herd_peer_t *self, bool tree);

//  It sent us an update of originator (number origin) we had already: if
//  we are a tree node and it is a tree node, it becomes lazy for origin
//  and is sent PRUNE, unless it was lazy for it already and our last PRUNE
//  of it went less than HERD_PEER_PRUNE_AGAIN_MS ago.  Returns whether it
//  was sent.
bool herd_peer_prune (herd_peer_t *self, int origin, const char *originator);

//  It sent PRUNE of origin: if we are a tree node, it becomes lazy for
//  origin.  It sent GRAFT of an update of origin: it becomes eager for it.
void herd_peer_pruned (herd_peer_t *self, int origin);
void herd_peer_grafted (herd_peer_t *self, int origin);

//  Announce an update we stored (IHAVE, sent at the first tick ihave_ms
//  after the first update it names).
void herd_peer_announce (herd_peer_t *self,
                         const char *originator,
                         uint64_t epoch,
                         uint64_t sequence);

//  Ask it for an update it announced (GRAFT, sent at herd_peer_flush); it
//  becomes eager for origin.
void herd_peer_ask (herd_peer_t *self,
                    int origin,
                    const char *originator,
                    uint64_t epoch,
                    uint64_t sequence);

//  Send a whole message now, without blocking; *msg_p is consumed.
//  Returns 0, or -1 if the link refused it.
int herd_peer_send (herd_peer_t *self, zmsg_t **msg_p);

#endif
