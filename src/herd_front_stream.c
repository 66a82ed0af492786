/*  herd_front_stream - the ZMQ_STREAM transport of herd_front

    Frames are [routing id][bytes]; an empty frame announces a connection
    (unknown id) or its end (known id).  libzmq treats a client's EOF as a
    disconnect, so a client that half-closes gets no reply, and a client
    whose send queue is full cannot be closed (libzmq#4828); both are the
    documented exemptions of this transport (proto/client.md, section 7).
    Every send is ZMQ_DONTWAIT: a blocking send to a client that just left
    can hang forever.  */

#include "herd_front_private.h"

//  Messages taken from the socket per turn of the node's loop.
#define S_BATCH 256

//  Hash key of a routing id: its bytes in hex.
#define S_KEY_SIZE (2 * 256 + 1)

static void
s_key (const byte *id, size_t size, char key[S_KEY_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < size && i < 256; i++) {
        key[2 * i] = hex[id[i] >> 4];
        key[2 * i + 1] = hex[id[i] & 15];
    }
    key[2 * (size < 256 ? size : 256)] = 0;
}

typedef struct {
    zsock_t *socket;  //  ZMQ_STREAM, bound
    zhashx_t *by_id;  //  Routing id in hex -> connection (not owned)
} s_stream_t;

static s_stream_t *
s_stream (herd_front_t *self)
{
    if (!self->io) {
        s_stream_t *stream = (s_stream_t *) zmalloc (sizeof (s_stream_t));
        stream->socket = zsock_new (ZMQ_STREAM);
        assert (stream->socket);
        zsock_set_stream_notify (stream->socket, 1);
        zsock_set_sndtimeo (stream->socket, 0);
        zsock_set_linger (stream->socket, 0);
        stream->by_id = zhashx_new ();
        self->io = stream;
    }
    return (s_stream_t *) self->io;
}

static int
s_bind (herd_front_t *self, const char *host, uint16_t port)
{
    s_stream_t *stream = s_stream (self);
    bool v6 = strchr (host, ':') != NULL;
    if (v6)
        zsock_set_ipv6 (stream->socket, 1);
    int rc = port ? zsock_bind (stream->socket, "tcp://%s%s%s:%u",
                                v6 ? "[" : "", host, v6 ? "]" : "", port)
                  : zsock_bind (stream->socket, "tcp://%s%s%s:*", v6 ? "[" : "",
                                host, v6 ? "]" : "");
    if (rc == -1)
        errno = zmq_errno ();
    return rc;
}

//  Send [id][data] without waiting.  0, or -1: the client is gone
//  (EHOSTUNREACH) or its queue is full or closing (EAGAIN).
static int
s_send (s_stream_t *stream,
        herd_front_conn_t *conn,
        const char *data,
        size_t size)
{
    void *socket = zsock_resolve (stream->socket);
    if (zmq_send (socket, conn->stream_id, conn->stream_id_size,
                  ZMQ_SNDMORE | ZMQ_DONTWAIT)
        == -1)
        return -1;
    return zmq_send (socket, data, size, ZMQ_DONTWAIT) == -1 ? -1 : 0;
}

//  All queued replies go out as one frame.
static void
s_write (herd_front_t *self, herd_front_conn_t *conn)
{
    size_t size = herd_front_conn_queued (conn);
    if (s_send (s_stream (self), conn, herd_buf_data (conn->out), size)) {
        herd_front_conn_doom (self, conn,
                              zmq_errno () == EHOSTUNREACH
                                  ? "client gone"
                                  : "client not reading (send queue full)");
        return;
    }
    herd_front_conn_wrote (conn, size);
}

//  There is no half-close: an empty frame closes the connection, and
//  there is nothing to drain afterwards.
static void
s_shutdown (herd_front_t *self, herd_front_conn_t *conn)
{
    if (!conn->gone && s_send (s_stream (self), conn, "", 0) == 0)
        conn->gone = true;
    herd_front_conn_doom (self, conn, conn->why ? conn->why : "closed");
}

static void
s_update (herd_front_t *self, herd_front_conn_t *conn)
{
    (void) self;
    (void) conn;  //  One socket for all: input cannot be paused per client
}

static void
s_close (herd_front_t *self, herd_front_conn_t *conn)
{
    s_stream_t *stream = s_stream (self);
    //  Ask libzmq to close it, if the client did not; a full queue makes
    //  this fail (libzmq#4828), and nothing more can be done then
    if (!conn->gone)
        s_send (stream, conn, "", 0);
    char key[S_KEY_SIZE];
    s_key (conn->stream_id, conn->stream_id_size, key);
    zhashx_delete (stream->by_id, key);
}

static void
s_destroy (herd_front_t *self)
{
    s_stream_t *stream = (s_stream_t *) self->io;
    if (stream) {
        zhashx_destroy (&stream->by_id);
        zsock_destroy (&stream->socket);
        free (stream);
        self->io = NULL;
    }
}

//  A new routing id: a client connected.
static void
s_connect (herd_front_t *self, zframe_t *id, zframe_t *data, const char *key)
{
    s_stream_t *stream = s_stream (self);
    const char *peer = zframe_meta (data, "Peer-Address");
    herd_front_conn_t *conn = herd_front_conn_open (self, peer ? peer : "?");
    if (!conn || zframe_size (id) > sizeof (conn->stream_id)) {
        void *socket = zsock_resolve (stream->socket);
        if (zmq_send (socket, zframe_data (id), zframe_size (id),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT)
            != -1)
            zmq_send (socket, "", 0, ZMQ_DONTWAIT);
        if (conn)
            herd_front_conn_doom (self, conn, "bad routing id");
        return;
    }
    memcpy (conn->stream_id, zframe_data (id), zframe_size (id));
    conn->stream_id_size = zframe_size (id);
    zhashx_insert (stream->by_id, key, conn);
}

static int
s_on_stream (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    herd_front_t *self = (herd_front_t *) arg;
    s_stream_t *stream = s_stream (self);
    for (int i = 0; i < S_BATCH; i++) {
        zmsg_t *msg = zmsg_recv_nowait (reader);
        if (!msg)
            break;
        zframe_t *id = zmsg_first (msg);
        zframe_t *data = zmsg_next (msg);
        if (!id || !data) {
            zmsg_destroy (&msg);
            continue;
        }
        char key[S_KEY_SIZE];
        s_key (zframe_data (id), zframe_size (id), key);
        herd_front_conn_t *conn =
            (herd_front_conn_t *) zhashx_lookup (stream->by_id, key);
        if (!conn && zframe_size (data) == 0)
            s_connect (self, id, data, key);
        else if (conn && zframe_size (data) == 0) {
            //  EOF and disconnect are one event here: replies are lost
            conn->gone = true;
            herd_front_conn_doom (self, conn, "connection lost");
        } else if (conn && !conn->doomed) {
            herd_front_conn_input (self, conn,
                                   (const char *) zframe_data (data),
                                   zframe_size (data));
            herd_front_conn_flush (self, conn);
        }
        zmsg_destroy (&msg);
    }
    herd_front_turn_end (self);
    return 0;
}

static int
s_start (herd_front_t *self, zloop_t *loop)
{
    return zloop_reader (loop, s_stream (self)->socket, s_on_stream, self);
}

const herd_front_transport_t herd_front_stream = {
    s_bind, s_start, s_write, s_shutdown, s_update, s_close, s_destroy,
};
