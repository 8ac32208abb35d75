// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_LABELS_HPP
#define TALLY_DETAIL_KERNELS_LABELS_HPP

// Counting kernels for multiclass label pairs (target, pred). Each validates, drops ignored
// targets and counts in one pass; it returns false when the batch holds an invalid value (the
// caller then rescans with the scalar reference in count.hpp to name the first offender, and
// discards what was counted).
//
// Which kernel runs (see count_class_labels / count_label_table):
//  - 1-byte labels, few classes: per-class SIMD compare-and-count with byte counters
//    (AVX-512: C <= 24, AVX2: C <= 6). Nothing depends on the data's layout.
//  - C <= 64: a (C*C + 2)-bin table. Phase 1 maps a block of pairs branch-free to bins (SIMD for
//    1-, 2- and 4-byte labels), with one bin for ignored targets and one for invalid values, so
//    ignore_index and validation cost nothing; phase 2 scatters the bins into interleaved
//    sub-histograms, so that runs of equal pixels (segmentation maps are mostly runs) do not
//    serialize on one counter.
//  - larger C: per-class histograms, two interleaved copies, tp packed beside the target count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu.hpp"
#include "labels.hpp"

#if TALLY_X86_SIMD
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

// Per-class outputs of a kernel: added to, never overwritten.
struct class_counts_out {
  std::uint64_t* tp;
  std::uint64_t* pred;
  std::uint64_t* target;
};

// Reusable buffers of one update (kernels run per chunk or per sample).
struct label_scratch {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint16_t> bins;
  std::vector<std::uint32_t> table;
  std::vector<std::uint64_t> hist;
};

// ---- the table kernel ------------------------------------------------------------------------

// Bins: t * C + p for a kept, valid pair; C*C for an ignored target; C*C + 1 for anything
// invalid. Scalar phase 1, the portable path.
template <class P, class T>
void bins_scalar(const P* p, const T* t, std::size_t n, std::size_t C, const label_rule<P>& pr,
                 const label_rule<T>& tr, std::uint16_t* out) noexcept {
  const std::uint32_t discard = static_cast<std::uint32_t>(C * C), bad = discard + 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t tb = label_bits(t[i]), pb = label_bits(p[i]);
    const bool t_ok = tr.valid(t[i]), p_ok = pr.valid(p[i]);
    const bool ok = t_ok & p_ok;  // no branch: both are cheap compares
    const std::uint32_t pair = static_cast<std::uint32_t>(tb * C + pb);
    std::uint32_t b = ok ? pair : bad;
    b = tr.ignored(t[i]) ? discard : b;
    out[i] = static_cast<std::uint16_t>(b);
  }
}

#if TALLY_X86_SIMD
// Phase 1 with AVX2: 16 pairs at a time in 16-bit lanes. 4-byte labels are saturated to 16 bits
// (values >= 0xFFFF, negatives included, become 0xFFFF, never valid since C <= 64); their
// ignore test is made before, at full width, so an ignore_index of -1 or -100 costs nothing.
struct lanes16_avx2 {
  __m256i value;
  __m256i ignored;
};

template <class V>
TALLY_TARGET_AVX2 inline lanes16_avx2 load16_avx2(const V* x, __m256i ig,
                                                  bool has_ignore) noexcept {
  if constexpr (sizeof(V) == 1) {
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
    return {v, has_ignore ? _mm256_cmpeq_epi16(v, ig) : _mm256_setzero_si256()};
  } else if constexpr (sizeof(V) == 2) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
    return {v, has_ignore ? _mm256_cmpeq_epi16(v, ig) : _mm256_setzero_si256()};
  } else {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 8));
    const __m256i cap = _mm256_set1_epi32(0xFFFF);
    const __m256i v = _mm256_permute4x64_epi64(
        _mm256_packus_epi32(_mm256_min_epu32(lo, cap), _mm256_min_epu32(hi, cap)), 0xD8);
    if (!has_ignore) return {v, _mm256_setzero_si256()};
    const __m256i m = _mm256_packs_epi32(_mm256_cmpeq_epi32(lo, ig), _mm256_cmpeq_epi32(hi, ig));
    return {v, _mm256_permute4x64_epi64(m, 0xD8)};
  }
}

template <class P, class T>
TALLY_TARGET_AVX2 void bins_avx2(const P* p, const T* t, std::size_t n, std::size_t C,
                                 const label_rule<P>& pr, const label_rule<T>& tr,
                                 std::uint16_t* out) noexcept {
  const __m256i vC = _mm256_set1_epi16(static_cast<short>(C));
  const __m256i pmax = _mm256_set1_epi16(static_cast<short>(pr.limit - 1));
  const __m256i tmax = _mm256_set1_epi16(static_cast<short>(tr.limit - 1));
  const __m256i discard = _mm256_set1_epi16(static_cast<short>(C * C));
  const __m256i bad = _mm256_set1_epi16(static_cast<short>(C * C + 1));
  const std::uint64_t ig_bits =
      tr.has_ignore ? static_cast<std::uint64_t>(label_bits(tr.ignore)) : 0;
  const __m256i ig = sizeof(T) == 4 ? _mm256_set1_epi32(static_cast<int>(ig_bits))
                                    : _mm256_set1_epi16(static_cast<short>(ig_bits));
  const __m256i none = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const lanes16_avx2 tv = load16_avx2(t + i, ig, tr.has_ignore);
    const lanes16_avx2 pv = load16_avx2(p + i, none, false);
    // a < limit  <=>  min(a, limit - 1) == a  (unsigned 16-bit lanes)
    const __m256i tok = _mm256_cmpeq_epi16(_mm256_min_epu16(tv.value, tmax), tv.value);
    const __m256i pok = _mm256_cmpeq_epi16(_mm256_min_epu16(pv.value, pmax), pv.value);
    const __m256i pair = _mm256_add_epi16(_mm256_mullo_epi16(tv.value, vC), pv.value);
    __m256i b = _mm256_blendv_epi8(bad, pair, _mm256_and_si256(tok, pok));
    b = _mm256_blendv_epi8(b, discard, tv.ignored);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), b);
  }
  bins_scalar(p + i, t + i, n - i, C, pr, tr, out + i);
}

