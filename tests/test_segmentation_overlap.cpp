// MeanIoU and GeneralizedDiceScore (docs/semantics.md 6.6 and 6.7, with sections 2 and 3 for
// ignore_index and validation): hand-computed examples of every option, torchmetrics' reading of
// small MeanIoU index maps as one sample, ignore_index, num_classes = 0 (classes from the one-hot
// channel axis), properties over random maps (the same bits for any split into updates, threads,
// merges and save/load round trips; agreement with a reference implementation; Dice and IoU,
// GeneralizedDiceScore linear and DiceScore micro), rejected inputs and options, and the
// constant state size.
//
// Expected values are exact fractions computed by hand from the per-class counts I (pixels where
// pred and target are both c), P (pixels predicted c) and T (target pixels of c) given in the
// comments; IoU_c = I / (P + T - I), Dice_c = 2I / (P + T). The properties compare tally with
// itself, with DiceScore, or with the small reference implementation so_ref_* below, written
// from the rule text (per class, per pixel loops), not from tally's code.
#include <tally/segmentation.hpp>
#include <tally/tally.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "tally_catch.hpp"

namespace {

using namespace tally_test;
using tally::AggregationLevel;
using tally::Average;
using tally::DiceWeights;
using tally::InputFormat;
using tally::Shape;

using so_iou_options = tally::MeanIoU::Options;
using so_gds_options = tally::GeneralizedDiceScore::Options;

constexpr AggregationLevel so_levels[] = {AggregationLevel::samplewise, AggregationLevel::global};
constexpr Average so_averages[] = {Average::macro, Average::none};
constexpr DiceWeights so_weights[] = {DiceWeights::square, DiceWeights::simple,
                                      DiceWeights::linear};

// ---- options (C++17 has no designated initializers) --------------------------------------------

so_iou_options so_iou(std::int64_t C, Average avg = Average::macro,
                      AggregationLevel level = AggregationLevel::samplewise, bool background = true,
                      opt_ii ii = std::nullopt, InputFormat format = InputFormat::index) {
  so_iou_options o;
  o.num_classes = C;
  o.average = avg;
  o.aggregation_level = level;
  o.include_background = background;
  o.ignore_index = ii;
  o.input_format = format;
  return o;
}

so_gds_options so_gds(std::int64_t C, DiceWeights w = DiceWeights::square,
                      Average avg = Average::macro, bool background = true,
                      opt_ii ii = std::nullopt, InputFormat format = InputFormat::index) {
  so_gds_options o;
  o.num_classes = C;
  o.weight_type = w;
  o.average = avg;
  o.include_background = background;
  o.ignore_index = ii;
  o.input_format = format;
  return o;
}

// ---- evaluation and comparison -----------------------------------------------------------------

// One update of a fresh M, then compute.
template <class M, class P, class T>
tally::Result so_eval(const typename M::Options& o, const std::vector<P>& p, Shape ps,
                      const std::vector<T>& t, Shape ts) {
  M m(o);
  m.update(view_of(p, ps), view_of(t, ts));
  return m.compute();
}
template <class M, class P, class T>
tally::Result so_eval(const typename M::Options& o, const std::vector<P>& p,
                      const std::vector<T>& t, Shape s) {
  return so_eval<M>(o, p, s, t, s);
}

// Same shape and the same bits in every value (NaN included).
bool so_same_bits(const tally::Result& a, const tally::Result& b) {
  return a.shape() == b.shape() && a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// actual within `rel` (relative) of expected; NaN expected asks for NaN, 0 for exactly 0.
void so_check_rel(double actual, double expected, double rel = 1e-12) {
  INFO("actual " << actual << ", expected " << expected);
  if (std::isnan(expected)) {
    CHECK(std::isnan(actual));
    return;
  }
  CHECK(std::abs(actual - expected) <= rel * std::max(std::abs(actual), std::abs(expected)));
}

// r is the reference: a scalar (macro) or one value per kept class (none).
void so_expect_ref(const tally::Result& r, const std::vector<double>& ref, bool scalar) {
  INFO("result " << r);
  REQUIRE(r.shape() == (scalar ? Shape{} : Shape{ref.size()}));
  for (std::size_t i = 0; i < ref.size(); ++i) {
    INFO("flat index " << i);
    so_check_rel(r[i], ref[i]);
  }
}

// A matcher for CHECK_THROWS_WITH: the message contains `part`.
#if defined(TALLY_CATCH2_V3)
auto so_has(const std::string& part) { return Catch::Matchers::ContainsSubstring(part); }
#else
auto so_has(const std::string& part) { return Catch::Matchers::Contains(part); }
#endif

// f() must throw tally::error naming every fragment and leave m exactly as it was.
template <class M, class F>
void so_rejects(M& m, F&& f, std::initializer_list<const char*> fragments) {
  const M copy = m;
  CHECK_THROWS_AS(f(), tally::error);
  for (const char* part : fragments) CHECK_THROWS_WITH(f(), so_has(part));
  CHECK(m == copy);
  CHECK(m.num_samples() == copy.num_samples());
}

// save() into a fresh metric and load() back: a checkpoint in the middle of a run.
template <class M>
M so_round_trip(const M& m) {
  M r(m.options());
  r.load(m.save());
  return r;
}

// ---- reference implementation, from the rule text (label maps) ---------------------------------

struct so_counts {
  std::vector<std::uint64_t> I, P, T;
};

// Pixels [first, last) of flat label maps: per class and pixel, the pixel is in T when its
// target is c, in P when its pred is c, in I when both are. A pixel whose target equals
// ignore_index is skipped: it counts for no class, whatever its pred.
so_counts so_ref_count(const std::vector<std::int64_t>& p, const std::vector<std::int64_t>& t,
                       std::size_t first, std::size_t last, std::size_t C, opt_ii ii) {
  so_counts k{std::vector<std::uint64_t>(C), std::vector<std::uint64_t>(C),
              std::vector<std::uint64_t>(C)};
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t r = first; r < last; ++r) {
      if (ii && t[r] == *ii) continue;
      const bool in_p = p[r] == static_cast<std::int64_t>(c);
      const bool in_t = t[r] == static_cast<std::int64_t>(c);
      if (in_p) ++k.P[c];
      if (in_t) ++k.T[c];
      if (in_p && in_t) ++k.I[c];
    }
  return k;
}

// MeanIoU over N samples of equal size. Classes [first, C) with first = 1 when the background
// is left out (even for C = 1). Samplewise: IoU per (sample, class) where the union is not
// empty; none = per class the mean over those samples (-1 if none), macro = the mean over all
// those pairs (NaN if none). Global: per class the IoU of the pooled counts (-1 where the
// union is empty); macro = the mean over the classes with a union (NaN if none).
std::vector<double> so_ref_iou(const std::vector<std::int64_t>& p,
                               const std::vector<std::int64_t>& t, std::size_t N,
                               const so_iou_options& o) {
  const auto C = static_cast<std::size_t>(o.num_classes);
  const std::size_t R = N ? t.size() / N : 0;
  const std::size_t first = o.include_background ? 0 : 1;
  if (o.aggregation_level == AggregationLevel::global) {
    const so_counts k = so_ref_count(p, t, 0, N * R, C, o.ignore_index);
    std::vector<double> per_class;
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t c = first; c < C; ++c) {
      const std::uint64_t U = k.P[c] + k.T[c] - k.I[c];
      if (U == 0) {
        per_class.push_back(-1.0);
        continue;
      }
      const double v = static_cast<double>(k.I[c]) / static_cast<double>(U);
      per_class.push_back(v);
      sum += v;
      ++n;
    }
    if (o.average == Average::none) return per_class;
    return {n == 0 ? qnan : sum / static_cast<double>(n)};
  }
  std::vector<double> sum(C - first, 0.0);
  std::vector<std::size_t> count(C - first, 0);
  double all_sum = 0.0;
  std::size_t all_count = 0;
  for (std::size_t s = 0; s < N; ++s) {
    const so_counts k = so_ref_count(p, t, s * R, (s + 1) * R, C, o.ignore_index);
    for (std::size_t c = first; c < C; ++c) {
      const std::uint64_t U = k.P[c] + k.T[c] - k.I[c];
      if (U == 0) continue;
      const double v = static_cast<double>(k.I[c]) / static_cast<double>(U);
      sum[c - first] += v;
      ++count[c - first];
      all_sum += v;
      ++all_count;
    }
  }
  if (o.average == Average::macro)
    return {all_count == 0 ? qnan : all_sum / static_cast<double>(all_count)};
  std::vector<double> out;
  for (std::size_t i = 0; i < sum.size(); ++i)
    out.push_back(count[i] == 0 ? -1.0 : sum[i] / static_cast<double>(count[i]));
  return out;
}

double so_ref_weight(DiceWeights w, std::uint64_t target_pixels) {
  const auto T = static_cast<double>(target_pixels);
  switch (w) {
    case DiceWeights::square: return 1.0 / (T * T);
    case DiceWeights::simple: return 1.0 / T;
    case DiceWeights::linear: return 1.0;
  }
  return qnan;
}

// GeneralizedDiceScore over N samples of equal size, classes [first, C) with first = 1 when the
// background is left out and C > 1. Per sample: w_c from T_c; a class with T_c = 0 takes the
// largest weight of the sample's classes with T > 0 (0 if there is none);
// score = sum w 2I / sum w (P + T), 0 for 0 / 0. none: per class 2I / (P + T), 0 for 0 / 0.
// Both are the mean over all N samples.
std::vector<double> so_ref_gds(const std::vector<std::int64_t>& p,
                               const std::vector<std::int64_t>& t, std::size_t N,
                               const so_gds_options& o) {
  const auto C = static_cast<std::size_t>(o.num_classes);
  const std::size_t R = N ? t.size() / N : 0;
  const std::size_t first = (!o.include_background && C > 1) ? 1 : 0;
  const std::size_t K = o.average == Average::none ? C - first : 1;
  std::vector<double> sum(K, 0.0);
  for (std::size_t s = 0; s < N; ++s) {
    const so_counts k = so_ref_count(p, t, s * R, (s + 1) * R, C, o.ignore_index);
    if (o.average == Average::none) {
      for (std::size_t c = first; c < C; ++c) {
        const std::uint64_t den = k.P[c] + k.T[c];
        sum[c - first] +=
            den == 0 ? 0.0 : 2.0 * static_cast<double>(k.I[c]) / static_cast<double>(den);
      }
      continue;
    }
    double largest = 0.0;
    for (std::size_t c = first; c < C; ++c)
      if (k.T[c] > 0) largest = std::max(largest, so_ref_weight(o.weight_type, k.T[c]));
    double num = 0.0, den = 0.0;
    for (std::size_t c = first; c < C; ++c) {
      const double w = k.T[c] > 0 ? so_ref_weight(o.weight_type, k.T[c]) : largest;
      num += w * 2.0 * static_cast<double>(k.I[c]);
      den += w * static_cast<double>(k.P[c] + k.T[c]);
    }
    sum[0] += den == 0.0 ? 0.0 : num / den;
  }
  std::vector<double> out;
  for (double x : sum) out.push_back(N == 0 ? qnan : x / static_cast<double>(N));
  return out;
}

