/*  test_herd_line - the line splitter  */

#include "herd_test.h"
#include "herd_line.h"

typedef struct {
    char lines[16][128];
    bool truncated[16];
    size_t count;
} s_sink_t;

static bool
s_collect (void *arg, const char *line, size_t size, bool truncated)
{
    s_sink_t *sink = (s_sink_t *) arg;
    assert_true (sink->count < 16);
    assert_true (size < 128);
    memcpy (sink->lines[sink->count], line, size);
    sink->lines[sink->count][size] = 0;
    sink->truncated[sink->count] = truncated;
    sink->count++;
    return true;
}

static bool
s_collect_two (void *arg, const char *line, size_t size, bool truncated)
{
    s_collect (arg, line, size, truncated);
    return ((s_sink_t *) arg)->count % 2 != 0;
}

static void
test_lf_and_crlf_end_lines (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (64);
    s_sink_t sink = {0};
    const char *data = "one\ntwo\r\n\nthree";
    herd_line_feed (line, data, strlen (data), s_collect, &sink);
    assert_int_equal (sink.count, 3);
    assert_string_equal (sink.lines[0], "one");
    assert_string_equal (sink.lines[1], "two");
    assert_string_equal (sink.lines[2], "");
    herd_line_finish (line, s_collect, &sink);
    assert_int_equal (sink.count, 4);
    assert_string_equal (sink.lines[3], "three");
    herd_line_destroy (&line);
    assert_null (line);
    herd_line_destroy (&line);
}

static void
test_a_line_split_over_many_feeds_is_whole (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (64);
    s_sink_t sink = {0};
    const char *data = "WHATSAT kiwi.cs.ucla.edu 10 5\r\n";
    for (size_t i = 0; i < strlen (data); i++)
        herd_line_feed (line, data + i, 1, s_collect, &sink);
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.lines[0], "WHATSAT kiwi.cs.ucla.edu 10 5");
    assert_false (sink.truncated[0]);
    herd_line_destroy (&line);
}

static void
test_inner_bytes_are_kept (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (64);
    s_sink_t sink = {0};
    const char data[] = " a\rb\0c \r\n";
    herd_line_feed (line, data, sizeof (data) - 1, s_collect, &sink);
    assert_int_equal (sink.count, 1);
    assert_memory_equal (sink.lines[0], " a\rb\0c ", 7);
    herd_line_destroy (&line);
}

static void
test_a_line_at_the_cap_is_whole (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (8);
    s_sink_t sink = {0};
    herd_line_feed (line, "12345678", 8, s_collect, &sink);
    herd_line_feed (line, "\r", 1, s_collect, &sink);
    assert_int_equal (sink.count, 0);
    herd_line_feed (line, "\n12345678\n", 10, s_collect, &sink);
    assert_int_equal (sink.count, 2);
    assert_string_equal (sink.lines[0], "12345678");
    assert_false (sink.truncated[0]);
    assert_string_equal (sink.lines[1], "12345678");
    assert_false (sink.truncated[1]);
    herd_line_destroy (&line);
}

static void
test_an_overlong_line_gives_its_head_once (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (8);
    s_sink_t sink = {0};
    herd_line_feed (line, "1234", 4, s_collect, &sink);
    herd_line_feed (line, "56789abc", 8, s_collect, &sink);
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.lines[0], "12345678");
    assert_true (sink.truncated[0]);
    herd_line_feed (line, "defgh", 5, s_collect, &sink);
    herd_line_feed (line, "ij\nnext\n", 8, s_collect, &sink);
    assert_int_equal (sink.count, 2);
    assert_string_equal (sink.lines[1], "next");
    //  Overlong within one feed, newline included
    herd_line_feed (line, "abcdefghijk\nok\n", 15, s_collect, &sink);
    assert_int_equal (sink.count, 4);
    assert_string_equal (sink.lines[2], "abcdefgh");
    assert_true (sink.truncated[2]);
    assert_string_equal (sink.lines[3], "ok");
    //  Nine bytes then CR then a non-LF byte: overlong
    herd_line_feed (line, "123456789\rx\n", 12, s_collect, &sink);
    assert_int_equal (sink.count, 5);
    assert_true (sink.truncated[4]);
    herd_line_destroy (&line);
}

static void
test_an_overlong_last_line_is_not_given_twice (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (4);
    s_sink_t sink = {0};
    herd_line_feed (line, "abcdefgh", 8, s_collect, &sink);
    herd_line_finish (line, s_collect, &sink);
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.lines[0], "abcd");
    herd_line_destroy (&line);
}

static void
test_feed_stops_when_asked (void **state)
{
    (void) state;
    herd_line_t *line = herd_line_new (64);
    s_sink_t sink = {0};
    const char *data = "a\nb\nc\nd\ne";
    size_t used = herd_line_feed (line, data, 9, s_collect_two, &sink);
    assert_int_equal (used, 4);
    assert_int_equal (sink.count, 2);
    used += herd_line_feed (line, data + used, 9 - used, s_collect_two, &sink);
    assert_int_equal (used, 8);
    assert_string_equal (sink.lines[3], "d");
    used += herd_line_feed (line, data + used, 9 - used, s_collect_two, &sink);
    assert_int_equal (used, 9);
    herd_line_finish (line, s_collect, &sink);
    assert_string_equal (sink.lines[4], "e");
    herd_line_destroy (&line);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lf_and_crlf_end_lines),
        cmocka_unit_test (test_a_line_split_over_many_feeds_is_whole),
        cmocka_unit_test (test_inner_bytes_are_kept),
        cmocka_unit_test (test_a_line_at_the_cap_is_whole),
        cmocka_unit_test (test_an_overlong_line_gives_its_head_once),
        cmocka_unit_test (test_an_overlong_last_line_is_not_given_twice),
        cmocka_unit_test (test_feed_stops_when_asked),
    };
    return cmocka_run_group_tests_name ("herd_line", tests, NULL, NULL);
}
