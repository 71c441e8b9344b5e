"""Differential tests: Hypothesis-generated instruction sequences run under
bt and under two oracles, Unicorn and the host CPU itself (a 32-bit process
with the same memory layout); registers, defined flags and memory must agree.

The number of cases per oracle is BT_DIFF_EXAMPLES (default 300; CI runs
the default, a long run sets it to thousands).
"""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("unicorn")

from insn_gen import Insn, instruction, undefined_after, value32  # noqa: E402
from oracle import (AF, ARITH, CF, OF, PF, SF, DATA_PTR, DATA_SIZE, DF, STACK_TOP, assemble,  # noqa: E402
                    run_bt, run_native, run_unicorn)

EXAMPLES = int(os.environ.get("BT_DIFF_EXAMPLES", "300"))


def compare(seq: list[Insn], regs: dict[str, int], eflags: int, data: bytes,
            oracle=run_unicorn) -> None:
    undefined = undefined_after(seq)
    assume(undefined is not None)
    source = "\n".join(i.text for i in seq) + "\nhlt\n"
    code = assemble(source)
    want = oracle(code, regs, eflags, data)
    got = run_bt(code, regs, eflags, data)
    listing = source.replace("\n", "; ")
    if want.fault or got.fault:
        # Both must stop on the same instruction (e.g. #DE from IDIV).
        assert bool(want.fault) == bool(got.fault), (listing, want.fault, got.fault)
        assert want.extra["eip"] == got.extra["eip"], (listing, want.fault, got.fault)
        return
    for r in want.regs:
        assert got.regs[r] == want.regs[r], f"{r}: bt {got.regs[r]:#x} unicorn {want.regs[r]:#x} in {listing}"
    mask = (ARITH & ~undefined) | DF
    assert got.eflags & mask == want.eflags & mask, (
        f"eflags: bt {got.eflags:#x} unicorn {want.eflags:#x} mask {mask:#x} in {listing}")
    assert got.data == want.data, f"data memory differs in {listing}"
    assert got.stack == want.stack, f"stack memory differs in {listing}"


RANDOM_CASES = dict(seq=st.lists(instruction(), min_size=1, max_size=6),
                    vals=st.lists(value32(), min_size=6, max_size=6),
                    flags=st.integers(0, ARITH | DF),
                    seed=st.integers(0, 2**32 - 1))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def random_case(seq, vals, flags, seed, oracle) -> None:
    """One generated case: registers from vals, ESI at the data, the stack."""
    regs = dict(zip(["eax", "ecx", "edx", "ebx", "ebp", "edi"], vals))
    regs["esi"] = DATA_PTR
    regs["esp"] = STACK_TOP
    data = random.Random(seed).randbytes(DATA_SIZE)
    compare(seq, regs, 0x2 | (flags & (ARITH | DF)), data, oracle=oracle)


@SETTINGS
@given(**RANDOM_CASES)
def test_sequences_match_unicorn(seq, vals, flags, seed):
    random_case(seq, vals, flags, seed, run_unicorn)


@SETTINGS
@given(**RANDOM_CASES)
def test_sequences_match_the_host_cpu(seq, vals, flags, seed):
    random_case(seq, vals, flags, seed, run_native)


# Hand-picked corner cases that random generation may take long to find.
CORNERS = [
    "movl $0x80000000, %eax\ncltd\nmovl $-1, %ecx\nidivl %ecx",     # #DE: INT_MIN / -1
    "movl $5, %eax\nxorl %edx, %edx\nxorl %ecx, %ecx\ndivl %ecx",    # #DE: divide by zero
    "movl $0xffffffff, %eax\naddl $1, %eax\nadcl $0, %ebx",
    "movb $0x7f, %al\nincb %al\nsetob %bl\nsetsb %cl",
    "movw $0x8000, %ax\nnegw %ax\npushf\npopl %edx\nandl $0x8d5, %edx",
    ("movl $0x12345678, %eax\nroll $4, %eax\nrorw $4, %ax\nrclb $3, %al\nrcrl $7, %eax", OF),
    ("movl $0x1234, %eax\nmovl $0xabcd, %ebx\nshldw $12, %bx, %ax\nshrdl $31, %eax, %ebx", OF | AF),
    ("movl $0x10, %ecx\nbsfl %ecx, %eax\nbsrl %ecx, %ebx", CF | OF | SF | AF | PF),
    "stc\nmovl $0xffffffff, %eax\nsbbl $0xffffffff, %eax\ncmc\nlahf",
    "std\npush %esi\nlea 0x40(%esi), %edi\nmovl $5, %ecx\nrep movsl\npop %esi\ncld",
    "push %esi\nlea 0x1(%esi), %edi\nmovl $9, %ecx\nrep movsb\npop %esi",   # overlapping copy
    "movl $7, %eax\nmovl %eax, (%esi)\nmovl $9, %ebx\nmovl $7, %eax\nlock cmpxchgl %ebx, (%esi)",
    "movl $3, %ecx\n1: decl %eax\nloopne 1b",
]


@pytest.mark.parametrize("case", CORNERS)
def test_corner_cases_match_unicorn(case):
    source, undefined = case if isinstance(case, tuple) else (case, 0)
    regs = {"eax": 0x11111111, "ecx": 0x22222222, "edx": 0x33333333, "ebx": 0x44444444,
            "ebp": 0x55555555, "edi": 0x66666666, "esi": DATA_PTR, "esp": STACK_TOP}
    code = assemble(source + "\nhlt\n")
    data = bytes(range(256)) * (DATA_SIZE // 256)
    want = run_unicorn(code, regs, 0x2, data)
    got = run_bt(code, regs, 0x2, data)
    assert bool(want.fault) == bool(got.fault), (want.fault, got.fault)
    if want.fault:
        assert got.extra["eip"] == want.extra["eip"]
        assert "#DE" in got.fault           # no IDT here: delivery ends in a triple fault
        return
    assert got.regs == want.regs
    mask = (ARITH & ~undefined) | DF
    assert got.eflags & mask == want.eflags & mask
    assert got.data == want.data
    assert got.stack == want.stack
