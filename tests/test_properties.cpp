// Properties on random inputs (fixed-seed std::mt19937_64): chunked updates == one update,
// merge == one accumulator, ignore_index == pre-filtered input, label-type and permutation
// invariance, identities between metrics, and an independent slow reference (docs/semantics.md
// 2, 4, 5).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tally/tally.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
using tally::Average;
using tally::MultidimAverage;
using tally::Normalize;
using tally::Shape;

// ------------------------------------------------------------------------------------------------
// Random data
// ------------------------------------------------------------------------------------------------

struct PropsRng {
  std::mt19937_64 g;
  explicit PropsRng(std::uint64_t seed) : g(seed) {}
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(g);
  }
  std::size_t index(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(g);
  }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g); }
  bool coin(double p) { return real(0.0, 1.0) < p; }
  template <class T>
  T pick(std::initializer_list<T> values) {
    const std::size_t i = index(0, values.size() - 1);
    return *(values.begin() + static_cast<std::ptrdiff_t>(i));
  }
};

// What the preds of a batch hold: integral labels, probabilities in [0, 1], logits (every row
// has a value outside [0, 1]), or multiclass scores (N, C, ...).
enum class PropsKind { labels, probs, logits, scores };

const char* props_kind_name(PropsKind k) {
  switch (k) {
    case PropsKind::labels:
      return "labels";
    case PropsKind::probs:
      return "probs";
    case PropsKind::logits:
      return "logits";
    case PropsKind::scores:
      return "scores";
  }
  return "?";
}

std::size_t props_numel(const std::vector<std::size_t>& s) {
  std::size_t n = 1;
  for (std::size_t e : s) n *= e;
  return n;
}

std::size_t props_row_stride(const std::vector<std::size_t>& s) {
  std::size_t n = 1;
  for (std::size_t i = 1; i < s.size(); ++i) n *= s[i];
  return n;
}

Shape props_shape(const std::vector<std::size_t>& s) { return Shape(s.begin(), s.end()); }

// One update. Labels are stored as exact integers in `preds`; every value is float-exact.
struct PropsBatch {
  PropsKind kind = PropsKind::labels;
  std::vector<double> preds;
  std::vector<std::size_t> pshape;
  std::vector<std::int64_t> target;
  std::vector<std::size_t> tshape;

  [[nodiscard]] std::size_t rows() const { return tshape[0]; }

  // Rows [a, b) of axis 0.
  [[nodiscard]] PropsBatch slice(std::size_t a, std::size_t b) const {
    PropsBatch r;
    r.kind = kind;
    r.pshape = pshape;
    r.pshape[0] = b - a;
    r.tshape = tshape;
    r.tshape[0] = b - a;
    const std::size_t ps = props_row_stride(pshape);
    const std::size_t ts = props_row_stride(tshape);
    r.preds.assign(preds.begin() + static_cast<std::ptrdiff_t>(a * ps),
                   preds.begin() + static_cast<std::ptrdiff_t>(b * ps));
    r.target.assign(target.begin() + static_cast<std::ptrdiff_t>(a * ts),
                    target.begin() + static_cast<std::ptrdiff_t>(b * ts));
    return r;
  }

  // Keeps the rows (axis 0) for which keep(row) is true.
  template <class F>
  [[nodiscard]] PropsBatch filter_rows(F keep) const {
    PropsBatch r;
    r.kind = kind;
    r.pshape = pshape;
    r.tshape = tshape;
    const std::size_t ps = props_row_stride(pshape);
    const std::size_t ts = props_row_stride(tshape);
    std::size_t kept = 0;
    for (std::size_t n = 0; n < rows(); ++n) {
      if (!keep(n)) continue;
      ++kept;
      r.preds.insert(r.preds.end(), preds.begin() + static_cast<std::ptrdiff_t>(n * ps),
                     preds.begin() + static_cast<std::ptrdiff_t>((n + 1) * ps));
      r.target.insert(r.target.end(), target.begin() + static_cast<std::ptrdiff_t>(n * ts),
                      target.begin() + static_cast<std::ptrdiff_t>((n + 1) * ts));
    }
    r.pshape[0] = kept;
    r.tshape[0] = kept;
    return r;
  }
};

struct PropsCfg {
  PropsKind kind = PropsKind::labels;
  std::size_t classes = 2;  // num_classes / num_labels; unused for binary
  std::optional<std::int64_t> ii;
  double p_ignore = 0.0;
  bool garbage = false;           // put out-of-range preds at ignored positions (labels only)
  bool coarse = false;            // multiclass scores from {-2, ..., 2}: many ties
  bool logit_at_ignored = false;  // probs, with values outside [0, 1] at ignored positions only
};

template <class Task>
constexpr int props_task_id() {
  if constexpr (std::is_same_v<Task, tally::Binary>) {
    return 0;
  } else if constexpr (std::is_same_v<Task, tally::Multiclass>) {
    return 1;
  } else {
    return 2;
  }
}

double props_float_exact(double x) { return static_cast<double>(static_cast<float>(x)); }

// A batch of n samples with trailing axes `extra`.
template <class Task>
PropsBatch props_gen(PropsRng& rng, const PropsCfg& cfg, std::size_t n,
                     const std::vector<std::size_t>& extra) {
  constexpr int task = props_task_id<Task>();
  PropsBatch b;
  b.kind = cfg.kind;
  const std::int64_t c = static_cast<std::int64_t>(cfg.classes);
  b.tshape.push_back(n);
  if (task == 2) b.tshape.push_back(cfg.classes);
  b.tshape.insert(b.tshape.end(), extra.begin(), extra.end());
  b.pshape = b.tshape;
  if (task == 1 && cfg.kind == PropsKind::scores)
    b.pshape.insert(b.pshape.begin() + 1, cfg.classes);

  const std::int64_t nvalues = task == 1 ? c : 2;
  const std::size_t nt = props_numel(b.tshape);
  b.target.resize(nt);
  std::vector<bool> ignored(nt, false);
  for (std::size_t i = 0; i < nt; ++i) {
    b.target[i] = rng.integer(0, nvalues - 1);
    if (cfg.ii && rng.coin(cfg.p_ignore)) b.target[i] = *cfg.ii;
    ignored[i] = cfg.ii && b.target[i] == *cfg.ii;
  }

  if (task == 1 && cfg.kind == PropsKind::scores) {
    const std::size_t s = props_numel(extra);
    b.preds.resize(props_numel(b.pshape));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < cfg.classes; ++k)
        for (std::size_t j = 0; j < s; ++j)
          b.preds[(i * cfg.classes + k) * s + j] = cfg.coarse
                                                       ? static_cast<double>(rng.integer(-2, 2))
                                                       : props_float_exact(rng.real(-3.0, 3.0));
    // Make hits common: boost the target's score at half the positions.
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < s; ++j) {
        const std::int64_t t = b.target[i * s + j];
        if (t >= 0 && t < c && rng.coin(0.5))
          b.preds[(i * cfg.classes + static_cast<std::size_t>(t)) * s + j] = props_float_exact(
              b.preds[(i * cfg.classes + static_cast<std::size_t>(t)) * s + j] + 4.0);
      }
    return b;
  }

  b.preds.resize(nt);
  for (std::size_t i = 0; i < nt; ++i) {
    const std::int64_t t = b.target[i];
    const bool in_range = t >= 0 && t < nvalues;
    switch (cfg.kind) {
      case PropsKind::labels: {
        std::int64_t p = (in_range && rng.coin(0.55)) ? t : rng.integer(0, nvalues - 1);
        if (ignored[i] && cfg.garbage) p = rng.pick<std::int64_t>({-1, nvalues, 255, 1000, t});
        b.preds[i] = static_cast<double>(p);
        break;
      }
      case PropsKind::probs: {
        std::int64_t k = rng.integer(0, 64);
        if (in_range && rng.coin(0.5)) k = t == 1 ? rng.integer(33, 64) : rng.integer(0, 31);
        b.preds[i] = static_cast<double>(k) / 64.0;
        break;
      }
      case PropsKind::logits:
      case PropsKind::scores: {
        std::int64_t k = rng.integer(-64, 64);
        if (in_range && rng.coin(0.5)) k = t == 1 ? rng.integer(1, 64) : rng.integer(-64, -1);
        b.preds[i] = static_cast<double>(k) / 16.0;
        break;
      }
    }
  }
  if (cfg.kind == PropsKind::probs && cfg.logit_at_ignored) {
    // The logit rule looks at ignored positions too, except for binary ConfusionMatrix and
    // JaccardIndex (1.3): such a batch is logits for some metrics and probabilities for others.
    for (std::size_t i = 0; i < nt; ++i)
      if (ignored[i]) b.preds[i] = rng.pick<double>({5.0, -2.0, 1.5, 0.25});
  }
  if (cfg.kind == PropsKind::logits) {
    // Every row (axis 0) gets a value outside [0, 1], kept when the row has several elements, so
    // that every chunk of rows (and the kept elements alone, for binary ConfusionMatrix /
    // JaccardIndex) decides "logits". Rank 1: every element is outside [0, 1].
    const std::size_t stride = props_row_stride(b.tshape);
    for (std::size_t r = 0; r < n; ++r) {
      const std::size_t i = r * stride;
      if (stride > 1 && cfg.ii && b.target[i] == *cfg.ii) b.target[i] = *cfg.ii == 0 ? 1 : 0;
      const double mag = 1.5 + static_cast<double>(rng.integer(0, 40)) / 16.0;
      b.preds[i] = b.target[i] == 1 ? mag : -mag;
      if (rng.coin(0.2)) b.preds[i] = -b.preds[i];
    }
  }
  return b;
}

