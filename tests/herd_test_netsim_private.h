/*  herd_test_netsim_private - what the netsim harness's three files share:
    the network's structure and their helpers  */

#ifndef HERD_TEST_NETSIM_PRIVATE_H_INCLUDED
#define HERD_TEST_NETSIM_PRIVATE_H_INCLUDED

#include "herd_test_netsim.h"

#define S_HOSTS_MAX 16
#define S_LINKS_MAX 64
//  The bridge's addresses: S_NET.N, the client host at .2, nodes from .11
#define S_NET            "10.77.0"
#define S_CLIENT_ADDRESS 2
#define S_FIRST_ADDRESS  11

typedef struct {
    char name[65];                //  Node name
    char host[65];                //  Its host name: the name in lower case
    char ns[112];                 //  Its namespace
    int address;                  //  Last octet of its address
    pid_t node;                   //  Its node (0: not running)
    pid_t shapers[2];             //  Queue 0: the herd's delay, 1: slow link
    int slow_to[S_HOSTS_MAX];     //  Kbit/s of what it sends there (0: any)
    bool slow_from[S_HOSTS_MAX];  //  What comes from there takes queue 1
    int slow_delay_ms;            //  The delay of queue 1
} herd_netsim_host_t;

struct _herd_netsim_t {
    char prefix[48];      //  "hs<pid>-<n>-": every namespace's
    char directory[64];   //  Topology, keys, logs, outputs
    char topology[128];   //  Path of the topology file
    char bridge_ns[112];  //  Namespace of the bridge
    char client_ns[112];  //  Namespace of the test's clients
    int client_fd;        //  That namespace, open
    int origin_fd;        //  The test's own network namespace, open
    size_t count;
    herd_netsim_host_t hosts[S_HOSTS_MAX];
    bool adjacent[S_HOSTS_MAX][S_HOSTS_MAX];
    size_t link[S_LINKS_MAX][2];
    size_t links;
    int veths;     //  Interfaces made on the bridge, for their names
    bool netem;    //  Delay by netem rather than herd_shaper
    int delay_ms;  //  The herd's delay and jitter, each way
    int jitter_ms;
    double loss;   //  Share of packets each host drops
    char *errors;  //  What went wrong out of sight (shapers), for destroy
};

//  Value of environment variable name, or otherwise if unset or empty.
const char *herd_netsim_env (const char *name, const char *otherwise);

//  Path of tests/netsim/netsim.sh.
const char *herd_netsim_script (void);

//  Run a shell command (printf format), its output to the file output (or
//  nowhere).  Returns its exit code.
int herd_netsim_run (const char *output, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Contents of the file at path (NULL if none).  Caller owns it.
char *herd_netsim_file_text (const char *path);

//  The host of node name (fails the test if there is none).
herd_netsim_host_t *herd_netsim_host (herd_netsim_t *self, const char *name);

//  Write every namespace's hosts file again, in place.
void herd_netsim_write_all_hosts (herd_netsim_t *self);

//  Does the kernel have netem (probed once) and do we use it
//  (HERD_NETSIM_SHAPER=1 forces herd_shaper)?
bool herd_netsim_has_netem (void);

//  Set the host's egress qdiscs from the network's state: its slow
//  destinations (htb classes with tbf), and with netem the herd's delay.
void herd_netsim_tc (herd_netsim_t *self, herd_netsim_host_t *host);

#endif
