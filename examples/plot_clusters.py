#!/usr/bin/env python3
"""Draw run_kmeans's result as the reference's 2-D PCA scatter plot.

usage: python3 examples/plot_clusters.py [kmeans_result.txt] [kmeans_clusters.png]
Needs numpy and matplotlib (Debian: apt-get install python3-numpy python3-matplotlib).
"""
import sys

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:
    sys.exit(f"plot_clusters.py needs numpy and matplotlib ({e}); on Debian: "
             "apt-get install python3-numpy python3-matplotlib, and run it with /usr/bin/python3")


def read_result(path):
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
    n, d, k = map(int, lines[0].split())
    pos = 1
    blocks = {}
    while pos < len(lines):
        name, count = lines[pos].split()
        count = int(count)
        rows = [l.split() for l in lines[pos + 1: pos + 1 + count]]
        blocks[name] = np.array(rows, dtype=float if name != "labels" else int)
        pos += 1 + count
    return n, d, k, blocks


def draw(points, labels, true_centres, found_centres, title, dst):
    """The 2-D PCA scatter plot of the points (coloured by label) with both sets of centres."""
    d = points.shape[1]
    mean = points.mean(axis=0)
    # PCA to 2-D: the top right-singular vectors of the centred points.
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    basis = vt[:2].T if d >= 2 else np.eye(d, 2)
    p, t, c = ((m - mean) @ basis for m in (points, true_centres, found_centres))
    k = len(found_centres)
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.scatter(p[:, 0], p[:, 1], c=labels, cmap="tab10" if k <= 10 else "viridis", s=6, alpha=0.6)
    ax.scatter(t[:, 0], t[:, 1], marker="x", s=120, c="black", label="true centres")
    ax.scatter(c[:, 0], c[:, 1], marker="o", s=120, facecolors="none", edgecolors="red", linewidths=2,
               label="found centres")
    ax.set_title(title)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend()
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    print(f"wrote {dst}")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "kmeans_result.txt"
    dst = sys.argv[2] if len(sys.argv) > 2 else "kmeans_clusters.png"
    n, d, k, b = read_result(src)
    draw(b["points"], b["labels"][:, 0], b["true_centers"], b["found_centers"],
         f"k-means: {n} samples, {d} features, {k} clusters (PCA projection)", dst)


if __name__ == "__main__":
    main()
