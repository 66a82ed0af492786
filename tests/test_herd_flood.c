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
test_next_seen_adds_each_name_once (void **state)
{
    (void) state;
    const char *names[] = {"Bernard", "Clark", "Juzang", "Bernard"};
    char *seen = herd_flood_next_seen (s_span ("Clark,Jaquez"), names, 4);
    assert_string_equal (seen, "Clark,Jaquez,Bernard,Juzang");
    free (seen);
    seen = herd_flood_next_seen (s_span (""), names, 1);
    assert_string_equal (seen, "Bernard");
    free (seen);
    seen = herd_flood_next_seen (s_span (""), names, 0);
    assert_string_equal (seen, "");
    free (seen);
}

//  A set at the limit that our names would take past it: only ours go on.
static void
test_next_seen_stays_within_the_limits (void **state)
{
    (void) state;
    char *full = (char *) zmalloc (HERD_WIRE_SEEN_MAX + 1);
    for (int i = 0; i < HERD_WIRE_SEEN_NAMES_MAX; i++)
        sprintf (full + strlen (full), "%s%04d", i ? "," : "", i);
    assert_true (herd_wire_seen_valid (full, strlen (full), NULL));
    const char *names[] = {"Clark", "0007"};
    char *seen = herd_flood_next_seen (s_span (full), names, 2);
    assert_string_equal (seen, "Clark,0007");
    free (seen);
    //  Names already there add nothing: the set goes on whole
    seen = herd_flood_next_seen (s_span (full), names + 1, 1);
    assert_string_equal (seen, full);
    free (seen);
    //  The longest set of the longest names fits, and one more does not
    char longest[HERD_WIRE_NAME_MAX + 1];
    memset (longest, 'n', HERD_WIRE_NAME_MAX);
    longest[HERD_WIRE_NAME_MAX] = 0;
    full[0] = 0;
    for (int i = 0; i < HERD_WIRE_SEEN_NAMES_MAX; i++) {
        sprintf (longest + HERD_WIRE_NAME_MAX - 4, "%04d", i);
        sprintf (full + strlen (full), "%s%s", i ? "," : "", longest);
    }
    assert_int_equal (strlen (full), HERD_WIRE_SEEN_MAX);
    seen = herd_flood_next_seen (s_span (full), names, 1);
    assert_string_equal (seen, "Clark");
    free (seen);
    free (full);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_seen_matches_whole_names),
        cmocka_unit_test (test_forward_skips_sender_and_seen),
        cmocka_unit_test (test_next_seen_adds_each_name_once),
        cmocka_unit_test (test_next_seen_stays_within_the_limits),
    };
    return cmocka_run_group_tests_name ("herd_flood", tests, NULL, NULL);
}
