"""Builds the window: QApplication, the service bridge in its own thread, the main window."""
from __future__ import annotations

import ctypes.util
import logging
import os
import signal
import sys
from pathlib import Path

XCB_HINT = ("repowiki: the window needs the xcb libraries on Linux: "
            "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
            "(Qt reports 'could not load the Qt platform plugin xcb' without them).")
_XCB_LIBS = ("xcb-cursor", "xcb-icccm", "xcb-keysyms")
log = logging.getLogger(__name__)


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

    def quit_on_signal(self, signum: int) -> None:
        """A quit signal closes the window, which quits the app and stops the services."""
        log.info("%s received: closing the window", signal.Signals(signum).name)
        self.window.close()

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
        smoke_zip = checked_smoke_zip(smoke_zip)
    hint = platform_hint()
    if hint:
        print(hint, file=sys.stderr, flush=True)
    app = application()
    if smoke_zip is not None:
        return run_smoke(app, home, redis_url, smoke_zip, smoke_question, smoke_timeout_s)
    return run_window(app, Gui(home, redis_url))


def checked_smoke_zip(path: Path) -> Path:
    """The smoke test's ZIP as an absolute path, refused in one sentence before any window opens."""
    from ..core.errors import UserError

    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise UserError(f"The smoke test's ZIP {path} does not exist or is not a file.")
    return path


def application():
    """The one QApplication, named and iconed; it lives until the window closes, not its last dialog."""
    from PySide6.QtWidgets import QApplication

    from . import web_engine
    from .widgets import icon

    web_engine.prepare()   # the Wiki tab's Chromium flags, and the GL sharing it wants before the app exists
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("RepoWiki")
    app.setApplicationName("RepoWiki")
    app.setApplicationDisplayName("RepoWiki")
    app.setWindowIcon(icon("repowiki"))
    app.setQuitOnLastWindowClosed(False)   # an open message box must not keep the app alive
    return app


def run_window(app, gui: Gui) -> int:
    """Show the window and run the event loop until it closes; the services stop however it ends.

    SIGTERM, SIGHUP and Ctrl-C close the window as its close button does (``quit_signals.py``).
    """
    from .quit_signals import QuitSignals

    gui.window.closed.connect(app.quit)
    app.aboutToQuit.connect(gui.stop)
    signals = QuitSignals()
    signals.received.connect(gui.quit_on_signal)
    try:
        gui.start()
        return app.exec()
    finally:
        gui.stop()
        signals.close()


def run_smoke(app, home: Path, redis_url: str | None, zip_path: Path, question: str | None,
              timeout_s: float | None) -> int:
    """The smoke test of ``ui/smoke.py`` in a real window; its exit code."""
    import tempfile

    from PySide6.QtCore import QSettings

    from ..core.index.repositories import default_repo_name
    from .smoke import SMOKE_QUESTION, SMOKE_TIMEOUT_S, SmokeRun

    # The smoke run keeps the user's window layout untouched: its QSettings live and die with it.
    with tempfile.TemporaryDirectory(prefix="repowiki-smoke-") as ui_dir:
        gui = Gui(home, redis_url, qsettings=QSettings(str(Path(ui_dir) / "ui.ini"), QSettings.Format.IniFormat))
        smoke = SmokeRun(gui, zip_path, default_repo_name(zip_path), question or SMOKE_QUESTION,
                         timeout_s or SMOKE_TIMEOUT_S)
        smoke.start()
        run_window(app, gui)
    if smoke.code is None:
        print("repowiki: smoke test failed: the window was closed before it ended", file=sys.stderr)
        return 1
    return smoke.code
