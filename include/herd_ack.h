/*  herd_ack - IAMAT replies held until the neighbours hold the update

    The node that got an IAMAT sends the update to its neighbours, then
    holds the client's reply here until every neighbour whose link was up
    has acknowledged it, or a timeout passes (proto/herd.md, section 4).
    Pure: no clock (callers pass now_ms), no sockets.  Owned by herd_node.  */

#ifndef HERD_ACK_H_INCLUDED
#define HERD_ACK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  A reply waits at most this long for its ACKs, by default (topology
//  setting ack_hold_ms).
#define HERD_ACK_TIMEOUT_MS 100
//  Links an update can wait for: bits 0..63 of a mask.
#define HERD_ACK_LINKS_MAX 64

typedef struct _herd_ack_t herd_ack_t;

//  A held reply is released: every ACK came (complete) or its time is up.
//  reply is valid during the call only.
typedef void (herd_ack_fn) (void *arg,
                            uint64_t connection,
                            uint64_t ticket,
                            const char *reply,
                            size_t size,
                            bool complete);

//  Create an empty set of held replies that releases through fn, each
//  held at most hold_ms.
herd_ack_t *herd_ack_new (int64_t hold_ms, herd_ack_fn *fn, void *arg);

//  Destroy it, dropping what it holds; accepts NULL, sets *self_p to NULL.
void herd_ack_destroy (herd_ack_t **self_p);

//  Hold a copy of reply for update sequence until each link in mask (bit i
//  for link i) has ACKed it, or until now_ms + hold_ms.  Sequences must
//  grow from one call to the next.  mask 0 or hold_ms 0 releases at once.
void herd_ack_hold (herd_ack_t *self,
                    uint64_t sequence,
                    uint64_t mask,
                    uint64_t connection,
                    uint64_t ticket,
                    const char *reply,
                    size_t size,
                    int64_t now_ms);

//  Link link ACKed every update up to sequence (ACKs are cumulative: one
//  link delivers in order); releases the replies it was the last for.
//  ACKs for unknown sequences or links are ignored.
void herd_ack_receive (herd_ack_t *self, uint64_t sequence, size_t link);

//  Link will send no more ACKs (its neighbour left the topology): replies
//  stop waiting for it, and those it was the last for are released (not
//  complete).  Unknown links are ignored.
void herd_ack_forget (herd_ack_t *self, size_t link);

//  Release every reply whose time is up at now_ms.  Returns how many.
size_t herd_ack_expire (herd_ack_t *self, int64_t now_ms);

//  Replies held now.
size_t herd_ack_size (herd_ack_t *self);

#endif
