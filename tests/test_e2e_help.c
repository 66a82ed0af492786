/*  test_e2e_help - what a newcomer types first: help, usage errors, the
    default topology, and the shipped topologies' taps  */

#include "herd_test.h"
#include "herd_topo.h"
#include "herd_usage.h"

#include <dirent.h>

static const char *s_commands[] = {"node",  "up",   "monitor",     "ping",
                                   "check", "keys", "places-stub", "help"};
#define S_COMMANDS (sizeof (s_commands) / sizeof (s_commands[0]))

static void
test_every_command_has_its_own_help (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_COMMANDS; i++) {
        char *arguments = zsys_sprintf ("%s --help", s_commands[i]);
        char *out, *err;
        assert_int_equal (herd_test_command ("", arguments, &out, &err), 0);
        char *synopsis = zsys_sprintf ("usage: herd %s", s_commands[i]);
        if (strncmp (out, synopsis, strlen (synopsis)) != 0)
            fail_msg ("herd %s printed \"%.60s\"", arguments, out);
        assert_string_equal (err, "");
        assert_string_equal (out, herd_usage_command (s_commands[i]));
        //  herd help COMMAND prints the same, and -h does too
        char *again, *again_err;
        char *help = zsys_sprintf ("help %s", s_commands[i]);
        assert_int_equal (herd_test_command ("", help, &again, &again_err), 0);
        assert_string_equal (again, out);
        free (again);
        free (again_err);
        free (help);
        help = zsys_sprintf ("%s -t /no/such/file -h", s_commands[i]);
        assert_int_equal (herd_test_command ("", help, &again, &again_err), 0);
        assert_string_equal (again, out);
        free (again);
        free (again_err);
        free (help);
        free (synopsis);
        free (arguments);
        free (out);
        free (err);
    }
}

static void
test_the_program_help_names_the_environment_settings_and_documents (
    void **state)
{
    (void) state;
    char *out, *err;
    assert_int_equal (herd_test_command ("", "--help", &out, &err), 0);
    const char *needles[] = {"HERD_PLACES_KEY", "HERD_TOPOLOGY",
                             "places",          "tap",
                             "metrics",         "help [COMMAND]"};
    for (size_t i = 0; i < sizeof (needles) / sizeof (needles[0]); i++)
        if (!strstr (out, needles[i]))
            fail_msg ("herd --help does not mention %s", needles[i]);
    for (size_t i = 0; i < S_COMMANDS; i++) {
        char *entry = zsys_sprintf ("\n  %s ", s_commands[i]);
        if (!strstr (out, entry))
            fail_msg ("herd --help does not list %s", s_commands[i]);
        free (entry);
    }
    //  Every document in proto/, whatever is added later
    DIR *directory = opendir ("proto");
    assert_non_null (directory);
    struct dirent *entry;
    size_t documents = 0;
    while ((entry = readdir (directory)))
        if (strstr (entry->d_name, ".md")) {
            char *name = zsys_sprintf ("proto/%s", entry->d_name);
            if (!strstr (out, name))
                fail_msg ("herd --help does not point to %s", name);
            documents++;
            free (name);
        }
    closedir (directory);
    assert_true (documents >= 5);
    char *same, *same_err;
    assert_int_equal (herd_test_command ("", "help", &same, &same_err), 0);
    assert_string_equal (same, out);
    free (same);
    free (same_err);
    free (out);
    free (err);
    //  No command: the same on stderr, and a usage error
    assert_int_equal (herd_test_command ("", "", &out, &err), 2);
    assert_string_equal (err, herd_usage ());
    free (out);
    free (err);
}

//  herd ARGUMENTS exits 2 with first on stderr, then the synopsis.
static void
s_usage_error (const char *arguments, const char *command, const char *first)
{
    char *out, *err;
    assert_int_equal (herd_test_command ("", arguments, &out, &err), 2);
    assert_string_equal (out, "");
    char synopsis[256];
    char *expected = zsys_sprintf (
        "%s\n%s\n(herd help %s says more)\n", first,
        herd_usage_synopsis (command, synopsis, sizeof (synopsis)), command);
    assert_string_equal (err, expected);
    free (expected);
    free (out);
    free (err);
}

