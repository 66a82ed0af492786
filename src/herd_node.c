/*  herd_node - one node of the herd  */

#include "herd_node.h"
#include "herd_ack.h"
#include "herd_flood.h"
#include "herd_front.h"
#include "herd_keys.h"
#include "herd_link.h"
#include "herd_log.h"
#include "herd_metrics.h"
#include "herd_msg.h"
#include "herd_places.h"
#include "herd_state.h"
#include "herd_sync.h"
#include "herd_table.h"
#include "herd_tap.h"
#include "herd_wire.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

//  Messages taken from the inbox or the Places actor per turn, so that
//  clients are not starved; a record of a snapshot counts as a message.
#define S_BATCH 256
//  Places answers written per turn: each is a few KiB of JSON to log and
//  send, so fewer, or a burst of them delays every client behind it (8
//  rather than 32 took the IAMAT p99 beside 1,000 WHATSATs in flight from
//  about 7.9 to 6-7 ms in make bench).
#define S_PLACES_BATCH 8
//  Updates queued in our inbox before the neighbours' sends are refused.
#define S_INBOX_RCVHWM 100000
//  How often held IAMAT replies are checked against their timeout.
#define S_ACK_TICK_MS 20
//  How long a stopping node waits for the Places actor to answer what it
//  holds before it stops anyway.
#define S_STOP_MS 500
//  How long the tap holds records before it publishes them.
#define S_TAP_TICK_MS 20

//  A ZeroMQ socket the loop reads through its ZMQ_FD (s_watch).
typedef struct {
    herd_node_t *node;
    zsock_t *socket;
    zloop_reader_fn *handler;  //  Reads a batch from socket
    bool again;                //  A zero-delay timer will call it again
    bool drained;              //  The handler read until none was left
} s_watch_t;

struct _herd_node_t {
    herd_topo_t *topo;        //  Borrowed, or owned_topo after a reload
    herd_topo_t *owned_topo;  //  The topology last reloaded, or NULL
    char *topology_path;      //  Read again on SIGHUP, or NULL
    size_t index;             //  Our node in topo
    const char *name;         //  Our node name (topo's string)
    herd_log_t *log;
    herd_table_t *table;
    herd_front_t *front;
    zsock_t *inbox;          //  ROUTER bound on our herd endpoint
    zsock_t *inbox_monitor;  //  PAIR: refused handshakes on the inbox
    zcert_t *cert;           //  Ours, when links use CURVE; else NULL
    zactor_t *auth;          //  zauth: admits the members' keys only
    herd_tap_t *tap;         //  Every event, while anyone listens; or NULL
    bool tapped;             //  Someone listens
    uint64_t refused;        //  Herd messages and handshakes refused
    herd_link_t **links;     //  One DEALER per neighbour
    size_t link_count;
    herd_sync_t *sync;  //  Snapshots to neighbours
    zactor_t *places;
    int places_thread;  //  Its thread id (herd_places_join)
    zloop_t *loop;
    int signal_fd;
    int client_port;    //  Bound, for the ready line
    uint64_t epoch;     //  Boot time in microseconds
    uint64_t sequence;  //  Updates we originated
    herd_ack_t *acks;   //  IAMAT replies waiting for ACKs
    int ack_timer;      //  Ticking while acks holds any, else -1
    bool stopping;      //  A signal came; waiting for Places to answer
    char *state_path;   //  State file, or NULL
    uint64_t changes;   //  Records stored since start
    uint64_t saved;     //  changes when the state was last saved
    uint64_t evicted;   //  Evictions already logged
    pid_t saver;        //  Child writing the state file, or 0
    uint64_t saving;    //  changes when it was forked
    size_t saving_records;
    int64_t saving_since;
    //  Numbers for the metrics endpoint (proto/monitor.md, section 4)
    herd_metrics_t *metrics;
    uint64_t lines[HERD_MSG_AT + 1];         //  Client lines by herd_msg type
    uint64_t updates[2][2];                  //  [from a client, from the herd]
                                             //  [stored, stale]
    uint64_t messages[HERD_WIRE_OTHER + 1];  //  Herd messages in
    uint64_t answers[7];                     //  Places answers by s_statuses
    herd_metrics_histogram_t places_time;    //  FETCH to answer
    herd_metrics_histogram_t places_shown;   //  places_time at the last stats
    uint64_t sent;                           //  Updates sent in ATs
    uint64_t taken;                          //  Updates taken from ATs
    s_watch_t inbox_watch, places_watch;
    //  Per link, the updates not sent yet (s_batch_add); made when first
    //  used, kept with their memory
    herd_wire_batch_t *batches[HERD_TOPO_NODES_MAX];
    bool batch_timer;  //  Set to send them
    bool batch_soon;   //  In a handler that sends every batch as it ends
    //  ACKs owed to each link's originator, sent once per inbox turn: the
    //  highest sequence taken this turn covers those before it
    struct {
        uint64_t epoch, sequence;
        bool owed;
    } acks_owed[HERD_TOPO_NODES_MAX];
    uint64_t places_id;  //  Places calls asked, for the tap
};

//  Places answer statuses counted apart; the last is every other.
static const char *s_statuses[] = {"OK",
                                   "ZERO_RESULTS",
                                   "INVALID_REQUEST",
                                   "REQUEST_DENIED",
                                   "OVER_QUERY_LIMIT",
                                   "UNKNOWN_ERROR",
                                   "other"};

void
herd_node_block_signals (void)
{
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);
}

//  Context frame of a Places request: connection, ticket, then the AT line
//  the reply starts with (taken when the WHATSAT came).
typedef struct {
    uint64_t connection;
    uint64_t ticket;
    int64_t asked;  //  Monotonic microseconds, for the metrics
    uint64_t id;    //  In the tap's places records
} s_context_t;

//  The inbox and the Places actor's pipe are watched through their ZMQ_FD
//  as plain descriptors, not as ZeroMQ sockets: zmq_poll asks every
//  ZeroMQ socket in its set for its events, two system calls each, on every
//  turn of the loop whatever woke it, and the node's turns are many and
//  short.  The descriptor only says "look": the handler reads a batch; a
//  read that finds nothing re-arms the descriptor (the socket has then
//  taken in every notice), and if the batch ended before that, a
//  zero-delay timer calls the handler again on the next turn.
static int s_on_watched (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static int
s_on_watch_again (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    s_watch_t *watch = (s_watch_t *) arg;
    watch->again = false;
    return s_on_watched (loop, NULL, arg);
}

static int
s_on_watched (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) item;
    s_watch_t *watch = (s_watch_t *) arg;
    watch->drained = false;
    if (watch->handler (loop, watch->socket, watch->node) == -1)
        return -1;
    //  A read that found nothing (EAGAIN) has taken in the socket's notices
    //  and re-armed the descriptor: no need to ask ZMQ_EVENTS, two system
    //  calls.  A handler that stopped at its batch size left more to read.
    if (!watch->drained && !watch->again) {
        watch->again = true;
        zloop_timer (loop, 0, 1, s_on_watch_again, watch);
    }
    return 0;
}

//  We sent on a watched socket: the send may have taken in the very
//  notice that its descriptor was to show (libzmq processes a socket's
//  commands on any call), so look again on the next turn.
static void
s_watch_poke (s_watch_t *watch)
{
    if (!watch->again) {
        watch->again = true;
        zloop_timer (watch->node->loop, 0, 1, s_on_watch_again, watch);
    }
}

static int
s_watch (herd_node_t *self,
         s_watch_t *watch,
         zsock_t *socket,
         zloop_reader_fn *handler)
{
    watch->node = self;
    watch->socket = socket;
    watch->handler = handler;
    watch->again = false;
    zmq_pollitem_t item = {NULL, zsock_fd (socket), ZMQ_POLLIN, 0};
    return zloop_poller (self->loop, &item, s_on_watched, watch);
}

static void
s_reply (herd_node_t *self,
         uint64_t connection,
         uint64_t ticket,
         const char *data,
         size_t size)
{
    if (herd_front_reply (self->front, connection, ticket, data, size))
        herd_log_printf (self->log, "warning",
                         "reply dropped: connection %" PRIu64 " is gone",
                         connection >> 32);
}

static void
s_reply_invalid (herd_node_t *self,
                 uint64_t connection,
                 uint64_t ticket,
                 const char *line,
                 size_t size,
                 const char *reason)
{
    herd_log_printf (self->log, "warning", "refused conn=%" PRIu64 ": %s",
                     connection >> 32, reason);
    size_t reply_size;
    char *reply = herd_msg_invalid_reply (line, size, &reply_size);
    s_reply (self, connection, ticket, reply, reply_size);
    free (reply);
}

