// Test-only: the helpers the Catch2 test files share, so that each is written once: views and
// owning buffers of test data, value and type helpers, NaN-aware expectations, a callable
// reference (fn_ref), error messages, every metric type of a task, options builders, the ISA cap
// check, a fast RNG and the random label pairs of the kernel and parallel tests. Everything is in
// namespace tally_test; a test file says `using namespace tally_test;` in its anonymous namespace.
#ifndef TALLY_TESTS_TEST_SUPPORT_HPP
#define TALLY_TESTS_TEST_SUPPORT_HPP

#include <tally/tally.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tally_catch.hpp"
#include "isa_caps.hpp"

namespace tally_test {

inline constexpr double qnan = std::numeric_limits<double>::quiet_NaN();
inline constexpr double inf = std::numeric_limits<double>::infinity();

// ---- views and buffers -------------------------------------------------------------------------

// A view of v with shape s; the sizes must agree (a test typo throws here, not later in a
// metric). A temporary vector lives until the end of the full expression.
template <class T>
tally::tensor_view<const T> view_of(const std::vector<T>& v, tally::Shape s) {
  return tally::tensor_view<const T>(v, s);
}

// A rank-1 view of all of v.
template <class T>
tally::tensor_view<const T> view_of(const std::vector<T>& v) {
  return tally::tensor_view<const T>(v);
}

// An owning array of any element type, bool included (std::vector<bool> has no data()), with a
// shape. Copies share the data, so that a buffer can be captured by the std::functions of a table
// of checks. Empty values give a null pointer, as a view of nothing may have.
template <class T>
class buffer {
 public:
  // Braced values go through double, exact for the small integers and fractions the tests
  // write: buffer<bool>({0, 1, 1}, Shape{3}).
  buffer(const std::vector<double>& values, tally::Shape shape) { assign(values, shape); }
  // Values of any other type, each static_cast to T (no trip through double).
  template <class V, class = std::enable_if_t<!std::is_same_v<V, double>>>
  buffer(const std::vector<V>& values, tally::Shape shape) {
    assign(values, shape);
  }
  [[nodiscard]] tally::tensor_view<const T> view() const {
    return tally::tensor_view<const T>(data_.get(), shape_);
  }

 private:
  template <class V>
  void assign(const std::vector<V>& values, tally::Shape shape) {
    REQUIRE(values.size() == shape.numel());
    shape_ = shape;
    if (!values.empty()) data_.reset(new T[values.size()]);
    for (std::size_t i = 0; i < values.size(); ++i) data_[i] = static_cast<T>(values[i]);
  }

  std::shared_ptr<T[]> data_;
  tally::Shape shape_;
};

// make_buffer<int>({0, 1, 1}, Shape{3}): the element type spelled once, the values braced.
template <class T>
buffer<T> make_buffer(const std::vector<T>& values, tally::Shape shape) {
  return buffer<T>(values, shape);
}

// Every element of v converted to To.
template <class To, class From>
std::vector<To> cast_vector(const std::vector<From>& v) {
  std::vector<To> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<To>(v[i]);
  return out;
}

// Label map (N, ...) -> one-hot (N, C, ...), as values of O.
template <class O, class L>
std::vector<O> one_hot(const std::vector<L>& labels, std::size_t N, std::size_t C) {
  const std::size_t R = N ? labels.size() / N : 0;
  std::vector<O> out(N * C * R, O(0));
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t r = 0; r < R; ++r)
      out[(n * C + static_cast<std::size_t>(labels[n * R + r])) * R + r] = O(1);
  return out;
}

// ---- element types and values, by value (written independently of tally's labels.hpp) ---------

// "bool", "int8" ... "uint64", "float", "double", "long double" ("?" for anything else).
template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, float>) {
    return "float";
  } else if constexpr (std::is_same_v<T, double>) {
    return "double";
  } else if constexpr (std::is_same_v<T, long double>) {
    return "long double";
  } else if constexpr (std::is_integral_v<T> && sizeof(T) <= 8) {
    constexpr const char* names[2][4] = {{"uint8", "uint16", "uint32", "uint64"},
                                         {"int8", "int16", "int32", "int64"}};
    constexpr int width = sizeof(T) == 1 ? 0 : sizeof(T) == 2 ? 1 : sizeof(T) == 4 ? 2 : 3;
    return names[std::is_signed_v<T> ? 1 : 0][width];
  } else {
    return "?";
  }
}

// Whether the integer v is a value of T (floating-point types hold no labels: false).
template <class T>
bool holds_value(std::int64_t v) {
  if constexpr (std::is_floating_point_v<T>) {
    return false;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v == 0 || v == 1;
  } else if constexpr (std::is_signed_v<T>) {
    return v >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
           v <= static_cast<std::int64_t>(std::numeric_limits<T>::max());
  } else {
    return v >= 0 && static_cast<std::uint64_t>(v) <=
                         static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  }
}

