// Parallel updates (update(..., tally::parallel{n}): count_multiclass.hpp and the thread pool)
// give bit-for-bit the serial state and result for every metric and task, one after another and
// from two threads at once; and when the batch is invalid they name the first offending element
// in flat order, as the serial update does, and leave the metric untouched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <tally/detail/thread_pool.hpp>
#include <tally/tally.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
namespace td = tally::detail;
using tally::Shape;

// Multiclass options in the order these tests vary them.
tally::Multiclass::Options par_mc(std::int64_t C, std::optional<std::int64_t> ii,
                                  tally::Average avg = tally::Average::none,
                                  tally::MultidimAverage md = tally::MultidimAverage::global,
                                  int top_k = 1) {
  tally::Multiclass::Options o;
  o.num_classes = C;
  o.ignore_index = ii;
  o.average = avg;
  o.multidim_average = md;
  o.top_k = top_k;
  return o;
}

// Serial update vs parallel{2}, parallel{0} (every hardware thread) and parallel{7}: equal
// state, counts() and compute().
template <class M, class P, class T>
void par_equals_serial(const M& fresh, tally::tensor_view<const P> p,
                       tally::tensor_view<const T> t) {
  M serial = fresh;
  serial.update(p, t);
  const auto counts = serial.counts();
  CHECK(std::any_of(counts.begin(), counts.end(), [](std::uint64_t v) { return v != 0; }));
  const tally::Result want = serial.compute();
  for (unsigned threads : {2u, 0u, 7u}) {
    INFO("parallel{" << threads << "}");
    M par = fresh;
    par.update(p, t, tally::parallel{threads});
    CHECK(par == serial);
    CHECK(same_values(par.counts(), serial.counts()));
    CHECK(par.compute() == want);
  }
}

// Label maps of C classes with ~10% ignore_index (when it is set and fits), ~85% right, in runs.
template <class X>
void par_label_maps(std::vector<X>& p, std::vector<X>& t, std::size_t n, std::size_t C,
                    std::optional<std::int64_t> ii, std::uint64_t seed) {
  p.resize(n);
  t.resize(n);
  label_case c;
  c.C = C;
  c.n = n;
  c.ii = ii;
  c.kind = runs_mostly_right;
  c.seed = seed;
  fill_labels(c, p.data(), t.data());
  // Mix in random pairs too: every 7th block of 997 is random.
  splitmix64 rng{seed + 99};
  for (std::size_t b = 0; b < n; b += 997 * 7)
    for (std::size_t i = b; i < std::min(n, b + 997); ++i) {
      t[i] = static_cast<X>(rng.below(C));
      p[i] = static_cast<X>(rng.below(10) < 8 ? static_cast<std::uint64_t>(t[i]) : rng.below(C));
    }
}

