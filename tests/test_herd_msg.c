/*  test_herd_msg - the client protocol's parser and formatter  */

#include "herd_test.h"
#include "herd_msg.h"

#include <czmq.h>

static herd_msg_type_t
s_parse (herd_msg_t *msg, const char *line)
{
    return herd_msg_parse_client (msg, line, strlen (line), NULL);
}

static void
s_assert_span (herd_span_t span, const char *text)
{
    assert_int_equal (span.size, strlen (text));
    assert_memory_equal (span.data, text, span.size);
}

static void
s_assert_invalid (const char *line)
{
    herd_msg_t msg;
    const char *reason = NULL;
    if (herd_msg_parse_client (&msg, line, strlen (line), &reason)
        != HERD_MSG_INVALID)
        fail_msg ("accepted: [%s]", line);
    assert_non_null (reason);
}

static void
test_parse_client_reads_an_iamat (void **state)
{
    (void) state;
    herd_msg_t msg;
    const char *line = " \tIAMAT kiwi.cs.ucla.edu  +34.068930-118.445127 "
                       "1621464827.959498503\r\f";
    assert_int_equal (s_parse (&msg, line), HERD_MSG_IAMAT);
    s_assert_span (msg.client_id, "kiwi.cs.ucla.edu");
    s_assert_span (msg.location, "+34.068930-118.445127");
    s_assert_span (msg.time, "1621464827.959498503");
    assert_int_equal (msg.seconds, 1621464827);
    assert_int_equal (msg.nanos, 959498503);
}

static void
test_parse_client_truncates_time_to_nanoseconds (void **state)
{
    (void) state;
    herd_msg_t msg;
    assert_int_equal (s_parse (&msg, "IAMAT a +12-118 1621464827.9594985"),
                      HERD_MSG_IAMAT);
    assert_int_equal (msg.nanos, 959498500);
    assert_int_equal (s_parse (&msg, "IAMAT a +12-118 7.1234567891999"),
                      HERD_MSG_IAMAT);
    assert_int_equal (msg.seconds, 7);
    assert_int_equal (msg.nanos, 123456789);
    assert_int_equal (s_parse (&msg, "IAMAT a +0-0 9999999999999999999"),
                      HERD_MSG_IAMAT);
    assert_true (msg.seconds == 9999999999999999999ull);
}

static void
test_parse_client_accepts_the_edges (void **state)
{
    (void) state;
    herd_msg_t msg;
    const char *good[] = {
        "IAMAT a +90-180 0",      "IAMAT a -90.000+180.0 0.0",
        "IAMAT a +0090.0-0180 1", "WHATSAT a 0 0",
        "WHATSAT a 50 20",        "WHATSAT a 50.000 020",
        "WHATSAT a 2.5 7",
    };
    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
        if (s_parse (&msg, good[i]) == HERD_MSG_INVALID)
            fail_msg ("refused: [%s]", good[i]);
}

