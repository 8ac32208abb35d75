// Extreme sizes: counts never overflow, inputs of more than 2^31 and 2^32 elements are indexed
// correctly, and C = 65536 classes work in O(C) memory.
//
//  - Views of billions of elements cost almost no memory: a small memfd holding a pattern is
//    mapped over and over into one contiguous read-only region (Linux only; elsewhere these cases
//    pass without running). The view ends exactly at a PROT_NONE guard, so any read past its end
//    faults. Preds and target repeat with different periods (4 MiB and 3 MiB of pattern), so the
//    pairs (pred, target) repeat only every 12 Mi elements, a period that does not divide 2^31 or
//    2^32: a kernel that wrapped an index at 32 bits would read other pairs and miscount. The
//    expected counts come from the patterns alone: one pair period counted by a plain loop, times
//    the number of whole periods, plus the tail.
//  - Nearly every pair lands in one bin (target 0, pred 1), the worst case for a narrow counter:
//    with n = 2^32 + 2^24 + 37 that bin receives more than 2^32 counts in one update, so every
//    32-bit counter the kernels keep (the hit/miss kernel's miss table, the packed 32/32 fields of
//    the large-C kernel) overflows unless it is folded in time; byte counters and the large-C
//    kernel's 21-bit fields cross their folds thousands of times. The table kernel's uint32
//    sub-histograms are flushed every 2^30 pairs; with its four copies (C = 64) an unflushed copy
//    would overflow after 2^34 pairs, which the optimized build runs.
//  - Allocations are counted by a replacement of the global operator new / delete (glibc only),
//    which also injects allocation failures for the "never std::bad_alloc" checks.
//
// Sizes depend on the build, since one multi-GiB update costs ~0.3-1.5 ns per element at -O2,
// ~1-15 ns at -O0 and 12-50 ns under ASan. The optimized build (CI: g++ -O2) runs the extreme
// sizes: more than 2^32 pairs wherever a kernel keeps a 32-bit counter (hit/miss, count_large,
// per-class, binary), 2^34 for the table kernel's copies, 2^31 for scores (2^32 floats), and the
// flush crossings under the other ISA caps. The -O0 build runs past 2^31 (past 2^30 for the
// table) on the AVX-512 kernels, which reach every fold of their kind; the sanitizer build runs
// one binary view of more than 2^31 elements (index arithmetic under UBSan, a multi-GiB mapping
// under ASan) and every fold crossing at 2^23 pairs. Every ISA cap runs in every build, at least
// at the small size. The checks are the same in every build; only sizes and caps differ.
// TALLY_EXTREME=full|debug|sanitized in the environment picks a tier explicitly (e.g.
// TALLY_EXTREME=full with a Debug build).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <new>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tally/detail/isa.hpp>
#include <tally/detail/kernels/scalar.hpp>  // kshared::table_copies
#include <tally/tally.hpp>
#include <type_traits>
#include <vector>

#include "support/test_support.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#define TALLY_EXT_BIG_VIEWS 1
#else
#define TALLY_EXT_BIG_VIEWS 0
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#define TALLY_EXT_COUNT_ALLOCS 1
#else
#define TALLY_EXT_COUNT_ALLOCS 0
#endif

// ------------------------------------------------------------------------------------------------
// Allocation counting (program-wide: replaces the global operator new / delete)
// ------------------------------------------------------------------------------------------------

