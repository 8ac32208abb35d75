// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_STAT_CORE_HPP
#define TALLY_DETAIL_STAT_CORE_HPP

// The state and update logic shared by StatScores, Precision, Recall, Specificity, Accuracy,
// FBetaScore, F1Score and JaccardIndex: per class a 2 x 2 confusion block [[tn, fp], [fn, tp]]
// of std::uint64_t, one block set for global mode or one per sample for samplewise mode.
//
// An update validates, filters ignore_index and counts in one pass into a local histogram, and
// folds it into the state only when the whole batch was valid: a throwing update changes nothing.

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"
#include "count.hpp"
#include "labels.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Positions of the four counts inside a class block (row-major [[tn, fp], [fn, tp]]).
enum : std::size_t { TN = 0, FP = 1, FN = 2, TP = 3, BLOCK = 4 };

// What distinguishes the metric types that share this core.
struct metric_traits {
  const char* name;
  bool allow_samplewise;  // JaccardIndex and ConfusionMatrix have no per-sample form
  bool allow_top_k;       // only the StatScores family implements top_k > 1
  bool logit_kept_only;   // binary ConfusionMatrix / JaccardIndex decide logits on kept elements
};

inline constexpr metric_traits stat_family{"StatScores", true, true, false};

// Flat sizes that depend on the input (samplewise rows) are checked before allocating.
inline std::size_t checked_cells(std::size_t units, std::size_t per_unit, const char* what) {
  if (per_unit != 0 && units > max_state_counters / per_unit)
    fail(what, ": ", units, " samples x ", per_unit,
         " counters per sample is too large for one update; split the batch");
  return units * per_unit;
}

// Folds a histogram of (tp, predicted, target, kept) into [[tn, fp], [fn, tp]] blocks.
inline void add_block(std::uint64_t* block, std::uint64_t tp, std::uint64_t pred,
                      std::uint64_t target, std::uint64_t kept) noexcept {
  block[TP] += tp;
  block[FP] += pred - tp;
  block[FN] += target - tp;
  block[TN] += kept - pred - target + tp;
}

[[noreturn]] inline void fail_target(long long v, std::size_t index, std::uint64_t count,
                                     bool binary_values,
                                     const std::optional<std::int64_t>& ignore_index) {
  std::string expected =
      binary_values ? std::string("is not 0 or 1") : message("is outside [0, ", count, ")");
  if (ignore_index)
    fail("target value ", v, " at index ", index, " ", expected, " and is not ignore_index ",
         *ignore_index);
  fail("target value ", v, " at index ", index, " ", expected,
       "; to skip positions with this label, pass ignore_index = ", v);
}

