// Precision, Recall, Specificity, Accuracy, F1Score, FBetaScore (beta 0.5 and 2) and
// JaccardIndex for the binary, multiclass and multilabel tasks: per-class formulas
// (docs/semantics.md section 4), reductions (5), ignore_index (2), top_k (1.4), zero_division and
// empty metrics (5.5).
// Every expected value is an exact fraction hand-computed from the counts in the comments.
#include <tally/tally.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::MultidimAverage;
using tally::Shape;

tally::Binary::Options cl_bin(double zd = 0.0, std::optional<std::int64_t> ii = std::nullopt) {
  tally::Binary::Options o;
  o.zero_division = zd;
  o.ignore_index = ii;
  return o;
}

// The results of every StatScores-family metric on the same updates.
struct cl_all {
  tally::Result precision, recall, specificity, accuracy, f1, f05, f2, jaccard;
};

// Evaluates all eight metrics with the same options. JaccardIndex has no top_k and no
// samplewise form, so it is left empty (shape (0)) for those options.
template <class Task, class P, class T>
cl_all cl_eval_all(const typename Task::Options& o, const P& preds, const T& target) {
  cl_all r;
  r.precision = evaluate(tally::Precision<Task>(o), preds, target);
  r.recall = evaluate(tally::Recall<Task>(o), preds, target);
  r.specificity = evaluate(tally::Specificity<Task>(o), preds, target);
  r.accuracy = evaluate(tally::Accuracy<Task>(o), preds, target);
  r.f1 = evaluate(tally::F1Score<Task>(o), preds, target);
  r.f05 = evaluate(tally::FBetaScore<Task>(0.5, o), preds, target);
  r.f2 = evaluate(tally::FBetaScore<Task>(2.0, o), preds, target);
  bool jaccard = o.multidim_average == MultidimAverage::global;
  if constexpr (std::is_same_v<Task, tally::Multiclass>) jaccard = jaccard && o.top_k == 1;
  if (jaccard) r.jaccard = evaluate(tally::JaccardIndex<Task>(o), preds, target);
  return r;
}

// The same, before any update.
template <class Task>
cl_all cl_empty_all(const typename Task::Options& o) {
  cl_all r;
  r.precision = tally::Precision<Task>(o).compute();
  r.recall = tally::Recall<Task>(o).compute();
  r.specificity = tally::Specificity<Task>(o).compute();
  r.accuracy = tally::Accuracy<Task>(o).compute();
  r.f1 = tally::F1Score<Task>(o).compute();
  r.f05 = tally::FBetaScore<Task>(0.5, o).compute();
  r.f2 = tally::FBetaScore<Task>(2.0, o).compute();
  if (o.multidim_average == MultidimAverage::global)
    r.jaccard = tally::JaccardIndex<Task>(o).compute();
  return r;
}

// Scores (N, C) whose argmax is the given label.
template <class S>
std::vector<S> cl_scores_for(const std::vector<int>& labels, std::size_t c) {
  std::vector<S> s(labels.size() * c);
  for (std::size_t i = 0; i < labels.size(); ++i)
    for (std::size_t k = 0; k < c; ++k)
      s[i * c + k] = static_cast<int>(k) == labels[i] ? S(0.75) : S(0.125);
  return s;
}

}  // namespace

// =============================================================================================
// The seed case
// =============================================================================================

TEST_CASE("micro F1 with ignore_index 255 skips the void label (the seed case)") {
  const std::vector<int> preds{1, 1, 1, 2, 2, 2, 3};
  const std::vector<int> target{1, 1, 1, 2, 2, 2, 255};

  SECTION("options assigned field by field (C++17)") {
    tally::Multiclass::Options o;
    o.num_classes = 6;
    o.ignore_index = 255;
    o.average = tally::Average::micro;
    tally::MulticlassF1Score f1(o);
    f1.update(preds, target);
    CHECK(f1.compute().value() == 1.0);
    CHECK(f1.compute().shape() == Shape{});
  }
#if __cplusplus >= 202002L
  SECTION("designated initializers (C++20)") {
    tally::MulticlassF1Score f1(
        {.num_classes = 6, .ignore_index = 255, .average = tally::Average::micro});
    f1.update(preds, target);
    CHECK(f1.compute().value() == 1.0);
  }
#endif
}

TEST_CASE("without ignore_index, a target 255 is an error that names 255, the class range "
          "and ignore_index") {
  tally::Multiclass::Options o;
  o.num_classes = 6;
  o.average = tally::Average::micro;
  tally::MulticlassF1Score f1(o);
  f1.update(std::vector<int>{1, 2}, std::vector<int>{1, 2});
  const tally::MulticlassF1Score before = f1;
  std::string what;
  try {
    f1.update(std::vector<int>{1, 1, 1, 2, 2, 2, 3}, std::vector<int>{1, 1, 1, 2, 2, 2, 255});
  } catch (const tally::error& e) {
    what = e.what();
  }
  INFO("message: " << what);
  REQUIRE_FALSE(what.empty());
  CHECK(contains(what, "255"));
  CHECK(contains(what, "[0, 6)"));
  CHECK(contains(what, "ignore_index"));
  CHECK(f1 == before);  // strong guarantee: nothing of the failed batch was counted
  CHECK(f1.compute().value() == 1.0);
}

// =============================================================================================
// Binary
// =============================================================================================

TEST_CASE("binary metrics from one set of counts (tp 3, fp 1, tn 2, fn 2)") {
  const auto r = cl_eval_all<tally::Binary>(cl_bin(), std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0},
                                            std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  expect_scalar(r.precision, 3.0 / 4);    // tp / (tp + fp)
  expect_scalar(r.recall, 3.0 / 5);       // tp / (tp + fn)
  expect_scalar(r.specificity, 2.0 / 3);  // tn / (tn + fp)
  expect_scalar(r.accuracy, 5.0 / 8);     // (tp + tn) / all
  expect_scalar(r.f1, 2.0 / 3);           // 2tp / (2tp + fp + fn)
  expect_scalar(r.f05, 5.0 / 7);          // 1.25tp / (1.25tp + 0.25fn + fp)
  expect_scalar(r.f2, 5.0 / 8);           // 5tp / (5tp + 4fn + fp)
  expect_scalar(r.jaccard, 1.0 / 2);      // tp / (tp + fp + fn)
}

TEST_CASE("binary 0/0 gives zero_division, except accuracy and specificity which give 0") {
  const double zd = GENERATE(0.0, 1.0);
  INFO("zero_division = " << zd);
  SECTION("no positive pred and no positive target: tp + fp = tp + fn = 0") {
    const auto r =
        cl_eval_all<tally::Binary>(cl_bin(zd), std::vector<int>{0, 0}, std::vector<int>{0, 0});
    expect_scalar(r.precision, zd);
    expect_scalar(r.recall, zd);
    expect_scalar(r.f1, zd);
    expect_scalar(r.f05, zd);
    expect_scalar(r.f2, zd);
    expect_scalar(r.jaccard, zd);
    expect_scalar(r.specificity, 1.0);
    expect_scalar(r.accuracy, 1.0);
  }
  SECTION("no negative target: specificity is 0/0 = 0 whatever zero_division is") {
    const auto r =
        cl_eval_all<tally::Binary>(cl_bin(zd), std::vector<int>{1, 1}, std::vector<int>{1, 1});
    expect_scalar(r.specificity, 0.0);
    expect_scalar(r.precision, 1.0);
    expect_scalar(r.accuracy, 1.0);
    expect_scalar(r.jaccard, 1.0);
  }
  SECTION("only precision is 0/0 when nothing is predicted positive but a target is") {
    const auto r =
        cl_eval_all<tally::Binary>(cl_bin(zd), std::vector<int>{0, 0}, std::vector<int>{0, 1});
    expect_scalar(r.precision, zd);
    expect_scalar(r.recall, 0.0);
    expect_scalar(r.f1, 0.0);
    expect_scalar(r.f2, 0.0);
    expect_scalar(r.jaccard, 0.0);
    expect_scalar(r.accuracy, 0.5);
  }
}

