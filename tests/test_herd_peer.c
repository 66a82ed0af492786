/*  test_herd_peer - one neighbour: its link, the updates queued for it,
    the ACK owed to it, and catch-up with it

    No node: a ROUTER of the test's own stands for the neighbour's inbox.
    Over inproc the peer's link takes every send at once and never reports
    a state change; over tcp the link goes up when the router is there.  A
    marker message sent with herd_peer_send shows what the peer had sent
    before it: one link delivers in order.  */

#include "herd_test.h"
#include "herd_peer.h"
#include "herd_wire.h"

#include <czmq.h>

#define S_NAME      "Clark"
#define S_NEIGHBOUR "Jaquez"
#define S_EPOCH     0x1122334455667788ull
#define S_SLOT      3
//  A read or a wait that must succeed takes at most this long.
#define S_DEADLINE_MS 5000

typedef struct {
    char directory[64];   //  Holds the log
    herd_log_t *log;      //  Ours
    herd_table_t *table;  //  Ours, for snapshots
    zsock_t *router;      //  The neighbour's inbox
    char endpoint[64];    //  Where it is bound, or will be
    herd_peer_t *peer;    //  Under test
    int64_t now;          //  Monotonic time as the test tells it
    uint64_t sent;        //  Updates the peer counted as sent
} s_fixture_t;

static s_fixture_t *
s_fixture_new (void)
{
    s_fixture_t *self = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    self->log = herd_test_log_new (self->directory, S_NAME);
    self->table = herd_table_new (11);
    self->now = 1000;
    return self;
}

static void
s_fixture_destroy (s_fixture_t **self_p)
{
    s_fixture_t *self = *self_p;
    herd_peer_destroy (&self->peer);
    zsock_destroy (&self->router);
    herd_table_destroy (&self->table);
    herd_test_log_destroy (&self->log, self->directory, S_NAME);
    free (self);
    *self_p = NULL;
}

static herd_peer_config_t
s_config (s_fixture_t *self)
{
    herd_peer_config_t config = {
        S_NAME, S_NEIGHBOUR, self->endpoint, NULL,      NULL,       NULL,
        S_SLOT, S_EPOCH,     self->table,    self->log, &self->sent};
    return config;
}

static void
s_peer_new (s_fixture_t *self)
{
    herd_peer_config_t config = s_config (self);
    self->peer = herd_peer_new (&config);
    assert_non_null (self->peer);
}

//  Router on inproc, bound before the peer connects.
static int
s_setup_inproc (void **state)
{
    s_fixture_t *self = s_fixture_new ();
    herd_test_inproc (self->endpoint, "test-herd-peer");
    self->router = herd_test_router_new ();
    assert_int_equal (zsock_bind (self->router, "%s", self->endpoint), 0);
    s_peer_new (self);
    *state = self;
    return 0;
}

//  Router on a port of 127.0.0.1 that zsock_bind picked.
static int
s_setup_tcp (void **state)
{
    s_fixture_t *self = s_fixture_new ();
    self->router = herd_test_router_new ();
    int port = zsock_bind (self->router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%d",
              port);
    s_peer_new (self);
    *state = self;
    return 0;
}

//  Router on a free port of the harness's, below the range where czmq's
//  "*" binds: the port can be bound again after the router is gone,
//  without another process taking it meanwhile.
static int
s_setup_tcp_free (void **state)
{
    s_fixture_t *self = s_fixture_new ();
    uint16_t port = herd_test_free_port ();
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%u",
              port);
    self->router = herd_test_router_new ();
    assert_int_equal (zsock_bind (self->router, "%s", self->endpoint), port);
    s_peer_new (self);
    *state = self;
    return 0;
}

//  A peer whose neighbour is not there: a free port, nothing listening.
static int
s_setup_tcp_unbound (void **state)
{
    s_fixture_t *self = s_fixture_new ();
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%u",
              herd_test_free_port ());
    s_peer_new (self);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    s_fixture_destroy (&self);
    return 0;
}

