/*  test_herd_zpl - ZPL text with line numbers, held to zconfig's rules  */

#include "herd_test.h"
#include "herd_zpl.h"

//  Does zconfig itself accept text?  It prints why not on stdout, which is
//  caught meanwhile so that the test's output stays readable.
static bool
s_zconfig_accepts (const char *text)
{
    herd_test_capture_t capture;
    herd_test_capture_begin (&capture);
    zconfig_t *root = zconfig_str_load (text);
    herd_test_capture_end (&capture);
    bool accepted = root != NULL;
    zconfig_destroy (&root);
    return accepted;
}

//  Text that loads: our scan and zconfig agree, and every item has a line.
static void
s_assert_loads (herd_zpl_t *zpl, const char *text)
{
    size_t line = 99;
    const char *reason = NULL;
    if (herd_zpl_load (zpl, text, &line, &reason))
        fail_msg ("refused at %zu (%s): [%s]", line, reason, text);
    if (!s_zconfig_accepts (text))
        fail_msg ("zconfig refuses what we accept: [%s]", text);
}

static void
test_load_gives_every_item_its_line (void **state)
{
    (void) state;
    herd_zpl_t *zpl = herd_zpl_new ();
    s_assert_loads (zpl,
                    "#   A comment\n"     //  1
                    "\n"                  //  2
                    "nodes\n"             //  3
                    "    A\n"             //  4
                    "        x = 1\n"     //  5
                    "    # indented\n"    //  6
                    "\n"                  //  7
                    "        y = 2\n"     //  8
                    "    B\n"             //  9
                    "links\n"             //  10
                    "    link = A B\n");  //  11
    zconfig_t *root = herd_zpl_root (zpl);
    assert_non_null (root);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "nodes")), 3);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "nodes/A")), 4);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "nodes/A/x")),
                      5);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "nodes/A/y")),
                      8);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "nodes/B")), 9);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "links")), 10);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "links/link")),
                      11);
    assert_string_equal (zconfig_get (root, "links/link", NULL), "A B");
    herd_zpl_destroy (&zpl);
    assert_null (zpl);
    herd_zpl_destroy (&zpl);
}

//  Each is refused by zconfig too; ours names the line and the reason.
typedef struct {
    const char *text;
    size_t line;
    const char *reason;
} s_bad_t;

static const s_bad_t s_bad[] = {
    {"nodes\n  A\n", 2, "indentation is not a multiple of 4 spaces"},
    {"a\n   # comment\n", 2, "indentation is not a multiple of 4 spaces"},
    {"    a\n", 1, "indented, but no item comes before it"},
    {"a\n    b\n            c\n", 3,
     "indented more than one level below the item before it"},
    {"a\n\n# x\n        c\n", 4,
     "indented more than one level below the item before it"},
    {"a\n\tb = 1\n", 2,
     "a tab in the indentation (indent with 4 spaces a level)"},
    {"a\n    \tb\n", 2,
     "a tab in the indentation (indent with 4 spaces a level)"},
    {"a:b = 1\n", 1, "a name must be letters, digits and $-_@.&+/"},
    {"\"a\" = 1\n", 1, "a name must be letters, digits and $-_@.&+/"},
    {"caf\xc3\xa9 = 1\n", 1, "a name must be letters, digits and $-_@.&+/"},
    {"= 1\n", 1, "no name before \"=\""},
    {"a\n    /b = 1\n", 2, "a name may not begin or end with /"},
    {"b/ = 1\n", 1, "a name may not begin or end with /"},
    {"link A B\n", 1, "only \"= value\" or a # comment may follow a name"},
    {"a = \"x\n", 1, "unterminated quote (no closing \" on the line)"},
    {"a = 'x\"\n", 1, "unterminated quote (no closing ' on the line)"},
    {"a = \"x\"\nb = \"y\" z\n", 2,
     "only a # comment may follow a quoted value"},
    {"a\r\n    b = \"x\r\n", 2,
     "unterminated quote (no closing \" on the line)"},
};

static void
test_load_refuses_what_zconfig_refuses_with_its_line (void **state)
{
    (void) state;
    herd_zpl_t *zpl = herd_zpl_new ();
    for (size_t i = 0; i < sizeof (s_bad) / sizeof (s_bad[0]); i++) {
        size_t line = 99;
        const char *reason = NULL;
        if (herd_zpl_load (zpl, s_bad[i].text, &line, &reason) != -1)
            fail_msg ("accepted [%s]", s_bad[i].text);
        if (line != s_bad[i].line || strcmp (reason, s_bad[i].reason))
            fail_msg ("[%s]: %zu: %s", s_bad[i].text, line, reason);
        assert_null (herd_zpl_root (zpl));
        if (s_zconfig_accepts (s_bad[i].text))
            fail_msg ("zconfig accepts what we refuse: [%s]", s_bad[i].text);
    }
    herd_zpl_destroy (&zpl);
}

