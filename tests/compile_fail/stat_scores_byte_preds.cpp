// A StatScores-family metric (here BinaryF1Score) given preds that are neither integral labels
// nor floating-point scores (std::byte, e.g. raw image bytes): stat_core's update rejects them.
// expected error: tally: preds must be integral labels or floating-point scores
#include <tally/tally.hpp>

#include <cstddef>
#include <vector>

void misuse() {
  const std::vector<std::byte> preds{std::byte{0}, std::byte{1}};
  const std::vector<int> target{0, 1};
  tally::BinaryF1Score m{tally::Binary::Options{}};
  m.update(preds, target);
}