//  Updates are sent to each neighbour in batches: every update flooded
//  while handling one batch of input goes out in one AT message per link
//  when that batch is done (the end of the inbox handler, the front end's
//  turn end, else a zero-delay timer: the next turn), or as soon as a batch
//  holds S_AT_BATCH updates or S_AT_BATCH_BYTES.  Under load this sends one
//  message where there were dozens: each costs system calls and thread
//  wake-ups in both nodes and in ZeroMQ's I/O threads.
#define S_AT_BATCH       256
#define S_AT_BATCH_BYTES (64 * 1024)

//  Send link i's batch, if it holds any.
static void
s_batch_send (herd_node_t *self, size_t i)
{
    if (!self->batches[i] || herd_wire_batch_count (self->batches[i]) == 0)
        return;
    size_t updates = herd_wire_batch_count (self->batches[i]);
    zmsg_t *at = herd_wire_batch_take (self->batches[i]);
    if (herd_link_send (self->links[i], &at) == 0)
        self->sent += updates;
    else if (herd_link_up (self->links[i]))
        herd_log_printf (self->log, "error",
                         "update lost for %s: its queue is full (%zu "
                         "updates)",
                         herd_link_neighbour (self->links[i]), updates);
    //  Refused while the link is down: catch-up brings them
    zmsg_destroy (&at);
}

static void
s_batch_send_all (herd_node_t *self)
{
    for (size_t i = 0; i < self->link_count; i++)
        s_batch_send (self, i);
    self->batch_soon = false;
}

//  The front end read a batch of lines: their updates go out now, in one
//  message per link for the whole batch.
static void
s_on_front_turn_end (void *arg)
{
    s_batch_send_all ((herd_node_t *) arg);
}

static int
s_on_batch_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    self->batch_timer = false;
    s_batch_send_all (self);
    return 0;
}

//  Queue an update for link i.
static void
s_batch_add (herd_node_t *self,
             size_t i,
             const char *originator,
             uint64_t epoch,
             uint64_t sequence,
             const char *seen,
             herd_span_t payload)
{
    if (!self->batches[i])
        self->batches[i] = herd_wire_batch_new ();
    if (herd_wire_batch_add (self->batches[i], originator, epoch, sequence,
                             seen, payload.data, payload.size)) {
        //  Not reached: what we forward was held to the same limits
        herd_log_printf (self->log, "error",
                         "update lost for %s: it breaks the frame limits",
                         herd_link_neighbour (self->links[i]));
        return;
    }
    if (herd_wire_batch_count (self->batches[i]) >= S_AT_BATCH
        || herd_wire_batch_bytes (self->batches[i]) >= S_AT_BATCH_BYTES)
        s_batch_send (self, i);
    else if (!self->batch_timer && !self->batch_soon) {
        //  Not from a handler that sends them as it ends: the next turn
        self->batch_timer = true;
        zloop_timer (self->loop, 0, 1, s_on_batch_timer, self);
    }
}

//  Room for a list of neighbour names in a record ("B,C,D"); a longer
//  list ends with "...".
#define S_NAMES_SIZE 1024

//  Append name to the list list..end; returns the new end.
static char *
s_add_name (const char *list, char *end, const char *name)
{
    size_t size = strlen (name);
    size_t room = S_NAMES_SIZE - (size_t) (end - list);
    if (room < 5)
        return end;  //  "..." is there already
    if (size + 2 > room - 4) {
        strcpy (end, "...");
        return end + 3;
    }
    if (end > list)
        *end++ = ',';
    memcpy (end, name, size + 1);
    return end + size;
}

//  Send a stored update to every neighbour that is neither its sender nor
//  in its seen set (queued in their batches); O(neighbours).  Returns the
//  mask of links that were up: those will ACK an update we originated.
//  The names of those links go to tx ("B,C"; "-" for none), those of the
//  links that were down to down ("" for none); both hold S_NAMES_SIZE.
static uint64_t
s_flood (herd_node_t *self,
         herd_span_t originator,
         uint64_t epoch,
         uint64_t sequence,
         herd_span_t seen,
         herd_span_t payload,
         const char *sender,
         char *tx,
         char *down)
{
    //  Who gets it: the seen set we send names them too, so that they are
    //  not sent it again by each other (proto/herd.md, section 3)
    const char *names[HERD_TOPO_NODES_MAX + 1];
    bool target[HERD_TOPO_NODES_MAX] = {false};
    size_t count = 0;
    names[count++] = self->name;
    for (size_t i = 0; i < self->link_count; i++) {
        const char *neighbour = herd_link_neighbour (self->links[i]);
        target[i] = herd_flood_forward_to (seen, sender, neighbour);
        if (target[i] && herd_link_up (self->links[i]))
            names[count++] = neighbour;
    }
    char *next_seen = herd_flood_next_seen (seen, names, count);
    char *origin = strndup (originator.data, originator.size);
    uint64_t sent = 0;
    char *tx_end = tx, *down_end = down;
    *tx = *down = 0;
    for (size_t i = 0; i < self->link_count; i++) {
        const char *neighbour = herd_link_neighbour (self->links[i]);
        if (!target[i])
            continue;
        //  Queued even when the link looks down: the socket monitor is read
        //  every few milliseconds, and a send the link refuses costs
        //  nothing (catch-up brings the neighbour what it missed)
        s_batch_add (self, i, origin, epoch, sequence, next_seen, payload);
        if (herd_link_up (self->links[i])) {
            tx_end = s_add_name (tx, tx_end, neighbour);
            if (i < HERD_ACK_LINKS_MAX)
                sent |= 1ull << i;
        } else
            down_end = s_add_name (down, down_end, neighbour);
    }
    if (tx_end == tx)
        strcpy (tx, "-");
    free (origin);
    free (next_seen);
    return sent;
}

//  A held IAMAT reply may go: every ACK came, or its time is up.
static void
s_on_released (void *arg,
               uint64_t connection,
               uint64_t ticket,
               const char *reply,
               size_t size,
               bool complete)
{
    herd_node_t *self = (herd_node_t *) arg;
    if (!complete)
        herd_log_printf (self->log, "warning",
                         "conn=%" PRIu64 " answered without every ACK",
                         connection >> 32);
    s_reply (self, connection, ticket, reply, size);
}

static int
s_on_ack_tick (zloop_t *loop, int timer_id, void *arg)
{
    herd_node_t *self = (herd_node_t *) arg;
    herd_ack_expire (self->acks, zclock_mono ());
    if (herd_ack_size (self->acks) == 0) {
        zloop_timer_end (loop, timer_id);
        self->ack_timer = -1;
    }
    herd_front_settle (self->front);
    return 0;
}

//  A neighbour holds an update of ours.
static void
s_ack (herd_node_t *self, herd_wire_t *wire, const char *sender)
{
    if (wire->epoch != self->epoch
        || wire->originator.size != strlen (self->name)
        || memcmp (wire->originator.data, self->name, wire->originator.size))
        return;  //  For a previous life of ours, or not ours
    for (size_t i = 0; i < self->link_count; i++)
        if (streq (herd_link_neighbour (self->links[i]), sender))
            herd_ack_receive (self->acks, wire->sequence, i);
}

static void
s_iamat (herd_node_t *self,
         uint64_t connection,
         uint64_t ticket,
         const herd_msg_t *iamat)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    size_t size;
    char *line = herd_msg_at_line (iamat, self->name, (uint64_t) now.tv_sec,
                                   (uint32_t) now.tv_nsec, &size);
    herd_msg_t at;
    int rc = herd_msg_parse_at (&at, line, size, NULL);
    assert (rc == 0);  //  We made it
    //  Flood first, then answer once the neighbours hold it: a grader asks
    //  a neighbour the moment the reply arrives
    uint64_t waiting = 0;
    bool stored = herd_table_offer (self->table, &at, line, size);
    self->updates[0][stored ? 0 : 1]++;
    if (stored) {
        self->changes++;
        self->sequence++;
        herd_span_t none = {"", 0};
        herd_span_t payload = {line, size};
        char tx[S_NAMES_SIZE], down[S_NAMES_SIZE];
        waiting = s_flood (self, at.node, self->epoch, self->sequence, none,
                           payload, NULL, tx, down);
        if (herd_log_enabled (self->log, "info")) {
            char client[HERD_LOG_QUOTE_SIZE];
            herd_log_quote (client, at.client_id.data, at.client_id.size);
            herd_log_printf_at (self->log, &now, "info",
                                "update stored originator=%s seq=%" PRIu64
                                " client=%s tx=%s%s%s",
                                self->name, self->sequence, client, tx,
                                *down ? " down=" : "", down);
        }
    } else if (herd_log_enabled (self->log, "info")) {
        char client[HERD_LOG_QUOTE_SIZE];
        herd_log_quote (client, at.client_id.data, at.client_id.size);
        herd_log_printf (self->log, "info",
                         "update stale client=%s (not newer)", client);
    }
    line[size] = '\n';  //  herd_msg_at_line left room for the terminator
    herd_ack_hold (self->acks, self->sequence, waiting, connection, ticket,
                   line, size + 1, zclock_mono ());
    if (herd_ack_size (self->acks) > 0 && self->ack_timer == -1)
        self->ack_timer =
            zloop_timer (self->loop, S_ACK_TICK_MS, 0, s_on_ack_tick, self);
    free (line);
}

