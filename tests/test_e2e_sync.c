/*  test_e2e_sync - catch-up: restarted nodes, big snapshots, healed
    partitions, with real node processes  */

#include "herd_test.h"

#include <czmq.h>
#include <signal.h>

#define S_DEADLINE 10000

//  The AT line node answers a WHATSAT for client with (first line of the
//  reply, without LF), or an empty string.  Caller owns return value.
static char *
s_at_line (herd_test_herd_t *herd, const char *node, const char *client)
{
    char *request = zsys_sprintf ("WHATSAT %s 5 1\n", client);
    char *reply = herd_test_grader (herd_test_herd_port (herd, node), request,
                                    S_DEADLINE);
    free (request);
    char *end = strchr (reply, '\n');
    if (end)
        *end = 0;
    if (strncmp (reply, "AT ", 3))
        *reply = 0;
    return reply;
}

typedef struct {
    herd_test_herd_t *herd;
    const char *client;
    const char *expected;  //  AT line every node must answer with
} s_everywhere_t;

static bool
s_everywhere (void *arg)
{
    s_everywhere_t *check = (s_everywhere_t *) arg;
    for (size_t i = 0; i < herd_test_herd_size (check->herd); i++) {
        char *line = s_at_line (
            check->herd, herd_test_herd_name (check->herd, i), check->client);
        bool same = streq (line, check->expected);
        free (line);
        if (!same)
            return false;
    }
    return true;
}


static void
test_a_restarted_node_catches_up (void **state)
{
    (void) state;
    herd_test_herd_t *herd =
        herd_test_herd_from_file ("deploy/topologies/cs131-2022.zpl", NULL);
    herd_test_herd_start_all (herd);
    char *old = herd_test_iamat (herd, "Clark", "IAMAT kept +1-1 100\n");
    char *moved = herd_test_iamat (herd, "Clark", "IAMAT moved +1-1 100\n");
    free (moved);
    s_everywhere_t check = {herd, "kept", old};
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    //  Bernard dies; the herd moves on without it
    herd_test_herd_signal (herd, "Bernard", SIGKILL);
    size_t synced = herd_test_herd_log_count (herd, "Bernard", "link synced");
    moved = herd_test_iamat (herd, "Jaquez", "IAMAT moved +2-2 200\n");
    char *fresh = herd_test_iamat (herd, "Clark", "IAMAT fresh +3-3 300\n");
    //  Back with an empty table: it learns everything from its neighbours,
    //  with no client telling it anything
    int64_t start = zclock_mono ();
    herd_test_herd_start (herd, "Bernard");
    assert_true (herd_test_herd_log_wait (herd, "Bernard", "link synced",
                                          synced + 3, S_DEADLINE));
    int64_t took = zclock_mono () - start;
    const char *clients[] = {"kept", "moved", "fresh"};
    const char *lines[] = {old, moved, fresh};
    for (int i = 0; i < 3; i++) {
        char *line = s_at_line (herd, "Bernard", clients[i]);
        assert_string_equal (line, lines[i]);
        free (line);
    }
    if (!getenv ("HERD_VALGRIND") && took > 2000)
        fail_msg ("catch-up took %" PRId64 " ms", took);
    print_message ("restarted node synced %" PRId64 " ms after start\n", took);
    free (old);
    free (moved);
    free (fresh);
    herd_test_herd_destroy (&herd);
}

//  Give node records clients (c000000, c000001, ...), a thousand a
//  connection.
static void
s_fill (herd_test_herd_t *herd, const char *node, int records)
{
    enum { CHUNK = 1000 };
    uint16_t port = herd_test_herd_port (herd, node);
    for (int chunk = 0; chunk < records / CHUNK; chunk++) {
        char *request = NULL;
        size_t size = 0;
        FILE *stream = open_memstream (&request, &size);
        for (int i = chunk * CHUNK; i < (chunk + 1) * CHUNK; i++)
            fprintf (stream, "IAMAT c%06d +34.068930-118.445127 %d.5\n", i, i);
        fclose (stream);
        free (herd_test_exchange (port, request, S_DEADLINE));
        free (request);
    }
}

