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

static void
test_order_is_time_then_originator (void **state)
{
    (void) state;
    herd_msg_t a, b;
    const char *x = "AT Bona +0.1 c +1-1 10.5";
    const char *y = "AT Clark +0.1 c +1-1 10.5";
    const char *z = "AT Alpha +0.1 c +1-1 10.500000001";
    herd_msg_parse_at (&a, x, strlen (x), NULL);
    herd_msg_parse_at (&b, y, strlen (y), NULL);
    assert_true (herd_table_order (&a, &b) < 0);
    assert_true (herd_table_order (&b, &a) > 0);
    assert_int_equal (herd_table_order (&a, &a), 0);
    herd_msg_parse_at (&b, z, strlen (z), NULL);
    assert_true (herd_table_order (&a, &b) < 0);
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
    assert_true (s_offer (table, newer));
    s_assert_line (table, "kiwi", newer);
    assert_int_equal (herd_table_size (table), 1);
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
    };
    return cmocka_run_group_tests_name ("herd_table", tests, NULL, NULL);
}
