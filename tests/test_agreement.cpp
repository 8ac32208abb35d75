// MatthewsCorrCoef, CohenKappa, ExactMatch, NegativePredictiveValue and HammingDistance against
// independent references: hand-computed tables, MCC as the Pearson correlation of the 0/1
// decisions, kappa from pairwise disagreements of the label vectors (no confusion matrix), exact
// match by direct loops; and the accumulator properties every metric has (merge, save/load,
// parallel, unchanged state after bad input, options left at their defaults).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <tally/tally.hpp>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Shape;

std::vector<int> random_labels(std::mt19937& rng, std::size_t n, int C) {
  std::uniform_int_distribution<int> d(0, C - 1);
  std::vector<int> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Pearson correlation of two 0/1 vectors (the definition of MCC for two classes).
double pearson(const std::vector<int>& a, const std::vector<int>& b) {
  const double n = static_cast<double>(a.size());
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
    sab += a[i] * b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
  }
  return (n * sab - sa * sb) / std::sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
}

// Cohen's kappa from the label vectors: 1 - mean w(t_i, p_i) / mean over all pairs w(t_i, p_j).
double kappa_pairs(const std::vector<int>& p, const std::vector<int>& t, tally::KappaWeights w) {
  auto weight = [w](int a, int b) {
    const double d = std::abs(a - b);
    return w == tally::KappaWeights::none ? (a == b ? 0.0 : 1.0)
           : w == tally::KappaWeights::linear ? d
                                              : d * d;
  };
  const std::size_t n = p.size();
  double observed = 0, expected = 0;
  for (std::size_t i = 0; i < n; ++i) {
    observed += weight(t[i], p[i]);
    for (std::size_t j = 0; j < n; ++j) expected += weight(t[i], p[j]);
  }
  return 1.0 - (observed / static_cast<double>(n)) /
                   (expected / static_cast<double>(n) / static_cast<double>(n));
}

}  // namespace

TEST_CASE("MatthewsCorrCoef: hand-computed tables and the degenerate rules") {
  // preds 0 1 2 2, target 0 1 2 1: c = 3, s = 4, t = (1, 2, 1), p = (1, 1, 2) -> 7 / 10.
  tally::MulticlassMatthewsCorrCoef mc(mc_opts(3));
  mc.update(std::vector<int>{0, 1, 2, 2}, std::vector<int>{0, 1, 2, 1});
  check_close(mc.compute().value(), 0.7);

  tally::BinaryMatthewsCorrCoef b(bin_opts());
  b.update(std::vector<int>{1, 0, 1}, std::vector<int>{1, 0, 0});  // tp 1, fp 1, tn 1, fn 0
  check_close(b.compute().value(), 0.5);

  tally::BinaryMatthewsCorrCoef all_right(bin_opts());
  all_right.update(std::vector<int>{1, 1}, std::vector<int>{1, 1});  // one class only
  CHECK(all_right.compute().value() == 1.0);
  tally::BinaryMatthewsCorrCoef all_wrong(bin_opts());
  all_wrong.update(std::vector<int>{0, 0}, std::vector<int>{1, 1});
  CHECK(all_wrong.compute().value() == -1.0);
  tally::BinaryMatthewsCorrCoef empty(bin_opts(7));
  empty.update(std::vector<int>{0, 1}, std::vector<int>{7, 7});  // everything ignored
  CHECK(empty.compute().value() == 0.0);

  // Zero denominator with C > 2 gives 0.
  tally::MulticlassMatthewsCorrCoef constant(mc_opts(3));
  constant.update(std::vector<int>{1, 1, 1}, std::vector<int>{0, 1, 2});
  CHECK(constant.compute().value() == 0.0);
}

TEST_CASE("MatthewsCorrCoef: binary equals the Pearson correlation, multilabel pools the labels") {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const std::vector<int> p = random_labels(rng, 200, 2), t = random_labels(rng, 200, 2);
    tally::BinaryMatthewsCorrCoef m(bin_opts());
    m.update(p, t);
    check_close(m.compute().value(), pearson(p, t), 1e-12);

    // The same 200 decisions as (50, 4) multilabel: the labels' tables are summed first.
    tally::MultilabelMatthewsCorrCoef ml(ml_opts(4));
    ml.update(view_of(p, Shape{50, 4}), view_of(t, Shape{50, 4}));
    check_close(ml.compute().value(), pearson(p, t), 1e-12);
  }
}

