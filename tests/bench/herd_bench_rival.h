/*  herd_bench_rival - what the bench's rival systems (herd_bench_redis,
    herd_bench_nats) share: finding their programs, running a system's
    servers in a temporary directory of their own, and plain TCP
    connections with deadlines for their probes

    A system's servers die with the bench, however it ends
    (herd_bench_spawn), and herd_bench_rival_end stops them before.  */

#ifndef HERD_BENCH_RIVAL_H_INCLUDED
#define HERD_BENCH_RIVAL_H_INCLUDED

#include "herd_bench.h"

//  The most servers of one system.
#define HERD_BENCH_RIVAL_SERVERS 8
//  How long a system may take to come up, and a probe's sample to arrive.
#define HERD_BENCH_RIVAL_START_US  30000000
#define HERD_BENCH_RIVAL_SAMPLE_US 2000000

//  Where the program called name is: on PATH, else in /usr/sbin or /sbin
//  (Debian puts nats-server in /usr/sbin, which a user's PATH may lack).
//  Returns 0 with its path in path, or -1.
int herd_bench_rival_which (const char *name, char *path, size_t size);

//  The servers of one system: plain data, filled by the calls below.
typedef struct {
    char dir[64];  //  Theirs: server N's output in N.out
    size_t count;
    pid_t pids[HERD_BENCH_RIVAL_SERVERS];
} herd_bench_rival_t;

//  Begin: a fresh /tmp/herd-bench-<what>-XXXXXX and no servers.  Returns
//  0, or -1 if the directory cannot be made.
int herd_bench_rival_begin (herd_bench_rival_t *self, const char *what);

//  Start the next server: the program at binary with argv (argv[0] its
//  name, NULL-terminated).
void herd_bench_rival_start (herd_bench_rival_t *self,
                             const char *binary,
                             char *argv[]);

//  Wait until whole (arg, N) holds for every server N in turn.  Returns
//  0, or -1 with why in reason when a server exits (its last line of
//  output) or HERD_BENCH_RIVAL_START_US pass.
int herd_bench_rival_wait (herd_bench_rival_t *self,
                           bool (*whole) (void *arg, size_t index),
                           void *arg,
                           char *reason,
                           size_t size);

//  Stop every server and remove the directory (HERD_BENCH_KEEP=1 keeps
//  it, as it keeps herds' logs).
void herd_bench_rival_end (herd_bench_rival_t *self);

//  Ask the server on port one question; its whole answer (when done says
//  so, or the server closes) into answer, NUL-terminated.  Returns 0, or
//  -1 if it cannot be asked or does not answer within a second.
int herd_bench_rival_ask (uint16_t port,
                          const char *question,
                          bool (*done) (const char *answer, size_t size),
                          char *answer,
                          size_t size);

//  A blocking connection and what has been read on it.
typedef struct {
    int fd;
    char data[4096];  //  Read and not yet consumed
    size_t size;
} herd_bench_conn_t;

//  Connect to 127.0.0.1:port; 0, or -1.
int herd_bench_conn_open (herd_bench_conn_t *self, uint16_t port);

//  Close it, if open.
void herd_bench_conn_close (herd_bench_conn_t *self);

//  Write all of data; 0, or -1 on an error.
int
herd_bench_conn_send (herd_bench_conn_t *self, const char *data, size_t size);

//  Read what has come, once poll said it has.  Returns 0, or -1 if the
//  peer closed, on an error, or with data full.
int herd_bench_conn_take (herd_bench_conn_t *self);

//  Wait until something comes or deadline (CLOCK_MONOTONIC, us) passes,
//  and read it.  Returns 1 when it read, 0 at the deadline, -1 as take.
int herd_bench_conn_wait (herd_bench_conn_t *self, int64_t deadline);

//  Drop the first size bytes of data.
void herd_bench_conn_consume (herd_bench_conn_t *self, size_t size);

#endif
