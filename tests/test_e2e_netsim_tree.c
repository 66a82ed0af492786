/*  test_e2e_netsim_tree - broadcast trees (broadcast = tree, proto/herd.md
    section 3.2) on a simulated network of hosts (tests/herd_test_netsim.h):
    a link that carries updates whole is cut both ways while IAMATs flow.
    The herd converges around it while it is cut (the trees repair
    themselves with GRAFTs; what went over the link before either end knew
    it was dead comes by catch-up, section 5, item 6), and again once it is
    healed.  Prints a "netsim-result" line.  (A node killed, on loopback:
    test_e2e_tree_faults.c.)

    HERD_NETSIM=full runs the long version (make netsim: the default link
    settings, 10 s of cut); by default it is short enough for make check
    (heartbeats every 250 ms, so that a dead link is found in under a
    second, and 2 s of cut).  Needs root; skips saying why otherwise.  */

#include "herd_test_netsim.h"

#include <czmq.h>

#define S_NODES 10
#define S_SEED  131
#define S_TIME  1700000000.0
//  IAMATs a second, at every node in turn, for clients that move
#define S_RATE    30
#define S_CLIENTS 20
//  How long the herd may take to converge, cut or healed
#define S_DEADLINE_MS 30000

//  IAMATs for seconds (at least S_CLIENTS of them) at every node, for
//  clients PREFIXnnnnn, at client time time on; then wait until every node
//  answers for each client with its newest AT line.  Returns the
//  milliseconds that took (fails the test at the deadline).
static int64_t
s_updates (herd_netsim_t *sim,
           const char *const *names,
           double seconds,
           const char *prefix,
           double time)
{
    size_t count = (size_t) (seconds * S_RATE);
    count = count < S_CLIENTS ? S_CLIENTS : count;
    char **lines = herd_netsim_iamats (sim, names, S_NODES, prefix, S_CLIENTS,
                                       count, time, S_RATE);
    //  The last S_CLIENTS IAMATs name each client once: its newest
    char **clients = herd_netsim_clients (prefix, S_CLIENTS);
    const char *expected[S_CLIENTS];
    for (size_t i = count - S_CLIENTS; i < count; i++)
        expected[i % S_CLIENTS] = lines[i];
    int64_t took = herd_netsim_wait_converged (
        sim, (const char *const *) clients, expected, S_CLIENTS, S_DEADLINE_MS);
    herd_netsim_lines_free (&clients, S_CLIENTS);
    herd_netsim_lines_free (&lines, count);
    assert_true (took >= 0);
    return took;
}

//  The updates each link carried whole (either way) since the last look:
//  carried[a][b] is b's "update stored from=a" records then (updated).
//  Returns the busiest link's ends in *a, *b, and how many it carried.
static size_t
s_busiest (herd_netsim_t *sim,
           const char *const *names,
           size_t carried[S_NODES][S_NODES],
           size_t *a,
           size_t *b)
{
    size_t now[S_NODES][S_NODES] = {{0}}, most = 0;
    for (size_t x = 0; x < S_NODES; x++)
        for (size_t y = 0; y < S_NODES; y++) {
            char needle[32];
            snprintf (needle, sizeof (needle), "update stored from=%s ",
                      names[x]);
            now[x][y] = herd_netsim_log_count (sim, names[y], needle);
        }
    for (size_t x = 0; x < S_NODES; x++)
        for (size_t y = x + 1; y < S_NODES; y++) {
            size_t both = now[x][y] - carried[x][y] + now[y][x] - carried[y][x];
            if (both > most) {
                most = both;
                *a = x;
                *b = y;
            }
        }
    memcpy (carried, now, sizeof (now));
    return most;
}

//  What the logs say of the updates stored from from_us to before to_us.
static void
s_spread (herd_netsim_t *sim,
          int64_t from_us,
          int64_t to_us,
          herd_test_spread_t *spread)
{
    char *paths[S_NODES];
    for (size_t n = 0; n < S_NODES; n++)
        paths[n] = herd_netsim_log_path (sim, herd_netsim_name (sim, n));
    herd_test_logged_t *updates;
    size_t total =
        herd_test_updates ((const char *const *) paths, S_NODES, &updates);
    herd_test_spread (updates, total, from_us, to_us, spread);
    free (updates);
    for (size_t n = 0; n < S_NODES; n++)
        free (paths[n]);
}

static size_t
s_total (herd_netsim_t *sim, const char *needle)
{
    size_t total = 0;
    for (size_t n = 0; n < S_NODES; n++)
        total += herd_netsim_log_count (sim, herd_netsim_name (sim, n), needle);
    return total;
}

