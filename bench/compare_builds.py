#!/usr/bin/env python3
"""The kernels under the builds users make: g++ and clang++, at -O3 (CMake's Release) and -O2
(RelWithDebInfo), all with -march=native.

A header-only library is compiled with its user's flags, so its speed must not depend on
-O3's extra unrolling or on one compiler's floating-point contraction. This builds
bench_kmeans once per compiler and build type (build/variants/<compiler>-<type>, or under
--out), runs the chosen benchmarks on every build in turn, --rounds times (alternating, as
the machine is shared), and prints a Markdown table of the median GFLOP/s of each benchmark
per build, with each build's ratio to g++ -O3.

    /usr/bin/python3 bench/compare_builds.py [--rounds 3] [--baseline DIR] [--out DIR]

--baseline also builds another checkout (for example a `git worktree` of an older commit,
under --out/baseline) and alternates its builds with this one's, for an A/B in one run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

BENCHMARKS = [
    "assign/double/n:2000/d:200/k:80",
    "assign/float/n:2000/d:200/k:80",
    "assign/double/n:2000/d:50/k:100",
    "assign/float/n:2000/d:50/k:100",
    "samples/double/n:22000/d:200/k:80/real_time",
    "samples/float/n:22000/d:200/k:80/real_time",
]
BUILDS = [("g++", "Release"), ("g++", "RelWithDebInfo"), ("clang++", "Release"), ("clang++", "RelWithDebInfo")]
LEVEL = {"Release": "-O3", "RelWithDebInfo": "-O2"}


def build(source, out, cxx, build_type):
    path = os.path.join(out, f"{cxx}-{build_type}")
    subprocess.run(["cmake", "-S", source, "-B", path, f"-DCMAKE_CXX_COMPILER={cxx}", f"-DCMAKE_BUILD_TYPE={build_type}",
                    "-DKMEANS_BUILD_TESTS=OFF", "-DKMEANS_BUILD_EXAMPLES=OFF", "-DKMEANS_MPI=OFF",
                    "-DKMEANS_INSTALL=OFF", "-DKMEANS_NATIVE=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", path, "-j2", "--target", "bench_kmeans"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(path, "bench", "bench_kmeans")


def run(binary, names):
    pattern = "^(" + "|".join(names) + ")$"
    out = subprocess.run([binary, f"--benchmark_filter={pattern}", "--benchmark_format=json"], check=True,
                         capture_output=True, text=True).stdout
    return {b["name"]: b["GFLOPs"] for b in json.loads(out)["benchmarks"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="another checkout to build and measure alongside")
    ap.add_argument("--out", default=os.path.join("build", "variants"))
    args = ap.parse_args()
    missing = [cxx for cxx, _ in BUILDS if shutil.which(cxx) is None]
    if missing:
        sys.exit(f"compare_builds.py needs {' and '.join(sorted(set(missing)))} (Debian: g++ clang)")

    sources = [("", os.path.dirname(os.path.dirname(os.path.abspath(__file__))), args.out)]
    if args.baseline:
        sources.append(("baseline ", os.path.abspath(args.baseline), os.path.join(args.out, "baseline")))
    binaries = {}
    for label, source, out in sources:
        for cxx, build_type in BUILDS:
            print(f"building {label}bench_kmeans with {cxx} {build_type} ...", file=sys.stderr, flush=True)
            binaries[(label, cxx, build_type)] = build(source, out, cxx, build_type)
    results = {key: {} for key in binaries}
    for r in range(args.rounds):
        for key, binary in binaries.items():
            for name, value in run(binary, BENCHMARKS).items():
                results[key].setdefault(name, []).append(value)
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)

    keys = list(binaries)
    print(f"Median GFLOP/s of {args.rounds} alternated rounds (ratio to g++ -O3 of this checkout).\n")
    print("| benchmark | " + " | ".join(f"{label}{cxx} {LEVEL[bt]}" for label, cxx, bt in keys) + " |")
    print("| --- |" + " ---: |" * len(keys))
    for name in BENCHMARKS:
        base = statistics.median(results[keys[0]][name])
        cells = []
        for key in keys:
            m = statistics.median(results[key][name])
            cells.append(f"{m:.1f} ({m / base:.2f})")
        print(f"| {name.replace('/real_time', '')} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
