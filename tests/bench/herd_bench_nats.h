/*  herd_bench_nats - a NATS cluster, a rival of the herd's: five servers,
    each routed to the four others (a full mesh), started fresh on free
    loopback ports, and its propagation probe

    The caller owns the object; destroying it stops every server.  */

#ifndef HERD_BENCH_NATS_H_INCLUDED
#define HERD_BENCH_NATS_H_INCLUDED

#include "herd_bench_rival.h"

#define HERD_BENCH_NATS_SERVERS 5

typedef struct _herd_bench_nats_t herd_bench_nats_t;

//  Start the servers of the nats-server at binary and wait until each has
//  its four routes (its monitoring page /routez).  Returns them, or NULL
//  with why in reason (and nothing left running).
herd_bench_nats_t *
herd_bench_nats_new (const char *binary, char *reason, size_t size);

//  Stop every server and remove their directory.  Accepts NULL.
void herd_bench_nats_destroy (herd_bench_nats_t **self_p);

//  Propagation, count samples paced at rate per second: publish on the
//  first server, and time until a subscriber on the third reads each
//  message (one route hop), into delays.  Returns 0, or -1 with why.
int herd_bench_nats_probe (herd_bench_nats_t *self,
                           double rate,
                           size_t count,
                           herd_bench_values_t *delays,
                           char *reason,
                           size_t size);

#endif
