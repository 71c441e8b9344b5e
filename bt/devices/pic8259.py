"""The PC's pair of 8259A programmable interrupt controllers.

The master decodes ports 0x20/0x21 and drives the CPU's INTR line; the slave
decodes 0xA0/0xA1 and its INT output is wired to the master's IR2 (the
cascade). Modelled after the 8259A's data sheet:

- initialisation: ICW1 (edge/level, single/cascade, ICW4 needed), ICW2
  (vector base), ICW3 (cascade wiring, stored), ICW4 (8086 mode, automatic
  EOI, special fully nested mode; buffered mode is stored and ignored);
- OCW1 (the mask register), OCW2 (non-specific and specific EOI, rotate on
  EOI, set priority, rotate in automatic-EOI mode), OCW3 (read IRR or ISR,
  poll, special mask mode);
- priorities: fixed with IR0 highest until a rotate command moves them; the
  slave's requests reach the CPU at the master's IR2 priority;
- the interrupt-acknowledge cycle (`acknowledge()`), including spurious
  IRQ7/IRQ15 when a request vanished before the CPU acknowledged it.

Interrupt lines: `raise_irq(n)` / `lower_irq(n)` drive a line's level (in
edge mode a rising edge latches the request; lowering the line before the
acknowledge withdraws it, which makes the next acknowledge spurious, as on
the chip); `pulse_irq(n)` is an edge the PIC latches with the line already
low again (timer ticks).

Differences from the data sheet, on purpose (they follow QEMU, which is the
platform's reference): ICW1 also clears the in-service register, and the
8080/8085 call format is not modelled (vectors are always base + level).
"""
from __future__ import annotations

from typing import Callable, ClassVar

MASTER_BASE_PORT = 0x20
SLAVE_BASE_PORT = 0xA0
CASCADE_IRQ = 2

# The state SeaBIOS leaves under QEMU (qemu-system-i386 7.2, read at the
# Multiboot entry by a probe guest): vector bases 0x08 and 0x70, IRQ 0, 1,
# 2, 6 unmasked on the master and IRQ 8, 12, 13, 14 on the slave.
BIOS_MASTER_VECTOR_BASE = 0x08
BIOS_SLAVE_VECTOR_BASE = 0x70
BIOS_MASTER_IMR = 0xB8
BIOS_SLAVE_IMR = 0x8E

ICW1_IC4 = 0x01       # ICW4 will follow
ICW1_SNGL = 0x02      # single PIC, no ICW3
ICW1_LTIM = 0x08      # level-triggered inputs
ICW1_INIT = 0x10      # marks a write to the command port as ICW1

ICW4_8086 = 0x01
ICW4_AEOI = 0x02
ICW4_SFNM = 0x10

OCW3_SELECT = 0x08    # with bit 4 clear: OCW3 (else OCW2)
OCW3_RIS = 0x01       # read ISR (else IRR) ...
OCW3_RR = 0x02        # ... when this bit asks to change the selection
OCW3_POLL = 0x04
OCW3_SMM = 0x20       # special mask mode on (else off) ...
OCW3_ESMM = 0x40      # ... when this bit asks to change it

POLL_INTERRUPT = 0x80

# OCW2 commands: bits 7-5 (R, SL, EOI).
OCW2_ROTATE_AEOI_CLEAR = 0x00
OCW2_NONSPECIFIC_EOI = 0x20
OCW2_NOP = 0x40
OCW2_SPECIFIC_EOI = 0x60
OCW2_ROTATE_AEOI_SET = 0x80
OCW2_ROTATE_NONSPECIFIC_EOI = 0xA0
OCW2_SET_PRIORITY = 0xC0
OCW2_ROTATE_SPECIFIC_EOI = 0xE0

_SPURIOUS_LEVEL = 7


