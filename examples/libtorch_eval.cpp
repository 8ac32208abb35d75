// Evaluating a LibTorch segmentation model's outputs: per-class IoU and macro F1 from the logits
// tensor (N, C, H, W) and the label tensor (N, H, W), with void pixels (255) along the border.
//
// The "model" is random logits from a fixed seed plus a margin for the true class, so that it is
// right most of the time. tally::torch::update reads the tensors as they are: float logits and
// uint8 labels, without copies (a CUDA, Half or non-contiguous tensor would be copied first).
#include <ATen/ATen.h>
#include <tally/tally.hpp>
#include <tally/torch.hpp>

#include <cstdint>
#include <cstdio>

namespace {

constexpr std::int64_t num_classes = 6;
constexpr std::int64_t void_label = 255;
const char* const class_names[num_classes] = {"road", "sidewalk", "building",
                                              "vegetation", "sky", "car"};

// Labels: six vertical bands of classes per image, shifted from image to image, a 3-pixel void
// border. Logits: N(0, 1) noise plus 2 for the true class (void pixels get a random winner).
void make_batch(std::int64_t n, std::int64_t h, std::int64_t w, at::Tensor& logits,
                at::Tensor& labels) {
  at::manual_seed(2026);
  const at::Tensor column = at::arange(w, at::kLong) * num_classes / w;           // (W)
  const at::Tensor shift = at::arange(n, at::kLong).view({n, 1, 1});              // (N, 1, 1)
  labels = (column.view({1, 1, w}) + shift).remainder(num_classes).expand({n, h, w});
  labels = labels.to(at::kByte).contiguous();
  const at::Tensor hit = at::one_hot(labels.to(at::kLong), num_classes)            // (N, H, W, C)
                             .permute({0, 3, 1, 2})
                             .to(at::kFloat);
  logits = at::randn({n, num_classes, h, w}) + 2.0 * hit;
  const std::int64_t b = 3;
  labels.slice(1, 0, b).fill_(void_label);
  labels.slice(1, h - b, h).fill_(void_label);
  labels.slice(2, 0, b).fill_(void_label);
  labels.slice(2, w - b, w).fill_(void_label);
}

}  // namespace

int main() {
  const std::int64_t n = 4, h = 96, w = 128;
  at::Tensor logits, labels;
  make_batch(n, h, w, logits, labels);

  tally::Multiclass::Options o;   // C++20: {.num_classes = 6, .ignore_index = 255, ...}
  o.num_classes = num_classes;
  o.ignore_index = void_label;    // border pixels count for nothing
  o.average = tally::Average::none;
  tally::MulticlassJaccardIndex iou(o);
  o.average = tally::Average::macro;
  tally::MulticlassF1Score f1(o);

  // One update per batch; in a real loop, call these for every batch of the validation set.
  tally::torch::update(iou, logits, labels);
  tally::torch::update(f1, logits, labels);

  const tally::Result per_class = iou.compute();
  const std::int64_t void_pixels = (labels == void_label).sum().item<std::int64_t>();
  std::printf("%lld images %lld x %lld, %lld classes, %lld void pixels skipped\n\n",
              static_cast<long long>(n), static_cast<long long>(h), static_cast<long long>(w),
              static_cast<long long>(num_classes), static_cast<long long>(void_pixels));
  std::printf("%-12s %8s\n", "class", "IoU");
  double sum = 0.0;
  for (std::size_t c = 0; c < per_class.size(); ++c) {
    std::printf("%-12s %8.4f\n", class_names[c], per_class[c]);
    sum += per_class[c];
  }
  const double macro_f1 = f1.compute().value();
  std::printf("\n%-12s %8.4f\n%-12s %8.4f\n", "mean IoU", sum / static_cast<double>(per_class.size()),
              "macro F1", macro_f1);

  // A margin of 2 standard deviations makes the argmax right for about 3 pixels in 4.
  return macro_f1 > 0.5 && macro_f1 < 1.0 ? 0 : 1;
}
