// tally/detail/kernels/scalar.hpp — the portable kernels: the scalar rung, and the block drivers
// and scatters that every rung shares (the SIMD rungs plug their own first phase into them).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_SCALAR_HPP
#define TALLY_DETAIL_KERNELS_SCALAR_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "api.hpp"
#include "../labels.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {
namespace kshared {

// ==== the two-phase table (C <= 64; 1-byte labels up to 255) =================================
//
// Phase 1 maps a block of pairs branch-free to bins: t * C + p for a kept, valid pair, C*C for an
// ignored target, C*C + 1 for anything invalid, so ignore_index and validation cost nothing.
// Phase 2 scatters the bins into interleaved 32-bit sub-histograms, so that runs of equal pixels
// (segmentation maps are mostly runs) do not serialize on one counter.

inline constexpr std::size_t bin_block = 2048;

// Copies of the table the scatter alternates between. Four, not two, above 48 classes too: on AMD
// Zen 4 (bench_counting, g++ -O2, 1-byte maps) C = 56 counted at 1.77-1.84 G elem/s instead of
// 1.11-1.19 (AVX2 and AVX-512), and under the AVX2 cap C = 150 at 1.39-1.66 instead of 0.96-1.07
// and C = 200 at 1.39-1.62 instead of 0.89-0.98, although four copies of a 150-class table take
// 360 KiB: the runs of one pair in a segmentation map are what serialize two copies.
[[nodiscard]] inline std::size_t table_copies(std::size_t C) noexcept { return C <= 24 ? 8 : 4; }

// Phase 1, one element at a time.
template <class P, class T>
void table_bins(const P* p, const T* t, std::size_t n, std::size_t C, const label_rule<P>& pr,
                const label_rule<T>& tr, std::uint16_t* out) noexcept {
  const std::uint32_t discard = static_cast<std::uint32_t>(C * C), bad = discard + 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t tb = label_bits(t[i]), pb = label_bits(p[i]);
    const bool t_ok = tr.valid(t[i]), p_ok = pr.valid(p[i]);
    const bool ok = t_ok & p_ok;  // no branch: both are cheap compares
    const std::uint32_t pair = static_cast<std::uint32_t>(tb * C + pb);
    std::uint32_t b = ok ? pair : bad;
    b = tr.ignored(t[i]) ? discard : b;
    out[i] = static_cast<std::uint16_t>(b);
  }
}

// Phase 2: m bins into `copies` interleaved sub-histograms of `bins` counters each.
inline void scatter_bins(const std::uint16_t* b, std::size_t m, std::size_t copies,
                         std::size_t bins, std::uint32_t* h) noexcept {
  std::size_t j = 0;
  if (copies == 8) {
    for (; j + 8 <= m; j += 8) {
      ++h[b[j]];
      ++h[bins + b[j + 1]];
      ++h[2 * bins + b[j + 2]];
      ++h[3 * bins + b[j + 3]];
      ++h[4 * bins + b[j + 4]];
      ++h[5 * bins + b[j + 5]];
      ++h[6 * bins + b[j + 6]];
      ++h[7 * bins + b[j + 7]];
    }
  } else {
    for (; j + 4 <= m; j += 4) {
      ++h[b[j]];
      ++h[bins + b[j + 1]];
      ++h[2 * bins + b[j + 2]];
      ++h[3 * bins + b[j + 3]];
    }
  }
  for (; j < m; ++j) ++h[b[j]];
}

