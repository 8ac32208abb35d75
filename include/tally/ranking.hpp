// tally/ranking.hpp — the ranking metrics: ROC, PrecisionRecallCurve, AUROC, AveragePrecision
// (their state: detail/ranking_core.hpp; their curves and areas: detail/curves.hpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_RANKING_HPP
#define TALLY_RANKING_HPP

#include <cmath>
#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/curves.hpp"
#include "detail/metric_base.hpp"
#include "detail/ranking_core.hpp"
#include "options.hpp"
#include "result.hpp"
#include "thresholds.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// The text of a Thresholds in a metric's identity (what save() records and load() compares).
[[nodiscard]] inline std::string describe(const Thresholds& th) {
  if (th.is_exact()) return "exact";
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s.precision(9);
  if (th.kind() == Thresholds::Kind::linspace) {
    s << "linspace(" << th.size() << ')';
  } else {
    s << "values(";
    for (std::size_t i = 0; i < th.size(); ++i) s << (i ? ", " : "") << th.list()[i];
    s << ')';
  }
  return s.str();
}

enum class ranking_kind { roc, pr, auroc, average_precision };

// Which averages each ranking metric takes (torchmetrics'): the curves none / micro / macro
// (Multilabel curves too, a tally extension: torchmetrics gives them per label only); AUROC and
// average precision macro / weighted / none, and micro for Multilabel.
template <class Task>
void check_ranking_average(Average a, ranking_kind kind, const char* metric) {
  check_enum(a);
  if constexpr (std::is_same_v<Task, Binary>) {
    (void)a, (void)kind, (void)metric;
  } else {
    const bool curve = kind == ranking_kind::roc || kind == ranking_kind::pr;
    if (curve && a == Average::weighted)
      fail("average: ", Task::name, metric,
           " takes none (a curve per class), micro or macro (one curve), not weighted");
    if (!curve && a == Average::micro && std::is_same_v<Task, Multiclass>)
      fail("average: ", Task::name, metric,
           " takes macro, weighted or none, not micro (torchmetrics has no one-vs-rest micro "
           "average here; MultilabelAUROC and MultilabelAveragePrecision have one)");
  }
}

template <class Task>
[[nodiscard]] Average ranking_average(const typename Task::Options& o) noexcept {
  if constexpr (std::is_same_v<Task, Binary>)
    return Average::micro;
  else
    return o.average;
}

// What the four metrics share: the core, the thresholds in the identity, merge checks.
template <class Derived, class Task>
class ranking_metric : public metric_base<Derived, ranking_core<Task>> {
  using base = metric_base<Derived, ranking_core<Task>>;
  friend base;

 public:
  using options_type = typename Task::Options;

  /// The thresholds the metric evaluates at.
  [[nodiscard]] const Thresholds& thresholds() const noexcept { return this->core_.thresholds(); }

 protected:
  ranking_metric(const options_type& o, Thresholds th, ranking_kind kind)
      : base(make_core(o, std::move(th), kind)) {}

  // Class c (npos: all pooled) as one binary problem.
  [[nodiscard]] ranked_counts ranked(std::size_t c) const {
    return this->core_.ranked(c, Derived::metric_name);
  }
  // Recall of a class without positives in exact mode (see pr_of).
  static constexpr double absent_recall = std::is_same_v<Task, Multiclass> ? curve_nan : 1.0;

  void describe_settings(identity_text& t) const {
    t.field("thresholds", describe(this->core_.thresholds()).c_str());
  }
  void check_mergeable(const Derived& other) const {
    if (this->core_.thresholds() != other.core_.thresholds())
      fail("merge: ", Derived::metric_name, " with thresholds = ",
           describe(this->core_.thresholds()), " cannot merge one with thresholds = ",
           describe(other.core_.thresholds()));
  }

 private:
  static ranking_core<Task> make_core(const options_type& o, Thresholds th, ranking_kind kind) {
    check_ranking_average<Task>(ranking_average<Task>(o), kind, Derived::metric_name);
    return ranking_core<Task>(o, std::move(th), Derived::metric_name);
  }
};

// Per-class curves, or one curve for micro / macro. of(counts, absent_recall) makes a curve: a
// pooled (micro) problem is a binary one, where recall without positives is 1.
template <class Curve, class Task, class Of, class Macro>
[[nodiscard]] std::vector<Curve> class_curves(const ranking_core<Task>& core, Average average,
                                              const char* metric, double absent_recall, Of of,
                                              Macro macro) {
  std::vector<Curve> out;
  if (average == Average::micro) {
    out.push_back(of(core.ranked(npos, metric), 1.0));
    return out;
  }
  for (std::size_t c = 0; c < core.num_classes(); ++c)
    out.push_back(of(core.ranked(c, metric), absent_recall));
  if (average == Average::macro) return {macro(out)};
  return out;
}

}  // namespace detail