// ---- random label maps -------------------------------------------------------------------------

// N samples of H x W pixels, labels as int64 (cast to the type under test). Void pixels have
// target void_value and a pred that is anything in [0, 255] (mostly not a class). Each sample is
// one of: all void, one class, mostly right, mostly wrong, random. every_class: each class
// occurs (not void) in every sample's target, which is then never all void or one class.
struct so_maps {
  std::vector<std::int64_t> p, t;
  std::size_t N = 0, H = 0, W = 0;
  [[nodiscard]] std::size_t R() const { return H * W; }
};

so_maps so_random_maps(std::uint64_t seed, std::size_t N, std::size_t H, std::size_t W,
                       std::size_t C, std::int64_t void_value = 255, bool every_class = false) {
  splitmix64 rng{seed * 0x9E3779B97F4A7C15ull + C};
  so_maps d;
  d.N = N;
  d.H = H;
  d.W = W;
  const std::size_t R = H * W;
  d.p.resize(N * R);
  d.t.resize(N * R);
  for (std::size_t n = 0; n < N; ++n) {
    const std::uint64_t kind = every_class ? 2 + rng.below(3) : rng.below(5);
    const auto only = static_cast<std::int64_t>(rng.below(C));
    const std::uint64_t right_in_10 = kind == 2 ? 8 : kind == 3 ? 2 : 5;
    for (std::size_t r = 0; r < R; ++r) {
      std::int64_t tv = kind == 1 ? only : static_cast<std::int64_t>(rng.below(C));
      std::int64_t pv = rng.below(10) < right_in_10 ? tv : static_cast<std::int64_t>(rng.below(C));
      if (kind == 0 || rng.below(8) == 0) {
        tv = void_value;
        pv = static_cast<std::int64_t>(rng.below(256));
      }
      d.t[n * R + r] = tv;
      d.p[n * R + r] = pv;
    }
    if (every_class) {
      const std::size_t start = rng.below(R);
      for (std::size_t c = 0; c < C; ++c) {
        const std::size_t r = (start + c) % R;
        d.t[n * R + r] = static_cast<std::int64_t>(c);
        d.p[n * R + r] = static_cast<std::int64_t>(rng.below(C));
      }
    }
  }
  return d;
}

// Feeds samples [b, e) as one (e - b, H, W) update: serially, or over `threads` threads.
template <class M, class L>
void so_feed(M& m, const std::vector<L>& p, const std::vector<L>& t, const so_maps& d,
             std::size_t b, std::size_t e, unsigned threads = 0) {
  const Shape s{e - b, d.H, d.W};
  const tally::tensor_view<const L> pv(p.data() + b * d.R(), s);
  const tally::tensor_view<const L> tv(t.data() + b * d.R(), s);
  if (threads > 0)
    m.update(pv, tv, tally::parallel{threads});
  else
    m.update(pv, tv);
}

// One random history of the same samples: batches of 0-7 samples, each fed to one of 1-4
// accumulators at random (neither contiguous nor in order), save/load round trips at random
// points, then merges (merge or +=) of random pairs until one is left.
template <class M, class L>
M so_random_history(const typename M::Options& o, const so_maps& d, const std::vector<L>& p,
                    const std::vector<L>& t, splitmix64& rng) {
  const std::size_t parts = 1 + rng.below(4);
  std::vector<M> acc(parts, M(o));
  for (std::size_t n = 0; n < d.N;) {
    const std::size_t k = std::min<std::size_t>(d.N - n, rng.below(8));
    M& m = acc[rng.below(parts)];
    so_feed(m, p, t, d, n, n + k);
    if (rng.below(4) == 0) m = so_round_trip(m);
    n += k;
  }
  while (acc.size() > 1) {
    const std::size_t i = rng.below(acc.size());
    std::size_t j = rng.below(acc.size() - 1);
    if (j >= i) ++j;
    if (rng.coin(0.5))
      acc[i].merge(acc[j]);
    else
      acc[i] += acc[j];
    if (rng.below(4) == 0) acc[i] = so_round_trip(acc[i]);
    acc.erase(acc.begin() + static_cast<std::ptrdiff_t>(j));
  }
  return acc[0];
}

// The split properties of one configuration: the reference values, and the bits of one update
// for random histories, for one sample at a time (last first), for two accumulators merged
// either way round, and for a save/load round trip in the middle of the stream.
template <class M, class L>
void so_check_splits(const typename M::Options& o, const so_maps& d, const std::vector<L>& p,
                     const std::vector<L>& t, const std::vector<double>& ref, bool scalar,
                     splitmix64& rng) {
  M whole(o);
  so_feed(whole, p, t, d, 0, d.N);
  CHECK(whole.num_samples() == d.N);
  const tally::Result expected = whole.compute();
  so_expect_ref(expected, ref, scalar);
  const std::string bytes = whole.save();
  for (int trial = 0; trial < 3; ++trial) {
    INFO("random history " << trial);
    const M m = so_random_history<M>(o, d, p, t, rng);
    CHECK(m.num_samples() == d.N);
    CHECK(m == whole);
    CHECK(m.save() == bytes);
    CHECK(so_same_bits(m.compute(), expected));
  }
  M backwards(o);
  for (std::size_t n = d.N; n-- > 0;) so_feed(backwards, p, t, d, n, n + 1);
  CHECK(backwards == whole);
  CHECK(so_same_bits(backwards.compute(), expected));

  const std::size_t cut = rng.index(0, d.N);
  M a(o), b(o);
  so_feed(a, p, t, d, 0, cut);
  so_feed(b, p, t, d, cut, d.N);
  M ab = a, ba = b;
  ab.merge(b);
  ba += a;
  CHECK(ab == whole);
  CHECK(ba == whole);
  CHECK(so_same_bits(ab.compute(), expected));
  CHECK(so_same_bits(ba.compute(), expected));

  M resumed = so_round_trip(a);
  CHECK(resumed == a);
  so_feed(resumed, p, t, d, cut, d.N);
  CHECK(resumed == whole);
  CHECK(so_same_bits(resumed.compute(), expected));
}

// The worked MeanIoU example: C = 3, two samples of four pixels, as (2, 1, 4).
// Sample 0: preds [0,1,1,1], target [0,1,2,2]: I = [1,1,0], P = [1,3,0], T = [1,1,2],
//   U = P + T - I = [1,3,2] -> IoU [1, 1/3, 0].
// Sample 1: preds [1,1,0,0], target [1,0,0,0]: I = [2,1,0], P = [2,2,0], T = [3,1,0],
//   U = [3,2,0] -> IoU [2/3, 1/2, not counted].
// Pooled: I = [3,2,0], P = [3,5,0], T = [4,2,2], U = [4,5,2] -> IoU [3/4, 2/5, 0].
const std::vector<std::int64_t> so_ex_preds{0, 1, 1, 1, 1, 1, 0, 0};
const std::vector<std::int64_t> so_ex_target{0, 1, 2, 2, 1, 0, 0, 0};
const Shape so_ex_shape{2, 1, 4};

}  // namespace

// =============================================================================================
// Defaults
// =============================================================================================

TEST_CASE("MeanIoU and GeneralizedDiceScore options default to torchmetrics'") {
  const so_iou_options io;
  CHECK(io.num_classes == 0);
  CHECK_FALSE(io.ignore_index.has_value());
  CHECK(io.include_background);
  CHECK(io.average == Average::macro);
  CHECK(io.aggregation_level == AggregationLevel::samplewise);
  CHECK(io.input_format == InputFormat::one_hot);
  const so_gds_options go;
  CHECK(go.num_classes == 0);
  CHECK_FALSE(go.ignore_index.has_value());
  CHECK(go.include_background);
  CHECK(go.average == Average::macro);
  CHECK(go.weight_type == DiceWeights::square);
  CHECK(go.input_format == InputFormat::one_hot);
}

// =============================================================================================
// MeanIoU, hand-computed
// =============================================================================================

TEST_CASE("MeanIoU samplewise: macro over counted (sample, class) pairs, none per class") {
  SECTION("macro: (1 + 1/3 + 0 + 2/3 + 1/2) / 5 = 1/2, not the mean of per-sample means") {
    // Per-sample means would give (4/9 + 7/12) / 2 = 37/72.
    auto m = tally::MeanIoU(so_iou(3));
    m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
    CHECK(m.num_samples() == 2);
    CHECK(m.num_classes() == 3);
    expect_scalar(m.compute(), 1.0 / 2.0);
  }
  SECTION("none: class 0 (1 + 2/3)/2, class 1 (1/3 + 1/2)/2, class 2 only sample 0: 0") {
    auto m = tally::MeanIoU(so_iou(3, Average::none));
    m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
    expect_values(m.compute(), Shape{3}, {5.0 / 6.0, 5.0 / 12.0, 0.0});
    // counts(): how many per-sample values each class's sum holds.
    expect_counts(m.counts(), Shape{3}, {2, 2, 1});
  }
  SECTION("a class never counted is -1 in none and absent from macro") {
    // C = 4: class 3 is in no sample's preds or target.
    expect_values(so_eval<tally::MeanIoU>(so_iou(4, Average::none), so_ex_preds, so_ex_target,
                                          so_ex_shape),
                  Shape{4}, {5.0 / 6.0, 5.0 / 12.0, 0.0, -1.0});
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(4), so_ex_preds, so_ex_target, so_ex_shape),
                  1.0 / 2.0);
  }
  SECTION("a sample whose maps hold only class 0 adds one pair") {
    // Sample 0 of the example, then [0,0,0,0] / [0,0,0,0]: I = P = T = [4,0,0] -> IoU [1, -, -].
    // Pairs 1, 1/3, 0, 1 -> 7/12. none: [1, 1/3, 0].
    const std::vector<std::int64_t> p{0, 1, 1, 1, 0, 0, 0, 0}, t{0, 1, 2, 2, 0, 0, 0, 0};
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(3), p, t, so_ex_shape), 7.0 / 12.0);
    expect_values(so_eval<tally::MeanIoU>(so_iou(3, Average::none), p, t, so_ex_shape), Shape{3},
                  {1.0, 1.0 / 3.0, 0.0});
  }
  SECTION("no sample at all: macro NaN, none all -1") {
    expect_scalar(tally::MeanIoU(so_iou(3)).compute(), qnan);
    expect_values(tally::MeanIoU(so_iou(3, Average::none)).compute(), Shape{3},
                  {-1.0, -1.0, -1.0});
  }
}

