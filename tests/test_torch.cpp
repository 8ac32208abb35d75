// <tally/torch.hpp>: an update from at::Tensor equals the update from the same values through
// tally::tensor_view, for every dtype, memory layout and metric family; invalid tensors throw
// tally::error before anything is counted. Built as its own program, tally_torch_tests.
#include <ATen/ATen.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tally/tally.hpp>
#include <tally/torch.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Shape;

template <class E>
struct tt_tag {
  using type = E;
};

template <class... E, class F>
void tt_for_each(F&& f) {
  (f(tt_tag<E>{}), ...);
}

// The dtype whose elements are E (the pointer path's reference mapping).
template <class E>
at::ScalarType tt_dtype() {
  if constexpr (std::is_same_v<E, bool>) return at::kBool;
  else if constexpr (std::is_same_v<E, std::uint8_t>) return at::kByte;
  else if constexpr (std::is_same_v<E, std::int8_t>) return at::kChar;
  else if constexpr (std::is_same_v<E, std::int16_t>) return at::kShort;
  else if constexpr (std::is_same_v<E, std::int32_t>) return at::kInt;
  else if constexpr (std::is_same_v<E, std::int64_t>) return at::kLong;
  else if constexpr (std::is_same_v<E, float>) return at::kFloat;
  else {
    static_assert(std::is_same_v<E, double>, "no dtype for this element type");
    return at::kDouble;
  }
}

std::vector<std::int64_t> tt_sizes(const Shape& s) { return {s.begin(), s.end()}; }

// A tensor of `dtype` holding `values` (int64 or double) with shape s; always its own storage.
template <class V>
at::Tensor tt_tensor(const std::vector<V>& values, const Shape& s, at::ScalarType dtype) {
  REQUIRE(values.size() == s.numel());
  const at::ScalarType from = std::is_floating_point_v<V> ? at::kDouble : at::kLong;
  return at::from_blob(const_cast<V*>(values.data()), tt_sizes(s), from)
      .to(dtype, /*non_blocking=*/false, /*copy=*/true);
}

// The values as elements of type E (std::vector<bool> has no data(), hence the array).
template <class E, class V>
std::unique_ptr<E[]> tt_cast(const std::vector<V>& values) {
  std::unique_ptr<E[]> out(new E[values.size() ? values.size() : 1]);
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<E>(values[i]);
  return out;
}

// A tensor's values (any real dtype) as doubles, read through a Double copy.
std::vector<double> tt_values(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + d.numel());
}

