// tally/svg.hpp — SVG pictures of results, with the standard library alone: a confusion-matrix
// heatmap, a per-class bar chart, ROC and precision-recall curves, each a complete standalone
// document.
// SPDX-License-Identifier: MIT
#ifndef TALLY_SVG_HPP
#define TALLY_SVG_HPP

// Optional header (not in <tally/tally.hpp>): include it where pictures are written.
//
//     #include <tally/svg.hpp>
//
//     std::ofstream("cm.svg") << tally::svg::confusion_matrix(cm, {"road", "car", "sky"});
//     std::ofstream("f1.svg") << tally::svg::bar_chart(f1_per_class.compute(),
//                                                      {"road", "car", "sky"}, "F1 per class");
//     std::ofstream("roc.svg") << tally::svg::roc_curve(binary_roc.compute());
//
// confusion_matrix(): rows = target (true class), columns = prediction, as compute() lays them
// out. Each cell shows its count, read from counts() (exact whatever the metric's normalize
// option); counts above 99999 show three significant digits with a suffix (123k, 4.56M), every
// cell's tooltip gives the exact count. The fill is the count over its row's total (the recall
// of the row's class for a diagonal cell) through a white to dark-blue ramp; an empty row stays
// white. Text turns white on dark cells. A colour scale for the row fraction sits on the right.
//
// bar_chart(): one bar per class of a result of shape (C) (Average::none). The value axis runs
// from min(0, smallest value) to max(1, largest value), rounded out to a tick: scores in [0, 1]
// get a fixed [0, 1] axis, counts or other values above 1 extend it. NaN (tally's "undefined",
// e.g. a class absent from preds and target) draws no bar and the label "n/a"; infinities draw
// no bar and the label "inf" or "-inf". Each bar is labelled with its value.
//
// roc_curve(), pr_curve(): one polyline per curve (a RocCurve or PrCurve, or a vector of them,
// e.g. one per class with Average::none) on a 300 px unit square with ticks every 0.2: ROC
// plots tpr over fpr with the dashed chance diagonal, PR plots precision over recall. Points are
// joined in their order; a point with a NaN or infinite coordinate (a binned PR curve's 0 / 0) is
// left out, values outside [0, 1] are drawn at the edge. The legend names each curve in its
// colour (ten colours, the first the bar colour, then again dashed); a ROC entry adds the
// trapezoidal area under the drawn points, "(AUC 0.875)": BinaryAUROC's value (without max_fpr) for
// a binary curve and each class's AUROC for per-class curves (for a macro-averaged curve the area
// under that curve, not the mean of the classes' AUROC). PR entries show no area: average precision
// is a step sum, not the area under the lines. A curve without finite points is "(no points)".
//
// Sizing: fixed 40 px cells and bar slots, so the picture grows linearly with C (C = 150 gives a
// heatmap of about 6300 x 6300 px, about 250 bytes per cell); names get the room their estimated
// width needs, and names longer than 32 characters are cut with an ellipsis (the full name is in
// the tooltip). Class names are XML-escaped; control characters become spaces and bytes that are
// not UTF-8 become U+FFFD, so any name gives a well-formed document. No class_names: "0", "1", ...
// (one curve alone: "ROC curve" or "PR curve").
// Numbers are written without locales (std::to_chars and scaled integers): a program running
// under a locale with a decimal comma still writes "0.5".

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "confusion_matrix.hpp"
#include "detail/reduce.hpp"
#include "error.hpp"
#include "options.hpp"
#include "result.hpp"
#include "tensor_view.hpp"
#include "thresholds.hpp"

TALLY_NAMESPACE_BEGIN

