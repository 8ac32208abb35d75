// The binary / multilabel counting kernels (kernels/generic/binary.inl) against a plain scalar
// reference written here: every ISA the machine has, every preds and target type, odd lengths,
// misaligned pointers, the layouts (N, L, R) that select each kernel, ignore_index in and out of
// range, probabilities, logits, ties at the thresholds, ±inf, and invalid values
// (docs/semantics.md 1.3, 2.1, 2.2, 2.4, 3.2).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <tally/detail/kernels.hpp>
#include <type_traits>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
namespace td = tally::detail;
using td::binary_flags;
using td::binary_tally;
using td::isa;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

// An array of n values of V starting `offset` bytes into a byte buffer (misaligned on purpose).
template <class V>
struct KbBuf {
  std::vector<unsigned char> bytes;
  std::size_t offset;
  std::size_t n;
  KbBuf(std::size_t count, std::size_t off)
      : bytes(count * sizeof(V) + 16, 0), offset(off), n(count) {}
  [[nodiscard]] const V* ptr() const { return reinterpret_cast<const V*>(bytes.data() + offset); }
  void set(std::size_t i, V v) {
    std::memcpy(bytes.data() + offset + i * sizeof(V), &v, sizeof(V));
  }
  [[nodiscard]] V get(std::size_t i) const {
    V v;
    std::memcpy(&v, bytes.data() + offset + i * sizeof(V), sizeof(V));
    return v;
  }
};

// v as a value of T, if T can hold it.
template <class T>
std::optional<T> kb_as(std::int64_t v) {
  if (holds_value<T>(v)) return static_cast<T>(v);
  return std::nullopt;
}

template <class T>
bool kb_is01(T t) {
  return equals_value(t, 0) || equals_value(t, 1);
}

// ------------------------------------------------------------------------------------------------
// The reference
// ------------------------------------------------------------------------------------------------

struct KbResult {
  std::vector<binary_tally> out;
  binary_flags flags;
};

template <class P, class T>
KbResult kb_reference(const KbBuf<P>& p, const KbBuf<T>& t, std::size_t N, std::size_t L,
                      std::size_t R, std::optional<std::int64_t> ii, double threshold) {
  KbResult r;
  r.out.assign(L, binary_tally{});
  const double logit = threshold <= 0.0   ? -std::numeric_limits<double>::infinity()
                       : threshold >= 1.0 ? std::numeric_limits<double>::infinity()
                                          : std::log(threshold / (1.0 - threshold));
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t q = 0; q < R; ++q) {
        const std::size_t i = (n * L + l) * R + q;
        const T tv = t.get(i);
        const P pv = p.get(i);
        const bool kept = !(ii && equals_value(tv, *ii));
        if (kept && !kb_is01(tv)) r.flags.invalid = true;
        bool pos_prob = false, pos_logit = false;
        if constexpr (std::is_floating_point_v<P>) {
          if (std::isnan(pv)) r.flags.invalid = true;
          const bool outside = pv < P(0) || pv > P(1);
          if (outside) r.flags.outside_all = true;
          if (outside && kept) r.flags.outside_kept = true;
          pos_prob = pv > static_cast<P>(threshold);
          // (double)p > logit for float and double; long double compares in its own precision.
          pos_logit = static_cast<long double>(pv) > static_cast<long double>(logit);
        } else {
          if (kept && !kb_is01(pv)) r.flags.invalid = true;
          pos_prob = equals_value(pv, 1);
        }
        if (!kept) continue;
        binary_tally& o = r.out[l];
        const bool one = equals_value(tv, 1);
        ++o.kept;
        o.target += one;
        o.pred_prob += pos_prob;
        o.tp_prob += pos_prob && one;
        o.pred_logit += pos_logit;
        o.tp_logit += pos_logit && one;
      }
  return r;
}

std::string kb_tally_str(const binary_tally& o) {
  std::ostringstream s;
  s << "{tp_prob " << o.tp_prob << ", pred_prob " << o.pred_prob << ", tp_logit " << o.tp_logit
    << ", pred_logit " << o.pred_logit << ", target " << o.target << ", kept " << o.kept << "}";
  return s.str();
}

bool kb_same(const binary_tally& a, const binary_tally& b) {
  return a.tp_prob == b.tp_prob && a.pred_prob == b.pred_prob && a.tp_logit == b.tp_logit &&
         a.pred_logit == b.pred_logit && a.target == b.target && a.kept == b.kept;
}

