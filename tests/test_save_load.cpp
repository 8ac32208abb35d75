// save() / load(): round trips for every metric and mode, resuming from a checkpoint, and
// rejection of foreign, truncated, corrupted or mismatched bytes with the state unchanged, and
// DiceScore's exact samplewise sums as saved (older double sums and inconsistent sums rejected).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Shape;

struct batch {
  std::vector<std::uint8_t> labels_p, labels_t;  // (4, 6, 5) label maps, 255 = void
  std::vector<float> scores;                     // (4, 3, 6, 5) class scores
  std::vector<float> probs;                      // (4, 3, 6, 5) multilabel / binary probabilities
  std::vector<std::uint8_t> bin_t;               // (4, 3, 6, 5) 0/1 targets, 255 = void
};

batch make_batch(unsigned seed) {
  std::mt19937 rng(seed);
  batch b;
  for (int i = 0; i < 4 * 6 * 5; ++i) {
    b.labels_t.push_back(rng() % 10 == 0 ? 255 : static_cast<std::uint8_t>(rng() % 3));
    b.labels_p.push_back(static_cast<std::uint8_t>(rng() % 3));
  }
  for (int i = 0; i < 4 * 3 * 6 * 5; ++i) {
    b.scores.push_back(static_cast<float>(rng() % 1000) / 1000.0f);
    b.probs.push_back(static_cast<float>(rng() % 1000) / 1000.0f);
    b.bin_t.push_back(rng() % 10 == 0 ? 255 : static_cast<std::uint8_t>(rng() % 2));
  }
  return b;
}

// Feeds one batch in the form the metric's task takes.
template <class M>
void feed(M& m, const batch& b) {
  using O = typename M::options_type;
  if constexpr (std::is_same_v<O, tally::Multiclass::Options>) {
    m.update(tally::tensor_view<const float>(b.scores.data(), Shape{4, 3, 6, 5}),
             tally::tensor_view<const std::uint8_t>(b.labels_t.data(), Shape{4, 6, 5}));
    m.update(tally::tensor_view<const std::uint8_t>(b.labels_p.data(), Shape{4, 6, 5}),
             tally::tensor_view<const std::uint8_t>(b.labels_t.data(), Shape{4, 6, 5}));
  } else if constexpr (std::is_same_v<O, tally::Multilabel::Options>) {
    m.update(tally::tensor_view<const float>(b.probs.data(), Shape{4, 3, 30}),
             tally::tensor_view<const std::uint8_t>(b.bin_t.data(), Shape{4, 3, 30}));
  } else if constexpr (std::is_same_v<O, tally::Binary::Options>) {
    m.update(tally::tensor_view<const float>(b.probs.data(), Shape{12, 30}),
             tally::tensor_view<const std::uint8_t>(b.bin_t.data(), Shape{12, 30}));
  } else {
    m.update(tally::tensor_view<const std::uint8_t>(b.labels_p.data(), Shape{4, 6, 5}),
             tally::tensor_view<const std::uint8_t>(b.labels_t.data(), Shape{4, 6, 5}));
  }
}

tally::Binary::Options st_bin(tally::MultidimAverage md) {
  tally::Binary::Options o;
  o.ignore_index = 255;
  o.multidim_average = md;
  return o;
}
tally::Multiclass::Options st_mc(tally::MultidimAverage md, tally::Average avg) {
  tally::Multiclass::Options o;
  o.num_classes = 3;
  o.ignore_index = 255;
  o.average = avg;
  o.multidim_average = md;
  return o;
}
tally::Multilabel::Options st_ml(tally::MultidimAverage md) {
  tally::Multilabel::Options o;
  o.num_labels = 3;
  o.ignore_index = 255;
  o.multidim_average = md;
  return o;
}
tally::DiceScore::Options st_dice(tally::AggregationLevel level) {
  tally::DiceScore::Options o;
  o.num_classes = 3;
  o.ignore_index = 255;
  o.input_format = tally::InputFormat::index;
  o.aggregation_level = level;
  return o;
}

