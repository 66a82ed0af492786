/*  test_herd_tree - what a node of a broadcast tree remembers: updates
    received, updates kept for GRAFTs, updates announced and missing  */

#include "herd_test.h"
#include "herd_tree.h"
#include "herd_wire.h"

#include <czmq.h>

#define S_GRAFT_MS 30

//  What the tree asked for, in order, and whom it gave up on.
typedef struct {
    void *peer[64];
    char originator[64][HERD_WIRE_NAME_MAX + 1];
    uint64_t sequence[64];
    size_t count;
    void *lost[64];
    size_t lost_count;
} s_asks_t;

static void
s_ask (void *arg,
       void *peer,
       const char *originator,
       uint64_t epoch,
       uint64_t sequence)
{
    s_asks_t *asks = (s_asks_t *) arg;
    (void) epoch;
    assert_true (asks->count < 64);
    asks->peer[asks->count] = peer;
    strcpy (asks->originator[asks->count], originator);
    asks->sequence[asks->count++] = sequence;
}

static void
s_lost (void *arg, void *peer)
{
    s_asks_t *asks = (s_asks_t *) arg;
    assert_true (asks->lost_count < 64);
    asks->lost[asks->lost_count++] = peer;
}

static void
test_new_and_destroy (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    assert_non_null (tree);
    herd_tree_destroy (&tree);
    assert_null (tree);
    herd_tree_destroy (&tree);
}

//  A second copy is told apart from a first, in any order, per
//  originator; older epochs and sequences below the window count as
//  received.
static void
test_receive_tells_duplicates (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    assert_false (herd_tree_received (tree, "Clark", 5, 10));
    assert_false (herd_tree_receive (tree, "Clark", 5, 10, NULL));
    assert_true (herd_tree_received (tree, "Clark", 5, 10));
    assert_true (herd_tree_receive (tree, "Clark", 5, 10, NULL));
    //  Out of order, and another originator with the same stamp
    assert_false (herd_tree_receive (tree, "Clark", 5, 12, NULL));
    assert_false (herd_tree_receive (tree, "Clark", 5, 11, NULL));
    assert_false (herd_tree_receive (tree, "Juzang", 5, 10, NULL));
    assert_true (herd_tree_receive (tree, "Clark", 5, 11, NULL));
    //  A new life of Clark's has a window of its own, the old one stays
    assert_false (herd_tree_receive (tree, "Clark", 6, 10, NULL));
    assert_true (herd_tree_receive (tree, "Clark", 5, 10, NULL));
    assert_true (herd_tree_received (tree, "Clark", 5, 12));
    assert_false (herd_tree_received (tree, "Clark", 6, 11));
    //  The window slides: what it leaves behind counts as received, what
    //  it keeps is still told apart
    uint64_t far = 10 + HERD_TREE_WINDOW + 5;
    assert_false (herd_tree_receive (tree, "Clark", 6, far, NULL));
    assert_true (herd_tree_received (tree, "Clark", 6, 11));
    assert_false (herd_tree_received (tree, "Clark", 6, far - 1));
    assert_false (herd_tree_receive (tree, "Clark", 6, far - 1, NULL));
    assert_true (herd_tree_receive (tree, "Clark", 6, far - 1, NULL));
    //  A jump past a whole window clears it
    uint64_t farther = far + 3 * HERD_TREE_WINDOW;
    assert_false (herd_tree_receive (tree, "Clark", 6, farther, NULL));
    assert_false (herd_tree_received (tree, "Clark", 6, farther - 1));
    assert_true (herd_tree_received (tree, "Clark", 6, far));
    herd_tree_destroy (&tree);
}

//  Found in review: a stale AT naming an epoch far ahead made every real
//  update of that originator count as received (pruned, its IHAVEs
//  ignored) at that node for good; then, fixed one way, lives that
//  alternated cleared each other's windows.  Two lives are now told apart
//  at once; a third takes the least recently used one's place.
static void
test_an_epoch_ahead_does_not_stop_the_real_one (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    assert_false (herd_tree_receive (tree, "Clark", 5, 1, NULL));
    assert_false (herd_tree_receive (tree, "Clark", 1ull << 62, 1, NULL));
    for (uint64_t n = 2; n < 200; n++) {
        assert_false (herd_tree_receive (tree, "Clark", 5, n, NULL));
        assert_true (herd_tree_receive (tree, "Clark", 5, n, NULL));
        assert_true (herd_tree_received (tree, "Clark", 5, n));
        if (n % 10 == 0)  //  The made-up life keeps coming
            herd_tree_receive (tree, "Clark", 1ull << 62, n, NULL);
    }
    assert_true (herd_tree_received (tree, "Clark", 5, 1));
    //  A third life takes the least recently used one's place: the
    //  made-up one, received into least lately
    for (uint64_t n = 200; n < 210; n++)
        herd_tree_receive (tree, "Clark", 5, n, NULL);
    assert_false (herd_tree_receive (tree, "Clark", 7, 1, NULL));
    assert_true (herd_tree_received (tree, "Clark", 5, 100));
    assert_false (herd_tree_received (tree, "Clark", 1ull << 62, 10));
    //  And a fourth, the one before (7 was used last)
    assert_false (herd_tree_receive (tree, "Clark", 8, 1, NULL));
    assert_false (herd_tree_received (tree, "Clark", 5, 100));
    assert_true (herd_tree_received (tree, "Clark", 7, 1));
    herd_tree_destroy (&tree);
}

