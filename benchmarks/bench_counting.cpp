// Throughput of tally's counting against a hand-written loop and a memory-read baseline,
// measured in the same run so the ratios mean something on a noisy machine.
//
//   cmake --workflow --preset bench && build/bench/benchmarks/bench_counting
//
// Every benchmark reports items/s (classified positions) and bytes/s (bytes of preds + target
// read). At the end a table prints each tally kernel's ratio to the naive loop and to the
// memory-read baseline over the same bytes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tally/tally.hpp>
#include <type_traits>
#include <vector>

#include "bench_support.hpp"

namespace {

using bench::read_bytes;
using bench::set_counters;

// ---- registration ------------------------------------------------------------------------------

template <class F>
auto one_rung_down(F fn);

// Registers a benchmark, and for a serial tally kernel (kind "tally" or "tally_random_preds") its
// twin one rung down ("<name>_down").
template <class F>
void add_with_down(const std::string& name, F fn) {
  benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond);
  const std::string kind = name.substr(name.rfind('/') + 1);
  if (kind == "tally" || kind == "tally_random_preds")
    benchmark::RegisterBenchmark((name + "_down").c_str(), one_rung_down(fn))
        ->Unit(benchmark::kMillisecond);
}

// ---- data ------------------------------------------------------------------------------------

constexpr std::size_t kN = 8, kH = 512, kW = 1024;  // Cityscapes-like batch, 4 Mi positions

template <class T>
std::int64_t void_label(std::int64_t C) {
  return C < 255 && std::is_same_v<T, std::uint8_t> ? 255 : (C < 255 ? 255 : 65535);
}

// Cityscapes-like label maps: rows of runs (regions) that continue from the row above, ~10%
// void targets in runs, predictions right except near region edges and in a few noisy spots.
// Runs matter: equal neighbouring pixels hit the same counter, which is what makes the naive
// loop slow on real segmentation maps.
template <class T>
struct label_data {
  std::vector<T> preds, target;
  std::int64_t C = 0, ignore = 0;
};

template <class T>
const label_data<T>& labels(std::int64_t C) {
  static std::map<std::int64_t, std::unique_ptr<label_data<T>>> cache;
  auto& slot = cache[C];
  if (!slot) {
    slot = std::make_unique<label_data<T>>();
    auto& d = *slot;
    d.C = C;
    d.ignore = void_label<T>(C);
    const std::size_t n = kN * kH * kW;
    d.preds.resize(n);
    d.target.resize(n);
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> cls(0, C - 1);
    std::uniform_real_distribution<double> u(0, 1);
    std::geometric_distribution<std::size_t> run(1.0 / 40);
    std::vector<std::int64_t> row(kW), prev(kW);
    for (std::size_t s = 0; s < kN; ++s)
      for (std::size_t y = 0; y < kH; ++y) {
        // Mostly repeat the row above (regions are 2-D); sometimes start new runs.
        if (y == 0 || u(rng) < 0.05) {
          for (std::size_t x = 0; x < kW;) {
            const std::int64_t c = u(rng) < 0.1 ? d.ignore : cls(rng);
            const std::size_t len = 1 + run(rng);
            for (std::size_t k = 0; k < len && x < kW; ++k, ++x) row[x] = c;
          }
        } else {
          row = prev;
        }
        prev = row;
        for (std::size_t x = 0; x < kW; ++x) {
          const std::size_t i = (s * kH + y) * kW + x;
          const std::int64_t t = row[x];
          d.target[i] = static_cast<T>(t);
          const bool edge = x > 0 && x + 1 < kW && (row[x - 1] != t || row[x + 1] != t);
          std::int64_t p = t == d.ignore ? cls(rng) : t;
          if ((edge && u(rng) < 0.5) || u(rng) < 0.02) p = cls(rng);
          d.preds[i] = static_cast<T>(p);
        }
      }
  }
  return *slot;
}

// ---- baselines -------------------------------------------------------------------------------


