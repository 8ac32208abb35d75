// tally/detail/kernels/target.hpp — opening and closing a region of code compiled for one
// instruction set, and the unroll pragma the kernels' register loops need.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_TARGET_HPP
#define TALLY_DETAIL_KERNELS_TARGET_HPP

// Every function defined between TALLY_TARGET_BEGIN("avx2,...") and TALLY_TARGET_END is compiled
// for those features (templates and lambdas included), whatever flags the user's translation unit
// has: g++ through `#pragma GCC target`, clang through `#pragma clang attribute`. Headers of the
// standard library and the intrinsics must be included before the region opens.

#define TALLY_PRAGMA(x) _Pragma(#x)

#if defined(TALLY_KERNELS_EMULATED)
// Tests only: the intrinsics are portable functions (tests/support/emulate_x86.hpp).
#define TALLY_TARGET_BEGIN(features)
#define TALLY_TARGET_END
#elif defined(__clang__)
#define TALLY_TARGET_BEGIN(features) \
  TALLY_PRAGMA(clang attribute push(__attribute__((target(features))), apply_to = function))
#define TALLY_TARGET_END TALLY_PRAGMA(clang attribute pop)
#elif defined(__GNUC__)
// g++ 12 -Wall warns falsely ("may be used uninitialized") inside the AVX-512 intrinsic headers
// (their _mm512_undefined_* idiom), at every kernel that inlines them.
#define TALLY_TARGET_BEGIN(features)                        \
  TALLY_PRAGMA(GCC diagnostic push)                         \
  TALLY_PRAGMA(GCC diagnostic ignored "-Wmaybe-uninitialized") \
  TALLY_PRAGMA(GCC diagnostic ignored "-Wuninitialized")    \
  TALLY_PRAGMA(GCC push_options)                            \
  TALLY_PRAGMA(GCC target(features))
#define TALLY_TARGET_END TALLY_PRAGMA(GCC pop_options) TALLY_PRAGMA(GCC diagnostic pop)
#else
#define TALLY_TARGET_BEGIN(features)
#define TALLY_TARGET_END
#endif

// The operations and the step functions of the kernels must be inlined into their loops (g++
// otherwise calls a step per 32 elements, with the counters in memory).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(TALLY_KERNELS_EMULATED)
#define TALLY_INLINE inline __attribute__((always_inline))
#else
#define TALLY_INLINE inline
#endif

// Loops over a compile-time number of registers must be unrolled, or g++ -O2 keeps the
// "registers" in a stack array and every step goes through memory (up to 24 on the AVX-512
// VBMI2 hit/miss: 32, not 16).
#if defined(__clang__)
#define TALLY_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TALLY_UNROLL _Pragma("GCC unroll 32")
#else
#define TALLY_UNROLL
#endif

#endif  // TALLY_DETAIL_KERNELS_TARGET_HPP
