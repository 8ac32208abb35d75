// The bad-input catalogue as tables (docs/semantics.md sections 1, 3, 6.1, 6.4). Every row is one
// rejected option or input, run against every metric type it applies to. Each check asserts:
//  - exactly tally::error is thrown, and its message contains the listed parts: the argument or
//    tensor, the bad value, the flat index of the first offending element (a part ending in a
//    digit must not be followed by another digit, so "at index 1" does not match "at index 12"),
//    and what was expected;
//  - for update / merge / load: the accumulator, which already holds counts, is unchanged (its
//    save() bytes, counts(), operator== and compute() are compared before and after), and a
//    following valid update gives exactly what a fresh accumulator gives for the same valid input.
// Value errors are placed at the first, a middle and the last element, in short inputs (scalar
// paths) and long ones (> 64 elements, the bad value after the first SIMD block; scores past the
// first 4096-position block), and in batches above the 1M-element threshold with
// tally::parallel{2}. The "catalogue: summary" test prints how many rows and checks there are.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::AggregationLevel;
using tally::Average;
using tally::Binary;
using tally::InputFormat;
using tally::Multiclass;
using tally::MultidimAverage;
using tally::Multilabel;
using tally::Normalize;
using tally::Shape;

// ---------------------------------------------------------------------------------------------
// Catalogue machinery
// ---------------------------------------------------------------------------------------------

struct outcome {
  enum kind_t { nothing, tally_error, other_exception } thrown = nothing;
  std::string what;
  bool state_unchanged = true;
  bool still_usable = true;
};

// One check: a bad input (row) against one metric type.
struct entry {
  std::string row;     // the bad input and its configuration, without the metric type
  std::string metric;  // the metric type it runs against
  std::vector<std::string> parts;
  std::function<outcome()> run;
};

using catalogue = std::vector<entry>;

bool has_part(const std::string& msg, const std::string& part) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t pos = msg.find(part); pos != std::string::npos; pos = msg.find(part, pos + 1)) {
    const std::size_t end = pos + part.size();
    if (!part.empty() && digit(part.back()) && end < msg.size() && digit(msg[end])) continue;
    return true;
  }
  return false;
}

void run_catalogue(const catalogue& entries) {
  REQUIRE_FALSE(entries.empty());
  for (const entry& e : entries) {
    INFO("row: " << e.row << " / metric: " << e.metric);
    const outcome o = e.run();
    INFO("message: " << o.what);
    CHECK(o.thrown == outcome::tally_error);
    for (const std::string& p : e.parts) {
      INFO("expected in the message: " << p);
      CHECK(has_part(o.what, p));
    }
    CHECK(o.state_unchanged);
    CHECK(o.still_usable);
  }
}

template <class F>
outcome capture(F&& f) {
  outcome o;
  try {
    f();
  } catch (const tally::error& e) {
    o.thrown = outcome::tally_error;
    o.what = e.what();
  } catch (const std::exception& e) {
    o.thrown = outcome::other_exception;
    o.what = std::string("(not a tally::error) ") + e.what();
  }
  return o;
}

// counts() as shape + values, for before/after comparisons.
template <class M>
std::pair<std::vector<std::size_t>, std::vector<std::uint64_t>> counts_of(const M& m) {
  const auto c = m.counts();
  return {std::vector<std::size_t>(c.shape().begin(), c.shape().end()),
          std::vector<std::uint64_t>(c.begin(), c.end())};
}

// The strong-guarantee check of one rejected operation on an accumulator holding counts.
template <class M>
outcome check_rejected(const std::function<M()>& make, const std::function<void(M&)>& good,
                       const std::function<void(M&)>& bad) {
  M m = make();
  good(m);
  const std::string bytes = m.save();
  const auto counts = counts_of(m);
  const M copy = m;
  const tally::Result result = m.compute();
  outcome o = capture([&] { bad(m); });
  o.state_unchanged =
      m.save() == bytes && counts_of(m) == counts && m == copy && m.compute() == result;
  good(m);
  M fresh = make();
  good(fresh);
  good(fresh);
  o.still_usable = m.save() == fresh.save() && m == fresh && m.compute() == fresh.compute();
  return o;
}

template <class M>
entry op_entry(std::string row, std::string metric, std::vector<std::string> parts,
               std::function<M()> make, std::function<void(M&)> good, std::function<void(M&)> bad) {
  return {std::move(row), std::move(metric), std::move(parts),
          [make = std::move(make), good = std::move(good), bad = std::move(bad)] {
            return check_rejected<M>(make, good, bad);
          }};
}

// Constructor (or other stateless) rejections: only the exception and the message are checked.
entry call_entry(std::string row, std::string metric, std::vector<std::string> parts,
                 std::function<void()> f) {
  return {std::move(row), std::move(metric), std::move(parts),
          [f = std::move(f)] { return capture(f); }};
}

// ---------------------------------------------------------------------------------------------
// Tensors and metrics
// ---------------------------------------------------------------------------------------------

// The bad update: serial, or parallel{threads} when threads > 0.
template <class M, class P, class T>
std::function<void(M&)> update_op(const buffer<P>& p, const buffer<T>& t, unsigned threads) {
  return [p, t, threads](M& m) {
    if (threads > 0)
      m.update(p.view(), t.view(), tally::parallel{threads});
    else
      m.update(p.view(), t.view());
  };
}

// f(metric_tag<M>{}, name) for every metric type of Task that accepts options o (JaccardIndex and
// ConfusionMatrix have no samplewise form and no top_k > 1).
template <class Task, class F>
void for_each_metric_taking(const typename Task::Options& o, F&& f) {
  bool stat_only = o.multidim_average == MultidimAverage::samplewise;
  if constexpr (std::is_same_v<Task, Multiclass>) stat_only = stat_only || o.top_k != 1;
  for_each_metric<Task>([&](auto tg, const char* name) {
    using M = typename decltype(tg)::type;
    if (stat_only && !is_stat_family_v<M>) return;
    f(tg, name);
  });
}

template <class Task>
std::string task_prefix() {
  return Task::name;
}

std::string ii_text(const opt_ii& ii) {
  return ii ? "ii " + std::to_string(*ii) : "no ii";
}
std::string md_text(MultidimAverage md) {
  return tally::to_string(md);
}

std::string shape_text(const Shape& s) {
  std::string r = "(";
  for (std::size_t a = 0; a < s.rank(); ++a) r += (a ? ", " : "") + std::to_string(s[a]);
  return r + ")";
}

std::string at_index(std::size_t i) {
  return "at index " + std::to_string(i);
}

// Positions that get the bad value: first, middle, last; in long inputs also one just after the
// first 64-element SIMD block and one in the middle of a later block.
std::vector<std::size_t> positions(std::size_t n) {
  std::vector<std::size_t> out{0, n / 2, n - 1};
  if (n > 256) {
    out.push_back(70);
    out.push_back(n - 100);
  }
  return out;
}

// The valid first update of each task (ints, shape valid for global and samplewise).
struct good_binary {
  template <class M>
  void operator()(M& m) const {
    static const std::vector<int> p{0, 1, 1, 0, 1, 0, 0, 1}, t{0, 1, 0, 0, 1, 1, 0, 1};
    m.update(tally::tensor_view<const int>(p.data(), Shape{2, 4}),
             tally::tensor_view<const int>(t.data(), Shape{2, 4}));
  }
};
struct good_multiclass {  // valid for every C >= 3
  template <class M>
  void operator()(M& m) const {
    static const std::vector<int> p{0, 1, 2, 2, 1, 0, 0, 1}, t{0, 1, 1, 2, 2, 0, 1, 1};
    m.update(tally::tensor_view<const int>(p.data(), Shape{2, 4}),
             tally::tensor_view<const int>(t.data(), Shape{2, 4}));
  }
};
struct good_multiclass_scores {  // for top_k > 1: scores (2, C, 2)
  std::size_t C;
  template <class M>
  void operator()(M& m) const {
    std::vector<double> s(2 * C * 2);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>((i * 7) % 11) / 10.0;
    const std::vector<int> t{0, 1, 2, 1};
    m.update(tally::tensor_view<const double>(s.data(), Shape{2, C, 2}),
             tally::tensor_view<const int>(t.data(), Shape{2, 2}));
  }
};
struct good_multilabel {  // (2, L, 2)
  std::size_t L;
  template <class M>
  void operator()(M& m) const {
    std::vector<int> p(2 * L * 2), t(2 * L * 2);
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] = static_cast<int>((i * 5 + 1) % 3 == 0);
      t[i] = static_cast<int>((i * 3 + 2) % 4 < 2);
    }
    m.update(tally::tensor_view<const int>(p.data(), Shape{2, L, 2}),
             tally::tensor_view<const int>(t.data(), Shape{2, L, 2}));
  }
};

// ---------------------------------------------------------------------------------------------
// A bad update of a given task, and how it becomes entries
// ---------------------------------------------------------------------------------------------

template <class P, class T>
struct bad_update {
  std::string desc;
  buffer<P> preds;
  buffer<T> target;
  std::vector<std::string> parts;
  unsigned threads = 0;
};

template <class Task, class P, class T, class Good>
void add_updates(catalogue& out, const std::string& config, const typename Task::Options& o,
                 const std::vector<bad_update<P, T>>& cases, Good good) {
  for_each_metric_taking<Task>(o, [&](auto tg, const char* name) {
    using M = typename decltype(tg)::type;
    const std::function<M()> make = [o] { return make_metric<M>(o); };
    const std::function<void(M&)> g = good;
    for (const auto& c : cases)
      out.push_back(op_entry<M>(config + ": " + c.desc, name, c.parts, make, g,
                                update_op<M>(c.preds, c.target, c.threads)));
  });
}

// Messages of the value rules (docs/semantics.md 3.2, messages.hpp).
std::vector<std::string> target_parts(long long v, std::size_t i, const std::string& expected,
                                      const opt_ii& ii) {
  std::vector<std::string> parts{"target value " + std::to_string(v), at_index(i), expected};
  parts.push_back(ii ? "and is not ignore_index " + std::to_string(*ii)
                     : "pass ignore_index = " + std::to_string(v));
  return parts;
}
std::vector<std::string> pred_parts(long long v, std::size_t i, const std::string& expected,
                                    const opt_ii& ii) {
  std::vector<std::string> parts{"preds value " + std::to_string(v), at_index(i), expected};
  if (ii && *ii == v) parts.push_back("only where the target is ignored");
  return parts;
}
std::vector<std::string> nan_parts(std::size_t i) {
  return {"preds value NaN", at_index(i), "must not be NaN"};
}

// Bad label candidates: invalid for [0, count), holds_value in T, not the ignore_index.
template <class T>
std::vector<long long> bad_labels(long long count, const opt_ii& ii) {
  std::vector<long long> out;
  for (long long v : {count, -1LL, 255LL, -100LL, count + 1000, 40000LL, -3000000000LL})
    if (v >= count || v < 0)
      if (holds_value<T>(v) && !(ii && *ii == v)) out.push_back(v);
  return out;
}

template <class T>
std::vector<T> kept_at(std::vector<T> t, std::size_t i, const opt_ii& ii) {
  if (ii && holds_value<T>(*ii) && t[i] == static_cast<T>(*ii)) t[i] = T(*ii == 0 ? 1 : 0);
  return t;
}

// ---- binary and multilabel values: {0, 1} targets, labels or probabilities ------------------

// Valid data of n elements; with ii set (and holds_value), every 9th target is ii.
template <class P, class T>
void fill_binary(std::vector<P>& p, std::vector<T>& t, std::size_t n, const opt_ii& ii) {
  p.assign(n, P(0));
  t.assign(n, T(0));
  for (std::size_t i = 0; i < n; ++i) {
    t[i] = static_cast<T>((i * 7 + 3) % 5 < 2);
    if constexpr (std::is_floating_point_v<P>)
      p[i] = static_cast<P>(static_cast<double>((i * 3) % 10) / 10.0);
    else
      p[i] = static_cast<P>((i * 3 + 1) % 4 < 2);
    if (ii && holds_value<T>(*ii) && i % 9 == 4) t[i] = static_cast<T>(*ii);
  }
}

