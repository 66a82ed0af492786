/*  herd_ack - IAMAT replies held until the neighbours hold the update  */

#include "herd_ack.h"

#include <czmq.h>

typedef struct {
    uint64_t sequence;    //  Our update it waits for
    uint64_t waiting;     //  Bit i: no ACK yet from link i
    uint64_t connection;  //  Where the reply goes
    uint64_t ticket;
    int64_t deadline;  //  Released then at the latest
    size_t size;
    char reply[];  //  The AT line and LF
} s_held_t;

struct _herd_ack_t {
    zlistx_t *held;   //  s_held_t, by sequence (so also by deadline)
    int64_t hold_ms;  //  How long a reply waits at most
    herd_ack_fn *fn;
    void *arg;
};

static void
s_held_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

herd_ack_t *
herd_ack_new (int64_t hold_ms, herd_ack_fn *fn, void *arg)
{
    assert (fn && hold_ms >= 0);
    herd_ack_t *self = (herd_ack_t *) zmalloc (sizeof (herd_ack_t));
    self->hold_ms = hold_ms;
    self->held = zlistx_new ();
    zlistx_set_destructor (self->held, s_held_destroy);
    self->fn = fn;
    self->arg = arg;
    return self;
}

void
herd_ack_destroy (herd_ack_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_ack_t *self = *self_p;
        zlistx_destroy (&self->held);
        free (self);
        *self_p = NULL;
    }
}

//  Release the item at the list's cursor.
static void
s_release (herd_ack_t *self, s_held_t *held, bool complete)
{
    self->fn (self->arg, held->connection, held->ticket, held->reply,
              held->size, complete);
    zlistx_delete (self->held, zlistx_cursor (self->held));
}

void
herd_ack_hold (herd_ack_t *self,
               uint64_t sequence,
               uint64_t mask,
               uint64_t connection,
               uint64_t ticket,
               const char *reply,
               size_t size,
               int64_t now_ms)
{
    assert (self);
    if (mask == 0 || self->hold_ms == 0) {
        self->fn (self->arg, connection, ticket, reply, size, true);
        return;
    }
    s_held_t *held = (s_held_t *) zmalloc (sizeof (s_held_t) + size);
    held->sequence = sequence;
    held->waiting = mask;
    held->connection = connection;
    held->ticket = ticket;
    held->deadline = now_ms + self->hold_ms;
    held->size = size;
    memcpy (held->reply, reply, size);
    zlistx_add_end (self->held, held);
}

//  Link is no longer waited for by the replies up to sequence; those left
//  waiting for no one are released.  O(replies held up to sequence).
static void
s_clear (herd_ack_t *self, uint64_t sequence, size_t link, bool complete)
{
    if (link >= HERD_ACK_LINKS_MAX)
        return;
    s_held_t *held = (s_held_t *) zlistx_first (self->held);
    while (held && held->sequence <= sequence) {
        held->waiting &= ~(1ull << link);
        if (held->waiting == 0) {
            //  Step past it before it goes: the cursor moves to the next
            void *handle = zlistx_cursor (self->held);
            self->fn (self->arg, held->connection, held->ticket, held->reply,
                      held->size, complete);
            held = (s_held_t *) zlistx_next (self->held);
            zlistx_delete (self->held, handle);
        } else
            held = (s_held_t *) zlistx_next (self->held);
    }
}

//  An ACK covers every update before it.
void
herd_ack_receive (herd_ack_t *self, uint64_t sequence, size_t link)
{
    assert (self);
    s_clear (self, sequence, link, true);
}

void
herd_ack_forget (herd_ack_t *self, size_t link)
{
    assert (self);
    s_clear (self, UINT64_MAX, link, false);
}

//  Deadlines grow with the sequence: only the head is looked at.
size_t
herd_ack_expire (herd_ack_t *self, int64_t now_ms)
{
    assert (self);
    size_t count = 0;
    s_held_t *held = (s_held_t *) zlistx_first (self->held);
    while (held && held->deadline <= now_ms) {
        s_release (self, held, false);
        count++;
        held = (s_held_t *) zlistx_first (self->held);
    }
    return count;
}

size_t
herd_ack_size (herd_ack_t *self)
{
    assert (self);
    return zlistx_size (self->held);
}
