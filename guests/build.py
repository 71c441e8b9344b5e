#!/usr/bin/env python3
"""Build the bt guest programs (Multiboot v1 ELF32 kernels) with gcc -m32.

Usage:
    python3 guests/build.py                 build every guest into guests/build/
    python3 guests/build.py NAME...         build only these guests
    python3 guests/build.py --force         rebuild even when up to date
    python3 guests/build.py --list          print the guest table
    python3 guests/build.py --expected      rebuild, then regenerate
                                            guests/expected/NAME.{out,status}
                                            by running each guest under QEMU
    python3 guests/build.py --check         run each guest under QEMU and
                                            compare with guests/expected/

From Python (the guests directory is not a package, so load this file):
    import runpy
    mod = runpy.run_path("guests/build.py")        # __name__ != "__main__"
    paths = mod["build_all"]()                     # {name: path of NAME.elf}
    mod["GUESTS"]["alu"].bt_only                   # the guest table

Only the standard library is used (Python 3.11).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

GUESTS_DIR = Path(__file__).resolve().parent
RUNTIME_DIR = GUESTS_DIR / "runtime"
DEFAULT_OUT_DIR = GUESTS_DIR / "build"
EXPECTED_DIR = GUESTS_DIR / "expected"
DEMO_COPY = GUESTS_DIR.parent / "bt" / "data" / "demo.elf"
LINKER_SCRIPT = RUNTIME_DIR / "link.ld"

CC = os.environ.get("CC", "gcc")

# Flags shared by every compilation (runtime and guests).
BASE_CFLAGS = [
    "-m32", "-march=i686", "-ffreestanding", "-fno-pic", "-fno-pie",
    "-fno-stack-protector", "-fno-builtin", "-fno-asynchronous-unwind-tables",
    "-fno-tree-loop-distribute-patterns",   # never turn memcpy's loop into memcpy
    "-fcf-protection=none", "-g0",
    "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-sign-compare",
    "-Wno-missing-field-initializers",
    "-I", str(RUNTIME_DIR / "include"),
]
RUNTIME_OPT = "-O2"
LDFLAGS = [
    "-m32", "-no-pie", "-nostdlib", "-static",
    "-Wl,--build-id=none", "-Wl,-n", "-Wl,--no-warn-rwx-segments", "-T", str(LINKER_SCRIPT),
]

QEMU = "qemu-system-i386"
QEMU_ARGS = ["-m", "128", "-serial", "stdio", "-display", "none",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot"]
QEMU_TIMEOUT = 20


@dataclasses.dataclass(frozen=True)
class Guest:
    """One guest program.

    sources:  paths relative to guests/ (.c and .S files)
    opt:      the -O level for the guest's own sources
    bt_only:  no QEMU oracle (the guest stops the VM in a way only bt
              reports: halting with interrupts off, an unhandled fault)
    varying:  prefixes of output lines whose text may differ between bt and
              QEMU (e.g. the CPUID vendor string); compare the other lines
    about:    one line for --list and the README
    """
    sources: tuple[str, ...]
    opt: str = "-O2"
    bt_only: bool = False
    varying: tuple[str, ...] = ()
    about: str = ""


def _test(name: str, about: str, opt: str = "-O2", extra: tuple[str, ...] = ()) -> Guest:
    return Guest(sources=(f"tests/{name}.c",) + extra, opt=opt, about=about)


GUESTS: dict[str, Guest] = {
    "mov": _test("mov", "mov (all forms, moffs, high-byte regs), movzx/movsx, cmovcc, xchg, bswap, lea"),
    "alu": _test("alu", "add adc sub sbb and or xor cmp test inc dec neg not: results and flags"),
    "muldiv": _test("muldiv", "mul, imul (1/2/3 operands), div, idiv in 8/16/32 bits"),
    "shift": _test("shift", "shl shr sar rol ror rcl rcr by 1/CL/imm, shld, shrd"),
    "bitops": _test("bitops", "bt bts btr btc (register and memory bit strings), bsf, bsr"),
    "branch": _test("branch", "setcc/jcc (16 conditions), loop*, jecxz, call/ret, indirect jumps, jump tables",
                    extra=("tests/branch_asm.S",)),
    "stack": _test("stack", "push/pop forms, pusha/popa, enter/leave"),
    "misc": _test("misc", "cbw cwde cwd cdq, lahf sahf, flag ops, nop forms, cpuid, rdtsc"),
    "string": _test("string", "movs stos lods cmps scas with rep/repe/repne, both directions"),
    "atomic": _test("atomic", "xadd, cmpxchg, cmpxchg8b, lock prefix"),
    "opsize": _test("opsize", "0x66 operand-size arithmetic and segment-override prefixes"),
    "system": _test("system", "lgdt/sgdt, far jmp/lret, segment loads, lidt, ltr, CRx, cli/sti, in/out, ins/outs, iret",
                    extra=("tests/system_asm.S",)),
    "interrupts": _test("interrupts", "IDT delivery: int n, int3, into, #DE #UD #GP frames, PIT IRQ 0 (BIOS base and remapped)",
                        extra=("tests/interrupts_asm.S",)),
    "descriptors": _test("descriptors", "smsw sldt/lldt str/ltr lar lsl verr verw arpl push cs; segments with a non-zero base (GDT and LDT)"),
    "legacy": _test("legacy", "daa das aaa aas aam aad (all AL values), xlat, bound, pushfw/popfw, pushaw/popaw"),
    "ring0": _test("ring0", "Ring 0 extras: DR0-7 (fixed bits, DR4/5 aliases), CR2 CR3 CR4 CR0 bits, lmsw/clts, "
                   "rdmsr/wrmsr, invd/wbinvd/invlpg, sysenter, popf IOPL/NT/AC/ID",
                   extra=("tests/ring0_asm.S",)),
    "smc": _test("smc", "self-modifying code: patched immediates, same-block patch, generated code"),
    "hlt_cli": Guest(("tests/hlt_cli.c",), bt_only=True, about="prints a line, then cli; hlt (bt stops)"),
    "divzero": Guest(("tests/divzero.c",), bt_only=True, about="divides by zero with no IDT (bt stops cleanly)"),
    "ud": Guest(("tests/ud.c",), bt_only=True, about="executes ud2 with no IDT (bt stops cleanly)"),
    "demo": Guest(("demo/demo.c",), varying=("boot loader:", "CPUID vendor:"),
                  about="the bundled demo: a short tour of what bt virtualizes"),
}
for _lvl in ("O0", "O1", "O2", "O3"):
    GUESTS[f"compute_{_lvl}"] = Guest(
        sources=("tests/compute.c",), opt=f"-{_lvl}",
        about=f"C workload (sort, CRC32, sieve, hashing, 64-bit math) at -{_lvl}")


class BuildError(RuntimeError):
    """A build step failed; str(err) is a one-line explanation."""


# ---------------------------------------------------------------- toolchain

_toolchain_checked = False


def check_toolchain() -> None:
    """Fail with one clear line unless gcc can build 32-bit freestanding code."""
    global _toolchain_checked
    if _toolchain_checked:
        return
    if shutil.which(CC) is None:
        raise BuildError(f"'{CC}' not found: install gcc and gcc-multilib (apt-get install gcc gcc-multilib)")
    try:
        out = subprocess.run([CC, "-m32", "-print-libgcc-file-name"], capture_output=True,
                             text=True, check=False).stdout.strip()
    except OSError as e:
        raise BuildError(f"cannot run {CC}: {e}") from None
    if not out or not os.path.isabs(out) or not os.path.isfile(out):
        raise BuildError("gcc -m32 has no 32-bit libgcc: install gcc-multilib (apt-get install gcc-multilib)")
    _toolchain_checked = True


def libgcc() -> str:
    return subprocess.run([CC, "-m32", "-print-libgcc-file-name"], capture_output=True,
                          text=True, check=True).stdout.strip()


def _run(cmd: list[str]) -> None:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise BuildError(f"command failed: {' '.join(cmd)}\n{msg}")
    if p.stderr.strip():                      # warnings: show them, keep going
        sys.stderr.write(p.stderr)


# ------------------------------------------------------------------ building

def _newest_mtime(paths) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _runtime_files() -> list[Path]:
    return sorted(p for p in RUNTIME_DIR.rglob("*") if p.is_file())


def _header_deps(guest: Guest) -> list[Path]:
    """Headers next to the guest's sources (e.g. tests/common.h)."""
    dirs = {(GUESTS_DIR / s).parent for s in guest.sources}
    return sorted(h for d in dirs for h in d.glob("*.h"))


