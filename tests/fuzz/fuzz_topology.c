/*  fuzz_topology - topology files: any text loads or is refused with its
    errors, each on its line, and a loaded topology answers every question
    about itself; and our ZPL scan (herd_zpl) refuses exactly what czmq's
    parser refuses, and gives every item of the tree its line  */

#include "herd_settings.h"
#include "herd_topo.h"
#include "herd_zpl.h"

#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Does zconfig itself accept text?  It prints why not on stdout, muted.
static bool
s_zconfig_accepts (const char *text)
{
    fflush (stdout);
    int saved = dup (STDOUT_FILENO);
    int null = open ("/dev/null", O_WRONLY);
    assert (saved >= 0 && null >= 0);
    dup2 (null, STDOUT_FILENO);
    zconfig_t *root = zconfig_str_load (text);
    fflush (stdout);
    dup2 (saved, STDOUT_FILENO);
    close (saved);
    close (null);
    bool accepted = root != NULL;
    zconfig_destroy (&root);
    return accepted;
}

//  Every item below parent has a line, after the line of the item before
//  it in document order (*last).
static void
s_check_lines (herd_zpl_t *zpl, zconfig_t *parent, size_t *last)
{
    for (zconfig_t *item = zconfig_child (parent); item;
         item = zconfig_next (item)) {
        size_t line = herd_zpl_line (zpl, item);
        assert (line > *last);
        *last = line;
        s_check_lines (zpl, item, last);
    }
}

static void
s_check_zpl (const char *text)
{
    herd_zpl_t *zpl = herd_zpl_new ();
    size_t line;
    const char *reason;
    if (herd_zpl_load (zpl, text, &line, &reason) == 0) {
        size_t last = 0;
        s_check_lines (zpl, herd_zpl_root (zpl), &last);
    } else {
        //  Refused by our scan, on a line, never by zconfig after it
        assert (line > 0 && reason);
        assert (!s_zconfig_accepts (text));
    }
    herd_zpl_destroy (&zpl);
}

//  Every error line is "<string>:LINE: what", in line order.
static void
s_check_errors (const char *errors)
{
    assert (*errors);
    long last = 0;
    for (const char *at = errors; *at; at = strchr (at, '\n') + 1) {
        assert (strncmp (at, "<string>:", 9) == 0);
        char *end;
        long line = strtol (at + 9, &end, 10);
        assert (line > 0 && line >= last && end[0] == ':' && end[1] == ' ');
        last = line;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    herd_topo_t *topo = herd_topo_new ();
    if (herd_topo_load_string (topo, text) == 0) {
        for (size_t i = 0; i < herd_topo_node_count (topo); i++) {
            const char *name = herd_topo_node_name (topo, i);
            assert (herd_topo_node_index (topo, name) == (int) i);
            herd_topo_herd_endpoint (topo, i);
            herd_topo_client_host (topo, i);
            assert (herd_topo_herd_bind (topo, i));
            assert (herd_topo_client_bind_host (topo, i));
            assert (herd_topo_client_bind_port (topo, i) > 0);
            //  Every setting of a node that loaded is usable
            herd_settings_t settings;
            const char *reason = NULL;
            assert (herd_settings_read (&settings, topo, i, NULL, &reason)
                    == 0);
            assert (settings.link.timeout_ms > settings.link.heartbeat_ms);
            assert (settings.link.reconnect_max_ms
                    >= settings.link.reconnect_ms);
            herd_topo_number (topo, i, "max_line");
            herd_topo_setting (topo, i, "front");
            for (size_t n = 0; n < herd_topo_neighbour_count (topo, i); n++)
                assert (herd_topo_neighbour (topo, i, n)
                        < herd_topo_node_count (topo));
        }
        herd_topo_places (topo, "provider");
    } else
        s_check_errors (herd_topo_errors (topo));
    herd_topo_destroy (&topo);
    s_check_zpl (text);
    free (text);
    return 0;
}
