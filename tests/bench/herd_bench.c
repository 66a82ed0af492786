/*  herd_bench - `make bench`: how fast herd is on this machine, measured
    against the floor of the machine in the same run

    A load generator of our own (epoll, many connections, closed loop or
    paced, optional pipelining) drives: a floor server (one thread, epoll,
    one read and one write per batch, a fixed AT-shaped line per line, and
    nothing else); herds of real `herd node` processes on loopback.  It
    reports IAMAT rates and latencies, propagation to the farthest node
    (from the nodes' own log timestamps), WHATSAT against the offline
    Places server with 0 and 200 ms of upstream delay, memory per stored
    client, and flood cost in generated topologies.  Prints a table and
    writes the results as JSON.  Not a test: it asserts nothing.  */

#include "herd_log.h"

#include <cJSON.h>
#include <czmq.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

//  ---------------------------------------------------------------------
//  Small helpers

static int64_t
s_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  A port the kernel just gave out, never the same twice in a run (the
//  kernel may hand a released port out again at once).
static uint16_t
s_free_port (void)
{
    static bool used[65536];
    for (;;) {
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl (0x7f000001)};
        socklen_t size = sizeof (address);
        if (bind (fd, (struct sockaddr *) &address, size)
            || getsockname (fd, (struct sockaddr *) &address, &size))
            abort ();
        close (fd);
        uint16_t port = ntohs (address.sin_port);
        if (!used[port]) {
            used[port] = true;
            return port;
        }
    }
}

static int
s_connect (uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons (port),
                                  .sin_addr.s_addr = htonl (0x7f000001)};
    if (connect (fd, (struct sockaddr *) &address, sizeof (address))) {
        close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    return fd;
}

static size_t
s_rss_kib (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[256];
    size_t kib = 0;
    while (fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %zu kB", &kib) == 1)
            break;
    fclose (file);
    return kib;
}

static int
s_compare_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Percentile p (0..100) of sorted values.
static int64_t
s_percentile (const int64_t *sorted, size_t count, double p)
{
    if (count == 0)
        return 0;
    size_t index = (size_t) (p / 100.0 * (double) (count - 1) + 0.5);
    return sorted[index < count ? index : count - 1];
}

//  A growable list of int64.
typedef struct {
    int64_t *data;
    size_t size;
    size_t capacity;
} s_values_t;

static void
s_values_add (s_values_t *self, int64_t value)
{
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 4096;
        self->data =
            (int64_t *) realloc (self->data, self->capacity * sizeof (int64_t));
        assert (self->data);
    }
    self->data[self->size++] = value;
}

static void
s_values_sort (s_values_t *self)
{
    qsort (self->data, self->size, sizeof (int64_t), s_compare_i64);
}

//  ---------------------------------------------------------------------
//  The load generator

typedef enum {
    S_IAMAT,        //  Updates to a few clients per connection, newer each time
    S_IAMAT_FRESH,  //  A new client id every time (the table grows)
    S_WHATSAT,      //  WHATSAT for one existing client
} s_kind_t;

typedef struct {
    uint16_t port;
    int connections;
    int depth;            //  Requests outstanding per connection
    int64_t duration_ms;  //  Stop sending after this long (0: no limit)
    int64_t warmup_ms;    //  Replies before this are not counted
    uint64_t requests;    //  Stop after this many replies (0: no limit)
    double rate;          //  Requests per second in all; 0: closed loop
    s_kind_t kind;
    const char *prefix;  //  Client ids start with it (WHATSAT: the id)
} s_load_config_t;

typedef struct {
    uint64_t replies;
    uint64_t errors;  //  Replies starting "? "
    double seconds;
    double rate;  //  Replies per second
    int64_t p50_us, p99_us, max_us;
} s_load_result_t;

typedef struct {
    int fd;
    int64_t *sent;  //  Send times of outstanding requests, a ring
    size_t head, outstanding;
    int64_t next_due;  //  Paced: when the next request may go
    uint64_t counter;  //  Requests made on this connection
    char *out;         //  Bytes not yet written
    size_t out_size, out_sent, out_capacity;
    bool reply_started;  //  Inside a reply
    bool reply_error;    //  It began with '?'
    char last;           //  Previous byte of the reply
} s_lconn_t;

//  A client timestamp newer than every one made before by this thread and
//  in earlier runs: the wall clock, one nanosecond on if it has not moved.
//  (A stamp a node already holds would make the update stale: no flood and
//  no ACK to wait for, a cheaper request than a real one.)  Per thread:
//  load threads running at once use client ids of their own.
static void
s_fresh_stamp (int64_t *seconds, int64_t *nanos)
{
    static _Thread_local int64_t last;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t stamp = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
    if (stamp <= last)
        stamp = last + 1;
    last = stamp;
    *seconds = stamp / 1000000000;
    *nanos = stamp % 1000000000;
}

static void
s_lconn_request (const s_load_config_t *config, s_lconn_t *conn, int index)
{
    char line[256];
    int size;
    uint64_t n = conn->counter++;
    if (config->kind == S_WHATSAT)
        size =
            snprintf (line, sizeof (line), "WHATSAT %s 10 5\n", config->prefix);
    else if (config->kind == S_IAMAT_FRESH)
        size = snprintf (line, sizeof (line),
                         "IAMAT %s%d-%" PRIu64
                         " +34.068930-118.445127 1700000000.%09" PRIu64 "\n",
                         config->prefix, index, n, n % 1000000000);
    else {
        int64_t seconds, nanos;
        s_fresh_stamp (&seconds, &nanos);
        size = snprintf (line, sizeof (line),
                         "IAMAT %s%d-%" PRIu64 " +34.068930-118.445127 %" PRId64
                         ".%09" PRId64 "\n",
                         config->prefix, index, n % 100, seconds, nanos);
    }
    if (conn->out_size + (size_t) size > conn->out_capacity) {
        conn->out_capacity = (conn->out_size + (size_t) size) * 2;
        conn->out = (char *) realloc (conn->out, conn->out_capacity);
    }
    memcpy (conn->out + conn->out_size, line, (size_t) size);
    conn->out_size += (size_t) size;
    size_t slot = (conn->head + conn->outstanding) % (size_t) config->depth;
    conn->sent[slot] = s_now_us ();
    conn->outstanding++;
}

//  Write what is queued; false on a hard error.
static bool
s_lconn_write (s_lconn_t *conn)
{
    while (conn->out_sent < conn->out_size) {
        ssize_t rc = send (conn->fd, conn->out + conn->out_sent,
                           conn->out_size - conn->out_sent, MSG_NOSIGNAL);
        if (rc > 0)
            conn->out_sent += (size_t) rc;
        else if (rc == -1 && (errno == EAGAIN || errno == EINTR))
            return true;
        else
            return false;
    }
    conn->out_size = conn->out_sent = 0;
    return true;
}

//  The load generator's state during a run.
typedef struct {
    const s_load_config_t *config;
    s_lconn_t *conns;
    double interval_us;  //  Paced: between requests of one connection
    bool sending;
    uint64_t outstanding;  //  Over every connection
    s_load_result_t *result;
} s_load_t;

//  Queue as many requests on conn as it may send now, and write them.
//  Returns the microseconds until it may send again if paced, else 0.
static int64_t
s_fill (s_load_t *self, int index, int64_t now)
{
    const s_load_config_t *config = self->config;
    s_lconn_t *conn = &self->conns[index];
    int64_t wait = 0;
    bool queued = false;
    while (self->sending && conn->outstanding < (size_t) config->depth) {
        if (config->requests
            && self->result->replies + self->outstanding >= config->requests)
            break;
        if (self->interval_us > 0) {
            if (conn->next_due > now) {
                wait = conn->next_due - now;
                break;
            }
            conn->next_due += (int64_t) self->interval_us;
        }
        s_lconn_request (config, conn, index);
        self->outstanding++;
        queued = true;
    }
    if ((queued || conn->out_sent < conn->out_size) && !s_lconn_write (conn)) {
        fprintf (stderr, "bench: write failed\n");
        exit (1);
    }
    return wait;
}

