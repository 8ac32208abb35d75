// tally/detail/count_multiclass.hpp — one multiclass update, counted: label maps or scores into
// per-unit histograms tp[C], predicted[C], target[C] (or a C x C table), in parallel chunks when
// asked, throwing before anything reaches the accumulator when a value is invalid.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_COUNT_MULTICLASS_HPP
#define TALLY_DETAIL_COUNT_MULTICLASS_HPP

// The entry points take the user's label types and erase them to words (as the kernels do),
// keeping what a message needs to print a label (its kind) and the exact rules (limits and the
// ignore value, which a word type could not rebuild from ignore_index). The passes themselves
// are in count_multiclass_impl.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "count.hpp"
#include "kernels.hpp"
#include "kernels/instances.hpp"
#include "labels.hpp"
#include "messages.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

struct multiclass_job {
  std::size_t N, R, C;
  int top_k;
  std::optional<std::int64_t> ignore_index;
  bool samplewise;
  std::size_t threads;
  // Filled by the entry points from the user's label types.
  label_kind pred_kind = label_kind::unsigned_word, target_kind = label_kind::unsigned_word;
  std::uint64_t pred_limit = 0, target_limit = 0;
  bool has_ignore = false;
  std::uint64_t ignore_bits = 0;

  template <class P, class T>
  void describe(const label_rule<P>& pr, const label_rule<T>& tr) noexcept {
    pred_kind = label_kind_of<P>;
    target_kind = label_kind_of<T>;
    pred_limit = pr.limit;
    target_limit = tr.limit;
    has_ignore = tr.has_ignore;
    ignore_bits = tr.has_ignore ? static_cast<std::uint64_t>(label_bits(tr.ignore)) : 0;
  }
  // The rules of the user's types, for their words W.
  template <class W>
  [[nodiscard]] label_rule<W> target_rule() const noexcept {
    label_rule<W> r;
    r.limit = target_limit;
    r.has_ignore = has_ignore;
    r.ignore = static_cast<W>(ignore_bits);
    return r;
  }
  template <class W>
  [[nodiscard]] label_rule<W> pred_rule() const noexcept {
    label_rule<W> r;
    r.limit = pred_limit;
    return r;
  }
};

inline class_counts_out hist_row(std::vector<std::uint64_t>& h, std::size_t unit,
                                 std::size_t C) noexcept {
  std::uint64_t* base = h.data() + unit * 3 * C;
  return {base, base + C, base + 2 * C};
}

// Names the offender in sample i of a scores update: a NaN anywhere in the sample first (so every
// path, whatever its block order, names the same one), else the first invalid target.
template <class S, class T>
[[noreturn]] void report_score_error(const S* scores, const T* target, std::size_t i,
                                     const multiclass_job& job) {
  const std::size_t C = job.C, R = job.R;
  const std::size_t nan = find_nan(scores + i * C * R, C * R);
  if (nan != npos) fail_nan(i * C * R + nan);
  const label_rule<T> tr = job.target_rule<T>();
  for (std::size_t r = 0; r < R; ++r) {
    const T v = target[i * R + r];
    if (!tr.ignored(v) && !tr.valid(v))
      fail_target(word_value(v, job.target_kind), i * R + r, C, false, job.ignore_index);
  }
  fail("internal error: a scores kernel reported an invalid value that is not there");
}

// The passes on words (count_multiclass_impl.hpp).
template <class P, class T>
void count_multiclass_labels_words(const P* p, const T* t, const multiclass_job& job,
                                   std::vector<std::uint64_t>& hist);
template <class S, class T>
void count_multiclass_scores_words(const S* s, const T* t, const multiclass_job& job,
                                   std::vector<std::uint64_t>& hist);
template <class P, class T>
void count_multiclass_table_words(const P* p, const T* t, const multiclass_job& job,
                                  std::vector<std::uint64_t>& table);

// Label maps (P integral). `hist` holds units x 3C zeros.
template <class P, class T>
void count_multiclass_labels(const P* p, const T* t, multiclass_job job,
                             std::vector<std::uint64_t>& hist) {
  job.describe(label_rule<P>(job.C, std::nullopt), label_rule<T>(job.C, job.ignore_index));
  count_multiclass_labels_words(as_words(p), as_words(t), job, hist);
}

// Scores (N, C, R), floating. Predicted labels are made a block at a time and counted at once.
template <class S, class T>
void count_multiclass_scores(const S* s, const T* t, multiclass_job job,
                             std::vector<std::uint64_t>& hist) {
  job.describe(label_rule<T>(job.C, std::nullopt), label_rule<T>(job.C, job.ignore_index));
  count_multiclass_scores_words(s, as_words(t), job, hist);
}

// ConfusionMatrix, C <= table_max_classes: a (C*C + 2)-bin table per chunk (see
// count_label_table), summed into `table`, which must hold C*C + 2 zeros. Label maps or scores.
template <class P, class T>
void count_multiclass_table(const P* p, const T* t, multiclass_job job,
                            std::vector<std::uint64_t>& table) {
  if constexpr (std::is_floating_point_v<P>) {
    job.describe(label_rule<T>(job.C, std::nullopt), label_rule<T>(job.C, job.ignore_index));
    count_multiclass_table_words(p, as_words(t), job, table);
  } else {
    job.describe(label_rule<P>(job.C, std::nullopt), label_rule<T>(job.C, job.ignore_index));
    count_multiclass_table_words(as_words(p), as_words(t), job, table);
  }
}

#if defined(TALLY_COMPILED_KERNELS)
TALLY_PASS_INSTANCES(TALLY_KERNEL_EXTERN)
#endif

}  // namespace detail
TALLY_NAMESPACE_END

#if !defined(TALLY_COMPILED_KERNELS)
#include "count_multiclass_impl.hpp"
#endif

#endif  // TALLY_DETAIL_COUNT_MULTICLASS_HPP
