"""The machine: guest RAM and vCPU (the engine), the port bus and devices, the run loop.

This is bt's public Python API::

    from bt.machine import Machine
    with Machine(ram_size=64 * MiB, append="verbose") as m:
        m.load_multiboot("kernel.elf")
        result = m.run()
    print(result.exit_status, result.reason, result.message)

Exit statuses (the same numbers the `bt run` command exits with):

    0     the guest powered off (ACPI), or the instruction limit was reached
    odd   the guest wrote v to isa-debug-exit: ((v << 1) | 1) & 0xFF, as QEMU
    4     the guest cannot go on: a fault bt stops on (e.g. a triple fault),
          HLT with no interrupt that could ever wake it, or an unknown port
          in strict mode
    70    an internal error in bt (a bug; please report it)
    130   interrupted (Ctrl-C)

Status 1 is deliberately not used for bt's own stops: it is what a guest
gets by writing 0 to isa-debug-exit, which several test suites use to mean
success. The command line uses 2 for user errors (bad image or option).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Iterator, TextIO

import bt

from . import loader
from .devices import AcpiPowerOff, DebugExit, PortBus, PostPort, StopFn, Uart16550
from .devices.console import HostInputReader, stdin_is_readable
from .devices.debug_exit import DEBUG_EXIT_BASE, DEBUG_EXIT_PORTS
from .devices.post import POST_PORT, POST_READ_VALUE
from .devices.poweroff import PM1A_CNT_PORT
from .devices.uart16550 import COM1_BASE
from .errors import ConfigError
from .sizes import GiB, MiB, format_size

__all__ = ["Machine", "RunResult", "StopReason", "MIN_RAM_SIZE", "MAX_RAM_SIZE",
           "DEFAULT_RAM_SIZE", "STATUS_GUEST_STOPPED", "STATUS_INTERNAL_ERROR",
           "STATUS_INTERRUPTED"]

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
STATUS_INTERNAL_ERROR = 70     # EX_SOFTWARE
STATUS_INTERRUPTED = 130       # 128 + SIGINT, as shells report it

# The engine runs at most this many instructions per call, so that Python
# regains control often enough to notice Ctrl-C (tens of milliseconds).
RUN_SLICE = 1 << 23

EFLAGS_IF = 1 << 9


class StopReason(StrEnum):
    """Why a run ended."""

    DEBUG_EXIT = "debug-exit"          # the guest wrote to isa-debug-exit
    POWEROFF = "poweroff"              # the guest powered off through ACPI
    HALT = "halt"                      # HLT that nothing can wake
    FAULT = "fault"                    # the engine stopped on a guest fault
    UNKNOWN_PORT = "unknown-port"      # strict mode: access to an unmodelled port
    LIMIT = "instruction-limit"        # max_instructions executed
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
    stats: dict[str, Any] = field(default_factory=dict)   # engine.stats() at the end
    instructions: int = 0            # guest instructions executed by this run()
    wall_seconds: float = 0.0        # wall-clock time of this run()

    @property
    def mips(self) -> float:
        """Millions of guest instructions per wall-clock second in this run."""
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class _Stop:
    status: int
    reason: StopReason
    message: str


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
    """

    def __init__(self, ram_size: int = DEFAULT_RAM_SIZE, append: str = "",
                 strict_ports: bool = False,
                 trace_file: str | os.PathLike[str] | TextIO | None = None,
                 serial_out: BinaryIO | None = None, console_input: bool = False,
                 fast_ports: bool = True, cache_size: int = 32 * MiB) -> None:
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

        self._module = bt.load_engine()
        self.engine = self._module.Engine(ram_size, cache_size)
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
        self.engine.set_port_handlers(self._port_read, self._port_write)
        if fast_ports:
            self.engine.set_port_constant(POST_PORT, POST_READ_VALUE)

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
        if max_instructions < 0:
            raise ConfigError("the instruction limit cannot be negative")
        start_count = int(self.engine.icount)
        started = time.perf_counter()
        if self._final is not None:
            stop = self._final
        else:
            self._has_run = True
            with self._sigint_stops_run():
                stop = self._run_loop(start_count, max_instructions)
            if stop.reason.final:
                self._final = stop
        self.uart.flush()
        return RunResult(stop.status, stop.reason, stop.message, dict(self.engine.stats()),
                         int(self.engine.icount) - start_count,
                         time.perf_counter() - started)

    def _run_loop(self, start_count: int, limit: int) -> _Stop:
        mod = self._module
        spurious_stops = 0
        while True:
            budget = RUN_SLICE
            if limit:
                left = limit - (int(self.engine.icount) - start_count)
                if left <= 0:
                    return _Stop(STATUS_LIMIT, StopReason.LIMIT,
                                 f"instruction limit reached ({limit} instructions)")
                budget = min(budget, left)
            exit_reason = self.engine.run(budget)
            stop = self._take_stop()
            if stop is not None:
                return stop
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

    def stats(self) -> dict[str, Any]:
        """The engine's counters so far (see bt.engine.Engine.stats)."""
        return dict(self.engine.stats())

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

