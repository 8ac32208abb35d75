// Test-only helpers for test_conformance.cpp: reading the conformance cases (tests/conformance/
// *.json, format in tests/conformance/README.md), reading their params strictly, comparing a
// tally::Result with an expectation and printing both. Nothing here knows about metric classes.
#ifndef TALLY_TESTS_CONFORMANCE_IO_HPP
#define TALLY_TESTS_CONFORMANCE_IO_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tally_conformance {

using json = nlohmann::json;

/// A problem of the harness or of the data (malformed case, unknown param, unsupported dtype):
/// never a tally::error, always a failure of the case.
struct setup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A param value C++ cannot express (a non-integer ignore_index): tally's types reject it at
/// compile time, which the harness counts as a rejection at construction.
struct unrepresentable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One input tensor, stored in the element type named by its dtype.
struct Tensor {
  std::string dtype;  // "int64", "uint8" or "float32"
  std::vector<std::size_t> shape;
  std::vector<std::int64_t> i64;
  std::vector<std::uint8_t> u8;
  std::vector<float> f32;
  std::size_t numel = 0;
};

struct Update {
  Tensor preds;
  Tensor target;
};

/// Either a value (shape, dtype, flat data with NaN for null) or an error expectation.
struct Expected {
  bool is_error = false;
  std::string error;                        // torchmetrics' message
  std::string stage;                        // "init", "update", "compute" ("" in per-update lists)
  std::optional<std::size_t> update_index;  // for stage "update", when given
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<double> data;
  // Results of several tensors (curves): kind "tuple" or "list", one Expected per item, each
  // a value or again a tuple / list (../shared/conformance2/README.md).
  std::string kind;
  std::vector<Expected> items;
};

struct Case {
  std::string id, metric, task, cls, note, fixed_reason;
  json params;
  std::vector<Update> updates;
  Expected expected;  // expected_fixed when present, else expected
  bool uses_fixed = false;
  std::optional<std::vector<Expected>> per_update;  // the list to check, if any (see load_cases)
  std::vector<std::string> tags;

