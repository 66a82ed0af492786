/*  test_e2e_places - WHATSAT through real nodes, over libcurl, against
    the real offline Places server, for every provider and outcome  */

#include "herd_test.h"

#include <cJSON.h>
#include <czmq.h>
#include <sys/socket.h>

#define S_DEADLINE 10000

static uint16_t s_stub_port;
static int s_stub_pid;

static int
s_setup (void **state)
{
    (void) state;
    s_stub_pid = herd_test_stub (&s_stub_port);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    assert_int_equal (herd_test_stop (s_stub_pid), 0);
    return 0;
}

//  One node asking the stub as provider, with key in its environment.
static herd_test_herd_t *
s_node (const char *provider, const char *key, const char *extra)
{
    if (key)
        setenv ("HERD_PLACES_KEY", key, 1);
    else
        unsetenv ("HERD_PLACES_KEY");
    char *settings = zsys_sprintf ("places\n    provider = %s\n"
                                   "    url = http://127.0.0.1:%u\n%s",
                                   provider, s_stub_port, extra ? extra : "");
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, settings);
    herd_test_herd_start_all (herd);
    free (settings);
    unsetenv ("HERD_PLACES_KEY");
    free (herd_test_grader (herd_test_herd_port (herd, "Solo"),
                            "IAMAT kiwi +34.068930-118.445127 1.5\n",
                            S_DEADLINE));
    return herd;
}

//  The JSON of a WHATSAT reply, parsed; asserts the framing.
static cJSON *
s_whatsat (herd_test_herd_t *herd, const char *request)
{
    char *reply = herd_test_grader (herd_test_herd_port (herd, "Solo"), request,
                                    S_DEADLINE);
    assert_int_equal (strncmp (reply, "AT Solo ", 8), 0);
    size_t size = strlen (reply);
    assert_true (size > 3);
    assert_string_equal (reply + size - 3, "}\n\n");
    cJSON *root = cJSON_Parse (strchr (reply, '\n') + 1);
    assert_non_null (root);
    free (reply);
    return root;
}

static const char *
s_status (const cJSON *root)
{
    return cJSON_GetStringValue (cJSON_GetObjectItem (root, "status"));
}

static void
test_every_provider_answers_through_the_stub (void **state)
{
    (void) state;
    const char *providers[] = {"stub", "google-legacy", "google"};
    for (int i = 0; i < 3; i++) {
        herd_test_herd_t *herd = s_node (providers[i], i ? "demo" : NULL, NULL);
        cJSON *root = s_whatsat (herd, "WHATSAT kiwi 10 3\n");
        if (!streq (s_status (root), "OK"))
            fail_msg ("%s: status %s", providers[i], s_status (root));
        const cJSON *results = cJSON_GetObjectItem (root, "results");
        assert_int_equal (cJSON_GetArraySize (results), 3);
        const cJSON *first = cJSON_GetArrayItem (results, 0);
        assert_non_null (
            cJSON_GetStringValue (cJSON_GetObjectItem (first, "name")));
        assert_non_null (cJSON_GetObjectItem (
            cJSON_GetObjectItem (cJSON_GetObjectItem (first, "geometry"),
                                 "location"),
            "lat"));
        cJSON_Delete (root);
        herd_test_herd_destroy (&herd);
    }
}

static void
test_upstream_failures_are_answered_in_shape (void **state)
{
    (void) state;
    const char *keys[] = {"stub-fail-500", "stub-fail-429", "stub-fail-403",
                          "stub-garbage", "stub-slow-3000"};
    const char *statuses[] = {"UNKNOWN_ERROR", "OVER_QUERY_LIMIT",
                              "REQUEST_DENIED", "UNKNOWN_ERROR",
                              "UNKNOWN_ERROR"};
    const char *messages[] = {
        "upstream HTTP 500: ", "upstream HTTP 429: ", "upstream HTTP 403: ",
        "upstream answer is not JSON", "upstream timeout after 300 ms"};
    for (int i = 0; i < 5; i++) {
        herd_test_herd_t *herd =
            s_node ("google", keys[i], "    timeout_ms = 300\n");
        cJSON *root = s_whatsat (herd, "WHATSAT kiwi 10 3\n");
        assert_string_equal (s_status (root), statuses[i]);
        const char *message =
            cJSON_GetStringValue (cJSON_GetObjectItem (root, "error_message"));
        if (!message || strncmp (message, messages[i], strlen (messages[i])))
            fail_msg ("%s: error_message %s", keys[i], message);
        assert_int_equal (
            cJSON_GetArraySize (cJSON_GetObjectItem (root, "results")), 0);
        cJSON_Delete (root);
        herd_test_herd_destroy (&herd);
    }
}

