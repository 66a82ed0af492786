/*  herd_wire - encode and decode the frames of herd links (proto/herd.md)

    Stateless and pure.  The only place that knows the frame layout
    (herd_wire.c: building and decoding messages; herd_wire_batch.c:
    gathering updates into an AT's frame).  */

#ifndef HERD_WIRE_H_INCLUDED
#define HERD_WIRE_H_INCLUDED

#include "herd_msg.h"

#include <czmq.h>

//  First frame of every herd message: protocol family and version 2
//  (version 1 sent each update of an AT as four frames).
#define HERD_WIRE_SIGNATURE "HERD2"
//  Longest node name; names are [A-Za-z0-9_.-]+.
#define HERD_WIRE_NAME_MAX 64

//  What a node takes from its peers (proto/herd.md, section 2, Limits);
//  more is refused and counted, never built by us.  A seen set names
//  nodes of one herd, at most HERD_TOPO_NODES_MAX of them.
#define HERD_WIRE_SEEN_NAMES_MAX 256
#define HERD_WIRE_SEEN_MAX                                                     \
    (HERD_WIRE_SEEN_NAMES_MAX * (HERD_WIRE_NAME_MAX + 1) - 1)
//  An AT line made from the longest client line a node may be set to
//  take (max_line, 16 MiB), with room for what AT adds to it.
#define HERD_WIRE_PAYLOAD_MAX (16 * 1024 * 1024 + 256)
//  Updates in one AT, records in one SNAP (we send at most 256).
#define HERD_WIRE_AT_MAX   1024
#define HERD_WIRE_SNAP_MAX 1024
//  An AT's flags (its frame after the updates): no ACK wanted.
#define HERD_WIRE_AT_UNACKED 0x01
//  Largest frame taken from a peer (ZMQ_MAXMSGSIZE on the inbox): one
//  update or record of the largest payload, after up to 64 KiB of others.
#define HERD_WIRE_FRAME_MAX (HERD_WIRE_PAYLOAD_MAX + 128 * 1024)

typedef enum {
    HERD_WIRE_AT,        //  A location update
    HERD_WIRE_ACK,       //  "I hold your update": the originator may answer
    HERD_WIRE_HELLO,     //  "My link to you is up: send me your records"
    HERD_WIRE_SNAP,      //  A batch of records (catch-up)
    HERD_WIRE_SNAPEND,   //  The end of the snapshot a HELLO asked for
    HERD_WIRE_SNAPMARK,  //  A snapshot's batches so far: ack them
    HERD_WIRE_SNAPACK,   //  Snapshot batches up to this mark came in
    HERD_WIRE_PRUNE,     //  "Send me no more ATs, only IHAVEs" (tree)
    HERD_WIRE_IHAVE,     //  "I stored these updates" (tree)
    HERD_WIRE_GRAFT,     //  "Send me these, and ATs again" (tree)
    HERD_WIRE_OTHER,     //  A command of a newer version: ignore it
} herd_wire_command_t;

//  A decoded message.  Spans point into the zmsg_t frames and are valid
//  while that message lives; so do next and left, an AT's updates not yet
//  decoded (herd_wire_next_update reads them).
typedef struct {
    herd_wire_command_t command;  //  What it is
    herd_span_t sender;           //  Routing id: the neighbour that sent it
    herd_span_t name;             //  Command frame as received
    herd_span_t originator;       //  AT: node that got the IAMAT (and
                                  //  IHAVE, GRAFT: of the update named)
    uint64_t epoch;               //  AT: originator's boot epoch; HELLO:
                                  //  the sender's
    uint64_t sequence;            //  AT: originator's update counter;
                                  //  SNAPMARK, SNAPACK: the mark
    herd_span_t seen;             //  AT: comma list of nodes holding it
    herd_span_t payload;          //  AT: the AT line
    herd_span_t ids;              //  AT: the updates frame of the ids it
                                  //  announces (herd_wire_announced), or
                                  //  empty
    uint64_t count;               //  AT: updates; SNAP: records; SNAPEND:
                                  //  records sent
    bool answer;                  //  HELLO: wants a HELLO back ("1")
    bool resync;                  //  HELLO: asks again, whatever was
                                  //  sent before ("R")
    bool tree;                    //  HELLO: the sender's broadcast is
                                  //  tree
    bool unacked;                 //  AT: the sender waits for no ACK of
                                  //  its own updates in it
    const byte *next;             //  AT, IHAVE, GRAFT: the next update's
                                  //  bytes
    size_t left;                  //  AT: bytes after next
} herd_wire_t;

//  The updates of an AT being gathered: packed into its updates frame as
//  they are added, one copy each, however many there are.  An IHAVE or a
//  GRAFT is gathered the same way: updates with no seen set and no
//  payload, that name one each.
typedef struct _herd_wire_batch_t herd_wire_batch_t;

//  Create an empty batch.  Caller owns it.
herd_wire_batch_t *herd_wire_batch_new (void);

//  Destroy a batch; accepts NULL, sets *self_p to NULL.
void herd_wire_batch_destroy (herd_wire_batch_t **self_p);