namespace tally_ext_alloc {
std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
// Requests of at least this many bytes fail with std::bad_alloc (nullptr for nothrow forms).
std::atomic<std::size_t> fail_from{std::numeric_limits<std::size_t>::max()};

#if TALLY_EXT_COUNT_ALLOCS
inline void noted(void* p) noexcept {
  const std::size_t now = live_bytes.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  std::size_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
}

inline void* allocate(std::size_t n, std::size_t align, bool nothrow) {
  if (n >= fail_from.load(std::memory_order_relaxed)) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  if (n == 0) n = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else if (posix_memalign(&p, align, n) != 0) {
    p = nullptr;
  }
  if (p == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  noted(p);
  return p;
}

inline void release(void* p) noexcept {
  if (p == nullptr) return;
  live_bytes.fetch_sub(malloc_usable_size(p));
  std::free(p);
}
#endif
}  // namespace tally_ext_alloc

#if TALLY_EXT_COUNT_ALLOCS
void* operator new(std::size_t n) {
  return tally_ext_alloc::allocate(n, 0, false);
}
void* operator new[](std::size_t n) {
  return tally_ext_alloc::allocate(n, 0, false);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return tally_ext_alloc::allocate(n, 0, true);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return tally_ext_alloc::allocate(n, 0, true);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return tally_ext_alloc::allocate(n, static_cast<std::size_t>(a), false);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return tally_ext_alloc::allocate(n, static_cast<std::size_t>(a), false);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return tally_ext_alloc::allocate(n, static_cast<std::size_t>(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return tally_ext_alloc::allocate(n, static_cast<std::size_t>(a), true);
}
void operator delete(void* p) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  tally_ext_alloc::release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  tally_ext_alloc::release(p);
}
#endif

namespace {

using namespace tally_test;
namespace td = tally::detail;
using tally::Shape;
using td::isa;
using u64 = std::uint64_t;

// ------------------------------------------------------------------------------------------------
// Build tier, ISA caps, timing
// ------------------------------------------------------------------------------------------------

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TALLY_EXT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define TALLY_EXT_SANITIZED 1
#endif
#endif
#ifndef TALLY_EXT_SANITIZED
#define TALLY_EXT_SANITIZED 0
#endif

enum class ext_tier { sanitized, debug, full };

ext_tier ext_build_tier() {
  if (const char* env = std::getenv("TALLY_EXTREME")) {
    if (std::strcmp(env, "full") == 0) return ext_tier::full;
    if (std::strcmp(env, "debug") == 0) return ext_tier::debug;
    if (std::strcmp(env, "sanitized") == 0) return ext_tier::sanitized;
  }
#if TALLY_EXT_SANITIZED
  return ext_tier::sanitized;
#elif defined(__OPTIMIZE__)
  return ext_tier::full;
#else
  return ext_tier::debug;
#endif
}

const char* ext_tier_name(ext_tier t) {
  return t == ext_tier::full ? "full" : t == ext_tier::debug ? "debug" : "sanitized";
}

// One size, one ISA cap.
struct ext_run {
  isa level;
  std::size_t n;
};

// The runs of a case in this build's tier, restricted to the ISA levels the CPU has.
std::vector<ext_run> ext_runs(const std::vector<ext_run>& full, const std::vector<ext_run>& debug,
                              const std::vector<ext_run>& sanitized) {
  const ext_tier t = ext_build_tier();
  const std::vector<ext_run>& pick = t == ext_tier::full    ? full
                                     : t == ext_tier::debug ? debug
                                                            : sanitized;
  std::vector<ext_run> out;
  for (const ext_run& r : pick)
    if (cpu_runs(r.level)) out.push_back(r);
  return out;
}

constexpr std::size_t ext_2p(int k) {
  return std::size_t{1} << k;
}

// 2^32 + 2^24 + 37: more than 2^32 pairs in the hot bin, a tail of 37 after whole vectors.
constexpr std::size_t ext_past_2p32 = ext_2p(32) + ext_2p(24) + 37;
// 2^31 + 2^23 + 37: past 2^31 (the int32 limit, the hit/miss fold, count_large's chunk).
constexpr std::size_t ext_past_2p31 = ext_2p(31) + ext_2p(23) + 37;
// 2^30 + 2^22 + 37: past the table kernel's flush interval.
constexpr std::size_t ext_past_2p30 = ext_2p(30) + ext_2p(22) + 37;
// 2^34 + 2^26 + 37: four table copies of 2^32 + ... each (C = 64).
constexpr std::size_t ext_past_2p34 = ext_2p(34) + ext_2p(26) + 37;
// Small sizes still cross every byte-counter fold (255 steps) and 21-bit field (2^21) often.
constexpr std::size_t ext_small = ext_2p(23) + 37;

struct ext_stopwatch {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  [[nodiscard]] double cpu_seconds() const {
    return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  // With TALLY_EXTREME_VERBOSE set, prints what ran and how long it took.
  void report(const char* what, std::size_t n, isa level) const {
    if (std::getenv("TALLY_EXTREME_VERBOSE"))
      std::fprintf(stderr, "[extreme] %-10s n=%-11zu isa=%-6s %7.2f s wall %7.2f s cpu\n", what, n,
                   td::to_string(level), seconds(), cpu_seconds());
  }
};

// ------------------------------------------------------------------------------------------------
// Periodic views: a small pattern mapped over and over into one contiguous region
// ------------------------------------------------------------------------------------------------

// Element i of the view is pattern[(phase + i) % pattern.size()].
template <class T>
class ext_periodic {
 public:
  ext_periodic(const std::vector<T>& pattern, std::size_t count) : count_(count) {
#if TALLY_EXT_BIG_VIEWS
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t period_bytes = pattern.size() * sizeof(T);
    if (period_bytes % page != 0) {
      error_ = "pattern is not a whole number of pages";
      return;
    }
    // Slices of at least 2 MiB keep the number of mappings low.
    const std::size_t reps = (std::size_t{2} << 20) / period_bytes + 1;
    slice_ = period_bytes * reps;
    const std::size_t bytes = count * sizeof(T);
    const std::size_t slices = (bytes + slice_ - 1) / slice_;
    mapped_ = slices * slice_;
    reserved_ = mapped_ + guard_bytes;
    const int fd = memfd_create("tally_extreme", MFD_CLOEXEC);
    if (fd < 0) {
      error_ = "memfd_create failed";
      return;
    }
    bool ok = ftruncate(fd, static_cast<off_t>(slice_)) == 0;
    if (ok) {
      void* w = mmap(nullptr, slice_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      ok = w != MAP_FAILED;
      if (ok) {
        for (std::size_t r = 0; r < reps; ++r)
          std::memcpy(static_cast<char*>(w) + r * period_bytes, pattern.data(), period_bytes);
        munmap(w, slice_);
      }
    }
    if (ok) {
      void* base =
          mmap(nullptr, reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      ok = base != MAP_FAILED;
      if (ok) {
        base_ = static_cast<char*>(base);
        for (std::size_t s = 0; s < slices && ok; ++s)
          ok = mmap(base_ + s * slice_, slice_, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
                    fd, 0) != MAP_FAILED;
      }
    }
    close(fd);
    if (!ok) {
      error_ = "mmap failed";
      return;
    }
    // The view ends where the guard begins.
    data_ = reinterpret_cast<const T*>(base_ + mapped_ - bytes);
    phase_ = ((mapped_ - bytes) / sizeof(T)) % pattern.size();
#else
    (void)pattern;
    error_ = "periodic views need Linux (memfd_create)";
#endif
  }
  ~ext_periodic() {
#if TALLY_EXT_BIG_VIEWS
    if (base_ != nullptr) munmap(base_, reserved_);
#endif
  }
  ext_periodic(const ext_periodic&) = delete;
  ext_periodic& operator=(const ext_periodic&) = delete;

  [[nodiscard]] bool ok() const {
    return data_ != nullptr;
  }
  [[nodiscard]] const std::string& error() const {
    return error_;
  }
  [[nodiscard]] const T* data() const {
    return data_;
  }
  [[nodiscard]] std::size_t size() const {
    return count_;
  }
  [[nodiscard]] std::size_t phase() const {
    return phase_;
  }

 private:
  static constexpr std::size_t guard_bytes = std::size_t{1} << 20;
  std::size_t count_ = 0, slice_ = 0, mapped_ = 0, reserved_ = 0, phase_ = 0;
  char* base_ = nullptr;
  const T* data_ = nullptr;
  std::string error_;
};

// Skips the rest of a case (it passes) where periodic views cannot be made.
#define TALLY_EXT_REQUIRE_VIEW(v)                         \
  do {                                                    \
    if (!(v).ok()) {                                      \
      WARN("extreme-size case not run: " << (v).error()); \
      return;                                             \
    }                                                     \
  } while (0)

// Patterns (pages of 1-byte labels). Preds: 4 MiB, class 1 almost everywhere. Target: 3 MiB,
// class 0 almost everywhere, some other classes and the void label 255. The hot pair
// (target 0, pred 1) is a miss, so it is counted by the kernels' miss / off-diagonal counters.
std::vector<std::uint8_t> ext_pred_pattern(std::size_t C) {
  std::vector<std::uint8_t> p(ext_2p(22), 1);
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (j % 5003 == 0) p[j] = 0;
    if (j % 6007 == 3) p[j] = static_cast<std::uint8_t>(2 % C);
    if (j % 7001 == 5) p[j] = static_cast<std::uint8_t>((j / 7001) % C);
  }
  return p;
}

std::vector<std::uint8_t> ext_target_pattern(std::size_t C) {
  std::vector<std::uint8_t> t(3 * ext_2p(20), 0);
  for (std::size_t j = 0; j < t.size(); ++j) {
    if (j % 4099 == 0) t[j] = static_cast<std::uint8_t>((j / 4099) % C);
    if (j % 8191 == 17) t[j] = 255;
  }
  return t;
}

// ------------------------------------------------------------------------------------------------
// References: counts of periodic pairs from the patterns alone
// ------------------------------------------------------------------------------------------------

struct ext_counts {
  std::vector<u64> tp, pred, target;
  u64 kept = 0;
  u64 hot = 0;  // pairs (target 0, pred 1)
  explicit ext_counts(std::size_t C) : tp(C, 0), pred(C, 0), target(C, 0) {}
  void add(const ext_counts& o, u64 times) {
    for (std::size_t c = 0; c < tp.size(); ++c) {
      tp[c] += o.tp[c] * times;
      pred[c] += o.pred[c] * times;
      target[c] += o.target[c] * times;
    }
    kept += o.kept * times;
    hot += o.hot * times;
  }
};

// Counts the pairs i in [0, m) of preds pattern pp (from phase pph) and target pattern tt (from
// phase tph); target == ii is dropped.
template <class P, class T>
ext_counts ext_count_pairs(const std::vector<P>& pp, std::size_t pph, const std::vector<T>& tt,
                           std::size_t tph, std::size_t m, std::size_t C, std::int64_t ii) {
  ext_counts out(C);
  std::size_t a = pph % pp.size(), b = tph % tt.size();
  for (std::size_t i = 0; i < m; ++i) {
    const std::int64_t t = static_cast<std::int64_t>(tt[b]);
    const std::int64_t p = static_cast<std::int64_t>(pp[a]);
    if (++a == pp.size()) a = 0;
    if (++b == tt.size()) b = 0;
    if (t == ii) continue;
    ++out.kept;
    ++out.target[static_cast<std::size_t>(t)];
    ++out.pred[static_cast<std::size_t>(p)];
    if (t == p) ++out.tp[static_cast<std::size_t>(t)];
    if (t == 0 && p == 1) ++out.hot;
  }
  return out;
}

// The counts of the first n pairs: whole pair periods, then the tail.
template <class P, class T>
ext_counts ext_expected(const std::vector<P>& pp, std::size_t pph, const std::vector<T>& tt,
                        std::size_t tph, std::size_t n, std::size_t C, std::int64_t ii) {
  const std::size_t L = std::lcm(pp.size(), tt.size());
  ext_counts out(C);
  if (n >= L) out.add(ext_count_pairs(pp, pph, tt, tph, L, C, ii), n / L);
  out.add(ext_count_pairs(pp, pph, tt, tph, n % L, C, ii), 1);
  return out;
}

// The [[tn, fp], [fn, tp]] blocks of a metric equal the expected counts, class by class.
template <class M>
void ext_check_blocks(const M& m, const ext_counts& e) {
  const auto v = m.counts();
  const std::size_t C = e.tp.size();
  REQUIRE(v.size() == 4 * C);
  std::size_t wrong = 0, first = C;
  for (std::size_t c = 0; c < C; ++c) {
    const u64 tp = e.tp[c], fp = e.pred[c] - tp, fn = e.target[c] - tp;
    const u64 tn = e.kept - tp - fp - fn;
    if (v[4 * c] != tn || v[4 * c + 1] != fp || v[4 * c + 2] != fn || v[4 * c + 3] != tp) {
      if (first == C) first = c;
      ++wrong;
    }
  }
  if (wrong != 0) {
    const std::size_t c = first;
    INFO("class " << c << ": got [tn fp fn tp] = [" << v[4 * c] << " " << v[4 * c + 1] << " "
                  << v[4 * c + 2] << " " << v[4 * c + 3] << "], expected tp " << e.tp[c]
                  << ", pred " << e.pred[c] << ", target " << e.target[c] << ", kept " << e.kept);
    CHECK(wrong == 0);
  }
}

// One update of a periodic multiclass label view into a fresh StatScores, under `level`. With
// need_hot_past_2p32 the hot bin must get more than 2^32 counts in each of hot_copies equal
// shares (the table kernel's interleaved copies).
void ext_multiclass_case(std::size_t C, const ext_run& r, bool need_hot_past_2p32,
                         u64 hot_copies = 1) {
  const ext_stopwatch all;
  const std::vector<std::uint8_t> pp = ext_pred_pattern(C), tt = ext_target_pattern(C);
  ext_periodic<std::uint8_t> pv(pp, r.n), tv(tt, r.n);
  TALLY_EXT_REQUIRE_VIEW(pv);
  TALLY_EXT_REQUIRE_VIEW(tv);
  const ext_counts e = ext_expected(pp, pv.phase(), tt, tv.phase(), r.n, C, 255);
  if (need_hot_past_2p32) REQUIRE(e.hot / hot_copies > ext_2p(32));
  isa_guard guard;
  require_isa(guard, r.level);
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  o.ignore_index = 255;
  o.average = tally::Average::none;
  tally::MulticlassStatScores m(o);
  const ext_stopwatch sw;
  m.update(tally::tensor_view<const std::uint8_t>(pv.data(), Shape{r.n}),
           tally::tensor_view<const std::uint8_t>(tv.data(), Shape{r.n}));
  INFO("C = " << C << ", n = " << r.n << ", isa " << td::to_string(r.level) << ", tier "
              << ext_tier_name(ext_build_tier()) << ", update " << sw.seconds() << " s");
  ext_check_blocks(m, e);
  all.report(C == 8 ? "C=8" : C == 64 ? "C=64" : C == 100 ? "C=100" : "C=3", r.n, r.level);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// 1. Multiclass label kernels, one update each
// ------------------------------------------------------------------------------------------------

TEST_CASE("extreme: hit/miss kernel, more than 2^31 (optimized: 2^32) misses in one cell") {
  // C = 8, 1-byte labels, the hit/miss kernel forced (the automatic choice would take the table
  // for data that miss this often): its uint32 miss table folds every 2^31 misses (here it folds
  // twice, and the hot cell alone exceeds 2^32). Scalar has no hit/miss kernel: the table, flushed
  // every 2^30 pairs.
  const td::label_kernel previous = td::set_label_kernel(td::label_kernel::hit_miss);
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512vbmi2, ext_past_2p32},
                {isa::avx512, ext_past_2p32},
                {isa::avx2, ext_past_2p32},
                {isa::neon, ext_past_2p31},
                {isa::scalar, ext_past_2p30}},
               {{isa::avx512vbmi2, ext_past_2p31},
                {isa::avx512, ext_small},
                {isa::avx2, ext_small},
                {isa::neon, ext_small},
                {isa::scalar, ext_small}},
               {{isa::avx512vbmi2, ext_small},
                {isa::avx512, ext_small},
                {isa::avx2, ext_small},
                {isa::neon, ext_small},
                {isa::scalar, ext_small}});
  for (const ext_run& r : runs) ext_multiclass_case(8, r, r.n >= ext_past_2p32);
  (void)td::set_label_kernel(previous);
}

TEST_CASE("extreme: table kernel past its 2^30 flush, and past 2^32 per sub-histogram copy") {
  // C = 64, 1-byte labels: the (C*C + 2)-bin table kernel under every cap, table_copies(64) = 4
  // interleaved uint32 copies. 2^34 + ... pairs put more than 2^32 counts into each copy of the
  // hot bin (the check fails if the kernel takes more copies and the size is not raised).
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512, ext_past_2p34}, {isa::avx2, ext_past_2p30}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_past_2p30}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}});
  for (const ext_run& r : runs)
    ext_multiclass_case(64, r, r.n >= ext_past_2p34, td::kshared::table_copies(64));
}