//  Tick as the node does, every HERD_PEER_TICK_MS.
static void
s_tick (s_fixture_t *self)
{
    self->now += HERD_PEER_TICK_MS;
    herd_peer_tick (self->peer, self->now);
}

static bool
s_ticked_up (void *arg)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    s_tick (self);
    return herd_peer_up (self->peer);
}

static bool
s_ticked_down (void *arg)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    s_tick (self);
    return !herd_peer_up (self->peer);
}

//  Something waits on the router (the ticks go on meanwhile).
static bool
s_ticked_until_received (void *arg)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    s_tick (self);
    return (zsock_events (self->router) & ZMQ_POLLIN) != 0;
}

//  The router is bound again at the endpoint the peer connects to.
static bool
s_bound_again (void *arg)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    int port = atoi (strrchr (self->endpoint, ':') + 1);
    return zsock_bind (self->router, "%s", self->endpoint) == port;
}

//  Send a marker now; the link must take it.
static void
s_mark (s_fixture_t *self)
{
    zmsg_t *marker = herd_test_marker ();
    assert_int_equal (herd_peer_send (self->peer, &marker), 0);
    assert_null (marker);
}

//  The next message the router got, from us, decoded into wire.  Caller
//  destroys it.
static zmsg_t *
s_receive (s_fixture_t *self, herd_wire_t *wire, herd_wire_command_t command)
{
    return herd_test_receive (self->router, S_NAME, wire, command);
}

static void
s_assert_span (herd_span_t span, const char *data, size_t size)
{
    assert_int_equal (span.size, size);
    assert_memory_equal (span.data, data, size);
}

static void
s_expect_marker (s_fixture_t *self)
{
    herd_test_expect_marker (self->router, S_NAME);
}

static void
s_expect_hello (s_fixture_t *self, bool answer)
{
    herd_wire_t wire;
    zmsg_t *msg = s_receive (self, &wire, HERD_WIRE_HELLO);
    assert_true (wire.epoch == S_EPOCH);
    assert_int_equal (wire.answer, answer);
    zmsg_destroy (&msg);
}

//  An ACK of the neighbour's own update (epoch, sequence).
static void
s_expect_ack (s_fixture_t *self, uint64_t epoch, uint64_t sequence)
{
    herd_wire_t wire;
    zmsg_t *msg = s_receive (self, &wire, HERD_WIRE_ACK);
    s_assert_span (wire.originator, S_NEIGHBOUR, strlen (S_NEIGHBOUR));
    assert_true (wire.epoch == epoch);
    assert_true (wire.sequence == sequence);
    zmsg_destroy (&msg);
}

//  An update as queued and as expected back.
typedef struct {
    const char *originator;  //  Node that got the IAMAT
    uint64_t epoch;          //  Its boot epoch
    uint64_t sequence;       //  Its update counter
    const char *seen;        //  Nodes holding it
    const char *payload;     //  The AT line
    size_t size;             //  Its bytes
} s_update_t;

static int
s_queue (s_fixture_t *self, const s_update_t *update)
{
    herd_span_t payload = {update->payload, update->size};
    return herd_peer_queue (self->peer, update->originator, update->epoch,
                            update->sequence, update->seen, payload);
}

static void
s_assert_update (const herd_wire_t *wire, const s_update_t *update)
{
    s_assert_span (wire->originator, update->originator,
                   strlen (update->originator));
    assert_true (wire->epoch == update->epoch);
    assert_true (wire->sequence == update->sequence);
    s_assert_span (wire->seen, update->seen, strlen (update->seen));
    s_assert_span (wire->payload, update->payload, update->size);
}

