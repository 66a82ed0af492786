/*  herd_monitor - every node's tap in one timeline  */

#include "herd_monitor.h"

#include <cJSON.h>
#include <czmq.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>

//  Events are held this long before they are printed, so that events from
//  several nodes come out in time order.
#define S_WINDOW_US 100000

typedef struct {
    int64_t time;  //  Microseconds since the epoch, from the record
    size_t node;   //  Index of the node in the topology
    char *record;
} s_event_t;

//  "2026-11-23T10:24:33.123456Z ..." as microseconds, or 0.
static int64_t
s_time (const char *record)
{
    struct tm tm = {0};
    long micros = 0;
    if (sscanf (record, "%d-%d-%dT%d:%d:%d.%6ldZ", &tm.tm_year, &tm.tm_mon,
                &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros)
        != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm (&tm) * 1000000 + micros;
}

//  The next word of text at *at (a quoted string kept whole, escapes and
//  all), or NULL at the end.  Caller frees it.
static char *
s_word (const char *text, size_t size, size_t *at)
{
    while (*at < size && text[*at] == ' ')
        (*at)++;
    if (*at >= size)
        return NULL;
    size_t start = *at;
    bool quoted = false;
    while (*at < size && (quoted || text[*at] != ' ')) {
        if (text[*at] == '"')
            quoted = !quoted;
        else if (text[*at] == '\\' && *at + 1 < size)
            (*at)++;
        (*at)++;
    }
    return strndup (text + start, *at - start);
}

//  A quoted log payload back to its bytes (\" \\ \n \r \t \xNN).
static char *
s_unquote (const char *word)
{
    size_t size = strlen (word);
    size_t end = size >= 2 && word[size - 1] == '"' ? size - 1 : size;
    char *out = (char *) zmalloc (size + 1);
    size_t o = 0;
    for (size_t i = 1; i < end; i++) {
        char c = word[i];
        if (c == '\\' && i + 1 < end) {
            char e = word[++i];
            if (e == 'n')
                c = '\n';
            else if (e == 'r')
                c = '\r';
            else if (e == 't')
                c = '\t';
            else if (e == 'x' && i + 2 < end) {
                char hex[3] = {word[i + 1], word[i + 2], 0};
                c = (char) strtol (hex, NULL, 16);
                i += 2;
            } else
                c = e;
        }
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

char *
herd_monitor_json (const char *record, size_t size)
{
    size_t at = 0;
    char *time = s_word (record, size, &at);
    char *node = s_word (record, size, &at);
    char *level = s_word (record, size, &at);
    char *event = s_word (record, size, &at);
    while (at < size && record[at] == ' ')
        at++;
    cJSON *root = cJSON_CreateObject ();
    cJSON_AddStringToObject (root, "time", time ? time : "");
    cJSON_AddStringToObject (root, "node", node ? node : "");
    cJSON_AddStringToObject (root, "level", level ? level : "");
    cJSON_AddStringToObject (root, "event", event ? event : "");
    char *text = strndup (record + at, size - at);
    cJSON_AddStringToObject (root, "text", text);
    free (text);
    //  key=value words become fields; a quoted word alone is the data
    cJSON *fields = cJSON_AddObjectToObject (root, "fields");
    char *word;
    while ((word = s_word (record, size, &at))) {
        char *equals = strchr (word, '=');
        if (word[0] == '"') {
            char *data = s_unquote (word);
            cJSON_AddStringToObject (fields, "data", data);
            free (data);
        } else if (equals && equals != word) {
            *equals = 0;
            cJSON_AddStringToObject (fields, word, equals + 1);
        }
        free (word);
    }
    char *json = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    free (time);
    free (node);
    free (level);
    free (event);
    return json;
}

static int
s_compare (const void *a, const void *b)
{
    const s_event_t *x = (const s_event_t *) a, *y = (const s_event_t *) b;
    return (x->time > y->time) - (x->time < y->time);
}

typedef struct {
    herd_topo_t *topo;
    const herd_monitor_options_t *options;
    FILE *out;
    s_event_t *events;  //  Held for the window
    size_t count, capacity;
    int width;  //  Of the longest node name
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

static void
s_print (s_monitor_t *self, s_event_t *event)
{
    const char *record = event->record;
    size_t size = strlen (record);
    if (self->options->json) {
        char *json = herd_monitor_json (record, size);
        fprintf (self->out, "%s\n", json);
        free (json);
        return;
    }
    //  "HH:MM:SS.uuuuuu  NODE  LEVEL  EVENT..."
    size_t at = 0;
    char *time = s_word (record, size, &at);
    char *node = s_word (record, size, &at);
    char *level = s_word (record, size, &at);
    while (at < size && record[at] == ' ')
        at++;
    const char *clock = time && strlen (time) > 11 ? time + 11 : "";
    static const char *colours[] = {"36", "32", "35", "34", "33", "96"};
    const char *level_colour = streq (level ? level : "", "error")     ? "31"
                               : streq (level ? level : "", "warning") ? "33"
                                                                       : "0";
    if (self->options->colour)
        fprintf (self->out,
                 "%.15s  \033[%sm%-*s\033[0m  \033[%sm%-7s\033[0m  %s\n", clock,
                 colours[event->node % 6], self->width, node ? node : "",
                 level_colour, level ? level : "", record + at);
    else
        fprintf (self->out, "%.15s  %-*s  %-7s  %s\n", clock, self->width,
                 node ? node : "", level ? level : "", record + at);
    free (time);
    free (node);
    free (level);
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

static void
s_receive (s_monitor_t *self, zsock_t *sub)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (sub))) {
        zframe_t *topic = zmsg_first (msg);
        zframe_t *record = zmsg_next (msg);
        if (topic && record) {
            //  Topic: "NODE KIND"
            const char *text = (const char *) zframe_data (topic);
            size_t size = zframe_size (topic);
            const char *space = (const char *) memchr (text, ' ', size);
            size_t name_size = space ? (size_t) (space - text) : size;
            const char *kind = space ? space + 1 : "";
            size_t kind_size = space ? size - name_size - 1 : 0;
            char *line = strndup ((const char *) zframe_data (record),
                                  zframe_size (record));
            const char *client = self->options->client;
            if (s_listed (self->options->kinds, kind, kind_size)
                && (!client || strstr (line, client))) {
                char name[HERD_TOPO_NODES_MAX];
                snprintf (name, sizeof (name), "%.*s", (int) name_size, text);
                int node = herd_topo_node_index (self->topo, name);
                if (self->count == self->capacity) {
                    self->capacity = self->capacity ? self->capacity * 2 : 256;
                    self->events = (s_event_t *) realloc (
                        self->events, self->capacity * sizeof (s_event_t));
                    assert (self->events);
                }
                s_event_t event = {s_time (line), node < 0 ? 0 : (size_t) node,
                                   line};
                self->events[self->count++] = event;
                line = NULL;
            }
            free (line);
        }
        zmsg_destroy (&msg);
    }
}

int
herd_monitor_run (herd_topo_t *topo,
                  const herd_monitor_options_t *options,
                  FILE *out)
{
    s_monitor_t self = {topo, options, out, NULL, 0, 0, 4};
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
            if (options->nodes) {
                char *topic = zsys_sprintf ("%s ", name);
                zsock_set_subscribe (sub, topic);
                free (topic);
            }
        }
    }
    if (taps == 0) {
        fprintf (stderr, "herd: no node to monitor has a tap (set tap = "
                         "tcp://HOST:PORT in the topology)\n");
        zsock_destroy (&sub);
        return 1;
    }
    if (!options->nodes)
        zsock_set_subscribe (sub, "");
    fprintf (stderr, "herd: monitor ready (%zu taps)\n", taps);
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    int signal_fd = signalfd (-1, &set, SFD_CLOEXEC);
    int64_t stop_at = options->duration_ms > 0
                          ? zclock_mono () + options->duration_ms
                          : INT64_MAX;
    while (zclock_mono () < stop_at) {
        zmq_pollitem_t items[] = {{zsock_resolve (sub), 0, ZMQ_POLLIN, 0},
                                  {NULL, signal_fd, ZMQ_POLLIN, 0}};
        if (zmq_poll (items, 2, 20) == -1 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN)
            break;
        s_receive (&self, sub);
        s_drain (&self, zclock_time () * 1000 - S_WINDOW_US);
    }
    s_receive (&self, sub);
    s_drain (&self, INT64_MAX);
    free (self.events);
    close (signal_fd);
    zsock_destroy (&sub);
    return 0;
}
