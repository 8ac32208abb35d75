// tally/detail/kernels/impl.hpp — the definitions behind kernels.hpp: the scalar rung, each SIMD
// rung this platform has, and the dispatch. Included by kernels.hpp (header-only), or compiled
// once into the tally::kernels library.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_KERNELS_IMPL_HPP
#define TALLY_DETAIL_KERNELS_IMPL_HPP

#include "dispatch.hpp"

#endif  // TALLY_DETAIL_KERNELS_IMPL_HPP
