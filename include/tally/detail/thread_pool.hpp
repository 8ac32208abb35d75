// tally/detail/thread_pool.hpp — how a parallel update hands chunks of a batch to the thread pool
// (update(..., tally::parallel{n})); the pool itself is in thread_pool_impl.hpp.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_THREAD_POOL_HPP
#define TALLY_DETAIL_THREAD_POOL_HPP

// The pool is reached through three functions on a plain function pointer, so that this header
// needs no <thread>, <mutex>, <condition_variable> or <functional>. Header-only, they are inline
// and defined in thread_pool_impl.hpp, included at the end of this file; with
// TALLY_COMPILED_KERNELS they are compiled once into tally::kernels (src/tally_kernels.cpp),
// and translation units that include tally parse none of the threading headers.

#include <cstddef>

#include "../version.hpp"

#if defined(TALLY_COMPILED_KERNELS)
#define TALLY_POOL_LINKAGE
#else
#define TALLY_POOL_LINKAGE inline
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {

// One job for the pool: run(context, i) for each task i.
struct pool_job {
  void (*run)(const void* context, std::size_t task);
  const void* context;
};

/// Runs job(0) ... job(tasks - 1) on up to `threads` threads, the caller being one of them, and
/// returns when all are done; the first exception a task throws is rethrown here. See
/// thread_pool_impl.hpp for the cap on threads and what a busy pool does.
TALLY_POOL_LINKAGE void pool_run(std::size_t tasks, std::size_t threads, pool_job job);
/// The pool's parked worker threads so far (tests).
TALLY_POOL_LINKAGE std::size_t pool_workers();
/// std::thread::hardware_concurrency(), or 0 when unknown.
TALLY_POOL_LINKAGE unsigned hardware_threads() noexcept;

/// Threads for parallel{n}: n, or every hardware thread for n = 0.
[[nodiscard]] inline std::size_t resolve_threads(unsigned requested) noexcept {
  if (requested != 0) return requested;
  const unsigned hw = hardware_threads();
  return hw == 0 ? 1 : hw;
}

// Below this many elements a parallel update runs on the calling thread: handing work to the
// pool costs tens of microseconds, as much as counting ~100k labels.
inline constexpr std::size_t parallel_min_elements = std::size_t{1} << 20;

[[nodiscard]] inline std::size_t chunk_count(std::size_t items, std::size_t elements,
                                             std::size_t threads) noexcept {
  if (threads <= 1 || elements < parallel_min_elements || items <= 1) return 1;
  return threads < items ? threads : items;
}

// Runs body(k, begin, end) for k in [0, chunks): [0, count) cut into contiguous ranges.
template <class F>
void for_each_chunk(std::size_t count, std::size_t chunks, F&& body) {
  if (chunks <= 1) {
    body(std::size_t{0}, std::size_t{0}, count);
    return;
  }
  struct chunking {
    F& body;
    std::size_t count, chunks;
  } context{body, count, chunks};
  pool_run(chunks, chunks,
           pool_job{[](const void* c, std::size_t k) {
                      const chunking& s = *static_cast<const chunking*>(c);
                      s.body(k, s.count * k / s.chunks, s.count * (k + 1) / s.chunks);
                    },
                    &context});
}

}  // namespace detail
TALLY_NAMESPACE_END

#if !defined(TALLY_COMPILED_KERNELS)
#include "thread_pool_impl.hpp"
#endif

#endif  // TALLY_DETAIL_THREAD_POOL_HPP
