// tally/detail/generalized_dice_core.hpp — GeneralizedDiceScore's rule over the shared
// segmentation state (seg_core.hpp): its option checks, class weights, per-sample scores and
// compute.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_GENERALIZED_DICE_CORE_HPP
#define TALLY_DETAIL_GENERALIZED_DICE_CORE_HPP

#include <algorithm>
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

// GeneralizedDiceScore (docs/semantics.md 6.7). Per sample, over the kept classes, with
// w_c = 1 / T_c^2 (square), 1 / T_c (simple) or 1 (linear):
//   score = sum_c w_c 2 I_c / sum_c w_c (P_c + T_c), 0 when that is 0 / 0;
// a class absent from the sample's target (T_c = 0) takes the largest weight of the sample's
// other classes (0 if none has target pixels): MONAI's rule, per sample; torchmetrics takes that
// weight over the batch axis, so its score depends on the other samples of the batch.
// average = none: per class 2 I_c / (P_c + T_c), 0 for 0 / 0. Both are averaged over samples.
class generalized_dice_rule {
 public:
  using options_type = GeneralizedDiceScoreOptions;
  static constexpr const char* metric_label = "GeneralizedDiceScore";
  static constexpr bool classes_from_input = true;

  static void check_options(const options_type& o) {
    check_learnable_classes(o.num_classes, o.input_format);
    check_enum(o.average);
    check_enum(o.weight_type);
    check_enum(o.input_format);
    if (o.average != Average::macro && o.average != Average::none)
      fail("average: ", to_string(o.average),
           " is not offered by GeneralizedDiceScore; use Average::macro (the generalized score) "
           "or Average::none (one Dice per class)");
    check_seg_ignore_index(o.ignore_index, o.input_format);
  }
  [[nodiscard]] static bool samplewise(const options_type&) noexcept { return true; }
  static void reshape(Shape&, Shape&, const options_type&) noexcept {}

  generalized_dice_rule(const options_type& o, std::size_t C) noexcept
      : first_((!o.include_background && C > 1) ? std::size_t{1} : std::size_t{0}),
        C_(C),
        average_(o.average),
        weights_(o.weight_type) {}

  [[nodiscard]] std::size_t width() const noexcept {
    return average_ == Average::none ? C_ - first_ : 1;
  }

  // Values in [0, 1], never NaN: every sample counts. 2 I_c <= P_c + T_c, and rounding is
  // monotone, so the weighted sums keep numerator <= denominator.
  void sample_values(const dice_counts& k, double* out) const noexcept {
    if (average_ == Average::none) {
      for (std::size_t c = first_; c < C_; ++c) {
        const std::uint64_t den = k.P()[c] + k.T()[c];
        out[c - first_] =
            den == 0 ? 0.0 : 2.0 * static_cast<double>(k.I()[c]) / static_cast<double>(den);
      }
      return;
    }
    double largest = 0;  // the largest weight of a class with target pixels
    for (std::size_t c = first_; c < C_; ++c)
      if (k.T()[c] != 0) largest = std::max(largest, weight(k.T()[c]));
    double num = 0, den = 0;
    for (std::size_t c = first_; c < C_; ++c) {
      const double w =
          k.T()[c] != 0 || weights_ == DiceWeights::linear ? weight(k.T()[c]) : largest;
      num += 2.0 * static_cast<double>(k.I()[c]) * w;
      den += static_cast<double>(k.P()[c] + k.T()[c]) * w;
    }
    out[0] = den == 0.0 ? 0.0 : std::min(1.0, num / den);
  }

  [[nodiscard]] Result compute(bool /*samplewise*/, const dice_counts& /*totals*/,
                               const fixed_sums& sums, const std::vector<std::uint64_t>& counted,
                               std::uint64_t /*samples*/) const {
    const std::size_t K = width();
    std::vector<double> out(K);
    for (std::size_t i = 0; i < K; ++i)
      out[i] = counted[i] == 0 ? std::numeric_limits<double>::quiet_NaN()
                               : sums.mean(i, counted[i]);
    if (average_ == Average::none) return Result(Shape{K}, std::move(out));
    return Result(Shape{}, std::move(out));
  }

 private:
  [[nodiscard]] double weight(std::uint64_t t) const noexcept {
    const double T = static_cast<double>(t);
    switch (weights_) {
      case DiceWeights::square: return 1.0 / (T * T);
      case DiceWeights::simple: return 1.0 / T;
      case DiceWeights::linear: return 1.0;
    }
    return 1.0;
  }

  std::size_t first_;  // 1 when the background class is left out
  std::size_t C_;
  Average average_;
  DiceWeights weights_;
};

using generalized_dice_core = seg_core<generalized_dice_rule>;

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_GENERALIZED_DICE_CORE_HPP
