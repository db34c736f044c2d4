#!/bin/bash
# run-v2-suite.sh [TEST FILE...] - the cgroup v2 half of the test suite, in ONE qemu guest on a pure v2 hierarchy.
#
# Builds the guest if needed (test/vm/build.sh: Debian's kernel + a busybox initramfs; installs qemu-system-x86 when
# root and missing), boots it once (test/vm/run.sh, software emulation) and runs the v2 test files in a single tap
# process there (test/vm/guest-suite.js); the guest sees this checkout read-only, so dist/ and build/Release must be
# built on the host first. The guest's output streams here, tap's closing "# { total: ... }" line included.
#
# Exit status: 0 when the suite passed inside the guest, or when the guest could not be built or booted - then it
# prints "SKIP: <reason>" and a tap-style summary with every v2 test counted as skipped, so a run without a VM is
# never mistaken for a pass. Non-zero when a test failed in the guest, the guest crashed or timed out while the tests
# ran, or the guest's output has no tap summary / no passing assertion.
#
# Default test files: the real-kernel tests that take the v2 paths on a unified host (skipped on a v1 host) and
# test/v2/**/*.test.js. Env: CGMGR_V2=0 skips the suite (reported as a skip, like any other), CGVM_* as for
# build.sh / run.sh (CGVM_QEMU, CGVM_ACCEL, CGVM_DIR, CGVM_TIMEOUT ...), CGMGR_V2_TIMEOUT (default 600 s for the VM).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT" || exit 1

if [ $# -gt 0 ]; then
  FILES=("$@")
else
  FILES=(test/stats/kernel-v2.test.js test/managers/kernel.test.js)
  while IFS= read -r f; do FILES+=("$f"); done < <(find test/v2 -name '*.test.js' 2>/dev/null | sort)
fi

# Top-level tests in the files: what tap would count as skipped if every one of them skipped.
ntests=$(cat "${FILES[@]}" 2>/dev/null | grep -cE '^t\.test\(')
[ "$ntests" -gt 0 ] || ntests=${#FILES[@]}

skip() {
  echo "SKIP: cgroup v2 suite in a qemu guest not run: $*"
  echo "# v2 suite (${FILES[*]}): $ntests tests skipped"
  echo "# { total: $ntests, pass: 0, fail: 0, skip: $ntests }"
  exit 0
}
fail() {
  echo "FAIL: cgroup v2 suite in a qemu guest: $*"
  exit 1
}

echo "# cgroup v2 suite in a qemu guest: ${FILES[*]}"
[ "${CGMGR_V2:-1}" = 0 ] && skip "CGMGR_V2=0"
for f in "${FILES[@]}"; do [ -f "$f" ] || fail "no test file $f"; done
# The guest runs this checkout's build: a missing build is the project's failure, not the VM's.
[ -f dist/index.js ] || fail "dist/index.js missing: build the project first (npx tsc -p tsconfig.json)"
[ -f build/Release/cgmgr.node ] || [ -n "${CGMGR_ADDON:-}" ] || fail "build/Release/cgmgr.node missing: build the addon first"
[ "$(uname -s)" = Linux ] || skip "not Linux"
[ "$(uname -m)" = x86_64 ] || skip "the guest recipe is x86_64 only (this is $(uname -m))"

t0=$SECONDS
blog=$(mktemp "${TMPDIR:-/tmp}/cgmgr-v2-build.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/cgmgr-v2-suite.XXXXXX")
trap 'rm -f "$blog" "$log"' EXIT
if ! bash "$HERE/build.sh" >"$blog" 2>&1; then
  sed 's/^/#   /' "$blog" | tail -n 15
  skip "the guest could not be built: $(grep -v '^\s*$' "$blog" | tail -n 1)"
fi
sed 's/^/# /' "$blog"
tb=$SECONDS

# One VM for the whole batch. node directly (not npm); tap loaded once by guest-suite.js.
CGVM_TIMES=1 bash "$HERE/run.sh" --timeout "${CGMGR_V2_TIMEOUT:-600}" --cwd "$ROOT" \
  node "$HERE/guest-suite.js" "${FILES[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "# v2 guest: build/check $((tb - t0)) s, boot + suite $((SECONDS - tb)) s, exit $rc"
case "$rc" in
  125) skip "the VM could not boot or failed before the tests started: $(grep '^run.sh:' "$log" | tail -n 1 | sed 's/; serial log tail:$//' | cut -c1-200)";;
  124) fail "the VM timed out while the tests ran";;
  123) fail "the VM ended while the tests ran, without an exit code (guest crash?)";;
  0) ;;
  *) fail "the suite failed inside the guest (exit $rc)";;
esac
summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
[ -n "$summary" ] || fail "exit 0 but no tap summary in the guest's output"
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
[ "${pass:-0}" -gt 0 ] || fail "no assertion passed in the guest ($summary): the v2 tests did not run there"
exit 0
