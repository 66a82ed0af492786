/*  herd_bench - what the sections of `make bench` share: small helpers,
    the load generator, the floor server, and herds of real nodes

    The load generator (herd_bench_load.c) speaks any request-reply
    protocol over TCP through a herd_bench_protocol_t: what a request is,
    and where its reply ends.  The floor and herds (herd_bench_herd.c) are
    started on free loopback ports and stopped by whoever started them.
    Not a test: nothing here asserts what it measures.  */

#ifndef HERD_BENCH_H_INCLUDED
#define HERD_BENCH_H_INCLUDED

#include <cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

//  ---------------------------------------------------------------------
//  Small helpers

//  Microseconds on CLOCK_MONOTONIC.
int64_t herd_bench_now_us (void);

//  Microseconds since the epoch on CLOCK_REALTIME: the clock that node
//  logs are stamped with.
int64_t herd_bench_wall_us (void);

//  A port on 127.0.0.1 the kernel just gave out, never the same twice in a
//  run (the kernel may hand a released port out again at once).
uint16_t herd_bench_free_port (void);

//  A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY, or -1.
int herd_bench_connect (uint16_t port);

//  How many lines of the file at path hold needle (0 if it is absent).
size_t herd_bench_file_count (const char *path, const char *needle);

//  Lines of a node's log that record an update stored and hold needle (its
//  stale copies name the same originator and client, and must not count).
size_t herd_bench_file_count_stored (const char *path, const char *needle);

//  Run the program at path with argv (argv[0] its name, NULL-terminated)
//  in a child process, its stdout and stderr into the file out.  The child gets SIGTERM if this process
//  dies, however it dies, so an exit on an error leaves no server behind.
//  Returns its pid, or -1.
pid_t herd_bench_spawn (const char *out, const char *path, char *const argv[]);

//  SIGTERM to pid, and wait for it (SIGKILL after 10 s).  Accepts pid <= 0.
void herd_bench_stop (pid_t pid);

//  Sleep until sample n of a series paced at rate per second from start
//  (CLOCK_MONOTONIC, us): pacing, never a wait for something to happen.
void herd_bench_pace (int64_t start, size_t n, double rate);

//  qsort's comparison of int64_t.
int herd_bench_compare_i64 (const void *a, const void *b);

//  Percentile p (0..100) of count sorted values; 0 if there are none.
int64_t herd_bench_percentile (const int64_t *sorted, size_t count, double p);

//  A growable list of int64; free data when done.
typedef struct {
    int64_t *data;
    size_t size;
    size_t capacity;
} herd_bench_values_t;

void herd_bench_values_add (herd_bench_values_t *self, int64_t value);

void herd_bench_values_sort (herd_bench_values_t *self);

//  ---------------------------------------------------------------------
//  The load generator

//  Where one connection stands in the reply being read; zero to begin.
typedef struct {
    bool started;    //  Inside a reply
    bool error;      //  It is an error (or short) reply
    char last;       //  Previous byte
    char type;       //  Redis: type byte of the simple reply being read
    int parts;       //  Redis: simple replies complete in this reply
    int64_t number;  //  Redis: the integer reply being read
} herd_bench_reply_t;

//  A protocol: what a request is and where its reply ends.
typedef struct {
    //  Write request n of connection index into line (size bytes; ids
    //  or keys begin with prefix); returns its length.
    int (*request) (
        const char *prefix, int index, uint64_t n, char *line, size_t size);
    //  Take the bytes of data (size > 0) up to the end of the reply being
    //  read; returns how many it took.  If the reply ends there, sets
    //  *done and *error and makes reply ready for the next one.
    size_t (*scan) (herd_bench_reply_t *reply,
                    const char *data,
                    size_t size,
                    bool *done,
                    bool *error);
} herd_bench_protocol_t;

//  IAMAT updates to 100 clients per connection, newer each time; a reply
//  is a line, an error one beginning "? ".
extern const herd_bench_protocol_t herd_bench_iamat;
//  IAMAT for a new client every time (the table grows).
extern const herd_bench_protocol_t herd_bench_iamat_fresh;
//  WHATSAT about the client named by the prefix; a reply ends with an
//  empty line (an error reply: one line).
extern const herd_bench_protocol_t herd_bench_whatsat;

