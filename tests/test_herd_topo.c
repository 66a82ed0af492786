/*  test_herd_topo - topology files  */

#include "herd_test.h"
#include "herd_endpoint.h"
#include "herd_topo.h"

#include <czmq.h>
#include <unistd.h>

static const char *s_good = "herd\n"
                            "    max_line = 1024\n"
                            "nodes\n"
                            "    A\n"
                            "        client = 127.0.0.1:7001\n"
                            "        herd = tcp://127.0.0.1:7101\n"
                            "        max_line = 2048\n"
                            "    B\n"
                            "        client = [::1]:7002\n"
                            "        herd = tcp://127.0.0.1:7102\n"
                            "    C\n"
                            "        client = localhost:7003\n"
                            "        herd = tcp://127.0.0.1:7103\n"
                            "links\n"
                            "    link = A B\n"
                            "    link = C A\n";

static void
test_load_string_reads_nodes_and_links (void **state)
{
    (void) state;
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load_string (topo, s_good), 0);
    assert_string_equal (herd_topo_errors (topo), "");
    assert_int_equal (herd_topo_node_count (topo), 3);
    assert_int_equal (herd_topo_node_index (topo, "C"), 2);
    assert_int_equal (herd_topo_node_index (topo, "D"), -1);
    assert_string_equal (herd_topo_node_name (topo, 1), "B");
    assert_string_equal (herd_topo_client_host (topo, 1), "::1");
    assert_int_equal (herd_topo_client_port (topo, 1), 7002);
    assert_string_equal (herd_topo_herd_endpoint (topo, 0),
                         "tcp://127.0.0.1:7101");
    assert_int_equal (herd_topo_neighbour_count (topo, 0), 2);
    assert_int_equal (herd_topo_neighbour (topo, 0, 0), 1);
    assert_int_equal (herd_topo_neighbour (topo, 0, 1), 2);
    assert_int_equal (herd_topo_neighbour_count (topo, 2), 1);
    herd_topo_destroy (&topo);
    assert_null (topo);
}

static void
test_settings_inherit_from_the_herd (void **state)
{
    (void) state;
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load_string (topo, s_good), 0);
    assert_int_equal (herd_topo_number (topo, 0, "max_line"), 2048);
    assert_int_equal (herd_topo_number (topo, 1, "max_line"), 1024);
    assert_string_equal (herd_topo_setting (topo, 1, "front"), "tcp");
    assert_int_equal (herd_topo_number (topo, 1, "max_connections"), 10000);
    assert_string_equal (herd_topo_places (topo, "provider"), "stub");
    assert_null (herd_topo_places (topo, "url"));
    herd_topo_destroy (&topo);
}

static void
s_assert_error (const char *text, const char *expected)
{
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load_string (topo, text), -1);
    if (!strstr (herd_topo_errors (topo), expected))
        fail_msg ("wanted [%s] in [%s]", expected, herd_topo_errors (topo));
    assert_int_equal (herd_topo_node_count (topo), 0);
    herd_topo_destroy (&topo);
}

