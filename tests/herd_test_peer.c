/*  herd_test_peer - a herd_peer under test, and a ROUTER of the test's
    own standing for the neighbour's inbox  */

#include "herd_test_peer.h"

#include <czmq.h>


herd_test_peer_t *
herd_test_peer_new (void)
{
    herd_test_peer_t *self =
        (herd_test_peer_t *) zmalloc (sizeof (herd_test_peer_t));
    self->log = herd_test_log_new (self->directory, HERD_TEST_PEER_NAME);
    self->table = herd_table_new (11);
    self->now = 1000;
    return self;
}

void
herd_test_peer_destroy (herd_test_peer_t **self_p)
{
    herd_test_peer_t *self = *self_p;
    herd_peer_destroy (&self->peer);
    zsock_destroy (&self->router);
    herd_table_destroy (&self->table);
    herd_test_log_destroy (&self->log, self->directory, HERD_TEST_PEER_NAME);
    free (self);
    *self_p = NULL;
}

herd_peer_config_t
herd_test_peer_config (herd_test_peer_t *self)
{
    herd_peer_config_t config = {HERD_TEST_PEER_NAME,
                                 HERD_TEST_PEER_NEIGHBOUR,
                                 self->endpoint,
                                 NULL,
                                 NULL,
                                 NULL,
                                 HERD_TEST_PEER_SLOT,
                                 HERD_TEST_PEER_EPOCH,
                                 self->table,
                                 self->log,
                                 &self->sent,
                                 false,
                                 0,
                                 NULL};
    return config;
}

void
herd_test_peer_start (herd_test_peer_t *self)
{
    herd_peer_config_t config = herd_test_peer_config (self);
    self->peer = herd_peer_new (&config);
    assert_non_null (self->peer);
}

//  Router on inproc, bound before the peer connects.
int
herd_test_peer_setup_inproc (void **state)
{
    herd_test_peer_t *self = herd_test_peer_new ();
    herd_test_inproc (self->endpoint, "test-herd-peer");
    self->router = herd_test_router_new ();
    assert_int_equal (zsock_bind (self->router, "%s", self->endpoint), 0);
    herd_test_peer_start (self);
    *state = self;
    return 0;
}

//  Router on a port of 127.0.0.1 that zsock_bind picked.
int
herd_test_peer_setup_tcp (void **state)
{
    herd_test_peer_t *self = herd_test_peer_new ();
    self->router = herd_test_router_new ();
    int port = zsock_bind (self->router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%d",
              port);
    herd_test_peer_start (self);
    *state = self;
    return 0;
}

//  Router on a free port of the harness's, below the range where czmq's
//  "*" binds: the port can be bound again after the router is gone,
//  without another process taking it meanwhile.
int
herd_test_peer_setup_tcp_free (void **state)
{
    herd_test_peer_t *self = herd_test_peer_new ();
    uint16_t port = herd_test_free_port ();
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%u",
              port);
    self->router = herd_test_router_new ();
    assert_int_equal (zsock_bind (self->router, "%s", self->endpoint), port);
    herd_test_peer_start (self);
    *state = self;
    return 0;
}

//  A peer whose neighbour is not there: a free port, nothing listening.
int
herd_test_peer_setup_tcp_unbound (void **state)
{
    herd_test_peer_t *self = herd_test_peer_new ();
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%u",
              herd_test_free_port ());
    herd_test_peer_start (self);
    *state = self;
    return 0;
}

int
herd_test_peer_teardown (void **state)
{
    herd_test_peer_t *self = (herd_test_peer_t *) *state;
    herd_test_peer_destroy (&self);
    return 0;
}

//  Tick as the node does, every HERD_PEER_TICK_MS.
void
herd_test_peer_tick (herd_test_peer_t *self)
{
    self->now += HERD_PEER_TICK_MS;
    herd_peer_tick (self->peer, self->now);
}

bool
herd_test_peer_ticked_up (void *arg)
{
    herd_test_peer_t *self = (herd_test_peer_t *) arg;
    herd_test_peer_tick (self);
    return herd_peer_up (self->peer);
}

bool
herd_test_peer_ticked_down (void *arg)
{
    herd_test_peer_t *self = (herd_test_peer_t *) arg;
    herd_test_peer_tick (self);
    return !herd_peer_up (self->peer);
}

//  Something waits on the router (the ticks go on meanwhile).
bool
herd_test_peer_ticked_until_received (void *arg)
{
    herd_test_peer_t *self = (herd_test_peer_t *) arg;
    herd_test_peer_tick (self);
    return (zsock_events (self->router) & ZMQ_POLLIN) != 0;
}

