/*  herd_sync - catch-up with one neighbour  */

#include "herd_sync.h"
#include "herd_wire.h"

struct _herd_sync_t {
    herd_link_t *link;    //  Borrowed: the neighbour's
    herd_table_t *table;  //  Borrowed
    herd_log_t *log;      //  Borrowed
    uint64_t epoch;       //  Ours, in HELLOs
    bool hello;           //  A HELLO ("0" or "1") waits to be sent
    bool hello_answer;    //  ...asking for a HELLO back ("1")
    bool resync;          //  A HELLO "R" waits (after the other, if any);
                          //  kept across the link going down
    int64_t hello_next_try;
    bool again;             //  Another snapshot is due once this one is done
    bool sent_since_up;     //  A snapshot began since the link went down
    uint64_t window;        //  Batches without SNAPACK at most; 0: no limit
    uint64_t marked;        //  SNAPMARKs sent (numbered from 1)
    uint64_t acked;         //  Highest SNAPACK taken
    int64_t waiting_since;  //  The window has been full since
    bool remarked;          //  The full window's last mark was sent again
    bool active;            //  A snapshot is under way
    size_t cursor;          //  In the table's walk
    uint64_t layout;        //  Of the table when the walk began
    uint64_t sent;          //  Records sent so far
    int64_t next_try;
    int64_t started;
    bool tree;  //  Our broadcast, in our HELLOs
};

herd_sync_t *
herd_sync_new (herd_link_t *link,
               herd_table_t *table,
               uint64_t epoch,
               uint64_t window,
               herd_log_t *log)
{
    assert (link && table && log);
    herd_sync_t *self = (herd_sync_t *) zmalloc (sizeof (herd_sync_t));
    self->link = link;
    self->table = table;
    self->epoch = epoch;
    self->window = window;
    self->log = log;
    return self;
}

void
herd_sync_set_tree (herd_sync_t *self, bool tree)
{
    assert (self);
    self->tree = tree;
}

