/*  herd_args - the herd program's command line: which command, its
    options, and the topology it reads

    Each option belongs to the commands that use it; a value is taken as
    it is, even if it begins with '-' (`--follow --help` follows a client
    called --help); `--` ends the options.  Without -t, the topology is
    $HERD_TOPOLOGY, else the one `make run` starts, found beside the
    program.  Usage errors and help are printed here.  */

#ifndef HERD_ARGS_H_INCLUDED
#define HERD_ARGS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

//  Most --node and --kind options.
#define HERD_ARGS_LIST_MAX 64

typedef struct {
    const char *command;   //  "node", "up", ... (argv[1])
    const char *name;      //  node: NAME; ping: HOST:PORT; help: COMMAND
    const char *topology;  //  -t FILE, or the default; NULL for ping, help
                           //  and places-stub --listen
    bool log_stderr;       //  node: --log-stderr
    const char *state;     //  node: --state FILE
    bool force;            //  keys: --force
    const char *nodes[HERD_ARGS_LIST_MAX + 1];  //  monitor: --node
    size_t node_count;
    const char *kinds[HERD_ARGS_LIST_MAX + 1];  //  monitor: --kind
    size_t kind_count;
    const char *client;    //  monitor: --client
    const char *follow;    //  monitor: --follow
    bool stats;            //  monitor: --stats
    bool json;             //  monitor: --json
    int64_t seconds;       //  monitor: --seconds (0: until stopped)
    const char *listen;    //  places-stub: --listen HOST:PORT
    int64_t delay_ms;      //  places-stub: --delay MS
    char *owned_topology;  //  The default, when found (freed by finish)
} herd_args_t;

typedef enum {
    HERD_ARGS_RUN,    //  Run args->command
    HERD_ARGS_HELP,   //  Help was printed on out: exit 0
    HERD_ARGS_USAGE,  //  A usage error was printed on err: exit 2
} herd_args_result_t;

//  Read argv into self (zeroed first).  Help goes to out, usage errors to
//  err.
herd_args_result_t herd_args_parse (
    herd_args_t *self, int argc, char **argv, FILE *out, FILE *err);

//  Print a usage error of command on err: what is wrong (and argument, if
//  not NULL), the command's synopsis, where its help is.  Returns
//  HERD_ARGS_USAGE.
herd_args_result_t herd_args_usage_error (FILE *err,
                                          const char *command,
                                          const char *what,
                                          const char *argument);

//  Free what parse allocated.
void herd_args_finish (herd_args_t *self);

#endif