TEST_CASE("binary metrics before any update: zero_division, or 0 for accuracy and specificity") {
  for (double zd : {0.0, 1.0}) {
    INFO("zero_division = " << zd);
    const auto r = cl_empty_all<tally::Binary>(cl_bin(zd));
    expect_scalar(r.precision, zd);
    expect_scalar(r.recall, zd);
    expect_scalar(r.f1, zd);
    expect_scalar(r.f05, zd);
    expect_scalar(r.f2, zd);
    expect_scalar(r.jaccard, zd);
    expect_scalar(r.specificity, 0.0);
    expect_scalar(r.accuracy, 0.0);
  }
}

TEST_CASE("binary metrics after an all-ignored batch equal the empty metric") {
  const auto r = cl_eval_all<tally::Binary>(cl_bin(1.0, 255), std::vector<double>{0.2, 0.9},
                                            std::vector<int>{255, 255});
  expect_scalar(r.precision, 1.0);
  expect_scalar(r.f1, 1.0);
  expect_scalar(r.jaccard, 1.0);
  expect_scalar(r.specificity, 0.0);
  expect_scalar(r.accuracy, 0.0);
}

TEST_CASE("binary JaccardIndex decides probabilities vs logits from kept elements only") {
  // preds [0.3, 0.7, 5.0], target [0, 1, ignored]. The StatScores family sees the ignored 5.0
  // and applies the sigmoid (0.3 -> 0.57 is an fp); JaccardIndex does not (0.3 is a tn).
  const std::vector<double> preds{0.3, 0.7, 5.0};
  const std::vector<int> target{0, 1, -1};
  const auto r = cl_eval_all<tally::Binary>(cl_bin(0.0, -1), preds, target);
  expect_scalar(r.f1, 2.0 / 3);
  expect_scalar(r.precision, 0.5);
  expect_scalar(r.jaccard, 1.0);

  SECTION("a kept value outside [0, 1] does make JaccardIndex read logits") {
    // logits: sigmoid(0.3) > 0.5 is a tp; read as a probability it would be an fn.
    expect_scalar(evaluate(tally::BinaryJaccardIndex(cl_bin()), std::vector<double>{0.3, -1.0},
                           std::vector<int>{1, 0}),
                  1.0);
    expect_scalar(evaluate(tally::BinaryJaccardIndex(cl_bin()), std::vector<double>{0.3, 0.0},
                           std::vector<int>{1, 0}),
                  0.0);
  }
}

TEST_CASE("binary samplewise scores one value per sample, shape (N)") {
  tally::Binary::Options o = cl_bin();
  o.multidim_average = MultidimAverage::samplewise;
  // sample 0: tp 2, fn 1; sample 1: tn 3.
  const std::vector<int> preds{1, 0, 1, 0, 0, 0};
  const std::vector<int> target{1, 1, 1, 0, 0, 0};
  const auto r = cl_eval_all<tally::Binary>(o, view_of(preds, {2, 3}), view_of(target, {2, 3}));
  expect_values(r.precision, Shape{2}, {1.0, 0.0});
  expect_values(r.recall, Shape{2}, {2.0 / 3, 0.0});
  expect_values(r.specificity, Shape{2}, {0.0, 1.0});
  expect_values(r.accuracy, Shape{2}, {2.0 / 3, 1.0});
  expect_values(r.f1, Shape{2}, {4.0 / 5, 0.0});
  expect_values(r.f05, Shape{2}, {10.0 / 11, 0.0});
  expect_values(r.f2, Shape{2}, {5.0 / 7, 0.0});

  SECTION("zero_division 1 fills the 0/0 of sample 1") {
    o.zero_division = 1.0;
    const auto z = cl_eval_all<tally::Binary>(o, view_of(preds, {2, 3}), view_of(target, {2, 3}));
    expect_values(z.precision, Shape{2}, {1.0, 1.0});
    expect_values(z.recall, Shape{2}, {2.0 / 3, 1.0});
    expect_values(z.f1, Shape{2}, {4.0 / 5, 1.0});
    expect_values(z.specificity, Shape{2}, {0.0, 1.0});
  }
}

TEST_CASE("binary samplewise keeps the sample axis for N = 1 (section 5.4)") {
  tally::Binary::Options o = cl_bin();
  o.multidim_average = MultidimAverage::samplewise;
  expect_values(evaluate(tally::BinaryRecall(o), view_of<int>({1, 0, 1}, {1, 3}),
                         view_of<int>({1, 1, 1}, {1, 3})),
                Shape{1}, {2.0 / 3});
}

TEST_CASE("binary samplewise before any update has zero rows") {
  tally::Binary::Options o = cl_bin();
  o.multidim_average = MultidimAverage::samplewise;
  const auto r = cl_empty_all<tally::Binary>(o);
  expect_values(r.precision, Shape{0}, {});
  expect_values(r.recall, Shape{0}, {});
  expect_values(r.specificity, Shape{0}, {});
  expect_values(r.accuracy, Shape{0}, {});
  expect_values(r.f1, Shape{0}, {});
  expect_values(r.f2, Shape{0}, {});
}

TEST_CASE("binary samplewise with a zero-size trailing axis gives empty-count values") {
  tally::Binary::Options o = cl_bin(1.0);
  o.multidim_average = MultidimAverage::samplewise;
  const std::vector<int> none;
  expect_values(evaluate(tally::BinaryRecall(o), view_of(none, {2, 0}), view_of(none, {2, 0})),
                Shape{2}, {1.0, 1.0});
  expect_values(evaluate(tally::BinaryAccuracy(o), view_of(none, {2, 0}), view_of(none, {2, 0})),
                Shape{2}, {0.0, 0.0});
}

TEMPLATE_TEST_CASE("binary F1 is the same for bool, uint8, int32 and int64 labels", "", bool,
                   std::uint8_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({1, 1, 1, 1, 0, 0, 0, 0}, Shape{8});
  const buffer<TestType> target({1, 1, 1, 0, 1, 1, 0, 0}, Shape{8});
  expect_scalar(evaluate(tally::BinaryF1Score(cl_bin()), preds.view(), target.view()), 2.0 / 3);
  expect_scalar(evaluate(tally::BinaryJaccardIndex(cl_bin()), preds.view(), target.view()), 0.5);
}

TEMPLATE_TEST_CASE("binary F1 is the same for float and double probabilities and logits", "",
                   float, double) {
  using S = TestType;
  expect_scalar(
      evaluate(tally::BinaryF1Score(cl_bin()),
               std::vector<S>{S(0.75), S(0.875), S(0.625), S(0.5), S(0.25), S(0), S(1), S(0)},
               std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0}),
      2.0 / 3);  // preds > 0.5: [1,1,1,0,0,0,1,0] -> tp 3, fp 1, fn 2
  expect_scalar(evaluate(tally::BinaryF1Score(cl_bin()),
                         std::vector<S>{S(2), S(1), S(3), S(-1), S(-2), S(-1), S(4), S(0)},
                         std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0}),
                2.0 / 3);  // the same decisions as logits (a logit of 0 is negative)
}

// =============================================================================================
// Multiclass: formulas and reductions
// =============================================================================================

