// libFuzzer target: DiceScore with decoded options (num_classes, ignore_index, include_background,
// average, aggregation_level, input_format, zero_division) and index / one-hot / mixed batches of
// every element type (integral one-hot maps, floating scores, NaN), against a scalar reference of
// docs/semantics.md section 6 written here. See README.md.
#include "fuzz_common.hpp"

namespace {

using fz::buf;
using fz::i128;
using fz::Input;
using fz::outcome;

struct dspec {
  std::size_t C = 1;
  std::optional<std::int64_t> ii;
  bool include_background = true;
  tally::Average average = tally::Average::macro;
  bool samplewise = true;
  tally::InputFormat format = tally::InputFormat::one_hot;
  double zd = 0;
  std::size_t first() const { return (!include_background && C > 1) ? 1 : 0; }
  std::size_t K() const { return average == tally::Average::none ? C - first() : 1; }
};

// Reference per-unit values from I, P, T (docs/semantics.md 6.2-6.4).
std::vector<long double> unit_values(const dspec& s, const std::vector<std::uint64_t>& I,
                                     const std::vector<std::uint64_t>& P,
                                     const std::vector<std::uint64_t>& T) {
  const long double nan = std::numeric_limits<long double>::quiet_NaN();
  const long double empty = s.zd == 1.0 ? 1.0L : nan;
  auto dice = [&](std::size_t c) {
    const long double den = static_cast<long double>(P[c]) + T[c];
    return den == 0 ? empty : 2.0L * I[c] / den;
  };
  std::vector<long double> out;
  switch (s.average) {
    case tally::Average::none:
      for (std::size_t c = s.first(); c < s.C; ++c) out.push_back(dice(c));
      break;
    case tally::Average::micro: {
      long double num = 0, den = 0;
      for (std::size_t c = s.first(); c < s.C; ++c) {
        num += 2.0L * I[c];
        den += static_cast<long double>(P[c]) + T[c];
      }
      out.push_back(den == 0 ? empty : num / den);
      break;
    }
    case tally::Average::macro: {
      long double sum = 0;
      std::size_t n = 0;
      for (std::size_t c = s.first(); c < s.C; ++c)
        if (!std::isnan(dice(c))) {
          sum += dice(c);
          ++n;
        }
      out.push_back(n ? sum / n : nan);
      break;
    }
    case tally::Average::weighted: {
      long double num = 0, den = 0;
      bool any = false;
      for (std::size_t c = s.first(); c < s.C; ++c) {
        if (P[c] + T[c] == 0) continue;
        any = true;
        num += static_cast<long double>(T[c]) * dice(c);
        den += T[c];
      }
      out.push_back(!any ? empty : den == 0 ? 0.0L : num / den);
      break;
    }
  }
  return out;
}

struct ref_dice {
  std::vector<std::uint64_t> I, P, T;  // global totals
  std::vector<long double> sums;       // samplewise
  std::vector<std::uint64_t> valid;
  explicit ref_dice(const dspec& s)
      : I(s.C), P(s.C), T(s.C), sums(s.samplewise ? s.K() : 0), valid(s.samplewise ? s.K() : 0) {}
};

// Labels of one side of one sample: -1 where a one-hot integral channel set is used instead.
template <class V>
bool is_nan(V v) {
  if constexpr (std::is_floating_point_v<V>)
    return std::isnan(v);
  else
    return false;
}

template <class P, class T>
bool oracle(const dspec& s, const P* p, const std::vector<std::size_t>& ps, const T* t,
            const std::vector<std::size_t>& ts, ref_dice& ref) {
  constexpr bool pf = std::is_floating_point_v<P>, tf = std::is_floating_point_v<T>;
  const std::size_t C = s.C;
  bool poh = false, toh = false;
  auto one_hot_ok = [&](const std::vector<std::size_t>& x) { return x.size() >= 3 && x[1] == C; };
  std::vector<std::size_t> idx;
  switch (s.format) {
    case tally::InputFormat::index:
      if (ps.size() < 2 || ts.size() < 2 || pf || tf || ps != ts) return false;
      idx = ts;
      break;
    case tally::InputFormat::one_hot:
      if (!one_hot_ok(ps) || !one_hot_ok(ts) || ps != ts) return false;
      poh = toh = true;
      idx = ps;
      idx.erase(idx.begin() + 1);
      break;
    default:
      if (ps.size() == ts.size() + 1) {
        poh = true;
        if (!one_hot_ok(ps) || ts.size() < 2 || tf) return false;
        idx = ps;
        idx.erase(idx.begin() + 1);
        if (idx != ts) return false;
      } else if (ts.size() == ps.size() + 1) {
        toh = true;
        if (!one_hot_ok(ts) || ps.size() < 2 || pf || s.ii) return false;
        idx = ts;
        idx.erase(idx.begin() + 1);
        if (idx != ps) return false;
      } else {
        return false;
      }
  }
  const std::size_t N = idx[0], R = N ? fz::numel(idx) / N : 0;
  const std::size_t pn = fz::numel(ps), tn = fz::numel(ts);
  for (std::size_t i = 0; i < pn; ++i)
    if (is_nan(p[i])) return false;
  for (std::size_t i = 0; i < tn; ++i)
    if (is_nan(t[i])) return false;
  std::vector<std::vector<long double>> per_sample;
  std::vector<std::uint64_t> gI(C), gP(C), gT(C);
  for (std::size_t n = 0; n < N; ++n) {
    std::vector<std::uint64_t> I(C), Pc(C), Tc(C);
    for (std::size_t r = 0; r < R; ++r) {
      // Target of position r: a class, a channel set, or ignored.
      std::vector<bool> tb(C, false), pb(C, false);
      if (toh) {
        const T* tt = t + n * C * R + r;
        if constexpr (tf) {
          std::size_t a = 0;
          for (std::size_t c = 1; c < C; ++c)
            if (tt[c * R] > tt[a * R]) a = c;
          tb[a] = true;
        } else {
          for (std::size_t c = 0; c < C; ++c) {
            const i128 v = fz::value_of(tt[c * R]);
            if (v != 0 && v != 1) return false;
            tb[c] = v == 1;
          }
        }
      } else {
        if constexpr (!tf) {
          const i128 v = fz::value_of(t[n * R + r]);
          if (s.ii && v == *s.ii) continue;  // ignored: nothing counted, pred not checked
          if (v < 0 || v >= static_cast<i128>(C)) return false;
          tb[static_cast<std::size_t>(v)] = true;
        }
      }
      if (poh) {
        const P* pp = p + n * C * R + r;
        if constexpr (pf) {
          std::size_t a = 0;
          for (std::size_t c = 1; c < C; ++c)
            if (pp[c * R] > pp[a * R]) a = c;
          pb[a] = true;
        } else {
          for (std::size_t c = 0; c < C; ++c) {
            const i128 v = fz::value_of(pp[c * R]);
            if (v != 0 && v != 1) return false;
            pb[c] = v == 1;
          }
        }
      } else {
        if constexpr (!pf) {
          const i128 v = fz::value_of(p[n * R + r]);
          if (v < 0 || v >= static_cast<i128>(C)) return false;
          pb[static_cast<std::size_t>(v)] = true;
        }
      }
      for (std::size_t c = 0; c < C; ++c) {
        I[c] += pb[c] && tb[c];
        Pc[c] += pb[c];
        Tc[c] += tb[c];
      }
    }
    for (std::size_t c = 0; c < C; ++c) {
      gI[c] += I[c];
      gP[c] += Pc[c];
      gT[c] += Tc[c];
    }
    if (s.samplewise) per_sample.push_back(unit_values(s, I, Pc, Tc));
  }
  if (s.samplewise) {
    for (const auto& v : per_sample)
      for (std::size_t k = 0; k < v.size(); ++k)
        if (!std::isnan(v[k])) {
          ref.sums[k] += v[k];
          ++ref.valid[k];
        }
  } else {
    for (std::size_t c = 0; c < C; ++c) {
      ref.I[c] += gI[c];
      ref.P[c] += gP[c];
      ref.T[c] += gT[c];
    }
  }
  return true;
}

void check_result(const dspec& s, const ref_dice& ref, const tally::Result& got) {
  std::vector<long double> want;
  if (s.samplewise) {
    for (std::size_t k = 0; k < s.K(); ++k)
      want.push_back(ref.valid[k] ? ref.sums[k] / ref.valid[k]
                                  : std::numeric_limits<long double>::quiet_NaN());
  } else {
    want = unit_values(s, ref.I, ref.P, ref.T);
  }
  const tally::Shape shape = want.size() == 1 ? tally::Shape{} : tally::Shape{want.size()};
  FZ_CHECK(got.shape() == shape, "DiceScore: compute() shape ", fz::shape_str(got.shape()),
           ", expected ", fz::shape_str(shape));
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got[i];
    if (std::isnan(want[i])) {
      FZ_CHECK(std::isnan(g), "DiceScore: value ", i, " is ", g, ", expected NaN");
      continue;
    }
    FZ_CHECK(std::isfinite(g) && g >= 0 && g <= 1 &&
                 std::fabs(g - want[i]) <= 1e-9L * std::max<long double>(1, std::fabs(want[i])),
             "DiceScore: value ", i, " is ", g, ", expected ", static_cast<double>(want[i]),
             " (average ", tally::to_string(s.average), ", format ", tally::to_string(s.format),
             ")");
  }
}