TEST_CASE("MeanIoU global: per class the IoU of pooled counts, macro over classes with a union") {
  const auto g = AggregationLevel::global;
  SECTION("pooled I = [3,2,0], P = [3,5,0], T = [4,2,2]: none [3/4, 2/5, 0], macro 23/60") {
    auto m = tally::MeanIoU(so_iou(3, Average::none, g));
    m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
    expect_values(m.compute(), Shape{3}, {3.0 / 4.0, 2.0 / 5.0, 0.0});
    expect_counts(m.counts(), Shape{3, 3}, {3, 2, 0, /* P */ 3, 5, 0, /* T */ 4, 2, 2});
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(3, Average::macro, g), so_ex_preds,
                                          so_ex_target, so_ex_shape),
                  23.0 / 60.0);
  }
  SECTION("a class with an empty pooled union is -1 in none and left out of macro") {
    expect_values(so_eval<tally::MeanIoU>(so_iou(4, Average::none, g), so_ex_preds, so_ex_target,
                                          so_ex_shape),
                  Shape{4}, {3.0 / 4.0, 2.0 / 5.0, 0.0, -1.0});
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(4, Average::macro, g), so_ex_preds,
                                          so_ex_target, so_ex_shape),
                  23.0 / 60.0);
  }
  SECTION("every pixel ignored: no class has a union, macro NaN, none all -1") {
    const std::vector<std::uint8_t> p{0, 1, 2, 7}, t{255, 255, 255, 255};
    const Shape s{1, 2, 2};
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(3, Average::macro, g, true, 255), p, t, s), qnan);
    expect_values(so_eval<tally::MeanIoU>(so_iou(3, Average::none, g, true, 255), p, t, s),
                  Shape{3}, {-1.0, -1.0, -1.0});
    expect_scalar(tally::MeanIoU(so_iou(3, Average::macro, g)).compute(), qnan);
  }
}

TEST_CASE("MeanIoU include_background = false drops class 0, even when it is the only class") {
  for (auto level : so_levels) {
    INFO(tally::to_string(level));
    const bool sw = level == AggregationLevel::samplewise;
    // Samplewise pairs of classes 1, 2: 1/3, 0 (sample 0), 1/2 (sample 1) -> macro 5/18,
    // none [(1/3 + 1/2)/2, 0]. Global: [2/5, 0] -> macro 1/5.
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(3, Average::macro, level, false), so_ex_preds,
                                          so_ex_target, so_ex_shape),
                  sw ? 5.0 / 18.0 : 1.0 / 5.0);
    expect_values(so_eval<tally::MeanIoU>(so_iou(3, Average::none, level, false), so_ex_preds,
                                          so_ex_target, so_ex_shape),
                  Shape{2}, {sw ? 5.0 / 12.0 : 2.0 / 5.0, 0.0});

    // C = 1: every pixel is class 0 (I = P = T = 4 per sample).
    const std::vector<std::int64_t> zeros(8, 0);
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(1, Average::macro, level, false), zeros, zeros,
                                          so_ex_shape),
                  qnan);
    const tally::Result none = so_eval<tally::MeanIoU>(so_iou(1, Average::none, level, false),
                                                       zeros, zeros, so_ex_shape);
    CHECK(none.shape() == Shape{0});
    CHECK(none.size() == 0);
    // With the background kept, the lone class is 1 and none keeps its axis: shape (1).
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(1, Average::macro, level, true), zeros, zeros,
                                          so_ex_shape),
                  1.0);
    expect_values(so_eval<tally::MeanIoU>(so_iou(1, Average::none, level, true), zeros, zeros,
                                          so_ex_shape),
                  Shape{1}, {1.0});

    // C = 2, class 1 nowhere: nothing is counted.
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(2, Average::macro, level, false), zeros, zeros,
                                          so_ex_shape),
                  qnan);
    expect_values(so_eval<tally::MeanIoU>(so_iou(2, Average::none, level, false), zeros, zeros,
                                          so_ex_shape),
                  Shape{1}, {-1.0});
  }
  SECTION("a C = 1, include_background = false metric still counts samples and merges") {
    auto m = tally::MeanIoU(so_iou(1, Average::macro, AggregationLevel::samplewise, false));
    const std::vector<std::int64_t> zeros(8, 0);
    m.update(view_of(zeros, so_ex_shape), view_of(zeros, so_ex_shape));
    CHECK(m.num_samples() == 2);
    auto copy = so_round_trip(m);
    CHECK(copy == m);
    copy += m;
    CHECK(copy.num_samples() == 4);
    expect_scalar(copy.compute(), qnan);
  }
}

TEST_CASE("MeanIoU reads an index map of rank 1 or 2 as one sample, rank 3 as N samples") {
  // As one sample, the eight pixels have the pooled counts I = [3,2,0], P = [3,5,0],
  // T = [4,2,2]: IoU [3/4, 2/5, 0], macro 23/60. As two samples: 1/2 (see above).
  for (auto avg : so_averages) {
    INFO(tally::to_string(avg));
    const bool macro = avg == Average::macro;
    auto expect_one_sample = [&](const tally::MeanIoU& m) {
      CHECK(m.num_samples() == 1);
      if (macro)
        expect_scalar(m.compute(), 23.0 / 60.0);
      else
        expect_values(m.compute(), Shape{3}, {3.0 / 4.0, 2.0 / 5.0, 0.0});
    };
    for (const Shape& s : {Shape{2, 4}, Shape{4, 2}, Shape{1, 8}, Shape{8, 1}, Shape{8}}) {
      INFO("shape " << s);
      auto m = tally::MeanIoU(so_iou(3, avg));
      m.update(view_of(so_ex_preds, s), view_of(so_ex_target, s));
      expect_one_sample(m);
    }
    {
      INFO("plain ranges are rank 1");
      auto m = tally::MeanIoU(so_iou(3, avg));
      m.update(so_ex_preds, so_ex_target);
      expect_one_sample(m);
    }
    for (const Shape& s : {Shape{2, 1, 4}, Shape{2, 2, 2}, Shape{2, 4, 1}, Shape{2, 2, 1, 2}}) {
      INFO("shape " << s);
      auto m = tally::MeanIoU(so_iou(3, avg));
      m.update(view_of(so_ex_preds, s), view_of(so_ex_target, s));
      CHECK(m.num_samples() == 2);
      if (macro)
        expect_scalar(m.compute(), 1.0 / 2.0);
      else
        expect_values(m.compute(), Shape{3}, {5.0 / 6.0, 5.0 / 12.0, 0.0});
    }
  }
  SECTION("two (N, L) updates are two samples") {
    auto m = tally::MeanIoU(so_iou(3));
    m.update(view_of(so_ex_preds, Shape{2, 4}), view_of(so_ex_target, Shape{2, 4}));
    m.update(view_of(so_ex_preds, Shape{2, 4}), view_of(so_ex_target, Shape{2, 4}));
    CHECK(m.num_samples() == 2);
    expect_scalar(m.compute(), 23.0 / 60.0);
  }
  SECTION("GeneralizedDiceScore reads (N, L) as N samples") {
    // Sample 0 linear: 2 (1+1+0) / (2+4+2) = 1/2. Sample 1: 2 (2+1) / (5+3) = 3/4.
    expect_scalar(so_eval<tally::GeneralizedDiceScore>(so_gds(3, DiceWeights::linear),
                                                       so_ex_preds, so_ex_target, Shape{2, 4}),
                  5.0 / 8.0);
  }
}

TEST_CASE("MeanIoU mixed input: an index map of rank 1 or 2 is an error, rank 3 is N samples") {
  const auto oh = one_hot<int>(so_ex_preds, 2, 3);   // (2, 3, 4) or (2, 3, 1, 4)
  const auto oh_t = one_hot<int>(so_ex_target, 2, 3);
  for (std::int64_t C : {3, 0}) {
    INFO("num_classes " << C);
    auto m = tally::MeanIoU(so_iou(C, Average::macro, AggregationLevel::samplewise, true,
                                   std::nullopt, InputFormat::mixed));
    so_rejects(m, [&] { m.update(view_of(oh, Shape{2, 3, 4}), view_of(so_ex_target, Shape{2, 4})); },
               {"target shape (2, 4)", "one sample"});
    so_rejects(m, [&] { m.update(view_of(so_ex_preds, Shape{2, 4}), view_of(oh_t, Shape{2, 3, 4})); },
               {"preds shape (2, 4)", "one sample"});
    so_rejects(m, [&] { m.update(view_of(oh, Shape{1, 3, 8}), view_of(so_ex_target, Shape{8})); },
               {"target shape (8)", "one sample"});
    CHECK(m.num_classes() == static_cast<std::size_t>(C));

    // (N, 1, L) index maps with (N, C, 1, L) one-hot tensors: two samples, 1/2.
    auto a = m, b = m;
    a.update(view_of(oh, Shape{2, 3, 1, 4}), view_of(so_ex_target, so_ex_shape));
    b.update(view_of(so_ex_preds, so_ex_shape), view_of(oh_t, Shape{2, 3, 1, 4}));
    CHECK(a == b);
    CHECK(a.num_samples() == 2);
    CHECK(a.num_classes() == 3);
    expect_scalar(a.compute(), 1.0 / 2.0);
  }
  SECTION("one_hot format: (N, C, L) is N samples") {
    auto m = tally::MeanIoU(so_iou(3, Average::macro, AggregationLevel::samplewise, true,
                                   std::nullopt, InputFormat::one_hot));
    m.update(view_of(oh, Shape{2, 3, 4}), view_of(oh_t, Shape{2, 3, 4}));
    CHECK(m.num_samples() == 2);
    expect_scalar(m.compute(), 1.0 / 2.0);
  }
}

