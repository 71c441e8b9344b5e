"""The Multiboot and raw loaders, on a bytearray standing in for guest RAM."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bt import loader
from bt.errors import LoaderError
from bt.loader import RamBuffer
from bt.sizes import GiB, MiB
from guestimage import Segment, elf32, multiboot_elf, multiboot_header

RAM = 8 * MiB
CODE = b"\x90\x90\xf4"     # nop; nop; hlt


def write(tmp_path: Path, data: bytes, name: str = "kernel.elf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def dirty_ram(size: int = RAM) -> RamBuffer:
    """RAM full of 0xAA, so that zeroing and untouched bytes are visible."""
    ram = RamBuffer(size)
    ram.data[:] = b"\xaa" * size
    return ram


def u32(ram: RamBuffer, addr: int) -> int:
    return struct.unpack_from("<I", ram.data, addr)[0]


def c_string(ram: RamBuffer, addr: int) -> bytes:
    return bytes(ram.data[addr:ram.data.index(0, addr)])


# ---- a valid kernel ----------------------------------------------------------

def test_elf_segment_copied_to_paddr_and_bss_zeroed(tmp_path: Path) -> None:
    image = multiboot_elf(CODE, load_addr=0x200000, bss=0x300)
    ram = dirty_ram()
    boot = loader.load_multiboot(ram, write(tmp_path, image))
    body = multiboot_header() + CODE
    assert bytes(ram.data[0x200000:0x200000 + len(body)]) == body
    bss = ram.data[0x200000 + len(body):0x200000 + len(body) + 0x300]
    assert bss == bytes(0x300)
    # The byte after the BSS is not the loader's business.
    assert ram.data[0x200000 + len(body) + 0x300] == 0xAA
    assert boot.kind == "elf"
    assert boot.entry == 0x20000C
    assert boot.ranges == ((0x200000, 0x200000 + len(body) + 0x300),)


def test_several_segments_each_at_its_paddr(tmp_path: Path) -> None:
    text = multiboot_header() + CODE
    data = b"DATA" * 4
    image = elf32([Segment(0x100000, text), Segment(0x180000, data, 0x40)], 0x10000C)
    ram = dirty_ram()
    loader.load_multiboot(ram, write(tmp_path, image))
    assert bytes(ram.data[0x100000:0x100000 + len(text)]) == text
    assert bytes(ram.data[0x180000:0x180010]) == data
    assert ram.data[0x180010:0x180040] == bytes(0x30)


def test_entry_state_matches_qemu(tmp_path: Path) -> None:
    boot = loader.load_multiboot(RamBuffer(128 * MiB), write(tmp_path, multiboot_elf(CODE)))
    regs = boot.registers
    assert regs["eax"] == 0x2BADB002
    assert regs["ebx"] == boot.info_addr == 0x9500
    assert regs["eip"] == regs["ecx"] == 0x10000C
    assert regs["edx"] == 0x00010511       # what QEMU's ROM leaves with 128 MiB
    assert (regs["esp"], regs["edi"], regs["esi"], regs["ebp"]) == (0x6F08, 0x1000, 0, 0)
    assert regs["eflags"] == 0x6 and not regs["eflags"] & 0x200     # IF clear
    assert regs["cr0"] == 0x11 and regs["cr4"] == 0
    assert regs["cs"] == 0x08
    assert all(regs[s] == 0x10 for s in ("ds", "es", "fs", "gs", "ss"))
    assert (regs["gdtr_base"], regs["gdtr_limit"]) == (0x9400, 0x27)
    assert (regs["idtr_base"], regs["idtr_limit"]) == (0, 0x3FF)
    # Control registers and the GDT are set before the selectors that use them.
    order = list(regs)
    assert order.index("gdtr_base") < order.index("cs") and order.index("cr0") < order.index("cs")
    assert order[-1] == "eip"


@pytest.mark.parametrize("ram_mib, edx", [(2, 0x511), (64, 0x511), (128, 0x10511),
                                          (256, 0x30511), (3072, 0x2F0511)])
def test_edx_follows_qemu_for_each_ram_size(tmp_path: Path, ram_mib: int, edx: int) -> None:
    memory = loader.SizeOnlyMemory(ram_mib * MiB)
    boot = loader.load_multiboot(memory, write(tmp_path, multiboot_elf(CODE)))
    assert boot.registers["edx"] == edx


def test_boot_gdt_is_flat(tmp_path: Path) -> None:
    ram = RamBuffer(RAM)
    loader.load_multiboot(ram, write(tmp_path, multiboot_elf(CODE)))
    gdt = struct.unpack_from("<5Q", ram.data, 0x9400)
    assert gdt[0] == 0
    assert gdt[1] == 0x00CF9A000000FFFF     # 0x08: code, base 0, 4 GiB, 32-bit
    assert gdt[2] == 0x00CF93000000FFFF     # 0x10: data, base 0, 4 GiB, 32-bit


def test_multiboot_info_matches_qemu(tmp_path: Path) -> None:
    ram = RamBuffer(128 * MiB)
    path = write(tmp_path, multiboot_elf(CODE))
    loader.load_multiboot(ram, path)
    info = 0x9500
    assert u32(ram, info) == 0x24F              # mem, bootdev, cmdline, mods, mmap, name
    assert u32(ram, info + 4) == 639            # KiB below the EBDA
    assert u32(ram, info + 8) == 0x1FB80        # QEMU's value for -m 128
    assert u32(ram, info + 12) == 0x8000FFFF
    assert u32(ram, info + 20) == 0             # no modules
    assert u32(ram, info + 44) == 6 * 24        # mmap length
    assert u32(ram, info + 48) == 0x9000
    assert c_string(ram, u32(ram, info + 64)) == b"bt"
    # Everything bt writes stays in conventional memory, away from the kernel.
    for field in (16, 48, 64):
        assert 0x9000 <= u32(ram, info + field) < 0xA0000


def test_memory_map_is_qemus_e820_map() -> None:
    # Captured from qemu-system-i386 -m 128 (type 1 = RAM, 2 = reserved).
    expected = [(0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2),
                (0x100000, 0x7EE0000, 1), (0x7FE0000, 0x20000, 2), (0xFFFC0000, 0x40000, 2)]
    raw = loader.memory_map(128 * MiB)
    entries = [struct.unpack_from("<IQQI", raw, i) for i in range(0, len(raw), 24)]
    assert all(size == 20 for size, *_ in entries)
    assert [tuple(e[1:]) for e in entries] == expected
    # ... and for -m 2, the smallest bt allows.
    raw = loader.memory_map(2 * MiB)
    assert struct.unpack_from("<IQQI", raw, 3 * 24)[1:] == (0x100000, 0xE0000, 1)


def test_cmdline_is_path_space_append_as_qemu(tmp_path: Path) -> None:
    ram = RamBuffer(RAM)
    path = write(tmp_path, multiboot_elf(CODE))
    boot = loader.load_multiboot(ram, path, append="console=ttyS0  x=1")
    assert boot.cmdline == f"{path} console=ttyS0  x=1"
    assert c_string(ram, u32(ram, 0x9500 + 16)) == boot.cmdline.encode()
    # Without --append QEMU still adds the space.
    loader.load_multiboot(ram, path)
    assert c_string(ram, u32(ram, 0x9500 + 16)) == f"{path} ".encode()


def test_relative_path_is_kept_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, multiboot_elf(CODE), "k.elf")
    monkeypatch.chdir(tmp_path)
    boot = loader.load_multiboot(RamBuffer(RAM), "k.elf", "a")
    assert boot.cmdline == "k.elf a"


def test_non_load_segments_and_empty_segments_are_skipped(tmp_path: Path) -> None:
    image = bytearray(elf32([Segment(0x100000, multiboot_header() + CODE),
                             Segment(0x300000, b"NOTE")], 0x10000C))
    struct.pack_into("<I", image, 52 + 32, 4)          # second phdr: PT_NOTE
    ram = dirty_ram()
    boot = loader.load_multiboot(ram, write(tmp_path, bytes(image)))
    assert ram.data[0x300000:0x300004] == b"\xaa" * 4
    assert len(boot.ranges) == 1


def test_later_valid_header_wins_over_bad_checksum(tmp_path: Path) -> None:
    body = multiboot_header(checksum=0x1234) + multiboot_header() + CODE
    image = elf32([Segment(0x100000, body)], 0x100018)
    boot = loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))
    assert boot.entry == 0x100018


def test_header_found_up_to_the_8192_byte_limit() -> None:
    at_limit = bytes(8180) + multiboot_header()
    assert loader.find_multiboot_header(at_limit).offset == 8180
    with pytest.raises(LoaderError, match="not a Multiboot image"):
        loader.find_multiboot_header(bytes(8184) + multiboot_header())
    with pytest.raises(LoaderError):        # not 4-byte aligned
        loader.find_multiboot_header(bytes(2) + multiboot_header())


# ---- bad images --------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="cannot read .*No such file"):
        loader.load_multiboot(RamBuffer(RAM), str(tmp_path / "nope.elf"))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="is empty"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, b""))


def test_bad_checksum(tmp_path: Path) -> None:
    body = multiboot_header(checksum=0xDEADBEEF) + CODE
    image = elf32([Segment(0x100000, body)], 0x10000C)
    with pytest.raises(LoaderError, match=r"header at offset 0x54 has a bad checksum"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))


def test_truncated_segment(tmp_path: Path) -> None:
    image = multiboot_elf(CODE + bytes(100))
    with pytest.raises(LoaderError, match="is truncated: the segment for 0x00100000"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image[:-10]))


def test_truncated_program_headers(tmp_path: Path) -> None:
    image = bytearray(multiboot_elf(CODE))
    struct.pack_into("<H", image, 44, 200)      # e_phnum: far more than the file holds
    with pytest.raises(LoaderError, match="truncated: its program headers"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, bytes(image)))


def test_truncated_before_the_multiboot_header(tmp_path: Path) -> None:
    image = multiboot_elf(CODE)[:60]
    with pytest.raises(LoaderError, match="is truncated"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))


def test_elf64_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="64-bit ELF"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE, ei_class=2)))


def test_big_endian_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="big-endian"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE, ei_data=2)))


def test_wrong_machine_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="for ARM, not i386"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE, machine=40)))


def test_relocatable_object_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="not an ELF executable"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE, e_type=1)))


def test_elf_without_multiboot_header(tmp_path: Path) -> None:
    image = elf32([Segment(0x100000, CODE)], 0x100000)
    with pytest.raises(LoaderError, match="ELF file without a Multiboot header"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))


def test_random_bytes_are_not_multiboot(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="not a Multiboot image"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, bytes(range(256)) * 8))


def test_non_elf_header_without_address_flag(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="not an ELF file.*flag bit 16"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_header() + CODE))


def test_segment_beyond_ram_is_rejected_before_writing(tmp_path: Path) -> None:
    text = multiboot_header() + CODE
    image = elf32([Segment(0x100000, text), Segment(RAM - 8, b"X" * 16)], 0x10000C)
    ram = dirty_ram()
    with pytest.raises(LoaderError, match=r"0x007ffff8-0x00800007 lies outside guest RAM \(8 MiB\)"):
        loader.load_multiboot(ram, write(tmp_path, image))
    assert ram.data[0x100000:0x100004] == b"\xaa" * 4       # nothing was written


def test_bss_beyond_ram_is_rejected(tmp_path: Path) -> None:
    image = multiboot_elf(CODE, load_addr=RAM - 0x100, bss=0x200)
    with pytest.raises(LoaderError, match="outside guest RAM"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))


def test_segment_over_boot_information_is_rejected(tmp_path: Path) -> None:
    image = multiboot_elf(CODE, load_addr=0x8000, bss=0x2000)
    with pytest.raises(LoaderError, match="overlaps the boot information at 0x9000"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image))


def test_low_kernel_below_boot_area_is_fine(tmp_path: Path) -> None:
    ram = RamBuffer(RAM)
    boot = loader.load_multiboot(ram, write(tmp_path, multiboot_elf(CODE, load_addr=0x1000)))
    assert boot.entry == 0x100C
    assert bytes(ram.data[0x100C:0x100F]) == CODE


def test_nul_in_cmdline_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="NUL"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE)), "a\0b")


def test_overlong_cmdline_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="command line is too long"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, multiboot_elf(CODE)), "x" * MiB)


# ---- the a.out kludge (flag bit 16) ------------------------------------------

def aout_image(load: int, load_end: int | None, bss_end: int, entry: int,
               padding: bytes = b"") -> bytes:
    """A flat image whose first bytes are a Multiboot header with addresses."""
    size = 32 + len(CODE)
    end = load + size if load_end is None else load_end
    header = multiboot_header(0x10003, addresses=(load, load, end, bss_end, entry))
    return header + CODE + padding


def test_aout_kludge_loads_at_header_addresses(tmp_path: Path) -> None:
    image = aout_image(0x300000, None, 0x300100, 0x300020)
    ram = dirty_ram()
    boot = loader.load_multiboot(ram, write(tmp_path, image, "kernel.bin"))
    assert boot.kind == "aout"
    assert boot.entry == 0x300020 == boot.registers["eip"]
    assert bytes(ram.data[0x300000:0x300000 + len(image)]) == image
    assert ram.data[0x300000 + len(image):0x300100] == bytes(0x100 - len(image))


def test_aout_kludge_load_end_zero_means_whole_file(tmp_path: Path) -> None:
    image = aout_image(0x300000, 0, 0, 0x300020, padding=b"TAIL")
    ram = dirty_ram()
    loader.load_multiboot(ram, write(tmp_path, image, "kernel.bin"))
    assert bytes(ram.data[0x300000:0x300000 + len(image)]) == image


def test_aout_kludge_truncated(tmp_path: Path) -> None:
    image = aout_image(0x300000, 0x301000, 0, 0x300020)
    with pytest.raises(LoaderError, match="truncated"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image, "kernel.bin"))


def test_aout_kludge_bad_bss_end(tmp_path: Path) -> None:
    image = aout_image(0x300000, None, 0x300004, 0x300020)
    with pytest.raises(LoaderError, match="bss_end_addr"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, image, "kernel.bin"))


def test_aout_kludge_missing_address_fields(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="address fields are missing"):
        loader.load_multiboot(RamBuffer(RAM),
                              write(tmp_path, multiboot_header(0x10003), "kernel.bin"))


def test_aout_kludge_header_addr_below_load_addr(tmp_path: Path) -> None:
    header = multiboot_header(0x10003, addresses=(0x1000, 0x2000, 0, 0, 0x2000))
    with pytest.raises(LoaderError, match="header_addr"):
        loader.load_multiboot(RamBuffer(RAM), write(tmp_path, header + CODE, "kernel.bin"))


# ---- raw images --------------------------------------------------------------

def test_raw_image_copied_and_started_at_addr(tmp_path: Path) -> None:
    ram = dirty_ram()
    boot = loader.load_raw(ram, write(tmp_path, CODE * 10, "flat.bin"), 0x7C00, "go")
    assert bytes(ram.data[0x7C00:0x7C00 + 30]) == CODE * 10
    assert boot.entry == boot.registers["eip"] == 0x7C00
    assert boot.registers["cs"] == 0x08 and boot.registers["eax"] == 0x2BADB002
    assert c_string(ram, u32(ram, 0x9500 + 16)).endswith(b"flat.bin go")


def test_raw_image_beyond_ram(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="outside guest RAM"):
        loader.load_raw(RamBuffer(RAM), write(tmp_path, CODE, "flat.bin"), RAM - 1)


def test_raw_image_over_boot_area(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="overlaps the boot information"):
        loader.load_raw(RamBuffer(RAM), write(tmp_path, bytes(0x2000), "flat.bin"), 0x8000)


def test_raw_empty_file(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="is empty"):
        loader.load_raw(RamBuffer(RAM), write(tmp_path, b"", "flat.bin"), 0x100000)


def test_size_only_memory_validates_without_ram(tmp_path: Path) -> None:
    memory = loader.SizeOnlyMemory(3 * GiB)
    boot = loader.load_multiboot(memory, write(tmp_path, multiboot_elf(CODE)))
    assert boot.entry == 0x10000C
    with pytest.raises(LoaderError, match="outside guest RAM"):
        loader.load_raw(loader.SizeOnlyMemory(2 * MiB), write(tmp_path, CODE, "f"), 2 * MiB)