std::optional<std::int64_t> props_random_ii(PropsRng& rng, int task, std::size_t classes) {
  const std::int64_t c = task == 1 ? static_cast<std::int64_t>(classes) : 2;
  switch (rng.integer(0, 3)) {
    case 0:
      return std::nullopt;
    case 1:
      return rng.integer(0, c - 1);
    default:
      return rng.pick<std::int64_t>({255, -1, -100});
  }
}

std::vector<std::size_t> props_random_splits(PropsRng& rng, std::size_t n) {
  const std::size_t pieces = rng.index(1, 4);
  std::vector<std::size_t> cuts{0, n};
  for (std::size_t i = 1; i < pieces; ++i) cuts.push_back(rng.index(0, n));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// ------------------------------------------------------------------------------------------------
// Metrics
// ------------------------------------------------------------------------------------------------

// make_metric, and the normalization for ConfusionMatrix.
template <class M, class O>
M props_make(const O& o, double beta = 2.0, Normalize norm = Normalize::none) {
  if constexpr (is_confusion_matrix_v<M>) {
    return M(o, norm);
  } else {
    return make_metric<M>(o, beta);
  }
}

template <class M>
bool props_allowed(MultidimAverage md, int top_k) {
  return is_stat_family_v<M> || (md == MultidimAverage::global && top_k == 1);
}

template <class M>
std::vector<Normalize> props_normalizations() {
  if constexpr (is_confusion_matrix_v<M>) {
    return {Normalize::none, Normalize::target, Normalize::pred, Normalize::all};
  } else {
    return {Normalize::none};
  }
}

template <class Task>
std::vector<Average> props_averages() {
  if constexpr (std::is_same_v<Task, tally::Binary>) {
    return {Average::macro};  // unused
  } else {
    return {Average::micro, Average::macro, Average::weighted, Average::none};
  }
}

template <class Task>
std::vector<PropsKind> props_kinds() {
  if constexpr (std::is_same_v<Task, tally::Multiclass>) {
    return {PropsKind::labels, PropsKind::scores};
  } else {
    return {PropsKind::labels, PropsKind::probs, PropsKind::logits};
  }
}

struct PropsOpt {
  Average average = Average::macro;
  MultidimAverage md = MultidimAverage::global;
  int top_k = 1;
  double zd = 0.0;
  double threshold = 0.5;
};

template <class Task>
typename Task::Options props_opts(const PropsCfg& cfg, const PropsOpt& po) {
  typename Task::Options o;
  if constexpr (std::is_same_v<Task, tally::Binary>) {
    o.threshold = po.threshold;
  } else if constexpr (std::is_same_v<Task, tally::Multiclass>) {
    o.num_classes = static_cast<std::int64_t>(cfg.classes);
    o.average = po.average;
    o.top_k = po.top_k;
  } else {
    o.num_labels = static_cast<std::int64_t>(cfg.classes);
    o.threshold = po.threshold;
    o.average = po.average;
  }
  o.ignore_index = cfg.ii;
  o.multidim_average = po.md;
  o.zero_division = po.zd;
  return o;
}

std::string props_describe(const PropsCfg& cfg, const PropsOpt& po) {
  std::ostringstream s;
  s << "kind " << props_kind_name(cfg.kind) << ", classes " << cfg.classes << ", ii ";
  if (cfg.ii) {
    s << *cfg.ii;
  } else {
    s << "none";
  }
  s << ", average " << tally::to_string(po.average) << ", " << tally::to_string(po.md) << ", top_k "
    << po.top_k << ", zd " << po.zd << ", threshold " << po.threshold;
  return s.str();
}

template <class PT, class TT, class M>
void props_feed_as(M& m, const PropsBatch& b) {
  const std::size_t np = b.preds.size();
  const std::size_t nt = b.target.size();
  auto p = std::make_unique<PT[]>(np ? np : 1);
  auto t = std::make_unique<TT[]>(nt ? nt : 1);
  for (std::size_t i = 0; i < np; ++i) p[i] = static_cast<PT>(b.preds[i]);
  for (std::size_t i = 0; i < nt; ++i) t[i] = static_cast<TT>(b.target[i]);
  m.update(tally::tensor_view<const PT>(p.get(), props_shape(b.pshape)),
           tally::tensor_view<const TT>(t.get(), props_shape(b.tshape)));
}

template <class M>
void props_feed(M& m, const PropsBatch& b) {
  if (b.kind == PropsKind::labels) {
    props_feed_as<std::int64_t, std::int64_t>(m, b);
  } else {
    props_feed_as<double, std::int64_t>(m, b);
  }
}

// Random extra axes: samplewise needs at least one.
std::vector<std::size_t> props_extra(PropsRng& rng, MultidimAverage md) {
  if (md == MultidimAverage::samplewise || rng.coin(0.5)) {
    std::vector<std::size_t> e{rng.index(1, 4)};
    if (rng.coin(0.25)) e.push_back(rng.index(1, 3));
    return e;
  }
  return {};
}

// n in [0, max_n] samples with random trailing axes; the draws are sequenced explicitly (the
// order of evaluation of function arguments differs between compilers).
template <class Task>
PropsBatch props_gen_random(PropsRng& rng, const PropsCfg& cfg, std::size_t max_n,
                            MultidimAverage md) {
  const std::size_t n = rng.index(0, max_n);
  const std::vector<std::size_t> extra = props_extra(rng, md);
  return props_gen<Task>(rng, cfg, n, extra);
}

// A random configuration of one task.
template <class Task>
std::pair<PropsCfg, PropsOpt> props_random_config(PropsRng& rng, PropsKind kind,
                                                  MultidimAverage md) {
  constexpr int task = props_task_id<Task>();
  PropsCfg cfg;
  cfg.kind = kind;
  cfg.classes = task == 1 ? rng.index(2, 8) : task == 2 ? rng.index(2, 5) : 2;
  cfg.ii = props_random_ii(rng, task, cfg.classes);
  cfg.p_ignore = 0.2;
  cfg.garbage = kind == PropsKind::labels && rng.coin(0.5);
  PropsOpt po;
  po.md = md;
  po.zd = rng.coin(0.5) ? 1.0 : 0.0;
  po.threshold = rng.pick<double>({0.5, 0.25, 0.75});
  if (task == 1 && kind == PropsKind::scores) {
    po.top_k =
        static_cast<int>(rng.pick<std::size_t>({std::size_t{1}, std::size_t{2}, cfg.classes}));
  }
  return {cfg, po};
}

std::vector<MultidimAverage> props_mdims() {
  return {MultidimAverage::global, MultidimAverage::samplewise};
}

// ------------------------------------------------------------------------------------------------
// Chunking and merging
// ------------------------------------------------------------------------------------------------

template <class Task>
void props_chunk_case(PropsRng& rng) {
  for (MultidimAverage md : props_mdims()) {
    for (PropsKind kind : props_kinds<Task>()) {
      const auto cp1 = props_random_config<Task>(rng, kind, md);
      ;
      PropsCfg cfg = cp1.first;
      PropsOpt po = cp1.second;
      const auto extra = props_extra(rng, md);
      const std::size_t n = rng.index(0, 10);
      const PropsBatch batch = props_gen<Task>(rng, cfg, n, extra);
      const auto cuts = props_random_splits(rng, n);
      for_each_metric<Task>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        if (!props_allowed<M>(md, po.top_k)) return;
        for (Average avg : props_averages<Task>()) {
          PropsOpt p = po;
          p.average = avg;
          INFO(name << ": " << props_describe(cfg, p) << ", n " << n);
          const auto o = props_opts<Task>(cfg, p);
          M whole = props_make<M>(o, 0.5);
          props_feed(whole, batch);
          M parts = props_make<M>(o, 0.5);
          for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
            props_feed(parts, batch.slice(cuts[i], cuts[i + 1]));
          REQUIRE(whole == parts);
          REQUIRE(whole.compute() == parts.compute());
          // compute() does not change the state.
          const M before = whole;
          (void)whole.compute();
          REQUIRE(whole == before);
        }
      });
    }
  }
}

