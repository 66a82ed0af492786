/*  herd - the herd program: subcommands node, up, check  */

#include <stdio.h>

int
main (void)
{
    puts ("herd: not yet");
    return 0;
}