std::vector<std::int64_t> tt_labels(std::size_t n, std::int64_t lo, std::int64_t hi,
                                    std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> dist(lo, hi);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<double> tt_scores(std::size_t n, double lo, double hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Updates one copy of `proto` through tally::torch::update and one through tensor_views of P
// and T holding the same values; both must count the same.
template <class P, class T, class M, class PV, class TV>
void tt_same_as_pointer(const M& proto, const std::vector<PV>& pv, const Shape& ps,
                        const std::vector<TV>& tv, const Shape& ts) {
  INFO("preds dtype " << tt_dtype<P>() << ", target dtype " << tt_dtype<T>());
  M by_tensor = proto;
  M by_pointer = proto;
  tally::torch::update(by_tensor, tt_tensor(pv, ps, tt_dtype<P>()), tt_tensor(tv, ts, tt_dtype<T>()));
  const auto p = tt_cast<P>(pv);
  const auto t = tt_cast<T>(tv);
  by_pointer.update(tally::tensor_view<const P>(p.get(), ps), tally::tensor_view<const T>(t.get(), ts));
  CHECK(by_tensor == by_pointer);
  CHECK(by_tensor.compute() == by_pointer.compute());
  CHECK(by_tensor != proto);  // something was counted
}

tally::Multiclass::Options tt_multiclass(std::int64_t classes) {
  tally::Multiclass::Options o;
  o.num_classes = classes;
  o.ignore_index = 7;  // fits every integral dtype
  return o;
}

// f must throw tally::error whose message contains every piece, and leave m unchanged.
template <class M, class F>
void tt_rejects(M& m, F&& f, const std::vector<std::string>& pieces) {
  const M before = m;
  CHECK_THROWS_AS(f(m), tally::error);
  const std::string msg = error_message([&] { f(m); });
  INFO(msg);
  for (const std::string& piece : pieces) CHECK(msg.find(piece) != std::string::npos);
  CHECK(m == before);
}

}  // namespace

// --- every dtype equals the pointer path ------------------------------------------------------

TEST_CASE("torch: MulticlassF1Score from label tensors of every integral dtype") {
  const Shape s{2, 3, 4};
  const auto preds = tt_labels(s.numel(), 0, 4, 1);
  auto target = tt_labels(s.numel(), 0, 4, 2);
  target[3] = target[10] = 7;  // ignore_index
  const tally::MulticlassF1Score proto(tt_multiclass(5));
  tt_for_each<std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>([&](auto tag) {
    using E = typename decltype(tag)::type;
    tt_same_as_pointer<E, std::int64_t>(proto, preds, s, target, s);
    tt_same_as_pointer<std::int64_t, E>(proto, preds, s, target, s);
    tt_same_as_pointer<E, E>(proto, preds, s, target, s);
  });
}

TEST_CASE("torch: MulticlassF1Score from float and double scores (N, C, H, W)") {
  const Shape ps{2, 4, 3, 5}, ts{2, 3, 5};
  const auto scores = tt_scores(ps.numel(), -3.0, 3.0, 3);
  auto target = tt_labels(ts.numel(), 0, 3, 4);
  target[0] = 7;
  tally::Multiclass::Options o = tt_multiclass(4);
  o.average = tally::Average::none;
  const tally::MulticlassF1Score proto(o);
  tt_for_each<std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>([&](auto tag) {
    using E = typename decltype(tag)::type;
    tt_same_as_pointer<float, E>(proto, scores, ps, target, ts);
    tt_same_as_pointer<double, E>(proto, scores, ps, target, ts);
  });
}

TEST_CASE("torch: BinaryStatScores with probabilities, logits and labels of every dtype") {
  const Shape s{3, 8};
  const auto probs = tt_scores(s.numel(), 0.0, 1.0, 5);
  const auto logits = tt_scores(s.numel(), -4.0, 4.0, 6);
  const auto labels = tt_labels(s.numel(), 0, 1, 7);
  const auto target = tt_labels(s.numel(), 0, 1, 8);
  const tally::BinaryStatScores proto(tally::Binary::Options{});
  tt_for_each<bool, std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>(
      [&](auto tag) {
        using E = typename decltype(tag)::type;
        tt_same_as_pointer<float, E>(proto, probs, s, target, s);
        tt_same_as_pointer<float, E>(proto, logits, s, target, s);
        tt_same_as_pointer<E, E>(proto, labels, s, target, s);
      });
  tt_same_as_pointer<double, std::uint8_t>(proto, probs, s, target, s);
  tt_same_as_pointer<bool, std::int64_t>(proto, labels, s, target, s);
}

TEST_CASE("torch: MultilabelStatScores (N, L, ...) with probabilities and 0-1 labels") {
  const Shape s{4, 3, 5};
  const auto probs = tt_scores(s.numel(), 0.0, 1.0, 9);
  const auto labels = tt_labels(s.numel(), 0, 1, 10);
  const auto target = tt_labels(s.numel(), 0, 1, 11);
  tally::Multilabel::Options o;
  o.num_labels = 3;
  o.average = tally::Average::none;
  const tally::MultilabelStatScores proto(o);
  tt_for_each<bool, std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>(
      [&](auto tag) {
        using E = typename decltype(tag)::type;
        tt_same_as_pointer<float, E>(proto, probs, s, target, s);
        tt_same_as_pointer<E, E>(proto, labels, s, target, s);
      });
  tt_same_as_pointer<double, bool>(proto, probs, s, target, s);
}

TEST_CASE("torch: MulticlassConfusionMatrix from labels and from scores") {
  const Shape ps{3, 4, 6}, ts{3, 6};
  const auto labels = tt_labels(ts.numel(), 0, 3, 12);
  auto target = tt_labels(ts.numel(), 0, 3, 13);
  target[5] = 7;
  const auto scores = tt_scores(ps.numel(), 0.0, 1.0, 14);
  const tally::MulticlassConfusionMatrix proto(tt_multiclass(4));
  tt_for_each<std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>([&](auto tag) {
    using E = typename decltype(tag)::type;
    tt_same_as_pointer<E, E>(proto, labels, ts, target, ts);
    tt_same_as_pointer<float, E>(proto, scores, ps, target, ts);
  });
  tt_same_as_pointer<double, std::int64_t>(proto, scores, ps, target, ts);
}

TEST_CASE("torch: MatthewsCorrCoef, CohenKappa and ExactMatch count like the pointer path") {
  const Shape ps{3, 4, 6}, ts{3, 6};
  const auto labels = tt_labels(ts.numel(), 0, 3, 22);
  auto target = tt_labels(ts.numel(), 0, 3, 23);
  target[5] = 7;
  const auto scores = tt_scores(ps.numel(), 0.0, 1.0, 24);
  const tally::MulticlassMatthewsCorrCoef mcc(tt_multiclass(4));
  const tally::MulticlassCohenKappa kappa(tt_multiclass(4), tally::KappaWeights::quadratic);
  const tally::MulticlassExactMatch exact(tt_multiclass(4));
  tt_same_as_pointer<std::uint8_t, std::int64_t>(mcc, labels, ts, target, ts);
  tt_same_as_pointer<float, std::int64_t>(mcc, scores, ps, target, ts);
  tt_same_as_pointer<std::int32_t, std::int64_t>(kappa, labels, ts, target, ts);
  tt_same_as_pointer<std::int64_t, std::uint8_t>(exact, labels, ts, target, ts);
  tt_same_as_pointer<float, std::int64_t>(exact, scores, ps, target, ts);
}

TEST_CASE("torch: DiceScore from index maps of every integral dtype") {
  const Shape s{2, 6, 7};
  const auto preds = tt_labels(s.numel(), 0, 3, 15);
  auto target = tt_labels(s.numel(), 0, 3, 16);
  target[1] = target[40] = 7;
  tally::DiceScore::Options o;
  o.num_classes = 4;
  o.ignore_index = 7;
  o.input_format = tally::InputFormat::index;
  const tally::DiceScore proto(o);
  tt_for_each<std::uint8_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t>([&](auto tag) {
    using E = typename decltype(tag)::type;
    tt_same_as_pointer<E, E>(proto, preds, s, target, s);
    tt_same_as_pointer<E, std::int64_t>(proto, preds, s, target, s);
    tt_same_as_pointer<std::uint8_t, E>(proto, preds, s, target, s);
  });
}

TEST_CASE("torch: DiceScore takes floating one-hot targets but not floating index maps") {
  const Shape s{2, 3, 4, 4}, is{2, 4, 4};
  const auto scores = tt_scores(s.numel(), 0.0, 1.0, 17);
  const auto labels = tt_labels(is.numel(), 0, 2, 18);
  const at::Tensor one_hot =
      at::one_hot(tt_tensor(labels, is, at::kLong), 3).permute({0, 3, 1, 2}).contiguous();
  const std::vector<double> target = tt_values(one_hot);
  tally::DiceScore::Options o;
  o.num_classes = 3;
  const tally::DiceScore proto(o);  // one_hot input
  tt_same_as_pointer<float, float>(proto, scores, s, target, s);
  tt_same_as_pointer<double, double>(proto, scores, s, target, s);
  tt_same_as_pointer<float, std::uint8_t>(proto, scores, s, target, s);

  o.input_format = tally::InputFormat::index;
  tally::DiceScore index(o);
  tt_rejects(
      index,
      [&](tally::DiceScore& m) {
        tally::torch::update(m, tt_tensor(labels, is, at::kLong), tt_tensor(labels, is, at::kFloat));
      },
      {"target", "floating-point", "integral"});
}

TEST_CASE("torch: MeanIoU and GeneralizedDiceScore from index maps and one-hot tensors") {
  const Shape s{2, 6, 7};
  const auto preds = tt_labels(s.numel(), 0, 3, 21);
  auto target = tt_labels(s.numel(), 0, 3, 22);
  target[3] = target[50] = 7;
  tally::MeanIoU::Options m;
  m.num_classes = 4;
  m.ignore_index = 7;
  m.input_format = tally::InputFormat::index;
  const tally::MeanIoU miou(m);
  tally::GeneralizedDiceScore::Options g;
  g.num_classes = 4;
  g.ignore_index = 7;
  g.input_format = tally::InputFormat::index;
  const tally::GeneralizedDiceScore gds(g);
  tt_for_each<std::uint8_t, std::int64_t>([&](auto tag) {
    using E = typename decltype(tag)::type;
    tt_same_as_pointer<E, E>(miou, preds, s, target, s);
    tt_same_as_pointer<E, E>(gds, preds, s, target, s);
  });

  // Floating one-hot preds and targets, num_classes taken from the channel axis.
  const Shape os{2, 3, 4, 4}, is{2, 4, 4};
  const auto scores = tt_scores(os.numel(), 0.0, 1.0, 23);
  const auto labels = tt_labels(is.numel(), 0, 2, 24);
  const at::Tensor one_hot =
      at::one_hot(tt_tensor(labels, is, at::kLong), 3).permute({0, 3, 1, 2}).contiguous();
  const std::vector<double> one_hot_target = tt_values(one_hot);
  const tally::MeanIoU learning_miou(tally::MeanIoU::Options{});
  const tally::GeneralizedDiceScore learning_gds(tally::GeneralizedDiceScore::Options{});
  tt_same_as_pointer<float, float>(learning_miou, scores, os, one_hot_target, os);
  tt_same_as_pointer<float, std::uint8_t>(learning_gds, scores, os, one_hot_target, os);
}

// --- per-class scores reduced on the device --------------------------------------------------------

// Runs the device path on CPU tensors while alive (tally::torch::detail::device_path()).
struct tt_device_path_on_cpu {
  tt_device_path_on_cpu() { tally::torch::detail::device_path().on_cpu = true; }
  ~tt_device_path_on_cpu() { tally::torch::detail::device_path().on_cpu = false; }
  tt_device_path_on_cpu(const tt_device_path_on_cpu&) = delete;
  tt_device_path_on_cpu& operator=(const tt_device_path_on_cpu&) = delete;
};

// One update of `proto` on the host path and one on the device path: equal state and result;
// `reduced` says whether the device path must have reduced the scores (else it left them to the
// host path).
template <class M>
void tt_device_equals_host(const M& proto, const at::Tensor& preds, const at::Tensor& target,
                           bool reduced) {
  M host = proto, device = proto;
  tally::torch::update(host, preds, target);
  const std::size_t before = tally::torch::detail::device_path().reductions;
  {
    const tt_device_path_on_cpu on;
    tally::torch::update(device, preds, target);
  }
  CHECK(tally::torch::detail::device_path().reductions - before == (reduced ? 1u : 0u));
  CHECK(device == host);
  CHECK(device.compute() == host.compute());
  CHECK(device != proto);
}

// Both paths reject the input with the same message and leave the metric unchanged; `reduced`:
// whether the device path reduced the scores before the metric rejected the batch.
template <class M>
void tt_device_rejects_as_host(const M& proto, const at::Tensor& preds, const at::Tensor& target,
                               bool reduced = false) {
  M host = proto, device = proto;
  const std::string on_host = error_message([&] { tally::torch::update(host, preds, target); });
  const std::size_t before = tally::torch::detail::device_path().reductions;
  std::string on_device;
  {
    const tt_device_path_on_cpu on;
    on_device = error_message([&] { tally::torch::update(device, preds, target); });
  }
  INFO(on_host);
  CHECK(!on_host.empty());
  CHECK(on_device == on_host);
  CHECK(tally::torch::detail::device_path().reductions - before == (reduced ? 1u : 0u));
  CHECK(device == proto);
  CHECK(host == proto);
}

TEST_CASE("torch: per-class scores reduced to labels on the device count as on the host") {
  const Shape ps{2, 5, 6, 7}, ts{2, 6, 7};
  // Scores on a grid of 4 values: many ties, which both paths give to the lowest class.
  std::vector<double> scores = tt_scores(ps.numel(), 0.0, 1.0, 31);
  for (double& v : scores) v = std::floor(v * 4) / 4;
  auto target = tt_labels(ts.numel(), 0, 4, 32);
  target[3] = target[77] = 255;
  const at::Tensor t = tt_tensor(target, ts, at::kByte);
  tally::Multiclass::Options o;
  o.num_classes = 5;
  o.ignore_index = 255;
  for (at::ScalarType dtype : {at::kFloat, at::kDouble, at::kHalf}) {
    INFO("dtype " << dtype);
    const at::Tensor p = tt_tensor(scores, ps, dtype);
    tt_device_equals_host(tally::MulticlassF1Score(o), p, t, true);
    tt_device_equals_host(tally::MulticlassConfusionMatrix(o), p, t, true);
    tt_device_equals_host(tally::MulticlassMatthewsCorrCoef(o), p, t, true);
    tt_device_equals_host(tally::MulticlassExactMatch(o), p, t, true);
  }
  const at::Tensor p = tt_tensor(scores, ps, at::kFloat);
  // Channels-last scores (a non-contiguous layout) and a long target.
  tt_device_equals_host(tally::MulticlassJaccardIndex(o),
                        p.contiguous(at::MemoryFormat::ChannelsLast), t.to(at::kLong), true);
  {
    tally::Multiclass::Options sw = o;
    sw.multidim_average = tally::MultidimAverage::samplewise;
    sw.average = tally::Average::none;
    tt_device_equals_host(tally::MulticlassStatScores(sw), p, t, true);
    sw.scores = tally::Scores::probabilities;  // every score lies in [0, 1]
    tt_device_equals_host(tally::MulticlassRecall(sw), p, t, true);
  }
  // (N, C) scores and (N) labels; more than 256 classes (int32 labels).
  {
    const Shape ps2{40, 300}, ts2{40};
    const at::Tensor p2 = tt_tensor(tt_scores(ps2.numel(), -5.0, 5.0, 33), ps2, at::kFloat);
    const at::Tensor t2 = tt_tensor(tt_labels(ts2.numel(), 0, 299, 34), ts2, at::kLong);
    tally::Multiclass::Options big;
    big.num_classes = 300;
    tt_device_equals_host(tally::MulticlassAccuracy(big), p2, t2, true);
  }
  // Left to the host path: label preds, multiclass or binary (nothing to reduce).
  tt_device_equals_host(tally::MulticlassF1Score(o), p.argmax(1), t, false);
  tt_device_equals_host(tally::BinaryF1Score(tally::Binary::Options{}), p.select(1, 0).gt(0.5),
                        t.to(at::kLong).remainder(2), false);
  // What the host path rejects is rejected with its message: NaN, a probability outside [0, 1],
  // a class axis of the wrong size, a shape mismatch.
  {
    std::vector<double> bad = scores;
    bad[101] = std::nan("");
    tt_device_rejects_as_host(tally::MulticlassF1Score(o), tt_tensor(bad, ps, at::kFloat), t);
    bad[101] = 1.5;
    tally::Multiclass::Options probs = o;
    probs.scores = tally::Scores::probabilities;
    tt_device_rejects_as_host(tally::MulticlassF1Score(probs), tt_tensor(bad, ps, at::kFloat), t);
    tally::Multiclass::Options six = o;
    six.num_classes = 6;
    tt_device_rejects_as_host(tally::MulticlassF1Score(six), p, t);
    tt_device_rejects_as_host(tally::MulticlassF1Score(o), p, t.slice(2, 0, 5));
    // Samplewise needs scores of rank 3 or more: the scores' message, not the labels' one.
    tally::Multiclass::Options sw = o;
    sw.multidim_average = tally::MultidimAverage::samplewise;
    tt_device_rejects_as_host(tally::MulticlassStatScores(sw), p.select(3, 0).select(2, 0),
                              t.select(2, 0).select(1, 0));
  }
}

TEST_CASE("torch: segmentation one-hot scores reduced on the device count as on the host") {
  const Shape ps{3, 4, 5, 6}, ts{3, 5, 6};
  std::vector<double> scores = tt_scores(ps.numel(), 0.0, 1.0, 41);
  for (double& v : scores) v = std::floor(v * 3) / 3;  // ties
  auto labels = tt_labels(ts.numel(), 0, 3, 42);
  auto target = labels;
  target[5] = target[60] = 255;
  const at::Tensor p = tt_tensor(scores, ps, at::kFloat);
  const at::Tensor t = tt_tensor(target, ts, at::kByte);
  const at::Tensor one_hot =
      at::one_hot(tt_tensor(labels, ts, at::kLong), 4).permute({0, 3, 1, 2}).contiguous();

  for (auto level : {tally::AggregationLevel::samplewise, tally::AggregationLevel::global}) {
    INFO(tally::to_string(level));
    tally::DiceScore::Options d;
    d.num_classes = 4;
    d.input_format = tally::InputFormat::mixed;
    d.ignore_index = 255;
    d.aggregation_level = level;
    tt_device_equals_host(tally::DiceScore(d), p, t, true);
    tt_device_equals_host(tally::DiceScore(d), p.to(at::kHalf), t.to(at::kLong), true);
    d.input_format = tally::InputFormat::one_hot;
    d.ignore_index.reset();
    tt_device_equals_host(tally::DiceScore(d), p, one_hot.to(at::kByte), true);
    tt_device_equals_host(tally::DiceScore(d), p, one_hot.to(at::kFloat), true);
    tally::MeanIoU::Options m;
    m.input_format = tally::InputFormat::mixed;  // num_classes = 0: learnt from the scores
    m.ignore_index = 255;
    m.aggregation_level = level;
    tt_device_equals_host(tally::MeanIoU(m), p, t, true);
  }
  tally::GeneralizedDiceScore::Options g;
  g.num_classes = 4;
  g.input_format = tally::InputFormat::one_hot;
  g.average = tally::Average::none;
  tt_device_equals_host(tally::GeneralizedDiceScore(g), p, one_hot, true);
  g.input_format = tally::InputFormat::mixed;
  g.ignore_index = 255;
  tt_device_equals_host(tally::GeneralizedDiceScore(g), p, t, true);
  // A metric that learnt C = 4 and scores with 5 channels: left to the host path, which rejects.
  {
    tally::MeanIoU::Options m;
    m.input_format = tally::InputFormat::mixed;
    tally::MeanIoU learnt(m);
    tally::torch::update(learnt, p, tt_tensor(labels, ts, at::kByte));
    const Shape ps5{3, 5, 5, 6};
    tt_device_rejects_as_host(learnt, tt_tensor(tt_scores(ps5.numel(), 0.0, 1.0, 43), ps5, at::kFloat),
                              tt_tensor(labels, ts, at::kByte));
  }
  // NaN: left to the host path. A bad target value: both paths reject it with one message.
  tally::DiceScore::Options d;
  d.num_classes = 4;
  d.input_format = tally::InputFormat::mixed;
  d.ignore_index = 255;
  std::vector<double> bad = scores;
  bad[33] = std::nan("");
  tt_device_rejects_as_host(tally::DiceScore(d), tt_tensor(bad, ps, at::kFloat), t);
  auto bad_target = target;
  bad_target[17] = 9;
  tt_device_rejects_as_host(tally::DiceScore(d), p, tt_tensor(bad_target, ts, at::kByte), true);
}

// --- binary and multilabel scores thresholded on the device ----------------------------------

namespace {

// n binary preds (seeded): probabilities on a grid of tenths (0, 0.3, 0.5 and 1 among them, the
// thresholds tested), or logits: quarters in [-4, 4], ±inf, and the values at and next to
// log(t / (1 - t)) for thresholds 0.3 and 0.5 (in float, log(3 / 7) rounds up: a value that
// only th.logit, the largest float below it, counts right).
std::vector<double> tt_binary_preds(std::size_t n, bool logits, std::uint32_t seed) {
  std::vector<double> v = logits ? tt_scores(n, -4.0, 4.0, seed) : tt_scores(n, 0.0, 1.0, seed);
  for (double& x : v) x = logits ? std::round(x * 4) / 4 : std::round(x * 10) / 10;
  if (logits) {
    std::vector<double> special{std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
    for (double t : {0.3, 0.5}) {
      const double x = std::log(t / (1 - t));
      const float f = static_cast<float>(x);
      special.insert(special.end(), {x, f, std::nextafter(f, -1.0f), std::nextafter(f, 1.0f)});
    }
    REQUIRE(special.size() <= n / 2);
    for (std::size_t i = 0; i < special.size(); ++i) v[2 * i + 1] = special[i];
  }
  return v;
}

tally::Binary::Options tt_binary(double threshold, tally::Scores scores,
                                 std::optional<std::int64_t> ignore_index) {
  tally::Binary::Options b;
  b.threshold = threshold;
  b.scores = scores;
  b.ignore_index = ignore_index;
  return b;
}

tally::Multilabel::Options tt_multilabel(std::int64_t labels, double threshold,
                                         tally::Scores scores,
                                         std::optional<std::int64_t> ignore_index) {
  tally::Multilabel::Options m;
  m.num_labels = labels;
  m.threshold = threshold;
  m.scores = scores;
  m.ignore_index = ignore_index;
  return m;
}

// Every binary metric type: those that decide Scores::automatic on every element and those that
// decide it on kept elements only (ConfusionMatrix, JaccardIndex, MatthewsCorrCoef, CohenKappa).
template <class F>
void tt_for_each_binary_metric(const tally::Binary::Options& b, F&& f) {
  f(tally::BinaryF1Score(b));
  f(tally::BinaryStatScores(b));
  f(tally::BinaryNegativePredictiveValue(b));
  f(tally::BinaryConfusionMatrix(b));
  f(tally::BinaryJaccardIndex(b));
  f(tally::BinaryMatthewsCorrCoef(b));
  f(tally::BinaryCohenKappa(b));
}

template <class F>
void tt_for_each_multilabel_metric(const tally::Multilabel::Options& m, F&& f) {
  tally::Multilabel::Options none = m;
  none.average = tally::Average::none;
  f(tally::MultilabelStatScores(none));
  f(tally::MultilabelF1Score(m));
  f(tally::MultilabelJaccardIndex(m));
  f(tally::MultilabelMatthewsCorrCoef(m));
  f(tally::MultilabelExactMatch(m));
}

}  // namespace

TEST_CASE("torch: binary and multilabel scores thresholded on the device count as on the host") {
  const Shape s{4, 3, 10};  // binary (N, ...), and multilabel (N, L, ...) with L = 3
  const auto probs = tt_binary_preds(s.numel(), false, 51);
  const auto logits = tt_binary_preds(s.numel(), true, 52);
  auto target = tt_labels(s.numel(), 0, 1, 53);
  target[0] = target[64] = 255;
  const at::Tensor t = tt_tensor(target, s, at::kByte);
  using tally::Scores;
  for (const double threshold : {0.5, 0.3, 0.0, 1.0}) {
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble, at::kHalf}) {
      for (const Scores scores : {Scores::automatic, Scores::probabilities, Scores::logits}) {
        for (const auto* values : {&probs, &logits}) {
          if (scores == Scores::probabilities && values == &logits) continue;  // rejected
          INFO("threshold " << threshold << ", dtype " << dtype << ", scores "
                            << tally::to_string(scores) << (values == &logits ? ", logits" : ""));
          const at::Tensor p = tt_tensor(*values, s, dtype);
          tt_for_each_binary_metric(tt_binary(threshold, scores, 255), [&](const auto& m) {
            tt_device_equals_host(m, p, t, true);
          });
          tt_for_each_multilabel_metric(tt_multilabel(3, threshold, scores, 255),
                                        [&](const auto& m) {
                                          tt_device_equals_host(m, p, t, true);
                                        });
        }
      }
    }
  }
  // BFloat16 logits, a Long target, samplewise counts, channels-last scores, the parallel overload.
  const at::Tensor pl = tt_tensor(logits, s, at::kFloat);
  tt_device_equals_host(tally::BinaryJaccardIndex(tt_binary(0.3, Scores::automatic, 255)),
                        pl.to(at::kBFloat16), t.to(at::kLong), true);
  {
    tally::Binary::Options b = tt_binary(0.3, Scores::automatic, 255);
    b.multidim_average = tally::MultidimAverage::samplewise;
    tt_device_equals_host(tally::BinaryStatScores(b), pl, t, true);
    tally::Multilabel::Options m = tt_multilabel(3, 0.3, Scores::automatic, 255);
    m.multidim_average = tally::MultidimAverage::samplewise;
    m.average = tally::Average::none;
    tt_device_equals_host(tally::MultilabelStatScores(m), pl, t, true);
  }
  {
    const Shape s4{2, 3, 4, 5};
    const at::Tensor p4 = tt_tensor(tt_binary_preds(s4.numel(), true, 54), s4, at::kFloat)
                              .contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor t4 = tt_tensor(tt_labels(s4.numel(), 0, 1, 55), s4, at::kByte);
    REQUIRE_FALSE(p4.is_contiguous());
    tt_device_equals_host(tally::MultilabelF1Score(tt_multilabel(3, 0.5, Scores::logits, {})), p4,
                          t4, true);
  }
  {
    tally::BinaryF1Score host(tt_binary(0.3, Scores::automatic, 255)), device = host;
    tally::torch::update(host, pl, t, tally::parallel{2});
    const tt_device_path_on_cpu on;
    tally::torch::update(device, pl, t, tally::parallel{2});
    CHECK(device == host);
  }
}