TEST_CASE("extreme: large-C kernels past their packed-field folds and chunks") {
  // C = 100: count_large under every cap, tp, predicted and target packed in 21-bit fields of one
  // uint64 per class, folded every ~2^21 elements.
  const std::vector<ext_run> runs =
      ext_runs({{isa::scalar, ext_past_2p32}, {isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}},
               {{isa::avx512, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::scalar, ext_small}});
  for (const ext_run& r : runs) ext_multiclass_case(100, r, r.n >= ext_past_2p32);
}

TEST_CASE("extreme: per-class byte counters, one class takes every count of 2^31+ pairs") {
  // C = 3, 1-byte labels: per-class SIMD compare-and-count with byte counters folded every 255
  // steps (AVX-512 and AVX2); scalar: the table kernel with eight copies.
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512, ext_past_2p32}, {isa::avx2, ext_past_2p30}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}});
  for (const ext_run& r : runs) ext_multiclass_case(3, r, r.n >= ext_past_2p32);
}

namespace {

// ------------------------------------------------------------------------------------------------
// Binary, multilabel, scores, DiceScore helpers
// ------------------------------------------------------------------------------------------------

// Binary blocks [[tn, fp], [fn, tp]] from counts over classes {0, 1}.
template <class M>
void ext_check_binary(const M& m, const ext_counts& e) {
  const auto v = m.counts();
  REQUIRE(v.size() == 4);
  const u64 tp = e.tp[1], fp = e.pred[1] - tp, fn = e.target[1] - tp, tn = e.kept - tp - fp - fn;
  CHECK(v[0] == tn);
  CHECK(v[1] == fp);
  CHECK(v[2] == fn);
  CHECK(v[3] == tp);
}

// Class scores of a (1, 2, R) view: s0[r] = pat[(ph + r) % P], s1[r] = pat[(ph + R + r) % P];
// the predicted class is 1 iff s1 > s0 (a tie goes to class 0).
std::vector<float> ext_score_pattern() {
  std::vector<float> s(ext_2p(20), 0.25f);
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (j % 3001 == 0) s[j] = 0.75f;
    if (j % 2999 == 7) s[j] = 0.125f;
  }
  return s;
}

