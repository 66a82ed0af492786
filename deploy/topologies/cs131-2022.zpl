#   The CS 131 herd of 2022, on this machine's loopback.
#   Client ports 12201-12205, herd ports 12211-12215, taps
#   12231-12235 (herd monitor), metrics 12241-12245 (Prometheus).
#   The offline Places stub on port 12220 (herd up starts it).
#   Every key is described in proto/topology.md.

herd
    front = tcp
    log_dir = logs

places
    provider = stub
    url = http://127.0.0.1:12220

nodes
    Juzang
        client = 127.0.0.1:12201
        herd = tcp://127.0.0.1:12211
        tap = tcp://127.0.0.1:12231
        metrics = 127.0.0.1:12241
    Bernard
        client = 127.0.0.1:12202
        herd = tcp://127.0.0.1:12212
        tap = tcp://127.0.0.1:12232
        metrics = 127.0.0.1:12242
    Jaquez
        client = 127.0.0.1:12203
        herd = tcp://127.0.0.1:12213
        tap = tcp://127.0.0.1:12233
        metrics = 127.0.0.1:12243
    Johnson
        client = 127.0.0.1:12204
        herd = tcp://127.0.0.1:12214
        tap = tcp://127.0.0.1:12234
        metrics = 127.0.0.1:12244
    Clark
        client = 127.0.0.1:12205
        herd = tcp://127.0.0.1:12215
        tap = tcp://127.0.0.1:12235
        metrics = 127.0.0.1:12245

links
    link = Clark Jaquez
    link = Clark Juzang
    link = Bernard Juzang
    link = Bernard Jaquez
    link = Bernard Johnson
    link = Juzang Johnson
