/*  herd_json - print Places JSON the way clients see it: Google's legacy
    Nearby Search layout

    3-space indentation, one member or element per line, "key" : value,
    [] and {} for empty containers, members in their given order, numbers
    in the shortest form that reads back to the same double.  Never a blank
    line and never a trailing newline (proto/client.md).  Pure.  */

#ifndef HERD_JSON_H_INCLUDED
#define HERD_JSON_H_INCLUDED

#include <cJSON.h>
#include <stddef.h>

//  Print item.  Caller owns return value and must free it; *size_p gets
//  its length.
char *herd_json_print (const cJSON *item, size_t *size_p);

//  A legacy response with no results: html_attributions [], results [],
//  status, and error_message when message is not NULL.  Caller owns return
//  value and must cJSON_Delete it.
cJSON *herd_json_response (const char *status, const char *message);

//  Keep at most bound elements of root's "results" array, if any.
void herd_json_cut (cJSON *root, size_t bound);

#endif
