/*  herd_test - harness for herd's tests  */

#include "herd_test.h"
#include "herd_topo.h"

#include <czmq.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define S_NODES_MAX 80
#define S_LINKS_MAX 256
//  How long a node may take to get ready; valgrind makes it far slower
#define S_READY_MS (getenv ("HERD_VALGRIND") ? 120000 : 10000)

bool
herd_test_wait_until (herd_test_cond_fn *cond, void *arg, int deadline_ms)
{
    int64_t deadline = zclock_mono () + deadline_ms;
    while (true) {
        if (cond (arg))
            return true;
        if (zclock_mono () >= deadline)
            return false;
        //  The period between two looks, not a synchronisation: the
        //  condition decides when to go on
        poll (NULL, 0, 5);
    }
}

//  The lowest port the kernel gives outgoing connections as their source.
static int
s_ephemeral_low (void)
{
    FILE *file = fopen ("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int low = 0, high = 0;
    if (file) {
        if (fscanf (file, "%d %d", &low, &high) != 2)
            low = 0;
        fclose (file);
    }
    return low;
}

//  A free port held by a bound socket (*fd) until the caller closes it.
//  Taken below the kernel's ephemeral range when there is room: a port in
//  that range, once freed, can become the source port of any outgoing
//  connection (the nodes' own links among them) before the node that was
//  to listen on it binds it.  Found when `herd up` of six nodes failed to
//  start one run in a few dozen: a node's client port had been taken so.
//  Ports are tried from an offset of this process's own, so test programs
//  run one after another do not reuse each other's ports at once.
static uint16_t
s_reserve_port (int *fd_p)
{
    static int next = 0;  //  Tests are one thread: no lock
    int low = s_ephemeral_low ();
    bool below = low > 12000;
    int first = 10000, count = below ? low - first : 0;
    if (below && next == 0)
        next = first + (int) ((unsigned) getpid () * 7919u % (unsigned) count);
    for (int attempt = 0; attempt < (below ? count : 1); attempt++) {
        int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true (fd >= 0);
        struct sockaddr_in address = {0};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        if (below) {
            address.sin_port = htons ((uint16_t) next);
            next = next + 1 < low ? next + 1 : first;
        }
        if (bind (fd, (struct sockaddr *) &address, sizeof (address)) == 0) {
            socklen_t size = sizeof (address);
            getsockname (fd, (struct sockaddr *) &address, &size);
            *fd_p = fd;
            return ntohs (address.sin_port);
        }
        close (fd);
    }
    fail_msg ("no free port");
    return 0;
}

int
herd_test_command (const char *env,
                   const char *arguments,
                   char **out,
                   char **err)
{
    const char *binary = getenv ("HERD_BIN");
    char out_path[] = "/tmp/herd-command-out-XXXXXX";
    char err_path[] = "/tmp/herd-command-err-XXXXXX";
    close (mkstemp (out_path));
    close (mkstemp (err_path));
    char *command = zsys_sprintf ("env %s %s %s >%s 2>%s </dev/null", env,
                                  binary ? binary : "build/herd", arguments,
                                  out_path, err_path);
    int status = system (command);
    free (command);
    const char *paths[2] = {out_path, err_path};
    char **texts[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        zchunk_t *chunk = zchunk_slurp (paths[i], 0);
        *texts[i] = chunk ? zchunk_strdup (chunk) : strdup ("");
        zchunk_destroy (&chunk);
        unlink (paths[i]);
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

uint16_t
herd_test_free_port (void)
{
    int fd;
    uint16_t port = s_reserve_port (&fd);
    close (fd);
    return port;
}

void
herd_test_capture_begin (herd_test_capture_t *capture)
{
    char path[] = "/tmp/herd-capture-XXXXXX";
    capture->file = mkstemp (path);
    assert_true (capture->file >= 0);
    unlink (path);
    fflush (stdout);
    fflush (stderr);
    capture->out = dup (STDOUT_FILENO);
    capture->err = dup (STDERR_FILENO);
    dup2 (capture->file, STDOUT_FILENO);
    dup2 (capture->file, STDERR_FILENO);
}

size_t
herd_test_capture_end (herd_test_capture_t *capture)
{
    fflush (stdout);
    fflush (stderr);
    dup2 (capture->out, STDOUT_FILENO);
    dup2 (capture->err, STDERR_FILENO);
    close (capture->out);
    close (capture->err);
    off_t size = lseek (capture->file, 0, SEEK_END);
    close (capture->file);
    return (size_t) size;
}

struct _herd_test_herd_t {
    char directory[64];
    char topology[128];
    size_t count;
    char names[S_NODES_MAX][65];
    uint16_t client_ports[S_NODES_MAX];
    uint16_t herd_ports[S_NODES_MAX];
    int reserved[S_NODES_MAX][2];  //  Sockets holding those ports
    pid_t pids[S_NODES_MAX];
    size_t degrees[S_NODES_MAX];  //  Links per node
    size_t links;
    char *settings;                    //  As given to herd_test_herd_new
    uint16_t tap_ports[S_NODES_MAX];   //  0: no tap
    char link_text[S_LINKS_MAX][140];  //  "A B"
    bool by_name;  //  Dialled as localhost, bound on 0.0.0.0
    char *node_settings[S_NODES_MAX];  //  Lines of each node's own, or NULL
};

static int
s_index (herd_test_herd_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->names[i], name))
            return (int) i;
    fail_msg ("no node %s", name);
    return -1;
}

herd_test_herd_t *
herd_test_herd_new (const char **names,
                    size_t count,
                    const char **links,
                    size_t link_count,
                    const char *settings)
{
    assert_true (count <= S_NODES_MAX);
    herd_test_herd_t *self =
        (herd_test_herd_t *) zmalloc (sizeof (herd_test_herd_t));
    strcpy (self->directory, "/tmp/herd-test-XXXXXX");
    assert_non_null (mkdtemp (self->directory));
    snprintf (self->topology, sizeof (self->topology), "%s/herd.zpl",
              self->directory);
    assert_true (link_count <= S_LINKS_MAX);
    self->count = count;
    self->links = link_count;
    self->settings = strdup (settings ? settings : "");
    for (size_t i = 0; i < count; i++) {
        snprintf (self->names[i], sizeof (self->names[i]), "%s", names[i]);
        self->client_ports[i] = s_reserve_port (&self->reserved[i][0]);
        self->herd_ports[i] = s_reserve_port (&self->reserved[i][1]);
    }
    for (size_t i = 0; i < link_count; i++) {
        snprintf (self->link_text[i], sizeof (self->link_text[i]), "%s",
                  links[i]);
        for (size_t n = 0; n < count; n++) {
            size_t size = strlen (names[n]);
            const char *space = strchr (links[i], ' ');
            if ((strncmp (links[i], names[n], size) == 0
                 && links[i][size] == ' ')
                || (space && streq (space + 1, names[n])))
                self->degrees[n]++;
        }
    }
    herd_test_herd_rewrite (self, count, link_count);
    return self;
}

void
herd_test_herd_rewrite (herd_test_herd_t *self, size_t count, size_t links)
{
    FILE *file = fopen (self->topology, "w");
    assert_non_null (file);
    fprintf (file, "herd\n    log_dir = %s/logs\n%s\nnodes\n", self->directory,
             self->settings);
    for (size_t i = 0; i < count; i++) {
        if (self->by_name)
            fprintf (file,
                     "    %s\n        client = localhost:%u\n"
                     "        client_bind = 0.0.0.0:%u\n"
                     "        herd = tcp://localhost:%u\n"
                     "        bind = tcp://0.0.0.0:%u\n",
                     self->names[i], self->client_ports[i],
                     self->client_ports[i], self->herd_ports[i],
                     self->herd_ports[i]);
        else
            fprintf (file,
                     "    %s\n        client = 127.0.0.1:%u\n"
                     "        herd = tcp://127.0.0.1:%u\n",
                     self->names[i], self->client_ports[i],
                     self->herd_ports[i]);
        if (self->tap_ports[i])
            fprintf (file, "        tap = tcp://127.0.0.1:%u\n",
                     self->tap_ports[i]);
        if (self->node_settings[i])
            fprintf (file, "%s\n", self->node_settings[i]);
    }
    fprintf (file, "links\n");
    for (size_t i = 0; i < links; i++)
        fprintf (file, "    link = %s\n", self->link_text[i]);
    fclose (file);
}

void
herd_test_herd_node_settings (herd_test_herd_t *self,
                              const char *name,
                              const char *settings)
{
    int index = s_index (self, name);
    free (self->node_settings[index]);
    self->node_settings[index] = strdup (settings);
    herd_test_herd_rewrite (self, self->count, self->links);
}

herd_test_herd_t *
herd_test_herd_from_file (const char *path, const char *settings)
{
    herd_topo_t *topo = herd_topo_new ();
    if (herd_topo_load (topo, path))
        fail_msg ("%s: %s", path, herd_topo_errors (topo));
    const char *names[S_NODES_MAX];
    char links[S_LINKS_MAX][140];
    const char *link_names[S_LINKS_MAX];
    size_t link_count = 0;
    size_t count = herd_topo_node_count (topo);
    for (size_t i = 0; i < count; i++) {
        names[i] = herd_topo_node_name (topo, i);
        for (size_t n = 0; n < herd_topo_neighbour_count (topo, i); n++) {
            size_t other = herd_topo_neighbour (topo, i, n);
            if (other > i) {
                snprintf (links[link_count], sizeof (links[0]), "%s %s",
                          names[i], herd_topo_node_name (topo, other));
                link_names[link_count] = links[link_count];
                link_count++;
            }
        }
    }
    herd_test_herd_t *self =
        herd_test_herd_new (names, count, link_names, link_count, settings);
    herd_topo_destroy (&topo);
    return self;
}

static const char *
s_binary (void)
{
    const char *binary = getenv ("HERD_BIN");
    return binary ? binary : "build/herd";
}

static char *
s_out_path (herd_test_herd_t *self, size_t index)
{
    return zsys_sprintf ("%s/%s.out", self->directory, self->names[index]);
}

typedef struct {
    const char *path;
    const char *needle;
    size_t count;
} s_file_wait_t;

static size_t
s_count_in_file (const char *path, const char *needle)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    size_t count = 0;
    char *line = NULL;
    size_t capacity = 0;
    while (getline (&line, &capacity, file) != -1)
        if (strstr (line, needle))
            count++;
    free (line);
    fclose (file);
    return count;
}

