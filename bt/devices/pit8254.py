"""The 8254 programmable interval timer (ports 0x40-0x43) and port 0x61.

Three 16-bit down counters clocked at 1.193182 MHz. Channel 0's OUT drives
IRQ 0; channel 1 is the old DRAM refresh timer; channel 2's gate is bit 0 of
port 0x61 and its OUT is read back in bit 5 (the PC speaker channel).

Nothing runs between port accesses: every counter is a function of the
virtual clock (`Clock.now_ns()`), computed when the guest reads it. Time is
measured in whole input-clock ticks since the clock's zero, so that event
times are exact: tick t begins at ceil(t * 1e9 / 1193182) ns.

Modelled after the data sheet: the control word (channel, access mode
lobyte / hibyte / lobyte-then-hibyte, modes 0-5, BCD), the counter latch
command, the read-back command (count and status, each latched once until
read), reads of the running count, null count, OUT, and the gate (mode 0 and
4 pause while it is low, modes 2 and 3 stop with OUT high and restart on its
rising edge, modes 1 and 5 start on its rising edge). A new count written
in mode 2 or 3 while the counter runs takes effect at the end of the
current period. Not modelled: the one-clock delay between writing a count
and the counter loading it.

The machine calls `advance()` whenever the clock may have passed
`next_event_ns()`: it pulses IRQ 0 (through `irq_callback`) once if one or
more of channel 0's OUT rising edges happened since the last call, as a PIC
latches one edge however many went by.

The reset state is what SeaBIOS leaves under QEMU (checked with a probe
guest under qemu-system-i386 7.2 at the Multiboot entry, read-back status):
channel 0 in mode 2, lobyte/hibyte, binary, count 0 (65536: 18.2 Hz);
channels 1 and 2 in QEMU's reset state, mode 3 with access bits 00 and
count 65536, channel 2's gate low.
"""
from __future__ import annotations

from typing import Callable, ClassVar

from .clock import Clock

PIT_HZ = 1_193_182
NS_PER_SECOND = 1_000_000_000

PIT_BASE_PORT = 0x40
PIT_CONTROL_PORT = 0x43
SYSTEM_CONTROL_PORT_B = 0x61

ACCESS_LATCH = 0      # in a control word: the counter latch command
ACCESS_LOW = 1
ACCESS_HIGH = 2
ACCESS_WORD = 3

CONTROL_READ_BACK = 3          # channel field value of the read-back command
READ_BACK_NO_COUNT = 0x20
READ_BACK_NO_STATUS = 0x10

STATUS_OUT = 0x80
STATUS_NULL_COUNT = 0x40

PERIODIC_MODES = (2, 3)
GATE_TRIGGERED_MODES = (1, 5)
STROBE_MODES = (4, 5)

_IDLE, _ARMED, _RUNNING, _PAUSED = range(4)


def ticks_at(ns: int) -> int:
    """The number of whole input-clock ticks completed at time `ns`."""
    return ns * PIT_HZ // NS_PER_SECOND


