/*  herd - the herd program: subcommands node, up, check  */

#include "herd_node.h"
#include "herd_topo.h"

#include <czmq.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static const char *s_usage =
    "usage: herd COMMAND [OPTIONS]\n"
    "\n"
    "An application server herd: nodes answer IAMAT and WHATSAT on plain\n"
    "TCP and flood location updates to each other over ZeroMQ.\n"
    "\n"
    "commands:\n"
    "  herd node NAME -t FILE [--log-stderr]\n"
    "      run node NAME of the topology FILE until SIGTERM or SIGINT;\n"
    "      its log goes to <log_dir>/NAME.log (SIGHUP reopens it)\n"
    "  herd up -t FILE\n"
    "      run every node of FILE on this machine, output prefixed with\n"
    "      the node name; prints \"herd: N nodes ready\"; Ctrl-C stops all\n"
    "  herd check -t FILE\n"
    "      check FILE; print one line per node, in file order:\n"
    "      NAME<TAB>HOST:PORT<TAB>HERD-ENDPOINT<TAB>NEIGHBOUR,NEIGHBOUR...\n"
    "      exit 0 if valid, else the errors on stderr and exit 1\n"
    "\n"
    "The topology format is in proto/topology.md, the client protocol in\n"
    "proto/client.md, the herd links in proto/herd.md.\n";

//  Options common to the subcommands.
typedef struct {
    const char *name;      //  node: the node to run
    const char *topology;  //  -t FILE
    bool log_stderr;       //  node: mirror the log on stderr
} s_options_t;

static int
s_parse (int argc, char **argv, s_options_t *options, bool wants_name)
{
    for (int i = 2; i < argc; i++) {
        if ((streq (argv[i], "-t") || streq (argv[i], "--topology"))
            && i + 1 < argc)
            options->topology = argv[++i];
        else if (streq (argv[i], "--log-stderr"))
            options->log_stderr = true;
        else if (streq (argv[i], "-h") || streq (argv[i], "--help")) {
            fputs (s_usage, stdout);
            exit (0);
        } else if (wants_name && !options->name && argv[i][0] != '-')
            options->name = argv[i];
        else {
            fprintf (stderr, "herd: unexpected argument %s\n%s", argv[i],
                     s_usage);
            return -1;
        }
    }
    if (!options->topology || (wants_name && !options->name)) {
        fputs (s_usage, stderr);
        return -1;
    }
    return 0;
}

static herd_topo_t *
s_load (const char *path)
{
    herd_topo_t *topo = herd_topo_new ();
    if (herd_topo_load (topo, path)) {
        fputs (herd_topo_errors (topo), stderr);
        herd_topo_destroy (&topo);
    }
    return topo;
}

static int
s_check (herd_topo_t *topo)
{
    for (size_t i = 0; i < herd_topo_node_count (topo); i++) {
        const char *host = herd_topo_client_host (topo, i);
        bool v6 = strchr (host, ':') != NULL;
        printf ("%s\t%s%s%s:%u\t%s\t", herd_topo_node_name (topo, i),
                v6 ? "[" : "", host, v6 ? "]" : "",
                herd_topo_client_port (topo, i),
                herd_topo_herd_endpoint (topo, i));
        for (size_t n = 0; n < herd_topo_neighbour_count (topo, i); n++)
            printf (
                "%s%s", n ? "," : "",
                herd_topo_node_name (topo, herd_topo_neighbour (topo, i, n)));
        printf ("\n");
    }
    return 0;
}

//  Let the node hold as many connections as the hard limit allows.
static void
s_raise_fd_limit (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0
        && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static int
s_node (herd_topo_t *topo, const s_options_t *options)
{
    herd_node_block_signals ();
    s_raise_fd_limit ();
    herd_node_t *node =
        herd_node_new (topo, options->name, options->log_stderr);
    if (!node)
        return 1;
    herd_node_run (node);
    herd_node_destroy (&node);
    return 0;
}

//  herd up: one child per node; their output prefixed; stop them all on a
//  signal.  Children start with an empty signal mask.
typedef struct {
    pid_t pid;
    int fd;              //  Child's stdout and stderr, -1 once closed
    char partial[4096];  //  Output line not yet complete
    size_t size;
} s_child_t;

static pid_t
s_spawn (const char *self_path, const char *topology, const char *name, int *fd)
{
    int pipe_fds[2];
    if (pipe (pipe_fds))
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        dup2 (pipe_fds[1], 1);
        dup2 (pipe_fds[1], 2);
        close (pipe_fds[0]);
        close (pipe_fds[1]);
        execl (self_path, "herd", "node", name, "-t", topology, (char *) NULL);
        _exit (127);
    }
    close (pipe_fds[1]);
    *fd = pipe_fds[0];
    return pid;
}

