/*  herd_bench_spread - how updates spread through a herd: propagation to
    the farthest node of the CS 131 herds (from the nodes' own log
    timestamps, one machine, one clock), against ZeroMQ alone and the
    machine's own stalls (what an update costs in generated topologies is
    herd_bench_flood.c)  */

#include "herd_bench.h"

#include <czmq.h>
#include <sched.h>

//  ---------------------------------------------------------------------
//  Propagation, from the nodes' logs (same machine, same clock)

typedef struct {
    size_t updates;
    int64_t p50_us, p99_us, max_us;
    double messages_per_update;
    int hops;
    size_t nodes, links;
} s_spread_t;

//  How the updates origin stored reached the farthest node, and how many
//  herd messages the herd used for them.
static void
s_spread (herd_bench_herd_t *herd, size_t origin, s_spread_t *spread)
{
    memset (spread, 0, sizeof (*spread));
    size_t farthest = herd_bench_herd_farthest (herd, origin, &spread->hops);
    char *origin_log = herd_bench_herd_log (herd, origin);
    char *far_log = herd_bench_herd_log (herd, farthest);
    //  Records (proto/monitor.md): "update stored originator=A seq=N" where
    //  A took it from its client, "update stored|stale from=B originator=A
    //  seq=N" where it came from a neighbour (stamped when taken)
    char *from_origin =
        zsys_sprintf ("originator=%s seq=", herd->names[origin]);
    char *stored =
        zsys_sprintf ("update stored originator=%s seq=", herd->names[origin]);
    size_t sent_size, got_size;
    int64_t *sent =
        herd_bench_log_seq_times (origin_log, stored, NULL, &sent_size);
    int64_t *got =
        herd_bench_log_seq_times (far_log, from_origin, NULL, &got_size);
    herd_bench_values_t delays = {0};
    for (size_t n = 0; n < sent_size && n < got_size; n++)
        if (sent[n] >= 0 && got[n] >= 0)
            herd_bench_values_add (&delays, got[n] - sent[n]);
    herd_bench_values_sort (&delays);
    spread->updates = delays.size;
    spread->p50_us = herd_bench_percentile (delays.data, delays.size, 50);
    spread->p99_us = herd_bench_percentile (delays.data, delays.size, 99);
    spread->max_us = delays.size ? delays.data[delays.size - 1] : 0;
    size_t messages = 0;
    for (size_t i = 0; i < herd->count; i++) {
        char *log = herd_bench_herd_log (herd, i);
        messages += herd_bench_file_count (log, "update stored from=")
                    + herd_bench_file_count (log, "update stale from=");
        free (log);
        spread->links += herd->degrees[i];
    }
    spread->links /= 2;
    spread->nodes = herd->count;
    spread->messages_per_update =
        delays.size ? (double) messages / (double) delays.size : 0;
    free (delays.data);
    free (sent);
    free (got);
    free (stored);
    free (from_origin);
    free (origin_log);
    free (far_log);
}

static cJSON *
s_spread_json (const s_spread_t *spread)
{
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddNumberToObject (item, "nodes", (double) spread->nodes);
    cJSON_AddNumberToObject (item, "links", (double) spread->links);
    cJSON_AddNumberToObject (item, "hops", spread->hops);
    cJSON_AddNumberToObject (item, "updates", (double) spread->updates);
    cJSON_AddNumberToObject (item, "p50_us", (double) spread->p50_us);
    cJSON_AddNumberToObject (item, "p99_us", (double) spread->p99_us);
    cJSON_AddNumberToObject (item, "max_us", (double) spread->max_us);
    cJSON_AddNumberToObject (item, "messages_per_update",
                             spread->messages_per_update);
    return item;
}

//  Paced IAMATs at node origin of herd, then the spread to the farthest.
static void
s_paced_spread (herd_bench_herd_t *herd,
                size_t origin,
                double rate,
                int connections,
                int64_t duration_ms,
                s_spread_t *spread)
{
    herd_bench_load_config_t config = {.port = herd->ports[origin],
                                       .connections = connections,
                                       .depth = 1,
                                       .duration_ms = duration_ms,
                                       .rate = rate,
                                       .protocol = &herd_bench_iamat,
                                       .prefix = "p"};
    herd_bench_load_result_t result;
    herd_bench_load_run (&config, &result);
    //  Until the farthest node has stored them all (or 5 s)
    int hops;
    size_t farthest = herd_bench_herd_farthest (herd, origin, &hops);
    char *log = herd_bench_herd_log (herd, farthest);
    char *needle = zsys_sprintf ("originator=%s seq=", herd->names[origin]);
    for (int i = 0;
         i < 500 && herd_bench_file_count_stored (log, needle) < result.replies;
         i++)
        usleep (10000);
    free (needle);
    free (log);
    s_spread (herd, origin, spread);
}

