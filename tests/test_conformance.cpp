// Data-driven conformance test: runs every case of tests/conformance/<task>__<metric>.json
// (format: tests/conformance/README.md) against tally and compares with torchmetrics' values
// (or the corrected `expected_fixed`). One TEST_CASE per file; a failing case never stops the
// others: mismatches are collected and reported one FAIL_CHECK each, with the case id, params,
// inputs, expected and actual values. A summary line per file goes to stdout.
#include <tally/tally.hpp>
#include <tally/calibration.hpp>
#include <tally/ranking.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "conformance_io.hpp"
#include "tally_catch.hpp"

// DiceScore (segmentation) is one more branch of make_metric(); it is compiled in as soon as the
// header exists (define TALLY_CONFORMANCE_NO_DICE to leave it out).
#if !defined(TALLY_CONFORMANCE_NO_DICE) && defined(__has_include)
#if __has_include(<tally/segmentation.hpp>)
#include <tally/segmentation.hpp>
#define TALLY_CONFORMANCE_HAS_DICE 1
#endif
#endif

#ifndef TALLY_CONFORMANCE_DIR
#define TALLY_CONFORMANCE_DIR ""  // fails at run time, loudly (see conformance_dir())
#endif

namespace {

namespace tc = tally_conformance;

const std::vector<std::string>& conformance_tasks() {
  static const std::vector<std::string> v{"binary", "multiclass", "multilabel"};
  return v;
}
const std::vector<std::string>& conformance_metrics() {
  static const std::vector<std::string> v{"stat_scores", "confusion_matrix", "precision",
                                          "recall",      "specificity",      "accuracy",
                                          "f1",          "fbeta",            "jaccard"};
  return v;
}

std::string conformance_dir() { return TALLY_CONFORMANCE_DIR; }
// The second-wave cases (tests/conformance2, copied from ../shared/conformance2), as each metric
// family lands.
std::string conformance2_dir() {
  const std::string first = conformance_dir();
  return first.empty() ? first : first + "2";
}
const std::vector<std::string>& conformance2_files() {
  static const std::vector<std::string> v{
      "binary__matthews_corrcoef.json",          "multiclass__matthews_corrcoef.json",
      "multilabel__matthews_corrcoef.json",      "binary__cohen_kappa.json",
      "multiclass__cohen_kappa.json",            "binary__hamming_distance.json",
      "multiclass__hamming_distance.json",       "multilabel__hamming_distance.json",
      "multiclass__exact_match.json",            "multilabel__exact_match.json",
      "binary__negative_predictive_value.json",  "multiclass__negative_predictive_value.json",
      "multilabel__negative_predictive_value.json", "segmentation__mean_iou.json",
      "segmentation__generalized_dice.json",    "binary__roc.json",
      "multiclass__roc.json",                    "multilabel__roc.json",
      "binary__precision_recall_curve.json",     "multiclass__precision_recall_curve.json",
      "multilabel__precision_recall_curve.json", "binary__auroc.json",
      "multiclass__auroc.json",                  "multilabel__auroc.json",
      "binary__average_precision.json",          "multiclass__average_precision.json",
      "multilabel__average_precision.json",      "binary__calibration_error.json",
      "multiclass__calibration_error.json"};
  return v;
}

// ---------------------------------------------------------------------------------------------
// Options from params (unknown keys fail the case: Params::finish)

const std::vector<std::pair<std::string, tally::Average>>& average_names() {
  // torchmetrics' average=None means "none".
  static const std::vector<std::pair<std::string, tally::Average>> v{
      {"micro", tally::Average::micro},
      {"macro", tally::Average::macro},
      {"weighted", tally::Average::weighted},
      {"none", tally::Average::none},
      {"null", tally::Average::none}};
  return v;
}

const std::vector<std::pair<std::string, tally::MultidimAverage>>& multidim_names() {
  static const std::vector<std::pair<std::string, tally::MultidimAverage>> v{
      {"global", tally::MultidimAverage::global},
      {"samplewise", tally::MultidimAverage::samplewise}};
  return v;
}

const std::vector<std::pair<std::string, tally::Normalize>>& normalize_names() {
  static const std::vector<std::pair<std::string, tally::Normalize>> v{
      {"null", tally::Normalize::none},
      {"none", tally::Normalize::none},
      {"true", tally::Normalize::target},
      {"pred", tally::Normalize::pred},
      {"all", tally::Normalize::all}};
  return v;
}

void read_ignore_index(tc::Params& p, std::optional<std::int64_t>& out) {
  bool present = false;
  auto v = p.nullable_integer("ignore_index", present);
  if (present) out = v;
}

tally::Binary::Options binary_options(tc::Params& p) {
  tally::Binary::Options o;
  if (auto v = p.number("threshold")) o.threshold = *v;
  read_ignore_index(p, o.ignore_index);
  if (auto v = p.choice("multidim_average", multidim_names())) o.multidim_average = *v;
  if (auto v = p.number("zero_division")) o.zero_division = *v;
  return o;
}

tally::Multiclass::Options multiclass_options(tc::Params& p) {
  tally::Multiclass::Options o;
  if (auto v = p.integer("num_classes")) o.num_classes = *v;
  read_ignore_index(p, o.ignore_index);
  if (auto v = p.choice("average", average_names())) o.average = *v;
  if (auto v = p.choice("multidim_average", multidim_names())) o.multidim_average = *v;
  if (auto v = p.integer("top_k")) {
    if (*v < -1000000 || *v > 1000000) throw tc::setup_error("top_k out of int range");
    o.top_k = static_cast<int>(*v);
  }
  if (auto v = p.number("zero_division")) o.zero_division = *v;
  return o;
}

tally::Multilabel::Options multilabel_options(tc::Params& p) {
  tally::Multilabel::Options o;
  if (auto v = p.integer("num_labels")) o.num_labels = *v;
  read_ignore_index(p, o.ignore_index);
  if (auto v = p.number("threshold")) o.threshold = *v;
  if (auto v = p.choice("average", average_names())) o.average = *v;
  if (auto v = p.choice("multidim_average", multidim_names())) o.multidim_average = *v;
  if (auto v = p.number("zero_division")) o.zero_division = *v;
  return o;
}

// Calls visit(factory) with a nullary factory that constructs the case's metric (construction
// is the "init" stage and may throw tally::error). One branch per task/metric.
template <class Task, class Options, class Visit>
void visit_task_metric(const tc::Case& c, tc::Params& p, const Options& o, Visit&& visit) {
  const std::string& m = c.metric;
  if (m == "fbeta") {
    const auto beta = p.number("beta");
    if (!beta) throw tc::setup_error(c.id + ": fbeta case without a beta param");
    p.finish();
    visit([o, b = *beta] { return tally::FBetaScore<Task>(b, o); });
    return;
  }
  if (m == "confusion_matrix") {
    const tally::Normalize n =
        p.choice("normalize", normalize_names()).value_or(tally::Normalize::none);
    p.finish();
    visit([o, n] { return tally::ConfusionMatrix<Task>(o, n); });
    return;
  }
  if (m == "cohen_kappa") {
    if constexpr (std::is_same_v<Task, tally::Multilabel>) {
      throw tc::setup_error(c.id + ": CohenKappa has no multilabel task");
    } else {
      const tally::KappaWeights w =
          p.choice("weights", std::vector<std::pair<std::string, tally::KappaWeights>>{
                                  {"null", tally::KappaWeights::none},
                                  {"none", tally::KappaWeights::none},
                                  {"linear", tally::KappaWeights::linear},
                                  {"quadratic", tally::KappaWeights::quadratic}})
              .value_or(tally::KappaWeights::none);
      p.finish();
      visit([o, w] { return tally::CohenKappa<Task>(o, w); });
      return;
    }
  }
  if (m == "calibration_error") {
    if constexpr (std::is_same_v<Task, tally::Multilabel>) {
      throw tc::setup_error(c.id + ": CalibrationError has no multilabel task");
    } else {
      for (const tc::Update& u : c.updates)
        if (u.target.dtype == "float32")
          throw tc::unrepresentable("a floating-point target does not compile with tally's "
                                    "CalibrationError (targets are integral labels)");
      std::size_t bins = 15;
      if (const auto* v = p.take("n_bins"); v != nullptr) {
        if (!v->is_number_integer()) throw tc::unrepresentable("n_bins " + v->dump() + " is not an integer");
        const auto n = v->get<std::int64_t>();
        bins = n < 0 ? std::size_t{0} : static_cast<std::size_t>(n);
      }
      const tally::CalibrationNorm norm =
          p.choice("norm", std::vector<std::pair<std::string, tally::CalibrationNorm>>{
                               {"l1", tally::CalibrationNorm::l1},
                               {"l2", tally::CalibrationNorm::l2},
                               {"max", tally::CalibrationNorm::max}})
              .value_or(tally::CalibrationNorm::l1);
      p.finish();
      return visit([o, bins, norm] { return tally::CalibrationError<Task>(o, bins, norm); });
    }
  }
  if (m == "roc" || m == "precision_recall_curve" || m == "auroc" || m == "average_precision") {
    for (const tc::Update& u : c.updates)
      if (u.target.dtype == "float32")
        throw tc::unrepresentable("a floating-point target does not compile with tally's ranking "
                                  "metrics (targets are integral labels)");
    // thresholds: null (exact), an integer (linspace) or a list of values; anything else has no
    // C++ spelling. The Thresholds are built inside the factory: a bad one is an init error.
    std::optional<std::size_t> count;
    std::optional<std::vector<double>> list;
    if (auto it = c.params.find("thresholds"); it != c.params.end() && !it->is_null()) {
      if (it->is_number_integer()) {
        const auto n = it->get<std::int64_t>();
        count = n < 0 ? std::size_t{0} : static_cast<std::size_t>(n);
      } else if (it->is_array()) {
        list.emplace();
        for (const auto& v : *it) {
          if (!v.is_number()) throw tc::unrepresentable("a threshold that is not a number");
          list->push_back(v.get<double>());
        }
      } else {
        throw tc::unrepresentable("thresholds " + it->dump() + " is not a count or a list");
      }
    }
    p.take("thresholds");
    const auto make_thresholds = [count, list] {
      if (count) return tally::Thresholds::linspace(*count);
      if (list) return tally::Thresholds::values(*list);
      return tally::Thresholds::exact();
    };
    Options opts = o;
    // torchmetrics' curves default to average None (one curve per class); its Multilabel
    // curves have no average at all.
    if constexpr (!std::is_same_v<Task, tally::Binary>) {
      if ((m == "roc" || m == "precision_recall_curve") && c.params.find("average") == c.params.end())
        opts.average = tally::Average::none;
    }
    if (m == "auroc") {
      std::optional<double> max_fpr;
      if (const auto* v = p.take("max_fpr"); v != nullptr && !v->is_null()) {
        if (!v->is_number()) throw tc::setup_error(p.bad("max_fpr", *v));
        max_fpr = v->get<double>();
      }
      p.finish();
      return visit([opts, make_thresholds, max_fpr] {
        return tally::AUROC<Task>(opts, make_thresholds(), max_fpr);
      });
    }
    p.finish();
    if (m == "roc")
      return visit([opts, make_thresholds] { return tally::ROC<Task>(opts, make_thresholds()); });
    if (m == "precision_recall_curve")
      return visit([opts, make_thresholds] {
        return tally::PrecisionRecallCurve<Task>(opts, make_thresholds());
      });
    return visit([opts, make_thresholds] {
      return tally::AveragePrecision<Task>(opts, make_thresholds());
    });
  }
  p.finish();
  if (m == "exact_match") {
    if constexpr (std::is_same_v<Task, tally::Binary>)
      throw tc::setup_error(c.id + ": ExactMatch has no binary task");
    else
      return visit([o] { return tally::ExactMatch<Task>(o); });
  }
  if (m == "negative_predictive_value")
    return visit([o] { return tally::NegativePredictiveValue<Task>(o); });
  if (m == "hamming_distance") return visit([o] { return tally::HammingDistance<Task>(o); });
  if (m == "matthews_corrcoef") return visit([o] { return tally::MatthewsCorrCoef<Task>(o); });
  if (m == "stat_scores") return visit([o] { return tally::StatScores<Task>(o); });
  if (m == "precision") return visit([o] { return tally::Precision<Task>(o); });
  if (m == "recall") return visit([o] { return tally::Recall<Task>(o); });
  if (m == "specificity") return visit([o] { return tally::Specificity<Task>(o); });
  if (m == "accuracy") return visit([o] { return tally::Accuracy<Task>(o); });
  if (m == "f1") return visit([o] { return tally::F1Score<Task>(o); });
  if (m == "jaccard") return visit([o] { return tally::JaccardIndex<Task>(o); });
  throw tc::setup_error(c.id + ": unknown metric '" + m + "' for task " + c.task);
}

template <class Visit>
void visit_metric(const tc::Case& c, Visit&& visit) {
  tc::Params p(c.params, c.id);
  if (c.task == "binary") {
    const auto o = binary_options(p);
    return visit_task_metric<tally::Binary>(c, p, o, visit);
  }
  if (c.task == "multiclass") {
    const auto o = multiclass_options(p);
    return visit_task_metric<tally::Multiclass>(c, p, o, visit);
  }
  if (c.task == "multilabel") {
    const auto o = multilabel_options(p);
    return visit_task_metric<tally::Multilabel>(c, p, o, visit);
  }
  if (c.task == "segmentation" && c.metric == "dice_score") {
#ifdef TALLY_CONFORMANCE_HAS_DICE
    tally::DiceScore::Options o;
    if (auto v = p.integer("num_classes")) o.num_classes = *v;
    read_ignore_index(p, o.ignore_index);
    if (auto v = p.boolean("include_background")) o.include_background = *v;
    if (auto v = p.choice("average", average_names())) o.average = *v;
    if (auto v = p.choice("aggregation_level",
                          std::vector<std::pair<std::string, tally::AggregationLevel>>{
                              {"global", tally::AggregationLevel::global},
                              {"samplewise", tally::AggregationLevel::samplewise}}))
      o.aggregation_level = *v;
    if (auto v = p.choice("input_format", std::vector<std::pair<std::string, tally::InputFormat>>{
                                              {"index", tally::InputFormat::index},
                                              {"one-hot", tally::InputFormat::one_hot},
                                              {"one_hot", tally::InputFormat::one_hot},
                                              {"mixed", tally::InputFormat::mixed}}))
      o.input_format = *v;
    if (auto v = p.number("zero_division")) o.zero_division = *v;
    p.finish();
    return visit([o] { return tally::DiceScore(o); });
#else
    throw tc::setup_error(c.id + ": DiceScore is not available (<tally/segmentation.hpp>)");
#endif
  }
  if (c.task == "segmentation" && (c.metric == "mean_iou" || c.metric == "generalized_dice")) {
#ifdef TALLY_CONFORMANCE_HAS_DICE
    // torchmetrics' num_classes = None is tally's 0; its num_classes = 0 (an error there) has no
    // C++ spelling. per_class = true is average none.
    auto read_common = [&](auto& o) {
      bool present = false;
      auto n = p.nullable_integer("num_classes", present);
      if (present && n && *n == 0)
        throw tc::unrepresentable("num_classes = 0 means 'from the one-hot axis' in tally");
      if (n) o.num_classes = *n;
      read_ignore_index(p, o.ignore_index);
      if (auto v = p.boolean("include_background")) o.include_background = *v;
      if (auto v = p.boolean("per_class"))
        o.average = *v ? tally::Average::none : tally::Average::macro;
      if (auto v = p.choice("input_format", std::vector<std::pair<std::string, tally::InputFormat>>{
                                                {"index", tally::InputFormat::index},
                                                {"one-hot", tally::InputFormat::one_hot},
                                                {"mixed", tally::InputFormat::mixed}}))
        o.input_format = *v;
    };
    if (c.metric == "mean_iou") {
      tally::MeanIoU::Options o;
      read_common(o);
      p.finish();
      return visit([o] { return tally::MeanIoU(o); });
    }
    tally::GeneralizedDiceScore::Options o;
    read_common(o);
    if (auto v = p.choice("weight_type", std::vector<std::pair<std::string, tally::DiceWeights>>{
                                             {"square", tally::DiceWeights::square},
                                             {"simple", tally::DiceWeights::simple},
                                             {"linear", tally::DiceWeights::linear}}))
      o.weight_type = *v;
    p.finish();
    return visit([o] { return tally::GeneralizedDiceScore(o); });
#else
    throw tc::setup_error(c.id + ": the segmentation metrics are not available");
#endif
  }
  throw tc::setup_error(c.id + ": unknown task/metric " + c.task + "/" + c.metric);
}

// ---------------------------------------------------------------------------------------------
// Running a metric

tally::Shape to_shape(const tc::Tensor& t) { return tally::Shape(t.shape.begin(), t.shape.end()); }

template <class F>
void with_preds_view(const tc::Tensor& t, F&& f) {
  if (t.dtype == "int64") return f(tally::tensor_view<const std::int64_t>(t.i64.data(), to_shape(t)));
  if (t.dtype == "uint8") return f(tally::tensor_view<const std::uint8_t>(t.u8.data(), to_shape(t)));
  if (t.dtype == "float32") return f(tally::tensor_view<const float>(t.f32.data(), to_shape(t)));
  throw tc::setup_error("unsupported preds dtype " + t.dtype);
}

// Targets are integral (a floating target is a compile-time error in tally). torchmetrics also
// takes a float32 target holding whole numbers; a tally user casts it to integers first, and so
// does the harness (any other float target is a harness failure).
template <class F>
void with_target_view(const tc::Tensor& t, F&& f) {
  if (t.dtype == "int64") return f(tally::tensor_view<const std::int64_t>(t.i64.data(), to_shape(t)));
  if (t.dtype == "uint8") return f(tally::tensor_view<const std::uint8_t>(t.u8.data(), to_shape(t)));
  if (t.dtype == "float32" &&
      std::all_of(t.f32.begin(), t.f32.end(), [](float v) { return v == static_cast<float>(static_cast<std::int64_t>(v)); })) {
    const std::vector<std::int64_t> cast(t.f32.begin(), t.f32.end());
    return f(tally::tensor_view<const std::int64_t>(cast.data(), to_shape(t)));
  }
  throw tc::setup_error("unsupported target dtype " + t.dtype + " (tally targets are integral)");
}

enum class Stage { init = 0, update = 1, compute = 2, done = 3 };

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::init: return "init";
    case Stage::update: return "update";
    case Stage::compute: return "compute";
    case Stage::done: return "done";
  }
  return "?";
}

