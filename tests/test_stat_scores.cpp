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

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::MultidimAverage;
using tally::Shape;

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
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0}, std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  expect_values(m.compute(), Shape{5}, {3, 1, 2, 2, 5});
}

TEST_CASE("binary threshold is strict: a probability equal to the threshold is negative") {
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<double>{0.5, 0.5}, std::vector<int>{0, 1});
  expect_values(m.compute(), Shape{5}, {0, 0, 1, 1, 1});
}

TEST_CASE("binary preds all inside [0, 1] are probabilities") {
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<double>{0, 0.2, 0.7, 1.0}, std::vector<int>{0, 1, 1, 1});
  expect_values(m.compute(), Shape{5}, {2, 0, 1, 1, 3});
}

TEST_CASE("binary preds with one value outside [0, 1] are all logits") {
  // sigmoid(0.2) = 0.55 > 0.5 becomes a tp; as a probability it would have been an fn.
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<double>{-1, 0.2, 0.7, 3.0}, std::vector<int>{0, 1, 1, 1});
  expect_values(m.compute(), Shape{5}, {3, 0, 1, 0, 3});
}

TEST_CASE("binary StatScores: an ignored pred outside [0, 1] still triggers the sigmoid") {
  // sigmoid(0.3) = 0.57 is a false positive; the 5.0 itself is not counted.
  tally::BinaryStatScores m(bin_opts(-1));
  m.update(std::vector<double>{0.3, 0.7, 5.0}, std::vector<int>{0, 1, -1});
  expect_values(m.compute(), Shape{5}, {1, 1, 0, 0, 1});
}

TEST_CASE("binary logit rule is decided per update") {
  tally::BinaryStatScores both(bin_opts());
  // All in [0, 1]: probabilities. 0.3 -> negative (tn), 0.7 -> positive (tp).
  both.update(std::vector<double>{0.3, 0.7}, std::vector<int>{0, 1});
  expect_values(both.compute(), Shape{5}, {1, 0, 1, 0, 1});
  // -1 is outside: logits. sigmoid(0.3) = 0.57 -> fp, sigmoid(0.7) -> tp, sigmoid(-1) -> tn.
  both.update(std::vector<double>{0.3, 0.7, -1}, std::vector<int>{0, 1, 0});
  expect_values(both.compute(), Shape{5}, {2, 1, 2, 0, 2});

  SECTION("the first update is not re-read as logits afterwards") {
    tally::BinaryStatScores second_only(bin_opts());
    second_only.update(std::vector<double>{0.3, 0.7, -1}, std::vector<int>{0, 1, 0});
    expect_values(second_only.compute(), Shape{5}, {1, 1, 1, 0, 1});
  }
}

TEST_CASE("a logit of exactly 0 is sigmoid 0.5 and negative at threshold 0.5") {
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<double>{0.0, 2.0}, std::vector<int>{1, 1});  // 2.0 makes them logits
  expect_values(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
}

TEST_CASE("infinite binary preds are logits with sigmoid 0 and 1") {
  // Without the infinities, 0.3 would be a probability and negative; here it is a logit.
  tally::BinaryStatScores m(bin_opts());
  m.update(std::vector<double>{-inf, inf, 0.3}, std::vector<int>{0, 1, 1});
  expect_values(m.compute(), Shape{5}, {2, 0, 1, 0, 2});
}

TEST_CASE("binary threshold 0 and 1 are allowed and strict") {
  const std::vector<double> preds{0.0, 0.1, 1.0};
  const std::vector<int> target{0, 1, 1};
  SECTION("threshold 0: only 0.0 is negative") {
    tally::Binary::Options o;
    o.threshold = 0.0;
    tally::BinaryStatScores m(o);
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {2, 0, 1, 0, 2});
  }
  SECTION("threshold 1: even 1.0 is negative") {
    tally::Binary::Options o;
    o.threshold = 1.0;
    tally::BinaryStatScores m(o);
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {0, 0, 1, 2, 2});
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
    expect_values(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
  }
  SECTION("double preds") {
    tally::BinaryStatScores m(o);
    m.update(std::vector<double>{0.3, 0.31}, std::vector<int>{1, 1});
    expect_values(m.compute(), Shape{5}, {1, 0, 0, 1, 2});
  }
}

