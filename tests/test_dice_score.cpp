// DiceScore (docs/semantics.md section 6, with sections 2 and 3 for ignore_index and validation):
// the worked examples of 6.3 and 6.4, the seed scenario (uint8 label maps with void 255), input
// formats, include_background, empty classes and zero_division, ignore_index, properties (Dice ==
// F1 on label maps, ignore_index == masking, merge == concatenation, chunking, encodings, label
// types), constant-size state over 100,000 updates, exact samplewise sums (the same bits for any
// split into updates, threads, merges and save/load round trips; the mean rounded once), and
// every rejected option and input.
//
// Expected values are exact fractions computed by hand from the per-class counts I (pixels where
// pred and target are both c), P (pixels predicted c) and T (target pixels of c), given in the
// comments; dice_c = 2I / (P + T). The properties compare tally with itself, with
// MulticlassF1Score, or with the small reference implementation ds_ref_* below, which follows
// the text of docs/semantics.md 6.2-6.4 directly.
#include <tally/segmentation.hpp>
#include <tally/tally.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::AggregationLevel;
using tally::Average;
using tally::InputFormat;
using tally::Shape;

constexpr Average ds_averages[] = {Average::micro, Average::macro, Average::weighted,
                                   Average::none};
constexpr AggregationLevel ds_levels[] = {AggregationLevel::global, AggregationLevel::samplewise};

// Options, built field by field (C++17 has no designated initializers):
//   ds_opts(3).global().avg(Average::micro).ii(255)
class ds_opts {
 public:
  explicit ds_opts(std::int64_t num_classes, InputFormat format = InputFormat::index) {
    o_.num_classes = num_classes;
    o_.input_format = format;
  }
  ds_opts& avg(Average a) {
    o_.average = a;
    return *this;
  }
  ds_opts& level(AggregationLevel a) {
    o_.aggregation_level = a;
    return *this;
  }
  ds_opts& global() { return level(AggregationLevel::global); }
  ds_opts& samplewise() { return level(AggregationLevel::samplewise); }
  ds_opts& ii(std::optional<std::int64_t> v) {
    o_.ignore_index = v;
    return *this;
  }
  ds_opts& background(bool include) {
    o_.include_background = include;
    return *this;
  }
  ds_opts& zd(double v) {
    o_.zero_division = v;
    return *this;
  }
  [[nodiscard]] const tally::DiceScore::Options& get() const { return o_; }
  operator tally::DiceScore::Options() const { return o_; }  // NOLINT: used as an argument
  [[nodiscard]] tally::DiceScore make() const { return tally::DiceScore(o_); }

 private:
  tally::DiceScore::Options o_;
};

// One update, then compute.
template <class P, class T>
tally::Result ds_eval(const tally::DiceScore::Options& o, const std::vector<P>& preds,
                      Shape preds_shape, const std::vector<T>& target, Shape target_shape) {
  tally::DiceScore m(o);
  m.update(view_of(preds, preds_shape), view_of(target, target_shape));
  return m.compute();
}

// Same shape for preds and target (index maps, or one-hot on both sides).
template <class P, class T>
tally::Result ds_eval(const tally::DiceScore::Options& o, const std::vector<P>& preds,
                      const std::vector<T>& target, Shape shape) {
  return ds_eval(o, preds, shape, target, shape);
}

// The update must throw tally::error whose message contains every fragment, and must leave the
// metric exactly as it was (docs/semantics.md 3.3, strong guarantee).
template <class P, class T>
void ds_rejects(tally::DiceScore& m, tally::tensor_view<const P> preds,
                tally::tensor_view<const T> target, const std::vector<std::string>& fragments) {
  const tally::DiceScore copy = m;
  const tally::Result before = m.compute();
  const std::string what = error_message([&] { m.update(preds, target); });
  INFO("message: " << what);
  REQUIRE_FALSE(what.empty());
  for (const auto& f : fragments) {
    INFO("expected fragment: " << f);
    CHECK(contains(what, f));
  }
  REQUIRE(m == copy);
  REQUIRE(m.num_samples() == copy.num_samples());
  REQUIRE(m.compute() == before);
}

// Shape (N, ...) -> (N, C, ...).
Shape ds_with_channels(const Shape& s, std::size_t C) {
  std::vector<std::size_t> e{s[0], C};
  for (std::size_t i = 1; i < s.rank(); ++i) e.push_back(s[i]);
  return Shape(e.begin(), e.end());
}

// Label map (N, ...) -> random scores (N, C, ...) whose unique argmax is the label.
std::vector<double> ds_scores(const std::vector<std::int64_t>& labels, std::size_t N, std::size_t C,
                              std::mt19937& gen) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t R = N ? labels.size() / N : 0;
  std::vector<double> out(N * C * R);
  for (auto& x : out) x = u(gen);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t r = 0; r < R; ++r)
      out[(n * C + static_cast<std::size_t>(labels[n * R + r])) * R + r] = 1.5;
  return out;
}

// n labels uniform in [0, C); each is replaced by void_value with probability void_rate.
std::vector<std::int64_t> ds_labels(std::mt19937& gen, std::size_t n, std::int64_t C,
                                    double void_rate = 0.0, std::int64_t void_value = 255) {
  std::uniform_int_distribution<std::int64_t> label(0, C - 1);
  std::bernoulli_distribution is_void(void_rate);
  std::vector<std::int64_t> out(n);
  for (auto& x : out) x = void_rate > 0.0 && is_void(gen) ? void_value : label(gen);
  return out;
}

// ---- Reference implementation, written from docs/semantics.md 6.2-6.4 (label maps only) ----

struct ds_ref_counts {
  std::vector<std::uint64_t> I, P, T;
};

// Counts positions [first, last): an ignored target adds nothing, whatever is predicted there.
ds_ref_counts ds_ref_count(const std::vector<std::int64_t>& preds,
                           const std::vector<std::int64_t>& target, std::size_t first,
                           std::size_t last, std::size_t C, std::optional<std::int64_t> ii) {
  ds_ref_counts k{std::vector<std::uint64_t>(C), std::vector<std::uint64_t>(C),
                  std::vector<std::uint64_t>(C)};
  for (std::size_t i = first; i < last; ++i) {
    if (ii && target[i] == *ii) continue;
    const auto p = static_cast<std::size_t>(preds[i]);
    const auto t = static_cast<std::size_t>(target[i]);
    ++k.P[p];
    ++k.T[t];
    if (p == t) ++k.I[t];
  }
  return k;
}

// The values of one unit: C' values for none, else one.
std::vector<double> ds_ref_unit(const ds_ref_counts& k, const tally::DiceScore::Options& o) {
  const std::size_t C = k.I.size();
  const std::size_t first = (!o.include_background && C > 1) ? 1 : 0;
  const double empty = o.zero_division == 1.0 ? 1.0 : qnan;
  std::vector<double> dice;
  for (std::size_t c = first; c < C; ++c) {
    const std::uint64_t den = k.P[c] + k.T[c];
    dice.push_back(den == 0 ? empty : 2.0 * static_cast<double>(k.I[c]) / static_cast<double>(den));
  }
  switch (o.average) {
    case Average::none:
      return dice;
    case Average::micro: {
      std::uint64_t num = 0, den = 0;
      for (std::size_t c = first; c < C; ++c) {
        num += 2 * k.I[c];
        den += k.P[c] + k.T[c];
      }
      return {den == 0 ? empty : static_cast<double>(num) / static_cast<double>(den)};
    }
    case Average::macro: {
      double sum = 0.0;
      std::size_t n = 0;
      for (double d : dice)
        if (!std::isnan(d)) {
          sum += d;
          ++n;
        }
      return {n == 0 ? qnan : sum / static_cast<double>(n)};
    }
    case Average::weighted: {
      bool any_present = false;
      double num = 0.0, den = 0.0;
      for (std::size_t c = first; c < C; ++c) {
        if (k.P[c] + k.T[c] == 0) continue;
        any_present = true;
        num += static_cast<double>(k.T[c]) * dice[c - first];
        den += static_cast<double>(k.T[c]);
      }
      if (!any_present) return {empty};
      return {den == 0.0 ? 0.0 : num / den};
    }
  }
  return {};
}

// The expected compute() of index maps (N, R) fed in any order of updates.
tally::Result ds_ref_compute(const std::vector<std::int64_t>& preds,
                             const std::vector<std::int64_t>& target, std::size_t N,
                             const tally::DiceScore::Options& o) {
  const std::size_t C = static_cast<std::size_t>(o.num_classes);
  const std::size_t R = N ? target.size() / N : 0;
  std::vector<double> out;
  if (o.aggregation_level == AggregationLevel::global) {
    out = ds_ref_unit(ds_ref_count(preds, target, 0, N * R, C, o.ignore_index), o);
  } else {
    const std::size_t kept_classes = (!o.include_background && C > 1) ? C - 1 : C;
    const std::size_t K = o.average == Average::none ? kept_classes : 1;
    std::vector<double> sum(K, 0.0);
    std::vector<std::size_t> count(K, 0);
    for (std::size_t n = 0; n < N; ++n) {
      const auto v =
          ds_ref_unit(ds_ref_count(preds, target, n * R, (n + 1) * R, C, o.ignore_index), o);
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isnan(v[i])) {
          sum[i] += v[i];
          ++count[i];
        }
    }
    for (std::size_t i = 0; i < sum.size(); ++i)
      out.push_back(count[i] == 0 ? qnan : sum[i] / static_cast<double>(count[i]));
  }
  const Shape shape = out.size() == 1 ? Shape{} : Shape{out.size()};
  return tally::Result(shape, out);
}

// Same shape and the same bits in every value (NaN included), not merely close.
bool ds_same_bits(const tally::Result& a, const tally::Result& b) {
  return a.shape() == b.shape() && a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// The 6.3 worked example: C = 3, two samples of four pixels.
const std::vector<std::int64_t> ds_ex_preds{0, 1, 1, 1, 0, 0, 0, 0};
const std::vector<std::int64_t> ds_ex_target{0, 1, 2, 2, 0, 0, 0, 0};
const Shape ds_ex_shape{2, 4};

}  // namespace

// =============================================================================================
// Defaults
// =============================================================================================

TEST_CASE(
    "DiceScore options default to torchmetrics': one_hot, samplewise macro, background, zd 0") {
  const tally::DiceScore::Options o;
  CHECK_FALSE(o.ignore_index.has_value());
  CHECK(o.include_background);
  CHECK(o.average == Average::macro);
  CHECK(o.aggregation_level == AggregationLevel::samplewise);
  CHECK(o.input_format == InputFormat::one_hot);
  CHECK(o.zero_division == 0.0);

  // With only num_classes set, the 6.3 example given as one-hot tensors is a samplewise macro.
  tally::DiceScore::Options o3;
  o3.num_classes = 3;
  const Shape oh = ds_with_channels(ds_ex_shape, 3);
  expect_scalar(ds_eval(o3, one_hot<int>(ds_ex_preds, 2, 3), one_hot<int>(ds_ex_target, 2, 3), oh),
                3.0 / 4.0);
}

// =============================================================================================
// docs/semantics.md 6.3: the worked example
// =============================================================================================

