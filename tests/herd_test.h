/*  herd_test - harness for herd's tests: real node processes on loopback,
    free ports from the kernel, raw TCP clients, and waits with deadlines

    No test sleeps to synchronise and none uses a fixed port: every wait is
    herd_test_wait_until or a read with a deadline.  */

#ifndef HERD_TEST_H_INCLUDED
#define HERD_TEST_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <czmq.h>

#include "herd_log.h"
#include "herd_wire.h"

//  Poll cond (arg) every few milliseconds until it is true or deadline_ms
//  pass.  Returns whether it became true.
typedef bool (herd_test_cond_fn) (void *arg);
bool herd_test_wait_until (herd_test_cond_fn *cond, void *arg, int deadline_ms);

//  Run `env ENV HERD ARGUMENTS` (HERD: $HERD_BIN, else build/herd; env:
//  "VAR=value ..." or ""; stdin /dev/null): its stdout and stderr go into
//  *out and *err (fresh).  Returns its exit status, -1 if it did not exit.
int herd_test_command (const char *env,
                       const char *arguments,
                       char **out,
                       char **err);

//  A port on 127.0.0.1 that the kernel just gave out and took back.
uint16_t herd_test_free_port (void);

//  What this process writes on stdout and stderr, caught in a file between
//  herd_test_capture_begin and herd_test_capture_end (which restores both
//  and returns how many bytes were written meanwhile).
typedef struct {
    int file;  //  The temporary file, already unlinked
    int out;   //  stdout and stderr as they were
    int err;
} herd_test_capture_t;
void herd_test_capture_begin (herd_test_capture_t *capture);
size_t herd_test_capture_end (herd_test_capture_t *capture);

//  Neighbours whose ACKs an IAMAT reply can wait for (HERD_ACK_LINKS_MAX).
#define HERD_TEST_SLOTS 64

//  A herd of real `herd node` processes in a temporary directory (up to
//  80 nodes).
typedef struct _herd_test_herd_t herd_test_herd_t;

//  Write a topology for nodes names[0..count) joined by links ("A B"
//  strings) with free ports, and herd-level settings (ZPL lines indented 4
//  spaces, or NULL).  Nothing is started.
herd_test_herd_t *herd_test_herd_new (const char **names,
                                      size_t count,
                                      const char **links,
                                      size_t link_count,
                                      const char *settings);

//  Write the topology file again with only the first count nodes and the
//  first links links (same ports and settings): for reload tests.
void
herd_test_herd_rewrite (herd_test_herd_t *self, size_t count, size_t links);

//  Give node name settings of its own (ZPL lines indented 8 spaces):
//  rewrites the topology file.
void herd_test_herd_node_settings (herd_test_herd_t *self,
                                   const char *name,
                                   const char *settings);

//  The same for the nodes and links of a topology file.
herd_test_herd_t *herd_test_herd_from_file (const char *path,
                                            const char *settings);

//  Stop every node (SIGTERM, then SIGKILL) and remove the directory.
void herd_test_herd_destroy (herd_test_herd_t **self_p);

//  Start node name and wait until it is ready; asserts on failure.
void herd_test_herd_start (herd_test_herd_t *self, const char *name);

//  Start every node and wait until every link is up.
void herd_test_herd_start_all (herd_test_herd_t *self);

//  Send signal to node name; if it is SIGKILL or SIGTERM, wait for it.
//  Returns the milliseconds it took to exit (0 for other signals).
int64_t
herd_test_herd_signal (herd_test_herd_t *self, const char *name, int signal);

//  What a grader does (herd_test_grader) with a one-line request (an
//  IAMAT) at node, within 10 s: the reply, which must end with LF,
//  without it.  Caller owns it.
char *
herd_test_iamat (herd_test_herd_t *self, const char *node, const char *request);

//  Have every node bind 0.0.0.0 (bind, client_bind) and be dialled as
//  localhost (herd, client): rewrites the topology file.
void herd_test_herd_by_name (herd_test_herd_t *self);

//  Give every node a tap on a free port (rewrites the topology file).
void herd_test_herd_taps (herd_test_herd_t *self);

//  Process id of node name (0 if it is not running).
int herd_test_herd_pid (herd_test_herd_t *self, const char *name);

//  Resident memory of process pid, in KiB (0 if unknown).
size_t herd_test_rss_kib (int pid);

//  Herd endpoint of node name ("tcp://127.0.0.1:PORT").  Caller owns it.
char *herd_test_herd_endpoint (herd_test_herd_t *self, const char *name);

