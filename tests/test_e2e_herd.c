/*  test_e2e_herd - flooding across real herds of the shipped topologies  */

#include "herd_test.h"
#include "herd_wire.h"

#include <czmq.h>
#include <signal.h>

#define S_DEADLINE 5000

static const char *s_years[] = {"2018", "2020", "2021", "2022", "2023"};

static herd_test_herd_t *
s_herd (const char *year, const char *settings)
{
    char *path = zsys_sprintf ("deploy/topologies/cs131-%s.zpl", year);
    herd_test_herd_t *herd = herd_test_herd_from_file (path, settings);
    free (path);
    herd_test_herd_start_all (herd);
    return herd;
}

static char *
s_iamat (herd_test_herd_t *herd, const char *node, const char *request)
{
    return herd_test_grader (herd_test_herd_port (herd, node), request,
                             S_DEADLINE);
}

typedef struct {
    herd_test_herd_t *herd;
    const char *node;
    const char *request;   //  A WHATSAT line
    const char *expected;  //  What its reply must start with
} s_ask_t;

static bool
s_answers (void *arg)
{
    s_ask_t *ask = (s_ask_t *) arg;
    char *reply = herd_test_grader (herd_test_herd_port (ask->herd, ask->node),
                                    ask->request, S_DEADLINE);
    bool same = strncmp (reply, ask->expected, strlen (ask->expected)) == 0;
    free (reply);
    return same;
}

//  Every node in names answers WHATSAT for client with at_line (soon).
static void
s_assert_everywhere (herd_test_herd_t *herd,
                     const char *client,
                     const char *at_line)
{
    char *request = zsys_sprintf ("WHATSAT %s 5 1\n", client);
    for (size_t i = 0; i < herd_test_herd_size (herd); i++) {
        s_ask_t ask = {herd, herd_test_herd_name (herd, i), request, at_line};
        if (!herd_test_wait_until (s_answers, &ask, S_DEADLINE))
            fail_msg ("%s does not answer %s with %s", ask.node, client,
                      at_line);
    }
    free (request);
}

//  Herd messages carrying updates that nodes took: each is logged once, as
//  "update stored from=" or "update stale from=" (proto/monitor.md).
static size_t
s_messages (herd_test_herd_t *herd)
{
    return herd_test_herd_log_total (herd, "update stored from=")
           + herd_test_herd_log_total (herd, "update stale from=");
}

static bool
s_all_stored (void *arg)
{
    herd_test_herd_t *herd = (herd_test_herd_t *) arg;
    //  The origin logs "stored originator=", the others "stored from="
    return herd_test_herd_log_total (herd, "update stored")
           == herd_test_herd_size (herd);
}

//  Flooding, and on broadcast trees (whose first update floods too).
static void
test_an_update_reaches_every_node_of_every_topology (void **state)
{
    (void) state;
    for (size_t y = 0; y < 10; y++) {
        herd_test_herd_t *herd =
            s_herd (s_years[y % 5], y < 5 ? NULL : "    broadcast = tree");
        size_t nodes = herd_test_herd_size (herd);
        size_t links = herd_test_herd_links (herd);
        const char *origin = herd_test_herd_name (herd, y % 5 % nodes);
        char *at = s_iamat (herd, origin,
                            "IAMAT kiwi.cs.ucla.edu "
                            "+34.068930-118.445127 "
                            "1621464827.959498503\n");
        at[strlen (at) - 1] = 0;
        s_assert_everywhere (herd, "kiwi.cs.ucla.edu", at);
        assert_true (herd_test_wait_until (s_all_stored, herd, S_DEADLINE));
        //  Each node stores once and forwards once; the origin to all its
        //  links, every other node to all but the sender: at most
        //  2L - N + 1 messages, and at least N - 1 (one per node reached)
        size_t messages = s_messages (herd);
        if (messages > 2 * links - nodes + 1 || messages < nodes - 1)
            fail_msg ("cs131-%s: %zu messages for %zu nodes, %zu links",
                      s_years[y % 5], messages, nodes, links);
        free (at);
        herd_test_herd_destroy (&herd);
    }
}

