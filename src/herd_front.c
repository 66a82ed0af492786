/*  herd_front - the client front end: connections, lines in, replies out
    in request order  */

#include "herd_front.h"
#include "herd_line.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

//  Events taken from epoll per turn of the node's loop.
#define S_EVENTS_MAX 256
//  Connections accepted per readiness of the listener.
#define S_ACCEPTS_MAX 64
//  epoll data of the listener; connections carry their fd.
#define S_LISTENER UINT64_MAX

//  A reply that is ready before the replies to earlier lines.
typedef struct _s_slot_t {
    struct _s_slot_t *next;  //  Next by ticket
    uint64_t ticket;
    size_t size;
    char data[];
} s_slot_t;

typedef struct _s_conn_t {
    struct _herd_front_t *front;  //  Owner, for the splitter's callback
    uint64_t id;                  //  (number << 32) | fd
    uint64_t number;              //  Shown in the log
    int fd;
    char peer[64];          //  Client address, for the log
    herd_line_t *line;      //  Partial input line
    uint64_t next_ticket;   //  Ticket of the next line read
    uint64_t flush_ticket;  //  Ticket whose reply goes out next
    s_slot_t *pending;      //  Out-of-order replies, sorted by ticket
    char *out;              //  Replies not yet written
    size_t out_size;
    size_t out_sent;
    size_t out_capacity;
    char *backlog;          //  Input read but not yet split: waits while
    size_t backlog_size;    //  the client has too much outstanding
    uint32_t events;        //  Registered with epoll
    bool eof;               //  The client has finished sending
    bool shut;              //  We shut down writing; draining input
    bool doomed;            //  To be closed at the end of this turn
    const char *why;        //  Reason logged when closed
    int64_t last_input;     //  Monotonic ms
    int64_t last_progress;  //  Last time output was taken, or none was due
    int64_t shut_at;
    struct _s_conn_t *next_doomed;
} s_conn_t;

struct _herd_front_t {
    herd_front_config_t config;
    herd_log_t *log;              //  Borrowed
    herd_front_line_fn *on_line;  //  The node's handler
    void *arg;
    int epoll_fd;
    int listener;      //  -1 until bound
    s_conn_t **conns;  //  Indexed by fd
    size_t conns_capacity;
    size_t count;       //  Open connections
    uint64_t numbers;   //  Connections ever accepted
    s_conn_t *doomed;   //  Closed at the end of the turn
    s_conn_t *reading;  //  Being read: its replies wait for
                        //  the end of the batch
    zloop_t *loop;      //  For the resume timer
    int resume_timer;   //  Pending, or -1
    char *read_buffer;  //  HERD_FRONT_READ_SIZE bytes
};

herd_front_t *
herd_front_new (const herd_front_config_t *config,
                herd_log_t *log,
                herd_front_line_fn *on_line,
                void *arg)
{
    assert (config && log && on_line);
    int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (epoll_fd == -1)
        return NULL;
    herd_front_t *self = (herd_front_t *) zmalloc (sizeof (herd_front_t));
    self->config = *config;
    self->log = log;
    self->on_line = on_line;
    self->arg = arg;
    self->epoll_fd = epoll_fd;
    self->listener = -1;
    self->resume_timer = -1;
    self->read_buffer = (char *) zmalloc (HERD_FRONT_READ_SIZE);
    return self;
}

static void
s_conn_free (herd_front_t *self, s_conn_t *conn)
{
    herd_log_printf (self->log, "info", "close conn=%" PRIu64 " %s",
                     conn->number, conn->why ? conn->why : "");
    close (conn->fd);
    self->conns[conn->fd] = NULL;
    self->count--;
    herd_line_destroy (&conn->line);
    while (conn->pending) {
        s_slot_t *next = conn->pending->next;
        free (conn->pending);
        conn->pending = next;
    }
    free (conn->out);
    free (conn->backlog);
    free (conn);
}

