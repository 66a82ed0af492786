/*  herd_test_netsim - the simulated network's clients (sockets from the
    client host), what every node holds, and propagation from the logs  */

#include "herd_test_netsim.h"
#include "herd_test_netsim_private.h"
#include "herd_record.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

//  A socket made in the client host's namespace (only this thread moves
//  there and back: a socket belongs to the namespace it was made in).
static int
s_client_socket (herd_netsim_t *self)
{
    assert_int_equal (setns (self->client_fd, CLONE_NEWNET), 0);
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal (setns (self->origin_fd, CLONE_NEWNET), 0);
    assert_true (fd >= 0);
    return fd;
}

int
herd_netsim_connect (herd_netsim_t *self, const char *name)
{
    herd_netsim_host_t *host = herd_netsim_host (self, name);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons (HERD_NETSIM_CLIENT_PORT);
    char text[32];
    snprintf (text, sizeof (text), "%s.%d", S_NET, host->address);
    inet_pton (AF_INET, text, &address.sin_addr);
    //  A host just rebuilt may refuse for a moment although its node
    //  listens (seen once in 20 runs, right after a reboot): try again
    //  for up to 2 s before calling it a failure
    int fd = s_client_socket (self);
    for (int attempt = 0;
         connect (fd, (struct sockaddr *) &address, sizeof (address));
         attempt++) {
        if (errno == ECONNREFUSED && attempt < 20) {
            close (fd);
            poll (NULL, 0, 100);
            fd = s_client_socket (self);
            continue;
        }
        //  What the host listens on, and what the client host's neighbour
        //  table says, for the failure message
        char *output = zsys_sprintf ("%s/connect.out", self->directory);
        herd_netsim_run (output,
                         "ip netns exec %s ss -ltnp; ip -n %s neigh; ip -n %s "
                         "addr show dev eth0",
                         host->ns, self->client_ns, host->ns);
        char *state = herd_netsim_file_text (output);
        fail_msg ("netsim: connect to %s (%s): %s\n%s", name, text,
                  strerror (errno), state ? state : "");
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    return fd;
}

//  Size of the first reply in text (an IAMAT's line or a `? ` line; with
//  whatsat, an AT line and its JSON up to the blank line after it), or 0
//  if it has not all come.
static size_t
s_reply_size (const char *text, size_t size, bool whatsat)
{
    const char *newline = (const char *) memchr (text, '\n', size);
    if (!newline)
        return 0;
    size_t line = (size_t) (newline - text) + 1;
    if (!whatsat || text[0] == '?')
        return line;
    //  The JSON's last line is "}", then an empty line
    for (size_t i = line; i + 3 <= size; i++)
        if (memcmp (text + i - 1, "\n}\n\n", 4) == 0)
            return i + 3;
    return 0;
}

//  One client connection with replies still to come: what came so far.
typedef struct {
    int fd;
    char *buffer;
    size_t size, capacity;
    size_t *waiting;  //  What each awaited reply answers (an index)
    size_t head, tail;
} s_conn_t;

static void
s_conn_read (s_conn_t *conn)
{
    if (conn->capacity - conn->size < 65536) {
        conn->capacity = conn->capacity * 2 + 65536;
        conn->buffer = (char *) realloc (conn->buffer, conn->capacity);
        assert_non_null (conn->buffer);
    }
    ssize_t got = recv (conn->fd, conn->buffer + conn->size,
                        conn->capacity - conn->size, MSG_DONTWAIT);
    if (got > 0)
        conn->size += (size_t) got;
}

//  The complete replies of conn, each handed to take (index, first line).
typedef void (s_take_fn) (void *arg, size_t index, const char *line);

static void
s_conn_replies (s_conn_t *conn, bool whatsat, s_take_fn *take, void *arg)
{
    size_t at = 0, size;
    while (
        conn->head < conn->tail
        && (size = s_reply_size (conn->buffer + at, conn->size - at, whatsat))
               > 0) {
        const char *line = conn->buffer + at;
        size_t length =
            (size_t) ((const char *) memchr (line, '\n', size) - line);
        char *copy = zsys_sprintf ("%.*s", (int) length, line);
        take (arg, conn->waiting[conn->head++], copy);
        free (copy);
        at += size;
    }
    memmove (conn->buffer, conn->buffer + at, conn->size - at);
    conn->size -= at;
}

//  Read what conns[0..count) have for up to wait_ms; false if none is
//  waiting any more.
static bool
s_conns_poll (s_conn_t *conns,
              size_t count,
              int wait_ms,
              bool whatsat,
              s_take_fn *take,
              void *arg)
{
    struct pollfd items[S_HOSTS_MAX];
    for (size_t i = 0; i < count; i++)
        items[i] = (struct pollfd){conns[i].fd, POLLIN, 0};
    if (poll (items, (nfds_t) count, wait_ms) > 0)
        for (size_t i = 0; i < count; i++)
            if (items[i].revents) {
                s_conn_read (&conns[i]);
                s_conn_replies (&conns[i], whatsat, take, arg);
            }
    for (size_t i = 0; i < count; i++)
        if (conns[i].head < conns[i].tail)
            return true;
    return false;
}

static void
s_conns_close (s_conn_t *conns, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        close (conns[i].fd);
        free (conns[i].buffer);
        free (conns[i].waiting);
    }
}

