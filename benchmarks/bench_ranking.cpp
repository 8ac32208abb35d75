// Throughput of tally's ranking metrics (AUROC binned and exact, CalibrationError) against the
// O(N x T) threshold loop of torchmetrics' binned mode and a memory-read baseline, measured in
// the same run so the ratios mean something on a noisy machine.
//
//   cmake --workflow --preset bench && build/bench/benchmarks/bench_ranking --benchmark_min_time=0.05
//
// Data: 16 Mi float scores (random probabilities, fixed seed) with 0/1 uint8 labels drawn so
// that a higher score is more often positive (AUROC ~ 0.83); built once. Every benchmark reports
// items/s (scores) and bytes/s (bytes of scores + labels read). The tally rows time
// reset() + update() only; compute() is timed in rows of its own (".../compute"). At the end a
// table prints each row's rate, its ratio to the naive loop at the same T and to the memory
// read, and the ratios issue 17 asks for.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tally/tally.hpp>
#include <vector>

#include "bench_support.hpp"

namespace {

using bench::read_bytes;
using bench::row;
using bench::set_counters;

// ---- data ------------------------------------------------------------------------------------

constexpr std::size_t kScores = std::size_t{16} << 20;  // 16 Mi scores
constexpr std::size_t kClasses = 10;
constexpr std::size_t kSamples = kScores / kClasses;  // multiclass: 1.6 Mi samples x 10 scores
// The naive loop at T = 1000 is O(N x T): it runs over the first kNaiveSmallN scores only
// (rates are per score, so they compare with the full-size rows).
constexpr std::size_t kNaiveSmallN = std::size_t{1} << 20;

struct binary_data {
  std::vector<float> probs, logits;  // logits = logit(probs): scores outside [0, 1]
  std::vector<std::uint8_t> labels;
};

const binary_data& binary() {
  static const binary_data d = [] {
    binary_data b;
    b.probs.resize(kScores);
    b.logits.resize(kScores);
    b.labels.resize(kScores);
    std::mt19937_64 rng(17);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (std::size_t i = 0; i < kScores; ++i) {
      float p = u(rng);
      if (p <= 0.0f) p = 1e-7f;  // keep the logit finite
      b.probs[i] = p;
      b.logits[i] = static_cast<float>(std::log(p) - std::log1p(-p));
      b.labels[i] = u(rng) < p ? 1 : 0;
    }
    return b;
  }();
  return d;
}

struct multiclass_data {
  std::vector<float> probs;           // (N, C), rows sum to 1
  std::vector<std::uint8_t> labels;   // (N)
};

const multiclass_data& multiclass() {
  static const multiclass_data d = [] {
    multiclass_data m;
    m.probs.resize(kSamples * kClasses);
    m.labels.resize(kSamples);
    std::mt19937_64 rng(23);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::uniform_int_distribution<int> cls(0, static_cast<int>(kClasses) - 1);
    float row[kClasses];
    for (std::size_t n = 0; n < kSamples; ++n) {
      const int label = cls(rng);
      float sum = 0;
      for (std::size_t c = 0; c < kClasses; ++c)
        sum += row[c] = u(rng) + (static_cast<int>(c) == label ? 1.0f : 0.0f);
      for (std::size_t c = 0; c < kClasses; ++c) m.probs[n * kClasses + c] = row[c] / sum;
      m.labels[n] = static_cast<std::uint8_t>(label);
    }
    return m;
  }();
  return d;
}

// torch.linspace(0, 1, T) in float32, as the naive loop (and torchmetrics) compare with.
std::vector<float> linspace_f(std::size_t T) {
  const auto th = tally::Thresholds::linspace(T);
  return std::vector<float>(th.list().begin(), th.list().end());
}

std::vector<double> linspace_d(std::size_t T) {
  std::vector<double> v(T);
  for (std::size_t k = 0; k < T; ++k) v[k] = static_cast<double>(k) / static_cast<double>(T - 1);
  return v;
}

// ---- baselines (read_bytes, set_counters: bench_support.hpp) --------------------------------

void bm_binary_read(benchmark::State& state) {
  const auto& d = binary();
  for (auto _ : state)
    benchmark::DoNotOptimize(read_bytes(d.probs.data(), kScores * 4) +
                             read_bytes(d.labels.data(), kScores));
  set_counters(state, kScores, kScores * 5);
}

void bm_multiclass_read(benchmark::State& state) {
  const auto& d = multiclass();
  for (auto _ : state)
    benchmark::DoNotOptimize(read_bytes(d.probs.data(), d.probs.size() * 4) +
                             read_bytes(d.labels.data(), d.labels.size()));
  set_counters(state, d.probs.size(), d.probs.size() * 4 + d.labels.size());
}

// torchmetrics' binned mode by hand: for each threshold t, tp / fp = the positives / negatives
// with score >= t (what `(preds[:, None] >= thresholds) ... bincount` counts): N x T compares.
// g++ 12 -O2 vectorizes the inner loop (SSE2, 16 scores a step), so this is a strong baseline:
// torchmetrics itself, which materializes the N x T comparison, is slower.
void naive_binned(const float* s, const std::uint8_t* l, std::size_t n, const float* th,
                  std::size_t T, std::uint64_t* tp, std::uint64_t* fp) {
  for (std::size_t j = 0; j < T; ++j) {
    const float t = th[j];
    std::uint64_t pos = 0, all = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool above = s[i] >= t;
      all += above;
      pos += above & (l[i] != 0);
    }
    tp[j] = pos;
    fp[j] = all - pos;
  }
}