TEST_CASE("6.3 example, samplewise: per-sample dice [1, 1/2, 0] and [1, NaN, NaN]") {
  // Sample 0: preds [0,1,1,1], target [0,1,2,2]: I = [1,1,0], P = [1,3,0], T = [1,1,2]
  //   -> dice [2/2, 2/4, 0/2] = [1, 1/2, 0]; micro 2*2/8 = 1/2; macro 1/2;
  //      weighted (1*1 + 1*1/2 + 2*0) / 4 = 3/8.
  // Sample 1: all four pixels are class 0 in both -> dice [1, NaN, NaN]; every average 1.
  const auto opts = ds_opts(3).samplewise();
  SECTION("macro: mean of 1/2 and 1") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::macro), ds_ex_preds, ds_ex_target, ds_ex_shape),
        3.0 / 4.0);
  }
  SECTION("micro: mean of 1/2 and 1") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::micro), ds_ex_preds, ds_ex_target, ds_ex_shape),
        3.0 / 4.0);
  }
  SECTION("weighted: mean of 3/8 and 1") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::weighted), ds_ex_preds, ds_ex_target, ds_ex_shape),
        11.0 / 16.0);
  }
  SECTION("none: per class over the samples where the class is not NaN") {
    // class 0: mean(1, 1); class 1: only sample 0 -> 1/2 (not 1/4); class 2: only sample 0 -> 0.
    expect_values(ds_eval(ds_opts(opts).avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  Shape{3}, {1.0, 1.0 / 2.0, 0.0});
  }
  SECTION("the default aggregation is samplewise") {
    tally::DiceScore::Options o;
    o.num_classes = 3;
    o.input_format = InputFormat::index;
    expect_scalar(ds_eval(o, ds_ex_preds, ds_ex_target, ds_ex_shape), 3.0 / 4.0);
  }
}

TEST_CASE("6.3 example, global: pooled I = [5,1,0], P = [5,3,0], T = [5,1,2]") {
  const auto opts = ds_opts(3).global();
  SECTION("macro: (1 + 1/2 + 0) / 3") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::macro), ds_ex_preds, ds_ex_target, ds_ex_shape),
        1.0 / 2.0);
  }
  SECTION("micro: 2*6 / 16") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::micro), ds_ex_preds, ds_ex_target, ds_ex_shape),
        3.0 / 4.0);
  }
  SECTION("weighted: (5*1 + 1*1/2 + 2*0) / 8") {
    expect_scalar(
        ds_eval(ds_opts(opts).avg(Average::weighted), ds_ex_preds, ds_ex_target, ds_ex_shape),
        11.0 / 16.0);
  }
  SECTION("none") {
    expect_values(ds_eval(ds_opts(opts).avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  Shape{3}, {1.0, 1.0 / 2.0, 0.0});
  }
  SECTION("counts() holds the pooled I, P, T rows of every class") {
    auto m = ds_opts(opts).make();
    m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
    const auto k = m.counts();
    REQUIRE(k.shape() == (Shape{3, 3}));
    const std::vector<std::uint64_t> expected{5, 1, 0, /* P */ 5, 3, 0, /* T */ 5, 1, 2};
    for (std::size_t i = 0; i < expected.size(); ++i) {
      INFO("flat index " << i);
      CHECK(k[i] == expected[i]);
    }
    CHECK(m.num_samples() == 2);
  }
}

TEST_CASE("6.3 example with include_background = false: macro 1/4, micro 1/3, weighted 1/6") {
  // Classes 1 and 2 only. Sample 0: dice [1/2, 0], micro 2*1/(3+1+0+2) = 1/3,
  // weighted (1*1/2 + 2*0)/3 = 1/6; sample 1: both NaN (skipped). Global: the same numbers,
  // because sample 1 only holds class 0.
  const auto level = GENERATE(AggregationLevel::global, AggregationLevel::samplewise);
  INFO("aggregation_level " << tally::to_string(level));
  const auto opts = ds_opts(3).level(level).background(false);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::macro), ds_ex_preds, ds_ex_target, ds_ex_shape),
                1.0 / 4.0);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::micro), ds_ex_preds, ds_ex_target, ds_ex_shape),
                1.0 / 3.0);
  expect_scalar(
      ds_eval(ds_opts(opts).avg(Average::weighted), ds_ex_preds, ds_ex_target, ds_ex_shape),
      1.0 / 6.0);
  expect_values(ds_eval(ds_opts(opts).avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
                Shape{2}, {1.0 / 2.0, 0.0});
}

// =============================================================================================
// docs/semantics.md 6.4: ignore_index examples
// =============================================================================================

TEST_CASE("6.4 in-range ignore_index 0: class 0 keeps its predictions at kept pixels in P") {
  // C = 3, ii = 0, preds [0,1,0,2], target [1,1,2,0]. Pixel 3 is ignored (its pred 2 is not
  // counted). Kept (target, pred): (1,0), (1,1), (2,0) -> I = [0,1,0], P = [2,1,0], T = [0,2,1]
  // -> dice [0, 2/3, 0].
  const std::vector<std::int64_t> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  const Shape s{1, 4};
  const auto opts = ds_opts(3).global().ii(0);
  expect_values(ds_eval(ds_opts(opts).avg(Average::none), preds, target, s), Shape{3},
                {0.0, 2.0 / 3.0, 0.0});
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::macro), preds, target, s), 2.0 / 9.0);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::micro), preds, target, s), 2.0 / 6.0);
  // weighted: (0*0 + 2*2/3 + 1*0) / 3
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::weighted), preds, target, s), 4.0 / 9.0);

  auto m = ds_opts(opts).make();
  m.update(view_of(preds, s), view_of(target, s));
  const auto k = m.counts();
  const std::vector<std::uint64_t> expected{0, 1, 0, /* P */ 2, 1, 0, /* T */ 0, 2, 1};
  REQUIRE(k.shape() == (Shape{3, 3}));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("flat index " << i);
    CHECK(k[i] == expected[i]);
  }

  SECTION("an in-range ignored class that is never predicted at a kept pixel is empty (NaN)") {
    // preds [1,1,1,2], target [1,1,2,0]: the 2 at the ignored pixel is not counted.
    // I = [0,2,0], P = [0,3,0], T = [0,2,1] -> dice [NaN, 4/5, 0], macro 2/5.
    const std::vector<std::int64_t> p2{1, 1, 1, 2};
    expect_values(ds_eval(ds_opts(opts).avg(Average::none), p2, target, s), Shape{3},
                  {qnan, 4.0 / 5.0, 0.0});
    expect_scalar(ds_eval(ds_opts(opts).avg(Average::macro), p2, target, s), 2.0 / 5.0);
  }
}

TEST_CASE("6.4 seed example: C = 6, ii = 255, preds [1,1,1,2,2,2,3] -> global micro 1") {
  const std::vector<std::int64_t> preds{1, 1, 1, 2, 2, 2, 3}, target{1, 1, 1, 2, 2, 2, 255};
  const Shape s{1, 7};
  const auto opts = ds_opts(6).global().ii(255);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::micro), preds, target, s), 1.0);
  // The 3 sits on the ignored pixel: class 3 is empty, like 0, 4, 5.
  expect_values(ds_eval(ds_opts(opts).avg(Average::none), preds, target, s), Shape{6},
                {qnan, 1.0, 1.0, qnan, qnan, qnan});
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::macro), preds, target, s), 1.0);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::weighted), preds, target, s), 1.0);
}

// =============================================================================================
// The seed scenario: uint8 (N, H, W) label maps with void 255
// =============================================================================================

namespace {
// N = 2, H = 3, W = 4. Void pixels (255) in the target; preds equal the target at every kept
// pixel and carry anything at void pixels (255, or a real class).
const std::vector<std::uint8_t> ds_seed_target{0,   1,   2,   255,  //
                                               3,   4,   5,   255,  //
                                               255, 255, 0,   1,    //
                                               5,   5,   4,   4,    //
                                               255, 3,   3,   2,    //
                                               1,   0,   255, 255};
const std::vector<std::uint8_t> ds_seed_preds{0, 1,   2,   255,  //
                                              3, 4,   5,   3,    //
                                              0, 255, 0,   1,    //
                                              5, 5,   4,   4,    //
                                              5, 3,   3,   2,    //
                                              1, 0,   255, 0};
const Shape ds_seed_shape{2, 3, 4};
}  // namespace

TEST_CASE("seed scenario: 6 classes, uint8 (N, H, W) maps, ignore_index 255, global micro 1") {
  const auto opts = ds_opts(6).global().avg(Average::micro).ii(255);
  expect_scalar(ds_eval(opts, ds_seed_preds, ds_seed_target, ds_seed_shape), 1.0);

  SECTION("every kept pixel is right, so every average and aggregation is 1") {
    for (auto level : ds_levels)
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
        const auto r = ds_eval(ds_opts(6).level(level).avg(avg).ii(255), ds_seed_preds,
                               ds_seed_target, ds_seed_shape);
        if (avg == Average::none)
          expect_values(r, Shape{6}, {1, 1, 1, 1, 1, 1});
        else
          expect_scalar(r, 1.0);
      }
  }

  SECTION("int64 maps give identical results") {
    const auto p64 = cast_vector<std::int64_t>(ds_seed_preds);
    const auto t64 = cast_vector<std::int64_t>(ds_seed_target);
    for (auto level : ds_levels)
      for (auto avg : ds_averages)
        for (bool bg : {true, false}) {
          INFO(tally::to_string(level) << ' ' << tally::to_string(avg) << " background " << bg);
          const auto o = ds_opts(6).level(level).avg(avg).ii(255).background(bg);
          auto m8 = ds_opts(o).make();
          auto m64 = ds_opts(o).make();
          m8.update(view_of(ds_seed_preds, ds_seed_shape), view_of(ds_seed_target, ds_seed_shape));
          m64.update(view_of(p64, ds_seed_shape), view_of(t64, ds_seed_shape));
          CHECK(m8.compute() == m64.compute());
          CHECK(m8 == m64);  // the same state, too
        }
  }

  SECTION("without ignore_index the 255 is a tally::error naming 255") {
    auto m = ds_opts(6).global().avg(Average::micro).make();
    // The first void pixel is the target's flat index 3.
    ds_rejects(m, view_of(ds_seed_preds, ds_seed_shape), view_of(ds_seed_target, ds_seed_shape),
               {"target value 255", "index 3", "[0, 6)"});
    CHECK(m.num_samples() == 0);
  }
}

// =============================================================================================
// Input formats (6.1)
// =============================================================================================

TEST_CASE("one_hot integral tensors are counted channel by channel and equal index maps") {
  const Shape oh = ds_with_channels(ds_ex_shape, 3);
  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto expected =
          ds_eval(ds_opts(3).level(level).avg(avg), ds_ex_preds, ds_ex_target, ds_ex_shape);
      const auto o = ds_opts(3, InputFormat::one_hot).level(level).avg(avg);
      CHECK(ds_eval(o, one_hot<std::uint8_t>(ds_ex_preds, 2, 3),
                    one_hot<std::uint8_t>(ds_ex_target, 2, 3), oh) == expected);
      CHECK(ds_eval(o, one_hot<std::int64_t>(ds_ex_preds, 2, 3),
                    one_hot<std::int16_t>(ds_ex_target, 2, 3), oh) == expected);
    }
}

TEST_CASE("one_hot integral: a pixel with no 1 or several 1s counts per channel") {
  // C = 2, one sample of two pixels, (1, 2, 2). preds: channel 0 [1,1], channel 1 [0,1] (pixel 1
  // predicts both classes); target: channel 0 [1,0], channel 1 [0,0] (pixel 1 has no class).
  // class 0: I = 1, P = 2, T = 1 -> 2/3; class 1: I = 0, P = 1, T = 0 -> 0.
  const std::vector<int> preds{1, 1, 0, 1}, target{1, 0, 0, 0};
  const Shape s{1, 2, 2};
  const auto opts = ds_opts(2, InputFormat::one_hot).global();
  expect_values(ds_eval(ds_opts(opts).avg(Average::none), preds, target, s), Shape{2},
                {2.0 / 3.0, 0.0});
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::micro), preds, target, s), 2.0 / 4.0);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::macro), preds, target, s), 1.0 / 3.0);
  expect_scalar(ds_eval(ds_opts(opts).avg(Average::weighted), preds, target, s), 2.0 / 3.0);
}

