/*  herd_keys - CURVE certificates of the herd's members (proto/herd.md,
    section 7)

    A herd with keys_dir set runs its links over CURVE.  keys_dir holds,
    for each node NAME, NAME.key (its public certificate, with metadata
    name = NAME) and NAME.key_secret (its secret certificate, needed only
    on the machine that runs NAME).  zauth admits exactly the public
    certificates of keys_dir, and the node checks that the name bound to
    the key is the routing id a peer claims.  */

#ifndef HERD_KEYS_H_INCLUDED
#define HERD_KEYS_H_INCLUDED

#include "herd_topo.h"

#include <czmq.h>

//  Write a certificate pair for every node of topo into its keys_dir;
//  nodes that have one keep it unless force.  Says what it did on out.
//  Returns the number of pairs written, or -1 (having said why on stderr).
int herd_keys_generate (herd_topo_t *topo, bool force, FILE *out);

//  The secret certificate of node name in directory, or NULL.  Caller owns
//  return value and must destroy it.
zcert_t *herd_keys_secret (const char *directory, const char *name);

//  The public key (Z85, 40 characters) of node name in directory, or NULL.
//  Caller owns return value and must free it.
char *herd_keys_public (const char *directory, const char *name);

#endif
