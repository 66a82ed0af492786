/*  herd_bench_rivals - the bench's rivals section: a herd against what
    users would otherwise deploy so that any node can answer for any
    client, Redis with replicas and a NATS cluster, measured in one run

    Rates: 16 connections, depth 1, every system driven by the same load
    generator, the systems in turn, three rounds, the median round.
    Propagation, black-box for all three at a light pace: from the
    client's write until the far side holds the update (Redis: a GET
    polled at a replica returns it; NATS: the subscriber reads it; herd:
    the far node's `update stored` record, from its log).  */

#include "herd_bench.h"
#include "herd_bench_nats.h"
#include "herd_bench_redis.h"
#include "herd_log.h"

#include <czmq.h>
#include <poll.h>

#define S_CONNECTIONS 16
//  Propagation: samples a second, as the propagation section's light load
#define S_RATE 200
//  The herd's origin, as in the figures; its farthest nodes are
//  two hops away
#define S_ORIGIN "Clark"
//  The herd setting of the row that replies once the update is stored
#define S_STORE_SETTINGS "    reply_after = store\n"

//  A row of rates.
typedef struct {
    const char *name;  //  As printed
    const char *key;   //  In the JSON
    const herd_bench_protocol_t *protocol;
    const char *prefix;
    uint16_t port;  //  0: not measured
    char why[256];  //  Why not
    herd_bench_load_result_t runs[HERD_BENCH_ROUNDS];
    herd_bench_load_result_t median;
} s_row_t;

enum { S_FLOOR, S_REDIS_SET, S_REDIS_WAIT, S_HERD, S_HERD_STORE, S_ROWS };

//  A propagation path.
typedef struct {
    const char *name;
    const char *key;
    int hops;
    char node[64];  //  The node it ends at, if a herd's
    char why[256];  //  Why it was not measured, or stopped
    int rounds;     //  Rounds measured
    size_t samples[HERD_BENCH_ROUNDS];
    int64_t p50[HERD_BENCH_ROUNDS], p99[HERD_BENCH_ROUNDS];
    int64_t p50_us, p99_us;  //  Medians over the rounds
} s_path_t;

enum { S_REDIS_ONE, S_REDIS_TWO, S_NATS, S_HERD_NEAR, S_HERD_FAR, S_PATHS };

typedef struct {
    const char *binary;  //  The herd program
    int64_t run_ms;
    size_t samples;              //  Propagation samples per round
    char redis[256], nats[256];  //  The rivals' programs ("": none)
    s_row_t rows[S_ROWS];
    s_path_t paths[S_PATHS];
} s_rivals_t;

static herd_bench_herd_t *
s_herd (s_rivals_t *self, const char *settings, char *why, size_t size)
{
    herd_bench_herd_t *herd = herd_bench_herd_from_file (
        self->binary, "deploy/topologies/cs131-2022.zpl");
    if (herd_bench_herd_index (herd, S_ORIGIN) == herd->count) {
        snprintf (why, size, "cs131-2022 has no %s", S_ORIGIN);
        herd_bench_herd_destroy (&herd);
    } else if (herd_bench_herd_try_start (herd, settings, why, size))
        herd_bench_herd_destroy (&herd);
    return herd;
}

//  ---------------------------------------------------------------------
//  Rates

