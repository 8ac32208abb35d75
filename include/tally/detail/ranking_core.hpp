// tally/detail/ranking_core.hpp — the state of the ranking metrics (ROC, PrecisionRecallCurve,
// AUROC, AveragePrecision): per class, each score counted in its threshold bucket (binned) or
// kept (exact), split by target; and what compute() reads from it.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_RANKING_CORE_HPP
#define TALLY_DETAIL_RANKING_CORE_HPP

// Every task is a set of binary problems, one per class (Binary: 1; Multiclass: one vs rest over
// the softmax probabilities; Multilabel: one per label). For each problem the state holds, by
// target 0 / 1:
// - binned (Thresholds::linspace / values, T thresholds): T + 1 counts, bucket b holding the
//   scores s with exactly b thresholds t <= s (s >= t is torchmetrics' "predicted positive").
//   The counts at threshold j are then suffix sums over buckets above j, taken in compute().
// - exact (Thresholds::exact): the scores themselves (score_list), sorted in compute().
// Binary and multilabel logits are ranked and bucketed as logits (x >= logit(t) instead of
// sigmoid(x) >= t; the sigmoid is monotone), so large logits do not all saturate to 1.0.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"
#include "../thresholds.hpp"
#include "count.hpp"
#include "labels.hpp"
#include "messages.hpp"
#include "score_list.hpp"
#include "state_io.hpp"
#include "thread_pool.hpp"
#include "threshold_buckets.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// One binary problem (a class, a label, or all of them pooled) as the curves read it.
// exact: one point per distinct score, highest first: the score as a probability, and how many
// positives (tp) and negatives (fp) score at least that much.
// binned: one point per threshold, ascending: the threshold and tp / fp at s >= t.
struct ranked_counts {
  bool binned = false;
  std::vector<double> thresholds;
  std::vector<std::uint64_t> tp, fp;
  std::uint64_t positives = 0, negatives = 0;
};

// Which options the ranking metrics read; the others must keep their defaults.
template <class Options>
void check_ranking_options(const Options& o, const char* metric) {
  const Options d{};
  check_enum(o.scores);
  if (o.zero_division != d.zero_division)
    fail("zero_division: ", metric, " does not use it; leave it at ", d.zero_division, ", got ",
         o.zero_division);
  if (o.multidim_average != d.multidim_average)
    fail("multidim_average: ", metric, " pools every position; leave it at ",
         to_string(d.multidim_average), ", got ", to_string(o.multidim_average));
  if constexpr (std::is_same_v<Options, Multiclass::Options>) {
    if (o.top_k != d.top_k)
      fail("top_k: ", metric, " ranks the scores themselves; leave it at ", d.top_k, ", got ",
           o.top_k);
    check_state_size("num_classes", o.num_classes, 2, 2, 1);
  } else {
    if (o.threshold != d.threshold)
      fail("threshold: ", metric, " evaluates every threshold (see tally::Thresholds); leave it at ",
           d.threshold, ", got ", o.threshold);
  }
  if constexpr (std::is_same_v<Options, Multilabel::Options>)
    check_state_size("num_labels", o.num_labels, 2, 2, 1);
}

template <class Task>
class ranking_core {
 public:
  using options_type = typename Task::Options;
  static constexpr const char* task_name = Task::name;
  static constexpr bool binary = std::is_same_v<Task, Binary>;
  static constexpr bool multiclass = std::is_same_v<Task, Multiclass>;
  static constexpr bool multilabel = std::is_same_v<Task, Multilabel>;