TEST_CASE("properties: chunked updates equal one update") {
  const auto seed = GENERATE(range(1, 9));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_chunk_case<tally::Binary>(rng);
  props_chunk_case<tally::Multiclass>(rng);
  props_chunk_case<tally::Multilabel>(rng);
}

template <class Task>
void props_merge_case(PropsRng& rng) {
  for (MultidimAverage md : props_mdims()) {
    for (PropsKind kind : props_kinds<Task>()) {
      const auto cp2 = props_random_config<Task>(rng, kind, md);
      ;
      PropsCfg cfg = cp2.first;
      PropsOpt po = cp2.second;
      // Successive updates may have different shapes.
      const std::size_t n1 = rng.index(0, 6);
      const std::size_t n2 = rng.index(0, 6);
      const std::size_t n3 = rng.index(1, 4);
      const PropsBatch b1 = props_gen<Task>(rng, cfg, n1, props_extra(rng, md));
      const PropsBatch b2 = props_gen<Task>(rng, cfg, n2, props_extra(rng, md));
      const PropsBatch b3 = props_gen<Task>(rng, cfg, n3, props_extra(rng, md));
      for_each_metric<Task>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        if (!props_allowed<M>(md, po.top_k)) return;
        for (Normalize norm : props_normalizations<M>()) {
          for (Average avg : props_averages<Task>()) {
            PropsOpt p = po;
            p.average = avg;
            INFO(name << ": " << props_describe(cfg, p) << ", normalize "
                      << tally::to_string(norm));
            const auto o = props_opts<Task>(cfg, p);
            const M fresh = props_make<M>(o, 3.0, norm);
            M serial = fresh;
            props_feed(serial, b1);
            props_feed(serial, b2);
            props_feed(serial, b3);
            M a = fresh;
            props_feed(a, b1);
            M b = fresh;
            props_feed(b, b2);
            props_feed(b, b3);

            M merged = a;
            M& ret = merged.merge(b);
            REQUIRE(&ret == &merged);
            REQUIRE(merged == serial);
            REQUIRE(merged.compute() == serial.compute());

            M plus = a;
            M& ret2 = (plus += b);
            REQUIRE(&ret2 == &plus);
            REQUIRE(plus == serial);
            REQUIRE(plus.compute() == serial.compute());

            // Three accumulators, merged left to right.
            M c = fresh;
            props_feed(c, b3);
            M ab = a;
            M only2 = fresh;
            props_feed(only2, b2);
            ab.merge(only2).merge(c);
            REQUIRE(ab == serial);

            // Merging an empty accumulator changes nothing; into an empty one copies.
            M a2 = a;
            a2.merge(fresh);
            REQUIRE(a2 == a);
            M f2 = fresh;
            f2 += a;
            REQUIRE(f2 == a);
            REQUIRE(f2.compute() == a.compute());

            // Self-merge equals merging a copy.
            M self = a;
            self.merge(self);
            M twice = a;
            twice.merge(M(a));
            REQUIRE(self == twice);
            M doubled = fresh;
            props_feed(doubled, b1);
            props_feed(doubled, b1);
            REQUIRE(self == doubled);

            if (md == MultidimAverage::samplewise) {
              const auto r = merged.compute();
              REQUIRE(r.shape().rank() >= 1);
              REQUIRE(r.shape()[0] == n1 + n2 + n3);
              REQUIRE(self.compute().shape()[0] == 2 * n1);
            }

            // reset() returns to the freshly constructed state.
            M r = serial;
            r.reset();
            REQUIRE(r == fresh);
          }
        }
      });
    }
  }
}

TEST_CASE("properties: merge and += equal one accumulator over both inputs") {
  const auto seed = GENERATE(range(11, 17));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_merge_case<tally::Binary>(rng);
  props_merge_case<tally::Multiclass>(rng);
  props_merge_case<tally::Multilabel>(rng);
}

// ------------------------------------------------------------------------------------------------
// ignore_index == pre-filtered input
// ------------------------------------------------------------------------------------------------

// For an out-of-range ignore_index, the results equal those of the input with the ignored
// positions removed and no ignore_index (2.1, 2.2, 2.3).
template <class Task>
void props_ii_filter_case(PropsRng& rng, std::int64_t ii) {
  constexpr int task = props_task_id<Task>();
  for (PropsKind kind : props_kinds<Task>()) {
    const auto cp3 = props_random_config<Task>(rng, kind, MultidimAverage::global);
    ;
    PropsCfg cfg = cp3.first;
    PropsOpt po = cp3.second;
    cfg.ii = ii;
    cfg.p_ignore = 0.35;
    std::vector<PropsBatch> with_ii, filtered;
    const std::size_t updates = rng.index(1, 3);
    for (std::size_t u = 0; u < updates; ++u) {
      PropsBatch b;
      PropsBatch f;
      if (task == 2) {
        // Multilabel masks per element; drop whole rows (every label ignored).
        PropsCfg plain = cfg;
        plain.ii.reset();
        b = props_gen<Task>(rng, plain, rng.index(0, 12), {});
        std::vector<bool> drop(b.rows());
        for (std::size_t n = 0; n < b.rows(); ++n) {
          drop[n] = rng.coin(0.35);
          if (!drop[n]) continue;
          for (std::size_t l = 0; l < cfg.classes; ++l) {
            b.target[n * cfg.classes + l] = ii;
            if (cfg.garbage) b.preds[n * cfg.classes + l] = 7;
          }
        }
        f = b.filter_rows([&](std::size_t n) { return !drop[n]; });
      } else {
        // Rank 1 positions (multiclass scores: rows (N, C) with target (N)).
        b = props_gen<Task>(rng, cfg, rng.index(0, 30), {});
        f = b.filter_rows([&](std::size_t n) { return b.target[n] != ii; });
      }
      with_ii.push_back(std::move(b));
      filtered.push_back(std::move(f));
    }
    for_each_metric<Task>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      if (!props_allowed<M>(po.md, po.top_k)) return;
      for (Normalize norm : props_normalizations<M>()) {
        for (Average avg : props_averages<Task>()) {
          PropsOpt p = po;
          p.average = avg;
          INFO(name << ": " << props_describe(cfg, p) << ", normalize " << tally::to_string(norm));
          PropsCfg no_ii = cfg;
          no_ii.ii.reset();
          M a = props_make<M>(props_opts<Task>(cfg, p), 0.5, norm);
          M b = props_make<M>(props_opts<Task>(no_ii, p), 0.5, norm);
          for (const auto& x : with_ii) props_feed(a, x);
          for (const auto& x : filtered) props_feed(b, x);
          REQUIRE(a.compute() == b.compute());
          REQUIRE(same_values(a.counts(), b.counts()));
        }
      }
    });
  }
}

