/*  herd_state - the node's table in a file, so that a whole-herd restart
    loses nothing (proto/herd.md, section 6)

    The file is text: a first line "HERDSTATE1", then one AT line per
    record, each ended by LF.  Saved to PATH.tmp, synced, then renamed over
    PATH, so a crash mid-save leaves the previous file whole.  Pure of
    sockets and clocks; file I/O only.  */

#ifndef HERD_STATE_H_INCLUDED
#define HERD_STATE_H_INCLUDED

#include "herd_table.h"

#define HERD_STATE_SIGNATURE "HERDSTATE1"

//  Write every record of table to path.  Returns 0 and sets *count, or -1
//  with errno set (the previous file, if any, is untouched).
int herd_state_save (herd_table_t *table, const char *path, size_t *count);

//  Offer every record of the file at path to table (newest wins).  Lines
//  that are not valid AT lines are skipped and counted in *refused.  A
//  missing file is an empty one.  Returns 0 and sets *loaded (records
//  offered and stored), or -1 with errno set if the file cannot be read or
//  is not a state file (errno EINVAL).
int herd_state_load (herd_table_t *table,
                     const char *path,
                     size_t *loaded,
                     size_t *refused);

#endif
