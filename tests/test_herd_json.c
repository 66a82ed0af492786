/*  test_herd_json - Google's legacy layout  */

#include "herd_test.h"
#include "herd_json.h"

#include <czmq.h>

static char *
s_print (const char *json)
{
    cJSON *root = cJSON_Parse (json);
    assert_non_null (root);
    size_t size;
    char *text = herd_json_print (root, &size);
    assert_int_equal (size, strlen (text));
    cJSON_Delete (root);
    return text;
}

static void
test_print_uses_the_legacy_layout (void **state)
{
    (void) state;
    char *text = s_print ("{\"a\":[],\"b\":{},\"c\":[1,{\"d\":true}],"
                          "\"e\":null,\"f\":false}");
    assert_string_equal (text, "{\n"
                               "   \"a\" : [],\n"
                               "   \"b\" : {},\n"
                               "   \"c\" : [\n"
                               "      1,\n"
                               "      {\n"
                               "         \"d\" : true\n"
                               "      }\n"
                               "   ],\n"
                               "   \"e\" : null,\n"
                               "   \"f\" : false\n"
                               "}");
    free (text);
}

static void
test_print_writes_numbers_short_and_exact (void **state)
{
    (void) state;
    const char *cases[][2] = {
        {"120", "120"},
        {"1200", "1200"},
        {"0", "0"},
        {"-7", "-7"},
        {"4.5", "4.5"},
        {"34.0689", "34.0689"},
        {"-118.4452", "-118.4452"},
        {"34.0629834", "34.0629834"},
        {"0.1", "0.1"},
        {"1e300", "1e+300"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *json = zsys_sprintf ("[%s]", cases[i][0]);
        char *text = s_print (json);
        char *expected = zsys_sprintf ("[\n   %s\n]", cases[i][1]);
        if (!streq (text, expected))
            fail_msg ("%s printed as %s", cases[i][0], text);
        free (expected);
        free (text);
        free (json);
    }
}

//  The shortest form, found the slow way: every precision from 1.
static void
s_shortest (double value, char *buffer, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf (buffer, size, "%.*g", precision, value);
        if (strtod (buffer, NULL) == value)
            return;
    }
}

//  Numbers print as the slow search would have them: decimals of every
//  length and scale, and doubles of random bits.
static void
test_numbers_match_the_exhaustive_search (void **state)
{
    (void) state;
    unsigned seed = 11;
    for (int i = 0; i < 20000; i++) {
        double value;
        if (i % 2) {
            uint64_t bits = ((uint64_t) rand_r (&seed) << 42)
                            ^ ((uint64_t) rand_r (&seed) << 21)
                            ^ (uint64_t) rand_r (&seed);
            memcpy (&value, &bits, sizeof (value));
            if (!isfinite (value))
                continue;
        } else {
            char decimal[64];
            snprintf (decimal, sizeof (decimal), "%d.%de%d",
                      rand_r (&seed) % 1000, rand_r (&seed),
                      rand_r (&seed) % 40 - 20);
            value = strtod (decimal, NULL);
        }
        if (value == floor (value) && fabs (value) < 9007199254740992.0)
            continue;  //  Whole numbers print as integers
        cJSON *root = cJSON_CreateArray ();
        cJSON_AddItemToArray (root, cJSON_CreateNumber (value));
        size_t size;
        char *text = herd_json_print (root, &size);
        char shortest[40];
        s_shortest (value, shortest, sizeof (shortest));
        char *expected = zsys_sprintf ("[\n   %s\n]", shortest);
        if (!streq (text, expected))
            fail_msg ("%.17g printed as %s, not %s", value, text, shortest);
        free (expected);
        free (text);
        cJSON_Delete (root);
    }
}

static void
test_print_escapes_strings (void **state)
{
    (void) state;
    cJSON *root = cJSON_CreateString ("a\"b\\c\nd\te\x01 caf\xc3\xa9");
    size_t size;
    char *text = herd_json_print (root, &size);
    assert_string_equal (text, "\"a\\\"b\\\\c\\nd\\te\\u0001 caf\xc3\xa9\"");
    free (text);
    cJSON_Delete (root);
}

static void
test_response_and_cut (void **state)
{
    (void) state;
    cJSON *root = herd_json_response ("REQUEST_DENIED", "no key");
    size_t size;
    char *text = herd_json_print (root, &size);
    assert_string_equal (text, "{\n   \"error_message\" : \"no key\",\n"
                               "   \"html_attributions\" : [],\n"
                               "   \"results\" : [],\n"
                               "   \"status\" : \"REQUEST_DENIED\"\n}");
    free (text);
    cJSON_Delete (root);
    root = cJSON_Parse ("{\"results\":[1,2,3]}");
    herd_json_cut (root, 2);
    assert_int_equal (
        cJSON_GetArraySize (cJSON_GetObjectItem (root, "results")), 2);
    herd_json_cut (root, 0);
    assert_int_equal (
        cJSON_GetArraySize (cJSON_GetObjectItem (root, "results")), 0);
    cJSON_Delete (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_print_uses_the_legacy_layout),
        cmocka_unit_test (test_print_writes_numbers_short_and_exact),
        cmocka_unit_test (test_numbers_match_the_exhaustive_search),
        cmocka_unit_test (test_print_escapes_strings),
        cmocka_unit_test (test_response_and_cut),
    };
    return cmocka_run_group_tests_name ("herd_json", tests, NULL, NULL);
}
