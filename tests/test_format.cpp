// <tally/format.hpp>: fmt formatters for Result, Shape, the enums and the option structs,
// classification_report() as text, Markdown, CSV and JSON, and confusion_matrix_report().
// Expected report text is written out in full; its numbers are fractions computed by hand from the
// per-class counts given in the comments, and its spacing is sklearn's layout ("{:>W} " then
// " {:>9}" per column) with the iou column added.
//
// Compiled only where fmt is usable: its headers are found, and fmt is linked (tests/CMakeLists.txt
// defines TALLY_TESTS_WITH_FMT when it links tally::fmt; fmt's own targets define FMT_SHARED or
// FMT_HEADER_ONLY). A found header alone is not enough: fmt::format needs libfmt at link time.
#if defined(__has_include)
#if __has_include(<fmt/format.h>) && \
    (defined(TALLY_TESTS_WITH_FMT) || defined(FMT_SHARED) || defined(FMT_HEADER_ONLY))

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>
#include <tally/format.hpp>
#include <tally/tally.hpp>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::MultidimAverage;
using tally::Result;
using tally::Shape;

// The report case: 3 classes, ignore_index 255, 12 labels of which 10 are kept.
//
//   index   0  1  2  3  4  5  6  7  8    9   10  11
//   target  0  0  0  0  1  1  1  2  2  255  255   0
//   preds   0  0  1  0  1  1  0  0  1    2  255   0
//
// Kept (target, pred): (0,0) x4 [0,1,3,11], (0,1) [2], (1,1) x2 [4,5], (1,0) [6], (2,0) [7],
// (2,1) [8]. The class-2 prediction at index 9 sits on a void pixel and is not counted, so class
// 2 has no prediction at all.
//   class 0: tp 4, fp 2 (6, 7), fn 1 (2)   support 5
//   class 1: tp 2, fp 2 (2, 8), fn 1 (6)   support 3
//   class 2: tp 0, fp 0,        fn 2       support 2
//   correct 6 of 10 kept -> accuracy 0.6
const std::vector<int> fm_target = {0, 0, 0, 0, 1, 1, 1, 2, 2, 255, 255, 0};
const std::vector<int> fm_preds = {0, 0, 1, 0, 1, 1, 0, 0, 1, 2, 255, 0};

tally::Multiclass::Options fm_opts(std::int64_t classes, std::optional<std::int64_t> ii = 255,
                                   double zd = 0.0) {
  tally::Multiclass::Options o;
  o.num_classes = classes;
  o.ignore_index = ii;
  o.zero_division = zd;
  return o;
}

tally::MulticlassStatScores fm_report_case(std::int64_t classes = 3, double zd = 0.0) {
  tally::MulticlassStatScores s(fm_opts(classes, 255, zd));
  s.update(fm_preds, fm_target);
  return s;
}

// Per class (P = tp/(tp+fp), R = tp/(tp+fn), F1 = 2tp/(2tp+fp+fn), IoU = tp/(tp+fp+fn)):
//   class 0: P 4/6 = .6667  R 4/5 = .8   F1 8/11 = .7273  IoU 4/7 = .5714
//   class 1: P 2/4 = .5     R 2/3 = .6667 F1 4/7 = .5714  IoU 2/5 = .4
//   class 2: P 0/0 -> zd 0  R 0/2 = 0    F1 0/2 = 0       IoU 0/2 = 0
// macro (all three classes occur): P (2/3 + 1/2 + 0)/3 = 7/18 = .38889; R (4/5 + 2/3)/3 =
//   22/45 = .48889; F1 (8/11 + 4/7)/3 = 100/231 = .43290; IoU (4/7 + 2/5)/3 = 34/105 = .32381
// weighted (supports 5, 3, 2 of 10): P (5*2/3 + 3*1/2)/10 = 29/60 = .48333; R (4 + 2)/10 = .6;
//   F1 (5*8/11 + 3*4/7)/10 = 412/770 = .53506; IoU (5*4/7 + 3*2/5)/10 = 142/350 = .40571
const std::string fm_expected_report =
    "              precision    recall  f1-score       iou   support\n"
    "\n"
    "        road     0.6667    0.8000    0.7273    0.5714         5\n"
    "         car     0.5000    0.6667    0.5714    0.4000         3\n"
    "         sky     0.0000    0.0000    0.0000    0.0000         2\n"
    "\n"
    "    accuracy                         0.6000                  10\n"
    "   macro avg     0.3889    0.4889    0.4329    0.3238        10\n"
    "weighted avg     0.4833    0.6000    0.5351    0.4057        10\n";

