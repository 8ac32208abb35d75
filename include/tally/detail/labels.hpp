// tally/detail/labels.hpp — reading integral labels by value, whatever their type: validity,
// ignore_index, label words.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_LABELS_HPP
#define TALLY_DETAIL_LABELS_HPP

// Reading integral labels by value, whatever their type: a uint8 255 equals ignore_index 255 and
// never equals ignore_index -1 (torch would wrap -1 to 255; tally does not).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <type_traits>

#include "../version.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// "No position": what a scan returns when nothing was found.
inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

template <class T>
constexpr bool is_label_type_v = std::is_integral_v<T>;
template <class T>
constexpr bool is_score_type_v = std::is_floating_point_v<T>;

// Label values as an unsigned integer of T's width, with negatives mapped far above every valid
// class (so one unsigned compare checks [0, C)). bool has no make_unsigned; it reads as 0 / 1.
template <class T>
using label_bits_t =
    std::conditional_t<std::is_same_v<T, bool>, std::uint8_t,
                       std::make_unsigned_t<std::conditional_t<std::is_same_v<T, bool>, int, T>>>;

template <class T>
[[nodiscard]] constexpr label_bits_t<T> label_bits(T v) noexcept {
  return static_cast<label_bits_t<T>>(v);
}

// A label's value for messages: every value of every label type, uint64 values above INT64_MAX
// included (ignore_index is an int64, so no such value can be one).
struct label_number {
  long long value = 0;  // the value, when it fits in int64
  unsigned long long unsigned_value = 0;
  bool above_int64 = false;  // a uint64 value above INT64_MAX: unsigned_value holds it

  [[nodiscard]] bool equals(std::int64_t v) const noexcept { return !above_int64 && value == v; }
  friend std::ostream& operator<<(std::ostream& out, const label_number& n) {
    if (n.above_int64) return out << n.unsigned_value;
    return out << n.value;
  }
};

template <class T>
[[nodiscard]] constexpr label_number label_value(T v) noexcept {
  label_number n;
  if constexpr (std::is_same_v<T, bool>) {
    n.value = v ? 1 : 0;
  } else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
    if (v > static_cast<T>(std::numeric_limits<long long>::max())) {
      n.above_int64 = true;
      n.unsigned_value = static_cast<unsigned long long>(v);
    } else {
      n.value = static_cast<long long>(v);
    }
  } else {
    n.value = static_cast<long long>(v);
  }
  return n;
}

// What a label word (an unsigned integer of the label's width) was before width erasure, so that
// messages still print a signed label as negative.
enum class label_kind : unsigned char { unsigned_word, signed_word, boolean };

template <class T>
inline constexpr label_kind label_kind_of = std::is_same_v<T, bool>  ? label_kind::boolean
                                            : std::is_signed_v<T> ? label_kind::signed_word
                                                                  : label_kind::unsigned_word;

// The value of word w of a label of kind k.
template <class W>
[[nodiscard]] constexpr label_number word_value(W w, label_kind k) noexcept {
  static_assert(std::is_unsigned_v<W>, "tally: label words are unsigned");
  if (k == label_kind::boolean) return label_value(w != 0);
  if (k == label_kind::signed_word) return label_value(static_cast<std::make_signed_t<W>>(w));
  return label_value(w);
}

// Checks labels of type T against [0, count) and against ignore_index, by value.
template <class T>
struct label_rule {
  using bits = label_bits_t<T>;

  // Valid iff bits(v) < limit. For signed T, limit is at most 2^(w-1), so negatives (whose bits
  // are >= 2^(w-1)) always fail; for unsigned T every value below count passes.
  std::uint64_t limit = 0;
  bool has_ignore = false;  // ignore_index is set and representable in T
  T ignore{};               // ignore_index converted to T (valid only when has_ignore)

  constexpr label_rule() = default;
  constexpr label_rule(std::uint64_t count, std::optional<std::int64_t> ignore_index) noexcept {
    constexpr std::uint64_t type_limit =
        std::is_same_v<T, bool> ? 2u
        : std::is_signed_v<T>   ? (std::uint64_t{1} << (sizeof(T) * 8 - 1))
        : sizeof(T) == 8        ? std::numeric_limits<std::uint64_t>::max()
                                : (std::uint64_t{1} << (sizeof(T) * 8));
    limit = count < type_limit ? count : type_limit;
    if (ignore_index) {
      const std::int64_t ii = *ignore_index;
      if constexpr (std::is_same_v<T, bool>) {
        has_ignore = ii == 0 || ii == 1;
      } else if constexpr (std::is_signed_v<T>) {
        has_ignore = ii >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                     ii <= static_cast<std::int64_t>(std::numeric_limits<T>::max());
      } else {
        has_ignore = ii >= 0 && static_cast<std::uint64_t>(ii) <=
                                    static_cast<std::uint64_t>(std::numeric_limits<T>::max());
      }
      if (has_ignore) ignore = static_cast<T>(ii);
    }
  }

  [[nodiscard]] constexpr bool ignored(T v) const noexcept { return has_ignore && v == ignore; }
  [[nodiscard]] constexpr bool valid(T v) const noexcept {
    return static_cast<std::uint64_t>(label_bits(v)) < limit;
  }
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_LABELS_HPP
