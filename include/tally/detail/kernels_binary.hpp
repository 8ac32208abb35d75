// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_BINARY_HPP
#define TALLY_DETAIL_KERNELS_BINARY_HPP

// Counting kernels for binary and multilabel decisions: one pass over preds and target gives, per
// label, the counts under both readings of floating preds (probabilities and logits), so the
// per-update logit rule (SEMANTICS 1.3) can be applied after the pass, plus the validation flags.
//
// Data layout (N, L, R): element (n, l, r) at flat index (n*L + l)*R + r belongs to label l.
// Which kernel runs (count_multilabel):
//  - scalar: no SIMD ISA, long double preds, fewer than scalar_below elements, or fewer than
//    few_rows samples with runs shorter than run_min_few. Also the reference for the tests.
//  - one unit (L == 1, the binary task): the whole array is one stream counted in registers.
//  - long runs (R >= run_min, or R >= run_min_few with few samples, e.g. samplewise updates that
//    pass N = 1): each contiguous (n, l) run of R elements is counted in registers and reduced
//    into label l.
//  - short runs, small period (S = lcm(L*R, W) <= period_max): the array is one stream; element i
//    adds to lane counter i mod S, which belongs to label ((i mod S) mod L*R) / R. This is the
//    (1e6, 20) case: R = 1, the label axis is the contiguous one.
//  - otherwise (short runs, long period): column blocks of at most block_max positions; each
//    block walks all N rows into per-position counters, then folds them into labels. Memory
//    stays O(block_max) whatever L*R is.
// A SIMD step covers W = 64 (AVX-512) or 32 (AVX2) elements: every quantity becomes a 64-bit
// mask (AVX-512) or a byte mask (AVX2), counted in byte lanes that are folded into the uint64
// totals every max_rounds = 255 increments. Lane counters live in registers (runs) or in a stack
// scratch of at most block_max * 6 bytes (periods, blocks): no heap allocation. Without an
// ignore_index, kept is not counted at all (it is the element count). Validation (targets,
// integral preds, NaN) is accumulated as masks; the [0, 1] range of floating preds is summarised
// per block of steps (see block_steps).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu.hpp"
#include "labels.hpp"

#if TALLY_X86_SIMD
#if defined(__GNUC__) && !defined(__clang__)
// g++ 12 -Wall warns falsely ("is / may be used uninitialized") inside the AVX-512 intrinsic
// headers (their _mm512_undefined_* idiom), at every kernel that inlines them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
// Fixed-count loops over the vectors of one step must be unrolled (g++ -O2 does not always).
#define TALLY_KB_UNROLL _Pragma("GCC unroll 8")
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

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
  bool outside_all =
      false;  // some pred (any position) lies outside [0, 1] (±inf count; NaN does not)
  bool outside_kept = false;  // same, looking only at kept positions
  bool invalid = false;       // a target neither 0, 1 nor ignore_index; an integral pred not 0/1 at
                              // a kept position; or a NaN pred anywhere (ignored positions too)
};

namespace kbin {

// Lane counter order (also the fold order).
enum : std::size_t { q_kept = 0, q_target, q_pred_p, q_tp_p, q_pred_l, q_tp_l, nq };

// Flag bits while counting.
enum : unsigned { f_invalid = 1u, f_out_all = 2u, f_out_kept = 4u };

inline constexpr std::size_t max_rounds = 255;    // byte-counter increments between folds
inline constexpr std::size_t run_min = 256;       // R from which runs are counted one by one
inline constexpr std::size_t few_rows = 4;        // fewer samples: runs if R >= run_min_few,
inline constexpr std::size_t run_min_few = 64;    // else scalar (a column-block fold per row
                                                  // costs more than scalar counting)
inline constexpr std::size_t period_max = 1024;   // largest lcm(L*R, W) for the period kernel
inline constexpr std::size_t block_max = 1024;    // positions per column block
inline constexpr std::size_t scalar_below = 128;  // fewer elements than this: scalar

template <class P>
constexpr bool simd_preds_v =
    std::is_same_v<P, float> || std::is_same_v<P, double> || std::is_integral_v<P>;

// Reads element i of a possibly misaligned array.
template <class V>
[[nodiscard]] inline V load_at(const V* base, std::size_t i) noexcept {
  V v;
  std::memcpy(&v, reinterpret_cast<const unsigned char*>(base) + i * sizeof(V), sizeof(V));
  return v;
}

inline void add_counts(binary_tally& o, const std::uint64_t* c) noexcept {
  o.kept += c[q_kept];
  o.target += c[q_target];
  o.pred_prob += c[q_pred_p];
  o.tp_prob += c[q_tp_p];
  o.pred_logit += c[q_pred_l];
  o.tp_logit += c[q_tp_l];
}

inline void apply_flags(binary_flags& flags, unsigned f) noexcept {
  if (f & f_invalid) flags.invalid = true;
  if (f & f_out_all) flags.outside_all = true;
  if (f & f_out_kept) flags.outside_kept = true;
}

// What every kernel needs besides the data.
template <class P, class T>
struct params {
  label_rule<T> rule;
  binary_thresholds<P> th;
  std::uint64_t ig_bits;  // bits of the ignore value (0 when there is none)
};

template <class P, class T>
[[nodiscard]] params<P, T> make_params(const label_rule<T>& rule,
                                       const binary_thresholds<P>& th) noexcept {
  return {rule, th,
          rule.has_ignore ? static_cast<std::uint64_t>(label_bits(rule.ignore)) : std::uint64_t{0}};
}

// ---- scalar --------------------------------------------------------------------------------

// One element into c[0 .. nq).
template <class P, class T>
inline void scalar_one(P p, T t, const params<P, T>& k, std::uint64_t* c, unsigned& fl) noexcept {
  const bool kept = !k.rule.ignored(t);
  const std::uint64_t tb = label_bits(t);
  const bool t1 = kept && tb == 1;
  unsigned f = kept && tb > 1 ? f_invalid : 0u;
  bool pp, pl = false;
  if constexpr (std::is_floating_point_v<P>) {
    pp = kept && p > k.th.prob;
    pl = kept && p > k.th.logit;
    const bool out = p < P(0) || p > P(1);
    f |= p != p ? f_invalid : 0u;
    f |= out ? f_out_all : 0u;
    f |= out && kept ? f_out_kept : 0u;
  } else {
    const std::uint64_t pb = label_bits(p);
    pp = kept && pb == 1;
    f |= kept && pb > 1 ? f_invalid : 0u;
  }
  c[q_kept] += kept;
  c[q_target] += t1;
  c[q_pred_p] += pp;
  c[q_tp_p] += pp && t1;
  c[q_pred_l] += pl;
  c[q_tp_l] += pl && t1;
  fl |= f;
}

// n consecutive elements of one unit into c[0 .. nq).
template <class P, class T>
inline void scalar_run(const P* p, const T* t, std::size_t n, const params<P, T>& k,
                       std::uint64_t* c, unsigned& fl) noexcept {
  for (std::size_t i = 0; i < n; ++i) scalar_one(load_at(p, i), load_at(t, i), k, c, fl);
}

template <class P, class T>
void count_scalar(const P* preds, const T* target, std::size_t N, std::size_t L, std::size_t R,
                  const params<P, T>& k, binary_tally* out, unsigned& fl) noexcept {
  if (L == 1) {  // one unit: one run
    R *= N;
    N = 1;
  }
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t l = 0; l < L; ++l) {
      std::uint64_t c[nq] = {};
      const std::size_t base = (n * L + l) * R;
      scalar_run(preds + base, target + base, R, k, c, fl);
      add_counts(out[l], c);
    }
}

// ---- byte lane counters ----------------------------------------------------------------------

