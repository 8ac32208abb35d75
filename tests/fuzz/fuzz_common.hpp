// Shared pieces of tally's libFuzzer targets: an input decoder, typed tensor generation, the
// per-update checks every target runs (strong guarantee, ISA caps, error type) and the failure
// reporter. Each target adds its own scalar reference ("oracle") written from docs/semantics.md.
#ifndef TALLY_FUZZ_COMMON_HPP
#define TALLY_FUZZ_COMMON_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <tally/detail/isa.hpp>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/isa_caps.hpp"

namespace fz {

__extension__ typedef __int128 i128;  // label values by value, whatever their type

// ---- failure reporting ------------------------------------------------------------------------

inline void append(std::ostringstream&) {}
template <class A, class... R>
void append(std::ostringstream& o, const A& a, const R&... r) {
  if constexpr (std::is_same_v<A, i128>)
    o << static_cast<long double>(a);
  else if constexpr (std::is_same_v<A, std::uint8_t> || std::is_same_v<A, std::int8_t>)
    o << static_cast<int>(a);
  else
    o << a;
  append(o, r...);
}

template <class... A>
[[noreturn]] void die(const char* file, int line, const A&... a) {
  std::ostringstream o;
  o.precision(17);
  append(o, a...);
  std::fprintf(stderr, "\n*** tally fuzz oracle mismatch (%s:%d): %s\n", file, line,
               o.str().c_str());
  std::fflush(stderr);
  std::abort();
}

#define FZ_CHECK(cond, ...) \
  do {                      \
    if (!(cond)) ::fz::die(__FILE__, __LINE__, "check `" #cond "` failed: ", __VA_ARGS__); \
  } while (0)

// ---- input decoding ---------------------------------------------------------------------------

// Reads the fuzz input front to back; once it is used up, a generator seeded from the whole input
// continues deterministically (so short inputs can still describe large tensors).
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : d_(data), n_(size) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
    for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001B3ull;
    rng_ = h | 1;
  }
  std::uint8_t u8() {
    if (pos_ < n_) return d_[pos_++];
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return static_cast<std::uint8_t>(rng_ >> 56);
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16() | (std::uint32_t{u16()} << 16)); }
  std::uint64_t u64() { return u32() | (std::uint64_t{u32()} << 32); }
  bool bit() { return (u8() & 1) != 0; }
  // Uniform-ish in [0, k), k > 0.
  std::size_t below(std::size_t k) {
    if (k <= 256) return u8() % k;
    if (k <= 65536) return u16() % k;
    return static_cast<std::size_t>(u64() % k);
  }
  bool exhausted() const { return pos_ >= n_; }
  std::size_t remaining() const { return pos_ < n_ ? n_ - pos_ : 0; }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t pos_ = 0;
  std::uint64_t rng_;
};

// ---- element types ----------------------------------------------------------------------------

enum class ty : int { b, i8, u8, u16, i32, i64, u64, f32, f64 };
inline constexpr int label_types = 7;  // b .. u64
inline constexpr int all_types = 9;

template <class F>
void with_type(ty t, F&& f) {
  switch (t) {
    case ty::b: return f(bool{});
    case ty::i8: return f(std::int8_t{});
    case ty::u8: return f(std::uint8_t{});
    case ty::u16: return f(std::uint16_t{});
    case ty::i32: return f(std::int32_t{});
    case ty::i64: return f(std::int64_t{});
    case ty::u64: return f(std::uint64_t{});
    case ty::f32: return f(float{});
    case ty::f64: return f(double{});
  }
}
// Element type pairs (preds P, target T) the targets use: P is T itself, uint8, int64, float or
// double. Every type is covered on both sides while the number of instantiations (each one
// compiles the library's SIMD kernels) stays small.
inline constexpr int pred_choices = 5;

template <class T>
constexpr ty type_id() {
  if constexpr (std::is_same_v<T, bool>) return ty::b;
  if constexpr (std::is_same_v<T, std::int8_t>) return ty::i8;
  if constexpr (std::is_same_v<T, std::uint8_t>) return ty::u8;
  if constexpr (std::is_same_v<T, std::uint16_t>) return ty::u16;
  if constexpr (std::is_same_v<T, std::int32_t>) return ty::i32;
  if constexpr (std::is_same_v<T, std::int64_t>) return ty::i64;
  if constexpr (std::is_same_v<T, std::uint64_t>) return ty::u64;
  if constexpr (std::is_same_v<T, float>) return ty::f32;
  return ty::f64;
}

