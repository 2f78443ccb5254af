"""The app's assembly: services start with the window and stop with it; the platform hint.

The bridge emits from its own thread; pytest-qt's waitSignal would run its callback in
that thread (it has no receiver QObject), so these tests wait on what the window shows.
"""
from PySide6.QtWidgets import QMessageBox

from repowiki_gui.ui import app as app_module
from repowiki_gui.ui.app import XCB_HINT, Gui, platform_hint


def message_boxes(window):
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_services_start_with_the_window_and_stop_without_leftovers(qtbot, home, fast_settings, qsettings,
                                                                     placeholder_chat):
    gui = Gui(home, qsettings=qsettings, chat_factory=placeholder_chat, settings=fast_settings)
    qtbot.addWidget(gui.window)
    gui.start()
    qtbot.waitUntil(lambda: gui.window.redis_label.text().startswith("Redis: running"), timeout=60_000)
    qtbot.waitUntil(lambda: gui.window.workers_label.text().startswith("Workers: 2"), timeout=10_000)
    gui.bridge.call("cancelJob", "no-such-job")
    qtbot.waitUntil(lambda: bool(message_boxes(gui.window)), timeout=10_000)
    assert "no-such-job" in message_boxes(gui.window)[0].text()
    gui.window.close()
    gui.stop()
    assert not gui.thread.isRunning()
    # the `home` fixture fails the test if a Redis or worker process is left


def test_a_failed_start_is_reported_in_one_sentence(qtbot, home, qsettings, placeholder_chat):
    gui = Gui(home, redis_url="redis://:x@127.0.0.1:1", qsettings=qsettings, chat_factory=placeholder_chat)
    qtbot.addWidget(gui.window)
    gui.start()
    qtbot.waitUntil(lambda: bool(message_boxes(gui.window)), timeout=30_000)
    assert "cannot be reached" in message_boxes(gui.window)[0].text()
    assert gui.window.redis_label.text() == "Redis: not running"
    gui.stop()


def test_the_xcb_hint(monkeypatch):
    monkeypatch.setattr(app_module.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert platform_hint() is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(app_module.ctypes.util, "find_library", lambda name: None)
    assert platform_hint() == XCB_HINT
    assert "libxcb-cursor0" in XCB_HINT


def test_emit_keeps_the_reference_count_of_true():
    import sys

    from PySide6.QtCore import QObject, Signal

    from repowiki_gui.ui.pyside_fixes import emit

    class Source(QObject):
        changed = Signal(dict)

    source = Source()
    before = sys.getrefcount(True)
    for _ in range(2000):   # PySide6 6.12's own emit would drop 2000 references of True here
        emit(source.changed, {})
    assert abs(sys.getrefcount(True) - before) < 10   # unpatched: 2000 fewer


def test_model_data_keeps_the_reference_count_of_none(qtbot):
    import sys

    from PySide6.QtCore import QIdentityProxyModel

    from repowiki_gui.ui.tasks_panel import TaskModel

    model = TaskModel()
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(model)
    model.set_jobs([{"id": "a", "name": "qa.retrieval", "queue": "retrieval", "state": "queued",
                     "progress": {}, "duration_s": None}])
    index = proxy.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(2000):   # every role without data returns None through the C++ proxy
        proxy.data(index, 1000)
    assert abs(sys.getrefcount(None) - before) < 10
