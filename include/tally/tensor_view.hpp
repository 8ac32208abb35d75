// tally/tensor_view.hpp — Shape and tensor_view, the non-owning views update() reads.
// SPDX-License-Identifier: MIT
#ifndef TALLY_TENSOR_VIEW_HPP
#define TALLY_TENSOR_VIEW_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <ostream>
#include <type_traits>

#include "error.hpp"

TALLY_NAMESPACE_BEGIN

/// The extents of a row-major tensor, rank 0 to 8: `Shape{8, 19, 512, 1024}`.
/// From other integer types (e.g. a torch `sizes()` list) use `Shape(first, last)`;
/// negative extents and ranks above 8 throw `tally::error`.
class Shape {
 public:
  static constexpr std::size_t max_rank = 8;

  constexpr Shape() noexcept = default;

  Shape(std::initializer_list<std::size_t> extents) { assign(extents.begin(), extents.end()); }

  template <class It, class = std::enable_if_t<
                          std::is_integral_v<typename std::iterator_traits<It>::value_type>>>
  Shape(It first, It last) {
    assign(first, last);
  }

  /// The rank; an old name kept for compatibility (tensor_view::size() is the element count).
  [[nodiscard, deprecated("Shape::size() is the rank: use Shape::rank()")]] constexpr std::size_t
  size() const noexcept {
    return rank_;
  }
  [[nodiscard]] constexpr std::size_t rank() const noexcept { return rank_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return rank_ == 0; }
  [[nodiscard]] constexpr std::size_t operator[](std::size_t axis) const noexcept {
    return extents_[axis];
  }
  [[nodiscard]] constexpr const std::size_t* begin() const noexcept { return extents_.data(); }
  [[nodiscard]] constexpr const std::size_t* end() const noexcept {
    return extents_.data() + rank_;
  }

  /// Number of elements: the product of the extents (1 for rank 0).
  [[nodiscard]] constexpr std::size_t numel() const noexcept {
    std::size_t n = 1;
    for (std::size_t i = 0; i < rank_; ++i) n *= extents_[i];
    return n;
  }

  /// Product of the extents from `axis` on (the row-major stride of axis - 1).
  [[nodiscard]] constexpr std::size_t numel_from(std::size_t axis) const noexcept {
    std::size_t n = 1;
    for (std::size_t i = axis; i < rank_; ++i) n *= extents_[i];
    return n;
  }

  /// This shape without axis `axis` (used to compare scores `(N, C, ...)` with labels `(N, ...)`).
  [[nodiscard]] Shape without_axis(std::size_t axis) const noexcept {
    Shape s;
    for (std::size_t i = 0; i < rank_; ++i)
      if (i != axis) s.extents_[s.rank_++] = extents_[i];
    return s;
  }

  friend constexpr bool operator==(const Shape& a, const Shape& b) noexcept {
    if (a.rank_ != b.rank_) return false;
    for (std::size_t i = 0; i < a.rank_; ++i)
      if (a.extents_[i] != b.extents_[i]) return false;
    return true;
  }
  friend constexpr bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }

  /// Prints `(8, 19, 512)`; a rank-0 shape prints `()`.
  friend std::ostream& operator<<(std::ostream& out, const Shape& s) {
    out << '(';
    for (std::size_t i = 0; i < s.rank_; ++i) out << (i ? ", " : "") << s.extents_[i];
    return out << ')';
  }

 private:
  template <class It>
  void assign(It first, It last) {
    std::size_t numel = 1;
    for (; first != last; ++first) {
      if (rank_ == max_rank) detail::fail("Shape: rank above ", max_rank, " is not supported");
      const auto v = *first;
      if constexpr (std::is_signed_v<std::decay_t<decltype(v)>>) {
        if (v < 0)
          detail::fail("Shape: extent ", static_cast<long long>(v), " of axis ", rank_,
                       " is negative");
      }
      const auto e = static_cast<std::size_t>(v);
      // The element count must fit in size_t so that flat indices never wrap.
      if (e != 0 && numel > std::numeric_limits<std::size_t>::max() / e)
        detail::fail("Shape: the number of elements overflows size_t at axis ", rank_);
      numel = e == 0 ? numel : numel * e;
      extents_[rank_++] = e;
    }
  }

  std::array<std::size_t, max_rank> extents_{};
  std::size_t rank_ = 0;
};