// What people write by hand: skip void, count into C x C.
template <class T>
void naive_confusion(const T* p, const T* t, std::size_t n, std::int64_t C, std::int64_t ignore,
                     std::uint64_t* cm) {
  for (std::size_t i = 0; i < n; ++i) {
    if (t[i] == static_cast<T>(ignore)) continue;
    ++cm[static_cast<std::size_t>(t[i]) * static_cast<std::size_t>(C) +
         static_cast<std::size_t>(p[i])];
  }
}

// Runs a benchmark with the kernels capped one rung below the active ones (AVX-512 -> AVX2 ->
// scalar; NEON -> scalar): the "_down" rows, so that the table can show, in one run, that the
// chosen kernel is never slower than the next ISA down on the same data.
template <class F>
auto one_rung_down(F fn) {
  return [fn](benchmark::State& state) {
    namespace td = tally::detail;
    const td::isa active = td::active_isa();
    if (active == td::isa::scalar) {
      state.SkipWithError("already at the scalar kernels");
      return;
    }
    const td::isa previous = td::set_isa_cap(td::at_rank(td::rank(active) - 1));
    fn(state);
    (void)td::set_isa_cap(previous);
  };
}


// ---- label maps ------------------------------------------------------------------------------

template <class T>
void bm_label_read(benchmark::State& state, std::int64_t C) {
  const auto& d = labels<T>(C);
  for (auto _ : state) {
    benchmark::DoNotOptimize(read_bytes(d.preds.data(), d.preds.size() * sizeof(T)) +
                             read_bytes(d.target.data(), d.target.size() * sizeof(T)));
  }
  set_counters(state, d.target.size(), 2 * d.target.size() * sizeof(T));
}

template <class T>
void bm_label_naive(benchmark::State& state, std::int64_t C) {
  const auto& d = labels<T>(C);
  std::vector<std::uint64_t> cm(static_cast<std::size_t>(C * C));
  for (auto _ : state) {
    naive_confusion(d.preds.data(), d.target.data(), d.target.size(), C, d.ignore, cm.data());
    benchmark::DoNotOptimize(cm.data());
  }
  set_counters(state, d.target.size(), 2 * d.target.size() * sizeof(T));
}

template <class T>
void bm_label_tally(benchmark::State& state, std::int64_t C, unsigned threads) {
  const auto& d = labels<T>(C);
  tally::Multiclass::Options o;
  o.num_classes = C;
  o.ignore_index = d.ignore;
  tally::MulticlassStatScores m(o);
  const tally::tensor_view<const T> p(d.preds.data(), tally::Shape{kN, kH, kW});
  const tally::tensor_view<const T> t(d.target.data(), tally::Shape{kN, kH, kW});
  for (auto _ : state) {
    if (threads == 1)
      m.update(p, t);
    else
      m.update(p, t, tally::parallel{threads});
    benchmark::DoNotOptimize(m.counts().data());
  }
  set_counters(state, d.target.size(), 2 * d.target.size() * sizeof(T));
}

// The segmentation metrics on the same uint8 maps (index format, C = 19, void = 255): `m` counts
// the whole batch once per iteration, serially or with `threads`.
template <class M>
void bm_segmentation(benchmark::State& state, M m, unsigned threads = 1) {
  const auto& d = labels<std::uint8_t>(19);
  const tally::tensor_view<const std::uint8_t> p(d.preds.data(), tally::Shape{kN, kH, kW});
  const tally::tensor_view<const std::uint8_t> t(d.target.data(), tally::Shape{kN, kH, kW});
  for (auto _ : state) {
    if (threads == 1)
      m.update(p, t);
    else
      m.update(p, t, tally::parallel{threads});
    benchmark::DoNotOptimize(m.num_samples());
  }
  set_counters(state, d.target.size(), 2 * d.target.size());
}

template <class Options>
Options segmentation_options() {
  Options o;
  o.num_classes = 19;
  o.ignore_index = 255;
  o.input_format = tally::InputFormat::index;
  return o;
}

// DiceScore, global and samplewise.
void bm_dice(benchmark::State& state, tally::AggregationLevel level, unsigned threads) {
  auto o = segmentation_options<tally::DiceScore::Options>();
  o.aggregation_level = level;
  bm_segmentation(state, tally::DiceScore(o), threads);
}

