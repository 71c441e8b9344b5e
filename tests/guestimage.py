"""Small guest images built in memory with struct, for loader, CLI and run tests.

Nothing here is copied from a toolchain: the ELF32 header and program
headers are laid out by hand, just enough for a Multiboot loader.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

MB_MAGIC = 0x1BADB002
ELF_HEADER_SIZE = 52
PHDR_SIZE = 32
PT_LOAD = 1


def multiboot_header(flags: int = 0x3, checksum: int | None = None,
                     addresses: tuple[int, int, int, int, int] | None = None) -> bytes:
    """A Multiboot v1 header; `addresses` are header, load, load_end, bss_end, entry."""
    if checksum is None:
        checksum = -(MB_MAGIC + flags) & 0xFFFFFFFF
    header = struct.pack("<III", MB_MAGIC, flags, checksum)
    if addresses is not None:
        header += struct.pack("<5I", *addresses)
    return header


@dataclass
class Segment:
    """One PT_LOAD segment: `data` at physical `paddr`, `memsz` bytes in memory."""

    paddr: int
    data: bytes
    memsz: int | None = None


def elf32(segments: list[Segment], entry: int, *, ei_class: int = 1, ei_data: int = 1,
          machine: int = 3, e_type: int = 2) -> bytes:
    """An ELF32 executable whose segment contents follow the program headers."""
    phoff = ELF_HEADER_SIZE
    offset = phoff + PHDR_SIZE * len(segments)
    phdrs, contents = b"", b""
    for seg in segments:
        memsz = len(seg.data) if seg.memsz is None else seg.memsz
        phdrs += struct.pack("<8I", PT_LOAD, offset + len(contents), seg.paddr, seg.paddr,
                             len(seg.data), memsz, 7, 4)
        contents += seg.data
    ident = b"\x7fELF" + bytes([ei_class, ei_data, 1]) + bytes(9)
    header = struct.pack("<16sHHIIIIIHHHHHH", ident, e_type, machine, 1, entry, phoff, 0,
                         0, ELF_HEADER_SIZE, PHDR_SIZE, len(segments), 40, 0, 0)
    return header + phdrs + contents


def multiboot_elf(code: bytes = b"\xf4", load_addr: int = 0x100000, bss: int = 0,
                  **elf_options: int) -> bytes:
    """A Multiboot ELF kernel: the header then `code` (entered right after the header)."""
    body = multiboot_header() + code
    return elf32([Segment(load_addr, body, len(body) + bss)], load_addr + 12, **elf_options)


# --- machine code for tests that run guests (hand-assembled i386) -----------

def out_char(ch: str) -> bytes:
    """mov dx, 0x3f8; mov al, ch; out dx, al."""
    return b"\x66\xba\xf8\x03" + b"\xb0" + ch.encode() + b"\xee"


def print_text(text: str) -> bytes:
    """Write `text` to COM1 one OUT per byte."""
    return b"".join(out_char(c) for c in text)


def debug_exit(value: int) -> bytes:
    """mov al, value; out 0xf4, al."""
    return b"\xb0" + bytes([value]) + b"\xe6\xf4"


HLT = b"\xf4"
CLI = b"\xfa"
STI = b"\xfb"
