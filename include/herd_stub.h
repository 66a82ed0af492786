/*  herd_stub - the offline Places server's answers: Google's Nearby Search
    (legacy GET and Places API New POST) over made-up places

    Pure: one request in, one response out; herd_httpd serves it.  Checks
    what Google checks (key, field mask, radius, count) closely enough for
    herd's real providers to run against it, and injects faults chosen by
    the API key (proto/places.md).  */

#ifndef HERD_STUB_H_INCLUDED
#define HERD_STUB_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Legacy endpoint path and New endpoint path.
#define HERD_STUB_LEGACY_PATH "/maps/api/place/nearbysearch/json"
#define HERD_STUB_NEW_PATH    "/v1/places:searchNearby"

//  An HTTP request, as herd_httpd parsed it.  Borrowed strings.
typedef struct {
    const char *method;      //  "GET", "POST", ...
    const char *target;      //  Path and query, as sent
    const char *api_key;     //  X-Goog-Api-Key header, or NULL
    const char *field_mask;  //  X-Goog-FieldMask header, or NULL
    const char *body;        //  Request body (not NUL-terminated)
    size_t body_size;
} herd_stub_request_t;

//  What to answer.
typedef struct {
    int status;    //  HTTP status; 0: never answer (the "hang" fault)
    int delay_ms;  //  Answer after this long
    char *body;    //  Owned; free with herd_stub_response_clear
    size_t size;
} herd_stub_response_t;

//  Answer request.  delay_ms is added to any delay the key asks for.
void herd_stub_answer (const herd_stub_request_t *request,
                       int delay_ms,
                       herd_stub_response_t *response);

//  Free what a response holds.
void herd_stub_response_clear (herd_stub_response_t *response);

#endif
