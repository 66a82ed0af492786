/*  herd_usage - what `herd --help`, `herd help [COMMAND]` and
    `herd COMMAND --help` print

    One text for the program, one per subcommand; each subcommand's text
    begins with its synopsis line ("usage: herd ping HOST:PORT").  */

#ifndef HERD_USAGE_H_INCLUDED
#define HERD_USAGE_H_INCLUDED

#include <stddef.h>

//  The whole program's help: the commands in brief, the environment, the
//  settings that matter first, and where every document is.
const char *herd_usage (void);

//  The help of one subcommand ("node", "up", "monitor", "ping", "keys",
//  "check", "places-stub", "help"), or NULL if there is none such.
const char *herd_usage_command (const char *command);

//  A subcommand's synopsis: its help up to the first empty line, without
//  the last LF, written into buffer (cut to fit); "" for no such command.
const char *
herd_usage_synopsis (const char *command, char *buffer, size_t size);

#endif
