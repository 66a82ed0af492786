/*  herd_bench_flood - what an update costs as the herd grows, under
    `broadcast = flood` and `broadcast = tree` (issue 19)

    Generated rings, random 4-regular herds and stars, each started once
    per mode on the same links.  A warm-up of IAMATs at every origin of
    what follows, in turn, lets each originator's tree form; then two
    measured phases: IAMATs at one node (a leaf of the star), then at
    several origins in turn.  For each phase:
    full AT deliveries per update against the least, N - 1, and updates
    some node never stored (the nodes' logs, read as they grow); IHAVE
    messages and bytes, PRUNEs and GRAFTs sent (the nodes' metrics pages);
    propagation to the farthest node from the origin (log timestamps: one
    machine, one clock); and the CPU time of every node over the phase
    (/proc).  */

#include "herd_bench.h"

#include <czmq.h>
#include <poll.h>
#include <sys/inotify.h>

#define S_RATE        200    //  IAMATs per second in every phase
#define S_ORIGINS_MAX 5      //  Origins taking turns (one more in warm-up)
#define S_QUIET_MS    50     //  A phase ends when its logs are this quiet
#define S_DEADLINE_MS 10000  //  ... or this long after its last IAMAT
#define S_IDLE_MS     500    //  The idle herd's CPU is measured this long

//  The broadcast tree's messages, as the metrics label them.
typedef enum { S_IHAVE, S_PRUNE, S_GRAFT, S_TREE_COMMANDS } s_tree_command_t;

static const char *s_tree_labels[S_TREE_COMMANDS] = {
    "command=\"IHAVE\"", "command=\"PRUNE\"", "command=\"GRAFT\""};

//  What the herd has sent and spent so far, from every node.
typedef struct {
    double messages[S_TREE_COMMANDS];  //  Tree messages sent
    double bytes[S_TREE_COMMANDS];     //  Their bytes, every frame
    double ids[S_TREE_COMMANDS];       //  Updates they named
    double grafts_missed;              //  Asked for but no longer kept
    double grafts_given_up;            //  Announced, asked for, never received
    size_t pages_missing;              //  Metrics pages that could not be read
    int64_t cpu_stat_us;  //  utime + stime, /proc/PID/stat (10 ms ticks)
    int64_t cpu_run_us;   //  The same from the threads' run time
} s_counters_t;

//  One phase of IAMATs, and what it cost.
typedef struct {
    const char *name;                   //  "warm-up", "one origin", "rotating"
    char prefix;                        //  Its client ids begin with it
    size_t origins[S_ORIGINS_MAX + 1];  //  The nodes the IAMATs go to in turn
    size_t origin_count;                //  How many
    int hops;                           //  Farthest node from an origin, most
    uint64_t replies;                   //  IAMATs answered without error
    size_t own[HERD_BENCH_NODES_MAX];   //  Stored from a client there
    size_t stored[HERD_BENCH_NODES_MAX];  //  Taken from a neighbour, stored
    size_t updates;                       //  Stored at their origins, in all
    size_t deliveries;                    //  Full ATs taken: stored or stale
    size_t missing;                       //  Node and update, never stored
    size_t prunes_logged;                 //  "tree prune to=" records
    size_t grafts_logged;                 //  "tree graft asked=" records
    int64_t last_record;                  //  When the last such record was read
    bool complete;                        //  Every node stored every update
    s_counters_t before, after;           //  Around the phase
    int64_t window_us;                    //  Between the two CPU readings
    double idle_us;                       //  The idle herd's CPU in as long
    size_t samples;                       //  Propagation samples
    int64_t p50_us, p99_us, max_us;       //  Origin to its farthest node
} s_phase_t;

//  A log being followed during a phase.
typedef struct {
    s_phase_t *phase;
    size_t node;
    herd_bench_tail_t tail;
} s_reader_t;

