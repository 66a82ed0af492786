/*  test_herd_provider - requests to Google Places, and what herd makes of
    the answers (fixtures shaped like Google's documented responses)  */

#include "herd_test.h"
#include "herd_json.h"
#include "herd_provider.h"

#include <czmq.h>

//  The legacy response printed the way clients see it.
static char *
s_answer (herd_provider_t provider,
          const char *failure,
          long status,
          const char *body,
          unsigned bound)
{
    cJSON *root = herd_provider_answer (provider, failure, status, body,
                                        body ? strlen (body) : 0, bound);
    size_t size;
    char *text = herd_json_print (root, &size);
    cJSON_Delete (root);
    return text;
}

static void
test_parse_knows_the_providers (void **state)
{
    (void) state;
    herd_provider_t provider;
    assert_int_equal (herd_provider_parse ("google", &provider), 0);
    assert_int_equal (provider, HERD_PROVIDER_GOOGLE);
    assert_int_equal (herd_provider_parse ("google-legacy", &provider), 0);
    assert_int_equal (provider, HERD_PROVIDER_GOOGLE_LEGACY);
    assert_int_equal (herd_provider_parse ("stub", &provider), 0);
    assert_int_equal (herd_provider_parse ("bing", &provider), -1);
}

static void
test_request_for_the_new_api_is_exact (void **state)
{
    (void) state;
    herd_provider_request_t request;
    herd_provider_request (HERD_PROVIDER_GOOGLE,
                           "https://places.googleapis.com", "KEY", "34.068930",
                           "-118.445127", "2500", 5, &request);
    assert_string_equal (request.method, "POST");
    assert_string_equal (
        request.url, "https://places.googleapis.com/v1/places:searchNearby");
    assert_string_equal (request.headers[0], "Content-Type: application/json");
    assert_string_equal (request.headers[1], "X-Goog-Api-Key: KEY");
    assert_string_equal (request.headers[2],
                         "X-Goog-FieldMask: " HERD_PROVIDER_FIELD_MASK);
    assert_null (request.headers[3]);
    assert_string_equal (request.body,
                         "{\"maxResultCount\":5,\"locationRestriction\":{"
                         "\"circle\":{\"center\":{\"latitude\":34.068930,"
                         "\"longitude\":-118.445127},\"radius\":2500}}}");
    herd_provider_request_clear (&request);
    assert_null (request.url);
}

static void
test_request_for_the_legacy_api_is_exact (void **state)
{
    (void) state;
    herd_provider_request_t request;
    herd_provider_request (HERD_PROVIDER_GOOGLE_LEGACY,
                           "https://maps.googleapis.com", "a+b/c", "34.068930",
                           "-118.445127", "10000", 5, &request);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.url,
                         "https://maps.googleapis.com/maps/api/place/"
                         "nearbysearch/json?location=34.068930,-118.445127"
                         "&radius=10000&key=a%2Bb%2Fc");
    assert_null (request.headers[0]);
    assert_null (request.body);
    herd_provider_request_clear (&request);
}

static void
test_new_places_become_legacy_results (void **state)
{
    (void) state;
    const char *body =
        "{\"places\": [{\"id\": \"ChIJfixture0000000001\", \"displayName\": "
        "{\"text\": \"Fixture Hall\", \"languageCode\": \"en\"}, "
        "\"formattedAddress\": \"405 Fixture Ave, Los Angeles, CA 90095, "
        "USA\", "
        "\"location\": {\"latitude\": 34.0689, \"longitude\": -118.4452}, "
        "\"rating\": 4.5, \"types\": [\"university\"], \"userRatingCount\": "
        "120, "
        "\"businessStatus\": \"OPERATIONAL\"}, {\"id\": \"second\"}]}";
    char *text = s_answer (HERD_PROVIDER_GOOGLE, NULL, 200, body, 1);
    assert_string_equal (text,
                         "{\n"
                         "   \"html_attributions\" : [],\n"
                         "   \"results\" : [\n"
                         "      {\n"
                         "         \"business_status\" : \"OPERATIONAL\",\n"
                         "         \"geometry\" : {\n"
                         "            \"location\" : {\n"
                         "               \"lat\" : 34.0689,\n"
                         "               \"lng\" : -118.4452\n"
                         "            }\n"
                         "         },\n"
                         "         \"name\" : \"Fixture Hall\",\n"
                         "         \"place_id\" : \"ChIJfixture0000000001\",\n"
                         "         \"rating\" : 4.5,\n"
                         "         \"types\" : [\n"
                         "            \"university\"\n"
                         "         ],\n"
                         "         \"user_ratings_total\" : 120,\n"
                         "         \"vicinity\" : \"405 Fixture Ave, Los "
                         "Angeles, CA 90095, USA\"\n"
                         "      }\n"
                         "   ],\n"
                         "   \"status\" : \"OK\"\n"
                         "}");
    free (text);
}