//  A WHATSAT reply: the stored AT line, LF, the JSON, LF LF, in one piece
//  (proto/client.md, section 3).
static void
s_whatsat_reply (herd_node_t *self,
                 uint64_t connection,
                 uint64_t ticket,
                 herd_span_t at_line,
                 herd_span_t json)
{
    size_t size = at_line.size + 1 + json.size + 2;
    char *reply = (char *) malloc (size);
    assert (reply);
    memcpy (reply, at_line.data, at_line.size);
    reply[at_line.size] = '\n';
    memcpy (reply + at_line.size + 1, json.data, json.size);
    memcpy (reply + at_line.size + 1 + json.size, "\n\n", 2);
    s_reply (self, connection, ticket, reply, size);
    free (reply);
}

//  A WHATSAT answered without asking Places.
static void
s_whatsat_refused (herd_node_t *self,
                   uint64_t connection,
                   uint64_t ticket,
                   herd_span_t at_line,
                   const char *status,
                   const char *message)
{
    herd_span_t json;
    char *text = herd_places_refusal (status, message, &json.size);
    json.data = text;
    s_whatsat_reply (self, connection, ticket, at_line, json);
    free (text);
}

static void
s_whatsat (herd_node_t *self,
           uint64_t connection,
           uint64_t ticket,
           const herd_msg_t *whatsat,
           const char *line,
           size_t size)
{
    herd_record_t record;
    if (!herd_table_lookup (self->table, whatsat->client_id.data,
                            whatsat->client_id.size, &record)) {
        s_reply_invalid (self, connection, ticket, line, size,
                         "unknown client");
        return;
    }
    char latitude[HERD_MSG_NUMBER_SIZE], longitude[HERD_MSG_NUMBER_SIZE];
    char metres[HERD_MSG_NUMBER_SIZE];
    int rc = herd_msg_coordinates (record.location, latitude, longitude);
    rc |= herd_msg_metres (whatsat->radius, metres);
    assert (rc == 0);  //  Both were checked when parsed
    zchunk_t *context =
        zchunk_new (NULL, sizeof (s_context_t) + record.line.size);
    s_context_t head = {connection, ticket, zclock_usecs (), ++self->places_id};
    zchunk_append (context, &head, sizeof (head));
    zchunk_append (context, record.line.data, record.line.size);
    if (self->stopping)  //  The actor would answer after it said STOPPED
        s_whatsat_refused (self, connection, ticket, record.line,
                           "UNKNOWN_ERROR", "herd: node shutting down");
    else if (herd_places_fetch (self->places, zchunk_data (context),
                                zchunk_size (context), latitude, longitude,
                                metres, whatsat->bound)) {
        herd_log_printf (self->log, "warning", "Places queue full");
        s_whatsat_refused (self, connection, ticket, record.line,
                           "OVER_QUERY_LIMIT", "herd: Places queue full");
    } else {
        s_watch_poke (&self->places_watch);
        if (herd_log_enabled (self->log, "info")) {
            char client[HERD_LOG_QUOTE_SIZE];
            herd_log_quote (client, whatsat->client_id.data,
                            whatsat->client_id.size);
            herd_log_printf (self->log, "info",
                             "places ask id=%" PRIu64 " conn=%" PRIu64
                             " client=%s radius_m=%s max=%d",
                             head.id, connection >> 32, client, metres,
                             (int) whatsat->bound);
        }
    }
    zchunk_destroy (&context);
}

static void
s_on_line (void *arg,
           uint64_t connection,
           uint64_t ticket,
           const char *line,
           size_t size,
           bool truncated)
{
    herd_node_t *self = (herd_node_t *) arg;
    self->batch_soon = true;  //  The front end's turn end sends them
    if (truncated) {
        self->lines[HERD_MSG_INVALID]++;
        s_reply_invalid (self, connection, ticket, line, size, "line too long");
        return;
    }
    herd_msg_t msg;
    const char *reason = NULL;
    herd_msg_type_t type = herd_msg_parse_client (&msg, line, size, &reason);
    self->lines[type]++;
    switch (type) {
        case HERD_MSG_BLANK:
            s_reply (self, connection, ticket, "", 0);
            break;
        case HERD_MSG_IAMAT:
            s_iamat (self, connection, ticket, &msg);
            break;
        case HERD_MSG_WHATSAT:
            s_whatsat (self, connection, ticket, &msg, line, size);
            break;
        default:
            s_reply_invalid (self, connection, ticket, line, size, reason);
    }
}

//  Index of the link to neighbour name, or -1.
static int
s_link_index (herd_node_t *self, herd_span_t name)
{
    for (size_t i = 0; i < self->link_count; i++) {
        const char *neighbour = herd_link_neighbour (self->links[i]);
        if (strlen (neighbour) == name.size
            && memcmp (neighbour, name.data, name.size) == 0)
            return (int) i;
    }
    return -1;
}

static bool
s_is_node (herd_node_t *self, herd_span_t name)
{
    char text[HERD_WIRE_NAME_MAX + 1];
    if (name.size > HERD_WIRE_NAME_MAX)
        return false;
    memcpy (text, name.data, name.size);
    text[name.size] = 0;
    return herd_topo_node_index (self->topo, text) >= 0;
}

//  A batch of records from a neighbour's snapshot (or passed on by it):
//  each applied newest-wins; those stored go on, as one batch, to every
//  other neighbour (proto/herd.md, section 5).
static void
s_snap (herd_node_t *self, zmsg_t *msg, size_t from)
{
    zmsg_t *forward = herd_wire_snap ();
    size_t records = 0, stored = 0, refused = 0;
    herd_span_t record;
    for (bool more = herd_wire_first_record (msg, &record); more;
         more = herd_wire_next_record (msg, &record)) {
        records++;
        herd_msg_t at;
        if (record.size > HERD_WIRE_PAYLOAD_MAX
            || herd_msg_parse_at (&at, record.data, record.size, NULL)
            || !s_is_node (self, at.node)) {
            refused++;
            continue;
        }
        if (herd_table_offer (self->table, &at, record.data, record.size)) {
            self->changes++;
            herd_wire_snap_add (forward, record.data, record.size);
            stored++;
        }
    }
    const char *sender = herd_link_neighbour (self->links[from]);
    self->refused += refused;
    self->updates[1][0] += stored;
    self->updates[1][1] += records - stored - refused;
    herd_log_printf (self->log, refused ? "warning" : "info",
                     "snap rx from=%s records=%zu stored=%zu refused=%zu",
                     sender, records, stored, refused);
    for (size_t i = 0; stored && i < self->link_count; i++) {
        if (i == from)
            continue;
        zmsg_t *copy = zmsg_dup (forward);
        if (herd_link_send (self->links[i], &copy))
            herd_log_printf (
                self->log, "info", "snap not passed on to %s: link %s",
                herd_link_neighbour (self->links[i]),
                herd_link_up (self->links[i]) ? "queue full" : "down");
    }
    zmsg_destroy (&forward);
}

//  One of our links went up or down.  Up: ask the neighbour for what we
//  lack.
static void
s_on_link (void *arg, const herd_link_t *link, bool up)
{
    herd_node_t *self = (herd_node_t *) arg;
    size_t index = 0;
    while (self->links[index] != link)
        index++;
    if (up)
        herd_sync_hello (self->sync, index, true);
    else
        herd_sync_link_down (self->sync, index);
}

//  Send link i's originator the ACK it is owed (proto/herd.md, section 4).
static void
s_send_ack (herd_node_t *self, size_t i)
{
    zmsg_t *ack =
        herd_wire_ack (herd_link_neighbour (self->links[i]),
                       self->acks_owed[i].epoch, self->acks_owed[i].sequence);
    herd_link_send (self->links[i], &ack);  //  Refused: the reply times out
    self->acks_owed[i].owed = false;
}