/// Receiver operating characteristic: false and true positive rates over thresholds.
/// Binary: compute() -> RocCurve. Multiclass (one vs rest over softmax probabilities) and
/// Multilabel: std::vector<RocCurve>, one per class with average = none (torchmetrics' default
/// for curves: set it), or a single pooled (micro) or averaged (macro, the Options default)
/// curve.
///
///     tally::BinaryROC roc({}, tally::Thresholds::linspace(200));
///     roc.update(scores, labels);               // float scores, 0/1 labels
///     tally::RocCurve c = roc.compute();        // c.fpr, c.tpr, c.thresholds
template <class Task>
class ROC : public detail::ranking_metric<ROC<Task>, Task> {
  using base = detail::ranking_metric<ROC<Task>, Task>;
  friend base;
  friend detail::metric_base<ROC<Task>, detail::ranking_core<Task>>;

 public:
  static constexpr const char* metric_name = "ROC";
  using options_type = typename Task::Options;
  using curve_type =
      std::conditional_t<std::is_same_v<Task, Binary>, RocCurve, std::vector<RocCurve>>;

  explicit ROC(options_type options, Thresholds thresholds = Thresholds::exact())
      : base(options, std::move(thresholds), detail::ranking_kind::roc) {}

  [[nodiscard]] curve_type compute() const {
    if constexpr (std::is_same_v<Task, Binary>) {
      return detail::roc_of(this->ranked(0));
    } else {
      return detail::class_curves<RocCurve>(
          this->core_, this->options().average, metric_name, base::absent_recall,
          [](const detail::ranked_counts& r, double) { return detail::roc_of(r); },
          detail::macro_roc);
    }
  }
};

/// Precision and recall over thresholds; shapes and averages as ROC.
///
///     tally::MulticlassPrecisionRecallCurve pr({.num_classes = 5, .average = tally::Average::none});
///     pr.update(probs, labels);                 // (N, 5) scores, (N) labels
///     std::vector<tally::PrCurve> curves = pr.compute();
template <class Task>
class PrecisionRecallCurve : public detail::ranking_metric<PrecisionRecallCurve<Task>, Task> {
  using base = detail::ranking_metric<PrecisionRecallCurve<Task>, Task>;
  friend base;
  friend detail::metric_base<PrecisionRecallCurve<Task>, detail::ranking_core<Task>>;

 public:
  static constexpr const char* metric_name = "PrecisionRecallCurve";
  using options_type = typename Task::Options;
  using curve_type =
      std::conditional_t<std::is_same_v<Task, Binary>, PrCurve, std::vector<PrCurve>>;

  explicit PrecisionRecallCurve(options_type options, Thresholds thresholds = Thresholds::exact())
      : base(options, std::move(thresholds), detail::ranking_kind::pr) {}

  [[nodiscard]] curve_type compute() const {
    if constexpr (std::is_same_v<Task, Binary>) {
      return detail::pr_of(this->ranked(0), 1.0);
    } else {
      return detail::class_curves<PrCurve>(
          this->core_, this->options().average, metric_name, base::absent_recall,
          [](const detail::ranked_counts& r, double absent) { return detail::pr_of(r, absent); },
          detail::macro_pr);
    }
  }
};

/// Area under the ROC curve. Binary: one value, or with `max_fpr` the McClish-corrected
/// partial area up to that false positive rate. Multiclass (one vs rest): macro, weighted
/// (by positives) or none; Multilabel also micro. NaN classes are left out of the averages.
///
///     tally::BinaryAUROC auroc({});                       // exact: every score a threshold
///     auroc.update(scores, labels);
///     double a = auroc.compute().value();
template <class Task>
class AUROC : public detail::ranking_metric<AUROC<Task>, Task> {
  using base = detail::ranking_metric<AUROC<Task>, Task>;
  friend base;
  friend detail::metric_base<AUROC<Task>, detail::ranking_core<Task>>;

 public:
  static constexpr const char* metric_name = "AUROC";
  using options_type = typename Task::Options;

  explicit AUROC(options_type options, Thresholds thresholds = Thresholds::exact(),
                 std::optional<double> max_fpr = std::nullopt)
      : base((check_max_fpr(max_fpr), options), std::move(thresholds),
             detail::ranking_kind::auroc),
        max_fpr_(max_fpr) {}

