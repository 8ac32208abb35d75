// tally/detail/kernels/avx512.hpp — the AVX-512 rungs: operations on 512-bit registers and mask
// registers, the generic kernels (generic/*.inl) compiled for them, and VBMI2's byte compress.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_AVX512_HPP
#define TALLY_DETAIL_KERNELS_AVX512_HPP

#include "../isa.hpp"

#if TALLY_SIMD_AVX512  // (TALLY_NO_AVX512: not compiled)

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "scalar.hpp"
#include "target.hpp"
#ifndef TALLY_KERNELS_EMULATED
#include <immintrin.h>
#endif

#define TALLY_AVX512_FEATURES "avx512f,avx512bw,avx512vl,avx512dq,avx2,bmi,bmi2,popcnt"

// ---- VBMI2: the wrong pairs of a hit/miss block, compressed out a step at a time ----

TALLY_TARGET_BEGIN(TALLY_AVX512_FEATURES ",avx512vbmi2")
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace simd_avx512 {

inline void vbmi2_scatter_misses(std::uint8_t* t, std::uint8_t* p, const std::uint64_t* wrong,
                                 std::size_t m, std::size_t C, std::uint32_t* miss) noexcept {
  // The wrong pairs of each step compressed to the front of the block's own buffers (the
  // compressed bytes of step s land at or before step s, which is already read), then counted in
  // one loop: a loop per step would mispredict its exit every 64 elements.
  std::uint8_t* mt = t;
  std::uint8_t* mp = p;
  std::size_t k = 0;
  for (std::size_t s = 0; s * 64 < m; ++s) {
    const __mmask64 w = static_cast<__mmask64>(wrong[s]);
    const __m512i vt = _mm512_loadu_si512(t + 64 * s), vp = _mm512_loadu_si512(p + 64 * s);
    _mm512_storeu_si512(mt + k, _mm512_maskz_compress_epi8(w, vt));
    _mm512_storeu_si512(mp + k, _mm512_maskz_compress_epi8(w, vp));
    k += static_cast<std::size_t>(__builtin_popcountll(wrong[s]));
  }
  for (std::size_t j = 0; j < k; ++j) ++miss[mt[j] * C + mp[j]];
}

}  // namespace simd_avx512
}  // namespace detail
TALLY_NAMESPACE_END
TALLY_TARGET_END

TALLY_TARGET_BEGIN(TALLY_AVX512_FEATURES)
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace simd_avx512 {

// Per-class byte counting up to 6 classes of 1-byte labels, as on the AVX2 rung, and hit/miss
// above: on AMD Zen 4 capped at this rung, per-class counting up to 24 classes (what the AVX-512
// kernels these replace chose, measured on Zen 5) counted uint8 maps with C = 19 at half the
// speed of hit/miss (1.5 against 3.1 G elem/s).
struct tag : kshared::plain_misses {
  static constexpr isa level = isa::avx512;
  static constexpr std::size_t per_class_max = 6;
};

// AVX-512 VBMI2 (Ice Lake, Zen 4 and later): the same kernels, but hit/miss takes over from
// per-class counting above 4 classes and, up to 24, runs in one pass (vbmi2_hit_miss, below);
// above 24 the generic hit/miss collects its wrong pairs with the byte compress (vpcompressb)
// instead of walking their bits.
struct vbmi2_tag {
  static constexpr isa level = isa::avx512vbmi2;
  static constexpr std::size_t per_class_max = 4;
  static void scatter_misses(std::uint8_t* t, std::uint8_t* p, const std::uint64_t* wrong,
                             std::size_t m, std::size_t C, std::uint32_t* miss) noexcept {
    vbmi2_scatter_misses(t, p, wrong, m, C, miss);
  }
};

// A step is one register of bytes: 64 lanes. Masks live in mask registers, one bit per lane.
namespace ops {

inline constexpr std::size_t W = 64;

// Per-class byte counting takes six classes per pass (18 counters and 6 class registers: eight
// would spill, and ran C = 6 at 4.5 G elem/s instead of 7.2 on Zen 4); hit counting eight
// classes (16 would spill: 2.3 against 2.8 G elem/s at C = 19).
inline constexpr std::size_t per_class_group = 6;
inline constexpr std::size_t hit_group = 8;
inline constexpr std::size_t argmax_unroll = 1;
// Many classes: the first phase compresses right and wrong pairs into streams (compress_u32).
inline constexpr bool large_streams = true;

template <class T>
struct lane_types {
  using reg = __m512i;
  using mask = std::conditional_t<
      sizeof(T) == 1, __mmask64,
      std::conditional_t<sizeof(T) == 2, __mmask32,
                         std::conditional_t<sizeof(T) == 4, __mmask16, __mmask8>>>;
};
template <>
struct lane_types<float> {
  using reg = __m512;
  using mask = __mmask16;
};
template <>
struct lane_types<double> {
  using reg = __m512d;
  using mask = __mmask8;
};
template <class T>
using reg = typename lane_types<T>::reg;
template <class T>
using mask = typename lane_types<T>::mask;

// 512 bits read as two 256-bit loads: on the AMD EPYC (Zen 5) the kernels were tuned on, streams
// of 512-bit loads from DRAM ran at 17-20 GB/s against 28-33 GB/s for 256-bit loads; in cache the
// two cost about the same.
TALLY_INLINE __m512i load_bits(const void* p) noexcept {
  const auto* h = static_cast<const __m256i*>(p);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(h)),
                            _mm256_loadu_si256(h + 1), 1);
}