static void
s_update (herd_node_t *self, herd_wire_t *wire, const char *sender)
{
    struct timespec taken;  //  For the record, written once it is flooded
    clock_gettime (CLOCK_REALTIME, &taken);
    char *originator = strndup (wire->originator.data, wire->originator.size);
    herd_msg_t at;
    const char *reason = NULL;
    if (herd_topo_node_index (self->topo, originator) < 0)
        reason = "unknown originator";
    else if (herd_msg_parse_at (&at, wire->payload.data, wire->payload.size,
                                &reason)
                 == 0
             && (at.node.size != wire->originator.size
                 || memcmp (at.node.data, wire->originator.data, at.node.size)))
        reason = "AT line names another originator";
    if (reason) {
        self->refused++;
        herd_log_printf (self->log, "warning",
                         "update from %s dropped: %s; %" PRIu64
                         " refused so far",
                         sender, reason, self->refused);
        free (originator);
        return;
    }
    //  The originator may be holding its client's reply for this: it is
    //  owed an ACK, sent at the end of the turn
    if (streq (originator, sender))
        for (size_t i = 0; i < self->link_count; i++)
            if (streq (herd_link_neighbour (self->links[i]), sender)) {
                if (self->acks_owed[i].owed
                    && self->acks_owed[i].epoch != wire->epoch)
                    s_send_ack (self, i);  //  It restarted meanwhile
                self->acks_owed[i].epoch = wire->epoch;
                self->acks_owed[i].sequence = wire->sequence;
                self->acks_owed[i].owed = true;
            }
    bool stored = herd_table_offer (self->table, &at, wire->payload.data,
                                    wire->payload.size);
    self->updates[1][stored ? 0 : 1]++;
    char tx[S_NAMES_SIZE] = "-", down[S_NAMES_SIZE] = "";
    if (stored) {
        self->changes++;
        s_flood (self, wire->originator, wire->epoch, wire->sequence,
                 wire->seen, wire->payload, sender, tx, down);
    }
    //  One record per update taken: what came, from whom, and where it went
    if (herd_log_enabled (self->log, "info")) {
        char client[HERD_LOG_QUOTE_SIZE];
        herd_log_quote (client, at.client_id.data, at.client_id.size);
        herd_log_printf_at (self->log, &taken, "info",
                            "update %s from=%s originator=%s seq=%" PRIu64
                            " client=%s seen=%.*s tx=%s%s%s",
                            stored ? "stored" : "stale", sender, originator,
                            wire->sequence, client, (int) wire->seen.size,
                            wire->seen.data, tx, *down ? " down=" : "", down);
    }
    free (originator);
}

//  Every update of an AT message, in order (proto/herd.md, section 2).
static void
s_updates (herd_node_t *self, herd_wire_t *wire, const char *sender)
{
    size_t count = wire->count;
    for (size_t index = 0; index < count; index++) {
        const char *reason = NULL;
        if (index > 0 && herd_wire_next_update (wire, index, &reason) == -1) {
            self->refused++;
            herd_log_printf (self->log, "warning",
                             "updates from %s dropped from the %zuth of %zu "
                             "on: %s; %" PRIu64 " refused so far",
                             sender, index + 1, count, reason, self->refused);
            return;
        }
        self->taken++;
        s_update (self, wire, sender);
    }
}

//  Over CURVE, zauth binds each connection to the name in the member's
//  certificate (ZAP metadata "name"): the routing id must be that name, or
//  a member could pose as another.
static bool
s_key_matches (zmsg_t *msg, const char *sender)
{
    zmsg_first (msg);
    zframe_t *signature = zmsg_next (msg);  //  From the wire: has metadata
    const char *name = signature ? zframe_meta (signature, "name") : NULL;
    return name && streq (name, sender);
}

static int
s_on_inbox (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    herd_node_t *self = (herd_node_t *) arg;
    self->batch_soon = true;  //  Sent below
    for (size_t work = 0; work < S_BATCH;) {
        zmsg_t *msg = zmsg_recv_nowait (reader);
        if (!msg) {
            self->inbox_watch.drained = true;
            break;
        }
        char *sender = zframe_strdup (zmsg_first (msg));
        bool key_matches = !self->cert || s_key_matches (msg, sender);
        herd_wire_t wire;
        const char *reason = NULL;
        int from = -1;
        if (herd_wire_decode (&wire, msg, &reason) == 0
            && (from = s_link_index (self, wire.sender)) == -1)
            reason = "not a neighbour";
        if (!reason && !key_matches)
            reason = "routing id is not the name of the sender's key";
        work +=
            1
            + (wire.command == HERD_WIRE_SNAP || wire.command == HERD_WIRE_AT
                   ? wire.count
                   : 0);
        if (!reason)
            self->messages[wire.command]++;
        if (reason) {
            self->refused++;
            char prefix[160];
            snprintf (prefix, sizeof (prefix),
                      "%s; %" PRIu64 " refused so far; sender", reason,
                      self->refused);
            herd_log_bytes (self->log, "warning", prefix, sender,
                            strlen (sender));
        } else if (wire.command == HERD_WIRE_ACK)
            s_ack (self, &wire, sender);
        else if (wire.command == HERD_WIRE_HELLO) {
            herd_log_printf (self->log, "info",
                             "hello rx from=%s epoch=%" PRIu64 " answer=%d",
                             sender, wire.epoch, wire.answer);
            herd_sync_request (self->sync, (size_t) from);
            //  Its link to us came up; ours to it may never have gone
            //  down (a frozen node, a one-sided break): ask it as well
            if (wire.answer)
                herd_sync_hello (self->sync, (size_t) from, false);
        } else if (wire.command == HERD_WIRE_SNAP)
            s_snap (self, msg, (size_t) from);
        else if (wire.command == HERD_WIRE_SNAPEND)
            herd_link_synced (self->links[from], wire.count);
        else if (wire.command == HERD_WIRE_OTHER)
            herd_log_bytes (self->log, "info", "ignored newer command",
                            wire.name.data, wire.name.size);
        else
            s_updates (self, &wire, sender);
        free (sender);
        zmsg_destroy (&msg);
    }
    //  One ACK per originator for the whole batch, and what it brings goes
    //  on now: a turn of the loop sooner than the batch timer at each hop
    for (size_t i = 0; i < self->link_count; i++)
        if (self->acks_owed[i].owed)
            s_send_ack (self, i);
    s_batch_send_all (self);
    herd_front_settle (self->front);  //  The replies those ACKs released
    return 0;
}

//  An answer from Places, for the metrics and the tap: its status and how
//  long.
static void
s_count_places (herd_node_t *self,
                const s_context_t *head,
                herd_span_t at_line,
                herd_span_t json)
{
    int64_t took = zclock_usecs () - head->asked;
    herd_metrics_observe (&self->places_time, (double) took / 1e6);
    const char *key = "\"status\" : \"";
    const char *end = json.data + json.size;
    const char *status =
        (const char *) memmem (json.data, json.size, key, strlen (key));
    size_t index = 6;
    if (status) {
        status += strlen (key);
        for (size_t i = 0; i < 6; i++) {
            size_t size = strlen (s_statuses[i]);
            if (status + size < end && memcmp (status, s_statuses[i], size) == 0
                && status[size] == '"')
                index = i;
        }
    }
    self->answers[index]++;
    if (herd_log_enabled (self->log, "info")) {
        //  The client is the AT line's fourth word
        herd_msg_t at;
        char client[HERD_LOG_QUOTE_SIZE] = "\"\"";
        if (herd_msg_parse_at (&at, at_line.data, at_line.size, NULL) == 0)
            herd_log_quote (client, at.client_id.data, at.client_id.size);
        herd_log_printf (self->log, "info",
                         "places answer id=%" PRIu64 " conn=%" PRIu64
                         " client=%s status=%s ms=%.3f bytes=%zu",
                         head->id, head->connection >> 32, client,
                         s_statuses[index], (double) took / 1000, json.size);
    }
}

