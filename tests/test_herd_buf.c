/*  test_herd_buf - the growable byte buffer  */

#include "herd_test.h"
#include "herd_buf.h"

#include <stdio.h>
#include <stdlib.h>

static void
test_new_and_destroy_twice_is_safe (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    assert_non_null (buf);
    assert_int_equal (herd_buf_size (buf), 0);
    assert_null (herd_buf_data (buf));  //  No memory before the first byte
    assert_int_equal (herd_buf_room (buf), 0);
    herd_buf_append (buf, "abc", 3);
    herd_buf_destroy (&buf);
    assert_null (buf);
    herd_buf_destroy (&buf);
    assert_null (buf);
}

static void
test_append_keeps_the_exact_bytes (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "one\0two", 7);
    herd_buf_append (buf, "\r\n", 2);
    assert_int_equal (herd_buf_size (buf), 9);
    assert_memory_equal (herd_buf_data (buf), "one\0two\r\n", 9);
    //  Past the first size: grown, and nothing lost or moved
    char big[3 * HERD_BUF_FIRST_SIZE + 1];
    for (size_t i = 0; i < sizeof (big); i++)
        big[i] = (char) (i * 7);
    herd_buf_append (buf, big, sizeof (big));
    assert_int_equal (herd_buf_size (buf), 9 + sizeof (big));
    assert_memory_equal (herd_buf_data (buf), "one\0two\r\n", 9);
    assert_memory_equal (herd_buf_data (buf) + 9, big, sizeof (big));
    herd_buf_destroy (&buf);
}

static void
test_reserve_and_commit_add_what_was_written (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "AT ", 3);
    char *at = herd_buf_reserve (buf, 100);
    assert_non_null (at);
    assert_ptr_equal (at, herd_buf_data (buf) + 3);
    assert_true (herd_buf_room (buf) >= 100);
    //  Reserved but not committed: not part of the buffer
    assert_int_equal (herd_buf_size (buf), 3);
    int size = snprintf (at, herd_buf_room (buf), "%s %d", "Clark", 42);
    herd_buf_commit (buf, (size_t) size);
    assert_int_equal (herd_buf_size (buf), 11);
    assert_memory_equal (herd_buf_data (buf), "AT Clark 42", 11);
    //  A partial commit, and a reserve far past the room
    at = herd_buf_reserve (buf, 4);
    memcpy (at, "!???", 4);
    herd_buf_commit (buf, 1);
    at = herd_buf_reserve (buf, 10 * HERD_BUF_FIRST_SIZE);
    assert_true (herd_buf_room (buf) >= 10 * HERD_BUF_FIRST_SIZE);
    memset (at, 'x', 10 * HERD_BUF_FIRST_SIZE);
    herd_buf_commit (buf, 10 * HERD_BUF_FIRST_SIZE);
    assert_int_equal (herd_buf_size (buf), 12 + 10 * HERD_BUF_FIRST_SIZE);
    assert_memory_equal (herd_buf_data (buf), "AT Clark 42!x", 13);
    herd_buf_destroy (&buf);
}

static void
test_consume_then_append_keeps_the_order (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "0123456789", 10);
    herd_buf_consume (buf, 3);
    assert_int_equal (herd_buf_size (buf), 7);
    assert_memory_equal (herd_buf_data (buf), "3456789", 7);
    herd_buf_append (buf, "abc", 3);
    assert_memory_equal (herd_buf_data (buf), "3456789abc", 10);
    //  More consumed than is left: the rest moves down, in order
    herd_buf_consume (buf, 6);
    assert_memory_equal (herd_buf_data (buf), "9abc", 4);
    herd_buf_append (buf, "de", 2);
    assert_int_equal (herd_buf_size (buf), 6);
    assert_memory_equal (herd_buf_data (buf), "9abcde", 6);
    //  Everything consumed: empty, and appends start again at the front
    herd_buf_consume (buf, 6);
    assert_int_equal (herd_buf_size (buf), 0);
    herd_buf_append (buf, "z", 1);
    assert_memory_equal (herd_buf_data (buf), "z", 1);
    herd_buf_destroy (&buf);
}

//  A small deterministic generator, so a failure can be replayed.
static uint32_t
s_next (uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void
test_appends_and_consumes_agree_with_a_model (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    //  The model: the bytes held, moved down on every consume
    size_t capacity = 1 << 20, held = 0;
    char *model = (char *) malloc (capacity);
    assert_non_null (model);
    uint32_t seed = 131;
    unsigned char next = 0;  //  Every byte added is the one after the last
    for (int i = 0; i < 100000; i++) {
        uint32_t what = s_next (&seed) % 8;
        size_t size = s_next (&seed) % (what == 0 ? 4000 : 300);
        if (what < 3 && held + size <= capacity) {
            char bytes[4000];
            for (size_t j = 0; j < size; j++)
                bytes[j] = (char) next++;
            herd_buf_append (buf, bytes, size);
            memcpy (model + held, bytes, size);
            held += size;
        } else if (what == 3 && held + size <= capacity) {
            char *at = herd_buf_reserve (buf, size + 10);
            for (size_t j = 0; j < size; j++)
                at[j] = model[held + j] = (char) next++;
            herd_buf_commit (buf, size);
            held += size;
        } else {
            size = held ? s_next (&seed) % (held + 1) : 0;
            herd_buf_consume (buf, size);
            memmove (model, model + size, held - size);
            held -= size;
        }
        assert_int_equal (herd_buf_size (buf), held);
        if (held)
            assert_memory_equal (herd_buf_data (buf), model, held);
    }
    free (model);
    herd_buf_destroy (&buf);
}

static void
test_truncate_keeps_the_head_and_the_memory (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "xxhello world", 13);
    herd_buf_consume (buf, 2);
    herd_buf_truncate (buf, 5);
    assert_int_equal (herd_buf_size (buf), 5);
    assert_memory_equal (herd_buf_data (buf), "hello", 5);
    herd_buf_append (buf, "!", 1);
    assert_memory_equal (herd_buf_data (buf), "hello!", 6);
    //  To nothing: the bytes stay readable until the next add
    const char *data = herd_buf_data (buf);
    herd_buf_truncate (buf, 0);
    assert_int_equal (herd_buf_size (buf), 0);
    assert_memory_equal (data, "hello!", 6);
    herd_buf_destroy (&buf);
}