static void
test_a_snapshot_of_100000_records_gets_through (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 2, links, 1, NULL);
    herd_test_herd_start (herd, "A");
    s_fill (herd, "A", 100000);
    //  B was away: everything reaches it through the snapshot
    int64_t start = zclock_mono ();
    herd_test_herd_start (herd, "B");
    assert_true (herd_test_herd_log_wait (
        herd, "B", "link synced A records=100000", 1, 60000));
    int64_t took = zclock_mono () - start;
    const char *clients[] = {"c000000", "c050000", "c099999"};
    for (int i = 0; i < 3; i++) {
        char *expected = s_at_line (herd, "A", clients[i]);
        char *line = s_at_line (herd, "B", clients[i]);
        assert_true (*expected);
        assert_string_equal (line, expected);
        free (line);
        free (expected);
    }
    print_message ("100,000 records caught up in %" PRId64 " ms\n", took);
    herd_test_herd_destroy (&herd);
}

static void
test_a_healed_partition_converges (void **state)
{
    (void) state;
    //  M is the only bridge between the left and the right
    const char *names[] = {"L1", "L2", "M", "R1", "R2"};
    const char *links[] = {"L1 L2", "L1 M", "L2 M", "M R1", "M R2", "R1 R2"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 5, links, 6, NULL);
    herd_test_herd_start_all (herd);
    free (herd_test_iamat (herd, "L1", "IAMAT x +1+1 1\n"));
    free (herd_test_iamat (herd, "R1", "IAMAT y +1+1 1\n"));
    //  Frozen, M is dropped by its neighbours after the heartbeat timeout:
    //  the herd is cut in two
    herd_test_herd_signal (herd, "M", SIGSTOP);
    assert_true (
        herd_test_herd_log_wait (herd, "L1", "link down M", 1, S_DEADLINE));
    assert_true (
        herd_test_herd_log_wait (herd, "R1", "link down M", 1, S_DEADLINE));
    //  Both sides update both clients; x is newest on the left, y on the
    //  right
    char *x = herd_test_iamat (herd, "L2", "IAMAT x +5+5 5\n");
    free (herd_test_iamat (herd, "R2", "IAMAT x +3+3 3\n"));
    free (herd_test_iamat (herd, "L1", "IAMAT y +3+3 3\n"));
    char *y = herd_test_iamat (herd, "R1", "IAMAT y +5+5 5\n");
    //  Healed: every node ends with the newest of each, nothing older wins
    herd_test_herd_signal (herd, "M", SIGCONT);
    s_everywhere_t check = {herd, "x", x};
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    check.client = "y";
    check.expected = y;
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    free (x);
    free (y);
    herd_test_herd_destroy (&herd);
}

//  A chain of three nodes keeping state files in a new directory; the
//  directory's path goes to *directory_p (caller frees it and removes it).
static herd_test_herd_t *
s_stateful_herd (char **directory_p, const char *extra)
{
    char directory[] = "/tmp/herd-states-XXXXXX";
    assert_non_null (mkdtemp (directory));
    *directory_p = strdup (directory);
    char *settings =
        zsys_sprintf ("    state_dir = %s\n%s", directory, extra ? extra : "");
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "B C"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 3, links, 2, settings);
    free (settings);
    herd_test_herd_start_all (herd);
    return herd;
}

static void
s_remove_states (char *directory)
{
    const char *names[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++) {
        char *path = zsys_sprintf ("%s/%s.state", directory, names[i]);
        unlink (path);
        free (path);
    }
    rmdir (directory);
    free (directory);
}