//  Replicas a Redis WAIT asks for (the rivals' master has four).
#define HERD_BENCH_REDIS_REPLICAS 4
//  Redis inline `SET <prefix><index>-<n % 100> v`, 100 keys per
//  connection overwritten as herd_bench_iamat's clients are; a reply is
//  one CRLF-ended simple reply, an error one beginning '-'.
extern const herd_bench_protocol_t herd_bench_redis_set;
//  The same SET followed by `WAIT 4 100` in one write: one request whose
//  reply is both replies, short when WAIT counts fewer than 4 replicas.
extern const herd_bench_protocol_t herd_bench_redis_set_wait;

typedef struct {
    uint16_t port;
    int connections;
    int depth;            //  Requests outstanding per connection
    int64_t duration_ms;  //  Stop sending after this long (0: no limit)
    int64_t warmup_ms;    //  Replies before this are not counted
    uint64_t requests;    //  Stop after this many replies (0: no limit)
    double rate;          //  Requests per second in all; 0: closed loop
    const herd_bench_protocol_t *protocol;
    const char *prefix;     //  Client ids or keys start with it
    const uint16_t *ports;  //  If set, connection i goes to ports[i %
                            //  port_count] instead of port
    int port_count;
} herd_bench_load_config_t;

typedef struct {
    uint64_t replies;
    uint64_t errors;  //  Error or short replies
    double seconds;
    double rate;  //  Replies per second
    int64_t p50_us, p99_us, max_us;
} herd_bench_load_result_t;

//  Run a load; results in *result.  Thread-safe (no shared state).  Exits
//  the program if the server cannot be reached or closes a connection.
void herd_bench_load_run (const herd_bench_load_config_t *config,
                          herd_bench_load_result_t *result);

//  A load to run in a thread of its own (herd_bench_load_thread).
typedef struct {
    herd_bench_load_config_t config;
    herd_bench_load_result_t result;
} herd_bench_load_job_t;

//  pthread start routine: runs the herd_bench_load_job_t at arg.
void *herd_bench_load_thread (void *arg);

//  The result as a JSON object.  Caller owns return value.
cJSON *herd_bench_load_json (const herd_bench_load_result_t *result);

//  Runs of each load in a table row; the median run is reported.
#define HERD_BENCH_ROUNDS 3

//  The run of median rate among HERD_BENCH_ROUNDS runs.
herd_bench_load_result_t
herd_bench_median_run (const herd_bench_load_result_t *runs);

//  ---------------------------------------------------------------------
//  The floor: the least a line server can do on this machine (one thread,
//  epoll, one read and one write per batch, a fixed AT line per line)

typedef struct {
    int listener;
    uint16_t port;  //  Where it listens, once started
    volatile bool stop;
    pthread_t thread;
} herd_bench_floor_t;

void herd_bench_floor_start (herd_bench_floor_t *self);

void herd_bench_floor_stop (herd_bench_floor_t *self);

//  ---------------------------------------------------------------------
//  Herds of real `herd node` processes

#define HERD_BENCH_NODES_MAX 64

typedef struct {
    const char *binary;  //  The herd program
    char dir[64];        //  Working directory: topology, logs, outputs
    size_t count;
    char names[HERD_BENCH_NODES_MAX][64];
    uint16_t ports[HERD_BENCH_NODES_MAX];  //  Client ports, once started
    size_t neighbours[HERD_BENCH_NODES_MAX][HERD_BENCH_NODES_MAX];
    size_t degrees[HERD_BENCH_NODES_MAX];
    uint16_t taps[HERD_BENCH_NODES_MAX];     //  Set before starting: taps
    uint16_t metrics[HERD_BENCH_NODES_MAX];  //  Set before starting:
                                             //  metrics pages
    pid_t pids[HERD_BENCH_NODES_MAX];
} herd_bench_herd_t;

//  An empty herd run by the herd program at binary, in a fresh temporary
//  directory.  Destroy with herd_bench_herd_destroy.
herd_bench_herd_t *herd_bench_herd_new (const char *binary);

//  Add a node; returns its index.
size_t herd_bench_herd_add (herd_bench_herd_t *self, const char *name);

void herd_bench_herd_link (herd_bench_herd_t *self, size_t a, size_t b);

bool herd_bench_herd_linked (herd_bench_herd_t *self, size_t a, size_t b);

//  The nodes and links of a topology file, read through `herd check`.
herd_bench_herd_t *herd_bench_herd_from_file (const char *binary,
                                              const char *path);

//  The shipped herd deploy/topologies/cs131-<year>.zpl, started with
//  settings (as herd_bench_herd_start).
herd_bench_herd_t *herd_bench_herd_shipped (const char *binary,
                                            const char *year,
                                            const char *settings);

//  The index of the node called name, or self->count if there is none.
size_t herd_bench_herd_index (herd_bench_herd_t *self, const char *name);

