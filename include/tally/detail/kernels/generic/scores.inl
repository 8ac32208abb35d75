// tally/detail/kernels/generic/scores.inl — the argmax over the class axis of per-class scores,
// written once for every SIMD rung. Included once per rung (after vec.inl); no include guard.
//
// Scores laid out (C, R): position r's scores are s[c * R + r]. A step of W positions is read
// class row after class row, keeping the running best value and index in registers; the
// result is a block of labels that the label kernels then count against the target. A tie goes
// to the lowest class index (strict >), as torch's argmax does.

// Every row is prefetched this many positions ahead of the step being read: nineteen or more rows
// in flight are more streams than the hardware prefetchers follow. Into L2, not L1: measured on
// AMD Zen 4, (8, 19, 256, 512) float scores from DRAM, the L1 prefetch 256 positions ahead read
// them at 9.2-10.5 GB/s under the AVX2 cap and 8.7-10 with AVX-512 (the nineteen rows' prefetched
// lines pushed the ones being read out of L1), into L2 1024 ahead at 13.7-16.2 under both, near
// a plain read (17). Scores already in L2 read as fast as before.
inline constexpr std::size_t argmax_prefetch = 1024;

template <std::size_t U, class L, class S>
bool argmax_steps(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) noexcept {
  using M = uint_of<S>;
  ops::mask<M> nan = ops::m_none<M>();
  std::size_t j = 0;
  for (; j + U * ops::W <= m; j += U * ops::W) {
    vec<S> best[U];
    vec<L> idx[U];
    prefetch_l2(s + j, argmax_prefetch, U * ops::W * sizeof(S));
    TALLY_UNROLL
    for (std::size_t u = 0; u < U; ++u) {
      best[u] = vload(s + j + u * ops::W);
      idx[u] = vset1<L>(0);
      TALLY_UNROLL
      for (std::size_t k = 0; k < sizeof(S); k += 2)
        nan = ops::m_or<M>(nan, ops::int_mask(ops::unord<S>(best[u].r[k], best[u].r[k + 1])));
    }
    for (std::size_t c = 1; c < C; ++c) {
      const S* row = s + c * R + j;
      prefetch_l2(row, argmax_prefetch, U * ops::W * sizeof(S));
      const vec<L> vc = vset1<L>(static_cast<L>(c));
      TALLY_UNROLL
      for (std::size_t u = 0; u < U; ++u) {
        const vec<S> v = vload(row + u * ops::W);
        TALLY_UNROLL
        for (std::size_t k = 0; k < sizeof(S); k += 2)
          nan = ops::m_or<M>(nan, ops::int_mask(ops::unord<S>(v.r[k], v.r[k + 1])));
        const vmask<S> gt = vgt(v, best[u]);
        best[u] = vselect(gt, v, best[u]);
        idx[u] = vselect(mask_cast<L>(gt), vc, idx[u]);
      }
    }
    TALLY_UNROLL
    for (std::size_t u = 0; u < U; ++u) vstore(out + j + u * ops::W, idx[u]);
  }
  const bool tail_nan = scalar::argmax(scalar::tag{}, s + j, C, R, m - j, out + j);
  return tail_nan || ops::any<M>(nan);
}