//  Print the complete lines a child wrote; count its ready lines.
static size_t
s_relay (s_child_t *child, const char *name)
{
    size_t ready = 0;
    ssize_t rc = read (child->fd, child->partial + child->size,
                       sizeof (child->partial) - child->size - 1);
    if (rc <= 0) {
        close (child->fd);
        child->fd = -1;
        rc = 0;
    }
    child->size += (size_t) rc;
    child->partial[child->size] = 0;
    char *start = child->partial;
    char *newline;
    while ((newline = strchr (start, '\n')) || (child->fd == -1 && *start)
           || (child->size == sizeof (child->partial) - 1 && *start)) {
        if (newline)
            *newline = 0;
        printf ("[%s] %s\n", name, start);
        if (strstr (start, " ready client="))
            ready++;
        start = newline ? newline + 1 : start + strlen (start);
    }
    child->size = strlen (start);
    memmove (child->partial, start, child->size + 1);
    fflush (stdout);
    return ready;
}

static int
s_up (herd_topo_t *topo, const char *topology)
{
    size_t count = herd_topo_node_count (topo);
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    sigprocmask (SIG_BLOCK, &set, NULL);
    signal (SIGPIPE, SIG_IGN);
    int signal_fd = signalfd (-1, &set, SFD_CLOEXEC);
    char self_path[4096];
    ssize_t length =
        readlink ("/proc/self/exe", self_path, sizeof (self_path) - 1);
    if (length <= 0 || signal_fd == -1)
        return 1;
    self_path[length] = 0;
    s_child_t *children = (s_child_t *) zmalloc (count * sizeof (s_child_t));
    for (size_t i = 0; i < count; i++)
        children[i].pid =
            s_spawn (self_path, topology, herd_topo_node_name (topo, i),
                     &children[i].fd);
    size_t ready = 0, open = count;
    struct pollfd *fds =
        (struct pollfd *) zmalloc ((count + 1) * sizeof (struct pollfd));
    while (open > 0) {
        fds[0] = (struct pollfd){signal_fd, POLLIN, 0};
        for (size_t i = 0; i < count; i++)
            fds[i + 1] = (struct pollfd){children[i].fd, POLLIN, 0};
        if (poll (fds, count + 1, -1) <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read (signal_fd, &info, sizeof (info)) > 0) {
                printf ("herd: stopping %zu nodes\n", count);
                for (size_t i = 0; i < count; i++)
                    if (children[i].pid > 0)
                        kill (children[i].pid, SIGTERM);
            }
        }
        for (size_t i = 0; i < count; i++) {
            if (children[i].fd == -1
                || !(fds[i + 1].revents & (POLLIN | POLLHUP)))
                continue;
            size_t was = ready;
            ready += s_relay (&children[i], herd_topo_node_name (topo, i));
            if (children[i].fd == -1)
                open--;
            if (was < count && ready == count)
                printf ("herd: %zu nodes ready\n", count), fflush (stdout);
        }
    }
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        int status = 0;
        if (children[i].pid > 0 && waitpid (children[i].pid, &status, 0) > 0
            && !(WIFEXITED (status) && WEXITSTATUS (status) == 0)) {
            printf ("herd: %s exited abnormally\n",
                    herd_topo_node_name (topo, i));
            failed = 1;
        }
    }
    free (fds);
    free (children);
    close (signal_fd);
    return failed;
}

int
main (int argc, char **argv)
{
    if (argc < 2 || streq (argv[1], "-h") || streq (argv[1], "--help")) {
        fputs (s_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *command = argv[1];
    bool is_node = streq (command, "node");
    if (!is_node && !streq (command, "up") && !streq (command, "check")) {
        fprintf (stderr, "herd: unknown command %s\n%s", command, s_usage);
        return 2;
    }
    s_options_t options = {0};
    if (s_parse (argc, argv, &options, is_node))
        return 2;
    herd_topo_t *topo = s_load (options.topology);
    if (!topo)
        return 1;
    int rc;
    if (is_node)
        rc = s_node (topo, &options);
    else if (streq (command, "up"))
        rc = s_up (topo, options.topology);
    else
        rc = s_check (topo);
    herd_topo_destroy (&topo);
    return rc;
}
