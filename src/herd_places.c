/*  herd_places - the Places worker  */

#include "herd_places.h"
#include "herd_str.h"
#include "herd_json.h"
#include "herd_nearby.h"
#include "herd_provider.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

//  The worker's niceness, above the node's loop: its work waits on an
//  upstream hundreds of milliseconds away, the loop's (an IAMAT's reply,
//  the ACKs a neighbour waits for) does not.  On a busy machine the loop
//  then gets the processor first: IAMAT p99 beside 1,000 WHATSATs in
//  flight went from 6 ms to under 5 (README, benchmarks), while the worker
//  still gets a tenth of a contended processor, so WHATSATs go on.
#define S_NICE 10

static zframe_t *
s_print (cJSON *root)
{
    size_t size;
    char *text = herd_json_print (root, &size);
    zframe_t *frame = zframe_new (text, size);
    free (text);
    return frame;
}

//  One upstream call.
typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    herd_provider_request_t request;
    zframe_t *context;  //  Comes back with the answer
    unsigned bound;
    char *body;  //  What came back so far
    size_t size;
    bool too_big;
    void *handle;  //  In the actor's running list
} s_call_t;

//  The actor's state: configuration and the calls under way.
typedef struct {
    zsock_t *pipe;
    herd_provider_t provider;
    char *url;  //  NULL: offline
    char *key;
    long timeout_ms;
    long connect_timeout_ms;
    long max_in_flight;
    CURLM *multi;
    zlistx_t *waiting;  //  s_call_t not started: max_in_flight reached
    zlistx_t *running;  //  s_call_t in curl's hands
    double rate;        //  Upstream requests per second at most
    double tokens;      //  Requests that may start now
    int64_t refilled;   //  When tokens was last topped up
    bool stopping;      //  STOP came: every request is answered at once
    int epoll_fd;       //  The pipe and curl's sockets
    int64_t curl_due;   //  When curl wants its timeout action; -1: never
} s_places_t;

//  curl says which of its sockets to watch, and for what: they go into our
//  epoll set, so a wait costs O(sockets ready), not O(requests in flight).
static int
s_on_socket (CURL *easy, curl_socket_t fd, int what, void *arg, void *socket)
{
    (void) easy;
    (void) socket;
    s_places_t *self = (s_places_t *) arg;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event event = {.events =
                                    ((what & CURL_POLL_IN) ? EPOLLIN : 0u)
                                    | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
                                .data.fd = fd};
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, fd, &event) == -1
        && errno == ENOENT)
        epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    return 0;
}

//  curl says when it next needs to act on its own (timeouts, retries).
static int
s_on_timer (CURLM *multi, long timeout_ms, void *arg)
{
    (void) multi;
    s_places_t *self = (s_places_t *) arg;
    self->curl_due = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    return 0;
}

static void
s_call_destroy (void **item)
{
    s_call_t *call = (s_call_t *) *item;
    if (call) {
        curl_easy_cleanup (call->easy);
        curl_slist_free_all (call->headers);
        herd_provider_request_clear (&call->request);
        zframe_destroy (&call->context);
        free (call->body);
        free (call);
        *item = NULL;
    }
}

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_call_t *call = (s_call_t *) arg;
    size_t more = size * count;
    if (call->size + more > HERD_PLACES_BODY_MAX) {
        call->too_big = true;
        return 0;  //  Aborts the transfer
    }
    char *body = (char *) realloc (call->body, call->size + more + 1);
    assert (body);
    memcpy (body + call->size, data, more);
    call->body = body;
    call->size += more;
    return more;
}

static const char *s_statuses[] = {"OK",
                                   "ZERO_RESULTS",
                                   "INVALID_REQUEST",
                                   "REQUEST_DENIED",
                                   "OVER_QUERY_LIMIT",
                                   "UNKNOWN_ERROR",
                                   "other"};

const char *
herd_places_status_name (herd_places_status_t status)
{
    return status < HERD_PLACES_STATUSES ? s_statuses[status] : "other";
}