TEST_CASE("properties: an out-of-range ignore_index equals removing the ignored positions") {
  const auto seed = GENERATE(range(21, 27));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  for (std::int64_t ii : {std::int64_t{255}, std::int64_t{-1}, std::int64_t{-100}}) {
    props_ii_filter_case<tally::Binary>(rng, ii);
    props_ii_filter_case<tally::Multiclass>(rng, ii);
    props_ii_filter_case<tally::Multilabel>(rng, ii);
  }
}

// In-range ii = k (2.3): class k stays a class, its row is empty but kept predictions of k are its
// fp. That is exactly what the input without the positions of target k gives, with no ii. So the
// counts agree, and so does every StatScores-family result and the per-class Jaccard and the
// confusion matrix. (Jaccard macro and micro differ on purpose; the reference test checks them.)
TEST_CASE("properties: an in-range ignore_index equals removing the positions of that class") {
  const auto seed = GENERATE(range(31, 39));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  for (PropsKind kind : {PropsKind::labels, PropsKind::scores}) {
    for (MultidimAverage md : props_mdims()) {
      const auto cp4 = props_random_config<tally::Multiclass>(rng, kind, md);
      ;
      PropsCfg cfg = cp4.first;
      PropsOpt po = cp4.second;
      const std::int64_t k = rng.integer(0, static_cast<std::int64_t>(cfg.classes) - 1);
      cfg.ii = k;
      cfg.p_ignore = 0.0;  // target k occurs naturally
      std::vector<PropsBatch> with_ii, filtered;
      for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u) {
        PropsBatch b;
        if (md == MultidimAverage::global) {
          b = props_gen<tally::Multiclass>(rng, cfg, rng.index(0, 30), {});
          filtered.push_back(b.filter_rows([&](std::size_t n) { return b.target[n] != k; }));
        } else {
          // Samplewise: filtering would change the samples, so compare row by row instead:
          // each sample (1, S) filtered along its trailing axis.
          const std::size_t n = rng.index(0, 5);
          const std::size_t s_len = rng.index(1, 6);
          b = props_gen<tally::Multiclass>(rng, cfg, n, {s_len});
          const std::size_t s = b.tshape[1];
          const std::size_t c = cfg.classes;
          for (std::size_t n = 0; n < b.rows(); ++n) {
            PropsBatch f;
            f.kind = b.kind;
            std::size_t kept = 0;
            for (std::size_t j = 0; j < s; ++j) {
              if (b.target[n * s + j] == k) continue;
              ++kept;
              f.target.push_back(b.target[n * s + j]);
              if (kind == PropsKind::labels) f.preds.push_back(b.preds[n * s + j]);
            }
            if (kind == PropsKind::scores) {
              for (std::size_t cl = 0; cl < c; ++cl)
                for (std::size_t j = 0; j < s; ++j)
                  if (b.target[n * s + j] != k) f.preds.push_back(b.preds[(n * c + cl) * s + j]);
            }
            f.tshape = {1, kept};
            f.pshape = kind == PropsKind::labels ? f.tshape : std::vector<std::size_t>{1, c, kept};
            filtered.push_back(std::move(f));
          }
        }
        with_ii.push_back(std::move(b));
      }
      for_each_metric<tally::Multiclass>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        if (!props_allowed<M>(po.md, po.top_k)) return;
        for (Normalize norm : props_normalizations<M>()) {
          for (Average avg : props_averages<tally::Multiclass>()) {
            if (is_jaccard_v<M> && avg != Average::none) continue;
            PropsOpt p = po;
            p.average = avg;
            INFO(name << ": " << props_describe(cfg, p) << ", normalize "
                      << tally::to_string(norm));
            PropsCfg no_ii = cfg;
            no_ii.ii.reset();
            M a = props_make<M>(props_opts<tally::Multiclass>(cfg, p), 2.0, norm);
            M b = props_make<M>(props_opts<tally::Multiclass>(no_ii, p), 2.0, norm);
            for (const auto& x : with_ii) props_feed(a, x);
            for (const auto& x : filtered) props_feed(b, x);
            REQUIRE(same_values(a.counts(), b.counts()));
            REQUIRE(a.compute() == b.compute());
          }
        }
      });
    }
  }
}

TEST_CASE("properties: binary ignore_index 0 or 1 equals removing those positions") {
  const auto seed = GENERATE(range(41, 45));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  for (PropsKind kind : props_kinds<tally::Binary>()) {
    for (std::int64_t ii : {std::int64_t{0}, std::int64_t{1}}) {
      const auto cp5 = props_random_config<tally::Binary>(rng, kind, MultidimAverage::global);
      ;
      PropsCfg cfg = cp5.first;
      PropsOpt po = cp5.second;
      cfg.ii = ii;
      const PropsBatch b = props_gen<tally::Binary>(rng, cfg, rng.index(0, 30), {});
      const PropsBatch f = b.filter_rows([&](std::size_t n) { return b.target[n] != ii; });
      for_each_metric<tally::Binary>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        for (Normalize norm : props_normalizations<M>()) {
          INFO(name << ": " << props_describe(cfg, po));
          PropsCfg no_ii = cfg;
          no_ii.ii.reset();
          M x = props_make<M>(props_opts<tally::Binary>(cfg, po), 0.5, norm);
          M y = props_make<M>(props_opts<tally::Binary>(no_ii, po), 0.5, norm);
          props_feed(x, b);
          props_feed(y, f);
          REQUIRE(same_values(x.counts(), y.counts()));
          REQUIRE(x.compute() == y.compute());
        }
      });
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Element types and permutations
// ------------------------------------------------------------------------------------------------

template <class PT, class TT, class M>
M props_fed_as(M m, const std::vector<PropsBatch>& bs) {
  for (const auto& b : bs) props_feed_as<PT, TT>(m, b);
  return m;
}

template <class Task>
void props_label_type_case(PropsRng& rng, bool with_bool) {
  constexpr int task = props_task_id<Task>();
  for (MultidimAverage md : props_mdims()) {
    const auto cp6 = props_random_config<Task>(rng, PropsKind::labels, md);
    ;
    PropsCfg cfg = cp6.first;
    PropsOpt po = cp6.second;
    cfg.classes = task == 1 ? rng.index(2, 12) : cfg.classes;
    // Values that fit every type (int8 included): ii in range, 100, or none; garbage 100.
    if (with_bool) {
      cfg.ii = rng.pick<int>({0, 1, 2}) == 2 ? std::nullopt
                                             : std::optional<std::int64_t>(rng.integer(0, 1));
      cfg.garbage = false;
    } else {
      const int choice = static_cast<int>(rng.integer(0, 2));
      cfg.ii = choice == 0   ? std::nullopt
               : choice == 1 ? std::optional<std::int64_t>(rng.integer(
                                   0, static_cast<std::int64_t>(task == 1 ? cfg.classes : 2) - 1))
                             : std::optional<std::int64_t>(100);
      cfg.garbage = false;
    }
    std::vector<PropsBatch> bs;
    for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u) {
      PropsBatch b = props_gen_random<Task>(rng, cfg, 8, md);
      if (!with_bool && cfg.ii == 100) {
        for (std::size_t i = 0; i < b.target.size(); ++i)
          if (b.target[i] == 100 && rng.coin(0.5)) b.preds[i] = 100;  // unchecked garbage
      }
      bs.push_back(std::move(b));
    }
    for_each_metric<Task>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      if (!props_allowed<M>(md, po.top_k)) return;
      for (Average avg : props_averages<Task>()) {
        PropsOpt p = po;
        p.average = avg;
        INFO(name << ": " << props_describe(cfg, p));
        const M fresh = props_make<M>(props_opts<Task>(cfg, p));
        const M ref = props_fed_as<std::int64_t, std::int64_t>(fresh, bs);
        const tally::Result r = ref.compute();
        auto same = [&](const M& other) {
          REQUIRE(other == ref);
          REQUIRE(other.compute() == r);
        };
        if (with_bool) {
          same(props_fed_as<bool, bool>(fresh, bs));
          same(props_fed_as<bool, std::int64_t>(fresh, bs));
          same(props_fed_as<std::uint8_t, bool>(fresh, bs));
        } else {
          same(props_fed_as<std::uint8_t, std::uint8_t>(fresh, bs));
          same(props_fed_as<std::int8_t, std::int8_t>(fresh, bs));
          same(props_fed_as<std::int16_t, std::int16_t>(fresh, bs));
          same(props_fed_as<std::uint16_t, std::uint16_t>(fresh, bs));
          same(props_fed_as<std::int32_t, std::int32_t>(fresh, bs));
          same(props_fed_as<std::uint32_t, std::uint32_t>(fresh, bs));
          same(props_fed_as<std::uint64_t, std::uint64_t>(fresh, bs));
          same(props_fed_as<std::uint8_t, std::int64_t>(fresh, bs));
          same(props_fed_as<std::int64_t, std::uint8_t>(fresh, bs));
          same(props_fed_as<int, short>(fresh, bs));
        }
      }
    });
  }
}

