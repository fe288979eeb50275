#!/usr/bin/env python3
"""Fits to convergence on real data: Fashion-MNIST (70000 images of 28 x 28 pixels, d = 784)
and its 50-dimensional PCA projection, our algorithms against scikit-learn's lloyd and elkan.

Data: Debian's package (apt-get install dataset-fashion-mnist), train and test images
together, pixel values 0..255 as float64 or float32; PCA-50 is scikit-learn's PCA (seed 0)
of the float64 images. Every implementation starts from the same initial centroids
(scikit-learn's kmeans_plusplus, seed 0) and runs to convergence (tol 1e-4, at most
--max-iter iterations), n_init 1, all cores. Ours: every algorithm, Lloyd also without
mixed precision ("lloyd:fp64", float64 only), and the default (Options() unchanged). Repeats
are interleaved (each implementation once, then each again); reported are median times.

Also reported: iterations, our distance evaluations as a fraction of Lloyd's n k per
iteration, "effective GFLOP/s" (2 n k d per iteration over the time: above the machine's
peak means fewer operations than Lloyd's, with the same result) and the machine's float64
FMA peak from bench_peak. Every fit of ours must end with our Lloyd's n_iter and inertia to
the bit; scikit-learn's inertia is shown as its relative difference.

Build first, then run from the repository root with Debian's Python:

    cmake --preset release && cmake --build --preset release
    /usr/bin/python3 bench/compare_real.py                   # all points (hours: k = 1000 on raw pixels)
    /usr/bin/python3 bench/compare_real.py --sets pca50 --ks 100,1000 --dtypes float64

Writes bench/results/real.md and real.json.
"""
import argparse
import gzip
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
    from sklearn.decomposition import PCA
except ImportError:
    sys.exit("compare_real.py needs python3-numpy and python3-sklearn; run it with /usr/bin/python3")

from bench_common import cpu_name, machine_peak, median_of, settle

DATA_DIR = "/usr/share/datasets/fashion-mnist"
THEIRS = ["lloyd", "elkan"]


def images():
    """The 70000 x 784 Fashion-MNIST images as uint8."""
    out = []
    for name in ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"]:
        path = os.path.join(DATA_DIR, name)
        if not os.path.exists(path):
            sys.exit(f"{path} not found: apt-get install dataset-fashion-mnist")
        with gzip.open(path, "rb") as f:
            raw = f.read()
        count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
        out.append(np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * cols))
    return np.vstack(out)








