/*  herd_stub - the offline Places server's answers  */

#include "herd_stub.h"
#include "herd_str.h"
#include "herd_json.h"
#include "herd_nearby.h"

#include <cJSON.h>
#include <czmq.h>

//  Keys starting with this choose a fault (proto/places.md).
#define S_FAULT "stub-"

static void
s_set (herd_stub_response_t *response, int status, cJSON *body)
{
    response->status = status;
    response->body = cJSON_PrintUnformatted (body);
    response->size = strlen (response->body);
    cJSON_Delete (body);
}

//  The New API's error shape (google.rpc.Status over HTTP).
static void
s_new_error (herd_stub_response_t *response,
             int code,
             const char *status,
             const char *message)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON *error = cJSON_AddObjectToObject (root, "error");
    cJSON_AddNumberToObject (error, "code", code);
    cJSON_AddStringToObject (error, "message", message);
    cJSON_AddStringToObject (error, "status", status);
    s_set (response, code, root);
}

//  Faults chosen by the key; true if the key chose one and it is set.
static bool
s_fault (const char *key, herd_stub_response_t *response)
{
    if (!key || strncmp (key, S_FAULT, strlen (S_FAULT)) != 0)
        return false;
    const char *fault = key + strlen (S_FAULT);
    if (strncmp (fault, "slow-", 5) == 0) {
        response->delay_ms += atoi (fault + 5);
        return false;  //  Then answer normally
    }
    if (streq (fault, "hang")) {
        response->status = 0;
        return true;
    }
    if (streq (fault, "garbage")) {
        response->status = 200;
        response->body = herd_str_dup ("<html>this is not JSON");
        response->size = strlen (response->body);
        return true;
    }
    if (strncmp (fault, "fail-", 5) == 0) {
        int code = atoi (fault + 5);
        s_new_error (response, code >= 400 && code <= 599 ? code : 500,
                     "UNAVAILABLE", "stub: injected failure");
        return true;
    }
    return false;
}

//  Value of name in a query string, URL-decoded.  Caller owns it.
static char *
s_query (const char *target, const char *name)
{
    const char *query = strchr (target, '?');
    size_t size = strlen (name);
    for (const char *at = query; at && *at; at = strchr (at + 1, '&')) {
        const char *item = at + 1;
        if (strncmp (item, name, size) != 0 || item[size] != '=')
            continue;
        const char *value = item + size + 1;
        size_t length = strcspn (value, "&");
        char *decoded = (char *) zmalloc (length + 1);
        size_t out = 0;
        for (size_t i = 0; i < length; i++) {
            unsigned hex;
            if (value[i] == '%' && i + 2 < length
                && sscanf (value + i + 1, "%2x", &hex) == 1) {
                decoded[out++] = (char) hex;
                i += 2;
            } else
                decoded[out++] = value[i] == '+' ? ' ' : value[i];
        }
        return decoded;
    }
    return NULL;
}

static void
s_legacy (const herd_stub_request_t *request, herd_stub_response_t *response)
{
    char *key = s_query (request->target, "key");
    char *location = s_query (request->target, "location");
    char *radius = s_query (request->target, "radius");
    double latitude, longitude;
    if (s_fault (key, response)) {
        //  The fault is the answer
    } else if (!key || !*key)
        s_set (response, 200,
               herd_json_response ("REQUEST_DENIED",
                                   "You must use an API key to authenticate "
                                   "each request to Google Maps Platform "
                                   "APIs."));
    else if (!location || !radius
             || sscanf (location, "%lf,%lf", &latitude, &longitude) != 2)
        s_set (response, 200,
               herd_json_response ("INVALID_REQUEST",
                                   "Missing the location or radius "
                                   "parameter."));
    else {
        //  Google clamps the radius to 50 km
        double metres = atof (radius);
        s_set (response, 200,
               herd_nearby_search (latitude, longitude,
                                   metres > 50000 ? 50000 : metres,
                                   HERD_NEARBY_MAX));
    }
    free (key);
    free (location);
    free (radius);
}

//  Is field ("displayName") asked for by the mask ("places.id,...")?
static bool
s_masked (const char *mask, const char *field)
{
    if (streq (mask, "*") || streq (mask, "places"))
        return true;
    char *wanted = herd_str_printf ("places.%s", field);
    bool found = false;
    for (const char *at = mask; at && *at && !found;) {
        size_t length = strcspn (at, ",");
        found = length == strlen (wanted) && strncmp (at, wanted, length) == 0;
        at = at[length] ? at + length + 1 : NULL;
        while (at && *at == ' ')
            at++;
    }
    free (wanted);
    return found;
}

static void
s_add_masked (cJSON *place, const char *mask, const char *field, cJSON *value)
{
    if (s_masked (mask, field))
        cJSON_AddItemToObject (place, field, value);
    else
        cJSON_Delete (value);
}

