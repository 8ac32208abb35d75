// src/tally_kernels.cpp — the counting kernels compiled once (the tally::kernels CMake target):
// every rung of this platform's ISA ladder, for every instance users' code can reach, and the
// parallel update's thread pool. Code that links tally::kernels is compiled with
// TALLY_COMPILED_KERNELS and sees only declarations.
// SPDX-License-Identifier: MIT
#include <tally/detail/count_multiclass_impl.hpp>
#include <tally/detail/kernels.hpp>
#include <tally/detail/kernels/impl.hpp>
#include <tally/detail/kernels/instances.hpp>

#if !defined(TALLY_COMPILED_KERNELS)
#error "tally_kernels.cpp is compiled with TALLY_COMPILED_KERNELS (the tally::kernels target sets it)"
#endif

// TALLY_KERNELS_PART = 0, 1, 2 or 3 compiles a quarter of the instances, so that a build can
// compile the four in parallel (tally::kernels does); undefined, this file compiles them all.
#if !defined(TALLY_KERNELS_PART)
#define TALLY_KERNELS_PART_ALL 1
#define TALLY_KERNELS_PART -1
#elif TALLY_KERNELS_PART < 0 || TALLY_KERNELS_PART > 3
#error "TALLY_KERNELS_PART is 0, 1, 2 or 3"
#endif

// The parallel update's thread pool (detail/thread_pool.hpp), once, with the passes.
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 3
#include <tally/detail/thread_pool_impl.hpp>
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {
namespace kernels {
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 0
TALLY_KERNEL_INSTANCES_0(TALLY_KERNEL_DEFINE)
#endif
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 1
TALLY_KERNEL_INSTANCES_1(TALLY_KERNEL_DEFINE)
#endif
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 2
TALLY_KERNEL_INSTANCES_2(TALLY_KERNEL_DEFINE)
#endif
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 3
TALLY_KERNEL_INSTANCES_3(TALLY_KERNEL_DEFINE)
#endif
}  // namespace kernels
#if defined(TALLY_KERNELS_PART_ALL) || TALLY_KERNELS_PART == 3
TALLY_PASS_INSTANCES(TALLY_KERNEL_DEFINE)
#endif
}  // namespace detail
TALLY_NAMESPACE_END
