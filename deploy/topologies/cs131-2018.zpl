#   The CS 131 herd of 2018-2019, on this machine's loopback.
#   Client ports 11801-11805, herd ports 11811-11815.
#   The offline Places stub on port 11820 (herd up starts it).
#   Every key is described in proto/topology.md.

herd
    front = tcp
    log_dir = logs

places
    provider = stub
    url = http://127.0.0.1:11820

nodes
    Goloman
        client = 127.0.0.1:11801
        herd = tcp://127.0.0.1:11811
    Hands
        client = 127.0.0.1:11802
        herd = tcp://127.0.0.1:11812
    Holiday
        client = 127.0.0.1:11803
        herd = tcp://127.0.0.1:11813
    Welsh
        client = 127.0.0.1:11804
        herd = tcp://127.0.0.1:11814
    Wilkes
        client = 127.0.0.1:11805
        herd = tcp://127.0.0.1:11815

links
    link = Goloman Hands
    link = Goloman Holiday
    link = Goloman Wilkes
    link = Hands Wilkes
    link = Holiday Welsh
    link = Holiday Wilkes
