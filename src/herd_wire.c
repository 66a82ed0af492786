/*  herd_wire - encode and decode the frames of herd links  */

#include "herd_wire.h"

static herd_span_t
s_span (zframe_t *frame)
{
    herd_span_t span = {(const char *) zframe_data (frame),
                        zframe_size (frame)};
    return span;
}

static bool
s_equals (herd_span_t span, const char *text)
{
    return span.size == strlen (text)
           && memcmp (span.data, text, span.size) == 0;
}

static void
s_put_u64 (byte *at, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        at[i] = (byte) (value & 0xff);
        value >>= 8;
    }
}

static uint64_t
s_get_u64 (const byte *at)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | at[i];
    return value;
}

bool
herd_wire_name_valid (const char *name, size_t size)
{
    if (size == 0 || size > HERD_WIRE_NAME_MAX)
        return false;
    for (size_t i = 0; i < size; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

//  Originator, then epoch and sequence: the identity of an update.
static void
s_add_stamp (zmsg_t *msg,
             const char *originator,
             uint64_t epoch,
             uint64_t sequence)
{
    zmsg_addstr (msg, originator);
    byte stamp[16];
    s_put_u64 (stamp, epoch);
    s_put_u64 (stamp + 8, sequence);
    zmsg_addmem (msg, stamp, sizeof (stamp));
}

zmsg_t *
herd_wire_ack (const char *originator, uint64_t epoch, uint64_t sequence)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "ACK");
    s_add_stamp (msg, originator, epoch, sequence);
    return msg;
}

zmsg_t *
herd_wire_at_new (void)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "AT");
    return msg;
}

void
herd_wire_at_add (zmsg_t *at,
                  const char *originator,
                  uint64_t epoch,
                  uint64_t sequence,
                  const char *seen,
                  const char *payload,
                  size_t size)
{
    s_add_stamp (at, originator, epoch, sequence);
    zmsg_addstr (at, seen);
    zmsg_addmem (at, payload, size);
}

zmsg_t *
herd_wire_at (const char *originator,
              uint64_t epoch,
              uint64_t sequence,
              const char *seen,
              const char *payload,
              size_t size)
{
    zmsg_t *msg = herd_wire_at_new ();
    herd_wire_at_add (msg, originator, epoch, sequence, seen, payload, size);
    return msg;
}

zmsg_t *
herd_wire_hello (uint64_t epoch, bool answer)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "HELLO");
    byte value[8];
    s_put_u64 (value, epoch);
    zmsg_addmem (msg, value, sizeof (value));
    zmsg_addstr (msg, answer ? "1" : "0");
    return msg;
}

zmsg_t *
herd_wire_snap (void)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "SNAP");
    return msg;
}

void
herd_wire_snap_add (zmsg_t *snap, const char *line, size_t size)
{
    zmsg_addmem (snap, line, size);
}

zmsg_t *
herd_wire_snapend (uint64_t count)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "SNAPEND");
    byte value[8];
    s_put_u64 (value, count);
    zmsg_addmem (msg, value, sizeof (value));
    return msg;
}

bool
herd_wire_first_record (zmsg_t *msg, herd_span_t *record)
{
    //  Routing id, signature, command, then the records
    zmsg_first (msg);
    zmsg_next (msg);
    zmsg_next (msg);
    return herd_wire_next_record (msg, record);
}

bool
herd_wire_next_record (zmsg_t *msg, herd_span_t *record)
{
    zframe_t *frame = zmsg_next (msg);
    if (!frame)
        return false;
    *record = s_span (frame);
    return true;
}

//  A frame of one 8-byte integer.
static int
s_decode_u64 (zframe_t *frame, uint64_t *value, const char **reason)
{
    if (!frame || zframe_size (frame) != 8) {
        *reason = "bad integer frame";
        return -1;
    }
    *value = s_get_u64 (zframe_data (frame));
    return 0;
}

