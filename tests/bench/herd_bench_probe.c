/*  herd_bench_probe - what a running herd did, read from outside it: its
    nodes' metrics pages, their CPU time from /proc, and the records of
    their logs, whole or as they come  */

#include "herd_bench.h"
#include "herd_log.h"

#include <czmq.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

//  ---------------------------------------------------------------------
//  Metrics pages

char *
herd_bench_metrics_page (uint16_t port)
{
    int fd = herd_bench_connect (port);
    if (fd == -1)
        return NULL;
    struct timeval timeout = {.tv_sec = 2};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    const char *request = "GET /metrics HTTP/1.0\r\n\r\n";
    if (send (fd, request, strlen (request), MSG_NOSIGNAL)
        != (ssize_t) strlen (request)) {
        close (fd);
        return NULL;
    }
    //  One request per connection: the page ends when the node closes it
    size_t size = 0, capacity = 65536;
    char *page = (char *) malloc (capacity);
    assert (page);  //  A benchmark: out of memory ends it
    ssize_t got;
    while ((got = recv (fd, page + size, capacity - size - 1, 0)) > 0) {
        size += (size_t) got;
        if (capacity - size < 4096) {
            capacity *= 2;
            char *more = (char *) realloc (page, capacity);
            assert (more);
            page = more;
        }
    }
    close (fd);
    page[size] = 0;
    char *body = strstr (page, "\r\n\r\n");
    if (got < 0 || !body) {
        free (page);
        return NULL;
    }
    memmove (page, body + 4, strlen (body + 4) + 1);
    return page;
}

//  Whether the labels of a sample, from its '{' to its '}', hold label.
static bool
s_labels_hold (const char *open, const char *close, const char *label)
{
    char labels[512];
    size_t size = (size_t) (close - open);
    if (size >= sizeof (labels))
        size = sizeof (labels) - 1;
    memcpy (labels, open, size);
    labels[size] = 0;
    return strstr (labels, label) != NULL;
}

double
herd_bench_metric (const char *page, const char *name, const char *label)
{
    double sum = 0;
    size_t length = strlen (name);
    for (const char *line = page; line && *line;) {
        const char *end = strchr (line, '\n');
        const char *rest = line + length;
        if (strncmp (line, name, length) == 0
            && (*rest == '{' || *rest == ' ')) {
            //  name{labels} value, or name value
            const char *close = *rest == '{' ? strchr (rest, '}') : NULL;
            if (*rest == ' ' && !label)
                sum += strtod (rest, NULL);
            else if (close && (!end || close < end)
                     && (!label || s_labels_hold (rest, close, label)))
                sum += strtod (close + 1, NULL);
        }
        line = end ? end + 1 : NULL;
    }
    return sum;
}

//  ---------------------------------------------------------------------
//  CPU time

int64_t
herd_bench_cpu_stat_us (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/stat", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line[1024];
    bool read = fgets (line, sizeof (line), file) != NULL;
    fclose (file);
    //  pid (comm) state ...: comm may hold spaces and parentheses, so the
    //  fields are counted from its last ')'; utime and stime are fields
    //  14 and 15, the 12th and 13th after it (proc(5))
    char *after = read ? strrchr (line, ')') : NULL;
    if (!after)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf (after + 2,
                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                &stime)
        != 2)
        return -1;
    long ticks = sysconf (_SC_CLK_TCK);
    return (int64_t) ((utime + stime) * 1000000ull
                      / (unsigned long long) ticks);
}

int64_t
herd_bench_cpu_run_us (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/task", pid);
    DIR *tasks = opendir (path);
    if (!tasks)
        return -1;
    //  O(threads): a node has its loop, its Places actor and ZeroMQ's
    //  threads
    int64_t total = 0;
    struct dirent *entry;
    while ((entry = readdir (tasks))) {
        if (entry->d_name[0] == '.')
            continue;
        char *schedstat = zsys_sprintf ("%s/%s/schedstat", path, entry->d_name);
        FILE *file = fopen (schedstat, "r");
        free (schedstat);
        unsigned long long nanoseconds = 0;
        if (file && fscanf (file, "%llu", &nanoseconds) == 1)
            total += (int64_t) (nanoseconds / 1000);
        if (file)
            fclose (file);
    }
    closedir (tasks);
    return total;
}

//  ---------------------------------------------------------------------
//  Log records

//  A log line's time (its first word), or -1.
static int64_t
s_log_time_us (const char *line)
{
    return herd_log_parse_time (line, strcspn (line, " "));
}

int64_t *
herd_bench_log_seq_times (const char *path,
                          const char *needle,
                          const char *also,
                          size_t *size)
{
    size_t capacity = 1024;
    int64_t *times = (int64_t *) malloc (capacity * sizeof (int64_t));
    assert (times);
    for (size_t i = 0; i < capacity; i++)
        times[i] = -1;
    FILE *file = fopen (path, "r");
    char line[4096];
    while (file && fgets (line, sizeof (line), file)) {
        const char *found = strstr (line, needle);
        if (!found || (also && !strstr (line, also)))
            continue;
        const char *seq = strstr (found, "seq=");
        if (!seq)
            continue;
        size_t n = (size_t) strtoull (seq + 4, NULL, 10);
        while (n >= capacity) {
            int64_t *more =
                (int64_t *) realloc (times, 2 * capacity * sizeof (int64_t));
            assert (more);
            times = more;
            for (size_t i = capacity; i < 2 * capacity; i++)
                times[i] = -1;
            capacity *= 2;
        }
        if (times[n] == -1)
            times[n] = s_log_time_us (line);
    }
    if (file)
        fclose (file);
    *size = capacity;
    return times;
}

int
herd_bench_tail_open (herd_bench_tail_t *self, const char *path)
{
    memset (self, 0, sizeof (*self));
    self->fd = open (path, O_RDONLY | O_CLOEXEC);
    if (self->fd == -1)
        return -1;
    //  A node writes whole records once per loop turn: a quiet node's log
    //  ends with a line's end
    lseek (self->fd, 0, SEEK_END);
    return 0;
}

size_t
herd_bench_tail_read (herd_bench_tail_t *self,
                      void (*on_line) (void *arg, const char *line),
                      void *arg)
{
    size_t lines = 0;
    char buffer[65536];
    ssize_t got;
    while (self->fd != -1
           && (got = read (self->fd, buffer, sizeof (buffer))) > 0)
        for (ssize_t i = 0; i < got; i++) {
            if (buffer[i] != '\n') {
                if (self->carry_size < sizeof (self->carry) - 1)
                    self->carry[self->carry_size++] = buffer[i];
                continue;
            }
            self->carry[self->carry_size] = 0;
            on_line (arg, self->carry);
            self->carry_size = 0;
            lines++;
        }
    return lines;
}

void
herd_bench_tail_close (herd_bench_tail_t *self)
{
    if (self->fd != -1)
        close (self->fd);
    self->fd = -1;
}
