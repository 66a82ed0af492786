/*  test_e2e_monitor - the tap and `herd monitor`, over a real herd  */

#include "herd_test.h"

#include <cJSON.h>
#include <czmq.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define S_DEADLINE 10000

static const char *
s_binary (void)
{
    const char *binary = getenv ("HERD_BIN");
    return binary ? binary : "build/herd";
}

//  `herd monitor -t topology --json` writing to path; returns its pid once
//  it says it is ready.
static int
s_monitor (herd_test_herd_t *herd, const char *path)
{
    char *err = zsys_sprintf ("%s.err", path);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);  //  Gone with the test
        if (!freopen (path, "w", stdout) || !freopen (err, "w", stderr))
            _exit (126);
        execl (s_binary (), "herd", "monitor", "-t",
               herd_test_herd_topology (herd), "--json", (char *) NULL);
        _exit (127);
    }
    int64_t deadline = zclock_mono () + S_DEADLINE;
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

typedef struct {
    const char *path;
    const char *needle;
    size_t count;
} s_seen_t;

static size_t
s_count (const char *path, const char *needle)
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

static bool
s_has (void *arg)
{
    s_seen_t *seen = (s_seen_t *) arg;
    return s_count (seen->path, seen->needle) >= seen->count;
}

static void
test_the_monitor_follows_an_update_across_the_herd (void **state)
{
    (void) state;
    herd_test_herd_t *herd =
        herd_test_herd_from_file ("deploy/topologies/cs131-2022.zpl", NULL);
    herd_test_herd_taps (herd);
    herd_test_herd_start_all (herd);
    char path[] = "/tmp/herd-monitor-XXXXXX";
    close (mkstemp (path));
    int monitor = s_monitor (herd, path);
    //  Subscriptions reach the nodes' taps within their 50 ms poll: the
    //  first IAMATs may go unseen, so send until one is seen everywhere
    s_seen_t seen = {path, "\"event\":\"update\",\"text\":\"stored", 5};
    int sent = 0;
    while (!s_has (&seen) && sent < 50) {
        char request[64];
        snprintf (request, sizeof (request), "IAMAT kiwi%d +1-1 %d\n", sent,
                  sent + 1);
        free (herd_test_grader (herd_test_herd_port (herd, "Clark"), request,
                                S_DEADLINE));
        sent++;
        herd_test_wait_until (s_has, &seen, 200);
    }
    assert_true (herd_test_wait_until (s_has, &seen, S_DEADLINE));
    //  A node restarted is seen again: the monitor reconnects by itself
    herd_test_herd_signal (herd, "Bernard", SIGKILL);
    herd_test_herd_start (herd, "Bernard");
    const char *bernard = "\"node\":\"Bernard\",\"level\":\"info\","
                          "\"event\":\"update\",\"text\":\"stored";
    s_seen_t back = {path, bernard, s_count (path, bernard) + 1};
    for (int i = 0; i < 50 && !s_has (&back); i++) {
        char request[64];
        snprintf (request, sizeof (request), "IAMAT again%d +1-1 %d\n", i,
                  i + 1);
        free (herd_test_grader (herd_test_herd_port (herd, "Clark"), request,
                                S_DEADLINE));
        herd_test_wait_until (s_has, &back, 200);
    }
    assert_true (s_has (&back));
    kill (monitor, SIGTERM);
    int status;
    waitpid (monitor, &status, 0);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    //  Every line is JSON, and in causal order: wherever a node received
    //  Clark's update seq=N, Clark's "stored seq=N" came before it (the
    //  first updates may be missing at some taps, not yet subscribed)
    enum { SEQS = 200 };
    size_t stored_at[SEQS] = {0}, rx_at[SEQS] = {0};
    FILE *file = fopen (path, "r");
    char line[8192];
    size_t lines = 0, checked = 0;
    while (fgets (line, sizeof (line), file)) {
        cJSON *event = cJSON_Parse (line);
        assert_non_null (event);
        lines++;
        const char *node =
            cJSON_GetStringValue (cJSON_GetObjectItem (event, "node"));
        const char *text =
            cJSON_GetStringValue (cJSON_GetObjectItem (event, "text"));
        const char *kind =
            cJSON_GetStringValue (cJSON_GetObjectItem (event, "event"));
        const char *seq = strstr (text, "seq=");
        size_t n = seq ? (size_t) atoi (seq + 4) : 0;
        if (streq (kind, "update") && n > 0 && n < SEQS) {
            if (streq (node, "Clark") && strncmp (text, "stored ", 7) == 0)
                stored_at[n] = lines;
            else if (strncmp (text, "rx ", 3) == 0
                     && strstr (text, "originator=Clark ") && !rx_at[n])
                rx_at[n] = lines;
        }
        cJSON_Delete (event);
    }
    fclose (file);
    for (size_t n = 1; n < SEQS; n++)
        if (stored_at[n] && rx_at[n]) {
            if (rx_at[n] < stored_at[n])
                fail_msg (
                    "seq=%zu received (line %zu) before stored (line %zu)", n,
                    rx_at[n], stored_at[n]);
            checked++;
        }
    assert_true (lines > 10);
    assert_true (checked > 0);
    unlink (path);
    char *err = zsys_sprintf ("%s.err", path);
    unlink (err);
    free (err);
    herd_test_herd_destroy (&herd);
}

