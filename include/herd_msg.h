/*  herd_msg - parse and format IAMAT, WHATSAT and AT lines, and `? ` replies

    Stateless and pure: no clock, no sockets.  The grammar is the one of
    proto/client.md; this is the only place that parses it.  */

#ifndef HERD_MSG_H_INCLUDED
#define HERD_MSG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Longest client id accepted, in bytes.
#define HERD_MSG_CLIENT_MAX 1024
//  The line `herd ping` sends: no command, so answered "? herd-ping", but
//  a node counts it as a probe, not as a refused line.
#define HERD_MSG_PROBE "herd-ping"
//  Largest WHATSAT radius, in km, and bound, in items.
#define HERD_MSG_RADIUS_MAX 50
#define HERD_MSG_BOUND_MAX  20
//  Longest radius accepted, in characters ("12.5" is 4).
#define HERD_MSG_RADIUS_DIGITS 32
//  Room for a formatted time difference: sign, 20 digits, point, 9 digits.
#define HERD_MSG_SKEW_SIZE 40
//  Room for one plain decimal coordinate or a radius in metres.
#define HERD_MSG_NUMBER_SIZE 64

//  A borrowed run of bytes inside a line; not NUL-terminated.
typedef struct {
    const char *data;  //  First byte, inside the parsed line
    size_t size;       //  Length in bytes
} herd_span_t;

typedef enum {
    HERD_MSG_BLANK,    //  Empty or white space only: ignored
    HERD_MSG_INVALID,  //  Answered with `? ` + the line
    HERD_MSG_IAMAT,
    HERD_MSG_WHATSAT,
    HERD_MSG_AT
} herd_msg_type_t;

//  A parsed line.  Spans point into the caller's line and are valid while it
//  lives; the struct itself owns nothing.
typedef struct {
    herd_msg_type_t type;   //  What the line is
    herd_span_t node;       //  AT: the node that got the IAMAT
    herd_span_t skew;       //  AT: its time difference, as printed
    herd_span_t client_id;  //  IAMAT, WHATSAT, AT
    herd_span_t location;   //  IAMAT, AT: ISO 6709 as received
    herd_span_t time;       //  IAMAT, AT: client time as received
    uint64_t seconds;       //  IAMAT, AT: whole seconds of time
    uint32_t nanos;         //  IAMAT, AT: first 9 fraction digits of time
    herd_span_t radius;     //  WHATSAT: radius in km as received
    uint32_t bound;         //  WHATSAT: most results wanted
} herd_msg_t;

//  Parse a client line (terminator already removed).  Returns the type, also
//  stored in self->type; on HERD_MSG_INVALID *reason, if not NULL, names the
//  rule broken (a static string), and client_id is the second word of a
//  line that begins IAMAT or WHATSAT (empty otherwise), for the logs.  An
//  AT line is invalid from a client.
herd_msg_type_t herd_msg_parse_client (herd_msg_t *self,
                                       const char *line,
                                       size_t size,
                                       const char **reason);

//  Parse the payload of a herd update, which must be a well-formed AT line.
//  Returns 0 and fills self, or -1 and sets *reason.
int herd_msg_parse_at (herd_msg_t *self,
                       const char *line,
                       size_t size,
                       const char **reason);

//  Write now - then as a signed decimal with exactly 9 fraction digits
//  ("+0.263873386", "-3.000000000") into buffer, NUL-terminated.  Returns
//  its length.
size_t herd_msg_skew (char buffer[HERD_MSG_SKEW_SIZE],
                      uint64_t now_seconds,
                      uint32_t now_nanos,
                      uint64_t then_seconds,
                      uint32_t then_nanos);

//  Build the AT line (no newline) answering a parsed IAMAT received by node
//  at the given time.  Caller owns return value and must free it; *size_p
//  gets its length, and one spare byte follows the line (room for a LF).
char *herd_msg_at_line (const herd_msg_t *self,
                        const char *node,
                        uint64_t now_seconds,
                        uint32_t now_nanos,
                        size_t *size_p);

//  The client id of an AT line made by herd_msg_at_line or taken from the
//  table (its fourth field), found without checking the rest, which is
//  known good: for logs, per reply.  Empty if the line has fewer fields.
herd_span_t herd_msg_at_client (const char *line, size_t size);

//  Build the reply to an invalid line: `? ` + line + LF.  Caller owns
//  return value and must free it; *size_p gets its length.
char *herd_msg_invalid_reply (const char *line, size_t size, size_t *size_p);

//  Split a well-formed location into plain decimals for Places: the sign
//  kept only when negative ("+34.068930-118.445127" gives "34.068930" and
//  "-118.445127"), leading zeros dropped and at most 15 fraction digits
//  kept.  Returns 0, or -1 if location is malformed.
int herd_msg_coordinates (herd_span_t location,
                          char latitude[HERD_MSG_NUMBER_SIZE],
                          char longitude[HERD_MSG_NUMBER_SIZE]);

//  Write a well-formed radius in km as metres, exactly (10 gives "10000",
//  2.5 gives "2500", 0.0001 gives "0.1").  Returns 0, or -1 if radius is
//  malformed or longer than HERD_MSG_RADIUS_DIGITS.
int herd_msg_metres (herd_span_t radius, char metres[HERD_MSG_NUMBER_SIZE]);

#endif
