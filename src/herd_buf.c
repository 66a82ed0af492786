/*  herd_buf - a small growable byte buffer  */

#include "herd_buf.h"

#include <czmq.h>

struct _herd_buf_t {
    char *data;       //  Allocated memory, or NULL
    size_t start;     //  First byte held: what was consumed lies before it
    size_t end;       //  One past the last byte held
    size_t capacity;  //  Bytes allocated at data
};

herd_buf_t *
herd_buf_new (void)
{
    return (herd_buf_t *) zmalloc (sizeof (herd_buf_t));
}

void
herd_buf_destroy (herd_buf_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->data);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Out of memory ends the process, as zmalloc does: no caller could do
//  better, and asserts may be compiled out.
static void
s_out_of_memory (size_t size)
{
    fprintf (stderr, "herd_buf: out of memory (%zu bytes)\n", size);
    fflush (stderr);
    abort ();
}

//  Make capacity at least need, doubling.  Bytes already consumed are
//  copied along (at most half of what is held, see herd_buf_consume):
//  moving them down here instead could cost O(size) for a single byte of
//  room, again and again.
static void
s_grow (herd_buf_t *self, size_t need)
{
    size_t capacity = self->capacity ? self->capacity : HERD_BUF_FIRST_SIZE;
    while (capacity < need) {
        if (capacity > SIZE_MAX / 2)
            s_out_of_memory (need);
        capacity *= 2;
    }
    char *data = (char *) realloc (self->data, capacity);
    if (!data)
        s_out_of_memory (capacity);
    self->data = data;
    self->capacity = capacity;
}

char *
herd_buf_reserve (herd_buf_t *self, size_t more)
{
    assert (self);
    if (!self->data || more > self->capacity - self->end) {
        if (more > SIZE_MAX - self->end)
            s_out_of_memory (more);
        s_grow (self, self->end + more);
    }
    return self->data + self->end;
}

size_t
herd_buf_room (herd_buf_t *self)
{
    assert (self);
    return self->capacity - self->end;
}

void
herd_buf_commit (herd_buf_t *self, size_t size)
{
    assert (self);
    assert (size <= self->capacity - self->end);
    self->end += size;
}

void
herd_buf_append (herd_buf_t *self, const void *data, size_t size)
{
    assert (self);
    if (size == 0)
        return;
    memcpy (herd_buf_reserve (self, size), data, size);
    self->end += size;
}

char *
herd_buf_data (herd_buf_t *self)
{
    assert (self);
    return self->data ? self->data + self->start : NULL;
}

size_t
herd_buf_size (herd_buf_t *self)
{
    assert (self);
    return self->end - self->start;
}

void
herd_buf_consume (herd_buf_t *self, size_t size)
{
    assert (self);
    assert (size <= self->end - self->start);
    self->start += size;
    size_t left = self->end - self->start;
    if (left == 0)
        self->start = self->end = 0;
    else if (self->start > left) {
        //  Costs left bytes, fewer than were consumed since the last move
        memmove (self->data, self->data + self->start, left);
        self->start = 0;
        self->end = left;
    }
}

void
herd_buf_truncate (herd_buf_t *self, size_t size)
{
    assert (self);
    assert (size <= self->end - self->start);
    if (size == 0)
        self->start = self->end = 0;
    else
        self->end = self->start + size;
}

void
herd_buf_clear (herd_buf_t *self)
{
    herd_buf_truncate (self, 0);
}

void
herd_buf_shrink (herd_buf_t *self, size_t keep)
{
    assert (self);
    if (self->start == self->end && self->capacity > keep) {
        free (self->data);
        self->data = NULL;
        self->start = self->end = 0;
        self->capacity = 0;
    }
}

char *
herd_buf_detach (herd_buf_t *self, size_t *size_p)
{
    assert (self && size_p);
    size_t size = self->end - self->start;
    if (self->start > 0) {
        memmove (self->data, self->data + self->start, size);
        self->start = 0;
        self->end = size;
    }
    *herd_buf_reserve (self, 1) = 0;
    char *data = self->data;
    self->data = NULL;
    self->start = self->end = 0;
    self->capacity = 0;
    *size_p = size;
    return data;
}
