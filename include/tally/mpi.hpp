// tally/mpi.hpp — optional MPI adapter: tally::mpi::all_reduce and reduce of a metric's state.
// SPDX-License-Identifier: MIT
#ifndef TALLY_MPI_HPP
#define TALLY_MPI_HPP

// Optional adapter for MPI (link tally::mpi, or MPI::MPI_CXX yourself): reduces a metric's state
// over the processes of a communicator, so that every rank (all_reduce) or one rank (reduce)
// holds the metric over all the data, exactly as one process would have counted it.
//
//     #include <tally/mpi.hpp>
//
//     tally::MulticlassF1Score f1(options);
//     for (auto& batch : my_shard) f1.update(batch.preds, batch.target);
//     tally::mpi::all_reduce(f1, MPI_COMM_WORLD);   // collective: every rank calls it
//     double v = f1.compute().value();              // the same on every rank
//
// What is sent: the integer counts are summed with one MPI_Allreduce(MPI_IN_PLACE, ...,
// MPI_UINT64_T, MPI_SUM) per array, so the result is exact. DiceScore's samplewise sums of
// per-sample values are exact fixed-point integers (detail/fixed_sum.hpp): they travel as 32-bit
// limbs in uint64 words, are summed the same way (no word can overflow: each limb is below
// 2^32 and there are fewer than 2^31 ranks) and are carried afterwards, so every rank holds the
// bits one process counting all the data would. Samplewise rows (one per sample seen) are
// concatenated in rank order with MPI_Allgatherv, as if rank 0's samples came first, then rank
// 1's, and so on.
//
// Every rank must pass a metric of the same type and options; tally checks this first (one
// small MPI_Allreduce of a hash of identity()) and throws tally::error on every rank if not,
// with every metric unchanged. MPI errors follow the communicator's error handler (by default
// the program aborts). Not thread-safe beyond what the MPI library guarantees.

// tally uses MPI's C API only; skip the deprecated C++ bindings (they warn under -Wextra).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "detail/fixed_sum.hpp"
#include "detail/metric_base.hpp"
#include "detail/state_io.hpp"
#include "error.hpp"

TALLY_NAMESPACE_BEGIN
namespace mpi {
namespace detail {

inline void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) tally::detail::fail("mpi: ", call, " failed with MPI error code ", rc);
}

// Every rank must hold the same metric type and options: compare min and max of a hash.
inline void check_same_identity(const std::string& identity, MPI_Comm comm) {
  const std::uint64_t h = tally::detail::fnv1a(
      reinterpret_cast<const unsigned char*>(identity.data()), identity.size());
  std::uint64_t lo = h, hi = h;
  check(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, comm), "MPI_Allreduce");
  check(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, comm), "MPI_Allreduce");
  if (lo != hi)
    tally::detail::fail("mpi: the ranks hold metrics of different types or options; this rank has ",
                        identity);
}

// Concatenates every rank's rows in rank order; to_all: every rank gets them, else only root.
inline void gather_rows(std::vector<std::uint64_t>& rows, std::size_t width, std::size_t& row_count,
                        bool to_all, int root, MPI_Comm comm) {
  int size = 0, rank = 0;
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  const long long mine = static_cast<long long>(rows.size());
  std::vector<long long> counts(static_cast<std::size_t>(size));
  check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, comm),
        "MPI_Allgather");
  // MPI counts and displacements are int: check the total fits before sending anything.
  long long total = 0;
  std::vector<int> icounts(counts.size()), displs(counts.size());
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (total > 2147483647LL - counts[r])
      tally::detail::fail(
          "mpi: the samplewise rows of all ranks hold more than 2^31 - 1 counts; "
          "reduce fewer samples at a time");
    displs[r] = static_cast<int>(total);
    icounts[r] = static_cast<int>(counts[r]);
    total += counts[r];
  }
  const bool receives = to_all || rank == root;
  std::vector<std::uint64_t> all(receives ? static_cast<std::size_t>(total) : 0);
  if (to_all)
    check(MPI_Allgatherv(rows.data(), icounts[static_cast<std::size_t>(rank)], MPI_UINT64_T,
                         all.data(), icounts.data(), displs.data(), MPI_UINT64_T, comm),
          "MPI_Allgatherv");
  else
    check(MPI_Gatherv(rows.data(), icounts[static_cast<std::size_t>(rank)], MPI_UINT64_T,
                      all.data(), icounts.data(), displs.data(), MPI_UINT64_T, root, comm),
          "MPI_Gatherv");
  if (receives) {
    rows = std::move(all);
    row_count = width ? rows.size() / width : 0;
  }
}

