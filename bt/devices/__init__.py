"""Device models of the guest platform (plain Python: they run only on I/O access).

Every device exposes `io_read(port, size)` and `io_write(port, size, value)`
and is attached to the machine's `PortBus`. Devices that end the run call the
`StopFn` they were given with the exit status and a message. The PIC pair,
the PIT, port 0x61 and the CMOS list their ports in `PORT_RANGES`
((first, count) pairs to register on the bus).

The timer devices (PIT, RTC) never run on their own: they compute their
state from a virtual `Clock` when the guest looks, and the machine calls
`Pit8254.advance()` once the clock has reached `Pit8254.next_event_ns()`.
Interrupt lines go into `Pic8259Pair`, whose INTR output reaches the CPU
through `on_intr_change` and whose `acknowledge()` is the CPU's INTA.
"""
from .bus import PortBus, PortDevice, StopFn
from .clock import Clock, HostClock, InstructionClock, ManualClock
from .cmos import CmosRtc, virtual_seconds
from .debug_exit import DebugExit
from .pic8259 import Pic8259Pair
from .pit8254 import Pit8254, SystemControlPortB
from .post import PostPort
from .poweroff import AcpiPowerOff
from .uart16550 import Uart16550

__all__ = ["PortBus", "PortDevice", "StopFn", "Clock", "HostClock", "InstructionClock",
           "ManualClock", "CmosRtc", "virtual_seconds", "DebugExit", "Pic8259Pair",
           "Pit8254", "SystemControlPortB", "PostPort", "AcpiPowerOff", "Uart16550"]