std::vector<std::string> fm_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> fm_tokens(const std::string& line) {
  std::vector<std::string> tokens;
  std::istringstream in(line);
  for (std::string t; in >> t;) tokens.push_back(t);
  return tokens;
}

double fm_number(const std::string& token) {
  return std::strtod(token.c_str(), nullptr);
}

}  // namespace

// ---- classification_report ---------------------------------------------------------------

TEST_CASE(
    "classification_report: exact text for 3 named classes with void 255 and an "
    "unpredicted class") {
  const tally::MulticlassStatScores s = fm_report_case();
  CHECK(tally::classification_report(s, {"road", "car", "sky"}) == fm_expected_report);
  // digits = 4 is the default.
  CHECK(tally::classification_report(s, {"road", "car", "sky"}, 4) == fm_expected_report);
}

TEST_CASE(
    "classification_report: digits 2, class indices, zero_division 1 and a class absent "
    "from preds and target") {
  // The report case with num_classes = 4: class 3 never occurs. zero_division = 1 shows in the
  // 0/0 cells: class 2 precision (no prediction) and every value of class 3.
  // macro drops class 3 (tp + fp + fn = 0), as MulticlassPrecision macro does:
  //   P (2/3 + 1/2 + 1)/3 = 13/18 = .72; R, F1, IoU as before: .49, .43, .32
  // weighted: class 3 has weight 0; P (5*2/3 + 3*1/2 + 2*1)/10 = 41/60 = .68; R .60; F1 .535 ->
  //   .54; IoU .4057 -> .41
  const tally::MulticlassStatScores s = fm_report_case(4, 1.0);
  const std::string expected =
      "              precision    recall  f1-score       iou   support\n"
      "\n"
      "           0       0.67      0.80      0.73      0.57         5\n"
      "           1       0.50      0.67      0.57      0.40         3\n"
      "           2       1.00      0.00      0.00      0.00         2\n"
      "           3       1.00      1.00      1.00      1.00         0\n"
      "\n"
      "    accuracy                           0.60                  10\n"
      "   macro avg       0.72      0.49      0.43      0.32        10\n"
      "weighted avg       0.68      0.60      0.54      0.41        10\n";
  CHECK(tally::classification_report(s, {}, 2) == expected);
}

TEST_CASE(
    "classification_report: nothing counted gives zero_division rows, 0 averages and nan "
    "iou averages") {
  // No update: every class is 0/0 (zero_division 0). macro drops every class: precision, recall
  // and f1 give 0, iou gives nan (as MulticlassJaccardIndex macro). Weighted: no support -> 0 and
  // nan. Accuracy 0/0 -> 0.
  const tally::MulticlassStatScores s(fm_opts(2));
  const std::string expected =
      "              precision    recall  f1-score       iou   support\n"
      "\n"
      "           0       0.00      0.00      0.00      0.00         0\n"
      "           1       0.00      0.00      0.00      0.00         0\n"
      "\n"
      "    accuracy                           0.00                   0\n"
      "   macro avg       0.00      0.00      0.00       nan         0\n"
      "weighted avg       0.00      0.00      0.00       nan         0\n";
  CHECK(tally::classification_report(s, {}, 2) == expected);
}

TEST_CASE("classification_report: samplewise mode sums the per-sample counts") {
  // The report case as two samples of 6 positions, in one update or in two.
  tally::Multiclass::Options o = fm_opts(3);
  o.multidim_average = MultidimAverage::samplewise;
  const std::vector<std::string> names = {"road", "car", "sky"};

  tally::MulticlassStatScores one(o);
  one.update(tally::tensor_view<const int>(fm_preds, Shape{2, 6}),
             tally::tensor_view<const int>(fm_target, Shape{2, 6}));
  REQUIRE(one.counts().shape() == Shape{2, 3, 2, 2});
  CHECK(tally::classification_report(one, names) == fm_expected_report);

  tally::MulticlassStatScores two(o);
  const std::vector<int> p0(fm_preds.begin(), fm_preds.begin() + 6),
      p1(fm_preds.begin() + 6, fm_preds.end()), t0(fm_target.begin(), fm_target.begin() + 6),
      t1(fm_target.begin() + 6, fm_target.end());
  two.update(tally::tensor_view<const int>(p0, Shape{1, 6}),
             tally::tensor_view<const int>(t0, Shape{1, 6}));
  two.update(tally::tensor_view<const int>(p1, Shape{1, 6}),
             tally::tensor_view<const int>(t1, Shape{1, 6}));
  CHECK(tally::classification_report(two, names) == fm_expected_report);
}

