"""ACPI PM1a control register at 0x604: the guest powers the machine off here."""
from __future__ import annotations

from typing import ClassVar

from .bus import StopFn

PM1A_CNT_PORT = 0x604     # where SeaBIOS puts the PIIX4 PM block (base 0x600) under QEMU

SCI_EN = 0x0001
SLP_TYP_SHIFT = 10
SLP_TYP_MASK = 0x7 << SLP_TYP_SHIFT
SLP_EN = 0x2000
SLP_TYP_SOFT_OFF = 0      # QEMU's S5 sleep type

POWEROFF_STATUS = 0


class AcpiPowerOff:
    """The PM1a_CNT register: a 16-bit write with SLP_EN set and SLP_TYP 0
    (0x2000) powers off, ending the run with exit status 0.

    As under QEMU (checked): only 16-bit accesses reach the register; byte
    and dword accesses are ignored; other sleep types do nothing; SLP_EN
    reads back as 0, the other bits as written.
    """

    access_sizes: ClassVar[frozenset[int]] = frozenset({2})

    def __init__(self, stop: StopFn) -> None:
        self._stop = stop
        self.value = 0

    def io_read(self, port: int, size: int) -> int:
        """The register without the write-only SLP_EN bit."""
        return self.value

    def io_write(self, port: int, size: int, value: int) -> None:
        """Store the register; on SLP_EN with the soft-off type, power off."""
        self.value = value & ~SLP_EN
        sleep_type = (value & SLP_TYP_MASK) >> SLP_TYP_SHIFT
        if value & SLP_EN and sleep_type == SLP_TYP_SOFT_OFF:
            self._stop(POWEROFF_STATUS, "guest powered off (ACPI)")
