// tests/support/emulate_x86.hpp — test-only: compiles the AVX2 and AVX-512 rungs against SIMDe's
// portable implementations of the x86 intrinsics (Debian: libsimde-dev), so that their code runs
// and is checked on any x86-64 CPU, AVX-512 VBMI2 included. Force-included (-include) before
// everything else by the tally_emulated_tests target; the intrinsics SIMDe 0.7 lacks are written
// below, lane by lane, from Intel's definitions.
#ifndef TALLY_TESTS_EMULATE_X86_HPP
#define TALLY_TESTS_EMULATE_X86_HPP

#define TALLY_KERNELS_EMULATED 1
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cstddef>
#include <cstdint>

// SIMDe's native aliases cover the vector types, not the mask types.
typedef simde__mmask8 __mmask8;
typedef simde__mmask16 __mmask16;
typedef simde__mmask32 __mmask32;
typedef simde__mmask64 __mmask64;

namespace tally_emulated {

template <class T, std::size_t N>
struct lanes {
  T v[N];
};

template <class T, std::size_t N>
inline lanes<T, N> of512(simde__m512i a) {
  lanes<T, N> l;
  simde_mm512_storeu_si512(l.v, a);
  return l;
}
template <class T, std::size_t N>
inline lanes<T, N> of256(simde__m256i a) {
  lanes<T, N> l;
  simde_mm256_storeu_si256(reinterpret_cast<simde__m256i*>(l.v), a);
  return l;
}
template <class T, std::size_t N>
inline simde__m512i to512(const lanes<T, N>& l) {
  return simde_mm512_loadu_si512(l.v);
}
template <class T, std::size_t N>
inline simde__m256i to256(const lanes<T, N>& l) {
  return simde_mm256_loadu_si256(reinterpret_cast<const simde__m256i*>(l.v));
}
template <class T, std::size_t N>
inline simde__m128i to128(const lanes<T, N>& l) {
  return simde_mm_loadu_si128(reinterpret_cast<const simde__m128i*>(l.v));
}

// Saturating unsigned narrowing of the lanes of a, zeros above them (To of N lanes).
template <class From, class To, std::size_t N, std::size_t Out>
inline lanes<To, Out> narrow_sat(simde__m512i a) {
  const lanes<From, N> x = of512<From, N>(a);
  lanes<To, Out> y{};
  const From top = static_cast<From>(static_cast<To>(~To(0)));
  for (std::size_t i = 0; i < N; ++i) y.v[i] = static_cast<To>(x.v[i] > top ? top : x.v[i]);
  return y;
}

template <class From, class To, std::size_t N>
inline simde__m512i widen(simde__m256i a) {
  const lanes<From, N> x = of256<From, N>(a);
  lanes<To, N> y{};
  for (std::size_t i = 0; i < N; ++i) y.v[i] = x.v[i];
  return to512(y);
}

template <class T, std::size_t N>
inline std::uint64_t testn_mask(simde__m512i a, simde__m512i b) {
  const lanes<T, N> x = of512<T, N>(a), y = of512<T, N>(b);
  std::uint64_t m = 0;
  for (std::size_t i = 0; i < N; ++i) m |= static_cast<std::uint64_t>((x.v[i] & y.v[i]) == 0) << i;
  return m;
}

}  // namespace tally_emulated

