/*  herd_args - the herd program's command line  */

#include "herd_args.h"
#include "herd_str.h"
#include "herd_usage.h"

#include <czmq.h>

typedef enum { S_FLAG, S_TEXT, S_NUMBER, S_LIST } s_kind_t;

typedef struct {
    const char *name;
    const char *alias;     //  Or NULL
    const char *commands;  //  Those it belongs to, each between spaces
    s_kind_t kind;
    int64_t maximum;  //  S_NUMBER: from 0 to this
} s_option_t;

#define S_TOPOLOGY_COMMANDS " node up monitor check keys places-stub "

static const s_option_t s_options[] = {
    {"-t", "--topology", S_TOPOLOGY_COMMANDS, S_TEXT, 0},
    {"--log-stderr", NULL, " node ", S_FLAG, 0},
    {"--state", NULL, " node ", S_TEXT, 0},
    {"--force", NULL, " keys ", S_FLAG, 0},
    {"--node", NULL, " monitor ", S_LIST, 0},
    {"--kind", NULL, " monitor ", S_LIST, 0},
    {"--client", NULL, " monitor ", S_TEXT, 0},
    {"--follow", NULL, " monitor ", S_TEXT, 0},
    {"--stats", NULL, " monitor ", S_FLAG, 0},
    {"--json", NULL, " monitor ", S_FLAG, 0},
    {"--seconds", NULL, " monitor ", S_NUMBER, 365 * 86400},
    {"--listen", NULL, " places-stub ", S_TEXT, 0},
    {"--delay", NULL, " places-stub ", S_NUMBER, 600000},
};
#define S_OPTIONS (sizeof (s_options) / sizeof (s_options[0]))

//  What each command takes besides options: its words, and how many.
static const struct {
    const char *command;
    const char *what;  //  Said when it is missing
    size_t least, most;
} s_words[] = {
    {"node", "which node? give its NAME", 1, 1},
    {"ping", "give the HOST:PORT to ask", 1, 1},
    {"help", NULL, 0, 1},
};

herd_args_result_t
herd_args_usage_error (FILE *err,
                       const char *command,
                       const char *what,
                       const char *argument)
{
    char synopsis[1024];
    fprintf (err, "herd %s: %s%s\n%s\n(herd help %s says more)\n", command,
             what, argument ? argument : "",
             herd_usage_synopsis (command, synopsis, sizeof (synopsis)),
             command);
    return HERD_ARGS_USAGE;
}

//  The topology when -t is not given: $HERD_TOPOLOGY, else the one make run
//  starts, found beside this program: installed (PREFIX/bin/herd and
//  PREFIX/share/herd/topologies) or built in a clone (build/herd and
//  deploy/topologies).  Returns a fresh path, or NULL if none exists.
static char *
s_default_topology (void)
{
    const char *chosen = getenv ("HERD_TOPOLOGY");
    if (chosen && *chosen)
        return herd_str_dup (chosen);
    char self[4096];
    ssize_t length = readlink ("/proc/self/exe", self, sizeof (self) - 1);
    if (length <= 0)
        return NULL;
    self[length] = 0;
    char *slash = strrchr (self, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    const char *places[] = {"../share/herd/topologies/cs131-2022.zpl",
                            "../deploy/topologies/cs131-2022.zpl"};
    for (size_t i = 0; i < 2; i++) {
        char *path = herd_str_printf ("%s/%s", self, places[i]);
        char *real = realpath (path, NULL);
        free (path);
        if (real)
            return real;
    }
    return NULL;
}

static const s_option_t *
s_option (const char *argument)
{
    for (size_t i = 0; i < S_OPTIONS; i++)
        if (streq (argument, s_options[i].name)
            || (s_options[i].alias && streq (argument, s_options[i].alias)))
            return &s_options[i];
    return NULL;
}

//  Does the space-bounded list hold word?
static bool
s_among (const char *list, const char *word)
{
    char *bounded = herd_str_printf (" %s ", word);
    bool found = strstr (list, bounded) != NULL;
    free (bounded);
    return found;
}

//  A whole number from 0 to maximum, in decimal digits only.
static bool
s_number (const char *text, int64_t maximum, int64_t *value)
{
    int64_t result = 0;
    if (!*text)
        return false;
    for (const char *at = text; *at; at++) {
        if (*at < '0' || *at > '9' || result > maximum)
            return false;
        result = result * 10 + (*at - '0');
    }
    *value = result;
    return result <= maximum;
}

//  Take option's value into self.  Returns NULL, or what is wrong.
static const char *
s_take (herd_args_t *self, const s_option_t *option, const char *value)
{
    const char *name = option->name;
    if (option->kind == S_NUMBER) {
        int64_t number;
        if (!s_number (value, option->maximum, &number))
            return streq (name, "--seconds")
                       ? "not a number of seconds (0 to 31536000): "
                       : "not a number of milliseconds (0 to 600000): ";
        if (streq (name, "--seconds"))
            self->seconds = number;
        else
            self->delay_ms = number;
    } else if (option->kind == S_LIST) {
        bool nodes = streq (name, "--node");
        size_t *count = nodes ? &self->node_count : &self->kind_count;
        if (*count == HERD_ARGS_LIST_MAX)
            return nodes ? "more than 64 --node options: "
                         : "more than 64 --kind options: ";
        (nodes ? self->nodes : self->kinds)[(*count)++] = value;
    } else if (streq (name, "-t"))
        self->topology = value;
    else if (streq (name, "--state"))
        self->state = value;
    else if (streq (name, "--client"))
        self->client = value;
    else if (streq (name, "--follow"))
        self->follow = value;
    else if (streq (name, "--listen"))
        self->listen = value;
    return NULL;
}

static void
s_set_flag (herd_args_t *self, const char *name)
{
    if (streq (name, "--log-stderr"))
        self->log_stderr = true;
    else if (streq (name, "--force"))
        self->force = true;
    else if (streq (name, "--stats"))
        self->stats = true;
    else if (streq (name, "--json"))
        self->json = true;
}

//  Does an argument after the command ask for help?  Not an option's value,
//  nor a word after "--".  Help comes before any usage error.
static bool
s_asks_help (int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const s_option_t *option = s_option (argv[i]);
        if (streq (argv[i], "--"))
            return false;
        if (streq (argv[i], "-h") || streq (argv[i], "--help"))
            return true;
        if (option && option->kind != S_FLAG)
            i++;
    }
    return false;
}

