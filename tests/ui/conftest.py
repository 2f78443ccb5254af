"""UI fixtures: a fake bridge with the real signals, QSettings kept inside the test dir."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QThread

from helpers import fake_bridge as fake_bridge_module


class FakeBridge(fake_bridge_module.FakeBridge):
    """The chat tests' fake, but ``call`` only records ``(name, *args)`` for the window's tests."""

    def call(self, name: str, *args) -> None:
        self.calls.append((name, *args))


@pytest.fixture
def fake_bridge():
    return FakeBridge()


@pytest.fixture
def qsettings(tmp_path):
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def placeholder_chat():
    from PySide6.QtWidgets import QLabel

    return lambda bridge: QLabel("chat")


def pytest_collection_modifyitems(items):
    # The offscreen platform cannot size native dialogs and says so for every QMessageBox;
    # that is a property of the test platform, not a fault of the window.
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


@pytest.fixture
def real_bridge(home, fast_settings, qtbot):
    """The real ServiceBridge in its own thread, as app.py runs it; stopped even when the test fails."""
    from repowiki_gui.ui.bridge import ServiceBridge

    thread = QThread()
    bridge = ServiceBridge(home, None, fast_settings)
    bridge.moveToThread(thread)
    thread.started.connect(bridge.start)
    # Qt's worker-object pattern: the bridge and its timers die in their own thread, not at interpreter exit.
    thread.finished.connect(bridge.deleteLater)
    yield bridge, thread
    bridge.stop()  # blocks until the services are down: the home fixture then finds no process
    thread.quit()
    thread.wait()