//  The next message is one AT of exactly these updates, in order.
static void
s_expect_at (s_fixture_t *self, const s_update_t *updates, size_t count)
{
    herd_wire_t wire;
    zmsg_t *msg = s_receive (self, &wire, HERD_WIRE_AT);
    assert_int_equal (wire.count, count);
    s_assert_update (&wire, &updates[0]);
    for (size_t i = 1; i < count; i++) {
        const char *reason = NULL;
        assert_int_equal (herd_wire_next_update (&wire, i, &reason), 1);
        s_assert_update (&wire, &updates[i]);
    }
    assert_int_equal (herd_wire_next_update (&wire, count, NULL), 0);
    zmsg_destroy (&msg);
}

//  Offer count records to the table.
static void
s_fill (herd_table_t *table, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char line[128];
        int size =
            snprintf (line, sizeof (line),
                      "AT Clark +0.5 client%zu +34.1-118.4 %zu.5", i, 1000 + i);
        herd_msg_t at;
        assert_int_equal (herd_msg_parse_at (&at, line, (size_t) size, NULL),
                          0);
        assert_true (herd_table_offer (table, &at, line, (size_t) size));
    }
}

//  The next messages are the table's snapshot: one SNAP of every record
//  (fewer than a batch), in the walk's order, then SNAPEND.
static void
s_expect_snapshot (s_fixture_t *self)
{
    herd_wire_t wire;
    zmsg_t *msg = s_receive (self, &wire, HERD_WIRE_SNAP);
    assert_int_equal (wire.count, herd_table_size (self->table));
    size_t cursor = 0;
    herd_span_t record;
    bool more = herd_wire_first_record (msg, &record);
    herd_record_t expected;
    while (herd_table_next (self->table, &cursor, &expected)) {
        assert_true (more);
        s_assert_span (record, expected.line.data, expected.line.size);
        more = herd_wire_next_record (msg, &record);
    }
    assert_false (more);
    zmsg_destroy (&msg);
    msg = s_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, herd_table_size (self->table));
    zmsg_destroy (&msg);
}

static void
test_new_and_destroy (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_destroy (&self->peer);
    assert_null (self->peer);
    herd_peer_destroy (&self->peer);
}

//  An endpoint the link cannot connect to: NULL, and nothing leaks.
static void
test_new_fails_on_a_bad_endpoint (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_config_t config = s_config (self);
    config.endpoint = "nowhere";
    assert_null (herd_peer_new (&config));
}

//  Found by this test: a link's socket monitor was named after the address
//  of its object, and libzmq keeps a monitor's inproc name until its I/O
//  thread has closed it; a link made at the same address meanwhile failed
//  ("no socket monitor: Address already in use") and herd_peer_new gave
//  NULL, in a few rounds of a plain build.  Monitors are now named by a
//  UUID (herd_events).
static void
test_a_peer_made_right_after_another_connects (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_config_t config = s_config (self);
    for (int i = 0; i < 100; i++) {
        herd_peer_destroy (&self->peer);
        self->peer = herd_peer_new (&config);
        if (!self->peer)
            fail_msg ("herd_peer_new failed at round %d", i);
    }
}

static void
test_accessors_say_who_the_neighbour_is (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_string_equal (herd_peer_neighbour (self->peer), S_NEIGHBOUR);
    assert_string_equal (herd_peer_endpoint (self->peer), self->endpoint);
    assert_int_equal (herd_peer_slot (self->peer), S_SLOT);
    //  No tick yet: the link does not know it is up
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    assert_false (herd_peer_up (self->peer));
    herd_peer_config_t config = s_config (self);
    config.neighbour = "Juzang";
    config.slot = -1;
    herd_peer_t *other = herd_peer_new (&config);
    assert_non_null (other);
    assert_string_equal (herd_peer_neighbour (other), "Juzang");
    assert_int_equal (herd_peer_slot (other), -1);
    herd_peer_destroy (&other);
}

