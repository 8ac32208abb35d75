// tally/thresholds.hpp — tally::Thresholds, where the ranking metrics (ROC,
// PrecisionRecallCurve, AUROC, AveragePrecision) evaluate (every score, or a fixed grid), and
// the curves they return (RocCurve, PrCurve).
// SPDX-License-Identifier: MIT
#ifndef TALLY_THRESHOLDS_HPP
#define TALLY_THRESHOLDS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "error.hpp"
#include "version.hpp"

TALLY_NAMESPACE_BEGIN

/// Where the ranking metrics evaluate their curves (torchmetrics' `thresholds` argument):
///
///     tally::Thresholds::exact()          // thresholds=None: at every distinct score (default)
///     tally::Thresholds::linspace(100)    // thresholds=100: 100 evenly spaced in [0, 1]
///     tally::Thresholds::values({0.1, 0.5, 0.9})   // thresholds=[...]
///
/// Exact mode keeps the scores (4 bytes each, 8 for double scores that float cannot hold) and
/// sorts them in compute(). Binned mode keeps 2 counts per threshold and class, and an update
/// costs O(1) per score, whatever the number of thresholds T.
///
/// A score s counts as positive at threshold t when s >= t, with t a float32 value as in
/// torchmetrics (a linspace computed in float32 like torch.linspace; list values rounded to
/// float32), so that scores on a threshold land where torchmetrics puts them.
class Thresholds {
 public:
  enum class Kind { exact, linspace, values };

  /// Every distinct score is a threshold (torchmetrics' `thresholds=None`).
  [[nodiscard]] static Thresholds exact() noexcept { return Thresholds(); }

  /// n thresholds evenly spaced in [0, 1], both ends included; n >= 2, else tally::error.
  [[nodiscard]] static Thresholds linspace(std::size_t n) {
    if (n < 2) detail::fail("Thresholds::linspace: ", n, " thresholds; it needs at least 2");
    if (n > max_count)
      detail::fail("Thresholds::linspace: ", n, " thresholds is too many; at most ", max_count);
    Thresholds t;
    t.kind_ = Kind::linspace;
    t.t_.resize(n);
    // torch.linspace in float32: the first half counts up from 0, the second down from 1. The
    // product is rounded on its own (a volatile keeps a compiler from fusing it into the
    // subtraction, as -ffp-contract=fast with FMA would), as torch rounds it.
    const float step = 1.0f / static_cast<float>(n - 1);
    const std::size_t half = n / 2;
    for (std::size_t k = 0; k < n; ++k) {
      volatile float product = step * static_cast<float>(k < half ? k : n - k - 1);
      t.t_[k] = static_cast<double>(k < half ? product : 1.0f - product);
    }
    return t;
  }

  /// These thresholds, each in [0, 1] and in ascending order (equal values allowed); each is
  /// rounded to float32 as torchmetrics does. An empty list is allowed (curves of no point).
  [[nodiscard]] static Thresholds values(std::vector<double> v) {
    if (v.size() > max_count)
      detail::fail("Thresholds::values: ", v.size(), " thresholds is too many; at most ",
                   max_count);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!(v[i] >= 0.0 && v[i] <= 1.0))
        detail::fail("Thresholds::values: threshold ", v[i], " at index ", i,
                     " is outside [0, 1]");
      v[i] = static_cast<double>(static_cast<float>(v[i]));
      if (i > 0 && v[i] < v[i - 1])
        detail::fail("Thresholds::values: threshold ", v[i], " at index ", i,
                     " is below the one before it (", v[i - 1],
                     "); pass the thresholds in ascending order");
    }
    Thresholds t;
    t.kind_ = Kind::values;
    t.t_ = std::move(v);
    return t;
  }

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_exact() const noexcept { return kind_ == Kind::exact; }
  /// The thresholds in ascending order, as the float32 values compared with (empty if exact).
  [[nodiscard]] const std::vector<double>& list() const noexcept { return t_; }
  [[nodiscard]] std::size_t size() const noexcept { return t_.size(); }

  friend bool operator==(const Thresholds& a, const Thresholds& b) noexcept {
    return a.kind_ == b.kind_ && a.t_ == b.t_;
  }
  friend bool operator!=(const Thresholds& a, const Thresholds& b) noexcept { return !(a == b); }

  /// At most this many thresholds (the binned state holds 2 counts per threshold and class).
  static constexpr std::size_t max_count = std::size_t{1} << 20;

 private:
  Thresholds() = default;
  Kind kind_ = Kind::exact;
  std::vector<double> t_;
};

/// An ROC curve, as torchmetrics returns it: false and true positive rates at each threshold,
/// thresholds descending (exact mode starts with the point (0, 0) at threshold 1).
struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;
};

/// A precision-recall curve, as torchmetrics returns it: one point per threshold, thresholds
/// ascending, then the point (recall 0, precision 1), which has no threshold.
struct PrCurve {
  std::vector<double> precision, recall, thresholds;
};

TALLY_NAMESPACE_END

#endif  // TALLY_THRESHOLDS_HPP
