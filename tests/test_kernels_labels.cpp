// The fast counting kernels are exact: count_class_labels / count_label_table (every kernel of
// kernels/generic/labels.inl: per-class, hit/miss, table, large-C) and argmax_block (scores.inl)
// give bit-for-bit the result of straightforward references written here, under every ISA cap
// the CPU supports, for every label type pair, class count and awkward length; and invalid values
// are caught wherever they sit. Parallel updates are in test_parallel.cpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tally/detail/count.hpp>
#include <tally/detail/count_multiclass.hpp>
#include <tally/detail/isa.hpp>
#include <tally/detail/kernels.hpp>
#include <tally/detail/kernels/dispatch.hpp>
#include <tally/detail/labels.hpp>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
namespace td = tally::detail;
using tally::Shape;
using td::isa;

// ------------------------------------------------------------------------------------------------
// Label kernels
// ------------------------------------------------------------------------------------------------

// Forces one label kernel for its lifetime (count_class_labels then runs it wherever it can count
// C classes), then restores the previous choice.
class kl_kernel_scope {
 public:
  explicit kl_kernel_scope(td::label_kernel k) : previous_(td::set_label_kernel(k)) {}
  kl_kernel_scope(const kl_kernel_scope&) = delete;
  kl_kernel_scope& operator=(const kl_kernel_scope&) = delete;
  ~kl_kernel_scope() { (void)td::set_label_kernel(previous_); }

 private:
  td::label_kernel previous_;
};

const char* kl_kernel_name(td::label_kernel k) {
  switch (k) {
    case td::label_kernel::automatic: return "automatic";
    case td::label_kernel::per_class: return "per_class";
    case td::label_kernel::hit_miss: return "hit_miss";
    case td::label_kernel::table: return "table";
    case td::label_kernel::large: return "large";
  }
  return "?";
}

// ------------------------------------------------------------------------------------------------
// Label types and values, by value (independent of label_rule)
// ------------------------------------------------------------------------------------------------

template <class X>
struct kl_tag {
  using type = X;
};

template <class F>
void kl_for_each_int_type(F&& f) {
  f(kl_tag<std::uint8_t>{});
  f(kl_tag<std::int8_t>{});
  f(kl_tag<std::uint16_t>{});
  f(kl_tag<std::int16_t>{});
  f(kl_tag<std::int32_t>{});
  f(kl_tag<std::uint32_t>{});
  f(kl_tag<std::int64_t>{});
  f(kl_tag<std::uint64_t>{});
}

template <class X>
bool kl_in_range(X v, std::uint64_t C) {
  if constexpr (std::is_same_v<X, bool>) {
    return (v ? 1u : 0u) < C;
  } else if constexpr (std::is_signed_v<X>) {
    return v >= 0 && static_cast<std::uint64_t>(v) < C;
  } else {
    return static_cast<std::uint64_t>(v) < C;
  }
}

template <class X>
std::uint64_t kl_class(X v) {
  if constexpr (std::is_same_v<X, bool>) {
    return v ? 1u : 0u;
  } else {
    return static_cast<std::uint64_t>(v);
  }
}

// v == ii by value (no wrap-around).
template <class X>
bool kl_is(X v, const std::optional<std::int64_t>& ii) {
  return ii && equals_value(v, *ii);
}

template <class X>
std::string kl_value_string(X v) {
  if constexpr (std::is_same_v<X, bool>) {
    return v ? "1" : "0";
  } else if constexpr (std::is_signed_v<X>) {
    return std::to_string(static_cast<long long>(v));
  } else {
    return std::to_string(static_cast<unsigned long long>(v));
  }
}

std::string kl_ii_string(const std::optional<std::int64_t>& ii) {
  return ii ? std::to_string(*ii) : std::string("none");
}

// ------------------------------------------------------------------------------------------------
// Data
// ------------------------------------------------------------------------------------------------

// n elements at `offset` elements into a larger buffer (misaligned for every offset 1..7),
// with poison before and after: a kernel that reads outside [0, n) sees invalid values before
// (it would report an error) and valid class-1 pairs after (they would be counted).
template <class X>
struct kl_array {
  std::unique_ptr<X[]> mem;
  X* data = nullptr;
};

template <class X>
kl_array<X> kl_alloc(std::size_t n, std::size_t offset, X before, X after) {
  constexpr std::size_t slack = 72;
  kl_array<X> a;
  a.mem.reset(new X[offset + n + slack]);
  for (std::size_t i = 0; i < offset; ++i) a.mem[i] = before;
  for (std::size_t i = offset + n; i < offset + n + slack; ++i) a.mem[i] = after;
  a.data = a.mem.get() + offset;
  return a;
}

// The straightforward reference: per-class tp / predicted / target, the C x C table (C <= 64),
// the ignored count, and the first invalid position.
struct kl_expect {
  bool valid = true;
  std::size_t first_bad = td::npos;
  std::uint64_t ignored = 0;
  std::vector<std::uint64_t> tp, pred, target, table;
};

