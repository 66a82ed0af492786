/*  herd_log - the node's own log: every line in, every reply out,
    connections, links and updates

    One file per node, <dir>/<node>.log, appended.  Records are UTC
    ISO-8601 with microseconds, then the node, the level and the event, with
    payloads escaped so a record is always one line.  Buffered in memory and
    written when the node's loop calls herd_log_flush (once per turn), or
    when the buffer is large.  Owned by herd_node.  */

#ifndef HERD_LOG_H_INCLUDED
#define HERD_LOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

//  Longest payload copied into one record; the rest is elided with "...".
#define HERD_LOG_PAYLOAD_MAX 512

typedef struct _herd_log_t herd_log_t;

//  Open <dir>/<node>.log for appending, creating dir if needed.  When
//  mirror is true every record also goes to stderr.  Returns NULL if the
//  file cannot be opened (and says why on stderr).
herd_log_t *herd_log_new (const char *dir, const char *node, bool mirror);

//  Flush and close; accepts NULL and sets *self_p to NULL.
void herd_log_destroy (herd_log_t **self_p);

//  Close and open the file again (after rotation, on SIGHUP).  Returns 0 or
//  -1 (the old file stays in use).
int herd_log_reopen (herd_log_t *self);

//  Add a record: level is "info" (per line, per update), "notice" (node
//  and link life: ready, link up/down/synced, state saved...), "warning"
//  or "error"; the rest is printf-style text that must not contain
//  newlines.
void
herd_log_printf (herd_log_t *self, const char *level, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  The same, stamped with the time when (CLOCK_REALTIME) instead of now:
//  for a record written after what it tells of (an update's record, once
//  its flood is sent, carries the time it was taken).
void herd_log_printf_at (herd_log_t *self,
                         const struct timespec *when,
                         const char *level,
                         const char *format,
                         ...) __attribute__ ((format (printf, 4, 5)));

//  Add a record whose last part is data escaped: "<prefix> \"<data>\"".
void herd_log_bytes (herd_log_t *self,
                     const char *level,
                     const char *prefix,
                     const char *data,
                     size_t size);

//  The same with the client the record is about: "<prefix>
//  client=\"<client>\" \"<data>\"" (client quoted as herd_log_quote
//  does), or as herd_log_bytes when client_size is 0.
void herd_log_about (herd_log_t *self,
                     const char *level,
                     const char *prefix,
                     const char *client,
                     size_t client_size,
                     const char *data,
                     size_t size);

//  Write size bytes of data escaped as in payloads (\" \\ \n \r \t \xNN)
//  to out, which has room for 4 * size bytes.  Returns the bytes written.
size_t herd_log_escape (char *out, const char *data, size_t size);

//  A short value (a client id) quoted and escaped, cut after
//  HERD_LOG_QUOTE_MAX bytes with "..." after the closing quote, and
//  NUL-terminated, into out (HERD_LOG_QUOTE_SIZE bytes).  The limit is
//  HERD_MSG_CLIENT_MAX (herd_log.c checks it), so no valid client id is cut.
#define HERD_LOG_QUOTE_MAX  1024
#define HERD_LOG_QUOTE_SIZE (4 * HERD_LOG_QUOTE_MAX + 6)
void herd_log_quote (char *out, const char *data, size_t size);

//  Read back a value that herd_log_quote or herd_log_bytes wrote: text
//  begins with its opening quote; the escapes become bytes again, and what
//  follows the closing quote (the "..." of a cut value) is kept as it is.
//  Caller owns return value (NUL-terminated too); *size_p gets its length.
char *herd_log_unquote (const char *text, size_t size, size_t *size_p);

//  The time of a record as the log writes it, "2026-11-23T10:24:33.123456Z"
//  (UTC), in exactly size bytes of text.  Returns microseconds since the
//  epoch, or -1 if the text is anything else.
#define HERD_LOG_TIME_SIZE 27
int64_t herd_log_parse_time (const char *text, size_t size);

//  Write what is buffered.
void herd_log_flush (herd_log_t *self);

//  Write only records of level and above ("info", the default, writes
//  all; "notice" leaves out the per-line and per-update records).
void herd_log_set_level (herd_log_t *self, const char *level);

//  Would a record of level be written (to the file or the tap)?
bool herd_log_enabled (herd_log_t *self, const char *level);

//  The tap: while tapping, every record of every level, without its
//  newline, also goes to fn (valid during the call only), whatever the
//  file's level.
typedef void (herd_log_tap_fn) (void *arg, const char *record, size_t size);
void herd_log_set_tap (herd_log_t *self, herd_log_tap_fn *fn, void *arg);

//  Someone listens, or no one does any more: records are formatted for
//  the tap only while someone does.
void herd_log_tapping (herd_log_t *self, bool tapping);

#endif