//  Distances from origin; returns the farthest node (the last one found)
//  and its distance in *hops.
size_t
herd_bench_herd_farthest (herd_bench_herd_t *self, size_t origin, int *hops);

//  The path of node index's log.  Caller owns return value.
char *herd_bench_herd_log (herd_bench_herd_t *self, size_t index);

//  Write the topology with fresh ports and settings (lines of the `herd`
//  section, or NULL), start every node, wait until every link is synced.
//  Returns 0; or -1 when a node exits first (a topology it refuses), with
//  that node's last line of output in reason and every node stopped.
int herd_bench_herd_try_start (herd_bench_herd_t *self,
                               const char *settings,
                               char *reason,
                               size_t size);

//  The same, but a herd that does not come up ends the program.
void herd_bench_herd_start (herd_bench_herd_t *self, const char *settings);

//  Stop every node, remove the directory (HERD_BENCH_KEEP=1 keeps it),
//  free the herd and set *self_p to NULL.  Accepts NULL.
void herd_bench_herd_destroy (herd_bench_herd_t **self_p);

//  ---------------------------------------------------------------------
//  What a running herd did: its nodes' metrics pages, their CPU time, the
//  records of their logs (herd_bench_probe.c)

//  The body of http://127.0.0.1:port/metrics (HTTP/1.0), or NULL if it
//  cannot be had within 2 s.  Caller owns return value.
char *herd_bench_metrics_page (uint16_t port);

//  The sum of the samples of Prometheus series name in page whose labels
//  hold label (every sample of it if label is NULL); 0 if there are none.
double
herd_bench_metric (const char *page, const char *name, const char *label);

//  CPU time of process pid so far, every thread, user and system, in
//  microseconds: utime + stime from /proc/PID/stat (whole clock ticks,
//  10 ms here); -1 if it cannot be read.
int64_t herd_bench_cpu_stat_us (pid_t pid);

//  The same total to the microsecond: the run time of each of its threads
//  (/proc/PID/task/TID/schedstat), the figure the kernel divides into
//  utime and stime; -1 if it cannot be read.
int64_t herd_bench_cpu_run_us (pid_t pid);

//  Times by sequence number, from the lines of the log at path that hold
//  needle then "seq=N", and also if not NULL (first line per N wins).
//  Returns an array indexed by seq (-1: absent) of *size entries.  Caller
//  owns return value.
int64_t *herd_bench_log_seq_times (const char *path,
                                   const char *needle,
                                   const char *also,
                                   size_t *size);

//  The lines a log gains, read as they come.
typedef struct {
    int fd;             //  The log, opened where it ended
    char carry[4096];   //  A line not yet ended
    size_t carry_size;  //  Its bytes
} herd_bench_tail_t;

//  Follow the log at path from its end.  Returns 0, or -1 if it cannot be
//  opened.
int herd_bench_tail_open (herd_bench_tail_t *self, const char *path);

//  Hand every line the log gained since the last call, without its
//  newline, to on_line with arg; returns how many.  A line longer than
//  the carry is cut.
size_t herd_bench_tail_read (herd_bench_tail_t *self,
                             void (*on_line) (void *arg, const char *line),
                             void *arg);

void herd_bench_tail_close (herd_bench_tail_t *self);

//  ---------------------------------------------------------------------
//  The sections in files of their own (the rest are in herd_bench.c)

//  Propagation to the farthest node of the CS 131 herds at 200/s, and at
//  peak / 2 (the IAMAT section's peak; 0: not run) for cs131-2022; ZeroMQ
//  alone over two hops; the machine's own stalls.  Into report's
//  "propagation" and "machine_stalls".
void herd_bench_section_propagation (cJSON *report,
                                     const char *binary,
                                     int64_t run_ms,
                                     double peak);

//  What an update costs in generated rings, random 4-regular herds and
//  stars of 5 and 20 nodes, and 50 if big_herds, under broadcast = flood
//  and broadcast = tree (issue 19), once warmed up, from one origin and
//  from several in turn.  Into report's "flood".
void herd_bench_section_flood (cJSON *report,
                               const char *binary,
                               int64_t run_ms,
                               bool big_herds);

//  Herd against Redis with replicas and a NATS cluster, in one run: rates
//  at 16 connections (floor, Redis SET, Redis SET + WAIT, herd, herd with
//  reply_after = store), black-box propagation, and the ratios against
//  their targets, as a table and as report's "rivals".
void
herd_bench_section_rivals (cJSON *report, const char *binary, int64_t run_ms);

#endif