class Pic8259:
    """One 8259A: its registers, priority resolver and command decoding.

    `cascade_in` is the level of a slave's INT output wired to IR2 (set by
    the pair before every evaluation); it counts as a request on IR2.
    """

    def __init__(self, is_master: bool) -> None:
        self.is_master = is_master
        self.cascade_in = False
        self.lines = 0          # current level of the IR inputs
        self.irr = 0            # latched requests (edge mode) / pulses
        self.isr = 0
        self.imr = 0
        self.vector_base = 0
        self.lowest = 7         # the level with the lowest priority (rotation)
        self.icw3 = 0
        self.level_triggered = False
        self.single = False
        self.needs_icw4 = False
        self.x86_mode = True
        self.auto_eoi = False
        self.rotate_on_aeoi = False
        self.special_fully_nested = False
        self.special_mask = False
        self.read_isr = False
        self.poll_pending = False
        self.init_step = 0      # 0 ready; 2, 3, 4: the ICW expected next

    # ---- state set by the BIOS ------------------------------------------

    def bios_state(self, vector_base: int, imr: int, icw3: int) -> None:
        """The chip as the BIOS initialises it: edge, cascade, 8086, no AEOI."""
        self.initialize(ICW1_INIT | ICW1_IC4)
        self.write_data(vector_base)
        self.write_data(icw3)
        self.write_data(ICW4_8086)
        self.imr = imr

    # ---- requests and priorities -----------------------------------------

    def requests(self) -> int:
        """The IRR as the priority resolver sees it (before masking)."""
        value = self.irr
        if self.level_triggered:
            value |= self.lines
        if self.is_master and self.cascade_in:
            value |= 1 << CASCADE_IRQ
        return value

    def priority(self, level: int) -> int:
        """0 for the level with the highest priority, 7 for the lowest."""
        return (level - self.lowest - 1) & 7

    def highest(self, bits: int) -> int | None:
        """The level of highest priority among `bits`, or None."""
        for rank in range(8):
            level = (self.lowest + 1 + rank) & 7
            if bits & (1 << level):
                return level
        return None

    def _blocking_isr(self) -> int:
        """In-service levels that hold back requests of lower priority."""
        if self.special_mask:
            return self.isr & ~self.imr
        return self.isr

    def pending(self) -> int | None:
        """The level the chip would announce on INT now, or None."""
        request = self.highest(self.requests() & ~self.imr)
        if request is None:
            return None
        served = self.highest(self._blocking_isr())
        if served is None or self.priority(request) < self.priority(served):
            return request
        if self.special_fully_nested and request == served == CASCADE_IRQ and self.is_master:
            return request   # a higher request from the same slave may nest
        return None

    def accept(self, level: int) -> None:
        """The acknowledge of `level`: from IRR into ISR (unless AEOI)."""
        self.irr &= ~(1 << level)
        if not self.auto_eoi:
            self.isr |= 1 << level
        elif self.rotate_on_aeoi:
            self.lowest = level

    # ---- input lines -----------------------------------------------------

    def set_line(self, level: int, high: bool) -> None:
        """Drive IR `level` high or low."""
        bit = 1 << level
        if high:
            if not self.lines & bit:
                self.irr |= bit          # the rising edge latches the request
            self.lines |= bit
        else:
            self.lines &= ~bit
            self.irr &= ~bit             # a request gone before INTA is lost

    def pulse_line(self, level: int) -> None:
        """A short pulse on IR `level`: the request is latched."""
        self.irr |= 1 << level

    # ---- command port (even address) -------------------------------------

    def write_command(self, value: int) -> None:
        """A write to the even port: ICW1, OCW2 or OCW3."""
        if value & ICW1_INIT:
            self.initialize(value)
        elif value & OCW3_SELECT:
            self._ocw3(value)
        else:
            self._ocw2(value)

    def initialize(self, icw1: int) -> None:
        """ICW1: start the initialisation sequence and reset the chip."""
        self.level_triggered = bool(icw1 & ICW1_LTIM)
        self.single = bool(icw1 & ICW1_SNGL)
        self.needs_icw4 = bool(icw1 & ICW1_IC4)
        self.irr = 0
        self.isr = 0
        self.imr = 0
        self.lowest = 7
        self.special_mask = False
        self.read_isr = False
        self.poll_pending = False
        self.x86_mode = False
        self.auto_eoi = False
        self.rotate_on_aeoi = False
        self.special_fully_nested = False
        self.init_step = 2

    def _ocw2(self, value: int) -> None:
        command = value & 0xE0
        level = value & 7
        if command in (OCW2_NONSPECIFIC_EOI, OCW2_ROTATE_NONSPECIFIC_EOI):
            served = self.highest(self._blocking_isr())
            if served is not None:
                self.isr &= ~(1 << served)
                if command == OCW2_ROTATE_NONSPECIFIC_EOI:
                    self.lowest = served
        elif command in (OCW2_SPECIFIC_EOI, OCW2_ROTATE_SPECIFIC_EOI):
            self.isr &= ~(1 << level)
            if command == OCW2_ROTATE_SPECIFIC_EOI:
                self.lowest = level
        elif command == OCW2_SET_PRIORITY:
            self.lowest = level
        elif command == OCW2_ROTATE_AEOI_SET:
            self.rotate_on_aeoi = True
        elif command == OCW2_ROTATE_AEOI_CLEAR:
            self.rotate_on_aeoi = False
        # OCW2_NOP: nothing.

    def _ocw3(self, value: int) -> None:
        if value & OCW3_ESMM:
            self.special_mask = bool(value & OCW3_SMM)
        if value & OCW3_RR:
            self.read_isr = bool(value & OCW3_RIS)
        self.poll_pending = bool(value & OCW3_POLL)

    # ---- data port (odd address) -----------------------------------------

    def write_data(self, value: int) -> None:
        """A write to the odd port: the next ICW, or OCW1 (the mask)."""
        step = self.init_step
        if step == 2:
            self.vector_base = value & 0xF8
            self.init_step = 3 if not self.single else self._after_icw3()
        elif step == 3:
            self.icw3 = value
            self.init_step = self._after_icw3()
        elif step == 4:
            self._icw4(value)
            self.init_step = 0
        else:
            self.imr = value

    def _after_icw3(self) -> int:
        return 4 if self.needs_icw4 else 0

    def _icw4(self, value: int) -> None:
        self.x86_mode = bool(value & ICW4_8086)
        self.auto_eoi = bool(value & ICW4_AEOI)
        self.special_fully_nested = bool(value & ICW4_SFNM)

    # ---- reads -----------------------------------------------------------

    def read_command(self) -> tuple[int, int | None]:
        """A read of the even port: (value, level accepted by a poll or None)."""
        if self.poll_pending:
            self.poll_pending = False
            level = self.pending()
            if level is None:
                return 0, None
            self.accept(level)
            return POLL_INTERRUPT | level, level
        return (self.isr if self.read_isr else self.requests()), None

    def read_data(self) -> int:
        """A read of the odd port: the mask register."""
        return self.imr


