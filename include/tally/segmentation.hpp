// tally/segmentation.hpp — the segmentation metrics: DiceScore, MeanIoU and GeneralizedDiceScore
// (their shared state: detail/seg_core.hpp; each one's rule: detail/*_core.hpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_SEGMENTATION_HPP
#define TALLY_SEGMENTATION_HPP

#include <cstddef>

#include "detail/dice_core.hpp"
#include "detail/generalized_dice_core.hpp"
#include "detail/mean_iou_core.hpp"
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

/// Mean intersection over union, following torchmetrics.segmentation.MeanIoU, plus
/// `ignore_index` (void pixels count for no class) and dataset-level aggregation.
///
///     tally::MeanIoU miou({.num_classes = 19, .ignore_index = 255,
///                          .input_format = tally::InputFormat::index});
///     miou.update(pred_maps, target_maps);      // (N, H, W) label maps, any integral type
///     double mean_iou = miou.compute().value();
///
/// Per sample and class IoU = I / (P + T - I), counted where the union is not empty.
/// `aggregation_level = samplewise` (torchmetrics' rule, the default) averages those values:
/// macro over every counted (sample, class) pair, `average = none` per class (-1 for a class
/// never counted). `global` takes per class the IoU of the counts pooled over all samples, and
/// macro averages the classes whose union is not empty. An index map of rank 1 or 2 is one
/// sample (torchmetrics' reading). The state is O(C) either way.
class MeanIoU : public detail::metric_base<MeanIoU, detail::mean_iou_core> {
  using base = detail::metric_base<MeanIoU, detail::mean_iou_core>;

 public:
  static constexpr const char* metric_name = "MeanIoU";
  using Options = MeanIoUOptions;
  using options_type = Options;

  explicit MeanIoU(Options options) : base(detail::mean_iou_core(options)) {}

  [[nodiscard]] Result compute() const { return core_.compute(); }

  /// Samples counted so far.
  [[nodiscard]] std::size_t num_samples() const noexcept { return core_.num_samples(); }
  /// The number of classes: num_classes, or (num_classes = 0) the channel count of the first
  /// one-hot update; 0 before it.
  [[nodiscard]] std::size_t num_classes() const noexcept { return core_.num_classes(); }
  /// Bytes of state held; constant in the number of samples.
  [[nodiscard]] std::size_t state_bytes() const noexcept { return core_.state_bytes(); }
};

/// Generalized Dice score, following torchmetrics.segmentation.GeneralizedDiceScore, plus
/// `ignore_index`, and with a class absent from a sample's target weighted per sample.
///
///     tally::GeneralizedDiceScore gds({.num_classes = 4, .ignore_index = 255,
///                                      .input_format = tally::InputFormat::index});
///     gds.update(pred_maps, target_maps);
///     double score = gds.compute().value();
///
/// Per sample: sum_c w_c 2 I_c / sum_c w_c (P_c + T_c) with w_c = 1 / T_c^2 (`square`), 1 / T_c
/// (`simple`) or 1 (`linear`); a class without target pixels in the sample takes the sample's
/// largest weight. `average = none` gives per-class Dice instead. Both are averaged over samples
/// in O(C) state, summed exactly (torchmetrics sums float32 values).
class GeneralizedDiceScore
    : public detail::metric_base<GeneralizedDiceScore, detail::generalized_dice_core> {
  using base = detail::metric_base<GeneralizedDiceScore, detail::generalized_dice_core>;

 public:
  static constexpr const char* metric_name = "GeneralizedDiceScore";
  using Options = GeneralizedDiceScoreOptions;
  using options_type = Options;

  explicit GeneralizedDiceScore(Options options)
      : base(detail::generalized_dice_core(options)) {}

  [[nodiscard]] Result compute() const { return core_.compute(); }

  /// Samples counted so far.
  [[nodiscard]] std::size_t num_samples() const noexcept { return core_.num_samples(); }
  /// The number of classes: num_classes, or (num_classes = 0) the channel count of the first
  /// one-hot update; 0 before it.
  [[nodiscard]] std::size_t num_classes() const noexcept { return core_.num_classes(); }
  /// Bytes of state held; constant in the number of samples.
  [[nodiscard]] std::size_t state_bytes() const noexcept { return core_.state_bytes(); }
};

TALLY_NAMESPACE_END

#endif  // TALLY_SEGMENTATION_HPP