def run_ours(driver, algorithm, shape, dtype, tol, max_iter, tmp):
    """One timed fit (after an untimed one that counts distance evaluations). algorithm "" is
    the default."""
    n, d, k = shape
    settle()
    out = subprocess.run([driver, os.path.join(tmp, "X.bin"), os.path.join(tmp, "C.bin"), str(n), str(d), str(k),
                          "double" if dtype == "float64" else "float", str(max_iter), "1", "0", algorithm, repr(tol)],
                         check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    return {"seconds": r["seconds"][0], "n_iter": r["n_iter"], "inertia": r["inertia"],
            "evaluations": r["evaluations"], "ran": r["algorithm"]}


def run_sklearn(algorithm, X, C, tol, max_iter):
    settle()
    t = time.perf_counter()
    km = KMeans(n_clusters=len(C), init=C, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm).fit(X)
    return {"seconds": time.perf_counter() - t, "n_iter": int(km.n_iter_), "inertia": float(km.inertia_)}




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sets", default="raw,pca50")
    ap.add_argument("--ks", default="10,100,1000")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--ours", default="lloyd:fp64,lloyd,hamerly,elkan,yinyang,default")
    ap.add_argument("--theirs", default=",".join(THEIRS), help="scikit-learn's algorithms ('' for none)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-iter", type=int, default=300)
    args = ap.parse_args()
    driver = os.path.join(args.build, "bench", "kmeans_driver")
    if not os.path.exists(driver):
        sys.exit(f"{driver} not found: build first (cmake --preset release && cmake --build --preset release)")
    pixels = images().astype(np.float64)
    peak = machine_peak(args.build)
    info = {"machine": cpu_name(), "cores": os.cpu_count(), "peak_gflops": peak,
            "sklearn": sklearn.__version__, "numpy": np.__version__, "repeats": args.repeats, "tol": args.tol,
            "max_iter": args.max_iter}
    theirs_names = [a for a in args.theirs.split(",") if a]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.sets.split(","):
            X64 = pixels if data == "raw" else PCA(n_components=50, random_state=0).fit_transform(pixels)
            for dtype in args.dtypes.split(","):
                X = np.ascontiguousarray(X64, dtype=np.float64 if dtype == "float64" else np.float32)
                X.tofile(os.path.join(tmp, "X.bin"))
                ours_names = [a for a in args.ours.split(",") if not (dtype == "float32" and a.endswith(":fp64"))]
                for k in [int(k) for k in args.ks.split(",")]:
                    C, _ = kmeans_plusplus(X, k, random_state=0)
                    C = np.ascontiguousarray(C, dtype=X.dtype)
                    C.tofile(os.path.join(tmp, "C.bin"))
                    n, d = X.shape
                    ours = {a: [] for a in ours_names}
                    theirs = {a: [] for a in theirs_names}
                    for _ in range(args.repeats):
                        for a in ours_names:
                            ours[a].append(run_ours(driver, "" if a == "default" else a, (n, d, k), dtype, args.tol,
                                                    args.max_iter, tmp))
                        for a in theirs_names:
                            theirs[a].append(run_sklearn(a, X, C, args.tol, args.max_iter))
                    point = {"data": data, "dtype": dtype, "n": n, "d": d, "k": k, "max_iter": args.max_iter,
                             "ours": {a: median_of(r) for a, r in ours.items()},
                             "sklearn": {a: median_of(r) for a, r in theirs.items()}}
                    first = point["ours"][ours_names[0]]
                    for a in ours_names:
                        r = point["ours"][a]
                        assert r["n_iter"] == first["n_iter"] and r["inertia"] == first["inertia"], (a, r, first)
                        r["gflops"] = 2.0 * n * k * d * r["n_iter"] / r["seconds"] / 1e9
                        r["evaluated"] = r["evaluations"] / (n * k * r["n_iter"])
                    for r in point["sklearn"].values():
                        r["inertia_rel_diff"] = abs(r["inertia"] - first["inertia"]) / first["inertia"]
                    results.append(point)
                    print(f"{data:5s} {dtype} k {k:4d} iters {first['n_iter']:3d} | " +
                          "  ".join(f"{a} {point['ours'][a]['seconds']:.3f}" for a in ours_names) + " | sklearn " +
                          "  ".join(f"{a} {point['sklearn'][a]['seconds']:.3f} ({point['sklearn'][a]['n_iter']})"
                                    for a in theirs_names) + " s", flush=True)
                    save(args, info, results)  # after every point: a long run that stops keeps what it did


def save(args, info, results):
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "real.json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    write_markdown(os.path.join(args.out, "real.md"), info, results)


def write_markdown(path, info, results):
    peak = (info["peak_gflops"] or {}).get("float64") or float("nan")
    columns = list(dict.fromkeys(a for p in results for a in p["ours"]))
    lines = ["# Fits to convergence on Fashion-MNIST (70000 x 784) and its PCA-50 projection", "",
             f"Generated by `bench/compare_real.py` on {info['machine']} ({info['cores']} cores; float64 FMA peak "
             f"{peak:.0f} GFLOP/s by bench_peak); scikit-learn {info['sklearn']}; tol {info['tol']}, at most "
             f"{info['max_iter']} iterations, median of {info['repeats']}. Times in seconds; for ours, (evaluated "
             "fraction of Lloyd's distances, effective GFLOP/s = 2 n k d x iterations / time). "
             "All of ours end with the same n_iter and inertia, to the bit.", "",
             "| data | dtype | k | iters | " + " | ".join(columns) +
             " | sklearn lloyd | sklearn elkan | default vs sklearn's best | default vs our lloyd |",
             "| --- | --- | --- | --- | " + " | ".join("---" for _ in columns) + " | --- | --- | --- | --- |"]
    for p in results:
        o, s = p["ours"], p["sklearn"]
        cells = [f"{o[a]['seconds']:.3f} ({o[a]['evaluated']:.2f}, {o[a]['gflops']:.0f})" if a in o else ""
                 for a in columns]
        theirs = [f"{s[a]['seconds']:.3f} ({s[a]['n_iter']} it)" if a in s else "" for a in THEIRS]
        default = o.get("default")
        best_theirs = min((r["seconds"] for r in s.values()), default=None)
        vs_theirs = f"{best_theirs / default['seconds']:.2f}x" if default and best_theirs else ""
        vs_lloyd = f"{o['lloyd']['seconds'] / default['seconds']:.2f}x" if default and "lloyd" in o else ""
        n_iter = next(iter(o.values()))["n_iter"]
        capped = " (the cap: not converged)" if n_iter == p.get("max_iter", info["max_iter"]) else ""
        lines.append(f"| {p['data']} | {p['dtype']} | {p['k']} | {n_iter}{capped} | " +
                     " | ".join(cells) + " | " + " | ".join(theirs) + f" | {vs_theirs} | {vs_lloyd} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
