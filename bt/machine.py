"""The machine: guest RAM and vCPU (the engine), the port bus and devices, the run loop.

This is bt's public Python API (the README's "Scripting" section has a
complete example)::

    import bt
    with bt.Machine(ram_size=64 * MiB, append="verbose") as m:
        m.load_multiboot("kernel.elf")
        m.regs.ecx = 10                          # registers, by attribute or m.regs["ecx"]
        m.write(0x200000, b"input")              # guest-physical memory
        outs = m.on_callout("out", lambda ev: print(hex(ev.eip)))
        m.on_port(0x3F8, lambda ev: print(ev.direction, chr(ev.value)))
        result = m.run(max_instructions=10_000_000)
        outs.remove()
    print(result.exit_status, result.reason, result.message)
    print(result.stats.callouts, m.read(0x200000, 5))

Exit statuses (the same numbers the `bt run` command exits with):

    0     the guest powered off (ACPI), or the instruction limit was reached
    odd   the guest wrote v to isa-debug-exit: ((v << 1) | 1) & 0xFF, as QEMU
    3     a triple fault (a fault while delivering a double fault); the same
          number as isa-debug-exit with 1, the message tells them apart
    4     the guest cannot go on: a fault bt stops on (an unsupported
          instruction or mode),
          HLT with no interrupt that could ever wake it, or an unknown port
          in strict mode; also a hook of a script that raised (HOOK_ERROR,
          never seen by `bt run`, which registers no hooks)
    70    an internal error in bt (a bug; please report it)
    130   interrupted (Ctrl-C)

Status 1 is deliberately not used for bt's own stops: it is what a guest
gets by writing 0 to isa-debug-exit, which several test suites use to mean
success. The command line uses 2 for user errors (bad image or option).

Hooks
-----
`on_callout(kind, fn)` calls fn(CalloutEvent) before every instruction that
becomes a callout of that kind ("out", "cli", "mov_to_cr" ... see
`Machine.callout_kinds`), with the CPU state as it is before the instruction.
`on_port(port, fn)` calls fn(PortEvent) on every IN, OUT, INS and OUTS
addressed to `port`: for a write before the device sees the value, for a read
after the device answered. A port hook may return an int to replace the value
(what the device receives, or what the guest reads); returning None keeps it.
Both return a `Hook`; `hook.remove()` unregisters it. Hooks may read
registers and memory; writing them during a run raises RuntimeError.

A hook that raises an Exception stops the run: run() returns reason
HOOK_ERROR, status 4, a one-line message naming the hook and its exception,
and the exception itself in `RunResult.error`; EIP is left on the instruction
being executed, which has not taken effect (a port hook's OUT never reaches
the device; for an IN the device has already answered). The machine is then
finished. With no hook registered, hooks cost nothing: the engine tests one
zero word per callout, and port accesses take the plain path.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, BinaryIO, Callable, Iterator, NamedTuple, TextIO

import bt

from . import loader
from .devices import AcpiPowerOff, DebugExit, PortBus, PostPort, StopFn, Uart16550
from .devices.clock import HostClock, InstructionClock
from .devices.cmos import CmosRtc
from .devices.pic8259 import Pic8259Pair
from .devices.pit8254 import Pit8254, SystemControlPortB
from .devices.console import HostInputReader, stdin_is_readable
from .devices.debug_exit import DEBUG_EXIT_BASE, DEBUG_EXIT_PORTS
from .devices.post import POST_PORT, POST_READ_VALUE
from .devices.poweroff import PM1A_CNT_PORT
from .devices.uart16550 import COM1_BASE
from .errors import ConfigError
from .sizes import GiB, MiB, format_size
from .stats import RunStats

__all__ = ["Machine", "RunResult", "RunStats", "StopReason", "Registers", "Segment",
           "CalloutEvent", "PortEvent", "Hook", "MIN_RAM_SIZE", "MAX_RAM_SIZE",
           "DEFAULT_RAM_SIZE", "STATUS_GUEST_STOPPED", "STATUS_HOOK_ERROR",
           "STATUS_INTERNAL_ERROR", "STATUS_INTERRUPTED"]

DEFAULT_RAM_SIZE = 128 * MiB
# Multiboot kernels load at 1 MiB and QEMU's memory map reserves the top
# 128 KiB of RAM: 2 MiB leaves a kernel room to exist.
MIN_RAM_SIZE = 2 * MiB
# Guest-physical addresses are 32 bits and the top GiB belongs to device
# memory and firmware (PCI hole, BIOS flash at 0xFFFC0000), as on QEMU's pc
# machine; without PAE, 3 GiB is all the RAM a guest can address.
MAX_RAM_SIZE = 3 * GiB
PAGE_SIZE = 4096

STATUS_POWEROFF = 0
STATUS_LIMIT = 0
STATUS_GUEST_STOPPED = 4
STATUS_TRIPLE_FAULT = 3
STATUS_HOOK_ERROR = STATUS_GUEST_STOPPED   # bt stopped the guest: a script's hook raised
STATUS_INTERNAL_ERROR = 70     # EX_SOFTWARE
STATUS_INTERRUPTED = 130       # 128 + SIGINT, as shells report it

# The engine runs at most this many instructions per call, so that Python
# regains control often enough to notice Ctrl-C (tens of milliseconds).
RUN_SLICE = 1 << 23
# On the host clock the timer is looked at between slices this long
# (about 0.2 ms of guest time at bt's speed).
HOST_TIMER_SLICE = 100_000

EFLAGS_IF = 1 << 9


class StopReason(StrEnum):
    """Why a run ended."""

    DEBUG_EXIT = "debug-exit"          # the guest wrote to isa-debug-exit
    POWEROFF = "poweroff"              # the guest powered off through ACPI
    HALT = "halt"                      # HLT that nothing can wake
    FAULT = "fault"                    # the engine stopped on a guest fault
    TRIPLE_FAULT = "triple-fault"      # a fault while delivering a double fault
    UNKNOWN_PORT = "unknown-port"      # strict mode: access to an unmodelled port
    LIMIT = "instruction-limit"        # max_instructions executed
    HOOK_ERROR = "hook-error"          # a hook registered by a script raised
    INTERRUPTED = "interrupted"        # Ctrl-C
    INTERNAL_ERROR = "internal-error"  # a bug in bt

    @property
    def final(self) -> bool:
        """Whether the machine cannot be resumed after this stop."""
        return self not in (StopReason.LIMIT, StopReason.INTERRUPTED)


@dataclass(frozen=True)
class RunResult:
    """The outcome of `Machine.run()`."""

    exit_status: int                 # what `bt run` exits with (see the module doc)
    reason: StopReason
    message: str                     # one line saying what happened
    stats: RunStats = field(default_factory=RunStats)   # the engine's counters for this run()
    instructions: int = 0            # guest instructions executed by this run()
    wall_seconds: float = 0.0        # wall-clock time of this run()
    error: BaseException | None = field(default=None, compare=False)  # a hook's exception

    @property
    def mips(self) -> float:
        """Millions of guest instructions per wall-clock second in this run."""
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class _Stop:
    status: int
    reason: StopReason
    message: str
    error: BaseException | None = None


# ---- scripting: registers, hook events, hook handles ----------------------------

class Segment(NamedTuple):
    """A segment register: its selector and the hidden descriptor cache."""

    selector: int
    base: int
    limit: int       # in bytes (already scaled by the granularity bit)
    attr: int        # descriptor bits 40-47 (type, S, DPL, P) and, in bits 8-11,
                     # bits 52-55 (AVL, L, D/B, G)


GENERAL_REGISTERS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
SEGMENT_REGISTERS = ("cs", "ds", "es", "fs", "gs", "ss")
_REGISTER_WIDTH = {name: 32 for name in GENERAL_REGISTERS + (
    "eip", "eflags", "cr0", "cr2", "cr3", "cr4", "gdtr_base", "idtr_base")}
_REGISTER_WIDTH.update(gdtr_limit=16, idtr_limit=16)


class Registers:
    """The guest's registers, by attribute (`regs.eax`) or by name (`regs["eax"]`).

    Readable and writable: eax ecx edx ebx esp ebp esi edi, eip, eflags,
    cr0 cr2 cr3 cr4, gdtr_base gdtr_limit idtr_base idtr_limit. Read-only:
    the segment selectors cs ds es fs gs ss and cpl (`segment(name)` gives a
    segment's hidden descriptor cache too); they change only as the guest
    loads segments. Values are unsigned; writing one that does not fit the
    register raises ValueError. EFLAGS reads back with its fixed bits as the
    CPU forces them (bit 1 set, reserved bits clear).

    Set registers after loading an image (loading sets the entry state) and
    between runs, not from a hook while the guest runs.
    """

    WRITABLE = tuple(_REGISTER_WIDTH)
    READ_ONLY = SEGMENT_REGISTERS + ("cpl",)
    NAMES = WRITABLE + READ_ONLY

    __slots__ = ("_machine",)
    _machine: Machine

    def __init__(self, machine: Machine) -> None:
        object.__setattr__(self, "_machine", machine)

    def __getitem__(self, name: str) -> int:
        if name not in self.NAMES:
            raise KeyError(f"unknown register {name!r}")
        return int(self._machine.engine.get_reg(name))

    def __setitem__(self, name: str, value: int) -> None:
        if name in self.READ_ONLY:
            raise KeyError(f"{name} is read-only: segment registers and the CPL change "
                           "only through the guest's own segment loads")
        width = _REGISTER_WIDTH.get(name)
        if width is None:
            raise KeyError(f"unknown register {name!r}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} takes an int, not {type(value).__name__}")
        if not 0 <= value < 1 << width:
            raise ValueError(f"{value:#x} does not fit the {width}-bit register {name}")
        self._machine._check_not_running(f"set {name}")
        self._machine.engine.set_reg(name, value)

    def __getattr__(self, name: str) -> int:
        if name in self.NAMES:
            return self[name]
        raise AttributeError(f"no register {name!r}")

    def __setattr__(self, name: str, value: int) -> None:
        try:
            self[name] = value
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __contains__(self, name: object) -> bool:
        return name in self.NAMES

    def segment(self, name: str) -> Segment:
        """A segment register with its hidden descriptor cache."""
        if name not in SEGMENT_REGISTERS:
            raise KeyError(f"not a segment register: {name!r}")
        return Segment(*(int(v) for v in self._machine.engine.get_segment(name)))

    def as_dict(self) -> dict[str, int]:
        """Every register by name."""
        return {name: self[name] for name in self.NAMES}

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}=0x{self[name]:x}" for name in
                          GENERAL_REGISTERS + ("eip", "eflags"))
        return f"<Registers {shown}>"


@dataclass(frozen=True, slots=True)
class CalloutEvent:
    """What a callout hook receives: the kind of callout and where it happened."""

    kind: str                  # a name from Machine.callout_kinds, e.g. "out"
    eip: int                   # address of the instruction (not yet executed)
    machine: Machine = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PortEvent(CalloutEvent):
    """What a port hook receives: one port access of an IN, OUT, INS or OUTS."""

    port: int
    size: int                  # 1, 2 or 4 bytes
    value: int                 # OUT: about to be written; IN: what the device answered
    direction: str             # "in" or "out"


HookFn = Callable[[Any], Any]


class Hook:
    """A registered hook. `remove()` unregisters it (it is idempotent); used
    as a context manager, the hook is removed when the block ends."""

    __slots__ = ("_machine", "fn", "kind", "port", "active")

    def __init__(self, machine: Machine, fn: HookFn, kind: str | None = None,
                 port: int | None = None) -> None:
        self._machine = machine
        self.fn = fn
        self.kind = kind           # on_callout hooks
        self.port = port           # on_port hooks
        self.active = True

    def remove(self) -> None:
        """Stop calling this hook."""
        if self.active:
            self.active = False
            self._machine._remove_hook(self)

    @property
    def where(self) -> str:
        """'on_callout("out")' or 'on_port(0x3f8)'."""
        return f'on_callout("{self.kind}")' if self.port is None else f"on_port(0x{self.port:x})"

    def __enter__(self) -> Hook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "" if self.active else " (removed)"
        return f"<Hook {self.where} {_describe_fn(self.fn)}{state}>"


def _describe_fn(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


class _HookFailed(Exception):
    """Raised through the engine by a callout hook that failed, to stop the run
    on the instruction; the stop itself is already recorded."""


IO_CALLOUTS = ("in", "out", "ins", "outs")
_IO_MASK = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF}
CR0_PG = 1 << 31


class _EngineRam:
    """The engine's RAM as `loader.PhysicalMemory`."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    @property
    def size(self) -> int:
        return int(self._engine.ram_size)

    def write_phys(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        # The engine's write_phys also drops translations of what it overwrites.
        self._engine.write_phys(addr, data)


def check_ram_size(ram_size: int) -> None:
    """Raise ConfigError unless `ram_size` is a usable amount of guest RAM."""
    if ram_size < MIN_RAM_SIZE:
        hint = " (sizes are in bytes unless suffixed: did you mean " \
               f"{ram_size}M?)" if ram_size <= 3 * 1024 else ""
        raise ConfigError(f"guest RAM of {format_size(ram_size)} is too small: the minimum "
                          f"is {format_size(MIN_RAM_SIZE)}{hint}")
    if ram_size > MAX_RAM_SIZE:
        raise ConfigError(f"guest RAM of {format_size(ram_size)} is too large: the maximum "
                          f"is {format_size(MAX_RAM_SIZE)}, the most a 32-bit guest "
                          "addresses below the PCI hole")
    if ram_size % PAGE_SIZE:
        raise ConfigError(f"guest RAM of {ram_size} bytes is not a multiple of 4 KiB")


class Machine:
    """A PC-like machine for one 32-bit x86 guest.

    Parameters:
        ram_size: bytes of guest RAM (2 MiB .. 3 GiB, a multiple of 4 KiB).
        append: the kernel command line after the image path (QEMU's -append).
        strict_ports: stop the run on access to a port no device decodes,
            instead of reading all ones.
        trace_file: a path or a text file; the engine writes one line per
            executed block to it ('ADDR COUNT').
        serial_out: where COM1 output goes; None means this process's stdout.
        console_input: feed this process's stdin (a terminal, pipe or file)
            to COM1; otherwise the guest receives only what `feed_serial()`
            gives it.
        cache_size: bytes of micro-ops the translation cache holds before it
            is flushed whole.
        fast_ports: let the engine answer ports whose reads are constant and
            whose writes have no visible effect (the POST port) without a call
            into Python. The POST device then records no codes.

    Devices: `uart` (COM1 at 0x3F8), `debug_exit` (0xF4-0xF7), `post` (0x80),
    `poweroff` (ACPI PM1a control at 0x604), all on `bus`.

    Scripting: `regs` (the guest's registers), `read()` and `write()` (its
    physical memory), `on_callout()` and `on_port()` (hooks; see the module
    documentation), `run()`, whose result carries the run's `RunStats`, and
    `stats()` (the counters of every run so far).
    """

    def __init__(self, ram_size: int = DEFAULT_RAM_SIZE, append: str = "",
                 strict_ports: bool = False,
                 trace_file: str | os.PathLike[str] | TextIO | None = None,
                 serial_out: BinaryIO | None = None, console_input: bool = False,
                 fast_ports: bool = True, cache_size: int = 32 * MiB,
                 clock: str = "host") -> None:
        check_ram_size(ram_size)
        self.ram_size = ram_size
        self.append = append
        self._stop: _Stop | None = None
        self._final: _Stop | None = None
        self._interrupted = False
        self._image: loader.BootImage | None = None
        self._has_run = False
        self._trace: TextIO | None = None
        self._owns_trace = False
        self._input: HostInputReader | None = None
        self._running = False
        self._callout_hooks: dict[str, list[Hook]] = {}
        self._port_hooks: dict[int, list[Hook]] = {}
        self._fast_ports: dict[int, int] = {}      # ports the engine answers in C
        self._io_kind, self._io_eip = "", 0        # the I/O instruction running (port hooks)
        self._rewind: dict[str, int] | None = None
        self._totals = RunStats()
        self.regs = Registers(self)

        self._module = bt.load_engine()
        self.engine = self._module.Engine(ram_size, cache_size)
        if clock == "host":
            self.clock: HostClock | InstructionClock = HostClock()
        elif clock == "icount":
            # 1 ns per instruction: every run of a guest is identical.
            self.clock = InstructionClock(lambda: int(self.engine.icount), 1.0)
        else:
            raise ConfigError(f"unknown clock {clock!r}: 'host' or 'icount'")
        self._build_devices(strict_ports, serial_out, fast_ports)
        self._open_trace(trace_file)
        if console_input and stdin_is_readable(0):
            self._input = HostInputReader(self.uart.feed, 0)
            self._input.start()

    # ---- assembly -------------------------------------------------------

    def _build_devices(self, strict: bool, serial_out: BinaryIO | None,
                       fast_ports: bool) -> None:
        self.bus = PortBus(strict=strict, stop=self._stopper(StopReason.UNKNOWN_PORT))
        sink = serial_out if serial_out is not None else sys.stdout.buffer
        self.uart = Uart16550(sink, COM1_BASE)
        self.debug_exit = DebugExit(self._stopper(StopReason.DEBUG_EXIT))
        self.post = PostPort()
        self.poweroff = AcpiPowerOff(self._stopper(StopReason.POWEROFF))
        self.bus.register(COM1_BASE, 8, self.uart, "COM1 (16550 UART)")
        self.bus.register(DEBUG_EXIT_BASE, DEBUG_EXIT_PORTS, self.debug_exit, "isa-debug-exit")
        self.bus.register(POST_PORT, 1, self.post, "POST port")
        self.bus.register(PM1A_CNT_PORT, 2, self.poweroff, "ACPI PM1a control")
        # The PC's interrupt controller and timer, as SeaBIOS leaves them.
        self.pic = Pic8259Pair(on_intr_change=self.engine.set_intr)
        self.engine.set_intr_acknowledge(self.pic.acknowledge)
        self.pit = Pit8254(self.clock, lambda: self.pic.pulse_irq(0))
        self.port_b = SystemControlPortB(self.pit)
        self.cmos = CmosRtc(ram_size=self.ram_size)
        for dev, name in ((self.pic, "8259A PIC pair"), (self.pit, "8254 PIT"),
                          (self.port_b, "system control port B"), (self.cmos, "CMOS/RTC")):
            for first, count in dev.PORT_RANGES:
                self.bus.register(first, count, dev, name)
        self.engine.set_port_handlers(self._port_read, self._port_write)
        if fast_ports:
            self.engine.set_port_constant(POST_PORT, POST_READ_VALUE)
            self._fast_ports[POST_PORT] = POST_READ_VALUE
            # The UART's line status is what guests poll before every byte:
            # while it is steady the engine answers it in C.
            self.uart.on_steady_lsr = self._uart_lsr_steady

    def _uart_lsr_steady(self, value: int | None) -> None:
        port = COM1_BASE + 5
        if value is None:
            self._fast_ports.pop(port, None)
            self.engine.set_port_constant(port, None)
        else:
            self._fast_ports[port] = value
            if port not in self._port_hooks:
                self.engine.set_port_constant(port, value)

    def _open_trace(self, trace_file: str | os.PathLike[str] | TextIO | None) -> None:
        if trace_file is None:
            return
        if isinstance(trace_file, (str, os.PathLike)):
            self._trace = open(trace_file, "w", encoding="ascii")
            self._owns_trace = True
        else:
            self._trace = trace_file
        self.engine.set_trace(self._trace)

    # ---- port I/O from the engine --------------------------------------

    def _port_read(self, port: int, size: int) -> int:
        # Exceptions must not travel back through the engine's C loop: a
        # failing device model becomes an internal-error stop instead.
        try:
            return self.bus.read(port, size)
        except Exception as exc:  # noqa: BLE001 - any device bug ends the run cleanly
            self._device_failed("read", port, exc)
            return (1 << (8 * size)) - 1

    def _port_write(self, port: int, size: int, value: int) -> None:
        try:
            self.bus.write(port, size, value)
        except Exception as exc:  # noqa: BLE001
            self._device_failed("write", port, exc)

    def _device_failed(self, kind: str, port: int, exc: Exception) -> None:
        self._record_stop(_Stop(STATUS_INTERNAL_ERROR, StopReason.INTERNAL_ERROR,
                                f"internal error: device {kind} at port 0x{port:04x} "
                                f"raised {type(exc).__name__}: {exc}"))

    def _stopper(self, reason: StopReason) -> StopFn:
        """The stop function handed to a device: its stops carry `reason`."""
        def stop(status: int, message: str) -> None:
            self._record_stop(_Stop(status, reason, message))
        return stop

    def _record_stop(self, stop: _Stop) -> None:
        # The first request wins: a guest that writes to isa-debug-exit and
        # then touches an unknown port exits with the debug-exit status.
        if self._stop is None:
            self._stop = stop
        self.engine.request_stop()

    # ---- loading --------------------------------------------------------

    def load_multiboot(self, path: str | os.PathLike[str]) -> loader.BootImage:
        """Load a Multiboot v1 kernel and set the CPU to its entry state.

        Raises bt.errors.LoaderError (one-line message) for a bad image.
        """
        return self._start(loader.load_multiboot(self._ram(), path, self.append))

    def load_raw(self, path: str | os.PathLike[str], addr: int) -> loader.BootImage:
        """Copy a flat binary to physical `addr` and start it there (flat 32-bit
        protected mode, with the same boot information as a Multiboot kernel)."""
        return self._start(loader.load_raw(self._ram(), path, addr, self.append))

    def _ram(self) -> _EngineRam:
        if self._has_run:
            # The translation cache would still hold code from the old image.
            raise RuntimeError("load an image before the machine first runs")
        return _EngineRam(self.engine)

    def _start(self, image: loader.BootImage) -> loader.BootImage:
        for name, value in image.registers.items():
            if name in loader.SEGMENT_REGISTERS:
                # Load the hidden descriptor cache too, as the boot loader's
                # far jump and segment loads did on real hardware.
                self.engine.set_segment(name, value, *loader.descriptor_cache(value))
            else:
                self.engine.set_reg(name, value)
        self._image = image
        return image

    @property
    def image(self) -> loader.BootImage | None:
        """The loaded image, if any."""
        return self._image

    # ---- running --------------------------------------------------------

    def run(self, max_instructions: int = 0) -> RunResult:
        """Run the guest until it stops, or for at most `max_instructions`.

        A run that ends at the instruction limit or by Ctrl-C can be resumed
        by calling run() again; after any other stop the machine is finished
        and run() returns the same result again.
        """
        if self._image is None:
            raise RuntimeError("no image loaded: call load_multiboot() or load_raw() first")
        if self._running:
            raise RuntimeError("run() called while the machine is running (from a hook?)")
        if max_instructions < 0:
            raise ConfigError("the instruction limit cannot be negative")
        start_count = int(self.engine.icount)
        before = self.engine.stats()
        started = time.perf_counter()
        if self._final is not None:
            stop = self._final
        else:
            self._has_run = True
            self._running = True
            try:
                with self._sigint_stops_run():
                    stop = self._run_loop(start_count, max_instructions)
            finally:
                self._running = False
            if stop.reason.final:
                self._final = stop
        self.uart.flush()
        wall = time.perf_counter() - started
        stats = RunStats.from_engine(before, self.engine.stats(), wall)
        self._totals = self._totals + stats
        return RunResult(stop.status, stop.reason, stop.message, stats,
                         int(self.engine.icount) - start_count, wall, stop.error)

    def _run_loop(self, start_count: int, limit: int) -> _Stop:
        mod = self._module
        spurious_stops = 0
        while True:
            budget = self._timer_slice(RUN_SLICE)
            if limit:
                left = limit - (int(self.engine.icount) - start_count)
                if left <= 0:
                    return _Stop(STATUS_LIMIT, StopReason.LIMIT,
                                 f"instruction limit reached ({limit} instructions)")
                budget = min(budget, left)
            try:
                exit_reason = self.engine.run(budget)
            except _HookFailed:
                exit_reason = mod.EXIT_STOP        # the hook's stop is recorded
            if self._rewind is not None:
                # A port hook failed: put the I/O instruction back as it was.
                for name, value in self._rewind.items():
                    self.engine.set_reg(name, value)
                self._rewind = None
            self.pit.advance()          # timer edges that came due raise IRQ0
            stop = self._take_stop()
            if stop is not None:
                return stop
            if exit_reason == mod.EXIT_HALT and self._wait_for_interrupt():
                continue
            # Output waiting for a newline shows once the guest pauses, even
            # if it polls the UART's status in C meanwhile.
            self.uart.idle_flush()
            if exit_reason == mod.EXIT_BUDGET:
                spurious_stops = 0
                continue
            if exit_reason == mod.EXIT_STOP and spurious_stops == 0:
                # A stop requested between two engine calls (Ctrl-C as a slice
                # ended) can surface once more at the next call: run on.
                spurious_stops = 1
                continue
            return self._exit_to_stop(exit_reason)

    def _take_stop(self) -> _Stop | None:
        """A stop a device or Ctrl-C asked for, whatever the engine's exit reason."""
        stop, self._stop = self._stop, None
        if stop is None and self._interrupted:
            stop = _Stop(STATUS_INTERRUPTED, StopReason.INTERRUPTED, "interrupted")
        self._interrupted = False
        return stop

    def _exit_to_stop(self, exit_reason: int) -> _Stop:
        mod = self._module
        if exit_reason == mod.EXIT_HALT:
            return self._halted()
        if exit_reason == mod.EXIT_FAULT:
            triple = getattr(mod, "FAULT_TRIPLE", None)
            if triple is not None and self.engine.fault_code == triple:
                # Where real hardware would shut down (QEMU resets): stop with
                # the registers, status 3.
                return _Stop(STATUS_TRIPLE_FAULT, StopReason.TRIPLE_FAULT,
                             f"{self.engine.fault_message} [{self.engine.register_dump()}]")
            return _Stop(STATUS_GUEST_STOPPED, StopReason.FAULT,
                         self.engine.fault_message or "guest fault")
        if exit_reason == mod.EXIT_ERROR:
            return _Stop(STATUS_INTERNAL_ERROR, StopReason.INTERNAL_ERROR,
                         f"internal error: {self.engine.fault_message or 'engine error'}")
        if exit_reason == mod.EXIT_STOP:
            return _Stop(STATUS_INTERNAL_ERROR, StopReason.INTERNAL_ERROR,
                         "internal error: the engine stopped with no stop request")
        return _Stop(STATUS_INTERNAL_ERROR, StopReason.INTERNAL_ERROR,
                     f"internal error: unknown engine exit reason {exit_reason}")

    def _timer_slice(self, budget: int) -> int:
        """Run no further than the timer's next event: exactly, in
        instructions, on the icount clock; in short slices on the host clock."""
        due = self.pit.next_event_ns()
        if due is None:
            return budget
        if isinstance(self.clock, InstructionClock):
            left = (due - self.clock.now_ns()) / self.clock.ns_per_instruction
            return max(1, min(budget, int(left) + 1))
        return min(budget, HOST_TIMER_SLICE)

    def _wait_for_interrupt(self) -> bool:
        """HLT with IF set: skip (icount) or sleep (host) to the timer's
        next event, so a halted guest costs nothing. False if nothing could
        ever wake it (no timer, or IRQ0 masked with nothing pending)."""
        if not int(self.engine.get_reg("eflags")) & EFLAGS_IF:
            return False
        if self.pic.intr:
            return True
        due = self.pit.next_event_ns()
        if due is None or self.pic.master.imr & 1:
            return False
        if isinstance(self.clock, InstructionClock):
            self.clock.skip_to(due)
        else:
            delay = (due - self.clock.now_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
        self.pit.advance()
        return True

    def _halted(self) -> _Stop:
        # The engine leaves EIP after the one-byte HLT.
        hlt_at = (int(self.engine.get_reg("eip")) - 1) & 0xFFFFFFFF
        if not int(self.engine.get_reg("eflags")) & EFLAGS_IF:
            message = f"halted with interrupts disabled at 0x{hlt_at:08x}"
        else:
            # No device raises interrupts yet, so nothing can end this HLT.
            message = f"halted waiting for interrupts with no interrupt source at 0x{hlt_at:08x}"
        return _Stop(STATUS_GUEST_STOPPED, StopReason.HALT, message)

    @contextlib.contextmanager
    def _sigint_stops_run(self) -> Iterator[None]:
        """Turn Ctrl-C into a clean stop rather than an exception in a port callback."""
        if (threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
            # Only the main thread may set handlers; an ignored SIGINT
            # (a background job, nohup) stays ignored.
            yield
            return

        def on_sigint(signum: int, frame: object) -> None:
            self._interrupted = True
            self.engine.request_stop()

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    # ---- inspection and teardown ----------------------------------------

    def feed_serial(self, data: bytes) -> None:
        """Give the guest bytes to read from COM1."""
        self.uart.feed(data)

    def explain(self, addr: int | None = None) -> str:
        """The decoded and translated form of the block at `addr` (default: the entry)."""
        if addr is None:
            if self._image is None:
                raise RuntimeError("no image loaded and no address given")
            addr = self._image.entry
        return str(self.engine.explain(addr))

    def stats(self) -> RunStats:
        """The counters of every run() so far, added up."""
        return self._totals

    # ---- scripting: memory ----------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        """`size` bytes of guest-physical memory at `addr` (ValueError outside RAM)."""
        return bytes(self.engine.read_phys(addr, size))

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Write guest-physical memory at `addr` (ValueError outside RAM).

        Translations of code that the write overwrites are dropped, so a
        patched instruction runs as patched. Not allowed while the guest runs.
        """
        self._check_not_running("write guest memory")
        self.engine.write_phys(addr, data)

    def _check_not_running(self, what: str) -> None:
        if self._running:
            raise RuntimeError(f"cannot {what} while the guest runs (from a hook): hooks "
                               "observe; a port hook changes a value by returning it")

    # ---- scripting: hooks -----------------------------------------------

    @property
    def callout_kinds(self) -> tuple[str, ...]:
        """The callout kinds on_callout() accepts ("in", "out", "cli", "mov_to_cr" ...)."""
        return tuple(self._module.CALLOUT_NAMES.values())

    def on_callout(self, kind: str, fn: HookFn) -> Hook:
        """Call fn(CalloutEvent) before every callout of `kind`; returns the Hook.

        The event has the kind, the instruction's EIP and the machine; the
        instruction has not run yet. Several hooks of one kind run in the
        order they were added.
        """
        if kind not in self.callout_kinds:
            raise ValueError(f"unknown callout kind {kind!r}; the kinds are: "
                             f"{', '.join(self.callout_kinds)}")
        hook = Hook(self, _check_callable(fn), kind=kind)
        self._callout_hooks.setdefault(kind, []).append(hook)
        self._sync_callout_hook(kind)
        return hook

    def on_port(self, port: int, fn: HookFn) -> Hook:
        """Call fn(PortEvent) on every IN/OUT/INS/OUTS access addressed to
        `port`; returns the Hook.

        A write reaches the hook before the device, a read after the device
        answered. The hook may return an int to replace the value (what the
        device receives, or what the guest reads), or None to keep it.
        Hooks on one port run in the order they were added, each seeing the
        value as the previous one left it.
        """
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 0xFFFF:
            raise ValueError(f"bad I/O port {port!r}: ports are 0 .. 0xffff")
        hook = Hook(self, _check_callable(fn), port=port)
        first = not self._port_hooks
        self._port_hooks.setdefault(port, []).append(hook)
        if port in self._fast_ports:
            self.engine.set_port_constant(port, None)      # every access must reach the hook
        if first:
            self.engine.set_port_handlers(self._port_read_hooked, self._port_write_hooked)
            for kind in IO_CALLOUTS:
                self._sync_callout_hook(kind)
        return hook

    def _remove_hook(self, hook: Hook) -> None:
        if hook.port is None:
            assert hook.kind is not None
            self._callout_hooks[hook.kind].remove(hook)
            if not self._callout_hooks[hook.kind]:
                del self._callout_hooks[hook.kind]
            self._sync_callout_hook(hook.kind)
            return
        hooks = self._port_hooks[hook.port]
        hooks.remove(hook)
        if hooks:
            return
        del self._port_hooks[hook.port]
        if hook.port in self._fast_ports:
            self.engine.set_port_constant(hook.port, self._fast_ports[hook.port])
        if not self._port_hooks:
            # Back to the plain path: no per-access work for hooks at all.
            self.engine.set_port_handlers(self._port_read, self._port_write)
            for kind in IO_CALLOUTS:
                self._sync_callout_hook(kind)

    def _sync_callout_hook(self, kind: str) -> None:
        """Register the dispatcher with the engine for `kind` only while some
        hook needs it (port hooks need the I/O kinds, to know the EIP)."""
        wanted = kind in self._callout_hooks or (kind in IO_CALLOUTS and bool(self._port_hooks))
        self.engine.set_callout_hook(kind, self._dispatch_callout if wanted else None)

    def _dispatch_callout(self, kind: str, eip: int) -> None:
        if kind in IO_CALLOUTS:
            self._io_kind, self._io_eip = kind, eip
        hooks = self._callout_hooks.get(kind)
        if not hooks:
            return
        event = CalloutEvent(kind, eip, self)
        for hook in tuple(hooks):
            if not hook.active:
                continue          # removed by an earlier hook of this callout
            try:
                hook.fn(event)
            except Exception as exc:  # noqa: BLE001 - any hook error ends the run cleanly
                self._hook_failed(hook, eip, exc)
                # Raising through the engine stops the run on this instruction.
                raise _HookFailed() from exc

    def _port_read_hooked(self, port: int, size: int) -> int:
        value = self._port_read(port, size)
        hooks = self._port_hooks.get(port)
        if hooks:
            value = self._run_port_hooks(hooks, port, size, value, "in")
        return value

    def _port_write_hooked(self, port: int, size: int, value: int) -> None:
        hooks = self._port_hooks.get(port)
        if hooks:
            value = self._run_port_hooks(hooks, port, size, value, "out")
            if self._rewind is not None:
                return            # a hook failed: the device never sees this write
        self._port_write(port, size, value)

    def _run_port_hooks(self, hooks: list[Hook], port: int, size: int, value: int,
                        direction: str) -> int:
        event = PortEvent(self._io_kind, self._io_eip, self, port, size, value, direction)
        for hook in tuple(hooks):
            if not hook.active:
                continue
            try:
                new = hook.fn(event)
                if new is not None:
                    if isinstance(new, bool) or not isinstance(new, int):
                        raise TypeError(f"a port hook returns an int or None, "
                                        f"not {type(new).__name__}")
                    if not 0 <= new <= _IO_MASK[size]:
                        raise ValueError(f"value {new:#x} does not fit a {size}-byte access")
                    event = replace(event, value=new)
            except Exception as exc:  # noqa: BLE001
                return self._port_hook_failed(hook, event, exc)
        return event.value

    def _port_hook_failed(self, hook: Hook, event: PortEvent, exc: Exception) -> int:
        """Stop the run and arrange for the I/O instruction to look unexecuted.

        The engine is in the middle of the instruction (it called the bus);
        it finishes it as for any stop request, and the run loop then puts
        back EIP and the registers the instruction changes. Returns the value
        to hand to the engine for a read.
        """
        self._hook_failed(hook, event.eip, exc)
        self._rewind = {name: int(self.engine.get_reg(name))
                        for name in ("eax", "ecx", "esi", "edi")}
        self._rewind["eip"] = event.eip
        if event.kind == "ins":
            # INS stores the value at ES:EDI: store what is already there.
            _, es_base, _, _ = self.engine.get_segment("es")
            addr = (es_base + self._rewind["edi"]) & 0xFFFFFFFF
            if not int(self.engine.get_reg("cr0")) & CR0_PG and \
                    addr + event.size <= int(self.engine.ram_size):
                return int.from_bytes(self.engine.read_phys(addr, event.size), "little")
        return event.value

    def _hook_failed(self, hook: Hook, eip: int, exc: Exception) -> None:
        text = " ".join(str(exc).split())
        message = (f"hook {hook.where} {_describe_fn(hook.fn)} raised "
                   f"{type(exc).__name__}{': ' + text if text else ''} (at 0x{eip:08x})")
        self._record_stop(_Stop(STATUS_HOOK_ERROR, StopReason.HOOK_ERROR, message, exc))

    def close(self) -> None:
        """Flush the console, stop reading stdin and close the trace file."""
        self.uart.flush()
        if self._input is not None:
            self._input.close()
            self._input = None
        if self._trace is not None:
            self.engine.set_trace(None)
            if self._owns_trace:
                self._trace.close()
            self._trace = None

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_callable(fn: object) -> HookFn:
    if not callable(fn):
        raise TypeError(f"a hook must be callable, not {type(fn).__name__}")
    return fn  # type: ignore[return-value]

