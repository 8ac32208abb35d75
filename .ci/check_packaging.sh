#!/usr/bin/env bash
# Packaging check: every way the README offers to get tally works, and none of them drags in
# tally's tests, examples or benchmarks.
#
#   a. install (default options, tests off): layout, no lib/ or binaries, version file
#   b. find_package from the installed tree (+ COMPONENTS fmt, mpi and torch when their
#      dependency is here, and the clean failures of COMPONENTS fmt without fmt and of an
#      unknown component)
#   c. FetchContent from a local git URL; the consumer's ctest lists only its own tests
#   c2. the README's FetchContent block as written (only the URL replaced) builds and runs the
#      README's first program with -std=c++17 -Werror, under g++ and clang++
#   d. add_subdirectory
#   e. FetchContent with FIND_PACKAGE_ARGS: picks the installed tree, else fetches
#   f. the vcpkg port: the portfile's options give the layout it expects (share/tally/...)
#   g. pkg-config, from a tree installed with `cmake --install --prefix` elsewhere
#
# That each header compiles alone is .ci/check_headers.sh's job (VERIFY_INTERFACE_HEADER_SETS).
#
# The consumer project is tests/packaging/consumer. Uncommitted changes are tested too: the
# FetchContent steps clone a snapshot of the working tree when it is dirty.
#
# usage: .ci/check_packaging.sh        (KEEP_WORK=1 keeps the scratch directory)
# needs: cmake >= 3.21 (step e needs 3.24), ninja, a C++17 compiler, git, pkg-config;
#        fmt >= 9 (libfmt-dev) to check tally::fmt, else only its failure is checked; MPI
#        (libopenmpi-dev) and LibTorch (libtorch-dev) to check tally::mpi and tally::torch.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
consumer_src="$root/tests/packaging/consumer"
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-packaging.XXXXXX")
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
# A consumer must not see a tally from elsewhere (the user package registry, an outer prefix).
unset CMAKE_PREFIX_PATH PKG_CONFIG_PATH tally_DIR || true

start=$SECONDS
step_name=""
step_start=$SECONDS
log="$work/step.log"

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "check_packaging: FAILED in step \"$step_name\" after $((SECONDS - step_start)) s"
    if [[ -s "$log" ]]; then
      echo "---- last lines of the step's log ($log)"
      tail -n 60 "$log"
    fi
  fi
  if [[ "${KEEP_WORK:-0}" == 1 ]]; then
    echo "check_packaging: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

