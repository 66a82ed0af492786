/*  herd_tree - what a node of a broadcast tree remembers  */

#include "herd_tree.h"
#include "herd_wire.h"

#include <czmq.h>

//  Announcers given up on in one expiry, at most (a node of a herd of 256
//  has 255 neighbours).
#define HERD_TREE_LOST_MAX 256

//  Latest updates of an originator's life whose first sender is known.
#define S_FIRSTS 16
//  Lives of one originator told apart at once (the one before a restart
//  and the one after; a peer naming other epochs only takes the least
//  recently used)
#define S_LIVES 2

//  The updates received of one life (epoch) of an originator: sequences
//  below base count as received; bit (sequence % HERD_TREE_WINDOW) says
//  for the others.
typedef struct {
    uint64_t epoch;
    uint64_t used;  //  When it was last received into (a counter)
    uint64_t base;
    uint64_t bits[HERD_TREE_WINDOW / 64];
    struct {                                //  Who sent the first copy
        uint64_t sequence;                  //  of the latest updates,
        char from[HERD_WIRE_NAME_MAX + 1];  //  by sequence % S_FIRSTS
    } firsts[S_FIRSTS];                     //  ("": a client)
} s_life_t;

//  One originator: its number, and its lives (made as they come).
typedef struct {
    int index;
    s_life_t *lives[S_LIVES];
} s_window_t;

//  An update kept to answer GRAFTs.
typedef struct {
    char originator[HERD_WIRE_NAME_MAX + 1];
    uint64_t epoch;
    uint64_t sequence;
    char *payload;
    size_t size;
    uint32_t hash;  //  Of its identity, for the index
    uint64_t mark;  //  Of the last find that found it
} s_kept_t;


//  An update announced that we lack.
typedef struct {
    char originator[HERD_WIRE_NAME_MAX + 1];
    uint64_t epoch;
    uint64_t sequence;
    int64_t due;                             //  When to ask for it next
    void *announcers[HERD_TREE_ANNOUNCERS];  //  Who announced it, in order
    size_t count;
    size_t asks;  //  Times asked for so far
} s_missing_t;

struct _herd_tree_t {
    int64_t graft_ms;
    herd_tree_ask_fn *ask;
    herd_tree_lost_fn *lost;
    void *arg;
    zhashx_t *windows;  //  s_window_t by originator
    s_kept_t *kept;     //  A ring of HERD_TREE_KEEP, once one is kept
    zhashx_t *index;    //  The kept, by identity (key and item alike)
    size_t kept_next;   //  Where the next goes
    size_t kept_count;
    size_t kept_bytes;
    zhashx_t *missing;  //  s_missing_t by "originator/epoch/sequence"
    uint64_t given_up;
    uint64_t random;  //  State of the jitter's generator
    uint64_t used;    //  Lives received into, for least recently used
    void *pending[HERD_TREE_LOST_MAX];  //  Announcers of updates that could
    size_t pending_count;               //  not be remembered, for expiry
};

static void
s_window_destroy (void **item)
{
    s_window_t *window = (s_window_t *) *item;
    if (window) {
        for (size_t i = 0; i < S_LIVES; i++)
            free (window->lives[i]);
        free (window);
        *item = NULL;
    }
}

herd_tree_t *
herd_tree_new (int64_t graft_ms,
               herd_tree_ask_fn *ask,
               herd_tree_lost_fn *lost,
               void *arg)
{
    assert (ask && lost);
    herd_tree_t *self = (herd_tree_t *) zmalloc (sizeof (herd_tree_t));
    self->graft_ms = graft_ms > 0 ? graft_ms : 1;
    self->ask = ask;
    self->lost = lost;
    self->arg = arg;
    self->windows = zhashx_new ();
    zhashx_set_destructor (self->windows, s_window_destroy);
    self->missing = zhashx_new ();
    zhashx_set_destructor (self->missing, (zhashx_destructor_fn *) zstr_free);
    self->random = (uint64_t) zclock_usecs () | 1;
    return self;
}

void
herd_tree_destroy (herd_tree_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_tree_t *self = *self_p;
        zhashx_destroy (&self->windows);
        zhashx_destroy (&self->missing);
        for (size_t i = 0; self->kept && i < HERD_TREE_KEEP; i++)
            free (self->kept[i].payload);
        free (self->kept);
        zhashx_destroy (&self->index);
        free (self);
        *self_p = NULL;
    }
}

//  The lowest sequence a window holding sequence may start at.
static uint64_t
s_base_for (uint64_t sequence)
{
    return sequence >= HERD_TREE_WINDOW ? sequence - HERD_TREE_WINDOW + 1 : 0;
}

//  Is sequence's bit set (within the window)?
static bool
s_bit (const s_life_t *life, uint64_t sequence)
{
    uint64_t slot = sequence % HERD_TREE_WINDOW;
    return (life->bits[slot / 64] >> (slot % 64)) & 1;
}