static bool
s_file_has (void *arg)
{
    s_file_wait_t *wait = (s_file_wait_t *) arg;
    return s_count_in_file (wait->path, wait->needle) >= wait->count;
}

void
herd_test_herd_start (herd_test_herd_t *self, const char *name)
{
    size_t index = (size_t) s_index (self, name);
    assert_int_equal (self->pids[index], 0);
    char *out = s_out_path (self, index);
    //  A restart starts a fresh output file, so "ready" means this run
    unlink (out);
    //  Give the node its ports at the last moment
    for (int i = 0; i < 2; i++)
        if (self->reserved[index][i] != -1) {
            close (self->reserved[index][i]);
            self->reserved[index][i] = -1;
        }
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        //  Nodes die with the test, even one that failed half-way
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        FILE *file = freopen (out, "w", stdout);
        if (!file || dup2 (1, 2) == -1)
            _exit (126);
        //  HERD_VALGRIND=1 runs the node under valgrind; an error makes it
        //  exit non-zero, which fails the test at herd_test_herd_destroy
        if (getenv ("HERD_VALGRIND")) {
            //  valgrind would call a forked saver's inherited memory lost
            setenv ("HERD_SAVE_IN_LOOP", "1", 1);
            execlp ("valgrind", "valgrind", "-q", "--leak-check=full",
                    "--error-exitcode=99", s_binary (), "node", name, "-t",
                    self->topology, (char *) NULL);
        } else
            execl (s_binary (), "herd", "node", name, "-t", self->topology,
                   (char *) NULL);
        _exit (127);
    }
    self->pids[index] = pid;
    s_file_wait_t wait = {out, " ready client=", 1};
    if (!herd_test_wait_until (s_file_has, &wait, S_READY_MS))
        fail_msg ("node %s did not get ready (see %s)", name, out);
    free (out);
}

