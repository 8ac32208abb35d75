// The classification part of the fuzz oracle: a slow scalar reference of docs/semantics.md sections
// 1-5 (validation, ignore_index, logits/threshold, argmax/top_k, per-class counts, reductions)
// and the harness that runs every StatScores-family metric and ConfusionMatrix against it.
#ifndef TALLY_FUZZ_CLASSIFICATION_HPP
#define TALLY_FUZZ_CLASSIFICATION_HPP

#include "fuzz_common.hpp"

namespace fz {

enum class mkind : int { stat, cm, accuracy, precision, recall, f1, fbeta, specificity, jaccard };
inline constexpr int mkinds = 9;

inline const char* kind_name(mkind k) {
  static const char* n[] = {"StatScores", "ConfusionMatrix", "Accuracy",    "Precision",
                            "Recall",     "F1Score",         "FBetaScore",  "Specificity",
                            "JaccardIndex"};
  return n[static_cast<int>(k)];
}

enum : std::size_t { TN = 0, FP = 1, FN = 2, TP = 3 };

// Everything the oracle needs to know about one accumulator.
struct spec {
  int task = 0;  // 0 binary, 1 multiclass, 2 multilabel
  mkind kind = mkind::stat;
  std::size_t C = 1;  // classes, labels, or 1 for binary
  std::optional<std::int64_t> ii;
  double threshold = 0.5;
  tally::Average average = tally::Average::micro;
  bool samplewise = false;
  int top_k = 1;
  double zd = 0;
  double beta = 1;
  tally::Normalize normalize = tally::Normalize::none;
  bool cm_table() const { return task == 1 && kind == mkind::cm; }
};

// The reference state: counts() in the library's layout, and the number of units.
struct ref_state {
  std::vector<std::uint64_t> counts;
  std::size_t units = 0;
};

inline ref_state ref_initial(const spec& s) {
  ref_state r;
  if (s.cm_table()) {
    r.counts.assign(s.C * s.C, 0);
    r.units = 1;
  } else if (!s.samplewise) {
    r.counts.assign(s.C * 4, 0);
    r.units = 1;
  }
  return r;
}

inline void ref_commit(const spec& s, ref_state& r, const ref_state& delta) {
  if (s.samplewise && !s.cm_table()) {
    r.counts.insert(r.counts.end(), delta.counts.begin(), delta.counts.end());
    r.units += delta.units;
  } else {
    for (std::size_t i = 0; i < r.counts.size(); ++i) r.counts[i] += delta.counts[i];
  }
}

inline std::vector<std::size_t> without_axis1(const std::vector<std::size_t>& s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != 1) out.push_back(s[i]);
  return out;
}

// p > t for probabilities in P's precision; sigmoid(p) > t for logits. Where the sigmoid lands
// within rounding distance of t (not part of the contract, docs/semantics.md 1.3/8) the documented
// equivalent p > log(t / (1 - t)) decides.
template <class P>
bool positive(P p, double t, bool logits) {
  if (!logits) return p > static_cast<P>(t);
  const long double x = p;
  const long double s = 1.0L / (1.0L + std::exp(-x));
  const long double tol = 1e-12L * (std::fabs(x) + 2) * s * (1 - s) + 1e-300L;
  if (std::isfinite(x) && std::fabs(s - static_cast<long double>(t)) > tol)
    return s > static_cast<long double>(t);
  const double lt = t <= 0.0   ? -std::numeric_limits<double>::infinity()
                    : t >= 1.0 ? std::numeric_limits<double>::infinity()
                               : std::log(t / (1.0 - t));
  return static_cast<double>(p) > lt;
}

