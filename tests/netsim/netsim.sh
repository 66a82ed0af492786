#!/bin/sh
# netsim.sh - removal of the network namespaces the netsim tests make
# (tests/herd_test_netsim.c): every namespace is named hs<pid>-<n>-<host>,
# after the test process that made it, with its hosts file in
# /etc/netns/<namespace>/.
#
#   netsim.sh down PREFIX [SPARE_PID]   kill every process in each namespace
#                                       named PREFIX* (but SPARE_PID), delete
#                                       them and their /etc/netns dirs
#   netsim.sh sweep                     the same for every hs<pid>- prefix
#                                       whose test process is gone, and its
#                                       /tmp/herd-netsim-<pid>-* directories
#                                       (a run that ended leaves none of its
#                                       namespaces, so HERD_TEST_KEEP's stay)
#   netsim.sh list                      the namespaces of netsim tests
set -u
PATH=$PATH:/usr/sbin:/sbin

namespaces () {
    ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$1" || true
}

down () {
    prefix=$1
    spare=${2:-0}
    for ns in $(namespaces "$prefix"); do
        # Twice: a process may fork between the listing and the kill
        for round in 1 2; do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                [ "$pid" = "$spare" ] || [ "$pid" = "$$" ] || kill -9 "$pid" 2>/dev/null
            done
        done
        ip netns del "$ns" 2>/dev/null
    done
    for dir in /etc/netns/"$prefix"*; do
        [ -d "$dir" ] && rm -rf "$dir"
    done
    return 0
}

# Is the test process of pid alive (and still a netsim test, not a pid
# given to something else since)?
alive () {
    [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q netsim
}

case "${1:-}" in
    down)
        [ -n "${2:-}" ] || { echo "usage: $0 down PREFIX [SPARE_PID]" >&2; exit 64; }
        down "$2" "${3:-0}"
        ;;
    sweep)
        {
            namespaces hs
            ls /etc/netns 2>/dev/null | grep '^hs' || true
        } | sed -n 's/^hs\([0-9][0-9]*\)-.*/\1/p' | sort -u | while read -r pid; do
            if ! alive "$pid"; then
                echo "netsim: removing leftovers of test process $pid" >&2
                down "hs$pid-"
                rm -rf /tmp/herd-netsim-"$pid"-*
            fi
        done
        ;;
    list)
        namespaces hs
        ;;
    *)
        echo "usage: $0 down PREFIX [SPARE_PID] | sweep | list" >&2
        exit 64
        ;;
esac
