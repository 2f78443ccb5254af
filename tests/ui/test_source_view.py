"""SourceView: loads through the bridge once per file, highlights a range, colours syntax, shows no HTML."""
from PySide6.QtGui import QColor, QPalette, QTextCharFormat

from repowiki_gui.ui.source_view import SourceView, lexer_for

from helpers.fake_bridge import FakeBridge

PY = 'import os\n\n\nclass Cart:\n    """A cart."""\n    def add(self, n=1):\n        return n + 1  # one more\n'


def make(qtbot, sources):
    bridge = FakeBridge(sources=sources)
    view = SourceView(bridge)
    qtbot.addWidget(view)
    view.resize(600, 400)
    return bridge, view


def test_show_range_loads_once_and_highlights_the_lines(qtbot):
    lines = "".join(f"line {i}\n" for i in range(1, 301))
    bridge, view = make(qtbot, {("r", "big.txt"): lines})
    with qtbot.waitSignal(view.rangeShown) as sig:
        view.show_range("r", "big.txt", 200, 203)
    assert sig.args == ["r", "big.txt", 200, 203]
    assert view.highlighted_range() == (200, 203)
    (selection,) = view.editor.extraSelections()
    assert selection.cursor.selectedText().replace("\u2029", "\n") == "line 200\nline 201\nline 202\nline 203"
    first = view.editor.firstVisibleBlock().blockNumber() + 1
    assert first > 150 and first <= 200  # scrolled to the range
    assert view.editor.isReadOnly()
    view.show_range("r", "big.txt", 2, 2)
    assert bridge.called("readSource") == [("r", "big.txt")]  # cached
    assert view.highlighted_range() == (2, 2)
    view.show_range("r", "big.txt", 290, 999)  # a stale range is clamped, not an error
    assert view.highlighted_range() == (290, 300)


def test_late_answer_for_another_file_does_not_replace_the_current_one(qtbot):
    bridge, view = make(qtbot, None)
    view.show_range("r", "a.py", 1, 1)
    view.show_range("r", "b.py", 1, 1)
    bridge.sourceLoaded.emit("r", "a.py", "a = 1\n")
    assert view.current_path() is None
    bridge.sourceLoaded.emit("r", "b.py", "b = 2\n")
    assert view.current_path() == ("r", "b.py") and view.editor.toPlainText() == "b = 2\n"


def test_source_text_is_never_html(qtbot):
    evil = '<img src=x onerror=alert(1)>\n<b>bold</b>\n'
    bridge, view = make(qtbot, {("r", "page.html"): evil})
    view.show_range("r", "page.html", 1, 2)
    assert view.editor.toPlainText() == evil
    html = view.editor.document().toHtml()
    assert "<img" not in html and "&lt;img src=x" in html


def formats_of(view, line):
    block = view.editor.document().findBlockByNumber(line - 1)
    # copies: the FormatRange list is a temporary that takes its formats with it
    return [(r.start, r.length, QTextCharFormat(r.format)) for r in block.layout().formats()]


def test_python_is_coloured_with_several_formats(qtbot):
    bridge, view = make(qtbot, {("r", "cart.py"): PY})
    view.show_range("r", "cart.py", 4, 5)
    formats = formats_of(view, 4) + formats_of(view, 7)
    colours = {f.foreground().color().name() for _, _, f in formats}
    assert len(colours) >= 2, colours
    keyword = next(f for s, n, f in formats_of(view, 4) if s == 0)  # "class"
    assert n_chars(formats_of(view, 4)) >= len("class")
    assert keyword.fontWeight() > 400
    comment = [f for s, n, f in formats_of(view, 7) if f.fontItalic()]
    assert comment  # "# one more"


def n_chars(formats):
    return sum(n for _, n, _ in formats)


def test_unknown_file_types_fall_back_to_plain_text():
    assert lexer_for("README.unknownext").name == "Text only"
    assert lexer_for("x.py").name == "Python"


def test_colours_follow_a_dark_palette(qtbot):
    bridge, view = make(qtbot, {("r", "cart.py"): PY})
    view.show_range("r", "cart.py", 1, 1)
    light = formats_of(view, 4)[0][2].foreground().color().lightness()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#dddddd"))
    view.editor.setPalette(dark)
    view.setPalette(dark)
    qtbot.waitUntil(lambda: formats_of(view, 4)[0][2].foreground().color().lightness() != light)
    assert formats_of(view, 4)[0][2].foreground().color().lightness() > 128


def test_a_file_missing_from_the_index_says_so_instead_of_loading_forever(qtbot):
    bridge, view = make(qtbot, {("shop", "cart.py"): PY})
    view.show_range("shop", "gone.py", 1, 2)
    assert view._title.text() == "gone.py is not in the index of shop."
    assert view.current_path() is None
