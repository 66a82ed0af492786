#!/bin/sh
#  deps-check - deploy/apt-deps.sh for a user who may not install: it must
#  name the missing packages and the one command that installs them, and
#  fail, without touching apt.  As root it runs the script as nobody; a
#  user who may sudo without a password would really install, so it skips.
#  Run by `make deps-check` (part of make check).  Ends "deps-check: ok".

set -u
MISSING=herd-deps-check-no-such-package
SCRIPT=$(mktemp /tmp/herd-deps-check.XXXXXX)
LOG=$(mktemp -u /tmp/herd-deps-check-log.XXXXXX)
trap 'rm -f "$SCRIPT" "$LOG"' EXIT
#  A copy anyone may run: the clone may be in a directory only we can read
cp deploy/apt-deps.sh "$SCRIPT"
chmod 755 "$SCRIPT"

if [ "$(id -u)" = 0 ]; then
    out=$(su nobody -s /bin/sh -c "cd / && $SCRIPT $LOG libc6 $MISSING" </dev/null 2>&1)
    rc=$?
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "deps-check: skip: this user may sudo without a password"
    exit 0
else
    out=$(cd / && "$SCRIPT" "$LOG" libc6 "$MISSING" </dev/null 2>&1)
    rc=$?
fi

expected="deps: missing Debian packages: $MISSING
deps: this needs root or sudo; as root, run this once, then make again:
    apt-get update && apt-get install -y --no-install-recommends $MISSING"
if [ "$rc" != 1 ] || [ "$out" != "$expected" ]; then
    echo "deps-check: FAILED: exit $rc, and it said:" >&2
    printf '%s\n' "$out" >&2
    echo "deps-check: it should exit 1 saying:" >&2
    printf '%s\n' "$expected" >&2
    exit 1
fi
[ -e "$LOG" ] && { echo "deps-check: FAILED: it wrote $LOG" >&2; exit 1; }
echo "deps-check: ok"
