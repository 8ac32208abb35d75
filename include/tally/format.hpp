// tally/format.hpp — {fmt} formatters for tally's value types and options, and
// classification_report().
// SPDX-License-Identifier: MIT
#ifndef TALLY_FORMAT_HPP
#define TALLY_FORMAT_HPP

// Optional adapter for {fmt} (>= 9): formatters for tally's value types, and an sklearn-style
// classification report. Link tally::fmt (CMake) or fmt itself.
//
//     #include <tally/format.hpp>
//
//     tally::MulticlassStatScores stats(options);    // num_classes = 3, ignore_index = 255
//     stats.update(preds, target);
//     fmt::print("{}\n", stats.options());            // {num_classes=3, ignore_index=255, ...}
//     fmt::print("{:.4f}\n", f1_per_class.compute()); // [0.7273, 0.5714, 0.0000]
//     fmt::print("{}", tally::classification_report(stats, {"road", "car", "sky"}));
//
//                   precision    recall  f1-score       iou   support
//
//             road     0.6667    0.8000    0.7273    0.5714         5
//              car     0.5000    0.6667    0.5714    0.4000         3
//              sky     0.0000    0.0000    0.0000    0.0000         2
//
//         accuracy                         0.6000                  10
//        macro avg     0.3889    0.4889    0.4329    0.3238        10
//     weighted avg     0.4833    0.6000    0.5351    0.4057        10
//
// What is formatted:
// - tally::Result: the format spec applies to every number ("{:.3f}", "{:>8.2e}", ...); a
//   scalar prints as one number, higher ranks as nested brackets, like Result's operator<<:
//   `[[1.000, 0.500], [nan, 0.250]]`. Undefined values print as fmt prints NaN: `nan`.
// - tally::Shape: `(2, 3)`, as its operator<<.
// - The enums Average, MultidimAverage, Normalize, InputFormat and AggregationLevel: their
//   enumerator names, the same text as tally::to_string (`macro`, `samplewise`, `one_hot`).
//   These are torchmetrics' spellings except two that follow the C++ name: torchmetrics writes
//   Normalize::target as "true" and InputFormat::one_hot as "one-hot". String specs work:
//   "{:>10}".
// - The option structs Binary::Options, Multiclass::Options, Multilabel::Options and
//   DiceScore::Options: every field, in declaration order (the designated-initializer order),
//   `{num_classes=19, ignore_index=255, average=macro, multidim_average=global, top_k=1,
//   zero_division=0}`; an unset ignore_index prints `none`. They take no format spec.

#if !defined(__has_include)
#error "tally/format.hpp needs a compiler with __has_include (C++17) to find {fmt}"
#elif !__has_include(<fmt/format.h>)
#error "tally/format.hpp needs {fmt} >= 9 (https://fmt.dev): install libfmt-dev, link tally::fmt"
#endif

#include <fmt/format.h>

#if !defined(FMT_VERSION) || FMT_VERSION < 90000
#error "tally/format.hpp needs {fmt} >= 9; an older fmt was found first on the include path"
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "agreement.hpp"
#include "error.hpp"
#include "options.hpp"
#include "detail/reduce.hpp"
#include "result.hpp"
#include "segmentation.hpp"
#include "stat_scores.hpp"
#include "tensor_view.hpp"

TALLY_NAMESPACE_BEGIN

namespace detail {

// Base of the formatters that accept no spec: "{}" only.
struct fmt_no_spec {
  template <class ParseContext>
  constexpr auto parse(ParseContext& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it != '}')
      throw fmt::format_error("tally: this type takes no format spec; write {}");
    return it;
  }
};

// Base of the enum formatters: the enumerator name, with any string spec ("{:>10}").
template <class Enum>
struct fmt_enum : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(Enum e, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(to_string(e)), ctx);
  }
};

// One option value as the formatters print it: an unset ignore_index is `none`.
template <class Out>
Out fmt_option_value(Out out, const std::optional<std::int64_t>& v) {
  return v ? fmt::format_to(out, "{}", *v) : fmt::format_to(out, "none");
}
template <class Out, class V>
Out fmt_option_value(Out out, const V& v) {
  return fmt::format_to(out, "{}", v);
}

// Base of the options formatters: `{name=value, ...}`, every field of the struct's one list
// (options.hpp), in declaration order.
struct fmt_options : fmt_no_spec {
  template <class Options, class FormatContext>
  auto format(const Options& o, FormatContext& ctx) const -> decltype(ctx.out()) {
    auto out = ctx.out();
    const char* sep = "{";
    for_each_field(o, [&](const char* name, const auto& v) {
      out = fmt::format_to(out, "{}{}=", sep, name);
      out = fmt_option_value(out, v);
      sep = ", ";
    });
    return fmt::format_to(out, "}}");
  }
};

// One row of classification_report: precision, recall, f1-score, iou, and support.
struct report_row {
  double values[4];
  std::uint64_t support;
};

}  // namespace detail

