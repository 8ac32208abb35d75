// tally/exact_match.hpp — ExactMatch: the fraction of samples (multilabel: of positions) whose
// every kept decision is right.
// SPDX-License-Identifier: MIT
#ifndef TALLY_EXACT_MATCH_HPP
#define TALLY_EXACT_MATCH_HPP

// State: two counts per unit, [correct, total]; one unit in global mode, one per sample in
// samplewise mode. Multiclass: a sample (N, ...) is correct when every position whose target is
// not ignore_index has pred == target (a fully ignored sample is correct, as in torchmetrics).
// Multilabel: a position (n, k) of (N, L, K...) is correct when every label there is right; a
// sample's row counts its correct positions out of its K.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "detail/count.hpp"
#include "detail/kernels.hpp"
#include "detail/labels.hpp"
#include "detail/messages.hpp"
#include "detail/metric_base.hpp"
#include "detail/state_io.hpp"
#include "detail/validate.hpp"
#include "options.hpp"
#include "result.hpp"
#include "tensor_view.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

template <class Task>
class exact_match_core {
  static_assert(std::is_same_v<Task, Multiclass> || std::is_same_v<Task, Multilabel>,
                "tally: ExactMatch exists for Multiclass and Multilabel (as in torchmetrics)");
  static constexpr bool multiclass = std::is_same_v<Task, Multiclass>;

 public:
  using options_type = typename Task::Options;
  static constexpr const char* task_name = Task::name;

