# Sourced by demo.sh and test.sh: installs the Debian packages named in "$@" that are missing,
# saying which, with sudo when not root.
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo > /dev/null; then
      echo "Debian packages this needs are missing: ${missing[*]}" >&2
      echo "not root and no sudo: as root, run" >&2
      echo "  apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  echo "installing the Debian packages this needs${as_root:+ (with sudo)}: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# What building and running the demo needs.
demo_packages=(cmake make g++ libxsimd-dev python3-numpy python3-matplotlib)
# What every test needs besides (.ci/run's list): clang and its tools, the test and benchmark
# libraries, MPI, and the Python package's build and test dependencies.
test_packages=("${demo_packages[@]}" clang libclang-rt-14-dev clang-format clang-tidy catch2 libbenchmark-dev
  libopenmpi-dev openmpi-bin python3-dev python3-venv python3-pybind11 pybind11-dev python3-sklearn python3-pytest
  python3-pandas python3-setuptools python3-wheel)
