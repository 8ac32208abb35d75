// Segmentation evaluation: per-class Dice and IoU on a synthetic Cityscapes-like batch.
//
// 19 classes, void pixels (255) along the image border and in a few unlabeled blobs, and a
// "model" that is right most of the time, confuses neighbouring classes near region edges and
// sometimes predicts 255 itself. The metrics skip void target pixels entirely.
#include <tally/segmentation.hpp>
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int num_classes = 19;
constexpr std::uint8_t void_label = 255;
const char* const class_names[num_classes] = {
    "road",  "sidewalk", "building",   "wall",  "fence", "pole",   "traffic light",
    "traffic sign", "vegetation", "terrain", "sky",  "person", "rider", "car",
    "truck", "bus",      "train",      "motorcycle", "bicycle"};

// Target maps: horizontal bands of classes with blobs of other classes, a void border.
void make_batch(std::size_t n, std::size_t h, std::size_t w, std::vector<std::uint8_t>& target,
                std::vector<std::uint8_t>& preds) {
  std::mt19937 rng(2026);
  std::uniform_int_distribution<int> cls(0, num_classes - 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  target.resize(n * h * w);
  preds.resize(n * h * w);
  for (std::size_t s = 0; s < n; ++s) {
    int band[8];  // consecutive samples walk through all classes
    for (int k = 0; k < 8; ++k) band[k] = static_cast<int>((s * 8 + static_cast<std::size_t>(k)) % num_classes);
    const std::size_t bx = rng() % w, by = rng() % h, blob = static_cast<std::size_t>(cls(rng));
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x) {
        const std::size_t i = (s * h + y) * w + x;
        const bool border = y < 2 || x < 2 || y + 2 >= h || x + 2 >= w;
        const std::size_t dx = x > bx ? x - bx : bx - x, dy = y > by ? y - by : by - y;
        int t = band[y * 8 / h];
        if (dx * dx + dy * dy < w * h / 16) t = static_cast<int>(blob);
        target[i] = border ? void_label : static_cast<std::uint8_t>(t);
        // The prediction: mostly right; near band edges it takes the neighbouring band.
        const std::size_t edge = (y * 8) % h;
        int p = t == void_label ? band[0] : t;
        if (edge < 3 && u(rng) < 0.5) p = band[(y * 8 / h + 7) % 8];
        if (u(rng) < 0.05) p = cls(rng);
        if (border && u(rng) < 0.3) p = void_label;  // void predictions at void pixels are fine
        preds[i] = static_cast<std::uint8_t>(p);
      }
  }
}

}  // namespace

int main() {
  const std::size_t n = 4, h = 128, w = 256;
  std::vector<std::uint8_t> target, preds;
  make_batch(n, h, w, target, preds);
  const tally::tensor_view<const std::uint8_t> p(preds.data(), tally::Shape{n, h, w});
  const tally::tensor_view<const std::uint8_t> t(target.data(), tally::Shape{n, h, w});

  tally::DiceScore::Options dice_options;
  dice_options.num_classes = num_classes;
  dice_options.ignore_index = void_label;
  dice_options.input_format = tally::InputFormat::index;
  dice_options.aggregation_level = tally::AggregationLevel::global;
  dice_options.average = tally::Average::none;
  tally::DiceScore dice(dice_options);

  tally::Multiclass::Options options;
  options.num_classes = num_classes;
  options.ignore_index = void_label;
  options.average = tally::Average::none;
  tally::MulticlassJaccardIndex iou(options);
  tally::MulticlassStatScores stats(options);

  dice.update(p, t);
  iou.update(p, t);
  stats.update(p, t);

  const tally::Result d = dice.compute(), j = iou.compute(), s = stats.compute();
  std::printf("%-14s %8s %8s %10s\n", "class", "Dice", "IoU", "pixels");
  for (int c = 0; c < num_classes; ++c) {
    const double support = s[static_cast<std::size_t>(c) * 5 + 4];
    // A class absent from both maps has no Dice (NaN); print it as a dash.
    if (support == 0 && d[static_cast<std::size_t>(c)] != d[static_cast<std::size_t>(c)]) {
      std::printf("%-14s %8s %8s %10.0f\n", class_names[c], "-", "-", support);
      continue;
    }
    std::printf("%-14s %8.4f %8.4f %10.0f\n", class_names[c], d[static_cast<std::size_t>(c)],
                j[static_cast<std::size_t>(c)], support);
  }

  dice_options.average = tally::Average::macro;
  options.average = tally::Average::macro;
  tally::DiceScore mean_dice(dice_options);
  tally::MulticlassJaccardIndex miou(options);
  mean_dice.update(p, t);
  miou.update(p, t);
  std::size_t void_pixels = 0;
  for (std::uint8_t v : target) void_pixels += v == void_label;
  std::printf("%-14s %8.4f %8.4f %10zu void pixels skipped\n", "mean", mean_dice.compute().value(),
              miou.compute().value(), void_pixels);

  // The segmentation metrics proper: torchmetrics' MeanIoU (IoU per sample and class, averaged),
  // the dataset-level mIoU that Cityscapes reports (pooled counts per class), and the
  // generalized Dice score (classes weighted by 1 / T^2 per sample). Void pixels count for none.
  // The per-sample mean is much lower here: a class that only stray predictions put into a
  // sample counts there with IoU 0, while the pooled counts hardly notice those pixels.
  tally::MeanIoU::Options miou_options;
  miou_options.num_classes = num_classes;
  miou_options.ignore_index = void_label;
  miou_options.input_format = tally::InputFormat::index;
  tally::MeanIoU per_sample_miou(miou_options);
  miou_options.aggregation_level = tally::AggregationLevel::global;
  tally::MeanIoU dataset_miou(miou_options);
  tally::GeneralizedDiceScore::Options gds_options;
  gds_options.num_classes = num_classes;
  gds_options.ignore_index = void_label;
  gds_options.input_format = tally::InputFormat::index;
  tally::GeneralizedDiceScore gds(gds_options);
  per_sample_miou.update(p, t);
  dataset_miou.update(p, t);
  gds.update(p, t);
  std::printf("\nMeanIoU, mean over samples and classes: %.4f\n", per_sample_miou.compute().value());
  std::printf("MeanIoU, dataset level (global):        %.4f\n", dataset_miou.compute().value());
  std::printf("GeneralizedDiceScore (square weights):  %.4f\n", gds.compute().value());
  return 0;
}
