// tally/detail/fixed_sum.hpp — exact sums of values in [0, 1] (DiceScore's samplewise sums):
// each value rounded once to a multiple of 2^-64 and added as an integer, so that every order of
// additions, merges and reductions gives the same bits.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_FIXED_SUM_HPP
#define TALLY_DETAIL_FIXED_SUM_HPP

// A sum is a 128-bit unsigned fixed-point number with 64 fraction bits, kept as two uint64 words:
// the fraction, then the whole part. A value v in [0, 1] becomes q = round(v * 2^64) (ties to
// even), at most 2^64, so n values add up to at most n * 2^64: the sum of 2^64 - 1 values, as
// many as a uint64 count holds, fits. The rounding happens once per value and depends on nothing
// but v: every double in [2^-12, 1] is a multiple of 2^-64 and is added exactly; smaller values
// move by at most 2^-65. Integer addition is associative and commutative, so the sum of a set of
// values does not depend on how they were split into updates, threads, merges or ranks.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "../error.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

class fixed_sums {
 public:
  static constexpr int fraction_bits = 64;
  static constexpr std::size_t words_per_sum = 2;  // fraction, whole part
  static constexpr std::size_t limbs_per_sum = 4;  // 32-bit limbs, least significant first

  fixed_sums() = default;

  // n sums of 0 (std::bad_alloc if that fails).
  void assign(std::size_t n) { w_.assign(words_per_sum * n, 0); }
  [[nodiscard]] std::size_t size() const noexcept { return w_.size() / words_per_sum; }
  [[nodiscard]] std::size_t capacity_bytes() const noexcept {
    return w_.capacity() * sizeof(std::uint64_t);
  }

  // Adds v to sum i. v must lie in [0, 1]: anything else (NaN included) is tally::error and adds
  // nothing; callers skip NaN themselves.
  void add(std::size_t i, double v) {
    if (!(v >= 0.0 && v <= 1.0))
      fail("internal error: an exact sum of values in [0, 1] was given ", v);
    std::uint64_t& frac = w_[words_per_sum * i];
    std::uint64_t& whole = w_[words_per_sum * i + 1];
    if (v == 1.0) {
      ++whole;
      return;
    }
    // v < 1, so v <= 1 - 2^-53 and x < 2^64. x, its floor and the remainder are exact, whatever
    // the floating-point rounding mode; at or above 2^52 (v >= 2^-12) x is already an integer.
    const double x = v * 18446744073709551616.0;  // 2^64
    const double t = std::floor(x);
    const double r = x - t;
    std::uint64_t q = static_cast<std::uint64_t>(t);
    if (r > 0.5 || (r == 0.5 && (q & 1u) != 0)) ++q;  // q <= 2^52 here: no wrap
    frac += q;
    whole += frac < q ? 1u : 0u;
  }

  // Adds every sum of `other` (of the same size) to the sum with the same index. `other` may be
  // *this (a metric merged with itself): each sum's words are read before they are written.
  void merge(const fixed_sums& other) noexcept {
    for (std::size_t i = 0; i < w_.size(); i += words_per_sum) {
      const std::uint64_t frac = other.w_[i], whole = other.w_[i + 1];
      w_[i] += frac;
      w_[i + 1] += whole + (w_[i] < frac ? 1u : 0u);
    }
  }

  // One sum: all of these added (with their carries). Exact while the total stays below 2^64,
  // as it does for sums of values in [0, 1] whose counts add up below 2^64.
  [[nodiscard]] fixed_sums sum_all() const {
    fixed_sums total;
    total.assign(1);
    for (std::size_t i = 0; i < w_.size(); i += words_per_sum) {
      total.w_[0] += w_[i];
      total.w_[1] += w_[i + 1] + (total.w_[0] < w_[i] ? 1u : 0u);
    }
    return total;
  }

  // Whether sum i is at most `count`, as a sum of `count` values in [0, 1] is.
  [[nodiscard]] bool at_most(std::size_t i, std::uint64_t count) const noexcept {
    const std::uint64_t frac = w_[words_per_sum * i], whole = w_[words_per_sum * i + 1];
    return whole < count || (whole == count && frac == 0);
  }

