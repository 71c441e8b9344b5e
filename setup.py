"""Build the engine: one Cython extension that includes the hot-path stages.

Capstone is reached through its C API. Only its headers are needed at build
time (the PyPI wheel ships them); the shared library is opened at run time
with dlopen (see bt/__init__.py), because the wheel's libcapstone.so carries
the SONAME libcapstone.so.5, a file the wheel does not ship.
"""
import os

import capstone
from Cython.Build import cythonize
from setuptools import Extension, setup

CAPSTONE_INCLUDE = os.path.join(os.path.dirname(capstone.__file__), "include")

ext = Extension(
    "bt.engine",
    sources=["bt/engine.pyx"],
    include_dirs=[CAPSTONE_INCLUDE, "bt"],
    extra_compile_args=["-O2", "-fno-strict-aliasing", "-Wno-unused-function",
                        "-Wno-unreachable-code"],
    libraries=["dl"],
    # The micro-op handlers are small inline helpers; gcc's heuristics leave
    # the hottest ones (condition tests, stores) out of line. Forcing them in
    # is measured: see the closing notes of the engine commits.
    define_macros=[("CYTHON_INLINE", "inline __attribute__((always_inline))")],
)

setup(
    ext_modules=cythonize(
        [ext],
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "nonecheck": False,
        },
    ),
)
