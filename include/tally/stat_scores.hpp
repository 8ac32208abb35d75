// tally/stat_scores.hpp — StatScores for every task: tp, fp, tn, fn and support per class.
// SPDX-License-Identifier: MIT
#ifndef TALLY_STAT_SCORES_HPP
#define TALLY_STAT_SCORES_HPP

#include "detail/metric_base.hpp"
#include "detail/reduce.hpp"
#include "detail/stat_core.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

/// Per-class true/false positives/negatives and support, as rows `[tp, fp, tn, fn, support]`.
///
///     tally::MulticlassStatScores s({.num_classes = 3, .average = tally::Average::none});
///     s.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
///     tally::Result rows = s.compute();   // shape (3, 5): [[1,0,2,1,2], [1,1,2,0,1], [1,0,3,0,1]]
///
/// Shapes: binary `(5)` / `(N, 5)`; `none` `(C, 5)` / `(N, C, 5)`; micro, macro (plain mean of
/// the C rows), weighted (by support; NaN when there is none) `(5)` / `(N, 5)`.
/// `counts()` is the raw state: per class `[[tn, fp], [fn, tp]]`, shape `(2, 2)` (binary),
/// `(C, 2, 2)`, with a leading sample axis in samplewise mode.
template <class Task>
class StatScores : public detail::metric_base<StatScores<Task>, detail::stat_core<Task>> {
  using base = detail::metric_base<StatScores<Task>, detail::stat_core<Task>>;

 public:
  static constexpr const char* metric_name = "StatScores";
  using options_type = typename Task::Options;
  explicit StatScores(options_type options)
      : base(detail::stat_core<Task>(options, detail::stat_family)) {}

  [[nodiscard]] Result compute() const { return detail::reduce_stat_scores(this->core_); }
};

using BinaryStatScores = StatScores<Binary>;
using MulticlassStatScores = StatScores<Multiclass>;
using MultilabelStatScores = StatScores<Multilabel>;

TALLY_NAMESPACE_END

#endif  // TALLY_STAT_SCORES_HPP