//  Nodes N00, N01 ... and the links of shape into herd (empty), random
//  ones drawn with seed (which goes on).
static void
s_generate (herd_bench_herd_t *herd,
            const char *shape,
            size_t nodes,
            unsigned *seed)
{
    for (size_t i = 0; i < nodes; i++) {
        char name[32];
        snprintf (name, sizeof (name), "N%02zu", i);
        herd_bench_herd_add (herd, name);
    }
    if (streq (shape, "ring"))
        for (size_t i = 0; i < nodes; i++)
            herd_bench_herd_link (herd, i, (i + 1) % nodes);
    else if (streq (shape, "star"))
        for (size_t i = 1; i < nodes; i++)
            herd_bench_herd_link (herd, 0, i);
    else {
        //  Random 4-regular: a ring for connectedness, then random chords
        //  between nodes of degree < 4 until none can be added
        for (size_t i = 0; i < nodes; i++)
            herd_bench_herd_link (herd, i, (i + 1) % nodes);
        for (int tries = 0; tries < 100000; tries++) {
            size_t a = (size_t) rand_r (seed) % nodes;
            size_t b = (size_t) rand_r (seed) % nodes;
            if (a != b && herd->degrees[a] < 4 && herd->degrees[b] < 4
                && !herd_bench_herd_linked (herd, a, b))
                herd_bench_herd_link (herd, a, b);
        }
    }
}

//  The CPU time of every node so far.
static void
s_cpu_read (herd_bench_herd_t *herd, s_counters_t *counters)
{
    counters->cpu_stat_us = counters->cpu_run_us = 0;
    for (size_t i = 0; i < herd->count; i++) {
        counters->cpu_stat_us += herd_bench_cpu_stat_us (herd->pids[i]);
        counters->cpu_run_us += herd_bench_cpu_run_us (herd->pids[i]);
    }
}

//  The tree's counters of every node so far, from their metrics pages
//  (O(nodes) HTTP requests: read outside the CPU window).
static void
s_metrics_read (herd_bench_herd_t *herd, s_counters_t *counters)
{
    for (size_t i = 0; i < herd->count; i++) {
        char *page = herd_bench_metrics_page (herd->metrics[i]);
        if (!page) {
            counters->pages_missing++;
            continue;
        }
        for (int c = 0; c < S_TREE_COMMANDS; c++) {
            counters->messages[c] += herd_bench_metric (
                page, "herd_tree_messages_sent_total", s_tree_labels[c]);
            counters->bytes[c] += herd_bench_metric (
                page, "herd_tree_bytes_sent_total", s_tree_labels[c]);
            counters->ids[c] += herd_bench_metric (
                page, "herd_tree_ids_sent_total", s_tree_labels[c]);
        }
        counters->grafts_missed +=
            herd_bench_metric (page, "herd_tree_grafts_missed_total", NULL);
        counters->grafts_given_up +=
            herd_bench_metric (page, "herd_tree_grafts_given_up_total", NULL);
        free (page);
    }
}

//  One record of a node's log during a phase (proto/monitor.md): an
//  update of the phase's clients stored at its origin ("update stored
//  originator="), or taken from a neighbour ("update stored|stale from="),
//  or a tree record.
static void
s_on_line (void *arg, const char *line)
{
    s_reader_t *reader = (s_reader_t *) arg;
    s_phase_t *phase = reader->phase;
    //  Client ids are logged quoted: client="s0-12"
    const char *client = strstr (line, " client=\"");
    bool ours = client && client[9] == phase->prefix;
    if (strstr (line, " tree prune to="))
        phase->prunes_logged++;
    else if (strstr (line, " tree graft asked="))
        phase->grafts_logged++;
    else if (!ours)
        return;
    else if (strstr (line, " update stored originator="))
        phase->own[reader->node]++;
    else if (strstr (line, " update stored from=")) {
        phase->stored[reader->node]++;
        phase->deliveries++;
    } else if (strstr (line, " update stale from="))
        phase->deliveries++;
    else
        return;
    phase->last_record = herd_bench_now_us ();
}

//  Whether every node holds every update of the phase: all stored at
//  their origins, and each stored by every other node.
static bool
s_phase_done (herd_bench_herd_t *herd, s_phase_t *phase)
{
    size_t updates = 0;
    for (size_t i = 0; i < herd->count; i++)
        updates += phase->own[i];
    if (updates < phase->replies)
        return false;
    for (size_t i = 0; i < herd->count; i++)
        if (phase->stored[i] < updates - phase->own[i])
            return false;
    return true;
}

