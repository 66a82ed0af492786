/*  herd_table - the client location records, newest wins  */

#include "herd_table.h"

#include <czmq.h>

//  One record in one allocation: fixed fields, then the AT line.  The
//  spans of the view are offsets into line.  About 48 bytes plus the line.
typedef struct {
    uint64_t seconds;        //  Client time, whole seconds
    uint32_t nanos;          //  Client time, nanoseconds
    uint32_t hash;           //  Hash of the client id, for probing
    uint32_t heap;           //  Index in the age heap
    uint32_t line_size;      //  Bytes in line
    uint32_t client_offset;  //  Client id within line
    uint32_t client_size;
    uint32_t location_offset;  //  Location within line
    uint32_t location_size;
    uint32_t originator_offset;  //  Originator within line
    uint32_t originator_size;
    char line[];  //  The AT line
} s_record_t;

//  A slot whose record was removed: probing goes on past it, and an
//  insert may reuse it.  Records never move but when the table is rebuilt.
static char s_tombstone_mark;
#define S_TOMBSTONE ((s_record_t *) &s_tombstone_mark)

struct _herd_table_t {
    s_record_t **slots;  //  Open addressing, linear probing; NULL is free
    size_t capacity;     //  Power of two
    size_t size;         //  Records held
    size_t tombstones;   //  Slots marked S_TOMBSTONE; size + tombstones is
                         //  kept at most capacity / 2
    s_record_t **heap;   //  Every record; if ordered, oldest client time on top
    size_t heap_capacity;
    bool ordered;      //  The heap is kept in order: from the first time it is
                       //  needed on (s_heap_order)
    size_t limit;      //  Most records held; 0: no limit
    uint64_t evicted;  //  Records dropped for the limit or their age
    uint64_t stored;   //  Offers that were stored
    uint64_t seed;     //  Hash seed
    uint64_t layout;   //  Times the slots were rearranged
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
        for (size_t i = 0; i < self->size; i++)
            free (self->heap[i]);
        free (self->heap);
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

//  The slot holding client_id; or, if none does, the slot where it would
//  go (the first tombstone on the way, else the free slot that ended it)
//  and *found false.
static size_t
s_find (herd_table_t *self,
        const char *client_id,
        size_t size,
        uint32_t hash,
        bool *found)
{
    size_t mask = self->capacity - 1;
    size_t at = hash & mask;
    size_t reusable = SIZE_MAX;
    *found = false;
    while (self->slots[at]) {
        s_record_t *record = self->slots[at];
        if (record == S_TOMBSTONE) {
            if (reusable == SIZE_MAX)
                reusable = at;
        } else if (record->hash == hash && record->client_size == size
                   && memcmp (record->line + record->client_offset, client_id,
                              size)
                          == 0) {
            *found = true;
            return at;
        }
        at = (at + 1) & mask;
    }
    return reusable != SIZE_MAX ? reusable : at;
}

//  Rebuild the slots at capacity, dropping tombstones: doubling when the
//  records alone fill a quarter, so that the load stays at most one half
//  (O(1) expected probes; O(n) now and then, amortised O(1) per insert).
static void
s_rebuild (herd_table_t *self)
{
    s_record_t **old = self->slots;
    size_t old_capacity = self->capacity;
    if (self->size * 4 >= self->capacity)
        self->capacity *= 2;
    self->layout++;
    self->tombstones = 0;
    self->slots = (s_record_t **) zmalloc (self->capacity * sizeof (void *));
    size_t mask = self->capacity - 1;
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i] && old[i] != S_TOMBSTONE) {
            size_t at = old[i]->hash & mask;
            while (self->slots[at])
                at = (at + 1) & mask;
            self->slots[at] = old[i];
        }
    }
    free (old);
}

//  The age heap: a binary min-heap by the newest-wins order, so the record
//  on top is the one to evict first.
static bool
s_older (const s_record_t *a, const s_record_t *b)
{
    herd_span_t a_node = {a->line + a->originator_offset, a->originator_size};
    herd_span_t b_node = {b->line + b->originator_offset, b->originator_size};
    return s_order (a->seconds, a->nanos, a_node, b->seconds, b->nanos, b_node)
           < 0;
}

static void
s_heap_set (herd_table_t *self, size_t index, s_record_t *record)
{
    self->heap[index] = record;
    record->heap = (uint32_t) index;
}

static void
s_heap_up (herd_table_t *self, size_t index)
{
    s_record_t *record = self->heap[index];
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (!s_older (record, self->heap[parent]))
            break;
        s_heap_set (self, index, self->heap[parent]);
        index = parent;
    }
    s_heap_set (self, index, record);
}

static void
s_heap_down (herd_table_t *self, size_t index)
{
    s_record_t *record = self->heap[index];
    for (;;) {
        size_t child = 2 * index + 1;
        if (child >= self->size)
            break;
        if (child + 1 < self->size
            && s_older (self->heap[child + 1], self->heap[child]))
            child++;
        if (!s_older (self->heap[child], record))
            break;
        s_heap_set (self, index, self->heap[child]);
        index = child;
    }
    s_heap_set (self, index, record);
}

