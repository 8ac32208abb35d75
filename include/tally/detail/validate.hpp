// tally/detail/validate.hpp — every check of options and shapes, before anything is counted:
// the options at construction (docs/semantics.md 3.1), the shapes at each update (3.2).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_VALIDATE_HPP
#define TALLY_DETAIL_VALIDATE_HPP


#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// ==== options =================================================================================

inline void check_enum(Average a) {
  if (a != Average::micro && a != Average::macro && a != Average::weighted && a != Average::none)
    fail("average: ", static_cast<int>(a), " is not an Average (micro, macro, weighted, none)");
}
inline void check_enum(MultidimAverage a) {
  if (a != MultidimAverage::global && a != MultidimAverage::samplewise)
    fail("multidim_average: ", static_cast<int>(a),
         " is not a MultidimAverage (global, samplewise)");
}
inline void check_enum(Normalize n) {
  if (n != Normalize::none && n != Normalize::target && n != Normalize::pred && n != Normalize::all)
    fail("normalize: ", static_cast<int>(n), " is not a Normalize (none, target, pred, all)");
}

inline void check_enum(InputFormat f) {
  if (f != InputFormat::index && f != InputFormat::one_hot && f != InputFormat::mixed)
    fail("input_format: ", static_cast<int>(f), " is not an InputFormat (index, one_hot, mixed)");
}
inline void check_enum(AggregationLevel a) {
  if (a != AggregationLevel::global && a != AggregationLevel::samplewise)
    fail("aggregation_level: ", static_cast<int>(a),
         " is not an AggregationLevel (global, samplewise)");
}

inline void check_enum(DiceWeights w) {
  if (w != DiceWeights::square && w != DiceWeights::simple && w != DiceWeights::linear)
    fail("weight_type: ", static_cast<int>(w), " is not a DiceWeights (square, simple, linear)");
}

inline void check_enum(Scores s) {
  if (s != Scores::automatic && s != Scores::probabilities && s != Scores::logits)
    fail("scores: ", static_cast<int>(s), " is not a Scores (automatic, probabilities, logits)");
}

// Scores::probabilities: the first floating pred outside [0, 1] (±inf included) is an error.
template <class P>
void check_probabilities(const P* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] < P(0) || p[i] > P(1))
      fail("preds value ", p[i], " at index ", i,
           " is outside [0, 1], but scores = probabilities; pass Scores::logits (or automatic) "
           "for logits");
}

// Options a metric does not read must keep their defaults.
template <class Options>
void check_unused_options(const Options& o, const char* metric) {
  const Options d{};
  if (o.zero_division != d.zero_division)
    fail("zero_division: ", metric, " does not use it; leave it at ", d.zero_division, ", got ",
         o.zero_division);
  if constexpr (!std::is_same_v<Options, Binary::Options>) {
    if (o.average != d.average)
      fail("average: ", metric, " does not use it; leave it at ", to_string(d.average), ", got ",
           to_string(o.average));
  }
}

inline void check_zero_division(double zd) {
  // NaN is reserved: torchmetrics' maintainers want it to mean "leave out of the average".
  if (!(zd == 0.0 || zd == 1.0)) fail("zero_division: ", zd, " is not allowed; use 0 or 1");
}

inline void check_threshold(double t) {
  if (!(t >= 0.0 && t <= 1.0)) fail("threshold: ", t, " is outside [0, 1]");
}

inline void check_beta(double beta) {
  if (!(beta > 0.0 && std::isfinite(beta)))
    fail("beta: ", beta, " must be finite and greater than 0");
}

// The per-class state must be allocatable: count^count_power * cells_per_count counters of
// 8 bytes. Sizes no machine could hold are refused here as tally::error, before anything is
// allocated (a huge zero-filled vector would otherwise end in std::bad_alloc or the OOM killer).
inline constexpr std::uint64_t max_state_counters = std::uint64_t{1} << 28;  // 2 GiB

inline void check_state_size(const char* what, std::int64_t count, std::int64_t min,
                             std::uint64_t cells_per_count, int count_power) {
  if (count < min) fail(what, ": ", count, " is not allowed; it must be an integer >= ", min);
  std::uint64_t cells = cells_per_count;
  for (int i = 0; i < count_power; ++i) {
    if (cells > max_state_counters / static_cast<std::uint64_t>(count))
      fail(what, ": ", count, " is too large; the state would need more than ",
           max_state_counters / (std::uint64_t{1} << 27), " GiB of counters");
    cells *= static_cast<std::uint64_t>(count);
  }
}

