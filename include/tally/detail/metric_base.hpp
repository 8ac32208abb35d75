// tally/detail/metric_base.hpp — what every metric shares: update from views or ranges, reset,
// merge, +=, equality, save/load.
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_METRIC_BASE_HPP
#define TALLY_DETAIL_METRIC_BASE_HPP

// The user-facing surface every accumulator shares: update from views or ranges, reset, merge,
// +=, equality, save/load. `Derived` supplies compute() and holds the core (a stat_core or a C x C
// table).

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../options.hpp"
#include "../tensor_view.hpp"
#include "state_io.hpp"
#include "thread_pool.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

// Any argument of update(): a tensor_view of const or mutable data, or a contiguous range
// (taken as shape (n)).
template <class R>
[[nodiscard]] auto as_view(const R& r) {
  if constexpr (is_tensor_view<R>::value) {
    return tensor_view<const typename R::value_type>(r);
  } else {
    static_assert(is_contiguous_range<R>::value,
                  "tally: update() takes tensor_views or contiguous ranges (std::vector, "
                  "std::array, C arrays, std::span); std::vector<bool> is not contiguous, use "
                  "std::vector<std::uint8_t>");
    using E = std::remove_cv_t<std::remove_pointer_t<decltype(std::data(r))>>;
    return tensor_view<const E>(std::data(r), Shape{static_cast<std::size_t>(std::size(r))});
  }
}

// The adapters' way into a metric's core (tally/mpi.hpp); not for users.
struct state_access {
  template <class M>
  static auto& core(M& m) noexcept {
    return m.core_;
  }
};

template <class Derived, class Core>
class metric_base {
  friend struct state_access;

 public:
  /// Counts one batch. Throws tally::error on invalid input and then changes nothing.
  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target) {
    counted_update(preds, target, 1);
  }

  /// Counts one batch given as contiguous ranges (shape (n)) or tensor_views.
  template <class PR, class TR>
  void update(const PR& preds, const TR& target) {
    auto p = as_view(preds);
    auto t = as_view(target);
    counted_update(p, t, 1);
  }

  /// Counts one batch with several threads (see tally::parallel); same result as update().
  template <class P, class T>
  void update(tensor_view<const P> preds, tensor_view<const T> target, parallel how) {
    counted_update(preds, target, resolve_threads(how.threads));
  }
  template <class PR, class TR>
  void update(const PR& preds, const TR& target, parallel how) {
    auto p = as_view(preds);
    auto t = as_view(target);
    counted_update(p, t, resolve_threads(how.threads));
  }

  /// Back to the state right after construction.
  void reset() { core_.reset(); }

  /// Adds another accumulator's counts (samplewise: appends its rows). The options must be
  /// equal; otherwise tally::error and nothing changes.
  Derived& merge(const Derived& other) {
    // m.merge(m) counts m's data twice; the cores append and add from a copy, never from
    // ranges they are growing.
    if (&other == this) {
      const Derived copy = other;
      return merge(copy);
    }
    static_cast<Derived&>(*this).check_mergeable(other);
    // The one options check of every merge (the cores assume equal options); naming both
    // sides shows which option differs and how.
    if (!(core_.options() == other.core_.options()))
      fail("merge: ", identity(), " cannot merge ", other.identity(),
           "; only metrics built with equal options can be merged");
    core_.merge(other.core_);
    return static_cast<Derived&>(*this);
  }
  Derived& operator+=(const Derived& other) { return merge(other); }

  [[nodiscard]] const auto& options() const noexcept { return core_.options(); }

  /// The raw counts (see each metric's documentation for the layout).
  [[nodiscard]] auto counts() const { return core_.counts(); }

  /// The whole state as portable bytes (little-endian, versioned, checksummed; see
  /// detail/state_io.hpp), to resume from a checkpoint or send elsewhere:
  ///
  ///     std::string bytes = f1.save();
  ///     tally::MulticlassF1Score resumed(options);
  ///     resumed.load(bytes);            // resumed == f1
  [[nodiscard]] std::string save() const {
    state_writer w(identity());
    core_.save_state(w);
    return w.finish();
  }

  /// Replaces the state with one written by save(). Throws tally::error, and changes nothing,
  /// if the bytes are not a tally state, are truncated or corrupted, or were saved by another
  /// metric type or with other options.
  void load(std::string_view bytes) {
    state_reader r(bytes, identity());
    Core loaded = core_;
    loaded.load_state(r);
    r.finish();
    core_ = std::move(loaded);
  }

  /// The metric and its options as text, e.g. `MulticlassF1Score{num_classes=19, ...}`: what
  /// save() records and load() compares.
  [[nodiscard]] std::string identity() const {
    identity_text t(std::string(Core::task_name) + Derived::metric_name);
    describe_options(t, core_.options());
    static_cast<const Derived&>(*this).describe_settings(t);
    return t.str();
  }

  /// Equal options and equal state.
  friend bool operator==(const Derived& a, const Derived& b) noexcept { return equal(a, b); }
  friend bool operator!=(const Derived& a, const Derived& b) noexcept { return !(a == b); }

 private:
  // Every update's working memory (histograms, kernel scratch, per-chunk buffers) is allocated
  // inside core_.update, which commits nothing until it has counted the whole batch; a failed
  // allocation anywhere there is a tally::error like a failed state allocation
  // (docs/semantics.md 3.1), never std::bad_alloc, and leaves the accumulator as it was.
  template <class P, class T>
  void counted_update(tensor_view<const P> preds, tensor_view<const T> target,
                      std::size_t threads) {
    try {
      core_.update(preds, target, threads);
    } catch (const std::bad_alloc&) {
      fail("update: cannot allocate the working memory for a batch of ", target.size(),
           " target elements; split the batch");
    }
  }

 protected:
  explicit metric_base(Core core) : core_(std::move(core)) {}

  // Hooks for metrics with settings beyond the task options (beta, normalize).
  void check_mergeable(const Derived&) const {}
  [[nodiscard]] bool same_settings(const Derived&) const noexcept { return true; }
  void describe_settings(identity_text&) const {}

  Core core_;

 private:
  static bool equal(const Derived& a, const Derived& b) noexcept {
    return a.same_settings(b) && a.core_ == b.core_;
  }
};

// Distributed reductions of whole states (reducible_state::whole_states): a saved state as
// uint64 words, its byte count first, then the bytes, 8 to a word, little-endian.
[[nodiscard]] inline std::vector<std::uint64_t> pack_state(const std::string& bytes) {
  std::vector<std::uint64_t> w(1 + (bytes.size() + 7) / 8, 0);
  w[0] = bytes.size();
  for (std::size_t i = 0; i < bytes.size(); ++i)
    w[1 + i / 8] |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * (i % 8));
  return w;
}

// Replaces `metric` with the merge, in order, of the packed states in `words` (every rank's,
// rank 0 first). Throws tally::error, changing nothing, if a state does not load.
template <class M>
void merge_gathered_states(M& metric, const std::vector<std::uint64_t>& words) {
  M total = metric;
  total.reset();
  for (std::size_t i = 0; i < words.size();) {
    const std::uint64_t n = words[i++];
    if (n > (words.size() - i) * 8) fail("internal error: a gathered state is truncated");
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (std::size_t k = 0; k < bytes.size(); ++k)
      bytes[k] = static_cast<char>((words[i + k / 8] >> (8 * (k % 8))) & 0xFF);
    i += static_cast<std::size_t>((n + 7) / 8);
    M part = metric;
    part.load(bytes);
    total.merge(part);
  }
  metric = std::move(total);
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_METRIC_BASE_HPP
