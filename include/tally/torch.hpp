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
//   must be on the same device. Per-class scores (N, C, ...) of a multiclass-task metric with
//   top_k = 1 are first reduced there, by their argmax over axis 1, to uint8 labels (int32 above
//   256 classes): the copy moves one byte per position instead of C scores (for 8 x 19 x 512 x
//   1024 float logits, 4 MB instead of 318 MB), and the counts are the same as on the host.
//   The segmentation metrics' floating one-hot preds (input_format one_hot or mixed) are reduced
//   the same way and counted against the target as their scores would be. Input the host would
//   reject (NaN, a probability outside [0, 1], a shape mismatch) is copied and rejected as on
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
#include <new>
#include <type_traits>

#include "detail/metric_base.hpp"
#include "detail/thread_pool.hpp"
#include "error.hpp"
#include "options.hpp"
#include "tensor_view.hpp"

TALLY_NAMESPACE_BEGIN

class DiceScore;
class MeanIoU;
class GeneralizedDiceScore;

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

// Whether per-class scores `preds` (N, C, ...) are to be reduced to labels on their device (not
// the CPU, unless the test hook says so) and the host path would take them: floating, not empty,
// axis 1 of size C, the other axes the target's (target_one_hot: the target has the scores' own
// shape), no NaN and, with `probabilities`, no value outside [0, 1] (one reduction, one wait for
// the device). Whatever the host would reject is left to it, so that the error and its message
// are the host path's.
[[nodiscard]] inline bool reducible_scores(const at::Tensor& preds, const at::Tensor& target,
                                           std::int64_t C, bool target_one_hot,
                                           bool probabilities) {
  if (preds.is_cpu() && !device_path().on_cpu) return false;
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

// The argmax over axis 1, on the scores' device, as uint8 labels (int32 above 256 classes): the
// copy to the host moves one label instead of C scores per position. Ties go to the lowest
// class, as in tally's own argmax, so the counts are the host path's.
[[nodiscard]] inline at::Tensor argmax_labels(const at::Tensor& preds, std::int64_t C) {
  ++device_path().reductions;
  return preds.argmax(1).to(C <= 256 ? at::kByte : at::kInt);
}

// Per-class scores of a metric of the multiclass task with top_k = 1, reduced on their device
// (see reducible_scores); an undefined tensor when the host path is to run.
template <class M>
[[nodiscard]] at::Tensor labels_on_device(const M& metric, const at::Tensor& preds,
                                          const at::Tensor& target) {
  if constexpr (!std::is_same_v<typename M::options_type, Multiclass::Options>) {
    return {};
  } else {
    const Multiclass::Options& o = metric.options();
    if (o.top_k != 1 ||
        !reducible_scores(preds, target, o.num_classes, false,
                          o.scores == Scores::probabilities))
      return {};
    return argmax_labels(preds, o.num_classes);
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
  std::size_t threads = 1;
  ((threads = tally::detail::resolve_threads(how.threads)), ...);
  visit_element_type<false>(labels.scalar_type(), [&](auto* le) {
    using L = std::remove_pointer_t<decltype(le)>;
    visit_element_type<true>(t.scalar_type(), [&](auto* te) {
      using T = std::remove_pointer_t<decltype(te)>;
      try {
        core.update_reduced_preds(view<L>(labels), view<T>(t), static_cast<std::size_t>(C),
                                  threads);
      } catch (const std::bad_alloc&) {
        tally::detail::fail("update: cannot allocate the working memory for a batch of ",
                            t.numel(), " target elements; split the batch");
      }
    });
  });
  return true;
}

template <class M, class... How>
void update(M& metric, const at::Tensor& preds, const at::Tensor& target, const How&... how) {
  constexpr bool floating_target = takes_floating_target_v<M>;
  check_inputs(preds, target, floating_target);
  if constexpr (floating_target) {
    if (segmentation_on_device(metric, preds, target, how...)) return;
  }
  at::Tensor p, t;
  {
    const c10::NoGradGuard no_grad;
    const at::Tensor labels = labels_on_device(metric, preds, target);
    p = readable(labels.defined() ? labels : preds);
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
