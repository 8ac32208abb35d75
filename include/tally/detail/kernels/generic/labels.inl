// tally/detail/kernels/generic/labels.inl — multiclass label counting, written once for every SIMD
// rung: per-class byte counters, hit/miss, the table's first phase and the many-class first
// phase. Included once per rung (after vec.inl); no include guard.
//
// Which kernel counts (class_labels, below):
//  - C <= ops::per_class_max: per class, compare and count in byte lanes (tp, predicted, target).
//  - C <= hit_miss_max: hit/miss. Most predictions are right, so per class only the right ones are
//    counted in byte lanes; the wrong pairs go to a small C x C table. The first block measures
//    the miss rate: above miss_rate_max (an untrained model), the rest goes to the table.
//  - C <= 64: the two-phase table (kshared::count_table) with a SIMD first phase.
//  - more classes: the packed per-class histograms (kshared::count_large) with a SIMD first phase.
// Labels of any width are narrowed to bytes (saturating, so no value wraps onto a class) for the
// first three; whether a target equals ignore_index is decided at its full width.

inline constexpr std::size_t hit_miss_max = 32;
// Per-class and hit/miss count labels narrowed to bytes, 0xFF meaning "no class".
inline constexpr std::size_t bytes_max_classes = 255;
// The table counts 1-byte labels up to this many classes (bins < 2^16), others up to 64.
inline constexpr std::size_t bytes_table_max_classes = 255;
// Misses per element above which the table is faster than hit/miss (measured at C = 19).
inline constexpr std::size_t miss_rate_num = 1, miss_rate_den = 4;
// Byte counters take at most this many increments between folds.
inline constexpr std::size_t fold_steps = 255;
// Steps of one hit/miss block: short, so that the DRAM stream of the first phase does not stall
// while the other two count the block (fold_steps at most).
inline constexpr std::size_t hit_miss_steps = 64;

// One step of labels: W values narrowed to bytes, and which of them equal `ignore` (at full width).
struct labels8 {
  bytes v;
  bmask ign;
};

template <bool Ig, class V>
TALLY_INLINE labels8 load_labels8(const vec<V>& x, V ignore) noexcept {
  labels8 s;
  s.v = to_u8(x);
  s.ign = Ig ? to_bytes(veq(x, ignore)) : ops::m_none<u8>();
  return s;
}

// ---- per-class byte counters -----------------------------------------------------------------

// One step of per_class_group (Tail: the first `left` < W elements only).
template <std::size_t G, bool Ig, bool Tail, class P, class T>
TALLY_INLINE void per_class_step(const P* p, const T* t, std::size_t left, const bytes* vc,
                                 bytes vp, bytes vt, T ignore, bool validate, bytes* ct, bytes* cp,
                                 bytes* ctp, bmask& bad) noexcept {
  const labels8 ts = load_labels8<Ig>(Tail ? vload_n(t, left) : vload(t), ignore);
  const bytes p8 = to_u8(Tail ? vload_n(p, left) : vload(p));
  // Lanes that count nowhere: ignored, and past the end.
  bmask dead = Ig ? ts.ign : ops::m_none<u8>();
  if constexpr (Tail)
    dead = ops::m_or<u8>(dead, ops::m_andnot<u8>(ops::m_all<u8>(), ops::first_n(left)));
  if (validate) {
    const bmask ok = ops::m_and<u8>(ops::le<u8>(ts.v, vt), ops::le<u8>(p8, vp));
    bad = ops::m_or<u8>(bad, ops::m_andnot<u8>(ops::m_andnot<u8>(ops::m_all<u8>(), ok), dead));
  }
  const bytes t2 = ops::fill_ff(ts.v, dead), p2 = ops::fill_ff(p8, dead);
  TALLY_UNROLL
  for (std::size_t g = 0; g < G; ++g) {
    const bmask mt = ops::eq<u8>(t2, vc[g]);
    const bmask mp = ops::eq<u8>(p2, vc[g]);
    ct[g] = ops::inc(ct[g], mt);
    cp[g] = ops::inc(cp[g], mp);
    ctp[g] = ops::inc(ctp[g], ops::m_and<u8>(mt, mp));
  }
}

