/*  test_herd_front - the client front end: connections, lines in, replies
    out in ticket order, on both transports

    The front end runs in a zloop of the test's own.  There is no "run
    once" in zloop, so s_run_until starts the loop with a 1 ms timer that
    ends it as soon as a condition holds, and a deadline timer that ends
    it if the condition never does.  Clients are raw TCP sockets of the
    harness; what they read is read with a deadline.  */

#include "herd_test.h"
#include "herd_front.h"

#include <czmq.h>
#include <poll.h>
#include <sys/socket.h>

//  A wait that must succeed takes at most this long.
#define S_DEADLINE_MS 5000
//  Lines a test records at most.
#define S_LINES_MAX 256

//  A line as on_line gave it.
typedef struct {
    uint64_t connection;  //  Its connection id
    uint64_t ticket;      //  Its ticket on that connection
    char *line;           //  A NUL-terminated copy
    size_t size;          //  Bytes, NUL not counted
    bool truncated;       //  Longer than max_line
} s_line_t;

typedef struct _s_fixture_t s_fixture_t;
typedef bool (s_cond_fn) (s_fixture_t *self);

struct _s_fixture_t {
    bool stream;                  //  Transport under test
    char directory[64];           //  Holds the log
    herd_log_t *log;              //  The front end's
    zloop_t *loop;                //  The test's own
    herd_front_t *front;          //  Under test
    uint16_t port;                //  Where clients connect
    s_line_t lines[S_LINES_MAX];  //  What on_line got, in order
    size_t line_count;
    size_t turn_ends;          //  Calls of the turn-end callback
    size_t lines_at_turn_end;  //  line_count at the last of them
    bool settle;               //  The turn end settles, as a node's does
    bool answer;               //  on_line replies at once
    s_cond_fn *cond;           //  What s_run_until waits for
    bool met;                  //  ...and whether it held
    int check_timer;           //  Looks at cond every millisecond
    int deadline_timer;        //  Ends the wait
    size_t want;               //  A number the condition wants
    int probe;                 //  A client the condition looks at
};

static bool s_tcp = false, s_stream = true;

static void
s_on_line (void *arg,
           uint64_t connection,
           uint64_t ticket,
           const char *line,
           size_t size,
           bool truncated)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    assert_true (self->line_count < S_LINES_MAX);
    s_line_t *record = &self->lines[self->line_count++];
    record->connection = connection;
    record->ticket = ticket;
    record->line = (char *) zmalloc (size + 1);
    memcpy (record->line, line, size);
    record->size = size;
    record->truncated = truncated;
    if (self->answer) {
        char reply[64];
        int length =
            snprintf (reply, sizeof (reply), "%.*s!\n", (int) size, line);
        assert_int_equal (herd_front_reply (self->front, connection, ticket,
                                            reply, (size_t) length),
                          0);
    }
}

static void
s_on_turn_end (void *arg)
{
    s_fixture_t *self = (s_fixture_t *) arg;
    self->turn_ends++;
    self->lines_at_turn_end = self->line_count;
    if (self->settle) {
        herd_front_settle (self->front);
        herd_log_flush (self->log);
    }
}

static herd_front_config_t
s_config (s_fixture_t *self)
{
    herd_front_config_t config = {
        .max_line = 1024,
        .max_connections = 16,
        .max_output = 1024 * 1024,
        .idle_timeout_ms = 60000,
        .send_timeout_ms = 60000,
        .stream = self->stream,
        .max_rate = 0,
    };
    return config;
}

//  (Re)create the loop and a front end with config, bound to a port of
//  127.0.0.1 the kernel picks, and started.
static void
s_front_new (s_fixture_t *self,
             const herd_front_config_t *config,
             herd_front_turn_fn *turn_end)
{
    zloop_destroy (&self->loop);
    herd_front_destroy (&self->front);
    self->loop = zloop_new ();
    assert_non_null (self->loop);
    self->front = herd_front_new (config, self->log, s_on_line, self);
    assert_non_null (self->front);
    herd_front_set_turn_end (self->front, turn_end);
    int port = herd_front_bind (self->front, "127.0.0.1", 0);
    assert_true (port > 0);
    self->port = (uint16_t) port;
    assert_int_equal (herd_front_start (self->front, self->loop), 0);
}

