// tally/result.hpp — tally::Result, what compute() returns: a shape and its values in double.
// SPDX-License-Identifier: MIT
#ifndef TALLY_RESULT_HPP
#define TALLY_RESULT_HPP

#include <cmath>
#include <cstddef>
#include <ostream>
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
                   " values); index it with operator[] instead");
    return values_[0];
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
