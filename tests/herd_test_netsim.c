/*  herd_test_netsim - a simulated network of hosts: namespaces, nodes in
    them, and faults (herd_test_netsim_check.c: clients and measures)  */

#include "herd_test_netsim.h"
#include "herd_test_netsim_private.h"
#include "herd_topo.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

//  How long a node or a shaper may take to start
#define S_READY_MS 10000

//  The prefix of this process's namespaces, for the signal handler: it
//  can reach nothing else, so this one is a file-scope variable
static char s_process_prefix[32];

const char *
herd_netsim_env (const char *name, const char *otherwise)
{
    const char *value = getenv (name);
    return value && *value ? value : otherwise;
}

const char *
herd_netsim_script (void)
{
    return herd_netsim_env ("HERD_NETSIM_SCRIPT", "tests/netsim/netsim.sh");
}

int
herd_netsim_run (const char *output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int fd = open (output ? output : "/dev/null",
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2 (fd, 1) < 0 || dup2 (fd, 2) < 0)
            _exit (126);
        setenv ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
        execl ("/bin/sh", "sh", "-c", command, (char *) NULL);
        _exit (127);
    }
    free (command);
    int status = 0;
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
        ;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  Run a shell command; fail the test with its output if it fails.
static void
s_must (herd_netsim_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    char *output = zsys_sprintf ("%s/command.out", self->directory);
    if (herd_netsim_run (output, "%s", command)) {
        char *text = herd_netsim_file_text (output);
        fail_msg ("netsim: `%s` failed: %s", command, text ? text : "");
    }
    free (output);
    free (command);
}

static void
s_on_signal (int signal)
{
    //  Tear down this process's namespaces (sparing this process), then
    //  die of the signal
    pid_t pid = fork ();
    if (pid == 0) {
        char spare[32];
        snprintf (spare, sizeof (spare), "%d", (int) getppid ());
        execl ("/bin/sh", "sh", herd_netsim_script (), "down", s_process_prefix,
               spare, (char *) NULL);
        _exit (127);
    }
    if (pid > 0)
        waitpid (pid, NULL, 0);
    sigaction (signal, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
    raise (signal);
}

herd_netsim_host_t *
herd_netsim_host (herd_netsim_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->hosts[i].name, name))
            return &self->hosts[i];
    fail_msg ("netsim: no node %s", name);
    abort ();  //  Not reached: fail_msg does not return
}

//  The hosts file every namespace sees, written in place: ip netns exec
//  bind-mounts it over /etc/hosts, so a new file would go unseen by the
//  processes already running.
static void
s_write_hosts (herd_netsim_t *self, const char *ns)
{
    char *path = zsys_sprintf ("/etc/netns/%s/hosts", ns);
    FILE *file = fopen (path, "w");
    if (!file) {
        fail_msg ("netsim: %s: %s", path, strerror (errno));
        return;
    }
    fprintf (file, "127.0.0.1 localhost\n%s.%d netsim-client\n", S_NET,
             S_CLIENT_ADDRESS);
    for (size_t i = 0; i < self->count; i++)
        fprintf (file, "%s.%d %s\n", S_NET, self->hosts[i].address,
                 self->hosts[i].host);
    fclose (file);
    free (path);
}

void
herd_netsim_write_all_hosts (herd_netsim_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        s_write_hosts (self, self->hosts[i].ns);
    s_write_hosts (self, self->client_ns);
}

//  A namespace on the bridge at address, with its hosts file and the
//  iptables chains faults go in (on INPUT: cuts, then loss, then delay).
static void
s_host_up (herd_netsim_t *self, const char *ns, int address)
{
    char *dir = zsys_sprintf ("/etc/netns/%s", ns);
    mkdir ("/etc/netns", 0755);
    mkdir (dir, 0755);
    free (dir);
    s_write_hosts (self, ns);
    int veth = self->veths++;
    //  The MAC address follows the IP address, as a machine's NIC stays
    //  the same when it reboots: the other hosts' neighbour tables stay
    //  right (with a new MAC they would hold the old one until it went
    //  stale, and a rebooted host would be unreachable from those that did
    //  not hear it ask for them)
    s_must (self,
            "ip netns add %s && ip -n %s link add name v%d type veth peer name "
            "eth0 netns %s && ip -n %s link set v%d master br0 up && ip -n %s "
            "link set eth0 address 02:77:00:00:00:%02x && ip -n %s addr add "
            "%s.%d/24 dev eth0 && ip -n %s link set eth0 up && ip -n %s link "
            "set lo up",
            ns, self->bridge_ns, veth, ns, self->bridge_ns, veth, ns,
            (unsigned) address, ns, S_NET, address, ns, ns);
    if (streq (ns, self->client_ns))
        return;
    s_must (self,
            "ip netns exec %s sh -c 'for c in NETSIM_CUT NETSIM_LOSS "
            "NETSIM_DELAY; do iptables -N $c && iptables -A INPUT -i eth0 -j "
            "$c || exit 1; done'",
            ns);
}

