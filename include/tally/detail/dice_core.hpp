// tally/detail/dice_core.hpp — DiceScore's state: the update (shapes, counting per sample),
// merge, save/load and compute, over the per-unit counts of dice_count.hpp.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_DICE_CORE_HPP
#define TALLY_DETAIL_DICE_CORE_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../result.hpp"
#include "../tensor_view.hpp"
#include "count.hpp"
#include "count_multiclass.hpp"
#include "dice_count.hpp"
#include "fixed_sum.hpp"
#include "kernels.hpp"
#include "labels.hpp"
#include "state_io.hpp"
#include "thread_pool.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// DiceScore's state. Global aggregation keeps per-class sums of I, P and T. Samplewise
// aggregation keeps, per output value, the exact sum of the non-NaN per-sample values
// (fixed_sum.hpp) and their count: O(C) whatever the number of samples, and the same bits
// however the samples were split into updates, threads, merges or ranks.
class dice_core {
 public:
  using options_type = DiceScoreOptions;

  explicit dice_core(const options_type& o) : opts_(o) {
    check_state_size("num_classes", o.num_classes, 1, 3, 1);
    check_enum(o.average);
    check_enum(o.aggregation_level);
    check_enum(o.input_format);
    check_zero_division(o.zero_division);
    if (o.ignore_index && o.input_format == InputFormat::one_hot)
      fail("ignore_index: ", *o.ignore_index,
           " cannot apply to input_format = one_hot (a one-hot target has no void value); use "
           "InputFormat::index or InputFormat::mixed with an index-map target");
    const std::size_t C = static_cast<std::size_t>(o.num_classes);
    reducer_ = dice_reducer{(!o.include_background && C > 1) ? std::size_t{1} : std::size_t{0}, C,
                            o.average, o.zero_division};
    reset();
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] bool samplewise() const noexcept {
    return opts_.aggregation_level == AggregationLevel::samplewise;
  }
  [[nodiscard]] std::size_t num_samples() const noexcept {
    return static_cast<std::size_t>(samples_);
  }

  void reset() {
    samples_ = 0;
    if (samplewise()) {
      const std::size_t K = reducer_.values_per_unit();
      std::vector<std::uint64_t> words;
      assign_zeros(words, K * fixed_sums::words_per_sum, "num_classes");
      sums_.assign_words(std::move(words));
      assign_zeros(valid_, K, "num_classes");
    } else {
      assign_zeros(totals_.v, 3 * reducer_.C, "num_classes");
      totals_.C = reducer_.C;
    }
  }