// MeanIoU and GeneralizedDiceScore. They count (I, P, T) per sample as DiceScore does and differ
// only in the per-sample rule, O(C) work per sample, none per pixel.
void bm_mean_iou(benchmark::State& state, tally::AggregationLevel level) {
  auto o = segmentation_options<tally::MeanIoU::Options>();
  o.aggregation_level = level;
  bm_segmentation(state, tally::MeanIoU(o));
}

void bm_generalized_dice(benchmark::State& state, tally::DiceWeights weights) {
  auto o = segmentation_options<tally::GeneralizedDiceScore::Options>();
  o.weight_type = weights;
  bm_segmentation(state, tally::GeneralizedDiceScore(o));
}

// The worst case for the hit/miss kernel: predictions that are right only by chance (an
// untrained model). The kernel choice must notice and count with the table instead.
template <class T>
void bm_label_tally_random_preds(benchmark::State& state) {
  const auto& d = labels<T>(19);
  static const std::vector<T> preds = [] {
    std::vector<T> v(kN * kH * kW);
    std::mt19937 rng(3);
    for (auto& x : v) x = static_cast<T>(rng() % 19);
    return v;
  }();
  tally::Multiclass::Options o;
  o.num_classes = 19;
  o.ignore_index = d.ignore;
  tally::MulticlassStatScores m(o);
  const tally::tensor_view<const T> p(preds.data(), tally::Shape{kN, kH, kW});
  const tally::tensor_view<const T> t(d.target.data(), tally::Shape{kN, kH, kW});
  for (auto _ : state) {
    m.update(p, t);
    benchmark::DoNotOptimize(m.counts().data());
  }
  set_counters(state, d.target.size(), 2 * d.target.size() * sizeof(T));
}

// ---- per-class scores (N, C, H, W) -> argmax --------------------------------------------------

constexpr std::size_t kSN = 8, kSC = 19, kSH = 256, kSW = 512;

struct score_data {
  std::vector<float> scores;         // (N, C, H, W)
  std::vector<std::uint8_t> target;  // (N, H, W), 255 = void
};

const score_data& scores() {
  static const score_data d = [] {
    score_data s;
    const auto& maps = labels<std::uint8_t>(kSC);  // reuse the label maps' structure
    const std::size_t R = kSH * kSW;
    s.scores.resize(kSN * kSC * R);
    s.target.resize(kSN * R);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> noise(0.0f, 1.0f);
    for (std::size_t n = 0; n < kSN; ++n)
      for (std::size_t r = 0; r < R; ++r) {
        const std::size_t i = n * kH * kW + r;  // a sub-image of the label maps
        s.target[n * R + r] = maps.target[i];
        const std::size_t winner = maps.preds[i];
        for (std::size_t c = 0; c < kSC; ++c)
          s.scores[(n * kSC + c) * R + r] = noise(rng) + (c == winner ? 1.0f : 0.0f);
      }
    return s;
  }();
  return d;
}

void bm_scores_read(benchmark::State& state) {
  const auto& d = scores();
  for (auto _ : state)
    benchmark::DoNotOptimize(read_bytes(d.scores.data(), d.scores.size() * 4) +
                             read_bytes(d.target.data(), d.target.size()));
  set_counters(state, d.target.size(), d.scores.size() * 4 + d.target.size());
}

// What people write: argmax per pixel over the class axis, then the naive count.
void bm_scores_naive(benchmark::State& state) {
  const auto& d = scores();
  const std::size_t R = kSH * kSW;
  std::vector<std::uint64_t> cm(kSC * kSC);
  for (auto _ : state) {
    for (std::size_t n = 0; n < kSN; ++n)
      for (std::size_t r = 0; r < R; ++r) {
        const std::uint8_t t = d.target[n * R + r];
        if (t == 255) continue;
        const float* s = d.scores.data() + n * kSC * R + r;
        std::size_t best = 0;
        for (std::size_t c = 1; c < kSC; ++c)
          if (s[c * R] > s[best * R]) best = c;
        ++cm[t * kSC + best];
      }
    benchmark::DoNotOptimize(cm.data());
  }
  set_counters(state, d.target.size(), d.scores.size() * 4 + d.target.size());
}