struct Outcome {
  Stage stage = Stage::init;  // where it stopped; done = compute() returned
  std::size_t update_index = 0;  // which update threw (stage == update)
  bool tally_error = false;      // stopped by tally::error
  std::string what;              // exception message
  std::vector<std::size_t> shape;
  std::vector<double> values;
  std::optional<tc::Curves> curves;  // what a curve metric returned

  [[nodiscard]] std::string describe() const {
    if (stage == Stage::done && curves) return tc::describe(*curves);
    if (stage == Stage::done) return "shape " + tc::format_shape(shape) + " " +
                                     tc::format_values(values.begin(), values.end());
    std::string where = stage_name(stage);
    if (stage == Stage::update) where += " " + std::to_string(update_index);
    return std::string(tally_error ? "tally::error" : "NON-tally exception") + " at " + where +
           ": " + what;
  }
};

void store(Outcome& out, const tally::Result& r) {
  out.shape.assign(r.shape().begin(), r.shape().end());
  out.values.assign(r.begin(), r.end());
}
void store(Outcome& out, const tally::RocCurve& c) {
  out.curves.emplace();
  out.curves->curves.push_back({c.fpr, c.tpr, c.thresholds});
}
void store(Outcome& out, const tally::PrCurve& c) {
  out.curves.emplace();
  out.curves->curves.push_back({c.precision, c.recall, c.thresholds});
}
template <class Curve>
void store(Outcome& out, const std::vector<Curve>& v) {
  Outcome one;
  tc::Curves all;
  for (const Curve& c : v) {
    store(one, c);
    all.curves.push_back(one.curves->curves[0]);
  }
  all.per_class = v.size() != 1;
  out.curves = std::move(all);
}