// The value rows of binary (shape (N, R)) or multilabel (shape (N, L, R)) for one (P, T).
template <class P, class T>
std::vector<bad_update<P, T>> binary_value_cases(const Shape& s, const opt_ii& ii,
                                                 unsigned threads = 0, bool all_positions = true) {
  std::vector<bad_update<P, T>> out;
  const std::size_t n = s.numel();
  std::vector<P> p0;
  std::vector<T> t0;
  fill_binary(p0, t0, n, ii);
  const std::string where =
      std::string(" in ") + type_name<P>() + "/" + type_name<T>() + " " + shape_text(s);
  const std::vector<std::size_t> pos =
      all_positions ? positions(n) : std::vector<std::size_t>{n * 3 / 4 + 1};
  const std::vector<long long> bad_t = bad_labels<T>(2, ii);
  const std::vector<long long> bad_p = bad_labels<P>(2, ii);
  const std::string expected = "is not 0 or 1";
  auto add = [&](std::string desc, std::vector<P> p, std::vector<T> t,
                 std::vector<std::string> parts) {
    out.push_back({std::move(desc) + where, make_buffer(std::move(p), s),
                   make_buffer(std::move(t), s), std::move(parts), threads});
  };
  for (std::size_t i : pos) {
    // A kept position for the bad value (the one-in-nine ignored positions are moved away).
    const std::vector<T> t = kept_at(t0, i, ii);
    if (!bad_t.empty()) {
      auto tb = t;
      tb[i] = static_cast<T>(bad_t[0]);
      add("target " + std::to_string(bad_t[0]) + " at " + std::to_string(i), p0, tb,
          target_parts(bad_t[0], i, expected, ii));
    }
    if constexpr (std::is_floating_point_v<P>) {
      auto p = p0;
      p[i] = std::numeric_limits<P>::quiet_NaN();
      add("NaN preds at " + std::to_string(i), p, t, nan_parts(i));
      if (ii && holds_value<T>(*ii)) {
        auto ti = t;
        ti[i] = static_cast<T>(*ii);
        add("NaN preds at ignored " + std::to_string(i), p, ti, nan_parts(i));
      }
    } else if (!bad_p.empty()) {
      auto p = p0;
      p[i] = static_cast<P>(bad_p[0]);
      add("pred label " + std::to_string(bad_p[0]) + " at " + std::to_string(i), p, t,
          pred_parts(bad_p[0], i, "is not 0 or 1 (integral preds are labels", ii));
    }
  }
  if (!all_positions) return out;
  // Every other bad value once, in the middle.
  const std::size_t mid = n / 2;
  const std::vector<T> t = kept_at(t0, mid, ii);
  for (std::size_t k = 1; k < bad_t.size(); ++k) {
    auto tb = t;
    tb[mid] = static_cast<T>(bad_t[k]);
    add("target " + std::to_string(bad_t[k]) + " at " + std::to_string(mid), p0, tb,
        target_parts(bad_t[k], mid, expected, ii));
  }
  if constexpr (!std::is_floating_point_v<P>) {
    for (std::size_t k = 1; k < bad_p.size(); ++k) {
      auto p = p0;
      p[mid] = static_cast<P>(bad_p[k]);
      add("pred label " + std::to_string(bad_p[k]) + " at " + std::to_string(mid), p, t,
          pred_parts(bad_p[k], mid, "is not 0 or 1", ii));
    }
    // A pred equal to an out-of-range ignore_index at a kept position (3.2 rule 3).
    if (ii && (*ii < 0 || *ii > 1) && holds_value<P>(*ii)) {
      auto p = p0;
      p[mid] = static_cast<P>(*ii);
      add("pred equal to ii at kept " + std::to_string(mid), p, t,
          pred_parts(*ii, mid, "is not 0 or 1", ii));
    }
  } else {
    // The first NaN is named when there are several; +-inf around it are valid.
    auto p = p0;
    p[1] = std::numeric_limits<P>::infinity();
    p[mid] = std::numeric_limits<P>::quiet_NaN();
    p[n - 1] = std::numeric_limits<P>::quiet_NaN();
    add("two NaN preds, first at " + std::to_string(mid), p, t, nan_parts(mid));
  }
  return out;
}

// ---- multiclass values ----------------------------------------------------------------------

template <class P, class T>
void fill_labels(std::vector<P>& p, std::vector<T>& t, std::size_t n, std::size_t C,
                 const opt_ii& ii) {
  p.assign(n, P(0));
  t.assign(n, T(0));
  for (std::size_t i = 0; i < n; ++i) {
    t[i] = static_cast<T>((i * 7 + 3) % C);
    p[i] = static_cast<P>((i * 5 + (i % 3 == 0 ? 1 : 0)) % C);
    if (ii && holds_value<T>(*ii) && i % 9 == 4) t[i] = static_cast<T>(*ii);
  }
}

// Label maps of shape s (integral preds), C classes.
template <class P, class T>
std::vector<bad_update<P, T>> multiclass_label_cases(const Shape& s, std::size_t C,
                                                     const opt_ii& ii, unsigned threads = 0,
                                                     bool all_positions = true) {
  std::vector<bad_update<P, T>> out;
  const std::size_t n = s.numel();
  std::vector<P> p0;
  std::vector<T> t0;
  fill_labels(p0, t0, n, C, ii);
  const std::string where = std::string(" in ") + type_name<P>() + "/" + type_name<T>() + " " +
                            shape_text(s) + " C=" + std::to_string(C);
  const std::string expected = "is outside [0, " + std::to_string(C) + ")";
  const auto bad_t = bad_labels<T>(static_cast<long long>(C), ii);
  const auto bad_p = bad_labels<P>(static_cast<long long>(C), ii);
  auto add = [&](std::string desc, std::vector<P> p, std::vector<T> t,
                 std::vector<std::string> parts) {
    out.push_back({std::move(desc) + where, make_buffer(std::move(p), s),
                   make_buffer(std::move(t), s), std::move(parts), threads});
  };
  const std::vector<std::size_t> pos =
      all_positions ? positions(n) : std::vector<std::size_t>{n * 3 / 4 + 1};
  for (std::size_t i : pos) {
    const std::vector<T> t = kept_at(t0, i, ii);
    if (!bad_t.empty()) {
      auto tb = t;
      tb[i] = static_cast<T>(bad_t[0]);
      add("target " + std::to_string(bad_t[0]) + " at " + std::to_string(i), p0, tb,
          target_parts(bad_t[0], i, expected, ii));
    }
    if (!bad_p.empty()) {
      auto p = p0;
      p[i] = static_cast<P>(bad_p[0]);
      add("pred label " + std::to_string(bad_p[0]) + " at " + std::to_string(i), p, t,
          pred_parts(bad_p[0], i, expected, ii));
    }
  }
  if (!all_positions) return out;
  const std::size_t mid = n / 2;
  const std::vector<T> t = kept_at(t0, mid, ii);
  for (std::size_t k = 1; k < bad_t.size(); ++k) {
    auto tb = t;
    tb[mid] = static_cast<T>(bad_t[k]);
    add("target " + std::to_string(bad_t[k]) + " at " + std::to_string(mid), p0, tb,
        target_parts(bad_t[k], mid, expected, ii));
  }
  for (std::size_t k = 1; k < bad_p.size(); ++k) {
    auto p = p0;
    p[mid] = static_cast<P>(bad_p[k]);
    add("pred label " + std::to_string(bad_p[k]) + " at " + std::to_string(mid), p, t,
        pred_parts(bad_p[k], mid, expected, ii));
  }
  if (ii && (*ii < 0 || *ii >= static_cast<long long>(C)) && holds_value<P>(*ii)) {
    auto p = p0;
    p[mid] = static_cast<P>(*ii);
    add("pred equal to ii at kept " + std::to_string(mid), p, t,
        pred_parts(*ii, mid, expected, ii));
  }
  {  // a bad target and, later, a bad pred: the first in flat order is named
    auto tb = t;
    auto p = p0;
    if (!bad_t.empty() && !bad_p.empty() && mid + 1 < n) {
      tb[mid] = static_cast<T>(bad_t[0]);
      p[mid + 1] = static_cast<P>(bad_p[0]);
      add("bad target then bad pred, first at " + std::to_string(mid), p, tb,
          target_parts(bad_t[0], mid, expected, ii));
    }
  }
  return out;
}

// Scores (N, C, R) against target (N, R).
template <class S, class T>
std::vector<bad_update<S, T>> multiclass_score_cases(std::size_t N, std::size_t C, std::size_t R,
                                                     const opt_ii& ii, unsigned threads = 0,
                                                     bool all_positions = true) {
  std::vector<bad_update<S, T>> out;
  const Shape ss{N, C, R}, ts{N, R};
  std::vector<S> s0(N * C * R);
  for (std::size_t i = 0; i < s0.size(); ++i)
    s0[i] = static_cast<S>(static_cast<double>((i * 37 + 11) % 101) / 100.0);
  std::vector<T> t0(N * R);
  for (std::size_t i = 0; i < t0.size(); ++i) {
    t0[i] = static_cast<T>((i * 7 + 3) % C);
    if (ii && holds_value<T>(*ii) && i % 9 == 4) t0[i] = static_cast<T>(*ii);
  }
  const std::string where =
      std::string(" in ") + type_name<S>() + "/" + type_name<T>() + " scores " + shape_text(ss);
  const std::string expected = "is outside [0, " + std::to_string(C) + ")";
  const auto bad_t = bad_labels<T>(static_cast<long long>(C), ii);
  auto add = [&](std::string desc, std::vector<S> s, std::vector<T> t,
                 std::vector<std::string> parts) {
    out.push_back({std::move(desc) + where, make_buffer(std::move(s), ss),
                   make_buffer(std::move(t), ts), std::move(parts), threads});
  };
  const std::size_t n = N * R;
  std::vector<std::size_t> pos = all_positions ? positions(n) : std::vector<std::size_t>{n - 3};
  if (all_positions && R > 4096) pos.push_back(4096 + 17);  // in the second 4096-position block
  for (std::size_t i : pos) {
    const std::size_t smp = i / R, r = i % R;
    const std::vector<T> t = kept_at(t0, i, ii);
    if (!bad_t.empty()) {
      auto tb = t;
      tb[i] = static_cast<T>(bad_t[0]);
      add("target " + std::to_string(bad_t[0]) + " at " + std::to_string(i), s0, tb,
          target_parts(bad_t[0], i, expected, ii));
    }
    // NaN in the score of class c at this position: flat index (smp, c, r) of the scores.
    for (std::size_t c : {std::size_t{0}, C - 1}) {
      auto s = s0;
      const std::size_t flat = (smp * C + c) * R + r;
      s[flat] = std::numeric_limits<S>::quiet_NaN();
      add("NaN score (class " + std::to_string(c) + ") at " + std::to_string(flat), s, t,
          nan_parts(flat));
      if (ii && holds_value<T>(*ii) && c == 0) {
        auto ti = t;
        ti[i] = static_cast<T>(*ii);
        add("NaN score at ignored position " + std::to_string(flat), s, ti, nan_parts(flat));
      }
    }
  }
  if (!all_positions) return out;
  const std::size_t mid = n / 2;
  const std::vector<T> t = kept_at(t0, mid, ii);
  for (std::size_t k = 1; k < bad_t.size(); ++k) {
    auto tb = t;
    tb[mid] = static_cast<T>(bad_t[k]);
    add("target " + std::to_string(bad_t[k]) + " at " + std::to_string(mid), s0, tb,
        target_parts(bad_t[k], mid, expected, ii));
  }
  return out;
}

// ---- DiceScore ------------------------------------------------------------------------------

tally::DiceScore::Options dice_opts(std::int64_t C, InputFormat f, AggregationLevel level,
                                    opt_ii ii = std::nullopt) {
  tally::DiceScore::Options o;
  o.num_classes = C;
  o.input_format = f;
  o.aggregation_level = level;
  o.ignore_index = ii;
  return o;
}