//  The router is bound again at the endpoint the peer connects to.
bool
herd_test_peer_bound_again (void *arg)
{
    herd_test_peer_t *self = (herd_test_peer_t *) arg;
    int port = atoi (strrchr (self->endpoint, ':') + 1);
    return zsock_bind (self->router, "%s", self->endpoint) == port;
}

//  Send a marker now; the link must take it.
void
herd_test_peer_mark (herd_test_peer_t *self)
{
    zmsg_t *marker = herd_test_marker ();
    assert_int_equal (herd_peer_send (self->peer, &marker), 0);
    assert_null (marker);
}

//  The next message the router got, from us, decoded into wire.  Caller
//  destroys it.
zmsg_t *
herd_test_peer_receive (herd_test_peer_t *self,
                        herd_wire_t *wire,
                        herd_wire_command_t command)
{
    return herd_test_receive (self->router, HERD_TEST_PEER_NAME, wire, command);
}

void
herd_test_peer_assert_span (herd_span_t span, const char *data, size_t size)
{
    assert_int_equal (span.size, size);
    assert_memory_equal (span.data, data, size);
}

void
herd_test_peer_expect_marker (herd_test_peer_t *self)
{
    herd_test_expect_marker (self->router, HERD_TEST_PEER_NAME);
}

void
herd_test_peer_expect_hello (herd_test_peer_t *self, bool answer)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_HELLO);
    assert_true (wire.epoch == HERD_TEST_PEER_EPOCH);
    assert_int_equal (wire.answer, answer);
    zmsg_destroy (&msg);
}

//  An ACK of the neighbour's own update (epoch, sequence).
void
herd_test_peer_expect_ack (herd_test_peer_t *self,
                           uint64_t epoch,
                           uint64_t sequence)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_ACK);
    herd_test_peer_assert_span (wire.originator, HERD_TEST_PEER_NEIGHBOUR,
                                strlen (HERD_TEST_PEER_NEIGHBOUR));
    assert_true (wire.epoch == epoch);
    assert_true (wire.sequence == sequence);
    zmsg_destroy (&msg);
}


int
herd_test_peer_queue (herd_test_peer_t *self, const herd_test_update_t *update)
{
    herd_span_t payload = {update->payload, update->size};
    return herd_peer_queue (self->peer, update->originator, update->epoch,
                            update->sequence, update->seen, payload);
}

void
herd_test_peer_assert_update (const herd_wire_t *wire,
                              const herd_test_update_t *update)
{
    herd_test_peer_assert_span (wire->originator, update->originator,
                                strlen (update->originator));
    assert_true (wire->epoch == update->epoch);
    assert_true (wire->sequence == update->sequence);
    herd_test_peer_assert_span (wire->seen, update->seen,
                                strlen (update->seen));
    herd_test_peer_assert_span (wire->payload, update->payload, update->size);
}

//  The next message is one AT of exactly these updates, in order.
void
herd_test_peer_expect_at (herd_test_peer_t *self,
                          const herd_test_update_t *updates,
                          size_t count)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_AT);
    assert_int_equal (wire.count, count);
    assert_false (wire.unacked);  //  Our replies wait for its ACKs
    herd_test_peer_assert_update (&wire, &updates[0]);
    for (size_t i = 1; i < count; i++) {
        const char *reason = NULL;
        assert_int_equal (herd_wire_next_update (&wire, i, &reason), 1);
        herd_test_peer_assert_update (&wire, &updates[i]);
    }
    assert_int_equal (herd_wire_next_update (&wire, count, NULL), 0);
    zmsg_destroy (&msg);
}

//  Offer count records to the table.
void
herd_test_peer_fill (herd_table_t *table, size_t count)
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
void
herd_test_peer_expect_snapshot (herd_test_peer_t *self)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAP);
    assert_int_equal (wire.count, herd_table_size (self->table));
    size_t cursor = 0;
    herd_span_t record;
    bool more = herd_wire_first_record (msg, &record);
    herd_record_t expected;
    while (herd_table_next (self->table, &cursor, &expected)) {
        assert_true (more);
        herd_test_peer_assert_span (record, expected.line.data,
                                    expected.line.size);
        more = herd_wire_next_record (msg, &record);
    }
    assert_false (more);
    zmsg_destroy (&msg);
    msg = herd_test_peer_receive (self, &wire, HERD_WIRE_SNAPEND);
    assert_int_equal (wire.count, herd_table_size (self->table));
    zmsg_destroy (&msg);
}

void
herd_test_peer_up (herd_test_peer_t *self)
{
    assert_true (herd_test_wait_until (herd_test_peer_ticked_up, self,
                                       HERD_TEST_PEER_DEADLINE_MS));
    assert_true (herd_test_wait_until (herd_test_peer_ticked_until_received,
                                       self, HERD_TEST_PEER_DEADLINE_MS));
    herd_test_peer_expect_hello (self, true);
}
