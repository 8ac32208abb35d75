// tally/detail/state_io.hpp — the byte format of save() / load(), the options' identity text, and
// the state as MPI reduces it.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_STATE_IO_HPP
#define TALLY_DETAIL_STATE_IO_HPP

// The byte format of Metric::save() / Metric::load(). Portable: every number is little-endian
// whatever the machine, and nothing depends on the compiler or the locale.
//
//   offset  size  field
//   0       8     magic "TALLYST\0"
//   8       4     format version (uint32), state_format_version
//   12      4     identity length L (uint32)
//   16      L     identity: the metric and every option, as text, e.g.
//                 "MulticlassF1Score{num_classes=19, ignore_index=255, average=macro, ...}"
//   16+L    4     array count K (uint32)
//   ...           K arrays: a type byte ('u': uint64), a length n (uint64), n values
//   end-8   8     FNV-1a 64 checksum of every byte before it
//
// load() checks the magic, the version, the checksum and then the identity before reading any
// array, so foreign, truncated or corrupted bytes and states of other metrics or options are
// rejected with tally::error, never read out of bounds.
//
// Every array is 'u'. The type byte 'd' (float64) was used once, for DiceScore's per-sample sums
// before they were exact (fixed_sum.hpp); the version stays 1 because no other state changed, and
// DiceScore's load() rejects such a state by name.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "fixed_sum.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

inline constexpr char state_magic[8] = {'T', 'A', 'L', 'L', 'Y', 'S', 'T', '\0'};
inline constexpr std::uint32_t state_format_version = 1;

inline std::uint64_t fnv1a(const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

// Option text with the classic locale and 17 significant digits: exact and portable.
class identity_text {
 public:
  explicit identity_text(std::string_view name) {
    out_.imbue(std::locale::classic());
    out_.precision(17);
    out_ << name << '{';
  }
  template <class V>
  identity_text& field(const char* key, const V& v) {
    out_ << (first_ ? "" : ", ") << key << '=';
    first_ = false;
    put(v);
    return *this;
  }
  [[nodiscard]] std::string str() { return out_.str() + '}'; }

 private:
  void put(const std::optional<std::int64_t>& v) {
    if (v)
      out_ << *v;
    else
      out_ << "none";
  }
  void put(Average a) { out_ << to_string(a); }
  void put(MultidimAverage a) { out_ << to_string(a); }
  void put(Normalize n) { out_ << to_string(n); }
  void put(InputFormat f) { out_ << to_string(f); }
  void put(AggregationLevel a) { out_ << to_string(a); }
  void put(Scores s) { out_ << to_string(s); }
  void put(DiceWeights w) { out_ << to_string(w); }
  void put(bool b) { out_ << (b ? "true" : "false"); }
  void put(double d) { out_ << d; }
  void put(std::int64_t i) { out_ << i; }
  void put(int i) { out_ << i; }
  void put(const char* text) { out_ << text; }  // a setting's name (to_string of its enum)

  std::ostringstream out_;
  bool first_ = true;
};

// The options as identity text, every field of the struct's list (options.hpp).
// `scores` is left out while automatic, so that states saved before the field existed (with
// the same reading of scores) still load; any other value is part of the identity.
template <class Options>
void describe_options(identity_text& t, const Options& o) {
  for_each_field(o, [&](const char* name, const auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Scores>) {
      if (v == Scores::automatic) return;
    }
    t.field(name, v);
  });
}

// The state as a distributed reduction sees it (tally/mpi.hpp): arrays that add elementwise
// across processes, exact sums of values in [0, 1] (added as integers too), and, in samplewise
// modes, rows that concatenate in rank order. A state that is none of these (the ranking
// metrics' kept scores) sets whole_states: every rank's save() travels, and the receiving
// ranks merge them in rank order (merge_gathered_states in metric_base.hpp).
struct reducible_state {
  struct u64_array {
    std::uint64_t* data;
    std::size_t size;
  };
  std::vector<u64_array> sums;                 // added exactly
  std::vector<fixed_sums*> exact_sums;         // added exactly, through their limbs()
  std::vector<std::uint64_t>* rows = nullptr;  // samplewise rows, row_width values each
  std::size_t row_width = 0;
  std::size_t* row_count = nullptr;
  bool whole_states = false;
};