def _obj_name(src: Path) -> str:
    rel = src.relative_to(GUESTS_DIR)
    return "_".join(rel.with_suffix("").parts) + ".o"


def _compile(src: Path, obj: Path, opt: str, deps_mtime: float) -> Path:
    if obj.exists() and obj.stat().st_mtime >= max(src.stat().st_mtime, deps_mtime):
        return obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    _run([CC, *BASE_CFLAGS, opt, "-c", str(src), "-o", str(obj)])
    return obj


def build_runtime(out_dir: Path) -> list[Path]:
    """Compile the runtime once (at RUNTIME_OPT) into out_dir/obj/runtime."""
    deps = _newest_mtime(_runtime_files() + [Path(__file__)])
    srcs = sorted(RUNTIME_DIR.glob("*.c")) + sorted(RUNTIME_DIR.glob("*.S"))
    # start.S first so that the Multiboot header leads .text
    srcs.sort(key=lambda p: (p.name != "start.S", p.name))
    return [_compile(s, out_dir / "obj" / "runtime" / _obj_name(s), RUNTIME_OPT, deps)
            for s in srcs]


def build_guest(name: str, out_dir: Path, runtime_objs: list[Path], force: bool = False) -> Path:
    guest = GUESTS[name]
    out = out_dir / f"{name}.elf"
    srcs = [GUESTS_DIR / s for s in guest.sources]
    for s in srcs:
        if not s.is_file():
            raise BuildError(f"guest {name}: missing source {s}")
    deps = srcs + _header_deps(guest) + _runtime_files() + runtime_objs + [Path(__file__)]
    if not force and out.exists() and out.stat().st_mtime >= _newest_mtime(deps):
        return out
    objdir = out_dir / "obj" / name
    objs = []
    hdr_mtime = _newest_mtime(_header_deps(guest) + _runtime_files() + [Path(__file__)])
    for s in srcs:
        obj = objdir / _obj_name(s)
        if force and obj.exists():
            obj.unlink()
        objs.append(_compile(s, obj, guest.opt, hdr_mtime))
    tmp = out.with_suffix(".elf.tmp")
    _run([CC, *LDFLAGS, "-o", str(tmp), *map(str, runtime_objs), *map(str, objs), libgcc()])
    os.replace(tmp, out)
    return out