TEST_CASE("MatthewsCorrCoef: ignore_index removes positions before counting") {
  std::mt19937 rng(11);
  const std::vector<int> p = random_labels(rng, 300, 5);
  std::vector<int> t = random_labels(rng, 300, 5);
  std::vector<int> kp, kt;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i % 7 == 0) t[i] = 255;
    if (t[i] != 255) {
      kp.push_back(p[i]);
      kt.push_back(t[i]);
    }
  }
  tally::MulticlassMatthewsCorrCoef with_ii(mc_opts(5, 255));
  with_ii.update(p, t);
  tally::MulticlassMatthewsCorrCoef kept(mc_opts(5));
  kept.update(kp, kt);
  CHECK(with_ii.compute().value() == kept.compute().value());
}

TEST_CASE("CohenKappa: none, linear and quadratic equal the pairwise definition") {
  std::mt19937 rng(3);
  for (auto w : {tally::KappaWeights::none, tally::KappaWeights::linear,
                 tally::KappaWeights::quadratic}) {
    for (int round = 0; round < 10; ++round) {
      const std::vector<int> t = random_labels(rng, 120, 5);
      std::vector<int> p = t;
      for (std::size_t i = 0; i < p.size(); i += 3) p[i] = (p[i] + round) % 5;  // some noise
      tally::MulticlassCohenKappa k(mc_opts(5), w);
      k.update(p, t);
      INFO("weights " << tally::to_string(w) << ", round " << round);
      check_close(k.compute().value(), kappa_pairs(p, t, w), 1e-12);
    }
  }
  // Binary: the 2 x 2 table, [[1, 1], [0, 1]] -> 1 - 1 / (5 / 3) = 0.4.
  tally::BinaryCohenKappa b(bin_opts());
  b.update(std::vector<int>{1, 0, 1}, std::vector<int>{1, 0, 0});
  check_close(b.compute().value(), 0.4);
}

TEST_CASE("CohenKappa: one class or nothing counted gives NaN, as in torchmetrics") {
  tally::MulticlassCohenKappa one(mc_opts(3));
  one.update(std::vector<int>{2, 2}, std::vector<int>{2, 2});
  CHECK(std::isnan(one.compute().value()));
  tally::BinaryCohenKappa none(bin_opts(9));
  none.update(std::vector<int>{1}, std::vector<int>{9});
  CHECK(std::isnan(none.compute().value()));
}

TEST_CASE("CohenKappa: weights are part of the identity: merge and load refuse other weights") {
  tally::MulticlassCohenKappa lin(mc_opts(4), tally::KappaWeights::linear);
  tally::MulticlassCohenKappa quad(mc_opts(4), tally::KappaWeights::quadratic);
  lin.update(std::vector<int>{0, 1}, std::vector<int>{0, 2});
  const auto before = lin;
  CHECK_THROWS_AS(lin.merge(quad), tally::error);
  CHECK(contains(error_message([&] { lin.merge(quad); }), "weights"));
  CHECK_THROWS_AS(quad.load(lin.save()), tally::error);
  CHECK(lin == before);
  CHECK(lin.weights() == tally::KappaWeights::linear);
  CHECK_THROWS_AS(tally::MulticlassCohenKappa(mc_opts(4), static_cast<tally::KappaWeights>(7)),
                  tally::error);
}

TEST_CASE("ExactMatch: multiclass samples, ignored positions count as right") {
  // 3 samples of 4: right, one wrong, wrong only where ignored.
  const std::vector<int> p{0, 1, 2, 0, /**/ 0, 1, 2, 2, /**/ 1, 1, 1, 1};
  const std::vector<int> t{0, 1, 2, 0, /**/ 0, 1, 2, 0, /**/ 1, 9, 1, 9};
  tally::MulticlassExactMatch g(mc_opts(3, 9));
  g.update(view_of(p, Shape{3, 4}), view_of(t, Shape{3, 4}));
  check_close(g.compute().value(), 2.0 / 3.0);
  expect_counts(g.counts(), Shape{2}, {2, 3});

  auto o = mc_opts(3, 9, tally::MultidimAverage::samplewise);
  tally::MulticlassExactMatch s(o);
  s.update(view_of(p, Shape{3, 4}), view_of(t, Shape{3, 4}));
  expect_values(s.compute(), Shape{3}, {1, 0, 1});

  // Scores (N, C, R): the argmax of each position is its label.
  std::vector<float> scores(3 * 3 * 4, 0.0f);
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t r = 0; r < 4; ++r) scores[(n * 3 + static_cast<std::size_t>(p[n * 4 + r])) * 4 + r] = 1.0f;
  tally::MulticlassExactMatch fs(o);
  fs.update(view_of(scores, Shape{3, 3, 4}), view_of(t, Shape{3, 4}));
  CHECK(fs.compute() == s.compute());
}