ext_counts ext_expected_scores(const std::vector<float>& sp, std::size_t sph, std::size_t R,
                               const std::vector<std::uint8_t>& tt, std::size_t tph) {
  // Predicted labels as a pattern of period sp.size(), then pairs as for labels.
  std::vector<std::uint8_t> labels(sp.size());
  for (std::size_t j = 0; j < sp.size(); ++j) {
    const float s0 = sp[(sph + j) % sp.size()], s1 = sp[(sph + R + j) % sp.size()];
    labels[j] = s1 > s0 ? 1 : 0;
  }
  return ext_expected(labels, 0, tt, tph, R, 2, 255);
}

// Multilabel (N, L, R) in memory: element (n, l, r) is counted for label l. Almost every element
// is a true positive of label 0 (the hot counter), a few are not.
struct ext_ml_data {
  std::vector<std::uint8_t> preds, target;
  std::vector<float> fpreds;
  std::size_t N, L, R;
};

ext_ml_data ext_make_multilabel(std::size_t N, std::size_t L, std::size_t R) {
  ext_ml_data d{{}, {}, {}, N, L, R};
  const std::size_t n = N * L * R;
  d.preds.assign(n, 1);
  d.target.assign(n, 1);
  d.fpreds.assign(n, 0.875f);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t l = (i / R) % L;
    if (l != 0 && i % 3 == 0) d.target[i] = 0;
    if (i % 97 == 0) {
      d.preds[i] = 0;
      d.fpreds[i] = 0.25f;
    }
    if (i % 89 == 1) d.target[i] = 0;
    if (i % 101 == 2) d.target[i] = 255;
  }
  return d;
}

