/*  herd_front - the client front end: connections, lines in, replies out
    in request order

    The model is czmq's STREAM socket: a connection id, bytes in, bytes out,
    connect and close events.  Two transports sit behind it.  tcp, the
    default, is our own non-blocking accept/read/write on raw fds gathered
    in one epoll set that the node's zloop polls; it answers clients that
    half-close after sending (the CS 131 graders, nc -N).  stream is a czmq
    ZMQ_STREAM socket; it cannot (proto/client.md, section 7).  Each line
    gets a ticket; replies may be given in any order and leave in ticket
    order.  Owned by herd_node; lives in the node's thread.  */

#ifndef HERD_FRONT_H_INCLUDED
#define HERD_FRONT_H_INCLUDED

#include "herd_log.h"

#include <czmq.h>

//  Bytes read from a client per read() call.
#define HERD_FRONT_READ_SIZE 65536
//  A client is not read while this many reply bytes wait for it...
#define HERD_FRONT_PAUSE_BYTES 65536
//  ...or while this many of its commands wait for a reply.
#define HERD_FRONT_PIPELINE_MAX 128
//  After the node shuts down its side, the client has this long to close.
#define HERD_FRONT_DRAIN_MS 2000
//  stream only: input held for a paused client before it is cut off.
#define HERD_FRONT_BACKLOG_MAX (4 * HERD_FRONT_READ_SIZE)

typedef struct _herd_front_t herd_front_t;

//  Limits, from the topology (proto/topology.md).
typedef struct {
    size_t max_line;          //  Longest line, in bytes
    size_t max_connections;   //  Connections open at once
    size_t max_output;        //  Reply bytes queued per client before cut-off
    int64_t idle_timeout_ms;  //  No input and nothing pending: closed
    int64_t send_timeout_ms;  //  Replies queued, none taken: cut off
    bool stream;              //  Transport: ZMQ_STREAM instead of tcp
    int64_t max_rate;         //  Lines taken per client per second; 0: no limit
} herd_front_config_t;

//  A client sent a line (terminator removed; truncated as in herd_line).
//  The receiver must answer every ticket once with herd_front_reply, now or
//  later, possibly with zero bytes.  The front end does not log lines or
//  replies: the receiver, which knows what they are, does.
typedef void (herd_front_line_fn) (void *arg,
                                   uint64_t connection,
                                   uint64_t ticket,
                                   const char *line,
                                   size_t size,
                                   bool truncated);

//  The front end's handler is done with what it read this time (called
//  with the arg of herd_front_new): the node ends its turn, which includes
//  herd_front_settle.
typedef void (herd_front_turn_fn) (void *arg);

//  Create a front end.  log is borrowed and must outlive it.
herd_front_t *herd_front_new (const herd_front_config_t *config,
                              herd_log_t *log,
                              herd_front_line_fn *on_line,
                              void *arg);

//  Call fn at the end of every turn of the front end's handlers, after the
//  lines it read were given to on_line.  Without one, the front end
//  settles and flushes the log itself.
void herd_front_set_turn_end (herd_front_t *self, herd_front_turn_fn *fn);

//  Close every connection and the listener; accepts NULL, sets *self_p to
//  NULL.
void herd_front_destroy (herd_front_t **self_p);

//  Listen on host:port (port 0: the kernel picks).  Returns the port bound,
//  or -1 with errno set.
int herd_front_bind (herd_front_t *self, const char *host, uint16_t port);

//  Register the front end's poller and timer in loop.  Returns 0 or -1.
int herd_front_start (herd_front_t *self, zloop_t *loop);

//  Connections open now, and accepted since the start.
size_t herd_front_connections (herd_front_t *self);
uint64_t herd_front_accepted (herd_front_t *self);

//  Give the reply to ticket on connection.  data is copied.  Returns 0, or
//  -1 when the connection is gone (the reply is dropped).  A reply given
//  outside the front end's own handlers (an ACK came, Places answered, a
//  timer) is written at once.
int herd_front_reply (herd_front_t *self,
                      uint64_t connection,
                      uint64_t ticket,
                      const char *data,
                      size_t size);

//  The number of a connection id, as records show it (conn=N): numbers
//  count from 1 in the order connections were accepted.
uint64_t herd_front_number (uint64_t connection);

//  Free the connections cut off or finished since the last call: at the
//  end of every turn of the loop, never inside one (a connection may be on
//  the stack of the handler that doomed it).
void herd_front_settle (herd_front_t *self);

#endif