static void
s_rates (s_rivals_t *self)
{
    s_row_t *rows = self->rows;
    herd_bench_floor_t floor_server;
    herd_bench_floor_start (&floor_server);
    rows[S_FLOOR].port = floor_server.port;
    herd_bench_redis_t *redis = NULL;
    if (*self->redis) {
        redis = herd_bench_redis_new (self->redis, rows[S_REDIS_SET].why,
                                      sizeof (rows[S_REDIS_SET].why));
        if (redis)
            rows[S_REDIS_SET].port = rows[S_REDIS_WAIT].port =
                herd_bench_redis_port (redis, HERD_BENCH_REDIS_MASTER);
        snprintf (rows[S_REDIS_WAIT].why, sizeof (rows[S_REDIS_WAIT].why), "%s",
                  rows[S_REDIS_SET].why);
    }
    herd_bench_herd_t *herd =
        s_herd (self, NULL, rows[S_HERD].why, sizeof (rows[S_HERD].why));
    herd_bench_herd_t *store =
        s_herd (self, S_STORE_SETTINGS, rows[S_HERD_STORE].why,
                sizeof (rows[S_HERD_STORE].why));
    if (herd)
        rows[S_HERD].port = herd->ports[herd_bench_herd_index (herd, S_ORIGIN)];
    if (store)
        rows[S_HERD_STORE].port =
            store->ports[herd_bench_herd_index (store, S_ORIGIN)];
    //  The systems in turn, round after round: this VM's speed wanders
    for (int r = 0; r < HERD_BENCH_ROUNDS; r++)
        for (int i = 0; i < S_ROWS; i++)
            if (rows[i].port) {
                herd_bench_load_config_t config = {.port = rows[i].port,
                                                   .connections = S_CONNECTIONS,
                                                   .depth = 1,
                                                   .duration_ms = self->run_ms,
                                                   .protocol = rows[i].protocol,
                                                   .prefix = rows[i].prefix};
                herd_bench_load_run (&config, &rows[i].runs[r]);
            }
    for (int i = 0; i < S_ROWS; i++)
        if (rows[i].port)
            rows[i].median = herd_bench_median_run (rows[i].runs);
    herd_bench_herd_destroy (&store);
    herd_bench_herd_destroy (&herd);
    herd_bench_redis_destroy (&redis);
    herd_bench_floor_stop (&floor_server);
}

//  ---------------------------------------------------------------------
//  Propagation

//  Times from written[n] (CLOCK_REALTIME, us) to the first `update
//  stored` record at the node whose log is at path that names client
//  <needle>n, into into.
static void
s_herd_times (const char *path,
              const char *needle,
              const int64_t *written,
              size_t count,
              herd_bench_values_t *into)
{
    int64_t *stored = (int64_t *) malloc (count * sizeof (int64_t));
    for (size_t n = 0; n < count; n++)
        stored[n] = -1;
    FILE *file = fopen (path, "r");
    char line[4096];
    while (file && fgets (line, sizeof (line), file)) {
        const char *client = strstr (line, needle);
        if (!client || !strstr (line, " update stored from="))
            continue;
        size_t n = (size_t) strtoull (client + strlen (needle), NULL, 10);
        if (n < count && stored[n] == -1)
            stored[n] = herd_log_parse_time (line, strcspn (line, " "));
    }
    if (file)
        fclose (file);
    for (size_t n = 0; n < count; n++)
        if (stored[n] >= 0)
            herd_bench_values_add (into, stored[n] - written[n]);
    free (stored);
}