// Sums a uint64 array elementwise over the ranks, in place: on every rank (to_all) or on root.
inline void sum_exactly(std::uint64_t* data, std::size_t size, bool to_all, int root, int rank,
                        MPI_Comm comm) {
  if (size > 2147483647u)
    tally::detail::fail("mpi: an array of ", size, " counts is too large for one call");
  const int n = static_cast<int>(size);
  if (to_all)
    check(MPI_Allreduce(MPI_IN_PLACE, data, n, MPI_UINT64_T, MPI_SUM, comm), "MPI_Allreduce");
  else if (rank == root)
    check(MPI_Reduce(MPI_IN_PLACE, data, n, MPI_UINT64_T, MPI_SUM, root, comm), "MPI_Reduce");
  else
    check(MPI_Reduce(data, nullptr, n, MPI_UINT64_T, MPI_SUM, root, comm), "MPI_Reduce");
}

// Segmentation metrics built with num_classes = 0 learn C from their first one-hot update: the
// ranks agree on it (the rule: seg_core::agree_on_classes). Other metrics know their size.
template <class Core>
auto agree_on_classes(Core& core, MPI_Comm comm, int)
    -> decltype(core.agree_on_classes(0, 0, ""), void()) {
  if (!Core::learns_classes()) return;
  const std::uint64_t mine = core.num_classes();
  std::uint64_t hi = mine, lo = mine == 0 ? ~std::uint64_t{0} : mine;
  check(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, comm), "MPI_Allreduce");
  check(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, comm), "MPI_Allreduce");
  core.agree_on_classes(lo, hi, "mpi: ");
}
template <class Core>
void agree_on_classes(Core&, MPI_Comm, long) {}

template <class M>
void reduce_state(M& metric, bool to_all, int root, MPI_Comm comm) {
  check_same_identity(metric.identity(), comm);
  // Work on a copy so that an exception (a size check) leaves the metric as it was.
  M work = metric;
  agree_on_classes(tally::detail::state_access::core(work), comm, 0);
  tally::detail::reducible_state s = tally::detail::state_access::core(work).reducible();
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  const bool receives = to_all || rank == root;
  if (s.whole_states) {
    std::vector<std::uint64_t> words = tally::detail::pack_state(metric.save());
    std::size_t count = 0;
    gather_rows(words, 1, count, to_all, root, comm);
    if (receives) {
      tally::detail::merge_gathered_states(work, words);
      metric = std::move(work);
    }
    return;
  }
  for (const auto& a : s.sums) sum_exactly(a.data, a.size, to_all, root, rank, comm);
  for (tally::detail::fixed_sums* f : s.exact_sums) {
    std::vector<std::uint64_t> limbs = f->limbs();
    sum_exactly(limbs.data(), limbs.size(), to_all, root, rank, comm);
    // A sum that no longer fits in 128 bits holds more than 2^64 - 1 samples, and so does the
    // uint64 count beside it: the same on every receiving rank.
    if (receives && !f->assign_limbs(limbs))
      tally::detail::fail("mpi: the samplewise sums of all ranks hold more than 2^64 - 1 samples");
  }
  if (s.rows) gather_rows(*s.rows, s.row_width, *s.row_count, to_all, root, comm);
  if (receives) metric = std::move(work);
}

}  // namespace detail

/// Collective over `comm`: afterwards every rank's metric holds the state of all ranks
/// together (counts summed, samplewise rows concatenated in rank order). Throws tally::error on
/// every rank, changing nothing, if the ranks' metrics differ in type or options.
template <class M>
void all_reduce(M& metric, MPI_Comm comm) {
  detail::reduce_state(metric, true, 0, comm);
}

/// Collective over `comm`: afterwards the metric on rank `root` holds the state of all ranks;
/// the other ranks' metrics are unchanged.
template <class M>
void reduce(M& metric, int root, MPI_Comm comm) {
  detail::reduce_state(metric, false, root, comm);
}

}  // namespace mpi
TALLY_NAMESPACE_END

#endif  // TALLY_MPI_HPP