// Calls f(P{}, T{}) for target type `tt` and pred choice `choice` (see pred_choices).
template <bool TargetMayFloat = false, class F>
void with_pair(ty tt, int choice, F&& f) {
  auto inner = [&](auto t0) {
    using T = decltype(t0);
    if constexpr (!TargetMayFloat && std::is_floating_point_v<T>) return;
    else switch (choice) {
      case 0: return f(T{}, T{});
      case 1: return f(std::uint8_t{}, T{});
      case 2: return f(std::int64_t{}, T{});
      case 3: return f(float{}, T{});
      default: return f(double{}, T{});
    }
  };
  if (!TargetMayFloat && (tt == ty::f32 || tt == ty::f64)) tt = ty::i32;
  with_type(tt, inner);
}

// The pred choice that gives P for target T.
template <class P, class T>
constexpr int pred_choice() {
  if constexpr (std::is_same_v<P, T>) return 0;
  if constexpr (std::is_same_v<P, std::uint8_t>) return 1;
  if constexpr (std::is_same_v<P, std::int64_t>) return 2;
  if constexpr (std::is_same_v<P, float>) return 3;
  return 4;
}

inline ty label_type(Input& in) { return static_cast<ty>(in.u8() % label_types); }
inline ty any_type(Input& in) { return static_cast<ty>(in.u8() % all_types); }

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::int8_t>) return "int8";
  if constexpr (std::is_same_v<T, std::uint8_t>) return "uint8";
  if constexpr (std::is_same_v<T, std::uint16_t>) return "uint16";
  if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  if constexpr (std::is_same_v<T, std::uint64_t>) return "uint64";
  if constexpr (std::is_same_v<T, float>) return "float";
  if constexpr (std::is_same_v<T, double>) return "double";
  return "?";
}

// The value of an integral element, exactly.
template <class T>
i128 value_of(T v) {
  if constexpr (std::is_same_v<T, bool>)
    return v ? 1 : 0;
  else
    return static_cast<i128>(v);
}

// A value stored into T: wraps when it does not fit (as a cast would), 0/1 for bool.
template <class T>
T store(i128 v) {
  if constexpr (std::is_same_v<T, bool>)
    return (v & 1) != 0;
  else
    return static_cast<T>(static_cast<std::uint64_t>(v));
}

// ---- options ----------------------------------------------------------------------------------

inline std::optional<std::int64_t> decode_ignore_index(Input& in, std::int64_t C) {
  switch (in.u8() % 12) {
    case 0:
    case 1:
    case 2:
    case 3: return std::nullopt;
    case 4: return 255;
    case 5: return -1;
    case 6: return -100;
    case 7: return C > 0 ? static_cast<std::int64_t>(in.below(static_cast<std::size_t>(C))) : 0;
    case 8: return 0;
    case 9: return C;
    case 10: return 1;
    default: {
      static constexpr std::int64_t odd[] = {
          65535, 65536, 127, 128, -128, -129, 256, 2,
          std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
          std::numeric_limits<std::int32_t>::min(), 4294967295LL};
      return odd[in.u8() % (sizeof odd / sizeof odd[0])];
    }
  }
}

inline double decode_threshold(Input& in) {
  static const double t[] = {0.5, 0.5, 0.5, 0.0, 1.0, 0.3, 0.7, 0.25, 0.1, 0.9,
                             std::nextafter(0.0, 1.0), std::nextafter(1.0, 0.0), 1e-30,
                             -0.0, -1e-300, 1.0000000000000002, std::nan(""),
                             std::numeric_limits<double>::infinity()};
  const std::uint8_t b = in.u8();
  if (b >= 128) return static_cast<double>(b - 128) / 127.0;
  return t[b % (sizeof t / sizeof t[0])];
}

inline double decode_zero_division(Input& in) {
  const std::uint8_t b = in.u8() % 16;
  if (b < 7) return 0.0;
  if (b < 14) return 1.0;
  return b == 14 ? std::nan("") : 0.5;
}

template <class E, int N>
E decode_enum(Input& in) {
  const std::uint8_t b = in.u8();
  if (b == 255) return static_cast<E>(N + (in.u8() % 3));  // out of range: must be rejected
  if (b == 254) return static_cast<E>(-1);
  return static_cast<E>(b % N);
}

// ---- shapes and data --------------------------------------------------------------------------

inline std::size_t decode_extent(Input& in) {
  const std::uint8_t b = in.u8();
  if (b < 160) return b % 6;           // 0..5
  if (b < 220) return 6 + b % 14;      // 6..19
  if (b < 245) return 20 + in.u8() * 4;  // 20..1040
  return 1000 + in.u16() % 5000;
}