// The outcome against a value expectation; empty when they match.
std::string compare_outcome(const tc::Expected& e, const Outcome& o) {
  if (!e.kind.empty()) {
    if (!o.curves) return "expected " + e.kind + " of tensors; got a single result";
    return tc::compare_curves(e, *o.curves);
  }
  if (o.curves) return "expected one tensor; got curves";
  return tc::compare_values(e, o.shape, o.values);
}

template <class Make>
Outcome run_metric(const Make& make, const std::vector<tc::Update>& updates,
                   const std::vector<std::size_t>& which) {
  Outcome out;
  try {
    out.stage = Stage::init;
    auto metric = make();
    out.stage = Stage::update;
    for (std::size_t i : which) {
      out.update_index = i;
      const tc::Update& u = updates[i];
      with_preds_view(u.preds, [&](auto preds) {
        with_target_view(u.target, [&](auto target) { metric.update(preds, target); });
      });
    }
    out.stage = Stage::compute;
    store(out, metric.compute());
    out.stage = Stage::done;
  } catch (const tally::error& e) {
    out.tally_error = true;
    out.what = e.what();
  } catch (const tc::setup_error&) {
    throw;  // a harness problem, reported as such
  } catch (const std::exception& e) {
    out.what = std::string(typeid(e).name()) + ": " + e.what();
  } catch (...) {
    out.what = "unknown exception";
  }
  return out;
}