//  IAMATs paced at the origin on one connection, each for a client of
//  its own, each sent once the one before is answered; the times from
//  each write to its record at the nodes near and far.
static int
s_herd_probe (s_rivals_t *self,
              herd_bench_herd_t *herd,
              int round,
              herd_bench_values_t *near_times,
              herd_bench_values_t *far_times,
              char *why,
              size_t size)
{
    size_t origin = herd_bench_herd_index (herd, S_ORIGIN);
    int hops;
    size_t far = herd_bench_herd_farthest (herd, origin, &hops);
    size_t near = herd->neighbours[origin][0];
    int fd = herd_bench_connect (herd->ports[origin]);
    if (fd == -1) {
        snprintf (why, size, "cannot connect to %s", S_ORIGIN);
        return -1;
    }
    int64_t *written = (int64_t *) calloc (self->samples, sizeof (int64_t));
    int64_t start = herd_bench_now_us ();
    int rc = 0;
    for (size_t n = 0; n < self->samples && rc == 0; n++) {
        herd_bench_pace (start, n, S_RATE);
        char line[128];
        int64_t stamp = herd_bench_wall_us ();
        int length = snprintf (line, sizeof (line),
                               "IAMAT rv%d-%zu +34.068930-118.445127 %" PRId64
                               ".%06" PRId64 "\n",
                               round, n, stamp / 1000000, stamp % 1000000);
        written[n] = herd_bench_wall_us ();
        if (write (fd, line, (size_t) length) != length)
            rc = -1;
        //  The reply: one line
        char reply[512];
        bool whole = false;
        while (rc == 0 && !whole) {
            struct pollfd item = {fd, POLLIN, 0};
            ssize_t got = poll (&item, 1, 5000) == 1
                              ? read (fd, reply, sizeof (reply))
                              : -1;
            if (got <= 0)
                rc = -1;
            else
                whole = reply[got - 1] == '\n';
        }
    }
    close (fd);
    if (rc)
        snprintf (why, size, "no reply from %s", S_ORIGIN);
    char *needle = zsys_sprintf ("client=\"rv%d-", round);
    char *near_log = herd_bench_herd_log (herd, near);
    char *far_log = herd_bench_herd_log (herd, far);
    //  Until the farthest node has stored them all (or 5 s): its stale
    //  copies name the clients too, and must not end the wait early
    for (int i = 0;
         i < 500
         && herd_bench_file_count_stored (far_log, needle) < self->samples;
         i++)
        usleep (10000);
    s_herd_times (near_log, needle, written, self->samples, near_times);
    s_herd_times (far_log, needle, written, self->samples, far_times);
    self->paths[S_HERD_FAR].hops = hops;
    snprintf (self->paths[S_HERD_NEAR].node, sizeof (self->paths[0].node),
              " (%s)", herd->names[near]);
    snprintf (self->paths[S_HERD_FAR].node, sizeof (self->paths[0].node),
              " (%s)", herd->names[far]);
    free (needle);
    free (near_log);
    free (far_log);
    free (written);
    return rc;
}

//  One round's samples of path, in microseconds.
static void
s_path_add (s_path_t *path, int round, herd_bench_values_t *values)
{
    herd_bench_values_sort (values);
    path->samples[round] = values->size;
    path->p50[round] = herd_bench_percentile (values->data, values->size, 50);
    path->p99[round] = herd_bench_percentile (values->data, values->size, 99);
    path->rounds = round + 1;
    free (values->data);
    memset (values, 0, sizeof (*values));
}

//  The median of the rounds' values.
static int64_t
s_median (const int64_t *values, int count)
{
    int64_t sorted[HERD_BENCH_ROUNDS];
    memcpy (sorted, values, (size_t) count * sizeof (int64_t));
    qsort (sorted, (size_t) count, sizeof (int64_t), herd_bench_compare_i64);
    return sorted[count / 2];
}

static void
s_propagation (s_rivals_t *self)
{
    s_path_t *paths = self->paths;
    char why[256] = "";
    herd_bench_redis_t *redis =
        *self->redis ? herd_bench_redis_new (self->redis, why, sizeof (why))
                     : NULL;
    if (*self->redis && !redis)
        for (int i = S_REDIS_ONE; i <= S_REDIS_TWO; i++)
            snprintf (paths[i].why, sizeof (paths[i].why), "%s", why);
    herd_bench_nats_t *nats =
        *self->nats ? herd_bench_nats_new (self->nats, paths[S_NATS].why,
                                           sizeof (paths[S_NATS].why))
                    : NULL;
    herd_bench_herd_t *herd = s_herd (self, NULL, paths[S_HERD_NEAR].why,
                                      sizeof (paths[S_HERD_NEAR].why));
    if (!herd)
        snprintf (paths[S_HERD_FAR].why, sizeof (paths[S_HERD_FAR].why), "%s",
                  paths[S_HERD_NEAR].why);
    //  The systems in turn, round after round; a probe that fails ends
    //  that system's rounds (and says why)
    for (int r = 0; r < HERD_BENCH_ROUNDS; r++) {
        herd_bench_values_t one = {0}, two = {0};
        if (redis
            && herd_bench_redis_probe (redis, S_RATE, self->samples, &one, &two,
                                       why, sizeof (why))
                   == 0) {
            s_path_add (&paths[S_REDIS_ONE], r, &one);
            s_path_add (&paths[S_REDIS_TWO], r, &two);
        } else if (redis) {
            for (int i = S_REDIS_ONE; i <= S_REDIS_TWO; i++)
                snprintf (paths[i].why, sizeof (paths[i].why), "%s", why);
            herd_bench_redis_destroy (&redis);
        }
        free (one.data);
        free (two.data);
        memset (&one, 0, sizeof (one));
        if (nats
            && herd_bench_nats_probe (nats, S_RATE, self->samples, &one,
                                      paths[S_NATS].why,
                                      sizeof (paths[S_NATS].why))
                   == 0)
            s_path_add (&paths[S_NATS], r, &one);
        else
            herd_bench_nats_destroy (&nats);
        free (one.data);
        memset (&one, 0, sizeof (one));
        memset (&two, 0, sizeof (two));
        if (herd
            && s_herd_probe (self, herd, r, &one, &two, why, sizeof (why))
                   == 0) {
            s_path_add (&paths[S_HERD_NEAR], r, &one);
            s_path_add (&paths[S_HERD_FAR], r, &two);
        } else if (herd) {
            for (int i = S_HERD_NEAR; i <= S_HERD_FAR; i++)
                snprintf (paths[i].why, sizeof (paths[i].why), "%s", why);
            herd_bench_herd_destroy (&herd);
        }
        free (one.data);
        free (two.data);
    }
    for (int i = 0; i < S_PATHS; i++)
        if (paths[i].rounds) {
            paths[i].p50_us = s_median (paths[i].p50, paths[i].rounds);
            paths[i].p99_us = s_median (paths[i].p99, paths[i].rounds);
        }
    herd_bench_herd_destroy (&herd);
    herd_bench_nats_destroy (&nats);
    herd_bench_redis_destroy (&redis);
}

