// benchmarks/bench_support.hpp — what the benchmark programs share: the memory-read baseline,
// the counters every row reports, and a reporter that keeps each row's rates (medians when
// repeated) for the ratio tables printed at the end.
#ifndef TALLY_BENCH_SUPPORT_HPP
#define TALLY_BENCH_SUPPORT_HPP

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

namespace bench {

// The fastest plain read of n bytes we can write: 64-bit sums over 32-byte loads (AVX2 when
// the CPU has it), so that "bytes/s" of a kernel can be set against what memory delivers.
#ifdef BENCH_X86
__attribute__((target("avx2"))) inline std::uint64_t read_avx2(const unsigned char* p,
                                                               std::size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a0);
  std::uint64_t s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i) s += p[i];
  return s;
}
#endif

inline std::uint64_t read_bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#ifdef BENCH_X86
  if (__builtin_cpu_supports("avx2")) return read_avx2(p, n);
#endif
  std::uint64_t s = 0;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    s += w;
  }
  return s;
}

// Elements and input bytes per iteration: Google Benchmark turns them into items/s and bytes/s.
inline void set_counters(benchmark::State& state, std::size_t items, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

struct row {
  double items = 0, bytes = 0, ms = 0, cpu_ms = 0;  // per second; per iteration
};

// The console output as usual, and each row's rates kept by name: the median with
// --benchmark_repetitions, else the single run.
class median_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (!median && r.run_type != Run::RT_Iteration) continue;
      const std::string& name = r.run_name.function_name;
      if (!median && has_median_.count(name)) continue;
      if (median) has_median_.insert(name);
      row x;
      if (auto it = r.counters.find("items_per_second"); it != r.counters.end())
        x.items = it->second.value;
      if (auto it = r.counters.find("bytes_per_second"); it != r.counters.end())
        x.bytes = it->second.value;
      x.ms = r.GetAdjustedRealTime();  // in the benchmark's unit
      x.cpu_ms = r.GetAdjustedCPUTime();
      rows[name] = x;
    }
  }
  std::map<std::string, row> rows;

 private:
  std::set<std::string> has_median_;
};

}  // namespace bench

#endif  // TALLY_BENCH_SUPPORT_HPP