inline simde__m256i _mm512_cvtusepi16_epi8(simde__m512i a) {
  return tally_emulated::to256(tally_emulated::narrow_sat<std::uint16_t, std::uint8_t, 32, 32>(a));
}
inline simde__m128i _mm512_cvtusepi32_epi8(simde__m512i a) {
  return tally_emulated::to128(tally_emulated::narrow_sat<std::uint32_t, std::uint8_t, 16, 16>(a));
}
inline simde__m128i _mm512_cvtusepi64_epi8(simde__m512i a) {
  return tally_emulated::to128(tally_emulated::narrow_sat<std::uint64_t, std::uint8_t, 8, 16>(a));
}
inline simde__m256i _mm512_cvtusepi32_epi16(simde__m512i a) {
  return tally_emulated::to256(tally_emulated::narrow_sat<std::uint32_t, std::uint16_t, 16, 16>(a));
}
inline simde__m256i _mm512_cvtusepi64_epi32(simde__m512i a) {
  return tally_emulated::to256(tally_emulated::narrow_sat<std::uint64_t, std::uint32_t, 8, 8>(a));
}
inline simde__m512i _mm512_cvtepu8_epi16(simde__m256i a) {
  return tally_emulated::widen<std::uint8_t, std::uint16_t, 32>(a);
}
inline simde__m512i _mm512_cvtepu16_epi32(simde__m256i a) {
  return tally_emulated::widen<std::uint16_t, std::uint32_t, 16>(a);
}
inline simde__m512i _mm512_cvtepu32_epi64(simde__m256i a) {
  return tally_emulated::widen<std::uint32_t, std::uint64_t, 8>(a);
}
// kunpck: the low half of the result is b's, the high half a's.
inline simde__mmask64 _mm512_kunpackd(simde__mmask64 a, simde__mmask64 b) {
  return (a << 32) | (b & 0xFFFFFFFFull);
}
inline simde__mmask32 _mm512_kunpackw(simde__mmask32 a, simde__mmask32 b) {
  return static_cast<simde__mmask32>(((a & 0xFFFFu) << 16) | (b & 0xFFFFu));
}
inline simde__mmask16 _mm512_kunpackb(simde__mmask16 a, simde__mmask16 b) {
  return static_cast<simde__mmask16>(((a & 0xFFu) << 8) | (b & 0xFFu));
}
inline simde__mmask64 _mm512_testn_epi8_mask(simde__m512i a, simde__m512i b) {
  return tally_emulated::testn_mask<std::uint8_t, 64>(a, b);
}
inline simde__mmask32 _mm512_testn_epi16_mask(simde__m512i a, simde__m512i b) {
  return static_cast<simde__mmask32>(tally_emulated::testn_mask<std::uint16_t, 32>(a, b));
}
inline simde__mmask16 _mm512_testn_epi32_mask(simde__m512i a, simde__m512i b) {
  return static_cast<simde__mmask16>(tally_emulated::testn_mask<std::uint32_t, 16>(a, b));
}
inline simde__mmask32 _mm512_cmpeq_epi16_mask(simde__m512i a, simde__m512i b) {
  const auto x = tally_emulated::of512<std::uint16_t, 32>(a);
  const auto y = tally_emulated::of512<std::uint16_t, 32>(b);
  simde__mmask32 m = 0;
  for (std::size_t i = 0; i < 32; ++i) m |= static_cast<simde__mmask32>(x.v[i] == y.v[i]) << i;
  return m;
}
inline long long _mm512_reduce_add_epi64(simde__m512i a) {
  const auto x = tally_emulated::of512<std::uint64_t, 8>(a);
  std::uint64_t s = 0;
  for (std::uint64_t v : x.v) s += v;
  return static_cast<long long>(s);
}
inline simde__m512i _mm512_maskz_compress_epi8(simde__mmask64 k, simde__m512i a) {
  const auto x = tally_emulated::of512<std::uint8_t, 64>(a);
  tally_emulated::lanes<std::uint8_t, 64> y{};
  std::size_t j = 0;
  for (std::size_t i = 0; i < 64; ++i)
    if ((k >> i) & 1) y.v[j++] = x.v[i];
  return tally_emulated::to512(y);
}

// SIMDe 0.7.4 answers 1 for every input on x86-64 without SSE4.1 (checked: a register with one
// 0xFF byte).
#undef _mm256_testz_si256
inline int _mm256_testz_si256(simde__m256i a, simde__m256i b) {
  const auto x = tally_emulated::of256<std::uint64_t, 4>(a);
  const auto y = tally_emulated::of256<std::uint64_t, 4>(b);
  std::uint64_t r = 0;
  for (std::size_t i = 0; i < 4; ++i) r |= x.v[i] & y.v[i];
  return r == 0;
}

#endif  // TALLY_TESTS_EMULATE_X86_HPP