TEST_CASE("docs/semantics.md 6.6 example: MeanIoU samplewise 11/30, global 4/15") {
  // preds [[0,1,1,1]], [[0,0,1,1]]; target [[0,1,2,2]], [[0,0,0,0]] (C = 3, shape (2, 1, 4)).
  // Sample 0: I = (1,1,0), P = (1,3,0), T = (1,1,2), U = (1,3,2) -> (1, 1/3, 0).
  // Sample 1: I = (2,0,0), P = (2,2,0), T = (4,0,0), U = (4,2,0) -> (1/2, 0, not counted).
  // Pooled: I = (3,1,0), P = (3,5,0), T = (5,1,2), U = (5,5,2) -> (3/5, 1/5, 0).
  const std::vector<std::int64_t> p{0, 1, 1, 1, 0, 0, 1, 1}, t{0, 1, 2, 2, 0, 0, 0, 0};
  const auto sw = AggregationLevel::samplewise, g = AggregationLevel::global;
  auto iou = [&](Average avg, AggregationLevel level, bool bg, Shape s = so_ex_shape) {
    return so_eval<tally::MeanIoU>(so_iou(3, avg, level, bg), p, t, s);
  };
  expect_scalar(iou(Average::macro, sw, true), 11.0 / 30.0);
  expect_values(iou(Average::none, sw, true), Shape{3}, {3.0 / 4.0, 1.0 / 6.0, 0.0});
  expect_scalar(iou(Average::macro, g, true), 4.0 / 15.0);
  expect_values(iou(Average::none, g, true), Shape{3}, {3.0 / 5.0, 1.0 / 5.0, 0.0});
  // Without the background: pairs 1/3, 0 (sample 0) and 0 (sample 1); global (1/5 + 0) / 2.
  expect_scalar(iou(Average::macro, sw, false), 1.0 / 9.0);
  expect_values(iou(Average::none, sw, false), Shape{2}, {1.0 / 6.0, 0.0});
  expect_scalar(iou(Average::macro, g, false), 1.0 / 10.0);
  // (2, 4) is one sample: its IoU is the pooled row.
  expect_scalar(iou(Average::macro, sw, true, Shape{2, 4}), 4.0 / 15.0);

  tally::MeanIoU m(so_iou(3, Average::none, sw));
  m.update(view_of(p, so_ex_shape), view_of(t, so_ex_shape));
  expect_counts(m.counts(), Shape{3}, {2, 2, 1});
  tally::MeanIoU mg(so_iou(3, Average::none, g));
  mg.update(view_of(p, so_ex_shape), view_of(t, so_ex_shape));
  expect_counts(mg.counts(), Shape{3, 3}, {3, 1, 0, /* P */ 3, 5, 0, /* T */ 5, 1, 2});
}

// =============================================================================================
// GeneralizedDiceScore, hand-computed
// =============================================================================================

TEST_CASE("docs/semantics.md 6.7 example: GeneralizedDiceScore square 29/52, in any batch order") {
  // The maps of 6.6. Sample 0: I = (1,1,0), P = (1,3,0), T = (1,1,2). Sample 1: I = (2,0,0),
  // P = (2,2,0), T = (4,0,0).
  // square: sample 0 w = (1, 1, 1/4): 2 (1 + 1 + 0) / (2 + 4 + 2/4) = 8/13; sample 1
  //   w = (1/16, absent -> 1/16, 1/16): 2 (2/16) / (6/16 + 2/16) = 1/2. Mean 29/52.
  // simple: 2 (1 + 1) / (2 + 4 + 2/2) = 4/7 and 1/2. linear: 4/8 and 4/8.
  // none: sample 0 (1, 1/2, 0), sample 1 (2/3, 0, 0 / 0 -> 0) -> (5/6, 1/4, 0).
  const std::vector<std::int64_t> p{0, 1, 1, 1, 0, 0, 1, 1}, t{0, 1, 2, 2, 0, 0, 0, 0};
  // Sample 1 first: the same values (a sample's score does not depend on its batch).
  const std::vector<std::int64_t> p10{0, 0, 1, 1, 0, 1, 1, 1}, t10{0, 0, 0, 0, 0, 1, 2, 2};
  for (const Shape& s : {Shape{2, 4}, so_ex_shape}) {
    INFO("shape " << s);
    for (bool reversed : {false, true}) {
      INFO("reversed " << reversed);
      const auto& pp = reversed ? p10 : p;
      const auto& tt = reversed ? t10 : t;
      auto gds = [&](DiceWeights w, Average avg, bool bg) {
        tally::GeneralizedDiceScore m(so_gds(3, w, avg, bg));
        m.update(view_of(pp, s), view_of(tt, s));
        CHECK(m.num_samples() == 2);
        return m.compute();
      };
      expect_scalar(gds(DiceWeights::square, Average::macro, true), 29.0 / 52.0);
      expect_scalar(gds(DiceWeights::simple, Average::macro, true), (4.0 / 7.0 + 1.0 / 2.0) / 2.0);
      expect_scalar(gds(DiceWeights::linear, Average::macro, true), 1.0 / 2.0);
      for (auto w : so_weights)
        expect_values(gds(w, Average::none, true), Shape{3}, {5.0 / 6.0, 1.0 / 4.0, 0.0});
      // Without the background: sample 0 w = (1, 1/4): 2 / (4 + 2/4) = 4/9; sample 1 has no
      // target pixel in classes 1, 2: weights 0, 0 / 0 -> 0. Mean 2/9.
      expect_scalar(gds(DiceWeights::square, Average::macro, false), 2.0 / 9.0);
    }
  }
  // Sample 1 alone: 1/2.
  tally::GeneralizedDiceScore alone(so_gds(3));
  alone.update(tally::tensor_view<const std::int64_t>(p.data() + 4, Shape{1, 4}),
               tally::tensor_view<const std::int64_t>(t.data() + 4, Shape{1, 4}));
  expect_scalar(alone.compute(), 1.0 / 2.0);
  tally::GeneralizedDiceScore none(so_gds(3, DiceWeights::square, Average::none));
  none.update(view_of(p, Shape{2, 4}), view_of(t, Shape{2, 4}));
  expect_counts(none.counts(), Shape{3}, {2, 2, 2});
  // Nothing counted yet: NaN.
  expect_scalar(tally::GeneralizedDiceScore(so_gds(3)).compute(), qnan);
}


TEST_CASE("GeneralizedDiceScore weight types square, simple, linear") {
  // One sample, C = 3: preds [0,0,1,1,2,2], target [0,0,0,1,1,2]:
  //   I = [2,1,1], P = [2,2,2], T = [3,2,1].
  const std::vector<std::int64_t> p{0, 0, 1, 1, 2, 2}, t{0, 0, 0, 1, 1, 2};
  const Shape s{1, 6};
  auto gds = [&](DiceWeights w, Average avg, bool bg) {
    return so_eval<tally::GeneralizedDiceScore>(so_gds(3, w, avg, bg), p, t, s);
  };
  // square: w = [1/9, 1/4, 1]: 2 (2/9 + 1/4 + 1) / (5/9 + 4/4 + 3) = (53/18) / (41/9) = 53/82.
  expect_scalar(gds(DiceWeights::square, Average::macro, true), 53.0 / 82.0);
  // simple: w = [1/3, 1/2, 1]: 2 (2/3 + 1/2 + 1) / (5/3 + 4/2 + 3) = (13/3) / (20/3) = 13/20.
  expect_scalar(gds(DiceWeights::simple, Average::macro, true), 13.0 / 20.0);
  // linear: 2 (2 + 1 + 1) / (5 + 4 + 3) = 2/3.
  expect_scalar(gds(DiceWeights::linear, Average::macro, true), 2.0 / 3.0);
  // none: 2I / (P + T) = [4/5, 2/4, 2/3], whatever the weights.
  for (auto w : so_weights)
    expect_values(gds(w, Average::none, true), Shape{3}, {4.0 / 5.0, 1.0 / 2.0, 2.0 / 3.0});

  // Without the background, classes 1 and 2:
  // square: 2 (1/4 + 1) / (4/4 + 3) = 5/8; simple: 2 (1/2 + 1) / (4/2 + 3) = 3/5;
  // linear: 2 (1 + 1) / (4 + 3) = 4/7; none [1/2, 2/3].
  expect_scalar(gds(DiceWeights::square, Average::macro, false), 5.0 / 8.0);
  expect_scalar(gds(DiceWeights::simple, Average::macro, false), 3.0 / 5.0);
  expect_scalar(gds(DiceWeights::linear, Average::macro, false), 4.0 / 7.0);
  for (auto w : so_weights)
    expect_values(gds(w, Average::none, false), Shape{2}, {1.0 / 2.0, 2.0 / 3.0});
}

TEST_CASE("GeneralizedDiceScore: a class absent from the target takes the sample's largest weight") {
  SECTION("two present classes: the absent one takes the larger of their weights") {
    // preds [0,0,0,2,1,2], target [0,0,0,0,1,1]: I = [3,1,0], P = [3,1,2], T = [4,2,0].
    const std::vector<std::int64_t> p{0, 0, 0, 2, 1, 2}, t{0, 0, 0, 0, 1, 1};
    const Shape s{1, 6};
    auto gds = [&](DiceWeights w) {
      return so_eval<tally::GeneralizedDiceScore>(so_gds(3, w), p, t, s);
    };
    // square: w = [1/16, 1/4, max(1/16, 1/4) = 1/4]:
    //   2 (3/16 + 1/4) / (7/16 + 3/4 + 2/4) = (7/8) / (27/16) = 14/27.
    //   (Weight 0 for the absent class would give 14/19, the smaller weight 2/3.)
    expect_scalar(gds(DiceWeights::square), 14.0 / 27.0);
    // simple: w = [1/4, 1/2, 1/2]: 2 (3/4 + 1/2) / (7/4 + 3/2 + 2/2) = (5/2) / (17/4) = 10/17.
    expect_scalar(gds(DiceWeights::simple), 10.0 / 17.0);
    // linear: 2 (3 + 1) / (7 + 3 + 2) = 2/3.
    expect_scalar(gds(DiceWeights::linear), 2.0 / 3.0);
    // none: [6/7, 2/3, 0/2 = 0].
    expect_values(
        so_eval<tally::GeneralizedDiceScore>(so_gds(3, DiceWeights::square, Average::none), p, t,
                                             s),
        Shape{3}, {6.0 / 7.0, 2.0 / 3.0, 0.0});
  }
  SECTION("one present class: the absent classes take its weight") {
    // preds [0,1,2,0], target [0,0,0,0]: I = [2,0,0], P = [2,1,1], T = [4,0,0]. Every weight
    // is w0, so the score is 2*2 / (6 + 1 + 1) = 1/2 for every weight type (weight 0 for the
    // absent classes would give 2/3).
    const std::vector<std::int64_t> p{0, 1, 2, 0}, t{0, 0, 0, 0};
    for (auto w : so_weights) {
      INFO(tally::to_string(w));
      expect_scalar(so_eval<tally::GeneralizedDiceScore>(so_gds(3, w), p, t, Shape{1, 4}),
                    1.0 / 2.0);
    }
  }
  SECTION("no kept class has target pixels: weight 0, score 0 (not NaN)") {
    // Background left out; classes 1, 2: I = [0,0], P = [1,1], T = [0,0].
    const std::vector<std::int64_t> p{0, 1, 2, 0}, t{0, 0, 0, 0};
    for (auto w : so_weights) {
      INFO(tally::to_string(w));
      expect_scalar(so_eval<tally::GeneralizedDiceScore>(so_gds(3, w, Average::macro, false), p,
                                                         t, Shape{1, 4}),
                    0.0);
      expect_values(so_eval<tally::GeneralizedDiceScore>(so_gds(3, w, Average::none, false), p,
                                                         t, Shape{1, 4}),
                    Shape{2}, {0.0, 0.0});
    }
  }
}