//  Follow every log from the end of the load until every node holds every
//  update and no delivery or tree record has come for S_QUIET_MS, or for
//  S_DEADLINE_MS.  Waits on the logs' growth (inotify), not on a clock.
static void
s_phase_follow (herd_bench_herd_t *herd,
                s_phase_t *phase,
                s_reader_t *readers,
                int watch)
{
    int64_t deadline = herd_bench_now_us () + S_DEADLINE_MS * 1000;
    phase->last_record = herd_bench_now_us ();
    while (true) {
        char events[4096];
        while (read (watch, events, sizeof (events)) > 0)
            ;  //  Drained: the logs are read whole below
        for (size_t i = 0; i < herd->count; i++)
            herd_bench_tail_read (&readers[i].tail, s_on_line, &readers[i]);
        int64_t now = herd_bench_now_us ();
        phase->complete = phase->complete || s_phase_done (herd, phase);
        int64_t quiet_at = phase->last_record + S_QUIET_MS * 1000;
        if ((phase->complete && now >= quiet_at) || now >= deadline)
            break;
        int64_t until =
            phase->complete && quiet_at < deadline ? quiet_at : deadline;
        struct pollfd item = {.fd = watch, .events = POLLIN};
        poll (&item, 1, (int) ((until - now) / 1000) + 1);
    }
}

//  Propagation: from each origin storing an update of the phase to the
//  farthest node from it taking it, pooled over the origins.
static void
s_phase_spread (herd_bench_herd_t *herd, s_phase_t *phase)
{
    herd_bench_values_t delays = {0};
    char also[16];
    snprintf (also, sizeof (also), " client=\"%c", phase->prefix);
    for (size_t o = 0; o < phase->origin_count; o++) {
        size_t origin = phase->origins[o];
        int hops;
        size_t farthest = herd_bench_herd_farthest (herd, origin, &hops);
        if (hops > phase->hops)
            phase->hops = hops;
        char *origin_log = herd_bench_herd_log (herd, origin);
        char *far_log = herd_bench_herd_log (herd, farthest);
        char *stored = zsys_sprintf ("update stored originator=%s seq=",
                                     herd->names[origin]);
        char *taken = zsys_sprintf ("originator=%s seq=", herd->names[origin]);
        size_t sent_size, got_size;
        int64_t *sent =
            herd_bench_log_seq_times (origin_log, stored, also, &sent_size);
        int64_t *got =
            herd_bench_log_seq_times (far_log, taken, also, &got_size);
        for (size_t n = 0; n < sent_size && n < got_size; n++)
            if (sent[n] >= 0 && got[n] >= 0)
                herd_bench_values_add (&delays, got[n] - sent[n]);
        free (sent);
        free (got);
        free (stored);
        free (taken);
        free (origin_log);
        free (far_log);
    }
    herd_bench_values_sort (&delays);
    phase->samples = delays.size;
    phase->p50_us = herd_bench_percentile (delays.data, delays.size, 50);
    phase->p99_us = herd_bench_percentile (delays.data, delays.size, 99);
    phase->max_us = delays.size ? delays.data[delays.size - 1] : 0;
    free (delays.data);
}

//  IAMATs at S_RATE for duration_ms at the phase's origins in turn (one
//  connection to each, paced one after the other), then what they cost.
static void
s_phase_run (herd_bench_herd_t *herd, s_phase_t *phase, int64_t duration_ms)
{
    s_reader_t *readers =
        (s_reader_t *) calloc (herd->count, sizeof (s_reader_t));
    int watch = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    for (size_t i = 0; i < herd->count; i++) {
        char *log = herd_bench_herd_log (herd, i);
        readers[i].phase = phase;
        readers[i].node = i;
        herd_bench_tail_open (&readers[i].tail, log);
        inotify_add_watch (watch, log, IN_MODIFY);
        free (log);
    }
    s_metrics_read (herd, &phase->before);
    s_cpu_read (herd, &phase->before);
    phase->window_us = herd_bench_now_us ();
    uint16_t ports[S_ORIGINS_MAX + 1];
    for (size_t o = 0; o < phase->origin_count; o++)
        ports[o] = herd->ports[phase->origins[o]];
    char prefix[2] = {phase->prefix, 0};
    herd_bench_load_config_t config = {.ports = ports,
                                       .port_count = (int) phase->origin_count,
                                       .connections = (int) phase->origin_count,
                                       .depth = 1,
                                       .duration_ms = duration_ms,
                                       .rate = S_RATE,
                                       .protocol = &herd_bench_iamat,
                                       .prefix = prefix};
    herd_bench_load_result_t result;
    herd_bench_load_run (&config, &result);
    phase->replies = result.replies - result.errors;
    s_phase_follow (herd, phase, readers, watch);
    s_cpu_read (herd, &phase->after);
    phase->window_us = herd_bench_now_us () - phase->window_us;
    s_metrics_read (herd, &phase->after);
    for (size_t i = 0; i < herd->count; i++) {
        herd_bench_tail_close (&readers[i].tail);
        phase->updates += phase->own[i];
    }
    close (watch);
    free (readers);
    for (size_t i = 0; i < herd->count; i++) {
        size_t owed = phase->updates - phase->own[i];
        phase->missing += owed > phase->stored[i] ? owed - phase->stored[i] : 0;
    }
    s_phase_spread (herd, phase);
}

