// Core value types: tally::Shape, tally::tensor_view, tally::Result, tally::error.
#include <tally/tally.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace tally_test;
template <class T>
std::string core_to_string(const T& x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

static_assert(std::is_base_of_v<std::invalid_argument, tally::error>,
              "tally::error derives from std::invalid_argument");

// ---------------------------------------------------------------------------------------------
// Shape
// ---------------------------------------------------------------------------------------------

TEST_CASE("Shape from an initializer list has a rank, extents and an element count") {
  const tally::Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s[0] == 2);
  CHECK(s[1] == 3);
  CHECK(s[2] == 4);
  CHECK(s.numel() == 24);
}

TEST_CASE("Shape::size() stays, deprecated, as the old name of rank()") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const std::size_t rank = tally::Shape{2, 3, 4}.size();
#pragma GCC diagnostic pop
  CHECK(rank == 3);
}

TEST_CASE("a rank-0 Shape has one element and prints as ()") {
  const tally::Shape s;
  CHECK(s.rank() == 0);
  CHECK(s.numel() == 1);
  CHECK(core_to_string(s) == "()");
}

TEST_CASE("a Shape with a zero extent has no elements") {
  CHECK(tally::Shape{0}.numel() == 0);
  CHECK(tally::Shape{4, 0, 3}.numel() == 0);
  CHECK(tally::Shape{4, 0, 3}.rank() == 3);
}

TEST_CASE("Shape equality compares rank and every extent") {
  CHECK(tally::Shape{2, 3} == tally::Shape{2, 3});
  CHECK_FALSE(tally::Shape{2, 3} != tally::Shape{2, 3});
  CHECK(tally::Shape{2, 3} != tally::Shape{3, 2});
  CHECK(tally::Shape{6} != tally::Shape{2, 3});
  CHECK(tally::Shape{2, 3} != tally::Shape{2, 3, 1});
  CHECK(tally::Shape{} == tally::Shape());
}

TEST_CASE("Shape prints as a parenthesized, comma-separated list") {
  CHECK(core_to_string(tally::Shape{2, 3}) == "(2, 3)");
  CHECK(core_to_string(tally::Shape{7}) == "(7)");
  CHECK(core_to_string(tally::Shape{8, 19, 512}) == "(8, 19, 512)");
}

TEST_CASE("Shape from an iterator range of any integral type") {
  const std::vector<std::int64_t> sizes{8, 19, 64};
  const tally::Shape a(sizes.begin(), sizes.end());
  CHECK(a == tally::Shape{8, 19, 64});

  const std::array<int, 2> small{2, 5};
  const tally::Shape b(small.begin(), small.end());
  CHECK(b == tally::Shape{2, 5});
  CHECK(b.numel() == 10);

  const std::vector<std::uint8_t> bytes{3, 1};
  CHECK(tally::Shape(bytes.begin(), bytes.end()) == tally::Shape{3, 1});
}

TEST_CASE("Shape rejects a negative extent") {
  const std::vector<std::int64_t> bad{2, -1, 3};
  REQUIRE_THROWS_AS(tally::Shape(bad.begin(), bad.end()), tally::error);
  const std::vector<int> bad_first{-4};
  REQUIRE_THROWS_AS(tally::Shape(bad_first.begin(), bad_first.end()), tally::error);
}

TEST_CASE("Shape supports rank 8 and rejects rank 9") {
  const std::vector<int> eight(8, 1);
  const tally::Shape ok(eight.begin(), eight.end());
  CHECK(ok.rank() == 8);
  CHECK(ok.numel() == 1);

  const std::vector<int> nine(9, 1);
  REQUIRE_THROWS_AS(tally::Shape(nine.begin(), nine.end()), tally::error);
  REQUIRE_THROWS_AS((tally::Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), tally::error);
}

// ---------------------------------------------------------------------------------------------
// tensor_view
// ---------------------------------------------------------------------------------------------

TEST_CASE("tensor_view from a pointer and a shape is a row-major view of that memory") {
  const std::vector<int> data{0, 1, 2, 3, 4, 5};
  const tally::tensor_view<const int> v(data.data(), tally::Shape{2, 3});
  CHECK(v.data() == data.data());
  CHECK(v.shape() == tally::Shape{2, 3});
  CHECK(v.rank() == 2);
  CHECK(v.size() == 6);
  CHECK(v[4] == 4);
  int sum = 0;
  for (int x : v) sum += x;
  CHECK(sum == 15);
}

