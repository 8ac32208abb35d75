// tally/options.hpp — the tasks and their options, the option enums, and the one list of
// fields per options struct that equality, saved states and formatters read.
// SPDX-License-Identifier: MIT
#ifndef TALLY_OPTIONS_HPP
#define TALLY_OPTIONS_HPP

#include <cstdint>
#include <optional>

#include "version.hpp"

TALLY_NAMESPACE_BEGIN

/// How per-class scores are reduced: `micro` sums the counts over classes first, `macro` is the
/// mean over classes that occur, `weighted` weights each class by its support, `none` keeps them.
enum class Average { micro, macro, weighted, none };

/// `global` pools every position of every sample; `samplewise` gives one row per sample (axis 0).
enum class MultidimAverage { global, samplewise };

/// ConfusionMatrix normalization. `target` divides rows by their sum (torchmetrics'
/// `normalize="true"`), `pred` divides columns, `all` divides by the total.
enum class Normalize { none, target, pred, all };

/// DiceScore input layout: label maps, one-hot (or per-class scores), or one of each.
enum class InputFormat { index, one_hot, mixed };

/// DiceScore: mean of per-sample scores (`samplewise`) or one score from pooled counts (`global`).
enum class AggregationLevel { global, samplewise };

/// GeneralizedDiceScore's class weights, from a class's target pixel count T in a sample:
/// `square` 1 / T^2, `simple` 1 / T, `linear` 1.
enum class DiceWeights { square, simple, linear };

/// How floating preds of binary and multilabel updates are read (and, for multiclass scores,
/// checked). `automatic` is torchmetrics' rule: logits when any value of the update lies outside
/// [0, 1], probabilities otherwise, decided again for every update. `probabilities` rejects a
/// value outside [0, 1] with tally::error; `logits` always applies the sigmoid (so a batch of
/// logits that happens to fall inside [0, 1] is not misread). Multiclass argmax and top_k do not
/// depend on it (softmax keeps the order).
enum class Scores { automatic, probabilities, logits };

/// Binary task: preds and target have the same shape `(N, ...)`; every element is one decision.
/// Floating preds are probabilities or logits, as `scores` says.
struct Binary {
  static constexpr const char* name = "Binary";
  struct Options {
    double threshold = 0.5;
    std::optional<std::int64_t> ignore_index = std::nullopt;
    MultidimAverage multidim_average = MultidimAverage::global;
    double zero_division = 0.0;
    Scores scores = Scores::automatic;
  };
};

/// Multiclass task: integral label maps `(N, ...)` with values in [0, num_classes), or floating
/// per-class scores `(N, C, ...)` reduced by argmax (or the top_k rule) over axis 1.
struct Multiclass {
  static constexpr const char* name = "Multiclass";
  struct Options {
    std::int64_t num_classes = 0;
    std::optional<std::int64_t> ignore_index = std::nullopt;
    Average average = Average::macro;
    MultidimAverage multidim_average = MultidimAverage::global;
    int top_k = 1;
    double zero_division = 0.0;
    Scores scores = Scores::automatic;
  };
};

/// Multilabel task: preds and target `(N, L, ...)`; element `(n, l, ...)` is a binary decision
/// for label l.
struct Multilabel {
  static constexpr const char* name = "Multilabel";
  struct Options {
    std::int64_t num_labels = 0;
    std::optional<std::int64_t> ignore_index = std::nullopt;
    double threshold = 0.5;
    Average average = Average::macro;
    MultidimAverage multidim_average = MultidimAverage::global;
    double zero_division = 0.0;
    Scores scores = Scores::automatic;
  };
};

/// DiceScore's options (`DiceScore::Options`). `num_classes`: C (at least 1; it must be set);
/// `include_background = false` leaves class 0 out; `average` none keeps one value per class;
/// samplewise aggregation averages per-sample scores, global pools the counts.
struct DiceScoreOptions {
  std::int64_t num_classes = 0;
  std::optional<std::int64_t> ignore_index = std::nullopt;
  bool include_background = true;
  Average average = Average::macro;
  AggregationLevel aggregation_level = AggregationLevel::samplewise;
  InputFormat input_format = InputFormat::one_hot;
  double zero_division = 0.0;
};

