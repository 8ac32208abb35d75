// StatScores for the three tasks: the raw [tp, fp, tn, fn, support] counts behind every
// classification metric, their layouts, reductions, thresholds, top_k and ignore_index.
// Expected values are hand-computed from docs/semantics.md (sections 1, 2, 4, 5.5, 5.6).
#include <tally/tally.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "tally_catch.hpp"

namespace {

using tally::Average;
using tally::MultidimAverage;
using tally::Shape;

const double ss_nan = std::numeric_limits<double>::quiet_NaN();
const double ss_inf = std::numeric_limits<double>::infinity();

// A view of a temporary vector; the vector lives until the end of the full expression.
template <class T>
tally::tensor_view<const T> ss_v(const std::vector<T>& v, Shape s) {
  return tally::tensor_view<const T>(v, s);
}

// An owning buffer of any element type, bool included (std::vector<bool> has no data()).
template <class T>
class ss_buffer {
 public:
  ss_buffer(const std::vector<double>& values, Shape shape)
      : data_(new T[values.size()]), shape_(shape) {
    for (std::size_t i = 0; i < values.size(); ++i) data_[i] = static_cast<T>(values[i]);
  }
  [[nodiscard]] tally::tensor_view<const T> view() const {
    return tally::tensor_view<const T>(data_.get(), shape_);
  }

 private:
  std::unique_ptr<T[]> data_;
  Shape shape_;
};

void ss_expect(const tally::Result& r, const Shape& shape, const std::vector<double>& expected,
               double eps = 1e-12) {
  INFO("result: " << r);
  REQUIRE(r.shape() == shape);
  REQUIRE(r.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("flat index " << i);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(r[i]));
    } else {
      CHECK_THAT(r[i], Catch::Matchers::WithinAbs(expected[i], eps));
    }
  }
}

void ss_expect_counts(tally::tensor_view<const std::uint64_t> counts, const Shape& shape,
                      const std::vector<std::uint64_t>& expected) {
  REQUIRE(counts.shape() == shape);
  REQUIRE(counts.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("flat index " << i);
    CHECK(counts[i] == expected[i]);
  }
}

tally::Binary::Options ss_bin(std::optional<std::int64_t> ii = std::nullopt) {
  tally::Binary::Options o;
  o.ignore_index = ii;
  return o;
}

tally::Binary::Options ss_bin_sw() {
  tally::Binary::Options o;
  o.multidim_average = MultidimAverage::samplewise;
  return o;
}

tally::Multiclass::Options ss_mc(std::int64_t num_classes, Average average,
                                 std::optional<std::int64_t> ii = std::nullopt) {
  tally::Multiclass::Options o;
  o.num_classes = num_classes;
  o.average = average;
  o.ignore_index = ii;
  return o;
}

tally::Multilabel::Options ss_ml(std::int64_t num_labels, Average average,
                                 std::optional<std::int64_t> ii = std::nullopt) {
  tally::Multilabel::Options o;
  o.num_labels = num_labels;
  o.average = average;
  o.ignore_index = ii;
  return o;
}

// Scores (N, C, R) whose argmax over axis 1 is the given label map (N, R).
template <class S>
std::vector<S> ss_scores_for(const std::vector<int>& labels, std::size_t n, std::size_t c,
                             std::size_t r) {
  std::vector<S> s(n * c * r);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < c; ++k)
      for (std::size_t j = 0; j < r; ++j)
        s[(i * c + k) * r + j] = static_cast<int>(k) == labels[i * r + j]
                                     ? S(0.625)
                                     : S(0.0625) * static_cast<S>(k + 1);
  return s;
}

}  // namespace

// =============================================================================================
// Binary
// =============================================================================================

TEST_CASE("binary StatScores counts [tp, fp, tn, fn, support] over label predictions") {
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0}, std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  ss_expect(m.compute(), Shape{5}, {3, 1, 2, 2, 5});
}

TEST_CASE("binary threshold is strict: a probability equal to the threshold is negative") {
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<double>{0.5, 0.5}, std::vector<int>{0, 1});
  ss_expect(m.compute(), Shape{5}, {0, 0, 1, 1, 1});
}

TEST_CASE("binary preds all inside [0, 1] are probabilities") {
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<double>{0, 0.2, 0.7, 1.0}, std::vector<int>{0, 1, 1, 1});
  ss_expect(m.compute(), Shape{5}, {2, 0, 1, 1, 3});
}

TEST_CASE("binary preds with one value outside [0, 1] are all logits") {
  // sigmoid(0.2) = 0.55 > 0.5 becomes a tp; as a probability it would have been an fn.
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<double>{-1, 0.2, 0.7, 3.0}, std::vector<int>{0, 1, 1, 1});
  ss_expect(m.compute(), Shape{5}, {3, 0, 1, 0, 3});
}

TEST_CASE("binary StatScores: an ignored pred outside [0, 1] still triggers the sigmoid") {
  // sigmoid(0.3) = 0.57 is a false positive; the 5.0 itself is not counted.
  tally::BinaryStatScores m(ss_bin(-1));
  m.update(std::vector<double>{0.3, 0.7, 5.0}, std::vector<int>{0, 1, -1});
  ss_expect(m.compute(), Shape{5}, {1, 1, 0, 0, 1});
}

