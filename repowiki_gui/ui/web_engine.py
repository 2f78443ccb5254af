"""QtWebEngine for the Wiki tab: its start-up flags (in this one place) and a profile that loads nothing remote.

Chromium needs two things this app cannot assume:

- as root (CI containers) its sandbox refuses to start, so the sandbox is
  switched off there, and only there (``QTWEBENGINE_DISABLE_SANDBOX``);
- on the ``offscreen`` platform there is no GPU to talk to, so it renders in
  software there, and only there (``--disable-gpu``).

``prepare()`` sets them before Chromium starts (the first profile), and
``Qt.AA_ShareOpenGLContexts`` when no QApplication exists yet; the app calls it
before creating its QApplication, and ``local_profile()`` calls it again (a
no-op by then).  Flags the user set in the environment are kept.
"""
from __future__ import annotations

import atexit
import os
import sys
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWebEngineCore import (QWebEngineProfile, QWebEngineSettings, QWebEngineUrlRequestInfo,
                                     QWebEngineUrlRequestInterceptor)

SOFTWARE_GL_FLAG = "--disable-gpu"


def needed_flags(platform: str, is_root: bool) -> dict[str, str]:
    """The environment Chromium needs for this Qt platform and user (empty on a normal desktop)."""
    env = {}
    if is_root:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    if platform == "offscreen":
        env["QTWEBENGINE_CHROMIUM_FLAGS"] = SOFTWARE_GL_FLAG
    return env


def _platform() -> str:
    name = QGuiApplication.platformName() if QGuiApplication.instance() is not None else ""
    return name or os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]


def prepare() -> None:
    """Set the flags of ``needed_flags`` for this process (before Chromium starts; idempotent)."""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    for name, value in needed_flags(_platform(), is_root).items():
        current = os.environ.get(name, "")
        if name == "QTWEBENGINE_CHROMIUM_FLAGS":
            if value not in current.split():
                os.environ[name] = f"{current} {value}".strip()
        elif not current:
            os.environ[name] = value
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


RENDERER_NICE = 10   # Mermaid's layout runs in the page's renderer: the window's own thread comes first


def lower_priority(pid: int) -> None:
    """Run every thread of the page's renderer process at ``RENDERER_NICE`` or lower (Linux; else nothing).

    The window's UI thread also runs Chromium's browser side and paints the page. Chromium raises its
    renderer's main and compositor threads to nice -8 where it may (as root), and a renderer laying out
    diagrams then takes the CPU from the window on a busy machine (bench/ui_stall.py). Threads are
    what Linux schedules, so each is set; called after every load, it catches threads started since.
    """
    if pid <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:   # the renderer is gone
        return
    for tid in tids:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < RENDERER_NICE:
                os.setpriority(os.PRIO_PROCESS, tid, RENDERER_NICE)
        except OSError:   # gone already, or not ours to change: it keeps its priority
            pass


class LocalOnly(QWebEngineUrlRequestInterceptor):
    """Blocks every request but ``data:`` and files under the allowed folders (the page's scripts)."""

    def __init__(self, folders: list[Path], parent=None):
        super().__init__(parent)
        self._folders = [str(Path(f).resolve()) + os.sep for f in folders]

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 -- Qt's name
        url = info.requestUrl()
        if url.scheme() == "data":
            return
        if url.isLocalFile():
            path = str(Path(url.toLocalFile()).resolve())
            if any(path.startswith(folder) for folder in self._folders):
                return
        info.block(True)


_VIEWS: weakref.WeakSet = weakref.WeakSet()


def delete_at_exit(view) -> None:
    """Have ``view`` (with its page, and the page's profile) deleted before Python's own exit.

    A profile must outlive its pages. At interpreter exit Python frees what is left in no
    particular order, and QtWebEngine crashes (SIGSEGV, after "Release of profile requested but
    WebEnginePage still not deleted") when a profile goes first. Deleting the view deletes its
    page and then the page's children, the profile among them: the right order.
    """
    _VIEWS.add(view)


@atexit.register
def _delete_views() -> None:
    import shiboken6

    for view in list(_VIEWS):
        if shiboken6.isValid(view):
            shiboken6.delete(view)


def local_profile(folders: list[Path]) -> tuple[QWebEngineProfile, LocalOnly]:
    """A profile off the record (no disk cache, no cookies) that loads local files under ``folders`` only.

    The caller keeps both (Qt calls the interceptor's Python method only while its wrapper lives) and
    makes the profile a child of the page that uses it: a profile must outlive its pages, and Qt
    deletes a page's children after the page.
    """
    prepare()
    profile = QWebEngineProfile()   # no storage name: off the record
    interceptor = LocalOnly(folders, profile)
    profile.setUrlRequestInterceptor(interceptor)
    settings = profile.settings()
    settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
    settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
    settings.setAttribute(QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False)
    settings.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
    return profile, interceptor
