// tally/detail/seg_count.hpp — the segmentation metrics' counting: per sample and class, the
// intersection I, predicted P and target T pixel counts, from index maps, one-hot tensors or
// per-class scores (argmax), with ignore_index and the first-invalid-value error messages.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_SEG_COUNT_HPP
#define TALLY_DETAIL_SEG_COUNT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "count.hpp"
#include "count_multiclass.hpp"
#include "dice_count.hpp"
#include "kernels.hpp"
#include "labels.hpp"
#include "messages.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Counts the (I, P, T) of one sample for DiceScore, MeanIoU and GeneralizedDiceScore (written
// once for the three; the kernels underneath are the label, multilabel and one-hot/index kernels
// every ISA has). An ignored target pixel (target == ignore_index in an index-map target) adds
// nothing to any class, and its pred is not checked.
class seg_counter {
 public:
  seg_counter(std::size_t classes, std::optional<std::int64_t> ignore_index,
              InputFormat input_format) noexcept
      : C_(classes), ignore_index_(ignore_index), input_format_(input_format) {}

  // Counts sample n into k (adding to it). Floating one-hot tensors are first reduced to labels by argmax.
  template <class P, class T>
  void count_sample(const P* preds, const T* target, const dice_layout& lay, std::size_t n,
                    dice_counts& k, std::vector<std::uint32_t>& pred_argmax,
                    std::vector<std::uint32_t>& target_argmax, label_scratch& scratch) const {
    const std::size_t C = C_, R = lay.R;
    const P* p = preds + n * (lay.pred_one_hot ? C * R : R);
    const T* t = target + n * (lay.target_one_hot ? C * R : R);
    const std::size_t p_base = n * (lay.pred_one_hot ? C * R : R);
    const std::size_t t_base = n * (lay.target_one_hot ? C * R : R);
    if constexpr (std::is_floating_point_v<P>) {
      // Only a one-hot tensor can be floating here (check_dice_shapes rejects floating index maps).
      argmax_labels(p, C, R, pred_argmax, p_base, "preds value NaN at index ",
                    ": scores must not be NaN");
      count_with_pred_labels(pred_argmax.data(), false, t, lay, k, 0, t_base, target_argmax,
                             scratch);
    } else {
      count_with_pred_labels(p, lay.pred_one_hot, t, lay, k, p_base, t_base, target_argmax,
                             scratch);
    }
  }

 private:
  // Argmax over the class axis of one sample's floating one-hot tensor (C, R); ties and all-zero
  // pixels go to the lowest index. A NaN is named by its flat index.
  template <class S>
  static void argmax_labels(const S* s, std::size_t C, std::size_t R,
                            std::vector<std::uint32_t>& out, std::size_t base, const char* what,
                            const char* why) {
    out.resize(R);
    if (argmax_block(s, C, R, R, out.data())) fail(what, base + find_nan(s, C * R), why);
  }

  template <class P, class T>
  void count_with_pred_labels(const P* p, bool pred_bits, const T* t, const dice_layout& lay,
                              dice_counts& k, std::size_t p_base, std::size_t t_base,
                              std::vector<std::uint32_t>& target_argmax,
                              label_scratch& scratch) const {
    if constexpr (std::is_floating_point_v<T>) {
      argmax_labels(t, C_, lay.R, target_argmax, t_base, "target value NaN at index ",
                    ": one-hot values must not be NaN");
      count_pair(p, pred_bits, target_argmax.data(), false, lay, k, p_base, 0, scratch);
    } else {
      count_pair(p, pred_bits, t, lay.target_one_hot, lay, k, p_base, t_base, scratch);
    }
  }

