/*  herd_endpoint - the endpoints a topology names  */

#include "herd_endpoint.h"

#include <czmq.h>

//  A decimal number of at most 5 digits, from 0 to 65535.
static int
s_port (const char *text, uint16_t *port)
{
    size_t length = strlen (text);
    if (length == 0 || length > 5 || strspn (text, "0123456789") != length)
        return -1;
    long value = atol (text);
    if (value > 65535)
        return -1;
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

int
herd_endpoint_same (const char *a, const char *b)
{
    assert (a && b);
    if (strncmp (a, "tcp://", 6) == 0)
        a += 6;
    if (strncmp (b, "tcp://", 6) == 0)
        b += 6;
    return streq (a, b);
}
