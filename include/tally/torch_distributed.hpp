// tally/torch_distributed.hpp — optional LibTorch c10d adapter: tally::torch::all_reduce of a
// metric's state over a c10d::ProcessGroup (Gloo, NCCL, MPI, ...).
// SPDX-License-Identifier: MIT
#ifndef TALLY_TORCH_DISTRIBUTED_HPP
#define TALLY_TORCH_DISTRIBUTED_HPP

// Optional adapter for torch.distributed's C++ side (link LibTorch built with distributed
// support): reduces a metric's state over the processes of a c10d::ProcessGroup, so that every
// rank holds the metric over all the data, exactly as one process would have counted it. The
// same reduction as tally::mpi::all_reduce (<tally/mpi.hpp>), over the group a LibTorch program
// already has.
//
//     #include <tally/torch.hpp>               // tally::torch::update, for at::Tensor batches
//     #include <tally/torch_distributed.hpp>
//
//     tally::MulticlassF1Score f1(options);
//     for (auto& batch : my_shard) tally::torch::update(f1, batch.logits, batch.labels);
//     tally::torch::all_reduce(f1, *process_group);  // collective: every rank calls it
//     double v = f1.compute().value();                // the same on every rank
//
// What is sent: CPU int64 tensors, whatever devices the group's backend usually works on (the
// state is a few arrays of counts, and CPU tensors work with Gloo and MPI; a NCCL-only group
// cannot reduce them: use a Gloo group for metrics). The integer counts are summed with one
// allreduce(SUM) per array, in place on the uint64 words, read as int64: two's complement
// addition wraps exactly like uint64 addition, so the sums are the exact uint64 sums.
// DiceScore's, MeanIoU's and GeneralizedDiceScore's samplewise sums of per-sample values are
// exact fixed-point integers (detail/fixed_sum.hpp): they travel as 32-bit limbs in int64 words,
// are summed the same way (no word can overflow: each limb is below 2^32 and there are fewer than
// 2^31 ranks) and are carried afterwards, so every rank holds the bits one process counting all
// the data would. Samplewise rows (one per sample seen) are concatenated in rank order, as if
// rank 0's samples came first, then rank 1's, and so on: c10d's allgather needs tensors of one
// size on every rank, so the row counts are all-gathered first, every rank's rows are padded to
// the largest, all-gathered, and the padding is dropped (the traffic is ranks x the largest
// share of rows).
//
// Every rank must pass a metric of the same type and options; tally checks this first (two
// one-element allreduces, MIN and MAX, of a hash of identity()) and throws tally::error on every
// rank if not, with every metric unchanged. Metrics built with num_classes = 0 (MeanIoU,
// GeneralizedDiceScore) learn C at their first update: the ranks that have learnt it must agree
// (else tally::error on every rank, nothing changed), and a rank that has not takes it. The
// reduction runs on a copy of the metric, assigned only at the end. Errors of the group (a
// timeout, a lost peer) propagate from Work::wait() as LibTorch throws them (c10::Error, ...),
// with this rank's metric unchanged; the other ranks may then be inside another collective, as
// after any failed collective. Ranks must call all_reduce in the same order as their other
// collectives on the group; calls on one group must not overlap from several threads.

#include <ATen/core/Tensor.h>
#include <ATen/ops/from_blob.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "detail/fixed_sum.hpp"
#include "detail/metric_base.hpp"
#include "detail/state_io.hpp"
#include "error.hpp"