TEST_CASE("one_hot floating: argmax over channels, ties to the lowest index, all-zero -> 0") {
  // C = 3, one sample of five pixels, channels laid out (1, 3, 5).
  //   pixel 0 [0.2, 0.5, 0.3]   -> 1
  //   pixel 1 [0.4, 0.4, 0.2]   -> 0 (tie 0/1)
  //   pixel 2 [0, 0, 0]         -> 0 (all zero)
  //   pixel 3 [0.1, 0.45, 0.45] -> 1 (tie 1/2)
  //   pixel 4 [-3, -1, -2]      -> 1 (scores may be negative)
  const std::vector<float> preds{0.2f, 0.4f, 0.0f, 0.1f,  -3.0f,   // channel 0
                                 0.5f, 0.4f, 0.0f, 0.45f, -1.0f,   // channel 1
                                 0.3f, 0.2f, 0.0f, 0.45f, -2.0f};  // channel 2
  const std::vector<std::int64_t> pred_labels{1, 0, 0, 1, 1};
  const std::vector<std::int64_t> target_labels{1, 0, 0, 2, 1};
  const Shape oh{1, 3, 5}, ix{1, 5};
  const auto target_oh = one_hot<int>(target_labels, 1, 3);

  // class 0: I = 2, P = 2, T = 2 -> 1; class 1: I = 2, P = 3, T = 2 -> 4/5;
  // class 2: I = 0, P = 0, T = 1 -> 0.
  expect_values(
      ds_eval(ds_opts(3, InputFormat::one_hot).global().avg(Average::none), preds, target_oh, oh),
      Shape{3}, {1.0, 4.0 / 5.0, 0.0});

  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto expected =
          ds_eval(ds_opts(3).level(level).avg(avg), pred_labels, target_labels, ix);
      CHECK(ds_eval(ds_opts(3, InputFormat::one_hot).level(level).avg(avg), preds, target_oh, oh) ==
            expected);
    }

  SECTION("a floating one-hot target is converted the same way (all-zero pixel -> class 0)") {
    // Target labels [1, 0, 0, 2, 1], with pixel 1 given as all zeros instead of [1, 0, 0].
    std::vector<double> t = one_hot<double>(target_labels, 1, 3);
    t[0 * 5 + 1] = 0.0;
    const auto r =
        ds_eval(ds_opts(3, InputFormat::one_hot).global().avg(Average::none), preds, t, oh);
    expect_values(r, Shape{3}, {1.0, 4.0 / 5.0, 0.0});
  }
}

TEST_CASE("mixed: either tensor may be the one-hot one, chosen per update") {
  std::mt19937 gen(7);
  const std::size_t N = 3, C = 4;
  const Shape ix{N, 2, 3};
  const Shape oh = ds_with_channels(ix, C);
  const auto preds = ds_labels(gen, N * 6, C);
  const auto target = ds_labels(gen, N * 6, C);
  const auto scores = ds_scores(preds, N, C, gen);
  const auto target_oh = one_hot<std::uint8_t>(target, N, C);

  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto expected = ds_eval(ds_opts(C).level(level).avg(avg), preds, target, ix);
      const auto o = ds_opts(C, InputFormat::mixed).level(level).avg(avg);
      SECTION("preds one-hot scores, target index map") {
        CHECK(ds_eval(o, scores, oh, target, ix) == expected);
      }
      SECTION("preds one-hot integral, target index map") {
        CHECK(ds_eval(o, one_hot<int>(preds, N, C), oh, target, ix) == expected);
      }
      SECTION("preds index map, target one-hot") {
        CHECK(ds_eval(o, preds, ix, target_oh, oh) == expected);
      }
    }

  SECTION("the roles may change from one update to the next") {
    // Samples 0 and 1 with one-hot preds, then sample 2 with a one-hot target.
    const Shape ix01{2, 2, 3}, ix2{1, 2, 3};
    const std::vector<std::int64_t> p01(preds.begin(), preds.begin() + 12),
        p2(preds.begin() + 12, preds.end()), t01(target.begin(), target.begin() + 12),
        t2(target.begin() + 12, target.end());
    for (auto level : ds_levels) {
      auto m = ds_opts(C, InputFormat::mixed).level(level).avg(Average::none).make();
      m.update(view_of(ds_scores(p01, 2, C, gen), ds_with_channels(ix01, C)), view_of(t01, ix01));
      m.update(view_of(p2, ix2), view_of(one_hot<int>(t2, 1, C), ds_with_channels(ix2, C)));
      const auto expected = ds_eval(ds_opts(C).level(level).avg(Average::none), preds, target, ix);
      if (level == AggregationLevel::global)
        CHECK(m.compute() == expected);
      else
        expect_close(m.compute(), expected);
    }
  }
}

// =============================================================================================
// include_background, shapes (6.2, 6.3)
// =============================================================================================

TEST_CASE("include_background = false drops channel 0, except when C = 1") {
  SECTION("C = 3, none has shape (2): classes 1 and 2") {
    // preds [0,2,2,1], target [0,2,1,1]: class 1 I=1,P=1,T=2 -> 2/3; class 2 I=1,P=2,T=1 -> 2/3.
    const std::vector<int> preds{0, 2, 2, 1}, target{0, 2, 1, 1};
    expect_values(ds_eval(ds_opts(3).global().background(false).avg(Average::none), preds, target,
                          Shape{1, 4}),
                  Shape{2}, {2.0 / 3.0, 2.0 / 3.0});
  }
  SECTION("C = 1 keeps its single channel (one-hot and index)") {
    // One-hot preds [1,0,1], target [1,1,0]: I = 1, P = 2, T = 2 -> 1/2.
    const std::vector<int> preds{1, 0, 1}, target{1, 1, 0};
    for (bool bg : {true, false})
      for (auto level : ds_levels)
        for (auto avg : ds_averages) {
          INFO("background " << bg << ' ' << tally::to_string(level) << ' '
                             << tally::to_string(avg));
          const auto o = ds_opts(1, InputFormat::one_hot).level(level).avg(avg).background(bg);
          expect_scalar(ds_eval(o, preds, target, Shape{1, 1, 3}), 1.0 / 2.0);  // C' = 1: shape ()
        }
    // Index maps with C = 1 hold only class 0: every pixel is right.
    const std::vector<int> zeros(6, 0);
    expect_scalar(
        ds_eval(ds_opts(1).background(false).avg(Average::none), zeros, zeros, Shape{2, 3}), 1.0);
  }
  SECTION("C = 2 without background leaves one class: none is a scalar") {
    // preds [1,1,0], target [1,0,0]: class 1 I = 1, P = 2, T = 1 -> 2/3.
    const std::vector<int> preds{1, 1, 0}, target{1, 0, 0};
    for (auto level : ds_levels) {
      const auto r = ds_eval(ds_opts(2).level(level).background(false).avg(Average::none), preds,
                             target, Shape{1, 3});
      expect_scalar(r, 2.0 / 3.0);
    }
  }
}

TEST_CASE("result shapes: () for micro, macro, weighted, and (C') for none except () when C' = 1") {
  std::mt19937 gen(11);
  const auto preds = ds_labels(gen, 5 * 4, 4), target = ds_labels(gen, 5 * 4, 4);
  const Shape s{5, 4};
  for (auto level : ds_levels)
    for (bool bg : {true, false})
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg) << " background " << bg);
        const auto r = ds_eval(ds_opts(4).level(level).avg(avg).background(bg), preds, target, s);
        // Per-sample values are never returned, not even with N = 5 samplewise.
        if (avg == Average::none)
          CHECK(r.shape() == Shape{bg ? std::size_t{4} : std::size_t{3}});
        else
          CHECK(r.shape() == Shape{});
      }
  SECTION("a single sample still gives a scalar (no sample axis)") {
    const auto r = ds_eval(ds_opts(4).samplewise(), std::vector<int>{0, 1}, std::vector<int>{0, 1},
                           Shape{1, 2});
    CHECK(r.shape() == Shape{});
  }
}

// =============================================================================================
// Empty classes, NaN, nothing counted (6.2-6.4 with zero_division = 0)
// =============================================================================================

TEST_CASE("an empty class is NaN and left out of macro, and samplewise means skip NaN samples") {
  SECTION("global: class 3 absent from both maps") {
    // 6.3 maps with C = 4: dice [1, 1/2, 0, NaN] -> macro (1 + 1/2 + 0)/3, not /4.
    expect_values(
        ds_eval(ds_opts(4).global().avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
        Shape{4}, {1.0, 1.0 / 2.0, 0.0, qnan});
    expect_scalar(ds_eval(ds_opts(4).global(), ds_ex_preds, ds_ex_target, ds_ex_shape), 1.0 / 2.0);
    expect_scalar(
        ds_eval(ds_opts(4).global().avg(Average::weighted), ds_ex_preds, ds_ex_target, ds_ex_shape),
        11.0 / 16.0);
  }
  SECTION("samplewise: a sample whose pixels are all ignored is NaN and skipped") {
    // Sample 0 all void; sample 1: preds [0,1], target [0,0] -> class 0 I=1,P=1,T=2 -> 2/3,
    // class 1 I=0,P=1,T=0 -> 0; micro 2/4; macro 1/3.
    const std::vector<int> preds{0, 1, 0, 1}, target{255, 255, 0, 0};
    const Shape s{2, 2};
    const auto o = ds_opts(2).samplewise().ii(255);
    expect_scalar(ds_eval(ds_opts(o).avg(Average::micro), preds, target, s), 1.0 / 2.0);
    expect_scalar(ds_eval(ds_opts(o).avg(Average::macro), preds, target, s), 1.0 / 3.0);
    expect_values(ds_eval(ds_opts(o).avg(Average::none), preds, target, s), Shape{2},
                  {2.0 / 3.0, 0.0});
  }
  SECTION("everything ignored: NaN for every average and aggregation") {
    const std::vector<int> preds{0, 1, 2, 0}, target{255, 255, 255, 255};
    for (auto level : ds_levels)
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
        const auto r =
            ds_eval(ds_opts(3).level(level).avg(avg).ii(255), preds, target, Shape{2, 2});
        if (avg == Average::none)
          expect_values(r, Shape{3}, {qnan, qnan, qnan});
        else
          expect_scalar(r, qnan);
      }
  }
  SECTION("nothing counted yet: NaN; compute() does not change the state") {
    for (auto level : ds_levels)
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
        const auto m = ds_opts(3).level(level).avg(avg).make();
        const auto copy = m;
        const auto r = m.compute();
        CHECK(m == copy);
        if (avg == Average::none)
          expect_values(r, Shape{3}, {qnan, qnan, qnan});
        else
          expect_scalar(r, qnan);
      }
  }
  SECTION("one-hot: a sample with no class in preds or target is all-empty and skipped") {
    // C = 2, (2, 2, 2). Sample 0: all zeros. Sample 1: preds class 0 at both pixels,
    // target class 0 at pixel 0 only -> class 0 I = 1, P = 2, T = 1 -> 2/3; class 1 empty.
    const std::vector<int> preds{0, 0, 0, 0, 1, 1, 0, 0}, target{0, 0, 0, 0, 1, 0, 0, 0};
    const auto o = ds_opts(2, InputFormat::one_hot).samplewise();
    expect_scalar(ds_eval(ds_opts(o).avg(Average::macro), preds, target, Shape{2, 2, 2}),
                  2.0 / 3.0);
    expect_values(ds_eval(ds_opts(o).avg(Average::none), preds, target, Shape{2, 2, 2}), Shape{2},
                  {2.0 / 3.0, qnan});
  }
}

