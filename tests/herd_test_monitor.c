/*  herd_test - harness for herd's tests: `herd monitor` processes, taps of
    our own, the files they write, and the nodes' logs read back  */

#include "herd_test.h"
#include "herd_record.h"

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

//  Add link a - b to links[*made] unless it is there; false if it was.
static bool
s_link (const char *const *names,
        bool linked[][80],
        size_t a,
        size_t b,
        char **links,
        size_t *made)
{
    if (a == b || linked[a][b])
        return false;
    linked[a][b] = linked[b][a] = true;
    links[(*made)++] = zsys_sprintf ("%s %s", names[a], names[b]);
    return true;
}

size_t
herd_test_regular_links (const char *const *names,
                         size_t count,
                         unsigned seed,
                         char **links)
{
    assert_true (count >= 6 && count <= 80 && count % 2 == 0);
    bool linked[80][80] = {{false}};
    size_t made = 0;
    for (size_t i = 0; i < count; i++)
        s_link (names, linked, i, (i + 1) % count, links, &made);
    //  A matching that repeats a link is drawn again: for 16 nodes about
    //  one in three of the first and one in six of the second do not
    for (int matching = 0; matching < 2; matching++) {
        size_t order[80];
        bool clash = true;
        while (clash) {
            for (size_t i = 0; i < count; i++)
                order[i] = i;
            for (size_t i = count - 1; i > 0; i--) {
                size_t j = (size_t) rand_r (&seed) % (i + 1), swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            clash = false;
            for (size_t i = 0; i < count; i += 2)
                clash |= linked[order[i]][order[i + 1]];
        }
        for (size_t i = 0; i < count; i += 2)
            s_link (names, linked, order[i], order[i + 1], links, &made);
    }
    return made;
}

//  What the logs say of one update: when each node stored it, and which
//  took it stale.
typedef struct {
    herd_test_logged_t update;
    bool originated;     //  Its originator's record was read
    int64_t stored[80];  //  By node: when it stored it (0: never)
    bool stale[80];      //  By node: it took it stale
} s_taken_t;

//  The update records of log index (stored or stale, with an originator)
//  into updates, by "originator/seq".
static void
s_read_log (const char *path, size_t index, zhashx_t *updates)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    char *line = NULL;
    size_t capacity = 0, ignored;
    ssize_t size;
    while ((size = getline (&line, &capacity, file)) > 0) {
        if (!strstr (line, " update stored ")
            && !strstr (line, " update stale "))
            continue;
        char *originator = NULL, *seq = NULL, *from = NULL;
        int64_t time = herd_record_time (line, (size_t) size);
        if (time > 0
            && herd_record_field (line, (size_t) size, "originator",
                                  &originator, &ignored)
            && herd_record_field (line, (size_t) size, "seq", &seq, &ignored)) {
            char *key = zsys_sprintf ("%s/%s", originator, seq);
            s_taken_t *taken = (s_taken_t *) zhashx_lookup (updates, key);
            if (!taken) {
                taken = (s_taken_t *) zmalloc (sizeof (s_taken_t));
                zhashx_insert (updates, key, taken);
            }
            if (!herd_record_field (line, (size_t) size, "from", &from,
                                    &ignored)) {
                taken->originated = true;
                taken->update.originator = index;
                taken->update.stored_us = time;
            } else if (strstr (line, " update stale "))
                taken->stale[index] = true;
            else
                taken->stored[index] = time;
            free (key);
        }
        free (originator);
        free (seq);
        free (from);
    }
    free (line);
    fclose (file);
}

static int
s_by_time (const void *a, const void *b)
{
    int64_t x = ((const herd_test_logged_t *) a)->stored_us;
    int64_t y = ((const herd_test_logged_t *) b)->stored_us;
    return x < y ? -1 : x > y;
}

int64_t
herd_test_wall_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

size_t
herd_test_updates (const char *const *paths,
                   size_t count,
                   herd_test_logged_t **updates_p)
{
    assert_true (count <= 80);
    zhashx_t *updates = zhashx_new ();
    zhashx_set_destructor (updates, (zhashx_destructor_fn *) zstr_free);
    for (size_t n = 0; n < count; n++)
        s_read_log (paths[n], n, updates);
    herd_test_logged_t *list = (herd_test_logged_t *) zmalloc (
        (zhashx_size (updates) + 1) * sizeof (herd_test_logged_t));
    size_t made = 0;
    for (s_taken_t *taken = (s_taken_t *) zhashx_first (updates); taken;
         taken = (s_taken_t *) zhashx_next (updates)) {
        if (!taken->originated)
            continue;  //  Of a node whose log is not among these
        herd_test_logged_t *update = &list[made++];
        *update = taken->update;
        for (size_t n = 0; n < count; n++) {
            if (n == update->originator)
                continue;
            if (taken->stored[n] > update->everywhere_us)
                update->everywhere_us = taken->stored[n];
            else if (!taken->stored[n] && taken->stale[n])
                update->superseded++;
            else if (!taken->stored[n])
                update->missing++;
        }
        if (update->missing)
            update->everywhere_us = 0;
    }
    zhashx_destroy (&updates);
    qsort (list, made, sizeof (herd_test_logged_t), s_by_time);
    *updates_p = list;
    return made;
}

void
herd_test_spread (const herd_test_logged_t *updates,
                  size_t count,
                  int64_t from_us,
                  int64_t to_us,
                  herd_test_spread_t *spread)
{
    memset (spread, 0, sizeof (*spread));
    bool first[80] = {false};
    for (size_t i = 0; i < count; i++) {
        const herd_test_logged_t *update = &updates[i];
        if (update->stored_us < from_us || update->stored_us >= to_us)
            continue;
        spread->updates++;
        spread->superseded += update->superseded + update->missing > 0;
        spread->unreached += update->missing > 0;
        if (update->missing)
            continue;
        int64_t took = update->everywhere_us - update->stored_us;
        spread->last_us = MAX (spread->last_us, update->everywhere_us);
        spread->longest_us = MAX (spread->longest_us, took);
        if (!first[update->originator]) {
            spread->first_last_us =
                MAX (spread->first_last_us, update->everywhere_us);
            spread->first_longest_us = MAX (spread->first_longest_us, took);
        }
        first[update->originator] = true;
    }
}