struct CaseReport {
  std::vector<std::string> failures;
  std::vector<std::string> notes;  // accepted differences (tally rejects earlier than torch)
  std::size_t squeezed_per_update = 0;
};

// Checks an outcome against an error expectation. Returns a failure text (empty when fine);
// an earlier rejection than torchmetrics' is accepted and described in `note`.
std::string check_error(const tc::Expected& e, const Outcome& o, std::string& note) {
  if (o.stage == Stage::done) return "expected " + tc::describe(e) + "; tally returned " + o.describe();
  if (!o.tally_error) return "expected tally::error; got " + o.describe();
  if (e.stage.empty()) return {};  // per-update error: any stage
  const Stage want = e.stage == "init" ? Stage::init : e.stage == "update" ? Stage::update
                                                                          : Stage::compute;
  const bool later = o.stage > want || (o.stage == want && want == Stage::update &&
                                        e.update_index && o.update_index > *e.update_index);
  if (later) return "expected " + tc::describe(e) + "; tally threw later: " + o.describe();
  const bool earlier = o.stage < want || (o.stage == want && want == Stage::update &&
                                          e.update_index && o.update_index < *e.update_index);
  if (earlier) note = "torch raises at " + e.stage +
                      (e.update_index ? " " + std::to_string(*e.update_index) : std::string()) +
                      ", tally at " + stage_name(o.stage) +
                      (o.stage == Stage::update ? " " + std::to_string(o.update_index) : "") +
                      " (" + o.what + ")";
  return {};
}

