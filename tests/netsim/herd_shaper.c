/*  herd_shaper - a delay line on an NFQUEUE queue, for kernels without
    netem: each packet an iptables rule queues is held for delay +- jitter
    milliseconds (uniform), then accepted by its id

    Usage: herd_shaper --queue N --delay-ms D [--jitter-ms J] [--seed S]
                       [--in-order] [--max-held M] [--probe]

    Run it inside the network namespace whose rules queue to it, start it
    before the rule that feeds it (a queue nobody listens to drops what the
    kernel gives it), and stop it with SIGTERM: it accepts what it still
    holds at once and prints its counts, overflow included, on stderr.
    Loss is iptables' business (-m statistic), never ours: the shaper drops
    nothing itself.  Where the kernel's queue was full or the netlink socket
    overflowed, the kernel dropped packets; both are counted and reported,
    and the exit code is then 2.

    Packets are released in time order, so with jitter they may be
    reordered, as netem reorders them; --in-order holds each packet at
    least until the one before it is released.  */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

//  Packets the kernel holds for the queue at most (its default is 1,024,
//  which a 20 ms delay at 50,000 packets/s would pass)
#define S_MAX_HELD_DEFAULT 65536
//  Receive buffer of the netlink socket: room for bursts
#define S_RCVBUF (16 * 1024 * 1024)
#define S_BUFFER (256 * 1024)

typedef struct {
    uint64_t due_ns;  //  When to accept it, CLOCK_MONOTONIC
    uint64_t order;   //  Arrival order: ties leave in it
    uint32_t id;      //  The kernel's packet id
} s_packet_t;

typedef struct {
    //  Options
    unsigned queue;
    uint64_t delay_ns;
    uint64_t jitter_ns;
    uint32_t max_held;
    bool in_order;
    bool probe;       //  Open the queue, say so, and exit
    uint64_t random;  //  xorshift64 state
    //  The held packets, a binary heap on (due_ns, order)
    s_packet_t *heap;
    size_t held;
    size_t capacity;
    uint64_t last_due_ns;  //  For --in-order
    //  Counts
    uint64_t arrived;
    uint64_t accepted;
    uint64_t verdict_errors;
    uint64_t enobufs;
    size_t most_held;
    //  Netlink
    struct nfq_handle *handle;
    struct nfq_q_handle *queue_handle;
} s_shaper_t;

static uint64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec;
}

static uint64_t
s_random (s_shaper_t *self)
{
    uint64_t x = self->random;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->random = x;
    return x;
}

static bool
s_before (const s_packet_t *a, const s_packet_t *b)
{
    return a->due_ns < b->due_ns
           || (a->due_ns == b->due_ns && a->order < b->order);
}

static void
s_swap (s_packet_t *a, s_packet_t *b)
{
    s_packet_t tmp = *a;
    *a = *b;
    *b = tmp;
}

//  Add a packet to the heap.  O(log n).  Returns -1 on out of memory.
static int
s_push (s_shaper_t *self, s_packet_t packet)
{
    if (self->held == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 1024;
        s_packet_t *heap =
            (s_packet_t *) realloc (self->heap, capacity * sizeof (s_packet_t));
        if (!heap)
            return -1;
        self->heap = heap;
        self->capacity = capacity;
    }
    size_t at = self->held++;
    self->heap[at] = packet;
    while (at > 0 && s_before (&self->heap[at], &self->heap[(at - 1) / 2])) {
        s_swap (&self->heap[at], &self->heap[(at - 1) / 2]);
        at = (at - 1) / 2;
    }
    if (self->held > self->most_held)
        self->most_held = self->held;
    return 0;
}

//  Remove the earliest packet from the heap.  O(log n).
static s_packet_t
s_pop (s_shaper_t *self)
{
    s_packet_t top = self->heap[0];
    self->heap[0] = self->heap[--self->held];
    size_t at = 0;
    while (true) {
        size_t left = 2 * at + 1, right = left + 1, least = at;
        if (left < self->held
            && s_before (&self->heap[left], &self->heap[least]))
            least = left;
        if (right < self->held
            && s_before (&self->heap[right], &self->heap[least]))
            least = right;
        if (least == at)
            break;
        s_swap (&self->heap[at], &self->heap[least]);
        at = least;
    }
    return top;
}

