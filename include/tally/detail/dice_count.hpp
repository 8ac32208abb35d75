// tally/detail/dice_count.hpp — the per-unit (I, P, T) counts the segmentation metrics keep, and
// DiceScore's reduction of one unit's counts to dice values (the counting: seg_count.hpp).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_DICE_COUNT_HPP
#define TALLY_DETAIL_DICE_COUNT_HPP

// Per class c and unit (a sample, or everything for global aggregation): I = pixels where pred
// and target are both c, P = pixels predicted c, T = target pixels of c; DiceScore's
// dice_c = 2I / (P + T) (docs/semantics.md section 6).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"
#include "count.hpp"
#include "labels.hpp"
#include "stat_core.hpp"
#include "validate.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Per-unit (I, P, T) for C classes, laid out I[C], P[C], T[C].
struct dice_counts {
  std::vector<std::uint64_t> v;
  std::size_t C = 0;
  void resize(std::size_t classes) {
    C = classes;
    v.assign(3 * classes, 0);
  }
  void clear() { std::fill(v.begin(), v.end(), std::uint64_t{0}); }
  std::uint64_t* I() { return v.data(); }
  std::uint64_t* P() { return v.data() + C; }
  std::uint64_t* T() { return v.data() + 2 * C; }
  const std::uint64_t* I() const { return v.data(); }
  const std::uint64_t* P() const { return v.data() + C; }
  const std::uint64_t* T() const { return v.data() + 2 * C; }
};

// Dice of every kept class of one unit, and the unit's reduction (docs/semantics.md 6.2, 6.3, 6.4).
// An empty class (P + T = 0) is NaN, or 1 with zero_division = 1.
struct dice_reducer {
  std::size_t first_class;  // 1 when the background class is left out
  std::size_t C;
  Average average;
  double zd;

  [[nodiscard]] std::size_t kept_classes() const noexcept { return C - first_class; }
  [[nodiscard]] std::size_t values_per_unit() const noexcept {
    return average == Average::none ? kept_classes() : 1;
  }

  [[nodiscard]] double empty_value() const noexcept {
    return zd == 1.0 ? 1.0 : std::numeric_limits<double>::quiet_NaN();
  }

  [[nodiscard]] double class_dice(const dice_counts& k, std::size_t c) const noexcept {
    const double den = static_cast<double>(k.P()[c] + k.T()[c]);
    return den == 0.0 ? empty_value() : 2.0 * static_cast<double>(k.I()[c]) / den;
  }

  // Writes values_per_unit() values for one unit.
  void unit_values(const dice_counts& k, double* out) const noexcept {
    switch (average) {
      case Average::none:
        for (std::size_t c = first_class; c < C; ++c) out[c - first_class] = class_dice(k, c);
        return;
      case Average::micro: {
        double num = 0, den = 0;
        for (std::size_t c = first_class; c < C; ++c) {
          num += 2.0 * static_cast<double>(k.I()[c]);
          den += static_cast<double>(k.P()[c] + k.T()[c]);
        }
        out[0] = den == 0.0 ? empty_value() : num / den;
        return;
      }
      case Average::macro: {
        double sum = 0;
        std::size_t n = 0;
        for (std::size_t c = first_class; c < C; ++c) {
          const double d = class_dice(k, c);
          if (std::isnan(d)) continue;
          sum += d;
          ++n;
        }
        out[0] = n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(n);
        return;
      }
      case Average::weighted: {
        double num = 0, den = 0;
        bool any = false;
        for (std::size_t c = first_class; c < C; ++c) {
          if (k.P()[c] + k.T()[c] == 0) continue;  // empty classes weigh nothing
          any = true;
          const double w = static_cast<double>(k.T()[c]);
          num += w * class_dice(k, c);
          den += w;
        }
        // No class present at all: undefined (or 1 with zero_division = 1). Predictions but no
        // target pixels: 0, as in torchmetrics.
        out[0] = !any ? empty_value() : den == 0.0 ? 0.0 : num / den;
        return;
      }
    }
  }
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_DICE_COUNT_HPP