template <class P, class T>
void kl_reference(const P* p, const T* t, std::size_t n, std::size_t C,
                  const std::optional<std::int64_t>& ii, kl_expect& e) {
  e.valid = true;
  e.first_bad = td::npos;
  e.ignored = 0;
  e.tp.assign(C, 0);
  e.pred.assign(C, 0);
  e.target.assign(C, 0);
  const bool with_table = C <= td::table_max_classes;
  e.table.assign(with_table ? C * C : 0, 0);
  std::uint64_t* tp = e.tp.data();
  std::uint64_t* pr = e.pred.data();
  std::uint64_t* tg = e.target.data();
  std::uint64_t* tb = with_table ? e.table.data() : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    if (kl_is(t[i], ii)) {
      ++e.ignored;
      continue;
    }
    if (!kl_in_range(t[i], C) || !kl_in_range(p[i], C)) {
      if (e.valid) e.first_bad = i;
      e.valid = false;
      continue;
    }
    const std::uint64_t a = kl_class(t[i]), b = kl_class(p[i]);
    ++tg[a];
    ++pr[b];
    tp[a] += a == b;
    if (tb) ++tb[a * C + b];
  }
}

// Failures are reported with FAIL_CHECK, at most `limit` per test (one broken kernel would
// otherwise print thousands).
struct kl_report {
  std::size_t cases = 0;
  std::size_t failures = 0;
  std::size_t limit = 25;
  void fail(const std::string& what) {
    ++failures;
    if (failures <= limit) FAIL_CHECK(what);
  }
};

// Everything a test of the label kernels reuses from case to case: the ISA guard, one scratch
// (kernels must not depend on its history), the report, and buffers (allocating C = 70000
// counters per case would dominate the runtime).
struct kl_work {
  isa_guard guard;
  std::vector<isa> isas = tested_isas();
  td::label_scratch scratch;
  kl_report rep;
  kl_expect e;
  std::vector<std::uint64_t> tp, pd, tg, table;
  std::vector<std::uint64_t> b_tp, b_pd, b_tg, b_table;
  std::size_t base_C = 0;

  // Non-zero starting values for C classes: kernels add to their outputs, never overwrite them.
  void bases(std::size_t C) {
    if (C == base_C) return;
    base_C = C;
    auto fill = [](std::vector<std::uint64_t>& v, std::size_t size, std::uint64_t salt) {
      v.resize(size);
      for (std::size_t i = 0; i < size; ++i) v[i] = 1000 + 7 * i + salt;
    };
    fill(b_tp, C, 1);
    fill(b_pd, C, 2);
    fill(b_tg, C, 3);
    if (C <= td::table_max_classes) {
      fill(b_table, C * C + 2, 4);
      b_table[C * C + 1] = 0;  // the invalid bin: the table kernel reports "valid" when it is 0
    }
  }
};

template <class P, class T>
std::string kl_describe(const label_case& c, const char* kernel, const char* level) {
  std::ostringstream s;
  s << kernel << " P=" << type_name<P>() << " T=" << type_name<T>() << " C=" << c.C << " n=" << c.n
    << " offset=" << c.offset << " ignore_index=" << kl_ii_string(c.ii)
    << " data=" << label_kind_name(c.kind) << " seed=" << c.seed << " isa=" << level;
  return s.str();
}

// First difference between got - base and want, as text (empty if equal). `base` may be null.
std::string kl_diff(const char* what, const std::vector<std::uint64_t>& got,
                    const std::uint64_t* base, const std::uint64_t* want, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    const std::uint64_t g = got[i] - (base ? base[i] : 0);
    if (g != want[i]) {
      std::ostringstream s;
      s << what << "[" << i << "] expected " << want[i] << ", got " << g;
      return s.str();
    }
  }
  return {};
}

// count_label_pairs with a histogram sink against the reference (ISA independent).
template <class P, class T>
void kl_check_pairs(const label_case& c, const P* p, const T* t, kl_work& w) {
  const kl_expect& e = w.e;
  const td::label_rule<P> pr(c.C, std::nullopt);
  const td::label_rule<T> tr(c.C, c.ii);
  w.tp.assign(c.C, 0);
  w.pd.assign(c.C, 0);
  w.tg.assign(c.C, 0);
  std::uint64_t* tp = w.tp.data();
  std::uint64_t* pd = w.pd.data();
  std::uint64_t* tg = w.tg.data();
  const std::size_t bad =
      td::count_label_pairs(p, t, c.n, pr, tr, [&](std::size_t a, std::size_t b) {
        tp[a] += a == b;
        ++pd[b];
        ++tg[a];
      });
  if (bad != e.first_bad) {
    w.rep.fail(kl_describe<P, T>(c, "count_label_pairs", "-") + ": stopped at " +
               std::to_string(bad) + ", expected " + std::to_string(e.first_bad));
    return;
  }
  if (!e.valid) return;
  std::string d = kl_diff("tp", w.tp, nullptr, e.tp.data(), c.C);
  if (d.empty()) d = kl_diff("pred", w.pd, nullptr, e.pred.data(), c.C);
  if (d.empty()) d = kl_diff("target", w.tg, nullptr, e.target.data(), c.C);
  if (!d.empty()) w.rep.fail(kl_describe<P, T>(c, "count_label_pairs", "-") + ": " + d);
}

