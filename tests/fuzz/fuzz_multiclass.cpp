// libFuzzer target: every multiclass classification metric (StatScores, ConfusionMatrix,
// Accuracy, Precision, Recall, F1Score, FBetaScore, Specificity, JaccardIndex) with decoded
// options and label or score batches of every element type, against the scalar oracle of
// fuzz_classification.hpp. See README.md.
#include "fuzz_classification.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fz::Input in(data, size);
  fz::spec s;
  s.task = 1;
  s.kind = static_cast<fz::mkind>(in.u8() % fz::mkinds);
  const std::int64_t count = fz::decode_count(in, s.kind == fz::mkind::cm);
  s.ii = fz::decode_ignore_index(in, count);
  s.average = fz::decode_enum<tally::Average, 4>(in);
  const auto md = fz::decode_enum<tally::MultidimAverage, 2>(in);
  s.samplewise = md == tally::MultidimAverage::samplewise;
  const std::uint8_t k = in.u8();
  if (k < 150)
    s.top_k = 1;
  else if (k < 240)
    s.top_k = 2 + k % 4;
  else
    s.top_k = static_cast<int>(k % 3 == 0 ? 0 : k % 3 == 1 ? -1 : count) + (k % 5 == 0);
  s.zd = fz::decode_zero_division(in);
  s.beta = s.kind == fz::mkind::fbeta ? fz::decode_beta(in) : 1.0;
  s.normalize = s.kind == fz::mkind::cm ? fz::decode_enum<tally::Normalize, 4>(in)
                                        : tally::Normalize::none;
  const bool enums_ok = static_cast<unsigned>(s.average) < 4 && static_cast<unsigned>(md) < 2 &&
                        static_cast<unsigned>(s.normalize) < 4;
  bool huge = false;
  const bool valid = fz::options_valid(s, count, enums_ok, huge);
  s.C = count > 0 ? static_cast<std::size_t>(count) : 0;
  tally::Multiclass::Options o;
  o.num_classes = count;
  o.ignore_index = s.ii;
  o.average = s.average;
  o.multidim_average = md;
  o.top_k = s.top_k;
  o.zero_division = s.zd;
  fz::run_metric<tally::Multiclass>(in, s, o, valid, huge);
  return 0;
}