TEST_CASE("classification_report: the name column widens to the longest class name") {
  const tally::MulticlassStatScores s = fm_report_case();
  const std::string report =
      tally::classification_report(s, {"road", "motorcycle-with-sidecar", "sky"});
  // Width 23: the header starts with 23 + 2 spaces, every non-empty line has 23 + 1 + 5 * 10
  // characters, and names are right-aligned.
  const std::vector<std::string> lines = fm_lines(report);
  REQUIRE(lines.size() == 9);
  CHECK(lines[0] == std::string(25, ' ') + "precision    recall  f1-score       iou   support");
  CHECK(lines[2] ==
        std::string(19, ' ') + "road     0.6667    0.8000    0.7273    0.5714         5");
  CHECK(lines[3] == "motorcycle-with-sidecar     0.5000    0.6667    0.5714    0.4000         3");
  CHECK(lines[8] ==
        std::string(11, ' ') + "weighted avg     0.4833    0.6000    0.5351    0.4057        10");
  for (const std::string& line : lines)
    if (!line.empty()) CHECK(line.size() == 74);
}

TEST_CASE("classification_report: value columns widen for many digits") {
  const tally::MulticlassStatScores s = fm_report_case();
  const std::vector<std::string> lines = fm_lines(tally::classification_report(s, {}, 15));
  REQUIRE(lines.size() == 9);
  // 15 digits: "0.666666666666667" is 17 characters, so value columns are 17 wide.
  CHECK(lines[2] == "           0 " + std::string(" 0.666666666666667") +
                        " 0.800000000000000 0.727272727272727 0.571428571428571         5");
  for (const std::string& line : lines)
    if (!line.empty()) CHECK(line.size() == 12 + 1 + 4 * 18 + 10);
  // digits = 0 is allowed: "1", "0".
  CHECK(fm_lines(tally::classification_report(s, {}, 0))[2] ==
        "           0          1         1         1         1         5");
}

TEST_CASE(
    "classification_report: class_names of the wrong size and digits outside [0, 15] "
    "are errors") {
  using Catch::Matchers::Contains;
  const tally::MulticlassStatScores s = fm_report_case();
  CHECK_THROWS_AS(tally::classification_report(s, {"road", "car"}), tally::error);
  CHECK_THROWS_WITH(tally::classification_report(s, {"road", "car"}),
                    Contains("class_names has 2 names") && Contains("num_classes = 3"));
  CHECK_THROWS_WITH(tally::classification_report(s, {"a", "b", "c", "d"}),
                    Contains("class_names has 4 names") && Contains("num_classes = 3"));
  CHECK_THROWS_AS(tally::classification_report(s, {}, -1), tally::error);
  CHECK_THROWS_WITH(tally::classification_report(s, {}, -1),
                    Contains("digits -1") && Contains("[0, 15]"));
  CHECK_THROWS_WITH(tally::classification_report(s, {}, 16), Contains("digits 16"));
  CHECK_NOTHROW(tally::classification_report(s, {}, 0));
  CHECK_NOTHROW(tally::classification_report(s, {}, 15));
}

