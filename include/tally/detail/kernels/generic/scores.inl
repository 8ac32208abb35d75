// tally/detail/kernels/generic/scores.inl — the argmax over the class axis of per-class scores,
// written once for every SIMD rung. Included once per rung (after vec.inl); no include guard.
//
// Scores laid out (C, R): position r's scores are s[c * R + r]. A step of W positions is read
// class row after class row, keeping the running best value and index in registers; the
// result is a block of labels that the label kernels then count against the target. A tie goes
// to the lowest class index (strict >), as torch's argmax does.

// Rows ahead of the one being read are prefetched this many positions ahead: nineteen or more rows
// in flight are more streams than the hardware prefetchers follow.
inline constexpr std::size_t argmax_prefetch = 256;

template <std::size_t U, class L, class S>
bool argmax_steps(const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) noexcept {
  using M = uint_of<S>;
  ops::mask<M> nan = ops::m_none<M>();
  std::size_t j = 0;
  for (; j + U * ops::W <= m; j += U * ops::W) {
    vec<S> best[U];
    vec<L> idx[U];
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
      const std::uintptr_t ahead = reinterpret_cast<std::uintptr_t>(row + argmax_prefetch);
      TALLY_UNROLL
      for (std::size_t o = 0; o < U * ops::W * sizeof(S); o += 64)
        __builtin_prefetch(reinterpret_cast<const void*>(ahead + o));
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
