/*  test_herd_wire - herd link frames  */

#include "herd_test.h"
#include "herd_wire.h"

static void
s_assert_span (herd_span_t span, const char *text)
{
    assert_int_equal (span.size, strlen (text));
    assert_memory_equal (span.data, text, span.size);
}

//  Pieces of hand-made updates frames: a stamp (epoch 7, sequence 1), a
//  whole update (originator C, seen C, payload x), a literal and its size.
#define S_STAMP    "\0\0\0\0\0\0\0\7\0\0\0\0\0\0\0\1"
#define S_UPDATE_C "\1C" S_STAMP "\0\1C\0\0\0\1x"
#define S_BYTES(s) s, sizeof (s) - 1

//  The frames of an AT as a ROUTER receives it, with updates as given.
static zmsg_t *
s_received_at (const void *updates, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "Jaquez");
    zmsg_addstr (msg, "HERD2");
    zmsg_addstr (msg, "AT");
    zmsg_addmem (msg, updates, size);
    return msg;
}

static void
test_at_round_trips (void **state)
{
    (void) state;
    const char *payload = "AT Clark +0.1 kiwi +1-1 5";
    herd_wire_batch_t *batch = herd_wire_batch_new ();
    assert_int_equal (
        herd_wire_batch_add (batch, "Clark", 0x0102030405060708ull, 42,
                             "Clark,Jaquez", payload, strlen (payload)),
        0);
    zmsg_t *msg = herd_wire_batch_take (batch);
    herd_wire_batch_destroy (&batch);
    //  Exactly proto/herd.md, section 2
    assert_int_equal (zmsg_size (msg), 3);
    assert_true (zframe_streq (zmsg_first (msg), "HERD2"));
    assert_true (zframe_streq (zmsg_next (msg), "AT"));
    const byte expected[] = "\0\0\0\1"
                            "\5Clark"
                            "\1\2\3\4\5\6\7\10"
                            "\0\0\0\0\0\0\0\52"
                            "\0\14Clark,Jaquez"
                            "\0\0\0\31AT Clark +0.1 kiwi +1-1 5";
    zframe_t *updates = zmsg_next (msg);
    assert_int_equal (zframe_size (updates), sizeof (expected) - 1);
    assert_memory_equal (zframe_data (updates), expected,
                         sizeof (expected) - 1);
    zmsg_pushstr (msg, "Jaquez");  //  As a ROUTER receives it
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_AT);
    assert_int_equal (wire.count, 1);
    s_assert_span (wire.sender, "Jaquez");
    s_assert_span (wire.originator, "Clark");
    assert_true (wire.epoch == 0x0102030405060708ull);
    assert_int_equal (wire.sequence, 42);
    s_assert_span (wire.seen, "Clark,Jaquez");
    s_assert_span (wire.payload, payload);
    assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 0);
    assert_false (wire.unacked);
    zmsg_destroy (&msg);
}

//  An AT whose sender waits for no ACK carries a flags frame saying so;
//  its other bits, and frames after it, are a newer version's.
static void
test_an_unacked_at_says_so (void **state)
{
    (void) state;
    const char *payload = "AT Clark +0.1 kiwi +1-1 5";
    const byte flags[] = {0x01, 0x03, 0x02, 0xff};
    const bool unacked[] = {true, true, false, true};
    for (size_t i = 0; i < 4; i++) {
        herd_wire_batch_t *batch = herd_wire_batch_new ();
        assert_int_equal (herd_wire_batch_add (batch, "Clark", 1, 42, "Clark",
                                               payload, strlen (payload)),
                          0);
        zmsg_t *msg = herd_wire_batch_take (batch);
        herd_wire_batch_destroy (&batch);
        if (i == 0) {
            herd_wire_at_unacked (msg);
            assert_int_equal (zmsg_size (msg), 4);
            zframe_t *last = zmsg_last (msg);
            assert_int_equal (zframe_size (last), 1);
            assert_int_equal (zframe_data (last)[0], HERD_WIRE_AT_UNACKED);
        } else {
            zmsg_addmem (msg, &flags[i], 1);
            if (i == 3)
                zmsg_addstr (msg, "a frame of a newer version");
        }
        zmsg_pushstr (msg, "Jaquez");
        herd_wire_t wire;
        assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
        assert_int_equal (wire.count, 1);
        assert_int_equal (wire.unacked, unacked[i]);
        s_assert_span (wire.payload, payload);
        zmsg_destroy (&msg);
    }
}

