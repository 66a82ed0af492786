/*  test_herd_wire - herd link frames  */

#include "herd_test.h"
#include "herd_wire.h"

static void
s_assert_span (herd_span_t span, const char *text)
{
    assert_int_equal (span.size, strlen (text));
    assert_memory_equal (span.data, text, span.size);
}

static void
test_at_round_trips (void **state)
{
    (void) state;
    const char *payload = "AT Clark +0.1 kiwi +1-1 5";
    zmsg_t *msg = herd_wire_at ("Clark", 0x0102030405060708ull, 42,
                                "Clark,Jaquez", payload, strlen (payload));
    assert_int_equal (zmsg_size (msg), 6);
    zmsg_pushstr (msg, "Jaquez");  //  As a ROUTER receives it
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_AT);
    s_assert_span (wire.sender, "Jaquez");
    s_assert_span (wire.originator, "Clark");
    assert_true (wire.epoch == 0x0102030405060708ull);
    assert_int_equal (wire.sequence, 42);
    s_assert_span (wire.seen, "Clark,Jaquez");
    s_assert_span (wire.payload, payload);
    zmsg_destroy (&msg);
}

static void
test_an_at_carries_several_updates (void **state)
{
    (void) state;
    zmsg_t *msg = herd_wire_at_new ();
    herd_wire_at_add (msg, "Clark", 7, 1, "Clark,Jaquez", "AT one", 6);
    herd_wire_at_add (msg, "Juzang", 8, 2, "Juzang", "AT two", 6);
    herd_wire_at_add (msg, "Clark", 7, 3, "Clark", "AT three", 8);
    assert_int_equal (zmsg_size (msg), 2 + 3 * 4);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_AT);
    assert_int_equal (wire.count, 3);
    s_assert_span (wire.payload, "AT one");
    assert_int_equal (herd_wire_next_update (&wire, msg, 1, NULL), 1);
    s_assert_span (wire.originator, "Juzang");
    assert_int_equal (wire.epoch, 8);
    assert_int_equal (wire.sequence, 2);
    s_assert_span (wire.seen, "Juzang");
    s_assert_span (wire.payload, "AT two");
    assert_int_equal (herd_wire_next_update (&wire, msg, 2, NULL), 1);
    assert_int_equal (wire.sequence, 3);
    s_assert_span (wire.payload, "AT three");
    assert_int_equal (herd_wire_next_update (&wire, msg, 3, NULL), 0);
    zmsg_destroy (&msg);
    //  A bad update stops the rest; a short tail is ignored
    msg = herd_wire_at ("Clark", 7, 1, "Clark", "AT one", 6);
    zmsg_addstr (msg, "bad name!");
    zmsg_addmem (msg, "0123456789abcdef", 16);
    zmsg_addstr (msg, "Clark");
    zmsg_addstr (msg, "AT two");
    zmsg_addstr (msg, "newer");
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.count, 2);
    const char *reason = NULL;
    assert_int_equal (herd_wire_next_update (&wire, msg, 1, &reason), -1);
    assert_non_null (reason);
    zmsg_destroy (&msg);
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
    zmsg_addstr (msg, "HERD1");
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
        {"Jaquez", "HERD2", "AT", "Clark", "0123456789abcdef", "Clark", "x"},
        {"Jaquez", "HERD1"},
        {"Ja quez", "HERD1", "AT", "Clark", "0123456789abcdef", "Clark", "x"},
        {"Jaquez", "HERD1", "AT", "Clark", "short", "Clark", "x"},
        {"Jaquez", "HERD1", "AT", "", "0123456789abcdef", "Clark", "x"},
        {"Jaquez", "HERD1", "AT", "Clark", "0123456789abcdef", "Clark,,B", "x"},
        {"Jaquez", "HERD1", "AT", "Clark", "0123456789abcdef"},
        {"Jaquez", "HERD1", "HELLO"},
        {"Jaquez", "HERD1", "HELLO", "1234567"},
        {"Jaquez", "HERD1", "SNAPEND", "123456789"},
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
    zmsg_addstr (msg, "HERD1");
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
    zmsg_t *msg = herd_wire_hello (0x0102030405060708ull, true);
    zmsg_pushstr (msg, "Jaquez");
    herd_wire_t wire;
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_int_equal (wire.command, HERD_WIRE_HELLO);
    assert_true (wire.epoch == 0x0102030405060708ull);
    assert_true (wire.answer);
    zmsg_destroy (&msg);
    msg = herd_wire_hello (7, false);
    zmsg_pushstr (msg, "Jaquez");
    assert_int_equal (herd_wire_decode (&wire, msg, NULL), 0);
    assert_false (wire.answer);
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
        cmocka_unit_test (test_an_at_carries_several_updates),
        cmocka_unit_test (test_ack_round_trips),
        cmocka_unit_test (test_decode_refuses_malformed),
        cmocka_unit_test (test_decode_ignores_newer_commands),
        cmocka_unit_test (test_catch_up_round_trips),
        cmocka_unit_test (test_name_valid),
    };
    return cmocka_run_group_tests_name ("herd_wire", tests, NULL, NULL);
}