static int
s_setup (void **state)
{
    s_fixture_t *self = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    self->stream = *(bool *) *state;
    snprintf (self->directory, sizeof (self->directory),
              "/tmp/test-herd-front-XXXXXX");
    assert_non_null (mkdtemp (self->directory));
    self->log = herd_log_new (self->directory, "Front", false);
    assert_non_null (self->log);
    self->settle = true;
    self->check_timer = self->deadline_timer = -1;
    self->probe = -1;
    herd_front_config_t config = s_config (self);
    s_front_new (self, &config, s_on_turn_end);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    zloop_destroy (&self->loop);
    herd_front_destroy (&self->front);
    herd_log_destroy (&self->log);
    for (size_t i = 0; i < self->line_count; i++)
        free (self->lines[i].line);
    char *path = zsys_sprintf ("%s/Front.log", self->directory);
    unlink (path);
    free (path);
    rmdir (self->directory);
    free (self);
    return 0;
}

static int
s_on_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    s_fixture_t *self = (s_fixture_t *) arg;
    if (timer_id != self->check_timer || !self->cond (self))
        return 0;
    self->met = true;
    return -1;
}

static int
s_on_deadline (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    s_fixture_t *self = (s_fixture_t *) arg;
    return timer_id == self->deadline_timer ? -1 : 0;
}

//  Run the loop until cond holds (checked every millisecond) or
//  deadline_ms pass.  Returns whether it held.
static bool
s_run_until (s_fixture_t *self, s_cond_fn *cond, int deadline_ms)
{
    self->cond = cond;
    self->met = cond (self);
    if (self->met)
        return true;
    self->check_timer = zloop_timer (self->loop, 1, 0, s_on_check, self);
    self->deadline_timer =
        zloop_timer (self->loop, (size_t) deadline_ms, 1, s_on_deadline, self);
    zloop_start (self->loop);
    zloop_timer_end (self->loop, self->check_timer);
    zloop_timer_end (self->loop, self->deadline_timer);
    self->check_timer = self->deadline_timer = -1;
    return self->met;
}

static bool
s_has_lines (s_fixture_t *self)
{
    return self->line_count >= self->want;
}

static bool
s_has_connections (s_fixture_t *self)
{
    return herd_front_connections (self->front) == self->want;
}

static bool
s_has_turn_ends (s_fixture_t *self)
{
    return self->turn_ends >= self->want;
}

static bool
s_turn_end_saw_lines (s_fixture_t *self)
{
    return self->lines_at_turn_end >= self->want;
}

//  The probe client's connection was closed by the other side: EOF or a
//  reset, and nothing to read before it.  Does not block.
static bool
s_probe_closed (s_fixture_t *self)
{
    struct pollfd item = {self->probe, POLLIN, 0};
    if (poll (&item, 1, 0) <= 0)
        return false;
    char byte;
    return recv (self->probe, &byte, 1, MSG_DONTWAIT | MSG_PEEK) <= 0;
}

static void
s_wait_lines (s_fixture_t *self, size_t count)
{
    self->want = count;
    assert_true (s_run_until (self, s_has_lines, S_DEADLINE_MS));
    assert_int_equal (self->line_count, count);
}

static void
s_wait_connections (s_fixture_t *self, size_t count)
{
    self->want = count;
    assert_true (s_run_until (self, s_has_connections, S_DEADLINE_MS));
}

//  A client, connected and known to the front end as its count-th open
//  connection.
static int
s_client (s_fixture_t *self, size_t count)
{
    int fd = herd_test_connect (self->port);
    s_wait_connections (self, count);
    return fd;
}

static void
s_send (int fd, const char *text)
{
    herd_test_send (fd, text, strlen (text));
}

//  The client reads exactly text, byte for byte, within the deadline.
static void
s_expect_read (int fd, const char *text)
{
    char buffer[256];
    size_t size = strlen (text);
    assert_true (size < sizeof (buffer));
    size_t got = herd_test_read (fd, buffer, size, S_DEADLINE_MS);
    assert_int_equal (got, size);
    assert_memory_equal (buffer, text, size);
}