// The table over n pairs; bins(i, m, out) is phase 1 for elements [i, i + m). Adds to `table`
// (C*C + 2 counters); false if an invalid value was met.
template <class Bins>
[[nodiscard]] bool count_table(std::size_t n, std::size_t C, std::uint64_t* table,
                               label_scratch& scratch, Bins&& bins) {
  const std::size_t cells = C * C + 2;
  const std::size_t copies = table_copies(C);
  scratch.bins.resize(bin_block);
  scratch.table.assign(cells * copies, 0);
  std::uint16_t* b = scratch.bins.data();
  std::uint32_t* h = scratch.table.data();
  auto flush = [&] {
    for (std::size_t k = 0; k < copies; ++k)
      for (std::size_t j = 0; j < cells; ++j) {
        table[j] += h[k * cells + j];
        h[k * cells + j] = 0;
      }
  };
  std::size_t since_flush = 0;
  for (std::size_t i = 0; i < n; i += bin_block) {
    const std::size_t m = std::min(bin_block, n - i);
    bins(i, m, b);
    scatter_bins(b, m, copies, cells, h);
    // 32-bit sub-counters: flush long before any could overflow.
    since_flush += m;
    if (since_flush >= (std::size_t{1} << 30)) {
      flush();
      since_flush = 0;
    }
  }
  flush();
  return table[C * C + 1] == 0;
}

// Folds a (C*C + 2)-bin table into per-class tp / predicted / target counts.
inline void fold_table(const std::uint64_t* table, std::size_t C, class_counts_out out) noexcept {
  for (std::size_t r = 0; r < C; ++r)
    for (std::size_t c = 0; c < C; ++c) {
      const std::uint64_t v = table[r * C + c];
      out.target[r] += v;
      out.pred[c] += v;
      if (r == c) out.tp[r] += v;
    }
}

// The table, folded into per-class counts (a tail, or a whole small batch).
template <class Bins>
[[nodiscard]] bool count_via_table(std::size_t n, std::size_t C, class_counts_out out,
                                   label_scratch& scratch, Bins&& bins) {
  // The table lives in scratch.hist: count_table uses scratch.bins and scratch.table.
  scratch.hist.assign(C * C + 2, 0);
  const bool ok = count_table(n, C, scratch.hist.data(), scratch, bins);
  fold_table(scratch.hist.data(), C, out);
  return ok;
}

// ==== per-class histograms for many classes (SIMD rungs) =====================================
//
// Phase 1 (a rung's SIMD loop) turns a block of pairs into class indexes, with every ignored or
// invalid element sent to a spare class C, and marks the wrong predictions in a bit set. Phase 2
// counts in one packed counter per class (target, predicted and tp in 21-bit fields): every
// element adds a right pair to its target's counter, then the few wrong ones move their predicted
// and tp counts to where they belong. Four copies of the counters take turns, so that runs of one
// class do not wait on each other.

inline constexpr std::size_t large_block = 4096;

// Four interleaved copies of C packed counters per class, stride apart: target, predicted and tp
// in 21-bit fields of one uint64 (a right pair is one update), folded into the output before a
// field can fill (each field of a copy grows by at most one per element).
struct packed_hist {
  static constexpr std::uint64_t TG = 1, PD = std::uint64_t{1} << 21, TP = std::uint64_t{1} << 42;
  static constexpr std::uint64_t right = TG | PD | TP;
  static constexpr std::uint64_t field = (std::uint64_t{1} << 21) - 1;
  std::uint64_t* h;
  std::size_t C, stride;
  std::size_t since_flush = 0;

  void flush(class_counts_out out) noexcept {
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t c = 0; c < C; ++c) {
        const std::uint64_t v = h[k * stride + c];
        out.target[c] += v & field;
        out.pred[c] += (v >> 21) & field;
        out.tp[c] += v >> 42;
      }
    std::fill(h, h + 4 * stride, std::uint64_t{0});
  }
  // After a block of m <= large_block elements: folds when the next block could fill a field.
  void counted(std::size_t m, class_counts_out out) noexcept {
    since_flush += m;
    if (since_flush + large_block > field) {
      flush(out);
      since_flush = 0;
    }
  }
};

