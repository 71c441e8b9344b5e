"""The COM1 serial port: a 16550A UART, the guest's console.

Register behaviour follows QEMU's serial device (checked against
qemu-system-i386 7.2 with a probe guest): reset values, the divisor latch,
IER/MCR masks, IIR with FIFO bits, loopback through MSR, overrun in loopback.

Differences on purpose, because bt has no real serial line:
- Transmission is instantaneous: THR is always empty (LSR.THRE|TEMT set).
- Host input is held in an unbounded queue and moved into the receive FIFO
  only as the guest drains it, so fast typing or a pipe never overruns.
- The modem status delta bits are never set.
- There is no interrupt controller yet; `irq_pending` is ready for one.
"""
from __future__ import annotations

import time
from collections import deque
from typing import BinaryIO, Callable, ClassVar

COM1_BASE = 0x3F8

# Register offsets from the base port.
RBR_THR_DLL, IER_DLM, IIR_FCR, LCR, MCR, LSR, MSR, SCR = range(8)

LCR_DLAB = 0x80

LSR_DR = 0x01       # receive data ready
LSR_OE = 0x02       # overrun error (cleared by reading LSR)
LSR_THRE = 0x20     # transmit holding register empty
LSR_TEMT = 0x40     # transmitter empty

IER_RDI = 0x01      # interrupt on received data
IER_THRI = 0x02     # interrupt on THR empty
IER_RLSI = 0x04     # interrupt on line status (errors)
IER_MASK = 0x0F

IIR_NO_INT = 0x01
IIR_RLSI = 0x06
IIR_RDI = 0x04
IIR_THRI = 0x02
IIR_FIFO_BITS = 0xC0

FCR_ENABLE = 0x01
FCR_CLEAR_RX = 0x02
FCR_STORED = 0xC9   # the bits that stay set (trigger level, DMA mode, enable)

MCR_OUT2 = 0x08     # gates the UART's IRQ line on PCs
MCR_LOOP = 0x10
MCR_MASK = 0x1F

# With no modem attached QEMU reports carrier detect, data set ready and clear to send.
MSR_IDLE = 0xB0

FIFO_DEPTH = 16
RESET_DIVISOR = 0x000C   # 9600 baud, as the BIOS leaves it
IDLE_FLUSH_SECONDS = 0.02
MAX_PENDING_OUTPUT = 4096