// Valid first updates for each input format, C = 3, for every segmentation metric.
struct good_dice {
  InputFormat format;
  template <class M>
  void operator()(M& m) const {
    static const std::vector<int> p{0, 1, 2, 2, 1, 0, 0, 1}, t{0, 1, 1, 2, 2, 0, 1, 1};
    std::vector<int> oh(2 * 3 * 4, 0);
    for (std::size_t n = 0; n < 2; ++n)
      for (std::size_t r = 0; r < 4; ++r)
        oh[(n * 3 + static_cast<std::size_t>(p[n * 4 + r])) * 4 + r] = 1;
    using iv = tally::tensor_view<const int>;
    if (format == InputFormat::index)
      m.update(iv(p.data(), Shape{2, 4}), iv(t.data(), Shape{2, 4}));
    else if (format == InputFormat::one_hot)
      m.update(iv(oh.data(), Shape{2, 3, 4}), iv(oh.data(), Shape{2, 3, 4}));
    else
      m.update(iv(oh.data(), Shape{2, 3, 4}), iv(t.data(), Shape{2, 4}));
  }
};

template <class M, class P, class T>
void add_segmentation(catalogue& out, const std::string& config, const char* name,
                      const typename M::Options& o, const std::vector<bad_update<P, T>>& cases) {
  const std::function<M()> make = [o] { return M(o); };
  const std::function<void(M&)> good = good_dice{o.input_format};
  for (const auto& c : cases)
    out.push_back(op_entry<M>(config + ": " + c.desc, name, c.parts, make, good,
                              update_op<M>(c.preds, c.target, c.threads)));
}

// DiceScore's bad inputs, and the same against MeanIoU and GeneralizedDiceScore (their counting
// and checks are DiceScore's, detail/seg_count.hpp), with the options they share. MeanIoU reads
// a rank-2 index map as one sample, which mixed input cannot pair with one-hot (N, C, L): it
// gets the index and one_hot rows.
template <class P, class T>
void add_dice(catalogue& out, const std::string& config, const tally::DiceScore::Options& o,
              const std::vector<bad_update<P, T>>& cases) {
  add_segmentation<tally::DiceScore>(out, config, "DiceScore", o, cases);
  if (o.input_format != InputFormat::mixed) {
    tally::MeanIoU::Options m;
    m.num_classes = o.num_classes;
    m.ignore_index = o.ignore_index;
    m.input_format = o.input_format;
    m.aggregation_level = o.aggregation_level;
    add_segmentation<tally::MeanIoU>(out, config, "MeanIoU", m, cases);
  }
  if (o.aggregation_level == AggregationLevel::samplewise) {
    tally::GeneralizedDiceScore::Options g;
    g.num_classes = o.num_classes;
    g.ignore_index = o.ignore_index;
    g.input_format = o.input_format;
    add_segmentation<tally::GeneralizedDiceScore>(out, config, "GeneralizedDiceScore", g, cases);
  }
}

