/*  herd_table - the client location records, newest wins

    One record per client id: the AT line of that client's newest IAMAT as
    the receiving node produced it.  Ordered by (client seconds, client
    nanoseconds, originator name bytewise); equal is not newer.  Owned by
    herd_node.  Pure: no clock, no sockets.  */

#ifndef HERD_TABLE_H_INCLUDED
#define HERD_TABLE_H_INCLUDED

#include "herd_msg.h"

typedef struct _herd_table_t herd_table_t;

//  A read-only view of one record.  Spans point into the table and stay
//  valid until the next herd_table_offer or herd_table_destroy.
typedef struct {
    herd_span_t line;        //  The whole AT line, no newline
    herd_span_t originator;  //  Node that got the IAMAT (AT field 2)
    herd_span_t client_id;   //  AT field 4
    herd_span_t location;    //  AT field 5
    uint64_t seconds;        //  Client time, whole seconds
    uint32_t nanos;          //  Client time, nanoseconds (truncated)
} herd_record_t;

//  Create an empty table.  seed perturbs the hash of client ids.
herd_table_t *herd_table_new (uint64_t seed);

//  Destroy a table and every record; accepts NULL, sets *self_p to NULL.
void herd_table_destroy (herd_table_t **self_p);

//  Store a copy of line, a parsed AT line (at comes from herd_msg_parse_at
//  on line), if it is newer than the record held for its client: a later
//  client time, or the same time from a greater originator name
//  (proto/client.md, section 4).  When the table holds its limit of
//  records, a new client's record takes the place of the oldest record (by
//  the same order), or, if it is older still, is
//  not stored; either counts as an eviction.  Returns true if stored, false
//  if stale (or evicted at once).  O(1) expected while the table holds
//  less than half its limit and has never been asked to expire records;
//  O(log n) from then on (the age order is kept only once it is needed).
bool herd_table_offer (herd_table_t *self,
                       const herd_msg_t *at,
                       const char *line,
                       size_t size);

//  Find the record of client_id.  Returns true and fills *record, or false.
bool herd_table_lookup (herd_table_t *self,
                        const char *client_id,
                        size_t size,
                        herd_record_t *record);

//  Walk the records: start with *cursor = 0; each call fills *record and
//  moves *cursor on, until it returns false.  A walk may go on across
//  offers and evictions as long as herd_table_layout stays the same:
//  records keep their places, and a record added meanwhile may or may not
//  be seen.
bool
herd_table_next (herd_table_t *self, size_t *cursor, herd_record_t *record);

//  Changes whenever the records move (the table grew): a walk begun under
//  another layout must start again.
uint64_t herd_table_layout (herd_table_t *self);

//  Number of records.
size_t herd_table_size (herd_table_t *self);

//  Hold at most limit records (0: no limit); evicts the oldest at once if
//  more are held.
void herd_table_set_limit (herd_table_t *self, size_t limit);

//  Drop every record whose client time is before before_seconds (Unix
//  seconds).  Returns how many; they count as evictions.
size_t herd_table_expire (herd_table_t *self, uint64_t before_seconds);

//  Records dropped so far by the limit or by age.
uint64_t herd_table_evicted (herd_table_t *self);

//  Offers stored so far (a state file is saved again when this moved).
uint64_t herd_table_stored (herd_table_t *self);

#endif
