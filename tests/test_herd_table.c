/*  test_herd_table - newest wins  */

#include "herd_test.h"
#include "herd_table.h"

#include <czmq.h>

//  Offer an AT line built from its parts.
static bool
s_offer (herd_table_t *table, const char *line)
{
    herd_msg_t at;
    assert_int_equal (herd_msg_parse_at (&at, line, strlen (line), NULL), 0);
    return herd_table_offer (table, &at, line, strlen (line));
}

static void
s_assert_line (herd_table_t *table, const char *client, const char *line)
{
    herd_record_t record;
    assert_true (herd_table_lookup (table, client, strlen (client), &record));
    assert_int_equal (record.line.size, strlen (line));
    assert_memory_equal (record.line.data, line, record.line.size);
}

static void
test_new_and_destroy (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    assert_int_equal (herd_table_size (table), 0);
    herd_table_destroy (&table);
    assert_null (table);
    herd_table_destroy (&table);
}

//  Newer is a later client time, then on a tie the greater originator.
static void
test_order_is_time_then_originator (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    const char *bona = "AT Bona +0.1 c +1-1 10.5";
    const char *clark = "AT Clark +0.1 c +1-1 10.5";
    const char *alpha = "AT Alpha +0.1 c +1-1 10.500000001";
    assert_true (s_offer (table, bona));
    assert_true (s_offer (table, clark));
    assert_false (s_offer (table, bona));
    s_assert_line (table, "c", clark);
    assert_true (s_offer (table, alpha));
    assert_false (s_offer (table, clark));
    s_assert_line (table, "c", alpha);
    herd_table_destroy (&table);
}

static void
test_offer_keeps_the_newest (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    const char *first = "AT Clark +0.5 kiwi +34.06-118.44 100.0";
    const char *older = "AT Bona +0.5 kiwi +1-1 99.999999999";
    const char *newer = "AT Bona +0.5 kiwi +2-2 100.000000001";
    assert_true (s_offer (table, first));
    assert_false (s_offer (table, first));  //  Equal is stale
    assert_false (s_offer (table, older));
    s_assert_line (table, "kiwi", first);
    assert_int_equal (herd_table_stored (table), 1);
    assert_true (s_offer (table, newer));
    s_assert_line (table, "kiwi", newer);
    assert_int_equal (herd_table_size (table), 1);
    assert_int_equal (herd_table_stored (table), 2);
    herd_record_t record;
    herd_table_lookup (table, "kiwi", 4, &record);
    assert_memory_equal (record.originator.data, "Bona", 4);
    assert_memory_equal (record.location.data, "+2-2", 4);
    assert_int_equal (record.seconds, 100);
    assert_int_equal (record.nanos, 1);
    herd_table_destroy (&table);
}

static void
test_same_time_other_originator_breaks_the_tie (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    assert_true (s_offer (table, "AT Bona +0.5 kiwi +1-1 5"));
    assert_true (s_offer (table, "AT Clark +0.5 kiwi +1-1 5"));
    assert_false (s_offer (table, "AT Bona +0.5 kiwi +1-1 5"));
    s_assert_line (table, "kiwi", "AT Clark +0.5 kiwi +1-1 5");
    herd_table_destroy (&table);
}

static void
test_client_ids_are_bytes (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    const char line[] = "AT Clark +0.5 a\0b +1-1 5";
    herd_msg_t at;
    assert_int_equal (herd_msg_parse_at (&at, line, sizeof (line) - 1, NULL),
                      0);
    assert_true (herd_table_offer (table, &at, line, sizeof (line) - 1));
    herd_record_t record;
    assert_false (herd_table_lookup (table, "a", 1, &record));
    assert_true (herd_table_lookup (table, "a\0b", 3, &record));
    herd_table_destroy (&table);
}

static void
test_many_clients_grow_the_table (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (42);
    char line[64];
    for (int i = 0; i < 10000; i++) {
        snprintf (line, sizeof (line), "AT Clark +0.5 client%d +1-1 %d", i, i);
        assert_true (s_offer (table, line));
    }
    assert_int_equal (herd_table_size (table), 10000);
    for (int i = 0; i < 10000; i += 997) {
        char client[32];
        snprintf (client, sizeof (client), "client%d", i);
        snprintf (line, sizeof (line), "AT Clark +0.5 client%d +1-1 %d", i, i);
        s_assert_line (table, client, line);
    }
    size_t cursor = 0, count = 0;
    herd_record_t record;
    while (herd_table_next (table, &cursor, &record))
        count++;
    assert_int_equal (count, 10000);
    herd_table_destroy (&table);
}

static void
test_the_oldest_is_evicted_past_the_limit (void **state)
{
    (void) state;
    herd_table_t *table = herd_table_new (0);
    herd_table_set_limit (table, 3);
    assert_true (s_offer (table, "AT A +0 a +1+1 30"));
    assert_true (s_offer (table, "AT A +0 b +1+1 10"));
    assert_true (s_offer (table, "AT A +0 c +1+1 20"));
    //  A fourth client: b (time 10) goes
    assert_true (s_offer (table, "AT A +0 d +1+1 40"));
    herd_record_t record;
    assert_false (herd_table_lookup (table, "b", 1, &record));
    assert_int_equal (herd_table_size (table), 3);
    assert_int_equal (herd_table_evicted (table), 1);
    //  Older than everything held: not stored at all
    assert_false (s_offer (table, "AT A +0 e +1+1 5"));
    assert_false (herd_table_lookup (table, "e", 1, &record));
    assert_int_equal (herd_table_evicted (table), 2);
    //  An update makes c the newest; then a goes first
    assert_true (s_offer (table, "AT A +0 c +1+1 50"));
    assert_true (s_offer (table, "AT A +0 f +1+1 45"));
    assert_false (herd_table_lookup (table, "a", 1, &record));
    s_assert_line (table, "c", "AT A +0 c +1+1 50");
    //  By age: everything before 46 s goes
    assert_int_equal (herd_table_expire (table, 46), 2);
    assert_int_equal (herd_table_size (table), 1);
    s_assert_line (table, "c", "AT A +0 c +1+1 50");
    herd_table_destroy (&table);
}

