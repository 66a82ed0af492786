/*  fuzz_frame - herd messages as a ROUTER receives them

    The input is a list of frames, each a length byte then that many bytes.
    Whatever they hold, decoding either refuses with a reason or gives
    fields that stay inside the message; a decoded AT's updates re-encode to
    the same bytes.  */

#include "herd_wire.h"

#include <assert.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    size_t at = 0;
    while (at < size) {
        size_t length = data[at++];
        if (length > size - at)
            length = size - at;
        zmsg_addmem (msg, data + at, length);
        at += length;
    }
    herd_wire_t wire;
    const char *reason = NULL;
    if (herd_wire_decode (&wire, msg, &reason) == 0) {
        if (wire.command == HERD_WIRE_AT) {
            //  Every whole update, until one is malformed
            assert (wire.count >= 1);
            const byte *start = wire.next;  //  After the first update
            size_t decoded = 0;             //  Bytes of the whole updates
            herd_wire_batch_t *again = herd_wire_batch_new ();
            size_t index = 0;
            int rc = 1;
            while (rc == 1) {
                decoded = (size_t) (wire.next - start);
                char *originator =
                    strndup (wire.originator.data, wire.originator.size);
                char *seen = strndup (wire.seen.data, wire.seen.size);
                assert (strlen (seen) == wire.seen.size);  //  Names: no NUL
                herd_wire_batch_add (again, originator, wire.epoch,
                                     wire.sequence, seen, wire.payload.data,
                                     wire.payload.size);
                free (originator);
                free (seen);
                herd_msg_t line;
                herd_msg_parse_at (&line, wire.payload.data, wire.payload.size,
                                   NULL);
                rc = herd_wire_next_update (&wire, ++index, &reason);
                assert (rc != -1 || reason);
            }
            assert (rc == -1 || index == wire.count);
            //  The updates frame: count, the first update, then those after
            //  it that decoded, byte for byte as the batch makes them
            zmsg_first (msg);
            zmsg_next (msg);
            zmsg_next (msg);
            zframe_t *frame = zmsg_next (msg);
            zmsg_t *copy = herd_wire_batch_take (again);
            zframe_t *made = zmsg_last (copy);
            size_t first = (size_t) (start - zframe_data (frame));
            size_t whole = first + decoded;
            assert (zframe_size (made) == whole);
            assert (memcmp (zframe_data (made) + 4, zframe_data (frame) + 4,
                            whole - 4)
                    == 0);
            zmsg_destroy (&copy);
            herd_wire_batch_destroy (&again);
        } else if (wire.command == HERD_WIRE_SNAP) {
            uint64_t count = 0;
            herd_span_t record;
            for (bool more = herd_wire_first_record (msg, &record); more;
                 more = herd_wire_next_record (msg, &record)) {
                herd_msg_t line;
                herd_msg_parse_at (&line, record.data, record.size, NULL);
                count++;
            }
            assert (count == wire.count);
        }
    } else
        assert (reason);
    zmsg_destroy (&msg);
    return 0;
}