class Pic8259Pair:
    """Master and slave 8259A, as wired in every PC.

    The machine registers the device on both port ranges (`PORT_RANGES`),
    drives device interrupt lines with `raise_irq`/`lower_irq`/`pulse_irq`
    (IRQ 0-15; 8-15 are the slave's), and runs `acknowledge()` when the CPU
    takes the interrupt (the engine's INTA). `on_intr_change(level)` is
    called whenever the INTR output changes; `intr` is its current level.
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1})
    PORT_RANGES: ClassVar[tuple[tuple[int, int], ...]] = ((MASTER_BASE_PORT, 2),
                                                         (SLAVE_BASE_PORT, 2))

    def __init__(self, on_intr_change: Callable[[bool], None] | None = None) -> None:
        self.on_intr_change = on_intr_change
        self.master = Pic8259(is_master=True)
        self.slave = Pic8259(is_master=False)
        self._intr = False
        self.spurious = 0       # acknowledges that found no request (IRQ7/15)
        self.reset()

    def reset(self) -> None:
        """The state SeaBIOS leaves under QEMU (see BIOS_* above)."""
        self.master.bios_state(BIOS_MASTER_VECTOR_BASE, BIOS_MASTER_IMR, 1 << CASCADE_IRQ)
        self.slave.bios_state(BIOS_SLAVE_VECTOR_BASE, BIOS_SLAVE_IMR, CASCADE_IRQ)
        self.master.lines = self.slave.lines = 0
        self._update()

    # ---- the CPU side ----------------------------------------------------

    @property
    def intr(self) -> bool:
        """Whether INTR is asserted: an unmasked request outranks all in service."""
        return self._intr

    def acknowledge(self) -> int:
        """The interrupt-acknowledge cycle: the vector the CPU must take.

        Moves the request into the in-service register (unless AEOI). With
        no request left it answers the spurious vector (base + 7 of the
        master, or of the slave when the master's request came through the
        cascade; the master's IR2 is then in service all the same).
        """
        master = self.master
        level = master.pending()
        if level is None:
            vector = master.vector_base + _SPURIOUS_LEVEL
            self.spurious += 1
        else:
            master.accept(level)
            if self._is_cascade(level):
                vector = self._acknowledge_slave()
            else:
                vector = master.vector_base + level
        self._update()
        return vector

    def _acknowledge_slave(self) -> int:
        slave = self.slave
        level = slave.pending()
        if level is None:
            self.spurious += 1
            return slave.vector_base + _SPURIOUS_LEVEL
        slave.accept(level)
        return slave.vector_base + level

    def _is_cascade(self, level: int) -> bool:
        return level == CASCADE_IRQ and not self.master.single

    # ---- device side -----------------------------------------------------

    def raise_irq(self, irq: int) -> None:
        """Drive IRQ `irq` (0-15) high: a rising edge latches a request."""
        chip, level = self._chip(irq)
        chip.set_line(level, True)
        self._update()

    def lower_irq(self, irq: int) -> None:
        """Drive IRQ `irq` low; a request not yet acknowledged is withdrawn."""
        chip, level = self._chip(irq)
        chip.set_line(level, False)
        self._update()

    def pulse_irq(self, irq: int) -> None:
        """A rising and falling edge on IRQ `irq`: the request stays latched."""
        chip, level = self._chip(irq)
        chip.pulse_line(level)
        self._update()

    def _chip(self, irq: int) -> tuple[Pic8259, int]:
        if not 0 <= irq < 16:
            raise ValueError(f"no IRQ {irq} on a PIC pair")
        return (self.master, irq) if irq < 8 else (self.slave, irq - 8)

    def vector_of(self, irq: int) -> int:
        """The vector IRQ `irq` would be delivered as with the current bases."""
        chip, level = self._chip(irq)
        return chip.vector_base + level

    # ---- ports -----------------------------------------------------------

    def io_read(self, port: int, size: int) -> int:
        """IN from 0x20/0x21/0xA0/0xA1."""
        chip = self._port_chip(port)
        if port & 1:
            return chip.read_data()
        value, accepted = chip.read_command()
        if accepted is not None:
            self._update()
        return value

    def io_write(self, port: int, size: int, value: int) -> None:
        """OUT to 0x20/0x21/0xA0/0xA1."""
        chip = self._port_chip(port)
        if port & 1:
            chip.write_data(value & 0xFF)
        else:
            chip.write_command(value & 0xFF)
        self._update()

    def _port_chip(self, port: int) -> Pic8259:
        if port in (MASTER_BASE_PORT, MASTER_BASE_PORT + 1):
            return self.master
        if port in (SLAVE_BASE_PORT, SLAVE_BASE_PORT + 1):
            return self.slave
        raise ValueError(f"port 0x{port:x} is not a PIC port")

    # ---- output ----------------------------------------------------------

    def _update(self) -> None:
        """Propagate the slave's INT to IR2, then the master's INT to INTR."""
        self.master.cascade_in = self.slave.pending() is not None
        level = self.master.pending() is not None
        if level != self._intr:
            self._intr = level
            if self.on_intr_change is not None:
                self.on_intr_change(level)
