// tally/calibration.hpp — CalibrationError: how far predicted confidence is from observed
// accuracy, over confidence bins (expected / root-mean-square / maximum calibration error).
// SPDX-License-Identifier: MIT
#ifndef TALLY_CALIBRATION_HPP
#define TALLY_CALIBRATION_HPP

// The state is O(n_bins): per bin the number of predictions, how many were right, and the sum
// of their confidences as an exact fixed-point sum (detail/fixed_sum.hpp), so that any split
// into updates, threads, merges or processes gives the same bits. torchmetrics keeps every
// confidence instead.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/count.hpp"
#include "detail/fixed_sum.hpp"
#include "detail/labels.hpp"
#include "detail/messages.hpp"
#include "detail/metric_base.hpp"
#include "detail/ranking_core.hpp"
#include "detail/state_io.hpp"
#include "detail/thread_pool.hpp"
#include "detail/validate.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

/// How CalibrationError combines the bins: `l1` the expected calibration error (mean gap
/// weighted by bin size), `l2` the root of the weighted mean squared gap, `max` the largest gap.
enum class CalibrationNorm { l1, l2, max };

[[nodiscard]] constexpr const char* to_string(CalibrationNorm n) noexcept {
  switch (n) {
    case CalibrationNorm::l1: return "l1";
    case CalibrationNorm::l2: return "l2";
    case CalibrationNorm::max: return "max";
  }
  return "<invalid CalibrationNorm>";
}

namespace detail {

// The n + 1 bin edges of torch.linspace(0, 1, n + 1) in the confidences' precision F.
template <class F>
[[nodiscard]] std::vector<F> bin_edges(std::size_t n) {
  std::vector<F> e(n + 1);
  const F step = F(1) / static_cast<F>(n);
  const std::size_t half = (n + 1) / 2;
  for (std::size_t k = 0; k <= n; ++k) {
    volatile F product = step * static_cast<F>(k < half ? k : n - k);  // never fused (FMA)
    e[k] = k < half ? product : F(1) - product;
  }
  return e;
}

template <class Task>
class calibration_core {
 public:
  using options_type = typename Task::Options;
  static constexpr const char* task_name = Task::name;
  static constexpr bool multiclass = std::is_same_v<Task, Multiclass>;

  calibration_core(const options_type& o, std::size_t n_bins, const char* metric)
      : opts_(o), bins_(n_bins) {
    check_ranking_options(o, metric);
    if constexpr (multiclass) {
      if (o.average != Average::macro)
        fail("average: ", metric, " does not use it; leave it at macro, got ",
             to_string(o.average));
    }
    if (n_bins < 1) fail("n_bins: 0 bins; CalibrationError needs at least 1");
    if (n_bins > max_state_counters / 4)
      fail("n_bins: ", n_bins, " is too many bins; at most ", max_state_counters / 4);
    assign_zeros(tallies_, 2 * n_bins, "n_bins");
    conf_.assign(n_bins);
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] std::size_t bins() const noexcept { return bins_; }
  // Per bin [predictions, correct ones] (the confidence sums are exact fixed-point numbers).
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    return tensor_view<const std::uint64_t>(tallies_.data(), Shape{bins_, 2});
  }

  void reset() {
    std::fill(tallies_.begin(), tallies_.end(), std::uint64_t{0});
    conf_.assign(bins_);
  }
  void merge(const calibration_core& o) {
    for (std::size_t i = 0; i < tallies_.size(); ++i) tallies_[i] += o.tallies_[i];
    conf_.merge(o.conf_);
  }
  friend bool operator==(const calibration_core& a, const calibration_core& b) noexcept {
    return a.opts_ == b.opts_ && a.bins_ == b.bins_ && a.tallies_ == b.tallies_ &&
           a.conf_ == b.conf_;
  }