// Byte counters of S slots (S a multiple of the step width W), laid out [S / W][nq][W]:
// slot s = phase * W + lane. A slot takes at most one increment per round (S elements), so
// callers fold every `rounds` <= 255 rounds.
class byte_slots {
 public:
  explicit byte_slots(std::size_t slots) noexcept : size_(slots * nq) { clear(); }
  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_; }
  void clear() noexcept { std::memset(bytes_, 0, size_); }

 private:
  alignas(64) std::uint8_t bytes_[block_max * nq];
  std::size_t size_;
};

// Adds slots [0, count) to the labels: slot s is position first + s of a sample (wrapping at
// period), position x belongs to label x / R. extra_kept(s) is added to the kept count of slot s
// (the kernels do not count kept lanes when there is no ignore_index).
template <class ExtraKept>
void fold_slots(const std::uint8_t* c, std::size_t W, std::size_t count, std::size_t first,
                std::size_t period, std::size_t R, binary_tally* out,
                ExtraKept extra_kept) noexcept {
  std::size_t pos = first, l = first / R, r = first % R;
  for (std::size_t s = 0; s < count; ++s) {
    const std::uint8_t* b = c + (s / W) * (nq * W) + s % W;
    binary_tally& o = out[l];
    o.kept += b[q_kept * W] + static_cast<std::uint64_t>(extra_kept(s));
    o.target += b[q_target * W];
    o.pred_prob += b[q_pred_p * W];
    o.tp_prob += b[q_tp_p * W];
    o.pred_logit += b[q_pred_l * W];
    o.tp_logit += b[q_tp_l * W];
    if (++r == R) {
      r = 0;
      ++l;
    }
    if (++pos == period) pos = l = r = 0;
  }
}

#if TALLY_X86_SIMD

// Floating preds are summarised per block of block_steps steps: min and max (vminps / vmaxps
// skip NaN) and a NaN compare. At the end of a block, min < 0 or max > 1 sets outside_all, and
// outside_kept too when there is no ignore_index. With an ignore_index, a block that has an
// outside value while outside_kept is still unknown is rescanned (it is in cache) for an outside
// value at a kept position: logits find one in their first block, probabilities never rescan.
inline constexpr std::size_t block_steps = 32;

// Software prefetch this many elements ahead of the step: +5-10 points of the DRAM read rate
// on top of the hardware prefetchers for the streaming kernels (not for column blocks, where the
// elements ahead belong to a later pass). Addresses are computed as integers: prefetching past
// the end of an array is harmless, forming such a pointer is not allowed.
inline constexpr std::size_t prefetch_ahead = 2048;

template <class V>
inline void prefetch_step(const V* x, std::size_t step) noexcept {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(x) + prefetch_ahead * sizeof(V);
  for (std::size_t o = 0; o < step * sizeof(V); o += 64)
    _mm_prefetch(reinterpret_cast<const char*>(a + o), _MM_HINT_T0);
}

// ---- AVX-512: 64 elements per step, one __mmask64 per quantity, byte counters ----------------

// 512 bits at x read as two 256-bit loads: on the AMD EPYC (Zen 5) this was tuned on, streams
// of 512-bit loads from DRAM ran at 17-20 GB/s against 28-33 GB/s for 256-bit loads; in cache
// the two cost about the same.
TALLY_TARGET_AVX512 inline __m512i loadu512(const void* x) noexcept {
  const auto* h = static_cast<const __m256i*>(x);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(h)),
                            _mm256_loadu_si256(h + 1), 1);
}

// Loads 512 bits at x, or only the lanes of `valid` (lane width sizeof(V)). Tail steps pass
// x + offset only for parts with valid lanes (the others may lie past the end of the array).
template <class V, bool Tail>
TALLY_TARGET_AVX512 inline __m512i load512(const V* x, std::uint64_t valid) noexcept {
  if constexpr (!Tail) {
    return loadu512(x);
  } else {
    if constexpr (sizeof(V) == 1) return _mm512_maskz_loadu_epi8(valid, x);
    if constexpr (sizeof(V) == 2) return _mm512_maskz_loadu_epi16(static_cast<__mmask32>(valid), x);
    if constexpr (sizeof(V) == 4) return _mm512_maskz_loadu_epi32(static_cast<__mmask16>(valid), x);
    if constexpr (sizeof(V) == 8) return _mm512_maskz_loadu_epi64(static_cast<__mmask8>(valid), x);
  }
}

struct lmask64 {
  __mmask64 one, ig, nonbin;  // v == 1, v == ignore (bits), v not in {0, 1}
};

// The mask type of one 512-bit vector of V (64 / sizeof(V) lanes).
template <std::size_t Width>
struct kmask_of;
template <>
struct kmask_of<1> {
  using type = __mmask64;
};
template <>
struct kmask_of<2> {
  using type = __mmask32;
};
template <>
struct kmask_of<4> {
  using type = __mmask16;
};
template <>
struct kmask_of<8> {
  using type = __mmask8;
};
template <class V>
using kmask_t = typename kmask_of<sizeof(V)>::type;

// The masks of the sizeof(V) vectors of a step, concatenated with kunpck (part 0 lowest).
// Never widen a narrow mask with integer shifts and ors: g++ 12 -O1 miscompiled that (it spilled
// the zero-extended 16-bit mask with a 2-byte kmovw store and read the slot back as 8 bytes).
template <class V>
TALLY_TARGET_AVX512 inline __mmask64 cat_masks(const kmask_t<V>* m) noexcept {
  if constexpr (sizeof(V) == 1) {
    return m[0];
  } else if constexpr (sizeof(V) == 2) {
    return _mm512_kunpackd(m[1], m[0]);
  } else if constexpr (sizeof(V) == 4) {
    return _mm512_kunpackd(_mm512_kunpackw(m[3], m[2]), _mm512_kunpackw(m[1], m[0]));
  } else {
    return _mm512_kunpackd(
        _mm512_kunpackw(_mm512_kunpackb(m[7], m[6]), _mm512_kunpackb(m[5], m[4])),
        _mm512_kunpackw(_mm512_kunpackb(m[3], m[2]), _mm512_kunpackb(m[1], m[0])));
  }
}

// Masks of one vector of integral values of width sizeof(V): v == 1, v == ig, v not in {0, 1}.
template <class V, bool Ig>
TALLY_TARGET_AVX512 inline void lanes_cmp(__m512i v, std::uint64_t ig, kmask_t<V>& one,
                                          kmask_t<V>& eq_ig, kmask_t<V>& nonbin) noexcept {
  if constexpr (sizeof(V) == 1) {
    one = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(1));
    if constexpr (Ig) eq_ig = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(ig)));
    nonbin = _mm512_test_epi8_mask(v, _mm512_set1_epi8(-2));
  } else if constexpr (sizeof(V) == 2) {
    one = _mm512_cmpeq_epi16_mask(v, _mm512_set1_epi16(1));
    if constexpr (Ig) eq_ig = _mm512_cmpeq_epi16_mask(v, _mm512_set1_epi16(static_cast<short>(ig)));
    nonbin = _mm512_test_epi16_mask(v, _mm512_set1_epi16(-2));
  } else if constexpr (sizeof(V) == 4) {
    one = _mm512_cmpeq_epi32_mask(v, _mm512_set1_epi32(1));
    if constexpr (Ig) eq_ig = _mm512_cmpeq_epi32_mask(v, _mm512_set1_epi32(static_cast<int>(ig)));
    nonbin = _mm512_test_epi32_mask(v, _mm512_set1_epi32(-2));
  } else {
    static_assert(sizeof(V) == 8, "tally: unexpected label width");
    one = _mm512_cmpeq_epi64_mask(v, _mm512_set1_epi64(1));
    if constexpr (Ig)
      eq_ig = _mm512_cmpeq_epi64_mask(v, _mm512_set1_epi64(static_cast<long long>(ig)));
    nonbin = _mm512_test_epi64_mask(v, _mm512_set1_epi64(-2));
  }
}

