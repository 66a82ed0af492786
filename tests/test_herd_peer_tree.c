/*  test_herd_peer_tree - one neighbour on a broadcast tree: eager or lazy
    for each originator, PRUNE, IHAVE and GRAFT (proto/herd.md, section 3)

    No node: a ROUTER of the test's own stands for the neighbour's inbox
    (tests/herd_test_peer.c).  */

#include "herd_test_peer.h"

#include <czmq.h>

#define S_NAME     HERD_TEST_PEER_NAME
#define S_IHAVE_MS 20

//  A second peer to the same router, of a tree node (or not), whose tree
//  messages are counted in sent.
static herd_peer_t *
s_tree_peer (herd_test_peer_t *self, bool tree, herd_stats_tree_t *sent)
{
    herd_peer_config_t config = herd_test_peer_config (self);
    config.name = "Bona";
    config.tree = tree;
    config.ihave_ms = S_IHAVE_MS;
    config.tree_sent = sent;
    herd_peer_t *peer = herd_peer_new (&config);
    assert_non_null (peer);
    return peer;
}

//  The next message from Bona is a marker.
static void
s_expect_marker (herd_test_peer_t *self, herd_peer_t *peer)
{
    zmsg_t *marker = herd_test_marker ();
    assert_int_equal (herd_peer_send (peer, &marker), 0);
    herd_test_expect_marker (self->router, "Bona");
}

//  A flood node never prunes, nor takes a PRUNE: every neighbour is sent
//  everything.
static void
test_a_flood_node_stays_eager (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_stats_tree_t sent[HERD_STATS_TREE_COMMANDS] = {{0}};
    herd_peer_t *peer = s_tree_peer (self, false, sent);
    herd_peer_set_tree (peer, true);
    assert_false (herd_peer_prune (peer, 3, "Clark"));
    herd_peer_pruned (peer, 4);
    assert_false (herd_peer_lazy (peer, 3));
    assert_false (herd_peer_lazy (peer, 4));
    assert_int_equal (herd_peer_lazy_count (peer), 0);
    assert_int_equal (sent[HERD_STATS_PRUNE].messages, 0);
    s_expect_marker (self, peer);
    herd_peer_destroy (&peer);
}

//  A tree node prunes a tree neighbour for one originator at a time, once,
//  sending PRUNE of it; a neighbour not known to be a tree node (no HELLO
//  yet, or a flood node, or an older one) is never made lazy.
static void
test_a_tree_node_prunes_a_tree_neighbour (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_stats_tree_t sent[HERD_STATS_TREE_COMMANDS] = {{0}};
    herd_peer_t *peer = s_tree_peer (self, true, sent);
    assert_false (herd_peer_prune (peer, 3, "Clark"));
    herd_peer_set_tree (peer, true);
    assert_true (herd_peer_prune (peer, 3, "Clark"));
    assert_false (herd_peer_prune (peer, 3, "Clark"));  //  Once...
    herd_peer_tick (peer, HERD_PEER_PRUNE_AGAIN_MS - 1);
    assert_false (herd_peer_prune (peer, 3, "Clark"));
    herd_peer_tick (peer, HERD_PEER_PRUNE_AGAIN_MS);  //  ...then again
    assert_true (herd_peer_prune (peer, 3, "Clark"));
    assert_true (herd_peer_lazy (peer, 3));
    assert_false (herd_peer_lazy (peer, 4));
    assert_false (herd_peer_prune (peer, -1, "Late"));  //  Not numbered
    assert_false (herd_peer_prune (peer, HERD_PEER_ORIGINS, "Late"));
    assert_int_equal (herd_peer_lazy_count (peer), 1);
    herd_wire_t wire;
    for (int i = 0; i < 2; i++) {
        zmsg_t *msg =
            herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_PRUNE);
        assert_int_equal (zmsg_size (msg), 4);
        assert_int_equal (wire.originator.size, 5);
        assert_memory_equal (wire.originator.data, "Clark", 5);
        zmsg_destroy (&msg);
    }
    s_expect_marker (self, peer);
    assert_int_equal (sent[HERD_STATS_PRUNE].messages, 2);
    assert_int_equal (sent[HERD_STATS_PRUNE].bytes, 2 * (5 + 5 + 5));
    //  Its PRUNE and GRAFT, per originator
    herd_peer_pruned (peer, 200);
    assert_true (herd_peer_lazy (peer, 200));
    herd_peer_grafted (peer, 3);
    assert_false (herd_peer_lazy (peer, 3));
    assert_int_equal (herd_peer_lazy_count (peer), 1);
    //  Its HELLO (its link came up again): eager for all, as it holds us
    herd_peer_set_tree (peer, true);
    assert_int_equal (herd_peer_lazy_count (peer), 0);
    herd_peer_pruned (peer, 200);
    //  It floods now (a restart): eager for all, and never pruned
    herd_peer_set_tree (peer, false);
    assert_int_equal (herd_peer_lazy_count (peer), 0);
    assert_false (herd_peer_prune (peer, 3, "Clark"));
    herd_peer_destroy (&peer);
}

