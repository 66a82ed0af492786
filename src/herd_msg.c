/*  herd_msg - parse and format IAMAT, WHATSAT and AT lines, and `? ` replies  */

#include "herd_msg.h"

#include <czmq.h>

//  At most this many fields are looked at; more means a wrong field count.
#define S_FIELDS_MAX 7

//  White space is exactly C's six ASCII isspace characters, never a
//  locale's idea of bytes >= 0x80 (proto/client.md, "Lines").
static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

//  The field of line at or after *at, into *field; *at moves past it.
//  Returns false when there is none.
static bool
s_next_field (const char *line, size_t size, size_t *at, herd_span_t *field)
{
    while (*at < size && s_is_space (line[*at]))
        (*at)++;
    if (*at == size)
        return false;
    size_t start = *at;
    while (*at < size && !s_is_space (line[*at]))
        (*at)++;
    field->data = line + start;
    field->size = *at - start;
    return true;
}

//  Split into fields; returns how many (up to S_FIELDS_MAX + 1, which means
//  "too many").
static size_t
s_split (const char *line, size_t size, herd_span_t *fields)
{
    size_t count = 0, at = 0;
    herd_span_t field;
    while (s_next_field (line, size, &at, &field)) {
        if (count == S_FIELDS_MAX)
            return S_FIELDS_MAX + 1;
        fields[count++] = field;
    }
    return count;
}

//  The fourth field; stops there, unlike s_split.
herd_span_t
herd_msg_at_client (const char *line, size_t size)
{
    assert (line);
    size_t at = 0;
    herd_span_t field;
    for (int i = 0; i < 4; i++)
        if (!s_next_field (line, size, &at, &field)) {
            herd_span_t none = {"", 0};
            return none;
        }
    return field;
}

static bool
s_equals (herd_span_t span, const char *text)
{
    size_t size = strlen (text);
    return span.size == size && memcmp (span.data, text, size) == 0;
}

//  D+[.D+]: returns the length of the integer part, or 0 if malformed.
static size_t
s_decimal (herd_span_t span)
{
    size_t at = 0;
    while (at < span.size && s_is_digit (span.data[at]))
        at++;
    size_t integer = at;
    if (integer == 0)
        return 0;
    if (at == span.size)
        return integer;
    if (span.data[at] != '.' || at + 1 == span.size)
        return 0;
    for (at++; at < span.size; at++)
        if (!s_is_digit (span.data[at]))
            return 0;
    return integer;
}

//  Is the decimal with this integer part (digits) and fraction (digits,
//  possibly empty) at most limit?  Exact: no floating point.
static bool
s_at_most (const char *integer,
           size_t integer_size,
           const char *fraction,
           size_t fraction_size,
           unsigned limit)
{
    while (integer_size > 1 && *integer == '0') {
        integer++;
        integer_size--;
    }
    if (integer_size > 4)
        return false;
    unsigned value = 0;
    for (size_t i = 0; i < integer_size; i++)
        value = value * 10 + (unsigned) (integer[i] - '0');
    if (value != limit)
        return value < limit;
    for (size_t i = 0; i < fraction_size; i++)
        if (fraction[i] != '0')
            return false;
    return true;
}

//  A decimal span within [0, limit].
static bool
s_decimal_at_most (herd_span_t span, unsigned limit)
{
    size_t integer = s_decimal (span);
    if (integer == 0)
        return false;
    size_t fraction = integer < span.size ? span.size - integer - 1 : 0;
    return s_at_most (span.data, integer, span.data + integer + 1, fraction,
                      limit);
}

