/*  herd_signals - the signals a herd program stops or reloads on, read
    from a signalfd in its loop rather than in a handler

    Shared by `herd node`, `herd up`, `herd monitor` and `herd places-stub`.
    The signals are blocked before any thread exists, so every thread
    inherits the mask and the signalfd gets them all.  */

#ifndef HERD_SIGNALS_H_INCLUDED
#define HERD_SIGNALS_H_INCLUDED

#include <stdbool.h>

//  Block SIGINT and SIGTERM (and SIGHUP, with hangup) in this thread and
//  every thread it starts from now on, ignore SIGPIPE, and keep czmq from
//  installing handlers of its own.  Call before any thread (and any czmq
//  socket) exists.
void herd_signals_block (bool hangup);

//  A non-blocking, close-on-exec signalfd for the signals herd_signals_block
//  blocked (with hangup, SIGHUP too).  Returns the descriptor, or -1.
int herd_signals_open (bool hangup);

//  Read one signal from fd.  Returns its number, or 0 if none was waiting.
int herd_signals_read (int fd);

#endif
