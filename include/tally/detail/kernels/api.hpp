// tally/detail/kernels/api.hpp — the kernels' vocabulary: their inputs and outputs, the test
// hook that forces a label kernel, width erasure, and the width-erased entry points that every
// rung implements (kernels/dispatch.hpp picks one).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_API_HPP
#define TALLY_DETAIL_KERNELS_API_HPP

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "../isa.hpp"
#include "../labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// ---- multiclass labels ------------------------------------------------------------------------

// Per-class outputs of a kernel: added to, never overwritten.
struct class_counts_out {
  std::uint64_t* tp;
  std::uint64_t* pred;
  std::uint64_t* target;
};

// Reusable buffers of one update (kernels run per chunk or per sample).
struct label_scratch {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint16_t> bins;
  std::vector<std::uint32_t> table;
  std::vector<std::uint64_t> hist;
};

// The largest class count of the (C*C + 2)-bin table (count_label_table).
inline constexpr std::size_t table_max_classes = 64;

// Which kernel count_class_labels runs. `automatic` chooses by C, the rung and the data (see
// kernels/generic/labels.inl); the others force one wherever it can count C classes (per_class
// and hit_miss: C <= 255 on SIMD rungs; table: C <= 64), for the tests.
enum class label_kernel : int { automatic, per_class, hit_miss, table, large };

inline std::atomic<int>& label_kernel_storage() noexcept {
  static std::atomic<int> k{0};
  return k;
}

/// Forces a label kernel from now on (tests); returns the previous setting.
inline label_kernel set_label_kernel(label_kernel k) noexcept {
  return static_cast<label_kernel>(label_kernel_storage().exchange(static_cast<int>(k)));
}

[[nodiscard]] inline label_kernel forced_label_kernel() noexcept {
  return static_cast<label_kernel>(label_kernel_storage().load(std::memory_order_relaxed));
}

// ---- binary and multilabel decisions -----------------------------------------------------------

// Counts of one binary decision unit (a label, or the whole binary task) under both readings of
// floating preds, so one pass over the data serves the per-update logit rule (decided only after
// the whole update has been seen: logits iff any value lies outside [0, 1]).
// Integral preds are labels: positive iff pred == 1; only the *_prob fields are filled.
struct binary_tally {
  std::uint64_t tp_prob = 0, pred_prob = 0;    // positive iff p > th.prob   (probabilities)
  std::uint64_t tp_logit = 0, pred_logit = 0;  // positive iff p > th.logit  (logits)
  std::uint64_t target = 0;                    // kept elements whose target is 1
  std::uint64_t kept = 0;                      // elements whose target is not ignore_index
};

// For floating P:
//   prob:  the threshold rounded to P (torch compares in the preds' precision).
//   logit: the largest P value <= log(t / (1 - t)) (-inf for t = 0, +inf for t = 1), so that
//          p > logit  <=>  (double)p > log(t / (1 - t))  exactly, for every P value p.
// For integral P both are unused (binary_thresholds<P>{} is fine).
template <class P>
struct binary_thresholds {
  P prob{};
  P logit{};
};

template <class P>
[[nodiscard]] binary_thresholds<P> make_binary_thresholds(double threshold) {
  binary_thresholds<P> th{};
  if constexpr (std::is_floating_point_v<P>) {
    constexpr P inf = std::numeric_limits<P>::infinity();
    th.prob = static_cast<P>(threshold);
    if (threshold <= 0.0) {
      th.logit = -inf;
    } else if (threshold >= 1.0) {
      th.logit = inf;
    } else {
      const double x = std::log(threshold / (1.0 - threshold));
      P f = static_cast<P>(x);
      // Compared in the wider of P and double, where both values are exact.
      if (f > x) f = std::nextafter(f, -inf);
      th.logit = f;
    }
  } else {
    (void)threshold;
  }
  return th;
}

struct binary_flags {
  bool outside_all = false;   // some pred (any position) lies outside [0, 1] (±inf count, NaN not)
  bool outside_kept = false;  // same, looking only at kept positions
  bool invalid = false;       // a target neither 0, 1 nor ignore_index; an integral pred not 0/1 at
                              // a kept position; or a NaN pred anywhere (ignored positions too)
};

