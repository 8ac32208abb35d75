// tally/detail/seg_core.hpp — the state the segmentation metrics share (DiceScore, MeanIoU,
// GeneralizedDiceScore): update over samples (serial or parallel), merge, save/load, the view a
// distributed reduction takes, and compute, around a rule that turns one sample's counts into
// values.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_SEG_CORE_HPP
#define TALLY_DETAIL_SEG_CORE_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../result.hpp"
#include "../tensor_view.hpp"
#include "dice_count.hpp"
#include "fixed_sum.hpp"
#include "labels.hpp"
#include "seg_count.hpp"
#include "state_io.hpp"
#include "thread_pool.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// ignore_index names a value of an index-map target; a one-hot target has none.
inline void check_seg_ignore_index(const std::optional<std::int64_t>& ignore_index,
                                   InputFormat input_format) {
  if (ignore_index && input_format == InputFormat::one_hot)
    fail("ignore_index: ", *ignore_index,
         " cannot apply to input_format = one_hot (a one-hot target has no void value); use "
         "InputFormat::index or InputFormat::mixed with an index-map target");
}

// num_classes of a metric that may learn C: 0 (from the channel axis of the first one-hot
// update) or a positive, allocatable count.
inline void check_learnable_classes(std::int64_t num_classes, InputFormat input_format) {
  if (num_classes < 0)
    fail("num_classes: ", num_classes,
         " is not allowed; it must be 0 (take it from the one-hot channel axis) or a positive "
         "integer");
  if (num_classes != 0) check_state_size("num_classes", num_classes, 1, 3, 1);
  if (num_classes == 0 && input_format == InputFormat::index)
    fail("num_classes: 0 takes the classes from the channel axis of a one-hot tensor, and "
         "input_format = index has none; set num_classes");
}

// The state: the number of samples; global aggregation keeps per-class sums of I, P and T;
// samplewise aggregation keeps, per kept value, the exact sum of the counted per-sample values
// (fixed_sum.hpp) and how many were counted. O(C) whatever the number of samples, and the same
// bits however the samples were split into updates, threads, merges or ranks.
//
// A Rule (dice_core.hpp, mean_iou_core.hpp, generalized_dice_core.hpp) provides
//   options_type, metric_label (for messages), classes_from_input (num_classes = 0 takes C from
//   the one-hot channel axis of the first update), check_options(o), samplewise(o),
//   reshape(preds_shape, target_shape, o) (a metric's own reading of shapes, before the checks),
//   and, built from (options, C): width() (the per-sample values kept), sample_values(counts, out)
//   (NaN: not counted) and compute(samplewise, totals, sums, counted, samples).
template <class Rule>
class seg_core {
 public:
  using options_type = typename Rule::options_type;
  static constexpr const char* task_name = "";

  explicit seg_core(const options_type& o) : opts_(o) {
    Rule::check_options(o);
    reset();
  }

  [[nodiscard]] const options_type& options() const noexcept { return opts_; }
  [[nodiscard]] bool samplewise() const noexcept { return Rule::samplewise(opts_); }
  [[nodiscard]] std::size_t num_samples() const noexcept {
    return static_cast<std::size_t>(samples_);
  }
  // C: num_classes, or (num_classes = 0) the channel count of the first one-hot update; 0 before.
  [[nodiscard]] std::size_t num_classes() const noexcept { return classes_; }

  void reset() {
    samples_ = 0;
    size_state(static_cast<std::size_t>(opts_.num_classes));
  }

  // Global: shape (3, C), the rows I, P and T over every class (background included).
  // Samplewise: how many per-sample values each exact sum holds.
  [[nodiscard]] tensor_view<const std::uint64_t> counts() const {
    if (samplewise()) return {counted_.data(), Shape{counted_.size()}};
    return {totals_.v.data(), Shape{3, classes_}};
  }
  [[nodiscard]] std::size_t state_bytes() const noexcept {
    return totals_.v.capacity() * sizeof(std::uint64_t) + sums_.capacity_bytes() +
           counted_.capacity() * sizeof(std::uint64_t);
  }