// Multiclass (docs/semantics.md 1.2, 1.4, 1.5, 2.3, 3.2). Returns whether the update is valid
// and fills the counts it adds.
template <class P, class T>
bool oracle_multiclass(const spec& s, const P* p, const std::vector<std::size_t>& ps, const T* t,
                       const std::vector<std::size_t>& ts, ref_state& out) {
  constexpr bool fp = std::is_floating_point_v<P>;
  const std::size_t C = s.C;
  const bool scores = ps.size() == ts.size() + 1;
  if (!scores && ps.size() != ts.size()) return false;
  if (scores) {
    if (ps.size() < (s.samplewise ? 3u : 2u) || !fp || ps[1] != C || without_axis1(ps) != ts)
      return false;
  } else {
    if (ts.size() < (s.samplewise ? 2u : 1u) || ps != ts || fp || s.top_k != 1) return false;
  }
  const std::size_t N = ts[0], n = numel(ts), R = N ? n / N : 0;
  if constexpr (fp) {
    for (std::size_t i = 0; i < numel(ps); ++i)
      if (std::isnan(p[i])) return false;
  }
  const std::size_t units = s.cm_table() ? 1 : s.samplewise ? N : 1;
  out.units = units;
  std::vector<std::uint64_t> tp(units * C), pr(units * C), tg(units * C), kept(units);
  if (s.cm_table()) out.counts.assign(C * C, 0);
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t r = 0; r < R; ++r) {
      const i128 tv = value_of(t[i * R + r]);
      if (s.ii && tv == *s.ii) continue;
      if (tv < 0 || tv >= static_cast<i128>(C)) return false;
      const std::size_t tc = static_cast<std::size_t>(tv);
      std::size_t pc = 0;
      if constexpr (fp) {
        const P* sc = p + i * C * R + r;
        std::size_t arg = 0;
        for (std::size_t c = 1; c < C; ++c)
          if (sc[c * R] > sc[arg * R]) arg = c;
        pc = arg;
        if (s.top_k > 1) {
          std::size_t rank = 0;  // classes ranked above the target (ties: lower index first)
          for (std::size_t c = 0; c < C; ++c)
            rank += sc[c * R] > sc[tc * R] || (sc[c * R] == sc[tc * R] && c < tc);
          if (rank < static_cast<std::size_t>(s.top_k)) pc = tc;
        }
      } else {
        const i128 pv = value_of(p[i * R + r]);
        if (pv < 0 || pv >= static_cast<i128>(C)) return false;
        pc = static_cast<std::size_t>(pv);
      }
      if (s.cm_table()) {
        ++out.counts[tc * C + pc];
        continue;
      }
      const std::size_t u = s.samplewise ? i : 0;
      tp[u * C + tc] += tc == pc;
      ++pr[u * C + pc];
      ++tg[u * C + tc];
      ++kept[u];
    }
  if (s.cm_table()) return true;
  out.counts.assign(units * C * 4, 0);
  for (std::size_t u = 0; u < units; ++u)
    for (std::size_t c = 0; c < C; ++c) {
      std::uint64_t* b = out.counts.data() + (u * C + c) * 4;
      const std::size_t k = u * C + c;
      b[TP] = tp[k];
      b[FP] = pr[k] - tp[k];
      b[FN] = tg[k] - tp[k];
      b[TN] = kept[u] - pr[k] - tg[k] + tp[k];
    }
  return true;
}

// Binary (task 0) and multilabel (task 2): docs/semantics.md 1.2, 1.3, 1.5, 2.2, 2.4, 3.2.
template <class P, class T>
bool oracle_binary_like(const spec& s, const P* p, const std::vector<std::size_t>& ps, const T* t,
                        const std::vector<std::size_t>& ts, ref_state& out) {
  constexpr bool fp = std::is_floating_point_v<P>;
  const bool ml = s.task == 2;
  const std::size_t min_rank = (ml ? 2u : 1u) + (s.samplewise ? 1u : 0u);
  if (ts.size() < min_rank || ps != ts) return false;
  if (ml && ts[1] != s.C) return false;
  const std::size_t n = numel(ts), N = ts[0], L = ml ? s.C : 1;
  const std::size_t R = N ? n / N / L : 0;
  auto kept = [&](std::size_t i) { return !(s.ii && value_of(t[i]) == *s.ii); };
  bool outside = false;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (fp) {
      if (std::isnan(p[i])) return false;
      // Binary ConfusionMatrix / JaccardIndex decide logits on kept elements only.
      const bool kept_only = s.task == 0 && (s.kind == mkind::cm || s.kind == mkind::jaccard);
      if ((!kept_only || kept(i)) && (p[i] < P(0) || p[i] > P(1))) outside = true;
    }
    if (!kept(i)) continue;
    const i128 tv = value_of(t[i]);
    if (tv != 0 && tv != 1) return false;
    if constexpr (!fp) {
      const i128 pv = value_of(p[i]);
      if (pv != 0 && pv != 1) return false;
    }
  }
  const std::size_t units = s.samplewise ? N : 1;
  out.units = units;
  out.counts.assign(units * L * 4, 0);
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t r = 0; r < R; ++r) {
        const std::size_t k = (i * L + l) * R + r;
        if (!kept(k)) continue;
        bool pos;
        if constexpr (fp)
          pos = positive(p[k], s.threshold, outside);
        else
          pos = value_of(p[k]) == 1;
        const bool tgt = value_of(t[k]) == 1;
        std::uint64_t* b = out.counts.data() + ((s.samplewise ? i : 0) * L + l) * 4;
        ++b[pos ? (tgt ? TP : FP) : (tgt ? FN : TN)];
      }
  return true;
}

