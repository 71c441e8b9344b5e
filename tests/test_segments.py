"""Real segmentation: descriptors from the guest's GDT fill the hidden
caches, the address path adds the base and checks the limit."""
from __future__ import annotations

import struct

import pytest

import bt
from oracle import assemble

GDT = 0x8000
CODE = 0x10000


def descriptor(base: int, limit: int, access: int, flags: int) -> bytes:
    lo = (limit & 0xFFFF) | ((base & 0xFFFF) << 16)
    hi = ((base >> 16) & 0xFF) | (access << 8) | (limit & 0xF0000) | (flags << 20) | (base & 0xFF000000)
    return struct.pack("<II", lo, hi)


def machine(source: str):
    eng = bt.load_engine()
    e = eng.Engine(1 << 20, cache_bytes=1 << 16)
    gdt = (bytes(8)
           + descriptor(0, 0xFFFFF, 0x9B, 0xC)          # 0x08 flat code
           + descriptor(0, 0xFFFFF, 0x93, 0xC)          # 0x10 flat data
           + descriptor(0x20000, 0xFFF, 0x93, 0x4)      # 0x18 data: base 0x20000, limit 4 KiB - 1 (byte granular)
           + descriptor(0x30000, 0x0FFF, 0x97, 0x4)     # 0x20 expand-down data: valid offsets 0x1000..0xFFFFFFFF
           + descriptor(0, 0xFFFFF, 0x13, 0xC)          # 0x28 not present
           + descriptor(0, 0xFFFFF, 0x9B, 0xC)          # 0x30 execute/read code
           + descriptor(0, 0xFFFFF, 0x99, 0xC)          # 0x38 execute-only code
           + descriptor(0, 0xFFFFF, 0x90, 0xC)          # 0x40 read-only data, not accessed yet
           + descriptor(0, 0xFFFFF, 0xF3, 0xC)          # 0x48 DPL 3 data
           + descriptor(0, 0xFFFFF, 0xFB, 0xC))         # 0x50 DPL 3 code
    e.write_phys(GDT, gdt)
    e.set_reg("gdtr_base", GDT)
    e.set_reg("gdtr_limit", len(gdt) - 1)
    e.write_phys(0x20000, struct.pack("<I", 0x11223344))
    e.write_phys(0x20FFC, struct.pack("<I", 0x55667788))
    e.write_phys(CODE, assemble_at(source + "\nhlt\n"))
    e.set_reg("eip", CODE)
    e.set_reg("esp", 0x9000)
    return eng, e


def assemble_at(source: str) -> bytes:
    import oracle
    old = oracle.CODE_ADDR
    oracle.CODE_ADDR = CODE
    try:
        return assemble(source)
    finally:
        oracle.CODE_ADDR = old


def test_base_is_added_and_the_selector_reads_back():
    eng, e = machine("mov $0x18, %ax\nmov %ax, %ds\nmov 0, %ebx\nmov 0xffc, %ecx\nmov %ds, %edx")
    assert e.run(100) == eng.EXIT_HALT
    assert e.get_reg("ebx") == 0x11223344
    assert e.get_reg("ecx") == 0x55667788
    assert e.get_reg("edx") == 0x18
    assert e.get_segment("ds") == (0x18, 0x20000, 0xFFF, 0x493)


@pytest.mark.parametrize("access", ["mov 0xffd, %eax", "mov 0x1000, %al", "movl $1, 0x2000"])
def test_beyond_the_limit_is_a_general_protection_fault(access):
    eng, e = machine(f"mov $0x18, %ax\nmov %ax, %ds\nmov $7, %ebx\n{access}\nmov $9, %ebx")
    assert e.run(100) == eng.EXIT_FAULT
    assert "#GP" in e.fault_message
    assert e.get_reg("ebx") == 7                # precise: nothing after the access ran
    assert e.get_reg("eip") == e.fault_eip
    assert e.icount == 3                      # the faulting access did not complete


def test_expand_down_segment_valid_above_the_limit():
    eng, e = machine("mov $0x20, %ax\nmov %ax, %es\nmovl $5, %es:0x1000\nmovl $6, %es:0xfff")
    assert e.run(100) == eng.EXIT_FAULT
    assert e.read_phys(0x31000, 4) == struct.pack("<I", 5)
    assert "#GP" in e.fault_message


def test_null_data_segment_faults_on_use_not_on_load():
    eng, e = machine("xor %eax, %eax\nmov %ax, %fs\nmov $3, %ecx\nmov %fs:0, %ebx")
    assert e.run(100) == eng.EXIT_FAULT
    assert e.get_reg("ecx") == 3 and "#GP" in e.fault_message


def test_not_present_segment_cannot_be_loaded():
    eng, e = machine("mov $0x28, %ax\nmov %ax, %gs")
    assert e.run(100) == eng.EXIT_FAULT
    assert "#NP (error code 0x28)" in e.fault_message


@pytest.mark.parametrize("source,ok", [
    ("mov $0x30, %ax\nmov %ax, %ds", True),        # readable code into DS
    ("mov $0x38, %ax\nmov %ax, %ds", False),       # execute-only code into DS
    ("mov $0x40, %ax\nmov %ax, %es", True),        # read-only data into ES
    ("mov $0x40, %ax\nmov %ax, %ss", False),       # SS must be writable
    ("mov $0x48, %ax\nmov %ax, %ss", False),       # SS DPL must equal CPL
    ("mov $0x48, %ax\nmov %ax, %fs", True),        # DPL 3 data from CPL 0
    ("mov $0x13, %ax\nmov %ax, %ss", False),       # SS RPL must equal CPL
    ("xor %ax, %ax\nmov %ax, %ss", False),         # null SS
    ("ljmp $0x50, $0x10020", False),                # far JMP to another ring
    ("ljmp $0x10, $0x10020", False),                # far JMP to data
])
def test_segment_load_checks(source, ok):
    eng, e = machine(source)
    reason = e.run(100)
    if ok:
        assert reason == eng.EXIT_HALT, e.fault_message
    else:
        assert reason == eng.EXIT_FAULT
        assert e.get_reg("eip") == e.fault_eip      # precise: on the faulting load


def test_a_load_sets_the_accessed_bit():
    eng, e = machine("mov $0x40, %ax\nmov %ax, %ds")
    assert e.read_phys(GDT + 0x40 + 5, 1)[0] == 0x90
    assert e.run(100) == eng.EXIT_HALT
    assert e.read_phys(GDT + 0x40 + 5, 1)[0] == 0x91
    assert e.get_segment("ds")[3] & 0xFF == 0x91


def test_flat_segments_need_no_checks_after_reload():
    eng, e = machine("mov $0x18, %ax\nmov %ax, %ds\nmov $0x10, %ax\nmov %ax, %ds\nmov 0xfff00, %ebx")
    assert e.run(100) == eng.EXIT_HALT
