/*  herd_test - harness for herd's tests: `herd monitor` processes, taps of
    our own, and the files they write  */

#include "herd_test.h"

#include <czmq.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

//  How long a monitor may take to say it is ready
#define S_READY_MS 10000

static const char *
s_binary (void)
{
    const char *binary = getenv ("HERD_BIN");
    return binary ? binary : "build/herd";
}

int
herd_test_monitor (const char *topology,
                   const char *path,
                   const char *mode,
                   const char *arg)
{
    char *err = zsys_sprintf ("%s.err", path);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);  //  Gone with the test
        if (!freopen (path, "w", stdout) || !freopen (err, "w", stderr))
            _exit (126);
        execl (s_binary (), "herd", "monitor", "-t", topology, mode, arg,
               (char *) NULL);
        _exit (127);
    }
    int64_t deadline = zclock_mono () + S_READY_MS;
    while (zclock_mono () < deadline) {
        FILE *file = fopen (err, "r");
        char line[256] = "";
        if (file) {
            if (!fgets (line, sizeof (line), file))
                line[0] = 0;
            fclose (file);
        }
        if (strstr (line, "monitor ready"))
            break;
        zclock_sleep (10);  //  Polling a file: no event to wait on
    }
    free (err);
    return pid;
}

//  Stop a monitor with SIGTERM; it must exit 0.
void
herd_test_monitor_stop (int pid)
{
    kill (pid, SIGTERM);
    int status;
    waitpid (pid, &status, 0);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

//  Remove a monitor's output and its .err file.
void
herd_test_monitor_remove (const char *path)
{
    unlink (path);
    char *err = zsys_sprintf ("%s.err", path);
    unlink (err);
    free (err);
}

size_t
herd_test_file_count (const char *path, const char *needle)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[8192];
    size_t count = 0;
    while (fgets (line, sizeof (line), file))
        count += strstr (line, needle) != NULL;
    fclose (file);
    return count;
}

size_t
herd_test_file_count_all (const char *path, const char *const needles[])
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[8192];
    size_t count = 0;
    while (fgets (line, sizeof (line), file)) {
        bool all = true;
        for (size_t i = 0; needles[i]; i++)
            all &= strstr (line, needles[i]) != NULL;
        count += all;
    }
    fclose (file);
    return count;
}

bool
herd_test_file_has (void *arg)
{
    herd_test_seen_t *seen = (herd_test_seen_t *) arg;
    return herd_test_file_count (seen->path, seen->needle) >= seen->count;
}

//  A started herd of count (2 or 3) nodes in a chain, A - B - C, with taps.
herd_test_herd_t *
herd_test_tapped_chain (size_t count)
{
    const char *names[] = {"A", "B", "C"};
    const char *links[] = {"A B", "B C"};
    herd_test_herd_t *herd =
        herd_test_herd_new (names, count, links, count - 1, NULL);
    herd_test_herd_taps (herd);
    herd_test_herd_start_all (herd);
    return herd;
}

//  A topology file (path, filled in) of nodes names[0..count) whose taps are
//  XPUB sockets of our own, bound here (taps[0..count)), linked in a chain.
void
herd_test_own_taps (char *path,
                    const char *const *names,
                    size_t count,
                    zsock_t **taps)
{
    FILE *file = fdopen (mkstemp (path), "w");
    fprintf (file, "nodes\n");
    for (size_t i = 0; i < count; i++) {
        uint16_t port = herd_test_free_port ();
        taps[i] = zsock_new (ZMQ_XPUB);
        assert_int_equal (zsock_bind (taps[i], "tcp://127.0.0.1:%u", port),
                          port);
        fprintf (file,
                 "    %s\n        client = 127.0.0.1:%u\n"
                 "        herd = tcp://127.0.0.1:%u\n"
                 "        tap = tcp://127.0.0.1:%u\n",
                 names[i], herd_test_free_port (), herd_test_free_port (),
                 port);
    }
    fprintf (file, "links\n");
    for (size_t i = 1; i < count; i++)
        fprintf (file, "    link = %s %s\n", names[i - 1], names[i]);
    fclose (file);
}

//  "2026-11-23T16:20:00.123456Z", micros after base.
void
herd_test_stamp (char *out, size_t size, struct timespec base, int64_t micros)
{
    int64_t total = (int64_t) base.tv_nsec / 1000 + micros;
    time_t seconds = base.tv_sec + (time_t) (total / 1000000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char date[32];
    strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (out, size, "%s.%06ldZ", date, (long) (total % 1000000));
}
