// Quick start: per-class F1 and IoU for a small segmentation label map with void pixels.
//
// Build and run:  cmake --workflow --preset quickstart
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  // A 2 x 4 x 6 batch of label maps (N, H, W) for 4 classes; 255 marks void pixels (borders,
  // unlabeled regions) that must count for nothing, as in Cityscapes, VOC or ADE20K.
  const std::vector<std::uint8_t> target = {
      0, 0, 1, 1, 1, 255,  0, 0, 1, 1, 1, 255,  2, 2, 2, 3, 3, 255,  2, 2, 2, 3, 3, 255,
      0, 0, 0, 0, 1, 1,    0, 0, 0, 0, 1, 1,    255, 255, 2, 2, 2, 2,  255, 255, 2, 2, 3, 3};
  const std::vector<std::uint8_t> preds = {
      0, 0, 1, 1, 2, 1,    0, 1, 1, 1, 1, 1,    2, 2, 2, 3, 3, 3,    2, 2, 3, 3, 3, 0,
      0, 0, 0, 1, 1, 1,    0, 0, 0, 0, 1, 1,    0, 0, 2, 2, 2, 2,    2, 2, 2, 2, 3, 3};
  const tally::Shape shape{2, 4, 6};

  tally::Multiclass::Options options;
  options.num_classes = 4;
  options.ignore_index = 255;             // void: removed before anything is counted
  options.average = tally::Average::none;  // one value per class

  tally::MulticlassF1Score f1(options);
  tally::MulticlassJaccardIndex iou(options);
  const tally::tensor_view<const std::uint8_t> p(preds.data(), shape), t(target.data(), shape);
  f1.update(p, t);
  iou.update(p, t);

  const tally::Result f1_per_class = f1.compute();
  const tally::Result iou_per_class = iou.compute();
  std::printf("class      F1     IoU\n");
  for (std::size_t c = 0; c < f1_per_class.size(); ++c)
    std::printf("%5zu  %.4f  %.4f\n", c, f1_per_class[c], iou_per_class[c]);

  options.average = tally::Average::macro;
  tally::MulticlassF1Score macro_f1(options);
  tally::MulticlassJaccardIndex miou(options);
  macro_f1.update(p, t);
  miou.update(p, t);
  std::printf("macro  %.4f  %.4f\n", macro_f1.compute().value(), miou.compute().value());

  // Without ignore_index, the 255s are rejected with a message that says how to fix it.
  options.ignore_index.reset();
  tally::MulticlassF1Score strict(options);
  try {
    strict.update(p, t);
  } catch (const tally::error& e) {
    std::printf("without ignore_index: %s\n", e.what());
  }
  return 0;
}
