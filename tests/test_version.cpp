// tally::version() reports the version macros. Also the build's smoke test: it needs nothing but
// <tally/version.hpp>, so its failure points at the include path or the test runner, not a metric.
#include <tally/version.hpp>

#include "tally_catch.hpp"

TEST_CASE("version() reports the version macros") {
  CHECK(tally::version().major == TALLY_VERSION_MAJOR);
  CHECK(tally::version().minor == TALLY_VERSION_MINOR);
  CHECK(tally::version().patch == TALLY_VERSION_PATCH);
}
