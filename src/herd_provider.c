/*  herd_provider - what a node asks Google Places, and what it makes of
    the answer  */

#include "herd_provider.h"
#include "herd_str.h"
#include "herd_json.h"

#include <czmq.h>

int
herd_provider_parse (const char *name, herd_provider_t *provider)
{
    if (streq (name, "stub"))
        *provider = HERD_PROVIDER_STUB;
    else if (streq (name, "google"))
        *provider = HERD_PROVIDER_GOOGLE;
    else if (streq (name, "google-legacy"))
        *provider = HERD_PROVIDER_GOOGLE_LEGACY;
    else
        return -1;
    return 0;
}

//  Percent-encode for a query string (RFC 3986 unreserved kept).
static char *
s_escape (const char *text)
{
    char *out = (char *) zmalloc (3 * strlen (text) + 1);
    char *at = out;
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (isalnum (*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
            *at++ = (char) *c;
        else
            at += sprintf (at, "%%%02X", *c);
    }
    return out;
}

void
herd_provider_request (herd_provider_t provider,
                       const char *base_url,
                       const char *key,
                       const char *latitude,
                       const char *longitude,
                       const char *metres,
                       unsigned bound,
                       herd_provider_request_t *request)
{
    memset (request, 0, sizeof (*request));
    char *escaped = s_escape (key ? key : "");
    if (provider == HERD_PROVIDER_GOOGLE) {
        request->method = "POST";
        request->url = herd_str_printf ("%s/v1/places:searchNearby", base_url);
        request->headers[0] = herd_str_dup ("Content-Type: application/json");
        request->headers[1] =
            herd_str_printf ("X-Goog-Api-Key: %s", key ? key : "");
        request->headers[2] =
            herd_str_dup ("X-Goog-FieldMask: " HERD_PROVIDER_FIELD_MASK);
        //  Numbers go as written: the exact decimals the client sent
        request->body = herd_str_printf (
            "{\"maxResultCount\":%u,\"locationRestriction\":{\"circle\":{"
            "\"center\":{\"latitude\":%s,\"longitude\":%s},\"radius\":%s}}}",
            bound, latitude, longitude, metres);
    } else {
        //  A raw '+' in a query means a space: coordinates carry none
        request->method = "GET";
        request->url = herd_str_printf (
            "%s/maps/api/place/nearbysearch/json?location=%s,%s&radius=%s"
            "&key=%s",
            base_url, latitude, longitude, metres, escaped);
    }
    free (escaped);
}

void
herd_provider_request_clear (herd_provider_request_t *request)
{
    free (request->url);
    for (int i = 0; i < 4; i++)
        free (request->headers[i]);
    free (request->body);
    memset (request, 0, sizeof (*request));
}

//  Legacy status for an HTTP error (proto/client.md, outcomes table).
static const char *
s_http_status (long code)
{
    if (code == 400)
        return "INVALID_REQUEST";
    if (code == 401 || code == 403)
        return "REQUEST_DENIED";
    if (code == 429)
        return "OVER_QUERY_LIMIT";
    return "UNKNOWN_ERROR";
}

//  The message of an error body, New ({"error": {"message"}}) or legacy
//  ({"error_message"}), or NULL.
static const char *
s_error_message (const cJSON *root)
{
    const cJSON *message =
        cJSON_GetObjectItem (cJSON_GetObjectItem (root, "error"), "message");
    if (!cJSON_IsString (message))
        message = cJSON_GetObjectItem (root, "error_message");
    return cJSON_IsString (message) ? message->valuestring : NULL;
}

//  Copy item's child name to place as new_name, when present.
static void
s_copy (cJSON *place, const char *new_name, const cJSON *item, const char *name)
{
    const cJSON *value = cJSON_GetObjectItem (item, name);
    if (value)
        cJSON_AddItemToObject (place, new_name, cJSON_Duplicate (value, 1));
}

//  One New API place in the legacy shape (proto/client.md, section 5).
static cJSON *
s_legacy_place (const cJSON *place)
{
    cJSON *result = cJSON_CreateObject ();
    const cJSON *status = cJSON_GetObjectItem (place, "businessStatus");
    if (cJSON_IsString (status))
        cJSON_AddStringToObject (result, "business_status",
                                 status->valuestring);
    const cJSON *location = cJSON_GetObjectItem (place, "location");
    if (location) {
        cJSON *geometry = cJSON_AddObjectToObject (result, "geometry");
        cJSON *point = cJSON_AddObjectToObject (geometry, "location");
        s_copy (point, "lat", location, "latitude");
        s_copy (point, "lng", location, "longitude");
    }
    const cJSON *name = cJSON_GetObjectItem (
        cJSON_GetObjectItem (place, "displayName"), "text");
    if (cJSON_IsString (name))
        cJSON_AddStringToObject (result, "name", name->valuestring);
    s_copy (result, "place_id", place, "id");
    s_copy (result, "rating", place, "rating");
    s_copy (result, "types", place, "types");
    s_copy (result, "user_ratings_total", place, "userRatingCount");
    s_copy (result, "vicinity", place, "formattedAddress");
    return result;
}

static cJSON *
s_from_new (const cJSON *root)
{
    const cJSON *places = cJSON_GetObjectItem (root, "places");
    if (cJSON_GetArraySize (places) == 0)
        return herd_json_response ("ZERO_RESULTS", NULL);
    cJSON *legacy = herd_json_response ("OK", NULL);
    cJSON *results = cJSON_GetObjectItem (legacy, "results");
    const cJSON *place;
    cJSON_ArrayForEach (place, places)
        cJSON_AddItemToArray (results, s_legacy_place (place));
    return legacy;
}

//  A legacy body as it came, made whole: the three members always there,
//  error_message whenever the status is neither OK nor ZERO_RESULTS.
static cJSON *
s_from_legacy (cJSON *root)
{
    const cJSON *status = cJSON_GetObjectItem (root, "status");
    const char *text =
        cJSON_IsString (status) ? status->valuestring : "UNKNOWN_ERROR";
    bool fine = streq (text, "OK") || streq (text, "ZERO_RESULTS");
    const char *message = s_error_message (root);
    cJSON *legacy =
        herd_json_response (text, fine      ? NULL
                                  : message ? message
                                            : "upstream gave no reason");
    const char *keys[] = {"html_attributions", "results"};
    for (int i = 0; i < 2; i++) {
        cJSON *item = cJSON_DetachItemFromObject (root, keys[i]);
        if (cJSON_IsArray (item))
            cJSON_ReplaceItemInObject (legacy, keys[i], item);
        else
            cJSON_Delete (item);
    }
    return legacy;
}

cJSON *
herd_provider_answer (herd_provider_t provider,
                      const char *failure,
                      long http_status,
                      const char *body,
                      size_t size,
                      unsigned bound)
{
    if (failure)
        return herd_json_response ("UNKNOWN_ERROR", failure);
    cJSON *root = body ? cJSON_ParseWithLength (body, size) : NULL;
    cJSON *legacy;
    if (http_status != 200) {
        const char *message = root ? s_error_message (root) : NULL;
        char *text = herd_str_printf ("upstream HTTP %ld: %s", http_status,
                                      message ? message : "no message");
        legacy = herd_json_response (s_http_status (http_status), text);
        free (text);
    } else if (!cJSON_IsObject (root))
        legacy =
            herd_json_response ("UNKNOWN_ERROR", "upstream answer is not JSON");
    else if (provider == HERD_PROVIDER_GOOGLE)
        legacy = s_from_new (root);
    else
        legacy = s_from_legacy (root);
    cJSON_Delete (root);
    herd_json_cut (legacy, bound);
    return legacy;
}
