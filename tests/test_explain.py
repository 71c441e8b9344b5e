"""Golden translations: `bt explain` of hand-written blocks must match the
files checked in beside them (tests/golden/NAME.txt).

Regenerate after an intended change with BT_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oracle import assemble

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.S"))
LOAD = 0x100000


def explain(tmp_path: Path, name: str) -> str:
    code = (GOLDEN / f"{name}.S").read_text()
    image = tmp_path / f"{name}.bin"
    image.write_bytes(assemble_at(code, LOAD))
    p = subprocess.run([sys.executable, "-m", "bt", "explain", "--blocks", "1", "--raw", hex(LOAD), str(image)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def assemble_at(source: str, addr: int) -> bytes:
    import oracle
    old = oracle.CODE_ADDR
    oracle.CODE_ADDR = addr
    try:
        return assemble(source)
    finally:
        oracle.CODE_ADDR = old


@pytest.mark.parametrize("name", CASES)
def test_explain_matches_golden(tmp_path, name):
    got = explain(tmp_path, name)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("BT_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert got == golden.read_text()


def test_sensitive_instructions_are_callouts(tmp_path):
    out = explain(tmp_path, "sensitive")
    for callout in ("cli", "lgdt", "mov_from_cr", "mov_to_cr"):
        assert f"callout {callout}" in out
    # MOV to CR0 changes the mode: the block ends right after it.
    last = out.strip().splitlines()[-1]
    assert "callout mov_to_cr: privileged" in last and "the block ends" in last
    # Every rewritten instruction says why, in one line.
    for line in out.splitlines()[1:]:
        assert (line.startswith("  *") and "callout" in line and ": " in line.split("callout", 1)[1]) \
            or line.startswith("   ")


def test_every_micro_op_has_a_name():
    import re
    import bt
    pxd = (Path(__file__).parent.parent / "bt" / "translate" / "uop.pxd").read_text()
    ops = re.findall(r"^    (OP_[A-Z0-9_]+)", pxd.split("cdef enum:")[1], re.M)
    ops = [o for o in ops if o != "OP_COUNT"]
    names = bt.load_engine().OP_NAMES
    assert sorted(names.values()) == sorted(o[3:].lower() for o in ops)
    assert len(names) == len(ops)


def run_explain(*args):
    return subprocess.run([sys.executable, "-m", "bt", "explain", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_default_follows_the_entry_blocks_successors(guests):
    p = run_explain(guests["compute_O2"], "--blocks", "3")
    assert p.returncode == 0, p.stderr
    heads = [ln for ln in p.stdout.splitlines() if ln.startswith("block ")]
    assert len(heads) == 3
    # The start-up block ends in a call into main: the next blocks are the
    # call's target and its return address.
    assert heads[0].startswith("block 0x0010000c")
    call = [ln for ln in p.stdout.split("\n\n")[0].splitlines() if " call 0x" in ln][-1]
    target = call.split("call.32 ")[1]
    ret = heads[0].split("..")[1].split()[0]
    assert {h.split("..")[0][6:] for h in heads[1:]} == {target, ret}


def test_symbol_selects_a_block(guests):
    p = run_explain(guests["system"], "--symbol", "sys_far_calls")
    assert p.returncode == 0, p.stderr
    assert "callout call_far: sensitive" in p.stdout
    assert p.stdout.count("block ") == 1


def test_unknown_symbol_is_a_one_line_error(guests):
    p = run_explain(guests["system"], "--symbol", "no_such_function")
    assert p.returncode == 2
    assert p.stderr == "bt: error: --symbol no_such_function: unknown symbol\n"