TEST_CASE("weighted with no target pixels but some predictions is 0, not NaN") {
  // include_background = false; target all background, preds put class 1 on one pixel.
  // Class 1: I = 0, P = 1, T = 0 -> dice 0 with weight 0; class 2 empty. Sum of T = 0 -> 0.0.
  const std::vector<int> preds{1, 0, 0}, target{0, 0, 0};
  const Shape s{1, 3};
  for (double zd : {0.0, 1.0})
    for (auto level : ds_levels) {
      INFO("zero_division " << zd << ' ' << tally::to_string(level));
      expect_scalar(ds_eval(ds_opts(3).level(level).background(false).avg(Average::weighted).zd(zd),
                            preds, target, s),
                    0.0);
    }
  SECTION("the same with one-hot inputs whose target has no 1 at all") {
    // C = 2 with background: class 0 I = 0, P = 1, T = 0 -> 0; class 1 empty.
    const std::vector<int> p{1, 0, 0, 0}, t{0, 0, 0, 0};
    expect_scalar(ds_eval(ds_opts(2, InputFormat::one_hot).global().avg(Average::weighted), p, t,
                          Shape{1, 2, 2}),
                  0.0);
  }
  SECTION("samplewise: the 0 counts in the mean, the all-empty sample does not") {
    // Sample 0 as above -> 0; sample 1 all background in both -> classes 1, 2 empty -> NaN;
    // sample 2 preds [2,2,0], target [2,2,0] -> class 2 dice 1 -> 1. Mean (0 + 1) / 2.
    const std::vector<int> p{1, 0, 0, 0, 0, 0, 2, 2, 0}, t{0, 0, 0, 0, 0, 0, 2, 2, 0};
    expect_scalar(ds_eval(ds_opts(3).samplewise().background(false).avg(Average::weighted), p, t,
                          Shape{3, 3}),
                  1.0 / 2.0);
  }
  SECTION("every class empty: NaN with zero_division 0") {
    const std::vector<int> zeros{0, 0, 0};
    expect_scalar(
        ds_eval(ds_opts(3).global().background(false).avg(Average::weighted), zeros, zeros, s),
        qnan);
  }
}

// =============================================================================================
// zero_division = 1 (6.4)
// =============================================================================================

TEST_CASE("zero_division = 1: an empty class scores 1 and takes part in the means") {
  SECTION("global: class 3 absent -> 1, included in macro; weighted unchanged") {
    const auto o = ds_opts(4).global().zd(1.0);
    expect_values(ds_eval(ds_opts(o).avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  Shape{4}, {1.0, 1.0 / 2.0, 0.0, 1.0});
    expect_scalar(ds_eval(ds_opts(o).avg(Average::macro), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  (1.0 + 1.0 / 2.0 + 0.0 + 1.0) / 4.0);
    expect_scalar(ds_eval(ds_opts(o).avg(Average::micro), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  3.0 / 4.0);
    // The empty class still has weight 0.
    expect_scalar(
        ds_eval(ds_opts(o).avg(Average::weighted), ds_ex_preds, ds_ex_target, ds_ex_shape),
        11.0 / 16.0);
  }
  SECTION("samplewise none: sample 1's empty classes 1 and 2 score 1") {
    // class 1: mean(1/2, 1); class 2: mean(0, 1).
    expect_values(ds_eval(ds_opts(3).samplewise().zd(1.0).avg(Average::none), ds_ex_preds,
                          ds_ex_target, ds_ex_shape),
                  Shape{3}, {1.0, 3.0 / 4.0, 1.0 / 2.0});
    // Macro: sample 0 (1 + 1/2 + 0)/3 = 1/2; sample 1 (1 + 1 + 1)/3 = 1.
    expect_scalar(ds_eval(ds_opts(3).samplewise().zd(1.0), ds_ex_preds, ds_ex_target, ds_ex_shape),
                  3.0 / 4.0);
  }
  SECTION("a unit with no pixels at all: micro, macro, weighted 1, none all 1") {
    const std::vector<int> preds{0, 1, 2, 0}, target{255, 255, 255, 255};
    for (auto level : ds_levels)
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
        const auto r =
            ds_eval(ds_opts(3).level(level).avg(avg).ii(255).zd(1.0), preds, target, Shape{2, 2});
        if (avg == Average::none)
          expect_values(r, Shape{3}, {1.0, 1.0, 1.0});
        else
          expect_scalar(r, 1.0);
      }
  }
  SECTION("samplewise: an all-ignored sample scores 1 and is counted in the mean") {
    // Sample 0 all void -> 1. Sample 1: preds [0,1], target [0,0] -> micro 2/4.
    const std::vector<int> preds{0, 1, 0, 1}, target{255, 255, 0, 0};
    const auto o = ds_opts(2).samplewise().ii(255).zd(1.0);
    expect_scalar(ds_eval(ds_opts(o).avg(Average::micro), preds, target, Shape{2, 2}),
                  (1.0 + 1.0 / 2.0) / 2.0);
    // With zero_division 0 the void sample is skipped instead.
    expect_scalar(ds_eval(ds_opts(o).zd(0.0).avg(Average::micro), preds, target, Shape{2, 2}),
                  1.0 / 2.0);
  }
  SECTION("weighted with every class empty scores 1") {
    const std::vector<int> zeros{0, 0, 0};
    expect_scalar(ds_eval(ds_opts(3).global().background(false).avg(Average::weighted).zd(1.0),
                          zeros, zeros, Shape{1, 3}),
                  1.0);
  }
  SECTION("empty update sequence, samplewise: no sample, nothing to average -> NaN") {
    expect_scalar(ds_opts(3).samplewise().zd(1.0).make().compute(), qnan);
  }
  SECTION("empty global state: every class empty -> 1") {
    expect_scalar(ds_opts(3).global().zd(1.0).make().compute(), 1.0);
  }
}

// =============================================================================================
// ignore_index (2, 6.4)
// =============================================================================================

TEST_CASE("an ignored target pixel adds nothing, whatever is predicted there") {
  // C = 4, ii = 255. Pixels 1 and 4 are void; their preds vary (255, a real class, out of range).
  const std::vector<std::int64_t> target{0, 255, 2, 3, 255, 1};
  const std::vector<std::int64_t> kept_preds{0, 2, 3}, kept_target{0, 2, 3};
  const std::vector<std::vector<std::int64_t>> preds_variants{
      {0, 255, 2, 3, 255, 0}, {0, 1, 2, 3, 3, 0}, {0, 0, 2, 3, 2, 0}, {0, 99, 2, 3, -7, 0}};
  const Shape s{2, 3};
  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto o = ds_opts(4).level(level).avg(avg).ii(255);
      auto first = ds_opts(o).make();
      first.update(view_of(preds_variants[0], s), view_of(target, s));
      for (const auto& p : preds_variants) {
        auto m = ds_opts(o).make();
        m.update(view_of(p, s), view_of(target, s));
        CHECK(m == first);  // identical state
        CHECK(m.compute() == first.compute());
      }
    }
  SECTION("global counts equal those of the kept pixels alone") {
    auto m = ds_opts(4).global().ii(255).make();
    m.update(view_of(preds_variants[0], s), view_of(target, s));
    // Sample 0 kept: (0,0), (2,2); sample 1 kept: (3,3), (1,0).
    // I = [1,0,1,1], P = [2,0,1,1], T = [1,1,1,1].
    const std::vector<std::uint64_t> expected{1, 0, 1, 1, 2, 0, 1, 1, 1, 1, 1, 1};
    const auto k = m.counts();
    REQUIRE(k.shape() == (Shape{3, 4}));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      INFO("flat index " << i);
      CHECK(k[i] == expected[i]);
    }
  }
}

TEST_CASE("ignore_index is compared by value: a uint8 255 is not ignore_index -1") {
  const std::vector<std::uint8_t> p8{0, 1}, t8{0, 255};
  auto m = ds_opts(2).global().ii(-1).make();
  ds_rejects(m, view_of(p8, Shape{1, 2}), view_of(t8, Shape{1, 2}),
             {"target value 255", "index 1"});
  // A signed -1 is ignored.
  const std::vector<std::int16_t> p16{0, 1}, t16{0, -1};
  m.update(view_of(p16, Shape{1, 2}), view_of(t16, Shape{1, 2}));
  expect_scalar(m.compute(), 1.0);
}

TEST_CASE("a prediction equal to ignore_index at a kept pixel is an error") {
  auto m = ds_opts(6).global().ii(255).make();
  const std::vector<std::uint8_t> preds{1, 255, 2}, target{1, 2, 2};
  ds_rejects(m, view_of(preds, Shape{1, 3}), view_of(target, Shape{1, 3}),
             {"preds value 255", "index 1"});
}

TEST_CASE("ignore_index with input_format one_hot is an error at construction") {
  for (std::int64_t ii : {std::int64_t{255}, std::int64_t{0}, std::int64_t{-1}}) {
    const std::string what =
        error_message([&] { (void)ds_opts(3, InputFormat::one_hot).ii(ii).make(); });
    INFO("message: " << what);
    CHECK(contains(what, "ignore_index"));
  }
  // Without ignore_index, or with index / mixed, construction succeeds.
  CHECK_NOTHROW(ds_opts(3, InputFormat::one_hot).make());
  CHECK_NOTHROW(ds_opts(3, InputFormat::index).ii(255).make());
  CHECK_NOTHROW(ds_opts(3, InputFormat::mixed).ii(255).make());
}

TEST_CASE("mixed with ignore_index: applied to an index-map target, an error for a one-hot one") {
  // C = 3, ii = 255, (1, 4): target [0, 255, 2, 1], preds labels [0, 1, 2, 2].
  // Kept: (0,0), (2,2), (1,2) -> I = [1,0,1], P = [1,0,2], T = [1,1,1] -> none [1, 0, 2/3].
  const std::vector<std::int64_t> target{0, 255, 2, 1}, pred_labels{0, 1, 2, 2};
  const Shape ix{1, 4}, oh{1, 3, 4};
  auto m = ds_opts(3, InputFormat::mixed).global().ii(255).avg(Average::none).make();

  SECTION("preds one-hot scores + index target: the void pixel is dropped") {
    std::mt19937 gen(3);
    m.update(view_of(ds_scores(pred_labels, 1, 3, gen), oh), view_of(target, ix));
    expect_values(m.compute(), Shape{3}, {1.0, 0.0, 2.0 / 3.0});
  }
  SECTION("an integral one-hot pred at a void pixel is not checked (a 2 there is fine)") {
    auto p = one_hot<int>(std::vector<std::int64_t>{0, 0, 2, 2}, 1, 3);
    p[0 * 4 + 1] = 2;  // channel 0 of the void pixel
    m.update(view_of(p, oh), view_of(target, ix));
    // P = [1, 0, 2] again: the void pixel's channels count for nothing.
    expect_values(m.compute(), Shape{3}, {1.0, 0.0, 2.0 / 3.0});
  }
  SECTION("a NaN score at a void pixel is still an error (3.2.4)") {
    std::mt19937 gen(3);
    auto p = ds_scores(pred_labels, 1, 3, gen);
    p[2 * 4 + 1] = qnan;  // channel 2 of the void pixel: flat index 9
    ds_rejects(m, view_of(p, oh), view_of(target, ix), {"NaN", "index 9"});
  }
  SECTION("a one-hot target with ignore_index set is an error at update") {
    const auto t_oh = one_hot<int>(std::vector<std::int64_t>{0, 1, 2, 1}, 1, 3);
    ds_rejects(m, view_of(pred_labels, ix), view_of(t_oh, oh), {"ignore_index", "one-hot"});
  }
}

// =============================================================================================
// Properties
// =============================================================================================