//  What a phase cost per update: after - before of a counter, divided.
static double
s_per_update (const s_phase_t *phase, double after, double before)
{
    return phase->updates ? (after - before) / (double) phase->updates : 0;
}

static cJSON *
s_phase_json (const s_phase_t *phase, size_t nodes)
{
    const s_counters_t *a = &phase->after, *b = &phase->before;
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddStringToObject (item, "phase", phase->name);
    cJSON *origins = cJSON_AddArrayToObject (item, "origins");
    for (size_t o = 0; o < phase->origin_count; o++)
        cJSON_AddItemToArray (origins,
                              cJSON_CreateNumber ((double) phase->origins[o]));
    cJSON_AddNumberToObject (item, "hops", phase->hops);
    cJSON_AddNumberToObject (item, "updates", (double) phase->updates);
    cJSON_AddNumberToObject (
        item, "deliveries_per_update",
        s_per_update (phase, (double) phase->deliveries, 0));
    cJSON_AddNumberToObject (item, "deliveries_over_minimum",
                             s_per_update (phase, (double) phase->deliveries, 0)
                                 / (double) (nodes - 1));
    cJSON_AddNumberToObject (item, "never_stored", (double) phase->missing);
    cJSON_AddBoolToObject (item, "complete", phase->complete);
    for (int c = 0; c < S_TREE_COMMANDS; c++) {
        cJSON *command =
            cJSON_AddObjectToObject (item, c == S_IHAVE   ? "ihave"
                                           : c == S_PRUNE ? "prune"
                                                          : "graft");
        cJSON_AddNumberToObject (command, "messages",
                                 a->messages[c] - b->messages[c]);
        cJSON_AddNumberToObject (command, "bytes", a->bytes[c] - b->bytes[c]);
        cJSON_AddNumberToObject (command, "ids", a->ids[c] - b->ids[c]);
        cJSON_AddNumberToObject (
            command, "messages_per_update",
            s_per_update (phase, a->messages[c], b->messages[c]));
        cJSON_AddNumberToObject (
            command, "bytes_per_update",
            s_per_update (phase, a->bytes[c], b->bytes[c]));
    }
    cJSON_AddNumberToObject (item, "prunes_logged",
                             (double) phase->prunes_logged);
    cJSON_AddNumberToObject (item, "grafts_logged",
                             (double) phase->grafts_logged);
    cJSON_AddNumberToObject (item, "grafts_missed",
                             a->grafts_missed - b->grafts_missed);
    cJSON_AddNumberToObject (item, "grafts_given_up",
                             a->grafts_given_up - b->grafts_given_up);
    cJSON_AddNumberToObject (item, "metrics_pages_missing",
                             (double) a->pages_missing);
    cJSON_AddNumberToObject (item, "samples", (double) phase->samples);
    cJSON_AddNumberToObject (item, "p50_us", (double) phase->p50_us);
    cJSON_AddNumberToObject (item, "p99_us", (double) phase->p99_us);
    cJSON_AddNumberToObject (item, "max_us", (double) phase->max_us);
    cJSON_AddNumberToObject (
        item, "cpu_us_per_update",
        s_per_update (phase, (double) a->cpu_run_us, (double) b->cpu_run_us));
    cJSON_AddNumberToObject (item, "cpu_window_us", (double) phase->window_us);
    cJSON_AddNumberToObject (item, "cpu_idle_us_per_update",
                             s_per_update (phase, phase->idle_us, 0));
    cJSON_AddNumberToObject (
        item, "cpu_stat_us_per_update",
        s_per_update (phase, (double) a->cpu_stat_us, (double) b->cpu_stat_us));
    return item;
}