static void
test_a_complete_herd_needs_one_message_per_node (void **state)
{
    (void) state;
    //  Every node is the origin's neighbour: the origin sends to all, and
    //  its seen set tells each that the others have it too
    const char *names[] = {"A", "B", "C", "D"};
    const char *links[] = {"A B", "A C", "A D", "B C", "B D", "C D"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 4, links, 6, NULL);
    herd_test_herd_start_all (herd);
    char *at = s_iamat (herd, "A", "IAMAT kiwi +1-1 5\n");
    at[strlen (at) - 1] = 0;
    s_assert_everywhere (herd, "kiwi", at);
    assert_true (herd_test_wait_until (s_all_stored, herd, S_DEADLINE));
    assert_int_equal (s_messages (herd), 3);
    free (at);
    herd_test_herd_destroy (&herd);
}

static void
test_a_stale_iamat_changes_nothing_anywhere (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_herd ("2022", NULL);
    char *at = s_iamat (herd, "Clark", "IAMAT mover +1-1 2000\n");
    at[strlen (at) - 1] = 0;
    s_assert_everywhere (herd, "mover", at);
    assert_true (herd_test_wait_until (s_all_stored, herd, S_DEADLINE));
    size_t before = s_messages (herd);
    //  Older, at another node: answered there, stored and sent nowhere
    char *old = s_iamat (herd, "Johnson", "IAMAT mover +2-2 1000\n");
    assert_non_null (strstr (old, "AT Johnson "));
    assert_non_null (strstr (old, " mover +2-2 1000\n"));
    assert_int_equal (
        herd_test_herd_log_count (herd, "Johnson",
                                  "update stale client=\"mover\" (not newer)"),
        1);
    s_assert_everywhere (herd, "mover", at);
    assert_int_equal (s_messages (herd), before);
    free (old);
    free (at);
    herd_test_herd_destroy (&herd);
}

static void
test_nodes_down_leave_the_rest_working_and_rejoin (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_herd ("2022", NULL);
    char *first = s_iamat (herd, "Clark", "IAMAT phone +1-1 100\n");
    first[strlen (first) - 1] = 0;
    s_assert_everywhere (herd, "phone", first);
    //  Johnson's only neighbours are Bernard and Juzang
    herd_test_herd_signal (herd, "Bernard", SIGKILL);
    herd_test_herd_signal (herd, "Juzang", SIGKILL);
    char *second = s_iamat (herd, "Clark", "IAMAT phone +2-2 200\n");
    assert_non_null (strstr (second, " phone +2-2 200\n"));
    second[strlen (second) - 1] = 0;
    s_ask_t ask = {herd, "Jaquez", "WHATSAT phone 5 1\n", second};
    assert_true (herd_test_wait_until (s_answers, &ask, S_DEADLINE));
    //  Cut off, Johnson keeps its old copy and keeps answering
    ask.node = "Johnson";
    ask.expected = first;
    assert_true (s_answers (&ask));
    //  Back again: the links resume and the next update gets through
    herd_test_herd_start (herd, "Bernard");
    herd_test_herd_start (herd, "Juzang");
    assert_true (herd_test_herd_log_wait (herd, "Johnson", "link up Bernard", 2,
                                          S_DEADLINE));
    char *third = s_iamat (herd, "Clark", "IAMAT phone +3-3 300\n");
    third[strlen (third) - 1] = 0;
    s_assert_everywhere (herd, "phone", third);
    free (first);
    free (second);
    free (third);
    herd_test_herd_destroy (&herd);
}

static void
test_a_node_stops_cleanly_within_a_second (void **state)
{
    (void) state;
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, NULL);
    herd_test_herd_start_all (herd);
    //  A client holding a connection open does not delay the stop
    int fd = herd_test_connect (herd_test_herd_port (herd, "Solo"));
    int64_t took = herd_test_herd_signal (herd, "Solo", SIGTERM);
    assert_true (took < 1000);
    assert_true (herd_test_closed (fd, S_DEADLINE));
    close (fd);
    assert_int_equal (herd_test_herd_log_count (herd, "Solo", "notice stopped"),
                      1);
    herd_test_herd_destroy (&herd);
}

