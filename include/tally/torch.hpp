// tally/torch.hpp — optional LibTorch adapter: tally::torch::update(metric, preds, target) for
// at::Tensor.
// SPDX-License-Identifier: MIT
#ifndef TALLY_TORCH_HPP
#define TALLY_TORCH_HPP

// Optional adapter for LibTorch (link tally::torch, or LibTorch yourself): updates any tally
// metric from two at::Tensor, with the dtype and shape taken from the tensors.
//
//     #include <tally/torch.hpp>
//
//     tally::MulticlassJaccardIndex miou(options);          // num_classes = 19, ignore_index = 255
//     at::Tensor logits = model->forward(images);            // (N, C, H, W), float, any device
//     tally::torch::update(miou, logits, labels);            // labels (N, H, W), uint8 or int64
//     tally::torch::update(miou, logits, labels, tally::parallel{4});   // the same, 4 threads
//     double v = miou.compute().value();
//
// The tensors are read in place, without a copy, when they are CPU, dense and contiguous and of
// a dtype read as it is. Otherwise a converted copy is made first, and freed after the update:
// - dtype: integral tensors are labels, floating ones scores, probabilities or logits, as in
//   torchmetrics. Read as they are: Byte (uint8_t), Int (int32_t), Long (int64_t), Float and
//   Double; Bool is read as uint8_t 0 / 1. Copied first, value for value: Char and Short are
//   widened to Int, Half and BFloat16 to Float (every Half and BFloat16 value is exact in float,
//   so the result is the metric's result for the same values in float). The copies keep the
//   number of element types, and with it the compile time of each call, down (see the end).
//   Any other dtype (complex, quantized, ...) is an error. Targets must be integral, as in
//   torchmetrics; only the segmentation metrics (DiceScore, MeanIoU, GeneralizedDiceScore), whose
//   one-hot targets may be floating, also take floating targets (and reject a floating index
//   map themselves).
// - Non-contiguous tensors (transposed, sliced, expanded, channels-last) are copied with
//   .contiguous(), since tally reads row-major data.
// - Tensors on another device (CUDA, MPS, ...) are copied to the CPU with .cpu(). For CUDA this
//   is a blocking copy: it waits for the work queued on the tensor's stream. preds and target
//   must be on the same device. Floating preds are first reduced there, by the host's own rules,
//   so that the copy moves one byte per position (for 8 x 19 x 512 x 1024 float logits, 4 MB
//   instead of 318 MB) and the counts are the host's, bit for bit:
//   - per-class scores (N, C, ...) of a multiclass counting metric (StatScores and the scores
//     built on it, ConfusionMatrix, MatthewsCorrCoef, CohenKappa, ExactMatch), to uint8 labels
//     (int32 above 256 classes): with top_k = 1 their argmax over axis 1 (ties to the lowest
//     class); with top_k > 1 (the StatScores family) the target class where fewer than top_k
//     classes rank before it (a higher score, or an equal one at a lower index), else the argmax;
//   - the segmentation metrics' floating one-hot preds (input_format one_hot or mixed): their
//     argmax, counted against the target as their scores would be;
//   - preds of a binary or multilabel counting metric, to uint8 0 / 1 decisions of the same
//     shape: p > threshold, compared in the preds' precision (Half and BFloat16 in float), read
//     as probabilities or logits by the metric's `scores` (automatic: logits iff a value lies
//     outside [0, 1], anywhere, or at a kept element for the binary ConfusionMatrix,
//     JaccardIndex, MatthewsCorrCoef and CohenKappa).
//   Metrics that read the scores themselves (ranking, calibration) get them as they are.
//   That takes one wait for the device (NaN, range) before the copy. Input the host would reject
//   (NaN, a probability outside [0, 1], a shape mismatch) is copied as it is and rejected as on
//   the host, with the same message.
// - The copies are made with autograd off: a tensor that requires grad records nothing.
// The shape is the tensor's sizes(), so the shape rules are the metric's: (N, ...) labels,
// (N, C, ...) scores and multilabel. A 0-dim tensor is an error, as in torchmetrics (whose
// reshape(preds.shape[0], -1) needs a batch axis); reshape it to (1) for one element.
//
// Errors: an undefined tensor, a sparse or other non-strided layout, the meta device, different
// devices, an unsupported dtype, a floating target, rank 0 or rank above 8 throw tally::error
// before anything is converted; then the metric's own checks run as for any update. Either way
// the metric is left exactly as it was. LibTorch's own errors while copying (out of memory, a
// failed device copy) propagate as c10::Error, also before the metric is touched.
//
// Compile cost: this header includes <ATen/core/Tensor.h> and <c10/core/GradMode.h> only, not
// <torch/torch.h>: about 2 s of a translation unit (g++ 12, LibTorch 1.13) instead of about
// 17 s. Each metric type it is used with gets its update instantiated for 5 preds x 3 target
// element types (about 5 s at -O0 and 20 s at -O2 per metric type, the price of choosing the
// element type at run time): keep the calls in one .cpp file rather than in a header.