TEST_CASE("property: on label maps, global DiceScore equals MulticlassF1Score with the same ii") {
  // docs/semantics.md 6.3: micro Σ2I/Σ(P+T) = 2 correct / 2 kept = F1 micro; macro: Dice skips
  // empty classes (P+T = 0), F1 drops tp+fp+fn = 0, the same set; weighted: both weigh by
  // T = support.
  // Per class, Dice is NaN exactly where F1 gives zero_division.
  std::mt19937 gen(2024);
  for (int trial = 0; trial < 30; ++trial) {
    const std::int64_t C = 2 + trial % 5;
    const std::size_t N = 1 + static_cast<std::size_t>(trial % 3), H = 3, W = 5;
    const Shape s{N, H, W};
    std::optional<std::int64_t> ii;
    if (trial % 3 == 1) ii = 255;
    if (trial % 3 == 2) ii = trial % static_cast<int>(C);  // in range
    auto target = ds_labels(gen, N * H * W, C, ii == 255 ? 0.2 : 0.0);
    auto preds = ds_labels(gen, N * H * W, C);
    // Every class occurs in both maps (at pixels 0..C-1 of sample 0).
    for (std::int64_t c = 0; c < C; ++c)
      target[static_cast<std::size_t>(c)] = preds[static_cast<std::size_t>(c)] = c;
    INFO("trial " << trial << ", C = " << C << ", ii = " << (ii ? *ii : -999));
    for (auto avg : ds_averages) {
      INFO(tally::to_string(avg));
      tally::Multiclass::Options fo;
      fo.num_classes = C;
      fo.ignore_index = ii;
      fo.average = avg;
      tally::MulticlassF1Score f1(fo);
      f1.update(view_of(preds, s), view_of(target, s));
      const auto f = f1.compute();
      const auto d = ds_eval(ds_opts(C).global().avg(avg).ii(ii), preds, target, s);
      REQUIRE(d.shape() == f.shape());
      for (std::size_t i = 0; i < d.size(); ++i) {
        INFO("value " << i << ": dice " << d[i] << ", F1 " << f[i]);
        if (std::isnan(d[i]))
          CHECK(f[i] == 0.0);  // F1's zero_division
        else
          CHECK_THAT(d[i], Catch::Matchers::WithinAbs(f[i], 1e-12));
      }
    }
  }
  SECTION("an absent class: Dice NaN, F1 zero_division (0 or 1); the averages still agree") {
    // C = 4 on the 6.3 maps (class 3 absent).
    for (double zd : {0.0, 1.0}) {
      tally::Multiclass::Options fo;
      fo.num_classes = 4;
      fo.zero_division = zd;
      fo.average = Average::none;
      tally::MulticlassF1Score f1(fo);
      f1.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
      expect_values(f1.compute(), Shape{4}, {1.0, 1.0 / 2.0, 0.0, zd});
      expect_values(
          ds_eval(ds_opts(4).global().avg(Average::none), ds_ex_preds, ds_ex_target, ds_ex_shape),
          Shape{4}, {1.0, 1.0 / 2.0, 0.0, qnan});
      for (auto avg : {Average::micro, Average::macro, Average::weighted}) {
        fo.average = avg;
        tally::MulticlassF1Score f(fo);
        f.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
        CHECK_THAT(
            ds_eval(ds_opts(4).global().avg(avg), ds_ex_preds, ds_ex_target, ds_ex_shape).value(),
            Catch::Matchers::WithinAbs(f.compute().value(), 1e-12));
      }
    }
  }
  SECTION("where they differ: with nothing kept, Dice is NaN and F1 macro/weighted are 0") {
    const std::vector<int> preds{0, 1}, target{255, 255};
    for (auto avg : {Average::micro, Average::macro, Average::weighted}) {
      tally::Multiclass::Options fo;
      fo.num_classes = 3;
      fo.ignore_index = 255;
      fo.average = avg;
      tally::MulticlassF1Score f1(fo);
      f1.update(view_of(preds, Shape{1, 2}), view_of(target, Shape{1, 2}));
      CHECK(f1.compute().value() == 0.0);
      CHECK(std::isnan(
          ds_eval(ds_opts(3).global().avg(avg).ii(255), preds, target, Shape{1, 2}).value()));
    }
  }
}

TEST_CASE("property: ignore_index equals removing the ignored pixels from a (1, n) map") {
  std::mt19937 gen(99);
  for (int trial = 0; trial < 40; ++trial) {
    const std::int64_t C = 2 + trial % 4;
    const std::int64_t ii = trial % 2 ? 255 : trial % C;  // out of range, or in range
    const std::size_t n = 5 + static_cast<std::size_t>(trial);
    auto target = ds_labels(gen, n, C, ii == 255 ? 0.3 : 0.0);
    const auto preds = ds_labels(gen, n, C);
    std::vector<std::int64_t> kept_p, kept_t;
    for (std::size_t i = 0; i < n; ++i)
      if (target[i] != ii) {
        kept_p.push_back(preds[i]);
        kept_t.push_back(target[i]);
      }
    INFO("trial " << trial << ", C = " << C << ", ii = " << ii << ", kept " << kept_t.size());
    for (auto level : ds_levels)
      for (auto avg : ds_averages)
        for (bool bg : {true, false})
          for (double zd : {0.0, 1.0}) {
            INFO(tally::to_string(level)
                 << ' ' << tally::to_string(avg) << " background " << bg << " zd " << zd);
            const auto o = ds_opts(C).level(level).avg(avg).background(bg).zd(zd);
            CHECK(ds_eval(ds_opts(o).ii(ii), preds, target, Shape{1, n}) ==
                  ds_eval(o, kept_p, kept_t, Shape{1, kept_t.size()}));
          }
  }
}

TEST_CASE("property: merge and += equal feeding the concatenation") {
  std::mt19937 gen(5);
  const std::int64_t C = 4;
  const std::size_t R = 6;
  const auto pa = ds_labels(gen, 4 * R, C), ta = ds_labels(gen, 4 * R, C, 0.2);
  const auto pb = ds_labels(gen, 3 * R, C), tb = ds_labels(gen, 3 * R, C, 0.2);
  std::vector<std::int64_t> p_all(pa), t_all(ta);
  p_all.insert(p_all.end(), pb.begin(), pb.end());
  t_all.insert(t_all.end(), tb.begin(), tb.end());
  for (auto level : ds_levels)
    for (auto avg : ds_averages)
      for (double zd : {0.0, 1.0}) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg) << " zd " << zd);
        const auto o = ds_opts(C).level(level).avg(avg).ii(255).zd(zd);
        auto a = ds_opts(o).make();
        auto b = ds_opts(o).make();
        auto serial = ds_opts(o).make();
        a.update(view_of(pa, Shape{4, R}), view_of(ta, Shape{4, R}));
        b.update(view_of(pb, Shape{3, R}), view_of(tb, Shape{3, R}));
        serial.update(view_of(p_all, Shape{7, R}), view_of(t_all, Shape{7, R}));
        auto merged = a;
        merged.merge(b);
        auto plus = a;
        plus += b;
        CHECK(merged == plus);
        CHECK(merged.num_samples() == 7);
        expect_close(merged.compute(), ds_ref_compute(p_all, t_all, 7, o));
        // Integral state (samplewise: exact sums, 6.5): exactly equal.
        CHECK(merged == serial);
        CHECK(ds_same_bits(merged.compute(), serial.compute()));
        // Merging an empty accumulator changes nothing.
        auto with_empty = a;
        with_empty.merge(ds_opts(o).make());
        CHECK(with_empty == a);
      }
}

TEST_CASE("property: splitting the batch along N does not change the result") {
  std::mt19937 gen(17);
  const std::int64_t C = 5;
  const std::size_t N = 12, R = 10;
  const auto preds = ds_labels(gen, N * R, C), target = ds_labels(gen, N * R, C, 0.1);
  const std::vector<std::vector<std::size_t>> splits{
      {12}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {5, 7}, {3, 3, 3, 3}, {0, 12, 0}};
  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto o = ds_opts(C).level(level).avg(avg).ii(255);
      auto whole = ds_opts(o).make();
      whole.update(view_of(preds, Shape{N, R}), view_of(target, Shape{N, R}));
      expect_close(whole.compute(), ds_ref_compute(preds, target, N, o));
      for (const auto& split : splits) {
        auto m = ds_opts(o).make();
        std::size_t n0 = 0;
        for (std::size_t k : split) {
          const std::vector<std::int64_t> p(
              preds.begin() + static_cast<std::ptrdiff_t>(n0 * R),
              preds.begin() + static_cast<std::ptrdiff_t>((n0 + k) * R));
          const std::vector<std::int64_t> t(
              target.begin() + static_cast<std::ptrdiff_t>(n0 * R),
              target.begin() + static_cast<std::ptrdiff_t>((n0 + k) * R));
          m.update(view_of(p, Shape{k, R}), view_of(t, Shape{k, R}));
          n0 += k;
        }
        CHECK(m.num_samples() == N);
        CHECK(m == whole);
        CHECK(ds_same_bits(m.compute(), whole.compute()));
      }
    }
}

TEST_CASE("property: index, one-hot and mixed encodings of the same maps agree") {
  std::mt19937 gen(31);
  for (int trial = 0; trial < 10; ++trial) {
    const std::size_t C = 2 + static_cast<std::size_t>(trial % 4), N = 3;
    const Shape ix{N, 4, 2};
    const Shape oh = ds_with_channels(ix, C);
    const auto preds = ds_labels(gen, N * 8, static_cast<std::int64_t>(C));
    const auto target = ds_labels(gen, N * 8, static_cast<std::int64_t>(C));
    const auto p_scores = ds_scores(preds, N, C, gen);
    const auto t_scores = ds_scores(target, N, C, gen);
    const auto p_oh = one_hot<std::uint8_t>(preds, N, C);
    const auto t_oh = one_hot<std::int32_t>(target, N, C);
    const auto p_ohf = one_hot<float>(preds, N, C);
    INFO("trial " << trial << ", C = " << C);
    for (auto level : ds_levels)
      for (auto avg : ds_averages)
        for (bool bg : {true, false}) {
          INFO(tally::to_string(level) << ' ' << tally::to_string(avg) << " background " << bg);
          const auto expected =
              ds_eval(ds_opts(static_cast<std::int64_t>(C)).level(level).avg(avg).background(bg),
                      preds, target, ix);
          const auto oh_o = ds_opts(static_cast<std::int64_t>(C), InputFormat::one_hot)
                                .level(level)
                                .avg(avg)
                                .background(bg);
          const auto mx_o = ds_opts(static_cast<std::int64_t>(C), InputFormat::mixed)
                                .level(level)
                                .avg(avg)
                                .background(bg);
          CHECK(ds_eval(oh_o, p_oh, t_oh, oh) == expected);
          CHECK(ds_eval(oh_o, p_scores, t_scores, oh) == expected);
          CHECK(ds_eval(oh_o, p_ohf, t_oh, oh) == expected);
          CHECK(ds_eval(oh_o, p_oh, t_scores, oh) == expected);
          CHECK(ds_eval(mx_o, p_scores, oh, target, ix) == expected);
          CHECK(ds_eval(mx_o, p_oh, oh, target, ix) == expected);
          CHECK(ds_eval(mx_o, preds, ix, t_oh, oh) == expected);
          CHECK(ds_eval(mx_o, preds, ix, t_scores, oh) == expected);
        }
  }
}

