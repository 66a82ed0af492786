/*  test_e2e_stub - the offline Places server, over real HTTP  */

#include "herd_test.h"

#include <czmq.h>

#define S_DEADLINE 5000

static uint16_t s_port;
static int s_pid;

static int
s_setup (void **state)
{
    (void) state;
    s_pid = herd_test_stub (&s_port);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    assert_int_equal (herd_test_stop (s_pid), 0);
    return 0;
}

//  One request on fd; returns the response (status line, headers, body),
//  read up to the end of its Content-Length.
static char *
s_exchange (int fd,
            const char *method,
            const char *target,
            const char *key,
            const char *mask,
            const char *body)
{
    char *request = zsys_sprintf (
        "%s %s HTTP/1.1\r\nHost: stub\r\n%s%s%s%s%s%sContent-Length: %zu\r\n"
        "\r\n%s",
        method, target, key ? "X-Goog-Api-Key: " : "", key ? key : "",
        key ? "\r\n" : "", mask ? "X-Goog-FieldMask: " : "", mask ? mask : "",
        mask ? "\r\n" : "", body ? strlen (body) : 0, body ? body : "");
    herd_test_send (fd, request, strlen (request));
    free (request);
    char *head = herd_test_read_until (fd, "\r\n\r\n", NULL, S_DEADLINE);
    const char *length = strstr (head, "Content-Length: ");
    size_t size = length ? (size_t) atol (length + 16) : 0;
    char *reply = (char *) zmalloc (strlen (head) + size + 1);
    strcpy (reply, head);
    herd_test_read (fd, reply + strlen (head), size, S_DEADLINE);
    free (head);
    return reply;
}

static void
test_legacy_and_new_answer_over_one_connection (void **state)
{
    (void) state;
    int fd = herd_test_connect (s_port);
    char *reply = s_exchange (
        fd, "GET",
        "/maps/api/place/nearbysearch/json?location=34.0689,-118.4451"
        "&radius=1000&key=demo",
        NULL, NULL, NULL);
    assert_int_equal (strncmp (reply, "HTTP/1.1 200 OK\r\n", 17), 0);
    assert_non_null (strstr (reply, "\"status\":\"OK\"}"));
    free (reply);
    reply =
        s_exchange (fd, "POST", "/v1/places:searchNearby", "demo", "places.id",
                    "{\"maxResultCount\":2,\"locationRestriction\":{"
                    "\"circle\":{\"center\":{\"latitude\":1,\"longitude\":"
                    "2},\"radius\":900}}}");
    assert_int_equal (strncmp (reply, "HTTP/1.1 200 OK\r\n", 17), 0);
    assert_non_null (strstr (reply, "{\"places\":[{\"id\":"));
    free (reply);
    reply =
        s_exchange (fd, "POST", "/v1/places:searchNearby", "demo", NULL, "{}");
    assert_int_equal (strncmp (reply, "HTTP/1.1 400 ", 13), 0);
    assert_non_null (strstr (reply, "FieldMask is a required parameter"));
    free (reply);
    close (fd);
}

static void
test_slow_answers_wait_side_by_side (void **state)
{
    (void) state;
    enum { COUNT = 50 };
    int fds[COUNT];
    int64_t start = zclock_mono ();
    const char *request = "GET /maps/api/place/nearbysearch/json?location="
                          "1,2&radius=10&key=stub-slow-400 HTTP/1.1\r\n"
                          "Host: stub\r\n\r\n";
    for (int i = 0; i < COUNT; i++) {
        fds[i] = herd_test_connect (s_port);
        herd_test_send (fds[i], request, strlen (request));
    }
    for (int i = 0; i < COUNT; i++) {
        char *reply = herd_test_read_until (fds[i], "}", NULL, S_DEADLINE);
        assert_int_equal (strncmp (reply, "HTTP/1.1 200 OK", 15), 0);
        free (reply);
        close (fds[i]);
    }
    int64_t took = zclock_mono () - start;
    //  Concurrent: about one delay, not fifty
    assert_true (took >= 400 && took < 2000);
}

static void
test_a_hanging_answer_holds_up_nobody_else (void **state)
{
    (void) state;
    int hung = herd_test_connect (s_port);
    const char *request = "GET /maps/api/place/nearbysearch/json?location="
                          "1,2&radius=10&key=stub-hang HTTP/1.1\r\n"
                          "Host: stub\r\n\r\n";
    herd_test_send (hung, request, strlen (request));
    int fd = herd_test_connect (s_port);
    char *reply = s_exchange (fd, "GET", "/nowhere", NULL, NULL, NULL);
    assert_int_equal (strncmp (reply, "HTTP/1.1 404 ", 13), 0);
    free (reply);
    char buffer[16];
    assert_int_equal (herd_test_read (hung, buffer, sizeof (buffer), 300), 0);
    close (fd);
    close (hung);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_legacy_and_new_answer_over_one_connection),
        cmocka_unit_test (test_slow_answers_wait_side_by_side),
        cmocka_unit_test (test_a_hanging_answer_holds_up_nobody_else),
    };
    return cmocka_run_group_tests_name ("e2e_stub", tests, s_setup, s_teardown);
}
