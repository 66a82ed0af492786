/*  test_e2e_tree_faults - broadcast trees (broadcast = tree, proto/herd.md
    section 3.2) through a fault on loopback: a node that carries updates
    whole to others is killed (-9), or frozen, while IAMATs flow, and the
    trees it was part of repair themselves (IHAVE, GRAFT) around it, with
    no help from catch-up.  Every live node ends with the newest record of
    every client, and the trees carry each update about once per node
    again; how long the repair took, the GRAFTs asked and the updates given
    up are printed ("tree-faults-result" lines).  (A link cut on a
    simulated network of hosts: test_e2e_netsim_tree.c.)  */

#include "herd_test.h"

#include <czmq.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#define S_NODES    16
#define S_SEED     19
#define S_DEADLINE 10000
//  IAMATs a second while the fault happens (from 15 originators), for so
//  long before the kill, and for so long in all
#define S_RATE      200
#define S_BEFORE_MS 1000
#define S_LOAD_MS   3000
#define S_IAMATS    (S_RATE * S_LOAD_MS / 1000 + 2 * S_NODES)
//  Room for an IAMAT's fields
#define S_FIELDS 96
//  Clients that move; every fifth IAMAT names a new one
#define S_MOVING      24
#define S_CLIENTS_MAX (2 * S_NODES + S_IAMATS)
#define S_TIME        1700000000
//  What follows the AT line of a WHATSAT with radius 0 (proto/client.md
//  section 3: Places is not asked)
#define S_NO_PLACES                                                            \
    "\n{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   "           \
    "\"status\" : \"OK\"\n}\n\n"

typedef struct {
    herd_test_herd_t *herd;
    const char *names[S_NODES];
    char name_text[S_NODES][8];
    char *links[2 * S_NODES];
    size_t link_count;
    size_t victim;     //  The node killed or frozen
    int signal;        //  SIGKILL or SIGSTOP
    bool gone;         //  Killed: it answers no more
    int64_t kill_us;   //  When it was (wall clock, as the logs stamp)
    int64_t load_us;   //  When the IAMATs around it began
    int64_t after_us;  //  When the first IAMAT after it was sent
    size_t burst;      //  The IAMATs sent at once around it, by number
    size_t burst_end;  //  (from burst to before burst_end)
    //  Every client so far, its newest AT line, and the number of the IAMAT
    //  that line answered (1 on: 0 is the warm-up)
    size_t client_count;
    char *clients[S_CLIENTS_MAX];
    char *lines[S_CLIENTS_MAX];
    size_t newest[S_CLIENTS_MAX];
    char *wrong;  //  The first difference of the last look
} s_test_t;

//  Note line as client's newest, if the IAMAT it answers (index) is newer
//  than the one noted: each IAMAT's client time is later than the last's.
static void
s_note (s_test_t *self, const char *client, const char *line, size_t index)
{
    size_t i = 0;
    while (i < self->client_count && !streq (self->clients[i], client))
        i++;
    if (i == self->client_count) {
        assert_true (i < S_CLIENTS_MAX);
        self->clients[self->client_count++] = strdup (client);
    } else if (self->newest[i] > index)
        return;
    free (self->lines[i]);
    self->lines[i] = strdup (line);
    self->newest[i] = index;
}

//  Does every live node answer a WHATSAT for every client with its newest
//  AT line, byte for byte?  (One connection a node, every WHATSAT in it.)
static bool
s_converged (void *arg)
{
    s_test_t *self = (s_test_t *) arg;
    char *request = NULL, *expected = NULL;
    size_t size;
    FILE *asked = open_memstream (&request, &size);
    FILE *answer = open_memstream (&expected, &size);
    for (size_t i = 0; i < self->client_count; i++) {
        fprintf (asked, "WHATSAT %s 0 0\n", self->clients[i]);
        fprintf (answer, "%s" S_NO_PLACES, self->lines[i]);
    }
    fclose (asked);
    fclose (answer);
    bool same = true;
    for (size_t n = 0; n < S_NODES && same; n++) {
        if (self->gone && n == self->victim)
            continue;
        char *reply =
            herd_test_grader (herd_test_herd_port (self->herd, self->names[n]),
                              request, S_DEADLINE);
        if (!streq (reply, expected)) {
            size_t at = 0;
            while (reply[at] && reply[at] == expected[at])
                at++;
            while (at > 0 && expected[at - 1] != '\n')
                at--;
            free (self->wrong);
            self->wrong = zsys_sprintf (
                "%s answers [%.*s] where [%.*s]", self->names[n],
                (int) strcspn (reply + at, "\n"), reply + at,
                (int) strcspn (expected + at, "\n"), expected + at);
            same = false;
        }
        free (reply);
    }
    free (request);
    free (expected);
    return same;
}

