#!/usr/bin/env bash
# Runs every test program, prints its output, and sums cmocka's counts over
# every group into one closing line: "tests: N passed, M failed, K skipped".
# A program that exits non-zero without cmocka's failure count (a crash)
# counts as one failure.
set -u
passed=0
failed=0
skipped=0
sum () {
    sed -n "s/.*\[  $1 *\] \([0-9]*\) test.*/\1/p" "$2" | awk '{ s += $1 } END { print s + 0 }'
}
for bin in "$@"; do
    out=$(mktemp)
    ${HERD_WRAP:-} "$bin" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(sum "PASSED" "$out")
    f=$(sum "FAILED" "$out")
    s=$(sum "SKIPPED" "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $bin exited with $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    rm -f "$out"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
