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
# default 8, which take ~5 s under memcheck; svg_output writes into a scratch directory. Two runs
# go side by side, each with a directory (and TMPDIR) of its own.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release-tests}
command -v valgrind >/dev/null || { echo "valgrind not found (Debian: valgrind)"; exit 1; }
[[ -d "$build/examples" ]] || { echo "no examples in $build (build it first)"; exit 1; }

ompi_supp=/usr/share/openmpi/openmpi-valgrind.supp   # Debian's libopenmpi-dev
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
runs=0
declare -A pending=()   # pid -> "what|log" of the runs under way
# Waits for one pending run to end and reports it; a failure prints its log and stops.
finish_one() {
  local pid rc=0
  wait -n -p pid "${!pending[@]}" || rc=$?   # (bash >= 5.1)
  local what=${pending[$pid]%%|*} log=${pending[$pid]#*|}
  unset "pending[$pid]"
  if [[ $rc -ne 0 ]]; then
    cat "$log"
    echo "FAIL  $what: valgrind reported errors or the example failed (above)"
    [[ ${#pending[@]} -eq 0 ]] || kill "${!pending[@]}" 2>/dev/null || true
    exit 1
  fi
  echo "ok    $what"
}
for exe in "$build"/examples/*; do
  [[ -f "$exe" && -x "$exe" ]] || continue
  name=$(basename "$exe")
  # (ldd's output read whole: `ldd | grep -q` under pipefail fails at random when grep exits
  # before ldd has written everything, and ldd dies of SIGPIPE.)
  libs=$(ldd "$exe" 2>/dev/null || true)
  if [[ $libs == *libtorch* ]]; then
    echo "skip  $name (links LibTorch; see the top of this script)"
    continue
  fi
  checks=(--leak-check=full --errors-for-leak-kinds=definite,indirect)
  if [[ $libs == *libmpi* ]]; then
    checks=(--leak-check=no)
    [[ -f $ompi_supp ]] && checks+=(--suppressions="$ompi_supp")
  fi
  for isa in scalar avx2; do
    # Two runs at a time (memcheck runs one thread at a time): wait for one to end first.
    [[ ${#pending[@]} -lt 2 ]] || finish_one
    # Each run has a directory of its own, its TMPDIR (checkpoint_resume's state files) and
    # svg_output's pictures: two runs of one example must not share files.
    dir="$scratch/$name.$isa"
    mkdir -p "$dir"
    args=()
    [[ $name == parallel_update ]] && args=(2)
    [[ $name == svg_output ]] && args=("$dir")
    log="$dir.log"
    TMPDIR=$dir TALLY_ISA=$isa valgrind --quiet --error-exitcode=99 "${checks[@]}" \
      --track-origins=yes "$exe" ${args[@]+"${args[@]}"} >"$log" 2>&1 &
    pending[$!]="$name (TALLY_ISA=$isa)|$log"
    runs=$((runs + 1))
  done
done
while [[ ${#pending[@]} -gt 0 ]]; do finish_one; done
[[ $runs -gt 0 ]] || { echo "no example ran under valgrind"; exit 1; }
echo "valgrind: $runs example runs, no errors"
