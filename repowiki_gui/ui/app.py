"""Builds the window: QApplication, the service bridge in its own thread, the main window."""
from __future__ import annotations

import ctypes.util
import os
import signal
import sys
from pathlib import Path

XCB_HINT = ("repowiki: the window needs the xcb libraries on Linux: "
            "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
            "(Qt reports 'could not load the Qt platform plugin xcb' without them).")
_XCB_LIBS = ("xcb-cursor", "xcb-icccm", "xcb-keysyms")


def platform_hint() -> str | None:
    """Why the Qt platform plugin will not load here, said before Qt aborts on it; None if it should."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None   # offscreen, wayland, vnc ... need none of this
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return None
    missing = [lib for lib in _XCB_LIBS if ctypes.util.find_library(lib) is None]
    if missing:
        return XCB_HINT
    if not os.environ.get("DISPLAY"):
        return "repowiki: no display to open the window on (DISPLAY is not set); run it from a desktop session."
    return None


class Gui:
    """The window, the bridge and the bridge's thread, built in one place and stopped in one place."""

    def __init__(self, home: Path, redis_url: str | None = None, qsettings=None, chat_factory=None,
                 settings=None):
        from PySide6.QtCore import QSettings, QThread

        from .bridge import ServiceBridge
        from .main_window import MainWindow

        self.thread = QThread()
        self.thread.setObjectName("service-bridge")
        self.bridge = ServiceBridge(home, redis_url, settings)
        self.bridge.moveToThread(self.thread)
        self.thread.started.connect(self.bridge.start)
        self.window = MainWindow(self.bridge, qsettings or QSettings("RepoWiki", "RepoWiki"),
                                 chat_factory=chat_factory, home=home)
        self._stopped = False

    def start(self) -> None:
        self.window.show()
        self.thread.start()

    def stop(self) -> None:
        """Stop the services (blocks until they are down: no process is left) and the bridge thread."""
        if self._stopped:
            return
        self._stopped = True
        self.bridge.stop()
        self.thread.quit()
        self.thread.wait()


def run_gui(home: Path, redis_url: str | None = None, smoke_zip: Path | None = None,
            smoke_question: str | None = None, smoke_timeout_s: float | None = None) -> int:
    """`repowiki` / `repowiki gui`: open the window; quitting stops the services it started.

    With ``smoke_zip``, run the smoke test of ``ui/smoke.py`` in the window and return its exit code.
    """
    if smoke_zip is not None:
        from ..core.errors import UserError

        smoke_zip = Path(smoke_zip).expanduser().resolve()
        if not smoke_zip.is_file():
            raise UserError(f"The smoke test's ZIP {smoke_zip} does not exist or is not a file.")
    hint = platform_hint()
    if hint:
        print(hint, file=sys.stderr, flush=True)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .widgets import icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("RepoWiki")
    app.setApplicationName("RepoWiki")
    app.setApplicationDisplayName("RepoWiki")
    app.setWindowIcon(icon("repowiki"))
    app.setQuitOnLastWindowClosed(False)   # an open message box must not keep the app alive
    smoke = None
    if smoke_zip is not None:
        import tempfile

        from PySide6.QtCore import QSettings

        from ..core.index.repositories import default_repo_name
        from .smoke import SMOKE_QUESTION, SMOKE_TIMEOUT_S, SmokeRun

        # The smoke run keeps the user's window layout untouched: its QSettings live and die with it.
        ui_dir = tempfile.TemporaryDirectory(prefix="repowiki-smoke-")
        gui = Gui(home, redis_url, qsettings=QSettings(str(Path(ui_dir.name) / "ui.ini"),
                                                        QSettings.Format.IniFormat))
        smoke = SmokeRun(gui, smoke_zip, default_repo_name(smoke_zip), smoke_question or SMOKE_QUESTION,
                         smoke_timeout_s or SMOKE_TIMEOUT_S)
        smoke.start()
    else:
        gui = Gui(home, redis_url)
    gui.window.closed.connect(app.quit)
    app.aboutToQuit.connect(gui.stop)
    # Ctrl-C in the terminal quits cleanly: Python sees the signal only when the event loop lets it run.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    gui.start()
    code = app.exec()
    gui.stop()
    if smoke is not None:
        ui_dir.cleanup()
        if smoke.code is None:
            print("repowiki: smoke test failed: the window was closed before it ended", file=sys.stderr)
            return 1
        return smoke.code
    return code
