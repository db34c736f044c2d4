#!/bin/bash
# run-v2-suite.sh [TEST FILE...] - the cgroup v2 half of the test suite, in ONE qemu guest on a pure v2 hierarchy
# (a second one, under systemd, only for systemd*.test.js files).
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
# test/v2/**/*.test.js. Files named systemd*.test.js (given or found) need systemd as PID 1: they run in a second
# guest booted with `run.sh --systemd` (~5-8 s more boot than the plain guest, plus node and tap loading again),
# only when there are any; the closing summary line then sums both guests. A guest that cannot boot skips its own
# batch (SKIP line) and the other batch still counts.
# Env: CGMGR_V2=0 skips the suite (reported as a skip, like any other), CGVM_* as for build.sh / run.sh (CGVM_QEMU,
# CGVM_ACCEL, CGVM_DIR, CGVM_TIMEOUT ...), CGMGR_V2_TIMEOUT (default 600 s for each VM).
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
# Files named systemd*.test.js need systemd as PID 1 (the systemd manager over D-Bus): they run in a second guest
# booted with `run.sh --systemd`, only when there are any. Everything else shares the plain guest.
PLAIN=(); SYSTEMD=()
for f in "${FILES[@]}"; do
  case "${f##*/}" in systemd*.test.js) SYSTEMD+=("$f");; *) PLAIN+=("$f");; esac
done

# Top-level tests in the files: what tap would count as skipped if every one of them skipped.
count_tests() {
  local n
  n=$(cat "$@" 2>/dev/null | grep -cE '^t\.test\(')
  [ "$n" -gt 0 ] || n=$#
  echo "$n"
}
ntests=$(count_tests "${FILES[@]}")

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

# Under --systemd: boot-time units that the systemd manager's tests do not need (module loading, utmp, sysusers, time
# sync, journal flush) are masked; that takes ~7 s off a ~30 s boot to the command under emulation. D-Bus and
# journald stay. CGVM_SYSTEMD_MASK (also empty) overrides the list.
SYSTEMD_MASK="${CGVM_SYSTEMD_MASK-modprobe@configfs.service modprobe@dm_mod.service modprobe@efi_pstore.service \
modprobe@fuse.service modprobe@loop.service systemd-modules-load.service systemd-random-seed.service \
systemd-update-utmp.service systemd-sysusers.service systemd-timesyncd.service systemd-journal-flush.service \
proc-sys-fs-binfmt_misc.automount}"

# run_guest MODE FILE... - one VM (MODE plain or systemd) for a batch of files: node directly (not npm), tap loaded
# once by guest-suite.js. Sets SUMMARY to the batch's tap summary line; returns 0 (passed), 1 (failed, with a FAIL
# line) or 2 (the VM could not boot: a SKIP line, SUMMARY counts the batch's tests as skipped).
run_guest() {
  local mode="$1" rc tb=$SECONDS pass n opts=()
  shift
  [ "$mode" = systemd ] && opts=(--systemd)
  CGVM_TIMES=1 CGVM_SYSTEMD_MASK="$SYSTEMD_MASK" bash "$HERE/run.sh" "${opts[@]}" --timeout "${CGMGR_V2_TIMEOUT:-600}" \
    --cwd "$ROOT" node "$HERE/guest-suite.js" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  echo "# v2 guest ($mode): boot + suite $((SECONDS - tb)) s, exit $rc"
  SUMMARY=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  case "$rc" in
    125) n=$(count_tests "$@")
         echo "SKIP: cgroup v2 suite in a qemu guest not run ($mode guest): the VM could not boot or failed before the tests started: $(grep '^run.sh:' "$log" | tail -n 1 | sed 's/; serial log tail:$//' | cut -c1-200)"
         echo "# v2 suite ($*): $n tests skipped"
         SUMMARY="# { total: $n, pass: 0, fail: 0, skip: $n }"
         echo "$SUMMARY"
         return 2;;
    124) echo "FAIL: cgroup v2 $mode guest: the VM timed out while the tests ran"; return 1;;
    123) echo "FAIL: cgroup v2 $mode guest: the VM ended while the tests ran, without an exit code (guest crash?)"; return 1;;
    0) ;;
    *) echo "FAIL: cgroup v2 $mode guest: the suite failed inside the guest (exit $rc)"; return 1;;
  esac
  [ -n "$SUMMARY" ] || { echo "FAIL: cgroup v2 $mode guest: exit 0 but no tap summary in the guest's output"; return 1; }
  pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$SUMMARY")
  [ "${pass:-0}" -gt 0 ] || { echo "FAIL: cgroup v2 $mode guest: no assertion passed ($SUMMARY): the v2 tests did not run there"; return 1; }
  return 0
}

status=0; summaries=()
for mode in plain systemd; do
  if [ $mode = plain ]; then batch=("${PLAIN[@]+"${PLAIN[@]}"}"); else batch=("${SYSTEMD[@]+"${SYSTEMD[@]}"}"); fi
  [ ${#batch[@]} -gt 0 ] || continue
  run_guest $mode "${batch[@]}"; r=$?
  [ $r = 1 ] && status=1
  [ -n "$SUMMARY" ] && summaries+=("$SUMMARY")
done
echo "# v2 guest: build/check $((SECONDS - t0)) s in all, exit $status"
# Two guests: one closing line with the sums (CI counts a step by its LAST summary line).
if [ ${#summaries[@]} -gt 1 ]; then
  num() { sed -nE "s/.*[{ ]$1: ([0-9]+).*/\\1/p" <<<"$2" | grep . || echo 0; }
  sum() { local k="$1" s t=0; for s in "${summaries[@]}"; do t=$((t + $(num "$k" "$s"))); done; echo $t; }
  line="# { total: $(sum total)"
  for k in pass fail skip todo; do
    n=$(sum $k)
    [ "$n" -gt 0 ] && line="$line, $k: $n"
  done
  echo "$line }"
fi
exit $status
