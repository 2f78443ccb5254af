"""Answers rendered from Markdown in the transcript: code, lists, headings, safe links, palette colours."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette, QTextFormat

from repowiki_gui.ui.chat_markdown import widen_nesting
from repowiki_gui.ui.code_blocks import code_background
from repowiki_gui.ui.answer_links import link_target
from repowiki_gui.ui.transcript import Transcript

REFS = [{"path": "src/pay.py", "start_line": 4, "end_line": 5, "symbol": "verify", "score": 0.9, "kind": "code"},
        {"path": "overview.md", "start_line": 3, "end_line": 9, "symbol": "Overview", "score": 0.5, "kind": "wiki"}]
ANSWER = """## How it works

The signature is **checked** with *constant time* by `hmac.compare_digest` [1].

- it reads the payload
- it compares
  - in constant time

1. first
2. second

```python
def verify(payload, sig):
    return hmac.compare_digest(payload, sig)  # why
```

See [the verifier](src/pay.py#L4-L5), [the overview](overview.md) and [a site](https://evil.example/x).
"""


@pytest.fixture
def transcript(qtbot):
    view = Transcript()
    qtbot.addWidget(view)
    view.resize(900, 700)
    return view


def fragments(view):
    """(text, char format, block) of every fragment, in order."""
    out, block = [], view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            out.append((frag.text(), frag.charFormat(), block))
            it += 1
        block = block.next()
    return out


def fragment(view, text):
    return next((f, b) for t, f, b in fragments(view) if text in t)


def answer(view, text=ANSWER, refs=REFS):
    view.begin_turn("shop", "how is it verified?")
    view.finish_answer(text, refs)


def test_markdown_renders_headings_emphasis_inline_code_lists_and_highlighted_code(transcript):
    answer(transcript)
    text = transcript.toPlainText()
    for shown in ("How it works", "The signature is checked with constant time by hmac.compare_digest [1].",
                  "def verify(payload, sig):", "    return hmac.compare_digest(payload, sig)  # why"):
        assert shown in text, text
    for marker in ("##", "**", "```", "`hmac", "- it reads", "1. first", "](src/pay.py"):
        assert marker not in text
    heading, _ = fragment(transcript, "How it works")
    assert heading.fontWeight() == QFont.Weight.Bold and heading.fontPointSize() > transcript.font().pointSizeF()
    assert fragment(transcript, "checked")[0].fontWeight() == QFont.Weight.Bold
    assert fragment(transcript, "constant time")[0].fontItalic()
    inline, _ = fragment(transcript, "hmac.compare_digest")
    assert inline.fontFixedPitch() and inline.background().style() != Qt.BrushStyle.NoBrush

    items = {t: b for t, _f, b in fragments(transcript) if t in ("it reads the payload", "in constant time", "first")}
    assert items["it reads the payload"].textList() is not None
    assert items["in constant time"].textList().format().indent() == 2      # nested by two spaces, still nested
    assert items["first"].textList().format().style() == items["first"].textList().format().Style.ListDecimal

    code = [(t, f, b) for t, f, b in fragments(transcript) if f.fontFixedPitch() and b.blockFormat().nonBreakableLines()]
    assert "".join(t for t, _, _ in code).startswith("def verify(payload, sig):")
    colours = {f.foreground().color().name() for _, f, _ in code}
    assert len(colours) >= 3, colours                                        # keyword, name, comment differ
    assert fragment(transcript, "def")[0].fontWeight() == QFont.Weight.Bold  # pygments' keyword style
    assert fragment(transcript, "# why")[0].fontItalic()
    background = code[0][2].blockFormat().background().color()
    assert background == code_background(transcript.palette())


def test_links_open_sources_and_wiki_pages_and_a_url_stays_text(qtbot, transcript):
    answer(transcript)
    links = [(href, label) for href, label in transcript.anchors() if ":link:" in href]
    assert [label for _, label in links] == ["the verifier", "the overview"]
    assert "a site (https://evil.example/x)" in transcript.toPlainText()
    assert all(href.startswith("ref:") for href, _ in transcript.anchors())

    with qtbot.waitSignal(transcript.referenceActivated) as opened:
        transcript.anchorClicked.emit(links[0][0])
    assert opened.args[0] == "shop" and opened.args[1]["path"] == "src/pay.py"
    assert (opened.args[1]["start_line"], opened.args[1]["end_line"]) == (4, 5)
    with qtbot.waitSignal(transcript.referenceActivated) as opened:
        transcript.anchorClicked.emit(links[1][0])
    assert opened.args[1]["kind"] == "wiki" and opened.args[1]["path"] == "overview.md"
    for href in ("https://evil.example/x", "ref:0:link:9", "javascript:alert(1)", "ref:x:1"):
        with qtbot.assertNotEmitted(transcript.referenceActivated):
            transcript.activate(href)


@pytest.mark.parametrize("href, expected", [
    ("src/pay.py#L4-L5", ("src/pay.py", 4, 5, "code")),
    ("./src/pay.py", ("src/pay.py", 4, 5, "code")),               # a cited file: its cited lines
    ("pay.py:7", ("src/pay.py", 7, 7, "code")),                    # the end of one source's path
    ("src/other.py", ("src/other.py", 1, 1, "code")),              # any file of the repository
    ("overview.md", ("overview.md", 3, 9, "wiki")),
    ("https://example.com/a.py", None), ("http://x:80", None), ("mailto:a@b.c", None), ("javascript:x()", None),
    ("file:///etc/passwd", None), ("//host/share", None), ("../outside.py", None), ("C:\\boot.ini", None),
    ("#section", None), ("", None), ("a.py?x=1", None),
])
def test_link_target(href, expected):
    target = link_target(href, REFS)
    got = None if target is None else (target["path"], target["start_line"], target["end_line"], target["kind"])
    assert got == expected


def test_raw_html_and_images_in_markdown_are_text(transcript):
    evil = ('# <img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n![pic](/etc/passwd) **<b>x</b>**\n\n'
            '<a href="https://x">y</a> [z](javascript:alert(3))\n')
    answer(transcript, evil, [])
    text = transcript.toPlainText()
    for shown in ("<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "![pic](/etc/passwd)", "<b>x</b>",
                  '<a href="https://x">y</a>', "z (javascript:alert(3))"):
        assert shown in text, text
    assert transcript.anchors() == []
    for _t, fmt, _b in fragments(transcript):
        assert not fmt.isImageFormat() and fmt.objectType() != QTextFormat.ObjectTypes.ImageObject
    assert "<img" not in transcript.toHtml()


def test_streaming_renders_markdown_as_it_comes(qtbot, transcript):
    transcript.begin_turn("shop", "q")
    transcript.show_sources(REFS)
    for piece in ("Use **hmac", "** [1]:\n\n```python\nx = 1\n", "y = 2\n```\n"):
        transcript.append_stream(piece)
    qtbot.waitUntil(lambda: "y = 2" in transcript.toPlainText())
    assert "**" not in transcript.toPlainText() and "```" not in transcript.toPlainText()
    assert fragment(transcript, "Use ")[1].blockNumber() > fragment(transcript, "src/pay.py")[1].blockNumber()
    assert transcript.streamed_text().startswith("Use **hmac** [1]")
    transcript.finish_answer(transcript.streamed_text(), REFS)
    assert transcript.toPlainText().count("Use hmac [1]:") == 1 and transcript.toPlainText().count("Sources") == 1


def test_what_follows_a_list_or_code_is_not_part_of_it(transcript):
    answer(transcript, "- a\n- b\n", [])
    transcript.begin_turn("shop", "next")
    block = fragment(transcript, "next")[1]
    assert block.textList() is None and not block.blockFormat().nonBreakableLines()
    answer(transcript, "```\ncode\n```", [])
    transcript.begin_turn("shop", "after code")
    block = fragment(transcript, "after code")[1]
    assert not block.blockFormat().nonBreakableLines() and block.blockFormat().background().style() == Qt.BrushStyle.NoBrush


def test_two_space_lists_nest_and_code_stays_code():
    assert widen_nesting("- a\n  - b\n") == "- a\n    - b\n"
    assert widen_nesting("- a\n    - b\n") == "- a\n    - b\n"   # already four: left alone


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, colour in ((QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Window, "#2b2b2b"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Link, "#6cb6ff"), (QPalette.ColorRole.PlaceholderText, "#9a9a9a")):
        pal.setColor(role, QColor(colour))
    return pal


def test_a_dark_palette_gets_dark_code_blocks_and_light_text(qtbot):
    view = Transcript()
    qtbot.addWidget(view)
    view.setPalette(dark_palette())
    answer(view)
    code = [(f, b) for _t, f, b in fragments(view) if b.blockFormat().nonBreakableLines()]
    assert code and all(b.blockFormat().background().color().lightness() < 100 for _f, b in code)
    # every coloured piece of code stands out from its dark background
    assert all(f.foreground().color().lightness() > 110 for f, _b in code), \
        {f.foreground().color().name() for f, _b in code}
    prose, _ = fragment(view, "The signature is ")
    assert prose.foreground().color() == QColor("#e6e6e6")
    link, _ = fragment(view, "the verifier")
    assert link.foreground().color() == QColor("#6cb6ff")


def test_turning_the_palette_dark_rewrites_the_transcript_in_its_colours(qtbot, transcript):
    answer(transcript)
    transcript.toggle_lines(0, 1)
    transcript.source_text_loaded("shop", "src/pay.py", "import hmac\n\n\ndef verify(payload, sig):\n    return 1\n")
    transcript.begin_turn("shop", "and then?")               # an answer still streaming
    transcript.show_sources(REFS)
    transcript.append_stream("Then **it** returns [1]")
    qtbot.waitUntil(lambda: "Then it returns [1]" in transcript.toPlainText())
    before = transcript.toPlainText()
    anchors = transcript.anchors()

    transcript.setPalette(dark_palette())
    assert transcript.toPlainText() == before and transcript.anchors() == anchors
    assert "4  def verify(payload, sig):" in transcript.toPlainText() and transcript.is_unfolded(0, 1)
    code = [b for _t, _f, b in fragments(transcript) if b.blockFormat().nonBreakableLines()]
    assert code and all(b.blockFormat().background().color().lightness() < 100 for b in code)
    assert fragment(transcript, "The signature is ")[0].foreground().color() == QColor("#e6e6e6")
    transcript.append_stream(" at once.")                     # the open answer goes on where it was
    qtbot.waitUntil(lambda: "Then it returns [1] at once." in transcript.toPlainText())
    transcript.finish_answer("Then **it** returns [1] at once.", REFS)
    assert transcript.toPlainText().count("Then it returns [1] at once.") == 1
    assert transcript.toPlainText().count("Sources") == 2


def test_streaming_renders_only_the_last_block_again_and_ends_as_a_full_render_does(qtbot, transcript):
    pieces = ["Intro with **bold** and [1].\n", "\n- a\n- b\n\n", "```python\nx = 1\n", "```\n\nMiddle `code` ",
              "[the verifier](src/pay.py) [2].\n\n", "## Tail\n\n1. one\n2. two\n"]
    transcript.begin_turn("shop", "q")
    transcript.show_sources(REFS)
    transcript.append_stream(pieces[0])
    qtbot.waitUntil(lambda: "Intro with bold" in transcript.toPlainText())
    transcript.append_stream(pieces[1] + pieces[2])   # the fence after the list: intro and list are finished
    qtbot.waitUntil(lambda: "x = 1" in transcript.toPlainText())
    fragment(transcript, "Intro with ")[1].setUserState(7)   # a mark that a block written again would lose
    item = next(b for t, _f, b in fragments(transcript) if t == "b")
    item.setUserState(8)
    for n in range(3, len(pieces)):
        transcript.append_stream(pieces[n])
        qtbot.waitUntil(lambda: transcript.streamed_text() == "".join(pieces[:n + 1]) and not transcript._pending)
    assert "two" in transcript.toPlainText()
    assert fragment(transcript, "Intro with ")[1].userState() == 7
    assert next(b for t, _f, b in fragments(transcript) if t == "b").userState() == 8
    streamed, anchors = transcript.toPlainText(), transcript.anchors()

    whole = Transcript()
    qtbot.addWidget(whole)
    whole.resize(900, 700)
    whole.begin_turn("shop", "q")
    whole.show_sources(REFS)
    whole.finish_answer("".join(pieces), REFS)
    assert streamed == whole.toPlainText() and anchors == whole.anchors()
    transcript.finish_answer("".join(pieces), REFS)
    assert transcript.toPlainText() == whole.toPlainText()


def test_the_answers_quoted_key_lines_render_as_a_list_of_code_with_citations(transcript):
    from repowiki_gui.core.qa.answer import KeyLine, render_key_lines

    quoted = render_key_lines([KeyLine(1, 5, "return hmac.compare_digest(payload, sig)"), KeyLine(1, 4, "x = `y`")])
    answer(transcript, "It compares in constant time [1]." + quoted)
    text = transcript.toPlainText()
    assert "From the sources:" in text and "return hmac.compare_digest(payload, sig) [1] line 5" in text
    assert "- " not in text and "`" not in text.replace("x = `y`", "")
    item, block = fragment(transcript, "return hmac.compare_digest")
    assert item.fontFixedPitch() and block.textList() is not None and block.textList().count() == 2
    assert [href for href, label in transcript.anchors() if label == "[1]"] == ["ref:0:1"] * 3