// Masks of 64 consecutive integral values (tail steps: only the `valid` lanes; the masks of the
// other lanes are 0).
template <class V, bool Tail, bool Ig>
TALLY_TARGET_AVX512 inline lmask64 labels64_avx512(const V* x, __mmask64 valid,
                                                   std::uint64_t ig) noexcept {
  constexpr int lanes = 64 / sizeof(V);  // values per 512-bit vector
  constexpr int parts = sizeof(V);       // vectors per step
  kmask_t<V> one[parts], eq[parts], nb[parts];
  const std::uint64_t vm = valid;
  TALLY_KB_UNROLL
  for (int j = 0; j < parts; ++j) {
    one[j] = eq[j] = nb[j] = 0;
    if constexpr (Tail) {
      // Parts without a valid lane are not loaded (they may lie past the end of the array).
      const std::uint64_t vj =
          parts == 1 ? vm : (vm >> (j * lanes)) & ((std::uint64_t{1} << (lanes % 64)) - 1);
      if (vj != 0) lanes_cmp<V, Ig>(load512<V, true>(x + j * lanes, vj), ig, one[j], eq[j], nb[j]);
    } else {
      lanes_cmp<V, Ig>(load512<V, false>(x + j * lanes, 0), ig, one[j], eq[j], nb[j]);
    }
  }
  return {cat_masks<V>(one), Ig ? cat_masks<V>(eq) : __mmask64{0}, cat_masks<V>(nb)};
}

template <class P>
struct vec512 {
  using type = __m512;
};
template <>
struct vec512<double> {
  using type = __m512d;
};

// State of one stream: invalid labels, NaN, the block's range of floating preds, flags so far.
template <class P>
struct state512 {
  using vec = typename vec512<P>::type;
  __mmask64 bad;
  __mmask8 nan;          // double: NaN compares (kept 8 bits wide: see cat_masks)
  __m512i nan_u, nan_s;  // float: unsigned and signed maxima of the bits
  vec lo, hi;
  unsigned flags;
};

template <class P>
TALLY_TARGET_AVX512 inline void reset_range512(state512<P>& s) noexcept {
  if constexpr (std::is_same_v<P, double>)
    s.lo = s.hi = _mm512_set1_pd(0.5);
  else
    s.lo = s.hi = _mm512_set1_ps(0.5f);
}

template <class P>
TALLY_TARGET_AVX512 inline state512<P> init_state512() noexcept {
  state512<P> s;
  s.bad = 0;
  s.nan = 0;
  s.nan_u = s.nan_s = _mm512_setzero_si512();
  s.flags = 0;
  reset_range512(s);
  return s;
}

// Whether one of n floating preds at a kept position lies outside [0, 1] (the rescan).
template <class P, class T>
TALLY_TARGET_AVX512 bool kept_outside_avx512(const P* p, const T* t, std::size_t n,
                                             const params<P, T>& k) noexcept {
  constexpr int lanes = 64 / sizeof(P);
  for (std::size_t i = 0; i < n; i += 64) {
    const std::uint64_t valid = n - i >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (n - i)) - 1;
    const lmask64 tm = labels64_avx512<T, true, true>(t + i, valid, k.ig_bits);
    const std::uint64_t kept = valid & ~static_cast<std::uint64_t>(tm.ig);
    for (int j = 0; j < 64 / lanes; ++j) {
      const std::uint64_t kj = (kept >> (j * lanes)) & ((std::uint64_t{1} << lanes) - 1);
      if (!kj) continue;
      bool out;
      if constexpr (std::is_same_v<P, double>) {
        const __m512d v = _mm512_maskz_loadu_pd(static_cast<__mmask8>(kj), p + i + j * lanes);
        out = (_mm512_mask_cmp_pd_mask(static_cast<__mmask8>(kj), v, _mm512_setzero_pd(),
                                       _CMP_LT_OQ) |
               _mm512_mask_cmp_pd_mask(static_cast<__mmask8>(kj), v, _mm512_set1_pd(1.0),
                                       _CMP_GT_OQ)) != 0;
      } else {
        const __m512 v = _mm512_maskz_loadu_ps(static_cast<__mmask16>(kj), p + i + j * lanes);
        out = (_mm512_mask_cmp_ps_mask(static_cast<__mmask16>(kj), v, _mm512_setzero_ps(),
                                       _CMP_LT_OQ) |
               _mm512_mask_cmp_ps_mask(static_cast<__mmask16>(kj), v, _mm512_set1_ps(1.0f),
                                       _CMP_GT_OQ)) != 0;
      }
      if (out) return true;
    }
  }
  return false;
}

// Closes a block of n elements at p, t (see block_steps).
template <class P, class T, bool Ig>
TALLY_TARGET_AVX512 inline void end_block512(state512<P>& s, const P* p, const T* t, std::size_t n,
                                             const params<P, T>& k) noexcept {
  if constexpr (std::is_floating_point_v<P>) {
    bool out;
    if constexpr (std::is_same_v<P, double>)
      out = (_mm512_cmp_pd_mask(s.lo, _mm512_setzero_pd(), _CMP_LT_OQ) |
             _mm512_cmp_pd_mask(s.hi, _mm512_set1_pd(1.0), _CMP_GT_OQ)) != 0;
    else
      out = (_mm512_cmp_ps_mask(s.lo, _mm512_setzero_ps(), _CMP_LT_OQ) |
             _mm512_cmp_ps_mask(s.hi, _mm512_set1_ps(1.0f), _CMP_GT_OQ)) != 0;
    if (out) {
      s.flags |= f_out_all;
      if constexpr (!Ig)
        s.flags |= f_out_kept;
      else if (!(s.flags & f_out_kept) && kept_outside_avx512(p, t, n, k))
        s.flags |= f_out_kept;
    }
    reset_range512(s);
  } else {
    (void)s, (void)p, (void)t, (void)n, (void)k;
  }
}

template <class P>
TALLY_TARGET_AVX512 inline unsigned final_flags512(const state512<P>& s) noexcept {
  bool nan = s.nan != 0;
  if constexpr (std::is_same_v<P, float>)
    nan |= (_mm512_cmpgt_epu32_mask(s.nan_u, _mm512_set1_epi32(static_cast<int>(0xFF800000u))) |
            _mm512_cmpgt_epi32_mask(s.nan_s, _mm512_set1_epi32(0x7F800000))) != 0;
  return s.flags | (s.bad || nan ? f_invalid : 0u);
}