template <class V>
TALLY_TARGET_AVX512 inline __m512i load32_avx512(const V* x, __m512i ig, bool has_ignore,
                                                 __mmask32& ignored) noexcept {
  if constexpr (sizeof(V) == 1) {
    const __m512i v = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
    ignored = has_ignore ? _mm512_cmpeq_epi16_mask(v, ig) : 0;
    return v;
  } else if constexpr (sizeof(V) == 2) {
    const __m512i v = _mm512_loadu_si512(x);
    ignored = has_ignore ? _mm512_cmpeq_epi16_mask(v, ig) : 0;
    return v;
  } else {
    const __m512i lo = _mm512_loadu_si512(x), hi = _mm512_loadu_si512(x + 16);
    const __m512i cap = _mm512_set1_epi32(0xFFFF);
    ignored = has_ignore ? static_cast<__mmask32>(_mm512_kunpackw(_mm512_cmpeq_epi32_mask(hi, ig),
                                                                  _mm512_cmpeq_epi32_mask(lo, ig)))
                         : 0;
    return _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtepi32_epi16(_mm512_min_epu32(lo, cap))),
        _mm512_cvtepi32_epi16(_mm512_min_epu32(hi, cap)), 1);
  }
}

template <class P, class T>
TALLY_TARGET_AVX512 void bins_avx512(const P* p, const T* t, std::size_t n, std::size_t C,
                                     const label_rule<P>& pr, const label_rule<T>& tr,
                                     std::uint16_t* out) noexcept {
  const __m512i vC = _mm512_set1_epi16(static_cast<short>(C));
  const __m512i pl = _mm512_set1_epi16(static_cast<short>(pr.limit));
  const __m512i tl = _mm512_set1_epi16(static_cast<short>(tr.limit));
  const __m512i discard = _mm512_set1_epi16(static_cast<short>(C * C));
  const __m512i bad = _mm512_set1_epi16(static_cast<short>(C * C + 1));
  const std::uint64_t ig_bits =
      tr.has_ignore ? static_cast<std::uint64_t>(label_bits(tr.ignore)) : 0;
  const __m512i ig = sizeof(T) == 4 ? _mm512_set1_epi32(static_cast<int>(ig_bits))
                                    : _mm512_set1_epi16(static_cast<short>(ig_bits));
  const __m512i none = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __mmask32 tign = 0, pign = 0;
    const __m512i tv = load32_avx512(t + i, ig, tr.has_ignore, tign);
    const __m512i pv = load32_avx512(p + i, none, false, pign);
    const __mmask32 ok = _mm512_cmplt_epu16_mask(tv, tl) & _mm512_cmplt_epu16_mask(pv, pl);
    const __m512i pair = _mm512_add_epi16(_mm512_mullo_epi16(tv, vC), pv);
    __m512i b = _mm512_mask_mov_epi16(bad, ok, pair);
    b = _mm512_mask_mov_epi16(b, tign, discard);
    _mm512_storeu_si512(out + i, b);
  }
  bins_scalar(p + i, t + i, n - i, C, pr, tr, out + i);
}
#endif

// Copies of the table the scatter alternates between, so that consecutive equal bins (runs of
// equal pixels) increment different counters and do not wait on each other.
[[nodiscard]] inline std::size_t table_copies(std::size_t C) noexcept {
  return C <= 24 ? 8 : C <= 48 ? 4 : 2;
}

inline constexpr std::size_t table_max_classes = 64;
inline constexpr std::size_t bin_block = 2048;

