/*  herd_events - a ZeroMQ socket's monitor, read without blocking  */

#include "herd_events.h"

struct _herd_events_t {
    zsock_t *socket;  //  Monitored (borrowed)
    zsock_t *pair;    //  Where libzmq tells its events
};

herd_events_t *
herd_events_new (zsock_t *socket, int mask)
{
    assert (socket);
    herd_events_t *self = (herd_events_t *) zmalloc (sizeof (herd_events_t));
    self->socket = socket;
    //  A name of its own: libzmq holds a monitor's name until its I/O
    //  thread has closed it, after this object (and its address) are gone
    zuuid_t *uuid = zuuid_new ();
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "inproc://herd-events-%s",
              zuuid_str (uuid));
    zuuid_destroy (&uuid);
    if (zmq_socket_monitor (zsock_resolve (socket), endpoint, mask) == 0)
        self->pair = zsock_new_pair (endpoint);
    if (!self->pair) {
        zmq_socket_monitor (zsock_resolve (socket), NULL, 0);
        free (self);
        return NULL;
    }
    return self;
}

void
herd_events_destroy (herd_events_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_events_t *self = *self_p;
        zmq_socket_monitor (zsock_resolve (self->socket), NULL, 0);
        zsock_destroy (&self->pair);
        free (self);
        *self_p = NULL;
    }
}

//  An event is two frames: 16-bit event and 32-bit value (host order),
//  then the endpoint.
bool
herd_events_next (herd_events_t *self, uint16_t *event, uint32_t *value)
{
    assert (self && event && value);
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (self->pair))) {
        zframe_t *frame = zmsg_first (msg);
        bool whole = frame && zframe_size (frame) >= 6;
        if (whole) {
            memcpy (event, zframe_data (frame), sizeof (*event));
            memcpy (value, zframe_data (frame) + 2, sizeof (*value));
        }
        zmsg_destroy (&msg);
        if (whole)
            return true;
    }
    return false;
}
