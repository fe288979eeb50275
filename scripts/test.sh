#!/usr/bin/env bash
# The quick start's second command, and what CI runs (.ci/run): installs what is missing,
# then configures, builds and runs every test (cmake --workflow --preset release).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing "${test_packages[@]}"

cmake --workflow --preset release