TEST_CASE("properties: results do not depend on the integral label type") {
  const auto seed = GENERATE(range(51, 55));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_label_type_case<tally::Binary>(rng, false);
  props_label_type_case<tally::Binary>(rng, true);
  props_label_type_case<tally::Multiclass>(rng, false);
  props_label_type_case<tally::Multilabel>(rng, false);
  props_label_type_case<tally::Multilabel>(rng, true);
}

template <class Task>
void props_float_double_case(PropsRng& rng) {
  for (MultidimAverage md : props_mdims()) {
    for (PropsKind kind : props_kinds<Task>()) {
      if (kind == PropsKind::labels) continue;
      const auto cp7 = props_random_config<Task>(rng, kind, md);
      ;
      PropsCfg cfg = cp7.first;
      PropsOpt po = cp7.second;
      std::vector<PropsBatch> bs;
      for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u)
        bs.push_back(props_gen_random<Task>(rng, cfg, 8, md));
      for_each_metric<Task>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        if (!props_allowed<M>(md, po.top_k)) return;
        for (Average avg : props_averages<Task>()) {
          PropsOpt p = po;
          p.average = avg;
          INFO(name << ": " << props_describe(cfg, p));
          const M fresh = props_make<M>(props_opts<Task>(cfg, p));
          const M d = props_fed_as<double, std::int64_t>(fresh, bs);
          const M f = props_fed_as<float, std::int64_t>(fresh, bs);
          REQUIRE(d == f);
          REQUIRE(d.compute() == f.compute());
        }
      });
    }
  }
}

TEST_CASE("properties: float and double scores give identical results") {
  const auto seed = GENERATE(range(61, 65));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_float_double_case<tally::Binary>(rng);
  props_float_double_case<tally::Multiclass>(rng);
  props_float_double_case<tally::Multilabel>(rng);
}

// Global results are invariant under a permutation of the positions (for labels and binary
// elements any permutation of elements; for scores and multilabel a permutation of rows).
template <class Task>
void props_permutation_case(PropsRng& rng) {
  constexpr int task = props_task_id<Task>();
  for (PropsKind kind : props_kinds<Task>()) {
    const auto cp8 = props_random_config<Task>(rng, kind, MultidimAverage::global);
    ;
    PropsCfg cfg = cp8.first;
    PropsOpt po = cp8.second;
    const std::size_t n = rng.index(0, 25);
    const bool elementwise = task == 0 || (task == 1 && kind == PropsKind::labels);
    const PropsBatch b = props_gen<Task>(
        rng, cfg, n, elementwise ? props_extra(rng, po.md) : std::vector<std::size_t>{});
    PropsBatch q = b;
    if (elementwise) {
      std::vector<std::size_t> perm(b.target.size());
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      std::shuffle(perm.begin(), perm.end(), rng.g);
      for (std::size_t i = 0; i < perm.size(); ++i) {
        q.preds[i] = b.preds[perm[i]];
        q.target[i] = b.target[perm[i]];
      }
    } else {
      std::vector<std::size_t> perm(n);
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      std::shuffle(perm.begin(), perm.end(), rng.g);
      const std::size_t ps = props_row_stride(b.pshape);
      const std::size_t ts = props_row_stride(b.tshape);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < ps; ++j) q.preds[i * ps + j] = b.preds[perm[i] * ps + j];
        for (std::size_t j = 0; j < ts; ++j) q.target[i * ts + j] = b.target[perm[i] * ts + j];
      }
    }
    for_each_metric<Task>([&](auto tag, const char* name) {
      using M = typename decltype(tag)::type;
      if (!props_allowed<M>(po.md, po.top_k)) return;
      for (Normalize norm : props_normalizations<M>()) {
        for (Average avg : props_averages<Task>()) {
          PropsOpt p = po;
          p.average = avg;
          INFO(name << ": " << props_describe(cfg, p));
          M x = props_make<M>(props_opts<Task>(cfg, p), 2.0, norm);
          M y = x;
          props_feed(x, b);
          props_feed(y, q);
          REQUIRE(x == y);
          REQUIRE(x.compute() == y.compute());
        }
      }
    });
  }
}

TEST_CASE("properties: permuting positions does not change global results") {
  const auto seed = GENERATE(range(71, 77));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_permutation_case<tally::Binary>(rng);
  props_permutation_case<tally::Multiclass>(rng);
  props_permutation_case<tally::Multilabel>(rng);
}

// ------------------------------------------------------------------------------------------------
// Identities between metrics
// ------------------------------------------------------------------------------------------------

// Number of kept positions of each sample (or one entry for global).
std::vector<std::size_t> props_kept_per_sample(const std::vector<PropsBatch>& bs,
                                               std::optional<std::int64_t> ii, bool samplewise) {
  std::vector<std::size_t> kept;
  if (!samplewise) kept.push_back(0);
  for (const auto& b : bs) {
    const std::size_t ts = props_row_stride(b.tshape);
    for (std::size_t n = 0; n < b.rows(); ++n) {
      std::size_t k = 0;
      for (std::size_t j = 0; j < ts; ++j) k += (ii && b.target[n * ts + j] == *ii) ? 0 : 1;
      if (samplewise) {
        kept.push_back(k);
      } else {
        kept[0] += k;
      }
    }
  }
  return kept;
}

