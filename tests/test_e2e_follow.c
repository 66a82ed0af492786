/*  test_e2e_follow - `herd monitor --follow`: one client's journey, hop
    by hop, over a real herd and over taps of our own  */

#include "herd_test.h"
#include "herd_log.h"

#include <czmq.h>

#define S_DEADLINE 10000


typedef struct {
    const char *path;
    char seq[32];  //  " seq=N "
    size_t nodes;  //  How many nodes the herd has
} s_journey_t;

//  Has one update of the originator's reached every node in the --follow
//  output?  Its " seq=N " goes to journey->seq.
static bool
s_whole_journey (void *arg)
{
    s_journey_t *journey = (s_journey_t *) arg;
    for (int n = 1; n < 60; n++) {
        snprintf (journey->seq, sizeof (journey->seq), " seq=%d ", n);
        const char *needles[] = {" update stored ", journey->seq, NULL};
        if (herd_test_file_count_all (journey->path, needles) == journey->nodes)
            return true;
    }
    return false;
}

static void
test_the_monitor_follows_one_client_hop_by_hop (void **state)
{
    (void) state;
    herd_test_herd_t *herd =
        herd_test_herd_from_file ("deploy/topologies/cs131-2022.zpl", NULL);
    herd_test_herd_taps (herd);
    herd_test_herd_start_all (herd);
    char path[] = "/tmp/herd-follow-XXXXXX";
    close (mkstemp (path));
    int monitor = herd_test_monitor (herd_test_herd_topology (herd), path,
                                     "--follow", "kiwi");
    uint16_t clark = herd_test_herd_port (herd, "Clark");
    //  Someone else's updates are not shown; the first of kiwi's may be
    //  missed while the subscriptions reach the taps
    s_journey_t journey = {path, "", 5};
    for (int i = 0; i < 50 && !s_whole_journey (&journey); i++) {
        char request[96];
        snprintf (request, sizeof (request),
                  "IAMAT other +1-1 %d\nIAMAT kiwi +34.068930-118.445127 %d\n",
                  i + 1, i + 1);
        free (herd_test_exchange (clark, request, S_DEADLINE));
        herd_test_wait_until (s_whole_journey, &journey, 200);
    }
    assert_true (s_whole_journey (&journey));
    //  And its WHATSAT: the line, the Places call and the reply
    free (herd_test_grader (clark, "WHATSAT kiwi 10 1\n", S_DEADLINE));
    const char *asked[] = {"Clark", " places ask ", "client=\"kiwi\"", NULL};
    const char *answered[] = {"Clark", " places answer ", "status=OK",
                              " ms=", NULL};
    const char *reply[] = {"Clark", " out ", "\"AT Clark ", " kiwi +34", NULL};
    herd_test_seen_t done = {path, " places answer ", 1};
    assert_true (herd_test_wait_until (herd_test_file_has, &done, S_DEADLINE));
    herd_test_monitor_stop (monitor);
    assert_int_equal (herd_test_file_count_all (path, asked), 1);
    assert_int_equal (herd_test_file_count_all (path, answered), 1);
    assert_true (herd_test_file_count_all (path, reply)
                 >= 2);  //  IAMATs and WHATSAT
    assert_int_equal (herd_test_file_count (path, "other"), 0);
    //  The whole journey: Clark stored it first; every other node says
    //  whom it had it from, how long that hop took and how long since Clark
    FILE *file = fopen (path, "r");
    char line[8192];
    size_t hops = 0;
    bool origin = false;
    while (fgets (line, sizeof (line), file)) {
        if (!strstr (line, " update stored ") || !strstr (line, journey.seq))
            continue;
        assert_non_null (strstr (line, "originator=Clark "));
        assert_non_null (strstr (line, "client=\"kiwi\""));
        if (!strstr (line, " from=")) {
            assert_false (origin);
            assert_int_equal (hops, 0);  //  Printed first
            assert_non_null (strstr (line, "  Clark "));
            origin = true;
            continue;
        }
        const char *hop = strstr (line, "(hop ");
        assert_non_null (hop);
        double took = -1, since = -1;
        assert_int_equal (
            sscanf (hop, "(hop %lf ms, %lf ms since Clark)", &took, &since), 2);
        assert_true (took >= 0 && since >= took && since < 1000);
        hops++;
    }
    fclose (file);
    assert_true (origin);
    assert_int_equal (hops, 4);
    herd_test_monitor_remove (path);
    herd_test_herd_destroy (&herd);
}

