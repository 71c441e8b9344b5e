"""The interrupt controllers, the interval timer and the CMOS/RTC, driven
through the port bus as a guest would, with a clock moved by hand.

Reset values were read under qemu-system-i386 7.2 by a probe guest at the
Multiboot entry (IMR 0xB8/0xA1 0x8E, vector bases 0x08/0x70, PIT channel 0
status 0x34, CMOS A=0x26 B=0x02, memory bytes for -m 128).
"""
from __future__ import annotations

import calendar
import time

import pytest

from bt.devices import (CmosRtc, HostClock, InstructionClock, ManualClock, Pic8259Pair,
                        Pit8254, PortBus, SystemControlPortB, virtual_seconds)
from bt.devices.pit8254 import PIT_HZ, ns_at_tick, ticks_at

MASTER_CMD, MASTER_DATA, SLAVE_CMD, SLAVE_DATA = 0x20, 0x21, 0xA0, 0xA1
READ_IRR, READ_ISR, POLL = 0x0A, 0x0B, 0x0C
EOI = 0x20
CH0, CH1, CH2, PIT_CONTROL, PORT_B = 0x40, 0x41, 0x42, 0x43, 0x61
MS = 1_000_000


# ---------------------------------------------------------------- helpers

class Machine:
    """A bus with the PIC pair, the PIT (IRQ 0 pulsed into the PIC), port
    0x61 and the CMOS, on a manual clock; INTR changes are recorded."""

    def __init__(self, ram_size: int = 128 << 20, epoch: float = 1_709_211_909.0) -> None:
        self.clock = ManualClock()
        self.intr_changes: list[bool] = []
        self.pic = Pic8259Pair(on_intr_change=self.intr_changes.append)
        self.irq0_times: list[int] = []
        self.pit = Pit8254(self.clock, self._irq0)
        self.port_b = SystemControlPortB(self.pit)
        self.epoch = epoch
        self.cmos = CmosRtc(virtual_seconds(self.clock, epoch), ram_size=ram_size)
        self.bus = PortBus()
        for device in (self.pic, self.pit, self.port_b, self.cmos):
            for first, count in device.PORT_RANGES:
                self.bus.register(first, count, device)

    def _irq0(self) -> None:
        self.irq0_times.append(self.clock.now_ns())
        self.pic.pulse_irq(0)

    def outb(self, port: int, value: int) -> None:
        self.bus.write(port, 1, value)

    def inb(self, port: int) -> int:
        return self.bus.read(port, 1)

    def at(self, ns: int) -> None:
        """Move the clock to `ns` and run the PIT as the machine would."""
        self.clock.set(ns)
        self.pit.advance()

    # PIC helpers
    def irr(self, cmd: int = MASTER_CMD) -> int:
        self.outb(cmd, READ_IRR)
        return self.inb(cmd)

    def isr(self, cmd: int = MASTER_CMD) -> int:
        self.outb(cmd, READ_ISR)
        return self.inb(cmd)

    def remap(self, icw4: int = 0x01, master_base: int = 0x20, slave_base: int = 0x28) -> None:
        """The Linux / xv6 initialisation sequence, every IRQ unmasked."""
        for cmd, data, base, icw3 in ((MASTER_CMD, MASTER_DATA, master_base, 0x04),
                                      (SLAVE_CMD, SLAVE_DATA, slave_base, 0x02)):
            self.outb(cmd, 0x11)
            self.outb(data, base)
            self.outb(data, icw3)
            self.outb(data, icw4)
        self.outb(MASTER_DATA, 0x00)
        self.outb(SLAVE_DATA, 0x00)

    # PIT helpers
    def program(self, channel: int, mode: int, count: int, bcd: bool = False) -> None:
        self.outb(PIT_CONTROL, channel << 6 | 0x30 | mode << 1 | int(bcd))
        self.outb(CH0 + channel, count & 0xFF)
        self.outb(CH0 + channel, count >> 8 & 0xFF)

    def latch(self, channel: int) -> int:
        self.outb(PIT_CONTROL, channel << 6)
        low = self.inb(CH0 + channel)
        return low | self.inb(CH0 + channel) << 8

    def status(self, channel: int) -> int:
        self.outb(PIT_CONTROL, 0xE0 | 2 << channel)
        return self.inb(CH0 + channel)

    # CMOS helpers
    def cmos_read(self, reg: int) -> int:
        self.outb(0x70, reg)
        return self.inb(0x71)

    def cmos_write(self, reg: int, value: int) -> None:
        self.outb(0x70, reg)
        self.outb(0x71, value)


@pytest.fixture
def m() -> Machine:
    return Machine()


def tick_ns(ticks: int) -> int:
    return ns_at_tick(ticks)


# ---------------------------------------------------------------- clocks

def test_host_clock_counts_from_creation() -> None:
    now = [5_000]
    clock = HostClock(lambda: now[0])
    assert clock.now_ns() == 0
    now[0] = 12_345
    assert clock.now_ns() == 7_345


def test_instruction_clock_is_a_function_of_the_count_and_skips_forward() -> None:
    icount = [0]
    clock = InstructionClock(lambda: icount[0], ns_per_instruction=2.5)
    icount[0] = 1000
    assert clock.now_ns() == 2500
    clock.skip_to(10_000)
    assert clock.now_ns() == 10_000
    clock.skip_to(5_000)                      # never back
    assert clock.now_ns() == 10_000
    icount[0] = 1004
    assert clock.now_ns() == 10_010
    with pytest.raises(ValueError):
        InstructionClock(lambda: 0, 0)