static void
s_phase_print (const char *shape,
               herd_bench_herd_t *herd,
               size_t links,
               const char *mode,
               const s_phase_t *phase)
{
    const s_counters_t *a = &phase->after, *b = &phase->before;
    double deliveries = s_per_update (phase, (double) phase->deliveries, 0);
    char origins[32];
    if (phase->origin_count == 1)
        snprintf (origins, sizeof (origins), "1");
    else
        snprintf (origins, sizeof (origins), "%zu in turn",
                  phase->origin_count);
    printf (
        "| %s | %zu | %zu | %s | %s | %d | %zu | %.2f (%zu) | %.2f | %zu%s "
        "| %.2f | %.0f | %.0f | %.0f | %" PRId64 " us | %" PRId64
        " us | %.0f us (%.0f) |\n",
        shape, herd->count, links, mode, origins, phase->hops, phase->updates,
        deliveries, herd->count - 1, deliveries / (double) (herd->count - 1),
        phase->missing, phase->complete ? "" : " (gave up)",
        s_per_update (phase, a->messages[S_IHAVE], b->messages[S_IHAVE]),
        s_per_update (phase, a->bytes[S_IHAVE], b->bytes[S_IHAVE]),
        a->messages[S_PRUNE] - b->messages[S_PRUNE],
        a->messages[S_GRAFT] - b->messages[S_GRAFT], phase->p50_us,
        phase->p99_us,
        s_per_update (phase, (double) a->cpu_run_us, (double) b->cpu_run_us),
        s_per_update (phase, phase->idle_us, 0));
    fflush (stdout);
}

//  One generated herd in one mode: started, warmed up, idle, then the two
//  measured phases.  Its links are drawn with seed (which goes on).
static void
s_herd_run (cJSON *rows,
            const char *binary,
            const char *shape,
            size_t nodes,
            unsigned *seed,
            const char *mode,
            int64_t run_ms)
{
    herd_bench_herd_t *herd = herd_bench_herd_new (binary);
    s_generate (herd, shape, nodes, seed);
    size_t links = 0;
    for (size_t i = 0; i < herd->count; i++) {
        herd->metrics[i] = herd_bench_free_port ();
        links += herd->degrees[i];
    }
    links /= 2;
    cJSON *row = cJSON_CreateObject ();
    cJSON_AddStringToObject (row, "shape", shape);
    cJSON_AddNumberToObject (row, "nodes", (double) nodes);
    cJSON_AddNumberToObject (row, "links", (double) links);
    cJSON_AddStringToObject (row, "broadcast", mode);
    cJSON_AddItemToArray (rows, row);
    //  flood is the default: its herds say nothing, and so run on a node
    //  that does not know the setting
    char *settings = streq (mode, "flood")
                         ? NULL
                         : zsys_sprintf ("    broadcast = %s\n", mode);
    char reason[256];
    int rc =
        herd_bench_herd_try_start (herd, settings, reason, sizeof (reason));
    free (settings);
    if (rc) {
        printf ("| %s | %zu | %zu | %s | not run: %s |\n", shape, nodes, links,
                mode, reason);
        cJSON_AddStringToObject (row, "error", reason);
        herd_bench_herd_destroy (&herd);
        return;
    }
    //  Origins in turn: up to S_ORIGINS_MAX nodes evenly spread (the hub
    //  of the star among them); one origin: the last node, a leaf.  The
    //  warm-up takes turns over both: a tree node holds a tree for each
    //  originator, formed by its first updates (proto/herd.md, 3.2)
    s_phase_t phases[3] = {{.name = "warm-up", .prefix = 'w'},
                           {.name = "one origin", .prefix = 's'},
                           {.name = "rotating", .prefix = 'r'}};
    size_t count = S_ORIGINS_MAX;
    if (nodes < count)
        count = nodes;
    for (size_t o = 0; o < count; o++)
        phases[0].origins[o] = phases[2].origins[o] = o * nodes / count;
    phases[0].origin_count = phases[2].origin_count = count;
    if (phases[0].origins[count - 1] != nodes - 1)
        phases[0].origins[phases[0].origin_count++] = nodes - 1;
    phases[1].origins[0] = nodes - 1;
    phases[1].origin_count = 1;
    cJSON *items = cJSON_AddArrayToObject (row, "phases");
    s_phase_run (herd, &phases[0], run_ms / 2);
    //  What the herd costs doing nothing (heartbeats, timers) once warmed
    //  up: a measurement over a time, not a wait for something
    s_counters_t idle_before, idle_after;
    s_cpu_read (herd, &idle_before);
    usleep (S_IDLE_MS * 1000);
    s_cpu_read (herd, &idle_after);
    double idle = (double) (idle_after.cpu_run_us - idle_before.cpu_run_us)
                  / (S_IDLE_MS * 1000);
    cJSON_AddNumberToObject (row, "idle_cpu_percent", idle * 100);
    for (int p = 0; p < 3; p++) {
        if (p > 0)
            s_phase_run (herd, &phases[p], run_ms);
        phases[p].idle_us = idle * (double) phases[p].window_us;
        if (p > 0)
            s_phase_print (shape, herd, links, mode, &phases[p]);
        cJSON_AddItemToArray (items, s_phase_json (&phases[p], nodes));
    }
    herd_bench_herd_destroy (&herd);
}