TEST_CASE("multiclass micro precision, recall, F-beta and accuracy all equal correct / kept") {
  // Section 4 example: preds [2,1,0,1], target [2,1,0,0]; 3 of 4 correct.
  // micro sums [3, 1, 7, 1, 4]: specificity 7 / 8, Jaccard 3 / (3 + 1 + 1).
  const auto r = cl_eval_all<tally::Multiclass>(
      mc_opts(3, Average::micro), std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  expect_scalar(r.precision, 0.75);
  expect_scalar(r.recall, 0.75);
  expect_scalar(r.accuracy, 0.75);
  expect_scalar(r.f1, 0.75);
  expect_scalar(r.f05, 0.75);
  expect_scalar(r.f2, 0.75);
  expect_scalar(r.specificity, 7.0 / 8);
  expect_scalar(r.jaccard, 3.0 / 5);
}

TEST_CASE("multiclass per-class values and their macro and weighted means") {
  // Per class [tp, fp, tn, fn, support]: [1,0,2,1,2], [1,1,2,0,1], [1,0,3,0,1].
  const std::vector<int> preds{2, 1, 0, 1}, target{2, 1, 0, 0};
  SECTION("none") {
    const auto r = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::none), preds, target);
    expect_values(r.precision, Shape{3}, {1, 0.5, 1});
    expect_values(r.recall, Shape{3}, {0.5, 1, 1});
    expect_values(r.specificity, Shape{3}, {1, 2.0 / 3, 1});
    expect_values(r.accuracy, Shape{3}, {0.5, 1, 1});  // multiclass accuracy per class = recall
    expect_values(r.f1, Shape{3}, {2.0 / 3, 2.0 / 3, 1});
    expect_values(r.f05, Shape{3}, {5.0 / 6, 5.0 / 9, 1});
    expect_values(r.f2, Shape{3}, {5.0 / 9, 5.0 / 6, 1});
    expect_values(r.jaccard, Shape{3}, {0.5, 0.5, 1});
  }
  SECTION("macro: the plain mean of the per-class values") {
    const auto r = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro), preds, target);
    expect_scalar(r.precision, 5.0 / 6);
    expect_scalar(r.recall, 5.0 / 6);
    expect_scalar(r.specificity, 8.0 / 9);
    expect_scalar(r.accuracy, 5.0 / 6);
    expect_scalar(r.f1, 7.0 / 9);
    expect_scalar(r.f05, 43.0 / 54);
    expect_scalar(r.f2, 43.0 / 54);
    expect_scalar(r.jaccard, 2.0 / 3);
  }
  SECTION("weighted: weights are the supports [2, 1, 1]") {
    const auto r = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::weighted), preds, target);
    expect_scalar(r.precision, 7.0 / 8);
    expect_scalar(r.recall, 3.0 / 4);
    expect_scalar(r.specificity, 11.0 / 12);
    expect_scalar(r.accuracy, 3.0 / 4);
    expect_scalar(r.f1, 3.0 / 4);
    expect_scalar(r.f05, 29.0 / 36);
    expect_scalar(r.f2, 53.0 / 72);
    expect_scalar(r.jaccard, 5.0 / 8);
  }
}

TEST_CASE("macro F1 drops classes absent from preds and target") {
  // C = 4, preds [0,1,1], target [0,1,0]: classes 2 and 3 never occur.
  // class 0: tp 1, fn 1; class 1: tp 1, fp 1.
  const std::vector<int> preds{0, 1, 1}, target{0, 1, 0};
  for (double zd : {0.0, 1.0}) {
    INFO("zero_division = " << zd);
    const auto none =
        cl_eval_all<tally::Multiclass>(mc_opts(4, Average::none, {}, zd), preds, target);
    expect_values(none.f1, Shape{4}, {2.0 / 3, 2.0 / 3, zd, zd});
    expect_values(none.specificity, Shape{4}, {1, 0.5, 1, 1});
    expect_values(none.accuracy, Shape{4}, {0.5, 1, 0, 0});

    const auto macro =
        cl_eval_all<tally::Multiclass>(mc_opts(4, Average::macro, {}, zd), preds, target);
    expect_scalar(macro.f1, 2.0 / 3);  // not (2/3 + 2/3 + zd + zd) / 4
    expect_scalar(macro.f05, 25.0 / 36);
    expect_scalar(macro.f2, 25.0 / 36);
    expect_scalar(macro.precision, 3.0 / 4);
    expect_scalar(macro.recall, 3.0 / 4);
    expect_scalar(macro.specificity, 3.0 / 4);  // not (1 + 0.5 + 1 + 1) / 4
    expect_scalar(macro.accuracy, 3.0 / 4);
    expect_scalar(macro.jaccard, 1.0 / 2);
  }
}

TEST_CASE("macro keeps the zero_division value of a class that occurs (section 5.2)") {
  // C = 3, preds [0,0], target [0,1], zd = 1. Class 1 has precision 0/0 = 1 and stays in macro
  // because fn_1 = 1; class 2 never occurs and is dropped.
  const std::vector<int> preds{0, 0}, target{0, 1};
  expect_values(
      evaluate(tally::MulticlassPrecision(mc_opts(3, Average::none, {}, 1.0)), preds, target),
      Shape{3}, {0.5, 1, 1});
  expect_scalar(
      evaluate(tally::MulticlassPrecision(mc_opts(3, Average::macro, {}, 1.0)), preds, target),
      0.75);
}

TEST_CASE("macro with every class dropped is 0 whatever zero_division, JaccardIndex is NaN") {
  // Section 5.5: C = 3, ii = 0, preds [0], target [0]: nothing is kept.
  const std::vector<int> preds{0}, target{0};
  expect_values(
      evaluate(tally::MulticlassF1Score(mc_opts(3, Average::none, 0, 1.0)), preds, target),
      Shape{3}, {1, 1, 1});
  expect_scalar(
      evaluate(tally::MulticlassF1Score(mc_opts(3, Average::micro, 0, 1.0)), preds, target), 1);
  expect_scalar(
      evaluate(tally::MulticlassF1Score(mc_opts(3, Average::macro, 0, 1.0)), preds, target), 0);
  expect_scalar(
      evaluate(tally::MulticlassF1Score(mc_opts(3, Average::weighted, 0, 1.0)), preds, target), 0);
  expect_scalar(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::macro, 0, 1.0)), preds, target),
      qnan);
  expect_scalar(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::weighted, 0, 1.0)), preds, target),
      qnan);
}

TEST_CASE("multiclass metrics with nothing counted (section 5.5)") {
  for (double zd : {0.0, 1.0}) {
    for (bool all_ignored : {false, true}) {
      INFO("zero_division = " << zd << ", all_ignored = " << all_ignored);
      const std::vector<int> preds{1, 2}, target{255, 255};
      auto run = [&](Average avg) {
        const auto o = mc_opts(3, avg, 255, zd);
        return all_ignored ? cl_eval_all<tally::Multiclass>(o, preds, target)
                           : cl_empty_all<tally::Multiclass>(o);
      };
      const auto none = run(Average::none);
      for (const auto* r : {&none.precision, &none.recall, &none.f1, &none.f05, &none.f2,
                            &none.jaccard})
        expect_values(*r, Shape{3}, {zd, zd, zd});
      expect_values(none.accuracy, Shape{3}, {0, 0, 0});
      expect_values(none.specificity, Shape{3}, {0, 0, 0});

      const auto micro = run(Average::micro);
      for (const auto* r : {&micro.precision, &micro.recall, &micro.f1, &micro.f05, &micro.f2,
                            &micro.jaccard})
        expect_scalar(*r, zd);
      expect_scalar(micro.accuracy, 0);
      expect_scalar(micro.specificity, 0);

      for (Average avg : {Average::macro, Average::weighted}) {
        const auto r = run(avg);
        for (const auto* x : {&r.precision, &r.recall, &r.f1, &r.f05, &r.f2, &r.accuracy,
                              &r.specificity})
          expect_scalar(*x, 0);
        expect_scalar(r.jaccard, qnan);
      }
    }
  }
}

