/*  herd_provider - what a node asks Google Places, and what it makes of
    the answer

    Pure: builds the exact HTTP request for a provider, and turns whatever
    came back (a body, an HTTP error, a timeout, garbage) into the legacy
    Nearby Search response the client sees (proto/client.md, section 5;
    proto/places.md).  The Places actor does the HTTP.  */

#ifndef HERD_PROVIDER_H_INCLUDED
#define HERD_PROVIDER_H_INCLUDED

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

//  Fields asked of the Places API (New): what the legacy shape can show.
#define HERD_PROVIDER_FIELD_MASK                                               \
    "places.id,places.displayName,places.formattedAddress,places.location,"    \
    "places.types,places.rating,places.userRatingCount,"                       \
    "places.businessStatus"

typedef enum {
    HERD_PROVIDER_STUB,           //  The offline server, legacy endpoint
    HERD_PROVIDER_GOOGLE,         //  Places API (New)
    HERD_PROVIDER_GOOGLE_LEGACY,  //  Legacy Nearby Search
} herd_provider_t;

//  One outgoing request.  Strings are owned; free with
//  herd_provider_request_clear.
typedef struct {
    const char *method;  //  "GET" or "POST" (static)
    char *url;
    char *headers[4];  //  "Name: value", NULL-terminated
    char *body;        //  NULL for GET
} herd_provider_request_t;

//  Parse a provider name ("stub", "google", "google-legacy").  Returns 0
//  and sets *provider, or -1.
int herd_provider_parse (const char *name, herd_provider_t *provider);

//  Build the request for latitude, longitude (plain decimals, as written
//  by herd_msg_coordinates), metres (as herd_msg_metres writes it) and
//  bound (1..20) against base_url (no trailing path) with key (may be
//  NULL or empty).
void herd_provider_request (herd_provider_t provider,
                            const char *base_url,
                            const char *key,
                            const char *latitude,
                            const char *longitude,
                            const char *metres,
                            unsigned bound,
                            herd_provider_request_t *request);

//  Free what a request holds.
void herd_provider_request_clear (herd_provider_request_t *request);

//  The legacy response for what came back.  failure, when not NULL, says
//  the request got no HTTP answer ("upstream timeout after 5000 ms",
//  "upstream connect failed: ..."); else http_status and body (size bytes)
//  are the answer.  results are cut to bound.  Caller owns return value
//  and must cJSON_Delete it.
cJSON *herd_provider_answer (herd_provider_t provider,
                             const char *failure,
                             long http_status,
                             const char *body,
                             size_t size,
                             unsigned bound);

#endif
