// tally/detail/isa.hpp — which instruction set the counting kernels run on: the ladder, run-time
// detection, the TALLY_ISA cap and the test hook.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_ISA_HPP
#define TALLY_DETAIL_ISA_HPP

// Users compile tally with their own flags (usually -O2, no -march), where compilers vectorize
// almost nothing. So the kernels are compiled for each instruction set below with target
// attributes, and the best one this CPU runs is chosen once, at run time. The ladders:
//
//   x86-64:   scalar < avx2 < avx512 < avx512vbmi2      (g++ / clang++)
//   aarch64:  scalar < neon                             (NEON is part of every ARMv8-A CPU)
//   other:    scalar
//
// TALLY_ISA=scalar|avx2|avx512|avx512vbmi2|neon in the environment caps the choice (to compare
// kernels, or to work around a CPU problem); set_isa_cap() does the same from code (the tests).
// Defining TALLY_NO_SIMD compiles the scalar kernels only; TALLY_NO_AVX512 the x86 ladder without
// its AVX-512 rungs (scalar < avx2: shorter compiles and smaller programs where no CPU that runs
// them has AVX-512). Either must be defined alike in every translation unit of a program.

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "../version.hpp"

#if !defined(TALLY_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define TALLY_SIMD_X86 1
#else
#define TALLY_SIMD_X86 0
#endif

#if TALLY_SIMD_X86 && !defined(TALLY_NO_AVX512)
#define TALLY_SIMD_AVX512 1
#else
#define TALLY_SIMD_AVX512 0
#endif

#if !defined(TALLY_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && \
    defined(__aarch64__) && defined(__ARM_NEON)
#define TALLY_SIMD_NEON 1
#else
#define TALLY_SIMD_NEON 0
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

// Enumerators of both ladders; rank() orders one ladder (a cap compares by rank).
enum class isa : int { scalar = 0, avx2 = 1, avx512 = 2, avx512vbmi2 = 3, neon = 4 };

[[nodiscard]] constexpr int rank(isa i) noexcept {
  return i == isa::neon ? 1 : static_cast<int>(i);
}

[[nodiscard]] constexpr const char* to_string(isa i) noexcept {
  switch (i) {
    case isa::scalar: return "scalar";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
    case isa::avx512vbmi2: return "avx512vbmi2";
    case isa::neon: return "neon";
  }
  return "?";
}

// This platform's ladder, lowest first, and its length.
#if TALLY_SIMD_AVX512
inline constexpr isa ladder[] = {isa::scalar, isa::avx2, isa::avx512, isa::avx512vbmi2};
#elif TALLY_SIMD_X86
inline constexpr isa ladder[] = {isa::scalar, isa::avx2};
#elif TALLY_SIMD_NEON
inline constexpr isa ladder[] = {isa::scalar, isa::neon};
#else
inline constexpr isa ladder[] = {isa::scalar};
#endif
inline constexpr int ladder_size = static_cast<int>(sizeof(ladder) / sizeof(ladder[0]));

// The rung of this ladder at rank r (clamped).
[[nodiscard]] constexpr isa at_rank(int r) noexcept {
  return ladder[r < 0 ? 0 : r >= ladder_size ? ladder_size - 1 : r];
}

// What the CPU runs, before any cap.
[[nodiscard]] inline isa detect_cpu() noexcept {
#if defined(TALLY_KERNELS_EMULATED)
  // Tests only: the x86 rungs are compiled against a portable emulation of their intrinsics
  // (tests/support/emulate_x86.hpp), so every rung runs on any CPU.
  return isa::avx512vbmi2;
#elif TALLY_SIMD_X86
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("popcnt")))
    return isa::scalar;
  if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")))
    return isa::avx2;
  return __builtin_cpu_supports("avx512vbmi2") ? isa::avx512vbmi2 : isa::avx512;
#elif TALLY_SIMD_NEON
  return isa::neon;
#else
  return isa::scalar;
#endif
}

// The rank TALLY_ISA names, or -1 when it is unset or names no rung.
[[nodiscard]] inline int environment_cap() noexcept {
  const char* env = std::getenv("TALLY_ISA");
  if (!env) return -1;
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::avx512vbmi2, isa::neon})
    if (std::strcmp(env, to_string(i)) == 0) return rank(i);
  return -1;
}

// The CPU's rung capped by TALLY_ISA, decided once.
[[nodiscard]] inline isa detected_isa() noexcept {
  static const isa value = [] {
    const int have = rank(detect_cpu()), cap = environment_cap();
    return at_rank(cap >= 0 && cap < have ? cap : have);
  }();
  return value;
}

inline std::atomic<int>& isa_cap_storage() noexcept {
  static std::atomic<int> cap{ladder_size - 1};
  return cap;
}

/// Caps the kernels used from now on (tests and benchmarks); returns the previous cap.
inline isa set_isa_cap(isa cap) noexcept {
  return at_rank(isa_cap_storage().exchange(rank(cap)));
}

/// The instruction set the kernels use now: detected_isa() capped by set_isa_cap().
[[nodiscard]] inline isa active_isa() noexcept {
  const int cap = isa_cap_storage().load(std::memory_order_relaxed);
  const int have = rank(detected_isa());
  return at_rank(cap < have ? cap : have);
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_ISA_HPP
