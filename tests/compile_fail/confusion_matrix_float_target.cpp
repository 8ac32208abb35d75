// ConfusionMatrix given a floating-point target: its own update (confusion_core) rejects the
// element type at compile time, as StatScores does.
// expected error: tally: target must hold integral labels (bool, uint8 ... int64)
#include <tally/tally.hpp>

#include <vector>

void misuse() {
  const std::vector<int> preds{0, 1, 2};
  const std::vector<double> target{0.0, 1.0, 2.0};
  tally::Multiclass::Options o;
  o.num_classes = 3;
  tally::MulticlassConfusionMatrix m(o);
  m.update(preds, target);
}
