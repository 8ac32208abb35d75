// tally/result.hpp — tally::Result, what compute() returns: a shape and its values in double.
// SPDX-License-Identifier: MIT
#ifndef TALLY_RESULT_HPP
#define TALLY_RESULT_HPP

#include <cmath>
#include <cstddef>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.hpp"
#include "tensor_view.hpp"

TALLY_NAMESPACE_BEGIN

/// What `compute()` returns: a shape, in torchmetrics' output convention, and row-major doubles.
///
///     tally::Result r = f1.compute();          // average = none: shape (C)
///     for (std::size_t c = 0; c < r.size(); ++c) std::cout << c << ": " << r[c] << '\n';
///     double v = macro_f1.compute().value();   // one element: value()
///     double tp = stats_per_class.compute()(c, 0);   // (C, 5) rows [tp, fp, tn, fn, support]
///
/// NaN stands for an undefined score (e.g. a Jaccard macro with no class left).
class Result {
 public:
  Result() : shape_{0} {}  // empty: shape (0)
  Result(Shape shape, std::vector<double> values) : shape_(shape), values_(std::move(values)) {
    if (values_.size() != shape_.numel())
      detail::fail("Result: ", values_.size(), " values do not fill shape ", shape_);
  }

  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  [[nodiscard]] double operator[](std::size_t i) const noexcept { return values_[i]; }
  [[nodiscard]] const double* data() const noexcept { return values_.data(); }
  [[nodiscard]] auto begin() const noexcept { return values_.begin(); }
  [[nodiscard]] auto end() const noexcept { return values_.end(); }
  [[nodiscard]] const std::vector<double>& values() const noexcept { return values_; }

  /// The single value of a one-element result; throws tally::error otherwise.
  [[nodiscard]] double value() const {
    if (values_.size() != 1)
      detail::fail("Result::value(): the result has shape ", shape_, " (", values_.size(),
                   " values); read one element with r(i, ...) or r[i] instead");
    return values_[0];
  }

  /// The element at one index per axis, `r(c, k)` for a `(C, 5)` table: row-major, as `r[i]`
  /// with `i = c * 5 + k`. Takes exactly `shape().rank()` integral indices, each inside its
  /// axis; anything else throws tally::error naming the axis (a scalar is read as `r()`).
  template <class... I>
  [[nodiscard]] double operator()(I... index) const {
    static_assert((std::is_integral_v<I> && ...),
                  "tally::Result::operator(): indices must be integers, one per axis");
    constexpr std::size_t n = sizeof...(I);
    if (n != shape_.rank())
      detail::fail("Result::operator(): ", n, n == 1 ? " index" : " indices",
                   " given for a result of shape ", shape_, " (rank ", shape_.rank(), ")");
    if constexpr (n == 0) {
      return values_[0];
    } else {
      const bool negative[] = {is_negative(index)...};
      const std::size_t at[] = {static_cast<std::size_t>(index)...};  // negative: flagged above
      std::size_t flat = 0;
      for (std::size_t axis = 0; axis < n; ++axis) {
        if (negative[axis] || at[axis] >= shape_[axis]) {
          const long long shown[] = {static_cast<long long>(index)...};
          if (negative[axis])
            detail::fail("Result::operator(): index ", shown[axis], " of axis ", axis,
                         " is negative; the result has shape ", shape_);
          detail::fail("Result::operator(): index ", at[axis], " of axis ", axis,
                       " is outside [0, ", shape_[axis], ") for a result of shape ", shape_);
        }
        flat = flat * shape_[axis] + at[axis];
      }
      return values_[flat];
    }
  }

  /// Exact equality of shape and values, NaN equal to NaN (results are deterministic).
  friend bool operator==(const Result& a, const Result& b) noexcept {
    if (a.shape_ != b.shape_) return false;
    for (std::size_t i = 0; i < a.values_.size(); ++i) {
      const double x = a.values_[i], y = b.values_[i];
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
    }
    return true;
  }
  friend bool operator!=(const Result& a, const Result& b) noexcept { return !(a == b); }

  /// Prints a scalar as `0.5`, a vector as `[0.5, 1]`, and nests brackets for higher ranks.
  friend std::ostream& operator<<(std::ostream& out, const Result& r) {
    if (r.shape_.rank() == 0) return out << (r.values_.empty() ? 0.0 : r.values_[0]);
    std::size_t i = 0;
    r.print(out, 0, i);
    return out;
  }

 private:
  template <class I>
  static constexpr bool is_negative(I index) noexcept {
    if constexpr (std::is_signed_v<I>)
      return index < 0;
    else
      return false;
  }

  void print(std::ostream& out, std::size_t axis, std::size_t& i) const {
    out << '[';
    for (std::size_t k = 0; k < shape_[axis]; ++k) {
      if (k) out << ", ";
      if (axis + 1 == shape_.rank())
        out << values_[i++];
      else
        print(out, axis + 1, i);
    }
    out << ']';
  }

  Shape shape_;
  std::vector<double> values_;
};

TALLY_NAMESPACE_END

#endif  // TALLY_RESULT_HPP
