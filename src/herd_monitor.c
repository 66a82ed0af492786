/*  herd_monitor - every node's tap in one timeline  */

#include "herd_monitor.h"
#include "herd_str.h"
#include "herd_record.h"
#include "herd_signals.h"
#include "herd_msg.h"
#include "herd_wire.h"

#include <cJSON.h>
#include <czmq.h>
#include <time.h>

//  Events are held this long before they are printed, so that events from
//  several nodes come out in time order (a tap holds its records up to
//  20 ms, and a busy node's tap may be later still).
#define S_WINDOW_US 250000

typedef struct {
    int64_t time;  //  Microseconds since the epoch, from the record; -1: none
    size_t node;   //  Index of the node in the topology
    char *record;  //  The record (NUL-terminated too)
    size_t size;   //  Its length
} s_event_t;

//  A field of a parsed record, or "".
static const char *
s_field (cJSON *root, const char *name)
{
    cJSON *fields = cJSON_GetObjectItemCaseSensitive (root, "fields");
    cJSON *value = cJSON_GetObjectItemCaseSensitive (fields, name);
    return cJSON_IsString (value) ? value->valuestring : "";
}

static int
s_compare (const void *a, const void *b)
{
    const s_event_t *x = (const s_event_t *) a, *y = (const s_event_t *) b;
    return (x->time > y->time) - (x->time < y->time);
}

//  Follow mode remembers when each node took each update, to give the
//  time of each hop: the newest S_HOPS (originator, sequence, node).
#define S_HOPS 4096

//  "ORIGINATOR SEQ NODE": two node names and a 64-bit sequence (20 digits)
//  fit whole.
#define S_HOP_KEY_SIZE (2 * HERD_WIRE_NAME_MAX + 20 + 3)

typedef struct {
    char key[S_HOP_KEY_SIZE];  //  "ORIGINATOR SEQ NODE"
    int64_t time;              //  When the node took it
} s_hop_t;

//  Stats mode keeps the last two stats records of each node.
typedef struct {
    cJSON *now, *before;
    int64_t now_time, before_time;  //  The records' own times
    int64_t heard;                  //  When the last came, by our clock
} s_stats_t;

typedef struct {
    herd_topo_t *topo;
    const herd_monitor_options_t *options;
    FILE *out;
    s_event_t *events;  //  Held for the window
    size_t count, capacity;
    int width;      //  Of the longest node name
    s_hop_t *hops;  //  Follow mode: a ring of S_HOPS
    size_t hop_next;
    s_stats_t *stats;  //  Stats mode: one per node of the topology
} s_monitor_t;

static bool
s_listed (const char *const *list, const char *text, size_t size)
{
    if (!list)
        return true;
    for (size_t i = 0; list[i]; i++)
        if (strlen (list[i]) == size && memcmp (list[i], text, size) == 0)
            return true;
    return false;
}

//  The key of a hop, or false if it would not fit (names longer than a
//  node's, from a tap that is no node's).
static bool
s_hop_key (char *key, const char *originator, const char *seq, const char *node)
{
    int size =
        snprintf (key, S_HOP_KEY_SIZE, "%s %s %s", originator, seq, node);
    return size >= 0 && size < S_HOP_KEY_SIZE;
}

//  When node took the update, or 0 if not seen.  O(S_HOPS), newest first:
//  follow mode sees one client's updates only.
static int64_t
s_hop_time (s_monitor_t *self,
            const char *originator,
            const char *seq,
            const char *node)
{
    char key[S_HOP_KEY_SIZE];
    if (!s_hop_key (key, originator, seq, node))
        return 0;
    for (size_t i = 1; i <= S_HOPS; i++) {
        s_hop_t *hop = &self->hops[(self->hop_next + S_HOPS - i) % S_HOPS];
        if (hop->time && streq (hop->key, key))
            return hop->time;
    }
    return 0;
}

static bool
s_is (herd_span_t word, const char *text)
{
    return word.size == strlen (text)
           && memcmp (word.data, text, word.size) == 0;
}

