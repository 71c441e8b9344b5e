"""Running real guest code: Machine and `bt run` end to end, and against QEMU.

The guests are a few hand-assembled instructions inside a Multiboot ELF built
by tests/guestimage.py. Everything here needs the compiled engine; the QEMU
comparisons also need qemu-system-i386 (and nasm/ld for the entry-state probe).
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bt.machine import Machine, StopReason
from bt.sizes import MiB
from guestimage import CLI, HLT, STI, debug_exit, multiboot_elf, out_char, print_text

pytestmark = pytest.mark.usefixtures("engine_module")

HELLO = print_text("hello\n") + debug_exit(5) + HLT
# Wait for a byte on COM1 (poll LSR.DR), echo it, exit with status 1.
ECHO = (b"\x66\xba\xfd\x03" b"\xec" b"\xa8\x01" b"\x74\xf7"
        b"\x66\xba\xf8\x03" b"\xec" b"\xee" + debug_exit(0))
POWEROFF = b"\x66\xba\x04\x06" b"\x66\xb8\x00\x20" b"\x66\xef" + HLT
SPIN = b"\xeb\xfe"
# Print the Multiboot command line ([ebx+16]) and a newline, exit with status 1.
PRINT_CMDLINE = (b"\x8b\x73\x10" b"\x66\xba\xf8\x03" b"\xac" b"\x84\xc0" b"\x74\x03"
                 b"\xee" b"\xeb\xf8" + out_char("\n") + debug_exit(0))


def kernel(tmp_path: Path, code: bytes, name: str = "guest.elf") -> Path:
    path = tmp_path / name
    path.write_bytes(multiboot_elf(code))
    return path


def run_machine(path: Path, max_instructions: int = 0, stdin: bytes = b"",
                **options) -> tuple[object, bytes]:
    out = io.BytesIO()
    with Machine(ram_size=16 * MiB, serial_out=out, **options) as m:
        m.load_multiboot(path)
        if stdin:
            m.feed_serial(stdin)
        result = m.run(max_instructions)
    return result, out.getvalue()


# ---- the Python API ----------------------------------------------------------

def test_hello_and_debug_exit(tmp_path: Path) -> None:
    result, output = run_machine(kernel(tmp_path, HELLO))
    assert output == b"hello\n"
    assert (result.exit_status, result.reason) == (11, StopReason.DEBUG_EXIT)
    assert result.instructions > 0


def test_entry_registers_reach_the_vcpu(tmp_path: Path) -> None:
    with Machine(ram_size=16 * MiB, serial_out=io.BytesIO()) as m:
        boot = m.load_multiboot(kernel(tmp_path, HLT))
        for name in ("eax", "ebx", "esp", "eip", "cr0", "cs", "ds", "ss"):
            assert m.engine.get_reg(name) == boot.registers[name], name
        assert bytes(m.engine.ram[0x9600:0x9600 + len(boot.cmdline)]) == boot.cmdline.encode()


def test_halt_with_interrupts_disabled(tmp_path: Path) -> None:
    result, _ = run_machine(kernel(tmp_path, CLI + HLT))
    assert (result.exit_status, result.reason) == (4, StopReason.HALT)
    assert result.message == "halted with interrupts disabled at 0x0010000d"


def test_halt_with_interrupts_enabled(tmp_path: Path) -> None:
    # The BIOS's timer wakes the HLT with IRQ 0 as vector 8; with no IDT
    # (base 0, nothing there) that ends in a triple fault, as under QEMU.
    result, _ = run_machine(kernel(tmp_path, STI + HLT))
    assert result.exit_status == 3
    assert result.message.startswith("triple fault: hardware interrupt vector 8 at 0x0010000e")


def test_poweroff(tmp_path: Path) -> None:
    result, _ = run_machine(kernel(tmp_path, POWEROFF))
    assert (result.exit_status, result.reason) == (0, StopReason.POWEROFF)


def test_serial_input_is_polled_and_read(tmp_path: Path) -> None:
    result, output = run_machine(kernel(tmp_path, ECHO), stdin=b"Z")
    assert output == b"Z" and result.exit_status == 1


def test_instruction_limit(tmp_path: Path) -> None:
    result, _ = run_machine(kernel(tmp_path, SPIN), max_instructions=100_000)
    assert (result.exit_status, result.reason) == (0, StopReason.LIMIT)
    assert 100_000 <= result.instructions < 100_100


def test_cmdline_seen_by_the_guest(tmp_path: Path) -> None:
    path = kernel(tmp_path, PRINT_CMDLINE)
    _, output = run_machine(path, append="root=/dev/x  y")
    assert output == f"{path} root=/dev/x  y\n".encode()


# ---- the command line ----------------------------------------------------------

def test_bt_run_exit_status_and_output(bt_cmd, tmp_path: Path) -> None:
    proc = bt_cmd("run", kernel(tmp_path, HELLO))
    assert (proc.returncode, proc.stdout, proc.stderr) == (11, b"hello\n", b"")


def test_bt_run_reads_stdin(bt_cmd, tmp_path: Path) -> None:
    proc = bt_cmd("run", kernel(tmp_path, ECHO), input=b"Q")
    assert (proc.returncode, proc.stdout) == (1, b"Q")


def test_bt_run_reports_a_halt_on_stderr(bt_cmd, tmp_path: Path) -> None:
    proc = bt_cmd("run", kernel(tmp_path, CLI + HLT))
    assert proc.returncode == 4
    assert proc.stderr.decode() == "bt: halted with interrupts disabled at 0x0010000d\n"


def test_bt_run_stats(bt_cmd, tmp_path: Path) -> None:
    proc = bt_cmd("run", kernel(tmp_path, HELLO), "--stats")
    assert proc.returncode == 11
    lines = proc.stderr.decode().splitlines()
    assert lines[0] == "bt statistics:"
    rows = [line for line in lines[1:] if line.strip()]
    cells = [re.split(r"\s{2,}", line.strip()) for line in rows]
    labels = [c[0] for c in cells]
    assert labels[:3] == ["instructions executed", "wall time", "guest MIPS"]
    for label in ("hits", "misses", "chained jumps", "invalidations", "flushes"):
        assert label in labels
    # HELLO's only callouts are its 7 OUTs: 6 characters and the debug exit.
    start = labels.index("callouts by kind")
    assert cells[start] == ["callouts by kind", "count", "share"]
    assert cells[start + 1:] == [["out", "7", "100.0%"], ["all callouts", "7", "100.0%"]]
    # Numbers are right-aligned in one column.
    value_ends = {m.end(1) for line in rows
                  if (m := re.match(r"  \S.*?\s{2,}([\d,.]+(?: s)?)(?:\s|$)", line))}
    assert len(value_ends) == 1


def test_bt_run_trace(bt_cmd, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    proc = bt_cmd("run", kernel(tmp_path, HELLO), "--trace", trace)
    assert proc.returncode == 11
    lines = trace.read_text().splitlines()
    assert lines and all(re.fullmatch(r"(0x)?[0-9a-fA-F]+ \d+", line) for line in lines)


def test_bt_run_raw_image(bt_cmd, tmp_path: Path) -> None:
    flat = tmp_path / "flat.bin"
    flat.write_bytes(HELLO)
    proc = bt_cmd("run", flat, "--raw", "0x200000")
    assert (proc.returncode, proc.stdout) == (11, b"hello\n")


def test_bt_explain(bt_cmd, tmp_path: Path) -> None:
    proc = bt_cmd("explain", kernel(tmp_path, HELLO))
    assert proc.returncode == 0 and proc.stdout.strip()
    assert proc.stderr == b""


# ---- against QEMU ----------------------------------------------------------------

def qemu(path: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["qemu-system-i386", "-kernel", str(path), "-m", "128",
                           "-serial", "stdio", "-display", "none", "-device",
                           "isa-debug-exit,iobase=0xf4,iosize=0x04", *extra],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


@pytest.mark.qemu
def test_same_output_and_status_as_qemu(bt_cmd, tmp_path: Path) -> None:
    path = kernel(tmp_path, HELLO)
    ours, theirs = bt_cmd("run", path), qemu(path)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)


@pytest.mark.qemu
@pytest.mark.parametrize("append", [None, "console=ttyS0  quiet"])
def test_same_cmdline_as_qemu(bt_cmd, tmp_path: Path, monkeypatch, append) -> None:
    kernel(tmp_path, PRINT_CMDLINE, "k.elf")
    monkeypatch.chdir(tmp_path)             # a relative path, as typed
    ours = bt_cmd("run", "k.elf", *(("--append", append) if append is not None else ()),
                  cwd=tmp_path)
    theirs = qemu(Path("k.elf"), *(("-append", append) if append is not None else ()))
    assert ours.stdout == theirs.stdout
    assert ours.returncode == theirs.returncode == 1


# Dumps what bt promises to mirror from QEMU's Multiboot entry state (not the
# boot loader name, nor where the GDT and strings live).
ENTRY_PROBE = r"""
bits 32
section .multiboot
align 4
dd 0x1BADB002, 3, -(0x1BADB002 + 3)
section .text
global _start
_start:
  pushad
  pushfd
  mov esi, esp
  mov ecx, 9