// The checks every metric gets: round trip, resume, and rejections with the state unchanged.
template <class M>
void check_state_io(const M& fresh) {
  const batch b1 = make_batch(1), b2 = make_batch(2);
  M m = fresh;
  feed(m, b1);
  const std::string bytes = m.save();

  // Round trip: equal state, equal result.
  M loaded = fresh;
  loaded.load(bytes);
  CHECK(loaded == m);
  CHECK(loaded.compute() == m.compute());
  CHECK(loaded.save() == bytes);

  // Resume: a loaded checkpoint continues exactly like the original.
  feed(m, b2);
  feed(loaded, b2);
  CHECK(loaded == m);
  CHECK(loaded.compute() == m.compute());

  // A fresh metric saves and loads too (and loading it empties a used one).
  M emptied = m;
  emptied.load(fresh.save());
  CHECK(emptied == fresh);

  // Truncated at every length, and every byte changed: tally::error, state unchanged.
  M target = fresh;
  feed(target, b2);
  const M before = target;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_THROWS_AS(target.load(bytes.substr(0, n)), tally::error);
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    CHECK_THROWS_AS(target.load(bad), tally::error);
  }
  CHECK_THROWS_AS(target.load(bytes + "x"), tally::error);
  CHECK(target == before);
}

}  // namespace

TEST_CASE("state: save and load round-trip, resume, and reject bad bytes, binary metrics") {
  for (auto md : {tally::MultidimAverage::global, tally::MultidimAverage::samplewise}) {
    INFO(tally::to_string(md));
    check_state_io(tally::BinaryStatScores(st_bin(md)));
    check_state_io(tally::BinaryF1Score(st_bin(md)));
    check_state_io(tally::BinaryFBetaScore(0.5, st_bin(md)));
    check_state_io(tally::BinaryAccuracy(st_bin(md)));
  }
  check_state_io(tally::BinaryJaccardIndex(st_bin(tally::MultidimAverage::global)));
  check_state_io(tally::BinaryConfusionMatrix(st_bin(tally::MultidimAverage::global)));
}

TEST_CASE("state: save and load round-trip, resume, and reject bad bytes, multiclass metrics") {
  for (auto md : {tally::MultidimAverage::global, tally::MultidimAverage::samplewise})
    for (auto avg : {tally::Average::macro, tally::Average::none}) {
      INFO(tally::to_string(md) << " " << tally::to_string(avg));
      check_state_io(tally::MulticlassStatScores(st_mc(md, avg)));
      check_state_io(tally::MulticlassPrecision(st_mc(md, avg)));
      check_state_io(tally::MulticlassRecall(st_mc(md, avg)));
      check_state_io(tally::MulticlassSpecificity(st_mc(md, avg)));
      check_state_io(tally::MulticlassF1Score(st_mc(md, avg)));
    }
  const auto g = st_mc(tally::MultidimAverage::global, tally::Average::macro);
  check_state_io(tally::MulticlassJaccardIndex(g));
  check_state_io(tally::MulticlassConfusionMatrix(g));
  check_state_io(tally::MulticlassConfusionMatrix(g, tally::Normalize::target));
}

TEST_CASE("state: save and load round-trip, resume, and reject bad bytes, multilabel and Dice") {
  for (auto md : {tally::MultidimAverage::global, tally::MultidimAverage::samplewise}) {
    INFO(tally::to_string(md));
    check_state_io(tally::MultilabelStatScores(st_ml(md)));
    check_state_io(tally::MultilabelRecall(st_ml(md)));
  }
  check_state_io(tally::MultilabelConfusionMatrix(st_ml(tally::MultidimAverage::global)));
  check_state_io(tally::DiceScore(st_dice(tally::AggregationLevel::global)));
  check_state_io(tally::DiceScore(st_dice(tally::AggregationLevel::samplewise)));
}

TEST_CASE("state: save and load round-trip, resume, and reject bad bytes, MeanIoU and GDS") {
  for (auto level : {tally::AggregationLevel::global, tally::AggregationLevel::samplewise})
    for (auto avg : {tally::Average::macro, tally::Average::none}) {
      INFO(tally::to_string(level) << " " << tally::to_string(avg));
      tally::MeanIoU::Options o;
      o.num_classes = 3;
      o.ignore_index = 255;
      o.input_format = tally::InputFormat::index;
      o.aggregation_level = level;
      o.average = avg;
      check_state_io(tally::MeanIoU(o));
    }
  for (auto avg : {tally::Average::macro, tally::Average::none}) {
    INFO(tally::to_string(avg));
    tally::GeneralizedDiceScore::Options o;
    o.num_classes = 3;
    o.ignore_index = 255;
    o.input_format = tally::InputFormat::index;
    o.average = avg;
    check_state_io(tally::GeneralizedDiceScore(o));
  }
}