// 64 floating preds: masks p > th.prob and p > th.logit; range and NaN into s.
template <class P, bool Tail>
TALLY_TARGET_AVX512 inline void floats64_avx512(const P* x, __mmask64 valid,
                                                const binary_thresholds<P>& th, __mmask64& pp,
                                                __mmask64& pl, state512<P>& s) noexcept {
  if constexpr (std::is_same_v<P, float>) {
    const __m512 tp = _mm512_set1_ps(th.prob), tl = _mm512_set1_ps(th.logit);
    __m512 v[4];
    __mmask16 mp[4], ml[4];
    TALLY_KB_UNROLL
    for (int j = 0; j < 4; ++j) {
      if constexpr (Tail) {
        const std::uint64_t vj = (valid >> (16 * j)) & 0xFFFF;
        v[j] = vj ? _mm512_maskz_loadu_ps(static_cast<__mmask16>(vj), x + 16 * j)
                  : _mm512_setzero_ps();
      } else
        v[j] = _mm512_castsi512_ps(loadu512(x + 16 * j));
      mp[j] = _mm512_cmp_ps_mask(v[j], tp, _CMP_GT_OQ);
      ml[j] = _mm512_cmp_ps_mask(v[j], tl, _CMP_GT_OQ);
      s.lo = _mm512_min_ps(v[j], s.lo);
      s.hi = _mm512_max_ps(v[j], s.hi);
    }
    pp = _mm512_kunpackd(_mm512_kunpackw(mp[3], mp[2]), _mm512_kunpackw(mp[1], mp[0]));
    pl = _mm512_kunpackd(_mm512_kunpackw(ml[3], ml[2]), _mm512_kunpackw(ml[1], ml[0]));
    // NaN through integer maxima of the bits (fewer mask registers than compares): a positive
    // NaN is a signed int32 above +inf's bits, a negative NaN an unsigned one above -inf's.
    TALLY_KB_UNROLL
    for (int j = 0; j < 4; ++j) {
      const __m512i b = _mm512_castps_si512(v[j]);
      s.nan_u = _mm512_max_epu32(s.nan_u, b);
      s.nan_s = _mm512_max_epi32(s.nan_s, b);
    }
  } else {
    const __m512d tp = _mm512_set1_pd(th.prob), tl = _mm512_set1_pd(th.logit);
    __m512d v[8];
    __mmask8 mp[8], ml[8];
    TALLY_KB_UNROLL
    for (int j = 0; j < 8; ++j) {
      if constexpr (Tail) {
        const std::uint64_t vj = (valid >> (8 * j)) & 0xFF;
        v[j] =
            vj ? _mm512_maskz_loadu_pd(static_cast<__mmask8>(vj), x + 8 * j) : _mm512_setzero_pd();
      } else
        v[j] = _mm512_castsi512_pd(loadu512(x + 8 * j));
      mp[j] = _mm512_cmp_pd_mask(v[j], tp, _CMP_GT_OQ);
      ml[j] = _mm512_cmp_pd_mask(v[j], tl, _CMP_GT_OQ);
      s.lo = _mm512_min_pd(v[j], s.lo);
      s.hi = _mm512_max_pd(v[j], s.hi);
    }
    pp = _mm512_kunpackd(
        _mm512_kunpackw(_mm512_kunpackb(mp[7], mp[6]), _mm512_kunpackb(mp[5], mp[4])),
        _mm512_kunpackw(_mm512_kunpackb(mp[3], mp[2]), _mm512_kunpackb(mp[1], mp[0])));
    pl = _mm512_kunpackd(
        _mm512_kunpackw(_mm512_kunpackb(ml[7], ml[6]), _mm512_kunpackb(ml[5], ml[4])),
        _mm512_kunpackw(_mm512_kunpackb(ml[3], ml[2]), _mm512_kunpackb(ml[1], ml[0])));
    __mmask8 nan = 0;
    TALLY_KB_UNROLL
    for (int j = 0; j < 8; j += 2)
      nan = _kor_mask8(nan, _mm512_cmp_pd_mask(v[j], v[j + 1], _CMP_UNORD_Q));
    s.nan = _kor_mask8(s.nan, nan);
  }
}

// Byte lane counters of one phase (64 slots). Without an ignore_index `kept` is not counted
// (every element is kept; the callers add the element counts).
struct cnt512 {
  __m512i kept, target, pred_p, tp_p, pred_l, tp_l;
};

template <bool Ig>
TALLY_TARGET_AVX512 inline cnt512 cnt512_load(const std::uint8_t* c) noexcept {
  return {Ig ? _mm512_load_si512(c) : _mm512_setzero_si512(),
          _mm512_load_si512(c + 64),
          _mm512_load_si512(c + 128),
          _mm512_load_si512(c + 192),
          _mm512_load_si512(c + 256),
          _mm512_load_si512(c + 320)};
}

template <bool Ig>
TALLY_TARGET_AVX512 inline void cnt512_store(std::uint8_t* c, const cnt512& v) noexcept {
  if constexpr (Ig) _mm512_store_si512(c, v.kept);
  _mm512_store_si512(c + 64, v.target);
  _mm512_store_si512(c + 128, v.pred_p);
  _mm512_store_si512(c + 192, v.tp_p);
  _mm512_store_si512(c + 256, v.pred_l);
  _mm512_store_si512(c + 320, v.tp_l);
}

// One step of 64 elements. Tail steps load and count only the `valid` lanes.
// The thresholds and the ignore bits come by value: the kernels copy them out of `params` so
// that stores to the (uint8_t) counters cannot force them to be reloaded.
template <class P, class T, bool Tail, bool Ig>
TALLY_TARGET_AVX512 inline void step_avx512(const P* p, const T* t, __mmask64 valid,
                                            binary_thresholds<P> th, std::uint64_t ig_bits,
                                            cnt512& c, state512<P>& s) noexcept {
  const lmask64 tm = labels64_avx512<T, Tail, Ig>(t, valid, ig_bits);
  __mmask64 kept = Tail ? valid : ~__mmask64{0};
  if constexpr (Ig) kept &= ~tm.ig;
  const __mmask64 kt = tm.one & kept;
  __mmask64 bad = tm.nonbin & kept, pp, pl = 0;
  if constexpr (std::is_floating_point_v<P>) {
    floats64_avx512<P, Tail>(p, valid, th, pp, pl, s);
    if constexpr (Ig || Tail) {
      pp &= kept;
      pl &= kept;
    }
  } else {
    const lmask64 pm = labels64_avx512<P, Tail, false>(p, valid, 0);
    pp = pm.one & kept;
    bad |= pm.nonbin & kept;
  }
  s.bad |= bad;
  const __m512i m1 = _mm512_set1_epi8(-1);
  if constexpr (Ig) c.kept = _mm512_mask_sub_epi8(c.kept, kept, c.kept, m1);
  c.target = _mm512_mask_sub_epi8(c.target, kt, c.target, m1);
  c.pred_p = _mm512_mask_sub_epi8(c.pred_p, pp, c.pred_p, m1);
  c.tp_p = _mm512_mask_sub_epi8(c.tp_p, pp & kt, c.tp_p, m1);
  if constexpr (std::is_floating_point_v<P>) {
    c.pred_l = _mm512_mask_sub_epi8(c.pred_l, pl, c.pred_l, m1);
    c.tp_l = _mm512_mask_sub_epi8(c.tp_l, pl & kt, c.tp_l, m1);
  }
}

[[nodiscard]] TALLY_TARGET_AVX512 inline __mmask64 tail_mask64(std::size_t n) noexcept {
  return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
}

TALLY_TARGET_AVX512 inline __m512i byte_sums512(__m512i acc, __m512i c) noexcept {
  return _mm512_add_epi64(acc, _mm512_sad_epu8(c, _mm512_setzero_si512()));
}

TALLY_TARGET_AVX512 inline std::uint64_t hsum64_avx512(__m512i v) noexcept {
  alignas(64) std::uint64_t x[8];
  _mm512_store_si512(x, v);
  return x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
}

