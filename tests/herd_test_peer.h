/*  herd_test_peer - a herd_peer under test, and a ROUTER of the test's
    own standing for the neighbour's inbox (tests/test_herd_peer*.c)

    Over inproc the peer's link takes every send at once and never reports
    a state change; over tcp the link goes up when the router is there.  A
    marker message sent with herd_test_peer_mark shows what the peer had
    sent before it: one link delivers in order.  */

#ifndef HERD_TEST_PEER_H_INCLUDED
#define HERD_TEST_PEER_H_INCLUDED

#include "herd_test.h"
#include "herd_peer.h"
#include "herd_wire.h"

#define HERD_TEST_PEER_NAME      "Clark"
#define HERD_TEST_PEER_NEIGHBOUR "Jaquez"
#define HERD_TEST_PEER_EPOCH     0x1122334455667788ull
#define HERD_TEST_PEER_SLOT      3
//  A read or a wait that must succeed takes at most this long.
#define HERD_TEST_PEER_DEADLINE_MS 5000

typedef struct {
    char directory[64];   //  Holds the log
    herd_log_t *log;      //  Ours
    herd_table_t *table;  //  Ours, for snapshots
    zsock_t *router;      //  The neighbour's inbox
    char endpoint[64];    //  Where it is bound, or will be
    herd_peer_t *peer;    //  Under test
    int64_t now;          //  Monotonic time as the test tells it
    uint64_t sent;        //  Updates the peer counted as sent
} herd_test_peer_t;

//  An update as queued and as expected back.
typedef struct {
    const char *originator;  //  Node that got the IAMAT
    uint64_t epoch;          //  Its boot epoch
    uint64_t sequence;       //  Its update counter
    const char *seen;        //  Nodes holding it
    const char *payload;     //  The AT line
    size_t size;             //  Its bytes
} herd_test_update_t;

herd_test_peer_t *herd_test_peer_new (void);

void herd_test_peer_destroy (herd_test_peer_t **self_p);

herd_peer_config_t herd_test_peer_config (herd_test_peer_t *self);

void herd_test_peer_start (herd_test_peer_t *self);

//  Router on inproc, bound before the peer connects.
int herd_test_peer_setup_inproc (void **state);

//  Router on a port of 127.0.0.1 that zsock_bind picked.
int herd_test_peer_setup_tcp (void **state);

//  Router on a free port of the harness's, below the range where czmq's
//  "*" binds: the port can be bound again after the router is gone,
//  without another process taking it meanwhile.
int herd_test_peer_setup_tcp_free (void **state);

//  A peer whose neighbour is not there: a free port, nothing listening.
int herd_test_peer_setup_tcp_unbound (void **state);

int herd_test_peer_teardown (void **state);

//  Tick as the node does, every HERD_PEER_TICK_MS.
void herd_test_peer_tick (herd_test_peer_t *self);

bool herd_test_peer_ticked_up (void *arg);

bool herd_test_peer_ticked_down (void *arg);

//  Something waits on the router (the ticks go on meanwhile).
bool herd_test_peer_ticked_until_received (void *arg);

//  The router is bound again at the endpoint the peer connects to.
bool herd_test_peer_bound_again (void *arg);

//  Send a marker now; the link must take it.
void herd_test_peer_mark (herd_test_peer_t *self);

//  The next message the router got, from us, decoded into wire.  Caller
//  destroys it.
zmsg_t *herd_test_peer_receive (herd_test_peer_t *self,
                                herd_wire_t *wire,
                                herd_wire_command_t command);

void
herd_test_peer_assert_span (herd_span_t span, const char *data, size_t size);

void herd_test_peer_expect_marker (herd_test_peer_t *self);

void herd_test_peer_expect_hello (herd_test_peer_t *self, bool answer);

//  An ACK of the neighbour's own update (epoch, sequence).
void herd_test_peer_expect_ack (herd_test_peer_t *self,
                                uint64_t epoch,
                                uint64_t sequence);

int herd_test_peer_queue (herd_test_peer_t *self,
                          const herd_test_update_t *update);

void herd_test_peer_assert_update (const herd_wire_t *wire,
                                   const herd_test_update_t *update);

//  The next message is one AT of exactly these updates, in order.
void herd_test_peer_expect_at (herd_test_peer_t *self,
                               const herd_test_update_t *updates,
                               size_t count);

//  Offer count records to the table.
void herd_test_peer_fill (herd_table_t *table, size_t count);

//  The next messages are the table's snapshot: one SNAP of every record
//  (fewer than a batch), in the walk's order, then SNAPEND.
void herd_test_peer_expect_snapshot (herd_test_peer_t *self);

//  Tick until the link is up and read the HELLO it says on coming up.
void herd_test_peer_up (herd_test_peer_t *self);

#endif