finish_step() {
  [[ -z "$step_name" ]] || echo "   ok ($((SECONDS - step_start)) s)"
}
step() {
  finish_step
  step_name=$1
  step_start=$SECONDS
  : >"$log"
  echo "== $step_name"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Runs a command with its output in the step's log (shown on failure).
run() {
  echo "+ $*" >>"$log"
  "$@" >>"$log" 2>&1
}

version=$(sed -n 's/^#define TALLY_VERSION_\(MAJOR\|MINOR\|PATCH\) \+\([0-9]\+\).*/\2/p' \
  "$root/include/tally/version.hpp" | paste -sd.)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the version from include/tally/version.hpp"
echo "check_packaging: tally $version from $root (scratch: $work)"

cmake_version=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
cmake_at_least() {
  [[ "$(printf '%s\n' "$1" "$cmake_version" | sort -V | head -n 1)" == "$1" ]]
}

# Configures, builds and tests the consumer in build dir $1 with extra cache settings.
consumer() {
  local dir=$1
  shift
  run cmake -S "$consumer_src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON "-DTALLY_EXPECTED_VERSION=$version" "$@"
  run cmake --build "$dir"
  run ctest --test-dir "$dir" --output-on-failure --no-tests=error
}

# The consumer in $1 has nothing of tally's but the headers: its only tests and compiled objects
# are its own, and tally added no CTest dashboard targets (include(CTest)).
assert_no_leaks() {
  local dir=$1 tests objects
  tests=$(ctest --test-dir "$dir" -N | sed -n 's/^ *Test *#[0-9]*: //p')
  [[ -n "$tests" ]] || fail "ctest -N in $dir lists no tests"
  if grep -v '^consumer\.' <<<"$tests"; then
    fail "tests that are not the consumer's are registered in $dir (above)"
  fi
  # tally::kernels (the kernels compiled once) is a target of the consumer's build, excluded from
  # `all`: built only for a consumer that links it.
  objects=$(ninja -C "$dir" -t targets all | sed -n 's/^\([^:]*\.o\): .*/\1/p' |
    grep -v '^\(_deps/tally-build/\|tally/\)\?CMakeFiles/tally_compiled_kernels\(_[0-3]\)\?\.dir/' || true)
  if [[ ! -x "$dir/consumer_kernels" ]] &&
    find "$dir" -path '*tally_compiled_kernels*.dir*' -name '*.o' | grep .; then
    fail "the consumer in $dir built tally::kernels without linking it (above)"
  fi
  if grep -v '^CMakeFiles/consumer\(_fmt\|_mpi\|_torch\|_kernels\)\?\.dir/' <<<"$objects"; then
    fail "the consumer in $dir compiles sources that are not its own (above)"
  fi
  if ninja -C "$dir" -t targets all | grep -E '^(Experimental|Nightly|Continuous)[A-Za-z]*:'; then
    fail "CTest dashboard targets in $dir: something ran include(CTest)"
  fi
  if grep -E '^(TALLY_BUILD_(TESTS|EXAMPLES|BENCHMARKS)):BOOL=ON' "$dir/CMakeCache.txt"; then
    fail "tally's tests, examples or benchmarks are on in $dir"
  fi
  echo "   tests: $(tr '\n' ' ' <<<"$tests")"
}

# ------------------------------------------------------------------------------------------------
step "a. install with default options (tests and examples off)"
prefix="$work/prefix"
run cmake -S "$root" -B "$work/tally" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTALLY_BUILD_TESTS=OFF -DTALLY_BUILD_EXAMPLES=OFF "-DCMAKE_INSTALL_PREFIX=$prefix"
run cmake --build "$work/tally"
run cmake --install "$work/tally"

have_fmt=0
grep -q '^fmt_DIR:PATH=/' "$work/tally/CMakeCache.txt" && have_fmt=1
# The adapters whose dependency the default build found: their components are checked in b.
components=()
grep -q '^MPI_CXX_HEADER_DIR:PATH=/' "$work/tally/CMakeCache.txt" && components+=(mpi)
grep -q '^Torch_DIR:PATH=/' "$work/tally/CMakeCache.txt" && components+=(torch)
echo "   fmt >= 9 found: $([[ $have_fmt == 1 ]] && echo yes || echo no); other components: ${components[*]:-none}"

# Every header of the checkout (and the generic kernel fragments, *.inl), the adapters included,
# and nothing else under include/.
expected=$(cd "$root/include" && find tally -name '*.hpp' -o -name '*.inl' | sort)
installed=$(cd "$prefix/include" && find . -type f | sed 's|^\./||' | sort)
if [[ "$expected" != "$installed" ]]; then
  diff <(echo "$expected") <(echo "$installed") || true
  fail "installed headers differ from include/ (< source, > installed)"
fi
while read -r h; do
  cmp -s "$root/include/$h" "$prefix/include/$h" || fail "installed $h differs from the source"
done <<<"$expected"
for f in tallyConfig.cmake tallyConfigVersion.cmake tallyTargets.cmake tallyKernels.cmake; do
  [[ -f "$prefix/share/cmake/tally/$f" ]] || fail "share/cmake/tally/$f is missing"
done
[[ -f "$prefix/share/pkgconfig/tally.pc" ]] || fail "share/pkgconfig/tally.pc is missing"
cmp -s "$root/src/tally_kernels.cpp" "$prefix/share/tally/tally_kernels.cpp" ||
  fail "share/tally/tally_kernels.cpp (the source of tally::kernels) is missing or differs"
top=$(cd "$prefix" && find . -mindepth 1 -maxdepth 1 | sed 's|^\./||' | sort | tr '\n' ' ')
[[ "$top" == "include share " ]] || fail "the prefix holds '$top', expected only include/ and share/"
executables=$(find "$prefix" -type f \( -perm -u+x -o -name '*.so*' -o -name '*.a' \))
[[ -z "$executables" ]] || fail "binaries or executables installed: $executables"
if grep -rlF -e "$work/tally" -e "$root" "$prefix"; then
  fail "installed files contain absolute paths of the build or source tree (above)"
fi
# SameMajorVersion + ARCH_INDEPENDENT, asked the way find_package() asks.
cat >"$work/compatible.cmake" <<'END'
# What find_package(tally <REQUEST>) concludes from the installed version file, asked by a
# 32-bit project: ARCH_INDEPENDENT means the 64-bit build's package suits it too.
cmake_minimum_required(VERSION 3.21)
set(CMAKE_SIZEOF_VOID_P 4)
string(REPLACE "." ";" PACKAGE_FIND_VERSION_PARTS "${REQUEST}")
set(PACKAGE_FIND_VERSION "${REQUEST}")
list(GET PACKAGE_FIND_VERSION_PARTS 0 PACKAGE_FIND_VERSION_MAJOR)
list(GET PACKAGE_FIND_VERSION_PARTS 1 PACKAGE_FIND_VERSION_MINOR)
include("${VERSION_FILE}")
if(PACKAGE_VERSION_UNSUITABLE)
  message("UNSUITABLE")
elseif(PACKAGE_VERSION_COMPATIBLE)
  message("TRUE")
else()
  message("FALSE")
endif()
END
IFS=. read -r major minor _ <<<"$version"
for request in "$major.$minor:TRUE" "$major.0:TRUE" "$major.$((minor + 1)):FALSE" "$((major + 1)).0:FALSE"; do
  got=$(cmake "-DREQUEST=${request%:*}" "-DVERSION_FILE=$prefix/share/cmake/tally/tallyConfigVersion.cmake" \
    -P "$work/compatible.cmake" 2>&1)
  [[ "$got" == "${request#*:}" ]] ||
    fail "find_package(tally ${request%:*}) finds $version compatible=$got, expected ${request#*:}"
done
echo "   layout, headers and version file (SameMajorVersion, ARCH_INDEPENDENT) as expected"

# ------------------------------------------------------------------------------------------------
step "b. find_package(tally) from the installed tree"
fmt_mode=AUTO
[[ $have_fmt == 0 ]] || fmt_mode=REQUIRED
# This consumer also links tally::kernels, compiled from the installed source (at -O1, and the
# kernels at -O0 through TALLY_KERNELS_COMPILE_OPTIONS, which this also checks for the installed
# package: the check is that the package builds and links them, not their speed; 8 s a quarter
# instead of 14).
consumer "$work/b" "-DCMAKE_PREFIX_PATH=$prefix" -DTALLY_CONSUMER_MODE=find_package \
  "-DTALLY_CONSUMER_FMT=$fmt_mode" "-DTALLY_CONSUMER_COMPONENTS=$(IFS=';'; echo "${components[*]}")" \
  -DTALLY_CONSUMER_KERNELS=ON "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" \
  -DTALLY_KERNELS_COMPILE_OPTIONS=-O0
for part in 0 1 2 3; do
  # The quarter's compile flags hold the option, after the build type's -O1 (so it wins).
  awk -v obj="tally_compiled_kernels_$part.dir/" '
      /^build / { inside = index($0, obj) > 0 }
      inside && /^  FLAGS = / { found = 1; ok = ($0 ~ / -O0( |$)/) }
      END { exit !(found && ok) }' "$work/b/build.ninja" ||
    fail "TALLY_KERNELS_COMPILE_OPTIONS=-O0 did not reach quarter $part of the installed tally::kernels"
done
[[ $have_fmt == 0 || -x "$work/b/consumer_fmt" ]] || fail "the tally::fmt consumer was not built"
[[ -x "$work/b/consumer_kernels" ]] || fail "the tally::kernels consumer was not built"
for c in "${components[@]}"; do
  [[ -x "$work/b/consumer_$c" ]] || fail "the tally::$c consumer was not built"
done
grep -qxF "tally_DIR:PATH=$prefix/share/cmake/tally" "$work/b/CMakeCache.txt" ||
  fail "the consumer did not use $prefix/share/cmake/tally: $(grep '^tally_DIR' "$work/b/CMakeCache.txt")"
assert_no_leaks "$work/b"

# COMPONENTS fmt without fmt must stop at find_package() with the reason; without the component
# tally::tally still works.
no_fmt=(-DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON "-DCMAKE_PREFIX_PATH=$prefix" -DTALLY_CONSUMER_MODE=find_package)
if cmake -S "$consumer_src" -B "$work/b-nofmt" -G Ninja "${no_fmt[@]}" -DTALLY_CONSUMER_FMT=REQUIRED \
    >"$work/b-nofmt.log" 2>&1; then
  fail "find_package(tally REQUIRED COMPONENTS fmt) succeeded without fmt"
fi
grep -q 'component fmt: fmt >= 9 was not found' "$work/b-nofmt.log" || {
  cat "$work/b-nofmt.log"
  fail "find_package(tally REQUIRED COMPONENTS fmt) without fmt failed without saying why"
}
# An unknown component fails with the list of the real ones, written as a list.
if cmake -S "$consumer_src" -B "$work/b-foo" -G Ninja "-DCMAKE_PREFIX_PATH=$prefix" \
    -DTALLY_CONSUMER_MODE=find_package -DTALLY_CONSUMER_COMPONENTS=foo >"$work/b-foo.log" 2>&1; then
  fail "find_package(tally REQUIRED COMPONENTS foo) succeeded"
fi
# (CMake wraps the message: compare with the lines joined)
tr -s ' \n' ' ' <"$work/b-foo.log" |
  grep -qF "component foo: tally $version has no such component (its components are fmt, mpi, torch)" || {
  cat "$work/b-foo.log"
  fail "find_package(tally REQUIRED COMPONENTS foo) did not list the components readably"
}
rm -rf "$work/b-nofmt"
run cmake -S "$consumer_src" -B "$work/b-nofmt" -G Ninja "${no_fmt[@]}" -DTALLY_CONSUMER_FMT=AUTO
grep -q '^tally_DIR:PATH=' "$work/b-nofmt/CMakeCache.txt" || fail "find_package(tally) without fmt failed"
echo "   COMPONENTS fmt without fmt: fails with the reason; COMPONENTS foo: lists the real ones;"
echo "   without a component: found"

# ------------------------------------------------------------------------------------------------
step "c. FetchContent from a local git URL"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
  [[ -z "$(git -C "$root" status --porcelain)" ]]; then
  git_url="file://$root"
  git_tag=$(git -C "$root" rev-parse HEAD)
  echo "   clean checkout: $git_tag"
else
  # Commit a copy of the working tree (tracked and untracked, not ignored) in a scratch repo.
  snapshot="$work/snapshot"
  mkdir -p "$snapshot"
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
      while IFS= read -r -d '' f; do
        [[ -e "$root/$f" ]] || continue   # deleted but not yet staged
        mkdir -p "$snapshot/$(dirname "$f")"
        cp -p "$root/$f" "$snapshot/$f"
      done
  else
    (cd "$root" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$snapshot"
  fi
  git_q=(git -C "$snapshot" -c user.name=check_packaging -c user.email=check@localhost
         -c commit.gpgsign=false -c init.defaultBranch=main)
  run "${git_q[@]}" init -q
  run "${git_q[@]}" add -A
  run "${git_q[@]}" commit -q -m "working tree of $root"
  git_url="file://$snapshot"
  git_tag=$(git -C "$snapshot" rev-parse HEAD)
  echo "   uncommitted changes: testing a snapshot of the working tree ($git_tag)"
fi
consumer "$work/c" -DTALLY_CONSUMER_MODE=fetchcontent "-DTALLY_GIT_REPOSITORY=$git_url" \
  "-DTALLY_GIT_TAG=$git_tag" -DTALLY_CONSUMER_FMT=OFF
[[ -f "$work/c/_deps/tally-src/include/tally/tally.hpp" ]] || fail "FetchContent did not fetch tally"
assert_no_leaks "$work/c"

# ------------------------------------------------------------------------------------------------
step "c2. the README's FetchContent block as written, building the README's first program"
# The first ```cpp block of README.md is the program a newcomer pastes; the ```cmake block with
# FetchContent_Declare(tally ...) is the block they paste into their CMakeLists.txt. Only the
# repository URL placeholder is replaced (by the checkout tested in step c); GIT_TAG stays as
# written, so it must name something that exists.
readme="$root/README.md"
awk '/^```cpp$/ { if (!done) { inside = 1; next } } /^```$/ { if (inside) { inside = 0; done = 1 } }
     inside { print }' "$readme" >"$work/readme_first.cpp"
awk '/^```cmake$/ { inside = 1; block = ""; next }
     /^```$/ { if (inside && block ~ /FetchContent_Declare\(tally/) { printf "%s", block; exit }
               inside = 0; next }
     inside { block = block $0 "\n" }' "$readme" >"$work/readme_fetch.cmake"
grep -q 'int main' "$work/readme_first.cpp" || fail "no program in the README's first cpp block"
grep -q '<tally-repository-url>' "$work/readme_fetch.cmake" ||
  fail "the README's FetchContent block has no <tally-repository-url> placeholder to replace"
readme_tag=$(sed -n 's/^ *GIT_TAG *\([^ ]*\).*/\1/p' "$work/readme_fetch.cmake")
readme_url=$git_url
if [[ "$git_url" == "file://$root" && "$(git -C "$root" rev-parse "$readme_tag" 2>/dev/null)" != "$git_tag" ]]; then
  # A clean checkout on another branch: the README's tag would fetch other code than this.
  echo "   note: $readme_tag is not this checkout's HEAD; testing the block against a snapshot"
  readme_url="file://$work/readme_repo"
  git clone -q --no-hardlinks "$root" "$work/readme_repo"
  git -C "$work/readme_repo" checkout -q -B "$readme_tag" "$git_tag"
fi
mkdir -p "$work/readme_src"
cp "$work/readme_first.cpp" "$work/readme_src/first.cpp"
{
  echo 'cmake_minimum_required(VERSION 3.16)'
  echo 'project(readme_consumer CXX)'
  echo 'set(CMAKE_CXX_STANDARD 17)'
  echo 'set(CMAKE_CXX_STANDARD_REQUIRED ON)'
  echo 'set(CMAKE_CXX_EXTENSIONS OFF)'
  echo 'add_executable(app first.cpp)'
  echo 'target_compile_options(app PRIVATE -Wall -Wextra -Wpedantic -Werror)'
  sed "s|<tally-repository-url>|$readme_url|" "$work/readme_fetch.cmake"
} >"$work/readme_src/CMakeLists.txt"
for cxx in g++ clang++; do
  command -v "$cxx" >/dev/null || continue
  run cmake -S "$work/readme_src" -B "$work/readme_$cxx" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_COMPILER=$cxx"
  run cmake --build "$work/readme_$cxx"
  out=$("$work/readme_$cxx/app")
  [[ "$out" == "1" ]] || fail "the README's first program built with $cxx printed '$out', not 1"
done
echo "   README block (GIT_TAG $readme_tag) fetched tally; its first program prints 1 (g++, clang++, C++17, -Werror)"

# ------------------------------------------------------------------------------------------------
step "d. add_subdirectory"
consumer "$work/d" -DTALLY_CONSUMER_MODE=subdirectory "-DTALLY_SOURCE_DIR=$root" -DTALLY_CONSUMER_FMT=OFF
assert_no_leaks "$work/d"

# ------------------------------------------------------------------------------------------------
step "e. FetchContent with FIND_PACKAGE_ARGS"
if cmake_at_least 3.24; then
  # Installed: find_package() wins; the URL does not exist, so fetching would fail.
  consumer "$work/e" -DTALLY_CONSUMER_MODE=fetchcontent_find_package "-DCMAKE_PREFIX_PATH=$prefix" \
    "-DTALLY_GIT_REPOSITORY=file://$work/no-such-repository" -DTALLY_GIT_TAG=main -DTALLY_CONSUMER_FMT=OFF
  grep -qxF "tally_DIR:PATH=$prefix/share/cmake/tally" "$work/e/CMakeCache.txt" ||
    fail "FIND_PACKAGE_ARGS did not pick the installed tally"
  [[ ! -e "$work/e/_deps/tally-src" ]] || fail "tally was fetched although it is installed"
  assert_no_leaks "$work/e"
  # Not installed: falls back to fetching (configure only; step c built this route).
  run cmake -S "$consumer_src" -B "$work/e-fetch" -G Ninja -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
    -DTALLY_CONSUMER_MODE=fetchcontent_find_package "-DTALLY_GIT_REPOSITORY=$git_url" \
    "-DTALLY_GIT_TAG=$git_tag" -DTALLY_CONSUMER_FMT=OFF
  [[ -f "$work/e-fetch/_deps/tally-src/include/tally/tally.hpp" ]] ||
    fail "FIND_PACKAGE_ARGS without an installed tally did not fetch it"
  echo "   installed: find_package wins; not installed: fetched"
else
  echo "   skipped: FIND_PACKAGE_ARGS needs CMake >= 3.24"
fi

# ------------------------------------------------------------------------------------------------
# The vcpkg tool cannot be fetched in CI, and the port needs no emulating: it configures tally with
# the options below, installs it, and copies two files. So this step installs tally with the
# portfile's own options and checks that the result is the package vcpkg accepts and a vcpkg user
# finds: the CMake config in share/tally (where vcpkg_cmake_config_fixup() looks by default, so it
# has nothing to move), share/tally/{copyright,usage}, include/ and share/ only, no absolute paths.
step "f. vcpkg port (ports/tally): the portfile's options and the layout it expects"
port="$root/ports/tally"
port_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$port/vcpkg.json")
[[ "$port_version" == "$version" ]] || fail "ports/tally/vcpkg.json has version '$port_version', not $version"
# The -D options of vcpkg_cmake_configure (one per line); tally's CMakeLists must read each one.
mapfile -t port_options < <(sed -n '/^vcpkg_cmake_configure(/,/^)/s/^ *\(-D[A-Za-z_]*=[^ ]*\) *$/\1/p' \
  "$port/portfile.cmake")
[[ ${#port_options[@]} -gt 0 ]] || fail "no -D options in ports/tally/portfile.cmake's vcpkg_cmake_configure"
grep -qxF 'vcpkg_cmake_config_fixup()' "$port/portfile.cmake" ||
  fail "the portfile must call vcpkg_cmake_config_fixup() with the config in share/tally (nothing to move)"
grep -qF 'vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")' "$port/portfile.cmake" ||
  fail "the portfile must install LICENSE as the copyright file"
grep -qF 'file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")' \
  "$port/portfile.cmake" || fail "the portfile must install ports/tally/usage in share/tally"
package="$work/vcpkg/packages/tally_x64-linux"
# What vcpkg_cmake_configure passes for every port (but its toolchain file), then the port's.
run cmake -S "$root" -B "$work/vcpkg/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_INSTALL_PREFIX=$package" -DCMAKE_INSTALL_LIBDIR:STRING=lib -DCMAKE_INSTALL_BINDIR:STRING=bin \
  -DCMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION=ON "${port_options[@]}"
unused=$(sed -n '/Manually-specified variables were not used/,/^[^ ]/s/^    \([A-Za-z_]*\)$/\1/p' "$log")
for o in "${port_options[@]}"; do
  name=${o#-D}
  ! grep -qxF "${name%%=*}" <<<"$unused" || fail "the portfile passes $o, which tally's CMakeLists never reads"
done
run cmake --build "$work/vcpkg/build" --target install
cp "$root/LICENSE" "$package/share/tally/copyright"   # vcpkg_install_copyright
cp "$port/usage" "$package/share/tally/usage"
for f in copyright usage tallyConfig.cmake tallyConfigVersion.cmake tallyTargets.cmake tallyKernels.cmake; do
  [[ -f "$package/share/tally/$f" ]] || fail "the port's package has no share/tally/$f"
done
[[ -f "$package/include/tally/tally.hpp" && -f "$package/share/pkgconfig/tally.pc" ]] ||
  fail "the port's package has no include/tally/tally.hpp or share/pkgconfig/tally.pc"
top=$(cd "$package" && find . -mindepth 1 -maxdepth 1 | sed 's|^\./||' | sort | tr '\n' ' ')
[[ "$top" == "include share " ]] || fail "the port's package holds '$top', vcpkg expects include/ and share/ only"
[[ ! -e "$package/share/cmake" ]] || fail "the port's package has share/cmake/ (the config belongs in share/tally)"
if grep -rlF -e "$work" -e "$root" "$package"; then
  fail "the port's package contains absolute paths (above)"
fi
# As a vcpkg user: find_package through share/tally (fmt's own package stands in for vcpkg's
# fmt). Only tally::tally is compiled; tally::fmt is resolved at configure time.
run cmake -S "$consumer_src" -B "$work/f" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON "-DTALLY_EXPECTED_VERSION=$version" \
  "-DCMAKE_PREFIX_PATH=$package" -DTALLY_CONSUMER_MODE=find_package "-DTALLY_CONSUMER_FMT=$fmt_mode"
grep -qxF "tally_DIR:PATH=$package/share/tally" "$work/f/CMakeCache.txt" ||
  fail "the consumer did not use $package/share/tally"
run cmake --build "$work/f" --target consumer
run "$work/f/consumer"
echo "   options: ${port_options[*]}"

# ------------------------------------------------------------------------------------------------
step "g. pkg-config (tree installed with cmake --install --prefix elsewhere)"
command -v pkg-config >/dev/null || fail "pkg-config not found (Debian: pkgconf)"
# A prefix other than the configured one: the .pc file must follow it.
moved="$work/moved prefix"
run cmake --install "$work/tally" --prefix "$moved"
export PKG_CONFIG_PATH="$moved/share/pkgconfig"
[[ "$(pkg-config --modversion tally)" == "$version" ]] || fail "pkg-config --modversion tally is not $version"
cflags=$(pkg-config --cflags tally)
libs=$(pkg-config --libs tally)
[[ "$(tr -d ' ' <<<"$libs")" == "-pthread" ]] || fail "pkg-config --libs tally is '$libs', not -pthread"
include_dir=$(sed -n 's/^-I\(.*[^ ]\) *$/\1/p' <<<"$cflags")
include_dir=${include_dir//\\ / }   # pkg-config escapes the space in "moved prefix"
[[ -n "$include_dir" && "$(realpath "$include_dir")" == "$(realpath "$moved/include")" ]] ||
  fail "pkg-config --cflags tally gives '$cflags', not -I$moved/include"
echo "   --cflags: $cflags"
cxx=${CXX:-c++}
# shellcheck disable=SC2086  # $libs is a list of flags
run "$cxx" -std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror "-I$include_dir" \
  "-DTALLY_EXPECTED_VERSION=\"$version\"" "$consumer_src/main.cpp" -o "$work/g-consumer" $libs
run "$work/g-consumer"
unset PKG_CONFIG_PATH

finish_step
echo "check_packaging: all passed in $((SECONDS - start)) s"
