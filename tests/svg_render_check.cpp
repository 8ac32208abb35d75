// The pixel test of <tally/svg.hpp>: headless Chromium renders a heatmap, a bar chart, an ROC
// and a precision-recall curve to PNG, libpng reads them back, and the pixels must show what the
// documents claim. The positions come from the layouts the pictures were drawn with
// (tally::svg::detail::layout_heatmap, layout_bars and layout_curves), so nothing here repeats
// the geometry.
//
// usage: tally_svg_render_check <chromium> <output directory>
//   exit 0: passed; 1: failed; 77: skipped (no Chromium given, or built without libpng), which
//   CTest reports as skipped (SKIP_RETURN_CODE 77). The SVGs, PNGs and Chromium's log stay in
//   the output directory for a look.
//
// Checked: the screenshot has the document's size (device scale factor 1); the background is
// white; each sampled cell has the ramp colour of its row fraction; a diagonal cell of a strongly
// diagonal matrix is darker, in every channel, than an off-diagonal cell of its row; an empty
// row is white; the count on a dark cell is drawn in white and the one on a light cell in dark
// ink; the colour scale runs dark (top) to white (bottom); a bar is filled with the bar colour,
// the area above a short bar and the slot of a NaN value are white; ROC and precision-recall
// curves are drawn in their colours where their points say, the ROC chance diagonal in grey, the
// legend samples in the curves' colours, and the plot away from every line is white.
#include <tally/svg.hpp>
#include <tally/tally.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

constexpr int skipped = 77;  // CTest's SKIP_RETURN_CODE for this test

// Without libpng there is nothing to read the screenshots with: main() reports a skip.
#if defined(TALLY_SVG_RENDER_PNG)
#include <png.h>

namespace {

namespace fs = std::filesystem;
using tally::svg::detail::rgb;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

std::string text(rgb c) {
  return "rgb(" + std::to_string(c.r) + ", " + std::to_string(c.g) + ", " + std::to_string(c.b) +
         ")";
}

bool near(rgb a, rgb b, int tolerance) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
         std::abs(a.b - b.b) <= tolerance;
}

struct image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb_bytes;

  [[nodiscard]] rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                           static_cast<std::size_t>(x)) *
                          3;
    return {rgb_bytes[i], rgb_bytes[i + 1], rgb_bytes[i + 2]};
  }
  // The mean of the 3 x 3 pixels around (x, y): one stray antialiased pixel cannot decide.
  [[nodiscard]] rgb mean(double fx, double fy) const {
    const int x = static_cast<int>(std::lround(fx)), y = static_cast<int>(std::lround(fy));
    int r = 0, g = 0, b = 0;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const rgb p = at(x + dx, y + dy);
        r += p.r, g += p.g, b += p.b;
      }
    return {(r + 4) / 9, (g + 4) / 9, (b + 4) / 9};
  }
  // How many pixels of the box [x0, x1) x [y0, y1) pass the test.
  template <class F>
  [[nodiscard]] int count(double x0, double y0, double x1, double y1, F&& test) const {
    int n = 0;
    for (int y = static_cast<int>(y0); y < static_cast<int>(y1); ++y)
      for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x) n += test(at(x, y)) ? 1 : 0;
    return n;
  }
};

bool read_png(const fs::path& path, image& out) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.string().c_str())) {
    std::printf("cannot read %s: %s\n", path.string().c_str(), png.message);
    return false;
  }
  png.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  out.rgb_bytes.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, out.rgb_bytes.data(), 0, nullptr)) {
    std::printf("cannot decode %s: %s\n", path.string().c_str(), png.message);
    png_image_free(&png);
    return false;
  }
  return true;
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Renders the SVG at its own size; false (with Chromium's log) when no PNG came out.
bool render(const std::string& chromium, const fs::path& dir, const fs::path& svg,
            const fs::path& png, double width, double height) {
  fs::remove(png);
  const fs::path log = dir / "chromium.log";
  std::ostringstream cmd;
  // `timeout`: a Chromium that hangs must not outlive the test.
  if (fs::exists("/usr/bin/timeout")) cmd << "/usr/bin/timeout 120 ";
  // --no-sandbox: Chromium refuses to run as root (containers, CI) with its sandbox.
  // --force-device-scale-factor=1: one CSS px, one pixel, whatever the host's display says.
  cmd << quoted(chromium)
      << " --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1"
         " --no-first-run --no-default-browser-check --disable-extensions"
      << " --user-data-dir=" << quoted((dir / "profile").string())
      << " --screenshot=" << quoted(png.string()) << " --window-size=" << static_cast<long>(width)
      << ',' << static_cast<long>(height) << ' ' << quoted("file://" + svg.string()) << " >"
      << quoted(log.string()) << " 2>&1";
  const int rc = std::system(cmd.str().c_str());
  if (rc != 0 || !fs::exists(png)) {
    std::printf("chromium failed (status %d) for %s; its log, %s:\n", rc, svg.string().c_str(),
                log.string().c_str());
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) std::printf("  %s\n", line.c_str());
    return false;
  }
  return true;
}