char *
herd_test_iamat (herd_test_herd_t *self, const char *node, const char *request)
{
    char *reply =
        herd_test_grader (herd_test_herd_port (self, node), request, 10000);
    size_t size = strlen (reply);
    assert_true (size > 0 && reply[size - 1] == '\n');
    reply[size - 1] = 0;
    return reply;
}

void
herd_test_herd_by_name (herd_test_herd_t *self)
{
    self->by_name = true;
    herd_test_herd_rewrite (self, self->count, self->links);
}

void
herd_test_herd_taps (herd_test_herd_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        self->tap_ports[i] = herd_test_free_port ();
    herd_test_herd_rewrite (self, self->count, self->links);
}

int
herd_test_herd_pid (herd_test_herd_t *self, const char *name)
{
    return self->pids[s_index (self, name)];
}

size_t
herd_test_rss_kib (int pid)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[256];
    size_t kib = 0;
    while (fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %zu kB", &kib) == 1)
            break;
    fclose (file);
    return kib;
}

void
herd_test_herd_start_all (herd_test_herd_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        herd_test_herd_start (self, self->names[i]);
    //  Then every link synced (up, and the neighbour's records in), as an
    //  operator would wait for
    for (size_t i = 0; i < self->count; i++)
        if (!herd_test_herd_log_wait (self, self->names[i], "link synced ",
                                      self->degrees[i], S_READY_MS))
            fail_msg ("links of %s did not get synced", self->names[i]);
}