//  The metrics endpoint's page, in the Prometheus text format.
static void
s_render_metrics (void *arg, FILE *out)
{
    herd_node_t *self = (herd_node_t *) arg;
    const char *node = self->name;
    fprintf (out, "# HELP herd_requests_total Client lines, by command.\n"
                  "# TYPE herd_requests_total counter\n");
    const char *commands[] = {"blank", "invalid", "IAMAT", "WHATSAT"};
    const herd_msg_type_t types[] = {HERD_MSG_BLANK, HERD_MSG_INVALID,
                                     HERD_MSG_IAMAT, HERD_MSG_WHATSAT};
    for (size_t i = 0; i < 4; i++)
        fprintf (out,
                 "herd_requests_total{node=\"%s\",command=\"%s\"} %" PRIu64
                 "\n",
                 node, commands[i], self->lines[types[i]]);
    fprintf (out,
             "# HELP herd_connections Client connections open.\n"
             "# TYPE herd_connections gauge\n"
             "herd_connections{node=\"%s\"} %zu\n"
             "# HELP herd_connections_total Client connections accepted.\n"
             "# TYPE herd_connections_total counter\n"
             "herd_connections_total{node=\"%s\"} %" PRIu64 "\n",
             node, herd_front_connections (self->front), node,
             herd_front_accepted (self->front));
    fprintf (out,
             "# HELP herd_clients Client records held.\n"
             "# TYPE herd_clients gauge\n"
             "herd_clients{node=\"%s\"} %zu\n"
             "# HELP herd_records_evicted_total Records dropped for "
             "max_clients or max_age_s.\n"
             "# TYPE herd_records_evicted_total counter\n"
             "herd_records_evicted_total{node=\"%s\"} %" PRIu64 "\n",
             node, herd_table_size (self->table), node,
             herd_table_evicted (self->table));
    fprintf (out, "# HELP herd_updates_total Location updates offered, by "
                  "source and result.\n"
                  "# TYPE herd_updates_total counter\n");
    const char *sources[] = {"client", "herd"};
    const char *results[] = {"stored", "stale"};
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 2; r++)
            fprintf (out,
                     "herd_updates_total{node=\"%s\",source=\"%s\","
                     "result=\"%s\"} %" PRIu64 "\n",
                     node, sources[s], results[r], self->updates[s][r]);
    fprintf (out, "# HELP herd_messages_received_total Herd messages "
                  "received, by command.\n"
                  "# TYPE herd_messages_received_total counter\n");
    const char *names[] = {"AT", "ACK", "HELLO", "SNAP", "SNAPEND", "other"};
    for (int c = 0; c <= HERD_WIRE_OTHER; c++)
        fprintf (out,
                 "herd_messages_received_total{node=\"%s\",command=\"%s\"} "
                 "%" PRIu64 "\n",
                 node, names[c], self->messages[c]);
    fprintf (out,
             "# HELP herd_messages_refused_total Herd messages and "
             "handshakes refused.\n"
             "# TYPE herd_messages_refused_total counter\n"
             "herd_messages_refused_total{node=\"%s\"} %" PRIu64 "\n",
             node, self->refused);
    fprintf (out, "# HELP herd_link_state Each link's state: 1 for the one "
                  "it is in.\n"
                  "# TYPE herd_link_state gauge\n");
    for (size_t i = 0; i < self->link_count; i++)
        for (int s = HERD_LINK_DOWN; s <= HERD_LINK_SYNCED; s++)
            fprintf (out,
                     "herd_link_state{node=\"%s\",neighbour=\"%s\","
                     "state=\"%s\"} %d\n",
                     node, herd_link_neighbour (self->links[i]),
                     herd_link_state_name ((herd_link_state_t) s),
                     herd_link_state (self->links[i]) == (herd_link_state_t) s);
    fprintf (out, "# HELP herd_places_answers_total Places answers given to "
                  "WHATSAT, by status.\n"
                  "# TYPE herd_places_answers_total counter\n");
    for (size_t i = 0; i < 7; i++)
        fprintf (out,
                 "herd_places_answers_total{node=\"%s\",status=\"%s\"} "
                 "%" PRIu64 "\n",
                 node, s_statuses[i], self->answers[i]);
    fprintf (out, "# HELP herd_places_duration_seconds From asking Places to "
                  "its answer.\n"
                  "# TYPE herd_places_duration_seconds histogram\n");
    char labels[HERD_WIRE_NAME_MAX + 16];
    snprintf (labels, sizeof (labels), "node=\"%s\"", node);
    herd_metrics_write_histogram (out, "herd_places_duration_seconds", labels,
                                  &self->places_time);
}

//  The metrics endpoint, when the topology names one ("host:port").
static int
s_open_metrics (herd_node_t *self)
{
    const char *setting =
        herd_topo_setting (self->topo, self->index, "metrics");
    if (!*setting)
        return 0;
    char *host = strdup (setting);
    char *colon = strrchr (host, ':');
    int port = colon ? atoi (colon + 1) : -1;
    if (colon)
        *colon = 0;
    char *bare = host;
    if (*bare == '[' && colon && colon[-1] == ']') {
        bare++;
        colon[-1] = 0;
    }
    int bound = -1;
    if (port >= 0 && port <= 65535)
        self->metrics = herd_metrics_new (self->loop, bare, (uint16_t) port,
                                          s_render_metrics, self, &bound);
    free (host);
    if (!self->metrics) {
        fprintf (stderr, "herd: %s: cannot serve metrics on %s\n", self->name,
                 setting);
        return -1;
    }
    herd_log_printf (self->log, "notice", "metrics on http://%s/metrics",
                     setting);
    return 0;
}

static int
s_on_places (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) reader;
    herd_node_t *self = (herd_node_t *) arg;
    zframe_t *context, *json;
    //  A batch per turn, as on the inbox: a burst of answers goes out
    //  without a poll between each, and clients still get their turn
    for (int i = 0; i < S_PLACES_BATCH; i++) {
        int rc = herd_places_receive (self->places, &context, &json);
        if (rc == 1) {  //  Stopping, and every request is answered
            herd_log_printf (self->log, "info", "Places answered all");
            herd_log_flush (self->log);
            return -1;  //  Ends zloop_start
        }
        if (rc == -1) {
            self->places_watch.drained = true;
            break;
        }
        if (rc == 2)
            continue;  //  Not an answer: never sent by our actor
        s_context_t head;
        memcpy (&head, zframe_data (context), sizeof (head));
        herd_span_t at_line = {(const char *) zframe_data (context)
                                   + sizeof (head),
                               zframe_size (context) - sizeof (head)};
        herd_span_t places = {(const char *) zframe_data (json),
                              zframe_size (json)};
        s_count_places (self, &head, at_line, places);
        s_whatsat_reply (self, head.connection, head.ticket, at_line, places);
        zframe_destroy (&context);
        zframe_destroy (&json);
    }
    herd_front_settle (self->front);
    return 0;
}

static void s_reload (herd_node_t *self);

static int
s_on_stop_deadline (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    herd_log_printf (self->log, "warning", "Places did not answer all in %d ms",
                     S_STOP_MS);
    herd_log_flush (self->log);
    return -1;
}

//  Stop cleanly: held IAMAT replies go now, and every WHATSAT waiting for
//  Places is answered "herd: node shutting down" before the loop ends
//  (proto/client.md, section 5).
static int
s_stop (herd_node_t *self)
{
    self->stopping = true;
    herd_ack_expire (self->acks, INT64_MAX);
    herd_front_settle (self->front);
    if (herd_places_stop (self->places))
        return -1;
    s_watch_poke (&self->places_watch);
    zloop_timer (self->loop, S_STOP_MS, 1, s_on_stop_deadline, self);
    return 0;
}

static int
s_on_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    herd_node_t *self = (herd_node_t *) arg;
    struct signalfd_siginfo info;
    if (read (item->fd, &info, sizeof (info)) != sizeof (info))
        return 0;
    if (info.ssi_signo == SIGHUP) {
        herd_log_reopen (self->log);
        herd_log_printf (self->log, "notice", "log reopened (SIGHUP)");
        s_reload (self);
        herd_front_settle (self->front);  //  Relinking released held replies
        return 0;
    }
    herd_log_printf (self->log, "notice", "stopping (%s)",
                     strsignal ((int) info.ssi_signo));
    herd_log_flush (self->log);
    if (self->stopping)
        return -1;  //  A second signal: stop now
    return s_stop (self);
}

//  A started link to node other of topo (whose node we are at index), or
//  NULL having said why (on stderr, and in the log).
static herd_link_t *
s_new_link (herd_node_t *self, herd_topo_t *topo, size_t index, size_t other)
{
    const char *neighbour = herd_topo_node_name (topo, other);
    char *key = NULL;
    if (self->cert) {
        const char *directory = herd_topo_setting (topo, index, "keys_dir");
        key = herd_keys_public (directory, neighbour);
        if (!key) {
            fprintf (stderr, "herd: %s: no public key %s/%s.key\n", self->name,
                     directory, neighbour);
            herd_log_printf (self->log, "error", "no public key %s/%s.key",
                             directory, neighbour);
            return NULL;
        }
    }
    herd_link_t *link = herd_link_new (self->name, neighbour,
                                       herd_topo_herd_endpoint (topo, other),
                                       self->cert, key, self->log);
    free (key);
    if (link && herd_link_start (link, self->loop, s_on_link, self))
        herd_link_destroy (&link);
    return link;
}

