/*  herd_front_private - what herd_front shares with its transports

    herd_front.c holds what every transport needs: connections, tickets,
    replies in order, back-pressure, timeouts and the log.  A transport
    (herd_front_tcp.c, herd_front_stream.c) moves bytes: it accepts, reads
    and writes, and calls back into herd_front for the rest.  Not a public
    header: only these three files include it.  */

#ifndef HERD_FRONT_PRIVATE_H_INCLUDED
#define HERD_FRONT_PRIVATE_H_INCLUDED

#include "herd_front.h"
#include "herd_buf.h"
#include "herd_line.h"

//  A reply that is ready before the replies to earlier lines.
typedef struct _herd_front_slot_t {
    struct _herd_front_slot_t *next;  //  Next by ticket
    uint64_t ticket;
    size_t size;
    char data[];
} herd_front_slot_t;

typedef struct _herd_front_conn_t {
    struct _herd_front_t *front;  //  Owner, for the splitter's callback
    uint64_t id;                  //  (number << 32) | index
    uint64_t number;              //  Shown in the log
    size_t index;                 //  In the front's table
    int fd;                       //  tcp: the socket
    byte stream_id[256];          //  stream: routing id of the connection
    size_t stream_id_size;
    char peer[64];               //  Client address, for the log
    herd_line_t *line;           //  Partial input line
    uint64_t next_ticket;        //  Ticket of the next line read
    uint64_t flush_ticket;       //  Ticket whose reply goes out next
    herd_front_slot_t *pending;  //  Out-of-order replies, by ticket
    herd_buf_t *out;             //  Replies not yet written
    herd_buf_t *backlog;         //  Input not yet split: waits while the
                                 //  client has too much outstanding; NULL
                                 //  until a client first has some
    uint32_t events;             //  tcp: registered with epoll
    bool eof;                    //  The client has finished sending
    bool shut;                   //  We stopped writing; draining input
    bool gone;                   //  stream: the peer disconnected
    bool doomed;                 //  To be closed at the end of this turn
    const char *why;             //  Reason logged when closed
    int64_t last_input;          //  Monotonic ms
    int64_t last_progress;       //  Last time output was taken, or none was due
    int64_t shut_at;
    double tokens;     //  Lines it may send now (max_rate)
    int64_t refilled;  //  When tokens was last topped up
    bool rate_paused;  //  Not read until a token is due
    struct _herd_front_conn_t *next_doomed;
} herd_front_conn_t;

//  What a transport does.  Every function is called from the node's loop.
typedef struct {
    //  Listen on host:port; returns the port bound or -1 (errno set).
    int (*bind) (herd_front_t *self, const char *host, uint16_t port);
    //  Register the transport's pollers in loop; 0 or -1.
    int (*start) (herd_front_t *self, zloop_t *loop);
    //  Write as much of conn's queued output as the transport takes now;
    //  doom conn on a hard error.
    void (*write) (herd_front_t *self, herd_front_conn_t *conn);
    //  Stop writing to conn, gracefully.
    void (*shutdown) (herd_front_t *self, herd_front_conn_t *conn);
    //  Ask for input and output readiness as conn now needs them.
    void (*update) (herd_front_t *self, herd_front_conn_t *conn);
    //  Release conn's socket or routing id.
    void (*close) (herd_front_t *self, herd_front_conn_t *conn);
    //  Free the transport's own state.
    void (*destroy) (herd_front_t *self);
} herd_front_transport_t;

extern const herd_front_transport_t herd_front_tcp;
extern const herd_front_transport_t herd_front_stream;

//  State common to the front end and its transport.
struct _herd_front_t {
    herd_front_config_t config;
    const herd_front_transport_t *transport;
    void *io;                     //  The transport's own state
    herd_log_t *log;              //  Borrowed
    herd_front_line_fn *on_line;  //  The node's handler
    void *arg;
    herd_front_turn_fn *on_turn_end;  //  Or NULL
    herd_front_conn_t **conns;        //  By index; NULL is free
    size_t conns_capacity;
    size_t count;                //  Open connections
    uint64_t numbers;            //  Connections ever accepted
    herd_front_conn_t *doomed;   //  Closed at the end of the turn
    herd_front_conn_t *reading;  //  Being read: its replies wait for
                                 //  the end of the batch
    zloop_t *loop;
    int resume_timer;  //  Pending, or -1
    int rate_timer;    //  Pending, or -1: wakes rate-paused clients
};

//  A client connected: a new connection, logged; or NULL (and a logged
//  refusal) when max_connections are open.
herd_front_conn_t *herd_front_conn_open (herd_front_t *self, const char *peer);

//  Bytes from the client: split into lines and dispatched, or kept in the
//  backlog while the client has too much outstanding.
void herd_front_conn_input (herd_front_t *self,
                            herd_front_conn_t *conn,
                            const char *data,
                            size_t size);

//  The client finished sending (EOF): its last partial line is a command.
void herd_front_conn_eof (herd_front_t *self, herd_front_conn_t *conn);

//  Write what is queued, and close if the client is done.
void herd_front_conn_flush (herd_front_t *self, herd_front_conn_t *conn);

//  Close conn at the end of this turn, logging why.
void herd_front_conn_doom (herd_front_t *self,
                           herd_front_conn_t *conn,
                           const char *why);

//  Reply bytes queued and not yet written.
size_t herd_front_conn_queued (herd_front_conn_t *conn);

//  Should the client's input wait (too much outstanding, or a backlog)?
bool herd_front_conn_paused (herd_front_conn_t *conn);

//  The transport wrote the first size bytes of the queued output (at
//  herd_buf_data (conn->out)): drop them and note the progress.
void herd_front_conn_wrote (herd_front_conn_t *conn, size_t size);

//  End of a turn of a transport's handler: close the doomed, flush the log.
void herd_front_turn_end (herd_front_t *self);

#endif
