// <tally/torch.hpp> through tally::torch (find_package(tally COMPONENTS torch)): a batch of
// int64 label tensors counted with a void label, equal to the same labels through pointers.
#include <tally/tally.hpp>
#include <tally/torch.hpp>

#include <ATen/ATen.h>

#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  tally::Multiclass::Options options;
  options.num_classes = 3;
  options.ignore_index = 255;
  const std::vector<std::int64_t> preds{0, 1, 2, 2, 1}, target{0, 1, 2, 255, 0};

  tally::MulticlassF1Score from_tensors(options), from_pointers(options);
  tally::torch::update(from_tensors, at::tensor(preds), at::tensor(target));
  from_pointers.update(preds, target);
  const double got = from_tensors.compute().value();
  const double want = from_pointers.compute().value();
  if (got != want) {
    std::fprintf(stderr, "consumer_torch: macro F1 %.17g from tensors, %.17g from pointers\n", got,
                 want);
    return 1;
  }
  std::printf("consumer_torch: macro F1 %.4f\n", got);
  return 0;
}
