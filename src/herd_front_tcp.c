/*  herd_front_tcp - the default transport of herd_front: our own
    non-blocking sockets in one epoll set, which the node's zloop polls as a
    single fd.  Answers clients that half-close; applies back-pressure by
    not reading a paused client.  */

#include "herd_front_private.h"
#include "herd_net.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

//  Events taken from epoll per turn of the node's loop.
#define S_EVENTS_MAX 256
//  A turn stops taking events after this long; the rest stay ready (the
//  descriptors are level-triggered) for the next.  Between turns the loop
//  reads the herd's inbox and Places' answers: a turn of hundreds of
//  WHATSATs must not hold up the ACK an IAMAT's reply waits for.
#define S_TURN_BUDGET_US 1000
//  Connections accepted per readiness of the listener.
#define S_ACCEPTS_MAX 64
//  epoll data of the listener; connections carry their index.
#define S_LISTENER UINT64_MAX

typedef struct {
    int epoll_fd;
    int listener;       //  -1 until bound
    char *read_buffer;  //  HERD_FRONT_READ_SIZE bytes
} s_tcp_t;

static s_tcp_t *
s_tcp (herd_front_t *self)
{
    if (!self->io) {
        s_tcp_t *tcp = (s_tcp_t *) zmalloc (sizeof (s_tcp_t));
        tcp->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
        assert (tcp->epoll_fd != -1);
        tcp->listener = -1;
        tcp->read_buffer = (char *) zmalloc (HERD_FRONT_READ_SIZE);
        self->io = tcp;
    }
    return (s_tcp_t *) self->io;
}

static int
s_bind (herd_front_t *self, const char *host, uint16_t port)
{
    s_tcp_t *tcp = s_tcp (self);
    int fd;
    int bound = herd_net_listen (host, port, 1, &fd);
    if (bound == -1)
        return -1;
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = S_LISTENER};
    if (epoll_ctl (tcp->epoll_fd, EPOLL_CTL_ADD, fd, &event)) {
        close (fd);
        return -1;
    }
    tcp->listener = fd;
    return bound;
}

static void
s_write (herd_front_t *self, herd_front_conn_t *conn)
{
    while (herd_front_conn_queued (conn) > 0) {
        ssize_t rc = send (conn->fd, herd_buf_data (conn->out),
                           herd_front_conn_queued (conn), MSG_NOSIGNAL);
        if (rc > 0)
            herd_front_conn_wrote (conn, (size_t) rc);
        else if (rc == -1 && errno == EINTR)
            continue;
        else if (rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else {
            herd_front_conn_doom (self, conn, "write failed");
            break;
        }
    }
}

static void
s_shutdown (herd_front_t *self, herd_front_conn_t *conn)
{
    (void) self;
    shutdown (conn->fd, SHUT_WR);
}

//  Input unless paused or finished (but always while draining after our
//  shutdown), output while replies are queued.
static void
s_update (herd_front_t *self, herd_front_conn_t *conn)
{
    uint32_t events = 0;
    if (conn->shut || (!conn->eof && !herd_front_conn_paused (conn)))
        events |= EPOLLIN;
    if (herd_front_conn_queued (conn) > 0)
        events |= EPOLLOUT;
    if (events != conn->events) {
        struct epoll_event event = {.events = events,
                                    .data.u64 = (uint64_t) conn->index};
        epoll_ctl (s_tcp (self)->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
        conn->events = events;
    }
}

static void
s_close (herd_front_t *self, herd_front_conn_t *conn)
{
    (void) self;
    if (conn->fd != -1)
        close (conn->fd);  //  Also leaves the epoll set
}

static void
s_destroy (herd_front_t *self)
{
    s_tcp_t *tcp = (s_tcp_t *) self->io;
    if (tcp) {
        if (tcp->listener != -1)
            close (tcp->listener);
        close (tcp->epoll_fd);
        free (tcp->read_buffer);
        free (tcp);
        self->io = NULL;
    }
}

static void
s_read (herd_front_t *self, herd_front_conn_t *conn)
{
    s_tcp_t *tcp = s_tcp (self);
    ssize_t rc = recv (conn->fd, tcp->read_buffer, HERD_FRONT_READ_SIZE, 0);
    if (rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (rc == -1)
        herd_front_conn_doom (self, conn, "read failed");
    else if (rc == 0 && conn->shut)
        herd_front_conn_doom (self, conn, conn->why);  //  Drained
    else if (rc == 0)
        herd_front_conn_eof (self, conn);
    else
        herd_front_conn_input (self, conn, tcp->read_buffer, (size_t) rc);
}

static void
s_accept (herd_front_t *self)
{
    s_tcp_t *tcp = s_tcp (self);
    for (int i = 0; i < S_ACCEPTS_MAX; i++) {
        int fd =
            accept4 (tcp->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE)
                herd_log_printf (self->log, "error",
                                 "accept: out of file descriptors");
            return;
        }
        char peer[64];
        herd_net_peer (fd, peer, sizeof (peer));
        herd_front_conn_t *conn = herd_front_conn_open (self, peer);
        if (!conn) {
            close (fd);
            continue;
        }
        int one = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
        conn->fd = fd;
        conn->events = EPOLLIN;
        struct epoll_event event = {.events = EPOLLIN,
                                    .data.u64 = (uint64_t) conn->index};
        if (epoll_ctl (tcp->epoll_fd, EPOLL_CTL_ADD, fd, &event))
            herd_front_conn_doom (self, conn, "epoll failed");
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
    int count = epoll_wait (s_tcp (self)->epoll_fd, events, S_EVENTS_MAX, 0);
    int64_t deadline = zclock_usecs () + S_TURN_BUDGET_US;
    for (int i = 0; i < count && (i % 8 || zclock_usecs () < deadline); i++) {
        if (events[i].data.u64 == S_LISTENER) {
            s_accept (self);
            continue;
        }
        herd_front_conn_t *conn = self->conns[events[i].data.u64];
        if (!conn || conn->doomed)
            continue;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            if (conn->eof && !conn->shut)
                herd_front_conn_doom (self, conn, "connection lost");
            else
                s_read (self, conn);
        }
        herd_front_conn_flush (self, conn);
    }
    herd_front_turn_end (self);
    return 0;
}

static int
s_start (herd_front_t *self, zloop_t *loop)
{
    zmq_pollitem_t item = {NULL, s_tcp (self)->epoll_fd, ZMQ_POLLIN, 0};
    return zloop_poller (loop, &item, s_on_events, self);
}

const herd_front_transport_t herd_front_tcp = {
    s_bind, s_start, s_write, s_shutdown, s_update, s_close, s_destroy,
};
