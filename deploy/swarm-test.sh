#!/usr/bin/env bash
# make swarm-test: the default herd under Docker Swarm (deploy/docker-stack.yml,
# `docker stack deploy`), checked from the host over 127.0.0.1 only.
#
# Builds the image (and the base image if it must), makes a one-node swarm if
# the engine is in none, deploys the stack as "herdtest", waits until every
# node answers, checks that an IAMAT at Clark is answered by WHATSAT at
# Johnson (two hops), removes Johnson's container with `docker rm -f` and
# checks that the swarm starts a new one, that it catches up (the earlier
# client, and one that moved while it was gone) and that it gets the next
# update; then removes the stack and checks that no service, container,
# network, config or volume of it is left, nor the docker_gwbridge network
# if this run created it.  Leaves the swarm only if it made it, and stops
# dockerd only if it started it.  Needs root (or the docker group).
set -euo pipefail
cd "$(dirname "$0")/.."
herd=build/herd
stack=herdtest
stackfile=deploy/docker-stack.yml
ports="12201 12202 12203 12204 12205"
dockerd_log=/tmp/herd-dockerd.log

say () { echo "swarm-test: $*"; }
now () { date +%s.%N; }
since () { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

started_dockerd=
if ! docker info >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
        say "starting dockerd (log: $dockerd_log)"
        started_dockerd=1
        rm -f /var/run/docker.pid
        (dockerd >"$dockerd_log" 2>&1 &)
        for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    fi
    docker info >/dev/null 2>&1 || { say "no Docker engine"; exit 1; }
fi
stop_dockerd () {
    if [ -n "$started_dockerd" ] && [ -f /var/run/docker.pid ]; then
        kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
        for _ in $(seq 1 40); do [ -f /var/run/docker.pid ] || break; sleep 0.25; done
    fi
}

# What was there before us: the swarm, and docker_gwbridge (which the
# first task on an overlay network creates and nothing ever removes)
had_gwbridge=
docker network inspect docker_gwbridge >/dev/null 2>&1 && had_gwbridge=1
made_swarm=
swarm_state=$(docker info --format '{{.Swarm.LocalNodeState}}')
case $swarm_state in
    inactive) ;;
    active)
        [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || {
            say "this engine is a swarm worker: run the test on a manager"; stop_dockerd; exit 1; }
        say "using the swarm this engine is in" ;;
    *) say "this engine's swarm is '$swarm_state': fix or leave it first"; stop_dockerd; exit 1 ;;
esac

# Wait until a command succeeds, or fail after a deadline.
wait_for () {  # seconds description command...
    local deadline=$(( $(date +%s) + $1 )); local what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$what (waited $1 s)"
        sleep 0.2
    done
}
services () { docker service ls -q --filter "label=com.docker.stack.namespace=$stack"; }
containers () { docker ps -aq --filter "label=com.docker.stack.namespace=$stack"; }
networks () { docker network ls -q --filter "label=com.docker.stack.namespace=$stack"; }
volumes () { docker volume ls -q --filter "label=com.docker.stack.namespace=$stack"; }
configs () { docker config ls -q --filter "label=com.docker.stack.namespace=$stack" 2>/dev/null || true; }
none_left () { [ -z "$(services)$(containers)$(networks)$(configs)" ]; }

diagnose () {
    set +e
    echo "---- docker service ls"
    docker service ls --filter "label=com.docker.stack.namespace=$stack"
    for s in $(docker service ls --filter "label=com.docker.stack.namespace=$stack" \
                   --format '{{.Name}}'); do
        echo "---- $s: tasks"
        docker service ps --no-trunc --format '{{.Name}} {{.CurrentState}} {{.Error}}' "$s" | head -n 6
        for t in $(docker service ps -q --no-trunc "$s" | head -n 2); do
            echo "---- $s: task $t output (last 8 lines)"
            docker service logs --no-trunc --tail 8 "$t" 2>&1
        done
    done
    if docker volume inspect "${stack}_logs" >/dev/null 2>&1; then
        echo "---- node logs (last 15 lines each)"
        docker run --rm --network none -v "${stack}_logs:/logs:ro" --entrypoint /bin/sh \
            herd:latest -c 'for f in /logs/*.log; do echo "== $f"; tail -n 15 "$f"; done' 2>&1
    fi
    if [ -n "$started_dockerd" ]; then
        echo "---- dockerd errors (last 15)"
        grep -E 'level=(error|warning)' "$dockerd_log" | grep -v 'kernel parameter net.ipv4.vs' | tail -n 15
    fi
    set -e
}
fail () {
    say "FAILED: $*"
    diagnose
    exit 1
}

