// ConfusionMatrix for the three tasks: layouts (binary [[tn, fp], [fn, tp]], multiclass rows =
// target and columns = pred, multilabel (L, 2, 2)), every Normalize mode with 0/0 -> 0,
// ignore_index and the binary kept-only logit rule (docs/semantics.md sections 1.3, 2, 5.7).
#include <tally/tally.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::Normalize;
using tally::Shape;

// A confusion matrix is never NaN (normalizing 0/0 gives 0), so every value is also checked for
// that, whatever `expected` says.
void cm_expect(const tally::Result& r, const Shape& shape, const std::vector<double>& expected,
               double eps = 1e-12) {
  expect_values(r, shape, expected, eps);
  for (std::size_t i = 0; i < r.size(); ++i) {
    INFO("flat index " << i);
    CHECK_FALSE(std::isnan(r[i]));
  }
}

}  // namespace

// =============================================================================================
// Binary
// =============================================================================================

TEST_CASE("binary ConfusionMatrix is [[tn, fp], [fn, tp]]") {
  // tp 3, fp 1, tn 2, fn 2
  const std::vector<int> preds{1, 1, 1, 1, 0, 0, 0, 0};
  const std::vector<int> target{1, 1, 1, 0, 1, 1, 0, 0};
  tally::BinaryConfusionMatrix m(bin_opts());
  m.update(preds, target);
  cm_expect(m.compute(), Shape{2, 2}, {2, 1, 2, 3});
  expect_counts(m.counts(), Shape{2, 2}, {2, 1, 2, 3});
}

TEST_CASE("binary ConfusionMatrix in every Normalize mode") {
  const std::vector<int> preds{1, 1, 1, 1, 0, 0, 0, 0};
  const std::vector<int> target{1, 1, 1, 0, 1, 1, 0, 0};
  SECTION("none: counts") {
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::none), preds, target),
              Shape{2, 2}, {2, 1, 2, 3});
  }
  SECTION("target: each row divided by its sum") {
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::target), preds, target),
              Shape{2, 2}, {2.0 / 3, 1.0 / 3, 2.0 / 5, 3.0 / 5});
  }
  SECTION("pred: each column divided by its sum") {
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::pred), preds, target),
              Shape{2, 2}, {0.5, 0.25, 0.5, 0.75});
  }
  SECTION("all: divided by the total") {
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::all), preds, target),
              Shape{2, 2}, {0.25, 0.125, 0.25, 0.375});
  }
  SECTION("counts() stays unnormalized") {
    tally::BinaryConfusionMatrix m(bin_opts(), Normalize::target);
    m.update(preds, target);
    expect_counts(m.counts(), Shape{2, 2}, {2, 1, 2, 3});
  }
}

TEST_CASE("binary ConfusionMatrix normalization turns 0/0 into 0") {
  // Only positives: row 0 and column 0 are empty.
  const std::vector<int> preds{1, 1}, target{1, 1};
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::target), preds, target),
            Shape{2, 2}, {0, 0, 0, 1});
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::pred), preds, target),
            Shape{2, 2}, {0, 0, 0, 1});
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(), Normalize::all), preds, target),
            Shape{2, 2}, {0, 0, 0, 1});
}

TEST_CASE("binary ConfusionMatrix decides logits from kept elements only") {
  // The ignored 5.0 does not make 0.3 and 0.7 logits: 0.3 is a tn, 0.7 a tp.
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(-1)), std::vector<double>{0.3, 0.7, 5.0},
                     std::vector<int>{0, 1, -1}),
            Shape{2, 2}, {1, 0, 0, 1});
  SECTION("when the 5.0 is kept, all three are logits") {
    // sigmoid(0.3) = 0.57 and sigmoid(5) are fps, sigmoid(0.7) a tp.
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts()), std::vector<double>{0.3, 0.7, 5.0},
                       std::vector<int>{0, 1, 0}),
              Shape{2, 2}, {0, 2, 0, 1});
  }
}

