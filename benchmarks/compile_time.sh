#!/usr/bin/env bash
# Compile time of a translation unit that includes <tally/tally.hpp> and updates and computes one
# metric, against a small standard-library unit (vector, map, iostream, sort), measured in the
# same run (best of N, g++ -O2): header-only, and with the kernels compiled once (tally::kernels).
#
#   benchmarks/compile_time.sh [runs]        (CXX=clang++ to measure clang)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CXX:-g++}
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/std.cpp" <<'EOF'
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>
int main() {
  std::vector<int> v{3, 1, 2};
  std::sort(v.begin(), v.end());
  std::map<std::string, int> m;
  m["a"] = v[0];
  std::cout << m["a"] << "\n";
}
EOF
cat >"$work/metric.cpp" <<'EOF'
#include <tally/tally.hpp>
#include <vector>
int main() {
  tally::Multiclass::Options o;
  o.num_classes = 6;
  o.ignore_index = 255;
  tally::MulticlassF1Score f1(o);
  std::vector<int> preds{1, 2, 3}, target{1, 2, 255};
  f1.update(preds, target);
  return f1.compute().value() > 0.5 ? 0 : 1;
}
EOF

best() {  # best wall time of $runs runs of the command, in seconds
  local b="" t s e
  for ((i = 0; i < runs; ++i)); do
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [[ -z "$b" ]] || (($(echo "$t < $b" | bc))); then b=$t; fi
  done
  printf '%.2f' "$b"
}

flags=(-std=c++17 -O2 -I"$root/include" -c -o "$work/out.o")
std=$(best "$cxx" "${flags[@]}" "$work/std.cpp")
header_only=$(best "$cxx" "${flags[@]}" "$work/metric.cpp")
compiled=$(best "$cxx" "${flags[@]}" -DTALLY_COMPILED_KERNELS "$work/metric.cpp")
ratio() { echo "scale=2; $1 / $std" | bc; }
printf '%-44s %6s s\n' "standard-library unit ($cxx -O2, best of $runs)" "$std"
printf '%-44s %6s s  %5sx\n' "tally, header-only" "$header_only" "$(ratio "$header_only")"
printf '%-44s %6s s  %5sx\n' "tally, kernels compiled once (tally::kernels)" "$compiled" \
  "$(ratio "$compiled")"