  // State: per bin [predictions, correct ones], then the confidence sums (2 words each).
  void save_state(state_writer& w) const {
    w.array(tallies_);
    w.array(conf_.words());
  }
  void load_state(state_reader& r) {
    std::vector<std::uint64_t> tallies = r.u64_array("the bin counts");
    std::vector<std::uint64_t> conf = r.u64_array("the confidence sums");
    if (tallies.size() != 2 * bins_ || conf.size() != bins_ * fixed_sums::words_per_sum)
      fail("load: ", bins_, " bins expected, the bytes hold ", tallies.size() / 2);
    fixed_sums sums;
    sums.assign_words(std::move(conf));
    for (std::size_t b = 0; b < bins_; ++b)
      if (tallies[2 * b + 1] > tallies[2 * b] || !sums.at_most(b, tallies[2 * b]))
        fail("load: bin ", b, " holds more correct predictions or confidence than predictions");
    tallies_ = std::move(tallies);
    conf_ = std::move(sums);
  }
  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    s.sums.push_back({tallies_.data(), tallies_.size()});
    s.exact_sums.push_back(&conf_);
    return s;
  }

  // Per bin: accuracy and mean confidence (0 for an empty bin), and its share of all counted.
  [[nodiscard]] double error(CalibrationNorm norm) const {
    std::uint64_t total = 0;
    for (std::size_t b = 0; b < bins_; ++b) total += tallies_[2 * b];
    double l1 = 0, l2 = 0, mx = 0;
    for (std::size_t b = 0; b < bins_; ++b) {
      const std::uint64_t count = tallies_[2 * b];
      const double n = static_cast<double>(count);
      const double acc = count ? static_cast<double>(tallies_[2 * b + 1]) / n : 0.0;
      const double conf = conf_.mean(b, count);
      const double prop =
          total ? n / static_cast<double>(total) : std::numeric_limits<double>::quiet_NaN();
      const double gap = std::fabs(acc - conf);
      l1 += gap * prop;
      l2 += gap * gap * prop;
      mx = std::max(mx, gap);
    }
    if (norm == CalibrationNorm::l1) return l1;
    if (norm == CalibrationNorm::max) return mx;
    return l2 > 0 ? std::sqrt(l2) : 0.0;  // 0 also when nothing was counted, as torchmetrics
  }

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be floating-point scores");
    const Shape& ps = preds.shape();
    const Shape& ts = target.shape();
    std::size_t N = 0, R = 0;
    std::size_t C = 1;
    if constexpr (multiclass) C = static_cast<std::size_t>(opts_.num_classes);
    if constexpr (multiclass) {
      const multiclass_layout lay =
          check_class_scores_shapes(ps, ts, C, "MulticlassCalibrationError");
      N = lay.N;
      R = lay.R;
    } else {
      check_binary_shapes(ps, ts, false);
      N = 1;
      R = ts.numel();
    }
    if constexpr (!std::is_floating_point_v<P>) {
      fail("preds have an integral type; ", Task::name,
           "CalibrationError takes floating-point scores (probabilities or logits)");
    } else {
      const std::size_t bad = find_nan(preds.data(), preds.size());
      if (bad != npos) fail_nan(bad);
      check_label_values(target.data(), target.size(), multiclass ? C : 2, !multiclass,
                         opts_.ignore_index);
      const label_rule<T> rule(multiclass ? C : 2, opts_.ignore_index);
      if (opts_.scores == Scores::probabilities) check_probabilities(preds.data(), preds.size());
      const bool logits = read_as_logits(preds.data(), target.data(), N, R, C, rule);
      count(preds.data(), target.data(), N, R, C, logits, rule, threads);
    }
  }

 private:
  // Scores::automatic: logits when a kept score lies outside [0, 1] (torchmetrics drops the
  // ignored positions first).
  template <class P, class T>
  [[nodiscard]] bool read_as_logits(const P* p, const T* t, std::size_t N, std::size_t R,
                                    std::size_t C, const label_rule<T>& rule) const {
    if (opts_.scores != Scores::automatic) return opts_.scores == Scores::logits;
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t r = 0; r < R; ++r) {
        if (rule.ignored(t[n * R + r])) continue;
        for (std::size_t c = 0; c < C; ++c) {
          const P v = p[(n * C + c) * R + r];
          if (v < P(0) || v > P(1)) return true;
        }
      }
    return false;
  }

  // Confidences are binned and summed in torchmetrics' precision: the preds' type for Binary,
  // float32 for Multiclass (which converts them). A confidence of exactly 1 belongs to the last
  // bin (torchmetrics gives it an extra bin of its own).
  template <class P, class T>
  void count(const P* p, const T* t, std::size_t N, std::size_t R, std::size_t C, bool logits,
             const label_rule<T>& rule, std::size_t threads) {
    using F = std::conditional_t<multiclass, float, P>;
    const std::vector<F> edges = bin_edges<F>(bins_);
    const auto bin_of = [&](F conf) {
      std::size_t b = static_cast<std::size_t>(static_cast<double>(conf) * static_cast<double>(bins_));
      b = std::min(b, bins_);
      while (b < bins_ && edges[b + 1] <= conf) ++b;  // #{edges <= conf} - 1, from a guess
      while (b > 0 && edges[b] > conf) --b;
      return std::min(b, bins_ - 1);
    };
    const std::size_t items = multiclass ? N : R;
    const std::size_t chunks = chunk_count(items, N * R * C, threads);
    struct part {
      std::vector<std::uint64_t> tallies;
      fixed_sums conf;
    };
    std::vector<part> parts(chunks);
    for (part& x : parts) {
      assign_zeros(x.tallies, 2 * bins_, "update (split the batch)");
      x.conf.assign(bins_);
    }
    for_each_chunk(items, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      part& out = parts[k];
      const auto add = [&](F conf, bool right) {
        const std::size_t bin = bin_of(conf);
        ++out.tallies[2 * bin];
        out.tallies[2 * bin + 1] += right ? 1 : 0;
        out.conf.add(bin, static_cast<double>(conf));
      };
      if constexpr (multiclass) {
        std::vector<double> prob(C);
        for (std::size_t n = b; n < e; ++n)
          for (std::size_t r = 0; r < R; ++r) {
            const T tv = t[n * R + r];
            if (rule.ignored(tv)) continue;
            const P* s = p + n * C * R + r;
            if (logits) {
              softmax_strided(s, R, prob);
            } else {
              for (std::size_t c = 0; c < C; ++c) prob[c] = static_cast<double>(s[c * R]);
            }
            std::size_t best = 0;  // the first largest, as torch.max
            for (std::size_t c = 1; c < C; ++c)
              if (prob[c] > prob[best]) best = c;
            add(static_cast<float>(prob[best]),
                best == static_cast<std::size_t>(label_bits(tv)));
          }
      } else {
        for (std::size_t i = b; i < e; ++i) {
          if (rule.ignored(t[i])) continue;
          const F conf = logits ? static_cast<F>(sigmoid_of(static_cast<double>(p[i]))) : p[i];
          add(conf, label_bits(t[i]) != 0);
        }
      }
    });
    for (const part& x : parts) {
      for (std::size_t i = 0; i < tallies_.size(); ++i) tallies_[i] += x.tallies[i];
      conf_.merge(x.conf);
    }
  }

  options_type opts_;
  std::size_t bins_;
  std::vector<std::uint64_t> tallies_;  // per bin: predictions, correct ones
  fixed_sums conf_;                     // per bin: the sum of the confidences
};

