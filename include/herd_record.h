/*  herd_record - a node's log record read back, as the tap carries it
    (proto/monitor.md, section 2): its words, its key=value fields, and the
    whole record as JSON that is valid UTF-8 whatever bytes it names

    "TIME NODE LEVEL EVENT text...", where the text's words are key=value
    (a value may be quoted and escaped as herd_log escapes it) or a quoted
    payload alone.  Pure: no sockets, no clock.  Used by herd monitor and
    the benchmark; herd_log writes the format.  */

#ifndef HERD_RECORD_H_INCLUDED
#define HERD_RECORD_H_INCLUDED

#include "herd_msg.h"

//  The record's time (its first word) in microseconds since the epoch, or
//  -1 if it is none (herd_log_parse_time).
int64_t herd_record_time (const char *record, size_t size);

//  The next word of text from *at (a quoted string kept whole, escapes and
//  all) into *word, pointing into text; *at moves past it.  Returns false
//  at the end.
bool
herd_record_word (const char *text, size_t size, size_t *at, herd_span_t *word);

//  The value of the record's first field called name (a quoted value
//  unquoted; "data" is the payload), into *value (caller frees it;
//  NUL-terminated too) and *value_size.  Returns false if there is none.
bool herd_record_field (const char *record,
                        size_t size,
                        const char *name,
                        char **value,
                        size_t *value_size);

//  The record as a cJSON tree (cJSON *, to free with cJSON_Delete):
//  {"time", "node", "level", "event", "text", "fields": {key: value...}},
//  quoted values unescaped.  Every string is valid UTF-8: a byte that is
//  not part of a well-formed sequence, and a NUL, becomes U+FFFD, and the
//  value then gets a twin NAME_escaped, as herd_log escapes it
//  (proto/monitor.md, section 3).
void *herd_record_parse (const char *record, size_t size);

//  The same, printed on one line.  Caller owns return value.
char *herd_record_json (const char *record, size_t size);

#endif
