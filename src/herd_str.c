/*  herd_str - copies of strings that abort on out of memory  */

#include "herd_str.h"

#include <czmq.h>

char *
herd_str_dup (const char *text)
{
    assert (text);
    return herd_str_ndup (text, strlen (text));
}

char *
herd_str_ndup (const char *data, size_t size)
{
    assert (data);
    const char *nul = (const char *) memchr (data, 0, size);
    if (nul)
        size = (size_t) (nul - data);
    char *copy = (char *) zmalloc (size + 1);  //  Aborts if it cannot
    memcpy (copy, data, size);
    return copy;
}

char *
herd_str_printf (const char *format, ...)
{
    va_list args, again;
    va_start (args, format);
    va_copy (again, args);
    int size = vsnprintf (NULL, 0, format, args);
    va_end (args);
    assert (size >= 0);  //  Only a bad format, a programmer's error
    char *text = (char *) zmalloc ((size_t) size + 1);
    vsnprintf (text, (size_t) size + 1, format, again);
    va_end (again);
    return text;
}