//  Seen set: names separated by commas, each a valid name.
static bool
s_seen_valid (herd_span_t seen)
{
    size_t start = 0;
    for (size_t at = 0; at <= seen.size; at++) {
        if (at == seen.size || seen.data[at] == ',') {
            if (!herd_wire_name_valid (seen.data + start, at - start))
                return false;
            start = at + 1;
        }
    }
    return true;
}

static int
s_decode_stamp (herd_wire_t *self, zmsg_t *msg, const char **reason)
{
    self->originator = s_span (zmsg_next (msg));
    zframe_t *stamp = zmsg_next (msg);
    if (!herd_wire_name_valid (self->originator.data, self->originator.size)) {
        *reason = "bad originator";
        return -1;
    }
    if (zframe_size (stamp) != 16) {
        *reason = "bad epoch/sequence frame";
        return -1;
    }
    self->epoch = s_get_u64 (zframe_data (stamp));
    self->sequence = s_get_u64 (zframe_data (stamp) + 8);
    return 0;
}

//  One update of an AT: four frames from the message's cursor.
static int
s_decode_update (herd_wire_t *self, zmsg_t *msg, const char **reason)
{
    if (s_decode_stamp (self, msg, reason))
        return -1;
    self->seen = s_span (zmsg_next (msg));
    self->payload = s_span (zmsg_next (msg));
    if (!s_seen_valid (self->seen)) {
        *reason = "bad seen set";
        return -1;
    }
    return 0;
}

static int
s_decode_at (herd_wire_t *self, zmsg_t *msg, const char **reason)
{
    //  Frames after the last whole update are a newer version's
    //  additions: ignored
    if (zmsg_size (msg) < 7) {
        *reason = "AT has too few frames";
        return -1;
    }
    self->count = (zmsg_size (msg) - 3) / 4;
    return s_decode_update (self, msg, reason);
}

int
herd_wire_next_update (herd_wire_t *self,
                       zmsg_t *msg,
                       size_t index,
                       const char **reason)
{
    assert (self && msg && self->command == HERD_WIRE_AT);
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (index >= self->count)
        return 0;
    return s_decode_update (self, msg, reason) ? -1 : 1;
}

int
herd_wire_decode (herd_wire_t *self, zmsg_t *msg, const char **reason)
{
    assert (self);
    assert (msg);
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset (self, 0, sizeof (*self));
    if (zmsg_size (msg) < 3) {
        *reason = "too few frames";
        return -1;
    }
    self->sender = s_span (zmsg_first (msg));
    herd_span_t signature = s_span (zmsg_next (msg));
    self->name = s_span (zmsg_next (msg));
    if (!herd_wire_name_valid (self->sender.data, self->sender.size)) {
        *reason = "bad sender";
        return -1;
    }
    if (!s_equals (signature, HERD_WIRE_SIGNATURE)) {
        *reason = "bad signature";
        return -1;
    }
    if (s_equals (self->name, "AT")) {
        self->command = HERD_WIRE_AT;
        return s_decode_at (self, msg, reason);
    }
    if (s_equals (self->name, "ACK")) {
        self->command = HERD_WIRE_ACK;
        if (zmsg_size (msg) < 5) {
            *reason = "ACK has too few frames";
            return -1;
        }
        return s_decode_stamp (self, msg, reason);
    }
    if (s_equals (self->name, "HELLO")) {
        self->command = HERD_WIRE_HELLO;
        if (s_decode_u64 (zmsg_next (msg), &self->epoch, reason))
            return -1;
        zframe_t *answer = zmsg_next (msg);
        self->answer = answer && zframe_streq (answer, "1");
        return 0;
    }
    if (s_equals (self->name, "SNAPEND")) {
        self->command = HERD_WIRE_SNAPEND;
        return s_decode_u64 (zmsg_next (msg), &self->count, reason);
    }
    if (s_equals (self->name, "SNAP")) {
        //  Records follow the command frame: herd_wire_next_record
        self->command = HERD_WIRE_SNAP;
        self->count = zmsg_size (msg) - 3;
        return 0;
    }
    self->command = HERD_WIRE_OTHER;
    return 0;
}
