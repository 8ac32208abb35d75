// libFuzzer target: every binary and multilabel classification metric (StatScores,
// ConfusionMatrix, Accuracy, Precision, Recall, F1Score, FBetaScore, Specificity, JaccardIndex)
// with decoded options, label or probability/logit batches of every element type, against the
// scalar oracle of fuzz_classification.hpp. See README.md.
#include "fuzz_classification.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fz::Input in(data, size);
  fz::spec s;
  const std::uint8_t head = in.u8();
  s.task = (head & 1) ? 2 : 0;
  s.kind = static_cast<fz::mkind>((head >> 1) % fz::mkinds);
  const std::int64_t count = s.task == 2 ? fz::decode_count(in, false) : 1;
  s.ii = fz::decode_ignore_index(in, s.task == 2 ? 2 : 2);
  s.threshold = fz::decode_threshold(in);
  s.average = s.task == 2 ? fz::decode_enum<tally::Average, 4>(in) : tally::Average::micro;
  const auto md = fz::decode_enum<tally::MultidimAverage, 2>(in);
  s.samplewise = md == tally::MultidimAverage::samplewise;
  s.zd = fz::decode_zero_division(in);
  s.beta = s.kind == fz::mkind::fbeta ? fz::decode_beta(in) : 1.0;
  s.normalize = s.kind == fz::mkind::cm ? fz::decode_enum<tally::Normalize, 4>(in)
                                        : tally::Normalize::none;
  const bool enums_ok = static_cast<unsigned>(s.average) < 4 && static_cast<unsigned>(md) < 2 &&
                        static_cast<unsigned>(s.normalize) < 4;
  bool huge = false;
  const bool valid = fz::options_valid(s, count, enums_ok, huge);
  s.C = count > 0 ? static_cast<std::size_t>(count) : 0;
  if (s.task == 0) {
    tally::Binary::Options o;
    o.threshold = s.threshold;
    o.ignore_index = s.ii;
    o.multidim_average = md;
    o.zero_division = s.zd;
    fz::run_metric<tally::Binary>(in, s, o, valid, huge);
  } else {
    tally::Multilabel::Options o;
    o.num_labels = count;
    o.ignore_index = s.ii;
    o.threshold = s.threshold;
    o.average = s.average;
    o.multidim_average = md;
    o.zero_division = s.zd;
    fz::run_metric<tally::Multilabel>(in, s, o, valid, huge);
  }
  return 0;
}