static void
test_metrics_count_what_was_sent (void **state)
{
    (void) state;
    uint16_t port = herd_test_free_port ();
    char *settings = zsys_sprintf ("    metrics = 127.0.0.1:%u\n", port);
    const char *names[] = {"Solo"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, settings);
    free (settings);
    herd_test_herd_start_all (herd);
    const char *traffic = "IAMAT a +1-1 1\nIAMAT b +1-1 2\nIAMAT a +1-1 3\n"
                          "IAMAT a +1-1 2\nWHATSAT a 5 2\nWHATSAT b 5 2\n"
                          "WHATSAT nobody 5 2\nnonsense\n\n";
    free (herd_test_exchange (herd_test_herd_port (herd, "Solo"), traffic,
                              S_DEADLINE));
    char *page =
        herd_test_grader (port, "GET /metrics HTTP/1.0\r\n\r\n", S_DEADLINE);
    const char *expected[] = {
        "HTTP/1.0 200 OK\r\n",
        "Content-Type: text/plain; version=0.0.4",
        "herd_requests_total{node=\"Solo\",command=\"IAMAT\"} 4\n",
        "herd_requests_total{node=\"Solo\",command=\"WHATSAT\"} 3\n",
        "herd_requests_total{node=\"Solo\",command=\"invalid\"} 1\n",
        "herd_requests_total{node=\"Solo\",command=\"blank\"} 1\n",
        "herd_clients{node=\"Solo\"} 2\n",
        "herd_updates_total{node=\"Solo\",source=\"client\",result=\"stored\"} "
        "3\n",
        "herd_updates_total{node=\"Solo\",source=\"client\",result=\"stale\"} "
        "1\n",
        "herd_places_answers_total{node=\"Solo\",status=\"OK\"} 2\n",
        "herd_places_duration_seconds_count{node=\"Solo\"} 2\n",
        "herd_places_duration_seconds_bucket{node=\"Solo\",le=\"+Inf\"} 2\n",
        "herd_connections_total{node=\"Solo\"} 1\n",
    };
    for (size_t i = 0; i < sizeof (expected) / sizeof (expected[0]); i++)
        if (!strstr (page, expected[i]))
            fail_msg ("no \"%s\" in:\n%s", expected[i], page);
    //  Prometheus's own checker, when it is installed
    if (system ("command -v promtool >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/herd-metrics-XXXXXX";
        int fd = mkstemp (path);
        const char *body = strstr (page, "\r\n\r\n") + 4;
        assert_int_equal (write (fd, body, strlen (body)),
                          (ssize_t) strlen (body));
        close (fd);
        char *command = zsys_sprintf ("promtool check metrics < %s", path);
        assert_int_equal (system (command), 0);
        free (command);
        unlink (path);
    }
    free (page);
    //  Anything else is a 404, and the node goes on
    page = herd_test_grader (port, "POST /x HTTP/1.0\r\n\r\n", S_DEADLINE);
    assert_int_equal (strncmp (page, "HTTP/1.0 404", 12), 0);
    free (page);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_monitor_follows_an_update_across_the_herd),
        cmocka_unit_test (test_metrics_count_what_was_sent),
    };
    return cmocka_run_group_tests_name ("e2e_monitor", tests, NULL, NULL);
}
