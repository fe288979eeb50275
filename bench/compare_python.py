#!/usr/bin/env python3
"""exactkmeans (the Python package) against scikit-learn, from Python, and the binding's cost.

For each point (the demo's 3000 x 100 x 5, then the first, middle and last point of each of
the reference tutorial's sweeps, float64 and float32), both estimators fit the same
make_blobs data with KMeans(n_clusters=k, n_init=1, random_state=0) (k-means++, tol 1e-4),
and predict it. Reported, as medians over the repeats:

- fit and predict time of each, and ours over theirs (each timed in three blocks of repeats,
  ours then theirs, not alternated call by call: scikit-learn's OpenMP and OpenBLAS threads
  spin for a while after its calls and would take the cores from ours);
- the binding's overhead: our estimator's whole fit() minus the C++ fit's own time, which
  the module measures inside the call (argument checks, array handling, the crossing into
  C++ and back, the fitted attributes), as a share of the C++ fit time.

Install the package first (README, Python), then run with the venv's interpreter:

    python bench/compare_python.py            # about 2 minutes
    python bench/compare_python.py --repeats 31 --points demo

Writes bench/results/compare_python.md and .json.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs

from bench_common import cpu_name

import exactkmeans
from exactkmeans import KMeans

POINTS = {  # (n, d, k); the sweeps' first, middle and last points (bench/compare.py's SWEEPS)
    "demo": [(3000, 100, 5)],
    "clusters": [(2000, 200, 5), (2000, 200, 80), (2000, 200, 170)],
    "samples": [(2000, 200, 80), (12000, 200, 80), (22000, 200, 80)],
    "features": [(4000, 200, 5), (4000, 2000, 5), (4000, 3800, 5)],
}


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def measure(n, d, k, dtype, repeats):
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, random_state=0)
    X = X.astype(dtype)
    ours, theirs = KMeans(k, n_init=1, random_state=0), SkKMeans(k, n_init=1, random_state=0)
    fit, cpp, overhead, sk_fit, pred, sk_pred = [], [], [], [], [], []
    # In blocks, not alternated: scikit-learn's OpenMP and OpenBLAS threads keep spinning for
    # a while after each of its calls, and would take the cores from ours. Three blocks each.
    for _ in range(3):
        time.sleep(0.5)
        ours.fit(X)  # warm: pools, caches, first-call imports
        for _ in range(repeats):
            t = timed(lambda: ours.fit(X))
            fit.append(t)
            cpp.append(ours._cpp_seconds)
            overhead.append(t - ours._cpp_seconds)
            pred.append(timed(lambda: ours.predict(X)))
        time.sleep(0.5)
        theirs.fit(X)
        for _ in range(repeats):
            sk_fit.append(timed(lambda: theirs.fit(X)))
            sk_pred.append(timed(lambda: theirs.predict(X)))
    med = statistics.median
    return {
        "n": n, "d": d, "k": k, "dtype": np.dtype(dtype).name,
        "fit_ms": med(fit) * 1e3, "cpp_fit_ms": med(cpp) * 1e3, "overhead_us": med(overhead) * 1e6,
        "overhead_pct": 100 * med(overhead) / med(cpp),
        "sklearn_fit_ms": med(sk_fit) * 1e3, "fit_speedup": med(sk_fit) / med(fit),
        "predict_ms": med(pred) * 1e3, "sklearn_predict_ms": med(sk_pred) * 1e3,
        "predict_speedup": med(sk_pred) / med(pred),
        "n_iter": int(ours.n_iter_), "sklearn_n_iter": int(theirs.n_iter_),
        "inertia_rel_diff": abs(ours.inertia_ - theirs.inertia_) / theirs.inertia_,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", default="demo,clusters,samples,features")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--repeats", type=int, default=0, help="per block of 3; 0: 21 at the demo's size, 5 elsewhere")
    ap.add_argument("--out", default="bench/results")
    args = ap.parse_args()

    info = {"cpu": cpu_name(), "cores": os.cpu_count(), "sklearn": sklearn.__version__,
            "exactkmeans": exactkmeans.__version__, "numpy": np.__version__}
    print(info, flush=True)
    rows, seen = [], set()
    for name in args.points.split(","):
        for n, d, k in POINTS[name]:
            for dtype in args.dtypes.split(","):
                if (n, d, k, dtype) in seen:
                    continue
                seen.add((n, d, k, dtype))
                repeats = args.repeats or (21 if name == "demo" else 5)
                r = measure(n, d, k, np.dtype(dtype).type, repeats)
                r["point"] = name
                rows.append(r)
                print(f"{name:8s} {dtype} n={n:5d} d={d:4d} k={k:3d}  fit {r['fit_ms']:8.2f} ms "
                      f"(C++ {r['cpp_fit_ms']:8.2f}, binding {r['overhead_us']:6.1f} us = {r['overhead_pct']:5.2f}%)  "
                      f"sklearn {r['sklearn_fit_ms']:8.2f} ms  x{r['fit_speedup']:5.1f}  "
                      f"predict x{r['predict_speedup']:5.1f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "compare_python.json"), "w") as f:
        json.dump({"info": info, "rows": rows}, f, indent=1)
    lines = [f"CPU: {info['cpu']} ({info['cores']} cores); scikit-learn {info['sklearn']}, "
             f"numpy {info['numpy']}, exactkmeans {info['exactkmeans']}. Medians; "
             "`KMeans(k, n_init=1, random_state=0)` on make_blobs data, k-means++ and tol 1e-4 for both.", "",
             "| point | dtype | n | d | k | fit ms | C++ fit ms | binding us | binding % | sklearn fit ms | "
             "fit speedup | predict ms | sklearn predict ms | predict speedup | n_iter (sklearn) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['point']} | {r['dtype']} | {r['n']} | {r['d']} | {r['k']} | {r['fit_ms']:.3f} | "
                     f"{r['cpp_fit_ms']:.3f} | {r['overhead_us']:.1f} | {r['overhead_pct']:.2f} | "
                     f"{r['sklearn_fit_ms']:.3f} | {r['fit_speedup']:.1f} | {r['predict_ms']:.3f} | "
                     f"{r['sklearn_predict_ms']:.3f} | {r['predict_speedup']:.1f} | "
                     f"{r['n_iter']} ({r['sklearn_n_iter']}) |")
    with open(os.path.join(args.out, "compare_python.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
