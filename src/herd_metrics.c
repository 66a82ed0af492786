/*  herd_metrics - Prometheus text on an HTTP endpoint of the node  */

#include "herd_metrics.h"
#include "herd_net.h"

#include <math.h>

#include <sys/socket.h>
#include <sys/uio.h>

static const double s_bounds[HERD_METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

double
herd_metrics_bound (size_t bucket)
{
    return bucket < HERD_METRICS_BUCKETS ? s_bounds[bucket] : INFINITY;
}

void
herd_metrics_observe (herd_metrics_histogram_t *self, double seconds)
{
    size_t bucket = 0;
    while (bucket < HERD_METRICS_BUCKETS && seconds > s_bounds[bucket])
        bucket++;
    self->counts[bucket]++;
    self->count++;
    self->sum += seconds;
}

void
herd_metrics_write_histogram (FILE *out,
                              const char *name,
                              const char *labels,
                              const herd_metrics_histogram_t *self)
{
    const char *comma = *labels ? "," : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < HERD_METRICS_BUCKETS; i++) {
        cumulative += self->counts[i];
        fprintf (out, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels,
                 comma, s_bounds[i], cumulative);
    }
    cumulative += self->counts[HERD_METRICS_BUCKETS];
    fprintf (out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
             comma, cumulative);
    fprintf (out, "%s_sum{%s} %.9f\n", name, labels, self->sum);
    fprintf (out, "%s_count{%s} %" PRIu64 "\n", name, labels, self->count);
}

//  Bytes of a request head read at most; a client silent this long goes.
#define S_HEAD_MAX 8192
#define S_IDLE_MS  5000

typedef struct {
    herd_metrics_t *server;
    int fd;
    char head[S_HEAD_MAX + 1];
    size_t size;
    int timer;
} s_client_t;

struct _herd_metrics_t {
    zloop_t *loop;
    int listener;
    herd_metrics_render_fn *render;
    void *arg;
    zlistx_t *clients;
};

static void
s_client_close (s_client_t *client)
{
    herd_metrics_t *self = client->server;
    zmq_pollitem_t item = {NULL, client->fd, 0, 0};
    zloop_poller_end (self->loop, &item);
    if (client->timer != -1)
        zloop_timer_end (self->loop, client->timer);
    close (client->fd);
    void *handle = zlistx_find (self->clients, client);
    if (handle)
        zlistx_delete (self->clients, handle);
    free (client);
}

//  The whole answer in one buffer, written with a blocking send: it is a
//  few KiB and the socket's buffer takes it at once.
static void
s_answer (s_client_t *client)
{
    herd_metrics_t *self = client->server;
    bool get = strncmp (client->head, "GET /metrics ", 13) == 0
               || strncmp (client->head, "GET / ", 6) == 0;
    char *body = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&body, &size);
    if (get)
        self->render (self->arg, out);
    else
        fputs ("only GET /metrics here\n", out);
    fclose (out);
    char head[256];
    int head_size = snprintf (
        head, sizeof (head),
        "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; "
        "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
        get ? "200 OK" : "404 Not Found", size);
    struct iovec parts[2] = {{head, (size_t) head_size}, {body, size}};
    struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
    if (sendmsg (client->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        //  Nothing to do: the client goes either way
    }
    free (body);
    s_client_close (client);
}

static int
s_on_client (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    s_client_t *client = (s_client_t *) arg;
    ssize_t got = recv (client->fd, client->head + client->size,
                        S_HEAD_MAX - client->size, MSG_DONTWAIT);
    if (got <= 0) {
        if (got == 0 || (errno != EAGAIN && errno != EINTR))
            s_client_close (client);
        return 0;
    }
    client->size += (size_t) got;
    client->head[client->size] = 0;
    if (strstr (client->head, "\r\n\r\n") || strstr (client->head, "\n\n")
        || client->size == S_HEAD_MAX)
        s_answer (client);
    return 0;
}

static int
s_on_idle (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_client_t *client = (s_client_t *) arg;
    client->timer = -1;  //  A one-shot timer: gone already
    s_client_close (client);
    return 0;
}

static int
s_on_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) item;
    herd_metrics_t *self = (herd_metrics_t *) arg;
    for (int i = 0; i < 64; i++) {
        int fd =
            accept4 (self->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd == -1)
            break;
        s_client_t *client = (s_client_t *) zmalloc (sizeof (s_client_t));
        client->server = self;
        client->fd = fd;
        zmq_pollitem_t poll = {NULL, fd, ZMQ_POLLIN, 0};
        zlistx_add_end (self->clients, client);
        //  A client the loop cannot watch, or time out, is not kept
        int rc = zloop_poller (loop, &poll, s_on_client, client);
        client->timer = zloop_timer (loop, S_IDLE_MS, 1, s_on_idle, client);
        if (rc == -1 || client->timer == -1)
            s_client_close (client);
    }
    return 0;
}

herd_metrics_t *
herd_metrics_new (zloop_t *loop,
                  const char *host,
                  uint16_t port,
                  herd_metrics_render_fn *render,
                  void *arg,
                  int *port_p)
{
    int fd;
    int bound = herd_net_listen (host, port, 1, &fd);
    if (bound == -1)
        return NULL;
    herd_metrics_t *self = (herd_metrics_t *) zmalloc (sizeof (herd_metrics_t));
    self->loop = loop;
    self->listener = fd;
    self->render = render;
    self->arg = arg;
    self->clients = zlistx_new ();
    zmq_pollitem_t poll = {NULL, fd, ZMQ_POLLIN, 0};
    zloop_poller (loop, &poll, s_on_accept, self);
    *port_p = bound;
    return self;
}

void
herd_metrics_destroy (herd_metrics_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_metrics_t *self = *self_p;
        s_client_t *client;
        while ((client = (s_client_t *) zlistx_first (self->clients)))
            s_client_close (client);
        zlistx_destroy (&self->clients);
        zmq_pollitem_t poll = {NULL, self->listener, 0, 0};
        zloop_poller_end (self->loop, &poll);
        close (self->listener);
        free (self);
        *self_p = NULL;
    }
}
