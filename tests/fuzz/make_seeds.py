#!/usr/bin/env python3
"""Writes the hand-made part of the seed corpus (tests/fuzz/corpus/seed-*): one input per
kind of awkward data, in the layout fit_fuzzer.cpp documents. The rest of the corpus is what
libFuzzer found and kept (`kmeans_fuzzer -merge=1 corpus new_inputs`)."""
import os
import random
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# Value-table bytes (see table_value): 0 NaN, 1 inf, 2 -inf, 3 denorm_min, 4 -3 denorm_min,
# 5 min normal, 6 max, 7 lowest, 8 1e38, 9 -1e38, 10 1e-30, 11 0, 12 -0; other bytes b give
# (b - 144) / 4 for b % 32 >= 13.
SMALL = [b for b in range(256) if b % 32 >= 13]


def header(flags, rows, cols, pad, k, max_iter=10, n_init=1, threads=2, stop=2, seed=7):
    return bytes([flags, rows - 1, cols - 1, pad, k - 1, max_iter - 1, n_init - 1, threads - 1, stop - 1]) + \
        struct.pack(">Q", seed)


def blobs(rng, rows, cols, centres):
    """Table bytes for rows around a few centres (small integers)."""
    at = [[rng.choice(SMALL) for _ in range(cols)] for _ in range(centres)]
    out = []
    for i in range(rows):
        for v in at[i % centres]:
            w = v + rng.choice([-32, 0, 0, 32])
            out.append(w if 0 <= w < 256 and w % 32 >= 13 else v)
    return bytes(out)


def main():
    rng = random.Random(1)
    seeds = {
        "blobs-float": header(0, 40, 5, 0, 4) + blobs(rng, 40, 5, 4),
        "blobs-double-strided": header(1, 48, 7, 3, 6, threads=3) + blobs(rng, 48, 7, 6),
        "given-centroids": header(4, 30, 3, 1, 3) + blobs(rng, 30, 3, 3),
        "random-init-restarts": header(8, 50, 4, 0, 5, n_init=3) + blobs(rng, 50, 4, 5),
        "till-max-iter": header(16, 20, 2, 0, 3, max_iter=16) + blobs(rng, 20, 2, 3),
        "tol-one-callback": header(0x60 | 0x80, 32, 6, 2, 4, stop=3) + blobs(rng, 32, 6, 4),
        "k-equals-n": header(0, 9, 3, 0, 9) + blobs(rng, 9, 3, 9),
        "k-above-n": header(0, 9, 3, 0, 10) + blobs(rng, 9, 3, 3),
        "all-equal-rows": header(0, 30, 4, 0, 5) + bytes([200, 13, 77, 150] * 30),
        "nan": header(1, 10, 2, 0, 2) + bytes([200] * 13) + bytes([0]) + bytes([200] * 6),
        "infinity": header(0, 10, 2, 0, 2) + bytes([200] * 7) + bytes([2]) + bytes([200] * 12),
        "denormals": header(0, 40, 3, 0, 4) + bytes(rng.choice([3, 4, 5, 11, 12]) for _ in range(120)),
        "near-max": header(0, 40, 3, 0, 4) + bytes(rng.choice([6, 7, 8, 9, 11, 200]) for _ in range(120)),
        "double-max": header(1, 12, 2, 0, 3) + bytes(rng.choice([6, 7, 200]) for _ in range(24)),
        "raw-bits-float": header(2, 16, 3, 1, 3) + bytes(rng.randrange(256) for _ in range(16 * 3 * 4)),
        "raw-bits-double": header(3, 16, 3, 0, 3) + bytes(rng.randrange(256) for _ in range(16 * 3 * 8)),
        "large-shape": header(0, 64, 16, 0, 20, threads=3) + blobs(rng, 64, 16, 8),
        # After the values: the algorithm (bits 0-1; bit 6 yinyang) and sample weights (bit 2, a byte per row:
        # 0 -> 0, 1 -> 0.25, 2 -> 1, 3 -> 3, 4 -> 1e-3, 5 -> 1e3, 6 -> -1, 7 -> NaN).
        "hamerly": header(0, 50, 3, 0, 8) + blobs(rng, 50, 3, 8) + bytes([1]),
        "elkan-given-double": header(5, 40, 6, 1, 5) + blobs(rng, 40, 6, 5) + bytes([2]),
        "automatic-weights": header(0, 30, 4, 0, 4) + blobs(rng, 30, 4, 4) + bytes([3 | 4]) +
        bytes(rng.choice([0, 1, 2, 3, 4, 5]) for _ in range(30)),
        "weights-with-zeros": header(1, 24, 2, 0, 3) + blobs(rng, 24, 2, 3) + bytes([4]) + bytes([0, 2] * 12),
        "weights-negative": header(0, 10, 2, 0, 2) + blobs(rng, 10, 2, 2) + bytes([4]) + bytes([2] * 5 + [6] + [2] * 4),
        "weights-all-zero": header(0, 10, 2, 0, 2) + blobs(rng, 10, 2, 2) + bytes([5]) + bytes(10),
        # bit 6: yinyang; k 40 makes 4 groups of centroids.
        "yinyang": header(0, 64, 5, 0, 40, max_iter=16) + blobs(rng, 64, 5, 12) + bytes([64]),
        "yinyang-weights-double": header(1, 60, 3, 2, 25) + blobs(rng, 60, 3, 6) + bytes([64 | 4]) +
        bytes(rng.choice([0, 1, 2, 3, 4, 5]) for _ in range(60)),
    }
    os.makedirs(HERE, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(HERE, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
