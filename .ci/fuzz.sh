#!/usr/bin/env bash
# Builds tally's libFuzzer targets (tests/fuzz, clang + ASan + UBSan) and runs each one on a copy
# of its seed corpus for a fixed time budget (60 s of fuzzing in all, two targets at a time, so
# about 35 s of wall time). Prints each target's executions and the total; exits non-zero on any
# crash, oracle mismatch, leak, timeout or OOM.
#
#   .ci/fuzz.sh                         # default budget
#   FUZZ_SECONDS=600 .ci/fuzz.sh        # longer: total seconds, split over the targets
#   FUZZ_KERNELS_LIB=build/asan/libtally_compiled_kernels.a .ci/fuzz.sh
#                                       # link the sanitized tally::kernels of the asan preset
#                                       # instead of compiling the kernels into every target
#                                       # (FUZZ_NO_AVX512=ON when it was built with TALLY_NO_AVX512)
#   FUZZ_OPT_LEVEL=1 FUZZ_SECONDS=3600 .ci/fuzz.sh
#                                       # -O1: builds in ~5 min instead of ~80 s, runs about
#                                       # twice as many inputs per second; worth it for long runs
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
total_seconds=${FUZZ_SECONDS:-60}
targets=(fuzz_multiclass fuzz_binary_multilabel fuzz_dice fuzz_state)
weights=(4 3 3 2)   # shares of the budget: the multiclass target is the slowest per input
weight_sum=12

# Set here, not inherited (.ci/run exports its own): the targets feed impossible sizes, which must
# reach the library as std::bad_alloc (allocator_may_return_null), not abort inside ASan.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

start=$SECONDS
cxx=${FUZZ_CXX:-clang++}
cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DTALLY_FUZZ_OPT_LEVEL="${FUZZ_OPT_LEVEL:-0}" -DTALLY_FUZZ_KERNELS_LIB="${FUZZ_KERNELS_LIB:-}" \
  -DTALLY_NO_AVX512="${FUZZ_NO_AVX512:-OFF}" \
  >/dev/null
cmake --build "$build" -j "${FUZZ_JOBS:-2}"
build_time=$((SECONDS - start))
echo "== fuzz build: ${build_time} s"

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The targets run side by side, FUZZ_RUN_JOBS at a time (default: the build's parallel level),
# each for its own budget; their reports follow in order.
run_jobs=${FUZZ_RUN_JOBS:-${CMAKE_BUILD_PARALLEL_LEVEL:-2}}
run_target() {   # target, seconds: runs it, leaves its exit code in $work/<target>.rc
  local t=$1 seconds=$2 rc=0
  (cd "$work" && "$build/$t" "$work/$t" -max_total_time="$seconds" -timeout=25 \
     -rss_limit_mb=2560 -malloc_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$work/$t-" >"$work/$t.log" 2>&1) || rc=$?
  echo "$rc" >"$work/$t.rc"
}
running=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  per_target=$(( total_seconds * ${weights[$i]} / weight_sum ))
  (( per_target >= 1 )) || per_target=1
  mkdir -p "$work/$t"
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/$t/"   # never modify the repository's corpus
  echo "== $t: ${per_target} s on $(ls "$work/$t" | wc -l) seeds"
  if (( running >= run_jobs )); then
    wait -n
    running=$((running - 1))
  fi
  run_target "$t" "$per_target" &
  running=$((running + 1))
done
wait

grand=0
failed=()
for t in "${targets[@]}"; do
  log="$work/$t.log"
  rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
  execs=${execs:-0}
  grand=$((grand + execs))
  if (( rc != 0 )); then
    echo "!! $t FAILED (exit $rc) after $execs executions; log tail:"
    tail -n 60 "$log"
    for a in "$work/$t-"*; do
      [[ -e "$a" ]] || continue
      mkdir -p "$root/build/fuzz-artifacts"
      cp "$a" "$root/build/fuzz-artifacts/"
      echo "!! reproducer saved: build/fuzz-artifacts/$(basename "$a")  (run: $build/$t <file>)"
    done
    failed+=("$t")
  else
    printf '   %-24s %10d executions\n' "$t" "$execs"
  fi
done
printf '== fuzz total: %d executions; build %d s, total %d s\n' "$grand" "$build_time" $((SECONDS - start))
if (( ${#failed[@]} )); then
  echo "FUZZ FAILED: ${failed[*]}"
  exit 1
fi