TEST_CASE("properties: multiclass micro precision == recall == F1 == accuracy") {
  const auto seed = GENERATE(range(81, 91));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  for (PropsKind kind : {PropsKind::labels, PropsKind::scores}) {
    for (MultidimAverage md : props_mdims()) {
      const auto cp9 = props_random_config<tally::Multiclass>(rng, kind, md);
      ;
      PropsCfg cfg = cp9.first;
      PropsOpt po = cp9.second;
      po.average = Average::micro;
      std::vector<PropsBatch> bs;
      for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u)
        bs.push_back(props_gen_random<tally::Multiclass>(rng, cfg, 8, md));
      INFO(props_describe(cfg, po));
      const auto o = props_opts<tally::Multiclass>(cfg, po);
      tally::MulticlassPrecision prec(o);
      tally::MulticlassRecall rec(o);
      tally::MulticlassF1Score f1(o);
      tally::MulticlassFBetaScore f2(2.0, o);
      tally::MulticlassAccuracy acc(o);
      for (const auto& b : bs) {
        props_feed(prec, b);
        props_feed(rec, b);
        props_feed(f1, b);
        props_feed(f2, b);
        props_feed(acc, b);
      }
      const auto kept = props_kept_per_sample(bs, cfg.ii, md == MultidimAverage::samplewise);
      const auto rp = prec.compute();
      const auto rr = rec.compute();
      const auto rf = f1.compute();
      const auto rf2 = f2.compute();
      const auto ra = acc.compute();
      REQUIRE(rp.size() == kept.size());
      REQUIRE(rr.shape() == rp.shape());
      REQUIRE(rf.shape() == rp.shape());
      REQUIRE(ra.shape() == rp.shape());
      for (std::size_t i = 0; i < kept.size(); ++i) {
        INFO("sample " << i << ", kept " << kept[i]);
        if (kept[i] > 0) {
          CHECK(rp[i] == rr[i]);
          CHECK(rp[i] == rf[i]);
          CHECK(rp[i] == ra[i]);
          CHECK_THAT(rf2[i], Catch::Matchers::WithinAbs(rp[i], 1e-12));
        } else {
          CHECK(rp[i] == po.zd);
          CHECK(rr[i] == po.zd);
          CHECK(rf[i] == po.zd);
          CHECK(rf2[i] == po.zd);
          CHECK(ra[i] == 0.0);
        }
      }
    }
  }
}

template <class Task>
void props_f1_fbeta_jaccard_case(PropsRng& rng) {
  for (MultidimAverage md : props_mdims()) {
    for (PropsKind kind : props_kinds<Task>()) {
      const auto cp10 = props_random_config<Task>(rng, kind, md);
      ;
      PropsCfg cfg = cp10.first;
      PropsOpt po = cp10.second;
      std::vector<PropsBatch> bs;
      for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u)
        bs.push_back(props_gen_random<Task>(rng, cfg, 8, md));
      for (Average avg : props_averages<Task>()) {
        PropsOpt p = po;
        p.average = avg;
        INFO(props_describe(cfg, p));
        const auto o = props_opts<Task>(cfg, p);
        tally::F1Score<Task> f1(o);
        tally::FBetaScore<Task> fb(1.0, o);
        for (const auto& b : bs) {
          props_feed(f1, b);
          props_feed(fb, b);
        }
        REQUIRE(f1.compute() == fb.compute());
        REQUIRE(same_values(f1.counts(), fb.counts()));

        // Jaccard = F1 / (2 - F1) per class (also at 0/0: zd / (2 - zd) = zd for zd in {0, 1}).
        const bool per_class = std::is_same_v<Task, tally::Binary> || avg == Average::none;
        if (md == MultidimAverage::global && po.top_k == 1 && per_class) {
          tally::JaccardIndex<Task> j(o);
          for (const auto& b : bs) props_feed(j, b);
          const auto rj = j.compute();
          const auto rf = f1.compute();
          REQUIRE(rj.shape() == rf.shape());
          for (std::size_t c = 0; c < rj.size(); ++c) {
            INFO("class " << c);
            CHECK_THAT(rj[c], Catch::Matchers::WithinAbs(rf[c] / (2.0 - rf[c]), 1e-12));
          }
        }
      }
    }
  }
}

TEST_CASE("properties: F1 == FBeta(1) exactly, and Jaccard == F1 / (2 - F1) per class") {
  const auto seed = GENERATE(range(91, 97));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  props_f1_fbeta_jaccard_case<tally::Binary>(rng);
  props_f1_fbeta_jaccard_case<tally::Multiclass>(rng);
  props_f1_fbeta_jaccard_case<tally::Multilabel>(rng);
}

TEST_CASE("properties: top_k = C makes every kept position a hit") {
  const auto seed = GENERATE(range(101, 109));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  for (MultidimAverage md : props_mdims()) {
    const auto cp11 = props_random_config<tally::Multiclass>(rng, PropsKind::scores, md);
    ;
    PropsCfg cfg = cp11.first;
    PropsOpt po = cp11.second;
    po.top_k = static_cast<int>(cfg.classes);
    po.average = Average::micro;
    std::vector<PropsBatch> bs;
    for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u)
      bs.push_back(props_gen_random<tally::Multiclass>(rng, cfg, 8, md));
    INFO(props_describe(cfg, po));
    const auto o = props_opts<tally::Multiclass>(cfg, po);
    tally::MulticlassAccuracy acc(o);
    tally::MulticlassStatScores ss(o);
    for (const auto& b : bs) {
      props_feed(acc, b);
      props_feed(ss, b);
    }
    const auto kept = props_kept_per_sample(bs, cfg.ii, md == MultidimAverage::samplewise);
    const auto ra = acc.compute();
    const auto rs = ss.compute();
    REQUIRE(ra.size() == kept.size());
    REQUIRE(rs.size() == 5 * kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
      INFO("sample " << i << ", kept " << kept[i]);
      CHECK(ra[i] == (kept[i] > 0 ? 1.0 : 0.0));
      CHECK(rs[5 * i + 0] == static_cast<double>(kept[i]));  // tp
      CHECK(rs[5 * i + 1] == 0.0);                           // fp
      CHECK(rs[5 * i + 3] == 0.0);                           // fn
      CHECK(rs[5 * i + 4] == static_cast<double>(kept[i]));  // support
    }
  }
}

// ------------------------------------------------------------------------------------------------
// An independent slow reference (docs/semantics.md 1.3, 1.4, 2, 4, 5)
// ------------------------------------------------------------------------------------------------

enum class RefMetric {
  stat_scores,
  precision,
  recall,
  specificity,
  npv,
  accuracy,
  hamming,
  fbeta,
  jaccard,
  confusion_matrix
};

template <class M>
struct props_ref_kind;
template <class T>
struct props_ref_kind<tally::StatScores<T>> {
  static constexpr RefMetric value = RefMetric::stat_scores;
};
template <class T>
struct props_ref_kind<tally::Precision<T>> {
  static constexpr RefMetric value = RefMetric::precision;
};
template <class T>
struct props_ref_kind<tally::Recall<T>> {
  static constexpr RefMetric value = RefMetric::recall;
};
template <class T>
struct props_ref_kind<tally::Specificity<T>> {
  static constexpr RefMetric value = RefMetric::specificity;
};
template <class T>
struct props_ref_kind<tally::NegativePredictiveValue<T>> {
  static constexpr RefMetric value = RefMetric::npv;
};
template <class T>
struct props_ref_kind<tally::HammingDistance<T>> {
  static constexpr RefMetric value = RefMetric::hamming;
};
template <class T>
struct props_ref_kind<tally::Accuracy<T>> {
  static constexpr RefMetric value = RefMetric::accuracy;
};
template <class T>
struct props_ref_kind<tally::F1Score<T>> {
  static constexpr RefMetric value = RefMetric::fbeta;
};
template <class T>
struct props_ref_kind<tally::FBetaScore<T>> {
  static constexpr RefMetric value = RefMetric::fbeta;
};
template <class T>
struct props_ref_kind<tally::JaccardIndex<T>> {
  static constexpr RefMetric value = RefMetric::jaccard;
};
template <class T>
struct props_ref_kind<tally::ConfusionMatrix<T>> {
  static constexpr RefMetric value = RefMetric::confusion_matrix;
};

// Per-class counts of one unit (everything for global, one sample for samplewise).
struct RefUnit {
  std::vector<double> tp, fp, tn, fn;
  std::vector<std::vector<double>> cm;  // multiclass (target, pred)
  explicit RefUnit(std::size_t c)
      : tp(c, 0), fp(c, 0), tn(c, 0), fn(c, 0), cm(c, std::vector<double>(c, 0)) {}
};