TEST_CASE("multiclass FBeta with beta 0.5 weighs precision, beta 2 weighs recall") {
  // One class, tp 1, fp 0, fn 1 (precision 1, recall 0.5) and one with tp 1, fp 1, fn 0.
  // Section 4 example, classes 0 and 1.
  const std::vector<int> preds{2, 1, 0, 1}, target{2, 1, 0, 0};
  const auto f05 =
      evaluate(tally::MulticlassFBetaScore(0.5, mc_opts(3, Average::none)), preds, target);
  const auto f2 =
      evaluate(tally::MulticlassFBetaScore(2.0, mc_opts(3, Average::none)), preds, target);
  expect_values(f05, Shape{3}, {5.0 / 6, 5.0 / 9, 1});
  expect_values(f2, Shape{3}, {5.0 / 9, 5.0 / 6, 1});
  SECTION("beta 1 equals F1") {
    CHECK(evaluate(tally::MulticlassFBetaScore(1.0, mc_opts(3, Average::none)), preds, target) ==
          evaluate(tally::MulticlassF1Score(mc_opts(3, Average::none)), preds, target));
  }
  SECTION("a beta whose square overflows gives recall, one whose square underflows precision") {
    // beta^2 = inf would make the textbook formula inf/inf = NaN; beta^2 = 0 drops fn.
    const auto big =
        evaluate(tally::MulticlassFBetaScore(1e200, mc_opts(3, Average::none)), preds, target);
    const auto tiny =
        evaluate(tally::MulticlassFBetaScore(1e-200, mc_opts(3, Average::none)), preds, target);
    expect_values(big, Shape{3}, {0.5, 1, 1});
    expect_values(tiny, Shape{3}, {1, 0.5, 1});
  }
}

TEST_CASE("F-beta with tp = 0 and some fp or fn is 0 for every beta, never zero_division") {
  // C = 2, one position: target 0, pred 1. Class 0: tp 0, fp 0, fn 1; class 1: tp 0, fp 1, fn 0.
  // At beta 1e-200 (beta^2 = 0) the formula's denominator for class 0 is 0; at beta 1e200
  // (beta^2 = inf) class 1's is inf * 0 = NaN. Both are 0 by the limit, as for any other beta.
  const std::vector<int> preds{1}, target{0};
  for (const double beta : {1e-200, 1e-3, 0.5, 2.0, 1e3, 1e200}) {
    CAPTURE(beta);
    expect_values(
        evaluate(tally::MulticlassFBetaScore(beta, mc_opts(2, Average::none, std::nullopt, 1.0)),
                 preds, target),
        Shape{2}, {0, 0});
  }
}

// =============================================================================================
// Multiclass: top_k
// =============================================================================================

TEST_CASE("top_k = 2 counts one prediction per position (section 1.4 example)") {
  // Predictions: 0 (hit), 2 (miss -> top-1), 2 (hit).
  const std::vector<double> scores{.1, .9, 0, .3, .1, .6, .2, .5, .3};
  const std::vector<int> target{0, 1, 2};
  auto o = mc_opts(3, Average::micro, {}, 0.0, 2);
  expect_scalar(evaluate(tally::MulticlassAccuracy(o), view_of(scores, {3, 3}), target), 2.0 / 3);
  o.average = Average::none;
  expect_values(evaluate(tally::MulticlassPrecision(o), view_of(scores, {3, 3}), target), Shape{3},
                {1, 0, 0.5});
  o.average = Average::macro;
  const auto r = cl_eval_all<tally::Multiclass>(o, view_of(scores, {3, 3}), target);
  expect_scalar(r.precision, 0.5);
  expect_scalar(r.recall, 2.0 / 3);
  expect_scalar(r.f1, 5.0 / 9);
  expect_scalar(r.specificity, 5.0 / 6);
}

TEST_CASE("top_k = C makes every kept position a hit") {
  const std::vector<double> scores{.1, .9, 0, .3, .1, .6, .2, .5, .3};
  const std::vector<int> target{0, 1, 2};
  const auto r = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, {}, 0.0, 3),
                                                view_of(scores, {3, 3}), target);
  expect_scalar(r.accuracy, 1.0);
  expect_scalar(r.f1, 1.0);
  expect_scalar(r.precision, 1.0);
}

TEST_CASE("top_k > 1: precision macro drops classes without support (section 5.2)") {
  // scores [[.1,.5,.4,0],[.6,.3,.1,0]], target [2, 0]. With k = 2 both are hits.
  const std::vector<double> scores{.1, .5, .4, 0, .6, .3, .1, 0};
  const std::vector<int> target{2, 0};
  expect_values(evaluate(tally::MulticlassPrecision(mc_opts(4, Average::none, {}, 0.0, 2)),
                         view_of(scores, {2, 4}), target),
                Shape{4}, {1, 0, 1, 0});
  expect_scalar(evaluate(tally::MulticlassPrecision(mc_opts(4, Average::macro, {}, 0.0, 2)),
                         view_of(scores, {2, 4}), target),
                1.0);
  // top_k = 1: predictions [1, 0]; classes 0, 1, 2 have tp + fp + fn > 0.
  expect_scalar(evaluate(tally::MulticlassPrecision(mc_opts(4, Average::macro, {}, 0.0, 1)),
                         view_of(scores, {2, 4}), target),
                1.0 / 3);
}

TEST_CASE("top_k > 1: precision, recall and accuracy use support for macro, F and specificity "
          "keep tp + fp + fn") {
  // scores [[.6,.3,.1],[.2,.7,.1]], target [2, 1], k = 2: position 0 misses (pred 0),
  // position 1 hits. class 0: fp 1 (no support); class 1: tp 1; class 2: fn 1. zd = 1.
  const std::vector<double> scores{.6, .3, .1, .2, .7, .1};
  const std::vector<int> target{2, 1};
  const auto none = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::none, {}, 1.0, 2),
                                                   view_of(scores, {2, 3}), target);
  expect_values(none.precision, Shape{3}, {0, 1, 1});
  expect_values(none.recall, Shape{3}, {1, 1, 0});
  expect_values(none.accuracy, Shape{3}, {0, 1, 0});
  expect_values(none.f1, Shape{3}, {0, 1, 0});
  expect_values(none.specificity, Shape{3}, {0.5, 1, 1});

  const auto k2 = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, {}, 1.0, 2),
                                                 view_of(scores, {2, 3}), target);
  expect_scalar(k2.precision, 1.0);  // classes 1, 2
  expect_scalar(k2.recall, 0.5);
  expect_scalar(k2.accuracy, 0.5);
  expect_scalar(k2.f1, 1.0 / 3);  // classes 0, 1, 2
  expect_scalar(k2.f2, 1.0 / 3);
  expect_scalar(k2.specificity, 5.0 / 6);

  SECTION("the same counts with top_k = 1 keep class 0 everywhere") {
    const auto k1 = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, {}, 1.0, 1),
                                                   std::vector<int>{0, 1}, target);
    expect_scalar(k1.precision, 2.0 / 3);
    expect_scalar(k1.recall, 2.0 / 3);
    expect_scalar(k1.accuracy, 1.0 / 3);
    expect_scalar(k1.f1, 1.0 / 3);
    expect_scalar(k1.specificity, 5.0 / 6);
  }
}

// =============================================================================================
// Multiclass: ignore_index
// =============================================================================================