// Counts classes c0 .. c0+G-1 over n pairs; validates when `validate` (the first group). Ignored
// lanes (and lanes past the end) have their labels replaced by 0xFF, which is no class (C is
// small), so they count nowhere.
template <std::size_t G, bool Ig, class P, class T>
bool per_class_group(const P* p, const T* t, std::size_t n, std::size_t c0, std::size_t C,
                     u8 pmax, u8 tmax, T ignore, bool validate, class_counts_out out) noexcept {
  const bytes vp = ops::set1<u8>(pmax), vt = ops::set1<u8>(tmax);
  bytes vc[G];
  TALLY_UNROLL
  for (std::size_t g = 0; g < G; ++g)
    vc[g] = ops::set1<u8>(static_cast<u8>(c0 + g < C ? c0 + g : 0xFE));
  std::uint64_t sum_t[G] = {}, sum_p[G] = {}, sum_tp[G] = {};
  bmask bad = ops::m_none<u8>();
  std::size_t i = 0;
  while (i < n) {
    bytes ct[G], cp[G], ctp[G];
    TALLY_UNROLL
    for (std::size_t g = 0; g < G; ++g) ct[g] = cp[g] = ctp[g] = ops::set1<u8>(0);
    const std::size_t end = n - i > fold_steps * ops::W ? i + fold_steps * ops::W : n;
    for (; i + ops::W <= end; i += ops::W)
      per_class_step<G, Ig, false>(p + i, t + i, 0, vc, vp, vt, ignore, validate, ct, cp, ctp,
                                   bad);
    if (i < end) {
      per_class_step<G, Ig, true>(p + i, t + i, end - i, vc, vp, vt, ignore, validate, ct, cp,
                                  ctp, bad);
      i = end;
    }
    TALLY_UNROLL
    for (std::size_t g = 0; g < G; ++g) {
      sum_t[g] += ops::byte_sum(ct[g]);
      sum_p[g] += ops::byte_sum(cp[g]);
      sum_tp[g] += ops::byte_sum(ctp[g]);
    }
  }
  for (std::size_t g = 0; g < G && c0 + g < C; ++g) {
    out.target[c0 + g] += sum_t[g];
    out.pred[c0 + g] += sum_p[g];
    out.tp[c0 + g] += sum_tp[g];
  }
  return !ops::any<u8>(bad);
}

// All C classes in groups of G; the last group is padded with 0xFE, which is no class. Two
// classes (binary problems counted as multiclass) get a group of their own size.
template <std::size_t G, bool Ig, class P, class T>
bool per_class(const P* p, const T* t, std::size_t n, std::size_t C, u8 pmax, u8 tmax, T ignore,
               class_counts_out out) noexcept {
  if (C == 2) return per_class_group<2, Ig>(p, t, n, 0, C, pmax, tmax, ignore, true, out);
  bool ok = true;
  for (std::size_t c0 = 0; c0 < C; c0 += G)
    ok &= per_class_group<G, Ig>(p, t, n, c0, C, pmax, tmax, ignore, c0 == 0, out);
  return ok;
}

// ---- hit/miss ---------------------------------------------------------------------------------

// Buffers of one hit/miss block of up to fold_steps steps.
struct hit_miss_block {
  u8* hits;  // per element: its class when the prediction is right, else 0xFF
  u8* t;     // the labels as bytes (wrong pairs are read from here)
  u8* p;
  std::uint64_t* wrong;  // bit k: element k is counted and wrongly predicted
};

