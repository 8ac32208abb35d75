// tally/classification.hpp — Precision, Recall, Specificity, NegativePredictiveValue, Accuracy,
// HammingDistance, FBetaScore, F1Score and JaccardIndex for every task.
// SPDX-License-Identifier: MIT
#ifndef TALLY_CLASSIFICATION_HPP
#define TALLY_CLASSIFICATION_HPP

// The scores of per-class [[tn, fp], [fn, tp]] counts. They share StatScores' O(C) state and
// differ only in how compute() turns counts into scores.

#include "detail/metric_base.hpp"
#include "detail/reduce.hpp"
#include "detail/stat_core.hpp"
#include "detail/validate.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

namespace detail {

// A score metric: StatScores state + one score kind.
template <class Derived, class Task, score_kind Kind>
class score_metric : public metric_base<Derived, stat_core<Task>> {
  using base = metric_base<Derived, stat_core<Task>>;

 public:
  using options_type = typename Task::Options;

  [[nodiscard]] Result compute() const {
    return reduce_scores(this->core_, score_spec{Kind, beta_});
  }

 protected:
  score_metric(const options_type& options, const metric_traits& traits, double beta = 1.0)
      : base(stat_core<Task>(options, traits)), beta_(beta) {}

  double beta_;
};

inline constexpr metric_traits jaccard_traits{"JaccardIndex", false, false, true};

}  // namespace detail

/// Precision tp / (tp + fp) per class, reduced by `average`; 0/0 gives zero_division.
///
///     tally::MulticlassPrecision p({.num_classes = 3, .average = tally::Average::macro});
///     p.update(std::vector<int>{0, 0}, std::vector<int>{0, 1});
///     double v = p.compute().value();   // 0.5: class 2 never occurs and is left out
template <class Task>
class Precision
    : public detail::score_metric<Precision<Task>, Task, detail::score_kind::precision> {
 public:
  static constexpr const char* metric_name = "Precision";
  explicit Precision(typename Task::Options options)
      : Precision::score_metric(options, detail::stat_family) {}
};

/// Recall tp / (tp + fn) per class, reduced by `average`; 0/0 gives zero_division.
///
///     tally::BinaryRecall r({});
///     r.update(std::vector<int>{1, 0, 1}, std::vector<int>{1, 1, 1});
///     double v = r.compute().value();   // 2/3
template <class Task>
class Recall : public detail::score_metric<Recall<Task>, Task, detail::score_kind::recall> {
 public:
  static constexpr const char* metric_name = "Recall";
  explicit Recall(typename Task::Options options)
      : Recall::score_metric(options, detail::stat_family) {}
};

/// Specificity tn / (tn + fp) per class, reduced by `average`; 0/0 gives 0 (zero_division is
/// validated but, as in torchmetrics, not used).
///
///     tally::BinarySpecificity s({});
///     s.update(std::vector<int>{1, 0, 0}, std::vector<int>{0, 0, 1});
///     double v = s.compute().value();   // 0.5
template <class Task>
class Specificity
    : public detail::score_metric<Specificity<Task>, Task, detail::score_kind::specificity> {
 public:
  static constexpr const char* metric_name = "Specificity";
  explicit Specificity(typename Task::Options options)
      : Specificity::score_metric(options, detail::stat_family) {}
};

/// Negative predictive value tn / (tn + fn) per class, reduced by `average`; 0/0 gives
/// zero_division (torchmetrics accepts zero_division here but always gives 0; tally uses it).
///
///     tally::BinaryNegativePredictiveValue npv({});
///     npv.update(std::vector<int>{1, 0, 0}, std::vector<int>{1, 1, 0});
///     double v = npv.compute().value();   // 0.5
template <class Task>
class NegativePredictiveValue
    : public detail::score_metric<NegativePredictiveValue<Task>, Task, detail::score_kind::npv> {
 public:
  static constexpr const char* metric_name = "NegativePredictiveValue";
  explicit NegativePredictiveValue(typename Task::Options options)
      : NegativePredictiveValue::score_metric(options, detail::stat_family) {}
};

/// Accuracy. Binary and multilabel: (tp + tn) / all. Multiclass: per class tp / (tp + fn), so
/// micro accuracy is correct / kept positions and macro is balanced accuracy. 0/0 gives 0.
///
///     tally::MulticlassAccuracy a({.num_classes = 3, .average = tally::Average::micro});
///     a.update(std::vector<int>{0, 2, 1}, std::vector<int>{0, 1, 1});
///     double v = a.compute().value();   // 2/3
template <class Task>
class Accuracy : public detail::score_metric<Accuracy<Task>, Task, detail::score_kind::accuracy> {
 public:
  static constexpr const char* metric_name = "Accuracy";
  explicit Accuracy(typename Task::Options options)
      : Accuracy::score_metric(options, detail::stat_family) {}
};

