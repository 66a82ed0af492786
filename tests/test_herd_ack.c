/*  test_herd_ack - replies held until the neighbours ACK  */

#include "herd_test.h"
#include "herd_ack.h"

#include <czmq.h>

typedef struct {
    char released[8][32];
    bool complete[8];
    size_t count;
} s_sink_t;

static void
s_release (void *arg,
           uint64_t connection,
           uint64_t ticket,
           const char *reply,
           size_t size,
           bool complete)
{
    s_sink_t *sink = (s_sink_t *) arg;
    assert_true (sink->count < 8);
    snprintf (sink->released[sink->count], 32, "%" PRIu64 "/%" PRIu64 " %.*s",
              connection, ticket, (int) size, reply);
    sink->complete[sink->count++] = complete;
}

static void
test_new_and_destroy_drop_what_is_held (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 3, 7, 0, "AT x", 4, 0);
    assert_int_equal (herd_ack_size (ack), 1);
    herd_ack_destroy (&ack);
    assert_null (ack);
    herd_ack_destroy (&ack);
    assert_int_equal (sink.count, 0);
}

static void
test_hold_with_no_link_releases_at_once (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 0, 7, 2, "AT x", 4, 0);
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.released[0], "7/2 AT x");
    assert_true (sink.complete[0]);
    assert_int_equal (herd_ack_size (ack), 0);
    herd_ack_destroy (&ack);
}

static void
test_receive_releases_after_the_last_link (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 0x5, 7, 0, "AT a", 4, 0);  //  Links 0 and 2
    herd_ack_hold (ack, 2, 0x1, 8, 0, "AT b", 4, 0);
    herd_ack_receive (ack, 1, 0);
    herd_ack_receive (ack, 1, 1);   //  Not waited for: ignored
    herd_ack_receive (ack, 0, 2);   //  Before every held one: ignored
    herd_ack_receive (ack, 1, 70);  //  No such link: ignored
    assert_int_equal (sink.count, 0);
    herd_ack_receive (ack, 2, 0);  //  The second may finish first
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.released[0], "8/0 AT b");
    herd_ack_receive (ack, 1, 2);
    assert_int_equal (sink.count, 2);
    assert_string_equal (sink.released[1], "7/0 AT a");
    assert_true (sink.complete[1]);
    herd_ack_receive (ack, 1, 2);  //  Again: ignored
    assert_int_equal (sink.count, 2);
    herd_ack_destroy (&ack);
}

static void
test_an_ack_covers_every_update_before_it (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 0x3, 7, 0, "AT a", 4, 0);  //  Links 0 and 1
    herd_ack_hold (ack, 2, 0x1, 7, 1, "AT b", 4, 0);  //  Link 0 only
    herd_ack_hold (ack, 3, 0x3, 7, 2, "AT c", 4, 0);
    herd_ack_hold (ack, 4, 0x3, 7, 3, "AT d", 4, 0);
    herd_ack_receive (ack, 3, 0);  //  1, 2, 3 on link 0: only 2 is done
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.released[0], "7/1 AT b");
    herd_ack_receive (ack, 9, 1);  //  Past the last: every one on link 1
    assert_int_equal (sink.count, 3);
    assert_string_equal (sink.released[1], "7/0 AT a");
    assert_string_equal (sink.released[2], "7/2 AT c");
    assert_int_equal (herd_ack_size (ack), 1);  //  4 waits for link 0
    herd_ack_receive (ack, 4, 0);
    assert_int_equal (sink.count, 4);
    assert_string_equal (sink.released[3], "7/3 AT d");
    assert_int_equal (herd_ack_size (ack), 0);
    herd_ack_destroy (&ack);
}

//  A neighbour taken out of the topology: no reply waits for it any more.
static void
test_forget_stops_waiting_for_a_link (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 1 << 2, 7, 0, "AT a", 4, 0);  //  Link 2 only
    herd_ack_hold (ack, 2, 3 << 2, 7, 1, "AT b", 4, 0);  //  Links 2 and 3
    herd_ack_forget (ack, 2);
    assert_int_equal (sink.count, 1);
    assert_string_equal (sink.released[0], "7/0 AT a");
    assert_false (sink.complete[0]);
    herd_ack_receive (ack, 2, 3);
    assert_int_equal (sink.count, 2);
    assert_string_equal (sink.released[1], "7/1 AT b");
    assert_true (sink.complete[1]);
    herd_ack_forget (ack, HERD_ACK_LINKS_MAX);  //  Ignored
    herd_ack_destroy (&ack);
}

static void
test_expire_releases_what_is_due (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (HERD_ACK_TIMEOUT_MS, s_release, &sink);
    herd_ack_hold (ack, 1, 1, 7, 0, "AT a", 4, 1000);
    herd_ack_hold (ack, 2, 1, 7, 1, "AT b", 4, 1050);
    assert_int_equal (herd_ack_expire (ack, 1000 + HERD_ACK_TIMEOUT_MS - 1), 0);
    assert_int_equal (herd_ack_expire (ack, 1000 + HERD_ACK_TIMEOUT_MS), 1);
    assert_string_equal (sink.released[0], "7/0 AT a");
    assert_false (sink.complete[0]);
    assert_int_equal (herd_ack_expire (ack, 5000), 1);
    assert_int_equal (herd_ack_size (ack), 0);
    herd_ack_destroy (&ack);
}

//  The hold is a setting (ack_hold_ms): another length is kept, and 0
//  holds nothing.
static void
test_the_hold_is_set_per_node (void **state)
{
    (void) state;
    s_sink_t sink = {0};
    herd_ack_t *ack = herd_ack_new (2500, s_release, &sink);
    herd_ack_hold (ack, 1, 1, 7, 0, "AT a", 4, 1000);
    assert_int_equal (herd_ack_expire (ack, 3499), 0);
    assert_int_equal (herd_ack_expire (ack, 3500), 1);
    herd_ack_destroy (&ack);
    ack = herd_ack_new (0, s_release, &sink);
    herd_ack_hold (ack, 1, 1, 7, 1, "AT b", 4, 1000);
    assert_int_equal (sink.count, 2);
    assert_string_equal (sink.released[1], "7/1 AT b");
    assert_true (sink.complete[1]);
    assert_int_equal (herd_ack_size (ack), 0);
    herd_ack_destroy (&ack);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy_drop_what_is_held),
        cmocka_unit_test (test_hold_with_no_link_releases_at_once),
        cmocka_unit_test (test_receive_releases_after_the_last_link),
        cmocka_unit_test (test_an_ack_covers_every_update_before_it),
        cmocka_unit_test (test_forget_stops_waiting_for_a_link),
        cmocka_unit_test (test_expire_releases_what_is_due),
        cmocka_unit_test (test_the_hold_is_set_per_node),
    };
    return cmocka_run_group_tests_name ("herd_ack", tests, NULL, NULL);
}
