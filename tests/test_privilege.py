"""Privilege and IOPL checks of the callouts, at a virtual CPL above 0.

Ring transitions come with the protected-mode work; here the virtual CPL is
set directly (Engine.set_reg("cpl")) to check that every privileged callout
raises #GP(0) through the one fault path, and that the IOPL-sensitive ones
follow IOPL and the TSS I/O permission bitmap.
"""
from __future__ import annotations

import struct

import pytest

import bt
from oracle import assemble
from test_sensitive_coverage import PRIVILEGED

CODE = 0x10000
TSS = 0x9000


def engine_at(source: str, cpl: int, iopl: int = 0, eflags_if: bool = True):
    eng = bt.load_engine()
    e = eng.Engine(1 << 20, cache_bytes=1 << 16)
    e.write_phys(CODE, assemble_at(source))
    e.set_reg("eip", CODE)
    e.set_reg("esp", 0x8000)
    e.set_reg("eflags", 0x2 | (iopl << 12) | (0x200 if eflags_if else 0))
    e.set_reg("cpl", cpl)
    return eng, e


def assemble_at(source: str) -> bytes:
    import oracle
    old, oracle.CODE_ADDR = oracle.CODE_ADDR, CODE
    try:
        return assemble(source + "\nnop\n")
    finally:
        oracle.CODE_ADDR = old


# rdtsc and cpuid are allowed in Ring 3 (CR4.TSD clear); the I/O ones follow IOPL.
RING0_ONLY = [(src, kind) for src, kind in PRIVILEGED
              if kind not in ("rdtsc", "cpuid", "cli", "sti", "in", "out", "ins", "outs",
                              "sysenter", "rdpmc")]


@pytest.mark.parametrize("source,kind", RING0_ONLY, ids=[c[0] for c in RING0_ONLY])
def test_privileged_instruction_faults_above_ring0(source, kind):
    eng, e = engine_at(source, cpl=3)
    assert e.run(10) == eng.EXIT_FAULT
    assert "#GP (error code 0x0)" in e.fault_message
    assert e.fault_eip == CODE and e.get_reg("eip") == CODE
    assert e.icount == 0


@pytest.mark.parametrize("source", ["cli", "sti", "in $0x80, %al", "out %al, $0x80",
                                    "rep insb", "outsb"])
def test_iopl_sensitive_instructions(source):
    eng, e = engine_at(f"mov $0x20000, %edi\nmov $0x20000, %esi\nmov $1, %ecx\n{source}", cpl=3, iopl=0)
    assert e.run(10) == eng.EXIT_FAULT and "#GP" in e.fault_message
    eng, e = engine_at(f"mov $0x20000, %edi\nmov $0x20000, %esi\nmov $1, %ecx\n{source}", cpl=3, iopl=3)
    assert e.run(4) == eng.EXIT_BUDGET and e.icount == 4


def test_popf_keeps_if_and_iopl_silently_above_ring0():
    # The classic reason x86 needs binary translation: no fault, no effect.
    eng, e = engine_at("pushl $0x3002\npopf\npushf\npopl %eax", cpl=3, iopl=0, eflags_if=True)
    e.run(4)
    assert e.get_reg("eax") & 0x3200 == 0x0200          # IF still 1, IOPL still 0
    eng, e = engine_at("pushl $0x3002\npopf\npushf\npopl %eax", cpl=0, iopl=0, eflags_if=True)
    e.run(4)
    assert e.get_reg("eax") & 0x3200 == 0x3000          # at CPL 0 both change


def test_io_permission_bitmap_in_the_tss():
    eng, e = engine_at("in $0x80, %al\nin $0x81, %al", cpl=3, iopl=0)
    # A TSS whose bitmap allows port 0x80 only (bit clear = allowed).
    tss = bytearray(0x68 + 0x2000 // 8 + 1)
    struct.pack_into("<H", tss, 0x66, 0x68)
    for i in range(0x2000 // 8):
        tss[0x68 + i] = 0xFF
    tss[0x68 + 0x80 // 8] = 0xFE
    e.write_phys(TSS, bytes(tss))
    gdt = bytes(8) + struct.pack("<II", ((TSS & 0xFFFF) << 16) | (len(tss) - 1),
                                 (TSS >> 16 & 0xFF) | 0x8900 | (TSS & 0xFF000000))
    e.write_phys(0x8800, gdt)
    e.set_reg("gdtr_base", 0x8800)
    e.set_reg("gdtr_limit", 15)
    e.set_reg("cpl", 0)
    ltr = assemble_at("mov $8, %ax\nltr %ax")
    e.write_phys(0x11000, ltr)
    e.set_reg("eip", 0x11000)
    e.run(2)
    e.set_reg("cpl", 3)
    e.set_reg("eip", CODE)
    assert e.run(10) == eng.EXIT_FAULT
    assert e.fault_eip == CODE + 2          # port 0x80 allowed, 0x81 denied