TEST_CASE("tensor_view from a contiguous range is a rank-1 view of all of it") {
  const std::vector<float> vec{0.5f, 0.25f, 1.0f};
  const tally::tensor_view<const float> v(vec);
  CHECK(v.shape() == tally::Shape{3});
  CHECK(v.data() == vec.data());

  const std::array<std::uint8_t, 4> arr{1, 0, 1, 1};
  const tally::tensor_view<const std::uint8_t> w(arr);
  CHECK(w.shape() == tally::Shape{4});
  CHECK(w[2] == 1);
}

TEST_CASE("tensor_view from a range and a shape requires the sizes to agree") {
  const std::vector<int> vec{1, 2, 3, 4, 5, 6};
  const tally::tensor_view<const int> ok(vec, tally::Shape{3, 2});
  CHECK(ok.shape() == tally::Shape{3, 2});
  CHECK(ok[5] == 6);
  REQUIRE_THROWS_AS(tally::tensor_view<const int>(vec, tally::Shape{4, 2}), tally::error);
  REQUIRE_THROWS_AS(tally::tensor_view<const int>(vec, tally::Shape{5}), tally::error);
}

TEST_CASE("an empty range gives a view of shape (0)") {
  const std::vector<int> empty;
  const tally::tensor_view<const int> v(empty);
  CHECK(v.shape() == tally::Shape{0});
  CHECK(v.size() == 0);
}

TEST_CASE("tensor_view deduces its element type from the range (CTAD)") {
  std::vector<int> vec{1, 2, 3, 4, 5, 6};
  tally::tensor_view v(vec, tally::Shape{2, 3});
  static_assert(std::is_same_v<decltype(v), tally::tensor_view<int>>,
                "a non-const vector gives a mutable view");
  const std::vector<int>& cref = vec;
  tally::tensor_view c(cref, tally::Shape{2, 3});
  static_assert(std::is_same_v<decltype(c), tally::tensor_view<const int>>,
                "a const vector gives a const view");
  CHECK(v.shape() == c.shape());
}

TEST_CASE("a mutable tensor_view converts to a const one, not the other way round") {
  static_assert(std::is_convertible_v<tally::tensor_view<int>, tally::tensor_view<const int>>,
                "T -> const T");
  static_assert(!std::is_convertible_v<tally::tensor_view<const int>, tally::tensor_view<int>>,
                "const T -/-> T");
  static_assert(!std::is_convertible_v<tally::tensor_view<int>, tally::tensor_view<const long>>,
                "no conversion between element types");
  std::vector<int> vec{1, 2, 3, 4};
  const tally::tensor_view<int> m(vec, tally::Shape{2, 2});
  const tally::tensor_view<const int> c = m;
  CHECK(c.data() == vec.data());
  CHECK(c.shape() == tally::Shape{2, 2});
  m[0] = 9;  // the view never copies
  CHECK(c[0] == 9);
}

// ---------------------------------------------------------------------------------------------
// Result
// ---------------------------------------------------------------------------------------------

TEST_CASE("Result::value returns the single element of a one-element result") {
  const tally::Result scalar(tally::Shape{}, {0.75});
  CHECK(scalar.shape() == tally::Shape{});
  CHECK(scalar.size() == 1);
  CHECK(scalar.value() == 0.75);
  CHECK(scalar[0] == 0.75);
}

TEST_CASE("Result::value throws on a result that is not exactly one element") {
  const tally::Result vec(tally::Shape{3}, {0.0, 0.5, 1.0});
  REQUIRE_THROWS_AS(vec.value(), tally::error);
  const tally::Result empty(tally::Shape{0}, {});
  REQUIRE_THROWS_AS(empty.value(), tally::error);
  const tally::Result rows(tally::Shape{0, 5}, {});
  REQUIRE_THROWS_AS(rows.value(), tally::error);
}

TEST_CASE("Result indexes and iterates its values in row-major order") {
  const tally::Result r(tally::Shape{2, 2}, {1.0, 2.0, 3.0, 4.0});
  CHECK(r.size() == 4);
  CHECK(r[2] == 3.0);
  double sum = 0;
  for (double x : r) sum += x;
  CHECK(sum == 10.0);
}

