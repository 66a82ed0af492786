/*  test_herd_record - tap records as JSON (`herd monitor --json`)  */

#include "herd_test.h"
#include "herd_record.h"
#include "herd_log.h"

#include <cJSON.h>
#include <czmq.h>

//  U+FFFD REPLACEMENT CHARACTER in UTF-8.
#define FFFD "\xef\xbf\xbd"

//  Is text well-formed UTF-8 (Unicode 15, table 3-7)?  Written apart from
//  the monitor's own check, range by range.
static bool
s_utf8 (const char *text, size_t size)
{
    const unsigned char *bytes = (const unsigned char *) text;
    static const struct {
        unsigned char lead_low, lead_high, second_low, second_high;
        size_t length;
    } forms[] = {
        {0x00, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2},
        {0xe0, 0xe0, 0xa0, 0xbf, 3}, {0xe1, 0xec, 0x80, 0xbf, 3},
        {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4},
        {0xf4, 0xf4, 0x80, 0x8f, 4},
    };
    size_t at = 0;
    while (at < size) {
        size_t length = 0;
        for (size_t f = 0; f < sizeof (forms) / sizeof (forms[0]); f++)
            if (bytes[at] >= forms[f].lead_low
                && bytes[at] <= forms[f].lead_high)
                length = forms[f].length;
        if (length == 0 || at + length > size)
            return false;
        for (size_t f = 0; length > 1 && f < sizeof (forms) / sizeof (forms[0]);
             f++)
            if (bytes[at] >= forms[f].lead_low
                && bytes[at] <= forms[f].lead_high
                && (bytes[at + 1] < forms[f].second_low
                    || bytes[at + 1] > forms[f].second_high))
                return false;
        for (size_t i = 2; i < length; i++)
            if (bytes[at + i] < 0x80 || bytes[at + i] > 0xbf)
                return false;
        at += length;
    }
    return true;
}

//  The record as JSON: it must be UTF-8 and parse back.  Caller owns it.
static char *
s_json (const char *record)
{
    char *json = herd_record_json (record, strlen (record));
    assert_non_null (json);
    if (!s_utf8 (json, strlen (json)))
        fail_msg ("not UTF-8: %s", json);
    cJSON *root = cJSON_Parse (json);
    assert_non_null (root);
    cJSON_Delete (root);
    return json;
}

static void
test_json_keeps_every_field_of_a_record (void **state)
{
    (void) state;
    char *json = s_json ("2026-11-23T10:00:00.000001Z B info update stored "
                         "from=A originator=A seq=3 client=\"kiwi\" seen=A,B "
                         "tx=-");
    assert_string_equal (
        json, "{\"time\":\"2026-11-23T10:00:00.000001Z\",\"node\":\"B\","
              "\"level\":\"info\",\"event\":\"update\",\"text\":\"stored "
              "from=A originator=A seq=3 client=\\\"kiwi\\\" seen=A,B tx=-\","
              "\"fields\":{\"from\":\"A\",\"originator\":\"A\",\"seq\":\"3\","
              "\"client\":\"kiwi\",\"seen\":\"A,B\",\"tx\":\"-\"}}");
    free (json);
}

//  A client id as the log escapes it, as it shows in "client" and, if it
//  is no UTF-8, in "client_escaped".
typedef struct {
    const char *escaped;  //  As in the record (and in client_escaped)
    const char *shown;    //  The "client" value, as JSON text
    bool twin;            //  Is there a client_escaped?
} s_case_t;

static void
test_json_is_utf8_whatever_a_client_sent (void **state)
{
    (void) state;
    const s_case_t cases[] = {
        {"kiwi.cs.ucla.edu", "kiwi.cs.ucla.edu", false},
        {"bin\\xff23", "bin" FFFD "23", true},
        {"kiwi\\xc3\\xa9", "kiwi\xc3\xa9", false},            //  "kiwi" U+00E9
        {"a\\xc0\\xafb", "a" FFFD FFFD "b", true},            //  Overlong '/'
        {"a\\xe0\\x80\\xafb", "a" FFFD FFFD FFFD "b", true},  //  Overlong
        {"a\\x80b", "a" FFFD "b", true},                 //  A lone continuation
        {"\\xbf\\xbf", FFFD FFFD, true},                 //  Two of them
        {"a\\xe2\\x82b", "a" FFFD FFFD "b", true},       //  3-byte, cut short
        {"a\\xe2\\x82", "a" FFFD FFFD, true},            //  ... at the end
        {"a\\xf0\\x9f\\x90", "a" FFFD FFFD FFFD, true},  //  4-byte, cut
        {"a\\x00b", "a" FFFD "b", true},  //  NUL: not in a cJSON string
        {"\\xed\\xa0\\x80", FFFD FFFD FFFD, true},            //  A surrogate
        {"\\xf4\\x90\\x80\\x80", FFFD FFFD FFFD FFFD, true},  //  U+110000
        {"\\xf5\\x80", FFFD FFFD, true},
        {"\\xc3\\xa9\\xff\\xc3\\xa9", "\xc3\xa9" FFFD "\xc3\xa9", true},
        //  Well-formed, at the edges of the ranges
        {"\\xc2\\x80", "\xc2\x80", false},
        {"\\xe0\\xa0\\x80", "\xe0\xa0\x80", false},
        {"\\xed\\x9f\\xbf", "\xed\x9f\xbf", false},
        {"\\xee\\x80\\x80", "\xee\x80\x80", false},
        {"\\xf0\\x9f\\x90\\x9d", "\xf0\x9f\x90\x9d", false},
        {"\\xf4\\x8f\\xbf\\xbf", "\xf4\x8f\xbf\xbf", false},
        //  Control bytes are UTF-8: cJSON escapes them
        {"a\\x01\\x7f", "a\\u0001\x7f", false},
        {"q\\\"\\\\", "q\\\"\\\\", false},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        const s_case_t *one = &cases[i];
        char *record = zsys_sprintf ("2026-11-23T10:00:00.000002Z B info "
                                     "update stale client=\"%s\" (not newer)",
                                     one->escaped);
        char *json = s_json (record);
        //  The escaped form as JSON text: each backslash doubled
        char escaped[256] = "";
        for (size_t e = 0, o = 0; one->escaped[e]; e++) {
            if (one->escaped[e] == '\\' || one->escaped[e] == '"')
                escaped[o++] = '\\';
            escaped[o++] = one->escaped[e];
        }
        char *twin = one->twin
                         ? zsys_sprintf (",\"client_escaped\":\"%s\"", escaped)
                         : strdup ("");
        char *expected = zsys_sprintf (
            "{\"time\":\"2026-11-23T10:00:00.000002Z\",\"node\":\"B\","
            "\"level\":\"info\",\"event\":\"update\",\"text\":\"stale "
            "client=\\\"%s\\\" (not newer)\",\"fields\":{\"client\":\"%s\"%s}}",
            escaped, one->shown, twin);
        if (!streq (json, expected))
            fail_msg ("case %zu:\n%s\nnot\n%s", i, json, expected);
        free (expected);
        free (twin);
        free (json);
        free (record);
    }
}