//  The table against a plain model, over random offers with a limit:
//  the same records survive, whatever the order of events.
static void
test_eviction_matches_a_model (void **state)
{
    (void) state;
    enum { CLIENTS = 300, LIMIT = 100, OPS = 20000 };
    int64_t model[CLIENTS];  //  Time held, or -1
    for (int i = 0; i < CLIENTS; i++)
        model[i] = -1;
    size_t held = 0;
    herd_table_t *table = herd_table_new (7);
    herd_table_set_limit (table, LIMIT);
    unsigned seed = 42;
    for (int op = 0; op < OPS; op++) {
        int client = rand_r (&seed) % CLIENTS;
        //  Random, and never the same twice
        int64_t time = (int64_t) (rand_r (&seed) % 1000000) * OPS + op;
        char line[64];
        snprintf (line, sizeof (line), "AT A +0 c%d +1+1 %" PRId64, client,
                  time);
        bool expected;
        if (model[client] >= 0)
            expected = time > model[client];
        else if (held < LIMIT)
            expected = true;
        else {
            //  The oldest goes unless the newcomer is older still
            int oldest = 0;  //  held == LIMIT > 0: one is held
            while (model[oldest] < 0)
                oldest++;
            for (int i = oldest + 1; i < CLIENTS; i++)
                if (model[i] >= 0 && model[i] < model[oldest])
                    oldest = i;
            expected = time > model[oldest];
            if (expected) {
                model[oldest] = -1;
                held--;
            }
        }
        if (expected) {
            held += model[client] < 0;
            model[client] = time;
        }
        if (s_offer (table, line) != expected)
            fail_msg ("op %d: %s", op, line);
    }
    assert_int_equal (herd_table_size (table), held);
    for (int i = 0; i < CLIENTS; i++) {
        char id[16];
        snprintf (id, sizeof (id), "c%d", i);
        herd_record_t record;
        bool found = herd_table_lookup (table, id, strlen (id), &record);
        assert_int_equal (found, model[i] >= 0);
        if (found)
            assert_int_equal (record.seconds, model[i]);
    }
    //  A walk sees every record once
    size_t cursor = 0, walked = 0;
    herd_record_t record;
    while (herd_table_next (table, &cursor, &record))
        walked++;
    assert_int_equal (walked, held);
    herd_table_destroy (&table);
}

//  Until it holds half its limit, the table keeps no age order; expiring
//  or lowering the limit must still find the oldest records, and the
//  order then kept must stay right as updates go on.
static void
test_the_oldest_are_found_without_an_age_order (void **state)
{
    (void) state;
    enum { CLIENTS = 200 };
    int64_t model[CLIENTS];
    herd_table_t *table = herd_table_new (3);
    unsigned seed = 7;
    //  Three rounds of updates, each newer than the last for every client
    //  (the seed gives distinct times in the last round)
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < CLIENTS; i++) {
            model[i] = round * 1000000 + (int64_t) (rand_r (&seed) % 100000);
            char line[64];
            snprintf (line, sizeof (line), "AT A +0 c%d +1+1 %" PRId64, i,
                      model[i]);
            assert_true (s_offer (table, line));
        }
    //  Everything before the median goes
    int64_t sorted[CLIENTS];
    memcpy (sorted, model, sizeof (sorted));
    for (int i = 0; i < CLIENTS; i++)
        for (int j = i + 1; j < CLIENTS; j++)
            if (sorted[j] < sorted[i]) {
                int64_t swap = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = swap;
            }
    assert_int_equal (herd_table_expire (table, (uint64_t) sorted[100]), 100);
    //  Then a limit of 50 keeps the 50 newest
    herd_table_set_limit (table, 50);
    assert_int_equal (herd_table_size (table), 50);
    for (int i = 0; i < CLIENTS; i++) {
        char id[16];
        snprintf (id, sizeof (id), "c%d", i);
        herd_record_t record;
        bool found = herd_table_lookup (table, id, strlen (id), &record);
        assert_int_equal (found, model[i] >= sorted[150]);
    }
    //  A newcomer newer than all evicts the oldest held
    assert_true (s_offer (table, "AT A +0 late +1+1 9999999999"));
    herd_record_t record;
    for (int i = 0; i < CLIENTS; i++)
        if (model[i] == sorted[150]) {
            char id[16];
            snprintf (id, sizeof (id), "c%d", i);
            assert_false (herd_table_lookup (table, id, strlen (id), &record));
        }
    assert_int_equal (herd_table_size (table), 50);
    herd_table_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy),
        cmocka_unit_test (test_order_is_time_then_originator),
        cmocka_unit_test (test_offer_keeps_the_newest),
        cmocka_unit_test (test_same_time_other_originator_breaks_the_tie),
        cmocka_unit_test (test_client_ids_are_bytes),
        cmocka_unit_test (test_many_clients_grow_the_table),
        cmocka_unit_test (test_the_oldest_is_evicted_past_the_limit),
        cmocka_unit_test (test_eviction_matches_a_model),
        cmocka_unit_test (test_the_oldest_are_found_without_an_age_order),
    };
    return cmocka_run_group_tests_name ("herd_table", tests, NULL, NULL);
}
