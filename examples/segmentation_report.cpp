// Segmentation evaluation report: sklearn's classification_report (plus an IoU column), mIoU and
// mean Dice for a small synthetic Cityscapes-like validation set, accumulated image by image.
//
// examples/segmentation.cpp computes per-class Dice and IoU on one batch and prints them with
// printf; this one is the evaluation loop: images are streamed through several accumulators and
// the result is printed with <tally/format.hpp>, which needs {fmt} (link tally::fmt).
//
// The data: 4 street scenes of 64 x 128 pixels with 6 classes, a void (255) border and a void
// ego-vehicle hood at the bottom, as Cityscapes' trainId maps have. The "model" is right about
// 85% of the time and otherwise confuses a class with a plausible neighbour.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <tally/format.hpp>
#include <tally/tally.hpp>
#include <vector>

namespace {

constexpr std::size_t height = 64, width = 128, num_images = 4;
constexpr std::uint8_t void_label = 255;
enum : std::uint8_t { road, sidewalk, building, vegetation, sky, car, num_classes };
const std::vector<std::string> class_names = {"road",       "sidewalk", "building",
                                              "vegetation", "sky",      "car"};

// One image: sky above a ragged skyline, buildings with trees, a sidewalk, the road, and one or
// two cars; void along the border and over the hood.
std::vector<std::uint8_t> make_target(std::mt19937& rng) {
  std::vector<std::uint8_t> t(height * width);
  const std::size_t tree_x = rng() % (width - 20), car_x = rng() % (width - 30);
  const bool second_car = rng() % 2 == 0;
  for (std::size_t y = 0; y < height; ++y)
    for (std::size_t x = 0; x < width; ++x) {
      const std::size_t skyline = 12 + (x / 16 % 3) * 4;  // blocks of different heights
      std::uint8_t c = y < skyline ? sky : y < 34 ? building : y < 40 ? sidewalk : road;
      if (x >= tree_x && x < tree_x + 20 && y >= 18 && y < 36) c = vegetation;
      if (x >= car_x && x < car_x + 28 && y >= 36 && y < 50) c = car;
      if (second_car && x >= 90 && x < 118 && y >= 42 && y < 56) c = car;
      if (x < 2 || y < 2 || x + 2 >= width || y >= height - 6) c = void_label;
      t[y * width + x] = c;
    }
  return t;
}

// The model: the true class 85% of the time, else one of two classes it is easily confused with.
// Void pixels get some prediction too (a real network predicts everywhere); they are never
// counted.
std::vector<std::uint8_t> make_preds(const std::vector<std::uint8_t>& target, std::mt19937& rng) {
  const std::uint8_t confused_with[num_classes][2] = {{sidewalk, car},        {road, building},
                                                      {vegetation, sky},      {building, sky},
                                                      {building, vegetation}, {road, building}};
  std::vector<std::uint8_t> p(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    const std::uint8_t t = target[i];
    if (t == void_label)
      p[i] = static_cast<std::uint8_t>(rng() % num_classes);
    else
      p[i] = rng() % 100 < 85 ? t : confused_with[t][rng() % 2];
  }
  return p;
}

}  // namespace

int main() {
  tally::Multiclass::Options options;
  options.num_classes = num_classes;
  options.ignore_index = void_label;            // void pixels add nothing anywhere
  tally::MulticlassStatScores stats(options);   // the counts behind the report
  tally::MulticlassJaccardIndex miou(options);  // average = macro: mIoU

  tally::DiceScore::Options dice_options;
  dice_options.num_classes = num_classes;
  dice_options.ignore_index = void_label;
  dice_options.input_format = tally::InputFormat::index;
  // torchmetrics' default aggregation: the mean of per-image macro Dice. (With
  // AggregationLevel::global it would equal the report's macro avg f1-score.)
  tally::DiceScore dice(dice_options);

  std::mt19937 rng(2024);  // mt19937's output is fixed by the standard: same data everywhere
  std::size_t void_pixels = 0;
  for (std::size_t i = 0; i < num_images; ++i) {
    const std::vector<std::uint8_t> target = make_target(rng);
    const std::vector<std::uint8_t> preds = make_preds(target, rng);
    for (std::uint8_t v : target) void_pixels += v == void_label;
    const tally::Shape shape{1, height, width};  // (N, H, W)
    const tally::tensor_view<const std::uint8_t> p(preds.data(), shape), t(target.data(), shape);
    stats.update(p, t);
    miou.update(p, t);
    dice.update(p, t);
  }

  fmt::print("{} images of {}x{}, {} void pixels skipped\n", num_images, height, width,
             void_pixels);
  fmt::print("options: {}\n\n", stats.options());
  fmt::print("{}\n", tally::classification_report(stats, class_names));
  fmt::print("mIoU      {:.4f}  (MulticlassJaccardIndex, macro: the iou column's macro avg)\n",
             miou.compute());
  fmt::print("mean Dice {:.4f}  (DiceScore, {} aggregation, {} average)\n", dice.compute(),
             dice_options.aggregation_level, dice_options.average);
  return 0;
}