TEST_CASE("ExactMatch: multilabel positions, each sample over its own positions") {
  std::mt19937 rng(5);
  const std::size_t N = 6, L = 3, K = 5;
  const std::vector<int> t = random_labels(rng, N * L * K, 2);
  std::vector<int> p = t;
  for (std::size_t i = 0; i < p.size(); i += 4) p[i] = 1 - p[i];
  // Reference: position (n, k) right when every label is.
  std::vector<double> want(N);
  double all = 0;
  for (std::size_t n = 0; n < N; ++n) {
    std::size_t right = 0;
    for (std::size_t k = 0; k < K; ++k) {
      bool ok = true;
      for (std::size_t l = 0; l < L; ++l) ok &= p[(n * L + l) * K + k] == t[(n * L + l) * K + k];
      right += ok;
    }
    want[n] = static_cast<double>(right) / K;
    all += static_cast<double>(right);
  }
  auto o = ml_opts(3);
  tally::MultilabelExactMatch g(o);
  g.update(view_of(p, Shape{N, L, K}), view_of(t, Shape{N, L, K}));
  check_close(g.compute().value(), all / static_cast<double>(N * K));

  // Samplewise over two updates with different K: each sample keeps its own denominator
  // (torchmetrics divides every sample by the last update's K).
  o.multidim_average = tally::MultidimAverage::samplewise;
  tally::MultilabelExactMatch s(o);
  s.update(view_of(p, Shape{N, L, K}), view_of(t, Shape{N, L, K}));
  const std::vector<int> p2{1, 1, 0, 0, 1, 1}, t2{1, 0, 0, 0, 1, 1};  // (1, 3, 2)
  s.update(view_of(p2, Shape{1, L, 2}), view_of(t2, Shape{1, L, 2}));
  want.push_back(0.5);
  expect_values(s.compute(), Shape{N + 1}, want);
}

TEST_CASE("NegativePredictiveValue and HammingDistance: hand-computed, zero_division used") {
  tally::BinaryNegativePredictiveValue npv(bin_opts());
  npv.update(std::vector<int>{1, 0, 0}, std::vector<int>{1, 1, 0});  // tn 1, fn 1
  check_close(npv.compute().value(), 0.5);
  auto o = bin_opts();
  o.zero_division = 1.0;
  tally::BinaryNegativePredictiveValue npv_zd(o);
  npv_zd.update(std::vector<int>{1, 1}, std::vector<int>{1, 0});  // no negative predictions
  CHECK(npv_zd.compute().value() == 1.0);  // torchmetrics gives 0 here

  tally::MultilabelHammingDistance h(ml_opts(2, tally::Average::micro));
  h.update(view_of(std::vector<int>{1, 0, 1, 1}, Shape{2, 2}),
           view_of(std::vector<int>{1, 1, 1, 1}, Shape{2, 2}));
  check_close(h.compute().value(), 0.25);
  // Multiclass Hamming is 1 - accuracy, class by class.
  std::mt19937 rng(9);
  const std::vector<int> p = random_labels(rng, 100, 4), t = random_labels(rng, 100, 4);
  for (auto a : {tally::Average::micro, tally::Average::macro, tally::Average::weighted}) {
    tally::MulticlassHammingDistance hd(mc_opts(4, a));
    tally::MulticlassAccuracy acc(mc_opts(4, a));
    hd.update(p, t);
    acc.update(p, t);
    check_close(hd.compute().value(), 1.0 - acc.compute().value(), 1e-12);
  }
}

