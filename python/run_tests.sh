#!/usr/bin/env bash
# The package's tests as a user would meet them: a fresh venv that sees Debian's numpy and
# scikit-learn, README's offline install command, then pytest against the installed package.
# Usage: python/run_tests.sh VENV_DIR [PYTHON]   (CTest's `python` test runs it)
set -euo pipefail
venv=$1
python=${2:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$venv" "$here/build"  # setuptools does not track the headers: always a clean build
"$python" -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-build-isolation --no-index "$here"
cd "$venv"  # so that `import exactkmeans` is the installed package, not python/src
"$venv/bin/python" -m pytest -q -p no:cacheprovider -rsxX "$here/tests"
