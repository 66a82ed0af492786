/*  herd_topo - read a topology file (ZPL) and answer "my endpoints, my
    neighbours, my settings"

    One file describes a whole herd (proto/topology.md).  Loading checks
    everything and collects every error, each as "FILE:LINE: key/path:
    what" (herd_zpl finds the lines).  Pure: reads the file, opens no
    socket.  */

#ifndef HERD_TOPO_H_INCLUDED
#define HERD_TOPO_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Most nodes in one herd.
#define HERD_TOPO_NODES_MAX 256
//  Longest host of a host:port endpoint.
#define HERD_TOPO_HOST_MAX 255
//  Largest topology file read, in bytes.
#define HERD_TOPO_FILE_MAX (1024 * 1024)

typedef struct _herd_topo_t herd_topo_t;

//  Create an empty topology.
herd_topo_t *herd_topo_new (void);

//  Destroy a topology; accepts NULL and sets *self_p to NULL.
void herd_topo_destroy (herd_topo_t **self_p);

//  Load and check a topology file.  Returns 0, or -1 with the reasons in
//  herd_topo_errors.  A topology that failed to load holds no nodes.
int herd_topo_load (herd_topo_t *self, const char *path);

//  Same, from text in ZPL; its errors name it "<string>".
int herd_topo_load_string (herd_topo_t *self, const char *text);

//  The errors of the last load, one per line in line order, "" if none:
//  "FILE:LINE: what", or "FILE: what" for a file that could not be read
//  (proto/topology.md, Checks).  Valid until the next load.
const char *herd_topo_errors (herd_topo_t *self);

//  Number of nodes, in file order.
size_t herd_topo_node_count (herd_topo_t *self);

//  Index of the node called name, or -1.
int herd_topo_node_index (herd_topo_t *self, const char *name);

//  Name of node index.
const char *herd_topo_node_name (herd_topo_t *self, size_t index);

//  Client endpoint of node index: host ("127.0.0.1", "[::1]" without the
//  brackets) and TCP port.
const char *herd_topo_client_host (herd_topo_t *self, size_t index);
uint16_t herd_topo_client_port (herd_topo_t *self, size_t index);

//  Herd endpoint of node index, as written ("tcp://127.0.0.1:12211"): its
//  neighbours dial it.
const char *herd_topo_herd_endpoint (herd_topo_t *self, size_t index);

//  What node index binds: its client_bind (host and port), else its client
//  endpoint; its bind, else its herd endpoint.  A node behind NAT or in a
//  container binds these while others dial client and herd.
const char *herd_topo_client_bind_host (herd_topo_t *self, size_t index);
uint16_t herd_topo_client_bind_port (herd_topo_t *self, size_t index);
const char *herd_topo_herd_bind (herd_topo_t *self, size_t index);

//  Neighbours of node index, in the order their links appear.
size_t herd_topo_neighbour_count (herd_topo_t *self, size_t index);
size_t herd_topo_neighbour (herd_topo_t *self, size_t index, size_t nth);

//  Effective value of a node setting (the node's own value, else the herd
//  section's, else the default): "front", "log_dir", ... (proto/topology.md).
//  Asserts that key is known.
const char *
herd_topo_setting (herd_topo_t *self, size_t index, const char *key);

//  The same for a numeric setting.
int64_t herd_topo_number (herd_topo_t *self, size_t index, const char *key);

//  A key of the places section: "provider" (default "stub"), "url"
//  (default NULL), "timeout_ms" (5000), "connect_timeout_ms" (2000),
//  "max_in_flight" (1000) or "rate_per_second" (1000).
const char *herd_topo_places (herd_topo_t *self, const char *key);

#endif