static void
s_assert_line (s_fixture_t *self,
               size_t index,
               uint64_t ticket,
               const char *text,
               bool truncated)
{
    s_line_t *line = &self->lines[index];
    assert_int_equal (line->ticket, ticket);
    assert_int_equal (line->size, strlen (text));
    assert_memory_equal (line->line, text, line->size);
    assert_int_equal (line->truncated, truncated);
}

//  What the log file holds now, as text.  Caller frees.
static char *
s_log_text (s_fixture_t *self)
{
    char *path = zsys_sprintf ("%s/Front.log", self->directory);
    zfile_t *file = zfile_new (NULL, path);
    free (path);
    assert_non_null (file);
    assert_int_equal (zfile_input (file), 0);
    zchunk_t *chunk = zfile_read (file, 1024 * 1024, 0);
    assert_non_null (chunk);
    char *text = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    zfile_destroy (&file);
    return text;
}

static void
test_new_bind_and_destroy (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_front_config_t config = s_config (self);
    herd_front_t *front = herd_front_new (&config, self->log, s_on_line, self);
    assert_non_null (front);
    assert_int_equal (herd_front_connections (front), 0);
    assert_int_equal (herd_front_accepted (front), 0);
    int port = herd_front_bind (front, "127.0.0.1", 0);
    assert_true (port > 0);
    assert_true (port != self->port);
    herd_front_destroy (&front);
    assert_null (front);
    herd_front_destroy (&front);
    //  A port in use: -1 and errno
    front = herd_front_new (&config, self->log, s_on_line, self);
    errno = 0;
    assert_int_equal (herd_front_bind (front, "127.0.0.1", self->port), -1);
    assert_int_equal (errno, EADDRINUSE);
    herd_front_destroy (&front);
}

//  The turn-end callback comes after the lines read in the turn, with the
//  arg of herd_front_new.
static void
test_turn_end_is_called_after_the_lines (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    int client = s_client (self, 1);
    assert_true (self->turn_ends > 0);  //  The accept was a turn
    assert_int_equal (self->lines_at_turn_end, 0);
    s_send (client, "a\nb\n");
    self->want = 2;
    assert_true (s_run_until (self, s_turn_end_saw_lines, S_DEADLINE_MS));
    assert_int_equal (self->line_count, 2);
    close (client);
}

//  Without a turn-end callback the front end frees closed connections and
//  flushes the log at the end of its own turns.
static void
test_without_turn_end_the_front_end_settles_itself (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_front_config_t config = s_config (self);
    s_front_new (self, &config, NULL);
    int client = s_client (self, 1);
    close (client);
    s_wait_connections (self, 0);
    assert_int_equal (self->turn_ends, 0);
    assert_int_equal (herd_front_accepted (self->front), 1);
    //  Flushed by the front end itself
    char *log = s_log_text (self);
    assert_non_null (strstr (log, "connect conn=1 peer=127.0.0.1"));
    assert_non_null (strstr (log, "close conn=1 "));
    free (log);
}

//  A line split over reads, and several lines in one read, arrive whole,
//  in order, CR LF or LF removed, with tickets 0, 1, 2...
static void
test_lines_arrive_whole_and_in_order (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    int client = s_client (self, 1);
    const char *pieces[] = {"IAMAT one", " two\nsecond\r\nthi", "rd\nfourth\n"};
    for (size_t i = 0; i < 3; i++) {
        s_send (client, pieces[i]);
        //  Let the front end read this piece before the next is sent
        self->want = self->turn_ends + 1;
        assert_true (s_run_until (self, s_has_turn_ends, S_DEADLINE_MS));
    }
    s_wait_lines (self, 4);
    s_assert_line (self, 0, 0, "IAMAT one two", false);
    s_assert_line (self, 1, 1, "second", false);
    s_assert_line (self, 2, 2, "third", false);
    s_assert_line (self, 3, 3, "fourth", false);
    for (size_t i = 0; i < 4; i++) {
        assert_true (self->lines[i].connection == self->lines[0].connection);
        assert_int_equal (herd_front_number (self->lines[i].connection), 1);
    }
    close (client);
}

