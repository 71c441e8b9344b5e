"""bt: a virtual machine monitor for 32-bit x86 guests, by binary translation.

Python is the shell (command line, machine assembly, device models); the
compiled extension `bt.engine` decodes, translates and runs guest code.

Scripting (see bt.machine for the whole API, the README for an example)::

    import bt
    with bt.Machine(ram_size=64 * 1024 * 1024) as m:
        m.load_multiboot(bt.demo_image())
        m.on_callout("cli", lambda event: print("CLI at", hex(event.eip)))
        result = m.run()
    print(result.exit_status, result.message, result.stats.instructions)
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, EngineUnavailable

if TYPE_CHECKING:
    from .machine import CalloutEvent, Hook, Machine, PortEvent, Registers, RunResult, StopReason
    from .stats import RunStats

__version__ = "0.1.0"
__all__ = ["Machine", "RunResult", "RunStats", "StopReason", "Registers", "CalloutEvent",
           "PortEvent", "Hook", "demo_image", "load_engine", "capstone_library",
           "EngineUnavailable", "__version__"]

# The machine's public names, imported from bt.machine on first use.
_MACHINE_NAMES = ("Machine", "RunResult", "StopReason", "Registers", "CalloutEvent",
                  "PortEvent", "Hook")
DEMO_RESOURCE = "data/demo.elf"
_demo_path: Path | None = None     # the demo extracted from a zipped install

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


def demo_image() -> Path:
    """Path of the demo guest bundled with bt (bt/data/demo.elf): a Multiboot
    kernel that prints a short tour of what bt virtualizes and powers off.

    Raises ConfigError when the package was built without it.
    """
    global _demo_path
    import importlib.resources

    resource = importlib.resources.files("bt").joinpath(DEMO_RESOURCE)
    if not resource.is_file():
        raise ConfigError("the bundled demo (bt/data/demo.elf) is missing; build it with "
                          "'python3 guests/build.py'")
    if isinstance(resource, Path):
        return resource
    if _demo_path is None:
        # A zipped install: extract the image once, for the life of the process.
        import atexit
        import contextlib
        files = contextlib.ExitStack()
        atexit.register(files.close)
        _demo_path = Path(files.enter_context(importlib.resources.as_file(resource)))
    return _demo_path


def __getattr__(name: str) -> Any:
    # The machine classes are imported on first use: `import bt` stays cheap
    # and bt.machine can itself import bt without a cycle.
    if name in _MACHINE_NAMES:
        from . import machine
        return getattr(machine, name)
    if name == "RunStats":
        from .stats import RunStats
        return RunStats
    raise AttributeError(f"module 'bt' has no attribute {name!r}")