void write(const fs::path& path, const std::string& svg) {
  std::ofstream(path) << svg;
}

bool is_white(rgb p) {
  return p.r >= 252 && p.g >= 252 && p.b >= 252;
}

void check_heatmap(const std::string& chromium, const fs::path& dir) {
  // 4 classes, strongly diagonal; class "sky" is never a target, so its row is empty.
  //   row road:   50  2  1  0
  //   row car:     3 40  0  5
  //   row sky:     0  0  0  0
  //   row person:  1  0  2 30
  const std::vector<std::vector<int>> table = {
      {50, 2, 1, 0}, {3, 40, 0, 5}, {0, 0, 0, 0}, {1, 0, 2, 30}};
  std::vector<int> target, preds;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < table[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]; ++k) {
        target.push_back(r);
        preds.push_back(c);
      }
  tally::Multiclass::Options options;
  options.num_classes = 4;
  tally::MulticlassConfusionMatrix cm(options);
  cm.update(preds, target);
  const std::vector<std::string> names = {"road", "car", "sky", "person"};
  const fs::path svg = dir / "heatmap.svg", png = dir / "heatmap.png";
  write(svg, tally::svg::confusion_matrix(cm, names));
  const auto l = tally::svg::detail::layout_heatmap(4, names);
  image img;
  if (!render(chromium, dir, svg, png, l.width, l.height) || !read_png(png, img)) {
    check(false, "heatmap rendered and decoded");
    return;
  }
  check(img.width == static_cast<int>(l.width) && img.height == static_cast<int>(l.height),
        "heatmap PNG is " + std::to_string(img.width) + " x " + std::to_string(img.height) +
            ", the document is " + std::to_string(static_cast<int>(l.width)) + " x " +
            std::to_string(static_cast<int>(l.height)));
  if (img.width != static_cast<int>(l.width) || img.height != static_cast<int>(l.height)) return;

  for (const auto& corner : {std::pair<int, int>{1, 1},
                             {img.width - 2, img.height - 2},
                             {img.width - 2, 1},
                             {1, img.height - 2}})
    check(is_white(img.at(corner.first, corner.second)),
          "background at (" + std::to_string(corner.first) + ", " + std::to_string(corner.second) +
              ") is white: " + text(img.at(corner.first, corner.second)));

  // A cell's colour away from its count (centred) and its border: 7 px in from the corner.
  const auto cell = [&](std::size_t r, std::size_t c) {
    return img.mean(l.cell_x(c) + 7, l.cell_y(r) + 7);
  };
  const auto expected = [&](std::size_t r, std::size_t c) {
    int total = 0;
    for (const int v : table[r]) total += v;
    return tally::svg::detail::ramp(total == 0 ? 0.0 : static_cast<double>(table[r][c]) / total);
  };
  const rgb diagonal = cell(0, 0), off = cell(0, 1), empty = cell(2, 2);
  for (const auto& rc :
       {std::pair<std::size_t, std::size_t>{0, 0}, {0, 1}, {1, 1}, {1, 3}, {3, 3}, {2, 2}})
    check(near(cell(rc.first, rc.second), expected(rc.first, rc.second), 8),
          "cell (" + std::to_string(rc.first) + ", " + std::to_string(rc.second) + ") is " +
              text(cell(rc.first, rc.second)) + ", the ramp says " +
              text(expected(rc.first, rc.second)));
  check(diagonal.r < off.r && diagonal.g < off.g && diagonal.b < off.b &&
            diagonal.r + diagonal.g + diagonal.b + 300 < off.r + off.g + off.b,
        "diagonal cell (0, 0) " + text(diagonal) + " is darker than off-diagonal (0, 1) " +
            text(off));
  check(is_white(empty), "cell (2, 2) of the empty row is white: " + text(empty));

  // The counts: white ink on the dark cell ("50"), dark ink on the light one ("2").
  const double h = l.cell / 2;
  const int white_ink =
      img.count(l.cell_x(0) + h - 12, l.cell_y(0) + h - 7, l.cell_x(0) + h + 12,
                l.cell_y(0) + h + 7, [](rgb p) { return p.r > 200 && p.b > 200; });
  const int dark_ink =
      img.count(l.cell_x(1) + h - 12, l.cell_y(0) + h - 7, l.cell_x(1) + h + 12,
                l.cell_y(0) + h + 7, [](rgb p) { return p.r < 110 && p.g < 110 && p.b < 110; });
  check(white_ink >= 6, "white text on the dark cell: " + std::to_string(white_ink) + " pixels");
  check(dark_ink >= 4, "dark text on the light cell: " + std::to_string(dark_ink) + " pixels");

  // The colour scale: dark at the top (1), white at the bottom (0).
  const double lx = l.legend_x + l.legend_width / 2;
  const rgb top = img.mean(lx, l.legend_y + 4),
            bottom = img.mean(lx, l.legend_y + l.legend_height - 4);
  check(top.r + top.g + top.b + 300 < bottom.r + bottom.g + bottom.b && bottom.r > 235,
        "colour scale runs from " + text(top) + " (top) to " + text(bottom) + " (bottom)");
}

