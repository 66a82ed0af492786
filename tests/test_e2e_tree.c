/*  test_e2e_tree - updates along broadcast trees (broadcast = tree,
    proto/herd.md section 3) across real herds: each update reaches every
    node once its originator's tree has formed, and herds that mix tree and
    flood nodes, or reply rules, still carry every update everywhere.
    (Faults while a tree carries updates: test_e2e_tree_faults.c.)  */

#include "herd_test.h"
#include "herd_wire.h"

#include <czmq.h>

#define S_DEADLINE 10000
#define S_NODES    20

//  Updates taken from a neighbour, stored or not (proto/monitor.md).
static size_t
s_deliveries (herd_test_herd_t *herd)
{
    return herd_test_herd_log_total (herd, "update stored from=")
           + herd_test_herd_log_total (herd, "update stale from=");
}

typedef struct {
    herd_test_herd_t *herd;
    size_t stored;  //  "update stored" records to wait for
} s_wait_t;

//  No delivery for 50 ms: the last copies of what was sent are in.
typedef struct {
    herd_test_herd_t *herd;
    size_t deliveries;  //  At the last look
    int64_t since;      //  When they last changed
} s_quiet_t;

static bool
s_quiet (void *arg)
{
    s_quiet_t *quiet = (s_quiet_t *) arg;
    size_t now = s_deliveries (quiet->herd);
    if (now != quiet->deliveries) {
        quiet->deliveries = now;
        quiet->since = zclock_mono ();
    }
    return zclock_mono () - quiet->since >= 50;
}

//  Deliveries, once the herd is quiet.
static size_t
s_settled_deliveries (herd_test_herd_t *herd)
{
    s_quiet_t quiet = {herd, s_deliveries (herd), zclock_mono ()};
    assert_true (herd_test_wait_until (s_quiet, &quiet, S_DEADLINE));
    return quiet.deliveries;
}

static bool
s_stored (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    return herd_test_herd_log_total (wait->herd, "update stored")
           >= wait->stored;
}

//  An IAMAT at every node in turn, rounds times (new clients each round),
//  then wait until every node stored every one.  *stored counts the
//  records so far.
static void
s_rounds (herd_test_herd_t *herd, int rounds, int *round, size_t *stored)
{
    size_t nodes = herd_test_herd_size (herd);
    for (int r = 0; r < rounds; r++, (*round)++)
        for (size_t i = 0; i < nodes; i++) {
            char *request = zsys_sprintf ("IAMAT c%d-%zu +1-1 %d\n", *round, i,
                                          100 + *round);
            char *reply =
                herd_test_iamat (herd, herd_test_herd_name (herd, i), request);
            assert_true (strncmp (reply, "AT ", 3) == 0);
            free (reply);
            free (request);
        }
    *stored += nodes * nodes * (size_t) rounds;
    s_wait_t wait = {herd, *stored};
    if (!herd_test_wait_until (s_stored, &wait, S_DEADLINE))
        fail_msg ("%zu of %zu update records stored",
                  herd_test_herd_log_total (herd, "update stored"), *stored);
}