//  Found in the follow test, one run in ten: a hop was timed from the
//  sender's newest record of the update, which may be a stale copy that
//  came back to it after it had sent the update on.  Taps of our own, with
//  records timed as we please.
static void
test_follow_times_a_hop_from_where_the_sender_stored_it (void **state)
{
    (void) state;
    const char *names[] = {"A", "B", "C"};
    zsock_t *taps[3];
    char topology[] = "/tmp/herd-taps-XXXXXX";
    herd_test_own_taps (topology, names, 3, taps);
    char path[] = "/tmp/herd-follow-XXXXXX";
    close (mkstemp (path));
    int monitor = herd_test_monitor (topology, path, "--follow", "kiwi");
    for (int i = 0; i < 3; i++) {  //  Its subscriptions reached every tap
        zsock_set_rcvtimeo (taps[i], S_DEADLINE);
        zframe_t *subscription = zframe_recv (taps[i]);
        assert_non_null (subscription);
        zframe_destroy (&subscription);
    }
    //  A stores it and sends it to B; B stores it and sends it to C; C
    //  stores it and, as in a ring, a copy comes back to B, stale
    struct {
        int node;
        int64_t micros;
        const char *text;
    } records[] = {
        {0, 0, "update stored originator=A seq=1 client=\"kiwi\" tx=B"},
        {1, 100,
         "update stored from=A originator=A seq=1 client=\"kiwi\" seen=A,B "
         "tx=C"},
        {2, 300,
         "update stored from=B originator=A seq=1 client=\"kiwi\" "
         "seen=A,B,C tx=-"},
        {1, 900,
         "update stale from=C originator=A seq=1 client=\"kiwi\" "
         "seen=A,B,C tx=-"},
    };
    struct timespec base;
    clock_gettime (CLOCK_REALTIME, &base);
    for (size_t r = 0; r < 4; r++) {
        char stamp[64], record[320];
        herd_test_stamp (stamp, sizeof (stamp), base, records[r].micros);
        snprintf (record, sizeof (record), "%s %s info %s", stamp,
                  names[records[r].node], records[r].text);
        char *topic = zsys_sprintf ("%s update", names[records[r].node]);
        zsock_send (taps[records[r].node], "ss", topic, record);
        free (topic);
    }
    herd_test_seen_t printed = {path, "update stale from=C", 1};
    assert_true (
        herd_test_wait_until (herd_test_file_has, &printed, S_DEADLINE));
    herd_test_monitor_stop (monitor);
    assert_int_equal (
        herd_test_file_count (path, "tx=-  (hop 0.200 ms, 0.300 ms since A)"),
        1);
    assert_int_equal (
        herd_test_file_count (path, "tx=C  (hop 0.100 ms, 0.100 ms since A)"),
        1);
    for (int i = 0; i < 3; i++)
        zsock_destroy (&taps[i]);
    unlink (topology);
    herd_test_monitor_remove (path);
}