//  The sender of each of an originator's latest first copies is known,
//  for the node to prune that link rather than the originator's own.
static void
test_the_first_sender_is_remembered (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    assert_null (herd_tree_first_from (tree, "Clark", 5, 1));
    assert_false (herd_tree_receive (tree, "Clark", 5, 1, "Juzang"));
    assert_true (herd_tree_receive (tree, "Clark", 5, 1, "Clark"));
    assert_string_equal (herd_tree_first_from (tree, "Clark", 5, 1), "Juzang");
    assert_false (herd_tree_receive (tree, "Clark", 5, 2, NULL));
    assert_string_equal (herd_tree_first_from (tree, "Clark", 5, 2), "");
    assert_null (herd_tree_first_from (tree, "Clark", 6, 1));
    assert_null (herd_tree_first_from (tree, "Clark", 5, 3));
    //  Only the latest 16
    for (uint64_t n = 3; n <= 18; n++)
        herd_tree_receive (tree, "Clark", 5, n, "Bona");
    assert_null (herd_tree_first_from (tree, "Clark", 5, 1));
    assert_string_equal (herd_tree_first_from (tree, "Clark", 5, 3), "Bona");
    herd_tree_destroy (&tree);
}

//  Each originator gets a number at first sight, kept; past
//  HERD_TREE_ORIGINATORS there is none, and its updates never count as
//  duplicates (they are flooded).
static void
test_originators_are_numbered (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    assert_int_equal (herd_tree_originator (tree, "Clark"), 0);
    assert_int_equal (herd_tree_originator (tree, "Juzang"), 1);
    assert_int_equal (herd_tree_originator (tree, "Clark"), 0);
    //  Numbered before any update: its first update is still a first
    assert_false (herd_tree_receive (tree, "Juzang", 9, 1, NULL));
    for (int i = 2; i < HERD_TREE_ORIGINATORS; i++) {
        char name[16];
        snprintf (name, sizeof (name), "N%d", i);
        assert_int_equal (herd_tree_originator (tree, name), i);
    }
    assert_int_equal (herd_tree_originator (tree, "Late"), -1);
    assert_false (herd_tree_receive (tree, "Late", 1, 1, NULL));
    assert_false (herd_tree_receive (tree, "Late", 1, 1, NULL));
    assert_false (herd_tree_received (tree, "Late", 1, 1));
    herd_tree_destroy (&tree);
}

//  Updates stored are kept for GRAFTs: the last HERD_TREE_KEEP, at most
//  HERD_TREE_KEEP_BYTES, none over HERD_TREE_KEEP_ONE.
static void
test_kept_updates_answer_grafts (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    herd_span_t found;
    assert_false (herd_tree_find (tree, "Clark", 1, 1, 0, &found));
    herd_span_t line = {"AT Clark +0.1 kiwi +1-1 5", 25};
    herd_tree_keep (tree, "Clark", 1, 1, line);
    assert_true (herd_tree_find (tree, "Clark", 1, 1, 0, &found));
    assert_int_equal (found.size, 25);
    assert_memory_equal (found.data, line.data, 25);
    assert_false (herd_tree_find (tree, "Clark", 2, 1, 0, &found));
    assert_false (herd_tree_find (tree, "Juzang", 1, 1, 0, &found));
    //  The oldest go first
    for (uint64_t n = 2; n <= HERD_TREE_KEEP; n++)
        herd_tree_keep (tree, "Clark", 1, n, line);
    assert_true (herd_tree_find (tree, "Clark", 1, 1, 0, &found));
    herd_tree_keep (tree, "Clark", 1, HERD_TREE_KEEP + 1, line);
    assert_false (herd_tree_find (tree, "Clark", 1, 1, 0, &found));
    assert_true (herd_tree_find (tree, "Clark", 1, 2, 0, &found));
    assert_true (
        herd_tree_find (tree, "Clark", 1, HERD_TREE_KEEP + 1, 0, &found));
    //  Bytes: large updates push out many small ones
    size_t size = HERD_TREE_KEEP_ONE;
    char *big = (char *) zmalloc (size);
    herd_span_t large = {big, size};
    size_t fit = HERD_TREE_KEEP_BYTES / size;
    for (uint64_t n = 1; n <= fit; n++)
        herd_tree_keep (tree, "Juzang", 1, n, large);
    assert_true (herd_tree_find (tree, "Juzang", 1, 1, 0, &found));
    assert_int_equal (found.size, size);
    assert_false (herd_tree_find (tree, "Clark", 1, 2, 0, &found));
    herd_tree_keep (tree, "Juzang", 1, fit + 1, large);
    assert_false (herd_tree_find (tree, "Juzang", 1, 1, 0, &found));
    assert_true (herd_tree_find (tree, "Juzang", 1, fit + 1, 0, &found));
    //  One too large is not kept
    herd_span_t huge = {big, size + 1};
    herd_tree_keep (tree, "Juzang", 1, fit + 2, huge);
    assert_false (herd_tree_find (tree, "Juzang", 1, fit + 2, 0, &found));
    free (big);
    herd_tree_destroy (&tree);
}