.regs: lodsd
  call hex
  loop .regs
  xor eax, eax
  mov ax, cs
  call hex
  mov ax, ds
  call hex
  mov ax, ss
  call hex
  mov ax, es
  call hex
  mov ax, fs
  call hex
  mov ax, gs
  call hex
  mov eax, cr0
  call hex
  sgdt [dtr]
  movzx eax, word [dtr]
  call hex
  mov esi, [dtr + 2]
  mov ecx, 10
.gdt: lodsd
  call hex
  loop .gdt
  sidt [dtr]
  movzx eax, word [dtr]
  call hex
  mov eax, [dtr + 2]
  call hex
  mov ebx, [esp + 20]
  mov esi, ebx
  mov ecx, 4
.info: lodsd
  call hex
  loop .info
  mov eax, [ebx + 20]
  call hex
  mov eax, [ebx + 44]
  call hex
  mov esi, [ebx + 48]
  mov ecx, 36
.mmap: lodsd
  call hex
  loop .mmap
  mov esi, [ebx + 16]
.cmd: lodsb
  test al, al
  jz .done
  call putc
  jmp .cmd
.done:
  mov al, 10
  call putc
  mov al, 0
  out 0xf4, al
hex:
  push ecx
  mov ecx, 8
.digit: rol eax, 4
  push eax
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .ok
  add al, 7
