/*  herd_bench_redis - Redis for the rivals section: a master, four
    replicas and a replica of a replica, and its propagation probe

    The probe runs in this process: a writer at the master and a poller at
    each replica measured, blocking sockets and poll, times on
    CLOCK_MONOTONIC at both ends.  Every wait has a deadline.  */

#include "herd_bench_redis.h"

#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _herd_bench_redis_t {
    herd_bench_rival_t servers;
    uint16_t ports[HERD_BENCH_REDIS_SERVERS];
};

//  The length of the complete RESP reply that data begins with, or 0 if
//  it is not all here yet.  A bulk string's value in *value and
//  *value_size (-1: nil, or not a bulk string).
static size_t
s_resp_reply (const char *data,
              size_t size,
              const char **value,
              int *value_size)
{
    const char *end = (const char *) memmem (data, size, "\r\n", 2);
    if (!end)
        return 0;
    size_t head = (size_t) (end - data) + 2;
    *value = NULL;
    *value_size = -1;
    long length = data[0] == '$' ? strtol (data + 1, NULL, 10) : -1;
    if (length < 0 || length > INT_MAX)
        return head;
    if (size < head + (size_t) length + 2)
        return 0;
    *value = data + head;
    *value_size = (int) length;
    return head + (size_t) length + 2;
}

static bool
s_resp_done (const char *answer, size_t size)
{
    const char *value;
    int value_size;
    return size > 0 && s_resp_reply (answer, size, &value, &value_size) > 0;
}

//  Whether server index of self has come up: replicas linked, and the
//  master and the first replica with all their replicas.
static bool
s_redis_whole (void *arg, size_t index)
{
    herd_bench_redis_t *self = (herd_bench_redis_t *) arg;
    char info[8192];
    if (herd_bench_rival_ask (self->ports[index], "INFO replication\r\n",
                              s_resp_done, info, sizeof (info)))
        return false;
    if (index != HERD_BENCH_REDIS_MASTER
        && !strstr (info, "master_link_status:up"))
        return false;
    if (index == HERD_BENCH_REDIS_MASTER)
        return strstr (info, "connected_slaves:4") != NULL;
    if (index == HERD_BENCH_REDIS_REPLICA)
        return strstr (info, "connected_slaves:1") != NULL;
    return true;
}

herd_bench_redis_t *
herd_bench_redis_new (const char *binary, char *reason, size_t size)
{
    herd_bench_redis_t *self =
        (herd_bench_redis_t *) calloc (1, sizeof (herd_bench_redis_t));
    if (herd_bench_rival_begin (&self->servers, "redis")) {
        snprintf (reason, size, "no temporary directory");
        free (self);
        return NULL;
    }
    for (size_t i = 0; i < HERD_BENCH_REDIS_SERVERS; i++)
        self->ports[i] = herd_bench_free_port ();
    for (size_t i = 0; i < HERD_BENCH_REDIS_SERVERS; i++) {
        //  A directory each: a replica writes the RDB its master sends
        char dir[128], port[8], master[8];
        snprintf (dir, sizeof (dir), "%s/%zu", self->servers.dir, i);
        mkdir (dir, 0700);
        snprintf (port, sizeof (port), "%u", self->ports[i]);
        size_t above = i == HERD_BENCH_REDIS_CHAINED ? HERD_BENCH_REDIS_REPLICA
                                                     : HERD_BENCH_REDIS_MASTER;
        snprintf (master, sizeof (master), "%u", self->ports[above]);
        char *argv[] = {"redis-server",
                        "--port",
                        port,
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no",
                        "--dir",
                        dir,
                        "--replicaof",
                        "127.0.0.1",
                        master,
                        NULL};
        if (i == HERD_BENCH_REDIS_MASTER)
            argv[13] = NULL;  //  No --replicaof
        herd_bench_rival_start (&self->servers, binary, argv);
    }
    if (herd_bench_rival_wait (&self->servers, s_redis_whole, self, reason,
                               size))
        herd_bench_redis_destroy (&self);
    return self;
}

void
herd_bench_redis_destroy (herd_bench_redis_t **self_p)
{
    herd_bench_redis_t *self = *self_p;
    if (!self)
        return;
    herd_bench_rival_end (&self->servers);
    free (self);
    *self_p = NULL;
}

uint16_t
herd_bench_redis_port (herd_bench_redis_t *self, size_t index)
{
    return self->ports[index];
}

