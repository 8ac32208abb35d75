#!/usr/bin/env python3
"""Writes the seed corpus of tally's fuzz targets (tests/fuzz/corpus/<target>/seed-*).

Each seed is a short byte string: the leading bytes pick the metric, task and options as the
targets decode them (see the LLVMFuzzerTestOneInput functions), the rest are deterministic
pseudo-random bytes that become shapes and data. Run from anywhere; it only (re)writes seed-*
files and leaves reproducers (repro-*) alone.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


def tail(rng, n):
    return [rng.randrange(256) for _ in range(n)]


def main():
    rng = random.Random(20240601)
    # fuzz_multiclass: kind, count, ignore_index mode, average, multidim, top_k, zd, beta/normalize
    for kind in range(9):
        for variant in range(6):
            count = [3, 6, 19, 24, 190 + 16, 2][variant]        # 2..24 below 190; 206 -> C = 257
            ii = [0, 4, 7, 5, 11, 9][variant]                    # none, 255, in range, -1, odd, C
            avg = variant % 4
            md = 1 if variant == 3 else 0
            topk = 160 if variant == 4 else 0                    # 160 -> top_k 2 + 160 % 4
            head = [kind, count, ii, avg, md, topk, variant * 2, variant, variant]
            write("fuzz_multiclass", f"seed-k{kind}-v{variant}", head + tail(rng, 24 + 40 * variant))
    # parallel path: byte 0x5A right after the update count
    write("fuzz_multiclass", "seed-parallel", [0, 4, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0x5A] + tail(rng, 64))
    # fuzz_binary_multilabel: head (task bit + kind), count, ii, threshold, average, md, zd, ...
    for head in range(18):
        for variant in range(3):
            data = [head, 5 + variant, [0, 4, 8][variant], [0, 3, 200][variant], variant,
                    1 if variant == 2 else 0, variant * 7, variant, variant]
            write("fuzz_binary_multilabel", f"seed-h{head}-v{variant}", data + tail(rng, 30 + 50 * variant))
    # fuzz_dice: count, ii, include_background, average, aggregation, input_format, zd
    for fmt in range(3):
        for avg in range(4):
            for agg in range(2):
                data = [2 + 3 * avg, 4 if fmt else 0, avg, avg, agg, fmt, 8 * agg]
                write("fuzz_dice", f"seed-f{fmt}-a{avg}-g{agg}", data + tail(rng, 40 + 20 * avg))
    # fuzz_state: which metric, C, samplewise, ii, varied option, then mutation choices
    for which in range(9):
        for mode in range(8):
            data = [which, 3, mode & 1, 4, mode % 4, 2] + tail(rng, 30) + [mode] + tail(rng, 20)
            write("fuzz_state", f"seed-m{which}-x{mode}", data)


if __name__ == "__main__":
    main()
