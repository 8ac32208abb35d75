// tally/detail/kernels/generic/vec.inl — a step of W elements of any lane type, built on one
// rung's register operations (the namespace `ops` in scope). Included once per SIMD rung, inside
// its namespace and target region; no include guard.
//
//   vec<T>    W values of T in sizeof(T) registers     (W = bytes of one register)
//   vmask<T>  W lanes of 0 / all ones in T-wide lanes
//   bytes     one register of W unsigned bytes (counters, labels narrowed to bytes)
//   bmask     a byte mask: W lanes, one per element of the step
//
// Narrowing and mask packing go through pack2 / narrow2 / widen2, so a rung supplies each
// conversion once per width pair.

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

using bytes = ops::reg<u8>;
using bmask = ops::mask<u8>;

template <std::size_t N>
using uint_n =
    std::conditional_t<N == 1, u8,
                       std::conditional_t<N == 2, u16, std::conditional_t<N == 4, u32, u64>>>;
template <class T>
using uint_of = uint_n<sizeof(T)>;

template <class T>
inline constexpr std::size_t lanes_per_reg = ops::W / sizeof(T);

template <class T>
struct vec {
  ops::reg<T> r[sizeof(T)];
};

template <class T>
struct vmask {
  ops::mask<uint_of<T>> r[sizeof(T)];  // integer masks (float compares are converted)
};

// ---- loads and stores ----

template <class T>
TALLY_INLINE vec<T> vload(const T* p) noexcept {
  vec<T> v;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) v.r[j] = ops::load<T>(p + j * lanes_per_reg<T>);
  return v;
}

// The first n < W elements at p, zeros after (nothing past p + n is read).
template <class T>
TALLY_INLINE vec<T> vload_n(const T* p, std::size_t n) noexcept {
  alignas(64) T buf[ops::W] = {};
  std::memcpy(buf, p, n * sizeof(T));
  return vload(static_cast<const T*>(buf));
}

// A step's loads: W elements, or (Tail) the first `left` < W of them.
template <bool Tail, class T>
TALLY_INLINE vec<T> vload_step(const T* p, std::size_t left) noexcept {
  if constexpr (Tail)
    return vload_n(p, left);
  else
    return vload(p);
}

// The lanes of a step that hold elements.
template <bool Tail>
TALLY_INLINE bmask live_lanes(std::size_t left) noexcept {
  if constexpr (Tail)
    return ops::first_n(left);
  else
    return ops::m_all<u8>();
}

template <class T>
TALLY_INLINE void vstore(T* p, const vec<T>& v) noexcept {
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) ops::store<T>(p + j * lanes_per_reg<T>, v.r[j]);
}

template <class T>
TALLY_INLINE vec<T> vset1(T x) noexcept {
  vec<T> v;
  const ops::reg<T> r = ops::set1<T>(x);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) v.r[j] = r;
  return v;
}

// Prefetches into L2 the `bytes` bytes that start `ahead` elements past x, a cache line at a time.
// Into L2, not L1 as well: the lines of a step prefetched into L1 pushed the lines being read out
// of it. The address is computed as an integer: prefetching past the end of an array is harmless,
// forming such a pointer is not allowed.
template <class V>
TALLY_INLINE void prefetch_l2(const V* x, std::size_t ahead, std::size_t bytes) noexcept {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(x) + ahead * sizeof(V);
  TALLY_UNROLL
  for (std::size_t o = 0; o < bytes; o += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(a + o), 0, 2);
}

// The streaming loops' software prefetch: the step prefetch_ahead_elements past the step at x.
// +5-10 points of the DRAM read rate on top of the hardware prefetchers (AMD Zen 3 and Zen 5).
// Into L2 rather than L1 as well, on AMD Zen 4 (bench_counting, g++ -O2, four rounds): int64 maps
// with 19 classes counted at 0.82-0.97 G elem/s under the AVX2 cap against 0.66-0.79, int32 with
// 1000 classes at 0.90-0.93 against 0.73-0.77, multilabel float + int64 at 1.40-1.67 against
// 1.27-1.44 (AVX-512: 1.50-1.70 against 0.95-1.32); the other rows did not move beyond the noise.
inline constexpr std::size_t prefetch_ahead_elements = 2048;

template <class V>
TALLY_INLINE void prefetch_ahead(const V* x) noexcept {
  prefetch_l2(x, prefetch_ahead_elements, ops::W * sizeof(V));
}

// ---- compares ----

template <class T>
TALLY_INLINE vmask<T> veq(const vec<T>& a, T b) noexcept {
  vmask<T> m;
  const ops::reg<T> x = ops::set1<T>(b);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::eq<T>(a.r[j], x));
  return m;
}

template <class T>
TALLY_INLINE vmask<T> veq(const vec<T>& a, const vec<T>& b) noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::eq<T>(a.r[j], b.r[j]));
  return m;
}