# Remove the stack and what `docker stack rm` leaves (its volumes).  Returns
# nonzero, with a message, if anything of it is left.
remove_stack () {
    if [ -n "$(services)$(networks)$(configs)" ]; then
        docker stack rm "$stack" >/dev/null 2>&1 || true
    fi
    local deadline=$(( $(date +%s) + 60 ))
    until none_left || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.5; done
    # Volumes outlive `docker stack rm`; once the containers are gone they can go
    for v in $(volumes); do docker volume rm "$v" >/dev/null 2>&1 || true; done
    none_left && [ -z "$(volumes)" ] && return 0
    say "left of stack $stack: services [$(services)] containers [$(containers)]" \
        "networks [$(networks)] configs [$(configs)] volumes [$(volumes)]"
    return 1
}
# Then the swarm and docker_gwbridge, if this run made them.
teardown () {
    local left=0
    remove_stack || left=1
    if [ -n "$made_swarm" ]; then
        docker swarm leave --force >/dev/null 2>&1 || { say "could not leave the swarm"; left=1; }
        made_swarm=
    fi
    if [ -z "$had_gwbridge" ] && docker network inspect docker_gwbridge >/dev/null 2>&1; then
        local users
        users=$(docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' docker_gwbridge)
        if [ "$users" = "gateway_ingress-sbox " ] && [ "$swarm_state" = active ]; then
            # The swarm we found made its ingress sandbox on this host when
            # our first task started, on a docker_gwbridge made for it: it is
            # the swarm's now, and removing it would cut the swarm's ingress
            say "note: docker_gwbridge, made during this run, now serves the swarm's ingress" \
                "sandbox and stays (docker swarm leave --force; docker network rm docker_gwbridge)"
        else
            docker network rm docker_gwbridge >/dev/null 2>&1 || {
                say "docker_gwbridge (made by this run) is still in use by: $users"; left=1; }
        fi
    fi
    return $left
}
on_exit () {
    local rc=$?
    trap - EXIT
    teardown || rc=1
    stop_dockerd
    exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# The published ports are those of `make run`'s herd and of compose-test's:
# say so plainly rather than let tasks fail half-way
for port in $ports; do
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
        say "port $port on this host is taken (a herd from make run, or docker-compose?): stop it first"
        exit 1
    fi
done

# The CURVE topology is the plain one plus keys_dir: say so if they drift
diff <(sed -n '/^herd$/,$p' deploy/compose/herd-swarm.zpl) \
     <(sed -n '/^herd$/,$p' deploy/compose/herd-swarm-curve.zpl | grep -v '^    keys_dir = ') \
    >/dev/null || { say "FAILED: deploy/compose/herd-swarm-curve.zpl is not herd-swarm.zpl plus keys_dir"; exit 1; }

deploy/base-image.sh
start=$(now)
docker build -q -f deploy/Dockerfile -t herd:latest . >/dev/null 2>&1 \
    || { docker build -f deploy/Dockerfile -t herd:latest . ; fail "docker build"; }
say "image herd:latest built in $(since "$start") s"
if [ "$swarm_state" = inactive ]; then
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
    made_swarm=1
    say "made a one-node swarm (left at the end)"
fi
# A stack of that name from an interrupted run, and its old state
remove_stack || fail "could not remove an earlier stack $stack"

deployed=$(now)
out=$(docker stack deploy --resolve-image never -c "$stackfile" "$stack" 2>&1) \
    || fail "docker stack deploy: $out"
for port in $ports; do
    wait_for 120 "node on $port answers" $herd ping "127.0.0.1:$port"
done
t_ready=$(since "$deployed")
say "5 nodes answer, $t_ready s after docker stack deploy"
# Only client ports are published: no tap (1223x), metrics (1224x), herd
# (1221x) or places (12220) port listens on the host
published=$(ss -Hltn | awk '{ print $4 }' | grep -E ':122(1[0-9]|2[0-9]|3[0-9]|4[0-9])$' || true)
[ -z "$published" ] || fail "ports other than the client ports are published on the host: $published"

ask () {  # port request -> reply (the grader's way: write, half-close, read)
    printf '%s\n' "$2" | nc -N -w 5 127.0.0.1 "$1"
}
answers_with () {  # port client expected-at-line
    [ "$(ask "$1" "WHATSAT $2 5 1" | head -n 1)" = "$3" ]
}
iamat () {  # variable port client location time: the AT line, or fail
    local at
    at=$(ask "$2" "IAMAT $3 $4 $5") || true
    case "$at" in "AT "*) printf -v "$1" '%s' "$at" ;; *) fail "IAMAT $3 at port $2 gave '$at'" ;; esac
}
run=$$-$(date +%s)
at1='' at2='' at3=''
c1=kiwi-$run.cs.ucla.edu
c2=lime-$run.cs.ucla.edu
c3=fig-$run.cs.ucla.edu