// Expected multilabel blocks, label by label.
std::vector<u64> ext_multilabel_blocks(const ext_ml_data& d) {
  std::vector<u64> b(4 * d.L, 0);
  for (std::size_t i = 0; i < d.preds.size(); ++i) {
    const std::size_t l = (i / d.R) % d.L;
    if (d.target[i] == 255) continue;
    const bool t = d.target[i] == 1, p = d.preds[i] == 1;
    ++b[4 * l + (t ? 2 : 0) + (p ? 1 : 0)];
  }
  return b;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// 2. Binary and multilabel kernels
// ------------------------------------------------------------------------------------------------

TEST_CASE("extreme: binary kernel over one view of more than 2^31 elements (2^32 when optimized)") {
  // One unit: the run kernel, byte lanes folded every 255 rounds into 64-bit sums; the hot pair
  // (target 0, pred 1) is a false positive on every lane.
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512, ext_past_2p32}, {isa::avx2, ext_past_2p32}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}, {isa::scalar, ext_small}});
  const std::vector<std::uint8_t> pp = ext_pred_pattern(2), tt = ext_target_pattern(2);
  for (const ext_run& r : runs) {
    const ext_stopwatch all;
    ext_periodic<std::uint8_t> pv(pp, r.n), tv(tt, r.n);
    TALLY_EXT_REQUIRE_VIEW(pv);
    TALLY_EXT_REQUIRE_VIEW(tv);
    const ext_counts e = ext_expected(pp, pv.phase(), tt, tv.phase(), r.n, 2, 255);
    if (r.n >= ext_past_2p32) REQUIRE(e.hot > ext_2p(32));
    isa_guard guard;
    require_isa(guard, r.level);
    tally::Binary::Options o;
    o.ignore_index = 255;
    tally::BinaryStatScores m(o);
    const ext_stopwatch sw;
    m.update(tally::tensor_view<const std::uint8_t>(pv.data(), Shape{r.n}),
             tally::tensor_view<const std::uint8_t>(tv.data(), Shape{r.n}));
    INFO("n = " << r.n << ", isa " << td::to_string(r.level) << ", update " << sw.seconds()
                << " s");
    ext_check_binary(m, e);
    // The result row [tp, fp, tn, fn, support] is exact in double.
    const tally::Result res = m.compute();
    REQUIRE(res.size() == 5);
    CHECK(res[0] == static_cast<double>(e.tp[1]));
    CHECK(res[1] == static_cast<double>(e.pred[1] - e.tp[1]));
    CHECK(res[4] == static_cast<double>(e.target[1]));
    all.report("binary", r.n, r.level);
  }
}

TEST_CASE("extreme: multilabel byte lanes past their folds, one label takes nearly every count") {
  // Period kernel (L * R = 5), column blocks (L * R = 3 * 700 > 1024), long runs (R = 300),
  // integral and floating preds, every ISA cap; about 2^22 elements each, i.e. hundreds of folds.
  for (const isa level : tested_isas()) {
    isa_guard guard;
    require_isa(guard, level);
    struct shape3 {
      std::size_t N, L, R;
    };
    for (const shape3 s :
         {shape3{ext_2p(22) / 5, 5, 1}, shape3{2000, 3, 700}, shape3{4600, 3, 300}}) {
      const ext_ml_data d = ext_make_multilabel(s.N, s.L, s.R);
      const std::vector<u64> expected = ext_multilabel_blocks(d);
      tally::Multilabel::Options o;
      o.num_labels = static_cast<std::int64_t>(s.L);
      o.ignore_index = 255;
      o.average = tally::Average::none;
      const Shape shape{s.N, s.L, s.R};
      tally::MultilabelStatScores mi(o), mf(o);
      mi.update(tally::tensor_view<const std::uint8_t>(d.preds.data(), shape),
                tally::tensor_view<const std::uint8_t>(d.target.data(), shape));
      mf.update(tally::tensor_view<const float>(d.fpreds.data(), shape),
                tally::tensor_view<const std::uint8_t>(d.target.data(), shape));
      INFO("isa " << td::to_string(level) << ", shape (" << s.N << ", " << s.L << ", " << s.R
                  << ")");
      const auto vi = mi.counts(), vf = mf.counts();
      REQUIRE(vi.size() == expected.size());
      REQUIRE(vf.size() == expected.size());
      for (std::size_t k = 0; k < expected.size(); ++k) {
        INFO("count " << k);
        CHECK(vi[k] == expected[k]);
        CHECK(vf[k] == expected[k]);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// 3. Scores, DiceScore
// ------------------------------------------------------------------------------------------------

TEST_CASE("extreme: multiclass scores (1, 2, R), R > 2^31 when optimized: more than 2^32 scores") {
  // The argmax kernels read class c of position r at c * R + r, past 2^32 floats here; their
  // labels are counted a block at a time.
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}});
  const std::vector<float> sp = ext_score_pattern();
  const std::vector<std::uint8_t> tt = ext_target_pattern(2);
  for (const ext_run& r : runs) {
    const ext_stopwatch all;
    const std::size_t R = r.n;
    ext_periodic<float> sv(sp, 2 * R);
    ext_periodic<std::uint8_t> tv(tt, R);
    TALLY_EXT_REQUIRE_VIEW(sv);
    TALLY_EXT_REQUIRE_VIEW(tv);
    const ext_counts e = ext_expected_scores(sp, sv.phase(), R, tt, tv.phase());
    isa_guard guard;
    require_isa(guard, r.level);
    tally::Multiclass::Options o;
    o.num_classes = 2;
    o.ignore_index = 255;
    o.average = tally::Average::none;
    tally::MulticlassStatScores m(o);
    const ext_stopwatch sw;
    m.update(tally::tensor_view<const float>(sv.data(), Shape{1, 2, R}),
             tally::tensor_view<const std::uint8_t>(tv.data(), Shape{1, R}));
    INFO("R = " << R << ", isa " << td::to_string(r.level) << ", update " << sw.seconds() << " s");
    ext_check_blocks(m, e);
    all.report("scores", R, r.level);
  }
}

TEST_CASE("extreme: DiceScore index maps, one sample past every fold") {
  // A (1, R) label map is one call of the label kernels: with C = 8 the hit/miss kernel (AVX-512
  // VBMI2) or the table kernel; global aggregation keeps I, P, T per class.
  const std::vector<ext_run> runs =
      ext_runs({{isa::avx512, ext_past_2p31}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}},
               {{isa::avx512, ext_small}, {isa::avx2, ext_small}, {isa::scalar, ext_small}});
  const std::size_t C = 8;
  const std::vector<std::uint8_t> pp = ext_pred_pattern(C), tt = ext_target_pattern(C);
  for (const ext_run& r : runs) {
    const ext_stopwatch all;
    ext_periodic<std::uint8_t> pv(pp, r.n), tv(tt, r.n);
    TALLY_EXT_REQUIRE_VIEW(pv);
    TALLY_EXT_REQUIRE_VIEW(tv);
    const ext_counts e = ext_expected(pp, pv.phase(), tt, tv.phase(), r.n, C, 255);
    if (r.n >= ext_past_2p32) REQUIRE(e.hot > ext_2p(32));
    isa_guard guard;
    require_isa(guard, r.level);
    tally::DiceScore::Options o;
    o.num_classes = static_cast<std::int64_t>(C);
    o.ignore_index = 255;
    o.input_format = tally::InputFormat::index;
    o.aggregation_level = tally::AggregationLevel::global;
    o.average = tally::Average::none;
    tally::DiceScore dice(o);
    dice.update(tally::tensor_view<const std::uint8_t>(pv.data(), Shape{1, r.n}),
                tally::tensor_view<const std::uint8_t>(tv.data(), Shape{1, r.n}));
    INFO("n = " << r.n << ", isa " << td::to_string(r.level));
    const auto v = dice.counts();
    REQUIRE(v.size() == 3 * C);
    const tally::Result res = dice.compute();
    REQUIRE(res.size() == C);
    for (std::size_t c = 0; c < C; ++c) {
      INFO("class " << c);
      CHECK(v[c] == e.tp[c]);
      CHECK(v[C + c] == e.pred[c]);
      CHECK(v[2 * C + c] == e.target[c]);
      const double den = static_cast<double>(e.pred[c] + e.target[c]);
      CHECK_THAT(res[c],
                 Catch::Matchers::WithinRel(2.0 * static_cast<double>(e.tp[c]) / den, 1e-12));
    }
    all.report("dice", r.n, r.level);
  }
}