static void
test_slow_places_never_slow_the_node (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_node ("google", "stub-slow-1000", NULL);
    uint16_t port = herd_test_herd_port (herd, "Solo");
    enum { COUNT = 500 };
    int fds[COUNT];
    int64_t start = zclock_mono ();
    for (int i = 0; i < COUNT; i++) {
        fds[i] = herd_test_connect (port);
        herd_test_send (fds[i], "WHATSAT kiwi 5 2\n", 17);
    }
    //  Meanwhile an IAMAT is answered at once
    int64_t before = zclock_mono ();
    char *reply = herd_test_grader (port, "IAMAT quick +1-1 1\n", S_DEADLINE);
    int64_t iamat_ms = zclock_mono () - before;
    assert_int_equal (strncmp (reply, "AT Solo ", 8), 0);
    free (reply);
    if (!getenv ("HERD_VALGRIND"))
        assert_true (iamat_ms < 200);
    for (int i = 0; i < COUNT; i++) {
        reply = herd_test_read_until (fds[i], "}\n\n", NULL, S_DEADLINE);
        assert_non_null (strstr (reply, "\"status\" : \"OK\""));
        free (reply);
        close (fds[i]);
    }
    //  Side by side: about one upstream delay, not five hundred
    int64_t took = zclock_mono () - start;
    int64_t limit = getenv ("HERD_VALGRIND") ? 60000 : 2500;
    if (took < 1000 || took > limit)
        fail_msg ("%d WHATSATs took %" PRId64 " ms", COUNT, took);
    herd_test_herd_destroy (&herd);
}

static void
test_a_client_that_leaves_mid_request_disturbs_nobody (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_node ("google", "stub-slow-300", NULL);
    uint16_t port = herd_test_herd_port (herd, "Solo");
    for (int i = 0; i < 20; i++) {
        int fd = herd_test_connect (port);
        herd_test_send (fd, "WHATSAT kiwi 5 2\n", 17);
        //  Gone before Places answers: a reset, since a plain close is a
        //  FIN, which looks just like a grader's half-close (and is
        //  answered)
        struct linger reset = {1, 0};
        setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof (reset));
        close (fd);
    }
    assert_true (herd_test_herd_log_wait (herd, "Solo", "reply dropped", 20,
                                          S_DEADLINE));
    cJSON *root = s_whatsat (herd, "WHATSAT kiwi 5 2\n");
    assert_string_equal (s_status (root), "OK");
    cJSON_Delete (root);
    herd_test_herd_destroy (&herd);
}

static void
test_upstream_requests_per_second_are_capped (void **state)
{
    (void) state;
    herd_test_herd_t *herd =
        s_node ("google", "demo", "    rate_per_second = 5\n");
    uint16_t port = herd_test_herd_port (herd, "Solo");
    //  A burst of 5 at once, then one each 200 ms: the 12th at 1.4 s
    enum { COUNT = 12 };
    int fds[COUNT];
    int64_t start = zclock_mono ();
    for (int i = 0; i < COUNT; i++) {
        fds[i] = herd_test_connect (port);
        herd_test_send (fds[i], "WHATSAT kiwi 5 2\n", 17);
    }
    for (int i = 0; i < COUNT; i++) {
        char *reply = herd_test_read_until (fds[i], "}\n\n", NULL, S_DEADLINE);
        assert_non_null (strstr (reply, "\"status\" : \"OK\""));
        free (reply);
        close (fds[i]);
    }
    int64_t took = zclock_mono () - start;
    if (took < 1300 || took > 5000)
        fail_msg ("%d WHATSATs at 5/s took %" PRId64 " ms", COUNT, took);
    herd_test_herd_destroy (&herd);
}