// n elements of one unit, counted in registers (folded every `rounds` <= 255 steps), added to
// sums[0 .. nq).
template <class P, class T, bool Ig>
TALLY_TARGET_AVX512 void run_avx512(const P* p, const T* t, std::size_t n, const params<P, T>& k,
                                    std::size_t rounds, std::uint64_t* sums,
                                    unsigned& fl) noexcept {
  const binary_thresholds<P> th = k.th;
  const std::uint64_t igb = k.ig_bits;
  state512<P> st = init_state512<P>();
  const __m512i z = _mm512_setzero_si512();
  cnt512 s{z, z, z, z, z, z};
  std::size_t i = 0;
  while (i < n) {
    cnt512 c{z, z, z, z, z, z};
    const std::size_t end = n - i > rounds * 64 ? i + rounds * 64 : n;
    while (i < end) {
      const std::size_t b0 = i, bend = end - i > block_steps * 64 ? i + block_steps * 64 : end;
      for (; i + 64 <= bend; i += 64) {
        prefetch_step(p + i, 64);
        prefetch_step(t + i, 64);
        step_avx512<P, T, false, Ig>(p + i, t + i, 0, th, igb, c, st);
      }
      if (i < bend) {
        step_avx512<P, T, true, Ig>(p + i, t + i, tail_mask64(bend - i), th, igb, c, st);
        i = bend;
      }
      end_block512<P, T, Ig>(st, p + b0, t + b0, bend - b0, k);
    }
    if constexpr (Ig) s.kept = byte_sums512(s.kept, c.kept);
    s.target = byte_sums512(s.target, c.target);
    s.pred_p = byte_sums512(s.pred_p, c.pred_p);
    s.tp_p = byte_sums512(s.tp_p, c.tp_p);
    s.pred_l = byte_sums512(s.pred_l, c.pred_l);
    s.tp_l = byte_sums512(s.tp_l, c.tp_l);
  }
  sums[q_kept] += Ig ? hsum64_avx512(s.kept) : n;
  sums[q_target] += hsum64_avx512(s.target);
  sums[q_pred_p] += hsum64_avx512(s.pred_p);
  sums[q_tp_p] += hsum64_avx512(s.tp_p);
  sums[q_pred_l] += hsum64_avx512(s.pred_l);
  sums[q_tp_l] += hsum64_avx512(s.tp_l);
  fl |= final_flags512(st);
}

// n elements; element i adds to slot i mod S (S a multiple of 64) of the byte counters.
// n <= 255 * S (the caller folds between calls). Without an ignore_index the kept counters are
// left alone.
template <class P, class T, bool Ig>
TALLY_TARGET_AVX512 void slots_avx512(const P* p, const T* t, std::size_t n, const params<P, T>& k,
                                      std::uint8_t* counters, std::size_t S, bool prefetch,
                                      unsigned& fl) noexcept {
  const binary_thresholds<P> th = k.th;
  const std::uint64_t igb = k.ig_bits;
  state512<P> st = init_state512<P>();
  const std::size_t phases = S / 64;
  std::size_t i = 0, ph = 0;
  while (i < n) {
    const std::size_t b0 = i, bend = n - i > block_steps * 64 ? i + block_steps * 64 : n;
    for (; i + 64 <= bend; i += 64) {
      if (prefetch) {
        prefetch_step(p + i, 64);
        prefetch_step(t + i, 64);
      }
      std::uint8_t* cb = counters + ph * (nq * 64);
      cnt512 c = cnt512_load<Ig>(cb);
      step_avx512<P, T, false, Ig>(p + i, t + i, 0, th, igb, c, st);
      cnt512_store<Ig>(cb, c);
      if (++ph == phases) ph = 0;
    }
    if (i < bend) {
      std::uint8_t* cb = counters + ph * (nq * 64);
      cnt512 c = cnt512_load<Ig>(cb);
      step_avx512<P, T, true, Ig>(p + i, t + i, tail_mask64(bend - i), th, igb, c, st);
      cnt512_store<Ig>(cb, c);
      i = bend;
    }
    end_block512<P, T, Ig>(st, p + b0, t + b0, bend - b0, k);
  }
  fl |= final_flags512(st);
}

// ---- AVX2: 32 elements per step, masks as 0 / -1 bytes, byte counters ------------------------

// 4 x 8 dword masks (elements 0-7, 8-15, 16-23, 24-31) -> 32 byte masks in element order.
TALLY_TARGET_AVX2 inline __m256i pack_dwords_avx2(__m256i a, __m256i b, __m256i c,
                                                  __m256i d) noexcept {
  const __m256i x = _mm256_packs_epi32(a, b), y = _mm256_packs_epi32(c, d);
  return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(x, y),
                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// 2 x 16 word masks -> 32 byte masks in element order.
TALLY_TARGET_AVX2 inline __m256i pack_words_avx2(__m256i a, __m256i b) noexcept {
  return _mm256_permute4x64_epi64(_mm256_packs_epi16(a, b), 0xD8);
}

// 2 x 4 qword masks -> 8 dword masks in element order.
TALLY_TARGET_AVX2 inline __m256i pack_qwords_avx2(__m256i a, __m256i b) noexcept {
  return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
}

TALLY_TARGET_AVX2 inline __m256i pack_qwords8_avx2(const __m256i* m) noexcept {
  return pack_dwords_avx2(pack_qwords_avx2(m[0], m[1]), pack_qwords_avx2(m[2], m[3]),
                          pack_qwords_avx2(m[4], m[5]), pack_qwords_avx2(m[6], m[7]));
}

struct lmask32 {
  __m256i one, ig, bin;  // byte masks: v == 1, v == ignore (bits), v in {0, 1}
};

// Masks of 32 consecutive integral values (x points at 32 readable values).
template <class V, bool Ig>
TALLY_TARGET_AVX2 inline lmask32 labels32_avx2(const V* x, std::uint64_t ig) noexcept {
  lmask32 r;
  const __m256i z = _mm256_setzero_si256();
  r.ig = z;
  if constexpr (sizeof(V) == 1) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
    r.one = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(1));
    if constexpr (Ig) r.ig = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(ig)));
    r.bin = _mm256_cmpeq_epi8(_mm256_and_si256(v, _mm256_set1_epi8(-2)), z);
  } else if constexpr (sizeof(V) == 2) {
    const __m256i c1 = _mm256_set1_epi16(1), ci = _mm256_set1_epi16(static_cast<short>(ig));
    const __m256i cn = _mm256_set1_epi16(-2);
    __m256i o[2], g[2], b[2];
    TALLY_KB_UNROLL
    for (int j = 0; j < 2; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 16 * j));
      o[j] = _mm256_cmpeq_epi16(v, c1);
      g[j] = _mm256_cmpeq_epi16(v, ci);
      b[j] = _mm256_cmpeq_epi16(_mm256_and_si256(v, cn), z);
    }
    r.one = pack_words_avx2(o[0], o[1]);
    if constexpr (Ig) r.ig = pack_words_avx2(g[0], g[1]);
    r.bin = pack_words_avx2(b[0], b[1]);
  } else if constexpr (sizeof(V) == 4) {
    const __m256i c1 = _mm256_set1_epi32(1), ci = _mm256_set1_epi32(static_cast<int>(ig));
    const __m256i cn = _mm256_set1_epi32(-2);
    __m256i o[4], g[4], b[4];
    TALLY_KB_UNROLL
    for (int j = 0; j < 4; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 8 * j));
      o[j] = _mm256_cmpeq_epi32(v, c1);
      g[j] = _mm256_cmpeq_epi32(v, ci);
      b[j] = _mm256_cmpeq_epi32(_mm256_and_si256(v, cn), z);
    }
    r.one = pack_dwords_avx2(o[0], o[1], o[2], o[3]);
    if constexpr (Ig) r.ig = pack_dwords_avx2(g[0], g[1], g[2], g[3]);
    r.bin = pack_dwords_avx2(b[0], b[1], b[2], b[3]);
  } else {
    static_assert(sizeof(V) == 8, "tally: unexpected label width");
    const __m256i c1 = _mm256_set1_epi64x(1), ci = _mm256_set1_epi64x(static_cast<long long>(ig));
    const __m256i cn = _mm256_set1_epi64x(-2);
    __m256i o[8], g[8], b[8];
    TALLY_KB_UNROLL
    for (int j = 0; j < 8; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 4 * j));
      o[j] = _mm256_cmpeq_epi64(v, c1);
      g[j] = _mm256_cmpeq_epi64(v, ci);
      b[j] = _mm256_cmpeq_epi64(_mm256_and_si256(v, cn), z);
    }
    r.one = pack_qwords8_avx2(o);
    if constexpr (Ig) r.ig = pack_qwords8_avx2(g);
    r.bin = pack_qwords8_avx2(b);
  }
  return r;
}

