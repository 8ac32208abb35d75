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
//   must be on the same device.
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
#include <type_traits>

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

template <class M, class... How>
void update(M& metric, const at::Tensor& preds, const at::Tensor& target, const How&... how) {
  constexpr bool floating_target = takes_floating_target_v<M>;
  check_inputs(preds, target, floating_target);
  at::Tensor p, t;
  {
    const c10::NoGradGuard no_grad;
    p = readable(preds);
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
