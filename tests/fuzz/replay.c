/*  replay - run a fuzz target over files, without libFuzzer: so that the
    seed corpus and every past crash are checked by any compiler  */

#include <assert.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_run (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    uint8_t *data = NULL;
    size_t size = 0, capacity = 0;
    for (;;) {
        if (size == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            uint8_t *more = (uint8_t *) realloc (data, capacity);
            assert (more);
            data = more;
        }
        size_t got = fread (data + size, 1, capacity - size, file);
        if (got == 0)
            break;
        size += got;
    }
    fclose (file);
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    return 0;
}

int
main (int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat (argv[i], &info))
            continue;
        if (!S_ISDIR (info.st_mode)) {
            files += s_run (argv[i]) == 0;
            continue;
        }
        DIR *dir = opendir (argv[i]);
        struct dirent *entry;
        while (dir && (entry = readdir (dir))) {
            if (entry->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf (path, sizeof (path), "%s/%s", argv[i], entry->d_name);
            files += s_run (path) == 0;
        }
        if (dir)
            closedir (dir);
    }
    printf ("%s: %d inputs, no crash\n", argv[0], files);
    return 0;
}
