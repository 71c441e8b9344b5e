"""The I/O port bus: routes the guest's IN and OUT instructions to device models."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Protocol

# A device (or the bus) ends the run by calling this with the exit status the
# bt process should return and a message saying why.
StopFn = Callable[[int, str], None]

VALID_SIZES = (1, 2, 4)
_ALL_ONES = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF}


class PortDevice(Protocol):
    """What the bus needs from a device model.

    `access_sizes` lists the access widths the device handles itself. A wider
    access to a device that handles bytes is split into byte accesses, lowest
    port first (little-endian), as the ISA bus does for 8-bit devices. Any
    other access the device does not handle reads all ones and is ignored.
    """

    access_sizes: ClassVar[frozenset[int]]

    def io_read(self, port: int, size: int) -> int:
        """Value of an IN of `size` bytes at `port`."""
        ...

    def io_write(self, port: int, size: int, value: int) -> None:
        """Effect of an OUT of `size` bytes of `value` at `port`."""
        ...


@dataclass(frozen=True)
class _Mapping:
    device: PortDevice
    first: int
    count: int
    name: str


class PortBus:
    """Maps the 64 Ki I/O ports to devices.

    Unknown ports read as all ones (0xFF, 0xFFFF, 0xFFFFFFFF) and ignore
    writes, as on a PC with nothing decoding them. With `strict` set, any
    access to an unknown port instead calls `stop` with status
    `UNKNOWN_PORT_STATUS` and the message "unknown port 0x....", so that a
    guest poking at hardware bt does not model is noticed at once.
    """

    UNKNOWN_PORT_STATUS: ClassVar[int] = 4

    def __init__(self, strict: bool = False, stop: StopFn | None = None) -> None:
        if strict and stop is None:
            raise ValueError("a strict bus needs a stop function")
        self.strict = strict
        self._stop = stop
        self._ports: dict[int, _Mapping] = {}

    def register(self, first: int, count: int, device: PortDevice, name: str = "") -> None:
        """Attach `device` to ports first .. first+count-1 (they must be free)."""
        if count < 1 or first < 0 or first + count > 0x10000:
            raise ValueError(f"bad port range 0x{first:x}+{count}")
        taken = [p for p in range(first, first + count) if p in self._ports]
        if taken:
            owner = self._ports[taken[0]].name
            raise ValueError(f"port 0x{taken[0]:x} already belongs to {owner}")
        mapping = _Mapping(device, first, count, name or type(device).__name__)
        for port in range(first, first + count):
            self._ports[port] = mapping

    def device_at(self, port: int) -> PortDevice | None:
        """The device decoding `port`, or None."""
        mapping = self._ports.get(port)
        return mapping.device if mapping else None

    def mappings(self) -> list[tuple[int, int, str]]:
        """(first port, count, name) of every registered range, in port order."""
        seen = {id(m): m for m in self._ports.values()}
        return sorted((m.first, m.count, m.name) for m in seen.values())

    def read(self, port: int, size: int) -> int:
        """Perform an IN of `size` (1, 2 or 4) bytes at `port`."""
        _check_size(size)
        mapping = self._ports.get(port)
        if mapping is not None:
            sizes = mapping.device.access_sizes
            if size in sizes:
                return mapping.device.io_read(port, size) & _ALL_ONES[size]
            if 1 not in sizes:
                # A width the device does not accept: nothing drives the bus.
                return _ALL_ONES[size]
        elif not self._decoded(port, size):
            return self._unknown(port, "read", size)
        value = 0
        for i in range(size):
            value |= self._read_byte((port + i) & 0xFFFF) << (8 * i)
        return value

    def write(self, port: int, size: int, value: int) -> None:
        """Perform an OUT of `size` (1, 2 or 4) bytes of `value` at `port`."""
        _check_size(size)
        value &= _ALL_ONES[size]
        mapping = self._ports.get(port)
        if mapping is not None:
            sizes = mapping.device.access_sizes
            if size in sizes:
                mapping.device.io_write(port, size, value)
                return
            if 1 not in sizes:
                return
        elif not self._decoded(port, size):
            self._unknown(port, "write", size)
            return
        for i in range(size):
            self._write_byte((port + i) & 0xFFFF, (value >> (8 * i)) & 0xFF)

    def _decoded(self, port: int, size: int) -> bool:
        """Whether any byte of a `size`-byte access at `port` reaches a device."""
        return any(((port + i) & 0xFFFF) in self._ports for i in range(size))

    def _read_byte(self, port: int) -> int:
        mapping = self._ports.get(port)
        if mapping is None:
            return self._unknown(port, "read", 1)
        if 1 not in mapping.device.access_sizes:
            return 0xFF
        return mapping.device.io_read(port, 1) & 0xFF

    def _write_byte(self, port: int, value: int) -> None:
        mapping = self._ports.get(port)
        if mapping is None:
            self._unknown(port, "write", 1)
        elif 1 in mapping.device.access_sizes:
            mapping.device.io_write(port, 1, value)

    def _unknown(self, port: int, kind: str, size: int) -> int:
        if self.strict:
            assert self._stop is not None
            self._stop(self.UNKNOWN_PORT_STATUS,
                       f"unknown port 0x{port:04x} ({size}-byte {kind}) in strict-ports mode")
        return _ALL_ONES[size]


def _check_size(size: int) -> None:
    if size not in VALID_SIZES:
        raise ValueError(f"bad I/O access size {size}")