//  Replies given in any order leave in ticket order; an empty reply
//  counts as given.
static void
test_replies_leave_in_ticket_order (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    int client = s_client (self, 1);
    s_send (client, "a\nb\nc\nd\n");
    s_wait_lines (self, 4);
    uint64_t connection = self->lines[0].connection;
    assert_int_equal (herd_front_reply (self->front, connection, 2, "C\n", 2),
                      0);
    assert_int_equal (herd_front_reply (self->front, connection, 0, "A\n", 2),
                      0);
    s_expect_read (client, "A\n");
    assert_int_equal (herd_front_reply (self->front, connection, 3, "", 0), 0);
    assert_int_equal (herd_front_reply (self->front, connection, 1, "B\n", 2),
                      0);
    s_expect_read (client, "B\nC\n");
    //  Nothing came for d: the next reply is the next thing read
    s_send (client, "e\n");
    s_wait_lines (self, 5);
    s_assert_line (self, 4, 4, "e", false);
    assert_int_equal (herd_front_reply (self->front, connection, 4, "E\n", 2),
                      0);
    s_expect_read (client, "E\n");
    //  A connection that does not exist: dropped
    uint64_t nobody = ((uint64_t) 99 << 32) | 7;
    assert_int_equal (herd_front_reply (self->front, nobody, 0, "X\n", 2), -1);
    close (client);
}

//  Replies given by on_line itself go out once the read is handled.
static void
test_replies_given_while_reading_go_out_after_the_read (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    self->answer = true;
    int client = s_client (self, 1);
    s_send (client, "x\ny\nz\n");
    s_wait_lines (self, 3);
    s_expect_read (client, "x!\ny!\nz!\n");
    close (client);
}

//  A client with HERD_FRONT_PIPELINE_MAX commands unanswered is not given
//  more: its next lines wait, and come, in order, as replies go out.
static void
test_a_client_with_too_much_outstanding_waits (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    const size_t lines = HERD_FRONT_PIPELINE_MAX + 2;
    char request[2048] = "", expected[2048] = "";
    for (size_t i = 0; i < lines; i++) {
        char line[16];
        snprintf (line, sizeof (line), "l%zu\n", i);
        strcat (request, line);
        snprintf (line, sizeof (line), "r%zu\n", i);
        strcat (expected, line);
    }
    int client = s_client (self, 1);
    s_send (client, request);
    s_wait_lines (self, HERD_FRONT_PIPELINE_MAX);
    uint64_t connection = self->lines[0].connection;
    //  One reply lets one more line in, a turn later
    assert_int_equal (herd_front_reply (self->front, connection, 0, "r0\n", 3),
                      0);
    s_wait_lines (self, HERD_FRONT_PIPELINE_MAX + 1);
    char next[16];
    snprintf (next, sizeof (next), "l%d", HERD_FRONT_PIPELINE_MAX);
    s_assert_line (self, HERD_FRONT_PIPELINE_MAX, HERD_FRONT_PIPELINE_MAX, next,
                   false);
    for (uint64_t ticket = 1; ticket < lines; ticket++) {
        if (ticket == 2)
            s_wait_lines (self, lines);
        char reply[16];
        int size = snprintf (reply, sizeof (reply), "r%" PRIu64 "\n", ticket);
        assert_int_equal (herd_front_reply (self->front, connection, ticket,
                                            reply, (size_t) size),
                          0);
    }
    for (size_t i = 0; i < lines; i++) {
        char line[16];
        snprintf (line, sizeof (line), "l%zu", i);
        s_assert_line (self, i, i, line, false);
    }
    char buffer[2048];
    size_t size = strlen (expected);
    assert_int_equal (herd_test_read (client, buffer, size, S_DEADLINE_MS),
                      size);
    assert_memory_equal (buffer, expected, size);
    close (client);
}

//  A line over max_line arrives cut to max_line bytes, marked truncated;
//  the rest of it is dropped, and the next line is whole.
static void
test_a_long_line_arrives_truncated (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_front_config_t config = s_config (self);
    config.max_line = 8;
    s_front_new (self, &config, s_on_turn_end);
    int client = s_client (self, 1);
    s_send (client, "0123456789abcdef\nshort\n");
    s_wait_lines (self, 2);
    s_assert_line (self, 0, 0, "01234567", true);
    s_assert_line (self, 1, 1, "short", false);
    close (client);
}

