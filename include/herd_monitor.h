/*  herd_monitor - `herd monitor`: every node's tap in one timeline

    Subscribes to the tap of every node of a topology that has one
    (proto/monitor.md), reconnecting by itself when nodes restart, and
    prints the events merged in time order: one aligned line each, coloured
    on a terminal, or one JSON object each.  */

#ifndef HERD_MONITOR_H_INCLUDED
#define HERD_MONITOR_H_INCLUDED

#include "herd_topo.h"

#include <stdio.h>

typedef struct {
    const char *const *nodes;  //  Only these nodes (NULL-terminated), or NULL
    const char *const *kinds;  //  Only these kinds of event, or NULL
    const char *client;        //  Only records that mention this text, or NULL
    const char *follow;        //  One client's updates hop by hop, or NULL
    bool stats;                //  A live table of each node's numbers
    bool json;                 //  One JSON object per event
    bool colour;               //  ANSI colours (a terminal)
    int64_t duration_ms;       //  Stop after this long; 0: until a signal
} herd_monitor_options_t;

//  Run until SIGINT/SIGTERM (blocked by the caller and read here) or the
//  duration; print to out.  Returns 0, or 1 if no node has a tap.
int herd_monitor_run (herd_topo_t *topo,
                      const herd_monitor_options_t *options,
                      FILE *out);

#endif
