// A StatScores-family metric (here MulticlassPrecision) given a floating-point target: targets
// are labels, so stat_core's update rejects the element type at compile time.
// expected error: tally: target must hold integral labels (bool, uint8 ... int64)
#include <tally/tally.hpp>

#include <vector>

void misuse() {
  const std::vector<int> preds{0, 1, 2};
  const std::vector<float> target{0.0f, 1.0f, 2.0f};
  tally::Multiclass::Options o;
  o.num_classes = 3;
  tally::MulticlassPrecision m(o);
  m.update(preds, target);
}
