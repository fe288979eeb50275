#!/usr/bin/env python3
"""Estimates for two ways of computing less that are not built yet (issue 19's notes), from
NumPy in float64 at the first iteration (scikit-learn's k-means++ centroids, seed 0):

- bf16 screening of float32 data: the share of rows whose gap between the two nearest
  centroids exceeds twice the error bound a bf16 dot product would carry (inputs rounded to
  8 significant bits: (2u + u^2) r^2 with u = 2^-9, plus float accumulation), next to the
  same share for the float32 screen that float64 data gets now (mixed_precision.hpp).
- dimension pruning: after rotating X and the centroids onto X's principal axes, the share of
  (row, centroid) pairs whose distance over the first m coordinates alone already exceeds the
  row's nearest distance (so they need not be finished), and what the prefix costs.

Run from the repository root with Debian's Python (needs dataset-fashion-mnist):

    /usr/bin/python3 bench/estimate_screens.py
"""
import os
import sys

import numpy as np
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import make_blobs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_real import images  # noqa: E402


def settled(X, C):
    x2, c2 = (X * X).sum(1), (C * C).sum(1)
    D = np.sort(x2[:, None] - 2 * X @ C.T + c2[None, :], 1)
    gap, r2, d = D[:, 1] - D[:, 0], 2 * (x2 + c2.max()), X.shape[1]
    f32 = 2 * (d + 2) * 2.0**-24 * r2 + 2 * 2.0**-24 * r2
    u = 2.0**-9
    bf16 = (2 * u + u * u) * r2 + 2 * (d + 2) * 2.0**-24 * r2
    return np.mean(gap > 2 * bf16), np.mean(gap > 2 * f32)


def main():
    rng = np.random.default_rng(0)
    pixels = images().astype(np.float64)
    X, _ = make_blobs(n_samples=2000, n_features=200, centers=170, random_state=0)
    sets = {"blobs 2000 x 200, k = 170": (X, 170),
            "Fashion raw (5000 rows), k = 100": (pixels[rng.choice(len(pixels), 5000, replace=False)], 100)}
    for name, (data, k) in sets.items():
        C, _ = kmeans_plusplus(data, k, random_state=0)
        b, f = settled(data, C)
        print(f"{name}: a bf16 screen would settle {b * 100:.1f}% of rows, the float32 screen {f * 100:.1f}%")
    sample = pixels[rng.choice(len(pixels), 5000, replace=False)]
    C, _ = kmeans_plusplus(pixels, 100, random_state=0)
    mean = pixels.mean(0)
    _, _, axes = np.linalg.svd(pixels[rng.choice(len(pixels), 20000, replace=False)] - mean, full_matrices=False)
    S, Cr = (sample - mean) @ axes.T, (C - mean) @ axes.T
    best = np.min([((S - c) ** 2).sum(1) for c in Cr], axis=0)
    for m in (10, 25, 50, 100):
        prefix = np.array([((S[:, :m] - c[:m]) ** 2).sum(1) for c in Cr]).T
        print(f"Fashion raw, k = 100: a prefix of {m} principal axes rules out {np.mean(prefix > best[:, None]) * 100:.1f}% "
              f"of pairs, at {m / pixels.shape[1] * 100:.1f}% of a full distance")


if __name__ == "__main__":
    main()
