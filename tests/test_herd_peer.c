/*  test_herd_peer - one neighbour: its link, the updates queued for it,
    and the ACK owed to it (catch-up: test_herd_peer_sync.c)

    No node: a ROUTER of the test's own stands for the neighbour's inbox
    (tests/herd_test_peer.c).  */

#include "herd_test_peer.h"

#include <czmq.h>

#define S_NAME        HERD_TEST_PEER_NAME
#define S_NEIGHBOUR   HERD_TEST_PEER_NEIGHBOUR
#define S_EPOCH       HERD_TEST_PEER_EPOCH
#define S_SLOT        HERD_TEST_PEER_SLOT
#define S_DEADLINE_MS HERD_TEST_PEER_DEADLINE_MS

static void
test_new_and_destroy (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_destroy (&self->peer);
    assert_null (self->peer);
    herd_peer_destroy (&self->peer);
}

//  An endpoint the link cannot connect to: NULL, and nothing leaks.
static void
test_new_fails_on_a_bad_endpoint (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_config_t config = herd_test_peer_config (self);
    config.endpoint = "nowhere";
    assert_null (herd_peer_new (&config));
}

//  Found by this test: a link's socket monitor was named after the address
//  of its object, and libzmq keeps a monitor's inproc name until its I/O
//  thread has closed it; a link made at the same address meanwhile failed
//  ("no socket monitor: Address already in use") and herd_peer_new gave
//  NULL, in a few rounds of a plain build.  Monitors are now named by a
//  UUID (herd_events).
static void
test_a_peer_made_right_after_another_connects (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_config_t config = herd_test_peer_config (self);
    for (int i = 0; i < 100; i++) {
        herd_peer_destroy (&self->peer);
        self->peer = herd_peer_new (&config);
        if (!self->peer)
            fail_msg ("herd_peer_new failed at round %d", i);
    }
}

static void
test_accessors_say_who_the_neighbour_is (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    assert_string_equal (herd_peer_neighbour (self->peer), S_NEIGHBOUR);
    assert_string_equal (herd_peer_endpoint (self->peer), self->endpoint);
    assert_int_equal (herd_peer_slot (self->peer), S_SLOT);
    //  No tick yet: the link does not know it is up
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    assert_false (herd_peer_up (self->peer));
    herd_peer_config_t config = herd_test_peer_config (self);
    config.neighbour = "Juzang";
    config.slot = -1;
    herd_peer_t *other = herd_peer_new (&config);
    assert_non_null (other);
    assert_string_equal (herd_peer_neighbour (other), "Juzang");
    assert_int_equal (herd_peer_slot (other), -1);
    herd_peer_destroy (&other);
}