TEST_CASE("torch: Scores::automatic on the device: every element, or kept elements only") {
  const Shape s{4, 3, 10};
  auto values = tt_binary_preds(s.numel(), false, 61);
  auto target = tt_labels(s.numel(), 0, 1, 62);
  target[0] = target[64] = 255;
  using tally::Scores;
  // Only an ignored element lies outside [0, 1]. The metrics that look at every element read the
  // update as logits, the logit_kept_only ones (binary ConfusionMatrix, JaccardIndex,
  // MatthewsCorrCoef, CohenKappa) as probabilities; the two readings count differently here.
  values[0] = 1.75;
  values[64] = -0.25;
  const at::Tensor p = tt_tensor(values, s, at::kFloat);
  const at::Tensor t = tt_tensor(target, s, at::kByte);
  {
    tally::BinaryStatScores as_logits(tt_binary(0.5, Scores::logits, 255));
    tally::BinaryStatScores as_probs(tt_binary(0.5, Scores::probabilities, 255));
    tally::torch::update(as_logits, p, t);
    tally::torch::update(as_probs, p.clamp(0, 1), t);
    REQUIRE(as_logits != tally::BinaryStatScores(as_logits.options()));
    REQUIRE(as_logits.counts().data()[3] != as_probs.counts().data()[3]);  // tp
    tally::BinaryJaccardIndex kept(tt_binary(0.5, Scores::automatic, 255));
    tally::BinaryJaccardIndex probs(tt_binary(0.5, Scores::probabilities, 255));
    tally::BinaryF1Score all(tt_binary(0.5, Scores::automatic, 255));
    tally::BinaryF1Score logit(tt_binary(0.5, Scores::logits, 255));
    tally::torch::update(kept, p, t);
    tally::torch::update(probs, p.clamp(0, 1), t);
    tally::torch::update(all, p, t);
    tally::torch::update(logit, p, t);
    const auto counts = [](const auto& m) {
      const auto c = m.counts();
      return std::vector<std::uint64_t>(c.data(), c.data() + c.size());
    };
    REQUIRE(counts(kept) == counts(probs));  // on the host: ignored elements do not make logits
    REQUIRE(counts(all) == counts(logit));   // on the host: any element does
  }
  for (const double threshold : {0.5, 0.3}) {
    tt_for_each_binary_metric(tt_binary(threshold, Scores::automatic, 255), [&](const auto& m) {
      tt_device_equals_host(m, p, t, true);
      tt_device_equals_host(m, p.to(at::kDouble), t.to(at::kInt), true);
    });
    tt_for_each_multilabel_metric(tt_multilabel(3, threshold, Scores::automatic, 255),
                                  [&](const auto& m) { tt_device_equals_host(m, p, t, true); });
  }
  // ignore_index by value, as on the host: 257 is no uint8 value (a wrapped 257 would be 1), -1 is
  // an int8 value, 1 a bool one; no ignore_index: every element is kept.
  {
    auto ones = tt_labels(s.numel(), 0, 1, 63);
    ones[0] = ones[64] = 1;
    for (const auto& [dtype, ignore] :
         std::vector<std::pair<at::ScalarType, std::optional<std::int64_t>>>{
             {at::kByte, 257}, {at::kByte, -1}, {at::kBool, 1}, {at::kByte, std::nullopt}}) {
      INFO("target dtype " << dtype);
      const at::Tensor t_ones = tt_tensor(ones, s, dtype);
      tt_for_each_binary_metric(tt_binary(0.5, Scores::automatic, ignore),
                                [&](const auto& m) { tt_device_equals_host(m, p, t_ones, true); });
    }
    auto minus = target;
    for (auto& v : minus) v = v == 255 ? -1 : v;
    tt_for_each_binary_metric(tt_binary(0.5, Scores::automatic, -1), [&](const auto& m) {
      tt_device_equals_host(m, p, tt_tensor(minus, s, at::kChar), true);
    });
  }
}

