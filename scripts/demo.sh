#!/usr/bin/env bash
# The quick start's first command: installs what is missing, builds the demo, runs it
# (make_blobs: 3000 samples, 100 features, 5 clusters) and draws kmeans_clusters.png.
# Arguments go to the demo (run_kmeans --help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing "${demo_packages[@]}"

cmake --preset demo > /dev/null
cmake --build --preset demo --target run_kmeans
if [[ " $* " == *" --help "* || " $* " == *" -h "* ]]; then
  exec build/demo/examples/run_kmeans --help
fi
build/demo/examples/run_kmeans --out kmeans_result.txt "$@"
/usr/bin/python3 examples/plot_clusters.py kmeans_result.txt kmeans_clusters.png
