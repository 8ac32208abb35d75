// tally/segmentation.hpp — DiceScore, the segmentation metric (its state: detail/dice_core.hpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_SEGMENTATION_HPP
#define TALLY_SEGMENTATION_HPP

#include <cstddef>

#include "detail/dice_core.hpp"
#include "detail/metric_base.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

/// Dice score for segmentation, following torchmetrics.segmentation.DiceScore, plus
/// `ignore_index` (e.g. 255 for void pixels) and `zero_division`.
///
///     tally::DiceScore dice({.num_classes = 19, .ignore_index = 255,
///                            .input_format = tally::InputFormat::index});
///     dice.update(pred_maps, target_maps);      // (N, H, W) label maps, any integral type
///     double mean_dice = dice.compute().value();
///
/// Per class dice = 2I / (P + T); a class absent from both maps is NaN and left out of means
/// (zero_division = 1 scores it 1 instead). `aggregation_level = samplewise` (the default)
/// averages per-sample scores; `global` pools the counts. The state is O(C) either way.
class DiceScore : public detail::metric_base<DiceScore, detail::dice_core> {
  using base = detail::metric_base<DiceScore, detail::dice_core>;

 public:
  static constexpr const char* metric_name = "DiceScore";
  using Options = DiceScoreOptions;
  using options_type = Options;

  explicit DiceScore(Options options) : base(detail::dice_core(options)) {}

  [[nodiscard]] Result compute() const { return core_.compute(); }

  /// Samples counted so far.
  [[nodiscard]] std::size_t num_samples() const noexcept { return core_.num_samples(); }
  /// Bytes of state held; constant in the number of samples.
  [[nodiscard]] std::size_t state_bytes() const noexcept { return core_.state_bytes(); }
};

TALLY_NAMESPACE_END

#endif  // TALLY_SEGMENTATION_HPP
