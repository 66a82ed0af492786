/*  test_e2e_limits - the documented limits, and a node under abuse still
    answering everyone else fast with flat memory  */

#include "herd_test.h"

#include <czmq.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define S_DEADLINE 10000

static bool
s_slow (void)
{
    return getenv ("HERD_VALGRIND") || getenv ("HERD_SANITIZED");
}

static herd_test_herd_t *
s_solo (const char *settings)
{
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, settings);
    herd_test_herd_start_all (herd);
    return herd;
}

static bool
s_known (herd_test_herd_t *herd, const char *client)
{
    char *request = zsys_sprintf ("WHATSAT %s 1 1\n", client);
    char *reply = herd_test_grader (herd_test_herd_port (herd, "Solo"), request,
                                    S_DEADLINE);
    bool known = strncmp (reply, "AT Solo ", 8) == 0;
    free (reply);
    free (request);
    return known;
}

//  n IAMATs for clients prefix0..prefix(n-1), times first + i, pipelined
//  on one connection.
static void
s_iamats (uint16_t port, const char *prefix, int n, int64_t first)
{
    char *request = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&request, &size);
    for (int i = 0; i < n; i++)
        fprintf (stream, "IAMAT %s%d +1+1 %" PRId64 "\n", prefix, i, first + i);
    fclose (stream);
    free (herd_test_exchange (port, request, S_DEADLINE));
    free (request);
}

static void
test_the_table_holds_at_most_max_clients (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_solo ("    max_clients = 100\n");
    s_iamats (herd_test_herd_port (herd, "Solo"), "c", 150, 1000);
    //  The 50 oldest by client time made room for the 50 newest
    assert_false (s_known (herd, "c0"));
    assert_false (s_known (herd, "c49"));
    assert_true (s_known (herd, "c50"));
    assert_true (s_known (herd, "c149"));
    assert_true (herd_test_herd_log_wait (herd, "Solo", "records evicted=50 ",
                                          1, S_DEADLINE));
    herd_test_herd_destroy (&herd);
}

static bool
s_gone (void *arg)
{
    return !s_known ((herd_test_herd_t *) arg, "old");
}

static void
test_records_older_than_max_age_are_dropped (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_solo ("    max_age_s = 60\n");
    uint16_t port = herd_test_herd_port (herd, "Solo");
    int64_t now = zclock_time () / 1000;
    char *request = zsys_sprintf ("IAMAT old +1+1 %" PRId64 "\n"
                                  "IAMAT new +1+1 %" PRId64 "\n",
                                  now - 61, now);
    free (herd_test_exchange (port, request, S_DEADLINE));
    free (request);
    assert_true (herd_test_wait_until (s_gone, herd, 3000));
    assert_true (s_known (herd, "new"));
    herd_test_herd_destroy (&herd);
}

static void
test_a_client_over_its_rate_is_slowed_not_refused (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_solo ("    max_rate = 50\n");
    uint16_t port = herd_test_herd_port (herd, "Solo");
    //  A burst of 50 at once, then 50 per second: 100 lines take 1 s
    int64_t start = zclock_mono ();
    char *request = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&request, &size);
    for (int i = 0; i < 100; i++)
        fprintf (stream, "IAMAT fast%d +1+1 %d\n", i, i);
    fclose (stream);
    int fd = herd_test_connect (port);
    herd_test_send (fd, request, size);
    //  Meanwhile another client is served at once
    int64_t before = zclock_mono ();
    free (herd_test_grader (port, "IAMAT other +1+1 1\n", S_DEADLINE));
    int64_t other_ms = zclock_mono () - before;
    char *reply =
        herd_test_read_until (fd, " fast99 +1+1 99\n", NULL, S_DEADLINE);
    int64_t took = zclock_mono () - start;
    //  Every line answered, in order, none refused
    assert_null (strstr (reply, "? "));
    free (reply);
    free (request);
    close (fd);
    if (took < 900 || took > 3000)
        fail_msg ("100 lines at 50/s took %" PRId64 " ms", took);
    if (!s_slow () && other_ms > 100)
        fail_msg ("another client waited %" PRId64 " ms", other_ms);
    herd_test_herd_destroy (&herd);
}

