/*  herd_bench_load - the bench's load generator, and its small helpers

    epoll, many connections, closed loop or paced, optional pipelining;
    the protocol (herd_bench_protocol.c) says what a request is and where
    its reply ends.  */

#include "herd_bench.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

//  ---------------------------------------------------------------------
//  Small helpers

int64_t
herd_bench_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int64_t
herd_bench_wall_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

uint16_t
herd_bench_free_port (void)
{
    //  The ports given out so far in this process: the bench's one table
    //  of its own, read and written by the main thread only
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

int
herd_bench_connect (uint16_t port)
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

//  Lines of the file at path that hold needle, and also if not NULL.
static size_t
s_file_count (const char *path, const char *needle, const char *also)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[4096];
    size_t count = 0;
    while (fgets (line, sizeof (line), file))
        count += strstr (line, needle) && (!also || strstr (line, also));
    fclose (file);
    return count;
}

size_t
herd_bench_file_count (const char *path, const char *needle)
{
    return s_file_count (path, needle, NULL);
}

size_t
herd_bench_file_count_stored (const char *path, const char *needle)
{
    return s_file_count (path, needle, " update stored ");
}

pid_t
herd_bench_spawn (const char *out, const char *path, char *const argv[])
{
    fflush (stdout);  //  Or the child would write our buffer again
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        //  The kernel's own clean-up: SIGTERM when the bench ends, even
        //  by exit (1) deep in a section or by a signal
        if (prctl (PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid () != parent)
            _exit (125);
        if (!freopen (out, "w", stdout) || dup2 (1, 2) == -1)
            _exit (126);
        execv (path, argv);
        _exit (127);
    }
    return pid;
}