template <class P>
struct vec256 {
  using type = __m256;
};
template <>
struct vec256<double> {
  using type = __m256d;
};

template <class P>
struct state256 {
  using vec = typename vec256<P>::type;
  __m256i bad, nan;
  vec lo, hi;
  unsigned flags;
};

template <class P>
TALLY_TARGET_AVX2 inline void reset_range256(state256<P>& s) noexcept {
  if constexpr (std::is_same_v<P, double>)
    s.lo = s.hi = _mm256_set1_pd(0.5);
  else
    s.lo = s.hi = _mm256_set1_ps(0.5f);
}

template <class P>
TALLY_TARGET_AVX2 inline state256<P> init_state256() noexcept {
  state256<P> s;
  s.bad = s.nan = _mm256_setzero_si256();
  s.flags = 0;
  reset_range256(s);
  return s;
}

TALLY_TARGET_AVX2 inline __m256i ps_mask(__m256 v) noexcept {
  return _mm256_castps_si256(v);
}
TALLY_TARGET_AVX2 inline __m256i pd_mask(__m256d v) noexcept {
  return _mm256_castpd_si256(v);
}

// Whether one of n floating preds at a kept position lies outside [0, 1] (the rescan).
template <class P, class T>
TALLY_TARGET_AVX2 bool kept_outside_avx2(const P* p, const T* t, std::size_t n,
                                         const params<P, T>& k) noexcept {
  alignas(32) std::uint8_t kept[32];
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const lmask32 tm = labels32_avx2<T, true>(t + i, k.ig_bits);
    const __m256i kb = _mm256_andnot_si256(tm.ig, _mm256_set1_epi8(-1));
    if (_mm256_testz_si256(kb, kb)) continue;
    _mm256_store_si256(reinterpret_cast<__m256i*>(kept), kb);
    constexpr std::size_t lanes = 32 / sizeof(P);
    for (std::size_t j = 0; j < 32; j += lanes) {
      // 8 floats or 4 doubles at a time, with their kept bytes widened to the lane width.
      bool out;
      if constexpr (std::is_same_v<P, double>) {
        const __m256d v = _mm256_loadu_pd(p + i + j);
        const __m256i km = _mm256_cvtepi8_epi64(
            _mm_cvtsi32_si128(load_at(reinterpret_cast<const int*>(kept + j), 0)));
        const __m256i o = pd_mask(_mm256_or_pd(_mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_LT_OQ),
                                               _mm256_cmp_pd(v, _mm256_set1_pd(1.0), _CMP_GT_OQ)));
        out = !_mm256_testz_si256(o, km);
      } else {
        const __m256 v = _mm256_loadu_ps(p + i + j);
        const __m256i km =
            _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kept + j)));
        const __m256i o = ps_mask(_mm256_or_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ),
                                               _mm256_cmp_ps(v, _mm256_set1_ps(1.0f), _CMP_GT_OQ)));
        out = !_mm256_testz_si256(o, km);
      }
      if (out) return true;
    }
  }
  for (; i < n; ++i) {
    const P v = load_at(p, i);
    if (!k.rule.ignored(load_at(t, i)) && (v < P(0) || v > P(1))) return true;
  }
  return false;
}

template <class P, class T, bool Ig>
TALLY_TARGET_AVX2 inline void end_block256(state256<P>& s, const P* p, const T* t, std::size_t n,
                                           const params<P, T>& k) noexcept {
  if constexpr (std::is_floating_point_v<P>) {
    __m256i o;
    if constexpr (std::is_same_v<P, double>)
      o = pd_mask(_mm256_or_pd(_mm256_cmp_pd(s.lo, _mm256_setzero_pd(), _CMP_LT_OQ),
                               _mm256_cmp_pd(s.hi, _mm256_set1_pd(1.0), _CMP_GT_OQ)));
    else
      o = ps_mask(_mm256_or_ps(_mm256_cmp_ps(s.lo, _mm256_setzero_ps(), _CMP_LT_OQ),
                               _mm256_cmp_ps(s.hi, _mm256_set1_ps(1.0f), _CMP_GT_OQ)));
    if (!_mm256_testz_si256(o, o)) {
      s.flags |= f_out_all;
      if constexpr (!Ig)
        s.flags |= f_out_kept;
      else if (!(s.flags & f_out_kept) && kept_outside_avx2(p, t, n, k))
        s.flags |= f_out_kept;
    }
    reset_range256(s);
  } else {
    (void)s, (void)p, (void)t, (void)n, (void)k;
  }
}

template <class P>
TALLY_TARGET_AVX2 inline unsigned final_flags256(const state256<P>& s) noexcept {
  const __m256i b = _mm256_or_si256(s.bad, s.nan);
  return s.flags | (_mm256_testz_si256(b, b) ? 0u : f_invalid);
}

// 32 floating preds (x points at 32 readable values): byte masks p > th.prob, p > th.logit;
// range and NaN into s.
template <class P>
TALLY_TARGET_AVX2 inline void floats32_avx2(const P* x, const binary_thresholds<P>& th, __m256i& pp,
                                            __m256i& pl, state256<P>& s) noexcept {
  if constexpr (std::is_same_v<P, float>) {
    const __m256 tp = _mm256_set1_ps(th.prob), tl = _mm256_set1_ps(th.logit);
    __m256 v[4];
    __m256i mp[4], ml[4];
    TALLY_KB_UNROLL
    for (int j = 0; j < 4; ++j) {
      v[j] = _mm256_loadu_ps(x + 8 * j);
      mp[j] = ps_mask(_mm256_cmp_ps(v[j], tp, _CMP_GT_OQ));
      ml[j] = ps_mask(_mm256_cmp_ps(v[j], tl, _CMP_GT_OQ));
      s.lo = _mm256_min_ps(v[j], s.lo);
      s.hi = _mm256_max_ps(v[j], s.hi);
    }
    pp = pack_dwords_avx2(mp[0], mp[1], mp[2], mp[3]);
    pl = pack_dwords_avx2(ml[0], ml[1], ml[2], ml[3]);
    s.nan =
        _mm256_or_si256(s.nan, _mm256_or_si256(ps_mask(_mm256_cmp_ps(v[0], v[1], _CMP_UNORD_Q)),
                                               ps_mask(_mm256_cmp_ps(v[2], v[3], _CMP_UNORD_Q))));
  } else {
    const __m256d tp = _mm256_set1_pd(th.prob), tl = _mm256_set1_pd(th.logit);
    __m256d v[8];
    __m256i mp[8], ml[8];
    TALLY_KB_UNROLL
    for (int j = 0; j < 8; ++j) {
      v[j] = _mm256_loadu_pd(x + 4 * j);
      mp[j] = pd_mask(_mm256_cmp_pd(v[j], tp, _CMP_GT_OQ));
      ml[j] = pd_mask(_mm256_cmp_pd(v[j], tl, _CMP_GT_OQ));
      s.lo = _mm256_min_pd(v[j], s.lo);
      s.hi = _mm256_max_pd(v[j], s.hi);
    }
    pp = pack_qwords8_avx2(mp);
    pl = pack_qwords8_avx2(ml);
    TALLY_KB_UNROLL
    for (int j = 0; j < 8; j += 2)
      s.nan = _mm256_or_si256(s.nan, pd_mask(_mm256_cmp_pd(v[j], v[j + 1], _CMP_UNORD_Q)));
  }
}

