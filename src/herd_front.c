/*  herd_front - the client front end: connections, lines in, replies out
    in request order  */

#include "herd_front.h"
#include "herd_front_private.h"

herd_front_t *
herd_front_new (const herd_front_config_t *config,
                herd_log_t *log,
                herd_front_line_fn *on_line,
                void *arg)
{
    assert (config && log && on_line);
    herd_front_t *self = (herd_front_t *) zmalloc (sizeof (herd_front_t));
    self->config = *config;
    self->transport = config->stream ? &herd_front_stream : &herd_front_tcp;
    self->log = log;
    self->on_line = on_line;
    self->arg = arg;
    self->resume_timer = -1;
    self->rate_timer = -1;
    return self;
}

static void
s_conn_free (herd_front_t *self, herd_front_conn_t *conn)
{
    herd_log_printf (self->log, "info", "close conn=%" PRIu64 " %s",
                     conn->number, conn->why ? conn->why : "");
    self->transport->close (self, conn);
    self->conns[conn->index] = NULL;
    self->count--;
    herd_line_destroy (&conn->line);
    while (conn->pending) {
        herd_front_slot_t *next = conn->pending->next;
        free (conn->pending);
        conn->pending = next;
    }
    herd_buf_destroy (&conn->out);
    herd_buf_destroy (&conn->backlog);
    free (conn);
}

void
herd_front_destroy (herd_front_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_front_t *self = *self_p;
        for (size_t i = 0; i < self->conns_capacity; i++)
            if (self->conns[i]) {
                self->conns[i]->why = "node stopping";
                s_conn_free (self, self->conns[i]);
            }
        self->transport->destroy (self);
        free (self->conns);
        free (self);
        *self_p = NULL;
    }
}

int
herd_front_bind (herd_front_t *self, const char *host, uint16_t port)
{
    assert (self);
    return self->transport->bind (self, host, port);
}

//  A connection id is its number, then its index in conns.
uint64_t
herd_front_number (uint64_t connection)
{
    return connection >> 32;
}

static herd_front_conn_t *
s_lookup (herd_front_t *self, uint64_t id)
{
    size_t index = (size_t) (id & 0xffffffffu);
    if (index >= self->conns_capacity)
        return NULL;
    herd_front_conn_t *conn = self->conns[index];
    return conn && conn->id == id ? conn : NULL;
}

void
herd_front_conn_doom (herd_front_t *self,
                      herd_front_conn_t *conn,
                      const char *why)
{
    if (!conn->doomed) {
        conn->doomed = true;
        conn->why = why;
        conn->next_doomed = self->doomed;
        self->doomed = conn;
    }
}

void
herd_front_set_turn_end (herd_front_t *self, herd_front_turn_fn *fn)
{
    assert (self);
    self->on_turn_end = fn;
}

void
herd_front_settle (herd_front_t *self)
{
    assert (self);
    while (self->doomed) {
        herd_front_conn_t *conn = self->doomed;
        self->doomed = conn->next_doomed;
        s_conn_free (self, conn);
    }
}

void
herd_front_turn_end (herd_front_t *self)
{
    if (self->on_turn_end)
        self->on_turn_end (self->arg);  //  Which settles
    else {
        herd_front_settle (self);
        herd_log_flush (self->log);
    }
}

size_t
herd_front_conn_queued (herd_front_conn_t *conn)
{
    return herd_buf_size (conn->out);
}

static int s_on_rate (zloop_t *loop, int timer_id, void *arg);

//  The client has used up its lines for now (max_rate, a token bucket
//  holding one second's worth): it is not read until the next token is
//  due, and a timer wakes it then.
static bool
s_rate_exhausted (herd_front_conn_t *conn)
{
    herd_front_t *self = conn->front;
    double rate = (double) self->config.max_rate;
    if (rate <= 0)
        return false;
    int64_t now = zclock_mono ();
    conn->tokens += (double) (now - conn->refilled) * rate / 1000.0;
    if (conn->tokens > rate)
        conn->tokens = rate;
    conn->refilled = now;
    if (conn->tokens >= 1.0)
        return false;
    conn->rate_paused = true;
    if (self->rate_timer == -1 && self->loop) {
        size_t wait = (size_t) ((1.0 - conn->tokens) * 1000.0 / rate) + 1;
        self->rate_timer = zloop_timer (self->loop, wait, 1, s_on_rate, self);
    }
    return true;
}

