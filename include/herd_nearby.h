/*  herd_nearby - deterministic, realistic places near any point

    Answers a Nearby Search with made-up places that all lie inside the
    radius, nearest first, the same every time for the same question.  The
    offline Places provider and stub use it; nothing here is real.  Pure.  */

#ifndef HERD_NEARBY_H_INCLUDED
#define HERD_NEARBY_H_INCLUDED

#include <cJSON.h>
#include <stddef.h>

//  Places a search can return at most (Google's page size).
#define HERD_NEARBY_MAX 20

//  A legacy Nearby Search response (html_attributions, results, status OK or
//  ZERO_RESULTS) for the point at latitude, longitude (degrees) within
//  metres, with at most count results.  Caller owns return value and must
//  cJSON_Delete it.
cJSON *herd_nearby_search (double latitude,
                           double longitude,
                           double metres,
                           size_t count);

#endif
