#!/usr/bin/env python3
"""Build the benchmark workloads: one object file each, linked twice.

Every benchmarks/workloads/NAME.c is compiled ONCE to build/obj/NAME.o with
freestanding flags, then linked

  * with native_main.c into build/native/NAME, a hosted 32-bit Linux program;
  * with guest_main.c and the guest runtime (guests/runtime: start.S, serial
    console, poweroff) into build/guest/NAME.elf, a Multiboot kernel that
    runs under bt, QEMU (TCG) and KVM alike,

so that native and guest runs execute exactly the same workload machine code
(DESIGN.md, "Native versus translated").

The nanobenchmarks (benchmarks/nano/) are built the same way: nano.S (the
timed loops) and nano_core.c (the table and the measurement) are compiled
once and linked with nano_native.c into build/native/nano and with
nano_guest.c and the guest runtime into build/guest/nano.elf.

Usage:
    python3 benchmarks/build.py               build every workload (incremental)
    python3 benchmarks/build.py NAME...       build only these
    python3 benchmarks/build.py --force       rebuild everything
    python3 benchmarks/build.py --nano        build only the nanobenchmarks
    python3 benchmarks/build.py --list        list the workloads

From Python (benchmarks/ is not a package)::

    mod = runpy.run_path("benchmarks/build.py")
    arts = mod["build"](["mix"])              # {name: Artifacts}
    arts["mix"].native, arts["mix"].guest
    nano = mod["build_nano"]()                # Artifacts of the nanobenchmarks

Only the standard library is used. gcc with gcc-multilib is required.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import runpy
import shutil
import subprocess
import sys
import threading
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORKLOAD_DIR = BENCH_DIR / "workloads"
DEFAULT_OUT_DIR = BENCH_DIR / "build"
GUESTS_BUILD = REPO / "guests" / "build.py"
NATIVE_MAIN = BENCH_DIR / "native_main.c"
GUEST_MAIN = BENCH_DIR / "guest_main.c"
NANO_DIR = BENCH_DIR / "nano"

CC = os.environ.get("CC", "gcc")

# The workload object: freestanding, no PIC, no builtins, no SSE (i686), so
# the same bytes link into a Linux program and into a bare-metal kernel.
WORKLOAD_CFLAGS = [
    "-m32", "-march=i686", "-O2", "-ffreestanding", "-fno-pic", "-fno-pie",
    "-fno-builtin", "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-tree-loop-distribute-patterns",   # never turn a loop into a memset call
    "-fcf-protection=none", "-g0",
    "-Wall", "-Wextra", "-Wno-unused-parameter",
]
NATIVE_CFLAGS = ["-m32", "-march=i686", "-O2", "-fno-pie", "-Wall", "-Wextra", "-g0"]
NATIVE_LDFLAGS = ["-m32", "-no-pie"]

# Undefined symbols a workload object may have: libgcc's helpers, which both
# links resolve from the same libgcc.a. Anything else (memset, memcpy...)
# would bind to glibc natively and to the guest runtime in the kernel, and
# the two sides would no longer run the same code.
_LIBGCC_SYMBOL = re.compile(r"^__(u?(div|mod)di3|u?divmoddi4|(ash|lsh)[lr]di3|muldi3|"
                            r"(clz|ctz|popcount|parity|ffs)[sd]i2|bswap[sd]i2|cmpdi2|ucmpdi2)$")

_WORKLOAD_RE = re.compile(
    r'^\s*WORKLOAD\(\s*"([A-Za-z0-9_]+)"\s*,\s*(\d+)\s*,\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)


class BuildError(RuntimeError):
    """A build step failed; str(err) explains it (first line is a summary)."""


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    default_iterations: int
    about: str
    source: Path


@dataclasses.dataclass(frozen=True)
class Artifacts:
    name: str
    obj: Path          # the one compiled workload object
    native: Path       # hosted 32-bit Linux executable
    guest: Path        # Multiboot ELF kernel


# ------------------------------------------------------------------ workloads

def workloads() -> dict[str, Workload]:
    """The workload table, read from the WORKLOAD(...) line of each source file."""
    table: dict[str, Workload] = {}
    for src in sorted(WORKLOAD_DIR.glob("*.c")):
        m = _WORKLOAD_RE.search(src.read_text(encoding="utf-8"))
        if m is None:
            raise BuildError(f"{src}: no WORKLOAD(\"name\", iterations, \"about\") line")
        name, iters, about = m.group(1), int(m.group(2)), m.group(3)
        if name != src.stem:
            raise BuildError(f"{src}: WORKLOAD name '{name}' differs from the file name")
        table[name] = Workload(name, iters, about, src)
    return table


# ------------------------------------------------------------------ toolchain

_checked = False


def check_toolchain() -> None:
    """Raise BuildError (one clear line) unless gcc can build 32-bit programs."""
    global _checked
    if _checked:
        return
    if shutil.which(CC) is None:
        raise BuildError(f"'{CC}' not found: install gcc and gcc-multilib "
                         "(apt-get install gcc gcc-multilib)")
    for what, arg in (("32-bit libgcc", "-print-libgcc-file-name"),
                      ("32-bit C runtime (crt1.o)", "-print-file-name=crt1.o")):
        try:
            out = subprocess.run([CC, "-m32", arg], capture_output=True, text=True,
                                 check=False).stdout.strip()
        except OSError as e:
            raise BuildError(f"cannot run {CC}: {e}") from None
        if not out or not os.path.isabs(out) or not os.path.isfile(out):
            raise BuildError(f"gcc -m32 has no {what}: install gcc-multilib "
                             "(apt-get install gcc-multilib)")
    if not GUESTS_BUILD.is_file():
        raise BuildError(f"{GUESTS_BUILD} not found: the guest runtime is needed to link "
                         "the benchmark kernels")
    _checked = True


def have_toolchain() -> bool:
    try:
        check_toolchain()
    except BuildError:
        return False
    return True


_guest_mod: dict | None = None


def _guests() -> dict:
    """guests/build.py as a module namespace: the runtime and how guests link."""
    global _guest_mod
    if _guest_mod is None:
        _guest_mod = runpy.run_path(str(GUESTS_BUILD), run_name="guests_build")
    return _guest_mod


# ------------------------------------------------------------------- building

def _run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise BuildError(f"command failed: {' '.join(cmd)}\n{msg}")
    if p.stderr.strip():                       # warnings: show them, go on
        sys.stderr.write(p.stderr)
    return p.stdout


def _mtime(p: Path) -> float:
    return p.stat().st_mtime if p.exists() else -1.0


def _stale(target: Path, deps: list[Path]) -> bool:
    t = _mtime(target)
    return t < 0 or any(_mtime(d) > t for d in deps)


def _atomic(cmd_for, out: Path) -> None:
    """Run cmd_for(tmp_path), then rename tmp to out (no half-written outputs)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    _run(cmd_for(tmp))
    os.replace(tmp, out)