static void
test_a_whole_herd_restart_loses_nothing (void **state)
{
    (void) state;
    char *directory;
    herd_test_herd_t *herd = s_stateful_herd (&directory, NULL);
    char *a = herd_test_iamat (herd, "A", "IAMAT alpha +1+1 10\n");
    char *c = herd_test_iamat (herd, "C", "IAMAT gamma +2+2 20\n");
    s_everywhere_t check = {herd, "gamma", c};
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    //  Every node stops, saving its table, and starts again
    const char *names[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++)
        herd_test_herd_signal (herd, names[i], SIGTERM);
    herd_test_herd_start_all (herd);
    const char *clients[] = {"alpha", "gamma"};
    const char *lines[] = {a, c};
    for (int i = 0; i < 2; i++) {
        check.client = clients[i];
        check.expected = lines[i];
        assert_true (s_everywhere (&check));
    }
    free (a);
    free (c);
    herd_test_herd_destroy (&herd);
    s_remove_states (directory);
}

static void
test_a_killed_herd_keeps_what_was_saved (void **state)
{
    (void) state;
    char *directory;
    herd_test_herd_t *herd =
        s_stateful_herd (&directory, "    state_interval_ms = 200\n");
    char *b = herd_test_iamat (herd, "B", "IAMAT beta +1+1 10\n");
    const char *names[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++)
        assert_true (herd_test_herd_log_wait (
            herd, names[i], "state saved records=1 ", 1, S_DEADLINE));
    for (int i = 0; i < 3; i++)
        herd_test_herd_signal (herd, names[i], SIGKILL);
    herd_test_herd_start_all (herd);
    s_everywhere_t check = {herd, "beta", b};
    assert_true (s_everywhere (&check));
    free (b);
    herd_test_herd_destroy (&herd);
    s_remove_states (directory);
}

static void
test_a_sixth_node_joins_a_running_herd_on_sighup (void **state)
{
    (void) state;
    //  The 2022 herd, and Newman, who will be linked to Clark and Bernard
    const char *names[] = {"Juzang",  "Bernard", "Jaquez",
                           "Johnson", "Clark",   "Newman"};
    const char *links[] = {"Clark Jaquez",    "Clark Juzang",
                           "Bernard Jaquez",  "Bernard Juzang",
                           "Bernard Johnson", "Juzang Johnson",
                           "Newman Clark",    "Newman Bernard"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 6, links, 8, NULL);
    herd_test_herd_rewrite (herd, 5, 6);
    for (int i = 0; i < 5; i++)
        herd_test_herd_start (herd, names[i]);
    assert_true (
        herd_test_herd_log_wait (herd, "Clark", "link synced", 2, S_DEADLINE));
    char *old = herd_test_iamat (herd, "Johnson", "IAMAT before +1+1 1\n");
    //  A bad file first: refused, nothing changes
    FILE *file = fopen (herd_test_herd_topology (herd), "w");
    fputs ("nodes\n    Clark\n        client = nonsense\n", file);
    fclose (file);
    herd_test_herd_signal (herd, "Clark", SIGHUP);
    assert_true (
        herd_test_herd_log_wait (herd, "Clark", "not reloaded", 1, S_DEADLINE));
    //  The refusal says where, as herd check would
    assert_int_equal (
        herd_test_herd_log_count (herd, "Clark", ".zpl:3: nodes/Clark/client"),
        1);
    //  Then the herd with Newman: every node reads it, Newman starts
    herd_test_herd_rewrite (herd, 6, 8);
    for (int i = 0; i < 5; i++)
        herd_test_herd_signal (herd, names[i], SIGHUP);
    for (int i = 0; i < 5; i++)
        assert_true (herd_test_herd_log_wait (
            herd, names[i], "topology reloaded", 1, S_DEADLINE));
    herd_test_herd_start (herd, "Newman");
    assert_true (
        herd_test_herd_log_wait (herd, "Newman", "link synced", 2, S_DEADLINE));
    //  Newman caught up with what came before it, and updates flow both
    //  ways through its new links
    char *line = s_at_line (herd, "Newman", "before");
    assert_string_equal (line, old);
    free (line);
    char *from_newman = herd_test_iamat (herd, "Newman", "IAMAT new +2+2 2\n");
    s_everywhere_t check = {herd, "new", from_newman};
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    char *to_newman = herd_test_iamat (herd, "Jaquez", "IAMAT other +3+3 3\n");
    check.client = "other";
    check.expected = to_newman;
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    //  And a link removed: closed on both sides, nothing else disturbed
    herd_test_herd_rewrite (herd, 6, 7);
    herd_test_herd_signal (herd, "Newman", SIGHUP);
    herd_test_herd_signal (herd, "Bernard", SIGHUP);
    assert_true (
        herd_test_herd_log_wait (herd, "Newman", "removed=1", 1, S_DEADLINE));
    assert_true (
        herd_test_herd_log_wait (herd, "Bernard", "removed=1", 1, S_DEADLINE));
    char *last = herd_test_iamat (herd, "Newman", "IAMAT last +4+4 4\n");
    check.client = "last";
    check.expected = last;
    assert_true (herd_test_wait_until (s_everywhere, &check, S_DEADLINE));
    free (last);
    free (old);
    free (from_newman);
    free (to_newman);
    herd_test_herd_destroy (&herd);
}

