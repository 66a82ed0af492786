#!/bin/sh
#  install-check - make install into a scratch DESTDIR with a PREFIX of its
#  own, then check the exact tree, the program, the man page (mandoc -T
#  lint, else groff -ww) and the systemd units (systemd-analyze verify,
#  where it works); then make uninstall and check that nothing is left.
#  Run by `make install-check`, which sets HERD_MAKE (the make to run: the
#  rule does not name $(MAKE), which would run it under `make -n` too) and
#  BUILD.  Ends with "install-check: ok", or the first failure and a
#  non-zero exit.

set -eu
MAKE=${HERD_MAKE:-make}
BUILD=${BUILD:-$(pwd)/build}
PREFIX=/opt/herd-test
#  The scratch directory: root/ is DESTDIR, the rest is working space
SCRATCH=$(mktemp -d "$BUILD/install-check.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 1' INT TERM
DESTDIR=$SCRATCH/root
OUT=$SCRATCH/out
mkdir "$DESTDIR"
ROOT=$DESTDIR$PREFIX
UNITS="herd@.service herd-places-stub.service"
YEARS="2018 2020 2021 2022 2023"

fail () {
    echo "install-check: FAILED: $*" >&2
    exit 1
}

#  Every entry under DESTDIR: type, mode (octal) and path.
tree () {
    (cd "$DESTDIR" && find . -mindepth 1 -printf '%y %m %P\n' | LC_ALL=C sort)
}

#  Only PREFIX is given: the directories must follow it.
run_make () {
    (unset BINDIR DATADIR MANDIR UNITDIR
     exec "$MAKE" --no-print-directory -s "$@" DESTDIR="$DESTDIR" PREFIX="$PREFIX") \
        >"$OUT" 2>&1 || { cat "$OUT" >&2; fail "make $*"; }
}

#  The directories above and under PREFIX, then the files, as tree prints
#  them; nothing else may be there.
expected () {
    {
        for dir in opt opt/herd-test opt/herd-test/bin opt/herd-test/lib \
            opt/herd-test/lib/systemd opt/herd-test/lib/systemd/system \
            opt/herd-test/share opt/herd-test/share/herd \
            opt/herd-test/share/herd/topologies opt/herd-test/share/man \
            opt/herd-test/share/man/man1; do
            echo "d 755 $dir"
        done
        echo "f 755 opt/herd-test/bin/herd"
        for unit in $UNITS; do
            echo "f 644 opt/herd-test/lib/systemd/system/$unit"
        done
        for year in $YEARS; do
            echo "f 644 opt/herd-test/share/herd/topologies/cs131-$year.zpl"
        done
        echo "f 644 opt/herd-test/share/man/man1/herd.1"
    } | LC_ALL=C sort
}

#  1. The tree.
run_make install
if [ "$(tree)" != "$(expected)" ]; then
    echo "expected:" >&2; expected >&2
    echo "installed:" >&2; tree >&2
    fail "the installed tree differs"
fi
cmp -s doc/herd.1 "$ROOT/share/man/man1/herd.1" || fail "herd.1 is not doc/herd.1"
for year in $YEARS; do
    cmp -s "deploy/topologies/cs131-$year.zpl" \
        "$ROOT/share/herd/topologies/cs131-$year.zpl" || fail "cs131-$year.zpl differs"
done

#  2. The units name PREFIX's paths, and no placeholder is left.
for unit in $UNITS; do
    file=$ROOT/lib/systemd/system/$unit
    if grep -n '@[A-Z_]*@' "$file" >&2; then
        fail "$unit: a placeholder is left"
    fi
    grep -q "^ExecStart=$PREFIX/bin/herd " "$file" || fail "$unit: ExecStart is not $PREFIX/bin/herd"
    grep -q "^Environment=HERD_TOPOLOGY=$PREFIX/share/herd/topologies/cs131-2022.zpl$" "$file" \
        || fail "$unit: HERD_TOPOLOGY is not under $PREFIX/share/herd"
done

#  3. The program runs from there, and reads every topology it came with.
"$ROOT/bin/herd" --help >"$OUT" 2>&1 || fail "herd --help exited $?"
grep -q '^usage: herd' "$OUT" || fail "herd --help printed no usage"
for year in $YEARS; do
    "$ROOT/bin/herd" check -t "$ROOT/share/herd/topologies/cs131-$year.zpl" >"$OUT" 2>&1 \
        || { cat "$OUT" >&2; fail "herd check cs131-$year.zpl"; }
    [ "$(wc -l <"$OUT")" -eq 5 ] || fail "cs131-$year.zpl: not 5 nodes"
done
#  Without -t and HERD_TOPOLOGY, an installed herd finds the installed
#  cs131-2022.zpl (../share/herd/topologies from its own directory).  A herd
#  that still wants -t answers with its usage and exit 2: say so.
rc=0
(unset HERD_TOPOLOGY; exec "$ROOT/bin/herd" check) >"$OUT" 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then
    echo "install-check: skip default topology: this herd still wants -t"
elif [ "$rc" -ne 0 ] || ! grep -q '^Clark	127.0.0.1:12205	' "$OUT"; then
    cat "$OUT" >&2
    fail "herd check without -t did not read the installed cs131-2022.zpl"
fi

#  4. The man page: no warnings at all.
if command -v mandoc >/dev/null 2>&1; then
    lint="mandoc -T lint -W warning"
    out=$(mandoc -T lint -W warning doc/herd.1 2>&1) || true
elif command -v groff >/dev/null 2>&1; then
    lint="groff -ww -z -mdoc"
    out=$(groff -ww -z -mdoc doc/herd.1 2>&1) || true
else
    lint=
    echo "install-check: skip man page lint: neither mandoc nor groff is installed"
fi
if [ -n "$lint" ]; then
    [ -z "$out" ] || { echo "$out" >&2; fail "$lint doc/herd.1 warns"; }
    echo "install-check: $lint doc/herd.1: clean"
fi

#  5. The units, through systemd-analyze verify.  It needs the programs the
#  units run to exist, so each is verified with the DESTDIR's copy of herd
#  in ExecStart, and man to find herd(1) for Documentation=.  A trivial
#  unit is verified first: if even that fails or says anything, this
#  machine's systemd-analyze cannot judge units (no systemd here, say), and
#  the step is skipped with its words; otherwise any word about our units
#  is a failure.
if command -v systemd-analyze >/dev/null 2>&1; then
    verify=$SCRATCH/verify
    mkdir -p "$verify"
    printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' \
        >"$verify/herd-probe.service"
    if ! probe=$(systemd-analyze verify "$verify/herd-probe.service" 2>&1) \
        || [ -n "$probe" ]; then
        echo "install-check: skip systemd-analyze verify: it fails on a trivial unit here: $probe"
    else
        for unit in $UNITS; do
            sed "s|^ExecStart=$PREFIX/bin/herd |ExecStart=$ROOT/bin/herd |" \
                "$ROOT/lib/systemd/system/$unit" >"$verify/$unit"
        done
        #  Documentation=man:herd(1) is checked with man, if there is one
        man=--man=yes
        if ! command -v man >/dev/null 2>&1; then
            man=--man=no
            echo "install-check: skip Documentation= in systemd-analyze verify: no man"
        fi
        #  The template is verified through an instance of it
        for unit in herd@Clark.service herd-places-stub.service; do
            if ! out=$(MANPATH="$ROOT/share/man" systemd-analyze verify "$man" "$verify/$unit" 2>&1) \
                || [ -n "$out" ]; then
                echo "$out" >&2
                fail "systemd-analyze verify $unit"
            fi
        done
        echo "install-check: systemd-analyze verify: clean"
    fi
else
    echo "install-check: skip systemd-analyze verify: no systemd-analyze"
fi

#  6. make uninstall leaves the directories it did not make its own
#  (bin, man1, the unit directory...), and no file.
run_make uninstall
left=$(cd "$DESTDIR" && find . -mindepth 1 ! -type d -printf '%P\n')
[ -z "$left" ] || { echo "$left" >&2; fail "make uninstall left files"; }
[ ! -e "$ROOT/share/herd" ] || fail "make uninstall left $PREFIX/share/herd"
[ -d "$ROOT/bin" ] || fail "make uninstall removed $PREFIX/bin"

echo "install-check: ok"
