/*  herd_test - harness for herd's tests  */

#include "herd_test.h"

#include <czmq.h>

bool
herd_test_wait_until (herd_test_cond_fn *cond, void *arg, int deadline_ms)
{
    int64_t deadline = zclock_mono () + deadline_ms;
    while (true) {
        if (cond (arg))
            return true;
        if (zclock_mono () >= deadline)
            return false;
        //  A poll period, not a synchronisation sleep: the condition decides
        zmq_poll (NULL, 0, 5);
    }
}
