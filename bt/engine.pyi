"""Type stub for the compiled engine (bt/engine.pyx).

The engine is one Cython extension: decoder, translator, translation cache,
fast loop and the C-level callouts. Python sees only this class.
"""
from typing import Callable

# Exit reasons of Engine.run(): why the fast loop returned to Python.
EXIT_BUDGET: int     # the instruction budget given to run() is spent
EXIT_HALT: int       # HLT executed; eip points after the HLT; check eflags IF
EXIT_STOP: int       # a device called request_stop() (e.g. isa-debug-exit)
EXIT_FAULT: int      # the guest did something bt stops on; see fault_message
EXIT_ERROR: int      # internal error (a bug in bt); see fault_message

REG_NAMES: tuple[str, ...]

def init_capstone(path: str) -> None:
    """dlopen libcapstone from `path` (done once by bt/__init__)."""

class Engine:
    ram: memoryview          # writable view of guest physical RAM
    ram_size: int
    icount: int              # guest instructions executed so far
    fault_message: str       # set when run() returns EXIT_FAULT / EXIT_ERROR

    def __init__(self, ram_size: int, cache_bytes: int = ...) -> None: ...
    def get_reg(self, name: str) -> int:
        """eax..edi, eip, eflags, cs/ds/es/fs/gs/ss (selectors), cr0/cr2/cr3/cr4,
        gdtr_base, gdtr_limit, idtr_base, idtr_limit, cpl."""
    def set_reg(self, name: str, value: int) -> None:
        """As get_reg, but segment registers are set with set_segment."""
    def set_segment(self, name: str, selector: int, base: int, limit: int,
                    attr: int) -> None:
        """Load a segment register with its hidden descriptor cache."""
    def get_segment(self, name: str) -> tuple[int, int, int, int]: ...
    def write_phys(self, addr: int, data: bytes) -> None:
        """Copy into guest RAM, dropping translations of what is overwritten."""
    def read_phys(self, addr: int, n: int) -> bytes: ...
    def flush_cache(self) -> None: ...
    def set_port_handlers(self, read: Callable[[int, int], int],
                          write: Callable[[int, int, int], None]) -> None:
        """Python callbacks for port I/O: read(port, size) -> value,
        write(port, size, value). size is 1, 2 or 4."""
    def set_port_constant(self, port: int, value: int | None) -> None:
        """C fast path: reads of `port` return `value` and writes are ignored
        without calling Python (None removes it)."""
    def request_stop(self) -> None:
        """Called from a device callback: the loop returns EXIT_STOP after the
        current instruction."""
    def run(self, max_insns: int = 0) -> int:
        """Execute until an exit reason; max_insns=0 means no budget."""
    def set_trace(self, f: object | None) -> None:
        """Write one line per executed block: 'ADDR COUNT' (hex address)."""
    def stats(self) -> dict[str, object]:
        """Counters: instructions, blocks translated, cache hits/misses,
        invalidations, flushes, chained jumps, callouts by kind."""
    def explain(self, addr: int) -> str:
        """Decoded and translated form of the block at `addr`."""
