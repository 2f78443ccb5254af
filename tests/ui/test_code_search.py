"""Code search panel on the fake bridge: debounced, newest answer wins, marked lines, filters, Enter opens."""
from PySide6.QtCore import Qt

from repowiki_gui.ui.code_search import DEBOUNCE_MS, HTML_ROLE, CodeSearchPanel, mark_words

from helpers.fake_bridge import FakeBridge

RESULT = {"path": "src/shop/payment.py", "start_line": 4, "end_line": 7, "symbol": "verify_signature",
          "language": "python", "score": 0.9,
          "lines": [[4, "def verify_signature(payload, signature, secret):"], [7, "    return x < y"]]}


def make(qtbot):
    bridge = FakeBridge(sources={("shop", "src/shop/payment.py"): "x\n", ("shop", "web/page.js"): "y\n"})
    panel = CodeSearchPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    bridge.reposChanged.emit([{"name": "shop", "files": 2, "chunks": 3}])
    return bridge, panel


def test_typing_sends_one_search_after_a_pause_with_the_filters(qtbot):
    bridge, panel = make(qtbot)
    assert panel.current_repo() == "shop"
    assert [panel.language_combo.itemData(i) for i in range(panel.language_combo.count())] == ["", "python"]
    panel.prefix_edit.setText("src/")
    panel.language_combo.setCurrentIndex(1)
    qtbot.keyClicks(panel.query_edit, "signature")
    assert bridge.called("searchCode") == []   # still typing
    qtbot.waitUntil(lambda: bool(bridge.called("searchCode")), timeout=DEBOUNCE_MS * 8)
    qtbot.wait(DEBOUNCE_MS * 2)
    (call,) = bridge.called("searchCode")      # one for the whole word, not one per key
    assert call[1:] == ("shop", "signature", "python", "src/")
    assert panel.status.text() == "Searching…"


def test_only_the_newest_query_answer_is_shown(qtbot):
    bridge, panel = make(qtbot)
    panel.query_edit.setText("verify")
    panel.search_now()
    panel.query_edit.setText("verify signature")
    panel.search_now()
    (old, _, _, _, _), (new, _, _, _, _) = bridge.called("searchCode")
    with qtbot.waitSignal(panel.resultsShown) as shown:
        bridge.codeSearchDone.emit(new, [RESULT])
    bridge.codeSearchDone.emit(old, [dict(RESULT, path="stale.py")])   # late: dropped
    assert shown.args == ["verify signature", 1]
    assert panel.results.count() == 1 and panel.result_at(0)["path"] == RESULT["path"]
    bridge.codeSearchFailed.emit(old, "an old failure")
    assert "1 result" in panel.status.text()


def test_a_result_shows_path_symbol_and_marked_lines_as_escaped_text(qtbot):
    bridge, panel = make(qtbot)
    panel.query_edit.setText("signature")
    panel.search_now()
    bridge.codeSearchDone.emit(bridge.called("searchCode")[-1][0], [RESULT])
    html = panel.results.item(0).data(HTML_ROLE)
    assert "src/shop/payment.py" in html and "4–7" in html and "verify_signature" in html
    assert "signature</b>" in html and html.count("<b style=") == 2   # twice on line 4; the symbol line unmarked
    assert "&lt;" in html and "< y" not in html   # code is escaped, never markup
    assert mark_words("a <b>Sig</b>", ["sig"], "red") == \
        'a&nbsp;&lt;b&gt;<b style="background-color:red">Sig</b>&lt;/b&gt;'


def test_enter_opens_the_current_result_and_down_moves_into_the_list(qtbot):
    bridge, panel = make(qtbot)
    panel.show()
    qtbot.waitExposed(panel)
    panel.query_edit.setText("signature")
    panel.search_now()
    second = dict(RESULT, path="src/other.py", start_line=20, end_line=22)
    bridge.codeSearchDone.emit(bridge.called("searchCode")[-1][0], [RESULT, second])
    panel.query_edit.setFocus()
    with qtbot.waitSignal(panel.resultActivated) as opened:
        qtbot.keyClick(panel.query_edit, Qt.Key.Key_Return)   # the query is unchanged: Enter opens the first
    assert opened.args == ["shop", "src/shop/payment.py", 4, 7]
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    panel.query_edit.setFocus()
    qtbot.keyClick(panel.query_edit, Qt.Key.Key_Down)
    assert panel.results.hasFocus()
    qtbot.keyClick(panel.results, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.resultActivated) as opened:
        qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert opened.args == ["shop", "src/other.py", 20, 22]


def test_an_empty_query_clears_the_results_without_asking(qtbot):
    bridge, panel = make(qtbot)
    panel.query_edit.setText("cart")
    panel.search_now()
    bridge.codeSearchDone.emit(bridge.called("searchCode")[-1][0], [RESULT])
    panel.query_edit.setText("   ")
    panel.search_now()
    assert panel.results.count() == 0 and len(bridge.called("searchCode")) == 1


def test_showing_the_panel_once_asks_the_bridge_to_load_the_search_model(qtbot):
    bridge, panel = make(qtbot)
    panel.show()
    qtbot.waitExposed(panel)
    panel.hide()
    panel.show()
    assert bridge.called("searchCode") == [("", "shop", "", "", "")]   # an empty query: answered with nothing