class Uart16550:
    """A 16550A UART on eight ports from `base`.

    Output bytes go to `sink` (flushed at every newline, when the guest goes
    idle polling for input, and by `flush()`); `sink=None` discards them.
    Host input arrives through `feed()`, which may be called from any thread.
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1})

    def __init__(self, sink: BinaryIO | None, base: int = COM1_BASE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self._sink = sink
        self._clock = clock
        self.output_error: OSError | None = None
        self._out = bytearray()
        self._last_out_time = 0.0
        # deque append/popleft are atomic: the input thread needs no lock.
        self._host_input: deque[int] = deque()
        # Told the LSR's value while it is steady (None when it is not), so
        # that the engine can answer a guest's status polls in C.
        self.on_steady_lsr: Callable[[int | None], None] | None = None
        self._steady: int | None = None
        self.reset()

    def reset(self) -> None:
        """Put every register in its power-on state (as QEMU leaves it at boot)."""
        self.divisor = RESET_DIVISOR
        self.ier = 0
        self.lcr = 0
        self.mcr = MCR_OUT2
        self.fcr = 0
        self.scr = 0
        self.rbr = 0
        self._overrun = False
        self._thr_ipending = False
        self._rx: deque[int] = deque()

    # ---- host side -------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Queue bytes typed or piped by the host for the guest to receive."""
        self._host_input.extend(data)
        if data:
            self._announce(None)      # DR is about to rise: polls must reach Python

    def idle_flush(self) -> None:
        """Show output that waits for a newline once the guest has paused."""
        self._idle_flush()

    def _announce(self, value: int | None) -> None:
        if value != self._steady:
            self._steady = value
            if self.on_steady_lsr is not None:
                self.on_steady_lsr(value)

    def _update_steady(self) -> None:
        """The LSR is steady (THRE|TEMT, nothing else) while nothing can arrive
        or be pending: no host input, an empty receiver, no overrun, no
        loopback. Reading it then has no side effect to model."""
        steady = (not self._host_input and not self._rx and not self._overrun
                  and not self.mcr & MCR_LOOP)
        self._announce(LSR_THRE | LSR_TEMT if steady else None)

    def flush(self) -> None:
        """Write buffered output to the sink now."""
        if not self._out:
            return
        data = bytes(self._out)
        self._out.clear()
        if self._sink is None:
            return
        try:
            self._sink.write(data)
            self._sink.flush()
        except OSError as exc:
            # The reader went away (a closed pipe): stop writing, remember why.
            self.output_error = exc
            self._sink = None

    @property
    def irq_pending(self) -> bool:
        """Whether the UART asserts its interrupt line (IRQ 4 for COM1)."""
        return self._interrupt_id() != IIR_NO_INT and bool(self.mcr & MCR_OUT2)

    # ---- guest side ------------------------------------------------------

    def io_read(self, port: int, size: int) -> int:
        """IN from one of the UART's registers."""
        reg = port - self.base
        dlab = self.lcr & LCR_DLAB
        if reg == RBR_THR_DLL:
            if dlab:
                return self.divisor & 0xFF
            value = self._read_rbr()
            self._update_steady()
            return value
        if reg == IER_DLM:
            return self.divisor >> 8 if dlab else self.ier
        if reg == IIR_FCR:
            return self._read_iir()
        if reg == LCR:
            return self.lcr
        if reg == MCR:
            return self.mcr
        if reg == LSR:
            value = self._read_lsr()
            self._update_steady()
            return value
        if reg == MSR:
            return self._msr()
        return self.scr

    def io_write(self, port: int, size: int, value: int) -> None:
        """OUT to one of the UART's registers."""
        reg = port - self.base
        dlab = self.lcr & LCR_DLAB
        if reg == RBR_THR_DLL:
            if dlab:
                self.divisor = (self.divisor & 0xFF00) | value
            else:
                self._write_thr(value)
        elif reg == IER_DLM:
            if dlab:
                self.divisor = (self.divisor & 0x00FF) | (value << 8)
            else:
                self._write_ier(value)
        elif reg == IIR_FCR:
            self._write_fcr(value)
        elif reg == LCR:
            self.lcr = value
        elif reg == MCR:
            self.mcr = value & MCR_MASK
        elif reg == SCR:
            self.scr = value
        # LSR and MSR are read-only: writes are ignored, as under QEMU.
        if reg in (RBR_THR_DLL, IIR_FCR, MCR):
            self._update_steady()     # loopback, FIFO resets and received bytes change it

    # ---- registers -------------------------------------------------------

    def _fifo_enabled(self) -> bool:
        return bool(self.fcr & FCR_ENABLE)

    def _rx_capacity(self) -> int:
        return FIFO_DEPTH if self._fifo_enabled() else 1

    def _refill(self) -> None:
        """Move host input into the receive FIFO as far as it has room."""
        if self.mcr & MCR_LOOP:
            return  # loopback disconnects the serial input line
        capacity = self._rx_capacity()
        while self._host_input and len(self._rx) < capacity:
            self._rx.append(self._host_input.popleft())

    def _receive(self, byte: int) -> None:
        """A byte arriving on the line (loopback): may overrun the FIFO."""
        if len(self._rx) >= self._rx_capacity():
            self._overrun = True
            if not self._fifo_enabled():
                self._rx[-1] = byte   # the holding register is overwritten
            return
        self._rx.append(byte)

    def _read_rbr(self) -> int:
        self._refill()
        if self._rx:
            self.rbr = self._rx.popleft()
            self._refill()
        elif self._fifo_enabled():
            return 0   # an empty FIFO reads as zero; the holding register keeps its byte
        else:
            self._idle_flush()
        return self.rbr

    def _read_lsr(self) -> int:
        self._refill()
        value = LSR_THRE | LSR_TEMT
        if self._rx:
            value |= LSR_DR
        else:
            self._idle_flush()
        if self._overrun:
            value |= LSR_OE
            self._overrun = False
        return value

    def _interrupt_id(self) -> int:
        """The highest-priority pending interrupt, as IIR bits 0-3."""
        if self.ier & IER_RLSI and self._overrun:
            return IIR_RLSI
        if self.ier & IER_RDI:
            self._refill()
            if self._rx:
                return IIR_RDI
        if self.ier & IER_THRI and self._thr_ipending:
            return IIR_THRI
        return IIR_NO_INT

    def _read_iir(self) -> int:
        ident = self._interrupt_id()
        if ident == IIR_THRI:
            self._thr_ipending = False   # reading IIR acknowledges THR empty
        return ident | (IIR_FIFO_BITS if self._fifo_enabled() else 0)

    def _msr(self) -> int:
        if not self.mcr & MCR_LOOP:
            return MSR_IDLE
        # Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
        mcr = self.mcr
        return ((mcr & 0x0C) << 4) | ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5)

    def _write_thr(self, value: int) -> None:
        if self.mcr & MCR_LOOP:
            self._receive(value)
        else:
            self._emit(value)
        # The byte leaves at once, so THR is empty again straight away.
        self._thr_ipending = True

    def _write_ier(self, value: int) -> None:
        changed = (self.ier ^ value) & IER_THRI
        self.ier = value & IER_MASK
        if changed:
            self._thr_ipending = bool(self.ier & IER_THRI)

    def _write_fcr(self, value: int) -> None:
        if (value ^ self.fcr) & FCR_ENABLE or value & FCR_CLEAR_RX:
            self._rx.clear()
            self._overrun = False
        self.fcr = value & FCR_STORED

    # ---- output ----------------------------------------------------------

    def _emit(self, byte: int) -> None:
        self._out.append(byte)
        self._last_out_time = self._clock()
        if byte == 0x0A or len(self._out) >= MAX_PENDING_OUTPUT:
            self.flush()

    def _idle_flush(self) -> None:
        # A guest polling for input after printing a prompt wants it shown;
        # one still transmitting polls too, so wait for a pause in output.
        if self._out and self._clock() - self._last_out_time >= IDLE_FLUSH_SECONDS:
            self.flush()