// Counts pairs into a (C*C + 2)-bin table (uint64, added to): t * C + p for counted pairs, then
// the ignored and the invalid bins. Returns false if an invalid value was met.
template <class P, class T>
[[nodiscard]] bool count_label_table(const P* p, const T* t, std::size_t n, std::size_t C,
                                     const label_rule<P>& pr, const label_rule<T>& tr,
                                     std::uint64_t* table, label_scratch& scratch) {
  const std::size_t bins = C * C + 2;
  const std::size_t copies = table_copies(C);
  scratch.bins.resize(bin_block);
  scratch.table.assign(bins * copies, 0);
  std::uint16_t* b = scratch.bins.data();
  std::uint32_t* h = scratch.table.data();
  const isa level = sizeof(T) <= 4 && sizeof(P) <= 4 ? active_isa() : isa::scalar;
  std::size_t since_flush = 0;
  auto flush = [&] {
    for (std::size_t k = 0; k < copies; ++k)
      for (std::size_t j = 0; j < bins; ++j) {
        table[j] += h[k * bins + j];
        h[k * bins + j] = 0;
      }
    since_flush = 0;
  };
  for (std::size_t i = 0; i < n; i += bin_block) {
    const std::size_t m = std::min(bin_block, n - i);
#if TALLY_X86_SIMD
    if (level == isa::avx512)
      bins_avx512(p + i, t + i, m, C, pr, tr, b);
    else if (level == isa::avx2)
      bins_avx2(p + i, t + i, m, C, pr, tr, b);
    else
#endif
      bins_scalar(p + i, t + i, m, C, pr, tr, b);
    (void)level;
    std::size_t j = 0;
    if (copies == 8) {
      for (; j + 8 <= m; j += 8) {
        ++h[b[j]];
        ++h[bins + b[j + 1]];
        ++h[2 * bins + b[j + 2]];
        ++h[3 * bins + b[j + 3]];
        ++h[4 * bins + b[j + 4]];
        ++h[5 * bins + b[j + 5]];
        ++h[6 * bins + b[j + 6]];
        ++h[7 * bins + b[j + 7]];
      }
    } else if (copies == 4) {
      for (; j + 4 <= m; j += 4) {
        ++h[b[j]];
        ++h[bins + b[j + 1]];
        ++h[2 * bins + b[j + 2]];
        ++h[3 * bins + b[j + 3]];
      }
    } else {
      for (; j + 2 <= m; j += 2) {
        ++h[b[j]];
        ++h[bins + b[j + 1]];
      }
    }
    for (; j < m; ++j) ++h[b[j]];
    // 32-bit sub-counters: flush long before any could overflow.
    since_flush += m;
    if (since_flush >= (std::size_t{1} << 30)) flush();
  }
  flush();
  return table[C * C + 1] == 0;
}

// ---- per-class SIMD compare-and-count, 1-byte labels ------------------------------------------

#if TALLY_X86_SIMD
// Counts 64 pairs per step for G classes c0 .. c0+G-1 with byte counters flushed every 255
// steps. Ignored lanes (and lanes past the end) have their labels replaced by 0xFF, which is no
// class (C <= 24), so they count nowhere. Validation runs with the first group only.
template <int G>
TALLY_TARGET_AVX512 bool per_class_group_avx512(const std::uint8_t* p, const std::uint8_t* t,
                                                std::size_t n, std::size_t C, std::size_t c0,
                                                bool has_ignore, std::uint8_t ignore,
                                                std::uint8_t plimit, std::uint8_t tlimit,
                                                bool validate, class_counts_out out) noexcept {
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i ff = _mm512_set1_epi8(static_cast<char>(0xFF));
  const __m512i vig = _mm512_set1_epi8(static_cast<char>(ignore));
  const __m512i vpl = _mm512_set1_epi8(static_cast<char>(plimit));
  const __m512i vtl = _mm512_set1_epi8(static_cast<char>(tlimit));
  __m512i vc[G];
  TALLY_UNROLL
  for (int g = 0; g < G; ++g)
    vc[g] = _mm512_set1_epi8(static_cast<char>(c0 + static_cast<std::size_t>(g)));
  std::uint64_t sum_t[G] = {}, sum_p[G] = {}, sum_tp[G] = {};
  __mmask64 bad = 0;
  (void)C;
  std::size_t i = 0;
  while (i < n) {
    __m512i ct[G], cp[G], ctp[G];
    TALLY_UNROLL
    for (int g = 0; g < G; ++g) ct[g] = cp[g] = ctp[g] = _mm512_setzero_si512();
    // Up to 255 steps before the byte counters are folded.
    const std::size_t end = std::min(n, i + 255 * 64);
    for (; i < end; i += 64) {
      const std::size_t left = end - i;
      const __mmask64 live = left >= 64 ? ~__mmask64{0} : ((__mmask64{1} << left) - 1);
      const __m512i tv = _mm512_maskz_loadu_epi8(live, t + i);
      const __m512i pv = _mm512_maskz_loadu_epi8(live, p + i);
      __mmask64 kept = live;
      if (has_ignore) kept &= _mm512_cmpneq_epi8_mask(tv, vig);
      if (validate)
        bad |=
            _mm512_mask_cmpge_epu8_mask(kept, tv, vtl) | _mm512_mask_cmpge_epu8_mask(kept, pv, vpl);
      const __m512i t2 = _mm512_mask_mov_epi8(ff, kept, tv);
      const __m512i p2 = _mm512_mask_mov_epi8(ff, kept, pv);
      // 1 where the prediction is right: added to tp of the target's class.
      const __m512i hit = _mm512_maskz_mov_epi8(_mm512_cmpeq_epi8_mask(t2, p2), ones);
      TALLY_UNROLL
      for (int g = 0; g < G; ++g) {
        const __mmask64 mt = _mm512_cmpeq_epi8_mask(t2, vc[g]);
        const __mmask64 mp = _mm512_cmpeq_epi8_mask(p2, vc[g]);
        ct[g] = _mm512_mask_add_epi8(ct[g], mt, ct[g], ones);
        cp[g] = _mm512_mask_add_epi8(cp[g], mp, cp[g], ones);
        ctp[g] = _mm512_mask_add_epi8(ctp[g], mt, ctp[g], hit);
      }
    }
    const __m512i zero = _mm512_setzero_si512();
    TALLY_UNROLL
    for (int g = 0; g < G; ++g) {
      sum_t[g] += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(_mm512_sad_epu8(ct[g], zero)));
      sum_p[g] += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(_mm512_sad_epu8(cp[g], zero)));
      sum_tp[g] +=
          static_cast<std::uint64_t>(_mm512_reduce_add_epi64(_mm512_sad_epu8(ctp[g], zero)));
    }
  }
  TALLY_UNROLL
  for (int g = 0; g < G; ++g) {
    out.target[c0 + static_cast<std::size_t>(g)] += sum_t[g];
    out.pred[c0 + static_cast<std::size_t>(g)] += sum_p[g];
    out.tp[c0 + static_cast<std::size_t>(g)] += sum_tp[g];
  }
  return bad == 0;
}

