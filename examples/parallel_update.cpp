// Counting a big batch on several threads: update(preds, target, tally::parallel{n}), and the
// other pattern, one metric per thread merged at the end. Both must give exactly the state of
// a serial update (the program exits with 1 otherwise); the speeds printed are informative only.
//
// The batch is a synthetic Cityscapes-like label map, 8 x 512 x 1024 uint8 with 19 classes and
// void pixels (255). Run `parallel_update <images>` for another batch size (at least 2: batches
// under 2^20 elements are counted serially anyway, as handing them to threads costs more).
#include <tally/tally.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr std::int64_t num_classes = 19;
constexpr std::uint8_t void_label = 255;
constexpr std::size_t height = 512, width = 1024;

// A deterministic hash of a pixel index: the same "random" numbers on every platform.
std::uint32_t mix(std::uint64_t i) {
  std::uint64_t z = i * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
}

// Target: blocks of 64 x 128 pixels, each of one class, a void border 4 pixels wide and ~2% void
// pixels inside. Prediction: right, except ~10% of pixels predicted as another class and the
// pixels on a block's left edge taken from the block to the left.
void make_batch(std::size_t images, std::vector<std::uint8_t>& preds,
                std::vector<std::uint8_t>& target) {
  preds.resize(images * height * width);
  target.resize(images * height * width);
  for (std::size_t n = 0; n < images; ++n)
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        const std::size_t i = (n * height + y) * width + x;
        const std::uint32_t h = mix(i);
        const auto block = [&](std::size_t bx) {
          return static_cast<std::uint8_t>((y / 64 * 3 + bx + n * 5) % num_classes);
        };
        const bool border = y < 4 || x < 4 || y + 4 >= height || x + 4 >= width;
        target[i] = border || h % 50 == 0 ? void_label : block(x / 128);
        std::uint8_t p = block(x / 128);
        if (x % 128 < 3 && x >= 128) p = block(x / 128 - 1);
        if ((h >> 8) % 10 == 0) p = static_cast<std::uint8_t>((h >> 16) % num_classes);
        preds[i] = p;
      }
}

// Seconds of the fastest of `repeats` runs of f().
template <class F>
double best_time(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    best = std::min(best, d.count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t images = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8;
  if (images == 0 || images > 256) {
    std::fprintf(stderr, "usage: parallel_update [images: 1 to 256, default 8]\n");
    return 2;
  }
  std::vector<std::uint8_t> preds, target;
  make_batch(images, preds, target);
  const tally::Shape shape{images, height, width};
  const tally::tensor_view<const std::uint8_t> p(preds.data(), shape), t(target.data(), shape);
  const double elements = static_cast<double>(target.size());
  // One thread per hardware thread (what parallel{0} would use), and at least 2.
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());

  tally::Multiclass::Options options;
  options.num_classes = num_classes;
  options.ignore_index = void_label;
  options.average = tally::Average::macro;  // mean IoU over the classes present

  // 1. Serial: one thread counts the whole batch.
  tally::MulticlassJaccardIndex serial(options);
  const double t_serial = best_time(3, [&] {
    serial.reset();
    serial.update(p, t);
  });

  // 2. The same update split over a pool of threads (started at the first parallel update).
  tally::MulticlassJaccardIndex threaded(options);
  const double t_parallel = best_time(3, [&] {
    threaded.reset();
    threaded.update(p, t, tally::parallel{threads});
  });

  // 3. One metric per thread, each counting its own images (as each data-loader worker or
  //    evaluation thread would), merged at the end: merging adds counts, in any order.
  tally::MulticlassJaccardIndex merged(options);
  const double t_merged = best_time(3, [&] {
    std::vector<tally::MulticlassJaccardIndex> parts(threads,
                                                     tally::MulticlassJaccardIndex(options));
    std::vector<std::thread> pool;
    for (unsigned k = 0; k < threads; ++k)
      pool.emplace_back([&, k] {
        const std::size_t first = images * k / threads, last = images * (k + 1) / threads;
        const tally::Shape part{last - first, height, width};
        const std::size_t offset = first * height * width;
        parts[k].update(tally::tensor_view<const std::uint8_t>(preds.data() + offset, part),
                        tally::tensor_view<const std::uint8_t>(target.data() + offset, part));
      });
    for (std::thread& th : pool) th.join();
    merged = parts[0];
    for (unsigned k = 1; k < threads; ++k) merged += parts[k];
  });

  std::printf("batch %zu x %zu x %zu uint8, %d classes, void %d; %u threads\n", images, height,
              width, static_cast<int>(num_classes), void_label, threads);
  std::printf("  serial update            %8.3f G elements/s   mIoU %.6f\n",
              elements / t_serial * 1e-9, serial.compute().value());
  std::printf("  update(..., parallel{%u}) %8.3f G elements/s   mIoU %.6f\n", threads,
              elements / t_parallel * 1e-9, threaded.compute().value());
  std::printf("  %u metrics + merge        %8.3f G elements/s   mIoU %.6f\n", threads,
              elements / t_merged * 1e-9, merged.compute().value());

  // Same options and the same counts, to the last bit, whichever way they were counted.
  if (!(threaded == serial) || !(merged == serial)) {
    std::printf("the parallel results differ from the serial update\n");
    return 1;
  }
  std::printf("parallel and merged states are identical to the serial one\n");
  return 0;
}
