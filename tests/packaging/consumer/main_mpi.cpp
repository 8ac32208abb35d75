// <tally/mpi.hpp> through tally::mpi (find_package(tally COMPONENTS mpi)): on one process an
// all_reduce must leave the metric's value as it was.
#include <tally/mpi.hpp>
#include <tally/tally.hpp>

#include <mpi.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  tally::Multiclass::Options options;
  options.num_classes = 3;
  options.ignore_index = 255;
  tally::MulticlassF1Score f1(options);
  const std::vector<int> preds{0, 1, 2, 2, 1}, target{0, 1, 2, 255, 0};
  f1.update(preds, target);
  const double before = f1.compute().value();
  tally::mpi::all_reduce(f1, MPI_COMM_WORLD);
  const double after = f1.compute().value();
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Finalize();
  if (size != 1 || before != after) {
    std::fprintf(stderr, "consumer_mpi: %d ranks, F1 %.17g before all_reduce, %.17g after\n",
                 size, before, after);
    return 1;
  }
  std::printf("consumer_mpi: macro F1 %.4f on 1 rank\n", after);
  return 0;
}