void
herd_front_destroy (herd_front_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_front_t *self = *self_p;
        for (size_t fd = 0; fd < self->conns_capacity; fd++)
            if (self->conns[fd]) {
                self->conns[fd]->why = "node stopping";
                s_conn_free (self, self->conns[fd]);
            }
        if (self->listener != -1)
            close (self->listener);
        close (self->epoll_fd);
        free (self->conns);
        free (self->read_buffer);
        free (self);
        *self_p = NULL;
    }
}

int
herd_front_bind (herd_front_t *self, const char *host, uint16_t port)
{
    assert (self);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf (service, sizeof (service), "%u", port);
    struct addrinfo *found = NULL;
    if (getaddrinfo (host, service, &hints, &found) || !found) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = socket (found->ai_family,
                     found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd == -1
        || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one))
        || bind (fd, found->ai_addr, found->ai_addrlen) || listen (fd, 4096)) {
        int saved = errno;
        if (fd != -1)
            close (fd);
        freeaddrinfo (found);
        errno = saved;
        return -1;
    }
    freeaddrinfo (found);
    struct sockaddr_storage bound;
    socklen_t size = sizeof (bound);
    getsockname (fd, (struct sockaddr *) &bound, &size);
    int bound_port = bound.ss_family == AF_INET6
                         ? ntohs (((struct sockaddr_in6 *) &bound)->sin6_port)
                         : ntohs (((struct sockaddr_in *) &bound)->sin_port);
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = S_LISTENER};
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event)) {
        close (fd);
        return -1;
    }
    self->listener = fd;
    return bound_port;
}

static s_conn_t *
s_lookup (herd_front_t *self, uint64_t id)
{
    size_t fd = (size_t) (id & 0xffffffffu);
    if (fd >= self->conns_capacity)
        return NULL;
    s_conn_t *conn = self->conns[fd];
    return conn && conn->id == id ? conn : NULL;
}

static void
s_doom (herd_front_t *self, s_conn_t *conn, const char *why)
{
    if (!conn->doomed) {
        conn->doomed = true;
        conn->why = why;
        conn->next_doomed = self->doomed;
        self->doomed = conn;
    }
}

static void
s_reap (herd_front_t *self)
{
    while (self->doomed) {
        s_conn_t *conn = self->doomed;
        self->doomed = conn->next_doomed;
        s_conn_free (self, conn);
    }
}

static size_t
s_queued (s_conn_t *conn)
{
    return conn->out_size - conn->out_sent;
}

//  Too much is outstanding for this client: take no more commands from it
//  until its replies drain (back-pressure instead of unbounded memory).
static bool
s_paused (s_conn_t *conn)
{
    return s_queued (conn) >= HERD_FRONT_PAUSE_BYTES
           || conn->next_ticket - conn->flush_ticket >= HERD_FRONT_PIPELINE_MAX;
}

//  Ask epoll for what the connection can use now: input unless paused,
//  holding a backlog, or finished; output while replies are queued.
static void
s_update_events (herd_front_t *self, s_conn_t *conn)
{
    if (conn->doomed)
        return;
    uint32_t events = 0;
    if (conn->shut || (!conn->eof && !conn->backlog && !s_paused (conn)))
        events |= EPOLLIN;
    if (s_queued (conn) > 0)
        events |= EPOLLOUT;
    if (events != conn->events) {
        struct epoll_event event = {.events = events,
                                    .data.u64 = (uint64_t) conn->fd};
        epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
        conn->events = events;
    }
}

//  Close the node's side without losing queued replies: once everything is
//  written, shut down writing, then let the client close (draining its
//  input so that close() never turns into a reset).
static void
s_finish_if_done (herd_front_t *self, s_conn_t *conn)
{
    if (conn->doomed || conn->shut || !conn->eof)
        return;
    if (conn->flush_ticket == conn->next_ticket && s_queued (conn) == 0) {
        shutdown (conn->fd, SHUT_WR);
        s_doom (self, conn, "client done");
    }
}

