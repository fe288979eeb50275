"""What the comparison scripts share: pausing between runs, medians, the CPU's name and the
machine's measured peak (bench_peak)."""
import json
import os
import platform
import statistics
import subprocess
import time


def settle():
    """Let OpenMP and OpenBLAS worker threads of the previous run stop spinning: they busy-wait
    after a parallel region and would take a core from whatever runs next."""
    time.sleep(0.3)


def median_of(runs):
    """The first run's fields, with the median time of all of them."""
    out = dict(runs[0])
    out["seconds"] = statistics.median(r["seconds"] for r in runs)
    out["all_seconds"] = [r["seconds"] for r in runs]
    return out


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (or what platform knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_peak(build):
    """FMA GFLOP/s per dtype ("float64", "float32") and read GB/s ("GBps") on all cores, from
    bench_peak; None when it is not built."""
    exe = os.path.join(build, "bench", "bench_peak")
    if not os.path.exists(exe):
        return None
    threads = os.cpu_count() or 1
    out = subprocess.run([exe, "--benchmark_format=json", f"--benchmark_filter=threads:{threads}$"],
                         check=True, capture_output=True, text=True)
    peak = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b["name"].startswith("fma/double"):
            peak["float64"] = b["GFLOPs"]
        elif b["name"].startswith("fma/float"):
            peak["float32"] = b["GFLOPs"]
        elif b["name"].startswith("read"):
            peak["GBps"] = b["bytes_per_second"] / 1e9
    return peak
