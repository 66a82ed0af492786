/*  herd_test - harness for herd's tests: real node processes on loopback,
    free ports from the kernel, raw TCP clients, and waits with deadlines  */

#ifndef HERD_TEST_H_INCLUDED
#define HERD_TEST_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

//  Poll cond (arg) every few milliseconds until it is true or deadline_ms
//  pass.  Returns whether it became true.
typedef bool (herd_test_cond_fn) (void *arg);
bool herd_test_wait_until (herd_test_cond_fn *cond, void *arg, int deadline_ms);

#endif
