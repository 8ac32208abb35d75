// update() with a range that is not contiguous: std::vector<bool> packs its bits and has no
// data(), so metric_base's as_view() rejects it at compile time instead of reading garbage.
// expected error: tally: update() takes tensor_views or contiguous ranges
#include <tally/tally.hpp>

#include <vector>

void misuse() {
  const std::vector<bool> preds{false, true, true};
  const std::vector<int> target{0, 1, 0};
  tally::BinaryAccuracy m{tally::Binary::Options{}};
  m.update(preds, target);
}