//  Churn: nodes killed (-9) and restarted at random while IAMATs keep
//  coming; at the end every node holds exactly the newest record of every
//  client.  HERD_SOAK_SECONDS long (10 in make test, 60 in make soak).
static void
test_a_churned_herd_converges_to_the_newest_records (void **state)
{
    (void) state;
    const char *seconds_text = getenv ("HERD_SOAK_SECONDS");
    int64_t seconds = seconds_text ? atoll (seconds_text) : 10;
    herd_test_herd_t *herd =
        herd_test_herd_from_file ("deploy/topologies/cs131-2022.zpl", NULL);
    herd_test_herd_start_all (herd);
    size_t nodes = herd_test_herd_size (herd);
    //  Clark is never killed: its memory must stay flat
    int clark = herd_test_herd_pid (herd, "Clark");
    enum { CLIENTS = 50 };
    char *expected[CLIENTS] = {NULL};
    bool down[8] = {false};
    int64_t up_again[8] = {0};
    unsigned seed = 2022;
    uint64_t sent = 0, kills = 0;
    size_t rss_start = 0;
    int64_t start = zclock_mono (), end = start + seconds * 1000;
    int64_t next_kill = start + 300;
    while (zclock_mono () < end) {
        int64_t now = zclock_mono ();
        if (!rss_start && now > start + 1000)
            rss_start = herd_test_rss_kib (clark);
        //  Restarts that are due, then maybe a kill (two down at most)
        size_t down_count = 0;
        for (size_t i = 0; i < nodes; i++) {
            if (down[i] && now >= up_again[i]) {
                herd_test_herd_start (herd, herd_test_herd_name (herd, i));
                down[i] = false;
            }
            down_count += down[i];
        }
        if (now >= next_kill && down_count < 2) {
            size_t victim = (size_t) rand_r (&seed) % nodes;
            const char *name = herd_test_herd_name (herd, victim);
            if (!down[victim] && !streq (name, "Clark")) {
                herd_test_herd_signal (herd, name, SIGKILL);
                down[victim] = true;
                up_again[victim] = now + 200 + rand_r (&seed) % 600;
                kills++;
            }
            next_kill = now + 200 + rand_r (&seed) % 400;
        }
        //  An IAMAT at a live node, for a random client, newer than all
        size_t at = (size_t) rand_r (&seed) % nodes;
        if (down[at])
            continue;
        int client = rand_r (&seed) % CLIENTS;
        char request[96];
        snprintf (request, sizeof (request),
                  "IAMAT churn%d +%d.5-%d.5 %" PRIu64 ".5\n", client, client,
                  client, 1000 + sent);
        char *reply = herd_test_grader (
            herd_test_herd_port (herd, herd_test_herd_name (herd, at)), request,
            S_DEADLINE);
        assert_int_equal (strncmp (reply, "AT ", 3), 0);
        reply[strlen (reply) - 1] = 0;
        free (expected[client]);
        expected[client] = reply;
        sent++;
    }
    for (size_t i = 0; i < nodes; i++)
        if (down[i])
            herd_test_herd_start (herd, herd_test_herd_name (herd, i));
    size_t rss_end = herd_test_rss_kib (clark);
    print_message ("churn: %" PRId64 " s, %" PRIu64 " IAMATs, %" PRIu64
                   " kills; Clark RSS %zu KiB then %zu KiB\n",
                   seconds, sent, kills, rss_start, rss_end);
    for (int c = 0; c < CLIENTS; c++) {
        if (!expected[c])
            continue;
        char client[32];
        snprintf (client, sizeof (client), "churn%d", c);
        s_everywhere_t check = {herd, client, expected[c]};
        if (!herd_test_wait_until (s_everywhere, &check, S_DEADLINE))
            fail_msg ("%s: not every node holds %s", client, expected[c]);
        free (expected[c]);
    }
    if (!getenv ("HERD_VALGRIND") && !getenv ("HERD_SANITIZED")
        && rss_end > rss_start + rss_start / 5)
        fail_msg ("Clark grew from %zu to %zu KiB", rss_start, rss_end);
    herd_test_herd_destroy (&herd);
}