//  Client ids go up to 1,024 bytes (HERD_MSG_CLIENT_MAX): --follow used to
//  lose ids longer than 128 bytes from update records (cut) and longer
//  than 255 from lines and replies.
static void
test_follow_keeps_long_ids_whole (void **state)
{
    (void) state;
    herd_test_herd_t *herd = herd_test_tapped_chain (3);
    //  Ids of 200 and 1,024 bytes, and one more that shares all but the
    //  last byte of the longer
    char id200[201], id1024[1025], other[1025];
    memset (id200, 'm', 200);
    id200[200] = 0;
    memset (id1024, 'l', 1023);
    memcpy (other, id1024, 1023);
    id1024[1023] = 'a';
    other[1023] = 'b';
    id1024[1024] = other[1024] = 0;
    char path200[] = "/tmp/herd-follow-XXXXXX";
    close (mkstemp (path200));
    char path1024[] = "/tmp/herd-follow-XXXXXX";
    close (mkstemp (path1024));
    int monitor200 = herd_test_monitor (herd_test_herd_topology (herd), path200,
                                        "--follow", id200);
    int monitor1024 = herd_test_monitor (herd_test_herd_topology (herd),
                                         path1024, "--follow", id1024);
    s_journey_t journey200 = {path200, "", 3};
    s_journey_t journey1024 = {path1024, "", 3};
    for (int i = 0; i < 50; i++) {
        char *request =
            zsys_sprintf ("IAMAT %s +1-1 %d\nIAMAT %s +1-1 %d\n"
                          "IAMAT %s +1-1 %d\n",
                          other, i + 1, id200, i + 1, id1024, i + 1);
        free (herd_test_exchange (herd_test_herd_port (herd, "A"), request,
                                  S_DEADLINE));
        free (request);
        if (herd_test_wait_until (s_whole_journey, &journey200, 200)
            && herd_test_wait_until (s_whole_journey, &journey1024, 200))
            break;
    }
    assert_true (s_whole_journey (&journey200));
    assert_true (s_whole_journey (&journey1024));
    herd_test_monitor_stop (monitor200);
    herd_test_monitor_stop (monitor1024);
    //  The 200-byte id: its line and reply, and every update record whole
    char *client = zsys_sprintf ("client=\"%s\"", id200);
    char *line = zsys_sprintf ("\"IAMAT %s +1-1 ", id200);
    char *reply = zsys_sprintf (" %s +1-1 ", id200);
    const char *in200[] = {" in conn=", line, NULL};
    const char *out200[] = {" out conn=", "\"AT A ", reply, NULL};
    const char *updates200[] = {" update ", client, NULL};
    assert_true (herd_test_file_count_all (path200, in200) >= 1);
    assert_true (herd_test_file_count_all (path200, out200) >= 1);
    assert_int_equal (herd_test_file_count_all (path200, updates200),
                      herd_test_file_count (path200, " update "));
    assert_int_equal (herd_test_file_count (path200, "lll"), 0);
    free (client);
    free (line);
    free (reply);
    //  The 1,024-byte id: the same, and never its neighbour's records
    client = zsys_sprintf ("client=\"%s\"", id1024);
    const char *updates1024[] = {" update ", client, NULL};
    assert_int_equal (herd_test_file_count_all (path1024, updates1024),
                      herd_test_file_count (path1024, " update "));
    assert_int_equal (herd_test_file_count (path1024, "lb"), 0);
    assert_int_equal (herd_test_file_count (path1024, "mmm"), 0);
    //  Its line and reply are cut in the records (HERD_LOG_PAYLOAD_MAX):
    //  they are found by the client= the node writes on them, where it does
    char *log = herd_test_herd_log_path (herd, "A");
    const char *named[] = {" in conn=", client, NULL};
    if (herd_test_file_count_all (log, named) > 0) {
        const char *in1024[] = {" in conn=", client, "\"IAMAT lll", NULL};
        const char *out1024[] = {" out conn=", client, "\"AT A ", NULL};
        assert_true (herd_test_file_count_all (path1024, in1024) >= 1);
        assert_true (herd_test_file_count_all (path1024, out1024) >= 1);
    }
    free (log);
    free (client);
    herd_test_monitor_remove (path200);
    herd_test_monitor_remove (path1024);
    herd_test_herd_destroy (&herd);
}

