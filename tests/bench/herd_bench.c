/*  herd_bench - `make bench`: how fast herd is on this machine, measured
    against the floor of the machine, and against Redis and NATS, in the
    same run

    A load generator of our own (herd_bench_load.c: epoll, many
    connections, closed loop or paced, optional pipelining) drives: a
    floor server (one thread, epoll, one read and one write per batch, a
    fixed AT-shaped line per line, and nothing else); herds of real `herd
    node` processes on loopback (herd_bench_herd.c); Redis with replicas
    (herd_bench_redis.c).  It reports IAMAT rates and latencies, what a
    tap costs, WHATSAT against the offline Places server with 0 and 200 ms
    of upstream delay and memory per stored client (this file);
    propagation to the farthest node (herd_bench_spread.c); what an update
    costs in generated topologies under broadcast = flood and tree
    (herd_bench_flood.c); and the herd against Redis and NATS
    (herd_bench_rivals.c, herd_bench_redis.c, herd_bench_nats.c).  Prints a table and writes the results as
    JSON.  Not a test: it asserts nothing.  */

#include "herd_bench.h"

#include <cJSON.h>
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

//  ---------------------------------------------------------------------
//  Small helpers

static const char *s_binary = "build/herd";

static size_t
s_rss_kib (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[256];
    size_t kib = 0;
    while (fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %zu kB", &kib) == 1)
            break;
    fclose (file);
    return kib;
}

//  ---------------------------------------------------------------------
//  The sections of the report

static int64_t s_run_ms = 2000;     //  Length of each timed load
static uint64_t s_scale = 1000000;  //  Clients for the memory figure
static bool s_big_herds = true;     //  Topologies of 50 nodes too

static void
s_load (uint16_t port,
        const herd_bench_protocol_t *protocol,
        const char *prefix,
        int connections,
        int depth,
        herd_bench_load_result_t *result)
{
    herd_bench_load_config_t config = {.port = port,
                                       .connections = connections,
                                       .depth = depth,
                                       .duration_ms = s_run_ms,
                                       .protocol = protocol,
                                       .prefix = prefix};
    herd_bench_load_run (&config, result);
}

//  1 and 2: the floor and IAMAT at one node of the 2022 herd.
static double
s_section_iamat (cJSON *report)
{
    printf ("\n## IAMAT at one node (herd of 5, cs131-2022) vs the floor\n\n"
            "Each row: the median of three runs of each, floor and herd in "
            "turn.\n\n"
            "| connections | depth | floor/s | herd/s | herd/floor | herd p50 "
            "| herd p99 |\n|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "iamat");
    herd_bench_floor_t floor_server;
    herd_bench_floor_start (&floor_server);
    herd_bench_herd_t *herd = herd_bench_herd_shipped (s_binary, "2022", NULL);
    const int connections[] = {1, 16, 256};
    const int depths[] = {1, 16};
    double peak = 0;
    for (int c = 0; c < 3; c++)
        for (int d = 0; d < 2; d++) {
            //  Three runs of each, floor and herd in turn, and the median
            //  run of each: this VM's speed wanders between runs
            herd_bench_load_result_t floors[HERD_BENCH_ROUNDS],
                herds[HERD_BENCH_ROUNDS];
            for (int r = 0; r < HERD_BENCH_ROUNDS; r++) {
                s_load (floor_server.port, &herd_bench_iamat, "f",
                        connections[c], depths[d], &floors[r]);
                s_load (herd->ports[0], &herd_bench_iamat, "h", connections[c],
                        depths[d], &herds[r]);
            }
            herd_bench_load_result_t floor_result =
                herd_bench_median_run (floors);
            herd_bench_load_result_t herd_result =
                herd_bench_median_run (herds);
            double ratio = floor_result.rate > 0
                               ? herd_result.rate / floor_result.rate
                               : 0;
            printf ("| %d | %d | %.0f | %.0f | %.2f | %" PRId64 " us | %" PRId64
                    " us |\n",
                    connections[c], depths[d], floor_result.rate,
                    herd_result.rate, ratio, herd_result.p50_us,
                    herd_result.p99_us);
            fflush (stdout);
            cJSON *row = cJSON_CreateObject ();
            cJSON_AddNumberToObject (row, "connections", connections[c]);
            cJSON_AddNumberToObject (row, "depth", depths[d]);
            cJSON_AddItemToObject (row, "floor",
                                   herd_bench_load_json (&floor_result));
            cJSON_AddItemToObject (row, "herd",
                                   herd_bench_load_json (&herd_result));
            cJSON_AddNumberToObject (row, "ratio", ratio);
            cJSON_AddItemToArray (rows, row);
            if (connections[c] == 16 && herd_result.rate > peak)
                peak = herd_result.rate;
        }
    herd_bench_herd_destroy (&herd);
    herd_bench_floor_stop (&floor_server);
    //  What logging every line and update costs
    herd =
        herd_bench_herd_shipped (s_binary, "2022", "    log_level = notice\n");
    cJSON *quiet = cJSON_AddArrayToObject (report, "iamat_log_warning");
    printf ("\nSame herd with `log_level = notice` (no record per line):\n\n"
            "| connections | depth | herd/s | p50 | p99 "
            "|\n|---|---|---|---|---|\n");
    for (int d = 0; d < 2; d++) {
        herd_bench_load_result_t result;
        s_load (herd->ports[0], &herd_bench_iamat, "q", 16, depths[d], &result);
        printf ("| 16 | %d | %.0f | %" PRId64 " us | %" PRId64 " us |\n",
                depths[d], result.rate, result.p50_us, result.p99_us);
        cJSON *row = herd_bench_load_json (&result);
        cJSON_AddNumberToObject (row, "depth", depths[d]);
        cJSON_AddItemToArray (quiet, row);
    }
    herd_bench_herd_destroy (&herd);
    return peak;
}

//  `herd places-stub` on a free port with delay_ms; returns its pid.
static pid_t
s_stub_start (uint16_t *port, int delay_ms, const char *dir)
{
    *port = herd_bench_free_port ();
    char *listen = zsys_sprintf ("127.0.0.1:%u", *port);
    char *delay = zsys_sprintf ("%d", delay_ms);
    char *out = zsys_sprintf ("%s/stub.out", dir);
    char *argv[] = {"herd",    "places-stub", "--listen", listen,
                    "--delay", delay,         NULL};
    pid_t pid = herd_bench_spawn (out, s_binary, argv);
    for (int i = 0; i < 1000 && herd_bench_file_count (out, "ready") == 0; i++)
        usleep (10000);
    free (listen);
    free (delay);
    free (out);
    return pid;
}

//  What a tap costs: the same load on a herd without taps, with taps and
//  nobody listening, and with one listener taking every event.
typedef struct {
    zsock_t *sub;
    volatile bool stop;
    uint64_t events;    //  Records
    uint64_t messages;  //  What they came in
} s_listener_t;

static void *
s_listen (void *arg)
{
    s_listener_t *self = (s_listener_t *) arg;
    while (!self->stop) {
        zmsg_t *msg = zmsg_recv_nowait (self->sub);
        if (msg) {
            //  A topic, then records joined by LF (proto/monitor.md)
            zframe_t *body = zmsg_last (msg);
            const char *data = (const char *) zframe_data (body);
            size_t size = zframe_size (body);
            self->events++;
            for (size_t i = 0; i < size; i++)
                self->events += data[i] == '\n';
            self->messages++;
            zmsg_destroy (&msg);
        } else
            zmq_poll (NULL, 0, 1);
    }
    return NULL;
}

static void
s_section_tap (cJSON *report)
{
    printf ("\n## What the tap costs\n\n"
            "IAMAT at one node of the 2022 herd, 16 connections, depth 1:\n\n"
            "| herd | IAMAT/s | p50 | p99 | events taken | in messages "
            "|\n|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "tap");
    const char *cases[] = {"no taps", "taps, nobody listening",
                           "taps, one listener"};
    for (int c = 0; c < 3; c++) {
        herd_bench_herd_t *herd = herd_bench_herd_from_file (
            s_binary, "deploy/topologies/cs131-2022.zpl");
        for (size_t i = 0; c > 0 && i < herd->count; i++)
            herd->taps[i] = herd_bench_free_port ();
        herd_bench_herd_start (herd, NULL);
        s_listener_t listener = {NULL, false, 0, 0};
        pthread_t thread;
        if (c == 2) {
            listener.sub = zsock_new (ZMQ_SUB);
            zsock_set_rcvhwm (listener.sub, 100000);
            for (size_t i = 0; i < herd->count; i++)
                zsock_connect (listener.sub, "tcp://127.0.0.1:%u",
                               herd->taps[i]);
            zsock_set_subscribe (listener.sub, "");
            usleep (300000);  //  The taps read subscriptions every 50 ms
            pthread_create (&thread, NULL, s_listen, &listener);
        }
        herd_bench_load_result_t result;
        s_load (herd->ports[0], &herd_bench_iamat, "t", 16, 1, &result);
        if (c == 2) {
            listener.stop = true;
            pthread_join (thread, NULL);
            zsock_destroy (&listener.sub);
        }
        printf ("| %s | %.0f | %" PRId64 " us | %" PRId64 " us | %" PRIu64
                " | %" PRIu64 " |\n",
                cases[c], result.rate, result.p50_us, result.p99_us,
                listener.events, listener.messages);
        fflush (stdout);
        cJSON *row = herd_bench_load_json (&result);
        cJSON_AddStringToObject (row, "case", cases[c]);
        cJSON_AddNumberToObject (row, "events", (double) listener.events);
        cJSON_AddNumberToObject (row, "messages", (double) listener.messages);
        cJSON_AddItemToArray (rows, row);
        herd_bench_herd_destroy (&herd);
    }
}

//  4: WHATSAT against the stub, and IAMAT on the same node meanwhile.
static void
s_section_whatsat (cJSON *report)
{
    printf ("\n## WHATSAT against the offline Places server (Places API New "
            "over libcurl)\n\n"
            "| upstream delay | connections | WHATSAT/s | p50 | p99 | IAMAT "
            "p50 meanwhile | IAMAT p99 meanwhile |\n"
            "|---|---|---|---|---|---|---|\n");
    cJSON *rows = cJSON_AddArrayToObject (report, "whatsat");
    const int delays[] = {0, 200};
    const int connections[] = {16, 1000};
    for (int i = 0; i < 2; i++) {
        herd_bench_herd_t *herd = herd_bench_herd_from_file (
            s_binary, "deploy/topologies/cs131-2022.zpl");
        uint16_t stub_port;
        pid_t stub = s_stub_start (&stub_port, delays[i], herd->dir);
        char *settings = zsys_sprintf (
            "places\n    provider = google\n    url = http://127.0.0.1:%u\n"
            "    rate_per_second = 100000\n    max_in_flight = 2000\n",
            stub_port);
        setenv ("HERD_PLACES_KEY", "bench", 1);
        herd_bench_herd_start (herd, settings);
        free (settings);
        //  The client asked about
        int fd = herd_bench_connect (herd->ports[0]);
        const char *iamat = "IAMAT kiwi +34.068930-118.445127 1700000000\n";
        if (write (fd, iamat, strlen (iamat)) < 0)
            abort ();
        char buffer[512];
        if (read (fd, buffer, sizeof (buffer)) <= 0)
            abort ();
        close (fd);
        //  Steady state: the first second (a thousand connections to the
        //  Places server being opened) is not counted
        herd_bench_load_job_t whatsat = {{.port = herd->ports[0],
                                          .connections = connections[i],
                                          .depth = 1,
                                          .duration_ms = 3 * s_run_ms + 1000,
                                          .warmup_ms = 1000,
                                          .protocol = &herd_bench_whatsat,
                                          .prefix = "kiwi"},
                                         {0}};
        herd_bench_load_job_t probe = {
            {.port = herd->ports[0],
             .connections = 1,
             .depth = 1,
             .duration_ms = 3 * s_run_ms + 1000,
             .warmup_ms = 1000,
             .rate = 500,  //  Thousands of samples: a
                           //  p99 that means something
             .protocol = &herd_bench_iamat,
             .prefix = "probe"},
            {0}};
        pthread_t threads[2];
        pthread_create (&threads[0], NULL, herd_bench_load_thread, &whatsat);
        pthread_create (&threads[1], NULL, herd_bench_load_thread, &probe);
        pthread_join (threads[0], NULL);
        pthread_join (threads[1], NULL);
        printf ("| %d ms | %d | %.0f | %" PRId64 " us | %" PRId64
                " us | %" PRId64 " us | %" PRId64 " us |\n",
                delays[i], connections[i], whatsat.result.rate,
                whatsat.result.p50_us, whatsat.result.p99_us,
                probe.result.p50_us, probe.result.p99_us);
        fflush (stdout);
        cJSON *row = cJSON_CreateObject ();
        cJSON_AddNumberToObject (row, "delay_ms", delays[i]);
        cJSON_AddNumberToObject (row, "connections", connections[i]);
        cJSON_AddItemToObject (row, "whatsat",
                               herd_bench_load_json (&whatsat.result));
        cJSON_AddItemToObject (row, "iamat",
                               herd_bench_load_json (&probe.result));
        cJSON_AddItemToArray (rows, row);
        kill (stub, SIGTERM);
        waitpid (stub, NULL, 0);
        herd_bench_herd_destroy (&herd);
    }
}

static bool
s_knows (uint16_t port, const char *client)
{
    int fd = herd_bench_connect (port);
    char request[128];
    snprintf (request, sizeof (request), "WHATSAT %s 1 1\n", client);
    if (write (fd, request, strlen (request)) < 0)
        abort ();
    shutdown (fd, SHUT_WR);
    char buffer[4096];
    ssize_t got = read (fd, buffer, sizeof (buffer));
    close (fd);
    return got > 3 && strncmp (buffer, "AT ", 3) == 0;
}

//  5a: memory per stored client, clients fed through the herd.
static void
s_section_memory (cJSON *report)
{
    herd_bench_herd_t *herd =
        herd_bench_herd_shipped (s_binary, "2022", "    log_level = notice\n");
    size_t before[HERD_BENCH_NODES_MAX];
    for (size_t i = 0; i < herd->count; i++)
        before[i] = s_rss_kib (herd->pids[i]);
    herd_bench_load_config_t config = {.port = herd->ports[0],
                                       .connections = 16,
                                       .depth = 16,
                                       .requests = s_scale,
                                       .protocol = &herd_bench_iamat_fresh,
                                       .prefix = "m"};
    herd_bench_load_result_t result;
    herd_bench_load_run (&config, &result);
    //  One more, last: when every node has it, it has all the rest
    int fd = herd_bench_connect (herd->ports[0]);
    const char *last = "IAMAT scale-last +1+1 1800000000\n";
    if (write (fd, last, strlen (last)) < 0)
        abort ();
    char buffer[512];
    if (read (fd, buffer, sizeof (buffer)) <= 0)
        abort ();
    close (fd);
    for (size_t i = 0; i < herd->count; i++)
        for (int t = 0; t < 6000 && !s_knows (herd->ports[i], "scale-last");
             t++)
            usleep (10000);
    printf ("\n## Memory per stored client\n\n"
            "%" PRIu64 " clients fed to %s (%.0f IAMAT/s with 16 connections, "
            "depth 16), stored by all 5 nodes:\n\n"
            "| node | RSS before | RSS after | bytes per client |\n"
            "|---|---|---|---|\n",
            s_scale, herd->names[0], result.rate);
    cJSON *rows = cJSON_AddArrayToObject (report, "memory");
    for (size_t i = 0; i < herd->count; i++) {
        size_t after = s_rss_kib (herd->pids[i]);
        double per_client =
            (double) (after - before[i]) * 1024.0 / (double) s_scale;
        printf ("| %s | %zu KiB | %zu KiB | %.0f |\n", herd->names[i],
                before[i], after, per_client);
        cJSON *row = cJSON_CreateObject ();
        cJSON_AddStringToObject (row, "node", herd->names[i]);
        cJSON_AddNumberToObject (row, "clients", (double) s_scale);
        cJSON_AddNumberToObject (row, "rss_before_kib", (double) before[i]);
        cJSON_AddNumberToObject (row, "rss_after_kib", (double) after);
        cJSON_AddNumberToObject (row, "bytes_per_client", per_client);
        cJSON_AddItemToArray (rows, row);
    }
    herd_bench_herd_destroy (&herd);
}

int
main (int argc, char **argv)
{
    const char *out = "build/bench.json";
    const char *only = NULL;
    int drive = 0, connections = 16, depth = 1;
    double rate = 0;
    const char *whatsat = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--drive") && i + 1 < argc)
            drive = atoi (argv[++i]);
        else if (streq (argv[i], "--rate") && i + 1 < argc)
            rate = atof (argv[++i]);
        else if (streq (argv[i], "--whatsat") && i + 1 < argc)
            whatsat = argv[++i];
        else if (streq (argv[i], "--connections") && i + 1 < argc)
            connections = atoi (argv[++i]);
        else if (streq (argv[i], "--depth") && i + 1 < argc)
            depth = atoi (argv[++i]);
        else if (streq (argv[i], "--seconds") && i + 1 < argc)
            s_run_ms = atoi (argv[++i]) * 1000;
        else if (streq (argv[i], "--herd") && i + 1 < argc)
            s_binary = argv[++i];
        else if (streq (argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (streq (argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (streq (argv[i], "--quick")) {
            s_run_ms = 1000;
            s_scale = 100000;
            s_big_herds = false;
        } else {
            fprintf (
                stderr,
                "usage: herd_bench [--herd PATH] [--out FILE] [--quick] "
                "[--only iamat|tap|propagation|whatsat|memory|flood|rivals]\n"
                "       herd_bench --drive PORT [--connections N] "
                "[--depth N] [--seconds N] [--rate PER_SECOND] "
                "[--whatsat CLIENT]\n"
                "           (IAMATs at one server, or WHATSATs about "
                "CLIENT; closed loop unless paced)\n");
            return 2;
        }
    }
    signal (SIGPIPE, SIG_IGN);
    struct rlimit limit;
    getrlimit (RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit (RLIMIT_NOFILE, &limit);
    if (drive) {
        herd_bench_load_result_t result;
        herd_bench_load_config_t config = {
            .port = (uint16_t) drive,
            .connections = connections,
            .depth = depth,
            .duration_ms = s_run_ms,
            .rate = rate,
            .protocol = whatsat ? &herd_bench_whatsat : &herd_bench_iamat,
            .prefix = whatsat ? whatsat : "d"};
        herd_bench_load_run (&config, &result);
        printf ("%.0f replies/s, p50 %" PRId64 " us, p99 %" PRId64
                " us, %" PRIu64 " errors\n",
                result.rate, result.p50_us, result.p99_us, result.errors);
        return 0;
    }
    char host[256] = "";
    gethostname (host, sizeof (host) - 1);
    time_t now = time (NULL);
    char date[32];
    strftime (date, sizeof (date), "%Y-%m-%d", gmtime (&now));
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    printf ("# herd bench, %s, %ld cores, loopback, runs of %" PRId64 " ms\n",
            date, cores, s_run_ms);
    cJSON *report = cJSON_CreateObject ();
    cJSON_AddStringToObject (report, "date", date);
    cJSON_AddNumberToObject (report, "cores", (double) cores);
    cJSON_AddNumberToObject (report, "run_ms", (double) s_run_ms);
    double peak = 0;
    if (!only || streq (only, "iamat"))
        peak = s_section_iamat (report);
    if (!only || streq (only, "tap"))
        s_section_tap (report);
    if (!only || streq (only, "propagation"))
        herd_bench_section_propagation (report, s_binary, s_run_ms, peak);
    if (!only || streq (only, "whatsat"))
        s_section_whatsat (report);
    if (!only || streq (only, "memory"))
        s_section_memory (report);
    if (!only || streq (only, "flood"))
        herd_bench_section_flood (report, s_binary, s_run_ms, s_big_herds);
    if (!only || streq (only, "rivals"))
        herd_bench_section_rivals (report, s_binary, s_run_ms);
    char *json = cJSON_Print (report);
    FILE *file = fopen (out, "w");
    if (file) {
        fputs (json, file);
        fputs ("\n", file);
        fclose (file);
        printf ("\nResults in %s\n", out);
    }
    free (json);
    cJSON_Delete (report);
    return 0;
}