static void
test_parse_client_refuses_bad_lines (void **state)
{
    (void) state;
    const char *bad[] = {
        "IAMAT Clark +12-118",
        "IAMAT a +12-118 1 extra",
        "iamat a +12-118 1",
        "HELLO",
        "AT Clark +0.1 a +12-118 1",
        "IAMAT a 12-118 1",
        "IAMAT a +12118 1",
        "IAMAT a +12.-118 1",
        "IAMAT a +.5-118 1",
        "IAMAT a +90.0001-118 1",
        "IAMAT a +12-180.5 1",
        "IAMAT a +12-118 -1",
        "IAMAT a +12-118 +1",
        "IAMAT a +12-118 1e9",
        "IAMAT a +12-118 nan",
        "IAMAT a +12-118 1.",
        "IAMAT a +12-118 10000000000000000000",
        "IAMAT a +1e2-118 1",
        "WHATSAT a 51 5",
        "WHATSAT a 50.01 5",
        "WHATSAT a 10 21",
        "WHATSAT a -1 5",
        "WHATSAT a 10 -5",
        "WHATSAT a 10 5.0",
        "WHATSAT a 0x10 5",
        "WHATSAT a 10",
        "WHATSAT a 10 5 5",
        "WHATSAT a 1.000000000000000000000000000000000 5",
        "a b c d e f g h i",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        s_assert_invalid (bad[i]);
}

static void
test_parse_client_limits_the_client_id (void **state)
{
    (void) state;
    char line[2100];
    herd_msg_t msg;
    strcpy (line, "IAMAT ");
    memset (line + 6, 'x', 1024);
    strcpy (line + 6 + 1024, " +1-1 1");
    assert_int_equal (s_parse (&msg, line), HERD_MSG_IAMAT);
    strcpy (line, "IAMAT ");
    memset (line + 6, 'x', 1025);
    strcpy (line + 6 + 1025, " +1-1 1");
    s_assert_invalid (line);
}

//  An invalid line still says whom it was about, for the logs (herd
//  monitor --follow shows a client's invalid lines too).
static void
test_parse_client_names_the_client_of_an_invalid_line (void **state)
{
    (void) state;
    herd_msg_t msg;
    assert_int_equal (s_parse (&msg, "IAMAT kiwi +91-1 5"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "kiwi");
    assert_int_equal (s_parse (&msg, "WHATSAT kiwi 51 2"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "kiwi");
    assert_int_equal (s_parse (&msg, "IAMAT kiwi"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "kiwi");
    assert_int_equal (s_parse (&msg, "IAMAT"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "");
    assert_int_equal (s_parse (&msg, "HELLO kiwi +1-1 5"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "");
    assert_int_equal (s_parse (&msg, "iamat kiwi +1-1 5"), HERD_MSG_INVALID);
    s_assert_span (msg.client_id, "");
}

static void
test_parse_client_ignores_blank_lines (void **state)
{
    (void) state;
    herd_msg_t msg;
    assert_int_equal (s_parse (&msg, ""), HERD_MSG_BLANK);
    assert_int_equal (s_parse (&msg, " \t\r\v\f"), HERD_MSG_BLANK);
    //  A byte >= 0x80 is not white space
    assert_int_equal (s_parse (&msg, "\xa0"), HERD_MSG_INVALID);
}

static void
test_parse_client_reads_a_whatsat (void **state)
{
    (void) state;
    herd_msg_t msg;
    assert_int_equal (s_parse (&msg, "WHATSAT kiwi.cs.ucla.edu 10 5"),
                      HERD_MSG_WHATSAT);
    s_assert_span (msg.client_id, "kiwi.cs.ucla.edu");
    s_assert_span (msg.radius, "10");
    assert_int_equal (msg.bound, 5);
}

static void
test_parse_at_reads_our_own_lines (void **state)
{
    (void) state;
    herd_msg_t msg;
    const char *line = "AT Clark +0.263873386 kiwi.cs.ucla.edu "
                       "+34.068930-118.445127 1621464827.959498503";
    assert_int_equal (herd_msg_parse_at (&msg, line, strlen (line), NULL), 0);
    s_assert_span (msg.node, "Clark");
    s_assert_span (msg.skew, "+0.263873386");
    s_assert_span (msg.client_id, "kiwi.cs.ucla.edu");
    assert_int_equal (msg.seconds, 1621464827);
    const char *reason = NULL;
    assert_int_equal (
        herd_msg_parse_at (&msg, "AT Clark x a +1-1 1", 19, &reason), -1);
    assert_non_null (reason);
    assert_int_equal (herd_msg_parse_at (&msg, "IAMAT a +1-1 1", 14, NULL), -1);
}

static void
test_skew_is_signed_with_nine_decimals (void **state)
{
    (void) state;
    char skew[HERD_MSG_SKEW_SIZE];
    herd_msg_skew (skew, 1621464828, 223372000, 1621464827, 959498503);
    assert_string_equal (skew, "+0.263873497");
    herd_msg_skew (skew, 5, 0, 5, 0);
    assert_string_equal (skew, "+0.000000000");
    herd_msg_skew (skew, 5, 0, 8, 1);
    assert_string_equal (skew, "-3.000000001");
    herd_msg_skew (skew, 1700000000, 0, 9999999999999999999ull, 999999999);
    assert_string_equal (skew, "-9999999998299999999.999999999");
    herd_msg_skew (skew, 1700000000, 5, 0, 0);
    assert_string_equal (skew, "+1700000000.000000005");
}

static void
test_at_line_echoes_fields_verbatim (void **state)
{
    (void) state;
    herd_msg_t msg;
    s_parse (&msg, "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 "
                   "1621464827.959498503");
    size_t size;
    char *line = herd_msg_at_line (&msg, "Clark", 1621464828, 223372000, &size);
    const char *expected = "AT Clark +0.263873497 kiwi.cs.ucla.edu "
                           "+34.068930-118.445127 1621464827.959498503";
    assert_int_equal (size, strlen (expected));
    assert_memory_equal (line, expected, size);
    free (line);
}

static void
test_at_client_is_the_fourth_field (void **state)
{
    (void) state;
    const char *line = "AT Clark +0.263873386 kiwi.cs.ucla.edu +34-118 5";
    s_assert_span (herd_msg_at_client (line, strlen (line)),
                   "kiwi.cs.ucla.edu");
    const char *spaced = "AT\tClark  +1 \tkiwi\t+1-1 5";
    s_assert_span (herd_msg_at_client (spaced, strlen (spaced)), "kiwi");
    s_assert_span (herd_msg_at_client ("AT Clark +1", 11), "");
    s_assert_span (herd_msg_at_client ("", 0), "");
}

static void
test_invalid_reply_copies_the_line (void **state)
{
    (void) state;
    size_t size;
    char *reply = herd_msg_invalid_reply (" IAMAT\0x ", 9, &size);
    assert_int_equal (size, 12);
    assert_memory_equal (reply, "?  IAMAT\0x \n", 12);
    free (reply);
}

static void
test_coordinates_are_plain_decimals (void **state)
{
    (void) state;
    char latitude[HERD_MSG_NUMBER_SIZE], longitude[HERD_MSG_NUMBER_SIZE];
    herd_span_t location = {"+34.068930-118.445127", 21};
    assert_int_equal (herd_msg_coordinates (location, latitude, longitude), 0);
    assert_string_equal (latitude, "34.068930");
    assert_string_equal (longitude, "-118.445127");
    herd_span_t padded = {"-0012+000.1234567890123456789", 29};
    assert_int_equal (herd_msg_coordinates (padded, latitude, longitude), 0);
    assert_string_equal (latitude, "-12");
    assert_string_equal (longitude, "0.123456789012345");
    herd_span_t bad = {"+34", 3};
    assert_int_equal (herd_msg_coordinates (bad, latitude, longitude), -1);
}

static void
test_metres_shift_the_point_exactly (void **state)
{
    (void) state;
    char metres[HERD_MSG_NUMBER_SIZE];
    const char *cases[][2] = {
        {"10", "10000"}, {"2.5", "2500"},        {"0.0001", "0.1"},
        {"50", "50000"}, {"007", "7000"},        {"0", "0"},
        {"0.000", "0"},  {"1.23456", "1234.56"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        herd_span_t radius = {cases[i][0], strlen (cases[i][0])};
        assert_int_equal (herd_msg_metres (radius, metres), 0);
        assert_string_equal (metres, cases[i][1]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_client_reads_an_iamat),
        cmocka_unit_test (test_parse_client_truncates_time_to_nanoseconds),
        cmocka_unit_test (test_parse_client_accepts_the_edges),
        cmocka_unit_test (test_parse_client_refuses_bad_lines),
        cmocka_unit_test (test_parse_client_limits_the_client_id),
        cmocka_unit_test (
            test_parse_client_names_the_client_of_an_invalid_line),
        cmocka_unit_test (test_parse_client_ignores_blank_lines),
        cmocka_unit_test (test_parse_client_reads_a_whatsat),
        cmocka_unit_test (test_parse_at_reads_our_own_lines),
        cmocka_unit_test (test_skew_is_signed_with_nine_decimals),
        cmocka_unit_test (test_at_line_echoes_fields_verbatim),
        cmocka_unit_test (test_at_client_is_the_fourth_field),
        cmocka_unit_test (test_invalid_reply_copies_the_line),
        cmocka_unit_test (test_coordinates_are_plain_decimals),
        cmocka_unit_test (test_metres_shift_the_point_exactly),
    };
    return cmocka_run_group_tests_name ("herd_msg", tests, NULL, NULL);
}
