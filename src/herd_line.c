/*  herd_line - split a byte stream into lines (LF or CRLF) under a length cap  */

#include "herd_line.h"

#include <czmq.h>

struct _herd_line_t {
    size_t max;       //  Longest line we deliver whole
    char *buffer;     //  Partial line, grown on demand
    size_t size;      //  Bytes held in buffer
    size_t capacity;  //  Allocated size of buffer
    bool discarding;  //  Dropping the tail of an overlong line
};

herd_line_t *
herd_line_new (size_t max)
{
    assert (max > 0);
    herd_line_t *self = (herd_line_t *) zmalloc (sizeof (herd_line_t));
    self->max = max;
    return self;
}

void
herd_line_destroy (herd_line_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_line_t *self = *self_p;
        free (self->buffer);
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

static void
s_append (herd_line_t *self, const char *data, size_t size)
{
    if (self->size + size > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 256;
        while (capacity < self->size + size)
            capacity *= 2;
        self->buffer = (char *) realloc (self->buffer, capacity);
        assert (self->buffer);
        self->capacity = capacity;
    }
    memcpy (self->buffer + self->size, data, size);
    self->size += size;
}

//  The buffer holds no LF.  Once it holds more than max bytes (a CR just
//  past the cap may still be a terminator), the line is overlong: deliver
//  its head now and drop the rest up to the next LF.
static bool
s_check_overlong (herd_line_t *self, herd_line_fn *fn, void *arg)
{
    bool overlong =
        self->size > self->max + 1
        || (self->size == self->max + 1 && self->buffer[self->max] != '\r');
    if (!overlong)
        return true;
    self->size = 0;
    self->discarding = true;
    return fn (arg, self->buffer, self->max, true);
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
        size_t room = self->max + 2 - self->size;
        if (self->discarding) {
            if (newline)
                self->discarding = false;
        } else if (!newline) {
            s_append (self, at, taken < room ? taken : room);
            more = s_check_overlong (self, fn, arg);
        } else if (self->size == 0)
            more = s_deliver (self, at, taken - 1, fn, arg);  //  No copy
        else {
            s_append (self, at, taken - 1 < room ? taken - 1 : room);
            size_t line_size = self->size;
            self->size = 0;  //  The buffer stays valid during the call
            more = s_deliver (self, self->buffer, line_size, fn, arg);
        }
        consumed += taken;
    }
    //  Give back memory after a long line so idle clients stay small
    if (self->size == 0 && self->capacity > 4096) {
        free (self->buffer);
        self->buffer = NULL;
        self->capacity = 0;
    }
    return consumed;
}

void
herd_line_finish (herd_line_t *self, herd_line_fn *fn, void *arg)
{
    assert (self);
    if (self->size > 0 && !self->discarding)
        s_deliver (self, self->buffer, self->size, fn, arg);
    self->size = 0;
    self->discarding = false;
}

size_t
herd_line_pending (herd_line_t *self)
{
    assert (self);
    return self->size;
}