struct RefSpec {
  int task = 0;
  std::size_t classes = 1;  // 1 for binary
  std::optional<std::int64_t> ii;
  int top_k = 1;
  double threshold = 0.5;
  bool samplewise = false;
  bool kept_only_decision = false;  // binary ConfusionMatrix / JaccardIndex
};

// Predicted class of multiclass position (n, j) of a score batch, by the top_k rule of 1.4.
std::size_t ref_predict(const PropsBatch& b, std::size_t c, std::size_t n, std::size_t j,
                        std::size_t s, std::int64_t target, int top_k) {
  auto score = [&](std::size_t k) { return b.preds[(n * c + k) * s + j]; };
  std::size_t best = 0;
  for (std::size_t k = 1; k < c; ++k)
    if (score(k) > score(best)) best = k;
  if (top_k > 1 && target >= 0 && static_cast<std::size_t>(target) < c) {
    const std::size_t t = static_cast<std::size_t>(target);
    std::size_t rank = 0;  // classes ranked before t (ties: lower index first)
    for (std::size_t k = 0; k < c; ++k)
      if (score(k) > score(t) || (score(k) == score(t) && k < t)) ++rank;
    if (rank < static_cast<std::size_t>(top_k)) return t;
  }
  return best;
}

// Counts all batches into units.
std::vector<RefUnit> ref_count(const RefSpec& spec, const std::vector<PropsBatch>& bs) {
  std::vector<RefUnit> units;
  if (!spec.samplewise) units.emplace_back(spec.classes);
  for (const auto& b : bs) {
    const std::size_t n_rows = b.rows();
    const std::size_t ts = props_row_stride(b.tshape);
    auto is_ignored = [&](std::int64_t t) { return spec.ii && t == *spec.ii; };
    // Binary / multilabel decision for float preds, once per update (1.3).
    bool logits = false;
    if (b.kind == PropsKind::probs || b.kind == PropsKind::logits) {
      for (std::size_t i = 0; i < b.preds.size(); ++i) {
        if (spec.kept_only_decision && is_ignored(b.target[i])) continue;
        if (b.preds[i] < 0.0 || b.preds[i] > 1.0) logits = true;
      }
    }
    auto positive = [&](double v) {
      if (b.kind == PropsKind::labels) return v == 1.0;
      const double prob = logits ? 1.0 / (1.0 + std::exp(-v)) : v;
      return prob > spec.threshold;
    };
    for (std::size_t n = 0; n < n_rows; ++n) {
      if (spec.samplewise) units.emplace_back(spec.classes);
      RefUnit& u = units.back();
      for (std::size_t j = 0; j < ts; ++j) {
        const std::size_t i = n * ts + j;
        const std::int64_t t = b.target[i];
        if (is_ignored(t)) continue;
        if (spec.task == 1) {
          const std::size_t tc = static_cast<std::size_t>(t);
          const std::size_t pc = b.kind == PropsKind::scores
                                     ? ref_predict(b, spec.classes, n, j, ts, t, spec.top_k)
                                     : static_cast<std::size_t>(b.preds[i]);
          u.cm[tc][pc] += 1;
          if (pc == tc) {
            u.tp[tc] += 1;
          } else {
            u.fp[pc] += 1;
            u.fn[tc] += 1;
          }
          for (std::size_t k = 0; k < spec.classes; ++k)
            if (k != tc && k != pc) u.tn[k] += 1;
        } else {
          // Binary: one class; multilabel: label = (i / inner) % L.
          const std::size_t inner = spec.task == 2 ? ts / spec.classes : 1;
          const std::size_t l = spec.task == 2 ? (j / inner) % spec.classes : 0;
          const bool p = positive(b.preds[i]);
          const bool tt = t == 1;
          if (p && tt) u.tp[l] += 1;
          if (p && !tt) u.fp[l] += 1;
          if (!p && tt) u.fn[l] += 1;
          if (!p && !tt) u.tn[l] += 1;
        }
      }
    }
  }
  return units;
}

double ref_div(double a, double b, double zero) { return b == 0.0 ? zero : a / b; }

double ref_class_score(RefMetric m, int task, double tp, double fp, double tn, double fn, double zd,
                       double beta) {
  switch (m) {
    case RefMetric::precision:
      return ref_div(tp, tp + fp, zd);
    case RefMetric::recall:
      return ref_div(tp, tp + fn, zd);
    case RefMetric::specificity:
      return ref_div(tn, tn + fp, 0.0);
    case RefMetric::npv:
      return ref_div(tn, tn + fn, zd);
    case RefMetric::accuracy:
      return task == 1 ? ref_div(tp, tp + fn, 0.0) : ref_div(tp + tn, tp + fp + tn + fn, 0.0);
    case RefMetric::hamming:  // the fraction of wrong decisions
      return task == 1 ? 1.0 - ref_div(tp, tp + fn, 0.0)
                       : 1.0 - ref_div(tp + tn, tp + fp + tn + fn, 0.0);
    case RefMetric::fbeta: {
      const double b2 = beta * beta;
      return ref_div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zd);
    }
    case RefMetric::jaccard:
      return ref_div(tp, tp + fp + fn, zd);
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// The values of one unit, in compute() order.
std::vector<double> ref_unit_values(RefMetric m, const RefSpec& spec, const RefUnit& u, Average avg,
                                    double zd, double beta, Normalize norm) {
  const std::size_t c = spec.classes;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out;
  if (m == RefMetric::confusion_matrix) {
    if (spec.task == 1) {
      std::vector<double> rows(c, 0), cols(c, 0);
      double all = 0;
      for (std::size_t t = 0; t < c; ++t)
        for (std::size_t p = 0; p < c; ++p) {
          rows[t] += u.cm[t][p];
          cols[p] += u.cm[t][p];
          all += u.cm[t][p];
        }
      for (std::size_t t = 0; t < c; ++t)
        for (std::size_t p = 0; p < c; ++p) {
          const double v = u.cm[t][p];
          switch (norm) {
            case Normalize::none:
              out.push_back(v);
              break;
            case Normalize::target:
              out.push_back(ref_div(v, rows[t], 0.0));
              break;
            case Normalize::pred:
              out.push_back(ref_div(v, cols[p], 0.0));
              break;
            case Normalize::all:
              out.push_back(ref_div(v, all, 0.0));
              break;
          }
        }
    } else {
      for (std::size_t l = 0; l < c; ++l) {
        const double cell[2][2] = {{u.tn[l], u.fp[l]}, {u.fn[l], u.tp[l]}};
        const double all = u.tn[l] + u.fp[l] + u.fn[l] + u.tp[l];
        for (int t = 0; t < 2; ++t)
          for (int p = 0; p < 2; ++p) {
            const double v = cell[t][p];
            switch (norm) {
              case Normalize::none:
                out.push_back(v);
                break;
              case Normalize::target:
                out.push_back(ref_div(v, cell[t][0] + cell[t][1], 0.0));
                break;
              case Normalize::pred:
                out.push_back(ref_div(v, cell[0][p] + cell[1][p], 0.0));
                break;
              case Normalize::all:
                out.push_back(ref_div(v, all, 0.0));
                break;
            }
          }
      }
    }
    return out;
  }
  if (m == RefMetric::stat_scores) {
    auto row = [&](std::size_t k) {
      return std::array<double, 5>{u.tp[k], u.fp[k], u.tn[k], u.fn[k], u.tp[k] + u.fn[k]};
    };
    if (spec.task == 0 || avg == Average::none) {
      for (std::size_t k = 0; k < c; ++k)
        for (double v : row(k)) out.push_back(v);
      return out;
    }
    std::array<double, 5> acc{0, 0, 0, 0, 0};
    double support = 0;
    for (std::size_t k = 0; k < c; ++k) support += u.tp[k] + u.fn[k];
    for (std::size_t k = 0; k < c; ++k) {
      const auto r = row(k);
      for (std::size_t f = 0; f < 5; ++f) {
        if (avg == Average::micro) acc[f] += r[f];
        if (avg == Average::macro) acc[f] += r[f] / static_cast<double>(c);
        if (avg == Average::weighted) acc[f] += (r[4] / support) * r[f];
      }
    }
    if (avg == Average::weighted && support == 0) acc.fill(nan);
    return {acc.begin(), acc.end()};
  }

  std::vector<double> s(c);
  for (std::size_t k = 0; k < c; ++k)
    s[k] = ref_class_score(m, spec.task, u.tp[k], u.fp[k], u.tn[k], u.fn[k], zd, beta);
  if (spec.task == 0 || avg == Average::none) return s;

  const bool in_range_ii =
      spec.task == 1 && spec.ii && *spec.ii >= 0 && static_cast<std::size_t>(*spec.ii) < c;
  const std::size_t k_ii = in_range_ii ? static_cast<std::size_t>(*spec.ii) : c;
  if (avg == Average::micro) {
    double tp = 0, fp = 0, tn = 0, fn = 0;
    for (std::size_t k = 0; k < c; ++k) {
      tp += u.tp[k];
      fp += u.fp[k];
      tn += u.tn[k];
      fn += u.fn[k];
    }
    if (m == RefMetric::jaccard) {
      const double fp_k = in_range_ii ? u.fp[k_ii] : 0.0;
      return {ref_div(tp, tp + fp + fn - fp_k, zd)};
    }
    return {ref_class_score(m, spec.task, tp, fp, tn, fn, zd, beta)};
  }
  double num = 0, den = 0;
  for (std::size_t k = 0; k < c; ++k) {
    double w = 0;
    if (avg == Average::weighted) {
      w = u.tp[k] + u.fn[k];
    } else if (spec.task == 2) {
      w = 1;  // multilabel macro drops nothing
    } else {
      const bool support_rule =
          spec.top_k > 1 &&
          (m == RefMetric::precision || m == RefMetric::recall || m == RefMetric::accuracy ||
           m == RefMetric::npv);
      w = support_rule ? (u.tp[k] + u.fn[k] > 0 ? 1 : 0)
                       : (u.tp[k] + u.fp[k] + u.fn[k] > 0 ? 1 : 0);
      if (m == RefMetric::jaccard && k == k_ii) w = 0;
    }
    num += w * s[k];
    den += w;
  }
  if (den == 0) return {m == RefMetric::jaccard ? nan : 0.0};
  return {num / den};
}

std::vector<std::size_t> ref_shape(RefMetric m, const RefSpec& spec, Average avg,
                                   std::size_t units) {
  std::vector<std::size_t> s;
  if (m == RefMetric::confusion_matrix) {
    if (spec.task == 0) return {2, 2};
    if (spec.task == 1) return {spec.classes, spec.classes};
    return {spec.classes, 2, 2};
  }
  if (spec.samplewise) s.push_back(units);
  if (spec.task != 0 && avg == Average::none) s.push_back(spec.classes);
  if (m == RefMetric::stat_scores) s.push_back(5);
  return s;
}

bool ref_close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b));
}