TEST_CASE("Result(i, j, ...) reads one element per index tuple, row-major") {
  // A (2, 3, 2) result holding 0, 1, ..., 11.
  std::vector<double> v(12);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  const tally::Result r(tally::Shape{2, 3, 2}, v);
  CHECK(r(0, 0, 0) == 0.0);
  CHECK(r(0, 2, 1) == 5.0);
  CHECK(r(1, 0, 0) == 6.0);
  CHECK(r(1, 2, 1) == 11.0);
  CHECK(r(1u, std::uint8_t{1}, std::int64_t{1}) == 9.0);  // any integral index types
  const tally::Result scalar(tally::Shape{}, {0.25});
  CHECK(scalar() == 0.25);

  // A (C, 5) StatScores table: r(c, k) is r[c * 5 + k].
  tally::Multiclass::Options o;
  o.num_classes = 3;
  o.average = tally::Average::none;
  tally::MulticlassStatScores stats(o);
  stats.update(std::vector<int>{0, 1, 1, 2}, std::vector<int>{0, 1, 2, 2});
  const tally::Result t = stats.compute();
  REQUIRE(t.shape() == tally::Shape{3, 5});
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t k = 0; k < 5; ++k) CHECK(t(c, k) == t[c * 5 + k]);
  CHECK(t(1, 1) == 1.0);  // class 1: one fp (pred 1 at target 2)
}

TEST_CASE("Result(i, j, ...) with a wrong rank or an index outside its axis is tally::error") {
  using Catch::Matchers::Contains;
  const tally::Result r(tally::Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_THROWS_WITH(r(1), Contains("1 index given for a result of shape (2, 3) (rank 2)"));
  CHECK_THROWS_WITH(r(1, 1, 1), Contains("3 indices given"));
  CHECK_THROWS_WITH(r(2, 0), Contains("index 2 of axis 0 is outside [0, 2)"));
  CHECK_THROWS_WITH(r(0, 3), Contains("index 3 of axis 1 is outside [0, 3)"));
  CHECK_THROWS_WITH(r(0, -1), Contains("index -1 of axis 1 is negative"));
  CHECK_THROWS_WITH(r(0, std::numeric_limits<std::uint64_t>::max()),
                    Contains("of axis 1 is outside [0, 3)"));
  CHECK_THROWS_AS(r(), tally::error);
  CHECK_THROWS_AS(tally::Result()(0), tally::error);  // the empty result has shape (0)
  CHECK_THROWS_AS(tally::Result(tally::Shape{}, {1.0})(0), tally::error);
}

TEST_CASE("Result compares shape and values exactly") {
  const tally::Result a(tally::Shape{2}, {0.5, 1.0});
  CHECK(a == tally::Result(tally::Shape{2}, {0.5, 1.0}));
  CHECK(a != tally::Result(tally::Shape{2}, {0.5, 0.9999999999999999}));
  CHECK(a != tally::Result(tally::Shape{1, 2}, {0.5, 1.0}));
  CHECK(tally::Result(tally::Shape{}, {1.0}) != tally::Result(tally::Shape{1}, {1.0}));
}

TEST_CASE("Result equality treats NaN as equal to NaN") {
  const tally::Result a(tally::Shape{2}, {qnan, 1.0});
  const tally::Result b(tally::Shape{2}, {qnan, 1.0});
  CHECK(a == b);
  CHECK_FALSE(a != b);
  CHECK(a != tally::Result(tally::Shape{2}, {0.0, 1.0}));
  CHECK(tally::Result(tally::Shape{}, {qnan}) == tally::Result(tally::Shape{}, {qnan}));
}

TEST_CASE("Result prints scalars plainly and tensors as nested brackets") {
  CHECK(core_to_string(tally::Result(tally::Shape{}, {0.5})) == "0.5");
  CHECK(core_to_string(tally::Result(tally::Shape{2}, {0.5, 1.0})) == "[0.5, 1]");
  CHECK(core_to_string(tally::Result(tally::Shape{2, 2}, {1.0, 2.0, 3.0, 4.0})) ==
        "[[1, 2], [3, 4]]");
  CHECK(core_to_string(tally::Result(tally::Shape{0}, {})) == "[]");
  const std::string with_nan = core_to_string(tally::Result(tally::Shape{1}, {qnan}));
  CHECK(with_nan.find("nan") != std::string::npos);
}

TEST_CASE("Result rejects values that do not fill its shape") {
  REQUIRE_THROWS_AS(tally::Result(tally::Shape{2, 2}, {1.0, 2.0, 3.0}), tally::error);
}
