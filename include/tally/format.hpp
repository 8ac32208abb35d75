// tally/format.hpp — {fmt} formatters for tally's value types and options,
// classification_report() (text, Markdown, CSV, JSON) and confusion_matrix_report().
// SPDX-License-Identifier: MIT
#ifndef TALLY_FORMAT_HPP
#define TALLY_FORMAT_HPP

// Optional adapter for {fmt} (>= 9): formatters for tally's value types, an sklearn-style
// classification report as text, Markdown, CSV or JSON, and a confusion matrix table with class
// names. Link tally::fmt (CMake) or fmt itself.
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
// - The enums Average, MultidimAverage, Normalize, InputFormat, AggregationLevel, Scores,
//   KappaWeights and DiceWeights: their enumerator names, the same text as tally::to_string
//   (`macro`, `samplewise`, `one_hot`).
//   These are torchmetrics' spellings except two that follow the C++ name: torchmetrics writes
//   Normalize::target as "true" and InputFormat::one_hot as "one-hot". String specs work:
//   "{:>10}".
// - CalibrationNorm: `l1`, `l2`, `max`. Thresholds: `exact`, `linspace(100)`,
//   `values(0.1, 0.5)`, the text of a metric's identity.
// - RocCurve and PrCurve: `{fpr=[0, 0.5, 1], tpr=[...], thresholds=[...]}`; the format spec
//   applies to every number, as for Result.
// - The option structs Binary::Options, Multiclass::Options, Multilabel::Options,
//   DiceScore::Options, MeanIoU::Options and GeneralizedDiceScore::Options: every field, in declaration order (the designated-initializer order),
//   `{num_classes=19, ignore_index=255, average=macro, multidim_average=global, top_k=1,
//   zero_division=0, scores=automatic}`; an unset ignore_index prints `none`. They take no format
//   spec.
// - classification_report(stats, names, digits, ReportFormat) and confusion_matrix_report(cm,
//   names, digits): see their comments below.

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
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "agreement.hpp"
#include "calibration.hpp"
#include "confusion_matrix.hpp"
#include "error.hpp"
#include "options.hpp"
#include "ranking.hpp"
#include "detail/reduce.hpp"
#include "result.hpp"
#include "segmentation.hpp"
#include "stat_scores.hpp"
#include "tensor_view.hpp"
#include "thresholds.hpp"

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

// What classification_report shows, before it is laid out as text, Markdown, CSV or JSON.
struct report_table {
  std::vector<std::string> names;  // one per class
  std::vector<report_row> rows;    // one per class
  double accuracy;
  report_row macro, weighted;  // support: the total
  std::uint64_t total;
};

inline constexpr const char* report_columns[4] = {"precision", "recall", "f1-score", "iou"};