TEMPLATE_TEST_CASE("binary float and double preds give the same counts", "", float, double) {
  tally::BinaryStatScores probs(bin_opts());
  probs.update(std::vector<TestType>{TestType(0.25), TestType(0.75), TestType(0.5), TestType(1)},
               std::vector<int>{0, 0, 1, 1});
  expect_values(probs.compute(), Shape{5}, {1, 1, 1, 1, 2});

  tally::BinaryStatScores logits(bin_opts());
  logits.update(std::vector<TestType>{TestType(-2), TestType(0.25), TestType(4), TestType(-0.5)},
                std::vector<int>{0, 0, 1, 1});
  expect_values(logits.compute(), Shape{5}, {1, 1, 1, 1, 2});
}

TEST_CASE("binary ignore_index 0 drops every negative, 1 drops every positive") {
  const std::vector<int> preds{0, 1, 1, 1};
  const std::vector<int> target{0, 1, 1, 0};
  SECTION("ignore_index = 0") {
    tally::BinaryStatScores m(bin_opts(0));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {2, 0, 0, 0, 2});
  }
  SECTION("ignore_index = 1") {
    tally::BinaryStatScores m(bin_opts(1));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {0, 1, 1, 0, 0});
  }
}

TEST_CASE("binary out-of-range ignore_index drops those positions, whatever the pred") {
  // Only the target decides; the pred at an ignored position is not checked (here 255 and 7).
  tally::BinaryStatScores m(bin_opts(255));
  m.update(std::vector<int>{1, 255, 0, 7}, std::vector<int>{1, 255, 1, 255});
  expect_values(m.compute(), Shape{5}, {1, 0, 0, 1, 2});

  tally::BinaryStatScores neg(bin_opts(-100));
  neg.update(std::vector<int>{1, 0, 1}, std::vector<int>{-100, 0, 1});
  expect_values(neg.compute(), Shape{5}, {1, 0, 1, 0, 1});
}

TEMPLATE_TEST_CASE("binary label types bool, uint8, int32, int64 give identical counts", "", bool,
                   std::uint8_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({1, 1, 1, 1, 0, 0, 0, 0}, Shape{2, 4});
  const buffer<TestType> target({1, 1, 1, 0, 1, 1, 0, 0}, Shape{2, 4});
  tally::BinaryStatScores m(bin_opts());
  m.update(preds.view(), target.view());
  expect_values(m.compute(), Shape{5}, {3, 1, 2, 2, 5});

  tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  sw.update(preds.view(), target.view());
  expect_values(sw.compute(), Shape{2, 5}, {3, 1, 0, 0, 3, 0, 0, 2, 2, 2});
}

TEST_CASE("binary StatScores pools every element of a rank-3 input in global mode") {
  const std::vector<int> preds{1, 0, 1, 1, 0, 0, 1, 0};
  const std::vector<int> target{1, 1, 0, 1, 0, 1, 1, 1};
  tally::BinaryStatScores g(bin_opts());
  g.update(view_of(preds, {2, 2, 2}), view_of(target, {2, 2, 2}));
  expect_values(g.compute(), Shape{5}, {3, 1, 1, 3, 6});

  SECTION("samplewise gives one row per sample") {
    tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
    sw.update(view_of(preds, {2, 2, 2}), view_of(target, {2, 2, 2}));
    expect_values(sw.compute(), Shape{2, 5}, {2, 1, 0, 1, 3, 1, 0, 1, 2, 3});
  }
}

TEST_CASE("binary samplewise keeps the sample axis for a single sample") {
  tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  sw.update(view_of<int>({1, 0, 1}, {1, 3}), view_of<int>({1, 1, 1}, {1, 3}));
  expect_values(sw.compute(), Shape{1, 5}, {2, 0, 0, 1, 3});
}

TEST_CASE("binary samplewise rows follow update order across updates of different shapes") {
  tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  tally::BinaryStatScores g(bin_opts());
  const std::vector<int> p1{1, 0, 1, 0, 0, 1}, t1{1, 1, 1, 0, 1, 0};
  const std::vector<int> p2{1, 1, 0, 0}, t2{1, 0, 1, 0};
  sw.update(view_of(p1, {2, 3}), view_of(t1, {2, 3}));
  sw.update(view_of(p2, {1, 2, 2}), view_of(t2, {1, 2, 2}));
  g.update(view_of(p1, {2, 3}), view_of(t1, {2, 3}));
  g.update(view_of(p2, {1, 2, 2}), view_of(t2, {1, 2, 2}));
  expect_values(sw.compute(), Shape{3, 5}, {2, 0, 0, 1, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2});
  expect_values(g.compute(), Shape{5}, {3, 2, 2, 3, 6});
}