template <class T>
TALLY_INLINE reg<T> load(const T* p) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_castsi512_ps(load_bits(p));
  else if constexpr (std::is_same_v<T, double>)
    return _mm512_castsi512_pd(load_bits(p));
  else
    return load_bits(p);
}

template <class T>
TALLY_INLINE void store(T* p, reg<T> v) noexcept {
  if constexpr (std::is_same_v<T, float>)
    _mm512_storeu_ps(p, v);
  else if constexpr (std::is_same_v<T, double>)
    _mm512_storeu_pd(p, v);
  else
    _mm512_storeu_si512(p, v);
}

template <class T>
TALLY_INLINE reg<T> set1(T x) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_set1_ps(x);
  else if constexpr (std::is_same_v<T, double>)
    return _mm512_set1_pd(x);
  else if constexpr (sizeof(T) == 1)
    return _mm512_set1_epi8(static_cast<char>(x));
  else if constexpr (sizeof(T) == 2)
    return _mm512_set1_epi16(static_cast<short>(x));
  else if constexpr (sizeof(T) == 4)
    return _mm512_set1_epi32(static_cast<int>(x));
  else
    return _mm512_set1_epi64(static_cast<long long>(x));
}

template <class T>
TALLY_INLINE mask<T> eq(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ);
  else if constexpr (std::is_same_v<T, double>)
    return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ);
  else if constexpr (sizeof(T) == 1)
    return _mm512_cmpeq_epi8_mask(a, b);
  else if constexpr (sizeof(T) == 2)
    return _mm512_cmpeq_epi16_mask(a, b);
  else if constexpr (sizeof(T) == 4)
    return _mm512_cmpeq_epi32_mask(a, b);
  else
    return _mm512_cmpeq_epi64_mask(a, b);
}

// a <= b: unsigned for integers, ordered for floats.
template <class T>
TALLY_INLINE mask<T> le(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ);
  else if constexpr (std::is_same_v<T, double>)
    return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ);
  else if constexpr (sizeof(T) == 1)
    return _mm512_cmple_epu8_mask(a, b);
  else if constexpr (sizeof(T) == 2)
    return _mm512_cmple_epu16_mask(a, b);
  else if constexpr (sizeof(T) == 4)
    return _mm512_cmple_epu32_mask(a, b);
  else
    return _mm512_cmple_epu64_mask(a, b);
}

template <class T>
TALLY_INLINE mask<T> gt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: gt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
  else
    return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ);
}

template <class T>
TALLY_INLINE mask<T> lt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: lt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ);
  else
    return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ);
}

template <class T>
TALLY_INLINE mask<T> unord(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q);
  else
    return _mm512_cmp_pd_mask(a, b, _CMP_UNORD_Q);
}

