/*  test_e2e_links - how links keep their connections, with real node
    processes: binding apart from what neighbours dial, the link timing
    settings, the reply's hold and reply_after, and asking the other neighbours for their
    records when a link goes down (proto/herd.md, sections 1, 4 and 5)  */

#include "herd_test.h"

#include <czmq.h>
#include <signal.h>

#define S_DEADLINE 10000

typedef struct {
    herd_test_herd_t *herd;
    const char *node;
    const char *request;   //  A WHATSAT
    const char *expected;  //  Its first line must be this
} s_answer_t;

static bool
s_answers (void *arg)
{
    s_answer_t *answer = (s_answer_t *) arg;
    char *reply =
        herd_test_grader (herd_test_herd_port (answer->herd, answer->node),
                          answer->request, S_DEADLINE);
    bool same =
        strncmp (reply, answer->expected, strlen (answer->expected)) == 0
        && reply[strlen (answer->expected)] == '\n';
    free (reply);
    return same;
}

//  Links that heartbeat every 100 ms and are found down after 400 ms.
#define S_FAST_LINKS "    link_heartbeat_ms = 100\n    link_timeout_ms = 400\n"

//  A herd of A with neighbours B and C, its links S_FAST_LINKS; not
//  started.
static herd_test_herd_t *
s_star (void)
{
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "A C"};
    return herd_test_herd_new (names, 3, links, 2, S_FAST_LINKS);
}

//  Each node binds 0.0.0.0 while its neighbours dial its name: a node in
//  a container, or under Docker Swarm, where its name is not an address
//  of its own.
static void
test_nodes_bind_apart_from_what_neighbours_dial (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "B C"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 3, links, 2, NULL);
    herd_test_herd_by_name (herd);
    herd_test_herd_start_all (herd);
    assert_true (herd_test_herd_log_wait (herd, "A", "ready client=0.0.0.0:", 1,
                                          S_DEADLINE));
    assert_true (herd_test_herd_log_wait (herd, "A", "herd=tcp://0.0.0.0:", 1,
                                          S_DEADLINE));
    char *at =
        herd_test_iamat (herd, "A", "IAMAT kiwi +34.06-118.44 1621464827.9\n");
    s_answer_t answer = {herd, "C", "WHATSAT kiwi 10 1\n", at};
    assert_true (herd_test_wait_until (s_answers, &answer, S_DEADLINE));
    free (at);
    herd_test_herd_destroy (&herd);
}

//  A frozen neighbour is dropped after link_timeout_ms, not the default's
//  3 s.
static void
test_link_timeout_ms_drops_a_frozen_neighbour (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, 2, links, 1, S_FAST_LINKS);
    herd_test_herd_start_all (herd);
    int64_t start = zclock_mono ();
    herd_test_herd_signal (herd, "B", SIGSTOP);
    assert_true (
        herd_test_herd_log_wait (herd, "A", "link down B", 1, S_DEADLINE));
    int64_t elapsed = zclock_mono () - start;
    if (elapsed > 2000)
        fail_msg ("a frozen neighbour took %" PRId64 " ms to be dropped",
                  elapsed);
    herd_test_herd_signal (herd, "B", SIGCONT);
    herd_test_herd_destroy (&herd);
}

//  An IAMAT reply waits for a frozen neighbour's ACK at most ack_hold_ms.
static void
test_ack_hold_ms_bounds_the_reply (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, 2, links, 1, "    ack_hold_ms = 700\n");
    herd_test_herd_start_all (herd);
    //  Frozen, B's link stays up for the default 3 s: the reply waits
    herd_test_herd_signal (herd, "B", SIGSTOP);
    int64_t start = zclock_mono ();
    free (herd_test_iamat (herd, "A", "IAMAT kiwi +1+1 1\n"));
    int64_t elapsed = zclock_mono () - start;
    if (elapsed < 650 || elapsed > 2500)
        fail_msg ("the reply took %" PRId64 " ms, not about 700", elapsed);
    herd_test_herd_signal (herd, "B", SIGCONT);
    herd_test_herd_destroy (&herd);
}