static void
s_converge (s_test_t *self, const char *what)
{
    if (!herd_test_wait_until (s_converged, self, S_DEADLINE))
        fail_msg ("%s: not converged within %d ms: %s", what, S_DEADLINE,
                  self->wrong);
}

//  An IAMAT at every node (new clients), then wait until every node holds
//  every one: the first forms each originator's tree, the second is
//  carried by the trees.
static void
s_round (s_test_t *self, int round)
{
    for (size_t n = 0; n < S_NODES; n++) {
        if (self->gone && n == self->victim)
            continue;
        char client[32];
        snprintf (client, sizeof (client), "w%d-%zu", round, n);
        char *request =
            zsys_sprintf ("IAMAT %s +1-1 %d\n", client, S_TIME + round);
        char *line = herd_test_iamat (self->herd, self->names[n], request);
        assert_int_equal (strncmp (line, "AT ", 3), 0);
        s_note (self, client, line, 0);
        free (line);
        free (request);
    }
    s_converge (self, "warm-up");
}

//  The node whose neighbours stored most updates from it: it carries
//  updates whole, interior to many trees.  before[n][m]: node m's
//  "update stored from=n" records at the last look (updated).
static size_t
s_busiest (s_test_t *self, size_t before[S_NODES][S_NODES], size_t *carried)
{
    size_t busiest = 0;
    *carried = 0;
    for (size_t n = 0; n < S_NODES; n++) {
        char needle[32];
        snprintf (needle, sizeof (needle), "update stored from=%s ",
                  self->names[n]);
        size_t total = 0;
        for (size_t m = 0; m < S_NODES; m++) {
            size_t count =
                herd_test_herd_log_count (self->herd, self->names[m], needle);
            total += count - before[n][m];
            before[n][m] = count;
        }
        if (total > *carried) {
            *carried = total;
            busiest = n;
        }
    }
    return busiest;
}

//  One client connection of the load: its replies still to come.
typedef struct {
    int fd;
    size_t node;
    char buffer[4096];
    size_t size;
    size_t waiting[S_IAMATS];  //  Indexes of the IAMATs it awaits
    size_t head, tail;
} s_conn_t;

//  The client of IAMAT index (one of S_MOVING that move, or a new one: so
//  are those sent at once around the fault, so that none overtakes
//  another), and the IAMAT's fields after its command, as its AT line
//  ends: each IAMAT's client time is later than the one before.
static void
s_fields (s_test_t *self, size_t index, char *client, size_t size, char *fields)
{
    if (index % 5 == 0 || (index >= self->burst && index < self->burst_end))
        snprintf (client, size, "n%zu", index);
    else
        snprintf (client, size, "m%zu", index % S_MOVING);
    snprintf (fields, S_FIELDS, " %s +34.%06zu-118.445127 %d.%06zu", client,
              index, S_TIME + 10, index);
}

//  Replies that have come on conn: each must be the AT line of its IAMAT
//  (AT, the node, the time difference, the IAMAT's fields).
static void
s_conn_read (s_test_t *self, s_conn_t *conn)
{
    ssize_t got = recv (conn->fd, conn->buffer + conn->size,
                        sizeof (conn->buffer) - conn->size, MSG_DONTWAIT);
    if (got <= 0)
        return;
    conn->size += (size_t) got;
    char *end;
    while ((end = (char *) memchr (conn->buffer, '\n', conn->size))) {
        *end = 0;
        assert_true (conn->head < conn->tail);
        size_t index = conn->waiting[conn->head++];
        char client[32], fields[S_FIELDS], head[16], *line = conn->buffer;
        s_fields (self, index, client, sizeof (client), fields);
        snprintf (head, sizeof (head), "AT %s +", self->names[conn->node]);
        size_t size = strlen (line), tail = strlen (fields);
        if (strncmp (line, head, strlen (head)) || size < tail
            || !streq (line + size - tail, fields)
            || strcspn (line + strlen (head), " ") + strlen (head) + tail
                   != size)
            fail_msg ("IAMAT%s at %s answered [%s]", fields,
                      self->names[conn->node], line);
        s_note (self, client, line, index + 1);
        size_t used = (size_t) (end - conn->buffer) + 1;
        memmove (conn->buffer, end + 1, conn->size - used);
        conn->size -= used;
    }
}

