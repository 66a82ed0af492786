/*  herd - the herd program: subcommands node, up, monitor, ping, check,
    keys, places-stub, help  */

#include "herd_args.h"
#include "herd_keys.h"
#include "herd_str.h"
#include "herd_monitor.h"
#include "herd_msg.h"
#include "herd_node.h"
#include "herd_signals.h"
#include "herd_stubd.h"
#include "herd_topo.h"
#include "herd_usage.h"

#include <czmq.h>
#include <curl/curl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

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

static int
s_monitor (herd_topo_t *topo, const herd_args_t *options)
{
    herd_signals_block (false);
    herd_monitor_options_t monitor = {
        options->node_count ? options->nodes : NULL,
        options->kind_count ? options->kinds : NULL,
        options->client,
        options->follow,
        options->stats,
        options->json && !options->stats,
        isatty (fileno (stdout)) && !options->json,
        (int64_t) options->seconds * 1000,
    };
    return herd_monitor_run (topo, &monitor, stdout);
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
s_node (herd_topo_t *topo, const herd_args_t *options)
{
    herd_signals_block (true);
    //  Before any thread: libcurl's global state is not thread-safe
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_raise_fd_limit ();
    herd_node_t *node = herd_node_new (topo, options->name, options->log_stderr,
                                       options->state);
    if (!node)
        return 1;
    herd_node_set_topology_path (node, options->topology);
    herd_node_run (node);
    herd_node_destroy (&node);
    curl_global_cleanup ();
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

//  Start self_path with argv (NULL-terminated, at most 7 words), its
//  stdout and stderr on a pipe whose read end goes to *fd.
static pid_t
s_spawn (const char *self_path, const char *const argv[], int *fd)
{
    int pipe_fds[2];
    if (pipe (pipe_fds))
        return -1;
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        //  If herd up dies without stopping its children (SIGKILL), they
        //  stop too, cleanly, rather than run on as orphans holding ports
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (0);  //  It died before the line above
        dup2 (pipe_fds[1], 1);
        dup2 (pipe_fds[1], 2);
        close (pipe_fds[0]);
        close (pipe_fds[1]);
        char *copy[8] = {NULL};
        for (int i = 0; i < 7 && argv[i]; i++)
            copy[i] = herd_str_dup (argv[i]);
        execv (self_path, copy);
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

//  Child i of herd up: node i, or the Places stub after the nodes.
static const char *
s_child_name (herd_topo_t *topo, size_t index)
{
    return index < herd_topo_node_count (topo)
               ? herd_topo_node_name (topo, index)
               : "places-stub";
}

static int
s_on_stop_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) arg;
    return herd_signals_read (item->fd) ? -1 : 0;
}

//  herd places-stub: serve until SIGINT or SIGTERM.
static int
s_places_stub (herd_topo_t *topo, const herd_args_t *options)
{
    const char *where = options->listen;
    const char *url = topo ? herd_topo_places (topo, "url") : NULL;
    if (!where && url && strncmp (url, "http://", 7) == 0)
        where = url + 7;
    char host[256];
    unsigned port = 0;
    if (!where || sscanf (where, "%255[^:/]:%u", host, &port) != 2) {
        fprintf (stderr, "herd: places-stub needs --listen HOST:PORT or a "
                         "topology with places/url = http://HOST:PORT\n");
        return 2;
    }
    herd_signals_block (false);
    int signal_fd = herd_signals_open (false);
    if (signal_fd == -1) {
        fprintf (stderr, "herd: places-stub: no signalfd: %s\n",
                 strerror (errno));
        return 1;
    }
    zloop_t *loop = zloop_new ();
    zmq_pollitem_t item = {NULL, signal_fd, ZMQ_POLLIN, 0};
    zloop_poller (loop, &item, s_on_stop_signal, NULL);
    herd_stubd_t *stubd = herd_stubd_new ((int) options->delay_ms);
    int bound = herd_stubd_bind (stubd, loop, host, (uint16_t) port);
    if (bound == -1) {
        fprintf (stderr, "herd: places-stub cannot listen on %s:%u: %s\n", host,
                 port, strerror (errno));
    } else {
        printf ("herd: places-stub ready url=http://%s:%d\n", host, bound);
        fflush (stdout);
        zloop_start (loop);
    }
    herd_stubd_destroy (&stubd);
    zloop_destroy (&loop);
    close (signal_fd);
    return bound == -1 ? 1 : 0;
}

//  herd up's ready line, and how to watch the herd if it can be watched.
static void
s_ready (herd_topo_t *topo, const char *topology, const char *program)
{
    size_t count = herd_topo_node_count (topo), taps = 0;
    for (size_t i = 0; i < count; i++)
        taps += *herd_topo_setting (topo, i, "tap") != 0;
    printf ("herd: %zu nodes ready\n", count);
    if (taps)
        printf ("herd: watch them with %s monitor -t %s (--stats for a "
                "table); Ctrl-C here stops them\n",
                program, topology);
    fflush (stdout);
}

static int
s_up (herd_topo_t *topo, const char *topology, const char *program)
{
    size_t count = herd_topo_node_count (topo);
    herd_signals_block (false);
    int signal_fd = herd_signals_open (false);
    char self_path[4096];
    ssize_t length =
        readlink ("/proc/self/exe", self_path, sizeof (self_path) - 1);
    if (length <= 0 || signal_fd == -1)
        return 1;
    self_path[length] = 0;
    //  The nodes, then the Places stub if the topology serves one
    bool stub = streq (herd_topo_places (topo, "provider"), "stub")
                && herd_topo_places (topo, "url");
    size_t total = count + (stub ? 1 : 0);
    s_child_t *children = (s_child_t *) zmalloc (total * sizeof (s_child_t));
    for (size_t i = 0; i < total; i++) {
        //  "--": a node's name may begin with '-'
        const char *node[] = {
            "herd", "node", "-t", topology, "--", s_child_name (topo, i), NULL};
        const char *places[] = {"herd", "places-stub", "-t", topology, NULL};
        children[i].pid =
            s_spawn (self_path, i < count ? node : places, &children[i].fd);
    }
    size_t ready = 0, open = total;
    bool stopping = false;
    struct pollfd *fds =
        (struct pollfd *) zmalloc ((total + 1) * sizeof (struct pollfd));
    while (open > 0) {
        fds[0] = (struct pollfd){signal_fd, POLLIN, 0};
        for (size_t i = 0; i < total; i++)
            fds[i + 1] = (struct pollfd){children[i].fd, POLLIN, 0};
        if (poll (fds, total + 1, -1) <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            if (herd_signals_read (signal_fd) && !stopping) {
                stopping = true;  //  Said once, however many signals come
                printf ("herd: stopping %zu nodes\n", count);
                for (size_t i = 0; i < total; i++)
                    if (children[i].pid > 0)
                        kill (children[i].pid, SIGTERM);
            }
        }
        for (size_t i = 0; i < total; i++) {
            if (children[i].fd == -1
                || !(fds[i + 1].revents & (POLLIN | POLLHUP)))
                continue;
            size_t was = ready;
            ready += s_relay (&children[i], s_child_name (topo, i));
            if (children[i].fd == -1)
                open--;
            if (was < count && ready == count)
                s_ready (topo, topology, program);
        }
    }
    int failed = 0;
    for (size_t i = 0; i < total; i++) {
        int status = 0;
        if (children[i].pid > 0 && waitpid (children[i].pid, &status, 0) > 0
            && !(WIFEXITED (status) && WEXITSTATUS (status) == 0)) {
            printf ("herd: %s exited abnormally\n", s_child_name (topo, i));
            failed = 1;
        }
    }
    free (fds);
    free (children);
    close (signal_fd);
    return failed;
}

//  herd ping HOST:PORT: is a node there and answering?  A line that is no
//  command is sent, so nothing changes anywhere; its `? ` echo must come
//  back within two seconds.  Exit 0 if it did, else 1.
static int
s_ping (const char *address)
{
    char *host = herd_str_dup (address);
    char *colon = strrchr (host, ':');
    if (!colon) {
        herd_args_usage_error (stderr, "ping", "not HOST:PORT: ", address);
        free (host);
        return 2;
    }
    *colon = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *found = NULL;
    int rc = 1;
    if (getaddrinfo (host, colon + 1, &hints, &found) == 0) {
        int fd = socket (found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) {
            fprintf (stderr, "herd: ping: %s\n", strerror (errno));
            freeaddrinfo (found);
            free (host);
            return 1;
        }
        struct timeval limit = {2, 0};
        setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof (limit));
        setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof (limit));
        const char *probe = HERD_MSG_PROBE "\n";
        char reply[32] = "";
        if (connect (fd, found->ai_addr, found->ai_addrlen) == 0
            && send (fd, probe, strlen (probe), MSG_NOSIGNAL)
                   == (ssize_t) strlen (probe)) {
            shutdown (fd, SHUT_WR);
            size_t got = 0;
            ssize_t size;
            while (
                got < sizeof (reply) - 1
                && (size = recv (fd, reply + got, sizeof (reply) - 1 - got, 0))
                       > 0)
                got += (size_t) size;
        }
        rc = streq (reply, "? " HERD_MSG_PROBE "\n") ? 0 : 1;
        close (fd);
        freeaddrinfo (found);
    }
    printf ("herd: %s %s\n", address, rc ? "does not answer" : "answers");
    free (host);
    return rc;
}

