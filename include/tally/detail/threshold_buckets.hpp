// tally/detail/threshold_buckets.hpp — where a score falls among the thresholds of the binned
// ranking metrics: the bucket #{j : t_j <= s}, in O(1) per score for any spacing, and the
// one-pass block functions for float probabilities and uint8 targets (SSE2 on x86-64).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_THRESHOLD_BUCKETS_HPP
#define TALLY_DETAIL_THRESHOLD_BUCKETS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../thresholds.hpp"
#include "labels.hpp"
#include "score_list.hpp"

// SSE2 is part of every x86-64 CPU: the binned update's bucket arithmetic uses it without a
// run-time dispatch (float_buckets, uint8_slots). TALLY_RANKING_NO_SSE2 (tests) leaves it out.
#if (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)) && \
    !defined(TALLY_RANKING_NO_SSE2)
#include <emmintrin.h>
#define TALLY_RANKING_SSE2 1
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

// Where a sorted list of thresholds puts a value, in O(1) for any spacing: equal cells over the
// finite thresholds' range, each remembering how many thresholds lie below it; the bucket of s
// starts from its cell's count and steps over the few thresholds inside the cell. The steps
// correct any float error in the cell's estimate, so the result is always #{j : t_j <= s}.
class cell_index {
 public:
  cell_index() = default;
  explicit cell_index(const std::vector<double>& t) {
    std::size_t first = 0, last = t.size();
    while (first < last && !std::isfinite(t[first])) ++first;
    while (last > first && !std::isfinite(t[last - 1])) --last;
    if (last - first >= 2 && t[last - 1] > t[first]) {
      lo_ = t[first];
      std::size_t cells = 1;
      while (cells < 2 * t.size() && cells < max_cells) cells *= 2;
      inv_ = static_cast<double>(cells) / (t[last - 1] - lo_);
      below_.resize(cells);
      std::size_t j = 0;
      for (std::size_t c = 0; c < cells; ++c) {
        const double start = lo_ + static_cast<double>(c) / inv_;
        while (j < t.size() && t[j] < start) ++j;
        below_[c] = static_cast<std::uint32_t>(j);
      }
    }
  }
  [[nodiscard]] std::size_t bucket(const std::vector<double>& t, double s) const noexcept {
    std::size_t b = 0;
    if (!below_.empty()) {
      const double c = (s - lo_) * inv_;
      const std::size_t cells = below_.size();
      b = below_[!(c > 0) ? 0 : c >= static_cast<double>(cells) ? cells - 1
                                                                 : static_cast<std::size_t>(c)];
    }
    while (b > 0 && t[b - 1] > s) --b;
    while (b < t.size() && t[b] <= s) ++b;
    return b;
  }

 private:
  static constexpr std::size_t max_cells = std::size_t{1} << 16;
  double lo_ = 0, inv_ = 0;
  std::vector<std::uint32_t> below_;
};

// The thresholds as the update compares with them: b(s) = #{j : s >= t_j}, and for logits
// b(x) = #{j : x >= logit(t_j)}. Evenly spaced probabilities start from the index s (T - 1)
// and step at most a place; lists and logits use a cell_index.
class threshold_grid {
 public:
  threshold_grid() = default;
  explicit threshold_grid(const Thresholds& th)
      : t_(th.list()), even_(th.kind() == Thresholds::Kind::linspace) {
    lt_.reserve(t_.size());
    for (double t : t_) lt_.push_back(logit_of(t));
    if (!even_) cells_ = cell_index(t_);
    logit_cells_ = cell_index(lt_);
  }
  [[nodiscard]] std::size_t size() const noexcept { return t_.size(); }
  [[nodiscard]] const std::vector<double>& values() const noexcept { return t_; }
  [[nodiscard]] bool even() const noexcept { return even_; }

  [[nodiscard]] std::size_t bucket_prob(double p) const noexcept {
    if (!even_) return cells_.bucket(t_, p);
    const std::size_t T = t_.size();
    const double e = p * static_cast<double>(T - 1);
    std::size_t b = !(e > 0.0) ? 0 : e >= static_cast<double>(T - 1) ? T
                                                                      : static_cast<std::size_t>(e) + 1;
    while (b < T && t_[b] <= p) ++b;
    while (b > 0 && t_[b - 1] > p) --b;
    return b;
  }
  [[nodiscard]] std::size_t bucket_logit(double x) const noexcept {
    return logit_cells_.bucket(lt_, x);
  }

 private:
  std::vector<double> t_, lt_;
  bool even_ = false;
  cell_index cells_, logit_cells_;
};

