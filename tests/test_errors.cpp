// The bad-input catalogue (docs/semantics.md section 3): every rejected option and input throws
// exactly tally::error, with a message naming the argument, the bad value and its flat index, and a
// rejected update leaves the accumulator exactly as it was (3.3, strong guarantee).
// The table-driven catalogue in test_errors_catalogue.cpp runs every rule against every metric
// type, input width and kernel path; the cases here are the readable, hand-written examples.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Shape;

template <class T>
using cview = tally::tensor_view<const T>;

std::string errs_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Runs f, which must throw tally::error; checks (case-insensitively) that the message contains
// every part.
void errs_require_message(fn_ref<void()> f, const std::vector<std::string>& parts) {
  bool thrown = false;
  std::string msg;
  try {
    f();
  } catch (const tally::error& e) {
    thrown = true;
    msg = e.what();
  }
  REQUIRE(thrown);
  INFO("message: " << msg);
  const std::string low = errs_lower(msg);
  for (const auto& p : parts) {
    INFO("expected substring: " << p);
    CHECK(low.find(errs_lower(p)) != std::string::npos);
  }
}

// The constructor of M rejects o with tally::error whose message contains parts.
template <class M, class O>
void errs_require_ctor_error(const O& o, const std::vector<std::string>& parts, double beta = 2.0) {
  REQUIRE_THROWS_AS((void)make_metric<M>(o, beta), tally::error);
  errs_require_message([&] { (void)make_metric<M>(o, beta); }, parts);
}

// m gets one valid update; the bad update must throw tally::error, leave m equal to its copy
// (state and compute()), carry a message with parts, and a further valid update must still work.
template <class M>
void errs_require_update_rejected(M m, same_t<fn_ref<void(M&)>> good, same_t<fn_ref<void(M&)>> bad,
                                  const std::vector<std::string>& parts) {
  good(m);
  const M before = m;
  const tally::Result r_before = m.compute();
  REQUIRE_THROWS_AS(bad(m), tally::error);
  REQUIRE(m == before);
  const tally::Result r_after = m.compute();
  REQUIRE(r_after.shape() == r_before.shape());
  REQUIRE(r_after == r_before);
  errs_require_message(
      [&] {
        M other = before;
        bad(other);
      },
      parts);
  good(m);
  M expected = before;
  good(expected);
  REQUIRE(m == expected);
  REQUIRE(m.compute() == expected.compute());
}

// An update that must be accepted.
template <class M>
void errs_require_accepted(M m, same_t<fn_ref<void(M&)>> upd) {
  REQUIRE_NOTHROW(upd(m));
  REQUIRE_NOTHROW((void)m.compute());
}

// The valid first update of every update-error check.
const std::vector<int> errs_bin_good_p{0, 1, 1, 0};
const std::vector<int> errs_bin_good_t{0, 1, 0, 0};
const std::vector<int> errs_mc_good_p{0, 1, 2, 3, 5};
const std::vector<int> errs_mc_good_t{0, 1, 2, 5, 5};
const std::vector<int> errs_ml_good_p{0, 1, 1, 1, 0, 0};
const std::vector<int> errs_ml_good_t{0, 1, 0, 1, 1, 0};

template <class M>
void errs_good_bin(M& m) {
  m.update(view_of(errs_bin_good_p), view_of(errs_bin_good_t));
}
template <class M>
void errs_good_mc(M& m) {
  m.update(view_of(errs_mc_good_p), view_of(errs_mc_good_t));
}
template <class M>
void errs_good_ml(M& m) {
  m.update(view_of(errs_ml_good_p, Shape{2, 3}), view_of(errs_ml_good_t, Shape{2, 3}));
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Options (3.1)
// ------------------------------------------------------------------------------------------------

TEST_CASE("errors: num_classes and num_labels below 2, negative or absurdly large are rejected") {
  const std::int64_t bad[] = {0,
                              1,
                              -1,
                              -6,
                              std::int64_t{1} << 62,
                              std::numeric_limits<std::int64_t>::max(),
                              std::numeric_limits<std::int64_t>::min()};
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    for (std::int64_t c : bad) {
      INFO(name << " num_classes " << c);
      errs_require_ctor_error<M>(mc_opts(c), {"num_classes", std::to_string(c)});
    }
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    for (std::int64_t l : bad) {
      INFO(name << " num_labels " << l);
      errs_require_ctor_error<M>(ml_opts(l), {"num_labels", std::to_string(l)});
    }
  });
}

TEST_CASE("errors: a huge num_classes is tally::error, not bad_alloc, also for ConfusionMatrix") {
  // C x C counters for ConfusionMatrix / JaccardIndex: 2^31 classes is 2^62 cells.
  for (std::int64_t c : {std::int64_t{1} << 31, std::int64_t{1} << 40, std::int64_t{1} << 62}) {
    INFO("num_classes " << c);
    REQUIRE_THROWS_AS(tally::MulticlassConfusionMatrix(mc_opts(c)), tally::error);
    REQUIRE_THROWS_AS(tally::MulticlassJaccardIndex(mc_opts(c)), tally::error);
  }
  REQUIRE_THROWS_AS(tally::MulticlassF1Score(mc_opts(std::int64_t{1} << 62)), tally::error);
  REQUIRE_THROWS_AS(tally::MultilabelConfusionMatrix(ml_opts(std::int64_t{1} << 62)), tally::error);
}

TEST_CASE("errors: the smallest valid sizes are accepted") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    REQUIRE_NOTHROW((void)make_metric<M>(mc_opts(2)));
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    REQUIRE_NOTHROW((void)make_metric<M>(ml_opts(2)));
  });
}

TEST_CASE("errors: top_k outside [1, C] is rejected, and top_k > 1 works only for the StatScores family") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    for (int k : {0, -1, 7, 100}) {
      INFO("top_k " << k);
      auto o = mc_opts(6);
      o.top_k = k;
      errs_require_ctor_error<M>(o, {"top_k", std::to_string(k)});
    }
    for (int k : {1, 2, 6}) {
      INFO("top_k " << k);
      auto o = mc_opts(6);
      o.top_k = k;
      if (is_stat_family_v<M> || k == 1) {
        REQUIRE_NOTHROW((void)make_metric<M>(o));
      } else {
        errs_require_ctor_error<M>(o, {"top_k", std::to_string(k)});
      }
    }
  });
}

