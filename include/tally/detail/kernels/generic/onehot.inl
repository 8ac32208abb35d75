// tally/detail/kernels/generic/onehot.inl — DiceScore's one-hot against index-map counting,
// written once for every SIMD rung. Included once per rung (after vec.inl and labels.inl); no
// include guard.
//
// The index side of a block of positions is narrowed to bytes once (an ignored or past-the-end
// position becomes 0xFE, which is no class for C <= 253); then each class row of the one-hot side
// streams through the block, counted in byte lanes against the stored index bytes.

inline constexpr std::size_t onehot_max_classes = 253;

// The index side of one step, as bytes (0xFE where ignored or past the end), validated.
template <bool Ig, bool Tail, class Y>
TALLY_INLINE void onehot_index_labels(const Y* y, std::size_t left, bytes vmax, Y ignore,
                                      u8* out, bmask& bad) noexcept {
  const labels8 ls = load_labels8<Ig>(vload_step<Tail>(y, left), ignore);
  bmask kept = live_lanes<Tail>(left);
  if constexpr (Ig) kept = ops::m_andnot<u8>(kept, ls.ign);
  bad = ops::m_or<u8>(bad, ops::m_andnot<u8>(kept, ops::le<u8>(ls.v, vmax)));
  ops::store<u8>(out, ops::select<u8>(kept, ls.v, ops::set1<u8>(0xFE)));
}

// One step of one class row of the one-hot side against the index bytes.
template <bool Tail, class X>
TALLY_INLINE void onehot_row_step(const X* x, const u8* ybuf, std::size_t left, bytes vc,
                                  bool x_everywhere, bytes& cb, bytes& cx, bytes& cy,
                                  bmask& bad) noexcept {
  const bytes yb = ops::load<u8>(ybuf);
  const bmask live = live_lanes<Tail>(left);
  const bmask kept = ops::m_andnot<u8>(live, ops::eq<u8>(yb, ops::set1<u8>(0xFE)));
  const vec<X> xv = vload_step<Tail>(x, left);
  const bmask xbin = to_bytes(vtest_none(xv, static_cast<X>(~X(1))));
  bad = ops::m_or<u8>(bad, ops::m_andnot<u8>(x_everywhere ? live : kept, xbin));
  const bmask xk = ops::m_and<u8>(to_bytes(veq(xv, X(1))), kept);
  const bmask yk = ops::eq<u8>(yb, vc);
  cb = ops::inc(cb, ops::m_and<u8>(xk, yk));
  cx = ops::inc(cx, xk);
  cy = ops::inc(cy, yk);
}

template <bool Ig, class X, class Y>
bool onehot_index_block(const X* x, const Y* y, std::size_t C, std::size_t R, std::size_t r0,
                        std::size_t m, const label_rule<Y>& rule, bool x_everywhere, u8* ybuf,
                        std::uint64_t* both, std::uint64_t* xs, std::uint64_t* ys) noexcept {
  const bytes vmax = ops::set1<u8>(static_cast<u8>(rule.limit - 1));
  bmask bad = ops::m_none<u8>();
  const std::size_t full = m / ops::W * ops::W;
  for (std::size_t i = 0; i < full; i += ops::W)
    onehot_index_labels<Ig, false>(y + r0 + i, 0, vmax, rule.ignore, ybuf + i, bad);
  if (full < m)
    onehot_index_labels<Ig, true>(y + r0 + full, m - full, vmax, rule.ignore, ybuf + full, bad);
  for (std::size_t c = 0; c < C; ++c) {
    const bytes vc = ops::set1<u8>(static_cast<u8>(c));
    bytes cb = ops::set1<u8>(0), cx = cb, cy = cb;
    const X* row = x + c * R + r0;
    for (std::size_t i = 0; i < full; i += ops::W)
      onehot_row_step<false>(row + i, ybuf + i, 0, vc, x_everywhere, cb, cx, cy, bad);
    if (full < m)
      onehot_row_step<true>(row + full, ybuf + full, m - full, vc, x_everywhere, cb, cx, cy, bad);
    both[c] += ops::byte_sum(cb);
    xs[c] += ops::byte_sum(cx);
    ys[c] += ops::byte_sum(cy);
  }
  return !ops::any<u8>(bad);
}

template <bool Ig, class X, class Y>
bool onehot_index_all(const X* x, const Y* y, std::size_t C, std::size_t R,
                      const label_rule<Y>& rule, bool x_everywhere, std::uint64_t* both,
                      std::uint64_t* xs, std::uint64_t* ys) {
  // Up to fold_steps steps per block: the byte counters of a class row never overflow.
  constexpr std::size_t block = fold_steps * ops::W;
  alignas(64) u8 ybuf[block];
  bool ok = true;
  for (std::size_t r0 = 0; r0 < R; r0 += block)
    ok &= onehot_index_block<Ig>(x, y, C, R, r0, std::min(block, R - r0), rule, x_everywhere, ybuf,
                                 both, xs, ys);
  return ok;
}