def test_manual_clock_never_goes_back() -> None:
    clock = ManualClock(10)
    clock.advance(5)
    assert clock.now_ns() == 15
    with pytest.raises(ValueError):
        clock.set(3)


# ---------------------------------------------------------------- PIC

def test_pic_reset_state_is_what_seabios_leaves_under_qemu(m: Machine) -> None:
    assert m.inb(MASTER_DATA) == 0xB8 and m.inb(SLAVE_DATA) == 0x8E
    assert m.pic.vector_of(0) == 0x08 and m.pic.vector_of(8) == 0x70
    assert m.inb(MASTER_CMD) == 0 and m.irr() == 0 and m.isr() == 0
    assert not m.pic.intr and m.intr_changes == []


def test_irq0_at_the_bios_base_then_eoi(m: Machine) -> None:
    m.pic.pulse_irq(0)
    assert m.pic.intr and m.intr_changes == [True]
    assert m.irr() == 0x01
    assert m.pic.acknowledge() == 0x08
    assert not m.pic.intr and m.irr() == 0 and m.isr() == 0x01
    m.outb(MASTER_CMD, EOI)
    assert m.isr() == 0
    assert m.intr_changes == [True, False]


def test_slave_irq_through_the_cascade_at_bios_bases(m: Machine) -> None:
    m.pic.pulse_irq(8)
    assert m.pic.intr and m.irr() & 0x04 and m.irr(SLAVE_CMD) == 0x01
    assert m.pic.acknowledge() == 0x70
    assert m.isr() == 0x04 and m.isr(SLAVE_CMD) == 0x01


def test_linux_init_sequence_remaps_and_clears_the_mask(m: Machine) -> None:
    m.outb(MASTER_CMD, 0x11)
    assert m.inb(MASTER_DATA) == 0          # ICW1 clears the mask
    m.outb(MASTER_DATA, 0x20)
    m.outb(MASTER_DATA, 0x04)
    m.outb(MASTER_DATA, 0x01)
    m.outb(MASTER_DATA, 0xFB)               # now OCW1
    m.outb(SLAVE_CMD, 0x11)
    m.outb(SLAVE_DATA, 0x28)
    m.outb(SLAVE_DATA, 0x02)
    m.outb(SLAVE_DATA, 0x01)
    m.outb(SLAVE_DATA, 0xFF)
    assert m.inb(MASTER_DATA) == 0xFB and m.inb(SLAVE_DATA) == 0xFF
    assert m.pic.vector_of(0) == 0x20 and m.pic.vector_of(15) == 0x2F
    assert m.pic.master.icw3 == 0x04 and m.pic.slave.icw3 == 0x02
    m.pic.pulse_irq(1)
    assert not m.pic.intr                   # 0xFB leaves only the cascade open
    m.outb(MASTER_DATA, 0xF9)
    assert m.pic.acknowledge() == 0x21


def test_icw1_resets_requests_and_in_service(m: Machine) -> None:
    m.pic.pulse_irq(0)
    m.pic.pulse_irq(1)
    m.pic.acknowledge()
    m.outb(MASTER_CMD, READ_ISR)
    m.outb(MASTER_CMD, 0x11)
    assert m.inb(MASTER_CMD) == 0           # read selection back to IRR, IRR clear
    assert m.isr() == 0
    assert not m.pic.intr


def test_single_mode_without_icw4_skips_icw3_and_icw4(m: Machine) -> None:
    m.outb(MASTER_CMD, 0x12)                # edge, single, no ICW4
    m.outb(MASTER_DATA, 0x40)               # ICW2
    m.outb(MASTER_DATA, 0xFA)               # already OCW1
    assert m.inb(MASTER_DATA) == 0xFA
    assert not m.pic.master.x86_mode        # ICW4 functions cleared
    m.outb(MASTER_DATA, 0x00)
    m.pic.pulse_irq(2)
    assert m.pic.acknowledge() == 0x42      # no cascade in single mode


def test_icw2_ignores_the_low_three_bits(m: Machine) -> None:
    m.remap(master_base=0x27)
    assert m.pic.vector_of(0) == 0x20


def test_masked_requests_stay_in_irr_and_fire_when_unmasked(m: Machine) -> None:
    m.outb(MASTER_DATA, 0xFF)
    m.pic.pulse_irq(0)
    assert m.irr() == 0x01 and not m.pic.intr and m.intr_changes == []
    m.outb(MASTER_DATA, 0xFE)
    assert m.pic.intr and m.intr_changes == [True]
    m.outb(MASTER_DATA, 0xFF)
    assert not m.pic.intr and m.intr_changes == [True, False]


def test_masking_the_slave_or_the_cascade_hides_slave_requests(m: Machine) -> None:
    m.remap()
    m.outb(SLAVE_DATA, 0x01)
    m.pic.pulse_irq(8)
    assert not m.pic.intr
    m.outb(SLAVE_DATA, 0x00)
    assert m.pic.intr
    m.outb(MASTER_DATA, 0x04)
    assert not m.pic.intr