struct cnt256 {
  __m256i kept, target, pred_p, tp_p, pred_l, tp_l;
};

template <bool Ig>
TALLY_TARGET_AVX2 inline cnt256 cnt256_load(const std::uint8_t* c) noexcept {
  auto at = [c](int q) { return reinterpret_cast<const __m256i*>(c + 32 * q); };
  return {Ig ? _mm256_load_si256(at(0)) : _mm256_setzero_si256(),
          _mm256_load_si256(at(1)),
          _mm256_load_si256(at(2)),
          _mm256_load_si256(at(3)),
          _mm256_load_si256(at(4)),
          _mm256_load_si256(at(5))};
}

template <bool Ig>
TALLY_TARGET_AVX2 inline void cnt256_store(std::uint8_t* c, const cnt256& v) noexcept {
  if constexpr (Ig) _mm256_store_si256(reinterpret_cast<__m256i*>(c), v.kept);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c + 32), v.target);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c + 64), v.pred_p);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c + 96), v.tp_p);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c + 128), v.pred_l);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c + 160), v.tp_l);
}

// One step of 32 elements (p and t point at 32 readable values). Tail steps count only the
// lanes set in `valid` (they read zero-padded copies; 0 is a valid, in-range value).
template <class P, class T, bool Tail, bool Ig>
TALLY_TARGET_AVX2 inline void step_avx2(const P* p, const T* t, __m256i valid,
                                        binary_thresholds<P> th, std::uint64_t ig_bits, cnt256& c,
                                        state256<P>& s) noexcept {
  const lmask32 tm = labels32_avx2<T, Ig>(t, ig_bits);
  __m256i kept = Tail ? valid : _mm256_set1_epi8(-1);
  if constexpr (Ig) kept = _mm256_andnot_si256(tm.ig, kept);
  const __m256i kt = _mm256_and_si256(tm.one, kept);
  __m256i bad = _mm256_andnot_si256(tm.bin, kept);
  __m256i pp, pl = _mm256_setzero_si256();
  if constexpr (std::is_floating_point_v<P>) {
    floats32_avx2<P>(p, th, pp, pl, s);
    if constexpr (Ig || Tail) {
      pp = _mm256_and_si256(pp, kept);
      pl = _mm256_and_si256(pl, kept);
    }
  } else {
    const lmask32 pm = labels32_avx2<P, false>(p, 0);
    pp = _mm256_and_si256(pm.one, kept);
    bad = _mm256_or_si256(bad, _mm256_andnot_si256(pm.bin, kept));
  }
  s.bad = _mm256_or_si256(s.bad, bad);
  if constexpr (Ig) c.kept = _mm256_sub_epi8(c.kept, kept);
  c.target = _mm256_sub_epi8(c.target, kt);
  c.pred_p = _mm256_sub_epi8(c.pred_p, pp);
  c.tp_p = _mm256_sub_epi8(c.tp_p, _mm256_and_si256(pp, kt));
  if constexpr (std::is_floating_point_v<P>) {
    c.pred_l = _mm256_sub_epi8(c.pred_l, pl);
    c.tp_l = _mm256_sub_epi8(c.tp_l, _mm256_and_si256(pl, kt));
  }
}

// The last n < 32 elements: copied into zero-padded buffers, then one masked step.
template <class P, class T, bool Ig>
TALLY_TARGET_AVX2 inline void tail_avx2(const P* p, const T* t, std::size_t n,
                                        binary_thresholds<P> th, std::uint64_t ig_bits, cnt256& c,
                                        state256<P>& s) noexcept {
  alignas(32) unsigned char pb[32 * sizeof(P)] = {};
  alignas(32) unsigned char tb[32 * sizeof(T)] = {};
  std::memcpy(pb, p, n * sizeof(P));
  std::memcpy(tb, t, n * sizeof(T));
  const __m256i lanes =
      _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                       22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  const __m256i valid = _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(n)), lanes);
  // The step reads the buffers with unaligned vector loads only.
  step_avx2<P, T, true, Ig>(reinterpret_cast<const P*>(pb), reinterpret_cast<const T*>(tb), valid,
                            th, ig_bits, c, s);
}

TALLY_TARGET_AVX2 inline __m256i byte_sums256(__m256i acc, __m256i c) noexcept {
  return _mm256_add_epi64(acc, _mm256_sad_epu8(c, _mm256_setzero_si256()));
}

TALLY_TARGET_AVX2 inline std::uint64_t hsum64_avx2(__m256i v) noexcept {
  alignas(32) std::uint64_t x[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(x), v);
  return x[0] + x[1] + x[2] + x[3];
}

template <class P, class T, bool Ig>
TALLY_TARGET_AVX2 void run_avx2(const P* p, const T* t, std::size_t n, const params<P, T>& k,
                                std::size_t rounds, std::uint64_t* sums, unsigned& fl) noexcept {
  const binary_thresholds<P> th = k.th;
  const std::uint64_t igb = k.ig_bits;
  state256<P> st = init_state256<P>();
  const __m256i z = _mm256_setzero_si256();
  cnt256 s{z, z, z, z, z, z};
  std::size_t i = 0;
  while (i < n) {
    cnt256 c{z, z, z, z, z, z};
    const std::size_t end = n - i > rounds * 32 ? i + rounds * 32 : n;
    while (i < end) {
      const std::size_t b0 = i, bend = end - i > block_steps * 32 ? i + block_steps * 32 : end;
      for (; i + 32 <= bend; i += 32) {
        prefetch_step(p + i, 32);
        prefetch_step(t + i, 32);
        step_avx2<P, T, false, Ig>(p + i, t + i, z, th, igb, c, st);
      }
      if (i < bend) {
        tail_avx2<P, T, Ig>(p + i, t + i, bend - i, th, igb, c, st);
        i = bend;
      }
      end_block256<P, T, Ig>(st, p + b0, t + b0, bend - b0, k);
    }
    if constexpr (Ig) s.kept = byte_sums256(s.kept, c.kept);
    s.target = byte_sums256(s.target, c.target);
    s.pred_p = byte_sums256(s.pred_p, c.pred_p);
    s.tp_p = byte_sums256(s.tp_p, c.tp_p);
    s.pred_l = byte_sums256(s.pred_l, c.pred_l);
    s.tp_l = byte_sums256(s.tp_l, c.tp_l);
  }
  sums[q_kept] += Ig ? hsum64_avx2(s.kept) : n;
  sums[q_target] += hsum64_avx2(s.target);
  sums[q_pred_p] += hsum64_avx2(s.pred_p);
  sums[q_tp_p] += hsum64_avx2(s.tp_p);
  sums[q_pred_l] += hsum64_avx2(s.pred_l);
  sums[q_tp_l] += hsum64_avx2(s.tp_l);
  fl |= final_flags256(st);
}