//  Run a load; results in *result.  Thread-safe (no shared state).
static void
s_load_run (const s_load_config_t *config, s_load_result_t *result)
{
    memset (result, 0, sizeof (*result));
    s_load_t self = {config, NULL, 0, true, 0, result};
    int epoll_fd = epoll_create1 (0);
    self.conns =
        (s_lconn_t *) calloc ((size_t) config->connections, sizeof (s_lconn_t));
    self.interval_us =
        config->rate > 0 ? 1e6 * config->connections / config->rate : 0;
    int64_t start = s_now_us ();
    for (int i = 0; i < config->connections; i++) {
        s_lconn_t *conn = &self.conns[i];
        conn->fd = s_connect (config->port);
        if (conn->fd == -1) {
            fprintf (stderr, "bench: cannot connect to %u\n", config->port);
            exit (1);
        }
        conn->sent =
            (int64_t *) calloc ((size_t) config->depth, sizeof (int64_t));
        //  Paced connections start spread over one interval
        conn->next_due =
            start + (int64_t) (self.interval_us * i / config->connections);
        struct epoll_event event = {.events = EPOLLIN,
                                    .data.u32 = (uint32_t) i};
        epoll_ctl (epoll_fd, EPOLL_CTL_ADD, conn->fd, &event);
    }
    for (int i = 0; i < config->connections; i++)
        s_fill (&self, i, start);
    s_values_t latencies = {0};
    static __thread char buffer[65536];
    struct epoll_event events[256];
    int64_t stop_at =
        config->duration_ms ? start + config->duration_ms * 1000 : INT64_MAX;
    int64_t last_reply = start, next_tick = start;
    int64_t counted_from = start + config->warmup_ms * 1000;
    while (true) {
        int64_t now = s_now_us ();
        if (now >= stop_at
            || (config->requests && result->replies >= config->requests))
            self.sending = false;
        if (!self.sending && self.outstanding == 0)
            break;
        if (!self.sending && now - last_reply > 10000000)
            break;  //  Replies that never come: give up
        //  Paced: every connection whose turn has come, once a millisecond
        if (self.interval_us > 0 && now >= next_tick) {
            for (int i = 0; i < config->connections; i++)
                s_fill (&self, i, now);
            next_tick = now + 1000;
        }
        int count = epoll_wait (epoll_fd, events, 256, 1);
        for (int e = 0; e < count; e++) {
            int index = (int) events[e].data.u32;
            s_lconn_t *conn = &self.conns[index];
            ssize_t got = recv (conn->fd, buffer, sizeof (buffer), 0);
            if (got <= 0) {
                if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                    fprintf (stderr,
                             "bench: connection closed by the server\n");
                    exit (1);
                }
                continue;
            }
            int64_t at = s_now_us ();
            for (ssize_t b = 0; b < got; b++) {
                char c = buffer[b];
                if (!conn->reply_started) {
                    conn->reply_started = true;
                    conn->reply_error = c == '?';
                    conn->last = 0;
                }
                bool done = c == '\n'
                            && (config->kind != S_WHATSAT || conn->reply_error
                                || conn->last == '\n');
                conn->last = c;
                if (!done)
                    continue;
                conn->reply_started = false;
                if (conn->outstanding == 0)
                    continue;
                int64_t latency = at - conn->sent[conn->head];
                conn->head = (conn->head + 1) % (size_t) config->depth;
                conn->outstanding--;
                self.outstanding--;
                last_reply = at;
                if (at < counted_from)
                    continue;  //  Warming up
                s_values_add (&latencies, latency);
                result->replies++;
                result->errors += conn->reply_error;
            }
            //  Closed loop: the next requests go at once
            s_fill (&self, index, at);
        }
    }
    result->seconds = (double) (last_reply - counted_from) / 1e6;
    result->rate =
        result->seconds > 0 ? (double) result->replies / result->seconds : 0;
    s_values_sort (&latencies);
    result->p50_us = s_percentile (latencies.data, latencies.size, 50);
    result->p99_us = s_percentile (latencies.data, latencies.size, 99);
    result->max_us = latencies.size ? latencies.data[latencies.size - 1] : 0;
    free (latencies.data);
    for (int i = 0; i < config->connections; i++) {
        close (self.conns[i].fd);
        free (self.conns[i].sent);
        free (self.conns[i].out);
    }
    free (self.conns);
    close (epoll_fd);
}

typedef struct {
    s_load_config_t config;
    s_load_result_t result;
} s_load_job_t;

static void *
s_load_thread (void *arg)
{
    s_load_job_t *job = (s_load_job_t *) arg;
    s_load_run (&job->config, &job->result);
    return NULL;
}

//  ---------------------------------------------------------------------
//  The floor: the least a line server can do on this machine

#define S_FLOOR_LINE                                                           \
    "AT Floor +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 "            \
    "1621464827.959498503\n"

typedef struct {
    int listener;
    uint16_t port;
    volatile bool stop;
    pthread_t thread;
} s_floor_t;

typedef struct {
    char *out;
    size_t size, sent, capacity;
} s_fconn_t;

static void *
s_floor_thread (void *arg)
{
    s_floor_t *self = (s_floor_t *) arg;
    int epoll_fd = epoll_create1 (0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = self->listener};
    epoll_ctl (epoll_fd, EPOLL_CTL_ADD, self->listener, &event);
    s_fconn_t *conns = (s_fconn_t *) calloc (65536, sizeof (s_fconn_t));
    static char buffer[65536];
    size_t line_size = strlen (S_FLOOR_LINE);
    struct epoll_event events[256];
    while (!self->stop) {
        int count = epoll_wait (epoll_fd, events, 256, 50);
        for (int e = 0; e < count; e++) {
            int fd = events[e].data.fd;
            if (fd == self->listener) {
                int client = accept4 (fd, NULL, NULL, SOCK_NONBLOCK);
                if (client >= 0 && client < 65536) {
                    int one = 1;
                    setsockopt (client, IPPROTO_TCP, TCP_NODELAY, &one,
                                sizeof (one));
                    struct epoll_event add = {.events = EPOLLIN,
                                              .data.fd = client};
                    epoll_ctl (epoll_fd, EPOLL_CTL_ADD, client, &add);
                } else if (client >= 0)
                    close (client);
                continue;
            }
            s_fconn_t *conn = &conns[fd];
            if (events[e].events & EPOLLIN) {
                //  One read, count the lines, one write for all of them
                ssize_t got = read (fd, buffer, sizeof (buffer));
                if (got <= 0) {
                    epoll_ctl (epoll_fd, EPOLL_CTL_DEL, fd, NULL);
                    close (fd);
                    free (conn->out);
                    memset (conn, 0, sizeof (*conn));
                    continue;
                }
                size_t lines = 0;
                for (ssize_t b = 0; b < got; b++)
                    lines += buffer[b] == '\n';
                size_t need = conn->size + lines * line_size;
                if (need > conn->capacity) {
                    conn->capacity = need * 2;
                    conn->out = (char *) realloc (conn->out, conn->capacity);
                }
                for (size_t l = 0; l < lines; l++) {
                    memcpy (conn->out + conn->size, S_FLOOR_LINE, line_size);
                    conn->size += line_size;
                }
            }
            if (conn->sent < conn->size) {
                ssize_t put = send (fd, conn->out + conn->sent,
                                    conn->size - conn->sent, MSG_NOSIGNAL);
                if (put > 0)
                    conn->sent += (size_t) put;
                struct epoll_event mod = {
                    .events =
                        EPOLLIN | (conn->sent < conn->size ? EPOLLOUT : 0u),
                    .data.fd = fd};
                epoll_ctl (epoll_fd, EPOLL_CTL_MOD, fd, &mod);
                if (conn->sent == conn->size)
                    conn->sent = conn->size = 0;
            }
        }
    }
    for (int fd = 0; fd < 65536; fd++)
        free (conns[fd].out);
    free (conns);
    close (epoll_fd);
    return NULL;
}