TEMPLATE_TEST_CASE("property: the label type does not change the result", "", std::uint8_t,
                   std::int16_t, std::uint16_t, std::int32_t, std::uint32_t, std::int64_t,
                   std::uint64_t) {
  std::mt19937 gen(123);
  const std::int64_t C = 6;
  const Shape s{3, 4, 5};
  const auto preds = ds_labels(gen, 60, C);
  // Void 255 with ii = 255; the same map with in-range ii = 2.
  const auto target_void = ds_labels(gen, 60, C, 0.15);
  const auto p = cast_vector<TestType>(preds);
  for (std::int64_t ii : {std::int64_t{255}, std::int64_t{2}}) {
    auto target = target_void;
    if (ii == 2)
      for (auto& x : target)
        if (x == 255) x = 2;
    const auto t = cast_vector<TestType>(target);
    for (auto level : ds_levels)
      for (auto avg : ds_averages) {
        INFO(tally::to_string(level) << ' ' << tally::to_string(avg) << " ii " << ii);
        const auto o = ds_opts(C).level(level).avg(avg).ii(ii);
        const auto expected = ds_eval(o, preds, target, s);  // int64
        CHECK(ds_eval(o, p, t, s) == expected);
        CHECK(ds_eval(o, preds, t, s) == expected);  // preds and target of different types
        CHECK(ds_eval(o, p, target, s) == expected);
      }
  }
}

TEST_CASE("bool and int8 label maps are accepted and read by value") {
  // C = 2: preds [1,1,0,0], target [1,0,0,1]: class 0 I=1,P=2,T=2 -> 1/2; class 1 same -> 1/2.
  const std::vector<int> pi{1, 1, 0, 0}, ti{1, 0, 0, 1};
  const Shape s{2, 2};
  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto o = ds_opts(2).level(level).avg(avg);
      const auto expected = ds_eval(o, pi, ti, s);
      const bool pb[] = {true, true, false, false}, tb[] = {true, false, false, true};
      tally::DiceScore m(o);
      m.update(tally::tensor_view<const bool>(pb, s), tally::tensor_view<const bool>(tb, s));
      CHECK(m.compute() == expected);
      CHECK(ds_eval(o, cast_vector<std::int8_t>(pi), cast_vector<std::int8_t>(ti), s) == expected);
      // int8 with a negative void value.
      std::vector<std::int8_t> t8 = cast_vector<std::int8_t>(ti);
      t8.push_back(-1);
      std::vector<std::int8_t> p8 = cast_vector<std::int8_t>(pi);
      p8.push_back(-100);
      // (1, 5): the four pixels plus one void pixel -> same as the four pixels in one sample.
      CHECK(ds_eval(ds_opts(o).ii(-1), p8, t8, Shape{1, 5}) == ds_eval(o, pi, ti, Shape{1, 4}));
    }
  expect_values(ds_eval(ds_opts(2).global().avg(Average::none), pi, ti, s), Shape{2},
                {1.0 / 2.0, 1.0 / 2.0});
}

// =============================================================================================
// State size (6.5)
// =============================================================================================

TEST_CASE("100,000 one-sample updates keep the state size constant and the result right") {
  const std::int64_t C = 5;
  const std::size_t N = 100000, R = 8;
  std::mt19937 gen(42);
  const auto preds = ds_labels(gen, N * R, C);
  const auto target = ds_labels(gen, N * R, C, 0.1);
  for (auto level : ds_levels)
    for (auto avg : ds_averages) {
      INFO(tally::to_string(level) << ' ' << tally::to_string(avg));
      const auto o = ds_opts(C).level(level).avg(avg).ii(255);
      auto m = ds_opts(o).make();
      std::size_t bytes_after_first = 0;
      for (std::size_t n = 0; n < N; ++n) {
        m.update(tally::tensor_view<const std::int64_t>(preds.data() + n * R, Shape{1, R}),
                 tally::tensor_view<const std::int64_t>(target.data() + n * R, Shape{1, R}));
        if (n == 0) bytes_after_first = m.state_bytes();
      }
      CHECK(m.num_samples() == N);
      CHECK(m.state_bytes() == bytes_after_first);
      CHECK(m.state_bytes() <= 3 * static_cast<std::size_t>(C) * sizeof(std::uint64_t) * 2);
      expect_close(m.compute(), ds_ref_compute(preds, target, N, o), 1e-12);
    }
}

// =============================================================================================
// Exact samplewise sums (6.5): the same bits whatever the split
// =============================================================================================