inline report_table make_report_table(const MulticlassStatScores& m,
                                      const std::vector<std::string>& class_names) {
  const Multiclass::Options& o = m.options();
  const std::size_t C = static_cast<std::size_t>(o.num_classes);
  if (!class_names.empty() && class_names.size() != C)
    fail("classification_report: class_names has ", class_names.size(),
         " names but the metric has num_classes = ", C,
         "; pass one name per class, or none to label rows by class index");

  // Per class [[tn, fp], [fn, tp]]; samplewise mode has one such (C, 2, 2) block per sample.
  const tensor_view<const std::uint64_t> counts = m.counts();
  std::vector<std::uint64_t> blocks(C * BLOCK, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) blocks[i % (C * BLOCK)] += counts[i];

  // Each column is the metric's own reduction (detail/reduce.hpp) over the summed counts, so
  // the values and the macro and weighted rules agree with the metrics exactly.
  std::optional<std::size_t> ii_class;
  if (o.ignore_index && *o.ignore_index >= 0 && *o.ignore_index < o.num_classes)
    ii_class = static_cast<std::size_t>(*o.ignore_index);
  const score_spec columns[4] = {
      {score_kind::precision}, {score_kind::recall}, {score_kind::fbeta, 1.0}, {score_kind::jaccard}};
  report_table t{};
  t.rows.resize(C);
  for (int k = 0; k < 4; ++k) {
    reduce_context ctx{columns[k], task_kind::multiclass, Average::none, o.zero_division, o.top_k,
                       ii_class};
    std::vector<double> v;
    v.reserve(C + 2);
    reduce_unit(ctx, blocks.data(), C, v);
    ctx.average = Average::macro;
    reduce_unit(ctx, blocks.data(), C, v);
    ctx.average = Average::weighted;
    reduce_unit(ctx, blocks.data(), C, v);
    for (std::size_t c = 0; c < C; ++c) t.rows[c].values[k] = v[c];
    t.macro.values[k] = v[C];
    t.weighted.values[k] = v[C + 1];
  }
  std::uint64_t correct = 0;
  for (std::size_t c = 0; c < C; ++c) {
    const std::uint64_t* b = blocks.data() + c * BLOCK;
    t.rows[c].support = b[TP] + b[FN];
    t.total += t.rows[c].support;
    correct += b[TP];
  }
  t.macro.support = t.weighted.support = t.total;
  t.accuracy = ratio(static_cast<double>(correct), static_cast<double>(t.total), 0.0);
  t.names.resize(C);
  for (std::size_t c = 0; c < C; ++c)
    t.names[c] = class_names.empty() ? std::to_string(c) : class_names[c];
  return t;
}

// sklearn's layout: right-aligned names, a blank line after the header and after the classes,
// each value column one space plus a right-aligned field.
inline std::string report_text(const report_table& t, int digits) {
  std::size_t name_width = std::string("weighted avg").size();
  for (const std::string& n : t.names) name_width = std::max(name_width, n.size());
  const std::size_t value_width = std::max<std::size_t>(9, static_cast<std::size_t>(digits) + 2);
  const std::size_t support_width = std::max<std::size_t>(9, std::to_string(t.total).size());

  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  auto row = [&](const std::string& name, const report_row& r) {
    fmt::format_to(out, "{:>{}} ", name, name_width);
    for (double v : r.values) fmt::format_to(out, " {:>{}.{}f}", v, value_width, digits);
    fmt::format_to(out, " {:>{}}\n", r.support, support_width);
  };
  fmt::format_to(out, "{:>{}} ", "", name_width);
  for (const char* h : report_columns) fmt::format_to(out, " {:>{}}", h, value_width);
  fmt::format_to(out, " {:>{}}\n\n", "support", support_width);
  for (std::size_t c = 0; c < t.rows.size(); ++c) row(t.names[c], t.rows[c]);
  fmt::format_to(out, "\n{:>{}} ", "accuracy", name_width);
  fmt::format_to(out, " {:>{}} {:>{}} {:>{}.{}f} {:>{}} {:>{}}\n", "", value_width, "", value_width,
                 t.accuracy, value_width, digits, "", value_width, t.total, support_width);
  row("macro avg", t.macro);
  row("weighted avg", t.weighted);
  return fmt::to_string(buf);
}

// A GitHub-flavoured Markdown table; a `|` in a class name is escaped.
inline std::string report_markdown(const report_table& t, int digits) {
  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  auto cell = [&](const std::string& name) {
    *out++ = '|';
    *out++ = ' ';
    for (char ch : name) {
      if (ch == '|') *out++ = '\\';
      *out++ = ch == '\n' ? ' ' : ch;
    }
    *out++ = ' ';
  };
  auto row = [&](const std::string& name, const report_row& r) {
    cell(name);
    for (double v : r.values) fmt::format_to(out, "| {:.{}f} ", v, digits);
    fmt::format_to(out, "| {} |\n", r.support);
  };
  fmt::format_to(out, "| class | precision | recall | f1-score | iou | support |\n");
  fmt::format_to(out, "|---|---:|---:|---:|---:|---:|\n");
  for (std::size_t c = 0; c < t.rows.size(); ++c) row(t.names[c], t.rows[c]);
  fmt::format_to(out, "| accuracy | | | {:.{}f} | | {} |\n", t.accuracy, digits, t.total);
  row("macro avg", t.macro);
  row("weighted avg", t.weighted);
  return fmt::to_string(buf);
}