template <class P, class T>
bool oracle_update(const spec& s, const P* p, const std::vector<std::size_t>& ps, const T* t,
                   const std::vector<std::size_t>& ts, ref_state& out) {
  return s.task == 1 ? oracle_multiclass(s, p, ps, t, ts, out)
                     : oracle_binary_like(s, p, ps, t, ts, out);
}

// ---- reference reductions (docs/semantics.md 4, 5) ---------------------------------------------

struct c4 {
  long double tp = 0, fp = 0, tn = 0, fn = 0;
};
inline c4 block(const std::uint64_t* b) {
  return {static_cast<long double>(b[TP]), static_cast<long double>(b[FP]),
          static_cast<long double>(b[TN]), static_cast<long double>(b[FN])};
}

inline long double score(const spec& s, const c4& x, long double removed_fp = 0) {
  const long double zd = s.zd;
  auto div = [](long double a, long double b, long double z) { return b == 0 ? z : a / b; };
  switch (s.kind) {
    case mkind::precision: return div(x.tp, x.tp + x.fp, zd);
    case mkind::recall: return div(x.tp, x.tp + x.fn, zd);
    case mkind::f1:
    case mkind::fbeta: {
      const long double b2 = static_cast<long double>(s.kind == mkind::f1 ? 1.0 : s.beta) *
                             static_cast<long double>(s.kind == mkind::f1 ? 1.0 : s.beta);
      if (x.tp == 0 && x.fp == 0 && x.fn == 0) return zd;
      return div((1 + b2) * x.tp, (1 + b2) * x.tp + b2 * x.fn + x.fp, zd);
    }
    case mkind::specificity: return div(x.tn, x.tn + x.fp, 0);
    case mkind::accuracy:
      return s.task == 1 ? div(x.tp, x.tp + x.fn, 0)
                         : div(x.tp + x.tn, x.tp + x.fp + x.tn + x.fn, 0);
    case mkind::jaccard: return div(x.tp, x.tp + x.fp + x.fn - removed_fp, zd);
    default: return 0;
  }
}