//  The nodes and links of the topology file at path.
static void
s_read_topology (herd_netsim_t *self, const char *path)
{
    herd_topo_t *topo = herd_topo_new ();
    if (herd_topo_load (topo, path))
        fail_msg ("%s: %s", path, herd_topo_errors (topo));
    self->count = herd_topo_node_count (topo);
    assert_true (self->count <= S_HOSTS_MAX);
    for (size_t i = 0; i < self->count; i++) {
        herd_netsim_host_t *host = &self->hosts[i];
        snprintf (host->name, sizeof (host->name), "%s",
                  herd_topo_node_name (topo, i));
        for (size_t c = 0; host->name[c]; c++)
            host->host[c] = (char) tolower ((unsigned char) host->name[c]);
        snprintf (host->ns, sizeof (host->ns), "%s%s", self->prefix,
                  host->host);
        host->address = S_FIRST_ADDRESS + (int) i;
        for (size_t n = 0; n < herd_topo_neighbour_count (topo, i); n++) {
            size_t other = herd_topo_neighbour (topo, i, n);
            self->adjacent[i][other] = true;
            if (other > i) {
                assert_true (self->links < S_LINKS_MAX);
                self->link[self->links][0] = i;
                self->link[self->links][1] = other;
                self->links++;
            }
        }
    }
    herd_topo_destroy (&topo);
}

static void
s_write_topology (herd_netsim_t *self, const char *settings)
{
    FILE *file = fopen (self->topology, "w");
    assert_non_null (file);
    fprintf (file, "herd\n    log_dir = %s/logs\n    keys_dir = %s/keys\n%s\n",
             self->directory, self->directory, settings ? settings : "");
    fprintf (file, "nodes\n");
    for (size_t i = 0; i < self->count; i++)
        fprintf (file,
                 "    %s\n        client = %s:%d\n"
                 "        herd = tcp://%s:%d\n",
                 self->hosts[i].name, self->hosts[i].host,
                 HERD_NETSIM_CLIENT_PORT, self->hosts[i].host,
                 HERD_NETSIM_HERD_PORT);
    fprintf (file, "links\n");
    for (size_t i = 0; i < self->links; i++)
        fprintf (file, "    link = %s %s\n", self->hosts[self->link[i][0]].name,
                 self->hosts[self->link[i][1]].name);
    fclose (file);
}

