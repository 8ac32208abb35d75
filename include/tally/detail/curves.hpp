// tally/detail/curves.hpp — from ranked counts to ROC and precision-recall curves, their areas
// (AUROC, average precision) and their averages over classes, with torchmetrics' rules.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_CURVES_HPP
#define TALLY_DETAIL_CURVES_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

#include "../options.hpp"
#include "../result.hpp"
#include "../thresholds.hpp"
#include "ranking_core.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

inline constexpr double curve_nan = std::numeric_limits<double>::quiet_NaN();

// ROC of one binary problem. Binned: one point per threshold, highest threshold first, a rate
// with no positives (negatives) is 0. Exact: (0, 0) at threshold 1, then one point per distinct
// score; with no positives (negatives) every tpr (fpr) is 0.
[[nodiscard]] inline RocCurve roc_of(const ranked_counts& r) {
  RocCurve c;
  const double P = static_cast<double>(r.positives), N = static_cast<double>(r.negatives);
  const auto rate = [](std::uint64_t k, double total) {
    return total > 0 ? static_cast<double>(k) / total : 0.0;
  };
  const std::size_t n = r.thresholds.size();
  if (!r.binned) {
    c.fpr.push_back(0.0);
    c.tpr.push_back(0.0);
    c.thresholds.push_back(1.0);
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = r.binned ? n - 1 - k : k;  // binned thresholds are ascending
    c.fpr.push_back(rate(r.fp[i], N));
    c.tpr.push_back(rate(r.tp[i], P));
    c.thresholds.push_back(r.thresholds[i]);
  }
  return c;
}

// Precision-recall curve of one binary problem, thresholds ascending, then (recall 0,
// precision 1). Binned: 0 / 0 is NaN (torchmetrics' zero_division "nan"). Exact: precision is
// never 0 / 0; recall with no positives is `absent_recall` (1 for Binary and Multilabel, where
// torchmetrics sets it; NaN for a Multiclass class, which it divides by 0).
[[nodiscard]] inline PrCurve pr_of(const ranked_counts& r, double absent_recall) {
  PrCurve c;
  const double P = static_cast<double>(r.positives);
  const std::size_t n = r.thresholds.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = r.binned ? k : n - 1 - k;  // exact points come highest score first
    const double tp = static_cast<double>(r.tp[i]), fp = static_cast<double>(r.fp[i]);
    c.precision.push_back(tp + fp > 0 ? tp / (tp + fp) : curve_nan);
    c.recall.push_back(P > 0 ? tp / P : r.binned ? curve_nan : absent_recall);
    c.thresholds.push_back(r.thresholds[i]);
  }
  c.precision.push_back(1.0);
  c.recall.push_back(0.0);
  return c;
}

// The trapezoidal area under y(x), points in the given order (torch.trapz).
[[nodiscard]] inline double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  double a = 0;
  for (std::size_t i = 1; i < x.size(); ++i) a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
  return a;
}

// Binary AUROC; with max_fpr < 1 the McClish-corrected partial area up to max_fpr (the curve
// cut at max_fpr with a linearly interpolated tpr), as torchmetrics and scikit-learn do. The
// plain area when either rate is 0 all along (no positives or no negatives).
[[nodiscard]] inline double auroc_of(const RocCurve& c, std::optional<double> max_fpr) {
  double fsum = 0, tsum = 0;
  for (double v : c.fpr) fsum += v;
  for (double v : c.tpr) tsum += v;
  if (!max_fpr || *max_fpr == 1.0 || fsum == 0 || tsum == 0) return trapezoid(c.fpr, c.tpr);
  const double m = *max_fpr;
  const std::size_t stop = static_cast<std::size_t>(
      std::upper_bound(c.fpr.begin(), c.fpr.end(), m) - c.fpr.begin());
  std::vector<double> x(c.fpr.begin(), c.fpr.begin() + static_cast<std::ptrdiff_t>(stop));
  std::vector<double> y(c.tpr.begin(), c.tpr.begin() + static_cast<std::ptrdiff_t>(stop));
  // The tpr at max_fpr, between the last point at or below it and the first above. A curve
  // that never reaches max_fpr stays flat; a binned curve whose first point already lies above
  // it keeps the single point (max_fpr, .), of area 0, as torchmetrics computes it.
  double ty = 0;
  if (stop == 0) {
    ty = 0;
  } else if (stop == c.fpr.size()) {
    ty = y.back();
  } else {
    const double w = (m - c.fpr[stop - 1]) / (c.fpr[stop] - c.fpr[stop - 1]);
    const double a = c.tpr[stop - 1], b = c.tpr[stop];
    ty = w < 0.5 ? a + w * (b - a) : b - (b - a) * (1.0 - w);  // torch.lerp
  }
  x.push_back(m);
  y.push_back(ty);
  const double partial = trapezoid(x, y);
  const double min_area = 0.5 * m * m;
  return 0.5 * (1.0 + (partial - min_area) / (m - min_area));
}