// The reference compute(): shape and values.
inline std::pair<std::vector<std::size_t>, std::vector<long double>> ref_compute(
    const spec& s, const ref_state& r) {
  const long double nan = std::numeric_limits<long double>::quiet_NaN();
  const std::size_t C = s.C;
  std::vector<long double> v;
  if (s.kind == mkind::cm) {
    const std::size_t k = s.task == 1 ? C : 2, tables = s.task == 1 ? 1 : C;
    for (std::uint64_t x : r.counts) v.push_back(static_cast<long double>(x));
    for (std::size_t tb = 0; tb < tables && s.normalize != tally::Normalize::none; ++tb) {
      long double* m = v.data() + tb * k * k;
      std::vector<long double> row(k, 0), col(k, 0);
      long double total = 0;
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
          row[i] += m[i * k + j];
          col[j] += m[i * k + j];
          total += m[i * k + j];
        }
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
          const long double d = s.normalize == tally::Normalize::all      ? total
                                : s.normalize == tally::Normalize::target ? row[i]
                                                                          : col[j];
          m[i * k + j] = d == 0 ? 0 : m[i * k + j] / d;
        }
    }
    if (s.task == 1) return {{C, C}, v};
    if (s.task == 0) return {{2, 2}, v};
    return {{C, 2, 2}, v};
  }
  const tally::Average avg = s.task == 0 ? tally::Average::micro : s.average;
  const bool per_class = avg == tally::Average::none && s.task != 0;
  const std::optional<std::size_t> ii_class =
      s.task == 1 && s.ii && *s.ii >= 0 && *s.ii < static_cast<std::int64_t>(C)
          ? std::optional<std::size_t>(static_cast<std::size_t>(*s.ii))
          : std::nullopt;
  for (std::size_t u = 0; u < r.units; ++u) {
    const std::uint64_t* b = r.counts.data() + u * C * 4;
    if (s.kind == mkind::stat) {
      if (per_class) {
        for (std::size_t c = 0; c < C; ++c) {
          const c4 x = block(b + c * 4);
          v.insert(v.end(), {x.tp, x.fp, x.tn, x.fn, x.tp + x.fn});
        }
        continue;
      }
      long double acc[5] = {0, 0, 0, 0, 0}, den = 0;
      for (std::size_t c = 0; c < C; ++c) {
        const c4 x = block(b + c * 4);
        const long double w = avg == tally::Average::weighted ? x.tp + x.fn : 1;
        const long double row[5] = {x.tp, x.fp, x.tn, x.fn, x.tp + x.fn};
        for (int j = 0; j < 5; ++j) acc[j] += w * row[j];
        den += w;
      }
      if (avg == tally::Average::micro) den = 1;
      for (long double a : acc) v.push_back(den == 0 ? nan : a / den);
      continue;
    }
    if (avg == tally::Average::none) {
      for (std::size_t c = 0; c < C; ++c) v.push_back(score(s, block(b + c * 4)));
    } else if (avg == tally::Average::micro) {
      c4 sum;
      for (std::size_t c = 0; c < C; ++c) {
        const c4 x = block(b + c * 4);
        sum.tp += x.tp;
        sum.fp += x.fp;
        sum.tn += x.tn;
        sum.fn += x.fn;
      }
      const long double removed =
          s.kind == mkind::jaccard && ii_class ? block(b + *ii_class * 4).fp : 0;
      v.push_back(score(s, sum, removed));
    } else {
      long double num = 0, den = 0;
      for (std::size_t c = 0; c < C; ++c) {
        const c4 x = block(b + c * 4);
        long double w;
        if (avg == tally::Average::weighted) {
          w = x.tp + x.fn;
        } else if (s.task != 1) {
          w = 1;
        } else if (s.kind == mkind::jaccard && ii_class && *ii_class == c) {
          w = 0;
        } else if (s.top_k > 1 && (s.kind == mkind::precision || s.kind == mkind::recall ||
                                   s.kind == mkind::accuracy)) {
          w = x.tp + x.fn > 0;
        } else {
          w = x.tp + x.fp + x.fn > 0;
        }
        if (w == 0) continue;
        num += w * score(s, x);
        den += w;
      }
      v.push_back(den == 0 ? (s.kind == mkind::jaccard ? nan : 0) : num / den);
    }
  }
  std::vector<std::size_t> shape;
  if (s.samplewise) shape.push_back(r.units);
  if (per_class) shape.push_back(C);
  if (s.kind == mkind::stat) shape.push_back(5);
  return {shape, v};
}

inline void check_compute(const spec& s, const ref_state& r, const tally::Result& got) {
  const auto want = ref_compute(s, r);
  FZ_CHECK(got.shape() == to_shape(want.first), kind_name(s.kind), ": compute() shape ",
           shape_str(got.shape()), ", expected ", shape_str(to_shape(want.first)));
  const bool exact = (s.kind == mkind::cm && s.normalize == tally::Normalize::none) ||
                     (s.kind == mkind::stat &&
                      (s.task == 0 || s.average == tally::Average::none ||
                       s.average == tally::Average::micro));
  for (std::size_t i = 0; i < want.second.size(); ++i) {
    const long double w = want.second[i];
    const double g = got[i];
    if (std::isnan(w)) {
      FZ_CHECK(std::isnan(g), kind_name(s.kind), ": value ", i, " is ", g, ", expected NaN");
      continue;
    }
    FZ_CHECK(std::isfinite(g), kind_name(s.kind), ": value ", i, " is ", g, ", expected ",
             static_cast<double>(w));
    const long double err = std::fabs(static_cast<long double>(g) - w);
    const bool ok = exact ? static_cast<long double>(g) == w
                          : err <= 1e-9L * std::max<long double>(1, std::fabs(w));
    FZ_CHECK(ok, kind_name(s.kind), ": value ", i, " is ", g, ", expected ",
             static_cast<double>(w), " (average ", tally::to_string(s.average), ", task ", s.task,
             ", zd ", s.zd, ", beta ", s.beta, ")");
    if (s.kind != mkind::stat && !(s.kind == mkind::cm && s.normalize == tally::Normalize::none))
      FZ_CHECK(g >= 0 && g <= 1, kind_name(s.kind), ": value ", g, " outside [0, 1]");
  }
}

