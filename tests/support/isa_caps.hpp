// Test-only: the instruction sets the kernel tests run, and the one guard that caps the counting
// kernels for a scope and restores the previous cap. Free of Catch2 so that the libFuzzer targets
// (tests/fuzz) use it too; tests/support/test_support.hpp adds the Catch2 check (require_isa).
#ifndef TALLY_TESTS_ISA_CAPS_HPP
#define TALLY_TESTS_ISA_CAPS_HPP

#include <tally/detail/isa.hpp>
#include <vector>

namespace tally_test {

using tally::detail::isa;

// Whether this CPU (capped by TALLY_ISA) runs `level`: it is on this platform's ladder, at or
// below the detected rung.
inline bool cpu_runs(isa level) {
  namespace td = tally::detail;
  return td::rank(level) <= td::rank(td::detected_isa()) && td::at_rank(td::rank(level)) == level;
}

// The caps the kernel tests run, lowest first: every rung this CPU runs. The emulated build
// (tests/support/emulate_x86.hpp) exists for the AVX-512 rungs, so it starts there; the lower
// rungs run natively in the other builds.
inline std::vector<isa> tested_isas() {
  namespace td = tally::detail;
#if defined(TALLY_KERNELS_EMULATED)
  const int lowest = td::rank(isa::avx512);
#else
  const int lowest = 0;
#endif
  std::vector<isa> out;
  for (int r = lowest; r <= td::rank(td::detected_isa()); ++r) out.push_back(td::at_rank(r));
  return out;
}

// Restores the ISA cap found at construction when it goes out of scope, also when a check throws
// (a REQUIRE, or a fuzz target's failure report) while the kernels are capped.
class isa_guard {
 public:
  // Keeps the current cap until cap() changes it. set_isa_cap() is the only way to read the cap:
  // swap any value in, then put the old one back.
  isa_guard() noexcept : previous_(tally::detail::set_isa_cap(isa::avx512)) {
    (void)tally::detail::set_isa_cap(previous_);
  }
  // Caps the kernels at `level` at once, without checking that the dispatch can run it.
  explicit isa_guard(isa level) noexcept : previous_(tally::detail::set_isa_cap(level)) {}
  ~isa_guard() { (void)tally::detail::set_isa_cap(previous_); }
  isa_guard(const isa_guard&) = delete;
  isa_guard& operator=(const isa_guard&) = delete;

  // Caps the kernels at `level`; returns whether the dispatch now runs exactly `level` (it does
  // not when the CPU lacks it).
  [[nodiscard]] bool cap(isa level) noexcept {
    (void)tally::detail::set_isa_cap(level);
    return tally::detail::active_isa() == level;
  }

 private:
  isa previous_;
};

}  // namespace tally_test

#endif  // TALLY_TESTS_ISA_CAPS_HPP