// x == v by value: no wrap-around (a uint8 255 is not -1).
template <class T>
bool equals_value(T x, std::int64_t v) {
  if constexpr (std::is_same_v<T, bool>) {
    return (x ? 1 : 0) == v;
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<std::int64_t>(x) == v;
  } else {
    return v >= 0 && static_cast<std::uint64_t>(x) == static_cast<std::uint64_t>(v);
  }
}

// ---- expectations ------------------------------------------------------------------------------

// actual is within eps of expected; a NaN expected asks for a NaN.
inline void check_close(double actual, double expected, double eps = 1e-12) {
  if (std::isnan(expected)) {
    CHECK(std::isnan(actual));
  } else {
    CHECK_THAT(actual, Catch::Matchers::WithinAbs(expected, eps));
  }
}

// r has this shape and these values (row-major, each within eps; NaN where expected is NaN).
inline void expect_values(const tally::Result& r, const tally::Shape& shape,
                          const std::vector<double>& expected, double eps = 1e-12) {
  INFO("result: " << r << ", shape " << r.shape());
  REQUIRE(r.shape() == shape);
  REQUIRE(r.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("flat index " << i << ", expected " << expected[i]);
    check_close(r[i], expected[i], eps);
  }
}

// r is the scalar `expected`.
inline void expect_scalar(const tally::Result& r, double expected) {
  expect_values(r, tally::Shape{}, {expected});
}

// Exact counts of this shape.
inline void expect_counts(tally::tensor_view<const std::uint64_t> counts, const tally::Shape& shape,
                          const std::vector<std::uint64_t>& expected) {
  REQUIRE(counts.shape() == shape);
  REQUIRE(counts.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("flat index " << i);
    CHECK(counts[i] == expected[i]);
  }
}

// Two results of the same shape, values within eps, NaN where the other is NaN.
inline void expect_close(const tally::Result& a, const tally::Result& b, double eps = 1e-12) {
  INFO("a = " << a << ", b = " << b);
  REQUIRE(a.shape() == b.shape());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("flat index " << i);
    CHECK(std::isnan(a[i]) == std::isnan(b[i]));
    if (!std::isnan(a[i]) && !std::isnan(b[i]))
      CHECK_THAT(a[i], Catch::Matchers::WithinAbs(b[i], eps));
  }
}