int64_t
herd_test_herd_signal (herd_test_herd_t *self, const char *name, int signal)
{
    size_t index = (size_t) s_index (self, name);
    pid_t pid = self->pids[index];
    assert_true (pid > 0);
    int64_t start = zclock_mono ();
    kill (pid, signal);
    if (signal != SIGKILL && signal != SIGTERM && signal != SIGINT)
        return 0;
    int status;
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
        ;
    self->pids[index] = 0;
    return zclock_mono () - start;
}

void
herd_test_herd_destroy (herd_test_herd_t **self_p)
{
    herd_test_herd_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        if (self->pids[i] > 0)
            kill (self->pids[i], SIGTERM);
    for (size_t i = 0; i < self->count; i++) {
        if (self->pids[i] <= 0)
            continue;
        //  A node that ignores SIGTERM for 3 s is killed, and that fails;
        //  so does one that exits unclean (a sanitizer report, a crash)
        int status = 0;
        int64_t deadline = zclock_mono () + 3000;
        while (waitpid (self->pids[i], &status, WNOHANG) == 0) {
            if (zclock_mono () > deadline) {
                kill (self->pids[i], SIGKILL);
                waitpid (self->pids[i], &status, 0);
                fail_msg ("node %s did not stop on SIGTERM", self->names[i]);
            }
            poll (NULL, 0, 5);
        }
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
            fail_msg ("node %s exited with status %d (see %s/%s.out)",
                      self->names[i], status, self->directory, self->names[i]);
    }
    //  HERD_TEST_KEEP=1 keeps the topology, outputs and logs to look at
    if (getenv ("HERD_TEST_KEEP"))
        fprintf (stderr, "kept %s\n", self->directory);
    else {
        for (size_t i = 0; i < self->count; i++)
            for (int r = 0; r < 2; r++)
                if (self->reserved[i][r] != -1)
                    close (self->reserved[i][r]);
        char *command = zsys_sprintf ("rm -rf '%s'", self->directory);
        if (system (command) != 0)
            fprintf (stderr, "could not remove %s\n", self->directory);
        free (command);
    }
    free (self->settings);
    for (size_t i = 0; i < S_NODES_MAX; i++)
        free (self->node_settings[i]);
    free (self);
    *self_p = NULL;
}

