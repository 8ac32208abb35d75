// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_CPU_HPP
#define TALLY_DETAIL_CPU_HPP

// Runtime choice of SIMD code. Users compile tally with their own flags (usually -O2 and no
// -march), where g++ vectorizes almost nothing; so the fast kernels are compiled for AVX2 and
// AVX-512 with function target attributes and chosen once, at run time, from what the CPU
// supports. Other compilers and CPUs get the portable scalar kernels.
//
// TALLY_ISA=scalar|avx2|avx512 in the environment caps the choice (to compare kernels, or to
// work around a CPU problem); set_isa_cap() does the same from code (the tests use it).

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "../version.hpp"

#if !defined(TALLY_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
#define TALLY_X86_SIMD 1
#define TALLY_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))
#define TALLY_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,bmi,bmi2,popcnt")))
#define TALLY_TARGET_AVX512_VBMI2 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi2,avx2,bmi,bmi2,popcnt")))
#else
#define TALLY_X86_SIMD 0
#endif

// Loops over a compile-time number of SIMD registers must be unrolled, or g++ -O2 keeps the
// "registers" in a stack array and every step goes through memory.
#if defined(__clang__)
#define TALLY_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TALLY_UNROLL _Pragma("GCC unroll 32")
#else
#define TALLY_UNROLL
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

enum class isa : int { scalar = 0, avx2 = 1, avx512 = 2 };

[[nodiscard]] inline const char* to_string(isa i) noexcept {
  switch (i) {
    case isa::scalar: return "scalar";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
  }
  return "?";
}

[[nodiscard]] inline isa detect_isa() noexcept {
  isa best = isa::scalar;
#if TALLY_X86_SIMD
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("popcnt"))
    best = isa::avx2;
  if (best == isa::avx2 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    best = isa::avx512;
#endif
  if (const char* env = std::getenv("TALLY_ISA")) {
    isa cap = best;
    if (std::strcmp(env, "scalar") == 0)
      cap = isa::scalar;
    else if (std::strcmp(env, "avx2") == 0)
      cap = isa::avx2;
    else if (std::strcmp(env, "avx512") == 0)
      cap = isa::avx512;
    if (static_cast<int>(cap) < static_cast<int>(best)) best = cap;
  }
  return best;
}

// AVX-512 VBMI2 (byte compress: Ice Lake, Zen 4 and later) on top of isa::avx512.
[[nodiscard]] inline bool detect_vbmi2() noexcept {
#if TALLY_X86_SIMD
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vbmi2");
#else
  return false;
#endif
}

[[nodiscard]] inline bool has_vbmi2() noexcept {
  static const bool value = detect_vbmi2();
  return value;
}

[[nodiscard]] inline isa detected_isa() noexcept {
  static const isa value = detect_isa();
  return value;
}

inline std::atomic<int>& isa_cap_storage() noexcept {
  static std::atomic<int> cap{static_cast<int>(isa::avx512)};
  return cap;
}

/// Caps the kernels used from now on (for tests and benchmarks); returns the previous cap.
inline isa set_isa_cap(isa cap) noexcept {
  return static_cast<isa>(isa_cap_storage().exchange(static_cast<int>(cap)));
}

/// The instruction set the kernels use: what the CPU has, capped by TALLY_ISA and set_isa_cap.
[[nodiscard]] inline isa active_isa() noexcept {
  const int cap = isa_cap_storage().load(std::memory_order_relaxed);
  const int have = static_cast<int>(detected_isa());
  return static_cast<isa>(cap < have ? cap : have);
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_CPU_HPP
