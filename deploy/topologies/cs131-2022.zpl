#   The CS 131 herd of 2022, on this machine's loopback.
#   Client ports 12201-12205, herd ports 12211-12215.
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
    Bernard
        client = 127.0.0.1:12202
        herd = tcp://127.0.0.1:12212
    Jaquez
        client = 127.0.0.1:12203
        herd = tcp://127.0.0.1:12213
    Johnson
        client = 127.0.0.1:12204
        herd = tcp://127.0.0.1:12214
    Clark
        client = 127.0.0.1:12205
        herd = tcp://127.0.0.1:12215

links
    link = Clark Jaquez
    link = Clark Juzang
    link = Bernard Juzang
    link = Bernard Jaquez
    link = Bernard Johnson
    link = Juzang Johnson