static void
test_an_at_carries_several_updates (void **state)
{
    (void) state;
    herd_wire_batch_t *batch = herd_wire_batch_new ();
    assert_null (herd_wire_batch_take (batch));
    herd_wire_batch_add (batch, "Clark", 7, 1, "Clark,Jaquez", "AT one", 6);
    herd_wire_batch_add (batch, "Juzang", 8, 2, "Juzang", "AT two", 6);
    herd_wire_batch_add (batch, "Clark", 7, 3, "", "AT three", 8);
    assert_int_equal (herd_wire_batch_count (batch), 3);
    zmsg_t *msg = herd_wire_batch_take (batch);
    assert_int_equal (herd_wire_batch_count (batch), 0);
    assert_int_equal (zmsg_size (msg), 3);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_AT);
    assert_int_equal (wire.count, 3);
    s_assert_span (wire.payload, "AT one");
    assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 1);
    s_assert_span (wire.originator, "Juzang");
    assert_int_equal (wire.epoch, 8);
    assert_int_equal (wire.sequence, 2);
    s_assert_span (wire.seen, "Juzang");
    s_assert_span (wire.payload, "AT two");
    assert_int_equal (herd_wire_next_update (&wire, 2, NULL), 1);
    assert_int_equal (wire.sequence, 3);
    s_assert_span (wire.seen, "");
    s_assert_span (wire.payload, "AT three");
    assert_int_equal (herd_wire_next_update (&wire, 3, NULL), 0);
    zmsg_destroy (&msg);
    //  The batch is empty again, and takes more
    herd_wire_batch_add (batch, "Clark", 7, 4, "Clark", "AT four", 7);
    msg = herd_wire_batch_take (batch);
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.count, 1);
    assert_int_equal (wire.sequence, 4);
    zmsg_destroy (&msg);
    herd_wire_batch_destroy (&batch);
    assert_null (batch);
    //  A bad update stops the rest (those before it stand)
    const char two[] = "\0\0\0\2" S_UPDATE_C "\1!" S_STAMP "\0\1C"
                       "\0\0\0\1y";
    msg = s_received_at (two, sizeof (two) - 1);
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.count, 2);
    s_assert_span (wire.payload, "x");
    const char *reason = NULL;
    assert_int_equal (herd_wire_next_update (&wire, 1, &reason), -1);
    assert_string_equal (reason, "bad originator");
    zmsg_destroy (&msg);
    //  Bytes after the last update, and frames after the updates, are a
    //  newer version's: ignored
    const char tail[] = "\0\0\0\1" S_UPDATE_C "tail";
    msg = s_received_at (tail, sizeof (tail) - 1);
    zmsg_addstr (msg, "newer");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.count, 1);
    s_assert_span (wire.payload, "x");
    assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 0);
    zmsg_destroy (&msg);
}

