#!/usr/bin/env bash
# The NEON rung on aarch64: cross-compiles the kernel, conformance and DiceScore tests with
# Debian's g++-aarch64-linux-gnu (static, -O2) and runs them under qemu-aarch64, so that every ISA
# cap (scalar, neon) and every reference case is checked on ARM code.
#
# usage: .ci/aarch64.sh [build-dir]      (needs g++-aarch64-linux-gnu, qemu-user, catch2 2.x and
#                                         nlohmann-json3-dev, all Debian packages)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/aarch64}
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
qemu=${QEMU_AARCH64:-qemu-aarch64}
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

command -v "$cxx" >/dev/null || { echo "aarch64: $cxx not found (apt-get install g++-aarch64-linux-gnu)"; exit 1; }
command -v "$qemu" >/dev/null || { echo "aarch64: $qemu not found (apt-get install qemu-user)"; exit 1; }

# The test-only header libraries (Catch2 2.x, nlohmann/json) are architecture-independent; they
# are reached through a directory of their own so that the host's /usr/include stays out of the
# cross compiler's search path.
mkdir -p "$out/include"
ln -sfn /usr/include/catch2 "$out/include/catch2"
ln -sfn /usr/include/nlohmann "$out/include/nlohmann"

flags=(-std=c++17 -O2 -DCATCH_CONFIG_FAST_COMPILE -Wall -Wextra -Wpedantic -Werror -I"$root/include" -I"$out/include"
       "-DTALLY_CONFORMANCE_DIR=\"$root/tests/conformance\"")
# Two unity units (one per core) and Catch2's main: each unit instantiates the NEON and scalar
# kernels once for all its files, where one unit per file instantiated them five times (the
# kernels are most of each file's compile time at -O2).
units=("kernels:test_kernels_labels test_kernels_binary test_parallel"
       "references:test_conformance test_dice_score")
sources=()
unit_files=()
for unit in "${units[@]}"; do
  file=$out/unity_${unit%%:*}.cpp
  : >"$file"
  for test in ${unit#*:}; do
    echo "#include \"$root/tests/$test.cpp\"" >>"$file"
    sources+=("$test")
  done
  unit_files+=("$file")
done

echo "aarch64: compiling ${sources[*]} in ${#units[@]} units, and catch_main_v2, with $cxx"
objects=()
running=0
for src in "${unit_files[@]}" "$root/tests/catch_main_v2.cpp"; do
  obj=$out/$(basename "${src%.cpp}").o
  objects+=("$obj")
  if ((running >= jobs)); then
    wait -n   # a failed compile fails the script (set -e)
    running=$((running - 1))
  fi
  # Catch2's runner at -O1, as tests/CMakeLists.txt builds it (no tally code in it).
  extra=()
  [[ $src == */catch_main_v2.cpp ]] && extra=(-O1)
  "$cxx" "${flags[@]}" "${extra[@]}" -c "$src" -o "$obj" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n
  running=$((running - 1))
done
"$cxx" -static -o "$out/tally_aarch64_tests" "${objects[@]}" -lpthread

echo "aarch64: the tests under $qemu, every ISA cap"
"$qemu" "$out/tally_aarch64_tests"
TALLY_ISA=scalar "$qemu" "$out/tally_aarch64_tests" "[kernels]"