//  One signed coordinate at the start of text: [+-]D+[.D+].  Returns its
//  length or 0.  Checks |value| <= limit.
static size_t
s_coordinate (const char *text, size_t size, unsigned limit)
{
    if (size < 2 || (text[0] != '+' && text[0] != '-'))
        return 0;
    size_t at = 1;
    while (at < size && s_is_digit (text[at]))
        at++;
    size_t integer_end = at;
    if (integer_end == 1)
        return 0;
    size_t fraction_start = at;
    if (at < size && text[at] == '.') {
        at++;
        fraction_start = at;
        while (at < size && s_is_digit (text[at]))
            at++;
        if (at == fraction_start)
            return 0;
    }
    if (!s_at_most (text + 1, integer_end - 1, text + fraction_start,
                    at - fraction_start, limit))
        return 0;
    return at;
}

static const char *
s_check_location (herd_span_t location)
{
    size_t latitude = s_coordinate (location.data, location.size, 90);
    if (latitude == 0)
        return "bad latitude";
    size_t longitude =
        s_coordinate (location.data + latitude, location.size - latitude, 180);
    if (longitude == 0 || latitude + longitude != location.size)
        return "bad longitude";
    return NULL;
}

//  Client time D+[.D+], at most 19 integer digits; fills seconds/nanos.
static const char *
s_check_time (herd_msg_t *self)
{
    herd_span_t time = self->time;
    size_t integer = s_decimal (time);
    if (integer == 0)
        return "bad time";
    if (integer > 19)
        return "time out of range";
    uint64_t seconds = 0;
    for (size_t i = 0; i < integer; i++)
        seconds = seconds * 10 + (uint64_t) (time.data[i] - '0');
    //  Arithmetic uses the first 9 fraction digits, truncated
    uint32_t nanos = 0;
    size_t digit = 0;
    for (size_t i = integer + 1; i < time.size && digit < 9; i++, digit++)
        nanos = nanos * 10 + (uint32_t) (time.data[i] - '0');
    for (; digit < 9; digit++)
        nanos *= 10;
    self->seconds = seconds;
    self->nanos = nanos;
    return NULL;
}

static const char *
s_check_client_id (herd_span_t client_id)
{
    return client_id.size <= HERD_MSG_CLIENT_MAX ? NULL : "client id too long";
}

static const char *
s_parse_iamat (herd_msg_t *self, const herd_span_t *fields, size_t count)
{
    if (count != 4)
        return "IAMAT takes 3 fields";
    self->client_id = fields[1];
    self->location = fields[2];
    self->time = fields[3];
    const char *reason = s_check_client_id (self->client_id);
    if (!reason)
        reason = s_check_location (self->location);
    if (!reason)
        reason = s_check_time (self);
    return reason;
}

static const char *
s_parse_whatsat (herd_msg_t *self, const herd_span_t *fields, size_t count)
{
    if (count != 4)
        return "WHATSAT takes 3 fields";
    self->client_id = fields[1];
    self->radius = fields[2];
    herd_span_t bound = fields[3];
    const char *reason = s_check_client_id (self->client_id);
    if (reason)
        return reason;
    if (self->radius.size > HERD_MSG_RADIUS_DIGITS
        || !s_decimal_at_most (self->radius, HERD_MSG_RADIUS_MAX))
        return "radius must be 0 to 50 km";
    for (size_t i = 0; i < bound.size; i++)
        if (!s_is_digit (bound.data[i]))
            return "bound must be 0 to 20";
    if (!s_at_most (bound.data, bound.size, NULL, 0, HERD_MSG_BOUND_MAX))
        return "bound must be 0 to 20";
    self->bound = 0;
    for (size_t i = 0; i < bound.size; i++)
        self->bound = self->bound * 10 + (uint32_t) (bound.data[i] - '0');
    return NULL;
}

//  Our own AT lines: skew is [+-]D+.D{9} and the node a plain name.
static const char *
s_parse_at_fields (herd_msg_t *self, const herd_span_t *fields, size_t count)
{
    if (count != 6)
        return "AT takes 5 fields";
    self->node = fields[1];
    self->skew = fields[2];
    self->client_id = fields[3];
    self->location = fields[4];
    self->time = fields[5];
    herd_span_t skew = self->skew;
    if (skew.size < 2 || (skew.data[0] != '+' && skew.data[0] != '-'))
        return "bad skew";
    herd_span_t unsigned_skew = {skew.data + 1, skew.size - 1};
    if (s_decimal (unsigned_skew) == 0)
        return "bad skew";
    const char *reason = s_check_client_id (self->client_id);
    if (!reason)
        reason = s_check_location (self->location);
    if (!reason)
        reason = s_check_time (self);
    return reason;
}