TEST_CASE("in-range ignore_index keeps class k with its fp (section 2.3 example)") {
  // C = 3, ii = 0, preds [0,1,0,2], target [1,1,2,0]. Kept pairs (1,0), (1,1), (2,0):
  // class 0: fp 2; class 1: tp 1, fn 1; class 2: fn 1.
  const std::vector<int> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  expect_values(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::none, 0)), preds, target),
                Shape{3}, {0, 2.0 / 3, 0});
  expect_scalar(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::macro, 0)), preds, target),
                2.0 / 9);  // class 0 stays because fp_0 = 2
  expect_scalar(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::micro, 0)), preds, target),
                1.0 / 3);
  expect_values(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::none, 0)), preds, target),
      Shape{3}, {0, 0.5, 0});
  expect_scalar(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::macro, 0)), preds, target),
      0.25);  // class 0 is never in the Jaccard macro
  expect_scalar(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::micro, 0)), preds, target),
      1.0 / 3);  // 1 / (5 - fp_0)
}

TEST_CASE("in-range ignore_index: every metric and average, top_k = 1") {
  const std::vector<int> preds{0, 1, 0, 2}, target{1, 1, 2, 0};
  SECTION("zero_division 0") {
    const auto none = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::none, 0), preds, target);
    expect_values(none.precision, Shape{3}, {0, 1, 0});
    expect_values(none.recall, Shape{3}, {0, 0.5, 0});
    expect_values(none.specificity, Shape{3}, {1.0 / 3, 1, 1});  // tn_0 / (tn_0 + fp_0)
    expect_values(none.accuracy, Shape{3}, {0, 0.5, 0});
    expect_values(none.f05, Shape{3}, {0, 5.0 / 6, 0});
    expect_values(none.f2, Shape{3}, {0, 5.0 / 9, 0});

    const auto macro = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, 0), preds, target);
    expect_scalar(macro.precision, 1.0 / 3);
    expect_scalar(macro.recall, 1.0 / 6);
    expect_scalar(macro.specificity, 7.0 / 9);
    expect_scalar(macro.accuracy, 1.0 / 6);
    expect_scalar(macro.f05, 5.0 / 18);
    expect_scalar(macro.f2, 5.0 / 27);

    // Weighted: class 0 has support 0 and weight 0; supports [0, 2, 1].
    const auto weighted =
        cl_eval_all<tally::Multiclass>(mc_opts(3, Average::weighted, 0), preds, target);
    expect_scalar(weighted.precision, 2.0 / 3);
    expect_scalar(weighted.recall, 1.0 / 3);
    expect_scalar(weighted.specificity, 1.0);
    expect_scalar(weighted.accuracy, 1.0 / 3);
    expect_scalar(weighted.f1, 4.0 / 9);
    expect_scalar(weighted.f05, 5.0 / 9);
    expect_scalar(weighted.f2, 10.0 / 27);
    expect_scalar(weighted.jaccard, 1.0 / 3);

    // Micro: each of the 2 wrong predictions is one fp; Σtn = 4.
    const auto micro = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::micro, 0), preds, target);
    expect_scalar(micro.precision, 1.0 / 3);
    expect_scalar(micro.recall, 1.0 / 3);
    expect_scalar(micro.accuracy, 1.0 / 3);
    expect_scalar(micro.specificity, 2.0 / 3);
  }
  SECTION("zero_division 1: precision and recall of the empty cells use it, accuracy does not") {
    const auto none =
        cl_eval_all<tally::Multiclass>(mc_opts(3, Average::none, 0, 1.0), preds, target);
    expect_values(none.precision, Shape{3}, {0, 1, 1});  // class 0: 0 / (0 + 2)
    expect_values(none.recall, Shape{3}, {1, 0.5, 0});   // class 0: 0 / 0
    expect_values(none.accuracy, Shape{3}, {0, 0.5, 0});
    expect_values(none.jaccard, Shape{3}, {0, 0.5, 0});  // class 0: fp_0 > 0

    const auto macro =
        cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, 0, 1.0), preds, target);
    expect_scalar(macro.precision, 2.0 / 3);
    expect_scalar(macro.recall, 1.0 / 2);  // class 0 included with its zd
    expect_scalar(macro.accuracy, 1.0 / 6);
    expect_scalar(macro.jaccard, 1.0 / 4);
  }
}

TEST_CASE("in-range ignore_index with top_k > 1: precision, recall, accuracy never keep class k") {
  // C = 3, ii = 0, k = 2. Rows: [.5,.3,.2] target 2 -> miss, predicted 0 (fp_0, fn_2);
  // [.1,.6,.3] target 1 -> hit; [.6,.1,.3] target 0 -> ignored.
  const std::vector<double> scores{.5, .3, .2, .1, .6, .3, .6, .1, .3};
  const std::vector<int> target{2, 1, 0};
  const auto z0 = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, 0, 0.0, 2),
                                                 view_of(scores, {3, 3}), target);
  expect_scalar(z0.precision, 1.0 / 2);
  expect_scalar(z0.recall, 1.0 / 2);
  expect_scalar(z0.accuracy, 1.0 / 2);
  expect_scalar(z0.f1, 1.0 / 3);           // F keeps class 0 since fp_0 > 0
  expect_scalar(z0.specificity, 5.0 / 6);  // [0.5, 1, 1]

  const auto z1 = cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, 0, 1.0, 2),
                                                 view_of(scores, {3, 3}), target);
  expect_scalar(z1.precision, 1.0);   // classes 1 and 2 (zd): (1 + 1) / 2
  expect_scalar(z1.recall, 1.0 / 2);  // class 0's zd is not included
  expect_scalar(z1.f1, 1.0 / 3);
}

TEST_CASE("in-range ignore_index class that is never predicted is dropped from macro") {
  // C = 3, ii = 0, preds [1,2,2,1], target [1,2,1,0]: class 0 has no counts at all.
  const std::vector<int> preds{1, 2, 2, 1}, target{1, 2, 1, 0};
  const auto none =
      cl_eval_all<tally::Multiclass>(mc_opts(3, Average::none, 0, 1.0), preds, target);
  expect_values(none.precision, Shape{3}, {1, 1, 0.5});
  expect_values(none.recall, Shape{3}, {1, 0.5, 1});
  expect_values(none.specificity, Shape{3}, {1, 1, 0.5});
  expect_values(none.accuracy, Shape{3}, {0, 0.5, 1});
  expect_values(none.f1, Shape{3}, {1, 2.0 / 3, 2.0 / 3});
  expect_values(none.jaccard, Shape{3}, {1, 0.5, 0.5});  // class 0: 0/0 = zd
  const auto macro =
      cl_eval_all<tally::Multiclass>(mc_opts(3, Average::macro, 0, 1.0), preds, target);
  expect_scalar(macro.precision, 3.0 / 4);
  expect_scalar(macro.recall, 3.0 / 4);
  expect_scalar(macro.specificity, 3.0 / 4);
  expect_scalar(macro.accuracy, 3.0 / 4);
  expect_scalar(macro.f1, 2.0 / 3);
  expect_scalar(macro.jaccard, 1.0 / 2);
  expect_scalar(
      evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::micro, 0)), preds, target),
      0.5);  // fp_0 = 0: nothing to subtract
}

TEST_CASE("in-range ignore_index recall (torchmetrics #2441)") {
  // argmax preds [0,0,0,1], target [0,0,1,1], C = 2, ii = 0.
  const std::vector<int> target{0, 0, 1, 1};
  const std::vector<double> scores{0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7};
  const std::vector<int> labels{0, 0, 0, 1};
  expect_values(evaluate(tally::MulticlassRecall(mc_opts(2, Average::none, 0)), labels, target),
                Shape{2}, {0, 0.5});
  expect_scalar(evaluate(tally::MulticlassRecall(mc_opts(2, Average::macro, 0)), labels, target),
                0.25);
  expect_values(evaluate(tally::MulticlassRecall(mc_opts(2, Average::none, 0)),
                         view_of(scores, {4, 2}), target),
                Shape{2}, {0, 0.5});
  expect_scalar(evaluate(tally::MulticlassRecall(mc_opts(2, Average::macro, 0)),
                         view_of(scores, {4, 2}), target),
                0.25);
}

