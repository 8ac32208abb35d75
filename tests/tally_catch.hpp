// Test-only shim: the same Catch2 macros and matchers with Catch2 v3 or Debian's v2.13.
#ifndef TALLY_TESTS_CATCH_HPP
#define TALLY_TESTS_CATCH_HPP

#if defined(TALLY_CATCH2_V3)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif  // TALLY_TESTS_CATCH_HPP