char *
herd_test_herd_endpoint (herd_test_herd_t *self, const char *name)
{
    return zsys_sprintf ("tcp://127.0.0.1:%u",
                         self->herd_ports[s_index (self, name)]);
}

uint16_t
herd_test_herd_port (herd_test_herd_t *self, const char *name)
{
    return self->client_ports[s_index (self, name)];
}

size_t
herd_test_herd_size (herd_test_herd_t *self)
{
    return self->count;
}

const char *
herd_test_herd_name (herd_test_herd_t *self, size_t index)
{
    assert_true (index < self->count);
    return self->names[index];
}

size_t
herd_test_herd_links (herd_test_herd_t *self)
{
    return self->links;
}

const char *
herd_test_herd_topology (herd_test_herd_t *self)
{
    return self->topology;
}

char *
herd_test_herd_log_path (herd_test_herd_t *self, const char *name)
{
    return zsys_sprintf ("%s/logs/%s.log", self->directory, name);
}

size_t
herd_test_herd_log_count (herd_test_herd_t *self,
                          const char *name,
                          const char *needle)
{
    char *path = herd_test_herd_log_path (self, name);
    size_t count = s_count_in_file (path, needle);
    free (path);
    return count;
}

void
herd_test_herd_pose (herd_test_herd_t *self,
                     const char *node,
                     const char *name,
                     zmsg_t *messages[])
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, name);
    zsock_set_linger (dealer, 1000);
    char *endpoint = herd_test_herd_endpoint (self, node);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint), 0);
    for (int m = 0; messages[m]; m++)
        assert_int_equal (zmsg_send (&messages[m], dealer), 0);
    zsock_destroy (&dealer);  //  Linger delivers them
    free (endpoint);
}

size_t
herd_test_herd_log_total (herd_test_herd_t *self, const char *needle)
{
    size_t total = 0;
    for (size_t i = 0; i < self->count; i++)
        total += herd_test_herd_log_count (self, self->names[i], needle);
    return total;
}

bool
herd_test_herd_log_wait (herd_test_herd_t *self,
                         const char *name,
                         const char *needle,
                         size_t count,
                         int deadline_ms)
{
    char *path = herd_test_herd_log_path (self, name);
    s_file_wait_t wait = {path, needle, count};
    bool found = herd_test_wait_until (s_file_has, &wait, deadline_ms);
    free (path);
    return found;
}

int
herd_test_spawn (const char *const arguments[], const char *ready)
{
    char out[] = "/tmp/herd-spawn-XXXXXX";
    int fd = mkstemp (out);
    assert_true (fd >= 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        dup2 (fd, 1);
        dup2 (fd, 2);
        char *argv[10] = {(char *) "herd"};
        for (int i = 0; i < 8 && arguments[i]; i++)
            argv[i + 1] = strdup (arguments[i]);
        execv (s_binary (), argv);
        _exit (127);
    }
    close (fd);
    s_file_wait_t wait = {out, ready, 1};
    bool found = herd_test_wait_until (s_file_has, &wait, S_READY_MS);
    unlink (out);
    if (!found)
        fail_msg ("%s %s did not print \"%s\"", s_binary (), arguments[0],
                  ready);
    return pid;
}

int
herd_test_stop (int pid)
{
    kill (pid, SIGTERM);
    int status = 0;
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
        ;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

int
herd_test_stub (uint16_t *port_p)
{
    *port_p = herd_test_free_port ();
    char *listen = zsys_sprintf ("127.0.0.1:%u", *port_p);
    const char *arguments[] = {"places-stub", "--listen", listen, NULL};
    int pid = herd_test_spawn (arguments, "places-stub ready");
    free (listen);
    return pid;
}