static void
s_write (herd_front_t *self, s_conn_t *conn)
{
    while (s_queued (conn) > 0 && !conn->doomed) {
        ssize_t rc = send (conn->fd, conn->out + conn->out_sent,
                           s_queued (conn), MSG_NOSIGNAL);
        if (rc > 0) {
            conn->out_sent += (size_t) rc;
            conn->last_progress = zclock_mono ();
        } else if (rc == -1 && errno == EINTR)
            continue;
        else if (rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else
            s_doom (self, conn, "write failed");
    }
    if (s_queued (conn) == 0) {
        conn->out_size = conn->out_sent = 0;
        if (conn->out_capacity > HERD_FRONT_PAUSE_BYTES) {
            free (conn->out);
            conn->out = NULL;
            conn->out_capacity = 0;
        }
    }
    s_finish_if_done (self, conn);
    s_update_events (self, conn);
}

static void
s_queue_out (s_conn_t *conn, const char *data, size_t size)
{
    if (size == 0)
        return;
    if (conn->out_size + size > conn->out_capacity) {
        size_t capacity = conn->out_capacity ? conn->out_capacity : 1024;
        while (capacity < conn->out_size + size)
            capacity *= 2;
        conn->out = (char *) realloc (conn->out, capacity);
        assert (conn->out);
        conn->out_capacity = capacity;
    }
    if (s_queued (conn) == 0)
        conn->last_progress = zclock_mono ();
    memcpy (conn->out + conn->out_size, data, size);
    conn->out_size += size;
}

static bool
s_on_line (void *arg, const char *line, size_t size, bool truncated)
{
    s_conn_t *conn = (s_conn_t *) arg;
    herd_front_t *self = conn->front;
    char prefix[48];
    snprintf (prefix, sizeof (prefix), "in conn=%" PRIu64 "%s", conn->number,
              truncated ? " truncated" : "");
    herd_log_bytes (self->log, "info", prefix, line, size);
    uint64_t ticket = conn->next_ticket++;
    self->on_line (self->arg, conn->id, ticket, line, size, truncated);
    return !s_paused (conn);
}

//  Split and dispatch input until the client has too much outstanding;
//  what is left waits in the backlog (at most one read's worth).
static void
s_dispatch (herd_front_t *self, s_conn_t *conn, const char *data, size_t size)
{
    self->reading = conn;
    size_t used = herd_line_feed (conn->line, data, size, s_on_line, conn);
    self->reading = NULL;
    assert (!conn->backlog);
    conn->backlog_size = size - used;
    if (conn->backlog_size > 0) {
        conn->backlog = (char *) malloc (conn->backlog_size);
        assert (conn->backlog);
        memcpy (conn->backlog, data + used, conn->backlog_size);
    }
}

//  The connection has drained: go on with its backlog, then write.
static void
s_resume (herd_front_t *self, s_conn_t *conn)
{
    while (conn->backlog && !conn->doomed && !s_paused (conn)) {
        char *backlog = conn->backlog;
        conn->backlog = NULL;
        s_dispatch (self, conn, backlog, conn->backlog_size);
        free (backlog);
        s_write (self, conn);
    }
}

//  Feed backlogs whose connections have drained; O(open fds), and only
//  after a reply unpaused a connection with a backlog.
static int
s_on_resume (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_front_t *self = (herd_front_t *) arg;
    self->resume_timer = -1;
    for (size_t fd = 0; fd < self->conns_capacity; fd++) {
        s_conn_t *conn = self->conns[fd];
        if (conn && conn->backlog)
            s_resume (self, conn);
    }
    s_reap (self);
    herd_log_flush (self->log);
    return 0;
}

int
herd_front_reply (herd_front_t *self,
                  uint64_t connection,
                  uint64_t ticket,
                  const char *data,
                  size_t size)
{
    assert (self);
    s_conn_t *conn = s_lookup (self, connection);
    if (!conn || conn->doomed)
        return -1;
    assert (ticket >= conn->flush_ticket && ticket < conn->next_ticket);
    if (size > 0) {
        char prefix[48];
        snprintf (prefix, sizeof (prefix), "out conn=%" PRIu64, conn->number);
        herd_log_bytes (self->log, "info", prefix, data, size);
    }
    if (ticket == conn->flush_ticket) {
        s_queue_out (conn, data, size);
        conn->flush_ticket++;
        //  Then every reply that was waiting for this one, in order
        while (conn->pending && conn->pending->ticket == conn->flush_ticket) {
            s_slot_t *slot = conn->pending;
            conn->pending = slot->next;
            s_queue_out (conn, slot->data, slot->size);
            conn->flush_ticket++;
            free (slot);
        }
    } else {
        //  Replies come back nearly in order: insertion from the head is
        //  O(pending), which HERD_FRONT_PIPELINE_MAX bounds.
        s_slot_t *slot = (s_slot_t *) malloc (sizeof (s_slot_t) + size);
        assert (slot);
        slot->ticket = ticket;
        slot->size = size;
        memcpy (slot->data, data, size);
        s_slot_t **at = &conn->pending;
        while (*at && (*at)->ticket < ticket)
            at = &(*at)->next;
        slot->next = *at;
        *at = slot;
    }
    if (s_queued (conn) > self->config.max_output) {
        herd_log_printf (self->log, "warning",
                         "conn=%" PRIu64 " cut off: more than %zu bytes "
                         "of replies queued",
                         conn->number, self->config.max_output);
        s_doom (self, conn, "output limit");
    }
    if (conn != self->reading) {
        s_write (self, conn);
        if (conn->backlog && !s_paused (conn) && self->resume_timer == -1)
            self->resume_timer =
                zloop_timer (self->loop, 1, 1, s_on_resume, self);
        s_reap (self);
    }
    return 0;
}

static void
s_read (herd_front_t *self, s_conn_t *conn)
{
    ssize_t rc = recv (conn->fd, self->read_buffer, HERD_FRONT_READ_SIZE, 0);
    if (rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (rc == -1) {
        s_doom (self, conn, "read failed");
        return;
    }
    conn->last_input = zclock_mono ();
    if (conn->shut) {
        //  Draining after our shutdown: input is no longer answered
        if (rc == 0)
            s_doom (self, conn, conn->why);
        return;
    }
    if (rc == 0) {
        conn->eof = true;
        self->reading = conn;
        herd_line_finish (conn->line, s_on_line, conn);
        self->reading = NULL;
    } else
        s_dispatch (self, conn, self->read_buffer, (size_t) rc);
}

static void
s_grow_conns (herd_front_t *self, size_t fd)
{
    size_t capacity = self->conns_capacity ? self->conns_capacity : 64;
    while (capacity <= fd)
        capacity *= 2;
    self->conns =
        (s_conn_t **) realloc (self->conns, capacity * sizeof (s_conn_t *));
    assert (self->conns);
    memset (self->conns + self->conns_capacity, 0,
            (capacity - self->conns_capacity) * sizeof (s_conn_t *));
    self->conns_capacity = capacity;
}

static void
s_peer_name (int fd, char *peer, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof (address);
    char host[INET6_ADDRSTRLEN] = "?";
    char port[8] = "?";
    if (getpeername (fd, (struct sockaddr *) &address, &length) == 0)
        getnameinfo ((struct sockaddr *) &address, length, host, sizeof (host),
                     port, sizeof (port), NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf (peer, size, "%s:%s", host, port);
}

static void
s_accept (herd_front_t *self)
{
    for (int i = 0; i < S_ACCEPTS_MAX; i++) {
        int fd =
            accept4 (self->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE)
                herd_log_printf (self->log, "error",
                                 "accept: out of file descriptors");
            return;
        }
        char peer[64];
        s_peer_name (fd, peer, sizeof (peer));
        if (self->count >= self->config.max_connections) {
            herd_log_printf (self->log, "warning",
                             "refused %s: %zu connections open", peer,
                             self->count);
            close (fd);
            continue;
        }
        int one = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
        if ((size_t) fd >= self->conns_capacity)
            s_grow_conns (self, (size_t) fd);
        s_conn_t *conn = (s_conn_t *) zmalloc (sizeof (s_conn_t));
        conn->front = self;
        conn->number = ++self->numbers;
        conn->fd = fd;
        conn->id = (conn->number << 32) | (uint64_t) fd;
        conn->line = herd_line_new (self->config.max_line);
        conn->last_input = conn->last_progress = zclock_mono ();
        memcpy (conn->peer, peer, sizeof (peer));
        conn->events = EPOLLIN;
        struct epoll_event event = {.events = EPOLLIN,
                                    .data.u64 = (uint64_t) fd};
        if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event)) {
            herd_line_destroy (&conn->line);
            free (conn);
            close (fd);
            continue;
        }
        self->conns[fd] = conn;
        self->count++;
        herd_log_printf (self->log, "info", "connect conn=%" PRIu64 " peer=%s",
                         conn->number, peer);
    }
}

