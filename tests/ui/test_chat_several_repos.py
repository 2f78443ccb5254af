"""ChatPanel picking several repositories (the fake bridge): the ask carries them, sources name theirs."""
import pytest
from PySide6.QtCore import Qt

from repowiki_gui.ui.chat_panel import ChatPanel

from helpers.fake_bridge import FakeBridge

PAY = "import hmac\n\n\ndef verify(payload, sig, secret):\n    return hmac.compare_digest(payload, sig)\n"
DUR = "def parse_duration(text):\n    return int(text[:-1]) * 60\n"
REFS = [{"path": "src/pay.py", "start_line": 4, "end_line": 5, "symbol": "verify", "score": 0.9, "kind": "code",
         "repo": "shop"},
        {"path": "clock/dur.py", "start_line": 1, "end_line": 2, "symbol": "parse_duration", "score": 0.7,
         "kind": "code", "repo": "clock"}]
REPOS = [{"name": "shop", "files": 2, "chunks": 4}, {"name": "clock", "files": 1, "chunks": 1},
         {"name": "docs", "files": 1, "chunks": 1}]


@pytest.fixture
def bridge():
    return FakeBridge(sources={("shop", "src/pay.py"): PAY, ("clock", "clock/dur.py"): DUR})


@pytest.fixture
def panel(qtbot, bridge):
    widget = ChatPanel(bridge)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    bridge.reposChanged.emit(REPOS)
    return widget


def check(panel, name: str, on: bool = True) -> None:
    item = next(panel.also_repos.item(i) for i in range(panel.also_repos.count())
                if panel.also_repos.item(i).text() == name)
    item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_one_repository_indexed_shows_no_also_ask(qtbot, bridge):
    widget = ChatPanel(bridge)
    qtbot.addWidget(widget)
    widget.show()
    bridge.reposChanged.emit(REPOS[:1])
    assert not widget.also_repos.isVisible() and widget.current_repos() == ["shop"]


def test_the_chat_asks_two_repositories_and_each_source_names_its_own(qtbot, panel, bridge):
    assert panel.also_repos.isVisible()
    assert [panel.also_repos.item(i).text() for i in range(panel.also_repos.count())] == ["clock", "docs"]
    check(panel, "clock")
    assert panel.current_repos() == ["shop", "clock"]
    panel.question.setText("how are payments verified and durations parsed?")
    qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    (request_id, repo, _, _), = bridge.called("ask")
    assert repo == "shop,clock"
    bridge.answerStarted.emit(request_id, "job-1")
    bridge.answerDone.emit("job-1", {"answer": "verify [1] and parse_duration [2].", "references": REFS,
                                     "stopped": False, "conversation": "c1"})
    text = panel.transcript.toPlainText()
    assert "[1] shop:src/pay.py:4-5 (verify)" in text and "[2] clock:clock/dur.py:1-2 (parse_duration)" in text
    # a source opens, and unfolds, in its own repository
    with qtbot.waitSignal(panel.citationActivated) as opened:
        panel.transcript.activate("ref:0:2")
    assert opened.args == ["clock", "clock/dur.py", 1, 2]
    panel.transcript.toggle_lines(0, 2)
    qtbot.waitUntil(lambda: "return int(text[:-1]) * 60" in panel.transcript.toPlainText())
    assert ("readSource", ("clock", "clock/dur.py")) in bridge.calls


def test_a_conversation_of_several_goes_on_with_them(qtbot, panel, bridge):
    bridge.conversationsChanged.emit("shop", [{"id": "c9", "title": "both", "repo": "shop,docs",
                                               "updated_at": "2026-12-03T18:00:00+00:00"}])
    panel.conversations.itemClicked.emit(panel.conversations.item(0))
    assert panel.current_repos() == ["shop", "docs"]
    check(panel, "docs", on=False)
    assert panel.current_repos() == ["shop"]
