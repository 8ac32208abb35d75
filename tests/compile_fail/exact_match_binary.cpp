// ExactMatch has no binary task (torchmetrics has none either).
// expected error: tally: ExactMatch exists for Multiclass and Multilabel (as in torchmetrics)
#include <tally/tally.hpp>

void misuse() {
  tally::ExactMatch<tally::Binary> m(tally::Binary::Options{});
  (void)m;
}