static void
test_load_names_every_error (void **state)
{
    (void) state;
    const char *nodes = "nodes\n"
                        "    A\n"
                        "        client = 127.0.0.1:7001\n"
                        "        herd = tcp://127.0.0.1:7101\n"
                        "    B\n"
                        "        client = 127.0.0.1:7002\n"
                        "        herd = tcp://127.0.0.1:7102\n";
    char text[1024];
    snprintf (text, sizeof (text), "%slinks\n    link = A Z\n", nodes);
    s_assert_error (text, "<string>:9: links/link: unknown node \"Z\"");
    snprintf (text, sizeof (text), "%slinks\n    link = A A\n", nodes);
    s_assert_error (text, "A is linked to itself");
    snprintf (text, sizeof (text), "%slinks\n    link = A B\n    link = B A\n",
              nodes);
    s_assert_error (text, "<string>:10: links/link: B-A is listed twice");
    s_assert_error ("nodes\n    A\n        herd = tcp://127.0.0.1:1\n",
                    "nodes/A: missing client");
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:1\n",
                    "nodes/A: missing herd");
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:70000\n"
                    "        herd = tcp://127.0.0.1:1\n",
                    "nodes/A/client");
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:2\n"
                    "        herd = udp://127.0.0.1:1\n",
                    "nodes/A/herd");
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:2\n"
                    "        herd = tcp://127.0.0.1:1\n"
                    "    B\n        client = 127.0.0.1:2\n"
                    "        herd = tcp://127.0.0.1:3\n",
                    "nodes/B: endpoint 127.0.0.1:2 is also used by A");
    //  Found by fuzz_topology: a short malformed endpoint was compared
    //  with the others past its end (read overflow under ASan)
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:2\n"
                    "        herd = t\n"
                    "    B\n        client = x:3\n"
                    "        herd = tcp://127.0.0.1:4\n",
                    "nodes/A/herd: \"t\" is not tcp://host:port");
    s_assert_error ("herd\n    front = udp\nnodes\n", "herd/front");
    s_assert_error ("herd\n    log_level = loud\nnodes\n", "herd/log_level");
    s_assert_error ("herd\n    max_line = lots\n", "herd/max_line");
    //  A metrics endpoint is checked here, so that herd check says so
    //  (it stopped the node at start, and only then)
    s_assert_error ("herd\n    metrics = 127.0.0.1\n",
                    "herd/metrics: \"127.0.0.1\" is not host:port");
    s_assert_error ("herd\n    metrics = 127.0.0.1:9x\n", "herd/metrics");
    s_assert_error ("herd\n    metrics = [::1:9\n", "herd/metrics");
    s_assert_error ("herd\n    colour = blue\n", "herd/colour: unknown key");
    s_assert_error ("other\n", "other: unknown section");
    s_assert_error ("places\n    provider = bing\n", "places/provider");
    s_assert_error ("places\n    url = ftp://x\n", "places/url");
    s_assert_error ("places\n    colour = red\n", "places/colour: unknown");
    s_assert_error ("herd\n", "nodes: no node defined");
    s_assert_error ("nodes\n    A@B\n        client = 127.0.0.1:2\n"
                    "        herd = tcp://127.0.0.1:1\n",
                    "nodes/A@B: bad node name");
}

//  Load text and expect exactly these errors.
static void
s_assert_errors (const char *text, const char *expected)
{
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load_string (topo, text), -1);
    assert_string_equal (herd_topo_errors (topo), expected);
    herd_topo_destroy (&topo);
}

//  Every error says where, as compilers do: the line of the item at fault,
//  of the section lacking a key, of the later of two that clash.
static void
test_every_error_names_its_line (void **state)
{
    (void) state;
    const char *nodes = "nodes\n"                                 //  1
                        "    A\n"                                 //  2
                        "        client = 127.0.0.1:7001\n"       //  3
                        "        herd = tcp://127.0.0.1:7101\n"   //  4
                        "    B\n"                                 //  5
                        "        client = 127.0.0.1:7002\n"       //  6
                        "        herd = tcp://127.0.0.1:7102\n";  //  7
    char text[1024];
    snprintf (text, sizeof (text),
              "%s# The links\nlinks\n    link = A B\n    link = B Jonson\n",
              nodes);
    s_assert_errors (text,
                     "<string>:11: links/link: unknown node \"Jonson\"\n");
    s_assert_errors ("nodes\n    A\n        client = x\n"
                     "        herd = tcp://127.0.0.1:1\n",
                     "<string>:3: nodes/A/client: \"x\" is not host:port\n");
    snprintf (text, sizeof (text),
              "herd\n    max_line = 99\n    colour = blue\n%s", nodes);
    s_assert_errors (text, "<string>:3: herd/colour: unknown key\n");
    snprintf (text, sizeof (text),
              "%s    A\n        client = 127.0.0.1:7003\n"
              "        herd = tcp://127.0.0.1:7103\n",
              nodes);
    s_assert_errors (text, "<string>:8: nodes/A: defined twice\n");
    snprintf (text, sizeof (text),
              "%s    C\n        herd = tcp://127.0.0.1:1\n", nodes);
    s_assert_errors (text, "<string>:8: nodes/C: missing client (host:port)\n");
    snprintf (text, sizeof (text),
              "%s    C\n        client = 127.0.0.1:7009\n"
              "        herd = tcp://127.0.0.1:7102\n",
              nodes);
    s_assert_errors (text, "<string>:10: nodes/C: endpoint "
                           "tcp://127.0.0.1:7102 is also used by B\n");
    s_assert_errors ("# nothing\n\nherd\n",
                     "<string>:1: nodes: no node defined\n");
    s_assert_errors ("herd\nnodes\n", "<string>:2: nodes: no node defined\n");
    s_assert_errors ("nodes\n    A\n        client = 127.0.0.1:7\n"
                     "        bind = tcp://0.0.0.0:7\n"
                     "        herd = tcp://127.0.0.1:8\n",
                     "<string>:4: nodes/A: client and herd both bind "
                     "127.0.0.1:7\n");
    //  Settings that disagree: the later of the two items, here B's own
    //  against the herd section's
    snprintf (text, sizeof (text),
              "herd\n    link_timeout_ms = 900\n    link_heartbeat_ms = 100\n"
              "%s        link_heartbeat_ms = 950\n",
              nodes);
    s_assert_errors (text, "<string>:11: nodes/B: link_timeout_ms (900) is not "
                           "more than link_heartbeat_ms (950)\n");
    snprintf (text, sizeof (text), "%s        tap_bind = tcp://0.0.0.0:9\n",
              nodes);
    s_assert_errors (text, "<string>:8: nodes/B: tap_bind without tap\n");
    s_assert_errors ("places\n    provider = bing\nnodes\n    A\n",
                     "<string>:2: places/provider: \"bing\" is not stub, "
                     "google or google-legacy\n"
                     "<string>:4: nodes/A: missing client (host:port)\n"
                     "<string>:4: nodes/A: missing herd (tcp://host:port)\n");
    //  A section given twice: only the first was read, without a word
    snprintf (text, sizeof (text), "%snodes\n    C\n", nodes);
    s_assert_errors (text, "<string>:8: nodes: a second nodes section (merge "
                           "it into the first, on line 1)\n");
    //  In line order, though the sections are checked before the nodes
    s_assert_errors ("nodes\n    A\nother\n",
                     "<string>:2: nodes/A: missing client (host:port)\n"
                     "<string>:2: nodes/A: missing herd (tcp://host:port)\n"
                     "<string>:3: other: unknown section\n");
}

