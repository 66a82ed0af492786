/*  test_e2e_monitor - the tap and `herd monitor`: the timeline, --json,
    --stats, and the metrics endpoint, over a real herd  */

#include "herd_test.h"

#include <cJSON.h>
#include <czmq.h>
#include <errno.h>
#include <iconv.h>
#include <signal.h>

#define S_DEADLINE 10000

//  Was update n received (at line rx) after its originator stored it (at
//  line stored)?  Fails if not; returns 1.
static size_t
s_in_order (size_t n, size_t stored, size_t rx)
{
    if (rx < stored)
        fail_msg ("seq=%zu received (line %zu) before stored (line %zu)", n, rx,
                  stored);
    return 1;
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
    int monitor = herd_test_monitor (herd_test_herd_topology (herd), path,
                                     "--json", NULL);
    //  Subscriptions reach the nodes' taps within their 20 ms tick: the
    //  first IAMATs may go unseen, so send until one is seen everywhere
    herd_test_seen_t seen = {path, "\"event\":\"update\",\"text\":\"stored", 5};
    int sent = 0;
    while (!herd_test_file_has (&seen) && sent < 50) {
        char request[64];
        snprintf (request, sizeof (request), "IAMAT kiwi%d +1-1 %d\n", sent,
                  sent + 1);
        free (herd_test_grader (herd_test_herd_port (herd, "Clark"), request,
                                S_DEADLINE));
        sent++;
        herd_test_wait_until (herd_test_file_has, &seen, 200);
    }
    assert_true (herd_test_wait_until (herd_test_file_has, &seen, S_DEADLINE));
    //  A node restarted is seen again: the monitor reconnects by itself
    herd_test_herd_signal (herd, "Bernard", SIGKILL);
    herd_test_herd_start (herd, "Bernard");
    const char *bernard = "\"node\":\"Bernard\",\"level\":\"info\","
                          "\"event\":\"update\",\"text\":\"stored";
    herd_test_seen_t back = {path, bernard,
                             herd_test_file_count (path, bernard) + 1};
    for (int i = 0; i < 50 && !herd_test_file_has (&back); i++) {
        char request[64];
        snprintf (request, sizeof (request), "IAMAT again%d +1-1 %d\n", i,
                  i + 1);
        free (herd_test_grader (herd_test_herd_port (herd, "Clark"), request,
                                S_DEADLINE));
        herd_test_wait_until (herd_test_file_has, &back, 200);
    }
    assert_true (herd_test_file_has (&back));
    //  Bernard's neighbours' sockets saw it go and come back
    herd_test_seen_t gone = {
        path, "\"event\":\"socket\",\"text\":\"disconnected to=Bernard ", 1};
    herd_test_seen_t again = {
        path, "\"event\":\"socket\",\"text\":\"connected to=Bernard ", 1};
    assert_true (herd_test_wait_until (herd_test_file_has, &gone, S_DEADLINE));
    assert_true (herd_test_wait_until (herd_test_file_has, &again, S_DEADLINE));
    herd_test_monitor_stop (monitor);
    //  Every line is JSON, and in causal order: wherever a node took
    //  Clark's update seq=N, the sender's record of it came before, and
    //  Clark's first of all (the first updates may be missing at some taps,
    //  not yet subscribed).  Originator, client and seen sets are right.
    enum { SEQS = 200 };
    size_t stored_at[SEQS] = {0}, rx_at[SEQS] = {0};
    char *taken[SEQS][5] = {{NULL}};    //  Nodes that had seq, in order
    char *senders[SEQS][5] = {{NULL}};  //  Whom each had it from
    size_t took[SEQS] = {0}, whole = 0;
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
        cJSON *fields = cJSON_GetObjectItem (event, "fields");
        const char *seq = strstr (text, "seq=");
        size_t n = seq ? (size_t) atoi (seq + 4) : 0;
        if (streq (kind, "update") && n > 0 && n < SEQS) {
            const char *from =
                cJSON_GetStringValue (cJSON_GetObjectItem (fields, "from"));
            const char *set =
                cJSON_GetStringValue (cJSON_GetObjectItem (fields, "seen"));
            const char *originator = cJSON_GetStringValue (
                cJSON_GetObjectItem (fields, "originator"));
            const char *client =
                cJSON_GetStringValue (cJSON_GetObjectItem (fields, "client"));
            assert_string_equal (originator, "Clark");
            assert_non_null (client);
            assert_true (strncmp (client, "kiwi", 4) == 0
                         || strncmp (client, "again", 5) == 0);
            if (streq (node, "Clark") && !from)
                stored_at[n] = lines;
            else {
                assert_non_null (from);
                if (!rx_at[n])
                    rx_at[n] = lines;
                //  The seen set names the originator, the sender and us
                char *names = zsys_sprintf (",%s,", set);
                char *me = zsys_sprintf (",%s,", node);
                char *sender = zsys_sprintf (",%s,", from);
                assert_non_null (strstr (names, ",Clark,"));
                assert_non_null (strstr (names, me));
                assert_non_null (strstr (names, sender));
                free (names);
                free (me);
                free (sender);
            }
            //  Each node stores it once (and may be sent it again: stale)
            if (took[n] < 5 && strncmp (text, "stored ", 7) == 0) {
                senders[n][took[n]] = from ? strdup (from) : NULL;
                taken[n][took[n]++] = strdup (node);
            }
        }
        cJSON_Delete (event);
    }
    fclose (file);
    //  Updates stored at all five nodes, as their taps tell: Clark first,
    //  and each node after the node it had the update from
    for (size_t n = 0; n < SEQS; n++) {
        if (took[n] == 5) {
            whole++;
            assert_string_equal (taken[n][0], "Clark");
            assert_null (senders[n][0]);
            for (size_t i = 1; i < 5; i++) {
                bool before = false;
                for (size_t j = 0; j < i; j++)
                    before |= streq (taken[n][j], senders[n][i]);
                if (!before)
                    fail_msg ("seq=%zu: %s had it from %s, not seen before", n,
                              taken[n][i], senders[n][i]);
            }
        }
        for (size_t i = 0; i < took[n]; i++) {
            free (taken[n][i]);
            free (senders[n][i]);
        }
    }
    assert_true (whole > 0);  //  One update at least was seen everywhere
    for (size_t n = 1; n < SEQS; n++)
        if (stored_at[n] && rx_at[n])
            checked += s_in_order (n, stored_at[n], rx_at[n]);
    assert_true (lines > 10);
    assert_true (checked > 0);
    herd_test_monitor_remove (path);
    herd_test_herd_destroy (&herd);
}