herd_places_status_t
herd_places_status_parse (const char *name)
{
    for (int i = 0; name && i < HERD_PLACES_OTHER; i++)
        if (streq (name, s_statuses[i]))
            return (herd_places_status_t) i;
    return HERD_PLACES_OTHER;
}

//  DONE context status json: the status as data, one byte, so that the
//  node never has to find it again in the printed JSON.
static void
s_answer (s_places_t *self, zframe_t **context, cJSON *root)
{
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "DONE");
    zmsg_append (reply, context);
    cJSON *status = cJSON_GetObjectItemCaseSensitive (root, "status");
    byte code = (byte) herd_places_status_parse (cJSON_GetStringValue (status));
    zmsg_addmem (reply, &code, 1);
    zframe_t *json = s_print (root);
    zmsg_append (reply, &json);
    zmsg_send (&reply, self->pipe);
    cJSON_Delete (root);
}

static void
s_start (s_places_t *self, s_call_t *call)
{
    CURL *easy = call->easy;
    curl_easy_setopt (easy, CURLOPT_URL, call->request.url);
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS,
                      self->connect_timeout_ms);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, call);
    curl_easy_setopt (easy, CURLOPT_PRIVATE, call);
    for (int i = 0; call->request.headers[i]; i++)
        call->headers =
            curl_slist_append (call->headers, call->request.headers[i]);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, call->headers);
    if (call->request.body)
        curl_easy_setopt (easy, CURLOPT_POSTFIELDS, call->request.body);
    curl_multi_add_handle (self->multi, easy);
    call->handle = zlistx_add_end (self->running, call);
}

//  Start waiting calls, oldest first, while both the in-flight cap and
//  the rate cap allow (a token bucket holding one second of requests).
static void
s_pump (s_places_t *self)
{
    int64_t now = zclock_mono ();
    self->tokens += (double) (now - self->refilled) * self->rate / 1000.0;
    if (self->tokens > self->rate)
        self->tokens = self->rate;
    self->refilled = now;
    while ((long) zlistx_size (self->running) < self->max_in_flight
           && zlistx_size (self->waiting) > 0 && self->tokens >= 1.0) {
        self->tokens -= 1.0;
        s_start (self, (s_call_t *) zlistx_detach (self->waiting, NULL));
    }
}

//  How long curl may wait: until the next token, if calls wait for one.
static int
s_wait_ms (s_places_t *self)
{
    if (zlistx_size (self->waiting) == 0
        || (long) zlistx_size (self->running) >= self->max_in_flight
        || self->tokens >= 1.0)
        return 1000;
    int ms = (int) ((1.0 - self->tokens) * 1000.0 / self->rate) + 1;
    return ms < 1000 ? ms : 1000;
}

static cJSON *
s_shutting_down (void)
{
    return herd_json_response ("UNKNOWN_ERROR", "herd: node shutting down");
}

//  STOP: the node is stopping.  Every call under way or waiting is
//  answered now, and so is every later FETCH; then STOPPED tells the node
//  that nothing more will come.
static void
s_stop (s_places_t *self)
{
    self->stopping = true;
    zlistx_t *lists[] = {self->running, self->waiting};
    for (int i = 0; i < 2; i++) {
        s_call_t *call;
        while ((call = (s_call_t *) zlistx_detach (lists[i], NULL))) {
            if (i == 0)
                curl_multi_remove_handle (self->multi, call->easy);
            s_answer (self, &call->context, s_shutting_down ());
            void *item = call;
            s_call_destroy (&item);
        }
    }
    zstr_send (self->pipe, "STOPPED");
}