// Sum of the 32 unsigned bytes of v.
TALLY_TARGET_AVX2 inline std::uint64_t byte_sum_avx2(__m256i v) noexcept {
  const __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) +
         static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
}

template <int G>
TALLY_TARGET_AVX2 bool per_class_group_avx2(const std::uint8_t* p, const std::uint8_t* t,
                                            std::size_t n, std::size_t c0, bool has_ignore,
                                            std::uint8_t ignore, std::uint8_t plimit,
                                            std::uint8_t tlimit, bool validate,
                                            class_counts_out out) noexcept {
  const __m256i vig = _mm256_set1_epi8(static_cast<char>(ignore));
  const __m256i pmax = _mm256_set1_epi8(static_cast<char>(plimit - 1));
  const __m256i tmax = _mm256_set1_epi8(static_cast<char>(tlimit - 1));
  __m256i vc[G];
  TALLY_UNROLL
  for (int g = 0; g < G; ++g)
    vc[g] = _mm256_set1_epi8(static_cast<char>(c0 + static_cast<std::size_t>(g)));
  std::uint64_t sum_t[G] = {}, sum_p[G] = {}, sum_tp[G] = {};
  __m256i bad = _mm256_setzero_si256();
  const std::size_t full = n & ~std::size_t{31};
  std::size_t i = 0;
  while (i < full) {
    __m256i ct[G], cp[G], ctp[G];
    TALLY_UNROLL
    for (int g = 0; g < G; ++g) ct[g] = cp[g] = ctp[g] = _mm256_setzero_si256();
    const std::size_t end = std::min(full, i + 255 * 32);
    for (; i < end; i += 32) {
      const __m256i tv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t + i));
      const __m256i pv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
      const __m256i ign = has_ignore ? _mm256_cmpeq_epi8(tv, vig) : _mm256_setzero_si256();
      if (validate) {
        const __m256i ok = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(tv, tmax), tmax),
                                            _mm256_cmpeq_epi8(_mm256_max_epu8(pv, pmax), pmax));
        bad = _mm256_or_si256(bad,
                              _mm256_andnot_si256(_mm256_or_si256(ok, ign), _mm256_set1_epi8(-1)));
      }
      // Ignored lanes become 0xFF, which is no class.
      const __m256i t2 = _mm256_or_si256(tv, ign), p2 = _mm256_or_si256(pv, ign);
      TALLY_UNROLL
      for (int g = 0; g < G; ++g) {
        const __m256i et = _mm256_cmpeq_epi8(t2, vc[g]);
        const __m256i ep = _mm256_cmpeq_epi8(p2, vc[g]);
        ct[g] = _mm256_sub_epi8(ct[g], et);
        cp[g] = _mm256_sub_epi8(cp[g], ep);
        ctp[g] = _mm256_sub_epi8(ctp[g], _mm256_and_si256(et, ep));
      }
    }
    TALLY_UNROLL
    for (int g = 0; g < G; ++g) {
      sum_t[g] += byte_sum_avx2(ct[g]);
      sum_p[g] += byte_sum_avx2(cp[g]);
      sum_tp[g] += byte_sum_avx2(ctp[g]);
    }
  }
  TALLY_UNROLL
  for (int g = 0; g < G; ++g) {
    out.target[c0 + static_cast<std::size_t>(g)] += sum_t[g];
    out.pred[c0 + static_cast<std::size_t>(g)] += sum_p[g];
    out.tp[c0 + static_cast<std::size_t>(g)] += sum_tp[g];
  }
  return _mm256_testz_si256(bad, bad) != 0;
}

template <bool Avx512, int G = (Avx512 ? 8 : 3)>
inline bool per_class_groups(const std::uint8_t* p, const std::uint8_t* t, std::size_t n,
                             std::size_t C, std::size_t c0, bool has_ignore, std::uint8_t ignore,
                             std::uint8_t plimit, std::uint8_t tlimit, class_counts_out out) {
  bool ok = true;
  for (; c0 + G <= C; c0 += G) {
    if constexpr (Avx512)
      ok &= per_class_group_avx512<G>(p, t, n, C, c0, has_ignore, ignore, plimit, tlimit, c0 == 0,
                                      out);
    else
      ok &= per_class_group_avx2<G>(p, t, n, c0, has_ignore, ignore, plimit, tlimit, c0 == 0, out);
  }
  if constexpr (G > 1) {
    if (c0 < C)
      return ok & per_class_groups<Avx512, G - 1>(p, t, n, C, c0, has_ignore, ignore, plimit,
                                                  tlimit, out);
  }
  return ok;
}
#endif

