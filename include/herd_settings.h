/*  herd_settings - one node's settings, read once from the topology into
    typed structs (proto/topology.md)

    The node reads them when it starts, and its modules get the parts they
    use; nothing looks a setting up by name, or reads the environment,
    later on.  Strings are borrowed from the topology (valid while it
    lives) or held in the struct.  Settings other than the links keep
    their values until the node restarts (a reload changes links only).  */

#ifndef HERD_SETTINGS_H_INCLUDED
#define HERD_SETTINGS_H_INCLUDED

#include "herd_front.h"
#include "herd_link.h"
#include "herd_places.h"
#include "herd_saver.h"
#include "herd_topo.h"

typedef struct {
    const char *log_dir;                        //  Where <node>.log goes
    const char *log_level;                      //  "info", "notice", ...
    size_t max_clients;                         //  Records held at most
    herd_front_config_t front;                  //  Client front end
    const char *tap;                            //  Tap endpoint to bind,
                                                //  or ""
    const char *keys_dir;                       //  CURVE keys, or ""
    char metrics_host[HERD_TOPO_HOST_MAX + 1];  //  To bind; "" for none
    uint16_t metrics_port;                      //  0: any
    herd_link_timing_t link;                    //  Every link's timing
    int64_t ack_hold_ms;                        //  IAMAT reply's hold
    bool reply_at_store;          //  reply_after = store: IAMAT replies do not
                                  //  wait for the neighbours
    bool tree;                    //  broadcast = tree (else flood)
    int64_t graft_ms;             //  tree_graft_ms
    int64_t ihave_ms;             //  tree_ihave_ms
    herd_saver_config_t saver;    //  State file, ageing
    herd_places_config_t places;  //  Places actor; its
                                  //  thread is not set
} herd_settings_t;

//  Read the settings of node index of topo into self.  state_path, if not
//  NULL, overrides the topology's state file ("": none).  The Places key
//  comes from the environment variable HERD_PLACES_KEY, and
//  HERD_SAVE_IN_LOOP asks for saves in the loop.  Returns 0, or -1 with
//  *reason (a static string) if a setting is unusable.
int herd_settings_read (herd_settings_t *self,
                        herd_topo_t *topo,
                        size_t index,
                        const char *state_path,
                        const char **reason);

#endif