TEST_CASE(
    "classification_report agrees with the metrics' none, macro, weighted and micro "
    "values") {
  // Random label data, C = 5 with class 4 absent from preds and target, for each ignore_index
  // kind and zero_division; with top_k = 2 from scores as well. Read at 15 digits, every value
  // must equal the matching metric's compute().
  struct setup {
    std::optional<std::int64_t> ii;
    double zd;
    int top_k;
  };
  const setup setups[] = {
      {std::nullopt, 0.0, 1}, {255, 0.0, 1}, {255, 1.0, 1}, {2, 0.0, 1}, {2, 1.0, 1},
      {255, 0.0, 2},          {2, 1.0, 2}};
  std::mt19937 rng(7);
  for (const setup& su : setups) {
    for (const bool empty : {false, true}) {
      INFO("ignore_index " << (su.ii ? std::to_string(*su.ii) : "none") << ", zero_division "
                           << su.zd << ", top_k " << su.top_k << (empty ? ", no update" : ""));
      const std::size_t n = 300, C = 5;
      std::vector<std::int64_t> target(n), preds(n);
      std::vector<float> scores(n * C);
      for (std::size_t i = 0; i < n; ++i) {
        target[i] = static_cast<std::int64_t>(rng() % 4);
        if (su.ii && rng() % 10 == 0) target[i] = *su.ii;
        preds[i] = rng() % 3 == 0 ? static_cast<std::int64_t>(rng() % 4) : target[i];
        if (preds[i] == 255) preds[i] = 0;
        for (std::size_t c = 0; c < C; ++c)
          scores[i * C + c] = c == 4 ? -1.0f : static_cast<float>(rng() % 1000) / 1000.0f;
      }
      tally::Multiclass::Options o = fm_opts(5, su.ii, su.zd);
      o.top_k = su.top_k;
      auto run = [&](auto metric) {
        if (empty) return metric;
        if (su.top_k > 1)
          metric.update(tally::tensor_view<const float>(scores, Shape{n, C}),
                        tally::tensor_view<const std::int64_t>(target, Shape{n}));
        else
          metric.update(preds, target);
        return metric;
      };
      auto with = [&](Average a) {
        tally::Multiclass::Options x = o;
        x.average = a;
        return x;
      };
      const tally::MulticlassStatScores stats = run(tally::MulticlassStatScores(o));
      const std::vector<std::string> lines = fm_lines(tally::classification_report(stats, {}, 15));
      REQUIRE(lines.size() == 2 + C + 1 + 3);

      // Per class: precision, recall, f1, iou and support.
      const Result p = run(tally::MulticlassPrecision(with(Average::none))).compute();
      const Result r = run(tally::MulticlassRecall(with(Average::none))).compute();
      const Result f = run(tally::MulticlassF1Score(with(Average::none))).compute();
      for (std::size_t c = 0; c < C; ++c) {
        INFO("class " << c);
        const std::vector<std::string> t = fm_tokens(lines[2 + c]);
        REQUIRE(t.size() == 6);
        CHECK(t[0] == std::to_string(c));
        check_close(fm_number(t[1]), p[c], 1e-14);
        check_close(fm_number(t[2]), r[c], 1e-14);
        check_close(fm_number(t[3]), f[c], 1e-14);
        const auto* b = stats.counts().data() + c * 4;  // [[tn, fp], [fn, tp]]
        CHECK(t[5] == std::to_string(b[3] + b[2]));
      }
      if (su.top_k == 1) {
        const Result j = run(tally::MulticlassJaccardIndex(with(Average::none))).compute();
        for (std::size_t c = 0; c < C; ++c)
          check_close(fm_number(fm_tokens(lines[2 + c])[4]), j[c], 1e-14);
      }

      const std::vector<std::string> acc = fm_tokens(lines[2 + C + 1]);
      REQUIRE(acc.size() == 3);
      CHECK(acc[0] == "accuracy");
      check_close(fm_number(acc[1]),
                  run(tally::MulticlassAccuracy(with(Average::micro))).compute().value(), 1e-14);

      for (const Average a : {Average::macro, Average::weighted}) {
        const std::vector<std::string> t = fm_tokens(lines[2 + C + 2 + (a == Average::weighted)]);
        INFO(tally::to_string(a) << " row: " << lines[2 + C + 2 + (a == Average::weighted)]);
        REQUIRE(t.size() == 7);
        check_close(fm_number(t[2]), run(tally::MulticlassPrecision(with(a))).compute().value(),
                    1e-14);
        check_close(fm_number(t[3]), run(tally::MulticlassRecall(with(a))).compute().value(),
                    1e-14);
        check_close(fm_number(t[4]), run(tally::MulticlassF1Score(with(a))).compute().value(),
                    1e-14);
        if (su.top_k == 1)
          check_close(fm_number(t[5]),
                      run(tally::MulticlassJaccardIndex(with(a))).compute().value(), 1e-14);
        CHECK(t[6] == acc[2]);
      }
    }
  }
}

// ---- classification_report as Markdown, CSV and JSON -------------------------------------

TEST_CASE("classification_report as Markdown: exact table for the report case") {
  const tally::MulticlassStatScores s = fm_report_case();
  const std::string expected =
      "| class | precision | recall | f1-score | iou | support |\n"
      "|---|---:|---:|---:|---:|---:|\n"
      "| road | 0.6667 | 0.8000 | 0.7273 | 0.5714 | 5 |\n"
      "| car\\|bus | 0.5000 | 0.6667 | 0.5714 | 0.4000 | 3 |\n"
      "| sky | 0.0000 | 0.0000 | 0.0000 | 0.0000 | 2 |\n"
      "| accuracy | | | 0.6000 | | 10 |\n"
      "| macro avg | 0.3889 | 0.4889 | 0.4329 | 0.3238 | 10 |\n"
      "| weighted avg | 0.4833 | 0.6000 | 0.5351 | 0.4057 | 10 |\n";
  CHECK(tally::classification_report(s, {"road", "car|bus", "sky"}, 4,
                                     tally::ReportFormat::markdown) == expected);
}