// a <= b (unsigned integers, ordered floats)
template <class T>
TALLY_INLINE vmask<T> vle(const vec<T>& a, T b) noexcept {
  vmask<T> m;
  const ops::reg<T> x = ops::set1<T>(b);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::le<T>(a.r[j], x));
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vgt(const vec<T>& a, T b) noexcept {
  vmask<T> m;
  const ops::reg<T> x = ops::set1<T>(b);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::gt<T>(a.r[j], x));
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vgt(const vec<T>& a, const vec<T>& b) noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::gt<T>(a.r[j], b.r[j]));
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vlt(const vec<T>& a, T b) noexcept {
  vmask<T> m;
  const ops::reg<T> x = ops::set1<T>(b);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::int_mask(ops::lt<T>(a.r[j], x));
  return m;
}

// (v & bits) == 0 (integers)
template <class T>
TALLY_INLINE vmask<T> vtest_none(const vec<T>& v, T bits) noexcept {
  vmask<T> m;
  const ops::reg<T> x = ops::set1<T>(bits);
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::test_none<T>(v.r[j], x);
  return m;
}

// ---- mask logic ----

template <class T>
TALLY_INLINE vmask<T> vand(const vmask<T>& a, const vmask<T>& b) noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::m_and<uint_of<T>>(a.r[j], b.r[j]);
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vor(const vmask<T>& a, const vmask<T>& b) noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::m_or<uint_of<T>>(a.r[j], b.r[j]);
  return m;
}

// a & ~b
template <class T>
TALLY_INLINE vmask<T> vandnot(const vmask<T>& a, const vmask<T>& b) noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::m_andnot<uint_of<T>>(a.r[j], b.r[j]);
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vnone() noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::m_none<uint_of<T>>();
  return m;
}

template <class T>
TALLY_INLINE vmask<T> vall() noexcept {
  vmask<T> m;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) m.r[j] = ops::m_all<uint_of<T>>();
  return m;
}

template <class T>
TALLY_INLINE bool vany(const vmask<T>& m) noexcept {
  ops::mask<uint_of<T>> a = m.r[0];
  TALLY_UNROLL
  for (std::size_t j = 1; j < sizeof(T); ++j) a = ops::m_or<uint_of<T>>(a, m.r[j]);
  return ops::any<uint_of<T>>(a);
}

// ---- values ----

template <class T>
TALLY_INLINE vec<T> vselect(const vmask<T>& m, const vec<T>& a, const vec<T>& b) noexcept {
  vec<T> v;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) v.r[j] = ops::select_int<T>(m.r[j], a.r[j], b.r[j]);
  return v;
}

// ---- width changes ----

// sizeof(T) masks -> sizeof(T) / 2 masks of half-width lanes, lane order kept.
template <class T>
TALLY_INLINE vmask<uint_n<sizeof(T) / 2>> pack_half(const vmask<T>& m) noexcept {
  vmask<uint_n<sizeof(T) / 2>> o;
  TALLY_UNROLL
  for (std::size_t j = 0; j < sizeof(T) / 2; ++j)
    o.r[j] = ops::pack2<uint_of<T>>(m.r[2 * j], m.r[2 * j + 1]);
  return o;
}

// A mask of T lanes as a mask of narrower To lanes.
template <class To, class T>
TALLY_INLINE vmask<To> mask_cast(const vmask<T>& m) noexcept {
  if constexpr (sizeof(To) == sizeof(T)) {
    vmask<To> o;
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(T); ++j) o.r[j] = m.r[j];
    return o;
  } else {
    static_assert(sizeof(To) < sizeof(T), "tally: masks only narrow");
    return mask_cast<To>(pack_half(m));
  }
}

// One lane per element: the byte mask of a step.
template <class T>
TALLY_INLINE bmask to_bytes(const vmask<T>& m) noexcept {
  return ops::mask_to_u8<uint_of<T>>(m.r);
}

// Values of unsigned T narrowed (saturating) or widened (zero-extended) to unsigned To.
template <class To, class T>
TALLY_INLINE vec<To> convert(const vec<T>& v) noexcept {
  if constexpr (sizeof(To) == sizeof(T)) {
    vec<To> o;
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(T); ++j) o.r[j] = v.r[j];
    return o;
  } else if constexpr (sizeof(To) < sizeof(T)) {
    using H = uint_n<sizeof(T) / 2>;
    vec<H> h;
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(T) / 2; ++j)
      h.r[j] = ops::narrow2<T>(v.r[2 * j], v.r[2 * j + 1]);
    return convert<To>(h);
  } else {
    using D = uint_n<sizeof(T) * 2>;
    vec<D> d;
    TALLY_UNROLL
    for (std::size_t j = 0; j < sizeof(T); ++j)
      ops::widen2<T>(v.r[j], d.r[2 * j], d.r[2 * j + 1]);
    return convert<To>(d);
  }
}

// W labels as bytes, saturating (values above 255, negatives read as unsigned, become 255).
template <class T>
TALLY_INLINE bytes to_u8(const vec<T>& v) noexcept {
  return ops::to_u8<T>(v.r);
}
