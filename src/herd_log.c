/*  herd_log - the node's own log  */

#include "herd_log.h"
#include "herd_str.h"
#include "herd_dir.h"
#include "herd_buf.h"
#include "herd_msg.h"

#include <czmq.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

//  Flush early past this many buffered bytes.
#define S_BUFFER_HIGH (64 * 1024)
//  The buffer's least size, so that a turn's records seldom grow it and a
//  record is seldom formatted twice (s_vprintf).
#define S_BUFFER_FIRST 8192

//  Every client id a client may send is quoted whole (herd monitor
//  --follow finds a client by its id in the records).
_Static_assert(HERD_LOG_QUOTE_MAX >= HERD_MSG_CLIENT_MAX,
               "a valid client id would be cut in the log");

struct _herd_log_t {
    char *path;            //  <dir>/<node>.log
    char *node;            //  Node name, in every record
    int fd;                //  Open for append
    bool mirror;           //  Also write to stderr
    herd_buf_t *buffer;    //  Records not yet written
    int level;             //  Records below it are not written (s_rank)
    herd_log_tap_fn *tap;  //  Also given every record, while tapping
    void *tap_arg;
    bool tapping;
    size_t record;  //  Where the record being written starts
    int record_rank;
    time_t second;   //  The second whose text is in stamp
    char stamp[32];  //  "2026-11-23T10:24:33"
    size_t stamp_size;
};

//  0 for info, 1 for notice, 2 for warning, 3 for error.
static int
s_rank (const char *level)
{
    return level[0] == 'e' ? 3 : level[0] == 'w' ? 2 : level[0] == 'n' ? 1 : 0;
}

void
herd_log_set_level (herd_log_t *self, const char *level)
{
    assert (self);
    self->level = s_rank (level);
}

bool
herd_log_enabled (herd_log_t *self, const char *level)
{
    return self->tapping || s_rank (level) >= self->level;
}

void
herd_log_set_tap (herd_log_t *self, herd_log_tap_fn *fn, void *arg)
{
    assert (self);
    self->tap = fn;
    self->tap_arg = arg;
    if (!fn)
        self->tapping = false;
}

void
herd_log_tapping (herd_log_t *self, bool tapping)
{
    assert (self);
    self->tapping = tapping && self->tap;
}

static int
s_open (const char *path)
{
    return open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

herd_log_t *
herd_log_new (const char *dir, const char *node, bool mirror)
{
    //  Nodes started together make it at once (herd_dir)
    if (herd_dir_make (dir)) {
        fprintf (stderr, "herd: cannot create log directory %s: %s\n", dir,
                 strerror (errno));
        return NULL;
    }
    char *path = herd_str_printf ("%s/%s.log", dir, node);
    int fd = s_open (path);
    if (fd == -1) {
        fprintf (stderr, "herd: cannot open %s: %s\n", path, strerror (errno));
        free (path);
        return NULL;
    }
    herd_log_t *self = (herd_log_t *) zmalloc (sizeof (herd_log_t));
    self->path = path;
    self->node = herd_str_dup (node);
    self->fd = fd;
    self->mirror = mirror;
    self->buffer = herd_buf_new ();
    herd_buf_reserve (self->buffer, S_BUFFER_FIRST);
    return self;
}

void
herd_log_destroy (herd_log_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        herd_log_t *self = *self_p;
        herd_log_flush (self);
        close (self->fd);
        herd_buf_destroy (&self->buffer);
        free (self->path);
        free (self->node);
        free (self);
        *self_p = NULL;
    }
}

int
herd_log_reopen (herd_log_t *self)
{
    assert (self);
    herd_log_flush (self);
    int fd = s_open (self->path);
    if (fd == -1)
        return -1;
    close (self->fd);
    self->fd = fd;
    return 0;
}