static int
s_open_links (herd_node_t *self)
{
    size_t count = herd_topo_neighbour_count (self->topo, self->index);
    self->links = (herd_link_t **) zmalloc ((count + 1) * sizeof (void *));
    for (size_t i = 0; i < count; i++) {
        herd_link_t *link =
            s_new_link (self, self->topo, self->index,
                        herd_topo_neighbour (self->topo, self->index, i));
        if (!link)
            return -1;
        self->links[self->link_count++] = link;
    }
    self->sync = herd_sync_new (self->table, self->links, self->link_count,
                                self->epoch, self->log);
    herd_sync_start (self->sync, self->loop);
    return 0;
}

//  Take next (loaded, our node at index, same endpoints) as the topology:
//  links to neighbours that stay are kept as they are, links to new
//  neighbours open, links to former ones close.  Every link then says
//  HELLO, so that what either side missed flows both ways.
static void
s_relink (herd_node_t *self, herd_topo_t *next, size_t index)
{
    s_batch_send_all (self);  //  Batches are kept by link index
    //  Held replies wait on link numbers that are about to change
    herd_ack_expire (self->acks, INT64_MAX);
    size_t count = herd_topo_neighbour_count (next, index);
    herd_link_t **links =
        (herd_link_t **) zmalloc ((count + 1) * sizeof (void *));
    size_t linked = 0, kept = 0, added = 0, removed = 0;
    for (size_t n = 0; n < count; n++) {
        size_t other = herd_topo_neighbour (next, index, n);
        const char *name = herd_topo_node_name (next, other);
        const char *endpoint = herd_topo_herd_endpoint (next, other);
        herd_link_t *link = NULL;
        for (size_t i = 0; i < self->link_count && !link; i++)
            if (self->links[i]
                && streq (herd_link_neighbour (self->links[i]), name)
                && streq (herd_link_endpoint (self->links[i]), endpoint)) {
                link = self->links[i];
                self->links[i] = NULL;
                kept++;
            }
        if (!link && (link = s_new_link (self, next, index, other)))
            added++;
        if (link)
            links[linked++] = link;
    }
    for (size_t i = 0; i < self->link_count; i++)
        if (self->links[i]) {
            herd_log_printf (self->log, "notice", "link closed %s",
                             herd_link_neighbour (self->links[i]));
            herd_link_stop (self->links[i]);
            herd_link_destroy (&self->links[i]);
            removed++;
        }
    free (self->links);
    self->links = links;
    self->link_count = linked;
    herd_sync_destroy (&self->sync);
    self->sync = herd_sync_new (self->table, self->links, self->link_count,
                                self->epoch, self->log);
    herd_sync_start (self->sync, self->loop);
    for (size_t i = 0; i < self->link_count; i++)
        if (herd_link_up (self->links[i]))
            herd_sync_hello (self->sync, i, true);
    //  Names and settings now come from next
    self->topo = next;
    self->index = index;
    self->name = herd_topo_node_name (next, index);
    herd_topo_destroy (&self->owned_topo);
    self->owned_topo = next;
    herd_log_printf (self->log, "notice",
                     "topology reloaded: %zu nodes, links kept=%zu added=%zu "
                     "removed=%zu",
                     herd_topo_node_count (next), kept, added, removed);
}

//  SIGHUP: read the topology file again.  A file that does not load, that
//  lacks this node, or that moves this node's endpoints is refused, and
//  the node goes on as it was (proto/topology.md, Reloading).
static void
s_reload (herd_node_t *self)
{
    if (!self->topology_path)
        return;
    herd_topo_t *next = herd_topo_new ();
    char *why = NULL;
    int index = -1;
    if (herd_topo_load (next, self->topology_path))
        why = strdup (herd_topo_errors (next));
    else if ((index = herd_topo_node_index (next, self->name)) < 0)
        why = strdup ("this node is not in it");
    else if (!streq (herd_topo_herd_endpoint (next, (size_t) index),
                     herd_topo_herd_endpoint (self->topo, self->index))
             || !streq (herd_topo_client_host (next, (size_t) index),
                        herd_topo_client_host (self->topo, self->index))
             || herd_topo_client_port (next, (size_t) index)
                    != herd_topo_client_port (self->topo, self->index))
        why = strdup ("this node's endpoints changed: restart it instead");
    if (why) {
        for (char *c = why; *c; c++)
            if (*c == '\n')
                *c = *(c + 1) ? ';' : 0;
        herd_log_printf (self->log, "error",
                         "topology %s not reloaded, the old one stays: %s",
                         self->topology_path, why);
        free (why);
        herd_topo_destroy (&next);
        return;
    }
    s_relink (self, next, (size_t) index);
}

//  A connection to our inbox failed its handshake: a stranger's key, a
//  plain peer on a CURVE herd, or garbage.  Logged and counted.
static void
s_on_inbox_event (herd_node_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    if (frame && zframe_size (frame) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (frame), sizeof (event));
        memcpy (&value, zframe_data (frame) + 2, sizeof (value));
        self->refused++;
        herd_log_printf (
            self->log, "warning",
            "herd connection refused: %s (%u); %" PRIu64 " refused so far",
            event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "authentication failed"
                                                     : "handshake failed",
            value, self->refused);
        herd_log_flush (self->log);
    }
}

//  Read on a timer like the links' monitors (herd_link.h).
static int
s_on_inbox_monitor (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (self->inbox_monitor))) {
        s_on_inbox_event (self, msg);
        zmsg_destroy (&msg);
    }
    return 0;
}

//  The log's records go out on the tap (proto/monitor.md), held for up to
//  S_TAP_TICK_MS: a message per kind per tick costs the node and its
//  listeners far less than one per record, or one per handler.
static void
s_on_tap_record (void *arg, const char *record, size_t size)
{
    herd_tap_record (((herd_node_t *) arg)->tap, record, size);
}

//  Publish what the tap holds.  And subscriptions come and go on the XPUB:
//  records are only formatted for the tap while at least one is held.
static int
s_on_tap_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    herd_tap_flush (self->tap);
    self->tapped = herd_tap_listened (self->tap);
    herd_log_tapping (self->log, self->tapped);
    return 0;
}

//  The p-quantile of the Places calls answered between two histograms, as
//  the upper bound of its bucket in milliseconds; -1 if none were.
static double
s_places_quantile (const herd_metrics_histogram_t *now,
                   const herd_metrics_histogram_t *before,
                   double p)
{
    uint64_t count = now->count - before->count;
    if (count == 0)
        return -1;
    uint64_t rank = (uint64_t) (p * (double) count + 0.999999), seen = 0;
    for (size_t i = 0; i <= HERD_METRICS_BUCKETS; i++) {
        seen += now->counts[i] - before->counts[i];
        if (seen >= rank)
            return herd_metrics_bound (i) * 1000;
    }
    return herd_metrics_bound (HERD_METRICS_BUCKETS) * 1000;
}

//  Once a second, while someone listens: the node's numbers in one "stats"
//  record, for `herd monitor --stats` (proto/monitor.md, section 2).
static int
s_on_stats (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    if (!self->tapped)
        return 0;
    char links[S_NAMES_SIZE * 2] = "-";
    size_t used = 0;
    for (size_t i = 0; i < self->link_count && used + 100 < sizeof (links);
         i++) {
        int n =
            snprintf (links + used, sizeof (links) - used, "%s%s:%s",
                      i ? "," : "", herd_link_neighbour (self->links[i]),
                      herd_link_state_name (herd_link_state (self->links[i])));
        if (n > 0)
            used += (size_t) n;
    }
    double p50 =
        s_places_quantile (&self->places_time, &self->places_shown, 0.5);
    double p99 =
        s_places_quantile (&self->places_time, &self->places_shown, 0.99);
    self->places_shown = self->places_time;
    herd_log_printf (
        self->log, "info",
        "stats conns=%zu accepted=%" PRIu64 " iamat=%" PRIu64
        " whatsat=%" PRIu64 " invalid=%" PRIu64 " blank=%" PRIu64
        " stored=%" PRIu64 " stale=%" PRIu64 " herd_in=%" PRIu64
        " herd_out=%" PRIu64 " refused=%" PRIu64 " clients=%zu places=%" PRIu64
        " places_p50_ms=%g places_p99_ms=%g links=%s",
        herd_front_connections (self->front), herd_front_accepted (self->front),
        self->lines[HERD_MSG_IAMAT], self->lines[HERD_MSG_WHATSAT],
        self->lines[HERD_MSG_INVALID], self->lines[HERD_MSG_BLANK],
        self->updates[0][0] + self->updates[1][0],
        self->updates[0][1] + self->updates[1][1], self->taken, self->sent,
        self->refused, herd_table_size (self->table), self->places_time.count,
        p50, p99, links);
    herd_log_flush (self->log);
    return 0;
}