std::vector<int> dice_labels(std::size_t n, std::size_t C, std::size_t salt) {
  std::vector<int> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<int>((i * 7 + salt) % C);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The catalogues
// ---------------------------------------------------------------------------------------------

// ---- 3.1 options, checked in the constructor -------------------------------------------------

// Which metric types a constructor row applies to.
enum class only { all, stat_family, jaccard_and_cm, not_cm, cm };

template <class Task>
void add_ctor(catalogue& out, const std::string& row, const typename Task::Options& o,
              const std::vector<std::string>& parts, only which = only::all) {
  typename Task::Options all = o;
  all.multidim_average = MultidimAverage::global;
  if constexpr (std::is_same_v<Task, Multiclass>) all.top_k = 1;
  for_each_metric_taking<Task>(all, [&](auto tg, const char* name) {
    using M = typename decltype(tg)::type;
    constexpr bool cm = is_confusion_matrix_v<M>;
    constexpr bool stat = is_stat_family_v<M>;
    const bool take = which == only::all || (which == only::stat_family && stat) ||
                      (which == only::jaccard_and_cm && !stat) || (which == only::not_cm && !cm) ||
                      (which == only::cm && cm);
    if (!take) return;
    out.push_back(
        call_entry(task_prefix<Task>() + " " + row, name, parts, [o] { (void)make_metric<M>(o); }));
  });
}

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

catalogue options_catalogue() {
  catalogue out;
  const std::int64_t i64max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t i64min = std::numeric_limits<std::int64_t>::min();
  // num_classes / num_labels: below 2 (0, 1, negative) and too large for memory.
  for (std::int64_t c :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{-6}, i64min}) {
    const std::string v = std::to_string(c);
    add_ctor<Multiclass>(out, "num_classes " + v, mc_opts(c),
                         {"num_classes: " + v, "must be an integer >= 2"});
    add_ctor<Multilabel>(out, "num_labels " + v, ml_opts(c),
                         {"num_labels: " + v, "must be an integer >= 2"});
  }
  for (std::int64_t c :
       {std::int64_t{1} << 27, std::int64_t{1} << 40, std::int64_t{1} << 62, i64max}) {
    const std::string v = std::to_string(c);
    add_ctor<Multiclass>(out, "num_classes " + v, mc_opts(c), {"num_classes: " + v, "too large"});
    add_ctor<Multilabel>(out, "num_labels " + v, ml_opts(c), {"num_labels: " + v, "too large"});
  }
  // C x C counters: 16385^2 > 2^28 for ConfusionMatrix only (the rest keep O(C)).
  add_ctor<Multiclass>(out, "num_classes 16385 (C x C table)", mc_opts(16385),
                       {"num_classes: 16385", "too large"}, only::cm);
  // top_k outside [1, C]; top_k > 1 for ConfusionMatrix and JaccardIndex.
  for (int k : {0, -1, 7, 100, std::numeric_limits<int>::min()}) {
    auto o = mc_opts(6);
    o.top_k = k;
    add_ctor<Multiclass>(out, "top_k " + std::to_string(k), o,
                         {"top_k: " + std::to_string(k), "is outside [1, num_classes = 6]"},
                         only::not_cm);
    add_ctor<Multiclass>(out, "top_k " + std::to_string(k), o,
                         {"top_k:", "supports only top_k = 1, got " + std::to_string(k)}, only::cm);
  }
  for (int k : {2, 6}) {
    auto o = mc_opts(6);
    o.top_k = k;
    add_ctor<Multiclass>(out, "top_k " + std::to_string(k) + " (top_k = 1 only)", o,
                         {"top_k:", "supports only top_k = 1, got " + std::to_string(k)},
                         only::jaccard_and_cm);
  }
  // threshold outside [0, 1] or NaN.
  for (double t :
       {-0.1, 1.1, -1e-300, 1.0000000000000002, qnan, std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    auto b = bin_opts();
    b.threshold = t;
    auto l = ml_opts(3);
    l.threshold = t;
    const std::vector<std::string> parts{"threshold: " + num(t), "is outside [0, 1]"};
    add_ctor<Binary>(out, "threshold " + num(t), b, parts);
    add_ctor<Multilabel>(out, "threshold " + num(t), l, parts);
  }
  // zero_division other than exactly 0 or 1, for every metric (also those that ignore it).
  for (double zd : {0.5, -1.0, 2.0, 1e-300, qnan, std::numeric_limits<double>::infinity()}) {
    auto b = bin_opts();
    b.zero_division = zd;
    auto c = mc_opts(6);
    c.zero_division = zd;
    auto l = ml_opts(3);
    l.zero_division = zd;
    const std::vector<std::string> parts{"zero_division: " + num(zd), "use 0 or 1"};
    add_ctor<Binary>(out, "zero_division " + num(zd), b, parts);
    add_ctor<Multiclass>(out, "zero_division " + num(zd), c, parts);
    add_ctor<Multilabel>(out, "zero_division " + num(zd), l, parts);
    auto d = dice_opts(3, InputFormat::index, AggregationLevel::global);
    d.zero_division = zd;
    out.push_back(call_entry("DiceScore zero_division " + num(zd), "DiceScore", parts,
                             [d] { (void)tally::DiceScore(d); }));
  }
  // beta (FBetaScore): finite and > 0.
  for (double beta : {0.0, -0.0, -1.0, qnan, std::numeric_limits<double>::infinity(),
                      -std::numeric_limits<double>::infinity()}) {
    const std::vector<std::string> parts{"beta: " + num(beta), "must be finite and greater than 0"};
    out.push_back(call_entry("Binary beta " + num(beta), "FBetaScore", parts,
                             [beta] { (void)tally::BinaryFBetaScore(beta, bin_opts()); }));
    out.push_back(call_entry("Multiclass beta " + num(beta), "FBetaScore", parts,
                             [beta] { (void)tally::MulticlassFBetaScore(beta, mc_opts(6)); }));
    out.push_back(call_entry("Multilabel beta " + num(beta), "FBetaScore", parts,
                             [beta] { (void)tally::MultilabelFBetaScore(beta, ml_opts(3)); }));
  }
  // Enums cast from out-of-range integers.
  for (int e : {4, 42, -1}) {
    const std::string v = std::to_string(e);
    auto c = mc_opts(6);
    c.average = static_cast<Average>(e);
    auto l = ml_opts(3);
    l.average = static_cast<Average>(e);
    add_ctor<Multiclass>(out, "average " + v, c, {"average: " + v, "is not an Average"});
    add_ctor<Multilabel>(out, "average " + v, l, {"average: " + v, "is not an Average"});
    auto b = bin_opts();
    b.multidim_average = static_cast<MultidimAverage>(e);
    c = mc_opts(6);
    c.multidim_average = static_cast<MultidimAverage>(e);
    l = ml_opts(3);
    l.multidim_average = static_cast<MultidimAverage>(e);
    const std::vector<std::string> md{"multidim_average: " + v, "is not a MultidimAverage"};
    add_ctor<Binary>(out, "multidim_average " + v, b, md);
    add_ctor<Multiclass>(out, "multidim_average " + v, c, md);
    add_ctor<Multilabel>(out, "multidim_average " + v, l, md);
    const auto bad_norm = static_cast<Normalize>(e);
    const std::vector<std::string> np{"normalize: " + v, "is not a Normalize"};
    out.push_back(call_entry("Binary normalize " + v, "ConfusionMatrix", np, [bad_norm] {
      (void)tally::BinaryConfusionMatrix(bin_opts(), bad_norm);
    }));
    out.push_back(call_entry("Multiclass normalize " + v, "ConfusionMatrix", np, [bad_norm] {
      (void)tally::MulticlassConfusionMatrix(mc_opts(6), bad_norm);
    }));
    out.push_back(call_entry("Multilabel normalize " + v, "ConfusionMatrix", np, [bad_norm] {
      (void)tally::MultilabelConfusionMatrix(ml_opts(3), bad_norm);
    }));
    auto d = dice_opts(3, InputFormat::index, AggregationLevel::global);
    d.average = static_cast<Average>(e);
    out.push_back(call_entry("DiceScore average " + v, "DiceScore",
                             {"average: " + v, "is not an Average"},
                             [d] { (void)tally::DiceScore(d); }));
    d = dice_opts(3, InputFormat::index, AggregationLevel::global);
    d.aggregation_level = static_cast<AggregationLevel>(e);
    out.push_back(call_entry("DiceScore aggregation_level " + v, "DiceScore",
                             {"aggregation_level: " + v, "is not an AggregationLevel"},
                             [d] { (void)tally::DiceScore(d); }));
    d = dice_opts(3, InputFormat::index, AggregationLevel::global);
    d.input_format = static_cast<InputFormat>(e == 4 ? 3 : e);
    const std::string fv = std::to_string(e == 4 ? 3 : e);
    out.push_back(call_entry("DiceScore input_format " + fv, "DiceScore",
                             {"input_format: " + fv, "is not an InputFormat"},
                             [d] { (void)tally::DiceScore(d); }));
  }
  // samplewise: no per-sample form for ConfusionMatrix and JaccardIndex.
  const std::vector<std::string> sw{"multidim_average:", "has no samplewise form"};
  add_ctor<Binary>(out, "samplewise", bin_opts(std::nullopt, MultidimAverage::samplewise), sw,
                   only::jaccard_and_cm);
  add_ctor<Multiclass>(out, "samplewise", mc_opts(6, std::nullopt, MultidimAverage::samplewise), sw,
                       only::jaccard_and_cm);
  add_ctor<Multilabel>(out, "samplewise", ml_opts(3, std::nullopt, MultidimAverage::samplewise), sw,
                       only::jaccard_and_cm);
  // DiceScore: num_classes >= 1 and allocatable; ignore_index with one_hot.
  for (std::int64_t c : {std::int64_t{0}, std::int64_t{-1}, i64min}) {
    const auto d = dice_opts(c, InputFormat::index, AggregationLevel::global);
    out.push_back(call_entry("DiceScore num_classes " + std::to_string(c), "DiceScore",
                             {"num_classes: " + std::to_string(c), "must be an integer >= 1"},
                             [d] { (void)tally::DiceScore(d); }));
  }
  for (std::int64_t c : {std::int64_t{1} << 40, i64max}) {
    const auto d = dice_opts(c, InputFormat::index, AggregationLevel::samplewise);
    out.push_back(call_entry("DiceScore num_classes " + std::to_string(c), "DiceScore",
                             {"num_classes: " + std::to_string(c), "too large"},
                             [d] { (void)tally::DiceScore(d); }));
  }
  // MeanIoU and GeneralizedDiceScore: enums, averages they do not offer, num_classes (0 learns
  // it from a one-hot axis, so index maps need it), ignore_index with one_hot.
  {
    auto miou = [](auto change) {
      tally::MeanIoU::Options o;
      o.num_classes = 3;
      o.input_format = InputFormat::index;
      change(o);
      return [o] { (void)tally::MeanIoU(o); };
    };
    auto gds = [](auto change) {
      tally::GeneralizedDiceScore::Options o;
      o.num_classes = 3;
      o.input_format = InputFormat::index;
      change(o);
      return [o] { (void)tally::GeneralizedDiceScore(o); };
    };
    for (int e : {4, 42, -1}) {
      const std::string v = std::to_string(e);
      const std::vector<std::string> avg{"average: " + v, "is not an Average"};
      out.push_back(call_entry("MeanIoU average " + v, "MeanIoU", avg,
                               miou([e](auto& o) { o.average = static_cast<Average>(e); })));
      out.push_back(call_entry("GeneralizedDiceScore average " + v, "GeneralizedDiceScore", avg,
                               gds([e](auto& o) { o.average = static_cast<Average>(e); })));
      out.push_back(call_entry(
          "MeanIoU aggregation_level " + v, "MeanIoU",
          {"aggregation_level: " + v, "is not an AggregationLevel"},
          miou([e](auto& o) { o.aggregation_level = static_cast<AggregationLevel>(e); })));
      const int f = e == 4 ? 3 : e;
      const std::vector<std::string> fmt{"input_format: " + std::to_string(f),
                                         "is not an InputFormat"};
      out.push_back(call_entry("MeanIoU input_format " + std::to_string(f), "MeanIoU", fmt,
                               miou([f](auto& o) { o.input_format = static_cast<InputFormat>(f); })));
      out.push_back(call_entry("GeneralizedDiceScore input_format " + std::to_string(f),
                               "GeneralizedDiceScore", fmt,
                               gds([f](auto& o) { o.input_format = static_cast<InputFormat>(f); })));
      const int w = e == 4 ? 3 : e;
      out.push_back(call_entry(
          "GeneralizedDiceScore weight_type " + std::to_string(w), "GeneralizedDiceScore",
          {"weight_type: " + std::to_string(w), "is not a DiceWeights"},
          gds([w](auto& o) { o.weight_type = static_cast<tally::DiceWeights>(w); })));
    }
    for (Average a : {Average::micro, Average::weighted}) {
      const std::string v = tally::to_string(a);
      out.push_back(call_entry("MeanIoU average " + v, "MeanIoU",
                               {"average: " + v, "is not offered by MeanIoU", "Average::macro"},
                               miou([a](auto& o) { o.average = a; })));
      out.push_back(call_entry(
          "GeneralizedDiceScore average " + v, "GeneralizedDiceScore",
          {"average: " + v, "is not offered by GeneralizedDiceScore", "Average::none"},
          gds([a](auto& o) { o.average = a; })));
    }
    for (std::int64_t c : {std::int64_t{-1}, i64min}) {
      const std::vector<std::string> parts{"num_classes: " + std::to_string(c),
                                           "must be 0 (take it from the one-hot channel axis)"};
      out.push_back(call_entry("MeanIoU num_classes " + std::to_string(c), "MeanIoU", parts,
                               miou([c](auto& o) { o.num_classes = c; })));
      out.push_back(call_entry("GeneralizedDiceScore num_classes " + std::to_string(c),
                               "GeneralizedDiceScore", parts,
                               gds([c](auto& o) { o.num_classes = c; })));
    }
    for (std::int64_t c : {std::int64_t{1} << 40, i64max}) {
      const std::vector<std::string> parts{"num_classes: " + std::to_string(c), "too large"};
      out.push_back(call_entry("MeanIoU num_classes " + std::to_string(c), "MeanIoU", parts,
                               miou([c](auto& o) { o.num_classes = c; })));
      out.push_back(call_entry("GeneralizedDiceScore num_classes " + std::to_string(c),
                               "GeneralizedDiceScore", parts,
                               gds([c](auto& o) { o.num_classes = c; })));
    }
    const std::vector<std::string> zero{"num_classes: 0", "input_format = index has none"};
    out.push_back(call_entry("MeanIoU num_classes 0 with index maps", "MeanIoU", zero,
                             miou([](auto& o) { o.num_classes = 0; })));
    out.push_back(call_entry("GeneralizedDiceScore num_classes 0 with index maps",
                             "GeneralizedDiceScore", zero,
                             gds([](auto& o) { o.num_classes = 0; })));
    for (std::int64_t ii : {std::int64_t{255}, std::int64_t{-1}}) {
      const std::vector<std::string> parts{"ignore_index: " + std::to_string(ii),
                                           "input_format = one_hot"};
      auto one_hot = [ii](auto& o) {
        o.input_format = InputFormat::one_hot;
        o.ignore_index = ii;
      };
      out.push_back(call_entry("MeanIoU one_hot with ignore_index " + std::to_string(ii),
                               "MeanIoU", parts, miou(one_hot)));
      out.push_back(call_entry("GeneralizedDiceScore one_hot with ignore_index " +
                                   std::to_string(ii),
                               "GeneralizedDiceScore", parts, gds(one_hot)));
    }
  }
  for (std::int64_t ii : {std::int64_t{255}, std::int64_t{0}, std::int64_t{-1}})
    for (auto level : {AggregationLevel::global, AggregationLevel::samplewise}) {
      const auto d = dice_opts(3, InputFormat::one_hot, level, ii);
      out.push_back(call_entry("DiceScore one_hot with ignore_index " + std::to_string(ii) + " " +
                                   tally::to_string(level),
                               "DiceScore",
                               {"ignore_index: " + std::to_string(ii), "input_format = one_hot"},
                               [d] { (void)tally::DiceScore(d); }));
    }
  return out;
}

// ---- 3.2 binary inputs -----------------------------------------------------------------------

template <class P, class T>
void add_binary_values(catalogue& out, const opt_ii& ii, MultidimAverage md) {
  const auto o = bin_opts(ii, md);
  const std::string cfg = "Binary " + ii_text(ii) + " " + md_text(md);
  // Short (scalar paths) and long (SIMD, run and column-block kernels).
  add_updates<Binary>(out, cfg, o, binary_value_cases<P, T>(Shape{2, 5}, ii), good_binary{});
  add_updates<Binary>(out, cfg, o, binary_value_cases<P, T>(Shape{3, 700}, ii), good_binary{});
  if (md == MultidimAverage::global)
    add_updates<Binary>(out, cfg, o, binary_value_cases<P, T>(Shape{1500}, ii), good_binary{});
}

catalogue binary_catalogue() {
  catalogue out;
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    add_binary_values<std::uint8_t, std::uint8_t>(out, std::nullopt, md);
    add_binary_values<std::uint8_t, std::uint8_t>(out, 255, md);
    add_binary_values<std::int8_t, std::int16_t>(out, -1, md);
    add_binary_values<std::int64_t, std::int64_t>(out, std::nullopt, md);
    add_binary_values<std::int64_t, std::int64_t>(out, -100, md);
    add_binary_values<bool, std::int32_t>(out, 7, md);
    add_binary_values<float, std::uint8_t>(out, std::nullopt, md);
    add_binary_values<float, std::uint8_t>(out, 255, md);
    add_binary_values<double, std::int64_t>(out, -1, md);
  }
  // parallel{2} above the 1M-element threshold, the bad value in the second chunk.
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const Shape big = md == MultidimAverage::global ? Shape{(1u << 20) + 4096} : Shape{8, 140000};
    const auto o = bin_opts(255, md);
    const std::string cfg = "Binary ii 255 " + md_text(md) + " parallel{2}";
    add_updates<Binary>(out, cfg, o,
                        binary_value_cases<std::uint8_t, std::uint8_t>(big, 255, 2, false),
                        good_binary{});
    add_updates<Binary>(out, cfg, o, binary_value_cases<float, std::uint8_t>(big, 255, 2, false),
                        good_binary{});
  }
  // Shapes and ranks (1.2, 1.5).
  using B = bad_update<double, int>;
  using L = bad_update<int, int>;
  const auto f6 = make_buffer<double>({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, Shape{2, 3});
  const auto i6 = make_buffer<int>({0, 1, 0, 1, 1, 0}, Shape{2, 3});
  const auto i6t = make_buffer<int>({0, 1, 0, 1, 1, 0}, Shape{3, 2});
  const auto i6flat = make_buffer<int>({0, 1, 0, 1, 1, 0}, Shape{6});
  const auto i3 = make_buffer<int>({0, 1, 1}, Shape{3});
  const auto i0 = make_buffer<int>({1}, Shape{});
  const auto f0 = make_buffer<double>({0.7}, Shape{});
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const auto o = bin_opts(std::nullopt, md);
    const std::string cfg = "Binary shapes " + md_text(md);
    const bool sw = md == MultidimAverage::samplewise;
    std::vector<L> labels{
        {"preds (2, 3) vs target (3, 2)",
         i6,
         i6t,
         {"preds shape (2, 3)", "target shape (3, 2)", "must have the same shape"}},
        {"rank-0 preds and target", i0, i0, {"target has shape ()", "needs rank >= 1"}},
        {"rank-0 target, rank-1 preds", i3, i0, {"target has shape ()", "needs rank >= 1"}},
    };
    if (sw)
      labels.push_back({"preds (6) vs target (2, 3)",
                        i6flat,
                        i6,
                        {"preds shape (6)", "target shape (2, 3)", "differ"}});
    else
      labels.push_back({"preds (3) vs target (6)",
                        i3,
                        i6flat,
                        {"preds shape (3)", "target shape (6)", "differ"}});
    add_updates<Binary>(out, cfg, o, labels, good_binary{});
    std::vector<B> floats{
        {"rank-0 float preds", f0, i0, {"target has shape ()", "needs rank >= 1"}}};
    if (sw)
      floats.push_back({"float preds (2, 3) vs target (3, 2)",
                        f6,
                        i6t,
                        {"preds shape (2, 3)", "target shape (3, 2)", "differ"}});
    else
      floats.push_back({"float preds (2, 3) vs target (6)",
                        f6,
                        i6flat,
                        {"preds shape (2, 3)", "target shape (6)", "differ"}});
    add_updates<Binary>(out, cfg, o, floats, good_binary{});
  }
  add_updates<Binary>(
      out, "Binary samplewise rank", bin_opts(std::nullopt, MultidimAverage::samplewise),
      std::vector<L>{{"rank-1 input",
                      i6flat,
                      i6flat,
                      {"target has shape (6)", "multidim_average = samplewise needs rank >= 2"}}},
      good_binary{});
  // Too many samples for one update: 2^30 samples of zero positions (no data needed).
  const buffer<int> huge(std::vector<int>{}, Shape{std::size_t{1} << 30, 0});
  add_updates<Binary>(
      out, "Binary samplewise", bin_opts(std::nullopt, MultidimAverage::samplewise),
      std::vector<L>{
          {"2^30 empty samples", huge, huge, {"update: 1073741824 samples", "split the batch"}}},
      good_binary{});
  return out;
}

