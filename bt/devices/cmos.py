"""The CMOS RAM and real-time clock (an MC146818 as in every PC), ports 0x70/0x71.

Port 0x70 selects a register (bit 7 is the NMI mask, remembered and
otherwise ignored; the port reads 0xFF as under QEMU), port 0x71 reads or
writes it. Registers:

- 0x00-0x09: seconds, alarm seconds, minutes, alarm minutes, hours, alarm
  hours, day of week (1 = Sunday), day of month, month, year (two digits);
  in BCD or binary per register B bit 2, 12-hour (bit 7 = PM) or 24-hour
  per bit 1. The time is the clock's time in UTC plus whatever the guest's
  writes added; while register B's SET bit is on the clock stands still.
- 0x0A register A: UIP (bit 7, read-only) is set during the last 244 us of
  every second; the divider and rate bits are stored (the rate drives the
  periodic flag).
- 0x0B register B (SET clears UIE); 0x0C register C: the interrupt flags
  (periodic, alarm, update-ended; IRQF when one is enabled in B), cleared
  by reading. As under QEMU (probe guest), the periodic flag is set only
  while PIE is on; the MC146818 would set it regardless;
  0x0D register D: VRT (bit 7) always set.
- 0x32: the century (live, same format as the year); 0x37 keeps the
  century in BCD as QEMU sets it at boot.
- The memory sizes QEMU's CMOS reports for the machine's RAM: 0x15-0x16
  base memory (640 KiB), 0x17-0x18 and 0x30-0x31 extended memory in KiB
  above 1 MiB (at most 65535), 0x34-0x35 memory above 16 MiB in 64 KiB
  units, 0x5B-0x5D memory above 4 GiB in 64 KiB units.
- Every other byte of the 128 is general storage that keeps what is
  written; the non-zero ones start as under QEMU (floppy and equipment
  bytes, boot order).

IRQ 8 is not driven: the flags in register C can be polled, but no
interrupt is raised.
"""
from __future__ import annotations

import calendar
import math
import time
from typing import Callable, ClassVar

from .clock import Clock

CMOS_INDEX_PORT = 0x70
CMOS_DATA_PORT = 0x71
CMOS_SIZE = 128

REG_SECONDS, REG_SECONDS_ALARM = 0x00, 0x01
REG_MINUTES, REG_MINUTES_ALARM = 0x02, 0x03
REG_HOURS, REG_HOURS_ALARM = 0x04, 0x05
REG_WEEKDAY, REG_DAY, REG_MONTH, REG_YEAR = 0x06, 0x07, 0x08, 0x09
REG_A, REG_B, REG_C, REG_D = 0x0A, 0x0B, 0x0C, 0x0D
REG_CENTURY = 0x32
REG_PS2_CENTURY = 0x37

A_UIP = 0x80
A_DIVIDER = 0x70
A_DIVIDER_RUNNING = 0x20   # 32.768 kHz time base, divider chain running
A_RATE = 0x0F

B_SET = 0x80
B_PIE = 0x40
B_AIE = 0x20
B_UIE = 0x10
B_BINARY = 0x04
B_24_HOUR = 0x02

C_IRQF = 0x80
C_PF = 0x40
C_AF = 0x20
C_UF = 0x10

D_VRT = 0x80

HOUR_PM = 0x80
ALARM_DONT_CARE = 0xC0

UIP_SECONDS = 244e-6
SECONDS_PER_DAY = 86400

# What SeaBIOS leaves in A and B under QEMU: 32.768 kHz, 1024 Hz rate; BCD, 24-hour.
RESET_REG_A = 0x26
RESET_REG_B = 0x02

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# Bytes QEMU's CMOS holds besides the clock and memory sizes (probe guest,
# qemu-system-i386 7.2, -m 128, no disks): 0x10 floppy types, 0x14 the
# equipment byte, 0x38 and 0x3D the boot order.
QEMU_CMOS_BYTES = {0x10: 0x50, 0x14: 0x07, 0x38: 0x30, 0x3D: 0x12}

# Time-of-day fields: register -> index into the field tuple of _fields().
_TIME_FIELDS = {REG_SECONDS: 0, REG_MINUTES: 1, REG_HOURS: 2, REG_WEEKDAY: 3,
                REG_DAY: 4, REG_MONTH: 5, REG_YEAR: 6, REG_CENTURY: 7}
_ALARMS = ((REG_SECONDS_ALARM, REG_SECONDS), (REG_MINUTES_ALARM, REG_MINUTES),
           (REG_HOURS_ALARM, REG_HOURS))


def virtual_seconds(clock: Clock, start_epoch: float) -> Callable[[], float]:
    """A time source for the RTC: `start_epoch` (Unix seconds) plus virtual time."""
    return lambda: start_epoch + clock.now_ns() / 1e9