  explicit exact_match_core(const options_type& o) : opts_(o) {
    check_enum(o.multidim_average);
    check_enum(o.average);
    check_zero_division(o.zero_division);
    check_enum(o.scores);
    check_unused_options(o, "ExactMatch");
    if constexpr (multiclass) {
      check_state_size("num_classes", o.num_classes, 2, 1, 1);
      if (o.top_k != 1) fail("top_k: ExactMatch supports only top_k = 1, got ", o.top_k);
      classes_ = static_cast<std::size_t>(o.num_classes);
    } else {
      check_state_size("num_labels", o.num_labels, 2, 1, 1);
      check_threshold(o.threshold);
      classes_ = static_cast<std::size_t>(o.num_labels);
    }
    reset();
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] bool samplewise() const noexcept {
    return opts_.multidim_average == MultidimAverage::samplewise;
  }
  [[nodiscard]] std::size_t num_units() const noexcept { return units_; }
  [[nodiscard]] const std::vector<std::uint64_t>& raw() const noexcept { return counts_; }
  // (2) [correct, total], or (N, 2) per sample.
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    return samplewise() ? tensor_view<const std::uint64_t>(counts_.data(), Shape{units_, 2})
                        : tensor_view<const std::uint64_t>(counts_.data(), Shape{2});
  }

  void reset() {
    if (samplewise()) {
      counts_.clear();
      counts_.shrink_to_fit();
      units_ = 0;
    } else {
      counts_.assign(2, 0);
      units_ = 1;
    }
  }

  void merge(const exact_match_core& other) {
    if (samplewise()) {
      counts_.insert(counts_.end(), other.counts_.begin(), other.counts_.end());
      units_ += other.units_;
    } else {
      counts_[0] += other.counts_[0];
      counts_[1] += other.counts_[1];
    }
  }

  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    if (samplewise()) {
      s.rows = &counts_;
      s.row_width = 2;
      s.row_count = &units_;
    } else {
      s.sums.push_back({counts_.data(), counts_.size()});
    }
    return s;
  }

  void save_state(state_writer& w) const {
    w.scalar(units_);
    w.array(counts_);
  }
  void load_state(state_reader& r) {
    const std::uint64_t units = r.scalar("the number of units");
    std::vector<std::uint64_t> counts = r.u64_array("the counts");
    if (!samplewise() && units != 1) fail("load: a global state has 1 unit, the bytes say ", units);
    if (units > max_state_counters / 2 || counts.size() != units * 2)
      fail("load: ", units, " units need ", units * 2, " counts, the bytes hold ", counts.size());
    for (std::uint64_t u = 0; u < units; ++u)
      if (counts[2 * u] > counts[2 * u + 1])
        fail("load: unit ", u, " has ", counts[2 * u], " correct of ", counts[2 * u + 1]);
    units_ = static_cast<std::size_t>(units);
    counts_ = std::move(counts);
  }

  friend bool operator==(const exact_match_core& a, const exact_match_core& b) noexcept {
    return a.opts_ == b.opts_ && a.units_ == b.units_ && a.counts_ == b.counts_;
  }

  // One pass over the batch; every unit's verdict is collected locally and committed only when
  // the whole batch was valid. Serial: `threads` (tally::parallel) is accepted and gives the same
  // result, one thread.
  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t /*threads*/) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be integral labels or floating-point scores");
    std::vector<std::uint64_t> rows;  // [correct, total] per sample
    if constexpr (multiclass)
      rows = verdicts_multiclass(preds, target);
    else
      rows = verdicts_multilabel(preds, target);
    const std::size_t N = rows.size() / 2;
    if (samplewise()) {
      counts_.insert(counts_.end(), rows.begin(), rows.end());
      units_ += N;
    } else {
      for (std::size_t i = 0; i < N; ++i) {
        counts_[0] += rows[2 * i];
        counts_[1] += rows[2 * i + 1];
      }
    }
  }

 private:
  template <class P, class T>
  std::vector<std::uint64_t> verdicts_multiclass(tensor_view<const P> preds,
                                                 tensor_view<const T> target) const {
    const std::size_t C = classes_;
    const multiclass_layout lay =
        check_multiclass_shapes<P>(preds.shape(), target.shape(), C, samplewise(), 1);
    const std::size_t N = lay.N, R = lay.R;
    if constexpr (std::is_floating_point_v<P>) {
      if (opts_.scores == Scores::probabilities && find_nan(preds.data(), preds.size()) == npos)
        check_probabilities(preds.data(), preds.size());
    }
    std::vector<std::uint64_t> rows(checked_cells(N, 2, "update"), 0);
    const label_rule<T> tr(C, opts_.ignore_index);
    const P* p = preds.data();
    const T* t = target.data();
    // The counting kernels (every ISA, the same ones as StatScores) give a sample's per-class tp
    // and target counts; it is right when the tp sum equals the kept positions. That adds O(C)
    // per sample, so samples shorter than C take the scalar pass, which also names the first
    // invalid value when a kernel reports one.
    const bool use_kernels = R >= C;
    constexpr std::size_t block = 4096;
    label_scratch scratch;
    std::vector<std::uint64_t> hist(use_kernels ? 3 * C : 0);
    std::vector<std::uint32_t> labels(use_kernels && std::is_floating_point_v<P>
                                          ? std::min(block, R)
                                          : 0);
    for (std::size_t i = 0; i < N; ++i) {
      if (use_kernels) {
        std::fill(hist.begin(), hist.end(), std::uint64_t{0});
        const class_counts_out out{hist.data(), hist.data() + C, hist.data() + 2 * C};
        bool ok = true;
        if constexpr (std::is_floating_point_v<P>) {
          const label_rule<std::uint32_t> lr(C, std::nullopt);
          for (std::size_t r0 = 0; r0 < R && ok; r0 += block) {
            const std::size_t m = std::min(block, R - r0);
            ok = !argmax_block(p + i * C * R + r0, C, R, m, labels.data()) &&
                 count_class_labels(labels.data(), t + i * R + r0, m, C, lr, tr, out, scratch);
          }
        } else {
          ok = count_class_labels(p + i * R, t + i * R, R, C, label_rule<P>(C, std::nullopt), tr,
                                  out, scratch);
        }
        if (ok) {
          std::uint64_t tp = 0, kept = 0;
          for (std::size_t c = 0; c < C; ++c) {
            tp += out.tp[c];
            kept += out.target[c];
          }
          rows[2 * i] = tp == kept ? 1 : 0;
          rows[2 * i + 1] = 1;
          continue;
        }
      }
      bool wrong = false;
      auto sink = [&](std::size_t tc, std::size_t pc) { wrong |= tc != pc; };
      if constexpr (std::is_floating_point_v<P>) {
        const score_pass r = count_score_pairs(p + i * C * R, t + i * R, C, R, R, 1, tr, sink);
        if (r.nan || r.bad_target != npos) {
          // As every multiclass metric reports it: a NaN anywhere in the sample first, then the
          // sample's first invalid target.
          const std::size_t nan = find_nan(p + i * C * R, C * R);
          if (nan != npos) fail_nan(i * C * R + nan);
          for (std::size_t j = 0; j < R; ++j)
            if (!tr.ignored(t[i * R + j]) && !tr.valid(t[i * R + j]))
              fail_target(label_value(t[i * R + j]), i * R + j, C, false, opts_.ignore_index);
        }
      } else {
        const label_rule<P> pr(C, std::nullopt);
        const std::size_t bad = count_label_pairs(p + i * R, t + i * R, R, pr, tr, sink);
        if (bad != npos)
          fail_multiclass_pair(p[i * R + bad], t[i * R + bad], i * R + bad, C, opts_.ignore_index);
      }
      rows[2 * i] = wrong ? 0 : 1;
      rows[2 * i + 1] = 1;
    }
    return rows;
  }

  template <class P, class T>
  std::vector<std::uint64_t> verdicts_multilabel(tensor_view<const P> preds,
                                                 tensor_view<const T> target) const {
    const std::size_t L = classes_;
    const Shape& s = target.shape();
    check_multilabel_shapes(preds.shape(), s, L, samplewise());
    const std::size_t N = s[0], K = s.numel_from(2), n = target.size();
    const P* p = preds.data();
    const T* t = target.data();
    const label_rule<T> rule(2, opts_.ignore_index);
    // Validation in the order the other multilabel metrics report: a NaN anywhere, then the
    // first target that is neither 0, 1 nor ignored, or integral pred other than 0/1 where kept.
    bool logits = false;
    if constexpr (std::is_floating_point_v<P>) {
      const std::size_t nan = find_nan(p, n);
      if (nan != npos) fail_nan(nan);
      if (opts_.scores == Scores::probabilities) check_probabilities(p, n);
      logits = opts_.scores == Scores::logits;
      if (opts_.scores == Scores::automatic)
        for (std::size_t i = 0; i < n && !logits; ++i) logits = p[i] < P(0) || p[i] > P(1);
    }
    const std::size_t bad = find_invalid_binary(p, t, n, rule);
    if (bad != npos) {
      if (!rule.valid(t[bad]) && !rule.ignored(t[bad]))
        fail_target(label_value(t[bad]), bad, 2, true, opts_.ignore_index);
      fail_pred_label(label_value(p[bad]), bad, 2, true, opts_.ignore_index);
    }
    binary_thresholds<P> th{};
    if constexpr (std::is_floating_point_v<P>) th = make_binary_thresholds<P>(opts_.threshold);
    std::vector<std::uint64_t> rows(checked_cells(N, 2, "update"), 0);
    std::vector<unsigned char> wrong(K);
    for (std::size_t i = 0; i < N; ++i) {
      std::fill(wrong.begin(), wrong.end(), static_cast<unsigned char>(0));
      for (std::size_t l = 0; l < L; ++l) {
        const std::size_t base = (i * L + l) * K;
        for (std::size_t k = 0; k < K; ++k) {
          const T tv = t[base + k];
          if (rule.ignored(tv)) continue;
          bool positive;
          if constexpr (std::is_floating_point_v<P>)
            positive = p[base + k] > (logits ? th.logit : th.prob);
          else
            positive = label_bits(p[base + k]) == 1u;
          wrong[k] |= static_cast<unsigned char>(positive != (label_bits(tv) == 1u));
        }
      }
      std::uint64_t correct = 0;
      for (std::size_t k = 0; k < K; ++k) correct += wrong[k] ? 0u : 1u;
      rows[2 * i] = correct;
      rows[2 * i + 1] = K;
    }
    return rows;
  }

  options_type opts_;
  std::size_t classes_ = 0;
  std::size_t units_ = 0;
  std::vector<std::uint64_t> counts_;
};

}  // namespace detail

