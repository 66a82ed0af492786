/*  test_herd_settings - a node's settings, read once into typed structs  */

#include "herd_test.h"
#include "herd_settings.h"

static herd_topo_t *
s_topo (const char *text)
{
    herd_topo_t *topo = herd_topo_new ();
    if (herd_topo_load_string (topo, text))
        fail_msg ("%s", herd_topo_errors (topo));
    return topo;
}

//  Each setting from the node, else the herd section, else its default.
static void
test_read_types_every_setting (void **state)
{
    (void) state;
    herd_topo_t *topo = s_topo ("herd\n"
                                "    max_line = 1024\n"
                                "    front = stream\n"
                                "    state_dir = /var/herd\n"
                                "    max_age_s = 60\n"
                                "nodes\n"
                                "    A\n"
                                "        client = 127.0.0.1:7001\n"
                                "        herd = tcp://127.0.0.1:7101\n"
                                "        max_clients = 5\n"
                                "        metrics = [::1]:9100\n"
                                "        tap = tcp://127.0.0.1:7201\n");
    herd_settings_t settings;
    const char *reason = NULL;
    assert_int_equal (herd_settings_read (&settings, topo, 0, NULL, &reason),
                      0);
    assert_int_equal (settings.front.max_line, 1024);
    assert_true (settings.front.stream);
    assert_int_equal (settings.front.max_connections, 10000);
    assert_int_equal (settings.max_clients, 5);
    assert_string_equal (settings.metrics_host, "::1");
    assert_int_equal (settings.metrics_port, 9100);
    assert_string_equal (settings.tap, "tcp://127.0.0.1:7201");
    assert_string_equal (settings.keys_dir, "");
    assert_string_equal (settings.log_dir, "logs");
    assert_string_equal (settings.log_level, "info");
    assert_string_equal (settings.saver.path, "/var/herd/A.state");
    assert_int_equal (settings.saver.max_age_s, 60);
    assert_int_equal (settings.saver.interval_ms, 10000);
    assert_int_equal (settings.link.heartbeat_ms, 1000);
    assert_int_equal (settings.link.timeout_ms, 3000);
    assert_int_equal (settings.link.reconnect_ms, 100);
    assert_int_equal (settings.link.reconnect_max_ms, 500);
    assert_int_equal (settings.link.connect_timeout_ms, 500);
    assert_int_equal (settings.ack_hold_ms, 100);
    assert_false (settings.reply_at_store);
    herd_topo_destroy (&topo);
}

//  What a node binds: tap_bind and metrics_bind where given; and the
//  links' timing from the topology.
static void
test_read_binds_and_link_timing (void **state)
{
    (void) state;
    herd_topo_t *topo = s_topo ("herd\n"
                                "    link_heartbeat_ms = 200\n"
                                "    link_timeout_ms = 700\n"
                                "    link_reconnect_ms = 50\n"
                                "    link_reconnect_max_ms = 2000\n"
                                "    link_connect_timeout_ms = 0\n"
                                "    ack_hold_ms = 0\n"
                                "    reply_after = store\n"
                                "nodes\n"
                                "    A\n"
                                "        client = a:7001\n"
                                "        herd = tcp://a:7101\n"
                                "        metrics = a:9100\n"
                                "        metrics_bind = 0.0.0.0:9101\n"
                                "        tap = tcp://a:7201\n"
                                "        tap_bind = tcp://0.0.0.0:7201\n");
    herd_settings_t settings;
    const char *reason = NULL;
    assert_int_equal (herd_settings_read (&settings, topo, 0, NULL, &reason),
                      0);
    assert_string_equal (settings.metrics_host, "0.0.0.0");
    assert_int_equal (settings.metrics_port, 9101);
    assert_string_equal (settings.tap, "tcp://0.0.0.0:7201");
    assert_int_equal (settings.link.heartbeat_ms, 200);
    assert_int_equal (settings.link.timeout_ms, 700);
    assert_int_equal (settings.link.reconnect_ms, 50);
    assert_int_equal (settings.link.reconnect_max_ms, 2000);
    assert_int_equal (settings.link.connect_timeout_ms, 0);
    assert_int_equal (settings.ack_hold_ms, 0);
    assert_true (settings.reply_at_store);
    herd_topo_destroy (&topo);
}

//  The command line's state file wins; "" means none.
static void
test_read_takes_the_state_path_given (void **state)
{
    (void) state;
    herd_topo_t *topo = s_topo ("herd\n    state_dir = /var/herd\nnodes\n"
                                "    A\n        client = 127.0.0.1:7001\n"
                                "        herd = tcp://127.0.0.1:7101\n");
    herd_settings_t settings;
    const char *reason = NULL;
    assert_int_equal (
        herd_settings_read (&settings, topo, 0, "/tmp/a.state", &reason), 0);
    assert_string_equal (settings.saver.path, "/tmp/a.state");
    assert_int_equal (herd_settings_read (&settings, topo, 0, "", &reason), 0);
    assert_string_equal (settings.saver.path, "");
    herd_topo_destroy (&topo);
}

//  Places: a provider's URL by default, the key from the environment only
//  (the stub's stand-in key when there is none).
static void
test_read_places_from_the_topology_and_the_environment (void **state)
{
    (void) state;
    herd_topo_t *topo = s_topo ("places\n    provider = google\nnodes\n"
                                "    A\n        client = 127.0.0.1:7001\n"
                                "        herd = tcp://127.0.0.1:7101\n");
    herd_settings_t settings;
    const char *reason = NULL;
    setenv ("HERD_PLACES_KEY", "secret", 1);
    assert_int_equal (herd_settings_read (&settings, topo, 0, NULL, &reason),
                      0);
    assert_string_equal (settings.places.url, "https://places.googleapis.com");
    assert_string_equal (settings.places.key, "secret");
    herd_topo_destroy (&topo);
    unsetenv ("HERD_PLACES_KEY");
    topo = s_topo ("nodes\n    A\n        client = 127.0.0.1:7001\n"
                   "        herd = tcp://127.0.0.1:7101\n");
    assert_int_equal (herd_settings_read (&settings, topo, 0, NULL, &reason),
                      0);
    assert_string_equal (settings.places.provider, "stub");
    assert_null (settings.places.url);
    assert_string_equal (settings.places.key, "herd-stub");
    herd_topo_destroy (&topo);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_read_types_every_setting),
        cmocka_unit_test (test_read_binds_and_link_timing),
        cmocka_unit_test (test_read_takes_the_state_path_given),
        cmocka_unit_test (
            test_read_places_from_the_topology_and_the_environment),
    };
    return cmocka_run_group_tests_name ("herd_settings", tests, NULL, NULL);
}
