// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_LABELS_HPP
#define TALLY_DETAIL_LABELS_HPP

// Reading integral labels by value, whatever their type: a uint8 255 equals ignore_index 255 and
// never equals ignore_index -1 (torch would wrap -1 to 255; tally does not).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
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

// The value of v as a signed 64-bit number for messages; uint64 values above INT64_MAX are
// clamped (they are out of range of every class count anyway).
template <class T>
[[nodiscard]] constexpr long long label_value(T v) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? 1 : 0;
  } else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
    return v > static_cast<T>(std::numeric_limits<long long>::max())
               ? std::numeric_limits<long long>::max()
               : static_cast<long long>(v);
  } else {
    return static_cast<long long>(v);
  }
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