//  Is catch-up between a and b over: every HELLO each sent taken by the
//  other, and the last snapshot each began sent in full?
typedef struct {
    herd_test_herd_t *herd;
    const char *a, *b;
} s_pair_t;

//  Does the last line of path that holds one of the two needles hold the
//  second?
static bool
s_last_is (const char *path, const char *first, const char *second)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char line[512];
    bool last = false;
    while (fgets (line, sizeof (line), file))
        if (strstr (line, first))
            last = false;
        else if (strstr (line, second))
            last = true;
    fclose (file);
    return last;
}

static bool
s_caught_up (herd_test_herd_t *herd, const char *from, const char *to)
{
    char sent[64], taken[64], starts[64], done[64];
    snprintf (sent, sizeof (sent), "hello tx to=%s ", to);
    snprintf (taken, sizeof (taken), "hello rx from=%s ", from);
    snprintf (starts, sizeof (starts), "snapshot to %s starts", to);
    snprintf (done, sizeof (done), "snapshot to %s done", to);
    char *path = herd_test_herd_log_path (herd, from);
    bool over = herd_test_herd_log_count (herd, from, sent)
                    == herd_test_herd_log_count (herd, to, taken)
                && s_last_is (path, starts, done);
    free (path);
    return over;
}

static bool
s_quiet (void *arg)
{
    s_pair_t *pair = (s_pair_t *) arg;
    return s_caught_up (pair->herd, pair->a, pair->b)
           && s_caught_up (pair->herd, pair->b, pair->a);
}

//  Found in review: a reload destroyed the catch-up state of the links
//  while its timer was still armed in the loop, and the timer then ran on
//  freed memory (ASan: heap-use-after-free; make test runs this under
//  ASan).  Reloads while a 100,000-record snapshot is under way to B, and
//  C, a neighbour that is down, never comes.
static void
test_reloads_during_a_snapshot_are_safe (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "A C"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 3, links, 2, NULL);
    herd_test_herd_start (herd, "A");
    s_fill (herd, "A", 100000);
    herd_test_herd_start (herd, "B");
    assert_true (herd_test_herd_log_wait (herd, "A", "snapshot to B starts", 1,
                                          S_DEADLINE));
    //  Each reload sends B our records again: a snapshot is under way at
    //  every reload, and another follows it
    for (size_t i = 1; i <= 10; i++) {
        herd_test_herd_signal (herd, "A", SIGHUP);
        if (!herd_test_herd_log_wait (herd, "A", "topology reloaded", i,
                                      S_DEADLINE))
            fail_msg ("A did not reload %zu times", i);
    }
    assert_true (herd_test_herd_log_wait (
        herd, "B", "link synced A records=100000", 1, 60000));
    assert_int_equal (kill (herd_test_herd_pid (herd, "A"), 0), 0);
    //  Stopped in the middle of a SNAP, a node's neighbour may leak the
    //  part it had (libzmq keeps a multipart message cut short by a lost
    //  connection, README: known limits): the herd stops once it is quiet
    s_pair_t pair = {herd, "A", "B"};
    assert_true (herd_test_wait_until (s_quiet, &pair, 60000));
    char *expected = s_at_line (herd, "A", "c099999");
    char *line = s_at_line (herd, "B", "c099999");
    assert_true (*expected);
    assert_string_equal (line, expected);
    free (line);
    free (expected);
    herd_test_herd_destroy (&herd);
}