iamat at1 12205 "$c1" +34.068930-118.445127 "$(date +%s).1"
wait_for 10 "IAMAT at Clark reaches Johnson (2 hops): WHATSAT $c1 at 12204" \
    answers_with 12204 "$c1" "$at1"
for port in 12201 12202 12203; do
    wait_for 10 "IAMAT at Clark reaches the node on $port" answers_with $port "$c1" "$at1"
done
whatsat=$(ask 12204 "WHATSAT $c1 10 2")
echo "$whatsat" | grep -q '"status" : "OK"' || fail "WHATSAT at Johnson gave: $whatsat"
say "IAMAT at Clark answered by WHATSAT at Johnson (two hops), with places from the places service"

old=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_johnson")
[ -n "$old" ] || fail "no container of ${stack}_johnson"
killed=$(now)
docker rm -f "$old" >/dev/null
# Moves while Johnson is gone (at Clark: no neighbour of Johnson's holds the
# reply waiting for it): only catch-up can bring this one to the new task
iamat at2 12205 "$c2" +34.1-118.4 "$(date +%s).2"
new_task () {
    local id
    id=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_johnson")
    [ -n "$id" ] && [ "$id" != "$old" ]
}
wait_for 60 "the swarm starts a new Johnson" new_task
wait_for 60 "the new Johnson answers" $herd ping 127.0.0.1:12204
t_up=$(since "$killed")
wait_for 30 "the new Johnson knows $c1 (the client from before)" answers_with 12204 "$c1" "$at1"
wait_for 30 "the new Johnson caught up with $c2 (moved while it was gone)" \
    answers_with 12204 "$c2" "$at2"
t_caught=$(since "$killed")
say "docker rm -f Johnson: a new task answers after $t_up s, caught up after $t_caught s"
iamat at3 12205 "$c3" +34.2-118.3 "$(date +%s).3"
wait_for 10 "the new Johnson gets the next update (IAMAT $c3 at Clark)" \
    answers_with 12204 "$c3" "$at3"
say "the new Johnson gets the next update"

removed=$(now)
teardown || fail "docker stack rm left things behind (above)"
t_rm=$(since "$removed")
say "docker stack rm: no service, container, network, config or volume left ($t_rm s)"
trap - EXIT
stop_dockerd
say "passed in $(since "$start") s (deploy to ready $t_ready s; rm -f to answering $t_up s," \
    "to caught up $t_caught s) on $(date -u +%Y-%m-%d)"
