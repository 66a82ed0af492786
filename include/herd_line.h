/*  herd_line - split a byte stream into lines (LF or CRLF) under a length cap

    One splitter per client connection.  Complete lines are handed to a
    callback as they appear; only a partial line is buffered, so memory per
    connection is bounded by the cap.  Owned by herd_front.  */

#ifndef HERD_LINE_H_INCLUDED
#define HERD_LINE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Default cap on one line's length in bytes, terminator excluded.
#define HERD_LINE_MAX 65536

typedef struct _herd_line_t herd_line_t;

//  Receives one line without its terminator (LF, or CR LF).  line is only
//  valid during the call.  truncated is true when the line was longer than
//  the cap: line then holds its first cap bytes and the rest of it, up to
//  the next LF, is discarded without further calls.  Returns true to go
//  on, false to stop feeding after this line.
typedef bool (herd_line_fn) (void *arg,
                             const char *line,
                             size_t size,
                             bool truncated);

//  Create a splitter for lines of at most max bytes (max > 0).
herd_line_t *herd_line_new (size_t max);

//  Destroy a splitter; accepts NULL and sets *self_p to NULL.
void herd_line_destroy (herd_line_t **self_p);

//  Consume bytes of the stream, calling fn for every line they complete,
//  in order, until fn returns false.  Returns the bytes consumed: size, or
//  fewer when fn stopped (the caller feeds the rest later).
size_t herd_line_feed (herd_line_t *self,
                       const char *data,
                       size_t size,
                       herd_line_fn *fn,
                       void *arg);

//  The stream has ended: a partial last line (one without LF) is passed to
//  fn as a line of its own (its return value is ignored).  The splitter is
//  empty afterwards.
void herd_line_finish (herd_line_t *self, herd_line_fn *fn, void *arg);


#endif