// RFC 4180 CSV: a header row, one row per class and the three summary rows; every number in
// its shortest round-trip form, an undefined (NaN) value as an empty field.
inline std::string report_csv(const report_table& t) {
  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  auto field = [&](const std::string& name) {
    if (name.find_first_of(",\"\r\n") == std::string::npos) {
      fmt::format_to(out, "{}", name);
      return;
    }
    *out++ = '"';
    for (char ch : name) {
      if (ch == '"') *out++ = '"';
      *out++ = ch;
    }
    *out++ = '"';
  };
  auto number = [&](double v) {
    *out++ = ',';
    if (!std::isnan(v)) fmt::format_to(out, "{}", v);
  };
  auto row = [&](const std::string& name, const report_row& r) {
    field(name);
    for (double v : r.values) number(v);
    fmt::format_to(out, ",{}\r\n", r.support);
  };
  fmt::format_to(out, "class,precision,recall,f1-score,iou,support\r\n");
  for (std::size_t c = 0; c < t.rows.size(); ++c) row(t.names[c], t.rows[c]);
  fmt::format_to(out, "accuracy,,,{},,{}\r\n", t.accuracy, t.total);
  row("macro avg", t.macro);
  row("weighted avg", t.weighted);
  return fmt::to_string(buf);
}

// JSON shaped as scikit-learn's classification_report(output_dict=True), plus iou: one object
// per class keyed by its name, then "accuracy", "macro avg" and "weighted avg". Numbers are in
// their shortest round-trip form, NaN is null, names are escaped as JSON strings.
inline std::string report_json(const report_table& t) {
  for (std::size_t c = 0; c < t.names.size(); ++c) {
    const std::string& n = t.names[c];
    if (n == "accuracy" || n == "macro avg" || n == "weighted avg")
      fail("classification_report: class name \"", n, "\" (class ", c,
           ") is a key of the report's summary rows; rename it for ReportFormat::json");
    for (std::size_t d = 0; d < c; ++d)
      if (t.names[d] == n)
        fail("classification_report: classes ", d, " and ", c, " are both named \"", n,
             "\"; JSON keys must differ");
  }
  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  auto string = [&](const std::string& s) {
    *out++ = '"';
    for (char ch : s) {
      const auto u = static_cast<unsigned char>(ch);
      if (ch == '"' || ch == '\\') {
        *out++ = '\\';
        *out++ = ch;
      } else if (u < 0x20) {
        fmt::format_to(out, "\\u{:04x}", static_cast<unsigned>(u));
      } else {
        *out++ = ch;
      }
    }
    *out++ = '"';
  };
  auto number = [&](double v) {
    if (std::isnan(v))
      fmt::format_to(out, "null");
    else
      fmt::format_to(out, "{}", v);
  };
  auto object = [&](const std::string& name, const report_row& r) {
    string(name);
    fmt::format_to(out, ": {{");
    for (int k = 0; k < 4; ++k) {
      fmt::format_to(out, "\"{}\": ", report_columns[k]);
      number(r.values[k]);
      fmt::format_to(out, ", ");
    }
    fmt::format_to(out, "\"support\": {}}}", r.support);
  };
  *out++ = '{';
  for (std::size_t c = 0; c < t.rows.size(); ++c) {
    fmt::format_to(out, "\n  ");
    object(t.names[c], t.rows[c]);
    *out++ = ',';
  }
  fmt::format_to(out, "\n  \"accuracy\": ");
  number(t.accuracy);
  fmt::format_to(out, ",\n  ");
  object("macro avg", t.macro);
  fmt::format_to(out, ",\n  ");
  object("weighted avg", t.weighted);
  fmt::format_to(out, "\n}}\n");
  return fmt::to_string(buf);
}

}  // namespace detail