TEST_CASE("binary logit rule is decided per update") {
  tally::BinaryStatScores both(ss_bin());
  // All in [0, 1]: probabilities. 0.3 -> negative (tn), 0.7 -> positive (tp).
  both.update(std::vector<double>{0.3, 0.7}, std::vector<int>{0, 1});
  ss_expect(both.compute(), Shape{5}, {1, 0, 1, 0, 1});
  // -1 is outside: logits. sigmoid(0.3) = 0.57 -> fp, sigmoid(0.7) -> tp, sigmoid(-1) -> tn.
  both.update(std::vector<double>{0.3, 0.7, -1}, std::vector<int>{0, 1, 0});
  ss_expect(both.compute(), Shape{5}, {2, 1, 2, 0, 2});

  SECTION("the first update is not re-read as logits afterwards") {
    tally::BinaryStatScores second_only(ss_bin());
    second_only.update(std::vector<double>{0.3, 0.7, -1}, std::vector<int>{0, 1, 0});
    ss_expect(second_only.compute(), Shape{5}, {1, 1, 1, 0, 1});
  }
}

TEST_CASE("a logit of exactly 0 is sigmoid 0.5 and negative at threshold 0.5") {
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<double>{0.0, 2.0}, std::vector<int>{1, 1});  // 2.0 makes them logits
  ss_expect(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
}

TEST_CASE("infinite binary preds are logits with sigmoid 0 and 1") {
  // Without the infinities, 0.3 would be a probability and negative; here it is a logit.
  tally::BinaryStatScores m(ss_bin());
  m.update(std::vector<double>{-ss_inf, ss_inf, 0.3}, std::vector<int>{0, 1, 1});
  ss_expect(m.compute(), Shape{5}, {2, 0, 1, 0, 2});
}

TEST_CASE("binary threshold 0 and 1 are allowed and strict") {
  const std::vector<double> preds{0.0, 0.1, 1.0};
  const std::vector<int> target{0, 1, 1};
  SECTION("threshold 0: only 0.0 is negative") {
    tally::Binary::Options o;
    o.threshold = 0.0;
    tally::BinaryStatScores m(o);
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {2, 0, 1, 0, 2});
  }
  SECTION("threshold 1: even 1.0 is negative") {
    tally::Binary::Options o;
    o.threshold = 1.0;
    tally::BinaryStatScores m(o);
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {0, 0, 1, 2, 2});
  }
}

TEST_CASE("the threshold is compared in the precision of the preds") {
  // 0.3f is 0.30000001192..., above the double 0.3; rounded to float, the threshold ties and
  // the prediction is negative (as in torch).
  tally::Binary::Options o;
  o.threshold = 0.3;
  SECTION("float preds") {
    tally::BinaryStatScores m(o);
    m.update(std::vector<float>{0.3f, 0.31f}, std::vector<int>{1, 1});
    ss_expect(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
  }
  SECTION("double preds") {
    tally::BinaryStatScores m(o);
    m.update(std::vector<double>{0.3, 0.31}, std::vector<int>{1, 1});
    ss_expect(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
  }
}

TEMPLATE_TEST_CASE("binary float and double preds give the same counts", "", float, double) {
  tally::BinaryStatScores probs(ss_bin());
  probs.update(std::vector<TestType>{TestType(0.25), TestType(0.75), TestType(0.5), TestType(1)},
               std::vector<int>{0, 0, 1, 1});
  ss_expect(probs.compute(), Shape{5}, {1, 1, 1, 1, 2});

  tally::BinaryStatScores logits(ss_bin());
  logits.update(std::vector<TestType>{TestType(-2), TestType(0.25), TestType(4), TestType(-0.5)},
                std::vector<int>{0, 0, 1, 1});
  ss_expect(logits.compute(), Shape{5}, {1, 1, 1, 1, 2});
}

TEST_CASE("binary ignore_index 0 drops every negative, 1 drops every positive") {
  const std::vector<int> preds{0, 1, 1, 1};
  const std::vector<int> target{0, 1, 1, 0};
  SECTION("ignore_index = 0") {
    tally::BinaryStatScores m(ss_bin(0));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {2, 0, 0, 0, 2});
  }
  SECTION("ignore_index = 1") {
    tally::BinaryStatScores m(ss_bin(1));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {0, 1, 1, 0, 0});
  }
}

TEST_CASE("binary out-of-range ignore_index drops those positions, whatever the pred") {
  // Only the target decides; the pred at an ignored position is not checked (here 255 and 7).
  tally::BinaryStatScores m(ss_bin(255));
  m.update(std::vector<int>{1, 255, 0, 7}, std::vector<int>{1, 255, 1, 255});
  ss_expect(m.compute(), Shape{5}, {1, 0, 0, 1, 2});

  tally::BinaryStatScores neg(ss_bin(-100));
  neg.update(std::vector<int>{1, 0, 1}, std::vector<int>{-100, 0, 1});
  ss_expect(neg.compute(), Shape{5}, {1, 0, 1, 0, 1});
}

