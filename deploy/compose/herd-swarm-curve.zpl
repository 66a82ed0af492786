#   deploy/compose/herd-swarm.zpl with herd links over CURVE: the same herd,
#   node for node, plus keys_dir (deploy/docker-stack.curve.yml puts the
#   certificates there).  Keep the two files the same but for this header
#   and keys_dir: make swarm-test checks it.
herd
    log_dir = /var/lib/herd/logs
    state_dir = /var/lib/herd/state
    keys_dir = /etc/herd/keys
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