TEST_CASE("in-range vs out-of-range ignore_index on the same predictions (C = 6)") {
  const std::vector<int> preds{0, 1, 1, 3, 0, 4};
  SECTION("ii = 0 (in range)") {
    const std::vector<int> target{0, 1, 2, 0, 5, 5};
    expect_scalar(
        evaluate(tally::MulticlassJaccardIndex(mc_opts(6, Average::macro, 0)), preds, target),
        0.125);
    expect_scalar(
        evaluate(tally::MulticlassJaccardIndex(mc_opts(6, Average::micro, 0)), preds, target),
        1.0 / 6);
    expect_scalar(evaluate(tally::MulticlassF1Score(mc_opts(6, Average::macro, 0)), preds, target),
                  2.0 / 15);
  }
  SECTION("ii = 255 (out of range)") {
    const std::vector<int> target{255, 1, 2, 255, 5, 5};
    expect_scalar(
        evaluate(tally::MulticlassJaccardIndex(mc_opts(6, Average::macro, 255)), preds, target),
        0.1);
    expect_scalar(
        evaluate(tally::MulticlassJaccardIndex(mc_opts(6, Average::micro, 255)), preds, target),
        1.0 / 7);
    expect_scalar(
        evaluate(tally::MulticlassF1Score(mc_opts(6, Average::macro, 255)), preds, target),
        2.0 / 15);
  }
}

TEST_CASE("a pred equal to ignore_index at an ignored position is not checked") {
  // Label maps may carry the void value in both preds and target.
  expect_scalar(evaluate(tally::MulticlassAccuracy(mc_opts(3, Average::micro, 255)),
                         std::vector<int>{255, 1, 2}, std::vector<int>{255, 1, 0}),
                0.5);
}

// =============================================================================================
// Multiclass: samplewise, shapes, types
// =============================================================================================

TEST_CASE("multiclass samplewise applies every rule per sample") {
  // Samples: [0,1,2,2] vs [0,1,1,2]; [0,0,1,1] vs [0,0,0,1] (class 2 absent);
  // [1,2,0,0] vs all ignored.
  const std::vector<int> preds{0, 1, 2, 2, 0, 0, 1, 1, 1, 2, 0, 0};
  const std::vector<int> target{0, 1, 1, 2, 0, 0, 0, 1, 255, 255, 255, 255};
  auto o = mc_opts(3, Average::none, 255);
  o.multidim_average = MultidimAverage::samplewise;
  const auto p = view_of(preds, {3, 4});
  const auto t = view_of(target, {3, 4});

  expect_values(evaluate(tally::MulticlassF1Score(o), p, t), Shape{3, 3},
                {1, 2.0 / 3, 2.0 / 3, 4.0 / 5, 2.0 / 3, 0, 0, 0, 0});
  o.average = Average::macro;
  const auto macro = cl_eval_all<tally::Multiclass>(o, p, t);
  expect_values(macro.f1, Shape{3}, {7.0 / 9, 11.0 / 15, 0});  // class 2 dropped in sample 1
  expect_values(macro.precision, Shape{3}, {5.0 / 6, 3.0 / 4, 0});
  expect_values(macro.specificity, Shape{3}, {8.0 / 9, 5.0 / 6, 0});
  expect_values(macro.f2, Shape{3}, {43.0 / 54, 65.0 / 84, 0});
  o.average = Average::micro;
  const auto micro = cl_eval_all<tally::Multiclass>(o, p, t);
  expect_values(micro.f1, Shape{3}, {0.75, 0.75, 0});
  expect_values(micro.accuracy, Shape{3}, {0.75, 0.75, 0});
  o.average = Average::weighted;
  expect_values(evaluate(tally::MulticlassF1Score(o), p, t), Shape{3}, {3.0 / 4, 23.0 / 30, 0});

  SECTION("zero_division 1 fills the empty cells and the all-ignored sample") {
    o.zero_division = 1.0;
    o.average = Average::none;
    expect_values(evaluate(tally::MulticlassF1Score(o), p, t), Shape{3, 3},
                  {1, 2.0 / 3, 2.0 / 3, 4.0 / 5, 2.0 / 3, 1, 1, 1, 1});
    o.average = Average::micro;
    expect_values(evaluate(tally::MulticlassF1Score(o), p, t), Shape{3}, {0.75, 0.75, 1});
    o.average = Average::macro;
    expect_values(evaluate(tally::MulticlassF1Score(o), p, t), Shape{3}, {7.0 / 9, 11.0 / 15, 0});
  }
}

TEST_CASE("multiclass samplewise keeps the sample axis for N = 1 and has zero rows when empty") {
  auto o = mc_opts(3, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  expect_values(evaluate(tally::MulticlassF1Score(o), view_of<int>({2, 1, 0, 1}, {1, 4}),
                         view_of<int>({2, 1, 0, 0}, {1, 4})),
                Shape{1}, {0.75});
  expect_values(tally::MulticlassF1Score(o).compute(), Shape{0}, {});
  o.average = Average::none;
  expect_values(tally::MulticlassF1Score(o).compute(), Shape{0, 3}, {});
  expect_values(tally::MulticlassRecall(o).compute(), Shape{0, 3}, {});
}

TEMPLATE_TEST_CASE("multiclass F1 is the same for every label type", "", std::uint8_t,
                   std::int16_t, std::int32_t, std::int64_t) {
  const buffer<TestType> preds({2, 1, 0, 1, 0}, Shape{5});
  const buffer<TestType> target({2, 1, 0, 0, 255}, Shape{5});
  expect_scalar(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::macro, 255)), preds.view(),
                         target.view()),
                7.0 / 9);
  expect_scalar(evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::micro, 255)),
                         preds.view(), target.view()),
                3.0 / 5);
}

TEMPLATE_TEST_CASE("multiclass F1 is the same for float and double scores", "", float, double) {
  const std::vector<int> labels{2, 1, 0, 1};
  const std::vector<int> target{2, 1, 0, 0};
  const auto scores = cl_scores_for<TestType>(labels, 3);
  expect_scalar(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::macro)),
                         view_of(scores, {4, 3}), target),
                7.0 / 9);
  expect_scalar(evaluate(tally::MulticlassJaccardIndex(mc_opts(3, Average::macro)),
                         view_of(scores, {4, 3}), target),
                2.0 / 3);
}

TEST_CASE("multiclass scores (N, C, H, W) give the same F1 as label maps (N, H, W)") {
  // N = 1, C = 3, H = 2, W = 2: scores[0][c][h][w]; the labels are the section 4 example.
  const std::vector<double> scores{
      0.0, 0.1, 0.9, 0.2,  // class 0 over (h, w)
      0.1, 0.8, 0.0, 0.7,  // class 1
      0.9, 0.1, 0.1, 0.1,  // class 2
  };  // argmax over axis 1: [[2, 1], [0, 1]]
  const std::vector<int> target{2, 1, 0, 0};
  expect_values(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::none)),
                         view_of(scores, {1, 3, 2, 2}), view_of(target, {1, 2, 2})),
                Shape{3}, {2.0 / 3, 2.0 / 3, 1});
  expect_values(evaluate(tally::MulticlassF1Score(mc_opts(3, Average::none)),
                         view_of<int>({2, 1, 0, 1}, {1, 2, 2}), view_of(target, {1, 2, 2})),
                Shape{3}, {2.0 / 3, 2.0 / 3, 1});
}