//  The target: once each originator's tree has formed (its first
//  update floods and prunes the links that brought copies second), an
//  update costs at most 1.2 (N - 1) deliveries, against about 2.8 (N - 1)
//  flooding on such herds.
static void
test_a_tree_carries_each_update_about_once_per_node (void **state)
{
    (void) state;
    const char *names[S_NODES];
    char name_text[S_NODES][8];
    for (size_t i = 0; i < S_NODES; i++) {
        snprintf (name_text[i], sizeof (name_text[i]), "N%02zu", i);
        names[i] = name_text[i];
    }
    char *links[S_NODES * 2];
    size_t link_count = herd_test_regular_links (names, S_NODES, 131, links);
    const char *link_text[S_NODES * 2];
    for (size_t i = 0; i < link_count; i++)
        link_text[i] = links[i];
    herd_test_herd_t *herd = herd_test_herd_new (
        names, S_NODES, link_text, link_count, "    broadcast = tree");
    herd_test_herd_start_all (herd);
    int round = 0;
    size_t stored = 0;
    s_rounds (herd, 1, &round, &stored);  //  Every tree forms
    size_t before = s_settled_deliveries (herd);
    s_rounds (herd, 2, &round, &stored);
    double per_update =
        (double) (s_settled_deliveries (herd) - before) / (2.0 * S_NODES);
    printf ("tree: %zu nodes, %zu links: %.2f deliveries per update (N - 1 = "
            "%d), %zu prunes, %zu grafts\n",
            (size_t) S_NODES, link_count, per_update, S_NODES - 1,
            herd_test_herd_log_total (herd, "tree prune to="),
            herd_test_herd_log_total (herd, "tree graft asked="));
    if (per_update > 1.2 * (S_NODES - 1))
        fail_msg ("%.2f deliveries per update", per_update);
    herd_test_herd_destroy (&herd);
    for (size_t i = 0; i < link_count; i++)
        free (links[i]);
}

//  A herd of tree nodes with a flood node and a node that answers at
//  store among them: every update reaches every node, the flood node is
//  never pruned (nor prunes), no link carries an update twice one way.
static void
test_a_mixed_herd_carries_every_update (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C", "D", "E", "F"};
    const char *links[] = {"A B", "B C", "C D", "D E", "E F",
                           "F A", "A D", "B E", "C F"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, 6, links, 9, "    broadcast = tree");
    herd_test_herd_node_settings (herd, "A", "        broadcast = flood");
    herd_test_herd_node_settings (herd, "B", "        reply_after = store");
    herd_test_herd_start_all (herd);
    int round = 0;
    size_t stored = 0;
    for (int r = 0; r < 3; r++) {
        size_t before = s_deliveries (herd);
        s_rounds (herd, 1, &round, &stored);
        //  At most one delivery per link direction: 2L - N + 1 per update
        size_t most = 6 * (2 * 9 - 6 + 1);
        assert_true (s_deliveries (herd) - before <= most);
    }
    assert_int_equal (herd_test_herd_log_count (herd, "A", "tree prune"), 0);
    assert_int_equal (herd_test_herd_log_total (herd, "tree prune to=A "), 0);
    assert_true (herd_test_herd_log_total (herd, "tree prune to=") > 0);
    herd_test_herd_destroy (&herd);
}

//  A copy straight from its originator is never the redundant one: X got
//  O's update from Y first, then from O itself (which sends its own whole
//  while its replies wait), and prunes Y for O's updates, not O.
static void
test_a_copy_from_its_originator_prunes_the_other_link (void **state)
{
    (void) state;
    const char *names[] = {"X", "O", "Y"};
    const char *links[] = {"X O", "X Y"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, 3, links, 2, "    broadcast = tree");
    herd_test_herd_start (herd, "X");
    const char *line = "AT O +0.000000001 kiwi +1-1 5";
    zmsg_t *from_y[] = {herd_wire_hello (7, false, true),
                        herd_test_at ("O", 1, 1, "O,Y", line), NULL};
    herd_test_herd_pose (herd, "X", "Y", from_y);
    assert_true (herd_test_herd_log_wait (herd, "X", "update stored from=Y", 1,
                                          S_DEADLINE));
    zmsg_t *from_o[] = {herd_wire_hello (8, false, true),
                        herd_test_at ("O", 1, 1, "O,X", line), NULL};
    herd_test_herd_pose (herd, "X", "O", from_o);
    assert_true (herd_test_herd_log_wait (
        herd, "X", "tree prune to=Y originator=O", 1, S_DEADLINE));
    assert_int_equal (herd_test_herd_log_count (herd, "X", "tree prune to=O"),
                      0);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_tree_carries_each_update_about_once_per_node),
        cmocka_unit_test (test_a_mixed_herd_carries_every_update),
        cmocka_unit_test (
            test_a_copy_from_its_originator_prunes_the_other_link),
    };
    return cmocka_run_group_tests_name ("e2e_tree", tests, NULL, NULL);
}
