// tally/agreement.hpp — MatthewsCorrCoef and CohenKappa: one number for how well predictions agree
// with the target beyond chance.
// SPDX-License-Identifier: MIT
#ifndef TALLY_AGREEMENT_HPP
#define TALLY_AGREEMENT_HPP

// MatthewsCorrCoef needs per class only tp, predicted and target counts (StatScores' O(C) state):
// the covariances are built from the trace and the marginals. CohenKappa keeps ConfusionMatrix's
// C x C table (2 x 2 for Binary), counted by the table kernels (docs/semantics.md 9.1 says what a
// smaller state would need).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "detail/confusion_core.hpp"
#include "detail/metric_base.hpp"
#include "detail/stat_core.hpp"
#include "detail/validate.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

/// Cohen's kappa weights: `none` counts every disagreement as 1, `linear` as |i - j|,
/// `quadratic` as (i - j)^2 (for ordinal classes).
enum class KappaWeights { none, linear, quadratic };

[[nodiscard]] constexpr const char* to_string(KappaWeights w) noexcept {
  switch (w) {
    case KappaWeights::none: return "none";
    case KappaWeights::linear: return "linear";
    case KappaWeights::quadratic: return "quadratic";
  }
  return "<invalid KappaWeights>";
}

namespace detail {

inline void check_enum(KappaWeights w) {
  if (w != KappaWeights::none && w != KappaWeights::linear && w != KappaWeights::quadratic)
    fail("weights: ", static_cast<int>(w), " is not a KappaWeights (none, linear, quadratic)");
}

inline constexpr metric_traits mcc_traits{"MatthewsCorrCoef", false, false, true};
inline constexpr metric_traits kappa_traits{"CohenKappa", false, false, true};

// MCC from 2 x 2 counts, with torchmetrics' rules for a zero denominator: all decisions right
// gives 1, all wrong gives -1, and otherwise a zero marginal is smoothed by float32's epsilon.
[[nodiscard]] inline double mcc_binary(double tn, double fp, double fn, double tp) noexcept {
  if (tp + tn != 0 && fp + fn == 0) return 1.0;
  if (tp + tn == 0 && fp + fn != 0) return -1.0;
  const double s = tn + fp + fn + tp;
  const double c = tp + tn;
  const double t1 = tp + fn, t0 = tn + fp;  // target marginals
  const double p1 = tp + fp, p0 = tn + fn;  // predicted marginals
  const double num = c * s - (t1 * p1 + t0 * p0);
  const double den = (s * s - (p1 * p1 + p0 * p0)) * (s * s - (t1 * t1 + t0 * t0));
  if (den != 0.0) return num / std::sqrt(den);
  const double eps = static_cast<double>(std::numeric_limits<float>::epsilon());
  const double a = tp == 0 || tn == 0 ? tp + tn : 0.0;
  const double b = fp == 0 || fn == 0 ? fp + fn : 0.0;
  return std::sqrt(eps) * (a - b) /
         std::sqrt((tp + fp + eps) * (tp + fn + eps) * (tn + fp + eps) * (tn + fn + eps));
}

// MCC from per-class [[tn, fp], [fn, tp]] blocks. Binary and Multilabel (blocks summed over the
// labels) use the 2 x 2 rules; Multiclass the C-class formula, 0 for a zero denominator (and the
// 2 x 2 rules when C = 2, as torchmetrics decides by the table's size).
template <class Task>
[[nodiscard]] double mcc_of(const std::uint64_t* blocks, std::size_t C) {
  if constexpr (!std::is_same_v<Task, Multiclass>) {
    double x[BLOCK] = {0, 0, 0, 0};
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t k = 0; k < BLOCK; ++k) x[k] += static_cast<double>(blocks[c * BLOCK + k]);
    return mcc_binary(x[TN], x[FP], x[FN], x[TP]);
  } else {
    if (C == 2) {
      // The 2 x 2 table of classes 0 and 1: class 1's block is [[tn, fp], [fn, tp]].
      const std::uint64_t* b = blocks + BLOCK;
      return mcc_binary(static_cast<double>(b[TN]), static_cast<double>(b[FP]),
                        static_cast<double>(b[FN]), static_cast<double>(b[TP]));
    }
    double s = 0, c_sum = 0, tp_sq = 0, tt_sq = 0, tpp = 0;
    for (std::size_t c = 0; c < C; ++c) {
      const std::uint64_t* b = blocks + c * BLOCK;
      const double tk = static_cast<double>(b[TP] + b[FN]);
      const double pk = static_cast<double>(b[TP] + b[FP]);
      c_sum += static_cast<double>(b[TP]);
      s += tk;
      tpp += tk * pk;
      tp_sq += pk * pk;
      tt_sq += tk * tk;
    }
    const double num = c_sum * s - tpp;
    const double den = (s * s - tp_sq) * (s * s - tt_sq);
    return den == 0.0 ? 0.0 : num / std::sqrt(den);
  }
}