// count_class_labels and (C <= 64) count_label_table under one ISA against the reference.
template <class P, class T>
void kl_check_kernels(const label_case& c, const P* p, const T* t, kl_work& w, const char* level) {
  const kl_expect& e = w.e;
  const std::size_t C = c.C;
  const td::label_rule<P> pr(C, std::nullopt);
  const td::label_rule<T> tr(C, c.ii);
  w.bases(C);
  w.tp = w.b_tp;
  w.pd = w.b_pd;
  w.tg = w.b_tg;
  const bool ok = td::count_class_labels(
      p, t, c.n, C, pr, tr, td::class_counts_out{w.tp.data(), w.pd.data(), w.tg.data()}, w.scratch);
  if (ok != e.valid) {
    w.rep.fail(kl_describe<P, T>(c, "count_class_labels", level) + ": returned " +
               (ok ? "true" : "false") + ", expected " + (e.valid ? "true" : "false") +
               (e.valid ? std::string()
                        : " (first invalid element at " + std::to_string(e.first_bad) + ")"));
  } else if (ok) {
    std::string d = kl_diff("tp", w.tp, w.b_tp.data(), e.tp.data(), C);
    if (d.empty()) d = kl_diff("pred", w.pd, w.b_pd.data(), e.pred.data(), C);
    if (d.empty()) d = kl_diff("target", w.tg, w.b_tg.data(), e.target.data(), C);
    if (!d.empty()) w.rep.fail(kl_describe<P, T>(c, "count_class_labels", level) + ": " + d);
  }
  if (C > td::table_max_classes) return;
  // The table: C*C pair bins, then the ignored bin, then the invalid bin.
  w.table = w.b_table;
  const bool tok = td::count_label_table(p, t, c.n, C, pr, tr, w.table.data(), w.scratch);
  if (tok != e.valid) {
    w.rep.fail(kl_describe<P, T>(c, "count_label_table", level) + ": returned " +
               (tok ? "true" : "false") + ", expected " + (e.valid ? "true" : "false"));
    return;
  }
  if (!tok) return;
  std::string d = kl_diff("table", w.table, w.b_table.data(), e.table.data(), C * C);
  if (d.empty()) {
    const std::uint64_t extra[2] = {e.ignored, 0};
    d = kl_diff("table[C*C + k], the ignored and invalid bins,",
                std::vector<std::uint64_t>(w.table.begin() + static_cast<std::ptrdiff_t>(C * C),
                                           w.table.end()),
                w.b_table.data() + C * C, extra, 2);
  }
  if (!d.empty()) w.rep.fail(kl_describe<P, T>(c, "count_label_table", level) + ": " + d);
}

// Reference, count_label_pairs, then the kernels under every ISA, on data already in p and t:
// the automatic choice, and one forced kernel rotating with the seed (every kernel meets every
// kind of case over a test).
template <class P, class T>
void kl_check_all(const label_case& c, const P* p, const T* t, kl_work& w) {
  kl_reference(p, t, c.n, c.C, c.ii, w.e);
  ++w.rep.cases;
  kl_check_pairs(c, p, t, w);
  static const td::label_kernel forced[] = {td::label_kernel::per_class,
                                            td::label_kernel::hit_miss, td::label_kernel::table,
                                            td::label_kernel::large};
  const td::label_kernel k = forced[c.seed % std::size(forced)];
  for (isa level : w.isas) {
    require_isa(w.guard, level);
    kl_check_kernels(c, p, t, w, td::to_string(level));
    const kl_kernel_scope scope(k);
    kl_check_kernels(c, p, t, w,
                     (std::string(td::to_string(level)) + " forced " + kl_kernel_name(k)).c_str());
  }
}

// One valid case: data, then every check.
template <class P, class T>
void kl_run_case(const label_case& c, kl_work& w) {
  const bool valid_after = (c.seed & 1) != 0;
  kl_array<P> p = kl_alloc<P>(c.n, c.offset, static_cast<P>(valid_after ? -1 : 1),
                              static_cast<P>(valid_after ? 1 : -1));
  kl_array<T> t = kl_alloc<T>(c.n, c.offset, static_cast<T>(valid_after ? -1 : 1),
                              static_cast<T>(valid_after ? 1 : -1));
  fill_labels(c, p.data, t.data);
  kl_reference(p.data, t.data, c.n, c.C, c.ii, w.e);
  if (!w.e.valid) {
    w.rep.fail(kl_describe<P, T>(c, "test data generator", "-") + ": made an invalid element at " +
               std::to_string(w.e.first_bad));
    return;
  }
  kl_check_all(c, p.data, t.data, w);
}

const std::size_t kl_classes[] = {2, 3, 5, 6, 8, 12, 16, 19, 24, 25, 40, 64, 65, 150, 1000, 70000};
const std::size_t kl_short[] = {0, 1, 15, 16, 31, 32, 63, 64, 65};
const std::size_t kl_long[] = {255 * 64 - 1, 255 * 64 + 1, 20001};

// none, out of range (some of them wrap to a class in a narrow type: 258 -> 2 in 8 bits,
// 65537 -> 1 in 16 bits, 2^32 + 3 -> 3 in 32 bits; they must still match nothing), in range.
std::vector<std::optional<std::int64_t>> kl_ignores(std::size_t C) {
  return {std::nullopt,
          std::int64_t{255},
          std::int64_t{-1},
          std::int64_t{-100},
          std::int64_t{65535},
          std::int64_t{1} << 40,
          std::int64_t{258},
          std::int64_t{65537},
          (std::int64_t{1} << 32) + 3,
          std::int64_t{0},
          static_cast<std::int64_t>(C) - 1};
}