// ------------------------------------------------------------------------------------------------
// 4. Many updates, merge, compute at those sizes
// ------------------------------------------------------------------------------------------------

namespace {

template <class X>
struct ext_type {
  using type = X;
};

// Expected score of one class (or of summed counts) from exact counts, in long double.
long double ext_score(const char* kind, long double tp, long double fp, long double tn,
                      long double fn) {
  auto ratio = [](long double a, long double b) { return b == 0 ? 0.0L : a / b; };
  const std::string k = kind;
  if (k == "precision") return ratio(tp, tp + fp);
  if (k == "recall" || k == "accuracy") return ratio(tp, tp + fn);
  if (k == "f1") return ratio(2 * tp, 2 * tp + fp + fn);
  if (k == "jaccard") return ratio(tp, tp + fp + fn);
  return ratio(tn, tn + fp);  // specificity
}

// compute() of a multiclass score metric (none, macro, micro) built by `make` equals the score of
// the expected counts `e` times `scale` (classes with tp + fp + fn = 0 would be left out of macro;
// every class occurs here).
template <class Make>
void ext_check_scores(const char* kind, const ext_counts& e, u64 scale, Make&& make) {
  const std::size_t C = e.tp.size();
  std::vector<long double> per(C);
  long double stp = 0, sfp = 0, stn = 0, sfn = 0, macro = 0;
  for (std::size_t c = 0; c < C; ++c) {
    const long double tp = static_cast<long double>(e.tp[c] * scale);
    const long double fp = static_cast<long double>((e.pred[c] - e.tp[c]) * scale);
    const long double fn = static_cast<long double>((e.target[c] - e.tp[c]) * scale);
    const long double tn = static_cast<long double>(e.kept * scale) - tp - fp - fn;
    REQUIRE(tp + fp + fn > 0);
    per[c] = ext_score(kind, tp, fp, tn, fn);
    macro += per[c] / static_cast<long double>(C);
    stp += tp, sfp += fp, stn += tn, sfn += fn;
  }
  const long double micro = ext_score(kind, stp, sfp, stn, sfn);
  for (tally::Average avg : {tally::Average::none, tally::Average::macro, tally::Average::micro}) {
    const tally::Result r = make(avg).compute();
    INFO(kind << ", average " << static_cast<int>(avg) << ", scale " << scale);
    if (avg == tally::Average::none) {
      REQUIRE(r.size() == C);
      for (std::size_t c = 0; c < C; ++c)
        CHECK_THAT(r[c], Catch::Matchers::WithinRel(static_cast<double>(per[c]), 1e-12));
    } else {
      CHECK_THAT(r.value(),
                 Catch::Matchers::WithinRel(
                     static_cast<double>(avg == tally::Average::macro ? macro : micro), 1e-12));
    }
  }
}

// A score metric of kind M updated once with (p, t), then merged with copies of itself until its
// counts are `scale` times those of the update.
template <class M>
M ext_scaled(tally::Average avg, const std::uint8_t* p, const std::uint8_t* t, std::size_t n,
             std::size_t C, u64 scale) {
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  o.ignore_index = 255;
  o.average = avg;
  M m(o);
  m.update(tally::tensor_view<const std::uint8_t>(p, Shape{n}),
           tally::tensor_view<const std::uint8_t>(t, Shape{n}));
  for (u64 s = 1; s < scale; s *= 2) {
    const M copy = m;
    m += copy;
  }
  return m;
}

}  // namespace

