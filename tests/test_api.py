"""The scripting API (bt.Machine): registers, memory, callout and port hooks,
hook errors, run statistics, and the README's example, on real guest code.

The small guests are hand-assembled (tests/guestimage.py); the demo is the
guest bundled with bt (bt.demo_image()).
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bt
from bt.machine import CalloutEvent, Hook, Machine, PortEvent, Segment, StopReason
from bt.sizes import MiB
from bt.stats import RunStats
from guestimage import HLT, debug_exit, multiboot_elf, print_text

pytestmark = pytest.mark.usefixtures("engine_module")

REPO = Path(__file__).resolve().parent.parent
ENTRY = 0x10000C                      # first instruction of a guestimage kernel
ENTRY_EAX = 0x2BADB002

# Six OUTs to COM1 (each 'mov dx, 0x3f8; mov al, c; out dx, al', 7 bytes with
# the OUT last), then an OUT to isa-debug-exit: status 11.
HELLO = print_text("hello\n") + debug_exit(5) + HLT
HELLO_OUTS = [ENTRY + 7 * i + 6 for i in range(6)]

# loop: mov dx, 0x3f8; mov al, 'a'; out dx, al; dec ecx; jnz loop
#       mov [0x200000], ebx; exit status 1
LOOP = (b"\x66\xba\xf8\x03" b"\xb0a" b"\xee" b"\x49" b"\x75\xf6"
        b"\x89\x1d\x00\x00\x20\x00" + debug_exit(0) + HLT)
LOOP_CHAR_IMM = ENTRY + 5             # the 'a' of 'mov al, 'a''

# Wait until COM1 has a byte (poll LSR.DR), read it, echo it: status 1.
ECHO = (b"\x66\xba\xfd\x03" b"\xec" b"\xa8\x01" b"\x74\xf7"
        b"\x66\xba\xf8\x03" b"\xec" b"\xee" + debug_exit(0))
ECHO_LSR_IN = ENTRY + 4

# rep outsb of 6 bytes at 0x100100 to COM1, then exit status 1.
OUTS = (b"\x66\xba\xf8\x03" b"\xbe\x00\x01\x10\x00" b"\xb9\x06\x00\x00\x00"
        b"\xf3\x6e" + debug_exit(0) + HLT)
OUTS_INSN = ENTRY + 14


def kernel(tmp_path: Path, code: bytes, data: bytes = b"") -> Path:
    """A kernel with `code` at the entry and `data` at physical 0x100100."""
    body = code.ljust(0x100 - 12, b"\x90") + data if data else code
    path = tmp_path / "guest.elf"
    path.write_bytes(multiboot_elf(body))
    return path


def machine(image: Path | None = None, **options) -> tuple[Machine, io.BytesIO]:
    out = io.BytesIO()
    m = Machine(ram_size=16 * MiB, serial_out=out, **options)
    m.load_multiboot(image if image is not None else bt.demo_image())
    return m, out


# ---- registers -------------------------------------------------------------------

def test_registers_round_trip(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    regs = m.regs
    assert regs.eax == regs["eax"] == ENTRY_EAX and regs.eip == ENTRY
    values = {"eax": 0x11111111, "ecx": 0x22222222, "edx": 0x33333333, "ebx": 0x44444444,
              "esp": 0x00080000, "ebp": 0xFFFFFFFF, "esi": 0, "edi": 0x80000000,
              "eip": 0x00100040, "eflags": 0x00000ED7, "cr0": 0x60000011, "cr2": 0xDEAD000,
              "cr3": 0x00123000, "cr4": 0x10, "gdtr_base": 0x5000, "gdtr_limit": 0xFFFF,
              "idtr_base": 0x6000, "idtr_limit": 0x7FF}
    assert set(values) == set(regs.WRITABLE)
    for i, (name, value) in enumerate(values.items()):
        if i % 2:
            setattr(regs, name, value)
        else:
            regs[name] = value
    assert {name: regs[name] for name in values} == values
    assert {name: getattr(regs, name) for name in values} == values
    assert m.engine.get_reg("ebx") == 0x44444444            # it really is the vCPU's

    regs.eflags = 0xFFFFFFFF             # reserved bits read as the CPU forces them
    assert regs.eflags & 0x2 and not regs.eflags & (0x8 | 0x20 | 0x8000)


def test_segments_and_cpl_are_read_only(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    regs = m.regs
    assert (regs.cs, regs["ds"], regs.ss, regs.cpl) == (0x08, 0x10, 0x10, 0)
    assert regs.segment("cs") == Segment(0x08, 0, 0xFFFFFFFF, 0xC9B)
    assert regs.segment("ds").base == 0 and regs.segment("ds").limit == 0xFFFFFFFF
    with pytest.raises(AttributeError, match="read-only"):
        regs.cs = 0x10
    with pytest.raises(KeyError, match="read-only"):
        regs["cpl"] = 3
    assert regs.cs == 0x08


def test_bad_register_names_and_values(tmp_path: Path) -> None:
    regs = machine(kernel(tmp_path, HELLO))[0].regs
    with pytest.raises(AttributeError):
        regs.rax
    with pytest.raises(AttributeError):
        regs.rax = 1
    with pytest.raises(KeyError):
        regs["xmm0"]
    with pytest.raises(KeyError):
        regs.segment("eax")
    with pytest.raises(ValueError, match="32-bit"):
        regs.eax = 1 << 32
    with pytest.raises(ValueError):
        regs.eax = -1
    with pytest.raises(ValueError, match="16-bit"):
        regs.gdtr_limit = 0x10000
    with pytest.raises(TypeError):
        regs.eax = "1"
    assert regs.eax == ENTRY_EAX
    assert set(regs.as_dict()) == set(regs.NAMES) and "eax" in regs
    assert "eip=0x10000c" in repr(regs)


def test_registers_set_before_a_run_steer_the_guest(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, LOOP))
    m.regs.ecx = 3                       # loop count
    m.regs.ebx = 0xCAFEBABE              # stored at 0x200000
    result = m.run()
    assert (result.reason, result.exit_status) == (StopReason.DEBUG_EXIT, 1)
    assert out.getvalue() == b"aaa"
    assert m.read(0x200000, 4) == (0xCAFEBABE).to_bytes(4, "little")
    assert m.regs.ecx == 0


def test_eip_can_be_moved(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    m.regs.eip = ENTRY + 7 * 4            # skip 'h', 'e', 'l', 'l'
    assert m.run().exit_status == 11
    assert out.getvalue() == b"o\n"


# ---- memory -------------------------------------------------------------------------

def test_memory_read_write(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    assert m.read(ENTRY, 4) == HELLO[:4]
    m.write(0x300000, b"\x01\x02\x03")
    m.write(0x300003, bytearray(b"\x04"))
    m.write(0x300004, memoryview(b"\x05"))
    assert m.read(0x300000, 6) == b"\x01\x02\x03\x04\x05\x00"
    top = 16 * MiB
    m.write(top - 2, b"zz")
    assert m.read(top - 2, 2) == b"zz"
    with pytest.raises(ValueError, match="outside guest RAM"):
        m.read(top - 1, 2)
    with pytest.raises(ValueError, match="outside guest RAM"):
        m.write(top - 1, b"xy")


def test_writing_code_between_runs_drops_its_translation(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, LOOP))
    m.regs.ecx = 4
    result = m.run(max_instructions=10)   # two turns of the 5-instruction loop
    assert result.reason == StopReason.LIMIT and out.getvalue() == b"aa"
    assert m.regs.eip == ENTRY and m.regs.ecx == 2
    m.write(LOOP_CHAR_IMM, b"b")          # patch code the cache has translated
    assert m.run().exit_status == 1
    assert out.getvalue() == b"aabb"


# ---- callout hooks ------------------------------------------------------------------

def test_callout_hook_sees_every_out_before_it_runs(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    log: list[tuple] = []

    def hook(event: CalloutEvent) -> None:
        assert event.machine is m
        log.append((event.kind, event.eip, m.regs.eip))   # EIP is on the OUT

    handle = m.on_callout("out", hook)
    m.on_port(0x3F8, lambda e: log.append(("device", e.value)))
    assert isinstance(handle, Hook) and handle.active
    result = m.run()
    assert result.exit_status == 11 and out.getvalue() == b"hello\n"
    expected = []
    for eip, char in zip(HELLO_OUTS, b"hello\n"):
        expected += [("out", eip, eip), ("device", char)]
    exit_out = ENTRY + 6 * 7 + 2
    assert log == expected + [("out", exit_out, exit_out)]
    assert result.stats.callouts == {"out": 7}


def test_callout_hooks_count_what_the_engine_counts() -> None:
    """A hook on every callout kind sees exactly the engine's per-kind counts."""
    m, out = machine()
    counts: dict[str, int] = {}

    def count(event: CalloutEvent) -> None:
        counts[event.kind] = counts.get(event.kind, 0) + 1

    for kind in m.callout_kinds:
        m.on_callout(kind, count)
    result = m.run()
    assert result.reason == StopReason.POWEROFF
    assert counts == result.stats.callouts
    assert {"out", "in", "cli", "sti", "pushf", "popf", "lgdt", "sgdt", "cpuid",
            "jmp_far", "mov_to_sreg", "mov_from_cr"} <= counts.keys()
    # One OUT per byte printed, plus 7 to set the UART up, 2 to mask the
    # PICs, one POST code and the ACPI power-off.
    assert counts["out"] == len(out.getvalue()) + 11


