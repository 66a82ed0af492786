/*  test_herd_stub - the offline Places server's answers  */

#include "herd_test.h"
#include "herd_stub.h"

#include <cJSON.h>
#include <czmq.h>

static cJSON *
s_ask (const char *method,
       const char *target,
       const char *key,
       const char *mask,
       const char *body,
       int expected_status)
{
    herd_stub_request_t request = {method, target, key,
                                   mask,   body,   body ? strlen (body) : 0};
    herd_stub_response_t response;
    herd_stub_answer (&request, 0, &response);
    if (response.status != expected_status)
        fail_msg ("%s %s: status %d, not %d: %s", method, target,
                  response.status, expected_status, response.body);
    cJSON *root = cJSON_ParseWithLength (response.body, response.size);
    assert_non_null (root);
    herd_stub_response_clear (&response);
    return root;
}

static const char *
s_string (const cJSON *root, const char *a, const char *b)
{
    const cJSON *item = cJSON_GetObjectItem (root, a);
    if (b)
        item = cJSON_GetObjectItem (item, b);
    return cJSON_GetStringValue (item);
}

static void
test_legacy_answers_places_inside_the_radius (void **state)
{
    (void) state;
    cJSON *root = s_ask ("GET",
                         HERD_STUB_LEGACY_PATH "?location=34.068930%2C-118.4"
                                               "45127&radius=1000&key=k",
                         NULL, NULL, NULL, 200);
    assert_string_equal (s_string (root, "status", NULL), "OK");
    const cJSON *results = cJSON_GetObjectItem (root, "results");
    assert_true (cJSON_GetArraySize (results) >= 8);
    const cJSON *result;
    cJSON_ArrayForEach (result, results)
    {
        const cJSON *at = cJSON_GetObjectItem (
            cJSON_GetObjectItem (result, "geometry"), "location");
        double dlat = (cJSON_GetObjectItem (at, "lat")->valuedouble - 34.06893)
                      * 111320.0;
        double dlng =
            (cJSON_GetObjectItem (at, "lng")->valuedouble + 118.445127)
            * 111320.0 * 0.8284;
        assert_true (dlat * dlat + dlng * dlng < 1000.0 * 1000.0);
    }
    cJSON_Delete (root);
}

static void
test_legacy_refuses_like_google (void **state)
{
    (void) state;
    cJSON *root = s_ask ("GET", HERD_STUB_LEGACY_PATH "?location=1,2&radius=5",
                         NULL, NULL, NULL, 200);
    assert_string_equal (s_string (root, "status", NULL), "REQUEST_DENIED");
    assert_non_null (s_string (root, "error_message", NULL));
    cJSON_Delete (root);
    root = s_ask ("GET", HERD_STUB_LEGACY_PATH "?key=k&radius=5", NULL, NULL,
                  NULL, 200);
    assert_string_equal (s_string (root, "status", NULL), "INVALID_REQUEST");
    cJSON_Delete (root);
}

static void
test_new_answers_masked_places (void **state)
{
    (void) state;
    const char *body = "{\"maxResultCount\":3,\"locationRestriction\":{\"circle"
                       "\":{\"center\":{\"latitude\":34.06893,\"longitude\":"
                       "-118.445127},\"radius\":5000.0}}}";
    cJSON *root = s_ask ("POST", HERD_STUB_NEW_PATH, "k",
                         "places.id,places.displayName", body, 200);
    const cJSON *places = cJSON_GetObjectItem (root, "places");
    assert_int_equal (cJSON_GetArraySize (places), 3);
    const cJSON *first = cJSON_GetArrayItem (places, 0);
    assert_non_null (s_string (first, "id", NULL));
    assert_non_null (s_string (first, "displayName", "text"));
    assert_null (cJSON_GetObjectItem (first, "rating"));
    cJSON_Delete (root);
    root = s_ask ("POST", HERD_STUB_NEW_PATH, "k", "*", body, 200);
    first = cJSON_GetArrayItem (cJSON_GetObjectItem (root, "places"), 0);
    assert_non_null (cJSON_GetObjectItem (first, "rating"));
    assert_non_null (cJSON_GetObjectItem (first, "location"));
    cJSON_Delete (root);
}