// ---- the harness -------------------------------------------------------------------------------

// Options validity by the rules of docs/semantics.md 3.1 (state-size limits: see `huge`).
inline bool options_valid(const spec& s, std::int64_t count, bool enums_ok, bool& huge) {
  huge = false;
  if (!enums_ok) return false;
  if (!(s.zd == 0.0 || s.zd == 1.0)) return false;
  if (s.task != 1 && !(s.threshold >= 0.0 && s.threshold <= 1.0)) return false;
  if (s.kind == mkind::fbeta && !(s.beta > 0 && std::isfinite(s.beta))) return false;
  if (s.task != 0 && count < 2) return false;
  if (s.task == 1) {
    if (s.top_k < 1 || s.top_k > count) return false;
    if (s.top_k != 1 && (s.kind == mkind::cm || s.kind == mkind::jaccard)) return false;
  }
  if (s.samplewise && (s.kind == mkind::cm || s.kind == mkind::jaccard)) return false;
  // A state no machine holds must be refused with tally::error; where the limit lies is the
  // library's choice, so sizes near it may go either way.
  if (s.task != 0 && count > (std::int64_t{1} << 20)) huge = true;
  if (s.cm_table() && count > 2048) huge = true;
  return true;
}


// One batch, type-erased: element types and pointers.
struct batch {
  int pc;  // pred choice (see with_pair)
  ty tt;
  const void* p;
  const void* t;
  tally::Shape ps, ts;
};

// The accumulator behind a virtual interface, so the harness below is compiled once per element
// type pair rather than once per metric type.
struct acc {
  virtual ~acc() = default;
  virtual std::unique_ptr<acc> fresh() const = 0;
  virtual std::unique_ptr<acc> clone() const = 0;
  virtual outcome update(const batch& b, unsigned threads, std::string* message) = 0;
  virtual std::string save() const = 0;
  virtual tally::tensor_view<const std::uint64_t> counts() const = 0;
  virtual outcome merge(const acc& other) = 0;
  virtual bool equals(const acc& other) const = 0;
  virtual tally::Result compute() const = 0;
  virtual void reset() = 0;
  virtual void round_trip() const = 0;
};

template <class M, class Make>
struct acc_impl final : acc {
  acc_impl(Make make) : make_(make), m_(make()) {}
  std::unique_ptr<acc> fresh() const override { return std::make_unique<acc_impl>(make_); }
  std::unique_ptr<acc> clone() const override { return std::make_unique<acc_impl>(*this); }
  outcome update(const batch& b, unsigned threads, std::string* message) override {
    outcome r = outcome::ok;
    with_pair(b.tt, b.pc, [&](auto p0, auto t0) {
      using P = decltype(p0);
      using T = decltype(t0);
      r = checked_update(m_, static_cast<const P*>(b.p), b.ps, static_cast<const T*>(b.t), b.ts,
                         threads, message);
    });
    return r;
  }
  std::string save() const override { return m_.save(); }
  tally::tensor_view<const std::uint64_t> counts() const override { return m_.counts(); }
  outcome merge(const acc& other) override {
    return guarded("merge", [&] { m_.merge(static_cast<const acc_impl&>(other).m_); });
  }
  bool equals(const acc& other) const override {
    return m_ == static_cast<const acc_impl&>(other).m_;
  }
  tally::Result compute() const override { return m_.compute(); }
  void reset() override { m_.reset(); }
  void round_trip() const override { check_round_trip(m_, make_); }

  Make make_;
  M m_;
};

