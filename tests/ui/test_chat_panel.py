"""ChatPanel against the fake bridge: asking, streaming, citations, sources that unfold, the question box,
the empty state, stop, conversations, copy, no HTML."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtGui import QGuiApplication, QTextFormat

from repowiki_gui.ui.chat_panel import ChatPanel

from helpers.fake_bridge import FakeBridge

SOURCE = "import hmac\n\n\ndef verify(payload, sig, secret):\n    return hmac.compare_digest(payload, sig)\n"
REFS = [{"path": "src/pay.py", "start_line": 4, "end_line": 5, "symbol": "verify", "score": 0.9, "kind": "code"},
        {"path": "src/cart.py", "start_line": 1, "end_line": 3, "symbol": "", "score": 0.5, "kind": "code"}]


@pytest.fixture
def bridge():
    return FakeBridge(sources={("shop", "src/pay.py"): SOURCE})


@pytest.fixture
def panel(qtbot, bridge):
    widget = ChatPanel(bridge)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    bridge.reposChanged.emit([{"name": "shop", "files": 2, "chunks": 4}, {"name": "other", "files": 1, "chunks": 1}])
    return widget


def ask(qtbot, panel, bridge, question="how is the signature verified?", job="job-1"):
    panel.question.setText(question)
    qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    request_id = bridge.called("ask")[-1][0]
    bridge.answerStarted.emit(request_id, job)
    return request_id


def test_ask_streams_then_shows_answer_references_and_citation_opens_source(qtbot, panel, bridge):
    assert panel.current_repo() == "shop" and bridge.called("listConversations") == [("shop",)]
    ask(qtbot, panel, bridge)
    (request_id, repo, question, conv), = bridge.called("ask")
    assert (repo, question, conv) == ("shop", "how is the signature verified?", "")
    assert len(request_id) == 32 and not panel.ask_button.isEnabled()

    for delta in ("It is ", "checked ", "with hmac [1]."):
        bridge.answerToken.emit("job-1", delta)
    bridge.answerToken.emit("another-job", "NOT MINE")
    qtbot.waitUntil(lambda: "It is checked with hmac [1]." in panel.transcript.toPlainText())
    assert "NOT MINE" not in panel.transcript.toPlainText()

    bridge.answerDone.emit("job-1", {"answer": "It is checked with hmac.compare_digest [1].",
                                     "references": REFS, "stopped": False, "conversation": "c1"})
    text = panel.transcript.toPlainText()
    assert text.count("It is checked with hmac") == 1  # the streamed draft was replaced
    assert "[1] src/pay.py:4-5 (verify)" in text and "[2] src/cart.py:1-3" in text
    assert panel.conversation_id() == "c1" and panel.ask_button.isEnabled()
    assert bridge.called("listConversations")[-1] == ("shop",)

    anchors = panel.transcript.anchors()
    citation = next(href for href, label in anchors if label == "[1]")
    sources = [label for href, label in anchors if not href.endswith(":lines")][-2:]
    assert sources == ["[1] src/pay.py:4-5 (verify)", "[2] src/cart.py:1-3"]
    with qtbot.waitSignal(panel.source_view.rangeShown), qtbot.waitSignal(panel.citationActivated) as sig:
        panel.transcript.anchorClicked.emit(citation)  # what a click on the link does
    assert sig.args == ["shop", "src/pay.py", 4, 5]
    assert bridge.called("readSource") == [("shop", "src/pay.py")]
    assert panel.source_view.editor.toPlainText() == SOURCE
    assert panel.source_view.highlighted_range() == (4, 5)

    # the next question continues the conversation
    ask(qtbot, panel, bridge, "and the cart?", "job-2")
    assert bridge.called("ask")[-1][3] == "c1"


def test_stop_calls_stop_answer_and_ask_comes_back(qtbot, panel, bridge):
    ask(qtbot, panel, bridge)
    bridge.answerToken.emit("job-1", "Partial")
    assert panel.stop_button.isEnabled()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert bridge.called("stopAnswer") == [("job-1",)]
    assert not panel.ask_button.isEnabled()
    bridge.answerDone.emit("job-1", {"answer": "Partial", "references": [], "stopped": True, "conversation": "c1"})
    assert panel.ask_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "(stopped)" in panel.transcript.toPlainText()


def test_stop_before_the_job_id_is_known_is_sent_when_it_arrives(qtbot, panel, bridge):
    panel.question.setText("q")
    panel.ask()
    panel.stop()
    assert bridge.called("stopAnswer") == []
    bridge.answerStarted.emit(bridge.called("ask")[0][0], "job-9")
    assert bridge.called("stopAnswer") == [("job-9",)]


def test_a_failure_is_shown_and_ask_comes_back(qtbot, panel, bridge):
    request_id = ask(qtbot, panel, bridge)
    bridge.answerFailed.emit(request_id, "The repository shop is not indexed.")
    assert "The repository shop is not indexed." in panel.transcript.toPlainText()
    assert panel.ask_button.isEnabled()


def test_answer_text_is_never_html(qtbot, panel, bridge):
    evil = 'Look <img src=x onerror=alert(1)> and <b>bold</b> <a href="http://x">x</a> [1]'
    ask(qtbot, panel, bridge)
    bridge.answerToken.emit("job-1", evil)
    qtbot.waitUntil(lambda: "<img src=x" in panel.transcript.toPlainText())
    bridge.answerDone.emit("job-1", {"answer": evil, "references": REFS, "stopped": False, "conversation": "c"})
    assert evil in panel.transcript.toPlainText()
    block = panel.transcript.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            assert not fmt.isImageFormat() and fmt.objectType() != QTextFormat.ObjectTypes.ImageObject
            assert fmt.fontWeight() <= 400, it.fragment().text()
            assert fmt.anchorHref().startswith("ref:") or not fmt.isAnchor()
            it += 1
        block = block.next()
    assert "<b>" not in panel.transcript.toHtml().replace("&lt;b&gt;", "")


def test_conversations_list_and_resume(qtbot, panel, bridge):
    bridge.conversationsChanged.emit("other", [{"id": "x", "repo": "other", "title": "not shown"}])
    assert panel.conversations.count() == 0
    bridge.conversationsChanged.emit("shop", [
        {"id": "c1", "repo": "shop", "title": "signatures?", "created_at": "t", "updated_at": "t"},
        {"id": "c2", "repo": "shop", "title": "carts?", "created_at": "t", "updated_at": "t"}])
    assert [panel.conversations.item(i).text() for i in range(2)] == ["signatures?", "carts?"]
    item = panel.conversations.item(1)
    qtbot.mouseClick(panel.conversations.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.conversations.visualItemRect(item).center())
    assert bridge.called("loadConversation") == [("c2",)]
    bridge.conversationLoaded.emit("c2", [
        {"question": "what is a cart?", "answer": "A list of items [1].", "references": REFS[1:], "created_at": "t"},
        {"question": "and add_item?", "answer": "It appends.", "references": [], "created_at": "t"}])
    text = panel.transcript.toPlainText()
    assert "what is a cart?" in text and "A list of items [1]." in text and "It appends." in text
    assert ("ref:0:1", "[1]") in panel.transcript.anchors()
    ask(qtbot, panel, bridge, "more?")
    assert bridge.called("ask")[-1][3] == "c2"

    bridge.answerDone.emit("job-1", {"answer": "ok", "references": [], "stopped": False, "conversation": "c2"})
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    assert panel.conversation_id() == "" and panel.transcript.toPlainText() == ""


def test_switching_repository_lists_its_conversations(qtbot, panel, bridge):
    panel.repo_combo.setCurrentText("other")
    assert bridge.called("listConversations")[-1] == ("other",)
    bridge.reposChanged.emit([{"name": "other"}, {"name": "shop"}])  # a refresh keeps the choice
    assert panel.current_repo() == "other"


def test_copy_as_markdown(qtbot, panel, bridge):
    assert not panel.copy_button.isEnabled()
    ask(qtbot, panel, bridge)
    bridge.answerDone.emit("job-1", {"answer": "Checked with hmac [1].", "references": REFS,
                                     "stopped": False, "conversation": "c"})
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Checked with hmac [1].")
    assert "Sources:" in copied and "1. `src/pay.py:4-5 (verify)`" in copied and "2. `src/cart.py:1-3`" in copied


def test_sources_show_before_the_answer_with_a_reading_line_and_are_not_repeated(qtbot, panel, bridge):
    ask(qtbot, panel, bridge)
    bridge.answerSources.emit("job-1", REFS)
    bridge.answerReading.emit("job-1", 96, 240)
    text = panel.transcript.toPlainText()
    assert "[1] src/pay.py:4-5 (verify)" in text and "[2] src/cart.py:1-3" in text
    assert not panel.reading_label.isHidden() and "40%" in panel.reading_label.text()
    # a source can be opened while the model still reads
    first = next(href for href, label in panel.transcript.anchors() if label.startswith("[1] src/pay.py"))
    with qtbot.waitSignal(panel.citationActivated) as sig:
        panel.transcript.anchorClicked.emit(first)
    assert sig.args == ["shop", "src/pay.py", 4, 5]

    bridge.answerToken.emit("job-1", "It is checked ")
    assert panel.reading_label.isHidden()
    qtbot.waitUntil(lambda: "It is checked" in panel.transcript.toPlainText())
    bridge.answerDone.emit("job-1", {"answer": "It is checked with hmac.compare_digest [1].",
                                     "references": REFS, "stopped": False, "conversation": "c1"})
    text = panel.transcript.toPlainText()
    assert text.count("src/pay.py:4-5") == 1 and text.count("Sources") == 1
    assert text.index("src/cart.py:1-3") < text.index("It is checked with hmac")  # sources above the answer
    citation = next(href for href, label in panel.transcript.anchors() if label == "[1]")
    with qtbot.waitSignal(panel.citationActivated) as sig:
        panel.transcript.anchorClicked.emit(citation)
    assert sig.args == ["shop", "src/pay.py", 4, 5]


def test_reading_of_another_answer_is_ignored(qtbot, panel, bridge):
    ask(qtbot, panel, bridge)
    bridge.answerReading.emit("another-job", 10, 100)
    bridge.answerSources.emit("another-job", REFS)
    assert panel.reading_label.isHidden() and "src/pay.py" not in panel.transcript.toPlainText()


def toggle(panel, n, turn=0):
    panel.transcript.anchorClicked.emit(f"ref:{turn}:{n}:lines")   # what a click on the ▸ does


def test_a_source_unfolds_its_lines_read_through_the_bridge_while_the_answer_streams(qtbot, panel, bridge):
    ask(qtbot, panel, bridge)
    bridge.answerSources.emit("job-1", REFS)
    bridge.answerToken.emit("job-1", "It is **checked** ")
    qtbot.waitUntil(lambda: "It is checked" in panel.transcript.toPlainText())
    assert bridge.called("readSource") == []          # nothing is read until a source unfolds

    toggle(panel, 1)
    assert bridge.called("readSource") == [("shop", "src/pay.py")]
    text = panel.transcript.toPlainText()
    assert "4  def verify(payload, sig, secret):" in text and "5      return hmac.compare_digest" in text
    assert "import hmac" not in text                  # only the source's own lines
    assert text.index("[1] src/pay.py") < text.index("4  def verify") < text.index("[2] src/cart.py")
    assert panel.transcript.is_unfolded(0, 1) and ("ref:0:1:lines", "▾") in panel.transcript.anchors()
    assert panel.source_view.current_path() is None   # unfolding is not opening the source view

    bridge.answerToken.emit("job-1", "with hmac [1].")  # the answer goes on below, unharmed
    qtbot.waitUntil(lambda: "It is checked with hmac [1]." in panel.transcript.toPlainText())
    bridge.answerDone.emit("job-1", {"answer": "It is **checked** with hmac [1].", "references": REFS,
                                     "stopped": False, "conversation": "c1"})
    text = panel.transcript.toPlainText()
    assert text.count("It is checked with hmac [1].") == 1 and "4  def verify" in text
    assert text.index("4  def verify") < text.index("It is checked")

    toggle(panel, 1)
    assert "def verify" not in panel.transcript.toPlainText() and not panel.transcript.is_unfolded(0, 1)
    toggle(panel, 1)                                  # again: from what was read, no second read
    assert "4  def verify" in panel.transcript.toPlainText() and len(bridge.called("readSource")) == 1


def test_a_source_that_cannot_be_read_says_why_and_wiki_sources_open_in_the_wiki(qtbot, panel, bridge):
    refs = [{"path": "gone.py", "start_line": 1, "end_line": 2, "symbol": "", "score": 0.4, "kind": "code"},
            {"path": "overview.md", "start_line": 3, "end_line": 8, "symbol": "Overview", "score": 0.3, "kind": "wiki"}]
    ask(qtbot, panel, bridge)
    bridge.answerSources.emit("job-1", refs)
    toggle(panel, 1)
    assert "gone.py is not in the index of shop." in panel.transcript.toPlainText()
    assert "ref:0:2:lines" not in [href for href, _ in panel.transcript.anchors()]
    with qtbot.waitSignal(panel.wikiPageRequested) as sig:
        panel.transcript.anchorClicked.emit("ref:0:2")
    assert sig.args == ["shop", "overview.md", 3]


def test_a_link_in_the_answer_opens_the_source_and_a_url_does_not(qtbot, panel, bridge):
    ask(qtbot, panel, bridge)
    bridge.answerDone.emit("job-1", {"answer": "See [verify](src/pay.py#L4) and [docs](https://example.com).",
                                     "references": REFS, "stopped": False, "conversation": "c1"})
    assert "docs (https://example.com)" in panel.transcript.toPlainText()
    (href, label), = [a for a in panel.transcript.anchors() if ":link:" in a[0]]
    assert label == "verify"
    with qtbot.waitSignal(panel.source_view.rangeShown), qtbot.waitSignal(panel.citationActivated) as sig:
        panel.transcript.anchorClicked.emit(href)
    assert sig.args == ["shop", "src/pay.py", 4, 4]


def test_enter_sends_shift_enter_breaks_the_line(qtbot, panel, bridge):
    panel.question.setFocus()
    QTest.keyClicks(panel.question, "first line")
    QTest.keyClick(panel.question, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(panel.question, "second line")
    assert bridge.called("ask") == [] and panel.question.text() == "first line\nsecond line"
    QTest.keyClick(panel.question, Qt.Key.Key_Return)
    (_request, repo, question, _conv), = bridge.called("ask")
    assert (repo, question) == ("shop", "first line\nsecond line") and panel.question.text() == ""
    assert "first line\nsecond line" in panel.transcript.toPlainText()


def test_up_recalls_earlier_questions_and_down_comes_back_to_the_draft(qtbot, panel, bridge):
    for n, question in enumerate(("what is a cart?", "how is it paid?\nand refunded?")):
        ask(qtbot, panel, bridge, question, f"job-{n}")
        bridge.answerDone.emit(f"job-{n}", {"answer": "ok", "references": [], "stopped": False, "conversation": "c"})
    box = panel.question
    box.setFocus()
    QTest.keyClicks(box, "a draft")
    QTest.keyClick(box, Qt.Key.Key_Up)
    assert box.text() == "how is it paid?\nand refunded?"
    QTest.keyClick(box, Qt.Key.Key_Up)                # the caret is on the last of two lines: it moves up
    assert box.text() == "how is it paid?\nand refunded?" and box.textCursor().blockNumber() == 0
    QTest.keyClick(box, Qt.Key.Key_Up)
    assert box.text() == "what is a cart?"
    QTest.keyClick(box, Qt.Key.Key_Up)                # the oldest: stays
    assert box.text() == "what is a cart?"
    QTest.keyClick(box, Qt.Key.Key_Down)
    QTest.keyClick(box, Qt.Key.Key_Down)
    assert box.text() == "a draft"
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert bridge.called("ask")[-1][2] == "a draft"


def test_an_empty_window_says_how_to_begin_and_its_button_asks_for_a_zip(qtbot):
    bridge = FakeBridge()
    panel = ChatPanel(bridge)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.stack.currentWidget() is panel.empty_state and panel.empty_state.isVisible()
    assert "Drop a ZIP" in panel.empty_state.title.text() and not panel.ask_button.isEnabled()
    with qtbot.waitSignal(panel.openZipRequested):
        qtbot.mouseClick(panel.empty_state.button, Qt.MouseButton.LeftButton)
    bridge.reposChanged.emit([{"name": "shop", "files": 2, "chunks": 4}])
    assert panel.stack.currentWidget() is panel.transcript and panel.ask_button.isEnabled()
    assert "Ask a question" in panel.transcript.placeholderText()
    bridge.reposChanged.emit([])                      # the last repository removed: the hint comes back
    assert panel.stack.currentWidget() is panel.empty_state


def test_the_empty_states_button_opens_the_windows_zip_dialog(qtbot, fake_bridge, qsettings, monkeypatch):
    from repowiki_gui.ui.main_window import MainWindow

    opened = []
    monkeypatch.setattr(MainWindow, "open_zip_dialog", lambda self: opened.append(self))
    window = MainWindow(fake_bridge, qsettings)
    qtbot.addWidget(window)
    window.show()
    assert window.chat.empty_state.isVisible()
    qtbot.mouseClick(window.chat.empty_state.button, Qt.MouseButton.LeftButton)
    assert opened == [window]


def test_a_reopened_answer_whose_cited_code_changed_is_marked_stale(qtbot, panel, bridge):
    bridge.conversationsChanged.emit("shop", [
        {"id": "c3", "repo": "shop", "title": "signatures?", "created_at": "t", "updated_at": "t"}])
    item = panel.conversations.item(0)
    qtbot.mouseClick(panel.conversations.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.conversations.visualItemRect(item).center())
    changed = [dict(REFS[0], stale=True)] + [dict(r, stale=False) for r in REFS[1:]]
    bridge.conversationLoaded.emit("c3", [
        {"question": "how is it verified?", "answer": "With hmac [1].", "references": changed, "created_at": "t",
         "stale": True},
        {"question": "and carts?", "answer": "A list [1].", "references": [dict(REFS[1], stale=False)],
         "created_at": "t", "stale": False}])
    text = panel.transcript.toPlainText()
    first, second = text.split("and carts?")
    assert "stale: the code this answer cites changed since it was written" in first
    assert f"[1] {REFS[0]['path']}" in first and first.count("(changed since)") == 1
    assert "stale:" not in second and "(changed since)" not in second
