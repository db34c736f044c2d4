#!/bin/bash
# npm test: the host suite (tap over test/**/*.test.js, exactly what `tap` alone ran before), then the cgroup v2 half
# in a qemu guest (test/vm/run-v2-suite.sh: skipped with "SKIP: <reason>" where no VM can run).
#
#   npm test                      both halves; exit non-zero if either failed
#   npm test -- test/cli ...      arguments go to tap, host half only (npm run test:v2 runs the guest half)
#
# When stdout is not a terminal (CI logs: .ci/run counts a step by its LAST "# { total: ... }" line), the two halves'
# summaries are followed by one line with their sums, so that the host half's assertions are counted too.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TAP=node_modules/.bin/tap
# The destructive kernel tests (cgroups, processes, runtimes: test/helpers/cgroups.js) run only when asked for.
export CGMGR_TEST_KERNEL=${CGMGR_TEST_KERNEL:-1}
# CGMGR_COVERAGE=1 (CI): the host half measures coverage and fails below the floors of .taprc (npm run coverage alone).
HOST_ARGS=()
[ "${CGMGR_COVERAGE:-0}" = 1 ] && HOST_ARGS=(--no-disable-coverage --no-allow-incomplete-coverage --coverage-report=text-summary)
# Test what was just built: stop when dist/ is older than lib/ or the addon older than native/ (scripts/check-build.js).
node scripts/check-build.js || exit 1

if [ $# -gt 0 ]; then
  "$TAP" "$@"
  rc=$?
  echo "# (cgroup v2 guest suite not run: arguments were given to tap; \`npm run test:v2\` runs it)"
  exit $rc
fi

if [ -t 1 ]; then
  "$TAP" "${HOST_ARGS[@]}"; hrc=$?
  echo
  bash test/vm/run-v2-suite.sh; vrc=$?
  [ "$hrc" -eq 0 ] && [ "$vrc" -eq 0 ]
  exit $?
fi

hlog=$(mktemp "${TMPDIR:-/tmp}/cgmgr-npm-test.XXXXXX")
vlog=$(mktemp "${TMPDIR:-/tmp}/cgmgr-npm-test.XXXXXX")
trap 'rm -f "$hlog" "$vlog"' EXIT
"$TAP" "${HOST_ARGS[@]}" 2>&1 | tee "$hlog"; hrc=${PIPESTATUS[0]}
echo
bash test/vm/run-v2-suite.sh 2>&1 | tee "$vlog"; vrc=${PIPESTATUS[0]}
hs=$(grep -E '^# \{ total: [0-9]+' "$hlog" | tail -n 1)
vs=$(grep -E '^# \{ total: [0-9]+' "$vlog" | tail -n 1)
if [ -n "$hs" ] && [ -n "$vs" ]; then
  num() { sed -nE "s/.*[{ ]$1: ([0-9]+).*/\\1/p" <<<"$2" | grep . || echo 0; }
  line="# { total: $(( $(num total "$hs") + $(num total "$vs") ))"
  for k in pass fail skip todo; do
    n=$(( $(num $k "$hs") + $(num $k "$vs") ))
    [ "$n" -gt 0 ] && line="$line, $k: $n"
  done
  echo
  echo "# npm test, host half + cgroup v2 guest half (host exit $hrc, guest exit $vrc):"
  echo "$line }"
fi
[ "$hrc" -eq 0 ] && [ "$vrc" -eq 0 ]