TEST_CASE("errors: threshold outside [0, 1] or NaN is rejected, 0 and 1 are valid") {
  auto check = [](auto tag, const char* name, auto base) {
    using M = typename decltype(tag)::type;
    INFO(name);
    for (double t : {-0.1, 1.1, -inf, inf}) {
      INFO("threshold " << t);
      auto o = base;
      o.threshold = t;
      errs_require_ctor_error<M>(o, {"threshold"});
    }
    {
      auto o = base;
      o.threshold = -0.1;
      errs_require_ctor_error<M>(o, {"threshold", "-0.1"});
      o.threshold = 1.1;
      errs_require_ctor_error<M>(o, {"threshold", "1.1"});
      o.threshold = qnan;
      errs_require_ctor_error<M>(o, {"threshold", "nan"});
    }
    for (double t : {0.0, 1.0, 0.5, 0.3}) {
      INFO("threshold " << t);
      auto o = base;
      o.threshold = t;
      REQUIRE_NOTHROW((void)make_metric<M>(o));
    }
  };
  for_each_metric<tally::Binary>([&](auto tag, const char* name) { check(tag, name, bin_opts()); });
  for_each_metric<tally::Multilabel>(
      [&](auto tag, const char* name) { check(tag, name, ml_opts(3)); });
}

TEST_CASE("errors: zero_division other than exactly 0 or 1 is rejected by every metric") {
  // Checked for every metric, even those that ignore it (Accuracy, Specificity, ConfusionMatrix).
  auto check = [](auto tag, const char* name, auto base) {
    using M = typename decltype(tag)::type;
    INFO(name);
    for (double zd : {0.5, -1.0, 2.0, qnan, inf, 1e-300}) {
      INFO("zero_division " << zd);
      auto o = base;
      o.zero_division = zd;
      errs_require_ctor_error<M>(o, {"zero_division"});
    }
    {
      auto o = base;
      o.zero_division = 0.5;
      errs_require_ctor_error<M>(o, {"zero_division", "0.5"});
      o.zero_division = qnan;
      errs_require_ctor_error<M>(o, {"zero_division", "nan"});
    }
    for (double zd : {0.0, 1.0, -0.0}) {
      INFO("zero_division " << zd);
      auto o = base;
      o.zero_division = zd;
      REQUIRE_NOTHROW((void)make_metric<M>(o));
    }
  };
  for_each_metric<tally::Binary>([&](auto tag, const char* name) { check(tag, name, bin_opts()); });
  for_each_metric<tally::Multiclass>(
      [&](auto tag, const char* name) { check(tag, name, mc_opts(6)); });
  for_each_metric<tally::Multilabel>(
      [&](auto tag, const char* name) { check(tag, name, ml_opts(3)); });
}

TEST_CASE("errors: FBetaScore rejects beta that is not finite and > 0") {
  for (double beta : {0.0, -0.0, -1.0, inf, -inf, qnan}) {
    INFO("beta " << beta);
    errs_require_ctor_error<tally::BinaryFBetaScore>(bin_opts(), {"beta"}, beta);
    errs_require_ctor_error<tally::MulticlassFBetaScore>(mc_opts(6), {"beta"}, beta);
    errs_require_ctor_error<tally::MultilabelFBetaScore>(ml_opts(3), {"beta"}, beta);
  }
  errs_require_ctor_error<tally::MulticlassFBetaScore>(mc_opts(6), {"beta", "-2"}, -2.0);
  for (double beta : {1e-9, 0.5, 1.0, 2.0, 1e9}) {
    INFO("beta " << beta);
    REQUIRE_NOTHROW(tally::BinaryFBetaScore(beta, bin_opts()));
    REQUIRE_NOTHROW(tally::MulticlassFBetaScore(beta, mc_opts(6)));
    REQUIRE_NOTHROW(tally::MultilabelFBetaScore(beta, ml_opts(3)));
  }
}

TEST_CASE("errors: enums cast from out-of-range integers are rejected") {
  const auto bad_avg = static_cast<tally::Average>(42);
  const auto bad_mdim = static_cast<tally::MultidimAverage>(42);
  const auto bad_norm = static_cast<tally::Normalize>(42);
  const auto neg_avg = static_cast<tally::Average>(-1);

  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = bin_opts();
    o.multidim_average = bad_mdim;
    errs_require_ctor_error<M>(o, {"multidim_average", "42"});
  });
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = mc_opts(6);
    o.multidim_average = bad_mdim;
    errs_require_ctor_error<M>(o, {"multidim_average", "42"});
    o = mc_opts(6);
    o.average = bad_avg;
    errs_require_ctor_error<M>(o, {"average", "42"});
    o.average = neg_avg;
    errs_require_ctor_error<M>(o, {"average", "-1"});
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = ml_opts(3);
    o.multidim_average = bad_mdim;
    errs_require_ctor_error<M>(o, {"multidim_average", "42"});
    o = ml_opts(3);
    o.average = bad_avg;
    errs_require_ctor_error<M>(o, {"average", "42"});
  });

  auto norm_error = [&](auto make) {
    REQUIRE_THROWS_AS(make(), tally::error);
    errs_require_message(make, {"normalize", "42"});
  };
  norm_error([&] { return tally::BinaryConfusionMatrix(bin_opts(), bad_norm); });
  norm_error([&] { return tally::MulticlassConfusionMatrix(mc_opts(6), bad_norm); });
  norm_error([&] { return tally::MultilabelConfusionMatrix(ml_opts(3), bad_norm); });
  for (auto n : {tally::Normalize::none, tally::Normalize::target, tally::Normalize::pred,
                 tally::Normalize::all}) {
    REQUIRE_NOTHROW(tally::BinaryConfusionMatrix(bin_opts(), n));
    REQUIRE_NOTHROW(tally::MulticlassConfusionMatrix(mc_opts(6), n));
    REQUIRE_NOTHROW(tally::MultilabelConfusionMatrix(ml_opts(3), n));
  }
}

TEST_CASE("errors: samplewise is rejected by ConfusionMatrix and JaccardIndex") {
  auto b = bin_opts();
  b.multidim_average = tally::MultidimAverage::samplewise;
  auto c = mc_opts(6);
  c.multidim_average = tally::MultidimAverage::samplewise;
  auto l = ml_opts(3);
  l.multidim_average = tally::MultidimAverage::samplewise;
  errs_require_ctor_error<tally::BinaryConfusionMatrix>(b, {"samplewise"});
  errs_require_ctor_error<tally::MulticlassConfusionMatrix>(c, {"samplewise"});
  errs_require_ctor_error<tally::MultilabelConfusionMatrix>(l, {"samplewise"});
  errs_require_ctor_error<tally::BinaryJaccardIndex>(b, {"samplewise"});
  errs_require_ctor_error<tally::MulticlassJaccardIndex>(c, {"samplewise"});
  errs_require_ctor_error<tally::MultilabelJaccardIndex>(l, {"samplewise"});
  // ... and accepted by the rest.
  REQUIRE_NOTHROW(tally::BinaryF1Score(b));
  REQUIRE_NOTHROW(tally::MulticlassStatScores(c));
  REQUIRE_NOTHROW(tally::MultilabelAccuracy(l));
}

