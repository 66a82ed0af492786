/*  test_e2e_netsim - the CS 131 2022 herd on a simulated network of hosts
    (tests/herd_test_netsim.h): propagation over a slow, lossy network, and
    partitions healed.  Each scenario prints a "netsim-result" line.

    HERD_NETSIM=full runs the long versions (make netsim); by default they
    are short enough for make check.  Needs root; skips saying why
    otherwise.  */

#include "herd_test_netsim.h"

#include <czmq.h>
#include <poll.h>

#define S_TOPOLOGY "deploy/topologies/cs131-2022.zpl"
//  Client times: every scenario's IAMATs are newer than the one before
#define S_TIME 1700000000.0
//  What a healed partition should take to converge (the target), reported
//  as met or not; and what the test asserts, tunable with
//  HERD_NETSIM_HEAL_BOUND_MS.  With link_connect_timeout_ms (1 s) a link
//  tries again within about 1.5 s of the heal (a connect cut short at 1 s,
//  then the reconnect interval), then needs its CURVE handshake and
//  catch-up over the 20 ms links: the bound leaves room for that on a
//  busy machine.  Measured here: 0.36 s and 1.73 s (8 s cut), 0.94 s (60 s
//  cut); before link_connect_timeout_ms, 1.2 s and 13.4 s (TCP's SYN
//  back-off).
#define S_HEAL_TARGET_MS 1500
#define S_HEAL_BOUND_MS  3000

static herd_netsim_t *
s_herd (void **state)
{
    herd_netsim_skip_unless_able ();
    herd_netsim_t *sim = herd_netsim_new (S_TOPOLOGY, NULL);
    *state = sim;
    herd_netsim_start_all (sim);
    return sim;
}

static void
test_updates_reach_every_node_over_a_slow_lossy_network (void **state)
{
    herd_netsim_t *sim = s_herd (state);
    herd_netsim_delay (sim, 20, 5);
    herd_netsim_loss (sim, 0.02);
    bool full = herd_netsim_full ();
    size_t count = full ? 2000 : 200;
    double rate = full ? 200 : 100;
    const char *nodes[5];
    for (size_t i = 0; i < 5; i++)
        nodes[i] = herd_netsim_name (sim, i);
    int64_t start = zclock_mono ();
    char **lines =
        herd_netsim_iamats (sim, nodes, 5, "p", count, count, S_TIME, rate);
    int64_t sent = zclock_mono () - start;
    char **clients = herd_netsim_clients ("p", count);
    int64_t took =
        herd_netsim_wait_converged (sim, (const char *const *) clients,
                                    (const char *const *) lines, count, 60000);
    herd_netsim_spread_t spread;
    herd_netsim_spread (sim, &spread);
    herd_netsim_report (
        "propagation",
        "delay_ms=20 jitter_ms=5 loss_pct=2 iamats=%zu rate=%.0f/s "
        "sent_ms=%" PRId64 " logged_everywhere=%zu hops=%zu "
        "hops_x_delay_ms=%zu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
        "converged_after_last_reply_ms=%" PRId64,
        count, rate, sent, spread.everywhere, spread.hops, spread.hops * 20,
        spread.p50_ms, spread.p99_ms, spread.max_ms, took);
    assert_true (took >= 0);
    assert_int_equal (spread.updates, count);
    //  A p50 far beyond hops x delay would mean the herd, not the network,
    //  holds updates back
    assert_true (spread.p50_ms < (double) (spread.hops * 20) * 4);
    herd_netsim_lines_free (&clients, count);
    herd_netsim_lines_free (&lines, count);
}

