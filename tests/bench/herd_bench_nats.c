/*  herd_bench_nats - NATS for the rivals section: five servers, each
    routed to the four others, and its propagation probe

    The probe runs in this process: a publisher on the first server and a
    subscriber on the third, blocking sockets and poll, times on
    CLOCK_MONOTONIC at both ends.  Every wait has a deadline.  */

#include "herd_bench_nats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _herd_bench_nats_t {
    herd_bench_rival_t servers;
    uint16_t ports[HERD_BENCH_NATS_SERVERS];     //  Clients
    uint16_t routes[HERD_BENCH_NATS_SERVERS];    //  Cluster
    uint16_t monitors[HERD_BENCH_NATS_SERVERS];  //  HTTP monitoring
};

static bool
s_http_done (const char *answer, size_t size)
{
    (void) answer;
    (void) size;
    return false;  //  HTTP/1.0: the answer ends when the server closes
}

//  Whether server index has its four routes (its /routez says so).
static bool
s_nats_whole (void *arg, size_t index)
{
    herd_bench_nats_t *self = (herd_bench_nats_t *) arg;
    char page[65536];
    if (herd_bench_rival_ask (self->monitors[index],
                              "GET /routez HTTP/1.0\r\n\r\n", s_http_done, page,
                              sizeof (page)))
        return false;
    const char *routes = strstr (page, "\"num_routes\":");
    return routes
           && atoi (routes + strlen ("\"num_routes\":"))
                  >= HERD_BENCH_NATS_SERVERS - 1;
}

herd_bench_nats_t *
herd_bench_nats_new (const char *binary, char *reason, size_t size)
{
    herd_bench_nats_t *self =
        (herd_bench_nats_t *) calloc (1, sizeof (herd_bench_nats_t));
    if (herd_bench_rival_begin (&self->servers, "nats")) {
        snprintf (reason, size, "no temporary directory");
        free (self);
        return NULL;
    }
    for (size_t i = 0; i < HERD_BENCH_NATS_SERVERS; i++) {
        self->ports[i] = herd_bench_free_port ();
        self->routes[i] = herd_bench_free_port ();
        self->monitors[i] = herd_bench_free_port ();
    }
    for (size_t i = 0; i < HERD_BENCH_NATS_SERVERS; i++) {
        char port[8], monitor[8], cluster[64], routes[256] = "";
        snprintf (port, sizeof (port), "%u", self->ports[i]);
        snprintf (monitor, sizeof (monitor), "%u", self->monitors[i]);
        snprintf (cluster, sizeof (cluster), "nats://127.0.0.1:%u",
                  self->routes[i]);
        for (size_t j = 0; j < HERD_BENCH_NATS_SERVERS; j++)
            if (j != i) {
                size_t used = strlen (routes);
                snprintf (routes + used, sizeof (routes) - used,
                          "%snats://127.0.0.1:%u", used ? "," : "",
                          self->routes[j]);
            }
        char *argv[] = {"nats-server", "-a",        "127.0.0.1",
                        "-p",          port,        "-m",
                        monitor,       "--cluster", cluster,
                        "--routes",    routes,      "--cluster_name",
                        "herd-bench",  NULL};
        herd_bench_rival_start (&self->servers, binary, argv);
    }
    if (herd_bench_rival_wait (&self->servers, s_nats_whole, self, reason,
                               size))
        herd_bench_nats_destroy (&self);
    return self;
}

void
herd_bench_nats_destroy (herd_bench_nats_t **self_p)
{
    herd_bench_nats_t *self = *self_p;
    if (!self)
        return;
    herd_bench_rival_end (&self->servers);
    free (self);
    *self_p = NULL;
}

#define S_NATS_SUBJECT "herd.bench"

//  The next message on conn, its payload into payload (NUL-terminated),
//  answering the server's PINGs on the way.  Returns 1, 0 at the
//  deadline, -1 on an error (the server's, in reason).
static int
s_nats_next (herd_bench_conn_t *conn,
             int64_t deadline,
             char *payload,
             size_t size,
             char *reason,
             size_t reason_size)
{
    while (true) {
        const char *end =
            (const char *) memmem (conn->data, conn->size, "\r\n", 2);
        if (!end) {
            int got = herd_bench_conn_wait (conn, deadline);
            if (got <= 0) {
                if (got < 0)
                    snprintf (reason, reason_size, "a NATS connection closed");
                return got;
            }
            continue;
        }
        size_t head = (size_t) (end - conn->data) + 2;
        if (strncmp (conn->data, "MSG ", 4) == 0) {
            //  MSG <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n
            const char *last = end;
            while (last > conn->data && last[-1] != ' ')
                last--;
            size_t length = (size_t) strtoul (last, NULL, 10);
            if (conn->size < head + length + 2) {
                int got = herd_bench_conn_wait (conn, deadline);
                if (got <= 0) {
                    if (got < 0)
                        snprintf (reason, reason_size, "a NATS message lost");
                    return got;
                }
                continue;
            }
            snprintf (payload, size, "%.*s", (int) length, conn->data + head);
            herd_bench_conn_consume (conn, head + length + 2);
            return 1;
        }
        if (strncmp (conn->data, "-ERR", 4) == 0) {
            snprintf (reason, reason_size, "NATS: %.*s", (int) (head - 2),
                      conn->data);
            return -1;
        }
        if (strncmp (conn->data, "PING", 4) == 0
            && herd_bench_conn_send (conn, "PONG\r\n", 6))
            return -1;
        herd_bench_conn_consume (conn, head);  //  INFO, PONG, +OK
    }
}