//  The window of originator, made at its first sight, or NULL if there
//  are HERD_TREE_ORIGINATORS already.
static s_window_t *
s_window (herd_tree_t *self, const char *originator)
{
    s_window_t *window =
        (s_window_t *) zhashx_lookup (self->windows, originator);
    if (window || zhashx_size (self->windows) >= HERD_TREE_ORIGINATORS)
        return window;
    window = (s_window_t *) zmalloc (sizeof (s_window_t));
    window->index = (int) zhashx_size (self->windows);
    zhashx_insert (self->windows, originator, window);
    return window;
}

//  The life epoch of originator, or NULL if none is known.
static s_life_t *
s_life (herd_tree_t *self, const char *originator, uint64_t epoch)
{
    s_window_t *window =
        (s_window_t *) zhashx_lookup (self->windows, originator);
    for (size_t i = 0; window && i < S_LIVES; i++)
        if (window->lives[i] && window->lives[i]->epoch == epoch)
            return window->lives[i];
    return NULL;
}

int
herd_tree_originator (herd_tree_t *self, const char *originator)
{
    assert (self && originator);
    s_window_t *window = s_window (self, originator);
    return window ? window->index : -1;
}

//  Received already, by life alone: -1 no, 1 yes, 0 ask the bit.
static int
s_judge (const s_life_t *life, uint64_t sequence)
{
    if (!life || sequence >= life->base + HERD_TREE_WINDOW)
        return -1;
    return sequence < life->base ? 1 : 0;
}

bool
herd_tree_received (herd_tree_t *self,
                    const char *originator,
                    uint64_t epoch,
                    uint64_t sequence)
{
    assert (self && originator);
    s_life_t *life = s_life (self, originator, epoch);
    int judged = s_judge (life, sequence);
    return judged ? judged > 0 : s_bit (life, sequence);
}

bool
herd_tree_receive (herd_tree_t *self,
                   const char *originator,
                   uint64_t epoch,
                   uint64_t sequence,
                   const char *from)
{
    assert (self && originator);
    s_window_t *window = s_window (self, originator);
    if (!window)
        return false;  //  Past the originators we tell apart: flooded
    s_life_t *life = s_life (self, originator, epoch);
    if (!life) {
        //  A life not seen yet takes a free place, or the least recently
        //  used one's (an earlier life, or an epoch a peer made up)
        size_t at = 0;
        for (size_t i = 0; i < S_LIVES; i++)
            if (!window->lives[i]
                || (window->lives[at]
                    && window->lives[i]->used < window->lives[at]->used))
                at = i;
        if (!window->lives[at])
            window->lives[at] = (s_life_t *) malloc (sizeof (s_life_t));
        life = window->lives[at];
        assert (life);
        memset (life, 0, sizeof (s_life_t));
        life->epoch = epoch;
        life->base = s_base_for (sequence);
    }
    life->used = ++self->used;
    int judged = s_judge (life, sequence);
    if (judged > 0)
        return true;
    if (judged < 0) {
        //  Past the window: slide it up, clearing what it leaves behind
        uint64_t base = s_base_for (sequence);
        if (base - life->base >= HERD_TREE_WINDOW)
            memset (life->bits, 0, sizeof (life->bits));
        else
            for (uint64_t n = life->base; n < base; n++) {
                uint64_t slot = n % HERD_TREE_WINDOW;
                life->bits[slot / 64] &= ~(1ull << (slot % 64));
            }
        life->base = base;
    }
    bool had = s_bit (life, sequence);
    uint64_t slot = sequence % HERD_TREE_WINDOW;
    life->bits[slot / 64] |= 1ull << (slot % 64);
    if (!had && strlen (from ? from : "") <= HERD_WIRE_NAME_MAX) {
        life->firsts[sequence % S_FIRSTS].sequence = sequence;
        strcpy (life->firsts[sequence % S_FIRSTS].from, from ? from : "");
    }
    return had;
}

const char *
herd_tree_first_from (herd_tree_t *self,
                      const char *originator,
                      uint64_t epoch,
                      uint64_t sequence)
{
    assert (self && originator);
    s_life_t *life = s_life (self, originator, epoch);
    if (!life || life->firsts[sequence % S_FIRSTS].sequence != sequence
        || !herd_tree_received (self, originator, epoch, sequence))
        return NULL;
    return life->firsts[sequence % S_FIRSTS].from;
}