//  One legacy result in the New API's shape.
static cJSON *
s_new_place (const cJSON *result, const char *mask)
{
    cJSON *place = cJSON_CreateObject ();
    const cJSON *location = cJSON_GetObjectItem (
        cJSON_GetObjectItem (result, "geometry"), "location");
    const char *id =
        cJSON_GetStringValue (cJSON_GetObjectItem (result, "place_id"));
    char *resource = herd_str_printf ("places/%s", id);
    s_add_masked (place, mask, "name", cJSON_CreateString (resource));
    free (resource);
    s_add_masked (place, mask, "id", cJSON_CreateString (id));
    cJSON *types = cJSON_Duplicate (cJSON_GetObjectItem (result, "types"), 1);
    s_add_masked (place, mask, "types", types);
    char *address = herd_str_printf (
        "%s, Stubville",
        cJSON_GetStringValue (cJSON_GetObjectItem (result, "vicinity")));
    s_add_masked (place, mask, "formattedAddress",
                  cJSON_CreateString (address));
    free (address);
    cJSON *point = cJSON_CreateObject ();
    cJSON_AddNumberToObject (
        point, "latitude",
        cJSON_GetNumberValue (cJSON_GetObjectItem (location, "lat")));
    cJSON_AddNumberToObject (
        point, "longitude",
        cJSON_GetNumberValue (cJSON_GetObjectItem (location, "lng")));
    s_add_masked (place, mask, "location", point);
    s_add_masked (place, mask, "rating",
                  cJSON_Duplicate (cJSON_GetObjectItem (result, "rating"), 0));
    s_add_masked (place, mask, "userRatingCount",
                  cJSON_Duplicate (
                      cJSON_GetObjectItem (result, "user_ratings_total"), 0));
    s_add_masked (place, mask, "businessStatus",
                  cJSON_CreateString ("OPERATIONAL"));
    cJSON *name = cJSON_CreateObject ();
    cJSON_AddStringToObject (
        name, "text",
        cJSON_GetStringValue (cJSON_GetObjectItem (result, "name")));
    cJSON_AddStringToObject (name, "languageCode", "en");
    s_add_masked (place, mask, "displayName", name);
    return place;
}

static void
s_new (const herd_stub_request_t *request, herd_stub_response_t *response)
{
    if (s_fault (request->api_key, response))
        return;
    if (!request->api_key || !*request->api_key) {
        s_new_error (response, 403, "PERMISSION_DENIED",
                     "The request is missing a valid API key.");
        return;
    }
    if (!request->field_mask || !*request->field_mask) {
        s_new_error (response, 400, "INVALID_ARGUMENT",
                     "FieldMask is a required parameter. See "
                     "https://cloud.google.com/apis/docs/system-parameters "
                     "on how to provide it.");
        return;
    }
    cJSON *body = cJSON_ParseWithLength (request->body, request->body_size);
    const cJSON *circle = cJSON_GetObjectItem (
        cJSON_GetObjectItem (body, "locationRestriction"), "circle");
    const cJSON *center = cJSON_GetObjectItem (circle, "center");
    const cJSON *latitude = cJSON_GetObjectItem (center, "latitude");
    const cJSON *longitude = cJSON_GetObjectItem (center, "longitude");
    const cJSON *radius = cJSON_GetObjectItem (circle, "radius");
    const cJSON *count = cJSON_GetObjectItem (body, "maxResultCount");
    double metres = cJSON_IsNumber (radius) ? radius->valuedouble : -1;
    double wanted = count ? cJSON_GetNumberValue (count) : HERD_NEARBY_MAX;
    if (!cJSON_IsNumber (latitude) || !cJSON_IsNumber (longitude))
        s_new_error (response, 400, "INVALID_ARGUMENT",
                     "locationRestriction.circle.center is required.");
    else if (metres < 0 || metres > 50000)
        s_new_error (response, 400, "INVALID_ARGUMENT",
                     "Invalid radius: must be within [0.0, 50000.0].");
    else if (!(wanted >= 1 && wanted <= HERD_NEARBY_MAX))
        s_new_error (response, 400, "INVALID_ARGUMENT",
                     "maxResultCount must be between 1 and 20, inclusively.");
    else {
        cJSON *legacy =
            herd_nearby_search (latitude->valuedouble, longitude->valuedouble,
                                metres, (size_t) wanted);
        cJSON *root = cJSON_CreateObject ();
        const cJSON *results = cJSON_GetObjectItem (legacy, "results");
        //  proto3 JSON leaves out an empty list: no match is {}
        if (cJSON_GetArraySize (results) > 0) {
            cJSON *places = cJSON_AddArrayToObject (root, "places");
            const cJSON *result;
            cJSON_ArrayForEach (result, results) cJSON_AddItemToArray (
                places, s_new_place (result, request->field_mask));
        }
        cJSON_Delete (legacy);
        s_set (response, 200, root);
    }
    cJSON_Delete (body);
}

void
herd_stub_answer (const herd_stub_request_t *request,
                  int delay_ms,
                  herd_stub_response_t *response)
{
    memset (response, 0, sizeof (*response));
    response->delay_ms = delay_ms;
    size_t path = strcspn (request->target, "?");
    bool legacy =
        strlen (HERD_STUB_LEGACY_PATH) == path
        && strncmp (request->target, HERD_STUB_LEGACY_PATH, path) == 0;
    bool nearby = streq (request->target, HERD_STUB_NEW_PATH);
    if (legacy && streq (request->method, "GET"))
        s_legacy (request, response);
    else if (nearby && streq (request->method, "POST"))
        s_new (request, response);
    else if (legacy || nearby) {
        s_new_error (response, 405, "METHOD_NOT_ALLOWED", "Wrong method.");
    } else
        s_new_error (response, 404, "NOT_FOUND", "No such endpoint.");
}

void
herd_stub_response_clear (herd_stub_response_t *response)
{
    free (response->body);
    response->body = NULL;
    response->size = 0;
}