bool samplewise_case(const tc::Case& c) {
  auto it = c.params.find("multidim_average");
  return it != c.params.end() && it->is_string() && it->get<std::string>() == "samplewise";
}

template <class Make>
CaseReport evaluate_case(const tc::Case& c, const Make& make) {
  CaseReport r;
  std::vector<std::size_t> all(c.updates.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;

  const Outcome o = run_metric(make, c.updates, all);
  if (c.expected.is_error) {
    std::string note;
    std::string f = check_error(c.expected, o, note);
    if (!f.empty()) r.failures.push_back(std::move(f));
    if (!note.empty()) r.notes.push_back(std::move(note));
    return r;
  }
  if (o.stage != Stage::done) {
    r.failures.push_back("expected " + tc::describe(c.expected) + "; got " + o.describe());
  } else if (auto d = compare_outcome(c.expected, o); !d.empty()) {
    r.failures.push_back(d + "\n    expected " + tc::describe(c.expected) + "\n    actual   " +
                         o.describe());
  }

  if (!c.per_update) return r;
  for (std::size_t i = 0; i < c.updates.size(); ++i) {
    tc::Expected e = (*c.per_update)[i];
    const Outcome oi = run_metric(make, c.updates, {i});
    const std::string label = "per-update " + std::to_string(i) + ": ";
    if (e.is_error) {
      std::string note;
      std::string f = check_error(e, oi, note);
      if (!f.empty()) r.failures.push_back(label + f);
      continue;
    }
    if (oi.stage != Stage::done) {
      r.failures.push_back(label + "expected " + tc::describe(e) + "; got " + oi.describe());
      continue;
    }
    // torchmetrics' forward() drops the sample axis of a 1-sample batch in samplewise mode
    // (docs/semantics.md 7.1: tally keeps it). Accept (1, ...) for such a batch.
    const auto& ps = c.updates[i].preds.shape;
    if (samplewise_case(c) && !ps.empty() && ps[0] == 1 && oi.shape.size() == e.shape.size() + 1 &&
        oi.shape[0] == 1 && std::equal(e.shape.begin(), e.shape.end(), oi.shape.begin() + 1)) {
      e.shape.insert(e.shape.begin(), 1);
      ++r.squeezed_per_update;
    }
    if (auto d = compare_outcome(e, oi); !d.empty())
      r.failures.push_back(label + d + "\n    expected " + tc::describe(e) + "\n    actual   " +
                           oi.describe());
  }
  return r;
}

// Cases where tally deliberately differs from torchmetrics in a way the reference data cannot
// mark (docs/semantics.md lists them); nullptr for every other case. They are skipped and named.
const char* documented_difference(const tc::Case& c) {
  auto it = c.params.find("num_classes");
  if (c.task == "multiclass" && it != c.params.end() && it->is_null() && !c.expected.is_error)
    return "torchmetrics takes num_classes = None with average micro; tally needs num_classes";
  return nullptr;
}

std::string case_header(const tc::Case& c) {
  std::string h = c.id + " (" + c.cls + ") params " + c.params.dump();
  if (c.uses_fixed) h += "\n  [expected_fixed: " + c.fixed_reason + "]";
  if (!c.tags.empty()) {
    h += "\n  tags:";
    for (const auto& t : c.tags) h += " " + t;
  }
  return h;
}

// Runs every case of one file; each failure is one FAIL_CHECK (the others still run).
void run_conformance_file(const std::string& file, const std::string& dir = conformance_dir()) {
  if (dir.empty()) {
    FAIL_CHECK("TALLY_CONFORMANCE_DIR is not defined: the build must pass the conformance path");
    return;
  }
  const std::string path = dir + "/" + file;
  std::vector<tc::Case> cases;
  try {
    cases = tc::load_cases(path);
  } catch (const std::exception& e) {
    FAIL_CHECK("cannot load " << path << ": " << e.what());
    return;
  }
  const std::string stem = file.substr(0, file.size() - 5);  // drop ".json"
  std::size_t ran = 0, passed = 0, skipped = 0, squeezed = 0;
  std::vector<std::string> failures, notes;
  for (const tc::Case& c : cases) {
    if (c.task + "__" + c.metric != stem) {
      failures.push_back(c.id + ": task/metric " + c.task + "/" + c.metric + " in file " + file);
      continue;
    }
    if (c.has_tag("uint8_negative_ignore_index")) {  // torch's uint8 wrap-around: out of contract
      ++skipped;
      continue;
    }
    if (const char* why = documented_difference(c)) {
      ++skipped;
      notes.push_back(c.id + ": documented difference: " + why);
      continue;
    }
    ++ran;
    CaseReport r;
    try {
      visit_metric(c, [&](const auto& make) { r = evaluate_case(c, make); });
    } catch (const tc::unrepresentable& e) {
      if (!c.expected.is_error)
        r.failures.push_back(std::string("HARNESS/DATA: ") + e.what());
      else
        r.notes.push_back(std::string("rejected by the C++ types: ") + e.what());
    } catch (const tc::setup_error& e) {
      r.failures.push_back(std::string("HARNESS/DATA: ") + e.what());
    }
    squeezed += r.squeezed_per_update;
    for (auto& n : r.notes) notes.push_back(c.id + ": " + n);
    if (r.failures.empty()) {
      ++passed;
      continue;
    }
    std::string msg = case_header(c) + "\n  inputs:" + tc::describe_updates(c);
    for (const auto& f : r.failures) msg += "\n  FAIL " + f;
    failures.push_back(std::move(msg));
  }
  for (const auto& f : failures) FAIL_CHECK(f);
  std::cout << "conformance " << file << ": " << passed << " passed, " << skipped << " skipped, "
            << (ran - passed) << " failed (" << cases.size() << " cases";
  if (squeezed) std::cout << "; " << squeezed << " per-update results accepted as (1, ...)";
  std::cout << ")\n";
  for (const auto& n : notes) std::cout << "  accepted: " << n << "\n";
  std::cout.flush();
  INFO("cases run from " << path);
  CHECK(ran > 0);
}

}  // namespace

