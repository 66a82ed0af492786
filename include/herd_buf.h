/*  herd_buf - a small growable byte buffer (append, consume, reserve); the
    only one

    Bytes are added at the end (append, or reserve then commit for a writer
    that formats in place) and taken from the front (consume, as a write
    that sent part of the output, or a line taken).  Memory grows by
    doubling from HERD_BUF_FIRST_SIZE and is allocated on first use; it is
    given back only by herd_buf_shrink, herd_buf_detach and destroy.  There
    is no failure return: as with czmq's zmalloc, running out of memory
    aborts the process.  Pure: no sockets, no clock.  Owned by whichever
    module holds one (herd_front, herd_line, herd_log, herd_tap, herd_json,
    herd_wire).  */

#ifndef HERD_BUF_H_INCLUDED
#define HERD_BUF_H_INCLUDED

#include <stddef.h>

//  Bytes allocated the first time a buffer needs memory; it doubles from
//  there.  A user that knows its usual size reserves it up front.
#define HERD_BUF_FIRST_SIZE 256

typedef struct _herd_buf_t herd_buf_t;

//  Create an empty buffer; its memory comes with the first byte.  Never
//  NULL (out of memory aborts).
herd_buf_t *herd_buf_new (void);

//  Destroy a buffer and its bytes; accepts NULL, sets *self_p to NULL.
void herd_buf_destroy (herd_buf_t **self_p);

//  Copy size bytes of data to the end.  data may be NULL when size is 0.
void herd_buf_append (herd_buf_t *self, const void *data, size_t size);

//  The bytes held, herd_buf_size of them, contiguous; NULL only while the
//  buffer has no memory (it is then empty).  Valid until the next call
//  that adds to, consumes from or shrinks the buffer.
char *herd_buf_data (herd_buf_t *self);

//  Bytes held.
size_t herd_buf_size (herd_buf_t *self);

//  Room for at least more bytes past the end, grown (by doubling) if need
//  be.  Returns where to write them, never NULL; write, then
//  herd_buf_commit what was written.  The pointer is valid until the next
//  call that adds to, consumes from or shrinks the buffer.  O(1) amortised.
char *herd_buf_reserve (herd_buf_t *self, size_t more);

//  Bytes that can be written past the end now without growing: at least
//  what the last herd_buf_reserve asked for.  0 before any memory.
size_t herd_buf_room (herd_buf_t *self);

//  The size bytes written at herd_buf_reserve's pointer become part of the
//  buffer.  size must be at most herd_buf_room.
void herd_buf_commit (herd_buf_t *self, size_t size);

//  Drop size bytes (at most herd_buf_size) from the front.  O(1)
//  amortised: the rest moves down only once more has been dropped than is
//  left, so the bytes moved never outnumber the bytes consumed.
void herd_buf_consume (herd_buf_t *self, size_t size);

//  Keep the first size bytes (at most herd_buf_size), drop the rest.  The
//  memory stays: bytes read through herd_buf_data remain readable until
//  the next call that adds to the buffer.
void herd_buf_truncate (herd_buf_t *self, size_t size);

//  Drop every byte, keeping the memory (as herd_buf_truncate to 0).
void herd_buf_clear (herd_buf_t *self);

//  Give the memory back if the buffer is empty and holds more than keep
//  bytes of it (0: any), so a buffer that grew large once does not stay
//  large; otherwise do nothing.
void herd_buf_shrink (herd_buf_t *self, size_t keep);

//  The bytes held, NUL-terminated (the NUL is not counted in *size_p),
//  handed over: the buffer is empty afterwards, with no memory.  Caller
//  owns return value and must free it; never NULL.
char *herd_buf_detach (herd_buf_t *self, size_t *size_p);

#endif