// =============================================================================================
// Multilabel
// =============================================================================================

TEST_CASE("multilabel macro keeps labels absent everywhere (section 5.2)") {
  // preds [[1, 0]], target [[1, 0]]: label 1 is 0/0.
  const std::vector<int> p_data{1, 0};
  const auto p = view_of(p_data, {1, 2});
  const std::vector<int> t_data{1, 0};
  const auto t = view_of(t_data, {1, 2});
  expect_scalar(evaluate(tally::MultilabelF1Score(ml_opts(2, Average::macro, {}, 0.0)), p, t), 0.5);
  expect_scalar(evaluate(tally::MultilabelF1Score(ml_opts(2, Average::macro, {}, 1.0)), p, t), 1.0);
}

TEST_CASE("multilabel ignore_index masks elements (section 2.4 example)") {
  // label 0 [tp 1, tn 1]; label 1 [fp 1] (its other element is ignored).
  const std::vector<int> p_data{0, 1, 1, 1};
  const auto p = view_of(p_data, {2, 2});
  const std::vector<int> t_data{0, 255, 1, 0};
  const auto t = view_of(t_data, {2, 2});
  const auto none = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::none, 255), p, t);
  expect_values(none.precision, Shape{2}, {1, 0});
  expect_values(none.recall, Shape{2}, {1, 0});
  expect_values(none.specificity, Shape{2}, {1, 0});
  expect_values(none.accuracy, Shape{2}, {1, 0});
  expect_values(none.jaccard, Shape{2}, {1, 0});
  const auto micro = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::micro, 255), p, t);
  expect_scalar(micro.precision, 0.5);
  expect_scalar(micro.recall, 1.0);
  expect_scalar(micro.specificity, 0.5);
  expect_scalar(micro.accuracy, 2.0 / 3);
  expect_scalar(micro.f1, 2.0 / 3);
  expect_scalar(micro.f05, 5.0 / 9);
  expect_scalar(micro.f2, 5.0 / 6);
  expect_scalar(micro.jaccard, 0.5);
  const auto weighted = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::weighted, 255), p, t);
  expect_scalar(weighted.f1, 1.0);  // label 1 has no support
  expect_scalar(weighted.recall, 1.0);
  SECTION("zero_division 1: label 1 recall is 0/0") {
    expect_values(evaluate(tally::MultilabelRecall(ml_opts(2, Average::none, 255, 1.0)), p, t),
                  Shape{2}, {1, 1});
    expect_scalar(evaluate(tally::MultilabelRecall(ml_opts(2, Average::macro, 255, 1.0)), p, t),
                  1.0);
  }
}

TEST_CASE("multilabel metrics pool each label over samples and trailing positions") {
  // (N, L, K) = (2, 2, 3). label 0: tp 2, fp 2, tn 2, fn 0; label 1: tp 3, fp 0, tn 1, fn 2.
  const std::vector<int> preds{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1};
  const std::vector<int> target{1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1};
  const auto p = view_of(preds, {2, 2, 3});
  const auto t = view_of(target, {2, 2, 3});
  const auto none = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::none), p, t);
  expect_values(none.precision, Shape{2}, {0.5, 1});
  expect_values(none.recall, Shape{2}, {1, 3.0 / 5});
  expect_values(none.specificity, Shape{2}, {0.5, 1});
  expect_values(none.accuracy, Shape{2}, {2.0 / 3, 2.0 / 3});  // (tp + tn) / all per label
  expect_values(none.f1, Shape{2}, {2.0 / 3, 3.0 / 4});
  expect_values(none.f05, Shape{2}, {5.0 / 9, 15.0 / 17});
  expect_values(none.f2, Shape{2}, {5.0 / 6, 15.0 / 23});
  expect_values(none.jaccard, Shape{2}, {0.5, 3.0 / 5});
  const auto micro = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::micro), p, t);
  expect_scalar(micro.precision, 5.0 / 7);
  expect_scalar(micro.recall, 5.0 / 7);
  expect_scalar(micro.specificity, 3.0 / 5);
  expect_scalar(micro.accuracy, 2.0 / 3);
  expect_scalar(micro.f1, 5.0 / 7);
  expect_scalar(micro.jaccard, 5.0 / 9);
  const auto macro = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::macro), p, t);
  expect_scalar(macro.precision, 3.0 / 4);
  expect_scalar(macro.recall, 4.0 / 5);
  expect_scalar(macro.f1, 17.0 / 24);
  expect_scalar(macro.f05, 110.0 / 153);
  expect_scalar(macro.f2, 205.0 / 276);
  expect_scalar(macro.jaccard, 11.0 / 20);
  const auto weighted = cl_eval_all<tally::Multilabel>(ml_opts(2, Average::weighted), p, t);
  expect_scalar(weighted.precision, 6.0 / 7);  // supports [2, 5]
  expect_scalar(weighted.recall, 5.0 / 7);
  expect_scalar(weighted.specificity, 6.0 / 7);
  expect_scalar(weighted.f1, 61.0 / 84);
  expect_scalar(weighted.f05, 845.0 / 1071);
  expect_scalar(weighted.f2, 340.0 / 483);
  expect_scalar(weighted.jaccard, 4.0 / 7);
}

TEST_CASE("multilabel metrics with nothing counted (section 5.5)") {
  for (double zd : {0.0, 1.0}) {
    for (bool all_ignored : {false, true}) {
      INFO("zero_division = " << zd << ", all_ignored = " << all_ignored);
      const std::vector<int> preds{1, 0}, target{255, 255};
      auto run = [&](Average avg) {
        const auto o = ml_opts(2, avg, 255, zd);
        return all_ignored ? cl_eval_all<tally::Multilabel>(o, view_of(preds, {1, 2}),
                                                            view_of(target, {1, 2}))
                           : cl_empty_all<tally::Multilabel>(o);
      };
      const auto none = run(Average::none);
      for (const auto* r : {&none.precision, &none.recall, &none.f1, &none.f05, &none.f2,
                            &none.jaccard})
        expect_values(*r, Shape{2}, {zd, zd});
      expect_values(none.accuracy, Shape{2}, {0, 0});
      expect_values(none.specificity, Shape{2}, {0, 0});
      for (Average avg : {Average::micro, Average::macro}) {
        const auto r = run(avg);
        for (const auto* x : {&r.precision, &r.recall, &r.f1, &r.f05, &r.f2, &r.jaccard})
          expect_scalar(*x, zd);
        expect_scalar(r.accuracy, 0);
        expect_scalar(r.specificity, 0);
      }
      const auto weighted = run(Average::weighted);
      for (const auto* x : {&weighted.precision, &weighted.recall, &weighted.f1, &weighted.f05,
                            &weighted.f2, &weighted.accuracy, &weighted.specificity})
        expect_scalar(*x, 0);
      expect_scalar(weighted.jaccard, qnan);
    }
  }
}

TEST_CASE("multilabel JaccardIndex with ignore_index 0 masks elements, not label 0") {
  // preds [[1,0],[1,1]], target [[1,0],[0,1]], ii = 0: kept elements are the two positives,
  // (0, label 0) and (1, label 1), both true positives.
  const std::vector<int> p_data{1, 0, 1, 1};
  const auto p = view_of(p_data, {2, 2});
  const std::vector<int> t_data{1, 0, 0, 1};
  const auto t = view_of(t_data, {2, 2});
  expect_values(evaluate(tally::MultilabelJaccardIndex(ml_opts(2, Average::none, 0)), p, t),
                Shape{2}, {1, 1});
  expect_scalar(evaluate(tally::MultilabelJaccardIndex(ml_opts(2, Average::micro, 0)), p, t), 1.0);
  expect_scalar(evaluate(tally::MultilabelJaccardIndex(ml_opts(2, Average::macro, 0)), p, t), 1.0);
}

