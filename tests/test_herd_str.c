/*  test_herd_str - copies of strings  */

#include "herd_test.h"
#include "herd_str.h"

static void
test_dup_copies_text (void **state)
{
    (void) state;
    char *copy = herd_str_dup ("kiwi.cs.ucla.edu");
    assert_string_equal (copy, "kiwi.cs.ucla.edu");
    free (copy);
    copy = herd_str_dup ("");
    assert_string_equal (copy, "");
    free (copy);
}

static void
test_ndup_copies_up_to_size_or_a_nul (void **state)
{
    (void) state;
    char *copy = herd_str_ndup ("tcp://clark:12215", 11);
    assert_string_equal (copy, "tcp://clark");
    free (copy);
    copy = herd_str_ndup ("ab\0cd", 5);
    assert_string_equal (copy, "ab");
    free (copy);
    copy = herd_str_ndup ("xyz", 0);
    assert_string_equal (copy, "");
    free (copy);
}

static void
test_printf_formats_any_length (void **state)
{
    (void) state;
    char *text = herd_str_printf ("%s/%s.key", "keys", "Clark");
    assert_string_equal (text, "keys/Clark.key");
    free (text);
    //  Longer than any first guess
    char *long_text = herd_str_printf ("%0*d", 10000, 7);
    assert_int_equal (strlen (long_text), 10000);
    assert_int_equal (long_text[9999], '7');
    free (long_text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_dup_copies_text),
        cmocka_unit_test (test_ndup_copies_up_to_size_or_a_nul),
        cmocka_unit_test (test_printf_formats_any_length),
    };
    return cmocka_run_group_tests_name ("herd_str", tests, NULL, NULL);
}