TEST_CASE("binary ConfusionMatrix: the logit rule is decided per update") {
  tally::BinaryConfusionMatrix m(bin_opts());
  m.update(std::vector<double>{0.3, 0.7}, std::vector<int>{0, 1});       // probabilities: tn, tp
  m.update(std::vector<double>{0.3, 0.7, -1}, std::vector<int>{0, 1, 0});  // logits: fp, tp, tn
  cm_expect(m.compute(), Shape{2, 2}, {2, 1, 0, 2});
}

TEST_CASE("binary ConfusionMatrix threshold is strict") {
  tally::Binary::Options o = bin_opts();
  o.threshold = 0.25;
  // 0.2 -> tn, 0.25 -> negative (fn), 0.3 -> tp
  cm_expect(evaluate(tally::BinaryConfusionMatrix(o), std::vector<float>{0.2f, 0.25f, 0.3f},
                     std::vector<int>{0, 1, 1}),
            Shape{2, 2}, {1, 0, 1, 1});
}

TEST_CASE("binary ConfusionMatrix with ignore_index 0 or 1 keeps one row") {
  const std::vector<int> preds{0, 1, 1, 1}, target{0, 1, 1, 0};
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(0)), preds, target), Shape{2, 2},
            {0, 0, 0, 2});
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(1)), preds, target), Shape{2, 2},
            {1, 1, 0, 0});
}

TEST_CASE("binary ConfusionMatrix pools every element of a rank-3 input") {
  const std::vector<int> preds{1, 0, 1, 1, 0, 0, 1, 0};
  const std::vector<int> target{1, 1, 0, 1, 0, 1, 1, 1};
  // tp 3, fp 1, tn 1, fn 3
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts()), view_of(preds, {2, 2, 2}),
                     view_of(target, {2, 2, 2})),
            Shape{2, 2}, {1, 1, 3, 3});
}

TEMPLATE_TEST_CASE("binary ConfusionMatrix is the same for bool, uint8, int32 and int64", "", bool,
                   std::uint8_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({1, 1, 1, 1, 0, 0, 0, 0}, Shape{2, 4});
  const buffer<TestType> target({1, 1, 1, 0, 1, 1, 0, 0}, Shape{2, 4});
  cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts()), preds.view(), target.view()),
            Shape{2, 2}, {2, 1, 2, 3});
}

TEST_CASE("binary ConfusionMatrix with nothing counted is zero in every mode") {
  for (Normalize n : {Normalize::none, Normalize::target, Normalize::pred, Normalize::all}) {
    INFO("normalize = " << tally::to_string(n));
    cm_expect(tally::BinaryConfusionMatrix(bin_opts(), n).compute(), Shape{2, 2}, {0, 0, 0, 0});
    cm_expect(evaluate(tally::BinaryConfusionMatrix(bin_opts(255), n), std::vector<int>{1, 0},
                       std::vector<int>{255, 255}),
              Shape{2, 2}, {0, 0, 0, 0});
  }
}

// =============================================================================================
// Multiclass
// =============================================================================================

TEST_CASE("multiclass ConfusionMatrix: rows are targets, columns predictions (section 5.7)") {
  const std::vector<int> preds{0, 1, 1}, target{0, 0, 1};
  SECTION("none") {
    tally::MulticlassConfusionMatrix m(mc_opts(3));
    m.update(preds, target);
    cm_expect(m.compute(), Shape{3, 3}, {1, 1, 0, 0, 1, 0, 0, 0, 0});
    expect_counts(m.counts(), Shape{3, 3}, {1, 1, 0, 0, 1, 0, 0, 0, 0});
  }
  SECTION("target: rows divided by their sums; the empty row stays 0") {
    cm_expect(
        evaluate(tally::MulticlassConfusionMatrix(mc_opts(3), Normalize::target), preds, target),
        Shape{3, 3}, {0.5, 0.5, 0, 0, 1, 0, 0, 0, 0});
  }
  SECTION("pred: columns divided by their sums; the empty column stays 0") {
    cm_expect(
        evaluate(tally::MulticlassConfusionMatrix(mc_opts(3), Normalize::pred), preds, target),
        Shape{3, 3}, {1, 0.5, 0, 0, 0.5, 0, 0, 0, 0});
  }
  SECTION("all: each count divided by 3") {
    cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3), Normalize::all), preds, target),
              Shape{3, 3}, {1.0 / 3, 1.0 / 3, 0, 0, 1.0 / 3, 0, 0, 0, 0});
  }
  SECTION("counts() stays unnormalized") {
    tally::MulticlassConfusionMatrix m(mc_opts(3), Normalize::all);
    m.update(preds, target);
    expect_counts(m.counts(), Shape{3, 3}, {1, 1, 0, 0, 1, 0, 0, 0, 0});
  }
}

