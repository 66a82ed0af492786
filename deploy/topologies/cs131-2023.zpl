#   The CS 131 herd of 2023-2024, on this machine's loopback.
#   Client ports 12301-12305, herd ports 12311-12315, taps
#   12331-12335 (herd monitor), metrics 12341-12345 (Prometheus).
#   The offline Places stub on port 12320 (herd up starts it).
#   Every key is described in proto/topology.md.

herd
    front = tcp
    log_dir = logs

places
    provider = stub
    url = http://127.0.0.1:12320

nodes
    Bailey
        client = 127.0.0.1:12301
        herd = tcp://127.0.0.1:12311
        tap = tcp://127.0.0.1:12331
        metrics = 127.0.0.1:12341
    Bona
        client = 127.0.0.1:12302
        herd = tcp://127.0.0.1:12312
        tap = tcp://127.0.0.1:12332
        metrics = 127.0.0.1:12342
    Campbell
        client = 127.0.0.1:12303
        herd = tcp://127.0.0.1:12313
        tap = tcp://127.0.0.1:12333
        metrics = 127.0.0.1:12343
    Clark
        client = 127.0.0.1:12304
        herd = tcp://127.0.0.1:12314
        tap = tcp://127.0.0.1:12334
        metrics = 127.0.0.1:12344
    Jaquez
        client = 127.0.0.1:12305
        herd = tcp://127.0.0.1:12315
        tap = tcp://127.0.0.1:12335
        metrics = 127.0.0.1:12345

links
    link = Clark Jaquez
    link = Clark Bona
    link = Campbell Bailey
    link = Campbell Bona
    link = Campbell Jaquez
    link = Bona Bailey