// Same shape and bit-for-bit the same elements (counts() views, for example).
template <class V>
bool same_values(const V& a, const V& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

// ---- callables ---------------------------------------------------------------------------------

// A non-owning reference to a callable, for helpers that take a test's lambdas. A helper that takes
// `fn_ref<void(M&)>` is compiled once per metric type; one that takes `class F` is compiled again
// for every lambda, which in the error tests multiplied their code (and their -O2 compile time)
// several times over. The callable must outlive the call, as a lambda argument does.
template <class Sig>
class fn_ref;

template <class R, class... A>
class fn_ref<R(A...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, fn_ref>>>
  fn_ref(F&& f) noexcept  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, A... a) -> R {
          auto& g = *static_cast<std::remove_reference_t<F>*>(o);
          if constexpr (std::is_void_v<R>)
            (void)g(std::forward<A>(a)...);  // a lambda's result is dropped, as std::function does
          else
            return g(std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// Keeps a parameter out of template argument deduction (C++20's std::type_identity_t), so that
// `f(M m, same_t<fn_ref<void(M&)>> g)` deduces M from m alone and takes any lambda as g.
template <class T>
struct same_type {
  using type = T;
};
template <class T>
using same_t = typename same_type<T>::type;

// ---- errors ------------------------------------------------------------------------------------

// The message of the tally::error that f throws. Any other exception, or none, fails the check
// and gives "", so that a caller's "the message says ..." checks cannot pass by accident.
inline std::string error_message(fn_ref<void()> f) {
  try {
    f();
  } catch (const tally::error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL_CHECK("not a tally::error: " << e.what());
    return "";
  }
  FAIL_CHECK("no exception");
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- metrics -----------------------------------------------------------------------------------

template <class M>
struct metric_tag {
  using type = M;
};

// Calls f(metric_tag<M>{}, name) for the nine metric types of a task.
template <class Task, class F>
void for_each_metric(F&& f) {
  f(metric_tag<tally::StatScores<Task>>{}, "StatScores");
  f(metric_tag<tally::Precision<Task>>{}, "Precision");
  f(metric_tag<tally::Recall<Task>>{}, "Recall");
  f(metric_tag<tally::Specificity<Task>>{}, "Specificity");
  f(metric_tag<tally::NegativePredictiveValue<Task>>{}, "NegativePredictiveValue");
  f(metric_tag<tally::Accuracy<Task>>{}, "Accuracy");
  f(metric_tag<tally::HammingDistance<Task>>{}, "HammingDistance");
  f(metric_tag<tally::F1Score<Task>>{}, "F1Score");
  f(metric_tag<tally::FBetaScore<Task>>{}, "FBetaScore");
  f(metric_tag<tally::JaccardIndex<Task>>{}, "JaccardIndex");
  f(metric_tag<tally::ConfusionMatrix<Task>>{}, "ConfusionMatrix");
}

template <class M>
inline constexpr bool is_confusion_matrix_v = false;
template <class Task>
inline constexpr bool is_confusion_matrix_v<tally::ConfusionMatrix<Task>> = true;
template <class M>
inline constexpr bool is_jaccard_v = false;
template <class Task>
inline constexpr bool is_jaccard_v<tally::JaccardIndex<Task>> = true;
// The StatScores family: the metrics that accept top_k > 1 and samplewise (all but
// ConfusionMatrix and JaccardIndex).
template <class M>
inline constexpr bool is_stat_family_v = !is_confusion_matrix_v<M> && !is_jaccard_v<M>;

// FBetaScore takes beta first; every other metric takes the options alone.
template <class M, class O>
M make_metric(const O& o, double beta = 2.0) {
  if constexpr (std::is_constructible_v<M, const O&>) {
    return M(o);
  } else {
    return M(beta, o);
  }
}

// compute() after one update of a copy of m.
template <class M, class P, class T>
tally::Result evaluate(M m, const P& preds, const T& target) {
  m.update(preds, target);
  return m.compute();
}

// ---- options (C++17 has no designated initializers) --------------------------------------------

using opt_ii = std::optional<std::int64_t>;

inline tally::Binary::Options bin_opts(opt_ii ii = std::nullopt,
                                       tally::MultidimAverage md = tally::MultidimAverage::global) {
  tally::Binary::Options o;
  o.ignore_index = ii;
  o.multidim_average = md;
  return o;
}

// Two overloads per task, told apart by the second argument: (count, ignore_index, ...) leaves the
// average at its default; (count, average, ignore_index, ...) sets it.
inline tally::Multiclass::Options mc_opts(
    std::int64_t num_classes, opt_ii ii = std::nullopt,
    tally::MultidimAverage md = tally::MultidimAverage::global, int top_k = 1) {
  tally::Multiclass::Options o;
  o.num_classes = num_classes;
  o.ignore_index = ii;
  o.multidim_average = md;
  o.top_k = top_k;
  return o;
}

inline tally::Multiclass::Options mc_opts(std::int64_t num_classes, tally::Average average,
                                          opt_ii ii = std::nullopt, double zero_division = 0.0,
                                          int top_k = 1) {
  tally::Multiclass::Options o;
  o.num_classes = num_classes;
  o.average = average;
  o.ignore_index = ii;
  o.zero_division = zero_division;
  o.top_k = top_k;
  return o;
}

inline tally::Multilabel::Options ml_opts(
    std::int64_t num_labels, opt_ii ii = std::nullopt,
    tally::MultidimAverage md = tally::MultidimAverage::global) {
  tally::Multilabel::Options o;
  o.num_labels = num_labels;
  o.ignore_index = ii;
  o.multidim_average = md;
  return o;
}

inline tally::Multilabel::Options ml_opts(std::int64_t num_labels, tally::Average average,
                                          opt_ii ii = std::nullopt, double zero_division = 0.0) {
  tally::Multilabel::Options o;
  o.num_labels = num_labels;
  o.average = average;
  o.ignore_index = ii;
  o.zero_division = zero_division;
  return o;
}

// ---- ISA caps ----------------------------------------------------------------------------------

// Caps the kernels at `level` until `guard` goes out of scope; the test case stops with a failure
// when the dispatch does not then run `level`.
inline void require_isa(isa_guard& guard, isa level) {
  const bool taken = guard.cap(level);
  INFO("set_isa_cap(" << tally::detail::to_string(level) << "): active_isa() is "
                      << tally::detail::to_string(tally::detail::active_isa()));
  REQUIRE(taken);
}

// ---- random data -------------------------------------------------------------------------------

// splitmix64: cheap enough for millions of values in a Debug build, where <random>'s
// distributions are slow. `splitmix64 rng{seed};`
struct splitmix64 {
  std::uint64_t state;

  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // In [0, n); 0 when n is 0.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // In [lo, hi].
  std::size_t index(std::size_t lo, std::size_t hi) {
    return lo + static_cast<std::size_t>(next() % (hi - lo + 1));
  }
  // In [lo, hi), 53 random bits.
  double real(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
  bool coin(double p) { return real(0.0, 1.0) < p; }
};

// ---- random label pairs (the kernel and the parallel tests) ------------------------------------

// How many non-negative values X holds (2^64 - 1 for uint64, which is plenty).
template <class X>
constexpr std::uint64_t nonneg_values() {
  if constexpr (std::is_same_v<X, bool>)
    return 2;
  else if constexpr (std::is_signed_v<X>)
    return std::uint64_t{1} << (sizeof(X) * 8 - 1);
  else if constexpr (sizeof(X) == 8)
    return std::numeric_limits<std::uint64_t>::max();
  else
    return std::uint64_t{1} << (sizeof(X) * 8);
}

// Classes an X can name: [0, min(C, nonneg values)).
template <class X>
std::uint64_t class_limit(std::uint64_t C) {
  return std::min<std::uint64_t>(C, nonneg_values<X>());
}

enum label_kind : int {
  random_mostly_right = 0,  // random pairs, ~90% right
  random_mostly_wrong,      // random pairs, ~10% right
  runs_mostly_right,        // runs of equal pairs (up to 40000 long), mostly right
  runs_mostly_wrong,        // runs of equal pairs, mostly wrong
  constant_hit,             // one pair (k, k) everywhere
  constant_miss,            // one pair (a, b), a != b, everywhere
  label_kind_count
};

inline const char* label_kind_name(int k) {
  switch (k) {
    case random_mostly_right: return "random-mostly-right";
    case random_mostly_wrong: return "random-mostly-wrong";
    case runs_mostly_right: return "runs-mostly-right";
    case runs_mostly_wrong: return "runs-mostly-wrong";
    case constant_hit: return "constant-hit";
    case constant_miss: return "constant-miss";
  }
  return "?";
}

// The data of one case: C classes, n pairs at `offset` elements into their buffers.
struct label_case {
  std::size_t C = 2;
  std::size_t n = 0;
  std::size_t offset = 1;
  std::optional<std::int64_t> ii;
  int kind = random_mostly_right;
  std::uint64_t seed = 1;
};

// A pred value that is usually invalid (it only goes where the target is ignored).
template <class P>
P garbage_label(splitmix64& rng, std::size_t C) {
  switch (rng.below(7)) {
    case 0: return static_cast<P>(C);
    case 1: return static_cast<P>(-1);
    case 2: return static_cast<P>(255);
    case 3: return static_cast<P>(-100);
    case 4: return std::numeric_limits<P>::max();
    case 5: return std::numeric_limits<P>::min();
    default: return static_cast<P>(rng.next());
  }
}

// Valid data for case c: targets in [0, C) or equal to ignore_index (where it exists in T), preds
// in [0, C) where the target is kept and anything (mostly invalid) where it is ignored.
template <class P, class T>
void fill_labels(const label_case& c, P* p, T* t) {
  splitmix64 rng{c.seed * 0x2545F4914F6CDD1Dull + 7};
  const std::uint64_t tl = class_limit<T>(c.C), pl = class_limit<P>(c.C);
  const bool can_ignore = c.ii && holds_value<T>(*c.ii);
  const bool right = c.kind == random_mostly_right || c.kind == runs_mostly_right;
  auto pair = [&](T& tv, P& pv) {
    if (can_ignore && rng.below(10) == 0) {
      tv = static_cast<T>(*c.ii);
      pv = rng.below(2) ? garbage_label<P>(rng, c.C) : static_cast<P>(rng.below(pl));
      return;
    }
    const std::uint64_t tc = rng.below(tl);
    const bool hit = rng.below(10) < (right ? 9u : 1u);
    std::uint64_t pc = hit && tc < pl ? tc : rng.below(pl);
    if (!hit && pc == tc) pc = (pc + 1) % pl;
    tv = static_cast<T>(tc);
    pv = static_cast<P>(pc);
  };
  const std::size_t n = c.n;
  if (c.kind == random_mostly_right || c.kind == random_mostly_wrong) {
    for (std::size_t i = 0; i < n; ++i) pair(t[i], p[i]);
  } else if (c.kind == runs_mostly_right || c.kind == runs_mostly_wrong) {
    static const std::uint64_t max_runs[] = {4, 64, 2000, 40000};
    for (std::size_t i = 0; i < n;) {
      const std::size_t len = std::min<std::size_t>(n - i, 1 + rng.below(max_runs[rng.below(4)]));
      T tv{};
      P pv{};
      pair(tv, pv);
      for (std::size_t j = 0; j < len; ++j) {
        t[i + j] = tv;
        p[i + j] = pv;
      }
      i += len;
    }
  } else {
    const std::uint64_t k = std::min(tl, pl) - 1 - (c.seed % std::min(tl, pl));
    const std::uint64_t a = k, b = c.kind == constant_hit ? k : (k + 1) % pl;
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = static_cast<T>(a);
      p[i] = static_cast<P>(b);
    }
  }
}

}  // namespace tally_test

#endif  // TALLY_TESTS_TEST_SUPPORT_HPP