def memory_size_bytes(ram_size: int) -> dict[int, int]:
    """The CMOS bytes QEMU's PC sets from the RAM size (in bytes)."""
    below_4g = ram_size if ram_size < 0xE0000000 else 3 * GIB
    above_4g = ram_size - below_4g
    base_kib = min(below_4g // KIB, 640)
    extended_kib = min(max(below_4g - MIB, 0) // KIB, 0xFFFF)
    above_16m = min(max(below_4g - 16 * MIB, 0) // (64 * KIB), 0xFFFF)
    high = above_4g // (64 * KIB)
    return {0x15: base_kib & 0xFF, 0x16: base_kib >> 8,
            0x17: extended_kib & 0xFF, 0x18: extended_kib >> 8,
            0x30: extended_kib & 0xFF, 0x31: extended_kib >> 8,
            0x34: above_16m & 0xFF, 0x35: above_16m >> 8,
            0x5B: high & 0xFF, 0x5C: (high >> 8) & 0xFF, 0x5D: (high >> 16) & 0xFF}


def _to_bcd(value: int) -> int:
    return (value // 10 % 10) << 4 | value % 10


def _from_bcd(value: int) -> int:
    return (value >> 4) * 10 + (value & 0xF)


class CmosRtc:
    """CMOS RAM and RTC. `clock_seconds()` gives Unix time in seconds (float).

    Use `time.time` (the default) for the host's time of day, or
    `virtual_seconds(clock, start)` for a fixed start time that advances
    with virtual time (deterministic runs).
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1})
    PORT_RANGES: ClassVar[tuple[tuple[int, int], ...]] = ((CMOS_INDEX_PORT, 2),)

    def __init__(self, clock_seconds: Callable[[], float] = time.time,
                 ram_size: int = 128 * MIB) -> None:
        self._clock = clock_seconds
        self.ram_size = ram_size
        self.reset()

    def reset(self) -> None:
        """Power-on contents as QEMU and SeaBIOS leave them."""
        self.index = 0
        self.nmi_disabled = False
        self._ram = bytearray(CMOS_SIZE)
        for reg, value in {**QEMU_CMOS_BYTES, **memory_size_bytes(self.ram_size)}.items():
            self._ram[reg] = value
        self._reg_a = RESET_REG_A
        self._reg_b = RESET_REG_B
        self._flags = 0
        self._offset = 0              # seconds added to the clock by guest writes
        self._frozen: int | None = None   # the time while SET stands the clock still
        self._weekday_shift = 0
        now = self._clock()
        self._checked = now           # flags are up to date until this time
        self._ram[REG_PS2_CENTURY] = _to_bcd(time.gmtime(math.floor(now)).tm_year // 100)

    # ---- ports -----------------------------------------------------------

    def io_read(self, port: int, size: int) -> int:
        """IN: 0x70 reads 0xFF (as under QEMU), 0x71 the selected register."""
        if port == CMOS_INDEX_PORT:
            return 0xFF
        return self.read_register(self.index)

    def io_write(self, port: int, size: int, value: int) -> None:
        """OUT: 0x70 selects a register (bit 7: NMI mask), 0x71 writes it."""
        value &= 0xFF
        if port == CMOS_INDEX_PORT:
            self.index = value & 0x7F
            self.nmi_disabled = bool(value & 0x80)
        else:
            self.write_register(self.index, value)

    # ---- registers -------------------------------------------------------

    def read_register(self, reg: int) -> int:
        """The value of CMOS register `reg` (0-127)."""
        if reg in _TIME_FIELDS:
            return self._encode_field(reg, self._fields(self._now_seconds()))
        if reg == REG_A:
            return self._reg_a | (A_UIP if self._update_in_progress() else 0)
        if reg == REG_B:
            return self._reg_b
        if reg == REG_C:
            return self._read_c()
        if reg == REG_D:
            return D_VRT
        return self._ram[reg]

    def write_register(self, reg: int, value: int) -> None:
        """Store `value` in CMOS register `reg` (0-127)."""
        if reg in _TIME_FIELDS:
            self._set_field(reg, value)
        elif reg == REG_A:
            self._collect_flags()
            self._reg_a = value & ~A_UIP
        elif reg == REG_B:
            self._write_b(value)
        elif reg not in (REG_C, REG_D):
            self._ram[reg] = value

    def _write_b(self, value: int) -> None:
        self._collect_flags()
        was_set = bool(self._reg_b & B_SET)
        if value & B_SET:
            value &= ~B_UIE                  # SET clears the update interrupt enable
            if not was_set:
                self._frozen = self._now_seconds()
        elif was_set:
            assert self._frozen is not None
            self._offset = self._frozen - math.floor(self._clock())
            self._frozen = None
        self._reg_b = value

    def _read_c(self) -> int:
        self._collect_flags()
        value = self._flags
        if value & self._reg_b & (B_PIE | B_AIE | B_UIE):
            value |= C_IRQF
        self._flags = 0
        return value

    # ---- time ------------------------------------------------------------

    def _now_seconds(self) -> int:
        """The RTC's time as whole Unix seconds."""
        if self._frozen is not None:
            return self._frozen
        return math.floor(self._clock()) + self._offset

    def _running(self) -> bool:
        return not self._reg_b & B_SET and self._reg_a & A_DIVIDER == A_DIVIDER_RUNNING

    def _update_in_progress(self) -> bool:
        if not self._running():
            return False
        now = self._clock()
        return now - math.floor(now) >= 1.0 - UIP_SECONDS

    def _fields(self, seconds: int) -> tuple[int, ...]:
        """(second, minute, hour, weekday 1-7, day, month, year % 100, century)."""
        tm = time.gmtime(seconds)
        weekday = (tm.tm_wday + 1) % 7 + 1          # Sunday = 1
        weekday = (weekday - 1 + self._weekday_shift) % 7 + 1
        return (tm.tm_sec, tm.tm_min, tm.tm_hour, weekday, tm.tm_mday, tm.tm_mon,
                tm.tm_year % 100, tm.tm_year // 100)

    def _encode(self, value: int) -> int:
        return value if self._reg_b & B_BINARY else _to_bcd(value)

    def _decode(self, value: int) -> int:
        return value if self._reg_b & B_BINARY else _from_bcd(value)

    def _encode_field(self, reg: int, fields: tuple[int, ...]) -> int:
        value = fields[_TIME_FIELDS[reg]]
        if reg == REG_HOURS and not self._reg_b & B_24_HOUR:
            return self._encode(value % 12 or 12) | (HOUR_PM if value >= 12 else 0)
        return self._encode(value)

    def _decode_hours(self, value: int) -> int:
        if self._reg_b & B_24_HOUR:
            return self._decode(value)
        hour = self._decode(value & ~HOUR_PM) % 12
        return hour + 12 if value & HOUR_PM else hour

    def _set_field(self, reg: int, value: int) -> None:
        """A guest write to a time-of-day register: move the clock."""
        self._collect_flags()
        now = self._now_seconds()
        fields = list(self._fields(now))
        decoded = self._decode_hours(value) if reg == REG_HOURS else self._decode(value)
        if reg == REG_WEEKDAY:
            self._weekday_shift = (self._weekday_shift + decoded - fields[3]) % 7
            return
        fields[_TIME_FIELDS[reg]] = decoded
        target = _to_unix(fields)
        if self._frozen is not None:
            self._frozen = target
        else:
            self._offset += target - now

    # ---- register C flags ------------------------------------------------

    def _collect_flags(self) -> None:
        """Set the flags for whatever happened between the last look and now."""
        now = self._clock()
        last, self._checked = self._checked, now
        if not self._running() or now <= last:
            return
        self._periodic_flag(last, now)
        updates = math.floor(now) - math.floor(last)
        if updates <= 0:
            return
        self._flags |= C_UF
        rtc_now = self._now_seconds()
        for back in range(min(updates, SECONDS_PER_DAY)):
            if self._alarm_matches(self._fields(rtc_now - back)):
                self._flags |= C_AF
                break

    def _periodic_flag(self, last: float, now: float) -> None:
        rate = self._reg_a & A_RATE
        if rate == 0 or not self._reg_b & B_PIE:
            return            # as under QEMU: no periodic flag unless PIE is on
        # Rates 1 and 2 give 256 and 128 Hz, like rates 8 and 9.
        hertz = 32768 >> ((rate if rate > 2 else rate + 7) - 1)
        if math.floor(now * hertz) > math.floor(last * hertz):
            self._flags |= C_PF

    def _alarm_matches(self, fields: tuple[int, ...]) -> bool:
        for alarm_reg, time_reg in _ALARMS:
            alarm = self._ram[alarm_reg]
            if alarm & ALARM_DONT_CARE == ALARM_DONT_CARE:
                continue
            if alarm != self._encode_field(time_reg, fields):
                return False
        return True


def _to_unix(fields: list[int]) -> int:
    """Unix seconds of (second, minute, hour, -, day, month, year, century).

    Out-of-range values are clamped so that a guest writing garbage moves the
    clock to a valid time instead of failing.
    """
    second, minute, hour, _, day, month, year, century = fields
    full_year = min(max(century * 100 + year % 100, 1900), 9999)
    return calendar.timegm((full_year, min(max(month, 1), 12),
                            min(max(day, 1), 31), min(hour, 23), min(minute, 59),
                            min(second, 59), 0, 0, 0))
