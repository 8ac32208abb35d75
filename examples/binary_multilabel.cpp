// Binary and multilabel classification from scores: probabilities with a threshold, logits, and
// per-label F1 for a multilabel tagger. The data is small enough to check every number by hand;
// the expected values are in the comments.
//
// The rules used here (docs/semantics.md, 1.3): a prediction is positive when p > threshold
// (strictly); Scores::automatic, the default, reads a batch as logits when any value lies
// outside [0, 1], so state which one your model outputs with Options::scores.
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

// [tp, fp, tn, fn, support] of a binary StatScores result.
void print_binary(const char* what, const tally::Binary::Options& options,
                  const std::vector<float>& preds, const std::vector<std::uint8_t>& target) {
  tally::BinaryStatScores stats(options);
  tally::BinaryPrecision precision(options);
  tally::BinaryRecall recall(options);
  tally::BinaryF1Score f1(options);
  stats.update(preds, target);
  precision.update(preds, target);
  recall.update(preds, target);
  f1.update(preds, target);
  const tally::Result s = stats.compute();
  std::printf("%-34s tp %2.0f  fp %2.0f  tn %2.0f  fn %2.0f  ", what, s[0], s[1], s[2], s[3]);
  std::printf(" precision %.4f  recall %.4f  F1 %.4f\n", precision.compute().value(),
              recall.compute().value(), f1.compute().value());
}

}  // namespace

int main() {
  // --- Binary: one probability per sample ---------------------------------------------------
  const std::vector<float> probs = {0.95f, 0.80f, 0.65f, 0.55f, 0.40f,
                                    0.72f, 0.30f, 0.60f, 0.10f, 0.85f};
  const std::vector<std::uint8_t> labels = {1, 1, 1, 0, 1, 0, 0, 1, 0, 1};

  tally::Binary::Options binary;  // threshold 0.5, Scores::automatic
  print_binary("probabilities, threshold 0.5:", binary, probs, labels);
  // expected: tp 5 fp 2 tn 2 fn 1, precision 5/7 = 0.7143, recall 5/6 = 0.8333, F1 10/13 = 0.7692

  binary.threshold = 0.7;  // fewer positives: higher precision, lower recall
  print_binary("probabilities, threshold 0.7:", binary, probs, labels);
  // expected: tp 3 fp 1 tn 3 fn 3, precision 3/4 = 0.75, recall 3/6 = 0.5, F1 6/10 = 0.6

  // --- Binary: logits -------------------------------------------------------------------------
  // The same model's raw outputs, before the sigmoid (logit(0.95) = 2.9, ...). With
  // Scores::logits every batch goes through the sigmoid, so threshold 0.5 means logit > 0.
  const std::vector<float> logits = {2.9f, 1.4f, 0.6f, 0.2f, -0.4f, 0.9f, -0.8f, 0.4f, -2.2f, 1.7f};
  binary.threshold = 0.5;
  binary.scores = tally::Scores::logits;
  print_binary("logits, threshold 0.5:", binary, logits, labels);
  // expected: the same as the probabilities at 0.5 (F1 0.7692)

  // A batch of logits that all happen to lie in [0, 1]: Scores::automatic cannot tell them from
  // probabilities and thresholds them as probabilities; Scores::logits reads them right.
  const std::vector<float> small_logits = {0.3f, 0.8f, 0.1f, 0.6f};
  const std::vector<std::uint8_t> small_labels = {1, 0, 1, 1};
  binary.scores = tally::Scores::automatic;
  print_binary("logits in [0, 1], automatic:", binary, small_logits, small_labels);
  // expected: read as probabilities, 0.8 and 0.6 positive: tp 1, fp 1, fn 2, F1 2/5 = 0.4
  binary.scores = tally::Scores::logits;
  print_binary("logits in [0, 1], Scores::logits:", binary, small_logits, small_labels);
  // expected: every logit > 0 is positive: tp 3, fp 1, fn 0, F1 6/7 = 0.8571

  // --- Multilabel: 4 tags per image, (N, L) probabilities ---------------------------------------
  const char* const tags[] = {"person", "dog", "car", "tree"};
  constexpr std::size_t num_images = 6, num_tags = 4;
  // (6, 4) probabilities and targets, row-major: one row per image, one column per tag.
  const std::vector<float> tag_probs = {0.9f, 0.2f,  0.7f, 0.1f,  //
                                        0.8f, 0.6f,  0.3f, 0.2f,  //
                                        0.3f, 0.7f,  0.4f, 0.6f,  //
                                        0.6f, 0.55f, 0.8f, 0.3f,  //
                                        0.2f, 0.9f,  0.1f, 0.7f,  //
                                        0.7f, 0.4f,  0.6f, 0.2f};
  const std::vector<std::uint8_t> tag_target = {1, 0, 1, 0,  //
                                                1, 1, 0, 0,  //
                                                0, 1, 1, 0,  //
                                                0, 0, 1, 0,  //
                                                0, 1, 0, 1,  //
                                                1, 1, 0, 1};
  const tally::Shape shape{num_images, num_tags};
  const tally::tensor_view<const float> p(tag_probs.data(), shape);
  const tally::tensor_view<const std::uint8_t> t(tag_target.data(), shape);

  tally::Multilabel::Options multilabel;
  multilabel.num_labels = num_tags;
  multilabel.threshold = 0.5;
  multilabel.scores = tally::Scores::probabilities;  // a value outside [0, 1] would throw
  multilabel.average = tally::Average::none;         // one F1 per label
  tally::MultilabelF1Score per_tag(multilabel);
  multilabel.average = tally::Average::micro;  // pool the counts of all labels
  tally::MultilabelF1Score micro(multilabel);
  multilabel.average = tally::Average::macro;  // mean of the per-label F1
  tally::MultilabelF1Score macro(multilabel);
  per_tag.update(p, t);
  micro.update(p, t);
  macro.update(p, t);

  const tally::Result f1 = per_tag.compute();
  std::printf("\nmultilabel F1 per tag (threshold 0.5):\n");
  for (std::size_t l = 0; l < f1.size(); ++l) std::printf("  %-7s %.4f\n", tags[l], f1[l]);
  // expected: person 6/7 = 0.8571 (tp 3, fp 1, fn 0), dog 6/8 = 0.75 (tp 3, fp 1, fn 1),
  //           car 4/6 = 0.6667 (tp 2, fp 1, fn 1), tree 2/4 = 0.5 (tp 1, fp 1, fn 1)
  std::printf("  micro   %.4f\n", micro.compute().value());  // expected: 18/25 = 0.72
  // expected: (6/7 + 3/4 + 2/3 + 1/2) / 4 = 0.6935
  std::printf("  macro   %.4f\n", macro.compute().value());
  return 0;
}