static int
s_open_tap (herd_node_t *self)
{
    const char *endpoint = herd_topo_setting (self->topo, self->index, "tap");
    if (!*endpoint)
        return 0;
    self->tap = herd_tap_new (endpoint, self->name);
    if (!self->tap) {
        fprintf (stderr, "herd: %s: cannot bind tap %s: %s\n", self->name,
                 endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    herd_log_set_tap (self->log, s_on_tap_record, self);
    return zloop_timer (self->loop, S_TAP_TICK_MS, 0, s_on_tap_tick, self) == -1
                   || zloop_timer (self->loop, 1000, 0, s_on_stats, self) == -1
               ? -1
               : 0;
}

//  CURVE when the topology names a keys_dir: our secret certificate, and
//  zauth admitting the members' public certificates only.
static int
s_open_security (herd_node_t *self)
{
    const char *directory =
        herd_topo_setting (self->topo, self->index, "keys_dir");
    if (!*directory) {
        herd_log_printf (self->log, "warning",
                         "herd links are plain (no keys_dir): anyone who "
                         "reaches %s can send updates",
                         herd_topo_herd_endpoint (self->topo, self->index));
        return 0;
    }
    self->cert = herd_keys_secret (directory, self->name);
    if (!self->cert) {
        fprintf (stderr,
                 "herd: %s: no secret key %s/%s.key_secret (make them with "
                 "herd keys -t FILE)\n",
                 self->name, directory, self->name);
        return -1;
    }
    self->auth = zactor_new (zauth, NULL);
    zstr_sendx (self->auth, "CURVE", directory, NULL);
    zsock_wait (self->auth);
    herd_log_printf (self->log, "notice", "herd links use CURVE, keys in %s",
                     directory);
    return 0;
}

//  libzmq binds to addresses and interface names, not host names: a herd
//  endpoint named by host (tcp://juzang:12211, as under docker-compose) is
//  bound on the address that name resolves to here.  Caller frees it.
static char *
s_bindable (const char *endpoint)
{
    const char *host = endpoint + strlen ("tcp://");
    const char *colon = strrchr (host, ':');
    if (strncmp (endpoint, "tcp://", 6) || !colon || *host == '['
        || *host == '*')
        return strdup (endpoint);
    char *name = strndup (host, (size_t) (colon - host));
    struct in_addr ip;
    //  IPv4, as libzmq resolves the name when neighbours connect to it
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM},
                    *found = NULL;
    char *bindable = NULL;
    if (inet_pton (AF_INET, name, &ip) != 1
        && getaddrinfo (name, NULL, &hints, &found) == 0) {
        char address[INET6_ADDRSTRLEN] = "";
        const void *raw =
            found->ai_family == AF_INET6
                ? (const void *) &((struct sockaddr_in6 *) found->ai_addr)
                      ->sin6_addr
                : (const void *) &((struct sockaddr_in *) found->ai_addr)
                      ->sin_addr;
        if (inet_ntop (found->ai_family, raw, address, sizeof (address)))
            bindable = zsys_sprintf (
                found->ai_family == AF_INET6 ? "tcp://[%s]%s" : "tcp://%s%s",
                address, colon);
        freeaddrinfo (found);
    }
    free (name);
    return bindable ? bindable : strdup (endpoint);
}

static int
s_open_inbox (herd_node_t *self)
{
    const char *endpoint = herd_topo_herd_endpoint (self->topo, self->index);
    self->inbox = zsock_new (ZMQ_ROUTER);
    assert (self->inbox);
    //  A neighbour that reconnects under the same name takes over at once
    zsock_set_router_handover (self->inbox, 1);
    zsock_set_rcvhwm (self->inbox, S_INBOX_RCVHWM);
    //  A larger frame drops its connection (libzmq): proto/herd.md, Limits
    zsock_set_maxmsgsize (self->inbox, HERD_WIRE_FRAME_MAX);
    zsock_set_linger (self->inbox, 0);
    if (self->cert) {
        zcert_apply (self->cert, self->inbox);
        zsock_set_curve_server (self->inbox, 1);
        zsock_set_zap_domain (self->inbox, "herd");
    }
    char monitor[64];
    snprintf (monitor, sizeof (monitor), "inproc://herd-inbox-%p",
              (void *) self);
    int rc = zmq_socket_monitor (zsock_resolve (self->inbox), monitor,
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                     | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                     | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    assert (rc == 0);
    self->inbox_monitor = zsock_new_pair (monitor);
    assert (self->inbox_monitor);
    char *bindable = s_bindable (endpoint);
    rc = zsock_bind (self->inbox, "%s", bindable);
    if (rc != -1 && !streq (bindable, endpoint))
        herd_log_printf (self->log, "notice", "herd endpoint %s bound as %s",
                         endpoint, bindable);
    free (bindable);
    if (rc == -1) {
        fprintf (stderr, "herd: %s: cannot bind herd endpoint %s: %s\n",
                 self->name, endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (zloop_timer (self->loop, 100, 0, s_on_inbox_monitor, self) == -1)
        return -1;
    return s_watch (self, &self->inbox_watch, self->inbox, s_on_inbox);
}

static int
s_open_front (herd_node_t *self)
{
    herd_topo_t *topo = self->topo;
    size_t index = self->index;
    herd_front_config_t config = {
        (size_t) herd_topo_number (topo, index, "max_line"),
        (size_t) herd_topo_number (topo, index, "max_connections"),
        (size_t) herd_topo_number (topo, index, "max_output"),
        herd_topo_number (topo, index, "idle_timeout_ms"),
        herd_topo_number (topo, index, "send_timeout_ms"),
        streq (herd_topo_setting (topo, index, "front"), "stream"),
        herd_topo_number (topo, index, "max_rate"),
    };
    self->front = herd_front_new (&config, self->log, s_on_line, self);
    if (!self->front)
        return -1;
    herd_front_set_turn_end (self->front, s_on_front_turn_end);
    const char *host = herd_topo_client_host (topo, index);
    self->client_port = herd_front_bind (self->front, host,
                                         herd_topo_client_port (topo, index));
    if (self->client_port == -1) {
        fprintf (stderr, "herd: %s: cannot listen on %s:%u: %s\n", self->name,
                 host, herd_topo_client_port (topo, index), strerror (errno));
        return -1;
    }
    return herd_front_start (self->front, self->loop);
}

static int
s_open_signals (herd_node_t *self)
{
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGHUP);
    self->signal_fd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (self->signal_fd == -1)
        return -1;
    zmq_pollitem_t item = {NULL, self->signal_fd, ZMQ_POLLIN, 0};
    return zloop_poller (self->loop, &item, s_on_signal, self);
}

//  The Places actor, as the topology's places section and the
//  HERD_PLACES_KEY environment variable say (proto/places.md).
static zactor_t *
s_open_places (herd_topo_t *topo, int *thread)
{
    const char *provider = herd_topo_places (topo, "provider");
    const char *url = herd_topo_places (topo, "url");
    const char *key = getenv ("HERD_PLACES_KEY");
    if (!url && streq (provider, "google"))
        url = "https://places.googleapis.com";
    else if (!url && streq (provider, "google-legacy"))
        url = "https://maps.googleapis.com";
    if (streq (provider, "stub") && (!key || !*key))
        key = "herd-stub";  //  The stub wants a key, like Google
    herd_places_config_t config = {
        provider,
        url,
        key,
        atol (herd_topo_places (topo, "timeout_ms")),
        atol (herd_topo_places (topo, "connect_timeout_ms")),
        atol (herd_topo_places (topo, "max_in_flight")),
        atol (herd_topo_places (topo, "rate_per_second")),
        thread,
    };
    //  zactor_new returns once the actor has copied config
    return zactor_new (herd_places_actor, &config);
}

//  Every second: records past max_age_s go, and evictions are logged (once
//  a second, however many: a flood of new clients must not flood the log).
static int
s_on_table_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    int64_t max_age = herd_topo_number (self->topo, self->index, "max_age_s");
    if (max_age > 0) {
        int64_t now = zclock_time () / 1000;
        if (now > max_age)
            herd_table_expire (self->table, (uint64_t) (now - max_age));
    }
    uint64_t evicted = herd_table_evicted (self->table);
    if (evicted != self->evicted) {
        herd_log_printf (self->log, "warning",
                         "records evicted=%" PRIu64
                         " in the last second, %" PRIu64 " in all; %zu held",
                         evicted - self->evicted, evicted,
                         herd_table_size (self->table));
        herd_log_flush (self->log);
        self->evicted = evicted;
    }
    return 0;
}

//  Save the table to the state file; logged either way.
static void
s_save_state (herd_node_t *self)
{
    int64_t start = zclock_usecs ();
    size_t count;
    if (herd_state_save (self->table, self->state_path, &count) == 0) {
        self->saved = self->changes;
        herd_log_printf (self->log, "notice",
                         "state saved records=%zu us=%" PRId64 " to %s", count,
                         zclock_usecs () - start, self->state_path);
    } else
        herd_log_printf (self->log, "error", "state not saved to %s: %s",
                         self->state_path, strerror (errno));
    herd_log_flush (self->log);
}

//  Has the child writing the state file finished?  Logs how it went.
//  With wait, waits for it.  Returns true if none is running now.
static bool
s_reap_saver (herd_node_t *self, bool wait)
{
    if (self->saver <= 0)
        return true;
    int status;
    pid_t done = waitpid (self->saver, &status, wait ? 0 : WNOHANG);
    if (done == 0)
        return false;
    if (done == self->saver && WIFEXITED (status)
        && WEXITSTATUS (status) == 0) {
        self->saved = self->saving;
        herd_log_printf (
            self->log, "notice",
            "state saved records=%zu us=%" PRId64 " to %s (in the background)",
            self->saving_records, zclock_usecs () - self->saving_since,
            self->state_path);
    } else
        herd_log_printf (self->log, "error",
                         "state not saved to %s: the saving process failed",
                         self->state_path);
    herd_log_flush (self->log);
    self->saver = 0;
    return true;
}

//  While the table changes, a child process writes it (a copy-on-write
//  image of it, as Redis does), so that a large table never stops the
//  loop; if there can be no child, the loop writes it itself.
static int
s_on_save_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    herd_node_t *self = (herd_node_t *) arg;
    if (!s_reap_saver (self, false) || self->changes == self->saved)
        return 0;
    if (getenv ("HERD_SAVE_IN_LOOP")) {  //  proto/herd.md, section 6
        s_save_state (self);
        return 0;
    }
    herd_log_flush (self->log);  //  Or the child would hold a copy too
    self->saving = self->changes;
    self->saving_records = herd_table_size (self->table);
    self->saving_since = zclock_usecs ();
    pid_t pid = fork ();
    if (pid == 0) {
        size_t count;
        _exit (herd_state_save (self->table, self->state_path, &count) ? 1 : 0);
    }
    if (pid < 0)
        s_save_state (self);
    else
        self->saver = pid;
    return 0;
}

//  Load the state file, if the node has one, and save it every
//  state_interval_ms while the table changes.
static int
s_open_state (herd_node_t *self, const char *state_path)
{
    const char *directory =
        herd_topo_setting (self->topo, self->index, "state_dir");
    if (state_path)
        self->state_path = *state_path ? strdup (state_path) : NULL;
    else if (*directory) {
        zsys_dir_create ("%s", directory);
        self->state_path = zsys_sprintf ("%s/%s.state", directory, self->name);
    }
    if (!self->state_path)
        return 0;
    size_t loaded, refused;
    if (herd_state_load (self->table, self->state_path, &loaded, &refused)) {
        fprintf (stderr, "herd: %s: cannot load state file %s: %s\n",
                 self->name, self->state_path,
                 errno == EINVAL ? "not a herd state file" : strerror (errno));
        return -1;
    }
    herd_log_printf (self->log, refused ? "warning" : "notice",
                     "state loaded records=%zu refused=%zu from %s", loaded,
                     refused, self->state_path);
    zloop_timer (self->loop,
                 (size_t) herd_topo_number (self->topo, self->index,
                                            "state_interval_ms"),
                 0, s_on_save_timer, self);
    return 0;
}

herd_node_t *
herd_node_new (herd_topo_t *topo,
               const char *name,
               bool log_stderr,
               const char *state_path)
{
    int index = herd_topo_node_index (topo, name);
    if (index < 0) {
        fprintf (stderr, "herd: no node called %s in the topology\n", name);
        return NULL;
    }
    herd_node_t *self = (herd_node_t *) zmalloc (sizeof (herd_node_t));
    self->topo = topo;
    self->index = (size_t) index;
    self->name = herd_topo_node_name (topo, self->index);
    self->signal_fd = -1;
    self->epoch = (uint64_t) zclock_time () * 1000;
    self->log = herd_log_new (herd_topo_setting (topo, self->index, "log_dir"),
                              self->name, log_stderr);
    if (!self->log) {
        herd_node_destroy (&self);
        return NULL;
    }
    herd_log_set_level (self->log,
                        herd_topo_setting (topo, self->index, "log_level"));
    self->table = herd_table_new (self->epoch);
    herd_table_set_limit (self->table, (size_t) herd_topo_number (
                                           topo, self->index, "max_clients"));
    self->acks = herd_ack_new (s_on_released, self);
    self->ack_timer = -1;
    self->loop = zloop_new ();
    zsys_set_pipehwm (HERD_PLACES_QUEUE_MAX);
    self->places = s_open_places (topo, &self->places_thread);
    zsock_set_sndtimeo (self->places, 0);
    zloop_timer (self->loop, 1000, 0, s_on_table_tick, self);
    if (s_open_state (self, state_path) || s_open_signals (self)
        || s_open_front (self) || s_open_metrics (self)
        || s_open_security (self) || s_open_tap (self) || s_open_inbox (self)
        || s_open_links (self)
        || s_watch (self, &self->places_watch, zactor_sock (self->places),
                    s_on_places)) {
        herd_node_destroy (&self);
        return NULL;
    }
    return self;
}

void
herd_node_destroy (herd_node_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_node_t *self = *self_p;
        herd_metrics_destroy (&self->metrics);  //  Needs the loop
        herd_sync_destroy (&self->sync);        //  So does this
        zloop_destroy (&self->loop);
        zactor_destroy (&self->places);
        herd_places_join (self->places_thread, 1000);
        for (size_t i = 0; i < self->link_count; i++) {
            s_batch_send (self, i);
            herd_link_destroy (&self->links[i]);
        }
        for (size_t i = 0; i < HERD_TOPO_NODES_MAX; i++)
            herd_wire_batch_destroy (&self->batches[i]);
        free (self->links);
        if (self->inbox_monitor)
            zmq_socket_monitor (zsock_resolve (self->inbox), NULL, 0);
        zsock_destroy (&self->inbox_monitor);
        zsock_destroy (&self->inbox);
        zactor_destroy (&self->auth);
        zcert_destroy (&self->cert);
        if (self->log)
            herd_log_set_tap (self->log, NULL, NULL);
        if (self->tap)
            herd_tap_flush (self->tap);
        herd_tap_destroy (&self->tap);
        herd_front_destroy (&self->front);
        herd_table_destroy (&self->table);
        herd_ack_destroy (&self->acks);
        if (self->signal_fd != -1)
            close (self->signal_fd);
        if (self->log)
            herd_log_printf (self->log, "notice", "stopped");
        herd_log_destroy (&self->log);
        free (self->state_path);
        free (self->topology_path);
        herd_topo_destroy (&self->owned_topo);
        free (self);
        *self_p = NULL;
    }
}

void
herd_node_set_topology_path (herd_node_t *self, const char *path)
{
    assert (self);
    free (self->topology_path);
    self->topology_path = path ? strdup (path) : NULL;
}

int
herd_node_run (herd_node_t *self)
{
    assert (self);
    const char *endpoint = herd_topo_herd_endpoint (self->topo, self->index);
    herd_log_printf (self->log, "notice", "ready client=%s:%d herd=%s",
                     herd_topo_client_host (self->topo, self->index),
                     self->client_port, endpoint);
    herd_log_flush (self->log);
    printf ("herd: node %s ready client=%s:%d herd=%s\n", self->name,
            herd_topo_client_host (self->topo, self->index), self->client_port,
            endpoint);
    fflush (stdout);
    zloop_start (self->loop);
    if (self->state_path) {
        s_reap_saver (self, true);
        s_save_state (self);
    }
    return 0;
}