//  Announcements gather for ihave_ms from the first, then go as one IHAVE
//  at a tick; asks go as one GRAFT at the flush, and make the neighbour
//  eager for those originators.
static void
test_ihave_waits_graft_goes_at_the_flush (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_stats_tree_t sent[HERD_STATS_TREE_COMMANDS] = {{0}};
    herd_peer_t *peer = s_tree_peer (self, true, sent);
    herd_peer_set_tree (peer, true);
    int64_t now = 1000;
    herd_peer_tick (peer, now);
    herd_peer_announce (peer, "Clark", 7, 1);
    herd_peer_tick (peer, now + S_IHAVE_MS / 2);
    herd_peer_announce (peer, "Juzang", 8, 2);
    herd_peer_tick (peer, now + S_IHAVE_MS - 1);
    assert_int_equal (herd_peer_flush (peer), 0);
    s_expect_marker (self, peer);  //  Nothing yet
    herd_peer_tick (peer, now + S_IHAVE_MS);
    herd_wire_t wire;
    zmsg_t *msg =
        herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_IHAVE);
    assert_int_equal (wire.count, 2);
    assert_memory_equal (wire.originator.data, "Clark", 5);
    assert_true (wire.epoch == 7 && wire.sequence == 1);
    assert_int_equal (herd_wire_next_update (&wire, 1, NULL), 1);
    assert_memory_equal (wire.originator.data, "Juzang", 6);
    assert_true (wire.epoch == 8 && wire.sequence == 2);
    zmsg_destroy (&msg);
    assert_int_equal (sent[HERD_STATS_IHAVE].messages, 1);
    assert_int_equal (sent[HERD_STATS_IHAVE].ids, 2);
    //  Empty: nothing at the next ticks
    herd_peer_tick (peer, now + 10 * S_IHAVE_MS);
    s_expect_marker (self, peer);

    herd_peer_pruned (peer, 5);
    herd_peer_ask (peer, 5, "Clark", 7, 9);
    assert_false (herd_peer_lazy (peer, 5));
    s_expect_marker (self, peer);  //  Not before the flush
    assert_int_equal (herd_peer_flush (peer), 0);
    msg = herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_GRAFT);
    assert_int_equal (wire.count, 1);
    assert_true (wire.epoch == 7 && wire.sequence == 9);
    zmsg_destroy (&msg);
    assert_int_equal (sent[HERD_STATS_GRAFT].messages, 1);
    assert_int_equal (sent[HERD_STATS_GRAFT].ids, 1);
    herd_peer_destroy (&peer);
}

//  Announcements ride along with the next AT to that neighbour, sooner
//  than their time: then no IHAVE of their own.
static void
test_announcements_ride_along_with_an_at (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_stats_tree_t sent[HERD_STATS_TREE_COMMANDS] = {{0}};
    herd_peer_t *peer = s_tree_peer (self, true, sent);
    herd_peer_tick (peer, 1000);
    herd_peer_announce (peer, "Juzang", 8, 2);
    herd_span_t payload = {"AT Bona +0.1 kiwi +1-1 5", 24};
    assert_int_equal (herd_peer_queue (peer, "Bona", 7, 1, "Bona", payload), 0);
    assert_int_equal (herd_peer_flush (peer), 1);
    herd_wire_t wire;
    zmsg_t *msg = herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_AT);
    assert_int_equal (wire.count, 1);
    assert_int_equal (herd_wire_announced (&wire, NULL), 1);
    assert_int_equal (wire.count, 1);
    assert_memory_equal (wire.originator.data, "Juzang", 6);
    assert_true (wire.epoch == 8 && wire.sequence == 2);
    zmsg_destroy (&msg);
    herd_peer_tick (peer, 1000 + 10 * S_IHAVE_MS);
    s_expect_marker (self, peer);  //  No IHAVE: it went
    assert_int_equal (sent[HERD_STATS_IHAVE].messages, 0);
    assert_int_equal (sent[HERD_STATS_IHAVE].ids, 1);
    assert_true (sent[HERD_STATS_IHAVE].bytes > 0);
    herd_peer_destroy (&peer);
}

//  A full batch of announcements goes at once, as updates do.
static void
test_a_full_ihave_goes_at_once (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_peer_t *peer = s_tree_peer (self, true, NULL);
    for (uint64_t n = 1; n <= HERD_PEER_BATCH; n++)
        herd_peer_announce (peer, "Clark", 7, n);
    herd_wire_t wire;
    zmsg_t *msg =
        herd_test_receive (self->router, "Bona", &wire, HERD_WIRE_IHAVE);
    assert_int_equal (wire.count, HERD_PEER_BATCH);
    zmsg_destroy (&msg);
    herd_peer_destroy (&peer);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_flood_node_stays_eager,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_tree_node_prunes_a_tree_neighbour,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_ihave_waits_graft_goes_at_the_flush,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (
            test_announcements_ride_along_with_an_at,
            herd_test_peer_setup_inproc, herd_test_peer_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_ihave_goes_at_once,
                                         herd_test_peer_setup_inproc,
                                         herd_test_peer_teardown),
    };
    return cmocka_run_group_tests_name ("herd_peer_tree", tests, NULL, NULL);
}