// The bad update throws tally::error naming `expected` (serial and parallel{2, 0, 7}) and leaves
// the metric equal to its copy.
template <class M, class P, class T>
void par_require_rejected(const M& before, tally::tensor_view<const P> p,
                          tally::tensor_view<const T> t, const std::string& expected) {
  for (unsigned threads : {1u, 2u, 0u, 7u}) {
    INFO((threads == 1 ? std::string("serial") : "parallel{" + std::to_string(threads) + "}"));
    M m = before;
    const std::string msg = error_message([&] {
      if (threads == 1)
        m.update(p, t);
      else
        m.update(p, t, tally::parallel{threads});
    });
    INFO("message: " << msg);
    INFO("expected: " << expected);
    CHECK(msg.find(expected) != std::string::npos);
    CHECK(m == before);
    CHECK(same_values(m.counts(), before.counts()));
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// 1. Parallel == serial
// ------------------------------------------------------------------------------------------------

TEST_CASE("parallel: every metric and task gives the serial result with parallel 2, 0 and 7") {
  const std::size_t N = 4, H = 512, W = 520, n = N * H * W;
  REQUIRE(n > td::parallel_min_elements);
  const Shape maps{N, H, W};

  SECTION("binary labels") {
    std::vector<std::uint8_t> p(n), t(n);
    splitmix64 rng{1};
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = static_cast<std::uint8_t>(rng.below(20) == 0 ? 255 : rng.below(2));
      p[i] = static_cast<std::uint8_t>(rng.below(2));
    }
    for_each_metric<tally::Binary>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      tally::Binary::Options o;
      o.ignore_index = 255;
      par_equals_serial(make_metric<M>(o), view_of(p, maps), view_of(t, maps));
      const std::string metric = name;
      if constexpr (is_stat_family_v<M>) {
        if (metric != "StatScores" && metric != "F1Score") return;
        o.multidim_average = tally::MultidimAverage::samplewise;
        par_equals_serial(make_metric<M>(o), view_of(p, maps), view_of(t, maps));
      }
    });
  }

  SECTION("multiclass uint8 label maps, C = 19, ignore_index 255") {
    std::vector<std::uint8_t> p, t;
    par_label_maps(p, t, n, 19, std::int64_t{255}, 2);
    const tally::Average avgs[] = {tally::Average::none, tally::Average::macro,
                                   tally::Average::micro, tally::Average::weighted};
    std::size_t k = 0;
    for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      const tally::Average avg = avgs[k++ % 4];
      par_equals_serial(make_metric<M>(par_mc(19, std::int64_t{255}, avg)), view_of(p, maps),
                        view_of(t, maps));
      if constexpr (is_stat_family_v<M>)
        par_equals_serial(
            make_metric<M>(par_mc(19, std::int64_t{255}, avg, tally::MultidimAverage::samplewise)),
            view_of(p, maps), view_of(t, maps));
    });
    // The pool really ran the chunks with helpers (parallel{7} asks for six), but never with
    // more threads than the hardware has.
    const std::size_t hw = std::max(1u, std::thread::hardware_concurrency());
    CHECK(td::pool_workers() >= std::min<std::size_t>(6, hw - 1));
    CHECK(td::pool_workers() <= hw - 1);
  }

  SECTION("multiclass int32 label maps, C = 150 and C = 40, ignore_index -1") {
    std::vector<std::int32_t> p, t;
    par_label_maps(p, t, n, 150, std::int64_t{-1}, 3);
    std::vector<std::int32_t> p40, t40;
    par_label_maps(p40, t40, n, 40, std::int64_t{-1}, 4);
    for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      par_equals_serial(make_metric<M>(par_mc(150, std::int64_t{-1})), view_of(p, maps),
                        view_of(t, maps));
      if constexpr (is_stat_family_v<M>)
        par_equals_serial(make_metric<M>(par_mc(40, std::int64_t{-1}, tally::Average::macro,
                                                tally::MultidimAverage::samplewise)),
                          view_of(p40, maps), view_of(t40, maps));
    });
  }

  SECTION("multiclass float and double scores, C = 5, top_k 1 and 2") {
    const std::size_t SN = 2, SC = 5, SR = std::size_t{1} << 17;
    const Shape ss{SN, SC, SR}, ts{SN, SR};
    std::vector<float> sf(SN * SC * SR);
    std::vector<double> sd(SN * SC * SR);
    std::vector<std::int16_t> t(SN * SR);
    splitmix64 rng{6};
    for (std::size_t i = 0; i < sf.size(); ++i) {
      sf[i] = static_cast<float>(rng.below(64)) / 8.0f;  // plenty of ties
      sd[i] = static_cast<double>(rng.below(1000)) / 7.0;
    }
    for (auto& v : t) v = static_cast<std::int16_t>(rng.below(12) == 0 ? -100 : rng.below(SC));
    for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      par_equals_serial(make_metric<M>(par_mc(5, std::int64_t{-100})), view_of(sf, ss),
                        view_of(t, ts));
      if constexpr (is_stat_family_v<M>) {
        par_equals_serial(make_metric<M>(par_mc(5, std::int64_t{-100}, tally::Average::micro,
                                                tally::MultidimAverage::samplewise)),
                          view_of(sd, ss), view_of(t, ts));
        const std::string metric = name;
        if (metric != "StatScores" && metric != "Recall") return;  // top_k > 1 is scalar code
        const auto md = metric == "Recall" ? tally::MultidimAverage::samplewise
                                           : tally::MultidimAverage::global;
        par_equals_serial(
            make_metric<M>(par_mc(5, std::int64_t{-100}, tally::Average::macro, md, 2)),
            view_of(sf, ss), view_of(t, ts));
      }
    });
  }

  SECTION("multilabel labels") {
    const Shape ml{4, 3, 90000};
    std::vector<std::int8_t> p(ml.numel()), t(ml.numel());
    splitmix64 rng{7};
    for (std::size_t i = 0; i < p.size(); ++i) {
      t[i] = static_cast<std::int8_t>(rng.below(25) == 0 ? -1 : rng.below(2));
      p[i] = static_cast<std::int8_t>(rng.below(2));
    }
    for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      tally::Multilabel::Options o;
      o.num_labels = 3;
      o.ignore_index = -1;
      o.average = tally::Average::none;
      par_equals_serial(make_metric<M>(o), view_of(p, ml), view_of(t, ml));
      const std::string metric = name;
      if constexpr (is_stat_family_v<M>) {
        if (metric != "Recall" && metric != "Accuracy") return;
        o.multidim_average = tally::MultidimAverage::samplewise;
        par_equals_serial(make_metric<M>(o), view_of(p, ml), view_of(t, ml));
      }
    });
  }

  SECTION("DiceScore label maps, global and samplewise") {
    std::vector<std::uint8_t> p, t;
    par_label_maps(p, t, n, 19, std::int64_t{255}, 8);
    for (auto level : {tally::AggregationLevel::global, tally::AggregationLevel::samplewise}) {
      INFO("aggregation " << tally::to_string(level));
      tally::DiceScore::Options o;
      o.num_classes = 19;
      o.ignore_index = 255;
      o.input_format = tally::InputFormat::index;
      o.aggregation_level = level;
      o.average = tally::Average::none;
      par_equals_serial(tally::DiceScore(o), view_of(p, maps), view_of(t, maps));
    }
  }
}

