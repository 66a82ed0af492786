/*  test_e2e_cli - the herd program's commands, as scripts see them  */

#include "herd_test.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void
test_check_prints_one_line_per_node_in_file_order (void **state)
{
    (void) state;
    char *out, *err;
    int rc = herd_test_command ("", "check -t deploy/topologies/cs131-2022.zpl",
                                &out, &err);
    assert_int_equal (rc, 0);
    assert_string_equal (out,
                         "Juzang\t127.0.0.1:12201\ttcp://127.0.0.1:12211\t"
                         "Clark,Bernard,Johnson\n"
                         "Bernard\t127.0.0.1:12202\ttcp://127.0.0.1:12212\t"
                         "Juzang,Jaquez,Johnson\n"
                         "Jaquez\t127.0.0.1:12203\ttcp://127.0.0.1:12213\t"
                         "Clark,Bernard\n"
                         "Johnson\t127.0.0.1:12204\ttcp://127.0.0.1:12214\t"
                         "Bernard,Juzang\n"
                         "Clark\t127.0.0.1:12205\ttcp://127.0.0.1:12215\t"
                         "Jaquez,Juzang\n");
    assert_string_equal (err, "");
    free (out);
    free (err);
}

//  herd check -t on a file holding text: exit 1, nothing on stdout, and on
//  stderr exactly lines (NULL-terminated), each after "FILE:".
static void
s_check_refuses (const char *text, const char *const lines[])
{
    char path[] = "/tmp/herd-cli-XXXXXX";
    int fd = mkstemp (path);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    char *arguments = zsys_sprintf ("check -t %s", path);
    char *out, *err;
    assert_int_equal (herd_test_command ("", arguments, &out, &err), 1);
    assert_string_equal (out, "");
    char *expected = strdup ("");
    for (size_t i = 0; lines[i]; i++) {
        char *more = zsys_sprintf ("%s%s:%s\n", expected, path, lines[i]);
        free (expected);
        expected = more;
    }
    assert_string_equal (err, expected);
    free (expected);
    free (out);
    free (err);
    free (arguments);
    unlink (path);
}

//  FILE:LINE: as compilers write, so that editors go to the line.
static void
test_check_reports_errors_and_fails (void **state)
{
    (void) state;
    const char *lines[] = {"2: nodes/A: missing herd (tcp://host:port)",
                           "5: links/link: unknown node \"B\"", NULL};
    s_check_refuses ("nodes\n"
                     "    A\n"
                     "        client = 127.0.0.1:7001\n"
                     "links\n"
                     "    link = A B\n",
                     lines);
}

//  czmq's parser printed its own message (on stdout, where check's output
//  goes), and ours said only "see the line above": now one line of ours.
static void
test_check_reports_a_syntax_error_on_its_line_alone (void **state)
{
    (void) state;
    const char *lines[] = {"4: indentation is not a multiple of 4 spaces",
                           NULL};
    s_check_refuses ("nodes\n"
                     "    A\n"
                     "        client = 127.0.0.1:7001\n"
                     "       herd = tcp://127.0.0.1:7101\n",
                     lines);
}

static void
test_usage_errors_exit_two_and_help_exits_zero (void **state)
{
    (void) state;
    char *out, *err;
    assert_int_equal (herd_test_command ("", "frobnicate", &out, &err), 2);
    assert_non_null (strstr (err, "unknown command frobnicate"));
    free (out);
    free (err);
    assert_int_equal (
        herd_test_command ("", "node -t deploy/topologies/cs131-2022.zpl", &out,
                           &err),
        2);
    free (out);
    free (err);
    assert_int_equal (herd_test_command ("", "--help", &out, &err), 0);
    assert_non_null (strstr (out, "check [-t FILE]"));
    free (out);
    free (err);
    assert_int_equal (herd_test_command ("", "up --help", &out, &err), 0);
    free (out);
    free (err);
    assert_int_equal (
        herd_test_command (
            "", "node Nobody -t deploy/topologies/cs131-2022.zpl", &out, &err),
        1);
    assert_non_null (strstr (err, "no node called Nobody"));
    free (out);
    free (err);
}

static void
test_up_starts_every_node_into_a_new_log_directory (void **state)
{
    (void) state;
    //  Found by hand: nodes started together raced to create the shared
    //  log directory, and the loser refused to start
    for (int round = 0; round < 5; round++) {
        char directory[] = "/tmp/herd-up-XXXXXX";
        assert_non_null (mkdtemp (directory));
        char *path = zsys_sprintf ("%s/herd.zpl", directory);
        FILE *file = fopen (path, "w");
        fprintf (file, "herd\n    log_dir = %s/logs/nested\nnodes\n",
                 directory);
        for (int i = 0; i < 6; i++)
            fprintf (file,
                     "    N%d\n        client = 127.0.0.1:%u\n"
                     "        herd = tcp://127.0.0.1:%u\n",
                     i, herd_test_free_port (), herd_test_free_port ());
        fclose (file);
        const char *arguments[] = {"up", "-t", path, NULL};
        int pid = herd_test_spawn (arguments, "herd: 6 nodes ready");
        assert_int_equal (herd_test_stop (pid), 0);
        char *command = zsys_sprintf ("rm -rf %s", directory);
        assert_int_equal (system (command), 0);
        free (command);
        free (path);
    }
}

