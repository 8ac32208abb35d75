// Build-system smoke test: the headers are found, the test runner links and runs.
#include <tally/version.hpp>

#include "tally_catch.hpp"

TEST_CASE("version() reports the version macros") {
  CHECK(tally::version().major == TALLY_VERSION_MAJOR);
  CHECK(tally::version().minor == TALLY_VERSION_MINOR);
  CHECK(tally::version().patch == TALLY_VERSION_PATCH);
}
