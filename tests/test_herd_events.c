/*  test_herd_events - a socket's monitor, read without blocking  */

#include "herd_test.h"
#include "herd_events.h"

#define S_DEADLINE_MS 5000

typedef struct {
    herd_events_t *events;
    uint16_t wanted;  //  The event waited for
    uint32_t value;   //  Its value, once seen
} s_wait_t;

static bool
s_seen (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    uint16_t event;
    uint32_t value;
    while (herd_events_next (wait->events, &event, &value))
        if (event == wait->wanted) {
            wait->value = value;
            return true;
        }
    return false;
}

//  A DEALER's connection to a ROUTER is told: connected, then the
//  handshake; nothing is waiting before or after.
static void
test_new_tells_a_sockets_events (void **state)
{
    (void) state;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    herd_events_t *events = herd_events_new (
        dealer, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    assert_non_null (events);
    uint16_t event;
    uint32_t value;
    assert_false (herd_events_next (events, &event, &value));
    assert_int_equal (zsock_connect (dealer, "tcp://127.0.0.1:%d", port), 0);
    s_wait_t wait = {events, ZMQ_EVENT_CONNECTED, 0};
    assert_true (herd_test_wait_until (s_seen, &wait, S_DEADLINE_MS));
    wait.wanted = ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    assert_true (herd_test_wait_until (s_seen, &wait, S_DEADLINE_MS));
    assert_false (herd_events_next (events, &event, &value));
    herd_events_destroy (&events);
    assert_null (events);
    herd_events_destroy (&events);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  Found by test_herd_peer: a monitor named after its object's address
//  could not be made again at that address until libzmq had closed the
//  last one.  Made and destroyed at once, many times over.
static void
test_a_monitor_can_be_made_again_at_once (void **state)
{
    (void) state;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    for (int i = 0; i < 500; i++) {
        herd_events_t *events = herd_events_new (dealer, ZMQ_EVENT_ALL);
        if (!events)
            fail_msg ("no monitor at round %d", i);
        herd_events_destroy (&events);
    }
    zsock_destroy (&dealer);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_tells_a_sockets_events),
        cmocka_unit_test (test_a_monitor_can_be_made_again_at_once),
    };
    return cmocka_run_group_tests_name ("herd_events", tests, NULL, NULL);
}