//  Send IAMAT number (*index)++ at conn.
static void
s_send (s_test_t *self, s_conn_t *conn, size_t *index)
{
    char client[32], fields[S_FIELDS];
    s_fields (self, *index, client, sizeof (client), fields);
    char *request = zsys_sprintf ("IAMAT%s\n", fields);
    herd_test_send (conn->fd, request, strlen (request));
    free (request);
    assert_true (conn->tail < S_IAMATS);
    conn->waiting[conn->tail++] = (*index)++;
}

//  IAMATs at every node but the victim, S_RATE a second, replies read as
//  they come; S_BEFORE_MS in, one at each of them at once, the victim
//  killed (or frozen), and one at each at once again (so that updates are
//  on their way through it when it stops, and every originator's next
//  update finds its tree broken).
static void
s_load (s_test_t *self)
{
    s_conn_t *conns = (s_conn_t *) zmalloc (S_NODES * sizeof (s_conn_t));
    struct pollfd items[S_NODES];
    size_t count = 0, index = 0;
    bool struck = false;
    for (size_t n = 0; n < S_NODES; n++)
        if (n != self->victim) {
            conns[count].node = n;
            conns[count].fd = herd_test_connect (
                herd_test_herd_port (self->herd, self->names[n]));
            items[count] = (struct pollfd){conns[count].fd, POLLIN, 0};
            count++;
        }
    int64_t start = zclock_mono ();
    self->load_us = herd_test_wall_us ();
    for (size_t paced = 0; paced < S_RATE * S_LOAD_MS / 1000; paced++) {
        //  The load's pace: replies are read until the next one is due
        int64_t due = start + (int64_t) paced * 1000 / S_RATE;
        while (zclock_mono () < due)
            if (poll (items, count, (int) (due - zclock_mono ())) > 0)
                for (size_t c = 0; c < count; c++)
                    if (items[c].revents)
                        s_conn_read (self, &conns[c]);
        if (!struck && zclock_mono () - start >= S_BEFORE_MS) {
            self->burst = index;
            self->burst_end = index + 2 * count;
            for (size_t c = 0; c < count; c++)
                s_send (self, &conns[c], &index);
            self->kill_us = herd_test_wall_us ();
            herd_test_herd_signal (self->herd, self->names[self->victim],
                                   self->signal);
            self->gone = self->signal == SIGKILL;
            struck = true;
            self->after_us = herd_test_wall_us ();
            for (size_t c = 0; c < count; c++)
                s_send (self, &conns[c], &index);
        }
        s_send (self, &conns[index % count], &index);
    }
    int64_t deadline = zclock_mono () + S_DEADLINE;
    for (size_t c = 0; c < count; c++) {
        while (conns[c].head < conns[c].tail) {
            if (zclock_mono () > deadline)
                fail_msg ("IAMAT replies of %s missing after %d ms",
                          self->names[conns[c].node], S_DEADLINE);
            if (poll (&items[c], 1, 100) > 0)
                s_conn_read (self, &conns[c]);
        }
        close (conns[c].fd);
    }
    free (conns);
}

