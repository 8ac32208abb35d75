// Metrics in a training loop: a value per batch (what a progress bar shows) and epoch metrics
// (what gets logged), reset at the start of every epoch. Only core headers: no fmt needed.
//
// Fake model outputs stand in for a network: float logits (N, C) for C = 5 imbalanced classes,
// better every epoch. The last batch of an epoch is padded to full size, and its padded rows
// carry target -100, PyTorch's CrossEntropyLoss ignore_index, which tally ignores the same way.
//
// The per-batch value comes from a fresh metric that sees only that batch; the batch is then
// merged into the epoch accumulator with `+=` (torchmetrics' forward(): the batch's own value,
// and the batch added to the running state, from one pass over the data).
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <random>
#include <tally/tally.hpp>
#include <vector>

namespace {

constexpr std::size_t num_classes = 5, batch_size = 64, batches_per_epoch = 8, padded_rows = 16;
constexpr int num_epochs = 3;
constexpr std::int64_t pad_label = -100;

struct batch {
  std::vector<float> logits;         // (batch_size, num_classes), row-major
  std::vector<std::int64_t> target;  // (batch_size)
};

// A uniform double in [0, 1) from mt19937's raw output, whose sequence the standard fixes
// (std::uniform_real_distribution may differ between standard libraries).
double uniform(std::mt19937& rng) {
  return static_cast<double>(rng() >> 8) / 16777216.0;
}

// Labels drawn with frequencies 40/25/15/12/8 %; the true class's logit gets a margin that grows
// with the epoch, on top of noise in [-1, 1) for every class.
batch make_batch(std::mt19937& rng, int epoch, bool last) {
  const double margin[num_epochs] = {0.3, 0.8, 1.3};
  const unsigned cumulative[num_classes] = {40, 65, 80, 92, 100};
  batch b{std::vector<float>(batch_size * num_classes), std::vector<std::int64_t>(batch_size)};
  for (std::size_t i = 0; i < batch_size; ++i) {
    const unsigned r = static_cast<unsigned>(rng() % 100);
    std::size_t y = 0;
    while (r >= cumulative[y]) ++y;
    for (std::size_t c = 0; c < num_classes; ++c)
      b.logits[i * num_classes + c] =
          static_cast<float>(2 * uniform(rng) - 1 + (c == y ? margin[epoch] : 0.0));
    const bool padding = last && i >= batch_size - padded_rows;
    b.target[i] = padding ? pad_label : static_cast<std::int64_t>(y);
  }
  return b;
}

// torchmetrics' forward(): the metric's value on this batch alone, with the batch also added to
// the epoch accumulator. Merging adds counts, so `epoch` ends exactly as if it had been updated
// with every batch.
template <class Metric>
tally::Result forward(Metric& epoch, tally::tensor_view<const float> logits,
                      tally::tensor_view<const std::int64_t> target) {
  Metric on_batch(epoch.options());  // same options, empty state
  on_batch.update(logits, target);
  epoch += on_batch;
  return on_batch.compute();
}

tally::Multiclass::Options options(tally::Average average) {
  tally::Multiclass::Options o;
  o.num_classes = num_classes;
  o.ignore_index = pad_label;
  o.average = average;
  return o;
}

}  // namespace

int main() {
  tally::MulticlassAccuracy accuracy(options(tally::Average::micro));
  tally::MulticlassF1Score macro_f1(options(tally::Average::macro));
  tally::MulticlassRecall recall(options(tally::Average::none));  // one value per class
  // Updated directly with every batch, to show that merging batch metrics gives the same state.
  tally::MulticlassF1Score direct(options(tally::Average::macro));

  std::mt19937 rng(7);
  std::cout << std::fixed << std::setprecision(4);
  double previous_accuracy = 0.0;
  for (int epoch = 0; epoch < num_epochs; ++epoch) {
    accuracy.reset();  // epoch metrics start empty every epoch
    macro_f1.reset();
    recall.reset();
    direct.reset();
    for (std::size_t k = 0; k < batches_per_epoch; ++k) {
      const batch b = make_batch(rng, epoch, k + 1 == batches_per_epoch);
      // ... forward pass, loss, backward pass and optimizer step would go here ...
      const tally::tensor_view<const float> logits(b.logits.data(),
                                                   tally::Shape{batch_size, num_classes});
      const tally::tensor_view<const std::int64_t> target(b.target.data(),
                                                          tally::Shape{batch_size});
      const double batch_accuracy = forward(accuracy, logits, target).value();
      const double batch_f1 = forward(macro_f1, logits, target).value();
      recall.update(logits, target);  // no batch value needed: plain update
      direct.update(logits, target);
      std::cout << "epoch " << epoch + 1 << "  batch " << k + 1 << '/' << batches_per_epoch
                << "  accuracy " << batch_accuracy << "  macro F1 " << batch_f1 << '\n';
    }

    const double epoch_accuracy = accuracy.compute().value();
    const tally::Result per_class = recall.compute();
    std::cout << "epoch " << epoch + 1 << " done: accuracy " << epoch_accuracy << ", macro F1 "
              << macro_f1.compute().value() << ", recall per class";
    for (std::size_t c = 0; c < per_class.size(); ++c) std::cout << ' ' << per_class[c];
    std::cout << "\n\n";

    if (!(direct == macro_f1)) {
      std::cerr << "merged batch metrics differ from one metric updated with every batch\n";
      return 1;
    }
    if (epoch_accuracy <= previous_accuracy) {
      std::cerr << "the fake model was meant to improve every epoch\n";
      return 1;
    }
    previous_accuracy = epoch_accuracy;
  }
  return 0;
}