//  The index finds every kept update however the ring turned, and a mark
//  finds each once.
static void
test_the_index_finds_each_kept_update (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    herd_span_t line = {"AT x", 4}, found;
    const char *names[] = {"Clark", "Juzang", "Bernard"};
    uint64_t total = 3 * HERD_TREE_KEEP + 17;
    for (uint64_t n = 1; n <= total; n++)
        herd_tree_keep (tree, names[n % 3], n % 5, n, line);
    for (uint64_t n = 1; n <= total; n++)
        assert_int_equal (
            herd_tree_find (tree, names[n % 3], n % 5, n, 0, &found),
            n > total - HERD_TREE_KEEP);
    //  The same update kept again (a hostile GRAFT answer): found once,
    //  the newer copy, and the older's eviction leaves it found
    herd_span_t other = {"AT y", 4};
    herd_tree_keep (tree, "Clark", 99, 99, line);
    herd_tree_keep (tree, "Clark", 99, 99, other);
    assert_true (herd_tree_find (tree, "Clark", 99, 99, 0, &found));
    assert_memory_equal (found.data, "AT y", 4);
    for (uint64_t n = 1; n < HERD_TREE_KEEP; n++)
        herd_tree_keep (tree, "Juzang", 1, n, line);
    assert_true (herd_tree_find (tree, "Clark", 99, 99, 0, &found));
    assert_memory_equal (found.data, "AT y", 4);
    herd_tree_keep (tree, "Juzang", 1, HERD_TREE_KEEP, line);
    assert_false (herd_tree_find (tree, "Clark", 99, 99, 0, &found));
    for (uint64_t n = total - HERD_TREE_KEEP + 1; n <= total; n++)
        herd_tree_keep (tree, names[n % 3], n % 5, n, line);
    uint64_t last = total;
    assert_true (
        herd_tree_find (tree, names[last % 3], last % 5, last, 7, &found));
    assert_false (
        herd_tree_find (tree, names[last % 3], last % 5, last, 7, &found));
    assert_true (
        herd_tree_find (tree, names[last % 3], last % 5, last, 8, &found));
    assert_true (
        herd_tree_find (tree, names[last % 3], last % 5, last, 0, &found));
    herd_tree_destroy (&tree);
}

