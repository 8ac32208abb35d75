// tally/detail/count.hpp — the scalar counting passes: the reference the kernels are tested against
// and the error path that names the first invalid element.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_COUNT_HPP
#define TALLY_DETAIL_COUNT_HPP

// The counting passes. Each reads preds and target once, drops ignored targets, validates what
// it keeps, and hands (target class, predicted class) pairs to a sink: a histogram for the
// StatScores family, a C x C table for ConfusionMatrix. A pass stops at the first invalid element
// and returns its flat index; the caller turns that into a message and discards what the sink
// collected (sinks write to local buffers, so the accumulator is untouched).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Multiclass labels: preds and target of n elements, both checked against [0, C).
template <class P, class T, class Sink>
[[nodiscard]] std::size_t count_label_pairs(const P* preds, const T* target, std::size_t n,
                                            const label_rule<P>& pred_rule,
                                            const label_rule<T>& target_rule, Sink&& sink) {
  for (std::size_t i = 0; i < n; ++i) {
    const T t = target[i];
    if (target_rule.ignored(t)) continue;
    const P p = preds[i];
    if (!target_rule.valid(t) || !pred_rule.valid(p)) return i;
    sink(static_cast<std::size_t>(label_bits(t)), static_cast<std::size_t>(label_bits(p)));
  }
  return npos;
}

// Multiclass scores of one sample, laid out (C, R): the predicted class of position r is the
// argmax over c of scores[c * R + r] (ties to the lowest index), or with top_k > 1 the target
// class when it ranks among the k highest (ties ranked by class index), else the argmax.
// Positions are processed in blocks so the class axis is walked with unit stride. Only the
// first `count` positions are read (count <= R; the rollback of a failed update uses it).
struct score_pass {
  std::size_t counted = 0;        // positions handed to the sink (whole blocks)
  std::size_t bad_target = npos;  // position of the first invalid target
  bool nan = false;               // a NaN score was met (the caller locates it)
};

template <class S, class T, class Sink>
[[nodiscard]] score_pass count_score_pairs(const S* scores, const T* target, std::size_t C,
                                           std::size_t R, std::size_t count, int top_k,
                                           const label_rule<T>& target_rule, Sink&& sink) {
  constexpr std::size_t block = 256;
  S best[block];
  std::uint32_t arg[block];
  S target_score[block];
  std::uint32_t rank[block];
  score_pass out;
  for (std::size_t r0 = 0; r0 < count; r0 += block) {
    const std::size_t b = std::min(block, count - r0);
    const S* s0 = scores + r0;
    bool any_nan = false;
    for (std::size_t j = 0; j < b; ++j) {
      best[j] = s0[j];
      arg[j] = 0;
      any_nan |= s0[j] != s0[j];
    }
    for (std::size_t c = 1; c < C; ++c) {
      const S* sc = s0 + c * R;
      for (std::size_t j = 0; j < b; ++j) {
        const S v = sc[j];
        any_nan |= v != v;
        const bool better = v > best[j];  // strict: the lowest index wins a tie
        best[j] = better ? v : best[j];
        arg[j] = better ? static_cast<std::uint32_t>(c) : arg[j];
      }
    }
    if (any_nan) {
      out.nan = true;
      return out;
    }
    // Validate the block's targets before using them to index scores.
    for (std::size_t j = 0; j < b; ++j) {
      const T t = target[r0 + j];
      if (!target_rule.ignored(t) && !target_rule.valid(t)) {
        out.bad_target = r0 + j;
        return out;
      }
    }
    if (top_k > 1) {
      for (std::size_t j = 0; j < b; ++j) {
        const T t = target[r0 + j];
        // An ignored position ranks nothing: +inf is beaten by no score.
        target_score[j] = target_rule.ignored(t)
                              ? std::numeric_limits<S>::infinity()
                              : s0[static_cast<std::size_t>(label_bits(t)) * R + j];
        rank[j] = 0;
      }
      for (std::size_t c = 0; c < C; ++c) {
        const S* sc = s0 + c * R;
        for (std::size_t j = 0; j < b; ++j) {
          const std::size_t t = static_cast<std::size_t>(label_bits(target[r0 + j]));
          rank[j] += (sc[j] > target_score[j]) || (sc[j] == target_score[j] && c < t);
        }
      }
      for (std::size_t j = 0; j < b; ++j) {
        const T t = target[r0 + j];
        if (target_rule.ignored(t)) continue;
        const std::size_t tc = static_cast<std::size_t>(label_bits(t));
        sink(tc, rank[j] < static_cast<std::uint32_t>(top_k) ? tc : std::size_t{arg[j]});
      }
    } else {
      for (std::size_t j = 0; j < b; ++j) {
        const T t = target[r0 + j];
        if (target_rule.ignored(t)) continue;
        sink(static_cast<std::size_t>(label_bits(t)), std::size_t{arg[j]});
      }
    }
    out.counted = r0 + b;
  }
  return out;
}

// Index of the first NaN among n values, or npos.
template <class S>
[[nodiscard]] std::size_t find_nan(const S* v, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] != v[i]) return i;
  return npos;
}

// Index of the first invalid element of a binary or multilabel update, or npos: a target that
// is neither ignored nor 0/1, or an integral prediction other than 0/1 at a kept position.
// The error path only: the kernels count, this names the element they rejected.
template <class P, class T>
[[nodiscard]] std::size_t find_invalid_binary(const P* preds, const T* target, std::size_t n,
                                              const label_rule<T>& target_rule) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const T t = target[i];
    if (target_rule.ignored(t)) continue;
    if (!target_rule.valid(t)) return i;
    if constexpr (!std::is_floating_point_v<P>) {
      if (label_bits(preds[i]) > 1u) return i;
    }
  }
  return npos;
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_COUNT_HPP