#if TALLY_X86_SIMD
// 64 labels as bytes, saturated: values of 255 and more (negatives too, read as unsigned) become
// 255, which is never a class here (C <= 24). Whether the target equals ignore_index is decided
// at full width (so -1 or -100 in int64 maps cost nothing).
template <class V>
TALLY_TARGET_AVX512_VBMI2 inline __m512i load64_bytes(const V* x) noexcept {
  if constexpr (sizeof(V) == 1) {
    return _mm512_loadu_si512(x);
  } else if constexpr (sizeof(V) == 2) {
    const __m256i lo = _mm512_cvtusepi16_epi8(_mm512_loadu_si512(x));
    const __m256i hi = _mm512_cvtusepi16_epi8(_mm512_loadu_si512(x + 32));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  } else if constexpr (sizeof(V) == 4) {
    __m512i r = _mm512_castsi128_si512(_mm512_cvtusepi32_epi8(_mm512_loadu_si512(x)));
    r = _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_loadu_si512(x + 16)), 1);
    r = _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_loadu_si512(x + 32)), 2);
    return _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_loadu_si512(x + 48)), 3);
  } else {
    __m128i q[4];
    TALLY_UNROLL
    for (int k = 0; k < 4; ++k)
      q[k] = _mm_unpacklo_epi64(_mm512_cvtusepi64_epi8(_mm512_loadu_si512(x + 16 * k)),
                                _mm512_cvtusepi64_epi8(_mm512_loadu_si512(x + 16 * k + 8)));
    __m512i r = _mm512_castsi128_si512(q[0]);
    r = _mm512_inserti32x4(r, q[1], 1);
    r = _mm512_inserti32x4(r, q[2], 2);
    return _mm512_inserti32x4(r, q[3], 3);
  }
}

// Bit k set where x[k] == v (the ignore value in T's own width), for 64 labels.
template <class V>
TALLY_TARGET_AVX512_VBMI2 inline __mmask64 equal64(const V* x, V v) noexcept {
  if constexpr (sizeof(V) == 1) {
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(x), _mm512_set1_epi8(static_cast<char>(v)));
  } else if constexpr (sizeof(V) == 2) {
    const __m512i w = _mm512_set1_epi16(static_cast<short>(v));
    return static_cast<__mmask64>(_mm512_cmpeq_epi16_mask(_mm512_loadu_si512(x), w)) |
           static_cast<__mmask64>(_mm512_cmpeq_epi16_mask(_mm512_loadu_si512(x + 32), w)) << 32;
  } else if constexpr (sizeof(V) == 4) {
    const __m512i w = _mm512_set1_epi32(static_cast<int>(v));
    __mmask64 m = 0;
    TALLY_UNROLL
    for (int k = 0; k < 4; ++k)
      m |= static_cast<__mmask64>(_mm512_cmpeq_epi32_mask(_mm512_loadu_si512(x + 16 * k), w))
           << (16 * k);
    return m;
  } else {
    const __m512i w = _mm512_set1_epi64(static_cast<long long>(v));
    __mmask64 m = 0;
    TALLY_UNROLL
    for (int k = 0; k < 8; ++k)
      m |= static_cast<__mmask64>(_mm512_cmpeq_epi64_mask(_mm512_loadu_si512(x + 8 * k), w))
           << (8 * k);
    return m;
  }
}