//  The sum over the live nodes of a metric (name{node="N"labels} value).
static uint64_t
s_metric (s_test_t *self, const char *name, const char *labels)
{
    uint64_t total = 0;
    for (size_t n = 0; n < S_NODES; n++) {
        if (n == self->victim)
            continue;
        char *path = herd_test_herd_log_path (self->herd, self->names[n]);
        zchunk_t *log = zchunk_slurp (path, 0);
        assert_non_null (log);
        char *text = zchunk_strdup (log);
        const char *at = strstr (text, "metrics on http://127.0.0.1:");
        assert_non_null (at);
        uint16_t port =
            (uint16_t) atoi (at + strlen ("metrics on http://127.0.0.1:"));
        char *page = herd_test_grader (port, "GET /metrics HTTP/1.0\r\n\r\n",
                                       S_DEADLINE);
        char *needle =
            zsys_sprintf ("\n%s{node=\"%s\"%s} ", name, self->names[n], labels);
        const char *line = strstr (page, needle);
        assert_non_null (line);
        total += strtoull (line + strlen (needle), NULL, 10);
        free (needle);
        free (page);
        free (text);
        zchunk_destroy (&log);
        free (path);
    }
    return total;
}

static double
s_ms (int64_t us)
{
    return (double) us / 1000.0;
}

//  What the logs of the nodes other than the victim say of the updates
//  around its kill (or freeze), on one line (times in ms):
//  - before_*: updates stored before the fault (the last of them on their
//    way through the victim): when the last was stored by every other
//    node that stored it, counted from the fault, and the longest any
//    took from its originator to the last of those;
//  - after_*: the same for those stored after it, and when the first of
//    each originator after the fault was (every tree repaired);
//  - superseded: updates that came somewhere a newer record of their
//    client had come first (not_taken_everywhere of them went no further
//    there, as they need not);
//  - grafts: "tree graft asked" records; GRAFT messages and the updates
//    they named, given up and missed: the metrics of those nodes.
static void
s_report (s_test_t *self, int64_t converged_ms, size_t grafts)
{
    const char *paths[S_NODES];
    char *owned[S_NODES];
    size_t count = 0;
    for (size_t n = 0; n < S_NODES; n++)
        if (n != self->victim) {
            owned[count] = herd_test_herd_log_path (self->herd, self->names[n]);
            paths[count] = owned[count];
            count++;
        }
    herd_test_logged_t *updates;
    size_t total = herd_test_updates (paths, count, &updates);
    herd_test_spread_t before, after;
    herd_test_spread (updates, total, self->load_us, self->after_us, &before);
    herd_test_spread (updates, total, self->after_us, INT64_MAX, &after);
    printf (
        "tree-faults-result fault=%s node=%s nodes=%d links=%zu "
        "iamats_per_s=%d before=%zu before_everywhere_ms=%.1f "
        "before_longest_ms=%.1f after=%zu after_longest_ms=%.1f "
        "after_first_everywhere_ms=%.1f superseded=%zu "
        "not_taken_everywhere=%zu converged_after_last_iamat_ms=%" PRId64
        " graft_records=%zu grafts=%" PRIu64 " grafted_updates=%" PRIu64
        " given_up=%" PRIu64 " missed=%" PRIu64 "\n",
        self->gone ? "kill" : "freeze", self->names[self->victim], S_NODES,
        self->link_count, S_RATE, before.updates,
        s_ms (before.last_us - self->kill_us), s_ms (before.longest_us),
        after.updates, s_ms (after.longest_us),
        s_ms (after.first_last_us - self->kill_us),
        before.superseded + after.superseded,
        before.unreached + after.unreached, converged_ms, grafts,
        s_metric (self, "herd_tree_messages_sent_total", ",command=\"GRAFT\""),
        s_metric (self, "herd_tree_ids_sent_total", ",command=\"GRAFT\""),
        s_metric (self, "herd_tree_grafts_given_up_total", ""),
        s_metric (self, "herd_tree_grafts_missed_total", ""));
    fflush (stdout);
    free (updates);
    for (size_t n = 0; n < count; n++)
        free (owned[n]);
}

//  How many of needle the live nodes' logs hold.
static size_t
s_total (s_test_t *self, const char *needle)
{
    size_t total = 0;
    for (size_t n = 0; n < S_NODES; n++)
        if (!self->gone || n != self->victim)
            total +=
                herd_test_herd_log_count (self->herd, self->names[n], needle);
    return total;
}

//  Updates taken from a neighbour, stored or not.
static size_t
s_deliveries (s_test_t *self)
{
    return s_total (self, "update stored from=")
           + s_total (self, "update stale from=");
}