//  Too much is outstanding for this client, or it sends too fast: take no
//  more commands from it until its replies drain or its rate allows
//  (back-pressure instead of unbounded memory).
static bool
s_too_much (herd_front_conn_t *conn)
{
    return herd_front_conn_queued (conn) >= HERD_FRONT_PAUSE_BYTES
           || conn->next_ticket - conn->flush_ticket >= HERD_FRONT_PIPELINE_MAX
           || s_rate_exhausted (conn);
}

//  Does input wait in the backlog?
static bool
s_backlogged (herd_front_conn_t *conn)
{
    return conn->backlog && herd_buf_size (conn->backlog) > 0;
}

bool
herd_front_conn_paused (herd_front_conn_t *conn)
{
    return s_backlogged (conn) || s_too_much (conn);
}

void
herd_front_conn_wrote (herd_front_conn_t *conn, size_t size)
{
    herd_buf_consume (conn->out, size);
    conn->last_progress = zclock_mono ();
    //  A buffer that a burst made large is not kept once it has drained
    herd_buf_shrink (conn->out, HERD_FRONT_PAUSE_BYTES);
}

//  Write, and close the node's side without losing queued replies: once
//  everything is written after the client's EOF, stop writing and close.
static void
s_flush (herd_front_t *self, herd_front_conn_t *conn)
{
    if (!conn->doomed && herd_front_conn_queued (conn) > 0)
        self->transport->write (self, conn);
    if (!conn->doomed && !conn->shut && conn->eof
        && conn->flush_ticket == conn->next_ticket
        && herd_front_conn_queued (conn) == 0) {
        self->transport->shutdown (self, conn);
        herd_front_conn_doom (self, conn, "client done");
    }
    if (!conn->doomed)
        self->transport->update (self, conn);
}

static void
s_queue_out (herd_front_conn_t *conn, const char *data, size_t size)
{
    if (size == 0)
        return;
    if (herd_front_conn_queued (conn) == 0)
        conn->last_progress = zclock_mono ();
    herd_buf_append (conn->out, data, size);
}

static bool
s_on_line (void *arg, const char *line, size_t size, bool truncated)
{
    herd_front_conn_t *conn = (herd_front_conn_t *) arg;
    herd_front_t *self = conn->front;
    uint64_t ticket = conn->next_ticket++;
    conn->tokens -= 1.0;
    self->on_line (self->arg, conn->id, ticket, line, size, truncated);
    return !s_too_much (conn);
}

//  Split and dispatch input until the client has too much outstanding.
//  Returns the bytes used: the rest waits in the backlog.
static size_t
s_dispatch (herd_front_t *self,
            herd_front_conn_t *conn,
            const char *data,
            size_t size)
{
    assert (!conn->doomed);
    self->reading = conn;
    size_t used = herd_line_feed (conn->line, data, size, s_on_line, conn);
    self->reading = NULL;
    return used;
}

//  The connection has drained: go on with its backlog, then write.  The
//  backlog is read in place: nothing adds to it while its lines are
//  handled (input comes only from the transport's handler).
static void
s_resume (herd_front_t *self, herd_front_conn_t *conn)
{
    while (s_backlogged (conn) && !conn->doomed && !s_too_much (conn)) {
        herd_buf_consume (conn->backlog,
                          s_dispatch (self, conn, herd_buf_data (conn->backlog),
                                      herd_buf_size (conn->backlog)));
        //  Only paused clients have a backlog: its memory goes once fed
        herd_buf_shrink (conn->backlog, 0);
        s_flush (self, conn);
    }
}

void
herd_front_conn_flush (herd_front_t *self, herd_front_conn_t *conn)
{
    s_flush (self, conn);
    s_resume (self, conn);
}