// Buckets among T evenly spaced thresholds (Thresholds::linspace, T >= 2) of m float scores:
// with k the integer nearest s (T - 1), every threshold below t_k lies at or below s and every
// one above t_k above it (the float errors of s (T - 1) and of the thresholds stay far below
// half a step for T <= 2^20), so b = k + [t_k <= s]. t_k is recomputed as Thresholds::linspace
// computes it (product and difference rounded separately), so it equals that value. A score
// that is not a probability (NaN, outside [0, 1]) gets bucket 0 and makes the result true.
// Four scores at a time with SSE2 where x86-64 has it.
inline bool float_buckets(const float* s, std::size_t m, std::size_t T, std::int32_t* out) {
  const float step = 1.0f / static_cast<float>(T - 1);
  const float scale = static_cast<float>(T - 1);
  const std::int32_t n = static_cast<std::int32_t>(T), half = n / 2;
  bool outside = false;
  std::size_t i = 0;
#ifdef TALLY_RANKING_SSE2
  const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f), vhalf_f = _mm_set1_ps(0.5f),
               vstep = _mm_set1_ps(step), vscale = _mm_set1_ps(scale);
  const __m128i vhalf = _mm_set1_epi32(half), vlast = _mm_set1_epi32(n - 1);
  __m128 bad = zero;
  for (; i + 4 <= m; i += 4) {
    const __m128 x = _mm_loadu_ps(s + i);
    const __m128 in = _mm_and_ps(_mm_cmpge_ps(x, zero), _mm_cmple_ps(x, one));  // NaN: false
    bad = _mm_or_ps(bad, _mm_cmpeq_ps(in, zero));  // lanes not in [0, 1]
    const __m128 v = _mm_and_ps(x, in);            // not a probability: 0
    const __m128i k = _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(v, vscale), vhalf_f));
    // t_k: step * k below half, 1 - step * (n - 1 - k) from there on.
    const __m128 low = _mm_castsi128_ps(_mm_cmplt_epi32(k, vhalf));
    const __m128 lo = _mm_mul_ps(vstep, _mm_cvtepi32_ps(k));
    const __m128 hi = _mm_sub_ps(one, _mm_mul_ps(vstep, _mm_cvtepi32_ps(_mm_sub_epi32(vlast, k))));
    const __m128 tk = _mm_or_ps(_mm_and_ps(low, lo), _mm_andnot_ps(low, hi));
    // b = k - (t_k <= v), the mask being -1.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm_sub_epi32(k, _mm_castps_si128(_mm_cmple_ps(tk, v))));
  }
  outside = _mm_movemask_ps(bad) != 0;
#endif
  for (; i < m; ++i) {
    const float x = s[i];
    const bool in = x >= 0.0f && x <= 1.0f;
    outside = outside || !in;
    const float v = in ? x : 0.0f;
    const std::int32_t k = static_cast<std::int32_t>(v * scale + 0.5f);
    volatile float product = step * static_cast<float>(k < half ? k : n - 1 - k);
    const float tk = k < half ? static_cast<float>(product) : 1.0f - product;
    out[i] = k + (tk <= v ? 1 : 0);
  }
  return outside;
}

// The histogram slot of m uint8 targets with their buckets: 2 b + target, or `dump` for an
// ignored position; true if a target is neither 0, 1 nor ignore_index. Sixteen at a time with
// SSE2.
inline bool uint8_slots(const std::int32_t* bucket, const std::uint8_t* t, std::size_t m,
                        const label_rule<std::uint8_t>& rule, std::int32_t dump,
                        std::int32_t* slot) {
  bool bad = false;
  std::size_t i = 0;
#ifdef TALLY_RANKING_SSE2
  const __m128i zero = _mm_setzero_si128(), ones = _mm_set1_epi8(1), high = _mm_set1_epi8(-2);
  const __m128i ig = _mm_set1_epi8(static_cast<char>(rule.ignore));
  const __m128i use_ig = _mm_set1_epi8(rule.has_ignore ? -1 : 0);
  const __m128i vdump = _mm_set1_epi32(dump);
  __m128i badv = zero;
  for (; i + 16 <= m; i += 16) {
    const __m128i tv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + i));
    const __m128i ignored = _mm_and_si128(_mm_cmpeq_epi8(tv, ig), use_ig);
    const __m128i valid = _mm_cmpeq_epi8(_mm_and_si128(tv, high), zero);  // 0 or 1
    badv = _mm_or_si128(badv, _mm_andnot_si128(_mm_or_si128(ignored, valid), _mm_set1_epi8(-1)));
    const __m128i bit = _mm_and_si128(tv, ones);
    // Widen the target bit and the ignored mask to 32 bits, four lanes at a time.
    const __m128i bit16[2] = {_mm_unpacklo_epi8(bit, zero), _mm_unpackhi_epi8(bit, zero)};
    const __m128i ign16[2] = {_mm_unpacklo_epi8(ignored, ignored),
                              _mm_unpackhi_epi8(ignored, ignored)};
    for (int h = 0; h < 2; ++h)
      for (int q = 0; q < 2; ++q) {
        const __m128i b32 = q == 0 ? _mm_unpacklo_epi16(bit16[h], zero)
                                   : _mm_unpackhi_epi16(bit16[h], zero);
        const __m128i i32 = q == 0 ? _mm_unpacklo_epi16(ign16[h], ign16[h])
                                   : _mm_unpackhi_epi16(ign16[h], ign16[h]);
        const std::size_t at = i + static_cast<std::size_t>(8 * h + 4 * q);
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bucket + at));
        const __m128i s2 = _mm_add_epi32(_mm_add_epi32(b, b), b32);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(slot + at),
                         _mm_or_si128(_mm_and_si128(i32, vdump), _mm_andnot_si128(i32, s2)));
      }
  }
  bad = _mm_movemask_epi8(badv) != 0;
#endif
  for (; i < m; ++i) {
    const bool ignored = rule.ignored(t[i]);
    bad = bad || (!ignored && !rule.valid(t[i]));
    slot[i] = ignored ? dump : 2 * bucket[i] + (t[i] & 1);
  }
  return bad;
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_THRESHOLD_BUCKETS_HPP
