/*  test_herd_places - the Places actor: FETCH and DONE, offline and
    against the offline stub (`herd places-stub`, started once for the
    group), status as data, STOP, and the refusal JSON

    Every answer is waited for with a deadline (zpoller), never a sleep.
    Expected JSON is built by the pure modules the actor uses (herd_nearby,
    herd_stub, herd_provider, herd_json) and compared byte for byte.  */

#include "herd_test.h"
#include "herd_json.h"
#include "herd_nearby.h"
#include "herd_places.h"
#include "herd_provider.h"
#include "herd_stub.h"

#include <cJSON.h>
#include <czmq.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

//  An answer that must come takes at most this long.
#define S_DEADLINE_MS 5000
//  Royce Hall, and a radius of 10 km.
#define S_LATITUDE  "34.068930"
#define S_LONGITUDE "-118.445127"
#define S_METRES    "10000"

static uint16_t s_stub_port;
static int s_stub_pid;
static char s_stub_url[64];

static int
s_group_setup (void **state)
{
    (void) state;
    assert_int_equal (curl_global_init (CURL_GLOBAL_DEFAULT), CURLE_OK);
    zsys_set_pipehwm (HERD_PLACES_QUEUE_MAX);
    s_stub_pid = herd_test_stub (&s_stub_port);
    snprintf (s_stub_url, sizeof (s_stub_url), "http://127.0.0.1:%u",
              s_stub_port);
    return 0;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    assert_int_equal (herd_test_stop (s_stub_pid), 0);
    curl_global_cleanup ();
    return 0;
}

//  A configuration asking url (NULL: offline) with key.
static herd_places_config_t
s_config (const char *provider, const char *url, const char *key)
{
    herd_places_config_t config = {
        .provider = provider,
        .url = url,
        .key = key,
        .timeout_ms = S_DEADLINE_MS,
        .connect_timeout_ms = 2000,
        .max_in_flight = 100,
        .rate_per_second = 1000,
        .thread = NULL,
    };
    return config;
}

static zactor_t *
s_actor_new (const herd_places_config_t *config)
{
    zactor_t *actor =
        zactor_new (herd_places_actor, (void *) (uintptr_t) config);
    assert_non_null (actor);
    return actor;
}

//  Wait for the actor's next message, then read it.
static int
s_receive (zactor_t *actor, herd_places_answer_t *answer)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    void *which = zpoller_wait (poller, S_DEADLINE_MS);
    zpoller_destroy (&poller);
    assert_true (which == actor);
    return herd_places_receive (actor, answer);
}

//  The next message is DONE with context; its status byte is the JSON's
//  status, and the JSON is exactly expected (size bytes).
static void
s_expect_done (zactor_t *actor,
               const void *context,
               size_t context_size,
               herd_places_status_t status,
               const char *expected,
               size_t size)
{
    herd_places_answer_t answer;
    assert_int_equal (s_receive (actor, &answer), 0);
    assert_int_equal (zframe_size (answer.context), context_size);
    assert_memory_equal (zframe_data (answer.context), context, context_size);
    assert_int_equal (answer.status, status);
    cJSON *root = cJSON_ParseWithLength (
        (const char *) zframe_data (answer.json), zframe_size (answer.json));
    assert_non_null (root);
    const char *name =
        cJSON_GetStringValue (cJSON_GetObjectItem (root, "status"));
    assert_int_equal (herd_places_status_parse (name), answer.status);
    cJSON_Delete (root);
    assert_int_equal (zframe_size (answer.json), size);
    assert_memory_equal (zframe_data (answer.json), expected, size);
    zframe_destroy (&answer.context);
    zframe_destroy (&answer.json);
}

//  The same, expecting what herd_places_refusal writes.
static void
s_expect_refusal (zactor_t *actor,
                  const char *context,
                  herd_places_status_t status,
                  const char *message)
{
    size_t size;
    char *expected =
        herd_places_refusal (herd_places_status_name (status), message, &size);
    s_expect_done (actor, context, strlen (context), status, expected, size);
    free (expected);
}

//  What the client sees of root: cut to bound and printed.  Caller frees.
static char *
s_printed (cJSON *root, unsigned bound, size_t *size_p)
{
    herd_json_cut (root, bound);
    char *text = herd_json_print (root, size_p);
    cJSON_Delete (root);
    return text;
}

