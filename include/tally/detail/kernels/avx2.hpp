// tally/detail/kernels/avx2.hpp — the AVX2 rung: its operations on 256-bit registers, then the
// generic kernels (generic/*.inl) compiled for it.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_AVX2_HPP
#define TALLY_DETAIL_KERNELS_AVX2_HPP

#include "../isa.hpp"

#if TALLY_SIMD_X86

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "scalar.hpp"
#include "target.hpp"
#ifndef TALLY_KERNELS_EMULATED
#include <immintrin.h>
#endif

TALLY_TARGET_BEGIN("avx2,bmi,bmi2,popcnt")
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace simd_avx2 {

// Per-class byte counting beats hit/miss up to 6 classes of 1-byte labels (measured with
// bench_counting on AMD EPYC Zen 3).
struct tag : kshared::plain_misses {
  static constexpr isa level = isa::avx2;
  static constexpr std::size_t per_class_max = 6;
};

// A step is one register of bytes: 32 lanes. Values of T take sizeof(T) registers per step, and
// their masks (0 or all ones per lane) as many.
namespace ops {

inline constexpr std::size_t W = 32;

// Tuning, measured with bench_counting on AMD EPYC (Zen 3): three classes per pass of per-class
// counting and six per pass of hit counting keep the counters in the 16 registers.
inline constexpr std::size_t per_class_group = 3;
inline constexpr std::size_t hit_group = 6;
// Steps of positions per visit of a class row in the argmax (two measured the same as one).
inline constexpr std::size_t argmax_unroll = 1;
// Many classes: the first phase marks wrong pairs with bits (no 32-bit lane compress).
inline constexpr bool large_streams = false;

template <class T>
struct lane_types {
  using reg = __m256i;
  using mask = __m256i;
};
template <>
struct lane_types<float> {
  using reg = __m256;
  using mask = __m256;
};
template <>
struct lane_types<double> {
  using reg = __m256d;
  using mask = __m256d;
};
template <class T>
using reg = typename lane_types<T>::reg;
template <class T>
using mask = typename lane_types<T>::mask;

template <class T>
TALLY_INLINE reg<T> load(const T* p) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_loadu_ps(p);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_loadu_pd(p);
  else
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

template <class T>
TALLY_INLINE void store(T* p, reg<T> v) noexcept {
  if constexpr (std::is_same_v<T, float>)
    _mm256_storeu_ps(p, v);
  else if constexpr (std::is_same_v<T, double>)
    _mm256_storeu_pd(p, v);
  else
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

template <class T>
TALLY_INLINE reg<T> set1(T x) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_set1_ps(x);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_set1_pd(x);
  else if constexpr (sizeof(T) == 1)
    return _mm256_set1_epi8(static_cast<char>(x));
  else if constexpr (sizeof(T) == 2)
    return _mm256_set1_epi16(static_cast<short>(x));
  else if constexpr (sizeof(T) == 4)
    return _mm256_set1_epi32(static_cast<int>(x));
  else
    return _mm256_set1_epi64x(static_cast<long long>(x));
}

template <class T>
TALLY_INLINE mask<T> eq(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmp_ps(a, b, _CMP_EQ_OQ);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_cmp_pd(a, b, _CMP_EQ_OQ);
  else if constexpr (sizeof(T) == 1)
    return _mm256_cmpeq_epi8(a, b);
  else if constexpr (sizeof(T) == 2)
    return _mm256_cmpeq_epi16(a, b);
  else if constexpr (sizeof(T) == 4)
    return _mm256_cmpeq_epi32(a, b);
  else
    return _mm256_cmpeq_epi64(a, b);
}

// a <= b: unsigned for integers (a == min(a, b)), ordered for floats.
template <class T>
TALLY_INLINE mask<T> le(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmp_ps(a, b, _CMP_LE_OQ);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_cmp_pd(a, b, _CMP_LE_OQ);
  else if constexpr (sizeof(T) == 1)
    return _mm256_cmpeq_epi8(_mm256_min_epu8(a, b), a);
  else if constexpr (sizeof(T) == 2)
    return _mm256_cmpeq_epi16(_mm256_min_epu16(a, b), a);
  else if constexpr (sizeof(T) == 4)
    return _mm256_cmpeq_epi32(_mm256_min_epu32(a, b), a);
  else {
    const __m256i s = _mm256_set1_epi64x(static_cast<long long>(0x8000000000000000ull));
    const __m256i gt = _mm256_cmpgt_epi64(_mm256_xor_si256(a, s), _mm256_xor_si256(b, s));
    return _mm256_xor_si256(gt, _mm256_set1_epi8(-1));
  }
}

// a > b, ordered (floats).
template <class T>
TALLY_INLINE mask<T> gt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: gt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmp_ps(a, b, _CMP_GT_OQ);
  else
    return _mm256_cmp_pd(a, b, _CMP_GT_OQ);
}

// a < b, ordered (floats).
template <class T>
TALLY_INLINE mask<T> lt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: lt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmp_ps(a, b, _CMP_LT_OQ);
  else
    return _mm256_cmp_pd(a, b, _CMP_LT_OQ);
}

