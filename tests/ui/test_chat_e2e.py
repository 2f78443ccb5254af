"""The chat panel on the real bridge: Redis, workers, ONNX embedder, LanceDB and the bundled GGUF."""
import pytest

from repowiki_gui.ui.chat_markdown import CITATION
from repowiki_gui.ui.chat_panel import ChatPanel

from helpers import bridge_run


@pytest.mark.timeout(900)
def test_question_streams_an_answer_whose_reference_opens_the_source(qtbot, real_bridge, tmp_path):
    bridge, thread = real_bridge
    panel = ChatPanel(bridge)
    qtbot.addWidget(panel)
    tokens, done = [], []
    bridge.answerToken.connect(lambda job, delta: tokens.append(delta))
    bridge.answerDone.connect(lambda job, result: done.append(result))
    bridge_run.start(qtbot, bridge, thread)
    bridge_run.index_shop(bridge, tmp_path)
    qtbot.waitUntil(lambda: panel.current_repo() == "shop", timeout=300_000)

    panel.question.setText("how is the webhook signature verified?")
    panel.ask()
    assert not panel.ask_button.isEnabled()
    qtbot.waitUntil(lambda: bool(done) and panel.ask_button.isEnabled(), timeout=180_000)
    answer = done[0]
    assert tokens and answer["answer"].strip() and answer["references"], answer
    assert panel.conversation_id() == answer["conversation"] != ""

    links = panel.transcript.anchors()
    assert any(href.startswith("ref:") for href, _ in links), links
    first = answer["references"][0]
    with qtbot.waitSignal(panel.source_view.rangeShown, timeout=30_000) as shown:
        panel.transcript.activate("ref:1")
    assert shown.args == ["shop", first["path"], first["start_line"], first["end_line"]]
    assert panel.source_view.editor.toPlainText().strip()
    assert panel.source_view.highlighted_range()[0] == first["start_line"]
    qtbot.waitUntil(lambda: panel.conversations.count() == 1)  # the new conversation is listed

    # the answer went through the Markdown renderer: no fence or emphasis marker shows, each citation is a link
    text = panel.transcript.toPlainText()
    assert "```" not in text, text
    cited = {int(n) for m in CITATION.finditer(answer["answer"]) for n in (m.group(1) or m.group(2)).split(",")
             if int(n) <= len(answer["references"])}
    assert cited <= {int(href.split(":")[2]) for href, label in links if label.strip("[]").isdigit()}, (cited, links)
    # the first source unfolds its lines, read from the real index through the bridge
    panel.transcript.anchorClicked.emit("ref:0:1:lines")
    first_line = f"{first['start_line']}  "
    qtbot.waitUntil(lambda: any(line.startswith(first_line) for line in panel.transcript.toPlainText().split("\n")),
                    timeout=30_000)