static void
test_clear_drops_every_byte_and_keeps_the_memory (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "line", 4);
    const char *data = herd_buf_data (buf);
    size_t room = herd_buf_room (buf);
    herd_buf_clear (buf);
    assert_int_equal (herd_buf_size (buf), 0);
    assert_memory_equal (data, "line", 4);
    assert_int_equal (herd_buf_room (buf), room + 4);
    herd_buf_append (buf, "next", 4);
    assert_ptr_equal (herd_buf_data (buf), data);
    assert_memory_equal (herd_buf_data (buf), "next", 4);
    herd_buf_destroy (&buf);
}

static void
test_shrink_frees_only_when_empty_and_large (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "a", 1);
    //  Small: kept, empty or not
    herd_buf_shrink (buf, 4096);
    assert_int_equal (herd_buf_size (buf), 1);
    herd_buf_clear (buf);
    herd_buf_shrink (buf, 4096);
    assert_int_equal (herd_buf_room (buf), HERD_BUF_FIRST_SIZE);
    //  Large but not empty: kept
    herd_buf_reserve (buf, 8192);
    herd_buf_commit (buf, 8192);
    herd_buf_shrink (buf, 4096);
    assert_int_equal (herd_buf_size (buf), 8192);
    herd_buf_consume (buf, 8191);
    herd_buf_shrink (buf, 4096);
    assert_int_equal (herd_buf_size (buf), 1);
    //  Large and empty: freed, and usable again
    herd_buf_consume (buf, 1);
    herd_buf_shrink (buf, 4096);
    assert_int_equal (herd_buf_room (buf), 0);
    assert_null (herd_buf_data (buf));
    herd_buf_append (buf, "b", 1);
    assert_memory_equal (herd_buf_data (buf), "b", 1);
    //  keep 0: any memory of an empty buffer goes
    herd_buf_clear (buf);
    herd_buf_shrink (buf, 0);
    assert_int_equal (herd_buf_room (buf), 0);
    herd_buf_destroy (&buf);
}

static void
test_detach_hands_over_the_bytes_nul_terminated (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, "--{\n   \"a\" : 1\n}", 16);
    herd_buf_consume (buf, 2);
    size_t size;
    char *text = herd_buf_detach (buf, &size);
    assert_int_equal (size, 14);
    assert_string_equal (text, "{\n   \"a\" : 1\n}");
    free (text);
    //  The buffer is empty, without memory, and still usable
    assert_int_equal (herd_buf_size (buf), 0);
    assert_int_equal (herd_buf_room (buf), 0);
    text = herd_buf_detach (buf, &size);
    assert_int_equal (size, 0);
    assert_string_equal (text, "");
    free (text);
    herd_buf_destroy (&buf);
}

static void
test_zero_size_operations_change_nothing (void **state)
{
    (void) state;
    herd_buf_t *buf = herd_buf_new ();
    herd_buf_append (buf, NULL, 0);
    herd_buf_consume (buf, 0);
    herd_buf_truncate (buf, 0);
    herd_buf_clear (buf);
    assert_int_equal (herd_buf_size (buf), 0);
    assert_int_equal (herd_buf_room (buf), 0);  //  Nothing allocated
    //  reserve (0) still gives memory to write a terminator into
    char *at = herd_buf_reserve (buf, 0);
    assert_non_null (at);
    herd_buf_commit (buf, 0);
    assert_int_equal (herd_buf_size (buf), 0);
    herd_buf_append (buf, "xy", 2);
    herd_buf_append (buf, "", 0);
    herd_buf_consume (buf, 0);
    herd_buf_commit (buf, 0);
    herd_buf_truncate (buf, 2);
    assert_int_equal (herd_buf_size (buf), 2);
    assert_memory_equal (herd_buf_data (buf), "xy", 2);
    herd_buf_destroy (&buf);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy_twice_is_safe),
        cmocka_unit_test (test_append_keeps_the_exact_bytes),
        cmocka_unit_test (test_reserve_and_commit_add_what_was_written),
        cmocka_unit_test (test_consume_then_append_keeps_the_order),
        cmocka_unit_test (test_appends_and_consumes_agree_with_a_model),
        cmocka_unit_test (test_truncate_keeps_the_head_and_the_memory),
        cmocka_unit_test (test_clear_drops_every_byte_and_keeps_the_memory),
        cmocka_unit_test (test_shrink_frees_only_when_empty_and_large),
        cmocka_unit_test (test_detach_hands_over_the_bytes_nul_terminated),
        cmocka_unit_test (test_zero_size_operations_change_nothing),
    };
    return cmocka_run_group_tests_name ("herd_buf", tests, NULL, NULL);
}
