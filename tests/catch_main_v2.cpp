// Catch2 v2 needs one translation unit that defines main (Debian's package has no
// Catch2WithMain that supports everything we use); Catch2 v3 links Catch2::Catch2WithMain.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