TEST_CASE("extreme: many updates and merges push counts past 2^32, compute() stays exact") {
  // 17 updates of 2^28 + 37 pairs (sanitized build: 2^20 + 37, then merges carry the counts past
  // 2^32): the hot counts exceed 2^32 in the accumulator, not in one update.
  const std::size_t C = 3;
  const bool small = ext_build_tier() == ext_tier::sanitized;
  const std::size_t n = small ? ext_2p(20) + 37 : ext_2p(28) + 37;  // 17 x: past 2^32
  const u64 K = 17;
  const std::vector<std::uint8_t> pp = ext_pred_pattern(C), tt = ext_target_pattern(C);
  ext_periodic<std::uint8_t> pv(pp, n), tv(tt, n);
  TALLY_EXT_REQUIRE_VIEW(pv);
  TALLY_EXT_REQUIRE_VIEW(tv);
  const ext_counts once = ext_expected(pp, pv.phase(), tt, tv.phase(), n, C, 255);
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  o.ignore_index = 255;
  o.average = tally::Average::none;
  tally::MulticlassStatScores m(o);
  const tally::tensor_view<const std::uint8_t> p(pv.data(), Shape{n}), t(tv.data(), Shape{n});
  const ext_stopwatch sw;
  for (u64 k = 0; k < K; ++k) m.update(p, t);
  INFO(K << " updates of " << n << " pairs: " << sw.seconds() << " s");
  sw.report("17updates", n, td::active_isa());
  ext_counts e(C);
  e.add(once, K);
  if (!small) REQUIRE(e.hot > ext_2p(32));
  ext_check_blocks(m, e);

  // Two such accumulators merged, then doubled by merges up to 2^8 times: still exact.
  tally::MulticlassStatScores big = m;
  big += m;
  ext_counts e2(C);
  e2.add(once, 2 * K);
  ext_check_blocks(big, e2);
  for (int d = 0; d < 8; ++d) {
    const tally::MulticlassStatScores copy = big;
    big.merge(copy);
  }
  ext_counts eb(C);
  eb.add(once, 2 * K * 256);
  REQUIRE(eb.hot > ext_2p(32));
  ext_check_blocks(big, eb);
  // compute(): rows [tp, fp, tn, fn, support], exact in double below 2^53.
  const tally::Result rows = big.compute();
  REQUIRE(rows.size() == 5 * C);
  for (std::size_t c = 0; c < C; ++c) {
    const u64 tp = eb.tp[c], fp = eb.pred[c] - tp, fn = eb.target[c] - tp;
    CHECK(rows[5 * c] == static_cast<double>(tp));
    CHECK(rows[5 * c + 1] == static_cast<double>(fp));
    CHECK(rows[5 * c + 2] == static_cast<double>(eb.kept - tp - fp - fn));
    CHECK(rows[5 * c + 3] == static_cast<double>(fn));
    CHECK(rows[5 * c + 4] == static_cast<double>(eb.target[c]));
  }

  // Every score metric at counts of about 2^40 (one update of 2^20 + 37 pairs, merged 2^20-fold).
  const std::size_t ns = ext_2p(20) + 37;
  ext_periodic<std::uint8_t> ps(pp, ns), ts(tt, ns);
  TALLY_EXT_REQUIRE_VIEW(ps);
  TALLY_EXT_REQUIRE_VIEW(ts);
  const ext_counts es = ext_expected(pp, ps.phase(), tt, ts.phase(), ns, C, 255);
  const u64 scale = u64{1} << 20;
  auto check = [&](const char* kind, auto tag) {
    using M = typename decltype(tag)::type;
    ext_check_scores(kind, es, scale, [&](tally::Average avg) {
      return ext_scaled<M>(avg, ps.data(), ts.data(), ns, C, scale);
    });
  };
  check("precision", ext_type<tally::MulticlassPrecision>{});
  check("recall", ext_type<tally::MulticlassRecall>{});
  check("f1", ext_type<tally::MulticlassF1Score>{});
  check("jaccard", ext_type<tally::MulticlassJaccardIndex>{});
  check("accuracy", ext_type<tally::MulticlassAccuracy>{});
  check("specificity", ext_type<tally::MulticlassSpecificity>{});
}

// ------------------------------------------------------------------------------------------------
// 5. C = 65536 with uint16 labels: exact, every class, O(C) memory
// ------------------------------------------------------------------------------------------------

namespace {

// Peak of the bytes allocated (beyond those live at construction) while the scope lives.
class ext_peak_scope {
 public:
  ext_peak_scope() : base_(tally_ext_alloc::live_bytes.load()) {
    tally_ext_alloc::peak_bytes.store(base_);
  }
  [[nodiscard]] std::size_t peak() const { return tally_ext_alloc::peak_bytes.load() - base_; }

 private:
  std::size_t base_;
};

// Requests of at least `bytes` fail while the scope lives.
class ext_fail_scope {
 public:
  explicit ext_fail_scope(std::size_t bytes) { tally_ext_alloc::fail_from.store(bytes); }
  ext_fail_scope(const ext_fail_scope&) = delete;
  ext_fail_scope& operator=(const ext_fail_scope&) = delete;
  ~ext_fail_scope() { tally_ext_alloc::fail_from.store(std::numeric_limits<std::size_t>::max()); }
};

// Peak bytes allocated by constructing M, one update and one compute().
template <class M, class P, class T>
std::size_t ext_peak_of(const tally::Multiclass::Options& o, const std::vector<P>& p,
                        const std::vector<T>& t, double& sink) {
  std::size_t peak = 0;
  {
    const ext_peak_scope scope;
    M m(o);
    m.update(p, t);
    const tally::Result r = m.compute();
    sink += r[0];
    peak = scope.peak();
  }
  return peak;
}

template <class P, class T>
void ext_65536_case(const std::vector<P>& p, const std::vector<T>& t, std::int64_t ii) {
  const std::size_t C = 65536;
  const ext_counts e = ext_expected(p, 0, t, 0, p.size(), C, ii);
  std::size_t absent = 0;
  for (std::size_t c = 0; c < C; ++c) absent += e.target[c] == 0 && e.pred[c] == 0;
  REQUIRE(absent == 0);  // every class is counted
  tally::Multiclass::Options o;
  o.num_classes = static_cast<std::int64_t>(C);
  o.ignore_index = ii;
  for (const isa level : tested_isas()) {
    isa_guard guard;
    require_isa(guard, level);
    INFO("isa " << td::to_string(level) << ", ignore_index " << ii);
    o.average = tally::Average::none;
    tally::MulticlassStatScores m(o);
    m.update(p, t);
    ext_check_blocks(m, e);
    const tally::Result rows = m.compute();
    REQUIRE(rows.size() == 5 * C);
    CHECK(rows[5 * 65534] == static_cast<double>(e.tp[65534]));

    // Memory: the state is 4 counters per class; an update adds three histograms and scratch
    // counters. Nothing may grow with C * C (2^32 cells) or with the input.
    double sink = 0;
    std::vector<std::pair<const char*, std::size_t>> peaks;
#if TALLY_EXT_COUNT_ALLOCS
    o.average = tally::Average::none;
    peaks.push_back({"StatScores", ext_peak_of<tally::MulticlassStatScores>(o, p, t, sink)});
    o.average = tally::Average::macro;
    peaks.push_back({"Precision", ext_peak_of<tally::MulticlassPrecision>(o, p, t, sink)});
    o.average = tally::Average::weighted;
    peaks.push_back({"Recall", ext_peak_of<tally::MulticlassRecall>(o, p, t, sink)});
    o.average = tally::Average::micro;
    peaks.push_back({"F1Score", ext_peak_of<tally::MulticlassF1Score>(o, p, t, sink)});
    o.average = tally::Average::macro;
    peaks.push_back({"JaccardIndex", ext_peak_of<tally::MulticlassJaccardIndex>(o, p, t, sink)});
    o.average = tally::Average::none;
    peaks.push_back({"Accuracy", ext_peak_of<tally::MulticlassAccuracy>(o, p, t, sink)});
    o.average = tally::Average::weighted;
    peaks.push_back({"Specificity", ext_peak_of<tally::MulticlassSpecificity>(o, p, t, sink)});
#endif
    CHECK(sink == sink);
    for (const auto& [name, bytes] : peaks) {
      INFO(name << ": peak " << bytes << " bytes = " << static_cast<double>(bytes) / C
                << " per class");
      CHECK(bytes > 4 * 8 * C);  // the state alone; the counting really ran
      CHECK(bytes < 128 * C);
      if (std::getenv("TALLY_EXTREME_VERBOSE"))
        WARN(name << " peak/C " << static_cast<double>(bytes) / C);
    }
  }
}

}  // namespace