namespace svg {
namespace detail {

// ---- numbers, locale-free ----------------------------------------------------------------------

inline void put_int(std::string& out, long long v) {
  char buf[24];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void put_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// v with `decimals` (0 to 6) digits after the point, as a scaled integer: no locale can turn the
// point into a comma. trim drops trailing zeros (and the point). Callers pass finite values;
// magnitudes are clamped to 1e12, far beyond any coordinate or fixed-point label written here.
inline void put_fixed(std::string& out, double v, int decimals, bool trim = false) {
  static constexpr long long pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  decimals = std::clamp(decimals, 0, 6);
  const long long scale = pow10[decimals];
  const double a = std::min(std::fabs(v), 1e12);
  const long long n = std::llround(a * static_cast<double>(scale));
  if (v < 0 && n != 0) out += '-';
  put_int(out, n / scale);
  long long frac = n % scale;
  int digits = decimals;
  if (trim)
    while (digits > 0 && frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
  if (digits == 0) return;
  char buf[8];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out += '.';
  out.append(buf, static_cast<std::size_t>(digits));
}

// A coordinate or length: at most two decimals, "40" rather than "40.00".
inline void put_coord(std::string& out, double v) {
  put_fixed(out, v, 2, true);
}

// A value for a reader: `decimals` digits below `short_from` (at least 1000) in magnitude;
// from there, three significant digits with a suffix up to E (75k, 4.56M, 7.8G), then an
// exponent (1.23e21).
inline void put_label(std::string& out, double v, int decimals, double short_from = 99999.5) {
  const double a = std::fabs(v);
  if (a < std::max(short_from, 999.5)) {
    put_fixed(out, v, decimals);
    return;
  }
  if (v < 0) out += '-';
  int e = static_cast<int>(std::floor(std::log10(a)));
  long long q = std::llround(a / std::pow(10.0, e - 2));  // 3 digits: 100 to 999
  if (q >= 1000) {                                        // rounded up to the next decade
    ++e;
    q = std::llround(a / std::pow(10.0, e - 2));
  } else if (q < 100) {  // log10 came out one too high
    --e;
    q = std::llround(a / std::pow(10.0, e - 2));
  }
  q = std::clamp(q, 100LL, 999LL);
  const char digits[3] = {static_cast<char>('0' + q / 100), static_cast<char>('0' + q / 10 % 10),
                          static_cast<char>('0' + q % 10)};
  static constexpr char suffix[] = {'k', 'M', 'G', 'T', 'P', 'E'};
  const int group = e / 3;  // e >= 3 here, so group >= 1
  const bool si = group <= 6;
  const int whole = si ? e - 3 * group + 1 : 1;  // digits before the point
  int last = 2;
  while (last >= whole && digits[last] == '0') --last;
  out.append(digits, static_cast<std::size_t>(whole));
  if (last >= whole) {
    out += '.';
    out.append(digits + whole, static_cast<std::size_t>(last - whole + 1));
  }
  if (si) {
    out += suffix[group - 1];
  } else {
    out += 'e';
    put_int(out, e);
  }
}

// A count: exact up to 99999 (five digits fit a 40 px cell), else put_label's short form.
inline void put_count(std::string& out, std::uint64_t v) {
  if (v <= 99999)
    put_uint(out, v);
  else
    put_label(out, static_cast<double>(v), 0);
}

// ---- text --------------------------------------------------------------------------------------

// The length of the valid UTF-8 sequence of two to four bytes at s[i], or 0: no overlong forms,
// no surrogates, nothing above U+10FFFF, not the XML non-characters U+FFFE and U+FFFF.
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0, least = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1Fu, least = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0Fu, least = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07u, least = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (d & 0x3Fu);
  }
  if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
    return 0;
  return n;
}

// The bytes of the character at s[i]: a valid sequence, or one byte (ASCII or an invalid byte).
[[nodiscard]] inline std::size_t char_bytes(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = utf8_sequence(s, i);
  return n == 0 ? 1 : n;
}

// Text content or an attribute value: the five XML specials as entities, control characters
// (not allowed in XML 1.0, not even as references) as spaces, bytes that are not UTF-8 as U+FFFD.
inline void put_xml(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

inline constexpr std::size_t max_name_chars = 32;  // longer names are cut, with an ellipsis

// The name as drawn: at most max_name_chars characters, the last an ellipsis when cut.
[[nodiscard]] inline std::string shown_name(std::string_view name, bool* cut = nullptr) {
  std::size_t chars = 0, end = 0;
  for (std::size_t i = 0; i < name.size(); i += char_bytes(name, i)) {
    if (chars == max_name_chars - 1) end = i;
    if (++chars > max_name_chars) break;
  }
  if (cut) *cut = chars > max_name_chars;
  if (chars <= max_name_chars) return std::string(name);
  return std::string(name.substr(0, end)) + "\xE2\x80\xA6";
}

// An estimate of the width of the text in px, generous so that names are not clipped: no font
// metrics are at hand, and the viewer picks the sans-serif font. Narrow Latin letters and digits
// 0.62 em (DejaVu Sans, Linux's usual fallback, is among the widest), capitals 0.75 em, m/w 0.95
// em, other two-byte characters 0.75 em, three- and four-byte ones (CJK, ...) a full em.
[[nodiscard]] inline double text_width(std::string_view s, double font_size) noexcept {
  double em = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = char_bytes(s, i);
    if (n == 1)
      em += c == 'm' || c == 'w' || c == 'M' || c == 'W' ? 0.95
            : c >= 'A' && c <= 'Z'                       ? 0.75
                                                         : 0.62;
    else
      em += n == 2 ? 0.75 : 1.0;
    i += n;
  }
  return em * font_size;
}

// The class names to draw: the given ones, or "0", "1", ... when none were given.
[[nodiscard]] inline std::vector<std::string> class_labels(std::size_t classes,
                                                           const std::vector<std::string>& names,
                                                           const char* function) {
  if (names.empty()) {
    std::vector<std::string> labels(classes);
    for (std::size_t c = 0; c < classes; ++c) put_uint(labels[c], c);
    return labels;
  }
  if (names.size() != classes)
    tally::detail::fail("tally::svg::", function, ": class_names has ", names.size(),
                        " names, the result has ", classes, " classes; pass ", classes,
                        " names, or none to label the classes 0 to ", classes - 1);
  return names;
}

// ---- colour ------------------------------------------------------------------------------------

struct rgb {
  int r, g, b;
};

// White to dark blue through four blues. Every channel falls from one stop to the next, so a
// larger fraction is darker in each channel, not only in luminance (the pixel test relies on it).
inline constexpr rgb ramp_stops[] = {
    {255, 255, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
inline constexpr int ramp_segments = 4;

// The colour of a fraction t in [0, 1]; NaN and t <= 0 are white, t >= 1 the darkest blue.
[[nodiscard]] inline rgb ramp(double t) noexcept {
  if (!(t > 0)) return ramp_stops[0];
  if (t >= 1) return ramp_stops[ramp_segments];
  const double x = t * ramp_segments;
  const int k = std::min(static_cast<int>(x), ramp_segments - 1);
  const double f = x - k;
  const rgb a = ramp_stops[k], b = ramp_stops[k + 1];
  const auto mix = [f](int p, int q) { return static_cast<int>(std::lround(p + (q - p) * f)); };
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

// Dark enough for white text: Rec. 709 luma below half scale.
[[nodiscard]] constexpr bool is_dark(rgb c) noexcept {
  return 2126 * c.r + 7152 * c.g + 722 * c.b < 128 * 10000;
}

inline void put_colour(std::string& out, rgb c) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '#';
  for (const int v : {c.r, c.g, c.b}) {
    out += hex[(v >> 4) & 15];
    out += hex[v & 15];
  }
}

// ---- writing elements --------------------------------------------------------------------------

// Appends elements to a string; attribute values are escaped, numbers locale-free.
class writer {
 public:
  std::string out;

  writer& raw(std::string_view s) {
    out += s;
    return *this;
  }
  writer& text(std::string_view s) {
    put_xml(out, s);
    return *this;
  }
  writer& attr(std::string_view name, double v) {
    open_attr(name);
    put_coord(out, v);
    out += '"';
    return *this;
  }
  writer& attr(std::string_view name, std::string_view v) {
    open_attr(name);
    put_xml(out, v);
    out += '"';
    return *this;
  }
  writer& attr(std::string_view name, rgb c) {
    open_attr(name);
    put_colour(out, c);
    out += '"';
    return *this;
  }
  // transform="rotate(-90 x y)": text that reads upwards, turned about its anchor.
  writer& rotate_up(double x, double y) {
    open_attr("transform");
    out += "rotate(-90 ";
    put_coord(out, x);
    out += ' ';
    put_coord(out, y);
    out += ")\"";
    return *this;
  }
  // The document's first lines: the root element and its <title> (the accessible name).
  void begin_document(double width, double height, std::string_view title) {
    raw("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"")
        .attr("width", width)
        .attr("height", height);
    raw(" viewBox=\"0 0 ");
    put_coord(out, width);
    out += ' ';
    put_coord(out, height);
    raw("\" font-family=\"sans-serif\">\n<title>").text(title).raw("</title>\n");
  }
  void end_document() { raw("</svg>\n"); }

 private:
  void open_attr(std::string_view name) {
    out += ' ';
    out += name;
    out += "=\"";
  }
};

// A name as a <text> element's content: the shown form, and the full name as its tooltip when
// it was cut.
inline void put_name(writer& w, std::string_view name) {
  bool cut = false;
  w.text(shown_name(name, &cut));
  if (cut) w.raw("<title>").text(name).raw("</title>");
}

// ---- layouts -----------------------------------------------------------------------------------

// On each <text>, not on a group: SVG 1.1 does not inherit dominant-baseline (CSS does).
inline constexpr std::string_view central = " dominant-baseline=\"central\"";

inline constexpr double margin = 12;      // around everything
inline constexpr double title_size = 15;  // font sizes in px
inline constexpr double name_size = 12;
inline constexpr double value_size = 11;
inline constexpr double title_room = 30;    // the heading line
inline constexpr double caption_room = 20;  // an axis caption line ("Predicted", "True")

// Where a heatmap puts things, in px (user units): the cells start at (grid_x, grid_y) and are
// `cell` square, row r (target) at grid_y + r * cell, column c (prediction) at grid_x + c * cell.
struct heatmap_layout {
  std::size_t classes = 0;
  double cell = 40;
  double grid_x = 0, grid_y = 0;
  double legend_x = 0, legend_y = 0, legend_width = 14, legend_height = 0;
  double width = 0, height = 0;

  [[nodiscard]] double cell_x(std::size_t column) const noexcept {
    return grid_x + static_cast<double>(column) * cell;
  }
  [[nodiscard]] double cell_y(std::size_t row) const noexcept {
    return grid_y + static_cast<double>(row) * cell;
  }
  [[nodiscard]] double grid_size() const noexcept { return static_cast<double>(classes) * cell; }
};

// The room the widest drawn name needs, plus a gap to the grid or axis.
[[nodiscard]] inline double name_room(const std::vector<std::string>& labels) {
  double widest = 0;
  for (const std::string& n : labels)
    widest = std::max(widest, text_width(shown_name(n), name_size));
  return std::ceil(widest) + 8;
}

inline constexpr std::string_view heatmap_heading = "Confusion matrix";
inline constexpr std::string_view legend_caption = "fraction of row";

// The heatmap's layout for `classes` classes and these names (none: the indices).
[[nodiscard]] inline heatmap_layout layout_heatmap(std::size_t classes,
                                                   const std::vector<std::string>& class_names) {
  const std::vector<std::string> labels = class_labels(classes, class_names, "confusion_matrix");
  const double names = name_room(labels);
  heatmap_layout l;
  l.classes = classes;
  // Column names read upwards above the grid, under the "Predicted" caption; row names sit on
  // the left, right-aligned, after the upright "True" caption.
  l.grid_x = margin + caption_room + names;
  l.grid_y = margin + title_room + caption_room + names;
  const double grid = l.grid_size();
  l.legend_x = l.grid_x + grid + 28;
  l.legend_y = l.grid_y;
  l.legend_height = std::clamp(grid, 120.0, 320.0);
  const double legend_right =
      std::max(l.legend_x + l.legend_width + 6 + text_width("0.75", value_size),
               l.legend_x + text_width(legend_caption, value_size));
  l.width =
      std::ceil(std::max(legend_right, margin + text_width(heatmap_heading, title_size)) + margin);
  l.height = std::ceil(std::max(l.grid_y + grid, l.legend_y + l.legend_height) + margin);
  return l;
}

// Where a bar chart puts things: bar i is centred at x_center(i), a value v sits at y_of(v); the
// plot area spans [plot_x, plot_x + bars * slot] x [plot_y, plot_y + plot_height].
struct bar_layout {
  std::size_t bars = 0;
  double slot = 40, bar_width = 26;
  double plot_x = 0, plot_y = 0, plot_height = 220;
  double lo = 0, hi = 1, step = 0.2;  // the value axis and its tick spacing
  int tick_decimals = 1;
  bool integral = false;             // every finite value a whole number, and one above 1: counts
  double tick_short_from = 99999.5;  // tick labels from here on in the short form (75k)
  double names_y = 0;                // the top of the class names, under the plot
  double width = 0, height = 0;

  [[nodiscard]] double x_center(std::size_t i) const noexcept {
    return plot_x + (static_cast<double>(i) + 0.5) * slot;
  }
  [[nodiscard]] double y_of(double v) const noexcept {
    return plot_y + plot_height * (hi - v) / (hi - lo);
  }
  [[nodiscard]] double plot_width() const noexcept { return static_cast<double>(bars) * slot; }
  // The decimals of a bar's label: none for counts; else three below 10 (scores: 0.857), one
  // below 1000, none above.
  [[nodiscard]] int value_decimals(double v) const noexcept {
    const double a = std::fabs(v);
    return integral ? 0 : a < 10 ? 3 : a < 1000 ? 1 : 0;
  }
  // Ticks 0 to ticks(), from lo up to hi; tick(i) is exactly 0 where the axis crosses 0.
  [[nodiscard]] long ticks() const noexcept { return std::lround((hi - lo) / step); }
  [[nodiscard]] double tick(long i) const noexcept {
    const double t = lo + static_cast<double>(i) * step;
    return std::fabs(t) < step * 1e-9 ? 0.0 : t;
  }
};

inline void check_bar_input(const Result& per_class) {
  if (per_class.shape().rank() != 1)
    tally::detail::fail("tally::svg::bar_chart: the result has shape ", per_class.shape(),
                        "; it draws a per-class result of shape (C), e.g. a metric computed "
                        "with Average::none");
  if (per_class.size() == 0)
    tally::detail::fail("tally::svg::bar_chart: the result has shape (0): no class to draw");
}

// The bar chart's layout: the value axis is [min(0, smallest), max(1, largest)] over the finite
// values, rounded out to a multiple of a 1-2-2.5-5 step giving about five intervals.
[[nodiscard]] inline bar_layout layout_bars(const Result& per_class,
                                            const std::vector<std::string>& class_names,
                                            std::string_view title) {
  check_bar_input(per_class);
  const std::vector<std::string> labels = class_labels(per_class.size(), class_names, "bar_chart");
  bar_layout l;
  l.bars = per_class.size();
  double lo = 0, hi = 1;
  bool integral = true;
  for (const double v : per_class) {
    if (!std::isfinite(v)) continue;
    // Clamped so that hi - lo stays finite; bars beyond 1e300 end at the axis.
    lo = std::max(std::min(lo, v), -1e300);
    hi = std::min(std::max(hi, v), 1e300);
    integral = integral && v == std::floor(v);
  }
  const double raw = (hi - lo) / 5;
  int k = static_cast<int>(std::floor(std::log10(raw)));
  double mag = std::pow(10.0, k);
  if (raw / mag >= 10) mag *= 10, ++k;  // log10 rounding
  const double m = raw / mag;
  const double mantissa = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  l.step = mantissa * mag;
  l.hi = std::ceil(hi / l.step - 1e-9) * l.step;
  l.lo = std::floor(lo / l.step + 1e-9) * l.step;
  if (mantissa == 10) ++k;
  l.tick_decimals = std::max(0, (mantissa == 2.5 ? 1 : 0) - k);
  // One form for every tick: 75k beside 125k, not 75000.
  l.tick_short_from = l.hi >= 99999.5 || l.lo <= -99999.5 ? 999.5 : 99999.5;
  l.integral = integral && hi > 1;

  double tick_room = 0;
  for (long i = 0; i <= l.ticks(); ++i) {
    std::string s;
    put_label(s, l.tick(i), l.tick_decimals, l.tick_short_from);
    tick_room = std::max(tick_room, text_width(s, value_size));
  }
  const double top = margin + (title.empty() ? 0 : title_room);
  l.plot_x = margin + std::ceil(tick_room) + 8;
  l.plot_y = top + 16;  // room for the label over a bar that reaches the top
  l.names_y = l.plot_y + l.plot_height + (l.lo < 0 ? 22 : 8);
  const double names = name_room(labels);
  l.width = std::ceil(std::max(l.plot_x + l.plot_width(), margin + text_width(title, title_size)) +
                      margin);
  l.height = std::ceil(l.names_y + names + margin);
  return l;
}

// The heatmap of a C x C table of counts, rows = target.
[[nodiscard]] inline std::string heatmap(const std::uint64_t* counts, std::size_t classes,
                                         const std::vector<std::string>& class_names) {
  const heatmap_layout l = layout_heatmap(classes, class_names);
  const std::vector<std::string> labels = class_labels(classes, class_names, "confusion_matrix");
  const double grid = l.grid_size(), half = l.cell / 2;

  writer w;
  std::string title(heatmap_heading);
  title += ": ";
  put_uint(title, classes);
  title += " classes, rows = target (true class), columns = predicted class";
  w.begin_document(l.width, l.height, title);
  w.raw(
      "<desc>Each cell shows a count; its colour is the count over its row's total, from "
      "white (0) to dark blue (1).</desc>\n");
  w.raw("<defs><linearGradient id=\"tally-svg-ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
  for (int k = 0; k <= ramp_segments; ++k)
    w.raw("<stop")
        .attr("offset", static_cast<double>(k) / ramp_segments)
        .attr("stop-color", ramp_stops[k])
        .raw("/>");
  w.raw("</linearGradient></defs>\n");
  w.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");

  // Heading and axis captions.
  w.raw("<text")
      .attr("x", margin)
      .attr("y", margin + title_size)
      .attr("font-size", title_size)
      .raw(" font-weight=\"bold\">")
      .text(heatmap_heading)
      .raw("</text>\n");
  w.raw("<text")
      .attr("x", l.grid_x + grid / 2)
      .attr("y", margin + title_room + caption_room / 2)
      .attr("font-size", name_size)
      .raw(
          " font-weight=\"bold\" text-anchor=\"middle\" "
          "dominant-baseline=\"central\">Predicted</text>\n");
  const double true_x = margin + caption_room / 2, true_y = l.grid_y + grid / 2;
  w.raw("<text")
      .attr("x", true_x)
      .attr("y", true_y)
      .rotate_up(true_x, true_y)
      .attr("font-size", name_size)
      .raw(
          " font-weight=\"bold\" text-anchor=\"middle\" "
          "dominant-baseline=\"central\">True</text>\n");

  // Class names: columns read upwards from just above the grid, rows end just left of it.
  w.raw("<g").attr("font-size", name_size).raw(" fill=\"#222222\">\n");
  for (std::size_t c = 0; c < classes; ++c) {
    const double x = l.cell_x(c) + half, y = l.grid_y - 6;
    w.raw("<text class=\"column-name\"")
        .raw(central)
        .attr("x", x)
        .attr("y", y)
        .rotate_up(x, y)
        .raw(">");
    put_name(w, labels[c]);
    w.raw("</text>\n");
  }
  for (std::size_t r = 0; r < classes; ++r) {
    w.raw("<text class=\"row-name\" text-anchor=\"end\"")
        .raw(central)
        .attr("x", l.grid_x - 6)
        .attr("y", l.cell_y(r) + half)
        .raw(">");
    put_name(w, labels[r]);
    w.raw("</text>\n");
  }
  w.raw("</g>\n");

  // The cells, then their counts (so that no cell paints over a neighbour's text).
  // The fill is ConfusionMatrix's Normalize::target value: count / row total, 0 in an empty row.
  std::vector<double> fraction(counts, counts + classes * classes);
  tally::detail::normalize_tables(fraction, 1, classes, Normalize::target);
  w.raw("<g stroke=\"#d0d0d0\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n");
  for (std::size_t r = 0; r < classes; ++r) {
    const bool empty = std::all_of(counts + r * classes, counts + (r + 1) * classes,
                                   [](std::uint64_t n) { return n == 0; });
    for (std::size_t c = 0; c < classes; ++c) {
      const std::size_t i = r * classes + c;
      w.raw("<rect class=\"cell\"")
          .attr("x", l.cell_x(c))
          .attr("y", l.cell_y(r))
          .attr("width", l.cell)
          .attr("height", l.cell)
          .attr("fill", ramp(fraction[i]))
          .raw("><title>true ")
          .text(labels[r])
          .raw(", predicted ")
          .text(labels[c])
          .raw(": ");
      put_uint(w.out, counts[i]);
      if (!empty) {
        w.raw(" (");
        put_fixed(w.out, 100 * fraction[i], 1);
        w.raw("% of the row)");
      } else {
        w.raw(" (empty row)");
      }
      w.raw("</title></rect>\n");
    }
  }
  w.raw("</g>\n");
  w.raw("<g").attr("font-size", value_size).raw(" text-anchor=\"middle\">\n");
  for (std::size_t r = 0; r < classes; ++r)
    for (std::size_t c = 0; c < classes; ++c) {
      const std::size_t i = r * classes + c;
      w.raw("<text class=\"count\"")
          .raw(central)
          .attr("x", l.cell_x(c) + half)
          .attr("y", l.cell_y(r) + half)
          .raw(is_dark(ramp(fraction[i])) ? " fill=\"#ffffff\">" : " fill=\"#1a1a1a\">");
      put_count(w.out, counts[i]);
      w.raw("</text>\n");
    }
  w.raw("</g>\n");

  // The colour scale: the ramp from 0 (bottom) to 1 (top), ticks every quarter.
  w.raw("<text")
      .attr("x", l.legend_x)
      .attr("y", l.legend_y - 8)
      .attr("font-size", value_size)
      .raw(" fill=\"#222222\">")
      .text(legend_caption)
      .raw("</text>\n");
  w.raw("<rect class=\"legend\"")
      .attr("x", l.legend_x)
      .attr("y", l.legend_y)
      .attr("width", l.legend_width)
      .attr("height", l.legend_height)
      .raw(" fill=\"url(#tally-svg-ramp)\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>\n");
  w.raw("<g").attr("font-size", value_size).raw(" fill=\"#222222\">\n");
  for (int k = 0; k <= 4; ++k) {
    const double t = k / 4.0, y = l.legend_y + l.legend_height * (1 - t);
    w.raw("<text").raw(central).attr("x", l.legend_x + l.legend_width + 6).attr("y", y).raw(">");
    put_fixed(w.out, t, 2, true);
    w.raw("</text>\n");
  }
  w.raw("</g>\n");
  w.end_document();
  return std::move(w.out);
}

inline constexpr rgb bar_colour = ramp_stops[3];

// ---- curves: ROC and precision-recall ----------------------------------------------------------

struct point {
  double x, y;
};

// What a curve picture draws: each curve's finite points in the given order (a point with a NaN
// or infinite coordinate is left out), its name, and what its legend entry adds to the name.
struct curve_set {
  bool roc = false;  // ROC: the chance diagonal and the AUC; else precision-recall
  std::vector<std::vector<point>> points;
  std::vector<std::string> labels;
  std::vector<std::string> notes;  // " (AUC 0.875)", " (no points)" or nothing
};

inline void check_curve_count(std::size_t curves, const char* function) {
  if (curves == 0)
    tally::detail::fail("tally::svg::", function,
                        ": the vector of curves is empty: no curve to draw");
}

// The finite points (x[i], y[i]), in order; x and y must have one value per point.
[[nodiscard]] inline std::vector<point> finite_points(const std::vector<double>& x,
                                                      const std::vector<double>& y,
                                                      const char* function, std::size_t curve,
                                                      const char* x_name, const char* y_name) {
  if (x.size() != y.size())
    tally::detail::fail("tally::svg::", function, ": curve ", curve, " has ", x.size(), " ", x_name,
                        " and ", y.size(), " ", y_name, " values; they must pair up");
  std::vector<point> out;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) out.push_back({x[i], y[i]});
  return out;
}

// The trapezoidal area under the points, in their order (as AUROC computes it).
[[nodiscard]] inline double trapezoid_area(const std::vector<point>& p) noexcept {
  double a = 0;
  for (std::size_t i = 1; i < p.size(); ++i) a += (p[i].x - p[i - 1].x) * (p[i].y + p[i - 1].y) / 2;
  return a;
}

// ROC curves: false positive rate on x, true positive rate on y, each with its trapezoidal AUC
// when it has two points or more.
[[nodiscard]] inline curve_set roc_set(const RocCurve* curves, std::size_t n,
                                       const std::vector<std::string>& names) {
  check_curve_count(n, "roc_curve");
  curve_set s;
  s.roc = true;
  s.labels = n == 1 && names.empty() ? std::vector<std::string>{"ROC curve"}
                                     : class_labels(n, names, "roc_curve");
  for (std::size_t i = 0; i < n; ++i) {
    s.points.push_back(finite_points(curves[i].fpr, curves[i].tpr, "roc_curve", i, "fpr", "tpr"));
    const std::vector<point>& p = s.points.back();
    const double auc = trapezoid_area(p);
    std::string note;
    if (p.empty()) {
      note = " (no points)";
    } else if (p.size() >= 2 && std::isfinite(auc)) {
      note = " (AUC ";
      put_fixed(note, auc, 3);
      note += ')';
    }
    s.notes.push_back(std::move(note));
  }
  return s;
}

// Precision-recall curves: recall on x, precision on y. No area: average precision is a step
// sum, not the trapezoidal area under these points.
[[nodiscard]] inline curve_set pr_set(const PrCurve* curves, std::size_t n,
                                      const std::vector<std::string>& names) {
  check_curve_count(n, "pr_curve");
  curve_set s;
  s.labels = n == 1 && names.empty() ? std::vector<std::string>{"PR curve"}
                                     : class_labels(n, names, "pr_curve");
  for (std::size_t i = 0; i < n; ++i) {
    s.points.push_back(
        finite_points(curves[i].recall, curves[i].precision, "pr_curve", i, "recall", "precision"));
    s.notes.push_back(s.points.back().empty() ? " (no points)" : "");
  }
  return s;
}

// Where a curve picture puts things: the unit square is the plot_size square at (plot_x,
// plot_y), (0, 0) at its bottom left; legend row i is centred at legend_row_y(i), its line sample
// from legend_x, its text at legend_text_x().
struct curve_layout {
  std::size_t rows = 0;  // legend rows: one per curve, and the chance line of a ROC
  double plot_x = 0, plot_y = 0, plot_size = 300;
  double legend_x = 0, legend_y = 0, legend_row = 18, legend_sample = 24;
  double width = 0, height = 0;

  [[nodiscard]] double x_of(double v) const noexcept { return plot_x + plot_size * v; }
  [[nodiscard]] double y_of(double v) const noexcept { return plot_y + plot_size * (1 - v); }
  [[nodiscard]] double legend_row_y(std::size_t i) const noexcept {
    return legend_y + legend_row * (static_cast<double>(i) + 0.5);
  }
  [[nodiscard]] double legend_text_x() const noexcept { return legend_x + legend_sample + 6; }
};

inline constexpr std::string_view chance_label = "chance (AUC 0.500)";
inline constexpr int curve_ticks = 5;  // 0, 0.2, ..., 1 on both axes

[[nodiscard]] inline curve_layout layout_curves(const curve_set& s, std::string_view title) {
  curve_layout l;
  l.rows = s.labels.size() + (s.roc ? 1 : 0);
  const double top = margin + (title.empty() ? 0 : title_room);
  l.plot_x = margin + caption_room + std::ceil(text_width("0.0", value_size)) + 8;
  l.plot_y = top + 8;  // room for the upper half of the "1.0" tick label
  l.legend_x = l.plot_x + l.plot_size + 24;
  l.legend_y = l.plot_y;
  double widest = s.roc ? text_width(chance_label, name_size) : 0;
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    widest = std::max(
        widest, text_width(shown_name(s.labels[i]), name_size) + text_width(s.notes[i], name_size));
  l.width = std::ceil(std::max(l.legend_text_x() + widest, margin + text_width(title, title_size)) +
                      margin);
  const double axis_bottom = l.plot_y + l.plot_size + 20 + caption_room;  // tick labels, caption
  l.height = std::ceil(
      std::max(axis_bottom, l.legend_y + static_cast<double>(l.rows) * l.legend_row) + margin);
  return l;
}

// Curve i's colour: the bar colour, then nine more that differ in hue; from the eleventh curve
// on they repeat, dashed in every other round.
inline constexpr rgb curve_colours[] = {
    bar_colour,    {230, 85, 13},  {49, 163, 84}, {203, 24, 29}, {117, 107, 177},
    {140, 81, 10}, {197, 27, 138}, {1, 133, 113}, {99, 99, 99},  {128, 128, 0}};
inline constexpr std::size_t curve_colour_count = sizeof curve_colours / sizeof curve_colours[0];

[[nodiscard]] constexpr rgb curve_colour(std::size_t i) noexcept {
  return curve_colours[i % curve_colour_count];
}
[[nodiscard]] constexpr bool curve_dashed(std::size_t i) noexcept {
  return i / curve_colour_count % 2 == 1;
}

inline void put_curve_stroke(writer& w, std::size_t i) {
  w.attr("stroke", curve_colour(i));
  if (curve_dashed(i)) w.raw(" stroke-dasharray=\"7 3\"");
}

[[nodiscard]] inline std::string draw_curves(const curve_set& s, std::string_view title) {
  const curve_layout l = layout_curves(s, title);
  const std::size_t n = s.labels.size();
  const double bottom = l.plot_y + l.plot_size, right = l.plot_x + l.plot_size;

  writer w;
  std::string doc_title(
      title.empty() ? std::string_view(s.roc ? "ROC curve" : "Precision-recall curve") : title);
  doc_title += " (";
  put_uint(doc_title, n);
  doc_title += n == 1 ? " curve)" : " curves)";
  w.begin_document(l.width, l.height, doc_title);
  w.raw(s.roc ? "<desc>True positive rate (y) against false positive rate (x), both from 0 to 1; "
                "the dashed diagonal is chance level.</desc>\n"
              : "<desc>Precision (y) against recall (x), both from 0 to 1.</desc>\n");
  w.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
  if (!title.empty())
    w.raw("<text")
        .attr("x", margin)
        .attr("y", margin + title_size)
        .attr("font-size", title_size)
        .raw(" font-weight=\"bold\">")
        .text(title)
        .raw("</text>\n");

  // Grid lines and tick labels, 0 to 1 on both axes.
  w.raw("<g").attr("font-size", value_size).raw(" fill=\"#444444\">\n");
  for (int k = 0; k <= curve_ticks; ++k) {
    const double t = static_cast<double>(k) / curve_ticks, x = l.x_of(t), y = l.y_of(t);
    w.raw("<line").attr("x1", x).attr("y1", l.plot_y).attr("x2", x).attr("y2", bottom);
    w.raw(" stroke=\"#e4e4e4\" stroke-width=\"1\"/>");
    w.raw("<line").attr("x1", l.plot_x).attr("y1", y).attr("x2", right).attr("y2", y);
    w.raw(" stroke=\"#e4e4e4\" stroke-width=\"1\"/>");
    w.raw("<text class=\"x-tick\" text-anchor=\"middle\"")
        .raw(central)
        .attr("x", x)
        .attr("y", bottom + 12)
        .raw(">");
    put_fixed(w.out, t, 1);
    w.raw("</text><text class=\"y-tick\" text-anchor=\"end\"")
        .raw(central)
        .attr("x", l.plot_x - 6)
        .attr("y", y)
        .raw(">");
    put_fixed(w.out, t, 1);
    w.raw("</text>\n");
  }
  w.raw("</g>\n");
  w.raw("<rect class=\"plot\"")
      .attr("x", l.plot_x)
      .attr("y", l.plot_y)
      .attr("width", l.plot_size)
      .attr("height", l.plot_size)
      .raw(" fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"/>\n");

  // Axis captions: x under the tick labels, y reading upwards left of them.
  const double x_caption_y = bottom + 20 + caption_room / 2,
               y_caption_x = margin + caption_room / 2, middle = l.plot_y + l.plot_size / 2;
  w.raw("<g").attr("font-size", name_size).raw(" font-weight=\"bold\" text-anchor=\"middle\">\n");
  w.raw("<text").raw(central).attr("x", l.x_of(0.5)).attr("y", x_caption_y).raw(">");
  w.raw(s.roc ? "False positive rate" : "Recall").raw("</text>\n");
  w.raw("<text")
      .raw(central)
      .attr("x", y_caption_x)
      .attr("y", middle)
      .rotate_up(y_caption_x, middle)
      .raw(">");
  w.raw(s.roc ? "True positive rate" : "Precision").raw("</text>\n");
  w.raw("</g>\n");

  // The chance diagonal, then one polyline per curve; values outside [0, 1] at the plot's edge.
  const char* chance_stroke = " stroke=\"#999999\" stroke-width=\"1\" stroke-dasharray=\"4 4\"/>";
  if (s.roc)
    w.raw("<line class=\"chance\"")
        .attr("x1", l.x_of(0))
        .attr("y1", l.y_of(0))
        .attr("x2", l.x_of(1))
        .attr("y2", l.y_of(1))
        .raw(chance_stroke)
        .raw("\n");
  w.raw("<g fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\">\n");
  for (std::size_t i = 0; i < n; ++i) {
    w.raw("<polyline class=\"curve\"");
    put_curve_stroke(w, i);
    w.raw(" points=\"");
    for (std::size_t k = 0; k < s.points[i].size(); ++k) {
      const point p = s.points[i][k];
      if (k > 0) w.raw(" ");
      put_coord(w.out, l.x_of(std::clamp(p.x, 0.0, 1.0)));
      w.raw(",");
      put_coord(w.out, l.y_of(std::clamp(p.y, 0.0, 1.0)));
    }
    w.raw("\"><title>").text(s.labels[i]).text(s.notes[i]).raw("</title></polyline>\n");
  }
  w.raw("</g>\n");

  // The legend: a line sample and the name of each curve, then the chance line's.
  w.raw("<g").attr("font-size", name_size).raw(" fill=\"#222222\">\n");
  const auto sample = [&](std::size_t row) -> writer& {
    const double y = l.legend_row_y(row);
    return w.raw("<line")
        .attr("x1", l.legend_x)
        .attr("y1", y)
        .attr("x2", l.legend_x + l.legend_sample)
        .attr("y2", y);
  };
  const auto entry = [&](std::size_t row, std::string_view cls) -> writer& {
    return w.raw("<text class=\"")
        .raw(cls)
        .raw("\"")
        .raw(central)
        .attr("x", l.legend_text_x())
        .attr("y", l.legend_row_y(row))
        .raw(">");
  };
  for (std::size_t i = 0; i < n; ++i) {
    put_curve_stroke(sample(i), i);
    w.raw(" stroke-width=\"2\"/>");
    put_name(entry(i, "legend"), s.labels[i]);
    w.text(s.notes[i]).raw("</text>\n");
  }
  if (s.roc) {
    sample(n).raw(chance_stroke);
    entry(n, "chance-label").text(chance_label).raw("</text>\n");
  }
  w.raw("</g>\n");
  w.end_document();
  return std::move(w.out);
}

}  // namespace detail

/// The confusion matrix as an SVG heatmap: counts in the cells, rows = target, columns =
/// prediction, each cell coloured by its share of its row (white 0 to dark blue 1).
///
///     tally::MulticlassConfusionMatrix cm(options);   // num_classes = 3
///     cm.update(preds, target);
///     std::ofstream("cm.svg") << tally::svg::confusion_matrix(cm, {"road", "car", "sky"});
///
/// class_names: one per class, or none for "0", "1", ...; another count throws tally::error.
[[nodiscard]] inline std::string confusion_matrix(
    const MulticlassConfusionMatrix& cm, const std::vector<std::string>& class_names = {}) {
  const tensor_view<const std::uint64_t> counts = cm.counts();
  return detail::heatmap(counts.data(), counts.shape()[0], class_names);
}

/// The binary confusion matrix `[[tn, fp], [fn, tp]]` as a 2 x 2 heatmap; names default to
/// "0" and "1".
[[nodiscard]] inline std::string confusion_matrix(
    const BinaryConfusionMatrix& cm, const std::vector<std::string>& class_names = {}) {
  const tensor_view<const std::uint64_t> counts = cm.counts();
  return detail::heatmap(counts.data(), 2, class_names);
}

/// A per-class result of shape (C) as an SVG bar chart, one labelled bar per class.
///
///     tally::Result f1 = f1_per_class.compute();   // Average::none: shape (C)
///     std::ofstream("f1.svg") << tally::svg::bar_chart(f1, names, "F1 per class");
///
/// The axis spans [min(0, smallest value), max(1, largest value)], so scores get [0, 1] and
/// counts a longer axis. NaN (undefined) draws no bar, labelled "n/a". Another rank, an empty
/// result or a wrong number of class_names throws tally::error.
[[nodiscard]] inline std::string bar_chart(const Result& per_class,
                                           const std::vector<std::string>& class_names = {},
                                           std::string_view title = {}) {
  const detail::bar_layout l = detail::layout_bars(per_class, class_names, title);
  const std::vector<std::string> labels =
      detail::class_labels(per_class.size(), class_names, "bar_chart");
  using detail::put_label;
  using detail::writer;

  writer w;
  std::string doc_title(title.empty() ? std::string_view("Per-class values") : title);
  doc_title += " (";
  detail::put_uint(doc_title, l.bars);
  doc_title += " classes)";
  w.begin_document(l.width, l.height, doc_title);
  w.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
  if (!title.empty())
    w.raw("<text")
        .attr("x", detail::margin)
        .attr("y", detail::margin + detail::title_size)
        .attr("font-size", detail::title_size)
        .raw(" font-weight=\"bold\">")
        .text(title)
        .raw("</text>\n");

  // Grid lines and tick labels.
  const double right = l.plot_x + l.plot_width();
  w.raw("<g").attr("font-size", detail::value_size).raw(" fill=\"#444444\" text-anchor=\"end\">\n");
  for (long k = 0; k <= l.ticks(); ++k) {
    const double t = l.tick(k), y = l.y_of(t);
    w.raw("<line")
        .attr("x1", l.plot_x)
        .attr("y1", y)
        .attr("x2", right)
        .attr("y2", y)
        .raw(" stroke=\"#e4e4e4\" stroke-width=\"1\"/>");
    w.raw("<text").raw(detail::central).attr("x", l.plot_x - 6).attr("y", y).raw(">");
    put_label(w.out, t, l.tick_decimals, l.tick_short_from);
    w.raw("</text>\n");
  }
  w.raw("</g>\n");

  // Bars, each with its value above it (below it when negative).
  const double zero = l.y_of(0);
  w.raw("<g").attr("font-size", detail::value_size - 1).raw(" text-anchor=\"middle\">\n");
  for (std::size_t i = 0; i < l.bars; ++i) {
    const double v = per_class[i], x = l.x_center(i);
    if (!std::isfinite(v)) {
      w.raw("<text class=\"value\"")
          .attr("x", x)
          .attr("y", zero - 4)
          .raw(" fill=\"#888888\">")
          .raw(std::isnan(v) ? "n/a"
               : v > 0       ? "inf"
                             : "-inf")
          .raw("</text>\n");
      continue;
    }
    const double y = l.y_of(std::clamp(v, l.lo, l.hi));  // beyond +-1e300: to the axis end
    w.raw("<rect class=\"bar\"")
        .attr("x", x - l.bar_width / 2)
        .attr("y", std::min(y, zero))
        .attr("width", l.bar_width)
        .attr("height", std::fabs(zero - y))
        .attr("fill", detail::bar_colour)
        .raw("><title>")
        .text(labels[i])
        .raw(": ");
    put_label(w.out, v, l.value_decimals(v));
    w.raw("</title></rect>");
    w.raw("<text class=\"value\"")
        .attr("x", x)
        .attr("y", v < 0 ? y + 12 : y - 4)
        .raw(" fill=\"#222222\">");
    put_label(w.out, v, l.value_decimals(v));
    w.raw("</text>\n");
  }
  w.raw("</g>\n");
  w.raw("<line")
      .attr("x1", l.plot_x)
      .attr("y1", zero)
      .attr("x2", right)
      .attr("y2", zero)
      .raw(" stroke=\"#444444\" stroke-width=\"1\"/>\n");

  // Class names, reading upwards from under the plot.
  w.raw("<g").attr("font-size", detail::name_size).raw(" fill=\"#222222\" text-anchor=\"end\">\n");
  for (std::size_t i = 0; i < l.bars; ++i) {
    const double x = l.x_center(i), y = l.names_y;
    w.raw("<text class=\"name\"")
        .raw(detail::central)
        .attr("x", x)
        .attr("y", y)
        .rotate_up(x, y)
        .raw(">");
    detail::put_name(w, labels[i]);
    w.raw("</text>\n");
  }
  w.raw("</g>\n");
  w.end_document();
  return std::move(w.out);
}

/// ROC curves as an SVG line chart: false positive rate (x) against true positive rate (y) on
/// [0, 1] x [0, 1], one polyline per curve, the dashed chance diagonal, and a legend with each
/// curve's name and its area (the trapezoidal AUC of the drawn points: a binary or per-class
/// curve's AUROC).
///
///     tally::MulticlassROC roc(options);               // options.average = Average::none
///     roc.update(probs, labels);
///     std::ofstream("roc.svg") << tally::svg::roc_curve(roc.compute(), {"road", "car", "sky"});
///
/// class_names: one per curve, or none for "0", "1", ... ("ROC curve" for a vector of one curve,
/// a micro or macro average); another count, an empty vector or a
/// curve whose fpr and tpr differ in length throws tally::error. Points with a NaN or infinite
/// rate are left out; values outside [0, 1] are drawn at the edge of the plot.
[[nodiscard]] inline std::string roc_curve(const std::vector<RocCurve>& curves,
                                           const std::vector<std::string>& class_names = {},
                                           std::string_view title = {}) {
  return detail::draw_curves(detail::roc_set(curves.data(), curves.size(), class_names), title);
}

/// One ROC curve (BinaryROC's), named "ROC curve" in the legend; otherwise as above.
///
///     std::ofstream("roc.svg") << tally::svg::roc_curve(binary_roc.compute(), "Validation");
[[nodiscard]] inline std::string roc_curve(const RocCurve& curve, std::string_view title = {}) {
  return detail::draw_curves(detail::roc_set(&curve, 1, {}), title);
}

/// Precision-recall curves as an SVG line chart: recall (x) against precision (y) on [0, 1] x
/// [0, 1], one polyline per curve through its points in order (ending at the point recall 0,
/// precision 1 that every PrCurve has), and a legend of the names. No area is shown: average
/// precision is a step sum over the points, not the area under the lines drawn (use
/// AveragePrecision for it).
/// Points with a NaN coordinate (a binned curve's 0 / 0) are left out; otherwise as roc_curve.
[[nodiscard]] inline std::string pr_curve(const std::vector<PrCurve>& curves,
                                          const std::vector<std::string>& class_names = {},
                                          std::string_view title = {}) {
  return detail::draw_curves(detail::pr_set(curves.data(), curves.size(), class_names), title);
}

/// One precision-recall curve (BinaryPrecisionRecallCurve's), named "PR curve" in the legend.
///
///     std::ofstream("pr.svg") << tally::svg::pr_curve(binary_pr.compute());
[[nodiscard]] inline std::string pr_curve(const PrCurve& curve, std::string_view title = {}) {
  return detail::draw_curves(detail::pr_set(&curve, 1, {}), title);
}

}  // namespace svg

TALLY_NAMESPACE_END

#endif  // TALLY_SVG_HPP