// Hits and misses, AVX-512 VBMI2, any integer labels narrowed to bytes, C <= 24. Most
// predictions are right, so per class only the hits are counted with SIMD (one compare and one
// masked add per class and 64 pairs); the wrong pairs are compressed out (vpcompressb) and
// counted in a small C x C table by scalar code. target = tp + misses in its row, predicted =
// tp + misses in its column. Classes are padded to G with 0xFE, which is no class. Handles
// whole vectors of 64 and returns how many elements it consumed (n rounded down), or npos if
// it met an invalid value.
template <int G, class P, class T>
TALLY_TARGET_AVX512_VBMI2 std::size_t hit_miss_avx512(const P* p, const T* t, std::size_t n,
                                                      std::size_t C, const label_rule<P>& pr,
                                                      const label_rule<T>& tr, class_counts_out out,
                                                      label_scratch& scratch) noexcept {
  constexpr std::size_t steps = 255;  // byte counters: at most 255 increments between folds
  constexpr std::size_t buffer = steps * 64 + 64;
  const std::size_t full = n & ~std::size_t{63};
  scratch.table.assign(C * C, 0);
  std::uint32_t* miss = scratch.table.data();
  scratch.bytes.resize(2 * buffer);
  std::uint8_t* mt_buf = scratch.bytes.data();
  std::uint8_t* mp_buf = mt_buf + buffer;
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i vpl = _mm512_set1_epi8(static_cast<char>(pr.limit));
  const __m512i vtl = _mm512_set1_epi8(static_cast<char>(tr.limit));
  __m512i vc[G];
  TALLY_UNROLL
  for (int g = 0; g < G; ++g)
    vc[g] = _mm512_set1_epi8(static_cast<char>(static_cast<std::size_t>(g) < C ? g : 0xFE));
  std::uint64_t tp[G] = {};
  // 32-bit miss cells: fold them into the output long before one could overflow.
  auto fold_misses = [&] {
    for (std::size_t r = 0; r < C; ++r)
      for (std::size_t c = 0; c < C; ++c) {
        out.target[r] += miss[r * C + c];
        out.pred[c] += miss[r * C + c];
        miss[r * C + c] = 0;
      }
  };
  std::size_t since_fold = 0;
  std::size_t i = 0;
  while (i < full) {
    __m512i hits[G];
    TALLY_UNROLL
    for (int g = 0; g < G; ++g) hits[g] = _mm512_setzero_si512();
    __mmask64 bad = 0;
    std::size_t misses = 0;
    const std::size_t end = std::min(full, i + steps * 64);
    for (; i < end; i += 64) {
      const __m512i tv = load64_bytes(t + i);
      const __m512i pv = load64_bytes(p + i);
      const __mmask64 kept = tr.has_ignore ? ~equal64(t + i, tr.ignore) : ~__mmask64{0};
      bad |=
          _mm512_mask_cmpge_epu8_mask(kept, tv, vtl) | _mm512_mask_cmpge_epu8_mask(kept, pv, vpl);
      const __mmask64 hit = _mm512_mask_cmpeq_epi8_mask(kept, tv, pv);
      const __mmask64 wrong = kept & ~hit;
      const __m512i hit1 = _mm512_maskz_mov_epi8(hit, ones);
      TALLY_UNROLL
      for (int g = 0; g < G; ++g)
        hits[g] = _mm512_mask_add_epi8(hits[g], _mm512_cmpeq_epi8_mask(tv, vc[g]), hits[g], hit1);
      _mm512_storeu_si512(mt_buf + misses, _mm512_maskz_compress_epi8(wrong, tv));
      _mm512_storeu_si512(mp_buf + misses, _mm512_maskz_compress_epi8(wrong, pv));
      misses += static_cast<std::size_t>(_mm_popcnt_u64(wrong));
    }
    // An invalid label would index outside the table: stop before the scatter.
    if (bad) return npos;
    const __m512i zero = _mm512_setzero_si512();
    TALLY_UNROLL
    for (int g = 0; g < G; ++g)
      tp[g] += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(_mm512_sad_epu8(hits[g], zero)));
    for (std::size_t k = 0; k < misses; ++k) ++miss[mt_buf[k] * C + mp_buf[k]];
    since_fold += misses;
    if (since_fold >= (std::size_t{1} << 31)) {
      fold_misses();
      since_fold = 0;
    }
  }
  for (std::size_t c = 0; c < C; ++c) {
    out.tp[c] += tp[c];
    out.target[c] += tp[c];
    out.pred[c] += tp[c];
  }
  fold_misses();
  return full;
}

template <class P, class T>
std::size_t hit_miss_dispatch(const P* p, const T* t, std::size_t n, std::size_t C,
                              const label_rule<P>& pr, const label_rule<T>& tr,
                              class_counts_out out, label_scratch& scratch) {
  if (C <= 8) return hit_miss_avx512<8>(p, t, n, C, pr, tr, out, scratch);
  if (C <= 12) return hit_miss_avx512<12>(p, t, n, C, pr, tr, out, scratch);
  if (C <= 16) return hit_miss_avx512<16>(p, t, n, C, pr, tr, out, scratch);
  if (C <= 20) return hit_miss_avx512<20>(p, t, n, C, pr, tr, out, scratch);
  return hit_miss_avx512<24>(p, t, n, C, pr, tr, out, scratch);
}
#endif

inline constexpr std::size_t per_class_max_avx512 = 24;
// Below this many classes, counting everything per class beats the hit/miss split.
inline constexpr std::size_t hit_miss_min_classes = 4;
inline constexpr std::size_t per_class_max_avx2 = 6;

// ---- per-class histograms for large C ----------------------------------------------------------

// Two interleaved copies; the target counter carries tp in its high 32 bits, so a pair costs two
// counter updates. Chunks of < 2^32 elements keep the packed halves from overflowing.
template <class P, class T>
[[nodiscard]] bool count_large(const P* p, const T* t, std::size_t n, std::size_t C,
                               const label_rule<P>& pr, const label_rule<T>& tr,
                               class_counts_out out, label_scratch& scratch) {
  scratch.hist.assign(4 * C, 0);
  std::uint64_t* tg0 = scratch.hist.data();
  std::uint64_t* tg1 = tg0 + C;
  std::uint64_t* pd0 = tg1 + C;
  std::uint64_t* pd1 = pd0 + C;
  constexpr std::size_t chunk = std::size_t{1} << 31;
  bool ok = true;
  for (std::size_t base = 0; base < n && ok; base += chunk) {
    const std::size_t m = std::min(chunk, n - base);
    const P* pp = p + base;
    const T* tt = t + base;
    std::size_t i = 0;
    auto one = [&](std::size_t k, std::uint64_t* tg, std::uint64_t* pd) {
      const T tv = tt[k];
      if (tr.ignored(tv)) return true;
      const P pv = pp[k];
      if (!tr.valid(tv) || !pr.valid(pv)) return false;
      const std::uint64_t tb = label_bits(tv), pb = label_bits(pv);
      tg[tb] += 1 + (static_cast<std::uint64_t>(tb == pb) << 32);
      ++pd[pb];
      return true;
    };
    for (; i + 2 <= m; i += 2) {
      if (!one(i, tg0, pd0) || !one(i + 1, tg1, pd1)) {
        ok = false;
        break;
      }
    }
    if (ok && i < m) ok = one(i, tg0, pd0);
    for (std::size_t c = 0; c < C; ++c) {
      const std::uint64_t a = tg0[c] + tg1[c];
      out.target[c] += a & 0xFFFFFFFFu;
      out.tp[c] += a >> 32;
      out.pred[c] += pd0[c] + pd1[c];
      tg0[c] = tg1[c] = pd0[c] = pd1[c] = 0;
    }
  }
  return ok;
}

