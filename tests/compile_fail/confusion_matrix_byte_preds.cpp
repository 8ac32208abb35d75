// ConfusionMatrix given std::byte preds (neither labels nor scores): confusion_core rejects them.
// expected error: tally: preds must be integral labels or floating-point scores
#include <tally/tally.hpp>

#include <cstddef>
#include <vector>

void misuse() {
  const std::vector<std::byte> preds{std::byte{0}, std::byte{1}};
  const std::vector<int> target{0, 1};
  tally::Multiclass::Options o;
  o.num_classes = 2;
  tally::MulticlassConfusionMatrix m(o);
  m.update(preds, target);
}