TEST_CASE("multilabel JaccardIndex: an ignored value outside [0, 1] makes the update logits") {
  // Unlike binary JaccardIndex, multilabel decides over every element: sigmoid(0.2) = 0.55 is
  // an fp of label 0 (read as a probability it would be a tn and label 0 would be 0/0 = zd).
  const std::vector<double> preds{0.2, 5.0};
  const std::vector<int> target{0, 255};
  expect_values(evaluate(tally::MultilabelJaccardIndex(ml_opts(2, Average::none, 255, 1.0)),
                         view_of(preds, {1, 2}), view_of(target, {1, 2})),
                Shape{2}, {0, 1});
}

TEST_CASE("multilabel samplewise keeps the sample axis for N = 1") {
  // label 0: tp 1, fn 1; label 1: tp 1, tn 1.
  auto o = ml_opts(2, Average::micro);
  o.multidim_average = MultidimAverage::samplewise;
  const std::vector<int> p_data{1, 0, 0, 1};
  const auto p = view_of(p_data, {1, 2, 2});
  const std::vector<int> t_data{1, 1, 0, 1};
  const auto t = view_of(t_data, {1, 2, 2});
  expect_values(evaluate(tally::MultilabelF1Score(o), p, t), Shape{1}, {4.0 / 5});
  o.average = Average::none;
  expect_values(evaluate(tally::MultilabelF1Score(o), p, t), Shape{1, 2}, {2.0 / 3, 1});
  o.average = Average::macro;
  expect_values(evaluate(tally::MultilabelF1Score(o), p, t), Shape{1}, {5.0 / 6});
  o.average = Average::weighted;
  expect_values(evaluate(tally::MultilabelRecall(o), p, t), Shape{1}, {2.0 / 3});
  expect_values(evaluate(tally::MultilabelSpecificity(o), p, t), Shape{1}, {1.0 / 3});
}

TEST_CASE("multilabel probabilities vs logits, decided per update over all labels") {
  // Update 1 is all in [0, 1]: probabilities. Update 2 has a 2.0: logits (sigmoid(0.25) > 0.5).
  tally::MultilabelPrecision m(ml_opts(2, Average::micro));
  m.update(view_of<double>({0.25, 0.75}, {1, 2}), view_of<int>({0, 1}, {1, 2}));  // tn, tp
  expect_scalar(m.compute(), 1.0);
  m.update(view_of<double>({0.25, 2.0}, {1, 2}), view_of<int>({0, 1}, {1, 2}));  // fp, tp
  expect_scalar(m.compute(), 2.0 / 3);
}

// =============================================================================================
// Value semantics: copy, move, reset, merge, counts
// =============================================================================================

TEST_CASE("reset returns a metric to its empty state") {
  tally::MulticlassF1Score m(mc_opts(3, Average::none, {}, 1.0));
  const tally::MulticlassF1Score fresh = m;
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  CHECK(m != fresh);
  m.reset();
  CHECK(m == fresh);
  expect_values(m.compute(), Shape{3}, {1, 1, 1});  // empty: zd per class

  SECTION("samplewise reset drops every row") {
    auto o = mc_opts(3, Average::micro);
    o.multidim_average = MultidimAverage::samplewise;
    tally::MulticlassAccuracy sw(o);
    sw.update(view_of<int>({0, 1}, {2, 1}), view_of<int>({0, 1}, {2, 1}));
    expect_values(sw.compute(), Shape{2}, {1, 1});
    sw.reset();
    expect_values(sw.compute(), Shape{0}, {});
  }
}

TEST_CASE("a copied metric is independent of the original") {
  tally::BinaryF1Score a(cl_bin());
  a.update(std::vector<int>{1, 0}, std::vector<int>{1, 0});
  tally::BinaryF1Score b = a;
  CHECK(a == b);
  b.update(std::vector<int>{1}, std::vector<int>{0});
  CHECK(a != b);
  expect_scalar(a.compute(), 1.0);
  expect_scalar(b.compute(), 2.0 / 3);
  tally::BinaryF1Score c(cl_bin());
  c = b;  // copy assignment
  c.reset();
  expect_scalar(b.compute(), 2.0 / 3);
}

TEST_CASE("a moved-to metric carries the state and options") {
  tally::MulticlassJaccardIndex a(mc_opts(3, Average::macro));
  a.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  const tally::MulticlassJaccardIndex copy = a;
  tally::MulticlassJaccardIndex b(std::move(a));
  CHECK(b == copy);
  expect_scalar(b.compute(), 2.0 / 3);
  tally::MulticlassJaccardIndex c(mc_opts(3, Average::macro));
  c = std::move(b);
  expect_scalar(c.compute(), 2.0 / 3);
}

TEST_CASE("compute() does not change the state") {
  tally::MultilabelF1Score m(ml_opts(2, Average::macro));
  m.update(view_of<int>({1, 0, 1, 1}, {2, 2}), view_of<int>({1, 0, 0, 1}, {2, 2}));
  const tally::MultilabelF1Score copy = m;
  const tally::Result first = m.compute();
  CHECK(m.compute() == first);
  CHECK(m == copy);
}

TEST_CASE("merge and += add the counts of another metric with the same options") {
  const std::vector<int> p1{2, 1}, t1{2, 1}, p2{0, 1}, t2{0, 0};
  tally::MulticlassF1Score serial(mc_opts(3, Average::macro));
  serial.update(p1, t1);
  serial.update(p2, t2);
  tally::MulticlassF1Score a(mc_opts(3, Average::macro)), b(mc_opts(3, Average::macro));
  a.update(p1, t1);
  b.update(p2, t2);
  tally::MulticlassF1Score c = a;
  a.merge(b);
  c += b;
  CHECK(a == serial);
  CHECK(c == serial);
  expect_scalar(a.compute(), 7.0 / 9);

  SECTION("samplewise merge appends the other's rows") {
    tally::Binary::Options o = cl_bin();
    o.multidim_average = MultidimAverage::samplewise;
    tally::BinaryAccuracy x(o), y(o);
    x.update(view_of<int>({1, 1}, {1, 2}), view_of<int>({1, 1}, {1, 2}));
    y.update(view_of<int>({1, 0, 0, 0}, {2, 2}), view_of<int>({0, 0, 0, 0}, {2, 2}));
    x += y;
    expect_values(x.compute(), Shape{3}, {1, 0.5, 1});
  }
  SECTION("different options cannot be merged") {
    tally::MulticlassF1Score other(mc_opts(3, Average::micro));
    REQUIRE_THROWS_AS(a.merge(other), tally::error);
  }
}

TEST_CASE("counts() of the StatScores family is the per-class [[tn, fp], [fn, tp]] state") {
  tally::MulticlassF1Score m(mc_opts(3, Average::macro));
  m.update(std::vector<int>{2, 1, 0, 1}, std::vector<int>{2, 1, 0, 0});
  const auto c = m.counts();
  REQUIRE(c.shape() == Shape{3, 2, 2});
  const std::vector<std::uint64_t> expected{2, 0, 1, 1, 2, 1, 0, 1, 3, 0, 0, 1};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(c[i] == expected[i]);

  tally::BinaryPrecision b(cl_bin());
  b.update(std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0}, std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0});
  REQUIRE(b.counts().shape() == Shape{2, 2});
  CHECK(b.counts()[0] == 2);  // tn
  CHECK(b.counts()[1] == 1);  // fp
  CHECK(b.counts()[2] == 2);  // fn
  CHECK(b.counts()[3] == 3);  // tp
}