def _check_undefined(obj: Path, name: str) -> None:
    nm = shutil.which("nm")
    if nm is None:
        return
    out = _run([nm, "-u", str(obj)])
    bad = [line.split()[-1] for line in out.splitlines()
           if line.strip() and not _LIBGCC_SYMBOL.match(line.split()[-1])]
    if bad:
        raise BuildError(f"workload {name} calls {', '.join(bad)}: a workload may only use "
                         "libgcc helpers, or native and guest would run different code")


def build(names=None, force: bool = False, out_dir=None, jobs: int | None = None
          ) -> dict[str, Artifacts]:
    """Build the workloads (all, or `names`); return {name: Artifacts}.

    Incremental: each output is rebuilt only when something it depends on
    (sources, bench.h, the drivers, the guest runtime, this script) is newer.
    """
    check_toolchain()
    table = workloads()
    names = list(table) if names is None else list(names)
    for n in names:
        if n not in table:
            raise BuildError(f"unknown workload '{n}' (known: {', '.join(table)})")
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR
    objdir = out / "obj"
    objdir.mkdir(parents=True, exist_ok=True)
    if force:
        for p in list(objdir.rglob("*.o")) + list((out / "native").glob("*")) + \
                list((out / "guest").glob("*.elf")):
            p.unlink()

    g = _guests()
    header = WORKLOAD_DIR / "bench.h"
    script = Path(__file__).resolve()
    runtime_dir = Path(g["RUNTIME_DIR"])
    runtime_files = sorted(p for p in runtime_dir.rglob("*") if p.is_file())
    runtime_objs = [Path(p) for p in g["build_runtime"](out)]   # out/obj/runtime/*.o

    native_main_o = objdir / "native_main.o"
    if _stale(native_main_o, [NATIVE_MAIN, header, script]):
        _atomic(lambda t: [CC, *NATIVE_CFLAGS, "-c", str(NATIVE_MAIN), "-o", str(t)],
                native_main_o)
    guest_main_o = objdir / "guest_main.o"
    if _stale(guest_main_o, [GUEST_MAIN, header, script, GUESTS_BUILD, *runtime_files]):
        _atomic(lambda t: [CC, *g["BASE_CFLAGS"], "-O2", "-I", str(BENCH_DIR),
                           "-c", str(GUEST_MAIN), "-o", str(t)], guest_main_o)
    libgcc = g["libgcc"]()

    def one(name: str) -> Artifacts:
        w = table[name]
        obj = objdir / f"{name}.o"
        if _stale(obj, [w.source, header, script]):
            _atomic(lambda t: [CC, *WORKLOAD_CFLAGS, "-c", str(w.source), "-o", str(t)], obj)
            _check_undefined(obj, name)
        native = out / "native" / name
        if _stale(native, [obj, native_main_o]):
            _atomic(lambda t: [CC, *NATIVE_LDFLAGS, "-o", str(t), str(native_main_o), str(obj)],
                    native)
        guest = out / "guest" / f"{name}.elf"
        if _stale(guest, [obj, guest_main_o, *runtime_objs, GUESTS_BUILD]):
            # Linked exactly as guests/build.py links the test guests:
            # runtime objects first (start.S leads, for the Multiboot header).
            _atomic(lambda t: [CC, *g["LDFLAGS"], "-o", str(t), *map(str, runtime_objs),
                               str(guest_main_o), str(obj), libgcc], guest)
        return Artifacts(name, obj, native, guest)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as ex:
        futs = {n: ex.submit(one, n) for n in names}
        return {n: f.result() for n, f in futs.items()}