static void
s_floor_start (s_floor_t *self)
{
    self->listener = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt (self->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl (0x7f000001)};
    socklen_t size = sizeof (address);
    if (bind (self->listener, (struct sockaddr *) &address, size)
        || listen (self->listener, 4096)
        || getsockname (self->listener, (struct sockaddr *) &address, &size))
        abort ();
    self->port = ntohs (address.sin_port);
    self->stop = false;
    pthread_create (&self->thread, NULL, s_floor_thread, self);
}

static void
s_floor_stop (s_floor_t *self)
{
    self->stop = true;
    pthread_join (self->thread, NULL);
    close (self->listener);
}

//  ---------------------------------------------------------------------
//  Herds of real nodes

#define S_NODES_MAX 64

typedef struct {
    char dir[64];  //  Working directory: topology, logs, outputs
    size_t count;
    char names[S_NODES_MAX][64];
    uint16_t ports[S_NODES_MAX];
    size_t neighbours[S_NODES_MAX][S_NODES_MAX];
    size_t degrees[S_NODES_MAX];
    uint16_t taps[S_NODES_MAX];  //  Set before s_herd_start: nodes get taps
    pid_t pids[S_NODES_MAX];
} s_herd_t;

static const char *s_binary = "build/herd";

static s_herd_t *
s_herd_new (void)
{
    s_herd_t *self = (s_herd_t *) calloc (1, sizeof (s_herd_t));
    snprintf (self->dir, sizeof (self->dir), "/tmp/herd-bench-XXXXXX");
    if (!mkdtemp (self->dir))
        abort ();
    return self;
}

static size_t
s_herd_add (s_herd_t *self, const char *name)
{
    size_t index = self->count++;
    snprintf (self->names[index], sizeof (self->names[index]), "%s", name);
    return index;
}

static void
s_herd_link (s_herd_t *self, size_t a, size_t b)
{
    self->neighbours[a][self->degrees[a]++] = b;
    self->neighbours[b][self->degrees[b]++] = a;
}

static bool
s_herd_linked (s_herd_t *self, size_t a, size_t b)
{
    for (size_t i = 0; i < self->degrees[a]; i++)
        if (self->neighbours[a][i] == b)
            return true;
    return false;
}

//  The nodes and links of a shipped topology, read through `herd check`.
static s_herd_t *
s_herd_from_file (const char *path)
{
    s_herd_t *self = s_herd_new ();
    char *command = zsys_sprintf ("%s check -t %s", s_binary, path);
    FILE *pipe = popen (command, "r");
    free (command);
    char line[1024];
    char neighbours[S_NODES_MAX][512];
    while (pipe && fgets (line, sizeof (line), pipe)) {
        char name[64], client[128], herd[128];
        neighbours[self->count][0] = 0;
        if (sscanf (line, "%63s\t%127s\t%127s\t%511s", name, client, herd,
                    neighbours[self->count])
            >= 3)
            s_herd_add (self, name);
    }
    if (pipe)
        pclose (pipe);
    for (size_t i = 0; i < self->count; i++) {
        char *save = NULL;
        for (char *token = strtok_r (neighbours[i], ",", &save); token;
             token = strtok_r (NULL, ",", &save))
            for (size_t j = 0; j < i; j++)
                if (streq (self->names[j], token))
                    s_herd_link (self, i, j);
    }
    return self;
}

//  Distances from origin; returns the farthest node (the last one found).
static size_t
s_herd_farthest (s_herd_t *self, size_t origin, int *hops)
{
    int distance[S_NODES_MAX];
    for (size_t i = 0; i < self->count; i++)
        distance[i] = -1;
    size_t queue[S_NODES_MAX], head = 0, tail = 0, last = origin;
    distance[origin] = 0;
    queue[tail++] = origin;
    while (head < tail) {
        size_t node = queue[head++];
        last = node;
        for (size_t i = 0; i < self->degrees[node]; i++) {
            size_t next = self->neighbours[node][i];
            if (distance[next] == -1) {
                distance[next] = distance[node] + 1;
                queue[tail++] = next;
            }
        }
    }
    *hops = distance[last];
    return last;
}

static char *
s_herd_log (s_herd_t *self, size_t index)
{
    return zsys_sprintf ("%s/logs/%s.log", self->dir, self->names[index]);
}

static size_t
s_file_count (const char *path, const char *needle)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[4096];
    size_t count = 0;
    while (fgets (line, sizeof (line), file))
        count += strstr (line, needle) != NULL;
    fclose (file);
    return count;
}

//  Write the topology with fresh ports and settings, start every node,
//  wait until every link is synced.
static void
s_herd_start (s_herd_t *self, const char *settings)
{
    fflush (stdout);  //  Or the children would write our buffer again
    char *path = zsys_sprintf ("%s/herd.zpl", self->dir);
    FILE *file = fopen (path, "w");
    fprintf (file, "herd\n    log_dir = %s/logs\n%s", self->dir,
             settings ? settings : "");
    fprintf (file, "nodes\n");
    for (size_t i = 0; i < self->count; i++) {
        self->ports[i] = s_free_port ();
        fprintf (file,
                 "    %s\n        client = 127.0.0.1:%u\n"
                 "        herd = tcp://127.0.0.1:%u\n",
                 self->names[i], self->ports[i], s_free_port ());
        if (self->taps[i])
            fprintf (file, "        tap = tcp://127.0.0.1:%u\n", self->taps[i]);
    }
    fprintf (file, "links\n");
    for (size_t i = 0; i < self->count; i++)
        for (size_t n = 0; n < self->degrees[i]; n++)
            if (self->neighbours[i][n] > i)
                fprintf (file, "    link = %s %s\n", self->names[i],
                         self->names[self->neighbours[i][n]]);
    fclose (file);
    for (size_t i = 0; i < self->count; i++) {
        char *out = zsys_sprintf ("%s/%s.out", self->dir, self->names[i]);
        pid_t pid = fork ();
        if (pid == 0) {
            if (!freopen (out, "w", stdout) || dup2 (1, 2) == -1)
                _exit (126);
            execl (s_binary, "herd", "node", self->names[i], "-t", path,
                   (char *) NULL);
            _exit (127);
        }
        self->pids[i] = pid;
        free (out);
    }
    int64_t deadline = s_now_us () + 120000000;
    for (size_t i = 0; i < self->count; i++) {
        char *log = s_herd_log (self, i);
        while (s_file_count (log, "link synced") < self->degrees[i]) {
            if (s_now_us () > deadline) {
                fprintf (stderr, "bench: herd in %s did not come up\n",
                         self->dir);
                exit (1);
            }
            usleep (10000);
        }
        free (log);
    }
    free (path);
}