//  Malformed AT updates frames: each is refused with a reason.
static void
test_decode_refuses_malformed_updates (void **state)
{
    (void) state;
    struct {
        const char *bytes;
        size_t size;
        const char *reason;
    } cases[] = {
        {S_BYTES ("\0\0\0\0" S_UPDATE_C), "AT count does not fit its frame"},
        {S_BYTES ("\0\0\0\2" S_UPDATE_C), "AT count does not fit its frame"},
        {S_BYTES ("\0\0\0\1\1C" S_STAMP "\0\1C\0\0"), "AT without updates"},
        {S_BYTES ("\0\0\0\1\0C" S_STAMP "\0\1C\0\0\0\1x"), "bad originator"},
        {S_BYTES ("\0\0\0\1\1 " S_STAMP "\0\1C\0\0\0\1x"), "bad originator"},
        {S_BYTES ("\0\0\0\1\1C" S_STAMP "\0\2C,\0\0\0\1x"), "bad seen set"},
        {S_BYTES ("\0\0\0\1\1C" S_STAMP "\0\11C\0\0\0\1x"), "update cut short"},
        {S_BYTES ("\0\0\0\1\1C" S_STAMP "\0\1C\0\0\0\2x"), "update cut short"},
        {S_BYTES ("\0\0\0\1\100C" S_STAMP "\0\1C\0\0\0\1x"),
         "update cut short"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        zmsg_t *msg = s_received_at (cases[i].bytes, cases[i].size);
        herd_wire_t wire;
        const char *reason = NULL;
        if (herd_wire_decode (&wire, msg, &reason) != -1)
            fail_msg ("case %zu accepted", i);
        assert_string_equal (reason, cases[i].reason);
        zmsg_destroy (&msg);
    }
}

//  An updates frame of count updates, each "C" with the seen set and a
//  payload of payload_size bytes, as written by hand (not by herd_wire).
static zmsg_t *
s_updates (size_t count, const char *seen, size_t payload_size)
{
    size_t seen_size = strlen (seen);
    size_t one = 1 + 1 + 16 + 2 + seen_size + 4 + payload_size;
    byte *frame = (byte *) zmalloc (4 + count * one), *at = frame + 4;
    frame[2] = (byte) (count >> 8), frame[3] = (byte) count;
    for (size_t i = 0; i < count; i++) {
        *at++ = 1, *at++ = 'C';
        at += 16;
        *at++ = (byte) (seen_size >> 8), *at++ = (byte) seen_size;
        memcpy (at, seen, seen_size);
        at += seen_size;
        at[0] = (byte) (payload_size >> 24),
        at[1] = (byte) (payload_size >> 16);
        at[2] = (byte) (payload_size >> 8), at[3] = (byte) payload_size;
        at += 4;
        memset (at, 'x', payload_size);
        at += payload_size;
    }
    zmsg_t *msg = s_received_at (frame, 4 + count * one);
    free (frame);
    return msg;
}

//  count names of four digits, joined by commas.
static char *
s_names (size_t count)
{
    char *seen = (char *) zmalloc (count * 5 + 1);
    for (size_t i = 0; i < count; i++)
        sprintf (seen + strlen (seen), "%s%04zu", i ? "," : "", i);
    return seen;
}

static const char *
s_refusal (zmsg_t *msg)
{
    herd_wire_t wire;
    const char *reason = NULL;
    if (herd_wire_decode (&wire, msg, &reason) == 0)
        return "accepted";
    return reason;
}

//  proto/herd.md, section 2, Limits: what a peer may send, and no more.
static void
test_decode_holds_peers_to_the_limits (void **state)
{
    (void) state;
    char *full = s_names (HERD_WIRE_SEEN_NAMES_MAX);
    char *over = s_names (HERD_WIRE_SEEN_NAMES_MAX + 1);
    zmsg_t *msg = s_updates (1, full, 1);
    assert_string_equal (s_refusal (msg), "accepted");
    zmsg_destroy (&msg);
    msg = s_updates (1, over, 1);
    assert_string_equal (s_refusal (msg), "seen set names too many nodes");
    zmsg_destroy (&msg);
    //  Valid names, but more bytes than a herd's set can have
    char *huge = (char *) zmalloc (HERD_WIRE_SEEN_MAX + 2);
    memset (huge, 'n', HERD_WIRE_SEEN_MAX + 1);
    msg = s_updates (1, huge, 1);
    assert_string_equal (s_refusal (msg), "seen set too large");
    zmsg_destroy (&msg);
    msg = s_updates (HERD_WIRE_AT_MAX, "C", 1);
    assert_string_equal (s_refusal (msg), "accepted");
    zmsg_destroy (&msg);
    msg = s_updates (HERD_WIRE_AT_MAX + 1, "C", 1);
    assert_string_equal (s_refusal (msg), "AT holds too many updates");
    zmsg_destroy (&msg);
    msg = s_updates (1, "C", HERD_WIRE_PAYLOAD_MAX + 1);
    assert_string_equal (s_refusal (msg), "payload too large");
    zmsg_destroy (&msg);
    msg = herd_wire_snap ();
    for (int i = 0; i <= HERD_WIRE_SNAP_MAX; i++)
        herd_wire_snap_add (msg, "AT A +0 a +1+1 1", 16);
    zmsg_pushstr (msg, "Jaquez");
    assert_string_equal (s_refusal (msg), "SNAP holds too many records");
    zmsg_destroy (&msg);
    //  And we never build what a peer would refuse
    herd_wire_batch_t *batch = herd_wire_batch_new ();
    assert_int_equal (herd_wire_batch_add (batch, "C", 1, 1, full, "x", 1), 0);
    assert_int_equal (herd_wire_batch_add (batch, "C", 1, 2, over, "x", 1), -1);
    assert_int_equal (herd_wire_batch_add (batch, "C", 1, 3, huge, "x", 1), -1);
    assert_int_equal (herd_wire_batch_add (batch, "C,D", 1, 4, "", "x", 1), -1);
    assert_int_equal (herd_wire_batch_add (batch, "C", 1, 5, "", "x",
                                           HERD_WIRE_PAYLOAD_MAX + 1),
                      -1);
    assert_int_equal (herd_wire_batch_count (batch), 1);
    herd_wire_batch_destroy (&batch);
    free (full);
    free (over);
    free (huge);
}

static void
test_ack_round_trips (void **state)
{
    (void) state;
    zmsg_t *msg = herd_wire_ack ("Clark", 7, 9);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_ACK);
    s_assert_span (wire.originator, "Clark");
    assert_int_equal (wire.epoch, 7);
    assert_int_equal (wire.sequence, 9);
    zmsg_destroy (&msg);
    msg = zmsg_new ();
    zmsg_addstr (msg, "Jaquez");
    zmsg_addstr (msg, "HERD2");
    zmsg_addstr (msg, "ACK");
    zmsg_addstr (msg, "Clark");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), -1);
    zmsg_destroy (&msg);
}