//  Is there a line of path with row and all of also: the --stats table's
//  row for a node once it shows clients and links as wanted, or a --json
//  event of a node and kind?
typedef struct {
    const char *path;
    const char *row;      //  "C  ": the node's row
    const char *also[3];  //  What it must hold, NULL-terminated
} s_row_t;

static bool
s_row (void *arg)
{
    s_row_t *row = (s_row_t *) arg;
    const char *needles[] = {row->row, row->also[0], row->also[1], NULL};
    return herd_test_file_count_all (row->path, needles) > 0;
}

//  Is text well-formed UTF-8?  libc's decoder says: it refuses overlongs,
//  surrogates, code points over U+10FFFF and cut sequences.
static bool
s_utf8 (const char *text)
{
    iconv_t decoder = iconv_open ("UTF-32LE", "UTF-8");
    assert_true (decoder != (iconv_t) -1);
    char *copy = strdup (text), *in = copy;
    size_t left = strlen (copy);
    bool valid = true;
    while (left > 0 && valid) {
        char out[4096], *at = out;
        size_t room = sizeof (out);
        if (iconv (decoder, &in, &left, &at, &room) == (size_t) -1
            && errno != E2BIG)
            valid = false;
    }
    free (copy);
    iconv_close (decoder);
    return valid;
}

static const char *
s_string (cJSON *object, const char *name)
{
    return cJSON_GetStringValue (cJSON_GetObjectItem (object, name));
}