static void
test_a_tree_converges_around_a_cut_link (void **state)
{
    herd_netsim_skip_unless_able ();
    bool full = herd_netsim_full ();
    //  A random 4-regular herd, written as a topology for the network
    char name_text[S_NODES][8];
    const char *names[S_NODES];
    for (size_t n = 0; n < S_NODES; n++) {
        snprintf (name_text[n], sizeof (name_text[n]), "T%02zu", n);
        names[n] = name_text[n];
    }
    char *links[2 * S_NODES];
    size_t link_count = herd_test_regular_links (names, S_NODES, S_SEED, links);
    const char *link_text[2 * S_NODES];
    for (size_t i = 0; i < link_count; i++)
        link_text[i] = links[i];
    herd_test_herd_t *herd =
        herd_test_herd_new (names, S_NODES, link_text, link_count, NULL);
    herd_netsim_t *sim = herd_netsim_new (
        herd_test_herd_topology (herd),
        full ? "    broadcast = tree"
             : "    broadcast = tree\n    link_heartbeat_ms = 250\n"
               "    link_timeout_ms = 750");
    *state = sim;
    herd_test_herd_destroy (&herd);
    herd_netsim_start_all (sim);
    herd_netsim_delay (sim, 20, 5);
    //  The trees form, then the busiest link of the second round's
    size_t carried[S_NODES][S_NODES] = {{0}}, a = 0, b = 0;
    s_updates (sim, names, 0, "w", S_TIME);
    s_busiest (sim, names, carried, &a, &b);
    s_updates (sim, names, 0, "v", S_TIME + 100);
    size_t busiest = s_busiest (sim, names, carried, &a, &b);
    assert_true (busiest > 0);
    char *up = zsys_sprintf ("link up %s ", names[b]);
    size_t ups = herd_netsim_log_count (sim, names[a], up);
    //  Updates on their way when it is cut, and while it is
    int64_t calm_us = herd_test_wall_us ();
    char **lines = herd_netsim_iamats (sim, names, S_NODES, "x", S_CLIENTS,
                                       S_RATE, S_TIME + 200, S_RATE);
    herd_netsim_lines_free (&lines, S_RATE);
    const char *one[] = {names[a]}, *other[] = {names[b]};
    size_t grafts = s_total (sim, "tree graft asked=");
    size_t asked = s_total (sim, "asking for its records");
    herd_netsim_partition (sim, one, 1, other, 1, true);
    int64_t cut_us = herd_test_wall_us ();
    int seconds = full ? 10 : 2;
    int64_t cut_ms = s_updates (sim, names, seconds, "c", S_TIME + 300);
    int64_t healed_us = herd_test_wall_us ();
    herd_netsim_partition (sim, one, 1, other, 1, false);
    //  Healed: the link comes back, and carries updates again
    int64_t heal_start = zclock_mono ();
    assert_true (herd_netsim_log_wait (sim, names[a], up, ups + 1, 30000));
    int64_t back_ms = zclock_mono () - heal_start;
    int64_t heal_ms = s_updates (sim, names, 1, "h", S_TIME + 400);
    herd_test_spread_t calm, spread;
    s_spread (sim, calm_us, cut_us, &calm);
    s_spread (sim, cut_us, healed_us, &spread);
    herd_netsim_report (
        "tree-cut",
        "nodes=%d links=%zu cut=%s-%s carried=%zu cut_s=%d delay_ms=20 "
        "jitter_ms=5 iamats_per_s=%d longest_spread_before_cut_ms=%.1f "
        "updates_while_cut=%zu "
        "longest_spread_ms=%.1f first_of_an_originator_longest_spread_ms=%.1f "
        "superseded_somewhere=%zu not_taken_everywhere=%zu "
        "cut_converged_after_ms=%" PRId64 " link_back_after_heal_ms=%" PRId64
        " healed_converged_after_ms=%" PRId64
        " graft_records=%zu catch_up_requests=%zu",
        S_NODES, link_count, names[a], names[b], busiest, seconds, S_RATE,
        calm.longest_us / 1000.0, spread.updates, spread.longest_us / 1000.0,
        spread.first_longest_us / 1000.0, spread.superseded, spread.unreached,
        cut_ms, back_ms, heal_ms, s_total (sim, "tree graft asked=") - grafts,
        s_total (sim, "asking for its records") - asked);
    free (up);
    for (size_t i = 0; i < link_count; i++)
        free (links[i]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_a_tree_converges_around_a_cut_link, herd_netsim_setup,
            herd_netsim_teardown),
    };
    return cmocka_run_group_tests_name ("e2e_netsim_tree", tests, NULL, NULL);
}