//  A ZPL syntax error is ours to report, on its line: czmq would print its
//  own message (on stdout), and prints nothing.
static void
test_syntax_errors_name_their_line_and_czmq_prints_nothing (void **state)
{
    (void) state;
    herd_test_capture_t capture;
    herd_test_capture_begin (&capture);
    const char *bad[][2] = {
        {"nodes\n    A\n      client = 127.0.0.1:1\n",
         "<string>:3: indentation is not a multiple of 4 spaces\n"},
        {"nodes\n    A\n\tclient = 127.0.0.1:1\n",
         "<string>:3: a tab in the indentation (indent with 4 spaces a "
         "level)\n"},
        {"nodes\n    Jo:nson\n",
         "<string>:2: a name must be letters, digits and $-_@.&+/\n"},
        {"nodes\n    A\n        client = \"127.0.0.1:1\n",
         "<string>:3: unterminated quote (no closing \" on the line)\n"},
        {"links\n    link A B\n",
         "<string>:2: only \"= value\" or a # comment may follow a name\n"},
        {"nodes\n\n            A\n",
         "<string>:3: indented more than one level below the item before "
         "it\n"},
    };
    //  Nothing is asserted until stdout is back, where cmocka reports
    char *errors[6];
    int rc[6];
    for (size_t i = 0; i < 6; i++) {
        herd_topo_t *topo = herd_topo_new ();
        rc[i] = herd_topo_load_string (topo, bad[i][0]);
        errors[i] = strdup (herd_topo_errors (topo));
        herd_topo_destroy (&topo);
    }
    size_t printed = herd_test_capture_end (&capture);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal (rc[i], -1);
        assert_string_equal (errors[i], bad[i][1]);
        free (errors[i]);
    }
    assert_int_equal (printed, 0);
}

//  A file's errors name it; a file that cannot be read has no line.
static void
test_load_names_the_file_in_errors (void **state)
{
    (void) state;
    char path[] = "/tmp/herd-topo-XXXXXX";
    int fd = mkstemp (path);
    const char *text = "nodes\n"
                       "    A\n"
                       "        client = 127.0.0.1:7001\n"
                       "        herd = tcp://127.0.0.1:7101\n"
                       "links\n"
                       "    link = A Jonson\n"
                       "    link A\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load (topo, path), -1);
    char *expected =
        zsys_sprintf ("%s:7: only \"= value\" or a # comment may follow a "
                      "name\n",
                      path);
    assert_string_equal (herd_topo_errors (topo), expected);
    free (expected);
    fd = open (path, O_WRONLY | O_TRUNC);
    assert_int_equal (write (fd, text, strlen (text) - 11),
                      (ssize_t) strlen (text) - 11);
    close (fd);
    assert_int_equal (herd_topo_load (topo, path), -1);
    expected =
        zsys_sprintf ("%s:6: links/link: unknown node \"Jonson\"\n", path);
    assert_string_equal (herd_topo_errors (topo), expected);
    free (expected);
    unlink (path);
    assert_int_equal (herd_topo_load (topo, "no/such/file.zpl"), -1);
    assert_string_equal (herd_topo_errors (topo),
                         "no/such/file.zpl: no such file\n");
    //  Before: "/tmp:1: nodes: no node defined"
    assert_int_equal (herd_topo_load (topo, "/tmp"), -1);
    assert_string_equal (herd_topo_errors (topo),
                         "/tmp: a directory, not a topology file\n");
    herd_topo_destroy (&topo);
}

