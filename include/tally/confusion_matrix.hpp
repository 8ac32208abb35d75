// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_CONFUSION_MATRIX_HPP
#define TALLY_CONFUSION_MATRIX_HPP

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <vector>

#include "detail/count.hpp"
#include "detail/count_multiclass.hpp"
#include "detail/labels.hpp"
#include "detail/metric_base.hpp"
#include "detail/stat_core.hpp"
#include "detail/validate.hpp"
#include "options.hpp"
#include "result.hpp"

TALLY_NAMESPACE_BEGIN

namespace detail {

inline constexpr metric_traits confusion_traits{"ConfusionMatrix", false, false, true};

// The multiclass C x C table (rows: target, columns: prediction). Up to table_max_classes the
// fast kernels count into a local table that is added when the batch is valid. Above, counts go
// straight into the table; if the batch turns out invalid, the counted prefix is walked again
// and subtracted, which restores the table exactly without a C x C scratch copy per update.
class confusion_core {
 public:
  using options_type = Multiclass::Options;

  explicit confusion_core(const options_type& o) : opts_(o) {
    check_state_size("num_classes", o.num_classes, 2, 1, 2);
    check_enum(o.average);
    check_enum(o.multidim_average);
    check_zero_division(o.zero_division);
    if (o.top_k != 1) fail("top_k: ConfusionMatrix supports only top_k = 1, got ", o.top_k);
    if (o.multidim_average != MultidimAverage::global)
      fail(
          "multidim_average: ConfusionMatrix has no samplewise form; use "
          "MultidimAverage::global");
    C_ = static_cast<std::size_t>(o.num_classes);
    assign_zeros(table_, C_ * C_, "num_classes");
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] std::size_t num_classes() const noexcept { return C_; }
  [[nodiscard]] const std::vector<std::uint64_t>& raw() const noexcept { return table_; }
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    return {table_.data(), Shape{C_, C_}};
  }

  void reset() { std::fill(table_.begin(), table_.end(), std::uint64_t{0}); }

  // Options already compared by metric_base::merge.
  void merge(const confusion_core& other) {
    for (std::size_t i = 0; i < table_.size(); ++i) table_[i] += other.table_[i];
  }

  static constexpr const char* task_name = Multiclass::name;

  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    s.sums.push_back({table_.data(), table_.size()});
    return s;
  }

  void save_state(state_writer& w) const { w.array(table_); }
  void load_state(state_reader& r) {
    std::vector<std::uint64_t> table = r.u64_array("the confusion table");
    if (table.size() != table_.size())
      fail("load: a ", C_, " x ", C_, " table needs ", table_.size(), " counts, the bytes hold ",
           table.size());
    table_ = std::move(table);
  }

  friend bool operator==(const confusion_core& a, const confusion_core& b) noexcept {
    return a.opts_ == b.opts_ && a.table_ == b.table_;
  }

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads = 1) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be integral labels or floating-point scores");
    const multiclass_layout lay =
        check_multiclass_shapes<P>(preds.shape(), target.shape(), C_, false, 1);
    if (C_ <= table_max_classes) {
      // Small tables: the fast kernels count into a local table with the ignored and invalid
      // bins, committed when the batch is valid.
      std::vector<std::uint64_t> local(C_ * C_ + 2, 0);
      const multiclass_job job{lay.N, lay.R, C_, 1, opts_.ignore_index, false, threads};
      count_multiclass_table(preds.data(), target.data(), job, local);
      for (std::size_t i = 0; i < table_.size(); ++i) table_[i] += local[i];
      return;
    }
    const label_rule<T> rule(C_, opts_.ignore_index);
    std::uint64_t* m = table_.data();
    const std::size_t C = C_;
    auto add = [m, C](std::size_t t, std::size_t p) { ++m[t * C + p]; };
    auto undo = [m, C](std::size_t t, std::size_t p) { --m[t * C + p]; };
    if constexpr (!std::is_floating_point_v<P>) {
      const label_rule<P> prule(C, std::nullopt);
      const std::size_t n = target.size();
      const std::size_t bad = count_label_pairs(preds.data(), target.data(), n, prule, rule, add);
      if (bad != npos) {
        (void)count_label_pairs(preds.data(), target.data(), bad, prule, rule, undo);
        fail_multiclass_pair(preds[bad], target[bad], bad, C, opts_.ignore_index);
      }
    } else {
      const std::size_t R = lay.R;
      for (std::size_t i = 0; i < lay.N; ++i) {
        const P* sample = preds.data() + i * C * R;
        const score_pass pass =
            count_score_pairs(sample, target.data() + i * R, C, R, R, 1, rule, add);
        if (!pass.nan && pass.bad_target == npos) continue;
        for (std::size_t j = 0; j < i; ++j)
          (void)count_score_pairs(preds.data() + j * C * R, target.data() + j * R, C, R, R, 1, rule,
                                  undo);
        (void)count_score_pairs(sample, target.data() + i * R, C, R, pass.counted, 1, rule, undo);
        // Same rule as every other scores path: a NaN anywhere in the sample is named first.
        multiclass_job job{lay.N, R, C, 1, opts_.ignore_index, false, 1};
        job.describe(label_rule<T>(C, std::nullopt), rule);
        report_score_error(preds.data(), as_words(target.data()), i, job);
      }
    }
  }

 private:
  options_type opts_;
  std::size_t C_ = 0;
  std::vector<std::uint64_t> table_;
};

// Normalizes count tables in place; 0/0 becomes 0 (SEMANTICS 5.7). `tables` square tables of
// side k laid out one after another.
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

template <class Task>
struct confusion_core_for {
  using type = stat_core<Task>;
};
template <>
struct confusion_core_for<Multiclass> {
  using type = confusion_core;
};

}  // namespace detail

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
