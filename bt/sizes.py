"""Parsing and printing of byte sizes and guest addresses given on the command line."""
import re

from .errors import ConfigError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# Binary units, as QEMU's -m uses them: 64M is 64 MiB.
_UNITS = {"": 1, "K": KiB, "M": MiB, "G": GiB}
_SIZE_RE = re.compile(r"(\d+)\s*([KMG]?)(?:I?B)?", re.IGNORECASE)


def parse_size(text: str, what: str = "size") -> int:
    """Parse '64M', '1G', '65536K' or a plain number of bytes into bytes.

    Suffixes are binary (K = 1024); 'MiB', 'MB' and 'M' mean the same.
    Raises ConfigError naming `what` on anything else.
    """
    match = _SIZE_RE.fullmatch(text.strip())
    if match is None:
        raise ConfigError(
            f"bad {what} {text!r}: expected a number of bytes with an optional "
            "K, M or G suffix, such as 64M or 1G")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def parse_address(text: str, what: str = "address") -> int:
    """Parse a 32-bit guest physical address: decimal, 0x hex, 0o octal or 0b binary."""
    try:
        value = int(text.strip(), 0)
    except ValueError:
        raise ConfigError(
            f"bad {what} {text!r}: expected a number such as 0x100000") from None
    if not 0 <= value <= 0xFFFFFFFF:
        raise ConfigError(f"bad {what} {text!r}: outside the 32-bit address space")
    return value


def format_size(n: int) -> str:
    """Render a byte count with the largest binary unit that divides it: '128 MiB'."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} bytes"