//  One turn: take ready events; read each connection once and write its
//  replies in one go, so pipelined commands cost one write per batch.
static int
s_on_events (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    herd_front_t *self = (herd_front_t *) arg;
    struct epoll_event events[S_EVENTS_MAX];
    int count = epoll_wait (self->epoll_fd, events, S_EVENTS_MAX, 0);
    for (int i = 0; i < count; i++) {
        if (events[i].data.u64 == S_LISTENER) {
            s_accept (self);
            continue;
        }
        s_conn_t *conn = self->conns[events[i].data.u64];
        if (!conn || conn->doomed)
            continue;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            if (conn->eof && !conn->shut)
                s_doom (self, conn, "connection lost");  //  Reset after EOF
            else
                s_read (self, conn);
        }
        s_write (self, conn);
        s_resume (self, conn);
    }
    s_reap (self);
    herd_log_flush (self->log);
    return 0;
}

//  O(open fds) once per tick: cheap next to the traffic that many
//  connections bring.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_front_t *self = (herd_front_t *) arg;
    int64_t now = zclock_mono ();
    for (size_t fd = 0; fd < self->conns_capacity; fd++) {
        s_conn_t *conn = self->conns[fd];
        if (!conn || conn->doomed)
            continue;
        bool waiting = conn->flush_ticket != conn->next_ticket;
        if (conn->shut) {
            if (now - conn->shut_at > HERD_FRONT_DRAIN_MS)
                s_doom (self, conn, conn->why);
        } else if (s_queued (conn) > 0) {
            if (now - conn->last_progress > self->config.send_timeout_ms) {
                herd_log_printf (self->log, "warning",
                                 "conn=%" PRIu64 " cut off: replies not read "
                                 "for %" PRId64 " ms",
                                 conn->number, self->config.send_timeout_ms);
                s_doom (self, conn, "send timeout");
            }
        } else if (!waiting && !conn->eof
                   && now - conn->last_input > self->config.idle_timeout_ms) {
            shutdown (conn->fd, SHUT_WR);
            conn->shut = true;
            conn->shut_at = now;
            conn->why = "idle timeout";
            s_update_events (self, conn);
        }
    }
    s_reap (self);
    herd_log_flush (self->log);
    return 0;
}

int
herd_front_start (herd_front_t *self, zloop_t *loop)
{
    assert (self);
    self->loop = loop;
    zmq_pollitem_t item = {NULL, self->epoll_fd, ZMQ_POLLIN, 0};
    if (zloop_poller (loop, &item, s_on_events, self))
        return -1;
    int64_t shortest = self->config.idle_timeout_ms;
    if (self->config.send_timeout_ms < shortest)
        shortest = self->config.send_timeout_ms;
    size_t tick = (size_t) (shortest / 4);
    if (tick > 1000)
        tick = 1000;
    if (tick < 25)
        tick = 25;
    return zloop_timer (loop, tick, 0, s_on_tick, self) == -1 ? -1 : 0;
}

size_t
herd_front_connections (herd_front_t *self)
{
    assert (self);
    return self->count;
}