  // Both sides integral: labels (R) or 0/1 per channel (C, R). The kernels count; when one
  // reports an invalid value, report_pair_error names the first one.
  template <class P, class T>
  void count_pair(const P* p, bool pred_bits, const T* t, bool target_bits, const dice_layout& lay,
                  dice_counts& k, std::size_t p_base, std::size_t t_base,
                  label_scratch& scratch) const {
    const std::size_t C = C_, R = lay.R;
    const label_rule<T> target_rule(target_bits ? 2 : C,
                                    target_bits ? std::nullopt : ignore_index_);
    const label_rule<P> pred_rule(pred_bits ? 2 : C, std::nullopt);
    bool ok;
    if (!pred_bits && !target_bits) {
      // Label maps: I, P and T are tp, predicted and target counts of the label kernels.
      ok = count_class_labels(p, t, R, C, pred_rule, target_rule, {k.I(), k.P(), k.T()}, scratch);
    } else if (pred_bits && target_bits) {
      // Two one-hot tensors: per channel a binary decision, as a multilabel (1, C, R) update.
      std::vector<binary_tally> per_class(C);
      binary_flags flags;
      count_multilabel(p, t, 1, C, R, target_rule, binary_thresholds<P>{}, per_class.data(),
                       flags);
      ok = !flags.invalid;
      for (std::size_t c = 0; c < C && ok; ++c) {
        k.I()[c] += per_class[c].tp_prob;
        k.P()[c] += per_class[c].pred_prob;
        k.T()[c] += per_class[c].target;
      }
    } else if (pred_bits) {
      ok = count_onehot_index(p, t, C, R, target_rule, false, k.I(), k.P(), k.T());
    } else {
      ok = count_onehot_index(t, p, C, R, pred_rule, true, k.I(), k.T(), k.P());
    }
    if (!ok) report_pair_error(p, pred_bits, t, target_bits, R, p_base, t_base);
  }

  [[nodiscard]] const char* one_hot_hint() const noexcept {
    return input_format_ == InputFormat::one_hot ? index_map_hint : "";
  }

  // The scalar rescan after a kernel met an invalid value: target errors first, then preds.
  template <class P, class T>
  [[noreturn]] void report_pair_error(const P* p, bool pred_bits, const T* t, bool target_bits,
                                      std::size_t R, std::size_t p_base, std::size_t t_base) const {
    const std::size_t C = C_;
    const label_rule<T> target_rule(target_bits ? 2 : C,
                                    target_bits ? std::nullopt : ignore_index_);
    const label_rule<P> pred_rule(pred_bits ? 2 : C, std::nullopt);
    if (!pred_bits && !target_bits) {
      const std::size_t bad =
          count_label_pairs(p, t, R, pred_rule, target_rule, [](std::size_t, std::size_t) {});
      const std::size_t i = bad == npos ? 0 : bad;
      if (!target_rule.valid(t[i]) && !target_rule.ignored(t[i]))
        fail_target(label_value(t[i]), t_base + i, C, false, ignore_index_);
      fail_pred_label(label_value(p[i]), p_base + i, C, false, ignore_index_);
    }
    auto kept = [&](std::size_t r) { return target_bits || !target_rule.ignored(t[r]); };
    if (target_bits) {
      for (std::size_t i = 0; i < C * R; ++i)
        if (label_bits(t[i]) > 1u)
          fail("target value ", label_value(t[i]), " at index ", t_base + i,
               " is not 0 or 1 (a one-hot tensor holds 0 or 1 per channel)", one_hot_hint());
    } else {
      for (std::size_t r = 0; r < R; ++r)
        if (!target_rule.ignored(t[r]) && !target_rule.valid(t[r]))
          fail_target(label_value(t[r]), t_base + r, C, false, ignore_index_);
    }
    if (pred_bits) {
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t r = 0; r < R; ++r)
          if (kept(r) && label_bits(p[c * R + r]) > 1u)
            fail("preds value ", label_value(p[c * R + r]), " at index ", p_base + c * R + r,
                 " is not 0 or 1 (a one-hot tensor holds 0 or 1 per channel)", one_hot_hint());
    } else {
      for (std::size_t r = 0; r < R; ++r)
        if (kept(r) && !pred_rule.valid(p[r]))
          fail_pred_label(label_value(p[r]), p_base + r, C, false, ignore_index_);
    }
    fail("internal error: a segmentation counting kernel reported an invalid value that is not there");
  }

  std::size_t C_;
  std::optional<std::int64_t> ignore_index_;
  InputFormat input_format_;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_SEG_COUNT_HPP
