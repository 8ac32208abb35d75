// Run with mpiexec -n 4: each rank counts its share of one dataset, then tally::mpi::all_reduce
// (and reduce) must give every rank (or the root) exactly what one process counting all of the
// data gets. Exits non-zero on any rank that sees a difference.
#include <tally/mpi.hpp>  // first: it keeps mpi.h's C++ bindings out

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tally/tally.hpp>
#include <vector>

#include "../support/sharded_data.hpp"

namespace {

using namespace sharded;

bool close(const tally::Result& a, const tally::Result& b) {
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i];
    if (std::isnan(x) != std::isnan(y)) return false;
    if (!std::isnan(x) && std::fabs(x - y) > 1e-12) return false;
  }
  return true;
}

// The metric over this rank's share, reduced, against one process over all the data.
template <class M>
void check_metric(const char* name, const M& fresh, const data& d, int size, bool exact,
                  feed how = feed::labels) {
  M whole = fresh;
  M mine = fresh;
  update_with(whole, d, 0, first(size), how);
  update_with(mine, d, first(rank_id), share(rank_id), how);
  M reduced_to_root = mine;

  tally::mpi::all_reduce(mine, MPI_COMM_WORLD);
  if (exact) {
    expect(mine == whole, std::string(name) + ": all_reduce state equals one process");
    expect(mine.save() == whole.save(), std::string(name) + ": saved bytes equal");
  }
  expect(exact ? mine.compute() == whole.compute() : close(mine.compute(), whole.compute()),
         std::string(name) + ": all_reduce result equals one process");

  const M before = reduced_to_root;
  tally::mpi::reduce(reduced_to_root, 2, MPI_COMM_WORLD);
  if (rank_id == 2)
    expect(
        close(reduced_to_root.compute(), whole.compute()) && (!exact || reduced_to_root == whole),
        std::string(name) + ": reduce to root 2 equals one process");
  else
    expect(reduced_to_root == before, std::string(name) + ": reduce leaves non-root ranks alone");
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_id);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 3) {
    if (rank_id == 0) std::fprintf(stderr, "run with at least 3 ranks (mpiexec -n 4)\n");
    MPI_Finalize();
    return 2;
  }
  const data d = dataset(first(size));

  tally::Multiclass::Options o;
  o.num_classes = C;
  o.ignore_index = 255;
  check_metric("MulticlassF1Score macro", tally::MulticlassF1Score(o), d, size, true);
  o.average = tally::Average::none;
  check_metric("MulticlassJaccardIndex none", tally::MulticlassJaccardIndex(o), d, size, true);
  check_metric("MulticlassConfusionMatrix", tally::MulticlassConfusionMatrix(o), d, size, true);
  o.multidim_average = tally::MultidimAverage::samplewise;
  check_metric("MulticlassStatScores samplewise", tally::MulticlassStatScores(o), d, size, true);
  check_metric("MulticlassRecall samplewise", tally::MulticlassRecall(o), d, size, true);

  // The confusion-derived family: O(C) counts (MCC, NPV, Hamming), the C x C table (kappa) and
  // ExactMatch's [correct, total] per sample.
  tally::Multiclass::Options plain;
  plain.num_classes = C;
  plain.ignore_index = 255;
  check_metric("MulticlassMatthewsCorrCoef", tally::MulticlassMatthewsCorrCoef(plain), d, size,
               true);
  check_metric("MulticlassCohenKappa quadratic",
               tally::MulticlassCohenKappa(plain, tally::KappaWeights::quadratic), d, size, true);
  check_metric("MulticlassNegativePredictiveValue", tally::MulticlassNegativePredictiveValue(plain),
               d, size, true);
  check_metric("MulticlassHammingDistance", tally::MulticlassHammingDistance(plain), d, size, true);
  check_metric("MulticlassExactMatch", tally::MulticlassExactMatch(plain), d, size, true);
  plain.multidim_average = tally::MultidimAverage::samplewise;
  check_metric("MulticlassExactMatch samplewise", tally::MulticlassExactMatch(plain), d, size, true);

  tally::DiceScore::Options dopt;
  dopt.num_classes = C;
  dopt.ignore_index = 255;
  dopt.input_format = tally::InputFormat::index;
  dopt.aggregation_level = tally::AggregationLevel::global;
  check_metric("DiceScore global", tally::DiceScore(dopt), d, size, true);
  // Samplewise Dice sums its per-sample values exactly (as fixed-point integers): bit for bit.
  dopt.aggregation_level = tally::AggregationLevel::samplewise;
  check_metric("DiceScore samplewise", tally::DiceScore(dopt), d, size, true);
  dopt.average = tally::Average::none;
  check_metric("DiceScore samplewise none", tally::DiceScore(dopt), d, size, true);

  // MeanIoU and GeneralizedDiceScore: per-sample values summed exactly, bit for bit.
  tally::MeanIoU::Options mopt;
  mopt.num_classes = C;
  mopt.ignore_index = 255;
  mopt.input_format = tally::InputFormat::index;
  check_metric("MeanIoU samplewise", tally::MeanIoU(mopt), d, size, true);
  mopt.average = tally::Average::none;
  check_metric("MeanIoU samplewise none", tally::MeanIoU(mopt), d, size, true);
  mopt.aggregation_level = tally::AggregationLevel::global;
  check_metric("MeanIoU global none", tally::MeanIoU(mopt), d, size, true);
  tally::GeneralizedDiceScore::Options gopt;
  gopt.num_classes = C;
  gopt.ignore_index = 255;
  gopt.input_format = tally::InputFormat::index;
  check_metric("GeneralizedDiceScore square", tally::GeneralizedDiceScore(gopt), d, size, true);
  gopt.average = tally::Average::none;
  gopt.weight_type = tally::DiceWeights::simple;
  check_metric("GeneralizedDiceScore none", tally::GeneralizedDiceScore(gopt), d, size, true);
  // num_classes = 0: C comes from the one-hot preds; rank 1 has no data and learns it.
  tally::MeanIoU::Options learn;
  learn.ignore_index = 255;
  learn.input_format = tally::InputFormat::mixed;
  check_metric("MeanIoU learning C", tally::MeanIoU(learn), d, size, true, feed::mixed);
  tally::GeneralizedDiceScore::Options glearn;
  glearn.ignore_index = 255;
  glearn.input_format = tally::InputFormat::mixed;
  check_metric("GeneralizedDiceScore learning C", tally::GeneralizedDiceScore(glearn), d, size,
               true, feed::mixed);

  // Ranking and calibration: binned counts summed, exact scores gathered in rank order,
  // calibration bins with exact confidence sums.
  tally::Multiclass::Options r;
  r.num_classes = C;
  r.ignore_index = 255;
  check_metric("MulticlassAUROC exact", tally::MulticlassAUROC(r), d, size, true, feed::scores);
  check_metric("MulticlassAUROC binned",
               tally::MulticlassAUROC(r, tally::Thresholds::linspace(50)), d, size, true,
               feed::scores);
  tally::Multiclass::Options per_class = r;
  per_class.average = tally::Average::none;
  check_metric("MulticlassAveragePrecision exact none",
               tally::MulticlassAveragePrecision(per_class), d, size, true, feed::scores);
  check_metric("MulticlassCalibrationError", tally::MulticlassCalibrationError(r), d, size, true,
               feed::scores);
  tally::Binary::Options b;
  b.ignore_index = 255;
  check_metric("BinaryAUROC exact", tally::BinaryAUROC(b), d, size, true, feed::binary_scores);
  check_metric("BinaryAveragePrecision binned",
               tally::BinaryAveragePrecision(b, tally::Thresholds::values({0.2, 0.5, 0.8})), d,
               size, true, feed::binary_scores);
  check_metric("BinaryCalibrationError l2",
               tally::BinaryCalibrationError(b, 10, tally::CalibrationNorm::l2), d, size, true,
               feed::binary_scores);
  {
    // The last rank's one-hot preds have one channel more: every rank throws, nothing changes.
    tally::MeanIoU odd_classes(learn);
    update_mixed(odd_classes, d, first(rank_id), share(rank_id), rank_id == size - 1 ? C + 1 : C);
    const tally::MeanIoU before = odd_classes;
    bool threw = false;
    try {
      tally::mpi::all_reduce(odd_classes, MPI_COMM_WORLD);
    } catch (const tally::error& e) {
      threw = std::string(e.what()).find("different numbers of classes") != std::string::npos;
    }
    expect(threw, "ranks with different learnt classes throw tally::error on every rank");
    expect(odd_classes == before, "different learnt classes leave the metric unchanged");
  }

  // Different options on one rank: every rank throws, nothing changes.
  tally::Multiclass::Options g;
  g.num_classes = C;
  g.ignore_index = 255;
  g.zero_division = rank_id == size - 1 ? 1.0 : 0.0;   // the last rank differs
  tally::MulticlassF1Score odd(g);
  update_range(odd, d, first(rank_id), share(rank_id));
  const tally::MulticlassF1Score odd_before = odd;
  bool threw = false;
  try {
    tally::mpi::all_reduce(odd, MPI_COMM_WORLD);
  } catch (const tally::error& e) {
    threw = std::string(e.what()).find("different types or options") != std::string::npos;
  }
  expect(threw, "mismatched options throw tally::error on every rank");
  expect(odd == odd_before, "mismatched options leave the metric unchanged");

  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank_id == 0)
    std::printf("tally mpi test on %d ranks: %s (%d failures)\n", size, total ? "FAILED" : "passed",
                total);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