TEST_CASE("torch: what the host rejects is not thresholded on the device") {
  const Shape s{4, 3, 10};
  const auto values = tt_binary_preds(s.numel(), false, 71);
  auto target = tt_labels(s.numel(), 0, 1, 72);
  target[0] = target[64] = 255;
  const at::Tensor t = tt_tensor(target, s, at::kByte);
  using tally::Scores;
  for (const Scores scores : {Scores::automatic, Scores::probabilities, Scores::logits}) {
    INFO("scores " << tally::to_string(scores));
    // A NaN, at a kept or at an ignored element.
    for (const std::size_t i : {std::size_t{5}, std::size_t{64}}) {
      auto bad = values;
      bad[i] = std::nan("");
      const at::Tensor p = tt_tensor(bad, s, at::kFloat);
      tt_for_each_binary_metric(tt_binary(0.5, scores, 255),
                                [&](const auto& m) { tt_device_rejects_as_host(m, p, t); });
      tt_for_each_multilabel_metric(tt_multilabel(3, 0.5, scores, 255),
                                    [&](const auto& m) { tt_device_rejects_as_host(m, p, t); });
    }
    // A target that is neither 0, 1 nor ignore_index: thresholded, then rejected by the count.
    auto bad_target = target;
    bad_target[17] = 2;
    const at::Tensor p = tt_tensor(values, s, at::kFloat);
    tt_for_each_binary_metric(tt_binary(0.5, scores, 255), [&](const auto& m) {
      tt_device_rejects_as_host(m, p, tt_tensor(bad_target, s, at::kByte), true);
    });
    tt_for_each_multilabel_metric(tt_multilabel(3, 0.5, scores, 255), [&](const auto& m) {
      tt_device_rejects_as_host(m, p, tt_tensor(bad_target, s, at::kByte), true);
    });
    // Shapes the host does not take: different shapes, the wrong number of labels.
    tt_device_rejects_as_host(tally::BinaryF1Score(tt_binary(0.5, scores, 255)), p,
                              t.slice(2, 0, 9));
    tt_device_rejects_as_host(tally::MultilabelF1Score(tt_multilabel(4, 0.5, scores, 255)), p, t);
  }
  // Scores::probabilities and a value outside [0, 1], at a kept or only at an ignored element.
  for (const std::size_t i : {std::size_t{5}, std::size_t{64}}) {
    auto bad = values;
    bad[i] = 1.5;
    const at::Tensor p = tt_tensor(bad, s, at::kFloat);
    tt_for_each_binary_metric(tt_binary(0.5, Scores::probabilities, 255),
                              [&](const auto& m) { tt_device_rejects_as_host(m, p, t); });
    tt_for_each_multilabel_metric(tt_multilabel(3, 0.5, Scores::probabilities, 255),
                                  [&](const auto& m) { tt_device_rejects_as_host(m, p, t); });
  }
}