static void
s_accept (s_shaper_t *self, uint32_t id)
{
    if (nfq_set_verdict (self->queue_handle, id, NF_ACCEPT, 0, NULL) < 0)
        self->verdict_errors++;
    else
        self->accepted++;
}

//  A packet from the kernel: note when it is due.  Without room to hold
//  it, it goes on at once rather than being lost (counted as an error).
static int
s_on_packet (struct nfq_q_handle *queue_handle,
             struct nfgenmsg *message,
             struct nfq_data *data,
             void *arg)
{
    (void) queue_handle;
    (void) message;
    s_shaper_t *self = (s_shaper_t *) arg;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr (data);
    if (!header)
        return 0;
    uint32_t id = ntohl (header->packet_id);
    uint64_t delay = self->delay_ns;
    if (self->jitter_ns) {
        uint64_t span = 2 * self->jitter_ns + 1;
        delay = delay + s_random (self) % span;
        delay = delay > self->jitter_ns ? delay - self->jitter_ns : 0;
    }
    s_packet_t packet = {s_now_ns () + delay, self->arrived++, id};
    if (self->in_order && packet.due_ns < self->last_due_ns)
        packet.due_ns = self->last_due_ns;
    self->last_due_ns = packet.due_ns;
    if (s_push (self, packet)) {
        self->verdict_errors++;
        s_accept (self, id);
    }
    return 0;
}

//  Accept every packet that is due (all of them with everything true).
static void
s_release (s_shaper_t *self, bool everything)
{
    uint64_t now = s_now_ns ();
    while (self->held && (everything || self->heap[0].due_ns <= now))
        s_accept (self, s_pop (self).id);
}

//  The kernel's counts for our queue, from /proc/net/netfilter/
//  nfnetlink_queue (of this namespace): dropped because the queue was
//  full, and because the netlink message could not be sent to us.
static void
s_kernel_drops (s_shaper_t *self, uint64_t *full, uint64_t *user)
{
    *full = *user = 0;
    FILE *file = fopen ("/proc/net/netfilter/nfnetlink_queue", "r");
    if (!file)
        return;
    unsigned queue, portid, total, mode, range;
    uint64_t queue_dropped, user_dropped;
    while (fscanf (file, "%u %u %u %u %u %" SCNu64 " %" SCNu64 "%*[^\n]",
                   &queue, &portid, &total, &mode, &range, &queue_dropped,
                   &user_dropped)
           == 7)
        if (queue == self->queue) {
            *full = queue_dropped;
            *user = user_dropped;
        }
    fclose (file);
}

static bool
s_is (const char *argument, const char *option)
{
    return strcmp (argument, option) == 0;
}

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: herd_shaper --queue N --delay-ms D [--jitter-ms J] "
             "[--seed S] [--in-order] [--max-held M] [--probe]\n");
    exit (64);
}

static void
s_options (s_shaper_t *self, int argc, char *argv[])
{
    bool have_queue = false;
    self->max_held = S_MAX_HELD_DEFAULT;
    self->random = (uint64_t) time (NULL) ^ ((uint64_t) getpid () << 32);
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (s_is (name, "--in-order") || s_is (name, "--probe")) {
            self->in_order = self->in_order || s_is (name, "--in-order");
            self->probe = self->probe || s_is (name, "--probe");
            continue;
        }
        if (i + 1 >= argc)
            s_usage ();
        char *end = NULL;
        double value = strtod (argv[++i], &end);
        if (*end || value < 0)
            s_usage ();
        if (s_is (name, "--queue")) {
            self->queue = (unsigned) value;
            have_queue = value <= 65535;
        } else if (s_is (name, "--delay-ms"))
            self->delay_ns = (uint64_t) (value * 1e6);
        else if (s_is (name, "--jitter-ms"))
            self->jitter_ns = (uint64_t) (value * 1e6);
        else if (s_is (name, "--seed"))
            self->random = (uint64_t) value;
        else if (s_is (name, "--max-held") && value >= 1)
            self->max_held = (uint32_t) value;
        else
            s_usage ();
    }
    if (!have_queue)
        s_usage ();
    if (self->jitter_ns > self->delay_ns)
        self->jitter_ns = self->delay_ns;
    if (!self->random)
        self->random = 1;
}