def ns_at_tick(tick: int) -> int:
    """The first nanosecond at which `tick` ticks have completed."""
    return -(-tick * NS_PER_SECOND // PIT_HZ)


def to_bcd(value: int) -> int:
    """Four BCD digits of `value` (0-9999)."""
    result = 0
    for shift in (0, 4, 8, 12):
        result |= (value % 10) << shift
        value //= 10
    return result


def from_bcd(value: int) -> int:
    """The number written as four BCD digits (invalid digits taken as is)."""
    return sum(((value >> shift) & 0xF) * scale
               for shift, scale in ((0, 1), (4, 10), (8, 100), (12, 1000)))


class PitChannel:
    """One counter of the 8254. Times are absolute input-clock ticks."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.mode = 0
        self.bcd = False
        self.access = ACCESS_WORD
        self.reload = 0x10000       # the count in ticks (0 written = 65536)
        self.gate = True
        self.null_count = True
        self.phase = _IDLE
        self.start = 0              # tick at which the current run began
        self.start_is_event = False  # the run began at a period's end
        self.held = 0               # the count while idle or armed (not counting)
        self.paused_elapsed = 0     # ticks counted before the gate paused mode 0/4
        self.idle_out = False
        self.pending: tuple[int, int] | None = None   # (new reload, tick it applies)
        self.delivered = -1         # tick of the last OUT edge delivered as IRQ
        self._write_high = False
        self._low_byte = 0
        self._read_high = False
        self._latched: list[int] = []
        self._status: int | None = None

    # ---- programming -----------------------------------------------------

    def set_reset_state(self, mode: int, access: int, gate: bool, now: int) -> None:
        """A running counter in `mode` with count 65536, as after a reset."""
        self.control(mode, access, False, now)
        self.gate = gate
        self._load(0x10000, now)

    def control(self, mode: int, access: int, bcd: bool, now: int) -> None:
        """A control word for this channel: mode, access, BCD; counting stops."""
        self.held = self._raw_count(now)
        self.mode = mode if mode < 6 else mode - 4
        self.access = access
        self.bcd = bcd
        self.phase = _IDLE
        self.idle_out = self.mode != 0
        self.null_count = True
        self.pending = None
        self._write_high = self._read_high = False
        self._latched = []
        self._status = None

    def write(self, value: int, now: int) -> None:
        """A byte written to the channel's port: part or all of a new count."""
        if self.access == ACCESS_LOW:
            self._load(value, now)
        elif self.access == ACCESS_HIGH:
            self._load(value << 8, now)
        elif not self._write_high:
            self._low_byte = value
            self._write_high = True
            if self.mode == 0:
                self._stop_for_rewrite(now)
        else:
            self._write_high = False
            self._load(self._low_byte | (value << 8), now)

    def _stop_for_rewrite(self, now: int) -> None:
        """Mode 0: the first byte of a new count stops the counter, OUT low."""
        self.held = self._raw_count(now)
        self.phase = _IDLE
        self.idle_out = False
        self.null_count = True

    def _load(self, raw: int, now: int) -> None:
        """A complete count was written."""
        count = self._count_from_raw(raw)
        if self.mode in PERIODIC_MODES and self.phase == _RUNNING:
            self._settle(now)
            period_end = self.start + ((now - self.start) // self.reload + 1) * self.reload
            self.pending = (count, period_end)
            self.null_count = True
            return
        self.reload = count
        self.null_count = False
        if self.mode in GATE_TRIGGERED_MODES:
            if self.phase != _RUNNING:
                self._arm(now)            # counting starts on the gate's rising edge
        elif not self.gate:
            if self.mode in PERIODIC_MODES:
                self._arm(now)
            else:
                self.phase, self.paused_elapsed = _PAUSED, 0
        else:
            self._start_run(now)

    def _count_from_raw(self, raw: int) -> int:
        if self.bcd:
            return from_bcd(raw) or 10000
        return raw or 0x10000

    def _arm(self, now: int) -> None:
        """Wait for the gate's rising edge, holding the current count."""
        self.held = self._raw_count(now)
        self.phase = _ARMED

    def _start_run(self, now: int, at_period_end: bool = False) -> None:
        self.phase = _RUNNING
        self.start = now
        self.start_is_event = at_period_end

    def set_gate(self, level: bool, now: int) -> None:
        """Drive the channel's GATE input."""
        if level == self.gate:
            return
        self._settle(now)
        self.gate = level
        if level:
            self._gate_rises(now)
        else:
            self._gate_falls(now)

    def _gate_rises(self, now: int) -> None:
        if self.phase == _PAUSED:
            self.phase = _RUNNING
            self.start = now - self.paused_elapsed
            self.start_is_event = False
        elif self.phase == _ARMED or (self.phase == _RUNNING
                                      and self.mode in GATE_TRIGGERED_MODES):
            self._start_run(now)

    def _gate_falls(self, now: int) -> None:
        if self.phase != _RUNNING:
            return
        if self.mode in PERIODIC_MODES:
            self._arm(now)
            if self.pending is not None:       # the next run starts from the new count
                self.reload = self.pending[0]
                self.pending = None
                self.null_count = False
        elif self.mode in (0, 4):
            self.paused_elapsed = now - self.start
            self.phase = _PAUSED

    def _settle(self, now: int) -> None:
        """Apply a count written in mode 2 or 3 once its period has ended."""
        if self.pending is not None and now >= self.pending[1]:
            self.reload, boundary = self.pending
            self.pending = None
            self.null_count = False
            self._start_run(boundary, at_period_end=True)

    # ---- the counter as a function of time --------------------------------

    def _elapsed(self, now: int) -> int | None:
        """Ticks counted in the current run, or None when idle or armed."""
        if self.phase == _RUNNING:
            return now - self.start
        if self.phase == _PAUSED:
            return self.paused_elapsed
        return None

    def _raw_count(self, now: int) -> int:
        """The counting element's value in ticks (65536 or 10000 read as 0)."""
        self._settle(now)
        elapsed = self._elapsed(now)
        if elapsed is None:
            return self.held
        n = self.reload
        if self.mode == 2:
            return n - elapsed % n
        if self.mode == 3:
            return _square_wave_count(n, elapsed % n)
        return (n - elapsed) % (10000 if self.bcd else 0x10000)

    def count(self, now: int) -> int:
        """The value a read of the counter returns (16 bits, BCD if set)."""
        raw = self._raw_count(now)
        return to_bcd(raw % 10000) if self.bcd else raw & 0xFFFF

    def out(self, now: int) -> bool:
        """The level of the channel's OUT pin."""
        self._settle(now)
        elapsed = self._elapsed(now)
        if elapsed is None:
            return self.idle_out if self.phase == _IDLE else True
        n = self.reload
        if self.mode == 2:
            return n < 2 or elapsed % n != n - 1
        if self.mode == 3:
            return elapsed % n < (n + 1) // 2
        if self.mode in STROBE_MODES:
            return elapsed != n
        return elapsed >= n

    # ---- events (OUT rising edges) ---------------------------------------

    def latest_event(self, now: int) -> int | None:
        """The tick of the last OUT rising edge at or before `now`, or None."""
        self._settle(now)
        if self.phase != _RUNNING:
            return None
        n = self.reload
        elapsed = now - self.start
        if self.mode in PERIODIC_MODES:
            if elapsed >= n:
                return self.start + elapsed // n * n
            return self.start if self.start_is_event else None
        edge = self.start + n + (1 if self.mode in STROBE_MODES else 0)
        return edge if now >= edge else None

    def next_event(self) -> int | None:
        """The tick of the first OUT rising edge after the last one delivered."""
        if self.phase != _RUNNING:
            return None
        n = self.reload
        if self.mode in PERIODIC_MODES:
            if self.start_is_event and self.start > self.delivered:
                return self.start
            k = max(1, (self.delivered - self.start) // n + 1)
            return self.start + k * n
        edge = self.start + n + (1 if self.mode in STROBE_MODES else 0)
        return edge if edge > self.delivered else None

    # ---- reading ---------------------------------------------------------

    def latch_count(self, now: int) -> None:
        """Counter latch command: hold the count until it has been read."""
        if self._latched:
            return
        value = self.count(now)
        if self.access == ACCESS_LOW:
            self._latched = [value & 0xFF]
        elif self.access == ACCESS_HIGH:
            self._latched = [value >> 8]
        else:
            self._latched = [value & 0xFF, value >> 8]

    def latch_status(self, now: int) -> None:
        """Read-back status latch: OUT, null count, access, mode, BCD."""
        if self._status is not None:
            return
        self._settle(now)
        self._status = ((STATUS_OUT if self.out(now) else 0)
                        | (STATUS_NULL_COUNT if self.null_count else 0)
                        | self.access << 4 | self.mode << 1 | int(self.bcd))

    def read(self, now: int) -> int:
        """A byte read from the channel's port."""
        if self._status is not None:
            value, self._status = self._status, None
            return value
        if self._latched:
            return self._latched.pop(0)
        value = self.count(now)
        if self.access == ACCESS_LOW:
            return value & 0xFF
        if self.access == ACCESS_HIGH:
            return value >> 8
        high, self._read_high = self._read_high, not self._read_high
        return value >> 8 if high else value & 0xFF


def _square_wave_count(n: int, position: int) -> int:
    """Mode 3's count `position` ticks into a period of `n` ticks.

    The counter counts down by two through each half period; an odd count
    spends one tick more in the high half, as the data sheet describes.
    """
    high_ticks = (n + 1) // 2
    if n % 2 == 0:
        return n - 2 * (position % high_ticks)
    if position < high_ticks:
        return n if position == 0 else n + 1 - 2 * position
    position -= high_ticks
    return n if position == 0 else n - 1 - 2 * position


class Pit8254:
    """The 8254 on ports 0x40-0x43, channel 0 wired to IRQ 0.

    `irq_callback()` is called for an IRQ 0 edge (wire it to
    `Pic8259Pair.pulse_irq(0)`). `on_reprogram()`, if set, is called after
    a guest write that may have moved `next_event_ns()`.
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1})
    PORT_RANGES: ClassVar[tuple[tuple[int, int], ...]] = ((PIT_BASE_PORT, 4),)

    def __init__(self, clock: Clock, irq_callback: Callable[[], None]) -> None:
        self.clock = clock
        self.irq_callback = irq_callback
        self.on_reprogram: Callable[[], None] | None = None
        self.channels = [PitChannel(i) for i in range(3)]
        self.irqs = 0            # IRQ 0 edges delivered
        self.periods = 0         # channel 0 periods elapsed (>= irqs: merged ones)
        self.reset()

    def reset(self) -> None:
        """The state SeaBIOS leaves under QEMU (see the module docstring)."""
        now = self._now()
        self.channels = [PitChannel(i) for i in range(3)]
        self.channels[0].set_reset_state(2, ACCESS_WORD, True, now)
        self.channels[1].set_reset_state(3, ACCESS_LATCH, True, now)
        self.channels[2].set_reset_state(3, ACCESS_LATCH, False, now)
        self.channels[0].delivered = now

    def _now(self) -> int:
        return ticks_at(self.clock.now_ns())

    # ---- the machine's side ----------------------------------------------

    def next_event_ns(self) -> int | None:
        """When channel 0's OUT next rises (IRQ 0), or None if it never will.

        The time may already have passed: `advance()` is then overdue.
        """
        tick = self.channels[0].next_event()
        return None if tick is None else ns_at_tick(tick)

    def advance(self) -> int:
        """Deliver IRQ 0 if channel 0's OUT rose since the last call.

        Returns the number of rising edges that went by (0 when none); IRQ 0
        is pulsed once however many there were.
        """
        channel = self.channels[0]
        now = self._now()
        latest = channel.latest_event(now)
        if latest is None or latest <= channel.delivered:
            return 0
        edges = self._edges_between(channel, latest)
        channel.delivered = latest
        self.irqs += 1
        self.periods += edges
        self.irq_callback()
        return edges

    @staticmethod
    def _edges_between(channel: PitChannel, latest: int) -> int:
        """How many OUT rising edges lie after `delivered`, up to `latest`."""
        if channel.mode not in PERIODIC_MODES:
            return 1
        start, n = channel.start, channel.reload
        edges = (latest - start) // n - max(0, (channel.delivered - start) // n)
        if channel.start_is_event and channel.delivered < start:
            edges += 1
        return max(edges, 1)

    def set_gate(self, channel: int, level: bool) -> None:
        """Drive a channel's GATE (only channel 2's is not wired high)."""
        self.advance()
        self.channels[channel].set_gate(level, self._now())
        self._reprogrammed()

    def output(self, channel: int) -> bool:
        """The level of a channel's OUT pin now."""
        return self.channels[channel].out(self._now())

    # ---- ports -----------------------------------------------------------

    def io_read(self, port: int, size: int) -> int:
        """IN from a counter (0x40-0x42); the control port reads as 0xFF."""
        index = port - PIT_BASE_PORT
        if index == 3:
            return 0xFF
        return self.channels[index].read(self._now())

    def io_write(self, port: int, size: int, value: int) -> None:
        """OUT to a counter (a count byte) or to 0x43 (a control word)."""
        self.advance()                 # edges before the change are not lost
        index = port - PIT_BASE_PORT
        value &= 0xFF
        if index == 3:
            self._control(value)
        else:
            self.channels[index].write(value, self._now())
        self._reprogrammed()

    def _control(self, value: int) -> None:
        now = self._now()
        select = value >> 6
        if select == CONTROL_READ_BACK:
            self._read_back(value, now)
            return
        channel = self.channels[select]
        access = (value >> 4) & 3
        if access == ACCESS_LATCH:
            channel.latch_count(now)
        else:
            channel.control((value >> 1) & 7, access, bool(value & 1), now)

    def _read_back(self, value: int, now: int) -> None:
        for index, channel in enumerate(self.channels):
            if not value & (2 << index):
                continue
            if not value & READ_BACK_NO_STATUS:
                channel.latch_status(now)
            if not value & READ_BACK_NO_COUNT:
                channel.latch_count(now)

    def _reprogrammed(self) -> None:
        if self.on_reprogram is not None:
            self.on_reprogram()


class SystemControlPortB:
    """Port 0x61: channel 2's gate and speaker enable, OUT2 and refresh.

    Read: bit 0 gate 2, bit 1 speaker data, bit 4 the refresh toggle (which,
    as under QEMU, flips at every read), bit 5 channel 2's OUT. Write: bits
    0 and 1; the others are ignored (bits 2-3 read back as 0, as under QEMU).
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1})
    PORT_RANGES: ClassVar[tuple[tuple[int, int], ...]] = ((SYSTEM_CONTROL_PORT_B, 1),)

    GATE2 = 0x01
    SPEAKER = 0x02
    REFRESH = 0x10
    OUT2 = 0x20

    def __init__(self, pit: Pit8254) -> None:
        self.pit = pit
        self.speaker = False
        self._refresh = False

    def io_read(self, port: int, size: int) -> int:
        """The port's bits, with OUT2 computed now."""
        self._refresh = not self._refresh
        value = self.GATE2 if self.pit.channels[2].gate else 0
        value |= self.SPEAKER if self.speaker else 0
        value |= self.REFRESH if self._refresh else 0
        value |= self.OUT2 if self.pit.output(2) else 0
        return value

    def io_write(self, port: int, size: int, value: int) -> None:
        """Set the gate of channel 2 and the speaker data bit."""
        self.speaker = bool(value & self.SPEAKER)
        self.pit.set_gate(2, bool(value & self.GATE2))