/// Hamming distance: 1 - Accuracy per class (the fraction of wrong decisions), reduced by
/// `average` with the classes that occur (tp + fp + fn > 0), also with top_k > 1.
///
///     tally::MultilabelHammingDistance h({.num_labels = 2, .average = tally::Average::micro});
///     const std::vector<int> p{1, 0, 1, 1}, t{1, 1, 1, 1};   // two samples of two labels
///     h.update(tally::tensor_view<const int>(p, {2, 2}), tally::tensor_view<const int>(t, {2, 2}));
///     double v = h.compute().value();   // 0.25
template <class Task>
class HammingDistance
    : public detail::score_metric<HammingDistance<Task>, Task, detail::score_kind::hamming> {
 public:
  static constexpr const char* metric_name = "HammingDistance";
  explicit HammingDistance(typename Task::Options options)
      : HammingDistance::score_metric(options, detail::stat_family) {}
};

/// F-beta (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp) per class; 0/0 gives zero_division.
///
///     tally::MulticlassFBetaScore f2(2.0, {.num_classes = 3});
///     f2.update(std::vector<int>{0, 1, 1}, std::vector<int>{0, 1, 2});
///     double v = f2.compute().value();
template <class Task>
class FBetaScore : public detail::score_metric<FBetaScore<Task>, Task, detail::score_kind::fbeta> {
  using base = detail::score_metric<FBetaScore<Task>, Task, detail::score_kind::fbeta>;
  friend class detail::metric_base<FBetaScore<Task>, detail::stat_core<Task>>;

 public:
  static constexpr const char* metric_name = "FBetaScore";
  FBetaScore(double beta, typename Task::Options options)
      : base((detail::check_beta(beta), options), detail::stat_family, beta) {}

  [[nodiscard]] double beta() const noexcept { return this->beta_; }

 private:
  void describe_settings(detail::identity_text& t) const { t.field("beta", this->beta_); }
  void check_mergeable(const FBetaScore& other) const {
    if (this->beta_ != other.beta_)
      detail::fail("merge: FBetaScore with beta ", this->beta_, " cannot merge one with beta ",
                   other.beta_);
  }
  [[nodiscard]] bool same_settings(const FBetaScore& other) const noexcept {
    return this->beta_ == other.beta_;
  }
};

/// F1 = 2 tp / (2 tp + fp + fn) per class; equal to Dice for label inputs.
///
///     tally::MulticlassF1Score f1({.num_classes = 6, .ignore_index = 255,
///                                  .average = tally::Average::micro});
///     f1.update(std::vector<int>{1, 1, 1, 2, 2, 2, 3}, std::vector<int>{1, 1, 1, 2, 2, 2, 255});
///     double v = f1.compute().value();   // 1.0: the void pixel is not counted
template <class Task>
class F1Score : public detail::score_metric<F1Score<Task>, Task, detail::score_kind::fbeta> {
 public:
  static constexpr const char* metric_name = "F1Score";
  explicit F1Score(typename Task::Options options)
      : F1Score::score_metric(options, detail::stat_family, 1.0) {}
};

/// Jaccard index (IoU) tp / (tp + fp + fn) per class; 0/0 gives zero_division. No samplewise
/// form and no top_k. With an in-range ignore_index k, class k is left out of macro and its
/// false positives out of the micro denominator, as in torchmetrics.
///
///     tally::MulticlassJaccardIndex iou({.num_classes = 19, .ignore_index = 255});
///     iou.update(pred_view, target_view);
///     double miou = iou.compute().value();
template <class Task>
class JaccardIndex
    : public detail::score_metric<JaccardIndex<Task>, Task, detail::score_kind::jaccard> {
 public:
  static constexpr const char* metric_name = "JaccardIndex";
  explicit JaccardIndex(typename Task::Options options)
      : JaccardIndex::score_metric(options, detail::jaccard_traits) {}
};

using BinaryPrecision = Precision<Binary>;
using MulticlassPrecision = Precision<Multiclass>;
using MultilabelPrecision = Precision<Multilabel>;
using BinaryRecall = Recall<Binary>;
using MulticlassRecall = Recall<Multiclass>;
using MultilabelRecall = Recall<Multilabel>;
using BinarySpecificity = Specificity<Binary>;
using MulticlassSpecificity = Specificity<Multiclass>;
using MultilabelSpecificity = Specificity<Multilabel>;
using BinaryNegativePredictiveValue = NegativePredictiveValue<Binary>;
using MulticlassNegativePredictiveValue = NegativePredictiveValue<Multiclass>;
using MultilabelNegativePredictiveValue = NegativePredictiveValue<Multilabel>;
using BinaryHammingDistance = HammingDistance<Binary>;
using MulticlassHammingDistance = HammingDistance<Multiclass>;
using MultilabelHammingDistance = HammingDistance<Multilabel>;
using BinaryAccuracy = Accuracy<Binary>;
using MulticlassAccuracy = Accuracy<Multiclass>;
using MultilabelAccuracy = Accuracy<Multilabel>;
using BinaryFBetaScore = FBetaScore<Binary>;
using MulticlassFBetaScore = FBetaScore<Multiclass>;
using MultilabelFBetaScore = FBetaScore<Multilabel>;
using BinaryF1Score = F1Score<Binary>;
using MulticlassF1Score = F1Score<Multiclass>;
using MultilabelF1Score = F1Score<Multilabel>;
using BinaryJaccardIndex = JaccardIndex<Binary>;
using MulticlassJaccardIndex = JaccardIndex<Multiclass>;
using MultilabelJaccardIndex = JaccardIndex<Multilabel>;

TALLY_NAMESPACE_END

#endif  // TALLY_CLASSIFICATION_HPP
