"""Every guest program under bt: exact serial output and exit status.

The expected files were recorded under qemu-system-i386; when QEMU is
installed the test also runs it live on the same image, so both oracles
agree with bt on the same bytes.
"""
from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TABLE = runpy.run_path(str(REPO / "guests" / "build.py"))["GUESTS"]

# Guests that stop the VM in a way only bt reports (QEMU hangs or resets):
# (status, message).
BT_STOPS = {
    "hlt_cli": (4, "halted with interrupts disabled at 0x"),
    "divzero": (3, "triple fault: #DE at 0x"),
    "ud": (3, "triple fault: #UD at 0x"),
}
ORACLE = sorted(n for n, g in TABLE.items() if not g.bt_only)


def run_bt(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bt", "run", str(path)], capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def strip_varying(out: bytes, prefixes: tuple[str, ...]) -> bytes:
    keep = [ln for ln in out.split(b"\n") if not ln.startswith(tuple(p.encode() for p in prefixes))]
    return b"\n".join(keep)


@pytest.mark.parametrize("name", ORACLE)
def test_guest_output_matches_expected(guests, guest_expected, name):
    want_out, want_status = guest_expected(name)
    p = run_bt(guests[name])
    varying = TABLE[name].varying
    assert strip_varying(p.stdout, varying) == strip_varying(want_out, varying), p.stderr.decode()
    assert p.returncode == want_status, p.stderr.decode()
    assert p.stderr == b""


def test_demo_names_bt(guests):
    p = run_bt(guests["demo"])
    assert b"boot loader: bt\n" in p.stdout
    assert b"CPUID vendor: btVirtualCPU\n" in p.stdout
    assert p.returncode == 0


@pytest.mark.parametrize("name", sorted(BT_STOPS))
def test_guest_stopped_by_bt(guests, name):
    p = run_bt(guests[name])
    err = p.stderr.decode()
    status, message = BT_STOPS[name]
    assert p.returncode == status, err
    assert err.startswith("bt: ") and message in err and err.count("\n") == 1, err
    assert p.stdout, "the guest prints a line before it stops"


@pytest.mark.qemu
@pytest.mark.parametrize("name", ORACLE)
def test_guest_output_matches_live_qemu(guests, name):
    qemu = shutil.which("qemu-system-i386")
    q = subprocess.run([qemu, "-kernel", str(guests[name]), "-m", "128", "-serial", "stdio",
                        "-display", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                        "-no-reboot"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    p = run_bt(guests[name])
    varying = TABLE[name].varying
    assert strip_varying(p.stdout, varying) == strip_varying(q.stdout, varying)
    assert p.returncode == q.returncode
