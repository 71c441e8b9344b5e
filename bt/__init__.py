"""bt: a virtual machine monitor for 32-bit x86 guests, by binary translation.

Python is the shell (command line, machine assembly, device models); the
compiled extension `bt.engine` decodes, translates and runs guest code.

Scripting::

    from bt import Machine
    m = Machine(ram_size=64 * 1024 * 1024)
    m.load_multiboot("guests/build/hello.elf")
    result = m.run()
    print(result.exit_status, result.message)
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import EngineUnavailable

if TYPE_CHECKING:
    from .machine import Machine, RunResult, StopReason

__version__ = "0.1.0"
__all__ = ["Machine", "RunResult", "StopReason", "load_engine", "capstone_library",
           "EngineUnavailable", "__version__"]

# File names the capstone wheel has used for its shared library, newest first.
_CAPSTONE_LIB_NAMES = ("libcapstone.so", "libcapstone.so.5", "libcapstone.dylib")

_engine: ModuleType | None = None


def capstone_library() -> str:
    """Path of the libcapstone shared library shipped in the `capstone` wheel.

    The engine reaches capstone through its C API and dlopen()s this file:
    the wheel's library has the SONAME libcapstone.so.5 but no file of that
    name, so it cannot simply be linked against (see DESIGN.md, pitfalls).
    """
    spec = importlib.util.find_spec("capstone")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(
            "the capstone package is not installed (pip install 'capstone>=5,<6')")
    for package_dir in spec.submodule_search_locations:
        for name in _CAPSTONE_LIB_NAMES:
            path = os.path.join(package_dir, "lib", name)
            if os.path.isfile(path):
                return path
    raise EngineUnavailable(
        "the capstone package has no lib/libcapstone.so; reinstall it from a wheel "
        "(pip install --force-reinstall 'capstone>=5,<6')")


def load_engine() -> ModuleType:
    """Import the compiled engine and hand it libcapstone, once.

    Done lazily so that `bt --help` and the loader work without a compiled
    engine, and so that importing bt costs nothing until a machine is built.
    Raises EngineUnavailable with an explanation when either part is missing.
    """
    global _engine
    if _engine is None:
        library = capstone_library()
        try:
            module = importlib.import_module("bt.engine")
        except ImportError as exc:
            raise EngineUnavailable(
                f"the bt engine is not compiled ({exc}); build it with "
                "'pip install -e .' in the source tree") from exc
        module.init_capstone(library)
        _engine = module
    return _engine


def __getattr__(name: str) -> Any:
    # The machine classes are imported on first use: `import bt` stays cheap
    # and bt.machine can itself import bt without a cycle.
    if name in ("Machine", "RunResult", "StopReason"):
        from . import machine
        return getattr(machine, name)
    raise AttributeError(f"module 'bt' has no attribute {name!r}")
