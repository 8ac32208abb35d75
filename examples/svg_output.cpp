// SVG pictures of an evaluation with <tally/svg.hpp> (standard library only, no plotting
// dependency): the confusion matrix as a heatmap, the per-class F1 as a bar chart, and a binary
// detector's ROC and precision-recall curves.
//
// usage: svg_output [directory]     writes confusion_matrix.svg, f1_per_class.svg, roc.svg and
//                                   pr.svg there (default: the current directory); open them in
//                                   a browser.
#include <tally/svg.hpp>
#include <tally/tally.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> class_names = {"road", "sidewalk", "building", "vegetation", "sky"};

// Two 6 x 8 street scenes (N, H, W): sky on top, building and vegetation, sidewalk, road at the
// bottom. 255 marks void (unlabeled) pixels, which count for nothing.
const std::vector<std::uint8_t> target = {4,   4, 4, 4, 4, 4, 4,   4,    //
                                          4,   4, 2, 2, 2, 3, 3,   4,    //
                                          2,   2, 2, 2, 2, 3, 3,   3,    //
                                          255, 2, 2, 2, 3, 3, 3,   3,    //
                                          1,   1, 1, 1, 1, 1, 255, 255,  //
                                          0,   0, 0, 0, 0, 0, 0,   0,    //

                                          4,   4, 4, 4, 4, 4, 4,   4,    //
                                          3,   3, 4, 4, 4, 4, 2,   2,    //
                                          3,   3, 3, 2, 2, 2, 2,   2,    //
                                          3,   3, 3, 2, 2, 2, 2,   255,  //
                                          1,   1, 1, 0, 0, 0, 0,   0,    //
                                          0,   0, 0, 0, 0, 0, 0,   0};
// A model that is right in the middle of regions and wrong along some of their edges.
const std::vector<std::uint8_t> preds = {4, 4, 4, 4, 4, 4, 4, 4,  //
                                         4, 4, 2, 2, 3, 3, 3, 3,  //
                                         2, 2, 2, 2, 3, 3, 3, 3,  //
                                         2, 2, 2, 2, 3, 3, 3, 3,  //
                                         1, 1, 0, 1, 1, 1, 1, 0,  //
                                         0, 0, 0, 0, 0, 1, 0, 0,  //

                                         4, 4, 4, 4, 4, 4, 4, 4,  //
                                         3, 3, 4, 4, 4, 2, 2, 2,  //
                                         3, 3, 2, 2, 2, 2, 2, 2,  //
                                         3, 3, 3, 2, 2, 2, 2, 2,  //
                                         1, 0, 0, 0, 0, 0, 0, 0,  //
                                         0, 0, 0, 0, 0, 0, 0, 0};

// A detector's "is there a car in this window?" scores for 12 windows, and the truth.
const std::vector<float> car_scores = {0.95f, 0.9f, 0.8f, 0.75f, 0.7f,  0.6f,
                                       0.55f, 0.4f, 0.3f, 0.2f,  0.15f, 0.05f};
const std::vector<int> car_present = {1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("wrote %s (%zu bytes)\n", path.c_str(), text.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? std::string(argv[1]) + "/" : std::string();
  const tally::Shape shape{2, 6, 8};
  const tally::tensor_view<const std::uint8_t> p(preds.data(), shape), t(target.data(), shape);

  tally::Multiclass::Options options;
  options.num_classes = static_cast<int>(class_names.size());
  options.ignore_index = 255;
  options.average = tally::Average::none;  // one F1 per class

  tally::MulticlassConfusionMatrix cm(options);
  tally::MulticlassF1Score f1(options);
  cm.update(p, t);
  f1.update(p, t);
  const tally::Result f1_per_class = f1.compute();

  std::printf("class        F1\n");
  for (std::size_t c = 0; c < class_names.size(); ++c)
    std::printf("%-10s %.4f\n", class_names[c].c_str(), f1_per_class[c]);

  // The detector's curves, at every distinct score (Thresholds::exact(), the default).
  tally::BinaryROC roc({});
  tally::BinaryPrecisionRecallCurve pr({});
  tally::BinaryAUROC auroc({});
  roc.update(car_scores, car_present);
  pr.update(car_scores, car_present);
  auroc.update(car_scores, car_present);
  std::printf("car detector AUROC %.4f\n", auroc.compute().value());

  // Rows = target, columns = prediction; each cell shows its count, coloured by its share of
  // the row. The bar chart's axis is [0, 1] for scores; a NaN (undefined) class would be "n/a".
  // The ROC legend gives the area under the curve drawn, the AUROC printed above.
  const bool ok =
      write_file(dir + "confusion_matrix.svg", tally::svg::confusion_matrix(cm, class_names)) &&
      write_file(dir + "f1_per_class.svg",
                 tally::svg::bar_chart(f1_per_class, class_names, "F1 per class")) &&
      write_file(dir + "roc.svg", tally::svg::roc_curve(roc.compute(), "Car detector: ROC")) &&
      write_file(dir + "pr.svg",
                 tally::svg::pr_curve(pr.compute(), "Car detector: precision-recall"));
  return ok ? 0 : 1;
}
