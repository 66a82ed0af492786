/*  test_herd_log - records, their escaping and their time  */

#include "herd_test.h"
#include "herd_log.h"
#include "herd_record.h"
#include "herd_msg.h"

#include <cJSON.h>
#include <czmq.h>
#include <sys/wait.h>

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
    char id[HERD_LOG_QUOTE_MAX + 100];
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

//  --follow lost ids of more than 128 bytes: every id a client may send
//  (up to HERD_MSG_CLIENT_MAX bytes) is quoted whole.
static void
test_quote_keeps_every_valid_id_whole (void **state)
{
    (void) state;
    char id[HERD_MSG_CLIENT_MAX];
    memset (id, 'x', sizeof (id));
    char out[HERD_LOG_QUOTE_SIZE];
    herd_log_quote (out, id, sizeof (id));
    assert_int_equal (strlen (out), sizeof (id) + 2);
    assert_memory_equal (out + 1, id, sizeof (id));
    assert_string_equal (out + sizeof (id) + 1, "\"");
    memset (id, 0xff, sizeof (id));
    herd_log_quote (out, id, sizeof (id));
    assert_int_equal (strlen (out), 4 * sizeof (id) + 2);
    assert_string_equal (out + 4 * sizeof (id) - 3, "\\xff\"");
}

