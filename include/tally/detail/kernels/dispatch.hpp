// tally/detail/kernels/dispatch.hpp — the one dispatch point: each kernel entry point runs the
// rung of the ISA ladder that active_isa() names.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_DISPATCH_HPP
#define TALLY_DETAIL_KERNELS_DISPATCH_HPP

#include "../isa.hpp"
#include "api.hpp"
#include "avx2.hpp"
#include "avx512.hpp"
#include "neon.hpp"
#include "scalar.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// f(tag) with the tag of the active rung; each rung's functions are found through their tag
// (argument-dependent lookup in the rung's namespace).
template <class F>
decltype(auto) with_rung(F&& f) {
  switch (active_isa()) {
#if TALLY_SIMD_AVX512
    case isa::avx512vbmi2: return f(simd_avx512::vbmi2_tag{});
    case isa::avx512: return f(simd_avx512::tag{});
#endif
#if TALLY_SIMD_X86
    case isa::avx2: return f(simd_avx2::tag{});
#endif
#if TALLY_SIMD_NEON
    case isa::neon: return f(simd_neon::tag{});
#endif
    default: return f(scalar::tag{});
  }
}

namespace kernels {

template <class P, class T>
bool count_class_labels(const P* p, const T* t, std::size_t n, std::size_t C,
                        const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                        label_scratch& scratch) {
  return with_rung(
      [&](auto tag) { return class_labels(tag, p, t, n, C, pr, tr, out, scratch); });
}

template <class P, class T>
bool count_label_table(const P* p, const T* t, std::size_t n, std::size_t C,
                       const label_rule<P>& pr, const label_rule<T>& tr, std::uint64_t* table,
                       label_scratch& scratch) {
  return with_rung([&](auto tag) { return label_table(tag, p, t, n, C, pr, tr, table, scratch); });
}

template <class L, class S>
bool argmax_block(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) {
  return with_rung([&](auto tag) { return argmax(tag, s, C, R, m, out); });
}

template <class P, class T>
void count_binary(const P* p, const T* t, std::size_t N, std::size_t L, std::size_t R,
                  const label_rule<T>& rule, const binary_thresholds<P>& th, std::size_t rounds,
                  binary_tally* out, unsigned& flags) {
  with_rung([&](auto tag) { binary(tag, p, t, N, L, R, rule, th, rounds, out, flags); });
}

template <class X, class Y>
bool count_onehot_index(const X* x, const Y* y, std::size_t C, std::size_t R,
                        const label_rule<Y>& rule, bool x_everywhere, std::uint64_t* both,
                        std::uint64_t* xs, std::uint64_t* ys) {
  return with_rung(
      [&](auto tag) { return onehot_index(tag, x, y, C, R, rule, x_everywhere, both, xs, ys); });
}

}  // namespace kernels
}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_KERNELS_DISPATCH_HPP