static void
test_decode_refuses_malformed (void **state)
{
    (void) state;
    const char *cases[][8] = {
        {"Jaquez", "HERD3", "HELLO", "12345678"},
        {"Jaquez", "HERD2"},
        {"Ja quez", "HERD2", "HELLO", "12345678"},
        {"Jaquez", "HERD2", "AT"},
        {"Jaquez", "HERD2", "AT", "short"},
        {"Jaquez", "HERD2", "ACK", "Clark", "short"},
        {"Jaquez", "HERD2", "HELLO"},
        {"Jaquez", "HERD2", "HELLO", "1234567"},
        {"Jaquez", "HERD2", "SNAPEND", "123456789"},
        {"Jaquez", "HERD2", "PRUNE"},
        {"Jaquez", "HERD2", "PRUNE", "Cl ark"},
        {"Jaquez", "HERD2", "IHAVE"},
        {"Jaquez", "HERD2", "GRAFT", "short"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        zmsg_t *msg = zmsg_new ();
        for (int f = 0; f < 8 && cases[i][f]; f++)
            zmsg_addstr (msg, cases[i][f]);
        herd_wire_t wire;
        const char *reason = NULL;
        if (herd_wire_decode (&wire, msg, &reason) != -1)
            fail_msg ("case %zu accepted", i);
        assert_non_null (reason);
        zmsg_destroy (&msg);
    }
}

static void
test_decode_ignores_newer_commands (void **state)
{
    (void) state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "Jaquez");
    zmsg_addstr (msg, "HERD2");
    zmsg_addstr (msg, "GOSSIP");
    zmsg_addstr (msg, "whatever");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_OTHER);
    s_assert_span (wire.name, "GOSSIP");
    zmsg_destroy (&msg);
}