def test_several_hooks_of_a_kind_run_in_order(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    calls: list[str] = []
    m.on_callout("out", lambda e: calls.append("first"))
    m.on_callout("out", lambda e: calls.append("second"))
    m.run()
    assert calls == ["first", "second"] * 7


def test_unknown_callout_kind_and_bad_hooks(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    with pytest.raises(ValueError, match="unknown callout kind 'outb'.*mov_to_cr"):
        m.on_callout("outb", print)
    with pytest.raises(TypeError):
        m.on_callout("out", None)
    with pytest.raises(ValueError, match="0 .. 0xffff"):
        m.on_port(0x10000, print)
    with pytest.raises(ValueError):
        m.on_port(-1, print)
    assert "out" in m.callout_kinds and "iret" in m.callout_kinds


# ---- port hooks ---------------------------------------------------------------------

def test_port_hook_sees_exactly_the_serial_output(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    events: list[PortEvent] = []
    m.on_port(0x3F8, events.append)
    m.on_port(0x3F9, events.append)       # no access: never called
    assert m.run().exit_status == 11
    assert bytes(e.value for e in events) == out.getvalue() == b"hello\n"
    assert {(e.kind, e.direction, e.port, e.size) for e in events} == {("out", "out", 0x3F8, 1)}
    assert [e.eip for e in events] == HELLO_OUTS


def test_port_hooks_capture_the_demo_console() -> None:
    """Hooks on COM1's data and line-control ports rebuild the console output."""
    m, out = machine()
    text = bytearray()
    dlab = [False]

    def lcr(event: PortEvent) -> None:
        if event.direction == "out":
            dlab[0] = bool(event.value & 0x80)

    def data(event: PortEvent) -> None:
        if event.direction == "out" and not dlab[0]:
            text.append(event.value)

    lsr_reads: list[int] = []
    m.on_port(0x3FB, lcr)
    m.on_port(0x3F8, data)
    m.on_port(0x3FD, lambda e: lsr_reads.append(e.value) if e.direction == "in" else None)
    result = m.run()
    assert result.reason == StopReason.POWEROFF
    assert bytes(text) == out.getvalue()
    assert out.getvalue().startswith(b"bt demo: a tiny 32-bit kernel says hello\n")
    # The guest polls the line status before each byte: the hook saw the answers.
    assert len(lsr_reads) == result.stats.callouts["in"]
    assert all(v & 0x20 for v in lsr_reads)


def test_port_hook_on_a_fast_port_sees_its_accesses() -> None:
    """Port 0x80 is answered in C; a hook takes it off that path while registered."""
    m, _ = machine()
    posts: list[tuple[str, int]] = []
    hook = m.on_port(0x80, lambda e: posts.append((e.direction, e.value)))
    m.run()
    assert posts == [("out", 0x42)]       # the demo's 'outb(0x80, 0x42)'
    assert m.post.last == 0x42            # the device saw it too
    hook.remove()

    m2, _ = machine()                     # without a hook the fast path skips the device
    m2.run()
    assert m2.post.last is None


def test_port_hooks_replace_values(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, ECHO))
    # Nothing was fed to COM1: the hooks claim a byte is ready and supply it.
    m.on_port(0x3FD, lambda e: e.value | 0x01 if e.direction == "in" else None)
    m.on_port(0x3F8, lambda e: ord("x") if e.direction == "in" else None)
    m.on_port(0x3F8, lambda e: e.value - 0x20 if e.direction == "out" else None)
    result = m.run()
    assert result.exit_status == 1
    assert out.getvalue() == b"X"
    assert m.regs.eax & 0xFF == 0         # debug_exit's 'mov al, 0' ran after the echo


def test_port_hook_sees_every_element_of_a_string_instruction(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, OUTS, data=b"string"))
    events: list[PortEvent] = []
    m.on_port(0x3F8, events.append)
    assert m.run().exit_status == 1
    assert out.getvalue() == b"string"
    assert [(e.kind, e.eip, e.value) for e in events] == \
        [("outs", OUTS_INSN, c) for c in b"string"]


def test_port_hook_value_must_fit(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    m.on_port(0x3F8, lambda e: 0x100)
    result = m.run()
    assert result.reason == StopReason.HOOK_ERROR
    assert "does not fit a 1-byte access" in result.message
    assert out.getvalue() == b""


# ---- removing hooks -------------------------------------------------------------

def test_removed_hooks_are_not_called(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    outs: list[int] = []
    ports: list[int] = []
    out_hook = m.on_callout("out", lambda e: outs.append(e.eip))
    port_hook = m.on_port(0x3F8, lambda e: ports.append(e.value))
    m.run(max_instructions=6)             # 'h' and 'e'
    assert (len(outs), bytes(ports)) == (2, b"he")
    out_hook.remove()
    port_hook.remove()
    port_hook.remove()                    # idempotent
    assert not out_hook.active and "removed" in repr(out_hook)
    # The engine is back on the plain port path: no hook work at all.
    assert m.engine._port_read == m._port_read and m.engine._port_write == m._port_write
    assert m.run().exit_status == 11
    assert (len(outs), bytes(ports)) == (2, b"he")
    assert out.getvalue() == b"hello\n"


def test_hook_as_context_manager(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    seen: list[int] = []
    with m.on_port(0x3F8, lambda e: seen.append(e.value)):
        m.run(max_instructions=3)
    m.run()
    assert bytes(seen) == b"h"


def test_a_hook_may_remove_itself(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    seen: list[int] = []

    def once(event: CalloutEvent) -> None:
        seen.append(event.eip)
        handle.remove()

    handle = m.on_callout("out", once)
    assert m.run().exit_status == 11
    assert seen == HELLO_OUTS[:1]


# ---- hooks that raise ----------------------------------------------------------------

def test_raising_callout_hook_stops_on_the_instruction(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))
    calls = []

    def third_fails(event: CalloutEvent) -> None:
        calls.append(event.eip)
        if len(calls) == 3:
            raise ValueError("no third\ncharacter")

    m.on_callout("out", third_fails)
    result = m.run()
    assert result.reason == StopReason.HOOK_ERROR and result.reason.final
    assert result.exit_status == 4
    assert result.message == (
        'hook on_callout("out") test_raising_callout_hook_stops_on_the_instruction.'
        '<locals>.third_fails raised ValueError: no third character (at 0x00100020)')
    assert "\n" not in result.message
    assert isinstance(result.error, ValueError)
    assert out.getvalue() == b"he"                   # the third OUT did not run
    assert m.regs.eip == HELLO_OUTS[2] == 0x100020
    # The machine is finished: running again gives the same stop, runs nothing.
    again = m.run()
    assert (again.reason, again.message, again.instructions) == \
        (result.reason, result.message, 0)
    assert out.getvalue() == b"he"


def test_raising_port_hook_on_out_never_reaches_the_device(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, HELLO))

    def no_l(event: PortEvent) -> None:
        if event.value == ord("l"):
            raise RuntimeError("no l")

    m.on_port(0x3F8, no_l)
    result = m.run()
    assert (result.reason, result.exit_status) == (StopReason.HOOK_ERROR, 4)
    assert result.message.startswith("hook on_port(0x3f8) ")
    assert result.message.endswith(" raised RuntimeError: no l (at 0x00100020)")
    assert out.getvalue() == b"he"
    assert m.regs.eip == 0x100020


def test_raising_port_hook_on_in_leaves_the_registers(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, ECHO))

    def fail(event: PortEvent) -> None:
        raise KeyError("lsr")

    m.on_port(0x3FD, fail)
    result = m.run()
    assert result.reason == StopReason.HOOK_ERROR
    assert result.message.endswith("raised KeyError: 'lsr' (at 0x00100010)")
    assert m.regs.eip == ECHO_LSR_IN
    assert m.regs.eax == ENTRY_EAX                # the IN did not write AL


def test_raising_port_hook_in_a_rep_outs_stops_on_that_element(tmp_path: Path) -> None:
    m, out = machine(kernel(tmp_path, OUTS, data=b"string"))

    def fail_at_i(event: PortEvent) -> None:
        if event.value == ord("i"):
            raise ValueError("i")

    m.on_port(0x3F8, fail_at_i)
    result = m.run()
    assert result.reason == StopReason.HOOK_ERROR
    assert out.getvalue() == b"str"
    # Restartable: EIP on the REP OUTSB, ESI on the 'i', ECX counting it.
    assert (m.regs.eip, m.regs.esi, m.regs.ecx) == (OUTS_INSN, 0x100103, 3)


def test_hooks_may_not_change_the_machine_while_it_runs(tmp_path: Path) -> None:
    for action in (lambda m: setattr(m.regs, "eax", 1),
                   lambda m: m.write(0x200000, b"x"),
                   lambda m: m.run()):
        m, out = machine(kernel(tmp_path, HELLO))
        m.on_callout("out", lambda e: action(e.machine))
        result = m.run()
        assert result.reason == StopReason.HOOK_ERROR
        assert "raised RuntimeError: " in result.message
        assert out.getvalue() == b""


def test_hooks_may_read_the_machine_while_it_runs(tmp_path: Path) -> None:
    m, _ = machine(kernel(tmp_path, HELLO))
    seen = []
    m.on_callout("out", lambda e: seen.append((e.machine.regs.eax & 0xFF,
                                               e.machine.read(e.eip, 1))))
    m.run()
    assert seen[:6] == [(c, b"\xee") for c in b"hello\n"]


# ---- statistics -----------------------------------------------------------------------

def test_run_stats_is_a_plain_object() -> None:
    m, _ = machine()
    result = m.run()
    s = result.stats
    assert isinstance(s, RunStats)
    assert s.instructions == result.instructions > 1_000_000
    assert s.wall_seconds == result.wall_seconds > 0 and s.mips > 0
    assert s.blocks_translated == s.cache_misses > 0
    assert s.cache_hits + s.cache_misses == s.block_lookups
    assert s.hit_rate == pytest.approx(s.cache_hits / s.block_lookups)
    assert s.chained_jumps > 0 and s.invalidations == 0 and s.flushes == 0
    assert s.total_callouts == sum(s.callouts.values())
    assert list(s.callouts.values()) == sorted(s.callouts.values(), reverse=True)
    assert s.callout_share("out") == pytest.approx(s.callouts["out"] / s.total_callouts)
    assert s["instructions"] == s.instructions and s["callouts"] is s.callouts
    with pytest.raises(KeyError):
        s["no_such_counter"]
    d = json.loads(json.dumps(s.as_dict()))
    assert d["instructions"] == s.instructions and d["callouts"] == s.callouts
    assert d["mips"] == pytest.approx(s.mips)


def test_run_stats_cover_one_run_and_machine_stats_all() -> None:
    m, _ = machine()
    first = m.run(max_instructions=1_000_000)
    second = m.run()
    assert first.stats.instructions == 1_000_000 == first.instructions
    assert second.stats.instructions == second.instructions
    total = m.stats()
    assert total.instructions == first.instructions + second.instructions
    for kind, n in total.callouts.items():
        assert n == first.stats.callouts.get(kind, 0) + second.stats.callouts.get(kind, 0)
    assert total.blocks_translated == \
        first.stats.blocks_translated + second.stats.blocks_translated
    assert total.cache_blocks == second.stats.cache_blocks        # a level, not a count


# ---- the README example -----------------------------------------------------------------

def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Scripting"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the README's Scripting section has no Python example"
    return blocks[0]


def test_readme_example_runs() -> None:
    proc = subprocess.run([sys.executable, "-c", readme_example()], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "stopped: poweroff (exit status 0): guest powered off (ACPI)"
    assert lines[1] == "first line on COM1: bt demo: a tiny 32-bit kernel says hello"
    m = re.fullmatch(r"OUT instructions: (\d+) seen by the hook, (\d+) counted by the engine",
                     lines[2])
    assert m and m[1] == m[2] and int(m[1]) > 400
    assert re.fullmatch(r"eip=0x[0-9a-f]{8} eflags=0x[0-9a-f]+ cr0=0x11 cs=0x8", lines[3])
    assert lines[4] == ("guest GDT: ['0000000000000000', '00cf9b000000ffff', "
                        "'00cf93000000ffff']")
    assert lines[5] == "bt statistics:"
    assert any(line.split()[:1] == ["out"] for line in lines[6:])
    assert not proc.stderr