//  The floor under a herd's propagation on this machine: ZeroMQ alone
//  carrying a timestamp from A through B, which passes it on at once, to
//  C, over DEALER to ROUTER on loopback, paced like the light-load rows.
//  Each of A, B and C has its own context (its own I/O thread), as each
//  node has.
typedef struct {
    void *context;
    uint16_t port;         //  Its ROUTER binds here
    uint16_t next;         //  B: where it passes messages on
    size_t count;          //  C: how many to take
    int64_t *delays;       //  C: one-way times, microseconds
    volatile bool *ready;  //  Set once bound
} s_hop_t;

static void *
s_hop_run (void *arg)
{
    s_hop_t *self = (s_hop_t *) arg;
    void *router = zmq_socket (self->context, ZMQ_ROUTER);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u", self->port);
    int rc = zmq_bind (router, endpoint);
    assert (rc == 0);
    void *dealer = NULL;
    if (self->next) {
        dealer = zmq_socket (self->context, ZMQ_DEALER);
        snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u",
                  self->next);
        zmq_connect (dealer, endpoint);
    }
    *self->ready = true;
    char id[256], stamp[8];
    for (size_t n = 0; !self->next ? n < self->count : true; n++) {
        if (zmq_recv (router, id, sizeof (id), 0) < 0
            || zmq_recv (router, stamp, sizeof (stamp), 0) != 8)
            break;  //  The context was shut down
        if (dealer)
            zmq_send (dealer, stamp, sizeof (stamp), 0);
        else {
            int64_t sent;
            memcpy (&sent, stamp, sizeof (sent));
            self->delays[n] = zclock_usecs () - sent;
        }
    }
    int linger = 0;
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_close (router);
    if (dealer) {
        zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
        zmq_close (dealer);
    }
    return NULL;
}

static void
s_zmq_floor (int rate, size_t count, int64_t *p50, int64_t *p99)
{
    volatile bool ready_b = false, ready_c = false;
    int64_t *delays = (int64_t *) calloc (count, sizeof (int64_t));
    s_hop_t c = {zmq_ctx_new (), herd_bench_free_port (), 0, count, delays,
                 &ready_c};
    s_hop_t b = {zmq_ctx_new (), herd_bench_free_port (), c.port, 0, NULL,
                 &ready_b};
    pthread_t thread_b, thread_c;
    pthread_create (&thread_c, NULL, s_hop_run, &c);
    pthread_create (&thread_b, NULL, s_hop_run, &b);
    while (!ready_b || !ready_c)
        usleep (1000);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%u", b.port);
    zmq_connect (dealer, endpoint);
    usleep (300000);  //  Both connections made before the first stamp
    int64_t start = zclock_usecs ();
    for (size_t n = 0; n < count; n++) {
        int64_t due = start + (int64_t) n * 1000000 / rate;
        int64_t now = zclock_usecs ();
        if (due > now)
            usleep ((useconds_t) (due - now));
        int64_t stamp = zclock_usecs ();
        zmq_send (dealer, &stamp, sizeof (stamp), 0);
    }
    pthread_join (thread_c, NULL);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_close (dealer);
    zmq_ctx_term (context);
    zmq_ctx_shutdown (b.context);  //  Its blocking recv returns
    pthread_join (thread_b, NULL);
    zmq_ctx_term (b.context);
    zmq_ctx_term (c.context);
    qsort (delays, count, sizeof (int64_t), herd_bench_compare_i64);
    *p50 = herd_bench_percentile (delays, count, 50);
    *p99 = herd_bench_percentile (delays, count, 99);
    free (delays);
}

//  The floor under that: how often the machine itself stops running a
//  thread that wants to run.  One thread per processor, pinned, reads the
//  clock in a loop for a while on the otherwise idle machine; a gap
//  between two reads is a time the thread did not run (another task, the
//  kernel, or, in a VM, the hypervisor running something else).  A
//  propagation is a chain of wake-ups across threads on every processor:
//  when a gap falls inside it, it is late by that gap.
typedef struct {
    int cpu;
    int64_t run_us;
    size_t over_500us, over_1ms;  //  Gaps longer than these
    int64_t longest_us;
} s_stalls_t;

static void *
s_stalls_run (void *arg)
{
    s_stalls_t *self = (s_stalls_t *) arg;
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (self->cpu, &set);
    pthread_setaffinity_np (pthread_self (), sizeof (set), &set);
    int64_t last = herd_bench_now_us (), end = last + self->run_us;
    while (last < end) {
        int64_t now = herd_bench_now_us ();
        int64_t gap = now - last;
        self->over_500us += gap > 500;
        self->over_1ms += gap > 1000;
        if (gap > self->longest_us)
            self->longest_us = gap;
        last = now;
    }
    return NULL;
}

