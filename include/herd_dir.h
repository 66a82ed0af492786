/*  herd_dir - directories that processes started together make at once

    The nodes of `herd up` share a log directory and may share a state
    directory; each makes it, with its parents, as it starts.  czmq's
    zsys_dir_create gives up at a level that another process has just
    made; this takes a level made by anyone as made.  Stateless; file
    system only.  */

#ifndef HERD_DIR_H_INCLUDED
#define HERD_DIR_H_INCLUDED

//  Make directory path and every missing parent (mode 0775); a level that
//  exists already, or that another process makes meanwhile, is fine.
//  Returns 0, or -1 with errno set (a level exists but is no directory,
//  or cannot be made).
int herd_dir_make (const char *path);

#endif