/// How classification_report lays out its table.
enum class ReportFormat {
  text,      ///< scikit-learn's aligned text (the default)
  markdown,  ///< a Markdown table, `digits` decimals
  csv,       ///< RFC 4180 CSV, full precision: for spreadsheets and dataframes
  json       ///< scikit-learn's output_dict shape as JSON, full precision: for logs and dashboards
};

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
/// `format` chooses the layout of the same numbers:
/// - `text`: the first column is as wide as the longest class name, and at least as wide as
///   "weighted avg"; the value columns widen for large `digits`, the support column for large
///   supports. Names are printed as given (right-aligned, like sklearn's).
/// - `markdown`: `| class | precision | recall | f1-score | iou | support |`, `digits` decimals,
///   `|` in names escaped.
/// - `csv`: header `class,precision,recall,f1-score,iou,support`, CRLF line ends (RFC 4180),
///   names quoted when they hold a comma, quote or line break; the accuracy row fills only the
///   f1-score and support fields. Numbers in shortest round-trip form (`digits` is not used),
///   nan as an empty field.
/// - `json`: `{"road": {"precision": ..., "recall": ..., "f1-score": ..., "iou": ...,
///   "support": 5}, ..., "accuracy": 0.6, "macro avg": {...}, "weighted avg": {...}}`, the
///   shape of scikit-learn's `output_dict=True`; shortest round-trip numbers, nan as null.
///   Class names must differ from each other and from the three summary keys.
///
/// Throws tally::error when `class_names` is not empty and its size differs from num_classes,
/// when `digits` is outside [0, 15], or for the JSON name rule above.
[[nodiscard]] inline std::string classification_report(
    const MulticlassStatScores& m, const std::vector<std::string>& class_names = {},
    int digits = 4, ReportFormat format = ReportFormat::text) {
  if (digits < 0 || digits > 15)
    detail::fail("classification_report: digits ", digits, " is outside [0, 15]");
  if (static_cast<unsigned>(format) > static_cast<unsigned>(ReportFormat::json))
    detail::fail("classification_report: format ", static_cast<int>(format),
                 " is not a ReportFormat (text, markdown, csv or json)");
  const detail::report_table t = detail::make_report_table(m, class_names);
  switch (format) {
    case ReportFormat::markdown:
      return detail::report_markdown(t, digits);
    case ReportFormat::csv:
      return detail::report_csv(t);
    case ReportFormat::json:
      return detail::report_json(t);
    case ReportFormat::text:
      break;
  }
  return detail::report_text(t, digits);
}

/// A confusion matrix as a text table with the class names on both axes: rows are the true
/// class (target), columns the prediction, as in compute().
///
///     fmt::print("{}", tally::confusion_matrix_report(cm, {"road", "car", "sky"}));
///
///     true \ pred  road  car  sky
///            road     4    1    0
///             car     1    2    0
///             sky     0    1    1
///
/// Counts print as integers; with a `normalize` other than none the values of compute() print
/// with `digits` decimals. Binary matrices are labelled 0 and 1 unless named. Throws
/// tally::error when `class_names` is not empty and its size differs from the number of
/// classes, or when `digits` is outside [0, 15].
template <class Task>
[[nodiscard]] std::string confusion_matrix_report(const ConfusionMatrix<Task>& cm,
                                                  const std::vector<std::string>& class_names = {},
                                                  int digits = 4) {
  static_assert(!std::is_same_v<Task, Multilabel>,
                "confusion_matrix_report takes a Binary or Multiclass ConfusionMatrix; a "
                "multilabel one is L separate 2 x 2 tables");
  if (digits < 0 || digits > 15)
    detail::fail("confusion_matrix_report: digits ", digits, " is outside [0, 15]");
  const Result r = cm.compute();
  const std::size_t C = r.shape()[0];
  if (!class_names.empty() && class_names.size() != C)
    detail::fail("confusion_matrix_report: class_names has ", class_names.size(),
                 " names but the matrix has ", C,
                 " classes; pass one name per class, or none to label by class index");
  std::vector<std::string> names(C), cells(C * C);
  const bool counts = cm.normalize() == Normalize::none;
  std::string corner = "true \\ pred";
  std::size_t name_width = corner.size(), width = 1;
  for (std::size_t i = 0; i < C; ++i) {
    names[i] = class_names.empty() ? std::to_string(i) : class_names[i];
    name_width = std::max(name_width, names[i].size());
    width = std::max(width, names[i].size());
  }
  for (std::size_t i = 0; i < C * C; ++i) {
    cells[i] = counts ? fmt::format("{}", static_cast<std::uint64_t>(r[i]))
                      : fmt::format("{:.{}f}", r[i], digits);
    width = std::max(width, cells[i].size());
  }
  fmt::memory_buffer buf;
  auto out = std::back_inserter(buf);
  fmt::format_to(out, "{:>{}}", corner, name_width);
  for (std::size_t j = 0; j < C; ++j) fmt::format_to(out, "  {:>{}}", names[j], width);
  *out++ = '\n';
  for (std::size_t i = 0; i < C; ++i) {
    fmt::format_to(out, "{:>{}}", names[i], name_width);
    for (std::size_t j = 0; j < C; ++j) fmt::format_to(out, "  {:>{}}", cells[i * C + j], width);
    *out++ = '\n';
  }
  return fmt::to_string(buf);
}

