/*  herd_flood - the seen set, and which neighbours an update goes to  */

#include "herd_flood.h"

#include <czmq.h>

//  O(length of seen), which is at most a few hundred bytes.
bool
herd_flood_seen (herd_span_t seen, const char *name)
{
    size_t size = strlen (name);
    size_t start = 0;
    for (size_t at = 0; at <= seen.size; at++) {
        if (at == seen.size || seen.data[at] == ',') {
            if (at - start == size
                && memcmp (seen.data + start, name, size) == 0)
                return true;
            start = at + 1;
        }
    }
    return false;
}

bool
herd_flood_forward_to (herd_span_t seen,
                       const char *sender,
                       const char *neighbour)
{
    if (sender && streq (sender, neighbour))
        return false;
    return !herd_flood_seen (seen, neighbour);
}

//  seen plus each of names not in it yet.
static char *
s_add_all (herd_span_t seen, const char *const *names, size_t count)
{
    size_t size = seen.size;
    for (size_t i = 0; i < count; i++)
        size += 1 + strlen (names[i]);
    char *result = (char *) zmalloc (size + 1);
    memcpy (result, seen.data, seen.size);
    size_t at = seen.size;
    for (size_t i = 0; i < count; i++) {
        herd_span_t so_far = {result, at};
        if (herd_flood_seen (so_far, names[i]))
            continue;
        if (at > 0)
            result[at++] = ',';
        size_t length = strlen (names[i]);
        memcpy (result + at, names[i], length);
        at += length;
    }
    result[at] = 0;
    return result;
}

//  O(length of seen x count).
char *
herd_flood_next_seen (herd_span_t seen, const char *const *names, size_t count)
{
    char *next = s_add_all (seen, names, count);
    if (!herd_wire_seen_valid (next, strlen (next), NULL)) {
        free (next);
        herd_span_t none = {"", 0};
        next = s_add_all (none, names, count);
    }
    return next;
}