template <class Task>
void props_reference_case(PropsRng& rng, std::size_t& compared) {
  constexpr int task = props_task_id<Task>();
  for (MultidimAverage md : props_mdims()) {
    for (PropsKind kind : props_kinds<Task>()) {
      const auto cp12 = props_random_config<Task>(rng, kind, md);
      ;
      PropsCfg cfg = cp12.first;
      PropsOpt po = cp12.second;
      if (task == 1) {
        cfg.classes = rng.index(2, 12);
        const std::int64_t c = static_cast<std::int64_t>(cfg.classes);
        switch (rng.integer(0, 4)) {
          case 0:
            cfg.ii.reset();
            break;
          case 1:
          case 2:
            cfg.ii = rng.integer(0, c - 1);
            break;
          default:
            cfg.ii = rng.pick<std::int64_t>({c, 255, -1, -100});
            break;
        }
        // Scores: top_k = 1 half of the time (ConfusionMatrix and JaccardIndex need it).
        if (kind == PropsKind::scores)
          po.top_k = rng.coin(0.5) ? 1 : static_cast<int>(rng.index(1, cfg.classes));
        cfg.coarse = kind == PropsKind::scores && rng.coin(0.5);
      }
      cfg.p_ignore = rng.pick<double>({0.0, 0.2, 0.6, 1.0});
      if (task != 1 && kind == PropsKind::probs && rng.coin(0.5)) {
        cfg.logit_at_ignored = true;
        if (!cfg.ii) cfg.ii = rng.pick<std::int64_t>({-1, 255, 0, 1});
        if (cfg.p_ignore == 0.0) cfg.p_ignore = 0.2;
      }
      const double beta = rng.pick<double>({0.5, 1.0, 2.0, 3.0});
      std::vector<PropsBatch> bs;
      for (std::size_t u = 0, updates = rng.index(1, 3); u < updates; ++u)
        bs.push_back(props_gen_random<Task>(rng, cfg, 8, md));

      for_each_metric<Task>([&](auto tag, const char* name) {
        using M = typename decltype(tag)::type;
        if (!props_allowed<M>(md, po.top_k)) return;
        constexpr RefMetric rm = props_ref_kind<M>::value;
        RefSpec spec;
        spec.task = task;
        spec.classes = task == 0 ? 1 : cfg.classes;
        spec.ii = cfg.ii;
        spec.top_k = po.top_k;
        spec.threshold = po.threshold;
        spec.samplewise = md == MultidimAverage::samplewise;
        spec.kept_only_decision =
            task == 0 && (rm == RefMetric::confusion_matrix || rm == RefMetric::jaccard);
        const auto units = ref_count(spec, bs);
        const bool is_f1 = std::is_same_v<M, tally::F1Score<Task>>;
        const double b = is_f1 ? 1.0 : beta;
        for (Normalize norm : props_normalizations<M>()) {
          for (Average avg : props_averages<Task>()) {
            for (double zd : {0.0, 1.0}) {
              PropsOpt p = po;
              p.average = avg;
              p.zd = zd;
              M m = props_make<M>(props_opts<Task>(cfg, p), b, norm);
              for (const auto& x : bs) props_feed(m, x);
              const tally::Result r = m.compute();
              std::vector<double> expected;
              for (const auto& u : units) {
                const auto v = ref_unit_values(rm, spec, u, avg, zd, b, norm);
                expected.insert(expected.end(), v.begin(), v.end());
              }
              const auto eshape = ref_shape(rm, spec, avg, units.size());
              ++compared;
              bool ok = r.shape() == props_shape(eshape) && r.size() == expected.size();
              for (std::size_t i = 0; ok && i < expected.size(); ++i)
                ok = ref_close(r[i], expected[i]);
              if (!ok) {
                std::ostringstream e;
                e << "[";
                for (std::size_t i = 0; i < expected.size(); ++i)
                  e << (i ? ", " : "") << expected[i];
                e << "] shape " << props_shape(eshape);
                INFO(name << ": " << props_describe(cfg, p) << ", beta " << b << ", normalize "
                          << tally::to_string(norm));
                INFO("tally:    " << r << " shape " << r.shape());
                INFO("expected: " << e.str());
                CHECK(ok);
              }
            }
          }
        }
      });
    }
  }
}

TEST_CASE("properties: compute() matches an independent slow reference") {
  const auto seed = GENERATE(range(201, 241));
  PropsRng rng(static_cast<std::uint64_t>(seed));
  std::size_t compared = 0;
  for (int rep = 0; rep < 4; ++rep) props_reference_case<tally::Multiclass>(rng, compared);
  props_reference_case<tally::Binary>(rng, compared);
  props_reference_case<tally::Multilabel>(rng, compared);
  REQUIRE(compared > 0);
}

}  // namespace