TEST_CASE("state: load names the saved and the receiving metric when they differ") {
  const auto o = st_mc(tally::MultidimAverage::global, tally::Average::macro);
  tally::MulticlassF1Score f1(o);
  feed(f1, make_batch(3));
  const std::string bytes = f1.save();

  auto other = o;
  other.ignore_index = 254;
  tally::MulticlassF1Score wrong_options(other);
  const tally::MulticlassF1Score wrong_before = wrong_options;
  const std::string msg = error_message([&] { wrong_options.load(bytes); });
  CHECK(msg.find("ignore_index=255") != std::string::npos);
  CHECK(msg.find("ignore_index=254") != std::string::npos);
  CHECK(wrong_options == wrong_before);

  // Same counts, other metric: still rejected (a checkpoint of F1 is not one of Precision).
  tally::MulticlassPrecision precision(o);
  CHECK(error_message([&] { precision.load(bytes); }).find("MulticlassF1Score{") !=
        std::string::npos);
  // FBeta's beta and ConfusionMatrix's normalize are part of the identity.
  CHECK_THROWS_AS(
      tally::MulticlassFBetaScore(2.0, o).load(tally::MulticlassFBetaScore(1.0, o).save()),
      tally::error);
  CHECK_THROWS_AS(tally::MulticlassConfusionMatrix(o, tally::Normalize::all)
                      .load(tally::MulticlassConfusionMatrix(o).save()),
                  tally::error);
  CHECK(f1.identity() ==
        "MulticlassF1Score{num_classes=3, ignore_index=255, average=macro, "
        "multidim_average=global, top_k=1, zero_division=0}");
  CHECK(tally::BinaryFBetaScore(0.1, tally::Binary::Options{}).identity() ==
        "BinaryFBetaScore{threshold=0.5, ignore_index=none, multidim_average=global, "
        "zero_division=0, beta=0.10000000000000001}");
}

TEST_CASE("state: the byte layout is the documented little-endian format") {
  tally::BinaryStatScores m(tally::Binary::Options{});
  const std::vector<std::uint8_t> p{1, 1, 0, 0, 1}, t{1, 0, 0, 1, 1};
  m.update(p, t);  // tp 2, fp 1, tn 1, fn 1
  const std::string s = m.save();
  const std::string id = m.identity();
  auto u32_at = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k)
      v |= static_cast<std::uint32_t>(
               static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]))
           << (8 * k);
    return v;
  };
  auto u64_at = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k)
      v |= static_cast<std::uint64_t>(
               static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]))
           << (8 * k);
    return v;
  };
  REQUIRE(s.size() == 16 + id.size() + 4 + (1 + 8 + 8) + (1 + 8 + 4 * 8) + 8);
  CHECK(s.compare(0, 8, std::string("TALLYST\0", 8)) == 0);
  CHECK(u32_at(8) == 1);
  CHECK(u32_at(12) == id.size());
  CHECK(s.compare(16, id.size(), id) == 0);
  std::size_t at = 16 + id.size();
  CHECK(u32_at(at) == 2);  // two arrays: units, counts
  at += 4;
  CHECK(s[at] == 'u');
  CHECK(u64_at(at + 1) == 1);
  CHECK(u64_at(at + 9) == 1);  // one unit
  at += 17;
  CHECK(s[at] == 'u');
  CHECK(u64_at(at + 1) == 4);
  // [[tn, fp], [fn, tp]]
  CHECK(u64_at(at + 9) == 1);
  CHECK(u64_at(at + 17) == 1);
  CHECK(u64_at(at + 25) == 1);
  CHECK(u64_at(at + 33) == 2);

  // A newer format version is named as such.
  std::string newer = s;
  newer[8] = 2;
  CHECK(error_message([&] { m.load(newer); }).find("format version 2") != std::string::npos);
  CHECK(error_message([&] { m.load("not a state"); }).find("not a tally state") !=
        std::string::npos);
}

namespace {

// A saved state cut into its header and arrays, to change an array and write it back with a
// fresh checksum: what load() checks behind the checksum.
struct st_state {
  std::string head;  // magic, version, identity
  std::vector<std::pair<char, std::vector<std::uint64_t>>> arrays;
};

std::uint64_t st_le(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = 0; k < bytes; ++k)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]))
         << (8 * k);
  return v;
}

void st_put(std::string& s, std::uint64_t v, int bytes) {
  for (int k = 0; k < bytes; ++k) s += static_cast<char>((v >> (8 * k)) & 0xFF);
}