//  A node binds one address and is dialled at another (a container, a
//  host behind NAT): bind and client_bind, else the advertised ones.
static void
test_binds_apart_from_what_neighbours_dial (void **state)
{
    (void) state;
    herd_topo_t *topo = herd_topo_new ();
    const char *text = "nodes\n"
                       "    A\n"
                       "        client = a.example:7001\n"
                       "        herd = tcp://a.example:7101\n"
                       "        bind = tcp://0.0.0.0:7101\n"
                       "        client_bind = [::]:7001\n"
                       "        tap = tcp://a.example:7201\n"
                       "        tap_bind = tcp://0.0.0.0:7201\n"
                       "        metrics = a.example:7301\n"
                       "        metrics_bind = 0.0.0.0:7301\n"
                       "    B\n"
                       "        client = 127.0.0.1:7002\n"
                       "        herd = tcp://127.0.0.1:7102\n"
                       "links\n"
                       "    link = A B\n";
    assert_int_equal (herd_topo_load_string (topo, text), 0);
    assert_string_equal (herd_topo_herd_endpoint (topo, 0),
                         "tcp://a.example:7101");
    assert_string_equal (herd_topo_herd_bind (topo, 0), "tcp://0.0.0.0:7101");
    assert_string_equal (herd_topo_client_host (topo, 0), "a.example");
    assert_string_equal (herd_topo_client_bind_host (topo, 0), "::");
    assert_int_equal (herd_topo_client_bind_port (topo, 0), 7001);
    assert_string_equal (herd_topo_herd_bind (topo, 1), "tcp://127.0.0.1:7102");
    assert_string_equal (herd_topo_client_bind_host (topo, 1), "127.0.0.1");
    assert_int_equal (herd_topo_client_bind_port (topo, 1), 7002);
    herd_topo_destroy (&topo);
    const char *node = "nodes\n    A\n        client = 127.0.0.1:7001\n"
                       "        herd = tcp://127.0.0.1:7101\n";
    char bad[512];
    snprintf (bad, sizeof (bad), "%s        bind = 0.0.0.0:7101\n", node);
    s_assert_error (bad, "nodes/A/bind: \"0.0.0.0:7101\" is not tcp://");
    snprintf (bad, sizeof (bad), "%s        client_bind = 0.0.0.0:0\n", node);
    s_assert_error (bad, "nodes/A/client_bind");
    snprintf (bad, sizeof (bad),
              "%s        bind = tcp://0.0.0.0:7\n"
              "        client_bind = 0.0.0.0:7\n",
              node);
    s_assert_error (bad, "nodes/A: client and herd both bind 0.0.0.0:7");
    //  Found in review: the same port under a wildcard, or another
    //  spelling, passed herd check and failed at bind
    snprintf (bad, sizeof (bad), "%s        client_bind = 0.0.0.0:7101\n",
              node);
    s_assert_error (bad, "nodes/A: client and herd both bind 0.0.0.0:7101");
    snprintf (bad, sizeof (bad), "%s        bind = tcp://*:7001\n", node);
    s_assert_error (bad, "nodes/A: client and herd both bind 127.0.0.1:7001");
    s_assert_error ("nodes\n    A\n        client = 127.0.0.1:7\n"
                    "        herd = tcp://127.0.0.1:7\n",
                    "nodes/A: client and herd both bind 127.0.0.1:7");
    snprintf (bad, sizeof (bad), "%s        tap_bind = tcp://0.0.0.0:7\n",
              node);
    s_assert_error (bad, "nodes/A: tap_bind without tap");
    snprintf (bad, sizeof (bad), "%s        metrics_bind = 0.0.0.0:7\n", node);
    s_assert_error (bad, "nodes/A: metrics_bind without metrics");
    snprintf (bad, sizeof (bad), "%s        tap = 127.0.0.1:7\n", node);
    s_assert_error (bad, "nodes/A/tap: \"127.0.0.1:7\" is not tcp://");
}