void bm_binary_naive(benchmark::State& state, std::size_t T, std::size_t n) {
  const auto& d = binary();
  const std::vector<float> th = linspace_f(T);
  std::vector<std::uint64_t> tp(T), fp(T);
  for (auto _ : state) {
    naive_binned(d.probs.data(), d.labels.data(), n, th.data(), T, tp.data(), fp.data());
    benchmark::DoNotOptimize(tp.data());
    benchmark::DoNotOptimize(fp.data());
  }
  set_counters(state, n, n * 5);
}

// ---- tally -------------------------------------------------------------------------------------

enum class input { probs, logits };

// BinaryAUROC: reset + update over the 16 Mi scores per iteration; compute() not timed.
void bm_binary_auroc_update(benchmark::State& state, tally::Thresholds th, input in) {
  const auto& d = binary();
  tally::BinaryAUROC m({}, std::move(th));
  const std::vector<float>& s = in == input::probs ? d.probs : d.logits;
  for (auto _ : state) {
    m.reset();
    m.update(s, d.labels);
    benchmark::ClobberMemory();
  }
  set_counters(state, kScores, kScores * 5);
}

// BinaryAUROC compute() over a state holding the 16 Mi scores (the update is not timed).
void bm_binary_auroc_compute(benchmark::State& state, tally::Thresholds th) {
  const auto& d = binary();
  tally::BinaryAUROC m({}, std::move(th));
  m.update(d.probs, d.labels);
  double v = 0;
  for (auto _ : state) {
    v = m.compute().value();
    benchmark::DoNotOptimize(v);
  }
  state.counters["auroc"] = v;
  set_counters(state, kScores, kScores * 5);
}

void bm_multiclass_auroc_update(benchmark::State& state, std::size_t T) {
  const auto& d = multiclass();
  tally::Multiclass::Options o;
  o.num_classes = kClasses;
  tally::MulticlassAUROC m(o, tally::Thresholds::linspace(T));
  const tally::tensor_view<const float> p(d.probs.data(), tally::Shape{kSamples, kClasses});
  const tally::tensor_view<const std::uint8_t> t(d.labels.data(), tally::Shape{kSamples});
  for (auto _ : state) {
    m.reset();
    m.update(p, t);
    benchmark::ClobberMemory();
  }
  set_counters(state, d.probs.size(), d.probs.size() * 4 + d.labels.size());
}

void bm_calibration_update(benchmark::State& state) {
  const auto& d = binary();
  tally::BinaryCalibrationError m({}, 15);
  for (auto _ : state) {
    m.reset();
    m.update(d.probs, d.labels);
    benchmark::ClobberMemory();
  }
  set_counters(state, kScores, kScores * 5);
}

// ---- registration and the ratio table -------------------------------------------------------

void add(const std::string& name, std::function<void(benchmark::State&)> fn,
         int iterations = 0) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond);
  if (iterations > 0) b->Iterations(iterations);
}

