/*  herd_metrics - the node's numbers in the Prometheus text format, on an
    HTTP endpoint of its own (proto/monitor.md, section 4)

    A tiny HTTP/1.0 server in the node's loop: each connection is read until
    its request head is whole (or 8 KiB), answered with what the render
    callback writes, and closed.  It never waits on a client: a client that
    sends nothing for 5 s is dropped.  Owned by herd_node.  */

#ifndef HERD_METRICS_H_INCLUDED
#define HERD_METRICS_H_INCLUDED

#include <czmq.h>

//  Latency buckets of a histogram, in seconds (Prometheus "le" bounds).
#define HERD_METRICS_BUCKETS 12

//  A latency histogram.
typedef struct {
    uint64_t counts[HERD_METRICS_BUCKETS + 1];  //  Last one: +Inf
    uint64_t count;
    double sum;  //  Seconds
} herd_metrics_histogram_t;

//  The upper bound of bucket i in seconds (INFINITY for the last).
double herd_metrics_bound (size_t bucket);

//  Add an observation of seconds.
void herd_metrics_observe (herd_metrics_histogram_t *self, double seconds);

//  Write the histogram as Prometheus text: name_bucket{labels,le=...},
//  name_sum, name_count.  labels may be "" or 'key="value"'.
void herd_metrics_write_histogram (FILE *out,
                                   const char *name,
                                   const char *labels,
                                   const herd_metrics_histogram_t *self);

typedef struct _herd_metrics_t herd_metrics_t;

//  Writes the whole exposition on out.
typedef void (herd_metrics_render_fn) (void *arg, FILE *out);

//  Serve GET /metrics on host:port (port 0: any) in loop.  Returns NULL
//  (errno set) if it cannot listen.  *port_p gets the port bound.
herd_metrics_t *herd_metrics_new (zloop_t *loop,
                                  const char *host,
                                  uint16_t port,
                                  herd_metrics_render_fn *render,
                                  void *arg,
                                  int *port_p);

//  Close the listener and every connection; accepts NULL.  Call while the
//  loop still exists.
void herd_metrics_destroy (herd_metrics_t **self_p);

#endif
