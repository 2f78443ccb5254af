"""The quit signals reach the event loop as a Qt signal, and give their handlers back when done."""
from __future__ import annotations

import os
import signal
import threading

from repowiki_gui.ui.quit_signals import QuitSignals


def test_a_signal_becomes_received_in_the_ui_thread_and_close_restores_the_handlers(qtbot):
    before = signal.getsignal(signal.SIGHUP)
    relay = QuitSignals((signal.SIGHUP, signal.SIGTERM))
    seen = []
    relay.received.connect(lambda signum: seen.append((signum, threading.current_thread())))
    try:
        with qtbot.waitSignal(relay.received, timeout=5000):
            os.kill(os.getpid(), signal.SIGHUP)
        # sent from another thread, still delivered to the UI thread's event loop
        with qtbot.waitSignal(relay.received, timeout=5000):
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM)).start()
    finally:
        relay.close()
    assert seen == [(signal.SIGHUP, threading.main_thread()), (signal.SIGTERM, threading.main_thread())]
    assert signal.getsignal(signal.SIGHUP) is before
    assert signal.set_wakeup_fd(-1) == -1   # the wakeup fd was given back too


def test_closing_the_window_on_a_signal_is_the_close_path(qtbot, fake_bridge, qsettings, placeholder_chat):
    from repowiki_gui.ui.main_window import MainWindow

    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    relay = QuitSignals((signal.SIGTERM,))
    relay.received.connect(window.close)
    try:
        with qtbot.waitSignal(window.closed, timeout=5000):
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        relay.close()
    assert not window.isVisible()
    assert qsettings.value("window/geometry") is not None   # the layout was saved, as on close