void
herd_front_conn_input (herd_front_t *self,
                       herd_front_conn_t *conn,
                       const char *data,
                       size_t size)
{
    conn->last_input = zclock_mono ();
    if (conn->shut)
        return;  //  Draining after our shutdown: no longer answered
    if (!s_backlogged (conn)) {
        size_t used = s_dispatch (self, conn, data, size);
        if (used < size) {
            if (!conn->backlog)
                conn->backlog = herd_buf_new ();
            herd_buf_append (conn->backlog, data + used, size - used);
        }
        return;
    }
    //  A transport that cannot stop reading one client (stream) appends;
    //  a client that keeps sending while paused is cut off at this cap
    if (herd_buf_size (conn->backlog) + size > HERD_FRONT_BACKLOG_MAX) {
        herd_log_printf (self->log, "warning",
                         "conn=%" PRIu64 " cut off: more than %d bytes of "
                         "commands waiting",
                         conn->number, HERD_FRONT_BACKLOG_MAX);
        herd_front_conn_doom (self, conn, "input limit");
        return;
    }
    herd_buf_append (conn->backlog, data, size);
}

void
herd_front_conn_eof (herd_front_t *self, herd_front_conn_t *conn)
{
    conn->eof = true;
    if (conn->shut)
        return;
    self->reading = conn;
    herd_line_finish (conn->line, s_on_line, conn);
    self->reading = NULL;
}

//  Clients paused by their rate may go on: feed their backlogs and read
//  them again.  O(connections), at most once per token interval.
static int
s_on_rate (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_front_t *self = (herd_front_t *) arg;
    self->rate_timer = -1;
    for (size_t i = 0; i < self->conns_capacity; i++) {
        herd_front_conn_t *conn = self->conns[i];
        if (conn && conn->rate_paused && !conn->doomed) {
            conn->rate_paused = false;
            s_resume (self, conn);
            if (!conn->doomed)
                s_flush (self, conn);  //  Asks for input again
        }
    }
    herd_front_turn_end (self);
    return 0;
}

//  Feed backlogs whose connections have drained; O(connections), and only
//  after a reply unpaused a connection with a backlog.
static int
s_on_resume (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_front_t *self = (herd_front_t *) arg;
    self->resume_timer = -1;
    for (size_t i = 0; i < self->conns_capacity; i++) {
        herd_front_conn_t *conn = self->conns[i];
        if (conn && s_backlogged (conn))
            s_resume (self, conn);
    }
    herd_front_turn_end (self);
    return 0;
}

int
herd_front_reply (herd_front_t *self,
                  uint64_t connection,
                  uint64_t ticket,
                  const char *data,
                  size_t size)
{
    assert (self);
    herd_front_conn_t *conn = s_lookup (self, connection);
    if (!conn || conn->doomed)
        return -1;
    assert (ticket >= conn->flush_ticket && ticket < conn->next_ticket);
    if (ticket == conn->flush_ticket) {
        s_queue_out (conn, data, size);
        conn->flush_ticket++;
        //  Then every reply that was waiting for this one, in order
        while (conn->pending && conn->pending->ticket == conn->flush_ticket) {
            herd_front_slot_t *slot = conn->pending;
            conn->pending = slot->next;
            s_queue_out (conn, slot->data, slot->size);
            conn->flush_ticket++;
            free (slot);
        }
    } else {
        //  Replies come back nearly in order: insertion from the head is
        //  O(pending), which HERD_FRONT_PIPELINE_MAX bounds.
        herd_front_slot_t *slot =
            (herd_front_slot_t *) malloc (sizeof (herd_front_slot_t) + size);
        assert (slot);
        slot->ticket = ticket;
        slot->size = size;
        memcpy (slot->data, data, size);
        herd_front_slot_t **at = &conn->pending;
        while (*at && (*at)->ticket < ticket)
            at = &(*at)->next;
        slot->next = *at;
        *at = slot;
    }
    if (herd_front_conn_queued (conn) > self->config.max_output) {
        herd_log_printf (self->log, "warning",
                         "conn=%" PRIu64 " cut off: more than %zu bytes "
                         "of replies queued",
                         conn->number, self->config.max_output);
        herd_front_conn_doom (self, conn, "output limit");
    }
    if (conn != self->reading) {
        //  Not from here: the backlog would call the node back while it is
        //  handling this reply, so it resumes on the next turn
        s_flush (self, conn);
        if (s_backlogged (conn) && !s_too_much (conn)
            && self->resume_timer == -1)
            self->resume_timer =
                zloop_timer (self->loop, 1, 1, s_on_resume, self);
    }
    return 0;
}