//  FETCH context latitude longitude metres bound
static void
s_fetch (s_places_t *self, zmsg_t *request)
{
    zframe_t *context = zmsg_pop (request);
    char *latitude = zmsg_popstr (request);
    char *longitude = zmsg_popstr (request);
    char *metres = zmsg_popstr (request);
    char *bound = zmsg_popstr (request);
    assert (context && latitude && longitude && metres && bound);
    unsigned count = (unsigned) atoi (bound);
    double radius = strtod (metres, NULL);
    if (self->stopping)
        s_answer (self, &context, s_shutting_down ());
    else if (radius <= 0 || count == 0)  //  No upstream call at all
        s_answer (self, &context, herd_json_response ("OK", NULL));
    else if (!self->url) {
        cJSON *root = herd_nearby_search (
            strtod (latitude, NULL), strtod (longitude, NULL), radius, count);
        herd_json_cut (root, count);
        s_answer (self, &context, root);
    } else {
        s_call_t *call = (s_call_t *) zmalloc (sizeof (s_call_t));
        call->easy = curl_easy_init ();
        call->context = context;
        call->bound = count;
        herd_provider_request (self->provider, self->url, self->key, latitude,
                               longitude, metres, count, &call->request);
        zlistx_add_end (self->waiting, call);
        s_pump (self);
    }
    free (latitude);
    free (longitude);
    free (metres);
    free (bound);
}

//  Answer every finished call, then start waiting ones in their place.
static void
s_finish (s_places_t *self)
{
    CURLMsg *info;
    int left;
    while ((info = curl_multi_info_read (self->multi, &left))) {
        if (info->msg != CURLMSG_DONE)
            continue;
        s_call_t *call = NULL;
        curl_easy_getinfo (info->easy_handle, CURLINFO_PRIVATE, &call);
        curl_multi_remove_handle (self->multi, info->easy_handle);
        zlistx_detach (self->running, call->handle);
        char failure[160] = "";
        long status = 0;
        if (info->data.result == CURLE_OPERATION_TIMEDOUT)
            snprintf (failure, sizeof (failure),
                      "upstream timeout after %ld ms", self->timeout_ms);
        else if (call->too_big)
            snprintf (failure, sizeof (failure),
                      "upstream answer over %d bytes", HERD_PLACES_BODY_MAX);
        else if (info->data.result != CURLE_OK)
            snprintf (failure, sizeof (failure), "upstream failed: %s",
                      curl_easy_strerror (info->data.result));
        else
            curl_easy_getinfo (call->easy, CURLINFO_RESPONSE_CODE, &status);
        cJSON *root =
            herd_provider_answer (self->provider, *failure ? failure : NULL,
                                  status, call->body, call->size, call->bound);
        s_answer (self, &call->context, root);
        void *item = call;
        s_call_destroy (&item);
    }
    s_pump (self);
}

//  Commands first, whenever there are any (ZMQ_FD only signals edges, so
//  ZMQ_EVENTS is checked before every wait), then curl's sockets that are
//  ready and its timeouts.  Returns false on $TERM.
static bool
s_turn (s_places_t *self)
{
    while (zsock_events (self->pipe) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        if (!msg)
            return false;
        char *command = zmsg_popstr (msg);
        bool stop = !command || streq (command, "$TERM");
        if (command && streq (command, "FETCH"))
            s_fetch (self, msg);
        else if (command && streq (command, "STOP"))
            s_stop (self);
        free (command);
        zmsg_destroy (&msg);
        if (stop)
            return false;
    }
    //  Calls just added want their first action now (curl_due is 0)
    int running;
    if (self->curl_due != -1 && self->curl_due <= zclock_mono ()) {
        self->curl_due = -1;
        curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0,
                                  &running);
        s_finish (self);
    }
    if (zsock_events (self->pipe) & ZMQ_POLLIN)
        return true;
    int wait = s_wait_ms (self);
    if (self->curl_due != -1) {
        int64_t until = self->curl_due - zclock_mono ();
        if (until < wait)
            wait = until < 0 ? 0 : (int) until;
    }
    struct epoll_event events[64];
    int count = epoll_wait (self->epoll_fd, events, 64, wait);
    for (int i = 0; i < count; i++) {
        if (events[i].data.fd == zsock_fd (self->pipe))
            continue;  //  Read at the top of the next turn
        int flags =
            ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0)
            | ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
            | ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR
                                                          : 0);
        curl_multi_socket_action (self->multi, events[i].data.fd, flags,
                                  &running);
    }
    s_finish (self);
    s_pump (self);
    return true;
}

