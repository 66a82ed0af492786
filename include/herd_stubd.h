/*  herd_stubd - the offline Places server: HTTP/1.1 on plain TCP,
    answering with herd_stub

    A test and demo tool, not part of a node: `herd places-stub` runs it.
    Keep-alive and many clients at once; an answer that must wait (a slow
    key, or --delay) waits on a timer, never holding up other clients.  */

#ifndef HERD_STUBD_H_INCLUDED
#define HERD_STUBD_H_INCLUDED

#include <czmq.h>

//  Largest request accepted, headers and body.
#define HERD_STUBD_REQUEST_MAX (1024 * 1024)

typedef struct _herd_stubd_t herd_stubd_t;

//  Create a server whose every answer waits delay_ms more.
herd_stubd_t *herd_stubd_new (int delay_ms);

//  Destroy it, closing every connection; accepts NULL, sets *self_p NULL.
void herd_stubd_destroy (herd_stubd_t **self_p);

//  Listen on host:port (0: the kernel picks) and serve in loop.  Returns
//  the port, or -1 with errno set.
int herd_stubd_bind (herd_stubd_t *self,
                     zloop_t *loop,
                     const char *host,
                     uint16_t port);

#endif