static void
test_sighup_reopens_the_log (void **state)
{
    (void) state;
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, NULL);
    herd_test_herd_start_all (herd);
    char *path = herd_test_herd_log_path (herd, "Solo");
    char *rotated = zsys_sprintf ("%s.1", path);
    assert_int_equal (rename (path, rotated), 0);
    herd_test_herd_signal (herd, "Solo", SIGHUP);
    assert_true (
        herd_test_herd_log_wait (herd, "Solo", "log reopened", 1, S_DEADLINE));
    free (herd_test_grader (herd_test_herd_port (herd, "Solo"), "x\n",
                            S_DEADLINE));
    assert_true (herd_test_herd_log_wait (herd, "Solo", "in conn=1 \"x\"", 1,
                                          S_DEADLINE));
    free (rotated);
    free (path);
    herd_test_herd_destroy (&herd);
}

//  In and out records name the client a line is about, valid or not, and
//  the `? ` reply too (herd monitor --follow finds them by it).
static void
test_lines_and_replies_name_their_client (void **state)
{
    (void) state;
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, NULL);
    herd_test_herd_start_all (herd);
    char *reply = herd_test_grader (herd_test_herd_port (herd, "Solo"),
                                    "IAMAT kiwi +91-1 5\n", S_DEADLINE);
    assert_string_equal (reply, "? IAMAT kiwi +91-1 5\n");
    free (reply);
    const char *records[] = {
        "in conn=1 client=\"kiwi\" \"IAMAT kiwi +91-1 5\"",
        "out conn=1 client=\"kiwi\" \"? IAMAT kiwi +91-1 5\\n\"",
    };
    for (size_t i = 0; i < 2; i++)
        if (!herd_test_herd_log_wait (herd, "Solo", records[i], 1, S_DEADLINE))
            fail_msg ("no %s in the log", records[i]);
    herd_test_herd_destroy (&herd);
}

static bool
s_dropped (void *arg)
{
    return herd_test_herd_log_count ((herd_test_herd_t *) arg, "A",
                                     "reply dropped")
           > 0;
}

//  Found in review: a reply to a connection already gone was logged as
//  sent ("out") before the front end refused it.
static void
test_a_dropped_reply_is_no_out_record (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 2, links, 1, NULL);
    herd_test_herd_start_all (herd);
    //  B frozen: A holds the reply for B's ACK, up to its timeout
    herd_test_herd_signal (herd, "B", SIGSTOP);
    int fd = herd_test_connect (herd_test_herd_port (herd, "A"));
    herd_test_send (fd, "IAMAT gone +1-1 1\n", 18);
    assert_true (
        herd_test_herd_log_wait (herd, "A", "in conn=1 ", 1, S_DEADLINE));
    struct linger reset = {1, 0};  //  Closed with a reset: no EOF to wait on
    setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof (reset));
    close (fd);
    assert_true (herd_test_wait_until (s_dropped, herd, S_DEADLINE));
    assert_int_equal (herd_test_herd_log_count (herd, "A", "out conn=1 "), 0);
    herd_test_herd_signal (herd, "B", SIGCONT);
    herd_test_herd_destroy (&herd);
}

//  A message of the text frames given (the list ended by NULL).
static zmsg_t *
s_text_msg (const char *const frames[])
{
    zmsg_t *msg = zmsg_new ();
    for (int i = 0; frames[i]; i++)
        zmsg_addstr (msg, frames[i]);
    return msg;
}

