"""Machine's run loop and wiring, against a scripted stand-in for the engine.

The stand-in implements the interface of bt/engine.pyi; each test scripts
what the guest "does" during Engine.run (port accesses, halts, faults), so
the loop's handling of every exit reason is checked without the compiled
engine. tests/test_run.py runs real guest code through the real engine.
"""
from __future__ import annotations

import io
import os
import signal
import types
from pathlib import Path
from typing import Callable

import pytest

import bt
from bt import loader
from bt.errors import ConfigError
from bt.machine import Machine, StopReason
from bt.sizes import GiB, MiB
from guestimage import multiboot_elf

EXIT_BUDGET, EXIT_HALT, EXIT_STOP, EXIT_FAULT, EXIT_ERROR = range(5)

Behaviour = Callable[["FakeEngine", int], int]


class FakeEngine:
    """Implements bt.engine.Engine's interface; `behaviour` plays the guest."""

    def __init__(self, ram_size: int, cache_bytes: int = 0) -> None:
        self._ram = bytearray(ram_size)
        self.ram = memoryview(self._ram)
        self.ram_size = ram_size
        self.icount = 0
        self.fault_message = ""
        self.regs: dict[str, int] = {}
        self.segments: dict[str, tuple[int, int, int, int]] = {}
        self.constants: dict[int, int | None] = {}
        self.stop_requested = False
        self.trace: object | None = None
        self.run_calls: list[int] = []
        self.behaviour: Behaviour = lambda engine, budget: EXIT_HALT

    def get_reg(self, name: str) -> int:
        return self.regs.get(name, 0)

    def set_reg(self, name: str, value: int) -> None:
        self.regs[name] = value

    def set_segment(self, name: str, selector: int, base: int, limit: int, attr: int) -> None:
        self.regs[name] = selector
        self.segments[name] = (selector, base, limit, attr)

    def write_phys(self, addr: int, data: bytes) -> None:
        assert 0 <= addr and addr + len(data) <= self.ram_size
        self.ram[addr:addr + len(data)] = data

    def set_port_handlers(self, read, write) -> None:
        self.port_read, self.port_write = read, write

    def set_port_constant(self, port: int, value: int | None) -> None:
        self.constants[port] = value

    def set_intr(self, level: bool) -> None:
        self.intr = level

    def set_intr_acknowledge(self, fn: object) -> None:
        self.acknowledge = fn

    def request_stop(self) -> None:
        self.stop_requested = True

    def run(self, max_insns: int = 0) -> int:
        self.run_calls.append(max_insns)
        reason = self.behaviour(self, max_insns)
        if self.stop_requested:
            self.stop_requested = False
            return EXIT_STOP
        return reason

    def set_trace(self, f: object | None) -> None:
        self.trace = f

    def stats(self) -> dict[str, object]:
        return {"instructions": self.icount, "blocks_translated": 3}

    def explain(self, addr: int) -> str:
        return f"block at 0x{addr:08x}"


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("fake_engine")
    module.Engine = FakeEngine
    module.EXIT_BUDGET, module.EXIT_HALT, module.EXIT_STOP = EXIT_BUDGET, EXIT_HALT, EXIT_STOP
    module.EXIT_FAULT, module.EXIT_ERROR = EXIT_FAULT, EXIT_ERROR
    monkeypatch.setattr(bt, "load_engine", lambda: module)
    return module


@pytest.fixture
def kernel(tmp_path: Path) -> Path:
    path = tmp_path / "kernel.elf"
    path.write_bytes(multiboot_elf(b"\x90\xf4"))
    return path


def machine(kernel: Path, behaviour: Behaviour, **options) -> tuple[Machine, FakeEngine, io.BytesIO]:
    out = io.BytesIO()
    m = Machine(ram_size=8 * MiB, serial_out=out, **options)
    m.load_multiboot(kernel)
    m.engine.behaviour = behaviour
    return m, m.engine, out


def test_load_sets_entry_state_and_ram(kernel: Path) -> None:
    m, engine, _ = machine(kernel, lambda e, b: EXIT_HALT, append="quiet")
    boot = m.image
    assert boot is not None and boot.cmdline == f"{kernel} quiet"
    assert engine.regs == boot.registers
    assert list(engine.regs) == list(loader.entry_registers(0, 0))     # same order
    assert engine.regs["eip"] == 0x10000C and engine.regs["eax"] == 0x2BADB002
    # Flat segments with the hidden state the engine's own reset uses.
    assert engine.segments["cs"] == (0x08, 0, 0xFFFFFFFF, 0xC9B)
    assert all(engine.segments[s] == (0x10, 0, 0xFFFFFFFF, 0xC93)
               for s in ("ds", "es", "fs", "gs", "ss"))
    assert bytes(engine.ram[0x10000C:0x10000E]) == b"\x90\xf4"
    assert bytes(engine.ram[0x9600:0x9600 + len(boot.cmdline)]) == boot.cmdline.encode()


