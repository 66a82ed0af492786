/*  herd_str - copies of strings, made as every allocation of ours is made

    strdup, strndup and zsys_sprintf return NULL when memory runs out, and
    a NULL that nobody checks crashes later, somewhere else.  These copy
    through zmalloc's policy instead: out of memory, the process aborts at
    once, with czmq's message (STYLE: allocation).  Input-driven sizes are
    capped by named limits before anything is copied, so only a machine
    out of memory gets there.  Stateless.  */

#ifndef HERD_STR_H_INCLUDED
#define HERD_STR_H_INCLUDED

#include <stddef.h>

//  A copy of text.  Caller owns return value and must free it.
char *herd_str_dup (const char *text);

//  A copy of the first size bytes of data (at most up to a NUL), NUL-
//  terminated.  Caller owns return value and must free it.
char *herd_str_ndup (const char *data, size_t size);

//  printf into a new string.  Caller owns return value and must free it.
char *herd_str_printf (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

#endif
