// libFuzzer target: save()/load() and merge() of every accumulator kind. load() gets raw input
// bytes, and saved states with bytes changed, cut or appended (with the checksum recomputed so
// the parser behind it is reached), and states of other metrics or options. load() must either
// throw tally::error and leave the accumulator unchanged, or accept a state that saves back to
// the same bytes, computes finite-or-NaN values and stays usable. See README.md.
#include "fuzz_common.hpp"

namespace {

using fz::Input;
using fz::outcome;

std::uint64_t fnv1a(const std::string& s, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
  return h;
}

// Rewrites the trailing FNV-1a checksum (the documented byte format, not a semantics rule).
void fix_checksum(std::string& s) {
  if (s.size() < 8) return;
  const std::uint64_t h = fnv1a(s, s.size() - 8);
  for (int i = 0; i < 8; ++i) s[s.size() - 8 + i] = static_cast<char>((h >> (8 * i)) & 0xFF);
}

std::string mutate(Input& in, std::string s, const std::string& other) {
  const std::uint8_t mode = in.u8() % 8;
  switch (mode) {
    case 0: {  // raw bytes
      std::string raw;
      const std::size_t n = in.u8();
      for (std::size_t i = 0; i < n; ++i) raw += static_cast<char>(in.u8());
      return raw;
    }
    case 1:
    case 2:
    case 3: {  // a few bytes overwritten, checksum recomputed
      const std::size_t k = 1 + in.u8() % 4;
      for (std::size_t i = 0; i < k && !s.empty(); ++i) {
        const std::size_t at = in.below(s.size());
        const std::uint8_t how = in.u8();
        s[at] = how < 128 ? static_cast<char>(in.u8()) : static_cast<char>(s[at] ^ (1 << (how % 8)));
      }
      if (in.u8() < 230) fix_checksum(s);
      return s;
    }
    case 4: {  // cut or extended
      if (in.bit() && !s.empty())
        s.resize(in.below(s.size()));
      else
        for (std::size_t i = in.u8() % 32; i > 0; --i) s += static_cast<char>(in.u8());
      if (in.bit()) fix_checksum(s);
      return s;
    }
    case 5: {  // a length field (array count, array length) made large
      if (s.size() > 24) {
        const std::size_t at = 12 + in.below(s.size() - 20);
        const std::uint64_t v = in.bit() ? ~std::uint64_t{0} >> (in.u8() % 64) : in.u8();
        for (std::size_t i = 0; i < 8 && at + i < s.size() - 8; ++i)
          s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
        fix_checksum(s);
      }
      return s;
    }
    case 6: return other;  // another metric's or option set's state
    default: return s;     // unchanged
  }
}

template <class M>
void check_loaded(const M& m) {
  const tally::Result r = m.compute();
  fz::check_values(r, true, -std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::max(), "compute() after load");
}

// One accumulator kind. `make(variant)` builds it with the options of a variant (0 = main).
template <class M, class Make, class Feed>
void exercise(Input& in, Make make, Feed feed) {
  M m = make(0);
  feed(in, m);
  M other = make(1);
  feed(in, other);
  const std::string saved = m.save(), other_bytes = other.save();
  // Merging a different option set: error, nothing changes.
  if (!(m.options() == other.options())) {
    M copy = m;
    FZ_CHECK(fz::guarded("merge", [&] { copy.merge(other); }) == outcome::error,
             "merge of accumulators with different options succeeded");
    FZ_CHECK(copy == m, "a failed merge changed the accumulator");
  }
  const std::size_t rounds = 1 + in.u8() % 3;
  for (std::size_t i = 0; i < rounds; ++i) {
    const std::string bytes = mutate(in, saved, other_bytes);
    M target = make(0);
    feed(in, target);
    const std::string before = target.save();
    const outcome r = fz::guarded("load", [&] { target.load(bytes); });
    if (r == outcome::error) {
      FZ_CHECK(target.save() == before, "a failed load changed the accumulator");
      FZ_CHECK(bytes != saved, "load rejected the bytes save() wrote");
      continue;
    }
    FZ_CHECK(target.save() == bytes, "an accepted state does not save back to the same bytes");
    if (bytes == saved) FZ_CHECK(target == m, "load(save()) differs from the original");
    check_loaded(target);
    M twin = target;
    FZ_CHECK(fz::guarded("merge", [&] { target.merge(twin); }) == outcome::ok,
             "merge of a loaded state with itself failed");
    check_loaded(target);
    feed(in, target);  // still usable
    check_loaded(target);
  }
}

// A small valid (or, rarely, invalid) label batch for the classification accumulators.
template <class M>
void feed_labels(Input& in, M& m, std::size_t C, bool multilabel, bool samplewise) {
  const std::size_t N = in.u8() % 4, R = 1 + in.u8() % 5;
  std::vector<std::size_t> shape{N};
  if (multilabel) shape.push_back(C);
  if (samplewise || multilabel) shape.push_back(R);
  const fz::label_plan plan = fz::decode_label_plan(in, multilabel ? 2 : C, std::nullopt);
  const fz::buf<std::int32_t> p = fz::make_labels<std::int32_t>(in, fz::numel(shape), plan);
  const fz::buf<std::uint8_t> t = fz::make_labels<std::uint8_t>(in, fz::numel(shape), plan);
  (void)fz::checked_update(m, p.data(), fz::to_shape(shape), t.data(), fz::to_shape(shape));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t which = in.u8() % 11;
  const std::size_t C = 2 + in.u8() % 6;
  const bool sw = in.bit();
  const std::optional<std::int64_t> ii = fz::decode_ignore_index(in, static_cast<std::int64_t>(C));
  const std::uint8_t vary = in.u8() % 4;  // which option the second accumulator changes
  auto mc = [&](int variant) {
    tally::Multiclass::Options o;
    o.num_classes = static_cast<std::int64_t>(C) + (variant && vary == 0);
    o.ignore_index = variant && vary == 1 ? std::optional<std::int64_t>(7) : ii;
    o.average = variant && vary == 2 ? tally::Average::none : tally::Average::macro;
    o.multidim_average = sw ? tally::MultidimAverage::samplewise : tally::MultidimAverage::global;
    return o;
  };
  auto ml = [&](int variant) {
    tally::Multilabel::Options o;
    o.num_labels = static_cast<std::int64_t>(C) + (variant && vary == 0);
    o.ignore_index = variant && vary == 1 ? std::optional<std::int64_t>(7) : ii;
    o.threshold = variant && vary == 2 ? 0.25 : 0.5;
    o.multidim_average = sw ? tally::MultidimAverage::samplewise : tally::MultidimAverage::global;
    return o;
  };
  auto bin = [&](int variant) {
    tally::Binary::Options o;
    o.ignore_index = variant && vary == 1 ? std::optional<std::int64_t>(7) : ii;
    o.zero_division = variant && vary != 1 ? 1.0 : 0.0;
    o.multidim_average = sw ? tally::MultidimAverage::samplewise : tally::MultidimAverage::global;
    return o;
  };
  auto global = [](auto o) {
    o.multidim_average = tally::MultidimAverage::global;
    return o;
  };
  auto feed_mc = [&](Input& i, auto& m) { feed_labels(i, m, C, false, sw); };
  auto feed_mc_g = [&](Input& i, auto& m) { feed_labels(i, m, C, false, false); };
  auto feed_ml = [&](Input& i, auto& m) { feed_labels(i, m, C + 0, true, sw); };
  auto feed_ml_g = [&](Input& i, auto& m) { feed_labels(i, m, C, true, false); };
  auto feed_bin = [&](Input& i, auto& m) { feed_labels(i, m, 2, false, sw); };
  auto feed_bin_g = [&](Input& i, auto& m) { feed_labels(i, m, 2, false, false); };
  switch (which) {
    case 0:
      exercise<tally::MulticlassStatScores>(
          in, [&](int v) { return tally::MulticlassStatScores(mc(v)); }, feed_mc);
      break;
    case 1:
      exercise<tally::MulticlassF1Score>(in, [&](int v) { return tally::MulticlassF1Score(mc(v)); },
                                         feed_mc);
      break;
    case 2:
      exercise<tally::MulticlassJaccardIndex>(
          in, [&](int v) { return tally::MulticlassJaccardIndex(global(mc(v))); }, feed_mc_g);
      break;
    case 3:
      exercise<tally::MulticlassConfusionMatrix>(
          in,
          [&](int v) {
            return tally::MulticlassConfusionMatrix(
                global(mc(v)), v && vary == 3 ? tally::Normalize::all : tally::Normalize::none);
          },
          feed_mc_g);
      break;
    case 4:
      exercise<tally::BinaryFBetaScore>(
          in, [&](int v) { return tally::BinaryFBetaScore(v && vary == 3 ? 3.0 : 2.0, bin(v)); },
          feed_bin);
      break;
    case 5:
      exercise<tally::MultilabelStatScores>(
          in, [&](int v) { return tally::MultilabelStatScores(ml(v)); }, feed_ml);
      break;
    case 6:
      exercise<tally::MultilabelConfusionMatrix>(
          in, [&](int v) { return tally::MultilabelConfusionMatrix(global(ml(v))); }, feed_ml_g);
      break;
    case 7:
      exercise<tally::BinaryConfusionMatrix>(
          in, [&](int v) { return tally::BinaryConfusionMatrix(global(bin(v))); }, feed_bin_g);
      break;
    case 8: {
      auto miou = [&](int v) {
        tally::MeanIoU::Options o;
        o.num_classes = static_cast<std::int64_t>(C) + (v && vary == 0);
        o.ignore_index = v && vary == 1 ? std::optional<std::int64_t>(7) : ii;
        o.input_format = tally::InputFormat::index;
        o.average = v && vary == 2 ? tally::Average::none : tally::Average::macro;
        o.aggregation_level =
            sw ? tally::AggregationLevel::samplewise : tally::AggregationLevel::global;
        o.include_background = !(v && vary == 3);
        return tally::MeanIoU(o);
      };
      exercise<tally::MeanIoU>(in, miou, [&](Input& i, tally::MeanIoU& m) {
        feed_labels(i, m, C, false, true);
      });
      break;
    }
    case 9: {
      auto gds = [&](int v) {
        tally::GeneralizedDiceScore::Options o;
        o.num_classes = static_cast<std::int64_t>(C) + (v && vary == 0);
        o.ignore_index = v && vary == 1 ? std::optional<std::int64_t>(7) : ii;
        o.input_format = tally::InputFormat::index;
        o.average = v && vary == 2 ? tally::Average::none : tally::Average::macro;
        o.weight_type = v && vary == 3 ? tally::DiceWeights::simple : tally::DiceWeights::square;
        return tally::GeneralizedDiceScore(o);
      };
      exercise<tally::GeneralizedDiceScore>(in, gds, [&](Input& i, tally::GeneralizedDiceScore& m) {
        feed_labels(i, m, C, false, true);
      });
      break;
    }
    default: {
      auto dice = [&](int v) {
        tally::DiceScore::Options o;
        o.num_classes = static_cast<std::int64_t>(C) + (v && vary == 0);
        o.ignore_index = v && vary == 1 ? std::optional<std::int64_t>(7) : ii;
        o.input_format = tally::InputFormat::index;
        o.average = v && vary == 2 ? tally::Average::none : tally::Average::macro;
        o.aggregation_level =
            sw ? tally::AggregationLevel::samplewise : tally::AggregationLevel::global;
        o.zero_division = v && vary == 3 ? 1.0 : 0.0;
        return tally::DiceScore(o);
      };
      exercise<tally::DiceScore>(in, dice, [&](Input& i, tally::DiceScore& m) {
        feed_labels(i, m, C, false, true);
      });
    }
  }
  return 0;
}