TEST_CASE("GeneralizedDiceScore: 0 for 0/0, and the mean over all samples") {
  // Sample 0: the weight example above (I = [2,1,1], P = [2,2,2], T = [3,2,1]); sample 1:
  // every pixel ignored (I = P = T = 0): score 0, and per class 0 / 0 -> 0.
  const std::vector<std::int64_t> p{0, 0, 1, 1, 2, 2, 0, 1, 2, 3, 9, -4};
  const std::vector<std::int64_t> t{0, 0, 0, 1, 1, 2, -1, -1, -1, -1, -1, -1};
  const Shape s{2, 1, 6};
  auto gds = [&](DiceWeights w, Average avg) {
    tally::GeneralizedDiceScore m(so_gds(3, w, avg, true, -1));
    m.update(view_of(p, s), view_of(t, s));
    CHECK(m.num_samples() == 2);
    return m.compute();
  };
  expect_scalar(gds(DiceWeights::square, Average::macro), (53.0 / 82.0 + 0.0) / 2.0);
  expect_scalar(gds(DiceWeights::simple, Average::macro), (13.0 / 20.0 + 0.0) / 2.0);
  expect_scalar(gds(DiceWeights::linear, Average::macro), (2.0 / 3.0 + 0.0) / 2.0);
  expect_values(gds(DiceWeights::square, Average::none), Shape{3},
                {(4.0 / 5.0) / 2.0, (1.0 / 2.0) / 2.0, (2.0 / 3.0) / 2.0});

  SECTION("none averages a class over every sample, also those without it") {
    // Sample 0 of the weight example ([4/5, 1/2, 2/3]) and the absent-class sample
    // ([6/7, 2/3, 0]): [(4/5 + 6/7)/2, (1/2 + 2/3)/2, (2/3 + 0)/2] = [29/35, 7/12, 1/3].
    const std::vector<std::int64_t> p2{0, 0, 1, 1, 2, 2, 0, 0, 0, 2, 1, 2};
    const std::vector<std::int64_t> t2{0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1, 1};
    expect_values(so_eval<tally::GeneralizedDiceScore>(
                      so_gds(3, DiceWeights::square, Average::none), p2, t2, s),
                  Shape{3}, {29.0 / 35.0, 7.0 / 12.0, 1.0 / 3.0});
    // macro square: (53/82 + 14/27) / 2.
    expect_scalar(so_eval<tally::GeneralizedDiceScore>(so_gds(3), p2, t2, s),
                  (53.0 / 82.0 + 14.0 / 27.0) / 2.0);
  }
  SECTION("a sample without pixels scores 0 and counts") {
    tally::GeneralizedDiceScore m(so_gds(3, DiceWeights::linear));
    const std::vector<std::int64_t> none;
    m.update(view_of(none, Shape{1, 0}), view_of(none, Shape{1, 0}));
    expect_scalar(m.compute(), 0.0);
    CHECK(m.num_samples() == 1);
    // Then sample 0 of the weight example (linear 2/3): (0 + 2/3) / 2.
    m.update(tally::tensor_view<const std::int64_t>(p.data(), Shape{1, 6}),
             tally::tensor_view<const std::int64_t>(t.data(), Shape{1, 6}));
    expect_scalar(m.compute(), 1.0 / 3.0);
  }
}

TEST_CASE("GeneralizedDiceScore scores each sample on its own, whatever else is in its batch") {
  // A: the absent-class sample (square 14/27, simple 10/17, linear 2/3). B: preds = target =
  // [0,1,1,2,2,2], a perfect sample where class 2 has T = 3 (a batch-wide weight for class 2
  // would change A's score): 1 for every weight type.
  const std::vector<std::int64_t> p{0, 0, 0, 2, 1, 2, 0, 1, 1, 2, 2, 2};
  const std::vector<std::int64_t> t{0, 0, 0, 0, 1, 1, 0, 1, 1, 2, 2, 2};
  const Shape s{2, 1, 6};
  const double alone[] = {14.0 / 27.0, 10.0 / 17.0, 2.0 / 3.0};
  for (std::size_t i = 0; i < 3; ++i) {
    const DiceWeights w = so_weights[i];
    INFO(tally::to_string(w));
    tally::GeneralizedDiceScore batch(so_gds(3, w)), a(so_gds(3, w)), b(so_gds(3, w));
    batch.update(view_of(p, s), view_of(t, s));
    expect_scalar(batch.compute(), (alone[i] + 1.0) / 2.0);
    a.update(tally::tensor_view<const std::int64_t>(p.data(), Shape{1, 1, 6}),
             tally::tensor_view<const std::int64_t>(t.data(), Shape{1, 1, 6}));
    b.update(tally::tensor_view<const std::int64_t>(p.data() + 6, Shape{1, 1, 6}),
             tally::tensor_view<const std::int64_t>(t.data() + 6, Shape{1, 1, 6}));
    expect_scalar(a.compute(), alone[i]);
    expect_scalar(b.compute(), 1.0);
    a += b;
    CHECK(a == batch);
    CHECK(so_same_bits(a.compute(), batch.compute()));
  }
}

// =============================================================================================
// ignore_index
// =============================================================================================

TEST_CASE("ignore_index in range (0): the ignored pixel counts for no class") {
  // C = 3, ii = 0, preds [0,1,0,2], target [1,1,2,0]. Pixel 3 is ignored (its pred 2 is not
  // counted). Kept (target, pred): (1,0), (1,1), (2,0) -> I = [0,1,0], P = [2,1,0],
  // T = [0,2,1], U = [2,2,1].
  const std::vector<std::int64_t> p{0, 1, 0, 2}, t{1, 1, 2, 0};
  const Shape s{1, 1, 4};
  for (auto level : so_levels) {
    INFO(tally::to_string(level));
    // IoU [0, 1/2, 0]: macro 1/6 (one sample, so samplewise and global agree).
    expect_scalar(so_eval<tally::MeanIoU>(so_iou(3, Average::macro, level, true, 0), p, t, s),
                  1.0 / 6.0);
    expect_values(so_eval<tally::MeanIoU>(so_iou(3, Average::none, level, true, 0), p, t, s),
                  Shape{3}, {0.0, 1.0 / 2.0, 0.0});
  }
  // square: w = [absent -> max(1/4, 1) = 1, 1/4, 1]:
  //   2 (0 + 1/4 + 0) / (2*1 + 3/4 + 1) = (1/2) / (15/4) = 2/15.
  // simple: w = [1, 1/2, 1]: 2 (1/2) / (2 + 3/2 + 1) = 2/9. linear: 2 / (2 + 3 + 1) = 1/3.
  auto gds = [&](DiceWeights w, Average avg) {
    return so_eval<tally::GeneralizedDiceScore>(so_gds(3, w, avg, true, 0), p, t, s);
  };
  expect_scalar(gds(DiceWeights::square, Average::macro), 2.0 / 15.0);
  expect_scalar(gds(DiceWeights::simple, Average::macro), 2.0 / 9.0);
  expect_scalar(gds(DiceWeights::linear, Average::macro), 1.0 / 3.0);
  expect_values(gds(DiceWeights::square, Average::none), Shape{3}, {0.0, 2.0 / 3.0, 0.0});

  SECTION("global counts() hold the kept pixels only") {
    auto m = tally::MeanIoU(so_iou(3, Average::macro, AggregationLevel::global, true, 0));
    m.update(view_of(p, s), view_of(t, s));
    expect_counts(m.counts(), Shape{3, 3}, {0, 1, 0, /* P */ 2, 1, 0, /* T */ 0, 2, 1});
  }
}

TEST_CASE("property: ignore_index 255, -1 or 0 equals removing the ignored pixels") {
  // Random maps whose void pixels hold ignore_index in the target and anything in the preds
  // (out of range, negative for int64). The metric with ignore_index equals the reference, and
  // equals (bits) the metric without ignore_index fed each sample with its void pixels removed.
  for (std::int64_t ii : {255, -1, 0})
    for (std::size_t C : {2u, 5u})
      for (bool wide : {false, true}) {
        if (!wide && ii < 0) continue;  // a uint8 cannot hold -1
        INFO("ignore_index " << ii << " C " << C << (wide ? " int64" : " uint8"));
        const so_maps d = so_random_maps(static_cast<std::uint64_t>(ii + 7), 12, 3, 5, C, ii);
        std::vector<std::int64_t> p = d.p;
        splitmix64 rng{static_cast<std::uint64_t>(ii) + 99};
        if (wide)
          for (std::size_t i = 0; i < p.size(); ++i)
            if (d.t[i] == ii && rng.coin(0.5))
              p[i] = rng.coin(0.5) ? -7 : std::numeric_limits<std::int64_t>::min() + 3;
        // The kept pixels of each sample.
        std::vector<std::vector<std::int64_t>> kp(d.N), kt(d.N);
        for (std::size_t n = 0; n < d.N; ++n)
          for (std::size_t r = 0; r < d.R(); ++r)
            if (d.t[n * d.R() + r] != ii) {
              kp[n].push_back(p[n * d.R() + r]);
              kt[n].push_back(d.t[n * d.R() + r]);
            }

        auto check = [&](auto tag, const auto& with_ii, const auto& without_ii,
                         const std::vector<double>& ref, bool scalar) {
          using M = typename decltype(tag)::type;
          M m(with_ii), removed(without_ii);
          if (wide)
            m.update(view_of(p, Shape{d.N, d.H, d.W}), view_of(d.t, Shape{d.N, d.H, d.W}));
          else
            m.update(view_of(cast_vector<std::uint8_t>(p), Shape{d.N, d.H, d.W}),
                     view_of(cast_vector<std::uint8_t>(d.t), Shape{d.N, d.H, d.W}));
          for (std::size_t n = 0; n < d.N; ++n)
            removed.update(view_of(kp[n], Shape{1, 1, kp[n].size()}),
                           view_of(kt[n], Shape{1, 1, kt[n].size()}));
          so_expect_ref(m.compute(), ref, scalar);
          CHECK(so_same_bits(m.compute(), removed.compute()));
          CHECK(same_values(m.counts(), removed.counts()));
          CHECK(m.num_samples() == removed.num_samples());
        };
        for (auto level : so_levels)
          for (auto avg : so_averages)
            for (bool bg : {true, false}) {
              INFO("MeanIoU " << tally::to_string(level) << ' ' << tally::to_string(avg) << " bg "
                              << bg);
              const auto o = so_iou(static_cast<std::int64_t>(C), avg, level, bg, ii);
              auto plain = o;
              plain.ignore_index = std::nullopt;
              check(metric_tag<tally::MeanIoU>{}, o, plain, so_ref_iou(p, d.t, d.N, o),
                    avg == Average::macro);
            }
        for (auto w : so_weights)
          for (auto avg : so_averages)
            for (bool bg : {true, false}) {
              INFO("GeneralizedDiceScore " << tally::to_string(w) << ' ' << tally::to_string(avg)
                                           << " bg " << bg);
              const auto o = so_gds(static_cast<std::int64_t>(C), w, avg, bg, ii);
              auto plain = o;
              plain.ignore_index = std::nullopt;
              check(metric_tag<tally::GeneralizedDiceScore>{}, o, plain,
                    so_ref_gds(p, d.t, d.N, o), avg == Average::macro);
            }
      }
}