// One step of the first phase at element i of the block (Tail: the first `left` < W only).
template <bool Ig, bool Tail, class P, class T>
TALLY_INLINE void hit_miss_step(const P* p, const T* t, std::size_t i, std::size_t left, bytes vp,
                                bytes vt, T ignore, const hit_miss_block& b, bmask& bad,
                                std::size_t& misses) noexcept {
  prefetch_ahead(t + i);
  prefetch_ahead(p + i);
  const labels8 ts = load_labels8<Ig>(vload_step<Tail>(t + i, left), ignore);
  const bytes p8 = to_u8(vload_step<Tail>(p + i, left));
  bmask kept = live_lanes<Tail>(left);
  if constexpr (Ig) kept = ops::m_andnot<u8>(kept, ts.ign);
  const bmask ok = ops::m_and<u8>(ops::le<u8>(ts.v, vt), ops::le<u8>(p8, vp));
  bad = ops::m_or<u8>(bad, ops::m_andnot<u8>(kept, ok));
  const bmask hit = ops::m_and<u8>(kept, ops::eq<u8>(ts.v, p8));
  ops::store<u8>(b.hits + i, ops::fill_ff(ts.v, ops::m_andnot<u8>(ops::m_all<u8>(), hit)));
  ops::store<u8>(b.t + i, ts.v);
  ops::store<u8>(b.p + i, p8);
  const std::uint64_t wrong = ops::bits(ops::m_andnot<u8>(kept, hit));
  b.wrong[i / 64] |= wrong << (i % 64);
  misses += static_cast<std::size_t>(__builtin_popcountll(wrong));
}

// First phase of a block of m elements: returns false on an invalid value; adds its wrong pairs
// to `misses`.
template <bool Ig, class P, class T>
bool hit_miss_prepare(const P* p, const T* t, std::size_t m, u8 pmax, u8 tmax, T ignore,
                      const hit_miss_block& b, std::size_t& misses) noexcept {
  const bytes vp = ops::set1<u8>(pmax), vt = ops::set1<u8>(tmax);
  bmask bad = ops::m_none<u8>();
  std::size_t count = 0;
  std::fill(b.wrong, b.wrong + (m + 63) / 64, std::uint64_t{0});
  std::size_t i = 0;
  for (; i + ops::W <= m; i += ops::W)
    hit_miss_step<Ig, false>(p, t, i, 0, vp, vt, ignore, b, bad, count);
  if (i < m) hit_miss_step<Ig, true>(p, t, i, m - i, vp, vt, ignore, b, bad, count);
  misses += count;
  return !ops::any<u8>(bad);
}

// Adds, for every class c < C, how often it occurs among `steps` steps of hit bytes: G classes
// per pass, the last pass padded with 0xFE, which is no class.
template <std::size_t G>
void count_hits(const u8* hits, std::size_t steps, std::size_t C, std::uint64_t* tp) noexcept {
  for (std::size_t c0 = 0; c0 < C; c0 += G) {
    bytes vc[G], cnt[G];
    TALLY_UNROLL
    for (std::size_t g = 0; g < G; ++g) {
      vc[g] = ops::set1<u8>(static_cast<u8>(c0 + g < C ? c0 + g : 0xFE));
      cnt[g] = ops::set1<u8>(0);
    }
    for (std::size_t s = 0; s < steps; ++s) {
      const bytes v = ops::load<u8>(hits + s * ops::W);
      TALLY_UNROLL
      for (std::size_t g = 0; g < G; ++g) cnt[g] = ops::inc(cnt[g], ops::eq<u8>(v, vc[g]));
    }
    for (std::size_t g = 0; g < G && c0 + g < C; ++g) tp[c0 + g] += ops::byte_sum(cnt[g]);
  }
}

// How a rung adds a hit/miss block's wrong pairs to the C x C table (kshared::scatter_misses_table,
// or a rung's own). t and p are the block's own byte buffers, which it may overwrite.
using scatter_misses_fn = void (*)(u8* t, u8* p, const std::uint64_t* wrong, std::size_t m,
                                   std::size_t C, u32* miss);

