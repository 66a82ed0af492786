#!/usr/bin/env bash
# Runs every test program, prints its output, and sums cmocka's counts into
# one closing line: "tests: N passed, M failed".  A program that dies
# without cmocka's summary counts as one failure.
set -u
passed=0
failed=0
for bin in "$@"; do
    out=$(mktemp)
    ${HERD_WRAP:-} "$bin" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $bin exited with $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    rm -f "$out"
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
