/*  test_herd_log - records, their escaping and their time  */

#include "herd_test.h"
#include "herd_log.h"
#include "herd_monitor.h"

#include <cJSON.h>
#include <czmq.h>

static void
test_quote_escapes_what_would_break_a_record (void **state)
{
    (void) state;
    char out[HERD_LOG_QUOTE_SIZE];
    herd_log_quote (out, "kiwi.cs.ucla.edu", 16);
    assert_string_equal (out, "\"kiwi.cs.ucla.edu\"");
    herd_log_quote (out, "a \"b\"\\\n\x01\xff", 9);
    assert_string_equal (out, "\"a \\\"b\\\"\\\\\\n\\x01\\xff\"");
    herd_log_quote (out, "", 0);
    assert_string_equal (out, "\"\"");
}

static void
test_quote_cuts_long_values (void **state)
{
    (void) state;
    char id[300];
    memset (id, 'x', sizeof (id));
    char out[HERD_LOG_QUOTE_SIZE];
    herd_log_quote (out, id, sizeof (id));
    assert_int_equal (strlen (out), HERD_LOG_QUOTE_MAX + 2 + 3);
    assert_string_equal (out + HERD_LOG_QUOTE_MAX + 1, "\"...");
    //  The worst case fits: every byte escaped as \xNN
    memset (id, 1, sizeof (id));
    herd_log_quote (out, id, sizeof (id));
    assert_int_equal (strlen (out), 4 * HERD_LOG_QUOTE_MAX + 2 + 3);
}

//  The whole log file of node in dir.
static char *
s_read (const char *dir, const char *node)
{
    char *path = zsys_sprintf ("%s/%s.log", dir, node);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = (char *) zmalloc (4096);
    size_t size = fread (text, 1, 4095, file);
    text[size] = 0;
    fclose (file);
    free (path);
    return text;
}

static void
test_a_record_carries_the_time_it_is_given (void **state)
{
    (void) state;
    char dir[] = "/tmp/herd-log-XXXXXX";
    assert_non_null (mkdtemp (dir));
    herd_log_t *log = herd_log_new (dir, "N", false);
    assert_non_null (log);
    struct timespec when = {1700000000, 123456789};
    herd_log_printf_at (log, &when, "info", "update stored seq=%d", 7);
    herd_log_printf (log, "notice", "now");
    herd_log_destroy (&log);
    char *text = s_read (dir, "N");
    assert_int_equal (strncmp (text,
                               "2023-11-14T22:13:20.123456Z N info update "
                               "stored seq=7\n",
                               55),
                      0);
    assert_non_null (strstr (text + 55, " N notice now\n"));
    free (text);
    char *path = zsys_sprintf ("%s/N.log", dir);
    unlink (path);
    free (path);
    rmdir (dir);
}

static void
test_the_monitor_reads_quoted_values_back (void **state)
{
    (void) state;
    const char *record =
        "2026-11-23T10:00:00.000001Z B info update stored from=A "
        "originator=A seq=3 client=\"a \\\"b\\\" \\x01\" seen=A,B tx=- "
        "\"data\\n\"";
    cJSON *root = (cJSON *) herd_monitor_parse (record, strlen (record));
    cJSON *fields = cJSON_GetObjectItem (root, "fields");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "client")),
        "a \"b\" \x01");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "from")), "A");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "tx")), "-");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "data")), "data\n");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (root, "event")), "update");
    cJSON_Delete (root);
    //  A cut value keeps its "..."
    const char *cut = "2026-11-23T10:00:00.000001Z B info update stale "
                      "client=\"xxxx\"... seq=1";
    root = (cJSON *) herd_monitor_parse (cut, strlen (cut));
    fields = cJSON_GetObjectItem (root, "fields");
    assert_string_equal (
        cJSON_GetStringValue (cJSON_GetObjectItem (fields, "client")),
        "xxxx...");
    cJSON_Delete (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_quote_escapes_what_would_break_a_record),
        cmocka_unit_test (test_quote_cuts_long_values),
        cmocka_unit_test (test_a_record_carries_the_time_it_is_given),
        cmocka_unit_test (test_the_monitor_reads_quoted_values_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
