// tally — classification and segmentation metrics for C++
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

/// Binary task: preds and target have the same shape `(N, ...)`; every element is one decision.
/// Floating preds are probabilities, or logits when any value of an update lies outside [0, 1].
struct Binary {
  static constexpr const char* name = "Binary";
  struct Options {
    double threshold = 0.5;
    std::optional<std::int64_t> ignore_index = std::nullopt;
    MultidimAverage multidim_average = MultidimAverage::global;
    double zero_division = 0.0;
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
  };
};

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

[[nodiscard]] constexpr const char* to_string(AggregationLevel a) noexcept {
  switch (a) {
    case AggregationLevel::global: return "global";
    case AggregationLevel::samplewise: return "samplewise";
  }
  return "<invalid AggregationLevel>";
}

/// Asks update() to split the counting over a pool of threads:
/// `metric.update(preds, target, tally::parallel{2})`; `threads = 0` uses every hardware thread.
/// Results are identical to a serial update. Batches under ~1M elements run serially (handing
/// work to threads costs more than counting them); the pool's threads start on first use and
/// are reused by every later parallel update.
struct parallel {
  unsigned threads = 0;
};

// Options compare field by field; metrics merge only with equal options.
[[nodiscard]] inline bool operator==(const Binary::Options& a, const Binary::Options& b) noexcept {
  return a.threshold == b.threshold && a.ignore_index == b.ignore_index &&
         a.multidim_average == b.multidim_average && a.zero_division == b.zero_division;
}
[[nodiscard]] inline bool operator==(const Multiclass::Options& a,
                                     const Multiclass::Options& b) noexcept {
  return a.num_classes == b.num_classes && a.ignore_index == b.ignore_index &&
         a.average == b.average && a.multidim_average == b.multidim_average && a.top_k == b.top_k &&
         a.zero_division == b.zero_division;
}
[[nodiscard]] inline bool operator==(const Multilabel::Options& a,
                                     const Multilabel::Options& b) noexcept {
  return a.num_labels == b.num_labels && a.ignore_index == b.ignore_index &&
         a.threshold == b.threshold && a.average == b.average &&
         a.multidim_average == b.multidim_average && a.zero_division == b.zero_division;
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

TALLY_NAMESPACE_END

#endif  // TALLY_OPTIONS_HPP