template <class T>
TALLY_INLINE mask<T> test_none(reg<T> v, reg<T> bits) noexcept {
  if constexpr (sizeof(T) == 1)
    return _mm512_testn_epi8_mask(v, bits);
  else if constexpr (sizeof(T) == 2)
    return _mm512_testn_epi16_mask(v, bits);
  else if constexpr (sizeof(T) == 4)
    return _mm512_testn_epi32_mask(v, bits);
  else
    return _mm512_testn_epi64_mask(v, bits);
}

// m ? a : b (mask registers are the same for integer and float lanes of one width).
template <class T>
TALLY_INLINE reg<T> select_int(mask<T> m, reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_mask_blend_ps(m, b, a);
  else if constexpr (std::is_same_v<T, double>)
    return _mm512_mask_blend_pd(m, b, a);
  else if constexpr (sizeof(T) == 1)
    return _mm512_mask_blend_epi8(m, b, a);
  else if constexpr (sizeof(T) == 2)
    return _mm512_mask_blend_epi16(m, b, a);
  else if constexpr (sizeof(T) == 4)
    return _mm512_mask_blend_epi32(m, b, a);
  else
    return _mm512_mask_blend_epi64(m, b, a);
}
template <class T>
TALLY_INLINE reg<T> select(mask<T> m, reg<T> a, reg<T> b) noexcept {
  return select_int<T>(m, a, b);
}

// min(v, acc) and max(v, acc) of floats that skip a NaN v (they return acc).
template <class T>
TALLY_INLINE reg<T> min_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_min_ps(v, acc);
  else
    return _mm512_min_pd(v, acc);
}
template <class T>
TALLY_INLINE reg<T> max_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return _mm512_max_ps(v, acc);
  else
    return _mm512_max_pd(v, acc);
}

template <class T>
TALLY_INLINE mask<T> m_and(mask<T> a, mask<T> b) noexcept {
  return static_cast<mask<T>>(a & b);
}
template <class T>
TALLY_INLINE mask<T> m_or(mask<T> a, mask<T> b) noexcept {
  return static_cast<mask<T>>(a | b);
}
// a & ~b
template <class T>
TALLY_INLINE mask<T> m_andnot(mask<T> a, mask<T> b) noexcept {
  return static_cast<mask<T>>(a & static_cast<mask<T>>(~b));
}
template <class T>
TALLY_INLINE mask<T> m_none() noexcept {
  return mask<T>{0};
}
template <class T>
TALLY_INLINE mask<T> m_all() noexcept {
  return static_cast<mask<T>>(~mask<T>{0});
}
template <class T>
TALLY_INLINE bool any(mask<T> m) noexcept {
  return m != 0;
}

// Mask registers already are integer masks.
template <class M>
TALLY_INLINE M int_mask(M m) noexcept {
  return m;
}

// Two masks of T lanes (a first) as one of half-width lanes: concatenated with kunpck. Never
// widen a narrow mask with integer shifts and ors: g++ 12 -O1 miscompiled that (it spilled the
// zero-extended 16-bit mask with a 2-byte kmovw store and read the slot back as 8 bytes).
template <class T>
TALLY_INLINE auto pack2(mask<T> a, mask<T> b) noexcept {
  if constexpr (sizeof(T) == 2)
    return static_cast<__mmask64>(_mm512_kunpackd(b, a));
  else if constexpr (sizeof(T) == 4)
    return static_cast<__mmask32>(_mm512_kunpackw(b, a));
  else
    return static_cast<__mmask16>(_mm512_kunpackb(b, a));
}

template <class T>
TALLY_INLINE __mmask64 mask_to_u8(const mask<T>* m) noexcept {
  if constexpr (sizeof(T) == 1) {
    return m[0];
  } else if constexpr (sizeof(T) == 2) {
    return _mm512_kunpackd(m[1], m[0]);
  } else if constexpr (sizeof(T) == 4) {
    return _mm512_kunpackd(_mm512_kunpackw(m[3], m[2]), _mm512_kunpackw(m[1], m[0]));
  } else {
    return _mm512_kunpackd(
        _mm512_kunpackw(_mm512_kunpackb(m[7], m[6]), _mm512_kunpackb(m[5], m[4])),
        _mm512_kunpackw(_mm512_kunpackb(m[3], m[2]), _mm512_kunpackb(m[1], m[0])));
  }
}