herd_netsim_t *
herd_netsim_new (const char *path, const char *settings)
{
    const char *why = herd_netsim_unavailable ();
    if (why)
        fail_msg ("netsim unavailable: %s", why);
    static int generation = 0;  //  Tests are one thread: no lock
    herd_netsim_t *self = (herd_netsim_t *) zmalloc (sizeof (herd_netsim_t));
    self->netem = herd_netsim_has_netem ();
    snprintf (self->prefix, sizeof (self->prefix), "hs%d-%d-", (int) getpid (),
              ++generation);
    snprintf (s_process_prefix, sizeof (s_process_prefix), "hs%d-",
              (int) getpid ());
    struct sigaction action = {.sa_handler = s_on_signal};
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    //  Named after this process too, for netsim.sh sweep
    snprintf (self->directory, sizeof (self->directory),
              "/tmp/herd-netsim-%d-XXXXXX", (int) getpid ());
    assert_non_null (mkdtemp (self->directory));
    snprintf (self->topology, sizeof (self->topology), "%s/herd.zpl",
              self->directory);
    snprintf (self->bridge_ns, sizeof (self->bridge_ns), "%sbridge",
              self->prefix);
    snprintf (self->client_ns, sizeof (self->client_ns), "%sclient",
              self->prefix);
    self->origin_fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    assert_true (self->origin_fd >= 0);
    s_read_topology (self, path);
    s_write_topology (self, settings);
    s_must (self, "'%s' keys -t '%s'",
            herd_netsim_env ("HERD_BIN", "build/herd"), self->topology);
    s_must (
        self,
        "ip netns add %s && ip -n %s link add name br0 type bridge && ip -n %s "
        "link set br0 up",
        self->bridge_ns, self->bridge_ns, self->bridge_ns);
    s_host_up (self, self->client_ns, S_CLIENT_ADDRESS);
    char *netns = zsys_sprintf ("/run/netns/%s", self->client_ns);
    self->client_fd = open (netns, O_RDONLY | O_CLOEXEC);
    free (netns);
    assert_true (self->client_fd >= 0);
    for (size_t i = 0; i < self->count; i++)
        s_host_up (self, self->hosts[i].ns, self->hosts[i].address);
    return self;
}

//  Start argv (at most 11 words) in namespace ns, output to out, and wait
//  until out holds ready.  Returns its pid (ip netns exec execs it: the
//  same pid).
static pid_t
s_spawn (const char *ns,
         const char *out,
         const char *ready,
         const char *const *argv)
{
    unlink (out);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        //  Dies with the test, even one that failed half-way
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        int fd = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2 (fd, 1) < 0 || dup2 (fd, 2) < 0)
            _exit (126);
        char *args[16] = {"ip", "netns", "exec", strdup (ns)};
        for (int i = 0; i < 11 && argv[i]; i++)
            args[4 + i] = strdup (argv[i]);
        execv ("/usr/sbin/ip", args);
        execvp ("ip", args);
        _exit (127);
    }
    herd_test_seen_t seen = {out, ready, 1};
    if (!herd_test_wait_until (herd_test_file_has, &seen, S_READY_MS)) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        char *text = herd_netsim_file_text (out);
        fail_msg ("netsim: %s in %s did not get ready: %s", argv[0], ns,
                  text ? text : "");
    }
    return pid;
}

void
herd_netsim_start (herd_netsim_t *self, const char *name, const char *state)
{
    herd_netsim_host_t *host = herd_netsim_host (self, name);
    assert_int_equal (host->node, 0);
    char *out = zsys_sprintf ("%s/%s.out", self->directory, name);
    const char *argv[] = {herd_netsim_env ("HERD_BIN", "build/herd"),
                          "node",
                          host->name,
                          "-t",
                          self->topology,
                          state ? "--state" : NULL,
                          state,
                          NULL};
    host->node = s_spawn (host->ns, out, " ready client=", argv);
    free (out);
}

void
herd_netsim_start_all (herd_netsim_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        herd_netsim_start (self, self->hosts[i].name, NULL);
    for (size_t i = 0; i < self->count; i++) {
        size_t degree = 0;
        for (size_t n = 0; n < self->count; n++)
            degree += self->adjacent[i][n];
        if (!herd_netsim_log_wait (self, self->hosts[i].name, "link synced ",
                                   degree, 30000))
            fail_msg ("netsim: links of %s did not get synced",
                      self->hosts[i].name);
    }
}

