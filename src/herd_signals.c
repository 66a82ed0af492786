/*  herd_signals - stop and reload signals, on a signalfd  */

#include "herd_signals.h"

#include <czmq.h>
#include <signal.h>
#include <sys/signalfd.h>

static void
s_set (sigset_t *set, bool hangup)
{
    sigemptyset (set);
    sigaddset (set, SIGINT);
    sigaddset (set, SIGTERM);
    if (hangup)
        sigaddset (set, SIGHUP);
}

void
herd_signals_block (bool hangup)
{
    sigset_t set;
    s_set (&set, hangup);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);
}

int
herd_signals_open (bool hangup)
{
    sigset_t set;
    s_set (&set, hangup);
    return signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
herd_signals_read (int fd)
{
    struct signalfd_siginfo info;
    if (read (fd, &info, sizeof (info)) != sizeof (info))
        return 0;
    return (int) info.ssi_signo;
}
