// tally/detail/kernels/generic/kernels.inl — the generic kernels of one SIMD rung and its entry
// points, which kernels/dispatch.hpp calls with the rung's tag. Included once per rung, inside its
// namespace and target region, after its `ops`; no include guard.

#include "vec.inl"
#include "labels.inl"
#include "binary.inl"
#include "scores.inl"
#include "onehot.inl"

template <class Tag, class P, class T>
bool label_table(Tag, const P* p, const T* t, std::size_t n, std::size_t C,
                 const label_rule<P>& pr, const label_rule<T>& tr, std::uint64_t* table,
                 label_scratch& scratch) {
  return count_table_simd(p, t, n, C, pr, tr, table, scratch);
}

template <class P, class T>
bool large_labels(const P* p, const T* t, std::size_t n, std::size_t C, const label_rule<P>& pr,
                  const label_rule<T>& tr, class_counts_out out, label_scratch& scratch) {
  if constexpr (ops::large_streams)
    return kshared::count_large_streams(
        n, C, ops::W, out, scratch,
        [&](std::size_t i, std::size_t m, u32* hb, u32* mt, u32* mp, std::size_t& hits,
            std::size_t& misses) {
          return large_streams_prep(p + i, t + i, m, pr, tr, hb, mt, mp, hits, misses);
        });
  else
    return kshared::count_large(
      n, C, out, scratch,
      [&](std::size_t i, std::size_t m, u32* tb, u32* pb, std::uint64_t* wrong) {
        return large_prep(p + i, t + i, m, C, pr, tr, tb, pb, wrong);
      });
}

// The label kernels of this rung; per_class_max and scatter come from the rung's tag.
template <class P, class T>
bool class_labels_with(std::size_t per_class_max, scatter_misses_fn scatter, const P* p,
                       const T* t, std::size_t n, std::size_t C, const label_rule<P>& pr,
                       const label_rule<T>& tr, class_counts_out out, label_scratch& scratch) {
  label_kernel k = forced_label_kernel();
  const bool forced = k != label_kernel::automatic;
  if ((k == label_kernel::per_class || k == label_kernel::hit_miss) && C > bytes_max_classes)
    k = label_kernel::automatic;
  // Per-class counting passes over the data once per group of classes: it counts 1-byte labels
  // only (a pass over wide ones costs much more, and hit/miss does as well in one).
  if (sizeof(P) > 1 || sizeof(T) > 1) {
    per_class_max = 0;
    if (k == label_kernel::per_class) k = label_kernel::hit_miss;
  }
  // The table's bins are 16-bit and its copies live in L1/L2: up to 64 classes for any labels,
  // up to 255 for 1-byte labels when the batch is long enough to pay for clearing a table of
  // C*C counters. On every rung: at C = 150 on Zen 4 it counts 1.4-1.7 G elem/s under the AVX2
  // cap (1.0 for the packed histograms) and 1.6-1.8 on AVX-512 (1.1-1.3 for the histograms with
  // streams).
  const bool big_table = sizeof(P) == 1 && sizeof(T) == 1 && n >= 16 * C * C;
  const std::size_t table_max = big_table ? bytes_table_max_classes : table_max_classes;
  if (k == label_kernel::table && C > table_max) k = label_kernel::automatic;
  if (k == label_kernel::automatic)
    k = C <= per_class_max  ? label_kernel::per_class
        : C <= hit_miss_max ? label_kernel::hit_miss
        : C <= table_max    ? label_kernel::table
                            : label_kernel::large;
  switch (k) {
    case label_kernel::per_class:
      if constexpr (sizeof(P) == 1 && sizeof(T) == 1) {
        const u8 pmax = static_cast<u8>(pr.limit - 1), tmax = static_cast<u8>(tr.limit - 1);
        if (tr.has_ignore)
          return per_class<ops::per_class_group, true>(p, t, n, C, pmax, tmax, tr.ignore, out);
        return per_class<ops::per_class_group, false>(p, t, n, C, pmax, tmax, tr.ignore, out);
      }
      [[fallthrough]];
    case label_kernel::hit_miss: {
      const std::size_t done =
          tr.has_ignore ? hit_miss<true>(p, t, n, C, pr, tr, out, scratch, !forced, scatter)
                        : hit_miss<false>(p, t, n, C, pr, tr, out, scratch, !forced, scatter);
      if (done == npos) return false;
      return done == n ||
             count_via_table_simd(p + done, t + done, n - done, C, pr, tr, out, scratch);
    }
    case label_kernel::table:
      return count_via_table_simd(p, t, n, C, pr, tr, out, scratch);
    default:
      return large_labels(p, t, n, C, pr, tr, out, scratch);
  }
}

template <class Tag, class P, class T>
bool class_labels(Tag, const P* p, const T* t, std::size_t n, std::size_t C,
                  const label_rule<P>& pr, const label_rule<T>& tr, class_counts_out out,
                  label_scratch& scratch) {
  return class_labels_with(Tag::per_class_max, &Tag::scatter_misses, p, t, n, C, pr, tr, out,
                           scratch);
}

template <class Tag, class L, class S>
bool argmax(Tag, const S* s, std::size_t C, std::size_t R, std::size_t m, L* out) {
  if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double>)
    return argmax_steps<ops::argmax_unroll>(s, C, R, m, out);
  else
    return scalar::argmax(scalar::tag{}, s, C, R, m, out);
}

template <class Tag, class P, class T>
void binary(Tag, const P* p, const T* t, std::size_t N, std::size_t L, std::size_t R,
            const label_rule<T>& rule, const binary_thresholds<P>& th, std::size_t rounds,
            binary_tally* out, unsigned& fl) {
  if (N == 0 || L == 0 || R == 0) return;
  if constexpr (std::is_same_v<P, long double>) {
    kshared::binary_scalar(p, t, N, L, R, rule, th, out, fl);
  } else {
    if (N * L * R < kb_scalar_below)
      kshared::binary_scalar(p, t, N, L, R, rule, th, out, fl);
    else if (rule.has_ignore)
      kb_count<true>(rounds, p, t, N, L, R, rule, th, out, fl);
    else
      kb_count<false>(rounds, p, t, N, L, R, rule, th, out, fl);
  }
}

template <class Tag, class X, class Y>
bool onehot_index(Tag, const X* x, const Y* y, std::size_t C, std::size_t R,
                  const label_rule<Y>& rule, bool x_everywhere, std::uint64_t* both,
                  std::uint64_t* xs, std::uint64_t* ys) {
  if (C > onehot_max_classes)
    return kshared::onehot_index_rows(x, y, C, R, 0, R, rule, x_everywhere, both, xs, ys);
  if (rule.has_ignore) return onehot_index_all<true>(x, y, C, R, rule, x_everywhere, both, xs, ys);
  return onehot_index_all<false>(x, y, C, R, rule, x_everywhere, both, xs, ys);
}