static void
s_herd_destroy (s_herd_t **self_p)
{
    s_herd_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0)
            kill (self->pids[i], SIGTERM);
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0)
            waitpid (self->pids[i], NULL, 0);
    //  HERD_BENCH_KEEP=1 keeps topologies, outputs and logs
    char *command = zsys_sprintf (
        "%s %s", getenv ("HERD_BENCH_KEEP") ? "true" : "rm -rf", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "bench: could not remove %s\n", self->dir);
    free (command);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Propagation, from the nodes' logs (same machine, same clock)

//  A log line's time (its first word), or -1.
static int64_t
s_log_time_us (const char *line)
{
    return herd_log_parse_time (line, strcspn (line, " "));
}

//  Times by sequence number, from lines of path holding needle then
//  "seq=N" (first line per N wins).  Returns an array indexed by seq
//  (-1: absent), of *size entries.
static int64_t *
s_log_seq_times (const char *path, const char *needle, size_t *size)
{
    size_t capacity = 1024;
    int64_t *times = (int64_t *) malloc (capacity * sizeof (int64_t));
    for (size_t i = 0; i < capacity; i++)
        times[i] = -1;
    FILE *file = fopen (path, "r");
    char line[4096];
    while (file && fgets (line, sizeof (line), file)) {
        const char *found = strstr (line, needle);
        if (!found)
            continue;
        const char *seq = strstr (found, "seq=");
        if (!seq)
            continue;
        size_t n = (size_t) strtoull (seq + 4, NULL, 10);
        while (n >= capacity) {
            int64_t *more =
                (int64_t *) realloc (times, 2 * capacity * sizeof (int64_t));
            assert (more);  //  A benchmark: out of memory ends it
            times = more;
            for (size_t i = capacity; i < 2 * capacity; i++)
                times[i] = -1;
            capacity *= 2;
        }
        if (times[n] == -1)
            times[n] = s_log_time_us (line);
    }
    if (file)
        fclose (file);
    *size = capacity;
    return times;
}

typedef struct {
    size_t updates;
    int64_t p50_us, p99_us, max_us;
    double messages_per_update;
    int hops;
    size_t nodes, links;
} s_spread_t;

//  How the updates origin stored reached the farthest node, and how many
//  herd messages the herd used for them.
static void
s_spread (s_herd_t *herd, size_t origin, s_spread_t *spread)
{
    memset (spread, 0, sizeof (*spread));
    size_t farthest = s_herd_farthest (herd, origin, &spread->hops);
    char *origin_log = s_herd_log (herd, origin);
    char *far_log = s_herd_log (herd, farthest);
    //  Records (proto/monitor.md): "update stored originator=A seq=N" where
    //  A took it from its client, "update stored|stale from=B originator=A
    //  seq=N" where it came from a neighbour (stamped when taken)
    char *from_origin =
        zsys_sprintf ("originator=%s seq=", herd->names[origin]);
    char *stored =
        zsys_sprintf ("update stored originator=%s seq=", herd->names[origin]);
    size_t sent_size, got_size;
    int64_t *sent = s_log_seq_times (origin_log, stored, &sent_size);
    int64_t *got = s_log_seq_times (far_log, from_origin, &got_size);
    s_values_t delays = {0};
    for (size_t n = 0; n < sent_size && n < got_size; n++)
        if (sent[n] >= 0 && got[n] >= 0)
            s_values_add (&delays, got[n] - sent[n]);
    s_values_sort (&delays);
    spread->updates = delays.size;
    spread->p50_us = s_percentile (delays.data, delays.size, 50);
    spread->p99_us = s_percentile (delays.data, delays.size, 99);
    spread->max_us = delays.size ? delays.data[delays.size - 1] : 0;
    size_t messages = 0;
    for (size_t i = 0; i < herd->count; i++) {
        char *log = s_herd_log (herd, i);
        messages += s_file_count (log, "update stored from=")
                    + s_file_count (log, "update stale from=");
        free (log);
        spread->links += herd->degrees[i];
    }
    spread->links /= 2;
    spread->nodes = herd->count;
    spread->messages_per_update =
        delays.size ? (double) messages / (double) delays.size : 0;
    free (delays.data);
    free (sent);
    free (got);
    free (stored);
    free (from_origin);
    free (origin_log);
    free (far_log);
}

//  ---------------------------------------------------------------------
//  The sections of the report

static int64_t s_run_ms = 2000;     //  Length of each timed load
static uint64_t s_scale = 1000000;  //  Clients for the memory figure
static bool s_big_herds = true;     //  Topologies of 50 nodes too

static cJSON *
s_load_json (const s_load_result_t *result)
{
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddNumberToObject (item, "replies", (double) result->replies);
    cJSON_AddNumberToObject (item, "errors", (double) result->errors);
    cJSON_AddNumberToObject (item, "per_second", (int64_t) result->rate);
    cJSON_AddNumberToObject (item, "p50_us", (double) result->p50_us);
    cJSON_AddNumberToObject (item, "p99_us", (double) result->p99_us);
    cJSON_AddNumberToObject (item, "max_us", (double) result->max_us);
    return item;
}

static void
s_load (uint16_t port,
        s_kind_t kind,
        const char *prefix,
        int connections,
        int depth,
        s_load_result_t *result)
{
    s_load_config_t config = {.port = port,
                              .connections = connections,
                              .depth = depth,
                              .duration_ms = s_run_ms,
                              .kind = kind,
                              .prefix = prefix};
    s_load_run (&config, result);
}

static s_herd_t *
s_shipped (const char *year, const char *settings)
{
    char *path = zsys_sprintf ("deploy/topologies/cs131-%s.zpl", year);
    s_herd_t *herd = s_herd_from_file (path);
    free (path);
    s_herd_start (herd, settings);
    return herd;
}

//  Runs of each load in the IAMAT section; the median run is reported.
#define S_ROUNDS 3