/// An sklearn-style classification report (sklearn's columns plus IoU) from a multiclass
/// StatScores accumulator:
///
///     tally::MulticlassStatScores stats(options);   // e.g. num_classes = 3, ignore_index = 255
///     stats.update(preds, target);
///     std::cout << tally::classification_report(stats, {"road", "car", "sky"}, 4);
///
/// prints (see the top of this header for a full example)
///
///                   precision    recall  f1-score       iou   support
///
///             road     0.6667    0.8000    0.7273    0.5714         5
///     ...
///         accuracy                         0.6000                  10
///        macro avg     0.3889    0.4889    0.4329    0.3238        10
///     weighted avg     0.4833    0.6000    0.5351    0.4057        10
///
/// Rows: one per class, labelled by `class_names` (one per class) or by the class index when
/// `class_names` is empty. Values: precision tp/(tp+fp), recall tp/(tp+fn), f1-score
/// 2tp/(2tp+fp+fn), iou tp/(tp+fp+fn) and support tp+fn, from `m.counts()`, so positions whose
/// target is ignore_index are not in any of them. An undefined per-class value (0/0) shows the
/// metric's zero_division. The metric's `average` is not used: the report shows every class
/// and all averages.
///
/// - `accuracy`: correct / kept positions (micro accuracy; 0 when nothing was counted), shown
///   only in the f1-score column as sklearn does, with the total support.
/// - `macro avg`: the mean over classes with the rule of tally's (and torchmetrics') macro
///   average, so each column equals the matching metric with Average::macro: a class absent
///   from both preds and target (tp + fp + fn = 0) is shown, with zero_division values and
///   support 0, but left out of the mean. With top_k > 1, precision and recall leave out the
///   classes without support instead (docs/semantics.md 5.2). The iou column also leaves out an
///   in-range ignore_index class, as JaccardIndex does. When every class is left out, precision,
///   recall and f1-score show 0 and iou shows nan.
/// - `weighted avg`: weighted by support; with no support at all, 0 (iou: nan).
/// - The support of the three summary rows is the total support (the kept positions).
///
/// With multidim_average = samplewise, the per-sample counts are summed first: the report is
/// the one the same data would give in global mode. With top_k > 1 a top-k hit is a tp (and
/// JaccardIndex itself has no top_k; the iou column then uses the same counts).
///
/// The first column is as wide as the longest class name, and at least as wide as
/// "weighted avg"; the value columns widen for large `digits`, the support column for large
/// supports. Names are printed as given (right-aligned, like sklearn's). Throws tally::error
/// when `class_names` is not empty and its size differs from num_classes, or when `digits` is
/// outside [0, 15].
[[nodiscard]] inline std::string classification_report(
    const MulticlassStatScores& m, const std::vector<std::string>& class_names = {},
    int digits = 4) {
  const Multiclass::Options& o = m.options();
  const std::size_t C = static_cast<std::size_t>(o.num_classes);
  if (!class_names.empty() && class_names.size() != C)
    detail::fail("classification_report: class_names has ", class_names.size(),
                 " names but the metric has num_classes = ", C,
                 "; pass one name per class, or none to label rows by class index");
  if (digits < 0 || digits > 15)
    detail::fail("classification_report: digits ", digits, " is outside [0, 15]");

  // Per class [[tn, fp], [fn, tp]]; samplewise mode has one such (C, 2, 2) block per sample.
  const tensor_view<const std::uint64_t> counts = m.counts();
  std::vector<std::uint64_t> blocks(C * detail::BLOCK, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) blocks[i % (C * detail::BLOCK)] += counts[i];

  // Each column is the metric's own reduction (detail/reduce.hpp) over the summed counts, so
  // the values and the macro and weighted rules agree with the metrics exactly.
  std::optional<std::size_t> ii_class;
  if (o.ignore_index && *o.ignore_index >= 0 && *o.ignore_index < o.num_classes)
    ii_class = static_cast<std::size_t>(*o.ignore_index);
  const detail::score_spec columns[4] = {{detail::score_kind::precision},
                                         {detail::score_kind::recall},
                                         {detail::score_kind::fbeta, 1.0},
                                         {detail::score_kind::jaccard}};
  std::vector<detail::report_row> rows(C);
  detail::report_row macro{}, weighted{};
  for (int k = 0; k < 4; ++k) {
    detail::reduce_context ctx{columns[k],      detail::task_kind::multiclass, Average::none,
                               o.zero_division, o.top_k,                       ii_class};
    std::vector<double> v;
    v.reserve(C + 2);
    detail::reduce_unit(ctx, blocks.data(), C, v);
    ctx.average = Average::macro;
    detail::reduce_unit(ctx, blocks.data(), C, v);
    ctx.average = Average::weighted;
    detail::reduce_unit(ctx, blocks.data(), C, v);
    for (std::size_t c = 0; c < C; ++c) rows[c].values[k] = v[c];
    macro.values[k] = v[C];
    weighted.values[k] = v[C + 1];
  }
  std::uint64_t total = 0, correct = 0;
  for (std::size_t c = 0; c < C; ++c) {
    const std::uint64_t* b = blocks.data() + c * detail::BLOCK;
    rows[c].support = b[detail::TP] + b[detail::FN];
    total += rows[c].support;
    correct += b[detail::TP];
  }
  macro.support = weighted.support = total;
  const double accuracy =
      detail::ratio(static_cast<double>(correct), static_cast<double>(total), 0.0);

  // Layout as sklearn's: right-aligned names, a blank line after the header and after the
  // classes, each value column one space plus a right-aligned field.
  std::vector<std::string> names(C);
  std::size_t name_width = std::string("weighted avg").size();
  for (std::size_t c = 0; c < C; ++c) {
    names[c] = class_names.empty() ? std::to_string(c) : class_names[c];
    name_width = std::max(name_width, names[c].size());
  }
  const std::size_t value_width = std::max<std::size_t>(9, static_cast<std::size_t>(digits) + 2);
  const std::size_t support_width = std::max<std::size_t>(9, std::to_string(total).size());

  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  auto row = [&](const std::string& name, const detail::report_row& r) {
    fmt::format_to(out, "{:>{}} ", name, name_width);
    for (double v : r.values) fmt::format_to(out, " {:>{}.{}f}", v, value_width, digits);
    fmt::format_to(out, " {:>{}}\n", r.support, support_width);
  };
  fmt::format_to(out, "{:>{}} ", "", name_width);
  for (const char* h : {"precision", "recall", "f1-score", "iou"})
    fmt::format_to(out, " {:>{}}", h, value_width);
  fmt::format_to(out, " {:>{}}\n\n", "support", support_width);
  for (std::size_t c = 0; c < C; ++c) row(names[c], rows[c]);
  fmt::format_to(out, "\n{:>{}} ", "accuracy", name_width);
  fmt::format_to(out, " {:>{}} {:>{}} {:>{}.{}f} {:>{}} {:>{}}\n", "", value_width, "", value_width,
                 accuracy, value_width, digits, "", value_width, total, support_width);
  row("macro avg", macro);
  row("weighted avg", weighted);
  return fmt::to_string(buf);
}