// The sizeof(T) registers of a step as one register of bytes, saturating (unsigned) at 255.
template <class T>
TALLY_INLINE __m512i to_u8(const __m512i* r) noexcept {
  if constexpr (sizeof(T) == 1) {
    return r[0];
  } else if constexpr (sizeof(T) == 2) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtusepi16_epi8(r[0])),
                              _mm512_cvtusepi16_epi8(r[1]), 1);
  } else if constexpr (sizeof(T) == 4) {
    __m512i v = _mm512_castsi128_si512(_mm512_cvtusepi32_epi8(r[0]));
    v = _mm512_inserti32x4(v, _mm512_cvtusepi32_epi8(r[1]), 1);
    v = _mm512_inserti32x4(v, _mm512_cvtusepi32_epi8(r[2]), 2);
    return _mm512_inserti32x4(v, _mm512_cvtusepi32_epi8(r[3]), 3);
  } else {
    __m128i q[4];
    TALLY_UNROLL
    for (int k = 0; k < 4; ++k)
      q[k] = _mm_unpacklo_epi64(_mm512_cvtusepi64_epi8(r[2 * k]),
                                _mm512_cvtusepi64_epi8(r[2 * k + 1]));
    __m512i v = _mm512_castsi128_si512(q[0]);
    v = _mm512_inserti32x4(v, q[1], 1);
    v = _mm512_inserti32x4(v, q[2], 2);
    return _mm512_inserti32x4(v, q[3], 3);
  }
}

// Two registers of T lanes as one of half-width lanes, saturating (unsigned) at the narrow max.
template <class T>
TALLY_INLINE __m512i narrow2(__m512i a, __m512i b) noexcept {
  if constexpr (sizeof(T) == 2)
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtusepi16_epi8(a)),
                              _mm512_cvtusepi16_epi8(b), 1);
  else if constexpr (sizeof(T) == 4)
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtusepi32_epi16(a)),
                              _mm512_cvtusepi32_epi16(b), 1);
  else
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtusepi64_epi32(a)),
                              _mm512_cvtusepi64_epi32(b), 1);
}

// One register of T lanes as two of double-width lanes (zero-extended), in lane order.
template <class T>
TALLY_INLINE void widen2(__m512i v, __m512i& lo, __m512i& hi) noexcept {
  const __m256i a = _mm512_castsi512_si256(v), b = _mm512_extracti64x4_epi64(v, 1);
  if constexpr (sizeof(T) == 1) {
    lo = _mm512_cvtepu8_epi16(a);
    hi = _mm512_cvtepu8_epi16(b);
  } else if constexpr (sizeof(T) == 2) {
    lo = _mm512_cvtepu16_epi32(a);
    hi = _mm512_cvtepu16_epi32(b);
  } else {
    lo = _mm512_cvtepu32_epi64(a);
    hi = _mm512_cvtepu32_epi64(b);
  }
}

// ---- byte lanes: counters, bit masks, pair indexes ----

// v with the lanes of m set to 0xFF.
TALLY_INLINE __m512i fill_ff(__m512i v, __mmask64 m) noexcept {
  return _mm512_mask_blend_epi8(m, v, _mm512_set1_epi8(-1));
}

// c + 1 in the lanes of m.
TALLY_INLINE __m512i inc(__m512i c, __mmask64 m) noexcept {
  return _mm512_mask_sub_epi8(c, m, c, _mm512_set1_epi8(-1));
}

// Sum of the 64 unsigned bytes of v.
TALLY_INLINE std::uint64_t byte_sum(__m512i v) noexcept {
  return static_cast<std::uint64_t>(
      _mm512_reduce_add_epi64(_mm512_sad_epu8(v, _mm512_setzero_si512())));
}

TALLY_INLINE std::uint64_t bits(__mmask64 m) noexcept {
  return static_cast<std::uint64_t>(m);
}