TEST_CASE("multiclass ConfusionMatrix of scores uses the argmax over axis 1") {
  // (N, C) = (3, 3): argmax [0, 1, 1] (the first row ties 0.5/0.5 -> class 0).
  const std::vector<double> scores{0.5, 0.5, 0.0, 0.2, 0.7, 0.1, 0.1, 0.6, 0.3};
  cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3)), view_of(scores, {3, 3}),
                     std::vector<int>{0, 0, 1}),
            Shape{3, 3}, {1, 1, 0, 0, 1, 0, 0, 0, 0});
}

TEST_CASE("multiclass ConfusionMatrix of (N, C, H, W) scores equals that of (N, H, W) labels") {
  // N = 1, C = 3, H = W = 2; argmax over axis 1 is [[2, 1], [0, 1]].
  const std::vector<float> scores{
      0.0f, 0.1f, 0.9f, 0.2f,  // class 0
      0.1f, 0.8f, 0.0f, 0.7f,  // class 1
      0.9f, 0.1f, 0.1f, 0.1f,  // class 2
  };
  const std::vector<int> labels{2, 1, 0, 1};
  const std::vector<int> target{2, 1, 0, 0};
  const std::vector<double> expected{1, 1, 0, 0, 1, 0, 0, 0, 1};
  cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3)), view_of(scores, {1, 3, 2, 2}),
                     view_of(target, {1, 2, 2})),
            Shape{3, 3}, expected);
  cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3)), view_of(labels, {1, 2, 2}),
                     view_of(target, {1, 2, 2})),
            Shape{3, 3}, expected);
}

TEST_CASE("multiclass ConfusionMatrix with in-range ignore_index: row k empty, column k counts") {
  // C = 3, ii = 0, preds [0,1,0,2], target [1,1,2,0]: kept (1,0), (1,1), (2,0).
  const std::vector<int> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3, 0)), preds, target), Shape{3, 3},
            {0, 0, 0, 1, 1, 0, 1, 0, 0});
  cm_expect(
      evaluate(tally::MulticlassConfusionMatrix(mc_opts(3, 0), Normalize::target), preds, target),
      Shape{3, 3}, {0, 0, 0, 0.5, 0.5, 0, 1, 0, 0});
  cm_expect(
      evaluate(tally::MulticlassConfusionMatrix(mc_opts(3, 0), Normalize::pred), preds, target),
      Shape{3, 3}, {0, 0, 0, 0.5, 1, 0, 0.5, 0, 0});
}

TEST_CASE("multiclass ConfusionMatrix with out-of-range ignore_index drops those positions") {
  std::vector<double> expected(36, 0.0);
  expected[1 * 6 + 1] = 3;
  expected[2 * 6 + 2] = 3;
  cm_expect(
      evaluate(tally::MulticlassConfusionMatrix(mc_opts(6, 255)),
               std::vector<int>{1, 1, 1, 2, 2, 2, 3}, std::vector<int>{1, 1, 1, 2, 2, 2, 255}),
      Shape{6, 6}, expected);
}