//  The corners of zconfig's rules that are not errors.
static void
test_load_accepts_what_zconfig_accepts (void **state)
{
    (void) state;
    const char *good[] = {
        "",
        "\n\n",
        "a",
        "a\n    b = 1",
        "    \n        \n",       //  Blank, however indented
        "a\r\n    b = 1\r\n",     //  CRLF
        "a \t\n    b = 1 \t \n",  //  Trailing white space
        "a\n    \t# tab before a comment\n",
        "a\n        # deeper comment\n",
        "#no space\n#\n",
        "a#comment\n",
        "a # comment\n",
        "a\t= 1\n",
        "a =\n",
        "a = \"# not a comment\"  # one\n",
        "a = 'it\"s'\n",
        "a = \"\"\n",
        "a = b\"c\n",  //  A quote inside a bare value
        "a = #x\n",
        "a = x # y\n",
        "$a-b_c@d.e&f+g/h = 1\n",
        "a\n    b\n        c\n    d\n        e\n            f\ng\n",
        "a = 1\na = 2\n",  //  Twice: zconfig keeps both
    };
    herd_zpl_t *zpl = herd_zpl_new ();
    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
        s_assert_loads (zpl, good[i]);
    //  Lines follow CRLF and white-space-only lines
    s_assert_loads (zpl, "a\r\n   \r\n    b = 1\r\n");
    zconfig_t *root = herd_zpl_root (zpl);
    assert_int_equal (herd_zpl_line (zpl, zconfig_locate (root, "a/b")), 3);
    herd_zpl_destroy (&zpl);
}

//  No line for what is not an item of the text last loaded: NULL, the root,
//  an item of another tree, anything after a load that failed.
static void
test_line_is_zero_when_not_known (void **state)
{
    (void) state;
    herd_zpl_t *zpl = herd_zpl_new ();
    size_t line;
    const char *reason;
    assert_int_equal (herd_zpl_load (zpl, "a\n    b = 1\n", &line, &reason), 0);
    zconfig_t *root = herd_zpl_root (zpl);
    assert_int_equal (herd_zpl_line (zpl, NULL), 0);
    assert_int_equal (herd_zpl_line (zpl, root), 0);
    zconfig_t *other = zconfig_new ("a", NULL);
    assert_int_equal (herd_zpl_line (zpl, other), 0);
    zconfig_destroy (&other);
    assert_int_equal (herd_zpl_load (zpl, "x\n", &line, &reason), 0);
    assert_int_equal (
        herd_zpl_line (zpl, zconfig_locate (herd_zpl_root (zpl), "x")), 1);
    assert_int_equal (herd_zpl_load (zpl, "  x\n", &line, &reason), -1);
    assert_null (herd_zpl_root (zpl));
    assert_int_equal (herd_zpl_line (zpl, NULL), 0);
    herd_zpl_destroy (&zpl);
}

//  czmq prints its own parse errors (on stdout, through zclock_log): a
//  load prints nothing anywhere, whatever the text.
static void
test_load_prints_nothing (void **state)
{
    (void) state;
    herd_test_capture_t capture;
    herd_test_capture_begin (&capture);
    herd_zpl_t *zpl = herd_zpl_new ();
    size_t refused = 0;
    for (size_t i = 0; i < sizeof (s_bad) / sizeof (s_bad[0]); i++) {
        size_t line;
        const char *reason;
        refused += herd_zpl_load (zpl, s_bad[i].text, &line, &reason) == -1;
    }
    herd_zpl_destroy (&zpl);
    assert_int_equal (herd_test_capture_end (&capture), 0);
    assert_int_equal (refused, sizeof (s_bad) / sizeof (s_bad[0]));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_load_gives_every_item_its_line),
        cmocka_unit_test (test_load_refuses_what_zconfig_refuses_with_its_line),
        cmocka_unit_test (test_load_accepts_what_zconfig_accepts),
        cmocka_unit_test (test_line_is_zero_when_not_known),
        cmocka_unit_test (test_load_prints_nothing),
    };
    return cmocka_run_group_tests_name ("herd_zpl", tests, NULL, NULL);
}