static void
s_take_line (void *arg, size_t index, const char *line)
{
    char **lines = (char **) arg;
    free (lines[index]);
    lines[index] = strdup (strncmp (line, "AT ", 3) ? "" : line);
}

char **
herd_netsim_iamats (herd_netsim_t *self,
                    const char *const *nodes,
                    size_t node_count,
                    const char *prefix,
                    size_t clients,
                    size_t count,
                    double time,
                    double rate)
{
    assert_true (node_count > 0 && node_count <= S_HOSTS_MAX && clients > 0);
    s_conn_t conns[S_HOSTS_MAX] = {{0}};
    for (size_t i = 0; i < node_count; i++) {
        conns[i].fd = herd_netsim_connect (self, nodes[i]);
        conns[i].waiting = (size_t *) zmalloc (count * sizeof (size_t) + 1);
    }
    char **lines = (char **) zmalloc ((count + 1) * sizeof (char *));
    int64_t start = zclock_mono ();
    for (size_t i = 0; i < count; i++) {
        //  The load's pace: reading replies until this one's time is due
        int64_t due =
            start + (rate > 0 ? (int64_t) ((double) i * 1000 / rate) : 0);
        while (zclock_mono () < due)
            s_conns_poll (conns, node_count, (int) (due - zclock_mono ()),
                          false, s_take_line, lines);
        s_conn_t *conn = &conns[i % node_count];
        char *line =
            zsys_sprintf ("IAMAT %s%05zu +34.068930-118.445127 %.3f\n", prefix,
                          i % clients, time + (double) i * 0.001);
        herd_test_send (conn->fd, line, strlen (line));
        free (line);
        conn->waiting[conn->tail++] = i;
    }
    int64_t deadline = zclock_mono () + 60000;
    while (s_conns_poll (conns, node_count, 100, false, s_take_line, lines))
        if (zclock_mono () > deadline)
            fail_msg ("netsim: IAMAT replies missing after 60 s");
    s_conns_close (conns, node_count);
    for (size_t i = 0; i < count; i++)
        if (!lines[i] || !*lines[i])
            fail_msg ("netsim: IAMAT %zu at %s was not answered with AT", i,
                      nodes[i % node_count]);
    return lines;
}

void
herd_netsim_lines_free (char ***lines_p, size_t count)
{
    char **lines = *lines_p;
    for (size_t i = 0; lines && i < count; i++)
        free (lines[i]);
    free (lines);
    *lines_p = NULL;
}

char **
herd_netsim_clients (const char *prefix, size_t count)
{
    char **clients = (char **) zmalloc ((count + 1) * sizeof (char *));
    for (size_t i = 0; i < count; i++)
        clients[i] = zsys_sprintf ("%s%05zu", prefix, i);
    return clients;
}

