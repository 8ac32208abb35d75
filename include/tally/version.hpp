// tally/version.hpp — the version macros and the ABI namespace tally::v0.
// SPDX-License-Identifier: MIT
#ifndef TALLY_VERSION_HPP
#define TALLY_VERSION_HPP

// The single source of truth for the version: CMake reads these three lines.
#define TALLY_VERSION_MAJOR 0
#define TALLY_VERSION_MINOR 1
#define TALLY_VERSION_PATCH 0

// ABI namespace: bumped together with incompatible changes to the layout of public types,
// so that two copies of tally in one program never silently mix.
#define TALLY_NAMESPACE_BEGIN \
  namespace tally {           \
  inline namespace v0 {
#define TALLY_NAMESPACE_END \
  }                         \
  }

TALLY_NAMESPACE_BEGIN

struct version_info {
  int major;
  int minor;
  int patch;
};

/// The library version the headers were compiled from, e.g. `tally::version().minor`.
[[nodiscard]] constexpr version_info version() noexcept {
  return {TALLY_VERSION_MAJOR, TALLY_VERSION_MINOR, TALLY_VERSION_PATCH};
}

TALLY_NAMESPACE_END

#endif  // TALLY_VERSION_HPP
