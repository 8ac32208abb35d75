// ROC, PrecisionRecallCurve, AUROC, AveragePrecision and CalibrationError (docs/semantics.md 10):
// hand-computed curves and scores, independent references (AUROC as the Mann-Whitney statistic
// over all positive-negative pairs, binned counts by a naive loop over every threshold, ECE by a
// loop over kept confidences), logits ranked without saturation, and the properties every
// accumulator has: the same bits for any split into updates, threads, merges and save/load
// round trips, the state unchanged by a rejected update, and clear errors for bad options.
#include <tally/calibration.hpp>
#include <tally/ranking.hpp>
#include <tally/tally.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "tally_catch.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::Scores;
using tally::Shape;
using tally::Thresholds;

// ---- references, written from the definitions ---------------------------------------------

// P(score of a random positive > score of a random negative) + 0.5 P(equal): the AUROC.
double rk_mann_whitney(const std::vector<double>& s, const std::vector<int>& y) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j)
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}

// Average precision from its definition: for each positive, the precision among the scores at
// least as high as it, averaged over positives (ties counted together).
double rk_average_precision(const std::vector<double>& s, const std::vector<int>& y) {
  double sum = 0, positives = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (y[i] != 1) continue;
    positives += 1;
    double tp = 0, all = 0;
    for (std::size_t j = 0; j < s.size(); ++j)
      if (s[j] >= s[i]) {
        all += 1;
        tp += y[j] == 1 ? 1 : 0;
      }
    sum += tp / all;
  }
  return sum / positives;
}

struct rk_data {
  std::vector<float> p;
  std::vector<int> y;
};

rk_data rk_random(std::size_t n, unsigned seed, int levels = 0) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  rk_data d;
  for (std::size_t i = 0; i < n; ++i) {
    const int y = g() % 3 == 0 ? 1 : 0;
    float p = 0.6f * u(g) + (y ? 0.4f : 0.0f);
    if (levels > 0) p = std::round(p * static_cast<float>(levels)) / static_cast<float>(levels);
    d.p.push_back(p);
    d.y.push_back(y);
  }
  return d;
}

std::vector<double> rk_doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// ---- hand-computed ------------------------------------------------------------------------

TEST_CASE("ranking: binary ROC, PR curve, AUROC and AP of a small case by hand", "[ranking]") {
  // scores 0.1 0.4 0.35 0.8, targets 0 0 1 1. Distinct scores descending: 0.8 (tp 1, fp 0),
  // 0.4 (1, 1), 0.35 (2, 1), 0.1 (2, 2).
  const std::vector<float> p{0.1f, 0.4f, 0.35f, 0.8f};
  const std::vector<int> y{0, 0, 1, 1};
  tally::BinaryROC roc({});
  roc.update(p, y);
  const tally::RocCurve c = roc.compute();
  CHECK(c.fpr == std::vector<double>{0, 0, 0.5, 0.5, 1});
  CHECK(c.tpr == std::vector<double>{0, 0.5, 0.5, 1, 1});
  CHECK(c.thresholds == std::vector<double>{1.0, 0.8f, 0.4f, 0.35f, 0.1f});

  tally::BinaryPrecisionRecallCurve pr({});
  pr.update(p, y);
  const tally::PrCurve q = pr.compute();
  // ascending thresholds: 0.1 (2/4), 0.35 (2/3), 0.4 (1/2), 0.8 (1/1); then (recall 0, precision 1)
  CHECK(q.precision == std::vector<double>{0.5, 2.0 / 3.0, 0.5, 1.0, 1.0});
  CHECK(q.recall == std::vector<double>{1.0, 1.0, 0.5, 0.5, 0.0});
  CHECK(q.thresholds == std::vector<double>{0.1f, 0.35f, 0.4f, 0.8f});

  tally::BinaryAUROC auroc({});
  auroc.update(p, y);
  CHECK(auroc.compute().value() == 0.75);
  tally::BinaryAveragePrecision ap({});
  ap.update(p, y);
  // recall steps: 0.5 at precision 1 (score 0.8), 0.5 at precision 2/3 (score 0.35)
  check_close(ap.compute().value(), 0.5 * 1.0 + 0.5 * (2.0 / 3.0));
}