// Sizes a state vector to n zeros; an allocation failure becomes tally::error naming `what`.
template <class V>
void assign_zeros(std::vector<V>& v, std::size_t n, const char* what) {
  try {
    v.assign(n, V{});
  } catch (const std::bad_alloc&) {
    fail(what, ": cannot allocate ", n, " counters");
  }
}

// ==== shapes ================================================================================
//
// An update's shapes and element types are checked before anything is read.

// Flat sizes that depend on the input (samplewise rows) are checked before allocating.
inline std::size_t checked_cells(std::size_t units, std::size_t per_unit, const char* what) {
  if (per_unit != 0 && units > max_state_counters / per_unit)
    fail(what, ": ", units, " samples x ", per_unit,
         " counters per sample is too large for one update; split the batch");
  return units * per_unit;
}

// The rank rule shared by every task: a minimum rank, and one more with samplewise.
inline void check_rank(const Shape& s, std::size_t min_rank, std::size_t min_rank_samplewise,
                       bool samplewise, const char* what) {
  if (s.rank() < min_rank) fail(what, " has shape ", s, "; it needs rank >= ", min_rank);
  if (samplewise && s.rank() < min_rank_samplewise)
    fail(what, " has shape ", s,
         "; multidim_average = samplewise needs rank >= ", min_rank_samplewise,
         " (a sample axis and at least one position axis)");
}

// How a multiclass update is laid out: labels of the target's shape, or scores (N, C, ...).
struct multiclass_layout {
  bool scores;
  std::size_t N;  // samples (axis 0)
  std::size_t R;  // positions per sample
};

// Validates multiclass shapes and element types (docs/semantics.md 1.2, 3.2) before anything
// is read.
template <class P>
multiclass_layout check_multiclass_shapes(const Shape& ps, const Shape& ts, std::size_t C,
                                          bool samplewise, int top_k) {
  const bool scores = ps.rank() == ts.rank() + 1;
  if (!scores && ps.rank() != ts.rank())
    fail("preds shape ", ps, " does not fit target shape ", ts,
         "; multiclass preds are labels of the target's shape or scores (N, C, ...)");
  if (scores) {
    check_rank(ps, 2, 3, samplewise, "preds (scores)");
    if (!std::is_floating_point_v<P>)
      fail("preds shape ", ps, " has one more axis than target shape ", ts,
           ", so preds are scores (N, C, ...) and must be floating-point");
    if (ps[1] != C)
      fail("preds shape ", ps, ": axis 1 has ", ps[1], " scores but num_classes is ", C);
    if (ps.without_axis(1) != ts)
      fail("preds shape ", ps, " and target shape ", ts,
           " do not match: scores (N, C, ...) need target (N, ...)");
  } else {
    check_rank(ts, 1, 2, samplewise, "target");
    if (ps != ts)
      fail("preds shape ", ps, " and target shape ", ts,
           " differ; multiclass label preds must have the target's shape");
    if (std::is_floating_point_v<P>)
      fail("preds have the target's shape ", ts,
           " but a floating-point type; multiclass labels must be integral (for scores, pass "
           "shape (N, C, ...))");
    if (top_k != 1)
      fail("top_k: ", top_k,
           " needs floating-point scores (N, C, ...), but preds are integral labels");
  }
  const std::size_t N = ts[0];
  return {scores, N, N ? ts.numel() / N : 0};
}

// The metrics that read multiclass scores themselves (ranking, calibration): scores (N, C, ...)
// and a target (N, ...); returns (scores, N, R).
inline multiclass_layout check_class_scores_shapes(const Shape& ps, const Shape& ts,
                                                   std::size_t C, const char* metric) {
  if (ps.rank() != ts.rank() + 1 || ps.rank() < 2)
    fail("preds shape ", ps, " and target shape ", ts, " do not fit: ", metric,
         " takes scores (N, C, ...) and a target (N, ...)");
  if (ps[1] != C)
    fail("preds shape ", ps, ": axis 1 has ", ps[1], " scores but num_classes is ", C);
  if (ps.without_axis(1) != ts)
    fail("preds shape ", ps, " and target shape ", ts,
         " do not match: scores (N, C, ...) need target (N, ...)");
  const std::size_t N = ts[0];
  return {true, N, N ? ts.numel() / N : 0};
}

// Binary: preds and target of one shape (N, ...).
inline void check_binary_shapes(const Shape& ps, const Shape& ts, bool samplewise) {
  check_rank(ts, 1, 2, samplewise, "target");
  if (ps != ts)
    fail("preds shape ", ps, " and target shape ", ts,
         " differ; binary preds and target must have the same shape");
}

