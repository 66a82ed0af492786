/*  herd_tap - the node's tap  */

#include "herd_tap.h"
#include "herd_str.h"
#include "herd_buf.h"

//  Kinds held at once (a node has about 15), and bytes held before an
//  early flush.
#define S_KINDS     16
#define S_HELD_HIGH (64 * 1024)
#define S_TOPIC_MAX 128

typedef struct {
    char topic[S_TOPIC_MAX];  //  "NODE KIND"
    size_t topic_size;
    herd_buf_t *body;  //  Records joined by LF
} s_batch_t;

struct _herd_tap_t {
    zsock_t *socket;
    char *node;
    size_t topics;  //  Subscriptions held by listeners
    s_batch_t batches[S_KINDS];
    size_t count;  //  Batches in use
    size_t held;   //  Bytes in all of them
};

herd_tap_t *
herd_tap_new (const char *endpoint, const char *node)
{
    assert (endpoint && node);
    zsock_t *socket = zsock_new (ZMQ_XPUB);
    assert (socket);
    zsock_set_sndhwm (socket, 10000);
    zsock_set_sndtimeo (socket, 0);
    zsock_set_linger (socket, 0);
    if (zsock_bind (socket, "%s", endpoint) == -1) {
        int error = errno;
        zsock_destroy (&socket);
        errno = error;
        return NULL;
    }
    herd_tap_t *self = (herd_tap_t *) zmalloc (sizeof (herd_tap_t));
    self->socket = socket;
    self->node = herd_str_dup (node);
    for (size_t i = 0; i < S_KINDS; i++)
        self->batches[i].body = herd_buf_new ();
    return self;
}

void
herd_tap_destroy (herd_tap_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_tap_t *self = *self_p;
        for (size_t i = 0; i < S_KINDS; i++)
            herd_buf_destroy (&self->batches[i].body);
        zsock_destroy (&self->socket);
        free (self->node);
        free (self);
        *self_p = NULL;
    }
}

//  The batch for topic, or NULL when every batch holds another kind.
//  O(kinds held), at most S_KINDS short compares.
static s_batch_t *
s_batch (herd_tap_t *self, const char *topic, size_t size)
{
    for (size_t i = 0; i < self->count; i++) {
        s_batch_t *batch = &self->batches[i];
        if (batch->topic_size == size
            && memcmp (batch->topic, topic, size) == 0)
            return batch;
    }
    if (self->count == S_KINDS)
        return NULL;
    s_batch_t *batch = &self->batches[self->count++];
    memcpy (batch->topic, topic, size);
    batch->topic_size = size;
    return batch;  //  Its body was emptied by the last flush
}

void
herd_tap_record (herd_tap_t *self, const char *record, size_t size)
{
    assert (self);
    //  "2026-...Z NODE LEVEL KIND ...": the kind is the fourth word
    const char *end = record + size, *kind = record;
    for (int spaces = 0; kind < end && spaces < 3; kind++)
        spaces += *kind == ' ';
    const char *kind_end = kind;
    while (kind_end < end && *kind_end != ' ')
        kind_end++;
    char topic[S_TOPIC_MAX];
    int topic_size = snprintf (topic, sizeof (topic), "%s %.*s", self->node,
                               (int) (kind_end - kind), kind);
    if (topic_size < 0 || (size_t) topic_size >= sizeof (topic))
        topic_size = (int) strlen (topic);
    s_batch_t *batch = s_batch (self, topic, (size_t) topic_size);
    if (!batch) {
        herd_tap_flush (self);
        batch = s_batch (self, topic, (size_t) topic_size);
    }
    size_t more = size + (herd_buf_size (batch->body) > 0);
    char *at = herd_buf_reserve (batch->body, more);
    if (more > size)
        *at++ = '\n';
    memcpy (at, record, size);
    herd_buf_commit (batch->body, more);
    self->held += more;
    if (self->held >= S_HELD_HIGH)
        herd_tap_flush (self);
}

void
herd_tap_flush (herd_tap_t *self)
{
    assert (self);
    void *socket = zsock_resolve (self->socket);
    for (size_t i = 0; i < self->count; i++) {
        s_batch_t *batch = &self->batches[i];
        //  Never waits: past the high-water mark the message is dropped
        if (zmq_send (socket, batch->topic, batch->topic_size,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT)
            == (int) batch->topic_size)
            zmq_send (socket, herd_buf_data (batch->body),
                      herd_buf_size (batch->body), ZMQ_DONTWAIT);
        herd_buf_clear (batch->body);
        //  A big batch's buffer is not kept for the quiet times after it
        herd_buf_shrink (batch->body, S_HELD_HIGH);
    }
    self->count = 0;
    self->held = 0;
}

bool
herd_tap_listened (herd_tap_t *self)
{
    assert (self);
    zframe_t *frame;
    while ((frame = zframe_recv_nowait (self->socket))) {
        if (zframe_size (frame) > 0) {
            if (zframe_data (frame)[0] == 1)
                self->topics++;
            else if (self->topics > 0)
                self->topics--;
        }
        zframe_destroy (&frame);
    }
    return self->topics > 0;
}
