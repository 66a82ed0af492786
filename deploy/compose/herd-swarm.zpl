#   The CS 131 2022 herd under Docker Swarm (deploy/docker-stack.yml): one
#   service per node, herd links by service name over the stack's overlay
#   network.  The stack hands this file to every task as a swarm config
#   (/etc/herd/herd-swarm.zpl), so the image need not change with it.
#
#   Each node advertises its service name (what its neighbours, clients
#   and herd monitor dial) and binds 0.0.0.0 in its own container.  A
#   task's address is known only once it runs and changes when the swarm
#   replaces it; the service names are published with endpoint_mode dnsrr,
#   so a name resolves to the task's address itself, and libzmq resolves
#   it again at every reconnect.
herd
    log_dir = /var/lib/herd/logs
    state_dir = /var/lib/herd/state
nodes
    Juzang
        client = juzang:12201
        client_bind = 0.0.0.0:12201
        herd = tcp://juzang:12211
        bind = tcp://0.0.0.0:12211
        tap = tcp://juzang:12231
        tap_bind = tcp://0.0.0.0:12231
        metrics = juzang:12241
        metrics_bind = 0.0.0.0:12241
    Bernard
        client = bernard:12202
        client_bind = 0.0.0.0:12202
        herd = tcp://bernard:12212
        bind = tcp://0.0.0.0:12212
        tap = tcp://bernard:12232
        tap_bind = tcp://0.0.0.0:12232
        metrics = bernard:12242
        metrics_bind = 0.0.0.0:12242
    Jaquez
        client = jaquez:12203
        client_bind = 0.0.0.0:12203
        herd = tcp://jaquez:12213
        bind = tcp://0.0.0.0:12213
        tap = tcp://jaquez:12233
        tap_bind = tcp://0.0.0.0:12233
        metrics = jaquez:12243
        metrics_bind = 0.0.0.0:12243
    Johnson
        client = johnson:12204
        client_bind = 0.0.0.0:12204
        herd = tcp://johnson:12214
        bind = tcp://0.0.0.0:12214
        tap = tcp://johnson:12234
        tap_bind = tcp://0.0.0.0:12234
        metrics = johnson:12244
        metrics_bind = 0.0.0.0:12244
    Clark
        client = clark:12205
        client_bind = 0.0.0.0:12205
        herd = tcp://clark:12215
        bind = tcp://0.0.0.0:12215
        tap = tcp://clark:12235
        tap_bind = tcp://0.0.0.0:12235
        metrics = clark:12245
        metrics_bind = 0.0.0.0:12245
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