TEST_CASE("errors: any int64 ignore_index is a valid option") {
  for (std::int64_t ii :
       {std::numeric_limits<std::int64_t>::min(), std::int64_t{-100}, std::int64_t{-1},
        std::int64_t{0}, std::int64_t{1}, std::int64_t{5}, std::int64_t{6}, std::int64_t{255},
        std::numeric_limits<std::int64_t>::max()}) {
    INFO("ignore_index " << ii);
    for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      M m = make_metric<M>(mc_opts(6, ii));
      REQUIRE_NOTHROW(errs_good_mc(m));
    });
    for_each_metric<tally::Binary>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      M m = make_metric<M>(bin_opts(ii));
      REQUIRE_NOTHROW(errs_good_bin(m));
    });
    for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      M m = make_metric<M>(ml_opts(3, ii));
      REQUIRE_NOTHROW(errs_good_ml(m));
    });
  }
}

// ------------------------------------------------------------------------------------------------
// Multiclass inputs (3.2)
// ------------------------------------------------------------------------------------------------

TEST_CASE("errors: multiclass target values outside 0 to C-1 that are not ignore_index") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(mc_opts(6));
    const std::vector<int> p3{0, 1, 2};
    struct BadTarget {
      std::vector<long long> target;
      std::string value;
      std::string index;
    };
    const std::vector<BadTarget> cases{
        {{6, 1, 2}, "6", "index 0"},     {{0, 6, 2}, "6", "index 1"},
        {{0, 1, 6}, "6", "index 2"},     {{255, 1, 2}, "255", "index 0"},
        {{0, 255, 2}, "255", "index 1"}, {{0, 1, 255}, "255", "index 2"},
        {{-1, 1, 2}, "-1", "index 0"},   {{0, -1, 2}, "-1", "index 1"},
        {{0, 1, -1}, "-1", "index 2"},   {{0, 1, -100}, "-100", "index 2"},
        {{7, 7, 7}, "7", "index 0"},  // the first offending element is reported
    };
    for (const auto& c : cases) {
      INFO("target " << c.value << " at " << c.index);
      errs_require_update_rejected(
          m, [](M& x) { errs_good_mc(x); }, [&](M& x) { x.update(view_of(p3), view_of(c.target)); },
          {"target", c.value, c.index, "[0, 6)"});
    }

    // With an out-of-range ignore_index set, a different bad value names ii too.
    const M m255 = make_metric<M>(mc_opts(6, 255));
    const std::vector<int> p2{0, 1};
    const std::vector<int> t2{0, 7};
    errs_require_update_rejected(
        m255, [](M& x) { errs_good_mc(x); }, [&](M& x) { x.update(view_of(p2), view_of(t2)); },
        {"target", "7", "index 1", "[0, 6)", "255"});

    // Negative labels in signed narrow types.
    const std::vector<std::int8_t> t8{0, -1};
    errs_require_update_rejected(
        m, [](M& x) { errs_good_mc(x); }, [&](M& x) { x.update(view_of(p2), view_of(t8)); },
        {"target", "-1", "index 1"});
    const std::vector<std::int16_t> t16{-3, 0};
    errs_require_update_rejected(
        m, [](M& x) { errs_good_mc(x); }, [&](M& x) { x.update(view_of(p2), view_of(t16)); },
        {"target", "-3", "index 0"});

    // Score input: the target is checked the same way.
    const std::vector<double> s2(12, 0.25);
    const std::vector<long long> t2bad{0, 6};
    errs_require_update_rejected(
        m, [](M& x) { errs_good_mc(x); },
        [&](M& x) {
          x.update(view_of(s2, Shape{2, 6}), view_of(t2bad));
        },
        {"target", "6", "index 1", "[0, 6)"});
  });
}

TEST_CASE("errors: a label above the class range names both fixes, num_classes and ignore_index") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::Equals;
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    M m = make_metric<M>(mc_opts(4));
    const std::vector<int> p{1, 2}, t{1, 5};
    CHECK_THROWS_WITH(m.update(p, t),
                      Equals("target value 5 at index 1 is outside [0, 4); if 5 is a class, "
                             "num_classes must be at least 6; to skip positions with this label "
                             "instead, pass ignore_index = 5"));
    // With an ignore_index set, the other fix is still named.
    M m255 = make_metric<M>(mc_opts(4, 255));
    CHECK_THROWS_WITH(m255.update(p, t),
                      Equals("target value 5 at index 1 is outside [0, 4) and is not "
                             "ignore_index 255; if 5 is a class, num_classes must be at least 6"));
    // A prediction above the range: num_classes is the fix.
    const std::vector<int> p7{7, 2}, t1{1, 2};
    CHECK_THROWS_WITH(m.update(p7, t1), Equals("preds value 7 at index 0 is outside [0, 4); if 7 "
                                               "is a class, num_classes must be at least 8"));
    // A negative label cannot be a class: only ignore_index is suggested.
    const std::vector<int> tneg{1, -3};
    CHECK_THROWS_WITH(m.update(p, tneg),
                      Equals("target value -3 at index 1 is outside [0, 4); to skip positions "
                             "with this label, pass ignore_index = -3"));
  });
  // Binary values have no num_classes to raise.
  tally::BinaryF1Score b{tally::Binary::Options{}};
  CHECK_THROWS_WITH(b.update(std::vector<int>{1}, std::vector<int>{2}),
                    !Contains("num_classes") && Contains("pass ignore_index = 2"));
}

TEST_CASE("errors: DiceScore index maps passed as one-hot (the default) name input_format") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::EndsWith;
  const std::string hint =
      "; if preds and target are index maps (N, ...) of class labels, pass input_format = "
      "InputFormat::index";
  tally::DiceScore::Options o;
  o.num_classes = 4;  // input_format left at one_hot
  tally::DiceScore dice(o);
  const tally::DiceScore before = dice;
  // (N, H, W) index maps whose H is not C: a channel-count error, with the hint.
  const std::vector<std::uint8_t> maps(2 * 5 * 6, 1);
  CHECK_THROWS_WITH(dice.update(view_of(maps, Shape{2, 5, 6}), view_of(maps, Shape{2, 5, 6})),
                    Contains("axis 1 has 5 channels but num_classes is 4") && EndsWith(hint));
  // (N, L) index maps: a rank error, with the hint.
  CHECK_THROWS_WITH(dice.update(view_of(maps, Shape{6, 10}), view_of(maps, Shape{6, 10})),
                    Contains("rank >= 3") && EndsWith(hint));
  // H == C: the shapes pass, the values (labels 2) are not one-hot.
  const std::vector<std::uint8_t> labels(2 * 4 * 6, 2);
  CHECK_THROWS_WITH(dice.update(view_of(labels, Shape{2, 4, 6}), view_of(labels, Shape{2, 4, 6})),
                    Contains("is not 0 or 1") && EndsWith(hint));
  CHECK(dice == before);
  // With input_format = index the same maps are counted; under mixed no index hint is given.
  o.input_format = tally::InputFormat::index;
  tally::DiceScore index_dice(o);
  CHECK_NOTHROW(index_dice.update(view_of(labels, Shape{2, 4, 6}), view_of(labels, Shape{2, 4, 6})));
  o.input_format = tally::InputFormat::mixed;
  tally::DiceScore mixed(o);
  CHECK_THROWS_WITH(mixed.update(view_of(maps, Shape{2, 5, 6}), view_of(maps, Shape{2, 6})),
                    !Contains("input_format = InputFormat::index"));
}