TALLY_NAMESPACE_END

namespace fmt {

/// `fmt::format("{:.4f}", result)`: the spec applies to each number; nested brackets by rank.
template <>
struct formatter<tally::Result> {
  template <class ParseContext>
  constexpr auto parse(ParseContext& ctx) -> decltype(ctx.begin()) {
    return number_.parse(ctx);
  }

  template <class FormatContext>
  auto format(const tally::Result& r, FormatContext& ctx) const -> decltype(ctx.out()) {
    if (r.shape().rank() == 0) return number_.format(r.size() == 0 ? 0.0 : r[0], ctx);
    std::size_t i = 0;
    return print(r, 0, i, ctx);
  }

 private:
  template <class FormatContext>
  auto print(const tally::Result& r, std::size_t axis, std::size_t& i, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    auto out = ctx.out();
    *out++ = '[';
    for (std::size_t k = 0; k < r.shape()[axis]; ++k) {
      if (k) {
        *out++ = ',';
        *out++ = ' ';
      }
      ctx.advance_to(out);
      out = axis + 1 == r.shape().rank() ? number_.format(r[i++], ctx) : print(r, axis + 1, i, ctx);
    }
    *out++ = ']';
    return out;
  }

  formatter<double> number_;
};

/// `(2, 3)`, as Shape's operator<<.
template <>
struct formatter<tally::Shape> : tally::detail::fmt_no_spec {
  template <class FormatContext>
  auto format(const tally::Shape& s, FormatContext& ctx) const -> decltype(ctx.out()) {
    auto out = ctx.out();
    *out++ = '(';
    for (std::size_t i = 0; i < s.rank(); ++i) {
      if (i) out = fmt::format_to(out, ", ");
      out = fmt::format_to(out, "{}", s[i]);
    }
    *out++ = ')';
    return out;
  }
};

template <>
struct formatter<tally::Average> : tally::detail::fmt_enum<tally::Average> {};
template <>
struct formatter<tally::MultidimAverage> : tally::detail::fmt_enum<tally::MultidimAverage> {};
template <>
struct formatter<tally::Normalize> : tally::detail::fmt_enum<tally::Normalize> {};
template <>
struct formatter<tally::InputFormat> : tally::detail::fmt_enum<tally::InputFormat> {};
template <>
struct formatter<tally::AggregationLevel> : tally::detail::fmt_enum<tally::AggregationLevel> {};

template <>
struct formatter<tally::Scores> : tally::detail::fmt_enum<tally::Scores> {};
template <>
struct formatter<tally::KappaWeights> : tally::detail::fmt_enum<tally::KappaWeights> {};

template <>
struct formatter<tally::Binary::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::Multiclass::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::Multilabel::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::DiceScoreOptions> : tally::detail::fmt_options {};

}  // namespace fmt

#endif  // TALLY_FORMAT_HPP