//  A client whose id is no UTF-8 (a 0xff byte): every --json line is still
//  UTF-8, with U+FFFD where the byte was and the exact bytes in the twin.
static void
test_json_lines_are_utf8_whatever_a_client_sends (void **state)
{
    (void) state;
    herd_test_herd_t *herd = herd_test_tapped_chain (2);
    char path[] = "/tmp/herd-json-XXXXXX";
    close (mkstemp (path));
    int monitor = herd_test_monitor (herd_test_herd_topology (herd), path,
                                     "--json", NULL);
    //  The first IAMATs may go unseen while the subscriptions reach the taps
    s_row_t seen[] = {{path, "\"node\":\"A\"", {"\"event\":\"in\"", NULL}},
                      {path, "\"node\":\"A\"", {"\"event\":\"out\"", NULL}},
                      {path, "\"node\":\"B\"", {"\"event\":\"update\"", NULL}}};
    for (int i = 0; i < 50; i++) {
        char request[64];
        snprintf (request, sizeof (request), "IAMAT bin\xff%s +1+1 %d\n", "23",
                  i + 1);
        free (herd_test_grader (herd_test_herd_port (herd, "A"), request,
                                S_DEADLINE));
        if (herd_test_wait_until (s_row, &seen[0], 200)
            && herd_test_wait_until (s_row, &seen[1], 200)
            && herd_test_wait_until (s_row, &seen[2], 200))
            break;
    }
    for (size_t i = 0; i < 3; i++)
        assert_true (s_row (&seen[i]));
    herd_test_monitor_stop (monitor);
    //  The id as JSON shows it (0xff as U+FFFD), and as its twin does
    const char *shown = "bin\xef\xbf\xbd"
                        "23";
    const char *twin = "bin\\xff23";
    char *line_shown = zsys_sprintf ("IAMAT %s +1+1 ", shown);
    char *line_twin = zsys_sprintf ("IAMAT %s +1+1 ", twin);
    char *reply_shown = zsys_sprintf (" %s +1+1 ", shown);
    char *reply_twin = zsys_sprintf (" %s +1+1 ", twin);
    FILE *file = fopen (path, "r");
    char line[8192];
    size_t lines = 0, updates = 0, ins = 0, outs = 0;
    while (fgets (line, sizeof (line), file)) {
        if (!s_utf8 (line))
            fail_msg ("not UTF-8: %s", line);
        cJSON *event = cJSON_Parse (line);
        assert_non_null (event);
        lines++;
        cJSON *fields = cJSON_GetObjectItem (event, "fields");
        const char *kind = s_string (event, "event");
        const char *data = s_string (fields, "data");
        const char *escaped = s_string (fields, "data_escaped");
        if (streq (kind, "update")) {
            assert_string_equal (s_string (fields, "client"), shown);
            assert_string_equal (s_string (fields, "client_escaped"), twin);
            updates++;
        } else if (streq (kind, "in")) {
            assert_int_equal (strncmp (data, line_shown, strlen (line_shown)),
                              0);
            assert_int_equal (strncmp (escaped, line_twin, strlen (line_twin)),
                              0);
            ins++;
        } else if (streq (kind, "out")) {
            assert_non_null (strstr (data, reply_shown));
            assert_non_null (strstr (escaped, reply_twin));
            assert_string_equal (data + strlen (data) - 1, "\n");
            outs++;
        }
        cJSON_Delete (event);
    }
    fclose (file);
    free (line_shown);
    free (line_twin);
    free (reply_shown);
    free (reply_twin);
    assert_true (lines > 3 && updates >= 2 && ins >= 1 && outs >= 1);
    herd_test_monitor_remove (path);
    herd_test_herd_destroy (&herd);
}

static void
test_the_monitor_prints_each_nodes_numbers (void **state)
{
    (void) state;
    herd_test_herd_t *herd = herd_test_tapped_chain (3);
    char path[] = "/tmp/herd-stats-XXXXXX";
    close (mkstemp (path));
    int monitor = herd_test_monitor (herd_test_herd_topology (herd), path,
                                     "--stats", NULL);
    char request[4096] = "";
    for (int i = 0; i < 20; i++) {
        size_t used = strlen (request);
        snprintf (request + used, sizeof (request) - used,
                  "IAMAT client%d +1-1 %d\n", i, i + 1);
    }
    free (herd_test_exchange (herd_test_herd_port (herd, "A"), request,
                              S_DEADLINE));
    //  "NODE  CONNS  IAMAT/s ...  CLIENTS  P50  P99  LINKS", once a second
    s_row_t header = {path, "node  conns    IAMAT", {"links\n", NULL}};
    assert_true (herd_test_wait_until (s_row, &header, S_DEADLINE));
    s_row_t c = {path, "C ", {" 20 ", " B:synced\n", NULL}};
    assert_true (herd_test_wait_until (s_row, &c, S_DEADLINE));
    s_row_t b = {path, "B ", {" 20 ", " A:synced,C:synced\n", NULL}};
    assert_true (herd_test_wait_until (s_row, &b, S_DEADLINE));
    //  A node that stops sending numbers is shown as such
    herd_test_herd_signal (herd, "C", SIGKILL);
    s_row_t gone = {path, "C ", {"(no stats: node down or not heard)", NULL}};
    assert_true (herd_test_wait_until (s_row, &gone, S_DEADLINE));
    herd_test_monitor_stop (monitor);
    herd_test_monitor_remove (path);
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
        cmocka_unit_test (test_json_lines_are_utf8_whatever_a_client_sends),
        cmocka_unit_test (test_the_monitor_prints_each_nodes_numbers),
        cmocka_unit_test (test_metrics_count_what_was_sent),
    };
    return cmocka_run_group_tests_name ("e2e_monitor", tests, NULL, NULL);
}