//  " PREFIX\"TEXT\"", text escaped as a node escapes it (never cut), or ""
//  if text is NULL.  Caller owns it.
static char *
s_quoted (const char *prefix, const char *text)
{
    if (!text)
        return strdup ("");
    char *escaped = (char *) zmalloc (4 * strlen (text) + 1);
    herd_log_escape (escaped, text, strlen (text));
    char *quoted = zsys_sprintf (" %s\"%s\"", prefix, escaped);
    free (escaped);
    return quoted;
}

//  A record of node A: "TIME A info WORDS tag=TAG[ client="CLIENT"]
//  [ "PAYLOAD"]".  Caller owns it.
static char *
s_crafted (const char *stamp,
           const char *words,
           int tag,
           const char *client,
           const char *payload)
{
    char *quoted_client = s_quoted ("client=", client);
    char *quoted_payload = s_quoted ("", payload);
    char *record = zsys_sprintf ("%s A info %s tag=%d%s%s", stamp, words, tag,
                                 quoted_client, quoted_payload);
    free (quoted_client);
    free (quoted_payload);
    return record;
}

//  The --follow filter alone, on records of a tap of our own: a record
//  with client= is the client's iff that value is the id, exactly; one
//  without (lines and replies of nodes that do not name the client on
//  them) iff its payload is a line beginning IAMAT or WHATSAT whose second
//  word is the id (valid or not), or a reply whose first line is an AT
//  line naming it.  Ids of 1, 200, 300 (with bytes
//  that the log escapes) and 1,024 bytes.
static void
test_follow_filter_takes_exactly_the_clients_records (void **state)
{
    (void) state;
    const char *names[] = {"A"};
    zsock_t *tap;
    char topology[] = "/tmp/herd-taps-XXXXXX";
    herd_test_own_taps (topology, names, 1, &tap);
    zsock_set_xpub_verbose (tap, 1);  //  Every monitor's subscriptions
    enum { IDS = 4 };
    char *ids[IDS];
    ids[0] = strdup ("k");
    ids[1] = (char *) zmalloc (201);
    memset (ids[1], 'm', 200);
    ids[2] = (char *) zmalloc (301);
    memset (ids[2], 'q', 300);
    memcpy (ids[2] + 1, "\"\\\xff\xc3\xa9", 5);
    ids[3] = (char *) zmalloc (1025);
    memset (ids[3], 'L', 1023);
    ids[3][1023] = 'a';
    char paths[IDS][32];
    int monitors[IDS];
    for (size_t i = 0; i < IDS; i++) {
        snprintf (paths[i], sizeof (paths[i]), "/tmp/herd-follow-XXXXXX");
        close (mkstemp (paths[i]));
        monitors[i] =
            herd_test_monitor (topology, paths[i], "--follow", ids[i]);
    }
    //  Each subscribes to in, out, update and places
    zsock_set_rcvtimeo (tap, S_DEADLINE);
    for (size_t i = 0; i < 4 * IDS; i++) {
        zframe_t *subscription = zframe_recv (tap);
        assert_non_null (subscription);
        zframe_destroy (&subscription);
    }
    struct timespec base;
    clock_gettime (CLOCK_REALTIME, &base);
    enum { RECORDS = 17 };
    size_t follows[IDS] = {0};
    bool expected[IDS][RECORDS];
    for (size_t i = 0; i < IDS; i++) {
        const char *id = ids[i];
        char *longer = zsys_sprintf ("%sy", id);
        char *shorter = strndup (id, strlen (id) - 1);
        char *iamat = zsys_sprintf ("IAMAT %s +1+1 1", id);
        char *spaced = zsys_sprintf ("IAMAT \t%s  +1+1\t1\r", id);
        char *whatsat = zsys_sprintf ("WHATSAT %s 10 1", id);
        char *iamat_longer = zsys_sprintf ("IAMAT %s +1+1 1", longer);
        char *short_line = zsys_sprintf ("IAMAT %s", id);
        char *at = zsys_sprintf ("AT A +0.000001000 %s +1+1 1\n", id);
        char *places = zsys_sprintf (
            "AT A +0.000001000 %s +1+1 1\n{\n   \"results\" : []\n}\n\n", id);
        char *at_shorter =
            zsys_sprintf ("AT A +0.000001000 %s +1+1 1\n", shorter);
        char *second = zsys_sprintf (
            "AT A +0.000001000 k2 +1+1 1\nAT A +0.000001000 %s +1+1 1\n", id);
        struct {
            const char *words;
            const char *client;
            const char *payload;
            bool follows;
        } records[RECORDS] = {
            {"update stored originator=A seq=1", id, NULL, true},
            {"update stored originator=A seq=2", longer, NULL, false},
            {"update stale", shorter, NULL, false},
            {"places ask id=1 conn=1", id, NULL, true},
            {"in conn=1", id, iamat, true},
            {"in conn=1", longer, iamat, false},  //  client= decides
            {"in conn=2", NULL, iamat, true},
            {"in conn=2", NULL, spaced, true},
            {"in conn=2", NULL, whatsat, true},
            {"in conn=2", NULL, iamat_longer, false},
            //  Invalid, but it names the client (found in review: it was
            //  left out, so --follow hid a client's bad lines)
            {"in conn=2", NULL, short_line, true},
            {"out conn=2", NULL, at, true},
            {"out conn=2", NULL, places, true},
            {"out conn=2", NULL, at_shorter, false},
            {"out conn=2", NULL, second, false},  //  The first line only
            {"out conn=1", id, at, true},
            {"out conn=1", shorter, at, false},
        };
        for (size_t r = 0; r < RECORDS; r++) {
            char stamp[64];
            herd_test_stamp (stamp, sizeof (stamp), base,
                             (int64_t) (i * RECORDS + r));
            char *record =
                s_crafted (stamp, records[r].words, (int) (1000 * (i + 1) + r),
                           records[r].client, records[r].payload);
            char kind[16];
            snprintf (kind, sizeof (kind), "A %.*s",
                      (int) strcspn (records[r].words, " "), records[r].words);
            zsock_send (tap, "ss", kind, record);
            free (record);
            follows[i] += records[r].follows;
            expected[i][r] = records[r].follows;
        }
        free (longer);
        free (shorter);
        free (iamat);
        free (spaced);
        free (whatsat);
        free (iamat_longer);
        free (short_line);
        free (at);
        free (places);
        free (at_shorter);
        free (second);
    }
    //  Each monitor shows its client's records, and only those
    for (size_t m = 0; m < IDS; m++) {
        herd_test_seen_t shown = {paths[m], " tag=", follows[m]};
        assert_true (
            herd_test_wait_until (herd_test_file_has, &shown, S_DEADLINE));
        herd_test_monitor_stop (monitors[m]);
        for (size_t i = 0; i < IDS; i++)
            for (size_t r = 0; r < RECORDS; r++) {
                char tag[16];
                snprintf (tag, sizeof (tag), " tag=%zu", 1000 * (i + 1) + r);
                size_t count = herd_test_file_count (paths[m], tag);
                if (count != (m == i && expected[i][r]))
                    fail_msg ("follow id %zu (%zu bytes): record %zu of id %zu "
                              "shown %zu times",
                              m, strlen (ids[m]), r, i, count);
            }
        assert_int_equal (herd_test_file_count (paths[m], " tag="), follows[m]);
        herd_test_monitor_remove (paths[m]);
    }
    for (size_t i = 0; i < IDS; i++)
        free (ids[i]);
    zsock_destroy (&tap);
    unlink (topology);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_monitor_follows_one_client_hop_by_hop),
        cmocka_unit_test (
            test_follow_times_a_hop_from_where_the_sender_stored_it),
        cmocka_unit_test (test_follow_keeps_long_ids_whole),
        cmocka_unit_test (test_follow_filter_takes_exactly_the_clients_records),
    };
    return cmocka_run_group_tests_name ("e2e_follow", tests, NULL, NULL);
}