herd_front_conn_t *
herd_front_conn_open (herd_front_t *self, const char *peer)
{
    if (self->count >= self->config.max_connections) {
        herd_log_printf (self->log, "warning",
                         "refused %s: %zu connections open", peer, self->count);
        return NULL;
    }
    //  The table holds at most 2 x count: O(count) to find a free index,
    //  amortised by growing it.
    size_t index = 0;
    while (index < self->conns_capacity && self->conns[index])
        index++;
    if (index == self->conns_capacity) {
        size_t capacity = self->conns_capacity ? self->conns_capacity * 2 : 64;
        self->conns = (herd_front_conn_t **) realloc (
            self->conns, capacity * sizeof (herd_front_conn_t *));
        assert (self->conns);
        memset (self->conns + self->conns_capacity, 0,
                (capacity - self->conns_capacity) * sizeof (void *));
        self->conns_capacity = capacity;
    }
    herd_front_conn_t *conn =
        (herd_front_conn_t *) zmalloc (sizeof (herd_front_conn_t));
    conn->front = self;
    conn->number = ++self->numbers;
    conn->index = index;
    conn->id = (conn->number << 32) | (uint64_t) index;
    conn->fd = -1;
    conn->line = herd_line_new (self->config.max_line);
    conn->out = herd_buf_new ();
    conn->last_input = conn->last_progress = zclock_mono ();
    conn->refilled = conn->last_input;
    conn->tokens = (double) self->config.max_rate;
    snprintf (conn->peer, sizeof (conn->peer), "%s", peer);
    self->conns[index] = conn;
    self->count++;
    herd_log_printf (self->log, "info", "connect conn=%" PRIu64 " peer=%s",
                     conn->number, peer);
    return conn;
}

//  Timeouts; O(connections) once per tick: cheap next to the traffic that
//  many connections bring.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_front_t *self = (herd_front_t *) arg;
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < self->conns_capacity; i++) {
        herd_front_conn_t *conn = self->conns[i];
        if (!conn || conn->doomed)
            continue;
        bool waiting = conn->flush_ticket != conn->next_ticket;
        if (conn->shut) {
            if (now - conn->shut_at > HERD_FRONT_DRAIN_MS)
                herd_front_conn_doom (self, conn, conn->why);
        } else if (herd_front_conn_queued (conn) > 0) {
            if (now - conn->last_progress > self->config.send_timeout_ms) {
                herd_log_printf (self->log, "warning",
                                 "conn=%" PRIu64 " cut off: replies not read "
                                 "for %" PRId64 " ms",
                                 conn->number, self->config.send_timeout_ms);
                herd_front_conn_doom (self, conn, "send timeout");
            }
        } else if (!waiting && !conn->eof
                   && now - conn->last_input > self->config.idle_timeout_ms) {
            conn->shut = true;
            conn->shut_at = now;
            conn->why = "idle timeout";
            self->transport->shutdown (self, conn);
            if (!conn->doomed)
                self->transport->update (self, conn);
        }
    }
    herd_front_turn_end (self);
    return 0;
}

size_t
herd_front_connections (herd_front_t *self)
{
    assert (self);
    return self->count;
}

uint64_t
herd_front_accepted (herd_front_t *self)
{
    assert (self);
    return self->numbers;
}

int
herd_front_start (herd_front_t *self, zloop_t *loop)
{
    assert (self);
    self->loop = loop;
    if (self->transport->start (self, loop))
        return -1;
    int64_t shortest = self->config.idle_timeout_ms;
    if (self->config.send_timeout_ms < shortest)
        shortest = self->config.send_timeout_ms;
    size_t tick = (size_t) (shortest / 4);
    if (tick > 1000)
        tick = 1000;
    if (tick < 25)
        tick = 25;
    return zloop_timer (loop, tick, 0, s_on_tick, self) == -1 ? -1 : 0;
}