//  ---------------------------------------------------------------------
//  The report

static void
s_print_rates (s_rivals_t *self, cJSON *section)
{
    printf ("Rates, %d connections, depth 1 (each row: the median of %d "
            "runs, the systems in turn):\n\n"
            "| system | per second | p50 | p99 | errors | the %d runs "
            "(per second) |\n|---|---|---|---|---|---|\n",
            S_CONNECTIONS, HERD_BENCH_ROUNDS, HERD_BENCH_ROUNDS);
    cJSON *rows = cJSON_AddArrayToObject (section, "rates");
    for (int i = 0; i < S_ROWS; i++) {
        s_row_t *row = &self->rows[i];
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "system", row->key);
        cJSON_AddItemToArray (rows, item);
        if (!row->port) {
            printf ("| %s | - | - | - | - | not measured: %s |\n", row->name,
                    row->why);
            cJSON_AddStringToObject (item, "not_measured", row->why);
            continue;
        }
        const herd_bench_load_result_t *median = &row->median;
        printf ("| %s | %.0f | %" PRId64 " us | %" PRId64 " us | %" PRIu64
                " | ",
                row->name, median->rate, median->p50_us, median->p99_us,
                median->errors);
        cJSON *runs = cJSON_AddArrayToObject (item, "runs");
        for (int r = 0; r < HERD_BENCH_ROUNDS; r++) {
            printf ("%s%.0f", r ? ", " : "", row->runs[r].rate);
            cJSON_AddItemToArray (runs, herd_bench_load_json (&row->runs[r]));
        }
        printf (" |\n");
        cJSON_AddItemToObject (item, "median", herd_bench_load_json (median));
    }
}

