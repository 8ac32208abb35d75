// tally/detail/dice_core.hpp — DiceScore's rule over the shared segmentation state
// (seg_core.hpp): its option checks, per-sample values and compute.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_DICE_CORE_HPP
#define TALLY_DETAIL_DICE_CORE_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../result.hpp"
#include "dice_count.hpp"
#include "fixed_sum.hpp"
#include "seg_core.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// DiceScore (docs/semantics.md 6): per class 2I / (P + T); samplewise aggregation averages the
// per-sample values that are not NaN, global aggregation reduces the pooled counts.
class dice_rule {
 public:
  using options_type = DiceScoreOptions;
  static constexpr const char* metric_label = "DiceScore";
  static constexpr bool classes_from_input = false;

  static void check_options(const options_type& o) {
    check_state_size("num_classes", o.num_classes, 1, 3, 1);
    check_enum(o.average);
    check_enum(o.aggregation_level);
    check_enum(o.input_format);
    check_zero_division(o.zero_division);
    check_seg_ignore_index(o.ignore_index, o.input_format);
  }
  [[nodiscard]] static bool samplewise(const options_type& o) noexcept {
    return o.aggregation_level == AggregationLevel::samplewise;
  }
  static void reshape(Shape&, Shape&, const options_type&) noexcept {}

  dice_rule(const options_type& o, std::size_t C) noexcept
      : reducer_{(!o.include_background && C > 1) ? std::size_t{1} : std::size_t{0}, C,
                 o.average, o.zero_division} {}

  [[nodiscard]] std::size_t width() const noexcept { return reducer_.values_per_unit(); }

  // NaN (an empty unit with zero_division 0), which the means skip, or a value in [0, 1]:
  // 2I <= P + T for every class, an empty class is 1 with zero_division 1, and rounding, being
  // monotone, keeps macro and weighted means of such values within [0, 1].
  void sample_values(const dice_counts& k, double* out) const noexcept {
    reducer_.unit_values(k, out);
  }

  [[nodiscard]] Result compute(bool samplewise, const dice_counts& totals, const fixed_sums& sums,
                               const std::vector<std::uint64_t>& counted,
                               std::uint64_t /*samples*/) const {
    const std::size_t K = reducer_.values_per_unit();
    std::vector<double> out(K);
    if (samplewise) {
      for (std::size_t i = 0; i < K; ++i)
        out[i] = counted[i] == 0 ? std::numeric_limits<double>::quiet_NaN()
                                 : sums.mean(i, counted[i]);
    } else {
      reducer_.unit_values(totals, out.data());
    }
    // torchmetrics squeezes a one-element result to a scalar.
    if (K == 1) return Result(Shape{}, std::move(out));
    return Result(Shape{K}, std::move(out));
  }

 private:
  dice_reducer reducer_;
};

using dice_core = seg_core<dice_rule>;

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_DICE_CORE_HPP
