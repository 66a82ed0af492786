#   The CS 131 herd of 2021, on this machine's loopback.
#   Client ports 12101-12105, herd ports 12111-12115, taps
#   12131-12135 (herd monitor), metrics 12141-12145 (Prometheus).
#   The offline Places stub on port 12120 (herd up starts it).
#   Every key is described in proto/topology.md.

herd
    front = tcp
    log_dir = logs

places
    provider = stub
    url = http://127.0.0.1:12120

nodes
    Riley
        client = 127.0.0.1:12101
        herd = tcp://127.0.0.1:12111
        tap = tcp://127.0.0.1:12131
        metrics = 127.0.0.1:12141
    Jaquez
        client = 127.0.0.1:12102
        herd = tcp://127.0.0.1:12112
        tap = tcp://127.0.0.1:12132
        metrics = 127.0.0.1:12142
    Juzang
        client = 127.0.0.1:12103
        herd = tcp://127.0.0.1:12113
        tap = tcp://127.0.0.1:12133
        metrics = 127.0.0.1:12143
    Campbell
        client = 127.0.0.1:12104
        herd = tcp://127.0.0.1:12114
        tap = tcp://127.0.0.1:12134
        metrics = 127.0.0.1:12144
    Bernard
        client = 127.0.0.1:12105
        herd = tcp://127.0.0.1:12115
        tap = tcp://127.0.0.1:12135
        metrics = 127.0.0.1:12145

links
    link = Riley Jaquez
    link = Riley Juzang
    link = Bernard Jaquez
    link = Bernard Juzang
    link = Bernard Campbell
    link = Juzang Campbell