namespace {

// Splits RFC 4180 CSV (CRLF records, quoted fields with doubled quotes) into records of fields.
std::vector<std::vector<std::string>> fm_parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        records.back().back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        records.back().back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      records.back().emplace_back();
    } else if (ch == '\r') {
      REQUIRE(i + 1 < text.size());
      REQUIRE(text[i + 1] == '\n');
      ++i;
      records.emplace_back(1);
    } else {
      REQUIRE(ch != '\n');  // a bare LF outside quotes is not a record end in RFC 4180
      records.back().back() += ch;
    }
  }
  REQUIRE(records.back() == std::vector<std::string>(1));  // the text ends with CRLF
  records.pop_back();
  return records;
}

}  // namespace

TEST_CASE("classification_report as CSV: quoted names and full-precision values of the metrics") {
  const tally::MulticlassStatScores s = fm_report_case();
  const std::vector<std::string> names = {"road, wet", "car \"4x4\"", "sky"};
  const auto rec = fm_parse_csv(tally::classification_report(s, names, 2, tally::ReportFormat::csv));
  REQUIRE(rec.size() == 1 + 3 + 3);
  CHECK(rec[0] == std::vector<std::string>{"class", "precision", "recall", "f1-score", "iou",
                                           "support"});
  // Full precision whatever digits says: each value reads back as the metric's double exactly.
  tally::Multiclass::Options none = fm_opts(3);
  none.average = Average::none;
  auto per_class = [&](auto metric) {
    metric.update(fm_preds, fm_target);
    return metric.compute();
  };
  const Result p = per_class(tally::MulticlassPrecision(none));
  const Result r = per_class(tally::MulticlassRecall(none));
  const Result f = per_class(tally::MulticlassF1Score(none));
  const Result j = per_class(tally::MulticlassJaccardIndex(none));
  const char* supports[] = {"5", "3", "2"};
  for (std::size_t c = 0; c < 3; ++c) {
    INFO("class " << c);
    REQUIRE(rec[1 + c].size() == 6);
    CHECK(rec[1 + c][0] == names[c]);
    CHECK(std::strtod(rec[1 + c][1].c_str(), nullptr) == p[c]);
    CHECK(std::strtod(rec[1 + c][2].c_str(), nullptr) == r[c]);
    CHECK(std::strtod(rec[1 + c][3].c_str(), nullptr) == f[c]);
    CHECK(std::strtod(rec[1 + c][4].c_str(), nullptr) == j[c]);
    CHECK(rec[1 + c][5] == supports[c]);
  }
  CHECK(rec[4] == std::vector<std::string>{"accuracy", "", "", "0.6", "", "10"});
  CHECK(rec[5][0] == "macro avg");
  CHECK(std::strtod(rec[5][3].c_str(), nullptr) == 100.0 / 231.0);
  CHECK(rec[6][0] == "weighted avg");
  CHECK(rec[6][6 - 1] == "10");

  // NaN (an iou average with nothing counted) is an empty field.
  const auto empty = fm_parse_csv(
      tally::classification_report(tally::MulticlassStatScores(fm_opts(2)), {}, 4,
                                   tally::ReportFormat::csv));
  REQUIRE(empty.size() == 1 + 2 + 3);
  CHECK(empty[4] == std::vector<std::string>{"macro avg", "0", "0", "0", "", "0"});
}