static void
test_catch_up_round_trips (void **state)
{
    (void) state;
    zmsg_t *msg = herd_wire_hello (0x0102030405060708ull, true, false);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_HELLO);
    assert_true (wire.epoch == 0x0102030405060708ull);
    assert_true (wire.answer);
    assert_false (wire.tree);
    zmsg_destroy (&msg);
    msg = herd_wire_hello (7, false, true);
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_false (wire.answer);
    assert_true (wire.tree);
    zmsg_destroy (&msg);

    msg = herd_wire_snap ();
    herd_wire_snap_add (msg, "AT A +0 a +1+1 1", 16);
    herd_wire_snap_add (msg, "AT B +0 b +1+1 2 and more", 16);
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_SNAP);
    assert_int_equal (wire.count, 2);
    herd_span_t record;
    zmsg_first (msg);  //  Anywhere: the walk starts from the top
    assert_true (herd_wire_first_record (msg, &record));
    s_assert_span (record, "AT A +0 a +1+1 1");
    assert_true (herd_wire_next_record (msg, &record));
    s_assert_span (record, "AT B +0 b +1+1 2");
    assert_false (herd_wire_next_record (msg, &record));
    zmsg_destroy (&msg);

    msg = herd_wire_snapend (100000);
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, 100000);
    zmsg_destroy (&msg);
}

//  The broadcast tree's commands: PRUNE names an originator; IHAVE and
//  GRAFT carry an updates frame of updates with no seen set and no
//  payload, one per update named, byte for byte (proto/herd.md, 2).
static void
test_tree_commands_round_trip (void **state)
{
    (void) state;
    zmsg_t *msg = herd_wire_prune ("Clark");
    assert_int_equal (zmsg_size (msg), 3);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_PRUNE);
    s_assert_span (wire.originator, "Clark");
    zmsg_destroy (&msg);

    const char *commands[] = {"IHAVE", "GRAFT"};
    herd_wire_command_t decoded[] = {HERD_WIRE_IHAVE, HERD_WIRE_GRAFT};
    for (int c = 0; c < 2; c++) {
        herd_wire_batch_t *batch = herd_wire_batch_new ();
        assert_int_equal (herd_wire_batch_add (batch, "Clark", 7, 1, "", "", 0),
                          0);
        assert_int_equal (herd_wire_batch_add (batch, "Juzang", 8,
                                               0x0102030405060708ull, "", "",
                                               0),
                          0);
        msg = herd_wire_batch_take_as (batch, commands[c]);
        assert_int_equal (zmsg_size (msg), 3);
        //  Exactly: count 2, then 1 + 5 + 16 + 2 + 4 bytes, 1 + 6 + ...
        zframe_t *frame = zmsg_last (msg);
        const byte expected[] = {
            0, 0,   0,   2,   5,   'C', 'l', 'a', 'r', 'k', 0, 0, 0, 0, 0, 0,
            0, 7,   0,   0,   0,   0,   0,   0,   0,   1,   0, 0, 0, 0, 0, 0,
            6, 'J', 'u', 'z', 'a', 'n', 'g', 0,   0,   0,   0, 0, 0, 0, 8, 1,
            2, 3,   4,   5,   6,   7,   8,   0,   0,   0,   0, 0, 0};
        assert_int_equal (zframe_size (frame), sizeof (expected));
        assert_memory_equal (zframe_data (frame), expected, sizeof (expected));
        zmsg_pushstr (msg, "Jaquez");
        assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
        assert_int_equal (wire.command, decoded[c]);
        s_assert_span (wire.name, commands[c]);
        assert_int_equal (wire.count, 2);
        assert_false (wire.unacked);
        s_assert_span (wire.originator, "Clark");
        assert_true (wire.epoch == 7 && wire.sequence == 1);
        assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 1);
        s_assert_span (wire.originator, "Juzang");
        assert_true (wire.epoch == 8 && wire.sequence == 0x0102030405060708ull);
        assert_int_equal (wire.seen.size, 0);
        assert_int_equal (wire.payload.size, 0);
        assert_int_equal (herd_wire_next_update (&wire, 2, NULL), 0);
        zmsg_destroy (&msg);
        herd_wire_batch_destroy (&batch);
    }
}

