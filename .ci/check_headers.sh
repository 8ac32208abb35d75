#!/usr/bin/env bash
# Header hygiene: every public and detail header compiles on its own (and twice in a row, which
# proves its include guard), with g++ and clang++, as C++17 and C++20, warning-free.
# Optional adapters are checked only where their dependency is installed.
#
# usage: .ci/check_headers.sh            (from anywhere; compilers from $CHECK_CXX, default "g++ clang++")
set -euo pipefail

cd "$(dirname "$0")/.."
compilers=(${CHECK_CXX:-g++ clang++})
standards=(c++17 c++20)
jobs=${CHECK_JOBS:-2}
common_flags=(-Wall -Wextra -Wpedantic -Werror -fsyntax-only -Iinclude)

available=()
for cxx in "${compilers[@]}"; do
  if command -v "$cxx" >/dev/null 2>&1; then
    available+=("$cxx")
  else
    echo "check_headers: compiler $cxx not found" >&2
    [[ "${CI:-}" == "true" ]] && exit 1
  fi
done
[[ ${#available[@]} -gt 0 ]] || { echo "check_headers: no compiler" >&2; exit 1; }
probe_cxx=${available[0]}

# Does `#include <$1>` compile with the extra flags $2...?
compiles() {
  local header=$1; shift
  printf '#include <%s>\n' "$header" | "$probe_cxx" -x c++ -std=c++17 -fsyntax-only "$@" - >/dev/null 2>&1
}

# Extra flags per adapter header; an adapter whose dependency is missing is skipped.
declare -A extra=()
skipped=()

if compiles fmt/format.h; then
  extra[format.hpp]=""
else
  skipped+=("format.hpp (fmt headers not found)")
fi

mpi_flags=""
if command -v mpicxx >/dev/null 2>&1; then
  mpi_flags=$(mpicxx --showme:compile 2>/dev/null || mpicxx -compile_info 2>/dev/null | cut -d' ' -f2- || true)
fi
if [[ -z "$mpi_flags" ]]; then
  for pc in ompi-cxx ompi mpich mpi; do
    if pkg-config --exists "$pc" 2>/dev/null; then mpi_flags=$(pkg-config --cflags "$pc"); break; fi
  done
fi
# shellcheck disable=SC2086
if compiles mpi.h $mpi_flags; then
  extra[mpi.hpp]="$mpi_flags"
else
  skipped+=("mpi.hpp (mpi.h not found via mpicxx or pkg-config)")
fi

torch_flags=""
torch_root=${LIBTORCH:-${Torch_DIR:-}}
if [[ -n "$torch_root" ]]; then
  torch_root=${torch_root%/share/cmake/Torch}
  torch_flags="-isystem $torch_root/include -isystem $torch_root/include/torch/csrc/api/include"
elif python3 -c 'import torch' >/dev/null 2>&1; then
  torch_inc=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "include"))')
  torch_flags="-isystem $torch_inc -isystem $torch_inc/torch/csrc/api/include"
fi
# torch.hpp includes only ATen's core headers (Debian's libtorch-dev puts them in /usr/include;
# <torch/torch.h> lives deeper, in include/torch/csrc/api/include, and takes 8x longer to probe).
# shellcheck disable=SC2086
if compiles ATen/core/Tensor.h $torch_flags; then
  extra[torch.hpp]="$torch_flags"
else
  skipped+=("torch.hpp (LibTorch headers not found; install libtorch-dev or set LIBTORCH=/path/to/libtorch)")
fi

headers=()
for h in include/tally/*.hpp include/tally/detail/*.hpp include/tally/detail/kernels/*.hpp; do
  [[ -e "$h" ]] || continue
  name=${h#include/tally/}
  case "$name" in
    format.hpp | mpi.hpp | torch.hpp)
      [[ -v "extra[$name]" ]] || continue ;;
  esac
  headers+=("$name")
done

for s in "${skipped[@]}"; do echo "check_headers: skipped $s"; done

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# One job per header x compiler x standard: "header compiler standard".
jobs_list=()
for h in "${headers[@]}"; do
  for cxx in "${available[@]}"; do
    for std in "${standards[@]}"; do
      jobs_list+=("$h $cxx $std")
    done
  done
done

export logdir
export common_flags_str="${common_flags[*]}"
export extra_format="${extra[format.hpp]:-}" extra_mpi="${extra[mpi.hpp]:-}" extra_torch="${extra[torch.hpp]:-}"

check_one() {
  local h=$1 cxx=$2 std=$3 flags=""
  case "$h" in
    format.hpp) flags=$extra_format ;;
    mpi.hpp) flags=$extra_mpi ;;
    torch.hpp) flags=$extra_torch ;;
  esac
  local log="$logdir/$(printf '%s' "$h-$cxx-$std" | tr '/+' '_p').log"
  # shellcheck disable=SC2086
  if ! printf '#include <tally/%s>\n#include <tally/%s>\n' "$h" "$h" |
      "$cxx" -x c++ -std="$std" $common_flags_str $flags - >"$log" 2>&1; then
    echo "FAIL $h $cxx -std=$std"
    echo "$h $cxx -std=$std" >>"$logdir/failed"
    return 1
  fi
  rm -f "$log"
}
export -f check_one

n=${#jobs_list[@]}
echo "check_headers: ${#headers[@]} headers x ${#available[@]} compilers x ${#standards[@]} standards = $n compilations"
status=0
printf '%s\n' "${jobs_list[@]}" | xargs -P "$jobs" -L 1 bash -c 'check_one "$@"' _ || status=$?

if [[ $status -ne 0 ]]; then
  echo
  for log in "$logdir"/*.log; do
    [[ -e "$log" ]] || continue
    echo "---- $(basename "$log" .log)"
    head -n 40 "$log"
  done
  echo
  echo "check_headers: FAILED for header / compiler / standard:"
  sort "$logdir/failed" 2>/dev/null | sed 's/^/  /'
  exit 1
fi
echo "check_headers: all $n compilations passed"
