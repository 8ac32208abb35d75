// The one field list per options struct (options.hpp): it names every field, and equality, the
// identity that load() checks, and the fmt formatters each see a change to any one of them.
#include <tally/tally.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tally_catch.hpp"
#ifdef TALLY_TESTS_WITH_FMT
#include <tally/format.hpp>
#endif

namespace {

namespace td = tally::detail;

// The number of fields of an aggregate: the most initializers it accepts.
struct any_field {
  template <class T>
  constexpr operator T() const noexcept {  // NOLINT(google-explicit-constructor)
    return T{};
  }
};
template <class S, class = void, class... A>
struct init_with : std::false_type {};
template <class S, class... A>
struct init_with<S, std::void_t<decltype(S{std::declval<A>()...})>, A...> : std::true_type {};
template <class S, class... A>
constexpr std::size_t field_count() {
  if constexpr (init_with<S, void, A..., any_field>::value)
    return field_count<S, A..., any_field>();
  else
    return sizeof...(A);
}

template <class Options>
constexpr std::size_t count_listed() {
  std::size_t n = 0;
  td::option_fields<Options>::visit([&](const char*, auto) { ++n; });
  return n;
}
template <class Options>
constexpr std::size_t listed = count_listed<Options>();

// A forgotten field fails to compile here.
static_assert(field_count<tally::Binary::Options>() == listed<tally::Binary::Options>);
static_assert(field_count<tally::Multiclass::Options>() == listed<tally::Multiclass::Options>);
static_assert(field_count<tally::Multilabel::Options>() == listed<tally::Multilabel::Options>);
static_assert(field_count<tally::DiceScoreOptions>() == listed<tally::DiceScoreOptions>);
static_assert(std::is_same_v<tally::DiceScore::Options, tally::DiceScoreOptions>);
static_assert(field_count<tally::MeanIoUOptions>() == listed<tally::MeanIoUOptions>);
static_assert(std::is_same_v<tally::MeanIoU::Options, tally::MeanIoUOptions>);
static_assert(field_count<tally::GeneralizedDiceScoreOptions>() ==
              listed<tally::GeneralizedDiceScoreOptions>);
static_assert(
    std::is_same_v<tally::GeneralizedDiceScore::Options, tally::GeneralizedDiceScoreOptions>);

// Another value of the same type.
template <class V>
V changed(const V& v) {
  if constexpr (std::is_same_v<V, bool>)
    return !v;
  else if constexpr (std::is_enum_v<V>)
    return static_cast<V>(static_cast<int>(v) == 0 ? 1 : 0);
  else if constexpr (std::is_same_v<V, std::optional<std::int64_t>>)
    return v ? std::optional<std::int64_t>{} : std::optional<std::int64_t>{7};
  else
    return static_cast<V>(v + 1);
}

template <class Options>
std::string identity(const Options& o) {
  td::identity_text t("M");
  td::describe_options(t, o);
  return t.str();
}

// For each listed field: a copy of `base` with that field changed differs from `base` in
// equality, identity and (with fmt) formatted text; the field's name appears in both texts.
template <class Options>
void check_every_field(const Options& base) {
  std::vector<std::string> names;
  td::option_fields<Options>::visit([&](const char* name, auto member) {
    Options other = base;
    other.*member = changed(base.*member);
    INFO("field " << name);
    names.push_back(name);
    CHECK_FALSE(other == base);
    CHECK(other != base);
    CHECK(identity(other) != identity(base));
    // (scores is named in the identity only when it is not automatic)
    CHECK((identity(base) + identity(other)).find(std::string(name) + "=") != std::string::npos);
#ifdef TALLY_TESTS_WITH_FMT
    CHECK(fmt::format("{}", other) != fmt::format("{}", base));
    CHECK(fmt::format("{}", base).find(std::string(name) + "=") != std::string::npos);
#endif
  });
  CHECK(names.size() == field_count<Options>());
  CHECK(base == Options(base));
  CHECK(identity(base) == identity(Options(base)));
}

}  // namespace

TEST_CASE("options: each field of each options struct is compared, saved and printed") {
  check_every_field(tally::Binary::Options{});
  check_every_field(tally::Multiclass::Options{});
  check_every_field(tally::Multilabel::Options{});
  check_every_field(tally::DiceScoreOptions{});
  check_every_field(tally::MeanIoUOptions{});
  check_every_field(tally::GeneralizedDiceScoreOptions{});
}

TEST_CASE("options: the identity text keeps declaration order, as saved states hold it") {
  tally::Multiclass::Options o;
  o.num_classes = 19;
  o.ignore_index = 255;
  // scores is left out while automatic (states saved before the field existed still load).
  CHECK(identity(o) ==
        "M{num_classes=19, ignore_index=255, average=macro, multidim_average=global, top_k=1, "
        "zero_division=0}");
  o.scores = tally::Scores::probabilities;
  CHECK(identity(o) ==
        "M{num_classes=19, ignore_index=255, average=macro, multidim_average=global, top_k=1, "
        "zero_division=0, scores=probabilities}");
  tally::DiceScoreOptions d;
  d.num_classes = 3;
  CHECK(identity(d) ==
        "M{num_classes=3, ignore_index=none, include_background=true, average=macro, "
        "aggregation_level=samplewise, input_format=one_hot, zero_division=0}");
  tally::MeanIoUOptions m;
  m.num_classes = 19;
  m.ignore_index = 255;
  CHECK(identity(m) ==
        "M{num_classes=19, ignore_index=255, include_background=true, average=macro, "
        "aggregation_level=samplewise, input_format=one_hot}");
  tally::GeneralizedDiceScoreOptions g;
  g.weight_type = tally::DiceWeights::simple;
  CHECK(identity(g) ==
        "M{num_classes=0, ignore_index=none, include_background=true, average=macro, "
        "weight_type=simple, input_format=one_hot}");
}