// ---- 3.2 multiclass inputs -------------------------------------------------------------------

template <class P, class T>
void add_multiclass_labels(catalogue& out, std::size_t C, const opt_ii& ii, MultidimAverage md) {
  const auto o = mc_opts(static_cast<std::int64_t>(C), ii, md);
  const std::string cfg = "Multiclass labels " + ii_text(ii) + " " + md_text(md);
  add_updates<Multiclass>(out, cfg, o, multiclass_label_cases<P, T>(Shape{2, 5}, C, ii),
                          good_multiclass{});
  add_updates<Multiclass>(out, cfg, o, multiclass_label_cases<P, T>(Shape{3, 700}, C, ii),
                          good_multiclass{});
}

template <class S, class T>
void add_multiclass_scores(catalogue& out, std::size_t C, const opt_ii& ii, MultidimAverage md,
                           int top_k = 1) {
  const auto o = mc_opts(static_cast<std::int64_t>(C), ii, md, top_k);
  const std::string cfg =
      "Multiclass scores " + ii_text(ii) + " " + md_text(md) + " top_k " + std::to_string(top_k);
  if (top_k == 1) {
    add_updates<Multiclass>(out, cfg, o, multiclass_score_cases<S, T>(2, C, 5, ii),
                            good_multiclass{});
    add_updates<Multiclass>(out, cfg, o, multiclass_score_cases<S, T>(2, C, 4200, ii),
                            good_multiclass{});
  } else {
    add_updates<Multiclass>(out, cfg, o, multiclass_score_cases<S, T>(2, C, 5, ii),
                            good_multiclass_scores{C});
    add_updates<Multiclass>(out, cfg, o, multiclass_score_cases<S, T>(3, C, 300, ii),
                            good_multiclass_scores{C});
  }
}

catalogue multiclass_value_catalogue() {
  catalogue out;
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    // Kernel paths by C: per-class SIMD (C <= 6 / 24), hit-miss, table (C <= 64), large (C > 64;
    // for ConfusionMatrix the count-then-undo rollback).
    add_multiclass_labels<std::uint8_t, std::uint8_t>(out, 3, std::nullopt, md);
    add_multiclass_labels<std::uint8_t, std::uint8_t>(out, 20, 255, md);
    add_multiclass_labels<std::uint8_t, std::uint8_t>(out, 100, 0, md);
    add_multiclass_labels<std::int8_t, std::int16_t>(out, 6, -1, md);
    add_multiclass_labels<std::int32_t, std::int32_t>(out, 40, std::nullopt, md);
    add_multiclass_labels<std::int64_t, std::int64_t>(out, 6, 255, md);
    add_multiclass_labels<std::int64_t, std::int64_t>(out, 100, -100, md);
    add_multiclass_labels<std::uint16_t, std::uint64_t>(out, 300, 1000, md);
    add_multiclass_scores<float, std::uint8_t>(out, 4, 255, md);
    add_multiclass_scores<float, std::uint8_t>(out, 100, std::nullopt, md);
    add_multiclass_scores<double, std::int64_t>(out, 6, -1, md);
    add_multiclass_scores<double, std::int64_t>(out, 3, std::nullopt, md, 2);
    add_multiclass_scores<float, std::uint8_t>(out, 5, 255, md, 3);
  }
  // parallel{2} above 1M elements, the bad value in the second half.
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const std::string cfg = std::string("Multiclass ") + md_text(md) + " parallel{2}";
    add_updates<Multiclass>(
        out, cfg + " labels", mc_opts(6, 255, md),
        multiclass_label_cases<std::uint8_t, std::uint8_t>(Shape{8, 140000}, 6, 255, 2, false),
        good_multiclass{});
    add_updates<Multiclass>(out, cfg + " labels C=100", mc_opts(100, std::nullopt, md),
                            multiclass_label_cases<std::int16_t, std::int16_t>(
                                Shape{4, 280000}, 100, std::nullopt, 2, false),
                            good_multiclass{});
    add_updates<Multiclass>(
        out, cfg + " scores", mc_opts(3, 255, md),
        multiclass_score_cases<float, std::uint8_t>(4, 3, 100000, 255, 2, false),
        good_multiclass{});
  }
  return out;
}

catalogue multiclass_shape_catalogue() {
  catalogue out;
  using L = bad_update<int, int>;
  using S = bad_update<double, int>;
  using F = bad_update<float, int>;
  const auto i3 = make_buffer<int>({0, 1, 2}, Shape{3});
  const auto i4 = make_buffer<int>({0, 1, 2, 3}, Shape{4});
  const auto i2 = make_buffer<int>({0, 1}, Shape{2});
  const auto i23 = make_buffer<int>({0, 1, 2, 0, 1, 2}, Shape{2, 3});
  const auto i32 = make_buffer<int>({0, 1, 2, 0, 1, 2}, Shape{3, 2});
  const auto i26 = make_buffer<int>(std::vector<int>(12, 1), Shape{2, 6});
  const auto i0 = make_buffer<int>({1}, Shape{});
  const auto i24 = make_buffer<int>(std::vector<int>(8, 0), Shape{2, 4});
  const auto d26 = make_buffer<double>(std::vector<double>(12, 0.5), Shape{2, 6});
  const auto d25 = make_buffer<double>(std::vector<double>(10, 0.5), Shape{2, 5});
  const auto d27 = make_buffer<double>(std::vector<double>(14, 0.5), Shape{2, 7});
  const auto d253 = make_buffer<double>(std::vector<double>(30, 0.5), Shape{2, 5, 3});
  const auto d263 = make_buffer<double>(std::vector<double>(36, 0.5), Shape{2, 6, 3});
  const auto d12 = make_buffer<double>(std::vector<double>(12, 0.5), Shape{12});
  const auto d6 = make_buffer<double>(std::vector<double>(6, 0.5), Shape{6});
  const auto d3 = make_buffer<double>({0, 1, 2}, Shape{3});
  const auto f3 = make_buffer<float>({0, 1, 2}, Shape{3});
  const auto f23 = make_buffer<float>({0, 1, 2, 0, 1, 2}, Shape{2, 3});
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const auto o = mc_opts(6, std::nullopt, md);
    const std::string cfg = "Multiclass shapes " + md_text(md);
    const bool sw = md == MultidimAverage::samplewise;
    std::vector<L> labels{
        {"labels (2, 3) vs (3, 2)",
         i23,
         i32,
         {"preds shape (2, 3)", "target shape (3, 2)", "must have the target's shape"}},
        {"labels (3) vs (4)", i3, i4, {"preds shape (3)", "target shape (4)", "differ"}},
        {"integral preds (2, 6) with one more axis",
         i26,
         i2,
         {"preds shape (2, 6)", "target shape (2)", "must be floating-point"}},
        {"rank-0 labels", i0, i0, {"target has shape ()", "needs rank >= 1"}},
    };
    if (sw) {
      labels.erase(labels.begin() + 1, labels.end());
      labels.push_back({"rank-1 labels (samplewise)",
                        i3,
                        i3,
                        {"target has shape (3)", "multidim_average = samplewise needs rank >= 2"}});
    }
    add_updates<Multiclass>(out, cfg, o, labels, good_multiclass{});
    std::vector<S> scores{
        {"scores (2, 5): class axis 5, not 6",
         d25,
         i2,
         {"preds shape (2, 5)", "axis 1 has 5 scores but num_classes is 6"}},
        {"scores (2, 7): class axis 7, not 6",
         d27,
         i2,
         {"preds shape (2, 7)", "axis 1 has 7 scores but num_classes is 6"}},
        {"scores (2, 6) vs target (3)",
         d26,
         i3,
         {"preds shape (2, 6)", "target shape (3)", "do not match"}},
        {"scores (2, 6, 3) vs target (3)",
         d263,
         i3,
         {"preds shape (2, 6, 3)", "does not fit target shape (3)"}},
        {"scores (12) vs target (2, 6)",
         d12,
         i26,
         {"preds shape (12)", "does not fit target shape (2, 6)"}},
        {"scores (6) vs rank-0 target",
         d6,
         i0,
         {"preds (scores) has shape (6)", "needs rank >= 2"}},
        {"float labels (3) with the target's shape",
         d3,
         i3,
         {"preds have the target's shape (3)", "floating-point", "must be integral"}},
    };
    if (sw) {
      scores = {
          {"scores (2, 5, 3): class axis 5",
           d253,
           i23,
           {"preds shape (2, 5, 3)", "axis 1 has 5 scores but num_classes is 6"}},
          {"scores (2, 6, 3) vs target (2, 4)",
           d263,
           i24,
           {"preds shape (2, 6, 3)", "target shape (2, 4)", "do not match"}},
          {"rank-2 scores (samplewise)",
           d26,
           i2,
           {"preds (scores) has shape (2, 6)", "multidim_average = samplewise needs rank >= 3"}}};
    }
    add_updates<Multiclass>(out, cfg, o, scores, good_multiclass{});
    std::vector<F> fl{{"float labels (2, 3) with the target's shape",
                       f23,
                       i23,
                       {"preds have the target's shape (2, 3)", "must be integral"}}};
    if (!sw) fl.push_back({"float labels (3)", f3, i3, {"preds have the target's shape (3)"}});
    add_updates<Multiclass>(out, cfg, o, fl, good_multiclass{});
  }
  // top_k > 1 with integral labels (3.2 rule 5).
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise})
    add_updates<Multiclass>(
        out, "Multiclass top_k 2 " + md_text(md), mc_opts(6, std::nullopt, md, 2),
        std::vector<L>{{"integral labels", i23, i23, {"top_k: 2", "needs floating-point scores"}}},
        good_multiclass_scores{6});
  // Too many samples for one update.
  const buffer<int> huge(std::vector<int>{}, Shape{std::size_t{1} << 27, 0});
  add_updates<Multiclass>(
      out, "Multiclass samplewise", mc_opts(6, std::nullopt, MultidimAverage::samplewise),
      std::vector<L>{
          {"2^27 empty samples", huge, huge, {"update: 134217728 samples", "split the batch"}}},
      good_multiclass{});
  return out;
}

// ---- 3.2 multilabel inputs -------------------------------------------------------------------

template <class P, class T>
void add_multilabel_values(catalogue& out, std::size_t L, const opt_ii& ii, MultidimAverage md) {
  const auto o = ml_opts(static_cast<std::int64_t>(L), ii, md);
  const std::string cfg = "Multilabel " + ii_text(ii) + " " + md_text(md);
  add_updates<Multilabel>(out, cfg, o, binary_value_cases<P, T>(Shape{2, L, 3}, ii),
                          good_multilabel{L});
  add_updates<Multilabel>(out, cfg, o, binary_value_cases<P, T>(Shape{3, L, 150}, ii),
                          good_multilabel{L});
  if (md == MultidimAverage::global)  // (N, L): one position per label
    add_updates<Multilabel>(out, cfg, o, binary_value_cases<P, T>(Shape{200, L}, ii),
                            good_multilabel{L});
}