//  herd help [COMMAND]
static int
s_help (const herd_args_t *args)
{
    if (!args->name) {
        fputs (herd_usage (), stdout);
        return 0;
    }
    const char *text = herd_usage_command (args->name);
    if (!text) {
        fprintf (stderr, "herd help: no command %s (herd help lists them)\n",
                 args->name);
        return 2;
    }
    fputs (text, stdout);
    return 0;
}

static int
s_run (herd_args_t *options, const char *program)
{
    const char *command = options->command;
    if (streq (command, "help"))
        return s_help (options);
    if (streq (command, "ping"))
        return s_ping (options->name);
    bool is_stub = streq (command, "places-stub");
    if (is_stub && !options->topology)
        return s_places_stub (NULL, options);
    herd_topo_t *topo = s_load (options->topology);
    if (!topo)
        return 1;
    int rc;
    if (streq (command, "node"))
        rc = s_node (topo, options);
    else if (is_stub)
        rc = s_places_stub (topo, options);
    else if (streq (command, "up"))
        rc = s_up (topo, options->topology, program);
    else if (streq (command, "monitor"))
        rc = s_monitor (topo, options);
    else if (streq (command, "keys")) {
        int written = herd_keys_generate (topo, options->force, stdout);
        if (written >= 0)
            printf ("herd: keys ready (%d written)\n", written);
        rc = written < 0;
    } else
        rc = s_check (topo);
    herd_topo_destroy (&topo);
    return rc;
}

int
main (int argc, char **argv)
{
    herd_args_t args;
    herd_args_result_t result =
        herd_args_parse (&args, argc, argv, stdout, stderr);
    if (result != HERD_ARGS_RUN)
        return result == HERD_ARGS_HELP ? 0 : 2;
    int rc = s_run (&args, argv[0]);
    herd_args_finish (&args);
    return rc;
}