//  Add an update.  Returns 0, or -1 (and adds nothing) if it breaks the
//  limits above: originator not a valid name, seen over
//  HERD_WIRE_SEEN_NAMES_MAX names or HERD_WIRE_SEEN_MAX bytes, payload over
//  HERD_WIRE_PAYLOAD_MAX bytes.
int herd_wire_batch_add (herd_wire_batch_t *self,
                         const char *originator,
                         uint64_t epoch,
                         uint64_t sequence,
                         const char *seen,
                         const char *payload,
                         size_t size);

//  Updates and bytes the batch holds.
size_t herd_wire_batch_count (herd_wire_batch_t *self);
size_t herd_wire_batch_bytes (herd_wire_batch_t *self);

//  The AT of every update added since the last take (without routing id:
//  a DEALER sends it), or NULL if there are none; the batch is then empty
//  and keeps its memory.  Caller owns the message.
zmsg_t *herd_wire_batch_take (herd_wire_batch_t *self);

//  As herd_wire_batch_take, as command ("AT", "IHAVE" or "GRAFT").
zmsg_t *herd_wire_batch_take_as (herd_wire_batch_t *self, const char *command);

//  Build a PRUNE of originator's updates.  Caller owns return value.
zmsg_t *herd_wire_prune (const char *originator);

//  Mark an AT (from herd_wire_batch_take) as one whose sender holds no
//  reply for its own updates in it: the receiver owes it no ACK (an AT's
//  flags frame, proto/herd.md section 2).
void herd_wire_at_unacked (zmsg_t *at);

//  Have an AT (from herd_wire_batch_take, perhaps marked unacked) also
//  announce the updates of ids, a batch of ids (no seen sets, no
//  payloads), as an IHAVE would: a frame after its flags.  The batch is
//  then empty.
void herd_wire_at_announce (zmsg_t *at, herd_wire_batch_t *ids);

//  After every update of a decoded AT: go on to the ids it announces, as
//  if it were an IHAVE (command becomes HERD_WIRE_IHAVE; the first id is
//  decoded into self, count says how many, herd_wire_next_update reads
//  the others).  Returns 1, 0 if it announces none, or -1 and sets
//  *reason if they are malformed.
int herd_wire_announced (herd_wire_t *self, const char **reason);

//  Build an ACK of the update (originator, epoch, sequence).  Caller owns
//  return value and must destroy it.
zmsg_t *
herd_wire_ack (const char *originator, uint64_t epoch, uint64_t sequence);

//  Build a HELLO from a node booted at epoch whose broadcast is tree or
//  flood; answer asks the receiver for a HELLO back.  Caller owns return
//  value.
zmsg_t *herd_wire_hello (uint64_t epoch, bool answer, bool tree);

//  Build a HELLO that asks for the records again even if a snapshot was
//  sent since the link came up (answer "R", proto/herd.md section 5).
//  Caller owns return value.
zmsg_t *herd_wire_hello_resync (uint64_t epoch, bool tree);

//  Build an empty SNAP; add records (AT lines, no LF) with
//  herd_wire_snap_add.  Caller owns return value.
zmsg_t *herd_wire_snap (void);
void herd_wire_snap_add (zmsg_t *snap, const char *line, size_t size);

//  Build the SNAPEND of a snapshot of count records.  Caller owns it.
zmsg_t *herd_wire_snapend (uint64_t count);

//  Build a SNAPMARK (after a SNAP) or a SNAPACK (its answer) of mark.
//  Caller owns return value.
zmsg_t *herd_wire_snapmark (uint64_t mark);
zmsg_t *herd_wire_snapack (uint64_t mark);

//  The records of a decoded SNAP (as the ROUTER received it): the first,
//  then the next one per call, using msg's frame cursor.  Return false
//  when there are no more.
bool herd_wire_first_record (zmsg_t *msg, herd_span_t *record);
bool herd_wire_next_record (zmsg_t *msg, herd_span_t *record);

//  Decode a message as a ROUTER received it: routing id, then the frames.
//  Returns 0 and fills self, or -1 and sets *reason (static string).  An
//  unknown command with the right signature decodes as HERD_WIRE_OTHER.
//  An AT decodes its first update into self; count says how many it has.
int herd_wire_decode (herd_wire_t *self, zmsg_t *msg, const char **reason);

//  Decode update index (1 to count - 1, in order, after herd_wire_decode)
//  of a decoded AT (or IHAVE, GRAFT) into self.  Returns 1, 0 when index is past the last,
//  or -1 and sets *reason if it is malformed (the rest of the message is
//  then not to be read).
int
herd_wire_next_update (herd_wire_t *self, size_t index, const char **reason);

//  Is name a valid node name?
bool herd_wire_name_valid (const char *name, size_t size);

//  Is seen a valid seen set within the limits: empty, or at most
//  HERD_WIRE_SEEN_NAMES_MAX valid names joined by commas, at most
//  HERD_WIRE_SEEN_MAX bytes?  If not, *reason (when not NULL) says why.
bool herd_wire_seen_valid (const char *seen, size_t size, const char **reason);

#endif
