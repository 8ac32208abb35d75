// tally/detail/confusion_core.hpp — the multiclass ConfusionMatrix state: a C x C table of
// counts, its update, merge and save/load (binary and multilabel use stat_core).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_CONFUSION_CORE_HPP
#define TALLY_DETAIL_CONFUSION_CORE_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"
#include "count.hpp"
#include "count_multiclass.hpp"
#include "labels.hpp"
#include "stat_core.hpp"
#include "state_io.hpp"
#include "validate.hpp"

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

  // `metric`: the name the option errors give (CohenKappa counts on this table too).
  explicit confusion_core(const options_type& o, const char* metric = "ConfusionMatrix")
      : opts_(o) {
    check_state_size("num_classes", o.num_classes, 2, 1, 2);
    check_enum(o.average);
    check_enum(o.multidim_average);
    check_zero_division(o.zero_division);
    check_enum(o.scores);
    if (o.top_k != 1) fail("top_k: ", metric, " supports only top_k = 1, got ", o.top_k);
    if (o.multidim_average != MultidimAverage::global)
      fail("multidim_average: ", metric, " has no samplewise form; use MultidimAverage::global");
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
    if constexpr (std::is_floating_point_v<P>) {
      // A NaN is reported by the counting below, as for every metric; then values outside [0, 1].
      if (opts_.scores == Scores::probabilities && find_nan(preds.data(), preds.size()) == npos)
        check_probabilities(preds.data(), preds.size());
    }
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

template <class Task>
struct confusion_core_for {
  using type = stat_core<Task>;
};
template <>
struct confusion_core_for<Multiclass> {
  using type = confusion_core;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_CONFUSION_CORE_HPP
