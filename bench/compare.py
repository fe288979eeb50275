#!/usr/bin/env python3
"""Compare kmeans with scikit-learn and FAISS on the reference tutorial's three sweeps.

Every implementation gets the same make_blobs data and the same k-means++ initial centroids
(scikit-learn's) and runs 10 iterations; the time per iteration is the median fit time
divided by the iterations run (scikit-learn may stop early on stable labels). Ours twice: our
default (Options() as it is: "kmeans") and our Lloyd ("kmeans lloyd"), which must end with the
same centroids. The final
inertia of each implementation's centroids is recomputed here in float64, so it is compared
on equal terms. FAISS always computes in float32, and is timed with its BLAS multi-threaded and with its
BLAS limited to one thread (scikit-learn limits it itself); the faster is kept.

Build first, then run from the repository root with Debian's Python:

    cmake --preset release && cmake --build --preset release
    /usr/bin/python3 bench/compare.py            # all sweeps, float64 and float32 (about 10 min)
    /usr/bin/python3 bench/compare.py --quick    # first, middle and last point of each sweep

Writes bench/results/compare.md (the tables), compare.json (every number) and, per sweep,
<sweep>_time.png and <sweep>_speedup.png.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

missing = []
try:
    import numpy as np
except ImportError:
    missing.append("numpy (python3-numpy)")
try:
    import sklearn
    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.datasets import make_blobs
except ImportError:
    missing.append("scikit-learn (python3-sklearn)")
try:
    import faiss
except ImportError:
    missing.append("faiss (python3-faiss)")
try:
    from threadpoolctl import threadpool_limits
except ImportError:
    missing.append("threadpoolctl (python3-threadpoolctl, comes with python3-sklearn)")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    missing.append("matplotlib (python3-matplotlib)")
if missing:
    sys.exit("compare.py is missing: " + ", ".join(missing) +
             ".\nOn Debian: apt-get install python3-numpy python3-sklearn python3-faiss python3-matplotlib,"
             "\nand run it with Debian's interpreter: /usr/bin/python3 bench/compare.py")

from bench_common import cpu_name, machine_peak, settle

SWEEPS = {  # the reference tutorial's sweeps
    "clusters": {"param": "k", "values": list(range(5, 171, 15)), "fixed": {"n": 2000, "d": 200}},
    "samples": {"param": "n", "values": list(range(2000, 22001, 2000)), "fixed": {"k": 80, "d": 200}},
    "features": {"param": "d", "values": list(range(200, 3801, 200)), "fixed": {"k": 5, "n": 4000}},
}
IMPLS = ["kmeans", "kmeans-lloyd", "sklearn-lloyd", "sklearn-elkan", "faiss"]  # kmeans: our default
PEERS = IMPLS[2:]


def inertia(X, C):
    """Sum of squared distances to the nearest centroid, float64, in chunks."""
    X = X.astype(np.float64)
    C = C.astype(np.float64)
    cn = (C * C).sum(axis=1)
    total = 0.0
    for s in range(0, len(X), 4096):
        x = X[s:s + 4096]
        d2 = (x * x).sum(axis=1)[:, None] - 2.0 * x @ C.T + cn[None, :]
        total += np.maximum(d2.min(axis=1), 0.0).sum()
    return total




def timed(fn, repeats):
    settle()
    fn()  # warm-up: thread pools, page faults
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def run_ours(driver, X, C, iters, repeats, tmp, algorithm=""):
    """Ours by `algorithm` ("": Options' default)."""
    dtype = "float" if X.dtype == np.float32 else "double"
    xf, cf = os.path.join(tmp, "X.bin"), os.path.join(tmp, "C.bin")
    X.tofile(xf)
    C.tofile(cf)
    n, d = X.shape
    settle()
    out = subprocess.run([driver, xf, cf, str(n), str(d), str(len(C)), dtype, str(iters), str(repeats), "0",
                          algorithm], check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    run_ours.assign_seconds = r["assign_seconds"]  # the assignment step alone, both cores
    return statistics.median(r["seconds"]) / r["n_iter"], np.array(r["centroids"]).reshape(C.shape)


def run_sklearn(algorithm, X, C, iters, repeats):
    def fit():
        return KMeans(n_clusters=len(C), init=C, n_init=1, max_iter=iters, tol=0.0,
                      algorithm=algorithm).fit(X)
    t, km = timed(fit, repeats)
    return t / km.n_iter_, km.cluster_centers_


def run_faiss(X, C, iters, repeats):
    x32, c32 = np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(C, dtype=np.float32)
    n, d = X.shape

    def fit():
        km = faiss.Kmeans(d, len(C), niter=iters, max_points_per_centroid=n + 1, min_points_per_centroid=1,
                          verbose=False)
        km.train(x32, init_centroids=c32)
        return km
    # FAISS calls a multi-threaded BLAS from its own OpenMP threads; on few cores the two
    # pools oversubscribe. Time it both ways and keep its faster configuration.
    t, km = timed(fit, repeats)
    with threadpool_limits(limits=1, user_api="blas"):
        t1, km1 = timed(fit, repeats)
    if t1 < t:
        t, km = t1, km1
    return t / iters, km.centroids


def blas_in_use():
    """The BLAS numpy/SciPy/FAISS call (Debian's default libblas.so.3 is the slow reference one)."""
    try:
        from threadpoolctl import threadpool_info
        libs = [f"{i.get('internal_api')} {i.get('version') or ''}".strip() for i in threadpool_info()
                if i.get("user_api") == "blas"]
        if libs:
            return ", ".join(sorted(set(libs)))
    except ImportError:
        pass
    return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")


def end_to_end(driver, repeats, tmp, n=3000, d=100, k=5, seed=0):
    """k-means++ and iterations to convergence (tol 1e-4), one init: the demo's problem."""
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, random_state=seed)
    xf = os.path.join(tmp, "X.bin")
    X.tofile(xf)
    settle()
    out = subprocess.run([driver, xf, "-", str(n), str(d), str(k), "double", "300", str(repeats)],
                         check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    ours = statistics.median(r["seconds"])

    def fit():
        return KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X)
    theirs, km = timed(fit, repeats)
    return {"n": n, "d": d, "k": k, "kmeans_ms": ours * 1e3, "kmeans_n_iter": r["n_iter"],
            "sklearn_ms": theirs * 1e3, "sklearn_n_iter": int(km.n_iter_), "speedup": theirs / ours}




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release", help="CMake build directory (default build/release)")
    ap.add_argument("--out", default="bench/results", help="output directory (default bench/results)")
    ap.add_argument("--sweeps", default="clusters,samples,features")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3, help="timed fits per implementation and point (median)")
    ap.add_argument("--quick", action="store_true", help="first, middle and last point of each sweep")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    driver = os.path.join(args.build, "bench", "kmeans_driver")
    if not os.path.exists(driver):
        sys.exit(f"{driver} not found: build first (cmake --preset release && cmake --build --preset release)")
    os.makedirs(args.out, exist_ok=True)
    cpu = cpu_name()
    info = {"cpu": cpu, "cores": os.cpu_count(), "sklearn": sklearn.__version__,
            "faiss": faiss.__version__, "numpy": np.__version__, "iters": args.iters, "repeats": args.repeats,
            "blas": blas_in_use()}
    print(f"machine: {cpu}, {os.cpu_count()} cores", flush=True)

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for sweep in args.sweeps.split(","):
            spec = SWEEPS[sweep]
            peak = machine_peak(args.build)  # before each sweep: this VM's speed drifts
            info.setdefault("sweep_peak", {})[sweep] = peak
            print(f"{sweep}: peak {peak}", flush=True)
            values = spec["values"]
            if args.quick:
                values = sorted({values[0], values[len(values) // 2], values[-1]})
            for v in values:
                shape = dict(spec["fixed"], **{spec["param"]: v})
                n, d, k = shape["n"], shape["d"], shape["k"]
                X64, _ = make_blobs(n_samples=n, n_features=d, centers=k, random_state=args.seed)
                C64, _ = kmeans_plusplus(X64, k, random_state=args.seed)
                for dtype in args.dtypes.split(","):
                    X, C = X64.astype(dtype), C64.astype(dtype)
                    row = {"sweep": sweep, "param": spec["param"], "value": v, "n": n, "d": d, "k": k,
                           "dtype": dtype, "ms_per_iter": {}, "inertia": {}}
                    runs = {
                        "kmeans": lambda: run_ours(driver, X, C, args.iters, args.repeats, tmp),
                        "kmeans-lloyd": lambda: run_ours(driver, X, C, args.iters, args.repeats, tmp, "lloyd"),
                        "sklearn-lloyd": lambda: run_sklearn("lloyd", X, C, args.iters, args.repeats),
                        "sklearn-elkan": lambda: run_sklearn("elkan", X, C, args.iters, args.repeats),
                        "faiss": lambda: run_faiss(X, C, args.iters, args.repeats),
                    }
                    assign_seconds = None
                    for name, fn in runs.items():
                        sec, centroids = fn()
                        if name == "kmeans":
                            assign_seconds = run_ours.assign_seconds
                        row["ms_per_iter"][name] = sec * 1e3
                        row["inertia"][name] = inertia(X64 if dtype == "float64" else X, centroids)
                    best_peer = min(PEERS, key=lambda p: row["ms_per_iter"][p])
                    row["best_peer"] = best_peer
                    row["speedup"] = row["ms_per_iter"][best_peer] / row["ms_per_iter"]["kmeans"]
                    ours = row["inertia"]["kmeans"]
                    row["inertia_rel_diff"] = max(abs(row["inertia"][p] - ours) / ours for p in PEERS)
                    assert row["inertia"]["kmeans-lloyd"] == ours, "our default and our Lloyd must agree to the bit"
                    flops = 2.0 * n * k * d / (row["ms_per_iter"]["kmeans"] * 1e-3)
                    row["gflops"] = flops * 1e-9
                    row["assign_gflops"] = 2.0 * n * k * d / assign_seconds * 1e-9
                    if peak:
                        row["pct_fma_peak"] = 100 * row["gflops"] / peak[dtype]
                        row["pct_assign_peak"] = 100 * row["assign_gflops"] / peak[dtype]
                        itemsize = 4 if dtype == "float32" else 8
                        t_compute = 2.0 * n * k * d / (peak[dtype] * 1e9)
                        t_memory = n * d * itemsize / (peak["GBps"] * 1e9)
                        row["pct_roofline"] = 100 * max(t_compute, t_memory) / (row["ms_per_iter"]["kmeans"] * 1e-3)
                    results.append(row)
                    ms = row["ms_per_iter"]
                    print(f"{sweep:8s} {dtype} n={n:5d} d={d:4d} k={k:3d}  " +
                          "  ".join(f"{i} {ms[i]:8.3f}" for i in IMPLS) +
                          f"  speed-up {row['speedup']:.2f}x over {best_peer}, inertia diff {row['inertia_rel_diff']:.1e}",
                          flush=True)

        fit = end_to_end(driver, max(args.repeats, 5), tmp)
        print(f"end to end (k-means++ and convergence, {fit['n']} x {fit['d']} x {fit['k']}, float64): "
              f"kmeans {fit['kmeans_ms']:.2f} ms ({fit['kmeans_n_iter']} iterations), scikit-learn "
              f"{fit['sklearn_ms']:.2f} ms ({fit['sklearn_n_iter']} iterations): {fit['speedup']:.1f}x", flush=True)

    with open(os.path.join(args.out, "compare.json"), "w") as f:
        json.dump({"machine": info, "end_to_end": fit, "results": results}, f, indent=1)
    write_markdown(args, info, results, fit)
    plot(args, results)


def write_markdown(args, info, results, fit):
    lines = ["# kmeans vs scikit-learn and FAISS: ms per iteration", "",
             f"Machine: {info['cpu']}, {info['cores']} cores. scikit-learn {info['sklearn']}, "
             f"FAISS {info['faiss']}, numpy {info['numpy']}, BLAS: {info['blas']}. {info['iters']} iterations "
             f"from the same k-means++ centroids, median of {info['repeats']} fits.", "",
             f"End to end (k-means++ and iterations to convergence, tol 1e-4, one init, {fit['n']} x {fit['d']} x "
             f"{fit['k']}, float64, median of repeated fits): kmeans {fit['kmeans_ms']:.2f} ms "
             f"({fit['kmeans_n_iter']} iterations), scikit-learn KMeans(n_init=1) {fit['sklearn_ms']:.2f} ms "
             f"({fit['sklearn_n_iter']} iterations): {fit['speedup']:.1f}x.", ""]
    if any(info.get("sweep_peak", {}).values()):
        probes = "; ".join(f"before {sw}: FMA {q['float64']:.0f} GFLOP/s float64, {q['float32']:.0f} float32, "
                           f"read {q['GBps']:.1f} GB/s" for sw, q in info.get("sweep_peak", {}).items() if q)
        lines += [f"Measured peak (bench_peak, all cores), probed before each sweep since this machine's speed "
                  f"drifts: {probes}. "
                  "kmeans is our default (Options() as it is), kmeans lloyd our Lloyd; both give the same centroids "
                  "to the bit. '% peak' is the effective rate of our default, Lloyd's 2nkd FLOP per iteration over "
                  "its time, as a fraction of the float64 or float32 FMA peak probed before its sweep (above 100%: "
                  "it computed less than Lloyd, exactly); 'assign % peak' is the assignment step alone (every row's nearest "
                  "final centroid on all cores, median of at least 10 passes); '% roofline' is "
                  "max(2nkd / FMA peak, n d sizeof(T) / bandwidth) over kmeans' time per iteration.", ""]
    for sweep in dict.fromkeys(r["sweep"] for r in results):
        for dtype in dict.fromkeys(r["dtype"] for r in results):
            rows = [r for r in results if r["sweep"] == sweep and r["dtype"] == dtype]
            if not rows:
                continue
            r0 = rows[0]
            fixed = ", ".join(f"{key} = {r0[key]}" for key in "ndk" if key != r0["param"])
            lines += [f"## {sweep} ({dtype}; {fixed})", "",
                      f"| {r0['param']} | kmeans | kmeans lloyd | sklearn lloyd | sklearn elkan | faiss | speed-up over best peer | % peak | assign % peak | % roofline | inertia rel. diff |",
                      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for r in rows:
                ms = r["ms_per_iter"]
                lines.append(f"| {r['value']} | {ms['kmeans']:.3f} | {ms['kmeans-lloyd']:.3f} | {ms['sklearn-lloyd']:.3f} | "
                             f"{ms['sklearn-elkan']:.3f} | {ms['faiss']:.3f} | {r['speedup']:.2f}x ({r['best_peer']}) | "
                             f"{r.get('pct_fma_peak', float('nan')):.0f} | {r.get('pct_assign_peak', float('nan')):.0f} | "
                             f"{r.get('pct_roofline', float('nan')):.0f} | "
                             f"{r['inertia_rel_diff']:.1e} |")
            lines.append("")
    with open(os.path.join(args.out, "compare.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {os.path.join(args.out, 'compare.md')}")


def plot(args, results):
    for sweep in dict.fromkeys(r["sweep"] for r in results):
        dtypes = list(dict.fromkeys(r["dtype"] for r in results if r["sweep"] == sweep))
        fig, axes = plt.subplots(1, len(dtypes), figsize=(6 * len(dtypes), 4.5), squeeze=False)
        fig2, axes2 = plt.subplots(1, len(dtypes), figsize=(6 * len(dtypes), 4.5), squeeze=False)
        for ax, ax2, dtype in zip(axes[0], axes2[0], dtypes):
            rows = [r for r in results if r["sweep"] == sweep and r["dtype"] == dtype]
            xs = [r["value"] for r in rows]
            for impl in IMPLS:
                ax.plot(xs, [r["ms_per_iter"][impl] for r in rows], marker="o", label=impl)
            ax.set_yscale("log")
            ax.set_xlabel(rows[0]["param"])
            ax.set_ylabel("ms per iteration")
            ax.set_title(f"{sweep} sweep, {dtype}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
            width = (xs[1] - xs[0]) * 0.7 if len(xs) > 1 else 1
            ax2.bar(xs, [r["speedup"] for r in rows], width=width)
            ax2.axhline(1.0, color="black", linewidth=0.8)
            ax2.set_xlabel(rows[0]["param"])
            ax2.set_ylabel("speed-up over the fastest peer")
            ax2.set_title(f"{sweep} sweep, {dtype}")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, f"{sweep}_time.png"), dpi=110)
        fig2.tight_layout()
        fig2.savefig(os.path.join(args.out, f"{sweep}_speedup.png"), dpi=110)
        plt.close(fig)
        plt.close(fig2)
    print(f"wrote plots to {args.out}/")


if __name__ == "__main__":
    main()
