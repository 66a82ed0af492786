#   The CS 131 2022 herd as docker-compose runs it (deploy/docker-compose.yml):
#   one container per node, herd links by service name, the offline Places
#   server as the service "places".  Client, tap and metrics ports listen on
#   every interface of their container; compose publishes them on the
#   host's 127.0.0.1 only.  Herd ports stay inside the compose network.
herd
    log_dir = /var/lib/herd/logs
    state_dir = /var/lib/herd/state
nodes
    Juzang
        client = 0.0.0.0:12201
        herd = tcp://juzang:12211
        tap = tcp://0.0.0.0:12231
        metrics = 0.0.0.0:12241
    Bernard
        client = 0.0.0.0:12202
        herd = tcp://bernard:12212
        tap = tcp://0.0.0.0:12232
        metrics = 0.0.0.0:12242
    Jaquez
        client = 0.0.0.0:12203
        herd = tcp://jaquez:12213
        tap = tcp://0.0.0.0:12233
        metrics = 0.0.0.0:12243
    Johnson
        client = 0.0.0.0:12204
        herd = tcp://johnson:12214
        tap = tcp://0.0.0.0:12234
        metrics = 0.0.0.0:12244
    Clark
        client = 0.0.0.0:12205
        herd = tcp://clark:12215
        tap = tcp://0.0.0.0:12235
        metrics = 0.0.0.0:12245
links
    link = Clark Jaquez
    link = Clark Juzang
    link = Bernard Jaquez
    link = Bernard Juzang
    link = Bernard Johnson
    link = Juzang Johnson
places
    provider = stub
    url = http://places:12220