TEST_CASE("classification_report as JSON: sklearn's output_dict shape, exact values, nan as null") {
  const tally::MulticlassStatScores s = fm_report_case();
  const std::vector<std::string> names = {"road \"dry\"", "car\\bus", "sky\n"};
  const nlohmann::json j =
      nlohmann::json::parse(tally::classification_report(s, names, 4, tally::ReportFormat::json));
  REQUIRE(j.is_object());
  CHECK(j.size() == 3 + 3);
  CHECK(j.at("road \"dry\"").at("precision").get<double>() == 4.0 / 6.0);
  CHECK(j.at("road \"dry\"").at("recall").get<double>() == 4.0 / 5.0);
  CHECK(j.at("road \"dry\"").at("f1-score").get<double>() == 8.0 / 11.0);
  CHECK(j.at("road \"dry\"").at("iou").get<double>() == 4.0 / 7.0);
  CHECK(j.at("road \"dry\"").at("support").get<std::uint64_t>() == 5);
  CHECK(j.at("car\\bus").at("iou").get<double>() == 2.0 / 5.0);
  CHECK(j.at("sky\n").at("support").get<std::uint64_t>() == 2);
  CHECK(j.at("accuracy").get<double>() == 0.6);
  tally::Multiclass::Options macro = fm_opts(3);
  tally::MulticlassF1Score f1(macro);
  f1.update(fm_preds, fm_target);
  CHECK(j.at("macro avg").at("f1-score").get<double>() == f1.compute().value());
  CHECK(j.at("weighted avg").at("support").get<std::uint64_t>() == 10);

  const nlohmann::json e = nlohmann::json::parse(tally::classification_report(
      tally::MulticlassStatScores(fm_opts(2)), {}, 4, tally::ReportFormat::json));
  CHECK(e.at("macro avg").at("iou").is_null());
  CHECK(e.at("macro avg").at("precision").get<double>() == 0.0);
  CHECK(e.contains("0"));
  CHECK(e.contains("1"));
}

TEST_CASE("classification_report as JSON rejects names that would collide as keys") {
  using Catch::Matchers::Contains;
  const tally::MulticlassStatScores s = fm_report_case();
  CHECK_THROWS_WITH(tally::classification_report(s, {"a", "b", "a"}, 4, tally::ReportFormat::json),
                    Contains("classes 0 and 2 are both named \"a\""));
  CHECK_THROWS_WITH(
      tally::classification_report(s, {"a", "accuracy", "c"}, 4, tally::ReportFormat::json),
      Contains("class name \"accuracy\" (class 1)"));
  // The other layouts take any names.
  CHECK_NOTHROW(tally::classification_report(s, {"a", "b", "a"}, 4, tally::ReportFormat::csv));
  CHECK_THROWS_WITH(
      tally::classification_report(s, {}, 4, static_cast<tally::ReportFormat>(9)),
      Contains("format 9 is not a ReportFormat"));
}

// ---- confusion_matrix_report -------------------------------------------------------------

TEST_CASE("confusion_matrix_report: counts with class names on both axes") {
  // The report case (see the top): rows target, columns prediction.
  tally::MulticlassConfusionMatrix cm(fm_opts(3));
  cm.update(fm_preds, fm_target);
  CHECK(tally::confusion_matrix_report(cm, {"road", "car", "sky"}) ==
        "true \\ pred  road   car   sky\n"
        "       road     4     1     0\n"
        "        car     1     2     0\n"
        "        sky     1     1     0\n");
  // Unnamed: class indices; a long name widens every column and the name column.
  CHECK(tally::confusion_matrix_report(cm) ==
        "true \\ pred  0  1  2\n"
        "          0  4  1  0\n"
        "          1  1  2  0\n"
        "          2  1  1  0\n");
  CHECK(tally::confusion_matrix_report(cm, {"a", "b", "vegetation-and-terrain"}) ==
        "           true \\ pred                       a                       b  "
        "vegetation-and-terrain\n"
        "                     a                       4                       1  "
        "                     0\n"
        "                     b                       1                       2  "
        "                     0\n"
        "vegetation-and-terrain                       1                       1  "
        "                     0\n");
}

TEST_CASE("confusion_matrix_report: normalized values with digits, binary, and errors") {
  using Catch::Matchers::Contains;
  tally::MulticlassConfusionMatrix rows(fm_opts(3), tally::Normalize::target);
  rows.update(fm_preds, fm_target);
  // Row sums 5, 3, 2: 4/5 1/5 0; 1/3 2/3 0; 1/2 1/2 0.
  CHECK(tally::confusion_matrix_report(rows, {}, 2) ==
        "true \\ pred     0     1     2\n"
        "          0  0.80  0.20  0.00\n"
        "          1  0.33  0.67  0.00\n"
        "          2  0.50  0.50  0.00\n");

  tally::BinaryConfusionMatrix bin(tally::Binary::Options{});
  bin.update(std::vector<int>{0, 1, 1, 0, 1}, std::vector<int>{0, 1, 0, 0, 0});
  // tn 2, fp 2, fn 0, tp 1.
  CHECK(tally::confusion_matrix_report(bin, {"neg", "pos"}) ==
        "true \\ pred  neg  pos\n"
        "        neg    2    2\n"
        "        pos    0    1\n");

  tally::MulticlassConfusionMatrix cm(fm_opts(3));
  CHECK_THROWS_WITH(tally::confusion_matrix_report(cm, {"a", "b"}),
                    Contains("class_names has 2 names but the matrix has 3 classes"));
  CHECK_THROWS_WITH(tally::confusion_matrix_report(cm, {}, 16), Contains("digits 16"));
}