  // Options already compared by metric_base::merge. A state that has not learnt C yet holds no
  // samples, so it takes the other's whole state.
  void merge(const seg_core& other) {
    if (other.classes_ == 0) return;
    if (classes_ == 0) {
      seg_core copy = other;
      *this = std::move(copy);
      return;
    }
    if (classes_ != other.classes_)
      fail("merge: this ", Rule::metric_label, " has counted ", classes_,
           " classes and the other ", other.classes_,
           " (num_classes = 0 takes them from the first one-hot update)");
    for (std::size_t i = 0; i < totals_.v.size(); ++i) totals_.v[i] += other.totals_.v[i];
    sums_.merge(other.sums_);
    for (std::size_t i = 0; i < counted_.size(); ++i) counted_[i] += other.counted_[i];
    samples_ += other.samples_;
  }

  [[nodiscard]] reducible_state reducible() {
    reducible_state s;
    s.sums.push_back({totals_.v.data(), totals_.v.size()});
    s.sums.push_back({counted_.data(), counted_.size()});
    s.sums.push_back({&samples_, 1});
    s.exact_sums.push_back(&sums_);
    return s;
  }

  // For distributed reductions when num_classes = 0 (tally/mpi.hpp, tally/torch_distributed.hpp):
  // the ranks that have learnt C must agree on it, and a rank that has not (it holds no samples)
  // takes it, so that every rank sends arrays of one size. `largest`: the largest C over the
  // ranks (0: none has learnt one); `smallest_learnt`: the smallest C of the ranks that have.
  // `who` starts the message, which every rank throws alike.
  [[nodiscard]] static constexpr bool learns_classes() noexcept { return Rule::classes_from_input; }
  void agree_on_classes(std::uint64_t smallest_learnt, std::uint64_t largest, const char* who) {
    if (largest == 0) return;
    if (smallest_learnt != largest)
      fail(who, "the ranks have counted different numbers of classes (", smallest_learnt, " and ",
           largest, "; num_classes = 0 takes them from the first one-hot update)");
    if (classes_ == 0) size_state(static_cast<std::size_t>(largest));
  }

  // Arrays: the number of samples; C (metrics that may learn it); I, P, T (global); the exact
  // per-sample sums, two words each (fraction, whole part; samplewise); their counts
  // (samplewise). DiceScore states written before the sums were exact held them as doubles
  // (a 'd' array); they are rejected by name.
  void save_state(state_writer& w) const {
    w.scalar(samples_);
    if (Rule::classes_from_input) w.scalar(classes_);
    w.array(totals_.v);
    w.array(sums_.words());
    w.array(counted_);
  }
  void load_state(state_reader& r) {
    const std::uint64_t samples = r.scalar("the number of samples");
    std::uint64_t classes = static_cast<std::uint64_t>(opts_.num_classes);
    if (Rule::classes_from_input) {
      classes = r.scalar("the number of classes");
      if (opts_.num_classes != 0 && classes != static_cast<std::uint64_t>(opts_.num_classes))
        fail("load: the state counts ", classes, " classes; this ", Rule::metric_label,
             " has num_classes ", opts_.num_classes);
      if (classes > static_cast<std::uint64_t>(max_classes()))
        fail("load: the state counts ", classes, " classes, more than a ", Rule::metric_label,
             " can hold");
      if (classes == 0 && samples != 0)
        fail("load: the state holds ", samples, " samples but no number of classes");
    }
    std::vector<std::uint64_t> totals = r.u64_array("the I, P, T totals");
    if (r.next_type() == 'd')
      fail("load: this ", Rule::metric_label,
           " state keeps its per-sample sums as doubles, as tally did before they were made "
           "exact; it cannot be read by this tally (count the samples again)");
    std::vector<std::uint64_t> words = r.u64_array("the per-sample sums");
    std::vector<std::uint64_t> counted = r.u64_array("the per-sample counts");
    seg_core loaded(opts_);
    loaded.size_state(static_cast<std::size_t>(classes));
    const std::size_t sum_words = loaded.sums_.words().size();
    if (totals.size() != loaded.totals_.v.size() || words.size() != sum_words ||
        counted.size() != loaded.counted_.size())
      fail("load: the arrays hold ", totals.size(), ", ", words.size(), " and ", counted.size(),
           " values; this ", Rule::metric_label, " keeps ", loaded.totals_.v.size(), ", ",
           sum_words, " and ", loaded.counted_.size());
    fixed_sums sums;
    sums.assign_words(std::move(words));
    for (std::size_t i = 0; i < counted.size(); ++i)
      if (counted[i] > samples || !sums.at_most(i, counted[i]))
        fail("load: per-sample sum ", i, " is ", sums.mean(i, 1), " over ", counted[i], " of ",
             samples, " samples; per-sample values lie in [0, 1]");
    loaded.samples_ = samples;
    loaded.totals_.v = std::move(totals);
    loaded.sums_ = std::move(sums);
    loaded.counted_ = std::move(counted);
    *this = std::move(loaded);
  }