def test_fixed_priorities_and_nesting(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(3)
    m.pic.pulse_irq(1)
    assert m.pic.acknowledge() == 0x21      # IRQ 1 before IRQ 3
    assert not m.pic.intr                   # IRQ 3 waits for IRQ 1's EOI
    m.pic.pulse_irq(0)
    assert m.pic.intr                       # IRQ 0 nests above IRQ 1
    assert m.pic.acknowledge() == 0x20
    assert m.isr() == 0x03
    m.outb(MASTER_CMD, EOI)                 # non-specific: the highest, IRQ 0
    assert m.isr() == 0x02 and not m.pic.intr
    m.outb(MASTER_CMD, EOI)
    assert m.pic.intr and m.pic.acknowledge() == 0x23


def test_slave_requests_rank_at_the_masters_irq2(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(1)
    m.pic.acknowledge()
    m.pic.pulse_irq(12)
    assert not m.pic.intr                   # below IRQ 1 in service
    m.outb(MASTER_CMD, EOI)
    m.pic.pulse_irq(3)
    assert m.pic.acknowledge() == 0x2C      # IRQ 12 (at IRQ 2) before IRQ 3
    m.pic.pulse_irq(8)
    assert not m.pic.intr                   # IRQ 2 in service on the master
    m.outb(SLAVE_CMD, EOI)
    m.outb(MASTER_CMD, EOI)
    assert m.pic.acknowledge() == 0x28
    m.outb(SLAVE_CMD, EOI)
    m.outb(MASTER_CMD, EOI)
    assert m.pic.acknowledge() == 0x23


def test_specific_eoi_clears_only_its_level(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(5)
    m.pic.acknowledge()
    m.pic.pulse_irq(1)
    m.pic.acknowledge()
    m.outb(MASTER_CMD, 0x65)                # specific EOI for IRQ 5, not the highest
    assert m.isr() == 0x02
    m.outb(MASTER_CMD, 0x61)
    assert m.isr() == 0
    m.pic.pulse_irq(4)
    m.pic.pulse_irq(6)
    m.pic.acknowledge()
    m.outb(MASTER_CMD, 0x6)                 # OCW2 with EOI bits clear: nothing
    assert m.isr() == 0x10
    m.outb(MASTER_CMD, 0x66)                # EOI for a level not in service
    assert m.isr() == 0x10


def test_rotation_commands_move_the_lowest_priority(m: Machine) -> None:
    m.remap()
    m.outb(MASTER_CMD, 0xC3)                # set priority: IRQ 3 lowest, IRQ 4 highest
    m.pic.pulse_irq(1)
    m.pic.pulse_irq(4)
    assert m.pic.acknowledge() == 0x24
    m.outb(MASTER_CMD, 0xA0)                # rotate on non-specific EOI: IRQ 4 lowest
    assert m.pic.master.lowest == 4 and m.isr() == 0
    m.pic.pulse_irq(6)
    assert m.pic.acknowledge() == 0x26      # order 5 6 7 0 1 2 3 4: 6 before 1
    m.outb(MASTER_CMD, 0xE6)                # rotate on specific EOI of IRQ 6
    assert m.isr() == 0 and m.pic.master.lowest == 6
    assert m.pic.acknowledge() == 0x21
    m.outb(MASTER_CMD, 0xC7)                # back to fixed priorities
    assert m.pic.master.lowest == 7


def test_automatic_eoi_and_rotate_in_aeoi(m: Machine) -> None:
    m.remap(icw4=0x03)
    m.pic.pulse_irq(1)
    assert m.pic.acknowledge() == 0x21
    assert m.isr() == 0                     # no EOI needed
    m.outb(MASTER_CMD, 0x80)                # rotate in AEOI mode
    m.pic.pulse_irq(1)
    m.pic.acknowledge()
    assert m.pic.master.lowest == 1
    m.pic.pulse_irq(1)
    m.pic.pulse_irq(3)
    assert m.pic.acknowledge() == 0x23      # IRQ 1 is the lowest now
    m.outb(MASTER_CMD, 0x00)                # clear rotate in AEOI
    assert not m.pic.master.rotate_on_aeoi


def test_special_mask_mode_lets_lower_levels_through(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(1)
    m.pic.acknowledge()
    m.pic.pulse_irq(5)
    assert not m.pic.intr
    m.outb(MASTER_DATA, 0x02)               # mask the level in service...
    m.outb(MASTER_CMD, 0x68)                # ...and enter special mask mode
    assert m.pic.intr
    assert m.pic.acknowledge() == 0x25
    m.outb(MASTER_CMD, 0x48)                # leave special mask mode
    assert not m.pic.master.special_mask


def test_special_fully_nested_mode_lets_a_slave_nest(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(10)
    m.pic.acknowledge()
    m.pic.pulse_irq(9)
    assert not m.pic.intr                   # master's IRQ 2 in service
    m.remap(icw4=0x11)                      # special fully nested on both
    m.pic.pulse_irq(10)
    m.pic.acknowledge()
    m.pic.pulse_irq(11)
    assert not m.pic.intr                   # lower than the slave's own level
    m.pic.pulse_irq(9)
    assert m.pic.intr
    assert m.pic.acknowledge() == 0x29
    assert m.isr(SLAVE_CMD) == 0x06 and m.isr() == 0x04


def test_reading_irr_and_isr_selection_persists(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(3)
    m.pic.pulse_irq(4)
    m.pic.acknowledge()
    m.outb(MASTER_CMD, READ_ISR)
    assert m.inb(MASTER_CMD) == 0x08 and m.inb(MASTER_CMD) == 0x08
    m.outb(MASTER_CMD, 0x08)                # OCW3 without RR: selection kept
    assert m.inb(MASTER_CMD) == 0x08
    m.outb(MASTER_CMD, READ_IRR)
    assert m.inb(MASTER_CMD) == 0x10
    assert m.inb(MASTER_DATA) == 0x00       # the odd port is always the mask


def test_poll_mode_acknowledges_through_the_command_port(m: Machine) -> None:
    m.remap()
    m.outb(MASTER_CMD, POLL)
    assert m.inb(MASTER_CMD) == 0x00        # nothing requested
    m.pic.pulse_irq(6)
    assert m.pic.intr
    m.outb(MASTER_CMD, POLL)
    assert m.inb(MASTER_CMD) == 0x86
    assert not m.pic.intr and m.isr() == 0x40
    assert m.inb(MASTER_CMD) == 0x40        # one read only: back to ISR


def test_spurious_irq7_when_the_request_vanished(m: Machine) -> None:
    m.remap()
    m.pic.raise_irq(5)
    assert m.pic.intr
    m.pic.lower_irq(5)                      # gone before the CPU acknowledges
    assert not m.pic.intr and m.irr() == 0
    assert m.pic.acknowledge() == 0x27
    assert m.isr() == 0 and m.pic.spurious == 1


def test_spurious_irq15_leaves_the_cascade_in_service(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(2)                      # the master's IR2 with nothing on the slave
    assert m.pic.acknowledge() == 0x2F
    assert m.isr() == 0x04 and m.isr(SLAVE_CMD) == 0
    m.outb(MASTER_CMD, EOI)
    assert m.isr() == 0


def test_edge_lines_latch_once_per_rising_edge(m: Machine) -> None:
    m.remap()
    m.pic.raise_irq(3)
    m.pic.acknowledge()
    m.outb(MASTER_CMD, EOI)
    assert not m.pic.intr                   # still high: no new edge
    m.pic.raise_irq(3)
    assert not m.pic.intr
    m.pic.lower_irq(3)
    m.pic.raise_irq(3)
    assert m.pic.intr


def test_level_triggered_mode_requests_while_the_line_is_high(m: Machine) -> None:
    m.remap()
    m.outb(MASTER_CMD, 0x19)                # ICW1 with LTIM
    m.outb(MASTER_DATA, 0x20)
    m.outb(MASTER_DATA, 0x04)
    m.outb(MASTER_DATA, 0x01)
    m.outb(MASTER_DATA, 0x00)
    m.pic.raise_irq(3)
    assert m.pic.acknowledge() == 0x23
    m.outb(MASTER_CMD, EOI)
    assert m.pic.intr                       # the line is still high
    m.pic.lower_irq(3)
    assert not m.pic.intr


def test_intr_callback_reports_only_changes(m: Machine) -> None:
    m.remap()
    m.pic.pulse_irq(4)
    m.pic.pulse_irq(3)
    m.pic.pulse_irq(4)
    assert m.intr_changes == [True]
    m.pic.acknowledge()                     # IRQ 3 in service holds IRQ 4 back
    m.outb(MASTER_DATA, 0x00)
    assert m.intr_changes == [True, False]
    m.outb(MASTER_CMD, EOI)
    assert m.intr_changes == [True, False, True]


def test_bad_irq_numbers_are_refused(m: Machine) -> None:
    with pytest.raises(ValueError):
        m.pic.raise_irq(16)
    with pytest.raises(ValueError):
        m.pic.pulse_irq(-1)


# ---------------------------------------------------------------- PIT

def test_pit_reset_state_is_what_seabios_leaves_under_qemu(m: Machine) -> None:
    assert m.status(0) & 0x7F == 0x34       # mode 2, lobyte/hibyte, binary
    assert m.status(1) & 0x7F == 0x06 and m.status(2) & 0x7F == 0x06
    period = tick_ns(0x10000)
    assert m.pit.next_event_ns() == period
    assert abs(1e9 / period - 18.2065) < 0.001


def test_irq0_at_18_hz_is_vector_8_after_reset(m: Machine) -> None:
    m.outb(MASTER_DATA, 0xFE)
    first = m.pit.next_event_ns()
    assert first is not None
    m.at(first - 1)
    assert m.irq0_times == []
    m.at(first)
    assert m.irq0_times == [first] and m.pic.intr
    assert m.pic.acknowledge() == 0x08
    assert m.pit.next_event_ns() == tick_ns(2 * 0x10000)


def test_count_reads_follow_the_clock(m: Machine) -> None:
    m.clock.set(MS)
    assert m.latch(0) == 0x10000 - ticks_at(MS)
    m.clock.set(2 * MS)
    assert m.latch(0) == 0x10000 - ticks_at(2 * MS)


def test_mode2_1khz_like_interrupts_c(m: Machine) -> None:
    m.remap()
    m.program(0, 2, 1193)
    assert m.status(0) & 0x7F == 0x34
    for i in range(1, 21):
        m.at(tick_ns(1193 * i))
        assert len(m.irq0_times) == i
        assert m.pic.acknowledge() == 0x20
        m.outb(MASTER_CMD, EOI)
    assert m.irq0_times[0] == tick_ns(1193)
    assert m.latch(0) == 1193               # reloaded at the period's start
    m.clock.set(tick_ns(20 * 1193 + 1192))
    assert m.latch(0) == 1 and not m.pit.output(0)   # OUT low on count 1


def test_mode2_period_arithmetic_and_merged_edges(m: Machine) -> None:
    m.program(0, 2, 100)
    m.clock.set(tick_ns(30))
    assert m.latch(0) == 70 and m.pit.output(0)
    m.clock.set(tick_ns(350))
    assert m.pit.advance() == 3             # three periods went by...
    assert len(m.irq0_times) == 1           # ...one edge latched
    assert m.pit.advance() == 0
    assert m.pit.next_event_ns() == tick_ns(400)
    assert m.pit.irqs == 1 and m.pit.periods == 3


def test_mode3_square_wave(m: Machine) -> None:
    m.program(0, 3, 1000)
    assert m.status(0) & 0x7F == 0x36
    m.clock.set(tick_ns(100))
    assert m.latch(0) == 800 and m.pit.output(0)     # counts down by two
    m.clock.set(tick_ns(600))
    assert m.latch(0) == 800 and not m.pit.output(0)
    m.at(tick_ns(1000))
    assert len(m.irq0_times) == 1 and m.pit.output(0)
    assert m.pit.next_event_ns() == tick_ns(2000)


def test_mode3_odd_count_spends_a_tick_more_high(m: Machine) -> None:
    m.program(0, 3, 5)
    outs = []
    for t in range(10):
        m.clock.set(tick_ns(t))
        outs.append(m.pit.output(0))
    assert outs == [True, True, True, False, False] * 2


def test_mode0_interrupt_on_terminal_count(m: Machine) -> None:
    m.program(0, 0, 100)
    assert m.status(0) & 0xC0 == 0          # OUT low, count loaded
    assert m.pit.next_event_ns() == tick_ns(100)
    m.at(tick_ns(99))
    assert m.irq0_times == [] and not m.pit.output(0)
    m.at(tick_ns(100))
    assert len(m.irq0_times) == 1 and m.pit.output(0)
    assert m.status(0) & 0x80
    assert m.pit.next_event_ns() is None
    m.at(tick_ns(500))
    assert len(m.irq0_times) == 1           # once only
    assert m.latch(0) == 0x10000 - 400      # the counter wraps and goes on


def test_mode0_rewrite_restarts_and_first_byte_stops(m: Machine) -> None:
    m.program(0, 0, 100)
    m.clock.set(tick_ns(40))
    m.outb(CH0, 50)                         # first byte: counting stops
    m.clock.set(tick_ns(70))
    assert m.status(0) & 0x40               # null count
    assert m.pit.next_event_ns() is None
    m.outb(CH0, 0)
    assert m.pit.next_event_ns() == tick_ns(120)
    m.at(tick_ns(120))
    assert len(m.irq0_times) == 1


def test_control_word_sets_null_count_and_out(m: Machine) -> None:
    m.outb(PIT_CONTROL, 0x30)               # channel 0, mode 0, no count yet
    assert m.status(0) == 0x70              # OUT low, null count, lo/hi, mode 0
    assert m.pit.next_event_ns() is None
    m.outb(CH0, 0x34)
    assert m.status(0) == 0x70              # half a count is still null
    m.outb(CH0, 0x12)
    assert m.status(0) == 0x30


def test_latch_holds_the_count_until_read(m: Machine) -> None:
    m.program(0, 2, 1000)
    m.clock.set(tick_ns(100))
    m.outb(PIT_CONTROL, 0x00)
    m.clock.set(tick_ns(300))
    m.outb(PIT_CONTROL, 0x00)               # ignored: a count is latched
    assert m.inb(CH0) == 900 & 0xFF
    m.clock.set(tick_ns(400))
    assert m.inb(CH0) == 900 >> 8
    assert m.latch(0) == 600                # a fresh latch after both bytes


def test_unlatched_reads_alternate_low_and_high(m: Machine) -> None:
    m.program(0, 2, 0x1234)
    assert m.inb(CH0) == 0x34 and m.inb(CH0) == 0x12


def test_lobyte_and_hibyte_access_modes(m: Machine) -> None:
    m.outb(PIT_CONTROL, 0x94)               # channel 2, lobyte only, mode 2
    m.outb(PORT_B, 0x01)
    m.outb(CH2, 0x80)
    assert m.inb(CH2) == 0x80 and m.inb(CH2) == 0x80
    m.outb(PIT_CONTROL, 0xA4)               # hibyte only
    m.outb(CH2, 0x02)
    assert m.inb(CH2) == 0x02
    assert m.pit.channels[2].reload == 0x200
    m.outb(PIT_CONTROL, 0x80)
    assert m.inb(CH2) == 0x02               # the latch gives one byte


def test_read_back_status_and_count(m: Machine) -> None:
    m.program(2, 0, 0x1234)
    m.outb(PORT_B, 0x01)
    m.program(2, 0, 0x1234)
    m.clock.set(tick_ns(0x34))
    m.outb(PIT_CONTROL, 0xC8)               # count and status of channel 2
    assert [m.inb(CH2) for _ in range(3)] == [0x30, 0x00, 0x12]
    m.outb(PIT_CONTROL, 0xD8)               # count only
    assert m.inb(CH2) == 0x00
    m.outb(PIT_CONTROL, 0xE8)               # status comes first, whatever the order
    assert m.inb(CH2) == 0x30 and m.inb(CH2) == 0x12
    m.outb(PIT_CONTROL, 0xEE)               # status of channels 1 and 2 at once
    assert m.inb(CH1) & 0x3F == 0x06 and m.inb(CH2) == 0x30


def test_bcd_counting(m: Machine) -> None:
    m.program(0, 2, 0x1000, bcd=True)       # 1000 ticks
    assert m.status(0) & 0x0F == 0x05
    m.clock.set(tick_ns(1))
    assert m.latch(0) == 0x0999
    assert m.pit.next_event_ns() == tick_ns(1000)
    m.program(0, 2, 0, bcd=True)            # 0 means 10000 in BCD
    assert m.pit.channels[0].reload == 10000


def test_new_periodic_count_applies_at_the_end_of_the_period(m: Machine) -> None:
    m.program(0, 2, 1000)
    m.clock.set(tick_ns(300))
    m.outb(CH0, 100)                        # new count 100 without a control word
    m.outb(CH0, 0)
    assert m.status(0) & 0x40               # null until it is loaded
    assert m.latch(0) == 700
    assert m.pit.next_event_ns() == tick_ns(1000)
    m.at(tick_ns(1000))
    assert len(m.irq0_times) == 1
    assert m.status(0) & 0x40 == 0
    assert m.pit.next_event_ns() == tick_ns(1100)
    m.at(tick_ns(1250))
    assert len(m.irq0_times) == 2 and m.latch(0) == 50


def test_reprogramming_delivers_the_edges_before_it(m: Machine) -> None:
    m.clock.set(tick_ns(0x10000) + 5)
    m.program(0, 2, 1193)                   # the overdue tick is not lost
    assert len(m.irq0_times) == 1


def test_on_reprogram_is_called_for_writes(m: Machine) -> None:
    calls = []
    m.pit.on_reprogram = lambda: calls.append(m.pit.next_event_ns())
    m.program(0, 2, 100)
    assert calls[-1] == tick_ns(100)


def test_channel2_gate_through_port_61_like_linux_calibration(m: Machine) -> None:
    assert m.inb(PORT_B) & 0x03 == 0
    m.outb(PORT_B, (m.inb(PORT_B) & ~0x02) | 0x01)   # gate on, speaker off
    m.outb(PIT_CONTROL, 0xB0)               # channel 2, lo/hi, mode 0
    m.outb(CH2, 0xFF)
    m.outb(CH2, 0xFF)
    start = m.clock.now_ns()
    assert not m.inb(PORT_B) & 0x20
    m.clock.set(start + tick_ns(0xFFFE))
    assert not m.inb(PORT_B) & 0x20
    m.clock.set(start + tick_ns(0xFFFF))
    assert m.inb(PORT_B) & 0x20
    assert m.irq0_times == []               # channel 2 is not on IRQ 0


def test_gate_low_pauses_mode0_and_stops_modes_2_and_3(m: Machine) -> None:
    m.outb(PORT_B, 0x01)
    m.program(2, 0, 1000)
    m.clock.set(tick_ns(100))
    m.outb(PORT_B, 0x00)                    # pause at 900
    m.clock.set(tick_ns(500))
    assert m.latch(2) == 900
    m.outb(PORT_B, 0x01)                    # resume
    m.clock.set(tick_ns(600))
    assert m.latch(2) == 800
    m.program(2, 3, 100)
    m.clock.set(tick_ns(660))
    assert not m.pit.output(2)
    m.outb(PORT_B, 0x00)                    # stopped: OUT high
    assert m.inb(PORT_B) & 0x20
    m.clock.set(tick_ns(700))
    m.outb(PORT_B, 0x01)                    # the rising edge restarts the count
    m.clock.set(tick_ns(710))
    assert m.latch(2) == 80


def test_gate_triggered_mode1_one_shot(m: Machine) -> None:
    m.program(2, 1, 50)
    assert m.pit.output(2)                  # waits for the gate
    m.clock.set(tick_ns(10))
    m.outb(PORT_B, 0x01)
    m.clock.set(tick_ns(20))
    assert not m.pit.output(2) and m.latch(2) == 40
    m.clock.set(tick_ns(60))
    assert m.pit.output(2)


def test_port_61_bits_and_refresh_toggle(m: Machine) -> None:
    first, second = m.inb(PORT_B), m.inb(PORT_B)
    assert (first ^ second) == 0x10         # bit 4 flips at every read, as under QEMU
    m.outb(PORT_B, 0x0F)
    assert m.inb(PORT_B) & 0x0F == 0x03     # bits 2-3 are not kept
    assert m.port_b.speaker


def test_pit_control_port_reads_all_ones(m: Machine) -> None:
    assert m.inb(PIT_CONTROL) == 0xFF


def test_pit_with_an_instruction_clock_is_deterministic() -> None:
    icount = [0]
    clock = InstructionClock(lambda: icount[0], ns_per_instruction=1.0)
    fired: list[int] = []
    pit = Pit8254(clock, lambda: fired.append(clock.now_ns()))
    deadline = pit.next_event_ns()
    assert deadline is not None
    clock.skip_to(deadline)                 # HLT: jump to the timer event
    assert pit.advance() == 1 and fired == [deadline]
    icount[0] = 1000
    assert pit.advance() == 0
    assert ticks_at(fired[0]) == 0x10000 and PIT_HZ == 1_193_182


# ---------------------------------------------------------------- CMOS

# 2024-02-29 13:05:09 UTC, a Thursday.
EPOCH = calendar.timegm((2024, 2, 29, 13, 5, 9, 0, 0, 0))


def test_cmos_reset_registers_and_memory_bytes(m: Machine) -> None:
    assert m.cmos_read(0x0A) & 0x7F == 0x26
    assert m.cmos_read(0x0B) == 0x02
    assert m.cmos_read(0x0C) == 0x00
    assert m.cmos_read(0x0D) == 0x80
    got = {reg: m.cmos_read(reg) for reg in (0x10, 0x14, 0x15, 0x16, 0x17, 0x18, 0x30, 0x31,
                                             0x34, 0x35, 0x37, 0x38, 0x3D, 0x5B, 0x5C, 0x5D)}
    # As QEMU's CMOS reads with -m 128 (probe guest).
    assert got == {0x10: 0x50, 0x14: 0x07, 0x15: 0x80, 0x16: 0x02, 0x17: 0xFF, 0x18: 0xFF,
                   0x30: 0xFF, 0x31: 0xFF, 0x34: 0x00, 0x35: 0x07, 0x37: 0x20, 0x38: 0x30,
                   0x3D: 0x12, 0x5B: 0, 0x5C: 0, 0x5D: 0}


@pytest.mark.parametrize("ram, ext, above16, above4g", [
    (8 << 20, 7 * 1024, 0, 0),
    (64 << 20, 63 * 1024, 48 * 16, 0),
    (4 << 30, 0xFFFF, (3 << 30) - (16 << 20) >> 16, 0x4000),   # 3 GiB below 4 GiB
])
def test_cmos_memory_sizes_for_other_ram_sizes(ram: int, ext: int, above16: int,
                                               above4g: int) -> None:
    cmos = CmosRtc(lambda: float(EPOCH), ram_size=ram)

    def word(lo: int) -> int:
        return cmos.read_register(lo) | cmos.read_register(lo + 1) << 8

    assert word(0x15) == 640
    assert word(0x17) == ext and word(0x30) == ext
    assert word(0x34) == min(above16, 0xFFFF)
    assert word(0x5B) | cmos.read_register(0x5D) << 16 == above4g


def test_time_of_day_in_bcd() -> None:
    m = Machine(epoch=EPOCH + 0.25)
    assert [m.cmos_read(r) for r in (0, 2, 4, 6, 7, 8, 9, 0x32)] == \
        [0x09, 0x05, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20]


def test_time_of_day_in_binary_and_12_hour() -> None:
    m = Machine(epoch=EPOCH)
    m.cmos_write(0x0B, 0x06)                # binary, 24-hour
    assert [m.cmos_read(r) for r in (0, 2, 4, 7, 8, 9, 0x32)] == [9, 5, 13, 29, 2, 24, 20]
    m.cmos_write(0x0B, 0x04)                # binary, 12-hour
    assert m.cmos_read(4) == 0x80 | 1       # 1 PM
    m.cmos_write(0x0B, 0x00)                # BCD, 12-hour
    assert m.cmos_read(4) == 0x81


@pytest.mark.parametrize("hour, bcd12", [(0, 0x12), (11, 0x11), (12, 0x92), (23, 0x91)])
def test_12_hour_midnight_and_noon(hour: int, bcd12: int) -> None:
    cmos = CmosRtc(lambda: float(calendar.timegm((2024, 1, 1, hour, 0, 0, 0, 0, 0))))
    cmos.write_register(0x0B, 0x00)
    assert cmos.read_register(4) == bcd12


def test_time_advances_with_the_clock_across_a_year() -> None:
    new_year = calendar.timegm((2099, 12, 31, 23, 59, 59, 0, 0, 0))
    m = Machine(epoch=new_year)
    m.clock.set(1_000 * MS)
    assert [m.cmos_read(r) for r in (0, 2, 4, 7, 8, 9, 0x32)] == \
        [0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x21]


def test_setting_the_clock_with_set_bit() -> None:
    m = Machine(epoch=EPOCH)
    m.cmos_write(0x0B, 0x82 | 0x10)         # SET (clears UIE)
    assert m.cmos_read(0x0B) == 0x82
    m.cmos_write(4, 0x08)                   # 08:xx
    m.cmos_write(9, 0x25)
    m.clock.set(5_000 * MS)                 # stands still while SET
    assert m.cmos_read(0) == 0x09 and m.cmos_read(4) == 0x08
    m.cmos_write(0x0B, 0x02)
    m.clock.set(7_000 * MS)
    assert m.cmos_read(0) == 0x11 and m.cmos_read(4) == 0x08 and m.cmos_read(9) == 0x25


def test_writes_without_set_move_the_clock_and_weekday() -> None:
    m = Machine(epoch=EPOCH)
    m.cmos_write(2, 0x30)                   # minutes
    assert m.cmos_read(2) == 0x30 and m.cmos_read(4) == 0x13
    m.cmos_write(6, 0x02)                   # the weekday is its own counter
    assert m.cmos_read(6) == 0x02 and m.cmos_read(7) == 0x29


def test_update_in_progress_in_the_last_244_us() -> None:
    m = Machine(epoch=EPOCH)
    assert not m.cmos_read(0x0A) & 0x80
    m.clock.set(1_000 * MS - 200_000)       # 200 us before the update
    assert m.cmos_read(0x0A) & 0x80
    m.clock.set(1_000 * MS - 300_000 + 1_000 * MS)   # 300 us before the next
    assert not m.cmos_read(0x0A) & 0x80
    m.clock.set(2_000 * MS - 100_000)
    m.cmos_write(0x0B, 0x82)                # SET: no updates, no UIP
    assert not m.cmos_read(0x0A) & 0x80


def test_register_a_uip_is_read_only_and_d_c_ignore_writes(m: Machine) -> None:
    m.cmos_write(0x0A, 0xFF)
    assert m.cmos_read(0x0A) & 0x7F == 0x7F
    m.cmos_write(0x0A, 0x26)
    m.cmos_write(0x0D, 0x00)
    assert m.cmos_read(0x0D) == 0x80
    m.cmos_write(0x0C, 0xFF)
    assert m.cmos_read(0x0C) == 0x00


def test_register_c_flags_are_cleared_by_reading() -> None:
    m = Machine(epoch=EPOCH + 0.5)
    m.cmos_read(0x0C)
    m.clock.set(600 * MS)                   # crosses a second: update ended
    assert m.cmos_read(0x0C) == 0x10        # UF, no IRQF: nothing enabled
    assert m.cmos_read(0x0C) == 0
    m.cmos_write(0x0B, 0x02 | 0x10)         # UIE
    m.clock.set(1_600 * MS)
    assert m.cmos_read(0x0C) == 0x90
    m.cmos_write(0x0B, 0x02 | 0x40)         # PIE, 1024 Hz
    m.clock.set(1_602 * MS)
    assert m.cmos_read(0x0C) == 0xC0
    m.cmos_write(0x0A, 0x20)                # rate 0: no periodic flag
    m.clock.set(1_700 * MS)
    assert m.cmos_read(0x0C) == 0


def test_periodic_flag_follows_the_rate() -> None:
    m = Machine(epoch=EPOCH)
    m.cmos_write(0x0A, 0x2F)                # 2 Hz
    m.cmos_write(0x0B, 0x02 | 0x40)         # PIE (QEMU sets PF only then)
    m.cmos_read(0x0C)
    m.clock.set(400 * MS)
    assert not m.cmos_read(0x0C) & 0x40
    m.clock.set(600 * MS)
    assert m.cmos_read(0x0C) & 0x40
    m.cmos_write(0x0B, 0x02)
    m.clock.set(1_200 * MS)
    assert not m.cmos_read(0x0C) & 0x40


def test_alarm_flag() -> None:
    m = Machine(epoch=EPOCH)
    m.cmos_write(0x01, 0x12)                # alarm at xx:05:12 BCD ...
    m.cmos_write(0x03, 0x05)
    m.cmos_write(0x05, 0xC0)                # ... any hour
    m.cmos_write(0x0B, 0x22)                # AIE
    m.cmos_read(0x0C)
    m.clock.set(2_500 * MS)                 # 13:05:11
    assert not m.cmos_read(0x0C) & 0x20
    m.clock.set(3_500 * MS)                 # 13:05:12
    assert m.cmos_read(0x0C) & 0xA0 == 0xA0


def test_general_storage_keeps_writes_and_index_port(m: Machine) -> None:
    for reg in range(0x0E, 0x80):
        if reg != 0x32:
            m.cmos_write(reg, reg ^ 0xA5)
    assert all(m.cmos_read(reg) == reg ^ 0xA5 for reg in range(0x0E, 0x80) if reg != 0x32)
    m.outb(0x70, 0x80 | 0x40)               # NMI disable bit: same register
    assert m.inb(0x71) == 0x40 ^ 0xA5 and m.cmos.nmi_disabled
    assert m.inb(0x70) == 0xFF


def test_host_time_by_default() -> None:
    cmos = CmosRtc()
    before = time.gmtime().tm_year
    reg_year = cmos.read_register(0x09)
    year = (reg_year >> 4) * 10 + (reg_year & 0xF)
    assert year in (before % 100, (time.gmtime().tm_year) % 100)


def test_alarm_flag_without_aie_and_dont_care_alarms() -> None:
    m = Machine(epoch=EPOCH + 0.5)
    for reg in (0x01, 0x03, 0x05):
        m.cmos_write(reg, 0xC0)              # every second matches
    m.cmos_read(0x0C)
    m.clock.set(1_000 * MS)
    assert m.cmos_read(0x0C) == 0x30         # AF and UF, no IRQF (as under QEMU)


@pytest.mark.parametrize("mode", [0, 2, 3, 4])
@pytest.mark.parametrize("count", [2, 3, 5, 8])
def test_irq0_edges_match_out_rising_edges_tick_by_tick(mode: int, count: int) -> None:
    m = Machine()
    m.program(0, mode, count)
    start = ticks_at(m.clock.now_ns())
    previous = m.pit.output(0)
    for tick in range(start + 1, start + 6 * count):
        expected = m.pit.next_event_ns()
        m.clock.set(tick_ns(tick))
        out = m.pit.output(0)
        rose = out and not previous
        assert m.pit.advance() == int(rose), (tick, out, previous)
        if rose:
            assert expected == tick_ns(tick)
        previous = out
