// ROC, AUROC, average precision and calibration of a small binary detector and a 3-class
// classifier, streamed batch by batch, exact and binned, with the numbers checked by hand.
//
// Build and run: cmake --build build --target run-ranking
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <tally/tally.hpp>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    ++failures;
    std::printf("  MISMATCH: %s\n", what);
  }
}

}  // namespace

int main() {
  // A detector's scores for 8 windows, in two batches; 255 marks a window to leave out.
  const std::vector<std::vector<float>> scores{{0.9f, 0.8f, 0.35f, 0.6f}, {0.1f, 0.7f, 0.4f, 0.2f}};
  const std::vector<std::vector<std::uint8_t>> labels{{1, 1, 0, 255}, {0, 1, 1, 0}};

  tally::Binary::Options o;
  o.ignore_index = 255;
  tally::BinaryAUROC auroc(o);                                         // exact
  tally::BinaryAveragePrecision ap(o);
  tally::BinaryROC roc(o, tally::Thresholds::linspace(5));             // binned: 0, .25, ... 1
  tally::BinaryCalibrationError ece(o, 4);                             // 4 bins, l1
  for (std::size_t b = 0; b < scores.size(); ++b) {
    auroc.update(scores[b], labels[b]);
    ap.update(scores[b], labels[b]);
    roc.update(scores[b], labels[b]);
    ece.update(scores[b], labels[b]);
  }

  // Kept: positives 0.9 0.8 0.7 0.4, negatives 0.35 0.1 0.2. Of the 12 (positive, negative)
  // pairs the positive scores higher in all 12: AUROC 1, and every positive comes first: AP 1.
  const double a = auroc.compute().value();
  std::printf("BinaryAUROC          %.4f\n", a);
  check(a == 1.0, "AUROC of perfectly separated scores is 1");
  const double p = ap.compute().value();
  std::printf("BinaryAveragePrecision %.4f\n", p);
  check(p == 1.0, "AP of perfectly separated scores is 1");

  const tally::RocCurve c = roc.compute();
  std::printf("BinaryROC (5 thresholds, highest first)\n  threshold   fpr    tpr\n");
  for (std::size_t i = 0; i < c.fpr.size(); ++i)
    std::printf("  %9.2f  %5.3f  %5.3f\n", c.thresholds[i], c.fpr[i], c.tpr[i]);
  // At threshold 0.25: positives >= 0.25: all 4; negatives >= 0.25: 0.35 only -> fpr 1/3.
  check(c.thresholds[3] == 0.25 && c.tpr[3] == 1.0 && std::fabs(c.fpr[3] - 1.0 / 3) < 1e-15,
        "ROC point at threshold 0.25");

  // 4 bins: [0, .25) holds 0.1, 0.2 (both negatives: accuracy 0, confidence 0.15);
  // [.25, .5) 0.35 (neg), 0.4 (pos): accuracy 0.5, confidence 0.375; [.75, 1] 0.9, 0.8 (pos):
  // accuracy 1, confidence 0.85; [.5, .75) 0.7 (pos): accuracy 1, confidence 0.7.
  const double e = ece.compute().value();
  const double want = (2 * 0.15 + 2 * 0.125 + 1 * 0.3 + 2 * 0.15) / 7;
  std::printf("BinaryCalibrationError %.4f (by hand %.4f)\n", e, want);
  check(std::fabs(e - want) < 1e-6, "expected calibration error by hand");

  // Three classes, logits: softmax per row, one-vs-rest AUROC per class.
  tally::Multiclass::Options m;
  m.num_classes = 3;
  m.average = tally::Average::none;
  tally::MulticlassAUROC per_class(m);
  const std::vector<float> logits{2.0f, 0.1f, -1.0f,   // row 0: class 0 leads
                                  0.3f, 1.5f, 0.2f,    // row 1: class 1
                                  -0.5f, 0.0f, 2.5f,   // row 2: class 2
                                  1.0f, 0.9f, 0.1f};   // row 3: class 0, narrowly
  const std::vector<int> target{0, 1, 2, 1};
  per_class.update(tally::tensor_view<const float>(logits.data(), tally::Shape{4, 3}),
                   tally::tensor_view<const int>(target.data(), tally::Shape{4}));
  const tally::Result r = per_class.compute();
  std::printf("MulticlassAUROC per class: %.4f %.4f %.4f\n", r[0], r[1], r[2]);
  // Class 2: the only positive (row 2) has by far the largest class-2 probability: 1.
  check(r[2] == 1.0, "class 2 AUROC");

  if (failures == 0) std::printf("all values match the hand computation\n");
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