inline void check_enum(CalibrationNorm n) {
  if (n != CalibrationNorm::l1 && n != CalibrationNorm::l2 && n != CalibrationNorm::max)
    fail("norm: ", static_cast<int>(n), " is not a CalibrationNorm (l1, l2, max)");
}

}  // namespace detail

/// Calibration error (torchmetrics' CalibrationError): predictions are binned by confidence
/// (Binary: the score of the positive class; Multiclass: the largest class probability), and
/// per bin the mean confidence is compared with the accuracy (Binary: the fraction of
/// positives; Multiclass: the fraction of argmax predictions that are right). `n_bins` equal
/// bins over [0, 1]; norm l1 (expected calibration error, the default), l2 or max.
///
///     tally::MulticlassCalibrationError ece({.num_classes = 10});      // 15 bins, l1
///     ece.update(logits, labels);               // (N, 10) scores, (N) labels
///     double e = ece.compute().value();
template <class Task>
class CalibrationError
    : public detail::metric_base<CalibrationError<Task>, detail::calibration_core<Task>> {
  static_assert(std::is_same_v<Task, Binary> || std::is_same_v<Task, Multiclass>,
                "tally: CalibrationError exists for Binary and Multiclass (as in torchmetrics)");
  using base = detail::metric_base<CalibrationError<Task>, detail::calibration_core<Task>>;
  friend base;

 public:
  static constexpr const char* metric_name = "CalibrationError";
  using options_type = typename Task::Options;

  explicit CalibrationError(options_type options, std::size_t n_bins = 15,
                            CalibrationNorm norm = CalibrationNorm::l1)
      : base((detail::check_enum(norm), detail::calibration_core<Task>(options, n_bins,
                                                                         metric_name))),
        norm_(norm) {}

  [[nodiscard]] std::size_t n_bins() const noexcept { return this->core_.bins(); }
  [[nodiscard]] CalibrationNorm norm() const noexcept { return norm_; }

  [[nodiscard]] Result compute() const {
    return Result(Shape{}, std::vector<double>{this->core_.error(norm_)});
  }

 private:
  void describe_settings(detail::identity_text& t) const {
    t.field("n_bins", static_cast<std::int64_t>(this->core_.bins()));
    t.field("norm", to_string(norm_));
  }
  void check_mergeable(const CalibrationError& other) const {
    if (this->core_.bins() != other.core_.bins() || norm_ != other.norm_)
      detail::fail("merge: CalibrationError with n_bins = ", this->core_.bins(), ", norm = ",
                   to_string(norm_), " cannot merge one with n_bins = ", other.core_.bins(),
                   ", norm = ", to_string(other.norm_));
  }
  [[nodiscard]] bool same_settings(const CalibrationError& other) const noexcept {
    return norm_ == other.norm_;
  }

  CalibrationNorm norm_;
};

using BinaryCalibrationError = CalibrationError<Binary>;
using MulticlassCalibrationError = CalibrationError<Multiclass>;

TALLY_NAMESPACE_END

#endif  // TALLY_CALIBRATION_HPP