TEST_CASE("ignore_index: preds at ignored pixels are not checked, and values are compared by value") {
  SECTION("index maps: any pred value at an ignored pixel") {
    // Kept: (t, p) = (1, 1), (2, 0): I = [0,1,0], P = [1,1,0], T = [0,1,1] -> IoU [0, 1, 0].
    const std::vector<std::int64_t> p{1, 99, -5, 0}, t{1, 255, 255, 2};
    expect_values(so_eval<tally::MeanIoU>(so_iou(3, Average::none, AggregationLevel::global,
                                                 true, 255),
                                          p, t, Shape{1, 1, 4}),
                  Shape{3}, {0.0, 1.0, 0.0});
  }
  SECTION("mixed: a one-hot pred column at an ignored pixel is not checked") {
    // Index target (1, 1, 3) [1, 255, 0]; one-hot preds (1, 3, 1, 3) with labels [1, -, 0] and
    // junk (7, 7, 7) at the ignored pixel 1. I = [1,1,0], P = [1,1,0], T = [1,1,0].
    const std::vector<int> p{0, 7, 1, /* c1 */ 1, 7, 0, /* c2 */ 0, 7, 0};
    const std::vector<std::uint8_t> t{1, 255, 0};
    for (std::int64_t C : {3, 0}) {
      INFO("num_classes " << C);
      auto m = tally::MeanIoU(so_iou(C, Average::none, AggregationLevel::global, true, 255,
                                     InputFormat::mixed));
      m.update(view_of(p, Shape{1, 3, 1, 3}), view_of(t, Shape{1, 1, 3}));
      expect_values(m.compute(), Shape{3}, {1.0, 1.0, -1.0});
      auto g = tally::GeneralizedDiceScore(
          so_gds(C, DiceWeights::square, Average::none, true, 255, InputFormat::mixed));
      g.update(view_of(p, Shape{1, 3, 3}), view_of(t, Shape{1, 3}));
      expect_values(g.compute(), Shape{3}, {1.0, 1.0, 0.0});
    }
  }
  SECTION("floating one-hot preds: NaN is an error, at ignored pixels too") {
    std::vector<double> p{0, 1, 1, /* c1 */ 1, 0, 0, /* c2 */ 0, 0, 0};
    p[1] = qnan;  // channel 0 of pixel 1, whose target is ignored
    const std::vector<std::uint8_t> t{1, 255, 0};
    auto m = tally::MeanIoU(so_iou(3, Average::none, AggregationLevel::global, true, 255,
                                   InputFormat::mixed));
    so_rejects(m, [&] { m.update(view_of(p, Shape{1, 3, 1, 3}), view_of(t, Shape{1, 1, 3})); },
               {"NaN", "index 1"});
  }
  SECTION("a uint8 255 is not ignore_index -1") {
    const std::vector<std::uint8_t> p{0, 1, 1}, t{0, 255, 1};
    auto m = tally::MeanIoU(so_iou(2, Average::macro, AggregationLevel::samplewise, true, -1));
    so_rejects(m, [&] { m.update(view_of(p, Shape{1, 1, 3}), view_of(t, Shape{1, 1, 3})); },
               {"target value 255", "index 1"});
    auto g = tally::GeneralizedDiceScore(so_gds(2, DiceWeights::square, Average::macro, true, -1));
    so_rejects(g, [&] { g.update(view_of(p, Shape{1, 3}), view_of(t, Shape{1, 3})); },
               {"target value 255", "index 1"});
  }
  SECTION("a pred equal to ignore_index at a kept pixel is an error") {
    const std::vector<std::int64_t> p{0, 255, 1}, t{0, 1, 1};
    auto m = tally::MeanIoU(so_iou(2, Average::macro, AggregationLevel::samplewise, true, 255));
    so_rejects(m, [&] { m.update(view_of(p, Shape{1, 1, 3}), view_of(t, Shape{1, 1, 3})); },
               {"preds value 255", "index 1"});
  }
}

// =============================================================================================
// num_classes = 0: the classes come from the one-hot channel axis of the first update
// =============================================================================================

namespace {

// The worked example as one-hot tensors (2, 3, 4).
const std::vector<int> so_oh_preds = one_hot<int>(so_ex_preds, 2, 3);
const std::vector<int> so_oh_target = one_hot<int>(so_ex_target, 2, 3);
const Shape so_oh_shape{2, 3, 4};

template <class M>
void so_check_learns_classes(const typename M::Options& unsized, const typename M::Options& sized) {
  M fresh(unsized);
  CHECK(fresh.num_classes() == 0);
  CHECK(fresh.num_samples() == 0);
  CHECK_THROWS_AS(fresh.compute(), tally::error);
  CHECK_THROWS_WITH(fresh.compute(), so_has("num_classes = 0"));
  CHECK_THROWS_WITH(fresh.compute(), so_has("update"));

  // The first update sets C = 3, and counts as a metric built with num_classes = 3.
  M m = fresh;
  const bool one_hot_format = unsized.input_format == InputFormat::one_hot;
  const std::vector<std::int64_t>& index_t = so_ex_target;
  auto update = [&](M& x) {
    if (one_hot_format)
      x.update(view_of(so_oh_preds, so_oh_shape), view_of(so_oh_target, so_oh_shape));
    else  // mixed: one-hot preds (2, 3, 1, 4), index target (2, 1, 4)
      x.update(view_of(so_oh_preds, Shape{2, 3, 1, 4}), view_of(index_t, so_ex_shape));
  };
  update(m);
  CHECK(m.num_classes() == 3);
  CHECK(m.num_samples() == 2);
  M reference(sized);
  update(reference);
  CHECK(so_same_bits(m.compute(), reference.compute()));
  CHECK(same_values(m.counts(), reference.counts()));
  const std::size_t bytes = m.state_bytes();
  CHECK(bytes == reference.state_bytes());

  // A later update with another channel count is an error and changes nothing.
  {
    const std::vector<int> four(2 * 4 * 4, 0), two(2 * 2 * 4, 0);
    if (one_hot_format) {
      so_rejects(m, [&] { m.update(view_of(four, Shape{2, 4, 4}), view_of(four, Shape{2, 4, 4})); },
                 {"channels", "3"});
      so_rejects(m, [&] { m.update(view_of(two, Shape{2, 2, 4}), view_of(two, Shape{2, 2, 4})); },
                 {"channels", "3"});
    } else {
      so_rejects(m,
                 [&] { m.update(view_of(four, Shape{2, 4, 1, 4}), view_of(index_t, so_ex_shape)); },
                 {"channels", "3"});
    }
    CHECK(m.num_classes() == 3);
  }
  // merge: an unsized metric takes a sized one's state, and adds nothing to one.
  {
    M a = fresh;
    a.merge(m);
    CHECK(a == m);
    CHECK(a.num_classes() == 3);
    M b = m;
    b += fresh;
    CHECK(b == m);
    M c = fresh;
    c.merge(fresh);
    CHECK(c == fresh);
    CHECK(c.num_classes() == 0);
    // Two metrics that learnt different C do not merge.
    M other = fresh;
    const std::vector<int> four(1 * 4 * 4, 0);
    if (one_hot_format)
      other.update(view_of(four, Shape{1, 4, 4}), view_of(four, Shape{1, 4, 4}));
    else
      other.update(view_of(four, Shape{1, 4, 1, 4}),
                   tally::tensor_view<const std::int64_t>(index_t.data(), Shape{1, 1, 4}));
    CHECK(other.num_classes() == 4);
    so_rejects(m, [&] { m.merge(other); }, {"merge", "3", "4"});
    so_rejects(other, [&] { other += m; }, {"merge"});
  }
  // save/load round trips, sized and unsized.
  {
    M r(unsized);
    r.load(m.save());
    CHECK(r == m);
    CHECK(r.num_classes() == 3);
    CHECK(so_same_bits(r.compute(), m.compute()));
    update(r);
    M twice = m;
    update(twice);
    CHECK(r == twice);
    // An unsized state loaded over a sized one: back to unsized.
    r.load(fresh.save());
    CHECK(r == fresh);
    CHECK(r.num_classes() == 0);
    CHECK_THROWS_AS(r.compute(), tally::error);
    update(r);
    CHECK(r == m);
    // An unsized state loaded into an unsized one.
    M u(unsized);
    u.load(fresh.save());
    CHECK(u == fresh);
  }
  // reset forgets the classes.
  {
    M x = m;
    x.reset();
    CHECK(x == fresh);
    CHECK(x.num_classes() == 0);
  }
}

}  // namespace