//  Client port of node name.
uint16_t herd_test_herd_port (herd_test_herd_t *self, const char *name);

//  Node names, in order, and how many.
size_t herd_test_herd_size (herd_test_herd_t *self);
const char *herd_test_herd_name (herd_test_herd_t *self, size_t index);

//  Number of links.
size_t herd_test_herd_links (herd_test_herd_t *self);

//  Path of the topology file and of node name's log file.  Caller owns
//  return value for the log path.
const char *herd_test_herd_topology (herd_test_herd_t *self);
char *herd_test_herd_log_path (herd_test_herd_t *self, const char *name);

//  How many times needle appears in node name's log (0 if no log).
size_t herd_test_herd_log_count (herd_test_herd_t *self,
                                 const char *name,
                                 const char *needle);

//  Send messages[] (NULL-terminated, consumed) to node's inbox as a
//  neighbour called name would, over one DEALER of the test's own.  One
//  connection: with ROUTER_HANDOVER, a second under the same name would
//  take over and drop what the first had not yet delivered.
void herd_test_herd_pose (herd_test_herd_t *self,
                          const char *node,
                          const char *name,
                          zmsg_t *messages[]);

//  How many times needle appears in every node's log, in all.
size_t herd_test_herd_log_total (herd_test_herd_t *self, const char *needle);

//  Wait until node name's log holds needle at least count times.
bool herd_test_herd_log_wait (herd_test_herd_t *self,
                              const char *name,
                              const char *needle,
                              size_t count,
                              int deadline_ms);

//  Start the herd binary with arguments (NULL-terminated, at most 8),
//  output to a file, and wait until that output contains ready.  Returns
//  the pid; asserts on failure.
int herd_test_spawn (const char *const arguments[], const char *ready);

//  Start `herd places-stub` on a free port of 127.0.0.1, set *port_p, and
//  wait until it is ready.  Returns its pid (stop it with herd_test_stop).
int herd_test_stub (uint16_t *port_p);

//  SIGTERM pid and wait for it.  Returns its exit code (-1: killed).
int herd_test_stop (int pid);

//  Connect to 127.0.0.1:port (blocking socket).  Asserts on failure.
int herd_test_connect (uint16_t port);

//  Send all of data.  Asserts on failure.
void herd_test_send (int fd, const char *data, size_t size);

//  Read until size bytes arrived, EOF, or deadline.  Returns bytes read.
size_t herd_test_read (int fd, char *buffer, size_t size, int deadline_ms);

//  Read until the bytes read end with suffix, EOF, or deadline.  Caller
//  owns return value (NUL-terminated; *size_p gets the length).
char *herd_test_read_until (int fd,
                            const char *suffix,
                            size_t *size_p,
                            int deadline_ms);

//  Is the peer's side closed (EOF or reset) within deadline_ms?
bool herd_test_closed (int fd, int deadline_ms);

//  What the CS 131 graders do: connect, write request, half-close, read
//  until EOF (at most 1 MB).  Caller owns return value (NUL-terminated).
char *herd_test_grader (uint16_t port, const char *request, int deadline_ms);

//  What `nc -w` does: connect, write request, keep the write side open and
//  read until a reply to every command of request has come (an AT or `? `
//  line each; a WHATSAT's also its JSON and blank line), then close.
//  Caller owns return value (NUL-terminated).
char *herd_test_exchange (uint16_t port, const char *request, int deadline_ms);

//  A log of node name in a new temporary directory (directory: room for
//  32 bytes, filled in), and its removal with the directory.
herd_log_t *herd_test_log_new (char *directory, const char *name);
void herd_test_log_destroy (herd_log_t **log_p,
                            const char *directory,
                            const char *name);

//  A ROUTER standing in for a neighbour's inbox, not bound yet, whose
//  reads wait at most 5 s; and an inproc endpoint of its own to bind
//  (an inproc name stays taken until libzmq's reaper has closed the
//  socket that held it), into endpoint (room for 64 bytes).
zsock_t *herd_test_router_new (void);
void herd_test_inproc (char *endpoint, const char *prefix);

//  A message of a command no node knows ("MARK"): it goes through a link
//  like any other and decodes as HERD_WIRE_OTHER, to mark a point in what
//  a router receives.  Caller owns it.
zmsg_t *herd_test_marker (void);

