/*  herd_net - plain TCP helpers shared by herd's own servers  */

#include "herd_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int
herd_net_listen (const char *host, uint16_t port, int nonblocking, int *fd_p)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf (service, sizeof (service), "%u", port);
    struct addrinfo *found = NULL;
    if (getaddrinfo (host, service, &hints, &found) || !found) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int type =
        found->ai_socktype | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
    int fd = socket (found->ai_family, type, 0);
    int one = 1;
    if (fd == -1
        || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one))
        || bind (fd, found->ai_addr, found->ai_addrlen) || listen (fd, 4096)) {
        int saved = errno;
        if (fd != -1)
            close (fd);
        freeaddrinfo (found);
        errno = saved;
        return -1;
    }
    freeaddrinfo (found);
    struct sockaddr_storage bound;
    socklen_t size = sizeof (bound);
    getsockname (fd, (struct sockaddr *) &bound, &size);
    *fd_p = fd;
    return bound.ss_family == AF_INET6
               ? ntohs (((struct sockaddr_in6 *) &bound)->sin6_port)
               : ntohs (((struct sockaddr_in *) &bound)->sin_port);
}

void
herd_net_peer (int fd, char *peer, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof (address);
    char host[INET6_ADDRSTRLEN] = "?";
    char port[8] = "?";
    if (getpeername (fd, (struct sockaddr *) &address, &length) == 0)
        getnameinfo ((struct sockaddr *) &address, length, host, sizeof (host),
                     port, sizeof (port), NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf (peer, size, "%s:%s", host, port);
}
