"""Device models of the guest platform (plain Python: they run only on I/O access).

Every device exposes `io_read(port, size)` and `io_write(port, size, value)`
and is attached to the machine's `PortBus`. Devices that end the run call the
`StopFn` they were given with the exit status and a message.
"""
from .bus import PortBus, PortDevice, StopFn
from .debug_exit import DebugExit
from .post import PostPort
from .poweroff import AcpiPowerOff
from .uart16550 import Uart16550

__all__ = ["PortBus", "PortDevice", "StopFn", "DebugExit", "PostPort",
           "AcpiPowerOff", "Uart16550"]