TEST_CASE("errors: a uint8 255 is compared by value with ignore_index") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const std::vector<std::uint8_t> t{0, 255};
    const std::vector<std::uint8_t> p{0, 1};
    for (std::int64_t ii : {std::int64_t{-1}, std::int64_t{-100}, std::int64_t{-255}}) {
      INFO("ignore_index " << ii);
      errs_require_update_rejected(
          make_metric<M>(mc_opts(6, ii)), [](M& x) { errs_good_mc(x); },
          [&](M& x) { x.update(view_of(p), view_of(t)); },
          {"target", "255", "index 1", std::to_string(ii)});
    }
    errs_require_accepted(make_metric<M>(mc_opts(6, 255)),
                          [&](M& x) { x.update(view_of(p), view_of(t)); });
  });
  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const std::vector<std::uint8_t> t{0, 1, 255};
    const std::vector<std::uint8_t> p{0, 1, 1};
    errs_require_update_rejected(
        make_metric<M>(bin_opts(-1)), [](M& x) { errs_good_bin(x); },
        [&](M& x) { x.update(view_of(p), view_of(t)); }, {"target", "255", "index 2"});
    errs_require_accepted(make_metric<M>(bin_opts(255)),
                          [&](M& x) { x.update(view_of(p), view_of(t)); });
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const std::vector<std::uint8_t> t{0, 1, 255, 1, 0, 0};
    const std::vector<std::uint8_t> p{0, 1, 1, 1, 1, 0};
    errs_require_update_rejected(
        make_metric<M>(ml_opts(3, -1)), [](M& x) { errs_good_ml(x); },
        [&](M& x) {
          x.update(view_of(p, Shape{2, 3}), view_of(t, Shape{2, 3}));
        },
        {"target", "255", "index 2"});
    errs_require_accepted(make_metric<M>(ml_opts(3, 255)), [&](M& x) {
      x.update(view_of(p, Shape{2, 3}), view_of(t, Shape{2, 3}));
    });
  });
}

TEST_CASE("errors: uint64 labels above INT64_MAX are named with their own value") {
  // The value is printed as it is (not clamped or wrapped to a negative int64), and the message
  // does not suggest it as an ignore_index, which is an int64.
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t just_above = std::uint64_t{1} << 63;
  const std::vector<std::uint64_t> good{0, 1, 2};
  for (std::uint64_t v : {huge, just_above}) {
    INFO("value " << v);
    const std::vector<std::uint64_t> bad{0, v, 2};
    const std::string text = std::to_string(v);
    for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      INFO(name);
      errs_require_update_rejected(
          make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
          [&](M& x) { x.update(view_of(good), view_of(bad)); },
          {"target value " + text + " at index 1", "cannot be an ignore_index"});
      errs_require_update_rejected(
          make_metric<M>(mc_opts(6, -1)), [](M& x) { errs_good_mc(x); },
          [&](M& x) { x.update(view_of(bad), view_of(good)); },
          {"preds value " + text + " at index 1", "outside [0, 6)"});
    });
    tally::DiceScore::Options o;
    o.num_classes = 3;
    o.input_format = tally::InputFormat::index;
    errs_require_update_rejected(
        tally::DiceScore(o),
        [&](tally::DiceScore& x) {
          x.update(view_of(good, Shape{1, 3}), view_of(good, Shape{1, 3}));
        },
        [&](tally::DiceScore& x) {
          x.update(view_of(good, Shape{1, 3}), view_of(bad, Shape{1, 3}));
        },
        {"target value " + text + " at index 1"});
  }
}

TEST_CASE("errors: multiclass pred labels are checked at kept positions only") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(mc_opts(6));
    const std::vector<long long> t3{0, 1, 1};
    for (long long bad : {6LL, 255LL, -1LL}) {
      for (std::size_t at = 0; at < 3; ++at) {
        std::vector<long long> p{0, 1, 1};
        p[at] = bad;
        INFO("pred " << bad << " at " << at);
        errs_require_update_rejected(
            m, [](M& x) { errs_good_mc(x); }, [&](M& x) { x.update(view_of(p), view_of(t3)); },
            {"pred", std::to_string(bad), "index " + std::to_string(at), "[0, 6)"});
      }
    }
    // The same values at an ignored position are not checked (out-of-range and in-range ii).
    const std::vector<long long> p_bad{0, 6, -1, 255};
    errs_require_accepted(make_metric<M>(mc_opts(6, 255)), [&](M& x) {
      x.update(view_of(p_bad), view_of(std::vector<long long>{0, 255, 255, 255}));
    });
    errs_require_accepted(make_metric<M>(mc_opts(6, 2)), [&](M& x) {
      x.update(view_of(p_bad), view_of(std::vector<long long>{0, 2, 2, 2}));
    });
    errs_require_accepted(make_metric<M>(mc_opts(6, -1)), [&](M& x) {
      x.update(view_of(p_bad), view_of(std::vector<long long>{0, -1, -1, -1}));
    });
    // A pred equal to an out-of-range ignore_index at a KEPT position is an error.
    const std::vector<long long> p_ii{0, 255};
    const std::vector<long long> t_kept{0, 1};
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6, 255)), [](M& x) { errs_good_mc(x); },
        [&](M& x) { x.update(view_of(p_ii), view_of(t_kept)); }, {"pred", "255", "index 1"});
    const std::vector<long long> p_m1{-1, 0};
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6, -1)), [](M& x) { errs_good_mc(x); },
        [&](M& x) { x.update(view_of(p_m1), view_of(t_kept)); }, {"pred", "-1", "index 0"});
  });
}

TEST_CASE("errors: NaN in multiclass scores, also at an ignored position") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    std::vector<double> s(12, 0.1);
    s[9] = qnan;  // row 1, class 3
    const std::vector<int> t{0, 1};
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
        [&](M& x) {
          x.update(view_of(s, Shape{2, 6}), view_of(t));
        },
        {"pred", "nan", "index 9"});
    const std::vector<int> t_ign{0, 255};
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6, 255)), [](M& x) { errs_good_mc(x); },
        [&](M& x) {
          x.update(view_of(s, Shape{2, 6}), view_of(t_ign));
        },
        {"nan"});
    std::vector<float> sf(12, 0.1f);
    sf[0] = std::numeric_limits<float>::quiet_NaN();
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
        [&](M& x) {
          x.update(view_of(sf, Shape{2, 6}), view_of(t));
        },
        {"nan", "index 0"});
    // +-inf are valid scores.
    std::vector<double> si(12, 0.1);
    si[1] = inf;
    si[6] = -inf;
    errs_require_accepted(make_metric<M>(mc_opts(6)), [&](M& x) {
      x.update(view_of(si, Shape{2, 6}), view_of(t));
    });
  });
}

