#   The CS 131 herd of 2018-2019, on this machine's loopback.
#   Client ports 11801-11805, herd ports 11811-11815, taps
#   11831-11835 (herd monitor), metrics 11841-11845 (Prometheus).
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
        tap = tcp://127.0.0.1:11831
        metrics = 127.0.0.1:11841
    Hands
        client = 127.0.0.1:11802
        herd = tcp://127.0.0.1:11812
        tap = tcp://127.0.0.1:11832
        metrics = 127.0.0.1:11842
    Holiday
        client = 127.0.0.1:11803
        herd = tcp://127.0.0.1:11813
        tap = tcp://127.0.0.1:11833
        metrics = 127.0.0.1:11843
    Welsh
        client = 127.0.0.1:11804
        herd = tcp://127.0.0.1:11814
        tap = tcp://127.0.0.1:11834
        metrics = 127.0.0.1:11844
    Wilkes
        client = 127.0.0.1:11805
        herd = tcp://127.0.0.1:11815
        tap = tcp://127.0.0.1:11835
        metrics = 127.0.0.1:11845

links
    link = Goloman Hands
    link = Goloman Holiday
    link = Goloman Wilkes
    link = Hands Wilkes
    link = Holiday Welsh
    link = Holiday Wilkes
