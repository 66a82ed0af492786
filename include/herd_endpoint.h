/*  herd_endpoint - the endpoints a topology names: "host:port" for
    clients and metrics, "tcp://host:port" for herd links and the tap

    Pure text checks and splits; nothing is resolved or opened.  */

#ifndef HERD_ENDPOINT_H_INCLUDED
#define HERD_ENDPOINT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Split "host:port" or "[v6]:port" (port 0 to 65535) into host (without
//  brackets, NUL-terminated, fewer than size bytes) and port.  Returns 0,
//  or -1 if text is not that.
int herd_endpoint_host_port (const char *text,
                             char *host,
                             size_t size,
                             uint16_t *port);

//  Is text "tcp://host:port" with a host and a port from 1 to 65535?
//  Returns 0 if so, else -1.
int herd_endpoint_tcp_check (const char *text);

//  Do two endpoints name the same host and port?  Either may be written
//  with or without "tcp://".
int herd_endpoint_same (const char *a, const char *b);

#endif