#define TALLY_CONFORMANCE_FILE_TEST(name) \
  TEST_CASE("conformance: " name, "[conformance]") { run_conformance_file(name); }

TALLY_CONFORMANCE_FILE_TEST("binary__stat_scores.json")
TALLY_CONFORMANCE_FILE_TEST("binary__confusion_matrix.json")
TALLY_CONFORMANCE_FILE_TEST("binary__precision.json")
TALLY_CONFORMANCE_FILE_TEST("binary__recall.json")
TALLY_CONFORMANCE_FILE_TEST("binary__specificity.json")
TALLY_CONFORMANCE_FILE_TEST("binary__accuracy.json")
TALLY_CONFORMANCE_FILE_TEST("binary__f1.json")
TALLY_CONFORMANCE_FILE_TEST("binary__fbeta.json")
TALLY_CONFORMANCE_FILE_TEST("binary__jaccard.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__stat_scores.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__confusion_matrix.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__precision.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__recall.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__specificity.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__accuracy.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__f1.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__fbeta.json")
TALLY_CONFORMANCE_FILE_TEST("multiclass__jaccard.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__stat_scores.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__confusion_matrix.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__precision.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__recall.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__specificity.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__accuracy.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__f1.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__fbeta.json")
TALLY_CONFORMANCE_FILE_TEST("multilabel__jaccard.json")
#ifdef TALLY_CONFORMANCE_HAS_DICE
TALLY_CONFORMANCE_FILE_TEST("segmentation__dice_score.json")
#endif

