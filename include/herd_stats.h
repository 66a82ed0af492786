/*  herd_stats - every counter of a node, and the two places they are shown:
    the Prometheus page (proto/monitor.md, section 4) and the tap's stats
    record (section 2)

    The counters are a plain value struct that the node's handlers count
    into directly (a counter is a field, not a call); gauges (connections,
    clients, link states) are read when a page or record is made, and
    passed in.  Pure: no sockets, no clock.  */

#ifndef HERD_STATS_H_INCLUDED
#define HERD_STATS_H_INCLUDED

#include "herd_link.h"
#include "herd_log.h"
#include "herd_metrics.h"
#include "herd_msg.h"
#include "herd_places.h"
#include "herd_wire.h"

#include <stdio.h>

//  Where an update came from, and what the table made of it.
typedef enum { HERD_STATS_CLIENT, HERD_STATS_HERD } herd_stats_source_t;
typedef enum { HERD_STATS_STORED, HERD_STATS_STALE } herd_stats_result_t;

//  Messages of the broadcast tree a node sends (proto/herd.md, section 3).
typedef enum {
    HERD_STATS_PRUNE,
    HERD_STATS_IHAVE,
    HERD_STATS_GRAFT,
} herd_stats_tree_command_t;
#define HERD_STATS_TREE_COMMANDS 3

typedef struct {
    uint64_t messages;  //  Sent
    uint64_t bytes;     //  Of their frames
    uint64_t ids;       //  Updates they named (IHAVE, GRAFT)
} herd_stats_tree_t;

typedef struct {
    uint64_t lines[HERD_MSG_AT + 1];  //  Client lines by herd_msg type
    uint64_t probes;  //  herd ping's lines (HERD_MSG_PROBE), not in lines
    uint64_t updates[2][2];                  //  By source, then result
    uint64_t messages[HERD_WIRE_OTHER + 1];  //  Herd messages taken
    uint64_t refused;                        //  Herd messages, updates,
                                             //  records, handshakes refused
    uint64_t answers[HERD_PLACES_STATUSES];  //  Places answers by status
    herd_metrics_histogram_t places_time;    //  FETCH to answer
    herd_metrics_histogram_t places_shown;   //  places_time at the last
                                             //  stats record
    uint64_t sent;                           //  Updates sent in ATs
    uint64_t taken;                          //  Updates taken from ATs
    herd_stats_tree_t tree[HERD_STATS_TREE_COMMANDS];  //  Tree messages
                                                       //  sent
    uint64_t grafts_missed;    //  GRAFTs naming an update we no longer keep
    uint64_t grafts_given_up;  //  Updates announced, asked for, not come
} herd_stats_t;

//  One link, as the page and the record show it.
typedef struct {
    const char *neighbour;    //  Its name
    herd_link_state_t state;  //  Its state now
    size_t lazy;              //  Originators whose updates it is sent
                              //  as IHAVEs only (broadcast = tree)
} herd_stats_link_t;

//  What is read rather than counted, when a page or record is made.
typedef struct {
    const char *node;                //  Our name, in every series
    size_t connections;              //  Client connections open
    uint64_t accepted;               //  ...and accepted since the start
    size_t clients;                  //  Records held
    uint64_t evicted;                //  Records dropped by the limits
    const herd_stats_link_t *links;  //  Each link, link_count of them
    size_t link_count;
} herd_stats_gauges_t;

//  Write the Prometheus text page of the counters and gauges to out.
void herd_stats_write_metrics (const herd_stats_t *self,
                               const herd_stats_gauges_t *gauges,
                               FILE *out);

//  Log the "stats" record (level info, for the tap): counters, gauges and
//  the Places quantiles over the calls answered since the last one.
void herd_stats_log (herd_stats_t *self,
                     const herd_stats_gauges_t *gauges,
                     herd_log_t *log);

//  The p-quantile of the calls counted in now but not in before, as the
//  upper bound of its bucket in milliseconds; -1 if there were none.
double herd_stats_quantile (const herd_metrics_histogram_t *now,
                            const herd_metrics_histogram_t *before,
                            double p);

#endif