void
herd_bench_stop (pid_t pid)
{
    if (pid <= 0)
        return;
    kill (pid, SIGTERM);
    for (int i = 0; i < 1000; i++) {
        if (waitpid (pid, NULL, WNOHANG) != 0)
            return;
        usleep (10000);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

void
herd_bench_pace (int64_t start, size_t n, double rate)
{
    int64_t due = start + (int64_t) ((double) n * 1e6 / rate);
    int64_t now = herd_bench_now_us ();
    if (due > now)
        usleep ((useconds_t) (due - now));
}

int
herd_bench_compare_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

int64_t
herd_bench_percentile (const int64_t *sorted, size_t count, double p)
{
    if (count == 0)
        return 0;
    size_t index = (size_t) (p / 100.0 * (double) (count - 1) + 0.5);
    return sorted[index < count ? index : count - 1];
}

void
herd_bench_values_add (herd_bench_values_t *self, int64_t value)
{
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 4096;
        self->data =
            (int64_t *) realloc (self->data, self->capacity * sizeof (int64_t));
        assert (self->data);
    }
    self->data[self->size++] = value;
}

void
herd_bench_values_sort (herd_bench_values_t *self)
{
    qsort (self->data, self->size, sizeof (int64_t), herd_bench_compare_i64);
}

//  ---------------------------------------------------------------------
//  The load generator

typedef struct {
    int fd;
    int64_t *sent;  //  Send times of outstanding requests, a ring
    size_t head, outstanding;
    int64_t next_due;  //  Paced: when the next request may go
    uint64_t counter;  //  Requests made on this connection
    char *out;         //  Bytes not yet written
    size_t out_size, out_sent, out_capacity;
    herd_bench_reply_t reply;  //  The reply being read
} s_lconn_t;

static void
s_lconn_request (const herd_bench_load_config_t *config,
                 s_lconn_t *conn,
                 int index)
{
    char line[256];
    int size = config->protocol->request (config->prefix, index,
                                          conn->counter++, line, sizeof (line));
    assert (size > 0 && (size_t) size < sizeof (line));
    if (conn->out_size + (size_t) size > conn->out_capacity) {
        conn->out_capacity = (conn->out_size + (size_t) size) * 2;
        conn->out = (char *) realloc (conn->out, conn->out_capacity);
    }
    memcpy (conn->out + conn->out_size, line, (size_t) size);
    conn->out_size += (size_t) size;
    size_t slot = (conn->head + conn->outstanding) % (size_t) config->depth;
    conn->sent[slot] = herd_bench_now_us ();
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
    const herd_bench_load_config_t *config;
    s_lconn_t *conns;
    double interval_us;  //  Paced: between requests of one connection
    bool sending;
    uint64_t outstanding;  //  Over every connection
    herd_bench_load_result_t *result;
    herd_bench_values_t latencies;  //  Of the replies counted
    int64_t counted_from;           //  Replies before this are not counted
    int64_t last_reply;             //  When the last reply came
} s_load_t;

//  Queue as many requests on conn as it may send now, and write them.
//  Returns the microseconds until it may send again if paced, else 0.
static int64_t
s_fill (s_load_t *self, int index, int64_t now)
{
    const herd_bench_load_config_t *config = self->config;
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

//  Take what one read brought on conn, at time at: every reply it ends.
static void
s_take (
    s_load_t *self, s_lconn_t *conn, const char *data, size_t size, int64_t at)
{
    const herd_bench_load_config_t *config = self->config;
    size_t taken = 0;
    while (taken < size) {
        bool done = false, error = false;
        taken += config->protocol->scan (&conn->reply, data + taken,
                                         size - taken, &done, &error);
        if (!done || conn->outstanding == 0)
            continue;
        int64_t latency = at - conn->sent[conn->head];
        conn->head = (conn->head + 1) % (size_t) config->depth;
        conn->outstanding--;
        self->outstanding--;
        self->last_reply = at;
        if (at < self->counted_from)
            continue;  //  Warming up
        herd_bench_values_add (&self->latencies, latency);
        self->result->replies++;
        self->result->errors += error;
    }
}

void
herd_bench_load_run (const herd_bench_load_config_t *config,
                     herd_bench_load_result_t *result)
{
    memset (result, 0, sizeof (*result));
    s_load_t self = {.config = config, .sending = true, .result = result};
    int epoll_fd = epoll_create1 (0);
    self.conns =
        (s_lconn_t *) calloc ((size_t) config->connections, sizeof (s_lconn_t));
    self.interval_us =
        config->rate > 0 ? 1e6 * config->connections / config->rate : 0;
    int64_t start = herd_bench_now_us ();
    for (int i = 0; i < config->connections; i++) {
        s_lconn_t *conn = &self.conns[i];
        uint16_t port = config->ports ? config->ports[i % config->port_count]
                                      : config->port;
        conn->fd = herd_bench_connect (port);
        if (conn->fd == -1) {
            fprintf (stderr, "bench: cannot connect to %u\n", port);
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
    static __thread char buffer[65536];
    struct epoll_event events[256];
    int64_t stop_at =
        config->duration_ms ? start + config->duration_ms * 1000 : INT64_MAX;
    int64_t next_tick = start;
    self.last_reply = start;
    self.counted_from = start + config->warmup_ms * 1000;
    while (true) {
        int64_t now = herd_bench_now_us ();
        if (now >= stop_at
            || (config->requests && result->replies >= config->requests))
            self.sending = false;
        if (!self.sending && self.outstanding == 0)
            break;
        if (!self.sending && now - self.last_reply > 10000000)
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
            int64_t at = herd_bench_now_us ();
            s_take (&self, conn, buffer, (size_t) got, at);
            //  Closed loop: the next requests go at once
            s_fill (&self, index, at);
        }
    }
    result->seconds = (double) (self.last_reply - self.counted_from) / 1e6;
    result->rate =
        result->seconds > 0 ? (double) result->replies / result->seconds : 0;
    herd_bench_values_t *latencies = &self.latencies;
    herd_bench_values_sort (latencies);
    result->p50_us =
        herd_bench_percentile (latencies->data, latencies->size, 50);
    result->p99_us =
        herd_bench_percentile (latencies->data, latencies->size, 99);
    result->max_us = latencies->size ? latencies->data[latencies->size - 1] : 0;
    free (latencies->data);
    for (int i = 0; i < config->connections; i++) {
        close (self.conns[i].fd);
        free (self.conns[i].sent);
        free (self.conns[i].out);
    }
    free (self.conns);
    close (epoll_fd);
}

void *
herd_bench_load_thread (void *arg)
{
    herd_bench_load_job_t *job = (herd_bench_load_job_t *) arg;
    herd_bench_load_run (&job->config, &job->result);
    return NULL;
}

cJSON *
herd_bench_load_json (const herd_bench_load_result_t *result)
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

herd_bench_load_result_t
herd_bench_median_run (const herd_bench_load_result_t *runs)
{
    int order[HERD_BENCH_ROUNDS];
    for (int i = 0; i < HERD_BENCH_ROUNDS; i++)
        order[i] = i;
    for (int i = 0; i < HERD_BENCH_ROUNDS; i++)
        for (int j = i + 1; j < HERD_BENCH_ROUNDS; j++)
            if (runs[order[j]].rate < runs[order[i]].rate) {
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
    return runs[order[HERD_BENCH_ROUNDS / 2]];
}