//  Set up the queue; returns -1 (after saying why) if it cannot be had.
static int
s_open (s_shaper_t *self)
{
    self->handle = nfq_open ();
    if (!self->handle) {
        fprintf (stderr, "herd_shaper: nfq_open: %s\n", strerror (errno));
        return -1;
    }
    self->queue_handle = nfq_create_queue (self->handle, (uint16_t) self->queue,
                                           s_on_packet, self);
    if (!self->queue_handle) {
        fprintf (stderr, "herd_shaper: queue %u: %s (taken, or no NFQUEUE)\n",
                 self->queue, strerror (errno));
        return -1;
    }
    //  Metadata only: the packet id is all a delay needs
    if (nfq_set_mode (self->queue_handle, NFQNL_COPY_META, 0) < 0
        || nfq_set_queue_maxlen (self->queue_handle, self->max_held) < 0) {
        fprintf (stderr, "herd_shaper: queue %u set-up: %s\n", self->queue,
                 strerror (errno));
        return -1;
    }
    //  GSO packets whole: nothing to segment for a delay (older kernels
    //  refuse the flag, which only costs them segmentation)
    nfq_set_queue_flags (self->queue_handle, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);
    nfnl_rcvbufsiz (nfq_nfnlh (self->handle), S_RCVBUF);
    return 0;
}

//  Wait for packets until SIGTERM or SIGINT, releasing each when due.
static int
s_run (s_shaper_t *self, int signal_fd)
{
    char *buffer = (char *) malloc (S_BUFFER);
    if (!buffer)
        return -1;
    int fd = nfq_fd (self->handle);
    struct pollfd items[2] = {{fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    while (true) {
        s_release (self, false);
        struct timespec wait = {1, 0}, *timeout = NULL;
        if (self->held) {
            uint64_t now = s_now_ns (), due = self->heap[0].due_ns;
            uint64_t left = due > now ? due - now : 0;
            wait.tv_sec = (time_t) (left / 1000000000u);
            wait.tv_nsec = (long) (left % 1000000000u);
            timeout = &wait;
        }
        int ready = ppoll (items, 2, timeout, NULL);
        if (ready < 0 && errno != EINTR)
            break;
        if (items[1].revents)
            break;
        //  Everything the socket holds now, without blocking
        while (items[0].revents) {
            ssize_t size = recv (fd, buffer, S_BUFFER, MSG_DONTWAIT);
            if (size < 0 && errno == ENOBUFS) {
                //  The kernel could not tell us of some packets: it
                //  dropped them (user_dropped); counted, reported at exit
                self->enobufs++;
                continue;
            }
            if (size <= 0)
                break;
            nfq_handle_packet (self->handle, buffer, (int) size);
        }
    }
    free (buffer);
    return 0;
}

int
main (int argc, char *argv[])
{
    s_shaper_t shaper;
    memset (&shaper, 0, sizeof (shaper));
    s_shaper_t *self = &shaper;
    s_options (self, argc, argv);
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    sigprocmask (SIG_BLOCK, &signals, NULL);
    int signal_fd = signalfd (-1, &signals, SFD_CLOEXEC);
    if (signal_fd < 0 || s_open (self))
        return 1;
    fprintf (stderr,
             "herd_shaper: queue %u ready delay_ms=%.3f jitter_ms=%.3f%s\n",
             self->queue, (double) self->delay_ns / 1e6,
             (double) self->jitter_ns / 1e6, self->in_order ? " in-order" : "");
    if (!self->probe)
        s_run (self, signal_fd);
    //  Nothing held is lost at the stop: it goes on now
    s_release (self, true);
    uint64_t full, user;
    s_kernel_drops (self, &full, &user);
    fprintf (stderr,
             "herd_shaper: queue %u stopped packets=%" PRIu64
             " accepted=%" PRIu64 " most_held=%zu overflow: queue_full=%" PRIu64
             " netlink_lost=%" PRIu64 " enobufs=%" PRIu64
             " verdict_errors=%" PRIu64 "\n",
             self->queue, self->arrived, self->accepted, self->most_held, full,
             user, self->enobufs, self->verdict_errors);
    nfq_destroy_queue (self->queue_handle);
    nfq_close (self->handle);
    free (self->heap);
    close (signal_fd);
    return full || user || self->enobufs || self->verdict_errors ? 2 : 0;
}