//  A partition of the 2022 herd into {Clark, Jaquez} and {Juzang,
//  Bernard, Johnson} for seconds; clients updated on both sides during
//  it (group a newest on the left, group b on the right, half of each
//  before the links notice the cut, half after); then healed: every node
//  must end with the newest record of every client.
static void
s_partition (void **state, int seconds)
{
    herd_netsim_t *sim = s_herd (state);
    herd_netsim_delay (sim, 20, 5);
    size_t count = herd_netsim_full () ? 200 : 20;
    const char *left[] = {"Clark", "Jaquez"};
    const char *right[] = {"Juzang", "Bernard", "Johnson"};
    herd_netsim_partition (sim, left, 2, right, 3, true);
    int64_t cut = zclock_mono ();
    //  In flight as the cut falls, then once the links are known down
    char **a_left =
        herd_netsim_iamats (sim, left, 2, "a", count, count, S_TIME + 300, 0);
    char **a_right =
        herd_netsim_iamats (sim, right, 3, "a", count, count, S_TIME + 200, 0);
    assert_true (herd_netsim_log_wait (sim, "Clark", "link down Juzang", 1,
                                       seconds * 1000));
    assert_true (herd_netsim_log_wait (sim, "Juzang", "link down Clark", 1,
                                       seconds * 1000));
    char **b_left =
        herd_netsim_iamats (sim, left, 2, "b", count, count, S_TIME + 200, 0);
    char **b_right =
        herd_netsim_iamats (sim, right, 3, "b", count, count, S_TIME + 300, 0);
    int64_t held = zclock_mono () - cut;
    //  The cut is the scenario: it lasts its seconds
    if (held < seconds * 1000)
        poll (NULL, 0, (int) (seconds * 1000 - held));
    herd_netsim_partition (sim, left, 2, right, 3, false);
    int64_t healed = zclock_mono ();
    char **clients = (char **) zmalloc (2 * count * sizeof (char *));
    const char **expected =
        (const char **) zmalloc (2 * count * sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        clients[i] = zsys_sprintf ("a%05zu", i);
        expected[i] = a_left[i];
        clients[count + i] = zsys_sprintf ("b%05zu", i);
        expected[count + i] = b_right[i];
    }
    int64_t took = herd_netsim_wait_converged (
        sim, (const char *const *) clients, expected, 2 * count, 120000);
    const char *text = getenv ("HERD_NETSIM_HEAL_BOUND_MS");
    int64_t bound = text ? atoll (text) : 0;
    bound = bound > 0 ? bound : S_HEAL_BOUND_MS;
    herd_netsim_report (
        "partition",
        "cut_s=%d delay_ms=20 jitter_ms=5 clients=%zu cut_ms=%" PRId64
        " heal_to_newest_everywhere_ms=%" PRId64
        " target_ms=%d target=%s bound_ms=%" PRId64,
        seconds, 2 * count, healed - cut, took, S_HEAL_TARGET_MS,
        took >= 0 && took <= S_HEAL_TARGET_MS ? "met" : "missed", bound);
    assert_true (took >= 0);
    assert_true (took <= bound);
    free (expected);
    herd_netsim_lines_free (&clients, 2 * count);
    herd_netsim_lines_free (&a_left, count);
    herd_netsim_lines_free (&a_right, count);
    herd_netsim_lines_free (&b_left, count);
    herd_netsim_lines_free (&b_right, count);
}

static void
test_a_partition_of_8_s_heals (void **state)
{
    s_partition (state, 8);
}

static void
test_a_partition_of_60_s_heals (void **state)
{
    if (!herd_netsim_full ()) {
        print_message (
            "netsim: skipped: the 60 s partition runs in make netsim "
            "(HERD_NETSIM=full)\n");
        skip ();
    }
    s_partition (state, 60);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_updates_reach_every_node_over_a_slow_lossy_network,
            herd_netsim_setup, herd_netsim_teardown),
        cmocka_unit_test_setup_teardown (test_a_partition_of_8_s_heals,
                                         herd_netsim_setup,
                                         herd_netsim_teardown),
        cmocka_unit_test_setup_teardown (test_a_partition_of_60_s_heals,
                                         herd_netsim_setup,
                                         herd_netsim_teardown),
    };
    //  HERD_NETSIM_ONLY=PATTERN runs the tests whose names match it
    if (getenv ("HERD_NETSIM_ONLY"))
        cmocka_set_test_filter (getenv ("HERD_NETSIM_ONLY"));
    return cmocka_run_group_tests_name ("e2e_netsim", tests, NULL, NULL);
}
