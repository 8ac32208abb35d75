// tally/detail/kernels/generic/binary.inl — binary and multilabel counting, written once for every
// SIMD rung. Included once per rung (after vec.inl); no include guard.
//
// One pass over preds and target gives, per label, the counts under both readings of floating
// preds (probabilities and logits), so the per-update logit rule (semantics 1.3) is applied after
// the pass, plus the validation flags.
//
// Data layout (N, L, R): element (n, l, r) at flat index (n*L + l)*R + r belongs to label l.
// Which loop runs (binary_count):
//  - one unit (L == 1, the binary task): the whole array is one stream counted in registers.
//  - long runs (R >= kb_run_min, or R >= kb_run_min_few with few samples, e.g. samplewise updates
//    that pass N = 1): each contiguous (n, l) run of R elements is counted in registers and reduced
//    into label l.
//  - short runs, small period (S = lcm(L*R, W) <= kb_period_max): the array is one stream; element
//    i adds to lane counter i mod S, which belongs to label ((i mod S) mod L*R) / R. This is the
//    (1e6, 20) case: R = 1, the label axis is the contiguous one.
//  - otherwise (short runs, long period): column blocks of at most kb_block_max positions; each
//    block walks all N rows into per-position counters, then folds them into labels. Memory
//    stays O(kb_block_max) whatever L*R is.
//  - the scalar loop (kshared::binary_scalar) for fewer than kb_scalar_below elements, and for few
//    samples with runs shorter than kb_run_min_few.
// A step covers W elements: every quantity becomes a byte mask, counted in byte lanes that are
// folded into the uint64 totals every `rounds` <= 255 increments. Lane counters live in registers
// (runs) or in a stack scratch of at most kb_block_max * 6 bytes (periods, blocks). Without an
// ignore_index, kept is not counted at all (it is the element count). Validation (targets,
// integral preds, NaN) is accumulated as masks; the [0, 1] range of floating preds is summarised
// per block of kb_block_steps steps.

inline constexpr std::size_t kb_run_min = 256;
inline constexpr std::size_t kb_few_rows = 4;
inline constexpr std::size_t kb_run_min_few = 64;
inline constexpr std::size_t kb_period_max = 1024;
inline constexpr std::size_t kb_block_max = 1024;
inline constexpr std::size_t kb_scalar_below = 128;

// Floating preds are summarised per block of kb_block_steps steps: min and max (that skip NaN)
// and a NaN test. At the end of a block, min < 0 or max > 1 sets outside_all, and outside_kept
// too when there is no ignore_index. With an ignore_index, a block that has an outside value while
// outside_kept is still unknown is rescanned (it is in cache) for an outside value at a kept
// position: logits find one in their first block, probabilities never rescan.
inline constexpr std::size_t kb_block_steps = 32;

template <class P>
inline constexpr bool kb_floating = std::is_floating_point_v<P>;

// The stream's validation and range state.
template <class P>
struct kb_state {
  bmask bad;                     // lanes of invalid labels
  ops::mask<uint_of<P>> nan;     // floats: NaN seen
  ops::reg<P> lo, hi;            // floats: range of this block
  unsigned flags;
};

template <class P>
TALLY_INLINE void kb_reset_range(kb_state<P>& s) noexcept {
  if constexpr (kb_floating<P>) s.lo = s.hi = ops::set1<P>(P(0.5));
}

template <class P>
TALLY_INLINE kb_state<P> kb_init() noexcept {
  kb_state<P> s;
  s.bad = ops::m_none<u8>();
  s.nan = ops::m_none<uint_of<P>>();
  if constexpr (kb_floating<P>)
    kb_reset_range(s);
  else
    s.lo = s.hi = ops::set1<P>(P(0));
  s.flags = 0;
  return s;
}

// Byte lane counters of one step (W slots).
struct kb_counts {
  bytes kept, target, pred_p, tp_p, pred_l, tp_l;
};

TALLY_INLINE kb_counts kb_zero() noexcept {
  const bytes z = ops::set1<u8>(0);
  return {z, z, z, z, z, z};
}

// Counters of one phase in memory, laid out [nq][W] (kshared::fold_slots reads them so).
template <bool Ig>
TALLY_INLINE kb_counts kb_load(const u8* c) noexcept {
  return {Ig ? ops::load<u8>(c) : ops::set1<u8>(0),
          ops::load<u8>(c + ops::W),
          ops::load<u8>(c + 2 * ops::W),
          ops::load<u8>(c + 3 * ops::W),
          ops::load<u8>(c + 4 * ops::W),
          ops::load<u8>(c + 5 * ops::W)};
}

