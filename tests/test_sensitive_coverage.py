"""No sensitive instruction reaches the fast loop as an innocuous micro-op.

Two checks for every instruction in the two lists (sensitive but not
privileged; privileged): the instruction table marks it sensitive with a
callout, and translating real encodings of it gives that callout.
"""
from __future__ import annotations

import re

import pytest
from capstone import x86_const

import bt
from oracle import assemble

# Sensitive but not privileged (AT&T samples, callout kind).
UNPRIVILEGED = [
    ("sgdt (%eax)", "sgdt"), ("sidt (%eax)", "sidt"), ("sldt %ax", "sldt"),
    ("sldt (%eax)", "sldt"), ("str %ax", "str"), ("smsw %ax", "smsw"), ("smsw (%eax)", "smsw"),
    ("pushfw", "pushf"), ("pushfl", "pushf"), ("popfw", "popf"), ("popfl", "popf"),
    ("lar %bx, %eax", "lar"), ("lar (%ebx), %ax", "lar"), ("lsl %bx, %eax", "lsl"),
    ("verr %ax", "verr"), ("verw (%eax)", "verw"),
    ("push %cs", "push_sreg"), ("push %ss", "push_sreg"), ("push %ds", "push_sreg"),
    ("push %es", "push_sreg"), ("push %fs", "push_sreg"), ("push %gs", "push_sreg"),
    ("pop %ss", "pop_sreg"), ("pop %ds", "pop_sreg"), ("pop %es", "pop_sreg"),
    ("pop %fs", "pop_sreg"), ("pop %gs", "pop_sreg"),
    ("mov %ax, %ds", "mov_to_sreg"), ("mov (%eax), %ss", "mov_to_sreg"),
    ("mov %cs, %ax", "mov_from_sreg"), ("mov %gs, (%eax)", "mov_from_sreg"),
    ("lds (%eax), %ebx", "load_far_ptr"), ("les (%eax), %ebx", "load_far_ptr"),
    ("lfs (%eax), %ebx", "load_far_ptr"), ("lgs (%eax), %bx", "load_far_ptr"),
    ("lss (%eax), %ebx", "load_far_ptr"),
    ("lcall $8, $0x1000", "call_far"), ("lcall *(%eax)", "call_far"),
    ("ljmp $8, $0x1000", "jmp_far"), ("ljmp *(%eax)", "jmp_far"),
    ("lret", "retf"), ("lret $8", "retf"),
    ("int $0x80", "int"), ("int3", "int"), ("into", "int"),
    ("iretw", "iret"), ("iretl", "iret"),
]
PRIVILEGED = [
    ("lgdt (%eax)", "lgdt"), ("lidt (%eax)", "lidt"), ("lldt %ax", "lldt"), ("ltr %ax", "ltr"),
    ("lmsw %ax", "lmsw"), ("clts", "clts"),
    *[(f"mov %cr{n}, %eax", "mov_from_cr") for n in (0, 2, 3, 4)],
    *[(f"mov %eax, %cr{n}", "mov_to_cr") for n in (0, 2, 3, 4)],
    *[(f"mov %db{n}, %eax", "mov_from_dr") for n in range(8)],
    *[(f"mov %eax, %db{n}", "mov_to_dr") for n in range(8)],
    ("invd", "invd"), ("wbinvd", "wbinvd"), ("invlpg (%eax)", "invlpg"), ("hlt", "hlt"),
    ("rdmsr", "rdmsr"), ("wrmsr", "wrmsr"), ("rdpmc", "rdpmc"), ("rdtsc", "rdtsc"),
    ("cli", "cli"), ("sti", "sti"),
    ("in $0x80, %al", "in"), ("in %dx, %ax", "in"), ("in %dx, %eax", "in"),
    ("out %al, $0x80", "out"), ("out %ax, %dx", "out"), ("out %eax, %dx", "out"),
    ("insb", "ins"), ("insw", "ins"), ("rep insl", "ins"),
    ("outsb", "outs"), ("outsw", "outs"), ("rep outsl", "outs"),
    ("sysenter", "sysenter"), ("sysexit", "sysexit"), ("cpuid", "cpuid"),
]
CASES = UNPRIVILEGED + PRIVILEGED

# capstone's instruction ids for the mnemonics of both lists.
MNEMONIC_IDS = {
    "sgdt", "sidt", "sldt", "str", "smsw", "pushf", "pushfd", "popf", "popfd", "lar", "lsl",
    "verr", "verw", "lds", "les", "lfs", "lgs", "lss", "lcall", "ljmp", "retf", "int", "int3",
    "into", "iret", "iretd", "lgdt", "lidt", "lldt", "ltr", "lmsw", "clts", "invd", "wbinvd",
    "invlpg", "hlt", "rdmsr", "wrmsr", "rdpmc", "rdtsc", "cli", "sti", "in", "out", "insb",
    "insw", "insd", "outsb", "outsw", "outsd", "sysenter", "sysexit", "cpuid",
}
T_SENSITIVE = 1


@pytest.fixture(scope="module")
def engine():
    return bt.load_engine()


def test_the_table_marks_every_listed_instruction_sensitive(engine):
    table = {ins: (kind, sub, flags, callout) for ins, kind, sub, flags, callout in engine.INSN_TABLE}
    missing = []
    for name in sorted(MNEMONIC_IDS):
        ins = getattr(x86_const, f"X86_INS_{name.upper()}")
        entry = table.get(ins)
        if entry is None or not entry[2] & T_SENSITIVE or entry[3] < 0:
            missing.append(name)
    assert not missing, f"not rewritten into callouts: {missing}"


@pytest.mark.parametrize("source,kind", CASES, ids=[c[0] for c in CASES])
def test_translation_is_the_callout(engine, source, kind):
    code = assemble(source + "\nnop\n")
    e = engine.Engine(1 << 20, cache_bytes=1 << 16)
    e.write_phys(0x10000, code)
    first = e.explain(0x10000).splitlines()[1]
    m = re.search(r"callout (\w+)", first)
    assert first.lstrip().startswith("*") and m, first
    assert m.group(1) == kind, first


def test_mov_and_push_pop_without_system_registers_stay_innocuous(engine):
    code = assemble("mov %eax, %ebx\npush %eax\npop %ecx\nmov (%eax), %edx\nhlt\n")
    e = engine.Engine(1 << 20, cache_bytes=1 << 16)
    e.write_phys(0x10000, code)
    lines = e.explain(0x10000).splitlines()[1:]
    assert [ln.lstrip()[0] for ln in lines] == ["0", "0", "0", "0", "*"]
