// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_ERROR_HPP
#define TALLY_ERROR_HPP

#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "version.hpp"

TALLY_NAMESPACE_BEGIN

/// Thrown for every invalid option or input. The message names the argument, the bad value,
/// its flat row-major index when there is one, what was expected, and the fix when there is one:
///
///     try { f1.update(preds, target); }
///     catch (const tally::error& e) { std::cerr << e.what() << '\n'; }
///     // target value 255 at index 6 is outside [0, 6); pass ignore_index = 255 to skip ...
struct error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

namespace detail {

// Builds a message from pieces streamed in order: message("top_k ", k, " is outside [1, ", c, "]").
// Small integers print as numbers (a uint8 255 prints "255", not a character).
template <class V>
void append_piece(std::ostringstream& out, const V& v) {
  if constexpr (std::is_same_v<V, signed char> || std::is_same_v<V, unsigned char> ||
                std::is_same_v<V, char>) {
    out << static_cast<int>(v);
  } else if constexpr (std::is_same_v<V, bool>) {
    out << (v ? 1 : 0);
  } else {
    out << v;
  }
}

template <class... Pieces>
[[nodiscard]] std::string message(const Pieces&... pieces) {
  std::ostringstream out;
  out.precision(17);
  (append_piece(out, pieces), ...);
  return out.str();
}

template <class... Pieces>
[[noreturn]] void fail(const Pieces&... pieces) {
  throw error(message(pieces...));
}

}  // namespace detail

TALLY_NAMESPACE_END

#endif  // TALLY_ERROR_HPP