//  An update announced and not received is asked for between graft_ms and
//  twice that, of its first announcer, then of the next every graft_ms,
//  HERD_TREE_ASKS times in all; one received meanwhile is not.
static void
test_missing_updates_are_asked_for (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    int a, b;  //  Two neighbours, by address
    herd_tree_receive (tree, "Clark", 1, 1, NULL);
    herd_tree_announced (tree, &a, "Clark", 1, 1, 1000);  //  Received
    herd_tree_announced (tree, &a, "Clark", 1, 2, 1000);
    herd_tree_announced (tree, &b, "Clark", 1, 2, 1001);
    herd_tree_announced (tree, &a, "Clark", 1, 2, 1002);  //  Once each
    herd_tree_announced (tree, &b, "Clark", 1, 3, 1000);
    assert_int_equal (herd_tree_missing (tree), 2);
    assert_int_equal (herd_tree_expire (tree, 1000 + S_GRAFT_MS - 1), 0);
    assert_int_equal (asks.count, 0);
    //  Sequence 3 comes meanwhile: forgotten, never asked for
    herd_tree_receive (tree, "Clark", 1, 3, NULL);
    assert_int_equal (herd_tree_expire (tree, 1000 + 2 * S_GRAFT_MS), 1);
    assert_int_equal (asks.count, 1);
    assert_ptr_equal (asks.peer[0], &a);
    assert_string_equal (asks.originator[0], "Clark");
    assert_int_equal (asks.sequence[0], 2);
    assert_int_equal (herd_tree_missing (tree), 1);
    //  Not yet again; then of b, then of a again, then given up
    int64_t now = 1000 + 2 * S_GRAFT_MS;
    assert_int_equal (herd_tree_expire (tree, now + S_GRAFT_MS - 1), 0);
    assert_int_equal (herd_tree_expire (tree, now + S_GRAFT_MS), 1);
    assert_ptr_equal (asks.peer[1], &b);
    assert_int_equal (herd_tree_expire (tree, now + 2 * S_GRAFT_MS), 1);
    assert_ptr_equal (asks.peer[2], &a);
    assert_int_equal (herd_tree_given_up (tree), 0);
    assert_int_equal (asks.lost_count, 0);
    assert_int_equal (herd_tree_expire (tree, now + 3 * S_GRAFT_MS), 0);
    assert_int_equal (asks.count, HERD_TREE_ASKS);
    assert_int_equal (herd_tree_given_up (tree), 1);
    assert_int_equal (herd_tree_missing (tree), 0);
    //  Lost: its first announcer is asked for its records
    assert_int_equal (asks.lost_count, 1);
    assert_ptr_equal (asks.lost[0], &a);
    herd_tree_destroy (&tree);
}

//  A neighbour gone is never asked: what only it announced is given up.
static void
test_a_neighbour_gone_is_forgotten (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    int a, b;
    herd_tree_announced (tree, &a, "Clark", 1, 1, 0);
    herd_tree_announced (tree, &b, "Clark", 1, 1, 0);
    herd_tree_announced (tree, &a, "Clark", 1, 2, 0);
    herd_tree_forget (tree, &a);
    assert_int_equal (herd_tree_expire (tree, 2 * S_GRAFT_MS), 1);
    assert_int_equal (asks.count, 1);
    assert_ptr_equal (asks.peer[0], &b);
    assert_int_equal (asks.sequence[0], 1);
    assert_int_equal (herd_tree_given_up (tree), 1);
    //  Its link went down: the node asked the others for their records
    assert_int_equal (asks.lost_count, 0);
    herd_tree_destroy (&tree);
}

//  The first asks are spread over [graft_ms, 2 * graft_ms): announced at
//  once, they are not all asked at once.
static void
test_first_asks_are_spread_out (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    int a;
    for (uint64_t n = 1; n <= 60; n++)
        herd_tree_announced (tree, &a, "Clark", 1, n, 0);
    size_t early = herd_tree_expire (tree, S_GRAFT_MS + S_GRAFT_MS / 2);
    assert_true (early > 0 && early < 60);
    assert_int_equal (early + herd_tree_expire (tree, 2 * S_GRAFT_MS - 1), 60);
    herd_tree_destroy (&tree);
}

//  At most HERD_TREE_MISSING_MAX are remembered; the rest are lost.
static void
test_missing_is_bounded (void **state)
{
    (void) state;
    s_asks_t asks = {0};
    herd_tree_t *tree = herd_tree_new (S_GRAFT_MS, s_ask, s_lost, &asks);
    int a;
    for (uint64_t n = 1; n <= HERD_TREE_MISSING_MAX + 10; n++)
        herd_tree_announced (tree, &a, "Clark", 1, n, 0);
    assert_int_equal (herd_tree_missing (tree), HERD_TREE_MISSING_MAX);
    //  What could not be remembered is lost (once per announcer, at the
    //  next expiry): catch-up brings it
    assert_int_equal (herd_tree_given_up (tree), 10);
    assert_int_equal (asks.lost_count, 0);
    herd_tree_expire (tree, 0);
    assert_int_equal (asks.lost_count, 1);
    assert_ptr_equal (asks.lost[0], &a);
    herd_tree_destroy (&tree);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy),
        cmocka_unit_test (test_receive_tells_duplicates),
        cmocka_unit_test (test_an_epoch_ahead_does_not_stop_the_real_one),
        cmocka_unit_test (test_originators_are_numbered),
        cmocka_unit_test (test_the_first_sender_is_remembered),
        cmocka_unit_test (test_kept_updates_answer_grafts),
        cmocka_unit_test (test_the_index_finds_each_kept_update),
        cmocka_unit_test (test_missing_updates_are_asked_for),
        cmocka_unit_test (test_a_neighbour_gone_is_forgotten),
        cmocka_unit_test (test_first_asks_are_spread_out),
        cmocka_unit_test (test_missing_is_bounded),
    };
    return cmocka_run_group_tests_name ("herd_tree", tests, NULL, NULL);
}