//  The next message router received, decoded into wire; it must come from
//  sender, with command.  SNAPMARKs before it are skipped, unless command
//  is HERD_WIRE_SNAPMARK.  Caller destroys it (wire points into it).
zmsg_t *herd_test_receive (zsock_t *router,
                           const char *sender,
                           herd_wire_t *wire,
                           herd_wire_command_t command);

//  The next message router received is a marker from sender.
void herd_test_expect_marker (zsock_t *router, const char *sender);

//  A herd AT message of one update, as a neighbour's DEALER sends it
//  (proto/herd.md, section 2).  Caller owns return value.
zmsg_t *herd_test_at (const char *originator,
                      uint64_t epoch,
                      uint64_t sequence,
                      const char *seen,
                      const char *line);

//  `herd monitor -t topology MODE [ARG]` writing its output to path (and
//  its stderr to path.err); returns its pid once it says it is ready.
int herd_test_monitor (const char *topology,
                       const char *path,
                       const char *mode,
                       const char *arg);

//  Stop a monitor with SIGTERM; it must exit 0.
void herd_test_monitor_stop (int pid);

//  Remove a monitor's output and its .err file.
void herd_test_monitor_remove (const char *path);

//  Lines of the file at path that hold needle (0 if there is no file).
size_t herd_test_file_count (const char *path, const char *needle);

//  Lines of the file at path that hold every needle given (NULL-ended).
size_t herd_test_file_count_all (const char *path, const char *const needles[]);

//  Does the file at path hold needle on at least count lines?  A
//  herd_test_cond_fn of a herd_test_seen_t.
typedef struct {
    const char *path;
    const char *needle;
    size_t count;
} herd_test_seen_t;
bool herd_test_file_has (void *arg);

//  A started herd of count (2 or 3) nodes in a chain, A - B - C, with taps.
herd_test_herd_t *herd_test_tapped_chain (size_t count);

//  A topology file (path, a mkstemp template, filled in) of nodes
//  names[0..count) whose taps are XPUB sockets of our own, bound here
//  (taps[0..count)), linked in a chain.
void herd_test_own_taps (char *path,
                         const char *const *names,
                         size_t count,
                         zsock_t **taps);

//  Links of a random 4-regular herd of count nodes names[0..count)
//  (count even, 6 to 80): a ring and two random perfect matchings that
//  repeat no link, the same for the same seed.  links[0..2 count) get "A
//  B" strings (caller frees each); returns how many (2 count).
size_t herd_test_regular_links (const char *const *names,
                                size_t count,
                                unsigned seed,
                                char **links);

//  An update as the nodes' logs tell it (herd_test_updates).  A node that
//  took it only as stale held a newer record of its client already.
typedef struct {
    size_t originator;      //  Its originator: an index into the logs
    int64_t stored_us;      //  When it stored it from its client (log time)
    int64_t everywhere_us;  //  When the last other log that stored it did;
                            //  0 if one took it neither stored nor stale
    size_t superseded;      //  Other logs that took it only as stale
    size_t missing;         //  Other logs that never took it (a node does
                            //  not pass on what it holds no longer, and
                            //  does not log a catch-up's records one by one)
} herd_test_logged_t;

//  What the updates[0..count) stored by their originators from from_us to
//  before to_us say, those every log took left aside for the times (µs):
typedef struct {
    size_t updates;            //  Stored in that time
    size_t superseded;         //  Of which some log took stale or never
    size_t unreached;          //  Of which some log never took
    int64_t last_us;           //  When the last was stored by every log
                               //  that stored it
    int64_t longest_us;        //  The longest any took to get there
    int64_t first_last_us;     //  The same of each originator's first
    int64_t first_longest_us;  //  (0: none)
} herd_test_spread_t;
void herd_test_spread (const herd_test_logged_t *updates,
                       size_t count,
                       int64_t from_us,
                       int64_t to_us,
                       herd_test_spread_t *spread);

//  Now as the logs stamp it: microseconds since the epoch (wall clock).
int64_t herd_test_wall_us (void);

//  The updates that the logs at paths[0..count) (one node's each, at most
//  80) show stored from clients, in the order they were, into *updates_p
//  (caller frees it).  Returns how many.
size_t herd_test_updates (const char *const *paths,
                          size_t count,
                          herd_test_logged_t **updates_p);

//  A log time, "2026-11-23T16:20:00.123456Z", micros after base.
void
herd_test_stamp (char *out, size_t size, struct timespec base, int64_t micros);

#endif
