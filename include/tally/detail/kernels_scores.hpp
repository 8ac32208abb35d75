// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_SCORES_HPP
#define TALLY_DETAIL_KERNELS_SCORES_HPP

// Argmax over the class axis of per-class scores laid out (C, R): position r's scores are
// s[c * R + r]. The scores are streamed once, class row after class row over a block of
// positions, keeping the running best value and index per position in registers; the result is
// a block of labels that the label kernels then count against the target. A tie goes to the
// lowest class index (strict >), as torch's argmax does.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "cpu.hpp"

#if TALLY_X86_SIMD
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

// Labels narrow enough for the fastest counting kernel: one byte when C <= 256.
template <class L, class S>
bool argmax_scalar(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) noexcept {
  bool nan = false;
  for (std::size_t j = 0; j < m; ++j) {
    S best = s[j];
    std::size_t arg = 0;
    nan |= best != best;
    for (std::size_t c = 1; c < C; ++c) {
      const S v = s[c * R + j];
      nan |= v != v;
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    out[j] = static_cast<L>(arg);
  }
  return nan;
}

#if TALLY_X86_SIMD
template <class L>
TALLY_TARGET_AVX512 inline void store_labels_avx512(L* out, __m512i idx, __mmask16 live) noexcept {
  if constexpr (sizeof(L) == 1)
    _mm_mask_storeu_epi8(out, live, _mm512_cvtepi32_epi8(idx));
  else if constexpr (sizeof(L) == 2)
    _mm256_mask_storeu_epi16(out, live, _mm512_cvtepi32_epi16(idx));
  else
    _mm512_mask_storeu_epi32(out, live, idx);
}

template <class L>
TALLY_TARGET_AVX512 bool argmax_float_avx512(const float* s, std::size_t C, std::size_t R,
                                             std::size_t m, L* out) noexcept {
  __mmask16 nan = 0;
  std::size_t j = 0;
  // Four vectors (64 positions) per visit of a class row: longer contiguous reads, and four
  // independent compare chains.
  for (; j + 64 <= m; j += 64) {
    __m512 best[4];
    __m512i idx[4];
    TALLY_UNROLL
    for (int k = 0; k < 4; ++k) {
      best[k] = _mm512_loadu_ps(s + j + 16 * k);
      idx[k] = _mm512_setzero_si512();
      nan |= _mm512_cmp_ps_mask(best[k], best[k], _CMP_UNORD_Q);
    }
    for (std::size_t c = 1; c < C; ++c) {
      const float* row = s + c * R + j;
      // Nineteen or more rows in flight are more streams than hardware prefetchers follow.
      _mm_prefetch(reinterpret_cast<const char*>(row + 512), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row + 528), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row + 544), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row + 560), _MM_HINT_T0);
      const __m512i vc = _mm512_set1_epi32(static_cast<int>(c));
      TALLY_UNROLL
      for (int k = 0; k < 4; ++k) {
        const __m512 v = _mm512_loadu_ps(row + 16 * k);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        const __mmask16 gt = _mm512_cmp_ps_mask(v, best[k], _CMP_GT_OQ);
        best[k] = _mm512_mask_mov_ps(best[k], gt, v);
        idx[k] = _mm512_mask_mov_epi32(idx[k], gt, vc);
      }
    }
    TALLY_UNROLL
    for (int k = 0; k < 4; ++k) store_labels_avx512(out + j + 16 * k, idx[k], __mmask16(0xFFFF));
  }
  for (; j < m; j += 16) {
    const std::size_t left = m - j;
    const __mmask16 live = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    __m512 best = _mm512_maskz_loadu_ps(live, s + j);
    __m512i idx = _mm512_setzero_si512();
    nan |= _mm512_cmp_ps_mask(best, best, _CMP_UNORD_Q);
    for (std::size_t c = 1; c < C; ++c) {
      const __m512 v = _mm512_maskz_loadu_ps(live, s + c * R + j);
      nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      const __mmask16 gt = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
      best = _mm512_mask_mov_ps(best, gt, v);
      idx = _mm512_mask_mov_epi32(idx, gt, _mm512_set1_epi32(static_cast<int>(c)));
    }
    store_labels_avx512(out + j, idx, live);
  }
  return nan != 0;
}

template <class L>
TALLY_TARGET_AVX512 bool argmax_double_avx512(const double* s, std::size_t C, std::size_t R,
                                              std::size_t m, L* out) noexcept {
  __mmask8 nan = 0;
  for (std::size_t j = 0; j < m; j += 8) {
    const std::size_t left = m - j;
    const __mmask8 live = left >= 8 ? __mmask8(0xFF) : __mmask8((1u << left) - 1);
    __m512d best = _mm512_maskz_loadu_pd(live, s + j);
    __m256i idx = _mm256_setzero_si256();
    nan |= _mm512_cmp_pd_mask(best, best, _CMP_UNORD_Q);
    for (std::size_t c = 1; c < C; ++c) {
      const __m512d v = _mm512_maskz_loadu_pd(live, s + c * R + j);
      nan |= _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
      const __mmask8 gt = _mm512_cmp_pd_mask(v, best, _CMP_GT_OQ);
      best = _mm512_mask_mov_pd(best, gt, v);
      idx = _mm256_mask_mov_epi32(idx, gt, _mm256_set1_epi32(static_cast<int>(c)));
    }
    store_labels_avx512(out + j, _mm512_castsi256_si512(idx), static_cast<__mmask16>(live));
  }
  return nan != 0;
}

template <class L>
TALLY_TARGET_AVX2 bool argmax_float_avx2(const float* s, std::size_t C, std::size_t R,
                                         std::size_t m, L* out) noexcept {
  __m256 nan = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 8 <= m; j += 8) {
    __m256 best = _mm256_loadu_ps(s + j);
    __m256i idx = _mm256_setzero_si256();
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(best, best, _CMP_UNORD_Q));
    for (std::size_t c = 1; c < C; ++c) {
      const __m256 v = _mm256_loadu_ps(s + c * R + j);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      const __m256 gt = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
      best = _mm256_blendv_ps(best, v, gt);
      idx =
          _mm256_blendv_epi8(idx, _mm256_set1_epi32(static_cast<int>(c)), _mm256_castps_si256(gt));
    }
    alignas(32) std::int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), idx);
    for (int k = 0; k < 8; ++k) out[j + static_cast<std::size_t>(k)] = static_cast<L>(lanes[k]);
  }
  const bool tail_nan = argmax_scalar(s + j, C, R, m - j, out + j);
  return tail_nan || _mm256_movemask_ps(nan) != 0;
}
#endif

// Labels of m positions starting at s (stride R between classes). Returns true if any score
// among them is NaN (the labels are then meaningless).
template <class L, class S>
[[nodiscard]] bool argmax_block(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) {
#if TALLY_X86_SIMD
  const isa level = active_isa();
  if constexpr (std::is_same_v<S, float>) {
    if (level == isa::avx512) return argmax_float_avx512(s, C, R, m, out);
    if (level == isa::avx2) return argmax_float_avx2(s, C, R, m, out);
  } else if constexpr (std::is_same_v<S, double>) {
    if (level == isa::avx512) return argmax_double_avx512(s, C, R, m, out);
  }
#endif
  return argmax_scalar(s, C, R, m, out);
}

}  // namespace detail
TALLY_NAMESPACE_END

#if TALLY_X86_SIMD && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // TALLY_DETAIL_KERNELS_SCORES_HPP