static void
test_no_places_is_zero_results (void **state)
{
    (void) state;
    const char *bodies[] = {"{}", "{\"places\": []}"};
    for (int i = 0; i < 2; i++) {
        char *text = s_answer (HERD_PROVIDER_GOOGLE, NULL, 200, bodies[i], 5);
        assert_string_equal (text, "{\n   \"html_attributions\" : [],\n"
                                   "   \"results\" : [],\n"
                                   "   \"status\" : \"ZERO_RESULTS\"\n}");
        free (text);
    }
}

static void
test_a_legacy_error_body_is_made_whole (void **state)
{
    (void) state;
    //  Google's own fixture has no results at all
    char *text = s_answer (HERD_PROVIDER_GOOGLE_LEGACY, NULL, 200,
                           "{\"error_message\": \"Please wait.\", \"status\": "
                           "\"OVER_QUERY_LIMIT\"}",
                           5);
    assert_string_equal (text, "{\n   \"error_message\" : \"Please wait.\",\n"
                               "   \"html_attributions\" : [],\n"
                               "   \"results\" : [],\n"
                               "   \"status\" : \"OVER_QUERY_LIMIT\"\n}");
    free (text);
}

static void
test_legacy_results_are_cut_to_the_bound (void **state)
{
    (void) state;
    char *text =
        s_answer (HERD_PROVIDER_STUB, NULL, 200,
                  "{\"html_attributions\": [], \"results\": [{\"name\":"
                  " \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}], "
                  "\"status\": \"OK\"}",
                  2);
    assert_non_null (strstr (text, "\"b\""));
    assert_null (strstr (text, "\"c\""));
    free (text);
}

static void
test_http_errors_map_to_legacy_statuses (void **state)
{
    (void) state;
    const char *field_mask =
        "{\"error\": {\"code\": 400, \"message\": \"FieldMask is a required "
        "parameter.\", \"status\": \"INVALID_ARGUMENT\"}}";
    char *text = s_answer (HERD_PROVIDER_GOOGLE, NULL, 400, field_mask, 5);
    assert_non_null (strstr (text, "\"status\" : \"INVALID_REQUEST\""));
    assert_non_null (strstr (text, "\"error_message\" : \"upstream HTTP 400: "
                                   "FieldMask is a required parameter.\""));
    free (text);
    const long codes[] = {401, 403, 429, 500, 503};
    const char *statuses[] = {"REQUEST_DENIED", "REQUEST_DENIED",
                              "OVER_QUERY_LIMIT", "UNKNOWN_ERROR",
                              "UNKNOWN_ERROR"};
    for (int i = 0; i < 5; i++) {
        text = s_answer (HERD_PROVIDER_GOOGLE, NULL, codes[i], "oops", 5);
        char *expected = zsys_sprintf ("\"status\" : \"%s\"", statuses[i]);
        assert_non_null (strstr (text, expected));
        assert_non_null (strstr (text, "\"results\" : []"));
        free (expected);
        free (text);
    }
}

static void
test_failures_and_garbage_are_unknown_errors (void **state)
{
    (void) state;
    char *text = s_answer (HERD_PROVIDER_GOOGLE,
                           "upstream timeout after 5000 ms", 0, NULL, 5);
    assert_non_null (strstr (text, "\"status\" : \"UNKNOWN_ERROR\""));
    assert_non_null (strstr (text, "upstream timeout after 5000 ms"));
    free (text);
    text = s_answer (HERD_PROVIDER_GOOGLE_LEGACY, NULL, 200, "<html>", 5);
    assert_non_null (strstr (text, "upstream answer is not JSON"));
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_knows_the_providers),
        cmocka_unit_test (test_request_for_the_new_api_is_exact),
        cmocka_unit_test (test_request_for_the_legacy_api_is_exact),
        cmocka_unit_test (test_new_places_become_legacy_results),
        cmocka_unit_test (test_no_places_is_zero_results),
        cmocka_unit_test (test_a_legacy_error_body_is_made_whole),
        cmocka_unit_test (test_legacy_results_are_cut_to_the_bound),
        cmocka_unit_test (test_http_errors_map_to_legacy_statuses),
        cmocka_unit_test (test_failures_and_garbage_are_unknown_errors),
    };
    return cmocka_run_group_tests_name ("herd_provider", tests, NULL, NULL);
}