// Shrinks extents (from the last axis) until the element count fits `cap`. A zero extent counts
// as 1 here: it empties the shape only until maybe_break_shape turns it into 1, and then the other
// extents must already fit (a (0, 6000, 5000, 4000) shape became 1.2e11 elements that way).
inline void fit(std::vector<std::size_t>& s, std::size_t cap, std::size_t keep_axis = 99) {
  auto numel = [&] {
    std::size_t n = 1;
    for (std::size_t e : s) {
      const std::size_t f = e == 0 ? 1 : e;
      if (n > cap / f) return cap + 1;
      n *= f;
    }
    return n;
  };
  for (std::size_t k = s.size(); k-- > 0 && numel() > cap;)
    if (k != keep_axis) s[k] = s[k] > 1 ? 1 : s[k];
  while (numel() > cap) {
    bool changed = false;
    for (std::size_t k = 0; k < s.size(); ++k)
      if (k != keep_axis && s[k] > 1) {
        s[k] /= 2;
        changed = true;
      }
    if (!changed) {
      s[keep_axis == 0 && s.size() > 1 ? 1 : 0] = 0;
      break;
    }
  }
}

inline std::size_t numel(const std::vector<std::size_t>& s) {
  std::size_t n = 1;
  for (std::size_t e : s) n *= e;
  return n;
}

inline tally::Shape to_shape(const std::vector<std::size_t>& s) {
  return tally::Shape(s.begin(), s.end());
}

// Occasionally damages a shape: another extent, an axis more or fewer.
inline void maybe_break_shape(Input& in, std::vector<std::size_t>& s) {
  const std::uint8_t b = in.u8();
  if (b < 244) return;
  if (b < 248 && !s.empty())
    s[in.below(s.size())] += 1;
  else if (b < 250 && !s.empty())
    s.pop_back();
  else if (b < 252 && s.size() < 8)
    s.push_back(1 + in.u8() % 2);
  else if (!s.empty())
    s[in.below(s.size())] = 0;
}

// An owning array (std::vector<bool> has no data()).
template <class T>
class buf {
 public:
  explicit buf(std::size_t n = 0) : p_(new T[n ? n : 1]()), n_(n) {}
  buf(const buf& o) : buf(o.n_) { std::copy(o.data(), o.data() + o.n_, data()); }
  buf& operator=(const buf& o) {
    buf c(o);
    std::swap(p_, c.p_);
    std::swap(n_, c.n_);
    return *this;
  }
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }
  // This array repeated `times` times.
  buf repeated(std::size_t times) const {
    buf out(n_ * times);
    for (std::size_t r = 0; r < times; ++r) std::copy(data(), data() + n_, out.data() + r * n_);
    return out;
  }

 private:
  std::unique_ptr<T[]> p_;
  std::size_t n_;
};

// Integral labels: mostly classes in [0, C), ignore_index with a per-tensor density, and a few
// invalid or special values at decoded positions.
struct label_plan {
  std::size_t C;                       // valid values [0, C)
  std::optional<std::int64_t> ii;      // written with density `ii_density`/256
  std::uint8_t ii_density = 0;
  std::uint8_t corruptions = 0;        // special values written at decoded positions
};

inline i128 special_value(Input& in, std::size_t C, std::optional<std::int64_t> ii) {
  const std::uint8_t b = in.u8() % 16;
  switch (b) {
    case 0: return -1;
    case 1: return 255;
    case 2: return static_cast<i128>(C);
    case 3: return static_cast<i128>(C) + 1;
    case 4: return ii ? *ii : 2;
    case 5: return 256;
    case 6: return -100;
    case 7: return 65535;
    case 8: return 65536;
    case 9: return std::numeric_limits<std::int64_t>::min();
    case 10: return std::numeric_limits<std::uint64_t>::max();
    case 11: return 127;
    case 12: return -128;
    case 13: return 2;
    case 14: return 0;
    default: return static_cast<i128>(C) - 1;
  }
}

inline label_plan decode_label_plan(Input& in, std::size_t C, std::optional<std::int64_t> ii) {
  label_plan p{C, ii, 0, 0};
  const std::uint8_t d = in.u8();
  p.ii_density = ii ? static_cast<std::uint8_t>(d < 128 ? 0 : d < 200 ? 40 : d) : 0;
  const std::uint8_t c = in.u8();
  p.corruptions = c < 200 ? 0 : static_cast<std::uint8_t>(1 + c % 3);
  return p;
}

template <class T>
buf<T> make_labels(Input& in, std::size_t n, const label_plan& plan) {
  buf<T> v(n);
  const bool wide = plan.C > 256;
  for (std::size_t i = 0; i < n; ++i) {
    if (plan.ii && plan.ii_density && in.u8() < plan.ii_density) {
      v[i] = store<T>(*plan.ii);
      continue;
    }
    const std::size_t r = wide ? in.u16() : in.u8();
    v[i] = store<T>(static_cast<i128>(r % plan.C));
  }
  for (int k = 0; k < plan.corruptions && n > 0; ++k)
    v[in.below(n)] = store<T>(special_value(in, plan.C, plan.ii));
  return v;
}

