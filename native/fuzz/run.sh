#!/usr/bin/env bash
# Builds every libFuzzer target of native/fuzz/ (ASan + UBSan) and runs each for ${FUZZ_SECONDS:-20} seconds, seeded
# from native/fuzz/corpus/<name>/. Exits non-zero if a target fails to build, crashes, or finds a difference from its
# reference. Outputs (objects, binaries, the growing corpus, crash artifacts, logs) go to ${FUZZ_OUT:-build-fuzz}
# (gitignored); the seed corpus in the tree is only read.
# The targets whose parsers have vector (SSE2) or word-at-a-time (SWAR) paths are also built and run, for half the
# time, with those paths switched off (-DCGMGR_PARSE_NO_SIMD, then also -DCGMGR_PARSE_NO_SWAR), so that the portable
# code other CPUs use is fuzzed here too. FUZZ_VARIANTS=0 skips that.
#   FUZZ_SECONDS=10 bash native/fuzz/run.sh            # all targets
#   bash native/fuzz/run.sh psi iostat                 # some of them
set -euo pipefail

cd "$(dirname "$0")/../.."
SECONDS_EACH="${FUZZ_SECONDS:-20}"
HALF=$(( SECONDS_EACH / 2 > 0 ? SECONDS_EACH / 2 : 1 ))
OUT="${FUZZ_OUT:-build-fuzz}"
CXX="${FUZZ_CXX:-clang++}"
JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
CXXFLAGS=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror
  -Inative)
VARIANT_TARGETS=" flatkeyed list cpuacct psi iostat "
mkdir -p "$OUT"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in native/fuzz/fuzz_*.cc; do
    n="$(basename "$f" .cc)"
    targets+=("${n#fuzz_}")
  done
fi

# Jobs: "name variant seconds". Variant "" is the default build.
jobs=()
for name in "${targets[@]}"; do
  [ -f "native/fuzz/fuzz_${name}.cc" ] || { echo "run.sh: no native/fuzz/fuzz_${name}.cc" >&2; exit 2; }
  jobs+=("$name default $SECONDS_EACH")
  if [ "${FUZZ_VARIANTS:-1}" != 0 ] && [[ "$VARIANT_TARGETS" == *" $name "* ]]; then
    jobs+=("$name nosimd $HALF" "$name portable $HALF")
  fi
done

variant_flags() {
  case "$1" in
    default) ;;
    nosimd) echo "-DCGMGR_PARSE_NO_SIMD" ;;
    portable) echo "-DCGMGR_PARSE_NO_SIMD -DCGMGR_PARSE_NO_SWAR" ;;
  esac
}

# 1. The parsers, once per variant (in parallel).
compile_list=()
for variant in $(printf '%s\n' "${jobs[@]}" | awk '{print $2}' | sort -u); do
  mkdir -p "$OUT/obj/$variant"
  for src in native/parse/*.cc; do
    compile_list+=("$variant $src")
  done
done
echo "== building the parsers (${#compile_list[@]} objects, $JOBS jobs)"
export CXX OUT
export CXXFLAGS_STR="${CXXFLAGS[*]}"
printf '%s\n' "${compile_list[@]}" | xargs -P "$JOBS" -L 1 bash -c '
  variant="$0"; src="$1"
  case "$variant" in nosimd) extra="-DCGMGR_PARSE_NO_SIMD";; portable) extra="-DCGMGR_PARSE_NO_SIMD -DCGMGR_PARSE_NO_SWAR";; *) extra="";; esac
  $CXX $CXXFLAGS_STR $extra -c "$src" -o "$OUT/obj/$variant/$(basename "$src" .cc).o"' || { echo "FAILED: building the parsers" >&2; exit 1; }

# 2. The targets (in parallel).
echo "== building ${#jobs[@]} fuzz binaries"
printf '%s\n' "${jobs[@]}" | xargs -P "$JOBS" -L 1 bash -c '
  name="$0"; variant="$1"
  case "$variant" in nosimd) extra="-DCGMGR_PARSE_NO_SIMD";; portable) extra="-DCGMGR_PARSE_NO_SIMD -DCGMGR_PARSE_NO_SWAR";; *) extra="";; esac
  $CXX $CXXFLAGS_STR $extra "native/fuzz/fuzz_${name}.cc" "$OUT"/obj/"$variant"/*.o -o "$OUT/fuzz_${name}-${variant}"' \
  || { echo "FAILED: building the fuzz targets" >&2; exit 1; }

# 3. Run them, one after the other.
failed=()
for job in "${jobs[@]}"; do
  read -r name variant secs <<< "$job"
  tag="${name}-${variant}"
  work="$OUT/corpus/${name}"
  artifacts="$OUT/artifacts/${tag}"
  mkdir -p "$work" "$artifacts"
  seeds="native/fuzz/corpus/${name}"
  [ -d "$seeds" ] || seeds=""
  printf '== fuzz_%s (%ss): ' "$tag" "$secs"
  # The first corpus directory receives new inputs; the seed directory is only read.
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
      "$OUT/fuzz_${tag}" -max_total_time="$secs" -print_final_stats=1 -dict=native/fuzz/cgroup.dict \
      -artifact_prefix="$artifacts/" "$work" ${seeds:+"$seeds"} > "$OUT/fuzz_${tag}.log" 2>&1; then
    echo "FAILED"
    echo "!! fuzz_${tag}: log $OUT/fuzz_${tag}.log, artifacts $artifacts/" >&2
    tail -n 40 "$OUT/fuzz_${tag}.log" >&2
    failed+=("$tag")
    continue
  fi
  grep -E '^stat::number_of_executed_units' "$OUT/fuzz_${tag}.log" | awk '{print $2 " runs"}'
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#targets[@]} fuzz targets clean (${#jobs[@]} runs)"