//  Latency of one IAMAT on a fresh connection, in microseconds.
static int64_t
s_probe_us (uint16_t port)
{
    int64_t start = zclock_usecs ();
    char *reply = herd_test_grader (port, "IAMAT probe +1+1 1\n", S_DEADLINE);
    int64_t took = zclock_usecs () - start;
    assert_int_equal (strncmp (reply, "AT Solo ", 8), 0);
    free (reply);
    return took;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  A child process abusing the node until killed: what = "fresh" (IAMATs
//  with a new client id each), "invalid" (lines that are not commands),
//  "garbage" (binary bytes), "churn" (connect, one line, close).
static pid_t
s_abuser (uint16_t port, const char *what)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid > 0)
        return pid;
    char batch[64 * 1024];
    char buffer[64 * 1024];
    for (uint64_t round = 0;; round++) {
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET,
                                      .sin_port = htons (port),
                                      .sin_addr.s_addr = htonl (0x7f000001)};
        if (connect (fd, (struct sockaddr *) &address, sizeof (address)))
            _exit (1);
        size_t size = 0;
        int lines = streq (what, "churn") ? 1 : 500;
        for (int i = 0; i < lines; i++) {
            if (streq (what, "garbage")) {
                for (int b = 0; b < 40; b++)
                    batch[size++] = (char) ((round * 131 + i * 7 + b) & 0xff);
                batch[size++] = '\n';
            } else
                size += (size_t) snprintf (
                    batch + size, sizeof (batch) - size,
                    streq (what, "invalid") ? "NOPE %d %" PRIu64 " x\n"
                                            : "IAMAT f%d-%" PRIu64 " +1+1 1\n",
                    i, round);
        }
        if (write (fd, batch, size) != (ssize_t) size)
            _exit (1);
        //  Read until every reply is in (one LF each for these)
        int seen = 0;
        while (seen < lines) {
            ssize_t got = read (fd, buffer, sizeof (buffer));
            if (got <= 0)
                break;
            for (ssize_t b = 0; b < got; b++)
                seen += buffer[b] == '\n';
        }
        close (fd);
    }
}

static void
s_stop (pid_t pid)
{
    kill (pid, SIGKILL);
    while (waitpid (pid, NULL, 0) == -1 && errno == EINTR)
        ;
}

static void
test_abuse_leaves_everyone_else_answered_fast (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_solo ("    max_clients = 10000\n");
    uint16_t port = herd_test_herd_port (herd, "Solo");
    //  Slowloris: 300 connections holding half a line each
    enum { SLOW = 300 };
    int slow[SLOW];
    for (int i = 0; i < SLOW; i++) {
        slow[i] = herd_test_connect (port);
        herd_test_send (slow[i], "IAMAT slowly", 12);
    }
    const char *kinds[] = {"fresh", "invalid", "garbage", "churn"};
    pid_t abusers[4];
    for (int i = 0; i < 4; i++)
        abusers[i] = s_abuser (port, kinds[i]);
    enum { PROBES = 50 };
    int64_t probes[PROBES];
    for (int i = 0; i < PROBES; i++)
        probes[i] = s_probe_us (port);
    for (int i = 0; i < 4; i++)
        s_stop (abusers[i]);
    for (int i = 0; i < SLOW; i++)
        close (slow[i]);
    qsort (probes, PROBES, sizeof (probes[0]), s_compare);
    print_message ("under abuse: IAMAT p50 %" PRId64 " us, p90 %" PRId64
                   " us, max %" PRId64 " us\n",
                   probes[PROBES / 2], probes[PROBES * 9 / 10],
                   probes[PROBES - 1]);
    if (!s_slow () && probes[PROBES / 2] > 10000)
        fail_msg ("median IAMAT took %" PRId64 " us under abuse",
                  probes[PROBES / 2]);
    //  The table stayed bounded, the node is whole
    assert_true (herd_test_herd_log_wait (herd, "Solo", "records evicted=", 1,
                                          S_DEADLINE));
    herd_test_herd_destroy (&herd);
}

static void
test_connect_disconnect_cycles_leave_memory_flat (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_solo (NULL);
    uint16_t port = herd_test_herd_port (herd, "Solo");
    int pid = herd_test_herd_pid (herd, "Solo");
    for (int i = 0; i < 500; i++)  //  Warm up: buffers, tables
        free (herd_test_grader (port, "IAMAT same +1+1 1\n", S_DEADLINE));
    size_t baseline = herd_test_rss_kib (pid);
    for (int i = 0; i < 10000; i++) {
        int fd = herd_test_connect (port);
        if (i % 2)
            herd_test_send (fd, "IAMAT same +1+1 1\n", 18);
        close (fd);
    }
    free (herd_test_grader (port, "IAMAT same +1+1 1\n", S_DEADLINE));
    size_t after = herd_test_rss_kib (pid);
    print_message ("RSS %zu KiB before 10,000 connections, %zu KiB after\n",
                   baseline, after);
    if (!s_slow () && after > baseline + baseline / 10)
        fail_msg ("RSS grew from %zu to %zu KiB", baseline, after);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_table_holds_at_most_max_clients),
        cmocka_unit_test (test_records_older_than_max_age_are_dropped),
        cmocka_unit_test (test_a_client_over_its_rate_is_slowed_not_refused),
        cmocka_unit_test (test_abuse_leaves_everyone_else_answered_fast),
        cmocka_unit_test (test_connect_disconnect_cycles_leave_memory_flat),
    };
    return cmocka_run_group_tests_name ("e2e_limits", tests, NULL, NULL);
}
