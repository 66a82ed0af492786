/*  herd_node_private - the node's state, shared by the files of the node

    herd_node.c is the reactor: set-up, the end-of-turn hook, timers and
    signals, reloading, shutdown.  herd_node_client.c handles client lines
    and Places answers; herd_node_herd.c handles herd messages and floods
    updates to the neighbours.  Nothing outside them includes this.  */

#ifndef HERD_NODE_PRIVATE_H_INCLUDED
#define HERD_NODE_PRIVATE_H_INCLUDED

#include "herd_node.h"
#include "herd_ack.h"
#include "herd_front.h"
#include "herd_inbox.h"
#include "herd_log.h"
#include "herd_metrics.h"
#include "herd_peer.h"
#include "herd_places.h"
#include "herd_saver.h"
#include "herd_settings.h"
#include "herd_stats.h"
#include "herd_table.h"
#include "herd_tap.h"
#include "herd_tree.h"
#include "herd_watch.h"
#include "herd_wire.h"

//  Room for a list of neighbour names in a record ("B,C,D"); a longer list
//  ends with "...".
#define HERD_NODE_NAMES_SIZE 1024

//  A handler of the node's.  Each runs through the reactor's dispatch,
//  which ends the turn after it.  Returns -1 to end the loop (a watch
//  handler: 1 when it stopped at its batch, herd_watch_fn).
typedef int (herd_node_handler_fn) (herd_node_t *self);
typedef struct {
    herd_node_t *node;
    herd_node_handler_fn *fn;
} herd_node_handler_t;

struct _herd_node_t {
    herd_topo_t *topo;        //  Borrowed, or owned_topo after a reload
    herd_topo_t *owned_topo;  //  The topology last reloaded, or NULL
    char *topology_path;      //  Read again on SIGHUP, or NULL
    const char *name;         //  Our name (in the first topology)
    herd_settings_t settings;
    uint64_t epoch;     //  Boot time in microseconds
    uint64_t sequence;  //  Updates we originated
    zloop_t *loop;
    herd_log_t *log;
    herd_table_t *table;
    herd_stats_t stats;
    herd_front_t *front;
    int client_port;  //  Bound, for the ready line
    herd_inbox_t *inbox;
    herd_watch_t *inbox_watch;
    herd_peer_t **peers;  //  One per neighbour
    size_t peer_count;
    uint64_t slots;     //  Held-reply mask bits the peers use
    herd_ack_t *acks;   //  IAMAT replies waiting for ACKs
    herd_tree_t *tree;  //  The broadcast tree's memory (broadcast = tree)
    uint64_t grafts;    //  GRAFTs taken: each one's mark (herd_tree_find)
    int ack_timer;      //  Ticking while acks holds any, else -1
    zactor_t *places;   //  The Places worker
    int places_thread;  //  Its thread (herd_places_join)
    herd_watch_t *places_watch;
    uint64_t places_id;  //  Places calls asked, for the tap
    herd_saver_t *saver;
    herd_metrics_t *metrics;                    //  Or NULL
    char metrics_url[HERD_TOPO_HOST_MAX + 32];  //  Its page, or ""
    herd_tap_t *tap;                            //  Or NULL
    bool tapped;                                //  Someone listens to it
    int signal_fd;
    bool stopping;  //  A signal came; waiting for Places to answer
    herd_node_handler_t on_tick, on_ack_tick, on_tap_tick, on_stats_tick,
        on_age_tick, on_save_tick, on_stop_deadline, on_signal, on_inbox,
        on_places;
};

//  herd_node.c: replies are held for ACKs now: make sure they are timed.
void herd_node_watch_acks (herd_node_t *self);

//  herd_node_client.c: a client's line (herd_front_line_fn); a held IAMAT
//  reply released (herd_ack_fn); Places answers (a handler).
void herd_node_on_line (void *arg,
                        uint64_t connection,
                        uint64_t ticket,
                        const char *line,
                        size_t size,
                        bool truncated);
