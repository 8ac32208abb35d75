// <tally/format.hpp> through tally::fmt: a Result formatted by fmt, and a classification report.
// Built only when tally::fmt exists; before format.hpp exists it only checks that fmt links.
#include <tally/tally.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#if __has_include(<tally/format.hpp>)
#include <tally/format.hpp>
#define CONSUMER_HAS_FORMAT 1
#endif

int main() {
  tally::Multiclass::Options options;
  options.num_classes = 3;
  options.ignore_index = 255;
  options.average = tally::Average::none;
  const std::vector<int> preds{0, 1, 2, 2, 1}, target{0, 1, 2, 255, 1};

#ifdef CONSUMER_HAS_FORMAT
  tally::MulticlassF1Score f1(options);
  f1.update(preds, target);
  const std::string values = fmt::format("{:.2f}", f1.compute());
  if (values.find("1.00") == std::string::npos) {
    std::fprintf(stderr, "consumer_fmt: per-class F1 formatted as '%s'\n", values.c_str());
    return 1;
  }

  tally::MulticlassStatScores stats(options);
  stats.update(preds, target);
  const std::string report = tally::classification_report(stats, {"road", "car", "sky"});
  if (report.find("road") == std::string::npos || report.find("sky") == std::string::npos) {
    std::fprintf(stderr, "consumer_fmt: unexpected report:\n%s\n", report.c_str());
    return 1;
  }
  std::printf("consumer_fmt: %s\n%s", values.c_str(), report.c_str());
#else
  std::printf("%s\n", fmt::format("consumer_fmt: no <tally/format.hpp> yet; fmt {} links",
                                  FMT_VERSION).c_str());
#endif
  return 0;
}