//  Found in review: with every held-reply slot in use (64 neighbours), a
//  reload that moved a neighbour made its new peer before closing its
//  old one, so the new one got no slot, and IAMAT replies stopped waiting
//  for that neighbour's ACK.  B moves to a new port; A has 63 neighbours
//  more, all down.
static void
test_a_moved_neighbour_keeps_its_place_among_64 (void **state)
{
    (void) state;
    enum { OTHERS = HERD_TEST_SLOTS - 1 };
    const char *names[OTHERS + 2];
    const char *links[OTHERS + 1];
    char buffers[OTHERS][2][16];
    names[0] = "A";
    names[1] = "B";
    links[0] = "A B";
    for (int i = 0; i < OTHERS; i++) {
        snprintf (buffers[i][0], 16, "N%02d", i);
        snprintf (buffers[i][1], 16, "A N%02d", i);
        names[i + 2] = buffers[i][0];
        links[i + 1] = buffers[i][1];
    }
    herd_test_herd_t *herd =
        herd_test_herd_new (names, OTHERS + 2, links, OTHERS + 1, NULL);
    herd_test_herd_start (herd, "A");
    herd_test_herd_start (herd, "B");
    assert_true (
        herd_test_herd_log_wait (herd, "A", "link synced B", 1, S_DEADLINE));
    //  B's herd endpoint moves: its old link closes, a new one opens
    char *endpoint = herd_test_herd_endpoint (herd, "B");
    char *moved = zsys_sprintf ("tcp://127.0.0.1:%u", herd_test_free_port ());
    char *text = NULL;
    size_t size = 0;
    FILE *file = fopen (herd_test_herd_topology (herd), "r");
    assert_int_equal (getdelim (&text, &size, 0, file) > 0, 1);
    fclose (file);
    char *at = strstr (text, endpoint);
    assert_non_null (at);
    file = fopen (herd_test_herd_topology (herd), "w");
    fprintf (file, "%.*s%s%s", (int) (at - text), text, moved,
             at + strlen (endpoint));
    fclose (file);
    herd_test_herd_signal (herd, "B", SIGTERM);
    herd_test_herd_start (herd, "B");
    herd_test_herd_signal (herd, "A", SIGHUP);
    assert_true (
        herd_test_herd_log_wait (herd, "A", "removed=1", 1, S_DEADLINE));
    assert_true (
        herd_test_herd_log_wait (herd, "A", "link synced B", 2, S_DEADLINE));
    //  B frozen: A's reply waits for its ACK until the timeout
    herd_test_herd_signal (herd, "B", SIGSTOP);
    char *reply = herd_test_grader (herd_test_herd_port (herd, "A"),
                                    "IAMAT waited +1-1 1\n", S_DEADLINE);
    assert_non_null (strstr (reply, "AT A "));
    assert_true (herd_test_herd_log_wait (
        herd, "A", "answered without every ACK", 1, S_DEADLINE));
    herd_test_herd_signal (herd, "B", SIGCONT);
    free (reply);
    free (text);
    free (moved);
    free (endpoint);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_restarted_node_catches_up),
        cmocka_unit_test (test_a_snapshot_of_100000_records_gets_through),
        cmocka_unit_test (test_a_healed_partition_converges),
        cmocka_unit_test (test_a_whole_herd_restart_loses_nothing),
        cmocka_unit_test (test_a_killed_herd_keeps_what_was_saved),
        cmocka_unit_test (test_a_sixth_node_joins_a_running_herd_on_sighup),
        cmocka_unit_test (test_reloads_during_a_snapshot_are_safe),
        cmocka_unit_test (test_a_moved_neighbour_keeps_its_place_among_64),
        cmocka_unit_test (test_a_churned_herd_converges_to_the_newest_records),
    };
    return cmocka_run_group_tests_name ("e2e_sync", tests, NULL, NULL);
}