TEMPLATE_TEST_CASE("binary label types bool, uint8, int32, int64 give identical counts", "", bool,
                   std::uint8_t, std::int32_t, std::int64_t) {
  const ss_buffer<TestType> preds({1, 1, 1, 1, 0, 0, 0, 0}, Shape{2, 4});
  const ss_buffer<TestType> target({1, 1, 1, 0, 1, 1, 0, 0}, Shape{2, 4});
  tally::BinaryStatScores m(ss_bin());
  m.update(preds.view(), target.view());
  ss_expect(m.compute(), Shape{5}, {3, 1, 2, 2, 5});

  tally::BinaryStatScores sw(ss_bin_sw());
  sw.update(preds.view(), target.view());
  ss_expect(sw.compute(), Shape{2, 5}, {3, 1, 0, 0, 3, 0, 0, 2, 2, 2});
}

TEST_CASE("binary StatScores pools every element of a rank-3 input in global mode") {
  const std::vector<int> preds{1, 0, 1, 1, 0, 0, 1, 0};
  const std::vector<int> target{1, 1, 0, 1, 0, 1, 1, 1};
  tally::BinaryStatScores g(ss_bin());
  g.update(ss_v(preds, {2, 2, 2}), ss_v(target, {2, 2, 2}));
  ss_expect(g.compute(), Shape{5}, {3, 1, 1, 3, 6});

  SECTION("samplewise gives one row per sample") {
    tally::BinaryStatScores sw(ss_bin_sw());
    sw.update(ss_v(preds, {2, 2, 2}), ss_v(target, {2, 2, 2}));
    ss_expect(sw.compute(), Shape{2, 5}, {2, 1, 0, 1, 3, 1, 0, 1, 2, 3});
  }
}

TEST_CASE("binary samplewise keeps the sample axis for a single sample") {
  tally::BinaryStatScores sw(ss_bin_sw());
  sw.update(ss_v<int>({1, 0, 1}, {1, 3}), ss_v<int>({1, 1, 1}, {1, 3}));
  ss_expect(sw.compute(), Shape{1, 5}, {2, 0, 0, 1, 3});
}

TEST_CASE("binary samplewise rows follow update order across updates of different shapes") {
  tally::BinaryStatScores sw(ss_bin_sw());
  tally::BinaryStatScores g(ss_bin());
  const std::vector<int> p1{1, 0, 1, 0, 0, 1}, t1{1, 1, 1, 0, 1, 0};
  const std::vector<int> p2{1, 1, 0, 0}, t2{1, 0, 1, 0};
  sw.update(ss_v(p1, {2, 3}), ss_v(t1, {2, 3}));
  sw.update(ss_v(p2, {1, 2, 2}), ss_v(t2, {1, 2, 2}));
  g.update(ss_v(p1, {2, 3}), ss_v(t1, {2, 3}));
  g.update(ss_v(p2, {1, 2, 2}), ss_v(t2, {1, 2, 2}));
  ss_expect(sw.compute(), Shape{3, 5}, {2, 0, 0, 1, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2});
  ss_expect(g.compute(), Shape{5}, {3, 2, 2, 3, 6});
}

TEST_CASE("binary samplewise: an all-ignored sample keeps an empty row") {
  tally::Binary::Options o = ss_bin_sw();
  o.ignore_index = 255;
  tally::BinaryStatScores sw(o);
  sw.update(ss_v<int>({1, 0, 0, 1}, {2, 2}), ss_v<int>({255, 255, 0, 1}, {2, 2}));
  ss_expect(sw.compute(), Shape{2, 5}, {0, 0, 0, 0, 0, 1, 0, 1, 0, 1});
}