//  reply_after = store: the reply goes once the node has stored the update,
//  whatever its neighbours do; the flood goes on behind it.
static void
test_reply_after_store_does_not_wait_for_a_frozen_neighbour (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd = herd_test_herd_new (
        names, 2, links, 1,
        "    reply_after = store\n    ack_hold_ms = 5000\n");
    herd_test_herd_start_all (herd);
    herd_test_herd_signal (herd, "B", SIGSTOP);
    int64_t start = zclock_mono ();
    char *reply = herd_test_iamat (herd, "A", "IAMAT kiwi +1+1 1\n");
    int64_t elapsed = zclock_mono () - start;
    if (elapsed > 500)
        fail_msg ("the reply took %" PRId64 " ms: it waited for B", elapsed);
    herd_test_herd_signal (herd, "B", SIGCONT);
    //  B gets it all the same
    s_answer_t answer = {herd, "B", "WHATSAT kiwi 10 1\n", reply};
    assert_true (herd_test_wait_until (s_answers, &answer, S_DEADLINE));
    free (reply);
    herd_test_herd_destroy (&herd);
}

//  The ACKs A's metrics page counts after B stored count IAMATs of A's.
static int
s_acks_after (const char *settings, int count)
{
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    char *all = zsys_sprintf ("%s    metrics = 127.0.0.1:0\n", settings);
    herd_test_herd_t *herd = herd_test_herd_new (names, 2, links, 1, all);
    free (all);
    herd_test_herd_start_all (herd);
    for (int i = 0; i < count; i++) {
        char *request = zsys_sprintf ("IAMAT kiwi%d +1+1 1\n", i);
        free (herd_test_iamat (herd, "A", request));
        free (request);
    }
    assert_true (herd_test_herd_log_wait (herd, "B", "update stored from=A",
                                          (size_t) count, S_DEADLINE));
    //  The port the kernel gave A's metrics, from its log
    char *path = herd_test_herd_log_path (herd, "A");
    zchunk_t *log = zchunk_slurp (path, 0);
    assert_non_null (log);
    char *text = zchunk_strdup (log);
    const char *at = strstr (text, "metrics on http://127.0.0.1:");
    assert_non_null (at);
    uint16_t port =
        (uint16_t) atoi (at + strlen ("metrics on http://127.0.0.1:"));
    char *page =
        herd_test_grader (port, "GET /metrics HTTP/1.0\r\n\r\n", S_DEADLINE);
    const char *needle =
        "herd_messages_received_total{node=\"A\",command=\"ACK\"} ";
    const char *line = strstr (page, needle);
    assert_non_null (line);
    int acks = atoi (line + strlen (needle));
    free (page);
    free (text);
    zchunk_destroy (&log);
    free (path);
    herd_test_herd_destroy (&herd);
    return acks;
}

//  Replies that wait for nobody want no ACK: B sends none for A's updates
//  (each one a message that wakes both ends), as the AT says.
static void
test_a_neighbour_acks_only_what_a_reply_waits_for (void **state)
{
    (void) state;
    int acks = s_acks_after ("", 10);
    if (acks < 1 || acks > 10)
        fail_msg ("%d ACKs for 10 held replies", acks);
    assert_int_equal (s_acks_after ("    reply_after = store\n", 10), 0);
    assert_int_equal (s_acks_after ("    ack_hold_ms = 0\n", 10), 0);
}

//  When a link goes down, what was stored while it was dead but not yet
//  known to be may name that neighbour as holding it: the node asks each
//  other neighbour for its records, two heartbeats and a second later.
static void
test_a_link_down_asks_the_other_neighbours (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_star ();
    herd_test_herd_start_all (herd);
    size_t before =
        herd_test_herd_log_count (herd, "C", "snapshot to A starts");
    size_t hellos = herd_test_herd_log_count (herd, "C", "hello tx to=A");
    herd_test_herd_signal (herd, "B", SIGKILL);
    assert_true (
        herd_test_herd_log_wait (herd, "A", "link down B", 1, S_DEADLINE));
    int64_t down = zclock_mono ();
    assert_true (herd_test_herd_log_wait (
        herd, "A", "link C: asking for its records", 1, S_DEADLINE));
    int64_t elapsed = zclock_mono () - down;
    if (elapsed < 1000 || elapsed > 4000)
        fail_msg ("asked after %" PRId64 " ms, not about 1200", elapsed);
    assert_true (herd_test_herd_log_wait (herd, "C", "snapshot to A starts",
                                          before + 1, S_DEADLINE));
    //  A HELLO that asks again ("R"), and for no HELLO back: C does not
    //  ask A for A's records
    assert_int_equal (
        herd_test_herd_log_count (herd, "A", "hello tx to=C answer=R"), 1);
    assert_int_equal (herd_test_herd_log_count (herd, "C", "hello tx to=A"),
                      hellos);
    herd_test_herd_destroy (&herd);
}

