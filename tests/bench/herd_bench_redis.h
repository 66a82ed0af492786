/*  herd_bench_redis - Redis with replicas, a rival of the herd's: a
    master, four replicas of it, and a replica of the first replica,
    started fresh on free loopback ports (no persistence), and its
    propagation probe

    The caller owns the object; destroying it stops every server.  */

#ifndef HERD_BENCH_REDIS_H_INCLUDED
#define HERD_BENCH_REDIS_H_INCLUDED

#include "herd_bench_rival.h"

#define HERD_BENCH_REDIS_SERVERS 6
//  Indexes of the master, the replica with a replica, and that replica.
#define HERD_BENCH_REDIS_MASTER  0
#define HERD_BENCH_REDIS_REPLICA 1
#define HERD_BENCH_REDIS_CHAINED 5

typedef struct _herd_bench_redis_t herd_bench_redis_t;

//  Start the servers of the redis-server at binary and wait until every
//  replica's link to its master is up (INFO replication).  Returns them,
//  or NULL with why in reason (and nothing left running).
herd_bench_redis_t *
herd_bench_redis_new (const char *binary, char *reason, size_t size);

//  Stop every server and remove their directory.  Accepts NULL.
void herd_bench_redis_destroy (herd_bench_redis_t **self_p);

//  The port of server index (HERD_BENCH_REDIS_MASTER, ...).
uint16_t herd_bench_redis_port (herd_bench_redis_t *self, size_t index);

//  Propagation, count samples paced at rate per second: SET a key to its
//  send time at the master, and time when a GET polled on a connection
//  of its own first returns it, at the replica (into one_hop) and at the
//  replica's replica (into two_hops).  Returns 0, or -1 with why.
int herd_bench_redis_probe (herd_bench_redis_t *self,
                            double rate,
                            size_t count,
                            herd_bench_values_t *one_hop,
                            herd_bench_values_t *two_hops,
                            char *reason,
                            size_t size);

#endif