/// MeanIoU's options (`MeanIoU::Options`). `num_classes = 0` takes C from the channel axis of
/// the first one-hot update (torchmetrics' None; index maps need it set). `average`: macro (the
/// mean IoU) or none (one IoU per class). `aggregation_level`: samplewise (torchmetrics' rule:
/// IoU per sample and class, averaged) or global (IoU of the pooled counts per class, the
/// dataset-level mIoU that Cityscapes and mmsegmentation report).
struct MeanIoUOptions {
  std::int64_t num_classes = 0;
  std::optional<std::int64_t> ignore_index = std::nullopt;
  bool include_background = true;
  Average average = Average::macro;
  AggregationLevel aggregation_level = AggregationLevel::samplewise;
  InputFormat input_format = InputFormat::one_hot;
};

/// GeneralizedDiceScore's options (`GeneralizedDiceScore::Options`). `num_classes = 0` takes C
/// from the channel axis of the first one-hot update. `average`: macro (the generalized score,
/// classes weighted by `weight_type`) or none (per-class Dice). Per-sample scores are averaged
/// over samples.
struct GeneralizedDiceScoreOptions {
  std::int64_t num_classes = 0;
  std::optional<std::int64_t> ignore_index = std::nullopt;
  bool include_background = true;
  Average average = Average::macro;
  DiceWeights weight_type = DiceWeights::square;
  InputFormat input_format = InputFormat::one_hot;
};

namespace detail {

// The one list of fields per options struct, in declaration order: visit(v) calls
// v(name, &Options::member) for each field, with its name as users write it. It drives equality
// (and so merge), the identity that load() checks, and the fmt formatters: a field added to a
// struct and to its list here is compared, saved and printed everywhere. (A function, not a
// std::tuple of member pointers: six tuples of six or seven types cost every translation unit
// that includes tally a sixth of a small program's compile time.)
template <class Options>
struct option_fields;

template <>
struct option_fields<Binary::Options> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = Binary::Options;
    v("threshold", &O::threshold);
    v("ignore_index", &O::ignore_index);
    v("multidim_average", &O::multidim_average);
    v("zero_division", &O::zero_division);
    v("scores", &O::scores);
  }
};
template <>
struct option_fields<Multiclass::Options> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = Multiclass::Options;
    v("num_classes", &O::num_classes);
    v("ignore_index", &O::ignore_index);
    v("average", &O::average);
    v("multidim_average", &O::multidim_average);
    v("top_k", &O::top_k);
    v("zero_division", &O::zero_division);
    v("scores", &O::scores);
  }
};
template <>
struct option_fields<Multilabel::Options> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = Multilabel::Options;
    v("num_labels", &O::num_labels);
    v("ignore_index", &O::ignore_index);
    v("threshold", &O::threshold);
    v("average", &O::average);
    v("multidim_average", &O::multidim_average);
    v("zero_division", &O::zero_division);
    v("scores", &O::scores);
  }
};

// The four fields that open each segmentation options struct, in that order.
template <class O, class V>
constexpr void visit_segmentation_head(V& v) {
  v("num_classes", &O::num_classes);
  v("ignore_index", &O::ignore_index);
  v("include_background", &O::include_background);
  v("average", &O::average);
}
template <>
struct option_fields<DiceScoreOptions> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = DiceScoreOptions;
    visit_segmentation_head<O>(v);
    v("aggregation_level", &O::aggregation_level);
    v("input_format", &O::input_format);
    v("zero_division", &O::zero_division);
  }
};
template <>
struct option_fields<MeanIoUOptions> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = MeanIoUOptions;
    visit_segmentation_head<O>(v);
    v("aggregation_level", &O::aggregation_level);
    v("input_format", &O::input_format);
  }
};
template <>
struct option_fields<GeneralizedDiceScoreOptions> {
  template <class V>
  static constexpr void visit(V&& v) {
    using O = GeneralizedDiceScoreOptions;
    visit_segmentation_head<O>(v);
    v("weight_type", &O::weight_type);
    v("input_format", &O::input_format);
  }
};

// f(name, value) for every field of `o`, in declaration order.
template <class Options, class F>
constexpr void for_each_field(const Options& o, F&& f) {
  option_fields<Options>::visit([&](const char* name, auto member) { f(name, o.*member); });
}