bool
herd_netsim_converged (herd_netsim_t *self,
                       const char *const *clients,
                       const char *const *expected,
                       size_t count,
                       char **wrong)
{
    s_conn_t conns[S_HOSTS_MAX] = {{0}};
    char **lines[S_HOSTS_MAX];
    for (size_t n = 0; n < self->count; n++) {
        conns[n].fd = herd_netsim_connect (self, self->hosts[n].name);
        conns[n].waiting = (size_t *) zmalloc (count * sizeof (size_t) + 1);
        lines[n] = (char **) zmalloc ((count + 1) * sizeof (char *));
        char *request = NULL;
        size_t size = 0;
        FILE *stream = open_memstream (&request, &size);
        for (size_t i = 0; i < count; i++) {
            //  Radius 0, no places: the reply's AT line is what we want
            fprintf (stream, "WHATSAT %s 0 0\n", clients[i]);
            conns[n].waiting[conns[n].tail++] = i;
        }
        fclose (stream);
        herd_test_send (conns[n].fd, request, size);
        free (request);
    }
    int64_t deadline = zclock_mono () + 30000;
    for (size_t n = 0; n < self->count; n++)
        while (conns[n].head < conns[n].tail) {
            if (zclock_mono () > deadline)
                fail_msg ("netsim: WHATSAT replies of %s missing after 30 s",
                          self->hosts[n].name);
            s_conns_poll (&conns[n], 1, 100, true, s_take_line, lines[n]);
        }
    s_conns_close (conns, self->count);
    bool same = true;
    for (size_t n = 0; n < self->count; n++) {
        for (size_t i = 0; i < count; i++)
            if (same && !streq (lines[n][i], expected[i])) {
                same = false;
                if (wrong)
                    *wrong = zsys_sprintf ("%s answers for %s [%s], not [%s]",
                                           self->hosts[n].name, clients[i],
                                           lines[n][i], expected[i]);
            }
        herd_netsim_lines_free (&lines[n], count);
    }
    return same;
}

int64_t
herd_netsim_wait_converged (herd_netsim_t *self,
                            const char *const *clients,
                            const char *const *expected,
                            size_t count,
                            int deadline_ms)
{
    int64_t start = zclock_mono ();
    char *wrong = NULL;
    while (!herd_netsim_converged (self, clients, expected, count, &wrong)) {
        if (zclock_mono () - start > deadline_ms) {
            print_message ("netsim: not converged after %d ms: %s\n",
                           deadline_ms, wrong);
            free (wrong);
            return -1;
        }
        free (wrong);
        wrong = NULL;
        //  The period between two looks (each look asks every node)
        poll (NULL, 0, 10);
    }
    return zclock_mono () - start;
}

typedef struct {
    int64_t first;  //  When its originator stored it (0: not seen)
    int64_t last;   //  When the last node to store it did
    size_t nodes;   //  Nodes that logged storing it
    size_t originator;
} s_update_t;

