"""isa-debug-exit: the port a test guest writes to end the run with a status."""
from __future__ import annotations

from typing import ClassVar

from .bus import StopFn

DEBUG_EXIT_BASE = 0xF4
DEBUG_EXIT_PORTS = 4      # QEMU's iosize=0x04


class DebugExit:
    """QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.

    A write of any width to any of its ports with value v ends the run with
    exit status (v << 1) | 1; the process status is that value modulo 256,
    exactly what QEMU's exit() leaves. Reads return 0.
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1, 2, 4})

    def __init__(self, stop: StopFn) -> None:
        self._stop = stop
        self.value: int | None = None   # the last value written, if any

    @staticmethod
    def status_for(value: int) -> int:
        """Process exit status for a written value: ((v << 1) | 1) & 0xFF."""
        return ((value << 1) | 1) & 0xFF

    def io_read(self, port: int, size: int) -> int:
        """Reads return 0, as under QEMU."""
        return 0

    def io_write(self, port: int, size: int, value: int) -> None:
        """End the run with status (value << 1) | 1."""
        self.value = value
        self._stop(self.status_for(value),
                   f"guest wrote 0x{value:x} to isa-debug-exit (status {self.status_for(value)})")