void bm_scores_tally(benchmark::State& state, unsigned threads) {
  const auto& d = scores();
  tally::Multiclass::Options o;
  o.num_classes = kSC;
  o.ignore_index = 255;
  tally::MulticlassStatScores m(o);
  const tally::tensor_view<const float> p(d.scores.data(), tally::Shape{kSN, kSC, kSH, kSW});
  const tally::tensor_view<const std::uint8_t> t(d.target.data(), tally::Shape{kSN, kSH, kSW});
  for (auto _ : state) {
    if (threads == 1)
      m.update(p, t);
    else
      m.update(p, t, tally::parallel{threads});
    benchmark::DoNotOptimize(m.counts().data());
  }
  set_counters(state, d.target.size(), d.scores.size() * 4 + d.target.size());
}

void register_scores() {
  auto add = [](const std::string& name, auto fn) { add_with_down(name, fn); };
  add("scores/float32/C19/read", bm_scores_read);
  add("scores/float32/C19/naive", bm_scores_naive);
  add("scores/float32/C19/tally", [](benchmark::State& s) { bm_scores_tally(s, 1); });
  add("scores/float32/C19/tally_parallel2", [](benchmark::State& s) { bm_scores_tally(s, 2); });
}

// ---- multilabel (1e6, 20) and binary probabilities -------------------------------------------

template <class T>
struct prob_data {
  std::vector<float> probs;
  std::vector<T> target;
};

template <class T>
const prob_data<T>& probs(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<prob_data<T>>> cache;
  auto& slot = cache[n];
  if (!slot) {
    slot = std::make_unique<prob_data<T>>();
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    slot->probs.resize(n);
    slot->target.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const bool positive = u(rng) < 0.3f;
      slot->target[i] = static_cast<T>(u(rng) < 0.05f ? 255 : positive);  // 5% ignored
      slot->probs[i] = positive ? 0.3f + 0.7f * u(rng) : 0.7f * u(rng);
    }
  }
  return *slot;
}

constexpr std::size_t kML = 1000000, kLabels = 20;

template <class T>
void bm_probs_read(benchmark::State& state, std::size_t n) {
  const auto& d = probs<T>(n);
  for (auto _ : state)
    benchmark::DoNotOptimize(read_bytes(d.probs.data(), n * 4) +
                             read_bytes(d.target.data(), n * sizeof(T)));
  set_counters(state, n, n * (4 + sizeof(T)));
}

// By hand: threshold and count per label, skipping ignored targets.
template <class T>
void bm_probs_naive(benchmark::State& state, std::size_t n, std::size_t L) {
  const auto& d = probs<T>(n);
  std::vector<std::uint64_t> tp(L), pred(L), tgt(L), kept(L);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      const T t = d.target[i];
      if (t == static_cast<T>(255)) continue;
      const std::size_t l = i % L;
      const bool p = d.probs[i] > 0.5f;
      tp[l] += p && t == 1;
      pred[l] += p;
      tgt[l] += t == 1;
      ++kept[l];
    }
    benchmark::DoNotOptimize(tp.data());
  }
  set_counters(state, n, n * (4 + sizeof(T)));
}

template <class T>
void bm_multilabel_tally(benchmark::State& state, unsigned threads) {
  const auto& d = probs<T>(kML * kLabels);
  tally::Multilabel::Options o;
  o.num_labels = kLabels;
  o.ignore_index = 255;
  tally::MultilabelStatScores m(o);
  const tally::tensor_view<const float> p(d.probs.data(), tally::Shape{kML, kLabels});
  const tally::tensor_view<const T> t(d.target.data(), tally::Shape{kML, kLabels});
  for (auto _ : state) {
    if (threads == 1)
      m.update(p, t);
    else
      m.update(p, t, tally::parallel{threads});
    benchmark::DoNotOptimize(m.counts().data());
  }
  set_counters(state, d.target.size(), d.target.size() * (4 + sizeof(T)));
}

void bm_binary_tally(benchmark::State& state) {
  const std::size_t n = kN * kH * kW;
  const auto& d = probs<std::uint8_t>(n);
  tally::Binary::Options o;
  o.ignore_index = 255;
  tally::BinaryStatScores m(o);
  const tally::tensor_view<const float> p(d.probs.data(), tally::Shape{kN, kH, kW});
  const tally::tensor_view<const std::uint8_t> t(d.target.data(), tally::Shape{kN, kH, kW});
  for (auto _ : state) {
    m.update(p, t);
    benchmark::DoNotOptimize(m.counts().data());
  }
  set_counters(state, n, n * 5);
}