//  The update records of node index's log into updates.
static void
s_read_updates (herd_netsim_t *self, size_t index, zhashx_t *updates)
{
    char *path = herd_netsim_log_path (self, self->hosts[index].name);
    FILE *file = fopen (path, "r");
    free (path);
    if (!file)
        return;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t size;
    while ((size = getline (&line, &capacity, file)) > 0) {
        if (!strstr (line, " update stored "))
            continue;
        char *originator = NULL, *seq = NULL, *from = NULL;
        size_t ignored;
        int64_t time = herd_record_time (line, (size_t) size);
        if (time > 0
            && herd_record_field (line, (size_t) size, "originator",
                                  &originator, &ignored)
            && herd_record_field (line, (size_t) size, "seq", &seq, &ignored)) {
            char *key = zsys_sprintf ("%s/%s", originator, seq);
            s_update_t *update = (s_update_t *) zhashx_lookup (updates, key);
            if (!update) {
                update = (s_update_t *) zmalloc (sizeof (s_update_t));
                zhashx_insert (updates, key, update);
            }
            if (!herd_record_field (line, (size_t) size, "from", &from,
                                    &ignored)) {
                update->first = time;
                update->originator = index;
            }
            update->nodes++;
            if (time > update->last)
                update->last = time;
            free (key);
        }
        free (originator);
        free (seq);
        free (from);
    }
    free (line);
    fclose (file);
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

void
herd_netsim_spread (herd_netsim_t *self, herd_netsim_spread_t *spread)
{
    memset (spread, 0, sizeof (*spread));
    zhashx_t *updates = zhashx_new ();
    zhashx_set_destructor (updates, (zhashx_destructor_fn *) zstr_free);
    for (size_t n = 0; n < self->count; n++)
        s_read_updates (self, n, updates);
    double *times =
        (double *) zmalloc ((zhashx_size (updates) + 1) * sizeof (double));
    bool originated[S_HOSTS_MAX] = {false};
    for (s_update_t *update = (s_update_t *) zhashx_first (updates); update;
         update = (s_update_t *) zhashx_next (updates)) {
        if (!update->first)
            continue;
        spread->updates++;
        originated[update->originator] = true;
        if (update->nodes == self->count)
            times[spread->everywhere++] =
                (double) (update->last - update->first) / 1000.0;
    }
    if (spread->everywhere) {
        qsort (times, spread->everywhere, sizeof (double), s_compare);
        size_t last = spread->everywhere - 1;
        spread->p50_ms = times[last / 2];
        spread->p99_ms = times[(size_t) ceil ((double) last * 0.99)];
        spread->max_ms = times[last];
    }
    for (size_t a = 0; a < self->count; a++)
        for (size_t b = 0; originated[a] && b < self->count; b++) {
            size_t hops = herd_netsim_hops (self, self->hosts[a].name,
                                            self->hosts[b].name);
            if (hops != SIZE_MAX && hops > spread->hops)
                spread->hops = hops;
        }
    free (times);
    zhashx_destroy (&updates);
}

int
herd_netsim_pid (herd_netsim_t *self, const char *name)
{
    return herd_netsim_host (self, name)->node;
}

size_t
herd_netsim_size (herd_netsim_t *self)
{
    return self->count;
}

const char *
herd_netsim_name (herd_netsim_t *self, size_t index)
{
    assert_true (index < self->count);
    return self->hosts[index].name;
}

size_t
herd_netsim_hops (herd_netsim_t *self, const char *from, const char *to)
{
    size_t distance[S_HOSTS_MAX], queue[S_HOSTS_MAX], head = 0, tail = 0;
    for (size_t i = 0; i < self->count; i++)
        distance[i] = SIZE_MAX;
    size_t start = (size_t) (herd_netsim_host (self, from) - self->hosts);
    size_t end = (size_t) (herd_netsim_host (self, to) - self->hosts);
    distance[start] = 0;
    queue[tail++] = start;
    while (head < tail) {
        size_t at = queue[head++];
        for (size_t n = 0; n < self->count; n++)
            if (self->adjacent[at][n] && distance[n] == SIZE_MAX) {
                distance[n] = distance[at] + 1;
                queue[tail++] = n;
            }
    }
    return distance[end];
}

size_t
herd_netsim_rss_kib (herd_netsim_t *self, const char *name)
{
    int pid = herd_netsim_pid (self, name);
    return pid ? herd_test_rss_kib (pid) : 0;
}

const char *
herd_netsim_directory (herd_netsim_t *self)
{
    return self->directory;
}

char *
herd_netsim_log_path (herd_netsim_t *self, const char *name)
{
    return zsys_sprintf ("%s/logs/%s.log", self->directory, name);
}

size_t
herd_netsim_log_count (herd_netsim_t *self,
                       const char *name,
                       const char *needle)
{
    char *path = herd_netsim_log_path (self, name);
    size_t count = herd_test_file_count (path, needle);
    free (path);
    return count;
}

bool
herd_netsim_log_wait (herd_netsim_t *self,
                      const char *name,
                      const char *needle,
                      size_t count,
                      int deadline_ms)
{
    char *path = herd_netsim_log_path (self, name);
    herd_test_seen_t seen = {path, needle, count};
    bool found = herd_test_wait_until (herd_test_file_has, &seen, deadline_ms);
    free (path);
    return found;
}

void
herd_netsim_report (const char *scenario, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    //  stdout, whole lines: what the table is made from
    printf ("netsim-result scenario=%s %s\n", scenario, text);
    fflush (stdout);
    free (text);
}
