/*  test_herd_flood - the seen set and the forwarding rule  */

#include "herd_test.h"
#include "herd_flood.h"

#include <czmq.h>

static herd_span_t
s_span (const char *text)
{
    herd_span_t span = {text, strlen (text)};
    return span;
}

static void
test_seen_matches_whole_names (void **state)
{
    (void) state;
    assert_true (herd_flood_seen (s_span ("Clark,Jaquez"), "Jaquez"));
    assert_true (herd_flood_seen (s_span ("Clark,Jaquez"), "Clark"));
    assert_false (herd_flood_seen (s_span ("Clark,Jaquez"), "Jaq"));
    assert_false (herd_flood_seen (s_span ("Clarke"), "Clark"));
    assert_false (herd_flood_seen (s_span (""), "Clark"));
}

static void
test_forward_skips_sender_and_seen (void **state)
{
    (void) state;
    herd_span_t seen = s_span ("Clark,Jaquez");
    assert_false (herd_flood_forward_to (seen, "Jaquez", "Jaquez"));
    assert_false (herd_flood_forward_to (seen, "Jaquez", "Clark"));
    assert_true (herd_flood_forward_to (seen, "Jaquez", "Bernard"));
    assert_false (herd_flood_forward_to (seen, "Bernard", "Bernard"));
    assert_true (herd_flood_forward_to (s_span (""), NULL, "Bernard"));
}

static void
test_add_appends_once (void **state)
{
    (void) state;
    char *seen = herd_flood_add (s_span (""), "Clark");
    assert_string_equal (seen, "Clark");
    char *more = herd_flood_add (s_span (seen), "Jaquez");
    assert_string_equal (more, "Clark,Jaquez");
    char *same = herd_flood_add (s_span (more), "Clark");
    assert_string_equal (same, "Clark,Jaquez");
    free (seen);
    free (more);
    free (same);
}

static void
test_add_all_adds_each_name_once (void **state)
{
    (void) state;
    const char *names[] = {"Bernard", "Clark", "Juzang", "Bernard"};
    char *seen = herd_flood_add_all (s_span ("Clark,Jaquez"), names, 4);
    assert_string_equal (seen, "Clark,Jaquez,Bernard,Juzang");
    free (seen);
    seen = herd_flood_add_all (s_span (""), names, 1);
    assert_string_equal (seen, "Bernard");
    free (seen);
    seen = herd_flood_add_all (s_span (""), names, 0);
    assert_string_equal (seen, "");
    free (seen);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_seen_matches_whole_names),
        cmocka_unit_test (test_forward_skips_sender_and_seen),
        cmocka_unit_test (test_add_all_adds_each_name_once),
        cmocka_unit_test (test_add_appends_once),
    };
    return cmocka_run_group_tests_name ("herd_flood", tests, NULL, NULL);
}
