#!/usr/bin/env bash
# Runs every example of a build under valgrind's memcheck, once per kernel family valgrind can
# execute (scalar and AVX2; valgrind has no AVX-512, and hides it from the CPU detection), and
# fails on any error report or definite/indirect leak.
#
# usage: .ci/valgrind_examples.sh [build dir]     (default build/release-tests: g++ -O2, the README's test preset)
#
# Examples that link LibTorch are skipped: Debian's LibTorch loads libhwy, whose start-up code
# executes an instruction valgrind 3.19 does not know (rdtscp), before main() runs. The LibTorch
# adapter runs under ASan + UBSan instead (preset asan).
#
# Examples that link MPI run as one process (an MPI singleton, no mpiexec) with leak checking off:
# Open MPI never frees some of its start-up allocations, which memcheck reports as definite leaks
# (its own suppression file is used when installed). ctest runs them on 4 processes.
#
# parallel_update runs on 2 images (2^20 elements, still split over threads) instead of its
# default 8, which take ~5 s under memcheck; svg_output writes into a scratch directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release-tests}
command -v valgrind >/dev/null || { echo "valgrind not found (Debian: valgrind)"; exit 1; }
[[ -d "$build/examples" ]] || { echo "no examples in $build (build it first)"; exit 1; }

ompi_supp=/usr/share/openmpi/openmpi-valgrind.supp   # Debian's libopenmpi-dev
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
runs=0
for exe in "$build"/examples/*; do
  [[ -f "$exe" && -x "$exe" ]] || continue
  name=$(basename "$exe")
  # (ldd's output read whole: `ldd | grep -q` under pipefail fails at random when grep exits
  # before ldd has written everything, and ldd dies of SIGPIPE.)
  libs=$(ldd "$exe")
  if [[ $libs == *libtorch* ]]; then
    echo "skip  $name (links LibTorch; see the top of this script)"
    continue
  fi
  args=()
  [[ $name == parallel_update ]] && args=(2)
  [[ $name == svg_output ]] && args=("$scratch")   # its pictures go to a scratch directory
  checks=(--leak-check=full --errors-for-leak-kinds=definite,indirect)
  if [[ $libs == *libmpi* ]]; then
    checks=(--leak-check=no)
    [[ -f $ompi_supp ]] && checks+=(--suppressions="$ompi_supp")
  fi
  for isa in scalar avx2; do
    log=$(mktemp)
    if ! TALLY_ISA=$isa valgrind --quiet --error-exitcode=99 "${checks[@]}" --track-origins=yes \
        "$exe" ${args[@]+"${args[@]}"} >"$log" 2>&1; then
      cat "$log"
      echo "FAIL  $name (TALLY_ISA=$isa): valgrind reported errors or the example failed (above)"
      exit 1
    fi
    rm -f "$log"
    runs=$((runs + 1))
    echo "ok    $name (TALLY_ISA=$isa)"
  done
done
[[ $runs -gt 0 ]] || { echo "no example ran under valgrind"; exit 1; }
echo "valgrind: $runs example runs, no errors"