void
herd_places_actor (zsock_t *pipe, void *args)
{
    const herd_places_config_t *config = (const herd_places_config_t *) args;
    //  This thread only (Linux: a thread's niceness is its own)
    setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), S_NICE);
    s_places_t self = {0};
    self.pipe = pipe;
    if (herd_provider_parse (config->provider, &self.provider))
        self.provider = HERD_PROVIDER_STUB;
    self.url = config->url ? herd_str_dup (config->url) : NULL;
    self.key = config->key ? herd_str_dup (config->key) : NULL;
    self.timeout_ms = config->timeout_ms;
    self.connect_timeout_ms = config->connect_timeout_ms;
    self.max_in_flight = config->max_in_flight > 0 ? config->max_in_flight : 1;
    self.rate = config->rate_per_second > 0 ? config->rate_per_second : 1;
    self.tokens = self.rate;
    self.refilled = zclock_mono ();
    self.multi = curl_multi_init ();
    self.epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    self.curl_due = -1;
    curl_multi_setopt (self.multi, CURLMOPT_SOCKETFUNCTION, s_on_socket);
    curl_multi_setopt (self.multi, CURLMOPT_SOCKETDATA, &self);
    curl_multi_setopt (self.multi, CURLMOPT_TIMERFUNCTION, s_on_timer);
    curl_multi_setopt (self.multi, CURLMOPT_TIMERDATA, &self);
    struct epoll_event pipe_event = {.events = EPOLLIN,
                                     .data.fd = zsock_fd (pipe)};
    epoll_ctl (self.epoll_fd, EPOLL_CTL_ADD, zsock_fd (pipe), &pipe_event);
    self.waiting = zlistx_new ();
    zlistx_set_destructor (self.waiting, s_call_destroy);
    self.running = zlistx_new ();
    zlistx_set_destructor (self.running, s_call_destroy);
    if (config->thread)
        *config->thread = (int) syscall (SYS_gettid);
    zsock_signal (pipe, 0);  //  config is the caller's: not used after this
    while (s_turn (&self))
        ;
    //  Stopping: calls under way are dropped; their clients are gone too
    for (s_call_t *call = (s_call_t *) zlistx_first (self.running); call;
         call = (s_call_t *) zlistx_next (self.running))
        curl_multi_remove_handle (self.multi, call->easy);
    zlistx_destroy (&self.running);
    zlistx_destroy (&self.waiting);
    curl_multi_cleanup (self.multi);
    close (self.epoll_fd);
    free (self.url);
    free (self.key);
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
herd_places_stop (zactor_t *actor)
{
    return zstr_send (actor, "STOP");
}

void
herd_places_join (int thread, int timeout_ms)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/self/task/%d", thread);
    for (int waited = 0; thread > 0 && waited < timeout_ms; waited++) {
        if (access (path, F_OK))
            return;
        zclock_sleep (1);
    }
}

int
herd_places_receive (zactor_t *actor, herd_places_answer_t *answer)
{
    assert (answer);
    zmsg_t *msg = zmsg_recv_nowait (actor);
    if (!msg)
        return -1;
    int rc = 2;
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "DONE") && zmsg_size (msg) == 3) {
        answer->context = zmsg_pop (msg);
        zframe_t *status = zmsg_pop (msg);
        answer->status = zframe_size (status) == 1
                             ? (herd_places_status_t) *zframe_data (status)
                             : HERD_PLACES_OTHER;
        if (answer->status >= HERD_PLACES_STATUSES)
            answer->status = HERD_PLACES_OTHER;
        zframe_destroy (&status);
        answer->json = zmsg_pop (msg);
        rc = 0;
    } else if (command && streq (command, "STOPPED"))
        rc = 1;
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
