// tally/detail/mean_iou_core.hpp — MeanIoU's rule over the shared segmentation state
// (seg_core.hpp): its option checks, its reading of small index maps, per-sample IoU and compute.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_MEAN_IOU_CORE_HPP
#define TALLY_DETAIL_MEAN_IOU_CORE_HPP

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

// MeanIoU (docs/semantics.md 6.6). Per sample and kept class, IoU = I / U with U = P + T - I,
// counted where U > 0. Samplewise: per class the mean over the samples that count it (-1 if
// none); macro, the mean over every counted (sample, class) pair. Global: per class the IoU of
// the pooled counts (-1 if U = 0); macro, the mean over the classes with U > 0.
class mean_iou_rule {
 public:
  using options_type = MeanIoUOptions;
  static constexpr const char* metric_label = "MeanIoU";
  static constexpr bool classes_from_input = true;

  static void check_options(const options_type& o) {
    check_learnable_classes(o.num_classes, o.input_format);
    check_enum(o.average);
    check_enum(o.aggregation_level);
    check_enum(o.input_format);
    if (o.average != Average::macro && o.average != Average::none)
      fail("average: ", to_string(o.average),
           " is not offered by MeanIoU; use Average::macro (the mean IoU) or Average::none (one "
           "IoU per class)");
    check_seg_ignore_index(o.ignore_index, o.input_format);
  }
  [[nodiscard]] static bool samplewise(const options_type& o) noexcept {
    return o.aggregation_level == AggregationLevel::samplewise;
  }

  // torchmetrics' MeanIoU reads an index map of rank 1 or 2 as one sample: (L) as (1, 1, L) and
  // (N, L) as (1, N, L). Such a map cannot pair with a one-hot tensor (mixed).
  static void reshape(Shape& ps, Shape& ts, const options_type& o) {
    auto one_sample = [](Shape& s) {
      if (s.rank() == 1) s = Shape{1, 1, s[0]};
      else if (s.rank() == 2) s = Shape{1, s[0], s[1]};
    };
    if (o.input_format == InputFormat::index) {
      if (ps.rank() == 0 || ts.rank() == 0 || ps != ts) return;  // check_dice_shapes says why
      one_sample(ps);
      one_sample(ts);
    } else if (o.input_format == InputFormat::mixed) {
      const bool pred_index = ps.rank() < ts.rank();
      const Shape& index = pred_index ? ps : ts;
      if (index.rank() >= 1 && index.rank() <= 2 && ps.rank() != ts.rank())
        fail(pred_index ? "preds" : "target", " shape ", index,
             ": MeanIoU reads an index map of rank 1 or 2 as one sample (torchmetrics reshapes "
             "(N, L) to (1, N, L)), so it cannot pair with the one-hot ",
             pred_index ? "target" : "preds", " shape ", pred_index ? ts : ps,
             "; give the index map a spatial axis, (N, 1, L) and (N, C, 1, L)");
    }
  }

  mean_iou_rule(const options_type& o, std::size_t C) noexcept
      : first_(o.include_background ? std::size_t{0} : std::size_t{1}),
        C_(C),
        average_(o.average) {}

  [[nodiscard]] std::size_t width() const noexcept { return C_ - first_; }

  // I / U in [0, 1] for every kept class, NaN where U = 0.
  void sample_values(const dice_counts& k, double* out) const noexcept {
    for (std::size_t c = first_; c < C_; ++c) out[c - first_] = iou(k, c);
  }

  [[nodiscard]] Result compute(bool samplewise, const dice_counts& totals, const fixed_sums& sums,
                               const std::vector<std::uint64_t>& counted,
                               std::uint64_t /*samples*/) const {
    const std::size_t K = width();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (average_ == Average::none) {
      std::vector<double> out(K);
      for (std::size_t i = 0; i < K; ++i) {
        if (samplewise) {
          out[i] = counted[i] == 0 ? -1.0 : sums.mean(i, counted[i]);
        } else {
          const double v = iou(totals, first_ + i);
          out[i] = std::isnan(v) ? -1.0 : v;
        }
      }
      // One value per class, even for one class (torchmetrics squeezes that to a scalar).
      return Result(Shape{K}, std::move(out));
    }
    double value = nan;
    if (samplewise) {
      std::uint64_t n = 0;
      for (std::uint64_t c : counted) n += c;
      if (n != 0) value = sums.sum_all().mean(0, n);
    } else {
      double sum = 0;
      std::size_t n = 0;
      for (std::size_t c = first_; c < C_; ++c) {
        const double v = iou(totals, c);
        if (std::isnan(v)) continue;
        sum += v;
        ++n;
      }
      if (n != 0) value = sum / static_cast<double>(n);
    }
    return Result(Shape{}, std::vector<double>{value});
  }

 private:
  [[nodiscard]] static double iou(const dice_counts& k, std::size_t c) noexcept {
    const std::uint64_t I = k.I()[c], U = k.P()[c] + k.T()[c] - k.I()[c];
    return U == 0 ? std::numeric_limits<double>::quiet_NaN()
                  : static_cast<double>(I) / static_cast<double>(U);
  }

  // 1 when the background class is left out, even when it is the only class (torchmetrics'
  // MeanIoU then keeps no class: macro is NaN, none is empty); DiceScore and
  // GeneralizedDiceScore keep a lone class 0.
  std::size_t first_;
  std::size_t C_;
  Average average_;
};

using mean_iou_core = seg_core<mean_iou_rule>;

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_MEAN_IOU_CORE_HPP
