/*  fuzz_frame - herd messages as a ROUTER receives them, and the way on
    of every update a node stores, and of every id a broadcast tree's
    IHAVE or GRAFT names

    The input is a list of frames, each a length (two bytes, big-endian)
    then that many bytes.
    Whatever they hold, decoding either refuses with a reason or gives
    fields that stay inside the message; a decoded AT's updates re-encode to
    the same bytes.  And the forward path: each update that parses is
    offered to a table, and one it stores is forwarded as a node does (its
    seen set grown by the node's and its neighbours' names, herd_flood) to
    each neighbour: that must always encode, and decode again as sent.  */

#include "herd_flood.h"
#include "herd_table.h"
#include "herd_tree.h"
#include "herd_wire.h"

#include <assert.h>

//  A node with neighbours of the longest names, so that forwarding adds
//  as much to a seen set as it can.
#define S_L "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
static const char *s_names[] = {"Self", S_L "01", S_L "02", S_L "03", "B"};
#define S_NAMES (sizeof (s_names) / sizeof (s_names[0]))

//  What the node does with an update it took from sender: store it, and
//  if it was newer, send it on to every neighbour not in its seen set.
static void
s_forward (herd_table_t *table, const herd_wire_t *wire, const char *sender)
{
    herd_msg_t line;
    if (herd_msg_parse_at (&line, wire->payload.data, wire->payload.size, NULL)
        || !herd_table_offer (table, &line, wire->payload.data,
                              wire->payload.size))
        return;
    char *seen = herd_flood_next_seen (wire->seen, s_names, S_NAMES);
    char *originator = strndup (wire->originator.data, wire->originator.size);
    for (size_t i = 1; i < S_NAMES; i++) {
        if (!herd_flood_forward_to (wire->seen, sender, s_names[i]))
            continue;
        herd_wire_batch_t *batch = herd_wire_batch_new ();
        int rc =
            herd_wire_batch_add (batch, originator, wire->epoch, wire->sequence,
                                 seen, wire->payload.data, wire->payload.size);
        assert (rc == 0);
        zmsg_t *msg = herd_wire_batch_take (batch);
        zmsg_pushstr (msg, "Self");  //  As the neighbour's ROUTER takes it
        herd_wire_t sent;
        rc = herd_wire_decode (&sent, msg, NULL);
        assert (rc == 0 && sent.count == 1);
        assert (sent.seen.size == strlen (seen));
        assert (memcmp (sent.seen.data, seen, sent.seen.size) == 0);
        assert (sent.payload.size == wire->payload.size);
        zmsg_destroy (&msg);
        herd_wire_batch_destroy (&batch);
    }
    free (originator);
    free (seen);
}

//  A tree asks for what it lacks: nothing to do here.
static void
s_ask (void *arg,
       void *peer,
       const char *originator,
       uint64_t epoch,
       uint64_t sequence)
{
    (void) arg, (void) peer, (void) originator, (void) epoch, (void) sequence;
}

//  Nor for what never comes.
static void
s_lost (void *arg, void *peer)
{
    (void) arg, (void) peer;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    size_t at = 0;
    while (at + 1 < size) {
        size_t length = ((size_t) data[at] << 8) | data[at + 1];
        at += 2;
        if (length > size - at)
            length = size - at;
        zmsg_addmem (msg, data + at, length);
        at += length;
    }
    herd_wire_t wire;
    const char *reason = NULL;
    herd_table_t *table = herd_table_new (1);
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
                int added = herd_wire_batch_add (
                    again, originator, wire.epoch, wire.sequence, seen,
                    wire.payload.data, wire.payload.size);
                assert (added == 0);  //  What decodes, encodes
                free (originator);
                free (seen);
                char *sender = strndup (wire.sender.data, wire.sender.size);
                s_forward (table, &wire, sender);
                free (sender);
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
            //  The ids it announces, if any, as an IHAVE's
            int announced = herd_wire_announced (&wire, &reason);
            assert (announced != -1 || reason);
            for (size_t id = 0; announced == 1;) {
                assert (herd_wire_name_valid (wire.originator.data,
                                              wire.originator.size));
                announced = herd_wire_next_update (&wire, ++id, &reason);
                assert (announced != -1 || reason);
            }
        } else if (wire.command == HERD_WIRE_IHAVE
                   || wire.command == HERD_WIRE_GRAFT) {
            //  Every id, as a tree node takes them: announced, asked for,
            //  looked up among the kept updates
            herd_tree_t *tree = herd_tree_new (1, s_ask, s_lost, NULL);
            size_t index = 0;
            int rc = 1;
            while (rc == 1) {
                assert (herd_wire_name_valid (wire.originator.data,
                                              wire.originator.size));
                char *originator =
                    strndup (wire.originator.data, wire.originator.size);
                herd_tree_announced (tree, &index, originator, wire.epoch,
                                     wire.sequence, 0);
                herd_tree_receive (tree, originator, wire.epoch,
                                   wire.sequence / 2, NULL);
                herd_tree_keep (tree, originator, wire.epoch, wire.sequence,
                                wire.payload);
                herd_span_t kept;
                assert (herd_tree_find (tree, originator, wire.epoch,
                                        wire.sequence, 0, &kept)
                        == (wire.payload.size <= HERD_TREE_KEEP_ONE));
                free (originator);
                rc = herd_wire_next_update (&wire, ++index, &reason);
                assert (rc != -1 || reason);
            }
            assert (rc == -1 || index == wire.count);
            herd_tree_expire (tree, 2);
            herd_tree_destroy (&tree);
        } else if (wire.command == HERD_WIRE_PRUNE)
            assert (herd_wire_name_valid (wire.originator.data,
                                          wire.originator.size));
        else if (wire.command == HERD_WIRE_SNAP) {
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
    herd_table_destroy (&table);
    zmsg_destroy (&msg);
    return 0;
}