// ---- formatters --------------------------------------------------------------------------

TEST_CASE("Result formatter: scalar, vector and matrix with {} and {:.3f}") {
  const Result scalar(Shape{}, {0.8123});
  CHECK(fmt::format("{}", scalar) == "0.8123");
  CHECK(fmt::format("{:.3f}", scalar) == "0.812");
  CHECK(fmt::format("{:.4f}", Result(Shape{}, {qnan})) == "nan");

  const Result vec(Shape{3}, {0.1, 0.25, qnan});
  CHECK(fmt::format("{}", vec) == "[0.1, 0.25, nan]");
  CHECK(fmt::format("{:.3f}", vec) == "[0.100, 0.250, nan]");
  CHECK(fmt::format("{:>6.2f}", vec) == "[  0.10,   0.25,    nan]");
  CHECK(fmt::format("{:.{}f}", vec, 1) == "[0.1, 0.2, nan]");  // 0.25 rounds to even

  const Result mat(Shape{2, 3}, {1, 0.5, 0, 0.25, 0.125, 1});
  CHECK(fmt::format("{}", mat) == "[[1, 0.5, 0], [0.25, 0.125, 1]]");
  CHECK(fmt::format("{:.3f}", mat) == "[[1.000, 0.500, 0.000], [0.250, 0.125, 1.000]]");
  // Same structure as operator<< (these values print alike in both).
  std::ostringstream os;
  os << mat;
  CHECK(fmt::format("{}", mat) == os.str());

  CHECK(fmt::format("{}", Result(Shape{2, 1, 2}, {1, 2, 3, 4})) == "[[[1, 2]], [[3, 4]]]");
  CHECK(fmt::format("{}", Result()) == "[]");
  CHECK(fmt::format("{:.2f}", Result(Shape{2, 0}, {})) == "[[], []]");
  // Inside a larger format string and with other arguments.
  CHECK(fmt::format("f1={:.2f} n={}", vec, 3) == "f1=[0.10, 0.25, nan] n=3");
}

TEST_CASE("Result formatter on compute() output and an invalid spec") {
  tally::Multiclass::Options o = fm_opts(3);
  o.average = Average::none;
  tally::MulticlassF1Score f1(o);
  f1.update(fm_preds, fm_target);
  // F1 per class of the report case: 8/11, 4/7, 0.
  CHECK(fmt::format("{:.4f}", f1.compute()) == "[0.7273, 0.5714, 0.0000]");
  o.average = Average::macro;
  tally::MulticlassF1Score macro(o);
  macro.update(fm_preds, fm_target);
  CHECK(fmt::format("{:.4f}", macro.compute()) == "0.4329");  // 100/231
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:d}"), Result(Shape{}, {1.0})), fmt::format_error);
}

TEST_CASE("Shape formatter prints like operator<<") {
  CHECK(fmt::format("{}", Shape{2, 3}) == "(2, 3)");
  CHECK(fmt::format("{}", Shape{}) == "()");
  CHECK(fmt::format("{}", Shape{8, 19, 512, 1024}) == "(8, 19, 512, 1024)");
}

TEST_CASE("enum formatters print the enumerator names and accept string specs") {
  CHECK(fmt::format("{}", Average::micro) == "micro");
  CHECK(fmt::format("{}", Average::macro) == "macro");
  CHECK(fmt::format("{}", Average::weighted) == "weighted");
  CHECK(fmt::format("{}", Average::none) == "none");
  CHECK(fmt::format("{}", MultidimAverage::global) == "global");
  CHECK(fmt::format("{}", MultidimAverage::samplewise) == "samplewise");
  CHECK(fmt::format("{}", tally::Normalize::none) == "none");
  CHECK(fmt::format("{}", tally::Normalize::target) == "target");
  CHECK(fmt::format("{}", tally::Normalize::pred) == "pred");
  CHECK(fmt::format("{}", tally::Normalize::all) == "all");
  CHECK(fmt::format("{}", tally::InputFormat::index) == "index");
  CHECK(fmt::format("{}", tally::InputFormat::one_hot) == "one_hot");
  CHECK(fmt::format("{}", tally::InputFormat::mixed) == "mixed");
  CHECK(fmt::format("{}", tally::AggregationLevel::global) == "global");
  CHECK(fmt::format("{}", tally::AggregationLevel::samplewise) == "samplewise");
  CHECK(fmt::format("[{:>8}]", Average::macro) == "[   macro]");
  CHECK(fmt::format("[{:<8}]", Average::macro) == "[macro   ]");
  CHECK(fmt::format("{}", static_cast<Average>(7)) == "<invalid Average>");
}