//  Updates wait for the flush, then go as one AT, byte for byte.
static void
test_flush_sends_one_at_for_the_turn (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    const herd_test_update_t updates[] = {
        {"Clark", S_EPOCH, 1, "Clark", "AT Clark +0.1 kiwi +1-1 5", 25},
        {"Juzang", 8, 77, "Juzang,Clark", "AT Juzang +0.2 a\0b +2-2 6", 25},
        {"Bona", 0, UINT64_MAX, "", "", 0},
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (herd_test_peer_queue (self, &updates[i]), 0);
    herd_test_peer_mark (self);
    assert_int_equal (herd_peer_flush (self->peer), 3);
    herd_test_peer_expect_marker (self);  //  Nothing went before the flush
    herd_test_peer_expect_at (self, updates, 3);
    //  Nothing more to send
    assert_int_equal (herd_peer_flush (self->peer), 0);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  A peer no reply waits for (no slot) says so in its ATs: the neighbour
//  owes it no ACK (proto/herd.md, section 4).
static void
test_a_peer_no_reply_waits_for_wants_no_ack (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_config_t config = herd_test_peer_config (self);
    config.name = "Bona";
    config.slot = -1;
    herd_peer_t *other = herd_peer_new (&config);
    assert_non_null (other);
    herd_span_t payload = {"AT Bona +0.1 kiwi +1-1 5", 24};
    assert_int_equal (
        herd_peer_queue (other, "Bona", S_EPOCH, 1, "Bona,Jaquez", payload), 0);
    assert_int_equal (herd_peer_flush (other), 1);
    herd_wire_t wire;
    zmsg_t *msg = herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_AT);
    assert_int_equal (wire.count, 1);
    assert_true (wire.unacked);
    zmsg_destroy (&msg);
    herd_peer_destroy (&other);
}

//  HERD_PEER_BATCH updates, or HERD_PEER_BATCH_BYTES, go at once.
static void
test_a_full_queue_goes_without_a_flush (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_update_t updates[HERD_PEER_BATCH];
    for (size_t i = 0; i < HERD_PEER_BATCH; i++) {
        herd_test_update_t update = {"Clark", S_EPOCH, i + 1,
                                     "Clark", "AT x",  4};
        updates[i] = update;
    }
    for (size_t i = 0; i < HERD_PEER_BATCH - 1; i++)
        assert_int_equal (herd_test_peer_queue (self, &updates[i]), 0);
    herd_test_peer_mark (self);
    assert_int_equal (
        herd_test_peer_queue (self, &updates[HERD_PEER_BATCH - 1]), 0);
    herd_test_peer_expect_marker (self);
    herd_test_peer_expect_at (self, updates, HERD_PEER_BATCH);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    //  Found in review: updates a full queue sent went uncounted (the
    //  stats record's herd_out fell short under load)
    assert_int_equal (self->sent, HERD_PEER_BATCH);
    //  Two payloads of 40,000 bytes pass HERD_PEER_BATCH_BYTES
    char *payload = (char *) zmalloc (40000);
    memset (payload, 'p', 40000);
    herd_test_update_t big[2] = {
        {"Clark", S_EPOCH, 1000, "Clark", payload, 40000},
        {"Clark", S_EPOCH, 1001, "Clark", payload, 40000}};
    assert_int_equal (herd_test_peer_queue (self, &big[0]), 0);
    herd_test_peer_mark (self);
    assert_int_equal (herd_test_peer_queue (self, &big[1]), 0);
    herd_test_peer_expect_marker (self);
    herd_test_peer_expect_at (self, big, 2);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    assert_int_equal (self->sent, HERD_PEER_BATCH + 2);
    free (payload);
}

//  What herd_wire would not take is refused, and nothing is queued.
static void
test_queue_refuses_what_breaks_the_limits (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_update_t update = {"bad name", S_EPOCH, 1, "Clark", "AT x", 4};
    assert_int_equal (herd_test_peer_queue (self, &update), -1);
    update.originator = "";
    assert_int_equal (herd_test_peer_queue (self, &update), -1);
    update.originator = "Clark";
    update.seen = "Clark,,Bona";
    assert_int_equal (herd_test_peer_queue (self, &update), -1);
    //  One name more than a seen set may hold
    char *seen = (char *) zmalloc (2 * (HERD_WIRE_SEEN_NAMES_MAX + 1));
    for (int i = 0; i < HERD_WIRE_SEEN_NAMES_MAX + 1; i++)
        strcat (seen, i ? ",a" : "a");
    update.seen = seen;
    assert_int_equal (herd_test_peer_queue (self, &update), -1);
    update.seen = "Clark";
    //  One byte more than a payload may hold
    size_t size = HERD_WIRE_PAYLOAD_MAX + 1;
    char *payload = (char *) zmalloc (size);
    update.payload = payload;
    update.size = size;
    assert_int_equal (herd_test_peer_queue (self, &update), -1);
    free (payload);
    free (seen);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
    //  And the next good one goes as usual
    update.payload = "AT x";
    update.size = 4;
    assert_int_equal (herd_test_peer_queue (self, &update), 0);
    assert_int_equal (herd_peer_flush (self->peer), 1);
    herd_test_peer_expect_at (self, &update, 1);
}

//  ACKs owed in a turn go as one, at the flush, before the updates.
static void
test_the_owed_ack_goes_out_at_flush (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 1);
    herd_peer_owe_ack (self->peer, 5, 3);
    const herd_test_update_t update = {"Clark", S_EPOCH, 9, "Clark", "AT y", 4};
    assert_int_equal (herd_test_peer_queue (self, &update), 0);
    herd_test_peer_mark (self);
    assert_int_equal (herd_peer_flush (self->peer), 1);
    herd_test_peer_expect_marker (self);
    herd_test_peer_expect_ack (self, 5, 3);
    herd_test_peer_expect_at (self, &update, 1);
    //  Owed once
    assert_int_equal (herd_peer_flush (self->peer), 0);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  The ACK can go alone, ahead of the turn's updates (a node sends every
//  neighbour's ACK before any update: replies wait for them).
static void
test_the_owed_ack_can_go_before_the_updates (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 3);
    const herd_test_update_t update = {"Clark", S_EPOCH, 9, "Clark", "AT y", 4};
    assert_int_equal (herd_test_peer_queue (self, &update), 0);
    herd_peer_flush_ack (self->peer);
    herd_test_peer_mark (self);
    herd_test_peer_expect_ack (self, 5, 3);
    herd_test_peer_expect_marker (self);  //  The update waits for the flush
    assert_int_equal (herd_peer_flush (self->peer), 1);
    herd_test_peer_expect_at (self, &update, 1);  //  And no second ACK
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  The neighbour restarted within a turn: the ACK owed to its old life
//  goes at once, the new one at the flush.
static void
test_an_ack_owed_for_another_epoch_goes_first (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 9);
    herd_peer_owe_ack (self->peer, 6, 1);
    herd_test_peer_mark (self);
    herd_test_peer_expect_ack (self, 5, 9);
    herd_test_peer_expect_marker (self);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    herd_test_peer_expect_ack (self, 6, 1);
}