//  "2026-11-23T10:24:33.123456Z Clark info ".  The date and time are
//  formatted once a second; the microseconds by hand.
static void
s_header (herd_log_t *self, const char *level, const struct timespec *when)
{
    struct timespec now;
    if (when)
        now = *when;
    else
        clock_gettime (CLOCK_REALTIME, &now);
    self->record = herd_buf_size (self->buffer);
    self->record_rank = s_rank (level);
    if (now.tv_sec != self->second || !self->stamp_size) {
        struct tm tm;
        gmtime_r (&now.tv_sec, &tm);
        self->stamp_size = strftime (self->stamp, sizeof (self->stamp),
                                     "%Y-%m-%dT%H:%M:%S", &tm);
        self->second = now.tv_sec;
    }
    size_t node = strlen (self->node), rank = strlen (level);
    char *start =
        herd_buf_reserve (self->buffer, self->stamp_size + 9 + node + rank + 2);
    char *out = start;
    memcpy (out, self->stamp, self->stamp_size);
    out += self->stamp_size;
    *out++ = '.';
    long micros = now.tv_nsec / 1000;
    for (int i = 5; i >= 0; i--, micros /= 10)
        out[i] = (char) ('0' + micros % 10);
    out += 6;
    *out++ = 'Z';
    *out++ = ' ';
    memcpy (out, self->node, node);
    out += node;
    *out++ = ' ';
    memcpy (out, level, rank);
    out += rank;
    *out++ = ' ';
    herd_buf_commit (self->buffer, (size_t) (out - start));
}

static void
s_end (herd_log_t *self)
{
    if (self->tapping)
        self->tap (self->tap_arg, herd_buf_data (self->buffer) + self->record,
                   herd_buf_size (self->buffer) - self->record);
    if (self->record_rank < self->level) {
        herd_buf_truncate (self->buffer, self->record);  //  Only for the tap
        return;
    }
    herd_buf_append (self->buffer, "\n", 1);
    if (herd_buf_size (self->buffer) >= S_BUFFER_HIGH)
        herd_log_flush (self);
}

static void s_vprintf (herd_log_t *self,
                       const struct timespec *when,
                       const char *level,
                       const char *format,
                       va_list args) __attribute__ ((format (printf, 4, 0)));

static void
s_vprintf (herd_log_t *self,
           const struct timespec *when,
           const char *level,
           const char *format,
           va_list args)
{
    s_header (self, level, when);
    //  Straight into the buffer's room; grown and tried again if it did not
    //  fit (the header made sure there is memory)
    size_t more = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *at = herd_buf_reserve (self->buffer, more);
        size_t room = herd_buf_room (self->buffer);
        va_list copy;
        va_copy (copy, args);
        int size = vsnprintf (at, room, format, copy);
        va_end (copy);
        if (size < 0)
            break;
        if ((size_t) size < room) {
            herd_buf_commit (self->buffer, (size_t) size);
            break;
        }
        more = (size_t) size + 1;
    }
    s_end (self);
}

void
herd_log_printf (herd_log_t *self, const char *level, const char *format, ...)
{
    assert (self);
    if (!herd_log_enabled (self, level))
        return;
    va_list args;
    va_start (args, format);
    s_vprintf (self, NULL, level, format, args);
    va_end (args);
}

void
herd_log_printf_at (herd_log_t *self,
                    const struct timespec *when,
                    const char *level,
                    const char *format,
                    ...)
{
    assert (self && when);
    if (!herd_log_enabled (self, level))
        return;
    va_list args;
    va_start (args, format);
    s_vprintf (self, when, level, format, args);
    va_end (args);
}

void
herd_log_bytes (herd_log_t *self,
                const char *level,
                const char *prefix,
                const char *data,
                size_t size)
{
    herd_log_about (self, level, prefix, "", 0, data, size);
}

void
herd_log_about (herd_log_t *self,
                const char *level,
                const char *prefix,
                const char *client,
                size_t client_size,
                const char *data,
                size_t size)
{
    assert (self);
    if (!herd_log_enabled (self, level))
        return;
    s_header (self, level, NULL);
    herd_buf_append (self->buffer, prefix, strlen (prefix));
    if (client_size > 0) {
        //  Quoted straight into the buffer, as herd_log_quote does: no
        //  printf of a copy (it doubled the cost of a line's record)
        char *start = herd_buf_reserve (self->buffer, HERD_LOG_QUOTE_SIZE + 8);
        memcpy (start, " client=", 8);
        herd_log_quote (start + 8, client, client_size);
        herd_buf_commit (self->buffer, 8 + strlen (start + 8));
    }
    bool elided = size > HERD_LOG_PAYLOAD_MAX;
    if (elided)
        size = HERD_LOG_PAYLOAD_MAX;
    //  Worst case four bytes out per byte in (\xNN)
    char *start = herd_buf_reserve (self->buffer, 3 + size * 4 + 4);
    char *out = start;
    *out++ = ' ';
    *out++ = '"';
    out += herd_log_escape (out, data, size);
    *out++ = '"';
    herd_buf_commit (self->buffer, (size_t) (out - start));
    if (elided)
        herd_buf_append (self->buffer, "...", 3);
    s_end (self);
}