// Runs the kernel (through count_multilabel, with the default or a small fold interval) on top
// of a non-zero starting tally, and compares with the reference: flags always, counts when the
// input is valid.
template <class P, class T>
void kb_check(const KbBuf<P>& p, const KbBuf<T>& t, std::size_t N, std::size_t L, std::size_t R,
              std::optional<std::int64_t> ii, double threshold, std::size_t rounds,
              const std::string& what) {
  const KbResult want = kb_reference(p, t, N, L, R, ii, threshold);
  const td::label_rule<T> rule(2, ii);
  const td::binary_thresholds<P> th = td::make_binary_thresholds<P>(threshold);
  std::vector<binary_tally> out(L);
  for (std::size_t l = 0; l < L; ++l) out[l] = {l, 2 * l, 3 * l, 4 * l, 5 * l, 6 * l};
  binary_flags flags;
  td::count_multilabel(p.ptr(), t.ptr(), N, L, R, rule, th, out.data(), flags, rounds);
  INFO(what << " P=" << type_name<P>() << " T=" << type_name<T>()
            << " isa=" << td::to_string(td::active_isa()) << " N=" << N << " L=" << L << " R=" << R
            << " ii=" << (ii ? std::to_string(*ii) : std::string("none")) << " threshold="
            << threshold << " rounds=" << rounds << " offsets=" << p.offset << "," << t.offset);
  CHECK(flags.invalid == want.flags.invalid);
  CHECK(flags.outside_all == want.flags.outside_all);
  CHECK(flags.outside_kept == want.flags.outside_kept);
  if (!want.flags.invalid) {
    for (std::size_t l = 0; l < L; ++l) {
      binary_tally w = want.out[l];
      w.tp_prob += l;
      w.pred_prob += 2 * l;
      w.tp_logit += 3 * l;
      w.pred_logit += 4 * l;
      w.target += 5 * l;
      w.kept += 6 * l;
      if (!kb_same(out[l], w)) {
        INFO("label " << l << ": got " << kb_tally_str(out[l]) << ", want " << kb_tally_str(w));
        CHECK(false);
        break;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Random inputs
// ------------------------------------------------------------------------------------------------

enum class KbPreds { probs, logits, probs_outside_ignored };

// A float of P near the interesting points of this threshold, or uniform in [lo, hi].
template <class P>
P kb_float(splitmix64& rng, KbPreds kind, double threshold) {
  const P inf = std::numeric_limits<P>::infinity();
  const td::binary_thresholds<P> th = td::make_binary_thresholds<P>(threshold);
  const bool logits = kind == KbPreds::logits;
  if (rng.coin(0.3)) {
    // Ties and neighbours of the threshold in play, and the ends of the range.
    const P tie = logits ? th.logit : th.prob;
    switch (rng.index(0, logits ? 9 : 6)) {
      case 0: return tie;
      case 1: return std::isfinite(tie) ? std::nextafter(tie, inf) : P(0);
      case 2: return std::isfinite(tie) ? std::nextafter(tie, -inf) : P(1);
      case 3: return P(0);
      case 4: return P(1);
      case 5: return static_cast<P>(threshold);
      case 6: return -P(0);
      case 7: return inf;
      case 8: return -inf;
      default: return static_cast<P>(std::log(threshold / (1.0 - threshold) + 1e-300));
    }
  }
  return logits ? static_cast<P>(rng.real(-4.0, 4.0)) : static_cast<P>(rng.real(0.0, 1.0));
}

// Fills preds and target for a layout of n elements.
template <class P, class T>
void kb_fill(splitmix64& rng, KbBuf<P>& p, KbBuf<T>& t, std::optional<std::int64_t> ii,
             double p_ignore, KbPreds kind, double threshold) {
  const std::optional<T> ig = ii ? kb_as<T>(*ii) : std::nullopt;
  for (std::size_t i = 0; i < t.n; ++i) {
    const bool ignored = ig && rng.coin(p_ignore);
    t.set(i, ignored ? *ig : static_cast<T>(rng.index(0, 1)));
    if constexpr (std::is_floating_point_v<P>) {
      P v = kb_float<P>(rng, kind, threshold);
      if (ignored && kind == KbPreds::probs_outside_ignored && rng.coin(0.5))
        v = rng.coin(0.5) ? static_cast<P>(-3) : std::numeric_limits<P>::infinity();
      p.set(i, v);
    } else {
      // Integral preds are labels: 0 / 1, anything at ignored positions.
      if (ignored && rng.coin(0.5))
        p.set(i, static_cast<P>(rng.index(2, 200)));
      else
        p.set(i, static_cast<P>(rng.index(0, 1)));
    }
  }
}

struct KbShape {
  std::size_t N, L, R;
};

// Shapes that select every kernel: one unit (L = 1; more than one block of 2048 elements),
// long runs (R >= 256, or R >= 64 with fewer than 4 samples), the period kernel (small L * R, at
// least 4 periods of lcm(L * R, 64)), column blocks (4 or more samples, L * R > 1024 or a period
// whose lcm with 64 exceeds 1024), the scalar fallbacks (tiny inputs; few samples with short
// runs), and empty inputs. `lite` is a subset with one shape of each kind.
const std::vector<KbShape>& kb_shapes(bool lite) {
  static const std::vector<KbShape> full{
      {0, 1, 1},  {1, 1, 1},    {15, 1, 1},   {16, 1, 1},   {17, 1, 1},  {63, 1, 1},  {64, 1, 1},
      {65, 1, 1}, {1001, 1, 1}, {3, 1, 333},  {2113, 1, 1}, {70, 20, 1}, {300, 3, 1}, {65, 5, 1},
      {33, 3, 7}, {9, 4, 17},   {4, 600, 2},  {5, 130, 9},  {2, 3, 300}, {2, 2, 513}, {0, 5, 3},
      {5, 0, 3},  {6, 7, 0},    {4, 1100, 1}, {31, 2, 1},   {70, 64, 1}, {80, 17, 1}, {2, 3, 100},
      {1, 5, 64}, {2, 600, 2},  {3, 20, 50}};
  static const std::vector<KbShape> small{{0, 1, 1},   {17, 1, 1},  {1001, 1, 1}, {70, 20, 1},
                                          {33, 3, 7},  {4, 600, 2}, {2, 2, 300},  {80, 17, 1},
                                          {2, 3, 100}, {2, 600, 2}};
  return lite ? small : full;
}

const std::vector<double>& kb_thresholds() {
  static const std::vector<double> t{0.5, 0.3, 0.0, 1.0, 0.7, 0.999, 0.1};
  return t;
}

template <class T>
std::vector<std::optional<std::int64_t>> kb_ignores() {
  std::vector<std::optional<std::int64_t>> v{std::nullopt, 0, 1, -1, 255, -100};
  if constexpr (sizeof(T) >= 2) v.push_back(65535);
  if constexpr (sizeof(T) == 8) v.push_back(std::int64_t{1} << 40);
  return v;
}

template <class P, class T>
void kb_random_cases(std::uint64_t seed) {
  splitmix64 rng{seed};
  const auto ignores = kb_ignores<T>();
  std::size_t k = 0;
  for (const isa level : tested_isas()) {
    const isa_guard scope(level);
    for (const KbShape& s : kb_shapes(!std::is_floating_point_v<P>)) {
      const std::size_t n = s.N * s.L * s.R;
      ++k;
      const std::optional<std::int64_t> ii = ignores[k % ignores.size()];
      const double threshold = kb_thresholds()[k % kb_thresholds().size()];
      const KbPreds kind = static_cast<KbPreds>(k % 3);
      KbBuf<P> p(n, rng.index(0, 7));
      KbBuf<T> t(n, rng.index(0, 7));
      kb_fill(rng, p, t, ii, rng.coin(0.5) ? 0.1 : 0.6, kind, threshold);
      // A small fold interval on every third case exercises the folds of every kernel.
      const std::size_t rounds = k % 3 == 0 ? rng.index(1, 3) : td::binary_max_rounds;
      kb_check(p, t, s.N, s.L, s.R, ii, threshold, rounds, "random");
    }
  }
}

template <class P, class... Ts>
void kb_random_for_targets(std::uint64_t seed) {
  std::uint64_t s = seed;
  (kb_random_cases<P, Ts>(s++ * 7919), ...);
}

template <class P>
void kb_random_all_targets(std::uint64_t seed) {
  kb_random_for_targets<P, bool, std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                        std::uint32_t, std::int32_t, std::uint64_t, std::int64_t>(seed);
}

// ------------------------------------------------------------------------------------------------
// Invalid values
// ------------------------------------------------------------------------------------------------

// One kind of invalid (or harmless) value placed at one position.
enum class KbBad {
  target2_kept,     // target 2, no ignore_index: invalid
  target_m1_kept,   // target -1 (for unsigned T its largest value), ignore_index 0: invalid
  target2_ignored,  // target 2 with ignore_index 2: not invalid
  pred2_kept,       // integral pred 2 at a kept position: invalid
  pred2_ignored,    // integral pred 2 at an ignored position: not invalid
  nan_kept,         // NaN pred at a kept position: invalid
  nan_ignored,      // NaN pred at an ignored position: invalid too
  count
};

template <class P, class T>
bool kb_applies(KbBad b) {
  switch (b) {
    case KbBad::target2_kept:
    case KbBad::target_m1_kept:
    case KbBad::target2_ignored: return !std::is_same_v<T, bool>;
    case KbBad::pred2_kept:
    case KbBad::pred2_ignored: return std::is_integral_v<P> && !std::is_same_v<P, bool>;
    case KbBad::nan_kept:
    case KbBad::nan_ignored: return std::is_floating_point_v<P>;
    default: return false;
  }
}

// Puts bad values at the first, middle or last position of every layout, kept or ignored, and
// checks flags (and counts where the input stays valid) against the reference.
template <class P, class T>
void kb_invalid_cases(std::uint64_t seed) {
  splitmix64 rng{seed};
  const std::vector<KbShape> shapes{{1, 1, 1},   {100, 1, 1}, {2100, 1, 1}, {70, 20, 1},
                                    {2, 3, 300}, {4, 300, 2}, {37, 3, 5},   {1, 4, 80}};
  std::size_t k = 0;
  for (const isa level : tested_isas()) {
    const isa_guard scope(level);
    for (const KbShape& s : shapes) {
      const std::size_t n = s.N * s.L * s.R;
      for (const std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
        // Every applicable kind once per (isa, position), spread over the shapes.
        for (int v = 0; v < static_cast<int>(KbBad::count); ++v) {
          const KbBad bad = static_cast<KbBad>(v);
          if (!kb_applies<P, T>(bad) || (k++ % 3) != 0) continue;
          std::optional<std::int64_t> ii;
          if (bad == KbBad::target_m1_kept) ii = 0;
          if (bad == KbBad::target2_ignored) ii = 2;
          if (bad == KbBad::pred2_kept || bad == KbBad::pred2_ignored) ii = 0;
          if (bad == KbBad::nan_kept || bad == KbBad::nan_ignored) ii = 1;
          const double threshold = k % 2 ? 0.5 : 0.3;
          KbBuf<P> p(n, rng.index(0, 7));
          KbBuf<T> t(n, rng.index(0, 7));
          kb_fill(rng, p, t, ii, 0.2, k % 4 ? KbPreds::probs : KbPreds::logits, threshold);
          switch (bad) {
            case KbBad::target2_kept:
            case KbBad::target2_ignored: t.set(at, static_cast<T>(2)); break;
            case KbBad::target_m1_kept: t.set(at, static_cast<T>(-1)); break;
            case KbBad::pred2_kept:
              t.set(at, static_cast<T>(1));
              p.set(at, static_cast<P>(2));
              break;
            case KbBad::pred2_ignored:
              t.set(at, static_cast<T>(0));
              p.set(at, static_cast<P>(2));
              break;
            case KbBad::nan_kept:
              t.set(at, static_cast<T>(0));
              if constexpr (std::is_floating_point_v<P>)
                p.set(at, std::numeric_limits<P>::quiet_NaN());
              break;
            case KbBad::nan_ignored:
              t.set(at, static_cast<T>(1));
              if constexpr (std::is_floating_point_v<P>)
                p.set(at, std::numeric_limits<P>::quiet_NaN());
              break;
            default: break;
          }
          const bool want_invalid = bad != KbBad::target2_ignored && bad != KbBad::pred2_ignored;
          const KbResult ref = kb_reference(p, t, s.N, s.L, s.R, ii, threshold);
          INFO("bad kind " << v << " at " << at);
          REQUIRE(ref.flags.invalid == want_invalid);  // the test's own setup
          kb_check(p, t, s.N, s.L, s.R, ii, threshold, td::binary_max_rounds, "bad value");
        }
      }
    }
  }
}

template <class P, class... Ts>
void kb_invalid_for_targets(std::uint64_t seed) {
  std::uint64_t s = seed;
  (kb_invalid_cases<P, Ts>(s++ * 104729), ...);
}

template <class P>
void kb_invalid_all_targets(std::uint64_t seed) {
  kb_invalid_for_targets<P, bool, std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                         std::uint32_t, std::int32_t, std::uint64_t, std::int64_t>(seed);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

TEST_CASE("binary kernels: thresholds are rounded to the preds type", "[kernels][binary]") {
  const auto tf = td::make_binary_thresholds<float>(0.3);
  CHECK(tf.prob == 0.3f);
  CHECK_FALSE(0.3f > tf.prob);  // 0.3f at threshold 0.3 is negative, as in torch
  const auto td_ = td::make_binary_thresholds<double>(0.3);
  CHECK(td_.prob == 0.3);
  CHECK(td::make_binary_thresholds<float>(0.5).logit == 0.0f);
  CHECK(td::make_binary_thresholds<float>(0.0).logit == -std::numeric_limits<float>::infinity());
  CHECK(td::make_binary_thresholds<float>(1.0).logit == std::numeric_limits<float>::infinity());
  CHECK(td::make_binary_thresholds<double>(0.0).logit == -std::numeric_limits<double>::infinity());
  CHECK(td::make_binary_thresholds<double>(1.0).logit == std::numeric_limits<double>::infinity());
  const auto ti = td::make_binary_thresholds<int>(0.5);
  CHECK(ti.prob == 0);
  CHECK(ti.logit == 0);
}

TEST_CASE("binary kernels: the logit threshold decides exactly as the double comparison",
          "[kernels][binary]") {
  for (const double t : {0.5, 0.3, 0.7, 0.1, 0.9, 0.999, 1e-7, 0.25, 1.0 / 3.0, 0.0, 1.0}) {
    const double x = t <= 0.0   ? -std::numeric_limits<double>::infinity()
                     : t >= 1.0 ? std::numeric_limits<double>::infinity()
                                : std::log(t / (1.0 - t));
    const auto th = td::make_binary_thresholds<float>(t);
    CHECK(static_cast<double>(th.logit) <= x);
    // Every float near the boundary, and far away, agrees with the double comparison.
    std::vector<float> probe{-std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::infinity(),
                             0.0f,
                             -0.0f,
                             1e30f,
                             -1e30f};
    float f = std::isfinite(th.logit) ? th.logit : 0.0f;
    for (int k = 0; k < 8; ++k) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    for (int k = 0; k < 16; ++k, f = std::nextafter(f, std::numeric_limits<float>::infinity()))
      probe.push_back(f);
    for (const float p : probe) {
      INFO("t = " << t << ", p = " << p);
      CHECK((p > th.logit) == (static_cast<double>(p) > x));
    }
    const auto thd = td::make_binary_thresholds<double>(t);
    CHECK(thd.logit == x);
  }
}

TEST_CASE("binary kernels: float preds against the reference, all target types",
          "[kernels][binary]") {
  kb_random_all_targets<float>(11);
}

TEST_CASE("binary kernels: double preds against the reference, all target types",
          "[kernels][binary]") {
  kb_random_all_targets<double>(12);
}

// The integral-preds kernels depend on the widths of P and T (values are compared as bits, by
// width): every integral P against one target type of each width, alternating signedness.
TEST_CASE("binary kernels: integral preds against the reference, every width pair",
          "[kernels][binary]") {
  kb_random_for_targets<bool, bool, std::int16_t, std::uint32_t, std::int64_t>(13);
  kb_random_for_targets<std::uint8_t, std::uint8_t, std::uint16_t, std::int32_t, std::uint64_t>(14);
  kb_random_for_targets<std::int8_t, std::int8_t, std::int16_t, std::uint32_t, std::int64_t>(15);
  kb_random_for_targets<std::uint16_t, bool, std::uint16_t, std::int32_t, std::int64_t>(16);
  kb_random_for_targets<std::int16_t, std::uint8_t, std::int16_t, std::uint32_t, std::uint64_t>(17);
  kb_random_for_targets<std::uint32_t, std::int8_t, std::uint16_t, std::uint32_t, std::int64_t>(18);
  kb_random_for_targets<std::int32_t, std::uint8_t, std::int16_t, std::int32_t, std::uint64_t>(19);
  kb_random_for_targets<std::uint64_t, std::int8_t, std::uint16_t, std::int32_t, std::uint64_t>(20);
  kb_random_for_targets<std::int64_t, bool, std::int16_t, std::uint32_t, std::int64_t>(21);
}

TEST_CASE("binary kernels: long double preds use the scalar path", "[kernels][binary]") {
  kb_random_cases<long double, std::uint8_t>(22);
}

TEST_CASE("binary kernels: invalid targets, integral preds and NaN", "[kernels][binary]") {
  // The same (P, T) pairs as above: invalid values go through the same instantiations.
  kb_invalid_all_targets<float>(31);
  kb_invalid_all_targets<double>(32);
  kb_invalid_for_targets<std::uint8_t, std::uint8_t, std::uint16_t, std::int32_t, std::uint64_t>(
      33);
  kb_invalid_for_targets<std::int64_t, bool, std::int16_t, std::uint32_t, std::int64_t>(34);
  kb_invalid_cases<bool, std::int16_t>(35);
  kb_invalid_cases<std::int16_t, std::int16_t>(36);
  kb_invalid_cases<std::uint32_t, std::int8_t>(37);
}

TEST_CASE("binary kernels: uint8 target 255 equals ignore_index 255, never -1",
          "[kernels][binary]") {
  for (const isa level : tested_isas()) {
    const isa_guard scope(level);
    const std::size_t n = 1000;
    KbBuf<float> p(n, 3);
    KbBuf<std::uint8_t> t(n, 0);
    splitmix64 rng{41};
    for (std::size_t i = 0; i < n; ++i) {
      p.set(i, static_cast<float>(rng.real(0, 1)));
      t.set(i, i % 7 == 0 ? 255 : static_cast<std::uint8_t>(i % 2));
    }
    const td::label_rule<std::uint8_t> r255(2, 255), rm1(2, -1);
    const auto th = td::make_binary_thresholds<float>(0.5);
    binary_tally out{};
    binary_flags f;
    td::count_multilabel(p.ptr(), t.ptr(), n, 1, 1, r255, th, &out, f);
    CHECK_FALSE(f.invalid);
    CHECK(out.kept == n - (n + 6) / 7);
    binary_flags g;
    td::count_multilabel(p.ptr(), t.ptr(), n, 1, 1, rm1, th, &out, g);
    CHECK(g.invalid);
  }
}

TEST_CASE("binary kernels: outside values only at ignored positions, across many blocks",
          "[kernels][binary]") {
  // Probabilities everywhere except at ignored positions: outside_all but not outside_kept; then
  // one kept outside value in the last block sets outside_kept.
  for (const isa level : tested_isas()) {
    const isa_guard scope(level);
    for (const KbShape s : {KbShape{5000, 1, 1}, KbShape{300, 20, 1}, KbShape{3, 3, 999},
                            KbShape{4, 700, 3}, KbShape{2, 40, 100}}) {
      const std::size_t n = s.N * s.L * s.R;
      KbBuf<float> p(n, 1);
      KbBuf<std::int16_t> t(n, 2);
      splitmix64 rng{51};
      for (std::size_t i = 0; i < n; ++i) {
        const bool ignored = i % 97 == 5;
        t.set(i, ignored ? std::int16_t{-100} : static_cast<std::int16_t>(rng.index(0, 1)));
        p.set(i, ignored ? -2.0f : static_cast<float>(rng.real(0, 1)));
      }
      kb_check(p, t, s.N, s.L, s.R, std::int64_t{-100}, 0.5, td::binary_max_rounds,
               "ignored outside");
      p.set(n - 3, 1.5f);
      t.set(n - 3, 1);
      kb_check(p, t, s.N, s.L, s.R, std::int64_t{-100}, 0.5, td::binary_max_rounds, "kept outside");
    }
  }
}

TEST_CASE("binary kernels: flags are OR-ed, never cleared", "[kernels][binary]") {
  for (const isa level : tested_isas()) {
    const isa_guard scope(level);
    const std::size_t n = 500;
    KbBuf<float> p(n, 0);
    KbBuf<std::uint8_t> t(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      p.set(i, 0.25f);
      t.set(i, 1);
    }
    binary_flags f;
    f.invalid = f.outside_all = f.outside_kept = true;
    binary_tally out{};
    td::count_multilabel(p.ptr(), t.ptr(), n, 1, 1, td::label_rule<std::uint8_t>(2, std::nullopt),
                         td::make_binary_thresholds<float>(0.5), &out, f);
    CHECK(f.invalid);
    CHECK(f.outside_all);
    CHECK(f.outside_kept);
    CHECK(out.kept == n);
    CHECK(out.target == n);
    CHECK(out.pred_prob == 0);
    CHECK(out.pred_logit == n);  // 0.25 > logit(0.5) = 0
  }
}

TEST_CASE("binary kernels: the ISA cap is restored", "[kernels][binary]") {
  const isa before = td::set_isa_cap(isa::avx512);
  td::set_isa_cap(before);
  {
    const isa_guard scope(isa::scalar);
    CHECK(td::active_isa() == isa::scalar);
  }
  CHECK(td::set_isa_cap(before) == before);
}