TEST_CASE("binary samplewise: an all-ignored sample keeps an empty row") {
  tally::Binary::Options o = bin_opts(std::nullopt, MultidimAverage::samplewise);
  o.ignore_index = 255;
  tally::BinaryStatScores sw(o);
  sw.update(view_of<int>({1, 0, 0, 1}, {2, 2}), view_of<int>({255, 255, 0, 1}, {2, 2}));
  expect_values(sw.compute(), Shape{2, 5}, {0, 0, 0, 0, 0, 1, 0, 1, 0, 1});
}

TEST_CASE("binary samplewise with a zero-size trailing axis adds empty samples") {
  tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  const std::vector<int> none;
  sw.update(view_of(none, {2, 0}), view_of(none, {2, 0}));
  expect_values(sw.compute(), Shape{2, 5}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("binary StatScores before any update: zeros, or zero rows when samplewise") {
  const tally::BinaryStatScores g(bin_opts());
  expect_values(g.compute(), Shape{5}, {0, 0, 0, 0, 0});
  const tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  expect_values(sw.compute(), Shape{0, 5}, {});
}

TEST_CASE("binary StatScores: an all-ignored batch counts nothing") {
  tally::BinaryStatScores m(bin_opts(-1));
  m.update(std::vector<double>{0.9, 7.0}, std::vector<int>{-1, -1});
  expect_values(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
}

TEST_CASE("binary counts() is the 2x2 block [[tn, fp], [fn, tp]], per sample when samplewise") {
  tally::BinaryStatScores g(bin_opts());
  g.update(std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0}, std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  expect_counts(g.counts(), Shape{2, 2}, {2, 1, 2, 3});

  tally::BinaryStatScores sw(bin_opts(std::nullopt, MultidimAverage::samplewise));
  sw.update(view_of<int>({1, 1, 1, 1, 0, 0, 0, 0}, {2, 4}),
            view_of<int>({1, 1, 1, 0, 1, 1, 0, 0}, {2, 4}));
  expect_counts(sw.counts(), Shape{2, 2, 2}, {0, 1, 0, 3, 2, 0, 2, 0});
}

// =============================================================================================
// Multiclass
// =============================================================================================

TEST_CASE("multiclass StatScores per class and micro (the section 4 example)") {
  const std::vector<int> preds{2, 1, 0, 1}, target{2, 1, 0, 0};
  SECTION("none: one row per class") {
    tally::MulticlassStatScores m(mc_opts(3, Average::none));
    m.update(preds, target);
    expect_values(m.compute(), Shape{3, 5}, {1, 0, 2, 1, 2, 1, 1, 2, 0, 1, 1, 0, 3, 0, 1});
  }
  SECTION("micro: sums over classes; sum fp = sum fn = #wrong, sum tn = (C-1)*kept - wrong") {
    tally::MulticlassStatScores m(mc_opts(3, Average::micro));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {3, 1, 7, 1, 4});
  }
  SECTION("macro: the plain mean of the C rows") {
    tally::MulticlassStatScores m(mc_opts(3, Average::macro));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {1, 1.0 / 3, 7.0 / 3, 1.0 / 3, 4.0 / 3});
  }
  SECTION("weighted: rows weighted by support / total support") {
    // supports [2, 1, 1] -> weights [0.5, 0.25, 0.25]
    tally::MulticlassStatScores m(mc_opts(3, Average::weighted));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {1, 0.25, 2.25, 0.5, 1.5});
  }
}

TEST_CASE("multiclass StatScores macro keeps classes absent from preds and target") {
  // C = 4, class 3 never occurs: its zero row still enters the plain mean.
  tally::MulticlassStatScores m(mc_opts(4, Average::macro));
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  // rows [1,0,2,1,2], [1,1,2,0,1], [1,0,3,0,1], [0,0,4,0,0]
  expect_values(m.compute(), Shape{5}, {0.75, 0.25, 2.75, 0.25, 1.0});
}

TEST_CASE("multiclass out-of-range ignore_index drops positions and nothing else") {
  tally::MulticlassStatScores m(mc_opts(6, Average::micro, 255));
  m.update(std::vector<int>{1, 1, 1, 2, 2, 2, 3}, std::vector<int>{1, 1, 1, 2, 2, 2, 255});
  expect_values(m.compute(), Shape{5}, {6, 0, 30, 0, 6});
}