//  What the stub answers for provider's request, as the actor turns it
//  into the client's JSON.  Caller frees.
static char *
s_through_the_stub (herd_provider_t provider,
                    const char *key,
                    unsigned bound,
                    size_t *size_p)
{
    herd_provider_request_t request;
    herd_provider_request (provider, s_stub_url, key, S_LATITUDE, S_LONGITUDE,
                           S_METRES, bound, &request);
    const char *api_key = NULL, *field_mask = NULL;
    for (int i = 0; request.headers[i]; i++) {
        if (strncmp (request.headers[i], "X-Goog-Api-Key: ", 16) == 0)
            api_key = request.headers[i] + 16;
        if (strncmp (request.headers[i], "X-Goog-FieldMask: ", 18) == 0)
            field_mask = request.headers[i] + 18;
    }
    herd_stub_request_t asked = {
        request.method, request.url + strlen (s_stub_url),
        api_key,        field_mask,
        request.body,   request.body ? strlen (request.body) : 0,
    };
    herd_stub_response_t response;
    herd_stub_answer (&asked, 0, &response);
    cJSON *root = herd_provider_answer (provider, NULL, response.status,
                                        response.body, response.size, bound);
    herd_stub_response_clear (&response);
    herd_provider_request_clear (&request);
    return s_printed (root, bound, size_p);
}

//  A listening socket on a port of 127.0.0.1 that never accepts: an
//  upstream that never answers.  *port_p gets its port.
static int
s_silent_listener (uint16_t *port_p)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof (address)),
                      0);
    assert_int_equal (listen (fd, 16), 0);
    socklen_t size = sizeof (address);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &size), 0);
    *port_p = ntohs (address.sin_port);
    return fd;
}

static void
test_status_name_names_every_status (void **state)
{
    (void) state;
    const char *names[HERD_PLACES_STATUSES] = {
        "OK",
        "ZERO_RESULTS",
        "INVALID_REQUEST",
        "REQUEST_DENIED",
        "OVER_QUERY_LIMIT",
        "UNKNOWN_ERROR",
        "other",
    };
    for (int i = 0; i < HERD_PLACES_STATUSES; i++)
        assert_string_equal (herd_places_status_name ((herd_places_status_t) i),
                             names[i]);
    assert_string_equal (herd_places_status_name (
                             (herd_places_status_t) (HERD_PLACES_OTHER + 5)),
                         "other");
}

static void
test_status_parse_reads_every_name (void **state)
{
    (void) state;
    for (int i = 0; i < HERD_PLACES_STATUSES; i++) {
        herd_places_status_t status = (herd_places_status_t) i;
        assert_int_equal (
            herd_places_status_parse (herd_places_status_name (status)),
            status);
    }
    assert_int_equal (herd_places_status_parse ("NOT_FOUND"),
                      HERD_PLACES_OTHER);
    assert_int_equal (herd_places_status_parse ("ok"), HERD_PLACES_OTHER);
    assert_int_equal (herd_places_status_parse (""), HERD_PLACES_OTHER);
    assert_int_equal (herd_places_status_parse (NULL), HERD_PLACES_OTHER);
}

//  Offline: the actor makes up the places itself, and the context comes
//  back byte for byte (NULs included).
static void
test_actor_answers_offline_with_made_up_places (void **state)
{
    (void) state;
    herd_places_config_t config = s_config ("stub", NULL, NULL);
    zactor_t *actor = s_actor_new (&config);
    const char context[] = "\0conn\xff\x01";
    assert_int_equal (herd_places_fetch (actor, context, sizeof (context),
                                         S_LATITUDE, S_LONGITUDE, S_METRES, 5),
                      0);
    size_t size;
    char *expected = s_printed (
        herd_nearby_search (34.06893, -118.445127, 10000, 5), 5, &size);
    s_expect_done (actor, context, sizeof (context), HERD_PLACES_OK, expected,
                   size);
    free (expected);
    zactor_destroy (&actor);
}

