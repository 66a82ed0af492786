/*  test_e2e_client - the client protocol, byte for byte, against a real
    node on loopback  */

#include "herd_test.h"

#include <cJSON.h>
#include <czmq.h>
#include <poll.h>
#include <regex.h>

#define S_DEADLINE 5000

static const char *s_iamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 "
                             "1621464827.959498503";

//  Each group runs against one transport (proto/client.md, section 7).
typedef struct {
    herd_test_herd_t *herd;
    bool stream;  //  ZMQ_STREAM: clients must keep their write side open
} s_fixture_t;

static int
s_setup (void **state, bool stream)
{
    const char *names[] = {"Clark", "Jaquez"};
    const char *links[] = {"Clark Jaquez"};
    s_fixture_t *fixture = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    fixture->stream = stream;
    fixture->herd =
        herd_test_herd_new (names, 2, links, 1,
                            stream ? "    max_line = 100\n    front = stream\n"
                                   : "    max_line = 100\n");
    herd_test_herd_start_all (fixture->herd);
    *state = fixture;
    return 0;
}

static int
s_setup_tcp (void **state)
{
    return s_setup (state, false);
}

static int
s_setup_stream (void **state)
{
    return s_setup (state, true);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    herd_test_herd_destroy (&fixture->herd);
    free (fixture);
    return 0;
}

static herd_test_herd_t *
s_herd (void **state)
{
    return ((s_fixture_t *) *state)->herd;
}

static uint16_t
s_port (void **state)
{
    return herd_test_herd_port (s_herd (state), "Clark");
}

//  One request, one connection: a grader's over tcp, `nc -w` style over
//  stream, which cannot answer after a half-close.
static char *
s_ask (void **state, uint16_t port, const char *request, int deadline_ms)
{
    if (((s_fixture_t *) *state)->stream)
        return herd_test_exchange (port, request, deadline_ms);
    return herd_test_grader (port, request, deadline_ms);
}

//  Tests that need a half-close are the stream transport's exemption.
static void
s_skip_on_stream (void **state)
{
    if (((s_fixture_t *) *state)->stream) {
        printf ("skipped: the stream transport cannot answer a client that "
                "half-closes (proto/client.md, section 7)\n");
        skip ();
    }
}