// 1 - sum(w * observed) / sum(w * expected) over a C x C table (rows: target, columns: pred);
// NaN when nothing was counted or the expected disagreement is 0 (one class only), as in
// torchmetrics.
[[nodiscard]] inline double kappa_of(const std::uint64_t* table, std::size_t C, KappaWeights w) {
  std::vector<double> rows(C, 0.0), cols(C, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < C; ++i)
    for (std::size_t j = 0; j < C; ++j) {
      const double v = static_cast<double>(table[i * C + j]);
      rows[i] += v;
      cols[j] += v;
      total += v;
    }
  double observed = 0, expected = 0;
  for (std::size_t i = 0; i < C; ++i)
    for (std::size_t j = 0; j < C; ++j) {
      const double d = i > j ? static_cast<double>(i - j) : static_cast<double>(j - i);
      const double wij = w == KappaWeights::none ? (i == j ? 0.0 : 1.0)
                         : w == KappaWeights::linear ? d
                                                     : d * d;
      observed += wij * static_cast<double>(table[i * C + j]);
      expected += wij * rows[i] * cols[j] / total;
    }
  return 1.0 - observed / expected;
}

}  // namespace detail

/// Matthews correlation coefficient: the correlation between predicted and target labels, in
/// [-1, 1], from the confusion counts with ignore_index filtered first. Multilabel pools every
/// label into one 2 x 2 table. No average, samplewise or top_k.
///
///     tally::MulticlassMatthewsCorrCoef mcc({.num_classes = 3});
///     mcc.update(std::vector<int>{0, 1, 2, 2}, std::vector<int>{0, 1, 2, 1});
///     double v = mcc.compute().value();
template <class Task>
class MatthewsCorrCoef
    : public detail::metric_base<MatthewsCorrCoef<Task>, detail::stat_core<Task>> {
  using base = detail::metric_base<MatthewsCorrCoef<Task>, detail::stat_core<Task>>;

 public:
  static constexpr const char* metric_name = "MatthewsCorrCoef";
  using options_type = typename Task::Options;

  explicit MatthewsCorrCoef(options_type options)
      : base((detail::check_unused_options(options, metric_name),
              detail::stat_core<Task>(options, detail::mcc_traits))) {}

  [[nodiscard]] Result compute() const {
    return Result(Shape{},
                  std::vector<double>{detail::mcc_of<Task>(this->core_.unit(0),
                                                           this->core_.num_classes())});
  }
};

/// Cohen's kappa: agreement between predicted and target labels corrected for chance,
/// 1 - sum(w * observed) / sum(w * expected), with KappaWeights none, linear or quadratic.
/// Binary and Multiclass; NaN when nothing was counted or only one class occurs, as in
/// torchmetrics.
///
///     tally::MulticlassCohenKappa k({.num_classes = 5}, tally::KappaWeights::quadratic);
///     k.update(std::vector<int>{0, 1, 3, 4}, std::vector<int>{0, 2, 3, 4});
///     double v = k.compute().value();
template <class Task>
class CohenKappa
    : public detail::metric_base<CohenKappa<Task>,
                                 typename detail::confusion_core_for<Task>::type> {
  static_assert(std::is_same_v<Task, Binary> || std::is_same_v<Task, Multiclass>,
                "tally: CohenKappa exists for Binary and Multiclass (as in torchmetrics)");
  using core_type = typename detail::confusion_core_for<Task>::type;
  using base = detail::metric_base<CohenKappa<Task>, core_type>;
  friend base;

 public:
  static constexpr const char* metric_name = "CohenKappa";
  using options_type = typename Task::Options;

  explicit CohenKappa(options_type options, KappaWeights weights = KappaWeights::none)
      : base(make_core(options, weights)), weights_(weights) {}

  [[nodiscard]] KappaWeights weights() const noexcept { return weights_; }

  [[nodiscard]] Result compute() const {
    const auto& raw = this->core_.raw();
    // Binary's single block is already the 2 x 2 table [[tn, fp], [fn, tp]].
    const std::size_t C = std::is_same_v<Task, Binary> ? 2 : this->core_.num_classes();
    return Result(Shape{}, std::vector<double>{detail::kappa_of(raw.data(), C, weights_)});
  }

 private:
  static core_type make_core(const options_type& options, KappaWeights weights) {
    detail::check_enum(weights);
    detail::check_unused_options(options, metric_name);
    if constexpr (std::is_same_v<Task, Multiclass>)
      return core_type(options, metric_name);
    else
      return core_type(options, detail::kappa_traits);
  }
  void describe_settings(detail::identity_text& t) const { t.field("weights", to_string(weights_)); }
  void check_mergeable(const CohenKappa& other) const {
    if (weights_ != other.weights_)
      detail::fail("merge: CohenKappa with weights = ", to_string(weights_),
                   " cannot merge one with weights = ", to_string(other.weights_));
  }
  [[nodiscard]] bool same_settings(const CohenKappa& other) const noexcept {
    return weights_ == other.weights_;
  }

  KappaWeights weights_;
};

using BinaryMatthewsCorrCoef = MatthewsCorrCoef<Binary>;
using MulticlassMatthewsCorrCoef = MatthewsCorrCoef<Multiclass>;
using MultilabelMatthewsCorrCoef = MatthewsCorrCoef<Multilabel>;
using BinaryCohenKappa = CohenKappa<Binary>;
using MulticlassCohenKappa = CohenKappa<Multiclass>;

TALLY_NAMESPACE_END

#endif  // TALLY_AGREEMENT_HPP
