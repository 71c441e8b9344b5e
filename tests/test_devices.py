"""Device models and the port bus, driven directly (no engine needed).

The expected UART values come from a probe guest run under qemu-system-i386.
"""
from __future__ import annotations

import io
import os
import time

import pytest

from bt.devices import AcpiPowerOff, DebugExit, PortBus, PostPort, Uart16550
from bt.devices.console import HostInputReader, stdin_is_readable

COM1 = 0x3F8
THR, IER, IIR, LCR, MCR, LSR, MSR, SCR = (COM1 + i for i in range(8))
DLL, DLM, FCR = COM1, COM1 + 1, COM1 + 2


class Stops:
    """Collects stop requests made by devices."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __call__(self, status: int, message: str) -> None:
        self.calls.append((status, message))


class FlushCountingSink(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sink() -> FlushCountingSink:
    return FlushCountingSink()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uart(sink: FlushCountingSink, clock: FakeClock) -> Uart16550:
    return Uart16550(sink, clock=clock)


@pytest.fixture
def stops() -> Stops:
    return Stops()


@pytest.fixture
def bus(uart: Uart16550, stops: Stops) -> PortBus:
    bus = PortBus(stop=stops)
    bus.register(COM1, 8, uart, "COM1")
    bus.register(0xF4, 4, DebugExit(stops), "debug-exit")
    bus.register(0x80, 1, PostPort(), "POST")
    bus.register(0x604, 2, AcpiPowerOff(stops), "PM1a")
    return bus


def rd(uart: Uart16550, port: int) -> int:
    return uart.io_read(port, 1)


def wr(uart: Uart16550, port: int, value: int) -> None:
    uart.io_write(port, 1, value)


# ---- UART --------------------------------------------------------------------

def test_uart_reset_state_is_qemus(uart: Uart16550) -> None:
    assert [rd(uart, p) for p in (IER, IIR, LCR, MCR, LSR, MSR, SCR)] == \
        [0x00, 0x01, 0x00, 0x08, 0x60, 0xB0, 0x00]
    wr(uart, LCR, 0x80)
    assert (rd(uart, DLL), rd(uart, DLM)) == (0x0C, 0x00)     # 9600 baud


def test_uart_dlab_switches_to_the_divisor_latch(uart: Uart16550, sink: io.BytesIO) -> None:
    wr(uart, LCR, 0x83)
    wr(uart, DLL, 0x34)
    wr(uart, DLM, 0x12)
    assert (rd(uart, DLL), rd(uart, DLM), rd(uart, LCR)) == (0x34, 0x12, 0x83)
    assert uart.divisor == 0x1234
    assert sink.getvalue() == b""          # writing DLL sends nothing
    assert rd(uart, IER) == 0x12           # still the latch while DLAB is set
    wr(uart, LCR, 0x03)
    assert (rd(uart, THR), rd(uart, IER), rd(uart, LCR)) == (0x00, 0x00, 0x03)
    wr(uart, IER, 0x01)
    wr(uart, LCR, 0x83)
    assert rd(uart, DLM) == 0x12 and uart.ier == 0x01


def test_uart_output_flushed_at_newline(uart: Uart16550, sink: FlushCountingSink) -> None:
    for byte in b"hello":
        wr(uart, THR, byte)
    assert sink.getvalue() == b""          # held until the line ends
    wr(uart, THR, ord("\n"))
    assert sink.getvalue() == b"hello\n"
    assert sink.flushes == 1
    wr(uart, THR, ord("!"))
    uart.flush()
    assert sink.getvalue() == b"hello\n!"


def test_uart_output_flushed_when_guest_idles_polling_input(
        uart: Uart16550, sink: FlushCountingSink, clock: FakeClock) -> None:
    for byte in b"login: ":
        wr(uart, THR, byte)
    rd(uart, LSR)                          # still transmitting: no flush yet
    assert sink.getvalue() == b""
    clock.now += 1.0
    rd(uart, LSR)
    assert sink.getvalue() == b"login: "


def test_uart_lsr_reports_input(uart: Uart16550) -> None:
    assert rd(uart, LSR) & 0x01 == 0
    uart.feed(b"ab")
    assert rd(uart, LSR) == 0x61
    assert rd(uart, THR) == ord("a")
    assert rd(uart, LSR) == 0x61
    assert rd(uart, THR) == ord("b")
    assert rd(uart, LSR) == 0x60
    assert rd(uart, THR) == ord("b")       # an empty holding register keeps its byte


def test_uart_host_input_never_overruns(uart: Uart16550) -> None:
    data = bytes(range(40))
    uart.feed(data)
    got = []
    while rd(uart, LSR) & 0x01:
        got.append(rd(uart, THR))
    assert bytes(got) == data
    wr(uart, FCR, 0x07)                    # FIFO mode: 16 at a time, same result
    uart.feed(data)
    got = []
    while rd(uart, LSR) & 0x01:
        got.append(rd(uart, THR))
    assert bytes(got) == data
    assert rd(uart, THR) == 0              # an empty FIFO reads as zero


def test_uart_loopback_overrun_like_qemu(uart: Uart16550, sink: io.BytesIO) -> None:
    wr(uart, MCR, 0x1A)                    # loop | OUT2 | RTS
    assert rd(uart, MSR) == 0x90           # OUT2 -> DCD, RTS -> CTS
    wr(uart, THR, ord("Q"))
    assert rd(uart, LSR) == 0x61
    wr(uart, THR, ord("R"))
    assert rd(uart, LSR) == 0x63           # overrun: the holding register was full
    assert rd(uart, THR) == ord("R")
    assert rd(uart, LSR) == 0x60           # reading LSR cleared OE
    uart.flush()
    assert sink.getvalue() == b""          # loopback sends nothing to the line


def test_uart_loopback_msr_and_masks(uart: Uart16550) -> None:
    wr(uart, MCR, 0xFF)
    assert rd(uart, MCR) == 0x1F
    assert rd(uart, MSR) == 0xF0
    wr(uart, MCR, 0x10)
    assert rd(uart, MSR) == 0x00
    wr(uart, MCR, 0x08)
    assert rd(uart, MSR) == 0xB0
    wr(uart, IER, 0xFF)
    assert rd(uart, IER) == 0x0F


def test_uart_loopback_ignores_host_input(uart: Uart16550) -> None:
    wr(uart, MCR, 0x18)
    uart.feed(b"x")
    assert rd(uart, LSR) == 0x60
    wr(uart, MCR, 0x08)
    assert rd(uart, LSR) == 0x61


def test_uart_fifo_iir_and_receive_interrupt(uart: Uart16550) -> None:
    wr(uart, MCR, 0x18)
    wr(uart, FCR, 0x07)
    assert rd(uart, IIR) == 0xC1
    wr(uart, IER, 0x01)
    wr(uart, THR, ord("S"))
    assert rd(uart, IIR) == 0xC4           # received data available
    assert uart.irq_pending
    assert rd(uart, LSR) == 0x61
    assert rd(uart, THR) == ord("S")
    assert rd(uart, IIR) == 0xC1
    wr(uart, FCR, 0x00)
    assert rd(uart, IIR) == 0x01


def test_uart_thr_empty_interrupt_cleared_by_iir_read(uart: Uart16550) -> None:
    wr(uart, IER, 0x02)
    assert rd(uart, IIR) == 0x02
    assert rd(uart, IIR) == 0x01           # reading IIR acknowledged it
    wr(uart, THR, ord("x"))
    assert rd(uart, IIR) == 0x02           # sent at once: THR empty again
    wr(uart, IER, 0x00)
    assert rd(uart, IIR) == 0x01
    assert not uart.irq_pending


def test_uart_fifo_reset_drops_received_bytes(uart: Uart16550) -> None:
    wr(uart, MCR, 0x18)
    wr(uart, FCR, 0x01)
    wr(uart, THR, 1)
    wr(uart, THR, 2)
    wr(uart, FCR, 0x03)                    # clear the receive FIFO
    assert rd(uart, LSR) & 0x01 == 0


def test_uart_scratch_and_read_only_registers(uart: Uart16550) -> None:
    wr(uart, SCR, 0xA5)
    assert rd(uart, SCR) == 0xA5
    wr(uart, LSR, 0x00)
    assert rd(uart, LSR) == 0x60
    wr(uart, MSR, 0x00)
    assert rd(uart, MSR) == 0xB0


def test_uart_closed_sink_stops_output_without_raising(clock: FakeClock) -> None:
    class BrokenSink(io.BytesIO):
        def write(self, data: object) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    uart = Uart16550(BrokenSink(), clock=clock)
    for byte in b"line\nmore\n":
        wr(uart, THR, byte)
    assert isinstance(uart.output_error, BrokenPipeError)


def test_uart_without_sink_discards(clock: FakeClock) -> None:
    uart = Uart16550(None, clock=clock)
    wr(uart, THR, ord("\n"))
    assert uart.output_error is None


# ---- bus ---------------------------------------------------------------------

def test_unknown_ports_read_all_ones_and_ignore_writes(bus: PortBus, stops: Stops) -> None:
    assert bus.read(0x1234, 1) == 0xFF
    assert bus.read(0x1234, 2) == 0xFFFF
    assert bus.read(0x1234, 4) == 0xFFFFFFFF
    bus.write(0x1234, 4, 0)
    assert bus.read(0x1234, 1) == 0xFF
    assert stops.calls == []


def test_wide_access_to_byte_device_is_split_little_endian(bus: PortBus, uart: Uart16550) -> None:
    bus.write(LCR, 1, 0x80)
    bus.write(DLL, 2, 0xBEEF)              # DLL <- 0xEF, DLM <- 0xBE
    assert uart.divisor == 0xBEEF
    assert bus.read(DLL, 2) == 0xBEEF
    bus.write(LCR, 1, 0x03)
    bus.write(SCR, 1, 0x5A)
    # The dword at 0x3FC covers MCR, LSR, MSR, SCR.
    assert bus.read(MCR, 4) == 0x5AB06008
    # Crossing off the end of the UART: the unknown port reads 0xFF.
    assert bus.read(SCR, 2) == 0xFF5A
    bus.write(SCR - 1, 2, 0x7700)          # MSR ignores its byte, SCR takes 0x77
    assert uart.scr == 0x77


def test_wide_device_gets_whole_access(bus: PortBus, stops: Stops) -> None:
    bus.write(0xF4, 4, 0x12345678)
    assert stops.calls == [(((0x12345678 << 1) | 1) & 0xFF, stops.calls[0][1])]
    assert "0x12345678" in stops.calls[0][1]


def test_debug_exit_any_port_of_its_range(bus: PortBus, stops: Stops) -> None:
    bus.write(0xF5, 1, 3)                  # QEMU exits with 7 for this
    assert stops.calls[0][0] == 7
    assert bus.read(0xF4, 4) == 0


def test_registration_conflicts_are_refused(bus: PortBus) -> None:
    with pytest.raises(ValueError, match="already belongs to COM1"):
        bus.register(0x3FF, 2, PostPort())
    with pytest.raises(ValueError):
        bus.register(0xFFFF, 2, PostPort())


def test_mappings_lists_each_range_once(bus: PortBus) -> None:
    assert bus.mappings() == [(0x80, 1, "POST"), (0xF4, 4, "debug-exit"),
                              (0x3F8, 8, "COM1"), (0x604, 2, "PM1a")]


def test_bad_access_size(bus: PortBus) -> None:
    with pytest.raises(ValueError):
        bus.read(0x80, 3)


def test_strict_bus_stops_on_unknown_port(uart: Uart16550) -> None:
    stops = Stops()
    bus = PortBus(strict=True, stop=stops)
    bus.register(COM1, 8, uart)
    assert bus.read(LSR, 1) == 0x60
    assert stops.calls == []
    assert bus.read(0x21, 1) == 0xFF
    assert stops.calls == [(4, "unknown port 0x0021 (1-byte read) in strict-ports mode")]
    bus.write(0xCF8, 4, 0x80000000)
    assert stops.calls[1] == (4, "unknown port 0x0cf8 (4-byte write) in strict-ports mode")


def test_strict_bus_needs_a_stop_function() -> None:
    with pytest.raises(ValueError):
        PortBus(strict=True)


# ---- small devices -----------------------------------------------------------

@pytest.mark.parametrize("value, status", [(0, 1), (1, 3), (5, 11), (0x7F, 0xFF),
                                           (0x80, 1), (0xFFFFFFFF, 0xFF)])
def test_debug_exit_status(value: int, status: int, stops: Stops) -> None:
    device = DebugExit(stops)
    device.io_write(0xF4, 4, value)
    assert stops.calls[0][0] == status == DebugExit.status_for(value)
    assert device.value == value


def test_post_port_remembers_and_reads_like_qemu(bus: PortBus) -> None:
    post = bus.device_at(0x80)
    assert isinstance(post, PostPort) and post.last is None
    bus.write(0x80, 1, 0x5A)
    assert post.last == 0x5A and post.writes == 1
    assert bus.read(0x80, 1) == 0xFF       # QEMU: all ones whatever was written


def test_poweroff_on_16bit_slp_en(bus: PortBus, stops: Stops) -> None:
    bus.write(0x604, 2, 0x0001)            # SCI_EN: stored, reads back
    assert bus.read(0x604, 2) == 0x0001 and stops.calls == []
    bus.write(0x604, 2, 0x2400)            # sleep type 1 (suspend): ignored
    assert stops.calls == []
    assert bus.read(0x604, 2) == 0x0400    # SLP_EN never reads back
    bus.write(0x604, 2, 0x2000)
    assert stops.calls == [(0, "guest powered off (ACPI)")]


def test_poweroff_ignores_other_widths_as_qemu(bus: PortBus, stops: Stops) -> None:
    bus.write(0x605, 1, 0x20)
    bus.write(0x604, 4, 0x2000)
    assert stops.calls == []
    assert bus.read(0x604, 1) == 0xFF


# ---- host input --------------------------------------------------------------

def test_host_input_reader_delivers_pipe_data_until_eof(uart: Uart16550) -> None:
    read_fd, write_fd = os.pipe()
    try:
        assert stdin_is_readable(read_fd)
        reader = HostInputReader(uart.feed, read_fd)
        reader.start()
        os.write(write_fd, b"typed\n")
        os.close(write_fd)
        write_fd = -1
        deadline = time.monotonic() + 5
        got = bytearray()
        while len(got) < 6 and time.monotonic() < deadline:
            if rd(uart, LSR) & 0x01:
                got.append(rd(uart, THR))
            else:
                time.sleep(0.01)
        assert bytes(got) == b"typed\n"
        reader._thread.join(timeout=5)     # EOF ends the thread by itself
        assert not reader._thread.is_alive()
        reader.close()
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def test_host_input_reader_close_stops_a_waiting_thread(uart: Uart16550) -> None:
    read_fd, write_fd = os.pipe()
    try:
        reader = HostInputReader(uart.feed, read_fd)
        reader.start()
        reader.close()
        assert not reader._thread.is_alive()
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_dev_null_is_not_console_input() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert not stdin_is_readable(fd)
    finally:
        os.close(fd)
    assert not stdin_is_readable(9999)