//  The answer holds at most bound results.
static void
test_actor_cuts_the_answer_to_the_bound (void **state)
{
    (void) state;
    herd_places_config_t config = s_config ("stub", NULL, NULL);
    zactor_t *actor = s_actor_new (&config);
    unsigned bounds[] = {1, 3, HERD_NEARBY_MAX};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (herd_places_fetch (actor, &i, sizeof (i), S_LATITUDE,
                                             S_LONGITUDE, S_METRES, bounds[i]),
                          0);
    for (size_t i = 0; i < 3; i++) {
        cJSON *root =
            herd_nearby_search (34.06893, -118.445127, 10000, HERD_NEARBY_MAX);
        size_t size;
        char *expected = s_printed (root, bounds[i], &size);
        s_expect_done (actor, &i, sizeof (i), HERD_PLACES_OK, expected, size);
        root = cJSON_ParseWithLength (expected, size);
        assert_true (cJSON_GetArraySize (cJSON_GetObjectItem (root, "results"))
                     > 0);
        assert_true (cJSON_GetArraySize (cJSON_GetObjectItem (root, "results"))
                     <= (int) bounds[i]);
        cJSON_Delete (root);
        free (expected);
    }
    zactor_destroy (&actor);
}

//  Radius 0 or bound 0: OK with no results, and upstream is never asked
//  (here an upstream that would never answer, and sees no connection).
static void
test_radius_or_bound_0_is_ok_without_asking (void **state)
{
    (void) state;
    uint16_t port;
    int listener = s_silent_listener (&port);
    char url[64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%u", port);
    herd_places_config_t config = s_config ("google", url, "k");
    zactor_t *actor = s_actor_new (&config);
    assert_int_equal (
        herd_places_fetch (actor, "a", 1, S_LATITUDE, S_LONGITUDE, "0", 5), 0);
    assert_int_equal (
        herd_places_fetch (actor, "b", 1, S_LATITUDE, S_LONGITUDE, S_METRES, 0),
        0);
    s_expect_refusal (actor, "a", HERD_PLACES_OK, NULL);
    s_expect_refusal (actor, "b", HERD_PLACES_OK, NULL);
    struct pollfd item = {listener, POLLIN, 0};
    assert_int_equal (poll (&item, 1, 0), 0);  //  No connection came
    zactor_destroy (&actor);
    close (listener);
}

//  Against the stub, every provider: the answer is what that provider
//  makes of the stub's.
static void
test_actor_asks_the_stub_with_every_provider (void **state)
{
    (void) state;
    const char *names[] = {"stub", "google-legacy", "google"};
    herd_provider_t providers[] = {
        HERD_PROVIDER_STUB, HERD_PROVIDER_GOOGLE_LEGACY, HERD_PROVIDER_GOOGLE};
    for (size_t i = 0; i < 3; i++) {
        herd_places_config_t config = s_config (names[i], s_stub_url, "k");
        zactor_t *actor = s_actor_new (&config);
        assert_int_equal (herd_places_fetch (actor, names[i], strlen (names[i]),
                                             S_LATITUDE, S_LONGITUDE, S_METRES,
                                             4),
                          0);
        size_t size;
        char *expected = s_through_the_stub (providers[i], "k", 4, &size);
        s_expect_done (actor, names[i], strlen (names[i]), HERD_PLACES_OK,
                       expected, size);
        free (expected);
        zactor_destroy (&actor);
    }
}

//  What goes wrong upstream comes back as a status, as data, with the
//  JSON the client will see.
static void
test_upstream_failures_come_back_as_their_status (void **state)
{
    (void) state;
    struct {
        const char *key;
        long timeout_ms;
        herd_places_status_t status;
        const char *message;
    } cases[] = {
        {"stub-fail-400", S_DEADLINE_MS, HERD_PLACES_INVALID_REQUEST,
         "upstream HTTP 400: stub: injected failure"},
        {"stub-fail-403", S_DEADLINE_MS, HERD_PLACES_REQUEST_DENIED,
         "upstream HTTP 403: stub: injected failure"},
        {"stub-fail-429", S_DEADLINE_MS, HERD_PLACES_OVER_QUERY_LIMIT,
         "upstream HTTP 429: stub: injected failure"},
        {"stub-fail-503", S_DEADLINE_MS, HERD_PLACES_UNKNOWN_ERROR,
         "upstream HTTP 503: stub: injected failure"},
        {"stub-garbage", S_DEADLINE_MS, HERD_PLACES_UNKNOWN_ERROR,
         "upstream answer is not JSON"},
        {"stub-slow-3000", 200, HERD_PLACES_UNKNOWN_ERROR,
         "upstream timeout after 200 ms"},
        {"", S_DEADLINE_MS, HERD_PLACES_REQUEST_DENIED,
         "You must use an API key to authenticate each request to Google "
         "Maps Platform APIs."},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        herd_places_config_t config =
            s_config ("google-legacy", s_stub_url, cases[i].key);
        config.timeout_ms = cases[i].timeout_ms;
        zactor_t *actor = s_actor_new (&config);
        assert_int_equal (herd_places_fetch (actor, "c", 1, S_LATITUDE,
                                             S_LONGITUDE, S_METRES, 3),
                          0);
        s_expect_refusal (actor, "c", cases[i].status, cases[i].message);
        zactor_destroy (&actor);
    }
}

//  After zactor_destroy, join returns once the actor's thread is gone.
static void
test_join_returns_once_the_thread_is_gone (void **state)
{
    (void) state;
    int thread = 0;
    herd_places_config_t config = s_config ("stub", NULL, NULL);
    config.thread = &thread;
    zactor_t *actor = s_actor_new (&config);
    assert_true (thread > 0);
    char path[64];
    snprintf (path, sizeof (path), "/proc/self/task/%d", thread);
    assert_int_equal (access (path, F_OK), 0);
    zactor_destroy (&actor);
    herd_places_join (thread, S_DEADLINE_MS);
    assert_int_equal (access (path, F_OK), -1);
    //  No thread: at once
    herd_places_join (0, S_DEADLINE_MS);
}

//  A node that reads no answers: the actor blocks on its side of the
//  pipe, the requests pile up, and FETCH is refused instead of waiting
//  (the node's side has SNDTIMEO 0).  Once read, every request taken is
//  answered, in order.  The queue is S_QUEUE here, not
//  HERD_PLACES_QUEUE_MAX: ten times fewer messages keep the test short
//  under valgrind, and the actor does the same.
#define S_QUEUE (HERD_PLACES_QUEUE_MAX / 10)
static void
test_fetch_is_refused_when_the_queue_is_full (void **state)
{
    (void) state;
    herd_places_config_t config = s_config ("stub", NULL, NULL);
    zsys_set_pipehwm (S_QUEUE);
    zactor_t *actor = s_actor_new (&config);
    zsys_set_pipehwm (HERD_PLACES_QUEUE_MAX);
    zsock_set_sndtimeo (actor, 0);
    size_t taken = 0;
    //  The pipe holds a few times S_QUEUE each way at most
    while (taken < 100 * S_QUEUE
           && herd_places_fetch (actor, &taken, sizeof (taken), S_LATITUDE,
                                 S_LONGITUDE, "0", 1)
                  == 0)
        taken++;
    assert_true (taken >= S_QUEUE);
    assert_true (taken < 100 * S_QUEUE);
    zpoller_t *poller = zpoller_new (actor, NULL);
    for (size_t i = 0; i < taken; i++) {
        assert_true (zpoller_wait (poller, S_DEADLINE_MS) == actor);
        herd_places_answer_t answer;
        assert_int_equal (herd_places_receive (actor, &answer), 0);
        assert_int_equal (zframe_size (answer.context), sizeof (i));
        assert_memory_equal (zframe_data (answer.context), &i, sizeof (i));
        assert_int_equal (answer.status, HERD_PLACES_OK);
        zframe_destroy (&answer.context);
        zframe_destroy (&answer.json);
    }
    zpoller_destroy (&poller);
    herd_places_answer_t answer;
    assert_int_equal (herd_places_receive (actor, &answer), -1);
    zactor_destroy (&actor);
}

//  STOP: what the actor holds (one call under way, one waiting for it) is
//  answered UNKNOWN_ERROR at once, in order, then STOPPED; a later FETCH
//  gets the same answer.
static void
test_stop_answers_what_is_held_then_says_stopped (void **state)
{
    (void) state;
    herd_places_config_t config =
        s_config ("google-legacy", s_stub_url, "stub-hang");
    config.timeout_ms = 60000;
    config.max_in_flight = 1;
    zactor_t *actor = s_actor_new (&config);
    assert_int_equal (herd_places_fetch (actor, "under way", 9, S_LATITUDE,
                                         S_LONGITUDE, S_METRES, 3),
                      0);
    assert_int_equal (herd_places_fetch (actor, "waiting", 7, S_LATITUDE,
                                         S_LONGITUDE, S_METRES, 3),
                      0);
    assert_int_equal (herd_places_stop (actor), 0);
    s_expect_refusal (actor, "under way", HERD_PLACES_UNKNOWN_ERROR,
                      "herd: node shutting down");
    s_expect_refusal (actor, "waiting", HERD_PLACES_UNKNOWN_ERROR,
                      "herd: node shutting down");
    herd_places_answer_t answer;
    assert_int_equal (s_receive (actor, &answer), 1);
    assert_int_equal (herd_places_fetch (actor, "late", 4, S_LATITUDE,
                                         S_LONGITUDE, S_METRES, 3),
                      0);
    s_expect_refusal (actor, "late", HERD_PLACES_UNKNOWN_ERROR,
                      "herd: node shutting down");
    assert_int_equal (herd_places_receive (actor, &answer), -1);
    zactor_destroy (&actor);
}

//  An actor of the test's own that says what herd_places_receive must
//  sort out, then waits for $TERM.
static void
s_fake_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    zstr_send (pipe, "HELLO");
    zstr_sendx (pipe, "DONE", "context", NULL);  //  Too few frames
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "DONE");
    zmsg_addstr (msg, "one");
    zmsg_addmem (msg, "\x63", 1);  //  No such status
    zmsg_addstr (msg, "{}");
    zmsg_send (&msg, pipe);
    msg = zmsg_new ();
    zmsg_addstr (msg, "DONE");
    zmsg_addstr (msg, "two");
    zmsg_addmem (msg, "\x03\x03", 2);  //  Not one byte
    zmsg_addstr (msg, "{}");
    zmsg_send (&msg, pipe);
    zstr_send (pipe, "STOPPED");
    char *command;
    while ((command = zstr_recv (pipe))) {
        bool term = streq (command, "$TERM");
        free (command);
        if (term)
            break;
    }
}