// Runs one accumulator configuration through a few updates: every ISA level, a split pair for
// merge, occasionally a parallel update, then save/load, compute and reset.
class driver {
 public:
  driver(const spec& s, const acc& proto) : s_(s), levels_(isa_levels()), ref_(ref_initial(s)) {
    for (std::size_t i = 0; i < levels_.size(); ++i) ms_.push_back(proto.fresh());
    a_ = proto.fresh();
    b_ = proto.fresh();
  }

  void run(Input& in) {
    const std::size_t K = 1 + in.u8() % 4;
    const std::size_t split = in.below(K + 1);
    const bool try_parallel = in.u8() == 0x5A;
    for (std::size_t k = 0; k < K; ++k) {
      acc& side = k < split ? *a_ : *b_;
      const ty tt = label_type(in);
      with_pair(tt, in.u8() % pred_choices, [&](auto p0, auto t0) {
        decode_and_apply<decltype(p0), decltype(t0)>(in, side, try_parallel && k == 0);
      });
    }
    if (errors_ > 0) {  // still usable after a failed update: one known-valid update
      std::vector<std::size_t> ts;
      if (s_.task == 2)
        ts = {1, s_.C};
      else
        ts = {1};
      if (s_.samplewise) ts.push_back(1);
      buf<std::uint8_t> t(numel(ts));
      const std::size_t before = errors_;
      if (s_.task == 1 && s_.top_k > 1) {  // top_k > 1 needs scores (1, C[, 1])
        std::vector<std::size_t> ps = ts;
        ps.insert(ps.begin() + 1, s_.C);
        buf<float> p(numel(ps));
        apply<float, std::uint8_t>(p, ps, t, ts, *b_, false);
      } else {
        buf<std::uint8_t> p(numel(ts));
        apply<std::uint8_t, std::uint8_t>(p, ts, t, ts, *b_, false);
      }
      FZ_CHECK(errors_ == before, "a valid update after an error failed");
    }
    FZ_CHECK(a_->merge(*b_) == outcome::ok, "merge failed");
    FZ_CHECK(a_->equals(*ms_[0]), kind_name(s_.kind), ": merge(a, b) differs from one accumulator");
    ms_[0]->round_trip();
    check_compute(s_, ref_, ms_[0]->compute());
    ms_[0]->reset();
    const ref_state empty = ref_initial(s_);
    FZ_CHECK(same_counts(ms_[0]->counts(), empty.counts), "reset() left counts");
    check_compute(s_, empty, ms_[0]->compute());
  }

 private:
  template <class P, class T>
  void decode_and_apply(Input& in, acc& side, bool try_parallel) {
    constexpr bool fp = std::is_floating_point_v<P>;
    const std::size_t C = s_.C;
    std::vector<std::size_t> ts;
    const std::uint8_t rb = in.u8();
    const std::size_t rank = rb < 6 ? 0 : 1 + rb % 4;
    for (std::size_t i = 0; i < rank; ++i) ts.push_back(decode_extent(in));
    const bool scores = s_.task == 1 && (fp ? in.u8() < 220 : in.u8() >= 250);
    if (s_.task == 2 && ts.size() >= 2 && in.u8() < 240) ts[1] = C;
    std::size_t cap = std::size_t{1} << 14;
    if (scores) cap = std::max<std::size_t>(1, (std::size_t{1} << 16) / C);
    fit(ts, cap, s_.task == 2 ? 1 : 99);
    if (s_.samplewise && !ts.empty() && s_.task != 0) {
      const std::size_t max_n = std::max<std::size_t>(1, (std::size_t{1} << 20) / (s_.C * 4));
      if (ts[0] > max_n) ts[0] = max_n;
    }
    std::vector<std::size_t> ps = ts;
    if (scores) ps.insert(ps.begin() + (ps.empty() ? 0 : 1), C);
    maybe_break_shape(in, in.bit() ? ps : ts);
    const label_plan tplan = decode_label_plan(in, s_.task == 1 ? C : 2, s_.ii);
    buf<T> t = make_labels<T>(in, numel(ts), tplan);
    buf<P> p;
    if constexpr (fp) {
      p = make_scores<P>(in, numel(ps), s_.threshold);
    } else {
      const label_plan pplan = decode_label_plan(in, s_.task == 1 ? C : 2, s_.ii);
      p = make_labels<P>(in, numel(ps), pplan);
    }
    apply<P, T>(p, ps, t, ts, side, try_parallel);
  }

