/*  herd_wire - encode and decode the frames of herd links  */

#include "herd_wire_private.h"

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
    herd_wire_put_u64 (stamp, epoch);
    herd_wire_put_u64 (stamp + 8, sequence);
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

//  O(size): each name is checked once.
bool
herd_wire_seen_valid (const char *seen, size_t size, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (size > HERD_WIRE_SEEN_MAX) {
        *reason = "seen set too large";
        return false;
    }
    if (size == 0)
        return true;
    size_t start = 0, names = 0;
    for (size_t at = 0; at <= size; at++) {
        if (at == size || seen[at] == ',') {
            if (!herd_wire_name_valid (seen + start, at - start)) {
                *reason = "bad seen set";
                return false;
            }
            if (++names > HERD_WIRE_SEEN_NAMES_MAX) {
                *reason = "seen set names too many nodes";
                return false;
            }
            start = at + 1;
        }
    }
    return true;
}

//  A message of command and one 8-byte number.
static zmsg_t *
s_u64_message (const char *command, uint64_t number)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, command);
    byte value[8];
    herd_wire_put_u64 (value, number);
    zmsg_addmem (msg, value, sizeof (value));
    return msg;
}

zmsg_t *
herd_wire_hello (uint64_t epoch, bool answer, bool tree)
{
    zmsg_t *msg = s_u64_message ("HELLO", epoch);
    zmsg_addstr (msg, answer ? "1" : "0");
    zmsg_addstr (msg, tree ? "tree" : "flood");
    return msg;
}

zmsg_t *
herd_wire_hello_resync (uint64_t epoch, bool tree)
{
    zmsg_t *msg = s_u64_message ("HELLO", epoch);
    zmsg_addstr (msg, "R");
    zmsg_addstr (msg, tree ? "tree" : "flood");
    return msg;
}

zmsg_t *
herd_wire_prune (const char *originator)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "PRUNE");
    zmsg_addstr (msg, originator);
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
    return s_u64_message ("SNAPEND", count);
}

zmsg_t *
herd_wire_snapmark (uint64_t mark)
{
    return s_u64_message ("SNAPMARK", mark);
}

zmsg_t *
herd_wire_snapack (uint64_t mark)
{
    return s_u64_message ("SNAPACK", mark);
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
    *value = herd_wire_get_u64 (zframe_data (frame));
    return 0;
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
    self->epoch = herd_wire_get_u64 (zframe_data (stamp));
    self->sequence = herd_wire_get_u64 (zframe_data (stamp) + 8);
    return 0;
}

//  Take size bytes from the updates not yet decoded, or NULL if fewer are
//  left.
static const byte *
s_take (herd_wire_t *self, size_t size)
{
    if (self->left < size)
        return NULL;
    const byte *at = self->next;
    self->next += size;
    self->left -= size;
    return at;
}

//  The next update of an AT's updates frame.
static int
s_decode_update (herd_wire_t *self, const char **reason)
{
    const byte *at = s_take (self, 1);
    if (!at || !(at = s_take (self, *at))) {
        *reason = "update cut short";
        return -1;
    }
    self->originator.data = (const char *) at;
    self->originator.size = (size_t) (self->next - at);
    if (!herd_wire_name_valid (self->originator.data, self->originator.size)) {
        *reason = "bad originator";
        return -1;
    }
    if (!(at = s_take (self, 16 + 2))) {
        *reason = "update cut short";
        return -1;
    }
    self->epoch = herd_wire_get_u64 (at);
    self->sequence = herd_wire_get_u64 (at + 8);
    size_t seen_size = ((size_t) at[16] << 8) | at[17];
    if (!(at = s_take (self, seen_size))) {
        *reason = "update cut short";
        return -1;
    }
    self->seen.data = (const char *) at;
    self->seen.size = seen_size;
    if (!herd_wire_seen_valid (self->seen.data, seen_size, reason))
        return -1;
    if (!(at = s_take (self, 4))) {
        *reason = "update cut short";
        return -1;
    }
    size_t payload_size = herd_wire_get_u32 (at);
    if (payload_size > HERD_WIRE_PAYLOAD_MAX) {
        *reason = "payload too large";
        return -1;
    }
    if (!(at = s_take (self, payload_size))) {
        *reason = "update cut short";
        return -1;
    }
    self->payload.data = (const char *) at;
    self->payload.size = (size_t) (self->next - at);
    return 0;
}

