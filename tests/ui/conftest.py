"""UI fixtures: a fake bridge with the real signals, QSettings kept inside the test dir."""
from __future__ import annotations

import zipfile

import pytest
from PySide6.QtCore import QObject, QSettings, Signal


class FakeBridge(QObject):
    """The ServiceBridge's signals; ``call`` records requests instead of running them."""

    servicesReady = Signal(dict)
    servicesFailed = Signal(str)
    statusChanged = Signal(dict)
    jobsChanged = Signal(list)
    reposChanged = Signal(list)
    errorOccurred = Signal(str)
    answerStarted = Signal(str, str)
    answerToken = Signal(str, str)
    answerDone = Signal(str, dict)
    answerFailed = Signal(str, str)
    conversationsChanged = Signal(str, list)
    conversationLoaded = Signal(str, list)
    sourceLoaded = Signal(str, str, str)
    request = Signal(str, object)

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []

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


def make_zip(path, files: dict[str, str], top: str = "demo-main"):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{top}/{name}", text)
    return path


def pytest_collection_modifyitems(items):
    # The offscreen platform cannot size native dialogs and says so for every QMessageBox;
    # that is a property of the test platform, not a fault of the window.
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))