void check_bars(const std::string& chromium, const fs::path& dir) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const tally::Result f1(tally::Shape{4}, {0.9, 0.1, nan, 0.5});
  const std::vector<std::string> names = {"road", "car", "sky", "person"};
  const fs::path svg = dir / "bars.svg", png = dir / "bars.png";
  write(svg, tally::svg::bar_chart(f1, names, "F1 per class"));
  const auto l = tally::svg::detail::layout_bars(f1, names, "F1 per class");
  image img;
  if (!render(chromium, dir, svg, png, l.width, l.height) || !read_png(png, img)) {
    check(false, "bar chart rendered and decoded");
    return;
  }
  check(img.width == static_cast<int>(l.width) && img.height == static_cast<int>(l.height),
        "bar chart PNG is " + std::to_string(img.width) + " x " + std::to_string(img.height));
  if (img.width != static_cast<int>(l.width) || img.height != static_cast<int>(l.height)) return;

  const rgb bar = tally::svg::detail::bar_colour;
  const rgb tall = img.mean(l.x_center(0), l.y_of(0.45)),
            short_bar = img.mean(l.x_center(1), l.y_of(0.05));
  const rgb above_short = img.mean(l.x_center(1), l.y_of(0.5));
  const rgb nan_slot = img.mean(l.x_center(2), l.y_of(0.5)),
            half = img.mean(l.x_center(3), l.y_of(0.25));
  const rgb above_half = img.mean(l.x_center(3), l.y_of(0.7));
  check(near(tall, bar, 8), "bar 0 (0.9) at 0.45 is " + text(tall) + ", bar colour " + text(bar));
  check(near(short_bar, bar, 8), "bar 1 (0.1) at 0.05 is " + text(short_bar));
  check(near(half, bar, 8), "bar 3 (0.5) at 0.25 is " + text(half));
  check(is_white(above_short), "above bar 1 (0.1), at 0.5: white " + text(above_short));
  check(is_white(above_half), "above bar 3 (0.5), at 0.7: white " + text(above_half));
  check(is_white(nan_slot), "the NaN slot (class 2) at 0.5: white " + text(nan_slot));
  check(is_white(img.at(1, 1)), "background at (1, 1) is white: " + text(img.at(1, 1)));
  // The "n/a" label: grey ink just above the zero line in the NaN slot.
  const double zero = l.y_of(0);
  const int grey = img.count(l.x_center(2) - 12, zero - 16, l.x_center(2) + 12, zero - 2,
                             [](rgb p) { return p.r < 200 && std::abs(p.r - p.b) < 20; });
  check(grey >= 4, "\"n/a\" drawn in the NaN slot: " + std::to_string(grey) + " grey pixels");
}

// How many pixels of the (2 r + 1)^2 box around (x, y) are within `tolerance` of c in every
// channel: a 2 px antialiased line passing through the box has a few.
int near_count(const image& img, double fx, double fy, int r, rgb c, int tolerance) {
  const double x = std::round(fx), y = std::round(fy);
  return img.count(x - r, y - r, x + r + 1, y + r + 1,
                   [&](rgb p) { return near(p, c, tolerance); });
}

// Renders one curve picture; the layout, or nothing when rendering failed (already reported).
bool render_curves(const std::string& chromium, const fs::path& dir, const std::string& name,
                   const std::string& svg_text, const tally::svg::detail::curve_layout& l,
                   image& img) {
  const fs::path svg = dir / (name + ".svg"), png = dir / (name + ".png");
  write(svg, svg_text);
  if (!render(chromium, dir, svg, png, l.width, l.height) || !read_png(png, img)) {
    check(false, name + " rendered and decoded");
    return false;
  }
  const bool size_ok =
      img.width == static_cast<int>(l.width) && img.height == static_cast<int>(l.height);
  check(size_ok, name + " PNG is " + std::to_string(img.width) + " x " +
                     std::to_string(img.height) + ", the document is " +
                     std::to_string(static_cast<int>(l.width)) + " x " +
                     std::to_string(static_cast<int>(l.height)));
  return size_ok;
}