static void
test_new_gives_an_empty_object_for_no_places (void **state)
{
    (void) state;
    const char *body = "{\"locationRestriction\":{\"circle\":{\"center\":{"
                       "\"latitude\":1,\"longitude\":2},\"radius\":0}}}";
    cJSON *root = s_ask ("POST", HERD_STUB_NEW_PATH, "k", "*", body, 200);
    assert_null (root->child);
    cJSON_Delete (root);
}

static void
test_new_refuses_like_google (void **state)
{
    (void) state;
    const char *body = "{\"locationRestriction\":{\"circle\":{\"center\":{"
                       "\"latitude\":1,\"longitude\":2},\"radius\":10}}}";
    cJSON *root = s_ask ("POST", HERD_STUB_NEW_PATH, "k", NULL, body, 400);
    assert_string_equal (s_string (root, "error", "status"),
                         "INVALID_ARGUMENT");
    assert_non_null (strstr (s_string (root, "error", "message"),
                             "FieldMask is a required parameter"));
    cJSON_Delete (root);
    root = s_ask ("POST", HERD_STUB_NEW_PATH, NULL, "*", body, 403);
    cJSON_Delete (root);
    root = s_ask ("POST", HERD_STUB_NEW_PATH, "k", "*",
                  "{\"maxResultCount\":21,\"locationRestriction\":{\"circle\":"
                  "{\"center\":{\"latitude\":1,\"longitude\":2},\"radius\":10}"
                  "}}",
                  400);
    cJSON_Delete (root);
    root = s_ask ("POST", HERD_STUB_NEW_PATH, "k", "*",
                  "{\"locationRestriction\":{\"circle\":{\"center\":{"
                  "\"latitude\":1,\"longitude\":2},\"radius\":50001}}}",
                  400);
    cJSON_Delete (root);
    root = s_ask ("GET", "/elsewhere", "k", "*", NULL, 404);
    cJSON_Delete (root);
}

static void
test_keys_inject_faults (void **state)
{
    (void) state;
    const char *body = "{\"locationRestriction\":{\"circle\":{\"center\":{"
                       "\"latitude\":1,\"longitude\":2},\"radius\":10}}}";
    herd_stub_request_t request = {
        "POST", HERD_STUB_NEW_PATH, "stub-fail-429", "*", body, strlen (body)};
    herd_stub_response_t response;
    herd_stub_answer (&request, 0, &response);
    assert_int_equal (response.status, 429);
    herd_stub_response_clear (&response);
    request.api_key = "stub-garbage";
    herd_stub_answer (&request, 0, &response);
    assert_int_equal (response.status, 200);
    assert_null (cJSON_ParseWithLength (response.body, response.size));
    herd_stub_response_clear (&response);
    request.api_key = "stub-hang";
    herd_stub_answer (&request, 0, &response);
    assert_int_equal (response.status, 0);
    herd_stub_response_clear (&response);
    request.api_key = "stub-slow-250";
    herd_stub_answer (&request, 100, &response);
    assert_int_equal (response.status, 200);
    assert_int_equal (response.delay_ms, 350);
    herd_stub_response_clear (&response);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_legacy_answers_places_inside_the_radius),
        cmocka_unit_test (test_legacy_refuses_like_google),
        cmocka_unit_test (test_new_answers_masked_places),
        cmocka_unit_test (test_new_gives_an_empty_object_for_no_places),
        cmocka_unit_test (test_new_refuses_like_google),
        cmocka_unit_test (test_keys_inject_faults),
    };
    return cmocka_run_group_tests_name ("herd_stub", tests, NULL, NULL);
}
