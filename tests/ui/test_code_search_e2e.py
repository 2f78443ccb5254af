"""The Source tab's tree and code search on the real bridge: Redis, workers, the ONNX embedder and LanceDB."""
import pytest

from repowiki_gui.ui.code_search import CodeSearchPanel
from repowiki_gui.ui.source_tree import SourceBrowser

from helpers import bridge_run
from helpers.sample_repos import SHOP_FILES


@pytest.mark.timeout(900)
def test_the_tree_lists_the_indexed_files_and_search_finds_code_that_opens(qtbot, real_bridge, tmp_path):
    bridge, thread = real_bridge
    browser, panel = SourceBrowser(bridge), CodeSearchPanel(bridge)
    qtbot.addWidget(browser)
    qtbot.addWidget(panel)
    shown: list[tuple[str, int]] = []
    panel.resultsShown.connect(lambda query, n: shown.append((query, n)))
    bridge_run.start(qtbot, bridge, thread)
    bridge_run.index_shop(bridge, tmp_path)
    qtbot.waitUntil(lambda: sorted(browser.file_paths()) == sorted(SHOP_FILES), timeout=300_000)

    qtbot.keyClicks(panel.query_edit, "webhook signature")   # as typed: the debounce sends it once
    qtbot.waitUntil(lambda: bool(shown), timeout=120_000)
    assert shown[-1][0] == "webhook signature" and shown[-1][1] >= 1
    first = panel.result_at(0)
    assert first["path"] == "src/shop/payment.py" and "verify_signature" in first["symbol"]
    assert any("signature" in text.lower() for _, text in first["lines"]), first["lines"]

    panel.prefix_edit.setText("src/shop/cart")   # a path prefix keeps to files under it
    qtbot.waitUntil(lambda: len(shown) >= 2, timeout=60_000)
    assert {panel.result_at(i)["path"] for i in range(panel.results.count())} <= {"src/shop/cart.py"}
    panel.prefix_edit.clear()
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=60_000)
    assert panel.language_combo.findData("python") > 0   # the filter offers the repository's languages

    panel.resultActivated.connect(browser.view.show_range)
    panel.results.setCurrentRow(0)
    with qtbot.waitSignal(browser.view.rangeShown, timeout=30_000) as opened:
        panel._open_item(panel.results.currentItem())
    assert opened.args[:2] == ["shop", "src/shop/payment.py"]
    assert browser.view.editor.toPlainText() == SHOP_FILES["src/shop/payment.py"].rstrip("\n")
    assert browser.tree.currentIndex().data() == "payment.py"
