// tally/detail/score_list.hpp — the scores the ranking metrics keep in exact mode, compactly
// (float while they fit, double from the first that does not), and the maps between scores
// (logit, sigmoid, softmax).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_SCORE_LIST_HPP
#define TALLY_DETAIL_SCORE_LIST_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../error.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

[[nodiscard]] inline double logit_of(double p) noexcept {
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  if (p >= 1.0) return std::numeric_limits<double>::infinity();
  return std::log(p) - std::log1p(-p);
}
[[nodiscard]] inline double sigmoid_of(double x) noexcept {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

// Softmax over C = prob.size() scores s[0], s[R], s[2R], ... in double: exp(x - max) / sum,
// the rule torchmetrics' multiclass scores follow. A +inf score shares the whole mass with the
// other +inf scores (exp(inf - inf) would be NaN); all -inf is uniform.
template <class P>
void softmax_strided(const P* s, std::size_t R, std::vector<double>& prob) {
  const std::size_t C = prob.size();
  double m = -std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(s[c * R]));
  if (std::isinf(m)) {
    std::size_t k = 0;
    for (std::size_t c = 0; c < C; ++c) k += static_cast<double>(s[c * R]) == m ? 1 : 0;
    for (std::size_t c = 0; c < C; ++c)
      prob[c] = static_cast<double>(s[c * R]) == m ? 1.0 / static_cast<double>(k) : 0.0;
    return;
  }
  double sum = 0;
  for (std::size_t c = 0; c < C; ++c) sum += prob[c] = std::exp(static_cast<double>(s[c * R]) - m);
  for (std::size_t c = 0; c < C; ++c) prob[c] /= sum;
}

// The scores of one (class, target) pair in exact mode: float (4 bytes) while every score is a
// float value, double (8 bytes) from the first one that is not.
class score_list {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return wide_ ? d_.size() : f_.size(); }
  [[nodiscard]] bool wide() const noexcept { return wide_; }
  [[nodiscard]] double operator[](std::size_t i) const noexcept {
    return wide_ ? d_[i] : static_cast<double>(f_[i]);
  }
  [[nodiscard]] static bool fits_float(double v) noexcept {
    if (std::isinf(v)) return true;
    return std::fabs(v) <= static_cast<double>(std::numeric_limits<float>::max()) &&
           static_cast<double>(static_cast<float>(v)) == v;
  }
  void push(double v) {
    if (!wide_ && fits_float(v)) {
      f_.push_back(static_cast<float>(v));
      return;
    }
    if (!wide_) widen_now(1);
    d_.push_back(v);
  }
  void clear() noexcept {
    f_.clear();
    d_.clear();
    wide_ = false;
  }
  // Appending another list in two steps, so that a batch of lists is appended all or nothing:
  // reserve() allocates (and may throw) without changing what the list holds; append() then
  // cannot fail.
  void reserve_for(const score_list& more, std::vector<double>& widened) {
    if (wide_)
      d_.reserve(d_.size() + more.size());
    else if (more.wide_)
      widened.reserve(f_.size() + more.size());
    else
      f_.reserve(f_.size() + more.size());
  }
  void append(const score_list& more, std::vector<double>& widened) noexcept {
    if (!wide_ && more.wide_) {
      for (float x : f_) widened.push_back(static_cast<double>(x));
      d_.swap(widened);
      f_ = std::vector<float>();
      wide_ = true;
    }
    if (wide_) {
      for (std::size_t i = 0; i < more.size(); ++i) d_.push_back(more[i]);
    } else {
      f_.insert(f_.end(), more.f_.begin(), more.f_.end());
    }
  }
  // Appends every value of `more` (may throw; for copies being built).
  void append_all(const score_list& more) {
    std::vector<double> widened;
    reserve_for(more, widened);
    append(more, widened);
  }
  // Every value v replaced by f(v) (stored as double): the prob -> logit change of space.
  template <class F>
  [[nodiscard]] score_list mapped(F&& f) const {
    score_list r;
    r.wide_ = true;
    r.d_.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) r.d_.push_back(f((*this)[i]));
    return r;
  }
  void values_into(std::vector<double>& out) const {
    for (std::size_t i = 0; i < size(); ++i) out.push_back((*this)[i]);
  }
  // Saved as the bits of each value as a double.
  [[nodiscard]] std::vector<std::uint64_t> bits() const {
    std::vector<std::uint64_t> b(size());
    for (std::size_t i = 0; i < size(); ++i) {
      const double v = (*this)[i];
      std::memcpy(&b[i], &v, sizeof v);
    }
    return b;
  }
  [[nodiscard]] static score_list from_bits(const std::vector<std::uint64_t>& b) {
    score_list r;
    for (std::uint64_t x : b) {
      double v;
      std::memcpy(&v, &x, sizeof v);
      if (std::isnan(v)) fail("load: a kept score is NaN; the bytes are not a tally state");
      r.push(v);
    }
    return r;
  }
  friend bool operator==(const score_list& a, const score_list& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }

 private:
  void widen_now(std::size_t extra) {
    std::vector<double> d;
    d.reserve(f_.size() + extra);
    for (float x : f_) d.push_back(static_cast<double>(x));
    d_.swap(d);
    f_ = std::vector<float>();
    wide_ = true;
  }
  std::vector<float> f_;
  std::vector<double> d_;
  bool wide_ = false;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_SCORE_LIST_HPP
