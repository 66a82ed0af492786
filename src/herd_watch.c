/*  herd_watch - a ZeroMQ socket read in a zloop through its ZMQ_FD  */

#include "herd_watch.h"

struct _herd_watch_t {
    zloop_t *loop;
    zsock_t *socket;  //  Borrowed
    herd_watch_fn *fn;
    void *arg;
    int timer;  //  The zero-delay timer armed, or -1
};

static int s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static int
s_on_again (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    herd_watch_t *self = (herd_watch_t *) arg;
    self->timer = -1;
    return s_on_ready (loop, NULL, arg);
}

//  Look again on the next turn, if not already asked.  (zloop_timer fails
//  only past a limit of timers, which the node never sets; memory runs
//  out in zmalloc, which aborts.)
static void
s_again (herd_watch_t *self)
{
    if (self->timer == -1)
        self->timer = zloop_timer (self->loop, 0, 1, s_on_again, self);
}

static int
s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    herd_watch_t *self = (herd_watch_t *) arg;
    int rc = self->fn (self->arg);
    //  A read that found nothing (EAGAIN) has taken in the socket's notices
    //  and re-armed the descriptor: no need to ask ZMQ_EVENTS, two system
    //  calls.  A handler that stopped at its batch size left more to read.
    if (rc == 1)
        s_again (self);
    return rc == -1 ? -1 : 0;
}

herd_watch_t *
herd_watch_new (zloop_t *loop, zsock_t *socket, herd_watch_fn *fn, void *arg)
{
    assert (loop && socket && fn);
    herd_watch_t *self = (herd_watch_t *) zmalloc (sizeof (herd_watch_t));
    self->loop = loop;
    self->socket = socket;
    self->fn = fn;
    self->arg = arg;
    self->timer = -1;
    zmq_pollitem_t item = {NULL, zsock_fd (socket), ZMQ_POLLIN, 0};
    if (zloop_poller (loop, &item, s_on_ready, self)) {
        free (self);
        return NULL;
    }
    return self;
}

void
herd_watch_destroy (herd_watch_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_watch_t *self = *self_p;
        zmq_pollitem_t item = {NULL, zsock_fd (self->socket), ZMQ_POLLIN, 0};
        zloop_poller_end (self->loop, &item);
        if (self->timer != -1)
            zloop_timer_end (self->loop, self->timer);
        free (self);
        *self_p = NULL;
    }
}

void
herd_watch_poke (herd_watch_t *self)
{
    assert (self);
    s_again (self);
}
