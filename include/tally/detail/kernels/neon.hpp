// tally/detail/kernels/neon.hpp — the NEON rung (aarch64): its operations on 128-bit registers,
// then the generic kernels (generic/*.inl) compiled for it.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_NEON_HPP
#define TALLY_DETAIL_KERNELS_NEON_HPP

#include "../isa.hpp"

#if TALLY_SIMD_NEON

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "scalar.hpp"
#include "target.hpp"

// NEON is part of every ARMv8-A CPU: no target region, the default flags have it.
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace simd_neon {

// With 16 lanes a step, per-class counting pays up to 4 classes (its cost per element grows
// with C / 16); above, hit/miss. Chosen from operation counts: ARM speed is not measured here.
struct tag : kshared::plain_misses {
  static constexpr isa level = isa::neon;
  static constexpr std::size_t per_class_max = 4;
};

// A step is one register of bytes: 16 lanes. Masks are registers of 0 / all ones per lane.
namespace ops {

inline constexpr std::size_t W = 16;

// 32 registers: six classes per pass of per-class counting (18 counters), twelve per pass of
// hit counting.
inline constexpr std::size_t per_class_group = 6;
inline constexpr std::size_t hit_group = 12;
inline constexpr std::size_t argmax_unroll = 1;
// Many classes: the first phase marks wrong pairs with bits (no 32-bit lane compress).
inline constexpr bool large_streams = false;

template <class T>
struct lane_types;
template <>
struct lane_types<std::uint8_t> {
  using reg = uint8x16_t;
  using mask = uint8x16_t;
};
template <>
struct lane_types<std::uint16_t> {
  using reg = uint16x8_t;
  using mask = uint16x8_t;
};
template <>
struct lane_types<std::uint32_t> {
  using reg = uint32x4_t;
  using mask = uint32x4_t;
};
template <>
struct lane_types<std::uint64_t> {
  using reg = uint64x2_t;
  using mask = uint64x2_t;
};
template <>
struct lane_types<float> {
  using reg = float32x4_t;
  using mask = uint32x4_t;
};
template <>
struct lane_types<double> {
  using reg = float64x2_t;
  using mask = uint64x2_t;
};
template <class T>
using reg = typename lane_types<T>::reg;
template <class T>
using mask = typename lane_types<T>::mask;

template <class T>
TALLY_INLINE reg<T> load(const T* p) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vld1q_f32(p);
  else if constexpr (std::is_same_v<T, double>)
    return vld1q_f64(p);
  else if constexpr (sizeof(T) == 1)
    return vld1q_u8(p);
  else if constexpr (sizeof(T) == 2)
    return vld1q_u16(p);
  else if constexpr (sizeof(T) == 4)
    return vld1q_u32(p);
  else
    return vld1q_u64(p);
}

template <class T>
TALLY_INLINE void store(T* p, reg<T> v) noexcept {
  if constexpr (std::is_same_v<T, float>)
    vst1q_f32(p, v);
  else if constexpr (std::is_same_v<T, double>)
    vst1q_f64(p, v);
  else if constexpr (sizeof(T) == 1)
    vst1q_u8(p, v);
  else if constexpr (sizeof(T) == 2)
    vst1q_u16(p, v);
  else if constexpr (sizeof(T) == 4)
    vst1q_u32(p, v);
  else
    vst1q_u64(p, v);
}

template <class T>
TALLY_INLINE reg<T> set1(T x) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vdupq_n_f32(x);
  else if constexpr (std::is_same_v<T, double>)
    return vdupq_n_f64(x);
  else if constexpr (sizeof(T) == 1)
    return vdupq_n_u8(x);
  else if constexpr (sizeof(T) == 2)
    return vdupq_n_u16(x);
  else if constexpr (sizeof(T) == 4)
    return vdupq_n_u32(x);
  else
    return vdupq_n_u64(x);
}