catalogue multilabel_catalogue() {
  catalogue out;
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    add_multilabel_values<std::uint8_t, std::uint8_t>(out, 3, std::nullopt, md);
    add_multilabel_values<std::uint8_t, std::uint8_t>(out, 5, 255, md);
    add_multilabel_values<std::int8_t, std::int16_t>(out, 3, -1, md);
    add_multilabel_values<std::int64_t, std::int64_t>(out, 4, 1, md);
    add_multilabel_values<float, std::uint8_t>(out, 3, 255, md);
    add_multilabel_values<double, std::int64_t>(out, 2, std::nullopt, md);
  }
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const auto o = ml_opts(3, 255, md);
    const std::string cfg = "Multilabel ii 255 " + md_text(md) + " parallel{2}";
    add_updates<Multilabel>(
        out, cfg, o, binary_value_cases<float, std::uint8_t>(Shape{8, 3, 45000}, 255, 2, false),
        good_multilabel{3});
    add_updates<Multilabel>(
        out, cfg, o,
        binary_value_cases<std::uint8_t, std::uint8_t>(Shape{8, 3, 45000}, 255, 2, false),
        good_multilabel{3});
  }
  using I = bad_update<int, int>;
  using D = bad_update<double, int>;
  const auto i24 = make_buffer<int>(std::vector<int>(8, 1), Shape{2, 4});
  const auto i23 = make_buffer<int>({0, 1, 0, 1, 1, 0}, Shape{2, 3});
  const auto i33 = make_buffer<int>(std::vector<int>(9, 1), Shape{3, 3});
  const auto i243 = make_buffer<int>(std::vector<int>(24, 1), Shape{2, 4, 3});
  const auto i232 = make_buffer<int>(std::vector<int>(12, 1), Shape{2, 3, 2});
  const auto i322 = make_buffer<int>(std::vector<int>(12, 1), Shape{3, 2, 2});
  const auto i3 = make_buffer<int>({0, 1, 1}, Shape{3});
  const auto i0 = make_buffer<int>({1}, Shape{});
  const auto d42 = make_buffer<double>(std::vector<double>(8, 0.5), Shape{4, 2});
  const auto i42 = make_buffer<int>(std::vector<int>(8, 1), Shape{4, 2});
  const auto d23 = make_buffer<double>(std::vector<double>(6, 0.5), Shape{2, 3});
  for (auto md : {MultidimAverage::global, MultidimAverage::samplewise}) {
    const auto o = ml_opts(3, std::nullopt, md);
    const std::string cfg = "Multilabel shapes " + md_text(md);
    const bool sw = md == MultidimAverage::samplewise;
    std::vector<I> cases{
        {"label axis 4, not 3",
         sw ? i243 : i24,
         sw ? i243 : i24,
         {sw ? "target shape (2, 4, 3)" : "target shape (2, 4)",
          "axis 1 has 4 labels but num_labels is 3"}},
        {"preds (2, 3, 2) vs target (3, 2, 2)",
         i232,
         i322,
         {"preds shape (2, 3, 2)", "target shape (3, 2, 2)", "must have the same shape"}},
        {"rank-1", i3, i3, {"target has shape (3)", "needs rank >= 2"}},
        {"rank-0", i0, i0, {"target has shape ()", "needs rank >= 2"}},
    };
    if (!sw)
      cases.push_back({"preds (2, 3) vs target (3, 3)",
                       i23,
                       i33,
                       {"preds shape (2, 3)", "target shape (3, 3)", "differ"}});
    else
      cases.push_back(
          {"rank-2 (samplewise)",
           i23,
           i23,
           {"target has shape (2, 3)", "multidim_average = samplewise needs rank >= 3"}});
    add_updates<Multilabel>(out, cfg, o, cases, good_multilabel{3});
    if (!sw)
      add_updates<Multilabel>(
          out, cfg, o,
          std::vector<D>{{"float preds, label axis 2",
                          d42,
                          i42,
                          {"target shape (4, 2)", "axis 1 has 2 labels but num_labels is 3"}},
                         {"float preds (2, 3) vs target (3, 3)",
                          d23,
                          i33,
                          {"preds shape (2, 3)", "target shape (3, 3)"}}},
          good_multilabel{3});
  }
  const buffer<int> huge(std::vector<int>{}, Shape{std::size_t{1} << 27, 3, 0});
  add_updates<Multilabel>(
      out, "Multilabel samplewise", ml_opts(3, std::nullopt, MultidimAverage::samplewise),
      std::vector<I>{
          {"2^27 empty samples", huge, huge, {"update: 134217728 samples", "split the batch"}}},
      good_multilabel{3});
  return out;
}

// ---- 6.1, 6.4 DiceScore inputs ---------------------------------------------------------------

// Index maps (N, R) of type P / T, C classes.
template <class P, class T>
void add_dice_index(catalogue& out, std::size_t C, const opt_ii& ii, AggregationLevel level,
                    std::size_t N, std::size_t R, unsigned threads, bool all_positions) {
  const auto o = dice_opts(static_cast<std::int64_t>(C), InputFormat::index, level, ii);
  const std::string cfg = std::string("DiceScore index ") + ii_text(ii) + " " +
                          tally::to_string(level) + (threads ? " parallel{2}" : "");
  add_dice(out, cfg, o, multiclass_label_cases<P, T>(Shape{N, R}, C, ii, threads, all_positions));
}

// One-hot (N, C, R) preds and target of integral type V: values other than 0/1.
template <class V>
std::vector<bad_update<V, V>> dice_one_hot_value_cases(std::size_t N, std::size_t R,
                                                       unsigned threads, bool all_positions) {
  const std::size_t C = 3;
  const Shape s{N, C, R};
  const auto p0 = one_hot<V>(dice_labels(N * R, C, 1), N, C);
  const auto t0 = one_hot<V>(dice_labels(N * R, C, 2), N, C);
  std::vector<bad_update<V, V>> out;
  const std::size_t n = N * C * R;
  const std::string where = std::string(" in ") + type_name<V>() + " one-hot " + shape_text(s);
  std::vector<std::size_t> pos = all_positions ? positions(n) : std::vector<std::size_t>{n - 2};
  for (std::size_t i : pos)
    for (long long v : {2LL, -1LL, 255LL}) {
      if (!holds_value<V>(v)) continue;
      if (v != 2 && i != n / 2) continue;
      auto t = t0;
      t[i] = static_cast<V>(v);
      out.push_back({"target " + std::to_string(v) + " at " + std::to_string(i) + where,
                     make_buffer(p0, s),
                     make_buffer(t, s),
                     {"target value " + std::to_string(v), at_index(i), "is not 0 or 1"},
                     threads});
      auto p = p0;
      p[i] = static_cast<V>(v);
      out.push_back({"preds " + std::to_string(v) + " at " + std::to_string(i) + where,
                     make_buffer(p, s),
                     make_buffer(t0, s),
                     {"preds value " + std::to_string(v), at_index(i), "is not 0 or 1"},
                     threads});
    }
  return out;
}

// Floating one-hot (N, C, R): NaN in preds or target.
template <class S, class V>
std::vector<bad_update<S, V>> dice_nan_cases(std::size_t N, std::size_t R, bool nan_in_target) {
  const std::size_t C = 3;
  const Shape s{N, C, R};
  const auto p0 = cast_vector<S>(one_hot<int>(dice_labels(N * R, C, 1), N, C));
  const auto t0 = cast_vector<V>(one_hot<int>(dice_labels(N * R, C, 2), N, C));
  std::vector<bad_update<S, V>> out;
  const std::size_t n = N * C * R;
  const std::string where =
      std::string(" in ") + type_name<S>() + "/" + type_name<V>() + " one-hot " + shape_text(s);
  for (std::size_t i : positions(n)) {
    if (nan_in_target) {
      if constexpr (std::is_floating_point_v<V>) {
        auto t = t0;
        t[i] = std::numeric_limits<V>::quiet_NaN();
        out.push_back({"NaN target at " + std::to_string(i) + where,
                       make_buffer(p0, s),
                       make_buffer(t, s),
                       {"target value NaN", at_index(i), "must not be NaN"}});
      }
    } else {
      auto p = p0;
      p[i] = std::numeric_limits<S>::quiet_NaN();
      out.push_back({"NaN preds at " + std::to_string(i) + where,
                     make_buffer(p, s),
                     make_buffer(t0, s),
                     {"preds value NaN", at_index(i), "must not be NaN"}});
    }
  }
  return out;
}