TEST_CASE("parallel: several parallel updates in a row equal the same serial updates") {
  const std::size_t N = 4, H = 512, W = 520, n = N * H * W;
  const Shape maps{N, H, W};
  std::vector<std::uint8_t> pa, ta, pb, tb, pc, tc;
  par_label_maps(pa, ta, n, 19, std::int64_t{255}, 11);
  par_label_maps(pb, tb, n, 19, std::int64_t{255}, 12);
  par_label_maps(pc, tc, n, 19, std::int64_t{255}, 13);
  auto run = [&](auto fresh) {
    auto serial = fresh;
    serial.update(view_of(pa, maps), view_of(ta, maps));
    serial.update(view_of(pb, maps), view_of(tb, maps));
    serial.update(view_of(pc, maps), view_of(tc, maps));
    auto par = fresh;
    par.update(view_of(pa, maps), view_of(ta, maps), tally::parallel{2});
    par.update(view_of(pb, maps), view_of(tb, maps), tally::parallel{7});
    par.update(view_of(pc, maps), view_of(tc, maps), tally::parallel{0});
    CHECK(par == serial);
    CHECK(same_values(par.counts(), serial.counts()));
    CHECK(par.compute() == serial.compute());
  };
  run(tally::MulticlassStatScores(
      par_mc(19, std::int64_t{255}, tally::Average::none, tally::MultidimAverage::samplewise)));
  run(tally::MulticlassJaccardIndex(par_mc(19, std::int64_t{255}, tally::Average::macro)));
  run(tally::MulticlassConfusionMatrix(par_mc(19, std::int64_t{255})));
}