//  Start reading an updates frame (an AT's, an IHAVE's or GRAFT's, or the
//  ids an AT carries): its count, and its first update.
static int
s_start_updates (herd_wire_t *self,
                 const byte *data,
                 size_t size,
                 const char **reason)
{
    if (size < HERD_WIRE_COUNT_SIZE + HERD_WIRE_UPDATE_MIN) {
        *reason = "AT without updates";
        return -1;
    }
    self->next = data + HERD_WIRE_COUNT_SIZE;
    self->left = size - HERD_WIRE_COUNT_SIZE;
    self->count = herd_wire_get_u32 (data);
    if (self->count == 0 || self->count > self->left / HERD_WIRE_UPDATE_MIN) {
        *reason = "AT count does not fit its frame";
        return -1;
    }
    if (self->count > HERD_WIRE_AT_MAX) {
        *reason = "AT holds too many updates";
        return -1;
    }
    return s_decode_update (self, reason);
}

//  An AT's updates frame, or an IHAVE's or GRAFT's (the same, with no
//  seen sets nor payloads that count).
static int
s_decode_at (herd_wire_t *self, zmsg_t *msg, const char **reason)
{
    zframe_t *updates = zmsg_next (msg);
    if (!updates) {
        *reason = "AT without updates";
        return -1;
    }
    //  An AT's flags frame, if any, then the ids it announces, if any;
    //  other bits, and frames after them, are a newer version's additions:
    //  ignored
    if (self->command == HERD_WIRE_AT) {
        zframe_t *flags = zmsg_next (msg);
        self->unacked = flags && zframe_size (flags) >= 1
                        && (zframe_data (flags)[0] & HERD_WIRE_AT_UNACKED);
        zframe_t *ids = flags ? zmsg_next (msg) : NULL;
        if (ids)
            self->ids = s_span (ids);
    }
    return s_start_updates (self, zframe_data (updates), zframe_size (updates),
                            reason);
}

int
herd_wire_announced (herd_wire_t *self, const char **reason)
{
    assert (self && self->command == HERD_WIRE_AT);
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (self->ids.size == 0)
        return 0;
    self->command = HERD_WIRE_IHAVE;
    herd_span_t ids = self->ids;
    self->ids.size = 0;
    return s_start_updates (self, (const byte *) ids.data, ids.size, reason)
               ? -1
               : 1;
}

int
herd_wire_next_update (herd_wire_t *self, size_t index, const char **reason)
{
    assert (self
            && (self->command == HERD_WIRE_AT
                || self->command == HERD_WIRE_IHAVE
                || self->command == HERD_WIRE_GRAFT));
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (index >= self->count)
        return 0;
    return s_decode_update (self, reason) ? -1 : 1;
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
    if (s_equals (self->name, "IHAVE") || s_equals (self->name, "GRAFT")) {
        self->command =
            s_equals (self->name, "IHAVE") ? HERD_WIRE_IHAVE : HERD_WIRE_GRAFT;
        return s_decode_at (self, msg, reason);
    }
    if (s_equals (self->name, "PRUNE")) {
        self->command = HERD_WIRE_PRUNE;
        zframe_t *originator = zmsg_next (msg);
        self->originator = originator ? s_span (originator) : self->originator;
        if (!herd_wire_name_valid (self->originator.data,
                                   self->originator.size)) {
            *reason = "bad originator";
            return -1;
        }
        return 0;
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
        self->resync = answer && zframe_streq (answer, "R");
        zframe_t *mode = answer ? zmsg_next (msg) : NULL;
        self->tree = mode && zframe_streq (mode, "tree");
        return 0;
    }
    if (s_equals (self->name, "SNAPEND")) {
        self->command = HERD_WIRE_SNAPEND;
        return s_decode_u64 (zmsg_next (msg), &self->count, reason);
    }
    if (s_equals (self->name, "SNAPMARK") || s_equals (self->name, "SNAPACK")) {
        self->command = s_equals (self->name, "SNAPACK") ? HERD_WIRE_SNAPACK
                                                         : HERD_WIRE_SNAPMARK;
        return s_decode_u64 (zmsg_next (msg), &self->sequence, reason);
    }
    if (s_equals (self->name, "SNAP")) {
        //  Records follow the command frame: herd_wire_next_record
        self->command = HERD_WIRE_SNAP;
        self->count = zmsg_size (msg) - 3;
        if (self->count > HERD_WIRE_SNAP_MAX) {
            *reason = "SNAP holds too many records";
            return -1;
        }
        return 0;
    }
    self->command = HERD_WIRE_OTHER;
    return 0;
}
