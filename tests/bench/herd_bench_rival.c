/*  herd_bench_rival - what the bench's rival systems share: finding
    their programs, running a system's servers in a directory of their
    own, and plain TCP connections with deadlines for the probes  */

#include "herd_bench_rival.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int
herd_bench_rival_which (const char *name, char *path, size_t size)
{
    const char *variable = getenv ("PATH");
    char *directories = zsys_sprintf ("%s:/usr/sbin:/sbin",
                                      variable ? variable : "/usr/bin:/bin");
    char *save = NULL;
    int rc = -1;
    for (char *directory = strtok_r (directories, ":", &save); directory && rc;
         directory = strtok_r (NULL, ":", &save)) {
        snprintf (path, size, "%s/%s", directory, name);
        if (*directory && access (path, X_OK) == 0)
            rc = 0;
    }
    free (directories);
    return rc;
}

//  ---------------------------------------------------------------------
//  A system's servers

int
herd_bench_rival_begin (herd_bench_rival_t *self, const char *what)
{
    memset (self, 0, sizeof (*self));
    snprintf (self->dir, sizeof (self->dir), "/tmp/herd-bench-%s-XXXXXX", what);
    if (mkdtemp (self->dir))
        return 0;
    *self->dir = 0;
    return -1;
}

void
herd_bench_rival_start (herd_bench_rival_t *self,
                        const char *binary,
                        char *argv[])
{
    assert (self->count < HERD_BENCH_RIVAL_SERVERS);
    char out[128];
    snprintf (out, sizeof (out), "%s/%zu.out", self->dir, self->count);
    self->pids[self->count++] = herd_bench_spawn (out, binary, argv);
}

//  The last line of the file at path, into line.
static void
s_last_line (const char *path, char *line, size_t size)
{
    FILE *file = fopen (path, "r");
    char text[512];
    *line = 0;
    while (file && fgets (text, sizeof (text), file))
        if (strlen (text) > 1) {
            text[strcspn (text, "\n")] = 0;
            snprintf (line, size, "%s", text);
        }
    if (file)
        fclose (file);
}

//  If a server has exited, says which and its last words in reason and
//  returns true.
static bool
s_exited (herd_bench_rival_t *self, char *reason, size_t size)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0 && waitpid (self->pids[i], NULL, WNOHANG) != 0) {
            self->pids[i] = 0;
            char path[128], line[256];
            snprintf (path, sizeof (path), "%s/%zu.out", self->dir, i);
            s_last_line (path, line, sizeof (line));
            snprintf (reason, size, "server %zu exited: %s", i, line);
            return true;
        }
    return false;
}

int
herd_bench_rival_wait (herd_bench_rival_t *self,
                       bool (*whole) (void *arg, size_t index),
                       void *arg,
                       char *reason,
                       size_t size)
{
    int64_t deadline = herd_bench_now_us () + HERD_BENCH_RIVAL_START_US;
    for (size_t i = 0; i < self->count; i++)
        while (!whole (arg, i)) {
            if (s_exited (self, reason, size))
                return -1;
            if (herd_bench_now_us () > deadline) {
                snprintf (reason, size, "server %zu not whole after %d s", i,
                          HERD_BENCH_RIVAL_START_US / 1000000);
                return -1;
            }
            usleep (20000);
        }
    return 0;
}

void
herd_bench_rival_end (herd_bench_rival_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        herd_bench_stop (self->pids[i]);
    self->count = 0;
    if (!*self->dir || getenv ("HERD_BENCH_KEEP"))
        return;
    char command[128];
    snprintf (command, sizeof (command), "rm -rf %s", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "bench: could not remove %s\n", self->dir);
}

int
herd_bench_rival_ask (uint16_t port,
                      const char *question,
                      bool (*done) (const char *answer, size_t size),
                      char *answer,
                      size_t size)
{
    *answer = 0;
    int fd = herd_bench_connect (port);
    if (fd == -1)
        return -1;
    int64_t deadline = herd_bench_now_us () + 1000000;
    size_t got = 0;
    int rc = send (fd, question, strlen (question), MSG_NOSIGNAL) > 0 ? 0 : -1;
    while (rc == 0 && !done (answer, got)) {
        if (got + 1 >= size || herd_bench_now_us () > deadline) {
            rc = -1;
            break;
        }
        struct pollfd item = {fd, POLLIN, 0};
        if (poll (&item, 1, 100) <= 0)
            continue;
        ssize_t read_now = recv (fd, answer + got, size - got - 1, 0);
        if (read_now <= 0)
            break;  //  Closed: what came is the answer
        got += (size_t) read_now;
        answer[got] = 0;
    }
    close (fd);
    return rc;
}

//  ---------------------------------------------------------------------
//  Connections

int
herd_bench_conn_open (herd_bench_conn_t *self, uint16_t port)
{
    self->size = 0;
    self->fd = herd_bench_connect (port);
    return self->fd == -1 ? -1 : 0;
}

void
herd_bench_conn_close (herd_bench_conn_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
}

int
herd_bench_conn_send (herd_bench_conn_t *self, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t put = send (self->fd, data, size, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        data += put;
        size -= (size_t) put;
    }
    return 0;
}

int
herd_bench_conn_take (herd_bench_conn_t *self)
{
    if (self->size == sizeof (self->data))
        return -1;
    ssize_t got = recv (self->fd, self->data + self->size,
                        sizeof (self->data) - self->size, 0);
    if (got <= 0)
        return -1;
    self->size += (size_t) got;
    return 0;
}

int
herd_bench_conn_wait (herd_bench_conn_t *self, int64_t deadline)
{
    while (true) {
        int64_t left = deadline - herd_bench_now_us ();
        if (left <= 0)
            return 0;
        struct pollfd item = {self->fd, POLLIN, 0};
        int ready = poll (&item, 1, (int) ((left + 999) / 1000));
        if (ready == 1)
            return herd_bench_conn_take (self) ? -1 : 1;
        if (ready < 0 && errno != EINTR)
            return -1;
    }
}

void
herd_bench_conn_consume (herd_bench_conn_t *self, size_t size)
{
    memmove (self->data, self->data + size, self->size - size);
    self->size -= size;
}