void
herd_bench_section_flood (cJSON *report,
                          const char *binary,
                          int64_t run_ms,
                          bool big_herds)
{
    printf ("\n## Flood cost as the herd grows\n\n"
            "Generated topologies on this machine, each herd started once "
            "per broadcast mode; %d IAMATs/s, first %" PRId64
            " ms at the origins of both phases in turn (warm-up, not shown: "
            "each originator's tree forms), then %" PRId64
            " ms at one node (a leaf of the star), then %" PRId64
            " ms at %d origins in turn.  Deliveries: full ATs taken "
            "(`update stored|stale from=`); never stored: node and update "
            "pairs missing; IHAVE, PRUNE, GRAFT: messages sent (metrics); "
            "p50/p99: origin to its farthest node; CPU: every node's "
            "utime+stime over the phase (to the microsecond, from its "
            "threads' run time), and in brackets what the idle herd spent "
            "in as long.\n\n"
            "| shape | nodes | links | broadcast | origins | hops | updates | "
            "AT deliveries/update (N-1) | / (N-1) | never stored | "
            "IHAVE/update | IHAVE bytes/update | PRUNE | GRAFT | p50 | p99 | "
            "CPU/update (idle herd) |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---"
            "|---|\n",
            S_RATE, run_ms / 2, run_ms, run_ms, S_ORIGINS_MAX);
    cJSON *rows = cJSON_AddArrayToObject (report, "flood");
    const char *shapes[] = {"ring", "random-regular", "star"};
    const size_t sizes[] = {5, 20, 50};
    const char *modes[] = {"flood", "tree"};
    //  HERD_BENCH_FLOOD_ONLY=SHAPE:NODES (ring:20) runs that herd alone,
    //  on the links it has in a whole run (with HERD_BENCH_KEEP=1, to
    //  read its logs after)
    const char *only = getenv ("HERD_BENCH_FLOOD_ONLY");
    unsigned seed = 131;
    for (int z = 0; z < (big_herds || only ? 3 : 2); z++)
        for (int s = 0; s < 3; s++) {
            char name[64];
            snprintf (name, sizeof (name), "%s:%zu", shapes[s], sizes[z]);
            //  Both modes on the same links; the seed goes on as if one
            //  herd had been drawn
            unsigned next = seed;
            for (int m = 0; m < 2; m++) {
                next = seed;
                if (only && !streq (only, name)) {
                    //  Drawn all the same, on paper, for the seed
                    herd_bench_herd_t *paper = (herd_bench_herd_t *) calloc (
                        1, sizeof (herd_bench_herd_t));
                    s_generate (paper, shapes[s], sizes[z], &next);
                    free (paper);
                } else
                    s_herd_run (rows, binary, shapes[s], sizes[z], &next,
                                modes[m], run_ms);
            }
            seed = next;
        }
}
