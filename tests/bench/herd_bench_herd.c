/*  herd_bench_herd - what the bench measures against and with: the floor
    server, and herds of real `herd node` processes on loopback  */

#include "herd_bench.h"

#include <czmq.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

//  ---------------------------------------------------------------------
//  The floor: the least a line server can do on this machine

#define S_FLOOR_LINE                                                           \
    "AT Floor +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 "            \
    "1621464827.959498503\n"

typedef struct {
    char *out;
    size_t size, sent, capacity;
} s_fconn_t;

static void *
s_floor_thread (void *arg)
{
    herd_bench_floor_t *self = (herd_bench_floor_t *) arg;
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

void
herd_bench_floor_start (herd_bench_floor_t *self)
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

void
herd_bench_floor_stop (herd_bench_floor_t *self)
{
    self->stop = true;
    pthread_join (self->thread, NULL);
    close (self->listener);
}

//  ---------------------------------------------------------------------
//  Herds of real nodes

herd_bench_herd_t *
herd_bench_herd_new (const char *binary)
{
    herd_bench_herd_t *self =
        (herd_bench_herd_t *) calloc (1, sizeof (herd_bench_herd_t));
    self->binary = binary;
    snprintf (self->dir, sizeof (self->dir), "/tmp/herd-bench-XXXXXX");
    if (!mkdtemp (self->dir))
        abort ();
    return self;
}

size_t
herd_bench_herd_add (herd_bench_herd_t *self, const char *name)
{
    size_t index = self->count++;
    snprintf (self->names[index], sizeof (self->names[index]), "%s", name);
    return index;
}

void
herd_bench_herd_link (herd_bench_herd_t *self, size_t a, size_t b)
{
    self->neighbours[a][self->degrees[a]++] = b;
    self->neighbours[b][self->degrees[b]++] = a;
}

bool
herd_bench_herd_linked (herd_bench_herd_t *self, size_t a, size_t b)
{
    for (size_t i = 0; i < self->degrees[a]; i++)
        if (self->neighbours[a][i] == b)
            return true;
    return false;
}

herd_bench_herd_t *
herd_bench_herd_from_file (const char *binary, const char *path)
{
    herd_bench_herd_t *self = herd_bench_herd_new (binary);
    char *command = zsys_sprintf ("%s check -t %s", binary, path);
    FILE *pipe = popen (command, "r");
    free (command);
    char line[1024];
    char neighbours[HERD_BENCH_NODES_MAX][512];
    while (pipe && fgets (line, sizeof (line), pipe)) {
        char name[64], client[128], herd[128];
        neighbours[self->count][0] = 0;
        if (sscanf (line, "%63s\t%127s\t%127s\t%511s", name, client, herd,
                    neighbours[self->count])
            >= 3)
            herd_bench_herd_add (self, name);
    }
    if (pipe)
        pclose (pipe);
    for (size_t i = 0; i < self->count; i++) {
        char *save = NULL;
        for (char *token = strtok_r (neighbours[i], ",", &save); token;
             token = strtok_r (NULL, ",", &save))
            for (size_t j = 0; j < i; j++)
                if (streq (self->names[j], token))
                    herd_bench_herd_link (self, i, j);
    }
    return self;
}

herd_bench_herd_t *
herd_bench_herd_shipped (const char *binary,
                         const char *year,
                         const char *settings)
{
    char *path = zsys_sprintf ("deploy/topologies/cs131-%s.zpl", year);
    herd_bench_herd_t *herd = herd_bench_herd_from_file (binary, path);
    free (path);
    herd_bench_herd_start (herd, settings);
    return herd;
}

size_t
herd_bench_herd_index (herd_bench_herd_t *self, const char *name)
{
    size_t index = 0;
    while (index < self->count && !streq (self->names[index], name))
        index++;
    return index;
}

size_t
herd_bench_herd_farthest (herd_bench_herd_t *self, size_t origin, int *hops)
{
    int distance[HERD_BENCH_NODES_MAX];
    for (size_t i = 0; i < self->count; i++)
        distance[i] = -1;
    size_t queue[HERD_BENCH_NODES_MAX], head = 0, tail = 0, last = origin;
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

char *
herd_bench_herd_log (herd_bench_herd_t *self, size_t index)
{
    return zsys_sprintf ("%s/logs/%s.log", self->dir, self->names[index]);
}

//  The first node that has exited, or self->count if none has.
static size_t
s_herd_gone (herd_bench_herd_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0 && waitpid (self->pids[i], NULL, WNOHANG) != 0) {
            self->pids[i] = 0;
            return i;
        }
    return self->count;
}

//  Why the herd did not come up: the last line node gone wrote, or the
//  deadline if none is gone.
static void
s_herd_reason (herd_bench_herd_t *self, size_t gone, char *reason, size_t size)
{
    snprintf (reason, size, "not synced in 120 s");
    if (gone == self->count)
        return;
    char *out = zsys_sprintf ("%s/%s.out", self->dir, self->names[gone]);
    FILE *file = fopen (out, "r");
    char line[512];
    snprintf (reason, size, "%s exited", self->names[gone]);
    while (file && fgets (line, sizeof (line), file))
        if (strlen (line) > 1) {
            line[strcspn (line, "\n")] = 0;
            snprintf (reason, size, "%s exited: %s", self->names[gone], line);
        }
    if (file)
        fclose (file);
    free (out);
}

//  Stop every node still running.
static void
s_herd_stop (herd_bench_herd_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0)
            kill (self->pids[i], SIGTERM);
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0)
            waitpid (self->pids[i], NULL, 0);
    for (size_t i = 0; i < self->count; i++)
        self->pids[i] = 0;
}