TEST_CASE("binary samplewise with a zero-size trailing axis adds empty samples") {
  tally::BinaryStatScores sw(ss_bin_sw());
  const std::vector<int> none;
  sw.update(ss_v(none, {2, 0}), ss_v(none, {2, 0}));
  ss_expect(sw.compute(), Shape{2, 5}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("binary StatScores before any update: zeros, or zero rows when samplewise") {
  const tally::BinaryStatScores g(ss_bin());
  ss_expect(g.compute(), Shape{5}, {0, 0, 0, 0, 0});
  const tally::BinaryStatScores sw(ss_bin_sw());
  ss_expect(sw.compute(), Shape{0, 5}, {});
}

TEST_CASE("binary StatScores: an all-ignored batch counts nothing") {
  tally::BinaryStatScores m(ss_bin(-1));
  m.update(std::vector<double>{0.9, 7.0}, std::vector<int>{-1, -1});
  ss_expect(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
}

TEST_CASE("binary counts() is the 2x2 block [[tn, fp], [fn, tp]], per sample when samplewise") {
  tally::BinaryStatScores g(ss_bin());
  g.update(std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0}, std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  ss_expect_counts(g.counts(), Shape{2, 2}, {2, 1, 2, 3});

  tally::BinaryStatScores sw(ss_bin_sw());
  sw.update(ss_v<int>({1, 1, 1, 1, 0, 0, 0, 0}, {2, 4}), ss_v<int>({1, 1, 1, 0, 1, 1, 0, 0}, {2, 4}));
  ss_expect_counts(sw.counts(), Shape{2, 2, 2}, {0, 1, 0, 3, 2, 0, 2, 0});
}

// =============================================================================================
// Multiclass
// =============================================================================================

TEST_CASE("multiclass StatScores per class and micro (the section 4 example)") {
  const std::vector<int> preds{2, 1, 0, 1}, target{2, 1, 0, 0};
  SECTION("none: one row per class") {
    tally::MulticlassStatScores m(ss_mc(3, Average::none));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{3, 5}, {1, 0, 2, 1, 2, 1, 1, 2, 0, 1, 1, 0, 3, 0, 1});
  }
  SECTION("micro: sums over classes; sum fp = sum fn = #wrong, sum tn = (C-1)*kept - wrong") {
    tally::MulticlassStatScores m(ss_mc(3, Average::micro));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {3, 1, 7, 1, 4});
  }
  SECTION("macro: the plain mean of the C rows") {
    tally::MulticlassStatScores m(ss_mc(3, Average::macro));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {1, 1.0 / 3, 7.0 / 3, 1.0 / 3, 4.0 / 3});
  }
  SECTION("weighted: rows weighted by support / total support") {
    // supports [2, 1, 1] -> weights [0.5, 0.25, 0.25]
    tally::MulticlassStatScores m(ss_mc(3, Average::weighted));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {1, 0.25, 2.25, 0.5, 1.5});
  }
}

TEST_CASE("multiclass StatScores macro keeps classes absent from preds and target") {
  // C = 4, class 3 never occurs: its zero row still enters the plain mean.
  tally::MulticlassStatScores m(ss_mc(4, Average::macro));
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  // rows [1,0,2,1,2], [1,1,2,0,1], [1,0,3,0,1], [0,0,4,0,0]
  ss_expect(m.compute(), Shape{5}, {0.75, 0.25, 2.75, 0.25, 1.0});
}

TEST_CASE("multiclass out-of-range ignore_index drops positions and nothing else") {
  tally::MulticlassStatScores m(ss_mc(6, Average::micro, 255));
  m.update(std::vector<int>{1, 1, 1, 2, 2, 2, 3}, std::vector<int>{1, 1, 1, 2, 2, 2, 255});
  ss_expect(m.compute(), Shape{5}, {6, 0, 30, 0, 6});
}

TEST_CASE("multiclass in-range ignore_index: class k keeps a row [0, fp_k, tn_k, 0, 0]") {
  // C = 3, ii = 0; kept (target, pred) pairs: (1,0), (1,1), (2,0).
  const std::vector<int> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  SECTION("none") {
    tally::MulticlassStatScores m(ss_mc(3, Average::none, 0));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{3, 5}, {0, 2, 1, 0, 0, 1, 0, 1, 1, 2, 0, 0, 2, 1, 1});
  }
  SECTION("micro: fp_k is part of the sum of fp") {
    tally::MulticlassStatScores m(ss_mc(3, Average::micro, 0));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {1, 2, 4, 2, 3});
  }
  SECTION("macro: plain mean over all C rows, class k included") {
    tally::MulticlassStatScores m(ss_mc(3, Average::macro, 0));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {1.0 / 3, 2.0 / 3, 4.0 / 3, 2.0 / 3, 1.0});
  }
  SECTION("weighted: class k has weight 0") {
    tally::MulticlassStatScores m(ss_mc(3, Average::weighted, 0));
    m.update(preds, target);
    ss_expect(m.compute(), Shape{5}, {2.0 / 3, 0, 4.0 / 3, 1, 5.0 / 3});
  }
}

TEST_CASE("multiclass scores: argmax ties go to the lowest class index") {
  tally::MulticlassStatScores m(ss_mc(3, Average::none));
  m.update(ss_v<double>({0.5, 0.5, 0}, {1, 3}), std::vector<int>{1});  // predicted class 0
  ss_expect(m.compute(), Shape{3, 5}, {0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0});
}

TEST_CASE("multiclass top_k = 2 yields one prediction per position (the >= 1.8 rule)") {
  // Predictions: 0 (hit), 2 (miss: the top-1 class), 2 (hit).
  tally::Multiclass::Options o = ss_mc(3, Average::none);
  o.top_k = 2;
  tally::MulticlassStatScores m(o);
  m.update(ss_v<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}), std::vector<int>{0, 1, 2});
  ss_expect(m.compute(), Shape{3, 5}, {1, 0, 2, 0, 1, 0, 0, 2, 1, 1, 1, 1, 1, 0, 1});

  SECTION("summed over classes, tp + fp equals the number of kept positions") {
    o.average = Average::micro;
    tally::MulticlassStatScores micro(o);
    micro.update(ss_v<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}),
                 std::vector<int>{0, 1, 2});
    ss_expect(micro.compute(), Shape{5}, {2, 1, 5, 1, 3});
  }
}

