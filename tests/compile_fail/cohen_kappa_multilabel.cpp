// CohenKappa has no multilabel task (torchmetrics has none either).
// expected error: tally: CohenKappa exists for Binary and Multiclass (as in torchmetrics)
#include <tally/tally.hpp>

void misuse() {
  tally::Multilabel::Options o;
  o.num_labels = 3;
  tally::CohenKappa<tally::Multilabel> k(o);
  (void)k;
}