static void
s_assert_matches (const char *text, const char *pattern)
{
    regex_t regex;
    assert_int_equal (regcomp (&regex, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec (&regex, text, 0, NULL, 0);
    regfree (&regex);
    if (rc != 0)
        fail_msg ("[%s] does not match [%s]", text, pattern);
}

static void
test_iamat_is_answered_with_an_at_line (void **state)
{
    char *request = zsys_sprintf ("%s\n", s_iamat);
    char *reply = s_ask (state, s_port (state), request, S_DEADLINE);
    s_assert_matches (reply, "^AT Clark [+][0-9]+\\.[0-9]{9} kiwi\\.cs\\.ucla"
                             "\\.edu \\+34\\.068930-118\\.445127 "
                             "1621464827\\.959498503\n$");
    free (reply);
    free (request);
}

static void
test_a_client_time_in_the_future_gives_a_negative_difference (void **state)
{
    char *reply = s_ask (state, s_port (state),
                         "IAMAT future +0-0 99999999999.5\n", S_DEADLINE);
    s_assert_matches (reply, "^AT Clark -98[0-9]{9}\\.[0-9]{9} future \\+0-0 "
                             "99999999999\\.5\n$");
    free (reply);
}

static void
test_invalid_lines_are_echoed_after_a_question_mark (void **state)
{
    const char *cases[] = {
        "IAMAT Clark +12-118",
        "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.9 extra",
        "HELLO world",
        "AT Clark +0.1 kiwi +1-1 5",
        "IAMAT kiwi +91-118 1",
        "WHATSAT kiwi.cs.ucla.edu 51 5",
        "WHATSAT kiwi.cs.ucla.edu 10 21",
        "WHATSAT never.seen 10 5",
        " \tIAMAT  x ",
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *request = zsys_sprintf ("%s\n", cases[i]);
        char *expected = zsys_sprintf ("? %s\n", cases[i]);
        char *reply = s_ask (state, s_port (state), request, S_DEADLINE);
        assert_string_equal (reply, expected);
        free (reply);
        free (expected);
        free (request);
    }
}

static void
test_a_last_line_without_newline_is_a_command (void **state)
{
    s_skip_on_stream (state);
    char *reply = s_ask (state, s_port (state), "IAMAT a +1-1", S_DEADLINE);
    assert_string_equal (reply, "? IAMAT a +1-1\n");
    free (reply);
}

//  The JSON part of a WHATSAT reply, checked as the graders check it.
static void
s_assert_places (const char *json, size_t bound)
{
    cJSON *root = cJSON_Parse (json);
    assert_non_null (root);
    assert_true (
        cJSON_IsArray (cJSON_GetObjectItem (root, "html_attributions")));
    cJSON *results = cJSON_GetObjectItem (root, "results");
    assert_true (cJSON_IsArray (results));
    assert_true ((size_t) cJSON_GetArraySize (results) <= bound);
    assert_string_equal (cJSON_GetObjectItem (root, "status")->valuestring,
                         "OK");
    cJSON_Delete (root);
}

static void
test_whatsat_gives_the_at_line_then_places (void **state)
{
    const char *request = "IAMAT frame.kiwi +34.068930-118.445127 1.5\n";
    char *at = s_ask (state, s_port (state), request, S_DEADLINE);
    char *reply =
        s_ask (state, s_port (state), "WHATSAT frame.kiwi 10 3\n", S_DEADLINE);
    //  The stored line as the receiving node produced it, then the JSON
    size_t at_size = strlen (at);
    assert_memory_equal (reply, at, at_size);
    const char *json = reply + at_size;
    assert_int_equal (json[0], '{');
    size_t size = strlen (reply);
    assert_true (size > 4);
    assert_string_equal (reply + size - 3, "}\n\n");
    assert_null (strstr (json, "\n\n\n"));
    assert_true (strstr (json, "\n\n") == reply + size - 2);
    assert_non_null (strstr (json, "   \"results\" : [\n"));
    s_assert_places (json, 3);
    free (reply);
    free (at);
}

//  The golden reply of proto/client.md, section 5, from a live node.
static void
test_whatsat_matches_the_golden_reply_of_the_spec (void **state)
{
    FILE *file = fopen ("proto/client.md", "r");
    assert_non_null (file);
    static char spec[65536];
    size_t size = fread (spec, 1, sizeof (spec) - 1, file);
    spec[size] = 0;
    fclose (file);
    const char *start = strstr (spec, "<!-- golden-json -->\n");
    const char *end = strstr (spec, "\n<!-- /golden-json -->");
    assert_true (start && end && end > start);
    start += strlen ("<!-- golden-json -->\n");
    char *expected = zsys_sprintf ("%.*s\n\n", (int) (end - start), start);
    char *request = zsys_sprintf ("%s\n", s_iamat);
    free (s_ask (state, s_port (state), request, S_DEADLINE));
    char *reply = s_ask (state, s_port (state),
                         "WHATSAT kiwi.cs.ucla.edu 10 2\n", S_DEADLINE);
    //  The AT line's difference depends on the clock; the rest does not
    s_assert_matches (reply, "^AT Clark [^\n]+ kiwi.cs.ucla.edu "
                             "\\+34.068930-118.445127 1621464827.959498503\n");
    assert_string_equal (strchr (reply, '\n') + 1, expected);
    free (reply);
    free (request);
    free (expected);
}

//  The graders read once, up to 1 MB: a whole WHATSAT reply must come in
//  that one read, so it must leave in one write.
static void
test_a_grader_gets_the_whole_reply_in_one_read (void **state)
{
    s_skip_on_stream (state);
    free (s_ask (state, s_port (state), "IAMAT one.read +34.06-118.44 7\n",
                 S_DEADLINE));
    int fd = herd_test_connect (s_port (state));
    herd_test_send (fd, "WHATSAT one.read 50 20\n", 23);
    shutdown (fd, SHUT_WR);
    static char buffer[1024 * 1024];
    struct pollfd item = {fd, POLLIN, 0};
    assert_int_equal (poll (&item, 1, S_DEADLINE), 1);
    ssize_t size = recv (fd, buffer, sizeof (buffer) - 1, 0);
    assert_true (size > 1000);
    buffer[size] = 0;
    assert_int_equal (strncmp (buffer, "AT Clark ", 9), 0);
    assert_string_equal (buffer + size - 3, "}\n\n");
    close (fd);
}

static void
test_radius_or_bound_zero_gives_no_results (void **state)
{
    free (s_ask (state, s_port (state), "IAMAT zero +10-10 5\n", S_DEADLINE));
    const char *requests[] = {"WHATSAT zero 0 5\n", "WHATSAT zero 5 0\n"};
    for (int i = 0; i < 2; i++) {
        char *reply = s_ask (state, s_port (state), requests[i], S_DEADLINE);
        const char *json = strchr (reply, '\n') + 1;
        assert_string_equal (json, "{\n"
                                   "   \"html_attributions\" : [],\n"
                                   "   \"results\" : [],\n"
                                   "   \"status\" : \"OK\"\n"
                                   "}\n\n");
        free (reply);
    }
}

static void
test_an_older_iamat_is_answered_but_not_stored (void **state)
{
    free (s_ask (state, s_port (state), "IAMAT stale +1-1 200\n", S_DEADLINE));
    char *reply =
        s_ask (state, s_port (state), "IAMAT stale +2-2 100\n", S_DEADLINE);
    s_assert_matches (reply, "^AT Clark [+][0-9.]+ stale \\+2-2 100\n$");
    free (reply);
    reply = s_ask (state, s_port (state), "WHATSAT stale 1 1\n", S_DEADLINE);
    s_assert_matches (reply, "^AT Clark [+][0-9.]+ stale \\+1-1 200\n\\{");
    free (reply);
}

static void
test_pipelined_commands_are_answered_in_order (void **state)
{
    const char *burst = "IAMAT pipe +1-1 1\r\n"
                        "WHATSAT pipe 1 1\n"
                        "\n"
                        "bogus\n"
                        "WHATSAT pipe 1 1\n"
                        "IAMAT pipe +1-1 2\n"
                        "nonsense\n";
    char *reply = s_ask (state, s_port (state), burst, S_DEADLINE);
    //  Both WHATSATs see the record of time 1: taken when each arrived
    s_assert_matches (reply, "^AT Clark [^\n]+ pipe \\+1-1 1\n"
                             "AT Clark [^\n]+ pipe \\+1-1 1\n\\{.*\\}\n\n"
                             "\\? bogus\n"
                             "AT Clark [^\n]+ pipe \\+1-1 1\n\\{.*\\}\n\n"
                             "AT Clark [^\n]+ pipe \\+1-1 2\n"
                             "\\? nonsense\n$");
    free (reply);
}

static void
test_a_command_split_over_many_writes_is_whole (void **state)
{
    int fd = herd_test_connect (s_port (state));
    const char *line = "IAMAT split +1-1 1\n";
    //  With TCP_NODELAY each byte leaves in a segment of its own; the node
    //  may still read several at once, which the unit tests cover too
    for (size_t i = 0; i < strlen (line); i++)
        herd_test_send (fd, line + i, 1);
    char *reply = herd_test_read_until (fd, "\n", NULL, S_DEADLINE);
    s_assert_matches (reply, "^AT Clark [^ ]+ split \\+1-1 1\n$");
    free (reply);
    //  The connection stays open for more
    herd_test_send (fd, "IAMAT split +1-1 2\n", 19);
    reply = herd_test_read_until (fd, "\n", NULL, S_DEADLINE);
    s_assert_matches (reply, "^AT Clark [^ ]+ split \\+1-1 2\n$");
    free (reply);
    close (fd);
}

static void
test_an_overlong_line_is_cut_and_the_connection_lives (void **state)
{
    int fd = herd_test_connect (s_port (state));
    char line[400];
    memset (line, 'x', 300);
    line[300] = '\n';
    herd_test_send (fd, line, 301);
    herd_test_send (fd, "IAMAT after +1-1 1\n", 19);
    char expected[200];
    memcpy (expected, "? ", 2);
    memset (expected + 2, 'x', 100);
    memcpy (expected + 102, "\n", 2);
    char *reply = herd_test_read_until (fd, "after +1-1 1\n", NULL, S_DEADLINE);
    assert_memory_equal (reply, expected, 103);
    s_assert_matches (reply + 103, "^AT Clark [^ ]+ after \\+1-1 1\n$");
    free (reply);
    close (fd);
}

static void
test_a_neighbour_answers_right_after_the_reply (void **state)
{
    herd_test_herd_t *herd = s_herd (state);
    //  The 2022 grader's order: IAMAT at one node, then at once WHATSAT at
    //  a neighbour.  Flooding first makes this hold every time.
    for (int i = 0; i < 20; i++) {
        char *request = zsys_sprintf ("IAMAT quick%d +1-1 1\n", i);
        free (s_ask (state, herd_test_herd_port (herd, "Clark"), request,
                     S_DEADLINE));
        free (request);
        request = zsys_sprintf ("WHATSAT quick%d 1 1\n", i);
        char *reply = s_ask (state, herd_test_herd_port (herd, "Jaquez"),
                             request, S_DEADLINE);
        if (strncmp (reply, "AT Clark ", 9) != 0)
            fail_msg ("round %d: %s", i, reply);
        free (reply);
        free (request);
    }
}

int
main (void)
{
    //  The same tests for both transports
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_iamat_is_answered_with_an_at_line),
        cmocka_unit_test (
            test_a_client_time_in_the_future_gives_a_negative_difference),
        cmocka_unit_test (test_invalid_lines_are_echoed_after_a_question_mark),
        cmocka_unit_test (test_a_last_line_without_newline_is_a_command),
        cmocka_unit_test (test_whatsat_gives_the_at_line_then_places),
        cmocka_unit_test (test_whatsat_matches_the_golden_reply_of_the_spec),
        cmocka_unit_test (test_a_grader_gets_the_whole_reply_in_one_read),
        cmocka_unit_test (test_radius_or_bound_zero_gives_no_results),
        cmocka_unit_test (test_an_older_iamat_is_answered_but_not_stored),
        cmocka_unit_test (test_pipelined_commands_are_answered_in_order),
        cmocka_unit_test (test_a_command_split_over_many_writes_is_whole),
        cmocka_unit_test (
            test_an_overlong_line_is_cut_and_the_connection_lives),
        cmocka_unit_test (test_a_neighbour_answers_right_after_the_reply),
    };
    int failed = cmocka_run_group_tests_name ("e2e_client_tcp", tests,
                                              s_setup_tcp, s_teardown);
    failed += cmocka_run_group_tests_name ("e2e_client_stream", tests,
                                           s_setup_stream, s_teardown);
    return failed;
}