#if TALLY_X86_SIMD
// 16 labels widened (or, for 8-byte labels, saturated) to unsigned 32-bit lanes.
template <class V>
TALLY_TARGET_AVX512 inline __m512i load16_u32(const V* x) noexcept {
  if constexpr (sizeof(V) == 1) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
  } else if constexpr (sizeof(V) == 2) {
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
  } else if constexpr (sizeof(V) == 4) {
    return _mm512_loadu_si512(x);
  } else {
    return _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtusepi64_epi32(_mm512_loadu_si512(x))),
        _mm512_cvtusepi64_epi32(_mm512_loadu_si512(x + 8)), 1);
  }
}

template <class V>
TALLY_TARGET_AVX512 inline __mmask16 equal16(const V* x, V v) noexcept {
  if constexpr (sizeof(V) == 8) {
    const __m512i w = _mm512_set1_epi64(static_cast<long long>(v));
    return static_cast<__mmask16>(_mm512_cmpeq_epi64_mask(_mm512_loadu_si512(x), w) |
                                  (_mm512_cmpeq_epi64_mask(_mm512_loadu_si512(x + 8), w) << 8));
  } else {
    // Widened lanes compare exactly with the widened ignore value.
    return _mm512_cmpeq_epi32_mask(load16_u32(x),
                                   _mm512_set1_epi32(static_cast<int>(label_bits(v))));
  }
}

// Many classes, AVX-512: right and wrong pairs are compressed into separate streams and counted
// by scalar code in one packed counter per class (tp, target and predicted in 21-bit fields):
// a right pair is one counter update, a wrong pair two. Four copies of the counters take turns
// so that runs of one class do not wait on each other. Whole vectors of 16 only; returns the
// number of elements consumed, or npos on an invalid value.
template <class P, class T>
TALLY_TARGET_AVX512 std::size_t large_avx512(const P* p, const T* t, std::size_t n, std::size_t C,
                                             const label_rule<P>& pr, const label_rule<T>& tr,
                                             class_counts_out out, label_scratch& scratch) {
  constexpr std::uint64_t TG = 1, PD = std::uint64_t{1} << 21, TP = std::uint64_t{1} << 42;
  constexpr std::uint64_t field = (std::uint64_t{1} << 21) - 1;
  constexpr std::size_t block = 4096;
  const std::size_t full = n & ~std::size_t{15};
  scratch.hist.assign(4 * C, 0);
  std::uint64_t* h = scratch.hist.data();
  scratch.table.resize(3 * block + 16);
  std::uint32_t* hb = scratch.table.data();
  std::uint32_t* mt = hb + block;
  std::uint32_t* mp = mt + block;
  const __m512i vpl = _mm512_set1_epi32(static_cast<int>(std::min<std::uint64_t>(pr.limit, C)));
  const __m512i vtl = _mm512_set1_epi32(static_cast<int>(std::min<std::uint64_t>(tr.limit, C)));
  auto flush = [&] {
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t c = 0; c < C; ++c) {
        const std::uint64_t v = h[k * C + c];
        out.target[c] += v & field;
        out.pred[c] += (v >> 21) & field;
        out.tp[c] += v >> 42;
        h[k * C + c] = 0;
      }
  };
  std::size_t since_flush = 0;
  for (std::size_t i = 0; i < full;) {
    const std::size_t end = std::min(full, i + block);
    std::size_t hits = 0, misses = 0;
    __mmask16 bad = 0;
    for (; i < end; i += 16) {
      const __m512i tv = load16_u32(t + i), pv = load16_u32(p + i);
      const __mmask16 kept = tr.has_ignore ? static_cast<__mmask16>(~equal16(t + i, tr.ignore))
                                           : static_cast<__mmask16>(0xFFFF);
      bad |=
          _mm512_mask_cmpge_epu32_mask(kept, tv, vtl) | _mm512_mask_cmpge_epu32_mask(kept, pv, vpl);
      const __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(kept, tv, pv);
      const __mmask16 wrong = static_cast<__mmask16>(kept & ~hit);
      _mm512_storeu_si512(hb + hits, _mm512_maskz_compress_epi32(hit, tv));
      _mm512_storeu_si512(mt + misses, _mm512_maskz_compress_epi32(wrong, tv));
      _mm512_storeu_si512(mp + misses, _mm512_maskz_compress_epi32(wrong, pv));
      hits += static_cast<std::size_t>(_mm_popcnt_u32(hit));
      misses += static_cast<std::size_t>(_mm_popcnt_u32(wrong));
    }
    if (bad) return npos;
    std::size_t k = 0;
    for (; k + 4 <= hits; k += 4) {
      h[hb[k]] += TG | PD | TP;
      h[C + hb[k + 1]] += TG | PD | TP;
      h[2 * C + hb[k + 2]] += TG | PD | TP;
      h[3 * C + hb[k + 3]] += TG | PD | TP;
    }
    for (; k < hits; ++k) h[hb[k]] += TG | PD | TP;
    for (k = 0; k + 2 <= misses; k += 2) {
      h[C + mt[k]] += TG;
      h[2 * C + mp[k]] += PD;
      h[3 * C + mt[k + 1]] += TG;
      h[mp[k + 1]] += PD;
    }
    for (; k < misses; ++k) {
      h[mt[k]] += TG;
      h[C + mp[k]] += PD;
    }
    // A 21-bit field of one copy grows by at most one per element: fold well before it fills.
    since_flush += block;
    if (since_flush + block > field) {
      flush();
      since_flush = 0;
    }
  }
  flush();
  return full;
}
#endif

