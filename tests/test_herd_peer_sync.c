/*  test_herd_peer_sync - one neighbour's link state and catch-up: HELLO
    when the link comes up, snapshots asked for, asking for the
    neighbour's records when another link went down, and our records again
    after updates for it were lost (proto/herd.md, section 5)

    No node: a ROUTER of the test's own stands for the neighbour's inbox
    (tests/herd_test_peer.c).  */

#include "herd_test_peer.h"
#include "herd_sync.h"

#include <czmq.h>

#define S_DEADLINE_MS HERD_TEST_PEER_DEADLINE_MS

//  The next message is a HELLO "R".
static void
s_expect_resync (herd_test_peer_t *self)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_HELLO);
    assert_true (wire.resync);
    assert_false (wire.answer);
    zmsg_destroy (&msg);
}

//  The link comes up at a tick: the peer asks the neighbour for its
//  records and for a HELLO back.
static void
test_tick_turns_link_up_into_a_hello (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    assert_true (
        herd_test_wait_until (herd_test_peer_ticked_up, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_UP);
    assert_true (herd_test_wait_until (herd_test_peer_ticked_until_received,
                                       self, S_DEADLINE_MS));
    herd_test_peer_expect_hello (self, true);
    //  Once
    herd_test_peer_tick (self);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  The neighbour goes away: a tick sees the link down; it comes back: a
//  tick sees it up and says HELLO again.
static void
test_tick_sees_the_link_go_down_and_up (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_up (self);
    zsock_destroy (&self->router);
    assert_true (
        herd_test_wait_until (herd_test_peer_ticked_down, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    //  The old listener goes when libzmq's reaper closes it: until then
    //  the port may still be taken
    self->router = herd_test_router_new ();
    assert_true (
        herd_test_wait_until (herd_test_peer_bound_again, self, S_DEADLINE_MS));
    herd_test_peer_up (self);
}

//  HELLO from the neighbour: our snapshot goes at once, and a HELLO back
//  (not asking for another) when it asked for one.  One snapshot is
//  enough while the link stays up: both ends' HELLOs ask when a link
//  comes up (found by netsim: every link-up sent each table twice, and on
//  a slow link live updates waited behind both); a resync HELLO asks
//  again all the same.
static void
test_hello_received_starts_the_snapshot (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_fill (self->table, 5);
    herd_peer_hello_received (self->peer, false, false, self->now);
    herd_test_peer_mark (self);
    herd_test_peer_expect_snapshot (self);
    herd_test_peer_expect_marker (self);  //  No HELLO
    herd_peer_hello_received (self->peer, true, false, self->now);
    herd_test_peer_expect_hello (self, false);  //  And no snapshot
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
    herd_peer_hello_received (self->peer, false, true, self->now);
    herd_test_peer_expect_snapshot (self);
}

//  The link is not known to be up (no tick has said so): no HELLO.
static void
test_hello_is_quiet_while_the_link_is_down (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_hello (self->peer, self->now);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  After a reload, up: a HELLO that asks for its records again ("R",
//  found in review: a "1" was answered by nothing once a snapshot had gone
//  since the link came up), and our snapshot, unasked.
static void
test_hello_says_hello_when_the_link_is_up (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_fill (self->table, 5);
    herd_test_peer_up (self);
    herd_test_peer_mark (self);
    herd_peer_hello (self->peer, self->now);
    herd_test_peer_expect_marker (self);
    s_expect_resync (self);
    herd_test_peer_expect_snapshot (self);  //  Ours, unasked
}

//  The neighbour's snapshot came in full: an up link is synced.
static void
test_synced_moves_the_state_to_synced (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    assert_true (
        herd_test_wait_until (herd_test_peer_ticked_up, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_UP);
    herd_peer_synced (self->peer, 7);
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_SYNCED);
    assert_true (herd_peer_up (self->peer));
}

//  The neighbour's snapshot may come in full before our link to it is up
//  (its connection to us came up first): the link is synced once it is
//  up.  Found when a second snapshot per link-up went: with one, a herd
//  could wait for ever for a link to be synced.
static void
test_a_snapshot_before_the_link_is_up_syncs_it_when_up (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_synced (self->peer, 7);
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    assert_true (
        herd_test_wait_until (herd_test_peer_ticked_up, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_SYNCED);
}

typedef struct {
    herd_test_peer_t *peer;
    size_t downs;  //  Ticks that said the link went down
} s_downs_t;

static bool
s_ticked_down_counting (void *arg)
{
    s_downs_t *downs = (s_downs_t *) arg;
    downs->peer->now += HERD_PEER_TICK_MS;
    if (herd_peer_tick (downs->peer->peer, downs->peer->now))
        downs->downs++;
    return !herd_peer_up (downs->peer->peer);
}

//  A tick says so when the link went down (the node then asks its other
//  neighbours for their records), once.
static void
test_tick_says_the_link_went_down (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_up (self);
    herd_test_peer_tick (self);
    zsock_destroy (&self->router);
    s_downs_t downs = {self, 0};
    assert_true (
        herd_test_wait_until (s_ticked_down_counting, &downs, S_DEADLINE_MS));
    assert_int_equal (downs.downs, 1);
    assert_false (herd_peer_tick (self->peer, self->now + 5));
}

//  Asked to, the peer asks the neighbour for its records (a HELLO that
//  wants none back) at the first tick from the time given.  Every time
//  asked for is covered by a request at it or later: the earliest first,
//  then the latest (found in review: a later time used to replace an
//  earlier one, so links going down often put it off for ever).
static void
test_resync_asks_for_the_records_when_due (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_up (self);
    int64_t start = self->now;
    herd_peer_resync (self->peer, start + 50);
    herd_peer_resync (self->peer, start + 100);
    herd_peer_resync (self->peer, start + 20);
    for (int i = 0; i < 3; i++)
        herd_test_peer_tick (self);  //  15 ms
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
    herd_test_peer_tick (self);  //  20 ms
    herd_test_peer_expect_hello (self, false);
    while (self->now < start + 95)
        herd_test_peer_tick (self);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
    herd_test_peer_tick (self);  //  100 ms
    herd_test_peer_expect_hello (self, false);
    for (int i = 0; i < 40; i++)
        herd_test_peer_tick (self);
    herd_test_peer_mark (self);
    herd_test_peer_expect_marker (self);
}

//  Due while the link is down: it waits, and goes once the link is up,
//  after the link's own HELLO (found in review: it was dropped, and the
//  "1" alone may be answered by nothing).
static void
test_a_resync_due_while_down_goes_when_up (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_resync (self->peer, self->now + 5);
    herd_test_peer_tick (self);
    herd_test_peer_tick (self);
    self->router = herd_test_router_new ();
    assert_true (
        herd_test_wait_until (herd_test_peer_bound_again, self, S_DEADLINE_MS));
    herd_test_peer_up (self);
    s_expect_resync (self);
}

//  Updates for a neighbour were lost on a live link (its queue was full):
//  they may have named it as holding them, so nobody else passes them on.
//  It gets our whole table again once its queue takes it.
static void
test_lost_updates_send_our_records_again (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_fill (self->table, 5);
    herd_test_peer_up (self);
    //  The router reads nothing: the queue fills
    herd_test_update_t update = {
        "Clark", HERD_TEST_PEER_EPOCH, 1, "Clark", "AT x", 4};
    size_t sent = 0;
    for (size_t i = 0; i < 1000000; i++) {
        update.sequence = i + 1;
        assert_int_equal (herd_test_peer_queue (self, &update), 0);
        if (herd_peer_flush (self->peer) == 0)
            break;
        sent++;
    }
    assert_true (sent < 1000000);
    //  Read everything that got through; the snapshot follows it
    zsock_set_rcvtimeo (self->router, S_DEADLINE_MS);
    size_t ats = 0;
    while (true) {
        herd_test_peer_tick (self);
        zmsg_t *msg = zmsg_recv (self->router);
        assert_non_null (msg);
        zmsg_first (msg);  //  Routing id
        zmsg_next (msg);   //  Signature
        zframe_t *command = zmsg_next (msg);
        bool at = zframe_streq (command, "AT");
        zmsg_destroy (&msg);
        if (!at)
            break;
        ats++;
    }
    assert_int_equal (ats, sent);
    //  That was the SNAP; then SNAPEND
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, 5);
    zmsg_destroy (&msg);
}

//  Records passed on from another snapshot go within the window, and wait
//  in order for it to open; they do not jump ahead of what waits.
static void
test_forwarded_snaps_wait_for_the_window (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_up (self);
    for (int i = 0; i < HERD_SYNC_WINDOW + 2; i++) {
        zmsg_t *snap = herd_wire_snap ();
        char line[16];
        snprintf (line, sizeof (line), "AT %d", i);
        herd_wire_snap_add (snap, line, strlen (line));
        assert_int_equal (herd_peer_forward_snap (self->peer, &snap, self->now),
                          0);
        assert_null (snap);
    }
    herd_test_peer_tick (self);
    herd_test_peer_mark (self);
    for (int i = 0; i < HERD_SYNC_WINDOW; i++) {
        herd_wire_t wire;
        zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAP);
        zmsg_destroy (&msg);
    }
    herd_test_peer_expect_marker (self);  //  The rest wait
    herd_peer_snapack_received (self->peer, HERD_SYNC_WINDOW);
    herd_test_peer_tick (self);
    herd_test_peer_mark (self);
    for (int i = HERD_SYNC_WINDOW; i < HERD_SYNC_WINDOW + 2; i++) {
        herd_wire_t wire;
        zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAP);
        herd_span_t record;
        assert_true (herd_wire_first_record (msg, &record));
        char line[16];
        snprintf (line, sizeof (line), "AT %d", i);
        herd_test_peer_assert_span (record, line, strlen (line));
        zmsg_destroy (&msg);
    }
    herd_test_peer_expect_marker (self);
}

//  Past HERD_PEER_FORWARDS_MAX waiting, passed-on records are dropped and
//  the neighbour gets our whole table instead, once the window lets.
static void
test_too_many_forwarded_snaps_send_our_table (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_up (self);
    int count = HERD_SYNC_WINDOW + HERD_PEER_FORWARDS_MAX;
    for (int i = 0; i <= count; i++) {
        zmsg_t *snap = herd_wire_snap ();
        herd_wire_snap_add (snap, "AT x", 4);
        assert_int_equal (herd_peer_forward_snap (self->peer, &snap, self->now),
                          i < count ? 0 : -1);
        assert_null (snap);
    }
    for (int i = 0; i < HERD_SYNC_WINDOW; i++) {
        herd_wire_t wire;
        zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAP);
        zmsg_destroy (&msg);
    }
    herd_peer_snapack_received (self->peer, HERD_SYNC_WINDOW);
    herd_test_peer_tick (self);
    //  Our (empty) table, not the dropped SNAPs
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, 0);
    zmsg_destroy (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_tick_turns_link_up_into_a_hello,
                                         herd_test_peer_setup_tcp,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_tick_sees_the_link_go_down_and_up,
                                         herd_test_peer_setup_tcp_free,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_received_starts_the_snapshot,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_is_quiet_while_the_link_is_down,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_says_hello_when_the_link_is_up, herd_test_peer_setup_tcp,
            herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_synced_moves_the_state_to_synced,
                                         herd_test_peer_setup_tcp,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_snapshot_before_the_link_is_up_syncs_it_when_up,
            herd_test_peer_setup_tcp, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_forwarded_snaps_wait_for_the_window, herd_test_peer_setup_tcp,
            herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_too_many_forwarded_snaps_send_our_table,
            herd_test_peer_setup_tcp, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_tick_says_the_link_went_down,
                                         herd_test_peer_setup_tcp,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_resync_asks_for_the_records_when_due, herd_test_peer_setup_tcp,
            herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_resync_due_while_down_goes_when_up,
            herd_test_peer_setup_tcp_unbound, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_lost_updates_send_our_records_again, herd_test_peer_setup_tcp,
            herd_test_peer_teardown),
    };
    return cmocka_run_group_tests_name ("herd_peer_sync", tests, NULL, NULL);
}