TEST_CASE("ranking: binned curves count s >= t, buckets checked against every threshold",
          "[ranking]") {
  // Scores exactly on thresholds, between them, at 0 and at 1.
  const std::vector<float> p{0.0f, 0.25f, 0.3f, 0.5f, 0.5f, 0.74f, 0.75f, 1.0f, 0.1f, 0.9f};
  const std::vector<int> y{0, 1, 0, 1, 0, 1, 1, 1, 0, 0};
  for (const Thresholds& th : {Thresholds::linspace(5), Thresholds::linspace(11),
                               Thresholds::linspace(100), Thresholds::values({0.1, 0.3, 0.75}),
                               Thresholds::values({0.0, 0.5, 0.5, 1.0})}) {
    tally::BinaryROC roc({}, th);
    roc.update(p, y);
    const tally::RocCurve c = roc.compute();
    // counts(): (1, T + 1, 2), bucket b = the scores with exactly b thresholds at or below them.
    const auto raw = roc.counts();
    REQUIRE(raw.shape() == Shape{1, th.size() + 1, 2});
    std::vector<std::uint64_t> want(2 * (th.size() + 1), 0);
    for (std::size_t i = 0; i < p.size(); ++i) {
      std::size_t below = 0;
      for (double t : th.list()) below += static_cast<double>(p[i]) >= t ? 1 : 0;
      ++want[2 * below + static_cast<std::size_t>(y[i])];
    }
    CHECK(std::vector<std::uint64_t>(raw.data(), raw.data() + raw.size()) == want);
    const std::vector<double>& t = th.list();
    REQUIRE(c.thresholds.size() == t.size());
    for (std::size_t k = 0; k < t.size(); ++k) {
      const double thr = t[t.size() - 1 - k];  // the ROC lists thresholds descending
      double tp = 0, fp = 0, P = 0, N = 0;
      for (std::size_t i = 0; i < p.size(); ++i) {
        (y[i] ? P : N) += 1;
        if (static_cast<double>(p[i]) >= thr) (y[i] ? tp : fp) += 1;
      }
      INFO("threshold " << thr);
      CHECK(c.thresholds[k] == thr);
      CHECK(c.tpr[k] == tp / P);
      CHECK(c.fpr[k] == fp / N);
    }
  }
}

TEST_CASE("ranking: linspace thresholds are torch.linspace's float32 values", "[ranking]") {
  const Thresholds t = Thresholds::linspace(11);
  REQUIRE(t.size() == 11);
  CHECK(t.list().front() == 0.0);
  CHECK(t.list().back() == 1.0);
  CHECK(t.list()[1] == static_cast<double>(0.1f));
  CHECK(t.list()[5] == 0.5);
  // The second half counts down from 1: 1 - 0.1f, in float.
  CHECK(t.list()[9] == static_cast<double>(1.0f - 0.1f));
  // values() rounds to float32 as torch.tensor(list) does.
  CHECK(Thresholds::values({0.33}).list()[0] == static_cast<double>(0.33f));
}

TEST_CASE("ranking: exact AUROC and AP equal their definitions on random data", "[ranking]") {
  for (unsigned seed : {1u, 2u, 3u}) {
    for (int levels : {0, 8}) {  // 8 levels: many ties
      const rk_data d = rk_random(300, seed, levels);
      tally::BinaryAUROC a({});
      a.update(d.p, d.y);
      check_close(a.compute().value(), rk_mann_whitney(rk_doubles(d.p), d.y), 1e-12);
      tally::BinaryAveragePrecision ap({});
      ap.update(d.p, d.y);
      check_close(ap.compute().value(), rk_average_precision(rk_doubles(d.p), d.y), 1e-12);
    }
  }
}

