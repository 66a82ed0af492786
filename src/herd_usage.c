/*  herd_usage - what `herd --help`, `herd help [COMMAND]` and
    `herd COMMAND --help` print  */

#include "herd_usage.h"

#include <string.h>

#define S_TOPOLOGY_NOTE                                                        \
    "FILE (-t, --topology) defaults to $HERD_TOPOLOGY, else the CS 131 2022\n" \
    "herd that make run starts: share/herd/topologies/cs131-2022.zpl beside\n" \
    "an installed herd, deploy/topologies/cs131-2022.zpl in a clone.\n"

static const char *s_program =
    "usage: herd COMMAND [OPTIONS]\n"
    "       herd help [COMMAND]      (or herd COMMAND --help)\n"
    "\n"
    "An application server herd: nodes answer IAMAT and WHATSAT on plain\n"
    "TCP and flood location updates to each other over ZeroMQ, so any node\n"
    "can answer for any client.\n"
    "\n"
    "commands:\n"
    "  node NAME [-t FILE] [--log-stderr] [--state STATE]\n"
    "                   run node NAME of the topology FILE\n"
    "  up [-t FILE]     run every node of FILE here (and its Places stub)\n"
    "  monitor [-t FILE] [--stats | --follow CLIENT] [...]\n"
    "                   watch every node's events live (nodes need a tap)\n"
    "  ping HOST:PORT   is a node answering there?\n"
    "  check [-t FILE]  check FILE: its errors as FILE:LINE, or its nodes\n"
    "  keys [-t FILE] [--force]\n"
    "                   CURVE certificates for FILE's keys_dir\n"
    "  places-stub [-t FILE | --listen HOST:PORT] [--delay MS]\n"
    "                   the offline Places server\n"
    "  help [COMMAND]   this text, or one command's\n"
    "\n"
    "Each option is its command's; a value may begin with '-'; -- ends the\n"
    "options (herd node -- -x runs a node called -x).\n"
    "\n" S_TOPOLOGY_NOTE "\n"
    "environment:\n"
    "  HERD_TOPOLOGY    the topology file when -t is not given\n"
    "  HERD_PLACES_KEY  the Google API key, when the topology's places\n"
    "                   provider is google or google-legacy (never in a\n"
    "                   file; the offline stub needs none)\n"
    "\n"
    "topology settings to know first (all of them: proto/topology.md):\n"
    "  places           provider (stub, google, google-legacy), url\n"
    "  tap              tcp://HOST:PORT a node publishes its events on, for\n"
    "                   herd monitor\n"
    "  metrics          HOST:PORT a node serves Prometheus metrics on\n"
    "  log_dir          where NAME.log goes (logs, relative to where the\n"
    "                   node runs, in the shipped topologies)\n"
    "  keys_dir         CURVE on the herd links (herd keys makes the keys)\n"
    "\n"
    "documents (in the project's proto/ directory, and man herd):\n"
    "  proto/client.md    the client protocol, byte for byte\n"
    "  proto/herd.md      the links between nodes\n"
    "  proto/topology.md  the topology file: every key, default and range\n"
    "  proto/places.md    Places providers and the offline stub\n"
    "  proto/monitor.md   the tap, herd monitor, Prometheus metrics\n";

typedef struct {
    const char *name;
    const char *text;
} s_command_t;