/// Exact match (subset accuracy). Multiclass: the fraction of samples whose every kept position
/// is predicted right. Multilabel: the fraction of positions (n, k) whose every label is right.
/// Samplewise gives one value per sample (multilabel: over that sample's positions; torchmetrics
/// divides every sample by the last update's position count, tally by the sample's own).
///
///     tally::MulticlassExactMatch em({.num_classes = 3});
///     em.update(tally::tensor_view<const int>(preds, {2, 4}),
///               tally::tensor_view<const int>(target, {2, 4}));
///     double v = em.compute().value();   // 0, 0.5 or 1
template <class Task>
class ExactMatch : public detail::metric_base<ExactMatch<Task>, detail::exact_match_core<Task>> {
  using base = detail::metric_base<ExactMatch<Task>, detail::exact_match_core<Task>>;

 public:
  static constexpr const char* metric_name = "ExactMatch";
  using options_type = typename Task::Options;

  explicit ExactMatch(options_type options) : base(detail::exact_match_core<Task>(options)) {}

  [[nodiscard]] Result compute() const {
    const auto& c = this->core_.raw();
    auto frac = [](std::uint64_t correct, std::uint64_t total) {
      return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
    };
    if (!this->core_.samplewise()) return Result(Shape{}, std::vector<double>{frac(c[0], c[1])});
    const std::size_t N = this->core_.num_units();
    std::vector<double> v(N);
    for (std::size_t i = 0; i < N; ++i) v[i] = frac(c[2 * i], c[2 * i + 1]);
    return Result(Shape{N}, std::move(v));
  }
};

using MulticlassExactMatch = ExactMatch<Multiclass>;
using MultilabelExactMatch = ExactMatch<Multilabel>;

TALLY_NAMESPACE_END

#endif  // TALLY_EXACT_MATCH_HPP