  [[nodiscard]] bool has_tag(const std::string& t) const {
    for (const auto& x : tags)
      if (x == t) return true;
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// Parsing

inline std::vector<std::size_t> parse_shape(const json& j, const std::string& what) {
  if (!j.is_array()) throw setup_error(what + ": shape is not a list");
  std::vector<std::size_t> s;
  for (const auto& e : j) {
    if (!e.is_number_integer() || e.get<std::int64_t>() < 0)
      throw setup_error(what + ": bad shape extent " + e.dump());
    s.push_back(static_cast<std::size_t>(e.get<std::int64_t>()));
  }
  return s;
}

inline std::size_t shape_numel(const std::vector<std::size_t>& s) {
  std::size_t n = 1;
  for (auto e : s) n *= e;
  return n;  // 1 for rank 0
}

inline Tensor parse_tensor(const json& j, const std::string& what) {
  if (!j.is_object()) throw setup_error(what + " is not an object");
  Tensor t;
  t.dtype = j.at("dtype").get<std::string>();
  t.shape = parse_shape(j.at("shape"), what);
  t.numel = shape_numel(t.shape);
  const json& data = j.at("data");
  if (!data.is_array() || data.size() != t.numel)
    throw setup_error(what + ": data has " + std::to_string(data.size()) +
                      " elements, shape needs " + std::to_string(t.numel));
  for (const auto& e : data) {
    if (t.dtype == "int64") {
      if (!e.is_number_integer()) throw setup_error(what + ": non-integer int64 " + e.dump());
      t.i64.push_back(e.get<std::int64_t>());
    } else if (t.dtype == "uint8") {
      if (!e.is_number_integer() || e.get<std::int64_t>() < 0 || e.get<std::int64_t>() > 255)
        throw setup_error(what + ": bad uint8 " + e.dump());
      t.u8.push_back(static_cast<std::uint8_t>(e.get<std::int64_t>()));
    } else if (t.dtype == "float32") {
      if (e.is_null())
        t.f32.push_back(std::numeric_limits<float>::quiet_NaN());
      else if (e.is_number())
        t.f32.push_back(static_cast<float>(e.get<double>()));
      else
        throw setup_error(what + ": bad float32 " + e.dump());
    } else {
      throw setup_error(what + ": unsupported dtype '" + t.dtype + "'");
    }
  }
  return t;
}

inline Expected parse_expected(const json& j, const std::string& what) {
  if (!j.is_object()) throw setup_error(what + " is not an object");
  Expected e;
  if (j.contains("error")) {
    e.is_error = true;
    e.error = j.at("error").is_string() ? j.at("error").get<std::string>() : j.at("error").dump();
    e.stage = j.value("stage", std::string());
    if (!e.stage.empty() && e.stage != "init" && e.stage != "update" && e.stage != "compute")
      throw setup_error(what + ": unknown error stage '" + e.stage + "'");
    if (j.contains("update_index") && !j.at("update_index").is_null())
      e.update_index = j.at("update_index").get<std::size_t>();
    return e;
  }
  if (j.contains("kind")) {
    e.kind = j.at("kind").get<std::string>();
    if (e.kind != "tuple" && e.kind != "list")
      throw setup_error(what + ": unknown result kind '" + e.kind + "'");
    const json& items = j.at("items");
    if (!items.is_array()) throw setup_error(what + ": items is not a list");
    for (std::size_t i = 0; i < items.size(); ++i)
      e.items.push_back(parse_expected(items[i], what + "[" + std::to_string(i) + "]"));
    return e;
  }
  e.dtype = j.at("dtype").get<std::string>();
  e.shape = parse_shape(j.at("shape"), what);
  const json& data = j.at("data");
  if (!data.is_array() || data.size() != shape_numel(e.shape))
    throw setup_error(what + ": data size does not match its shape");
  for (const auto& v : data) {
    if (v.is_null())
      e.data.push_back(std::numeric_limits<double>::quiet_NaN());
    else if (v.is_number())
      e.data.push_back(v.get<double>());
    else
      throw setup_error(what + ": bad value " + v.dump());
  }
  return e;
}

/// Reads one `<task>__<metric>.json` list. Per-update expectations are kept only where they are
/// the contract: `expected_fixed_per_update` with `expected_fixed`; `expected_per_update` when
/// there is no fix and the overall expectation is a value (torchmetrics' per-batch values of a
/// fixed case may carry the bug).
inline std::vector<Case> load_cases(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw setup_error("cannot open " + path);
  json all;
  try {
    all = json::parse(in);
  } catch (const json::exception& e) {
    throw setup_error(path + ": JSON parse error: " + e.what());
  }
  if (!all.is_array()) throw setup_error(path + ": not a JSON list");
  std::vector<Case> cases;
  for (const auto& j : all) {
    Case c;
    c.id = j.value("id", std::string("<no id>"));
    try {
      c.metric = j.at("metric").get<std::string>();
      c.task = j.at("task").get<std::string>();
      c.cls = j.value("class", std::string());
      c.note = j.value("note", std::string());
      c.fixed_reason = j.value("fixed_reason", std::string());
      c.params = j.value("params", json::object());
      if (j.contains("tags"))
        for (const auto& t : j.at("tags")) c.tags.push_back(t.get<std::string>());
      const json& ups = j.at("updates");
      for (std::size_t i = 0; i < ups.size(); ++i) {
        const std::string w = c.id + " updates[" + std::to_string(i) + "]";
        c.updates.push_back({parse_tensor(ups[i].at("preds"), w + ".preds"),
                             parse_tensor(ups[i].at("target"), w + ".target")});
      }
      c.uses_fixed = j.contains("expected_fixed");
      c.expected = parse_expected(c.uses_fixed ? j.at("expected_fixed") : j.at("expected"),
                                  c.id + (c.uses_fixed ? " expected_fixed" : " expected"));
      const char* pu_key = nullptr;
      if (c.uses_fixed) {
        if (j.contains("expected_fixed_per_update")) pu_key = "expected_fixed_per_update";
      } else if (!c.expected.is_error && j.contains("expected_per_update")) {
        pu_key = "expected_per_update";
      }
      if (pu_key != nullptr && !j.at(pu_key).is_null()) {
        std::vector<Expected> pu;
        const json& list = j.at(pu_key);
        for (std::size_t i = 0; i < list.size(); ++i)
          pu.push_back(parse_expected(list[i], c.id + " " + pu_key + "[" + std::to_string(i) + "]"));
        if (pu.size() != c.updates.size())
          throw setup_error(std::string(pu_key) + " has " + std::to_string(pu.size()) +
                            " entries for " + std::to_string(c.updates.size()) + " updates");
        c.per_update = std::move(pu);
      }
    } catch (const json::exception& e) {
      throw setup_error(path + ": case " + c.id + " is malformed: " + e.what());
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Params: every key must be read by the harness, else the case fails (finish()).

class Params {
 public:
  Params(const json& p, std::string id) : p_(p), id_(std::move(id)) {
    if (!p_.is_object()) throw setup_error(id_ + ": params is not an object");
  }

  /// The value of `key`, or nullptr when absent; marks the key as known.
  const json* take(const std::string& key) {
    used_.insert(key);
    auto it = p_.find(key);
    return it == p_.end() ? nullptr : &*it;
  }

  [[nodiscard]] std::string bad(const std::string& key, const json& v) const {
    return id_ + ": param " + key + " = " + v.dump() + " is not understood by the harness";
  }

  /// null (torchmetrics' None for num_classes / num_labels) maps to 0, tally's "not given".
  std::optional<std::int64_t> integer(const std::string& key) {
    const json* v = take(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_null()) return std::int64_t{0};
    if (!v->is_number_integer()) throw setup_error(bad(key, *v));
    return v->get<std::int64_t>();
  }

  /// Absent or null -> nullopt (torchmetrics' ignore_index=None).
  std::optional<std::int64_t> nullable_integer(const std::string& key, bool& present) {
    const json* v = take(key);
    present = v != nullptr;
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (v->is_number_float()) throw unrepresentable(bad(key, *v) + ": not an integer");
    if (!v->is_number_integer()) throw setup_error(bad(key, *v));
    return v->get<std::int64_t>();
  }

  /// null maps to NaN (the only way JSON can say "not a number").
  std::optional<double> number(const std::string& key) {
    const json* v = take(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v->is_number()) throw setup_error(bad(key, *v));
    return v->get<double>();
  }

  std::optional<bool> boolean(const std::string& key) {
    const json* v = take(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) throw setup_error(bad(key, *v));
    return v->get<bool>();
  }

  /// Maps a string (or null, spelled "null" in `table`) through `table`.
  template <class E>
  std::optional<E> choice(const std::string& key,
                          const std::vector<std::pair<std::string, E>>& table) {
    const json* v = take(key);
    if (v == nullptr) return std::nullopt;
    const std::string s = v->is_null() ? std::string("null")
                          : v->is_string() ? v->get<std::string>()
                                           : std::string("<non-string>");
    for (const auto& [name, value] : table)
      if (name == s) return value;
    // An unknown name (torchmetrics rejects it): the C++ equivalent is an enum value outside
    // the enumerators, which tally's constructors reject.
    if (v->is_string()) return static_cast<E>(1000);
    throw setup_error(bad(key, *v));
  }

  /// Fails when a key was never asked for: the harness would otherwise silently drop it.
  void finish() const {
    std::string unknown;
    for (auto it = p_.begin(); it != p_.end(); ++it)
      if (used_.count(it.key()) == 0) unknown += (unknown.empty() ? "" : ", ") + it.key();
    if (!unknown.empty())
      throw setup_error(id_ + ": unknown param(s) for this task/metric: " + unknown +
                        " (params " + p_.dump() + ")");
  }

 private:
  const json& p_;
  std::string id_;
  std::set<std::string> used_;
};

// ---------------------------------------------------------------------------------------------
// Printing and comparing

inline std::string format_shape(const std::vector<std::size_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

template <class It>
std::string format_values(It first, It last, std::size_t limit = 48) {
  std::ostringstream out;
  out.precision(9);
  out << '[';
  std::size_t n = 0;
  for (; first != last; ++first, ++n) {
    if (n == limit) {
      out << ", ...";
      std::size_t rest = 0;
      for (; first != last; ++first) ++rest;
      out << " (" << (n + rest) << " values)";
      break;
    }
    if (n) out << ", ";
    const double v = static_cast<double>(*first);
    if (std::isnan(v))
      out << "nan";
    else
      out << v;
  }
  out << ']';
  return out.str();
}

inline std::string describe(const Tensor& t) {
  std::string v;
  if (t.dtype == "int64") v = format_values(t.i64.begin(), t.i64.end());
  if (t.dtype == "uint8") v = format_values(t.u8.begin(), t.u8.end());
  if (t.dtype == "float32") v = format_values(t.f32.begin(), t.f32.end());
  return format_shape(t.shape) + " " + t.dtype + " " + v;
}

inline std::string describe(const Expected& e) {
  if (e.is_error)
    return "error at " + (e.stage.empty() ? std::string("any stage") : e.stage) +
           (e.update_index ? " (update " + std::to_string(*e.update_index) + ")" : "") + ": " +
           e.error;
  if (!e.kind.empty()) {
    std::string r = e.kind + "(";
    for (std::size_t i = 0; i < e.items.size(); ++i) r += (i ? ", " : "") + describe(e.items[i]);
    return r + ")";
  }
  return "shape " + format_shape(e.shape) + " " + e.dtype + " " +
         format_values(e.data.begin(), e.data.end());
}

inline std::string describe_updates(const Case& c) {
  std::string out;
  for (std::size_t i = 0; i < c.updates.size(); ++i)
    out += "\n    update " + std::to_string(i) + ": preds " + describe(c.updates[i].preds) +
           "\n              target " + describe(c.updates[i].target);
  return out;
}

/// Relative tolerance 1e-5, absolute 1e-5 below 1; NaN only matches NaN. An int64 expectation
/// (StatScores micro/none, unnormalized ConfusionMatrix) is exact counts and must match exactly.
inline bool value_matches(double expected, double actual, bool exact) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (std::isnan(actual)) return false;
  if (exact) return expected == actual;
  const double tol = std::fabs(expected) < 1.0 ? 1e-5 : 1e-5 * std::fabs(expected);
  return std::fabs(actual - expected) <= tol;
}

/// Empty when `actual` (shape + values) matches `e`, else what differs.
inline std::string compare_values(const Expected& e, const std::vector<std::size_t>& shape,
                                  const std::vector<double>& values) {
  if (shape != e.shape)
    return "shape differs: expected " + format_shape(e.shape) + ", got " + format_shape(shape);
  if (values.size() != e.data.size()) return "value count differs";
  std::string diff;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (value_matches(e.data[i], values[i], e.dtype == "int64")) continue;
    if (bad++ < 4) {
      std::ostringstream o;
      o.precision(9);
      o << (diff.empty() ? "" : "; ") << "[" << i << "] expected " << e.data[i] << " got "
        << values[i];
      diff += o.str();
    }
  }
  if (bad == 0) return {};
  return std::to_string(bad) + " value(s) differ: " + diff;
}

/// Curves as tally returns them, for comparison with a (tuple of 3) expectation: one curve
/// (Binary, micro, macro) or one per class, each three vectors (fpr, tpr, thresholds or
/// precision, recall, thresholds).
struct Curves {
  bool per_class = false;
  std::vector<std::vector<std::vector<double>>> curves;  // [curve][component][point]
};

inline std::string describe(const Curves& c) {
  std::string r = c.per_class ? "per-class[" : "curve[";
  for (std::size_t i = 0; i < c.curves.size(); ++i) {
    r += i ? "; (" : "(";
    for (std::size_t k = 0; k < c.curves[i].size(); ++k)
      r += (k ? ", " : "") + format_values(c.curves[i][k].begin(), c.curves[i][k].end());
    r += ")";
  }
  return r + "]";
}

/// Empty when the curves match a tuple of three: each item a list with one tensor per class,
/// a (C, n) tensor of per-class rows, or a (n) tensor (one curve, or thresholds shared by
/// every class).
inline std::string compare_curves(const Expected& e, const Curves& a) {
  if (e.kind != "tuple" || e.items.size() != 3) return "expected a tuple of 3; got curves";
  if (a.curves.empty()) return "no curve returned";
  std::string out;
  for (std::size_t k = 0; k < 3; ++k) {
    const Expected& item = e.items[k];
    const std::string at = "item " + std::to_string(k) + ": ";
    std::string d;
    if (item.kind == "list") {
      if (item.items.size() != a.curves.size()) {
        d = "expected " + std::to_string(item.items.size()) + " per-class tensors, got " +
            std::to_string(a.curves.size()) + " curves";
      } else {
        for (std::size_t c = 0; c < item.items.size() && d.empty(); ++c) {
          const std::vector<double>& v = a.curves[c][k];
          d = compare_values(item.items[c], {v.size()}, v);
          if (!d.empty()) d = "class " + std::to_string(c) + ": " + d;
        }
      }
    } else if (item.shape.size() == 2) {
      std::vector<double> rows;
      const std::size_t n = a.curves[0][k].size();
      for (const auto& cv : a.curves) {
        if (cv[k].size() != n) d = "per-class curves of different lengths";
        rows.insert(rows.end(), cv[k].begin(), cv[k].end());
      }
      if (d.empty()) d = compare_values(item, {a.curves.size(), n}, rows);
    } else {
      const auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
        return true;
      };
      for (const auto& cv : a.curves)
        if (!same(cv[k], a.curves[0][k])) d = "one tensor expected but the curves differ here";
      const std::vector<double>& v = a.curves[0][k];
      if (d.empty()) d = compare_values(item, {v.size()}, v);
    }
    if (!d.empty()) out += (out.empty() ? "" : "; ") + at + d;
  }
  return out;
}

}  // namespace tally_conformance

#endif  // TALLY_TESTS_CONFORMANCE_IO_HPP