static const s_command_t s_commands[] = {
    {"node",
     "usage: herd node NAME [-t FILE] [--log-stderr] [--state STATE]\n"
     "\n"
     "Run node NAME of the topology FILE until SIGTERM or SIGINT (it stops\n"
     "within a second, answering WHATSATs still waiting for Places with\n"
     "\"herd: node shutting down\" and saving its state file). Prints\n"
     "\"herd: node NAME ready client=... herd=...\" once it serves clients.\n"
     "\n"
     "  -t, --topology FILE  the topology (see below)\n"
     "  --log-stderr         mirror the log on stderr\n"
     "  --state STATE        load the table from STATE at start and save it\n"
     "                       there (default: <state_dir>/NAME.state if the\n"
     "                       topology sets state_dir, else none)\n"
     "\n"
     "The log goes to <log_dir>/NAME.log (proto/monitor.md). SIGHUP reopens\n"
     "it and reads FILE again: links added or removed take effect, a bad\n"
     "file is refused and the old topology kept.\n"
     "\n" S_TOPOLOGY_NOTE},
    {"up",
     "usage: herd up [-t FILE]\n"
     "\n"
     "Run every node of FILE on this machine as children, and the offline\n"
     "Places server when FILE's places provider is stub with a url. Each\n"
     "child's output is prefixed with its name ([Clark] ...); prints\n"
     "\"herd: N nodes ready\" once all serve. Ctrl-C (or SIGTERM) stops them\n"
     "all; if herd up is killed, its children stop too.\n"
     "\n" S_TOPOLOGY_NOTE},
    {"monitor",
     "usage: herd monitor [-t FILE] [--node NAME]... [--kind KIND]...\n"
     "                    [--client TEXT] [--json] [--seconds N]\n"
     "                    [--follow CLIENT | --stats]\n"
     "\n"
     "Every node's tap (the topology setting tap) in one timeline, in time\n"
     "order: one aligned line per event. Nodes without a tap are skipped;\n"
     "nodes not running yet are picked up when they start.\n"
     "\n"
     "  --node NAME      only these nodes (repeat for more)\n"
     "  --kind KIND      only these kinds: an event's first word (in, out,\n"
     "                   update, link, snap, connect, close, places,\n"
     "                   refused, stats...)\n"
     "  --client TEXT    only events that mention TEXT\n"
     "  --json           one JSON object per event instead\n"
     "  --follow CLIENT  CLIENT's lines, replies, Places calls and updates,\n"
     "                   hop by hop with each hop's latency\n"
     "  --stats          a table of every node's numbers, each second\n"
     "  --seconds N      stop after N seconds (else on Ctrl-C)\n"
     "\n"
     "Frames and kinds: proto/monitor.md.\n"
     "\n" S_TOPOLOGY_NOTE},
    {"ping",
     "usage: herd ping HOST:PORT\n"
     "\n"
     "Exit 0 if a node answers on HOST:PORT within 2 seconds, else 1 (2 for\n"
     "bad arguments). It sends a line that is no command and expects its\n"
     "\"? \" echo back: nothing changes in the herd, and the node counts it\n"
     "as a probe. Docker health checks use it.\n"},
    {"check",
     "usage: herd check [-t FILE]\n"
     "\n"
     "Check the topology FILE. If it is valid, print one line per node, in\n"
     "file order, and exit 0:\n"
     "  NAME<TAB>HOST:PORT<TAB>HERD-ENDPOINT<TAB>NEIGHBOUR,NEIGHBOUR...\n"
     "Else print every error on stderr, each as FILE:LINE: what is wrong,\n"
     "and exit 1.\n"
     "\n" S_TOPOLOGY_NOTE},
    {"keys",
     "usage: herd keys [-t FILE] [--force]\n"
     "\n"
     "Write a CURVE certificate pair for every node of FILE into its\n"
     "keys_dir: NAME.key (public: every node needs all of them) and\n"
     "NAME.key_secret (only where NAME runs). Pairs that exist are kept\n"
     "unless --force. With keys_dir set, herd links run over CURVE and only\n"
     "the herd's members can connect (proto/herd.md section 7).\n"
     "\n" S_TOPOLOGY_NOTE},
    {"places-stub",
     "usage: herd places-stub [-t FILE | --listen HOST:PORT] [--delay MS]\n"
     "\n"
     "The offline Places server: Google's Nearby Search, legacy and New,\n"
     "over made-up, deterministic places; no key, no network. It listens on\n"
     "HOST:PORT, else on the places url of FILE (http://HOST:PORT). Every\n"
     "answer waits MS milliseconds more (--delay). herd up starts it when\n"
     "FILE has places provider = stub and a url. Stops on SIGTERM or\n"
     "SIGINT. Requests and answers: proto/places.md.\n"
     "\n" S_TOPOLOGY_NOTE},
    {"help",
     "usage: herd help [COMMAND]\n"
     "\n"
     "The program's help, or COMMAND's (the same as herd COMMAND --help).\n"
     "Commands: node, up, monitor, ping, check, keys, places-stub.\n"},
};

#define S_COMMANDS (sizeof (s_commands) / sizeof (s_commands[0]))

const char *
herd_usage (void)
{
    return s_program;
}

const char *
herd_usage_command (const char *command)
{
    for (size_t i = 0; command && i < S_COMMANDS; i++)
        if (strcmp (s_commands[i].name, command) == 0)
            return s_commands[i].text;
    return NULL;
}

const char *
herd_usage_synopsis (const char *command, char *buffer, size_t size)
{
    const char *text = herd_usage_command (command);
    if (size == 0)
        return buffer;
    //  The synopsis ends at the first empty line
    const char *end = text ? strstr (text, "\n\n") : NULL;
    size_t length = text ? (end ? (size_t) (end - text) : strlen (text)) : 0;
    if (length >= size)
        length = size - 1;
    memcpy (buffer, text ? text : "", length);
    buffer[length] = 0;
    return buffer;
}
