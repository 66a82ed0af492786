#   The CS 131 herd of 2020, on this machine's loopback.
#   Client ports 12001-12005, herd ports 12011-12015, taps
#   12031-12035 (herd monitor), metrics 12041-12045 (Prometheus).
#   The offline Places stub on port 12020 (herd up starts it).
#   Every key is described in proto/topology.md.

herd
    front = tcp
    log_dir = logs

places
    provider = stub
    url = http://127.0.0.1:12020

nodes
    Hill
        client = 127.0.0.1:12001
        herd = tcp://127.0.0.1:12011
        tap = tcp://127.0.0.1:12031
        metrics = 127.0.0.1:12041
    Jaquez
        client = 127.0.0.1:12002
        herd = tcp://127.0.0.1:12012
        tap = tcp://127.0.0.1:12032
        metrics = 127.0.0.1:12042
    Smith
        client = 127.0.0.1:12003
        herd = tcp://127.0.0.1:12013
        tap = tcp://127.0.0.1:12033
        metrics = 127.0.0.1:12043
    Singleton
        client = 127.0.0.1:12004
        herd = tcp://127.0.0.1:12014
        tap = tcp://127.0.0.1:12034
        metrics = 127.0.0.1:12044
    Campbell
        client = 127.0.0.1:12005
        herd = tcp://127.0.0.1:12015
        tap = tcp://127.0.0.1:12035
        metrics = 127.0.0.1:12045

links
    link = Hill Jaquez
    link = Hill Smith
    link = Singleton Jaquez
    link = Singleton Smith
    link = Singleton Campbell
    link = Smith Campbell
