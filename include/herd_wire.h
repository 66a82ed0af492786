/*  herd_wire - encode and decode the frames of herd links (proto/herd.md)

    Stateless and pure.  The only place that knows the frame layout.  */

#ifndef HERD_WIRE_H_INCLUDED
#define HERD_WIRE_H_INCLUDED

#include "herd_msg.h"

#include <czmq.h>

//  First frame of every herd message: protocol family and version 1.
#define HERD_WIRE_SIGNATURE "HERD1"
//  Longest node name; names are [A-Za-z0-9_.-]+.
#define HERD_WIRE_NAME_MAX 64

typedef enum {
    HERD_WIRE_AT,     //  A location update
    HERD_WIRE_ACK,    //  "I hold your update": the originator may answer
    HERD_WIRE_OTHER,  //  A command of a newer version: ignore it
} herd_wire_command_t;

//  A decoded message.  Spans point into the zmsg_t frames and are valid
//  while that message lives.
typedef struct {
    herd_wire_command_t command;  //  What it is
    herd_span_t sender;           //  Routing id: the neighbour that sent it
    herd_span_t name;             //  Command frame as received
    herd_span_t originator;       //  AT: node that got the IAMAT
    uint64_t epoch;               //  AT: originator's boot epoch
    uint64_t sequence;            //  AT: originator's update counter
    herd_span_t seen;             //  AT: comma list of nodes holding it
    herd_span_t payload;          //  AT: the AT line
} herd_wire_t;

//  Build an AT update (without routing id: a DEALER sends it).  Caller owns
//  return value and must destroy it.
zmsg_t *herd_wire_at (const char *originator,
                      uint64_t epoch,
                      uint64_t sequence,
                      const char *seen,
                      const char *payload,
                      size_t size);

//  Build an ACK of the update (originator, epoch, sequence).  Caller owns
//  return value and must destroy it.
zmsg_t *
herd_wire_ack (const char *originator, uint64_t epoch, uint64_t sequence);

//  Decode a message as a ROUTER received it: routing id, then the frames.
//  Returns 0 and fills self, or -1 and sets *reason (static string).  An
//  unknown command with the right signature decodes as HERD_WIRE_OTHER.
int herd_wire_decode (herd_wire_t *self, zmsg_t *msg, const char **reason);

//  Is name a valid node name?
bool herd_wire_name_valid (const char *name, size_t size);

#endif