namespace detail {

// A contiguous range: std::data and std::size work on it (std::vector, std::array, C arrays,
// std::span, std::basic_string). std::vector<bool> is not one (it has no data()).
template <class R, class = void>
struct is_contiguous_range : std::false_type {};
template <class R>
struct is_contiguous_range<R, std::void_t<decltype(std::data(std::declval<const R&>())),
                                          decltype(std::size(std::declval<const R&>()))>>
    : std::true_type {};

}  // namespace detail

template <class T>
class tensor_view;

namespace detail {

template <class R>
struct is_tensor_view : std::false_type {};
template <class T>
struct is_tensor_view<tensor_view<T>> : std::true_type {};

// A range a tensor_view<T> can view: contiguous, not itself a view, elements convertible to T.
template <class R, class T>
constexpr bool viewable_range_v = [] {
  using Bare = std::remove_cv_t<std::remove_reference_t<R>>;
  if constexpr (is_tensor_view<Bare>::value || !is_contiguous_range<Bare>::value) {
    return false;
  } else {
    return std::is_convertible_v<decltype(std::data(std::declval<R&>())), T*>;
  }
}();

}  // namespace detail

/// A non-owning view of a contiguous row-major tensor: pointer + Shape.
///
///     std::vector<std::uint8_t> labels(8 * 512 * 1024);
///     tally::tensor_view<const std::uint8_t> v(labels.data(), tally::Shape{8, 512, 1024});
///     metric.update(preds_view, v);
///
/// A contiguous range converts to a rank-1 view. The view never owns or copies the data.
template <class T>
class tensor_view {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;

  constexpr tensor_view() noexcept = default;

  /// `data` must point to `shape.numel()` elements (it may be null when that is 0).
  tensor_view(T* data, Shape shape) : data_(data), shape_(shape) {
    if (data_ == nullptr && shape_.numel() != 0)
      detail::fail("tensor_view: null data pointer for a shape ", shape_, " with ", shape_.numel(),
                   " elements");
  }

  /// A rank-1 view of a contiguous range: `tensor_view<const int>(vec)`.
  template <class R, class = std::enable_if_t<detail::viewable_range_v<R, T>>>
  tensor_view(R&& range)  // NOLINT(google-explicit-constructor): a range is a rank-1 tensor
      : tensor_view(std::data(range), Shape{static_cast<std::size_t>(std::size(range))}) {}

  /// A view of a contiguous range with an explicit shape; the sizes must agree.
  template <class R, class = std::enable_if_t<detail::viewable_range_v<R, T>>>
  tensor_view(R&& range, Shape shape) : tensor_view(std::data(range), shape) {
    if (static_cast<std::size_t>(std::size(range)) != shape.numel())
      detail::fail("tensor_view: a range of ", std::size(range),
                   " elements cannot be viewed with shape ", shape, " (", shape.numel(),
                   " elements)");
  }

  /// tensor_view<T> converts to tensor_view<const T>.
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  constexpr tensor_view(const tensor_view<U>& other) noexcept  // NOLINT
      : data_(other.data()), shape_(other.shape()) {}

  [[nodiscard]] constexpr T* data() const noexcept { return data_; }
  [[nodiscard]] constexpr const Shape& shape() const noexcept { return shape_; }
  [[nodiscard]] constexpr std::size_t rank() const noexcept { return shape_.rank(); }
  /// Number of elements.
  [[nodiscard]] constexpr std::size_t size() const noexcept { return shape_.numel(); }
  [[nodiscard]] constexpr T* begin() const noexcept { return data_; }
  [[nodiscard]] constexpr T* end() const noexcept { return data_ + size(); }
  [[nodiscard]] constexpr T& operator[](std::size_t flat_index) const noexcept {
    return data_[flat_index];
  }

 private:
  T* data_ = nullptr;
  Shape shape_;
};

template <class R, class = std::enable_if_t<detail::is_contiguous_range<
                       std::remove_cv_t<std::remove_reference_t<R>>>::value>>
tensor_view(R&&) -> tensor_view<std::remove_pointer_t<decltype(std::data(std::declval<R&>()))>>;
template <class R>
tensor_view(R&&, Shape)
    -> tensor_view<std::remove_pointer_t<decltype(std::data(std::declval<R&>()))>>;
template <class T>
tensor_view(T*, Shape) -> tensor_view<T>;

TALLY_NAMESPACE_END

#endif  // TALLY_TENSOR_VIEW_HPP
