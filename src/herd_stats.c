/*  herd_stats - every counter of a node, on the metrics page and in the
    stats record  */

#include "herd_stats.h"

//  Room for the stats record's list of links ("B:synced,C:up"); a longer
//  one is cut at a whole link.
#define S_LINKS_SIZE 2048

static void
s_counter_help (FILE *out, const char *name, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

//  The broadcast tree's messages sent: count, bytes, and updates named
//  (IHAVE and GRAFT only), by command.
static void
s_tree_counters (FILE *out, const herd_stats_t *self, const char *node)
{
    const char *commands[] = {"PRUNE", "IHAVE", "GRAFT"};
    const char *names[] = {"herd_tree_messages_sent_total",
                           "herd_tree_bytes_sent_total",
                           "herd_tree_ids_sent_total"};
    const char *helps[] = {
        "Broadcast tree messages sent, by command.",
        "Bytes of the broadcast tree messages sent, by command.",
        "Updates named by the IHAVEs and GRAFTs sent."};
    for (int m = 0; m < 3; m++) {
        s_counter_help (out, names[m], helps[m]);
        for (int c = m == 2 ? HERD_STATS_IHAVE : 0;
             c < HERD_STATS_TREE_COMMANDS; c++) {
            const herd_stats_tree_t *tree = &self->tree[c];
            uint64_t value = m == 0   ? tree->messages
                             : m == 1 ? tree->bytes
                                      : tree->ids;
            fprintf (out, "%s{node=\"%s\",command=\"%s\"} %" PRIu64 "\n",
                     names[m], node, commands[c], value);
        }
    }
}

void
herd_stats_write_metrics (const herd_stats_t *self,
                          const herd_stats_gauges_t *gauges,
                          FILE *out)
{
    assert (self && gauges && out);
    const char *node = gauges->node;
    s_counter_help (out, "herd_requests_total", "Client lines, by command.");
    const char *commands[] = {"blank", "invalid", "IAMAT", "WHATSAT"};
    const herd_msg_type_t types[] = {HERD_MSG_BLANK, HERD_MSG_INVALID,
                                     HERD_MSG_IAMAT, HERD_MSG_WHATSAT};
    for (size_t i = 0; i < 4; i++)
        fprintf (out,
                 "herd_requests_total{node=\"%s\",command=\"%s\"} %" PRIu64
                 "\n",
                 node, commands[i], self->lines[types[i]]);
    fprintf (out,
             "herd_requests_total{node=\"%s\",command=\"probe\"} %" PRIu64 "\n",
             node, self->probes);
    fprintf (out,
             "# HELP herd_connections Client connections open.\n"
             "# TYPE herd_connections gauge\n"
             "herd_connections{node=\"%s\"} %zu\n",
             node, gauges->connections);
    s_counter_help (out, "herd_connections_total",
                    "Client connections accepted.");
    fprintf (out, "herd_connections_total{node=\"%s\"} %" PRIu64 "\n", node,
             gauges->accepted);
    fprintf (out,
             "# HELP herd_clients Client records held.\n"
             "# TYPE herd_clients gauge\n"
             "herd_clients{node=\"%s\"} %zu\n",
             node, gauges->clients);
    s_counter_help (out, "herd_records_evicted_total",
                    "Records dropped for max_clients or max_age_s.");
    fprintf (out, "herd_records_evicted_total{node=\"%s\"} %" PRIu64 "\n", node,
             gauges->evicted);
    s_counter_help (out, "herd_updates_total",
                    "Location updates offered, by source and result.");
    const char *sources[] = {"client", "herd"};
    const char *results[] = {"stored", "stale"};
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 2; r++)
            fprintf (out,
                     "herd_updates_total{node=\"%s\",source=\"%s\","
                     "result=\"%s\"} %" PRIu64 "\n",
                     node, sources[s], results[r], self->updates[s][r]);
    s_counter_help (out, "herd_messages_received_total",
                    "Herd messages received, by command.");
    const char *names[] = {"AT",      "ACK",      "HELLO",   "SNAP",
                           "SNAPEND", "SNAPMARK", "SNAPACK", "PRUNE",
                           "IHAVE",   "GRAFT",    "other"};
    for (int c = 0; c <= HERD_WIRE_OTHER; c++)
        fprintf (out,
                 "herd_messages_received_total{node=\"%s\",command=\"%s\"} "
                 "%" PRIu64 "\n",
                 node, names[c], self->messages[c]);
    s_counter_help (out, "herd_messages_refused_total",
                    "Herd messages and handshakes refused.");
    fprintf (out, "herd_messages_refused_total{node=\"%s\"} %" PRIu64 "\n",
             node, self->refused);
    fprintf (out, "# HELP herd_link_state Each link's state: 1 for the one "
                  "it is in.\n"
                  "# TYPE herd_link_state gauge\n");
    for (size_t i = 0; i < gauges->link_count; i++)
        for (int s = HERD_LINK_DOWN; s <= HERD_LINK_SYNCED; s++)
            fprintf (out,
                     "herd_link_state{node=\"%s\",neighbour=\"%s\","
                     "state=\"%s\"} %d\n",
                     node, gauges->links[i].neighbour,
                     herd_link_state_name ((herd_link_state_t) s),
                     gauges->links[i].state == (herd_link_state_t) s);
    fprintf (out, "# HELP herd_link_lazy Each link: the originators whose "
                  "updates it is sent only as IHAVEs (broadcast = tree).\n"
                  "# TYPE herd_link_lazy gauge\n");
    for (size_t i = 0; i < gauges->link_count; i++)
        fprintf (out, "herd_link_lazy{node=\"%s\",neighbour=\"%s\"} %zu\n",
                 node, gauges->links[i].neighbour, gauges->links[i].lazy);
    s_tree_counters (out, self, node);
    s_counter_help (out, "herd_tree_grafts_missed_total",
                    "Updates asked for by a GRAFT that were no longer kept.");
    fprintf (out, "herd_tree_grafts_missed_total{node=\"%s\"} %" PRIu64 "\n",
             node, self->grafts_missed);
    s_counter_help (out, "herd_tree_grafts_given_up_total",
                    "Updates announced, asked for and never received.");
    fprintf (out, "herd_tree_grafts_given_up_total{node=\"%s\"} %" PRIu64 "\n",
             node, self->grafts_given_up);
    s_counter_help (out, "herd_places_answers_total",
                    "Places answers given to WHATSAT, by status.");
    for (int i = 0; i < HERD_PLACES_STATUSES; i++)
        fprintf (out,
                 "herd_places_answers_total{node=\"%s\",status=\"%s\"} "
                 "%" PRIu64 "\n",
                 node, herd_places_status_name ((herd_places_status_t) i),
                 self->answers[i]);
    fprintf (out, "# HELP herd_places_duration_seconds From asking Places to "
                  "its answer.\n"
                  "# TYPE herd_places_duration_seconds histogram\n");
    char labels[HERD_WIRE_NAME_MAX + 16];
    snprintf (labels, sizeof (labels), "node=\"%s\"", node);
    herd_metrics_write_histogram (out, "herd_places_duration_seconds", labels,
                                  &self->places_time);
}