static void
test_usage_errors_say_what_is_wrong_and_exit_two (void **state)
{
    (void) state;
    //  Before: "herd: ping wants HOST:PORT" and exit 2 for --help
    s_usage_error ("ping", "ping", "herd ping: give the HOST:PORT to ask");
    s_usage_error ("ping nowhere", "ping", "herd ping: not HOST:PORT: nowhere");
    s_usage_error ("ping a:1 b:2", "ping",
                   "herd ping: unexpected argument b:2");
    s_usage_error ("node", "node", "herd node: which node? give its NAME");
    s_usage_error ("node Clark --frob", "node",
                   "herd node: unknown option --frob");
    s_usage_error ("check -t", "check", "herd check: a value must follow -t");
    s_usage_error ("monitor extra", "monitor",
                   "herd monitor: unexpected argument extra");
    //  Each option is its command's: before, --listen made check abort on
    //  an assertion (exit 134), and --force was taken by check silently
    s_usage_error ("check --listen 127.0.0.1:1", "check",
                   "herd check: not an option of this command: --listen");
    s_usage_error ("check --force", "check",
                   "herd check: not an option of this command: --force");
    //  Numbers are numbers: before, "abc" was 0 and the monitor ran on
    s_usage_error ("monitor --seconds abc", "monitor",
                   "herd monitor: not a number of seconds (0 to 31536000): "
                   "abc");
    s_usage_error ("places-stub --listen 127.0.0.1:1 --delay -1", "places-stub",
                   "herd places-stub: not a number of milliseconds (0 to "
                   "600000): -1");
    s_usage_error ("help node extra", "help",
                   "herd help: unexpected argument extra");
    //  A value is a value, even --help; and -- ends the options
    char *out, *err;
    assert_int_equal (
        herd_test_command ("", "monitor --follow --help --seconds 1 --json",
                           &out, &err),
        0);
    assert_string_equal (err, "herd: monitor ready (5 taps)\n");
    free (out);
    free (err);
    assert_int_equal (herd_test_command ("", "node -- -x", &out, &err), 1);
    assert_string_equal (err, "herd: no node called -x in the topology\n");
    free (out);
    free (err);
    assert_int_equal (herd_test_command ("", "help frobnicate", &out, &err), 2);
    assert_string_equal (err, "herd help: no command frobnicate (herd help "
                              "lists them)\n");
    free (out);
    free (err);
    assert_int_equal (herd_test_command ("", "frobnicate", &out, &err), 2);
    assert_string_equal (err, "herd: unknown command frobnicate (herd help "
                              "lists them)\n");
    free (out);
    free (err);
}

static void
test_without_t_the_topology_is_make_runs_or_herd_topology (void **state)
{
    (void) state;
    char *expected, *expected_err;
    assert_int_equal (
        herd_test_command ("", "check -t deploy/topologies/cs131-2022.zpl",
                           &expected, &expected_err),
        0);
    //  Found beside the program, wherever it runs from
    char *binary = realpath (
        getenv ("HERD_BIN") ? getenv ("HERD_BIN") : "build/herd", NULL);
    assert_non_null (binary);
    char *command =
        zsys_sprintf ("cd / && env -u HERD_TOPOLOGY %s check", binary);
    FILE *pipe = popen (command, "r");
    char buffer[4096];
    size_t size = fread (buffer, 1, sizeof (buffer) - 1, pipe);
    buffer[size] = 0;
    assert_int_equal (pclose (pipe), 0);
    assert_string_equal (buffer, expected);
    free (command);
    free (binary);
    //  HERD_TOPOLOGY comes first
    char *out, *err;
    assert_int_equal (
        herd_test_command ("HERD_TOPOLOGY=deploy/topologies/cs131-2018.zpl",
                           "check", &out, &err),
        0);
    assert_non_null (strstr (out, "Goloman\t127.0.0.1:11801"));
    free (out);
    free (err);
    assert_int_equal (
        herd_test_command ("HERD_TOPOLOGY=/no/such.zpl", "check", &out, &err),
        1);
    assert_string_equal (err, "/no/such.zpl: no such file\n");
    free (out);
    free (err);
    free (expected);
    free (expected_err);
}

static void
test_every_shipped_topology_can_be_watched (void **state)
{
    (void) state;
    //  Before: no shipped topology had a tap ("no node to monitor has a
    //  tap"), nor metrics
    const char *paths[] = {"deploy/topologies/cs131-2018.zpl",
                           "deploy/topologies/cs131-2020.zpl",
                           "deploy/topologies/cs131-2021.zpl",
                           "deploy/topologies/cs131-2022.zpl",
                           "deploy/topologies/cs131-2023.zpl",
                           "deploy/compose/herd.zpl",
                           "deploy/compose/herd-swarm.zpl",
                           "deploy/compose/herd-swarm-curve.zpl"};
    for (size_t p = 0; p < sizeof (paths) / sizeof (paths[0]); p++) {
        herd_topo_t *topo = herd_topo_new ();
        if (herd_topo_load (topo, paths[p]))
            fail_msg ("%s: %s", paths[p], herd_topo_errors (topo));
        for (size_t i = 0; i < herd_topo_node_count (topo); i++) {
            const char *tap = herd_topo_setting (topo, i, "tap");
            const char *metrics = herd_topo_setting (topo, i, "metrics");
            if (!tap || !*tap || !metrics || !*metrics)
                fail_msg ("%s: %s has no tap or no metrics", paths[p],
                          herd_topo_node_name (topo, i));
        }
        herd_topo_destroy (&topo);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_command_has_its_own_help),
        cmocka_unit_test (
            test_the_program_help_names_the_environment_settings_and_documents),
        cmocka_unit_test (test_usage_errors_say_what_is_wrong_and_exit_two),
        cmocka_unit_test (
            test_without_t_the_topology_is_make_runs_or_herd_topology),
        cmocka_unit_test (test_every_shipped_topology_can_be_watched),
    };
    return cmocka_run_group_tests_name ("e2e_help", tests, NULL, NULL);
}
