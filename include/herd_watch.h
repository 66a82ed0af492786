/*  herd_watch - a ZeroMQ socket read in a zloop through its ZMQ_FD

    zmq_poll asks every ZeroMQ socket in its set for its events, two system
    calls each, on every turn of the loop whatever woke it, and a node's
    turns are many and short.  So the inbox and the Places actor's pipe are
    watched through their ZMQ_FD as plain descriptors.  The descriptor only
    says "look", and only on an edge: the handler reads a batch; a read
    that finds nothing re-arms the descriptor (the socket has then taken
    in every notice), and if the batch ended before that, a zero-delay
    timer calls the handler again on the next turn (after the loop's other
    handlers had theirs).  Owned by herd_node.  */

#ifndef HERD_WATCH_H_INCLUDED
#define HERD_WATCH_H_INCLUDED

#include <czmq.h>

typedef struct _herd_watch_t herd_watch_t;

//  Reads a batch from the watched socket.  Returns 0 when a read found the
//  socket empty (EAGAIN), 1 when it stopped at its batch size with more
//  perhaps waiting, -1 to end the loop.
typedef int (herd_watch_fn) (void *arg);

//  Watch socket in loop, calling fn (arg) when it may have input.  Returns
//  NULL if the loop refuses the poller.
herd_watch_t *
herd_watch_new (zloop_t *loop, zsock_t *socket, herd_watch_fn *fn, void *arg);

//  Stop watching (the loop must still exist) and free it; accepts NULL.
void herd_watch_destroy (herd_watch_t **self_p);

//  We sent on the socket: the send may have taken in the very notice that
//  its descriptor was to show (libzmq processes a socket's commands on any
//  call), so the handler runs again on the next turn.
void herd_watch_poke (herd_watch_t *self);

#endif