TEST_CASE(
    "parallel: two threads updating their own metrics in parallel both get the serial result") {
  // The pool runs one job at a time; the caller that finds it busy counts on its own thread.
  const std::size_t N = 4, H = 512, W = 520, n = N * H * W;
  const Shape maps{N, H, W};
  std::vector<std::uint8_t> p1, t1;
  par_label_maps(p1, t1, n, 19, std::int64_t{255}, 21);
  std::vector<std::int32_t> p2, t2;
  par_label_maps(p2, t2, n, 150, std::nullopt, 22);
  const tally::MulticlassF1Score f1_fresh(par_mc(19, std::int64_t{255}, tally::Average::none));
  const tally::MulticlassStatScores ss_fresh(
      par_mc(150, std::nullopt, tally::Average::none, tally::MultidimAverage::samplewise));
  tally::MulticlassF1Score f1_serial = f1_fresh;
  tally::MulticlassStatScores ss_serial = ss_fresh;
  for (int k = 0; k < 3; ++k) {
    f1_serial.update(view_of(p1, maps), view_of(t1, maps));
    ss_serial.update(view_of(p2, maps), view_of(t2, maps));
  }
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    tally::MulticlassF1Score f1 = f1_fresh;
    tally::MulticlassStatScores ss = ss_fresh;
    std::exception_ptr e1, e2;
    std::thread a([&] {
      try {
        for (int k = 0; k < 3; ++k)
          f1.update(view_of(p1, maps), view_of(t1, maps), tally::parallel{2});
      } catch (...) {
        e1 = std::current_exception();
      }
    });
    std::thread b([&] {
      try {
        for (int k = 0; k < 3; ++k)
          ss.update(view_of(p2, maps), view_of(t2, maps), tally::parallel{3});
      } catch (...) {
        e2 = std::current_exception();
      }
    });
    a.join();
    b.join();
    CHECK(!e1);
    CHECK(!e2);
    CHECK(f1 == f1_serial);
    CHECK(same_values(f1.counts(), f1_serial.counts()));
    CHECK(f1.compute() == f1_serial.compute());
    CHECK(ss == ss_serial);
    CHECK(same_values(ss.counts(), ss_serial.counts()));
  }
}

// ------------------------------------------------------------------------------------------------
// 2. Errors: the first offending element, the metric unchanged
// ------------------------------------------------------------------------------------------------