namespace {

// A metric with the options of a counting metric that reads the scores themselves, as a ranking
// or calibration metric does: what its update is given.
template <class Options>
struct tt_scores_reader {
  using options_type = Options;
  struct core_type {
  } core_;
  Options o;
  std::vector<double> seen;
  const Options& options() const { return o; }
  template <class P, class T>
  void update(tally::tensor_view<const P> p, tally::tensor_view<const T>) {
    seen.assign(p.data(), p.data() + p.size());
  }
};

}  // namespace

TEST_CASE("torch: metrics that read the scores themselves get them, not decisions") {
  const Shape s{4, 5};
  const at::Tensor p = tt_tensor(tt_scores(s.numel(), 0.0, 1.0, 91), s, at::kFloat);
  const at::Tensor t = tt_tensor(tt_labels(s.numel(), 0, 1, 92), s, at::kLong);
  const std::vector<double> values = tt_values(p);
  const std::size_t before = tally::torch::detail::device_path().reductions;
  const tt_device_path_on_cpu on;
  tt_scores_reader<tally::Binary::Options> binary;
  tally::torch::update(binary, p, t);
  CHECK(binary.seen == values);
  tt_scores_reader<tally::Multilabel::Options> multilabel;
  multilabel.o.num_labels = 5;
  tally::torch::update(multilabel, p, t);
  CHECK(multilabel.seen == values);
  tt_scores_reader<tally::Multiclass::Options> multiclass;
  multiclass.o.num_classes = 5;
  tally::torch::update(multiclass, p, t.select(1, 0));
  CHECK(multiclass.seen == values);
  multiclass.o.top_k = 2;
  tally::torch::update(multiclass, p, t.select(1, 0));
  CHECK(multiclass.seen == values);
  CHECK(tally::torch::detail::device_path().reductions == before);
}