// a or b is NaN.
template <class T>
TALLY_INLINE mask<T> unord(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmp_ps(a, b, _CMP_UNORD_Q);
  else
    return _mm256_cmp_pd(a, b, _CMP_UNORD_Q);
}

// (v & bits) == 0, integers.
template <class T>
TALLY_INLINE mask<T> test_none(reg<T> v, reg<T> bits) noexcept {
  return eq<T>(_mm256_and_si256(v, bits), _mm256_setzero_si256());
}

// m ? a : b
template <class T>
TALLY_INLINE reg<T> select(mask<T> m, reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_blendv_ps(b, a, m);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_blendv_pd(b, a, m);
  else
    return _mm256_blendv_epi8(b, a, m);
}

// m ? a : b, with m an integer mask of T's width.
template <class T>
TALLY_INLINE reg<T> select_int(__m256i m, reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m));
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_blendv_pd(b, a, _mm256_castsi256_pd(m));
  else
    return _mm256_blendv_epi8(b, a, m);
}

// min(v, acc) and max(v, acc) of floats that skip a NaN v (they return acc).
template <class T>
TALLY_INLINE reg<T> min_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_min_ps(v, acc);
  else
    return _mm256_min_pd(v, acc);
}
template <class T>
TALLY_INLINE reg<T> max_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_max_ps(v, acc);
  else
    return _mm256_max_pd(v, acc);
}

template <class T>
TALLY_INLINE mask<T> m_and(mask<T> a, mask<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_and_ps(a, b);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_and_pd(a, b);
  else
    return _mm256_and_si256(a, b);
}
template <class T>
TALLY_INLINE mask<T> m_or(mask<T> a, mask<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_or_ps(a, b);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_or_pd(a, b);
  else
    return _mm256_or_si256(a, b);
}
// a & ~b
template <class T>
TALLY_INLINE mask<T> m_andnot(mask<T> a, mask<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_andnot_ps(b, a);
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_andnot_pd(b, a);
  else
    return _mm256_andnot_si256(b, a);
}
template <class T>
TALLY_INLINE mask<T> m_none() noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_setzero_ps();
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_setzero_pd();
  else
    return _mm256_setzero_si256();
}
template <class T>
TALLY_INLINE mask<T> m_all() noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_castsi256_ps(_mm256_set1_epi8(-1));
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_castsi256_pd(_mm256_set1_epi8(-1));
  else
    return _mm256_set1_epi8(-1);
}
template <class T>
TALLY_INLINE bool any(mask<T> m) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_movemask_ps(m) != 0;
  else if constexpr (std::is_same_v<T, double>)
    return _mm256_movemask_pd(m) != 0;
  else
    return _mm256_testz_si256(m, m) == 0;
}

// A float mask as the integer mask of the same width.
TALLY_INLINE __m256i int_mask(__m256 m) noexcept { return _mm256_castps_si256(m); }
TALLY_INLINE __m256i int_mask(__m256d m) noexcept { return _mm256_castpd_si256(m); }
TALLY_INLINE __m256i int_mask(__m256i m) noexcept { return m; }

// Two masks of T lanes (a first) as one of half-width lanes, in lane order.
template <class T>
TALLY_INLINE __m256i pack2(__m256i a, __m256i b) noexcept {
  if constexpr (sizeof(T) == 2)
    return _mm256_permute4x64_epi64(_mm256_packs_epi16(a, b), 0xD8);
  else if constexpr (sizeof(T) == 4)
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
  else  // a qword mask is two equal dword masks: packing dwords to words keeps one per qword
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
}

