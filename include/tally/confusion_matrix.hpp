// tally/confusion_matrix.hpp — ConfusionMatrix for every task (its multiclass table:
// detail/confusion_core.hpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_CONFUSION_MATRIX_HPP
#define TALLY_CONFUSION_MATRIX_HPP

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <vector>

#include "detail/confusion_core.hpp"
#include "detail/metric_base.hpp"
#include "detail/reduce.hpp"
#include "detail/stat_core.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

/// Confusion matrix of counts, or normalized by row (`Normalize::target`, torchmetrics'
/// "true"), column (`pred`) or total (`all`); 0/0 becomes 0.
///
///     tally::MulticlassConfusionMatrix cm({.num_classes = 3, .ignore_index = 255});
///     cm.update(std::vector<int>{0, 1, 1}, std::vector<int>{0, 0, 255});
///     tally::Result m = cm.compute();   // (3, 3), rows = target, columns = prediction
///
/// Shapes: binary `(2, 2)` = `[[tn, fp], [fn, tp]]`; multiclass `(C, C)`; multilabel
/// `(L, 2, 2)`. `counts()` gives the same layout as unnormalized std::uint64_t counts.
/// No samplewise form, top_k must be 1; `average` and `zero_division` are validated but unused.
template <class Task>
class ConfusionMatrix
    : public detail::metric_base<ConfusionMatrix<Task>,
                                 typename detail::confusion_core_for<Task>::type> {
  using core_type = typename detail::confusion_core_for<Task>::type;
  using base = detail::metric_base<ConfusionMatrix<Task>, core_type>;
  friend base;

 public:
  static constexpr const char* metric_name = "ConfusionMatrix";
  using options_type = typename Task::Options;

  explicit ConfusionMatrix(options_type options, Normalize normalize = Normalize::none)
      : base(make_core(options, normalize)), normalize_(normalize) {}

  [[nodiscard]] Normalize normalize() const noexcept { return normalize_; }

  [[nodiscard]] Result compute() const {
    const auto& raw = this->core_.raw();
    std::vector<double> v(raw.begin(), raw.end());
    if constexpr (std::is_same_v<Task, Multiclass>) {
      const std::size_t C = this->core_.num_classes();
      detail::normalize_tables(v, 1, C, normalize_);
      return Result(Shape{C, C}, std::move(v));
    } else {
      // The StatScores blocks are already [[tn, fp], [fn, tp]] per label.
      const std::size_t L = this->core_.num_classes();
      detail::normalize_tables(v, L, 2, normalize_);
      return std::is_same_v<Task, Binary> ? Result(Shape{2, 2}, std::move(v))
                                          : Result(Shape{L, 2, 2}, std::move(v));
    }
  }

 private:
  static core_type make_core(const options_type& options, Normalize normalize) {
    detail::check_enum(normalize);
    if constexpr (std::is_same_v<Task, Multiclass>)
      return core_type(options);
    else
      return core_type(options, detail::confusion_traits);
  }
  void describe_settings(detail::identity_text& t) const { t.field("normalize", normalize_); }
  void check_mergeable(const ConfusionMatrix& other) const {
    if (normalize_ != other.normalize_)
      detail::fail("merge: ConfusionMatrix with normalize = ", to_string(normalize_),
                   " cannot merge one with normalize = ", to_string(other.normalize_));
  }
  [[nodiscard]] bool same_settings(const ConfusionMatrix& other) const noexcept {
    return normalize_ == other.normalize_;
  }

  Normalize normalize_;
};

using BinaryConfusionMatrix = ConfusionMatrix<Binary>;
using MulticlassConfusionMatrix = ConfusionMatrix<Multiclass>;
using MultilabelConfusionMatrix = ConfusionMatrix<Multilabel>;

TALLY_NAMESPACE_END

#endif  // TALLY_CONFUSION_MATRIX_HPP
