"""Differential oracle: run the same x86 code under Unicorn and under bt.

A test case is a straight-line (or short forward-branching) instruction
sequence in AT&T syntax, assembled with GNU as, ended by HLT. Both engines
start from the same registers, flags and data memory; afterwards the
general registers, the defined arithmetic flags and the data memory must
agree.

Flags an instruction leaves undefined (the SDM's word) are tracked through
the sequence, so that the comparison masks exactly those, and so that a
sequence whose later instruction *reads* an undefined flag is not used.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field

CODE_ADDR = 0x10000
DATA_ADDR = 0x20000
DATA_SIZE = 0x1000
STACK_TOP = 0x30800
STACK_BASE = 0x30000
# ESI points into the data area and no generated instruction writes it,
# so every memory operand lands in memory both engines have.
DATA_PTR = DATA_ADDR + 0x400

REGS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
ARITH = CF | PF | AF | ZF | SF | OF
DF = 0x400


class AssemblyError(Exception):
    pass


def assemble(source: str) -> bytes:
    """Assemble AT&T source for address CODE_ADDR into flat bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.S")
        obj = os.path.join(tmp, "t.o")
        out = os.path.join(tmp, "t.bin")
        with open(src, "w") as f:
            f.write(".code32\n.text\n" + source + "\n")
        r = subprocess.run(["as", "--32", "-o", obj, src], capture_output=True, text=True)
        if r.returncode:
            raise AssemblyError(r.stderr.strip())
        r = subprocess.run(["ld", "-m", "elf_i386", f"-Ttext=0x{CODE_ADDR:x}",
                            "--oformat=binary", "-o", out, obj],
                           capture_output=True, text=True)
        if r.returncode:
            raise AssemblyError(r.stderr.strip())
        with open(out, "rb") as f:
            return f.read()


@dataclass
class Outcome:
    regs: dict[str, int]
    eflags: int
    data: bytes
    stack: bytes
    fault: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


def run_unicorn(code: bytes, regs: dict[str, int], eflags: int, data: bytes) -> Outcome:
    from unicorn import Uc, UcError, UC_ARCH_X86, UC_MODE_32
    from unicorn import x86_const as X

    uc = Uc(UC_ARCH_X86, UC_MODE_32)
    uc.mem_map(CODE_ADDR, 0x10000)
    uc.mem_map(DATA_ADDR, 0x10000)
    uc.mem_map(STACK_BASE, 0x10000)
    uc.mem_write(CODE_ADDR, code)
    uc.mem_write(DATA_ADDR, data)
    ids = {r: getattr(X, f"UC_X86_REG_{r.upper()}") for r in REGS}
    for r, v in regs.items():
        uc.reg_write(ids[r], v)
    uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
    end = CODE_ADDR + len(code) - 1          # the final HLT
    fault = None
    try:
        uc.emu_start(CODE_ADDR, end, count=100000)
    except UcError as e:
        fault = str(e)
    out = Outcome({r: uc.reg_read(ids[r]) for r in REGS}, uc.reg_read(X.UC_X86_REG_EFLAGS),
                  bytes(uc.mem_read(DATA_ADDR, DATA_SIZE)),
                  bytes(uc.mem_read(STACK_BASE, STACK_TOP - STACK_BASE + 0x100)), fault)
    out.extra["eip"] = uc.reg_read(X.UC_X86_REG_EIP)
    return out


def run_bt(code: bytes, regs: dict[str, int], eflags: int, data: bytes) -> Outcome:
    import bt

    engine_mod = bt.load_engine()
    e = engine_mod.Engine(0x100000, cache_bytes=1 << 20)
    e.write_phys(CODE_ADDR, code)
    e.write_phys(DATA_ADDR, data)
    for r, v in regs.items():
        e.set_reg(r, v)
    e.set_reg("eflags", eflags)
    e.set_reg("eip", CODE_ADDR)
    reason = e.run(100000)
    fault = None
    if reason == engine_mod.EXIT_FAULT:
        fault = e.fault_message
    elif reason != engine_mod.EXIT_HALT:
        fault = f"exit reason {reason}"
    out = Outcome({r: e.get_reg(r) for r in REGS}, e.get_reg("eflags"),
                  e.read_phys(DATA_ADDR, DATA_SIZE),
                  e.read_phys(STACK_BASE, STACK_TOP - STACK_BASE + 0x100), fault)
    out.extra["eip"] = e.get_reg("eip")
    return out


NATIVE_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "native_oracle.c")
NATIVE_BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "build", "native_oracle")


def native_oracle() -> str:
    """Build (once) the harness that runs code on the host CPU in a 32-bit process."""
    if not os.path.exists(NATIVE_BIN) or os.path.getmtime(NATIVE_BIN) < os.path.getmtime(NATIVE_SRC):
        os.makedirs(os.path.dirname(NATIVE_BIN), exist_ok=True)
        r = subprocess.run(["gcc", "-m32", "-O1", "-no-pie", "-fno-pie", "-o", NATIVE_BIN,
                            NATIVE_SRC], capture_output=True, text=True)
        if r.returncode:
            raise AssemblyError(r.stderr.strip())
    return NATIVE_BIN


def run_native(code: bytes, regs: dict[str, int], eflags: int, data: bytes) -> Outcome:
    """The hardware oracle: the same code and state on the host CPU."""
    import struct
    blob = (struct.pack("<8I", *(regs.get(r, 0) for r in REGS)) + struct.pack("<II", eflags, len(code))
            + code + data)
    p = subprocess.run([native_oracle()], input=blob, capture_output=True, timeout=30)
    out = p.stdout
    if p.returncode != 0 or len(out) < 8 + 36 + DATA_SIZE:
        raise RuntimeError(f"native oracle failed ({p.returncode}): {p.stderr!r}")
    status, rest = out[:8].decode(), out[8:]
    vals = struct.unpack("<9I", rest[:36])
    data_out = rest[36:36 + DATA_SIZE]
    stack = rest[36 + DATA_SIZE:]
    fault = None if status.startswith("ok") else status
    o = Outcome(dict(zip(REGS, vals[:8])), vals[8], data_out, stack, fault)
    if fault:
        o.extra["eip"] = int(status[1:].strip("\x00 "), 16)
    return o