//  Does this record concern the followed client?  One that names a client
//  (client=: updates, Places calls, and lines and replies where the node
//  names it) does iff that is the id.  One that does not (a line or reply)
//  does iff its payload is a client line naming it, or a reply whose first
//  line is an AT line naming it: herd_msg reads them.
static bool
s_follows (const char *client, const char *record, size_t size)
{
    char *value;
    size_t value_size;
    if (herd_record_field (record, size, "client", &value, &value_size)) {
        herd_span_t id = {value, value_size};
        bool same = s_is (id, client);
        free (value);
        return same;
    }
    if (!herd_record_field (record, size, "data", &value, &value_size))
        return false;
    //  A client line names its client even when it is invalid
    herd_msg_t msg;
    herd_msg_parse_client (&msg, value, value_size, NULL);
    const char *lf = (const char *) memchr (value, '\n', value_size);
    size_t line = lf ? (size_t) (lf - value) : value_size;
    bool named = msg.client_id.size > 0
                     ? s_is (msg.client_id, client)
                     : herd_msg_parse_at (&msg, value, line, NULL) == 0
                           && s_is (msg.client_id, client);
    free (value);
    return named;
}

static void
s_print (s_monitor_t *self, s_event_t *event)
{
    const char *record = event->record;
    size_t size = event->size;
    if (self->options->json) {
        char *json = herd_record_json (record, size);
        fprintf (self->out, "%s\n", json);
        free (json);
        return;
    }
    //  "HH:MM:SS.uuuuuu  NODE  LEVEL  EVENT..."
    size_t at = 0;
    herd_span_t time = {"", 0}, node = {"", 0}, level = {"", 0};
    herd_record_word (record, size, &at, &time);
    herd_record_word (record, size, &at, &node);
    herd_record_word (record, size, &at, &level);
    while (at < size && record[at] == ' ')
        at++;
    //  Follow mode: how long the hop from the sender took, and since the
    //  originator took it
    char hop[96] = "";
    if (self->options->follow) {
        cJSON *root = (cJSON *) herd_record_parse (record, size);
        const char *from = s_field (root, "from");
        const char *originator = s_field (root, "originator");
        const char *seq = s_field (root, "seq");
        int64_t sent = *from ? s_hop_time (self, originator, seq, from) : 0;
        int64_t first =
            *from ? s_hop_time (self, originator, seq, originator) : 0;
        if (sent)
            snprintf (hop, sizeof (hop), "  (hop %.3f ms, %.3f ms since %s)",
                      (double) (event->time - sent) / 1000,
                      (double) (event->time - first) / 1000, originator);
        cJSON_Delete (root);
    }
    //  "HH:MM:SS.uuuuuu" of "2026-11-23THH:MM:SS.uuuuuuZ"
    herd_span_t clock = {"", 0};
    if (time.size > 11)
        clock = (herd_span_t){time.data + 11,
                              time.size - 11 < 15 ? time.size - 11 : 15};
    const char *level_colour = s_is (level, "error")     ? "31"
                               : s_is (level, "warning") ? "33"
                                                         : "0";
    if (self->options->colour) {
        static const char *colours[] = {"36", "32", "35", "34", "33", "96"};
        fprintf (self->out,
                 "%.*s  \033[%sm%-*.*s\033[0m  \033[%sm%-7.*s\033[0m  %s%s\n",
                 (int) clock.size, clock.data, colours[event->node % 6],
                 self->width, (int) node.size, node.data, level_colour,
                 (int) level.size, level.data, record + at, hop);
    } else
        fprintf (self->out, "%.*s  %-*.*s  %-7.*s  %s%s\n", (int) clock.size,
                 clock.data, self->width, (int) node.size, node.data,
                 (int) level.size, level.data, record + at, hop);
}

//  Print, in time order, every event older than until.
static void
s_drain (s_monitor_t *self, int64_t until)
{
    if (self->count == 0)
        return;  //  (qsort must not be given a NULL array)
    qsort (self->events, self->count, sizeof (s_event_t), s_compare);
    size_t printed = 0;
    while (printed < self->count && self->events[printed].time < until) {
        s_print (self, &self->events[printed]);
        free (self->events[printed].record);
        printed++;
    }
    memmove (self->events, self->events + printed,
             (self->count - printed) * sizeof (s_event_t));
    self->count -= printed;
    if (printed)
        fflush (self->out);
}

//  A per-second rate of a counter between a node's last two stats
//  records, or "-".
static void
s_rate (char *out, size_t room, const s_stats_t *stats, const char *name)
{
    double seconds = (double) (stats->now_time - stats->before_time) / 1e6;
    if (!stats->before || seconds <= 0) {
        snprintf (out, room, "-");
        return;
    }
    double now = atof (s_field (stats->now, name));
    double before = atof (s_field (stats->before, name));
    snprintf (out, room, "%.0f", (now - before) / seconds);
}