herd_msg_type_t
herd_msg_parse_client (herd_msg_t *self,
                       const char *line,
                       size_t size,
                       const char **reason)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    herd_span_t fields[S_FIELDS_MAX];
    size_t count = s_split (line, size, fields);
    const char *why = NULL;
    if (count == 0)
        self->type = HERD_MSG_BLANK;
    else if (count > S_FIELDS_MAX)
        why = "too many fields";
    else if (s_equals (fields[0], "IAMAT")) {
        self->type = HERD_MSG_IAMAT;
        why = s_parse_iamat (self, fields, count);
    } else if (s_equals (fields[0], "WHATSAT")) {
        self->type = HERD_MSG_WHATSAT;
        why = s_parse_whatsat (self, fields, count);
    } else
        why = "unknown command";
    if (why) {
        self->type = HERD_MSG_INVALID;
        if (reason)
            *reason = why;
        //  Who the line was about, if it says (logs name the client)
        bool named = count >= 2
                     && (s_equals (fields[0], "IAMAT")
                         || s_equals (fields[0], "WHATSAT"));
        herd_span_t none = {"", 0};
        self->client_id = named ? fields[1] : none;
    }
    return self->type;
}

int
herd_msg_parse_at (herd_msg_t *self,
                   const char *line,
                   size_t size,
                   const char **reason)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    herd_span_t fields[S_FIELDS_MAX];
    size_t count = s_split (line, size, fields);
    const char *why = NULL;
    if (count == 0 || count > S_FIELDS_MAX || !s_equals (fields[0], "AT"))
        why = "not an AT line";
    else
        why = s_parse_at_fields (self, fields, count);
    if (why) {
        self->type = HERD_MSG_INVALID;
        if (reason)
            *reason = why;
        return -1;
    }
    self->type = HERD_MSG_AT;
    return 0;
}

size_t
herd_msg_skew (char buffer[HERD_MSG_SKEW_SIZE],
               uint64_t now_seconds,
               uint32_t now_nanos,
               uint64_t then_seconds,
               uint32_t then_nanos)
{
    //  Subtract the smaller from the larger in unsigned integers, so that
    //  client times up to 19 digits neither overflow nor lose precision.
    bool negative = now_seconds < then_seconds
                    || (now_seconds == then_seconds && now_nanos < then_nanos);
    uint64_t big_s = negative ? then_seconds : now_seconds;
    uint32_t big_n = negative ? then_nanos : now_nanos;
    uint64_t small_s = negative ? now_seconds : then_seconds;
    uint32_t small_n = negative ? now_nanos : then_nanos;
    if (big_n < small_n) {
        big_n += 1000000000u;
        big_s--;
    }
    int size =
        snprintf (buffer, HERD_MSG_SKEW_SIZE, "%c%" PRIu64 ".%09u",
                  negative ? '-' : '+', big_s - small_s, big_n - small_n);
    assert (size > 0 && size < HERD_MSG_SKEW_SIZE);
    return (size_t) size;
}

