// Checkpoint and resume: metrics that accumulate over a long run are saved with the model's
// checkpoint, and a restarted job loads them and carries on as if it had never stopped.
//
// A run of 4 epochs counts macro F1 and the confusion matrix of 4 classes (void label 255) over
// every batch. Job 1 is "killed" after epoch 2, having written its metrics to a file; job 2
// builds fresh metrics, loads the file and counts epochs 3 and 4. The result must equal one
// uninterrupted run, bit for bit (the program exits with 1 otherwise). Last, loading the state
// into a metric with other options, or from a damaged file, throws tally::error.
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t num_classes = 4;
constexpr std::uint8_t void_label = 255;
constexpr int num_epochs = 4, killed_after = 2, batches_per_epoch = 5;
constexpr std::size_t batch_size = 200;

tally::Multiclass::Options options() {
  tally::Multiclass::Options o;
  o.num_classes = num_classes;
  o.ignore_index = void_label;
  o.average = tally::Average::macro;
  return o;
}

// Every batch is generated from its epoch and index, as a seeded data loader would replay it:
// labels with ~5% void, predictions right ~70% of the time.
void make_batch(int epoch, int batch, std::vector<std::uint8_t>& preds,
                std::vector<std::uint8_t>& target) {
  std::mt19937 rng(static_cast<std::uint32_t>(1000 * epoch + batch));
  preds.resize(batch_size);
  target.resize(batch_size);
  for (std::size_t i = 0; i < batch_size; ++i) {
    const auto t = static_cast<std::uint8_t>(rng() % num_classes);
    target[i] = rng() % 20 == 0 ? void_label : t;
    preds[i] = rng() % 10 < 7 ? t : static_cast<std::uint8_t>(rng() % num_classes);
  }
}

// Counts epochs [first, last) into both metrics.
void run_epochs(int first, int last, tally::MulticlassF1Score& f1,
                tally::MulticlassConfusionMatrix& cm) {
  std::vector<std::uint8_t> preds, target;
  for (int epoch = first; epoch < last; ++epoch) {
    for (int b = 0; b < batches_per_epoch; ++b) {
      make_batch(epoch, b, preds, target);
      f1.update(preds, target);
      cm.update(preds, target);
    }
    std::printf("  epoch %d: macro F1 so far %.6f\n", epoch + 1, f1.compute().value());
  }
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void print_matrix(const tally::Result& m) {
  for (std::size_t r = 0; r < m.shape()[0]; ++r) {
    std::printf("    ");
    for (std::size_t c = 0; c < m.shape()[1]; ++c) std::printf("%6.0f", m[r * m.shape()[1] + c]);
    std::printf("\n");
  }
}

}  // namespace

int main() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path f1_file = dir / "tally_example_f1.state";
  const std::filesystem::path cm_file = dir / "tally_example_cm.state";

  // The reference: one job, never interrupted.
  std::printf("uninterrupted run:\n");
  tally::MulticlassF1Score f1_all(options());
  tally::MulticlassConfusionMatrix cm_all(options());
  run_epochs(0, num_epochs, f1_all, cm_all);

  // Job 1: counts the first epochs, saves its metrics with the checkpoint, then dies.
  {
    std::printf("job 1:\n");
    tally::MulticlassF1Score f1(options());
    tally::MulticlassConfusionMatrix cm(options());
    run_epochs(0, killed_after, f1, cm);
    write_file(f1_file, f1.save());  // a few hundred bytes: the counts, and the options
    write_file(cm_file, cm.save());
    std::printf("  saved %ju + %ju bytes to %s\n",
                static_cast<std::uintmax_t>(std::filesystem::file_size(f1_file)),
                static_cast<std::uintmax_t>(std::filesystem::file_size(cm_file)),
                dir.string().c_str());
  }

  // Job 2: a new process would start here. Same options, then load() and continue.
  std::printf("job 2, resumed from the checkpoint:\n");
  tally::MulticlassF1Score f1(options());
  tally::MulticlassConfusionMatrix cm(options());
  f1.load(read_file(f1_file));
  cm.load(read_file(cm_file));
  run_epochs(killed_after, num_epochs, f1, cm);

  std::printf("confusion matrix after %d epochs (rows: target, columns: prediction):\n",
              num_epochs);
  print_matrix(cm.compute());
  const bool same = f1 == f1_all && cm == cm_all &&  // options and counts
                    f1.compute() == f1_all.compute() && cm.compute() == cm_all.compute();
  std::printf("macro F1: resumed %.17g, uninterrupted %.17g -> %s\n", f1.compute().value(),
              f1_all.compute().value(), same ? "identical" : "DIFFERENT");
  if (!same) return 1;

  // A state only loads into the same metric with the same options: here 5 classes instead of 4.
  tally::Multiclass::Options other = options();
  other.num_classes = 5;
  tally::MulticlassF1Score wrong(other);
  try {
    wrong.load(read_file(f1_file));
    std::printf("loading into other options did not throw\n");
    return 1;
  } catch (const tally::error& e) {
    std::printf("load with num_classes = 5: tally::error: %s\n", e.what());
  }

  // A damaged file (one byte changed) fails the checksum; the metric keeps its state.
  std::string damaged = read_file(f1_file);
  damaged[damaged.size() / 2] ^= 0x20;
  try {
    f1.load(damaged);
    std::printf("loading a damaged state did not throw\n");
    return 1;
  } catch (const tally::error& e) {
    std::printf("load of a damaged file: tally::error: %s\n", e.what());
  }
  if (!(f1 == f1_all)) return 1;  // unchanged by the failed load

  std::filesystem::remove(f1_file);
  std::filesystem::remove(cm_file);
  return 0;
}