def build_all(out_dir=None, names=None, force: bool = False, jobs: int | None = None) -> dict[str, Path]:
    """Build the guests (all, or `names`); return {name: path to NAME.elf}.

    Incremental: a guest is relinked only when one of its sources, a header
    beside them, a runtime file or this script is newer than its ELF.
    The demo is also copied to bt/data/demo.elf when out_dir is the default.
    Raises BuildError with a one-line message when the toolchain is missing.
    """
    check_toolchain()
    out_dir = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR
    names = list(GUESTS) if names is None else list(names)
    for n in names:
        if n not in GUESTS:
            raise BuildError(f"unknown guest '{n}' (see --list)")
    out_dir.mkdir(parents=True, exist_ok=True)
    if force:
        for o in (out_dir / "obj" / "runtime").glob("*.o"):
            o.unlink()
    runtime_objs = build_runtime(out_dir)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as ex:
        futs = {n: ex.submit(build_guest, n, out_dir, runtime_objs, force) for n in names}
        result = {n: f.result() for n, f in futs.items()}
    if "demo" in result and out_dir.resolve() == DEFAULT_OUT_DIR.resolve():
        if DEMO_COPY.parent.is_dir():
            if not DEMO_COPY.exists() or DEMO_COPY.read_bytes() != result["demo"].read_bytes():
                shutil.copyfile(result["demo"], DEMO_COPY)
    return result


# ---------------------------------------------------------------------- QEMU

def qemu_command(image) -> list[str]:
    return [QEMU, "-kernel", str(image), *QEMU_ARGS]


def run_qemu(image, timeout: float = QEMU_TIMEOUT) -> tuple[bytes, int]:
    """Run one image under qemu-system-i386; return (serial output, exit status).

    The status is QEMU's: 0 after the ACPI power-off, (v << 1) | 1 after a
    write of v to the isa-debug-exit port. A timeout raises BuildError.
    """
    if shutil.which(QEMU) is None:
        raise BuildError(f"{QEMU} not found (apt-get install qemu-system-x86)")
    try:
        p = subprocess.run(qemu_command(image), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{image}: QEMU did not finish within {timeout} s") from None
    return p.stdout, p.returncode


def write_expected(paths: dict[str, Path]) -> None:
    EXPECTED_DIR.mkdir(exist_ok=True)
    for name, path in paths.items():
        if GUESTS[name].bt_only:
            continue
        out, status = run_qemu(path)
        (EXPECTED_DIR / f"{name}.out").write_bytes(out)
        (EXPECTED_DIR / f"{name}.status").write_text(f"{status}\n")
        print(f"expected  {name:12s} status {status:3d}  {len(out.splitlines()):5d} lines")


def check_expected(paths: dict[str, Path]) -> int:
    bad = 0
    for name, path in paths.items():
        if GUESTS[name].bt_only:
            continue
        out, status = run_qemu(path)
        exp_out = (EXPECTED_DIR / f"{name}.out").read_bytes()
        exp_status = int((EXPECTED_DIR / f"{name}.status").read_text())
        ok = out == exp_out and status == exp_status
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {name:12s} status {status}")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Build the bt guest programs.")
    ap.add_argument("names", nargs="*", help="guests to build (default: all)")
    ap.add_argument("--out", default=None, help="output directory (default guests/build)")
    ap.add_argument("--force", action="store_true", help="rebuild everything")
    ap.add_argument("--list", action="store_true", help="list the guests and exit")
    ap.add_argument("--expected", action="store_true",
                    help="regenerate guests/expected/ by running the guests under QEMU")
    ap.add_argument("--check", action="store_true",
                    help="compare QEMU's output with guests/expected/")
    args = ap.parse_args(argv)

    if args.list:
        for n, g in GUESTS.items():
            tags = ",".join(t for t, on in (("bt-only", g.bt_only), ("varying", bool(g.varying))) if on)
            print(f"{n:12s} {g.opt:4s} {tags or '-':8s} {g.about}")
        return 0
    try:
        paths = build_all(args.out, args.names or None, force=args.force)
        if args.expected:
            write_expected(paths)
            return 0
        if args.check:
            return 1 if check_expected(paths) else 0
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 2
    for n, p in paths.items():
        print(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