  friend bool operator==(const seg_core& a, const seg_core& b) noexcept {
    return a.opts_ == b.opts_ && a.samples_ == b.samples_ && a.classes_ == b.classes_ &&
           a.totals_.v == b.totals_.v && a.sums_ == b.sums_ && a.counted_ == b.counted_;
  }

  [[nodiscard]] Result compute() const {
    if (classes_ == 0)
      fail("compute: this ", Rule::metric_label,
           " has num_classes = 0 (take it from the one-hot channel axis) and has not seen an "
           "update yet, so its classes are unknown; update it first or set num_classes");
    return Rule(opts_, classes_).compute(samplewise(), totals_, sums_, counted_, samples_);
  }

  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, std::size_t threads = 1) {
    static_assert(is_label_type_v<P> || is_score_type_v<P>,
                  "tally: DiceScore, MeanIoU and GeneralizedDiceScore preds must be integral or "
                  "floating-point");
    static_assert(is_label_type_v<T> || is_score_type_v<T>,
                  "tally: DiceScore, MeanIoU and GeneralizedDiceScore target must be integral or "
                  "floating-point");
    Shape ps = preds.shape(), ts = target.shape();
    Rule::reshape(ps, ts, opts_);
    const std::size_t C = classes_ ? classes_ : classes_from(ps, ts);
    const dice_layout lay =
        check_dice_shapes<P, T>(ps, ts, C, opts_.input_format, opts_.ignore_index);
    count_and_commit(preds.data(), target.data(), lay, C, preds.size() + target.size(), threads);
  }

  // The LibTorch adapter's device path (tally/torch.hpp): floating one-hot preds (N, C, ...) of a
  // one_hot or mixed update, already reduced to their argmax over the channel axis (labels of
  // the index shape, each below C), with the target as the options say (one-hot for one_hot, an
  // index map for mixed). Counts exactly what update() counts for the scores; the adapter has
  // checked the shapes, C (the scores' channel count) and the absence of NaN.
  template <class L, class T>
  void update_reduced_preds(tensor_view<const L> labels, tensor_view<const T> target,
                            std::size_t C, std::size_t threads) {
    static_assert(is_label_type_v<L>, "tally: reduced preds are labels");
    static_assert(is_label_type_v<T> || is_score_type_v<T>,
                  "tally: DiceScore, MeanIoU and GeneralizedDiceScore target must be integral or "
                  "floating-point");
    const bool target_one_hot = opts_.input_format == InputFormat::one_hot;
    const Shape& ts = target.shape();
    const Shape& ls = labels.shape();
    if (opts_.input_format == InputFormat::index || (classes_ != 0 && C != classes_) || C == 0 ||
        ls.rank() < 2 ||
        (target_one_hot ? ts.rank() != ls.rank() + 1 || ts[1] != C || ts.without_axis(1) != ls
                        : ts != ls))
      fail("internal error: reduced preds of shape ", ls, " do not fit target shape ", ts);
    // The metric's own reading of the shapes the scores had (MeanIoU's rule for small index
    // maps), and the size check of a C learnt here.
    std::vector<std::size_t> scores_dims(ls.begin(), ls.end());
    scores_dims.insert(scores_dims.begin() + 1, C);
    Shape ps(scores_dims.begin(), scores_dims.end()), rts = ts;
    Rule::reshape(ps, rts, opts_);
    if (classes_ == 0) check_state_size("num_classes", static_cast<std::int64_t>(C), 1, 3, 1);
    dice_layout lay{false, target_one_hot, ls[0], 0};
    lay.R = lay.N ? ls.numel() / lay.N : 0;
    count_and_commit(labels.data(), target.data(), lay, C, labels.size() + target.size(), threads);
  }

 private:
  template <class P, class T>
  void count_and_commit(const P* preds_data, const T* target_data, const dice_layout& lay,
                        std::size_t C, std::size_t elements, std::size_t threads) {
    const Rule rule(opts_, C);
    const bool per_sample = samplewise();
    const std::size_t K = per_sample ? rule.width() : 0;
    const seg_counter counter(C, opts_.ignore_index, opts_.input_format);

    // Everything is counted into locals and committed at the end (strong guarantee). Samples
    // are split over threads for parallel updates, each chunk with its own counts and exact
    // sums; integer sums do not depend on the split, so parallel and serial updates give the
    // same bits.
    const std::size_t chunks = chunk_count(lay.N, elements, threads);
    std::vector<dice_counts> partial(per_sample ? 0 : chunks);
    std::vector<fixed_sums> part_sums(per_sample ? chunks : 0);
    std::vector<std::vector<std::uint64_t>> part_counted(per_sample ? chunks : 0);
    std::vector<std::exception_ptr> errors(chunks);
    for_each_chunk(lay.N, chunks, [&](std::size_t k, std::size_t b, std::size_t e) {
      try {
        dice_counts sample;
        sample.resize(C);
        std::vector<double> values(K);
        if (per_sample) {
          part_sums[k].assign(K);
          part_counted[k].assign(K, 0);
        } else {
          partial[k].resize(C);
        }
        std::vector<std::uint32_t> pred_argmax, target_argmax;
        label_scratch scratch;
        for (std::size_t n = b; n < e; ++n) {
          sample.clear();
          counter.count_sample(preds_data, target_data, lay, n, sample, pred_argmax,
                               target_argmax, scratch);
          if (per_sample) {
            // Each rule's per-sample values are NaN (not counted) or lie in [0, 1].
            rule.sample_values(sample, values.data());
            for (std::size_t i = 0; i < K; ++i) {
              if (std::isnan(values[i])) continue;
              part_sums[k].add(i, values[i]);
              ++part_counted[k][i];
            }
          } else {
            for (std::size_t i = 0; i < sample.v.size(); ++i) partial[k].v[i] += sample.v[i];
          }
        }
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
    // The first chunk's error is the one of the first offending sample.
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    if (classes_ == 0) size_state(C);  // the first update of a metric that learns C
    for (const dice_counts& part : partial)
      for (std::size_t i = 0; i < part.v.size(); ++i) totals_.v[i] += part.v[i];
    for (std::size_t k = 0; k < part_sums.size(); ++k) {
      sums_.merge(part_sums[k]);
      for (std::size_t i = 0; i < K; ++i) counted_[i] += part_counted[k][i];
    }
    samples_ += lay.N;
  }

  static constexpr std::int64_t max_classes() noexcept { return std::int64_t{1} << 31; }

  // Allocates the zero state for C classes (none for C = 0). Allocates before it assigns, so a
  // failure leaves the state as it was.
  void size_state(std::size_t C) {
    dice_counts totals;
    std::vector<std::uint64_t> words, counted;
    if (C != 0) {
      if (samplewise()) {
        const std::size_t K = Rule(opts_, C).width();
        assign_zeros(words, K * fixed_sums::words_per_sum, "num_classes");
        assign_zeros(counted, K, "num_classes");
      } else {
        assign_zeros(totals.v, 3 * C, "num_classes");
      }
    }
    totals.C = C;
    sums_.assign_words(std::move(words));
    totals_ = std::move(totals);
    counted_ = std::move(counted);
    classes_ = C;
  }

  // num_classes = 0: C is the channel axis of the update's one-hot tensor (preds for one_hot;
  // the tensor of higher rank for mixed). Shapes that have none are left to check_dice_shapes.
  std::size_t classes_from(const Shape& ps, const Shape& ts) const {
    const bool target_side = opts_.input_format == InputFormat::mixed && ts.rank() > ps.rank();
    const Shape& s = target_side ? ts : ps;
    if (s.rank() < 2) return 1;
    const char* what = target_side ? "target" : "preds";
    if (s[1] == 0)
      fail(what, " shape ", s, ": axis 1 has 0 channels; with num_classes = 0 the classes come "
           "from the channel axis of the one-hot tensor");
    if (s[1] > static_cast<std::size_t>(max_classes()))
      fail(what, " shape ", s, ": axis 1 has ", s[1], " channels, more than a ",
           Rule::metric_label, " can hold");
    check_state_size("num_classes", static_cast<std::int64_t>(s[1]), 1, 3, 1);
    return s[1];
  }

  options_type opts_;
  std::size_t classes_ = 0;
  dice_counts totals_;                  // global: I, P, T per class
  fixed_sums sums_;                     // samplewise: exact sums of the counted per-sample values
  std::vector<std::uint64_t> counted_;  // samplewise: how many values each sum holds
  std::uint64_t samples_ = 0;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_SEG_CORE_HPP