static void
test_whatsats_one_after_another_are_fast (void **state)
{
    (void) state;
    //  Found by make bench: the stub wrote its head and body apart, and
    //  Nagle with the client's delayed ACK cost 40 ms per answer
    herd_test_herd_t *herd = s_node ("google", "demo", NULL);
    int64_t start = zclock_mono ();
    for (int i = 0; i < 20; i++)
        cJSON_Delete (s_whatsat (herd, "WHATSAT kiwi 5 2\n"));
    int64_t took = zclock_mono () - start;
    if (!getenv ("HERD_VALGRIND") && took > 400)
        fail_msg ("20 WHATSATs one after another took %" PRId64 " ms", took);
    herd_test_herd_destroy (&herd);
}

static void
test_requests_pending_at_shutdown_are_answered (void **state)
{
    (void) state;
    //  One call hangs upstream, the other waits behind it for a slot
    herd_test_herd_t *herd = s_node ("google", "stub-hang",
                                     "    max_in_flight = 1\n"
                                     "    timeout_ms = 30000\n");
    uint16_t port = herd_test_herd_port (herd, "Solo");
    int first = herd_test_connect (port);
    const char *pipelined = "WHATSAT kiwi 5 2\nIAMAT late +1-1 1\n";
    herd_test_send (first, pipelined, strlen (pipelined));
    int second = herd_test_connect (port);
    herd_test_send (second, "WHATSAT kiwi 5 2\n", 17);
    assert_true (herd_test_herd_log_wait (herd, "Solo", "\"WHATSAT kiwi 5 2\"",
                                          2, S_DEADLINE));
    assert_true (
        herd_test_herd_log_wait (herd, "Solo", "late +1-1 1", 1, S_DEADLINE));
    int64_t took = herd_test_herd_signal (herd, "Solo", SIGTERM);
    if (took > 1000)
        fail_msg ("stopping took %" PRId64 " ms", took);
    const char *json = "{\n"
                       "   \"error_message\" : \"herd: node shutting down\",\n"
                       "   \"html_attributions\" : [],\n"
                       "   \"results\" : [],\n"
                       "   \"status\" : \"UNKNOWN_ERROR\"\n"
                       "}\n\n";
    int fds[] = {first, second};
    for (int i = 0; i < 2; i++) {
        char buffer[4096];
        size_t size =
            herd_test_read (fds[i], buffer, sizeof (buffer) - 1, S_DEADLINE);
        buffer[size] = 0;
        //  The stored AT line, the refusal, and for the first client the
        //  IAMAT's reply after it, in order
        char *at_end = strchr (buffer, '\n');
        assert_non_null (at_end);
        assert_int_equal (strncmp (buffer, "AT Solo ", 8), 0);
        if (strncmp (at_end + 1, json, strlen (json)))
            fail_msg ("client %d got:\n%s", i, buffer);
        const char *rest = at_end + 1 + strlen (json);
        if (i == 0) {
            assert_int_equal (strncmp (rest, "AT Solo ", 8), 0);
            assert_non_null (strstr (rest, " late +1-1 1\n"));
        } else
            assert_string_equal (rest, "");
        close (fds[i]);
    }
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_provider_answers_through_the_stub),
        cmocka_unit_test (test_upstream_failures_are_answered_in_shape),
        cmocka_unit_test (test_slow_places_never_slow_the_node),
        cmocka_unit_test (
            test_a_client_that_leaves_mid_request_disturbs_nobody),
        cmocka_unit_test (test_upstream_requests_per_second_are_capped),
        cmocka_unit_test (test_whatsats_one_after_another_are_fast),
        cmocka_unit_test (test_requests_pending_at_shutdown_are_answered),
    };
    return cmocka_run_group_tests_name ("e2e_places", tests, s_setup,
                                        s_teardown);
}
