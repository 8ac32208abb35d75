// tally/detail/count_multiclass_impl.hpp — the multiclass counting passes behind
// count_multiclass.hpp, on label words: chunks over the thread pool, the kernels per chunk or
// sample, and the scalar rescan that names the first invalid value. Compiled in the user's
// translation unit, or once into tally::kernels (TALLY_COMPILED_KERNELS).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_COUNT_MULTICLASS_IMPL_HPP
#define TALLY_DETAIL_COUNT_MULTICLASS_IMPL_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "count.hpp"
#include "count_multiclass.hpp"
#include "kernels.hpp"
#include "labels.hpp"
#include "messages.hpp"
#include "thread_pool.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Names the first invalid pair among n labels at flat offset `base`.
template <class P, class T>
[[noreturn]] void report_label_error(const P* p, const T* t, std::size_t n, std::size_t base,
                                     const multiclass_job& job) {
  const std::size_t C = job.C;
  const label_rule<T> tr = job.target_rule<T>();
  const label_rule<P> pr = job.pred_rule<P>();
  const std::size_t bad = count_label_pairs(p, t, n, pr, tr, [](std::size_t, std::size_t) {});
  // The kernel saw an invalid value, so the scalar pass finds one.
  const std::size_t i = bad == npos ? 0 : bad;
  if (!tr.valid(t[i]) && !tr.ignored(t[i]))
    fail_target(word_value(t[i], job.target_kind), base + i, C, false, job.ignore_index);
  fail_pred_label(word_value(p[i], job.pred_kind), base + i, C, false, job.ignore_index);
}




// Global counting of n label pairs split into chunks of whole 4096-pair blocks: chunk 0 counts
// into `first`, the others into zeroed private buffers of `width` counters, added to `first` at
// the end. count(p, t, m, out, scratch) returns false on an invalid value; the first offender in
// flat order is then reported before anything is added.
template <class P, class T, class Count>
void count_label_chunks(const P* p, const T* t, std::size_t n, const multiclass_job& job,
                        std::uint64_t* first, std::size_t width, const Count& count) {
  const std::size_t chunks = chunk_count(n / 4096 + 1, n, job.threads);
  std::vector<std::uint64_t> extra((chunks - 1) * width, 0);
  std::vector<char> ok(chunks, 1);
  std::vector<std::size_t> begin(chunks), end(chunks);
  for_each_chunk(n, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
    begin[k] = b;
    end[k] = e;
    label_scratch scratch;
    std::uint64_t* out = k == 0 ? first : extra.data() + (k - 1) * width;
    ok[k] = count(p + b, t + b, e - b, out, scratch);
  });
  for (std::size_t k = 0; k < chunks; ++k)
    if (!ok[k])
      report_label_error(p + begin[k], t + begin[k], end[k] - begin[k], begin[k], job);
  for (std::size_t i = 0; i < extra.size(); ++i) first[i % width] += extra[i];
}

// Label maps (P integral). `hist` holds units x 3C zeros.
template <class P, class T>
void count_multiclass_labels_words(const P* p, const T* t, const multiclass_job& job,
                             std::vector<std::uint64_t>& hist) {
  const std::size_t C = job.C, R = job.R;
  const label_rule<T> tr = job.target_rule<T>();
  const label_rule<P> pr = job.pred_rule<P>();
  const std::size_t n = job.N * R;
  if (job.samplewise) {
    // Whole samples per chunk; each writes its own rows.
    const std::size_t chunks = chunk_count(job.N, n, job.threads);
    std::vector<std::size_t> failed(chunks, npos);
    for_each_chunk(job.N, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      label_scratch scratch;
      for (std::size_t u = b; u < e; ++u)
        if (!count_class_labels(p + u * R, t + u * R, R, C, pr, tr, hist_row(hist, u, C),
                                scratch)) {
          failed[k] = u;
          return;
        }
    });
    for (std::size_t u : failed)
      if (u != npos) report_label_error(p + u * R, t + u * R, R, u * R, job);
    return;
  }
  // Global: one histogram per chunk, summed at the end.
  count_label_chunks(
      p, t, n, job, hist.data(), 3 * C,
      [&](const P* pc, const T* tc, std::size_t m, std::uint64_t* out, label_scratch& scratch) {
        const class_counts_out o{out, out + C, out + 2 * C};
        return count_class_labels(pc, tc, m, C, pr, tr, o, scratch);
      });
}