def build_nano(force: bool = False, out_dir=None) -> Artifacts:
    """Build the nanobenchmarks: build/native/nano and build/guest/nano.elf
    (Artifacts.obj: nano.o, the loops and the measurement that both link).
    Incremental like build()."""
    check_toolchain()
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR
    objdir = out / "obj" / "nano"
    native = out / "native" / "nano"
    guest = out / "guest" / "nano.elf"
    if force:
        for p in [*objdir.glob("*.o"), native, guest]:
            p.unlink(missing_ok=True)
    g = _guests()
    script = Path(__file__).resolve()
    headers = sorted(NANO_DIR.glob("*.h"))
    runtime_dir = Path(g["RUNTIME_DIR"])
    runtime_files = sorted(p for p in runtime_dir.rglob("*") if p.is_file())
    runtime_objs = [Path(p) for p in g["build_runtime"](out)]
    inc = ["-I", str(NANO_DIR)]

    def compile_(src: Path, obj: Path, flags: list[str], extra_deps=()) -> Path:
        if _stale(obj, [src, *headers, script, *extra_deps]):
            _atomic(lambda t: [CC, *flags, *inc, "-c", str(src), "-o", str(t)], obj)
        return obj

    # Compiled once and combined into one relocatable object (nano.o), which
    # is linked into both programs: the same bytes everywhere.
    parts = [compile_(NANO_DIR / "nano.S", objdir / "loops.o", WORKLOAD_CFLAGS),
             compile_(NANO_DIR / "nano_core.c", objdir / "nano_core.o", WORKLOAD_CFLAGS)]
    nano_o = objdir / "nano.o"
    if _stale(nano_o, parts):
        _atomic(lambda t: [CC, "-m32", "-nostdlib", "-r", "-o", str(t), *map(str, parts)],
                nano_o)
        _check_undefined(nano_o, "nano")
    shared = [nano_o]
    native_o = compile_(NANO_DIR / "nano_native.c", objdir / "nano_native.o", NATIVE_CFLAGS)
    guest_o = compile_(NANO_DIR / "nano_guest.c", objdir / "nano_guest.o",
                       [*g["BASE_CFLAGS"], "-O2"], [GUESTS_BUILD, *runtime_files])
    if _stale(native, [native_o, *shared]):
        _atomic(lambda t: [CC, *NATIVE_LDFLAGS, "-o", str(t), str(native_o),
                           *map(str, shared)], native)
    if _stale(guest, [guest_o, *shared, *runtime_objs, GUESTS_BUILD]):
        _atomic(lambda t: [CC, *g["LDFLAGS"], "-o", str(t), *map(str, runtime_objs),
                           str(guest_o), *map(str, shared), g["libgcc"]()], guest)
    return Artifacts("nano", shared[0], native, guest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Build the bt benchmark workloads "
                                 "(native programs and guest kernels).")
    ap.add_argument("names", nargs="*", help="workloads to build (default: all)")
    ap.add_argument("--out", default=None, help="output directory (default benchmarks/build)")
    ap.add_argument("--force", action="store_true", help="rebuild everything")
    ap.add_argument("--nano", action="store_true",
                    help="build only the nanobenchmarks (default: workloads and nano)")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = ap.parse_args(argv)
    try:
        if args.list:
            for w in workloads().values():
                print(f"{w.name:10s} {w.default_iterations:8d}  {w.about}")
            return 0
        arts = {} if args.nano else build(args.names or None, force=args.force,
                                          out_dir=args.out)
        if args.nano or not args.names:
            arts["nano"] = build_nano(force=args.force, out_dir=args.out)
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 2
    cwd = Path.cwd()
    for a in arts.values():
        for p in (a.native, a.guest):
            print(p.relative_to(cwd) if p.is_relative_to(cwd) else p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