#define TALLY_CONFORMANCE2_FILE_TEST(name)                 \
  TEST_CASE("conformance2: " name, "[conformance]") { \
    run_conformance_file(name, conformance2_dir());   \
  }

TALLY_CONFORMANCE2_FILE_TEST("binary__matthews_corrcoef.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__matthews_corrcoef.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__matthews_corrcoef.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__cohen_kappa.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__cohen_kappa.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__hamming_distance.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__hamming_distance.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__hamming_distance.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__exact_match.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__exact_match.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__negative_predictive_value.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__negative_predictive_value.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__negative_predictive_value.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__roc.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__roc.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__roc.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__precision_recall_curve.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__precision_recall_curve.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__precision_recall_curve.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__auroc.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__auroc.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__auroc.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__average_precision.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__average_precision.json")
TALLY_CONFORMANCE2_FILE_TEST("multilabel__average_precision.json")
TALLY_CONFORMANCE2_FILE_TEST("binary__calibration_error.json")
TALLY_CONFORMANCE2_FILE_TEST("multiclass__calibration_error.json")
#ifdef TALLY_CONFORMANCE_HAS_DICE
TALLY_CONFORMANCE2_FILE_TEST("segmentation__mean_iou.json")
TALLY_CONFORMANCE2_FILE_TEST("segmentation__generalized_dice.json")
#endif