char *
herd_msg_at_line (const herd_msg_t *self,
                  const char *node,
                  uint64_t now_seconds,
                  uint32_t now_nanos,
                  size_t *size_p)
{
    assert (self);
    assert (self->type == HERD_MSG_IAMAT);
    char skew[HERD_MSG_SKEW_SIZE];
    size_t skew_size = herd_msg_skew (skew, now_seconds, now_nanos,
                                      self->seconds, self->nanos);
    size_t node_size = strlen (node);
    size_t size = 3 + node_size + 1 + skew_size + 1 + self->client_id.size + 1
                  + self->location.size + 1 + self->time.size;
    char *line = (char *) zmalloc (size + 1);
    char *at = line;
    memcpy (at, "AT ", 3);
    at += 3;
    memcpy (at, node, node_size);
    at += node_size;
    *at++ = ' ';
    memcpy (at, skew, skew_size);
    at += skew_size;
    herd_span_t copied[3] = {self->client_id, self->location, self->time};
    for (int i = 0; i < 3; i++) {
        *at++ = ' ';
        memcpy (at, copied[i].data, copied[i].size);
        at += copied[i].size;
    }
    assert ((size_t) (at - line) == size);
    *size_p = size;
    return line;
}

char *
herd_msg_invalid_reply (const char *line, size_t size, size_t *size_p)
{
    char *reply = (char *) zmalloc (size + 4);
    memcpy (reply, "? ", 2);
    memcpy (reply + 2, line, size);
    reply[size + 2] = '\n';
    *size_p = size + 3;
    return reply;
}

//  Copy one well-formed coordinate as a plain decimal: no '+', no leading
//  zeros, and at most 15 fraction digits (far below a millimetre), so that
//  any valid IAMAT can be asked about.
static void
s_copy_coordinate (const char *text, size_t size, char *out)
{
    size_t at = 0;
    if (text[0] == '-')
        out[at++] = '-';
    const char *digits = text + 1;
    size_t digits_size = size - 1;
    while (digits_size > 1 && digits[0] == '0' && digits[1] != '.') {
        digits++;
        digits_size--;
    }
    const char *point = (const char *) memchr (digits, '.', digits_size);
    size_t keep = point ? (size_t) (point - digits) + 1 + 15 : digits_size;
    if (keep > digits_size)
        keep = digits_size;
    memcpy (out + at, digits, keep);
    out[at + keep] = 0;
}

int
herd_msg_coordinates (herd_span_t location,
                      char latitude[HERD_MSG_NUMBER_SIZE],
                      char longitude[HERD_MSG_NUMBER_SIZE])
{
    size_t first = s_coordinate (location.data, location.size, 90);
    if (first == 0)
        return -1;
    size_t second =
        s_coordinate (location.data + first, location.size - first, 180);
    if (second == 0 || first + second != location.size)
        return -1;
    s_copy_coordinate (location.data, first, latitude);
    s_copy_coordinate (location.data + first, second, longitude);
    return 0;
}

int
herd_msg_metres (herd_span_t radius, char metres[HERD_MSG_NUMBER_SIZE])
{
    size_t integer = s_decimal (radius);
    if (integer == 0 || radius.size + 4 >= HERD_MSG_NUMBER_SIZE)
        return -1;
    //  Shift the point three places right: digits of the integer part, then
    //  three fraction digits (padded with zeros), then the rest.
    char digits[HERD_MSG_NUMBER_SIZE];
    size_t count = 0;
    memcpy (digits, radius.data, integer);
    count = integer;
    const char *fraction = radius.data + integer + 1;
    size_t fraction_size =
        integer < radius.size ? radius.size - integer - 1 : 0;
    for (size_t i = 0; i < 3; i++)
        digits[count++] = i < fraction_size ? fraction[i] : '0';
    size_t point = count;
    for (size_t i = 3; i < fraction_size; i++)
        digits[count++] = fraction[i];
    //  Trim: leading zeros of the integer part, trailing zeros after point
    size_t start = 0;
    while (start + 1 < point && digits[start] == '0')
        start++;
    while (count > point && digits[count - 1] == '0')
        count--;
    size_t out = 0;
    memcpy (metres, digits + start, point - start);
    out = point - start;
    if (count > point) {
        metres[out++] = '.';
        memcpy (metres + out, digits + point, count - point);
        out += count - point;
    }
    metres[out] = 0;
    return 0;
}
