/*  herd_tree - what a node of a broadcast tree remembers (proto/herd.md,
    section 3, broadcast = tree)

    Three things, all bounded and pure (no clock: callers pass now_ms; no
    sockets):
    - which updates it has received, by originator: a window of the last
      HERD_TREE_WINDOW sequences of each of two epochs (lives) of each
      originator, the two received into last (older sequences count as
      received), so that a duplicate (the sign of a
      redundant link, answered with PRUNE) and an announcement of an
      update it holds (IHAVE) are told apart in O(1);
    - the updates it stored lately, to answer GRAFTs: the last
      HERD_TREE_KEEP of them, HERD_TREE_KEEP_BYTES at most;
    - the updates neighbours announced that it lacks: each is asked for
      (GRAFT) of one announcer once graft_ms has passed without it, then
      of the next announcer, HERD_TREE_ASKS times in all.
    Neighbours are opaque pointers here (the node's herd_peer_t).  Owned
    by herd_node.  */

#ifndef HERD_TREE_H_INCLUDED
#define HERD_TREE_H_INCLUDED

#include "herd_msg.h"

//  Sequences of one originator told apart; older ones count as received.
#define HERD_TREE_WINDOW (1 << 16)
//  Originators told apart (a herd has at most 256 nodes): each update's
//  originator roots its own tree.
#define HERD_TREE_ORIGINATORS 256
//  Updates kept to answer GRAFTs, and their bytes, at most; a larger
//  update than HERD_TREE_KEEP_ONE is not kept (catch-up brings it).
#define HERD_TREE_KEEP       8192
#define HERD_TREE_KEEP_BYTES (8 * 1024 * 1024)
#define HERD_TREE_KEEP_ONE   (64 * 1024)
//  Announcers remembered per missing update, and times it is asked for.
#define HERD_TREE_ANNOUNCERS 4
#define HERD_TREE_ASKS       3
//  Missing updates remembered at most (past it, an announcement is lost
//  at once: catch-up brings what it named).
#define HERD_TREE_MISSING_MAX 16384

typedef struct _herd_tree_t herd_tree_t;

//  Ask neighbour peer for the update (originator, epoch, sequence): the
//  node sends it GRAFT.
typedef void (herd_tree_ask_fn) (void *arg,
                                 void *peer,
                                 const char *originator,
                                 uint64_t epoch,
                                 uint64_t sequence);

//  Updates neighbour peer announced never came (asked for
//  HERD_TREE_ASKS times, or too many missing to remember): the node asks
//  it for its records (catch-up, proto/herd.md section 5).
typedef void (herd_tree_lost_fn) (void *arg, void *peer);

//  Create an empty tree state; missing updates are asked for graft_ms (at
//  least 1) after their first announcement, through ask; those that never
//  come go to lost.
herd_tree_t *herd_tree_new (int64_t graft_ms,
                            herd_tree_ask_fn *ask,
                            herd_tree_lost_fn *lost,
                            void *arg);

//  Destroy it; accepts NULL, sets *self_p to NULL.
void herd_tree_destroy (herd_tree_t **self_p);

//  The originator's number, 0 to HERD_TREE_ORIGINATORS - 1, given at its
//  first sight and kept; -1 once that many have been seen (its updates are
//  then flooded).
int herd_tree_originator (herd_tree_t *self, const char *originator);

//  Note that we received update (originator, epoch, sequence) from
//  neighbour from (NULL: a client of ours).  Returns
//  true if we had received it before (or it is older than its window).
//  Two lives (epochs) of an originator are told apart at once: a third
//  takes the place of the one received into least recently.
bool herd_tree_receive (herd_tree_t *self,
                        const char *originator,
                        uint64_t epoch,
                        uint64_t sequence,
                        const char *from);

//  The neighbour that sent the first copy of update (originator, epoch,
//  sequence) received with herd_tree_receive (from; "" if NULL: a client
//  of ours), if it is one of the latest 16 of that originator; else NULL.
//  Valid until the next herd_tree_receive.
const char *herd_tree_first_from (herd_tree_t *self,
                                  const char *originator,
                                  uint64_t epoch,
                                  uint64_t sequence);

//  Have we received it?  (As herd_tree_receive, without noting it.)
bool herd_tree_received (herd_tree_t *self,
                         const char *originator,
                         uint64_t epoch,
                         uint64_t sequence);

//  Keep a copy of an update we stored, to answer GRAFTs.
void herd_tree_keep (herd_tree_t *self,
                     const char *originator,
                     uint64_t epoch,
                     uint64_t sequence,
                     herd_span_t payload);

//  The payload of a kept update, valid until the next herd_tree_keep;
//  false if it is not kept (any more), or if mark is not 0 and a find of
//  the same mark found it already (a GRAFT naming an update twice gets it
//  once).  O(1).
bool herd_tree_find (herd_tree_t *self,
                     const char *originator,
                     uint64_t epoch,
                     uint64_t sequence,
                     uint64_t mark,
                     herd_span_t *payload);

//  Neighbour peer announced an update: unless we have received it, it is
//  asked for between now_ms + graft_ms and now_ms + 2 * graft_ms (at
//  random), of its first announcer; then of the next one every graft_ms;
//  then it is lost (of its first announcer).  Past HERD_TREE_MISSING_MAX
//  missing, it is lost at once.
void herd_tree_announced (herd_tree_t *self,
                          void *peer,
                          const char *originator,
                          uint64_t epoch,
                          uint64_t sequence,
                          int64_t now_ms);

//  Ask for the missing updates whose time has come (through ask), give up
//  on those asked for HERD_TREE_ASKS times (through lost, once per
//  announcer), and forget those received meanwhile.  Returns how many
//  were asked for.
size_t herd_tree_expire (herd_tree_t *self, int64_t now_ms);

//  Updates announced and not yet received, and those given up on (asked
//  HERD_TREE_ASKS times, or announced by neighbours that went away)
//  since the start.
size_t herd_tree_missing (herd_tree_t *self);
uint64_t herd_tree_given_up (herd_tree_t *self);

//  Neighbour peer is gone (link closed or down): its announcements are
//  forgotten.
void herd_tree_forget (herd_tree_t *self, const void *peer);

#endif