// --- multiclass top_k > 1 on the device -------------------------------------------------------

TEST_CASE("torch: multiclass top_k > 1 reduced on the device counts as on the host") {
  const Shape ps{3, 5, 6, 7}, ts{3, 6, 7};
  // Scores on a grid of 4 values and a few ±inf: many ties, ranked by class index on both paths.
  std::vector<double> scores = tt_scores(ps.numel(), 0.0, 1.0, 81);
  for (double& v : scores) v = std::floor(v * 4) / 4;
  scores[0] = scores[42] = scores[42 + 126] = std::numeric_limits<double>::infinity();
  scores[300] = -std::numeric_limits<double>::infinity();
  auto target = tt_labels(ts.numel(), 0, 4, 82);
  target[3] = target[77] = 255;
  const at::Tensor t = tt_tensor(target, ts, at::kByte);
  tally::Multiclass::Options o;
  o.num_classes = 5;
  o.ignore_index = 255;
  for (const int k : {2, 3, 5}) {
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble, at::kHalf}) {
      INFO("top_k " << k << ", dtype " << dtype);
      const at::Tensor p = tt_tensor(scores, ps, dtype);
      tally::Multiclass::Options ok = o;
      ok.top_k = k;
      ok.average = tally::Average::none;
      tt_device_equals_host(tally::MulticlassStatScores(ok), p, t, true);
      ok.average = tally::Average::micro;
      tt_device_equals_host(tally::MulticlassAccuracy(ok), p, t, true);
      ok.average = tally::Average::weighted;
      ok.multidim_average = tally::MultidimAverage::samplewise;
      tt_device_equals_host(tally::MulticlassF1Score(ok), p, t.to(at::kLong), true);
    }
  }
  tally::Multiclass::Options k2 = o;
  k2.top_k = 2;
  const at::Tensor p = tt_tensor(scores, ps, at::kFloat);
  // An ignore_index that is a class; channels-last scores; probabilities; the parallel overload.
  {
    tally::Multiclass::Options zero = k2;
    zero.ignore_index = 0;
    tt_device_equals_host(tally::MulticlassPrecision(zero), p, t.clamp(0, 4).to(at::kLong), true);
    tt_device_equals_host(tally::MulticlassRecall(k2), p.contiguous(at::MemoryFormat::ChannelsLast),
                          t, true);
    tally::Multiclass::Options probs = k2;
    probs.scores = tally::Scores::probabilities;
    tt_device_equals_host(tally::MulticlassRecall(probs), p.clamp(0, 1), t, true);
    tally::MulticlassRecall host(k2), device(k2);
    tally::torch::update(host, p, t, tally::parallel{2});
    const tt_device_path_on_cpu on;
    tally::torch::update(device, p, t, tally::parallel{2});
    CHECK(device == host);
  }
  // (N, C) scores with more than 256 classes (int32 labels).
  {
    const Shape ps2{40, 300}, ts2{40};
    std::vector<double> s2 = tt_scores(ps2.numel(), 0.0, 1.0, 83);
    for (double& v : s2) v = std::floor(v * 8) / 8;
    const at::Tensor p2 = tt_tensor(s2, ps2, at::kFloat);
    const at::Tensor t2 = tt_tensor(tt_labels(ts2.numel(), 0, 299, 84), ts2, at::kLong);
    tally::Multiclass::Options big;
    big.num_classes = 300;
    big.top_k = 40;
    tt_device_equals_host(tally::MulticlassAccuracy(big), p2, t2, true);
  }
  // Rejected with the host's message: a NaN, a probability outside [0, 1] (not reduced); a target
  // outside [0, C) (reduced, then rejected by the count); samplewise (N, C) scores.
  {
    std::vector<double> bad = scores;
    bad[101] = std::nan("");
    tt_device_rejects_as_host(tally::MulticlassF1Score(k2), tt_tensor(bad, ps, at::kFloat), t);
    tally::Multiclass::Options probs = k2;
    probs.scores = tally::Scores::probabilities;
    tt_device_rejects_as_host(tally::MulticlassF1Score(probs), p, t);
    auto bad_target = target;
    bad_target[50] = 9;
    tt_device_rejects_as_host(tally::MulticlassF1Score(k2), p, tt_tensor(bad_target, ts, at::kByte),
                              true);
    tally::Multiclass::Options sw = k2;
    sw.multidim_average = tally::MultidimAverage::samplewise;
    tt_device_rejects_as_host(tally::MulticlassStatScores(sw), p.select(3, 0).select(2, 0),
                              t.select(2, 0).select(1, 0));
  }
}

// --- conversions --------------------------------------------------------------------------------

TEST_CASE("torch: non-contiguous tensors count as their contiguous copies") {
  const Shape nhwc_shape{2, 4, 5, 5};
  const auto scores = tt_scores(nhwc_shape.numel(), -1.0, 1.0, 19);
  const auto labels = tt_labels(2 * 4 * 10, 0, 4, 20);
  tally::Multiclass::Options o = tt_multiclass(5);
  o.average = tally::Average::none;
  const tally::MulticlassF1Score proto(o);

  // Channels-last scores: (N, H, W, C) data seen as (N, C, H, W); a strided slice as target.
  const at::Tensor nhwc = tt_tensor(scores, nhwc_shape, at::kFloat);
  const at::Tensor nchw = nhwc.permute({0, 3, 1, 2});
  const at::Tensor wide = tt_tensor(labels, Shape{2, 4, 10}, at::kByte);
  const at::Tensor sliced = wide.slice(2, 0, 10, 2);  // (2, 4, 5), every other column
  REQUIRE_FALSE(nchw.is_contiguous());
  REQUIRE_FALSE(sliced.is_contiguous());
  tally::MulticlassF1Score strided = proto, contiguous = proto, pointer = proto;
  tally::torch::update(strided, nchw, sliced);
  tally::torch::update(contiguous, nchw.contiguous(), sliced.contiguous());
  const std::vector<double> ps_values = tt_values(nchw);
  const std::vector<double> t_values = tt_values(sliced);
  const auto p = tt_cast<float>(ps_values);
  const auto t = tt_cast<std::uint8_t>(t_values);
  pointer.update(tally::tensor_view<const float>(p.get(), Shape{2, 5, 4, 5}),
                 tally::tensor_view<const std::uint8_t>(t.get(), Shape{2, 4, 5}));
  CHECK(strided == contiguous);
  CHECK(strided == pointer);
  CHECK(strided != proto);

  // A transposed label matrix, and an expanded (stride 0) target.
  const at::Tensor lt = tt_tensor(labels, Shape{8, 10}, at::kLong).t();  // (10, 8)
  const at::Tensor row = tt_tensor(std::vector<std::int64_t>{0, 1, 2, 3, 4, 7, 1, 2}, Shape{1, 8},
                                   at::kLong).expand({10, 8});
  REQUIRE_FALSE(lt.is_contiguous());
  REQUIRE_FALSE(row.is_contiguous());
  tally::MulticlassF1Score a = proto, b = proto;
  tally::torch::update(a, lt, row);
  tally::torch::update(b, lt.contiguous(), row.contiguous());
  CHECK(a == b);
  CHECK(a != proto);
}