static void
s_print_paths (s_rivals_t *self, cJSON *section)
{
    printf ("\nPropagation, %zu samples a round at %d/s, %d rounds in turn "
            "(the median of the rounds' p50s and of their p99s):\n\n"
            "| from the client's write to | hops | p50 | p99 | each round: "
            "samples p50/p99 us |\n|---|---|---|---|---|\n",
            self->samples, S_RATE, HERD_BENCH_ROUNDS);
    cJSON *paths = cJSON_AddArrayToObject (section, "propagation");
    for (int i = 0; i < S_PATHS; i++) {
        s_path_t *path = &self->paths[i];
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "path", path->key);
        cJSON_AddNumberToObject (item, "hops", path->hops);
        cJSON_AddItemToArray (paths, item);
        if (!path->rounds) {
            printf ("| %s%s | %d | - | - | not measured: %s |\n", path->name,
                    path->node, path->hops, path->why);
            cJSON_AddStringToObject (item, "not_measured", path->why);
            continue;
        }
        printf ("| %s%s | %d | %" PRId64 " us | %" PRId64 " us | ", path->name,
                path->node, path->hops, path->p50_us, path->p99_us);
        cJSON *rounds = cJSON_AddArrayToObject (item, "rounds");
        for (int r = 0; r < path->rounds; r++) {
            printf ("%s%zu %" PRId64 "/%" PRId64, r ? ", " : "",
                    path->samples[r], path->p50[r], path->p99[r]);
            cJSON *round = cJSON_CreateObject ();
            cJSON_AddNumberToObject (round, "samples",
                                     (double) path->samples[r]);
            cJSON_AddNumberToObject (round, "p50_us", (double) path->p50[r]);
            cJSON_AddNumberToObject (round, "p99_us", (double) path->p99[r]);
            cJSON_AddItemToArray (rounds, round);
        }
        printf ("%s%s |\n", *path->why ? "; then stopped: " : "", path->why);
        cJSON_AddNumberToObject (item, "p50_us", (double) path->p50_us);
        cJSON_AddNumberToObject (item, "p99_us", (double) path->p99_us);
    }
}

//  How a figure is held to its target.
typedef enum {
    S_AT_LEAST,  //  A ratio, target or more
    S_AT_MOST,   //  A ratio, target or less
    S_UNDER_US,  //  Microseconds, strictly under the target
} s_goal_t;

//  One figure against its target; not measured if a side of it was not.
static void
s_print_ratio (cJSON *ratios,
               const char *name,
               const char *key,
               bool measured,
               double value,
               double target,
               s_goal_t goal)
{
    bool met = goal == S_AT_LEAST  ? value >= target
               : goal == S_AT_MOST ? value <= target
                                   : value < target;
    char shown[32] = "-", wanted[32];
    if (measured && goal == S_UNDER_US)
        snprintf (shown, sizeof (shown), "%.0f us", value);
    else if (measured)
        snprintf (shown, sizeof (shown), "%.2f", value);
    if (goal == S_UNDER_US)
        snprintf (wanted, sizeof (wanted), "< %.0f us", target);
    else
        snprintf (wanted, sizeof (wanted), "%s %.1f",
                  goal == S_AT_LEAST ? ">=" : "<=", target);
    printf ("| %s | %s | %s | %s |\n", name, shown, wanted,
            measured ? (met ? "met" : "not met") : "not measured");
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddStringToObject (item, "ratio", key);
    if (measured) {
        cJSON_AddNumberToObject (item, "value", value);
        cJSON_AddBoolToObject (item, "met", met);
    } else
        cJSON_AddNullToObject (item, "value");
    cJSON_AddStringToObject (item, "target", wanted);
    cJSON_AddItemToArray (ratios, item);
}

static void
s_print_ratios (s_rivals_t *self, cJSON *section)
{
    const s_row_t *rows = self->rows;
    const s_path_t *paths = self->paths;
    printf ("\nRatios, each from this run:\n\n"
            "| ratio | this run | target | |\n|---|---|---|---|\n");
    cJSON *ratios = cJSON_AddArrayToObject (section, "ratios");
    bool wait = rows[S_HERD].port && rows[S_REDIS_WAIT].port
                && rows[S_REDIS_WAIT].median.rate > 0;
    s_print_ratio (
        ratios, "herd IAMAT/s / Redis SET + WAIT 4", "herd_over_redis_wait",
        wait,
        wait ? rows[S_HERD].median.rate / rows[S_REDIS_WAIT].median.rate : 0,
        1.0, S_AT_LEAST);
    bool store = rows[S_HERD_STORE].port && rows[S_REDIS_SET].port
                 && rows[S_REDIS_SET].median.rate > 0;
    s_print_ratio (ratios, "herd (`reply_after = store`) IAMAT/s / Redis SET",
                   "herd_store_over_redis_set", store,
                   store ? rows[S_HERD_STORE].median.rate
                               / rows[S_REDIS_SET].median.rate
                         : 0,
                   0.6, S_AT_LEAST);
    bool hop = paths[S_HERD_NEAR].rounds && paths[S_NATS].rounds
               && paths[S_NATS].p99_us > 0;
    s_print_ratio (ratios, "herd per-hop p99 / NATS p99",
                   "herd_hop_p99_over_nats_p99", hop,
                   hop ? (double) paths[S_HERD_NEAR].p99_us
                             / (double) paths[S_NATS].p99_us
                       : 0,
                   1.0, S_AT_MOST);
    s_print_ratio (ratios, "herd p50, client write to the farthest node",
                   "herd_far_p50_us", paths[S_HERD_FAR].rounds > 0,
                   (double) paths[S_HERD_FAR].p50_us, 200, S_UNDER_US);
}