// Scores (N, C, R), floating. Predicted labels are made a block at a time and counted at once.
template <class L, class S, class T>
void count_multiclass_scores_as(const S* s, const T* t, const multiclass_job& job,
                                std::vector<std::uint64_t>& hist) {
  const std::size_t C = job.C, R = job.R;
  constexpr std::size_t block = 4096;
  const std::size_t per_sample = (R + block - 1) / block;
  const std::size_t items = job.N * per_sample;
  const label_rule<T> tr = job.target_rule<T>();
  const label_rule<L> lr(C, std::nullopt);
  const std::size_t chunks =
      chunk_count(job.samplewise ? job.N : items, job.N * R * C, job.threads);
  std::vector<std::uint64_t> extra(job.samplewise ? 0 : (chunks - 1) * 3 * C, 0);
  std::vector<std::size_t> failed(chunks, npos);  // sample index of the first failure
  const std::size_t space = job.samplewise ? job.N : items;
  for_each_chunk(space, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
    label_scratch scratch;
    std::vector<L> labels(std::min(block, R));
    const std::size_t first = job.samplewise ? b * per_sample : b;
    const std::size_t last = job.samplewise ? e * per_sample : e;
    for (std::size_t it = first; it < last; ++it) {
      const std::size_t i = it / per_sample, r0 = (it % per_sample) * block;
      const std::size_t m = std::min(block, R - r0);
      const S* sb = s + i * C * R + r0;
      const T* tb = t + i * R + r0;
      const class_counts_out out = job.samplewise ? hist_row(hist, i, C)
                                   : k == 0       ? hist_row(hist, 0, C)
                                                  : hist_row(extra, k - 1, C);
      bool ok;
      if (job.top_k > 1) {
        const score_pass pass =
            count_score_pairs(sb, tb, C, R, m, job.top_k, tr, [&](std::size_t tc, std::size_t pc) {
              out.tp[tc] += tc == pc;
              ++out.pred[pc];
              ++out.target[tc];
            });
        ok = !pass.nan && pass.bad_target == npos;
      } else {
        ok = !argmax_block(sb, C, R, m, labels.data()) &&
             count_class_labels(labels.data(), tb, m, C, lr, tr, out, scratch);
      }
      if (!ok) {
        failed[k] = i;
        return;
      }
    }
  });
  for (std::size_t i : failed)
    if (i != npos) report_score_error(s, t, i, job);
  for (std::size_t i = 0; i < extra.size(); ++i) hist[i % (3 * C)] += extra[i];
}

template <class S, class T>
void count_multiclass_scores_words(const S* s, const T* t, const multiclass_job& job,
                             std::vector<std::uint64_t>& hist) {
  if (job.C <= 256)
    count_multiclass_scores_as<std::uint8_t>(s, t, job, hist);
  else if (job.C <= 65536)
    count_multiclass_scores_as<std::uint16_t>(s, t, job, hist);
  else
    count_multiclass_scores_as<std::uint32_t>(s, t, job, hist);
}

// ConfusionMatrix, C <= table_max_classes: a (C*C + 2)-bin table per chunk (see
// count_label_table), summed into `table`, which must hold C*C + 2 zeros. Label maps or scores.
template <class P, class T>
void count_multiclass_table_words(const P* p, const T* t, const multiclass_job& job,
                            std::vector<std::uint64_t>& table) {
  const std::size_t C = job.C, R = job.R, bins = C * C + 2;
  const label_rule<T> tr = job.target_rule<T>();
  const std::size_t n = job.N * R;
  if constexpr (!std::is_floating_point_v<P>) {
    const label_rule<P> pr = job.pred_rule<P>();
    count_label_chunks(
        p, t, n, job, table.data(), bins,
        [&](const P* pc, const T* tc, std::size_t m, std::uint64_t* out, label_scratch& scratch) {
          return count_label_table(pc, tc, m, C, pr, tr, out, scratch);
        });
  } else {
    constexpr std::size_t block = 4096;
    const std::size_t per_sample = (R + block - 1) / block;
    const std::size_t items = job.N * per_sample;
    const label_rule<std::uint8_t> lr(C, std::nullopt);
    const std::size_t chunks = chunk_count(items, n * C, job.threads);
    std::vector<std::uint64_t> extra((chunks - 1) * bins, 0);
    std::vector<std::size_t> failed(chunks, npos);
    for_each_chunk(items, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      label_scratch scratch;
      std::vector<std::uint8_t> labels(std::min(block, R));
      std::uint64_t* out = k == 0 ? table.data() : extra.data() + (k - 1) * bins;
      for (std::size_t it = b; it < e; ++it) {
        const std::size_t i = it / per_sample, r0 = (it % per_sample) * block;
        const std::size_t m = std::min(block, R - r0);
        if (argmax_block(p + i * C * R + r0, C, R, m, labels.data()) ||
            !count_label_table(labels.data(), t + i * R + r0, m, C, lr, tr, out, scratch)) {
          failed[k] = i;
          return;
        }
      }
    });
    for (std::size_t i : failed)
      if (i != npos) report_score_error(p, t, i, job);
    for (std::size_t i = 0; i < extra.size(); ++i) table[i % bins] += extra[i];
  }
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_COUNT_MULTICLASS_IMPL_HPP