void check_counts(const dspec& s, const tally::DiceScore& m, const ref_dice& ref) {
  const auto c = m.counts();
  if (s.samplewise) {
    FZ_CHECK(fz::same_counts(c, ref.valid), "DiceScore: samplewise value counts differ");
  } else {
    std::vector<std::uint64_t> want(ref.I);
    want.insert(want.end(), ref.P.begin(), ref.P.end());
    want.insert(want.end(), ref.T.begin(), ref.T.end());
    FZ_CHECK(fz::same_counts(c, want), "DiceScore: I/P/T totals differ from the oracle");
  }
}

// Integral one-hot tensors: proper one-hot pixels, random multi-hot channels, or labels-as-values;
// plus a few special values.
template <class V>
buf<V> make_one_hot_ints(Input& in, std::size_t N, std::size_t C, std::size_t R) {
  buf<V> v(N * C * R);
  const std::uint8_t mode = in.u8();
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t r = 0; r < R; ++r) {
      const std::uint8_t b = in.u8();
      if (mode < 170) {
        if (b < 240) v[(n * C + (C > 256 ? in.u16() % C : b % C)) * R + r] = fz::store<V>(1);
      } else {
        for (std::size_t c = 0; c < C; ++c)
          v[(n * C + c) * R + r] = fz::store<V>((b >> (c % 8)) & 1);
      }
    }
  const std::uint8_t bad = in.u8();
  if (bad >= 220 && v.size())
    for (int k = 0; k < 1 + bad % 2; ++k)
      v[in.below(v.size())] = fz::store<V>(fz::special_value(in, 2, std::nullopt));
  return v;
}