TEST_CASE("the new metrics: merge equals one accumulator, save/load and parallel round-trip") {
  std::mt19937 rng(13);
  const std::size_t N = 8, R = 40000;  // 320,000 elements: parallel splits it
  std::vector<std::uint8_t> p(N * R), t(N * R);
  std::uniform_int_distribution<int> d(0, 5);
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = static_cast<std::uint8_t>(d(rng));
    t[i] = static_cast<std::uint8_t>(i % 97 == 0 ? 255 : (d(rng) < 3 ? p[i] : d(rng)));
  }
  const std::size_t half = N / 2 * R;
  const std::vector<std::uint8_t> p1(p.begin(), p.begin() + half), p2(p.begin() + half, p.end());
  const std::vector<std::uint8_t> t1(t.begin(), t.begin() + half), t2(t.begin() + half, t.end());
  auto check = [&](auto make, const char* name) {
    INFO(name);
    auto whole = make();
    whole.update(view_of(p, Shape{N, R}), view_of(t, Shape{N, R}));
    auto a = make(), b = make();
    a.update(view_of(p1, Shape{N / 2, R}), view_of(t1, Shape{N / 2, R}));
    b.update(view_of(p2, Shape{N / 2, R}), view_of(t2, Shape{N / 2, R}));
    a.merge(b);
    CHECK(a == whole);
    CHECK(a.compute() == whole.compute());
    auto loaded = make();
    loaded.load(whole.save());
    CHECK(loaded == whole);
    auto par = make();
    par.update(view_of(p, Shape{N, R}), view_of(t, Shape{N, R}), tally::parallel{2});
    CHECK(par == whole);
    // A bad update (label 6 with C = 6) changes nothing.
    std::vector<std::uint8_t> bad = t1;
    bad[half - 1] = 6;
    const auto before = whole;
    CHECK_THROWS_AS(whole.update(view_of(p1, Shape{N / 2, R}), view_of(bad, Shape{N / 2, R})),
                    tally::error);
    CHECK(whole == before);
  };
  auto o = mc_opts(6, 255);
  check([&] { return tally::MulticlassMatthewsCorrCoef(o); }, "MCC");
  check([&] { return tally::MulticlassCohenKappa(o, tally::KappaWeights::linear); }, "kappa");
  check([&] { return tally::MulticlassNegativePredictiveValue(o); }, "NPV");
  check([&] { return tally::MulticlassHammingDistance(o); }, "Hamming");
  check([&] { return tally::MulticlassExactMatch(o); }, "ExactMatch");
  auto s = mc_opts(6, 255, tally::MultidimAverage::samplewise);
  check([&] { return tally::MulticlassExactMatch(s); }, "ExactMatch samplewise");
}

TEST_CASE("the new metrics refuse options they do not use, naming the field") {
  auto avg = mc_opts(3, tally::Average::micro);
  CHECK(contains(error_message([&] { tally::MulticlassMatthewsCorrCoef m(avg); }), "average"));
  CHECK(contains(error_message([&] { tally::MulticlassExactMatch m(avg); }), "average"));
  CHECK(contains(error_message([&] { tally::MulticlassCohenKappa m(avg); }), "average"));
  auto zd = bin_opts();
  zd.zero_division = 1.0;
  CHECK(contains(error_message([&] { tally::BinaryMatthewsCorrCoef m(zd); }), "zero_division"));
  CHECK(contains(error_message([&] { tally::BinaryCohenKappa m(zd); }), "zero_division"));
  auto sw = mc_opts(3, std::nullopt, tally::MultidimAverage::samplewise);
  CHECK(contains(error_message([&] { tally::MulticlassMatthewsCorrCoef m(sw); }),
                 "multidim_average"));
  CHECK(contains(error_message([&] { tally::MulticlassCohenKappa m(sw); }),
                 "multidim_average: CohenKappa has no samplewise form"));
  auto top = mc_opts(3);
  top.top_k = 2;
  CHECK(contains(error_message([&] { tally::MulticlassMatthewsCorrCoef m(top); }), "top_k"));
  CHECK(contains(error_message([&] { tally::MulticlassExactMatch m(top); }), "top_k"));
  // CohenKappa counts on ConfusionMatrix's table, and its errors name CohenKappa.
  CHECK(contains(error_message([&] { tally::MulticlassCohenKappa m(top); }),
                 "top_k: CohenKappa supports only top_k = 1, got 2"));
  CHECK(contains(error_message([&] { tally::MulticlassConfusionMatrix m(top); }),
                 "top_k: ConfusionMatrix supports only top_k = 1"));
}