//  Gaps per processor-second over run_ms, summed over the processors.
static void
s_machine_stalls (int64_t run_ms,
                  double *over_500us,
                  double *over_1ms,
                  int64_t *longest_us)
{
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    s_stalls_t *stalls =
        (s_stalls_t *) calloc ((size_t) cpus, sizeof (*stalls));
    pthread_t *threads =
        (pthread_t *) calloc ((size_t) cpus, sizeof (*threads));
    for (long i = 0; i < cpus; i++) {
        stalls[i].cpu = (int) i;
        stalls[i].run_us = run_ms * 1000;
        pthread_create (&threads[i], NULL, s_stalls_run, &stalls[i]);
    }
    size_t over_500 = 0, over_1000 = 0;
    *longest_us = 0;
    for (long i = 0; i < cpus; i++) {
        pthread_join (threads[i], NULL);
        over_500 += stalls[i].over_500us;
        over_1000 += stalls[i].over_1ms;
        if (stalls[i].longest_us > *longest_us)
            *longest_us = stalls[i].longest_us;
    }
    double seconds = (double) cpus * (double) run_ms / 1000;
    *over_500us = (double) over_500 / seconds;
    *over_1ms = (double) over_1000 / seconds;
    free (stalls);
    free (threads);
}

//  3: propagation to the farthest node, light load and half the peak.
void
herd_bench_section_propagation (cJSON *report,
                                const char *binary,
                                int64_t run_ms,
                                double peak)
{
    double stalls_500us, stalls_1ms;
    int64_t stall_longest;
    s_machine_stalls (5 * run_ms, &stalls_500us, &stalls_1ms, &stall_longest);
    cJSON *machine = cJSON_AddObjectToObject (report, "machine_stalls");
    cJSON_AddNumberToObject (machine, "over_500us_per_cpu_s", stalls_500us);
    cJSON_AddNumberToObject (machine, "over_1ms_per_cpu_s", stalls_1ms);
    cJSON_AddNumberToObject (machine, "longest_us", (double) stall_longest);
    printf (
        "\n## Propagation to the farthest node\n\n"
        "From the origin storing an IAMAT to the farthest node receiving "
        "it (node log timestamps).\n\n"
        "| topology | load | hops | updates | p50 | p99 | deliveries/update "
        "(minimum N-1) |\n|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "propagation");
    //  The floor first: what two ZeroMQ hops cost with no work at all
    //  At light load, five runs' worth: 2,000 updates, so that the p99 is
    //  the 20th worst, not the 4th
    int64_t light_ms = 5 * run_ms;
    size_t light = (size_t) (200 * light_ms / 1000);
    int64_t floor_p50, floor_p99;
    s_zmq_floor (200, light, &floor_p50, &floor_p99);
    printf ("| ZeroMQ alone (A to B to C, nothing else) | 200/s | 2 | %zu | "
            "%" PRId64 " us | %" PRId64 " us | - |\n",
            light, floor_p50, floor_p99);
    fflush (stdout);
    cJSON *floor = cJSON_CreateObject ();
    cJSON_AddStringToObject (floor, "topology", "zeromq-floor");
    cJSON_AddNumberToObject (floor, "rate", 200);
    cJSON_AddNumberToObject (floor, "hops", 2);
    cJSON_AddNumberToObject (floor, "p50_us", (double) floor_p50);
    cJSON_AddNumberToObject (floor, "p99_us", (double) floor_p99);
    cJSON_AddItemToArray (rows, floor);
    const char *years[] = {"2018", "2020", "2021", "2022", "2023"};
    for (int y = 0; y < 5; y++) {
        herd_bench_herd_t *herd =
            herd_bench_herd_shipped (binary, years[y], NULL);
        s_spread_t spread;
        s_paced_spread (herd, 0, 200, 1, light_ms, &spread);
        printf ("| cs131-%s | 200/s | %d | %zu | %" PRId64 " us | %" PRId64
                " us | %.2f (%zu) |\n",
                years[y], spread.hops, spread.updates, spread.p50_us,
                spread.p99_us, spread.messages_per_update, spread.nodes - 1);
        fflush (stdout);
        cJSON *row = s_spread_json (&spread);
        cJSON_AddStringToObject (row, "topology", years[y]);
        cJSON_AddNumberToObject (row, "rate", 200);
        cJSON_AddItemToArray (rows, row);
        if (streq (years[y], "2022") && peak > 0) {
            herd_bench_herd_destroy (&herd);
            herd = herd_bench_herd_shipped (binary, years[y], NULL);
            s_paced_spread (herd, 0, peak / 2, 16, run_ms, &spread);
            printf ("| cs131-%s | %.0f/s (half the peak) | %d | %zu | %" PRId64
                    " us | %" PRId64 " us | %.2f (%zu) |\n",
                    years[y], peak / 2, spread.hops, spread.updates,
                    spread.p50_us, spread.p99_us, spread.messages_per_update,
                    spread.nodes - 1);
            row = s_spread_json (&spread);
            cJSON_AddStringToObject (row, "topology", years[y]);
            cJSON_AddNumberToObject (row, "rate", peak / 2);
            cJSON_AddItemToArray (rows, row);
        }
        herd_bench_herd_destroy (&herd);
    }
    printf ("\nThe machine itself, idle, for %" PRId64 " s: each processor "
            "stopped running a thread that wanted to run for over 0.5 ms "
            "%.1f times a second, for over 1 ms %.1f times a second; the "
            "longest stop %.1f ms.\n",
            5 * run_ms / 1000, stalls_500us, stalls_1ms,
            (double) stall_longest / 1000);
}
