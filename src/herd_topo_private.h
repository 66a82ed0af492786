/*  herd_topo_private - what herd_topo.c and herd_topo_settings.c share  */

#ifndef HERD_TOPO_PRIVATE_H_INCLUDED
#define HERD_TOPO_PRIVATE_H_INCLUDED

#include "herd_topo.h"
#include "herd_zpl.h"

#include <czmq.h>

typedef struct {
    const char *name;           //  Node name (owned by the zconfig tree)
    char *client_host;          //  Host part of client, no brackets
    uint16_t client_port;       //  Port part of client
    const char *client;         //  Client endpoint as written
    const char *herd;           //  Herd endpoint as written
    char *client_bind_host;     //  What the front end binds: client_bind,
    uint16_t client_bind_port;  //  else client
    const char *bind;           //  What the inbox binds: bind, else herd
    zconfig_t *section;         //  This node's section
    size_t neighbours[HERD_TOPO_NODES_MAX];  //  Indices, link order
    size_t neighbour_count;
} herd_topo_node_t;

struct _herd_topo_t {
    herd_zpl_t *zpl;          //  The parsed file, with its lines
    zconfig_t *root;          //  Its tree (owned by zpl)
    herd_topo_node_t *nodes;  //  In file order
    size_t node_count;
    char *where;           //  The file's name in errors, "<string>" if none
    zlistx_t *error_list;  //  Of this load, in line order
    char *errors;          //  Joined, once asked for; NULL until then
    bool failed;
};

//  Add an error line (printf format) about item, "FILE:LINE: what" (or
//  "FILE: what" if item is NULL or its line unknown), and mark the load
//  failed.
void
herd_topo_error (herd_topo_t *self, zconfig_t *item, const char *format, ...)
    CHECK_PRINTF (3);

//  Of two items (either may be NULL), the one on the later line.
zconfig_t *herd_topo_later (herd_topo_t *self, zconfig_t *one, zconfig_t *two);

//  Read a decimal number of no sign; false if text is not one.
bool herd_topo_parse_number (const char *text, int64_t *value);

//  Is key a setting (proto/topology.md, Settings)?
bool herd_topo_is_setting (const char *key);

//  Check one setting item of the herd section or of a node's (path).
void
herd_topo_check_setting (herd_topo_t *self, const char *path, zconfig_t *item);

//  Check settings that must agree with each other, for every node.
void herd_topo_check_pairs (herd_topo_t *self);

//  Check the places section.
void herd_topo_check_places (herd_topo_t *self, zconfig_t *section);

#endif
