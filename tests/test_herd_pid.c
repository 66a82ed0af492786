/*  test_herd_pid - the herd program's getpid: the kernel's answer, in
    every thread and in a forked child, and the one libraries bind to  */

#include "herd_test.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t
s_kernel_pid (void)
{
    return (pid_t) syscall (SYS_getpid);
}

static void
test_getpid_is_the_kernels (void **state)
{
    (void) state;
    assert_int_equal (getpid (), s_kernel_pid ());
    assert_int_equal (getpid (), getpid ());
}

static void
test_a_forked_child_sees_its_own_pid (void **state)
{
    (void) state;
    pid_t parent = getpid ();
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0)
        _exit (getpid () == s_kernel_pid () && getpid () != parent ? 0 : 1);
    int status = 0;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  And the parent's is its own still
    assert_int_equal (getpid (), parent);
    assert_int_equal (getpid (), s_kernel_pid ());
}

static void *
s_thread (void *arg)
{
    *(pid_t *) arg = getpid ();
    return NULL;
}

static void
test_a_thread_sees_the_process_pid (void **state)
{
    (void) state;
    pid_t seen = 0;
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_thread, &seen), 0);
    pthread_join (thread, NULL);
    assert_int_equal (seen, s_kernel_pid ());
}

//  The dynamic linker finds ours first: libzmq's calls come here, not to
//  libc's
static void
test_libraries_bind_to_ours (void **state)
{
    (void) state;
    void *found = dlsym (RTLD_DEFAULT, "getpid");
    void *libc = dlsym (RTLD_NEXT, "getpid");
    pid_t (*ours) (void) = getpid;
    void *ours_address;
    memcpy (&ours_address, &ours, sizeof (ours_address));
    assert_non_null (found);
    assert_non_null (libc);
    assert_ptr_equal (found, ours_address);
    assert_ptr_not_equal (libc, ours_address);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_getpid_is_the_kernels),
        cmocka_unit_test (test_a_forked_child_sees_its_own_pid),
        cmocka_unit_test (test_a_thread_sees_the_process_pid),
        cmocka_unit_test (test_libraries_bind_to_ours),
    };
    return cmocka_run_group_tests_name ("herd_pid", tests, NULL, NULL);
}
