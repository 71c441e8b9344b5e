"""Serial input reaches a guest that polls the UART's line status, also
while the engine answers those polls in C (the LSR fast path)."""
from __future__ import annotations

import io
import subprocess
import sys

from bt.machine import Machine, StopReason
from oracle import assemble

ECHO = """
poll:   mov $0x3fd, %dx
        in %dx, %al
        test $1, %al
        jz poll
        mov $0x3f8, %dx
        in %dx, %al
        out %al, %dx
        cmp $'q', %al
        jne poll
        mov $0x604, %dx
        mov $0x2000, %ax
        out %ax, %dx
"""


def echo_image(tmp_path):
    import oracle
    old, oracle.CODE_ADDR = oracle.CODE_ADDR, 0x100000
    try:
        code = assemble(ECHO)
    finally:
        oracle.CODE_ADDR = old
    path = tmp_path / "echo.bin"
    path.write_bytes(code)
    return path


def test_input_arriving_while_the_guest_polls_in_c(tmp_path):
    out = io.BytesIO()
    with Machine(ram_size=4 << 20, serial_out=out) as m:
        m.load_raw(echo_image(tmp_path), 0x100000)
        r = m.run(max_instructions=200_000)
        assert r.reason == StopReason.LIMIT and out.getvalue() == b""
        # The guest has been spinning on the LSR, answered in C: no IN of
        # 0x3FD reached Python after the first few.
        m.feed_serial(b"hello q")
        r = m.run()
    assert r.reason == StopReason.POWEROFF
    assert out.getvalue() == b"hello q"


def test_input_piped_to_bt_run(tmp_path):
    p = subprocess.run([sys.executable, "-m", "bt", "run", "--raw", "0x100000", "--memory", "4M",
                        str(echo_image(tmp_path))], input=b"abc\nq", capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"abc\nq"