// Average precision: the sum over recall steps of precision, -sum((r[i+1] - r[i]) * p[i]).
// zero_nan reads NaN precision and recall as 0 (torchmetrics does for binned curves and for
// Binary and micro averages; a Multiclass class without positives stays NaN in exact mode).
[[nodiscard]] inline double average_precision_of(PrCurve c, bool zero_nan) {
  if (zero_nan) {
    for (double& v : c.precision) v = std::isnan(v) ? 0.0 : v;
    for (double& v : c.recall) v = std::isnan(v) ? 0.0 : v;
  }
  double s = 0;
  for (std::size_t i = 1; i < c.recall.size(); ++i)
    s += (c.recall[i] - c.recall[i - 1]) * c.precision[i - 1];
  return -s;
}

// Per-class scores reduced as torchmetrics reduces AUROC and average precision: none keeps
// them; macro and weighted leave NaN classes out (weighted by each class's positives).
[[nodiscard]] inline Result reduce_class_scores(const std::vector<double>& v, Average average,
                                                const std::vector<double>& weights) {
  if (average == Average::none) return Result(Shape{v.size()}, v);
  double sum = 0, wsum = 0;
  std::size_t kept = 0;
  for (std::size_t c = 0; c < v.size(); ++c) {
    if (std::isnan(v[c])) continue;
    ++kept;
    sum += average == Average::weighted ? v[c] * weights[c] : v[c];
    wsum += weights[c];
  }
  double r = 0;
  if (average == Average::weighted)
    r = wsum != 0 ? sum / wsum : 0.0;
  else
    r = kept != 0 ? sum / static_cast<double>(kept) : curve_nan;
  return Result(Shape{}, std::vector<double>{r});
}

// Ascending, NaN last (torch.sort).
inline void sort_nan_last(std::vector<double>& v) {
  std::sort(v.begin(), v.end(), [](double a, double b) {
    if (std::isnan(a)) return false;
    return std::isnan(b) || a < b;
  });
}

// torchmetrics' interp: piecewise linear through (xp, fp) in the given order, segment i chosen
// by how many xp are <= x (clamped to the first and last segment), a segment of zero width
// having slope 0.
[[nodiscard]] inline double interpolate(double x, const std::vector<double>& xp,
                                        const std::vector<double>& fp) {
  if (xp.size() < 2) return fp.empty() ? curve_nan : fp[0];
  std::size_t k = 0;
  for (double v : xp) k += x >= v ? 1 : 0;
  const std::size_t i = std::min(k == 0 ? 0 : k - 1, xp.size() - 2);
  const double dx = xp[i + 1] - xp[i];
  const double m = dx != 0 ? (fp[i + 1] - fp[i]) / dx : 0.0;
  return m * x + (fp[i] - m * xp[i]);
}

// Macro ROC (torchmetrics): every class's fpr pooled and sorted is the x axis, the mean of the
// classes' interpolated tpr the y axis; thresholds pooled, descending.
[[nodiscard]] inline RocCurve macro_roc(const std::vector<RocCurve>& per_class) {
  RocCurve m;
  for (const RocCurve& c : per_class) {
    m.fpr.insert(m.fpr.end(), c.fpr.begin(), c.fpr.end());
    m.thresholds.insert(m.thresholds.end(), c.thresholds.begin(), c.thresholds.end());
  }
  sort_nan_last(m.fpr);
  std::sort(m.thresholds.begin(), m.thresholds.end(), [](double a, double b) { return a > b; });
  m.tpr.assign(m.fpr.size(), 0.0);
  for (const RocCurve& c : per_class)
    for (std::size_t i = 0; i < m.fpr.size(); ++i) m.tpr[i] += interpolate(m.fpr[i], c.fpr, c.tpr);
  for (double& v : m.tpr) v /= static_cast<double>(per_class.size());
  return m;
}

// Macro precision-recall curve, as torchmetrics 1.9 builds it: the pooled precisions sorted
// ascending are the axis, the mean of the classes' recall interpolated over precision the
// other; thresholds pooled, ascending.
[[nodiscard]] inline PrCurve macro_pr(const std::vector<PrCurve>& per_class) {
  PrCurve m;
  for (const PrCurve& c : per_class) {
    m.precision.insert(m.precision.end(), c.precision.begin(), c.precision.end());
    m.thresholds.insert(m.thresholds.end(), c.thresholds.begin(), c.thresholds.end());
  }
  sort_nan_last(m.precision);
  std::sort(m.thresholds.begin(), m.thresholds.end());
  m.recall.assign(m.precision.size(), 0.0);
  for (const PrCurve& c : per_class)
    for (std::size_t i = 0; i < m.precision.size(); ++i)
      m.recall[i] += interpolate(m.precision[i], c.precision, c.recall);
  for (double& v : m.recall) v /= static_cast<double>(per_class.size());
  return m;
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_CURVES_HPP