void register_all() {
  using tally::Thresholds;
  add("ranking/binary/read", bm_binary_read);
  add("ranking/binary/naive_T100",
      [](benchmark::State& s) { bm_binary_naive(s, 100, kScores); }, 1);
  add("ranking/binary/naive_T1000",
      [](benchmark::State& s) { bm_binary_naive(s, 1000, kNaiveSmallN); }, 1);
  add("ranking/binary/tally_T100", [](benchmark::State& s) {
    bm_binary_auroc_update(s, Thresholds::linspace(100), input::probs);
  });
  add("ranking/binary/tally_T1000", [](benchmark::State& s) {
    bm_binary_auroc_update(s, Thresholds::linspace(1000), input::probs);
  });
  add("ranking/binary/tally_T100_values", [](benchmark::State& s) {
    bm_binary_auroc_update(s, Thresholds::values(linspace_d(100)), input::probs);
  });
  add("ranking/binary/tally_T100_logits", [](benchmark::State& s) {
    bm_binary_auroc_update(s, Thresholds::linspace(100), input::logits);
  });
  add("ranking/binary/tally_exact",
      [](benchmark::State& s) { bm_binary_auroc_update(s, Thresholds::exact(), input::probs); });
  add("ranking/binary/tally_T1000/compute",
      [](benchmark::State& s) { bm_binary_auroc_compute(s, Thresholds::linspace(1000)); });
  add("ranking/binary/tally_exact/compute",
      [](benchmark::State& s) { bm_binary_auroc_compute(s, Thresholds::exact()); }, 2);
  add("ranking/binary/tally_calibration15", bm_calibration_update);
  add("ranking/multiclass/read", bm_multiclass_read);
  add("ranking/multiclass/tally_C10_T100",
      [](benchmark::State& s) { bm_multiclass_auroc_update(s, 100); });
}

void print_table(const std::map<std::string, row>& rows) {
  auto get = [&](const std::string& n) -> const row* {
    const auto it = rows.find(n);
    return it == rows.end() ? nullptr : &it->second;
  };
  std::printf("\n%-40s %10s %10s %10s %10s %10s\n", "benchmark", "ms/iter", "M elem/s", "GB/s",
              "x naive", "x read");
  for (const auto& [name, x] : rows) {
    const auto slash = name.find('/', name.find('/') + 1);
    const std::string family = name.substr(0, slash + 1);
    const row* read = get(family + "read");
    const row* naive = nullptr;
    if (name.find("_T1000") != std::string::npos && name.find("/compute") == std::string::npos)
      naive = get(family + "naive_T1000");
    else if (name.find("_T100") != std::string::npos && name.find("/compute") == std::string::npos)
      naive = get(family + "naive_T100");
    char xn[16] = "", xr[16] = "";
    if (naive && naive != &x && name.find("tally") != std::string::npos)
      std::snprintf(xn, sizeof xn, "%10.1f", x.items / naive->items);
    if (read && read != &x && name.find("/compute") == std::string::npos)
      std::snprintf(xr, sizeof xr, "%10.3f", x.items / read->items);
    std::printf("%-40s %10.2f %10.1f %10.2f %10s %10s\n", name.c_str(), x.ms, x.items / 1e6,
                x.bytes / 1e9, xn, xr);
  }
  // Issue 17: binned binary AUROC at T = 100 against the naive loop at T = 100 (>= 20x), and
  // tally's time at T = 1000 over its time at T = 100 (<= 1.5).
  const row *t100 = get("ranking/binary/tally_T100"), *t1000 = get("ranking/binary/tally_T1000"),
            *n100 = get("ranking/binary/naive_T100");
  std::printf("\nissue 17 targets\n");
  if (t100 && n100)
    std::printf("  tally_T100 / naive_T100 (rate)       %8.1fx  (target >= 20x)   %s\n",
                t100->items / n100->items, t100->items / n100->items >= 20 ? "met" : "MISSED");
  // CPU time (as items/s): on the shared machine the wall time also counts other processes.
  if (t100 && t1000)
    std::printf("  time(tally_T1000) / time(tally_T100) %8.2f   (target <= 1.5)   %s   (wall: %.2f)\n",
                t1000->cpu_ms / t100->cpu_ms, t1000->cpu_ms / t100->cpu_ms <= 1.5 ? "met" : "MISSED",
                t1000->ms / t100->ms);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::median_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter.rows);
  benchmark::Shutdown();
  return 0;
}