// The lanes of v that m selects, in order, stored at dst (64 bytes are written); returns how many.
// (A compress into a register and a plain store: vpcompressd to memory is slow on AMD Zen 4.)
TALLY_INLINE std::size_t compress_u32(std::uint32_t* dst, __mmask16 m, __m512i v) noexcept {
  _mm512_storeu_si512(dst, _mm512_maskz_compress_epi32(m, v));
  return static_cast<std::size_t>(__builtin_popcount(m));
}

TALLY_INLINE __mmask64 first_n(std::size_t n) noexcept {
  return n >= 64 ? ~__mmask64{0} : static_cast<__mmask64>((std::uint64_t{1} << n) - 1);
}

// out[k] = hi[k] * mult + lo[k] for the 64 lanes (hi * mult + lo < 2^16).
TALLY_INLINE void store_pair_index(std::uint16_t* out, __m512i hi, __m512i lo,
                                   std::uint8_t mult) noexcept {
  const __m512i m = _mm512_set1_epi16(mult);
  const __m512i a =
      _mm512_add_epi16(_mm512_mullo_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(hi)), m),
                       _mm512_cvtepu8_epi16(_mm512_castsi512_si256(lo)));
  const __m512i b = _mm512_add_epi16(
      _mm512_mullo_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(hi, 1)), m),
      _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(lo, 1)));
  _mm512_storeu_si512(out, a);
  _mm512_storeu_si512(out + 32, b);
}

}  // namespace ops

#include "generic/kernels.inl"

}  // namespace simd_avx512
}  // namespace detail
TALLY_NAMESPACE_END
TALLY_TARGET_END

// ---- VBMI2: hit/miss in one pass ---------------------------------------------------------------
//
// Up to 24 classes, any integer labels: each step counts its right predictions per class in
// byte lanes and compresses its wrong pairs (vpcompressb) into the block's miss buffers, so
// nothing is read twice. The generic hit/miss (labels.inl) writes hit, target and prediction
// bytes and reads them again in later passes, which is what a rung without a byte compress can
// do; on AMD Zen 4 this path counts uint8 maps with C = 19 at about 2x the generic one
// (docs/kernels.md has the table). Written on the AVX-512 rung's operations (a subset of this
// region's target, so they inline).
//
// Instances: 1-byte labels are counted in place by a kernel of bytes, one instance per number
// of class counters (8, 12, 16, 20, 24) shared by every 1-byte label type. Wider labels are
// narrowed on the way, in the same pass (a separate narrowing pass stalled the DRAM stream:
// int64 maps at 0.9 G elem/s instead of 1.45), with 20 or 24 counters: two instances per label
// pair (24 counters alone spill: int64 C = 19 8% slower).