template <bool Ig>
TALLY_INLINE void kb_store(u8* c, const kb_counts& v) noexcept {
  if constexpr (Ig) ops::store<u8>(c, v.kept);
  ops::store<u8>(c + ops::W, v.target);
  ops::store<u8>(c + 2 * ops::W, v.pred_p);
  ops::store<u8>(c + 3 * ops::W, v.tp_p);
  ops::store<u8>(c + 4 * ops::W, v.pred_l);
  ops::store<u8>(c + 5 * ops::W, v.tp_l);
}

// One step of W elements (Tail: only the first `left` < W, read without going past them).
// The thresholds and the ignore value come by value: copied out of the caller's structures so
// that stores to the (uint8) counters cannot force them to be reloaded.
template <class P, class T, bool Ig, bool Tail>
TALLY_INLINE void kb_step(const P* p, const T* t, std::size_t left, binary_thresholds<P> th,
                          T ignore, kb_counts& c, kb_state<P>& s) noexcept {
  const vec<T> tv = Tail ? vload_n(t, left) : vload(t);
  bmask kept = Tail ? ops::first_n(left) : ops::m_all<u8>();
  if constexpr (Ig) kept = ops::m_andnot<u8>(kept, to_bytes(veq(tv, ignore)));
  const bmask kt = ops::m_and<u8>(to_bytes(veq(tv, T(1))), kept);
  bmask bad = ops::m_andnot<u8>(kept, to_bytes(vtest_none(tv, static_cast<T>(~T(1)))));
  bmask pp, pl = ops::m_none<u8>();
  if constexpr (kb_floating<P>) {
    const vec<P> pv = Tail ? vload_n(p, left) : vload(p);
    pp = to_bytes(vgt(pv, th.prob));
    pl = to_bytes(vgt(pv, th.logit));
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(P); ++j) {
      s.lo = ops::min_skip<P>(pv.r[j], s.lo);
      s.hi = ops::max_skip<P>(pv.r[j], s.hi);
    }
    // NaN: one compare tests two registers.
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(P); j += 2)
      s.nan = ops::m_or<uint_of<P>>(s.nan, ops::int_mask(ops::unord<P>(pv.r[j], pv.r[j + 1])));
    if constexpr (Ig || Tail) {
      pp = ops::m_and<u8>(pp, kept);
      pl = ops::m_and<u8>(pl, kept);
    }
  } else {
    const vec<P> pv = Tail ? vload_n(p, left) : vload(p);
    pp = ops::m_and<u8>(to_bytes(veq(pv, P(1))), kept);
    bad = ops::m_or<u8>(bad,
                        ops::m_andnot<u8>(kept, to_bytes(vtest_none(pv, static_cast<P>(~P(1))))));
  }
  s.bad = ops::m_or<u8>(s.bad, bad);
  if constexpr (Ig) c.kept = ops::inc(c.kept, kept);
  c.target = ops::inc(c.target, kt);
  c.pred_p = ops::inc(c.pred_p, pp);
  c.tp_p = ops::inc(c.tp_p, ops::m_and<u8>(pp, kt));
  if constexpr (kb_floating<P>) {
    c.pred_l = ops::inc(c.pred_l, pl);
    c.tp_l = ops::inc(c.tp_l, ops::m_and<u8>(pl, kt));
  }
}

// Whether a step holds a floating pred outside [0, 1] at a kept position.
template <bool Tail, class P, class T>
TALLY_INLINE bool kb_step_outside(const P* p, const T* t, std::size_t left, T ignore) noexcept {
  const vec<T> tv = vload_step<Tail>(t, left);
  const vec<P> pv = vload_step<Tail>(p, left);
  const bmask kept = ops::m_andnot<u8>(live_lanes<Tail>(left), to_bytes(veq(tv, ignore)));
  const bmask out = to_bytes(vor(vlt(pv, P(0)), vgt(pv, P(1))));
  return ops::any<u8>(ops::m_and<u8>(kept, out));
}

// Whether one of n floating preds at a kept position lies outside [0, 1] (the rescan).
template <class P, class T>
bool kb_kept_outside(const P* p, const T* t, std::size_t n, T ignore) noexcept {
  std::size_t i = 0;
  for (; i + ops::W <= n; i += ops::W)
    if (kb_step_outside<false>(p + i, t + i, 0, ignore)) return true;
  return i < n && kb_step_outside<true>(p + i, t + i, n - i, ignore);
}