// The cases of one (P, T) pair, rotating through the ignore_index variants, kinds of data and
// offsets so that every combination of them meets every C over the pairs. Short lengths: four
// ignore_index variants each for same-type pairs, two for mixed pairs. Long lengths (past the
// 255-vector fold of byte counters and several 2048-element table blocks): every one, two
// variants each, for same-type pairs, one rotating length otherwise. Large C costs a clear and a
// fold of C counters per kernel call, so it gets fewer cases.
template <class P, class T>
void kl_run_pair(std::size_t pair_index, const std::vector<std::size_t>& classes, kl_work& w) {
  constexpr bool same = std::is_same_v<P, T>;
  std::uint64_t seed = pair_index * 100003 + 11;
  for (std::size_t ci = 0; ci < classes.size(); ++ci) {
    const std::size_t C = classes[ci];
    const auto ignores = kl_ignores(C);
    const std::size_t nv = ignores.size();
    const bool huge = C >= 1000, giant = C > 65536;
    // 19 <= C <= 64: every call clears and folds a table of up to 8 x (C*C + 2) counters.
    const bool table_heavy = C >= 19 && C <= td::table_max_classes;
    const std::size_t rot = pair_index * 7 + ci * 3;
    for (std::size_t li = 0; li < std::size(kl_short); ++li) {
      const std::size_t n = kl_short[li];
      if (huge && !(n == 1 || n == 16 || n == 65)) continue;
      if (giant && n == 16) continue;
      if (table_heavy && !same && (li + rot) % 2 != 0) continue;
      const std::size_t variants = huge ? 1 : same ? (table_heavy ? 2 : 4) : (table_heavy ? 1 : 2);
      for (std::size_t k = 0; k < variants; ++k) {
        const std::size_t vi = (li * variants + k + rot) % nv;
        label_case c;
        c.C = C;
        c.n = n;
        c.ii = ignores[vi];
        c.kind = static_cast<int>((li + vi + rot) % label_kind_count);
        c.offset = 1 + (li * 3 + vi + rot) % 7;
        c.seed = ++seed;
        kl_run_case<P, T>(c, w);
      }
    }
    if (!same && (ci + pair_index) % 2 != 0) continue;
    for (std::size_t li = 0; li < std::size(kl_long); ++li) {
      if ((!same || huge) && li != rot % std::size(kl_long)) continue;
      const std::size_t variants = 1;
      for (std::size_t k = 0; k < variants; ++k) {
        label_case c;
        c.C = C;
        c.n = kl_long[li];
        c.ii = ignores[(rot + li * 5 + k * 6) % nv];
        c.kind = static_cast<int>((rot + li * 2 + k * 3) % label_kind_count);
        c.offset = 1 + (rot + li + k) % 7;
        c.seed = ++seed;
        kl_run_case<P, T>(c, w);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Invalid values at chosen positions
// ------------------------------------------------------------------------------------------------

// One invalid value: in preds or target, an int64 converted to the label type, under an
// ignore_index.
struct kl_bad {
  bool in_pred;
  std::int64_t value;
  std::optional<std::int64_t> ii;
};

// The invalid values that exist for (P, T, C): a target of C, negative, the type's extremes, and a
// wrapped ignore_index (a uint8 255 under ignore_index -1); a pred of C, negative or extreme.
template <class P, class T>
std::vector<kl_bad> kl_bad_values(std::size_t C) {
  const std::int64_t cands[] = {static_cast<std::int64_t>(C), static_cast<std::int64_t>(C) + 1, -1,
                                -100, 255, 65535,
                                // truncated to 8, 16 or 32 bits these would be classes 2, 3, 4, 1
                                256 + 2, 65536 + 3, (std::int64_t{1} << 32) + 4, -255,
                                static_cast<std::int64_t>(std::numeric_limits<T>::max()),
                                static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                                static_cast<std::int64_t>(std::numeric_limits<P>::max()),
                                static_cast<std::int64_t>(std::numeric_limits<P>::min())};
  std::vector<kl_bad> out;
  std::vector<std::pair<std::uint64_t, int>> seen;
  const std::optional<std::int64_t> iis[] = {std::nullopt, std::int64_t{-1}, std::int64_t{255},
                                             std::int64_t{65535}};
  for (const auto& ii : iis)
    for (std::int64_t v : cands) {
      const T x = static_cast<T>(v);
      if (kl_in_range(x, C) || kl_is(x, ii)) continue;
      const std::pair<std::uint64_t, int> key{kl_class(x), ii ? static_cast<int>(*ii) : 0};
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      out.push_back({false, v, ii});
    }
  seen.clear();
  for (std::int64_t v : cands) {
    const P x = static_cast<P>(v);
    if (kl_in_range(x, C)) continue;
    const std::pair<std::uint64_t, int> key{kl_class(x), 0};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.push_back({true, v, std::nullopt});
  }
  return out;
}

// Positions to put a bad value at: first, middle, last, and in the tails of 64-, 32-, 16- and
// 8-wide vectors, just after the first fold of byte counters (255 * 64), and one before.
std::vector<std::size_t> kl_positions(std::size_t n) {
  std::vector<std::size_t> cand{0,
                                n / 2,
                                n - 1,
                                n - 2,
                                n & ~std::size_t{63},
                                (n & ~std::size_t{63}) - 1,
                                n & ~std::size_t{31},
                                n & ~std::size_t{15},
                                n & ~std::size_t{7},
                                255 * 64,
                                2048,
                                4096 + 5};
  std::vector<std::size_t> out;
  for (std::size_t q : cand)
    if (q < n && std::find(out.begin(), out.end(), q) == out.end()) out.push_back(q);
  return out;
}

// A bad value at position q must make both kernels fail under every ISA; the same bad pred where
// the target is ignored must not (and then the counts are exact).
template <class P, class T>
void kl_run_bad(std::size_t C, std::size_t n, std::size_t q, const kl_bad& bad, std::uint64_t seed,
                kl_work& w) {
  label_case c;
  c.C = C;
  c.n = n;
  c.ii = bad.ii;
  c.kind = static_cast<int>(seed % 4);
  c.offset = 1 + seed % 7;
  c.seed = seed;
  kl_array<P> p = kl_alloc<P>(n, c.offset, P(1), P(1));
  kl_array<T> t = kl_alloc<T>(n, c.offset, T(1), T(1));
  fill_labels(c, p.data, t.data);
  // The generator puts garbage preds at ignored positions: make every other position kept.
  for (std::size_t i = 0; i < n; ++i)
    if (kl_is(t.data[i], c.ii)) {
      t.data[i] = T(0);
      p.data[i] = P(0);
    }
  if (bad.in_pred) {
    p.data[q] = static_cast<P>(bad.value);
  } else {
    t.data[q] = static_cast<T>(bad.value);
  }
  const std::string where =
      " bad " + std::string(bad.in_pred ? "pred " : "target ") +
      (bad.in_pred ? kl_value_string(p.data[q]) : kl_value_string(t.data[q])) + " at " +
      std::to_string(q);
  kl_reference(p.data, t.data, n, C, c.ii, w.e);
  if (w.e.valid || w.e.first_bad != q) {
    w.rep.fail(kl_describe<P, T>(c, "test setup", "-") + where + ": the reference disagrees");
    return;
  }
  kl_check_all(c, p.data, t.data, w);
  if (!bad.in_pred) return;
  // The same pred at an ignored position: an in-range ignore_index, or an out-of-range one.
  label_case ci = c;
  const std::int64_t choices[] = {0, static_cast<std::int64_t>(C) - 1, 255, -1, 65535};
  for (std::size_t k = 0; k < std::size(choices); ++k) {
    const std::int64_t ii = choices[(seed + k) % std::size(choices)];
    if (holds_value<T>(ii)) {
      ci.ii = ii;
      break;
    }
  }
  if (!ci.ii) return;
  t.data[q] = static_cast<T>(*ci.ii);
  kl_reference(p.data, t.data, n, C, ci.ii, w.e);
  if (!w.e.valid) {
    w.rep.fail(kl_describe<P, T>(ci, "test setup", "-") + where + " (ignored): still invalid");
    return;
  }
  kl_check_all(ci, p.data, t.data, w);
}

// Same-type pairs: every C and length, up to two bad values per position. Mixed pairs: fewer C
// and lengths (one shorter than a vector, one vector and a tail, one with a long tail), one bad
// value per position. The bad values rotate so that each meets several positions.
template <class P, class T>
void kl_run_bad_pair(std::size_t pair_index, bool with_long, kl_work& w) {
  constexpr bool same = std::is_same_v<P, T>;
  static const std::size_t classes[] = {3, 6, 19, 24, 40, 64, 65, 1000, 70000};
  static const std::size_t lengths[] = {1, 15, 16, 17, 33, 64, 65, 127, 20001};
  std::uint64_t seed = pair_index * 7919 + 3;
  for (std::size_t C : classes) {
    const bool giant = C > 65536;
    if (giant && (sizeof(P) < 2 || sizeof(T) < 2)) continue;
    if (!same && (C == 6 || C == 24 || C == 40 || giant)) continue;
    const std::vector<kl_bad> bads = kl_bad_values<P, T>(C);
    if (bads.empty()) continue;
    const std::size_t nb = bads.size();
    for (std::size_t li = 0; li < std::size(lengths); ++li) {
      const std::size_t n = lengths[li];
      const bool is_long = n > 1000;
      if (is_long && !with_long) continue;
      if (!same && !is_long && !(n == 17 || n == 65 || n == 127)) continue;
      if (C >= 1000 && !(n == 17 || n == 65 || is_long)) continue;
      if (is_long && !(C == 3 || C == 19 || C == 64 || C == 65 || C == 1000)) continue;
      std::vector<std::size_t> positions = kl_positions(n);
      if (is_long)  // middle, just after the first fold, last vector's end, tail, last
        positions = {n / 2, 255 * 64, (n & ~std::size_t{63}) - 1, n & ~std::size_t{63}, n - 1};
      for (std::size_t qi = 0; qi < positions.size(); ++qi) {
        const std::size_t per = same && !is_long && C < 19 ? 2 : 1;
        for (std::size_t k = 0; k < per && k < nb; ++k) {
          const std::size_t bi = (qi + li * 3 + pair_index + k * (nb / 2 + 1)) % nb;
          kl_run_bad<P, T>(C, n, positions[qi], bads[bi], ++seed, w);
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Argmax
// ------------------------------------------------------------------------------------------------

// First index of the maximum by strict >, NaN never wins (the result is unused when NaN is there).
template <class S>
std::uint32_t kl_argmax_ref(const S* s, std::size_t C, std::size_t R, std::size_t j) {
  S best = s[j];
  std::uint32_t arg = 0;
  for (std::size_t c = 1; c < C; ++c)
    if (s[c * R + j] > best) {
      best = s[c * R + j];
      arg = static_cast<std::uint32_t>(c);
    }
  return arg;
}

template <class S>
void kl_fill_scores(std::vector<S>& s, std::size_t C, std::size_t R, std::size_t m, int style,
                    splitmix64& rng) {
  const S inf = std::numeric_limits<S>::infinity();
  const S few[] = {-inf, S(-1), S(-0.0), S(0), S(0.5), S(1), inf};
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t j = 0; j < R; ++j) {
      S v;
      if (j >= m) {
        v = std::numeric_limits<S>::quiet_NaN();  // outside the block: must not be read
      } else if (style == 0) {
        v = static_cast<S>(static_cast<double>(rng.below(1u << 20)) / 1024.0 - 512.0);
      } else if (style == 1) {
        v = few[rng.below(std::size(few))];  // many ties, infinities, signed zeros
      } else if (style == 2) {
        v = S(0.25);  // all equal: class 0
      } else if (style == 3) {
        v = -inf;  // all -inf: class 0
      } else {
        // the last class wins a tie with an earlier one at +inf, or not
        v = (c == j % C || c == C - 1) ? inf : S(c);
      }
      s[c * R + j] = v;
    }
}

// argmax_block into labels of type L against the reference, and nothing written past m.
template <class L, class S>
void kl_check_argmax_labels(const std::vector<S>& s, std::size_t C, std::size_t m, std::size_t R,
                            const std::string& what, kl_report& rep) {
  const std::string d = what + " L=" + type_name<L>();
  const L sentinel = static_cast<L>(0xA5);
  std::vector<L> out(m + 64, sentinel);
  ++rep.cases;
  if (td::argmax_block(s.data(), C, R, m, out.data())) {
    rep.fail(d + ": reported NaN where the block has none");
    return;
  }
  for (std::size_t j = 0; j < m; ++j) {
    const std::uint32_t want = kl_argmax_ref(s.data(), C, R, j);
    if (static_cast<std::uint32_t>(out[j]) != want) {
      rep.fail(d + ": position " + std::to_string(j) + " expected " + std::to_string(want) +
               ", got " + std::to_string(static_cast<std::uint32_t>(out[j])));
      return;
    }
  }
  for (std::size_t j = m; j < out.size(); ++j)
    if (out[j] != sentinel) {
      rep.fail(d + ": wrote past the block at " + std::to_string(j));
      return;
    }
}

// One block of scores: labels as uint8 (C <= 256), uint16 and uint32; then a NaN anywhere in the
// block (first / middle / last position, vector tails, first / middle / last class) is reported.
template <class S>
void kl_check_argmax(std::size_t C, std::size_t m, std::size_t R, int style, std::uint64_t seed,
                     const char* level, bool all_label_types, kl_report& rep) {
  splitmix64 rng{seed};
  std::vector<S> s(C * R);
  kl_fill_scores(s, C, R, m, style, rng);
  std::ostringstream d;
  d << "argmax_block S=" << type_name<S>() << " C=" << C << " m=" << m << " R=" << R
    << " style=" << style << " isa=" << level;
  if (C <= 256) kl_check_argmax_labels<std::uint8_t>(s, C, m, R, d.str(), rep);
  if (all_label_types || C > 256) {
    kl_check_argmax_labels<std::uint16_t>(s, C, m, R, d.str(), rep);
    kl_check_argmax_labels<std::uint32_t>(s, C, m, R, d.str(), rep);
  }
  std::vector<std::uint32_t> out(m);
  const std::size_t js[] = {0,
                            m / 2,
                            m - 1,
                            m & ~std::size_t{63},
                            m & ~std::size_t{15},
                            m & ~std::size_t{7},
                            m > 1 ? m - 2 : 0};
  const std::size_t cs[] = {0, C / 2, C - 1};
  for (std::size_t ji = 0; ji < std::size(js); ++ji) {
    const std::size_t j = js[ji];
    if (j >= m) continue;
    for (std::size_t c : cs) {
      const S saved = s[c * R + j];
      s[c * R + j] = std::numeric_limits<S>::quiet_NaN();
      ++rep.cases;
      if (!td::argmax_block(s.data(), C, R, m, out.data()))
        rep.fail(d.str() + ": NaN at class " + std::to_string(c) + ", position " +
                 std::to_string(j) + " not reported");
      s[c * R + j] = saved;
    }
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// 1. Kernel exactness
// ------------------------------------------------------------------------------------------------

TEST_CASE("kernels: the ISA guard restores the previous cap, also when the test body throws") {
  const isa before = td::set_isa_cap(isa::avx2);
  (void)td::set_isa_cap(before);
  try {
    isa_guard guard;
    require_isa(guard, isa::scalar);
    CHECK(td::active_isa() == isa::scalar);
    throw std::runtime_error("a failing test");
  } catch (const std::runtime_error&) {
  }
  const isa after = td::set_isa_cap(before);
  CHECK(after == before);
}

TEST_CASE("kernels: kernel_isa() and the dispatch name the same rung, under every cap") {
  isa_guard guard;
  for (isa level : tested_isas()) {
    require_isa(guard, level);
    const std::string expected = level == isa::avx512vbmi2 ? "avx512" : td::to_string(level);
    CHECK(std::string(tally::kernel_isa()) == expected);
    CHECK(td::with_rung([](auto tag) { return decltype(tag)::level; }) == level);
  }
#if defined(__aarch64__) && !defined(TALLY_NO_SIMD)
  CHECK(td::detected_isa() == isa::neon);
#endif
}

TEST_CASE("kernels: TALLY_NO_AVX512 leaves the AVX-512 rungs out of the x86 ladder") {
#if TALLY_SIMD_X86 && defined(TALLY_NO_AVX512)
  // scalar < avx2: an AVX-512 CPU, a cap or TALLY_ISA naming an AVX-512 rung all land on avx2.
  CHECK(td::ladder_size == 2);
  CHECK(td::at_rank(td::rank(isa::avx512)) == isa::avx2);
  CHECK(td::at_rank(td::rank(isa::avx512vbmi2)) == isa::avx2);
  CHECK(td::rank(td::detected_isa()) <= td::rank(isa::avx2));
  isa_guard guard(isa::avx512vbmi2);
  CHECK(td::active_isa() == td::detected_isa());
#elif TALLY_SIMD_X86
  CHECK(td::ladder_size == 4);
  CHECK(td::at_rank(td::rank(isa::avx512vbmi2)) == isa::avx512vbmi2);
#elif TALLY_SIMD_NEON
  CHECK(td::ladder_size == 2);
  CHECK(td::ladder[1] == isa::neon);
#else
  CHECK(td::ladder_size == 1);
#endif
}

TEST_CASE(
    "kernels: count_class_labels and count_label_table equal a reference, every ISA and type "
    "pair") {
  kl_work w;
  INFO("detected isa " << td::to_string(td::detected_isa()));
  std::size_t pair_index = 0;
  kl_for_each_int_type([&](auto ptag) {
    using P = typename decltype(ptag)::type;
    kl_for_each_int_type([&](auto ttag) {
      using T = typename decltype(ttag)::type;
      std::vector<std::size_t> classes;
      for (std::size_t C : kl_classes)
        if (C != 70000 || (sizeof(P) >= 2 && sizeof(T) >= 2)) classes.push_back(C);
      kl_run_pair<P, T>(pair_index++, classes, w);
    });
  });
  // bool labels (C = 2, and C = 3 where a bool can name classes 0 and 1 only).
  const std::vector<std::size_t> bool_classes{2, 3};
  kl_run_pair<bool, bool>(pair_index++, bool_classes, w);
  kl_for_each_int_type([&](auto tag) {
    using X = typename decltype(tag)::type;
    kl_run_pair<bool, X>(pair_index++, bool_classes, w);
    kl_run_pair<X, bool>(pair_index++, bool_classes, w);
  });
  INFO(w.rep.cases << " cases, " << w.rep.failures << " failures");
  CHECK(w.rep.cases > 10000);
  CHECK(w.rep.failures == 0);
}

TEST_CASE(
    "kernels: every label kernel, forced, counts C up to 24 and long batches exactly, every ISA") {
  // The automatic choice sends each C to one kernel; forced, each kernel counts every C it can,
  // over batches past its folds, with ignored targets and invalid values in the middle and in
  // the tail.
  kl_work w;
  std::uint64_t seed = 900;
  const std::size_t lengths[] = {0, 1, 63, 64, 65, 255 * 64 - 1, 255 * 64 + 1, 20001};
  for (td::label_kernel k : {td::label_kernel::per_class, td::label_kernel::hit_miss,
                             td::label_kernel::table, td::label_kernel::large}) {
    const kl_kernel_scope scope(k);
    INFO("forced " << kl_kernel_name(k));
    for (std::size_t C = 2; C <= 24; ++C) {
      const std::optional<std::int64_t> iis[] = {std::nullopt, std::int64_t{255},
                                                 std::int64_t{-1}, std::int64_t{0},
                                                 static_cast<std::int64_t>(C) - 1};
      for (std::size_t li = 0; li < std::size(lengths); ++li) {
        label_case c;
        c.C = C;
        c.n = lengths[li];
        c.ii = iis[(C + li) % std::size(iis)];
        c.kind = static_cast<int>((C + li) % label_kind_count);
        c.offset = 1 + (C + li) % 7;
        c.seed = ++seed;
        kl_run_case<std::uint8_t, std::uint8_t>(c, w);
        c.seed = ++seed;
        kl_run_case<std::int8_t, std::uint8_t>(c, w);
        c.seed = ++seed;
        kl_run_case<std::uint16_t, std::int64_t>(c, w);
      }
      // An invalid pred or target in the middle and in the tail of a long batch.
      for (std::size_t q : {std::size_t{9000}, std::size_t{20000}}) {
        label_case c;
        c.C = C;
        c.n = 20001;
        c.seed = ++seed;
        kl_array<std::uint8_t> p = kl_alloc<std::uint8_t>(c.n, 1, 1, 1);
        kl_array<std::uint8_t> t = kl_alloc<std::uint8_t>(c.n, 1, 1, 1);
        fill_labels(c, p.data, t.data);
        for (int which = 0; which < 2; ++which) {
          const std::uint8_t saved = which ? p.data[q] : t.data[q];
          (which ? p.data[q] : t.data[q]) = static_cast<std::uint8_t>(C + (q % 3));
          for (isa level : w.isas) {
            require_isa(w.guard, level);
            std::vector<std::uint64_t> a(C, 0), b(C, 0), e(C, 0);
            ++w.rep.cases;
            const td::label_rule<std::uint8_t> rule(C, std::nullopt);
            if (td::count_class_labels(p.data, t.data, c.n, C, rule, rule,
                                       td::class_counts_out{a.data(), b.data(), e.data()},
                                       w.scratch))
              w.rep.fail(std::string(kl_kernel_name(k)) + " " + td::to_string(level) +
                         " C=" + std::to_string(C) + ": bad " + (which ? "pred" : "target") +
                         " at " + std::to_string(q) + " not reported");
          }
          (which ? p.data[q] : t.data[q]) = saved;
        }
      }
    }
  }
  INFO(w.rep.cases << " cases, " << w.rep.failures << " failures");
  CHECK(w.rep.failures == 0);
}

TEST_CASE("kernels: the table counts 1-byte labels up to 255 classes in long batches, every ISA") {
  // 1-byte labels with 64 < C <= 255 go to the (C*C + 2)-bin table once a batch is long enough
  // to pay for clearing it (n >= 16 C^2): 16-bit bins up to 255 * 255 + 1, a multiplier above 127
  // in the AVX2 bin computation.
  kl_work w;
  std::uint64_t seed = 4400;
  for (std::size_t C : {65, 150, 255}) {
    for (int kind : {runs_mostly_right, random_mostly_wrong}) {
      label_case c;
      c.C = C;
      c.n = 16 * C * C + 37;
      c.kind = kind;
      c.offset = 3;
      c.ii = C == 255 ? std::optional<std::int64_t>{-1} : std::optional<std::int64_t>{255};
      c.seed = ++seed;
      kl_run_case<std::uint8_t, std::uint8_t>(c, w);
    }
    // An invalid pred past the first million elements.
    label_case c;
    c.C = C;
    c.n = 16 * C * C + 37;
    c.seed = ++seed;
    kl_array<std::uint8_t> p = kl_alloc<std::uint8_t>(c.n, 1, 1, 1);
    kl_array<std::uint8_t> t = kl_alloc<std::uint8_t>(c.n, 1, 1, 1);
    fill_labels(c, p.data, t.data);
    const std::size_t q = c.n - 40;
    t.data[q] = 3;
    p.data[q] = static_cast<std::uint8_t>(C == 255 ? 255 : C + 1);
    for (isa level : w.isas) {
      require_isa(w.guard, level);
      std::vector<std::uint64_t> a(C, 0), b(C, 0), e(C, 0);
      ++w.rep.cases;
      const td::label_rule<std::uint8_t> rule(C, std::nullopt);
      if (td::count_class_labels(p.data, t.data, c.n, C, rule, rule,
                                 td::class_counts_out{a.data(), b.data(), e.data()}, w.scratch))
        w.rep.fail("C=" + std::to_string(C) + " " + td::to_string(level) +
                   ": a bad pred near the end was not reported");
    }
  }
  INFO(w.rep.cases << " cases, " << w.rep.failures << " failures");
  CHECK(w.rep.failures == 0);
}

TEST_CASE("kernels: long runs past every fold and flush boundary are counted exactly") {
  // Byte counters fold every 255 vectors, the large-C kernel's 21-bit fields every ~2^21 elements:
  // one pair repeated drives one counter as fast as possible. All misses put every other element
  // into the same target field of one copy, so 2^22 + ... elements overflow it unless folded.
  kl_work w;
  std::uint64_t seed = 5;
  for (int kind : {constant_hit, constant_miss, runs_mostly_right}) {
    {
      label_case c;
      c.C = kind == runs_mostly_right ? 1000 : 150;
      c.n = kind == constant_miss ? (std::size_t{1} << 22) + 3 * 4096 + 17
                                  : (std::size_t{1} << 21) + 3 * 4096 + 17;
      c.kind = kind;
      c.offset = 3;
      c.seed = ++seed;
      kl_run_case<std::uint16_t, std::int32_t>(c, w);
    }
    for (std::size_t C : {3, 5, 19, 24, 64}) {
      label_case c;
      c.C = C;
      c.n = 3 * 255 * 64 + 65;
      c.kind = kind;
      c.offset = 5;
      c.ii = std::int64_t{255};
      c.seed = ++seed;
      kl_run_case<std::uint8_t, std::uint8_t>(c, w);
      c.seed = ++seed;
      kl_run_case<std::int64_t, std::uint16_t>(c, w);
    }
  }
  INFO(w.rep.cases << " cases, " << w.rep.failures << " failures");
  CHECK(w.rep.failures == 0);
}

// ------------------------------------------------------------------------------------------------
// 2. Invalid values
// ------------------------------------------------------------------------------------------------

TEST_CASE(
    "kernels: an invalid target or pred anywhere makes every kernel fail, an ignored one does "
    "not") {
  kl_work w;
  std::size_t pair_index = 0;
  kl_for_each_int_type([&](auto ptag) {
    using P = typename decltype(ptag)::type;
    kl_for_each_int_type([&](auto ttag) {
      using T = typename decltype(ttag)::type;
      // Long batches for same-type pairs and a few mixed widths.
      const bool with_long = std::is_same_v<P, T> ||
                             (std::is_same_v<P, std::uint8_t> && std::is_same_v<T, std::int64_t>) ||
                             (std::is_same_v<P, std::int64_t> && std::is_same_v<T, std::uint8_t>) ||
                             (std::is_same_v<P, std::uint16_t> && std::is_same_v<T, std::int32_t>);
      kl_run_bad_pair<P, T>(pair_index++, with_long, w);
    });
  });
  INFO(w.rep.cases << " cases, " << w.rep.failures << " failures");
  CHECK(w.rep.cases > 5000);
  CHECK(w.rep.failures == 0);
}

// ------------------------------------------------------------------------------------------------
// 3. Argmax
// ------------------------------------------------------------------------------------------------

TEST_CASE("kernels: argmax_block equals a scalar argmax and reports NaN, every ISA") {
  isa_guard guard;
  kl_report rep;
  std::uint64_t seed = 1;
  for (isa level : tested_isas()) {
    require_isa(guard, level);
    const char* name = td::to_string(level);
    for (std::size_t C : {2, 3, 19, 300})
      for (std::size_t m : {1, 15, 16, 17, 63, 64, 65, 1000})
        for (int style = 0; style < 5; ++style) {
          if (C * m > 20000 && style > 1) continue;
          // R == m, and a longer row stride whose gap holds NaN (outside the block: not read).
          for (std::size_t R : {m, m + 37}) {
            ++seed;
            kl_check_argmax<float>(C, m, R, style, seed, name, style < 2, rep);
            kl_check_argmax<double>(C, m, R, style, seed, name, style < 2, rep);
          }
        }
  }
  INFO(rep.cases << " cases, " << rep.failures << " failures");
  CHECK(rep.failures == 0);
}