static void
test_json_twins_the_payload_where_it_was (void **state)
{
    (void) state;
    //  A payload: "data" and "data_escaped", inside "fields"
    char *json = s_json ("2026-11-23T10:00:00.000003Z A info in conn=1 "
                         "\"IAMAT bin\\xff23 +1+1 1\"");
    assert_string_equal (
        json,
        "{\"time\":\"2026-11-23T10:00:00.000003Z\",\"node\":\"A\","
        "\"level\":\"info\",\"event\":\"in\",\"text\":\"conn=1 \\\"IAMAT "
        "bin\\\\xff23 +1+1 1\\\"\",\"fields\":{\"conn\":\"1\",\"data\":\"IAMAT "
        "bin" FFFD "23 +1+1 1\",\"data_escaped\":\"IAMAT bin\\\\xff23 +1+1 "
        "1\"}}");
    free (json);
    //  Raw bytes in the record itself (a stranger's tap): the top-level
    //  values get their twins at top level
    json = s_json ("2026-11-23T10:00:00.000004Z N\xff info ready x\xc0y "
                   "k=v\xe2");
    assert_string_equal (
        json, "{\"time\":\"2026-11-23T10:00:00.000004Z\",\"node\":\"N" FFFD
              "\",\"node_escaped\":\"N\\\\xff\",\"level\":\"info\","
              "\"event\":\"ready\",\"text\":\"x" FFFD "y k=v" FFFD
              "\",\"text_escaped\":\"x\\\\xc0y k=v\\\\xe2\",\"fields\":{"
              "\"k\":\"v" FFFD "\",\"k_escaped\":\"v\\\\xe2\"}}");
    free (json);
    //  A NUL in the record's own text
    const char nul[] = "2026-11-23T10:00:00.000005Z N info ready a\0b";
    json = herd_record_json (nul, sizeof (nul) - 1);
    assert_non_null (json);
    assert_string_equal (
        json, "{\"time\":\"2026-11-23T10:00:00.000005Z\",\"node\":\"N\","
              "\"level\":\"info\",\"event\":\"ready\",\"text\":\"a" FFFD
              "b\",\"text_escaped\":\"a\\\\x00b\",\"fields\":{}}");
    free (json);
}

//  The exact bytes come back from the twin: herd_log_escape of the bytes
//  is the twin's value.
static void
test_json_never_loses_a_byte (void **state)
{
    (void) state;
    char id[256];
    for (size_t i = 0; i < sizeof (id); i++)
        id[i] = (char) (255 - i);
    char escaped[4 * sizeof (id) + 1];
    escaped[herd_log_escape (escaped, id, sizeof (id))] = 0;
    char *record = zsys_sprintf ("2026-11-23T10:00:00.000006Z A info places "
                                 "ask id=1 conn=1 client=\"%s\" max=1",
                                 escaped);
    char *json = s_json (record);
    cJSON *root = cJSON_Parse (json);
    cJSON *fields = cJSON_GetObjectItem (root, "fields");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "client_escaped")),
        escaped);
    const char *shown =
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "client"));
    assert_true (s_utf8 (shown, strlen (shown)));
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "max")), "1");
    cJSON_Delete (root);
    free (json);
    free (record);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_keeps_every_field_of_a_record),
        cmocka_unit_test (test_json_is_utf8_whatever_a_client_sent),
        cmocka_unit_test (test_json_twins_the_payload_where_it_was),
        cmocka_unit_test (test_json_never_loses_a_byte),
    };
    return cmocka_run_group_tests_name ("herd_record", tests, NULL, NULL);
}