void
herd_bench_section_rivals (cJSON *report, const char *binary, int64_t run_ms)
{
    printf ("\n## Herd against Redis with replicas and a NATS cluster\n\n"
            "Redis: a master, 4 replicas and a replica of a replica; NATS: "
            "5 servers, full-mesh routes; herd: cs131-2022, IAMAT at %s. "
            "In one run, on this machine's loopback.\n\n",
            S_ORIGIN);
    fflush (stdout);
    s_rivals_t *self = (s_rivals_t *) calloc (1, sizeof (s_rivals_t));
    self->binary = binary;
    self->run_ms = run_ms;
    self->samples = (size_t) (S_RATE * 5 * run_ms / 1000);
    const struct {
        const char *name, *key;
        const herd_bench_protocol_t *protocol;
        const char *prefix;
    } rows[S_ROWS] = {
        {"floor", "floor", &herd_bench_iamat, "f"},
        {"Redis `SET`", "redis_set", &herd_bench_redis_set, "k"},
        {"Redis `SET` + `WAIT 4 100`", "redis_set_wait",
         &herd_bench_redis_set_wait, "w"},
        {"herd IAMAT", "herd", &herd_bench_iamat, "h"},
        {"herd IAMAT, `reply_after = store`", "herd_store", &herd_bench_iamat,
         "s"},
    };
    for (int i = 0; i < S_ROWS; i++) {
        self->rows[i].name = rows[i].name;
        self->rows[i].key = rows[i].key;
        self->rows[i].protocol = rows[i].protocol;
        self->rows[i].prefix = rows[i].prefix;
    }
    const struct {
        const char *name, *key;
        int hops;
    } paths[S_PATHS] = {
        {"Redis replica (GET polled)", "redis_replica", 1},
        {"Redis replica of a replica (GET polled)", "redis_chained", 2},
        {"NATS subscriber on another server", "nats", 1},
        {"herd neighbour's `update stored`", "herd_neighbour", 1},
        {"herd farthest node's `update stored`", "herd_farthest", 2},
    };
    for (int i = 0; i < S_PATHS; i++) {
        self->paths[i].name = paths[i].name;
        self->paths[i].key = paths[i].key;
        self->paths[i].hops = paths[i].hops;
    }
    if (herd_bench_rival_which ("redis-server", self->redis,
                                sizeof (self->redis))) {
        *self->redis = 0;
        for (int i = S_REDIS_SET; i <= S_REDIS_WAIT; i++)
            snprintf (self->rows[i].why, sizeof (self->rows[i].why),
                      "no redis-server (make bench installs it)");
        for (int i = S_REDIS_ONE; i <= S_REDIS_TWO; i++)
            snprintf (self->paths[i].why, sizeof (self->paths[i].why),
                      "no redis-server (make bench installs it)");
    }
    if (herd_bench_rival_which ("nats-server", self->nats,
                                sizeof (self->nats))) {
        *self->nats = 0;
        snprintf (self->paths[S_NATS].why, sizeof (self->paths[S_NATS].why),
                  "no nats-server (make bench installs it)");
    }
    s_rates (self);
    s_propagation (self);
    cJSON *section = cJSON_AddObjectToObject (report, "rivals");
    s_print_rates (self, section);
    s_print_paths (self, section);
    s_print_ratios (self, section);
    fflush (stdout);
    free (self);
}