//  What herd_log_quote wrote comes back byte for byte.
static void
test_unquote_gives_the_bytes_back (void **state)
{
    (void) state;
    char bytes[256];
    for (size_t i = 0; i < sizeof (bytes); i++)
        bytes[i] = (char) i;
    char quoted[HERD_LOG_QUOTE_SIZE];
    herd_log_quote (quoted, bytes, sizeof (bytes));
    size_t size;
    char *back = herd_log_unquote (quoted, strlen (quoted), &size);
    assert_int_equal (size, sizeof (bytes));
    assert_memory_equal (back, bytes, sizeof (bytes));
    assert_int_equal (back[size], 0);
    free (back);
    //  A cut value keeps its "..."; the text is read up to size only
    back = herd_log_unquote ("\"a\\x41\"... more", 10, &size);
    assert_int_equal (size, 5);
    assert_string_equal (back, "aA...");
    free (back);
    back = herd_log_unquote ("\"\"", 2, &size);
    assert_int_equal (size, 0);
    assert_string_equal (back, "");
    free (back);
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

//  Found by test_e2e_cli, one run in six: nodes started together (herd up)
//  raced to make a nested log directory, and zsys_dir_create gave up at a
//  level another process had just made.  Six processes at once, 40 times.
static void
test_new_makes_its_directory_beside_others (void **state)
{
    (void) state;
    for (int round = 0; round < 40; round++) {
        char dir[] = "/tmp/herd-log-XXXXXX";
        assert_non_null (mkdtemp (dir));
        char *nested = zsys_sprintf ("%s/a/b/c/d", dir);
        pid_t children[6];
        for (int i = 0; i < 6; i++) {
            children[i] = fork ();
            assert_true (children[i] >= 0);
            if (children[i] == 0) {
                char name[8];
                snprintf (name, sizeof (name), "N%d", i);
                herd_log_t *log = herd_log_new (nested, name, false);
                bool made = log != NULL;
                herd_log_destroy (&log);
                _exit (made ? 0 : 1);
            }
        }
        int failed = 0;
        for (int i = 0; i < 6; i++) {
            int status;
            waitpid (children[i], &status, 0);
            failed += !WIFEXITED (status) || WEXITSTATUS (status) != 0;
        }
        char *command = zsys_sprintf ("rm -rf %s", dir);
        assert_int_equal (system (command), 0);
        free (command);
        free (nested);
        if (failed)
            fail_msg ("round %d: %d of 6 could not make their log", round,
                      failed);
    }
}

//  A payload record about a client: the client quoted as a value, then the
//  payload; without a client, as herd_log_bytes writes it.
static void
test_about_names_the_client_then_the_payload (void **state)
{
    (void) state;
    char dir[] = "/tmp/herd-log-XXXXXX";
    assert_non_null (mkdtemp (dir));
    herd_log_t *log = herd_log_new (dir, "N", false);
    assert_non_null (log);
    herd_log_about (log, "info", "in conn=3", "ki\"wi", 5, "IAMAT ki\"wi\n",
                    12);
    herd_log_about (log, "info", "in conn=4", "", 0, "x", 1);
    herd_log_bytes (log, "info", "in conn=5", "y", 1);
    herd_log_destroy (&log);
    char *text = s_read (dir, "N");
    assert_non_null (strstr (text,
                             " N info in conn=3 client=\"ki\\\"wi\" \"IAMAT "
                             "ki\\\"wi\\n\"\n"));
    assert_non_null (strstr (text, " N info in conn=4 \"x\"\n"));
    assert_non_null (strstr (text, " N info in conn=5 \"y\"\n"));
    free (text);
    char *path = zsys_sprintf ("%s/N.log", dir);
    unlink (path);
    free (path);
    rmdir (dir);
}

//  The time of a record, as the log writes it, and nothing else.
static void
test_parse_time_reads_what_the_log_writes (void **state)
{
    (void) state;
    const char *stamp = "2023-11-14T22:13:20.123456Z";
    assert_int_equal (HERD_LOG_TIME_SIZE, strlen (stamp));
    assert_int_equal (herd_log_parse_time (stamp, strlen (stamp)),
                      1700000000123456);
    //  Only size bytes are read
    assert_int_equal (
        herd_log_parse_time ("2023-11-14T22:13:20.123456Z N info x", 27),
        1700000000123456);
    assert_int_equal (herd_log_parse_time ("1970-01-01T00:00:00.000000Z", 27),
                      0);
    assert_int_equal (herd_log_parse_time ("1970-01-01T00:00:00.000001Z", 27),
                      1);
    assert_int_equal (herd_log_parse_time ("2024-02-29T23:59:59.999999Z", 27),
                      1709251199999999);
    assert_int_equal (herd_log_parse_time ("2000-12-31T00:00:00.000000Z", 27),
                      978220800000000);
    //  What the log wrote, read back
    char dir[] = "/tmp/herd-log-XXXXXX";
    assert_non_null (mkdtemp (dir));
    herd_log_t *log = herd_log_new (dir, "N", false);
    assert_non_null (log);
    struct timespec when = {1800000000, 999999999};
    herd_log_printf_at (log, &when, "info", "x");
    herd_log_destroy (&log);
    char *path = zsys_sprintf ("%s/N.log", dir);
    FILE *file = fopen (path, "r");
    char line[256];
    assert_non_null (fgets (line, sizeof (line), file));
    fclose (file);
    assert_int_equal (herd_log_parse_time (line, strcspn (line, " ")),
                      1800000000999999);
    unlink (path);
    free (path);
    rmdir (dir);
}

static void
test_parse_time_refuses_anything_else (void **state)
{
    (void) state;
    const char *wrong[] = {
        "",
        "2023-11-14T22:13:20.123456",    //  No Z
        "2023-11-14T22:13:20.123456z",   //  Not Z
        "2023-11-14T22:13:20.123456+",   //  Nor anything else
        "2023-11-14T22:13:20.12345Z",    //  5 fraction digits
        "2023-11-14T22:13:20.1234567Z",  //  7
        "2023-11-14T22:13:20Z",          //  None
        "2023-11-14T22:13:20.123456Z ",  //  One byte too many
        "2023-11-14 22:13:20.123456Z",   //  Not T
        "2023-11-14t22:13:20.123456Z",   //  Nor t
        "2023/11/14T22:13:20.123456Z",   //  Other separators
        "2023-11-14T22.13.20:123456Z",
        "2023-11-14T22:13:2a.123456Z",  //  Letters
        "2023-1a-14T22:13:20.123456Z",
        "2023-11-14T22:13:20.12345aZ",
        "x023-11-14T22:13:20.123456Z",
        "023-11-14T22:13:20.1234567Z",  //  A 3-digit year
        "12023-11-14T22:13:20.12346Z",  //  A 5-digit year
        "2023-11-4T22:13:20.1234567Z",  //  A 1-digit day
        "2023-11-14T2:13:20.1234567Z",  //  A 1-digit hour
        "+023-11-14T22:13:20.123456Z",  //  Signs
        "2023-+1-14T22:13:20.123456Z",
        "2023-11-14T22:13:-0.123456Z",
        " 2023-11-14T22:13:20.12345Z",  //  White space
        "2023-11-14T22:13: 0.123456Z",
        "2023-00-14T22:13:20.123456Z",  //  Out of range
        "2023-13-14T22:13:20.123456Z",
        "2023-11-00T22:13:20.123456Z",
        "2023-11-31T22:13:20.123456Z",
        "2023-02-29T22:13:20.123456Z",  //  Not a leap year
        "1900-02-29T22:13:20.123456Z",
        "2023-11-14T24:00:00.000000Z",
        "2023-11-14T22:60:20.123456Z",
        "2023-11-14T22:13:60.123456Z",
    };
    for (size_t i = 0; i < sizeof (wrong) / sizeof (wrong[0]); i++)
        if (herd_log_parse_time (wrong[i], strlen (wrong[i])) != -1)
            fail_msg ("\"%s\" taken", wrong[i]);
    //  Cut short by size
    assert_int_equal (herd_log_parse_time ("2023-11-14T22:13:20.123456Z", 26),
                      -1);
    assert_int_equal (herd_log_parse_time ("2023-11-14T22:13:20.123456Z", 0),
                      -1);
    //  A NUL inside
    assert_int_equal (herd_log_parse_time ("2023-11-14T22:13:20.1\0"
                                           "3456Z",
                                           27),
                      -1);
}

static void
test_the_monitor_reads_quoted_values_back (void **state)
{
    (void) state;
    const char *record =
        "2026-11-23T10:00:00.000001Z B info update stored from=A "
        "originator=A seq=3 client=\"a \\\"b\\\" \\x01\" seen=A,B tx=- "
        "\"data\\n\"";
    cJSON *root = (cJSON *) herd_record_parse (record, strlen (record));
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
    root = (cJSON *) herd_record_parse (cut, strlen (cut));
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
        cmocka_unit_test (test_new_makes_its_directory_beside_others),
        cmocka_unit_test (test_about_names_the_client_then_the_payload),
        cmocka_unit_test (test_quote_escapes_what_would_break_a_record),
        cmocka_unit_test (test_quote_cuts_long_values),
        cmocka_unit_test (test_quote_keeps_every_valid_id_whole),
        cmocka_unit_test (test_unquote_gives_the_bytes_back),
        cmocka_unit_test (test_parse_time_reads_what_the_log_writes),
        cmocka_unit_test (test_parse_time_refuses_anything_else),
        cmocka_unit_test (test_a_record_carries_the_time_it_is_given),
        cmocka_unit_test (test_the_monitor_reads_quoted_values_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
