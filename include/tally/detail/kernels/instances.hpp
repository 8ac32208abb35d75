// tally/detail/kernels/instances.hpp — every instance of the width-erased kernels, as one list:
// declared `extern template` where the kernels are compiled separately (TALLY_COMPILED_KERNELS),
// defined in that library (src/tally_kernels.cpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_INSTANCES_HPP
#define TALLY_DETAIL_KERNELS_INSTANCES_HPP

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <vector>

#include "api.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {
using other_word =
    std::conditional_t<std::is_same_v<std::uint64_t, unsigned long> ||
                           std::is_same_v<std::uint32_t, unsigned long>,
                       unsigned long long, unsigned long>;
static_assert(!std::is_same_v<other_word, std::uint64_t> &&
                  !std::is_same_v<other_word, std::uint32_t>,
              "tally: the label words of this platform are not the expected ones");
}  // namespace detail
TALLY_NAMESPACE_END

// TALLY_KERNEL_INSTANCES(X) calls X(declaration) for each instance, where X is
// TALLY_KERNEL_EXTERN (`extern template` + declaration) or TALLY_KERNEL_DEFINE (`template` +
// declaration). The types are the kernels' own: unsigned label words of 1, 2, 4 and 8 bytes,
// float, double and long double scores.
#define TALLY_KERNEL_EXTERN(...) extern template __VA_ARGS__;
#define TALLY_KERNEL_DEFINE(...) template __VA_ARGS__;

#define TALLY_KERNEL_LABEL_PAIR(X, P, T)                                                        \
  X(bool count_class_labels<P, T>(const P*, const T*, std::size_t, std::size_t,              \
                                  const label_rule<P>&, const label_rule<T>&,                 \
                                  class_counts_out, label_scratch&))                          \
  X(bool count_label_table<P, T>(const P*, const T*, std::size_t, std::size_t,               \
                                 const label_rule<P>&, const label_rule<T>&, std::uint64_t*,  \
                                 label_scratch&))                                             \
  X(bool count_onehot_index<P, T>(const P*, const T*, std::size_t, std::size_t,              \
                                  const label_rule<T>&, bool, std::uint64_t*, std::uint64_t*, \
                                  std::uint64_t*))
#define TALLY_KERNEL_BINARY(X, P, T)                                                        \
  X(void count_binary<P, T>(const P*, const T*, std::size_t, std::size_t, std::size_t,     \
                            const label_rule<T>&, const binary_thresholds<P>&, std::size_t, \
                            binary_tally*, unsigned&))
#define TALLY_KERNEL_ARGMAX(X, L, S) \
  X(bool argmax_block<L, S>(const S*, std::size_t, std::size_t, std::size_t, L*))

// Label words are the unsigned standard types: besides uint8 ... uint64, the one of unsigned
// long and unsigned long long that uint64 (or uint32) is not (int64 is long on Linux, so
// long long labels are words of the other 8-byte type).
#define TALLY_KERNEL_FOR_TARGETS(M, X, P)                                       \
  M(X, P, std::uint8_t) M(X, P, std::uint16_t) M(X, P, std::uint32_t)           \
  M(X, P, std::uint64_t) M(X, P, tally::detail::other_word)
#define TALLY_KERNEL_FOR_LABELS(M, X)                                                        \
  TALLY_KERNEL_FOR_TARGETS(M, X, std::uint8_t) TALLY_KERNEL_FOR_TARGETS(M, X, std::uint16_t) \
  TALLY_KERNEL_FOR_TARGETS(M, X, std::uint32_t) TALLY_KERNEL_FOR_TARGETS(M, X, std::uint64_t) \
  TALLY_KERNEL_FOR_TARGETS(M, X, tally::detail::other_word)
#define TALLY_KERNEL_FOR_SCORES(M, X, L) M(X, L, float) M(X, L, double) M(X, L, long double)

// The list in four parts of about equal compile time, so that a build can compile the parts in
// parallel (src/tally_kernels.cpp with TALLY_KERNELS_PART = 0 ... 3; part 3 also compiles the
// passes below).
#define TALLY_KERNEL_INSTANCES_0(X)                                                \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_LABEL_PAIR, X, std::uint8_t)               \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_LABEL_PAIR, X, std::uint16_t)              \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_LABEL_PAIR, X, std::uint32_t)
#define TALLY_KERNEL_INSTANCES_1(X)                                                \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_LABEL_PAIR, X, std::uint64_t)              \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_LABEL_PAIR, X, tally::detail::other_word)  \
  TALLY_KERNEL_FOR_SCORES(TALLY_KERNEL_ARGMAX, X, std::uint8_t)                    \
  TALLY_KERNEL_FOR_SCORES(TALLY_KERNEL_ARGMAX, X, std::uint16_t)                   \
  TALLY_KERNEL_FOR_SCORES(TALLY_KERNEL_ARGMAX, X, std::uint32_t)
#define TALLY_KERNEL_INSTANCES_2(X) TALLY_KERNEL_FOR_LABELS(TALLY_KERNEL_BINARY, X)
#define TALLY_KERNEL_INSTANCES_3(X)                                                \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_BINARY, X, float)                          \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_BINARY, X, double)                         \
  TALLY_KERNEL_FOR_TARGETS(TALLY_KERNEL_BINARY, X, long double)
#define TALLY_KERNEL_INSTANCES(X)                              \
  TALLY_KERNEL_INSTANCES_0(X) TALLY_KERNEL_INSTANCES_1(X)      \
  TALLY_KERNEL_INSTANCES_2(X) TALLY_KERNEL_INSTANCES_3(X)

// The multiclass counting passes (count_multiclass_impl.hpp), in namespace detail; declared
// extern by count_multiclass.hpp.
#define TALLY_PASS_LABELS(X, P, T)                                                          \
  X(void count_multiclass_labels_words<P, T>(const P*, const T*, const multiclass_job&,   \
                                             std::vector<std::uint64_t>&))                \
  X(void count_multiclass_table_words<P, T>(const P*, const T*, const multiclass_job&,    \
                                            std::vector<std::uint64_t>&))
#define TALLY_PASS_SCORES(X, S, T)                                                          \
  X(void count_multiclass_scores_words<S, T>(const S*, const T*, const multiclass_job&,   \
                                             std::vector<std::uint64_t>&))                \
  X(void count_multiclass_table_words<S, T>(const S*, const T*, const multiclass_job&,    \
                                            std::vector<std::uint64_t>&))
#define TALLY_PASS_INSTANCES(X)                                  \
  TALLY_KERNEL_FOR_LABELS(TALLY_PASS_LABELS, X)                  \
  TALLY_KERNEL_FOR_TARGETS(TALLY_PASS_SCORES, X, float)          \
  TALLY_KERNEL_FOR_TARGETS(TALLY_PASS_SCORES, X, double)         \
  TALLY_KERNEL_FOR_TARGETS(TALLY_PASS_SCORES, X, long double)

#if defined(TALLY_COMPILED_KERNELS)
TALLY_NAMESPACE_BEGIN
namespace detail {
namespace kernels {
TALLY_KERNEL_INSTANCES(TALLY_KERNEL_EXTERN)
}  // namespace kernels
}  // namespace detail
TALLY_NAMESPACE_END
#endif

#endif  // TALLY_DETAIL_KERNELS_INSTANCES_HPP