  [[nodiscard]] std::optional<double> max_fpr() const noexcept { return max_fpr_; }

  [[nodiscard]] Result compute() const {
    if constexpr (std::is_same_v<Task, Binary>) {
      return Result(Shape{},
                    std::vector<double>{detail::auroc_of(detail::roc_of(this->ranked(0)), max_fpr_)});
    } else {
      const Average a = this->options().average;
      if (a == Average::micro)
        return Result(Shape{}, std::vector<double>{detail::auroc_of(
                                   detail::roc_of(this->ranked(detail::npos)), std::nullopt)});
      std::vector<double> v, w;
      for (std::size_t c = 0; c < this->core_.num_classes(); ++c) {
        const RocCurve r = detail::roc_of(this->ranked(c));
        v.push_back(detail::trapezoid(r.fpr, r.tpr));
        w.push_back(static_cast<double>(this->core_.support(c)));
      }
      return detail::reduce_class_scores(v, a, w);
    }
  }

 private:
  static void check_max_fpr(std::optional<double> m) {
    if (!m) return;
    if (!std::is_same_v<Task, Binary>)
      detail::fail("max_fpr: only BinaryAUROC takes it (as in torchmetrics); leave it unset");
    if (!(*m > 0.0 && *m <= 1.0)) detail::fail("max_fpr: ", *m, " is outside (0, 1]");
  }
  void describe_settings(detail::identity_text& t) const {
    base::describe_settings(t);
    if (max_fpr_) t.field("max_fpr", *max_fpr_);
  }
  void check_mergeable(const AUROC& other) const {
    base::check_mergeable(other);
    if (max_fpr_ != other.max_fpr_)
      detail::fail("merge: AUROC with another max_fpr cannot be merged");
  }
  [[nodiscard]] bool same_settings(const AUROC& other) const noexcept {
    return max_fpr_ == other.max_fpr_;
  }

  std::optional<double> max_fpr_;
};

/// Average precision: the area under the precision-recall curve as a step function,
/// sum over thresholds of (recall step) x precision. Averages as AUROC.
///
///     tally::MultilabelAveragePrecision ap({.num_labels = 4, .average = tally::Average::micro});
template <class Task>
class AveragePrecision : public detail::ranking_metric<AveragePrecision<Task>, Task> {
  using base = detail::ranking_metric<AveragePrecision<Task>, Task>;
  friend base;
  friend detail::metric_base<AveragePrecision<Task>, detail::ranking_core<Task>>;

 public:
  static constexpr const char* metric_name = "AveragePrecision";
  using options_type = typename Task::Options;

  explicit AveragePrecision(options_type options, Thresholds thresholds = Thresholds::exact())
      : base(options, std::move(thresholds), detail::ranking_kind::average_precision) {}

  [[nodiscard]] Result compute() const {
    if constexpr (std::is_same_v<Task, Binary>) {
      return Result(Shape{}, std::vector<double>{detail::average_precision_of(
                                 detail::pr_of(this->ranked(0), 1.0), true)});
    } else {
      const Average a = this->options().average;
      if (a == Average::micro)
        return Result(Shape{}, std::vector<double>{detail::average_precision_of(
                                   detail::pr_of(this->ranked(detail::npos), 1.0), true)});
      std::vector<double> v, w;
      const bool binned = this->core_.binned();
      for (std::size_t c = 0; c < this->core_.num_classes(); ++c) {
        v.push_back(detail::average_precision_of(
            detail::pr_of(this->ranked(c), base::absent_recall), binned));
        w.push_back(static_cast<double>(this->core_.support(c)));
      }
      return detail::reduce_class_scores(v, a, w);
    }
  }
};

using BinaryROC = ROC<Binary>;
using MulticlassROC = ROC<Multiclass>;
using MultilabelROC = ROC<Multilabel>;
using BinaryPrecisionRecallCurve = PrecisionRecallCurve<Binary>;
using MulticlassPrecisionRecallCurve = PrecisionRecallCurve<Multiclass>;
using MultilabelPrecisionRecallCurve = PrecisionRecallCurve<Multilabel>;
using BinaryAUROC = AUROC<Binary>;
using MulticlassAUROC = AUROC<Multiclass>;
using MultilabelAUROC = AUROC<Multilabel>;
using BinaryAveragePrecision = AveragePrecision<Binary>;
using MulticlassAveragePrecision = AveragePrecision<Multiclass>;
using MultilabelAveragePrecision = AveragePrecision<Multilabel>;

TALLY_NAMESPACE_END

#endif  // TALLY_RANKING_HPP
