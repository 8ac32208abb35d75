// <tally/svg.hpp>: the heatmap and bar chart documents, read back with a small XML parser (a tag
// stack: every element closed in order, attributes quoted, entities known, text free of raw '<'
// and '&', valid UTF-8). The rendered pixels are checked by tests/svg_render_check.cpp.
#include <tally/svg.hpp>
#include <tally/tally.hpp>

#include <clocale>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <locale>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace {
namespace svg_test {

using tally_test::contains;
using tally_test::error_message;

// ---- a minimal XML reader ----------------------------------------------------------------------

struct element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // values with entities decoded
  std::string text;  // the element's own character data, entities decoded
  std::vector<std::size_t> children;

  [[nodiscard]] const std::string* attribute(const std::string& key) const {
    for (const auto& a : attributes)
      if (a.first == key) return &a.second;
    return nullptr;
  }
  [[nodiscard]] std::string get(const std::string& key) const {
    const std::string* v = attribute(key);
    return v ? *v : std::string();
  }
};

struct document {
  std::vector<element> elements;  // elements[0] is the root
  std::string error;              // empty when well-formed

  // The elements named `name` whose class attribute is `cls` ("" for any), in document order.
  [[nodiscard]] std::vector<const element*> all(const std::string& name,
                                                const std::string& cls = "") const {
    std::vector<const element*> out;
    for (const element& e : elements)
      if (e.name == name && (cls.empty() || e.get("class") == cls)) out.push_back(&e);
    return out;
  }
};

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

class reader {
 public:
  explicit reader(const std::string& s) : s_(s) {}

