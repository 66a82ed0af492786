/*  herd_saver - the node's table kept in its state file, and aged
    (proto/herd.md, section 6)

    Loads the state file before the node serves anything; while the table
    changes, saves it every interval in a forked child (a copy-on-write
    image of the table, as Redis's rdb.c does, so a large table never stops
    the loop), and once more, in the loop, when the node stops.  Ageing:
    records past max_age_s go, and evictions are logged once a second
    however many there were.  The file format is herd_state's.  Owned by
    herd_node; the table and the log are borrowed.  */

#ifndef HERD_SAVER_H_INCLUDED
#define HERD_SAVER_H_INCLUDED

#include "herd_log.h"
#include "herd_table.h"

//  Longest state file path.
#define HERD_SAVER_PATH_MAX 4096

//  Settings, from the topology and the command line (proto/topology.md).
typedef struct {
    char path[HERD_SAVER_PATH_MAX];  //  The state file; "": none
    int64_t interval_ms;             //  Save this often while it changes
    int64_t max_age_s;               //  Records older go; 0: kept
    bool in_loop;                    //  Save in the loop, not in a child
                                     //  (HERD_SAVE_IN_LOOP, for valgrind)
} herd_saver_config_t;

typedef struct _herd_saver_t herd_saver_t;

//  Create a saver of table; config is copied.
herd_saver_t *herd_saver_new (herd_table_t *table,
                              herd_log_t *log,
                              const herd_saver_config_t *config);

//  Wait for a child still saving, then free it; accepts NULL.
void herd_saver_destroy (herd_saver_t **self_p);

//  Offer every record of the state file to the table (a missing file is
//  an empty one).  Returns 0, or -1 having said why on stderr (the file
//  cannot be read, or is not a state file: it would be overwritten).
int herd_saver_load (herd_saver_t *self);

//  Every second: drop records past max_age_s (now_s is the Unix time) and
//  log the evictions since the last call.
void herd_saver_age (herd_saver_t *self, int64_t now_s);

//  Every interval: if the table changed since the last save, save it in a
//  child (or in the loop if there can be no child); a child that finished
//  is reaped and its result logged.
void herd_saver_save (herd_saver_t *self);

//  The node stops: wait for a child still saving, then save in the loop.
void herd_saver_finish (herd_saver_t *self);

//  Does the node keep a state file?
bool herd_saver_enabled (herd_saver_t *self);

#endif