// Hit/miss over n pairs. Returns how many elements it counted: n, or fewer when `adaptive` and the
// first block missed too often (the caller counts the rest with the table); npos on an invalid
// value.
// `scatter` adds a block's wrong pairs to the C x C table.
template <bool Ig, class P, class T>
std::size_t hit_miss(const P* p, const T* t, std::size_t n, std::size_t C,
                     const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                     label_scratch& scratch, bool adaptive, scatter_misses_fn scatter) {
  constexpr std::size_t block = hit_miss_steps * ops::W;
  scratch.bytes.resize(3 * (block + ops::W));
  scratch.hist.resize(block / 64 + 1);
  scratch.table.assign(C * C, 0);
  const hit_miss_block b{scratch.bytes.data(), scratch.bytes.data() + block + ops::W,
                         scratch.bytes.data() + 2 * (block + ops::W), scratch.hist.data()};
  kshared::miss_table misses_of{scratch.table.data(), C};
  std::uint32_t* miss = misses_of.cells;
  std::uint64_t hits[bytes_max_classes];
  std::fill(hits, hits + C, std::uint64_t{0});
  const u8 pmax = static_cast<u8>(pr.limit - 1), tmax = static_cast<u8>(tr.limit - 1);
  std::size_t i = 0;
  while (i < n) {
    const std::size_t m = std::min(block, n - i);
    std::size_t misses = 0;
    if (!hit_miss_prepare<Ig>(p + i, t + i, m, pmax, tmax, tr.ignore, b, misses)) return npos;
    count_hits<ops::hit_group>(b.hits, (m + ops::W - 1) / ops::W, C, hits);
    scatter(b.t, b.p, b.wrong, m, C, miss);
    misses_of.added(misses, out);
    const bool first = i == 0;
    i += m;
    if (adaptive && first && misses * miss_rate_den > m * miss_rate_num) break;
  }
  misses_of.finish(hits, out);
  return i;
}

// ---- the table's first phase ------------------------------------------------------------------

// Bins of m pairs (see kshared::table_bins), whole steps with SIMD, the rest one at a time.
// Whether there is an ignore_index is a branch per step (one instance, not two: this is the
// compile time of every user's translation unit).
template <class P, class T>
void table_bins(const P* p, const T* t, std::size_t m, std::size_t C, const label_rule<P>& pr,
                const label_rule<T>& tr, std::uint16_t* out) noexcept {
  const bytes vt = ops::set1<u8>(static_cast<u8>(tr.limit - 1));
  const bytes vp = ops::set1<u8>(static_cast<u8>(pr.limit - 1));
  const bytes row = ops::set1<u8>(static_cast<u8>(C));  // the extra row C: ignored, invalid
  const bytes zero = ops::set1<u8>(0), one = ops::set1<u8>(1);
  const bool ig = tr.has_ignore;
  std::size_t i = 0;
  for (; i + ops::W <= m; i += ops::W) {
    prefetch_ahead(t + i);
    prefetch_ahead(p + i);
    const vec<T> tv = vload(t + i);
    const bytes t8 = to_u8(tv), p8 = to_u8(vload(p + i));
    const bmask ign = ig ? to_bytes(veq(tv, tr.ignore)) : ops::m_none<u8>();
    const bmask ok = ops::m_and<u8>(ops::le<u8>(t8, vt), ops::le<u8>(p8, vp));
    const bmask keep = ops::m_andnot<u8>(ok, ign);
    // Ignored: (C, 0) -> bin C*C. Invalid: (C, 1) -> bin C*C + 1.
    const bytes hi = ops::select<u8>(keep, t8, row);
    const bytes lo = ops::select<u8>(keep, p8, ops::select<u8>(ign, zero, one));
    ops::store_pair_index(out + i, hi, lo, static_cast<u8>(C));
  }
  kshared::table_bins(p + i, t + i, m - i, C, pr, tr, out + i);
}