#define S_REDIS_KEY "herd-bench-propagation"
#define S_REDIS_GET "GET " S_REDIS_KEY "\r\n"

//  One sample's replies: the SET's on conns[0], and the GETs' on the
//  others, each GET sent again until it returns value; when it does, the
//  time since stamp goes into into[i].
static int
s_redis_await (herd_bench_conn_t *conns,
               const char *value,
               int64_t stamp,
               herd_bench_values_t **into,
               char *reason,
               size_t size)
{
    bool waiting[3] = {true, true, true};
    while (waiting[0] || waiting[1] || waiting[2]) {
        if (herd_bench_now_us () > stamp + HERD_BENCH_RIVAL_SAMPLE_US) {
            snprintf (reason, size, "a SET not seen in %d s",
                      HERD_BENCH_RIVAL_SAMPLE_US / 1000000);
            return -1;
        }
        struct pollfd items[3];
        for (int i = 0; i < 3; i++)
            items[i] = (struct pollfd){conns[i].fd, POLLIN, 0};
        if (poll (items, 3, 100) <= 0)
            continue;
        int64_t at = herd_bench_now_us ();
        for (int i = 0; i < 3; i++) {
            if (!items[i].revents)
                continue;
            if (herd_bench_conn_take (&conns[i])) {
                snprintf (reason, size, "a connection to Redis closed");
                return -1;
            }
            const char *got;
            int got_size;
            size_t used;
            while ((used = s_resp_reply (conns[i].data, conns[i].size, &got,
                                         &got_size))
                   > 0) {
                bool fresh = got_size == (int) strlen (value)
                             && memcmp (got, value, (size_t) got_size) == 0;
                bool refused = conns[i].data[0] == '-';
                herd_bench_conn_consume (&conns[i], used);
                if (refused) {
                    snprintf (reason, size, "Redis answered an error");
                    return -1;
                }
                if (i == 0 || !waiting[i])
                    waiting[i] = false;
                else if (fresh) {
                    herd_bench_values_add (into[i], at - stamp);
                    waiting[i] = false;
                } else if (herd_bench_conn_send (&conns[i], S_REDIS_GET,
                                                 strlen (S_REDIS_GET))) {
                    snprintf (reason, size, "a GET could not be sent");
                    return -1;
                }
            }
        }
    }
    return 0;
}

int
herd_bench_redis_probe (herd_bench_redis_t *self,
                        double rate,
                        size_t count,
                        herd_bench_values_t *one_hop,
                        herd_bench_values_t *two_hops,
                        char *reason,
                        size_t size)
{
    //  The writer at the master, a poller at each replica measured
    herd_bench_conn_t *conns =
        (herd_bench_conn_t *) calloc (3, sizeof (herd_bench_conn_t));
    const size_t servers[3] = {HERD_BENCH_REDIS_MASTER,
                               HERD_BENCH_REDIS_REPLICA,
                               HERD_BENCH_REDIS_CHAINED};
    herd_bench_values_t *into[3] = {NULL, one_hop, two_hops};
    int rc = 0;
    for (int i = 0; i < 3; i++)
        if (herd_bench_conn_open (&conns[i], self->ports[servers[i]]))
            rc = -1;
    if (rc)
        snprintf (reason, size, "cannot connect to Redis");
    int64_t start = herd_bench_now_us ();
    for (size_t n = 0; n < count && rc == 0; n++) {
        herd_bench_pace (start, n, rate);
        char value[32], command[96];
        int64_t stamp = herd_bench_now_us ();
        snprintf (value, sizeof (value), "%" PRId64, stamp);
        int length = snprintf (command, sizeof (command),
                               "SET " S_REDIS_KEY " %s\r\n", value);
        //  The polls begin at once (the first GETs mostly find the value
        //  before this one)
        rc = herd_bench_conn_send (&conns[0], command, (size_t) length)
                     || herd_bench_conn_send (&conns[1], S_REDIS_GET,
                                              strlen (S_REDIS_GET))
                     || herd_bench_conn_send (&conns[2], S_REDIS_GET,
                                              strlen (S_REDIS_GET))
                 ? -1
                 : s_redis_await (conns, value, stamp, into, reason, size);
    }
    for (int i = 0; i < 3; i++)
        herd_bench_conn_close (&conns[i]);
    free (conns);
    return rc;
}