template <class P, class T, bool Ig>
TALLY_TARGET_AVX2 void slots_avx2(const P* p, const T* t, std::size_t n, const params<P, T>& k,
                                  std::uint8_t* counters, std::size_t S, bool prefetch,
                                  unsigned& fl) noexcept {
  const binary_thresholds<P> th = k.th;
  const std::uint64_t igb = k.ig_bits;
  state256<P> st = init_state256<P>();
  const __m256i z = _mm256_setzero_si256();
  const std::size_t phases = S / 32;
  std::size_t i = 0, ph = 0;
  while (i < n) {
    const std::size_t b0 = i, bend = n - i > block_steps * 32 ? i + block_steps * 32 : n;
    for (; i + 32 <= bend; i += 32) {
      if (prefetch) {
        prefetch_step(p + i, 32);
        prefetch_step(t + i, 32);
      }
      std::uint8_t* cb = counters + ph * (nq * 32);
      cnt256 c = cnt256_load<Ig>(cb);
      step_avx2<P, T, false, Ig>(p + i, t + i, z, th, igb, c, st);
      cnt256_store<Ig>(cb, c);
      if (++ph == phases) ph = 0;
    }
    if (i < bend) {
      std::uint8_t* cb = counters + ph * (nq * 32);
      cnt256 c = cnt256_load<Ig>(cb);
      tail_avx2<P, T, Ig>(p + i, t + i, bend - i, th, igb, c, st);
      cnt256_store<Ig>(cb, c);
      i = bend;
    }
    end_block256<P, T, Ig>(st, p + b0, t + b0, bend - b0, k);
  }
  fl |= final_flags256(st);
}

#endif  // TALLY_X86_SIMD

// ---- dispatch ------------------------------------------------------------------------------

template <class P, class T, bool Ig>
void run_simd(isa level, const P* p, const T* t, std::size_t n, const params<P, T>& k,
              std::size_t rounds, std::uint64_t* sums, unsigned& fl) noexcept {
#if TALLY_X86_SIMD
  if (level == isa::avx512) return run_avx512<P, T, Ig>(p, t, n, k, rounds, sums, fl);
  if (level == isa::avx2) return run_avx2<P, T, Ig>(p, t, n, k, rounds, sums, fl);
#endif
  (void)level, (void)rounds;
  scalar_run(p, t, n, k, sums, fl);
}

template <class P, class T, bool Ig>
void slots_simd(isa level, const P* p, const T* t, std::size_t n, const params<P, T>& k,
                std::uint8_t* counters, std::size_t S, bool prefetch, unsigned& fl) noexcept {
#if TALLY_X86_SIMD
  if (level == isa::avx512) return slots_avx512<P, T, Ig>(p, t, n, k, counters, S, prefetch, fl);
  if (level == isa::avx2) return slots_avx2<P, T, Ig>(p, t, n, k, counters, S, prefetch, fl);
#endif
  (void)level, (void)p, (void)t, (void)n, (void)k, (void)counters, (void)S, (void)prefetch,
      (void)fl;
}

[[nodiscard]] inline std::size_t gcd_size(std::size_t a, std::size_t b) noexcept {
  while (b) {
    const std::size_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// The SIMD kernels (P float, double or integral) for W-element steps. `rounds` (1 .. 255) is
// how many increments a byte counter takes between folds (smaller in tests). Ig: an
// ignore_index is set (without one, kept is not counted in lanes: every element is kept).
template <bool Ig, class P, class T>
void count_simd(isa level, std::size_t rounds, const P* preds, const T* target, std::size_t N,
                std::size_t L, std::size_t R, const params<P, T>& k, binary_tally* out,
                unsigned& fl) {
  const std::size_t W = level == isa::avx512 ? 64 : 32;
  const std::size_t period = L * R;  // one sample
  const std::size_t total = N * period;

  // One unit, or long runs: count each run in registers.
  if (L == 1 || R >= run_min || (N < few_rows && R >= run_min_few)) {
    const std::size_t runs = L == 1 ? 1 : N * L;
    const std::size_t len = L == 1 ? total : R;
    for (std::size_t u = 0; u < runs; ++u) {
      std::uint64_t sums[nq] = {};
      run_simd<P, T, Ig>(level, preds + u * len, target + u * len, len, k, rounds, sums, fl);
      add_counts(out[L == 1 ? 0 : u % L], sums);
    }
    return;
  }

  // Short period: the array is one stream, element i into slot i mod S.
  const std::size_t S = period / gcd_size(period, W) * W;  // lcm(period, W)
  if (S <= period_max && total >= 4 * S) {
    byte_slots slots(S);
    const std::size_t chunk = rounds * S;  // elements per fold
    for (std::size_t i = 0; i < total; i += chunk) {
      const std::size_t m = std::min(chunk, total - i);
      slots_simd<P, T, Ig>(level, preds + i, target + i, m, k, slots.data(), S, true, fl);
      // Without an ignore_index, slot s was hit by every S-th element from s on.
      fold_slots(slots.data(), W, std::min(S, m), 0, period, R, out,
                 [&](std::size_t s) { return Ig || s >= m ? 0 : (m - s - 1) / S + 1; });
      slots.clear();
    }
    return;
  }

  // Few samples with short runs (samplewise updates call with N = 1): nothing to amortize the
  // per-position fold of the column blocks over.
  if (N < few_rows) {
    count_scalar(preds, target, N, L, R, k, out, fl);
    return;
  }

  // Long period: column blocks of positions, every row of a block into per-position slots.
  const std::size_t B = std::min((period + W - 1) / W * W, block_max);
  byte_slots slots(B);
  for (std::size_t c0 = 0; c0 < period; c0 += B) {
    const std::size_t b = std::min(B, period - c0);
    const std::size_t Sb = (b + W - 1) / W * W;
    for (std::size_t n0 = 0; n0 < N; n0 += rounds) {
      const std::size_t n1 = std::min(N, n0 + rounds);
      for (std::size_t n = n0; n < n1; ++n)
        slots_simd<P, T, Ig>(level, preds + n * period + c0, target + n * period + c0, b, k,
                             slots.data(), Sb, false, fl);
      fold_slots(slots.data(), W, b, c0, period, R, out,
                 [&](std::size_t) { return Ig ? 0 : n1 - n0; });
      slots.clear();
    }
  }
}

// The whole count with a given ISA and fold interval (max_rounds; smaller in tests).
template <class P, class T>
void count_with(isa level, std::size_t rounds, const P* preds, const T* target, std::size_t N,
                std::size_t L, std::size_t R, const params<P, T>& k, binary_tally* out,
                unsigned& fl) {
  if (N == 0 || L == 0 || R == 0) return;
  if constexpr (!simd_preds_v<P>) {
    (void)level, (void)rounds;
    count_scalar(preds, target, N, L, R, k, out, fl);
  } else {
    if (level == isa::scalar || N * L * R < scalar_below)
      count_scalar(preds, target, N, L, R, k, out, fl);
    else if (k.rule.has_ignore)
      count_simd<true>(level, rounds, preds, target, N, L, R, k, out, fl);
    else
      count_simd<false>(level, rounds, preds, target, N, L, R, k, out, fl);
  }
}

}  // namespace kbin

// Multilabel layout (N, L, R): element (n, l, r) at flat index (n*L + l)*R + r belongs to label l.
// Adds the counts over samples [0, N) to out[0 .. L-1] and ORs the flags. The binary task is
// L = 1 (any N, R). `rule` is label_rule<T>(2, ignore_index); `th` is ignored for integral P.
// When flags.invalid ends up set, the counts are unspecified (the caller discards them).
template <class P, class T>
void count_multilabel(const P* preds, const T* target, std::size_t N, std::size_t L, std::size_t R,
                      const label_rule<T>& rule, const binary_thresholds<P>& th, binary_tally* out,
                      binary_flags& flags) {
  static_assert(std::is_integral_v<T>, "tally: target must be integral");
  static_assert(std::is_integral_v<P> || std::is_floating_point_v<P>,
                "tally: preds must be integral or floating-point");
  unsigned fl = 0;
  kbin::count_with(active_isa(), kbin::max_rounds, preds, target, N, L, R,
                   kbin::make_params(rule, th), out, fl);
  kbin::apply_flags(flags, fl);
}

}  // namespace detail
TALLY_NAMESPACE_END

#if TALLY_X86_SIMD
#undef TALLY_KB_UNROLL
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#endif  // TALLY_DETAIL_KERNELS_BINARY_HPP
