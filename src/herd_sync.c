/*  herd_sync - catch-up snapshots to neighbours  */

#include "herd_sync.h"
#include "herd_wire.h"

//  Snapshots advance every tick, by up to this many batches each.
#define S_TICK_MS          5
#define S_BATCHES_PER_TICK 16
//  A batch the link refused is tried again after this long.
#define S_RETRY_MS 20

typedef struct {
    bool hello;         //  A HELLO waits to be sent
    bool hello_answer;  //  ...asking for a HELLO back
    int64_t hello_next_try;
    bool active;      //  A snapshot is under way
    size_t cursor;    //  In the table's walk
    uint64_t layout;  //  Of the table when the walk began
    uint64_t sent;    //  Records sent so far
    int64_t next_try;
    int64_t started;
} s_job_t;

struct _herd_sync_t {
    herd_table_t *table;
    herd_link_t **links;
    size_t count;
    herd_log_t *log;
    uint64_t epoch;  //  Ours, in HELLOs
    s_job_t *jobs;   //  One per link
    zloop_t *loop;
    int timer;  //  Ticking while a snapshot is under way, else -1
};

herd_sync_t *
herd_sync_new (herd_table_t *table,
               herd_link_t **links,
               size_t count,
               uint64_t epoch,
               herd_log_t *log)
{
    herd_sync_t *self = (herd_sync_t *) zmalloc (sizeof (herd_sync_t));
    self->epoch = epoch;
    self->table = table;
    self->links = links;
    self->count = count;
    self->log = log;
    self->jobs = (s_job_t *) zmalloc ((count + 1) * sizeof (s_job_t));
    self->timer = -1;
    return self;
}

void
herd_sync_destroy (herd_sync_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_sync_t *self = *self_p;
        //  A timer left armed would run on freed memory (a reload
        //  destroys this while the loop goes on)
        if (self->timer != -1)
            zloop_timer_end (self->loop, self->timer);
        free (self->jobs);
        free (self);
        *self_p = NULL;
    }
}

void
herd_sync_start (herd_sync_t *self, zloop_t *loop)
{
    assert (self);
    self->loop = loop;
}

static void
s_restart (herd_sync_t *self, s_job_t *job)
{
    job->cursor = 0;
    job->sent = 0;
    job->layout = herd_table_layout (self->table);
    job->next_try = 0;
}

//  One batch from the job's cursor; NULL when the walk is over.
static zmsg_t *
s_batch (herd_sync_t *self, s_job_t *job, size_t *records)
{
    zmsg_t *snap = NULL;
    size_t bytes = 0;
    *records = 0;
    herd_record_t record;
    while (*records < HERD_SYNC_BATCH && bytes < HERD_SYNC_BATCH_BYTES
           && herd_table_next (self->table, &job->cursor, &record)) {
        if (!snap)
            snap = herd_wire_snap ();
        herd_wire_snap_add (snap, record.line.data, record.line.size);
        bytes += record.line.size;
        (*records)++;
    }
    return snap;
}

//  Send what the link takes of one job; true when the job is done.
static bool
s_pump (herd_sync_t *self, size_t index, int64_t now)
{
    s_job_t *job = &self->jobs[index];
    herd_link_t *link = self->links[index];
    if (job->next_try > now)
        return false;
    if (job->layout != herd_table_layout (self->table)) {
        herd_log_printf (self->log, "info",
                         "snapshot to %s restarts: the table grew",
                         herd_link_neighbour (link));
        s_restart (self, job);
    }
    for (int i = 0; i < S_BATCHES_PER_TICK; i++) {
        size_t start = job->cursor;
        size_t records;
        zmsg_t *msg = s_batch (self, job, &records);
        bool end = msg == NULL;
        if (end)
            msg = herd_wire_snapend (job->sent);
        if (herd_link_send (link, &msg)) {
            job->cursor = start;  //  From the same record next time
            job->next_try = now + S_RETRY_MS;
            return false;
        }
        job->sent += records;
        if (end) {
            herd_log_printf (
                self->log, "info",
                "snapshot to %s done records=%" PRIu64 " ms=%" PRId64,
                herd_link_neighbour (link), job->sent, now - job->started);
            job->active = false;
            return true;
        }
    }
    return false;
}

//  Send a waiting HELLO; true once it went.  The link refuses it until its
//  connection is attached (the monitor may tell "up" a moment before), so
//  it is tried again until it goes: a HELLO lost here would leave the
//  link without catch-up.
static bool
s_send_hello (herd_sync_t *self, size_t index, int64_t now)
{
    s_job_t *job = &self->jobs[index];
    if (job->hello_next_try > now)
        return false;
    zmsg_t *hello = herd_wire_hello (self->epoch, job->hello_answer);
    if (herd_link_send (self->links[index], &hello)) {
        job->hello_next_try = now + S_RETRY_MS / 4;
        return false;
    }
    herd_log_printf (self->log, "info", "hello tx to=%s answer=%d",
                     herd_link_neighbour (self->links[index]),
                     job->hello_answer);
    job->hello = job->hello_answer = false;
    return true;
}

static bool
s_busy (herd_sync_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->jobs[i].active || self->jobs[i].hello)
            return true;
    return false;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    herd_sync_t *self = (herd_sync_t *) arg;
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < self->count; i++) {
        if (self->jobs[i].hello)
            s_send_hello (self, i, now);
        if (self->jobs[i].active)
            s_pump (self, i, now);
    }
    if (!s_busy (self)) {
        zloop_timer_end (loop, timer_id);
        self->timer = -1;
    }
    herd_log_flush (self->log);
    return 0;
}

static void
s_tick_soon (herd_sync_t *self)
{
    if (self->timer == -1)
        self->timer = zloop_timer (self->loop, S_TICK_MS, 0, s_on_tick, self);
}

void
herd_sync_hello (herd_sync_t *self, size_t link, bool answer)
{
    assert (self && self->loop);
    assert (link < self->count);
    s_job_t *job = &self->jobs[link];
    job->hello = true;
    job->hello_answer |= answer;
    job->hello_next_try = 0;
    if (!s_send_hello (self, link, zclock_mono ()))
        s_tick_soon (self);
}

void
herd_sync_request (herd_sync_t *self, size_t link)
{
    assert (self && self->loop);
    assert (link < self->count);
    s_job_t *job = &self->jobs[link];
    s_restart (self, job);
    job->active = true;
    job->started = zclock_mono ();
    herd_log_printf (self->log, "info", "snapshot to %s starts records=%zu",
                     herd_link_neighbour (self->links[link]),
                     herd_table_size (self->table));
    //  The first batches go at once; the rest tick by tick
    if (!s_pump (self, link, job->started))
        s_tick_soon (self);
}

void
herd_sync_link_down (herd_sync_t *self, size_t link)
{
    assert (self);
    assert (link < self->count);
    if (self->jobs[link].active)
        s_restart (self, &self->jobs[link]);
    //  When it comes up again, it says HELLO afresh
    self->jobs[link].hello = self->jobs[link].hello_answer = false;
}

size_t
herd_sync_active (herd_sync_t *self)
{
    assert (self);
    size_t active = 0;
    for (size_t i = 0; i < self->count; i++)
        active += self->jobs[i].active;
    return active;
}