  template <class P, class T>
  static batch make_batch(const buf<P>& p, const std::vector<std::size_t>& ps, const buf<T>& t,
                          const std::vector<std::size_t>& ts) {
    return batch{pred_choice<P, T>(), type_id<T>(), p.data(), t.data(), to_shape(ps),
                 to_shape(ts)};
  }

  template <class P, class T>
  void apply(const buf<P>& p, const std::vector<std::size_t>& ps, const buf<T>& t,
             const std::vector<std::size_t>& ts, acc& side, bool try_parallel) {
    ref_state delta;
    const bool accept = oracle_update(s_, p.data(), ps, t.data(), ts, delta);
    const batch b = make_batch(p, ps, t, ts);
    for (std::size_t i = 0; i < levels_.size(); ++i) {
      const tally_test::isa_guard scope(levels_[i]);
      const outcome r = ms_[i]->update(b, 0, nullptr);
      FZ_CHECK((r == outcome::ok) == accept, kind_name(s_.kind), "<", type_name<P>(), ", ",
               type_name<T>(), ">: library ", r == outcome::ok ? "accepted" : "rejected",
               ", oracle ", accept ? "accepts" : "rejects", " preds ", shape_str(b.ps),
               " target ", shape_str(b.ts), " (isa ", tally::detail::to_string(levels_[i]),
               ", task ", s_.task, ")");
    }
    FZ_CHECK((side.update(b, 0, nullptr) == outcome::ok) == accept,
             "the split accumulator disagrees");
    if (accept)
      ref_commit(s_, ref_, delta);
    else
      ++errors_;
    if (!same_counts(ms_[0]->counts(), ref_.counts)) {
      const auto c = ms_[0]->counts();
      std::size_t i = 0;
      while (i < ref_.counts.size() && i < c.size() && c[i] == ref_.counts[i]) ++i;
      die(__FILE__, __LINE__, kind_name(s_.kind), "<", type_name<P>(), ", ", type_name<T>(),
          ">: counts differ from the oracle at ", i, " (library ", c.size(), " counts, oracle ",
          ref_.counts.size(), "; ", i < c.size() ? c[i] : 0, " vs ",
          i < ref_.counts.size() ? ref_.counts[i] : 0, ") preds ", shape_str(b.ps), " target ",
          shape_str(b.ts), " task ", s_.task, " C ", s_.C);
    }
    for (std::size_t i = 1; i < ms_.size(); ++i)
      FZ_CHECK(ms_[i]->equals(*ms_[0]), "ISA ", tally::detail::to_string(levels_[i]),
               " gives another state than ", tally::detail::to_string(levels_[0]));
    if (try_parallel) check_parallel(p, ps, t, ts, accept);
  }

  // Serial vs parallel{2} on the batch tiled along axis 0 to above the parallel threshold.
  template <class P, class T>
  void check_parallel(const buf<P>& p, const std::vector<std::size_t>& ps, const buf<T>& t,
                      const std::vector<std::size_t>& ts, bool accept) {
    if (ps.empty() || ts.empty() || ps[0] != ts[0] || ps[0] == 0 || numel(ps) == 0) return;
    const std::size_t reps = ((std::size_t{1} << 20) + numel(ps) - 1) / numel(ps) + 1;
    std::vector<std::size_t> bps = ps, bts = ts;
    bps[0] *= reps;
    bts[0] *= reps;
    if (s_.samplewise && bts[0] * s_.C * 4 > (std::size_t{1} << 24)) return;
    const buf<P> bp = p.repeated(reps);
    const buf<T> bt = t.repeated(reps);
    const batch b = make_batch(bp, bps, bt, bts);
    std::unique_ptr<acc> x = ms_[0]->fresh(), y = ms_[0]->fresh();
    std::string mx, my;
    const outcome rx = x->update(b, 2, &mx), ry = y->update(b, 0, &my);
    FZ_CHECK(rx == ry && (rx == outcome::ok) == accept, "parallel and serial updates disagree");
    FZ_CHECK(mx == my, "parallel and serial errors differ: '", mx, "' vs '", my, "'");
    FZ_CHECK(x->equals(*y), "parallel and serial updates give different states");
  }

