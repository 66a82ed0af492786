/*  herd_bench_protocol - what the load generator's requests are and where
    their replies end: herd's IAMAT and WHATSAT, Redis's inline SET, and
    SET + WAIT as one request

    A scan takes a read's bytes up to the end of one reply at a time
    (memchr for a line), not a call per byte.  */

#include "herd_bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

//  A client timestamp newer than every one made before by this thread and
//  in earlier runs: the wall clock, one nanosecond on if it has not moved.
//  (A stamp a node already holds would make the update stale: no flood and
//  no ACK to wait for, a cheaper request than a real one.)  Per thread:
//  load threads running at once use client ids of their own.
static void
s_fresh_stamp (int64_t *seconds, int64_t *nanos)
{
    static _Thread_local int64_t last;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t stamp = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
    if (stamp <= last)
        stamp = last + 1;
    last = stamp;
    *seconds = stamp / 1000000000;
    *nanos = stamp % 1000000000;
}

static int
s_request_iamat (
    const char *prefix, int index, uint64_t n, char *line, size_t size)
{
    int64_t seconds, nanos;
    s_fresh_stamp (&seconds, &nanos);
    return snprintf (line, size,
                     "IAMAT %s%d-%" PRIu64 " +34.068930-118.445127 %" PRId64
                     ".%09" PRId64 "\n",
                     prefix, index, n % 100, seconds, nanos);
}

static int
s_request_iamat_fresh (
    const char *prefix, int index, uint64_t n, char *line, size_t size)
{
    return snprintf (line, size,
                     "IAMAT %s%d-%" PRIu64
                     " +34.068930-118.445127 1700000000.%09" PRIu64 "\n",
                     prefix, index, n, n % 1000000000);
}

static int
s_request_whatsat (
    const char *prefix, int index, uint64_t n, char *line, size_t size)
{
    (void) index;
    (void) n;
    return snprintf (line, size, "WHATSAT %s 10 5\n", prefix);
}

static int
s_request_redis_set (
    const char *prefix, int index, uint64_t n, char *line, size_t size)
{
    return snprintf (line, size, "SET %s%d-%" PRIu64 " v\r\n", prefix, index,
                     n % 100);
}

static int
s_request_redis_set_wait (
    const char *prefix, int index, uint64_t n, char *line, size_t size)
{
    return snprintf (line, size, "SET %s%d-%" PRIu64 " v\r\nWAIT %d 100\r\n",
                     prefix, index, n % 100, HERD_BENCH_REDIS_REPLICAS);
}

//  A reply is a line (IAMAT's AT line, or "? ..." for an error).
static size_t
s_scan_line (herd_bench_reply_t *reply,
             const char *data,
             size_t size,
             bool *done,
             bool *error)
{
    if (!reply->started) {
        reply->started = true;
        reply->error = data[0] == '?';
    }
    const char *end = (const char *) memchr (data, '\n', size);
    if (!end)
        return size;
    *done = true;
    *error = reply->error;
    memset (reply, 0, sizeof (*reply));
    return (size_t) (end - data) + 1;
}

//  A reply ends with an empty line; an error reply is one line.
static size_t
s_scan_whatsat (herd_bench_reply_t *reply,
                const char *data,
                size_t size,
                bool *done,
                bool *error)
{
    for (size_t b = 0; b < size; b++) {
        char c = data[b];
        if (!reply->started) {
            reply->started = true;
            reply->error = c == '?';
            reply->last = 0;
        }
        bool end = c == '\n' && (reply->error || reply->last == '\n');
        reply->last = c;
        if (end) {
            *done = true;
            *error = reply->error;
            memset (reply, 0, sizeof (*reply));
            return b + 1;
        }
    }
    return size;
}

//  A reply is parts Redis simple replies, each a type byte and a line:
//  "+OK", or WAIT's ":N".  An error ('-', or anything but '+' and ':'), or
//  an N below the replicas asked for, makes the whole reply an error.
static size_t
s_scan_redis (herd_bench_reply_t *reply,
              const char *data,
              size_t size,
              int parts,
              bool *done,
              bool *error)
{
    for (size_t b = 0; b < size; b++) {
        char c = data[b];
        if (!reply->type) {
            reply->type = c;
            reply->number = 0;
            continue;
        }
        if (c >= '0' && c <= '9')
            reply->number = reply->number * 10 + (c - '0');
        if (c != '\n')
            continue;
        if ((reply->type != '+' && reply->type != ':')
            || (reply->type == ':'
                && reply->number < HERD_BENCH_REDIS_REPLICAS))
            reply->error = true;
        reply->type = 0;
        if (++reply->parts == parts) {
            *done = true;
            *error = reply->error;
            memset (reply, 0, sizeof (*reply));
            return b + 1;
        }
    }
    return size;
}

static size_t
s_scan_redis_one (herd_bench_reply_t *reply,
                  const char *data,
                  size_t size,
                  bool *done,
                  bool *error)
{
    return s_scan_redis (reply, data, size, 1, done, error);
}

static size_t
s_scan_redis_two (herd_bench_reply_t *reply,
                  const char *data,
                  size_t size,
                  bool *done,
                  bool *error)
{
    return s_scan_redis (reply, data, size, 2, done, error);
}

const herd_bench_protocol_t herd_bench_iamat = {s_request_iamat, s_scan_line};
const herd_bench_protocol_t herd_bench_iamat_fresh = {s_request_iamat_fresh,
                                                      s_scan_line};
const herd_bench_protocol_t herd_bench_whatsat = {s_request_whatsat,
                                                  s_scan_whatsat};
const herd_bench_protocol_t herd_bench_redis_set = {s_request_redis_set,
                                                    s_scan_redis_one};
const herd_bench_protocol_t herd_bench_redis_set_wait = {
    s_request_redis_set_wait, s_scan_redis_two};
