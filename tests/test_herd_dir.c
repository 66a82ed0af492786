/*  test_herd_dir - directories that processes started together make  */

#include "herd_test.h"
#include "herd_dir.h"

#include <sys/stat.h>
#include <sys/wait.h>

static bool
s_is_directory (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 && S_ISDIR (info.st_mode);
}

static void
s_remove (const char *dir)
{
    char *command = zsys_sprintf ("rm -rf %s", dir);
    assert_int_equal (system (command), 0);
    free (command);
}

//  Every level is made; what is there already is fine; a file in the
//  way is not.
static void
test_make_makes_every_level (void **state)
{
    (void) state;
    char dir[] = "/tmp/herd-dir-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char *nested = zsys_sprintf ("%s/a/b/c/", dir);
    assert_int_equal (herd_dir_make (nested), 0);
    assert_true (s_is_directory (nested));
    assert_int_equal (herd_dir_make (nested), 0);
    char *file = zsys_sprintf ("%s/a/file", dir);
    FILE *stream = fopen (file, "w");
    fclose (stream);
    char *under = zsys_sprintf ("%s/x", file);
    assert_int_equal (herd_dir_make (file), -1);
    assert_int_equal (errno, ENOTDIR);
    assert_int_equal (herd_dir_make (under), -1);
    free (under);
    free (file);
    free (nested);
    s_remove (dir);
}

//  Six processes make the same nested directory at once, 40 times over:
//  each finds it made (zsys_dir_create gave up at a level another had
//  just made).
static void
test_make_beside_others_succeeds (void **state)
{
    (void) state;
    for (int round = 0; round < 40; round++) {
        char dir[] = "/tmp/herd-dir-XXXXXX";
        assert_non_null (mkdtemp (dir));
        char *nested = zsys_sprintf ("%s/a/b/c/d", dir);
        pid_t children[6];
        for (int i = 0; i < 6; i++) {
            children[i] = fork ();
            assert_true (children[i] >= 0);
            if (children[i] == 0)
                _exit (herd_dir_make (nested) ? 1 : 0);
        }
        int failed = 0;
        for (int i = 0; i < 6; i++) {
            int status;
            waitpid (children[i], &status, 0);
            failed += !WIFEXITED (status) || WEXITSTATUS (status) != 0;
        }
        free (nested);
        s_remove (dir);
        if (failed)
            fail_msg ("round %d: %d of 6 failed", round, failed);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_make_makes_every_level),
        cmocka_unit_test (test_make_beside_others_succeeds),
    };
    return cmocka_run_group_tests_name ("herd_dir", tests, NULL, NULL);
}