TEST_CASE("num_classes = 0 learns C from the one-hot channel axis of the first update") {
  for (auto format : {InputFormat::one_hot, InputFormat::mixed}) {
    INFO(tally::to_string(format));
    for (auto level : so_levels)
      for (auto avg : so_averages) {
        INFO("MeanIoU " << tally::to_string(level) << ' ' << tally::to_string(avg));
        so_check_learns_classes<tally::MeanIoU>(
            so_iou(0, avg, level, true, std::nullopt, format),
            so_iou(3, avg, level, true, std::nullopt, format));
      }
    for (auto w : so_weights)
      for (auto avg : so_averages) {
        INFO("GeneralizedDiceScore " << tally::to_string(w) << ' ' << tally::to_string(avg));
        so_check_learns_classes<tally::GeneralizedDiceScore>(
            so_gds(0, w, avg, true, std::nullopt, format),
            so_gds(3, w, avg, true, std::nullopt, format));
      }
  }
  SECTION("the learnt values are the hand-computed ones") {
    // MeanIoU samplewise macro 1/2 (the worked example); GeneralizedDiceScore square:
    // sample 0 w = [1, 1, 1/4]: 2 (1 + 1 + 0) / (2 + 4 + 2/4) = 8/13; sample 1
    // w = [1/9, 1, (absent, P + T = 0)]: 2 (2/9 + 1) / (5/9 + 3) = 11/16.
    tally::MeanIoU m(so_iou(0, Average::macro, AggregationLevel::samplewise, true, std::nullopt,
                            InputFormat::one_hot));
    m.update(view_of(so_oh_preds, so_oh_shape), view_of(so_oh_target, so_oh_shape));
    expect_scalar(m.compute(), 1.0 / 2.0);
    tally::GeneralizedDiceScore g(so_gds(0, DiceWeights::square, Average::macro, true,
                                         std::nullopt, InputFormat::one_hot));
    g.update(view_of(so_oh_preds, so_oh_shape), view_of(so_oh_target, so_oh_shape));
    expect_scalar(g.compute(), (8.0 / 13.0 + 11.0 / 16.0) / 2.0);
  }
  SECTION("mixed: the one-hot side gives C, preds or target") {
    for (bool target_one_hot : {false, true}) {
      tally::MeanIoU m(so_iou(0, Average::none, AggregationLevel::global, true, std::nullopt,
                              InputFormat::mixed));
      if (target_one_hot)
        m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_oh_target, Shape{2, 3, 1, 4}));
      else
        m.update(view_of(so_oh_preds, Shape{2, 3, 1, 4}), view_of(so_ex_target, so_ex_shape));
      CHECK(m.num_classes() == 3);
      expect_values(m.compute(), Shape{3}, {3.0 / 4.0, 2.0 / 5.0, 0.0});
      tally::GeneralizedDiceScore g(so_gds(0, DiceWeights::linear, Average::macro, true,
                                           std::nullopt, InputFormat::mixed));
      if (target_one_hot)
        g.update(view_of(so_ex_preds, Shape{2, 4}), view_of(so_oh_target, so_oh_shape));
      else
        g.update(view_of(so_oh_preds, so_oh_shape), view_of(so_ex_target, Shape{2, 4}));
      CHECK(g.num_classes() == 3);
      expect_scalar(g.compute(), 5.0 / 8.0);  // linear: 1/2 and 3/4
    }
  }
  SECTION("a failed first update leaves the metric unsized") {
    tally::MeanIoU m(so_iou(0, Average::macro, AggregationLevel::samplewise, true, std::nullopt,
                            InputFormat::one_hot));
    auto bad = so_oh_preds;
    bad[5] = 2;
    so_rejects(m, [&] { m.update(view_of(bad, so_oh_shape), view_of(so_oh_target, so_oh_shape)); },
               {"preds value 2", "0 or 1"});
    CHECK(m.num_classes() == 0);
  }
}

// =============================================================================================
// Properties over random maps
// =============================================================================================

TEMPLATE_TEST_CASE("property: the reference values, and the same bits for any split into updates, "
                   "merges and save/load round trips",
                   "", std::uint8_t, std::int64_t) {
  for (std::uint64_t seed : {1u, 2u})
    for (std::size_t C : {1u, 2u, 5u, 19u}) {
      const so_maps d = so_random_maps(seed, 30, 4, 7, C);
      const auto p = cast_vector<TestType>(d.p), t = cast_vector<TestType>(d.t);
      splitmix64 rng{seed * 31 + C};
      const auto Ci = static_cast<std::int64_t>(C);
      for (auto level : so_levels)
        for (auto avg : so_averages)
          for (bool bg : {true, false}) {
            INFO("seed " << seed << " C " << C << " MeanIoU " << tally::to_string(level) << ' '
                         << tally::to_string(avg) << " include_background " << bg);
            const auto o = so_iou(Ci, avg, level, bg, 255);
            so_check_splits<tally::MeanIoU>(o, d, p, t, so_ref_iou(d.p, d.t, d.N, o),
                                            avg == Average::macro, rng);
          }
      for (auto w : so_weights)
        for (auto avg : so_averages)
          for (bool bg : {true, false}) {
            INFO("seed " << seed << " C " << C << " GeneralizedDiceScore " << tally::to_string(w)
                         << ' ' << tally::to_string(avg) << " include_background " << bg);
            const auto o = so_gds(Ci, w, avg, bg, 255);
            so_check_splits<tally::GeneralizedDiceScore>(o, d, p, t, so_ref_gds(d.p, d.t, d.N, o),
                                                         avg == Average::macro, rng);
          }
    }
}

TEST_CASE("property: parallel updates give the bits of serial ones") {
  // 12 samples of 160 x 400 uint8 pixels: the whole batch, and its first 9 or 10 samples, hold
  // enough elements (preds + target) for tally::parallel to split them over threads.
  constexpr std::size_t N = 12, H = 160, W = 400;
  for (std::size_t C : {5u, 19u}) {
    const so_maps d = so_random_maps(77, N, H, W, C);
    const auto p = cast_vector<std::uint8_t>(d.p), t = cast_vector<std::uint8_t>(d.t);
    const std::size_t cut = C == 5 ? 9 : 10;
    REQUIRE(2 * cut * H * W >= tally::detail::parallel_min_elements);
    const auto Ci = static_cast<std::int64_t>(C);
    auto run = [&](auto tag, const auto& o) {
      using M = typename decltype(tag)::type;
      M serial(o);
      so_feed(serial, p, t, d, 0, N);
      for (unsigned threads : {2u, 4u}) {
        M par(o);
        so_feed(par, p, t, d, 0, N, threads);
        CHECK(par == serial);
        CHECK(so_same_bits(par.compute(), serial.compute()));
      }
      // [0, cut) over 2 threads in a, [cut, N) serially in b, b saved and loaded, a merged in.
      M a(o), b(o);
      so_feed(a, p, t, d, 0, cut, 2);
      so_feed(b, p, t, d, cut, N);
      b = so_round_trip(b);
      b.merge(a);
      CHECK(b == serial);
      CHECK(b.save() == serial.save());
      CHECK(so_same_bits(b.compute(), serial.compute()));
      return serial.compute();
    };
    for (auto level : so_levels)
      for (auto avg : so_averages)
        for (bool bg : {true, false}) {
          INFO("C " << C << " MeanIoU " << tally::to_string(level) << ' ' << tally::to_string(avg)
                    << " include_background " << bg);
          const auto o = so_iou(Ci, avg, level, bg, 255);
          const tally::Result r = run(metric_tag<tally::MeanIoU>{}, o);
          if (C == 5 && bg) so_expect_ref(r, so_ref_iou(d.p, d.t, N, o), avg == Average::macro);
        }
    for (auto w : so_weights)
      for (auto avg : so_averages) {
        INFO("C " << C << " GeneralizedDiceScore " << tally::to_string(w) << ' '
                  << tally::to_string(avg));
        const auto o = so_gds(Ci, w, avg, w != DiceWeights::simple, 255);
        const tally::Result r = run(metric_tag<tally::GeneralizedDiceScore>{}, o);
        if (C == 5 && avg == Average::macro)
          so_expect_ref(r, so_ref_gds(d.p, d.t, N, o), true);
      }
  }
}

TEST_CASE("property: per sample and class, Dice = 2 IoU / (1 + IoU) on label maps") {
  // Single-sample updates in which every class occurs in the target, so that every Dice and IoU
  // is defined: DiceScore (average none, samplewise) against MeanIoU (average none).
  for (std::size_t C : {1u, 2u, 5u, 19u})
    for (bool bg : {true, false}) {
      if (C == 1 && !bg) continue;  // DiceScore keeps a lone class 0, MeanIoU does not
      const so_maps d = so_random_maps(5 + C, 12, 4, 6, C, 255, true);
      for (bool wide : {false, true}) {
        INFO("C " << C << " include_background " << bg << (wide ? " int64" : " uint8"));
        const auto p8 = cast_vector<std::uint8_t>(d.p), t8 = cast_vector<std::uint8_t>(d.t);
        for (std::size_t n = 0; n < d.N; ++n) {
          INFO("sample " << n);
          tally::DiceScore::Options dopts;
          dopts.num_classes = static_cast<std::int64_t>(C);
          dopts.average = Average::none;
          dopts.aggregation_level = AggregationLevel::samplewise;
          dopts.include_background = bg;
          dopts.ignore_index = 255;
          dopts.input_format = InputFormat::index;
          tally::DiceScore dice(dopts);
          tally::MeanIoU iou(so_iou(static_cast<std::int64_t>(C), Average::none,
                                    AggregationLevel::samplewise, bg, 255));
          if (wide) {
            so_feed(dice, d.p, d.t, d, n, n + 1);
            so_feed(iou, d.p, d.t, d, n, n + 1);
          } else {
            so_feed(dice, p8, t8, d, n, n + 1);
            so_feed(iou, p8, t8, d, n, n + 1);
          }
          const tally::Result D = dice.compute(), J = iou.compute();
          const std::size_t kept = bg ? C : C - 1;
          REQUIRE(D.size() == kept);
          REQUIRE(J.size() == kept);
          for (std::size_t i = 0; i < kept; ++i) {
            INFO("class " << (bg ? i : i + 1));
            CHECK(J[i] >= 0.0);
            so_check_rel(D[i], 2.0 * J[i] / (1.0 + J[i]));
          }
        }
      }
    }
}

TEST_CASE("property: GeneralizedDiceScore linear on one sample equals DiceScore micro") {
  // sum_c 2 I_c / sum_c (P_c + T_c) over the kept classes, on samples where every class occurs.
  for (std::size_t C : {1u, 2u, 5u, 19u})
    for (bool bg : {true, false}) {
      const so_maps d = so_random_maps(11 + C, 10, 5, 5, C, 255, true);
      INFO("C " << C << " include_background " << bg);
      for (std::size_t n = 0; n < d.N; ++n) {
        INFO("sample " << n);
        tally::DiceScore::Options dopts;
        dopts.num_classes = static_cast<std::int64_t>(C);
        dopts.average = Average::micro;
        dopts.aggregation_level = AggregationLevel::samplewise;
        dopts.include_background = bg;
        dopts.ignore_index = 255;
        dopts.input_format = InputFormat::index;
        tally::DiceScore dice(dopts);
        tally::GeneralizedDiceScore gds(
            so_gds(static_cast<std::int64_t>(C), DiceWeights::linear, Average::macro, bg, 255));
        so_feed(dice, d.p, d.t, d, n, n + 1);
        so_feed(gds, d.p, d.t, d, n, n + 1);
        const tally::Result a = gds.compute(), b = dice.compute();
        REQUIRE(a.shape() == Shape{});
        REQUIRE(b.shape() == Shape{});
        so_check_rel(a[0], b[0]);
        so_expect_ref(a, so_ref_gds(std::vector<std::int64_t>(d.p.begin() + n * d.R(),
                                                              d.p.begin() + (n + 1) * d.R()),
                                    std::vector<std::int64_t>(d.t.begin() + n * d.R(),
                                                              d.t.begin() + (n + 1) * d.R()),
                                    1, gds.options()),
                      true);
      }
    }
}

// =============================================================================================
// Rejected inputs and options
// =============================================================================================

