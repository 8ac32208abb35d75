// src/tally_kernels.cpp — the counting kernels compiled once (the tally::kernels CMake target):
// every rung of this platform's ISA ladder, for every instance users' code can reach. Code that
// links tally::kernels is compiled with TALLY_COMPILED_KERNELS and sees only declarations.
// SPDX-License-Identifier: MIT
#include <tally/detail/count_multiclass_impl.hpp>
#include <tally/detail/kernels.hpp>
#include <tally/detail/kernels/impl.hpp>
#include <tally/detail/kernels/instances.hpp>

#if !defined(TALLY_COMPILED_KERNELS)
#error "tally_kernels.cpp is compiled with TALLY_COMPILED_KERNELS (the tally::kernels target sets it)"
#endif

TALLY_NAMESPACE_BEGIN
namespace detail {
namespace kernels {
TALLY_KERNEL_INSTANCES(TALLY_KERNEL_DEFINE)
}  // namespace kernels
TALLY_PASS_INSTANCES(TALLY_KERNEL_DEFINE)
}  // namespace detail
TALLY_NAMESPACE_END
