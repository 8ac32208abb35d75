// tally/error.hpp — tally::error, the one exception tally throws, and how messages are built.
// SPDX-License-Identifier: MIT
#ifndef TALLY_ERROR_HPP
#define TALLY_ERROR_HPP

#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "version.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define TALLY_COLD __attribute__((cold, noinline))
#else
#define TALLY_COLD
#endif

TALLY_NAMESPACE_BEGIN

/// Thrown for every invalid option or input. The message names the argument, the bad value,
/// its flat row-major index when there is one, what was expected, and the fix when there is one:
///
///     try { f1.update(preds, target); }
///     catch (const tally::error& e) { std::cerr << e.what() << '\n'; }
///     // target value 255 at index 6 is outside [0, 6); if 255 is a class, num_classes must be
///     // at least 256; to skip positions with this label instead, pass ignore_index = 255
struct error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

namespace detail {

// One piece of a message, as text: strings as they are, integers (bool and chars included) as
// numbers, floating-point values with 17 significant digits, anything else through its
// operator<<. Each piece type is converted once, so that message(...) itself instantiates
// nothing heavy per combination of arguments (error paths sit in every update).
class message_piece {
 public:
  message_piece(const char* s) : text_(s) {}
  message_piece(std::string s) : text_(std::move(s)) {}
  message_piece(std::string_view s) : text_(s) {}
  template <class V, std::enable_if_t<std::is_integral_v<V>, int> = 0>
  message_piece(V v)
      : text_(std::is_signed_v<V> ? std::to_string(static_cast<long long>(v))
                                  : std::to_string(static_cast<unsigned long long>(v))) {}
  template <class V, std::enable_if_t<std::is_floating_point_v<V>, int> = 0>
  message_piece(V v) : text_(streamed(static_cast<long double>(v), sizeof(V) > sizeof(double))) {}
  template <class V, std::enable_if_t<!std::is_integral_v<V> && !std::is_floating_point_v<V> &&
                                          !std::is_convertible_v<const V&, std::string_view>,
                                      int> = 0>
  message_piece(const V& v) {
    std::ostringstream out;
    out.precision(17);
    out << v;
    text_ = out.str();
  }

  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  static std::string streamed(long double v, bool wide) {
    std::ostringstream out;
    out.precision(17);
    if (wide)
      out << v;
    else
      out << static_cast<double>(v);
    return out.str();
  }
  std::string text_;
};

[[nodiscard]] inline std::string join_pieces(std::initializer_list<message_piece> pieces) {
  std::string out;
  for (const message_piece& p : pieces) out += p.text();
  return out;
}

[[noreturn]] inline void throw_error(std::initializer_list<message_piece> pieces) {
  throw error(join_pieces(pieces));
}

// Builds a message from pieces in order: message("top_k ", k, " is outside [1, ", c, "]").
// Small integers print as numbers (a uint8 255 prints "255", not a character).
template <class... Pieces>
[[nodiscard]] std::string message(const Pieces&... pieces) {
  return join_pieces({message_piece(pieces)...});
}

// Throws tally::error with message(pieces...). Cold and never inlined: every update validates,
// and each combination of piece types is an instance of this function.
template <class... Pieces>
[[noreturn]] TALLY_COLD void fail(const Pieces&... pieces) {
  throw_error({message_piece(pieces)...});
}

}  // namespace detail

TALLY_NAMESPACE_END

#endif  // TALLY_ERROR_HPP