TALLY_TARGET_BEGIN(TALLY_AVX512_FEATURES ",avx512vbmi2")
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace simd_avx512 {

// The counting of one step of byte pairs: per class, + 1 in the kept lanes that hold the class
// and were predicted right; the kept wrong pairs compressed to mt / mp after the k there. A
// 64-byte store past them stays inside the buffers (64 bytes of slack).
template <std::size_t G>
TALLY_INLINE void vbmi2_count(__m512i t8, __m512i p8, __mmask64 kept, const __m512i* vc,
                              __m512i* cnt, u8* mt, u8* mp, std::size_t& k) noexcept {
  const __mmask64 hit = _mm512_mask_cmpeq_epi8_mask(kept, t8, p8);
  const __mmask64 wrong = kept & ~hit;
  const __m512i hit1 = _mm512_maskz_mov_epi8(hit, _mm512_set1_epi8(1));
  TALLY_UNROLL
  for (std::size_t g = 0; g < G; ++g)
    cnt[g] = _mm512_mask_add_epi8(cnt[g], _mm512_cmpeq_epi8_mask(t8, vc[g]), cnt[g], hit1);
  _mm512_storeu_si512(mt + k, _mm512_maskz_compress_epi8(wrong, t8));
  _mm512_storeu_si512(mp + k, _mm512_maskz_compress_epi8(wrong, p8));
  k += static_cast<std::size_t>(__builtin_popcountll(wrong));
}

// Counts the m <= fold_steps * 64 pairs of a block for C <= G classes (padded to G with 0xFE,
// which is no class): step(tail, i, left, vc, cnt, k, bad) handles the step at element i (tail:
// its first `left` < 64 only). Adds the right pairs to tp and returns how many wrong pairs it
// left in the miss buffers; npos on an invalid value.
template <std::size_t G, class Step>
TALLY_INLINE std::size_t vbmi2_block(std::size_t m, std::size_t C, std::uint64_t* tp,
                                     Step&& step) noexcept {
  __m512i vc[G], cnt[G];
  TALLY_UNROLL
  for (std::size_t g = 0; g < G; ++g) {
    vc[g] = _mm512_set1_epi8(static_cast<char>(g < C ? g : 0xFE));
    cnt[g] = _mm512_setzero_si512();
  }
  __mmask64 bad = 0;
  std::size_t k = 0, i = 0;
  for (; i + 64 <= m; i += 64) step(std::false_type{}, i, std::size_t{0}, vc, cnt, k, bad);
  if (i < m) step(std::true_type{}, i, m - i, vc, cnt, k, bad);
  if (bad) return npos;
  TALLY_UNROLL
  for (std::size_t g = 0; g < G; ++g) tp[g] += ops::byte_sum(cnt[g]);
  return k;
}

// A block of 1-byte labels, in place (shared by every 1-byte label type).
template <std::size_t G>
std::size_t vbmi2_bytes_block(const u8* t, const u8* p, std::size_t m, std::size_t C, bool ig,
                              u8 ignore, u8 pmax, u8 tmax, std::uint64_t* tp, u8* mt,
                              u8* mp) noexcept {
  const __m512i vi = _mm512_set1_epi8(static_cast<char>(ignore));
  const __m512i vp = _mm512_set1_epi8(static_cast<char>(pmax));
  const __m512i vt = _mm512_set1_epi8(static_cast<char>(tmax));
  return vbmi2_block<G>(m, C, tp, [&](auto tail, std::size_t i, std::size_t left,
                                      const __m512i* vc, __m512i* cnt, std::size_t& k,
                                      __mmask64& bad) {
    constexpr bool Tail = decltype(tail)::value;
    const __m512i t8 = Tail ? vload_n(t + i, left).r[0] : _mm512_loadu_si512(t + i);
    const __m512i p8 = Tail ? vload_n(p + i, left).r[0] : _mm512_loadu_si512(p + i);
    __mmask64 kept = live_lanes<Tail>(left);
    if (ig) kept &= ~_mm512_cmpeq_epi8_mask(t8, vi);
    bad |= kept & ~(_mm512_cmple_epu8_mask(t8, vt) & _mm512_cmple_epu8_mask(p8, vp));
    vbmi2_count<G>(t8, p8, kept, vc, cnt, mt, mp, k);
  });
}

// A block of wider labels, narrowed to bytes (saturating) on the way; whether a target is
// ignored is decided at its full width.
template <std::size_t G, class P, class T>
std::size_t vbmi2_wide_block(const P* p, const T* t, std::size_t m, std::size_t C,
                             const label_rule<P>& pr, const label_rule<T>& tr, std::uint64_t* tp,
                             u8* mt, u8* mp) noexcept {
  const __m512i vp = _mm512_set1_epi8(static_cast<char>(pr.limit - 1));
  const __m512i vt = _mm512_set1_epi8(static_cast<char>(tr.limit - 1));
  return vbmi2_block<G>(m, C, tp, [&](auto tail, std::size_t i, std::size_t left,
                                       const __m512i* vc, __m512i* cnt, std::size_t& k,
                                       __mmask64& bad) {
    constexpr bool Tail = decltype(tail)::value;
    const vec<T> tv = vload_step<Tail>(t + i, left);
    const __m512i t8 = to_u8(tv), p8 = to_u8(vload_step<Tail>(p + i, left));
    __mmask64 kept = live_lanes<Tail>(left);
    if (tr.has_ignore) kept &= ~to_bytes(veq(tv, tr.ignore));
    bad |= kept & ~(_mm512_cmple_epu8_mask(t8, vt) & _mm512_cmple_epu8_mask(p8, vp));
    vbmi2_count<G>(t8, p8, kept, vc, cnt, mt, mp, k);
  });
}

// Hit/miss over n pairs with C <= 24 classes, in blocks of fold_steps steps. Returns how many
// elements it counted: n, or fewer when `adaptive` and the first block missed too often (the
// caller counts the rest with the table); npos on an invalid value.
template <class P, class T>
std::size_t vbmi2_hit_miss(const P* p, const T* t, std::size_t n, std::size_t C,
                           const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                           label_scratch& scratch, bool adaptive) {
  constexpr std::size_t block = fold_steps * 64;
  scratch.bytes.resize(2 * (block + 64));
  u8* mt = scratch.bytes.data();
  u8* mp = mt + block + 64;
  scratch.table.assign(C * C, 0);
  kshared::miss_table misses_of{scratch.table.data(), C};
  u32* miss = misses_of.cells;
  std::uint64_t tp[24] = {};
  std::size_t i = 0;
  while (i < n) {
    const std::size_t m = std::min(block, n - i);
    std::size_t k;
    if constexpr (sizeof(P) == 1 && sizeof(T) == 1) {
      const auto* tb = reinterpret_cast<const u8*>(t + i);
      const auto* pb = reinterpret_cast<const u8*>(p + i);
      const u8 ig = static_cast<u8>(tr.ignore);
      const u8 pmax = static_cast<u8>(pr.limit - 1), tmax = static_cast<u8>(tr.limit - 1);
      const bool hi = tr.has_ignore;
      k = C <= 8    ? vbmi2_bytes_block<8>(tb, pb, m, C, hi, ig, pmax, tmax, tp, mt, mp)
          : C <= 12 ? vbmi2_bytes_block<12>(tb, pb, m, C, hi, ig, pmax, tmax, tp, mt, mp)
          : C <= 16 ? vbmi2_bytes_block<16>(tb, pb, m, C, hi, ig, pmax, tmax, tp, mt, mp)
          : C <= 20 ? vbmi2_bytes_block<20>(tb, pb, m, C, hi, ig, pmax, tmax, tp, mt, mp)
                    : vbmi2_bytes_block<24>(tb, pb, m, C, hi, ig, pmax, tmax, tp, mt, mp);
    } else {
      k = C <= 20 ? vbmi2_wide_block<20>(p + i, t + i, m, C, pr, tr, tp, mt, mp)
                  : vbmi2_wide_block<24>(p + i, t + i, m, C, pr, tr, tp, mt, mp);
    }
    // An invalid label would index outside the table: stop before the scatter.
    if (k == npos) return npos;
    for (std::size_t w = 0; w < k; ++w) ++miss[mt[w] * C + mp[w]];
    misses_of.added(k, out);
    const bool first = i == 0;
    i += m;
    if (adaptive && first && k * miss_rate_den > m * miss_rate_num) break;
  }
  misses_of.finish(tp, out);
  return i;
}

// The VBMI2 rung's label kernels: hit/miss in one pass from 5 to 24 classes, the generic
// kernels otherwise (and for bool labels).
template <class P, class T>
bool class_labels(vbmi2_tag, const P* p, const T* t, std::size_t n, std::size_t C,
                  const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                  label_scratch& scratch) {
  if constexpr (!std::is_same_v<P, bool> && !std::is_same_v<T, bool>) {
    const label_kernel k = forced_label_kernel();
    const bool chosen = k == label_kernel::automatic ? C > vbmi2_tag::per_class_max
                                                     : k == label_kernel::hit_miss;
    if (chosen && C <= 24) {
      const std::size_t done =
          vbmi2_hit_miss(p, t, n, C, pr, tr, out, scratch, k == label_kernel::automatic);
      if (done == npos) return false;
      return done == n ||
             count_via_table_simd(p + done, t + done, n - done, C, pr, tr, out, scratch);
    }
  }
  return class_labels_with(vbmi2_tag::per_class_max, &vbmi2_tag::scatter_misses, p, t, n, C, pr,
                           tr, out, scratch);
}

}  // namespace simd_avx512
}  // namespace detail
TALLY_NAMESPACE_END
TALLY_TARGET_END

#undef TALLY_AVX512_FEATURES

#endif  // TALLY_SIMD_AVX512
#endif  // TALLY_DETAIL_KERNELS_AVX512_HPP