  ranking_core(const options_type& options, Thresholds thresholds, const char* metric)
      : opts_(options), th_(std::move(thresholds)) {
    check_ranking_options(opts_, metric);
    if constexpr (binary)
      classes_ = 1;
    else if constexpr (multiclass)
      classes_ = static_cast<std::size_t>(opts_.num_classes);
    else
      classes_ = static_cast<std::size_t>(opts_.num_labels);
    grid_ = threshold_grid(th_);
    if (binned()) {
      if (classes_ * 2 * (th_.size() + 1) > max_state_counters)
        fail(metric, ": ", classes_, binary ? " problem" : " classes", " x ", th_.size(),
             " thresholds is too large a state");
      assign_zeros(counts_, classes_ * 2 * (th_.size() + 1), "thresholds");
    } else {
      lists_.resize(2 * classes_);
    }
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] const Thresholds& thresholds() const noexcept { return th_; }
  [[nodiscard]] std::size_t num_classes() const noexcept { return classes_; }
  [[nodiscard]] bool binned() const noexcept { return !th_.is_exact(); }
  // Binned: the bucket counts (C, T + 1, 2), [class][bucket][target 0 / 1], bucket b holding the
  // scores with exactly b thresholds at or below them. Exact mode keeps scores, not counts: (0).
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    if (!binned()) return tensor_view<const std::uint64_t>(counts_.data(), Shape{0});
    return tensor_view<const std::uint64_t>(counts_.data(),
                                            Shape{classes_, th_.size() + 1, 2});
  }

  void reset() {
    std::fill(counts_.begin(), counts_.end(), std::uint64_t{0});
    for (score_list& l : lists_) l.clear();
    logit_space_ = false;
  }

  void merge(const ranking_core& other) {
    if (binned()) {
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
      return;
    }
    if (other.empty()) return;
    if (empty() || logit_space_ == other.logit_space_) {
      append_lists(other.lists_, other.logit_space_);
      return;
    }
    // One side holds probabilities, the other logits: rank both as logits.
    const auto as_logits = [](const std::vector<score_list>& from, bool logits) {
      std::vector<score_list> r;
      for (const score_list& l : from) r.push_back(logits ? l : l.mapped(logit_of));
      return r;
    };
    std::vector<score_list> lists = as_logits(lists_, logit_space_);
    const std::vector<score_list> more = as_logits(other.lists_, other.logit_space_);
    for (std::size_t i = 0; i < lists.size(); ++i) lists[i].append_all(more[i]);
    lists_.swap(lists);
    logit_space_ = true;
  }

  friend bool operator==(const ranking_core& a, const ranking_core& b) noexcept {
    return a.opts_ == b.opts_ && a.th_ == b.th_ && a.counts_ == b.counts_ &&
           a.logit_space_ == b.logit_space_ && a.lists_ == b.lists_;
  }

  // State: binned, the counts; exact, whether the scores are logits, then each list.
  void save_state(state_writer& w) const {
    if (binned()) {
      w.array(counts_);
      return;
    }
    w.scalar(logit_space_ ? 1 : 0);
    for (const score_list& l : lists_) w.array(l.bits());
  }
  void load_state(state_reader& r) {
    if (binned()) {
      std::vector<std::uint64_t> c = r.u64_array("the threshold counts");
      if (c.size() != counts_.size())
        fail("load: ", counts_.size(), " threshold counts expected, the bytes hold ", c.size());
      counts_ = std::move(c);
      return;
    }
    const std::uint64_t space = r.scalar("the score space");
    if (space > 1) fail("load: score space ", space, " is not 0 (probabilities) or 1 (logits)");
    std::vector<score_list> lists;
    for (std::size_t i = 0; i < lists_.size(); ++i)
      lists.push_back(score_list::from_bits(r.u64_array("the kept scores")));
    lists_ = std::move(lists);
    logit_space_ = space == 1;
  }

  // Binned counts add elementwise across processes; the kept scores of exact mode travel as
  // whole saved states, merged in rank order.
  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    if (binned())
      s.sums.push_back({counts_.data(), counts_.size()});
    else
      s.whole_states = true;
    return s;
  }

  // ---- reading the state (compute) -----------------------------------------------------

  // Class (or label) c as one binary problem; c = npos pools every class (micro).
  [[nodiscard]] ranked_counts ranked(std::size_t c, const char* metric) const {
    ranked_counts r;
    r.binned = binned();
    const std::size_t first = c == npos ? 0 : c;
    const std::size_t last = c == npos ? classes_ : c + 1;
    if (binned()) {
      const std::size_t T = th_.size();
      std::vector<std::uint64_t> pos(T + 1, 0), neg(T + 1, 0);
      for (std::size_t k = first; k < last; ++k)
        for (std::size_t b = 0; b <= T; ++b) {
          neg[b] += counts_[(k * (T + 1) + b) * 2];
          pos[b] += counts_[(k * (T + 1) + b) * 2 + 1];
        }
      r.thresholds = th_.list();
      r.tp.assign(T, 0);
      r.fp.assign(T, 0);
      std::uint64_t tp = 0, fp = 0;
      for (std::size_t j = T; j-- > 0;) {  // tp_j: scores in buckets above j
        tp += pos[j + 1];
        fp += neg[j + 1];
        r.tp[j] = tp;
        r.fp[j] = fp;
      }
      r.positives = tp + pos[0];
      r.negatives = fp + neg[0];
      return r;
    }
    std::vector<double> pos, neg;
    for (std::size_t k = first; k < last; ++k) {
      lists_[2 * k + 1].values_into(pos);
      lists_[2 * k].values_into(neg);
    }
    if (pos.empty() && neg.empty()) {
      if (c == npos || binary)
        fail("compute: ", metric, " has no scores to rank: every target was ignored or no "
             "update was made (exact thresholds keep the scores; Thresholds::linspace gives "
             "a curve of zero counts instead)");
      fail("compute: ", metric, " has no scores to rank for ", multiclass ? "class " : "label ", c,
           ": every target of that ", multiclass ? "class" : "label", " was ignored or no update "
           "was made");
    }
    const auto desc = [](double a, double b) { return a > b; };
    std::sort(pos.begin(), pos.end(), desc);
    std::sort(neg.begin(), neg.end(), desc);
    std::size_t i = 0, j = 0;
    while (i < pos.size() || j < neg.size()) {
      const double v = i == pos.size()   ? neg[j]
                       : j == neg.size() ? pos[i]
                                         : std::max(pos[i], neg[j]);
      while (i < pos.size() && pos[i] == v) ++i;
      while (j < neg.size() && neg[j] == v) ++j;
      r.thresholds.push_back(logit_space_ ? sigmoid_of(v) : v);
      r.tp.push_back(i);
      r.fp.push_back(j);
    }
    r.positives = pos.size();
    r.negatives = neg.size();
    return r;
  }

  // How many targets of class c were counted (the weights of average = weighted).
  [[nodiscard]] std::uint64_t support(std::size_t c) const {
    if (binned()) {
      const std::size_t T = th_.size();
      std::uint64_t s = 0;
      for (std::size_t b = 0; b <= T; ++b) s += counts_[(c * (T + 1) + b) * 2 + 1];
      return s;
    }
    return lists_[2 * c + 1].size();
  }

  // ---- update --------------------------------------------------------------------------

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads) {
    static_assert(is_label_type_v<T>,
                  "tally: target must hold integral labels (bool, uint8 ... int64)");
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: preds must be floating-point scores");
    const Shape& ps = preds.shape();
    const Shape& ts = target.shape();
    std::size_t N = 0, R = 0;
    if constexpr (multiclass) {
      const multiclass_layout lay =
          check_class_scores_shapes(ps, ts, classes_, "a multiclass ranking metric");
      N = lay.N;
      R = lay.R;
    } else if constexpr (multilabel) {
      check_multilabel_shapes(ps, ts, classes_, false);
      N = ts[0];
      R = ts.numel_from(2);
    } else {
      check_binary_shapes(ps, ts, false);
      N = 1;
      R = ts.numel();
    }
    if constexpr (!std::is_floating_point_v<P>) {
      fail("preds have an integral type; ", Task::name,
           " ranking metrics take floating-point scores (probabilities or logits)");
    } else {
      if constexpr (binary) {
        // The common case in one pass: valid probabilities into evenly spaced thresholds.
        if (binned() && grid_.even() && opts_.scores != Scores::logits &&
            binned_probabilities(preds.data(), target.data(), R, threads))
          return;
      }
      const std::size_t bad = find_nan(preds.data(), preds.size());
      if (bad != npos) fail_nan(bad);
      check_targets(target.data(), target.size());
      if (opts_.scores == Scores::probabilities) check_probabilities(preds.data(), preds.size());
      const bool logits = read_as_logits(preds.data(), target.data(), N, R);
      if (binned())
        update_binned(preds.data(), target.data(), N, R, logits, threads);
      else
        update_exact(preds.data(), target.data(), N, R, logits, threads);
    }
  }

 private:
  [[nodiscard]] bool empty() const noexcept {
    for (const score_list& l : lists_)
      if (l.size() != 0) return false;
    return true;
  }

  template <class T>
  void check_targets(const T* t, std::size_t n) const {
    check_label_values(t, n, multiclass ? classes_ : 2, !multiclass, opts_.ignore_index);
  }

  // Scores::automatic, as torchmetrics decides it per update: logits (sigmoid, softmax) when a
  // score lies outside [0, 1] — among the kept positions for Binary and Multiclass (which drop
  // ignored positions first), among all of them for Multilabel (which normalizes first).
  template <class P, class T>
  [[nodiscard]] bool read_as_logits(const P* p, const T* t, std::size_t N, std::size_t R) const {
    if (opts_.scores != Scores::automatic) return opts_.scores == Scores::logits;
    const label_rule<T> rule(multiclass ? classes_ : 2, opts_.ignore_index);
    const auto outside = [](P v) { return v < P(0) || v > P(1); };
    if constexpr (multilabel) {
      (void)t;
      for (std::size_t i = 0; i < N * classes_ * R; ++i)
        if (outside(p[i])) return true;
    } else if constexpr (multiclass) {
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t r = 0; r < R; ++r) {
          if (rule.ignored(t[n * R + r])) continue;
          for (std::size_t c = 0; c < classes_; ++c)
            if (outside(p[(n * classes_ + c) * R + r])) return true;
        }
    } else {
      for (std::size_t i = 0; i < R; ++i)
        if (!rule.ignored(t[i]) && outside(p[i])) return true;
    }
    return false;
  }

  // Calls f(class, score, target 0/1) for every kept (position, class), in the order of the
  // flat arrays, over samples [n0, n1). Multiclass scores are probabilities (softmax when
  // `logits`); binary and multilabel scores stay as they are (logits ranked as logits).
  template <class P, class T, class F>
  void for_each_score(const P* p, const T* t, std::size_t n0, std::size_t n1, std::size_t R,
                      bool logits, F&& f) const {
    const label_rule<T> rule(multiclass ? classes_ : 2, opts_.ignore_index);
    if constexpr (multiclass) {
      const std::size_t C = classes_;
      std::vector<double> prob(C);
      for (std::size_t n = n0; n < n1; ++n)
        for (std::size_t r = 0; r < R; ++r) {
          const T tv = t[n * R + r];
          if (rule.ignored(tv)) continue;
          const std::size_t label = static_cast<std::size_t>(label_bits(tv));
          const P* s = p + n * C * R + r;
          if (logits) {
            softmax_strided(s, R, prob);
          } else {
            for (std::size_t c = 0; c < C; ++c) prob[c] = static_cast<double>(s[c * R]);
          }
          for (std::size_t c = 0; c < C; ++c) f(c, prob[c], c == label ? 1u : 0u);
        }
    } else {
      const std::size_t L = classes_;
      for (std::size_t n = n0; n < n1; ++n)
        for (std::size_t c = 0; c < L; ++c)
          for (std::size_t r = 0; r < R; ++r) {
            const std::size_t i = (n * L + c) * R + r;
            if (rule.ignored(t[i])) continue;
            f(c, static_cast<double>(p[i]), label_bits(t[i]) != 0 ? 1u : 0u);
          }
    }
  }

  // Binary scores that are all probabilities (no NaN, none outside [0, 1]) with valid targets,
  // into evenly spaced thresholds: validation and counting in one pass, block by block. Each
  // block's buckets (float_buckets' rule for float scores, the grid's for double), then its
  // histogram slots, then the counts, into four interleaved histograms while they fit in L1 so
  // that equal slots in a row do not wait on each other. Returns false, having changed nothing,
  // for anything else (a NaN, a score outside [0, 1], an invalid target): the general path then
  // decides, reads logits, or names the error.
  template <class P, class T>
  [[nodiscard]] bool binned_probabilities(const P* p, const T* t, std::size_t n,
                                          std::size_t threads) {
    const std::size_t T1 = th_.size() + 1;
    const std::size_t H = 2 * T1 + 1;  // [bucket][target], then one slot for ignored positions
    const std::int32_t dump = static_cast<std::int32_t>(2 * T1);
    const label_rule<T> rule(2, opts_.ignore_index);
    // Four copies while they fit in L1 (up to 2 x 8 KB of counters), else one.
    const std::size_t copies = H <= 1024 ? 4 : 1;
    const std::size_t stride = copies == 4 ? H : 0;
    const std::size_t chunks = chunk_count(n / 4096 + 1, n, threads);
    std::vector<std::vector<std::uint64_t>> hist(chunks);
    for (auto& h : hist) assign_zeros(h, copies * H, "update (split the batch)");
    std::vector<unsigned char> rejected(chunks, 0);
    for_each_chunk(n, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      std::uint64_t* h = hist[k].data();
      constexpr std::size_t block = 1024;
      std::int32_t bucket[block], slot[block];
      bool bad = false;
      for (std::size_t i0 = b; i0 < e; i0 += block) {
        const std::size_t m = std::min(block, e - i0);
        bad |= probability_buckets(p + i0, m, bucket);
        bad |= label_slots(bucket, t + i0, m, rule, dump, slot);
        if (bad) break;  // the general path takes the batch (logits: one block spent here)
        std::size_t i = 0;
        for (; i + 4 <= m; i += 4) {
          ++h[static_cast<std::size_t>(slot[i])];
          ++h[stride + static_cast<std::size_t>(slot[i + 1])];
          ++h[2 * stride + static_cast<std::size_t>(slot[i + 2])];
          ++h[3 * stride + static_cast<std::size_t>(slot[i + 3])];
        }
        for (; i < m; ++i) ++h[static_cast<std::size_t>(slot[i])];
      }
      rejected[k] = bad ? 1 : 0;
    });
    for (unsigned char r : rejected)
      if (r) return false;
    for (const auto& h : hist)
      for (std::size_t q = 0; q < copies; ++q)
        for (std::size_t c = 0; c < 2 * T1; ++c) counts_[c] += h[q * H + c];
    return true;
  }

  // The linspace buckets of m probabilities (float_buckets' rule); true if one is not.
  bool probability_buckets(const float* s, std::size_t m, std::int32_t* out) const {
    return float_buckets(s, m, th_.size(), out);
  }
  bool probability_buckets(const double* s, std::size_t m, std::int32_t* out) const {
    bool outside = false;
    for (std::size_t i = 0; i < m; ++i) {
      const bool in = s[i] >= 0.0 && s[i] <= 1.0;  // false for NaN
      outside = outside || !in;
      out[i] = static_cast<std::int32_t>(grid_.bucket_prob(in ? s[i] : 0.0));
    }
    return outside;
  }
  // Histogram slots of m targets: 2 b + target, or `dump` where ignored; true if a target is
  // neither 0, 1 nor ignore_index.
  template <class T>
  static bool label_slots(const std::int32_t* bucket, const T* t, std::size_t m,
                          const label_rule<T>& rule, std::int32_t dump, std::int32_t* slot) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
      return uint8_slots(bucket, t, m, rule, dump, slot);
    } else {
      bool bad = false;
      for (std::size_t i = 0; i < m; ++i) {
        const bool ignored = rule.ignored(t[i]);
        bad = bad || (!ignored && !rule.valid(t[i]));
        slot[i] = ignored ? dump : 2 * bucket[i] + (label_bits(t[i]) != 0 ? 1 : 0);
      }
      return bad;
    }
  }

  template <class P, class T>
  void update_binned(const P* p, const T* t, std::size_t N, std::size_t R, bool logits,
                     std::size_t threads) {
    const std::size_t T1 = th_.size() + 1;
    const bool logit_buckets = logits && !multiclass;
    // Binary has one sample of R positions: split it into slices of whole positions.
    const std::size_t items = binary ? R : N;
    const std::size_t chunks = chunk_count(items, N * R * classes_, threads);
    std::vector<std::vector<std::uint64_t>> local(chunks);
    for (auto& l : local) assign_zeros(l, counts_.size(), "update (split the batch)");
    for_each_chunk(items, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      std::uint64_t* out = local[k].data();
      const auto count = [&](std::size_t c, double s, unsigned tg) {
        const std::size_t bucket = logit_buckets ? grid_.bucket_logit(s) : grid_.bucket_prob(s);
        ++out[(c * T1 + bucket) * 2 + tg];
      };
      if constexpr (binary)
        for_each_score(p + b, t + b, 0, 1, e - b, logits, count);
      else
        for_each_score(p, t, b, e, R, logits, count);
    });
    for (const auto& l : local)
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += l[i];
  }

  template <class P, class T>
  void update_exact(const P* p, const T* t, std::size_t N, std::size_t R, bool logits,
                    std::size_t threads) {
    // Binary and multilabel logits are kept as logits; probabilities join a logit state as
    // logit(p) (and a logit update turns a probability state into logits first).
    const bool to_logit_space = !multiclass && (logits || logit_space_);
    const std::size_t items = binary ? R : N;
    const std::size_t chunks = chunk_count(items, N * R * classes_, threads);
    std::vector<std::vector<score_list>> parts(chunks, std::vector<score_list>(lists_.size()));
    for_each_chunk(items, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      std::vector<score_list>& out = parts[k];
      const auto keep = [&](std::size_t c, double s, unsigned tg) {
        out[2 * c + tg].push(to_logit_space && !logits ? logit_of(s) : s);
      };
      if constexpr (binary)
        for_each_score(p + b, t + b, 0, 1, e - b, logits, keep);
      else
        for_each_score(p, t, b, e, R, logits, keep);
    });
    std::vector<score_list> batch = std::move(parts[0]);
    for (std::size_t k = 1; k < chunks; ++k)
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].append_all(parts[k][i]);
    if (to_logit_space && !logit_space_ && !empty()) {
      std::vector<score_list> converted;
      for (const score_list& l : lists_) converted.push_back(l.mapped(logit_of));
      for (std::size_t i = 0; i < converted.size(); ++i) converted[i].append_all(batch[i]);
      lists_.swap(converted);
      logit_space_ = true;
      return;
    }
    append_lists(batch, to_logit_space);
  }

  // Appends lists of the same layout, all or nothing.
  void append_lists(const std::vector<score_list>& more, bool logit_space) {
    std::vector<std::vector<double>> widened(lists_.size());
    for (std::size_t i = 0; i < lists_.size(); ++i) lists_[i].reserve_for(more[i], widened[i]);
    for (std::size_t i = 0; i < lists_.size(); ++i) lists_[i].append(more[i], widened[i]);
    logit_space_ = logit_space_ || logit_space;
  }

  options_type opts_;
  Thresholds th_;
  threshold_grid grid_;
  std::size_t classes_ = 1;
  std::vector<std::uint64_t> counts_;  // binned
  std::vector<score_list> lists_;      // exact: [class][target 0 / 1]
  bool logit_space_ = false;           // exact: the kept scores are logits
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_RANKING_CORE_HPP
