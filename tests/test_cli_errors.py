"""Every user mistake on the `bt` command line: status 2, one `bt: error:` line.

These run `python -m bt` in a subprocess. bt validates options and the image
before it builds a machine, so none of them needs the compiled engine.
"""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from guestimage import Segment, elf32, multiboot_elf, multiboot_header

VALID = multiboot_elf(b"\xf4")


def image(tmp_path: Path, data: bytes, name: str = "kernel.elf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_user_error(proc, *fragments: str) -> str:
    """Status 2, nothing on stdout, exactly one stderr line 'bt: error: ...'."""
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert proc.stdout == b""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bt: error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_missing_file(bt_cmd, tmp_path: Path) -> None:
    missing = tmp_path / "nope.elf"
    assert_user_error(bt_cmd("run", missing), str(missing), "No such file")


def test_directory_instead_of_file(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", tmp_path), "Is a directory")


def test_empty_file(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, b"")), "is empty")


def test_truncated_elf_segment(bt_cmd, tmp_path: Path) -> None:
    data = multiboot_elf(b"\x90" * 200)
    assert_user_error(bt_cmd("run", image(tmp_path, data[:-50])), "is truncated")


def test_truncated_elf_header(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, VALID[:40])), "is truncated")


def test_elf_without_multiboot_header(bt_cmd, tmp_path: Path) -> None:
    data = elf32([Segment(0x100000, b"\xf4")], 0x100000)
    assert_user_error(bt_cmd("run", image(tmp_path, data)), "without a Multiboot header")


def test_not_an_image_at_all(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, b"hello, world\n" * 50, "notes.txt")),
                      "not a Multiboot image")


def test_bad_checksum(bt_cmd, tmp_path: Path) -> None:
    data = elf32([Segment(0x100000, multiboot_header(checksum=1) + b"\xf4")], 0x10000C)
    assert_user_error(bt_cmd("run", image(tmp_path, data)), "bad checksum")


def test_64_bit_elf(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, multiboot_elf(b"\xf4", ei_class=2))),
                      "64-bit")


def test_wrong_machine(bt_cmd, tmp_path: Path) -> None:
    data = bytearray(VALID)
    struct.pack_into("<H", data, 18, 62)
    assert_user_error(bt_cmd("run", image(tmp_path, bytes(data))), "x86-64, not i386")


def test_segment_outside_ram(bt_cmd, tmp_path: Path) -> None:
    data = multiboot_elf(b"\xf4", load_addr=0x3000000)          # 48 MiB
    assert_user_error(bt_cmd("run", image(tmp_path, data), "--memory", "32M"),
                      "outside guest RAM (32 MiB)")


@pytest.mark.parametrize("size, fragment", [
    ("lots", "bad --memory size 'lots'"),
    ("64X", "bad --memory size"),
    ("-1M", "bad --memory size"),
    ("128", "too small"),                 # bytes, not MiB: the message says so
    ("1M", "too small"),
    ("4G", "too large"),
    ("3145729K", "too large"),
    ("2097153", "not a multiple of 4 KiB"),
])
def test_bad_memory_size(bt_cmd, tmp_path: Path, size: str, fragment: str) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, VALID), f"--memory={size}"), fragment)


def test_too_small_memory_suggests_a_unit(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, VALID), "--memory=64"), "did you mean 64M?")


@pytest.mark.parametrize("addr, fragment", [
    ("zero", "bad --raw address 'zero'"),
    ("0x", "bad --raw address"),
    ("-0x10", "bad --raw address"),
    ("0x100000000", "outside the 32-bit address space"),
    ("0x7fffffff", "outside guest RAM"),
    ("0x9100", "overlaps the boot information"),
])
def test_bad_raw_address(bt_cmd, tmp_path: Path, addr: str, fragment: str) -> None:
    flat = image(tmp_path, b"\xf4" * 16, "flat.bin")
    assert_user_error(bt_cmd("run", flat, f"--raw={addr}"), fragment)


def test_raw_without_image(bt_cmd) -> None:
    assert_user_error(bt_cmd("run", "--raw", "0x100000"), "--raw needs an IMAGE")


def test_raw_empty_file(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, b"", "flat.bin"), "--raw", "0x100000"),
                      "is empty")


@pytest.mark.parametrize("count", ["many", "1.5", "-3"])
def test_bad_instruction_limit(bt_cmd, tmp_path: Path, count: str) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, VALID), f"--max-instructions={count}"),
                      "--max-instructions")


def test_unwritable_trace_file(bt_cmd, tmp_path: Path) -> None:
    trace = tmp_path / "no-such-dir" / "trace.txt"
    assert_user_error(bt_cmd("run", image(tmp_path, VALID), "--trace", trace),
                      "cannot write the trace file")


def test_unknown_option(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("run", image(tmp_path, VALID), "--turbo"),
                      "unrecognized arguments: --turbo")


def test_option_without_value(bt_cmd) -> None:
    assert_user_error(bt_cmd("run", "--memory"), "--memory", "expected one argument")


def test_no_command(bt_cmd) -> None:
    assert_user_error(bt_cmd(), "missing command")


def test_unknown_command(bt_cmd) -> None:
    assert_user_error(bt_cmd("fly"), "invalid choice: 'fly'")


def test_explain_missing_image(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("explain", tmp_path / "nope.elf"), "No such file")


def test_explain_bad_address(bt_cmd, tmp_path: Path) -> None:
    assert_user_error(bt_cmd("explain", image(tmp_path, VALID), "--addr", "here"),
                      "bad --at address 'here'")


def test_help_is_not_an_error(bt_cmd) -> None:
    proc = bt_cmd("run", "--help")
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "--memory" in text and "isa-debug-exit" in text and proc.stderr == b""