static void
test_bad_herd_frames_are_dropped_and_logged (void **state)
{
    (void) state;
    const char *names[] = {"A", "B"};
    const char *links[] = {"A B"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 2, links, 1, NULL);
    herd_test_herd_start_all (herd);
    const char *line = "AT A +0.1 injected +1-1 99";
    //  A stranger; then as neighbour B: a wrong signature (version 1's), a
    //  malformed AT, an AT whose line names another node, a command of a
    //  newer version
    zmsg_t *from_mallory[] = {herd_test_at ("A", 1, 1, "A", line), NULL};
    herd_test_herd_pose (herd, "A", "Mallory", from_mallory);
    const char *signature[] = {"HERD1", "AT", "B", "0123456789abcdef",
                               "B",     line, NULL};
    const char *short_updates[] = {"HERD2", "AT", "x", NULL};
    const char *newer[] = {"HERD2", "GOSSIP", "hello", NULL};
    zmsg_t *from_b[] = {s_text_msg (signature), s_text_msg (short_updates),
                        herd_test_at ("B", 1, 1, "B", line), s_text_msg (newer),
                        NULL};
    herd_test_herd_pose (herd, "A", "B", from_b);
    const char *expected[] = {
        "not a neighbour", "bad signature", "AT without updates",
        "AT line names another originator", "ignored newer command"};
    for (size_t i = 0; i < sizeof (expected) / sizeof (expected[0]); i++)
        if (!herd_test_herd_log_wait (herd, "A", expected[i], 1, S_DEADLINE))
            fail_msg ("no \"%s\" in A's log", expected[i]);
    //  Nothing was applied, and the node works
    char *reply = herd_test_grader (herd_test_herd_port (herd, "A"),
                                    "WHATSAT injected 1 1\n", S_DEADLINE);
    assert_string_equal (reply, "? WHATSAT injected 1 1\n");
    free (reply);
    reply = herd_test_grader (herd_test_herd_port (herd, "A"),
                              "IAMAT fine +1-1 1\n", S_DEADLINE);
    assert_non_null (strstr (reply, "AT A "));
    free (reply);
    herd_test_herd_destroy (&herd);
}

//  An AT of one update, encoded here byte by byte (herd_wire refuses to
//  build what breaks its limits): seen may be of any size up to 65,535.
static zmsg_t *
s_raw_at (const char *originator, const char *seen, const char *line)
{
    size_t originator_size = strlen (originator), seen_size = strlen (seen);
    size_t line_size = strlen (line);
    size_t size = 4 + 1 + originator_size + 16 + 2 + seen_size + 4 + line_size;
    byte *frame = (byte *) zmalloc (size), *at = frame;
    *at++ = 0, *at++ = 0, *at++ = 0, *at++ = 1;  //  One update
    *at++ = (byte) originator_size;
    memcpy (at, originator, originator_size);
    at += originator_size;
    memset (at, 0, 16);
    at[7] = 1;   //  Epoch 1
    at[15] = 1;  //  Sequence 1
    at += 16;
    *at++ = (byte) (seen_size >> 8), *at++ = (byte) seen_size;
    memcpy (at, seen, seen_size);
    at += seen_size;
    *at++ = 0, *at++ = 0, *at++ = (byte) (line_size >> 8);
    *at++ = (byte) line_size;
    memcpy (at, line, line_size);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, HERD_WIRE_SIGNATURE);
    zmsg_addstr (msg, "AT");
    zmsg_addmem (msg, frame, size);
    free (frame);
    return msg;
}

//  A seen set of count valid names of size bytes each ("nnnn...0001,...").
static char *
s_names (size_t count, size_t size)
{
    char *seen = (char *) zmalloc (count * (size + 1) + 1);
    for (size_t i = 0; i < count; i++)
        sprintf (seen + strlen (seen), "%s%0*zu", i ? "," : "", (int) size, i);
    return seen;
}

