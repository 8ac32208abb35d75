// tally/detail/reduce.hpp — from exact counts to scores: the micro, macro and weighted reductions,
// zero_division, and ConfusionMatrix normalization.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_REDUCE_HPP
#define TALLY_DETAIL_REDUCE_HPP

// From exact per-class counts to scores (docs/semantics.md sections 4 and 5), in double, in a fixed
// order: classes ascending, sum of w * s first, then one division by the sum of w.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "../options.hpp"
#include "../result.hpp"
#include "stat_core.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

enum class score_kind { precision, recall, fbeta, specificity, accuracy, jaccard, npv, hamming };

struct score_spec {
  score_kind kind;
  double beta = 1.0;  // fbeta only
};

enum class task_kind { binary, multiclass, multilabel };

template <class Task>
constexpr task_kind task_kind_of() {
  if constexpr (std::is_same_v<Task, Binary>)
    return task_kind::binary;
  else if constexpr (std::is_same_v<Task, Multiclass>)
    return task_kind::multiclass;
  else
    return task_kind::multilabel;
}

// a / b, or `otherwise` when b == 0.
[[nodiscard]] inline double ratio(double a, double b, double otherwise) noexcept {
  return b == 0.0 ? otherwise : a / b;
}

struct sums {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};

// The score of one set of counts (a class, or the sums over classes for micro).
// `jaccard_fp_removed` is the fp of an in-range ignore_index class, which multiclass micro
// Jaccard leaves out of its denominator (torchmetrics drops that confusion-matrix column).
[[nodiscard]] inline double score_of(const score_spec& spec, task_kind task, const sums& s,
                                     double zd, double jaccard_fp_removed = 0.0) noexcept {
  switch (spec.kind) {
    case score_kind::precision: return ratio(s.tp, s.tp + s.fp, zd);
    case score_kind::recall: return ratio(s.tp, s.tp + s.fn, zd);
    case score_kind::fbeta: {
      // 0/0 only when every count is 0: for a beta whose square underflows to 0 the formula
      // would otherwise drop fn, and for one whose square (times a count) overflows it would
      // give inf/inf = NaN; such a valid (finite, > 0) beta is scaled instead.
      if (s.tp + s.fp + s.fn == 0.0) return zd;
      if (s.tp == 0.0) return 0.0;
      const double b2 = spec.beta * spec.beta;
      const double num = (1 + b2) * s.tp, den = num + b2 * s.fn + s.fp;
      if (std::isfinite(den)) return num / den;
      const double inv = 1 / b2;  // divide through by b2
      return (inv + 1) * s.tp / ((inv + 1) * s.tp + s.fn + inv * s.fp);
    }
    case score_kind::specificity: return ratio(s.tn, s.tn + s.fp, 0.0);
    case score_kind::accuracy:
      // Multiclass accuracy of a class is its recall; binary and multilabel count tn too.
      return task == task_kind::multiclass ? ratio(s.tp, s.tp + s.fn, 0.0)
                                           : ratio(s.tp + s.tn, s.tp + s.fp + s.tn + s.fn, 0.0);
    case score_kind::jaccard: return ratio(s.tp, s.tp + s.fp + s.fn - jaccard_fp_removed, zd);
    // torchmetrics never passes zero_division on to NPV (0/0 is always 0); tally uses it.
    case score_kind::npv: return ratio(s.tn, s.tn + s.fn, zd);
    // 1 - accuracy, 0/0 counted as accuracy 0.
    case score_kind::hamming:
      return 1.0 - (task == task_kind::multiclass
                        ? ratio(s.tp, s.tp + s.fn, 0.0)
                        : ratio(s.tp + s.tn, s.tp + s.fp + s.tn + s.fn, 0.0));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

[[nodiscard]] inline sums block_sums(const std::uint64_t* b) noexcept {
  return {static_cast<double>(b[TP]), static_cast<double>(b[FP]), static_cast<double>(b[TN]),
          static_cast<double>(b[FN])};
}

struct reduce_context {
  score_spec spec;
  task_kind task;
  Average average;
  double zd;
  int top_k;                            // multiclass only (1 otherwise)
  std::optional<std::size_t> ii_class;  // multiclass in-range ignore_index
};

// Macro weight of a class (docs/semantics.md 5.2): multilabel keeps every label; multiclass drops
// classes that never occur (tp + fp + fn = 0), and with top_k > 1 precision, recall, accuracy and
// NPV drop classes without support; Jaccard always drops an in-range ignore_index class.
[[nodiscard]] inline bool macro_keeps(const reduce_context& ctx, const std::uint64_t* b,
                                      std::size_t c) noexcept {
  if (ctx.task != task_kind::multiclass) return true;
  if (ctx.spec.kind == score_kind::jaccard && ctx.ii_class && *ctx.ii_class == c) return false;
  const bool support_rule = ctx.top_k > 1 && (ctx.spec.kind == score_kind::precision ||
                                              ctx.spec.kind == score_kind::recall ||
                                              ctx.spec.kind == score_kind::accuracy ||
                                              ctx.spec.kind == score_kind::npv);
  return support_rule ? b[TP] + b[FN] > 0 : b[TP] + b[FP] + b[FN] > 0;
}

// Reduces the C blocks of one unit. With Average::none it appends C values, otherwise one.
inline void reduce_unit(const reduce_context& ctx, const std::uint64_t* blocks, std::size_t C,
                        std::vector<double>& out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // With nothing to average over, Jaccard is undefined; the other scores report 0.
  const double empty_average = ctx.spec.kind == score_kind::jaccard ? nan : 0.0;
  switch (ctx.average) {
    case Average::none:
      for (std::size_t c = 0; c < C; ++c)
        out.push_back(score_of(ctx.spec, ctx.task, block_sums(blocks + c * BLOCK), ctx.zd));
      return;
    case Average::micro: {
      sums total;
      for (std::size_t c = 0; c < C; ++c) {
        const sums s = block_sums(blocks + c * BLOCK);
        total.tp += s.tp;
        total.fp += s.fp;
        total.tn += s.tn;
        total.fn += s.fn;
      }
      const double removed = ctx.spec.kind == score_kind::jaccard && ctx.ii_class
                                 ? static_cast<double>(blocks[*ctx.ii_class * BLOCK + FP])
                                 : 0.0;
      out.push_back(score_of(ctx.spec, ctx.task, total, ctx.zd, removed));
      return;
    }
    case Average::macro:
    case Average::weighted: {
      double num = 0, den = 0;
      for (std::size_t c = 0; c < C; ++c) {
        const std::uint64_t* b = blocks + c * BLOCK;
        const double w = ctx.average == Average::weighted ? static_cast<double>(b[TP] + b[FN])
                                                          : (macro_keeps(ctx, b, c) ? 1.0 : 0.0);
        if (w == 0.0) continue;
        num += w * score_of(ctx.spec, ctx.task, block_sums(b), ctx.zd);
        den += w;
      }
      out.push_back(den == 0.0 ? empty_average : num / den);
      return;
    }
  }
}

// The StatScores rows [tp, fp, tn, fn, support] of one unit, reduced by `average`.
inline void stat_rows(Average average, const std::uint64_t* blocks, std::size_t C,
                      std::vector<double>& out) {
  auto row = [&](const std::uint64_t* b, double w, double* acc) {
    acc[0] += w * static_cast<double>(b[TP]);
    acc[1] += w * static_cast<double>(b[FP]);
    acc[2] += w * static_cast<double>(b[TN]);
    acc[3] += w * static_cast<double>(b[FN]);
    acc[4] += w * static_cast<double>(b[TP] + b[FN]);
  };
  if (average == Average::none) {
    for (std::size_t c = 0; c < C; ++c) {
      double r[5] = {0, 0, 0, 0, 0};
      row(blocks + c * BLOCK, 1.0, r);
      out.insert(out.end(), r, r + 5);
    }
    return;
  }
  double acc[5] = {0, 0, 0, 0, 0};
  double den = 0;
  for (std::size_t c = 0; c < C; ++c) {
    const std::uint64_t* b = blocks + c * BLOCK;
    const double w = average == Average::weighted ? static_cast<double>(b[TP] + b[FN]) : 1.0;
    row(b, w, acc);
    den += w;
  }
  if (average == Average::micro) den = 1.0;
  for (double& v : acc) v = den == 0.0 ? std::numeric_limits<double>::quiet_NaN() : v / den;
  out.insert(out.end(), acc, acc + 5);
}

// compute() of a StatScores-family score metric over a core's state.
template <class Task>
[[nodiscard]] Result reduce_scores(const stat_core<Task>& core, const score_spec& spec) {
  const auto& o = core.options();
  reduce_context ctx{spec, task_kind_of<Task>(), Average::micro, o.zero_division, 1, std::nullopt};
  const std::size_t C = core.num_classes();
  if constexpr (!std::is_same_v<Task, Binary>) ctx.average = o.average;
  if constexpr (std::is_same_v<Task, Multiclass>) {
    ctx.top_k = o.top_k;
    if (o.ignore_index && *o.ignore_index >= 0 && *o.ignore_index < o.num_classes)
      ctx.ii_class = static_cast<std::size_t>(*o.ignore_index);
  }
  const std::size_t units = core.num_units();
  std::vector<double> out;
  const bool per_class = ctx.average == Average::none;
  out.reserve(units * (per_class ? C : 1));
  for (std::size_t u = 0; u < units; ++u) reduce_unit(ctx, core.unit(u), C, out);
  const bool binary = std::is_same_v<Task, Binary>;
  if (core.samplewise())
    return per_class && !binary ? Result(Shape{units, C}, std::move(out))
                                : Result(Shape{units}, std::move(out));
  return per_class && !binary ? Result(Shape{C}, std::move(out)) : Result(Shape{}, std::move(out));
}

template <class Task>
[[nodiscard]] Result reduce_stat_scores(const stat_core<Task>& core) {
  const std::size_t C = core.num_classes();
  Average average = Average::micro;
  if constexpr (!std::is_same_v<Task, Binary>) average = core.options().average;
  const std::size_t units = core.num_units();
  std::vector<double> out;
  for (std::size_t u = 0; u < units; ++u) stat_rows(average, core.unit(u), C, out);
  const bool per_class = average == Average::none && !std::is_same_v<Task, Binary>;
  if (core.samplewise())
    return per_class ? Result(Shape{units, C, 5}, std::move(out))
                     : Result(Shape{units, 5}, std::move(out));
  return per_class ? Result(Shape{C, 5}, std::move(out)) : Result(Shape{5}, std::move(out));
}

// Normalizes count tables in place; 0/0 becomes 0 (docs/semantics.md 5.7). `tables` square
// tables of side k laid out one after another.
inline void normalize_tables(std::vector<double>& v, std::size_t tables, std::size_t k,
                             Normalize how) {
  if (how == Normalize::none) return;
  for (std::size_t t = 0; t < tables; ++t) {
    double* m = v.data() + t * k * k;
    auto divide = [](double a, double b) { return b == 0.0 ? 0.0 : a / b; };
    if (how == Normalize::all) {
      double total = 0;
      for (std::size_t i = 0; i < k * k; ++i) total += m[i];
      for (std::size_t i = 0; i < k * k; ++i) m[i] = divide(m[i], total);
    } else if (how == Normalize::target) {
      for (std::size_t r = 0; r < k; ++r) {
        double sum = 0;
        for (std::size_t c = 0; c < k; ++c) sum += m[r * k + c];
        for (std::size_t c = 0; c < k; ++c) m[r * k + c] = divide(m[r * k + c], sum);
      }
    } else {
      for (std::size_t c = 0; c < k; ++c) {
        double sum = 0;
        for (std::size_t r = 0; r < k; ++r) sum += m[r * k + c];
        for (std::size_t r = 0; r < k; ++r) m[r * k + c] = divide(m[r * k + c], sum);
      }
    }
  }
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_REDUCE_HPP
