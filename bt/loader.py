"""Guest image loading: Multiboot v1 kernels (ELF32 or a.out kludge) and raw binaries.

The loader writes guest physical memory only through `PhysicalMemory`
(`size` and `write_phys`), so it works on a plain bytearray in tests and on
the engine's RAM in a machine. It validates the whole image before writing
anything, and reports every problem as a one-line `LoaderError`.

The boot state copies what qemu-system-i386 7.2 (SeaBIOS + its multiboot
option ROM) hands a kernel, checked with a probe guest, so that a guest that
prints its entry state prints the same under both:

- EAX=0x2BADB002, EBX=0x9500 (info), ECX=entry, EDX=(mem_upper & 0xFFFF0000) |
  0x0511 and EDI=0x1000 (left over by QEMU's ROM), ESI=EBP=0, ESP=0x6F08,
  EFLAGS=0x00000006 (IF clear; PF set by the ROM's last compare),
  CR0=0x11 (PE|ET), CR2=CR3=CR4=0.
- CS=0x08, DS=ES=FS=GS=SS=0x10, flat 4 GiB segments from a five-entry GDT
  (null, 32-bit code, 32-bit data, 16-bit code, 16-bit data; limit 0x27).
  QEMU's GDT sits in its option ROM at 0xCB2B8; bt's identical copy sits in
  the boot area at 0x9400. IDTR = base 0, limit 0x3FF (the real-mode IVT).
- Multiboot info at 0x9500 with flags 0x24F (mem, boot device, cmdline,
  mods (none), mmap, boot loader name); the memory map at 0x9000 mirrors
  QEMU's e820 map, which reserves the top 128 KiB of RAM for ACPI tables:
  hence mem_upper = (RAM - 1 MiB - 128 KiB) / 1024, not (RAM - 1 MiB) / 1024.
- The command line is the image path as given, a space, and the --append
  string: QEMU builds it that way ("kernel.elf hello" or "kernel.elf ").
  QEMU puts it after the kernel; bt keeps it in the boot area at 0x9600, so
  a kernel that uses the memory after its BSS cannot overwrite it.
- The boot loader name is "bt" (QEMU's is "qemu").
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Protocol

from .errors import LoaderError
from .sizes import format_size

__all__ = [
    "LoaderError", "PhysicalMemory", "RamBuffer", "SizeOnlyMemory", "BootImage", "MultibootHeader",
    "load_multiboot", "load_raw", "find_multiboot_header", "multiboot_cmdline",
    "BOOT_AREA_START", "INFO_ADDR", "MMAP_ADDR", "GDT_ADDR", "STRINGS_ADDR",
]

MULTIBOOT_MAGIC = 0x1BADB002
MULTIBOOT_BOOT_MAGIC = 0x2BADB002
MULTIBOOT_SEARCH = 8192
FLAG_AOUT_KLUDGE = 1 << 16

# Multiboot info flags bt sets (the same set as QEMU).
INFO_MEM = 1 << 0
INFO_BOOT_DEVICE = 1 << 1
INFO_CMDLINE = 1 << 2
INFO_MODS = 1 << 3
INFO_MMAP = 1 << 6
INFO_LOADER_NAME = 1 << 9
INFO_FLAGS = INFO_MEM | INFO_BOOT_DEVICE | INFO_CMDLINE | INFO_MODS | INFO_MMAP | INFO_LOADER_NAME
BOOT_DEVICE_NONE = 0x8000FFFF   # "first BIOS hard disk, no partition", as QEMU says
INFO_SIZE = 88
BOOT_LOADER_NAME = b"bt"

# The boot area: one place in conventional memory for everything bt writes.
BOOT_AREA_START = 0x9000
MMAP_ADDR = 0x9000
GDT_ADDR = 0x9400
INFO_ADDR = 0x9500
STRINGS_ADDR = 0x9600
BOOT_AREA_LIMIT = 0x9FC00       # the EBDA starts here in QEMU's memory map

LOW_MEMORY_END = 0x9FC00
HIGH_MEMORY_START = 0x100000
ACPI_RESERVED = 0x20000         # SeaBIOS's reservation at the top of RAM
E820_RAM, E820_RESERVED = 1, 2

# GDT as QEMU's multiboot ROM builds it: null, code32, data32, code16, data16.
GDT_ENTRIES = (0x0000000000000000, 0x00CF9A000000FFFF, 0x00CF93000000FFFF,
               0x00009E000000FFFF, 0x000092000000FFFF)
CODE_SELECTOR = 0x08
DATA_SELECTOR = 0x10

# Register values QEMU's ROM leaves that the spec calls undefined (see module doc).
ENTRY_ESP = 0x6F08
ENTRY_EDI = 0x1000
ENTRY_EDX_LOW = 0x0511
ENTRY_EFLAGS = 0x00000006
ENTRY_CR0 = 0x11                # PE | ET

ELF_HEADER = struct.Struct("<16sHHIIIIIHHHHHH")
ELF_PHDR = struct.Struct("<8I")
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB = 1
ET_EXEC = 2
EM_386 = 3
PT_LOAD = 1
_MACHINE_NAMES = {3: "i386", 8: "MIPS", 20: "PowerPC", 40: "ARM", 62: "x86-64",
                  183: "AArch64", 243: "RISC-V"}


class PhysicalMemory(Protocol):
    """Guest physical RAM as the loader sees it."""

    @property
    def size(self) -> int:
        """Bytes of RAM, from physical address 0."""
        ...

    def write_phys(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Copy `data` to guest physical address `addr` (already range-checked)."""
        ...