TEST_CASE("ranking: logits are ranked as logits, without the sigmoid's saturation",
          "[ranking]") {
  // 100 x a logit: a float32 sigmoid maps most of these to 1.0 and ties them; tally ranks the
  // logits themselves, so the AUROC equals that of the unscaled scores.
  const rk_data d = rk_random(400, 7);
  std::vector<float> logits, scaled;
  for (float v : d.p) {
    logits.push_back(std::log(v / (1.0f - v + 1e-6f) + 1e-6f));
    scaled.push_back(100.0f * logits.back());
  }
  tally::BinaryAUROC a({}), b({});
  a.update(logits, d.y);
  b.update(scaled, d.y);
  const double reference = rk_mann_whitney(rk_doubles(logits), d.y);
  check_close(a.compute().value(), reference, 1e-12);
  check_close(b.compute().value(), reference, 1e-12);
  // The float32 sigmoid would have collapsed them: count the ties it creates.
  std::size_t ones = 0;
  for (float v : scaled) ones += 1.0f / (1.0f + std::exp(-v)) == 1.0f ? 1 : 0;
  CHECK(ones > 50);

  // Binned: logit buckets equal the probability buckets of the double sigmoid where it does not
  // saturate.
  tally::BinaryROC bl({}, Thresholds::linspace(50)), bp({}, Thresholds::linspace(50));
  std::vector<double> probs;
  for (float v : logits) probs.push_back(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  bl.update(logits, d.y);
  bp.update(probs, d.y);
  const tally::RocCurve cl = bl.compute(), cp = bp.compute();
  CHECK(cl.tpr == cp.tpr);
  CHECK(cl.fpr == cp.fpr);
  CHECK(cl.thresholds == cp.thresholds);
}

TEST_CASE("ranking: multiclass one-vs-rest equals binary metrics on each class's softmax",
          "[ranking]") {
  const std::size_t N = 60, C = 4;
  std::mt19937 g(11);
  std::normal_distribution<float> z(0.0f, 2.0f);
  std::vector<float> logits(N * C);
  std::vector<int> y(N);
  for (std::size_t n = 0; n < N; ++n) {
    y[n] = static_cast<int>(g() % C);
    for (std::size_t c = 0; c < C; ++c)
      logits[n * C + c] = z(g) + (static_cast<int>(c) == y[n] ? 2.0f : 0.0f);
  }
  std::vector<double> prob(N * C);
  for (std::size_t n = 0; n < N; ++n) {
    double m = -1e300, s = 0;
    for (std::size_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(logits[n * C + c]));
    for (std::size_t c = 0; c < C; ++c) s += std::exp(logits[n * C + c] - m);
    for (std::size_t c = 0; c < C; ++c) prob[n * C + c] = std::exp(logits[n * C + c] - m) / s;
  }
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  o.average = Average::none;
  tally::MulticlassAUROC auroc(o);
  auroc.update(view_of(logits, Shape{N, C}), view_of(y));
  const tally::Result r = auroc.compute();
  REQUIRE(r.shape() == Shape{C});
  double macro = 0;
  for (std::size_t c = 0; c < C; ++c) {
    std::vector<double> s(N);
    std::vector<int> yc(N);
    for (std::size_t n = 0; n < N; ++n) {
      s[n] = prob[n * C + c];
      yc[n] = y[n] == static_cast<int>(c) ? 1 : 0;
    }
    check_close(r[c], rk_mann_whitney(s, yc), 1e-12);
    macro += r[c] / static_cast<double>(C);
  }
  o.average = Average::macro;
  tally::MulticlassAUROC m(o);
  m.update(view_of(logits, Shape{N, C}), view_of(y));
  check_close(m.compute().value(), macro, 1e-12);
}

TEST_CASE("ranking: ignore_index drops positions before anything else", "[ranking]") {
  // 255 marks void positions; their scores (even out of [0, 1]) change nothing.
  tally::Binary::Options o;
  o.ignore_index = 255;
  tally::BinaryAUROC with(o), without({});
  with.update(std::vector<float>{0.2f, 7.0f, 0.9f, -3.0f, 0.4f},
              std::vector<std::uint8_t>{0, 255, 1, 255, 1});
  without.update(std::vector<float>{0.2f, 0.9f, 0.4f}, std::vector<std::uint8_t>{0, 1, 1});
  CHECK(with.compute().value() == without.compute().value());
  CHECK(with.compute().value() == 1.0);
}

// ---- properties ---------------------------------------------------------------------------

template <class M>
void rk_check_splits(const M& prototype, const std::vector<float>& p, const std::vector<int>& y) {
  M whole = prototype, parts = prototype, merged = prototype, threaded = prototype;
  whole.update(p, y);
  const std::size_t cut = p.size() / 3;
  const std::vector<float> p1(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(cut)),
      p2(p.begin() + static_cast<std::ptrdiff_t>(cut), p.end());
  const std::vector<int> y1(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(cut)),
      y2(y.begin() + static_cast<std::ptrdiff_t>(cut), y.end());
  parts.update(p1, y1);
  parts.update(p2, y2);
  M other = prototype;
  merged.update(p1, y1);
  other.update(p2, y2);
  merged.merge(other);
  threaded.update(p, y, tally::parallel{2});
  M loaded = prototype;
  loaded.load(whole.save());
  CHECK(parts == whole);
  CHECK(merged == whole);
  CHECK(threaded == whole);
  CHECK(loaded == whole);
  CHECK(same_values(merged.compute(), whole.compute()));
}

TEST_CASE("ranking: updates, merges, threads and save/load give the same state", "[ranking]") {
  // Above the parallel threshold (1M elements), so that parallel{2} really splits.
  const rk_data d = rk_random(std::size_t{1} << 20 | 77, 5, 1000);
  rk_check_splits(tally::BinaryAUROC({}, Thresholds::linspace(100)), d.p, d.y);
  rk_check_splits(tally::BinaryAveragePrecision({}, Thresholds::values({0.1, 0.5, 0.9})), d.p, d.y);
  rk_check_splits(tally::BinaryCalibrationError({}, 10), d.p, d.y);
  rk_check_splits(tally::BinaryAUROC({}), d.p, d.y);  // exact: the scores kept in order
  // Multiclass scores (N, C) above the threshold too, exact and binned.
  const std::size_t N = (std::size_t{1} << 18) + 3, C = 4;
  std::vector<float> s(N * C);
  std::vector<int> y(N);
  for (std::size_t i = 0; i < N; ++i) {
    y[i] = static_cast<int>(i * 7 % C);
    for (std::size_t c = 0; c < C; ++c) s[i * C + c] = d.p[(i * C + c) % d.p.size()] * 3.0f;
  }
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  for (const Thresholds& th : {Thresholds::exact(), Thresholds::linspace(20)}) {
    tally::MulticlassAUROC whole(o, th), threaded(o, th);
    whole.update(view_of(s, Shape{N, C}), view_of(y));
    threaded.update(view_of(s, Shape{N, C}), view_of(y), tally::parallel{2});
    CHECK(threaded == whole);
  }
}

TEST_CASE("ranking: a probability state merged with a logit state ranks both as logits",
          "[ranking]") {
  const std::vector<float> probs{0.2f, 0.7f, 0.4f, 0.9f};
  const std::vector<float> logits{-3.0f, 2.0f, 0.5f, 4.0f};
  const std::vector<int> yp{0, 1, 0, 1}, yl{0, 1, 1, 0};
  tally::BinaryAUROC one({}), a({}), b({});
  one.update(probs, yp);
  one.update(logits, yl);
  a.update(probs, yp);
  b.update(logits, yl);
  a.merge(b);
  CHECK(a == one);
  // The reference: everything as probabilities (sigmoid of the logits, in double).
  std::vector<double> s(probs.begin(), probs.end());
  for (float x : logits) s.push_back(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
  std::vector<int> y = yp;
  y.insert(y.end(), yl.begin(), yl.end());
  check_close(one.compute().value(), rk_mann_whitney(s, y), 1e-12);
}

TEST_CASE("ranking: a rejected update changes nothing", "[ranking]") {
  tally::BinaryROC roc({});
  roc.update(std::vector<float>{0.2f, 0.6f}, std::vector<int>{0, 1});
  const tally::BinaryROC before = roc;
  CHECK(contains(error_message([&] {
          roc.update(std::vector<float>{0.2f, std::nanf("")}, std::vector<int>{0, 1});
        }), "NaN at index 1"));
  CHECK(contains(error_message([&] {
          roc.update(std::vector<float>{0.2f, 0.3f}, std::vector<int>{0, 2});
        }), "target value 2 at index 1"));
  CHECK(contains(error_message([&] {
          roc.update(std::vector<float>{0.2f, 0.3f}, std::vector<int>{0});
        }), "differ"));
  CHECK(contains(error_message([&] {
          roc.update(std::vector<int>{0, 1}, std::vector<int>{0, 1});
        }), "floating-point scores"));
  CHECK(roc == before);
  tally::Binary::Options prob;
  prob.scores = Scores::probabilities;
  tally::BinaryAUROC strict(prob);
  CHECK(contains(error_message([&] {
          strict.update(std::vector<float>{0.2f, 1.5f}, std::vector<int>{0, 1});
        }), "outside [0, 1]"));
}

TEST_CASE("ranking: exact mode with nothing counted is an error at compute", "[ranking]") {
  tally::Binary::Options o;
  o.ignore_index = -1;
  tally::BinaryAUROC a(o);
  a.update(std::vector<float>{0.3f}, std::vector<int>{-1});
  CHECK(contains(error_message([&] { (void)a.compute(); }), "no scores to rank"));
  // Binned mode has a curve of zero counts instead.
  tally::BinaryROC b(o, Thresholds::linspace(3));
  b.update(std::vector<float>{0.3f}, std::vector<int>{-1});
  CHECK(b.compute().tpr == std::vector<double>{0, 0, 0});
}

TEST_CASE("ranking: options and thresholds are checked at construction", "[ranking]") {
  CHECK(contains(error_message([] { (void)Thresholds::linspace(1); }), "at least 2"));
  CHECK(contains(error_message([] { (void)Thresholds::values({0.5, 0.2}); }), "ascending"));
  CHECK(contains(error_message([] { (void)Thresholds::values({1.5}); }), "outside [0, 1]"));
  tally::Binary::Options b;
  b.threshold = 0.3;
  CHECK(contains(error_message([&] { tally::BinaryAUROC a(b); }), "threshold"));
  CHECK(contains(error_message([] { tally::BinaryAUROC a({}, Thresholds::exact(), 0.0); }),
                 "max_fpr"));
  tally::Multiclass::Options m;
  m.num_classes = 3;
  CHECK(contains(error_message([&] { tally::MulticlassAUROC a(m, Thresholds::exact(), 0.5); }),
                 "only BinaryAUROC"));
  m.average = Average::weighted;
  CHECK(contains(error_message([&] { tally::MulticlassROC r(m); }), "not weighted"));
  m.average = Average::micro;
  CHECK(contains(error_message([&] { tally::MulticlassAveragePrecision r(m); }), "not micro"));
  m.average = Average::macro;
  m.top_k = 2;
  CHECK(contains(error_message([&] { tally::MulticlassAUROC r(m); }), "top_k"));
  m.top_k = 1;
  m.num_classes = 1;
  CHECK(contains(error_message([&] { tally::MulticlassAUROC r(m); }), "num_classes"));
  CHECK(contains(error_message([] { tally::BinaryCalibrationError e({}, 0); }), "n_bins"));
  // Metrics with other thresholds do not merge; the message names both.
  tally::BinaryROC x({}, Thresholds::linspace(5)), y({}, Thresholds::linspace(6));
  CHECK(contains(error_message([&] { x.merge(y); }), "linspace(6)"));
  // A saved state loads only with the same thresholds.
  CHECK(contains(error_message([&] { y.load(x.save()); }), "thresholds=linspace(5)"));
}

// ---- calibration --------------------------------------------------------------------------

// Expected calibration error by its definition: bins [k/n, (k+1)/n), the last closed.
double rk_ece(const std::vector<double>& conf, const std::vector<int>& right, std::size_t bins,
              tally::CalibrationNorm norm) {
  std::vector<double> n(bins, 0), acc(bins, 0), sum(bins, 0);
  for (std::size_t i = 0; i < conf.size(); ++i) {
    std::size_t b = std::min(static_cast<std::size_t>(conf[i] * static_cast<double>(bins)), bins - 1);
    n[b] += 1;
    acc[b] += right[i];
    sum[b] += conf[i];
  }
  double l1 = 0, l2 = 0, mx = 0;
  for (std::size_t b = 0; b < bins; ++b) {
    if (n[b] == 0) continue;
    const double gap = std::fabs(acc[b] / n[b] - sum[b] / n[b]);
    l1 += gap * n[b] / static_cast<double>(conf.size());
    l2 += gap * gap * n[b] / static_cast<double>(conf.size());
    mx = std::max(mx, gap);
  }
  return norm == tally::CalibrationNorm::l1 ? l1 : norm == tally::CalibrationNorm::l2 ? std::sqrt(l2) : mx;
}

TEST_CASE("calibration: binary and multiclass errors equal the definition", "[ranking]") {
  // Binary, 4 bins by hand: 0.1 (y 0), 0.2 (y 1) in bin 0: acc 0.5, conf 0.15, gap 0.35;
  // 0.6 (y 1) in bin 2: gap 0.4; 1.0 (y 1) in the last bin (torchmetrics adds a bin): gap 0.
  const std::vector<float> p{0.1f, 0.2f, 0.6f, 1.0f};
  const std::vector<int> y{0, 1, 1, 1};
  tally::BinaryCalibrationError e({}, 4);
  e.update(p, y);
  const auto bins = e.counts();  // (4, 2): [predictions, correct] per bin
  REQUIRE(bins.shape() == Shape{4, 2});
  CHECK(std::vector<std::uint64_t>(bins.data(), bins.data() + 8) ==
        std::vector<std::uint64_t>{2, 1, 0, 0, 1, 1, 1, 1});
  check_close(e.compute().value(), (2 * (0.5 - (0.1f + 0.2f) / 2.0) + (1 - 0.6f)) / 4.0, 1e-7);
  for (auto norm : {tally::CalibrationNorm::l1, tally::CalibrationNorm::l2,
                    tally::CalibrationNorm::max}) {
    const rk_data d = rk_random(2000, 9);
    tally::BinaryCalibrationError b({}, 15, norm);
    b.update(d.p, d.y);
    check_close(b.compute().value(), rk_ece(rk_doubles(d.p), d.y, 15, norm), 1e-12);
  }
  // Multiclass: confidence = largest probability, right = argmax is the target.
  const std::size_t N = 500, C = 3;
  std::mt19937 g(4);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> probs(N * C);
  std::vector<int> t(N);
  std::vector<double> conf(N);
  std::vector<int> right(N);
  for (std::size_t n = 0; n < N; ++n) {
    float s = 0;
    for (std::size_t c = 0; c < C; ++c) s += probs[n * C + c] = u(g);
    for (std::size_t c = 0; c < C; ++c) probs[n * C + c] /= s;
    t[n] = static_cast<int>(g() % C);
    const std::size_t best = static_cast<std::size_t>(
        std::max_element(probs.begin() + static_cast<std::ptrdiff_t>(n * C),
                         probs.begin() + static_cast<std::ptrdiff_t>(n * C + C)) -
        (probs.begin() + static_cast<std::ptrdiff_t>(n * C)));
    conf[n] = probs[n * C + best];
    right[n] = static_cast<int>(best) == t[n] ? 1 : 0;
  }
  tally::Multiclass::Options o;
  o.num_classes = 3;
  tally::MulticlassCalibrationError m(o, 10, tally::CalibrationNorm::l2);
  m.update(view_of(probs, Shape{N, C}), view_of(t));
  check_close(m.compute().value(), rk_ece(conf, right, 10, tally::CalibrationNorm::l2), 1e-12);
}

}  // namespace

namespace {

template <class M, class P, class T>
void rk_self_merge(M m, const P& p, const T& t) {
  M twice = m;
  m.update(p, t);
  twice.update(p, t);
  twice.update(p, t);
  m.merge(m);
  CHECK(m == twice);
  m += m;
  twice.update(p, t);
  twice.update(p, t);
  CHECK(m == twice);
}

}  // namespace

TEST_CASE("merge: a metric merged with itself counts its data twice", "[ranking][merge]") {
  // Exact sums with carries (MeanIoU, CalibrationError), appended samplewise rows (StatScores,
  // ExactMatch) and kept scores (exact AUROC) must not read what they are writing.
  const std::vector<float> p{0.3f, 0.9f, 0.6f, 0.1f, 0.55f, 0.77f};
  const std::vector<int> y{0, 1, 1, 0, 1, 0};
  rk_self_merge(tally::BinaryAUROC({}), p, y);
  rk_self_merge(tally::BinaryAUROC({}, Thresholds::linspace(5)), p, y);
  rk_self_merge(tally::BinaryCalibrationError({}, 3), p, y);
  const std::vector<int> a{0, 1, 1, 0, 1, 0}, b{0, 1, 0, 0, 1, 1};
  tally::MeanIoU::Options mi;
  mi.num_classes = 2;
  mi.input_format = tally::InputFormat::index;
  rk_self_merge(tally::MeanIoU(mi), view_of(a, Shape{2, 3}), view_of(b, Shape{2, 3}));
  tally::Multiclass::Options sw;
  sw.num_classes = 2;
  sw.multidim_average = tally::MultidimAverage::samplewise;
  rk_self_merge(tally::MulticlassStatScores(sw), view_of(a, Shape{2, 3}), view_of(b, Shape{2, 3}));
  rk_self_merge(tally::MulticlassExactMatch(sw), view_of(a, Shape{2, 3}), view_of(b, Shape{2, 3}));
}

TEST_CASE("ranking: the one-pass binned update counts as the general path", "[ranking]") {
  // linspace(n) takes the one-pass path for valid binary probabilities; values() with the same
  // thresholds takes the general one (a search per score). Scores on, and one float step
  // either side of, every threshold, plus random ones, float and double.
  std::mt19937 g(17);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t n : {2u, 3u, 7u, 100u, 1001u, 4097u, 1u << 20}) {
    const Thresholds lin = Thresholds::linspace(n);
    const Thresholds val = Thresholds::values(lin.list());
    std::vector<float> p;
    const std::size_t stride = n > 5000 ? 997 : 1;  // a sample of the largest grid's thresholds
    for (std::size_t k = 0; k < n; k += stride) {
      const float f = static_cast<float>(lin.list()[k]);
      p.push_back(f);
      p.push_back(std::nextafter(f, 0.0f));
      p.push_back(std::nextafter(f, 1.0f));
    }
    for (int i = 0; i < 5000; ++i) p.push_back(u(g));
    for (float& v : p) v = std::min(std::max(v, 0.0f), 1.0f);
    std::vector<std::uint8_t> y(p.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<std::uint8_t>(g() % 3);  // 2: void
    tally::Binary::Options o;
    o.ignore_index = 2;
    tally::BinaryROC fast(o, lin), general(o, val);
    fast.update(p, y);
    general.update(p, y);
    INFO("n = " << n);
    CHECK(std::equal(fast.counts().begin(), fast.counts().end(), general.counts().begin()));
    const std::vector<double> pd(p.begin(), p.end());
    tally::BinaryROC fast_d(o, lin);
    fast_d.update(pd, y);
    CHECK(fast_d.compute().tpr == general.compute().tpr);
  }
  // What the one-pass path does not take falls back whole: a NaN, a logit, a bad target.
  tally::BinaryROC roc({}, Thresholds::linspace(5));
  CHECK(contains(error_message([&] {
          roc.update(std::vector<float>{0.5f, std::nanf("")}, std::vector<int>{0, 1});
        }), "NaN"));
  CHECK(contains(error_message([&] {
          roc.update(std::vector<float>{0.5f, 0.7f}, std::vector<int>{0, 3});
        }), "target value 3"));
  CHECK(roc.counts()[0] == 0);
  roc.update(std::vector<float>{-2.0f, 3.0f}, std::vector<int>{0, 1});  // logits: sigmoid side
  const tally::RocCurve c = roc.compute();
  CHECK(c.tpr == std::vector<double>{0, 1, 1, 1, 1});  // σ(3) = 0.95 >= 0.75; σ(-2) = 0.12
  CHECK(c.fpr == std::vector<double>{0, 0, 0, 0, 1});
}