TEST_CASE("errors: multiclass floating preds with the target's shape are not labels") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const std::vector<double> pd{0, 1, 2};
    const std::vector<float> pf{0, 1, 2};
    const std::vector<int> t{0, 1, 2};
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
        [&](M& x) { x.update(view_of(pd), view_of(t)); }, {"pred"});
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
        [&](M& x) { x.update(view_of(pf), view_of(t)); }, {"pred"});
    // (N, S) float preds with an (N, S) target, too.
    const std::vector<double> p2(6, 1.0);
    const std::vector<int> t2(6, 1);
    errs_require_update_rejected(
        make_metric<M>(mc_opts(6)), [](M& x) { errs_good_mc(x); },
        [&](M& x) {
          x.update(view_of(p2, Shape{2, 3}), view_of(t2, Shape{2, 3}));
        },
        {"pred"});
  });
}

TEST_CASE("errors: top_k > 1 needs floating scores") {
  auto check = [](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = mc_opts(6);
    o.top_k = 2;
    const std::vector<int> p{0, 1, 2};
    const std::vector<int> t{0, 1, 1};
    std::vector<double> s(18, 0.0);
    errs_require_update_rejected(
        make_metric<M>(o),
        [&](M& x) {
          x.update(view_of(s, Shape{3, 6}), view_of(t));
        },
        [&](M& x) { x.update(view_of(p), view_of(t)); }, {"top_k"});
  };
  check(metric_tag<tally::MulticlassStatScores>{}, "StatScores");
  check(metric_tag<tally::MulticlassPrecision>{}, "Precision");
  check(metric_tag<tally::MulticlassRecall>{}, "Recall");
  check(metric_tag<tally::MulticlassSpecificity>{}, "Specificity");
  check(metric_tag<tally::MulticlassAccuracy>{}, "Accuracy");
  check(metric_tag<tally::MulticlassF1Score>{}, "F1Score");
  check(metric_tag<tally::MulticlassFBetaScore>{}, "FBetaScore");
}

TEST_CASE("errors: multiclass shapes") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(mc_opts(6));
    auto good = [](M& x) { errs_good_mc(x); };

    {  // labels of different shapes
      const std::vector<int> p{0, 1, 2};
      const std::vector<int> t{0, 1, 2, 3};
      errs_require_update_rejected(m, good, [&](M& x) { x.update(view_of(p), view_of(t)); },
                                   {"shape", "(3)", "(4)"});
      const std::vector<int> p6(6, 0);
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(p6, Shape{2, 3}), view_of(p6, Shape{3, 2}));
                                   },
                                   {"(2, 3)", "(3, 2)"});
    }
    {  // scores whose other axes differ from target's
      const std::vector<double> s(12, 0.5);
      const std::vector<int> t3{0, 1, 2};
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(s, Shape{2, 6}), view_of(t3));
                                   },
                                   {});
      const std::vector<double> s3(36, 0.5);
      const std::vector<int> t8(8, 0);
      errs_require_update_rejected(
          m, good,
          [&](M& x) {
            x.update(view_of(s3, Shape{2, 6, 3}), view_of(t8, Shape{2, 4}));
          },
          {});
      // Two more axes than target.
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(s3, Shape{2, 6, 3}), view_of(t3, Shape{3}));
                                   },
                                   {});
      // Scores with fewer axes than target.
      const std::vector<int> t12(12, 0);
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(s, Shape{12}), view_of(t12, Shape{2, 6}));
                                   },
                                   {});
    }
    {  // class axis of the scores is not num_classes
      const std::vector<int> t{0, 1};
      const std::vector<double> s5(10, 0.5);
      const std::vector<double> s7(14, 0.5);
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(s5, Shape{2, 5}), view_of(t));
                                   },
                                   {"5", "6"});
      errs_require_update_rejected(m, good,
                                   [&](M& x) {
                                     x.update(view_of(s7, Shape{2, 7}), view_of(t));
                                   },
                                   {"7", "6"});
      const std::vector<double> s53(30, 0.5);
      const std::vector<int> t23(6, 0);
      errs_require_update_rejected(
          m, good,
          [&](M& x) {
            x.update(view_of(s53, Shape{2, 5, 3}), view_of(t23, Shape{2, 3}));
          },
          {"5", "6"});
    }
    {  // rank 0
      const int p0 = 1;
      const int t0 = 1;
      errs_require_update_rejected(
          m, good, [&](M& x) { x.update(cview<int>(&p0, Shape{}), cview<int>(&t0, Shape{})); }, {});
      // Scores (C) against a rank-0 target.
      const std::vector<double> s(6, 0.5);
      errs_require_update_rejected(
          m, good, [&](M& x) { x.update(view_of(s, Shape{6}), cview<int>(&t0, Shape{})); }, {});
    }
  });
}

TEST_CASE("errors: multiclass samplewise needs rank 2 labels / rank 3 scores") {
  auto check = [](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = mc_opts(6);
    o.multidim_average = tally::MultidimAverage::samplewise;
    const M m = make_metric<M>(o);
    const std::vector<int> p6{0, 1, 2, 3, 4, 5};
    const std::vector<int> t6{0, 1, 2, 3, 4, 4};
    auto good = [&](M& x) { x.update(view_of(p6, Shape{2, 3}), view_of(t6, Shape{2, 3})); };
    errs_require_update_rejected(m, good, [&](M& x) { x.update(view_of(p6), view_of(t6)); },
                                 {"samplewise"});
    const std::vector<double> s(12, 0.5);
    const std::vector<int> t2{0, 1};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(s, Shape{2, 6}), view_of(t2));
                                 },
                                 {"samplewise"});
  };
  check(metric_tag<tally::MulticlassStatScores>{}, "StatScores");
  check(metric_tag<tally::MulticlassPrecision>{}, "Precision");
  check(metric_tag<tally::MulticlassRecall>{}, "Recall");
  check(metric_tag<tally::MulticlassSpecificity>{}, "Specificity");
  check(metric_tag<tally::MulticlassAccuracy>{}, "Accuracy");
  check(metric_tag<tally::MulticlassF1Score>{}, "F1Score");
  check(metric_tag<tally::MulticlassFBetaScore>{}, "FBetaScore");
}

// ------------------------------------------------------------------------------------------------
// Binary inputs
// ------------------------------------------------------------------------------------------------