  // Sum i divided by `count`, rounded once to the nearest double (ties to even): the exact
  // quotient of two integers, (whole * 2^64 + frac) / (count * 2^64), never an intermediate
  // double. 0 for count = 0. A mean of values in [0, 1] (at_most(i, count)) lies in [0, 1]; any
  // other sum still gives its finite quotient.
  [[nodiscard]] double mean(std::size_t i, std::uint64_t count) const noexcept {
    const std::uint64_t frac = w_[words_per_sum * i], whole = w_[words_per_sum * i + 1];
    if ((frac | whole) == 0 || count == 0) return 0.0;
    // Long division, one bit at a time, of the 128-bit numerator (bits 127..0, then zeros)
    // by count. The quotient bit at position p weighs 2^(p - 64). Once the leading 1 is found,
    // 54 bits are kept: 53 for the significand and one to round with; the rest is sticky.
    auto bit = [&](int p) -> std::uint64_t {
      if (p >= 64) return (whole >> (p - 64)) & 1u;
      return p >= 0 ? (frac >> p) & 1u : 0u;
    };
    int p = 127;
    while (bit(p) == 0) --p;  // the numerator is not 0
    std::uint64_t rem = 0, kept = 0;
    int bits = 0;
    for (;; --p) {
      const bool carry = (rem >> 63) != 0;  // 2 * rem would not fit: it exceeds count
      rem = (rem << 1) | bit(p);
      std::uint64_t q = 0;
      if (carry || rem >= count) {
        rem -= count;  // modulo 2^64: the true difference is below count
        q = 1;
      }
      if (bits == 0 && q == 0) continue;
      kept = (kept << 1) | q;
      if (++bits == 54) break;
    }
    // The quotient below position p is not 0 if the remainder is not, or if numerator bits
    // below p are left (p > 0).
    bool sticky = rem != 0;
    if (p > 0) {
      const std::uint64_t below_frac = p >= 64 ? frac : frac & ((std::uint64_t{1} << p) - 1);
      const std::uint64_t below_whole =
          p > 64 ? whole & ((std::uint64_t{1} << (p - 64)) - 1) : std::uint64_t{0};
      sticky = sticky || below_frac != 0 || below_whole != 0;
    }
    std::uint64_t significand = kept >> 1;
    if ((kept & 1u) != 0 && (sticky || (significand & 1u) != 0)) ++significand;
    // The last kept bit (the rounding bit) sits at position p; the significand's last at p + 1.
    // The mean is at least 2^-128, far from the subnormals: ldexp is exact.
    return std::ldexp(static_cast<double>(significand), p + 1 - fraction_bits);
  }

  // The state as saved: words_per_sum words per sum. Every pair of words is a valid sum.
  [[nodiscard]] const std::vector<std::uint64_t>& words() const noexcept { return w_; }
  // Replaces the state with saved words (a multiple of words_per_sum of them).
  void assign_words(std::vector<std::uint64_t> words) {
    if (words.size() % words_per_sum != 0)
      fail("internal error: ", words.size(), " words are not whole exact sums");
    w_ = std::move(words);
  }

  // For reductions that add arrays elementwise (MPI_SUM on uint64): limbs_per_sum limbs of 32
  // bits per sum, each in a uint64 word, so that adding up to 2^32 such arrays never overflows
  // a word. assign_limbs carries such a sum back into 128 bits.
  [[nodiscard]] std::vector<std::uint64_t> limbs() const {
    std::vector<std::uint64_t> l(limbs_per_sum * size());
    for (std::size_t i = 0; i < size(); ++i) {
      const std::uint64_t frac = w_[words_per_sum * i], whole = w_[words_per_sum * i + 1];
      l[limbs_per_sum * i] = frac & low32;
      l[limbs_per_sum * i + 1] = frac >> 32;
      l[limbs_per_sum * i + 2] = whole & low32;
      l[limbs_per_sum * i + 3] = whole >> 32;
    }
    return l;
  }
  // Replaces the state with limbs of the same number of sums, carried. Returns false, changing
  // nothing, if a sum does not fit in 128 bits (more than 2^64 - 1 values were added).
  [[nodiscard]] bool assign_limbs(const std::vector<std::uint64_t>& l) {
    if (l.size() != limbs_per_sum * size())
      fail("internal error: ", l.size(), " limbs for ", size(), " exact sums");
    std::vector<std::uint64_t> w(w_.size());
    for (std::size_t i = 0; i < size(); ++i) {
      std::uint64_t out[limbs_per_sum];
      std::uint64_t carry = 0;  // below 2^33: no addition here can wrap
      for (std::size_t k = 0; k < limbs_per_sum; ++k) {
        const std::uint64_t limb = l[limbs_per_sum * i + k];
        const std::uint64_t t = (limb & low32) + carry;
        out[k] = t & low32;
        carry = (limb >> 32) + (t >> 32);
      }
      if (carry != 0) return false;
      w[words_per_sum * i] = out[0] | (out[1] << 32);
      w[words_per_sum * i + 1] = out[2] | (out[3] << 32);
    }
    w_ = std::move(w);
    return true;
  }

  friend bool operator==(const fixed_sums& a, const fixed_sums& b) noexcept { return a.w_ == b.w_; }
  friend bool operator!=(const fixed_sums& a, const fixed_sums& b) noexcept { return !(a == b); }

 private:
  static constexpr std::uint64_t low32 = 0xFFFFFFFFu;
  std::vector<std::uint64_t> w_;  // per sum: fraction, whole part
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_FIXED_SUM_HPP