//  Is nothing listening on 127.0.0.1:port any more?
static bool
s_refused (void *arg)
{
    uint16_t port = *(uint16_t *) arg;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons (port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool refused =
        connect (fd, (struct sockaddr *) &address, sizeof (address)) == -1;
    close (fd);
    return refused;
}

static void
test_nodes_stop_when_up_is_killed (void **state)
{
    (void) state;
    //  Found when a failed test left herd up's nodes running as orphans,
    //  holding their ports, after the harness killed herd up
    char directory[] = "/tmp/herd-up-XXXXXX";
    assert_non_null (mkdtemp (directory));
    char *path = zsys_sprintf ("%s/herd.zpl", directory);
    uint16_t ports[2] = {herd_test_free_port (), herd_test_free_port ()};
    FILE *file = fopen (path, "w");
    fprintf (file,
             "herd\n    log_dir = %s/logs\nnodes\n"
             "    A\n        client = 127.0.0.1:%u\n"
             "        herd = tcp://127.0.0.1:%u\n"
             "    B\n        client = 127.0.0.1:%u\n"
             "        herd = tcp://127.0.0.1:%u\n"
             "links\n    link = A B\n",
             directory, ports[0], herd_test_free_port (), ports[1],
             herd_test_free_port ());
    fclose (file);
    const char *arguments[] = {"up", "-t", path, NULL};
    int pid = herd_test_spawn (arguments, "herd: 2 nodes ready");
    assert_false (s_refused (&ports[0]));
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    for (int i = 0; i < 2; i++)
        assert_true (herd_test_wait_until (s_refused, &ports[i], 5000));
    char *command = zsys_sprintf ("rm -rf %s", directory);
    assert_int_equal (system (command), 0);
    free (command);
    free (path);
}

//  herd ping: 0 where a node answers, 1 where none does; the node counts
//  the probe as such, not as a refused line (found under Docker Swarm:
//  each health check logged a warning and counted an invalid request).
static void
test_ping_is_a_probe_not_a_refused_line (void **state)
{
    (void) state;
    const char *names[] = {"A"};
    herd_test_herd_t *herd = herd_test_herd_new (names, 1, NULL, 0, NULL);
    herd_test_herd_start_all (herd);
    char *arguments =
        zsys_sprintf ("ping 127.0.0.1:%u", herd_test_herd_port (herd, "A"));
    char *out, *err;
    assert_int_equal (herd_test_command ("", arguments, &out, &err), 0);
    free (out);
    free (err);
    assert_true (herd_test_herd_log_wait (herd, "A", "herd-ping", 2, 5000));
    assert_int_equal (herd_test_herd_log_count (herd, "A", "refused"), 0);
    herd_test_herd_destroy (&herd);
    assert_int_equal (herd_test_command ("", arguments, &out, &err), 1);
    free (out);
    free (err);
    free (arguments);
}

//  A node whose herd endpoint names a host that does not resolve where it
//  runs (a container under Docker Swarm) says so, and what to do.
static void
test_a_herd_endpoint_that_does_not_resolve_is_named (void **state)
{
    (void) state;
    char directory[] = "/tmp/herd-cli-XXXXXX";
    assert_non_null (mkdtemp (directory));
    char *path = zsys_sprintf ("%s/herd.zpl", directory);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
             "herd\n    log_dir = %s\nnodes\n    A\n"
             "        client = 127.0.0.1:%u\n"
             "        herd = tcp://no-such-host.invalid:%u\n",
             directory, herd_test_free_port (), herd_test_free_port ());
    fclose (file);
    char *arguments = zsys_sprintf ("node A -t %s", path);
    char *out, *err;
    assert_int_equal (herd_test_command ("", arguments, &out, &err), 1);
    if (!strstr (err, "no-such-host.invalid") || !strstr (err, "not resolve")
        || !strstr (err, "bind = tcp://0.0.0.0:PORT"))
        fail_msg ("said [%s]", err);
    free (out);
    free (err);
    free (arguments);
    unlink (path);
    free (path);
    char *log = zsys_sprintf ("%s/A.log", directory);
    unlink (log);
    free (log);
    rmdir (directory);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_check_prints_one_line_per_node_in_file_order),
        cmocka_unit_test (test_check_reports_errors_and_fails),
        cmocka_unit_test (test_check_reports_a_syntax_error_on_its_line_alone),
        cmocka_unit_test (test_usage_errors_exit_two_and_help_exits_zero),
        cmocka_unit_test (test_up_starts_every_node_into_a_new_log_directory),
        cmocka_unit_test (test_nodes_stop_when_up_is_killed),
        cmocka_unit_test (test_ping_is_a_probe_not_a_refused_line),
        cmocka_unit_test (test_a_herd_endpoint_that_does_not_resolve_is_named),
    };
    return cmocka_run_group_tests_name ("e2e_cli", tests, NULL, NULL);
}