TEST_CASE("errors: binary target and pred values outside {0, 1}") {
  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(bin_opts());
    auto good = [](M& x) { errs_good_bin(x); };
    const std::vector<int> p{0, 1, 1};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(p), view_of(std::vector<int>{0, 1, 2}));
                                 },
                                 {"target", "2", "index 2"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(p), view_of(std::vector<int>{-1, 1, 0}));
                                 },
                                 {"target", "-1", "index 0"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(p), view_of(std::vector<int>{0, 255, 0}));
                                 },
                                 {"target", "255", "index 1"});
    // With ignore_index set, another bad value is still an error and names ii.
    errs_require_update_rejected(make_metric<M>(bin_opts(-1)), good,
                                 [&](M& x) {
                                   x.update(view_of(p), view_of(std::vector<int>{0, 2, -1}));
                                 },
                                 {"target", "2", "index 1", "-1"});
    const std::vector<int> t{0, 1, 1};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(std::vector<int>{0, 2, 1}), view_of(t));
                                 },
                                 {"pred", "2", "index 1"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(std::vector<int>{0, 1, -1}), view_of(t));
                                 },
                                 {"pred", "-1", "index 2"});
    // A pred equal to an out-of-range ii at a kept position is an error...
    errs_require_update_rejected(make_metric<M>(bin_opts(255)), good,
                                 [&](M& x) {
                                   x.update(view_of(std::vector<int>{255, 1, 1}), view_of(t));
                                 },
                                 {"pred", "255", "index 0"});
    // ... and any pred at an ignored position is not checked.
    errs_require_accepted(make_metric<M>(bin_opts(-1)), [&](M& x) {
      x.update(view_of(std::vector<int>{0, -1, 7}), view_of(std::vector<int>{0, -1, -1}));
    });
    // bool targets and preds are fine.
    const bool bp[3] = {false, true, true};
    const bool bt[3] = {false, true, false};
    errs_require_accepted(
        m, [&](M& x) { x.update(cview<bool>(bp, Shape{3}), cview<bool>(bt, Shape{3})); });
  });
}

TEST_CASE("errors: NaN in binary and multilabel float preds, also at an ignored position") {
  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const std::vector<int> t{0, 1, 1};
    errs_require_update_rejected(
        make_metric<M>(bin_opts()), [](M& x) { errs_good_bin(x); },
        [&](M& x) {
          x.update(view_of(std::vector<double>{0.2, qnan, 0.9}), view_of(t));
        },
        {"pred", "nan", "index 1"});
    errs_require_update_rejected(
        make_metric<M>(bin_opts(-1)), [](M& x) { errs_good_bin(x); },
        [&](M& x) {
          x.update(view_of(std::vector<float>{0.2f, 0.7f, std::nanf("")}),
                   view_of(std::vector<int>{0, 1, -1}));
        },
        {"nan", "index 2"});
    // inf is valid (it triggers the sigmoid).
    errs_require_accepted(make_metric<M>(bin_opts()), [&](M& x) {
      x.update(view_of(std::vector<double>{-inf, 0.2, inf}), view_of(t));
    });
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    std::vector<double> p{0.1, 0.9, 0.2, 0.3, qnan, 0.8};
    const std::vector<int> t{0, 1, 0, 1, 1, 0};
    errs_require_update_rejected(
        make_metric<M>(ml_opts(3)), [](M& x) { errs_good_ml(x); },
        [&](M& x) {
          x.update(view_of(p, Shape{2, 3}), view_of(t, Shape{2, 3}));
        },
        {"pred", "nan", "index 4"});
    const std::vector<int> t_ign{0, 1, 0, 1, 255, 0};
    errs_require_update_rejected(
        make_metric<M>(ml_opts(3, 255)), [](M& x) { errs_good_ml(x); },
        [&](M& x) {
          x.update(view_of(p, Shape{2, 3}), view_of(t_ign, Shape{2, 3}));
        },
        {"nan", "index 4"});
  });
}

TEST_CASE("errors: binary shapes and ranks") {
  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(bin_opts());
    auto good = [](M& x) { errs_good_bin(x); };
    const std::vector<int> v6{0, 1, 0, 1, 1, 0};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(std::vector<int>{0, 1, 1}), view_of(v6));
                                 },
                                 {"(3)", "(6)"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(v6, Shape{2, 3}), view_of(v6, Shape{3, 2}));
                                 },
                                 {"(2, 3)", "(3, 2)"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(v6, Shape{6}), view_of(v6, Shape{6, 1}));
                                 },
                                 {});
    const std::vector<double> f6{0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(f6, Shape{2, 3}), view_of(v6, Shape{6}));
                                 },
                                 {});
    const int one = 1;
    errs_require_update_rejected(
        m, good, [&](M& x) { x.update(cview<int>(&one, Shape{}), cview<int>(&one, Shape{})); }, {});
    const double half = 0.7;
    errs_require_update_rejected(
        m, good, [&](M& x) { x.update(cview<double>(&half, Shape{}), cview<int>(&one, Shape{})); },
        {});
  });
  auto samplewise = [](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = bin_opts();
    o.multidim_average = tally::MultidimAverage::samplewise;
    const std::vector<int> v6{0, 1, 0, 1, 1, 0};
    errs_require_update_rejected(
        make_metric<M>(o),
        [&](M& x) {
          x.update(view_of(v6, Shape{2, 3}), view_of(v6, Shape{2, 3}));
        },
        [&](M& x) { x.update(view_of(v6), view_of(v6)); }, {"samplewise"});
  };
  samplewise(metric_tag<tally::BinaryStatScores>{}, "StatScores");
  samplewise(metric_tag<tally::BinaryPrecision>{}, "Precision");
  samplewise(metric_tag<tally::BinaryRecall>{}, "Recall");
  samplewise(metric_tag<tally::BinarySpecificity>{}, "Specificity");
  samplewise(metric_tag<tally::BinaryAccuracy>{}, "Accuracy");
  samplewise(metric_tag<tally::BinaryF1Score>{}, "F1Score");
  samplewise(metric_tag<tally::BinaryFBetaScore>{}, "FBetaScore");
}

// ------------------------------------------------------------------------------------------------
// Multilabel inputs
// ------------------------------------------------------------------------------------------------