//  The link comes up at a tick: the peer asks the neighbour for its
//  records and for a HELLO back.
static void
test_tick_turns_link_up_into_a_hello (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_true (herd_test_wait_until (s_ticked_up, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_UP);
    assert_true (
        herd_test_wait_until (s_ticked_until_received, self, S_DEADLINE_MS));
    s_expect_hello (self, true);
    //  Once
    s_tick (self);
    s_mark (self);
    s_expect_marker (self);
}

//  The neighbour goes away: a tick sees the link down; it comes back: a
//  tick sees it up and says HELLO again.
static void
test_tick_sees_the_link_go_down_and_up (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_true (herd_test_wait_until (s_ticked_up, self, S_DEADLINE_MS));
    assert_true (
        herd_test_wait_until (s_ticked_until_received, self, S_DEADLINE_MS));
    s_expect_hello (self, true);
    zsock_destroy (&self->router);
    assert_true (herd_test_wait_until (s_ticked_down, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    //  The old listener goes when libzmq's reaper closes it: until then
    //  the port may still be taken
    self->router = herd_test_router_new ();
    assert_true (herd_test_wait_until (s_bound_again, self, S_DEADLINE_MS));
    assert_true (herd_test_wait_until (s_ticked_up, self, S_DEADLINE_MS));
    assert_true (
        herd_test_wait_until (s_ticked_until_received, self, S_DEADLINE_MS));
    s_expect_hello (self, true);
}

//  Updates wait for the flush, then go as one AT, byte for byte.
static void
test_flush_sends_one_at_for_the_turn (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    const s_update_t updates[] = {
        {"Clark", S_EPOCH, 1, "Clark", "AT Clark +0.1 kiwi +1-1 5", 25},
        {"Juzang", 8, 77, "Juzang,Clark", "AT Juzang +0.2 a\0b +2-2 6", 25},
        {"Bona", 0, UINT64_MAX, "", "", 0},
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (s_queue (self, &updates[i]), 0);
    s_mark (self);
    assert_int_equal (herd_peer_flush (self->peer), 3);
    s_expect_marker (self);  //  Nothing went before the flush
    s_expect_at (self, updates, 3);
    //  Nothing more to send
    assert_int_equal (herd_peer_flush (self->peer), 0);
    s_mark (self);
    s_expect_marker (self);
}

//  HERD_PEER_BATCH updates, or HERD_PEER_BATCH_BYTES, go at once.
static void
test_a_full_queue_goes_without_a_flush (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    s_update_t updates[HERD_PEER_BATCH];
    for (size_t i = 0; i < HERD_PEER_BATCH; i++) {
        s_update_t update = {"Clark", S_EPOCH, i + 1, "Clark", "AT x", 4};
        updates[i] = update;
    }
    for (size_t i = 0; i < HERD_PEER_BATCH - 1; i++)
        assert_int_equal (s_queue (self, &updates[i]), 0);
    s_mark (self);
    assert_int_equal (s_queue (self, &updates[HERD_PEER_BATCH - 1]), 0);
    s_expect_marker (self);
    s_expect_at (self, updates, HERD_PEER_BATCH);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    //  Found in review: updates a full queue sent went uncounted (the
    //  stats record's herd_out fell short under load)
    assert_int_equal (self->sent, HERD_PEER_BATCH);
    //  Two payloads of 40,000 bytes pass HERD_PEER_BATCH_BYTES
    char *payload = (char *) zmalloc (40000);
    memset (payload, 'p', 40000);
    s_update_t big[2] = {{"Clark", S_EPOCH, 1000, "Clark", payload, 40000},
                         {"Clark", S_EPOCH, 1001, "Clark", payload, 40000}};
    assert_int_equal (s_queue (self, &big[0]), 0);
    s_mark (self);
    assert_int_equal (s_queue (self, &big[1]), 0);
    s_expect_marker (self);
    s_expect_at (self, big, 2);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    assert_int_equal (self->sent, HERD_PEER_BATCH + 2);
    free (payload);
}

//  What herd_wire would not take is refused, and nothing is queued.
static void
test_queue_refuses_what_breaks_the_limits (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    s_update_t update = {"bad name", S_EPOCH, 1, "Clark", "AT x", 4};
    assert_int_equal (s_queue (self, &update), -1);
    update.originator = "";
    assert_int_equal (s_queue (self, &update), -1);
    update.originator = "Clark";
    update.seen = "Clark,,Bona";
    assert_int_equal (s_queue (self, &update), -1);
    //  One name more than a seen set may hold
    char *seen = (char *) zmalloc (2 * (HERD_WIRE_SEEN_NAMES_MAX + 1));
    for (int i = 0; i < HERD_WIRE_SEEN_NAMES_MAX + 1; i++)
        strcat (seen, i ? ",a" : "a");
    update.seen = seen;
    assert_int_equal (s_queue (self, &update), -1);
    update.seen = "Clark";
    //  One byte more than a payload may hold
    size_t size = HERD_WIRE_PAYLOAD_MAX + 1;
    char *payload = (char *) zmalloc (size);
    update.payload = payload;
    update.size = size;
    assert_int_equal (s_queue (self, &update), -1);
    free (payload);
    free (seen);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    s_mark (self);
    s_expect_marker (self);
    //  And the next good one goes as usual
    update.payload = "AT x";
    update.size = 4;
    assert_int_equal (s_queue (self, &update), 0);
    assert_int_equal (herd_peer_flush (self->peer), 1);
    s_expect_at (self, &update, 1);
}

//  ACKs owed in a turn go as one, at the flush, before the updates.
static void
test_the_owed_ack_goes_out_at_flush (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 1);
    herd_peer_owe_ack (self->peer, 5, 3);
    const s_update_t update = {"Clark", S_EPOCH, 9, "Clark", "AT y", 4};
    assert_int_equal (s_queue (self, &update), 0);
    s_mark (self);
    assert_int_equal (herd_peer_flush (self->peer), 1);
    s_expect_marker (self);
    s_expect_ack (self, 5, 3);
    s_expect_at (self, &update, 1);
    //  Owed once
    assert_int_equal (herd_peer_flush (self->peer), 0);
    s_mark (self);
    s_expect_marker (self);
}

//  The neighbour restarted within a turn: the ACK owed to its old life
//  goes at once, the new one at the flush.
static void
test_an_ack_owed_for_another_epoch_goes_first (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 9);
    herd_peer_owe_ack (self->peer, 6, 1);
    s_mark (self);
    s_expect_ack (self, 5, 9);
    s_expect_marker (self);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    s_expect_ack (self, 6, 1);
}

//  Found by this test: herd_peer_owe_ack kept the last ACK owed, not the
//  highest: (5, 9) then (5, 3) sent ACK 5/3, and the neighbour's replies
//  for 4 to 9 would have waited for their timeout.
static void
test_the_highest_owed_ack_covers_the_others (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_owe_ack (self->peer, 5, 9);
    herd_peer_owe_ack (self->peer, 5, 3);
    assert_int_equal (herd_peer_flush (self->peer), 0);
    s_expect_ack (self, 5, 9);
}

//  HELLO from the neighbour: our snapshot goes at once, and a HELLO back
//  (not asking for another) when it asked for one.
static void
test_hello_received_starts_the_snapshot (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    s_fill (self->table, 5);
    herd_peer_hello_received (self->peer, false, self->now);
    s_mark (self);
    s_expect_snapshot (self);
    s_expect_marker (self);  //  No HELLO
    herd_peer_hello_received (self->peer, true, self->now);
    s_expect_snapshot (self);
    s_expect_hello (self, false);
}

//  The link is not known to be up (no tick has said so): no HELLO.
static void
test_hello_is_quiet_while_the_link_is_down (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_hello (self->peer, self->now);
    s_mark (self);
    s_expect_marker (self);
}

//  Up: HELLO, asking for one back, every time the node says so.
static void
test_hello_says_hello_when_the_link_is_up (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_true (herd_test_wait_until (s_ticked_up, self, S_DEADLINE_MS));
    assert_true (
        herd_test_wait_until (s_ticked_until_received, self, S_DEADLINE_MS));
    s_expect_hello (self, true);
    s_mark (self);
    herd_peer_hello (self->peer, self->now);
    s_expect_marker (self);
    s_expect_hello (self, true);
}

//  The neighbour's snapshot came in full: an up link is synced.
static void
test_synced_moves_the_state_to_synced (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_peer_synced (self->peer, 7);  //  Not up yet: stays down
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_DOWN);
    assert_true (herd_test_wait_until (s_ticked_up, self, S_DEADLINE_MS));
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_UP);
    herd_peer_synced (self->peer, 7);
    assert_int_equal (herd_peer_state (self->peer), HERD_LINK_SYNCED);
    assert_true (herd_peer_up (self->peer));
}

