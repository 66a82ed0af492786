/*  fuzz_client - client bytes: the line splitter, the parser, and the
    invariants between them

    Every line the splitter gives is parsed.  An IAMAT's AT line must parse
    back as an AT with the same client, location and time; a WHATSAT's
    radius must convert to metres; every invalid line gets its `? ` reply.  */

#include "herd_line.h"
#include "herd_msg.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
s_same (herd_span_t a, herd_span_t b)
{
    return a.size == b.size && memcmp (a.data, b.data, a.size) == 0;
}

static bool
s_on_line (void *arg, const char *line, size_t size, bool truncated)
{
    (void) arg;
    (void) truncated;
    herd_msg_t msg;
    const char *reason = NULL;
    herd_msg_type_t type = herd_msg_parse_client (&msg, line, size, &reason);
    if (type == HERD_MSG_IAMAT) {
        size_t at_size;
        char *at_line =
            herd_msg_at_line (&msg, "Node", 1700000000, 123456789, &at_size);
        herd_msg_t at;
        int rc = herd_msg_parse_at (&at, at_line, at_size, NULL);
        assert (rc == 0);
        assert (s_same (at.client_id, msg.client_id));
        assert (s_same (at.location, msg.location));
        assert (s_same (at.time, msg.time));
        char latitude[HERD_MSG_NUMBER_SIZE], longitude[HERD_MSG_NUMBER_SIZE];
        rc = herd_msg_coordinates (at.location, latitude, longitude);
        assert (rc == 0);
        free (at_line);
    } else if (type == HERD_MSG_WHATSAT) {
        char metres[HERD_MSG_NUMBER_SIZE];
        int rc = herd_msg_metres (msg.radius, metres);
        assert (rc == 0);
    } else if (type == HERD_MSG_INVALID) {
        assert (reason);
        size_t reply_size;
        char *reply = herd_msg_invalid_reply (line, size, &reply_size);
        assert (reply_size == size + 3);
        assert (memcmp (reply, "? ", 2) == 0 && reply[reply_size - 1] == '\n');
        free (reply);
    }
    //  A herd payload is parsed by the same module: try it too
    herd_msg_t at;
    herd_msg_parse_at (&at, line, size, NULL);
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  A small cap, so that truncation is reached as well
    herd_line_t *splitter = herd_line_new (size % 2 ? 64 : 4096);
    herd_line_feed (splitter, (const char *) data, size, s_on_line, NULL);
    herd_line_finish (splitter, s_on_line, NULL);
    herd_line_destroy (&splitter);
    return 0;
}
