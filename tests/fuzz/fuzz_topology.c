/*  fuzz_topology - topology files: any text loads or is refused with its
    errors, and a loaded topology answers every question about itself  */

#include "herd_settings.h"
#include "herd_topo.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

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
        assert (*herd_topo_errors (topo));
    herd_topo_destroy (&topo);
    free (text);
    return 0;
}
