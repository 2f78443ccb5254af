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


def big_python(lines: int) -> str:
    """A Python file of ``lines`` lines with a multi-line string, so whole-file lexing shows."""
    body = [f"def f{i}(x):  # step {i}\n    return x + {i}\n" for i in range(lines // 2 - 2)]
    return 'DOC = """first\nsecond"""\n' + "".join(body) + "# end\n"


def test_a_large_file_shows_its_text_at_once_and_its_colours_a_moment_later(qtbot):
    from repowiki_gui.ui import source_view

    text = big_python(2000)
    assert len(text) > source_view.SYNC_STYLE_CHARS
    bridge, view = make(qtbot, {("r", "big.py"): text})
    with qtbot.waitSignal(view.rangeShown):
        view.show_range("r", "big.py", 1500, 1502)
    assert view.editor.toPlainText() == text and view.highlighted_range() == (1500, 1502)
    assert not view.is_styled()   # the lexing goes on between events, not before the text shows
    with qtbot.waitSignal(view.styled, timeout=20_000) as sig:
        pass
    assert sig.args == ["r", "big.py"] and view.is_styled()
    assert any(f.fontItalic() for _, _, f in formats_of(view, 1501))   # "# step ..." on a line far down
    # "second""" is inside the string that began on line 1: the whole file was lexed, not line by line
    string_colour = formats_of(view, 1)[-1][2].foreground().color().name()
    assert formats_of(view, 2)[0][2].foreground().color().name() == string_colour


def test_opening_another_file_while_one_is_coloured_colours_the_new_one_only(qtbot):
    bridge, view = make(qtbot, {("r", "big.py"): big_python(2000), ("r", "notes.txt"): "plain words\n" * 50})
    view.show_range("r", "big.py", 1, 1)
    view.show_range("r", "notes.txt", 2, 2)
    assert view.current_path() == ("r", "notes.txt")
    qtbot.waitUntil(view.is_styled)
    qtbot.wait(50)   # a stale lexing step of big.py would run here
    assert formats_of(view, 1) == [] and view.editor.toPlainText().startswith("plain words")
    view.show_range("r", "big.py", 3, 3)   # known text: shown from the cache, coloured again
    qtbot.waitUntil(view.is_styled, timeout=20_000)
    assert formats_of(view, 3)
    assert bridge.called("readSource") == [("r", "big.py"), ("r", "notes.txt")]


def shown_active(qtbot, view):
    """Shortcuts answer only in the active window."""
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)


def test_find_in_file_marks_matches_and_steps_through_them(qtbot):
    from PySide6.QtCore import Qt

    text = "".join(f"line {i} {'needle' if i % 10 == 0 else 'hay'}\n" for i in range(1, 101))
    bridge, view = make(qtbot, {("r", "f.txt"): text})
    shown_active(qtbot, view)
    view.show_range("r", "f.txt", 1, 1)
    assert view.find_bar.isHidden()
    view.editor.setFocus()
    qtbot.keyClick(view.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.isVisible() and view.find_bar.find_edit.hasFocus()
    qtbot.keyClicks(view.find_bar.find_edit, "NEEDLE")   # case-insensitive
    assert view.match_count() == 10 and view.find_bar.count_label.text() == "10 matches"
    assert view.current_line() == 10
    assert len([s for s in view.editor.extraSelections() if s.cursor.selectedText().lower() == "needle"]) == 10
    qtbot.keyClick(view.find_bar.find_edit, Qt.Key.Key_Return)
    assert view.current_line() == 20
    qtbot.keyClick(view.find_bar.find_edit, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_line() == 10
    view.find_next(backwards=True)   # wraps to the last one
    assert view.current_line() == 100
    view.find_next()
    assert view.current_line() == 10
    qtbot.keyClick(view.find_bar.find_edit, Qt.Key.Key_Escape)
    assert view.find_bar.isHidden()
    view.find_bar.find_edit.setText("absent")
    assert view.find_bar.count_label.text() == "not found"


def test_go_to_line_moves_the_cursor_and_clamps(qtbot):
    from PySide6.QtCore import Qt

    text = "".join(f"row {i}\n" for i in range(1, 301))
    bridge, view = make(qtbot, {("r", "f.txt"): text})
    shown_active(qtbot, view)
    view.show_file("r", "f.txt")
    assert view.highlighted_range() is None and view.current_line() == 1
    view.editor.setFocus()
    qtbot.keyClick(view.editor, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.goto_edit.hasFocus()
    qtbot.keyClicks(view.find_bar.goto_edit, "250")
    qtbot.keyClick(view.find_bar.goto_edit, Qt.Key.Key_Return)
    assert view.current_line() == 250
    assert view.editor.textCursor().block().text() == "row 250"
    first = view.editor.firstVisibleBlock().blockNumber() + 1
    assert first <= 250 < first + 60   # on screen
    assert view.goto_line(99999) == 300 and view.current_line() == 300