//  The run of median rate among S_ROUNDS.
static s_load_result_t
s_median_run (const s_load_result_t *runs)
{
    int order[S_ROUNDS];
    for (int i = 0; i < S_ROUNDS; i++)
        order[i] = i;
    for (int i = 0; i < S_ROUNDS; i++)
        for (int j = i + 1; j < S_ROUNDS; j++)
            if (runs[order[j]].rate < runs[order[i]].rate) {
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
    return runs[order[S_ROUNDS / 2]];
}

//  1 and 2: the floor and IAMAT at one node of the 2022 herd.
static double
s_section_iamat (cJSON *report)
{
    printf ("\n## IAMAT at one node (herd of 5, cs131-2022) vs the floor\n\n"
            "Each row: the median of three runs of each, floor and herd in "
            "turn.\n\n"
            "| connections | depth | floor/s | herd/s | herd/floor | herd p50 "
            "| herd p99 |\n|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "iamat");
    s_floor_t floor_server;
    s_floor_start (&floor_server);
    s_herd_t *herd = s_shipped ("2022", NULL);
    const int connections[] = {1, 16, 256};
    const int depths[] = {1, 16};
    double peak = 0;
    for (int c = 0; c < 3; c++)
        for (int d = 0; d < 2; d++) {
            //  Three runs of each, floor and herd in turn, and the median
            //  run of each: this VM's speed wanders between runs
            s_load_result_t floors[S_ROUNDS], herds[S_ROUNDS];
            for (int r = 0; r < S_ROUNDS; r++) {
                s_load (floor_server.port, S_IAMAT, "f", connections[c],
                        depths[d], &floors[r]);
                s_load (herd->ports[0], S_IAMAT, "h", connections[c], depths[d],
                        &herds[r]);
            }
            s_load_result_t floor_result = s_median_run (floors);
            s_load_result_t herd_result = s_median_run (herds);
            double ratio = floor_result.rate > 0
                               ? herd_result.rate / floor_result.rate
                               : 0;
            printf ("| %d | %d | %.0f | %.0f | %.2f | %" PRId64 " us | %" PRId64
                    " us |\n",
                    connections[c], depths[d], floor_result.rate,
                    herd_result.rate, ratio, herd_result.p50_us,
                    herd_result.p99_us);
            fflush (stdout);
            cJSON *row = cJSON_CreateObject ();
            cJSON_AddNumberToObject (row, "connections", connections[c]);
            cJSON_AddNumberToObject (row, "depth", depths[d]);
            cJSON_AddItemToObject (row, "floor", s_load_json (&floor_result));
            cJSON_AddItemToObject (row, "herd", s_load_json (&herd_result));
            cJSON_AddNumberToObject (row, "ratio", ratio);
            cJSON_AddItemToArray (rows, row);
            if (connections[c] == 16 && herd_result.rate > peak)
                peak = herd_result.rate;
        }
    s_herd_destroy (&herd);
    s_floor_stop (&floor_server);
    //  What logging every line and update costs
    herd = s_shipped ("2022", "    log_level = notice\n");
    cJSON *quiet = cJSON_AddArrayToObject (report, "iamat_log_warning");
    printf ("\nSame herd with `log_level = notice` (no record per line):\n\n"
            "| connections | depth | herd/s | p50 | p99 "
            "|\n|---|---|---|---|---|\n");
    for (int d = 0; d < 2; d++) {
        s_load_result_t result;
        s_load (herd->ports[0], S_IAMAT, "q", 16, depths[d], &result);
        printf ("| 16 | %d | %.0f | %" PRId64 " us | %" PRId64 " us |\n",
                depths[d], result.rate, result.p50_us, result.p99_us);
        cJSON *row = s_load_json (&result);
        cJSON_AddNumberToObject (row, "depth", depths[d]);
        cJSON_AddItemToArray (quiet, row);
    }
    s_herd_destroy (&herd);
    return peak;
}

static cJSON *
s_spread_json (const s_spread_t *spread)
{
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddNumberToObject (item, "nodes", (double) spread->nodes);
    cJSON_AddNumberToObject (item, "links", (double) spread->links);
    cJSON_AddNumberToObject (item, "hops", spread->hops);
    cJSON_AddNumberToObject (item, "updates", (double) spread->updates);
    cJSON_AddNumberToObject (item, "p50_us", (double) spread->p50_us);
    cJSON_AddNumberToObject (item, "p99_us", (double) spread->p99_us);
    cJSON_AddNumberToObject (item, "max_us", (double) spread->max_us);
    cJSON_AddNumberToObject (item, "messages_per_update",
                             spread->messages_per_update);
    return item;
}

//  Paced IAMATs at node origin of herd, then the spread to the farthest.
static void
s_paced_spread (s_herd_t *herd,
                size_t origin,
                double rate,
                int connections,
                int64_t duration_ms,
                s_spread_t *spread)
{
    s_load_config_t config = {.port = herd->ports[origin],
                              .connections = connections,
                              .depth = 1,
                              .duration_ms = duration_ms,
                              .rate = rate,
                              .kind = S_IAMAT,
                              .prefix = "p"};
    s_load_result_t result;
    s_load_run (&config, &result);
    //  Until the farthest node has logged them all (or 5 s)
    int hops;
    size_t farthest = s_herd_farthest (herd, origin, &hops);
    char *log = s_herd_log (herd, farthest);
    char *needle = zsys_sprintf ("originator=%s seq=", herd->names[origin]);
    for (int i = 0; i < 500 && s_file_count (log, needle) < result.replies; i++)
        usleep (10000);
    free (needle);
    free (log);
    s_spread (herd, origin, spread);
}

//  3: propagation to the farthest node, light load and half the peak.
//  The floor under a herd's propagation on this machine: ZeroMQ alone
//  carrying a timestamp from A through B, which passes it on at once, to
//  C, over DEALER to ROUTER on loopback, paced like the light-load rows.
//  Each of A, B and C has its own context (its own I/O thread), as each
//  node has.
typedef struct {
    void *context;
    uint16_t port;         //  Its ROUTER binds here
    uint16_t next;         //  B: where it passes messages on
    size_t count;          //  C: how many to take
    int64_t *delays;       //  C: one-way times, microseconds
    volatile bool *ready;  //  Set once bound
} s_hop_t;

static void *
s_hop_run (void *arg)
{
    s_hop_t *self = (s_hop_t *) arg;
    void *router = zmq_socket (self->context, ZMQ_ROUTER);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u", self->port);
    int rc = zmq_bind (router, endpoint);
    assert (rc == 0);
    void *dealer = NULL;
    if (self->next) {
        dealer = zmq_socket (self->context, ZMQ_DEALER);
        snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u",
                  self->next);
        zmq_connect (dealer, endpoint);
    }
    *self->ready = true;
    char id[256], stamp[8];
    for (size_t n = 0; !self->next ? n < self->count : true; n++) {
        if (zmq_recv (router, id, sizeof (id), 0) < 0
            || zmq_recv (router, stamp, sizeof (stamp), 0) != 8)
            break;  //  The context was shut down
        if (dealer)
            zmq_send (dealer, stamp, sizeof (stamp), 0);
        else {
            int64_t sent;
            memcpy (&sent, stamp, sizeof (sent));
            self->delays[n] = zclock_usecs () - sent;
        }
    }
    int linger = 0;
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_close (router);
    if (dealer) {
        zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
        zmq_close (dealer);
    }
    return NULL;
}

static void
s_zmq_floor (int rate, size_t count, int64_t *p50, int64_t *p99)
{
    volatile bool ready_b = false, ready_c = false;
    int64_t *delays = (int64_t *) calloc (count, sizeof (int64_t));
    s_hop_t c = {zmq_ctx_new (), s_free_port (), 0, count, delays, &ready_c};
    s_hop_t b = {zmq_ctx_new (), s_free_port (), c.port, 0, NULL, &ready_b};
    pthread_t thread_b, thread_c;
    pthread_create (&thread_c, NULL, s_hop_run, &c);
    pthread_create (&thread_b, NULL, s_hop_run, &b);
    while (!ready_b || !ready_c)
        usleep (1000);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u", b.port);
    zmq_connect (dealer, endpoint);
    usleep (300000);  //  Both connections made before the first stamp
    int64_t start = zclock_usecs ();
    for (size_t n = 0; n < count; n++) {
        int64_t due = start + (int64_t) n * 1000000 / rate;
        int64_t now = zclock_usecs ();
        if (due > now)
            usleep ((useconds_t) (due - now));
        int64_t stamp = zclock_usecs ();
        zmq_send (dealer, &stamp, sizeof (stamp), 0);
    }
    pthread_join (thread_c, NULL);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_close (dealer);
    zmq_ctx_term (context);
    zmq_ctx_shutdown (b.context);  //  Its blocking recv returns
    pthread_join (thread_b, NULL);
    zmq_ctx_term (b.context);
    zmq_ctx_term (c.context);
    qsort (delays, count, sizeof (int64_t), s_compare_i64);
    *p50 = s_percentile (delays, count, 50);
    *p99 = s_percentile (delays, count, 99);
    free (delays);
}

//  The floor under that: how often the machine itself stops running a
//  thread that wants to run.  One thread per processor, pinned, reads the
//  clock in a loop for a while on the otherwise idle machine; a gap
//  between two reads is a time the thread did not run (another task, the
//  kernel, or, in a VM, the hypervisor running something else).  A
//  propagation is a chain of wake-ups across threads on every processor:
//  when a gap falls inside it, it is late by that gap.
typedef struct {
    int cpu;
    int64_t run_us;
    size_t over_500us, over_1ms;  //  Gaps longer than these
    int64_t longest_us;
} s_stalls_t;

static void *
s_stalls_run (void *arg)
{
    s_stalls_t *self = (s_stalls_t *) arg;
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (self->cpu, &set);
    pthread_setaffinity_np (pthread_self (), sizeof (set), &set);
    int64_t last = s_now_us (), end = last + self->run_us;
    while (last < end) {
        int64_t now = s_now_us ();
        int64_t gap = now - last;
        self->over_500us += gap > 500;
        self->over_1ms += gap > 1000;
        if (gap > self->longest_us)
            self->longest_us = gap;
        last = now;
    }
    return NULL;
}

//  Gaps per processor-second over run_ms, summed over the processors.
static void
s_machine_stalls (int64_t run_ms,
                  double *over_500us,
                  double *over_1ms,
                  int64_t *longest_us)
{
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    s_stalls_t *stalls =
        (s_stalls_t *) calloc ((size_t) cpus, sizeof (*stalls));
    pthread_t *threads =
        (pthread_t *) calloc ((size_t) cpus, sizeof (*threads));
    for (long i = 0; i < cpus; i++) {
        stalls[i].cpu = (int) i;
        stalls[i].run_us = run_ms * 1000;
        pthread_create (&threads[i], NULL, s_stalls_run, &stalls[i]);
    }
    size_t over_500 = 0, over_1000 = 0;
    *longest_us = 0;
    for (long i = 0; i < cpus; i++) {
        pthread_join (threads[i], NULL);
        over_500 += stalls[i].over_500us;
        over_1000 += stalls[i].over_1ms;
        if (stalls[i].longest_us > *longest_us)
            *longest_us = stalls[i].longest_us;
    }
    double seconds = (double) cpus * (double) run_ms / 1000;
    *over_500us = (double) over_500 / seconds;
    *over_1ms = (double) over_1000 / seconds;
    free (stalls);
    free (threads);
}

static void
s_section_propagation (cJSON *report, double peak)
{
    double stalls_500us, stalls_1ms;
    int64_t stall_longest;
    s_machine_stalls (5 * s_run_ms, &stalls_500us, &stalls_1ms, &stall_longest);
    cJSON *machine = cJSON_AddObjectToObject (report, "machine_stalls");
    cJSON_AddNumberToObject (machine, "over_500us_per_cpu_s", stalls_500us);
    cJSON_AddNumberToObject (machine, "over_1ms_per_cpu_s", stalls_1ms);
    cJSON_AddNumberToObject (machine, "longest_us", (double) stall_longest);
    printf (
        "\n## Propagation to the farthest node\n\n"
        "From the origin storing an IAMAT to the farthest node receiving "
        "it (node log timestamps).\n\n"
        "| topology | load | hops | updates | p50 | p99 | deliveries/update "
        "(minimum N-1) |\n|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "propagation");
    //  The floor first: what two ZeroMQ hops cost with no work at all
    //  At light load, five runs' worth: 2,000 updates, so that the p99 is
    //  the 20th worst, not the 4th
    int64_t light_ms = 5 * s_run_ms;
    size_t light = (size_t) (200 * light_ms / 1000);
    int64_t floor_p50, floor_p99;
    s_zmq_floor (200, light, &floor_p50, &floor_p99);
    printf ("| ZeroMQ alone (A to B to C, nothing else) | 200/s | 2 | %zu | "
            "%" PRId64 " us | %" PRId64 " us | - |\n",
            light, floor_p50, floor_p99);
    fflush (stdout);
    cJSON *floor = cJSON_CreateObject ();
    cJSON_AddStringToObject (floor, "topology", "zeromq-floor");
    cJSON_AddNumberToObject (floor, "rate", 200);
    cJSON_AddNumberToObject (floor, "hops", 2);
    cJSON_AddNumberToObject (floor, "p50_us", (double) floor_p50);
    cJSON_AddNumberToObject (floor, "p99_us", (double) floor_p99);
    cJSON_AddItemToArray (rows, floor);
    const char *years[] = {"2018", "2020", "2021", "2022", "2023"};
    for (int y = 0; y < 5; y++) {
        s_herd_t *herd = s_shipped (years[y], NULL);
        s_spread_t spread;
        s_paced_spread (herd, 0, 200, 1, light_ms, &spread);
        printf ("| cs131-%s | 200/s | %d | %zu | %" PRId64 " us | %" PRId64
                " us | %.2f (%zu) |\n",
                years[y], spread.hops, spread.updates, spread.p50_us,
                spread.p99_us, spread.messages_per_update, spread.nodes - 1);
        fflush (stdout);
        cJSON *row = s_spread_json (&spread);
        cJSON_AddStringToObject (row, "topology", years[y]);
        cJSON_AddNumberToObject (row, "rate", 200);
        cJSON_AddItemToArray (rows, row);
        if (streq (years[y], "2022") && peak > 0) {
            s_herd_destroy (&herd);
            herd = s_shipped (years[y], NULL);
            s_paced_spread (herd, 0, peak / 2, 16, s_run_ms, &spread);
            printf ("| cs131-%s | %.0f/s (half the peak) | %d | %zu | %" PRId64
                    " us | %" PRId64 " us | %.2f (%zu) |\n",
                    years[y], peak / 2, spread.hops, spread.updates,
                    spread.p50_us, spread.p99_us, spread.messages_per_update,
                    spread.nodes - 1);
            row = s_spread_json (&spread);
            cJSON_AddStringToObject (row, "topology", years[y]);
            cJSON_AddNumberToObject (row, "rate", peak / 2);
            cJSON_AddItemToArray (rows, row);
        }
        s_herd_destroy (&herd);
    }
    printf ("\nThe machine itself, idle, for %" PRId64 " s: each processor "
            "stopped running a thread that wanted to run for over 0.5 ms "
            "%.1f times a second, for over 1 ms %.1f times a second; the "
            "longest stop %.1f ms.\n",
            5 * s_run_ms / 1000, stalls_500us, stalls_1ms,
            (double) stall_longest / 1000);
}

//  `herd places-stub` on a free port with delay_ms; returns its pid.
static pid_t
s_stub_start (uint16_t *port, int delay_ms, const char *dir)
{
    *port = s_free_port ();
    char *listen = zsys_sprintf ("127.0.0.1:%u", *port);
    char *delay = zsys_sprintf ("%d", delay_ms);
    char *out = zsys_sprintf ("%s/stub.out", dir);
    fflush (stdout);
    pid_t pid = fork ();
    if (pid == 0) {
        if (!freopen (out, "w", stdout) || dup2 (1, 2) == -1)
            _exit (126);
        execl (s_binary, "herd", "places-stub", "--listen", listen, "--delay",
               delay, (char *) NULL);
        _exit (127);
    }
    for (int i = 0; i < 1000 && s_file_count (out, "ready") == 0; i++)
        usleep (10000);
    free (listen);
    free (delay);
    free (out);
    return pid;
}

//  What a tap costs: the same load on a herd without taps, with taps and
//  nobody listening, and with one listener taking every event.
typedef struct {
    zsock_t *sub;
    volatile bool stop;
    uint64_t events;    //  Records
    uint64_t messages;  //  What they came in
} s_listener_t;

static void *
s_listen (void *arg)
{
    s_listener_t *self = (s_listener_t *) arg;
    while (!self->stop) {
        zmsg_t *msg = zmsg_recv_nowait (self->sub);
        if (msg) {
            //  A topic, then records joined by LF (proto/monitor.md)
            zframe_t *body = zmsg_last (msg);
            const char *data = (const char *) zframe_data (body);
            size_t size = zframe_size (body);
            self->events++;
            for (size_t i = 0; i < size; i++)
                self->events += data[i] == '\n';
            self->messages++;
            zmsg_destroy (&msg);
        } else
            zmq_poll (NULL, 0, 1);
    }
    return NULL;
}

static void
s_section_tap (cJSON *report)
{
    printf ("\n## What the tap costs\n\n"
            "IAMAT at one node of the 2022 herd, 16 connections, depth 1:\n\n"
            "| herd | IAMAT/s | p50 | p99 | events taken | in messages "
            "|\n|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "tap");
    const char *cases[] = {"no taps", "taps, nobody listening",
                           "taps, one listener"};
    for (int c = 0; c < 3; c++) {
        s_herd_t *herd = s_herd_from_file ("deploy/topologies/cs131-2022.zpl");
        for (size_t i = 0; c > 0 && i < herd->count; i++)
            herd->taps[i] = s_free_port ();
        s_herd_start (herd, NULL);
        s_listener_t listener = {NULL, false, 0, 0};
        pthread_t thread;
        if (c == 2) {
            listener.sub = zsock_new (ZMQ_SUB);
            zsock_set_rcvhwm (listener.sub, 100000);
            for (size_t i = 0; i < herd->count; i++)
                zsock_connect (listener.sub, "tcp://127.0.0.1:%u",
                               herd->taps[i]);
            zsock_set_subscribe (listener.sub, "");
            usleep (300000);  //  The taps read subscriptions every 50 ms
            pthread_create (&thread, NULL, s_listen, &listener);
        }
        s_load_result_t result;
        s_load (herd->ports[0], S_IAMAT, "t", 16, 1, &result);
        if (c == 2) {
            listener.stop = true;
            pthread_join (thread, NULL);
            zsock_destroy (&listener.sub);
        }
        printf ("| %s | %.0f | %" PRId64 " us | %" PRId64 " us | %" PRIu64
                " | %" PRIu64 " |\n",
                cases[c], result.rate, result.p50_us, result.p99_us,
                listener.events, listener.messages);
        fflush (stdout);
        cJSON *row = s_load_json (&result);
        cJSON_AddStringToObject (row, "case", cases[c]);
        cJSON_AddNumberToObject (row, "events", (double) listener.events);
        cJSON_AddNumberToObject (row, "messages", (double) listener.messages);
        cJSON_AddItemToArray (rows, row);
        s_herd_destroy (&herd);
    }
}

//  4: WHATSAT against the stub, and IAMAT on the same node meanwhile.
static void
s_section_whatsat (cJSON *report)
{
    printf ("\n## WHATSAT against the offline Places server (Places API New "
            "over libcurl)\n\n"
            "| upstream delay | connections | WHATSAT/s | p50 | p99 | IAMAT "
            "p50 meanwhile | IAMAT p99 meanwhile |\n"
            "|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "whatsat");
    const int delays[] = {0, 200};
    const int connections[] = {16, 1000};
    for (int i = 0; i < 2; i++) {
        s_herd_t *herd = s_herd_from_file ("deploy/topologies/cs131-2022.zpl");
        uint16_t stub_port;
        pid_t stub = s_stub_start (&stub_port, delays[i], herd->dir);
        char *settings = zsys_sprintf (
            "places\n    provider = google\n    url = http://127.0.0.1:%u\n"
            "    rate_per_second = 100000\n    max_in_flight = 2000\n",
            stub_port);
        setenv ("HERD_PLACES_KEY", "bench", 1);
        s_herd_start (herd, settings);
        free (settings);
        //  The client asked about
        int fd = s_connect (herd->ports[0]);
        const char *iamat = "IAMAT kiwi +34.068930-118.445127 1700000000\n";
        if (write (fd, iamat, strlen (iamat)) < 0)
            abort ();
        char buffer[512];
        if (read (fd, buffer, sizeof (buffer)) <= 0)
            abort ();
        close (fd);
        //  Steady state: the first second (a thousand connections to the
        //  Places server being opened) is not counted
        s_load_job_t whatsat = {{.port = herd->ports[0],
                                 .connections = connections[i],
                                 .depth = 1,
                                 .duration_ms = 3 * s_run_ms + 1000,
                                 .warmup_ms = 1000,
                                 .kind = S_WHATSAT,
                                 .prefix = "kiwi"},
                                {0}};
        s_load_job_t probe = {{.port = herd->ports[0],
                               .connections = 1,
                               .depth = 1,
                               .duration_ms = 3 * s_run_ms + 1000,
                               .warmup_ms = 1000,
                               .rate = 500,  //  Thousands of samples: a
                                             //  p99 that means something
                               .kind = S_IAMAT,
                               .prefix = "probe"},
                              {0}};
        pthread_t threads[2];
        pthread_create (&threads[0], NULL, s_load_thread, &whatsat);
        pthread_create (&threads[1], NULL, s_load_thread, &probe);
        pthread_join (threads[0], NULL);
        pthread_join (threads[1], NULL);
        printf ("| %d ms | %d | %.0f | %" PRId64 " us | %" PRId64
                " us | %" PRId64 " us | %" PRId64 " us |\n",
                delays[i], connections[i], whatsat.result.rate,
                whatsat.result.p50_us, whatsat.result.p99_us,
                probe.result.p50_us, probe.result.p99_us);
        fflush (stdout);
        cJSON *row = cJSON_CreateObject ();
        cJSON_AddNumberToObject (row, "delay_ms", delays[i]);
        cJSON_AddNumberToObject (row, "connections", connections[i]);
        cJSON_AddItemToObject (row, "whatsat", s_load_json (&whatsat.result));
        cJSON_AddItemToObject (row, "iamat", s_load_json (&probe.result));
        cJSON_AddItemToArray (rows, row);
        kill (stub, SIGTERM);
        waitpid (stub, NULL, 0);
        s_herd_destroy (&herd);
    }
}

static bool
s_knows (uint16_t port, const char *client)
{
    int fd = s_connect (port);
    char request[128];
    snprintf (request, sizeof (request), "WHATSAT %s 1 1\n", client);
    if (write (fd, request, strlen (request)) < 0)
        abort ();
    shutdown (fd, SHUT_WR);
    char buffer[4096];
    ssize_t got = read (fd, buffer, sizeof (buffer));
    close (fd);
    return got > 3 && strncmp (buffer, "AT ", 3) == 0;
}

//  5a: memory per stored client, clients fed through the herd.
static void
s_section_memory (cJSON *report)
{
    s_herd_t *herd = s_shipped ("2022", "    log_level = notice\n");
    size_t before[S_NODES_MAX];
    for (size_t i = 0; i < herd->count; i++)
        before[i] = s_rss_kib (herd->pids[i]);
    s_load_config_t config = {.port = herd->ports[0],
                              .connections = 16,
                              .depth = 16,
                              .requests = s_scale,
                              .kind = S_IAMAT_FRESH,
                              .prefix = "m"};
    s_load_result_t result;
    s_load_run (&config, &result);
    //  One more, last: when every node has it, it has all the rest
    int fd = s_connect (herd->ports[0]);
    const char *last = "IAMAT scale-last +1+1 1800000000\n";
    if (write (fd, last, strlen (last)) < 0)
        abort ();
    char buffer[512];
    if (read (fd, buffer, sizeof (buffer)) <= 0)
        abort ();
    close (fd);
    for (size_t i = 0; i < herd->count; i++)
        for (int t = 0; t < 6000 && !s_knows (herd->ports[i], "scale-last");
             t++)
            usleep (10000);
    printf ("\n## Memory per stored client\n\n"
            "%" PRIu64 " clients fed to %s (%.0f IAMAT/s with 16 connections, "
            "depth 16), stored by all 5 nodes:\n\n"
            "| node | RSS before | RSS after | bytes per client |\n"
            "|---|---|---|---|\n",
            s_scale, herd->names[0], result.rate);
    cJSON *rows = cJSON_AddArrayToObject (report, "memory");
    for (size_t i = 0; i < herd->count; i++) {
        size_t after = s_rss_kib (herd->pids[i]);
        double per_client =
            (double) (after - before[i]) * 1024.0 / (double) s_scale;
        printf ("| %s | %zu KiB | %zu KiB | %.0f |\n", herd->names[i],
                before[i], after, per_client);
        cJSON *row = cJSON_CreateObject ();
        cJSON_AddStringToObject (row, "node", herd->names[i]);
        cJSON_AddNumberToObject (row, "clients", (double) s_scale);
        cJSON_AddNumberToObject (row, "rss_before_kib", (double) before[i]);
        cJSON_AddNumberToObject (row, "rss_after_kib", (double) after);
        cJSON_AddNumberToObject (row, "bytes_per_client", per_client);
        cJSON_AddItemToArray (rows, row);
    }
    s_herd_destroy (&herd);
}

//  5b: flood cost as the herd grows.
static s_herd_t *
s_generated (const char *shape, size_t nodes, unsigned *seed)
{
    s_herd_t *herd = s_herd_new ();
    for (size_t i = 0; i < nodes; i++) {
        char name[32];
        snprintf (name, sizeof (name), "N%02zu", i);
        s_herd_add (herd, name);
    }
    if (streq (shape, "ring"))
        for (size_t i = 0; i < nodes; i++)
            s_herd_link (herd, i, (i + 1) % nodes);
    else if (streq (shape, "star"))
        for (size_t i = 1; i < nodes; i++)
            s_herd_link (herd, 0, i);
    else {
        //  Random 4-regular: a ring for connectedness, then random chords
        //  between nodes of degree < 4 until none can be added
        for (size_t i = 0; i < nodes; i++)
            s_herd_link (herd, i, (i + 1) % nodes);
        for (int tries = 0; tries < 100000; tries++) {
            size_t a = (size_t) rand_r (seed) % nodes;
            size_t b = (size_t) rand_r (seed) % nodes;
            if (a != b && herd->degrees[a] < 4 && herd->degrees[b] < 4
                && !s_herd_linked (herd, a, b))
                s_herd_link (herd, a, b);
        }
    }
    return herd;
}

static void
s_section_flood (cJSON *report)
{
    printf (
        "\n## Flood cost as the herd grows\n\n"
        "200 IAMATs/s for the run at one node (a leaf of the star), "
        "generated topologies on this machine:\n\n"
        "| shape | nodes | links | hops | deliveries/update (minimum N-1) | "
        "p50 | p99 |\n|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "flood");
    const char *shapes[] = {"ring", "random-regular", "star"};
    const size_t sizes[] = {5, 20, 50};
    unsigned seed = 131;
    for (int z = 0; z < (s_big_herds ? 3 : 2); z++)
        for (int s = 0; s < 3; s++) {
            s_herd_t *herd = s_generated (shapes[s], sizes[z], &seed);
            s_herd_start (herd, NULL);
            size_t origin = herd->count - 1;
            s_spread_t spread;
            s_paced_spread (herd, origin, 200, 1, s_run_ms, &spread);
            printf ("| %s | %zu | %zu | %d | %.2f (%zu) | %" PRId64
                    " us | %" PRId64 " us |\n",
                    shapes[s], spread.nodes, spread.links, spread.hops,
                    spread.messages_per_update, spread.nodes - 1, spread.p50_us,
                    spread.p99_us);
            fflush (stdout);
            cJSON *row = s_spread_json (&spread);
            cJSON_AddStringToObject (row, "shape", shapes[s]);
            cJSON_AddItemToArray (rows, row);
            s_herd_destroy (&herd);
        }
}

int
main (int argc, char **argv)
{
    const char *out = "build/bench.json";
    const char *only = NULL;
    int drive = 0, connections = 16, depth = 1;
    double rate = 0;
    const char *whatsat = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--drive") && i + 1 < argc)
            drive = atoi (argv[++i]);
        else if (streq (argv[i], "--rate") && i + 1 < argc)
            rate = atof (argv[++i]);
        else if (streq (argv[i], "--whatsat") && i + 1 < argc)
            whatsat = argv[++i];
        else if (streq (argv[i], "--connections") && i + 1 < argc)
            connections = atoi (argv[++i]);
        else if (streq (argv[i], "--depth") && i + 1 < argc)
            depth = atoi (argv[++i]);
        else if (streq (argv[i], "--seconds") && i + 1 < argc)
            s_run_ms = atoi (argv[++i]) * 1000;
        else if (streq (argv[i], "--herd") && i + 1 < argc)
            s_binary = argv[++i];
        else if (streq (argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (streq (argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (streq (argv[i], "--quick")) {
            s_run_ms = 1000;
            s_scale = 100000;
            s_big_herds = false;
        } else {
            fprintf (stderr,
                     "usage: herd_bench [--herd PATH] [--out FILE] [--quick] "
                     "[--only iamat|tap|propagation|whatsat|memory|flood]\n"
                     "       herd_bench --drive PORT [--connections N] "
                     "[--depth N] [--seconds N] [--rate PER_SECOND] "
                     "[--whatsat CLIENT]\n"
                     "           (IAMATs at one server, or WHATSATs about "
                     "CLIENT; closed loop unless paced)\n");
            return 2;
        }
    }
    signal (SIGPIPE, SIG_IGN);
    struct rlimit limit;
    getrlimit (RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit (RLIMIT_NOFILE, &limit);
    if (drive) {
        s_load_result_t result;
        s_load_config_t config = {.port = (uint16_t) drive,
                                  .connections = connections,
                                  .depth = depth,
                                  .duration_ms = s_run_ms,
                                  .rate = rate,
                                  .kind = whatsat ? S_WHATSAT : S_IAMAT,
                                  .prefix = whatsat ? whatsat : "d"};
        s_load_run (&config, &result);
        printf ("%.0f replies/s, p50 %" PRId64 " us, p99 %" PRId64
                " us, %" PRIu64 " errors\n",
                result.rate, result.p50_us, result.p99_us, result.errors);
        return 0;
    }
    char host[256] = "";
    gethostname (host, sizeof (host) - 1);
    time_t now = time (NULL);
    char date[32];
    strftime (date, sizeof (date), "%Y-%m-%d", gmtime (&now));
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    printf ("# herd bench, %s, %ld cores, loopback, runs of %" PRId64 " ms\n",
            date, cores, s_run_ms);
    cJSON *report = cJSON_CreateObject ();
    cJSON_AddStringToObject (report, "date", date);
    cJSON_AddNumberToObject (report, "cores", (double) cores);
    cJSON_AddNumberToObject (report, "run_ms", (double) s_run_ms);
    double peak = 0;
    if (!only || streq (only, "iamat"))
        peak = s_section_iamat (report);
    if (!only || streq (only, "tap"))
        s_section_tap (report);
    if (!only || streq (only, "propagation"))
        s_section_propagation (report, peak);
    if (!only || streq (only, "whatsat"))
        s_section_whatsat (report);
    if (!only || streq (only, "memory"))
        s_section_memory (report);
    if (!only || streq (only, "flood"))
        s_section_flood (report);
    char *json = cJSON_Print (report);
    FILE *file = fopen (out, "w");
    if (file) {
        fputs (json, file);
        fputs ("\n", file);
        fclose (file);
        printf ("\nResults in %s\n", out);
    }
    free (json);
    cJSON_Delete (report);
    return 0;
}