//  How links keep their connections: settings, checked against each other.
static void
test_link_settings_are_checked (void **state)
{
    (void) state;
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load_string (topo, s_good), 0);
    assert_int_equal (herd_topo_number (topo, 0, "link_heartbeat_ms"), 1000);
    assert_int_equal (herd_topo_number (topo, 0, "link_timeout_ms"), 3000);
    assert_int_equal (herd_topo_number (topo, 0, "link_reconnect_ms"), 100);
    assert_int_equal (herd_topo_number (topo, 0, "link_reconnect_max_ms"), 500);
    assert_int_equal (herd_topo_number (topo, 0, "link_connect_timeout_ms"),
                      500);
    assert_int_equal (herd_topo_number (topo, 0, "ack_hold_ms"), 100);
    herd_topo_destroy (&topo);
    const char *node = "nodes\n    A\n        client = 127.0.0.1:7001\n"
                       "        herd = tcp://127.0.0.1:7101\n";
    char bad[512];
    snprintf (bad, sizeof (bad), "herd\n    link_heartbeat_ms = 5000\n%s",
              node);
    s_assert_error (bad, "nodes/A: link_timeout_ms (3000) is not more than "
                         "link_heartbeat_ms (5000)");
    snprintf (bad, sizeof (bad), "%s        link_reconnect_max_ms = 50\n",
              node);
    s_assert_error (bad, "nodes/A: link_reconnect_max_ms (50) is less than "
                         "link_reconnect_ms (100)");
    s_assert_error ("herd\n    link_connect_timeout_ms = 600001\n",
                    "herd/link_connect_timeout_ms");
    s_assert_error ("herd\n    ack_hold_ms = -1\n", "herd/ack_hold_ms");
    s_assert_error ("herd\n    reply_after = acks\n",
                    "herd/reply_after: \"acks\" is not neighbours or store");
    s_assert_error ("herd\n    link_heartbeat_ms = 0\n",
                    "herd/link_heartbeat_ms");
}

static void
test_host_port_splits_an_endpoint (void **state)
{
    (void) state;
    char host[16];
    uint16_t port;
    assert_int_equal (
        herd_endpoint_host_port ("127.0.0.1:9100", host, sizeof (host), &port),
        0);
    assert_string_equal (host, "127.0.0.1");
    assert_int_equal (port, 9100);
    assert_int_equal (
        herd_endpoint_host_port ("[::1]:0", host, sizeof (host), &port), 0);
    assert_string_equal (host, "::1");
    assert_int_equal (port, 0);
    //  Leading zeros, as before the parser moved to herd_endpoint
    assert_int_equal (
        herd_endpoint_host_port ("h:000080", host, sizeof (host), &port), 0);
    assert_int_equal (port, 80);
    const char *bad[] = {
        "127.0.0.1", ":80",          "h:",
        "h:65536",   "h:0000065536", "h:-1",
        "[::1:80",   "[]:80",        "a-host-name-too-long:80"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        if (herd_endpoint_host_port (bad[i], host, sizeof (host), &port) != -1)
            fail_msg ("accepted %s", bad[i]);
}

static void
test_load_reads_the_shipped_topologies (void **state)
{
    (void) state;
    const char *years[] = {"2018", "2020", "2021", "2022", "2023"};
    for (size_t i = 0; i < 5; i++) {
        char path[128];
        snprintf (path, sizeof (path), "deploy/topologies/cs131-%s.zpl",
                  years[i]);
        herd_topo_t *topo = herd_topo_new ();
        if (herd_topo_load (topo, path))
            fail_msg ("%s: %s", path, herd_topo_errors (topo));
        assert_int_equal (herd_topo_node_count (topo), 5);
        size_t links = 0;
        for (size_t n = 0; n < 5; n++)
            links += herd_topo_neighbour_count (topo, n);
        assert_int_equal (links, 12);
        herd_topo_destroy (&topo);
    }
    herd_topo_t *topo = herd_topo_new ();
    assert_int_equal (herd_topo_load (topo, "no/such/file.zpl"), -1);
    assert_non_null (strstr (herd_topo_errors (topo), "no such file"));
    herd_topo_destroy (&topo);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_load_string_reads_nodes_and_links),
        cmocka_unit_test (test_settings_inherit_from_the_herd),
        cmocka_unit_test (test_load_names_every_error),
        cmocka_unit_test (test_every_error_names_its_line),
        cmocka_unit_test (
            test_syntax_errors_name_their_line_and_czmq_prints_nothing),
        cmocka_unit_test (test_load_names_the_file_in_errors),
        cmocka_unit_test (test_binds_apart_from_what_neighbours_dial),
        cmocka_unit_test (test_link_settings_are_checked),
        cmocka_unit_test (test_host_port_splits_an_endpoint),
        cmocka_unit_test (test_load_reads_the_shipped_topologies),
    };
    return cmocka_run_group_tests_name ("herd_topo", tests, NULL, NULL);
}
