"""Random bytes as guest code: every run must end with a clear stop.

Whatever the bytes do (invalid opcodes, wild stores, port I/O, far jumps
through garbage descriptors, huge REP counts, endless loops), bt must stop
with an exit reason and a one-line message, within the instruction budget,
and never crash or hang the host process. BT_FUZZ_CASES sets the number of
in-process cases (default 400; a long run sets thousands).
"""
from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from bt.machine import Machine, StopReason

CASES = int(os.environ.get("BT_FUZZ_CASES", "400"))
BUDGET = 20000
LOAD_ADDR = 0x100000
RAM = 4 * 1024 * 1024


def run_bytes(tmp_path, code: bytes):
    image = tmp_path / "code.bin"
    image.write_bytes(code)
    with Machine(ram_size=RAM, serial_out=open(os.devnull, "wb")) as m:
        m.load_raw(image, LOAD_ADDR)
        return m.run(max_instructions=BUDGET)


def test_random_code_always_stops_cleanly(tmp_path):
    rng = random.Random(0xB7)
    reasons: dict[str, int] = {}
    for case in range(CASES):
        code = rng.randbytes(rng.choice([16, 64, 256, 4096]))
        r = run_bytes(tmp_path, code)
        assert r.message and "\n" not in r.message, (case, r)
        assert r.instructions <= BUDGET + 8192, (case, r.instructions)   # REP chunks may overshoot by one chunk
        reasons[str(r.reason)] = reasons.get(str(r.reason), 0) + 1
    # The corpus is varied enough to reach several distinct stops.
    assert len(reasons) >= 3, reasons


def test_huge_rep_stos_yields_to_the_budget(tmp_path):
    # mov $-1, %ecx; rep stosb (at ES:EDI = 0: writes beyond RAM are dropped); hlt
    code = bytes.fromhex("b9ffffffff" "f3aa" "f4")
    r = run_bytes(tmp_path, code)
    assert r.reason == StopReason.LIMIT, r
    assert r.exit_status == 0


@pytest.mark.parametrize("seed", range(4))
def test_random_code_through_the_cli(tmp_path, seed):
    code = random.Random(seed).randbytes(512)
    image = tmp_path / "rand.bin"
    image.write_bytes(code)
    p = subprocess.run([sys.executable, "-m", "bt", "run", "--raw", "0x100000",
                        "--memory", "4M", "--max-instructions", "50000", str(image)],
                       capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    assert "Traceback" not in err
    assert p.returncode in (0, 4) or p.returncode % 2 == 1, (p.returncode, err)
    assert len([ln for ln in err.splitlines() if ln.startswith("bt:")]) <= 1, err