// Multilabel: preds and target of one shape (N, L, ...) with L = num_labels.
inline void check_multilabel_shapes(const Shape& ps, const Shape& ts, std::size_t L,
                                    bool samplewise) {
  check_rank(ts, 2, 3, samplewise, "target");
  if (ps != ts)
    fail("preds shape ", ps, " and target shape ", ts,
         " differ; multilabel preds and target must have the same shape (N, L, ...)");
  if (ts[1] != L)
    fail("target shape ", ts, ": axis 1 has ", ts[1], " labels but num_labels is ", L);
}

// Appended to DiceScore's one-hot errors under the default input_format = one_hot.
inline constexpr const char* index_map_hint =
    "; if preds and target are index maps (N, ...) of class labels, pass input_format = "
    "InputFormat::index";

// How a DiceScore update is laid out: which side is one-hot (N, C, ...), and the index shape.
struct dice_layout {
  bool pred_one_hot;
  bool target_one_hot;
  std::size_t N;  // samples
  std::size_t R;  // positions per sample
};

// Validates DiceScore's shapes and element types for its input_format (docs/semantics.md 6.1, 3.2).
template <class P, class T>
dice_layout check_dice_shapes(const Shape& ps, const Shape& ts, std::size_t C,
                            InputFormat input_format,
                            const std::optional<std::int64_t>& ignore_index) {
  // one_hot is the default (torchmetrics'): label maps passed without input_format land here.
  const char* hint = input_format == InputFormat::one_hot ? index_map_hint : "";
  auto check_one_hot = [&](const Shape& s, const char* what) {
    if (s.rank() < 3)
      fail(what, " shape ", s, ": a one-hot tensor needs shape (N, C, ...) with rank >= 3", hint);
    if (s[1] != C)
      fail(what, " shape ", s, ": axis 1 has ", s[1], " channels but num_classes is ", C, hint);
  };
  auto check_index = [&](const Shape& s, const char* what, bool floating) {
    if (s.rank() < 2)
      fail(what, " shape ", s, ": an index map needs shape (N, ...) with rank >= 2");
    if (floating)
      fail(what, " is an index map of a floating-point type; index maps must be integral");
  };
  dice_layout lay{false, false, 0, 0};
  switch (input_format) {
    case InputFormat::index:
      check_index(ps, "preds", std::is_floating_point_v<P>);
      check_index(ts, "target", std::is_floating_point_v<T>);
      if (ps != ts)
        fail("preds shape ", ps, " and target shape ", ts,
             " differ; index maps must have the same shape");
      break;
    case InputFormat::one_hot:
      check_one_hot(ps, "preds");
      check_one_hot(ts, "target");
      if (ps != ts)
        fail("preds shape ", ps, " and target shape ", ts,
             " differ; one-hot tensors must have the same shape");
      lay.pred_one_hot = lay.target_one_hot = true;
      break;
    case InputFormat::mixed:
      if (ps.rank() == ts.rank() + 1) {
        lay.pred_one_hot = true;
        check_one_hot(ps, "preds");
        check_index(ts, "target", std::is_floating_point_v<T>);
        if (ps.without_axis(1) != ts)
          fail("preds shape ", ps, " and target shape ", ts,
               " do not match: a one-hot (N, C, ...) and an index map (N, ...)");
      } else if (ts.rank() == ps.rank() + 1) {
        lay.target_one_hot = true;
        check_one_hot(ts, "target");
        check_index(ps, "preds", std::is_floating_point_v<P>);
        if (ts.without_axis(1) != ps)
          fail("preds shape ", ps, " and target shape ", ts,
               " do not match: an index map (N, ...) and a one-hot (N, C, ...)");
        if (ignore_index)
          fail("ignore_index: ", *ignore_index,
               " needs an index-map target, but this mixed update has a one-hot target");
      } else {
        fail("preds shape ", ps, " and target shape ", ts,
             ": input_format = mixed needs one one-hot tensor (N, C, ...) and one index map "
             "(N, ...)");
      }
      break;
  }
  const Shape& index_shape = lay.pred_one_hot && lay.target_one_hot ? ps.without_axis(1)
                             : lay.pred_one_hot                     ? ts
                                                                    : ps;
  lay.N = index_shape[0];
  lay.R = lay.N ? index_shape.numel() / lay.N : 0;
  return lay;
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_VALIDATE_HPP