//  Put the heap in order, and keep it so from now on.  Until a table holds
//  half its limit, or is first asked to expire records, nothing needs the
//  oldest record: the heap is then only the list of every record, and an
//  update costs no sift.  (An update nearly always makes its record the
//  newest, so a sift takes it down every level of the heap, a cache miss
//  at each: the table's largest cost under load.)  O(n), once: under 30
//  ms at half a million records here, less than the slot table's own
//  doubling at that size.
static void
s_heap_order (herd_table_t *self)
{
    if (self->ordered)
        return;
    self->ordered = true;
    for (size_t index = self->size / 2; index-- > 0;)
        s_heap_down (self, index);
}

//  Remove the oldest record: from the heap, and from its slot.
static void
s_evict_oldest (herd_table_t *self)
{
    s_heap_order (self);
    s_record_t *oldest = self->heap[0];
    bool found;
    size_t slot = s_find (self, oldest->line + oldest->client_offset,
                          oldest->client_size, oldest->hash, &found);
    assert (found);
    self->slots[slot] = S_TOMBSTONE;
    self->tombstones++;
    self->size--;
    if (self->size > 0) {
        s_heap_set (self, 0, self->heap[self->size]);
        s_heap_down (self, 0);
    }
    self->evicted++;
    free (oldest);
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
    bool found;
    size_t slot =
        s_find (self, at->client_id.data, at->client_id.size, hash, &found);
    if (found) {
        s_record_t *held = self->slots[slot];
        herd_span_t held_node = {held->line + held->originator_offset,
                                 held->originator_size};
        if (s_order (at->seconds, at->nanos, at->node, held->seconds,
                     held->nanos, held_node)
            <= 0)
            return false;
        s_record_t *record = s_record_new (at, line, size, hash);
        self->slots[slot] = record;
        s_heap_set (self, held->heap, record);
        if (self->ordered)
            s_heap_down (self, record->heap);  //  It got newer
        free (held);
        self->stored++;
        return true;
    }
    s_record_t *record = s_record_new (at, line, size, hash);
    if (self->limit && self->size >= self->limit) {
        s_heap_order (self);
        //  Full: the oldest record goes, unless this one is older still
        if (!s_older (self->heap[0], record)) {
            self->evicted++;
            free (record);
            return false;
        }
        s_evict_oldest (self);
        slot =
            s_find (self, at->client_id.data, at->client_id.size, hash, &found);
    }
    if (self->slots[slot] == S_TOMBSTONE)
        self->tombstones--;
    self->slots[slot] = record;
    if (self->size == self->heap_capacity) {
        self->heap_capacity =
            self->heap_capacity ? self->heap_capacity * 2 : S_INITIAL_CAPACITY;
        self->heap = (s_record_t **) realloc (
            self->heap, self->heap_capacity * sizeof (void *));
        assert (self->heap);
    }
    self->size++;
    s_heap_set (self, self->size - 1, record);
    if (self->ordered)
        s_heap_up (self, self->size - 1);
    else if (self->limit && self->size >= self->limit / 2)
        s_heap_order (self);  //  Evictions may come: the heap is needed soon
    if ((self->size + self->tombstones) * 2 > self->capacity)
        s_rebuild (self);
    self->stored++;
    return true;
}

size_t
herd_table_expire (herd_table_t *self, uint64_t before_seconds)
{
    assert (self);
    s_heap_order (self);
    size_t expired = 0;
    while (self->size > 0 && self->heap[0]->seconds < before_seconds) {
        s_evict_oldest (self);
        expired++;
    }
    if ((self->size + self->tombstones) * 2 > self->capacity)
        s_rebuild (self);
    return expired;
}

void
herd_table_set_limit (herd_table_t *self, size_t limit)
{
    assert (self);
    self->limit = limit;
    if (limit && self->size >= limit / 2)
        s_heap_order (self);
    while (limit && self->size > limit)
        s_evict_oldest (self);
}

uint64_t
herd_table_evicted (herd_table_t *self)
{
    assert (self);
    return self->evicted;
}

bool
herd_table_lookup (herd_table_t *self,
                   const char *client_id,
                   size_t size,
                   herd_record_t *record)
{
    assert (self);
    uint32_t hash = s_hash (self->seed, client_id, size);
    bool found;
    size_t slot = s_find (self, client_id, size, hash, &found);
    if (!found)
        return false;
    s_view (self->slots[slot], record);
    return true;
}

bool
herd_table_next (herd_table_t *self, size_t *cursor, herd_record_t *record)
{
    assert (self);
    while (*cursor < self->capacity) {
        s_record_t *held = self->slots[(*cursor)++];
        if (held && held != S_TOMBSTONE) {
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

uint64_t
herd_table_stored (herd_table_t *self)
{
    assert (self);
    return self->stored;
}