TEST_CASE("multiclass top_k = C makes every kept position a hit") {
  tally::Multiclass::Options o = ss_mc(3, Average::none);
  o.top_k = 3;
  tally::MulticlassStatScores m(o);
  m.update(ss_v<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}), std::vector<int>{0, 1, 2});
  ss_expect(m.compute(), Shape{3, 5}, {1, 0, 2, 0, 1, 1, 0, 2, 0, 1, 1, 0, 2, 0, 1});
}

TEST_CASE("multiclass top_k ranking ties go to the lower class index") {
  // Both rows score [0.4, 0.3, 0.3]; the top 2 are classes {0, 1}.
  // Target 2 is a miss (predicted 0), target 1 is a hit.
  tally::Multiclass::Options o = ss_mc(3, Average::none);
  o.top_k = 2;
  tally::MulticlassStatScores m(o);
  m.update(ss_v<double>({0.4, 0.3, 0.3, 0.4, 0.3, 0.3}, {2, 3}), std::vector<int>{2, 1});
  ss_expect(m.compute(), Shape{3, 5}, {0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1});
}

TEST_CASE("multiclass label maps (N, H, W) and scores (N, C, H, W) use axis 1 for classes") {
  const std::vector<int> preds{0, 1, 2, 2, 2, 1, 1, 1, 0, 0, 2, 2};
  const std::vector<int> target{0, 1, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1};
  const std::vector<double> expected_none{3, 0, 8, 1, 4, 3, 1, 6, 2, 5, 2, 3, 6, 1, 3};

  tally::MulticlassStatScores labels(ss_mc(3, Average::none));
  labels.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
  ss_expect(labels.compute(), Shape{3, 5}, expected_none);

  tally::MulticlassStatScores scores(ss_mc(3, Average::none));
  scores.update(ss_v(ss_scores_for<double>(preds, 2, 3, 6), {2, 3, 2, 3}),
                ss_v(target, {2, 2, 3}));
  ss_expect(scores.compute(), Shape{3, 5}, expected_none);

  SECTION("the reductions of the same counts") {
    tally::MulticlassStatScores micro(ss_mc(3, Average::micro));
    micro.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(micro.compute(), Shape{5}, {8, 4, 20, 4, 12});
    tally::MulticlassStatScores macro(ss_mc(3, Average::macro));
    macro.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(macro.compute(), Shape{5}, {8.0 / 3, 4.0 / 3, 20.0 / 3, 4.0 / 3, 4});
    tally::MulticlassStatScores weighted(ss_mc(3, Average::weighted));
    weighted.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(weighted.compute(), Shape{5},
              {11.0 / 4, 7.0 / 6, 20.0 / 3, 17.0 / 12, 25.0 / 6});
  }

  SECTION("samplewise: (N, C, 5) for none, (N, 5) for micro") {
    tally::Multiclass::Options o = ss_mc(3, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    tally::MulticlassStatScores sw_labels(o);
    sw_labels.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    const std::vector<double> rows{1, 0, 4, 1, 2, 2, 0, 3, 1, 3, 1, 2, 3, 0, 1,
                                   2, 0, 4, 0, 2, 1, 1, 3, 1, 2, 1, 1, 3, 1, 2};
    ss_expect(sw_labels.compute(), Shape{2, 3, 5}, rows);
    tally::MulticlassStatScores sw_scores(o);
    sw_scores.update(ss_v(ss_scores_for<float>(preds, 2, 3, 6), {2, 3, 2, 3}),
                     ss_v(target, {2, 2, 3}));
    ss_expect(sw_scores.compute(), Shape{2, 3, 5}, rows);

    o.average = Average::micro;
    tally::MulticlassStatScores sw_micro(o);
    sw_micro.update(ss_v(preds, {2, 6}), ss_v(target, {2, 6}));
    ss_expect(sw_micro.compute(), Shape{2, 5}, {4, 2, 10, 2, 6, 4, 2, 10, 2, 6});
  }
}

TEST_CASE("multiclass samplewise keeps the sample axis for a single sample") {
  tally::Multiclass::Options o = ss_mc(3, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores m(o);
  m.update(ss_v<int>({2, 1, 0, 1}, {1, 4}), ss_v<int>({2, 1, 0, 0}, {1, 4}));
  ss_expect(m.compute(), Shape{1, 5}, {3, 1, 7, 1, 4});
}

TEST_CASE("multiclass successive updates may have different shapes") {
  tally::Multiclass::Options o = ss_mc(3, Average::micro);
  tally::MulticlassStatScores g(o);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores sw(o);
  for (auto* m : {&g, &sw}) {
    m->update(ss_v<int>({0, 1, 2, 2, 2, 1}, {2, 3}), ss_v<int>({0, 1, 1, 2, 0, 1}, {2, 3}));
    m->update(ss_v<int>({1, 1, 0, 0}, {1, 2, 2}), ss_v<int>({1, 2, 0, 0}, {1, 2, 2}));
  }
  // sample 0: 2 correct of 3; sample 1: 2 of 3; sample 2: 3 of 4.
  ss_expect(sw.compute(), Shape{3, 5}, {2, 1, 5, 1, 3, 2, 1, 5, 1, 3, 3, 1, 7, 1, 4});
  ss_expect(g.compute(), Shape{5}, {7, 3, 17, 3, 10});
}

TEMPLATE_TEST_CASE("multiclass label types give identical counts", "", std::uint8_t,
                   std::int16_t, std::int32_t, std::int64_t) {
  const ss_buffer<TestType> preds({2, 1, 0, 1, 4, 4}, Shape{6});
  const ss_buffer<TestType> target({2, 1, 0, 0, 255, 255}, Shape{6});
  tally::MulticlassStatScores m(ss_mc(5, Average::none, 255));
  m.update(preds.view(), target.view());
  ss_expect(m.compute(), Shape{5, 5},
            {1, 0, 2, 1, 2, 1, 1, 2, 0, 1, 1, 0, 3, 0, 1, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0});
}

TEST_CASE("multiclass mixed label types: uint8 target, int64 preds") {
  std::vector<std::uint8_t> target{2, 1, 0, 0, 255};
  tally::MulticlassStatScores m(ss_mc(3, Average::micro, 255));
  m.update(std::vector<std::int64_t>{2, 1, 0, 1, 0}, target);
  ss_expect(m.compute(), Shape{5}, {3, 1, 7, 1, 4});
}

TEMPLATE_TEST_CASE("multiclass float and double scores give the same counts", "", float, double) {
  const std::vector<int> preds{0, 1, 2, 2, 2, 1, 1, 1, 0, 0, 2, 2};
  const std::vector<int> target{0, 1, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1};
  tally::MulticlassStatScores m(ss_mc(3, Average::none));
  m.update(ss_v(ss_scores_for<TestType>(preds, 12, 3, 1), {12, 3}), ss_v(target, {12}));
  ss_expect(m.compute(), Shape{3, 5}, {3, 0, 8, 1, 4, 3, 1, 6, 2, 5, 2, 3, 6, 1, 3});
}

TEST_CASE("multiclass StatScores with nothing counted: zeros, weighted NaN, zero rows") {
  SECTION("before any update") {
    const tally::MulticlassStatScores none(ss_mc(3, Average::none));
    ss_expect(none.compute(), Shape{3, 5}, std::vector<double>(15, 0.0));
    const tally::MulticlassStatScores micro(ss_mc(3, Average::micro));
    ss_expect(micro.compute(), Shape{5}, {0, 0, 0, 0, 0});
    const tally::MulticlassStatScores macro(ss_mc(3, Average::macro));
    ss_expect(macro.compute(), Shape{5}, {0, 0, 0, 0, 0});
    const tally::MulticlassStatScores weighted(ss_mc(3, Average::weighted));
    ss_expect(weighted.compute(), Shape{5}, {ss_nan, ss_nan, ss_nan, ss_nan, ss_nan});
  }
  SECTION("after an all-ignored batch") {
    for (Average avg : {Average::none, Average::micro, Average::macro, Average::weighted}) {
      tally::MulticlassStatScores m(ss_mc(3, avg, 255));
      m.update(std::vector<int>{0, 1}, std::vector<int>{255, 255});
      if (avg == Average::none)
        ss_expect(m.compute(), Shape{3, 5}, std::vector<double>(15, 0.0));
      else if (avg == Average::weighted)
        ss_expect(m.compute(), Shape{5}, {ss_nan, ss_nan, ss_nan, ss_nan, ss_nan});
      else
        ss_expect(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
    }
  }
  SECTION("samplewise before any update") {
    tally::Multiclass::Options o = ss_mc(3, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    ss_expect(tally::MulticlassStatScores(o).compute(), Shape{0, 3, 5}, {});
    o.average = Average::micro;
    ss_expect(tally::MulticlassStatScores(o).compute(), Shape{0, 5}, {});
  }
}

TEST_CASE("multiclass samplewise weighted normalizes weights per sample, empty sample is NaN") {
  tally::Multiclass::Options o = ss_mc(3, Average::weighted, 255);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores m(o);
  m.update(ss_v<int>({2, 1, 0, 1, 0, 0, 0, 0}, {2, 4}),
           ss_v<int>({2, 1, 0, 0, 255, 255, 255, 255}, {2, 4}));
  ss_expect(m.compute(), Shape{2, 5},
            {1, 0.25, 2.25, 0.5, 1.5, ss_nan, ss_nan, ss_nan, ss_nan, ss_nan});
}

TEST_CASE("multiclass counts() holds one [[tn, fp], [fn, tp]] block per class") {
  tally::MulticlassStatScores m(ss_mc(3, Average::micro));
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  ss_expect_counts(m.counts(), Shape{3, 2, 2}, {2, 0, 1, 1, 2, 1, 0, 1, 3, 0, 0, 1});

  tally::Multiclass::Options o = ss_mc(3, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores sw(o);
  sw.update(ss_v<int>({2, 1, 0, 1}, {2, 2}), ss_v<int>({2, 1, 0, 0}, {2, 2}));
  // sample 0: pairs (2,2), (1,1); sample 1: (0,0), (0,1)
  ss_expect_counts(sw.counts(), Shape{2, 3, 2, 2},
                   {2, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 2, 0, 0, 0});
}

// =============================================================================================
// Multilabel
// =============================================================================================

TEST_CASE("multilabel ignore_index masks single elements (the section 2.4 example)") {
  tally::MultilabelStatScores m(ss_ml(2, Average::none, 255));
  m.update(ss_v<int>({0, 1, 1, 1}, {2, 2}), ss_v<int>({0, 255, 1, 0}, {2, 2}));
  ss_expect(m.compute(), Shape{2, 5}, {1, 0, 1, 0, 1, 0, 1, 0, 0, 0});
}

TEST_CASE("multilabel ignore_index 0 drops negatives, 1 drops positives, no label is special") {
  const std::vector<int> preds{1, 0, 1, 1}, target{1, 0, 0, 1};
  tally::MultilabelStatScores zero(ss_ml(2, Average::none, 0));
  zero.update(ss_v(preds, {2, 2}), ss_v(target, {2, 2}));
  ss_expect(zero.compute(), Shape{2, 5}, {1, 0, 0, 0, 1, 1, 0, 0, 0, 1});
  tally::MultilabelStatScores one(ss_ml(2, Average::none, 1));
  one.update(ss_v(preds, {2, 2}), ss_v(target, {2, 2}));
  ss_expect(one.compute(), Shape{2, 5}, {0, 1, 0, 0, 0, 0, 0, 1, 0, 0});
}

TEST_CASE("multilabel logit rule looks at all labels of the update, ignored ones included") {
  SECTION("a value outside [0, 1] in label 1 makes label 0 logits too") {
    tally::MultilabelStatScores m(ss_ml(2, Average::none));
    m.update(ss_v<double>({0.2, 0.9, 0.6, 1.5}, {2, 2}), ss_v<int>({0, 1, 1, 1}, {2, 2}));
    ss_expect(m.compute(), Shape{2, 5}, {1, 1, 0, 0, 1, 2, 0, 0, 0, 2});
  }
  SECTION("all inside [0, 1]: probabilities") {
    tally::MultilabelStatScores m(ss_ml(2, Average::none));
    m.update(ss_v<double>({0.2, 0.9, 0.6, 1.0}, {2, 2}), ss_v<int>({0, 1, 1, 1}, {2, 2}));
    ss_expect(m.compute(), Shape{2, 5}, {1, 0, 1, 0, 1, 2, 0, 0, 0, 2});
  }
  SECTION("an ignored 5.0 triggers the sigmoid") {
    tally::MultilabelStatScores m(ss_ml(2, Average::none, 255));
    m.update(ss_v<double>({0.2, 5.0}, {1, 2}), ss_v<int>({0, 255}, {1, 2}));
    ss_expect(m.compute(), Shape{2, 5}, {0, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("multilabel threshold is strict") {
  tally::Multilabel::Options o = ss_ml(2, Average::none);
  o.threshold = 0.75;
  tally::MultilabelStatScores m(o);
  m.update(ss_v<float>({0.75f, 0.875f}, {1, 2}), ss_v<int>({1, 1}, {1, 2}));
  ss_expect(m.compute(), Shape{2, 5}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 1});
}

TEST_CASE("multilabel rank-3 input pools each label over samples and trailing positions") {
  const std::vector<int> preds{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1};
  const std::vector<int> target{1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1};
  SECTION("global") {
    tally::MultilabelStatScores none(ss_ml(2, Average::none));
    none.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(none.compute(), Shape{2, 5}, {2, 2, 2, 0, 2, 3, 0, 1, 2, 5});
    tally::MultilabelStatScores micro(ss_ml(2, Average::micro));
    micro.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(micro.compute(), Shape{5}, {5, 2, 3, 2, 7});
    tally::MultilabelStatScores macro(ss_ml(2, Average::macro));
    macro.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(macro.compute(), Shape{5}, {2.5, 1, 1.5, 1, 3.5});
    tally::MultilabelStatScores weighted(ss_ml(2, Average::weighted));
    weighted.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(weighted.compute(), Shape{5},
              {19.0 / 7, 4.0 / 7, 9.0 / 7, 10.0 / 7, 29.0 / 7});
  }
  SECTION("samplewise: (N, L, 5) for none, (N, 5) for micro") {
    tally::Multilabel::Options o = ss_ml(2, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    tally::MultilabelStatScores none(o);
    none.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(none.compute(), Shape{2, 2, 5},
              {1, 1, 1, 0, 1, 2, 0, 0, 1, 3, 1, 1, 1, 0, 1, 1, 0, 1, 1, 2});
    o.average = Average::micro;
    tally::MultilabelStatScores micro(o);
    micro.update(ss_v(preds, {2, 2, 3}), ss_v(target, {2, 2, 3}));
    ss_expect(micro.compute(), Shape{2, 5}, {3, 1, 1, 1, 4, 2, 1, 2, 1, 3});
  }
}

TEST_CASE("multilabel weighted samplewise normalizes weights per sample (section 5.6)") {
  tally::Multilabel::Options o = ss_ml(2, Average::weighted);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores m(o);
  m.update(ss_v<int>({1, 0, 0, 1, 1, 1, 0, 0}, {2, 2, 2}),
           ss_v<int>({1, 1, 0, 1, 0, 1, 1, 0}, {2, 2, 2}));
  ss_expect(m.compute(), Shape{2, 5},
            {1, 0, 1.0 / 3, 2.0 / 3, 5.0 / 3, 0.5, 0.5, 0.5, 0.5, 1.0});
}

TEST_CASE("multilabel samplewise keeps the sample axis for a single sample") {
  tally::Multilabel::Options o = ss_ml(2, Average::none);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores none(o);
  none.update(ss_v<int>({1, 0, 0, 1}, {1, 2, 2}), ss_v<int>({1, 1, 0, 1}, {1, 2, 2}));
  ss_expect(none.compute(), Shape{1, 2, 5}, {1, 0, 0, 1, 2, 1, 0, 1, 0, 1});
  o.average = Average::micro;
  tally::MultilabelStatScores micro(o);
  micro.update(ss_v<int>({1, 0, 0, 1}, {1, 2, 2}), ss_v<int>({1, 1, 0, 1}, {1, 2, 2}));
  ss_expect(micro.compute(), Shape{1, 5}, {2, 0, 1, 1, 3});
}

TEMPLATE_TEST_CASE("multilabel label types bool, uint8, int32, int64 give identical counts", "",
                   bool, std::uint8_t, std::int32_t, std::int64_t) {
  const ss_buffer<TestType> preds({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, Shape{2, 2, 3});
  const ss_buffer<TestType> target({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, Shape{2, 2, 3});
  tally::MultilabelStatScores m(ss_ml(2, Average::none));
  m.update(preds.view(), target.view());
  ss_expect(m.compute(), Shape{2, 5}, {2, 2, 2, 0, 2, 3, 0, 1, 2, 5});
}

TEST_CASE("multilabel StatScores with nothing counted") {
  for (bool all_ignored : {false, true}) {
    INFO("all_ignored = " << all_ignored);
    for (Average avg : {Average::none, Average::micro, Average::macro, Average::weighted}) {
      tally::MultilabelStatScores m(ss_ml(2, avg, 255));
      if (all_ignored) m.update(ss_v<int>({1, 0}, {1, 2}), ss_v<int>({255, 255}, {1, 2}));
      if (avg == Average::none)
        ss_expect(m.compute(), Shape{2, 5}, std::vector<double>(10, 0.0));
      else if (avg == Average::weighted)
        ss_expect(m.compute(), Shape{5}, {ss_nan, ss_nan, ss_nan, ss_nan, ss_nan});
      else
        ss_expect(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
    }
  }
  tally::Multilabel::Options o = ss_ml(2, Average::none);
  o.multidim_average = MultidimAverage::samplewise;
  ss_expect(tally::MultilabelStatScores(o).compute(), Shape{0, 2, 5}, {});
}

TEST_CASE("multilabel counts() holds one [[tn, fp], [fn, tp]] block per label") {
  tally::MultilabelStatScores m(ss_ml(2, Average::micro));
  m.update(ss_v<int>({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, {2, 2, 3}),
           ss_v<int>({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, {2, 2, 3}));
  ss_expect_counts(m.counts(), Shape{2, 2, 2}, {2, 2, 0, 2, 1, 0, 2, 3});
}

TEST_CASE("multilabel samplewise counts() holds (N, L, 2, 2) blocks") {
  tally::Multilabel::Options o = ss_ml(2, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores m(o);
  m.update(ss_v<int>({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, {2, 2, 3}),
           ss_v<int>({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, {2, 2, 3}));
  // sample 0: label 0 [tp 1, fp 1, tn 1], label 1 [tp 2, fn 1];
  // sample 1: label 0 [tp 1, fp 1, tn 1], label 1 [tp 1, tn 1, fn 1].
  ss_expect_counts(m.counts(), Shape{2, 2, 2, 2}, {1, 1, 0, 1, 0, 0, 1, 2, 1, 1, 0, 1, 1, 0, 1, 1});
}

TEST_CASE("a uint8 target 255 is compared by value with ignore_index (no wrap-around)") {
  const std::vector<std::uint8_t> target{1, 255, 0};
  const std::vector<std::uint8_t> preds{1, 0, 0};
  tally::MulticlassStatScores by_value(ss_mc(3, Average::micro, 255));
  by_value.update(preds, target);
  ss_expect(by_value.compute(), Shape{5}, {2, 0, 4, 0, 2});

  tally::MulticlassStatScores minus_one(ss_mc(3, Average::micro, -1));
  const tally::MulticlassStatScores before = minus_one;
  REQUIRE_THROWS_AS(minus_one.update(preds, target), tally::error);
  CHECK(minus_one == before);

  tally::BinaryStatScores binary(ss_bin(-1));
  REQUIRE_THROWS_AS(binary.update(preds, target), tally::error);
}