  spec s_;
  std::vector<tally::detail::isa> levels_;
  std::vector<std::unique_ptr<acc>> ms_;
  std::unique_ptr<acc> a_, b_;
  ref_state ref_;
  std::size_t errors_ = 0;
};

// Constructs the metric of kind s.kind for Task with options o and drives it.
template <class Task>
void run_metric(Input& in, const spec& s, const typename Task::Options& o, bool valid, bool huge) {
  auto go = [&](auto tag, auto make) {
    using M = typename decltype(tag)::type;
    const outcome r = guarded("constructor", [&] { (void)make(); });
    if (huge) return;  // either outcome is allowed, but a huge state is not used
    FZ_CHECK((r == outcome::ok) == valid, kind_name(s.kind), ": the constructor ",
             r == outcome::ok ? "accepted" : "rejected", " options the oracle ",
             valid ? "accepts" : "rejects", " (count ", s.C, ", top_k ", s.top_k, ", zd ", s.zd,
             ", threshold ", s.threshold, ", beta ", s.beta, ")");
    if (r != outcome::ok) return;
    const acc_impl<M, decltype(make)> proto(make);
    driver d(s, proto);
    d.run(in);
  };
  auto tag = [](auto* p) { return std::common_type<std::remove_pointer_t<decltype(p)>>{}; };
  switch (s.kind) {
    case mkind::stat:
      return go(tag((tally::StatScores<Task>*)nullptr), [o] { return tally::StatScores<Task>(o); });
    case mkind::cm: {
      const tally::Normalize n = s.normalize;
      return go(tag((tally::ConfusionMatrix<Task>*)nullptr),
                [o, n] { return tally::ConfusionMatrix<Task>(o, n); });
    }
    case mkind::accuracy:
      return go(tag((tally::Accuracy<Task>*)nullptr), [o] { return tally::Accuracy<Task>(o); });
    case mkind::precision:
      return go(tag((tally::Precision<Task>*)nullptr), [o] { return tally::Precision<Task>(o); });
    case mkind::recall:
      return go(tag((tally::Recall<Task>*)nullptr), [o] { return tally::Recall<Task>(o); });
    case mkind::f1:
      return go(tag((tally::F1Score<Task>*)nullptr), [o] { return tally::F1Score<Task>(o); });
    case mkind::fbeta: {
      const double beta = s.beta;
      return go(tag((tally::FBetaScore<Task>*)nullptr),
                [o, beta] { return tally::FBetaScore<Task>(beta, o); });
    }
    case mkind::specificity:
      return go(tag((tally::Specificity<Task>*)nullptr),
                [o] { return tally::Specificity<Task>(o); });
    case mkind::jaccard:
      return go(tag((tally::JaccardIndex<Task>*)nullptr),
                [o] { return tally::JaccardIndex<Task>(o); });
  }
}

// Options shared by the classification targets.
inline double decode_beta(Input& in) {
  static const double b[] = {1.0, 2.0, 0.5, 1e-3, 1e3, 1e-160, 1e160, 1e200, 1e-200, 0.0, -1.0,
                             std::nan(""), std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(), 3.0};
  return b[in.u8() % (sizeof b / sizeof b[0])];
}

inline std::int64_t decode_count(Input& in, bool table) {
  const std::uint8_t b = in.u8();
  if (b < 190) return 2 + b % 23;  // 2..24
  static const std::int64_t c[] = {0, 1, -1, 25, 31, 32, 33, 48, 49, 63, 64, 65, 100, 128, 255,
                                   256, 257, 300, 1000, 65536, 65537, std::int64_t{1} << 30,
                                   std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max(),
                                   std::numeric_limits<std::int64_t>::min(), -1000};
  const std::int64_t v = c[(b - 190) % (sizeof c / sizeof c[0])];
  // A C x C table is kept small: above 1000 classes, only sizes no machine holds.
  if (table && v > 1000 && v < (std::int64_t{1} << 30)) return std::int64_t{1} << 40;
  return v;
}

}  // namespace fz

#endif  // TALLY_FUZZ_CLASSIFICATION_HPP