void register_probs() {
  auto add = [](const std::string& name, auto fn) { add_with_down(name, fn); };
  const std::size_t n = kML * kLabels, nb = kN * kH * kW;
  add("multilabel/float32+uint8/L20/read",
      [n](benchmark::State& s) { bm_probs_read<std::uint8_t>(s, n); });
  add("multilabel/float32+uint8/L20/naive",
      [n](benchmark::State& s) { bm_probs_naive<std::uint8_t>(s, n, kLabels); });
  add("multilabel/float32+uint8/L20/tally",
      [](benchmark::State& s) { bm_multilabel_tally<std::uint8_t>(s, 1); });
  add("multilabel/float32+uint8/L20/tally_parallel2",
      [](benchmark::State& s) { bm_multilabel_tally<std::uint8_t>(s, 2); });
  add("multilabel/float32+int64/L20/read",
      [n](benchmark::State& s) { bm_probs_read<std::int64_t>(s, n); });
  add("multilabel/float32+int64/L20/naive",
      [n](benchmark::State& s) { bm_probs_naive<std::int64_t>(s, n, kLabels); });
  add("multilabel/float32+int64/L20/tally",
      [](benchmark::State& s) { bm_multilabel_tally<std::int64_t>(s, 1); });
  add("binary/float32+uint8/read",
      [nb](benchmark::State& s) { bm_probs_read<std::uint8_t>(s, nb); });
  add("binary/float32+uint8/naive",
      [nb](benchmark::State& s) { bm_probs_naive<std::uint8_t>(s, nb, 1); });
  add("binary/float32+uint8/tally", bm_binary_tally);
}

// ---- ratio table -----------------------------------------------------------------------------


void register_labels() {
  auto add = [](const std::string& name, auto fn) { add_with_down(name, fn); };
  auto family = [&](const std::string& type, auto tag, std::int64_t C, bool parallel) {
    using T = typename decltype(tag)::type;
    const std::string base = "labels/" + type + "/C" + std::to_string(C) + "/";
    add(base + "read", [C](benchmark::State& s) { bm_label_read<T>(s, C); });
    add(base + "naive", [C](benchmark::State& s) { bm_label_naive<T>(s, C); });
    add(base + "tally", [C](benchmark::State& s) { bm_label_tally<T>(s, C, 1); });
    if (parallel)
      add(base + "tally_parallel2", [C](benchmark::State& s) { bm_label_tally<T>(s, C, 2); });
  };
  struct u8 {
    using type = std::uint8_t;
  };
  struct u16 {
    using type = std::uint16_t;
  };
  struct i32 {
    using type = std::int32_t;
  };
  struct i64 {
    using type = std::int64_t;
  };
  for (std::int64_t C : {2, 6, 19, 150}) family("uint8", u8{}, C, C == 19);
  for (std::int64_t C : {19, 1000}) family("int32", i32{}, C, false);
  for (std::int64_t C : {19}) family("int64", i64{}, C, true);
  family("uint16", u16{}, 1000, false);
  add("labels/uint8/C19/tally_random_preds", bm_label_tally_random_preds<std::uint8_t>);
  add("labels/int64/C19/tally_random_preds", bm_label_tally_random_preds<std::int64_t>);
  add("dice/uint8/C19/tally",
      [](benchmark::State& s) { bm_dice(s, tally::AggregationLevel::global, 1); });
  add("dice/uint8/C19/tally_samplewise",
      [](benchmark::State& s) { bm_dice(s, tally::AggregationLevel::samplewise, 1); });
  add("dice/uint8/C19/tally_parallel2",
      [](benchmark::State& s) { bm_dice(s, tally::AggregationLevel::global, 2); });
  add("dice/uint8/C19/read", [](benchmark::State& s) { bm_label_read<std::uint8_t>(s, 19); });
  add("dice/uint8/C19/naive", [](benchmark::State& s) { bm_label_naive<std::uint8_t>(s, 19); });
  add("mean_iou/uint8/C19/tally",
      [](benchmark::State& s) { bm_mean_iou(s, tally::AggregationLevel::global); });
  add("mean_iou/uint8/C19/tally_samplewise",
      [](benchmark::State& s) { bm_mean_iou(s, tally::AggregationLevel::samplewise); });
  add("mean_iou/uint8/C19/read", [](benchmark::State& s) { bm_label_read<std::uint8_t>(s, 19); });
  add("mean_iou/uint8/C19/naive", [](benchmark::State& s) { bm_label_naive<std::uint8_t>(s, 19); });
  add("generalized_dice/uint8/C19/tally",
      [](benchmark::State& s) { bm_generalized_dice(s, tally::DiceWeights::square); });
  add("generalized_dice/uint8/C19/read",
      [](benchmark::State& s) { bm_label_read<std::uint8_t>(s, 19); });
  add("generalized_dice/uint8/C19/naive",
      [](benchmark::State& s) { bm_label_naive<std::uint8_t>(s, 19); });
}

