// Evaluation on many processes: each MPI rank counts its shard of the data, then
// tally::mpi::all_reduce sums the counts so that every rank holds the metrics over all of it.
//
//     mpiexec -n 4 ./mpi_all_reduce      (or ./mpi_all_reduce alone: one rank, all the data)
//
// The dataset, 12 label maps of 96 x 128 pixels with 6 classes and void pixels (255), is
// generated the same way on every rank, so each rank can also count all of it alone: the reduced
// metrics must equal that reference exactly (the program exits with 1 on every rank otherwise).
#include <tally/mpi.hpp>  // first: it keeps mpi.h's deprecated C++ bindings out
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr std::int64_t num_classes = 6;
constexpr std::uint8_t void_label = 255;
constexpr std::size_t num_images = 12, height = 96, width = 128, pixels = height * width;

struct dataset {
  std::vector<std::uint8_t> preds, target;  // (num_images, height, width)
};

// Target: horizontal bands of classes, ~5% void. Prediction: right ~80% of the time.
dataset make_dataset() {
  std::mt19937 rng(42);  // mt19937's sequence is fixed by the standard: the same on every rank
  dataset d;
  d.preds.resize(num_images * pixels);
  d.target.resize(num_images * pixels);
  for (std::size_t i = 0; i < d.target.size(); ++i) {
    const std::size_t image = i / pixels, y = i % pixels / width;
    const auto t = static_cast<std::uint8_t>((image + y / 16) % num_classes);
    d.target[i] = rng() % 20 == 0 ? void_label : t;
    d.preds[i] = rng() % 5 == 0 ? static_cast<std::uint8_t>(rng() % num_classes) : t;
  }
  return d;
}

// Counts images [first, last) of the dataset into m.
template <class Metric>
void count(Metric& m, const dataset& d, std::size_t first, std::size_t last) {
  const tally::Shape shape{last - first, height, width};  // zero images is a valid, empty batch
  m.update(tally::tensor_view<const std::uint8_t>(d.preds.data() + first * pixels, shape),
           tally::tensor_view<const std::uint8_t>(d.target.data() + first * pixels, shape));
}

double total(const tally::Result& r) {
  double s = 0;
  for (double v : r) s += v;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto r = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(size);

  tally::Multiclass::Options options;
  options.num_classes = num_classes;
  options.ignore_index = void_label;
  options.average = tally::Average::none;  // per-class F1

  // Each rank counts its own contiguous share of the images (in a real job: its own files).
  const dataset data = make_dataset();
  const std::size_t first = num_images * r / p, last = num_images * (r + 1) / p;
  tally::MulticlassF1Score f1(options);
  tally::MulticlassConfusionMatrix cm(options);
  count(f1, data, first, last);
  count(cm, data, first, last);
  const double own_pixels = total(cm.compute());  // kept (non-void) pixels this rank counted

  // Collective: every rank calls it, and every rank then holds the counts of all ranks.
  tally::mpi::all_reduce(f1, MPI_COMM_WORLD);
  tally::mpi::all_reduce(cm, MPI_COMM_WORLD);

  // The reference: one process counting every image.
  tally::MulticlassF1Score f1_ref(options);
  tally::MulticlassConfusionMatrix cm_ref(options);
  count(f1_ref, data, 0, num_images);
  count(cm_ref, data, 0, num_images);
  int mismatch = f1 == f1_ref && cm == cm_ref ? 0 : 1;
  MPI_Allreduce(MPI_IN_PLACE, &mismatch, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);  // any rank

  if (rank == 0) {
    std::printf("%d rank(s); rank 0 counted images [%zu, %zu): %.0f non-void pixels\n", size, first,
                last, own_pixels);
    const tally::Result m = cm.compute(), scores = f1.compute();
    std::printf("after all_reduce: %.0f non-void pixels of %zu\n", total(m), num_images * pixels);
    std::printf("class  F1      confusion matrix row (target = class)\n");
    for (std::size_t c = 0; c < scores.size(); ++c) {
      std::printf("%5zu  %.4f ", c, scores[c]);
      for (std::size_t k = 0; k < m.shape()[1]; ++k) std::printf(" %6.0f", m[c * m.shape()[1] + k]);
      std::printf("\n");
    }
    std::printf("%s\n", mismatch ? "MISMATCH: the reduced metrics differ from one process"
                                 : "identical to one process counting all the data");
  }
  MPI_Finalize();
  return mismatch;
}