TEST_CASE("Scores: automatic decides per update, logits and probabilities are explicit") {
  // Logits that all fall inside [0, 1]: automatic reads them as probabilities (threshold 0.5),
  // Scores::logits applies the sigmoid (threshold logit(0.5) = 0).
  const std::vector<float> p{0.2f, 0.4f, 0.9f, 0.1f};
  const std::vector<int> t{1, 1, 1, 0};
  auto o = bin_opts();
  tally::BinaryStatScores automatic(o);
  automatic.update(p, t);
  expect_values(automatic.compute(), Shape{5}, {1, 0, 1, 2, 3});  // only 0.9 is positive
  o.scores = tally::Scores::logits;
  tally::BinaryStatScores logits(o);
  logits.update(p, t);
  expect_values(logits.compute(), Shape{5}, {3, 1, 0, 0, 3});  // every value > 0 is positive

  // Probabilities: a value outside [0, 1] is an error naming it and its index; nothing changes.
  o.scores = tally::Scores::probabilities;
  tally::BinaryStatScores probs(o);
  probs.update(p, t);
  const auto before = probs;
  const std::vector<float> bad{0.2f, 1.5f, 0.3f, 0.1f};
  const std::string msg = error_message([&] { probs.update(bad, t); });
  CHECK(contains(msg, "1.5"));
  CHECK(contains(msg, "index 1"));
  CHECK(contains(msg, "probabilities"));
  CHECK(probs == before);

  // Multiclass scores: argmax does not change, probabilities are checked.
  auto m = mc_opts(2);
  m.scores = tally::Scores::probabilities;
  tally::MulticlassAccuracy acc(m);
  CHECK_THROWS_AS(acc.update(view_of(std::vector<float>{3.0f, -1.0f}, Shape{1, 2}),
                             view_of(std::vector<int>{0})),
                  tally::error);

  // Multilabel ExactMatch follows the same rule.
  auto ml = ml_opts(2);
  ml.scores = tally::Scores::logits;
  tally::MultilabelExactMatch em(ml);
  em.update(view_of(std::vector<float>{0.3f, 0.2f}, Shape{1, 2}),
            view_of(std::vector<int>{1, 1}, Shape{1, 2}));
  CHECK(em.compute().value() == 1.0);

  // The field is part of equality, merge and the saved identity (automatic is left out of the
  // identity, so states saved before the field existed still load).
  tally::BinaryStatScores other(bin_opts());
  CHECK_THROWS_AS(logits.merge(other), tally::error);
  CHECK_THROWS_AS(other.load(logits.save()), tally::error);
  CHECK(!contains(other.identity(), "scores"));
  CHECK(contains(logits.identity(), "scores=logits"));
  auto invalid = bin_opts();
  invalid.scores = static_cast<tally::Scores>(9);
  CHECK(contains(error_message([&] { tally::BinaryF1Score f(invalid); }), "scores"));
}

TEST_CASE("ExactMatch: the kernel path (samples at least C long) equals the scalar path") {
  // Samples of R = 64 >= C use the counting kernels, samples of R = 2 < C the scalar pass; the
  // same decisions cut both ways must give the same verdicts, for labels and for scores.
  std::mt19937 rng(21);
  const std::size_t C = 6, N = 10, R = 64;
  std::vector<int> t = random_labels(rng, N * R, static_cast<int>(C));
  std::vector<int> p = t;
  for (std::size_t n = 0; n < N; n += 2) p[n * R + (n * 7) % R] = (p[n * R + (n * 7) % R] + 1) % 6;
  for (std::size_t n = 1; n < N; n += 3) t[n * R + 5] = 255;  // ignored, pred may differ
  auto o = mc_opts(static_cast<std::int64_t>(C), 255, tally::MultidimAverage::samplewise);
  tally::MulticlassExactMatch long_samples(o);
  long_samples.update(view_of(p, Shape{N, R}), view_of(t, Shape{N, R}));
  std::vector<double> want(N);
  for (std::size_t n = 0; n < N; ++n) {
    bool ok = true;
    for (std::size_t r = 0; r < R; ++r) ok &= t[n * R + r] == 255 || p[n * R + r] == t[n * R + r];
    want[n] = ok ? 1.0 : 0.0;
  }
  expect_values(long_samples.compute(), Shape{N}, want);
  // Scores through argmax_block: one-hot scores of the same labels.
  std::vector<double> scores(N * C * R, 0.0);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t r = 0; r < R; ++r)
      scores[(n * C + static_cast<std::size_t>(p[n * R + r])) * R + r] = 1.0;
  tally::MulticlassExactMatch from_scores(o);
  from_scores.update(view_of(scores, Shape{N, C, R}), view_of(t, Shape{N, R}));
  expect_values(from_scores.compute(), Shape{N}, want);
  // An invalid value on the kernel path is named by its flat index, nothing is counted.
  std::vector<int> bad = t;
  bad[3 * R + 10] = 9;
  const std::string msg = error_message([&] {
    long_samples.update(view_of(p, Shape{N, R}), view_of(bad, Shape{N, R}));
  });
  CHECK(contains(msg, "index " + std::to_string(3 * R + 10)));
  CHECK(long_samples.compute().shape() == Shape{N});
  std::vector<double> nan_scores = scores;
  nan_scores[(4 * C + 2) * R + 7] = std::numeric_limits<double>::quiet_NaN();
  CHECK(contains(error_message([&] {
                   from_scores.update(view_of(nan_scores, Shape{N, C, R}), view_of(t, Shape{N, R}));
                 }),
                 "NaN"));
  CHECK(from_scores.compute().shape() == Shape{N});
}