void check_curves(const std::string& chromium, const fs::path& dir) {
  using tally::svg::detail::curve_colour;
  // Two ROC curves: a good one through (0.2, 0.8), a poor one through (0.6, 0.4).
  const std::vector<tally::RocCurve> roc = {{{0, 0.2, 1}, {0, 0.8, 1}, {}},
                                            {{0, 0.6, 1}, {0, 0.4, 1}, {}}};
  const std::vector<std::string> names = {"good", "poor"};
  const auto rl = tally::svg::detail::layout_curves(
      tally::svg::detail::roc_set(roc.data(), roc.size(), names), "ROC");
  image img;
  if (render_curves(chromium, dir, "roc", tally::svg::roc_curve(roc, names, "ROC"), rl, img)) {
    const auto at = [&](double x, double y, rgb c, int tolerance) {
      return near_count(img, rl.x_of(x), rl.y_of(y), 2, c, tolerance);
    };
    // Half way along each curve's first segment, its colour.
    const int good = at(0.1, 0.4, curve_colour(0), 40), poor = at(0.3, 0.2, curve_colour(1), 40);
    check(good >= 2,
          "ROC curve 0 drawn in its colour at (0.1, 0.4): " + std::to_string(good) + " pixels");
    check(poor >= 2,
          "ROC curve 1 drawn in its colour at (0.3, 0.2): " + std::to_string(poor) + " pixels");
    check(at(0.3, 0.2, curve_colour(0), 40) == 0, "no colour of curve 0 on curve 1 at (0.3, 0.2)");
    // The chance diagonal at (0.85, 0.85), grey and darker than the grid lines (#e4e4e4).
    const int chance = near_count(img, rl.x_of(0.85), rl.y_of(0.85), 4, rgb{180, 180, 180}, 35);
    check(chance >= 2,
          "chance diagonal drawn in grey at (0.85, 0.85): " + std::to_string(chance) + " pixels");
    const rgb empty = img.mean(rl.x_of(0.9), rl.y_of(0.1));
    check(is_white(empty),
          "ROC plot at (0.9, 0.1), away from every line, is white: " + text(empty));
    // The legend samples, in the curves' colours.
    for (std::size_t i = 0; i < 2; ++i) {
      const int n = near_count(img, rl.legend_x + rl.legend_sample / 2, rl.legend_row_y(i), 2,
                               curve_colour(i), 40);
      check(n >= 4, "legend sample " + std::to_string(i) +
                        " in its curve's colour: " + std::to_string(n) + " pixels");
    }
  }

  // A precision-recall curve with a binned curve's NaN point, which is left out.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const tally::PrCurve pr{{0.5, 0.75, nan, 1}, {1, 0.5, 0, 0}, {0, 0.5, 1}};
  const auto pl = tally::svg::detail::layout_curves(tally::svg::detail::pr_set(&pr, 1, {}), "");
  if (render_curves(chromium, dir, "pr", tally::svg::pr_curve(pr), pl, img)) {
    // (1, 0.5) to (0.5, 0.75): its middle (0.75, 0.625); then on to (0, 1) along the top.
    const int on = near_count(img, pl.x_of(0.75), pl.y_of(0.625), 2, curve_colour(0), 40);
    check(on >= 2, "PR curve drawn at (0.75, 0.625): " + std::to_string(on) + " pixels");
    const int mid = near_count(img, pl.x_of(0.25), pl.y_of(0.875), 2, curve_colour(0), 40);
    check(mid >= 2, "PR curve drawn at (0.25, 0.875): " + std::to_string(mid) + " pixels");
    const rgb below = img.mean(pl.x_of(0.5), pl.y_of(0.3));
    check(is_white(below), "PR plot under the curve at (0.5, 0.3) is white: " + text(below));
  }
}

}  // namespace
#endif  // TALLY_SVG_RENDER_PNG

int main(int argc, char** argv) {
#if !defined(TALLY_SVG_RENDER_PNG)
  (void)argc;
  (void)argv;
  std::printf("skipped: built without libpng (Debian: libpng-dev), cannot read the screenshots\n");
  return skipped;
#else
  if (argc < 3 || argv[1][0] == '\0' || argv[2][0] == '\0') {
    std::printf("skipped: no Chromium (Debian: chromium); usage: %s <chromium> <output dir>\n",
                argv[0]);
    return skipped;
  }
  const std::string chromium = argv[1];
  const fs::path dir = fs::absolute(argv[2]);
  fs::create_directories(dir);
  check_heatmap(chromium, dir);
  check_bars(chromium, dir);
  check_curves(chromium, dir);
  std::printf("%s: %d failed check(s); files in %s\n", failures ? "FAILED" : "passed", failures,
              dir.string().c_str());
  return failures ? 1 : 0;
#endif
}