template <class P, class T>
void run_update(Input& in, const dspec& s, std::vector<tally::DiceScore>& ms,
                tally::DiceScore& side, ref_dice& ref, std::size_t& errors,
                const std::vector<tally::detail::isa>& levels) {
  const std::size_t C = s.C;
  std::vector<std::size_t> idx;
  const std::uint8_t rb = in.u8();
  const std::size_t rank = rb < 8 ? 1 : 2 + rb % 3;
  for (std::size_t i = 0; i < rank; ++i) idx.push_back(fz::decode_extent(in));
  fz::fit(idx, std::max<std::size_t>(1, (std::size_t{1} << 15) / C));
  // Per-sample work is O(C) even for empty samples: bound N * C.
  if (!idx.empty()) idx[0] = std::min(idx[0], std::max<std::size_t>(1, (std::size_t{1} << 18) / C));
  bool poh = false, toh = false;
  switch (s.format) {
    case tally::InputFormat::index: break;
    case tally::InputFormat::one_hot: poh = toh = true; break;
    default:
      if (in.u8() < 200)
        poh = true;
      else
        toh = true;
  }
  if (in.u8() >= 250) poh = !poh;  // sometimes the wrong layout
  auto oh_shape = [&] {
    std::vector<std::size_t> x = idx;
    x.insert(x.begin() + (x.empty() ? 0 : 1), C);
    return x;
  };
  std::vector<std::size_t> ps = poh ? oh_shape() : idx, ts = toh ? oh_shape() : idx;
  fz::maybe_break_shape(in, in.bit() ? ps : ts);
  const std::size_t N = idx.empty() ? 0 : idx[0];
  const std::size_t R = N ? fz::numel(idx) / N : 0;
  auto make = [&](auto tag, bool one_hot, const std::vector<std::size_t>& shape, bool with_ii) {
    using V = decltype(tag);
    const std::size_t n = fz::numel(shape);
    if constexpr (std::is_floating_point_v<V>) {
      return fz::make_scores<V>(in, n, 0.5);
    } else {
      if (one_hot && n == N * C * R) return make_one_hot_ints<V>(in, N, C, R);
      const fz::label_plan plan = fz::decode_label_plan(in, C, with_ii ? s.ii : std::nullopt);
      return fz::make_labels<V>(in, n, plan);
    }
  };
  const buf<T> t = make(T{}, toh, ts, true);
  const buf<P> p = make(P{}, poh, ps, in.bit());
  ref_dice delta = ref;
  const bool accept = oracle(s, p.data(), ps, t.data(), ts, delta);
  const tally::Shape psh = fz::to_shape(ps), tsh = fz::to_shape(ts);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const tally_test::isa_guard scope(levels[i]);
    const outcome r = fz::checked_update(ms[i], p.data(), psh, t.data(), tsh);
    FZ_CHECK((r == outcome::ok) == accept, "DiceScore<", fz::type_name<P>(), ", ",
             fz::type_name<T>(), ">: library ", r == outcome::ok ? "accepted" : "rejected",
             ", oracle ", accept ? "accepts" : "rejects", " preds ", fz::shape_str(psh),
             " target ", fz::shape_str(tsh), " format ", tally::to_string(s.format), " C ", C);
    if (i) FZ_CHECK(ms[i] == ms[0], "DiceScore: ISA levels give different states");
  }
  FZ_CHECK((fz::checked_update(side, p.data(), psh, t.data(), tsh) == outcome::ok) == accept,
           "DiceScore: the split accumulator disagrees");
  if (accept)
    ref = delta;
  else
    ++errors;
  check_counts(s, ms[0], ref);
  // Parallel update of the batch tiled to above the parallel threshold (rarely).
  if (accept && in.u8() == 0x5A && !ps.empty() && !ts.empty() && ps[0] == ts[0] && ps[0] &&
      fz::numel(ps) && fz::numel(ts)) {
    const std::size_t reps = ((std::size_t{1} << 20) + fz::numel(ps) - 1) / fz::numel(ps);
    // Samples are counted one by one: keep their number moderate (a batch of a million 1-pixel
    // samples only measures per-sample overhead under the sanitizers).
    if (ps[0] * reps > 8192) return;
    std::vector<std::size_t> bps = ps, bts = ts;
    bps[0] *= reps;
    bts[0] *= reps;
    const buf<P> bp = p.repeated(reps);
    const buf<T> bt = t.repeated(reps);
    tally::DiceScore x = ms[0], y = ms[0];
    x.reset();
    y.reset();
    FZ_CHECK(fz::checked_update(x, bp.data(), fz::to_shape(bps), bt.data(), fz::to_shape(bts),
                                2) == outcome::ok,
             "DiceScore: parallel update failed");
    FZ_CHECK(fz::checked_update(y, bp.data(), fz::to_shape(bps), bt.data(), fz::to_shape(bts)) ==
                 outcome::ok,
             "DiceScore: serial update failed");
    FZ_CHECK(x == y, "DiceScore: parallel and serial updates differ");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  dspec s;
  const std::uint8_t cb = in.u8();
  static const std::int64_t odd[] = {0, -1, 25, 64, 65, 255, 256, 257, 300, 1000, 65536,
                                     std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max()};
  const std::int64_t count = cb < 200 ? 1 + cb % 12 : odd[(cb - 200) % (sizeof odd / sizeof odd[0])];
  s.ii = fz::decode_ignore_index(in, count);
  s.include_background = in.u8() % 3 != 0;
  s.average = fz::decode_enum<tally::Average, 4>(in);
  const auto agg = fz::decode_enum<tally::AggregationLevel, 2>(in);
  s.samplewise = agg == tally::AggregationLevel::samplewise;
  s.format = fz::decode_enum<tally::InputFormat, 3>(in);
  s.zd = fz::decode_zero_division(in);
  const bool valid = count >= 1 && static_cast<unsigned>(s.average) < 4 &&
                     static_cast<unsigned>(agg) < 2 && static_cast<unsigned>(s.format) < 3 &&
                     (s.zd == 0.0 || s.zd == 1.0) &&
                     !(s.ii && s.format == tally::InputFormat::one_hot);
  const bool huge = count > (std::int64_t{1} << 20);
  tally::DiceScore::Options o;
  o.num_classes = count;
  o.ignore_index = s.ii;
  o.include_background = s.include_background;
  o.average = s.average;
  o.aggregation_level = agg;
  o.input_format = s.format;
  o.zero_division = s.zd;
  auto make = [o] { return tally::DiceScore(o); };
  const outcome r = fz::guarded("constructor", [&] { (void)make(); });
  if (huge) return 0;
  FZ_CHECK((r == outcome::ok) == valid, "DiceScore constructor ",
           r == outcome::ok ? "accepted" : "rejected", " options the oracle ",
           valid ? "accepts" : "rejects");
  if (r != outcome::ok) return 0;
  s.C = static_cast<std::size_t>(count);

  const auto levels = fz::isa_levels();
  std::vector<tally::DiceScore> ms;
  for (std::size_t i = 0; i < levels.size(); ++i) ms.push_back(make());
  tally::DiceScore a = make(), b = make();
  ref_dice ref(s);
  std::size_t errors = 0;
  const std::size_t K = 1 + in.u8() % 4, split = in.below(K + 1);
  for (std::size_t k = 0; k < K; ++k) {
    const fz::ty tt = fz::any_type(in);
    fz::with_pair<true>(
        tt, in.u8() % fz::pred_choices,
        [&](auto p0, auto t0) {
          run_update<decltype(p0), decltype(t0)>(in, s, ms, k < split ? a : b, ref, errors,
                                                 levels);
        });
  }
  if (errors) {  // still usable after an error: one valid update
    const std::vector<std::size_t> idx{1, 1};
    std::vector<std::size_t> oh{1, s.C, 1};
    buf<std::int32_t> pi(1);
    buf<std::uint8_t> ti(1), toh(s.C);
    toh[0] = 1;
    const bool index_target = s.format != tally::InputFormat::one_hot;
    const std::vector<std::size_t>& tshape = index_target ? idx : oh;
    const std::vector<std::size_t>& pshape = s.format == tally::InputFormat::index ? idx : oh;
    buf<std::uint8_t> poh(s.C);
    poh[0] = 1;
    ref_dice next = ref;
    const bool pidx = s.format == tally::InputFormat::index;
    bool ok;
    if (pidx)
      ok = oracle(s, pi.data(), pshape, index_target ? ti.data() : toh.data(), tshape, next);
    else
      ok = oracle(s, poh.data(), pshape, index_target ? ti.data() : toh.data(), tshape, next);
    FZ_CHECK(ok, "the oracle rejects the known-valid update");
    outcome r2 = pidx ? fz::checked_update(b, pi.data(), fz::to_shape(pshape),
                                           index_target ? ti.data() : toh.data(),
                                           fz::to_shape(tshape))
                      : fz::checked_update(b, poh.data(), fz::to_shape(pshape),
                                           index_target ? ti.data() : toh.data(),
                                           fz::to_shape(tshape));
    FZ_CHECK(r2 == outcome::ok, "DiceScore: a valid update after an error failed");
    r2 = pidx ? fz::checked_update(ms[0], pi.data(), fz::to_shape(pshape),
                                   index_target ? ti.data() : toh.data(), fz::to_shape(tshape))
              : fz::checked_update(ms[0], poh.data(), fz::to_shape(pshape),
                                   index_target ? ti.data() : toh.data(), fz::to_shape(tshape));
    FZ_CHECK(r2 == outcome::ok, "DiceScore: a valid update after an error failed");
    ref = next;
    check_counts(s, ms[0], ref);
  }
  // merge(a, b) equals one accumulator: exact counts (the samplewise sums are exact too; their
  // bit-identity over any split is property-tested in tests/test_dice_score.cpp).
  FZ_CHECK(fz::guarded("merge", [&] { a.merge(b); }) == outcome::ok, "DiceScore merge failed");
  FZ_CHECK(a.num_samples() == ms[0].num_samples(), "DiceScore: merged sample count differs");
  check_counts(s, a, ref);
  check_result(s, ref, a.compute());
  fz::check_round_trip(ms[0], make);
  check_result(s, ref, ms[0].compute());
  ms[0].reset();
  check_result(s, ref_dice(s), ms[0].compute());
  check_counts(s, ms[0], ref_dice(s));
  return 0;
}
