/*  herd_node - one node of the herd: a zloop reactor that dispatches to
    the modules it owns: the client front end, the client table, the inbox,
    one peer per neighbour, the Places actor, the saver, the tap, the
    counters

    A client line flows: front end, parser, table (newest wins), flood to
    the peers, reply.  A herd message flows: inbox, codec, the same table,
    flood on.  Every handler ends its turn in one hook that sends what the
    turn queued.  Signals arrive on a signalfd in the same loop: SIGHUP
    reopens the log and reloads the topology, SIGTERM and SIGINT stop the
    node.  */

#ifndef HERD_NODE_H_INCLUDED
#define HERD_NODE_H_INCLUDED

#include "herd_topo.h"

#include <stdbool.h>

typedef struct _herd_node_t herd_node_t;

//  Create node name of topo (borrowed; must outlive the node): open its
//  log, load its state file, bind its client and herd endpoints, connect
//  its links.  state_path names the state file; NULL means the topology's
//  state_dir/NAME.state, if state_dir is set.  SIGINT, SIGTERM and SIGHUP
//  must already be blocked in every thread (herd_signals_block (true)).
//  Returns NULL, having said why on stderr.
herd_node_t *herd_node_new (herd_topo_t *topo,
                            const char *name,
                            bool log_stderr,
                            const char *state_path);

//  The file the topology came from: read again on SIGHUP (links to
//  neighbours added or removed take effect at once; a bad file is refused
//  and the old topology kept).  Without it, SIGHUP only reopens the log.
void herd_node_set_topology_path (herd_node_t *self, const char *path);

//  Stop and free everything; accepts NULL, sets *self_p to NULL.
void herd_node_destroy (herd_node_t **self_p);

//  Print the ready line on stdout, then serve until SIGTERM or SIGINT;
//  then save the state file, if any.  Returns 0.
int herd_node_run (herd_node_t *self);

#endif