namespace {

// The bad inputs, for a metric M built with options o (index maps, C = 3, ignore_index 255)
// after one good update.
template <class M>
void so_check_bad_index_input(const typename M::Options& o) {
  M m(o);
  m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
  const std::vector<std::int64_t> good{0, 1, 2, 0, 1, 2, 0, 1};
  SECTION("target label out of range (sample 1, pixel 2: flat index 6)") {
    auto t = good;
    t[6] = 3;
    so_rejects(m, [&] { m.update(view_of(good, so_ex_shape), view_of(t, so_ex_shape)); },
               {"target value 3", "index 6", "[0, 3)"});
    t[6] = -2;
    so_rejects(m, [&] { m.update(view_of(good, so_ex_shape), view_of(t, so_ex_shape)); },
               {"target value -2", "index 6"});
  }
  SECTION("pred label out of range at a kept pixel") {
    auto p = good;
    p[5] = 3;
    so_rejects(m, [&] { m.update(view_of(p, so_ex_shape), view_of(good, so_ex_shape)); },
               {"preds value 3", "index 5", "[0, 3)"});
    p[5] = -1;
    so_rejects(m, [&] { m.update(view_of(p, so_ex_shape), view_of(good, so_ex_shape)); },
               {"preds value -1", "index 5"});
  }
  SECTION("shape mismatch") {
    const std::vector<std::int64_t> ten(10, 0);
    so_rejects(m, [&] { m.update(view_of(good, so_ex_shape), view_of(ten, Shape{2, 1, 5})); },
               {"(2, 1, 4)", "(2, 1, 5)"});
    so_rejects(m, [&] { m.update(view_of(good, Shape{2, 4}), view_of(good, so_ex_shape)); },
               {"shape"});
  }
  SECTION("a floating index map") {
    const std::vector<double> f{0, 1, 2, 0, 1, 2, 0, 1};
    so_rejects(m, [&] { m.update(view_of(f, so_ex_shape), view_of(good, so_ex_shape)); },
               {"preds", "floating"});
  }
}

// Bad one-hot values for M built with one_hot options o (C = 3, or 0) after one good update.
template <class M>
void so_check_bad_one_hot_input(const typename M::Options& o) {
  M m(o);
  m.update(view_of(so_oh_preds, so_oh_shape), view_of(so_oh_target, so_oh_shape));
  SECTION("a one-hot value 2 (sample 1, channel 2, pixel 3: flat index 23)") {
    auto p = so_oh_preds;
    p[23] = 2;
    so_rejects(m, [&] { m.update(view_of(p, so_oh_shape), view_of(so_oh_target, so_oh_shape)); },
               {"preds value 2", "index 23", "0 or 1"});
    auto t = so_oh_target;
    t[23] = 2;
    so_rejects(m, [&] { m.update(view_of(so_oh_preds, so_oh_shape), view_of(t, so_oh_shape)); },
               {"target value 2", "index 23", "0 or 1"});
  }
  SECTION("NaN in floating one-hot preds (sample 1, channel 0, pixel 2: flat index 14)") {
    std::vector<double> p(so_oh_preds.begin(), so_oh_preds.end());
    p[14] = qnan;
    so_rejects(m, [&] { m.update(view_of(p, so_oh_shape), view_of(so_oh_target, so_oh_shape)); },
               {"NaN", "index 14"});
    std::vector<float> pf(so_oh_preds.begin(), so_oh_preds.end());
    pf[3] = std::numeric_limits<float>::quiet_NaN();
    so_rejects(m, [&] { m.update(view_of(pf, so_oh_shape), view_of(so_oh_target, so_oh_shape)); },
               {"NaN", "index 3"});
  }
  SECTION("shape mismatch") {
    const std::vector<int> five(2 * 3 * 5, 0);
    so_rejects(m, [&] { m.update(view_of(so_oh_preds, so_oh_shape), view_of(five, Shape{2, 3, 5})); },
               {"(2, 3, 4)", "(2, 3, 5)"});
  }
}

// Construction must throw tally::error naming every fragment.
template <class M>
void so_check_bad_options(const typename M::Options& o, std::initializer_list<const char*> parts) {
  CHECK_THROWS_AS((void)M(o), tally::error);
  for (const char* part : parts) CHECK_THROWS_WITH((void)M(o), so_has(part));
}

}  // namespace

TEST_CASE("bad MeanIoU and GeneralizedDiceScore inputs are errors that change nothing") {
  SECTION("MeanIoU samplewise, index") {
    so_check_bad_index_input<tally::MeanIoU>(
        so_iou(3, Average::none, AggregationLevel::samplewise, true, 255));
  }
  SECTION("MeanIoU global, index") {
    so_check_bad_index_input<tally::MeanIoU>(
        so_iou(3, Average::macro, AggregationLevel::global, false, 255));
  }
  SECTION("GeneralizedDiceScore, index") {
    so_check_bad_index_input<tally::GeneralizedDiceScore>(
        so_gds(3, DiceWeights::simple, Average::macro, true, 255));
  }
  for (std::int64_t C : {3, 0}) {
    SECTION("MeanIoU one_hot, num_classes " + std::to_string(C)) {
      so_check_bad_one_hot_input<tally::MeanIoU>(so_iou(C, Average::macro,
                                                        AggregationLevel::samplewise, true,
                                                        std::nullopt, InputFormat::one_hot));
    }
    SECTION("GeneralizedDiceScore one_hot, num_classes " + std::to_string(C)) {
      so_check_bad_one_hot_input<tally::GeneralizedDiceScore>(
          so_gds(C, DiceWeights::square, Average::none, true, std::nullopt, InputFormat::one_hot));
    }
  }
}

TEST_CASE("bad MeanIoU and GeneralizedDiceScore options are errors at construction") {
  for (auto avg : {Average::micro, Average::weighted}) {
    INFO(tally::to_string(avg));
    so_check_bad_options<tally::MeanIoU>(so_iou(3, avg), {"average", tally::to_string(avg)});
    so_check_bad_options<tally::GeneralizedDiceScore>(so_gds(3, DiceWeights::square, avg),
                                                      {"average", tally::to_string(avg)});
  }
  so_check_bad_options<tally::MeanIoU>(so_iou(3, static_cast<Average>(9)), {"average"});
  so_check_bad_options<tally::GeneralizedDiceScore>(so_gds(3, static_cast<DiceWeights>(7)),
                                                    {"weight_type", "7"});
  so_check_bad_options<tally::GeneralizedDiceScore>(so_gds(3, static_cast<DiceWeights>(-1)),
                                                    {"weight_type"});
  so_check_bad_options<tally::MeanIoU>(so_iou(3, Average::macro, static_cast<AggregationLevel>(4)),
                                       {"aggregation_level"});
  for (std::int64_t C : {std::int64_t{-1}, std::int64_t{-3}, std::int64_t{1} << 40}) {
    INFO("num_classes " << C);
    so_check_bad_options<tally::MeanIoU>(so_iou(C), {"num_classes"});
    so_check_bad_options<tally::GeneralizedDiceScore>(so_gds(C), {"num_classes"});
  }
  // num_classes = 0 needs a one-hot tensor to learn C from.
  so_check_bad_options<tally::MeanIoU>(so_iou(0), {"num_classes", "index"});
  so_check_bad_options<tally::GeneralizedDiceScore>(so_gds(0), {"num_classes", "index"});
  // ignore_index names a value of an index-map target.
  so_check_bad_options<tally::MeanIoU>(
      so_iou(3, Average::macro, AggregationLevel::samplewise, true, 255, InputFormat::one_hot),
      {"ignore_index", "one_hot"});
  so_check_bad_options<tally::GeneralizedDiceScore>(
      so_gds(0, DiceWeights::square, Average::macro, true, 0, InputFormat::one_hot),
      {"ignore_index", "one_hot"});
  // The good ones construct.
  CHECK_NOTHROW(tally::MeanIoU(so_iou(1)));
  CHECK_NOTHROW(tally::MeanIoU(
      so_iou(0, Average::none, AggregationLevel::global, false, std::nullopt, InputFormat::mixed)));
  CHECK_NOTHROW(tally::GeneralizedDiceScore(so_gds(0, DiceWeights::linear, Average::none, false,
                                                   255, InputFormat::mixed)));
}

TEST_CASE("MeanIoU and GeneralizedDiceScore merge only with equal options") {
  auto m = tally::MeanIoU(so_iou(3, Average::macro, AggregationLevel::samplewise, true, 255));
  m.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
  const tally::MeanIoU other(so_iou(3, Average::macro, AggregationLevel::global, true, 255));
  so_rejects(m, [&] { m.merge(other); }, {"merge"});
  auto g = tally::GeneralizedDiceScore(so_gds(3, DiceWeights::square));
  g.update(view_of(so_ex_preds, so_ex_shape), view_of(so_ex_target, so_ex_shape));
  const tally::GeneralizedDiceScore g2(so_gds(3, DiceWeights::simple));
  so_rejects(g, [&] { g += g2; }, {"merge", "weight_type"});
}

// =============================================================================================
// State size
// =============================================================================================

TEST_CASE("10,000 one-sample updates keep state_bytes constant and the result right") {
  constexpr std::int64_t C = 5;
  const so_maps d = so_random_maps(3, 10000, 2, 2, C);
  const auto p = cast_vector<std::uint8_t>(d.p), t = cast_vector<std::uint8_t>(d.t);
  auto run = [&](auto tag, const auto& o, const std::vector<double>& ref, bool scalar) {
    using M = typename decltype(tag)::type;
    M m(o);
    const std::size_t bytes = m.state_bytes();
    CHECK(bytes > 0);
    for (std::size_t n = 0; n < d.N; ++n) {
      so_feed(m, p, t, d, n, n + 1);
      if (m.state_bytes() != bytes) {
        FAIL_CHECK("state_bytes changed after sample " << n << ": " << m.state_bytes() << " != "
                                                       << bytes);
        break;
      }
    }
    CHECK(m.num_samples() == d.N);
    CHECK(m.state_bytes() <= 3 * static_cast<std::size_t>(C) * sizeof(std::uint64_t) * 2);
    so_expect_ref(m.compute(), ref, scalar);
  };
  for (auto level : so_levels)
    for (auto avg : so_averages) {
      INFO("MeanIoU " << tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto o = so_iou(C, avg, level, true, 255);
      run(metric_tag<tally::MeanIoU>{}, o, so_ref_iou(d.p, d.t, d.N, o), avg == Average::macro);
    }
  for (auto avg : so_averages) {
    INFO("GeneralizedDiceScore " << tally::to_string(avg));
    const auto o = so_gds(C, DiceWeights::square, avg, true, 255);
    run(metric_tag<tally::GeneralizedDiceScore>{}, o, so_ref_gds(d.p, d.t, d.N, o),
        avg == Average::macro);
  }
}