// Floating values: probabilities in [0, 1], logits, ties and edge values; NaN only at decoded
// positions.
template <class S>
buf<S> make_scores(Input& in, std::size_t n, double threshold) {
  const std::uint8_t mode = in.u8();
  const std::uint8_t nans = in.u8() < 235 ? 0 : 1 + in.u8() % 2;
  const S inf = std::numeric_limits<S>::infinity();
  const S t = static_cast<S>(threshold);
  const S special[] = {S(0),     S(1),     S(0.5),  -S(0),   t,
                       std::nextafter(t, S(2)), std::nextafter(t, S(-1)), inf, -inf,
                       std::numeric_limits<S>::denorm_min(), std::numeric_limits<S>::max(),
                       -std::numeric_limits<S>::max(), S(-1), S(2), S(1e-7), S(0.3)};
  buf<S> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = in.u8();
    if (mode < 120)  // probabilities, occasionally an edge value
      v[i] = b < 240 ? static_cast<S>(b % 240) / S(239) : special[b % 16];
    else if (mode < 200)  // logits
      v[i] = b < 240 ? (static_cast<S>(b) - S(120)) / S(16) : special[b % 16];
    else  // coarse values: many ties
      v[i] = b < 192 ? static_cast<S>(b % 4) / S(3) : special[b % 16];
  }
  for (int k = 0; k < nans && n > 0; ++k) v[in.below(n)] = std::numeric_limits<S>::quiet_NaN();
  return v;
}

// ---- running a call under the contract --------------------------------------------------------

enum class outcome { ok, error };

// Runs f(); a tally::error is an allowed outcome, every other exception is a bug.
template <class F>
outcome guarded(const char* what, F&& f, std::string* message = nullptr) {
  try {
    f();
    return outcome::ok;
  } catch (const tally::error& e) {
    FZ_CHECK(std::strlen(e.what()) > 0, what, ": empty tally::error message");
    if (message) *message = e.what();
    return outcome::error;
  } catch (const std::exception& e) {
    die(__FILE__, __LINE__, what, " threw a non-tally exception: ", e.what());
  } catch (...) {
    die(__FILE__, __LINE__, what, " threw a non-std exception");
  }
}

// The ISA levels this CPU allows, highest first (index 0 is the default dispatch).
inline std::vector<tally::detail::isa> isa_levels() {
  std::vector<tally::detail::isa> out;
  for (int r = tally::detail::rank(tally::detail::detected_isa()); r >= 0; --r)
    out.push_back(tally::detail::at_rank(r));
  return out;
}

// update() on one accumulator: a throwing update must leave save() bytes unchanged.
template <class M, class P, class T>
outcome checked_update(M& m, const P* p, const tally::Shape& ps, const T* t,
                       const tally::Shape& ts, unsigned threads = 0,
                       std::string* message = nullptr) {
  const M before = m;  // a copy: cheaper than save() for large states, compared the same way
  const outcome r = guarded("update", [&] {
    tally::tensor_view<const P> pv(p, ps);
    tally::tensor_view<const T> tv(t, ts);
    if (threads)
      m.update(pv, tv, tally::parallel{threads});
    else
      m.update(pv, tv);
  }, message);
  if (r == outcome::error)
    FZ_CHECK(m == before, "a throwing update changed the state (strong guarantee)");
  return r;
}

template <class V>
bool same_counts(const tally::tensor_view<const std::uint64_t>& c, const std::vector<V>& want) {
  if (c.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (c[i] != static_cast<std::uint64_t>(want[i])) return false;
  return true;
}

inline std::string shape_str(const tally::Shape& s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

// Save -> load into a fresh accumulator gives an equal one with an equal result, and saving it
// again gives the same bytes.
template <class M, class Make>
void check_round_trip(const M& m, Make&& make) {
  const std::string bytes = m.save();
  M fresh = make();
  FZ_CHECK(guarded("load", [&] { fresh.load(bytes); }) == outcome::ok, "load of save() failed");
  FZ_CHECK(fresh == m, "load(save()) is not equal to the original");
  FZ_CHECK(fresh.save() == bytes, "save(load(save())) changed the bytes");
  FZ_CHECK(fresh.compute() == m.compute(), "load(save()) computes differently");
}

// Values must be finite or (where `nan_ok`) NaN, and within [lo, hi].
inline void check_values(const tally::Result& r, bool nan_ok, double lo, double hi,
                         const char* what) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double v = r[i];
    if (std::isnan(v)) {
      FZ_CHECK(nan_ok, what, ": NaN at ", i, " where the semantics give a number");
      continue;
    }
    FZ_CHECK(std::isfinite(v), what, ": non-finite value ", v, " at ", i);
    FZ_CHECK(v >= lo && v <= hi, what, ": value ", v, " at ", i, " outside [", lo, ", ", hi, "]");
  }
}

}  // namespace fz

#endif  // TALLY_FUZZ_COMMON_HPP
