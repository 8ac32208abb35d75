// tally/detail/kernels.hpp — the counting kernels for any label type: erase the type to its word,
// run the width-erased kernel (defined inline, or in the compiled tally::kernels library).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_HPP
#define TALLY_DETAIL_KERNELS_HPP

// Every kernel validates, drops ignored targets and counts in one pass. None throws: a kernel
// reports that its input holds an invalid value (it returns false, or sets a flag), and the
// caller rescans with the scalar reference (count.hpp) to name the first offender in its error.
//
// The entry points below take any label type. They erase it to an unsigned word of the same width
// (label_rule already compares label bits, so int32 and uint32 count alike), which is what the
// kernels are compiled for: u8, u16, u32 and u64 labels, float and double scores. Behind each
// entry point one dispatch (kernels/dispatch.hpp) picks the rung of the ISA ladder (isa.hpp).
//
// With TALLY_COMPILED_KERNELS defined (the tally::kernels CMake target), the kernels are
// compiled once into a library and this header only declares them, which keeps the intrinsics
// headers and the per-ISA code out of users' translation units.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/api.hpp"
#include "labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// ---- entry points for any label type ------------------------------------------------------------

template <class P, class T>
[[nodiscard]] bool count_class_labels(const P* p, const T* t, std::size_t n, std::size_t C,
                                      const label_rule<P>& pr, const label_rule<T>& tr,
                                      class_counts_out out, label_scratch& scratch) {
  return kernels::count_class_labels(as_words(p), as_words(t), n, C, erase_rule(pr),
                                     erase_rule(tr), out, scratch);
}

template <class P, class T>
[[nodiscard]] bool count_label_table(const P* p, const T* t, std::size_t n, std::size_t C,
                                     const label_rule<P>& pr, const label_rule<T>& tr,
                                     std::uint64_t* table, label_scratch& scratch) {
  return kernels::count_label_table(as_words(p), as_words(t), n, C, erase_rule(pr),
                                    erase_rule(tr), table, scratch);
}

template <class L, class S>
[[nodiscard]] bool argmax_block(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) {
  static_assert(std::is_unsigned_v<L> && sizeof(L) <= 4, "tally: argmax labels are u8, u16, u32");
  return kernels::argmax_block(s, C, R, m, out);
}

// Binary and multilabel counting (see kernels::count_binary); the binary task is L = 1.
// When flags.invalid ends up set, the counts are unspecified (the caller discards them).
template <class P, class T>
void count_multilabel(const P* preds, const T* target, std::size_t N, std::size_t L,
                      std::size_t R, const label_rule<T>& rule, const binary_thresholds<P>& th,
                      binary_tally* out, binary_flags& flags,
                      std::size_t rounds = binary_max_rounds) {
  static_assert(std::is_integral_v<T>, "tally: target must be integral");
  static_assert(std::is_integral_v<P> || std::is_floating_point_v<P>,
                "tally: preds must be integral or floating-point");
  unsigned fl = 0;
  binary_thresholds<binary_pred_t<P>> w{};
  if constexpr (std::is_floating_point_v<P>) w = th;
  const auto* p = reinterpret_cast<const binary_pred_t<P>*>(preds);
  kernels::count_binary(p, as_words(target), N, L, R, erase_rule(rule), w, rounds, out, fl);
  if (fl & binary_invalid) flags.invalid = true;
  if (fl & binary_outside_all) flags.outside_all = true;
  if (fl & binary_outside_kept) flags.outside_kept = true;
}

// DiceScore's one-hot against index counting (see kernels::count_onehot_index).
template <class X, class Y>
[[nodiscard]] bool count_onehot_index(const X* x, const Y* y, std::size_t C, std::size_t R,
                                      const label_rule<Y>& rule, bool x_everywhere,
                                      std::uint64_t* both, std::uint64_t* xs, std::uint64_t* ys) {
  return kernels::count_onehot_index(as_words(x), as_words(y), C, R, erase_rule(rule),
                                     x_everywhere, both, xs, ys);
}

}  // namespace detail
TALLY_NAMESPACE_END

#if defined(TALLY_COMPILED_KERNELS)
#include "kernels/instances.hpp"  // extern template declarations; definitions in the library
#else
#include "kernels/impl.hpp"       // the definitions, compiled in this translation unit
#endif

#endif  // TALLY_DETAIL_KERNELS_HPP