catalogue dice_catalogue() {
  catalogue out;
  for (auto level : {AggregationLevel::global, AggregationLevel::samplewise}) {
    const std::string lv = tally::to_string(level);
    // index: labels outside [0, C) that are not ii, at kept pixels; every width.
    add_dice_index<std::uint8_t, std::uint8_t>(out, 3, std::nullopt, level, 2, 5, 0, true);
    add_dice_index<std::uint8_t, std::uint8_t>(out, 6, 255, level, 3, 700, 0, true);
    add_dice_index<std::int8_t, std::int16_t>(out, 3, -1, level, 2, 5, 0, true);
    add_dice_index<std::int64_t, std::int32_t>(out, 40, 0, level, 3, 300, 0, true);
    add_dice_index<std::uint16_t, std::uint64_t>(out, 100, std::nullopt, level, 2, 200, 0, true);
    add_dice_index<std::uint8_t, std::uint8_t>(out, 6, 255, level, 4, 300000, 2, false);
    // one_hot: integral values other than 0/1; NaN in floating one-hot tensors.
    const auto oh = dice_opts(3, InputFormat::one_hot, level);
    add_dice(out, "DiceScore one_hot " + lv, oh,
             dice_one_hot_value_cases<std::uint8_t>(2, 5, 0, true));
    add_dice(out, "DiceScore one_hot " + lv, oh,
             dice_one_hot_value_cases<std::int32_t>(3, 200, 0, true));
    add_dice(out, "DiceScore one_hot " + lv + " parallel{2}", oh,
             dice_one_hot_value_cases<std::uint8_t>(4, 100000, 2, false));
    add_dice(out, "DiceScore one_hot " + lv, oh, dice_nan_cases<float, int>(2, 5, false));
    add_dice(out, "DiceScore one_hot " + lv, oh, dice_nan_cases<double, double>(3, 100, false));
    add_dice(out, "DiceScore one_hot " + lv, oh, dice_nan_cases<int, float>(3, 100, true));
    // mixed: one-hot scores with an index target, or index preds with a one-hot target.
    {
      const auto mx = dice_opts(3, InputFormat::mixed, level, 255);
      const std::size_t N = 2, R = 150, C = 3;
      auto sc = cast_vector<float>(one_hot<int>(dice_labels(N * R, C, 1), N, C));
      std::vector<std::uint8_t> t0 = cast_vector<std::uint8_t>(dice_labels(N * R, C, 2));
      std::vector<bad_update<float, std::uint8_t>> cases;
      for (std::size_t i : positions(N * R)) {
        auto t = t0;
        t[i] = 7;
        cases.push_back({"index target 7 at " + std::to_string(i), make_buffer(sc, Shape{N, C, R}),
                         make_buffer(t, Shape{N, R}),
                         target_parts(7, i, "is outside [0, 3)", opt_ii{255})});
        auto s = sc;
        const std::size_t flat = (i / R * C + 2) * R + i % R;
        s[flat] = std::numeric_limits<float>::quiet_NaN();
        auto ti = t0;
        ti[i] = 255;  // NaN at an ignored pixel is still an error
        cases.push_back({"NaN score at " + std::to_string(flat),
                         make_buffer(s, Shape{N, C, R}),
                         make_buffer(ti, Shape{N, R}),
                         {"preds value NaN", at_index(flat)}});
      }
      add_dice(out, "DiceScore mixed ii 255 " + lv, mx, cases);
      const auto mx0 = dice_opts(3, InputFormat::mixed, level);
      std::vector<bad_update<std::int64_t, std::uint8_t>> rev;
      auto toh = one_hot<std::uint8_t>(dice_labels(N * R, C, 2), N, C);
      auto p0 = cast_vector<std::int64_t>(dice_labels(N * R, C, 1));
      for (std::size_t i : positions(N * R)) {
        auto p = p0;
        p[i] = -4;
        rev.push_back({"index preds -4 at " + std::to_string(i), make_buffer(p, Shape{N, R}),
                       make_buffer(toh, Shape{N, C, R}),
                       pred_parts(-4, i, "is outside [0, 3)", std::nullopt)});
        auto t = toh;
        const std::size_t flat = (i / R * C + 1) * R + i % R;
        t[flat] = 3;
        rev.push_back({"one-hot target 3 at " + std::to_string(flat),
                       make_buffer(p0, Shape{N, R}),
                       make_buffer(t, Shape{N, C, R}),
                       {"target value 3", at_index(flat), "is not 0 or 1"}});
      }
      add_dice(out, "DiceScore mixed " + lv, mx0, rev);
      // With ignore_index, a one-hot target is an error (6.4).
      add_dice(out, "DiceScore mixed ii 255 " + lv, mx,
               std::vector<bad_update<std::int64_t, std::uint8_t>>{
                   {"one-hot target",
                    make_buffer(p0, Shape{N, R}),
                    make_buffer(toh, Shape{N, C, R}),
                    {"ignore_index: 255", "needs an index-map target"}}});
    }
    // Shapes, ranks, channel counts, floating index maps.
    using I = bad_update<int, int>;
    const auto i24 = make_buffer<int>({0, 1, 2, 0, 1, 2, 0, 1}, Shape{2, 4});
    const auto i42 = make_buffer<int>({0, 1, 2, 0, 1, 2, 0, 1}, Shape{4, 2});
    const auto i3 = make_buffer<int>({0, 1, 2}, Shape{3});
    const auto i0 = make_buffer<int>({1}, Shape{});
    const auto oh234 = make_buffer<int>(one_hot<int>(dice_labels(8, 3, 0), 2, 3), Shape{2, 3, 4});
    const auto oh244 = make_buffer<int>(std::vector<int>(32, 0), Shape{2, 4, 4});
    const auto oh224 = make_buffer<int>(std::vector<int>(16, 0), Shape{2, 2, 4});
    const auto oh235 = make_buffer<int>(std::vector<int>(30, 0), Shape{2, 3, 5});
    const auto i23 = make_buffer<int>(std::vector<int>(6, 0), Shape{2, 3});
    const auto i25 = make_buffer<int>(std::vector<int>(10, 0), Shape{2, 5});
    const auto i2 = make_buffer<int>({0, 1}, Shape{2});
    add_dice(
        out, "DiceScore index shapes " + lv, dice_opts(3, InputFormat::index, level),
        std::vector<I>{
            {"(2, 4) vs (4, 2)",
             i24,
             i42,
             {"preds shape (2, 4)", "target shape (4, 2)", "index maps must have the same shape"}},
            {"rank-1 preds", i3, i24, {"preds shape (3)", "rank >= 2"}},
            {"rank-1 target", i24, i3, {"target shape (3)", "rank >= 2"}},
            {"rank-0", i0, i0, {"preds shape ()", "rank >= 2"}},
            {"one-hot-shaped preds",
             oh234,
             i24,
             {"preds shape (2, 3, 4)", "target shape (2, 4)", "differ"}},
        });
    add_dice(out, "DiceScore index types " + lv, dice_opts(3, InputFormat::index, level),
             std::vector<bad_update<double, int>>{
                 {"floating preds index map",
                  make_buffer<double>({0, 1, 2, 0, 1, 2, 0, 1}, Shape{2, 4}),
                  i24,
                  {"preds is an index map of a floating-point type", "must be integral"}}});
    add_dice(out, "DiceScore index types " + lv, dice_opts(3, InputFormat::index, level),
             std::vector<bad_update<int, float>>{
                 {"floating target index map",
                  i24,
                  make_buffer<float>({0, 1, 2, 0, 1, 2, 0, 1}, Shape{2, 4}),
                  {"target is an index map of a floating-point type", "must be integral"}}});
    add_dice(out, "DiceScore one_hot shapes " + lv, oh,
             std::vector<I>{
                 {"4 channels",
                  oh244,
                  oh244,
                  {"preds shape (2, 4, 4)", "axis 1 has 4 channels but num_classes is 3"}},
                 {"2 channels in target",
                  oh234,
                  oh224,
                  {"target shape (2, 2, 4)", "axis 1 has 2 channels but num_classes is 3"}},
                 {"(2, 3, 4) vs (2, 3, 5)",
                  oh234,
                  oh235,
                  {"preds shape (2, 3, 4)", "target shape (2, 3, 5)", "differ"}},
                 {"rank-2 one-hot", i23, i23, {"preds shape (2, 3)", "rank >= 3"}},
             });
    add_dice(out, "DiceScore mixed shapes " + lv, dice_opts(3, InputFormat::mixed, level),
             std::vector<I>{
                 {"equal ranks",
                  i24,
                  i24,
                  {"preds shape (2, 4)", "target shape (2, 4)", "input_format = mixed needs"}},
                 {"one-hot (2, 3, 4) vs index (2, 5)",
                  oh234,
                  i25,
                  {"preds shape (2, 3, 4)", "target shape (2, 5)", "do not match"}},
                 {"index (2, 5) vs one-hot (2, 3, 4)",
                  i25,
                  oh234,
                  {"preds shape (2, 5)", "target shape (2, 3, 4)", "do not match"}},
                 {"one-hot with 4 channels",
                  oh244,
                  i24,
                  {"preds shape (2, 4, 4)", "axis 1 has 4 channels but num_classes is 3"}},
                 {"target one-hot with 2 channels",
                  i24,
                  oh224,
                  {"target shape (2, 2, 4)", "axis 1 has 2 channels but num_classes is 3"}},
                 {"rank-1 index vs rank-2 one-hot", i2, i23, {"target shape (2, 3)", "rank >= 3"}},
             });
    add_dice(out, "DiceScore mixed types " + lv, dice_opts(3, InputFormat::mixed, level),
             std::vector<bad_update<int, double>>{
                 {"floating index target",
                  oh234,
                  make_buffer<double>({0, 1, 2, 0, 1, 2, 0, 1}, Shape{2, 4}),
                  {"target is an index map of a floating-point type"}}});
  }
  return out;
}

// ---- 3.3 merge / += with different options ----------------------------------------------------

template <class M, class Good, class GoodOther>
void add_merge(catalogue& out, const std::string& row, const std::string& metric, const M& a,
               const M& b, Good good, GoodOther good_other, const std::vector<std::string>& parts) {
  const std::function<M()> make = [a] { return a; };
  const std::function<void(M&)> g = good;
  M other = b;
  good_other(other);
  out.push_back(
      op_entry<M>(row + " (merge)", metric, parts, make, g, [other](M& m) { m.merge(other); }));
  out.push_back(op_entry<M>(row + " (+=)", metric, parts, make, g, [other](M& m) { m += other; }));
}

template <class Task, class Good>
void add_merge_options(catalogue& out, const typename Task::Options& base,
                       const std::vector<std::pair<typename Task::Options, std::string>>& variants,
                       Good good) {
  for_each_metric_taking<Task>(base, [&](auto tg, const char* name) {
    using M = typename decltype(tg)::type;
    for (const auto& [o, field] : variants) {
      constexpr bool stat = is_stat_family_v<M>;
      if (!stat && o.multidim_average == MultidimAverage::samplewise) continue;
      if constexpr (std::is_same_v<Task, Multiclass>)
        if (!stat && o.top_k != 1) continue;
      const M a = make_metric<M>(base);
      const M b = make_metric<M>(o);
      bool scores = false;
      if constexpr (std::is_same_v<Task, Multiclass>) scores = o.top_k != 1;
      if (scores)
        add_merge(out, task_prefix<Task>() + " other " + field, name, a, b,
                  good_multiclass_scores{6}, good_multiclass_scores{6}, {"merge:", field});
      else
        add_merge(out, task_prefix<Task>() + " other " + field, name, a, b, good, good,
                  {"merge:", field});
    }
  });
}

catalogue merge_catalogue() {
  catalogue out;
  {
    const auto base = bin_opts();
    std::vector<std::pair<Binary::Options, std::string>> v;
    auto o = base;
    o.threshold = 0.25;
    v.push_back({o, "threshold=0.25"});
    o = base;
    o.ignore_index = -1;
    v.push_back({o, "ignore_index=-1"});
    o = base;
    o.zero_division = 1.0;
    v.push_back({o, "zero_division=1"});
    add_merge_options<Binary>(out, base, v, good_binary{});
  }
  {
    const auto base = mc_opts(6);
    std::vector<std::pair<Multiclass::Options, std::string>> v;
    auto o = base;
    o.num_classes = 7;
    v.push_back({o, "num_classes=7"});
    o = base;
    o.ignore_index = 255;
    v.push_back({o, "ignore_index=255"});
    o = base;
    o.average = Average::micro;
    v.push_back({o, "average=micro"});
    o = base;
    o.zero_division = 1.0;
    v.push_back({o, "zero_division=1"});
    o = base;
    o.top_k = 2;
    v.push_back({o, "top_k=2"});
    add_merge_options<Multiclass>(out, base, v, good_multiclass{});
  }
  {
    const auto base = ml_opts(3);
    std::vector<std::pair<Multilabel::Options, std::string>> v;
    auto o = base;
    o.threshold = 0.75;
    v.push_back({o, "threshold=0.75"});
    o = base;
    o.ignore_index = 255;
    v.push_back({o, "ignore_index=255"});
    o = base;
    o.average = Average::weighted;
    v.push_back({o, "average=weighted"});
    add_merge_options<Multilabel>(out, base, v, good_multilabel{3});
  }
  // Global with samplewise (nothing counted on the samplewise side).
  {
    using M = tally::MulticlassRecall;
    const M a(mc_opts(6));
    const M b(mc_opts(6, std::nullopt, MultidimAverage::samplewise));
    add_merge(out, "Multiclass global with samplewise", "Recall", a, b, good_multiclass{},
              good_multiclass{}, {"merge:", "multidim_average=samplewise"});
  }
  {  // Multilabel num_labels differs: each side gets its own valid update.
    using M = tally::MultilabelF1Score;
    const M a(ml_opts(3));
    M b(ml_opts(2));
    good_multilabel{2}(b);
    const std::function<M()> make = [a] { return a; };
    const std::function<void(M&)> g = good_multilabel{3};
    out.push_back(op_entry<M>("Multilabel other num_labels (merge)", "F1Score",
                              {"merge:", "num_labels=2"}, make, g, [b](M& m) { m.merge(b); }));
  }
  // FBetaScore beta, ConfusionMatrix normalize.
  add_merge(out, "Multiclass other beta", "FBetaScore",
            tally::MulticlassFBetaScore(1.0, mc_opts(6)),
            tally::MulticlassFBetaScore(2.0, mc_opts(6)), good_multiclass{}, good_multiclass{},
            {"merge:", "beta 1", "beta 2"});
  add_merge(out, "Binary other beta", "FBetaScore", tally::BinaryFBetaScore(0.5, bin_opts()),
            tally::BinaryFBetaScore(0.25, bin_opts()), good_binary{}, good_binary{},
            {"merge:", "beta 0.5", "beta 0.25"});
  add_merge(out, "Multiclass other normalize", "ConfusionMatrix",
            tally::MulticlassConfusionMatrix(mc_opts(6)),
            tally::MulticlassConfusionMatrix(mc_opts(6), Normalize::target), good_multiclass{},
            good_multiclass{}, {"merge:", "normalize = none", "normalize = target"});
  add_merge(out, "Multilabel other normalize", "ConfusionMatrix",
            tally::MultilabelConfusionMatrix(ml_opts(3), Normalize::all),
            tally::MultilabelConfusionMatrix(ml_opts(3), Normalize::pred), good_multilabel{3},
            good_multilabel{3}, {"merge:", "normalize = all", "normalize = pred"});
  // DiceScore: every option.
  {
    const auto base = dice_opts(3, InputFormat::index, AggregationLevel::global, 255);
    std::vector<std::pair<tally::DiceScore::Options, std::string>> v;
    auto o = base;
    o.num_classes = 4;
    v.push_back({o, "num_classes=4"});
    o = base;
    o.ignore_index = 0;
    v.push_back({o, "ignore_index=0"});
    o = base;
    o.include_background = false;
    v.push_back({o, "include_background=false"});
    o = base;
    o.average = Average::micro;
    v.push_back({o, "average=micro"});
    o = base;
    o.aggregation_level = AggregationLevel::samplewise;
    v.push_back({o, "aggregation_level=samplewise"});
    o = base;
    o.input_format = InputFormat::mixed;
    v.push_back({o, "input_format=mixed"});
    o = base;
    o.zero_division = 1.0;
    v.push_back({o, "zero_division=1"});
    for (const auto& [opt, field] : v)
      add_merge(out, "DiceScore other " + field, "DiceScore", tally::DiceScore(base),
                tally::DiceScore(opt), good_dice{base.input_format}, good_dice{opt.input_format},
                {"merge:", field});
  }
  return out;
}

// ---- load of foreign, mismatched, truncated or corrupted bytes --------------------------------

