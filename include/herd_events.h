/*  herd_events - a ZeroMQ socket's monitor, read without blocking

    libzmq tells a socket's events (connected, disconnected, handshake
    failed...) on an inproc PAIR.  The inbox and every link read theirs
    every few milliseconds in the node's loop, rather than run a zmonitor
    actor each or poll the PAIR on every turn.  Owned by the socket's
    owner; destroy it before the socket.  */

#ifndef HERD_EVENTS_H_INCLUDED
#define HERD_EVENTS_H_INCLUDED

#include <czmq.h>

typedef struct _herd_events_t herd_events_t;

//  Monitor the events of socket (borrowed) in mask (ZMQ_EVENT_...).
//  Returns NULL if libzmq refuses.
herd_events_t *herd_events_new (zsock_t *socket, int mask);

//  Stop monitoring and close the PAIR; accepts NULL, sets *self_p to NULL.
void herd_events_destroy (herd_events_t **self_p);

//  The next event waiting, if any: true with its number (ZMQ_EVENT_...)
//  and value (an fd, an errno, a retry interval: libzmq's zmq_socket_monitor
//  says which), false when none is waiting.
bool herd_events_next (herd_events_t *self, uint16_t *event, uint32_t *value);

#endif
