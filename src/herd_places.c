/*  herd_places - the Places worker  */

#include "herd_places.h"
#include "herd_json.h"
#include "herd_nearby.h"

#include <cJSON.h>

static zframe_t *
s_print (cJSON *root)
{
    size_t size;
    char *text = herd_json_print (root, &size);
    zframe_t *frame = zframe_new (text, size);
    free (text);
    return frame;
}

//  FETCH context latitude longitude metres bound
static void
s_fetch (zsock_t *pipe, zmsg_t *request)
{
    zframe_t *context = zmsg_pop (request);
    char *latitude = zmsg_popstr (request);
    char *longitude = zmsg_popstr (request);
    char *metres = zmsg_popstr (request);
    char *bound = zmsg_popstr (request);
    assert (context && latitude && longitude && metres && bound);
    size_t count = (size_t) atoi (bound);
    double radius = strtod (metres, NULL);
    cJSON *root;
    if (radius <= 0 || count == 0)
        root = herd_json_response ("OK", NULL);  //  No upstream call at all
    else
        root = herd_nearby_search (strtod (latitude, NULL),
                                   strtod (longitude, NULL), radius, count);
    herd_json_cut (root, count);
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "DONE");
    zmsg_append (reply, &context);
    zframe_t *json = s_print (root);
    zmsg_append (reply, &json);
    zmsg_send (&reply, pipe);
    cJSON_Delete (root);
    free (latitude);
    free (longitude);
    free (metres);
    free (bound);
}

void
herd_places_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;  //  Interrupted
        char *command = zmsg_popstr (msg);
        bool stop = !command || streq (command, "$TERM");
        if (command && streq (command, "FETCH"))
            s_fetch (pipe, msg);
        free (command);
        zmsg_destroy (&msg);
        if (stop)
            break;
    }
}

int
herd_places_fetch (zactor_t *actor,
                   const void *context,
                   size_t context_size,
                   const char *latitude,
                   const char *longitude,
                   const char *metres,
                   unsigned bound)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "FETCH");
    zmsg_addmem (msg, context, context_size);
    zmsg_addstr (msg, latitude);
    zmsg_addstr (msg, longitude);
    zmsg_addstr (msg, metres);
    zmsg_addstrf (msg, "%u", bound);
    //  The node's side of the pipe has SNDTIMEO 0: a full queue is EAGAIN
    if (zmsg_send (&msg, actor) == -1) {
        zmsg_destroy (&msg);
        return -1;
    }
    return 0;
}

int
herd_places_receive (zactor_t *actor, zframe_t **context, zframe_t **json)
{
    zmsg_t *msg = zmsg_recv_nowait (actor);
    if (!msg)
        return -1;
    int rc = -1;
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "DONE") && zmsg_size (msg) == 2) {
        *context = zmsg_pop (msg);
        *json = zmsg_pop (msg);
        rc = 0;
    }
    free (command);
    zmsg_destroy (&msg);
    return rc;
}

char *
herd_places_refusal (const char *status, const char *message, size_t *size_p)
{
    cJSON *root = herd_json_response (status, message);
    char *text = herd_json_print (root, size_p);
    cJSON_Delete (root);
    return text;
}
