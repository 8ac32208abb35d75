// tally — classification and segmentation metrics for C++
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

// Binary and multilabel decisions. A floating prediction is positive when p > threshold, or,
// for logits, when sigmoid(p) > threshold, evaluated as p > log(t / (1 - t)) (SEMANTICS 8).
// The probability threshold is rounded to the preds' type first, as torch compares in it.
template <class P>
struct positive_rule {
  bool logits = false;
  P prob_threshold{};
  double logit_threshold = 0.0;

  positive_rule() = default;
  positive_rule(double threshold, bool as_logits) noexcept
      : logits(as_logits), prob_threshold(static_cast<P>(threshold)) {
    logit_threshold = threshold <= 0.0   ? -std::numeric_limits<double>::infinity()
                      : threshold >= 1.0 ? std::numeric_limits<double>::infinity()
                                         : std::log(threshold / (1.0 - threshold));
  }
  [[nodiscard]] bool operator()(P p) const noexcept {
    return logits ? static_cast<double>(p) > logit_threshold : p > prob_threshold;
  }
};

// Whether any value lies outside [0, 1] (the per-update logit rule), and where the first NaN is.
// With a target and `kept_only`, only positions whose target is not ignored decide the rule
// (binary ConfusionMatrix and JaccardIndex); NaN is looked for everywhere.
struct prob_scan {
  bool outside = false;
  std::size_t nan_index = npos;
};

template <class P, class T>
[[nodiscard]] prob_scan scan_probabilities(const P* preds, const T* target, std::size_t n,
                                           const label_rule<T>& target_rule, bool kept_only) {
  prob_scan out;
  bool outside = false, nan = false;
  for (std::size_t i = 0; i < n; ++i) {
    const P p = preds[i];
    nan |= p != p;
    const bool counts = !kept_only || !target_rule.ignored(target[i]);
    outside |= counts && (p < P(0) || p > P(1));
  }
  out.outside = outside;
  if (nan) out.nan_index = find_nan(preds, n);
  return out;
}

// Binary labels or scores of n elements against a {0, 1} target. Integral preds must be 0 or 1
// at kept positions. sink(target_bit, pred_bit) for every kept element.
template <class P, class T, class Sink>
[[nodiscard]] std::size_t count_binary_pairs(const P* preds, const T* target, std::size_t n,
                                             const label_rule<T>& target_rule,
                                             const positive_rule<P>& positive, Sink&& sink) {
  for (std::size_t i = 0; i < n; ++i) {
    const T t = target[i];
    if (target_rule.ignored(t)) continue;
    if (!target_rule.valid(t)) return i;
    const P p = preds[i];
    bool pos;
    if constexpr (std::is_floating_point_v<P>) {
      pos = positive(p);
    } else {
      if (label_bits(p) > 1u) return i;
      pos = p != P(0);
    }
    sink(static_cast<std::size_t>(label_bits(t)), static_cast<std::size_t>(pos));
  }
  return npos;
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_COUNT_HPP
