/*  test_e2e_monitor - the tap and `herd monitor`, over a real herd  */

#include "herd_test.h"

#include <cJSON.h>
#include <czmq.h>
#include <signal.h>
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_monitor_follows_an_update_across_the_herd),
    };
    return cmocka_run_group_tests_name ("e2e_monitor", tests, NULL, NULL);
}