TEST_CASE("conformance: the copied second-wave case files are the ones run", "[conformance]") {
  namespace fs = std::filesystem;
  const std::string dir = conformance2_dir();
  REQUIRE(fs::is_directory(dir));
  const std::set<std::string> wanted(conformance2_files().begin(), conformance2_files().end());
  for (const auto& f : wanted) {
    INFO("missing conformance2 file " << f);
    CHECK(fs::is_regular_file(fs::path(dir) / f));
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    INFO("conformance2 file " << name << " is not run by test_conformance.cpp");
    CHECK(wanted.count(name) == 1);
  }
}

TEST_CASE("conformance: the copied case files are complete", "[conformance]") {
  namespace fs = std::filesystem;
  const std::string dir = conformance_dir();
  INFO("TALLY_CONFORMANCE_DIR = '" << dir << "'");
  REQUIRE(!dir.empty());
  REQUIRE(fs::is_directory(dir));
  std::set<std::string> wanted{"segmentation__dice_score.json"};
  for (const auto& t : conformance_tasks())
    for (const auto& m : conformance_metrics()) wanted.insert(t + "__" + m + ".json");
  for (const auto& f : wanted) {
    INFO("missing conformance file " << f);
    CHECK(fs::is_regular_file(fs::path(dir) / f));
  }
  // A case file this test does not know would never run: fail so that it gets a TEST_CASE.
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    INFO("conformance file " << name << " is not run by test_conformance.cpp");
    CHECK(wanted.count(name) == 1);
  }
}
