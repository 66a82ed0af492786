/*  herd_nearby - deterministic, realistic places near any point  */

#include "herd_nearby.h"
#include "herd_json.h"

#include <czmq.h>
#include <math.h>

static const char *s_adjectives[] = {"Golden", "Blue",  "Royal", "Sunset",
                                     "Oak",    "Urban", "Old",   "Little"};
static const struct {
    const char *noun;
    const char *type;
} s_kinds[] = {
    {"Cafe", "cafe"},         {"Bakery", "bakery"},    {"Library", "library"},
    {"Books", "book_store"},  {"Diner", "restaurant"}, {"Park", "park"},
    {"Pharmacy", "pharmacy"}, {"Museum", "museum"},
};
static const char *s_streets[] = {"Main St", "Hill Ave", "Park Blvd",
                                  "Oak St",  "Lake Dr",  "Sunset Blvd"};

//  splitmix64: a well-mixed sequence from one seed.
static uint64_t
s_next (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double
s_round7 (double value)
{
    return round (value * 1e7) / 1e7;
}

static cJSON *
s_point (double latitude, double longitude)
{
    cJSON *point = cJSON_CreateObject ();
    cJSON_AddNumberToObject (point, "lat", s_round7 (latitude));
    cJSON_AddNumberToObject (point, "lng", s_round7 (longitude));
    return point;
}

static cJSON *
s_place (uint64_t *state, size_t index, double latitude, double longitude)
{
    const char *adjective = s_adjectives[s_next (state) % 8];
    size_t kind = s_next (state) % 8;
    char name[64], place_id[40], vicinity[64];
    snprintf (name, sizeof (name), "%s %s", adjective, s_kinds[kind].noun);
    snprintf (place_id, sizeof (place_id), "HerdStub%016" PRIx64 "%02zu",
              s_next (state), index);
    //  One draw per statement: argument order is unspecified in C
    unsigned number = (unsigned) (s_next (state) % 9000 + 100);
    const char *street = s_streets[s_next (state) % 6];
    snprintf (vicinity, sizeof (vicinity), "%u %s", number, street);
    cJSON *place = cJSON_CreateObject ();
    cJSON_AddStringToObject (place, "business_status", "OPERATIONAL");
    cJSON *geometry = cJSON_AddObjectToObject (place, "geometry");
    cJSON_AddItemToObject (geometry, "location", s_point (latitude, longitude));
    cJSON *viewport = cJSON_AddObjectToObject (geometry, "viewport");
    cJSON_AddItemToObject (viewport, "northeast",
                           s_point (latitude + 0.0013, longitude + 0.0013));
    cJSON_AddItemToObject (viewport, "southwest",
                           s_point (latitude - 0.0013, longitude - 0.0013));
    cJSON_AddStringToObject (place, "icon",
                             "https://maps.gstatic.com/mapfiles/place_api/"
                             "icons/v1/png_71/generic_business-71.png");
    cJSON_AddStringToObject (place, "name", name);
    cJSON_AddStringToObject (place, "place_id", place_id);
    cJSON_AddNumberToObject (place, "rating",
                             (double) (30 + s_next (state) % 21) / 10.0);
    cJSON_AddStringToObject (place, "reference", place_id);
    cJSON_AddStringToObject (place, "scope", "GOOGLE");
    cJSON *types = cJSON_AddArrayToObject (place, "types");
    cJSON_AddItemToArray (types, cJSON_CreateString (s_kinds[kind].type));
    cJSON_AddItemToArray (types, cJSON_CreateString ("point_of_interest"));
    cJSON_AddItemToArray (types, cJSON_CreateString ("establishment"));
    cJSON_AddNumberToObject (place, "user_ratings_total",
                             (double) (s_next (state) % 2000));
    cJSON_AddStringToObject (place, "vicinity", vicinity);
    return place;
}

cJSON *
herd_nearby_search (double latitude,
                    double longitude,
                    double metres,
                    size_t count)
{
    //  The seed depends on the point only, so a wider radius shows the same
    //  places spread further out, and a smaller count a prefix of them.
    uint64_t state = 0;
    char key[64];
    snprintf (key, sizeof (key), "%.6f,%.6f", latitude, longitude);
    for (const char *at = key; *at; at++)
        state = state * 131 + (unsigned char) *at;
    uint64_t available = 8 + s_next (&state) % 13;
    if (count > available)
        count = (size_t) available;
    if (count > HERD_NEARBY_MAX)
        count = HERD_NEARBY_MAX;
    if (metres <= 0)
        count = 0;
    cJSON *root = herd_json_response (count ? "OK" : "ZERO_RESULTS", NULL);
    cJSON *results = cJSON_GetObjectItemCaseSensitive (root, "results");
    const double metres_per_degree = 111320.0;
    double cosine = cos (latitude * M_PI / 180.0);
    if (cosine < 0.01)
        cosine = 0.01;
    for (size_t i = 0; i < count; i++) {
        //  Nearest first, all strictly inside the circle
        double distance = metres * (double) (i + 1) / (double) (available + 1);
        double angle = (double) (s_next (&state) % 3600) * M_PI / 1800.0;
        double place_latitude =
            latitude + distance * cos (angle) / metres_per_degree;
        double place_longitude =
            longitude + distance * sin (angle) / (metres_per_degree * cosine);
        cJSON_AddItemToArray (
            results, s_place (&state, i, place_latitude, place_longitude));
    }
    return root;
}