TEST_CASE("multiclass ConfusionMatrix accumulates updates of different shapes") {
  tally::MulticlassConfusionMatrix m(mc_opts(3));
  m.update(view_of<int>({0, 1, 2, 2}, {2, 2}), view_of<int>({0, 1, 1, 2}, {2, 2}));
  m.update(view_of<int>({1, 0, 0}, {1, 3}), view_of<int>({1, 0, 2}, {1, 3}));
  // pairs (t,p): (0,0) (1,1) (1,2) (2,2) (1,1) (0,0) (2,0)
  cm_expect(m.compute(), Shape{3, 3}, {2, 0, 0, 0, 2, 1, 1, 0, 1});
}

TEST_CASE("multiclass ConfusionMatrix ignores average and zero_division") {
  const std::vector<int> preds{0, 1, 1}, target{0, 0, 1};
  tally::Multiclass::Options o = mc_opts(3);
  o.average = Average::none;
  o.zero_division = 1.0;
  cm_expect(evaluate(tally::MulticlassConfusionMatrix(o, Normalize::target), preds, target),
            Shape{3, 3}, {0.5, 0.5, 0, 0, 1, 0, 0, 0, 0});
}

TEMPLATE_TEST_CASE("multiclass ConfusionMatrix is the same for every label type", "", std::uint8_t,
                   std::int16_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({0, 1, 1, 2}, Shape{4});
  const buffer<TestType> target({0, 0, 1, 255}, Shape{4});
  cm_expect(
      evaluate(tally::MulticlassConfusionMatrix(mc_opts(3, 255)), preds.view(), target.view()),
      Shape{3, 3}, {1, 1, 0, 0, 1, 0, 0, 0, 0});
}

TEST_CASE("multiclass ConfusionMatrix with nothing counted is zero in every mode") {
  for (Normalize n : {Normalize::none, Normalize::target, Normalize::pred, Normalize::all}) {
    INFO("normalize = " << tally::to_string(n));
    cm_expect(tally::MulticlassConfusionMatrix(mc_opts(3), n).compute(), Shape{3, 3},
              std::vector<double>(9, 0.0));
    cm_expect(evaluate(tally::MulticlassConfusionMatrix(mc_opts(3, -1), n), std::vector<int>{0, 1},
                       std::vector<int>{-1, -1}),
              Shape{3, 3}, std::vector<double>(9, 0.0));
  }
}

TEST_CASE("ConfusionMatrix reset, copy and equality") {
  tally::MulticlassConfusionMatrix m(mc_opts(3), Normalize::pred);
  const tally::MulticlassConfusionMatrix fresh = m;
  m.update(std::vector<int>{0, 1, 1}, std::vector<int>{0, 0, 1});
  tally::MulticlassConfusionMatrix copy = m;
  CHECK(copy == m);
  copy.update(std::vector<int>{2}, std::vector<int>{2});
  CHECK(copy != m);
  cm_expect(m.compute(), Shape{3, 3}, {1, 0.5, 0, 0, 0.5, 0, 0, 0, 0});
  m.reset();
  CHECK(m == fresh);
  cm_expect(m.compute(), Shape{3, 3}, std::vector<double>(9, 0.0));
  CHECK(tally::MulticlassConfusionMatrix(mc_opts(3), Normalize::pred) !=
        tally::MulticlassConfusionMatrix(mc_opts(3), Normalize::all));
}

// =============================================================================================
// Multilabel
// =============================================================================================