#include <ATen/core/Tensor.h>
#include <c10/core/GradMode.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/kernels/api.hpp"
#include "detail/metric_base.hpp"
#include "detail/stat_core.hpp"
#include "detail/thread_pool.hpp"
#include "error.hpp"
#include "options.hpp"
#include "tensor_view.hpp"

TALLY_NAMESPACE_BEGIN

class DiceScore;
class MeanIoU;
class GeneralizedDiceScore;
template <class Task>
class ConfusionMatrix;
template <class Task>
class JaccardIndex;
template <class Task>
class MatthewsCorrCoef;
template <class Task>
class CohenKappa;
namespace detail {
class confusion_core;
template <class Task>
class exact_match_core;
}  // namespace detail

namespace torch {
namespace detail {

// Metrics whose update also takes floating targets (the segmentation metrics' one-hot targets);
// every other metric's update does not compile for them (stat_core and the confusion matrix
// static_assert).
template <class M>
inline constexpr bool takes_floating_target_v =
    std::is_same_v<M, tally::DiceScore> || std::is_same_v<M, tally::MeanIoU> ||
    std::is_same_v<M, tally::GeneralizedDiceScore>;

inline constexpr const char* labels_dtypes = "Byte, Char, Short, Int, Long or Bool";
inline constexpr const char* scores_dtypes =
    "Float or Double (Half and BFloat16 are read as Float)";

[[nodiscard]] inline bool is_label_dtype(at::ScalarType s) noexcept {
  switch (s) {
    case at::ScalarType::Byte:
    case at::ScalarType::Char:
    case at::ScalarType::Short:
    case at::ScalarType::Int:
    case at::ScalarType::Long:
    case at::ScalarType::Bool:
      return true;
    default:
      return false;
  }
}

[[nodiscard]] inline bool is_score_dtype(at::ScalarType s) noexcept {
  switch (s) {
    case at::ScalarType::Float:
    case at::ScalarType::Double:
    case at::ScalarType::Half:
    case at::ScalarType::BFloat16:
      return true;
    default:
      return false;
  }
}

// Everything that can be said from the tensors' metadata, checked before any copy is made.
inline void check_tensor(const at::Tensor& t, const char* name, bool floating_ok) {
  if (!t.defined())
    tally::detail::fail("tally::torch::update: ", name,
                        " is an undefined tensor (a default-constructed at::Tensor); pass a "
                        "tensor that holds data");
  if (t.layout() != at::kStrided)
    tally::detail::fail("tally::torch::update: ", name, " has layout ", t.layout(),
                        "; tally reads dense (strided) tensors: pass ", name, ".to_dense()");
  const at::ScalarType s = t.scalar_type();
  if (!is_label_dtype(s) && !is_score_dtype(s)) {
    if (floating_ok)
      tally::detail::fail("tally::torch::update: ", name, " has dtype ", c10::toString(s),
                          ", which tally cannot read; expected ", labels_dtypes, " (labels) or ",
                          scores_dtypes);
    tally::detail::fail("tally::torch::update: ", name, " has dtype ", c10::toString(s),
                        ", which tally cannot read; expected ", labels_dtypes);
  }
  if (!floating_ok && !is_label_dtype(s))
    tally::detail::fail("tally::torch::update: ", name, " has floating dtype ", c10::toString(s),
                        "; targets must be integral labels (", labels_dtypes,
                        "), as in torchmetrics: convert it, e.g. ", name, ".to(at::kLong)");
  if (t.dim() == 0)
    tally::detail::fail("tally::torch::update: ", name,
                        " is a 0-dim tensor; tally, like torchmetrics, needs a batch axis (N, ...)"
                        ": pass ",
                        name, ".reshape({1}) for a single element");
  if (static_cast<std::size_t>(t.dim()) > Shape::max_rank)
    tally::detail::fail("tally::torch::update: ", name, " has ", t.dim(),
                        " dimensions; tally reads tensors of rank 1 to ", Shape::max_rank);
}

inline void check_inputs(const at::Tensor& preds, const at::Tensor& target, bool floating_target) {
  check_tensor(preds, "preds", true);
  check_tensor(target, "target", floating_target);
  if (preds.device() != target.device())
    tally::detail::fail("tally::torch::update: preds is on device ", preds.device(),
                        " but target is on device ", target.device(),
                        "; put both on one device, e.g. target.to(preds.device())");
  if (preds.is_meta())
    tally::detail::fail(
        "tally::torch::update: preds and target are on the meta device, which holds no values");
}

// A tensor tally can view: CPU, contiguous, of a dtype read in place. Returns t itself (no
// copy) when it already is one.
[[nodiscard]] inline at::Tensor readable(const at::Tensor& t) {
  at::Tensor r = t;
  if (!r.is_cpu()) r = r.cpu();  // before widening: fewer bytes to move
  switch (r.scalar_type()) {
    case at::ScalarType::Half:
    case at::ScalarType::BFloat16:
      r = r.to(at::ScalarType::Float, /*non_blocking=*/false, /*copy=*/false,
               at::MemoryFormat::Contiguous);
      break;
    case at::ScalarType::Char:
    case at::ScalarType::Short:
      r = r.to(at::ScalarType::Int, /*non_blocking=*/false, /*copy=*/false,
               at::MemoryFormat::Contiguous);
      break;
    default:
      break;
  }
  // A negative view (a lazily negated tensor) stores the values un-negated.
  if (r.is_neg()) r = r.resolve_neg();
  return r.contiguous();
}

template <class E>
[[nodiscard]] tensor_view<const E> view(const at::Tensor& t) {
  const auto sizes = t.sizes();
  return tensor_view<const E>(static_cast<const E*>(t.data_ptr()),
                              Shape(sizes.begin(), sizes.end()));
}

// Calls f(E*{}) with the C++ element type E that a readable tensor's dtype is viewed as. Bool
// is viewed as uint8_t (a torch bool is one byte holding 0 or 1: the same values, and one
// instantiation fewer). Floating types are visited only when Floating is true, so that nothing
// is instantiated that cannot compile.
template <bool Floating, class F>
void visit_element_type(at::ScalarType s, F&& f) {
  switch (s) {
    case at::ScalarType::Byte:
    case at::ScalarType::Bool:
      return f(static_cast<std::uint8_t*>(nullptr));
    case at::ScalarType::Int: return f(static_cast<std::int32_t*>(nullptr));
    case at::ScalarType::Long: return f(static_cast<std::int64_t*>(nullptr));
    case at::ScalarType::Float:
      if constexpr (Floating) return f(static_cast<float*>(nullptr));
      break;
    case at::ScalarType::Double:
      if constexpr (Floating) return f(static_cast<double*>(nullptr));
      break;
    default:
      break;
  }
  // check_inputs and readable() leave only the dtypes above.
  tally::detail::fail("tally::torch::update: internal error: unexpected dtype ", c10::toString(s));
}

// Test hook (tests only): with on_cpu set, CPU tensors take the device path below too, so that it
// can be compared with the host path where no GPU is; reductions counts the batches it reduced.
struct device_path_hook {
  bool on_cpu = false;
  std::size_t reductions = 0;
};
inline device_path_hook& device_path() noexcept {
  static device_path_hook hook;
  return hook;
}

// Whether the device path is tried for preds: not on the CPU, unless the test hook says so.
[[nodiscard]] inline bool on_device(const at::Tensor& preds) {
  return !preds.is_cpu() || device_path().on_cpu;
}

template <class T>
[[nodiscard]] constexpr bool holds(std::int64_t v) noexcept {
  return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max();
}

// Where the target is kept (not ignore_index), compared by value as tally's label_rule does: an
// ignore_index that the target's dtype cannot hold matches nothing (torch's ne(-1) on a uint8
// target would wrap -1 to 255). An undefined tensor when every element is kept.
[[nodiscard]] inline at::Tensor kept_mask(const at::Tensor& target,
                                          const std::optional<std::int64_t>& ignore_index) {
  if (!ignore_index) return {};
  const std::int64_t v = *ignore_index;
  bool representable = true;
  switch (target.scalar_type()) {
    case at::ScalarType::Bool: representable = v == 0 || v == 1; break;
    case at::ScalarType::Byte: representable = holds<std::uint8_t>(v); break;
    case at::ScalarType::Char: representable = holds<std::int8_t>(v); break;
    case at::ScalarType::Short: representable = holds<std::int16_t>(v); break;
    case at::ScalarType::Int: representable = holds<std::int32_t>(v); break;
    default: break;  // Long
  }
  return representable ? target.ne(v) : at::Tensor();
}

// Whether per-class scores `preds` (N, C, ...) are to be reduced to labels on their device and
// the host path would take them: floating, not empty, axis 1 of size C, the other axes the
// target's (target_one_hot: the target has the scores' own shape), no NaN and, with
// `probabilities`, no value outside [0, 1] (one reduction, one wait for the device). Whatever
// the host would reject is left to it, so that the error and its message are the host path's.
[[nodiscard]] inline bool reducible_scores(const at::Tensor& preds, const at::Tensor& target,
                                           std::int64_t C, bool target_one_hot,
                                           bool probabilities) {
  if (!on_device(preds)) return false;
  if (!is_score_dtype(preds.scalar_type()) || preds.numel() == 0 || C < 1) return false;
  if (preds.dim() != target.dim() + (target_one_hot ? 0 : 1) || preds.size(1) != C) return false;
  for (std::int64_t d = 0, e = 0; d < preds.dim(); ++d) {
    if (d == 1 && !target_one_hot) continue;
    if (preds.size(d) != target.size(e++)) return false;
  }
  at::Tensor rejected = preds.isnan();
  if (probabilities) rejected = rejected.logical_or(preds.lt(0)).logical_or(preds.gt(1));
  return !rejected.any().item<bool>();
}

// Labels as uint8 (int32 above 256 classes): what the copy to the host moves per position.
[[nodiscard]] inline at::Tensor small_labels(const at::Tensor& labels, std::int64_t C) {
  ++device_path().reductions;
  return labels.to(C <= 256 ? at::kByte : at::kInt);
}

// The argmax over axis 1, on the scores' device: one label instead of C scores per position.
// Ties go to the lowest class, as in tally's own argmax, so the counts are the host path's.
[[nodiscard]] inline at::Tensor argmax_labels(const at::Tensor& preds, std::int64_t C) {
  return small_labels(preds.argmax(1), C);
}

// Whether the host would read these multiclass scores: samplewise needs scores of rank 3 or
// more, and the labels' own message (about the target's rank) is not the scores' one.
[[nodiscard]] inline bool multiclass_scores_ok(const Multiclass::Options& o,
                                               const at::Tensor& preds) noexcept {
  return o.multidim_average != MultidimAverage::samplewise || preds.dim() >= 3;
}

// The core a metric counts with.
template <class M>
using core_of = std::remove_reference_t<decltype(tally::detail::state_access::core(
    std::declval<M&>()))>;

// The metrics whose floating preds only become decisions: multiclass scores an argmax (or the
// top_k rule), binary and multilabel preds a comparison with the threshold. Those are the cores
// of StatScores and the scores built on it, ConfusionMatrix, MatthewsCorrCoef, CohenKappa and
// ExactMatch. A metric with the same options that reads the scores themselves (a ranking or
// calibration metric) is not among them, and keeps the host path.
template <class M>
inline constexpr bool argmax_counted_v =
    std::is_same_v<core_of<M>, tally::detail::stat_core<Multiclass>> ||
    std::is_same_v<core_of<M>, tally::detail::confusion_core> ||
    std::is_same_v<core_of<M>, tally::detail::exact_match_core<Multiclass>>;
template <class M>
inline constexpr bool threshold_counted_v =
    std::is_same_v<core_of<M>, tally::detail::stat_core<Binary>> ||
    std::is_same_v<core_of<M>, tally::detail::stat_core<Multilabel>> ||
    std::is_same_v<core_of<M>, tally::detail::exact_match_core<Multilabel>>;

// Per-class scores of a multiclass metric of argmax_counted_v with top_k = 1, reduced on their
// device (see reducible_scores); an undefined tensor when the host path is to run.
template <class M>
[[nodiscard]] at::Tensor labels_on_device(const M& metric, const at::Tensor& preds,
                                          const at::Tensor& target) {
  if constexpr (!argmax_counted_v<M>) {
    return {};
  } else {
    const Multiclass::Options& o = metric.options();
    if (o.top_k != 1 || !multiclass_scores_ok(o, preds) ||
        !reducible_scores(preds, target, o.num_classes, false,
                          o.scores == Scores::probabilities))
      return {};
    return argmax_labels(preds, o.num_classes);
  }
}

// Binary metrics whose Scores::automatic looks at kept elements only (stat_core's
// logit_kept_only trait, set in confusion_core.hpp, classification.hpp and agreement.hpp: keep
// this list in step with it). Multilabel metrics always look at every element.
template <class M>
inline constexpr bool logit_kept_only_v = false;
template <>
inline constexpr bool logit_kept_only_v<ConfusionMatrix<Binary>> = true;
template <>
inline constexpr bool logit_kept_only_v<JaccardIndex<Binary>> = true;
template <>
inline constexpr bool logit_kept_only_v<MatthewsCorrCoef<Binary>> = true;
template <>
inline constexpr bool logit_kept_only_v<CohenKappa<Binary>> = true;

// p > threshold as uint8 0 / 1. The threshold is a value of P, exact as a Scalar, so the
// comparison is the host's whether torch makes it in P or in double.
template <class P>
[[nodiscard]] at::Tensor above(const at::Tensor& p, P threshold) {
  ++device_path().reductions;
  return p.gt(threshold).to(at::kByte);
}

// Floating preds of a binary or multilabel metric of threshold_counted_v, thresholded on their
// device into uint8 0 / 1 decisions of the same shape, which the host counts as label preds: one
// byte per element to copy, and the counts are the host path's, bit for bit, since the rule is
// the host's (stat_core.hpp): p is positive iff p > th.prob read as probabilities, p > th.logit
// read as logits, th = make_binary_thresholds in the preds' precision (Half and BFloat16
// compared in float, as the host reads them). Scores::automatic reads logits iff a value (±inf
// too) lies outside [0, 1] anywhere, or for logit_kept_only_v metrics at a kept element. What
// the host rejects (a NaN anywhere; with Scores::probabilities a value outside [0, 1]; shapes it
// does not take) is left to it: an undefined tensor when the host path is to run.
template <class M>
[[nodiscard]] at::Tensor decisions_on_device(const M& metric, const at::Tensor& preds,
                                             const at::Tensor& target) {
  using O = typename M::options_type;
  constexpr bool multilabel = std::is_same_v<O, Multilabel::Options>;
  if constexpr (!threshold_counted_v<M>) {
    return {};
  } else {
    const O& o = metric.options();
    if (!on_device(preds) || !is_score_dtype(preds.scalar_type()) || preds.numel() == 0 ||
        !preds.sizes().equals(target.sizes()))
      return {};
    if constexpr (multilabel) {
      if (preds.dim() < 2 || preds.size(1) != o.num_labels) return {};
    }
    const bool is_double = preds.scalar_type() == at::kDouble;
    const at::Tensor p = is_double ? preds : preds.to(at::kFloat);
    const at::Tensor outside = p.lt(0).logical_or_(p.gt(1));  // NaN is not outside
    at::Tensor outside_kept = outside;
    if constexpr (logit_kept_only_v<M>) {
      const at::Tensor kept = kept_mask(target, o.ignore_index);
      if (kept.defined()) outside_kept = outside.logical_and(kept);
    }
    // What the host decides on, in one reduction (one wait for the device): the largest
    // 4 * isnan + 2 * outside + outside_kept. As outside_kept implies outside, that is 4 or more
    // with a NaN, else 3 when a kept value lies outside [0, 1], 2 when only others do, 0 if none.
    const int facts =
        p.isnan().to(at::kByte).mul_(4).add_(outside, 2).add_(outside_kept).max().item<int>();
    if (facts >= 4 || (o.scores == Scores::probabilities && facts >= 2)) return {};
    const bool logits =
        o.scores == Scores::logits || (o.scores == Scores::automatic && facts == 3);
    if (is_double) {
      const auto th = tally::detail::make_binary_thresholds<double>(o.threshold);
      return above(p, logits ? th.logit : th.prob);
    }
    const auto th = tally::detail::make_binary_thresholds<float>(o.threshold);
    return above(p, logits ? th.logit : th.prob);
  }
}

// Calls count(view<L>(labels), view<T>(t), threads) for the readable tensors' element types,
// turning a failed allocation into the error that metric.update gives.
template <bool FloatingTarget, class F, class... How>
void count_labels(const at::Tensor& labels, const at::Tensor& t, F&& count, const How&... how) {
  std::size_t threads = 1;
  ((threads = tally::detail::resolve_threads(how.threads)), ...);
  visit_element_type<false>(labels.scalar_type(), [&](auto* le) {
    using L = std::remove_pointer_t<decltype(le)>;
    visit_element_type<FloatingTarget>(t.scalar_type(), [&](auto* te) {
      using T = std::remove_pointer_t<decltype(te)>;
      try {
        count(view<L>(labels), view<T>(t), threads);
      } catch (const std::bad_alloc&) {
        tally::detail::fail("update: cannot allocate the working memory for a batch of ",
                            t.numel(), " target elements; split the batch");
      }
    });
  });
}

// Multiclass top_k > 1 (only the StatScores family has it). The host counts, at each kept
// position, the target class when fewer than top_k classes rank before it (a higher score, or
// an equal one at a lower index: count_score_pairs in detail/count.hpp), else the argmax. Those
// labels are made on the device by that rule (not with at::topk, whose order of ties is
// unspecified), counted with top_k = 1 into a fresh core of the metric's options and added to
// the metric: the host's counts. false when the host path is to run.
template <class M, class... How>
[[nodiscard]] bool top_k_on_device(M& metric, const at::Tensor& preds, const at::Tensor& target,
                                   const How&... how) {
  using Core = core_of<M>;
  if constexpr (!std::is_same_v<Core, tally::detail::stat_core<Multiclass>>) {
    return false;
  } else {
    const Multiclass::Options& o = metric.options();
    const std::int64_t C = o.num_classes;
    if (o.top_k == 1 || !multiclass_scores_ok(o, preds) ||
        !reducible_scores(preds, target, C, false, o.scores == Scores::probabilities))
      return false;
    at::Tensor labels, t;
    {
      const c10::NoGradGuard no_grad;
      const at::Tensor tl = target.to(at::kLong);
      // An ignored or invalid target looks up class 0: the count below skips or rejects it.
      const at::Tensor index = tl.masked_fill(tl.lt(0).logical_or_(tl.ge(C)), 0).unsqueeze(1);
      const at::Tensor score = preds.gather(1, index);  // the target's score, (N, 1, ...)
      std::vector<std::int64_t> axis(static_cast<std::size_t>(preds.dim()), 1);
      axis[1] = C;
      const at::Tensor classes = preds.new_ones({C}, at::kLong).cumsum(0).sub_(1).view(axis);
      const at::Tensor rank =
          preds.gt(score).logical_or_(preds.eq(score).logical_and_(classes.lt(index))).sum(1);
      labels = readable(small_labels(tl.where(rank.lt(o.top_k), preds.argmax(1)), C));
      t = readable(target);
    }
    Multiclass::Options one = o;
    one.top_k = 1;
    Core counted(one, tally::detail::stat_family);
    count_labels<false>(
        labels, t,
        [&](auto l, auto v, std::size_t threads) {
          counted.update(l, v, threads);
          tally::detail::state_access::core(metric).merge(counted);  // no effect if it throws
        },
        how...);
    return true;
  }
}

template <class M, class... How>
[[nodiscard]] bool segmentation_on_device(M& metric, const at::Tensor& preds,
                                          const at::Tensor& target, const How&... how) {
  const auto& o = metric.options();
  const bool one_hot = o.input_format == InputFormat::one_hot;
  // A one-hot tensor has rank 3 or more; a mixed update's index target must be integral.
  if (o.input_format == InputFormat::index || preds.dim() < 3 ||
      (!one_hot && !is_label_dtype(target.scalar_type())))
    return false;
  auto& core = tally::detail::state_access::core(metric);
  std::int64_t C = o.num_classes != 0 ? o.num_classes : static_cast<std::int64_t>(core.num_classes());
  if (C == 0) C = preds.size(1);
  if (!reducible_scores(preds, target, C, one_hot, false)) return false;
  at::Tensor labels, t;
  {
    const c10::NoGradGuard no_grad;
    labels = readable(argmax_labels(preds, C));
    t = readable(target);
  }
  count_labels<true>(
      labels, t,
      [&](auto l, auto v, std::size_t threads) {
        core.update_reduced_preds(l, v, static_cast<std::size_t>(C), threads);
      },
      how...);
  return true;
}

template <class M, class... How>
void update(M& metric, const at::Tensor& preds, const at::Tensor& target, const How&... how) {
  constexpr bool floating_target = takes_floating_target_v<M>;
  check_inputs(preds, target, floating_target);
  if constexpr (floating_target) {
    if (segmentation_on_device(metric, preds, target, how...)) return;
  } else {
    if (top_k_on_device(metric, preds, target, how...)) return;
  }
  at::Tensor p, t;
  {
    const c10::NoGradGuard no_grad;
    at::Tensor reduced = labels_on_device(metric, preds, target);
    if (!reduced.defined()) reduced = decisions_on_device(metric, preds, target);
    p = readable(reduced.defined() ? reduced : preds);
    t = readable(target);
  }
  visit_element_type<true>(p.scalar_type(), [&](auto* pe) {
    using P = std::remove_pointer_t<decltype(pe)>;
    visit_element_type<floating_target>(t.scalar_type(), [&](auto* te) {
      using T = std::remove_pointer_t<decltype(te)>;
      metric.update(view<P>(p), view<T>(t), how...);
    });
  });
}

}  // namespace detail

/// Counts one batch of LibTorch tensors: `tally::torch::update(f1, logits, labels)`.
/// The tensors may have any device, layout in memory and supported dtype (see the top of
/// <tally/torch.hpp>); throws tally::error on invalid input and then changes nothing.
template <class M>
void update(M& metric, const at::Tensor& preds, const at::Tensor& target) {
  detail::update(metric, preds, target);
}

/// The same, counting with several threads (see tally::parallel); same result as update().
template <class M>
void update(M& metric, const at::Tensor& preds, const at::Tensor& target, parallel how) {
  detail::update(metric, preds, target, how);
}

}  // namespace torch
TALLY_NAMESPACE_END

#endif  // TALLY_TORCH_HPP
