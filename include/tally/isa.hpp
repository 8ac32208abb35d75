// tally/isa.hpp — which instruction set the counting kernels run on: kernel_isa().
// SPDX-License-Identifier: MIT
#ifndef TALLY_ISA_HPP
#define TALLY_ISA_HPP

#include <string_view>

#include "detail/isa.hpp"

TALLY_NAMESPACE_BEGIN

/// The kernels chosen at run time, after the TALLY_ISA environment variable: "avx512", "avx2",
/// "neon" or "scalar". The choice never depends on the flags tally was compiled with.
///
///     std::printf("tally counts with %s kernels\n", std::string(tally::kernel_isa()).c_str());
[[nodiscard]] inline std::string_view kernel_isa() noexcept {
  const detail::isa i = detail::active_isa();
  return i == detail::isa::avx512vbmi2 ? "avx512" : detail::to_string(i);
}

TALLY_NAMESPACE_END

#endif  // TALLY_ISA_HPP
