/*  herd_stubd - the offline Places server  */

#include "herd_stubd.h"
#include "herd_str.h"
#include "herd_net.h"
#include "herd_stub.h"

#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

typedef struct {
    struct _herd_stubd_t *server;
    int fd;
    char *buffer;  //  Bytes of requests not yet answered
    size_t size;
    herd_stub_response_t waiting;  //  An answer on its timer
    int timer;                     //  Its timer, or -1
    bool reading;                  //  Poller registered
} s_client_t;

struct _herd_stubd_t {
    zloop_t *loop;
    int listener;
    int delay_ms;
    zlistx_t *clients;  //  s_client_t, owned
    //  The last request answered and its answer: herd_stub_answer is pure,
    //  and a benchmark asks the same thing thousands of times a second
    //  (making the answer's JSON is most of the stub's work, and the stub
    //  shares the machine with the herd it serves)
    char *last_request;
    size_t last_size;
    herd_stub_response_t last_answer;
};

static void
s_client_destroy (void **item)
{
    s_client_t *client = (s_client_t *) *item;
    if (client->timer != -1)
        zloop_timer_end (client->server->loop, client->timer);
    if (client->reading) {
        zmq_pollitem_t poll = {NULL, client->fd, ZMQ_POLLIN, 0};
        zloop_poller_end (client->server->loop, &poll);
    }
    close (client->fd);
    herd_stub_response_clear (&client->waiting);
    free (client->buffer);
    free (client);
    *item = NULL;
}

herd_stubd_t *
herd_stubd_new (int delay_ms)
{
    herd_stubd_t *self = (herd_stubd_t *) zmalloc (sizeof (herd_stubd_t));
    self->listener = -1;
    self->delay_ms = delay_ms;
    self->clients = zlistx_new ();
    zlistx_set_destructor (self->clients, s_client_destroy);
    return self;
}

void
herd_stubd_destroy (herd_stubd_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_stubd_t *self = *self_p;
        zlistx_destroy (&self->clients);
        if (self->listener != -1)
            close (self->listener);
        free (self->last_request);
        herd_stub_response_clear (&self->last_answer);
        free (self);
        *self_p = NULL;
    }
}

static void
s_drop (herd_stubd_t *self, s_client_t *client)
{
    void *handle = zlistx_find (self->clients, client);
    if (handle)
        zlistx_delete (self->clients, handle);
}

static const char *
s_reason (int status)
{
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 429:
            return "Too Many Requests";
        default:
            return status >= 500 ? "Server Error" : "Error";
    }
}

//  The stub answers one client at a time and its clients read promptly, so
//  a plain send loop is enough here (this is a test tool, not a node).
static int
s_send (s_client_t *client, const herd_stub_response_t *response)
{
    char *head = herd_str_printf ("HTTP/1.1 %d %s\r\nContent-Type: "
                                  "application/json; charset=UTF-8\r\n"
                                  "Content-Length: %zu\r\n\r\n",
                                  response->status, s_reason (response->status),
                                  response->size);
    //  Head and body in one write: two small writes would meet Nagle and
    //  the client's delayed ACK, 40 ms per answer
    int rc = 0;
    struct iovec parts[2] = {{head, strlen (head)},
                             {(void *) response->body, response->size}};
    struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
    while (rc == 0 && (parts[0].iov_len > 0 || parts[1].iov_len > 0)) {
        ssize_t sent = sendmsg (client->fd, &message, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0) {
            rc = -1;
            break;
        }
        for (int i = 0; i < 2; i++) {
            size_t used = (size_t) sent < parts[i].iov_len ? (size_t) sent
                                                           : parts[i].iov_len;
            parts[i].iov_base = (char *) parts[i].iov_base + used;
            parts[i].iov_len -= used;
            sent -= (ssize_t) used;
        }
    }
    free (head);
    return rc;
}

static int s_on_client (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_resume (s_client_t *client)
{
    zmq_pollitem_t poll = {NULL, client->fd, ZMQ_POLLIN, 0};
    client->reading =
        zloop_poller (client->server->loop, &poll, s_on_client, client) == 0;
}

static void
s_pause (s_client_t *client)
{
    zmq_pollitem_t poll = {NULL, client->fd, ZMQ_POLLIN, 0};
    zloop_poller_end (client->server->loop, &poll);
    client->reading = false;
}

static void s_serve (herd_stubd_t *self, s_client_t *client);

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_client_t *client = (s_client_t *) arg;
    client->timer = -1;
    int rc = s_send (client, &client->waiting);
    herd_stub_response_clear (&client->waiting);
    if (rc)
        s_drop (client->server, client);
    else {
        s_resume (client);
        s_serve (client->server, client);
    }
    return 0;
}

//  Header value (case-insensitive name) within the head, copied.
static char *
s_header (const char *head, size_t size, const char *name)
{
    size_t length = strlen (name);
    for (const char *at = head; at && at < head + size;) {
        const char *next = memmem (at, (size_t) (head + size - at), "\r\n", 2);
        if (next && (size_t) (next - at) > length && at[length] == ':'
            && strncasecmp (at, name, length) == 0) {
            const char *value = at + length + 1;
            while (*value == ' ')
                value++;
            return herd_str_ndup (value, (size_t) (next - value));
        }
        at = next ? next + 2 : NULL;
    }
    return NULL;
}