// The flag bits the binary kernels set.
enum : unsigned { binary_invalid = 1u, binary_outside_all = 2u, binary_outside_kept = 4u };

// Byte lane counters take at most this many increments between folds (tests pass fewer).
inline constexpr std::size_t binary_max_rounds = 255;

// ---- width erasure ----------------------------------------------------------------------------

// The unsigned word a label type is counted as (bool as one byte).
template <class T>
using word_t = label_bits_t<T>;

template <class T>
[[nodiscard]] constexpr label_rule<word_t<T>> erase_rule(const label_rule<T>& r) noexcept {
  label_rule<word_t<T>> w;
  w.limit = r.limit;
  w.has_ignore = r.has_ignore;
  w.ignore = r.has_ignore ? label_bits(r.ignore) : word_t<T>{};
  return w;
}

// Reading a label array as its words: signed and unsigned variants of a type may alias, and
// bool and unsigned char are read byte by byte.
template <class T>
[[nodiscard]] inline const word_t<T>* as_words(const T* p) noexcept {
  return reinterpret_cast<const word_t<T>*>(p);
}

// Preds of the binary kernels: labels become words, floats stay.
template <class P, bool = std::is_floating_point_v<P>>
struct binary_pred {
  using type = word_t<P>;
};
template <class P>
struct binary_pred<P, true> {
  using type = P;
};
template <class P>
using binary_pred_t = typename binary_pred<P>::type;

// ---- the kernels, width-erased (defined in kernels/impl.hpp) -----------------------------------

namespace kernels {

// Adds the per-class counts of n label pairs; false if any value is invalid (the counts are then
// unspecified).
template <class P, class T>
bool count_class_labels(const P* p, const T* t, std::size_t n, std::size_t C,
                        const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                        label_scratch& scratch);

// Counts pairs into a (C*C + 2)-bin table (added to), C <= table_max_classes: t * C + p for counted
// pairs, then the ignored and the invalid bins. Returns false if an invalid value was met.
template <class P, class T>
bool count_label_table(const P* p, const T* t, std::size_t n, std::size_t C,
                       const label_rule<P>& pr, const label_rule<T>& tr, std::uint64_t* table,
                       label_scratch& scratch);

// Labels of m positions of scores laid out (C, R) (stride R between classes): the argmax over the
// classes, ties to the lowest index. Returns true if any score among them is NaN (the labels are
// then meaningless). L holds C - 1.
template <class L, class S>
bool argmax_block(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out);

// Binary decisions laid out (N, L, R): element (n, l, r) at flat index (n*L + l)*R + r belongs to
// label l. Adds the counts over samples [0, N) to out[0 .. L-1] and ORs binary_* bits into flags.
// `rule` is label_rule<T>(2, ignore_index); `th` is unused for integral P; `rounds` (1 .. 255) is
// the fold interval of the byte counters.
template <class P, class T>
void count_binary(const P* p, const T* t, std::size_t N, std::size_t L, std::size_t R,
                  const label_rule<T>& rule, const binary_thresholds<P>& th, std::size_t rounds,
                  binary_tally* out, unsigned& flags);

// One-hot against an index map, one sample (DiceScore's mixed input): the one-hot side X is laid
// out (C, R) and holds 0 or 1, the index side Y (R) holds labels checked by `rule` (limit C, and
// ignore_index when the index side is the target). Per class c adds, over positions whose index
// is not ignored: both[c] (X = 1 and Y = c), x[c] (X = 1), y[c] (Y = c). Returns false on an
// invalid value: a label outside the rule, or an X not 0/1 at a kept position (everywhere when
// `x_everywhere`).
template <class X, class Y>
bool count_onehot_index(const X* x, const Y* y, std::size_t C, std::size_t R,
                        const label_rule<Y>& rule, bool x_everywhere, std::uint64_t* both,
                        std::uint64_t* xs, std::uint64_t* ys);

}  // namespace kernels

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_KERNELS_API_HPP