TEST_CASE(
    "parallel: the first offending element in flat order is named, and the metric is unchanged") {
  // (4, 512, 520) int32 label maps, C = 19, ignore_index 255: > 1M elements, so parallel{2} cuts
  // the batch in two chunks [0, n/2) and [n/2, n) that run on two threads.
  const std::size_t N = 4, H = 512, W = 520, n = N * H * W, half = n / 2, R = H * W;
  REQUIRE(n > td::parallel_min_elements);
  const Shape shape{N, H, W};
  std::vector<std::int32_t> p0, t0;
  par_label_maps(p0, t0, n, 19, std::int64_t{255}, 77);
  // Small valid first update, so that "unchanged" means something.
  const std::vector<std::int32_t> gp{0, 1, 2, 18, 3, 4}, gt{0, 1, 5, 18, 255, 4};
  auto good = [&](auto& m) { m.update(view_of(gp, Shape{2, 3}), view_of(gt, Shape{2, 3})); };

  struct Scenario {
    const char* name;
    std::vector<std::pair<std::size_t, std::pair<bool, std::int32_t>>> edits;  // at, (pred?, v)
    std::string expected;
  };
  auto at = [](std::size_t i) { return " at index " + std::to_string(i) + " "; };
  const std::vector<Scenario> scenarios{
      {"one bad target in chunk 2",
       {{half + 1000, {false, 19}}},
       "target value 19" + at(half + 1000)},
      {"bad pred in chunk 2, bad target in chunk 1",
       {{n - 1, {true, 40}}, {half - 1000, {false, -1}}},
       "target value -1" + at(half - 1000)},
      {"bad target in chunk 2, bad pred in chunk 1",
       {{half + 3, {false, 200}}, {7, {true, -5}}},
       "preds value -5" + at(7)},
      {"two in chunk 2: the earlier one",
       {{half + 10, {true, 19}}, {half + 5, {false, 19}}},
       "target value 19" + at(half + 5)},
      {"bad target in the last element", {{n - 1, {false, 1000}}}, "target value 1000" + at(n - 1)},
      {"bad pred 255 at a kept position in chunk 2",
       {{half + 64, {true, 255}}, {half + 65, {true, 255}}},
       "preds value 255" + at(half + 64)},
      {"bad values in samples 3 and 1",
       {{3 * R + 17, {false, 33}}, {R + 40000, {true, 21}}},
       "preds value 21" + at(R + 40000)},
      {"bad value at the first element of chunk 2 and the last of chunk 1",
       {{half, {false, 19}}, {half - 1, {true, 19}}},
       "preds value 19" + at(half - 1)},
  };

  auto run_all = [&](auto tag, const char* name, tally::MultidimAverage md) {
    using M = typename decltype(tag)::type;
    INFO(name << (md == tally::MultidimAverage::samplewise ? " samplewise" : " global"));
    M m = make_metric<M>(par_mc(19, std::int64_t{255}, tally::Average::none, md));
    good(m);
    const M before = m;
    for (const Scenario& s : scenarios) {
      INFO(s.name);
      std::vector<std::int32_t> p = p0, t = t0;
      for (const auto& e : s.edits) {
        if (e.second.first) {
          p[e.first] = e.second.second;
          t[e.first] = 3;  // a kept position (the maps have ignored ones with any pred)
        } else {
          t[e.first] = e.second.second;
        }
      }
      par_require_rejected(before, view_of(p, shape), view_of(t, shape), s.expected);
    }
    // A bad pred at ignored positions of both chunks is accepted, same as serial.
    std::vector<std::int32_t> p = p0, t = t0;
    for (std::size_t i : {std::size_t{5}, half + 5, n - 1}) {
      p[i] = -7;
      t[i] = 255;
    }
    par_equals_serial(before, view_of(p, shape), view_of(t, shape));
  };
  run_all(metric_tag<tally::MulticlassStatScores>{}, "MulticlassStatScores",
          tally::MultidimAverage::global);
  run_all(metric_tag<tally::MulticlassStatScores>{}, "MulticlassStatScores",
          tally::MultidimAverage::samplewise);
  run_all(metric_tag<tally::MulticlassF1Score>{}, "MulticlassF1Score",
          tally::MultidimAverage::global);
  run_all(metric_tag<tally::MulticlassF1Score>{}, "MulticlassF1Score",
          tally::MultidimAverage::samplewise);
  run_all(metric_tag<tally::MulticlassConfusionMatrix>{}, "MulticlassConfusionMatrix",
          tally::MultidimAverage::global);

  // DiceScore splits whole samples over the threads: a bad target in sample 3 and a bad pred in
  // sample 1 name the pred.
  {
    INFO("DiceScore");
    for (auto level : {tally::AggregationLevel::global, tally::AggregationLevel::samplewise}) {
      INFO("aggregation " << tally::to_string(level));
      tally::DiceScore::Options o;
      o.num_classes = 19;
      o.ignore_index = 255;
      o.input_format = tally::InputFormat::index;
      o.aggregation_level = level;
      tally::DiceScore m(o);
      good(m);
      std::vector<std::int32_t> p = p0, t = t0;
      t[3 * R + 5] = 19;
      p[R + 123] = -2;
      t[R + 123] = 4;
      par_require_rejected(m, view_of(p, shape), view_of(t, shape), "preds value -2" + at(R + 123));
      p[R + 123] = 4;
      t[2 * R] = -3;  // first element of chunk 2
      par_require_rejected(m, view_of(p, shape), view_of(t, shape), "target value -3" + at(2 * R));
    }
  }
}

