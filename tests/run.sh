#!/usr/bin/env bash
# Runs every test program and sums cmocka's counts over every group into
# one closing line: "tests: N passed, M failed, K skipped".  Each program
# gets one line (its counts and seconds), with the reasons of its skipped
# tests; a program with a failure prints its whole output.  A program that
# exits non-zero without cmocka's failure count (a crash) counts as one
# failure.  HERD_TEST_VERBOSE=1 prints every program's whole output.
set -u
passed=0
failed=0
skipped=0
sum () {
    sed -n "s/.*\[  $1 *\] \([0-9]*\) test.*/\1/p" "$2" | awk '{ s += $1 } END { print s + 0 }'
}
for bin in "$@"; do
    out=$(mktemp)
    start=$(date +%s.%N)
    ${HERD_WRAP:-} "$bin" >"$out" 2>&1
    rc=$?
    seconds=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
    p=$(sum "PASSED" "$out")
    f=$(sum "FAILED" "$out")
    s=$(sum "SKIPPED" "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $bin exited with $rc" >>"$out"
        f=1
    fi
    if [ "$f" -ne 0 ] || [ "${HERD_TEST_VERBOSE:-0}" = 1 ]; then
        cat "$out"
    fi
    status=ok
    [ "$f" -ne 0 ] && status=FAILED
    printf '%-6s %-36s %3d passed, %d failed, %d skipped  %6s s\n' \
        "$status" "$(basename "$bin")" "$p" "$f" "$s" "$seconds"
    if [ "$s" -ne 0 ] && [ "$f" -eq 0 ] && [ "${HERD_TEST_VERBOSE:-0}" != 1 ]; then
        grep -i 'skip' "$out" | grep -v '^\[\|SKIPPED TEST' | sort | uniq -c \
            | sed 's/^ *\([0-9]*\) /       \1 x /'
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    rm -f "$out"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