// ---- entry points ------------------------------------------------------------------------------

// Folds a (C*C + 2)-bin table into per-class tp / predicted / target counts.
inline void fold_table(const std::uint64_t* table, std::size_t C, class_counts_out out) noexcept {
  for (std::size_t r = 0; r < C; ++r)
    for (std::size_t c = 0; c < C; ++c) {
      const std::uint64_t v = table[r * C + c];
      out.target[r] += v;
      out.pred[c] += v;
      if (r == c) out.tp[r] += v;
    }
}

// Counts a tail (or a whole small batch) through the table kernel.
template <class P, class T>
[[nodiscard]] bool count_via_table(const P* p, const T* t, std::size_t n, std::size_t C,
                                   const label_rule<P>& pr, const label_rule<T>& tr,
                                   class_counts_out out, label_scratch& scratch) {
  scratch.hist.assign(C * C + 2, 0);
  const bool ok = count_label_table(p, t, n, C, pr, tr, scratch.hist.data(), scratch);
  fold_table(scratch.hist.data(), C, out);
  return ok;
}

// Adds the per-class counts of n label pairs; false if any value is invalid.
template <class P, class T>
[[nodiscard]] bool count_class_labels(const P* p, const T* t, std::size_t n, std::size_t C,
                                      const label_rule<P>& pr, const label_rule<T>& tr,
                                      class_counts_out out, label_scratch& scratch) {
#if TALLY_X86_SIMD
  constexpr bool bytes = sizeof(P) == 1 && sizeof(T) == 1;
  constexpr bool no_bool = !std::is_same_v<P, bool> && !std::is_same_v<T, bool>;
  if constexpr (no_bool) {
    const isa level = active_isa();
    // Hits and misses: any integer width, up to 24 classes, once there are whole vectors.
    if (level == isa::avx512 && has_vbmi2() && C > hit_miss_min_classes &&
        C <= per_class_max_avx512 && n >= 64) {
      const std::size_t done = hit_miss_dispatch(p, t, n, C, pr, tr, out, scratch);
      if (done == npos) return false;
      return done == n || count_via_table(p + done, t + done, n - done, C, pr, tr, out, scratch);
    }
    if constexpr (bytes) {
      const bool wide = level == isa::avx512 && C <= per_class_max_avx512;
      const bool narrow = level >= isa::avx2 && C <= per_class_max_avx2;
      if (wide || narrow) {
        const auto* pb = reinterpret_cast<const std::uint8_t*>(p);
        const auto* tb = reinterpret_cast<const std::uint8_t*>(t);
        const std::uint8_t plimit = static_cast<std::uint8_t>(pr.limit);
        const std::uint8_t tlimit = static_cast<std::uint8_t>(tr.limit);
        const std::uint8_t ig =
            tr.has_ignore ? static_cast<std::uint8_t>(label_bits(tr.ignore)) : 0;
        if (wide)
          return per_class_groups<true>(pb, tb, n, C, 0, tr.has_ignore, ig, plimit, tlimit, out);
        // AVX2 handles whole 32-byte vectors; the tail goes through the table kernel.
        const std::size_t full = n & ~std::size_t{31};
        const bool ok =
            per_class_groups<false>(pb, tb, full, C, 0, tr.has_ignore, ig, plimit, tlimit, out);
        return ok && (full == n ||
                      count_via_table(p + full, t + full, n - full, C, pr, tr, out, scratch));
      }
    }
  }
#endif
  if (C <= table_max_classes) return count_via_table(p, t, n, C, pr, tr, out, scratch);
#if TALLY_X86_SIMD
  if constexpr (!std::is_same_v<P, bool> && !std::is_same_v<T, bool>) {
    if (active_isa() == isa::avx512 && n >= 16 && C < (std::uint64_t{1} << 32)) {
      const std::size_t done = large_avx512(p, t, n, C, pr, tr, out, scratch);
      if (done == npos) return false;
      return done == n || count_large(p + done, t + done, n - done, C, pr, tr, out, scratch);
    }
  }
#endif
  return count_large(p, t, n, C, pr, tr, out, scratch);
}

}  // namespace detail
TALLY_NAMESPACE_END

#if TALLY_X86_SIMD && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // TALLY_DETAIL_KERNELS_LABELS_HPP