//  Catch-up has no part here: a node asks its neighbours for their
//  records 2 link_heartbeat_ms after a link goes down (proto/herd.md
//  section 5, item 6), and the heartbeats are so slow that it would be 20 s
//  after a kill, long after the herd must have converged (and a frozen
//  node's links are not found down at all); so what the live nodes hold,
//  the trees brought them.
#define S_SETTINGS                                                             \
    "    broadcast = tree\n    metrics = 127.0.0.1:0\n"                        \
    "    link_heartbeat_ms = 10000\n    link_timeout_ms = 30000"

//  The victim, the node that carried most updates of the second warm-up
//  round whole to others, is killed or frozen (signal) while IAMATs flow
//  at every other node; and, frozen, let go once they stop.
static void
s_fault (int signal)
{
    s_test_t *self = (s_test_t *) zmalloc (sizeof (s_test_t));
    self->signal = signal;
    for (size_t n = 0; n < S_NODES; n++) {
        snprintf (self->name_text[n], sizeof (self->name_text[n]), "N%02zu", n);
        self->names[n] = self->name_text[n];
    }
    self->link_count =
        herd_test_regular_links (self->names, S_NODES, S_SEED, self->links);
    const char *links[2 * S_NODES];
    for (size_t i = 0; i < self->link_count; i++)
        links[i] = self->links[i];
    self->herd = herd_test_herd_new (self->names, S_NODES, links,
                                     self->link_count, S_SETTINGS);
    herd_test_herd_start_all (self->herd);
    size_t before[S_NODES][S_NODES] = {{0}}, carried;
    s_round (self, 0);
    s_busiest (self, before, &carried);
    s_round (self, 1);
    self->victim = s_busiest (self, before, &carried);
    //  More than its own update's first deliveries, to its four
    //  neighbours: it passed others' updates on
    print_message ("tree faults: %s carried %zu of the second round's %d "
                   "deliveries\n",
                   self->names[self->victim], carried, S_NODES * (S_NODES - 1));
    assert_true (carried > 4);
    size_t grafts = s_total (self, "tree graft asked=");
    s_load (self);
    if (signal == SIGSTOP)
        herd_test_herd_signal (self->herd, self->names[self->victim], SIGCONT);
    int64_t loaded = zclock_mono ();
    s_converge (self, "after the fault");
    int64_t converged = zclock_mono () - loaded;
    s_report (self, converged, s_total (self, "tree graft asked=") - grafts);
    assert_int_equal (s_total (self, "asking for its records"), 0);
    //  The trees are whole again (the links a GRAFT made eager both ways
    //  pruned): an update reaches each live node about once, as
    //  test_e2e_tree.c asks of a herd that never broke
    size_t deliveries = s_deliveries (self), live = S_NODES - self->gone;
    s_round (self, 2);
    double per_update =
        (double) (s_deliveries (self) - deliveries) / (double) live;
    print_message ("tree faults: then %.2f deliveries per update (live nodes "
                   "- 1 = %zu)\n",
                   per_update, live - 1);
    assert_true (per_update <= 1.2 * (double) (live - 1));
    herd_test_herd_destroy (&self->herd);
    for (size_t i = 0; i < self->client_count; i++) {
        free (self->clients[i]);
        free (self->lines[i]);
    }
    for (size_t i = 0; i < self->link_count; i++)
        free (self->links[i]);
    free (self->wrong);
    free (self);
}

static void
test_a_killed_tree_node_is_grafted_around (void **state)
{
    (void) state;
    s_fault (SIGKILL);
}

//  Frozen, its links are not known down (heartbeats as above): its
//  neighbours go on sending it updates whole, which it passes on once let
//  go; the trees through it are repaired meanwhile all the same.
static void
test_a_frozen_tree_node_is_grafted_around (void **state)
{
    (void) state;
    s_fault (SIGSTOP);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_killed_tree_node_is_grafted_around),
        cmocka_unit_test (test_a_frozen_tree_node_is_grafted_around),
    };
    return cmocka_run_group_tests_name ("e2e_tree_faults", tests, NULL, NULL);
}
