"""The window's room to read (issue 14, point 2): the Source tab with its file tree, the folding tasks panel."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from repowiki_gui.ui.main_window import MainWindow

from helpers.bridge_rows import job
from helpers.fake_bridge import FakeBridge

SOURCES = {("shop", "src/shop/cart.py"): "class Cart:\n    pass\n",
           ("shop", "src/shop/payment.py"): "import hmac\n\n\ndef verify():\n    return True\n",
           ("shop", "README.md"): "# Shop\n",
           ("blog", "app.py"): "print('blog')\n"}
REPOS = [{"name": "shop", "files": 3, "chunks": 3}, {"name": "blog", "files": 1, "chunks": 1}]


@pytest.fixture
def bridge():
    return FakeBridge(sources=dict(SOURCES))


def open_window(qtbot, bridge, qsettings) -> MainWindow:
    window = MainWindow(bridge, qsettings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def tree_paths(browser) -> list[str]:
    """Every path of the tree, depth first, as shown (folders end with /)."""
    found = []

    def walk(parent, prefix):
        for row in range(browser.proxy.rowCount(parent)):
            index = browser.proxy.index(row, 0, parent)
            found.append(prefix + index.data())
            walk(index, prefix + index.data() if index.data().endswith("/") else prefix)
    from PySide6.QtCore import QModelIndex
    walk(QModelIndex(), "")
    return found


def test_the_source_tab_lists_every_indexed_file_and_opens_one_wide(qtbot, bridge, qsettings):
    window = open_window(qtbot, bridge, qsettings)
    bridge.reposChanged.emit(REPOS)
    browser = window.source
    assert ("listFiles", ("shop",)) in bridge.calls
    assert tree_paths(browser) == ["src/", "src/shop/", "src/shop/cart.py", "src/shop/payment.py", "README.md"]
    window.tabs.setCurrentWidget(browser)
    assert browser.view.width() > window.width() * 0.5   # a wide pane, not a column beside the chat
    index = browser.proxy.match(browser.proxy.index(0, 0), Qt.ItemDataRole.DisplayRole, "payment.py", 1,
                                Qt.MatchFlag.MatchRecursive)[0]
    with qtbot.waitSignal(browser.view.rangeShown):
        browser.tree.activated.emit(index)
    assert browser.view.current_path() == ("shop", "src/shop/payment.py")
    assert browser.view.editor.toPlainText() == SOURCES[("shop", "src/shop/payment.py")]
    browser.filter_edit.setText("cart")
    assert tree_paths(browser) == ["src/", "src/shop/", "src/shop/cart.py"]
    browser.filter_edit.clear()
    browser.repo_combo.setCurrentText("blog")
    assert tree_paths(browser) == ["app.py"] and browser.count_label.text() == "1 file"


def test_chat_wiki_and_search_open_sources_in_the_one_source_tab(qtbot, bridge, qsettings):
    window = open_window(qtbot, bridge, qsettings)
    bridge.reposChanged.emit(REPOS)
    view = window.source.view
    assert window.chat.source_view is view and window.wiki.source_view is view
    assert view not in window.chat.findChildren(type(view))   # the chat no longer keeps a narrow column of it
    window.tabs.setCurrentWidget(window.chat)
    with qtbot.waitSignal(view.rangeShown):
        window.chat.source_view.show_range("blog", "app.py", 1, 1)   # what a citation click does
    assert window.tabs.currentWidget() is window.source
    assert window.source.current_repo() == "blog"   # its tree follows the file shown
    assert window.source.tree.currentIndex().data() == "app.py"
    window.tabs.setCurrentWidget(window.code_search)
    with qtbot.waitSignal(view.rangeShown) as shown:
        window.code_search.resultActivated.emit("shop", "src/shop/payment.py", 4, 5)
    assert shown.args == ["shop", "src/shop/payment.py", 4, 5]
    assert window.tabs.currentWidget() is window.source and view.highlighted_range() == (4, 5)


def test_the_tasks_panel_folds_behind_the_status_bar_and_opens_when_a_job_fails(qtbot, bridge, qsettings):
    window = open_window(qtbot, bridge, qsettings)
    assert not window.tasks_visible()   # folded: the jobs are one click away
    old_failure = job("old-1", state="failed", error="An old bad ZIP.")
    bridge.jobsChanged.emit([job("run-1"), job("wait-2", state="queued"), old_failure])
    assert window.activity.text().endswith("1 job running, 1 waiting") and window.activity.is_spinning()
    assert not window.tasks_visible()   # a failure already in the history is not news
    qtbot.mouseClick(window.activity, Qt.MouseButton.LeftButton)
    assert window.tasks_visible() and window.tasks_action.isChecked() and window.tasks_panel.height() > 60
    window.tasks_action.trigger()
    assert not window.tasks_visible() and not window.activity.isChecked()

    bridge.jobsChanged.emit([job("run-1", state="failed", error="Not a ZIP file."), job("wait-2"), old_failure])
    assert window.tasks_visible()
    assert window.tasks_panel.selected_job()["id"] == "run-1"
    assert "Not a ZIP file." in window.statusBar().currentMessage()
    bridge.jobsChanged.emit([job("run-1", state="failed"), job("wait-2", state="finished"), old_failure])
    assert window.activity.text() == "No jobs running" and not window.activity.is_spinning()


def test_tab_panel_and_source_splitter_are_remembered(qtbot, bridge, qsettings):
    window = open_window(qtbot, bridge, qsettings)
    window.tabs.setCurrentWidget(window.source)
    window.set_tasks_visible(True)
    window.source.splitter.setSizes([150, 500])
    sizes = window.source.splitter.sizes()
    window.close()

    again = open_window(qtbot, bridge, qsettings)
    assert again.tabs.currentWidget() is again.source
    assert again.tasks_visible() and again.activity.isChecked()
    assert again.source.splitter.sizes()[0] == sizes[0]   # the tree's width; the view takes the rest
    again.set_tasks_visible(False)
    again.tabs.setCurrentWidget(again.code_search)
    again.close()

    third = open_window(qtbot, bridge, qsettings)
    assert third.tabs.currentWidget() is third.code_search and not third.tasks_visible()


def test_ctrl_shift_f_puts_the_cursor_in_the_code_search_box(qtbot, bridge, qsettings):
    window = open_window(qtbot, bridge, qsettings)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.currentWidget() is window.code_search
    qtbot.waitUntil(window.code_search.query_edit.hasFocus)
    qtbot.keyClick(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.tasks_visible()