//  The live table: one row per node from its last stats records.
static void
s_print_stats (s_monitor_t *self)
{
    if (self->options->colour)
        fprintf (self->out, "\033[H\033[J");
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    fprintf (self->out,
             "herd stats %02d:%02d:%02d (per second over the last second)\n"
             "%-*s  %5s  %7s  %9s  %9s  %7s  %7s  %7s  %8s  %8s  %7s  %s\n",
             tm.tm_hour, tm.tm_min, tm.tm_sec, self->width, "node", "conns",
             "IAMAT", "WHATSAT", "invalid", "flood_in", "flood_out", "stale",
             "clients", "places50", "places99", "links");
    int64_t wall = zclock_time () * 1000;
    for (size_t i = 0; i < herd_topo_node_count (self->topo); i++) {
        const char *name = herd_topo_node_name (self->topo, i);
        s_stats_t *stats = &self->stats[i];
        if (!s_listed (self->options->nodes, name, strlen (name))
            || !*herd_topo_setting (self->topo, i, "tap"))
            continue;
        //  By our clock: the node's may be another host's
        if (!stats->now || wall - stats->heard > 3000000) {
            fprintf (self->out, "%-*s  (no stats: node down or not heard)\n",
                     self->width, name);
            continue;
        }
        char rates[6][32];
        const char *names[] = {"iamat",   "whatsat",  "invalid",
                               "herd_in", "herd_out", "stale"};
        for (int r = 0; r < 6; r++)
            s_rate (rates[r], sizeof (rates[r]), stats, names[r]);
        const char *p50 = s_field (stats->now, "places_p50_ms");
        const char *p99 = s_field (stats->now, "places_p99_ms");
        fprintf (self->out,
                 "%-*s  %5s  %7s  %9s  %9s  %7s  %7s  %7s  %8s  %8s  %7s  %s\n",
                 self->width, name, s_field (stats->now, "conns"), rates[0],
                 rates[1], rates[2], rates[3], rates[4], rates[5],
                 s_field (stats->now, "clients"), streq (p50, "-1") ? "-" : p50,
                 streq (p99, "-1") ? "-" : p99, s_field (stats->now, "links"));
    }
    fprintf (self->out, "\n");
    fflush (self->out);
}

//  One record from node's tap.
static void
s_take (s_monitor_t *self,
        size_t node,
        const char *kind,
        size_t kind_size,
        const char *text,
        size_t size)
{
    if (!s_listed (self->options->kinds, kind, kind_size))
        return;
    if (self->options->stats) {
        s_stats_t *stats = &self->stats[node];
        cJSON_Delete (stats->before);
        stats->before = stats->now;
        stats->before_time = stats->now_time;
        stats->now = (cJSON *) herd_record_parse (text, size);
        stats->now_time = herd_record_time (text, size);
        stats->heard = zclock_time () * 1000;
        return;
    }
    const char *client = self->options->client;
    if (client && !memmem (text, size, client, strlen (client)))
        return;
    int64_t time = herd_record_time (text, size);
    if (self->options->follow) {
        bool follows = s_follows (self->options->follow, text, size);
        if (!follows)
            return;
        //  Where each node stored the update (and sent it on from): a
        //  stale copy that came later is no hop
        cJSON *root = (cJSON *) herd_record_parse (text, size);
        cJSON *text_item = cJSON_GetObjectItemCaseSensitive (root, "text");
        bool stored = cJSON_IsString (text_item)
                      && strncmp (text_item->valuestring, "stored ", 7) == 0;
        char key[S_HOP_KEY_SIZE];
        cJSON *name = cJSON_GetObjectItemCaseSensitive (root, "node");
        if (stored && *s_field (root, "seq") && time >= 0
            && s_hop_key (key, s_field (root, "originator"),
                          s_field (root, "seq"),
                          cJSON_IsString (name) ? name->valuestring : "")) {
            s_hop_t *hop = &self->hops[self->hop_next++ % S_HOPS];
            memcpy (hop->key, key, sizeof (key));
            hop->time = time;
        }
        cJSON_Delete (root);
    }
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 256;
        self->events = (s_event_t *) realloc (
            self->events, self->capacity * sizeof (s_event_t));
        assert (self->events);
    }
    char *record = (char *) zmalloc (size + 1);
    memcpy (record, text, size);
    s_event_t event = {time, node, record, size};
    self->events[self->count++] = event;
}