TEST_CASE("errors: multilabel values, label axis, shapes and ranks") {
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    const M m = make_metric<M>(ml_opts(3));
    auto good = [](M& x) { errs_good_ml(x); };
    const std::vector<int> ok{0, 1, 0, 1, 1, 0};
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(
                                       view_of(ok, Shape{2, 3}),
                                       view_of(std::vector<int>{0, 1, 0, 1, 1, 2}, Shape{2, 3}));
                                 },
                                 {"target", "2", "index 5"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(
                                       view_of(ok, Shape{2, 3}),
                                       view_of(std::vector<int>{0, -1, 0, 1, 1, 0}, Shape{2, 3}));
                                 },
                                 {"target", "-1", "index 1"});
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(
                                       view_of(std::vector<int>{0, 1, 0, 2, 1, 0}, Shape{2, 3}),
                                       view_of(ok, Shape{2, 3}));
                                 },
                                 {"pred", "2", "index 3"});
    // Pred 2 at an ignored element is fine.
    errs_require_accepted(make_metric<M>(ml_opts(3, 255)), [&](M& x) {
      x.update(view_of(std::vector<int>{0, 1, 0, 2, 1, 0}, Shape{2, 3}),
               view_of(std::vector<int>{0, 1, 0, 255, 1, 0}, Shape{2, 3}));
    });
    // Label axis must be num_labels.
    const std::vector<int> v8(8, 1);
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(v8, Shape{2, 4}), view_of(v8, Shape{2, 4}));
                                 },
                                 {"4", "3"});
    const std::vector<double> f8(8, 0.5);
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(f8, Shape{4, 2}), view_of(v8, Shape{4, 2}));
                                 },
                                 {"2", "3"});
    // Mismatched shapes.
    const std::vector<int> v9(9, 1);
    errs_require_update_rejected(m, good,
                                 [&](M& x) {
                                   x.update(view_of(ok, Shape{2, 3}), view_of(v9, Shape{3, 3}));
                                 },
                                 {"(2, 3)", "(3, 3)"});
    // Rank 1 and rank 0.
    const std::vector<int> v3{0, 1, 1};
    errs_require_update_rejected(m, good, [&](M& x) { x.update(view_of(v3), view_of(v3)); }, {});
    const int one = 1;
    errs_require_update_rejected(
        m, good, [&](M& x) { x.update(cview<int>(&one, Shape{}), cview<int>(&one, Shape{})); }, {});
  });
  auto samplewise = [](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto o = ml_opts(3);
    o.multidim_average = tally::MultidimAverage::samplewise;
    const std::vector<int> v12{0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0};
    errs_require_update_rejected(
        make_metric<M>(o),
        [&](M& x) {
          x.update(view_of(v12, Shape{2, 3, 2}), view_of(v12, Shape{2, 3, 2}));
        },
        [&](M& x) {
          x.update(view_of(v12, Shape{4, 3}), view_of(v12, Shape{4, 3}));
        },
        {"samplewise"});
  };
  samplewise(metric_tag<tally::MultilabelStatScores>{}, "StatScores");
  samplewise(metric_tag<tally::MultilabelPrecision>{}, "Precision");
  samplewise(metric_tag<tally::MultilabelRecall>{}, "Recall");
  samplewise(metric_tag<tally::MultilabelSpecificity>{}, "Specificity");
  samplewise(metric_tag<tally::MultilabelAccuracy>{}, "Accuracy");
  samplewise(metric_tag<tally::MultilabelF1Score>{}, "F1Score");
  samplewise(metric_tag<tally::MultilabelFBetaScore>{}, "FBetaScore");
}

// ------------------------------------------------------------------------------------------------
// Strong guarantee in samplewise mode: a rejected update appends no row.
// ------------------------------------------------------------------------------------------------

TEST_CASE("errors: a rejected samplewise update appends no sample rows") {
  SECTION("binary, bad value in the last sample") {
    auto o = bin_opts();
    o.multidim_average = tally::MultidimAverage::samplewise;
    tally::BinaryRecall m(o);
    const std::vector<int> v6{0, 1, 1, 1, 1, 0};
    m.update(view_of(v6, Shape{2, 3}), view_of(v6, Shape{2, 3}));
    const auto copy = m;
    REQUIRE(m.compute().shape() == Shape{2});
    const std::vector<int> bad_t{0, 1, 1, 1, 1, 0, 1, 1, 2};
    const std::vector<int> p9(9, 1);
    REQUIRE_THROWS_AS(m.update(view_of(p9, Shape{3, 3}), view_of(bad_t, Shape{3, 3})),
                      tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2});
    REQUIRE(m.compute() == copy.compute());
    std::vector<double> bad_p(9, 0.5);
    bad_p[8] = qnan;
    REQUIRE_THROWS_AS(m.update(view_of(bad_p, Shape{3, 3}), view_of(p9, Shape{3, 3})),
                      tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2});
    m.update(view_of(p9, Shape{3, 3}), view_of(p9, Shape{3, 3}));
    REQUIRE(m.compute().shape() == Shape{5});
  }
  SECTION("multiclass StatScores none, bad value in the last sample") {
    auto o = mc_opts(4);
    o.multidim_average = tally::MultidimAverage::samplewise;
    o.average = tally::Average::none;
    tally::MulticlassStatScores m(o);
    const std::vector<int> v4{0, 1, 2, 3};
    m.update(view_of(v4, Shape{2, 2}), view_of(v4, Shape{2, 2}));
    const auto copy = m;
    REQUIRE(m.compute().shape() == Shape{2, 4, 5});
    const std::vector<int> t6{0, 1, 2, 3, 0, 4};
    const std::vector<int> p6{0, 1, 2, 3, 0, 1};
    REQUIRE_THROWS_AS(m.update(view_of(p6, Shape{3, 2}), view_of(t6, Shape{3, 2})), tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2, 4, 5});
    REQUIRE(m.counts().shape() == copy.counts().shape());
    // A bad pred in the last sample.
    const std::vector<int> p6b{0, 1, 2, 3, 0, 9};
    REQUIRE_THROWS_AS(m.update(view_of(p6b, Shape{3, 2}), view_of(p6, Shape{3, 2})), tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2, 4, 5});
    // Scores with a NaN in the last sample.
    std::vector<double> s(3 * 4 * 2, 0.25);
    s.back() = qnan;
    REQUIRE_THROWS_AS(m.update(view_of(s, Shape{3, 4, 2}), view_of(p6, Shape{3, 2})), tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2, 4, 5});
  }
  SECTION("multilabel F1 micro, bad value in the last sample") {
    auto o = ml_opts(2);
    o.multidim_average = tally::MultidimAverage::samplewise;
    o.average = tally::Average::micro;
    tally::MultilabelF1Score m(o);
    const std::vector<int> v8{0, 1, 1, 0, 1, 1, 0, 0};
    m.update(view_of(v8, Shape{2, 2, 2}), view_of(v8, Shape{2, 2, 2}));
    const auto copy = m;
    REQUIRE(m.compute().shape() == Shape{2});
    std::vector<int> t12(12, 1);
    t12.back() = 3;
    const std::vector<int> p12(12, 0);
    REQUIRE_THROWS_AS(m.update(view_of(p12, Shape{3, 2, 2}), view_of(t12, Shape{3, 2, 2})),
                      tally::error);
    REQUIRE(m == copy);
    REQUIRE(m.compute().shape() == Shape{2});
    REQUIRE(m.compute() == copy.compute());
  }
}

// ------------------------------------------------------------------------------------------------
// merge / += with different options
// ------------------------------------------------------------------------------------------------

namespace {

template <class M>
void errs_require_merge_rejected(const M& a0, const M& b0, same_t<fn_ref<void(M&)>> good) {
  M a = a0;
  M b = b0;
  good(a);
  good(b);
  const M before = a;
  REQUIRE_THROWS_AS(a.merge(b), tally::error);
  REQUIRE(a == before);
  REQUIRE_THROWS_AS(a += b, tally::error);
  REQUIRE(a == before);
  REQUIRE_THROWS_AS(b.merge(a), tally::error);
  REQUIRE_THROWS_AS(b += a, tally::error);
}

}  // namespace

