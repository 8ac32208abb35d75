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
// MPI_UINT64_T, MPI_SUM) per array, so the result is exact. Samplewise rows (one per sample
// seen) are concatenated in rank order with MPI_Allgatherv, as if rank 0's samples came first,
// then rank 1's, and so on. DiceScore's samplewise sums of per-sample values are doubles: they
// are gathered and added in rank order, so every rank gets the same bits; they can differ in
// the last bits from one process adding the samples one by one.
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

// Adds every rank's doubles in rank order: the same bits wherever the sum is formed.
inline void sum_in_rank_order(double* data, std::size_t n, bool to_all, int root, MPI_Comm comm) {
  if (n > 2147483647u / 4096u)
    tally::detail::fail("mpi: ", n, " floating sums are too many for one gather");
  int size = 0, rank = 0;
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  const bool receives = to_all || rank == root;
  std::vector<double> all(receives ? n * static_cast<std::size_t>(size) : 0);
  const int count = static_cast<int>(n);
  if (to_all)
    check(MPI_Allgather(data, count, MPI_DOUBLE, all.data(), count, MPI_DOUBLE, comm),
          "MPI_Allgather");
  else
    check(MPI_Gather(data, count, MPI_DOUBLE, all.data(), count, MPI_DOUBLE, root, comm),
          "MPI_Gather");
  if (!receives) return;
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (std::size_t r = 0; r < static_cast<std::size_t>(size); ++r) s += all[r * n + i];
    data[i] = s;
  }
}

template <class M>
void reduce_state(M& metric, bool to_all, int root, MPI_Comm comm) {
  check_same_identity(metric.identity(), comm);
  // Work on a copy so that an exception (a size check) leaves the metric as it was.
  M work = metric;
  tally::detail::reducible_state s = tally::detail::state_access::core(work).reducible();
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  for (const auto& a : s.sums) {
    if (a.size > 2147483647u)
      tally::detail::fail("mpi: an array of ", a.size, " counts is too large for one call");
    const int n = static_cast<int>(a.size);
    if (to_all)
      check(MPI_Allreduce(MPI_IN_PLACE, a.data, n, MPI_UINT64_T, MPI_SUM, comm), "MPI_Allreduce");
    else if (rank == root)
      check(MPI_Reduce(MPI_IN_PLACE, a.data, n, MPI_UINT64_T, MPI_SUM, root, comm), "MPI_Reduce");
    else
      check(MPI_Reduce(a.data, nullptr, n, MPI_UINT64_T, MPI_SUM, root, comm), "MPI_Reduce");
  }
  for (const auto& a : s.real_sums) sum_in_rank_order(a.data, a.size, to_all, root, comm);
  if (s.rows) gather_rows(*s.rows, s.row_width, *s.row_count, to_all, root, comm);
  if (to_all || rank == root) metric = std::move(work);
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
