/*  herd_tap - the node's tap: its log records on an XPUB socket
    (proto/monitor.md, section 1)

    Records are held per kind and published at each flush as one message
    per kind: the topic "NODE KIND", then the records joined by LF.  One
    message for a turn's worth of records costs the node and its listeners
    far less than one message each.  The tap never blocks: a listener that
    falls behind loses messages.  Owned by herd_node, used from its loop.  */

#ifndef HERD_TAP_H_INCLUDED
#define HERD_TAP_H_INCLUDED

#include <czmq.h>

typedef struct _herd_tap_t herd_tap_t;

//  Bind an XPUB on endpoint for node.  Returns NULL (errno set) if it
//  cannot bind.
herd_tap_t *herd_tap_new (const char *endpoint, const char *node);

//  Close the socket (what is held is dropped); accepts NULL.
void herd_tap_destroy (herd_tap_t **self_p);

//  Hold a record ("TIME NODE LEVEL KIND ...", no LF) for the next flush.
void herd_tap_record (herd_tap_t *self, const char *record, size_t size);

//  Publish what is held.
void herd_tap_flush (herd_tap_t *self);

//  Read the subscriptions that came and went; true while anyone listens.
bool herd_tap_listened (herd_tap_t *self);

#endif