herd_args_result_t
herd_args_parse (herd_args_t *self, int argc, char **argv, FILE *out, FILE *err)
{
    assert (self && argv);
    memset (self, 0, sizeof (*self));
    if (argc < 2) {
        fputs (herd_usage (), err);
        return HERD_ARGS_USAGE;
    }
    const char *command = argv[1];
    if (streq (command, "-h") || streq (command, "--help")) {
        fputs (herd_usage (), out);
        return HERD_ARGS_HELP;
    }
    if (!herd_usage_command (command)) {
        fprintf (err, "herd: unknown command %s (herd help lists them)\n",
                 command);
        return HERD_ARGS_USAGE;
    }
    self->command = command;
    if (s_asks_help (argc, argv)) {
        fputs (herd_usage_command (command), out);
        return HERD_ARGS_HELP;
    }
    size_t least = 0, most = 0, words = 0;
    const char *missing = NULL;
    for (size_t i = 0; i < sizeof (s_words) / sizeof (s_words[0]); i++)
        if (streq (s_words[i].command, command)) {
            least = s_words[i].least;
            most = s_words[i].most;
            missing = s_words[i].what;
        }
    bool options_end = false;
    for (int i = 2; i < argc; i++) {
        const char *argument = argv[i];
        const s_option_t *option = options_end ? NULL : s_option (argument);
        if (!options_end && streq (argument, "--"))
            options_end = true;
        else if (option && !s_among (option->commands, command))
            return herd_args_usage_error (
                err, command, "not an option of this command: ", argument);
        else if (option && option->kind == S_FLAG)
            s_set_flag (self, option->name);
        else if (option && i + 1 == argc)
            return herd_args_usage_error (err, command, "a value must follow ",
                                          argument);
        else if (option) {
            const char *wrong = s_take (self, option, argv[++i]);
            if (wrong)
                return herd_args_usage_error (err, command, wrong, argv[i]);
        } else if (!options_end && argument[0] == '-' && argument[1])
            return herd_args_usage_error (err, command, "unknown option ",
                                          argument);
        else if (words < most) {
            self->name = argument;
            words++;
        } else
            return herd_args_usage_error (err, command, "unexpected argument ",
                                          argument);
    }
    if (words < least)
        return herd_args_usage_error (err, command, missing, NULL);
    bool reads = s_among (S_TOPOLOGY_COMMANDS, command)
                 && !(streq (command, "places-stub") && self->listen);
    if (reads && !self->topology) {
        self->owned_topology = s_default_topology ();
        self->topology = self->owned_topology;
        if (!self->topology)
            return herd_args_usage_error (err, command,
                                          "no topology: give -t FILE, or set "
                                          "HERD_TOPOLOGY",
                                          NULL);
    }
    return HERD_ARGS_RUN;
}

void
herd_args_finish (herd_args_t *self)
{
    assert (self);
    free (self->owned_topology);
    self->owned_topology = NULL;
}