void herd_node_on_released (void *arg,
                            uint64_t connection,
                            uint64_t ticket,
                            const char *reply,
                            size_t size,
                            bool complete);
int herd_node_on_places (herd_node_t *self);

//  herd_node_herd.c: what the metrics page and the stats record read
//  rather than count (links holds one per peer).
void herd_node_gauges (herd_node_t *self,
                       herd_stats_gauges_t *gauges,
                       herd_stats_link_t *links);

//  herd_node_herd.c: the peer of a neighbour (herd_inbox_find_fn); a
//  message from one (herd_inbox_message_fn).
void *herd_node_find_peer (void *arg, herd_span_t name);
void herd_node_on_stranger (void *arg, herd_span_t name);
void herd_node_on_message (void *arg,
                           void *neighbour,
                           herd_wire_t *wire,
                           zmsg_t *msg);

//  A peer for each neighbour of node index of the topology.  Returns 0,
//  or -1 if one could not be made (said why).
int herd_node_link (herd_node_t *self, size_t index);

//  Take the neighbours of node index of next (loaded, same endpoints for
//  this node) as ours: peers of neighbours that stay (same name, same
//  endpoint) are kept as they are, peers of new neighbours made, those of
//  former ones closed (replies held for them wait no more).  Logged.  The
//  caller then takes next as its topology.
void herd_node_relink (herd_node_t *self, herd_topo_t *next, size_t index);

//  The link of peer went down: replies held for its ACK stop waiting, and
//  the other neighbours are asked for their records (herd_node_herd.c).
void herd_node_peer_down (herd_node_t *self, herd_peer_t *peer, int64_t now);

//  The link to neighbour went down or was closed: ask every peer but skip
//  (may be NULL) for its records once the far end has surely noticed
//  (proto/herd.md, section 5).
void herd_node_resync_others (herd_node_t *self,
                              const char *neighbour,
                              const herd_peer_t *skip,
                              int64_t now);

//  Queue a stored update for every neighbour that is neither its sender
//  (NULL: a client) nor in its seen set (proto/herd.md, section 3); it
//  goes out at the end of the turn.  O(neighbours).  Returns the
//  held-reply mask of the neighbours that were up: those will ACK an
//  update we originated.  Their names go to tx ("B,C"; "-" for none),
//  those of the neighbours that were down to down ("" for none); both
//  hold HERD_NODE_NAMES_SIZE.
uint64_t herd_node_flood (herd_node_t *self,
                          const char *originator,
                          uint64_t epoch,
                          uint64_t sequence,
                          herd_span_t seen,
                          herd_span_t payload,
                          const char *sender,
                          char *tx,
                          char *down);

//  herd_node_flood.c, the broadcast tree: note an update received from
//  peer; a duplicate prunes the link.  Returns whether it was one (it is
//  never one under broadcast = flood).
bool herd_node_tree_receive (herd_node_t *self,
                             herd_peer_t *peer,
                             const char *originator,
                             uint64_t epoch,
                             uint64_t sequence);

//  The ids an AT from peer announces, if any, after its updates (as an
//  IHAVE's).
void herd_node_tree_announced (herd_node_t *self,
                               herd_peer_t *peer,
                               herd_wire_t *wire);

//  A PRUNE, IHAVE or GRAFT from peer.
void herd_node_tree_message (herd_node_t *self,
                             herd_peer_t *peer,
                             herd_wire_t *wire);

//  Ask for the updates announced that have not come (herd_tree_ask_fn),
//  every tick.
void herd_node_tree_ask (void *arg,
                         void *peer,
                         const char *originator,
                         uint64_t epoch,
                         uint64_t sequence);
void herd_node_tree_tick (herd_node_t *self, int64_t now);

//  Updates a neighbour announced never came: ask it for its records
//  (herd_tree_lost_fn).
void herd_node_tree_lost (void *arg, void *peer);

#endif