//  Found in review: a peer's AT whose seen set was 65,535 bytes decoded,
//  and the node asserted (and died) when it added names to forward it.
//  Such a set is refused now; one at the limit (256 names) is forwarded,
//  with a seen set that fits.
static void
test_a_peer_cannot_abort_a_node_with_its_seen_set (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "A C"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 3, links, 2, NULL);
    herd_test_herd_start_all (herd);
    char *huge = s_names (1008, 64);  //  65,519 bytes
    char *full = s_names (256, 4);    //  The most names a set may hold
    zmsg_t *from_b[] = {
        s_raw_at ("B", huge, "AT B +0.1 huge +1-1 99"),
        s_raw_at ("B", full, "AT B +0.1 full +1-1 99"),
        NULL,
    };
    herd_test_herd_pose (herd, "A", "B", from_b);
    assert_true (herd_test_herd_log_wait (herd, "A", "seen set too large", 1,
                                          S_DEADLINE));
    //  A lives, and the full set's update reached C through A (not B: A
    //  took it from B)
    const char *reached[] = {"A", "C"};
    for (size_t i = 0; i < 2; i++) {
        s_ask_t ask = {herd, reached[i], "WHATSAT full 1 1\n",
                       "AT B +0.1 full +1-1 99\n"};
        if (!herd_test_wait_until (s_answers, &ask, S_DEADLINE))
            fail_msg ("%s does not answer for full", reached[i]);
    }
    assert_true (
        herd_test_herd_log_wait (herd, "C", "seen=A,C ", 1, S_DEADLINE));
    char *reply = herd_test_grader (herd_test_herd_port (herd, "C"),
                                    "WHATSAT huge 1 1\n", S_DEADLINE);
    assert_string_equal (reply, "? WHATSAT huge 1 1\n");
    free (reply);
    //  A frame over the limit: libzmq drops that connection, and A goes on
    zmsg_t *oversized[] = {zmsg_new (), NULL};
    zmsg_addstr (oversized[0], HERD_WIRE_SIGNATURE);
    zmsg_addstr (oversized[0], "AT");
    zframe_t *frame = zframe_new (NULL, HERD_WIRE_FRAME_MAX + 1);
    memset (zframe_data (frame), 0, zframe_size (frame));
    zmsg_append (oversized[0], &frame);
    herd_test_herd_pose (herd, "A", "B", oversized);
    reply = herd_test_grader (herd_test_herd_port (herd, "A"),
                              "WHATSAT full 1 1\n", S_DEADLINE);
    assert_non_null (strstr (reply, "AT B +0.1 full +1-1 99\n"));
    free (reply);
    free (huge);
    free (full);
    herd_test_herd_destroy (&herd);
}

//  Found when updates began to travel in batches (one AT message holds
//  every update a node floods in one turn): the node read the second and
//  later updates of a message from the wrong frame and dropped them all.
static void
test_a_burst_of_iamats_reaches_every_node (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "B C"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 3, links, 2, NULL);
    herd_test_herd_start_all (herd);
    enum { BURST = 300 };
    char *burst = (char *) zmalloc (BURST * 40);
    for (int i = 0; i < BURST; i++)
        sprintf (burst + strlen (burst), "IAMAT burst%d +1-1 %d\n", i, i + 1);
    free (herd_test_exchange (herd_test_herd_port (herd, "A"), burst,
                              S_DEADLINE));
    free (burst);
    //  All of them stored at the far end, nothing refused on the way
    assert_true (herd_test_herd_log_wait (herd, "C", "update stored from=B ",
                                          BURST, S_DEADLINE));
    assert_int_equal (herd_test_herd_log_count (herd, "B", "dropped"), 0);
    assert_int_equal (herd_test_herd_log_count (herd, "C", "dropped"), 0);
    s_assert_everywhere (herd, "burst0", "AT A ");
    s_assert_everywhere (herd, "burst299", "AT A ");
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_an_update_reaches_every_node_of_every_topology),
        cmocka_unit_test (test_a_complete_herd_needs_one_message_per_node),
        cmocka_unit_test (test_a_stale_iamat_changes_nothing_anywhere),
        cmocka_unit_test (test_nodes_down_leave_the_rest_working_and_rejoin),
        cmocka_unit_test (test_a_node_stops_cleanly_within_a_second),
        cmocka_unit_test (test_sighup_reopens_the_log),
        cmocka_unit_test (test_lines_and_replies_name_their_client),
        cmocka_unit_test (test_a_dropped_reply_is_no_out_record),
        cmocka_unit_test (test_bad_herd_frames_are_dropped_and_logged),
        cmocka_unit_test (test_a_burst_of_iamats_reaches_every_node),
        cmocka_unit_test (test_a_peer_cannot_abort_a_node_with_its_seen_set),
    };
    return cmocka_run_group_tests_name ("e2e_herd", tests, NULL, NULL);
}