.ok: call putc
  pop eax
  loop .digit
  mov al, ' '
  call putc
  pop ecx
  ret
putc:
  mov dx, 0x3f8
  out dx, al
  ret
section .bss
dtr: resb 8
"""

LINKER_SCRIPT = """ENTRY(_start)
SECTIONS { . = 0x100000; .text : { *(.multiboot) *(.text) } .bss : { *(.bss) } }
"""


@pytest.mark.qemu
def test_same_entry_state_as_qemu(bt_cmd, tmp_path: Path) -> None:
    if not (shutil.which("nasm") and shutil.which("ld")):
        pytest.skip("needs nasm and ld to build the probe")
    (tmp_path / "probe.asm").write_text(ENTRY_PROBE)
    (tmp_path / "link.ld").write_text(LINKER_SCRIPT)
    subprocess.run(["nasm", "-f", "elf32", "probe.asm", "-o", "probe.o"], cwd=tmp_path, check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-T", "link.ld", "-o", "probe.elf", "probe.o"],
                   cwd=tmp_path, check=True, capture_output=True)
    probe = tmp_path / "probe.elf"
    ours = bt_cmd("run", probe, "--memory", "128M", "--append", "a b")
    theirs = qemu(probe, "-append", "a b")
    assert ours.stdout.decode().split() == theirs.stdout.decode().split()
    assert ours.returncode == theirs.returncode == 1
