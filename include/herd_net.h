/*  herd_net - plain TCP helpers shared by herd's own servers (the tcp
    front end and the Places stub)  */

#ifndef HERD_NET_H_INCLUDED
#define HERD_NET_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Listen on host:port (port 0: the kernel picks), close-on-exec, and
//  non-blocking when asked.  Returns the port bound and sets *fd_p, or
//  returns -1 with errno set.
int
herd_net_listen (const char *host, uint16_t port, int nonblocking, int *fd_p);

//  "address:port" of the peer of a connected socket, numeric, into peer.
void herd_net_peer (int fd, char *peer, size_t size);

#endif
