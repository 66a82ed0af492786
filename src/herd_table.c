/*  herd_table - the client location records, newest wins  */

#include "herd_table.h"

#include <czmq.h>

//  One record in one allocation: fixed fields, then the AT line.  The
//  spans of the view are offsets into line.  About 40 bytes plus the line.
typedef struct {
    uint64_t seconds;        //  Client time, whole seconds
    uint32_t nanos;          //  Client time, nanoseconds
    uint32_t hash;           //  Hash of the client id, for probing
    uint32_t line_size;      //  Bytes in line
    uint32_t client_offset;  //  Client id within line
    uint32_t client_size;
    uint32_t location_offset;  //  Location within line
    uint32_t location_size;
    uint32_t originator_offset;  //  Originator within line
    uint32_t originator_size;
    char line[];  //  The AT line
} s_record_t;

struct _herd_table_t {
    s_record_t **slots;  //  Open addressing, linear probing; NULL is free
    size_t capacity;     //  Power of two
    size_t size;         //  Records held; kept at most capacity / 2
    uint64_t seed;       //  Hash seed
    uint64_t layout;     //  Times the slots were rearranged
};

#define S_INITIAL_CAPACITY 64

//  FNV-1a over the seed and the bytes; good spread, no allocation.
static uint32_t
s_hash (uint64_t seed, const char *data, size_t size)
{
    uint64_t hash = 14695981039346656037ull ^ seed;
    for (size_t i = 0; i < size; i++) {
        hash ^= (unsigned char) data[i];
        hash *= 1099511628211ull;
    }
    return (uint32_t) (hash ^ (hash >> 32));
}

herd_table_t *
herd_table_new (uint64_t seed)
{
    herd_table_t *self = (herd_table_t *) zmalloc (sizeof (herd_table_t));
    self->capacity = S_INITIAL_CAPACITY;
    self->slots = (s_record_t **) zmalloc (self->capacity * sizeof (void *));
    self->seed = seed;
    return self;
}

void
herd_table_destroy (herd_table_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_table_t *self = *self_p;
        for (size_t i = 0; i < self->capacity; i++)
            free (self->slots[i]);
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

static int
s_compare_bytes (const char *a, size_t a_size, const char *b, size_t b_size)
{
    int order = memcmp (a, b, a_size < b_size ? a_size : b_size);
    if (order == 0)
        order = (a_size > b_size) - (a_size < b_size);
    return order;
}

static int
s_order (uint64_t a_seconds,
         uint32_t a_nanos,
         herd_span_t a_node,
         uint64_t b_seconds,
         uint32_t b_nanos,
         herd_span_t b_node)
{
    if (a_seconds != b_seconds)
        return a_seconds < b_seconds ? -1 : 1;
    if (a_nanos != b_nanos)
        return a_nanos < b_nanos ? -1 : 1;
    return s_compare_bytes (a_node.data, a_node.size, b_node.data, b_node.size);
}

int
herd_table_order (const herd_msg_t *a, const herd_msg_t *b)
{
    return s_order (a->seconds, a->nanos, a->node, b->seconds, b->nanos,
                    b->node);
}

static void
s_view (const s_record_t *record, herd_record_t *view)
{
    view->line.data = record->line;
    view->line.size = record->line_size;
    view->originator.data = record->line + record->originator_offset;
    view->originator.size = record->originator_size;
    view->client_id.data = record->line + record->client_offset;
    view->client_id.size = record->client_size;
    view->location.data = record->line + record->location_offset;
    view->location.size = record->location_size;
    view->seconds = record->seconds;
    view->nanos = record->nanos;
}

//  The slot holding client_id, or the free slot where it would go.
static size_t
s_find (herd_table_t *self, const char *client_id, size_t size, uint32_t hash)
{
    size_t mask = self->capacity - 1;
    size_t at = hash & mask;
    while (self->slots[at]) {
        s_record_t *record = self->slots[at];
        if (record->hash == hash && record->client_size == size
            && memcmp (record->line + record->client_offset, client_id, size)
                   == 0)
            break;
        at = (at + 1) & mask;
    }
    return at;
}

//  Doubling keeps the load at most one half: O(1) expected probes, and an
//  O(n) rehash now and then, amortised O(1) per insert.
static void
s_grow (herd_table_t *self)
{
    s_record_t **old = self->slots;
    size_t old_capacity = self->capacity;
    self->capacity *= 2;
    self->layout++;
    self->slots = (s_record_t **) zmalloc (self->capacity * sizeof (void *));
    size_t mask = self->capacity - 1;
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i]) {
            size_t at = old[i]->hash & mask;
            while (self->slots[at])
                at = (at + 1) & mask;
            self->slots[at] = old[i];
        }
    }
    free (old);
}

static s_record_t *
s_record_new (const herd_msg_t *at,
              const char *line,
              size_t size,
              uint32_t hash)
{
    s_record_t *record = (s_record_t *) malloc (sizeof (s_record_t) + size);
    assert (record);
    record->seconds = at->seconds;
    record->nanos = at->nanos;
    record->hash = hash;
    record->line_size = (uint32_t) size;
    record->client_offset = (uint32_t) (at->client_id.data - line);
    record->client_size = (uint32_t) at->client_id.size;
    record->location_offset = (uint32_t) (at->location.data - line);
    record->location_size = (uint32_t) at->location.size;
    record->originator_offset = (uint32_t) (at->node.data - line);
    record->originator_size = (uint32_t) at->node.size;
    memcpy (record->line, line, size);
    return record;
}

bool
herd_table_offer (herd_table_t *self,
                  const herd_msg_t *at,
                  const char *line,
                  size_t size)
{
    assert (self);
    assert (at && at->type == HERD_MSG_AT);
    uint32_t hash = s_hash (self->seed, at->client_id.data, at->client_id.size);
    size_t slot = s_find (self, at->client_id.data, at->client_id.size, hash);
    s_record_t *held = self->slots[slot];
    if (held) {
        herd_span_t held_node = {held->line + held->originator_offset,
                                 held->originator_size};
        if (s_order (at->seconds, at->nanos, at->node, held->seconds,
                     held->nanos, held_node)
            <= 0)
            return false;
        free (held);
        self->slots[slot] = s_record_new (at, line, size, hash);
        return true;
    }
    self->slots[slot] = s_record_new (at, line, size, hash);
    self->size++;
    if (self->size * 2 > self->capacity)
        s_grow (self);
    return true;
}

bool
herd_table_lookup (herd_table_t *self,
                   const char *client_id,
                   size_t size,
                   herd_record_t *record)
{
    assert (self);
    uint32_t hash = s_hash (self->seed, client_id, size);
    s_record_t *held = self->slots[s_find (self, client_id, size, hash)];
    if (!held)
        return false;
    s_view (held, record);
    return true;
}

bool
herd_table_next (herd_table_t *self, size_t *cursor, herd_record_t *record)
{
    assert (self);
    while (*cursor < self->capacity) {
        s_record_t *held = self->slots[(*cursor)++];
        if (held) {
            s_view (held, record);
            return true;
        }
    }
    return false;
}

uint64_t
herd_table_layout (herd_table_t *self)
{
    assert (self);
    return self->layout;
}

size_t
herd_table_size (herd_table_t *self)
{
    assert (self);
    return self->size;
}