template <class Options>
[[nodiscard]] constexpr bool fields_equal(const Options& a, const Options& b) noexcept {
  bool equal = true;
  option_fields<Options>::visit([&](const char*, auto member) {
    equal = equal && a.*member == b.*member;
  });
  return equal;
}

}  // namespace detail

[[nodiscard]] constexpr const char* to_string(Average a) noexcept {
  switch (a) {
    case Average::micro: return "micro";
    case Average::macro: return "macro";
    case Average::weighted: return "weighted";
    case Average::none: return "none";
  }
  return "<invalid Average>";
}

[[nodiscard]] constexpr const char* to_string(MultidimAverage a) noexcept {
  switch (a) {
    case MultidimAverage::global: return "global";
    case MultidimAverage::samplewise: return "samplewise";
  }
  return "<invalid MultidimAverage>";
}

[[nodiscard]] constexpr const char* to_string(Normalize n) noexcept {
  switch (n) {
    case Normalize::none: return "none";
    case Normalize::target: return "target";
    case Normalize::pred: return "pred";
    case Normalize::all: return "all";
  }
  return "<invalid Normalize>";
}

[[nodiscard]] constexpr const char* to_string(InputFormat f) noexcept {
  switch (f) {
    case InputFormat::index: return "index";
    case InputFormat::one_hot: return "one_hot";
    case InputFormat::mixed: return "mixed";
  }
  return "<invalid InputFormat>";
}

[[nodiscard]] constexpr const char* to_string(Scores s) noexcept {
  switch (s) {
    case Scores::automatic: return "automatic";
    case Scores::probabilities: return "probabilities";
    case Scores::logits: return "logits";
  }
  return "<invalid Scores>";
}

[[nodiscard]] constexpr const char* to_string(AggregationLevel a) noexcept {
  switch (a) {
    case AggregationLevel::global: return "global";
    case AggregationLevel::samplewise: return "samplewise";
  }
  return "<invalid AggregationLevel>";
}

[[nodiscard]] constexpr const char* to_string(DiceWeights w) noexcept {
  switch (w) {
    case DiceWeights::square: return "square";
    case DiceWeights::simple: return "simple";
    case DiceWeights::linear: return "linear";
  }
  return "<invalid DiceWeights>";
}

/// Asks update() to split the counting over a pool of threads:
/// `metric.update(preds, target, tally::parallel{2})`; `threads = 0` uses every hardware thread.
/// Results are identical to a serial update. Batches under ~1M elements run serially (handing
/// work to threads costs more than counting them); the pool's threads start on first use and
/// are reused by every later parallel update.
struct parallel {
  unsigned threads = 0;
};

// Options compare field by field (the lists above); metrics merge only with equal options.
[[nodiscard]] inline bool operator==(const Binary::Options& a, const Binary::Options& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator==(const Multiclass::Options& a,
                                     const Multiclass::Options& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator==(const Multilabel::Options& a,
                                     const Multilabel::Options& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator==(const DiceScoreOptions& a,
                                     const DiceScoreOptions& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator==(const MeanIoUOptions& a, const MeanIoUOptions& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator==(const GeneralizedDiceScoreOptions& a,
                                     const GeneralizedDiceScoreOptions& b) noexcept {
  return detail::fields_equal(a, b);
}
[[nodiscard]] inline bool operator!=(const Binary::Options& a, const Binary::Options& b) noexcept {
  return !(a == b);
}
[[nodiscard]] inline bool operator!=(const Multiclass::Options& a,
                                     const Multiclass::Options& b) noexcept {
  return !(a == b);
}
[[nodiscard]] inline bool operator!=(const Multilabel::Options& a,
                                     const Multilabel::Options& b) noexcept {
  return !(a == b);
}
[[nodiscard]] inline bool operator!=(const DiceScoreOptions& a,
                                     const DiceScoreOptions& b) noexcept {
  return !(a == b);
}
[[nodiscard]] inline bool operator!=(const MeanIoUOptions& a, const MeanIoUOptions& b) noexcept {
  return !(a == b);
}
[[nodiscard]] inline bool operator!=(const GeneralizedDiceScoreOptions& a,
                                     const GeneralizedDiceScoreOptions& b) noexcept {
  return !(a == b);
}

TALLY_NAMESPACE_END

#endif  // TALLY_OPTIONS_HPP
