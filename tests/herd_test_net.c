/*  herd_test - harness for herd's tests: raw TCP clients with deadlines,
    and herd messages made by hand  */

#include "herd_test.h"
#include "herd_wire.h"

#include <czmq.h>
#include <poll.h>
#include <sys/socket.h>

int
herd_test_connect (uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons (port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof (address)))
        fail_msg ("connect to port %u: %s", port, strerror (errno));
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    return fd;
}

void
herd_test_send (int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t rc = send (fd, data, size, MSG_NOSIGNAL);
        if (rc == -1 && errno == EINTR)
            continue;
        if (rc <= 0)
            fail_msg ("send: %s", strerror (errno));
        data += rc;
        size -= (size_t) rc;
    }
}

//  Wait for input until the deadline; returns false on timeout.
static bool
s_readable (int fd, int64_t deadline)
{
    int64_t left = deadline - zclock_mono ();
    if (left <= 0)
        return false;
    struct pollfd item = {fd, POLLIN, 0};
    return poll (&item, 1, (int) left) > 0;
}

size_t
herd_test_read (int fd, char *buffer, size_t size, int deadline_ms)
{
    int64_t deadline = zclock_mono () + deadline_ms;
    size_t done = 0;
    while (done < size && s_readable (fd, deadline)) {
        ssize_t rc = recv (fd, buffer + done, size - done, 0);
        if (rc <= 0)
            break;
        done += (size_t) rc;
    }
    return done;
}

//  Read until done (buffer, size, arg) says so, EOF, or the deadline.
//  Caller owns return value (NUL-terminated; *size_p gets the length).
typedef bool (s_done_fn) (const char *buffer, size_t size, const void *arg);

static char *
s_read_until_done (
    int fd, s_done_fn *done, const void *arg, size_t *size_p, int deadline_ms)
{
    int64_t deadline = zclock_mono () + deadline_ms;
    size_t capacity = 4096, size = 0;
    char *buffer = (char *) zmalloc (capacity + 1);
    while (!done (buffer, size, arg) && s_readable (fd, deadline)) {
        if (size == capacity) {
            capacity *= 2;
            char *bigger = (char *) realloc (buffer, capacity + 1);
            assert_non_null (bigger);
            buffer = bigger;
        }
        ssize_t rc = recv (fd, buffer + size, capacity - size, 0);
        if (rc <= 0)
            break;
        size += (size_t) rc;
        buffer[size] = 0;
    }
    buffer[size] = 0;
    if (size_p)
        *size_p = size;
    return buffer;
}

static bool
s_ends_with (const char *buffer, size_t size, const void *arg)
{
    const char *suffix = (const char *) arg;
    size_t suffix_size = suffix ? strlen (suffix) : 0;
    return suffix && size >= suffix_size
           && memcmp (buffer + size - suffix_size, suffix, suffix_size) == 0;
}

char *
herd_test_read_until (int fd,
                      const char *suffix,
                      size_t *size_p,
                      int deadline_ms)
{
    return s_read_until_done (fd, s_ends_with, suffix, size_p, deadline_ms);
}

bool
herd_test_closed (int fd, int deadline_ms)
{
    int64_t deadline = zclock_mono () + deadline_ms;
    char buffer[4096];
    while (s_readable (fd, deadline)) {
        ssize_t rc = recv (fd, buffer, sizeof (buffer), 0);
        if (rc <= 0)
            return true;
    }
    return false;
}

char *
herd_test_grader (uint16_t port, const char *request, int deadline_ms)
{
    int fd = herd_test_connect (port);
    herd_test_send (fd, request, strlen (request));
    shutdown (fd, SHUT_WR);
    char *reply = herd_test_read_until (fd, NULL, NULL, deadline_ms);
    close (fd);
    return reply;
}

