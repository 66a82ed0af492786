/*  test_herd_state - the table in a file  */

#include "herd_state.h"
#include "herd_test.h"

#include <czmq.h>

static void
s_offer (herd_table_t *table, const char *line)
{
    herd_msg_t at;
    assert_int_equal (herd_msg_parse_at (&at, line, strlen (line), NULL), 0);
    assert_true (herd_table_offer (table, &at, line, strlen (line)));
}

static char *
s_path (void)
{
    char directory[] = "/tmp/herd-state-XXXXXX";
    assert_non_null (mkdtemp (directory));
    return zsys_sprintf ("%s/node.state", directory);
}

static void
s_remove (char *path)
{
    unlink (path);
    *strrchr (path, '/') = 0;
    rmdir (path);
    free (path);
}

static void
test_a_table_round_trips (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (1);
    enum { COUNT = 1000 };
    for (int i = 0; i < COUNT; i++) {
        char line[128];
        snprintf (line, sizeof (line), "AT Clark +0.5 c%d +1.5-2.5 %d.25", i,
                  i);
        s_offer (table, line);
    }
    char *path = s_path ();
    size_t count = 0;
    assert_int_equal (herd_state_save (table, path, &count), 0);
    assert_int_equal (count, COUNT);
    herd_table_t *copy = herd_table_new (2);
    size_t loaded, refused;
    assert_int_equal (herd_state_load (copy, path, &loaded, &refused), 0);
    assert_int_equal (loaded, COUNT);
    assert_int_equal (refused, 0);
    herd_record_t record;
    assert_true (herd_table_lookup (copy, "c999", 4, &record));
    assert_int_equal (record.line.size, strlen ("AT Clark +0.5 c999 "
                                                "+1.5-2.5 999.25"));
    assert_memory_equal (record.line.data, "AT Clark +0.5 c999 +1.5-2.5 999.25",
                         record.line.size);
    //  Loading again changes nothing: records are offered, newest wins
    assert_int_equal (herd_state_load (copy, path, &loaded, &refused), 0);
    assert_int_equal (loaded, 0);
    herd_table_destroy (&copy);
    herd_table_destroy (&table);
    s_remove (path);
}

static void
test_bad_lines_are_skipped_and_counted (void **state)
{
    (void) state;
    char *path = s_path ();
    FILE *file = fopen (path, "w");
    fputs ("HERDSTATE1\nAT Clark +0.5 a +1-1 5\ngarbage\n\nAT B +0 b +1-1 1",
           file);
    fclose (file);
    herd_table_t *table = herd_table_new (1);
    size_t loaded, refused;
    assert_int_equal (herd_state_load (table, path, &loaded, &refused), 0);
    assert_int_equal (loaded, 2);  //  The last line needs no LF
    assert_int_equal (refused, 2);
    //  Not a state file at all: refused whole
    file = fopen (path, "w");
    fputs ("AT Clark +0.5 a +1-1 5\n", file);
    fclose (file);
    assert_int_equal (herd_state_load (table, path, &loaded, &refused), -1);
    assert_int_equal (errno, EINVAL);
    //  No file: an empty table
    unlink (path);
    assert_int_equal (herd_state_load (table, path, &loaded, &refused), 0);
    assert_int_equal (loaded, 0);
    herd_table_destroy (&table);
    s_remove (path);
}

static void
test_a_save_that_cannot_write_fails_cleanly (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (1);
    size_t count;
    assert_int_equal (
        herd_state_save (table, "/nonexistent-dir/node.state", &count), -1);
    assert_int_equal (errno, ENOENT);
    herd_table_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_table_round_trips),
        cmocka_unit_test (test_bad_lines_are_skipped_and_counted),
        cmocka_unit_test (test_a_save_that_cannot_write_fails_cleanly),
    };
    return cmocka_run_group_tests_name ("herd_state", tests, NULL, NULL);
}