void
herd_sync_destroy (herd_sync_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_restart (herd_sync_t *self)
{
    self->cursor = 0;
    self->sent = 0;
    self->layout = herd_table_layout (self->table);
    self->next_try = 0;
}

//  One batch from the cursor: HERD_SYNC_BATCH records or
//  HERD_SYNC_BATCH_BYTES at most (a larger record goes alone); NULL when
//  the walk is over.
static zmsg_t *
s_batch (herd_sync_t *self, size_t *records)
{
    zmsg_t *snap = NULL;
    size_t bytes = 0;
    *records = 0;
    herd_record_t record;
    size_t before = self->cursor;
    while (*records < HERD_SYNC_BATCH
           && herd_table_next (self->table, &self->cursor, &record)) {
        if (*records > 0 && bytes + record.line.size > HERD_SYNC_BATCH_BYTES) {
            self->cursor = before;  //  It starts the next batch
            break;
        }
        before = self->cursor;
        if (!snap)
            snap = herd_wire_snap ();
        herd_wire_snap_add (snap, record.line.data, record.line.size);
        bytes += record.line.size;
        (*records)++;
    }
    return snap;
}

//  Have window batches gone without their SNAPACK?  Then the
//  next waits: what is queued on the link stays small, so that live
//  updates behind it are not held up for long on a slow link.  A
//  neighbour that does not answer (an older one, or its link to us is
//  down) is waited for HERD_SYNC_ACK_WAIT_MS at most each time.
static bool
s_window_full (herd_sync_t *self, int64_t now)
{
    if (!self->window || self->marked - self->acked < self->window) {
        self->waiting_since = 0;
        self->remarked = false;
        return false;
    }
    if (!self->waiting_since)
        self->waiting_since = now;
    //  Its SNAPACK may have been lost (its queue to us was full): a mark
    //  sent again, same number, gets another
    if (!self->remarked && now - self->waiting_since >= HERD_SYNC_REMARK_MS) {
        zmsg_t *mark = herd_wire_snapmark (self->marked);
        self->remarked = herd_link_send (self->link, &mark) == 0;
    }
    if (now - self->waiting_since >= HERD_SYNC_ACK_WAIT_MS) {
        herd_log_printf (
            self->log, "info", "snapshot to %s: no SNAPACK for %d ms, going on",
            herd_link_neighbour (self->link), HERD_SYNC_ACK_WAIT_MS);
        self->acked = self->marked;
        self->waiting_since = 0;
        self->remarked = false;
        return false;
    }
    self->next_try = now + HERD_SYNC_RETRY_MS / 4;
    return true;
}

//  Mark the batches sent so far (SNAPMARK): the neighbour acks them.  A
//  mark the link refuses is not counted, so not waited for.
static void
s_mark (herd_sync_t *self)
{
    zmsg_t *mark = herd_wire_snapmark (self->marked + 1);
    if (herd_link_send (self->link, &mark) == 0)
        self->marked++;
}

//  Send what the link takes of the snapshot.
static void
s_pump (herd_sync_t *self, int64_t now)
{
    if (self->next_try > now)
        return;
    const char *neighbour = herd_link_neighbour (self->link);
    if (self->layout != herd_table_layout (self->table)) {
        herd_log_printf (self->log, "info",
                         "snapshot to %s restarts: the table grew", neighbour);
        s_restart (self);
    }
    for (int i = 0; i < HERD_SYNC_BATCHES_PER_TICK; i++) {
        if (s_window_full (self, now))
            return;
        size_t start = self->cursor;
        size_t records;
        zmsg_t *msg = s_batch (self, &records);
        bool end = msg == NULL;
        if (end)
            msg = herd_wire_snapend (self->sent);
        if (herd_link_send (self->link, &msg)) {
            self->cursor = start;  //  From the same record next time
            self->next_try = now + HERD_SYNC_RETRY_MS;
            return;
        }
        self->sent += records;
        if (!end && self->window)
            s_mark (self);
        if (end) {
            herd_log_printf (self->log, "info",
                             "snapshot to %s done records=%" PRIu64
                             " ms=%" PRId64,
                             neighbour, self->sent, now - self->started);
            self->active = false;
            if (self->again) {
                self->again = false;
                herd_sync_request (self, true, now);
            }
            return;
        }
    }
}

//  Send the waiting HELLOs: "0" or "1", then "R".  The link refuses them
//  until its connection is attached (the monitor may tell "up" a moment
//  before), so they are tried again until they go: a HELLO lost here
//  would leave the link without catch-up.
static void
s_send_hello (herd_sync_t *self, int64_t now)
{
    if (self->hello_next_try > now)
        return;
    const char *neighbour = herd_link_neighbour (self->link);
    if (self->hello) {
        zmsg_t *hello =
            herd_wire_hello (self->epoch, self->hello_answer, self->tree);
        if (herd_link_send (self->link, &hello)) {
            self->hello_next_try = now + HERD_SYNC_RETRY_MS / 4;
            return;
        }
        herd_log_printf (self->log, "info", "hello tx to=%s answer=%d",
                         neighbour, self->hello_answer);
        self->hello = self->hello_answer = false;
    }
    if (self->resync) {
        zmsg_t *hello = herd_wire_hello_resync (self->epoch, self->tree);
        if (herd_link_send (self->link, &hello)) {
            self->hello_next_try = now + HERD_SYNC_RETRY_MS / 4;
            return;
        }
        herd_log_printf (self->log, "info", "hello tx to=%s answer=R",
                         neighbour);
        self->resync = false;
    }
}

void
herd_sync_hello (herd_sync_t *self, bool answer, int64_t now_ms)
{
    assert (self);
    self->hello = true;
    self->hello_answer |= answer;
    self->hello_next_try = 0;
    s_send_hello (self, now_ms);
}

void
herd_sync_resync (herd_sync_t *self, int64_t now_ms)
{
    assert (self);
    self->resync = true;
    self->hello_next_try = 0;
    s_send_hello (self, now_ms);
}

void
herd_sync_request (herd_sync_t *self, bool again, int64_t now_ms)
{
    assert (self);
    if (!again && self->sent_since_up) {
        herd_log_printf (self->log, "info",
                         "snapshot to %s not sent again: one began since the "
                         "link came up",
                         herd_link_neighbour (self->link));
        return;
    }
    if (again && self->active) {
        //  One under way goes on (restarting it at every request could
        //  keep it from ever ending), and a whole new one follows
        self->again = true;
        herd_log_printf (self->log, "info",
                         "snapshot to %s: another follows this one",
                         herd_link_neighbour (self->link));
        return;
    }
    self->sent_since_up = true;
    s_restart (self);
    self->active = true;
    self->started = now_ms;
    herd_log_printf (self->log, "info", "snapshot to %s starts records=%zu",
                     herd_link_neighbour (self->link),
                     herd_table_size (self->table));
    s_pump (self, now_ms);
}

void
herd_sync_link_down (herd_sync_t *self)
{
    assert (self);
    if (self->active)
        s_restart (self);
    //  A resync asked for stays: it goes, after the HELLO "1", once the
    //  link is up again (a "1" alone may be answered by nothing)
    self->hello = self->hello_answer = false;
    self->sent_since_up = false;
    self->again = false;         //  The restarted walk covers it
    self->acked = self->marked;  //  What was lost is acked by no one
    self->waiting_since = 0;
}

int
herd_sync_forward (herd_sync_t *self, zmsg_t **msg_p, int64_t now_ms)
{
    assert (self && msg_p);
    if (s_window_full (self, now_ms))
        return -1;
    zmsg_t *copy = zmsg_dup (*msg_p);
    if (herd_link_send (self->link, &copy))
        return -1;
    zmsg_destroy (msg_p);
    if (self->window)
        s_mark (self);
    return 0;
}

void
herd_sync_acked (herd_sync_t *self, uint64_t mark)
{
    assert (self);
    if (mark > self->acked && mark <= self->marked) {
        self->acked = mark;
        self->waiting_since = 0;
        self->next_try = 0;  //  The next tick sends more
    }
}

void
herd_sync_tick (herd_sync_t *self, int64_t now_ms)
{
    assert (self);
    if (self->hello || self->resync)
        s_send_hello (self, now_ms);
    if (self->active)
        s_pump (self, now_ms);
}

bool
herd_sync_busy (herd_sync_t *self)
{
    assert (self);
    return self->hello || self->resync || self->active;
}
