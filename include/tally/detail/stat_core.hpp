// tally/detail/stat_core.hpp — the per-class [[tn, fp], [fn, tp]] state behind StatScores and the
// scores derived from it: update, merge, save/load.
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
#include "count_multiclass.hpp"
#include "thread_pool.hpp"
#include "kernels.hpp"
#include "labels.hpp"
#include "messages.hpp"
#include "state_io.hpp"
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

// Folds a histogram of (tp, predicted, target, kept) into [[tn, fp], [fn, tp]] blocks.
inline void add_block(std::uint64_t* block, std::uint64_t tp, std::uint64_t pred,
                      std::uint64_t target, std::uint64_t kept) noexcept {
  block[TP] += tp;
  block[FP] += pred - tp;
  block[FN] += target - tp;
  block[TN] += kept - pred - target + tp;
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
    check_enum(opts_.scores);
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

  // Options already compared by metric_base::merge (logit_kept_only_ follows the metric type).
  void merge(const stat_core& other) {
    if (samplewise()) {
      counts_.insert(counts_.end(), other.counts_.begin(), other.counts_.end());
      units_ += other.units_;
    } else {
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    }
  }

  static constexpr const char* task_name = Task::name;

  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    if (samplewise()) {
      s.rows = &counts_;
      s.row_width = classes_ * BLOCK;
      s.row_count = &units_;
    } else {
      s.sums.push_back({counts_.data(), counts_.size()});
    }
    return s;
  }

  // State: the samples seen (samplewise) and the count blocks.
  void save_state(state_writer& w) const {
    w.scalar(units_);
    w.array(counts_);
  }
  void load_state(state_reader& r) {
    const std::uint64_t units = r.scalar("the number of units");
    std::vector<std::uint64_t> counts = r.u64_array("the counts");
    const std::size_t per_unit = classes_ * BLOCK;
    if (!samplewise() && units != 1) fail("load: a global state has 1 unit, the bytes say ", units);
    if (units > max_state_counters / per_unit || counts.size() != units * per_unit)
      fail("load: ", units, " units need ", units * per_unit, " counts, the bytes hold ",
           counts.size());
    units_ = static_cast<std::size_t>(units);
    counts_ = std::move(counts);
  }

  friend bool operator==(const stat_core& a, const stat_core& b) noexcept {
    return a.opts_ == b.opts_ && a.units_ == b.units_ && a.counts_ == b.counts_;
  }

  // `threads` > 1 splits the counting over the shared thread pool (parallel{n}); the result is
  // the same, bit for bit, since all state is integral.
  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads = 1) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be integral labels or floating-point scores");
    if constexpr (binary)
      update_binary(preds, target, threads);
    else if constexpr (multiclass)
      update_multiclass(preds, target, threads);
    else
      update_multilabel(preds, target, threads);
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

  // The scalar reference pass, run only after the kernels reported an invalid value: it finds
  // the first offending element in flat order and throws with its index.
  template <class P, class T>
  [[noreturn]] void report_binary_error(const P* p, const T* t, std::size_t n) const {
    const label_rule<T> rule(2, opts_.ignore_index);
    if constexpr (std::is_floating_point_v<P>) {
      const std::size_t nan = find_nan(p, n);
      if (nan != npos) fail_nan(nan);
    }
    const std::size_t bad = find_invalid_binary(p, t, n, rule);
    const std::size_t i = bad == npos ? 0 : bad;
    if (!rule.valid(t[i]) && !rule.ignored(t[i]))
      fail_target(label_value(t[i]), i, 2, true, opts_.ignore_index);
    fail_pred_label(label_value(p[i]), i, 2, true, opts_.ignore_index);
  }

  // Binary (L = 1) and multilabel updates share the layout (N, L, R). One pass counts every
  // label under both readings of floating preds; the per-update logit rule then picks one.
  template <class P, class T>
  void update_binary_like(tensor_view<const P> preds, tensor_view<const T> target, std::size_t N,
                          std::size_t L, std::size_t R, std::size_t threads) {
    const label_rule<T> rule(2, opts_.ignore_index);
    binary_thresholds<P> th{};
    if constexpr (std::is_floating_point_v<P>) th = make_binary_thresholds<P>(opts_.threshold);
    const std::size_t units = samplewise() ? N : 1;
    std::vector<binary_tally> tallies(checked_cells(units, L, "update"));
    const std::size_t n = target.size();
    // Chunks: whole samples, or for one global unit of one label any cut of the flat array.
    const bool flat = !samplewise() && L == 1;
    const std::size_t space = flat ? n : N;
    const std::size_t chunks = chunk_count(flat ? n / 4096 + 1 : N, n, threads);
    std::vector<binary_tally> extra(samplewise() ? 0 : (chunks - 1) * L);
    std::vector<binary_flags> flags(chunks);
    for_each_chunk(space, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      if (flat) {
        binary_tally* out = k == 0 ? tallies.data() : extra.data() + (k - 1);
        count_multilabel(preds.data() + b, target.data() + b, 1, 1, e - b, rule, th, out, flags[k]);
      } else if (samplewise()) {
        for (std::size_t i = b; i < e; ++i)
          count_multilabel(preds.data() + i * L * R, target.data() + i * L * R, 1, L, R, rule, th,
                           tallies.data() + i * L, flags[k]);
      } else {
        binary_tally* out = k == 0 ? tallies.data() : extra.data() + (k - 1) * L;
        count_multilabel(preds.data() + b * L * R, target.data() + b * L * R, e - b, L, R, rule, th,
                         out, flags[k]);
      }
    });
    binary_flags all;
    for (const binary_flags& f : flags) {
      all.invalid |= f.invalid;
      all.outside_all |= f.outside_all;
      all.outside_kept |= f.outside_kept;
    }
    if (all.invalid) report_binary_error(preds.data(), target.data(), n);
    for (std::size_t i = 0; i < extra.size(); ++i) {
      binary_tally& to = tallies[i % L];
      const binary_tally& from = extra[i];
      to.tp_prob += from.tp_prob;
      to.pred_prob += from.pred_prob;
      to.tp_logit += from.tp_logit;
      to.pred_logit += from.pred_logit;
      to.target += from.target;
      to.kept += from.kept;
    }
    // Scores::automatic: logits iff some value lies outside [0, 1], anywhere, or for the metrics
    // built on torchmetrics' binary confusion matrix at kept positions only.
    bool logits = false;
    if constexpr (std::is_floating_point_v<P>) {
      if (opts_.scores == Scores::probabilities && all.outside_all)
        check_probabilities(preds.data(), n);
      logits = opts_.scores == Scores::logits ||
               (opts_.scores == Scores::automatic &&
                (logit_kept_only_ ? all.outside_kept : all.outside_all));
    }
    std::vector<std::uint64_t> blocks;
    assign_zeros(blocks, units * L * BLOCK, "update (split the batch)");
    for (std::size_t u = 0; u < units * L; ++u) {
      const binary_tally& x = tallies[u];
      add_block(blocks.data() + u * BLOCK, logits ? x.tp_logit : x.tp_prob,
                logits ? x.pred_logit : x.pred_prob, x.target, x.kept);
    }
    commit(blocks, units);
  }

  template <class P, class T>
  void update_binary(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads) {
    const Shape& s = target.shape();
    check_binary_shapes(preds.shape(), s, samplewise());
    const std::size_t N = s[0];
    update_binary_like(preds, target, N, 1, N ? target.size() / N : 0, threads);
  }

  template <class P, class T>
  void update_multilabel(tensor_view<const P> preds, tensor_view<const T> target,
                         std::size_t threads) {
    const Shape& s = target.shape();
    check_multilabel_shapes(preds.shape(), s, classes_, samplewise());
    update_binary_like(preds, target, s[0], classes_, s.numel_from(2), threads);
  }

  // ---- multiclass ----------------------------------------------------------------------

  template <class P, class T>
  void update_multiclass(tensor_view<const P> preds, tensor_view<const T> target,
                         std::size_t threads) {
    const std::size_t C = classes_;
    const multiclass_layout lay =
        check_multiclass_shapes<P>(preds.shape(), target.shape(), C, samplewise(), opts_.top_k);
    const std::size_t units = samplewise() ? lay.N : 1;
    local_hist hist(checked_cells(units, 3 * C, "update"));
    const multiclass_job job{lay.N,        lay.R,  C, opts_.top_k, opts_.ignore_index,
                             samplewise(), threads};
    if constexpr (std::is_floating_point_v<P>) {
      count_multiclass_scores(preds.data(), target.data(), job, hist.h);
      if (opts_.scores == Scores::probabilities) check_probabilities(preds.data(), preds.size());
    } else {
      count_multiclass_labels(preds.data(), target.data(), job, hist.h);
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