//  Wait for pid; its exit code, or -1 if a signal ended it.
static int
s_reap (pid_t pid)
{
    int status = 0;
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
        ;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

void
herd_netsim_signal (herd_netsim_t *self, const char *name, int signal)
{
    herd_netsim_host_t *host = herd_netsim_host (self, name);
    assert_true (host->node > 0);
    kill (host->node, signal);
    if (signal == SIGKILL || signal == SIGTERM) {
        s_reap (host->node);
        host->node = 0;
    }
}

//  Stop the shaper of queue, if any; note what it lost in self->errors.
static void
s_shaper_stop (herd_netsim_t *self, herd_netsim_host_t *host, int queue)
{
    if (!host->shapers[queue])
        return;
    kill (host->shapers[queue], SIGTERM);
    int code = s_reap (host->shapers[queue]);
    host->shapers[queue] = 0;
    char *out =
        zsys_sprintf ("%s/%s.shaper%d", self->directory, host->name, queue);
    char *text = herd_netsim_file_text (out);
    if (code != 0) {
        char *errors = zsys_sprintf ("%s%s shaper %d exited %d: %s\n",
                                     self->errors ? self->errors : "",
                                     host->name, queue, code, text);
        free (self->errors);
        self->errors = errors;
    }
    free (text);
    free (out);
}

static void
s_shaper_start (herd_netsim_t *self,
                herd_netsim_host_t *host,
                int queue,
                int delay_ms,
                int jitter_ms)
{
    s_shaper_stop (self, host, queue);
    char *out =
        zsys_sprintf ("%s/%s.shaper%d", self->directory, host->name, queue);
    char number[3][16];
    snprintf (number[0], sizeof (number[0]), "%d", queue);
    snprintf (number[1], sizeof (number[1]), "%d", delay_ms);
    snprintf (number[2], sizeof (number[2]), "%d", jitter_ms);
    const char *argv[] = {
        herd_netsim_env ("HERD_SHAPER", "build/tests/herd_shaper"),
        "--queue",
        number[0],
        "--delay-ms",
        number[1],
        "--jitter-ms",
        number[2],
        NULL};
    host->shapers[queue] = s_spawn (host->ns, out, " ready ", argv);
    free (out);
}

//  Set the herd's delay on one host (netem on its egress, or a shaper on
//  its ingress), as self->delay_ms and jitter_ms say.
static void
s_host_delay (herd_netsim_t *self, herd_netsim_host_t *host)
{
    if (self->netem) {
        herd_netsim_tc (self, host);
        return;
    }
    s_must (self, "ip netns exec %s iptables -F NETSIM_DELAY", host->ns);
    //  What comes over a slow link takes queue 1 (its shaper runs from
    //  herd_netsim_slow on), the rest from other hosts queue 0
    for (size_t i = 0; i < self->count; i++)
        if (host->slow_from[i])
            s_must (self,
                    "ip netns exec %s iptables -A NETSIM_DELAY -s %s.%d -j "
                    "NFQUEUE --queue-num 1",
                    host->ns, S_NET, self->hosts[i].address);
    if (self->delay_ms || self->jitter_ms) {
        s_shaper_start (self, host, 0, self->delay_ms, self->jitter_ms);
        s_must (self,
                "ip netns exec %s iptables -A NETSIM_DELAY ! -s %s.%d -j "
                "NFQUEUE --queue-num 0",
                host->ns, S_NET, S_CLIENT_ADDRESS);
    } else
        s_shaper_stop (self, host, 0);
}

void
herd_netsim_delay (herd_netsim_t *self, int delay_ms, int jitter_ms)
{
    self->delay_ms = delay_ms;
    self->jitter_ms = jitter_ms;
    for (size_t i = 0; i < self->count; i++)
        s_host_delay (self, &self->hosts[i]);
}

static void
s_host_loss (herd_netsim_t *self, herd_netsim_host_t *host)
{
    s_must (self, "ip netns exec %s iptables -F NETSIM_LOSS", host->ns);
    if (self->loss > 0)
        s_must (self,
                "ip netns exec %s iptables -A NETSIM_LOSS ! -s %s.%d -m "
                "statistic --mode random --probability %.6f -j DROP",
                host->ns, S_NET, S_CLIENT_ADDRESS, self->loss);
}

void
herd_netsim_loss (herd_netsim_t *self, double share)
{
    self->loss = share;
    for (size_t i = 0; i < self->count; i++)
        s_host_loss (self, &self->hosts[i]);
}

void
herd_netsim_cut (herd_netsim_t *self,
                 const char *from,
                 const char *to,
                 bool cut)
{
    herd_netsim_host_t *sender = herd_netsim_host (self, from);
    herd_netsim_host_t *receiver = herd_netsim_host (self, to);
    s_must (self, "ip netns exec %s iptables -%c NETSIM_CUT -s %s.%d -j DROP",
            receiver->ns, cut ? 'A' : 'D', S_NET, sender->address);
}

void
herd_netsim_partition (herd_netsim_t *self,
                       const char *const *left,
                       size_t left_count,
                       const char *const *right,
                       size_t right_count,
                       bool cut)
{
    //  One command per host, so that the cut (or the heal) is near-instant
    for (int side = 0; side < 2; side++) {
        const char *const *these = side ? right : left;
        const char *const *those = side ? left : right;
        size_t count = side ? right_count : left_count;
        size_t other = side ? left_count : right_count;
        for (size_t i = 0; i < count; i++) {
            herd_netsim_host_t *host = herd_netsim_host (self, these[i]);
            char *command = zsys_sprintf ("true");
            for (size_t n = 0; n < other; n++) {
                char *more = zsys_sprintf (
                    "%s && iptables -%c NETSIM_CUT -s %s.%d -j DROP", command,
                    cut ? 'A' : 'D', S_NET,
                    herd_netsim_host (self, those[n])->address);
                free (command);
                command = more;
            }
            s_must (self, "ip netns exec %s sh -c '%s'", host->ns, command);
            free (command);
        }
    }
}

void
herd_netsim_slow (herd_netsim_t *self,
                  const char *from,
                  const char *to,
                  int kbit,
                  int delay_ms)
{
    herd_netsim_host_t *sender = herd_netsim_host (self, from);
    herd_netsim_host_t *receiver = herd_netsim_host (self, to);
    size_t to_index = (size_t) (receiver - self->hosts);
    sender->slow_to[to_index] = kbit;
    receiver->slow_from[(size_t) (sender - self->hosts)] = true;
    receiver->slow_delay_ms = delay_ms;
    herd_netsim_tc (self, sender);
    if (!self->netem) {
        s_shaper_start (self, receiver, 1, delay_ms, self->jitter_ms);
        s_host_delay (self, receiver);
    }
}

void
herd_netsim_rebuild (herd_netsim_t *self, const char *name, int address)
{
    herd_netsim_host_t *host = herd_netsim_host (self, name);
    assert_int_equal (host->node, 0);
    for (int queue = 0; queue < 2; queue++)
        s_shaper_stop (self, host, queue);
    assert_int_equal (herd_netsim_run (NULL, "sh '%s' down '%s' %d",
                                       herd_netsim_script (), host->ns,
                                       (int) getpid ()),
                      0);
    if (address)
        host->address = address;
    s_host_up (self, host->ns, host->address);
    herd_netsim_write_all_hosts (self);
    s_host_delay (self, host);
    s_host_loss (self, host);
    herd_netsim_tc (self, host);
    if (!self->netem && host->slow_delay_ms)
        s_shaper_start (self, host, 1, host->slow_delay_ms, self->jitter_ms);
}

void
herd_netsim_destroy (herd_netsim_t **self_p)
{
    herd_netsim_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    for (size_t i = 0; i < self->count; i++)
        if (self->hosts[i].node > 0)
            kill (self->hosts[i].node, SIGTERM);
    char *failure = NULL;
    for (size_t i = 0; i < self->count; i++) {
        herd_netsim_host_t *host = &self->hosts[i];
        if (host->node > 0) {
            int64_t deadline = zclock_mono () + 5000;
            int status = 0;
            while (waitpid (host->node, &status, WNOHANG) == 0
                   && zclock_mono () < deadline)
                poll (NULL, 0, 5);
            if (zclock_mono () >= deadline) {
                kill (host->node, SIGKILL);
                waitpid (host->node, &status, 0);
            }
            if ((!WIFEXITED (status) || WEXITSTATUS (status)) && !failure)
                failure = zsys_sprintf ("node %s exited with status %d",
                                        host->name, status);
        }
        for (int queue = 0; queue < 2; queue++)
            s_shaper_stop (self, host, queue);
    }
    close (self->client_fd);
    close (self->origin_fd);
    herd_netsim_run (NULL, "sh '%s' down '%s' %d", herd_netsim_script (),
                     self->prefix, (int) getpid ());
    if (getenv ("HERD_TEST_KEEP"))
        fprintf (stderr, "kept %s\n", self->directory);
    else
        herd_netsim_run (NULL, "rm -rf '%s'", self->directory);
    char *errors = self->errors;
    free (self);
    if (failure)
        fail_msg ("netsim: %s", failure);
    if (errors)
        fail_msg ("netsim: %s", errors);
}