// Bytes of elements (0 1 4 5 8 9 .. 28 29 | 2 3 6 7 .. 30 31), as three rounds of packs leave eight
// 64-bit lanes, put in order: 16-bit units of the two halves interleaved.
TALLY_INLINE __m256i words_in_order(__m256i v) noexcept {
  const __m256i q = _mm256_permute4x64_epi64(v, 0xD8);
  const __m256i order = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1,
                                         8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
  return _mm256_shuffle_epi8(q, order);
}

// Two registers of T lanes as one of half-width lanes, saturating (unsigned) at the narrow max.
template <class T>
TALLY_INLINE __m256i narrow2(__m256i a, __m256i b) noexcept {
  if constexpr (sizeof(T) == 2) {
    const __m256i cap = _mm256_set1_epi16(0xFF);
    return _mm256_permute4x64_epi64(
        _mm256_packus_epi16(_mm256_min_epu16(a, cap), _mm256_min_epu16(b, cap)), 0xD8);
  } else if constexpr (sizeof(T) == 4) {
    const __m256i cap = _mm256_set1_epi32(0xFFFF);
    return _mm256_permute4x64_epi64(
        _mm256_packus_epi32(_mm256_min_epu32(a, cap), _mm256_min_epu32(b, cap)), 0xD8);
  } else {
    // Lanes above 2^32 - 1 become all ones; then the low dword of each qword, in order.
    const __m256i s = _mm256_set1_epi64x(static_cast<long long>(0x8000000000000000ull));
    const __m256i cap = _mm256_set1_epi64x(static_cast<long long>(0x80000000FFFFFFFFull));
    const __m256i sa = _mm256_or_si256(a, _mm256_cmpgt_epi64(_mm256_xor_si256(a, s), cap));
    const __m256i sb = _mm256_or_si256(b, _mm256_cmpgt_epi64(_mm256_xor_si256(b, s), cap));
    const __m256i lo = _mm256_blend_epi32(_mm256_shuffle_epi32(sa, 0x08),
                                          _mm256_shuffle_epi32(sb, 0x80), 0xCC);
    return _mm256_permute4x64_epi64(lo, 0xD8);
  }
}

// The sizeof(T) registers of a step of T lanes as one register of bytes, in lane order:
// labels saturating (unsigned) at 255, masks (0 or all ones per lane) kept.
//
// Signed saturating packs do the saturation: a 64-bit lane is valid (below 256) iff its high
// dword is 0 and its low dword below 256; two packs of dwords to words turn every other lane into
// a word of 256 or more, or a negative one, and min_epu16(w, 255) sends both to 255. Packs work
// within 128-bit lanes, so the bytes come out permuted; one permute (and for 64-bit lanes one
// byte shuffle) puts them in order.
template <class T>
TALLY_INLINE __m256i to_u8(const __m256i* r) noexcept {
  const __m256i cap = _mm256_set1_epi16(0xFF);
  if constexpr (sizeof(T) == 1) {
    return r[0];
  } else if constexpr (sizeof(T) == 2) {
    return _mm256_permute4x64_epi64(
        _mm256_packus_epi16(_mm256_min_epu16(r[0], cap), _mm256_min_epu16(r[1], cap)), 0xD8);
  } else if constexpr (sizeof(T) == 4) {
    const __m256i a = _mm256_min_epu16(_mm256_packs_epi32(r[0], r[1]), cap);
    const __m256i b = _mm256_min_epu16(_mm256_packs_epi32(r[2], r[3]), cap);
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(a, b),
                                       _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  } else {
    const __m256i s0 = _mm256_packs_epi32(r[0], r[1]), s1 = _mm256_packs_epi32(r[2], r[3]);
    const __m256i s2 = _mm256_packs_epi32(r[4], r[5]), s3 = _mm256_packs_epi32(r[6], r[7]);
    const __m256i a = _mm256_min_epu16(_mm256_packs_epi32(s0, s1), cap);
    const __m256i b = _mm256_min_epu16(_mm256_packs_epi32(s2, s3), cap);
    return words_in_order(_mm256_packus_epi16(a, b));
  }
}