TALLY_NAMESPACE_BEGIN
namespace torch {
namespace detail {

// A CPU int64 tensor over n words the caller owns (no copy: the collective works in place).
// uint64 words are read as int64, their signed counterparts (allowed aliasing).
template <class Word>
[[nodiscard]] at::Tensor int64_tensor(Word* words, std::size_t n) {
  static_assert(sizeof(Word) == sizeof(std::int64_t), "64-bit words only");
  return at::from_blob(static_cast<void*>(words), {static_cast<std::int64_t>(n)},
                       at::TensorOptions().dtype(at::kLong).device(at::kCPU));
}

inline void wait_for(const c10::intrusive_ptr<c10d::Work>& work, const char* call) {
  if (!work->wait())
    tally::detail::fail("tally::torch::all_reduce: the group's ", call, " was aborted");
}

// Reduces n int64 words elementwise over the group, in place.
template <class Word>
void allreduce_words(c10d::ProcessGroup& group, Word* words, std::size_t n,
                     c10d::ReduceOp::RedOpType op) {
  if (n == 0) return;  // the same on every rank: the sizes agree once the identities do
  std::vector<at::Tensor> tensors{int64_tensor(words, n)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp(op);
  wait_for(group.allreduce(tensors, opts), "allreduce");
}

[[nodiscard]] inline std::int64_t reduce_one(c10d::ProcessGroup& group, std::int64_t v,
                                             c10d::ReduceOp::RedOpType op) {
  allreduce_words(group, &v, 1, op);
  return v;
}

// Every rank must hold the same metric type and options: compare min and max of a hash.
inline void check_same_identity(const std::string& identity, c10d::ProcessGroup& group) {
  const std::uint64_t h = tally::detail::fnv1a(
      reinterpret_cast<const unsigned char*>(identity.data()), identity.size());
  std::int64_t bits = 0;
  std::memcpy(&bits, &h, sizeof bits);  // the hash's bits: equal hashes, equal int64
  const std::int64_t lo = reduce_one(group, bits, c10d::ReduceOp::MIN);
  const std::int64_t hi = reduce_one(group, bits, c10d::ReduceOp::MAX);
  if (lo != hi)
    tally::detail::fail(
        "tally::torch::all_reduce: the ranks hold metrics of different types or options; this "
        "rank has ",
        identity);
}

// Concatenates every rank's rows in rank order, on every rank. allgather takes one tensor size
// on every rank: gather the sizes, pad every rank's rows to the largest, gather, unpad.
inline void gather_rows(std::vector<std::uint64_t>& rows, std::size_t width,
                        std::size_t& row_count, c10d::ProcessGroup& group) {
  const int size = group.getSize();
  const std::size_t ranks = static_cast<std::size_t>(size);
  std::vector<std::int64_t> counts(ranks, 0);
  {
    std::int64_t mine = static_cast<std::int64_t>(rows.size());
    std::vector<at::Tensor> input{int64_tensor(&mine, 1)};
    std::vector<std::vector<at::Tensor>> output(1);
    for (std::size_t r = 0; r < ranks; ++r) output[0].push_back(int64_tensor(&counts[r], 1));
    wait_for(group.allgather(output, input), "allgather");
  }
  std::size_t longest = 0, total = 0;
  for (const std::int64_t c : counts) {
    if (c < 0) tally::detail::fail("tally::torch::all_reduce: internal error: a negative count");
    const std::size_t n = static_cast<std::size_t>(c);
    longest = std::max(longest, n);
    if (n > std::numeric_limits<std::size_t>::max() - total)
      tally::detail::fail("tally::torch::all_reduce: the samplewise rows of all ranks do not fit "
                          "in memory; reduce fewer samples at a time");
    total += n;
  }
  if (longest == 0) return;  // no rank has a row: nothing to gather (the same on every rank)
  if (longest > std::numeric_limits<std::size_t>::max() / ranks)
    tally::detail::fail("tally::torch::all_reduce: the padded samplewise rows of all ranks do "
                        "not fit in memory; reduce fewer samples at a time");
  std::vector<std::uint64_t> padded(longest * ranks);
  std::copy(rows.begin(), rows.end(), padded.begin());  // this rank's rows, then zeros
  std::vector<std::uint64_t> gathered(longest * ranks);
  {
    std::vector<at::Tensor> input{int64_tensor(padded.data(), longest)};
    std::vector<std::vector<at::Tensor>> output(1);
    for (std::size_t r = 0; r < ranks; ++r)
      output[0].push_back(int64_tensor(gathered.data() + r * longest, longest));
    wait_for(group.allgather(output, input), "allgather");
  }
  std::vector<std::uint64_t> all;
  all.reserve(total);
  for (std::size_t r = 0; r < ranks; ++r) {
    const auto begin = gathered.begin() + static_cast<std::ptrdiff_t>(r * longest);
    all.insert(all.end(), begin, begin + static_cast<std::ptrdiff_t>(counts[r]));
  }
  rows = std::move(all);
  row_count = width ? rows.size() / width : 0;
}

// Segmentation metrics built with num_classes = 0 learn C from their first one-hot update: the
// ranks agree on it (the rule: seg_core::agree_on_classes). Other metrics know their size.
template <class Core>
auto agree_on_classes(Core& core, c10d::ProcessGroup& group, int)
    -> decltype(core.agree_on_classes(0, 0, ""), void()) {
  if (!Core::learns_classes()) return;
  const std::int64_t mine = static_cast<std::int64_t>(core.num_classes());
  const std::int64_t hi = reduce_one(group, mine, c10d::ReduceOp::MAX);
  const std::int64_t lo =
      reduce_one(group, mine == 0 ? std::numeric_limits<std::int64_t>::max() : mine,
                 c10d::ReduceOp::MIN);
  core.agree_on_classes(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi),
                        "tally::torch::all_reduce: ");
}
template <class Core>
void agree_on_classes(Core&, c10d::ProcessGroup&, long) {}

template <class M>
void all_reduce_state(M& metric, c10d::ProcessGroup& group) {
  check_same_identity(metric.identity(), group);
  // Work on a copy so that an exception (a size check, a failed collective) leaves the metric
  // as it was.
  M work = metric;
  agree_on_classes(tally::detail::state_access::core(work), group, 0);
  tally::detail::reducible_state s = tally::detail::state_access::core(work).reducible();
  if (s.whole_states) {
    std::vector<std::uint64_t> words = tally::detail::pack_state(metric.save());
    std::size_t count = 0;
    gather_rows(words, 1, count, group);
    tally::detail::merge_gathered_states(work, words);
    metric = std::move(work);
    return;
  }
  for (const auto& a : s.sums) allreduce_words(group, a.data, a.size, c10d::ReduceOp::SUM);
  for (tally::detail::fixed_sums* f : s.exact_sums) {
    std::vector<std::uint64_t> limbs = f->limbs();
    allreduce_words(group, limbs.data(), limbs.size(), c10d::ReduceOp::SUM);
    // A sum that no longer fits in 128 bits holds more than 2^64 - 1 samples, and so does the
    // uint64 count beside it: the same on every rank.
    if (!f->assign_limbs(limbs))
      tally::detail::fail(
          "tally::torch::all_reduce: the samplewise sums of all ranks hold more than 2^64 - 1 "
          "samples");
  }
  if (s.rows) gather_rows(*s.rows, s.row_width, *s.row_count, group);
  metric = std::move(work);
}

}  // namespace detail

/// Collective over `group`: afterwards every rank's metric holds the state of all ranks
/// together (counts summed, samplewise rows concatenated in rank order). Throws tally::error on
/// every rank, changing nothing, if the ranks' metrics differ in type or options (or in the
/// classes learnt with num_classes = 0).
template <class M>
void all_reduce(M& metric, c10d::ProcessGroup& group) {
  detail::all_reduce_state(metric, group);
}

}  // namespace torch
TALLY_NAMESPACE_END

#endif  // TALLY_TORCH_DISTRIBUTED_HPP
