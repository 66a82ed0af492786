/*  herd_keys - CURVE certificates of the herd's members  */

#include "herd_keys.h"
#include "herd_str.h"
#include "herd_dir.h"

#include <sys/stat.h>

int
herd_keys_generate (herd_topo_t *topo, bool force, FILE *out)
{
    int written = 0;
    for (size_t i = 0; i < herd_topo_node_count (topo); i++) {
        const char *name = herd_topo_node_name (topo, i);
        const char *directory = herd_topo_setting (topo, i, "keys_dir");
        if (!*directory) {
            fprintf (stderr,
                     "herd: keys: the topology sets no keys_dir%s%s (add "
                     "keys_dir = DIR to its herd section)\n",
                     i ? " for node " : "", i ? name : "");
            return -1;
        }
        char *path = herd_str_printf ("%s/%s.key", directory, name);
        char *secret = herd_str_printf ("%s_secret", path);
        if (!force && zsys_file_exists (path) && zsys_file_exists (secret)) {
            fprintf (out, "herd: %s: kept %s\n", name, path);
        } else {
            herd_dir_make (directory);
            zcert_t *cert = zcert_new ();
            zcert_set_meta (cert, "name", "%s", name);
            //  The secret file is written with owner-only permissions
            mode_t mask = umask (077);
            int rc = zcert_save_secret (cert, secret);
            umask (mask);
            rc = rc || zcert_save_public (cert, path);
            zcert_destroy (&cert);
            if (rc) {
                fprintf (stderr, "herd: %s: cannot write %s: %s\n", name, path,
                         strerror (errno));
                free (path);
                free (secret);
                return -1;
            }
            fprintf (out, "herd: %s: wrote %s and %s\n", name, path, secret);
            written++;
        }
        free (path);
        free (secret);
    }
    return written;
}

zcert_t *
herd_keys_secret (const char *directory, const char *name)
{
    //  zcert_load reads PATH_secret when there is one
    char *path = herd_str_printf ("%s/%s.key", directory, name);
    char *secret = herd_str_printf ("%s_secret", path);
    zcert_t *cert = zsys_file_exists (secret) ? zcert_load (path) : NULL;
    free (path);
    free (secret);
    return cert;
}

char *
herd_keys_public (const char *directory, const char *name)
{
    char *path = herd_str_printf ("%s/%s.key", directory, name);
    zcert_t *cert = zsys_file_exists (path) ? zcert_load (path) : NULL;
    free (path);
    if (!cert)
        return NULL;
    char *key = herd_str_dup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return key;
}