//  Found by this test: herd_peer_owe_ack kept the last ACK owed, not the
//  highest: (5, 9) then (5, 3) sent ACK 5/3, and the neighbour's replies
//  for 4 to 9 would have waited for their timeout.
static void
test_the_highest_owed_ack_covers_the_others (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 9);
    herd_peer_owe_ack (self->peer, 5, 3);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    herd_test_peer_expect_ack (self, 5, 9);
}


static void
test_send_sends_a_whole_message (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    zmsg_t *msg = herd_wire_snapend (42);
    assert_int_equal (herd_peer_send (self->peer, &msg), 0);
    assert_null (msg);
    herd_wire_t wire;
    msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, 42);
    zmsg_destroy (&msg);
}

//  Nobody at the other end: the link refuses, and the message is gone.
static void
test_send_is_refused_while_the_neighbour_is_away (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    zmsg_t *msg = herd_wire_snapend (42);
    assert_int_equal (herd_peer_send (self->peer, &msg), -1);
    assert_null (msg);
    //  Queued updates are lost the same way, without a complaint
    const herd_test_update_t update = {"Clark", S_EPOCH, 1, "Clark", "AT x", 4};
    assert_int_equal (herd_test_peer_queue (self, &update), 0);
    assert_int_equal (herd_peer_flush (self->peer), 0);
}

//  What is queued and owed goes out when the peer is destroyed.
static void
test_destroy_sends_what_is_queued (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    const herd_test_update_t updates[] = {
        {"Clark", S_EPOCH, 1, "Clark", "AT one", 6},
        {"Clark", S_EPOCH, 2, "Clark", "AT two", 6},
    };
    for (size_t i = 0; i < 2; i++)
        assert_int_equal (herd_test_peer_queue (self, &updates[i]), 0);
    herd_peer_owe_ack (self->peer, 7, 2);
    herd_peer_destroy (&self->peer);
    assert_null (self->peer);
    herd_test_peer_expect_ack (self, 7, 2);
    herd_test_peer_expect_at (self, updates, 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_new_and_destroy,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_new_fails_on_a_bad_endpoint,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_peer_made_right_after_another_connects,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_accessors_say_who_the_neighbour_is,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_peer_no_reply_waits_for_wants_no_ack,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_flush_sends_one_at_for_the_turn,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_queue_goes_without_a_flush,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_queue_refuses_what_breaks_the_limits,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_the_owed_ack_goes_out_at_flush,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_owed_ack_can_go_before_the_updates,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_ack_owed_for_another_epoch_goes_first,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_highest_owed_ack_covers_the_others,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_send_sends_a_whole_message,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_send_is_refused_while_the_neighbour_is_away,
            herd_test_peer_setup_tcp_unbound, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_sends_what_is_queued,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
    };
    return cmocka_run_group_tests_name ("herd_peer", tests, NULL, NULL);
}