TEST_CASE("multiclass in-range ignore_index: class k keeps a row [0, fp_k, tn_k, 0, 0]") {
  // C = 3, ii = 0; kept (target, pred) pairs: (1,0), (1,1), (2,0).
  const std::vector<int> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  SECTION("none") {
    tally::MulticlassStatScores m(mc_opts(3, Average::none, 0));
    m.update(preds, target);
    expect_values(m.compute(), Shape{3, 5}, {0, 2, 1, 0, 0, 1, 0, 1, 1, 2, 0, 0, 2, 1, 1});
  }
  SECTION("micro: fp_k is part of the sum of fp") {
    tally::MulticlassStatScores m(mc_opts(3, Average::micro, 0));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {1, 2, 4, 2, 3});
  }
  SECTION("macro: plain mean over all C rows, class k included") {
    tally::MulticlassStatScores m(mc_opts(3, Average::macro, 0));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {1.0 / 3, 2.0 / 3, 4.0 / 3, 2.0 / 3, 1.0});
  }
  SECTION("weighted: class k has weight 0") {
    tally::MulticlassStatScores m(mc_opts(3, Average::weighted, 0));
    m.update(preds, target);
    expect_values(m.compute(), Shape{5}, {2.0 / 3, 0, 4.0 / 3, 1, 5.0 / 3});
  }
}

TEST_CASE("multiclass scores: argmax ties go to the lowest class index") {
  tally::MulticlassStatScores m(mc_opts(3, Average::none));
  m.update(view_of<double>({0.5, 0.5, 0}, {1, 3}), std::vector<int>{1});  // predicted class 0
  expect_values(m.compute(), Shape{3, 5}, {0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0});
}

TEST_CASE("multiclass top_k = 2 yields one prediction per position (the >= 1.8 rule)") {
  // Predictions: 0 (hit), 2 (miss: the top-1 class), 2 (hit).
  tally::Multiclass::Options o = mc_opts(3, Average::none);
  o.top_k = 2;
  tally::MulticlassStatScores m(o);
  m.update(view_of<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}), std::vector<int>{0, 1, 2});
  expect_values(m.compute(), Shape{3, 5}, {1, 0, 2, 0, 1, 0, 0, 2, 1, 1, 1, 1, 1, 0, 1});

  SECTION("summed over classes, tp + fp equals the number of kept positions") {
    o.average = Average::micro;
    tally::MulticlassStatScores micro(o);
    micro.update(view_of<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}),
                 std::vector<int>{0, 1, 2});
    expect_values(micro.compute(), Shape{5}, {2, 1, 5, 1, 3});
  }
}

TEST_CASE("multiclass top_k = C makes every kept position a hit") {
  tally::Multiclass::Options o = mc_opts(3, Average::none);
  o.top_k = 3;
  tally::MulticlassStatScores m(o);
  m.update(view_of<double>({.1, .9, 0, .3, .1, .6, .2, .5, .3}, {3, 3}), std::vector<int>{0, 1, 2});
  expect_values(m.compute(), Shape{3, 5}, {1, 0, 2, 0, 1, 1, 0, 2, 0, 1, 1, 0, 2, 0, 1});
}

TEST_CASE("multiclass top_k ranking ties go to the lower class index") {
  // Both rows score [0.4, 0.3, 0.3]; the top 2 are classes {0, 1}.
  // Target 2 is a miss (predicted 0), target 1 is a hit.
  tally::Multiclass::Options o = mc_opts(3, Average::none);
  o.top_k = 2;
  tally::MulticlassStatScores m(o);
  m.update(view_of<double>({0.4, 0.3, 0.3, 0.4, 0.3, 0.3}, {2, 3}), std::vector<int>{2, 1});
  expect_values(m.compute(), Shape{3, 5}, {0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1});
}