st_state st_parse(const std::string& s) {
  st_state st;
  const std::size_t L = st_le(s, 12, 4);
  st.head = s.substr(0, 16 + L);
  std::size_t at = 16 + L;
  const std::uint64_t count = st_le(s, at, 4);
  at += 4;
  for (std::uint64_t a = 0; a < count; ++a) {
    const char type = s[at];
    const std::uint64_t n = st_le(s, at + 1, 8);
    at += 9;
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 0; i < n; ++i, at += 8) v.push_back(st_le(s, at, 8));
    st.arrays.emplace_back(type, std::move(v));
  }
  REQUIRE(at + 8 == s.size());
  return st;
}

std::string st_write(const st_state& st) {
  std::string s = st.head;
  st_put(s, st.arrays.size(), 4);
  for (const auto& a : st.arrays) {
    s += a.first;
    st_put(s, a.second.size(), 8);
    for (std::uint64_t v : a.second) st_put(s, v, 8);
  }
  st_put(s, tally::detail::fnv1a(reinterpret_cast<const unsigned char*>(s.data()), s.size()), 8);
  return s;
}

// load(bytes) must throw tally::error naming `fragment`, and change nothing.
void st_rejects(tally::DiceScore& m, const std::string& bytes, const std::string& fragment) {
  const tally::DiceScore before = m;
  const std::string msg = error_message([&] { m.load(bytes); });
  INFO("message: " << msg);
  CHECK(contains(msg, fragment));
  CHECK(m == before);
}

}  // namespace

TEST_CASE(
    "state: DiceScore's exact samplewise sums, and the rejection of older double sums and of "
    "inconsistent sums") {
  for (auto avg : {tally::Average::macro, tally::Average::none}) {
    INFO(tally::to_string(avg));
    auto o = st_dice(tally::AggregationLevel::samplewise);
    o.average = avg;
    tally::DiceScore m(o);
    feed(m, make_batch(1));
    const std::string bytes = m.save();
    const st_state st = st_parse(bytes);
    REQUIRE(st_write(st) == bytes);
    // samples; I, P, T (global only: empty); two words per exact sum (fraction, whole part);
    // the counts of values in each sum.
    const std::size_t K = avg == tally::Average::none ? 3 : 1;
    REQUIRE(st.arrays.size() == 4);
    for (const auto& a : st.arrays) CHECK(a.first == 'u');
    CHECK(st.arrays[0].second == std::vector<std::uint64_t>{4});
    CHECK(st.arrays[1].second.empty());
    REQUIRE(st.arrays[2].second.size() == 2 * K);
    REQUIRE(st.arrays[3].second.size() == K);

    tally::DiceScore target(o);
    feed(target, make_batch(2));

    // A state of a tally that kept the sums as doubles.
    st_state old = st;
    old.arrays[2] = {'d', std::vector<std::uint64_t>(K, 0x3FE8000000000000u)};  // 0.75
    st_rejects(target, st_write(old), "keeps its per-sample sums as doubles");

    // More than 1 per value counted, a count above the samples, a sum without values, the
    // wrong number of words.
    st_state bad = st;
    bad.arrays[2].second[0] = 1;
    bad.arrays[2].second[1] = st.arrays[3].second[0];
    st_rejects(target, st_write(bad), "values lie in [0, 1]");
    bad = st;
    bad.arrays[3].second[0] = 5;
    st_rejects(target, st_write(bad), "values lie in [0, 1]");
    bad = st;
    bad.arrays[3].second[0] = 0;
    bad.arrays[2].second[0] = 1;
    bad.arrays[2].second[1] = 0;
    st_rejects(target, st_write(bad), "values lie in [0, 1]");
    bad = st;
    bad.arrays[2].second.push_back(0);
    st_rejects(target, st_write(bad), "the arrays hold");

    // Every value 1 is a valid state: mean exactly 1, and it saves back to the same bytes.
    st_state ones = st;
    for (std::size_t i = 0; i < K; ++i) {
      ones.arrays[2].second[2 * i] = 0;
      ones.arrays[2].second[2 * i + 1] = ones.arrays[3].second[i];
    }
    tally::DiceScore all_one(o);
    all_one.load(st_write(ones));
    CHECK(all_one.save() == st_write(ones));
    for (double v : all_one.compute()) CHECK((std::isnan(v) || v == 1.0));
  }
  // Global states keep no sums, but older ones wrote an empty double array: rejected too.
  tally::DiceScore global(st_dice(tally::AggregationLevel::global));
  feed(global, make_batch(1));
  st_state old = st_parse(global.save());
  REQUIRE(old.arrays.size() == 4);
  CHECK(old.arrays[2].first == 'u');
  CHECK(old.arrays[2].second.empty());
  old.arrays[2].first = 'd';
  st_rejects(global, st_write(old), "keeps its per-sample sums as doubles");
}