// Counts n pairs; prep(i, m, t, p, wrong) is phase 1 for elements [i, i + m), m <= large_block.
// C < 2^32 - 1 (states hold at most 2^28 counters).
template <class Prep>
[[nodiscard]] bool count_large(std::size_t n, std::size_t C, class_counts_out out,
                               label_scratch& scratch, Prep&& prep) {
  using ph = packed_hist;
  const std::size_t stride = C + 1;  // the spare class C collects what is not counted
  scratch.hist.assign(4 * stride + large_block / 64, 0);
  scratch.table.resize(2 * large_block);
  packed_hist hist{scratch.hist.data(), C, stride};
  std::uint64_t* h = hist.h;
  std::uint64_t* wrong = h + 4 * stride;
  std::uint32_t* t = scratch.table.data();
  std::uint32_t* p = t + large_block;
  for (std::size_t i = 0; i < n; i += large_block) {
    const std::size_t m = std::min(large_block, n - i);
    if (!prep(i, m, t, p, wrong)) return false;
    std::uint64_t* h0 = h;
    std::uint64_t* h1 = h + stride;
    std::uint64_t* h2 = h + 2 * stride;
    std::uint64_t* h3 = h + 3 * stride;
    std::size_t j = 0;
    for (; j + 4 <= m; j += 4) {
      h0[t[j]] += ph::right;
      h1[t[j + 1]] += ph::right;
      h2[t[j + 2]] += ph::right;
      h3[t[j + 3]] += ph::right;
    }
    for (; j < m; ++j) h[(j & 3) * stride + t[j]] += ph::right;
    // Wrong pairs: undo in the copy that took them (its fields never go below zero), then count
    // the prediction.
    for (std::size_t w = 0; w < (m + 63) / 64; ++w)
      for (std::uint64_t bits = wrong[w]; bits; bits &= bits - 1) {
        const std::size_t k = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
        std::uint64_t* hk = h + (k & 3) * stride;
        hk[t[k]] -= ph::PD | ph::TP;
        hk[p[k]] += ph::PD;
      }
    hist.counted(m, out);
  }
  hist.flush(out);
  return true;
}

// count_large for rungs that compress 32-bit lanes (large_streams): phase 1
// prep(i, m, hb, mt, mp, hits, misses) appends the classes of the right pairs of elements
// [i, i + m) to hb and the target and predicted classes of the wrong ones to mt and mp; phase 2
// counts a right pair with one update and a wrong pair with two, and walks no bits. `slack`: how
// many entries past its count a stream write may touch.
template <class Prep>
[[nodiscard]] bool count_large_streams(std::size_t n, std::size_t C, std::size_t slack,
                                       class_counts_out out, label_scratch& scratch, Prep&& prep) {
  using ph = packed_hist;
  scratch.hist.assign(4 * C, 0);
  scratch.table.resize(3 * (large_block + slack));
  packed_hist hist{scratch.hist.data(), C, C};
  std::uint64_t* h = hist.h;
  std::uint32_t* hb = scratch.table.data();
  std::uint32_t* mt = hb + large_block + slack;
  std::uint32_t* mp = mt + large_block + slack;
  for (std::size_t i = 0; i < n; i += large_block) {
    const std::size_t m = std::min(large_block, n - i);
    std::size_t hits = 0, misses = 0;
    if (!prep(i, m, hb, mt, mp, hits, misses)) return false;
    // The four copies take turns, each field of a copy still growing by at most one per element.
    std::size_t k = 0;
    for (; k + 4 <= hits; k += 4) {
      h[hb[k]] += ph::right;
      h[C + hb[k + 1]] += ph::right;
      h[2 * C + hb[k + 2]] += ph::right;
      h[3 * C + hb[k + 3]] += ph::right;
    }
    for (; k < hits; ++k) h[hb[k]] += ph::right;
    for (k = 0; k + 2 <= misses; k += 2) {
      h[C + mt[k]] += ph::TG;
      h[2 * C + mp[k]] += ph::PD;
      h[3 * C + mt[k + 1]] += ph::TG;
      h[mp[k + 1]] += ph::PD;
    }
    for (; k < misses; ++k) {
      h[mt[k]] += ph::TG;
      h[C + mp[k]] += ph::PD;
    }
    hist.counted(m, out);
  }
  hist.flush(out);
  return true;
}

// ==== hit/miss: the wrong pairs ================================================================

