// Forks 4 processes that form a c10d::ProcessGroupGloo (rendezvous through a c10d::FileStore in a
// fresh temporary directory): each rank counts its share of one dataset, then
// tally::torch::all_reduce must give every rank exactly what one process counting all of the data
// gets (the state, its saved bytes and compute() bit for bit). The parent waits for every rank
// and exits non-zero if any failed. Compile with -DUSE_C10D_GLOO (LibTorch's torch_cpu target
// defines it) and link LibTorch.
#ifndef USE_C10D_GLOO
#error "compile with -DUSE_C10D_GLOO (LibTorch's torch_cpu target defines it): ProcessGroupGloo.hpp is empty without it"
#endif

#include <tally/torch_distributed.hpp>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <tally/tally.hpp>
#include <vector>

#include "../support/sharded_data.hpp"

namespace {

using namespace sharded;

constexpr int ranks = 4;
int world = ranks;

// The same shape and the same bits in every value (NaN payloads and the sign of 0 included).
bool same_bits(const tally::Result& a, const tally::Result& b) {
  if (a.shape() != b.shape() || a.size() != b.size()) return false;
  return a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// The metric over this rank's share, all-reduced, against one process over all the data.
template <class M>
void check_metric(const char* name, const M& fresh, const data& d, c10d::ProcessGroup& group,
                  feed how = feed::labels) {
  M whole = fresh;
  M mine = fresh;
  update_with(whole, d, 0, first(world), how);
  update_with(mine, d, first(rank_id), share(rank_id), how);
  tally::torch::all_reduce(mine, group);
  expect(mine == whole, std::string(name) + ": all_reduce state equals one process");
  expect(mine.save() == whole.save(), std::string(name) + ": saved bytes equal");
  expect(same_bits(mine.compute(), whole.compute()),
         std::string(name) + ": all_reduce result equals one process, bit for bit");
}

void run_checks(c10d::ProcessGroup& group) {
  const data d = dataset(first(world));

  {
    // uint64 counts travel as int64: the sum wraps exactly like uint64 addition.
    std::vector<std::uint64_t> words{~std::uint64_t{0}, std::uint64_t{1} << 63,
                                     static_cast<std::uint64_t>(rank_id)};
    tally::torch::detail::allreduce_words(group, words.data(), words.size(),
                                          c10d::ReduceOp::SUM);
    const std::uint64_t n = static_cast<std::uint64_t>(world);
    expect(words[0] == ~std::uint64_t{0} * n && words[1] == (std::uint64_t{1} << 63) * n &&
               words[2] == n * (n - 1) / 2,
           "uint64 words summed as int64 wrap like uint64 addition");
  }

  tally::Multiclass::Options o;
  o.num_classes = C;
  o.ignore_index = 255;
  check_metric("MulticlassF1Score macro", tally::MulticlassF1Score(o), d, group);
  o.average = tally::Average::none;
  check_metric("MulticlassJaccardIndex none", tally::MulticlassJaccardIndex(o), d, group);
  check_metric("MulticlassConfusionMatrix", tally::MulticlassConfusionMatrix(o), d, group);
  o.multidim_average = tally::MultidimAverage::samplewise;
  check_metric("MulticlassStatScores samplewise", tally::MulticlassStatScores(o), d, group);
  check_metric("MulticlassRecall samplewise", tally::MulticlassRecall(o), d, group);

  // The confusion-derived family: O(C) counts (MCC, NPV, Hamming), the C x C table (kappa) and
  // ExactMatch's [correct, total] per sample.
  tally::Multiclass::Options plain;
  plain.num_classes = C;
  plain.ignore_index = 255;
  check_metric("MulticlassMatthewsCorrCoef", tally::MulticlassMatthewsCorrCoef(plain), d, group);
  check_metric("MulticlassCohenKappa quadratic",
               tally::MulticlassCohenKappa(plain, tally::KappaWeights::quadratic), d, group);
  check_metric("MulticlassNegativePredictiveValue", tally::MulticlassNegativePredictiveValue(plain),
               d, group);
  check_metric("MulticlassHammingDistance", tally::MulticlassHammingDistance(plain), d, group);
  check_metric("MulticlassExactMatch", tally::MulticlassExactMatch(plain), d, group);
  plain.multidim_average = tally::MultidimAverage::samplewise;
  check_metric("MulticlassExactMatch samplewise", tally::MulticlassExactMatch(plain), d, group);

  tally::DiceScore::Options dopt;
  dopt.num_classes = C;
  dopt.ignore_index = 255;
  dopt.input_format = tally::InputFormat::index;
  dopt.aggregation_level = tally::AggregationLevel::global;
  check_metric("DiceScore global", tally::DiceScore(dopt), d, group);
  // Samplewise Dice sums its per-sample values exactly (as fixed-point integers): bit for bit.
  dopt.aggregation_level = tally::AggregationLevel::samplewise;
  check_metric("DiceScore samplewise", tally::DiceScore(dopt), d, group);
  dopt.average = tally::Average::none;
  check_metric("DiceScore samplewise none", tally::DiceScore(dopt), d, group);

  // MeanIoU and GeneralizedDiceScore: per-sample values summed exactly, bit for bit.
  tally::MeanIoU::Options mopt;
  mopt.num_classes = C;
  mopt.ignore_index = 255;
  mopt.input_format = tally::InputFormat::index;
  check_metric("MeanIoU samplewise", tally::MeanIoU(mopt), d, group);
  mopt.average = tally::Average::none;
  check_metric("MeanIoU samplewise none", tally::MeanIoU(mopt), d, group);
  mopt.aggregation_level = tally::AggregationLevel::global;
  check_metric("MeanIoU global none", tally::MeanIoU(mopt), d, group);
  tally::GeneralizedDiceScore::Options gopt;
  gopt.num_classes = C;
  gopt.ignore_index = 255;
  gopt.input_format = tally::InputFormat::index;
  check_metric("GeneralizedDiceScore square", tally::GeneralizedDiceScore(gopt), d, group);
  gopt.average = tally::Average::none;
  gopt.weight_type = tally::DiceWeights::simple;
  check_metric("GeneralizedDiceScore none", tally::GeneralizedDiceScore(gopt), d, group);
  // num_classes = 0: C comes from the one-hot preds; rank 1 has no data and learns it.
  tally::MeanIoU::Options learn;
  learn.ignore_index = 255;
  learn.input_format = tally::InputFormat::mixed;
  check_metric("MeanIoU learning C", tally::MeanIoU(learn), d, group, feed::mixed);
  tally::GeneralizedDiceScore::Options glearn;
  glearn.ignore_index = 255;
  glearn.input_format = tally::InputFormat::mixed;
  check_metric("GeneralizedDiceScore learning C", tally::GeneralizedDiceScore(glearn), d, group,
               feed::mixed);

  // Ranking and calibration: binned counts summed, exact scores gathered in rank order,
  // calibration bins with exact confidence sums.
  tally::Multiclass::Options r;
  r.num_classes = C;
  r.ignore_index = 255;
  check_metric("MulticlassAUROC exact", tally::MulticlassAUROC(r), d, group, feed::scores);
  check_metric("MulticlassAUROC binned",
               tally::MulticlassAUROC(r, tally::Thresholds::linspace(50)), d, group,
               feed::scores);
  check_metric("MulticlassCalibrationError", tally::MulticlassCalibrationError(r), d, group,
               feed::scores);
  tally::Binary::Options b;
  b.ignore_index = 255;
  check_metric("BinaryAveragePrecision exact", tally::BinaryAveragePrecision(b), d, group,
               feed::binary_scores);
  {
    // The last rank's one-hot preds have one channel more: every rank throws, nothing changes.
    tally::MeanIoU odd_classes(learn);
    update_mixed(odd_classes, d, first(rank_id), share(rank_id), rank_id == world - 1 ? C + 1 : C);
    const tally::MeanIoU before = odd_classes;
    const std::string before_bytes = odd_classes.save();
    bool threw = false;
    try {
      tally::torch::all_reduce(odd_classes, group);
    } catch (const tally::error& e) {
      threw = std::string(e.what()).find("different numbers of classes") != std::string::npos;
    }
    expect(threw, "ranks with different learnt classes throw tally::error on every rank");
    expect(odd_classes == before && odd_classes.save() == before_bytes,
           "different learnt classes leave the metric unchanged");
  }

  // Different options on one rank: every rank throws, nothing changes.
  tally::Multiclass::Options g;
  g.num_classes = C;
  g.ignore_index = 255;
  g.zero_division = rank_id == world - 1 ? 1.0 : 0.0;  // the last rank differs
  tally::MulticlassF1Score odd(g);
  update_range(odd, d, first(rank_id), share(rank_id));
  const tally::MulticlassF1Score odd_before = odd;
  const std::string odd_bytes = odd.save();
  bool threw = false;
  try {
    tally::torch::all_reduce(odd, group);
  } catch (const tally::error& e) {
    threw = std::string(e.what()).find("different types or options") != std::string::npos;
  }
  expect(threw, "mismatched options throw tally::error on every rank");
  expect(odd == odd_before && odd.save() == odd_bytes,
         "mismatched options leave the metric unchanged");

  // The group still works after the two refusals: the ranks stayed in step.
  check_metric("MulticlassF1Score after the refusals", tally::MulticlassF1Score(o), d, group);
}

// One rank: join the group, run the checks; the exit status is 0 if all passed.
int run_rank(int rank, const std::string& store_path) {
  rank_id = rank;
  try {
    auto store = c10::make_intrusive<c10d::FileStore>(store_path, world);
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(60));
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
    run_checks(*group);
  } catch (const std::exception& e) {
    expect(false, std::string("unexpected exception: ") + e.what());
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main() {
  // The rendezvous directory, created before forking so that every rank sees the same one.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir_template = std::string(tmp && *tmp ? tmp : "/tmp") + "/tally-c10d-XXXXXX";
  std::vector<char> dir_name(dir_template.begin(), dir_template.end());
  dir_name.push_back('\0');
  if (mkdtemp(dir_name.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir(dir_name.data());
  const std::string store_path = dir + "/store";

  // Fork before LibTorch or Gloo start any thread: the parent only forks and waits.
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (int r = 0; r < world; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      alarm(300);  // a rank stuck in a collective (a bug) dies instead of hanging the test
      const int status = run_rank(r, store_path);
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(status);
    }
    if (pid < 0) {
      std::perror("fork");
      for (const pid_t child : children) kill(child, SIGKILL);
      for (const pid_t child : children) waitpid(child, nullptr, 0);
      return 1;
    }
    children.push_back(pid);
  }

  int failed = 0;
  for (std::size_t r = 0; r < children.size(); ++r) {
    int status = 0;
    if (waitpid(children[r], &status, 0) < 0) {
      std::perror("waitpid");
      ++failed;
      continue;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    ++failed;
    if (WIFSIGNALED(status))
      std::fprintf(stderr, "rank %zu: killed by signal %d\n", r, WTERMSIG(status));
    else
      std::fprintf(stderr, "rank %zu: exit status %d\n", r, WEXITSTATUS(status));
  }
  std::remove(store_path.c_str());  // FileStore removes it when every rank is done; if not, here
  rmdir(dir.c_str());
  std::printf("tally torch_distributed test on %d ranks: %s", world, failed ? "FAILED" : "passed");
  if (failed) std::printf(" (%d of %d ranks failed)", failed, world);
  std::printf("\n");
  return failed == 0 ? 0 : 1;
}