static void
test_send_sends_a_whole_message (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    zmsg_t *msg = herd_wire_snapend (42);
    assert_int_equal (herd_peer_send (self->peer, &msg), 0);
    assert_null (msg);
    herd_wire_t wire;
    msg = s_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, 42);
    zmsg_destroy (&msg);
}

//  Nobody at the other end: the link refuses, and the message is gone.
static void
test_send_is_refused_while_the_neighbour_is_away (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    zmsg_t *msg = herd_wire_snapend (42);
    assert_int_equal (herd_peer_send (self->peer, &msg), -1);
    assert_null (msg);
    //  Queued updates are lost the same way, without a complaint
    const s_update_t update = {"Clark", S_EPOCH, 1, "Clark", "AT x", 4};
    assert_int_equal (s_queue (self, &update), 0);
    assert_int_equal (herd_peer_flush (self->peer), 0);
}

//  What is queued and owed goes out when the peer is destroyed.
static void
test_destroy_sends_what_is_queued (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    const s_update_t updates[] = {
        {"Clark", S_EPOCH, 1, "Clark", "AT one", 6},
        {"Clark", S_EPOCH, 2, "Clark", "AT two", 6},
    };
    for (size_t i = 0; i < 2; i++)
        assert_int_equal (s_queue (self, &updates[i]), 0);
    herd_peer_owe_ack (self->peer, 7, 2);
    herd_peer_destroy (&self->peer);
    assert_null (self->peer);
    s_expect_ack (self, 7, 2);
    s_expect_at (self, updates, 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_new_and_destroy, s_setup_inproc,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_new_fails_on_a_bad_endpoint,
                                         s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_peer_made_right_after_another_connects, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_accessors_say_who_the_neighbour_is, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_tick_turns_link_up_into_a_hello,
                                         s_setup_tcp, s_teardown),
        cmocka_unit_test_setup_teardown (test_tick_sees_the_link_go_down_and_up,
                                         s_setup_tcp_free, s_teardown),
        cmocka_unit_test_setup_teardown (test_flush_sends_one_at_for_the_turn,
                                         s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_queue_goes_without_a_flush,
                                         s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_queue_refuses_what_breaks_the_limits, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_the_owed_ack_goes_out_at_flush,
                                         s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_ack_owed_for_another_epoch_goes_first, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_highest_owed_ack_covers_the_others, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_received_starts_the_snapshot, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_is_quiet_while_the_link_is_down, s_setup_inproc,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_hello_says_hello_when_the_link_is_up, s_setup_tcp, s_teardown),
        cmocka_unit_test_setup_teardown (test_synced_moves_the_state_to_synced,
                                         s_setup_tcp, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_sends_a_whole_message,
                                         s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_send_is_refused_while_the_neighbour_is_away,
            s_setup_tcp_unbound, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_sends_what_is_queued,
                                         s_setup_inproc, s_teardown),
    };
    return cmocka_run_group_tests_name ("herd_peer", tests, NULL, NULL);
}
