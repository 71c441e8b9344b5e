"""Virtual clocks: where the timer devices (PIT, RTC) read the time.

Every clock answers `now_ns()`, the virtual time in nanoseconds since the
machine started. Two real clocks back `--clock host` and `--clock icount`:

- `HostClock`: virtual time follows the host's monotonic clock.
- `InstructionClock`: virtual time is the guest's instruction count times a
  fixed cost per instruction, so that every run of a guest sees the same
  times. `skip_to()` jumps it forward, for a guest that waits in HLT until
  its next timer event.

`ManualClock` is set by hand (tests, tools).
"""
from __future__ import annotations

import time
from typing import Callable, Protocol


class Clock(Protocol):
    """A source of virtual time."""

    def now_ns(self) -> int:
        """Virtual nanoseconds since the machine started (never decreasing)."""
        ...


class HostClock:
    """Virtual time = host monotonic time since this clock was created."""

    def __init__(self, source: Callable[[], int] = time.monotonic_ns) -> None:
        self._source = source
        self._start = source()

    def now_ns(self) -> int:
        """Host nanoseconds elapsed since creation."""
        return self._source() - self._start


class InstructionClock:
    """Virtual time derived from the guest's instruction count.

    `icount()` returns the number of guest instructions executed so far;
    each counts `ns_per_instruction` nanoseconds. `skip_to(ns)` moves the
    clock forward (never back) without executing instructions.
    """

    def __init__(self, icount: Callable[[], int], ns_per_instruction: float = 1.0) -> None:
        if ns_per_instruction <= 0:
            raise ValueError("ns_per_instruction must be positive")
        self._icount = icount
        self.ns_per_instruction = ns_per_instruction
        self._skipped_ns = 0

    def now_ns(self) -> int:
        """Instructions executed times their cost, plus the time skipped."""
        return int(self._icount() * self.ns_per_instruction) + self._skipped_ns

    def skip_to(self, ns: int) -> None:
        """Advance virtual time to `ns` (no effect if it is already later)."""
        gap = ns - self.now_ns()
        if gap > 0:
            self._skipped_ns += gap


class ManualClock:
    """A clock that moves only when told to (for tests and tools)."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        """The time last set."""
        return self._now

    def set(self, ns: int) -> None:
        """Jump to `ns` (must not go back)."""
        if ns < self._now:
            raise ValueError("a clock never goes back")
        self._now = ns

    def advance(self, ns: int) -> None:
        """Move forward by `ns` nanoseconds."""
        self.set(self._now + ns)

    def skip_to(self, ns: int) -> None:
        """Advance to `ns` (no effect if it is already later)."""
        self._now = max(self._now, ns)