TEST_CASE(
    "parallel: NaN scores and bad targets in multiclass scores name the first sample's offender") {
  // (2, 5, 2^17) float scores: parallel{2} gives one sample per chunk.
  const std::size_t N = 2, C = 5, R = std::size_t{1} << 17;
  std::vector<float> s(N * C * R);
  std::vector<std::uint8_t> t(N * R);
  splitmix64 rng{4242};
  for (auto& v : s) v = static_cast<float>(rng.below(1000)) / 100.0f;
  for (auto& v : t) v = static_cast<std::uint8_t>(rng.below(10) == 0 ? 255 : rng.below(C));
  const Shape ss{N, C, R}, ts{N, R};
  auto check_all = [&](const std::vector<float>& sc, const std::vector<std::uint8_t>& tg,
                       const std::string& expected) {
    par_require_rejected(tally::MulticlassStatScores(par_mc(5, std::int64_t{255})), view_of(sc, ss),
                         view_of(tg, ts), expected);
    par_require_rejected(
        tally::MulticlassF1Score(par_mc(5, std::int64_t{255}, tally::Average::macro,
                                        tally::MultidimAverage::samplewise)),
        view_of(sc, ss), view_of(tg, ts), expected);
    par_require_rejected(tally::MulticlassConfusionMatrix(par_mc(5, std::int64_t{255})),
                         view_of(sc, ss), view_of(tg, ts), expected);
  };
  {
    INFO("NaN in sample 1, bad target in sample 0");
    std::vector<float> sc = s;
    std::vector<std::uint8_t> tg = t;
    sc[1 * C * R + 3 * R + 100] = std::numeric_limits<float>::quiet_NaN();
    tg[R - 1] = 5;
    check_all(sc, tg, "target value 5 at index " + std::to_string(R - 1) + " ");
  }
  {
    INFO("NaN in sample 0 (last score), bad target in sample 1");
    std::vector<float> sc = s;
    std::vector<std::uint8_t> tg = t;
    sc[C * R - 1] = std::numeric_limits<float>::quiet_NaN();
    tg[R + 3] = 6;
    check_all(sc, tg, "NaN at index " + std::to_string(C * R - 1) + ":");
  }
  {
    INFO("NaN at an ignored position of sample 1 only");
    std::vector<float> sc = s;
    std::vector<std::uint8_t> tg = t;
    tg[R + 77] = 255;
    sc[C * R + 2 * R + 77] = std::numeric_limits<float>::quiet_NaN();
    check_all(sc, tg, "NaN at index " + std::to_string(C * R + 2 * R + 77) + ":");
  }
}

TEST_CASE(
    "parallel: a bad target and a later NaN in one sample of scores are reported alike by every "
    "path") {
  // One sample, R = 1000 positions: target 7000 at position 3, NaN at position 900 of class 2.
  // StatScores, F1Score and ConfusionMatrix (table path for C <= 64, direct path above), serial
  // and parallel, must all name the same offender (tally 0.1.0 named the target for all of them).
  const std::size_t R = 1000;
  std::vector<std::string> kinds;
  std::vector<std::string> messages;
  for (std::size_t C : {std::size_t{5}, std::size_t{100}}) {
    std::vector<float> s(C * R, 0.5f);
    std::vector<std::int32_t> t(R, 1);
    t[3] = 7000;
    s[2 * R + 900] = std::numeric_limits<float>::quiet_NaN();
    const Shape ss{1, C, R}, ts{1, R};
    auto record = [&](const std::string& what, auto m, unsigned threads) {
      const std::string msg = error_message([&] {
        if (threads == 1)
          m.update(view_of(s, ss), view_of(t, ts));
        else
          m.update(view_of(s, ss), view_of(t, ts), tally::parallel{threads});
      });
      messages.push_back(what + " C=" + std::to_string(C) + ": " + msg);
      kinds.push_back(msg.find("target value 7000 at index 3 ") != std::string::npos ? "target"
                      : msg.find("NaN at index " + std::to_string(2 * R + 900) + ":") !=
                              std::string::npos
                          ? "nan"
                          : "other");
    };
    const auto o = par_mc(static_cast<std::int64_t>(C), std::nullopt);
    for (unsigned threads : {1u, 2u}) {
      record("StatScores", tally::MulticlassStatScores(o), threads);
      record("F1Score", tally::MulticlassF1Score(o), threads);
      record("ConfusionMatrix", tally::MulticlassConfusionMatrix(o), threads);
    }
  }
  std::string all;
  for (const auto& m : messages) all += m + "\n";
  INFO(all);
  CHECK(std::count(kinds.begin(), kinds.end(), "other") == 0);
  CHECK(std::count(kinds.begin(), kinds.end(), kinds.front()) ==
        static_cast<std::ptrdiff_t>(kinds.size()));
}
