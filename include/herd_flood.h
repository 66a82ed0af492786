/*  herd_flood - the seen set, and which neighbours an update goes to

    Stateless and pure.  An update is forwarded only by a node that stored
    it, to each neighbour that is neither its sender nor in its seen set;
    the forwarder adds itself and every neighbour it sends to to the seen
    set, so that those are not sent it again by others (proto/herd.md).  */

#ifndef HERD_FLOOD_H_INCLUDED
#define HERD_FLOOD_H_INCLUDED

#include "herd_msg.h"
#include "herd_wire.h"

//  Is name one of the comma-separated names in seen?
bool herd_flood_seen (herd_span_t seen, const char *name);

//  Should an update from sender (NULL when it came from a client) with
//  this seen set go to neighbour?
bool herd_flood_forward_to (herd_span_t seen,
                            const char *sender,
                            const char *neighbour);

//  The seen set to send an update on with: seen (as received, valid by
//  herd_wire_seen_valid) plus names[0..count) (ourselves and the
//  neighbours it goes to), each added unless already there.  Should that
//  break herd_wire's limits (a peer filled seen with names of no node:
//  a herd has at most HERD_WIRE_SEEN_NAMES_MAX), names alone: a seen set
//  only spares deliveries, and newest-wins stops loops without it.
//  Caller owns return value and must free it.
char *
herd_flood_next_seen (herd_span_t seen, const char *const *names, size_t count);

#endif
