"""Port 0x80: the POST diagnostic port, also written by guests as an I/O delay."""
from __future__ import annotations

from typing import ClassVar

POST_PORT = 0x80

# QEMU's port 0x80 reads as all ones whatever was written (checked under
# qemu-system-i386); bt follows it so that guests see the same thing.
POST_READ_VALUE = 0xFF


class PostPort:
    """Remembers the last POST code written; reads return 0xFF as under QEMU.

    Writes have no effect a guest can observe, which is why the machine may
    hand this port to the engine's C fast path (then `last` stays None).
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({1, 2, 4})

    def __init__(self) -> None:
        self.last: int | None = None   # last value written, None if never
        self.writes = 0

    def io_read(self, port: int, size: int) -> int:
        """All ones, as under QEMU."""
        return POST_READ_VALUE if size == 1 else (1 << (8 * size)) - 1

    def io_write(self, port: int, size: int, value: int) -> None:
        """Record the code."""
        self.last = value
        self.writes += 1