template <class T>
TALLY_INLINE mask<T> eq(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vceqq_f32(a, b);
  else if constexpr (std::is_same_v<T, double>)
    return vceqq_f64(a, b);
  else if constexpr (sizeof(T) == 1)
    return vceqq_u8(a, b);
  else if constexpr (sizeof(T) == 2)
    return vceqq_u16(a, b);
  else if constexpr (sizeof(T) == 4)
    return vceqq_u32(a, b);
  else
    return vceqq_u64(a, b);
}

// a <= b: unsigned for integers, ordered for floats.
template <class T>
TALLY_INLINE mask<T> le(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vcleq_f32(a, b);
  else if constexpr (std::is_same_v<T, double>)
    return vcleq_f64(a, b);
  else if constexpr (sizeof(T) == 1)
    return vcleq_u8(a, b);
  else if constexpr (sizeof(T) == 2)
    return vcleq_u16(a, b);
  else if constexpr (sizeof(T) == 4)
    return vcleq_u32(a, b);
  else
    return vcleq_u64(a, b);
}

template <class T>
TALLY_INLINE mask<T> gt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: gt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return vcgtq_f32(a, b);
  else
    return vcgtq_f64(a, b);
}

template <class T>
TALLY_INLINE mask<T> lt(reg<T> a, reg<T> b) noexcept {
  static_assert(std::is_floating_point_v<T>, "tally: lt compares floats");
  if constexpr (std::is_same_v<T, float>)
    return vcltq_f32(a, b);
  else
    return vcltq_f64(a, b);
}

// a or b is NaN (a NaN is the only value not equal to itself).
template <class T>
TALLY_INLINE mask<T> unord(reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vmvnq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)));
  else
    return veorq_u64(vandq_u64(vceqq_f64(a, a), vceqq_f64(b, b)), vdupq_n_u64(~0ull));
}

// (v & bits) == 0, integers.
template <class T>
TALLY_INLINE mask<T> test_none(reg<T> v, reg<T> bits) noexcept {
  if constexpr (sizeof(T) == 1)
    return vceqzq_u8(vandq_u8(v, bits));
  else if constexpr (sizeof(T) == 2)
    return vceqzq_u16(vandq_u16(v, bits));
  else if constexpr (sizeof(T) == 4)
    return vceqzq_u32(vandq_u32(v, bits));
  else
    return vceqzq_u64(vandq_u64(v, bits));
}

// m ? a : b (m an integer mask of T's width).
template <class T>
TALLY_INLINE reg<T> select_int(mask<T> m, reg<T> a, reg<T> b) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vbslq_f32(m, a, b);
  else if constexpr (std::is_same_v<T, double>)
    return vbslq_f64(m, a, b);
  else if constexpr (sizeof(T) == 1)
    return vbslq_u8(m, a, b);
  else if constexpr (sizeof(T) == 2)
    return vbslq_u16(m, a, b);
  else if constexpr (sizeof(T) == 4)
    return vbslq_u32(m, a, b);
  else
    return vbslq_u64(m, a, b);
}
template <class T>
TALLY_INLINE reg<T> select(mask<T> m, reg<T> a, reg<T> b) noexcept {
  return select_int<T>(m, a, b);
}

// min(v, acc) and max(v, acc) of floats that skip a NaN v (IEEE minNum / maxNum).
template <class T>
TALLY_INLINE reg<T> min_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vminnmq_f32(v, acc);
  else
    return vminnmq_f64(v, acc);
}
template <class T>
TALLY_INLINE reg<T> max_skip(reg<T> v, reg<T> acc) noexcept {
  if constexpr (std::is_same_v<T, float>)
    return vmaxnmq_f32(v, acc);
  else
    return vmaxnmq_f64(v, acc);
}