TEST_CASE("extreme: C = 65536 with uint16 labels, every class counted, O(C) memory") {
  const std::size_t C = 65536, n = 4 * C + 1234;
  // Target: each block of C positions is a permutation of the classes. Preds: right twice out of
  // three, else the next class (65535 is predicted too).
  std::vector<std::uint16_t> t16(n), p16(n);
  for (std::size_t i = 0; i < n; ++i) {
    t16[i] = static_cast<std::uint16_t>((i * 40503u) & 0xFFFFu);
    p16[i] = static_cast<std::uint16_t>(i % 3 ? t16[i] : (t16[i] + 1u) & 0xFFFFu);
  }
  // ignore_index 65535 is a class here (in range): its row is dropped, its column stays.
  ext_65536_case(p16, t16, 65535);
  // An int32 target with the void label -1 (out of range), uint16 preds.
  std::vector<std::int32_t> t32(t16.begin(), t16.end());
  for (std::size_t i = 0; i < n; i += 7) t32[i] = -1;
  ext_65536_case(p16, t32, -1);
}

// ------------------------------------------------------------------------------------------------
// 6. Sizes that cannot be allocated: tally::error, never std::bad_alloc
// ------------------------------------------------------------------------------------------------

TEST_CASE("extreme: impossible sizes and failed allocations are tally::error, not bad_alloc") {
  const std::int64_t huge[] = {std::numeric_limits<std::int64_t>::max(), std::int64_t{1} << 62,
                               std::int64_t{1} << 32, (std::int64_t{1} << 32) - 1,
                               std::int64_t{1} << 27};
  for (std::int64_t C : huge) {
    INFO("num_classes " << C);
    tally::Multiclass::Options o;
    o.num_classes = C;
    CHECK_THROWS_AS(tally::MulticlassStatScores(o), tally::error);
    CHECK_THROWS_AS(tally::MulticlassF1Score(o), tally::error);
    CHECK_THROWS_AS(tally::MulticlassJaccardIndex(o), tally::error);
    CHECK_THROWS_AS(tally::MulticlassConfusionMatrix(o), tally::error);
    tally::Multilabel::Options ml;
    ml.num_labels = C;
    CHECK_THROWS_AS(tally::MultilabelPrecision(ml), tally::error);
    tally::DiceScore::Options d;
    d.num_classes = C;
    CHECK_THROWS_AS(tally::DiceScore(d), tally::error);
  }
  {
    // C x C = 2^32 cells of 8 bytes for C = 65536: refused as a size, before allocating.
    tally::Multiclass::Options o;
    o.num_classes = 65536;
    CHECK_THROWS_AS(tally::MulticlassConfusionMatrix(o), tally::error);
    // Samplewise rows: 4096 samples x 3 x 65536 counters per update.
    o.multidim_average = tally::MultidimAverage::samplewise;
    tally::MulticlassStatScores m(o);
    const std::vector<std::uint16_t> labels(4096, 7);
    const tally::tensor_view<const std::uint16_t> v(labels.data(), Shape{4096, 1});
    CHECK_THROWS_AS(m.update(v, v), tally::error);
    CHECK(m.compute().size() == 0);
  }
#if TALLY_EXT_COUNT_ALLOCS
  {
    // Sizes under the cap whose allocation fails (injected: requests of 1 GiB or more).
    const ext_fail_scope fail(std::size_t{1} << 30);
    tally::Multiclass::Options o;
    o.num_classes = std::int64_t{1} << 26;  // 2^28 counters, 2 GiB
    CHECK_THROWS_AS(tally::MulticlassStatScores(o), tally::error);
    CHECK_THROWS_AS(tally::MulticlassRecall(o), tally::error);
    o.num_classes = std::int64_t{1} << 14;  // 2^28 cells
    CHECK_THROWS_AS(tally::MulticlassConfusionMatrix(o), tally::error);
    tally::DiceScore::Options d;
    d.num_classes = std::int64_t{1} << 26;  // 3 * 2^26 counters, 1.5 GiB
    d.aggregation_level = tally::AggregationLevel::global;
    CHECK_THROWS_AS(tally::DiceScore(d), tally::error);
    tally::Multilabel::Options ml;
    ml.num_labels = std::int64_t{1} << 26;
    CHECK_THROWS_AS(tally::MultilabelF1Score(ml), tally::error);
  }
  {
    // An update whose working memory cannot be allocated leaves the metric as it was.
    tally::Multiclass::Options o;
    o.num_classes = std::int64_t{1} << 20;  // state 32 MiB; an update needs 24 + 32 + 32 MiB more
    o.average = tally::Average::micro;
    tally::MulticlassStatScores m(o);
    const std::vector<std::int32_t> p{1, 2, 3, 4}, t{1, 2, 3, 5};
    m.update(p, t);
    const tally::MulticlassStatScores before = m;
    for (std::size_t limit : {std::size_t{20} << 20, std::size_t{28} << 20}) {
      INFO("allocations of " << (limit >> 20) << " MiB or more fail");
      {
        const ext_fail_scope fail(limit);
        try {
          m.update(p, t);
          FAIL("the update did not fail");
        } catch (const tally::error&) {
          SUCCEED("tally::error");
        } catch (const std::bad_alloc&) {
          FAIL("std::bad_alloc escaped from update()");
        }
      }
      CHECK(m == before);
    }
  }
#endif
}