namespace detail {

/// `{fpr=[...], tpr=[...], thresholds=[...]}` and `{precision=[...], recall=[...],
/// thresholds=[...]}`: the spec applies to every number.
template <class Curve>
struct fmt_curve {
  template <class ParseContext>
  constexpr auto parse(ParseContext& ctx) -> decltype(ctx.begin()) {
    return number_.parse(ctx);
  }
  template <class FormatContext>
  auto format(const Curve& c, FormatContext& ctx) const -> decltype(ctx.out()) {
    const char* names[3];
    const std::vector<double>* parts[3];
    if constexpr (std::is_same_v<Curve, tally::RocCurve>) {
      names[0] = "fpr", names[1] = "tpr", parts[0] = &c.fpr, parts[1] = &c.tpr;
    } else {
      names[0] = "precision", names[1] = "recall", parts[0] = &c.precision, parts[1] = &c.recall;
    }
    names[2] = "thresholds", parts[2] = &c.thresholds;
    auto out = ctx.out();
    *out++ = '{';
    for (int k = 0; k < 3; ++k) {
      out = fmt::format_to(out, "{}{}=[", k ? ", " : "", names[k]);
      for (std::size_t i = 0; i < parts[k]->size(); ++i) {
        if (i) out = fmt::format_to(out, ", ");
        ctx.advance_to(out);
        out = number_.format((*parts[k])[i], ctx);
      }
      *out++ = ']';
    }
    *out++ = '}';
    return out;
  }

 private:
  fmt::formatter<double> number_;
};
}  // namespace detail

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
struct formatter<tally::DiceWeights> : tally::detail::fmt_enum<tally::DiceWeights> {};

template <>
struct formatter<tally::CalibrationNorm> : tally::detail::fmt_enum<tally::CalibrationNorm> {};

/// `linspace(100)`, as in a ranking metric's identity().
template <>
struct formatter<tally::Thresholds> : formatter<string_view> {
  template <class FormatContext>
  auto format(const tally::Thresholds& t, FormatContext& ctx) const -> decltype(ctx.out()) {
    const std::string text = tally::detail::describe(t);
    return formatter<string_view>::format(string_view(text), ctx);
  }
};

template <>
struct formatter<tally::RocCurve> : tally::detail::fmt_curve<tally::RocCurve> {};
template <>
struct formatter<tally::PrCurve> : tally::detail::fmt_curve<tally::PrCurve> {};

template <>
struct formatter<tally::Binary::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::Multiclass::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::Multilabel::Options> : tally::detail::fmt_options {};
template <>
struct formatter<tally::DiceScoreOptions> : tally::detail::fmt_options {};
template <>
struct formatter<tally::MeanIoUOptions> : tally::detail::fmt_options {};
template <>
struct formatter<tally::GeneralizedDiceScoreOptions> : tally::detail::fmt_options {};

}  // namespace fmt

#endif  // TALLY_FORMAT_HPP
