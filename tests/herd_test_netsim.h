/*  herd_test_netsim - a simulated network of hosts for herd's tests: each
    node in a network namespace of its own, with an address on a bridge
    that lives in a namespace of the test's own, faults on demand

    Every namespace is named hs<pid>-<n>-<host> and removed when the
    network is destroyed, when the test is stopped by SIGINT or SIGTERM,
    and, for a test that was killed, by the next one to start
    (tests/netsim/netsim.sh sweep).  Nothing routes out: the addresses
    (10.77.0.0/24) exist only on the bridge.  Node names are host names
    (lower case) in every namespace's /etc/hosts, which the topology's
    endpoints use, so a node may move to another address.

    Delay and jitter: netem on each host's egress where the kernel has it;
    otherwise herd_shaper (tests/netsim/herd_shaper.c) on an NFQUEUE on
    each host's ingress (there, not on egress, because a packet held on
    its sender's egress still counts against TCP small queues, which then
    let a connection carry two packets per delay: 20 MB took 72 s through
    a 20 ms egress delay, 0.65 s through the same on ingress).  Loss and
    cuts: iptables on the receiving host's INPUT (a packet dropped on its
    sender's OUTPUT is an error the sender sees, not a loss).  Bandwidth:
    tc tbf under an htb class for one destination.  The test's clients
    live in a namespace of their own on the same bridge; their traffic is
    neither delayed nor lost, so that what a test measures is the herd.  */

#ifndef HERD_TEST_NETSIM_H_INCLUDED
#define HERD_TEST_NETSIM_H_INCLUDED

#include "herd_test.h"

//  The port of every node's client endpoint and herd endpoint (each host
//  has its addresses to itself, so fixed ports cannot collide)
#define HERD_NETSIM_CLIENT_PORT 12201
#define HERD_NETSIM_HERD_PORT   12211

typedef struct _herd_netsim_t herd_netsim_t;

//  Why netsim cannot run here (not root, a tool or kernel feature
//  missing, a sanitizer or valgrind run), or NULL if it can.  Probed once.
const char *herd_netsim_unavailable (void);

//  Is HERD_NETSIM=full set (the long scenarios)?
bool herd_netsim_full (void);

//  Print why netsim cannot run here and skip the test (cmocka), if so.
void herd_netsim_skip_unless_able (void);

//  cmocka set-up and tear-down of a test whose *state is a network (NULL
//  until the test makes one; destroyed even when the test fails).
int herd_netsim_setup (void **state);
int herd_netsim_teardown (void **state);

//  A network of one host per node of the topology file at path, with its
//  links, CURVE keys and extra herd settings (ZPL lines indented 4
//  spaces, or NULL), and a client host.  No node is started.
herd_netsim_t *herd_netsim_new (const char *path, const char *settings);

//  Stop every node (SIGTERM) and shaper, remove every namespace and file.
//  Fails the test if a shaper lost packets or a node did not exit 0.
void herd_netsim_destroy (herd_netsim_t **self_p);

//  Start node name in its namespace and wait until it is ready; with a
//  state file (path, or NULL for none).
void
herd_netsim_start (herd_netsim_t *self, const char *name, const char *state);

//  Start every node and wait until every link is synced.
void herd_netsim_start_all (herd_netsim_t *self);

//  Send node name signal; for SIGKILL or SIGTERM, wait until it exits.
void herd_netsim_signal (herd_netsim_t *self, const char *name, int signal);

//  Process id of node name (0 if not running).
int herd_netsim_pid (herd_netsim_t *self, const char *name);

//  Nodes, in the topology's order.
size_t herd_netsim_size (herd_netsim_t *self);
const char *herd_netsim_name (herd_netsim_t *self, size_t index);

//  Hops between two nodes (shortest path over the links).
size_t herd_netsim_hops (herd_netsim_t *self, const char *from, const char *to);

//  The network's own directory (topology, keys, logs; removed with it).
const char *herd_netsim_directory (herd_netsim_t *self);

//  Node name's log file.  Caller owns return value.
char *herd_netsim_log_path (herd_netsim_t *self, const char *name);

//  How many of node name's log lines hold needle.
size_t herd_netsim_log_count (herd_netsim_t *self,
                              const char *name,
                              const char *needle);

