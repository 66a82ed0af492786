#   The CS 131 herd of 2023-2024, on this machine's loopback.
#   Client ports 12301-12305, herd ports 12311-12315.
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
    Bona
        client = 127.0.0.1:12302
        herd = tcp://127.0.0.1:12312
    Campbell
        client = 127.0.0.1:12303
        herd = tcp://127.0.0.1:12313
    Clark
        client = 127.0.0.1:12304
        herd = tcp://127.0.0.1:12314
    Jaquez
        client = 127.0.0.1:12305
        herd = tcp://127.0.0.1:12315

links
    link = Clark Jaquez
    link = Clark Bona
    link = Campbell Bailey
    link = Campbell Bona
    link = Campbell Jaquez
    link = Bona Bailey