template <class P, class T>
bool count_table_simd(const P* p, const T* t, std::size_t n, std::size_t C,
                      const label_rule<P>& pr, const label_rule<T>& tr, std::uint64_t* table,
                      label_scratch& scratch) {
  return kshared::count_table(n, C, table, scratch,
                              [&](std::size_t i, std::size_t m, std::uint16_t* out) {
                                table_bins(p + i, t + i, m, C, pr, tr, out);
                              });
}

template <class P, class T>
bool count_via_table_simd(const P* p, const T* t, std::size_t n, std::size_t C,
                          const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                          label_scratch& scratch) {
  scratch.hist.assign(C * C + 2, 0);
  std::vector<std::uint64_t> table;
  table.swap(scratch.hist);  // count_table_simd uses scratch.bins and scratch.table
  const bool ok = count_table_simd(p, t, n, C, pr, tr, table.data(), scratch);
  kshared::fold_table(table.data(), C, out);
  table.swap(scratch.hist);
  return ok;
}

// ---- many classes: the first phase --------------------------------------------------------------

// How the many-class first phase tests ignored targets: not at all, in its 32-bit lanes, or (a
// 64-bit target whose ignore value does not survive saturation to 32 bits: 2^32 - 1 and above,
// -1 among them) at the target's full width.
enum class ignore_test { none, narrow, wide };

// The rules of the many-class first phase in 32-bit lanes (labels saturate to 2^32 - 1).
template <class T>
struct large_rules {
  u32 tmax, pmax, ig32;
  ignore_test ig;
  T ignore;
};

template <class P, class T>
large_rules<T> large_rules_of(const label_rule<P>& pr, const label_rule<T>& tr) noexcept {
  constexpr std::uint64_t u32max = 0xFFFFFFFFu;
  large_rules<T> r;
  r.tmax = static_cast<u32>(std::min<std::uint64_t>(tr.limit, u32max) - 1);
  r.pmax = static_cast<u32>(std::min<std::uint64_t>(pr.limit, u32max) - 1);
  r.ig32 = static_cast<u32>(std::min<std::uint64_t>(tr.ignore, u32max));
  r.ig = !tr.has_ignore ? ignore_test::none
         : sizeof(T) == 8 && static_cast<std::uint64_t>(tr.ignore) >= u32max
             ? ignore_test::wide
             : ignore_test::narrow;
  r.ignore = tr.ignore;
  return r;
}

// A step of pairs in 32-bit lanes: the labels, and which pairs count (not ignored, valid).
struct large_pairs {
  vec<u32> t, p;
  vmask<u32> keep;
};

// Loads the step at t / p (Tail: the first `left` < W; lanes past the end read zeros, a valid
// pair (0, 0)) and adds its invalid lanes to `bad`.
template <bool Tail, class P, class T>
TALLY_INLINE large_pairs large_load(const P* p, const T* t, std::size_t left,
                                    const large_rules<T>& r, vmask<u32>& bad) noexcept {
  const vec<T> tv = vload_step<Tail>(t, left);
  large_pairs s;
  s.t = convert<u32>(tv);
  s.p = convert<u32>(vload_step<Tail>(p, left));
  vmask<u32> ign = vnone<u32>();
  if constexpr (sizeof(T) == 8) {
    if (r.ig == ignore_test::wide) ign = mask_cast<u32>(veq(tv, r.ignore));
  }
  if (r.ig == ignore_test::narrow) ign = veq(s.t, r.ig32);
  const vmask<u32> ok = vand(vle(s.t, r.tmax), vle(s.p, r.pmax));
  s.keep = vandnot(ok, ign);
  bad = vor(bad, vandnot(vandnot(vall<u32>(), ok), ign));
  return s;
}

