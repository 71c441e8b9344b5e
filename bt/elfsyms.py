"""Symbols of an ELF32 image, for `bt explain --symbol NAME`."""
from __future__ import annotations

import struct
from pathlib import Path

SHT_SYMTAB = 2
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2


def elf_symbols(path: str | Path) -> dict[str, int]:
    """Function and object symbols of a little-endian ELF32 file: name -> address.

    Returns {} for a file without a symbol table (or that is not ELF32).
    """
    data = Path(path).read_bytes()
    if len(data) < 52 or data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return {}
    shoff, = struct.unpack_from("<I", data, 32)
    shentsize, shnum = struct.unpack_from("<HH", data, 46)
    if shoff == 0 or shentsize < 40 or shoff + shnum * shentsize > len(data):
        return {}
    sections = [struct.unpack_from("<10I", data, shoff + i * shentsize) for i in range(shnum)]
    symbols: dict[str, int] = {}
    for sh in sections:
        if sh[1] != SHT_SYMTAB or sh[6] >= shnum:
            continue
        strtab = sections[sh[6]]
        str_off, str_size = strtab[4], strtab[5]
        off, size, entsize = sh[4], sh[5], sh[9] or 16
        for pos in range(off, min(off + size, len(data) - 15), entsize):
            name_off, value, _size, info, _other, shndx = struct.unpack_from("<IIIBBH", data, pos)
            # Assembly labels made global are NOTYPE: keep them, but not
            # undefined or absolute ones, nor section and file symbols.
            if info & 0xF not in (STT_NOTYPE, STT_FUNC, STT_OBJECT) or shndx == 0 \
                    or shndx >= 0xFF00 or name_off >= str_size:
                continue
            start = str_off + name_off
            end = data.find(b"\0", start)
            name = data[start:end].decode(errors="replace")
            if name:
                symbols.setdefault(name, value)
    return symbols