TEST_CASE("option struct formatters list every field in declaration order") {
  CHECK(fmt::format("{}", tally::Binary::Options{}) ==
        "{threshold=0.5, ignore_index=none, multidim_average=global, zero_division=0, "
        "scores=automatic}");

  tally::Multiclass::Options mc;
  mc.num_classes = 19;
  mc.ignore_index = 255;
  CHECK(fmt::format("{}", mc) ==
        "{num_classes=19, ignore_index=255, average=macro, multidim_average=global, top_k=1, "
        "zero_division=0, scores=automatic}");
  mc.ignore_index = -100;
  mc.average = Average::none;
  mc.multidim_average = MultidimAverage::samplewise;
  mc.top_k = 3;
  mc.zero_division = 1;
  mc.scores = tally::Scores::logits;
  CHECK(fmt::format("{}", mc) ==
        "{num_classes=19, ignore_index=-100, average=none, multidim_average=samplewise, top_k=3, "
        "zero_division=1, scores=logits}");

  tally::Multilabel::Options ml;
  ml.num_labels = 4;
  ml.threshold = 0.25;
  CHECK(fmt::format("{}", ml) ==
        "{num_labels=4, ignore_index=none, threshold=0.25, average=macro, "
        "multidim_average=global, zero_division=0, scores=automatic}");

  tally::DiceScore::Options d;
  d.num_classes = 6;
  d.ignore_index = 255;
  d.input_format = tally::InputFormat::index;
  d.include_background = false;
  CHECK(fmt::format("{}", d) ==
        "{num_classes=6, ignore_index=255, include_background=false, average=macro, "
        "aggregation_level=samplewise, input_format=index, zero_division=0}");

  tally::MeanIoU::Options m;
  m.num_classes = 19;
  m.ignore_index = 255;
  m.aggregation_level = tally::AggregationLevel::global;
  CHECK(fmt::format("{}", m) ==
        "{num_classes=19, ignore_index=255, include_background=true, average=macro, "
        "aggregation_level=global, input_format=one_hot}");
  tally::GeneralizedDiceScore::Options g;
  g.num_classes = 4;
  g.average = Average::none;
  g.weight_type = tally::DiceWeights::linear;
  CHECK(fmt::format("{}", g) ==
        "{num_classes=4, ignore_index=none, include_background=true, average=none, "
        "weight_type=linear, input_format=one_hot}");
  CHECK(fmt::format("{:>8}", tally::DiceWeights::square) == "  square");

  // A metric's options() formats too; options take no format spec.
  const tally::MulticlassStatScores s = fm_report_case();
  CHECK(fmt::format("{}", s.options()) ==
        "{num_classes=3, ignore_index=255, average=macro, multidim_average=global, top_k=1, "
        "zero_division=0, scores=automatic}");
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:>80}"), mc), fmt::format_error);
}


TEST_CASE("ranking formatters: curves, thresholds and CalibrationNorm") {
  tally::BinaryROC roc({});
  roc.update(std::vector<float>{0.25f, 0.75f}, std::vector<int>{0, 1});
  CHECK(fmt::format("{}", roc.compute()) ==
        "{fpr=[0, 0, 1], tpr=[0, 1, 1], thresholds=[1, 0.75, 0.25]}");
  tally::BinaryPrecisionRecallCurve pr({}, tally::Thresholds::values({0.5}));
  pr.update(std::vector<float>{0.25f, 0.75f}, std::vector<int>{0, 1});
  CHECK(fmt::format("{:.2f}", pr.compute()) ==
        "{precision=[1.00, 1.00], recall=[1.00, 0.00], thresholds=[0.50]}");
  CHECK(fmt::format("{}", tally::Thresholds::linspace(100)) == "linspace(100)");
  CHECK(fmt::format("{}", tally::Thresholds::exact()) == "exact");
  CHECK(fmt::format("{:>4}", tally::CalibrationNorm::l2) == "  l2");
}

#endif  // fmt available and linked
#endif  // __has_include