class RamBuffer:
    """A bytearray standing in for guest RAM (tests, tools)."""

    def __init__(self, size: int) -> None:
        self.data = bytearray(size)

    @property
    def size(self) -> int:
        """Bytes of RAM."""
        return len(self.data)

    def write_phys(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Copy bytes into the buffer."""
        self.data[addr:addr + len(data)] = data


class SizeOnlyMemory:
    """RAM of a given size that discards writes: checks an image without RAM."""

    def __init__(self, size: int) -> None:
        self._size = size

    @property
    def size(self) -> int:
        """Bytes of RAM."""
        return self._size

    def write_phys(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Discard the bytes."""


@dataclass(frozen=True)
class MultibootHeader:
    """The Multiboot v1 header found in an image."""

    offset: int                 # file offset of the magic
    flags: int
    header_addr: int = 0        # the a.out kludge fields (flag bit 16)
    load_addr: int = 0
    load_end_addr: int = 0
    bss_end_addr: int = 0
    entry_addr: int = 0

    @property
    def has_addresses(self) -> bool:
        """Whether the header gives load addresses (the a.out kludge)."""
        return bool(self.flags & FLAG_AOUT_KLUDGE)


@dataclass(frozen=True)
class BootImage:
    """What was loaded and the CPU state to start it in."""

    path: str
    kind: str                            # "elf", "aout" or "raw"
    entry: int
    ranges: tuple[tuple[int, int], ...]  # [start, end) of each loaded region
    info_addr: int
    cmdline: str
    registers: dict[str, int] = field(default_factory=dict)  # set in this order


@dataclass(frozen=True)
class _Chunk:
    """A region to write: file bytes followed by zeros up to `memsz`."""

    addr: int
    data: bytes
    memsz: int

    @property
    def end(self) -> int:
        return self.addr + self.memsz


# ---- public entry points ---------------------------------------------------

def load_multiboot(mem: PhysicalMemory, path: str | os.PathLike[str],
                   append: str = "") -> BootImage:
    """Load a Multiboot v1 kernel and build its boot information.

    ELF32 i386 executables are loaded by their PT_LOAD segments at p_paddr;
    an image whose header sets flag bit 16 is loaded by the header's address
    fields instead (as QEMU does, ELF or not). Raises LoaderError.
    """
    name = os.fspath(path)
    data = _read_image(name)
    header = find_multiboot_header(data, name)
    if header.has_addresses:
        chunks, entry, kind = _aout_chunks(data, header, name), header.entry_addr, "aout"
    else:
        chunks, entry, kind = _elf_chunks(data, name)
    return _boot(mem, name, kind, chunks, entry, append)


def load_raw(mem: PhysicalMemory, path: str | os.PathLike[str], addr: int,
             append: str = "") -> BootImage:
    """Copy a flat binary to `addr` and start it there, in the Multiboot state.

    A raw image gets the same boot information and registers as a Multiboot
    kernel (EBX points at the info), so it can learn the RAM size and its
    command line the same way. Raises LoaderError.
    """
    name = os.fspath(path)
    data = _read_image(name)
    return _boot(mem, name, "raw", [_Chunk(addr, data, len(data))], addr, append)


def find_multiboot_header(data: bytes, name: str = "image") -> MultibootHeader:
    """Find the Multiboot header: magic, 4-byte aligned, in the first 8192 bytes,
    with flags + checksum + magic == 0 (mod 2**32). Raises LoaderError."""
    limit = min(len(data), MULTIBOOT_SEARCH) - 12
    bad_checksum_at = None
    for offset in range(0, limit + 1, 4):
        magic, flags, checksum = struct.unpack_from("<III", data, offset)
        if magic != MULTIBOOT_MAGIC:
            continue
        if (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return _parse_header(data, offset, flags, name)
        if bad_checksum_at is None:
            bad_checksum_at = offset   # keep looking: QEMU accepts a later valid one
    if bad_checksum_at is not None:
        raise LoaderError(f"{name}: the Multiboot header at offset 0x{bad_checksum_at:x} "
                          "has a bad checksum")
    no_magic = f"no Multiboot magic 0x1BADB002 in its first {MULTIBOOT_SEARCH} bytes"
    if data[:4] != b"\x7fELF":
        raise LoaderError(f"{name} is not a Multiboot image ({no_magic})")
    if _elf_looks_truncated(data):
        raise LoaderError(f"{name} is truncated: the ELF file is cut short and has {no_magic}")
    raise LoaderError(f"{name} is an ELF file without a Multiboot header ({no_magic})")


def multiboot_cmdline(path: str, append: str) -> str:
    """The kernel command line QEMU builds: the image path as given, a space, --append."""
    return f"{path} {append}"


# ---- reading and parsing ---------------------------------------------------

def _read_image(name: str) -> bytes:
    try:
        with open(name, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise LoaderError(f"cannot read {name}: {exc.strerror or exc}") from None
    if not data:
        raise LoaderError(f"{name} is empty")
    return data


def _parse_header(data: bytes, offset: int, flags: int, name: str) -> MultibootHeader:
    if not flags & FLAG_AOUT_KLUDGE:
        return MultibootHeader(offset, flags)
    if offset + 32 > len(data):
        raise LoaderError(f"{name} is truncated: its Multiboot header sets the address "
                          "flag but the address fields are missing")
    fields = struct.unpack_from("<5I", data, offset + 12)
    return MultibootHeader(offset, flags, *fields)


def _aout_chunks(data: bytes, hdr: MultibootHeader, name: str) -> list[_Chunk]:
    """The region to load from the header's address fields (QEMU's rules)."""
    if hdr.header_addr < hdr.load_addr:
        raise LoaderError(f"{name}: Multiboot header_addr 0x{hdr.header_addr:x} is below "
                          f"load_addr 0x{hdr.load_addr:x}")
    file_start = hdr.offset - (hdr.header_addr - hdr.load_addr)
    if file_start < 0:
        raise LoaderError(f"{name}: Multiboot load_addr 0x{hdr.load_addr:x} lies before "
                          "the start of the file")
    if hdr.load_end_addr:
        if hdr.load_end_addr < hdr.load_addr:
            raise LoaderError(f"{name}: Multiboot load_end_addr is below load_addr")
        size = hdr.load_end_addr - hdr.load_addr
        if file_start + size > len(data):
            raise LoaderError(f"{name} is truncated: the Multiboot header asks for "
                              f"{size} bytes from offset 0x{file_start:x}, the file has "
                              f"{len(data)} bytes")
    else:
        size = len(data) - file_start
    memsz = size
    if hdr.bss_end_addr:
        if hdr.bss_end_addr < hdr.load_addr + size:
            raise LoaderError(f"{name}: Multiboot bss_end_addr 0x{hdr.bss_end_addr:x} is "
                              "below the end of the loaded image")
        memsz = hdr.bss_end_addr - hdr.load_addr
    return [_Chunk(hdr.load_addr, data[file_start:file_start + size], memsz)]


def _elf_chunks(data: bytes, name: str) -> tuple[list[_Chunk], int, str]:
    """PT_LOAD segments of an ELF32 i386 executable, and its entry point."""
    if data[:4] != b"\x7fELF":
        raise LoaderError(f"{name} is not an ELF file, and its Multiboot header does not "
                          "give load addresses (flag bit 16)")
    _check_elf_ident(data, name)
    if len(data) < ELF_HEADER.size:
        raise LoaderError(f"{name} is truncated: the ELF header is incomplete")
    (_, e_type, e_machine, _, e_entry, e_phoff, _, _, _, e_phentsize, e_phnum,
     _, _, _) = ELF_HEADER.unpack_from(data)
    if e_machine != EM_386:
        machine = _MACHINE_NAMES.get(e_machine, f"machine {e_machine}")
        raise LoaderError(f"{name} is an ELF file for {machine}, not i386")
    if e_type != ET_EXEC:
        raise LoaderError(f"{name} is not an ELF executable (e_type {e_type}; "
                          "link it as a static executable)")
    if e_phnum == 0 or e_phentsize < ELF_PHDR.size:
        raise LoaderError(f"{name} has no ELF program headers")
    if e_phoff + e_phnum * e_phentsize > len(data):
        raise LoaderError(f"{name} is truncated: its program headers extend past the "
                          f"end of the file ({len(data)} bytes)")
    chunks = [chunk for i in range(e_phnum)
              if (chunk := _segment(data, e_phoff + i * e_phentsize, name)) is not None]
    if not chunks:
        raise LoaderError(f"{name} has no loadable (PT_LOAD) segments")
    return chunks, e_entry, "elf"


def _elf_looks_truncated(data: bytes) -> bool:
    """Whether an ELF file's own header says it should be longer than it is."""
    if len(data) < ELF_HEADER.size:
        return True
    fields = ELF_HEADER.unpack_from(data)
    phoff, shoff, phentsize, phnum, shentsize, shnum = (
        fields[5], fields[6], fields[9], fields[10], fields[11], fields[12])
    return bool(phoff + phnum * phentsize > len(data) or shoff + shnum * shentsize > len(data))


def _check_elf_ident(data: bytes, name: str) -> None:
    if len(data) < 16:
        raise LoaderError(f"{name} is truncated: the ELF header is incomplete")
    if data[4] == ELFCLASS64:
        raise LoaderError(f"{name} is a 64-bit ELF file; bt runs 32-bit (i386) kernels")
    if data[4] != ELFCLASS32:
        raise LoaderError(f"{name} has an invalid ELF class ({data[4]})")
    if data[5] != ELFDATA2LSB:
        raise LoaderError(f"{name} is a big-endian ELF file; i386 is little-endian")


def _segment(data: bytes, offset: int, name: str) -> _Chunk | None:
    p_type, p_offset, _, p_paddr, p_filesz, p_memsz, _, _ = ELF_PHDR.unpack_from(data, offset)
    if p_type != PT_LOAD or p_memsz == 0:
        return None
    if p_filesz > p_memsz:
        raise LoaderError(f"{name}: a segment at 0x{p_paddr:08x} has more file bytes "
                          "than memory bytes")
    if p_offset + p_filesz > len(data):
        raise LoaderError(f"{name} is truncated: the segment for 0x{p_paddr:08x} needs "
                          f"bytes up to offset 0x{p_offset + p_filesz:x}, the file has "
                          f"{len(data)} bytes")
    return _Chunk(p_paddr, data[p_offset:p_offset + p_filesz], p_memsz)


# ---- placing the image and the boot information ---------------------------

def _boot(mem: PhysicalMemory, name: str, kind: str, chunks: list[_Chunk],
          entry: int, append: str) -> BootImage:
    cmdline = multiboot_cmdline(name, append)
    strings = _strings(cmdline)
    boot_area = (BOOT_AREA_START, STRINGS_ADDR + len(strings))
    if boot_area[1] > BOOT_AREA_LIMIT:
        raise LoaderError(f"the kernel command line is too long ({len(cmdline)} bytes)")
    _check_placement(mem, chunks, boot_area, name)
    for chunk in chunks:
        mem.write_phys(chunk.addr, chunk.data)
        if chunk.memsz > len(chunk.data):   # the BSS: RAM may not be fresh
            mem.write_phys(chunk.addr + len(chunk.data), bytes(chunk.memsz - len(chunk.data)))
    mem_upper = _write_boot_info(mem, strings, len(cmdline.encode()) + 1)
    return BootImage(name, kind, entry, tuple((c.addr, c.end) for c in chunks),
                     INFO_ADDR, cmdline, entry_registers(entry, mem_upper))


def _strings(cmdline: str) -> bytes:
    if "\0" in cmdline:
        raise LoaderError("the kernel command line cannot contain a NUL character")
    return cmdline.encode() + b"\0" + BOOT_LOADER_NAME + b"\0"


def _check_placement(mem: PhysicalMemory, chunks: list[_Chunk],
                     boot_area: tuple[int, int], name: str) -> None:
    for chunk in chunks:
        span = f"0x{chunk.addr:08x}-0x{chunk.end - 1:08x}"
        if chunk.end > mem.size:
            raise LoaderError(f"{name}: the region {span} lies outside guest RAM "
                              f"({format_size(mem.size)})")
        if chunk.addr < boot_area[1] and boot_area[0] < chunk.end:
            raise LoaderError(f"{name}: the region {span} overlaps the boot information "
                              f"at 0x{boot_area[0]:x}-0x{boot_area[1] - 1:x}")


def _write_boot_info(mem: PhysicalMemory, strings: bytes, cmdline_size: int) -> int:
    """Write the memory map, GDT, info structure and strings; return mem_upper."""
    ram = mem.size
    mmap = memory_map(ram)
    mem_upper = (ram - ACPI_RESERVED - HIGH_MEMORY_START) // 1024
    mem.write_phys(MMAP_ADDR, mmap)
    mem.write_phys(GDT_ADDR, b"".join(struct.pack("<Q", d) for d in GDT_ENTRIES))
    info = bytearray(INFO_SIZE)
    struct.pack_into("<7I", info, 0, INFO_FLAGS, LOW_MEMORY_END // 1024, mem_upper,
                     BOOT_DEVICE_NONE, STRINGS_ADDR, 0, STRINGS_ADDR)
    struct.pack_into("<2I", info, 44, len(mmap), MMAP_ADDR)
    struct.pack_into("<I", info, 64, STRINGS_ADDR + cmdline_size)
    mem.write_phys(INFO_ADDR, info)
    mem.write_phys(STRINGS_ADDR, strings)
    return mem_upper


def memory_map(ram_size: int) -> bytes:
    """The Multiboot memory map (e820 entries) QEMU reports for `ram_size` bytes."""
    top = ram_size - ACPI_RESERVED
    entries = ((0, LOW_MEMORY_END, E820_RAM),
               (LOW_MEMORY_END, 0xA0000 - LOW_MEMORY_END, E820_RESERVED),
               (0xF0000, 0x10000, E820_RESERVED),          # the BIOS
               (HIGH_MEMORY_START, top - HIGH_MEMORY_START, E820_RAM),
               (top, ACPI_RESERVED, E820_RESERVED),        # ACPI tables
               (0xFFFC0000, 0x40000, E820_RESERVED))       # the BIOS flash
    # Each entry is preceded by its size (20) not counting the size field itself.
    return b"".join(struct.pack("<IQQI", 20, base, length, kind)
                    for base, length, kind in entries)


SEGMENT_REGISTERS = ("cs", "ds", "es", "fs", "gs", "ss")


def descriptor_cache(selector: int) -> tuple[int, int, int]:
    """(base, limit, attr) a CPU caches when it loads `selector` from the boot GDT.

    attr packs descriptor bits 40-47 (type with the accessed bit the load
    sets, S, DPL, P) and, in bits 8-11, bits 52-55 (AVL, L, D/B, G); the
    limit is in bytes, scaled by the granularity bit.
    """
    desc = GDT_ENTRIES[selector >> 3]
    base = ((desc >> 16) & 0xFFFFFF) | (((desc >> 56) & 0xFF) << 24)
    limit = (desc & 0xFFFF) | (((desc >> 48) & 0xF) << 16)
    flags = (desc >> 52) & 0xF
    if flags & 0x8:                          # G: 4 KiB units
        limit = (limit << 12) | 0xFFF
    attr = ((desc >> 40) & 0xFF) | 0x01 | (flags << 8)
    return base, limit, attr


def entry_registers(entry: int, mem_upper: int) -> dict[str, int]:
    """The CPU state at the kernel's first instruction, in the order to set it.

    Control and descriptor-table registers come first, so that segment
    selectors are loaded in protected mode against the boot GDT.
    """
    return {
        "cr0": ENTRY_CR0, "cr2": 0, "cr3": 0, "cr4": 0,
        "gdtr_base": GDT_ADDR, "gdtr_limit": len(GDT_ENTRIES) * 8 - 1,
        "idtr_base": 0, "idtr_limit": 0x3FF,
        "cs": CODE_SELECTOR, "ds": DATA_SELECTOR, "es": DATA_SELECTOR,
        "fs": DATA_SELECTOR, "gs": DATA_SELECTOR, "ss": DATA_SELECTOR,
        "eax": MULTIBOOT_BOOT_MAGIC, "ebx": INFO_ADDR, "ecx": entry,
        "edx": (mem_upper & 0xFFFF0000) | ENTRY_EDX_LOW,
        "esi": 0, "edi": ENTRY_EDI, "ebp": 0, "esp": ENTRY_ESP,
        "eflags": ENTRY_EFLAGS, "eip": entry,
    }