//  An update's identity, hashed (FNV-1a, then the stamp mixed in).
static uint32_t
s_hash (const char *originator, uint64_t epoch, uint64_t sequence)
{
    uint64_t hash = 14695981039346656037ull;
    for (const char *c = originator; *c; c++)
        hash = (hash ^ (byte) *c) * 1099511628211ull;
    hash ^= epoch * 0x9e3779b97f4a7c15ull;
    hash ^= sequence * 0xc2b2ae3d27d4eb4full;
    return (uint32_t) (hash ^ (hash >> 32));
}

//  The index's view of a kept update: its identity (zhashx_hash_fn,
//  zhashx_comparator_fn).
static size_t
s_kept_hash (const void *key)
{
    return ((const s_kept_t *) key)->hash;
}

static int
s_kept_compare (const void *one, const void *other)
{
    const s_kept_t *a = (const s_kept_t *) one, *b = (const s_kept_t *) other;
    return a->sequence != b->sequence || a->epoch != b->epoch
           || strcmp (a->originator, b->originator);
}

//  Drop the oldest kept update.
static void
s_drop_oldest (herd_tree_t *self)
{
    size_t oldest =
        (self->kept_next + HERD_TREE_KEEP - self->kept_count) % HERD_TREE_KEEP;
    s_kept_t *kept = &self->kept[oldest];
    if (zhashx_lookup (self->index, kept) == kept)
        zhashx_delete (self->index, kept);
    self->kept_bytes -= kept->size;
    free (kept->payload);
    kept->payload = NULL;
    kept->size = 0;
    self->kept_count--;
}

void
herd_tree_keep (herd_tree_t *self,
                const char *originator,
                uint64_t epoch,
                uint64_t sequence,
                herd_span_t payload)
{
    assert (self && originator);
    size_t size = strlen (originator);
    if (payload.size > HERD_TREE_KEEP_ONE || size > HERD_WIRE_NAME_MAX)
        return;
    if (!self->kept) {
        //  Made at the first update kept: a flood node needs none (1 MiB)
        self->kept = (s_kept_t *) zmalloc (HERD_TREE_KEEP * sizeof (s_kept_t));
        //  Keys are the kept updates themselves: neither copied nor freed
        self->index = zhashx_new ();
        zhashx_set_key_duplicator (self->index, NULL);
        zhashx_set_key_destructor (self->index, NULL);
        zhashx_set_key_hasher (self->index, s_kept_hash);
        zhashx_set_key_comparator (self->index, s_kept_compare);
    }
    while (self->kept_count
           && (self->kept_count == HERD_TREE_KEEP
               || self->kept_bytes + payload.size > HERD_TREE_KEEP_BYTES))
        s_drop_oldest (self);
    size_t at = self->kept_next;
    s_kept_t *kept = &self->kept[at];
    memcpy (kept->originator, originator, size + 1);
    kept->epoch = epoch;
    kept->sequence = sequence;
    kept->payload = (char *) zmalloc (payload.size ? payload.size : 1);
    memcpy (kept->payload, payload.data, payload.size);
    kept->size = payload.size;
    kept->hash = s_hash (originator, epoch, sequence);
    kept->mark = 0;
    zhashx_delete (self->index, kept);  //  The same update kept before
    zhashx_insert (self->index, kept, kept);
    self->kept_bytes += payload.size;
    self->kept_next = (self->kept_next + 1) % HERD_TREE_KEEP;
    self->kept_count++;
}

//  O(1): through the index (zhashx).
bool
herd_tree_find (herd_tree_t *self,
                const char *originator,
                uint64_t epoch,
                uint64_t sequence,
                uint64_t mark,
                herd_span_t *payload)
{
    assert (self && originator && payload);
    if (!self->kept)
        return false;
    s_kept_t probe;
    if (strlen (originator) > HERD_WIRE_NAME_MAX)
        return false;
    strcpy (probe.originator, originator);
    probe.epoch = epoch;
    probe.sequence = sequence;
    probe.hash = s_hash (originator, epoch, sequence);
    s_kept_t *kept = (s_kept_t *) zhashx_lookup (self->index, &probe);
    if (!kept || (mark && kept->mark == mark))
        return false;  //  Not kept, or found by this search already
    kept->mark = mark;
    payload->data = kept->payload;
    payload->size = kept->size;
    return true;
}

//  0 to graft_ms - 1 at random (xorshift64): the nodes a broken tree cut
//  off all hear of the same updates at about the same time; spread out,
//  the first to ask repairs it for the others, which then need not ask.
static int64_t
s_jitter (herd_tree_t *self)
{
    self->random ^= self->random << 13;
    self->random ^= self->random >> 7;
    self->random ^= self->random << 17;
    return (int64_t) (self->random % (uint64_t) self->graft_ms);
}

//  A missing update's key (HERD_WIRE_NAME_MAX + 48 bytes).
static void
s_key (char *key, const char *originator, uint64_t epoch, uint64_t sequence)
{
    snprintf (key, HERD_WIRE_NAME_MAX + 48, "%s/%" PRIu64 "/%" PRIu64,
              originator, epoch, sequence);
}


