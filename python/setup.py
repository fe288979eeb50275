"""Builds exactkmeans._core from src/_core.cpp over the C++ headers in ../include.

The headers are read where they are (pip builds ./python in place), not copied into the
package. KMEANS_INCLUDE_DIR overrides their location; KMEANS_CXXFLAGS replaces the default
-march=native (the module is built on the machine it runs on; set e.g. "-march=x86-64-v3"
for a module that must run elsewhere).
"""

import os
import shlex
from pathlib import Path

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

here = Path(__file__).resolve().parent
include = Path(os.environ.get("KMEANS_INCLUDE_DIR", here.parent / "include"))
if not (include / "kmeans" / "kmeans.hpp").is_file():
    raise SystemExit(
        f"exactkmeans: the C++ headers are not at {include}; build from the kmeans repository "
        "(pip install ./python) or set KMEANS_INCLUDE_DIR to its include directory"
    )

flags = shlex.split(os.environ.get("KMEANS_CXXFLAGS", "-O3 -march=native"))

setup(
    ext_modules=[
        Pybind11Extension(
            "exactkmeans._core",
            ["src/_core.cpp"],
            include_dirs=[str(include)],
            cxx_std=17,
            extra_compile_args=flags + ["-pthread"],
            extra_link_args=["-pthread"],
        )
    ],
    cmdclass={"build_ext": build_ext},
)
