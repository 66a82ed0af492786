#!/bin/sh
#  apt-deps.sh LOG PACKAGE... - install those of the Debian packages that
#  are missing, a line per step on the terminal and apt's whole output in
#  LOG.  Root installs; others through sudo.  Without either it says which
#  packages are missing and the one command that installs them, and fails.
#  apt-deps.sh --check LOG PACKAGE... only says which are missing, and how
#  to install them, and fails if any is.
set -u
check=
if [ "$1" = --check ]; then
    check=1
    shift
fi
log=$1
shift

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system (no dpkg-query); herd needs these packages or their likes: $*"
    exit 0
fi
missing=
for package in "$@"; do
    case " $missing " in *" $package "*) continue ;; esac
    case "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" in
    *" installed") ;;
    *) missing="$missing $package" ;;
    esac
done
[ -z "$missing" ] && exit 0

command="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ -n "$check" ]; then
    echo "deps: missing Debian packages:$missing"
    echo "deps: make run or make test installs them (make deps-run: only what the"
    echo "deps: program needs; make deps: the tests' too); or, as root:"
    echo "    $command"
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    sudo=
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo=sudo
else
    echo "deps: missing Debian packages:$missing"
    echo "deps: this needs root or sudo; as root, run this once, then make again:"
    echo "    $command"
    exit 1
fi

#  A log we cannot write (left by an earlier run as root): one of our own
if ! { mkdir -p "$(dirname "$log")" && : >"$log"; } 2>/dev/null; then
    log=$(mktemp /tmp/herd-deps.XXXXXX)
fi
export LC_ALL=C  #  apt's summary in words we can find
fail() {
    tail -n 15 "$log" | sed 's/^/    /'
    echo "deps: $1 failed; its whole output is in $log"
    echo "deps: to install by hand, as root: $command"
    exit 1
}
echo "deps: missing:$missing (apt's output: $log)"
echo "deps: apt-get update"
$sudo apt-get update >>"$log" 2>&1 || fail "apt-get update"
echo "deps: apt-get install"
$sudo env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
    apt-get install -y --no-install-recommends $missing >>"$log" 2>&1 \
    || fail "apt-get install"
echo "deps: $(grep -o '[0-9]* newly installed' "$log" | tail -n 1)"
