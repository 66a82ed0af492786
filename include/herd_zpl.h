/*  herd_zpl - ZPL text (czmq's zconfig format) with line numbers

    czmq's parser knows the line of a syntax error but prints it itself (on
    stdout, through zclock_log), and the tree it builds keeps no lines.  So
    our own scan reads the text first, with exactly zconfig's rules (czmq
    4.2.1, src/zconfig.c): it finds syntax errors and says where and what,
    and only text it accepts goes to zconfig_str_load, which then never
    fails.  The scan also gives the line of every item, in document order,
    matched by name to the tree zconfig builds.  Owned by herd_topo.  */

#ifndef HERD_ZPL_H_INCLUDED
#define HERD_ZPL_H_INCLUDED

#include <czmq.h>

typedef struct _herd_zpl_t herd_zpl_t;

//  Create an empty parse, holding no tree.
herd_zpl_t *herd_zpl_new (void);

//  Destroy a parse and its tree; accepts NULL and sets *self_p to NULL.
void herd_zpl_destroy (herd_zpl_t **self_p);

//  Parse text, dropping the tree of any earlier load.  Returns 0, or -1 if
//  text is not valid ZPL: then *line is the 1-based line at fault and
//  *reason a static string saying what is wrong there.  *line is 0 only if
//  zconfig refused text that our scan accepted (a czmq unlike 4.2.1).
int herd_zpl_load (herd_zpl_t *self,
                   const char *text,
                   size_t *line,
                   const char **reason);

//  The tree of the last successful load, or NULL.  Owned by self: valid
//  until the next load or destroy.
zconfig_t *herd_zpl_root (herd_zpl_t *self);

//  The 1-based line of item in the text last loaded, or 0 if not known
//  (item is NULL, the root, or not of this tree).  O(log n).
size_t herd_zpl_line (herd_zpl_t *self, zconfig_t *item);

#endif