TEST_CASE("errors: merge and += of metrics with different options") {
  for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto good = [](M& x) { errs_good_mc(x); };
    const auto base = mc_opts(6);
    std::vector<tally::Multiclass::Options> others;
    auto o = base;
    o.num_classes = 7;
    others.push_back(o);
    o = base;
    o.ignore_index = 255;
    others.push_back(o);
    o = base;
    o.ignore_index = 0;
    others.push_back(o);
    o = base;
    o.average = tally::Average::micro;
    others.push_back(o);
    o = base;
    o.zero_division = 1.0;
    others.push_back(o);
    for (std::size_t i = 0; i < others.size(); ++i) {
      INFO("variant " << i);
      errs_require_merge_rejected(make_metric<M>(base), make_metric<M>(others[i]), good);
    }
    if constexpr (is_stat_family_v<M>) {
      // top_k = 2 needs scores: both sides get the same score update.
      o = base;
      o.top_k = 2;
      const std::vector<double> s(5 * 6, 0.5);
      errs_require_merge_rejected(make_metric<M>(base), make_metric<M>(o), [&](M& x) {
        x.update(view_of(s, Shape{5, 6}), view_of(errs_mc_good_t));
      });
    }
    if constexpr (is_stat_family_v<M>) {
      o = base;
      o.multidim_average = tally::MultidimAverage::samplewise;
      M a = make_metric<M>(base);
      M b = make_metric<M>(o);
      const M before = a;
      REQUIRE_THROWS_AS(a.merge(b), tally::error);
      REQUIRE_THROWS_AS(a += b, tally::error);
      REQUIRE(a == before);
    }
  });
  for_each_metric<tally::Binary>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto good = [](M& x) { errs_good_bin(x); };
    const auto base = bin_opts();
    std::vector<tally::Binary::Options> others;
    auto o = base;
    o.threshold = 0.3;
    others.push_back(o);
    o = base;
    o.ignore_index = -1;
    others.push_back(o);
    o = base;
    o.zero_division = 1.0;
    others.push_back(o);
    for (std::size_t i = 0; i < others.size(); ++i) {
      INFO("variant " << i);
      errs_require_merge_rejected(make_metric<M>(base), make_metric<M>(others[i]), good);
    }
  });
  for_each_metric<tally::Multilabel>([&](auto tag, const char* name) {
    using M = typename decltype(tag)::type;
    INFO(name);
    auto good = [](M& x) { errs_good_ml(x); };
    const auto base = ml_opts(3);
    std::vector<tally::Multilabel::Options> others;
    auto o = base;
    o.threshold = 0.75;
    others.push_back(o);
    o = base;
    o.ignore_index = 255;
    others.push_back(o);
    o = base;
    o.average = tally::Average::weighted;
    others.push_back(o);
    o = base;
    o.zero_division = 1.0;
    others.push_back(o);
    for (std::size_t i = 0; i < others.size(); ++i) {
      INFO("variant " << i);
      errs_require_merge_rejected(make_metric<M>(base), make_metric<M>(others[i]), good);
    }
    // Different num_labels: each side gets its own valid update.
    M a = make_metric<M>(base);
    good(a);
    M b = make_metric<M>(ml_opts(2));
    const std::vector<int> v4{0, 1, 1, 0};
    b.update(view_of(v4, Shape{2, 2}), view_of(v4, Shape{2, 2}));
    const M before = a;
    REQUIRE_THROWS_AS(a.merge(b), tally::error);
    REQUIRE_THROWS_AS(a += b, tally::error);
    REQUIRE(a == before);
  });
}

TEST_CASE("errors: merge of FBetaScore with another beta, ConfusionMatrix with another normalize") {
  {
    tally::MulticlassFBetaScore a(1.0, mc_opts(6));
    tally::MulticlassFBetaScore b(2.0, mc_opts(6));
    errs_require_merge_rejected(a, b, [](tally::MulticlassFBetaScore& x) { errs_good_mc(x); });
    tally::BinaryFBetaScore c(0.5, bin_opts());
    tally::BinaryFBetaScore d(0.25, bin_opts());
    errs_require_merge_rejected(c, d, [](tally::BinaryFBetaScore& x) { errs_good_bin(x); });
    tally::MultilabelFBetaScore e(3.0, ml_opts(3));
    tally::MultilabelFBetaScore f(1.0, ml_opts(3));
    errs_require_merge_rejected(e, f, [](tally::MultilabelFBetaScore& x) { errs_good_ml(x); });
  }
  {
    tally::MulticlassConfusionMatrix a(mc_opts(6), tally::Normalize::none);
    tally::MulticlassConfusionMatrix b(mc_opts(6), tally::Normalize::target);
    errs_require_merge_rejected(a, b, [](tally::MulticlassConfusionMatrix& x) { errs_good_mc(x); });
    tally::BinaryConfusionMatrix c(bin_opts(), tally::Normalize::pred);
    tally::BinaryConfusionMatrix d(bin_opts(), tally::Normalize::all);
    errs_require_merge_rejected(c, d, [](tally::BinaryConfusionMatrix& x) { errs_good_bin(x); });
    tally::MultilabelConfusionMatrix e(ml_opts(3), tally::Normalize::all);
    tally::MultilabelConfusionMatrix f(ml_opts(3), tally::Normalize::none);
    errs_require_merge_rejected(e, f, [](tally::MultilabelConfusionMatrix& x) { errs_good_ml(x); });
  }
  // Equal options merge fine.
  tally::MulticlassFBetaScore a(2.0, mc_opts(6));
  tally::MulticlassFBetaScore b(2.0, mc_opts(6));
  errs_good_mc(a);
  errs_good_mc(b);
  REQUIRE_NOTHROW(a.merge(b));
  REQUIRE_NOTHROW(a += b);
}

TEST_CASE("errors: Result::value(), tensor_view and Shape reject misuse with tally::error") {
  auto o = mc_opts(6);
  o.average = tally::Average::none;
  tally::MulticlassPrecision p(o);
  errs_good_mc(p);
  REQUIRE_THROWS_AS(p.compute().value(), tally::error);
  o.average = tally::Average::macro;
  tally::MulticlassPrecision q(o);
  errs_good_mc(q);
  REQUIRE_NOTHROW(q.compute().value());

  const std::vector<int> v6(6, 0);
  REQUIRE_THROWS_AS(cview<int>(v6, Shape{2, 2}), tally::error);
  REQUIRE_THROWS_AS(cview<int>(nullptr, Shape{2}), tally::error);
  REQUIRE_NOTHROW(cview<int>(nullptr, Shape{0, 3}));
  const std::vector<long long> neg{2, -3};
  REQUIRE_THROWS_AS(Shape(neg.begin(), neg.end()), tally::error);
}