int
herd_bench_herd_try_start (herd_bench_herd_t *self,
                           const char *settings,
                           char *reason,
                           size_t size)
{
    char *path = zsys_sprintf ("%s/herd.zpl", self->dir);
    FILE *file = fopen (path, "w");
    fprintf (file, "herd\n    log_dir = %s/logs\n%s", self->dir,
             settings ? settings : "");
    fprintf (file, "nodes\n");
    for (size_t i = 0; i < self->count; i++) {
        self->ports[i] = herd_bench_free_port ();
        fprintf (file,
                 "    %s\n        client = 127.0.0.1:%u\n"
                 "        herd = tcp://127.0.0.1:%u\n",
                 self->names[i], self->ports[i], herd_bench_free_port ());
        if (self->taps[i])
            fprintf (file, "        tap = tcp://127.0.0.1:%u\n", self->taps[i]);
        if (self->metrics[i])
            fprintf (file, "        metrics = 127.0.0.1:%u\n",
                     self->metrics[i]);
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
        char *argv[] = {"herd", "node", self->names[i], "-t", path, NULL};
        self->pids[i] = herd_bench_spawn (out, self->binary, argv);
        free (out);
    }
    free (path);
    int64_t deadline = herd_bench_now_us () + 120000000;
    for (size_t i = 0; i < self->count; i++) {
        char *log = herd_bench_herd_log (self, i);
        while (herd_bench_file_count (log, "link synced") < self->degrees[i]) {
            size_t gone = s_herd_gone (self);
            if (gone < self->count || herd_bench_now_us () > deadline) {
                s_herd_reason (self, gone, reason, size);
                free (log);
                s_herd_stop (self);
                return -1;
            }
            usleep (10000);
        }
        free (log);
    }
    return 0;
}

void
herd_bench_herd_start (herd_bench_herd_t *self, const char *settings)
{
    char reason[256];
    if (herd_bench_herd_try_start (self, settings, reason, sizeof (reason))) {
        fprintf (stderr, "bench: herd in %s did not come up: %s\n", self->dir,
                 reason);
        exit (1);
    }
}

void
herd_bench_herd_destroy (herd_bench_herd_t **self_p)
{
    herd_bench_herd_t *self = *self_p;
    if (!self)
        return;
    s_herd_stop (self);
    //  HERD_BENCH_KEEP=1 keeps topologies, outputs and logs
    char *command = zsys_sprintf (
        "%s %s", getenv ("HERD_BENCH_KEEP") ? "true" : "rm -rf", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "bench: could not remove %s\n", self->dir);
    free (command);
    free (self);
    *self_p = NULL;
}