namespace {

// Label maps (N, R), uint8, void 255. Samples differ in kind: some entirely void (NaN with
// zero_division 0), some of one class, most mixed with a few void pixels.
struct ds_maps {
  std::vector<std::uint8_t> p, t;
  std::size_t N = 0, R = 0;
};

ds_maps ds_random_maps(std::mt19937& gen, std::size_t N, std::size_t R, std::int64_t C) {
  ds_maps d;
  d.N = N;
  d.R = R;
  std::uniform_int_distribution<int> cls(0, static_cast<int>(C) - 1);
  for (std::size_t n = 0; n < N; ++n) {
    const unsigned kind = gen() % 8;
    const int only = cls(gen);
    for (std::size_t r = 0; r < R; ++r) {
      int t = kind == 1 ? only : cls(gen);
      if (kind == 0 || gen() % 7 == 0) t = 255;
      const int p = t == 255 || gen() % 3 == 0 ? cls(gen) : t;
      d.t.push_back(static_cast<std::uint8_t>(t));
      d.p.push_back(static_cast<std::uint8_t>(p));
    }
  }
  return d;
}

// Feeds samples [b, e): serially, or over `threads` threads when threads > 0.
void ds_feed(tally::DiceScore& m, const ds_maps& d, std::size_t b, std::size_t e,
             unsigned threads = 0) {
  const Shape s{e - b, d.R};
  const tally::tensor_view<const std::uint8_t> pv(d.p.data() + b * d.R, s);
  const tally::tensor_view<const std::uint8_t> tv(d.t.data() + b * d.R, s);
  if (threads > 0)
    m.update(pv, tv, tally::parallel{threads});
  else
    m.update(pv, tv);
}

// save() into a fresh metric and load() back: a checkpoint in the middle of a run.
tally::DiceScore ds_round_trip(const tally::DiceScore& m) {
  tally::DiceScore r(m.options());
  r.load(m.save());
  return r;
}

// One random history of the same data: batches of 0-8 samples, each fed to one of 1-4
// accumulators picked at random (so an accumulator's samples are neither contiguous nor in
// order), save/load round trips at random points, then merges (merge or +=) of random pairs
// until one is left.
tally::DiceScore ds_random_history(const tally::DiceScore::Options& o, const ds_maps& d,
                                   std::mt19937& gen) {
  const std::size_t parts = 1 + gen() % 4;
  std::vector<tally::DiceScore> acc(parts, tally::DiceScore(o));
  for (std::size_t n = 0; n < d.N;) {
    const std::size_t k = std::min<std::size_t>(d.N - n, gen() % 9);
    tally::DiceScore& m = acc[gen() % parts];
    ds_feed(m, d, n, n + k);
    if (gen() % 4 == 0) m = ds_round_trip(m);
    n += k;
  }
  while (acc.size() > 1) {
    const std::size_t i = gen() % acc.size();
    std::size_t j = gen() % (acc.size() - 1);
    if (j >= i) ++j;
    if (gen() % 2 == 0)
      acc[i].merge(acc[j]);
    else
      acc[i] += acc[j];
    if (gen() % 4 == 0) acc[i] = ds_round_trip(acc[i]);
    acc.erase(acc.begin() + static_cast<std::ptrdiff_t>(j));
  }
  return acc[0];
}

// The per-sample values of the reference (ds_ref_unit), one vector per output value, NaN
// left out, in sample order.
std::vector<std::vector<double>> ds_ref_sample_values(const ds_maps& d,
                                                      const tally::DiceScore::Options& o) {
  const auto p = cast_vector<std::int64_t>(d.p), t = cast_vector<std::int64_t>(d.t);
  std::vector<std::vector<double>> out;
  for (std::size_t n = 0; n < d.N; ++n) {
    const auto v =
        ds_ref_unit(ds_ref_count(p, t, n * d.R, (n + 1) * d.R,
                                 static_cast<std::size_t>(o.num_classes), o.ignore_index),
                    o);
    out.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isnan(v[i])) out[i].push_back(v[i]);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "6.5 samplewise sums are exact: any split into updates, accumulators, merge orders and "
    "save/load round trips gives the bits of one accumulator") {
  std::size_t order_sensitive = 0;  // configurations where adding doubles in reverse differs
  for (unsigned seed : {1u, 2u, 3u})
    for (std::int64_t C : {1, 2, 5, 19}) {
      std::mt19937 gen(seed * 1000 + static_cast<unsigned>(C));
      const ds_maps d = ds_random_maps(gen, 48, 29, C);
      for (bool background : {true, false})
        for (auto avg : ds_averages)
          for (double zd : {0.0, 1.0}) {
            INFO("seed " << seed << " C " << C << " include_background " << background << ' '
                         << tally::to_string(avg) << " zd " << zd);
            const auto o = ds_opts(C).samplewise().avg(avg).ii(255).background(background).zd(zd);
            auto whole = ds_opts(o).make();
            ds_feed(whole, d, 0, d.N);
            expect_close(whole.compute(), ds_ref_compute(cast_vector<std::int64_t>(d.p),
                                                         cast_vector<std::int64_t>(d.t), d.N, o));
            const std::string bytes = whole.save();
            for (int trial = 0; trial < 4; ++trial) {
              INFO("trial " << trial);
              const tally::DiceScore m = ds_random_history(o, d, gen);
              CHECK(m.num_samples() == d.N);
              CHECK(m == whole);
              CHECK(m.save() == bytes);
              CHECK(ds_same_bits(m.compute(), whole.compute()));
            }
            // Sample by sample, last sample first.
            auto backwards = ds_opts(o).make();
            for (std::size_t n = d.N; n-- > 0;) ds_feed(backwards, d, n, n + 1);
            CHECK(backwards == whole);
            CHECK(ds_same_bits(backwards.compute(), whole.compute()));

            for (const auto& v : ds_ref_sample_values(d, o)) {
              double forward = 0.0, reverse = 0.0;
              for (double x : v) forward += x;
              for (std::size_t i = v.size(); i-- > 0;) reverse += v[i];
              if (forward != reverse) ++order_sensitive;
            }
          }
    }
  // The data are such that sums of doubles would depend on the order (so the test means
  // something for the old double sums).
  CHECK(order_sensitive > 0);
}

TEST_CASE(
    "6.5 samplewise sums are exact: parallel updates, split parallel batches and merges give "
    "the bits of one serial update") {
  // 96 samples of 16,400 pixels: the whole batch, and any part of at least 32 samples, is long
  // enough to be split over threads (tally::parallel).
  constexpr std::size_t N = 96, R = 16400;
  for (unsigned seed : {7u, 8u})
    for (std::int64_t C : {5, 19}) {
      std::mt19937 gen(seed * 1000 + static_cast<unsigned>(C));
      const ds_maps d = ds_random_maps(gen, N, R, C);
      for (bool background : {true, false})
        for (auto avg : ds_averages) {
          INFO("seed " << seed << " C " << C << " include_background " << background << ' '
                       << tally::to_string(avg));
          const auto o = ds_opts(C).samplewise().avg(avg).ii(255).background(background);
          auto serial = ds_opts(o).make();
          ds_feed(serial, d, 0, N);
          for (unsigned threads : {2u, 3u, 4u}) {
            auto par = ds_opts(o).make();
            ds_feed(par, d, 0, N, threads);
            CHECK(par == serial);
            CHECK(ds_same_bits(par.compute(), serial.compute()));
          }
          // [0, cut) over 3 threads in a, [cut, N) serially in b, b saved and loaded, then a
          // merged into b (b's samples first).
          const std::size_t cut = 32 + gen() % 33;
          auto a = ds_opts(o).make(), b = ds_opts(o).make();
          ds_feed(a, d, 0, cut, 3);
          ds_feed(b, d, cut, N);
          b = ds_round_trip(b);
          b.merge(a);
          CHECK(b == serial);
          CHECK(b.save() == serial.save());
          CHECK(ds_same_bits(b.compute(), serial.compute()));
        }
    }
}

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 ds_u128;
#endif

TEST_CASE("6.5 the samplewise mean is the exact mean of the per-sample values, rounded once") {
  for (std::int64_t C : {3, 19})
    for (auto avg : ds_averages)
      for (double zd : {0.0, 1.0}) {
        INFO("C " << C << ' ' << tally::to_string(avg) << " zd " << zd);
        std::mt19937 gen(static_cast<unsigned>(C) * 10 + (zd == 1.0 ? 1u : 0u));
        const ds_maps d = ds_random_maps(gen, 300, 61, C);
        const auto o = ds_opts(C).samplewise().avg(avg).ii(255).zd(zd);
        auto m = ds_opts(o).make();
        ds_feed(m, d, 0, d.N);
        const tally::Result r = m.compute();
        const auto values = ds_ref_sample_values(d, o);
        REQUIRE(values.size() == r.size());
        for (std::size_t i = 0; i < r.size(); ++i) {
          INFO("output " << i << " of " << values[i].size() << " values");
          const double got = r[i];
          if (values[i].empty()) {
            CHECK(std::isnan(got));
            continue;
          }
          const auto n = static_cast<std::uint64_t>(values[i].size());
          // Within one ulp of the mean computed in long double (64 significant bits or more:
          // 300 additions lose less than 2^-55 here).
          if (std::numeric_limits<long double>::digits >= 64) {
            long double sum = 0.0L;
            for (double v : values[i]) sum += v;
            const double ld = static_cast<double>(sum / static_cast<long double>(n));
            CHECK((got == ld || std::nextafter(got, 2.0) == ld || std::nextafter(got, -1.0) == ld));
          }
#if defined(__SIZEOF_INT128__)
          // Exactly the nearest double: with every value 0 or at least 2^-12 (v = M 2^(e - 53),
          // M of 53 bits) the sum times 2^64 is the integer S; got = Mg 2^(eg - 53) is the nearest
          // double to S / (n 2^64) when |2S - 2 n Mg 2^(eg + 11)| <= n 2^(eg + 11) (half an
          // ulp; below a power of two the ulp is halved).
          ds_u128 S = 0;
          for (double v : values[i]) {
            if (v == 0.0) continue;
            int e = 0;
            const double f = std::frexp(v, &e);
            REQUIRE(e >= -11);
            S += static_cast<ds_u128>(static_cast<std::uint64_t>(std::ldexp(f, 53))) << (e + 11);
          }
          if (S == 0) {
            CHECK(got == 0.0);
            continue;
          }
          int eg = 0;
          const double fg = std::frexp(got, &eg);
          REQUIRE(eg >= -10);
          const auto Mg = static_cast<std::uint64_t>(std::ldexp(fg, 53));
          const ds_u128 twice_got = (static_cast<ds_u128>(Mg) * n) << (eg + 12);
          const ds_u128 twice_exact = 2 * S;
          const ds_u128 above = static_cast<ds_u128>(n) << (eg + 11);
          const ds_u128 below = Mg == (std::uint64_t{1} << 52) ? above / 2 : above;
          CHECK((twice_exact >= twice_got ? twice_exact - twice_got <= above
                                          : twice_got - twice_exact <= below));
#endif
        }
      }
}

TEST_CASE("6.5 the exact sum: values rounded once to multiples of 2^-64, ties to even") {
  using tally::detail::fixed_sums;
  auto words_of = [](double v) {
    fixed_sums s;
    s.assign(1);
    s.add(0, v);
    return s.words();
  };
  using w = std::vector<std::uint64_t>;
  CHECK(words_of(0.0) == w{0, 0});
  CHECK(words_of(-0.0) == w{0, 0});
  CHECK(words_of(1.0) == w{0, 1});
  CHECK(words_of(0.5) == w{std::uint64_t{1} << 63, 0});
  CHECK(words_of(std::nextafter(1.0, 0.0)) == w{~std::uint64_t{0} - 2047, 0});  // 2^64 - 2^11
  CHECK(words_of(std::ldexp(1.0, -64)) == w{1, 0});
  CHECK(words_of(std::ldexp(1.0, -65)) == w{0, 0});    // 0.5: ties to even, 0
  CHECK(words_of(std::ldexp(3.0, -65)) == w{2, 0});    // 1.5: ties to even, 2
  CHECK(words_of(std::ldexp(5.0, -66)) == w{1, 0});    // 1.25
  CHECK(words_of(std::ldexp(3.0, -66)) == w{1, 0});    // 0.75
  CHECK(words_of(std::ldexp(1.0, -1074)) == w{0, 0});  // the smallest subnormal
  CHECK(words_of(1.0 / 3.0) == w{static_cast<std::uint64_t>(std::ldexp(1.0 / 3.0, 64)), 0});
  // Nothing outside [0, 1] is added.
  for (double bad : {qnan, -1e-300, std::nextafter(1.0, 2.0), inf, -inf}) {
    INFO(bad);
    fixed_sums s;
    s.assign(1);
    CHECK_THROWS_AS(s.add(0, bad), tally::error);
    CHECK(s.words() == w{0, 0});
  }
}

TEST_CASE("6.5 the exact sum: carries, merges, limbs, and one correctly rounded division") {
  using tally::detail::fixed_sums;
  // 0.75 + 0.75 carries into the whole part; merging carries too.
  fixed_sums a, b;
  a.assign(2);
  b.assign(2);
  a.add(0, 0.75);
  a.add(0, 0.75);
  CHECK(a.words()[0] == std::uint64_t{1} << 63);
  CHECK(a.words()[1] == 1);
  b.add(0, 0.5);
  b.add(1, 1.0);
  a.merge(b);
  CHECK(a.words() == std::vector<std::uint64_t>{0, 2, 0, 1});
  CHECK(a.at_most(0, 2));
  CHECK_FALSE(a.at_most(0, 1));
  a.add(0, std::ldexp(1.0, -64));
  CHECK_FALSE(a.at_most(0, 2));
  CHECK(a.at_most(0, 3));

  // Limbs: 32 bits per uint64 word; elementwise sums of several accumulators' limbs carry back
  // to their merge, in any order.
  std::mt19937 gen(9);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<fixed_sums> parts(5);
  fixed_sums merged;
  merged.assign(3);
  std::vector<std::uint64_t> limb_sum(3 * fixed_sums::limbs_per_sum, 0);
  for (auto& p : parts) {
    p.assign(3);
    for (int k = 0; k < 1000; ++k) p.add(gen() % 3, u(gen));
    merged.merge(p);
    const auto l = p.limbs();
    for (std::size_t i = 0; i < l.size(); ++i) {
      CHECK(l[i] < (std::uint64_t{1} << 32));
      limb_sum[i] += l[i];
    }
  }
  fixed_sums from_limbs;
  from_limbs.assign(3);
  CHECK(from_limbs.assign_limbs(limb_sum));
  CHECK(from_limbs == merged);
  // A sum past 2^128 is refused and changes nothing.
  std::vector<std::uint64_t> too_much(3 * fixed_sums::limbs_per_sum, 0);
  too_much[3] = std::uint64_t{1} << 32;
  CHECK_FALSE(from_limbs.assign_limbs(too_much));
  CHECK(from_limbs == merged);

  // mean() divides exactly and rounds once: when the sum is a double, it equals IEEE's
  // (correctly rounded) division.
  for (int trial = 0; trial < 2000; ++trial) {
    fixed_sums s;
    s.assign(1);
    const std::size_t count = 1 + gen() % 500;
    double exact = 0.0;  // multiples of 2^-10 below 500: exact in a double
    for (std::size_t k = 0; k < count; ++k) {
      const double v = static_cast<double>(gen() % 1025) / 1024.0;
      s.add(0, v);
      exact += v;
    }
    CHECK(s.mean(0, count) == exact / static_cast<double>(count));
  }
  // The largest counts: 2^64 - 1 ones, and one 1 over 2^64 - 1 samples.
  const std::uint64_t most = ~std::uint64_t{0};
  fixed_sums big;
  big.assign(1);
  CHECK(big.assign_limbs({0, 0, 0xFFFFFFFFu, 0xFFFFFFFFu}));  // (2^64 - 1) * 2^64
  CHECK(big.mean(0, most) == 1.0);
  fixed_sums one;
  one.assign(1);
  one.add(0, 1.0);
  CHECK(one.mean(0, most) == 1.0 / 18446744073709551616.0);  // 1 / (2^64 - 1), rounded: 2^-64
  one.add(0, 1.0);
  CHECK(one.mean(0, 3) == 2.0 / 3.0);
  CHECK(one.mean(0, 7) == 2.0 / 7.0);
  fixed_sums zero;
  zero.assign(1);
  CHECK(zero.mean(0, 5) == 0.0);
}

// =============================================================================================
// reset, num_samples, zero-size extents
// =============================================================================================

TEST_CASE("reset returns to the freshly constructed state, and zero-size extents are valid") {
  for (auto level : ds_levels) {
    INFO(tally::to_string(level));
    const auto o = ds_opts(3).level(level).ii(255);
    const auto fresh = ds_opts(o).make();
    auto m = ds_opts(o).make();
    m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
    CHECK(m.num_samples() == 2);
    CHECK_FALSE(m == fresh);
    m.reset();
    CHECK(m == fresh);
    CHECK(m.num_samples() == 0);

    // (0, 4): no sample, nothing counted.
    const std::vector<int> none;
    m.update(view_of(none, Shape{0, 4}), view_of(none, Shape{0, 4}));
    CHECK(m == fresh);
    // (2, 0): two samples without pixels (samplewise: both empty, NaN, skipped).
    m.update(view_of(none, Shape{2, 0}), view_of(none, Shape{2, 0}));
    CHECK(m.num_samples() == 2);
    expect_scalar(m.compute(), qnan);
    m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
    // macro: samplewise 3/4 (empty samples skipped), global 1/2.
    expect_scalar(m.compute(), level == AggregationLevel::samplewise ? 3.0 / 4.0 : 1.0 / 2.0);
  }
  SECTION("with zero_division = 1, empty samples score 1 and count") {
    auto m = ds_opts(3).samplewise().zd(1.0).make();
    const std::vector<int> none;
    m.update(view_of(none, Shape{2, 0}), view_of(none, Shape{2, 0}));
    expect_scalar(m.compute(), 1.0);
    m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
    // Samples: 1, 1, 1/2, 1 -> 7/8.
    expect_scalar(m.compute(), 7.0 / 8.0);
  }
}

// =============================================================================================
// Errors: every bad option and input throws tally::error and leaves the metric unchanged (3)
// =============================================================================================

TEST_CASE("bad index-map values are errors naming the value and its flat index") {
  const auto level = GENERATE(AggregationLevel::global, AggregationLevel::samplewise);
  INFO(tally::to_string(level));
  auto m = ds_opts(3).level(level).ii(255).make();
  m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
  const Shape s{2, 4};
  const std::vector<std::int64_t> good{0, 1, 2, 0, 1, 2, 0, 1};

  SECTION("target >= C (in the second sample)") {
    auto t = good;
    t[6] = 3;
    ds_rejects(m, view_of(good, s), view_of(t, s),
               {"target value 3", "index 6", "[0, 3)", "ignore_index 255"});
  }
  SECTION("negative target") {
    std::vector<std::int8_t> t{0, 1, 2, 0, 1, -1, 0, 1};
    ds_rejects(m, view_of(good, s), view_of(t, s), {"target value -1", "index 5"});
  }
  SECTION("preds >= C at a kept pixel") {
    auto p = good;
    p[2] = 3;
    ds_rejects(m, view_of(p, s), view_of(good, s), {"preds value 3", "index 2"});
  }
  SECTION("negative preds at a kept pixel") {
    auto p = good;
    p[7] = -2;
    ds_rejects(m, view_of(p, s), view_of(good, s), {"preds value -2", "index 7"});
  }
  SECTION("preds are only checked at kept pixels") {
    auto p = good, t = good;
    p[3] = 99;
    p[4] = -5;
    t[3] = t[4] = 255;
    auto copy = m;
    m.update(view_of(p, s), view_of(t, s));
    p[3] = p[4] = 0;
    copy.update(view_of(p, s), view_of(t, s));
    CHECK(m == copy);
  }
  SECTION("a floating index map") {
    const std::vector<double> f{0, 1, 2, 0, 1, 2, 0, 1};
    ds_rejects(m, view_of(f, s), view_of(good, s), {"preds", "floating"});
    ds_rejects(m, view_of(good, s), view_of(f, s), {"target", "floating"});
  }
  SECTION("mismatched shapes") {
    const std::vector<std::int64_t> five(5, 0), ten(10, 0);
    ds_rejects(m, view_of(good, s), view_of(ten, Shape{2, 5}), {"(2, 4)", "(2, 5)"});
    ds_rejects(m, view_of(good, s), view_of(good, Shape{4, 2}), {"(2, 4)", "(4, 2)"});
    ds_rejects(m, view_of(good, s), view_of(good, Shape{2, 2, 2}), {"shape"});
  }
  SECTION("rank too low: an index map needs (N, ...)") {
    const std::vector<std::int64_t> v{0, 1, 2};
    ds_rejects(m, view_of(v, Shape{3}), view_of(v, Shape{3}), {"rank"});
    const std::vector<std::int64_t> one{1};
    ds_rejects(m, view_of(one, Shape{}), view_of(one, Shape{}), {"rank"});
    // Plain ranges are rank 1 as well.
    const tally::DiceScore copy = m;
    REQUIRE_THROWS_AS(m.update(v, v), tally::error);
    REQUIRE(m == copy);
  }
}

TEST_CASE("bad one-hot inputs are errors") {
  const auto level = GENERATE(AggregationLevel::global, AggregationLevel::samplewise);
  INFO(tally::to_string(level));
  auto m = ds_opts(3, InputFormat::one_hot).level(level).make();
  const Shape oh{2, 3, 4};
  const auto good_p = one_hot<int>(std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}, 2, 3);
  const auto good_t = one_hot<int>(std::vector<int>{0, 1, 1, 0, 2, 2, 0, 1}, 2, 3);
  m.update(view_of(good_p, oh), view_of(good_t, oh));

