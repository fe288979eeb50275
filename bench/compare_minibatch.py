#!/usr/bin/env python3
"""Mini-batch k-means: our MiniBatchKMeans against scikit-learn's on the same data.

make_blobs(n = 1,000,000, d = 50, 100 centres, std 1, seed 0) in float64, k = 100, each
implementation with its defaults (batch_size 1024, max_iter 100 passes, early stopping after
10 steps without improvement of the smoothed batch inertia, reassignment_ratio 0.01,
k-means++ on 3 x 1024 sampled rows) and n_init = 3 (scikit-learn 1.2's default, set
explicitly), all cores. Each seed runs once per implementation, interleaved. Timed: the
whole fit, including its final labelling of every row; reported: median time and the
inertia of all rows for the final centroids, per seed and as medians.

    cmake --preset release && cmake --build --preset release --target minibatch_driver
    /usr/bin/python3 bench/compare_minibatch.py [--seeds 5] [--n 1000000] [--n-init 3]

Writes bench/results/minibatch.md and minibatch.json (minibatch_ninit<N>.md and .json for
another --n-init). It also counts the fits of each library that end in a worse local
optimum (inertia above 1.02 x the lowest seen): with --n-init 1, how often one k-means++
initialisation misses a blob.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import sklearn
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.datasets import make_blobs
except ImportError:
    sys.exit("compare_minibatch.py needs python3-numpy and python3-sklearn; run it with /usr/bin/python3")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n-init", type=int, default=3)
    ap.add_argument("--build", default=os.path.join("build", "release"))
    args = ap.parse_args()
    driver = os.path.join(args.build, "bench", "minibatch_driver")
    if not os.path.exists(driver):
        sys.exit(f"{driver} not found: cmake --build --preset release --target minibatch_driver")

    X, _ = make_blobs(n_samples=args.n, n_features=args.d, centers=args.k, cluster_std=1.0, random_state=0)
    X = np.ascontiguousarray(X, dtype=np.float64)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.bin")
        X.tofile(path)
        for seed in range(args.seeds):
            out = subprocess.run([driver, path, str(args.n), str(args.d), str(args.k), str(seed), "1024", "0",
                                  str(args.n_init)], check=True, capture_output=True, text=True).stdout
            ours = json.loads(out)
            time.sleep(0.3)
            start = time.perf_counter()
            model = MiniBatchKMeans(n_clusters=args.k, batch_size=1024, n_init=args.n_init, random_state=seed).fit(X)
            theirs = {"seconds": time.perf_counter() - start, "inertia": float(model.inertia_),
                      "steps": int(model.n_steps_), "passes": int(model.n_iter_)}
            rows.append({"seed": seed, "ours": ours, "sklearn": theirs})
            print(f"seed {seed}: ours {ours['seconds']:.3f} s inertia {ours['inertia']:.6g} ({ours['steps']} steps); "
                  f"scikit-learn {theirs['seconds']:.3f} s inertia {theirs['inertia']:.6g} ({theirs['steps']} steps)",
                  flush=True)
            time.sleep(0.3)

    med = lambda who, key: statistics.median(r[who][key] for r in rows)
    lines = [
        f"Mini-batch k-means, make_blobs n = {args.n}, d = {args.d}, {args.k} centres, k = {args.k}, float64; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; scikit-learn {sklearn.__version__}; "
        f"n_init {args.n_init}; `/usr/bin/python3 bench/compare_minibatch.py --seeds {args.seeds} --n-init {args.n_init}`.",
        "",
        "| seed | ours s | ours inertia | ours steps | scikit-learn s | scikit-learn inertia | scikit-learn steps |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        o, t = r["ours"], r["sklearn"]
        lines.append(f"| {r['seed']} | {o['seconds']:.3f} | {o['inertia']:.6g} | {o['steps']} | {t['seconds']:.3f} | "
                     f"{t['inertia']:.6g} | {t['steps']} |")
    lines += [
        "",
        f"Medians: ours {med('ours', 'seconds'):.3f} s, inertia {med('ours', 'inertia'):.6g}; scikit-learn "
        f"{med('sklearn', 'seconds'):.3f} s, inertia {med('sklearn', 'inertia'):.6g}. Time ratio (scikit-learn / ours): "
        f"{med('sklearn', 'seconds') / med('ours', 'seconds'):.2f}x; inertia ratio (ours / scikit-learn): "
        f"{med('ours', 'inertia') / med('sklearn', 'inertia'):.4f}.",
    ]
    best = min(min(r["ours"]["inertia"], r["sklearn"]["inertia"]) for r in rows)
    worse = {who: sum(r[who]["inertia"] > 1.02 * best for r in rows) for who in ("ours", "sklearn")}
    lines.append("")
    lines.append(f"Fits in a worse optimum (inertia above 1.02 x the lowest, {1.02 * best:.6g}): ours {worse['ours']}, "
                 f"scikit-learn {worse['sklearn']}, of {len(rows)} each.")
    name = "minibatch" if args.n_init == 3 else f"minibatch_ninit{args.n_init}"
    os.makedirs(os.path.join("bench", "results"), exist_ok=True)
    with open(os.path.join("bench", "results", name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join("bench", "results", name + ".json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