def test_debug_exit_ends_the_run(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        for ch in b"ok\n":
            engine.port_write(0x3F8, 1, ch)
        engine.port_write(0xF4, 1, 5)
        engine.icount += 10
        return EXIT_BUDGET

    m, _, out = machine(kernel, guest)
    result = m.run()
    assert (result.exit_status, result.reason) == (11, StopReason.DEBUG_EXIT)
    assert out.getvalue() == b"ok\n"
    assert result.instructions == 10
    # The run's own counters (the stand-in's blocks_translated never moves).
    assert (result.stats.instructions, result.stats.blocks_translated) == (10, 0)
    assert result.stats["instructions"] == 10
    assert result.stats.wall_seconds == result.wall_seconds


def test_poweroff(kernel: Path) -> None:
    m, _, _ = machine(kernel, lambda e, b: e.port_write(0x604, 2, 0x2000) or EXIT_BUDGET)
    result = m.run()
    assert (result.exit_status, result.reason) == (0, StopReason.POWEROFF)


def test_first_stop_wins(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        engine.port_write(0xF4, 1, 1)
        engine.port_write(0x604, 2, 0x2000)
        return EXIT_FAULT

    result = machine(kernel, guest)[0].run()
    assert (result.exit_status, result.reason) == (3, StopReason.DEBUG_EXIT)


def test_output_flushed_at_the_end_of_a_run(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        engine.port_write(0x3F8, 1, ord(">"))
        engine.regs["eip"] = 0x100011
        return EXIT_HALT

    m, _, out = machine(kernel, guest)
    m.run()
    assert out.getvalue() == b">"


def test_halt_with_interrupts_disabled(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        engine.regs.update(eip=0x100011, eflags=0x2)
        return EXIT_HALT

    result = machine(kernel, guest)[0].run()
    assert result.exit_status == 4 and result.reason is StopReason.HALT
    assert result.message == "halted with interrupts disabled at 0x00100010"


def test_halt_with_interrupts_enabled_but_no_source(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        engine.regs.update(eip=0x200001, eflags=0x202)
        return EXIT_HALT

    m = machine(kernel, guest)[0]
    m.pic.master.imr = 0xFF          # the timer's IRQ masked: nothing can wake it
    result = m.run()
    assert result.exit_status == 4
    assert result.message == \
        "halted waiting for interrupts with no interrupt source at 0x00200000"


def test_fault_and_internal_error(kernel: Path) -> None:
    def fault(engine: FakeEngine, budget: int) -> int:
        engine.fault_message = "unsupported instruction 'fld' at 0x00100010"
        return EXIT_FAULT

    result = machine(kernel, fault)[0].run()
    assert (result.exit_status, result.reason, result.message) == \
        (4, StopReason.FAULT, "unsupported instruction 'fld' at 0x00100010")

    def error(engine: FakeEngine, budget: int) -> int:
        engine.fault_message = "bad micro-op"
        return EXIT_ERROR

    result = machine(kernel, error)[0].run()
    assert (result.exit_status, result.reason) == (70, StopReason.INTERNAL_ERROR)
    assert "bad micro-op" in result.message


def test_instruction_limit_and_resume(kernel: Path) -> None:
    def spin(engine: FakeEngine, budget: int) -> int:
        assert budget > 0
        engine.icount += budget
        return EXIT_BUDGET

    m, engine, _ = machine(kernel, spin)
    result = m.run(max_instructions=1000)
    assert (result.exit_status, result.reason) == (0, StopReason.LIMIT)
    assert result.instructions == 1000 and engine.run_calls == [1000]
    assert result.message == "instruction limit reached (1000 instructions)"
    result = m.run(max_instructions=500)          # a limit stop can be resumed
    assert result.instructions == 500 and engine.icount == 1500


def test_unlimited_run_goes_on_in_slices(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        engine.icount += budget
        if len(engine.run_calls) == 3:
            engine.port_write(0xF4, 1, 0)
        return EXIT_BUDGET

    m, engine, _ = machine(kernel, guest)
    result = m.run()
    assert len(engine.run_calls) == 3 and all(b > 0 for b in engine.run_calls)
    assert result.exit_status == 1


def test_final_stop_is_sticky(kernel: Path) -> None:
    m, engine, _ = machine(kernel, lambda e, b: e.port_write(0xF4, 1, 2) or EXIT_BUDGET)
    first = m.run()
    second = m.run()
    assert second.exit_status == first.exit_status == 5
    assert len(engine.run_calls) == 1


def test_device_exception_becomes_internal_error(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        assert engine.port_read(0x3FD, 1) == 0xFF      # the failing read returns all ones
        return EXIT_BUDGET

    m, _, _ = machine(kernel, guest)
    m.uart.io_read = None                              # type: ignore[assignment]
    result = m.run()
    assert (result.exit_status, result.reason) == (70, StopReason.INTERNAL_ERROR)
    assert "port 0x03fd" in result.message and "TypeError" in result.message


def test_strict_ports(kernel: Path) -> None:
    guest = lambda e, b: e.port_read(0x3E0, 1) and EXIT_BUDGET       # noqa: E731
    result = machine(kernel, guest, strict_ports=True)[0].run()
    assert (result.exit_status, result.reason) == (4, StopReason.UNKNOWN_PORT)
    assert "unknown port 0x03e0" in result.message
    m, _, _ = machine(kernel, lambda e, b: e.port_read(0x3E0, 1) == 0xFF and EXIT_HALT)
    assert m.run().reason is StopReason.HALT


def test_spurious_stop_is_ignored_once(kernel: Path) -> None:
    calls = []

    def guest(engine: FakeEngine, budget: int) -> int:
        calls.append(budget)
        if len(calls) == 1:
            engine.stop_requested = True      # a stale request from earlier
            return EXIT_BUDGET
        engine.regs["eip"] = 0x100011
        return EXIT_HALT

    assert machine(kernel, guest)[0].run().reason is StopReason.HALT
    assert len(calls) == 2


def test_sigint_stops_the_run_cleanly(kernel: Path) -> None:
    def guest(engine: FakeEngine, budget: int) -> int:
        os.kill(os.getpid(), signal.SIGINT)   # the handler runs before this returns
        engine.icount += 1
        return EXIT_BUDGET

    m, _, _ = machine(kernel, guest)
    result = m.run()
    assert (result.exit_status, result.reason) == (130, StopReason.INTERRUPTED)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    m.engine.behaviour = lambda e, b: e.port_write(0xF4, 1, 0) or EXIT_BUDGET
    assert m.run().exit_status == 1           # an interrupted run can go on


def test_post_port_fast_path(kernel: Path) -> None:
    m, engine, _ = machine(kernel, lambda e, b: EXIT_HALT)
    assert engine.constants == {0x80: 0xFF}
    m, engine, _ = machine(kernel, lambda e, b: EXIT_HALT, fast_ports=False)
    assert engine.constants == {}


def test_trace_file_is_handed_to_the_engine(kernel: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    m, engine, _ = machine(kernel, lambda e, b: EXIT_HALT, trace_file=trace)
    assert engine.trace is not None and not engine.trace.closed
    handle = engine.trace
    m.close()
    assert engine.trace is None and handle.closed


def test_explain_defaults_to_the_entry(kernel: Path) -> None:
    m, _, _ = machine(kernel, lambda e, b: EXIT_HALT)
    assert m.explain() == "block at 0x0010000c"
    assert m.explain(0x1234) == "block at 0x00001234"


def test_misuse_is_reported(kernel: Path) -> None:
    m = Machine(ram_size=4 * MiB, serial_out=io.BytesIO())
    with pytest.raises(RuntimeError, match="no image loaded"):
        m.run()
    m.load_multiboot(kernel)
    m.engine.behaviour = lambda e, b: EXIT_HALT
    m.run()
    with pytest.raises(RuntimeError, match="before the machine first runs"):
        m.load_multiboot(kernel)


@pytest.mark.parametrize("size", [MiB, 3 * GiB + 4096, 2 * MiB + 1])
def test_bad_ram_sizes(size: int) -> None:
    with pytest.raises(ConfigError):
        Machine(ram_size=size)


def test_console_input_reaches_the_uart(kernel: Path) -> None:
    m, _, _ = machine(kernel, lambda e, b: EXIT_HALT)
    m.feed_serial(b"k")
    assert m.bus.read(0x3FD, 1) & 1 and m.bus.read(0x3F8, 1) == ord("k")