template <class T>
TALLY_INLINE mask<T> m_and(mask<T> a, mask<T> b) noexcept {
  if constexpr (sizeof(T) == 1)
    return vandq_u8(a, b);
  else if constexpr (sizeof(T) == 2)
    return vandq_u16(a, b);
  else if constexpr (sizeof(T) == 4)
    return vandq_u32(a, b);
  else
    return vandq_u64(a, b);
}
template <class T>
TALLY_INLINE mask<T> m_or(mask<T> a, mask<T> b) noexcept {
  if constexpr (sizeof(T) == 1)
    return vorrq_u8(a, b);
  else if constexpr (sizeof(T) == 2)
    return vorrq_u16(a, b);
  else if constexpr (sizeof(T) == 4)
    return vorrq_u32(a, b);
  else
    return vorrq_u64(a, b);
}
// a & ~b
template <class T>
TALLY_INLINE mask<T> m_andnot(mask<T> a, mask<T> b) noexcept {
  if constexpr (sizeof(T) == 1)
    return vbicq_u8(a, b);
  else if constexpr (sizeof(T) == 2)
    return vbicq_u16(a, b);
  else if constexpr (sizeof(T) == 4)
    return vbicq_u32(a, b);
  else
    return vbicq_u64(a, b);
}
template <class T>
TALLY_INLINE mask<T> m_none() noexcept {
  return reg<T>(set1<T>(T(0)));
}
template <class T>
TALLY_INLINE mask<T> m_all() noexcept {
  return reg<T>(set1<T>(static_cast<T>(~T(0))));
}
template <class T>
TALLY_INLINE bool any(mask<T> m) noexcept {
  if constexpr (sizeof(T) == 1)
    return vmaxvq_u8(m) != 0;
  else if constexpr (sizeof(T) == 2)
    return vmaxvq_u16(m) != 0;
  else if constexpr (sizeof(T) == 4)
    return vmaxvq_u32(m) != 0;
  else
    return (vgetq_lane_u64(m, 0) | vgetq_lane_u64(m, 1)) != 0;
}

// Compares of floats already give integer masks.
TALLY_INLINE uint8x16_t int_mask(uint8x16_t m) noexcept { return m; }
TALLY_INLINE uint16x8_t int_mask(uint16x8_t m) noexcept { return m; }
TALLY_INLINE uint32x4_t int_mask(uint32x4_t m) noexcept { return m; }
TALLY_INLINE uint64x2_t int_mask(uint64x2_t m) noexcept { return m; }

// Two masks of T lanes (a first) as one of half-width lanes: the low halves of the lanes.
template <class T>
TALLY_INLINE auto pack2(mask<T> a, mask<T> b) noexcept {
  if constexpr (sizeof(T) == 2)
    return vuzp1q_u8(vreinterpretq_u8_u16(a), vreinterpretq_u8_u16(b));
  else if constexpr (sizeof(T) == 4)
    return vuzp1q_u16(vreinterpretq_u16_u32(a), vreinterpretq_u16_u32(b));
  else
    return vuzp1q_u32(vreinterpretq_u32_u64(a), vreinterpretq_u32_u64(b));
}

template <class T>
TALLY_INLINE uint8x16_t mask_to_u8(const mask<T>* m) noexcept {
  if constexpr (sizeof(T) == 1) {
    return m[0];
  } else if constexpr (sizeof(T) == 2) {
    return pack2<T>(m[0], m[1]);
  } else if constexpr (sizeof(T) == 4) {
    return pack2<std::uint16_t>(pack2<T>(m[0], m[1]), pack2<T>(m[2], m[3]));
  } else {
    const uint32x4_t a = pack2<T>(m[0], m[1]), b = pack2<T>(m[2], m[3]);
    const uint32x4_t c = pack2<T>(m[4], m[5]), d = pack2<T>(m[6], m[7]);
    return pack2<std::uint16_t>(pack2<std::uint32_t>(a, b), pack2<std::uint32_t>(c, d));
  }
}

// Two registers of T lanes as one of half-width lanes, saturating (unsigned) at the narrow max.
template <class T>
TALLY_INLINE auto narrow2(reg<T> a, reg<T> b) noexcept {
  if constexpr (sizeof(T) == 2)
    return vqmovn_high_u16(vqmovn_u16(a), b);
  else if constexpr (sizeof(T) == 4)
    return vqmovn_high_u32(vqmovn_u32(a), b);
  else
    return vqmovn_high_u64(vqmovn_u64(a), b);
}

