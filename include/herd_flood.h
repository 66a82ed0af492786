/*  herd_flood - the seen set, and which neighbours an update goes to

    Stateless and pure.  An update is forwarded only by a node that stored
    it, to each neighbour that is neither its sender nor in its seen set;
    the forwarder adds itself and every neighbour it sends to to the seen
    set, so that those are not sent it again by others (proto/herd.md).  */

#ifndef HERD_FLOOD_H_INCLUDED
#define HERD_FLOOD_H_INCLUDED

#include "herd_msg.h"

//  Is name one of the comma-separated names in seen?
bool herd_flood_seen (herd_span_t seen, const char *name);

//  Should an update from sender (NULL when it came from a client) with
//  this seen set go to neighbour?
bool herd_flood_forward_to (herd_span_t seen,
                            const char *sender,
                            const char *neighbour);

//  The seen set to send on: seen plus name, unless already there.  Caller
//  owns return value and must free it.
char *herd_flood_add (herd_span_t seen, const char *name);

//  The same for names[0..count), each added unless already there.
char *
herd_flood_add_all (herd_span_t seen, const char *const *names, size_t count);

#endif