// One step of large_prep at element i (Tail: the first `left` < W only). Lanes past the end are
// a valid pair (0, 0) that is right, so neither bad nor wrong, and the second phase reads only
// the first m indexes.
template <bool Tail, class P, class T>
TALLY_INLINE void large_step(const P* p, const T* t, std::size_t i, std::size_t left,
                             const large_rules<T>& r, const vec<u32>& spare, u32* tb, u32* pb,
                             std::uint64_t* wrong, vmask<u32>& bad) noexcept {
  prefetch_ahead(t + i);
  prefetch_ahead(p + i);
  const large_pairs s = large_load<Tail>(p + i, t + i, left, r, bad);
  const vec<u32> a = vselect(s.keep, s.t, spare), b = vselect(s.keep, s.p, spare);
  vstore(tb + i, a);
  vstore(pb + i, b);
  const std::uint64_t w = ops::bits(to_bytes(vandnot(s.keep, veq(a, b))));
  wrong[i / 64] |= w << (i % 64);
}

// Class indexes and wrong bits of m <= kshared::large_block pairs (see kshared::count_large),
// counted as 32-bit lanes.
template <class P, class T>
bool large_prep(const P* p, const T* t, std::size_t m, std::size_t C, const label_rule<P>& pr,
                const label_rule<T>& tr, u32* tb, u32* pb, std::uint64_t* wrong) noexcept {
  const large_rules<T> r = large_rules_of(pr, tr);
  const vec<u32> spare = vset1(static_cast<u32>(C));
  vmask<u32> bad = vnone<u32>();
  std::fill(wrong, wrong + (m + 63) / 64, std::uint64_t{0});
  std::size_t i = 0;
  for (; i + ops::W <= m; i += ops::W) large_step<false>(p, t, i, 0, r, spare, tb, pb, wrong, bad);
  if (i < m) large_step<true>(p, t, i, m - i, r, spare, tb, pb, wrong, bad);
  return !vany(bad);
}

// One step of large_streams_prep (Tail: the first `left` < W only): the classes of its right
// pairs appended to hb, the target and predicted classes of its wrong pairs to mt and mp.
template <bool Tail, class P, class T>
TALLY_INLINE void large_stream_step(const P* p, const T* t, std::size_t left,
                                    const large_rules<T>& r, u32* hb, u32* mt, u32* mp,
                                    std::size_t& hits, std::size_t& misses,
                                    vmask<u32>& bad) noexcept {
  const large_pairs s = large_load<Tail>(p, t, left, r, bad);
  const vmask<u32> same = veq(s.t, s.p);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(u32); ++j) {
    hits += ops::compress_u32(hb + hits, ops::m_and<u32>(s.keep.r[j], same.r[j]), s.t.r[j]);
    const ops::mask<u32> w = ops::m_andnot<u32>(s.keep.r[j], same.r[j]);
    ops::compress_u32(mt + misses, w, s.t.r[j]);
    misses += ops::compress_u32(mp + misses, w, s.p.r[j]);
  }
}

// The first phase of kshared::count_large_streams for m <= kshared::large_block pairs (rungs
// with large_streams). The streams take W lanes of slack.
template <class P, class T>
bool large_streams_prep(const P* p, const T* t, std::size_t m, const label_rule<P>& pr,
                        const label_rule<T>& tr, u32* hb, u32* mt, u32* mp, std::size_t& hits,
                        std::size_t& misses) noexcept {
  const large_rules<T> r = large_rules_of(pr, tr);
  vmask<u32> bad = vnone<u32>();
  std::size_t nh = hits, nm = misses;  // (locals: kept in registers)
  std::size_t i = 0;
  for (; i + ops::W <= m; i += ops::W)
    large_stream_step<false>(p + i, t + i, 0, r, hb, mt, mp, nh, nm, bad);
  if (i < m) {
    // Lanes past the end read (0, 0): a right pair of class 0 unless 0 is ignored. Compress keeps
    // lane order, so those are the last W - (m - i) entries of hb.
    large_stream_step<true>(p + i, t + i, m - i, r, hb, mt, mp, nh, nm, bad);
    if (!(r.ig == ignore_test::narrow && r.ig32 == 0)) nh -= ops::W - (m - i);
  }
  hits = nh;
  misses = nm;
  return !vany(bad);
}