//  tcp: a client that half-closes after sending (the CS 131 graders) gets
//  every reply, then the close.  Its last line needs no LF.
static void
test_a_client_that_half_closes_gets_its_replies_then_the_close (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    int client = s_client (self, 1);
    s_send (client, "a\nb");
    assert_int_equal (shutdown (client, SHUT_WR), 0);
    s_wait_lines (self, 2);
    s_assert_line (self, 0, 0, "a", false);
    s_assert_line (self, 1, 1, "b", false);
    assert_int_equal (herd_front_connections (self->front), 1);
    uint64_t connection = self->lines[0].connection;
    assert_int_equal (herd_front_reply (self->front, connection, 1, "B\n", 2),
                      0);
    assert_int_equal (herd_front_reply (self->front, connection, 0, "A\n", 2),
                      0);
    char buffer[64];
    assert_int_equal (
        herd_test_read (client, buffer, sizeof (buffer), S_DEADLINE_MS), 4);
    assert_memory_equal (buffer, "A\nB\n", 4);  //  Then EOF
    herd_front_settle (self->front);
    assert_int_equal (herd_front_connections (self->front), 0);
    assert_int_equal (herd_front_reply (self->front, connection, 2, "C\n", 2),
                      -1);
    close (client);
}

//  stream: the documented exemption (proto/client.md, section 7): EOF is
//  a disconnect, so the half-closed client is dropped and gets nothing.
static void
test_stream_drops_a_client_that_half_closes (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    int client = s_client (self, 1);
    s_send (client, "a\nb");
    assert_int_equal (shutdown (client, SHUT_WR), 0);
    s_wait_connections (self, 0);
    assert_int_equal (self->line_count, 1);  //  b never ended
    s_assert_line (self, 0, 0, "a", false);
    assert_int_equal (
        herd_front_reply (self->front, self->lines[0].connection, 0, "A\n", 2),
        -1);
    char buffer[64];
    assert_int_equal (
        herd_test_read (client, buffer, sizeof (buffer), S_DEADLINE_MS), 0);
    close (client);
}

//  Past max_connections a client is closed at once and not counted; once
//  a connection closes, the next client is taken.
static void
test_max_connections_refuses_the_extra_connection (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    herd_front_config_t config = s_config (self);
    config.max_connections = 2;
    s_front_new (self, &config, s_on_turn_end);
    int first = s_client (self, 1);
    int second = s_client (self, 2);
    self->probe = herd_test_connect (self->port);
    assert_true (s_run_until (self, s_probe_closed, S_DEADLINE_MS));
    close (self->probe);
    assert_int_equal (herd_front_connections (self->front), 2);
    assert_int_equal (herd_front_accepted (self->front), 2);
    //  The two still work
    s_send (second, "two\n");
    s_wait_lines (self, 1);
    assert_int_equal (herd_front_number (self->lines[0].connection), 2);
    close (first);
    s_wait_connections (self, 1);
    int fourth = s_client (self, 2);
    assert_int_equal (herd_front_accepted (self->front), 3);
    s_send (fourth, "four\n");
    s_wait_lines (self, 2);
    assert_int_equal (herd_front_number (self->lines[1].connection), 3);
    char *log = s_log_text (self);
    assert_non_null (strstr (log, "refused 127.0.0.1:"));
    free (log);
    close (second);
    close (fourth);
}

//  Connection numbers count from 1 in the order connections were taken.
static void
test_number_is_the_order_of_acceptance (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_int_equal (herd_front_number (((uint64_t) 5 << 32) | 9), 5);
    assert_int_equal (herd_front_number (0), 0);
    int first = s_client (self, 1);
    int second = s_client (self, 2);
    s_send (second, "two\n");
    s_wait_lines (self, 1);
    s_send (first, "one\n");
    s_wait_lines (self, 2);
    assert_int_equal (herd_front_number (self->lines[0].connection), 2);
    assert_int_equal (herd_front_number (self->lines[1].connection), 1);
    assert_true (self->lines[0].connection != self->lines[1].connection);
    close (first);
    close (second);
}