class state_writer {
 public:
  explicit state_writer(const std::string& identity) {
    out_.append(state_magic, sizeof state_magic);
    u32(state_format_version);
    u32(static_cast<std::uint32_t>(identity.size()));
    out_ += identity;
    count_at_ = out_.size();
    u32(0);
  }
  void array(const std::uint64_t* v, std::size_t n) {
    begin_array('u', n);
    for (std::size_t i = 0; i < n; ++i) u64(v[i]);
  }
  void array(const std::vector<std::uint64_t>& v) { array(v.data(), v.size()); }
  void scalar(std::uint64_t v) { array(&v, 1); }
  [[nodiscard]] std::string finish() {
    for (int b = 0; b < 4; ++b)
      out_[count_at_ + static_cast<std::size_t>(b)] =
          static_cast<char>((arrays_ >> (8 * b)) & 0xFF);
    u64(fnv1a(reinterpret_cast<const unsigned char*>(out_.data()), out_.size()));
    return std::move(out_);
  }

 private:
  void begin_array(char type, std::size_t n) {
    out_ += type;
    u64(n);
    ++arrays_;
  }
  void u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) out_ += static_cast<char>((v >> (8 * b)) & 0xFF);
  }
  void u64(std::uint64_t v) {
    for (int b = 0; b < 8; ++b) out_ += static_cast<char>((v >> (8 * b)) & 0xFF);
  }

  std::string out_;
  std::size_t count_at_ = 0;
  std::uint32_t arrays_ = 0;
};

class state_reader {
 public:
  // Checks everything but the arrays: magic, version, checksum, identity.
  state_reader(std::string_view bytes, const std::string& identity) : in_(bytes) {
    constexpr std::size_t fixed = sizeof state_magic + 4 + 4 + 4 + 8;
    if (in_.size() < fixed || std::memcmp(in_.data(), state_magic, sizeof state_magic) != 0)
      fail("load: the ", in_.size(),
           " bytes are not a tally state (they do not start with the tally state header)");
    pos_ = sizeof state_magic;
    const std::uint32_t version = u32();
    if (version != state_format_version)
      fail("load: the state has format version ", version, "; this tally reads version ",
           state_format_version, version > state_format_version ? " (saved by a newer tally)" : "");
    const std::size_t body = in_.size() - 8;
    std::uint64_t stored = 0;
    for (int b = 0; b < 8; ++b)
      stored |= static_cast<std::uint64_t>(
                    static_cast<unsigned char>(in_[body + static_cast<std::size_t>(b)]))
                << (8 * b);
    if (stored != fnv1a(reinterpret_cast<const unsigned char*>(in_.data()), body))
      fail("load: the ", in_.size(),
           " bytes fail their checksum; the state was truncated or corrupted");
    in_ = in_.substr(0, body);
    const std::uint32_t len = u32();
    need(len, "identity");
    const std::string_view saved = in_.substr(pos_, len);
    pos_ += len;
    if (saved != identity)
      fail("load: the state was saved by ", saved, "; this metric is ", identity,
           "; a state loads only into a metric of the same type with equal options");
    arrays_ = u32();
  }

  [[nodiscard]] std::vector<std::uint64_t> u64_array(const char* what) {
    const std::size_t n = begin_array('u', what);
    std::vector<std::uint64_t> v(n);
    for (auto& x : v) x = u64();
    return v;
  }
  // The type byte of the next array, or 0 if there is none: lets a metric name a layout it
  // no longer reads.
  [[nodiscard]] char next_type() const noexcept {
    return read_ < arrays_ && pos_ < in_.size() ? in_[pos_] : '\0';
  }
  [[nodiscard]] std::uint64_t scalar(const char* what) {
    const std::vector<std::uint64_t> v = u64_array(what);
    if (v.size() != 1) fail("load: ", what, " has ", v.size(), " values, not 1");
    return v[0];
  }
  void finish() const {
    if (read_ != arrays_ || pos_ != in_.size())
      fail("load: the state holds ", arrays_, " arrays and ", in_.size() - pos_,
           " unread bytes after the ", read_, " this metric reads");
  }

 private:
  std::size_t begin_array(char type, const char* what) {
    if (read_ == arrays_) fail("load: the state ends before ", what);
    ++read_;
    need(9, what);
    const char t = in_[pos_++];
    if (t != type) fail("load: ", what, " has element type '", t, "', not '", type, "'");
    const std::uint64_t n = u64();
    if (n > (in_.size() - pos_) / 8)
      fail("load: ", what, " claims ", n, " values but only ", in_.size() - pos_, " bytes remain");
    return static_cast<std::size_t>(n);
  }
  void need(std::size_t n, const char* what) const {
    if (n > in_.size() - pos_) fail("load: the state is too short for its ", what);
  }
  std::uint32_t u32() {
    need(4, "header");
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in_[pos_++])) << (8 * b);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_++])) << (8 * b);
    return v;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::uint32_t arrays_ = 0;
  std::uint32_t read_ = 0;
};

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_STATE_IO_HPP
