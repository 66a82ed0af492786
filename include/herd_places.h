/*  herd_places - the Places worker: a zactor that answers Nearby Searches
    without ever blocking the node

    The node sends FETCH with an opaque context frame; the actor answers
    DONE with the same context and the JSON the client will see, already
    cut to the bound and printed in Google's legacy layout.  With a url the
    actor asks that provider over libcurl multi, many requests at once
    (herd_provider builds them and reads the answers); without one it makes
    up offline places itself (herd_nearby).  Owned by herd_node.  */

#ifndef HERD_PLACES_H_INCLUDED
#define HERD_PLACES_H_INCLUDED

#include <czmq.h>

//  Requests queued to the actor before the node answers OVER_QUERY_LIMIT.
#define HERD_PLACES_QUEUE_MAX 10000
//  Largest upstream body read; more is an error.
#define HERD_PLACES_BODY_MAX (4 * 1024 * 1024)

//  The status of an answer (proto/places.md); every other one is OTHER.
typedef enum {
    HERD_PLACES_OK,
    HERD_PLACES_ZERO_RESULTS,
    HERD_PLACES_INVALID_REQUEST,
    HERD_PLACES_REQUEST_DENIED,
    HERD_PLACES_OVER_QUERY_LIMIT,
    HERD_PLACES_UNKNOWN_ERROR,
    HERD_PLACES_OTHER,
} herd_places_status_t;
#define HERD_PLACES_STATUSES (HERD_PLACES_OTHER + 1)

//  The status's name: "OK", ..., "UNKNOWN_ERROR", and "other".
const char *herd_places_status_name (herd_places_status_t status);

//  The status named name (OTHER for any other name, or NULL).
herd_places_status_t herd_places_status_parse (const char *name);

//  What the actor asks and how (proto/places.md).  Copied by the actor
//  before zactor_new returns, so it may live on the caller's stack.
typedef struct {
    const char *provider;  //  "stub", "google", "google-legacy"
    const char *url;       //  Base URL; NULL: offline, in-process
    const char *key;       //  API key, or NULL
    long timeout_ms;       //  Whole request, queueing in curl included
    long connect_timeout_ms;
    long max_in_flight;    //  Upstream requests at once; more wait
    long rate_per_second;  //  Upstream requests started per second
    int *thread;           //  If not NULL, set to the actor's thread id
} herd_places_config_t;

//  The actor.  Create it with zactor_new (herd_places_actor, &config)
//  after zsys_set_pipehwm (HERD_PLACES_QUEUE_MAX), and after
//  curl_global_init in main; then zsock_set_sndtimeo (actor, 0), so that
//  herd_places_fetch and herd_places_stop refuse when the queue is full
//  instead of waiting.
void herd_places_actor (zsock_t *pipe, void *args);

//  After zactor_destroy: wait, at most timeout_ms, until the actor's thread
//  (config's thread) has gone.  czmq's actor threads are detached, and
//  this one runs below the node's priority (it may not have finished
//  leaving when the node's last thread ends, and the process exits).
void herd_places_join (int thread, int timeout_ms);

//  Ask, without blocking: latitude and longitude as plain decimals, radius
//  in metres, bound 0..20.  context comes back untouched.  Returns 0, or
//  -1 if the actor's queue is full.
int herd_places_fetch (zactor_t *actor,
                       const void *context,
                       size_t context_size,
                       const char *latitude,
                       const char *longitude,
                       const char *metres,
                       unsigned bound);

//  The node is stopping: the actor answers every request it holds, and
//  every later one, UNKNOWN_ERROR "herd: node shutting down", then says
//  STOPPED.  Does not block; returns 0, or -1 if the queue is full.
int herd_places_stop (zactor_t *actor);

//  An answer, as herd_places_receive gives it.
typedef struct {
    zframe_t *context;            //  As given to herd_places_fetch
    zframe_t *json;               //  What the client will see
    herd_places_status_t status;  //  The JSON's status
} herd_places_answer_t;

//  Read one message.  Returns 0 with an answer (its frames are the
//  caller's, to destroy); 1 when the actor says STOPPED; 2 when a message
//  that is not an answer came (dropped); -1 if none was waiting.
int herd_places_receive (zactor_t *actor, herd_places_answer_t *answer);

//  The JSON for a request refused before reaching upstream: a legacy
//  response with no results, status and error_message.  Caller owns return
//  value and must free it; *size_p gets its length.
char *
herd_places_refusal (const char *status, const char *message, size_t *size_p);

#endif
