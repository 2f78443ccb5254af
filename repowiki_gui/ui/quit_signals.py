"""POSIX quit signals (SIGTERM at logout, SIGHUP when the terminal goes, Ctrl-C) as a Qt signal.

A Python signal handler runs only when the interpreter gets control, and in
``app.exec()`` it does not until some Python slot is called.  So the handler
itself does nothing: ``signal.set_wakeup_fd`` makes CPython's C-level handler
write the signal's number into one end of a socket pair, whichever thread the
kernel picked, and a ``QSocketNotifier`` on the other end wakes the event loop,
which reads the number and emits ``received``.  The window connects that to its
own close, so a signal quits exactly as the close button does.
"""
from __future__ import annotations

import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from .pyside_fixes import emit

QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def _wake_only(_signum, _frame) -> None:
    """The Python-level handler: the wakeup fd already carries the signal to the event loop."""


class QuitSignals(QObject):
    """Emits ``received(signum)`` in the UI thread for each quit signal; ``close()`` restores the old handlers."""

    received = Signal(int)

    def __init__(self, signals: tuple[int, ...] = QUIT_SIGNALS, parent: QObject | None = None):
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)   # set_wakeup_fd requires it: a full buffer must not block a handler
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._old_handlers = {signum: signal.signal(signum, _wake_only) for signum in signals}

    @Slot()
    def _drain(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:   # one byte per signal: its number
            if signum in self._old_handlers:
                emit(self.received, signum)

    def close(self) -> None:
        """Give the signals back their previous handlers and the wakeup fd its previous owner."""
        if self._reader.fileno() == -1:
            return
        self._notifier.setEnabled(False)
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(self._old_fd)
        self._reader.close()
        self._writer.close()