//  Wait until node name's log holds needle on count lines.
bool herd_netsim_log_wait (herd_netsim_t *self,
                           const char *name,
                           const char *needle,
                           size_t count,
                           int deadline_ms);

//  Every host's packets from other hosts held delay_ms +- jitter_ms
//  (uniform), so each way between two hosts takes that.  0, 0: none.
void herd_netsim_delay (herd_netsim_t *self, int delay_ms, int jitter_ms);

//  Every host drops this share (0 to 1) of what other hosts send it.
void herd_netsim_loss (herd_netsim_t *self, double share);

//  Cut (or mend) what from sends to: to's host drops it.
void herd_netsim_cut (herd_netsim_t *self,
                      const char *from,
                      const char *to,
                      bool cut);

//  Cut (or mend) both ways between every node of one side and every node
//  of the other.
void herd_netsim_partition (herd_netsim_t *self,
                            const char *const *left,
                            size_t left_count,
                            const char *const *right,
                            size_t right_count,
                            bool cut);

//  What from sends to goes at most kbit per second (tbf) and takes
//  delay_ms (instead of the herd's delay, jitter kept).
void herd_netsim_slow (herd_netsim_t *self,
                       const char *from,
                       const char *to,
                       int kbit,
                       int delay_ms);

//  Delete node name's namespace (its node must be stopped) and make it
//  again, at the 4th octet address (0: the same address as before); the
//  other hosts' /etc/hosts are rewritten in place.  Faults set on the
//  network apply to the new host too.
void herd_netsim_rebuild (herd_netsim_t *self, const char *name, int address);

//  A TCP connection from the client host to node name's client port
//  (blocking socket, TCP_NODELAY).  Asserts on failure.
int herd_netsim_connect (herd_netsim_t *self, const char *name);

//  count IAMATs over one connection per node of nodes[0..node_count): the
//  i-th at nodes[i % node_count], for client PREFIXnnnnn (nnnnn: i %
//  clients), client time time + i / 1000, sent at rate per second (0: all
//  at once), replies read as they come.  Returns the AT line of each
//  reply, by i (caller frees with herd_netsim_lines_free); fails the test
//  if one is missing or refused.
char **herd_netsim_iamats (herd_netsim_t *self,
                           const char *const *nodes,
                           size_t node_count,
                           const char *prefix,
                           size_t clients,
                           size_t count,
                           double time,
                           double rate);
void herd_netsim_lines_free (char ***lines_p, size_t count);

//  Client ids PREFIXnnnnn for nnnnn in 0..count, as herd_netsim_iamats
//  names them.  Caller frees with herd_netsim_lines_free.
char **herd_netsim_clients (const char *prefix, size_t count);

//  Does every node answer for clients[i] with expected[i] (an AT line)?
//  On false, *wrong (if not NULL) describes the first difference
//  (caller frees it).
bool herd_netsim_converged (herd_netsim_t *self,
                            const char *const *clients,
                            const char *const *expected,
                            size_t count,
                            char **wrong);

//  Wait until herd_netsim_converged; returns milliseconds taken, or -1
//  (after printing the first difference) at the deadline.
int64_t herd_netsim_wait_converged (herd_netsim_t *self,
                                    const char *const *clients,
                                    const char *const *expected,
                                    size_t count,
                                    int deadline_ms);

//  Propagation of updates, from the nodes' logs: for each update
//  (originator, seq) its originator logged storing, the time until the
//  last node logged storing it (updates taken in a catch-up snapshot are
//  not logged one by one: those count as not everywhere).  Quantiles in
//  ms, over the updates every node logged.
typedef struct {
    size_t updates;     //  Updates originated
    size_t everywhere;  //  Of which every node logged storing
    double p50_ms;      //  Of the time to the farthest node
    double p99_ms;
    double max_ms;
    size_t hops;  //  Largest hop count from an originator
} herd_netsim_spread_t;

void herd_netsim_spread (herd_netsim_t *self, herd_netsim_spread_t *spread);

//  Resident memory of node name in KiB (0 if not running).
size_t herd_netsim_rss_kib (herd_netsim_t *self, const char *name);

//  A result for the table: "netsim-result scenario=NAME key=value...",
//  one line on stdout.
void herd_netsim_report (const char *scenario, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
