"""The main window: drops, the tasks panel's buttons, remembered layout, a real indexing run."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from repowiki_gui.ui.main_window import MainWindow

from helpers.bridge_rows import job
from helpers.sample_repos import write_zip

APP_PY = 'def greet(name):\n    """Say hello."""\n    return f"hello {name}"\n'
UTIL_PY = 'class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def bump(self):\n        self.n += 1\n'


def drop_files(window, paths) -> QDropEvent:
    """What a file manager does: drag enter, then drop, with file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = window.rect().center()
    enter = QDragEnterEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(center), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def open_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_a_non_zip_drop_is_refused_visibly_and_nothing_is_queued(qtbot, fake_bridge, qsettings,
                                                                  placeholder_chat, tmp_path):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    fake_zip = tmp_path / "x.zip"
    fake_zip.write_text("this is not a zip")
    for paths in ([text], [fake_zip], [write_zip(tmp_path / "ok.zip", {"a.py": "x = 1\n"}), text]):
        drop_files(window, paths)
        qtbot.waitUntil(lambda: bool(open_boxes(window)))
        box = open_boxes(window)[0]
        assert "ZIP" in box.text()
        assert "ZIP" in window.statusBar().currentMessage()
        box.close()
        qtbot.waitUntil(lambda: not open_boxes(window))
    assert fake_bridge.calls == []


def test_several_zips_dropped_are_all_queued(qtbot, fake_bridge, qsettings, placeholder_chat, tmp_path):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    a = write_zip(tmp_path / "alpha.zip", {"a.py": APP_PY})
    b = write_zip(tmp_path / "My Project (1).zip", {"b.py": UTIL_PY})
    drop_files(window, [a, b])
    assert fake_bridge.calls == [("indexZip", str(a), "alpha"), ("indexZip", str(b), "My-Project-1")]
    assert not open_boxes(window)


def test_a_dropped_folder_and_tarball_are_queued_like_zips(qtbot, fake_bridge, qsettings, placeholder_chat,
                                                           tmp_path):
    import tarfile

    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    folder = tmp_path / "my-checkout"
    folder.mkdir()
    (folder / "a.py").write_text(APP_PY)
    tarball = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(folder / "a.py", arcname="pkg-1.0/a.py")
    drop_files(window, [folder, tarball])
    assert fake_bridge.calls == [("indexZip", str(folder), "my-checkout"), ("indexZip", str(tarball), "pkg-1.0")]
    assert not open_boxes(window)


def test_cancel_and_retry_act_on_the_selected_job(qtbot, fake_bridge, qsettings, placeholder_chat):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    fake_bridge.jobsChanged.emit([job("running-1"), job("failed-2", state="failed", error="Bad ZIP.")])
    panel = window.tasks_panel
    assert not panel.cancel_button.isEnabled()
    panel.view.selectRow(0)
    assert panel.cancel_button.isEnabled() and not panel.retry_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    panel.view.selectRow(1)
    assert panel.retry_button.isEnabled() and not panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    assert fake_bridge.calls == [("cancelJob", "running-1"), ("retryJob", "failed-2")]


def test_status_bar_and_errors(qtbot, fake_bridge, qsettings, placeholder_chat):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    fake_bridge.statusChanged.emit({"redis": {"running": True, "version": "6.2.12"},
                                    "workers": [{"name": "w1", "kind": "bulk", "state": "busy",
                                                 "current_job": "abcdef123456"}],
                                    "queues": {"indexing": {"queued": 2, "started": 1}}})
    assert window.redis_label.text() == "Redis: running 6.2.12"
    assert window.workers_label.text() == "Workers: 1 (1 busy)"
    assert "indexing: 2 queued" in window.tasks_panel.status_label.text()
    assert "on abcdef12" in window.tasks_panel.status_label.text()
    fake_bridge.servicesFailed.emit("The background services could not start: no redis-server.")
    qtbot.waitUntil(lambda: bool(open_boxes(window)))
    assert "no redis-server" in open_boxes(window)[0].text()


def test_geometry_and_splitters_are_remembered(qtbot, fake_bridge, qsettings, placeholder_chat):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(640, 480)   # the offscreen screen is 800x600: restoreGeometry keeps a window on screen
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (640, 480))
    window.top_splitter.setSizes([200, 600])
    window.main_splitter.setSizes([450, 150])
    top, main = window.top_splitter.sizes(), window.main_splitter.sizes()
    window.close()

    again = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == (640, 480)
    assert again.top_splitter.sizes() == top
    assert again.main_splitter.sizes() == main


def test_the_chat_placeholder_shows_when_the_chat_panel_is_missing(qtbot, fake_bridge, qsettings, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "repowiki_gui.ui.chat_panel", None)   # import fails: ImportError
    window = MainWindow(fake_bridge, qsettings)
    qtbot.addWidget(window)
    assert window.chat.text() == "Chat is loading…"


def test_a_dropped_zip_is_indexed_by_the_real_services(qtbot, home, fast_settings, qsettings,
                                                       placeholder_chat, tmp_path):
    from repowiki_gui.ui.app import Gui

    gui = Gui(home, qsettings=qsettings, chat_factory=placeholder_chat, settings=fast_settings)
    qtbot.addWidget(gui.window)
    try:
        gui.start()   # waitSignal on a bridge signal would run pytest-qt's callback in the bridge thread
        qtbot.waitUntil(lambda: gui.window.redis_label.text().startswith("Redis: running"), timeout=60_000)
        zip_path = write_zip(tmp_path / "tinyrepo.zip", {"app.py": APP_PY, "util.py": UTIL_PY,
                                                        "README.md": "# Tiny\n\nGreets and counts.\n"})
        drop = drop_files(gui.window, [zip_path])
        assert drop.isAccepted()
        model = gui.window.repo_model

        def indexed():
            rows = {r["name"]: r for r in model.rows()}
            return rows.get("tinyrepo", {}).get("state") == "ready" and rows["tinyrepo"]["chunks"] > 0
        qtbot.waitUntil(indexed, timeout=180_000)
        assert not open_boxes(gui.window)
        tasks = [r for r in gui.window.task_model.rows() if r["name"] == "indexing.index_zip"]
        assert tasks and tasks[0]["state"] == "finished"
    finally:
        gui.window.close()
        gui.stop()
    assert gui.bridge.manager is None
