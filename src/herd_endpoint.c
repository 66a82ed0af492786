/*  herd_endpoint - the endpoints a topology names  */

#include "herd_endpoint.h"

#include <czmq.h>

//  A decimal number from 0 to 65535 (leading zeros allowed).
static int
s_port (const char *text, uint16_t *port)
{
    size_t length = strlen (text);
    if (length == 0 || strspn (text, "0123456789") != length)
        return -1;
    long value = 0;
    for (const char *digit = text; *digit; digit++) {
        value = value * 10 + (*digit - '0');
        if (value > 65535)
            return -1;
    }
    *port = (uint16_t) value;
    return 0;
}

int
herd_endpoint_host_port (const char *text,
                         char *host,
                         size_t size,
                         uint16_t *port)
{
    assert (text && host && size > 0 && port);
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || s_port (colon + 1, port))
        return -1;
    const char *start = text;
    size_t length = (size_t) (colon - text);
    if (*start == '[') {
        if (length < 3 || start[length - 1] != ']')
            return -1;
        start++;
        length -= 2;
    }
    if (length >= size)
        return -1;
    memcpy (host, start, length);
    host[length] = 0;
    return 0;
}

int
herd_endpoint_tcp_check (const char *text)
{
    assert (text);
    if (strncmp (text, "tcp://", 6) != 0)
        return -1;
    const char *colon = strrchr (text + 6, ':');
    uint16_t port;
    if (!colon || colon == text + 6 || s_port (colon + 1, &port) || port == 0)
        return -1;
    return 0;
}

//  Does host stand for every address of the machine?
static bool
s_wildcard (const char *host)
{
    return streq (host, "*") || streq (host, "0.0.0.0") || streq (host, "::");
}

int
herd_endpoint_same (const char *a, const char *b)
{
    assert (a && b);
    if (strncmp (a, "tcp://", 6) == 0)
        a += 6;
    if (strncmp (b, "tcp://", 6) == 0)
        b += 6;
    char host_a[256], host_b[256];
    uint16_t port_a, port_b;
    if (herd_endpoint_host_port (a, host_a, sizeof (host_a), &port_a)
        || herd_endpoint_host_port (b, host_b, sizeof (host_b), &port_b))
        return streq (a, b);
    return port_a == port_b
           && (strcasecmp (host_a, host_b) == 0 || s_wildcard (host_a)
               || s_wildcard (host_b));
}
