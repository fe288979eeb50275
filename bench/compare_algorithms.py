#!/usr/bin/env python3
"""Fits to convergence: our Lloyd, Hamerly, Elkan, Yinyang and automatic against scikit-learn's
lloyd and elkan, on the same data and the same initial centroids.

Each point: make_blobs (k centres, std 1) or uniform [0, 1)^d data in float64, n rows (100000
for d <= 10, 50000 for d = 50, 20000 for d = 200), initial centroids from scikit-learn's
kmeans_plusplus (seed 0), tol = 1e-4, max_iter = 300, n_init = 1, all cores. Repeats are
interleaved across implementations (each runs once, then each again). Reported: the median
fit time, iterations, and for ours the distance evaluations as a fraction of Lloyd's
n k per iteration. Every fit must end with the same n_iter and inertia as our Lloyd (theirs
within 1e-6 relative where the iteration counts agree).

Build first, then run from the repository root with Debian's Python:

    cmake --preset release && cmake --build --preset release
    /usr/bin/python3 bench/compare_algorithms.py            # every point (about 45 min at --repeats 3)
    /usr/bin/python3 bench/compare_algorithms.py --quick    # k in {20, 170}, d in {2, 50}

Writes bench/results/algorithms.md and algorithms.json (--name for other names).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import sklearn
    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.datasets import make_blobs
except ImportError:
    sys.exit("compare_algorithms.py needs python3-numpy and python3-sklearn; run it with /usr/bin/python3")

from bench_common import cpu_name, median_of, settle

OURS = ["lloyd", "hamerly", "elkan", "yinyang", "automatic"]
BOUNDED = ["hamerly", "elkan", "yinyang"]
THEIRS = ["lloyd", "elkan"]
ROWS = {2: 100000, 10: 100000, 50: 50000, 200: 20000}




def run_ours(driver, algorithm, X, C, tol, max_iter, tmp):
    """One timed fit (after an untimed one that counts distance evaluations)."""
    xf, cf = os.path.join(tmp, "X.bin"), os.path.join(tmp, "C.bin")
    n, d = X.shape
    settle()
    out = subprocess.run([driver, xf, cf, str(n), str(d), str(len(C)), "double", str(max_iter), "1", "0",
                          algorithm, repr(tol)], check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    return {"seconds": r["seconds"][0], "n_iter": r["n_iter"], "inertia": r["inertia"],
            "evaluations": r["evaluations"], "ran": r["algorithm"]}


def run_sklearn(algorithm, X, C, tol, max_iter):
    """One timed fit (after an untimed warm-up)."""
    def fit():
        return KMeans(n_clusters=len(C), init=C, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm).fit(X)
    settle()
    fit()
    t = time.perf_counter()
    km = fit()
    return {"seconds": time.perf_counter() - t, "n_iter": int(km.n_iter_), "inertia": float(km.inertia_)}




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--name", default="algorithms", help="output files: NAME.md and NAME.json")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ks", default="5,20,80,170,500")
    ap.add_argument("--ds", default="2,10,50,200")
    ap.add_argument("--data", default="blobs,uniform")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-iter", type=int, default=300)
    args = ap.parse_args()
    driver = os.path.join(args.build, "bench", "kmeans_driver")
    if not os.path.exists(driver):
        sys.exit(f"{driver} not found: build first (cmake --preset release && cmake --build --preset release)")
    ks = [20, 170] if args.quick else [int(k) for k in args.ks.split(",")]
    ds = [2, 50] if args.quick else [int(d) for d in args.ds.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.data.split(","):
            for d in ds:
                n = ROWS.get(d, 20000)
                for k in ks:
                    rng = np.random.default_rng(0)
                    if data == "blobs":
                        X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=1.0, random_state=0)
                    else:
                        X = rng.random((n, d))
                    X = np.ascontiguousarray(X, dtype=np.float64)
                    C, _ = kmeans_plusplus(X, k, random_state=0)
                    X.tofile(os.path.join(tmp, "X.bin"))
                    C.tofile(os.path.join(tmp, "C.bin"))
                    point = {"data": data, "n": n, "d": d, "k": k, "ours": {}, "sklearn": {}}
                    # Repeats interleaved (every implementation once, then again), so that a slow
                    # spell of this shared machine falls on all of them, not on one.
                    ours = {a: [] for a in OURS}
                    theirs = {a: [] for a in THEIRS}
                    for _ in range(args.repeats):
                        for a in OURS:
                            ours[a].append(run_ours(driver, a, X, C, args.tol, args.max_iter, tmp))
                        for a in THEIRS:
                            theirs[a].append(run_sklearn(a, X, C, args.tol, args.max_iter))
                    point["ours"] = {a: median_of(r) for a, r in ours.items()}
                    point["sklearn"] = {a: median_of(r) for a, r in theirs.items()}
                    lloyd = point["ours"]["lloyd"]
                    for a in OURS:
                        r = point["ours"][a]
                        assert r["n_iter"] == lloyd["n_iter"] and r["inertia"] == lloyd["inertia"], (a, r, lloyd)
                    best = min(point["ours"][a]["seconds"] for a in BOUNDED)
                    peer = min(point["sklearn"][a]["seconds"] for a in THEIRS)
                    point["best_vs_lloyd"] = lloyd["seconds"] / best
                    point["best_vs_sklearn"] = peer / best
                    point["automatic_vs_best"] = point["ours"]["automatic"]["seconds"] / min(
                        point["ours"][a]["seconds"] for a in ["lloyd"] + BOUNDED)
                    results.append(point)
                    print(f"{data:7s} n {n:6d} d {d:3d} k {k:3d}: iters {lloyd['n_iter']:3d}  " +
                          "  ".join(f"{a} {point['ours'][a]['seconds'] * 1e3:8.1f}" for a in OURS) + "  | sklearn " +
                          "  ".join(f"{a} {point['sklearn'][a]['seconds'] * 1e3:8.1f}" for a in THEIRS) +
                          f"  ms | best/lloyd {point['best_vs_lloyd']:.2f}x  vs sklearn {point['best_vs_sklearn']:.2f}x"
                          f"  auto/best {point['automatic_vs_best']:.2f}", flush=True)
                    save(args, results)  # after every point: a long run that stops keeps what it did


def save(args, results):
    info = {"machine": cpu_name(), "cores": os.cpu_count(),
            "sklearn": sklearn.__version__, "numpy": np.__version__, "repeats": args.repeats, "tol": args.tol}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, args.name + ".json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    write_markdown(os.path.join(args.out, args.name + ".md"), info, results)


def write_markdown(path, info, results):
    lines = ["# Fits to convergence: our algorithms and scikit-learn's", "",
             f"Generated by `bench/compare_algorithms.py` (repeats {info['repeats']}, tol {info['tol']}); "
             f"scikit-learn {info['sklearn']}, {info['cores']} cores. Times are median fit times in ms; "
             "evals: distance evaluations as a fraction of Lloyd's n k per iteration.", "",
             "| data | n | d | k | iters | lloyd | hamerly (evals) | elkan (evals) | yinyang (evals) | automatic (ran) "
             "| sklearn lloyd | sklearn elkan | best / our lloyd | best vs sklearn | automatic / best |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in results:
        o, s = p["ours"], p["sklearn"]
        full = p["n"] * p["k"] * o["lloyd"]["n_iter"]

        def ms(r):
            return f"{r['seconds'] * 1e3:.1f}"

        def evals(a):
            return f"{ms(o[a])} ({o[a]['evaluations'] / full:.2f})"
        lines.append(f"| {p['data']} | {p['n']} | {p['d']} | {p['k']} | {o['lloyd']['n_iter']} | {ms(o['lloyd'])} "
                     f"| {evals('hamerly')} | {evals('elkan')} | {evals('yinyang')} | {ms(o['automatic'])} ({o['automatic']['ran']}) "
                     f"| {ms(s['lloyd'])} | {ms(s['elkan'])} | {p['best_vs_lloyd']:.2f}x | {p['best_vs_sklearn']:.2f}x "
                     f"| {p['automatic_vs_best']:.2f} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