//  herd_stub_answer, or the last answer again if request is the last one.
static void
s_answer (herd_stubd_t *self,
          const herd_stub_request_t *request,
          herd_stub_response_t *response)
{
    const char *parts[] = {request->method, request->target, request->api_key,
                           request->field_mask};
    size_t size = request->body_size + 4;
    for (int i = 0; i < 4; i++)
        size += parts[i] ? strlen (parts[i]) + 1 : 0;
    char *key = (char *) malloc (size);
    assert (key);
    char *at = key;
    for (int i = 0; i < 4; i++) {
        //  Each part: 'y' then its text and a NUL, or 'n' if absent
        *at++ = parts[i] ? 'y' : 'n';
        if (parts[i]) {
            size_t length = strlen (parts[i]);
            memcpy (at, parts[i], length + 1);
            at += length + 1;
        }
    }
    memcpy (at, request->body, request->body_size);
    size = (size_t) (at - key) + request->body_size;
    if (!self->last_request || size != self->last_size
        || memcmp (key, self->last_request, size)) {
        free (self->last_request);
        herd_stub_response_clear (&self->last_answer);
        herd_stub_answer (request, self->delay_ms, &self->last_answer);
        self->last_request = key;
        self->last_size = size;
    } else
        free (key);
    *response = self->last_answer;
    if (response->body) {
        response->body = (char *) malloc (response->size + 1);
        assert (response->body);
        memcpy (response->body, self->last_answer.body, response->size + 1);
    }
}

//  Answer every complete request in the buffer; a delayed answer pauses
//  the client until its timer fires.
static void
s_serve (herd_stubd_t *self, s_client_t *client)
{
    while (client->timer == -1) {
        const char *end = memmem (client->buffer, client->size, "\r\n\r\n", 4);
        if (!end)
            return;
        size_t head_size = (size_t) (end - client->buffer) + 4;
        char *length = s_header (client->buffer, head_size, "Content-Length");
        size_t body_size = length ? (size_t) atol (length) : 0;
        free (length);
        if (client->size < head_size + body_size)
            return;
        char method[16] = "", target[2048] = "";
        sscanf (client->buffer, "%15s %2047s", method, target);
        char *key = s_header (client->buffer, head_size, "X-Goog-Api-Key");
        char *mask = s_header (client->buffer, head_size, "X-Goog-FieldMask");
        herd_stub_request_t request = {
            method, target, key, mask, client->buffer + head_size, body_size};
        herd_stub_response_t response;
        s_answer (self, &request, &response);
        free (key);
        free (mask);
        size_t used = head_size + body_size;
        memmove (client->buffer, client->buffer + used, client->size - used);
        client->size -= used;
        if (response.status == 0) {  //  Hang: answer nothing, ever
            s_pause (client);
            return;
        }
        if (response.delay_ms > 0) {
            client->timer = zloop_timer (self->loop, (size_t) response.delay_ms,
                                         1, s_on_timer, client);
            if (client->timer != -1) {
                client->waiting = response;
                s_pause (client);
                return;
            }
            //  No timer for the delay: answered now instead
        }
        int rc = s_send (client, &response);
        herd_stub_response_clear (&response);
        if (rc) {
            s_drop (self, client);
            return;
        }
    }
}

static int
s_on_client (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    s_client_t *client = (s_client_t *) arg;
    herd_stubd_t *self = client->server;
    char chunk[65536];
    ssize_t rc = recv (client->fd, chunk, sizeof (chunk), 0);
    if (rc == -1 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (rc <= 0 || client->size + (size_t) rc > HERD_STUBD_REQUEST_MAX) {
        s_drop (self, client);
        return 0;
    }
    client->buffer = (char *) realloc (client->buffer, client->size + rc);
    memcpy (client->buffer + client->size, chunk, (size_t) rc);
    client->size += (size_t) rc;
    s_serve (self, client);
    return 0;
}

static int
s_on_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    herd_stubd_t *self = (herd_stubd_t *) arg;
    //  Every connection waiting, not one per turn: a burst of a thousand
    //  would otherwise take a thousand turns of the loop
    for (int i = 0; i < 1024; i++) {
        int fd = accept4 (self->listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1)
            return 0;
        int one = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
        s_client_t *client = (s_client_t *) zmalloc (sizeof (s_client_t));
        client->server = self;
        client->fd = fd;
        client->timer = -1;
        zlistx_add_end (self->clients, client);
        s_resume (client);
    }
    return 0;
}

int
herd_stubd_bind (herd_stubd_t *self,
                 zloop_t *loop,
                 const char *host,
                 uint16_t port)
{
    assert (self);
    self->loop = loop;
    int fd;
    int bound = herd_net_listen (host, port, 1, &fd);
    if (bound == -1)
        return -1;
    self->listener = fd;
    zmq_pollitem_t poll = {NULL, fd, ZMQ_POLLIN, 0};
    if (zloop_poller (loop, &poll, s_on_accept, self))
        return -1;
    return bound;
}