//  Connect to a server as NATS asks (its INFO, our CONNECT), subscribe if
//  subscribe, and wait for the PONG that says the server took it all.
static int
s_nats_hello (herd_bench_conn_t *conn, uint16_t port, bool subscribe)
{
    if (herd_bench_conn_open (conn, port))
        return -1;
    const char *hello =
        subscribe ? "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"
                    "SUB " S_NATS_SUBJECT " 1\r\nPING\r\n"
                  : "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"
                    "PING\r\n";
    if (herd_bench_conn_send (conn, hello, strlen (hello)))
        return -1;
    int64_t deadline = herd_bench_now_us () + 5000000;
    while (!memmem (conn->data, conn->size, "PONG\r\n", 6))
        if (herd_bench_conn_wait (conn, deadline) <= 0)
            return -1;
    conn->size = 0;
    return 0;
}

//  Publish payload on the subject.
static int
s_nats_publish (herd_bench_conn_t *conn, const char *payload)
{
    char command[128];
    int length = snprintf (command, sizeof (command),
                           "PUB " S_NATS_SUBJECT " %zu\r\n%s\r\n",
                           strlen (payload), payload);
    return herd_bench_conn_send (conn, command, (size_t) length);
}

int
herd_bench_nats_probe (herd_bench_nats_t *self,
                       double rate,
                       size_t count,
                       herd_bench_values_t *delays,
                       char *reason,
                       size_t size)
{
    herd_bench_conn_t *publisher =
        (herd_bench_conn_t *) calloc (2, sizeof (herd_bench_conn_t));
    herd_bench_conn_t *subscriber = publisher + 1;
    int rc = s_nats_hello (publisher, self->ports[0], false)
                     || s_nats_hello (subscriber, self->ports[2], true)
                 ? -1
                 : 0;
    if (rc)
        snprintf (reason, size, "cannot connect to NATS");
    //  Until the subscription has reached the first server over its route
    char payload[64];
    int got = 0;
    int64_t deadline = herd_bench_now_us () + HERD_BENCH_RIVAL_START_US;
    while (rc == 0 && got == 0 && herd_bench_now_us () < deadline) {
        rc = s_nats_publish (publisher, "0");
        if (rc == 0)
            got = s_nats_next (subscriber, herd_bench_now_us () + 20000,
                               payload, sizeof (payload), reason, size);
        rc = got < 0 ? -1 : rc;
    }
    if (rc == 0 && got == 0) {
        snprintf (reason, size, "no message through the cluster in %d s",
                  HERD_BENCH_RIVAL_START_US / 1000000);
        rc = -1;
    }
    int64_t start = herd_bench_now_us ();
    for (size_t n = 0; n < count && rc == 0; n++) {
        herd_bench_pace (start, n, rate);
        char value[32];
        int64_t stamp = herd_bench_now_us ();
        snprintf (value, sizeof (value), "%" PRId64, stamp);
        rc = s_nats_publish (publisher, value);
        got = 0;
        //  Late warm-up messages ("0") are passed over
        while (rc == 0 && got == 0) {
            got = s_nats_next (subscriber, stamp + HERD_BENCH_RIVAL_SAMPLE_US,
                               payload, sizeof (payload), reason, size);
            if (got == 1 && strcmp (payload, value) == 0)
                herd_bench_values_add (delays, herd_bench_now_us () - stamp);
            else if (got == 1)
                got = 0;
            else
                rc = -1;
        }
        if (rc && got == 0)
            snprintf (reason, size, "a message not delivered in %d s",
                      HERD_BENCH_RIVAL_SAMPLE_US / 1000000);
    }
    herd_bench_conn_close (publisher);
    herd_bench_conn_close (subscriber);
    free (publisher);
    return rc;
}