// Adds the wrong pairs of m elements to a C x C table of 32-bit cells: element k is wrong when bit
// k % 64 of wrong[k / 64] is set; its classes are t[k] and p[k].
inline void scatter_misses_table(std::uint8_t* t, std::uint8_t* p, const std::uint64_t* wrong,
                                 std::size_t m, std::size_t C, std::uint32_t* miss) noexcept {
  for (std::size_t w = 0; w < (m + 63) / 64; ++w)
    for (std::uint64_t bits = wrong[w]; bits; bits &= bits - 1) {
      const std::size_t k = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
      ++miss[t[k] * C + p[k]];
    }
}

// The rungs' default for hit/miss: tags derive from it (AVX-512 VBMI2 brings its own).
struct plain_misses {
  static void scatter_misses(std::uint8_t* t, std::uint8_t* p, const std::uint64_t* wrong,
                             std::size_t m, std::size_t C, std::uint32_t* miss) noexcept {
    scatter_misses_table(t, p, wrong, m, C, miss);
  }
};

// Folds a C x C table of wrong pairs into target (rows) and predicted (columns) counts.
inline void fold_misses(std::uint32_t* miss, std::size_t C, class_counts_out out) noexcept {
  for (std::size_t r = 0; r < C; ++r)
    for (std::size_t c = 0; c < C; ++c) {
      out.target[r] += miss[r * C + c];
      out.pred[c] += miss[r * C + c];
      miss[r * C + c] = 0;
    }
}

// Hit/miss's wrong pairs in a C x C table of 32-bit cells, and how a hit/miss count ends.
struct miss_table {
  std::uint32_t* cells;
  std::size_t C;
  std::size_t since_fold = 0;

  // After a block added k wrong pairs to the cells: folds them into the output long before one
  // could overflow.
  void added(std::size_t k, class_counts_out out) noexcept {
    since_fold += k;
    if (since_fold >= (std::size_t{1} << 31)) {
      fold_misses(cells, C, out);
      since_fold = 0;
    }
  }
  // hits[c] right predictions of class c (each a tp, a target and a prediction of c); the wrong
  // pairs add their row to target and their column to predicted.
  void finish(const std::uint64_t* hits, class_counts_out out) noexcept {
    for (std::size_t c = 0; c < C; ++c) {
      out.tp[c] += hits[c];
      out.target[c] += hits[c];
      out.pred[c] += hits[c];
    }
    fold_misses(cells, C, out);
  }
};

// ==== binary and multilabel ====================================================================

// Lane counter order (also the fold order).
enum : std::size_t { q_kept = 0, q_target, q_pred_p, q_tp_p, q_pred_l, q_tp_l, nq };

inline void add_counts(binary_tally& o, const std::uint64_t* c) noexcept {
  o.kept += c[q_kept];
  o.target += c[q_target];
  o.pred_prob += c[q_pred_p];
  o.tp_prob += c[q_tp_p];
  o.pred_logit += c[q_pred_l];
  o.tp_logit += c[q_tp_l];
}

// Reads element i of a possibly misaligned array.
template <class V>
[[nodiscard]] inline V load_at(const V* base, std::size_t i) noexcept {
  V v;
  std::memcpy(&v, reinterpret_cast<const unsigned char*>(base) + i * sizeof(V), sizeof(V));
  return v;
}