size_t
herd_log_escape (char *out, const char *data, size_t size)
{
    char *start = out;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) data[i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char) c;
        } else if (c == '\n') {
            *out++ = '\\';
            *out++ = 'n';
        } else if (c == '\r') {
            *out++ = '\\';
            *out++ = 'r';
        } else if (c == '\t') {
            *out++ = '\\';
            *out++ = 't';
        } else if (c < 0x20 || c >= 0x7f) {
            *out++ = '\\';
            *out++ = 'x';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        } else
            *out++ = (char) c;
    }
    return (size_t) (out - start);
}

void
herd_log_quote (char *out, const char *data, size_t size)
{
    bool elided = size > HERD_LOG_QUOTE_MAX;
    if (elided)
        size = HERD_LOG_QUOTE_MAX;
    *out++ = '"';
    out += herd_log_escape (out, data, size);
    *out++ = '"';
    if (elided) {
        memcpy (out, "...", 3);
        out += 3;
    }
    *out = 0;
}

//  The value of a hexadecimal digit, or -1.
static int
s_hex (char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

char *
herd_log_unquote (const char *text, size_t size, size_t *size_p)
{
    char *out = (char *) zmalloc (size + 1);
    size_t o = 0, i = 1;
    for (; i < size && text[i] != '"'; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < size) {
            char e = text[++i];
            if (e == 'n')
                c = '\n';
            else if (e == 'r')
                c = '\r';
            else if (e == 't')
                c = '\t';
            else if (e == 'x' && i + 2 < size && s_hex (text[i + 1]) >= 0
                     && s_hex (text[i + 2]) >= 0) {
                c = (char) (s_hex (text[i + 1]) * 16 + s_hex (text[i + 2]));
                i += 2;
            } else
                c = e;
        }
        out[o++] = c;
    }
    if (i < size)  //  The closing quote
        for (i++; i < size; i++)
            out[o++] = text[i];
    out[o] = 0;
    *size_p = o;
    return out;
}

//  The number in size decimal digits at text.
static int
s_digits (const char *text, size_t size)
{
    int number = 0;
    for (size_t i = 0; i < size; i++)
        number = number * 10 + (text[i] - '0');
    return number;
}

int64_t
herd_log_parse_time (const char *text, size_t size)
{
    //  What s_header writes: 'D' stands for a digit, the rest as it is
    static const char form[] = "DDDD-DD-DDTDD:DD:DD.DDDDDDZ";
    _Static_assert(sizeof (form) - 1 == HERD_LOG_TIME_SIZE, "the form");
    if (size != HERD_LOG_TIME_SIZE)
        return -1;
    for (size_t i = 0; i < size; i++)
        if (form[i] == 'D' ? text[i] < '0' || text[i] > '9'
                           : text[i] != form[i])
            return -1;
    int year = s_digits (text, 4), month = s_digits (text + 5, 2);
    int day = s_digits (text + 8, 2);
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1
        || day > days[month - 1] + (month == 2 && leap))
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = s_digits (text + 11, 2),
                    .tm_min = s_digits (text + 14, 2),
                    .tm_sec = s_digits (text + 17, 2)};
    //  gmtime never gives a leap second (60): the log never writes one
    if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return -1;
    return (int64_t) timegm (&tm) * 1000000 + s_digits (text + 20, 6);
}

void
herd_log_flush (herd_log_t *self)
{
    assert (self);
    const char *data = herd_buf_data (self->buffer);
    size_t size = herd_buf_size (self->buffer);
    if (size == 0)
        return;
    //  A full disk must not stop the node: what cannot be written is lost
    size_t done = 0;
    while (done < size) {
        ssize_t rc = write (self->fd, data + done, size - done);
        if (rc <= 0 && errno != EINTR)
            break;
        if (rc > 0)
            done += (size_t) rc;
    }
    if (self->mirror) {
        //  Nothing more can be done about a closed stderr
        size_t written = fwrite (data, 1, size, stderr);
        (void) written;
    }
    herd_buf_clear (self->buffer);
    //  A burst's buffer is not kept for the quiet times after it
    herd_buf_shrink (self->buffer, 4 * S_BUFFER_HIGH);
    herd_buf_reserve (self->buffer, S_BUFFER_FIRST);
}
