/*  herd_node - one node of the herd: a zloop reactor owning the client
    front end, the client table, the ROUTER inbox, one link per neighbour,
    and the Places actor

    A client line flows: front end, parser, table (newest wins), flood to
    neighbours, reply.  A herd frame flows: inbox, codec, the same table,
    flood on.  Signals arrive on a signalfd in the same loop: SIGHUP reopens
    the log, SIGTERM and SIGINT stop the node.  */

#ifndef HERD_NODE_H_INCLUDED
#define HERD_NODE_H_INCLUDED

#include "herd_topo.h"

#include <stdbool.h>

typedef struct _herd_node_t herd_node_t;

//  Create node name of topo (borrowed; must outlive the node): open its
//  log, load its state file, bind its client and herd endpoints, connect
//  its links.  state_path names the state file; NULL means the topology's
//  state_dir/NAME.state, if state_dir is set.  SIGINT, SIGTERM and SIGHUP
//  must already be blocked in every thread (see herd_node_block_signals).
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

//  Block the signals the node reads from its signalfd, ignore SIGPIPE, and
//  stop czmq from installing its own handlers.  Call before any thread
//  (and any czmq socket) exists, so that every thread inherits the mask.
void herd_node_block_signals (void);

#endif