template <class M, class Good>
void add_loads(catalogue& out, const std::string& task, const std::string& metric, const M& fresh,
               const M& other_options, const std::string& other_field, Good good) {
  const std::function<M()> make = [fresh] { return fresh; };
  const std::function<void(M&)> g = good;
  M saved = fresh;
  good(saved);
  good(saved);
  const std::string bytes = saved.save();
  auto add = [&](const std::string& row, std::string b, std::vector<std::string> parts) {
    out.push_back(op_entry<M>(task + " load " + row, metric, std::move(parts), make, g,
                              [b](M& m) { m.load(b); }));
  };
  add("empty bytes", "", {"load:", "the 0 bytes are not a tally state"});
  add("foreign text", "hello, world: not a state at all",
      {"load:", "the 32 bytes are not a tally state"});
  std::string header_only = bytes.substr(0, 12);
  add("12-byte header", header_only, {"load:", "are not a tally state"});
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x5A);
  add("one corrupted byte", corrupt,
      {"load:", "the " + std::to_string(bytes.size()) + " bytes fail their checksum"});
  add("truncated by one byte", bytes.substr(0, bytes.size() - 1), {"load:", "checksum"});
  add("one extra byte", bytes + "x", {"load:", "checksum"});
  std::string version = bytes;
  version[8] = static_cast<char>(version[8] + 1);
  add("another format version", version, {"load:", "format version"});
  const M oth = other_options;  // saved as constructed (its own options may not fit `good`)
  add("other options", oth.save(), {"load:", "the state was saved by", other_field});
}

catalogue load_catalogue() {
  catalogue out;
  const auto bsw = bin_opts(std::nullopt, MultidimAverage::samplewise);
  auto b2 = bin_opts();
  b2.threshold = 0.25;
  add_loads(out, "Binary", "F1Score", tally::BinaryF1Score(bin_opts()), tally::BinaryF1Score(b2),
            "threshold=0.25", good_binary{});
  add_loads(out, "Binary samplewise", "StatScores", tally::BinaryStatScores(bsw),
            tally::BinaryStatScores(bin_opts(-1, MultidimAverage::samplewise)), "ignore_index=-1",
            good_binary{});
  add_loads(out, "Binary", "ConfusionMatrix", tally::BinaryConfusionMatrix(bin_opts()),
            tally::BinaryConfusionMatrix(bin_opts(), Normalize::all), "normalize=all",
            good_binary{});
  add_loads(out, "Multiclass", "JaccardIndex", tally::MulticlassJaccardIndex(mc_opts(6)),
            tally::MulticlassJaccardIndex(mc_opts(7)), "num_classes=7", good_multiclass{});
  add_loads(out, "Multiclass", "ConfusionMatrix", tally::MulticlassConfusionMatrix(mc_opts(6)),
            tally::MulticlassConfusionMatrix(mc_opts(6, 255)), "ignore_index=255",
            good_multiclass{});
  add_loads(out, "Multiclass samplewise", "FBetaScore",
            tally::MulticlassFBetaScore(2.0, mc_opts(6, std::nullopt, MultidimAverage::samplewise)),
            tally::MulticlassFBetaScore(0.5, mc_opts(6, std::nullopt, MultidimAverage::samplewise)),
            "beta=0.5", good_multiclass{});
  add_loads(out, "Multilabel", "Accuracy", tally::MultilabelAccuracy(ml_opts(3)),
            tally::MultilabelAccuracy(ml_opts(3, 255)), "ignore_index=255", good_multilabel{3});
  add_loads(out, "Multilabel", "ConfusionMatrix", tally::MultilabelConfusionMatrix(ml_opts(3)),
            tally::MultilabelConfusionMatrix(ml_opts(4)), "num_labels=4", good_multilabel{3});
  for (auto level : {AggregationLevel::global, AggregationLevel::samplewise}) {
    const auto d = dice_opts(3, InputFormat::index, level, 255);
    auto d2 = d;
    d2.zero_division = 1.0;
    add_loads(out, std::string("DiceScore ") + tally::to_string(level), "DiceScore",
              tally::DiceScore(d), tally::DiceScore(d2), "zero_division=1",
              good_dice{InputFormat::index});
  }
  // Another metric type's bytes with the same options.
  {
    using M = tally::MulticlassPrecision;
    tally::MulticlassRecall recall(mc_opts(6));
    good_multiclass{}(recall);
    const std::string b = recall.save();
    out.push_back(op_entry<M>(
        "Multiclass load of Recall bytes into Precision", "Precision",
        {"load:", "saved by MulticlassRecall{", "this metric is MulticlassPrecision{"},
        [] { return M(mc_opts(6)); }, std::function<void(M&)>(good_multiclass{}),
        [b](M& m) { m.load(b); }));
    tally::BinaryF1Score f1(bin_opts());
    good_binary{}(f1);
    const std::string fb = f1.save();
    out.push_back(op_entry<M>(
        "Multiclass load of BinaryF1Score bytes", "Precision", {"load:", "saved by BinaryF1Score{"},
        [] { return M(mc_opts(6)); }, std::function<void(M&)>(good_multiclass{}),
        [fb](M& m) { m.load(fb); }));
  }
  return out;
}

// ---- other misuse: Shape, tensor_view, Result ----------------------------------------------

catalogue misuse_catalogue() {
  catalogue out;
  out.push_back(call_entry("Shape with a negative extent", "Shape",
                           {"Shape: extent -3 of axis 1", "is negative"}, [] {
                             const std::vector<long long> e{2, -3};
                             (void)Shape(e.begin(), e.end());
                           }));
  out.push_back(call_entry("Shape of rank 9", "Shape", {"Shape: rank above 8"}, [] {
    const std::vector<int> e(9, 1);
    (void)Shape(e.begin(), e.end());
  }));
  out.push_back(call_entry("Shape whose element count overflows", "Shape",
                           {"Shape: the number of elements overflows size_t at axis 2"}, [] {
                             const std::vector<std::uint64_t> e{1u << 30, 1u << 30, 1u << 30};
                             (void)Shape(e.begin(), e.end());
                           }));
  out.push_back(call_entry("tensor_view with a null pointer", "tensor_view",
                           {"tensor_view: null data pointer", "(2, 3)", "6 elements"}, [] {
                             (void)tally::tensor_view<const int>(nullptr, Shape{2, 3});
                           }));
  out.push_back(call_entry("tensor_view of a range with the wrong size", "tensor_view",
                           {"tensor_view: a range of 6 elements", "shape (2, 2)", "(4 elements)"},
                           [] {
                             const std::vector<int> v(6, 0);
                             (void)tally::tensor_view<const int>(v, Shape{2, 2});
                           }));
  out.push_back(
      call_entry("Result::value() of a (6) result", "Result", {"Result::value()", "shape (6)"}, [] {
        auto o = mc_opts(6);
        o.average = Average::none;
        tally::MulticlassPrecision p(o);
        good_multiclass{}(p);
        (void)p.compute().value();
      }));
  return out;
}

struct area {
  const char* name;
  catalogue (*build)();
};

const area areas[] = {
    {"options", options_catalogue},
    {"binary inputs", binary_catalogue},
    {"multiclass values", multiclass_value_catalogue},
    {"multiclass shapes", multiclass_shape_catalogue},
    {"multilabel inputs", multilabel_catalogue},
    {"segmentation inputs", dice_catalogue},
    {"merge", merge_catalogue},
    {"load", load_catalogue},
    {"misuse", misuse_catalogue},
};

}  // namespace

TEST_CASE("catalogue: options rejected by the constructors (3.1, 6.4)") {
  run_catalogue(options_catalogue());
}

TEST_CASE("catalogue: binary inputs (3.2)") {
  run_catalogue(binary_catalogue());
}

TEST_CASE("catalogue: multiclass label and score values (3.2)") {
  run_catalogue(multiclass_value_catalogue());
}

TEST_CASE("catalogue: multiclass shapes, ranks and element types (1.2, 1.5, 3.2)") {
  run_catalogue(multiclass_shape_catalogue());
}

TEST_CASE("catalogue: multilabel inputs (3.2)") {
  run_catalogue(multilabel_catalogue());
}

TEST_CASE("catalogue: DiceScore, MeanIoU and GeneralizedDiceScore inputs (6.1, 6.4)") {
  run_catalogue(dice_catalogue());
}

TEST_CASE("catalogue: merge and += with different options (3.3)") {
  run_catalogue(merge_catalogue());
}

TEST_CASE("catalogue: load of foreign, mismatched or damaged bytes") {
  run_catalogue(load_catalogue());
}

TEST_CASE("catalogue: Shape, tensor_view and Result misuse") {
  run_catalogue(misuse_catalogue());
}

// Prints the size of the catalogue (closing notes quote it) and checks its shape, which the
// tests above do not: every area has rows, every row names at least one part of its message (a
// row with none would accept any tally::error), no row runs twice against the same metric type
// (a pasted duplicate checks nothing new), and no two areas share a row name (a failure would not
// say which table it came from).
TEST_CASE("catalogue: summary") {
  std::size_t checks = 0, rows_per_area = 0;
  std::set<std::string> rows;
  std::vector<std::string> without_parts, repeated;
  for (const area& a : areas) {
    const catalogue c = a.build();
    INFO("area: " << a.name);
    CHECK_FALSE(c.empty());
    std::set<std::string> r;
    std::set<std::pair<std::string, std::string>> runs;
    for (const entry& e : c) {
      r.insert(e.row);
      if (e.parts.empty()) without_parts.push_back(e.row + " / " + e.metric);
      if (!runs.insert({e.row, e.metric}).second) repeated.push_back(e.row + " / " + e.metric);
    }
    std::cout << "tally bad-input catalogue, " << a.name << ": " << r.size() << " bad inputs, "
              << c.size() << " checks (input x metric type)\n";
    checks += c.size();
    rows_per_area += r.size();
    rows.insert(r.begin(), r.end());
  }
  std::cout << "tally bad-input catalogue, total: " << rows.size() << " bad inputs, " << checks
            << " checks\n";
  const auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& x : v) out += "\n  " + x;
    return out;
  };
  INFO("rows expecting no part of the message:" << list(without_parts));
  CHECK(without_parts.empty());
  INFO("rows run twice against one metric type:" << list(repeated));
  CHECK(repeated.empty());
  CHECK(rows.size() == rows_per_area);
}

// The checks behind every row can fail: a message without a part (or with it only as the start
// of a longer number), an exception that is not tally::error, no exception, and an operation that
// changes the accumulator before it throws are each caught. A catalogue whose machinery let
// everything through would pass every table above.
TEST_CASE("catalogue: its checks catch a missing part, a wrong exception and a changed state") {
  CHECK(has_part("target value 7 at index 1 is outside [0, 6)", "at index 1"));
  CHECK(has_part("preds value 2 at index 12; target value 7 at index 1", "at index 1"));
  CHECK_FALSE(has_part("target value 7 at index 12", "at index 1"));
  CHECK_FALSE(has_part("target value 7 at index 1", "preds value"));

  CHECK(capture([] {}).thrown == outcome::nothing);
  CHECK(capture([] { throw std::runtime_error("x"); }).thrown == outcome::other_exception);
  const outcome shape_error = capture([] {
    const std::vector<long long> e{2, -3};
    (void)Shape(e.begin(), e.end());
  });
  CHECK(shape_error.thrown == outcome::tally_error);
  CHECK(has_part(shape_error.what, "is negative"));

  using M = tally::MulticlassPrecision;
  const std::function<M()> make = [] { return M(mc_opts(6)); };
  const std::function<void(M&)> good = good_multiclass{};
  const std::vector<int> p{0, 1}, t{0, 9};  // target 9 is outside [0, 6)
  const outcome rejected = check_rejected<M>(make, good, [&](M& m) { m.update(p, t); });
  CHECK(rejected.thrown == outcome::tally_error);
  CHECK(has_part(rejected.what, "target value 9"));
  CHECK(rejected.state_unchanged);
  CHECK(rejected.still_usable);
  // Counts a valid batch, then throws on the bad one: the accumulator changed.
  const outcome counted = check_rejected<M>(make, good, [&](M& m) {
    good(m);
    m.update(p, t);
  });
  CHECK(counted.thrown == outcome::tally_error);
  CHECK_FALSE(counted.state_unchanged);
  CHECK_FALSE(counted.still_usable);
}