//  An AT may carry ids it announces, after its flags (empty, or unacked):
//  read after its updates, as an IHAVE's.
static void
test_an_at_announces_ids (void **state)
{
    (void) state;
    for (int unacked = 0; unacked < 2; unacked++) {
        herd_wire_batch_t *batch = herd_wire_batch_new ();
        assert_int_equal (
            herd_wire_batch_add (batch, "Clark", 7, 1, "Clark", "AT x", 4), 0);
        zmsg_t *msg = herd_wire_batch_take (batch);
        if (unacked)
            herd_wire_at_unacked (msg);
        herd_wire_batch_t *ids = herd_wire_batch_new ();
        assert_int_equal (herd_wire_batch_add (ids, "Juzang", 8, 5, "", "", 0),
                          0);
        assert_int_equal (herd_wire_batch_add (ids, "Bona", 9, 6, "", "", 0),
                          0);
        herd_wire_at_announce (msg, ids);
        assert_int_equal (herd_wire_batch_count (ids), 0);
        assert_int_equal (zmsg_size (msg), 5);
        zmsg_pushstr (msg, "Jaquez");
        herd_wire_t wire;
        assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
        assert_int_equal (wire.command, HERD_WIRE_AT);
        assert_int_equal (wire.unacked, unacked);
        assert_int_equal (wire.count, 1);
        s_assert_span (wire.payload, "AT x");
        assert_int_equal (herd_wire_announced (&wire, NULL), 1);
        assert_int_equal (wire.command, HERD_WIRE_IHAVE);
        assert_int_equal (wire.count, 2);
        s_assert_span (wire.originator, "Juzang");
        assert_true (wire.epoch == 8 && wire.sequence == 5);
        assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 1);
        s_assert_span (wire.originator, "Bona");
        assert_int_equal (herd_wire_next_update (&wire, 2, NULL), 0);
        zmsg_destroy (&msg);
        herd_wire_batch_destroy (&ids);
        herd_wire_batch_destroy (&batch);
    }
    //  None: 0; malformed: -1 with a reason, the updates before it stand
    herd_wire_batch_t *batch = herd_wire_batch_new ();
    herd_wire_batch_add (batch, "Clark", 7, 1, "Clark", "AT x", 4);
    zmsg_t *msg = herd_wire_batch_take (batch);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (herd_wire_announced (&wire, NULL), 0);
    zmsg_destroy (&msg);
    msg = herd_wire_batch_take (batch);
    assert_null (msg);
    herd_wire_batch_add (batch, "Clark", 7, 2, "Clark", "AT x", 4);
    msg = herd_wire_batch_take (batch);
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, "short");
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.sequence, 2);
    const char *reason = NULL;
    assert_int_equal (herd_wire_announced (&wire, &reason), -1);
    assert_non_null (reason);
    zmsg_destroy (&msg);
    herd_wire_batch_destroy (&batch);
}

static void
test_name_valid (void **state)
{
    (void) state;
    assert_true (herd_wire_name_valid ("Clark", 5));
    assert_true (herd_wire_name_valid ("node-1.a_b", 10));
    assert_false (herd_wire_name_valid ("", 0));
    assert_false (herd_wire_name_valid ("a,b", 3));
    assert_false (herd_wire_name_valid ("a b", 3));
    char long_name[HERD_WIRE_NAME_MAX + 1];
    memset (long_name, 'a', sizeof (long_name));
    assert_false (herd_wire_name_valid (long_name, sizeof (long_name)));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_at_round_trips),
        cmocka_unit_test (test_an_unacked_at_says_so),
        cmocka_unit_test (test_an_at_carries_several_updates),
        cmocka_unit_test (test_ack_round_trips),
        cmocka_unit_test (test_decode_refuses_malformed),
        cmocka_unit_test (test_decode_refuses_malformed_updates),
        cmocka_unit_test (test_decode_holds_peers_to_the_limits),
        cmocka_unit_test (test_decode_ignores_newer_commands),
        cmocka_unit_test (test_catch_up_round_trips),
        cmocka_unit_test (test_tree_commands_round_trip),
        cmocka_unit_test (test_an_at_announces_ids),
        cmocka_unit_test (test_name_valid),
    };
    return cmocka_run_group_tests_name ("herd_wire", tests, NULL, NULL);
}