[[noreturn]] inline void fail_pred_label(long long v, std::size_t index, std::uint64_t count,
                                         bool binary_values,
                                         const std::optional<std::int64_t>& ignore_index) {
  std::string expected =
      binary_values
          ? std::string("is not 0 or 1 (integral preds are labels; pass floating-point preds "
                        "for probabilities or logits)")
          : message("is outside [0, ", count, ")");
  if (ignore_index && *ignore_index == v)
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

// The rank rule shared by every task: a minimum rank, and one more with samplewise.
inline void check_rank(const Shape& s, std::size_t min_rank, std::size_t min_rank_samplewise,
                       bool samplewise, const char* what) {
  if (s.size() < min_rank) fail(what, " has shape ", s, "; it needs rank >= ", min_rank);
  if (samplewise && s.size() < min_rank_samplewise)
    fail(what, " has shape ", s, "; multidim_average = samplewise needs rank >= ",
         min_rank_samplewise, " (a sample axis and at least one position axis)");
}

// How a multiclass update is laid out: labels of the target's shape, or scores (N, C, ...).
struct multiclass_layout {
  bool scores;
  std::size_t N;  // samples (axis 0)
  std::size_t R;  // positions per sample
};

// Validates multiclass shapes and element types (SEMANTICS 1.2, 3.2) before anything is read.
template <class P>
multiclass_layout check_multiclass_shapes(const Shape& ps, const Shape& ts, std::size_t C,
                                          bool samplewise, int top_k) {
  const bool scores = ps.size() == ts.size() + 1;
  if (!scores && ps.size() != ts.size())
    fail("preds shape ", ps, " does not fit target shape ", ts,
         "; multiclass preds are labels of the target's shape or scores (N, C, ...)");
  if (scores) {
    check_rank(ps, 2, 3, samplewise, "preds (scores)");
    if (!std::is_floating_point_v<P>)
      fail("preds shape ", ps, " has one more axis than target shape ", ts,
           ", so preds are scores (N, C, ...) and must be floating-point");
    if (ps[1] != C)
      fail("preds shape ", ps, ": axis 1 has ", ps[1], " scores but num_classes is ", C);
    if (ps.without_axis(1) != ts)
      fail("preds shape ", ps, " and target shape ", ts,
           " do not match: scores (N, C, ...) need target (N, ...)");
  } else {
    check_rank(ts, 1, 2, samplewise, "target");
    if (ps != ts)
      fail("preds shape ", ps, " and target shape ", ts,
           " differ; multiclass label preds must have the target's shape");
    if (std::is_floating_point_v<P>)
      fail("preds have the target's shape ", ts,
           " but a floating-point type; multiclass labels must be integral (for scores, pass "
           "shape (N, C, ...))");
    if (top_k != 1)
      fail("top_k: ", top_k,
           " needs floating-point scores (N, C, ...), but preds are integral labels");
  }
  const std::size_t N = ts[0];
  return {scores, N, N ? ts.numel() / N : 0};
}

template <class Task>
class stat_core {
 public:
  using options_type = typename Task::Options;
  static constexpr bool binary = std::is_same_v<Task, Binary>;
  static constexpr bool multiclass = std::is_same_v<Task, Multiclass>;
  static constexpr bool multilabel = std::is_same_v<Task, Multilabel>;

  stat_core(const options_type& options, const metric_traits& traits)
      : opts_(options), logit_kept_only_(binary && traits.logit_kept_only) {
    check_enum(opts_.multidim_average);
    check_zero_division(opts_.zero_division);
    if constexpr (binary) {
      check_threshold(opts_.threshold);
      classes_ = 1;
    } else if constexpr (multiclass) {
      check_state_size("num_classes", opts_.num_classes, 2, BLOCK, 1);
      check_enum(opts_.average);
      classes_ = static_cast<std::size_t>(opts_.num_classes);
      if (opts_.top_k < 1 || opts_.top_k > opts_.num_classes)
        fail("top_k: ", opts_.top_k, " is outside [1, num_classes = ", opts_.num_classes, "]");
      if (opts_.top_k != 1 && !traits.allow_top_k)
        fail("top_k: ", traits.name, " supports only top_k = 1, got ", opts_.top_k);
    } else {
      check_state_size("num_labels", opts_.num_labels, 2, BLOCK, 1);
      check_threshold(opts_.threshold);
      check_enum(opts_.average);
      classes_ = static_cast<std::size_t>(opts_.num_labels);
    }
    if (samplewise() && !traits.allow_samplewise)
      fail("multidim_average: ", traits.name,
           " has no samplewise form; use MultidimAverage::global");
    reset();
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] std::size_t num_classes() const noexcept { return classes_; }
  [[nodiscard]] bool samplewise() const noexcept {
    return opts_.multidim_average == MultidimAverage::samplewise;
  }
  // Global mode has one unit; samplewise mode one per sample seen so far.
  [[nodiscard]] std::size_t num_units() const noexcept { return units_; }
  [[nodiscard]] const std::uint64_t* unit(std::size_t u) const noexcept {
    return counts_.data() + u * classes_ * BLOCK;
  }
  [[nodiscard]] const std::vector<std::uint64_t>& raw() const noexcept { return counts_; }

  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    const std::size_t c = classes_;
    if (samplewise())
      return binary ? tensor_view<const std::uint64_t>(counts_.data(), Shape{units_, 2, 2})
                    : tensor_view<const std::uint64_t>(counts_.data(), Shape{units_, c, 2, 2});
    return binary ? tensor_view<const std::uint64_t>(counts_.data(), Shape{2, 2})
                  : tensor_view<const std::uint64_t>(counts_.data(), Shape{c, 2, 2});
  }

  void reset() {
    if (samplewise()) {
      counts_.clear();
      counts_.shrink_to_fit();
      units_ = 0;
    } else {
      assign_zeros(counts_, classes_ * BLOCK, "num_classes");
      units_ = 1;
    }
  }

  void merge(const stat_core& other) {
    if (!(opts_ == other.opts_) || logit_kept_only_ != other.logit_kept_only_)
      fail("merge: the two metrics have different options; only metrics built with equal "
           "options can be merged");
    if (samplewise()) {
      counts_.insert(counts_.end(), other.counts_.begin(), other.counts_.end());
      units_ += other.units_;
    } else {
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    }
  }

  friend bool operator==(const stat_core& a, const stat_core& b) noexcept {
    return a.opts_ == b.opts_ && a.units_ == b.units_ && a.counts_ == b.counts_;
  }

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be integral labels or floating-point scores");
    if constexpr (binary)
      update_binary(preds, target);
    else if constexpr (multiclass)
      update_multiclass(preds, target);
    else
      update_multilabel(preds, target);
  }

 private:
  // ---- shared pieces -------------------------------------------------------------------

  // Local per-update histograms, folded into the state at the end (strong guarantee).
  struct local_hist {
    std::vector<std::uint64_t> h;
    explicit local_hist(std::size_t n) { assign_zeros(h, n, "update (split the batch)"); }
  };

  // Commits per-unit blocks (already in [[tn, fp], [fn, tp]] form) for `units` units.
  void commit(const std::vector<std::uint64_t>& blocks, std::size_t units) {
    if (samplewise()) {
      counts_.insert(counts_.end(), blocks.begin(), blocks.end());
      units_ += units;
    } else {
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += blocks[i];
    }
  }

  // ---- binary and multilabel -----------------------------------------------------------

  // For floating preds: NaN check and the per-update logit decision over the whole tensor.
  template <class P, class T>
  positive_rule<P> decide_positive(const P* p, const T* t, std::size_t n,
                                   const label_rule<T>& rule) const {
    if constexpr (std::is_floating_point_v<P>) {
      const prob_scan scan = scan_probabilities(p, t, n, rule, logit_kept_only_);
      if (scan.nan_index != npos) fail_nan(scan.nan_index);
      return positive_rule<P>(opts_.threshold, scan.outside);
    } else {
      return positive_rule<P>{};
    }
  }

  // Counts n elements of one decision unit into hist[0..3] = (tp, predicted, target, kept).
  template <class P, class T>
  void count_binary_run(const P* p, const T* t, std::size_t n, std::size_t base,
                        const label_rule<T>& rule, const positive_rule<P>& positive,
                        std::uint64_t* hist) const {
    std::uint64_t tp = 0, pr = 0, tg = 0, kept = 0;
    const std::size_t bad = count_binary_pairs(p, t, n, rule, positive,
                                               [&](std::size_t tb, std::size_t pb) {
                                                 tp += tb & pb;
                                                 pr += pb;
                                                 tg += tb;
                                                 ++kept;
                                               });
    if (bad != npos) {
      if (!rule.valid(t[bad]) && !rule.ignored(t[bad]))
        fail_target(label_value(t[bad]), base + bad, 2, true, opts_.ignore_index);
      if constexpr (!std::is_floating_point_v<P>)
        fail_pred_label(label_value(p[bad]), base + bad, 2, true, opts_.ignore_index);
    }
    hist[0] += tp;
    hist[1] += pr;
    hist[2] += tg;
    hist[3] += kept;
  }

  template <class P, class T>
  void update_binary(tensor_view<const P> preds, tensor_view<const T> target) {
    const Shape& s = target.shape();
    check_rank(s, 1, 2, samplewise(), "target");
    if (preds.shape() != s)
      fail("preds shape ", preds.shape(), " and target shape ", s,
           " differ; binary preds and target must have the same shape");
    const label_rule<T> rule(2, opts_.ignore_index);
    const std::size_t n = target.size();
    const positive_rule<P> positive = decide_positive(preds.data(), target.data(), n, rule);
    const std::size_t N = s[0];
    const std::size_t units = samplewise() ? N : 1;
    const std::size_t per_unit = samplewise() ? (N ? n / N : 0) : n;
    local_hist hist(checked_cells(units, BLOCK, "update"));
    for (std::size_t u = 0; u < units; ++u)
      count_binary_run(preds.data() + u * per_unit, target.data() + u * per_unit, per_unit,
                       u * per_unit, rule, positive, hist.h.data() + u * BLOCK);
    fold_binary(hist.h, units);
    commit(hist.h, units);
  }

  // (tp, predicted, target, kept) per class -> [[tn, fp], [fn, tp]] in place.
  static void fold_binary(std::vector<std::uint64_t>& h, std::size_t blocks) noexcept {
    for (std::size_t b = 0; b < blocks; ++b) {
      std::uint64_t* x = h.data() + b * BLOCK;
      const std::uint64_t tp = x[0], pr = x[1], tg = x[2], kept = x[3];
      x[0] = x[1] = x[2] = x[3] = 0;
      add_block(x, tp, pr, tg, kept);
    }
  }

  template <class P, class T>
  void update_multilabel(tensor_view<const P> preds, tensor_view<const T> target) {
    const Shape& s = target.shape();
    check_rank(s, 2, 3, samplewise(), "target");
    if (preds.shape() != s)
      fail("preds shape ", preds.shape(), " and target shape ", s,
           " differ; multilabel preds and target must have the same shape (N, L, ...)");
    const std::size_t L = classes_;
    if (s[1] != L)
      fail("target shape ", s, ": axis 1 has ", s[1], " labels but num_labels is ", L);
    const label_rule<T> rule(2, opts_.ignore_index);
    const std::size_t n = target.size();
    const positive_rule<P> positive = decide_positive(preds.data(), target.data(), n, rule);
    const std::size_t N = s[0];
    const std::size_t R = s.numel_from(2);
    const std::size_t units = samplewise() ? N : 1;
    local_hist hist(checked_cells(units, L * BLOCK, "update"));
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t l = 0; l < L; ++l) {
        const std::size_t base = (i * L + l) * R;
        const std::size_t unit = samplewise() ? i : 0;
        count_binary_run(preds.data() + base, target.data() + base, R, base, rule, positive,
                         hist.h.data() + (unit * L + l) * BLOCK);
      }
    fold_binary(hist.h, units * L);
    commit(hist.h, units);
  }

  // ---- multiclass ----------------------------------------------------------------------

  // Per-unit histograms laid out as tp[C], predicted[C], target[C].
  struct class_hist_sink {
    std::uint64_t* tp;
    std::uint64_t* pred;
    std::uint64_t* target;
    std::size_t C;
    void operator()(std::size_t t, std::size_t p) noexcept {
      tp[t] += t == p;
      ++pred[p];
      ++target[t];
    }
  };

  class_hist_sink sink_for(std::vector<std::uint64_t>& h, std::size_t unit) const noexcept {
    std::uint64_t* base = h.data() + unit * 3 * classes_;
    return {base, base + classes_, base + 2 * classes_, classes_};
  }

  template <class P, class T>
  void update_multiclass(tensor_view<const P> preds, tensor_view<const T> target) {
    const std::size_t C = classes_;
    const multiclass_layout lay =
        check_multiclass_shapes<P>(preds.shape(), target.shape(), C, samplewise(), opts_.top_k);
    const label_rule<T> rule(C, opts_.ignore_index);
    const std::size_t units = samplewise() ? lay.N : 1;
    local_hist hist(checked_cells(units, 3 * C, "update"));
    if constexpr (!std::is_floating_point_v<P>) {
      const label_rule<P> prule(C, std::nullopt);
      const std::size_t n = target.size();
      const std::size_t per_unit = samplewise() ? lay.R : n;
      for (std::size_t u = 0; u < units; ++u) {
        const std::size_t base = u * per_unit;
        const std::size_t bad = count_label_pairs(preds.data() + base, target.data() + base,
                                                  per_unit, prule, rule, sink_for(hist.h, u));
        if (bad != npos)
          fail_multiclass_pair(preds[base + bad], target[base + bad], base + bad, C,
                               opts_.ignore_index);
      }
    } else {
      const std::size_t R = lay.R;
      for (std::size_t i = 0; i < lay.N; ++i) {
        const P* sample = preds.data() + i * C * R;
        const score_pass pass =
            count_score_pairs(sample, target.data() + i * R, C, R, R, opts_.top_k, rule,
                              sink_for(hist.h, samplewise() ? i : 0));
        if (pass.nan) fail_nan(i * C * R + find_nan(sample, C * R));
        if (pass.bad_target != npos)
          fail_target(label_value(target[i * R + pass.bad_target]), i * R + pass.bad_target, C,
                      false, opts_.ignore_index);
      }
    }
    // Fold tp / predicted / target histograms into blocks; kept = sum of target counts.
    std::vector<std::uint64_t> blocks;
    assign_zeros(blocks, units * C * BLOCK, "update (split the batch)");
    for (std::size_t u = 0; u < units; ++u) {
      const std::uint64_t* tp = hist.h.data() + u * 3 * C;
      const std::uint64_t* pr = tp + C;
      const std::uint64_t* tg = tp + 2 * C;
      std::uint64_t kept = 0;
      for (std::size_t c = 0; c < C; ++c) kept += tg[c];
      for (std::size_t c = 0; c < C; ++c)
        add_block(blocks.data() + (u * C + c) * BLOCK, tp[c], pr[c], tg[c], kept);
    }
    commit(blocks, units);
  }

  options_type opts_;
  bool logit_kept_only_ = false;
  std::size_t classes_ = 0;
  std::size_t units_ = 0;
  std::vector<std::uint64_t> counts_;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_STAT_CORE_HPP