TEST_CASE("multiclass label maps (N, H, W) and scores (N, C, H, W) use axis 1 for classes") {
  const std::vector<int> preds{0, 1, 2, 2, 2, 1, 1, 1, 0, 0, 2, 2};
  const std::vector<int> target{0, 1, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1};
  const std::vector<double> expected_none{3, 0, 8, 1, 4, 3, 1, 6, 2, 5, 2, 3, 6, 1, 3};

  tally::MulticlassStatScores labels(mc_opts(3, Average::none));
  labels.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
  expect_values(labels.compute(), Shape{3, 5}, expected_none);

  tally::MulticlassStatScores scores(mc_opts(3, Average::none));
  scores.update(view_of(ss_scores_for<double>(preds, 2, 3, 6), {2, 3, 2, 3}),
                view_of(target, {2, 2, 3}));
  expect_values(scores.compute(), Shape{3, 5}, expected_none);

  SECTION("the reductions of the same counts") {
    tally::MulticlassStatScores micro(mc_opts(3, Average::micro));
    micro.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(micro.compute(), Shape{5}, {8, 4, 20, 4, 12});
    tally::MulticlassStatScores macro(mc_opts(3, Average::macro));
    macro.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(macro.compute(), Shape{5}, {8.0 / 3, 4.0 / 3, 20.0 / 3, 4.0 / 3, 4});
    tally::MulticlassStatScores weighted(mc_opts(3, Average::weighted));
    weighted.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(weighted.compute(), Shape{5}, {11.0 / 4, 7.0 / 6, 20.0 / 3, 17.0 / 12, 25.0 / 6});
  }

  SECTION("samplewise: (N, C, 5) for none, (N, 5) for micro") {
    tally::Multiclass::Options o = mc_opts(3, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    tally::MulticlassStatScores sw_labels(o);
    sw_labels.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    const std::vector<double> rows{1, 0, 4, 1, 2, 2, 0, 3, 1, 3, 1, 2, 3, 0, 1,
                                   2, 0, 4, 0, 2, 1, 1, 3, 1, 2, 1, 1, 3, 1, 2};
    expect_values(sw_labels.compute(), Shape{2, 3, 5}, rows);
    tally::MulticlassStatScores sw_scores(o);
    sw_scores.update(view_of(ss_scores_for<float>(preds, 2, 3, 6), {2, 3, 2, 3}),
                     view_of(target, {2, 2, 3}));
    expect_values(sw_scores.compute(), Shape{2, 3, 5}, rows);

    o.average = Average::micro;
    tally::MulticlassStatScores sw_micro(o);
    sw_micro.update(view_of(preds, {2, 6}), view_of(target, {2, 6}));
    expect_values(sw_micro.compute(), Shape{2, 5}, {4, 2, 10, 2, 6, 4, 2, 10, 2, 6});
  }
}

TEST_CASE("multiclass samplewise keeps the sample axis for a single sample") {
  tally::Multiclass::Options o = mc_opts(3, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores m(o);
  m.update(view_of<int>({2, 1, 0, 1}, {1, 4}), view_of<int>({2, 1, 0, 0}, {1, 4}));
  expect_values(m.compute(), Shape{1, 5}, {3, 1, 7, 1, 4});
}

TEST_CASE("multiclass successive updates may have different shapes") {
  tally::Multiclass::Options o = mc_opts(3, Average::micro);
  tally::MulticlassStatScores g(o);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores sw(o);
  for (auto* m : {&g, &sw}) {
    m->update(view_of<int>({0, 1, 2, 2, 2, 1}, {2, 3}), view_of<int>({0, 1, 1, 2, 0, 1}, {2, 3}));
    m->update(view_of<int>({1, 1, 0, 0}, {1, 2, 2}), view_of<int>({1, 2, 0, 0}, {1, 2, 2}));
  }
  // sample 0: 2 correct of 3; sample 1: 2 of 3; sample 2: 3 of 4.
  expect_values(sw.compute(), Shape{3, 5}, {2, 1, 5, 1, 3, 2, 1, 5, 1, 3, 3, 1, 7, 1, 4});
  expect_values(g.compute(), Shape{5}, {7, 3, 17, 3, 10});
}

TEMPLATE_TEST_CASE("multiclass label types give identical counts", "", std::uint8_t,
                   std::int16_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({2, 1, 0, 1, 4, 4}, Shape{6});
  const buffer<TestType> target({2, 1, 0, 0, 255, 255}, Shape{6});
  tally::MulticlassStatScores m(mc_opts(5, Average::none, 255));
  m.update(preds.view(), target.view());
  expect_values(m.compute(), Shape{5, 5},
                {1, 0, 2, 1, 2, 1, 1, 2, 0, 1, 1, 0, 3, 0, 1, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0});
}

TEST_CASE("multiclass mixed label types: uint8 target, int64 preds") {
  std::vector<std::uint8_t> target{2, 1, 0, 0, 255};
  tally::MulticlassStatScores m(mc_opts(3, Average::micro, 255));
  m.update(std::vector<std::int64_t>{2, 1, 0, 1, 0}, target);
  expect_values(m.compute(), Shape{5}, {3, 1, 7, 1, 4});
}

TEMPLATE_TEST_CASE("multiclass float and double scores give the same counts", "", float, double) {
  const std::vector<int> preds{0, 1, 2, 2, 2, 1, 1, 1, 0, 0, 2, 2};
  const std::vector<int> target{0, 1, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1};
  tally::MulticlassStatScores m(mc_opts(3, Average::none));
  m.update(view_of(ss_scores_for<TestType>(preds, 12, 3, 1), {12, 3}), view_of(target, {12}));
  expect_values(m.compute(), Shape{3, 5}, {3, 0, 8, 1, 4, 3, 1, 6, 2, 5, 2, 3, 6, 1, 3});
}

TEST_CASE("multiclass StatScores with nothing counted: zeros, weighted NaN, zero rows") {
  SECTION("before any update") {
    const tally::MulticlassStatScores none(mc_opts(3, Average::none));
    expect_values(none.compute(), Shape{3, 5}, std::vector<double>(15, 0.0));
    const tally::MulticlassStatScores micro(mc_opts(3, Average::micro));
    expect_values(micro.compute(), Shape{5}, {0, 0, 0, 0, 0});
    const tally::MulticlassStatScores macro(mc_opts(3, Average::macro));
    expect_values(macro.compute(), Shape{5}, {0, 0, 0, 0, 0});
    const tally::MulticlassStatScores weighted(mc_opts(3, Average::weighted));
    expect_values(weighted.compute(), Shape{5}, {qnan, qnan, qnan, qnan, qnan});
  }
  SECTION("after an all-ignored batch") {
    for (Average avg : {Average::none, Average::micro, Average::macro, Average::weighted}) {
      tally::MulticlassStatScores m(mc_opts(3, avg, 255));
      m.update(std::vector<int>{0, 1}, std::vector<int>{255, 255});
      if (avg == Average::none)
        expect_values(m.compute(), Shape{3, 5}, std::vector<double>(15, 0.0));
      else if (avg == Average::weighted)
        expect_values(m.compute(), Shape{5}, {qnan, qnan, qnan, qnan, qnan});
      else
        expect_values(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
    }
  }
  SECTION("samplewise before any update") {
    tally::Multiclass::Options o = mc_opts(3, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    expect_values(tally::MulticlassStatScores(o).compute(), Shape{0, 3, 5}, {});
    o.average = Average::micro;
    expect_values(tally::MulticlassStatScores(o).compute(), Shape{0, 5}, {});
  }
}

TEST_CASE("multiclass samplewise weighted normalizes weights per sample, empty sample is NaN") {
  tally::Multiclass::Options o = mc_opts(3, Average::weighted, 255);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores m(o);
  m.update(view_of<int>({2, 1, 0, 1, 0, 0, 0, 0}, {2, 4}),
           view_of<int>({2, 1, 0, 0, 255, 255, 255, 255}, {2, 4}));
  expect_values(m.compute(), Shape{2, 5}, {1, 0.25, 2.25, 0.5, 1.5, qnan, qnan, qnan, qnan, qnan});
}

TEST_CASE("multiclass counts() holds one [[tn, fp], [fn, tp]] block per class") {
  tally::MulticlassStatScores m(mc_opts(3, Average::micro));
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  expect_counts(m.counts(), Shape{3, 2, 2}, {2, 0, 1, 1, 2, 1, 0, 1, 3, 0, 0, 1});

  tally::Multiclass::Options o = mc_opts(3, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MulticlassStatScores sw(o);
  sw.update(view_of<int>({2, 1, 0, 1}, {2, 2}), view_of<int>({2, 1, 0, 0}, {2, 2}));
  // sample 0: pairs (2,2), (1,1); sample 1: (0,0), (0,1)
  expect_counts(sw.counts(), Shape{2, 3, 2, 2},
                {2, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 2, 0, 0, 0});
}

// =============================================================================================
// Multilabel
// =============================================================================================

TEST_CASE("multilabel ignore_index masks single elements (the section 2.4 example)") {
  tally::MultilabelStatScores m(ml_opts(2, Average::none, 255));
  m.update(view_of<int>({0, 1, 1, 1}, {2, 2}), view_of<int>({0, 255, 1, 0}, {2, 2}));
  expect_values(m.compute(), Shape{2, 5}, {1, 0, 1, 0, 1, 0, 1, 0, 0, 0});
}

TEST_CASE("multilabel ignore_index 0 drops negatives, 1 drops positives, no label is special") {
  const std::vector<int> preds{1, 0, 1, 1}, target{1, 0, 0, 1};
  tally::MultilabelStatScores zero(ml_opts(2, Average::none, 0));
  zero.update(view_of(preds, {2, 2}), view_of(target, {2, 2}));
  expect_values(zero.compute(), Shape{2, 5}, {1, 0, 0, 0, 1, 1, 0, 0, 0, 1});
  tally::MultilabelStatScores one(ml_opts(2, Average::none, 1));
  one.update(view_of(preds, {2, 2}), view_of(target, {2, 2}));
  expect_values(one.compute(), Shape{2, 5}, {0, 1, 0, 0, 0, 0, 0, 1, 0, 0});
}

TEST_CASE("multilabel logit rule looks at all labels of the update, ignored ones included") {
  SECTION("a value outside [0, 1] in label 1 makes label 0 logits too") {
    tally::MultilabelStatScores m(ml_opts(2, Average::none));
    m.update(view_of<double>({0.2, 0.9, 0.6, 1.5}, {2, 2}), view_of<int>({0, 1, 1, 1}, {2, 2}));
    expect_values(m.compute(), Shape{2, 5}, {1, 1, 0, 0, 1, 2, 0, 0, 0, 2});
  }
  SECTION("all inside [0, 1]: probabilities") {
    tally::MultilabelStatScores m(ml_opts(2, Average::none));
    m.update(view_of<double>({0.2, 0.9, 0.6, 1.0}, {2, 2}), view_of<int>({0, 1, 1, 1}, {2, 2}));
    expect_values(m.compute(), Shape{2, 5}, {1, 0, 1, 0, 1, 2, 0, 0, 0, 2});
  }
  SECTION("an ignored 5.0 triggers the sigmoid") {
    tally::MultilabelStatScores m(ml_opts(2, Average::none, 255));
    m.update(view_of<double>({0.2, 5.0}, {1, 2}), view_of<int>({0, 255}, {1, 2}));
    expect_values(m.compute(), Shape{2, 5}, {0, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("multilabel threshold is strict") {
  tally::Multilabel::Options o = ml_opts(2, Average::none);
  o.threshold = 0.75;
  tally::MultilabelStatScores m(o);
  m.update(view_of<float>({0.75f, 0.875f}, {1, 2}), view_of<int>({1, 1}, {1, 2}));
  expect_values(m.compute(), Shape{2, 5}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 1});
}

TEST_CASE("multilabel rank-3 input pools each label over samples and trailing positions") {
  const std::vector<int> preds{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1};
  const std::vector<int> target{1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1};
  SECTION("global") {
    tally::MultilabelStatScores none(ml_opts(2, Average::none));
    none.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(none.compute(), Shape{2, 5}, {2, 2, 2, 0, 2, 3, 0, 1, 2, 5});
    tally::MultilabelStatScores micro(ml_opts(2, Average::micro));
    micro.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(micro.compute(), Shape{5}, {5, 2, 3, 2, 7});
    tally::MultilabelStatScores macro(ml_opts(2, Average::macro));
    macro.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(macro.compute(), Shape{5}, {2.5, 1, 1.5, 1, 3.5});
    tally::MultilabelStatScores weighted(ml_opts(2, Average::weighted));
    weighted.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(weighted.compute(), Shape{5}, {19.0 / 7, 4.0 / 7, 9.0 / 7, 10.0 / 7, 29.0 / 7});
  }
  SECTION("samplewise: (N, L, 5) for none, (N, 5) for micro") {
    tally::Multilabel::Options o = ml_opts(2, Average::none);
    o.multidim_average = MultidimAverage::samplewise;
    tally::MultilabelStatScores none(o);
    none.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(none.compute(), Shape{2, 2, 5},
                  {1, 1, 1, 0, 1, 2, 0, 0, 1, 3, 1, 1, 1, 0, 1, 1, 0, 1, 1, 2});
    o.average = Average::micro;
    tally::MultilabelStatScores micro(o);
    micro.update(view_of(preds, {2, 2, 3}), view_of(target, {2, 2, 3}));
    expect_values(micro.compute(), Shape{2, 5}, {3, 1, 1, 1, 4, 2, 1, 2, 1, 3});
  }
}

TEST_CASE("multilabel weighted samplewise normalizes weights per sample (section 5.6)") {
  tally::Multilabel::Options o = ml_opts(2, Average::weighted);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores m(o);
  m.update(view_of<int>({1, 0, 0, 1, 1, 1, 0, 0}, {2, 2, 2}),
           view_of<int>({1, 1, 0, 1, 0, 1, 1, 0}, {2, 2, 2}));
  expect_values(m.compute(), Shape{2, 5},
                {1, 0, 1.0 / 3, 2.0 / 3, 5.0 / 3, 0.5, 0.5, 0.5, 0.5, 1.0});
}

TEST_CASE("multilabel samplewise keeps the sample axis for a single sample") {
  tally::Multilabel::Options o = ml_opts(2, Average::none);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores none(o);
  none.update(view_of<int>({1, 0, 0, 1}, {1, 2, 2}), view_of<int>({1, 1, 0, 1}, {1, 2, 2}));
  expect_values(none.compute(), Shape{1, 2, 5}, {1, 0, 0, 1, 2, 1, 0, 1, 0, 1});
  o.average = Average::micro;
  tally::MultilabelStatScores micro(o);
  micro.update(view_of<int>({1, 0, 0, 1}, {1, 2, 2}), view_of<int>({1, 1, 0, 1}, {1, 2, 2}));
  expect_values(micro.compute(), Shape{1, 5}, {2, 0, 1, 1, 3});
}

TEMPLATE_TEST_CASE("multilabel label types bool, uint8, int32, int64 give identical counts", "",
                   bool, std::uint8_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, Shape{2, 2, 3});
  const buffer<TestType> target({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, Shape{2, 2, 3});
  tally::MultilabelStatScores m(ml_opts(2, Average::none));
  m.update(preds.view(), target.view());
  expect_values(m.compute(), Shape{2, 5}, {2, 2, 2, 0, 2, 3, 0, 1, 2, 5});
}

TEST_CASE("multilabel StatScores with nothing counted") {
  for (bool all_ignored : {false, true}) {
    INFO("all_ignored = " << all_ignored);
    for (Average avg : {Average::none, Average::micro, Average::macro, Average::weighted}) {
      tally::MultilabelStatScores m(ml_opts(2, avg, 255));
      if (all_ignored) m.update(view_of<int>({1, 0}, {1, 2}), view_of<int>({255, 255}, {1, 2}));
      if (avg == Average::none)
        expect_values(m.compute(), Shape{2, 5}, std::vector<double>(10, 0.0));
      else if (avg == Average::weighted)
        expect_values(m.compute(), Shape{5}, {qnan, qnan, qnan, qnan, qnan});
      else
        expect_values(m.compute(), Shape{5}, {0, 0, 0, 0, 0});
    }
  }
  tally::Multilabel::Options o = ml_opts(2, Average::none);
  o.multidim_average = MultidimAverage::samplewise;
  expect_values(tally::MultilabelStatScores(o).compute(), Shape{0, 2, 5}, {});
}

TEST_CASE("multilabel counts() holds one [[tn, fp], [fn, tp]] block per label") {
  tally::MultilabelStatScores m(ml_opts(2, Average::micro));
  m.update(view_of<int>({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, {2, 2, 3}),
           view_of<int>({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, {2, 2, 3}));
  expect_counts(m.counts(), Shape{2, 2, 2}, {2, 2, 0, 2, 1, 0, 2, 3});
}

TEST_CASE("multilabel samplewise counts() holds (N, L, 2, 2) blocks") {
  tally::Multilabel::Options o = ml_opts(2, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  tally::MultilabelStatScores m(o);
  m.update(view_of<int>({1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, {2, 2, 3}),
           view_of<int>({1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1}, {2, 2, 3}));
  // sample 0: label 0 [tp 1, fp 1, tn 1], label 1 [tp 2, fn 1];
  // sample 1: label 0 [tp 1, fp 1, tn 1], label 1 [tp 1, tn 1, fn 1].
  expect_counts(m.counts(), Shape{2, 2, 2, 2}, {1, 1, 0, 1, 0, 0, 1, 2, 1, 1, 0, 1, 1, 0, 1, 1});
}

TEST_CASE("a uint8 target 255 is compared by value with ignore_index (no wrap-around)") {
  const std::vector<std::uint8_t> target{1, 255, 0};
  const std::vector<std::uint8_t> preds{1, 0, 0};
  tally::MulticlassStatScores by_value(mc_opts(3, Average::micro, 255));
  by_value.update(preds, target);
  expect_values(by_value.compute(), Shape{5}, {2, 0, 4, 0, 2});

  tally::MulticlassStatScores minus_one(mc_opts(3, Average::micro, -1));
  const tally::MulticlassStatScores before = minus_one;
  REQUIRE_THROWS_AS(minus_one.update(preds, target), tally::error);
  CHECK(minus_one == before);

  tally::BinaryStatScores binary(bin_opts(-1));
  REQUIRE_THROWS_AS(binary.update(preds, target), tally::error);
}
