// tally/detail/messages.hpp — the messages of invalid input: argument, value, flat index, what was
// expected, and the fix.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_MESSAGES_HPP
#define TALLY_DETAIL_MESSAGES_HPP

// The messages of invalid input: argument, value, flat index, what was expected, and the fix.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "../error.hpp"
#include "labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

[[noreturn]] inline void fail_target(const label_number& v, std::size_t index, std::uint64_t count,
                                     bool binary_values,
                                     const std::optional<std::int64_t>& ignore_index) {
  std::string expected =
      binary_values ? std::string("is not 0 or 1") : message("is outside [0, ", count, ")");
  if (ignore_index)
    fail("target value ", v, " at index ", index, " ", expected, " and is not ignore_index ",
         *ignore_index);
  if (v.above_int64)
    fail("target value ", v, " at index ", index, " ", expected,
         "; it is above INT64_MAX, so it cannot be an ignore_index (an int64)");
  fail("target value ", v, " at index ", index, " ", expected,
       "; to skip positions with this label, pass ignore_index = ", v);
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
  fail("preds value ", v, " at index ", index, " ", expected);
}

// A (pred, target) label pair that count_label_pairs stopped at: say which one is wrong.
template <class P, class T>
[[noreturn]] void fail_multiclass_pair(P p, T t, std::size_t index, std::uint64_t C,
                                       const std::optional<std::int64_t>& ignore_index) {
  const label_rule<T> rule(C, ignore_index);
  if (!rule.valid(t)) fail_target(label_value(t), index, C, false, ignore_index);
  fail_pred_label(label_value(p), index, C, false, ignore_index);
}

[[noreturn]] inline void fail_nan(std::size_t index) {
  fail("preds value NaN at index ", index, ": scores, probabilities and logits must not be NaN");
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_MESSAGES_HPP