  SECTION("an integral value 2 (sample 1, channel 2, pixel 3: flat index 23)") {
    auto p = good_p;
    p[23] = 2;
    ds_rejects(m, view_of(p, oh), view_of(good_t, oh), {"preds value 2", "index 23", "0 or 1"});
    auto t = good_t;
    t[23] = 2;
    ds_rejects(m, view_of(good_p, oh), view_of(t, oh), {"target value 2", "index 23", "0 or 1"});
    auto neg = good_t;
    neg[5] = -1;
    ds_rejects(m, view_of(good_p, oh), view_of(neg, oh), {"target value -1", "index 5"});
  }
  SECTION("a channel count other than num_classes") {
    const std::vector<int> two(2 * 2 * 4, 0);
    ds_rejects(m, view_of(two, Shape{2, 2, 4}), view_of(two, Shape{2, 2, 4}), {"channels", "3"});
    const std::vector<int> four(2 * 4 * 4, 0);
    ds_rejects(m, view_of(four, Shape{2, 4, 4}), view_of(four, Shape{2, 4, 4}), {"channels"});
  }
  SECTION("NaN in a floating one-hot tensor (flat index 14 = sample 1, channel 0, pixel 2)") {
    std::vector<double> p(good_p.begin(), good_p.end());
    p[14] = qnan;
    ds_rejects(m, view_of(p, oh), view_of(good_t, oh), {"NaN", "index 14"});
    std::vector<float> t(good_t.begin(), good_t.end());
    t[14] = std::numeric_limits<float>::quiet_NaN();
    ds_rejects(m, view_of(good_p, oh), view_of(t, oh), {"NaN", "index 14"});
  }
  SECTION("mismatched shapes") {
    const std::vector<int> five(2 * 3 * 5, 0);
    ds_rejects(m, view_of(good_p, oh), view_of(five, Shape{2, 3, 5}), {"(2, 3, 4)", "(2, 3, 5)"});
    ds_rejects(m, view_of(good_p, oh), view_of(good_t, Shape{1, 3, 8}), {"shape"});
  }
  SECTION("rank too low: one-hot needs (N, C, ...)") {
    const std::vector<int> v(6, 0);
    ds_rejects(m, view_of(v, Shape{2, 3}), view_of(v, Shape{2, 3}), {"rank"});
  }
}

TEST_CASE("bad mixed inputs are errors") {
  auto m = ds_opts(3, InputFormat::mixed).global().make();
  const std::vector<std::int64_t> labels{0, 1, 2, 1};
  const auto oh_vals = one_hot<int>(labels, 1, 3);
  m.update(view_of(oh_vals, Shape{1, 3, 4}), view_of(labels, Shape{1, 4}));

  SECTION("equal ranks: no one-hot tensor") {
    ds_rejects(m, view_of(labels, Shape{1, 4}), view_of(labels, Shape{1, 4}), {"mixed"});
  }
  SECTION("ranks two apart") {
    const std::vector<std::int64_t> l4(4, 0);
    ds_rejects(m, view_of(oh_vals, Shape{1, 3, 2, 2}), view_of(l4, Shape{4}), {"shape"});
  }
  SECTION("rank too low: the one-hot side needs (N, C, ...), the index side (N, ...)") {
    const std::vector<int> oh_flat{1, 0, 0};
    const std::vector<std::int64_t> one{0};
    ds_rejects(m, view_of(oh_flat, Shape{1, 3}), view_of(one, Shape{1}), {"rank"});
    ds_rejects(m, view_of(one, Shape{1}), view_of(oh_flat, Shape{1, 3}), {"rank"});
  }
  SECTION("trailing axes do not match") {
    const std::vector<std::int64_t> l5{0, 1, 2, 1, 0}, l2{0, 1};
    ds_rejects(m, view_of(oh_vals, Shape{1, 3, 4}), view_of(l2, Shape{2, 1}),
               {"(1, 3, 4)", "(2, 1)"});
    ds_rejects(m, view_of(l5, Shape{1, 5}), view_of(oh_vals, Shape{1, 3, 4}),
               {"(1, 5)", "(1, 3, 4)"});
  }
  SECTION("wrong channel count on the one-hot side") {
    const std::vector<int> oh4(16, 0);
    ds_rejects(m, view_of(oh4, Shape{1, 4, 4}), view_of(labels, Shape{1, 4}), {"channels"});
    ds_rejects(m, view_of(labels, Shape{1, 4}), view_of(oh4, Shape{1, 4, 4}), {"channels"});
  }
  SECTION("a floating index map") {
    const std::vector<double> f{0, 1, 2, 1};
    ds_rejects(m, view_of(oh_vals, Shape{1, 3, 4}), view_of(f, Shape{1, 4}),
               {"target", "floating"});
    ds_rejects(m, view_of(f, Shape{1, 4}), view_of(oh_vals, Shape{1, 3, 4}), {"preds", "floating"});
  }
  SECTION("index value out of range, one-hot value out of {0, 1}") {
    const std::vector<std::int64_t> bad{0, 1, 3, 1};
    ds_rejects(m, view_of(oh_vals, Shape{1, 3, 4}), view_of(bad, Shape{1, 4}),
               {"target value 3", "index 2"});
    ds_rejects(m, view_of(bad, Shape{1, 4}), view_of(oh_vals, Shape{1, 3, 4}),
               {"preds value 3", "index 2"});
    auto two = oh_vals;
    two[1] = 2;
    ds_rejects(m, view_of(two, Shape{1, 3, 4}), view_of(labels, Shape{1, 4}),
               {"preds value 2", "index 1"});
  }
  SECTION("a one-hot target when ignore_index is set") {
    auto mi = ds_opts(3, InputFormat::mixed).global().ii(255).make();
    mi.update(view_of(oh_vals, Shape{1, 3, 4}), view_of(labels, Shape{1, 4}));
    ds_rejects(mi, view_of(labels, Shape{1, 4}), view_of(oh_vals, Shape{1, 3, 4}),
               {"ignore_index"});
    const std::vector<double> scores(oh_vals.begin(), oh_vals.end());
    ds_rejects(mi, view_of(labels, Shape{1, 4}), view_of(scores, Shape{1, 3, 4}), {"ignore_index"});
  }
}

TEST_CASE("bad options are errors at construction") {
  auto rejected = [](const tally::DiceScore::Options& o, const std::string& fragment) {
    const std::string what = error_message([&] { (void)tally::DiceScore(o); });
    INFO("message: " << what << " / expected fragment: " << fragment);
    CHECK_FALSE(what.empty());
    CHECK(contains(what, fragment));
  };
  SECTION("num_classes 0, negative or huge (1 is the minimum)") {
    rejected(ds_opts(0), "num_classes");
    rejected(ds_opts(-3), "num_classes");
    rejected(ds_opts(std::int64_t{1} << 40), "num_classes");
    rejected(ds_opts(std::numeric_limits<std::int64_t>::max()), "num_classes");
    CHECK_NOTHROW(ds_opts(1).make());
  }
  SECTION("zero_division other than 0 or 1") {
    rejected(ds_opts(3).zd(0.5), "zero_division");
    rejected(ds_opts(3).zd(qnan), "zero_division");
    rejected(ds_opts(3).zd(-1.0), "zero_division");
    rejected(ds_opts(3).zd(std::numeric_limits<double>::infinity()), "zero_division");
  }
  SECTION("enums cast from out-of-range integers") {
    rejected(ds_opts(3).avg(static_cast<Average>(7)), "average");
    rejected(ds_opts(3).avg(static_cast<Average>(-1)), "average");
    rejected(ds_opts(3).level(static_cast<AggregationLevel>(5)), "aggregation_level");
    tally::DiceScore::Options o = ds_opts(3);
    o.input_format = static_cast<InputFormat>(9);
    rejected(o, "input_format");
  }
  SECTION("ignore_index with one_hot") {
    rejected(ds_opts(3, InputFormat::one_hot).ii(255), "one_hot");
  }
}

TEST_CASE("merge requires equal options and otherwise changes nothing") {
  const auto base = ds_opts(3).global().ii(255);
  auto m = ds_opts(base).make();
  m.update(view_of(ds_ex_preds, ds_ex_shape), view_of(ds_ex_target, ds_ex_shape));
  std::vector<tally::DiceScore::Options> others{ds_opts(base), ds_opts(base), ds_opts(base),
                                                ds_opts(base), ds_opts(base), ds_opts(base),
                                                ds_opts(base)};
  others[0].num_classes = 4;
  others[1].ignore_index = 0;
  others[2].include_background = false;
  others[3].average = Average::micro;
  others[4].aggregation_level = AggregationLevel::samplewise;
  others[5].input_format = InputFormat::mixed;
  others[6].zero_division = 1.0;
  for (std::size_t i = 0; i < others.size(); ++i) {
    INFO("variant " << i);
    tally::DiceScore other(others[i]);
    const tally::DiceScore copy = m;
    const std::string what = error_message([&] { m.merge(other); });
    CHECK(contains(what, "merge"));
    REQUIRE(m == copy);
    REQUIRE_THROWS_AS(m += other, tally::error);
    REQUIRE(m == copy);
  }
}