// Closes a block of n elements at p, t (see kb_block_steps).
template <class P, class T, bool Ig>
TALLY_INLINE void kb_end_block(kb_state<P>& s, const P* p, const T* t, std::size_t n,
                         T ignore) noexcept {
  if constexpr (kb_floating<P>) {
    const bool out = ops::any<uint_of<P>>(ops::m_or<uint_of<P>>(
        ops::int_mask(ops::lt<P>(s.lo, ops::set1<P>(P(0)))),
        ops::int_mask(ops::gt<P>(s.hi, ops::set1<P>(P(1))))));
    if (out) {
      s.flags |= binary_outside_all;
      if constexpr (!Ig)
        s.flags |= binary_outside_kept;
      else if (!(s.flags & binary_outside_kept) && kb_kept_outside(p, t, n, ignore))
        s.flags |= binary_outside_kept;
    }
    kb_reset_range(s);
  } else {
    (void)s, (void)p, (void)t, (void)n, (void)ignore;
  }
}

template <class P>
TALLY_INLINE unsigned kb_final_flags(const kb_state<P>& s) noexcept {
  const bool bad = ops::any<u8>(s.bad) || (kb_floating<P> && ops::any<uint_of<P>>(s.nan));
  return s.flags | (bad ? binary_invalid : 0u);
}

// n elements of one unit, counted in registers (folded every `rounds` <= 255 steps), added to
// sums[0 .. nq).
template <class P, class T, bool Ig>
void kb_run(const P* p, const T* t, std::size_t n, T ignore, binary_thresholds<P> th,
            std::size_t rounds, std::uint64_t* sums, unsigned& fl) noexcept {
  kb_state<P> st = kb_init<P>();
  std::uint64_t tot[kshared::nq] = {};
  std::size_t i = 0;
  while (i < n) {
    kb_counts c = kb_zero();
    const std::size_t end = n - i > rounds * ops::W ? i + rounds * ops::W : n;
    while (i < end) {
      const std::size_t b0 = i;
      const std::size_t bend =
          end - i > kb_block_steps * ops::W ? i + kb_block_steps * ops::W : end;
      for (; i + ops::W <= bend; i += ops::W) {
        prefetch_ahead(p + i);
        prefetch_ahead(t + i);
        kb_step<P, T, Ig, false>(p + i, t + i, 0, th, ignore, c, st);
      }
      if (i < bend) {
        kb_step<P, T, Ig, true>(p + i, t + i, bend - i, th, ignore, c, st);
        i = bend;
      }
      kb_end_block<P, T, Ig>(st, p + b0, t + b0, bend - b0, ignore);
    }
    if constexpr (Ig) tot[kshared::q_kept] += ops::byte_sum(c.kept);
    tot[kshared::q_target] += ops::byte_sum(c.target);
    tot[kshared::q_pred_p] += ops::byte_sum(c.pred_p);
    tot[kshared::q_tp_p] += ops::byte_sum(c.tp_p);
    tot[kshared::q_pred_l] += ops::byte_sum(c.pred_l);
    tot[kshared::q_tp_l] += ops::byte_sum(c.tp_l);
  }
  if constexpr (!Ig) tot[kshared::q_kept] = n;
  for (std::size_t q = 0; q < kshared::nq; ++q) sums[q] += tot[q];
  fl |= kb_final_flags(st);
}

// n elements; element i adds to slot i mod S (S a multiple of W) of the byte counters.
// n <= 255 * S (the caller folds between calls). Without an ignore_index the kept counters are
// left alone.
template <class P, class T, bool Ig>
void kb_slots(const P* p, const T* t, std::size_t n, T ignore, binary_thresholds<P> th,
              u8* counters, std::size_t S, bool prefetch, unsigned& fl) noexcept {
  kb_state<P> st = kb_init<P>();
  const std::size_t phases = S / ops::W;
  std::size_t i = 0, ph = 0;
  while (i < n) {
    const std::size_t b0 = i;
    const std::size_t bend = n - i > kb_block_steps * ops::W ? i + kb_block_steps * ops::W : n;
    for (; i + ops::W <= bend; i += ops::W) {
      if (prefetch) {
        prefetch_ahead(p + i);
        prefetch_ahead(t + i);
      }
      u8* cb = counters + ph * (kshared::nq * ops::W);
      kb_counts c = kb_load<Ig>(cb);
      kb_step<P, T, Ig, false>(p + i, t + i, 0, th, ignore, c, st);
      kb_store<Ig>(cb, c);
      if (++ph == phases) ph = 0;
    }
    if (i < bend) {
      u8* cb = counters + ph * (kshared::nq * ops::W);
      kb_counts c = kb_load<Ig>(cb);
      kb_step<P, T, Ig, true>(p + i, t + i, bend - i, th, ignore, c, st);
      kb_store<Ig>(cb, c);
      i = bend;
    }
    kb_end_block<P, T, Ig>(st, p + b0, t + b0, bend - b0, ignore);
  }
  fl |= kb_final_flags(st);
}

