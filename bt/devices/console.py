"""Host input for the serial console: stdin read by a background thread."""
from __future__ import annotations

import os
import select
import stat
import threading
from typing import Callable

_POLL_SECONDS = 0.1
_CHUNK = 4096


def stdin_is_readable(fd: int = 0) -> bool:
    """Whether `fd` is something worth reading guest input from.

    A terminal, a pipe, a socket or a redirected file: yes. A closed
    descriptor or a character device such as /dev/null: no.
    """
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    if os.isatty(fd):
        return True
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISREG(mode)


class HostInputReader:
    """Copies bytes from a host file descriptor to `deliver` in a daemon thread.

    The guest polls the UART's line status from the engine's loop; reading
    the host side in a thread means neither ever blocks the other. The
    terminal is left in its normal (line-buffered, echoing) mode.
    """

    def __init__(self, deliver: Callable[[bytes], None], fd: int = 0) -> None:
        self._deliver = deliver
        self._fd = fd
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="bt-stdin", daemon=True)

    def start(self) -> None:
        """Begin reading."""
        self._thread.start()

    def close(self) -> None:
        """Stop reading (within one poll interval)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * _POLL_SECONDS)

    def _pump(self) -> None:
        # select() with a timeout rather than a blocking read, so that
        # close() can end the thread without closing the descriptor.
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([self._fd], [], [], _POLL_SECONDS)
                if not ready:
                    continue
                data = os.read(self._fd, _CHUNK)
            except (OSError, ValueError):
                return
            if not data:
                return   # end of input
            self._deliver(data)
