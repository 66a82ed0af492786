/*  herd_dir - directories that processes started together make at once  */

#include "herd_dir.h"
#include "herd_str.h"

#include <czmq.h>
#include <sys/stat.h>

//  Make one level; one that is there (made by anyone) counts.
static int
s_make (const char *path)
{
    if (mkdir (path, 0775) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    struct stat info;
    if (stat (path, &info) == 0 && S_ISDIR (info.st_mode))
        return 0;
    errno = ENOTDIR;
    return -1;
}

int
herd_dir_make (const char *path)
{
    assert (path);
    char *copy = herd_str_dup (path);
    int rc = 0;
    //  Each parent in turn, then the whole path
    for (char *slash = strchr (copy + 1, '/'); slash && rc == 0;
         slash = strchr (slash + 1, '/')) {
        *slash = 0;
        rc = s_make (copy);
        *slash = '/';
    }
    if (rc == 0 && *copy)
        rc = s_make (copy);
    free (copy);
    return rc;
}
