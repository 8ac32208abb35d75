// tests/support/sharded_data.hpp — the dataset the distributed tests (MPI, c10d) split over their
// ranks, how each rank updates a metric with its share, and their failure count.
#ifndef TALLY_TESTS_SHARDED_DATA_HPP
#define TALLY_TESTS_SHARDED_DATA_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <tally/tally.hpp>
#include <vector>

namespace sharded {

constexpr std::size_t H = 8, W = 16, C = 5;

inline int failures = 0;
inline int rank_id = 0;

inline void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_id, what.c_str());
  }
}

// The whole dataset: rank r owns samples [first(r), first(r + 1)); shares differ in size, and
// rank 1 owns none, to check empty contributions.
inline std::size_t share(int r) { return r == 1 ? 0 : static_cast<std::size_t>(r % 3) + 2; }
inline std::size_t first(int r) {
  std::size_t f = 0;
  for (int k = 0; k < r; ++k) f += share(k);
  return f;
}

struct data {
  std::vector<std::uint8_t> preds, target;  // (N, H, W), target 255 = void
};

inline data dataset(std::size_t n) {
  std::mt19937 rng(7);
  data d;
  for (std::size_t i = 0; i < n * H * W; ++i) {
    const auto t = static_cast<std::uint8_t>(rng() % C);
    d.target.push_back(rng() % 8 == 0 ? 255 : t);
    d.preds.push_back(rng() % 4 == 0 ? static_cast<std::uint8_t>(rng() % C) : t);
  }
  return d;
}

// Label maps (count, H, W), samples [begin, begin + count).
template <class M>
void update_range(M& m, const data& d, std::size_t begin, std::size_t count) {
  if (count == 0) return;
  const tally::Shape s{count, H, W};
  m.update(tally::tensor_view<const std::uint8_t>(d.preds.data() + begin * H * W, s),
           tally::tensor_view<const std::uint8_t>(d.target.data() + begin * H * W, s));
}

// Mixed input: preds one-hot (count, channels, H, W) made from the label maps, target the index
// maps (void 255); metrics built with num_classes = 0 learn C = channels from it.
template <class M>
void update_mixed(M& m, const data& d, std::size_t begin, std::size_t count,
                  std::size_t channels = C) {
  if (count == 0) return;
  std::vector<std::uint8_t> one_hot(count * channels * H * W, 0);
  for (std::size_t n = 0; n < count; ++n)
    for (std::size_t r = 0; r < H * W; ++r)
      one_hot[(n * channels + d.preds[(begin + n) * H * W + r]) * H * W + r] = 1;
  const tally::Shape ps{count, channels, H, W}, ts{count, H, W};
  m.update(tally::tensor_view<const std::uint8_t>(one_hot.data(), ps),
           tally::tensor_view<const std::uint8_t>(d.target.data() + begin * H * W, ts));
}

// A score in [0, 1) that depends only on the global position and class.
inline float score_at(std::size_t position, std::size_t c) {
  std::uint64_t x = position * 0x9E3779B97F4A7C15ull + c * 0xBF58476D1CE4E5B9ull + 1;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return static_cast<float>(x >> 40) / static_cast<float>(1u << 24);
}

// Per-class scores (count, C, H, W), logits leaning towards the predicted label, for the ranking
// and calibration metrics; target the index maps (void 255).
template <class M>
void update_scores(M& m, const data& d, std::size_t begin, std::size_t count) {
  if (count == 0) return;
  std::vector<float> scores(count * C * H * W);
  for (std::size_t n = 0; n < count; ++n)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t r = 0; r < H * W; ++r) {
        const std::size_t at = (begin + n) * H * W + r;
        scores[(n * C + c) * H * W + r] =
            4.0f * score_at(at, c) - 2.0f + (d.preds[at] == c ? 2.0f : 0.0f);
      }
  const tally::Shape ps{count, C, H, W}, ts{count, H, W};
  m.update(tally::tensor_view<const float>(scores.data(), ps),
           tally::tensor_view<const std::uint8_t>(d.target.data() + begin * H * W, ts));
}

// Binary probabilities (count, H, W) and targets: label parity, void 255 kept.
template <class M>
void update_binary_scores(M& m, const data& d, std::size_t begin, std::size_t count) {
  if (count == 0) return;
  std::vector<float> p(count * H * W);
  std::vector<std::uint8_t> t(count * H * W);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::size_t at = begin * H * W + i;
    p[i] = 0.7f * score_at(at, 0) + (d.preds[at] % 2 == 1 ? 0.3f : 0.0f);
    t[i] = d.target[at] == 255 ? 255 : static_cast<std::uint8_t>(d.target[at] % 2);
  }
  const tally::Shape s{count, H, W};
  m.update(tally::tensor_view<const float>(p.data(), s),
           tally::tensor_view<const std::uint8_t>(t.data(), s));
}

// How a distributed test feeds a metric its share.
enum class feed { labels, mixed, scores, binary_scores };

template <class M>
void update_with(M& m, const data& d, std::size_t begin, std::size_t count, feed how) {
  switch (how) {
    case feed::labels: return update_range(m, d, begin, count);
    case feed::mixed: return update_mixed(m, d, begin, count);
    case feed::scores: return update_scores(m, d, begin, count);
    case feed::binary_scores: return update_binary_scores(m, d, begin, count);
  }
}

}  // namespace sharded

#endif  // TALLY_TESTS_SHARDED_DATA_HPP