double
herd_stats_quantile (const herd_metrics_histogram_t *now,
                     const herd_metrics_histogram_t *before,
                     double p)
{
    uint64_t count = now->count - before->count;
    if (count == 0)
        return -1;
    uint64_t rank = (uint64_t) (p * (double) count + 0.999999), seen = 0;
    for (size_t i = 0; i <= HERD_METRICS_BUCKETS; i++) {
        seen += now->counts[i] - before->counts[i];
        if (seen >= rank)
            return herd_metrics_bound (i) * 1000;
    }
    return herd_metrics_bound (HERD_METRICS_BUCKETS) * 1000;
}

void
herd_stats_log (herd_stats_t *self,
                const herd_stats_gauges_t *gauges,
                herd_log_t *log)
{
    assert (self && gauges && log);
    char links[S_LINKS_SIZE] = "-";
    size_t used = 0;
    for (size_t i = 0; i < gauges->link_count; i++) {
        const char *neighbour = gauges->links[i].neighbour;
        const char *state = herd_link_state_name (gauges->links[i].state);
        size_t size = strlen (neighbour) + strlen (state) + 2;
        if (used + size >= sizeof (links))
            break;
        used += (size_t) snprintf (links + used, sizeof (links) - used,
                                   "%s%s:%s", i ? "," : "", neighbour, state);
    }
    double p50 =
        herd_stats_quantile (&self->places_time, &self->places_shown, 0.5);
    double p99 =
        herd_stats_quantile (&self->places_time, &self->places_shown, 0.99);
    self->places_shown = self->places_time;
    herd_log_printf (log, "info",
                     "stats conns=%zu accepted=%" PRIu64 " iamat=%" PRIu64
                     " whatsat=%" PRIu64 " invalid=%" PRIu64 " blank=%" PRIu64
                     " stored=%" PRIu64 " stale=%" PRIu64 " herd_in=%" PRIu64
                     " herd_out=%" PRIu64 " refused=%" PRIu64
                     " clients=%zu places=%" PRIu64
                     " places_p50_ms=%g places_p99_ms=%g links=%s",
                     gauges->connections, gauges->accepted,
                     self->lines[HERD_MSG_IAMAT], self->lines[HERD_MSG_WHATSAT],
                     self->lines[HERD_MSG_INVALID], self->lines[HERD_MSG_BLANK],
                     self->updates[HERD_STATS_CLIENT][HERD_STATS_STORED]
                         + self->updates[HERD_STATS_HERD][HERD_STATS_STORED],
                     self->updates[HERD_STATS_CLIENT][HERD_STATS_STALE]
                         + self->updates[HERD_STATS_HERD][HERD_STATS_STALE],
                     self->taken, self->sent, self->refused, gauges->clients,
                     self->places_time.count, p50, p99, links);
}