// The sizeof(T) registers of a step as one register of bytes, saturating (unsigned) at 255.
template <class T>
TALLY_INLINE uint8x16_t to_u8(const reg<T>* r) noexcept {
  if constexpr (sizeof(T) == 1) {
    return r[0];
  } else if constexpr (sizeof(T) == 2) {
    return narrow2<T>(r[0], r[1]);
  } else if constexpr (sizeof(T) == 4) {
    return narrow2<std::uint16_t>(narrow2<T>(r[0], r[1]), narrow2<T>(r[2], r[3]));
  } else {
    const uint32x4_t a = narrow2<T>(r[0], r[1]), b = narrow2<T>(r[2], r[3]);
    const uint32x4_t c = narrow2<T>(r[4], r[5]), d = narrow2<T>(r[6], r[7]);
    return narrow2<std::uint16_t>(narrow2<std::uint32_t>(a, b), narrow2<std::uint32_t>(c, d));
  }
}

// One register of T lanes as two of double-width lanes (zero-extended), in lane order.
template <class T, class D>
TALLY_INLINE void widen2(reg<T> v, D& lo, D& hi) noexcept {
  if constexpr (sizeof(T) == 1) {
    lo = vmovl_u8(vget_low_u8(v));
    hi = vmovl_high_u8(v);
  } else if constexpr (sizeof(T) == 2) {
    lo = vmovl_u16(vget_low_u16(v));
    hi = vmovl_high_u16(v);
  } else {
    lo = vmovl_u32(vget_low_u32(v));
    hi = vmovl_high_u32(v);
  }
}

// ---- byte lanes: counters, bit masks, pair indexes ----

// v with the lanes of m set to 0xFF.
TALLY_INLINE uint8x16_t fill_ff(uint8x16_t v, uint8x16_t m) noexcept { return vorrq_u8(v, m); }

// c + 1 in the lanes of m.
TALLY_INLINE uint8x16_t inc(uint8x16_t c, uint8x16_t m) noexcept { return vsubq_u8(c, m); }

TALLY_INLINE std::uint64_t byte_sum(uint8x16_t v) noexcept { return vaddlvq_u8(v); }

// The lanes of v that m selects, in order, stored at dst; returns how many. A lane at a time:
// NEON has no compress, and large_streams is off on this rung.
TALLY_INLINE std::size_t compress_u32(std::uint32_t* dst, uint32x4_t m, uint32x4_t v) noexcept {
  std::uint32_t x[4], b[4];
  vst1q_u32(x, v);
  vst1q_u32(b, m);
  std::size_t k = 0;
  for (std::size_t j = 0; j < 4; ++j)
    if (b[j]) dst[k++] = x[j];
  return k;
}

// Bit k set for lane k of a byte mask: each lane keeps one bit of its weight, then the halves
// are summed.
TALLY_INLINE std::uint64_t bits(uint8x16_t m) noexcept {
  const uint8x16_t weights = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t x = vandq_u8(m, weights);
  return static_cast<std::uint64_t>(vaddv_u8(vget_low_u8(x))) |
         (static_cast<std::uint64_t>(vaddv_u8(vget_high_u8(x))) << 8);
}

// The first n lanes (n <= 16).
TALLY_INLINE uint8x16_t first_n(std::size_t n) noexcept {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vcltq_u8(lanes, vdupq_n_u8(static_cast<std::uint8_t>(n)));
}

// out[k] = hi[k] * mult + lo[k] for the 16 lanes.
TALLY_INLINE void store_pair_index(std::uint16_t* out, uint8x16_t hi, uint8x16_t lo,
                                   std::uint8_t mult) noexcept {
  vst1q_u16(out, vmlal_u8(vmovl_u8(vget_low_u8(lo)), vget_low_u8(hi), vdup_n_u8(mult)));
  vst1q_u16(out + 8, vmlal_high_u8(vmovl_high_u8(lo), hi, vdupq_n_u8(mult)));
}

}  // namespace ops

#include "generic/kernels.inl"

}  // namespace simd_neon
}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_SIMD_NEON
#endif  // TALLY_DETAIL_KERNELS_NEON_HPP