static void
test_receive_tells_what_came (void **state)
{
    (void) state;
    zactor_t *actor = zactor_new (s_fake_actor, NULL);
    assert_non_null (actor);
    herd_places_answer_t answer;
    assert_int_equal (s_receive (actor, &answer), 2);
    assert_int_equal (s_receive (actor, &answer), 2);
    assert_int_equal (s_receive (actor, &answer), 0);
    assert_true (zframe_streq (answer.context, "one"));
    assert_int_equal (answer.status, HERD_PLACES_OTHER);
    assert_true (zframe_streq (answer.json, "{}"));
    zframe_destroy (&answer.context);
    zframe_destroy (&answer.json);
    assert_int_equal (s_receive (actor, &answer), 0);
    assert_true (zframe_streq (answer.context, "two"));
    assert_int_equal (answer.status, HERD_PLACES_OTHER);
    zframe_destroy (&answer.context);
    zframe_destroy (&answer.json);
    assert_int_equal (s_receive (actor, &answer), 1);
    assert_int_equal (herd_places_receive (actor, &answer), -1);
    zactor_destroy (&actor);
}

//  A legacy response with no results, in Google's layout, byte for byte.
static void
test_refusal_is_a_legacy_response (void **state)
{
    (void) state;
    size_t size;
    char *text = herd_places_refusal ("OVER_QUERY_LIMIT",
                                      "herd: Places queue full", &size);
    const char *expected =
        "{\n"
        "   \"error_message\" : \"herd: Places queue full\",\n"
        "   \"html_attributions\" : [],\n"
        "   \"results\" : [],\n"
        "   \"status\" : \"OVER_QUERY_LIMIT\"\n"
        "}";
    assert_int_equal (size, strlen (expected));
    assert_string_equal (text, expected);
    free (text);
    text = herd_places_refusal ("OK", NULL, &size);
    expected = "{\n"
               "   \"html_attributions\" : [],\n"
               "   \"results\" : [],\n"
               "   \"status\" : \"OK\"\n"
               "}";
    assert_int_equal (size, strlen (expected));
    assert_string_equal (text, expected);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_status_name_names_every_status),
        cmocka_unit_test (test_status_parse_reads_every_name),
        cmocka_unit_test (test_actor_answers_offline_with_made_up_places),
        cmocka_unit_test (test_actor_cuts_the_answer_to_the_bound),
        cmocka_unit_test (test_radius_or_bound_0_is_ok_without_asking),
        cmocka_unit_test (test_actor_asks_the_stub_with_every_provider),
        cmocka_unit_test (test_upstream_failures_come_back_as_their_status),
        cmocka_unit_test (test_join_returns_once_the_thread_is_gone),
        cmocka_unit_test (test_fetch_is_refused_when_the_queue_is_full),
        cmocka_unit_test (test_stop_answers_what_is_held_then_says_stopped),
        cmocka_unit_test (test_receive_tells_what_came),
        cmocka_unit_test (test_refusal_is_a_legacy_response),
    };
    return cmocka_run_group_tests_name ("herd_places", tests, s_group_setup,
                                        s_group_teardown);
}