  document parse() {
    document d;
    if (!valid_utf8(s_)) return fail(d, "not valid UTF-8");
    skip_space();
    std::vector<std::size_t> open;
    bool root_closed = false;
    while (i_ < s_.size()) {
      if (s_[i_] != '<') {
        std::string text;
        if (!char_data(text)) return fail(d, "bad character data");
        if (open.empty()) {
          if (text.find_first_not_of(" \t\r\n") != std::string::npos)
            return fail(d, "text outside the root element");
        } else {
          d.elements[open.back()].text += text;
        }
        continue;
      }
      if (s_.compare(i_, 4, "<!--") == 0) {
        const std::size_t end = s_.find("-->", i_ + 4);
        if (end == std::string::npos) return fail(d, "unterminated comment");
        i_ = end + 3;
        continue;
      }
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        const std::string name = read_name();
        skip_space();
        if (name.empty() || i_ >= s_.size() || s_[i_] != '>') return fail(d, "bad end tag");
        ++i_;
        if (open.empty() || d.elements[open.back()].name != name)
          return fail(d, "end tag </" + name + "> does not close the open element");
        open.pop_back();
        if (open.empty()) root_closed = true;
        continue;
      }
      ++i_;
      if (root_closed) return fail(d, "a second root element");
      element e;
      e.name = read_name();
      if (e.name.empty()) return fail(d, "a '<' that starts no tag");
      bool self_closing = false;
      for (;;) {
        const bool spaced = skip_space();
        if (i_ >= s_.size()) return fail(d, "unterminated tag");
        if (s_[i_] == '>') {
          ++i_;
          break;
        }
        if (s_.compare(i_, 2, "/>") == 0) {
          i_ += 2;
          self_closing = true;
          break;
        }
        if (!spaced) return fail(d, "no space before an attribute of <" + e.name + ">");
        const std::string key = read_name();
        if (key.empty() || i_ >= s_.size() || s_[i_] != '=')
          return fail(d, "attribute without '=' in <" + e.name + ">");
        ++i_;
        if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\''))
          return fail(d, "unquoted attribute " + key);
        const char quote = s_[i_++];
        std::string value;
        while (i_ < s_.size() && s_[i_] != quote) {
          if (s_[i_] == '<') return fail(d, "'<' in attribute " + key);
          if (s_[i_] == '&') {
            if (!entity(value)) return fail(d, "bad entity in attribute " + key);
          } else {
            value += s_[i_++];
          }
        }
        if (i_ >= s_.size()) return fail(d, "unterminated attribute " + key);
        ++i_;
        if (e.attribute(key)) return fail(d, "attribute " + key + " twice");
        e.attributes.emplace_back(key, value);
      }
      const std::size_t index = d.elements.size();
      if (!open.empty()) {
        d.elements[open.back()].children.push_back(index);
      } else if (index != 0) {
        return fail(d, "a second root element");
      }
      d.elements.push_back(std::move(e));
      if (self_closing) {
        if (open.empty()) root_closed = true;
      } else {
        open.push_back(index);
      }
    }
    if (d.elements.empty()) return fail(d, "no root element");
    if (!open.empty()) return fail(d, "<" + d.elements[open.back()].name + "> is never closed");
    return d;
  }

 private:
  static document fail(document& d, std::string why) {
    d.error = std::move(why);
    return d;
  }
  bool skip_space() {
    const std::size_t start = i_;
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
    return i_ > start;
  }
  std::string read_name() {
    const std::size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                      (i_ > start && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
      if (!ok) break;
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // At '&': the five named entities and decimal or hex references.
  bool entity(std::string& out) {
    const std::size_t end = s_.find(';', i_);
    if (end == std::string::npos || end - i_ > 10) return false;
    const std::string name = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    if (name == "amp") return out += '&', true;
    if (name == "lt") return out += '<', true;
    if (name == "gt") return out += '>', true;
    if (name == "quot") return out += '"', true;
    if (name == "apos") return out += '\'', true;
    if (name.size() > 1 && name[0] == '#') {
      out += '?';  // the tests do not look at referenced characters
      return true;
    }
    return false;
  }
  bool char_data(std::string& out) {
    while (i_ < s_.size() && s_[i_] != '<') {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
      if (s_[i_] == '&') {
        if (!entity(out)) return false;
      } else {
        out += s_[i_++];
      }
    }
    return true;
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

document parse(const std::string& svg) {
  return reader(svg).parse();
}

// Checks what every document must be: well-formed, one <svg> root in the SVG namespace with a
// width, height and matching viewBox, and a non-empty <title> first.
document parse_svg(const std::string& svg) {
  document d = parse(svg);
  INFO("parse error: " << d.error);
  REQUIRE(d.error.empty());
  const element& root = d.elements[0];
  REQUIRE(root.name == "svg");
  CHECK(root.get("xmlns") == "http://www.w3.org/2000/svg");
  const std::string w = root.get("width"), h = root.get("height");
  CHECK(!w.empty());
  CHECK(!h.empty());
  CHECK(root.get("viewBox") == "0 0 " + w + " " + h);
  REQUIRE(!root.children.empty());
  CHECK(d.elements[root.children[0]].name == "title");
  CHECK(!d.elements[root.children[0]].text.empty());
  return d;
}

struct colour {
  int r = -1, g = -1, b = -1;
  [[nodiscard]] int sum() const { return r + g + b; }
};

colour parse_colour(const std::string& fill) {
  colour c;
  if (fill.size() != 7 || fill[0] != '#') return c;
  const auto hex = [&](std::size_t i) { return std::stoi(fill.substr(i, 2), nullptr, 16); };
  c.r = hex(1);
  c.g = hex(3);
  c.b = hex(5);
  return c;
}

// The 3-class case of the counting tests, by hand:
//
//   target  0 0 0 0   1 1   2 2 2 2   255
//   preds   0 1 0 0   1 2   2 2 0 2     1
//
// row 0 (target 0): preds 0, 1, 0, 0 -> [3, 1, 0]; row 1: 1, 2 -> [0, 1, 1];
// row 2: 2, 2, 0, 2 -> [1, 0, 3]; the 255 is ignored.
const std::vector<int> case_target = {0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 255};
const std::vector<int> case_preds = {0, 1, 0, 0, 1, 2, 2, 2, 0, 2, 1};
const std::vector<std::string> case_counts = {"3", "1", "0", "0", "1", "1", "1", "0", "3"};

tally::Multiclass::Options three_classes() {
  tally::Multiclass::Options o;
  o.num_classes = 3;
  o.ignore_index = 255;
  return o;
}

std::vector<std::string> texts(const std::vector<const element*>& elements) {
  std::vector<std::string> out;
  for (const element* e : elements) out.push_back(e->text);
  return out;
}

TEST_CASE("svg tests: the XML reader rejects what is not well-formed", "[svg]") {
  CHECK(parse("<svg><g></svg>").error != "");
  CHECK(parse("<svg><g></g>").error != "");
  CHECK(parse("<svg a=1/>").error != "");
  CHECK(parse("<svg a=\"x\"b=\"y\"/>").error != "");
  CHECK(parse("<svg a=\"x\" a=\"y\"/>").error != "");
  CHECK(parse("<svg a=\"<\"/>").error != "");
  CHECK(parse("<svg>a & b</svg>").error != "");
  CHECK(parse("<svg>a &nbsp; b</svg>").error != "");
  CHECK(parse("<svg>a < b</svg>").error != "");
  CHECK(parse("<svg/><svg/>").error != "");
  CHECK(parse("<svg>\x80</svg>").error != "");
  CHECK(parse("<svg>\x01</svg>").error != "");
  const document ok = parse("<svg a='1' b=\"&lt;&amp;\"><g/>x &gt; y<!-- c --></svg>\n");
  CHECK(ok.error == "");
  REQUIRE(ok.elements.size() == 2);
  CHECK(ok.elements[0].get("b") == "<&");
  CHECK(ok.elements[0].text == "x > y");
}

TEST_CASE("svg::confusion_matrix: C x C cells whose texts are the counts, rows = target", "[svg]") {
  const tally::Normalize normalize =
      GENERATE(tally::Normalize::none, tally::Normalize::target, tally::Normalize::all);
  tally::MulticlassConfusionMatrix cm(three_classes(), normalize);
  cm.update(case_preds, case_target);
  const document d = parse_svg(tally::svg::confusion_matrix(cm));
  CHECK(d.all("rect", "cell").size() == 9);
  // Counts whatever the normalization: the picture reads counts(), not compute().
  CHECK(texts(d.all("text", "count")) == case_counts);
  CHECK(texts(d.all("text", "row-name")) == std::vector<std::string>{"0", "1", "2"});
  CHECK(texts(d.all("text", "column-name")) == std::vector<std::string>{"0", "1", "2"});
  // Cells are laid out row-major: row r at y = grid_y + 40 r, column c at x = grid_x + 40 c.
  const auto cells = d.all("rect", "cell");
  const tally::svg::detail::heatmap_layout l = tally::svg::detail::layout_heatmap(3, {});
  CHECK(cells[5]->get("x") == std::to_string(static_cast<int>(l.cell_x(2))));
  CHECK(cells[5]->get("y") == std::to_string(static_cast<int>(l.cell_y(1))));
  CHECK(d.elements[0].get("width") == std::to_string(static_cast<int>(l.width)));
  // Each cell's tooltip has the exact count and the share of its row.
  REQUIRE(cells[0]->children.size() == 1);
  CHECK(d.elements[cells[0]->children[0]].text == "true 0, predicted 0: 3 (75.0% of the row)");
}

TEST_CASE("svg::confusion_matrix: a diagonal cell of a strongly diagonal matrix is darker",
          "[svg]") {
  tally::Multiclass::Options o;
  o.num_classes = 3;
  tally::MulticlassConfusionMatrix cm(o);
  // Row 0: 18 right, 2 wrong; row 1: 9 right, 1 wrong; row 2 (class 2) never a target.
  std::vector<int> target(20, 0), preds(20, 0);
  preds[0] = preds[1] = 1;
  target.insert(target.end(), 10, 1);
  preds.insert(preds.end(), 9, 1);
  preds.push_back(2);
  cm.update(preds, target);
  const document d = parse_svg(tally::svg::confusion_matrix(cm, {"road", "car", "sky"}));
  const auto cells = d.all("rect", "cell");
  const auto counts = d.all("text", "count");
  REQUIRE(cells.size() == 9);
  const colour diagonal = parse_colour(cells[0]->get("fill"));
  const colour off = parse_colour(cells[1]->get("fill"));
  REQUIRE(diagonal.r >= 0);
  REQUIRE(off.r >= 0);
  // 0.9 against 0.1 of the row: darker in every channel, by far in sum.
  CHECK(diagonal.r < off.r);
  CHECK(diagonal.g < off.g);
  CHECK(diagonal.b < off.b);
  CHECK(diagonal.sum() + 300 < off.sum());
  CHECK(parse_colour(cells[4]->get("fill")).sum() == diagonal.sum());  // 0.9 in row 1 too
  // The empty row is the lightest colour, white.
  for (std::size_t c = 6; c < 9; ++c) CHECK(cells[c]->get("fill") == "#ffffff");
  // White text on the dark cell, dark text on the light one.
  CHECK(counts[0]->get("fill") == "#ffffff");
  CHECK(parse_colour(counts[1]->get("fill")).sum() < 100);
  CHECK(texts(counts) == std::vector<std::string>{"18", "2", "0", "0", "9", "1", "0", "0", "0"});
}

TEST_CASE("svg::confusion_matrix: the ramp darkens in every channel as the fraction grows",
          "[svg]") {
  using tally::svg::detail::ramp;
  CHECK(ramp(0).r == 255);
  CHECK(ramp(0).g == 255);
  CHECK(ramp(0).b == 255);
  CHECK(ramp(std::numeric_limits<double>::quiet_NaN()).r == 255);
  for (int k = 1; k <= 100; ++k) {
    const auto a = ramp((k - 1) / 100.0), b = ramp(k / 100.0);
    CHECK(b.r <= a.r);
    CHECK(b.g <= a.g);
    CHECK(b.b <= a.b);
    CHECK(b.r + b.g + b.b < a.r + a.g + a.b);
  }
}

TEST_CASE("svg::confusion_matrix: class names are XML-escaped, any bytes give valid UTF-8",
          "[svg]") {
  tally::MulticlassConfusionMatrix cm(three_classes());
  cm.update(case_preds, case_target);
  const std::vector<std::string> names = {"a&b", "<c>", "\"q\" 'x'"};
  const std::string svg = tally::svg::confusion_matrix(cm, names);
  const document d = parse_svg(svg);
  CHECK(texts(d.all("text", "row-name")) == names);
  CHECK(texts(d.all("text", "column-name")) == names);
  CHECK(contains(svg, ">a&amp;b<"));
  CHECK(contains(svg, ">&lt;c&gt;<"));
  CHECK(contains(svg, ">&quot;q&quot; &apos;x&apos;<"));
  CHECK(!contains(svg, "<c>"));

  // A control character, a stray continuation byte, a truncated sequence, an overlong '/', and
  // valid UTF-8 (é, 道).
  const std::vector<std::string> odd = {"tab\there",
                                        "bad\x80"
                                        "byte\xC3",
                                        "over\xC0\xAFlong caf\xC3\xA9 \xE9\x81\x93"};
  const document e = parse_svg(tally::svg::confusion_matrix(cm, odd));
  const auto rows = texts(e.all("text", "row-name"));
  CHECK(rows[0] == "tab here");
  CHECK(rows[1] ==
        "bad\xEF\xBF\xBD"
        "byte\xEF\xBF\xBD");
  CHECK(rows[2] == "over\xEF\xBF\xBD\xEF\xBF\xBDlong caf\xC3\xA9 \xE9\x81\x93");
}

TEST_CASE("svg::confusion_matrix: long names are cut with an ellipsis, the tooltip has them whole",
          "[svg]") {
  tally::MulticlassConfusionMatrix cm(three_classes());
  cm.update(case_preds, case_target);
  const std::string long_name(40, 'n');
  const document d = parse_svg(tally::svg::confusion_matrix(cm, {"a", long_name, "c"}));
  const auto rows = d.all("text", "row-name");
  CHECK(rows[1]->text == std::string(31, 'n') + "\xE2\x80\xA6");
  REQUIRE(rows[1]->children.size() == 1);
  CHECK(d.elements[rows[1]->children[0]].text == long_name);
  CHECK(rows[0]->children.empty());
  // Longer names get more room: the grid moves right and down.
  const auto narrow = tally::svg::detail::layout_heatmap(3, {"a", "b", "c"});
  const auto wide = tally::svg::detail::layout_heatmap(3, {"a", long_name, "c"});
  CHECK(wide.grid_x > narrow.grid_x + 150);
  CHECK(wide.grid_y > narrow.grid_y + 150);
}

TEST_CASE("svg::confusion_matrix: without names the classes are 0 to C-1, a wrong count throws",
          "[svg]") {
  tally::MulticlassConfusionMatrix cm(three_classes());
  const std::string m = error_message([&] {
    (void)tally::svg::confusion_matrix(cm, {"road", "car"});
  });
  CHECK(contains(m, "tally::svg::confusion_matrix"));
  CHECK(contains(m, "class_names has 2 names"));
  CHECK(contains(m, "3 classes"));
  CHECK(contains(m, "pass 3 names"));
  CHECK(!error_message([&] {
           (void)tally::svg::confusion_matrix(cm, {"a", "b", "c", "d"});
         }).empty());
  // An empty matrix: zeros everywhere, every cell white.
  const document d = parse_svg(tally::svg::confusion_matrix(cm));
  for (const element* cell : d.all("rect", "cell")) CHECK(cell->get("fill") == "#ffffff");
  CHECK(texts(d.all("text", "count")) == std::vector<std::string>(9, "0"));
}

TEST_CASE("svg::confusion_matrix: BinaryConfusionMatrix is [[tn, fp], [fn, tp]], names 0 and 1",
          "[svg]") {
  tally::BinaryConfusionMatrix cm(tally::Binary::Options{});
  // tn = 2, fp = 1, fn = 1, tp = 3
  cm.update(std::vector<int>{0, 0, 1, 0, 1, 1, 1}, std::vector<int>{0, 0, 0, 1, 1, 1, 1});
  const document d = parse_svg(tally::svg::confusion_matrix(cm));
  CHECK(d.all("rect", "cell").size() == 4);
  CHECK(texts(d.all("text", "count")) == std::vector<std::string>{"2", "1", "1", "3"});
  CHECK(texts(d.all("text", "row-name")) == std::vector<std::string>{"0", "1"});
  const document named = parse_svg(tally::svg::confusion_matrix(cm, {"background", "tumour"}));
  CHECK(texts(named.all("text", "column-name")) ==
        std::vector<std::string>{"background", "tumour"});
  CHECK(contains(error_message([&] { (void)tally::svg::confusion_matrix(cm, {"x"}); }),
                 "class_names has 1 names, the result has 2 classes"));
}

TEST_CASE("svg::confusion_matrix: 150 classes give a valid document of 22500 cells", "[svg]") {
  tally::Multiclass::Options o;
  o.num_classes = 150;
  tally::MulticlassConfusionMatrix cm(o);
  std::vector<int> target, preds;
  for (int i = 0; i < 3000; ++i) {
    target.push_back(i % 150);
    preds.push_back(i % 7 == 0 ? (i * 13) % 150 : i % 150);
  }
  cm.update(preds, target);
  std::vector<std::string> names;
  for (int c = 0; c < 150; ++c) names.push_back("class number " + std::to_string(c) + " <x>");
  const document d = parse_svg(tally::svg::confusion_matrix(cm, names));
  CHECK(d.all("rect", "cell").size() == 22500);
  CHECK(d.all("text", "count").size() == 22500);
  const auto l = tally::svg::detail::layout_heatmap(150, names);
  CHECK(l.grid_x + 150 * 40 <= l.width);
  CHECK(l.grid_y + 150 * 40 <= l.height);
}

TEST_CASE("svg::confusion_matrix: large counts show three digits and a suffix", "[svg]") {
  using tally::svg::detail::put_count;
  const auto shown = [](std::uint64_t v) {
    std::string s;
    put_count(s, v);
    return s;
  };
  CHECK(shown(0) == "0");
  CHECK(shown(99999) == "99999");
  CHECK(shown(100000) == "100k");
  CHECK(shown(123456) == "123k");
  CHECK(shown(999499) == "999k");
  CHECK(shown(999500) == "1M");
  CHECK(shown(1234567) == "1.23M");
  CHECK(shown(20500000) == "20.5M");
  CHECK(shown(7000000000) == "7G");
  CHECK(shown(std::numeric_limits<std::uint64_t>::max()) == "18.4E");

  tally::Multiclass::Options o;
  o.num_classes = 2;
  tally::MulticlassConfusionMatrix cm(o);
  cm.update(std::vector<std::uint8_t>(123456, 0), std::vector<std::uint8_t>(123456, 0));
  const document d = parse_svg(tally::svg::confusion_matrix(cm));
  const auto cells = d.all("rect", "cell");
  CHECK(d.all("text", "count")[0]->text == "123k");
  CHECK(contains(d.elements[cells[0]->children[0]].text, ": 123456 (100.0% of the row)"));
}

TEST_CASE("svg::bar_chart: one bar per finite value, heights proportional, NaN is n/a", "[svg]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const tally::Result r(tally::Shape{4}, {1.0, 0.5, nan, 0.25});
  const std::string svg = tally::svg::bar_chart(r, {"road", "car", "sky", "person"}, "F1 & co");
  const document d = parse_svg(svg);
  CHECK(d.elements[d.elements[0].children[0]].text == "F1 & co (4 classes)");
  const auto bars = d.all("rect", "bar");
  REQUIRE(bars.size() == 3);  // none for the NaN
  const auto height = [](const element* e) { return std::stod(e->get("height")); };
  const auto l = tally::svg::detail::layout_bars(r, {}, "F1 & co");
  CHECK(l.lo == 0);
  CHECK(l.hi == 1);
  CHECK_THAT(height(bars[0]), Catch::Matchers::WithinAbs(l.plot_height, 0.006));
  CHECK_THAT(height(bars[1]), Catch::Matchers::WithinAbs(l.plot_height / 2, 0.006));
  CHECK_THAT(height(bars[2]), Catch::Matchers::WithinAbs(l.plot_height / 4, 0.006));
  CHECK(texts(d.all("text", "value")) ==
        std::vector<std::string>{"1.000", "0.500", "n/a", "0.250"});
  CHECK(texts(d.all("text", "name")) == std::vector<std::string>{"road", "car", "sky", "person"});
  CHECK(contains(svg, ">F1 &amp; co<"));
  // Every bar stands on the zero line.
  for (const element* b : bars)
    CHECK_THAT(std::stod(b->get("y")) + height(b), Catch::Matchers::WithinAbs(l.y_of(0), 0.006));
}

TEST_CASE("svg::bar_chart: the axis is [min(0, smallest), max(1, largest)], rounded to a tick",
          "[svg]") {
  using tally::svg::detail::layout_bars;
  const auto axis = [](std::vector<double> v) {
    const std::size_t n = v.size();
    return layout_bars(tally::Result(tally::Shape{n}, std::move(v)), {}, "");
  };
  CHECK(axis({0.2, 0.7}).hi == 1);  // ratios: [0, 1]
  CHECK(axis({0.2, 0.7}).tick_decimals == 1);
  const auto counts = axis({10, 230, 0});  // counts: a longer axis, whole-number labels
  CHECK(counts.lo == 0);
  CHECK(counts.hi == 250);
  CHECK(counts.integral);
  CHECK(!axis({0.2, 0.7}).integral);
  const auto negative = axis({-0.3, 0.5});                           // e.g. a correlation
  CHECK_THAT(negative.lo, Catch::Matchers::WithinAbs(-0.5, 0.006));  // step 0.5
  CHECK_THAT(negative.hi, Catch::Matchers::WithinAbs(1.0, 0.006));
  CHECK(axis({3.7}).hi == 4);

  const document d = parse_svg(tally::svg::bar_chart(tally::Result(tally::Shape{3}, {10, 230, 0})));
  CHECK(texts(d.all("text", "value")) == std::vector<std::string>{"10", "230", "0"});
  const document big =
      parse_svg(tally::svg::bar_chart(tally::Result(tally::Shape{2}, {123456, 7})));
  CHECK(texts(big.all("text", "value")) == std::vector<std::string>{"123k", "7"});
}

TEST_CASE("svg::bar_chart: a result that is not of shape (C), or wrong names, throws", "[svg]") {
  const tally::Result matrix(tally::Shape{2, 2}, {1, 2, 3, 4});
  const std::string m = error_message([&] { (void)tally::svg::bar_chart(matrix); });
  CHECK(contains(m, "tally::svg::bar_chart"));
  CHECK(contains(m, "shape (2, 2)"));
  CHECK(contains(m, "Average::none"));
  const tally::Result scalar(tally::Shape{}, {0.5});
  CHECK(contains(error_message([&] { (void)tally::svg::bar_chart(scalar); }), "shape ()"));
  CHECK(contains(error_message([&] { (void)tally::svg::bar_chart(tally::Result()); }), "no class"));
  const tally::Result three(tally::Shape{3}, {0.1, 0.2, 0.3});
  const std::string n = error_message([&] { (void)tally::svg::bar_chart(three, {"a", "b"}); });
  CHECK(contains(n, "class_names has 2 names, the result has 3 classes"));
}

TEST_CASE("svg::bar_chart draws a per-class F1 (Average::none)", "[svg]") {
  tally::Multiclass::Options o = three_classes();
  o.average = tally::Average::none;
  tally::MulticlassF1Score f1(o);
  f1.update(case_preds, case_target);
  const tally::Result r = f1.compute();
  const document d = parse_svg(tally::svg::bar_chart(r, {"road", "car", "sky"}, "F1"));
  CHECK(d.all("rect", "bar").size() == 3);
  // Class 0: tp 3, fp 1, fn 1 -> 0.75; class 1: tp 1, fp 1, fn 1 -> 0.5; class 2: 3, 1, 1 -> 0.75.
  CHECK(texts(d.all("text", "value")) == std::vector<std::string>{"0.750", "0.500", "0.750"});
}

// ---- curves ------------------------------------------------------------------------------------

// A polyline's points attribute as (x, y) pairs.
std::vector<std::pair<double, double>> polyline_points(const element& e) {
  std::vector<std::pair<double, double>> out;
  const std::string s = e.get("points");
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t comma = s.find(',', i);
    REQUIRE(comma != std::string::npos);
    std::size_t end = s.find(' ', comma);
    if (end == std::string::npos) end = s.size();
    out.emplace_back(std::stod(s.substr(i, comma - i)),
                     std::stod(s.substr(comma + 1, end - comma - 1)));
    i = end + 1;
  }
  return out;
}

// The unit square of a curve picture, read from its frame: x, y (top left) and side.
struct unit_square {
  double x = 0, y = 0, size = 0;
};

unit_square plot_frame(const document& d) {
  const auto frames = d.all("rect", "plot");
  REQUIRE(frames.size() == 1);
  unit_square u{std::stod(frames[0]->get("x")), std::stod(frames[0]->get("y")),
                std::stod(frames[0]->get("width"))};
  CHECK(frames[0]->get("height") == frames[0]->get("width"));
  return u;
}

void check_points(const element& polyline, const unit_square& u,
                  const std::vector<std::pair<double, double>>& values) {
  const auto points = polyline_points(polyline);
  REQUIRE(points.size() == values.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    INFO("point " << i << ": (" << values[i].first << ", " << values[i].second << ")");
    CHECK_THAT(points[i].first, Catch::Matchers::WithinAbs(u.x + u.size * values[i].first, 0.006));
    CHECK_THAT(points[i].second,
               Catch::Matchers::WithinAbs(u.y + u.size * (1 - values[i].second), 0.006));
  }
}

TEST_CASE("svg::roc_curve: points map into the unit square, NaN points are left out, AUC shown",
          "[svg]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const tally::RocCurve c{{0, 0.25, nan, 0.5, inf, 1}, {0, 0.5, 0.7, nan, 0.9, 1}, {}};
  const std::string svg = tally::svg::roc_curve(c, "Val & test");
  const document d = parse_svg(svg);
  CHECK(d.elements[d.elements[0].children[0]].text == "Val & test (1 curve)");
  CHECK(contains(svg, ">Val &amp; test<"));
  const unit_square u = plot_frame(d);
  const auto l =
      tally::svg::detail::layout_curves(tally::svg::detail::roc_set(&c, 1, {}), "Val & test");
  CHECK(u.x == l.plot_x);
  CHECK(u.y == l.plot_y);
  CHECK(u.size == 300);
  const auto curves = d.all("polyline", "curve");
  REQUIRE(curves.size() == 1);
  // (0, 0), (0.25, 0.5), (1, 1): the three points without a NaN or an infinity.
  check_points(*curves[0], u, {{0, 0}, {0.25, 0.5}, {1, 1}});
  // By hand: the square's bottom left corner, 75 px right and 150 px up from it, its top right.
  const auto p = polyline_points(*curves[0]);
  CHECK(p[1].first == u.x + 75);
  CHECK(p[1].second == u.y + 150);
  CHECK(curves[0]->get("stroke") == "#2171b5");  // the bar chart's blue
  // Trapezoids over the drawn points: 0.25 * 0.5 / 2 + 0.75 * 1.5 / 2 = 0.625.
  CHECK(texts(d.all("text", "legend")) == std::vector<std::string>{"ROC curve (AUC 0.625)"});
  REQUIRE(curves[0]->children.size() == 1);
  CHECK(d.elements[curves[0]->children[0]].text == "ROC curve (AUC 0.625)");
  // The chance diagonal from (0, 0) to (1, 1), and its legend entry.
  const auto chance = d.all("line", "chance");
  REQUIRE(chance.size() == 1);
  CHECK(std::stod(chance[0]->get("x1")) == u.x);
  CHECK(std::stod(chance[0]->get("y1")) == u.y + u.size);
  CHECK(std::stod(chance[0]->get("x2")) == u.x + u.size);
  CHECK(std::stod(chance[0]->get("y2")) == u.y);
  CHECK(texts(d.all("text", "chance-label")) == std::vector<std::string>{"chance (AUC 0.500)"});
  // Axes 0 to 1 with ticks every 0.2 and captions.
  const std::vector<std::string> ticks = {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"};
  CHECK(texts(d.all("text", "x-tick")) == ticks);
  CHECK(texts(d.all("text", "y-tick")) == ticks);
  CHECK(contains(svg, ">False positive rate<"));
  CHECK(contains(svg, ">True positive rate<"));
  // Values outside [0, 1] are drawn on the frame.
  const tally::RocCurve out{{-0.5, 2}, {0.5, 1.5}, {}};
  check_points(*parse_svg(tally::svg::roc_curve(out)).all("polyline", "curve")[0],
               plot_frame(parse_svg(tally::svg::roc_curve(out))), {{0, 0.5}, {1, 1}});
}

TEST_CASE("svg::roc_curve: one polyline and legend entry per curve, names escaped", "[svg]") {
  const tally::RocCurve a{{0, 0, 1}, {0, 1, 1}, {}}, b{{0, 1}, {0, 1}, {}},
      c{{0, 0.5, 1}, {0, 0.5, 1}, {}};
  const std::string long_name(40, 'n');
  const std::vector<std::string> names = {"a&b", "<c>", long_name};
  const std::string svg = tally::svg::roc_curve({a, b, c}, names, "ROC");
  const document d = parse_svg(svg);
  CHECK(d.elements[d.elements[0].children[0]].text == "ROC (3 curves)");
  const auto curves = d.all("polyline", "curve");
  REQUIRE(curves.size() == 3);
  const auto legend = d.all("text", "legend");
  REQUIRE(legend.size() == 3);
  CHECK(texts(legend) ==
        std::vector<std::string>{"a&b (AUC 1.000)", "<c> (AUC 0.500)",
                                 std::string(31, 'n') + "\xE2\x80\xA6 (AUC 0.500)"});
  CHECK(d.all("text", "chance-label").size() == 1);
  CHECK(contains(svg, ">a&amp;b (AUC 1.000)<"));
  CHECK(contains(svg, ">&lt;c&gt; (AUC 0.500)<"));
  CHECK(!contains(svg, "<c>"));
  // The cut name is whole in the legend entry's tooltip and in the curve's.
  REQUIRE(legend[2]->children.size() == 1);
  CHECK(d.elements[legend[2]->children[0]].text == long_name);
  CHECK(d.elements[curves[2]->children[0]].text == long_name + " (AUC 0.500)");
  // Each curve has its own colour, and its legend sample has it too.
  const auto samples = [&] {
    std::vector<std::string> out;
    for (const element* e : d.all("line"))
      if (e->get("stroke-width") == "2") out.push_back(e->get("stroke"));
    return out;
  }();
  const std::vector<std::string> strokes = {curves[0]->get("stroke"), curves[1]->get("stroke"),
                                            curves[2]->get("stroke")};
  CHECK(samples == strokes);
  CHECK(strokes[0] != strokes[1]);
  CHECK(strokes[1] != strokes[2]);
  CHECK(strokes[0] != strokes[2]);

  // Without names: the indices. Twelve curves: twelve entries (and the chance line); the
  // colours repeat after ten, dashed.
  const document plain = parse_svg(tally::svg::roc_curve(std::vector<tally::RocCurve>(12, c)));
  const auto entries = texts(plain.all("text", "legend"));
  // A vector of one curve (a micro or macro average) is not class 0.
  CHECK(texts(parse_svg(tally::svg::roc_curve(std::vector<tally::RocCurve>{c}))
                  .all("text", "legend")) == std::vector<std::string>{"ROC curve (AUC 0.500)"});
  CHECK(texts(parse_svg(tally::svg::pr_curve(std::vector<tally::PrCurve>(1)))
                  .all("text", "legend")) == std::vector<std::string>{"PR curve (no points)"});
  REQUIRE(entries.size() == 12);
  CHECK(entries[0] == "0 (AUC 0.500)");
  CHECK(entries[11] == "11 (AUC 0.500)");
  const auto lines = plain.all("polyline", "curve");
  REQUIRE(lines.size() == 12);
  CHECK(lines[10]->get("stroke") == lines[0]->get("stroke"));
  CHECK(lines[10]->get("stroke-dasharray") == "7 3");
  CHECK(lines[9]->get("stroke-dasharray").empty());
  // The legend fits: the document is tall enough for 13 rows.
  const auto set = tally::svg::detail::roc_set(std::vector<tally::RocCurve>(12, c).data(), 12, {});
  const auto l = tally::svg::detail::layout_curves(set, "");
  CHECK(l.rows == 13);
  CHECK(l.legend_y + 13 * l.legend_row <= l.height);
  CHECK(plain.elements[0].get("height") == std::to_string(static_cast<int>(l.height)));
}

TEST_CASE("svg::roc_curve and pr_curve: empty and all-NaN curves draw no points, bad input throws",
          "[svg]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const document empty = parse_svg(tally::svg::roc_curve(tally::RocCurve{}));
  REQUIRE(empty.all("polyline", "curve").size() == 1);
  CHECK(empty.all("polyline", "curve")[0]->get("points").empty());
  CHECK(texts(empty.all("text", "legend")) == std::vector<std::string>{"ROC curve (no points)"});
  // One point: drawn, but no area.
  const document one = parse_svg(tally::svg::roc_curve(tally::RocCurve{{0}, {0}, {1}}));
  CHECK(texts(one.all("text", "legend")) == std::vector<std::string>{"ROC curve"});
  const tally::PrCurve nans{{nan, nan, 1}, {nan, nan, nan}, {0.2, 0.7}};
  const document all_nan = parse_svg(tally::svg::pr_curve(nans));
  CHECK(all_nan.all("polyline", "curve")[0]->get("points").empty());
  CHECK(texts(all_nan.all("text", "legend")) == std::vector<std::string>{"PR curve (no points)"});
  // An empty curve beside a full one.
  const tally::PrCurve full{{0.5, 1}, {1, 0}, {0.3}};
  const document mixed = parse_svg(tally::svg::pr_curve({tally::PrCurve{}, full}, {"x", "y"}));
  CHECK(texts(mixed.all("text", "legend")) == std::vector<std::string>{"x (no points)", "y"});

  using tally_test::error_message;
  const std::string none =
      error_message([] { (void)tally::svg::roc_curve(std::vector<tally::RocCurve>{}); });
  CHECK(contains(none, "tally::svg::roc_curve"));
  CHECK(contains(none, "no curve to draw"));
  CHECK(contains(error_message([] { (void)tally::svg::pr_curve(std::vector<tally::PrCurve>{}); }),
                 "tally::svg::pr_curve"));
  const std::string names = error_message([&] {
    (void)tally::svg::pr_curve({full, full, full}, {"a", "b"});
  });
  CHECK(contains(names, "tally::svg::pr_curve"));
  CHECK(contains(names, "class_names has 2 names, the result has 3 classes"));
  const std::string pairs = error_message([] {
    (void)tally::svg::roc_curve({tally::RocCurve{}, tally::RocCurve{{0, 0.5, 1}, {0, 1}, {}}});
  });
  CHECK(contains(pairs, "curve 1 has 3 fpr and 2 tpr values"));
  CHECK(contains(error_message([] {
                   (void)tally::svg::pr_curve(tally::PrCurve{{1}, {}, {}});
                 }),
                 "curve 0 has 0 recall and 1 precision values"));
}

TEST_CASE("svg::pr_curve: recall on x, precision on y, a binned curve's 0 / 0 left out", "[svg]") {
  // Thresholds 0, 0.5, 1: at 0 all four positive (precision 2/4, recall 2/2); at 0.5 the 0.6 and
  // 0.8 (1/2, 1/2); at 1 none (precision 0 / 0 = NaN, recall 0); then (recall 0, precision 1).
  tally::BinaryPrecisionRecallCurve pr({}, tally::Thresholds::values({0, 0.5, 1}));
  pr.update(std::vector<float>{0.1f, 0.4f, 0.6f, 0.8f}, std::vector<int>{0, 1, 0, 1});
  const tally::PrCurve c = pr.compute();
  REQUIRE(c.precision.size() == 4);
  REQUIRE(std::isnan(c.precision[2]));
  const std::string svg = tally::svg::pr_curve(c);
  const document d = parse_svg(svg);
  CHECK(d.elements[d.elements[0].children[0]].text == "Precision-recall curve (1 curve)");
  const unit_square u = plot_frame(d);
  const auto curves = d.all("polyline", "curve");
  REQUIRE(curves.size() == 1);
  check_points(*curves[0], u, {{1, 0.5}, {0.5, 0.5}, {0, 1}});
  // (recall 1, precision 0.5) by hand: the square's right edge, half way up.
  const auto p = polyline_points(*curves[0]);
  CHECK(p[0].first == u.x + 300);
  CHECK(p[0].second == u.y + 150);
  CHECK(texts(d.all("text", "legend")) == std::vector<std::string>{"PR curve"});
  CHECK(d.all("line", "chance").empty());
  CHECK(d.all("text", "chance-label").empty());
  CHECK(contains(svg, ">Recall<"));
  CHECK(contains(svg, ">Precision<"));
}

TEST_CASE("svg::roc_curve: per-class curves of MulticlassROC, each AUC the class's AUROC",
          "[svg]") {
  // 6 samples, 3 classes: softmax-free probabilities, rows sum to 1.
  const std::vector<float> probs = {0.7f, 0.2f, 0.1f, 0.3f, 0.4f, 0.3f, 0.2f, 0.2f, 0.6f,
                                    0.5f, 0.3f, 0.2f, 0.1f, 0.8f, 0.1f, 0.3f, 0.3f, 0.4f};
  const std::vector<int> labels = {0, 1, 2, 1, 1, 0};
  tally::Multiclass::Options o;
  o.num_classes = 3;
  o.average = tally::Average::none;
  tally::MulticlassROC roc(o);
  tally::MulticlassAUROC auroc(o);
  const auto p = tally_test::view_of(probs, tally::Shape{6, 3});
  roc.update(p, tally_test::view_of(labels));
  auroc.update(p, tally_test::view_of(labels));
  const std::vector<tally::RocCurve> curves = roc.compute();
  const tally::Result areas = auroc.compute();
  REQUIRE(curves.size() == 3);
  const document d = parse_svg(tally::svg::roc_curve(curves, {"road", "car", "sky"}));
  const auto legend = texts(d.all("text", "legend"));
  REQUIRE(legend.size() == 3);
  const std::vector<std::string> names = {"road", "car", "sky"};
  for (std::size_t k = 0; k < 3; ++k) {
    std::string want = names[k] + " (AUC ";
    tally::svg::detail::put_fixed(want, areas[k], 3);
    CHECK(legend[k] == want + ")");
    const auto polylines = d.all("polyline", "curve");
    CHECK(polyline_points(*polylines[k]).size() == curves[k].fpr.size());
  }
}

struct svg_decimal_comma : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  std::string do_grouping() const override { return "\3"; }
  char do_thousands_sep() const override { return '.'; }
};

TEST_CASE("svg numbers do not follow the global locale (decimal comma, grouping)", "[svg]") {
  // A C++ global locale with a decimal comma and grouping, and a C locale with a decimal comma
  // when the machine has one: the documents must not change.
  const tally::Result r(tally::Shape{2}, {0.5, 12345.25});
  tally::MulticlassConfusionMatrix cm(three_classes());
  cm.update(case_preds, case_target);
  const tally::RocCurve roc{{0, 0.25, 1}, {0, 0.5, 1}, {}};
  const std::string bars_before = tally::svg::bar_chart(r),
                    cm_before = tally::svg::confusion_matrix(cm),
                    roc_before = tally::svg::roc_curve(roc);
  const std::locale old =
      std::locale::global(std::locale(std::locale::classic(), new svg_decimal_comma));
  const std::string old_c = std::setlocale(LC_ALL, nullptr);
  bool c_comma = false;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"})
    if (std::setlocale(LC_ALL, name)) {
      c_comma = true;
      break;
    }
  const std::string bars_after = tally::svg::bar_chart(r),
                    cm_after = tally::svg::confusion_matrix(cm),
                    roc_after = tally::svg::roc_curve(roc);
  std::setlocale(LC_ALL, old_c.c_str());
  std::locale::global(old);
  if (!c_comma) WARN("no decimal-comma C locale installed: only the C++ global locale was changed");
  CHECK(bars_after == bars_before);
  CHECK(cm_after == cm_before);
  CHECK(roc_after == roc_before);
  CHECK(contains(roc_before, ">ROC curve (AUC 0.625)<"));
  CHECK(contains(bars_before, ">0.500<"));
  CHECK(contains(bars_before, ">12345<"));
}

}  // namespace svg_test
}  // namespace
