// The README's example, as a user writes it: micro F1 for 6 classes with void label 255.
#include <tally/tally.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main() {
  tally::Multiclass::Options options;
  options.num_classes = 6;
  options.ignore_index = 255;  // outside [0, 6): skipped, not rejected
  options.average = tally::Average::micro;

  tally::MulticlassF1Score f1(options);
  const std::vector<int> preds{1, 1, 1, 2, 2, 2, 3}, target{1, 1, 1, 2, 2, 2, 255};
  f1.update(preds, target);
  const double value = f1.compute().value();
  if (value != 1.0) {
    std::fprintf(stderr, "consumer: micro F1 is %.17g, expected 1\n", value);
    return 1;
  }

  // Without ignore_index, 255 is an error.
  options.ignore_index.reset();
  tally::MulticlassF1Score strict(options);
  try {
    strict.update(preds, target);
    std::fprintf(stderr, "consumer: 255 without ignore_index did not throw\n");
    return 1;
  } catch (const tally::error&) {
  }

  const auto v = tally::version();
  const std::string version =
      std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
#ifdef TALLY_EXPECTED_VERSION
  if (version != TALLY_EXPECTED_VERSION) {
    std::fprintf(stderr, "consumer: headers of tally %s, expected %s\n", version.c_str(),
                 TALLY_EXPECTED_VERSION);
    return 1;
  }
#endif
  std::printf("consumer: tally %s, micro F1 with ignore_index 255 = %g\n", version.c_str(), value);
  return 0;
}