//  A reply held for a neighbour's ACK goes as soon as that neighbour's
//  link is known to be down, however long the hold.
static void
test_a_held_reply_stops_waiting_for_a_link_found_down (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd = herd_test_herd_new (
        names, 2, links, 1, "    ack_hold_ms = 20000\n" S_FAST_LINKS);
    herd_test_herd_start_all (herd);
    herd_test_herd_signal (herd, "B", SIGSTOP);
    int64_t start = zclock_mono ();
    free (herd_test_iamat (herd, "A", "IAMAT kiwi +1+1 1\n"));
    int64_t elapsed = zclock_mono () - start;
    //  Found in review: it waited the whole 20 s
    if (elapsed > 5000)
        fail_msg ("the reply took %" PRId64 " ms", elapsed);
    herd_test_herd_signal (herd, "B", SIGCONT);
    herd_test_herd_destroy (&herd);
}

//  The far end may have other settings: the others are asked once it has
//  surely found the link down too, by its heartbeat and timeout.
static void
test_the_resync_waits_for_the_far_end (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_star ();
    //  B's own: it notices (1,200 + 300) - (400 - 100) = 1,200 ms later
    //  than A at most
    char *path = strdup (herd_test_herd_topology (herd));
    char *text = NULL;
    size_t size = 0;
    FILE *file = fopen (path, "r");
    assert_true (getdelim (&text, &size, 0, file) > 0);
    fclose (file);
    char *b = strstr (text, "    B\n");
    assert_non_null (b);
    file = fopen (path, "w");
    fprintf (file,
             "%.*s    B\n        link_heartbeat_ms = 300\n"
             "        link_timeout_ms = 1200\n%s",
             (int) (b - text), text, b + 6);
    fclose (file);
    free (text);
    free (path);
    herd_test_herd_start_all (herd);
    herd_test_herd_signal (herd, "B", SIGKILL);
    assert_true (
        herd_test_herd_log_wait (herd, "A", "link down B", 1, S_DEADLINE));
    int64_t down = zclock_mono ();
    assert_true (herd_test_herd_log_wait (
        herd, "A", "link C: asking for its records", 1, S_DEADLINE));
    int64_t elapsed = zclock_mono () - down;
    if (elapsed < 2000 || elapsed > 5000)
        fail_msg ("asked after %" PRId64 " ms, not about 2,200", elapsed);
    herd_test_herd_destroy (&herd);
}

//  A link removed from the topology of one end only: the other end still
//  sends to it, and names it in the seen sets of what it sends the rest.
//  The end that dropped the link hears from it, and asks its neighbours.
static void
test_a_node_that_dropped_a_link_still_gets_what_came_that_way (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "X"};
    const char *links[] = {"A B", "B X", "A X"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, 3, links, 3, S_FAST_LINKS);
    herd_test_herd_start_all (herd);
    //  A-X leaves A's topology; X is not told
    herd_test_herd_rewrite (herd, 3, 2);
    herd_test_herd_signal (herd, "A", SIGHUP);
    assert_true (herd_test_herd_log_wait (herd, "A", "topology reloaded", 1,
                                          S_DEADLINE));
    //  Past the resync the reload itself asked for
    assert_true (herd_test_herd_log_wait (
        herd, "A", "link B: asking for its records", 1, S_DEADLINE));
    char *at = herd_test_iamat (herd, "X", "IAMAT kiwi +1+1 1\n");
    s_answer_t answer = {herd, "A", "WHATSAT kiwi 10 1\n", at};
    assert_true (herd_test_wait_until (s_answers, &answer, S_DEADLINE));
    free (at);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nodes_bind_apart_from_what_neighbours_dial),
        cmocka_unit_test (test_link_timeout_ms_drops_a_frozen_neighbour),
        cmocka_unit_test (test_ack_hold_ms_bounds_the_reply),
        cmocka_unit_test (
            test_reply_after_store_does_not_wait_for_a_frozen_neighbour),
        cmocka_unit_test (test_a_neighbour_acks_only_what_a_reply_waits_for),
        cmocka_unit_test (test_a_link_down_asks_the_other_neighbours),
        cmocka_unit_test (
            test_a_held_reply_stops_waiting_for_a_link_found_down),
        cmocka_unit_test (test_the_resync_waits_for_the_far_end),
        cmocka_unit_test (
            test_a_node_that_dropped_a_link_still_gets_what_came_that_way),
    };
    return cmocka_run_group_tests_name ("e2e_links", tests, NULL, NULL);
}
