/*  herd_test_netsim - can this machine run a simulated network (probed
    once), and the hosts' queueing disciplines  */

#include "herd_test_netsim.h"
#include "herd_test_netsim_private.h"

#include <unistd.h>

//  Probed once per test process (tests are one thread: no lock)
static bool s_probed;
static bool s_netem;
static char s_reason[512];

char *
herd_netsim_file_text (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    char buffer[4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof (buffer), file)) > 0)
        fwrite (buffer, 1, got, stream);
    fclose (stream);
    fclose (file);
    return text;
}

//  One step of the probe: run command in the probe's namespace (or in
//  ours if ns is NULL); on failure, say why (with the command's output)
//  and return false.
static bool
s_step (const char *ns, const char *why, const char *command)
{
    char output[] = "/tmp/herd-netsim-probe-XXXXXX";
    int fd = mkstemp (output);
    if (fd >= 0)
        close (fd);
    int code = ns ? herd_netsim_run (output, "ip netns exec %s sh -c '%s'", ns,
                                     command)
                  : herd_netsim_run (output, "%s", command);
    if (code) {
        char *text = herd_netsim_file_text (output);
        size_t size = text ? strlen (text) : 0;
        while (size && (text[size - 1] == '\n' || text[size - 1] == ' '))
            text[--size] = 0;
        snprintf (s_reason, sizeof (s_reason), "%s (`%s`: %s)", why, command,
                  size ? text : "no output");
        free (text);
    }
    unlink (output);
    return code == 0;
}

static void
s_probe (void)
{
    if (getenv ("HERD_SANITIZED")) {
        snprintf (s_reason, sizeof (s_reason),
                  "a sanitizer build (HERD_SANITIZED): the scenarios measure "
                  "timing, which ASan's slowdown would make meaningless");
        return;
    }
    if (getenv ("HERD_VALGRIND")) {
        snprintf (s_reason, sizeof (s_reason),
                  "under valgrind (HERD_VALGRIND): the scenarios measure "
                  "timing, which valgrind's slowdown would make meaningless");
        return;
    }
    if (geteuid () != 0) {
        snprintf (s_reason, sizeof (s_reason),
                  "not root: network namespaces, iptables and NFQUEUE need "
                  "root (run the test as root)");
        return;
    }
    if (!s_step (NULL, "no ip, iptables or tc (Debian: iproute2, iptables)",
                 "command -v ip && command -v iptables && command -v tc"))
        return;
    const char *shaper =
        herd_netsim_env ("HERD_SHAPER", "build/tests/herd_shaper");
    //  Leftovers of tests that were killed go first
    herd_netsim_run (NULL, "sh '%s' sweep", herd_netsim_script ());
    char ns[64];
    snprintf (ns, sizeof (ns), "hs%d-0-probe", (int) getpid ());
    char *add = zsys_sprintf ("ip netns add %s", ns);
    bool made = s_step (NULL, "cannot make a network namespace", add);
    free (add);
    if (!made)
        return;
    bool able =
        s_step (ns, "no veth or bridge devices",
                "ip link add name pa type veth peer name pb && ip link add "
                "name br0 "
                "type bridge && ip link set pa up && ip link set pb up")
        && s_step (ns, "iptables cannot drop at random (-m statistic)",
                   "iptables -A INPUT -m statistic --mode random "
                   "--probability 0.5 -j DROP")
        && s_step (ns, "no htb or tbf queueing discipline",
                   "tc qdisc add dev pb root handle 1: htb default 1 && tc "
                   "class add dev pb parent 1: classid 1:1 htb rate 1gbit && "
                   "tc qdisc add dev pb parent 1:1 handle 10: tbf rate 1mbit "
                   "burst 10kb latency 100ms");
    if (able) {
        s_netem = herd_netsim_run (NULL,
                                   "ip netns exec %s tc qdisc add dev pa "
                                   "root netem delay 1ms",
                                   ns)
                  == 0;
        if (getenv ("HERD_NETSIM_SHAPER"))
            s_netem = false;
        if (!s_netem) {
            char *command = zsys_sprintf (
                "test -x %s && iptables -A INPUT -j NFQUEUE --queue-num 0 && "
                "%s --queue 0 --delay-ms 0 --probe",
                shaper, shaper);
            s_step (ns,
                    "no netem, and herd_shaper cannot take an NFQUEUE queue "
                    "(CONFIG_NETFILTER_XT_TARGET_NFQUEUE, "
                    "libnetfilter_queue; make builds build/tests/herd_shaper)",
                    command);
            free (command);
        }
    }
    herd_netsim_run (NULL, "ip netns del %s", ns);
}