//  Add peer to lost[0..*count) unless it is there.
static void
s_add_lost (void **lost, size_t *count, void *peer)
{
    for (size_t i = 0; i < *count; i++)
        if (lost[i] == peer)
            return;
    if (*count < HERD_TREE_LOST_MAX)
        lost[(*count)++] = peer;
}

void
herd_tree_announced (herd_tree_t *self,
                     void *peer,
                     const char *originator,
                     uint64_t epoch,
                     uint64_t sequence,
                     int64_t now_ms)
{
    assert (self && originator);
    if (strlen (originator) > HERD_WIRE_NAME_MAX
        || herd_tree_received (self, originator, epoch, sequence))
        return;
    char key[HERD_WIRE_NAME_MAX + 48];
    s_key (key, originator, epoch, sequence);
    s_missing_t *missing = (s_missing_t *) zhashx_lookup (self->missing, key);
    if (!missing) {
        if (zhashx_size (self->missing) >= HERD_TREE_MISSING_MAX) {
            self->given_up++;
            s_add_lost (self->pending, &self->pending_count, peer);
            return;
        }
        missing = (s_missing_t *) zmalloc (sizeof (s_missing_t));
        strcpy (missing->originator, originator);
        missing->epoch = epoch;
        missing->sequence = sequence;
        missing->due = now_ms + self->graft_ms + s_jitter (self);
        zhashx_insert (self->missing, key, missing);
    }
    for (size_t i = 0; i < missing->count; i++)
        if (missing->announcers[i] == peer)
            return;
    if (missing->count < HERD_TREE_ANNOUNCERS)
        missing->announcers[missing->count++] = peer;
}

size_t
herd_tree_expire (herd_tree_t *self, int64_t now_ms)
{
    assert (self);
    size_t asked = 0;
    void *lost[HERD_TREE_LOST_MAX];  //  Announcers of updates given up
    size_t lost_count = 0;
    for (size_t i = 0; i < self->pending_count; i++)
        s_add_lost (lost, &lost_count, self->pending[i]);
    self->pending_count = 0;
    if (zhashx_size (self->missing) == 0) {
        for (size_t i = 0; i < lost_count; i++)
            self->lost (self->arg, lost[i]);
        return 0;
    }
    zlist_t *done = zlist_new ();
    for (s_missing_t *missing = (s_missing_t *) zhashx_first (self->missing);
         missing; missing = (s_missing_t *) zhashx_next (self->missing)) {
        bool received = herd_tree_received (self, missing->originator,
                                            missing->epoch, missing->sequence);
        if (!received && missing->due > now_ms)
            continue;
        if (received || missing->count == 0
            || missing->asks >= HERD_TREE_ASKS) {
            if (!received)
                self->given_up++;
            //  Not with no announcer left: its links went down, and the
            //  node asked its other neighbours for their records then
            if (!received && missing->count)
                s_add_lost (lost, &lost_count, missing->announcers[0]);
            zlist_append (done, missing);
            continue;
        }
        //  Of each announcer in turn, the first first
        void *peer = missing->announcers[missing->asks % missing->count];
        missing->asks++;
        missing->due = now_ms + self->graft_ms;
        self->ask (self->arg, peer, missing->originator, missing->epoch,
                   missing->sequence);
        asked++;
    }
    for (s_missing_t *missing = (s_missing_t *) zlist_first (done); missing;
         missing = (s_missing_t *) zlist_next (done)) {
        char key[HERD_WIRE_NAME_MAX + 48];
        s_key (key, missing->originator, missing->epoch, missing->sequence);
        zhashx_delete (self->missing, key);
    }
    zlist_destroy (&done);
    for (size_t i = 0; i < lost_count; i++)
        self->lost (self->arg, lost[i]);
    return asked;
}

size_t
herd_tree_missing (herd_tree_t *self)
{
    assert (self);
    return zhashx_size (self->missing);
}

uint64_t
herd_tree_given_up (herd_tree_t *self)
{
    assert (self);
    return self->given_up;
}

void
herd_tree_forget (herd_tree_t *self, const void *peer)
{
    assert (self);
    size_t still = 0;
    for (size_t i = 0; i < self->pending_count; i++)
        if (self->pending[i] != peer)
            self->pending[still++] = self->pending[i];
    self->pending_count = still;
    for (s_missing_t *missing = (s_missing_t *) zhashx_first (self->missing);
         missing; missing = (s_missing_t *) zhashx_next (self->missing)) {
        size_t kept = 0;
        for (size_t i = 0; i < missing->count; i++)
            if (missing->announcers[i] != peer)
                missing->announcers[kept++] = missing->announcers[i];
        missing->count = kept;  //  None left: given up at the next expiry
    }
}