TEST_CASE("multilabel ConfusionMatrix is one [[tn, fp], [fn, tp]] matrix per label") {
  // (N, L, K) = (2, 2, 3). label 0: tp 2, fp 2, tn 2, fn 0; label 1: tp 3, fp 0, tn 1, fn 2.
  const std::vector<int> preds{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1};
  const std::vector<int> target{1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1};
  const auto p = view_of(preds, {2, 2, 3});
  const auto t = view_of(target, {2, 2, 3});
  SECTION("none") {
    tally::MultilabelConfusionMatrix m(ml_opts(2));
    m.update(p, t);
    cm_expect(m.compute(), Shape{2, 2, 2}, {2, 2, 0, 2, 1, 0, 2, 3});
    expect_counts(m.counts(), Shape{2, 2, 2}, {2, 2, 0, 2, 1, 0, 2, 3});
  }
  SECTION("target: rows of each label") {
    cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2), Normalize::target), p, t),
              Shape{2, 2, 2}, {0.5, 0.5, 0, 1, 1, 0, 2.0 / 5, 3.0 / 5});
  }
  SECTION("pred: columns of each label") {
    cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2), Normalize::pred), p, t),
              Shape{2, 2, 2}, {1, 0.5, 0, 0.5, 1.0 / 3, 0, 2.0 / 3, 1});
  }
  SECTION("all: per label total") {
    cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2), Normalize::all), p, t),
              Shape{2, 2, 2}, {1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 1.0 / 6, 0, 1.0 / 3, 0.5});
  }
}

TEST_CASE("multilabel ConfusionMatrix masks single elements (section 2.4 example)") {
  // label 0: tn 1, tp 1; label 1: fp 1 (its other element is ignored).
  const std::vector<int> preds{0, 1, 1, 1}, target{0, 255, 1, 0};
  const auto p = view_of(preds, {2, 2});
  const auto t = view_of(target, {2, 2});
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2, 255)), p, t), Shape{2, 2, 2},
            {1, 0, 0, 1, 0, 1, 0, 0});
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2, 255), Normalize::target), p, t),
            Shape{2, 2, 2}, {1, 0, 0, 1, 0, 1, 0, 0});  // label 1 row 1: 0/0 -> 0
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2, 255), Normalize::all), p, t),
            Shape{2, 2, 2}, {0.5, 0, 0, 0.5, 0, 1, 0, 0});
}

TEST_CASE("multilabel ConfusionMatrix: an ignored value outside [0, 1] triggers the sigmoid") {
  // Unlike binary, multilabel looks at every element: sigmoid(0.2) = 0.55 is an fp.
  const std::vector<double> preds{0.2, 5.0};
  const std::vector<int> target{0, 255};
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2, 255)), view_of(preds, {1, 2}),
                     view_of(target, {1, 2})),
            Shape{2, 2, 2}, {0, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("multilabel ConfusionMatrix threshold is strict and applies to every label") {
  tally::Multilabel::Options o = ml_opts(2);
  o.threshold = 0.75;
  const std::vector<double> preds{0.75, 0.875, 0.5, 1.0};
  const std::vector<int> target{1, 1, 0, 1};
  // label 0: 0.75 -> fn, 0.5 -> tn; label 1: 0.875 -> tp, 1.0 -> tp
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(o), view_of(preds, {2, 2}),
                     view_of(target, {2, 2})),
            Shape{2, 2, 2}, {1, 0, 1, 0, 0, 0, 0, 2});
}

TEMPLATE_TEST_CASE("multilabel ConfusionMatrix is the same for bool, uint8, int32 and int64", "",
                   bool, std::uint8_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, Shape{2, 2, 3});
  const buffer<TestType> target({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, Shape{2, 2, 3});
  cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(2)), preds.view(), target.view()),
            Shape{2, 2, 2}, {2, 2, 0, 2, 1, 0, 2, 3});
}

TEST_CASE("multilabel ConfusionMatrix with nothing counted is zero in every mode") {
  for (Normalize n : {Normalize::none, Normalize::target, Normalize::pred, Normalize::all}) {
    INFO("normalize = " << tally::to_string(n));
    cm_expect(tally::MultilabelConfusionMatrix(ml_opts(3), n).compute(), Shape{3, 2, 2},
              std::vector<double>(12, 0.0));
    const std::vector<int> preds{1, 0, 1}, target{7, 7, 7};
    cm_expect(evaluate(tally::MultilabelConfusionMatrix(ml_opts(3, 7), n), view_of(preds, {1, 3}),
                       view_of(target, {1, 3})),
              Shape{3, 2, 2}, std::vector<double>(12, 0.0));
  }
}