const char *
herd_netsim_unavailable (void)
{
    if (!s_probed) {
        s_probed = true;
        s_probe ();
    }
    return *s_reason ? s_reason : NULL;
}

bool
herd_netsim_has_netem (void)
{
    herd_netsim_unavailable ();
    return s_netem;
}

bool
herd_netsim_full (void)
{
    return streq (herd_netsim_env ("HERD_NETSIM", ""), "full");
}

void
herd_netsim_skip_unless_able (void)
{
    const char *why = herd_netsim_unavailable ();
    if (why) {
        print_message ("netsim: skipped: %s\n", why);
        skip ();
    }
}

int
herd_netsim_setup (void **state)
{
    *state = NULL;
    return 0;
}

int
herd_netsim_teardown (void **state)
{
    herd_netsim_destroy ((herd_netsim_t **) state);
    return 0;
}

void
herd_netsim_tc (herd_netsim_t *self, herd_netsim_host_t *host)
{
    bool slow = false;
    for (size_t i = 0; i < self->count; i++)
        slow = slow || host->slow_to[i];
    bool delay = self->netem && (self->delay_ms || self->jitter_ms);
    //  Nothing to do, or no root to delete: both fine
    herd_netsim_run (NULL, "ip netns exec %s tc qdisc del dev eth0 root",
                     host->ns);
    if (!slow && !delay)
        return;
    //  Class 1:1 the herd (netem's delay under it), 1:3 the client host
    //  (never delayed), 1:(20 + i) what goes to host i on a slow link
    char *command = zsys_sprintf (
        "tc qdisc add dev eth0 root handle 1: htb default 1 && tc class add "
        "dev eth0 parent 1: classid 1:1 htb rate 10gbit && tc class add dev "
        "eth0 parent 1: classid 1:3 htb rate 10gbit && tc filter add dev eth0 "
        "parent 1: protocol ip prio 1 u32 match ip dst %s.%d/32 flowid 1:3",
        S_NET, S_CLIENT_ADDRESS);
    if (delay) {
        char *more = zsys_sprintf ("%s && tc qdisc add dev eth0 parent 1:1 "
                                   "handle 10: netem delay %dms %dms",
                                   command, self->delay_ms, self->jitter_ms);
        free (command);
        command = more;
    }
    for (size_t i = 0; i < self->count; i++) {
        if (!host->slow_to[i])
            continue;
        int class_id = 20 + (int) i;
        //  tbf does the rate; with netem, netem does rate and delay both
        //  (herd_shaper delays it at the receiver otherwise)
        char *leaf =
            self->netem
                ? zsys_sprintf ("netem delay %dms %dms rate %dkbit",
                                self->hosts[i].slow_delay_ms, self->jitter_ms,
                                host->slow_to[i])
                : zsys_sprintf ("tbf rate %dkbit burst 10kb latency 200ms",
                                host->slow_to[i]);
        char *more = zsys_sprintf (
            "%s && tc class add dev eth0 parent 1: classid 1:%d htb rate "
            "10gbit && tc qdisc add dev eth0 parent 1:%d handle %d: %s && tc "
            "filter add dev eth0 parent 1: protocol ip prio 2 u32 match ip "
            "dst %s.%d/32 flowid 1:%d",
            command, class_id, class_id, class_id, leaf, S_NET,
            self->hosts[i].address, class_id);
        free (leaf);
        free (command);
        command = more;
    }
    char *output = zsys_sprintf ("%s/tc.out", self->directory);
    if (herd_netsim_run (output, "ip netns exec %s sh -c '%s'", host->ns,
                         command)) {
        char *text = herd_netsim_file_text (output);
        fail_msg ("netsim: tc on %s failed: %s: %s", host->name, command,
                  text ? text : "");
    }
    free (output);
    free (command);
}
