/*  test_e2e_keys - herd links over CURVE: members only, and no member can
    pose as another  */

#include "herd_test.h"
#include "herd_wire.h"

#include <czmq.h>

#define S_DEADLINE 10000

static const char *s_names[] = {"A", "B", "C"};
static const char *s_links[] = {"A B", "B C"};
static char s_keys[] = "/tmp/herd-keys-XXXXXX";

//  A chain A - B - C over CURVE, keys made by `herd keys`.
static herd_test_herd_t *
s_herd (void)
{
    char *settings = zsys_sprintf ("    keys_dir = %s\n", s_keys);
    herd_test_herd_t *herd =
        herd_test_herd_new (s_names, 3, s_links, 2, settings);
    free (settings);
    const char *arguments[] = {"keys", "-t", herd_test_herd_topology (herd),
                               NULL};
    assert_int_equal (
        herd_test_stop (herd_test_spawn (arguments, "keys ready")), 0);
    herd_test_herd_start_all (herd);
    return herd;
}

static int
s_setup (void **state)
{
    (void) state;
    return mkdtemp (s_keys) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    for (int i = 0; i < 3; i++) {
        char *path = zsys_sprintf ("%s/%s.key", s_keys, s_names[i]);
        char *secret = zsys_sprintf ("%s_secret", path);
        unlink (path);
        unlink (secret);
        free (path);
        free (secret);
    }
    return rmdir (s_keys);
}

static char *
s_key_file (const char *name)
{
    return zsys_sprintf ("%s/%s.key", s_keys, name);
}

//  A DEALER to node's inbox calling itself name: over CURVE with cert
//  (NULL: plain).
static zsock_t *
s_dealer (herd_test_herd_t *herd,
          const char *node,
          const char *name,
          zcert_t *cert)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, name);
    zsock_set_linger (dealer, 0);
    if (cert) {
        char *path = s_key_file (node);
        zcert_t *server = zcert_load (path);
        free (path);
        zcert_apply (cert, dealer);
        zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
        zcert_destroy (&server);
    }
    char *endpoint = herd_test_herd_endpoint (herd, node);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint), 0);
    free (endpoint);
    return dealer;
}

//  An AT for client injected, as if from node A.
static void
s_inject (zsock_t *dealer)
{
    const char *line = "AT A +0.1 injected +1-1 99";
    zmsg_t *msg = herd_test_at ("A", 1, 1, "A", line);
    zmsg_send (&msg, dealer);
}

static void
s_assert_not_applied (herd_test_herd_t *herd)
{
    for (int i = 0; i < 3; i++) {
        char *reply = herd_test_grader (herd_test_herd_port (herd, s_names[i]),
                                        "WHATSAT injected 1 1\n", S_DEADLINE);
        assert_string_equal (reply, "? WHATSAT injected 1 1\n");
        free (reply);
    }
}

typedef struct {
    herd_test_herd_t *herd;
    const char *at_line;
} s_known_t;

static bool
s_c_knows (void *arg)
{
    s_known_t *known = (s_known_t *) arg;
    char *answer = herd_test_grader (herd_test_herd_port (known->herd, "C"),
                                     "WHATSAT kiwi 1 1\n", S_DEADLINE);
    bool same = strncmp (answer, known->at_line, strlen (known->at_line)) == 0;
    free (answer);
    return same;
}

static void
test_members_talk_over_curve (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_herd ();
    assert_int_equal (herd_test_herd_log_count (herd, "B", "use CURVE"), 1);
    char *reply = herd_test_grader (herd_test_herd_port (herd, "A"),
                                    "IAMAT kiwi +1-1 5\n", S_DEADLINE);
    reply[strlen (reply) - 1] = 0;
    //  Two hops away: B holds it when A answers, C a moment later
    s_known_t known = {herd, reply};
    assert_true (herd_test_wait_until (s_c_knows, &known, S_DEADLINE));
    free (reply);
    herd_test_herd_destroy (&herd);
}

static void
test_strangers_cannot_connect (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_herd ();
    //  A key of its own, not a member's; then no CURVE at all
    zcert_t *stranger = zcert_new ();
    zsock_t *dealer = s_dealer (herd, "B", "A", stranger);
    s_inject (dealer);
    assert_true (herd_test_herd_log_wait (herd, "B", "authentication failed", 1,
                                          S_DEADLINE));
    zsock_destroy (&dealer);
    zcert_destroy (&stranger);
    dealer = s_dealer (herd, "B", "A", NULL);
    s_inject (dealer);
    assert_true (
        herd_test_herd_log_wait (herd, "B", "handshake failed", 1, S_DEADLINE));
    zsock_destroy (&dealer);
    s_assert_not_applied (herd);
    herd_test_herd_destroy (&herd);
}

static void
test_a_member_cannot_pose_as_another (void **state)
{
    (void) state;
    herd_test_herd_t *herd = s_herd ();
    //  C's own key, admitted; but it calls itself A
    char *path = s_key_file ("C");
    zcert_t *c = zcert_load (path);
    free (path);
    zsock_t *dealer = s_dealer (herd, "B", "A", c);
    s_inject (dealer);
    assert_true (herd_test_herd_log_wait (
        herd, "B", "routing id is not the name of the sender's key", 1,
        S_DEADLINE));
    zsock_destroy (&dealer);
    zcert_destroy (&c);
    s_assert_not_applied (herd);
    herd_test_herd_destroy (&herd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_members_talk_over_curve),
        cmocka_unit_test (test_strangers_cannot_connect),
        cmocka_unit_test (test_a_member_cannot_pose_as_another),
    };
    return cmocka_run_group_tests_name ("e2e_keys", tests, s_setup, s_teardown);
}
