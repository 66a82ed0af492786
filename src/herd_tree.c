/*  herd_tree - what a node of a broadcast tree remembers  */

#include "herd_tree.h"
#include "herd_wire.h"

#include <czmq.h>

//  The updates received of one originator: sequences below base count as
//  received; bit (sequence % HERD_TREE_WINDOW) says for the others.
typedef struct {
    int index;  //  The originator's number
    uint64_t epoch;
    uint64_t base;
    uint64_t bits[HERD_TREE_WINDOW / 64];
} s_window_t;

//  An update kept to answer GRAFTs.
typedef struct {
    char originator[HERD_WIRE_NAME_MAX + 1];
    uint64_t epoch;
    uint64_t sequence;
    char *payload;
    size_t size;
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
    void *arg;
    zhashx_t *windows;  //  s_window_t by originator
    s_kept_t *kept;     //  A ring of HERD_TREE_KEEP
    size_t kept_next;   //  Where the next goes
    size_t kept_count;
    size_t kept_bytes;
    zhashx_t *missing;  //  s_missing_t by "originator/epoch/sequence"
    uint64_t given_up;
    uint64_t random;  //  State of the jitter's generator
};

herd_tree_t *
herd_tree_new (int64_t graft_ms, herd_tree_ask_fn *fn, void *arg)
{
    herd_tree_t *self = (herd_tree_t *) zmalloc (sizeof (herd_tree_t));
    self->graft_ms = graft_ms;
    self->ask = fn;
    self->arg = arg;
    self->windows = zhashx_new ();
    zhashx_set_destructor (self->windows, (zhashx_destructor_fn *) zstr_free);
    self->kept = (s_kept_t *) zmalloc (HERD_TREE_KEEP * sizeof (s_kept_t));
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
        for (size_t i = 0; i < HERD_TREE_KEEP; i++)
            free (self->kept[i].payload);
        free (self->kept);
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
s_bit (const s_window_t *window, uint64_t sequence)
{
    uint64_t slot = sequence % HERD_TREE_WINDOW;
    return (window->bits[slot / 64] >> (slot % 64)) & 1;
}

//  Received already, by the window alone: -1 no, 1 yes, 0 ask the bit.
static int
s_judge (const s_window_t *window, uint64_t epoch, uint64_t sequence)
{
    if (!window || epoch > window->epoch)
        return -1;
    if (epoch < window->epoch || sequence < window->base)
        return 1;
    if (sequence >= window->base + HERD_TREE_WINDOW)
        return -1;
    return 0;
}

//  The window of originator, made at its first sight, or NULL if there
//  are HERD_TREE_ORIGINATORS already.
static s_window_t *
s_window (herd_tree_t *self,
          const char *originator,
          uint64_t epoch,
          uint64_t sequence)
{
    s_window_t *window =
        (s_window_t *) zhashx_lookup (self->windows, originator);
    if (window || zhashx_size (self->windows) >= HERD_TREE_ORIGINATORS)
        return window;
    window = (s_window_t *) zmalloc (sizeof (s_window_t));
    window->index = (int) zhashx_size (self->windows);
    window->epoch = epoch;
    window->base = s_base_for (sequence);
    zhashx_insert (self->windows, originator, window);
    return window;
}

int
herd_tree_originator (herd_tree_t *self, const char *originator)
{
    assert (self && originator);
    s_window_t *window = s_window (self, originator, 0, 0);
    return window ? window->index : -1;
}

bool
herd_tree_received (herd_tree_t *self,
                    const char *originator,
                    uint64_t epoch,
                    uint64_t sequence)
{
    assert (self && originator);
    s_window_t *window =
        (s_window_t *) zhashx_lookup (self->windows, originator);
    int judged = s_judge (window, epoch, sequence);
    return judged ? judged > 0 : s_bit (window, sequence);
}

bool
herd_tree_receive (herd_tree_t *self,
                   const char *originator,
                   uint64_t epoch,
                   uint64_t sequence)
{
    assert (self && originator);
    s_window_t *window = s_window (self, originator, epoch, sequence);
    if (!window)
        return false;  //  Past the originators we tell apart: flooded
    if (epoch > window->epoch) {
        //  It restarted: a new life, a new window
        memset (window->bits, 0, sizeof (window->bits));
        window->epoch = epoch;
        window->base = s_base_for (sequence);
    }
    int judged = s_judge (window, epoch, sequence);
    if (judged > 0)
        return true;
    if (judged < 0) {
        //  Past the window: slide it up, clearing what it leaves behind
        uint64_t base = s_base_for (sequence);
        if (base - window->base >= HERD_TREE_WINDOW)
            memset (window->bits, 0, sizeof (window->bits));
        else
            for (uint64_t n = window->base; n < base; n++) {
                uint64_t slot = n % HERD_TREE_WINDOW;
                window->bits[slot / 64] &= ~(1ull << (slot % 64));
            }
        window->base = base;
    }
    bool had = s_bit (window, sequence);
    uint64_t slot = sequence % HERD_TREE_WINDOW;
    window->bits[slot / 64] |= 1ull << (slot % 64);
    return had;
}

//  Drop the oldest kept update.
static void
s_drop_oldest (herd_tree_t *self)
{
    size_t oldest =
        (self->kept_next + HERD_TREE_KEEP - self->kept_count) % HERD_TREE_KEEP;
    s_kept_t *kept = &self->kept[oldest];
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
    while (self->kept_count
           && (self->kept_count == HERD_TREE_KEEP
               || self->kept_bytes + payload.size > HERD_TREE_KEEP_BYTES))
        s_drop_oldest (self);
    s_kept_t *kept = &self->kept[self->kept_next];
    memcpy (kept->originator, originator, size + 1);
    kept->epoch = epoch;
    kept->sequence = sequence;
    kept->payload = (char *) malloc (payload.size ? payload.size : 1);
    assert (kept->payload);
    memcpy (kept->payload, payload.data, payload.size);
    kept->size = payload.size;
    self->kept_bytes += payload.size;
    self->kept_next = (self->kept_next + 1) % HERD_TREE_KEEP;
    self->kept_count++;
}

//  Newest first: what is asked for is recent.  O(kept) at worst; GRAFTs
//  are rare (a tree repairing itself).
bool
herd_tree_find (herd_tree_t *self,
                const char *originator,
                uint64_t epoch,
                uint64_t sequence,
                herd_span_t *payload)
{
    assert (self && originator && payload);
    for (size_t n = 1; n <= self->kept_count; n++) {
        s_kept_t *kept = &self->kept[(self->kept_next + HERD_TREE_KEEP - n)
                                     % HERD_TREE_KEEP];
        if (kept->sequence == sequence && kept->epoch == epoch
            && streq (kept->originator, originator)) {
            payload->data = kept->payload;
            payload->size = kept->size;
            return true;
        }
    }
    return false;
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
        if (zhashx_size (self->missing) >= HERD_TREE_MISSING_MAX)
            return;
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
    if (zhashx_size (self->missing) == 0)
        return 0;
    size_t asked = 0;
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
    for (s_missing_t *missing = (s_missing_t *) zhashx_first (self->missing);
         missing; missing = (s_missing_t *) zhashx_next (self->missing)) {
        size_t kept = 0;
        for (size_t i = 0; i < missing->count; i++)
            if (missing->announcers[i] != peer)
                missing->announcers[kept++] = missing->announcers[i];
        missing->count = kept;  //  None left: given up at the next expiry
    }
}
