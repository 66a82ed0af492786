/*  herd_state - the node's table in a file  */

#include "herd_state.h"
#include "herd_str.h"

#include <czmq.h>

int
herd_state_save (herd_table_t *table, const char *path, size_t *count)
{
    assert (table && path);
    char *temporary = herd_str_printf ("%s.tmp", path);
    FILE *file = fopen (temporary, "w");
    if (!file) {
        free (temporary);
        return -1;
    }
    size_t records = 0;
    bool failed = fputs (HERD_STATE_SIGNATURE "\n", file) == EOF;
    size_t cursor = 0;
    herd_record_t record;
    while (!failed && herd_table_next (table, &cursor, &record)) {
        failed = fwrite (record.line.data, 1, record.line.size, file)
                     != record.line.size
                 || putc ('\n', file) == EOF;
        records++;
    }
    failed = failed || fflush (file) == EOF || fsync (fileno (file)) == -1;
    int saved_errno = errno;
    failed = (fclose (file) == EOF) || failed;
    if (!failed && rename (temporary, path) == 0) {
        free (temporary);
        *count = records;
        return 0;
    }
    saved_errno = errno ? errno : saved_errno;
    unlink (temporary);
    free (temporary);
    errno = saved_errno;
    return -1;
}

int
herd_state_load (herd_table_t *table,
                 const char *path,
                 size_t *loaded,
                 size_t *refused)
{
    assert (table && path);
    *loaded = *refused = 0;
    FILE *file = fopen (path, "r");
    if (!file)
        return errno == ENOENT ? 0 : -1;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t size = getline (&line, &capacity, file);
    int rc = 0;
    if (size != (ssize_t) strlen (HERD_STATE_SIGNATURE) + 1
        || memcmp (line, HERD_STATE_SIGNATURE "\n", (size_t) size)) {
        errno = EINVAL;
        rc = -1;
    }
    while (rc == 0 && (size = getline (&line, &capacity, file)) != -1) {
        if (size > 0 && line[size - 1] == '\n')
            size--;
        herd_msg_t at;
        if (herd_msg_parse_at (&at, line, (size_t) size, NULL))
            (*refused)++;
        else if (herd_table_offer (table, &at, line, (size_t) size))
            (*loaded)++;
    }
    if (rc == 0 && ferror (file)) {
        errno = EIO;
        rc = -1;
    }
    free (line);
    fclose (file);
    return rc;
}