TEST_CASE("torch: Half and BFloat16 scores count as their values in float") {
  const Shape ps{2, 4, 3, 3}, ts{2, 3, 3};
  const auto scores = tt_scores(ps.numel(), -2.0, 2.0, 21);
  const auto target = tt_labels(ts.numel(), 0, 3, 22);
  tally::Multiclass::Options o = tt_multiclass(4);
  o.average = tally::Average::none;
  const tally::MulticlassF1Score f1(o);
  tally::Binary::Options bo;
  const tally::BinaryStatScores binary(bo);
  const auto binary_target = tt_labels(ps.numel(), 0, 1, 23);
  for (const at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    INFO("dtype " << dtype);
    const at::Tensor low = tt_tensor(scores, ps, dtype);
    // The pointer path reads the rounded values as float.
    const auto rounded = tt_cast<float>(tt_values(low));
    const auto t = tt_cast<std::int64_t>(target);
    tally::MulticlassF1Score by_tensor = f1, by_pointer = f1;
    tally::torch::update(by_tensor, low, tt_tensor(target, ts, at::kLong));
    by_pointer.update(tally::tensor_view<const float>(rounded.get(), ps),
                      tally::tensor_view<const std::int64_t>(t.get(), ts));
    CHECK(by_tensor == by_pointer);
    CHECK(by_tensor != f1);

    const auto bt = tt_cast<std::uint8_t>(binary_target);
    tally::BinaryStatScores b_tensor = binary, b_pointer = binary;
    tally::torch::update(b_tensor, low, tt_tensor(binary_target, ps, at::kByte));
    b_pointer.update(tally::tensor_view<const float>(rounded.get(), ps),
                     tally::tensor_view<const std::uint8_t>(bt.get(), ps));
    CHECK(b_tensor == b_pointer);
  }
}

TEST_CASE("torch: a negative view counts its negated values") {
  const Shape s{4, 6};
  const auto logits = tt_scores(s.numel(), -3.0, 3.0, 24);
  const auto target = tt_labels(s.numel(), 0, 1, 25);
  const at::Tensor neg = tt_tensor(logits, s, at::kFloat)._neg_view();
  REQUIRE(neg.is_neg());
  std::vector<double> negated(logits);
  for (double& v : negated) v = -v;
  const tally::BinaryStatScores proto(tally::Binary::Options{});
  tally::BinaryStatScores by_view = proto, by_values = proto;
  tally::torch::update(by_view, neg, tt_tensor(target, s, at::kLong));
  tally::torch::update(by_values, tt_tensor(negated, s, at::kFloat), tt_tensor(target, s, at::kLong));
  CHECK(by_view == by_values);
}

TEST_CASE("torch: tensors that require grad are read without recording autograd") {
  const Shape ps{2, 3, 4}, ts{2, 4};
  const auto scores = tt_scores(ps.numel(), -1.0, 1.0, 26);
  const auto target = tt_labels(ts.numel(), 0, 2, 27);
  const at::Tensor leaf = tt_tensor(scores, ps, at::kDouble).requires_grad_(true);
  const at::Tensor half_leaf = tt_tensor(scores, ps, at::kHalf).requires_grad_(true);
  const tally::MulticlassF1Score proto(tt_multiclass(3));
  tally::MulticlassF1Score a = proto, b = proto, c = proto;
  tally::torch::update(a, leaf, tt_tensor(target, ts, at::kLong));
  tally::torch::update(b, leaf.detach(), tt_tensor(target, ts, at::kLong));
  tally::torch::update(c, half_leaf, tt_tensor(target, ts, at::kLong));
  CHECK(a == b);
  CHECK(a != proto);
  CHECK(c != proto);
  CHECK_FALSE(leaf.grad().defined());
}

TEST_CASE("torch: an empty batch is counted like the pointer path") {
  const tally::MulticlassF1Score proto(tt_multiclass(3));
  tally::MulticlassF1Score by_tensor = proto, by_pointer = proto;
  tally::torch::update(by_tensor, at::empty({0, 3}, at::kFloat), at::empty({0}, at::kLong));
  by_pointer.update(tally::tensor_view<const float>(nullptr, Shape{0, 3}),
                    tally::tensor_view<const std::int64_t>(nullptr, Shape{0}));
  CHECK(by_tensor == by_pointer);
}

// --- errors -------------------------------------------------------------------------------------

TEST_CASE("torch: invalid tensors throw tally::error and leave the metric unchanged") {
  const Shape s{2, 5};
  const auto labels = tt_labels(s.numel(), 0, 2, 28);
  const at::Tensor good = tt_tensor(labels, s, at::kLong);
  tally::MulticlassF1Score m(tt_multiclass(3));
  tally::torch::update(m, good, good);  // a state that is not the initial one
  using M = tally::MulticlassF1Score;

  SECTION("undefined tensors") {
    tt_rejects(m, [&](M& x) { tally::torch::update(x, at::Tensor(), good); },
               {"preds", "undefined"});
    tt_rejects(m, [&](M& x) { tally::torch::update(x, good, at::Tensor()); },
               {"target", "undefined"});
  }
  SECTION("unsupported dtypes are named") {
    const at::Tensor complex = at::zeros({2, 5}, at::kComplexFloat);
    tt_rejects(m, [&](M& x) { tally::torch::update(x, complex, good); },
               {"preds", "ComplexFloat", "Long", "Float"});
    tt_rejects(m, [&](M& x) { tally::torch::update(x, good, complex); },
               {"target", "ComplexFloat", "Byte"});
    const at::Tensor quantized =
        at::quantize_per_tensor(at::zeros({2, 5}, at::kFloat), 0.1, 0, at::kQUInt8);
    tt_rejects(m, [&](M& x) { tally::torch::update(x, quantized, good); },
               {"preds", "QUInt8"});
  }
  SECTION("floating targets: targets must be integral") {
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16}) {
      INFO("dtype " << dtype);
      tt_rejects(m, [&](M& x) { tally::torch::update(x, good, good.to(dtype)); },
                 {"target", "floating dtype", c10::toString(dtype), "integral"});
    }
  }
  SECTION("preds and target on different devices") {
    const at::Tensor meta = at::empty({2, 5}, at::TensorOptions().dtype(at::kLong).device(at::kMeta));
    tt_rejects(m, [&](M& x) { tally::torch::update(x, good, meta); },
               {"preds", "cpu", "target", "meta", "device"});
    tt_rejects(m, [&](M& x) { tally::torch::update(x, meta, meta); }, {"meta device", "no values"});
  }
  SECTION("rank 0 and rank above 8") {
    const at::Tensor scalar = at::scalar_tensor(1, at::kLong);
    REQUIRE(scalar.dim() == 0);
    tt_rejects(m, [&](M& x) { tally::torch::update(x, scalar, scalar); },
               {"preds", "0-dim", "reshape"});
    tt_rejects(m, [&](M& x) { tally::torch::update(x, good, scalar); }, {"target", "0-dim"});
    const at::Tensor rank9 = at::zeros({1, 1, 1, 1, 1, 1, 1, 1, 2}, at::kLong);
    tt_rejects(m, [&](M& x) { tally::torch::update(x, rank9, rank9); }, {"preds", "9", "8"});
  }
  SECTION("sparse tensors") {
    const at::Tensor sparse = good.to_sparse();
    tt_rejects(m, [&](M& x) { tally::torch::update(x, sparse, good); },
               {"preds", "Sparse", "to_dense"});
  }
  SECTION("the metric's own checks: the same message as the pointer path") {
    std::vector<std::int64_t> bad = labels;
    bad[6] = -3;  // not ignore_index 7, outside [0, 3)
    for (const at::ScalarType dtype : {at::kChar, at::kShort, at::kInt, at::kLong}) {
      INFO("dtype " << dtype);
      const at::Tensor t = tt_tensor(bad, s, dtype);
      tt_rejects(m, [&](M& x) { tally::torch::update(x, good, t); },
                 {"target value -3 at index 6"});
      const auto raw = tt_cast<std::int64_t>(bad);
      M y = m;
      const std::string by_pointer = error_message([&] {
        y.update(tally::tensor_view<const std::int64_t>(raw.get(), s),
                 tally::tensor_view<const std::int64_t>(raw.get(), s));
      });
      M z = m;
      CHECK(error_message([&] { tally::torch::update(z, t, t); }) == by_pointer);
    }
    const at::Tensor scores = at::zeros({2, 4, 5}, at::kFloat);  // 4 classes, not 3
    tt_rejects(m, [&](M& x) { tally::torch::update(x, scores, good); }, {"4", "3"});
  }
}