// Byte counters of up to kb_block_max slots, on the stack.
class kb_byte_slots {
 public:
  explicit kb_byte_slots(std::size_t slots) noexcept : size_(slots * kshared::nq) { clear(); }
  [[nodiscard]] u8* data() noexcept { return bytes_; }
  void clear() noexcept { std::memset(bytes_, 0, size_); }

 private:
  alignas(64) u8 bytes_[kb_block_max * kshared::nq];
  std::size_t size_;
};

template <bool Ig, class P, class T>
void kb_count(std::size_t rounds, const P* preds, const T* target, std::size_t N, std::size_t L,
              std::size_t R, const label_rule<T>& rule, binary_thresholds<P> th,
              binary_tally* out, unsigned& fl) {
  constexpr std::size_t W = ops::W;
  const T ignore = rule.ignore;
  const std::size_t period = L * R;  // one sample
  const std::size_t total = N * period;

  // One unit, or long runs: count each run in registers.
  if (L == 1 || R >= kb_run_min || (N < kb_few_rows && R >= kb_run_min_few)) {
    const std::size_t runs = L == 1 ? 1 : N * L;
    const std::size_t len = L == 1 ? total : R;
    for (std::size_t u = 0; u < runs; ++u) {
      std::uint64_t sums[kshared::nq] = {};
      kb_run<P, T, Ig>(preds + u * len, target + u * len, len, ignore, th, rounds, sums, fl);
      kshared::add_counts(out[L == 1 ? 0 : u % L], sums);
    }
    return;
  }

  // Short period: the array is one stream, element i into slot i mod S.
  const std::size_t S = period / kshared::gcd_size(period, W) * W;  // lcm(period, W)
  if (S <= kb_period_max && total >= 4 * S) {
    kb_byte_slots slots(S);
    const std::size_t chunk = rounds * S;  // elements per fold
    for (std::size_t i = 0; i < total; i += chunk) {
      const std::size_t m = std::min(chunk, total - i);
      kb_slots<P, T, Ig>(preds + i, target + i, m, ignore, th, slots.data(), S, true, fl);
      // Without an ignore_index, slot s was hit by every S-th element from s on.
      kshared::fold_slots(slots.data(), W, std::min(S, m), 0, period, R, out,
                          [&](std::size_t s) { return Ig || s >= m ? 0 : (m - s - 1) / S + 1; });
      slots.clear();
    }
    return;
  }

  // Few samples with short runs (samplewise updates call with N = 1): nothing to amortize the
  // per-position fold of the column blocks over.
  if (N < kb_few_rows) {
    kshared::binary_scalar(preds, target, N, L, R, rule, th, out, fl);
    return;
  }

  // Long period: column blocks of positions, every row of a block into per-position slots.
  const std::size_t B = std::min((period + W - 1) / W * W, kb_block_max);
  kb_byte_slots slots(B);
  for (std::size_t c0 = 0; c0 < period; c0 += B) {
    const std::size_t b = std::min(B, period - c0);
    const std::size_t Sb = (b + W - 1) / W * W;
    for (std::size_t n0 = 0; n0 < N; n0 += rounds) {
      const std::size_t n1 = std::min(N, n0 + rounds);
      for (std::size_t n = n0; n < n1; ++n)
        kb_slots<P, T, Ig>(preds + n * period + c0, target + n * period + c0, b, ignore, th,
                           slots.data(), Sb, false, fl);
      kshared::fold_slots(slots.data(), W, b, c0, period, R, out,
                          [&](std::size_t) { return Ig ? 0 : n1 - n0; });
      slots.clear();
    }
  }
}