// One row per tally kernel: its rate, and its ratio to the naive loop, to the memory read of the
// same bytes, to the serial update (parallel rows) and to the kernels one rung down.
void print_ratios(const std::map<std::string, double>& items) {
  std::printf("\n%-40s %10s %10s %10s %10s %10s\n", "kernel", "G elem/s", "x naive", "x read",
              "x serial", "x down");
  auto cell = [](double r) {
    char buf[16];
    if (r > 0)
      std::snprintf(buf, sizeof buf, "%10.2f", r);
    else
      std::snprintf(buf, sizeof buf, "%10s", "");
    return std::string(buf);
  };
  for (const auto& item : items) {
    const std::string& name = item.first;
    const double v = item.second;  // (a structured binding: lambdas capture it only in C++20)
    const auto slash = name.rfind('/');
    const std::string base = name.substr(0, slash + 1), kind = name.substr(slash + 1);
    if (kind.rfind("tally", 0) != 0) continue;
    auto ratio = [&](const std::string& full) {
      const auto it = items.find(full);
      return it == items.end() ? 0.0 : v / it->second;
    };
    const bool parallel = kind.rfind("tally_parallel", 0) == 0;
    std::printf("%-40s %10.3f%s%s%s%s\n", name.c_str(), v / 1e9,
                cell(ratio(base + "naive")).c_str(), cell(ratio(base + "read")).c_str(),
                cell(parallel ? ratio(base + "tally") : 0).c_str(),
                cell(ratio(name + "_down")).c_str());
  }
}

// The segmentation metrics side by side on the same uint8 maps (C = 19, void 255), each against
// StatScores' count of those maps: what the per-sample (I, P, T) counting and the rules cost.
void print_segmentation(const std::map<std::string, double>& items) {
  const auto stat = items.find("labels/uint8/C19/tally");
  bool header = false;
  for (const char* name :
       {"dice/uint8/C19/tally", "dice/uint8/C19/tally_samplewise", "dice/uint8/C19/tally_parallel2",
        "mean_iou/uint8/C19/tally", "mean_iou/uint8/C19/tally_samplewise",
        "generalized_dice/uint8/C19/tally"}) {
    const auto it = items.find(name);
    if (it == items.end()) continue;
    if (!header) {
      std::printf("\n%-40s %10s %10s %10s\n", "segmentation, uint8, C = 19", "G elem/s", "GB/s",
                  "x stat");
      header = true;
    }
    char ratio[16] = "";
    if (stat != items.end())
      std::snprintf(ratio, sizeof ratio, "%10.2f", it->second / stat->second);
    // Two bytes per position: one of preds, one of target.
    std::printf("%-40s %10.3f %10.3f %10s\n", name, it->second / 1e9, 2 * it->second / 1e9, ratio);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_labels();
  register_scores();
  register_probs();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::median_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::map<std::string, double> items;  // name -> items/s
  for (const auto& [name, r] : reporter.rows)
    if (r.items > 0) items[name] = r.items;
  print_ratios(items);
  print_segmentation(items);
  benchmark::Shutdown();
  return 0;
}