//  Each message is a topic, "NODE KIND", and records joined by LF.
static void
s_receive (s_monitor_t *self, zsock_t *sub)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (sub))) {
        zframe_t *topic = zmsg_first (msg);
        zframe_t *body = zmsg_next (msg);
        if (topic && body) {
            const char *text = (const char *) zframe_data (topic);
            size_t size = zframe_size (topic);
            const char *space = (const char *) memchr (text, ' ', size);
            size_t name_size = space ? (size_t) (space - text) : size;
            const char *kind = space ? space + 1 : "";
            size_t kind_size = space ? size - name_size - 1 : 0;
            char name[HERD_WIRE_NAME_MAX + 1];
            snprintf (name, sizeof (name), "%.*s", (int) name_size, text);
            int node = herd_topo_node_index (self->topo, name);
            const char *record = (const char *) zframe_data (body);
            const char *end = record + zframe_size (body);
            while (node >= 0 && record < end) {
                const char *lf = (const char *) memchr (
                    record, '\n', (size_t) (end - record));
                const char *stop = lf ? lf : end;
                s_take (self, (size_t) node, kind, kind_size, record,
                        (size_t) (stop - record));
                record = stop + 1;
            }
        }
        zmsg_destroy (&msg);
    }
}

//  What to subscribe to on every node watched: everything, or the kinds
//  the mode needs.
static void
s_subscribe (zsock_t *sub,
             const char *name,
             const herd_monitor_options_t *options)
{
    const char *follow[] = {"in", "out", "update", "places", NULL};
    const char *stats[] = {"stats", NULL};
    const char *const *kinds = options->stats    ? stats
                               : options->follow ? follow
                                                 : options->kinds;
    if (!kinds) {
        char *topic = herd_str_printf ("%s ", name);
        zsock_set_subscribe (sub, topic);
        free (topic);
        return;
    }
    for (size_t k = 0; kinds[k]; k++) {
        //  "NODE KIND" would also take kinds that start with KIND: s_take
        //  checks the kind again
        char *topic = herd_str_printf ("%s %s", name, kinds[k]);
        zsock_set_subscribe (sub, topic);
        free (topic);
    }
}

int
herd_monitor_run (herd_topo_t *topo,
                  const herd_monitor_options_t *options,
                  FILE *out)
{
    s_monitor_t self = {topo, options, out, NULL, 0, 0, 4, NULL, 0, NULL};
    if (options->follow)
        self.hops = (s_hop_t *) zmalloc (S_HOPS * sizeof (s_hop_t));
    if (options->stats)
        self.stats = (s_stats_t *) zmalloc (herd_topo_node_count (topo)
                                            * sizeof (s_stats_t));
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert (sub);
    zsock_set_rcvhwm (sub, 100000);
    size_t taps = 0;
    for (size_t i = 0; i < herd_topo_node_count (topo); i++) {
        const char *name = herd_topo_node_name (topo, i);
        const char *tap = herd_topo_setting (topo, i, "tap");
        if (!*tap || !s_listed (options->nodes, name, strlen (name)))
            continue;
        if (zsock_connect (sub, "%s", tap) == 0) {
            taps++;
            if ((int) strlen (name) > self.width)
                self.width = (int) strlen (name);
            s_subscribe (sub, name, options);
        }
    }
    int status = 0;
    if (taps == 0) {
        fprintf (stderr, "herd: no node to monitor has a tap (set tap = "
                         "tcp://HOST:PORT in the topology)\n");
        status = 1;
    } else {
        fprintf (stderr, "herd: monitor ready (%zu tap%s)\n", taps,
                 taps == 1 ? "" : "s");
        int signal_fd = herd_signals_open (false);
        int64_t stop_at = options->duration_ms > 0
                              ? zclock_mono () + options->duration_ms
                              : INT64_MAX;
        int64_t table_at = zclock_mono () + 1000;
        while (zclock_mono () < stop_at) {
            zmq_pollitem_t items[] = {{zsock_resolve (sub), 0, ZMQ_POLLIN, 0},
                                      {NULL, signal_fd, ZMQ_POLLIN, 0}};
            if (zmq_poll (items, 2, 20) == -1 && errno != EINTR)
                break;
            if (items[1].revents & ZMQ_POLLIN)
                break;
            s_receive (&self, sub);
            if (options->stats && zclock_mono () >= table_at) {
                s_print_stats (&self);
                table_at += 1000;
            } else
                s_drain (&self, zclock_time () * 1000 - S_WINDOW_US);
        }
        s_receive (&self, sub);
        s_drain (&self, INT64_MAX);
        if (signal_fd != -1)
            close (signal_fd);
    }
    for (size_t i = 0; self.stats && i < herd_topo_node_count (topo); i++) {
        cJSON_Delete (self.stats[i].now);
        cJSON_Delete (self.stats[i].before);
    }
    free (self.stats);
    free (self.hops);
    free (self.events);
    zsock_destroy (&sub);
    return status;
}
