/*  herd_line - split a byte stream into lines (LF or CRLF) under a length cap  */

#include "herd_line.h"
#include "herd_buf.h"

#include <czmq.h>

//  A partial line's memory is kept between feeds up to this size; past it
//  (after a long line) it is given back, so idle clients stay small.
#define S_PARTIAL_KEEP 4096

struct _herd_line_t {
    size_t max;           //  Longest line we deliver whole
    herd_buf_t *partial;  //  Partial line, at most max + 1 bytes
    bool discarding;      //  Dropping the tail of an overlong line
};

herd_line_t *
herd_line_new (size_t max)
{
    assert (max > 0);
    herd_line_t *self = (herd_line_t *) zmalloc (sizeof (herd_line_t));
    self->max = max;
    self->partial = herd_buf_new ();
    return self;
}

void
herd_line_destroy (herd_line_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_line_t *self = *self_p;
        herd_buf_destroy (&self->partial);
        free (self);
        *self_p = NULL;
    }
}

//  Deliver one complete line, dropping a CR before the LF.
static bool
s_deliver (herd_line_t *self,
           const char *line,
           size_t size,
           herd_line_fn *fn,
           void *arg)
{
    if (size > 0 && line[size - 1] == '\r')
        size--;
    if (size > self->max)
        return fn (arg, line, self->max, true);
    return fn (arg, line, size, false);
}

//  The buffer holds no LF.  Once it holds more than max bytes (a CR just
//  past the cap may still be a terminator), the line is overlong: deliver
//  its head now and drop the rest up to the next LF.
static bool
s_check_overlong (herd_line_t *self, herd_line_fn *fn, void *arg)
{
    size_t size = herd_buf_size (self->partial);
    const char *line = herd_buf_data (self->partial);
    bool overlong = size > self->max + 1
                    || (size == self->max + 1 && line[self->max] != '\r');
    if (!overlong)
        return true;
    herd_buf_clear (self->partial);  //  line stays valid during the call
    self->discarding = true;
    return fn (arg, line, self->max, true);
}

size_t
herd_line_feed (herd_line_t *self,
                const char *data,
                size_t size,
                herd_line_fn *fn,
                void *arg)
{
    assert (self);
    size_t consumed = 0;
    bool more = true;
    while (more && consumed < size) {
        const char *at = data + consumed;
        size_t left = size - consumed;
        const char *newline = (const char *) memchr (at, '\n', left);
        size_t taken = newline ? (size_t) (newline - at) + 1 : left;
        //  max + 2 bytes are enough to know that a line is overlong
        size_t held = herd_buf_size (self->partial);
        size_t room = self->max + 2 - held;
        if (self->discarding) {
            if (newline)
                self->discarding = false;
        } else if (!newline) {
            herd_buf_append (self->partial, at, taken < room ? taken : room);
            more = s_check_overlong (self, fn, arg);
        } else if (held == 0)
            more = s_deliver (self, at, taken - 1, fn, arg);  //  No copy
        else {
            herd_buf_append (self->partial, at,
                             taken - 1 < room ? taken - 1 : room);
            const char *line = herd_buf_data (self->partial);
            size_t line_size = herd_buf_size (self->partial);
            herd_buf_clear (self->partial);  //  line stays valid in the call
            more = s_deliver (self, line, line_size, fn, arg);
        }
        consumed += taken;
    }
    herd_buf_shrink (self->partial, S_PARTIAL_KEEP);
    return consumed;
}

void
herd_line_finish (herd_line_t *self, herd_line_fn *fn, void *arg)
{
    assert (self);
    size_t size = herd_buf_size (self->partial);
    if (size > 0 && !self->discarding)
        s_deliver (self, herd_buf_data (self->partial), size, fn, arg);
    herd_buf_clear (self->partial);
    self->discarding = false;
}
