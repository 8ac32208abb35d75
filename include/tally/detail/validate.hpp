// tally — classification and segmentation metrics for C++
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_VALIDATE_HPP
#define TALLY_DETAIL_VALIDATE_HPP

// Option checks shared by every metric's constructor (SEMANTICS.md section 3.1).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

inline void check_enum(Average a) {
  if (a != Average::micro && a != Average::macro && a != Average::weighted && a != Average::none)
    fail("average: ", static_cast<int>(a), " is not an Average (micro, macro, weighted, none)");
}
inline void check_enum(MultidimAverage a) {
  if (a != MultidimAverage::global && a != MultidimAverage::samplewise)
    fail("multidim_average: ", static_cast<int>(a),
         " is not a MultidimAverage (global, samplewise)");
}
inline void check_enum(Normalize n) {
  if (n != Normalize::none && n != Normalize::target && n != Normalize::pred && n != Normalize::all)
    fail("normalize: ", static_cast<int>(n), " is not a Normalize (none, target, pred, all)");
}

inline void check_zero_division(double zd) {
  // NaN is reserved: torchmetrics' maintainers want it to mean "leave out of the average".
  if (!(zd == 0.0 || zd == 1.0)) fail("zero_division: ", zd, " is not allowed; use 0 or 1");
}

inline void check_threshold(double t) {
  if (!(t >= 0.0 && t <= 1.0)) fail("threshold: ", t, " is outside [0, 1]");
}

inline void check_beta(double beta) {
  if (!(beta > 0.0 && std::isfinite(beta)))
    fail("beta: ", beta, " must be finite and greater than 0");
}

// The per-class state must be allocatable: count^count_power * cells_per_count counters of
// 8 bytes. Sizes no machine could hold are refused here as tally::error, before anything is
// allocated (a huge zero-filled vector would otherwise end in std::bad_alloc or the OOM killer).
inline constexpr std::uint64_t max_state_counters = std::uint64_t{1} << 28;  // 2 GiB

inline void check_state_size(const char* what, std::int64_t count, std::int64_t min,
                             std::uint64_t cells_per_count, int count_power) {
  if (count < min) fail(what, ": ", count, " is not allowed; it must be an integer >= ", min);
  std::uint64_t cells = cells_per_count;
  for (int i = 0; i < count_power; ++i) {
    if (cells > max_state_counters / static_cast<std::uint64_t>(count))
      fail(what, ": ", count, " is too large; the state would need more than ",
           max_state_counters / (std::uint64_t{1} << 27), " GiB of counters");
    cells *= static_cast<std::uint64_t>(count);
  }
}

// Sizes a state vector to n zeros; an allocation failure becomes tally::error naming `what`.
template <class V>
void assign_zeros(std::vector<V>& v, std::size_t n, const char* what) {
  try {
    v.assign(n, V{});
  } catch (const std::bad_alloc&) {
    fail(what, ": cannot allocate ", n, " counters");
  }
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_VALIDATE_HPP
