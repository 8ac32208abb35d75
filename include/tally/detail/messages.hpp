// tally/detail/messages.hpp — the messages of invalid input: argument, value, flat index, what was
// expected, and the fix.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_MESSAGES_HPP
#define TALLY_DETAIL_MESSAGES_HPP

// The messages of invalid input: argument, value, flat index, what was expected, and the fix.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "../error.hpp"
#include "labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// The likely fix for a label above the class range: a larger num_classes. Empty for values
// that cannot be a class (negative, or a binary/one-hot 0-or-1 rule).
inline std::string class_count_hint(const label_number& v, std::uint64_t count, bool binary_values) {
  if (binary_values || v.above_int64 || v.value < 0 ||
      v.value == std::numeric_limits<long long>::max() ||
      static_cast<unsigned long long>(v.value) < count)
    return {};
  return message("; if ", v, " is a class, num_classes must be at least ", v.value + 1);
}

[[noreturn]] inline void fail_target(const label_number& v, std::size_t index, std::uint64_t count,
                                     bool binary_values,
                                     const std::optional<std::int64_t>& ignore_index) {
  std::string expected =
      binary_values ? std::string("is not 0 or 1") : message("is outside [0, ", count, ")");
  const std::string more_classes = class_count_hint(v, count, binary_values);
  if (ignore_index)
    fail("target value ", v, " at index ", index, " ", expected, " and is not ignore_index ",
         *ignore_index, more_classes);
  if (v.above_int64)
    fail("target value ", v, " at index ", index, " ", expected,
         "; it is above INT64_MAX, so it cannot be an ignore_index (an int64)");
  fail("target value ", v, " at index ", index, " ", expected, more_classes,
       more_classes.empty() ? "; to skip positions with this label, pass ignore_index = "
                            : "; to skip positions with this label instead, pass ignore_index = ",
       v);
}

[[noreturn]] inline void fail_pred_label(const label_number& v, std::size_t index,
                                         std::uint64_t count, bool binary_values,
                                         const std::optional<std::int64_t>& ignore_index) {
  std::string expected =
      binary_values ? std::string(
                          "is not 0 or 1 (integral preds are labels; pass floating-point preds "
                          "for probabilities or logits)")
                    : message("is outside [0, ", count, ")");
  if (ignore_index && v.equals(*ignore_index))
    fail("preds value ", v, " at index ", index, " ", expected,
         "; a prediction may equal ignore_index ", v, " only where the target is ignored");
  fail("preds value ", v, " at index ", index, " ", expected,
       class_count_hint(v, count, binary_values));
}

// A (pred, target) label pair that count_label_pairs stopped at: say which one is wrong.
template <class P, class T>
[[noreturn]] void fail_multiclass_pair(P p, T t, std::size_t index, std::uint64_t C,
                                       const std::optional<std::int64_t>& ignore_index) {
  const label_rule<T> rule(C, ignore_index);
  if (!rule.valid(t)) fail_target(label_value(t), index, C, false, ignore_index);
  fail_pred_label(label_value(p), index, C, false, ignore_index);
}

// Every target in [0, count) or equal to ignore_index, else tally::error naming the first other
// value and its flat index (binary_values: the 0-or-1 wording).
template <class T>
void check_label_values(const T* t, std::size_t n, std::uint64_t count, bool binary_values,
                        const std::optional<std::int64_t>& ignore_index) {
  const label_rule<T> rule(count, ignore_index);
  for (std::size_t i = 0; i < n; ++i)
    if (!rule.valid(t[i]) && !rule.ignored(t[i]))
      fail_target(label_value(t[i]), i, count, binary_values, ignore_index);
}

[[noreturn]] inline void fail_nan(std::size_t index) {
  fail("preds value NaN at index ", index, ": scores, probabilities and logits must not be NaN");
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_MESSAGES_HPP