// One element into c[0 .. nq).
template <class P, class T>
inline void binary_one(P p, T t, const label_rule<T>& rule, const binary_thresholds<P>& th,
                       std::uint64_t* c, unsigned& fl) noexcept {
  const bool kept = !rule.ignored(t);
  const std::uint64_t tb = label_bits(t);
  const bool t1 = kept && tb == 1;
  unsigned f = kept && tb > 1 ? binary_invalid : 0u;
  bool pp, pl = false;
  if constexpr (std::is_floating_point_v<P>) {
    pp = kept && p > th.prob;
    pl = kept && p > th.logit;
    const bool out = p < P(0) || p > P(1);
    f |= p != p ? binary_invalid : 0u;
    f |= out ? binary_outside_all : 0u;
    f |= out && kept ? binary_outside_kept : 0u;
  } else {
    const std::uint64_t pb = label_bits(p);
    pp = kept && pb == 1;
    f |= kept && pb > 1 ? binary_invalid : 0u;
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
inline void binary_run(const P* p, const T* t, std::size_t n, const label_rule<T>& rule,
                       const binary_thresholds<P>& th, std::uint64_t* c, unsigned& fl) noexcept {
  for (std::size_t i = 0; i < n; ++i) binary_one(load_at(p, i), load_at(t, i), rule, th, c, fl);
}

// The whole (N, L, R) count, one element at a time.
template <class P, class T>
void binary_scalar(const P* preds, const T* target, std::size_t N, std::size_t L, std::size_t R,
                   const label_rule<T>& rule, const binary_thresholds<P>& th, binary_tally* out,
                   unsigned& fl) noexcept {
  if (L == 1) {  // one unit: one run
    R *= N;
    N = 1;
  }
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t l = 0; l < L; ++l) {
      std::uint64_t c[nq] = {};
      const std::size_t base = (n * L + l) * R;
      binary_run(preds + base, target + base, R, rule, th, c, fl);
      add_counts(out[l], c);
    }
}

// Adds byte lane counters to the labels. Counters of `count` slots laid out [count / W][nq][W]
// (slot s = phase * W + lane); slot s is position first + s of a sample (wrapping at period), and
// position x belongs to label x / R. extra_kept(s) is added to the kept count of slot s (the
// kernels do not count kept lanes when there is no ignore_index).
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

[[nodiscard]] inline std::size_t gcd_size(std::size_t a, std::size_t b) noexcept {
  while (b) {
    const std::size_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// ==== DiceScore: one-hot against an index map ==================================================

// Positions [r0, r0 + m) of one class row, one element at a time (see count_onehot_index).
template <class X, class Y>
[[nodiscard]] bool onehot_index_rows(const X* x, const Y* y, std::size_t C, std::size_t R,
                                     std::size_t r0, std::size_t m, const label_rule<Y>& rule,
                                     bool x_everywhere, std::uint64_t* both, std::uint64_t* xs,
                                     std::uint64_t* ys) noexcept {
  bool ok = true;
  for (std::size_t r = r0; r < r0 + m; ++r) {
    const bool ignored = rule.ignored(y[r]), valid = rule.valid(y[r]);
    ok &= ignored | valid;
  }
  for (std::size_t c = 0; c < C; ++c) {
    std::uint64_t b = 0, a = 0, e = 0;
    for (std::size_t r = r0; r < r0 + m; ++r) {
      const bool kept = !rule.ignored(y[r]);
      const std::uint64_t xv = label_bits(x[c * R + r]);
      ok &= (xv <= 1) | (!kept & !x_everywhere);
      const bool xb = kept & (xv == 1), yb = kept & (label_bits(y[r]) == c);
      b += xb & yb;
      a += xb;
      e += yb;
    }
    both[c] += b;
    xs[c] += a;
    ys[c] += e;
  }
  return ok;
}

}  // namespace kshared

// ==== the scalar rung ==========================================================================

namespace scalar {

struct tag {
  static constexpr isa level = isa::scalar;
};

template <class P, class T>
[[nodiscard]] bool label_table(tag, const P* p, const T* t, std::size_t n, std::size_t C,
                               const label_rule<P>& pr, const label_rule<T>& tr,
                               std::uint64_t* table, label_scratch& scratch) {
  return kshared::count_table(n, C, table, scratch,
                              [&](std::size_t i, std::size_t m, std::uint16_t* out) {
                                kshared::table_bins(p + i, t + i, m, C, pr, tr, out);
                              });
}

// Many classes, one element at a time: two interleaved copies of the histograms, tp packed
// beside the target count, so a pair costs two counter updates (the two-phase count_large needs
// a SIMD first phase to pay: scalar, it measured 30-40% slower than this). Chunks of < 2^32
// elements keep the packed halves from overflowing.
template <class P, class T>
[[nodiscard]] bool large_labels(tag, const P* p, const T* t, std::size_t n, std::size_t C,
                                const label_rule<P>& pr, const label_rule<T>& tr,
                                class_counts_out out, label_scratch& scratch) {
  scratch.hist.assign(4 * C, 0);
  std::uint64_t* tg0 = scratch.hist.data();
  std::uint64_t* tg1 = tg0 + C;
  std::uint64_t* pd0 = tg1 + C;
  std::uint64_t* pd1 = pd0 + C;
  constexpr std::size_t chunk = std::size_t{1} << 31;
  // Copies of the rules: the counter updates are stores of uint64, which could alias the rules'
  // limits, and g++ reloaded them for every pair (int32 C = 1000 on Zen 4: 0.61-0.63 G elem/s
  // against 0.71-0.73 with the copies).
  const label_rule<P> prule = pr;
  const label_rule<T> trule = tr;
  bool ok = true;
  for (std::size_t base = 0; base < n && ok; base += chunk) {
    const std::size_t m = std::min(chunk, n - base);
    const P* pp = p + base;
    const T* tt = t + base;
    std::size_t i = 0;
    auto one = [&](std::size_t k, std::uint64_t* tg, std::uint64_t* pd) {
      const T tv = tt[k];
      if (trule.ignored(tv)) return true;
      const P pv = pp[k];
      if (!trule.valid(tv) || !prule.valid(pv)) return false;
      const std::uint64_t tb = label_bits(tv), pb = label_bits(pv);
      tg[tb] += 1 + (static_cast<std::uint64_t>(tb == pb) << 32);
      ++pd[pb];
      return true;
    };
    for (; i + 2 <= m; i += 2) {
      if (!one(i, tg0, pd0) || !one(i + 1, tg1, pd1)) {
        ok = false;
        break;
      }
    }
    if (ok && i < m) ok = one(i, tg0, pd0);
    for (std::size_t c = 0; c < C; ++c) {
      const std::uint64_t a = tg0[c] + tg1[c];
      out.target[c] += a & 0xFFFFFFFFu;
      out.tp[c] += a >> 32;
      out.pred[c] += pd0[c] + pd1[c];
      tg0[c] = tg1[c] = pd0[c] = pd1[c] = 0;
    }
  }
  return ok;
}

template <class P, class T>
[[nodiscard]] bool class_labels(tag g, const P* p, const T* t, std::size_t n, std::size_t C,
                                const label_rule<P>& pr, const label_rule<T>& tr,
                                class_counts_out out, label_scratch& scratch) {
  if (C <= table_max_classes && forced_label_kernel() != label_kernel::large)
    return kshared::count_via_table(n, C, out, scratch,
                                    [&](std::size_t i, std::size_t m, std::uint16_t* bins) {
                                      kshared::table_bins(p + i, t + i, m, C, pr, tr, bins);
                                    });
  return large_labels(g, p, t, n, C, pr, tr, out, scratch);
}

template <class L, class S>
[[nodiscard]] bool argmax(tag, const S* s, std::size_t C, std::size_t R, std::size_t m,
                          L* out) noexcept {
  bool nan = false;
  for (std::size_t j = 0; j < m; ++j) {
    S best = s[j];
    std::size_t arg = 0;
    nan |= best != best;
    for (std::size_t c = 1; c < C; ++c) {
      const S v = s[c * R + j];
      nan |= v != v;
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    out[j] = static_cast<L>(arg);
  }
  return nan;
}

template <class P, class T>
void binary(tag, const P* p, const T* t, std::size_t N, std::size_t L, std::size_t R,
            const label_rule<T>& rule, const binary_thresholds<P>& th, std::size_t,
            binary_tally* out, unsigned& fl) {
  kshared::binary_scalar(p, t, N, L, R, rule, th, out, fl);
}

template <class X, class Y>
[[nodiscard]] bool onehot_index(tag, const X* x, const Y* y, std::size_t C, std::size_t R,
                                const label_rule<Y>& rule, bool x_everywhere, std::uint64_t* both,
                                std::uint64_t* xs, std::uint64_t* ys) {
  return kshared::onehot_index_rows(x, y, C, R, 0, R, rule, x_everywhere, both, xs, ys);
}

}  // namespace scalar
}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_KERNELS_SCALAR_HPP
