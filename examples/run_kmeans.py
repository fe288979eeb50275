#!/usr/bin/env python3
"""The reference tutorial's demo from Python: make_blobs, exactkmeans against scikit-learn
on the same data (time and inertia side by side), and the 2-D PCA scatter plot.

Install the package first (README, Python), then, with the venv's interpreter:

    python examples/run_kmeans.py                       # 3000 samples, 100 features, 5 clusters
    python examples/run_kmeans.py --samples 20000 --clusters 50 --float32
"""
import argparse
import statistics
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs

from exactkmeans import KMeans


def best_of(fit, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return model, statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--features", type=int, default=100)
    ap.add_argument("--clusters", type=int, default=5)
    ap.add_argument("--std", type=float, default=1.0, help="cluster standard deviation")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--float32", action="store_true")
    ap.add_argument("--repeats", type=int, default=5, help="fits timed per implementation (median)")
    ap.add_argument("--out", default="kmeans_clusters_python.png")
    args = ap.parse_args()

    X, _, true_centers = make_blobs(n_samples=args.samples, n_features=args.features, centers=args.clusters,
                                    cluster_std=args.std, random_state=args.seed, return_centers=True)
    if args.float32:
        X = X.astype(np.float32)
    print(f"make_blobs: {args.samples} samples, {args.features} features, {args.clusters} clusters, "
          f"{X.dtype.name}")

    def ours():
        return KMeans(args.clusters, n_init=1, random_state=args.seed).fit(X)

    def theirs():
        return SkKMeans(args.clusters, n_init=1, random_state=args.seed).fit(X)

    ours(), theirs()  # warm up both
    km, t_ours = best_of(ours, args.repeats)
    sk, t_theirs = best_of(theirs, args.repeats)
    print(f"{'':14s} {'fit ms':>10s} {'inertia':>20s} {'iterations':>10s}")
    print(f"{'exactkmeans':14s} {t_ours * 1e3:10.3f} {km.inertia_:20.6f} {km.n_iter_:10d}")
    print(f"{'scikit-learn':14s} {t_theirs * 1e3:10.3f} {sk.inertia_:20.6f} {sk.n_iter_:10d}")
    print(f"exactkmeans is {t_theirs / t_ours:.1f}x faster here (median of {args.repeats} fits each)")

    try:
        from plot_clusters import draw  # beside this script; needs matplotlib
    except SystemExit as e:
        print(f"no plot: {e}")
        return
    draw(X, km.labels_, true_centers, km.cluster_centers_,
         f"exactkmeans: {args.samples} samples, {args.features} features, {args.clusters} clusters (PCA)", args.out)


if __name__ == "__main__":
    main()