  // Global: shape (3, C), the rows I, P and T over every class (background included).
  // Samplewise: the counts of non-NaN per-sample values, one per output value.
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    if (samplewise()) return {valid_.data(), Shape{valid_.size()}};
    return {totals_.v.data(), Shape{3, reducer_.C}};
  }
  [[nodiscard]] std::size_t state_bytes() const noexcept {
    return totals_.v.capacity() * sizeof(std::uint64_t) + sums_.capacity_bytes() +
           valid_.capacity() * sizeof(std::uint64_t);
  }

  // Options already compared by metric_base::merge.
  void merge(const dice_core& other) {
    for (std::size_t i = 0; i < totals_.v.size(); ++i) totals_.v[i] += other.totals_.v[i];
    sums_.merge(other.sums_);
    for (std::size_t i = 0; i < valid_.size(); ++i) valid_[i] += other.valid_[i];
    samples_ += other.samples_;
  }

  static constexpr const char* task_name = "";

  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    s.sums.push_back({totals_.v.data(), totals_.v.size()});
    s.sums.push_back({valid_.data(), valid_.size()});
    s.sums.push_back({&samples_, 1});
    s.exact_sums.push_back(&sums_);
    return s;
  }

  // Arrays: the number of samples; I, P, T (global); the exact per-sample sums, two words each
  // (fraction, whole part; samplewise); their counts (samplewise). States written before the
  // sums were exact held them as doubles (a 'd' array); they are rejected by name.
  void save_state(state_writer& w) const {
    w.scalar(samples_);
    w.array(totals_.v);
    w.array(sums_.words());
    w.array(valid_);
  }
  void load_state(state_reader& r) {
    const std::uint64_t samples = r.scalar("the number of samples");
    std::vector<std::uint64_t> totals = r.u64_array("the I, P, T totals");
    if (r.next_type() == 'd')
      fail(
          "load: this DiceScore state keeps its per-sample sums as doubles, as tally did before "
          "they were made exact; it cannot be read by this tally (count the samples again)");
    std::vector<std::uint64_t> words = r.u64_array("the per-sample sums");
    std::vector<std::uint64_t> valid = r.u64_array("the per-sample counts");
    const std::size_t sum_words = sums_.words().size();
    if (totals.size() != totals_.v.size() || words.size() != sum_words ||
        valid.size() != valid_.size())
      fail("load: the arrays hold ", totals.size(), ", ", words.size(), " and ", valid.size(),
           " values; this DiceScore keeps ", totals_.v.size(), ", ", sum_words, " and ",
           valid_.size());
    fixed_sums sums;
    sums.assign_words(std::move(words));
    for (std::size_t i = 0; i < valid.size(); ++i)
      if (valid[i] > samples || !sums.at_most(i, valid[i]))
        fail("load: per-sample sum ", i, " is ", sums.mean(i, 1), " over ", valid[i], " of ",
             samples, " samples; Dice values lie in [0, 1]");
    samples_ = samples;
    totals_.v = std::move(totals);
    sums_ = std::move(sums);
    valid_ = std::move(valid);
  }

  friend bool operator==(const dice_core& a, const dice_core& b) noexcept {
    return a.opts_ == b.opts_ && a.samples_ == b.samples_ && a.totals_.v == b.totals_.v &&
           a.sums_ == b.sums_ && a.valid_ == b.valid_;
  }

  [[nodiscard]] Result compute() const {
    const std::size_t K = reducer_.values_per_unit();
    std::vector<double> out(K);
    if (samplewise()) {
      for (std::size_t i = 0; i < K; ++i)
        out[i] =
            valid_[i] == 0 ? std::numeric_limits<double>::quiet_NaN() : sums_.mean(i, valid_[i]);
    } else {
      reducer_.unit_values(totals_, out.data());
    }
    // torchmetrics squeezes a one-element result to a scalar.
    if (K == 1) return Result(Shape{}, std::move(out));
    return Result(Shape{K}, std::move(out));
  }

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads = 1) {
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: DiceScore preds must be integral or floating-point");
    static_assert(is_label_type_v<T> || is_score_type_v<T>,
                  "tally: DiceScore target must be integral or floating-point");
    const dice_layout lay = check_dice_shapes<P, T>(preds.shape(), target.shape(), reducer_.C,
                                                    opts_.input_format, opts_.ignore_index);
    const std::size_t C = reducer_.C;
    const std::size_t K = reducer_.values_per_unit();

    // Everything is counted into locals and committed at the end (strong guarantee). Samples
    // are split over threads for parallel updates, each chunk with its own counts and exact
    // sums; integer sums do not depend on the split, so parallel and serial updates give the
    // same bits.
    const std::size_t chunks = chunk_count(lay.N, preds.size() + target.size(), threads);
    std::vector<dice_counts> partial(samplewise() ? 0 : chunks);
    std::vector<fixed_sums> part_sums(samplewise() ? chunks : 0);
    std::vector<std::vector<std::uint64_t>> part_valid(samplewise() ? chunks : 0);
    std::vector<std::exception_ptr> errors(chunks);
    for_each_chunk(lay.N, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      try {
        dice_counts sample;
        sample.resize(C);
        std::vector<double> values(samplewise() ? K : 0);
        if (samplewise()) {
          part_sums[k].assign(K);
          part_valid[k].assign(K, 0);
        } else {
          partial[k].resize(C);
        }
        std::vector<std::uint32_t> pred_argmax, target_argmax;
        label_scratch scratch;
        for (std::size_t n = b; n < e; ++n) {
          sample.clear();
          count_sample(preds.data(), target.data(), lay, n, sample, pred_argmax, target_argmax,
                       scratch);
          if (samplewise()) {
            // Per-sample values are NaN (an empty unit with zero_division 0), which the means
            // skip, or lie in [0, 1]: 2I <= P + T for every class, an empty class is 1 with
            // zero_division 1, and rounding, being monotone, keeps macro and weighted means
            // of such values within [0, 1].
            reducer_.unit_values(sample, values.data());
            for (std::size_t i = 0; i < K; ++i) {
              if (std::isnan(values[i])) continue;
              part_sums[k].add(i, values[i]);
              ++part_valid[k][i];
            }
          } else {
            for (std::size_t i = 0; i < sample.v.size(); ++i) partial[k].v[i] += sample.v[i];
          }
        }
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
    // The first chunk's error is the one of the first offending sample.
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    for (const dice_counts& part : partial)
      for (std::size_t i = 0; i < part.v.size(); ++i) totals_.v[i] += part.v[i];
    for (std::size_t k = 0; k < part_sums.size(); ++k) {
      sums_.merge(part_sums[k]);
      for (std::size_t i = 0; i < K; ++i) valid_[i] += part_valid[k][i];
    }
    samples_ += lay.N;
  }

 private:
  // Counts one sample into k. Floating one-hot tensors are first reduced to labels by argmax.
  template <class P, class T>
  void count_sample(const P* preds, const T* target, const dice_layout& lay, std::size_t n,
                    dice_counts& k, std::vector<std::uint32_t>& pred_argmax,
                    std::vector<std::uint32_t>& target_argmax, label_scratch& scratch) const {
    const std::size_t C = reducer_.C, R = lay.R;
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
      argmax_labels(t, reducer_.C, lay.R, target_argmax, t_base, "target value NaN at index ",
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
    const std::size_t C = reducer_.C, R = lay.R;
    const label_rule<T> target_rule(target_bits ? 2 : C,
                                    target_bits ? std::nullopt : opts_.ignore_index);
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

  const char* one_hot_hint() const noexcept {
    return opts_.input_format == InputFormat::one_hot ? index_map_hint : "";
  }

  // The scalar rescan after a kernel met an invalid value: target errors first, then preds.
  template <class P, class T>
  [[noreturn]] void report_pair_error(const P* p, bool pred_bits, const T* t, bool target_bits,
                                      std::size_t R, std::size_t p_base, std::size_t t_base) const {
    const std::size_t C = reducer_.C;
    const label_rule<T> target_rule(target_bits ? 2 : C,
                                    target_bits ? std::nullopt : opts_.ignore_index);
    const label_rule<P> pred_rule(pred_bits ? 2 : C, std::nullopt);
    if (!pred_bits && !target_bits) {
      const std::size_t bad =
          count_label_pairs(p, t, R, pred_rule, target_rule, [](std::size_t, std::size_t) {});
      const std::size_t i = bad == npos ? 0 : bad;
      if (!target_rule.valid(t[i]) && !target_rule.ignored(t[i]))
        fail_target(label_value(t[i]), t_base + i, C, false, opts_.ignore_index);
      fail_pred_label(label_value(p[i]), p_base + i, C, false, opts_.ignore_index);
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
          fail_target(label_value(t[r]), t_base + r, C, false, opts_.ignore_index);
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
          fail_pred_label(label_value(p[r]), p_base + r, C, false, opts_.ignore_index);
    }
    fail("internal error: a DiceScore kernel reported an invalid value that is not there");
  }

  options_type opts_;
  dice_reducer reducer_{};
  dice_counts totals_;                // global: I, P, T per class
  fixed_sums sums_;                   // samplewise: exact sums of non-NaN per-sample values
  std::vector<std::uint64_t> valid_;  // samplewise: how many values each sum holds
  std::uint64_t samples_ = 0;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_DICE_CORE_HPP