template <class T>
TALLY_INLINE __m256i mask_to_u8(const __m256i* m) noexcept {
  if constexpr (sizeof(T) == 1) {
    return m[0];
  } else if constexpr (sizeof(T) == 2) {
    return _mm256_permute4x64_epi64(_mm256_packs_epi16(m[0], m[1]), 0xD8);
  } else if constexpr (sizeof(T) == 4) {
    return _mm256_permutevar8x32_epi32(
        _mm256_packs_epi16(_mm256_packs_epi32(m[0], m[1]), _mm256_packs_epi32(m[2], m[3])),
        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  } else {
    const __m256i s0 = _mm256_packs_epi32(m[0], m[1]), s1 = _mm256_packs_epi32(m[2], m[3]);
    const __m256i s2 = _mm256_packs_epi32(m[4], m[5]), s3 = _mm256_packs_epi32(m[6], m[7]);
    return words_in_order(
        _mm256_packs_epi16(_mm256_packs_epi32(s0, s1), _mm256_packs_epi32(s2, s3)));
  }
}

// One register of T lanes as two of double-width lanes (zero-extended), in lane order.
template <class T>
TALLY_INLINE void widen2(__m256i v, __m256i& lo, __m256i& hi) noexcept {
  const __m128i a = _mm256_castsi256_si128(v), b = _mm256_extracti128_si256(v, 1);
  if constexpr (sizeof(T) == 1) {
    lo = _mm256_cvtepu8_epi16(a);
    hi = _mm256_cvtepu8_epi16(b);
  } else if constexpr (sizeof(T) == 2) {
    lo = _mm256_cvtepu16_epi32(a);
    hi = _mm256_cvtepu16_epi32(b);
  } else {
    lo = _mm256_cvtepu32_epi64(a);
    hi = _mm256_cvtepu32_epi64(b);
  }
}

// ---- byte lanes: counters, bit masks, pair indexes ----

// v with the lanes of m set to 0xFF.
TALLY_INLINE __m256i fill_ff(__m256i v, __m256i m) noexcept { return _mm256_or_si256(v, m); }

// c + 1 in the lanes of m.
TALLY_INLINE __m256i inc(__m256i c, __m256i m) noexcept { return _mm256_sub_epi8(c, m); }

// Sum of the 32 unsigned bytes of v.
TALLY_INLINE std::uint64_t byte_sum(__m256i v) noexcept {
  const __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) +
         static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
}

// Bit k set for lane k of a byte mask.
TALLY_INLINE std::uint64_t bits(__m256i m) noexcept {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(m));
}

// The lanes of v that m selects, in order, stored at dst; returns how many. A lane at a time:
// AVX2 has no compress, and large_streams is off on this rung.
TALLY_INLINE std::size_t compress_u32(std::uint32_t* dst, __m256i m, __m256i v) noexcept {
  alignas(32) std::uint32_t x[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(x), v);
  std::size_t k = 0;
  for (unsigned b = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m))); b;
       b &= b - 1)
    dst[k++] = x[__builtin_ctz(b)];
  return k;
}

// The first n lanes (n <= 32).
TALLY_INLINE __m256i first_n(std::size_t n) noexcept {
  const __m256i lanes =
      _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                       22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  return _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(n)), lanes);
}

// out[k] = hi[k] * mult + lo[k] for the 32 lanes (< 2^16).
TALLY_INLINE void store_pair_index(std::uint16_t* out, __m256i hi, __m256i lo,
                                   std::uint8_t mult) noexcept {
  __m256i a, b;
  if (mult < 128) {
    // maddubs: lo * 1 + hi * mult over the interleaved (lo, hi) byte pairs (mult is signed there).
    const __m256i coef = _mm256_set1_epi16(static_cast<short>((mult << 8) | 1));
    a = _mm256_maddubs_epi16(_mm256_unpacklo_epi8(lo, hi), coef);  // 0-7, 16-23
    b = _mm256_maddubs_epi16(_mm256_unpackhi_epi8(lo, hi), coef);  // 8-15, 24-31
  } else {
    const __m256i m = _mm256_set1_epi16(mult), z = _mm256_setzero_si256();
    a = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(hi, z), m),
                         _mm256_unpacklo_epi8(lo, z));
    b = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(hi, z), m),
                         _mm256_unpackhi_epi8(lo, z));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(a, b, 0x20));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_permute2x128_si256(a, b, 0x31));
}

}  // namespace ops

#include "generic/kernels.inl"

}  // namespace simd_avx2
}  // namespace detail
TALLY_NAMESPACE_END
TALLY_TARGET_END

#endif  // TALLY_SIMD_X86
#endif  // TALLY_DETAIL_KERNELS_AVX2_HPP