//  Have replies to every command of request arrived in text?
static bool
s_replies_complete (const char *text, size_t size, const void *arg)
{
    const char *request = (const char *) arg;
    size_t at = 0;
    const char *line = request;
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t) (end - line) : strlen (line);
        bool blank = strspn (line, " \t\r\v\f") >= length;
        bool whatsat = strncmp (line, "WHATSAT", 7) == 0;
        line += length + (end ? 1 : 0);
        if (blank)
            continue;
        const char *newline =
            (const char *) memchr (text + at, '\n', size - at);
        if (!newline)
            return false;
        bool refused = text[at] == '?';
        at = (size_t) (newline - text) + 1;
        if (whatsat && !refused) {
            //  The JSON ends with a line "}" followed by an empty line
            const char *json_end = NULL;
            for (size_t i = at; i + 3 <= size && !json_end; i++)
                if (memcmp (text + i, "}\n\n", 3) == 0 && i > 0
                    && text[i - 1] == '\n')
                    json_end = text + i;
            if (!json_end)
                return false;
            at = (size_t) (json_end - text) + 3;
        }
    }
    return true;
}

char *
herd_test_exchange (uint16_t port, const char *request, int deadline_ms)
{
    int fd = herd_test_connect (port);
    herd_test_send (fd, request, strlen (request));
    char *reply =
        s_read_until_done (fd, s_replies_complete, request, NULL, deadline_ms);
    close (fd);
    return reply;
}

zmsg_t *
herd_test_at (const char *originator,
              uint64_t epoch,
              uint64_t sequence,
              const char *seen,
              const char *line)
{
    herd_wire_batch_t *batch = herd_wire_batch_new ();
    assert_int_equal (herd_wire_batch_add (batch, originator, epoch, sequence,
                                           seen, line, strlen (line)),
                      0);
    zmsg_t *msg = herd_wire_batch_take (batch);
    herd_wire_batch_destroy (&batch);
    return msg;
}

herd_log_t *
herd_test_log_new (char *directory, const char *name)
{
    strcpy (directory, "/tmp/herd-test-log-XXXXXX");
    assert_non_null (mkdtemp (directory));
    herd_log_t *log = herd_log_new (directory, name, false);
    assert_non_null (log);
    return log;
}

void
herd_test_log_destroy (herd_log_t **log_p,
                       const char *directory,
                       const char *name)
{
    herd_log_destroy (log_p);
    char *path = zsys_sprintf ("%s/%s.log", directory, name);
    unlink (path);
    free (path);
    rmdir (directory);
}

zsock_t *
herd_test_router_new (void)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert_non_null (router);
    zsock_set_rcvtimeo (router, 5000);
    return router;
}

void
herd_test_inproc (char *endpoint, const char *prefix)
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (endpoint, 64, "inproc://%s-%s", prefix, zuuid_str (uuid));
    zuuid_destroy (&uuid);
}

zmsg_t *
herd_test_marker (void)
{
    zmsg_t *marker = zmsg_new ();
    zmsg_addstr (marker, HERD_WIRE_SIGNATURE);
    zmsg_addstr (marker, "MARK");
    return marker;
}

zmsg_t *
herd_test_receive (zsock_t *router,
                   const char *sender,
                   herd_wire_t *wire,
                   herd_wire_command_t command)
{
    zmsg_t *msg = zmsg_recv (router);
    assert_non_null (msg);
    const char *reason = NULL;
    if (herd_wire_decode (wire, msg, &reason))
        fail_msg ("undecodable message: %s", reason);
    //  A snapshot's marks (flow control) are skipped unless asked for
    while (wire->command == HERD_WIRE_SNAPMARK && command != wire->command) {
        zmsg_destroy (&msg);
        msg = zmsg_recv (router);
        assert_non_null (msg);
        if (herd_wire_decode (wire, msg, &reason))
            fail_msg ("undecodable message: %s", reason);
    }
    assert_int_equal (wire->sender.size, strlen (sender));
    assert_memory_equal (wire->sender.data, sender, wire->sender.size);
    assert_int_equal (wire->command, command);
    return msg;
}

void
herd_test_expect_marker (zsock_t *router, const char *sender)
{
    herd_wire_t wire;
    zmsg_t *msg = herd_test_receive (router, sender, &wire, HERD_WIRE_OTHER);
    assert_int_equal (wire.name.size, 4);
    assert_memory_equal (wire.name.data, "MARK", 4);
    zmsg_destroy (&msg);
}