// --- tally::parallel ----------------------------------------------------------------------------

TEST_CASE("torch: the parallel overload counts like the serial one") {
  // Above the ~1M elements under which parallel updates run serially.
  const Shape s{4, 512, 640};
  const auto target_values = tt_labels(s.numel(), 0, 18, 29);
  at::Tensor target = tt_tensor(target_values, s, at::kByte);
  target.slice(2, 0, 8).fill_(255);  // a void border
  const at::Tensor preds = (target.to(at::kLong) + 1).remainder(19).to(at::kByte);
  preds.slice(1, 0, 100).fill_(3);

  tally::Multiclass::Options o;
  o.num_classes = 19;
  o.ignore_index = 255;
  const tally::MulticlassJaccardIndex proto(o);
  tally::MulticlassJaccardIndex serial = proto, threaded = proto;
  tally::torch::update(serial, preds, target);
  tally::torch::update(threaded, preds, target, tally::parallel{2});
  CHECK(serial == threaded);
  CHECK(serial != proto);

  tally::DiceScore::Options d;
  d.num_classes = 19;
  d.ignore_index = 255;
  d.input_format = tally::InputFormat::index;
  tally::DiceScore dice_serial(d), dice_threaded(d);
  tally::torch::update(dice_serial, preds, target);
  tally::torch::update(dice_threaded, preds, target, tally::parallel{2});
  CHECK(dice_serial == dice_threaded);

  // A rejected parallel update changes nothing either.
  tt_rejects(
      threaded,
      [&](tally::MulticlassJaccardIndex& x) {
        tally::torch::update(x, preds, target.to(at::kFloat), tally::parallel{2});
      },
      {"target", "floating dtype"});
}

// --- ranking and calibration metrics -----------------------------------------------------------

TEST_CASE("torch: ranking and calibration metrics count their scores as the pointer path does") {
  const Shape bs{6, 7}, ps{5, 4, 3}, ts{5, 3};
  const auto bscores = tt_scores(bs.numel(), -3.0, 3.0, 131);  // logits
  const auto btarget = tt_labels(bs.numel(), 0, 1, 132);
  const auto mscores = tt_scores(ps.numel(), 0.0, 1.0, 133);
  const auto mtarget = tt_labels(ts.numel(), 0, 3, 134);
  tally::Binary::Options bo;
  tally::Multiclass::Options mo = tt_multiclass(4);
  mo.average = tally::Average::none;
  const tt_device_path_on_cpu on;  // the device path must leave these scores alone
  const std::size_t before = tally::torch::detail::device_path().reductions;
  for (const at::ScalarType dtype : {at::kFloat, at::kDouble, at::kHalf}) {
    INFO("dtype " << dtype);
    const at::Tensor bp = tt_tensor(bscores, bs, dtype), mp = tt_tensor(mscores, ps, dtype);
    // The pointer path reads what the tensor path reads: double, or float for Float and Half.
    const bool wide = dtype == at::kDouble;
    const auto bd = tt_cast<double>(tt_values(bp)), md = tt_cast<double>(tt_values(mp));
    const auto bf = tt_cast<float>(tt_values(bp)), mf = tt_cast<float>(tt_values(mp));
    const auto by_pointer_update = [&](auto& m, const auto& d, const auto& f, const Shape& s,
                                       const auto* t, const Shape& tshape) {
      using T = std::remove_const_t<std::remove_pointer_t<decltype(t)>>;
      if (wide)
        m.update(tally::tensor_view<const double>(d.get(), s), tally::tensor_view<const T>(t, tshape));
      else
        m.update(tally::tensor_view<const float>(f.get(), s), tally::tensor_view<const T>(t, tshape));
    };
    const auto bt = tt_cast<std::uint8_t>(btarget);
    const auto mt = tt_cast<std::int64_t>(mtarget);
    const auto binary_check = [&](auto metric) {
      auto by_tensor = metric, by_pointer = metric;
      tally::torch::update(by_tensor, bp, tt_tensor(btarget, bs, at::kByte));
      by_pointer_update(by_pointer, bd, bf, bs, bt.get(), bs);
      CHECK(by_tensor.compute() == by_pointer.compute());
      CHECK(by_tensor != metric);
      decltype(metric) loaded = metric;
      loaded.load(by_tensor.save());
      CHECK(loaded == by_tensor);
    };
    binary_check(tally::BinaryAUROC(bo));
    binary_check(tally::BinaryAveragePrecision(bo, tally::Thresholds::linspace(20)));
    binary_check(tally::BinaryCalibrationError(bo, 10));
    const auto multiclass_check = [&](auto metric) {
      auto by_tensor = metric, by_pointer = metric;
      tally::torch::update(by_tensor, mp, tt_tensor(mtarget, ts, at::kLong));
      by_pointer_update(by_pointer, md, mf, ps, mt.get(), ts);
      CHECK(by_tensor.compute() == by_pointer.compute());
    };
    multiclass_check(tally::MulticlassAUROC(mo));
    multiclass_check(tally::MulticlassAveragePrecision(mo, tally::Thresholds::linspace(11)));
    tally::Multiclass::Options co = tt_multiclass(4);
    multiclass_check(tally::MulticlassCalibrationError(co, 5, tally::CalibrationNorm::max));
    tally::MulticlassROC roc(mo), roc_pointer(mo);
    tally::torch::update(roc, mp, tt_tensor(mtarget, ts, at::kLong));
    by_pointer_update(roc_pointer, md, mf, ps, mt.get(), ts);
    CHECK(roc == roc_pointer);
  }
  CHECK(tally::torch::detail::device_path().reductions == before);
}
