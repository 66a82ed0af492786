/*  herd_wire - the updates of an AT (or an IHAVE, a GRAFT) gathered into
    one frame, and what an AT carries after them  */

#include "herd_wire_private.h"
#include "herd_buf.h"

struct _herd_wire_batch_t {
    herd_buf_t *frame;  //  The updates frame so far (count written on take)
    size_t count;       //  Updates in it
};

herd_wire_batch_t *
herd_wire_batch_new (void)
{
    herd_wire_batch_t *self =
        (herd_wire_batch_t *) zmalloc (sizeof (herd_wire_batch_t));
    self->frame = herd_buf_new ();
    memset (herd_buf_reserve (self->frame, HERD_WIRE_COUNT_SIZE), 0,
            HERD_WIRE_COUNT_SIZE);
    herd_buf_commit (self->frame, HERD_WIRE_COUNT_SIZE);
    return self;
}

void
herd_wire_batch_destroy (herd_wire_batch_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_buf_destroy (&(*self_p)->frame);
        free (*self_p);
        *self_p = NULL;
    }
}


int
herd_wire_batch_add (herd_wire_batch_t *self,
                     const char *originator,
                     uint64_t epoch,
                     uint64_t sequence,
                     const char *seen,
                     const char *payload,
                     size_t size)
{
    assert (self);
    size_t originator_size = strlen (originator);
    size_t seen_size = strlen (seen);
    if (!herd_wire_name_valid (originator, originator_size)
        || !herd_wire_seen_valid (seen, seen_size, NULL)
        || size > HERD_WIRE_PAYLOAD_MAX)
        return -1;
    size_t more = HERD_WIRE_UPDATE_MIN - 1 + originator_size + seen_size + size;
    byte *at = (byte *) herd_buf_reserve (self->frame, more);
    *at++ = (byte) originator_size;
    memcpy (at, originator, originator_size);
    at += originator_size;
    herd_wire_put_u64 (at, epoch);
    herd_wire_put_u64 (at + 8, sequence);
    at += 16;
    at[0] = (byte) (seen_size >> 8);
    at[1] = (byte) seen_size;
    at += 2;
    memcpy (at, seen, seen_size);
    at += seen_size;
    herd_wire_put_u32 (at, (uint32_t) size);
    at += 4;
    memcpy (at, payload, size);
    herd_buf_commit (self->frame, more);
    self->count++;
    return 0;
}

size_t
herd_wire_batch_count (herd_wire_batch_t *self)
{
    assert (self);
    return self->count;
}

size_t
herd_wire_batch_bytes (herd_wire_batch_t *self)
{
    assert (self);
    return herd_buf_size (self->frame);
}

zmsg_t *
herd_wire_batch_take (herd_wire_batch_t *self)
{
    return herd_wire_batch_take_as (self, "AT");
}

zmsg_t *
herd_wire_batch_take_as (herd_wire_batch_t *self, const char *command)
{
    assert (self && command);
    if (self->count == 0)
        return NULL;
    byte *data = (byte *) herd_buf_data (self->frame);
    herd_wire_put_u32 (data, (uint32_t) self->count);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, command);
    zmsg_addmem (msg, data, herd_buf_size (self->frame));
    herd_buf_truncate (self->frame, HERD_WIRE_COUNT_SIZE);
    self->count = 0;
    return msg;
}

void
herd_wire_at_unacked (zmsg_t *at)
{
    assert (at && zmsg_size (at) == 3);
    byte flags = HERD_WIRE_AT_UNACKED;
    zmsg_addmem (at, &flags, 1);
}

void
herd_wire_at_announce (zmsg_t *at, herd_wire_batch_t *ids)
{
    assert (at && ids && zmsg_size (at) >= 3 && zmsg_size (at) <= 4);
    if (zmsg_size (at) == 3)
        zmsg_addmem (at, NULL, 0);  //  No flags
    zmsg_t *ihave = herd_wire_batch_take_as (ids, "IHAVE");
    if (ihave) {
        zframe_t *frame = zmsg_last (ihave);
        zmsg_remove (ihave, frame);
        zmsg_append (at, &frame);
        zmsg_destroy (&ihave);
    }
}