static void
test_connections_and_accepted_count (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    assert_int_equal (herd_front_connections (self->front), 0);
    assert_int_equal (herd_front_accepted (self->front), 0);
    int first = s_client (self, 1);
    int second = s_client (self, 2);
    assert_int_equal (herd_front_accepted (self->front), 2);
    close (first);
    s_wait_connections (self, 1);
    assert_int_equal (herd_front_accepted (self->front), 2);
    int third = s_client (self, 2);
    assert_int_equal (herd_front_accepted (self->front), 3);
    close (second);
    close (third);
    s_wait_connections (self, 0);
    assert_int_equal (herd_front_accepted (self->front), 3);
}

//  A connection finished outside the front end's handlers (its last reply
//  given by the test) stays until herd_front_settle frees it.
static void
test_settle_frees_what_was_finished (void **state)
{
    s_fixture_t *self = (s_fixture_t *) *state;
    self->settle = false;
    int client = s_client (self, 1);
    s_send (client, "x");
    assert_int_equal (shutdown (client, SHUT_WR), 0);
    s_wait_lines (self, 1);
    s_assert_line (self, 0, 0, "x", false);
    uint64_t connection = self->lines[0].connection;
    assert_int_equal (herd_front_reply (self->front, connection, 0, "X\n", 2),
                      0);
    s_expect_read (client, "X\n");
    assert_true (herd_test_closed (client, S_DEADLINE_MS));
    //  Done, but not freed yet
    assert_int_equal (herd_front_connections (self->front), 1);
    herd_front_settle (self->front);
    assert_int_equal (herd_front_connections (self->front), 0);
    herd_front_settle (self->front);
    herd_log_flush (self->log);
    char *log = s_log_text (self);
    assert_non_null (strstr (log, "close conn=1 client done"));
    free (log);
    close (client);
}

//  One test on one transport, named after both.
#define S_ON(test, transport)                                                  \
    {                                                                          \
#test " (" #transport ")", test, s_setup, s_teardown, &s_##transport   \
    }

int
main (void)
{
    const struct CMUnitTest tests[] = {
        S_ON (test_new_bind_and_destroy, tcp),
        S_ON (test_new_bind_and_destroy, stream),
        S_ON (test_turn_end_is_called_after_the_lines, tcp),
        S_ON (test_turn_end_is_called_after_the_lines, stream),
        S_ON (test_without_turn_end_the_front_end_settles_itself, tcp),
        S_ON (test_without_turn_end_the_front_end_settles_itself, stream),
        S_ON (test_lines_arrive_whole_and_in_order, tcp),
        S_ON (test_lines_arrive_whole_and_in_order, stream),
        S_ON (test_replies_leave_in_ticket_order, tcp),
        S_ON (test_replies_leave_in_ticket_order, stream),
        S_ON (test_replies_given_while_reading_go_out_after_the_read, tcp),
        S_ON (test_replies_given_while_reading_go_out_after_the_read, stream),
        S_ON (test_a_client_with_too_much_outstanding_waits, tcp),
        S_ON (test_a_client_with_too_much_outstanding_waits, stream),
        S_ON (test_a_long_line_arrives_truncated, tcp),
        S_ON (test_a_long_line_arrives_truncated, stream),
        S_ON (test_a_client_that_half_closes_gets_its_replies_then_the_close,
              tcp),
        S_ON (test_stream_drops_a_client_that_half_closes, stream),
        S_ON (test_max_connections_refuses_the_extra_connection, tcp),
        S_ON (test_max_connections_refuses_the_extra_connection, stream),
        S_ON (test_number_is_the_order_of_acceptance, tcp),
        S_ON (test_number_is_the_order_of_acceptance, stream),
        S_ON (test_connections_and_accepted_count, tcp),
        S_ON (test_connections_and_accepted_count, stream),
        //  tcp only: stream has no half-close to finish a connection with
        S_ON (test_settle_frees_what_was_finished, tcp),
    };
    return cmocka_run_group_tests_name ("herd_front", tests, NULL, NULL);
}
