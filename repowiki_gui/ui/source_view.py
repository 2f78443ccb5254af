"""The source view: line numbers, syntax colours, a highlighted line range, find (Ctrl+F) and go to line (Ctrl+G).

Source text comes from the indexed repository, so it is only ever set with
``setPlainText``; nothing in a file can become live HTML.  A large file is
shown at once and coloured a moment later: pygments runs in a short-lived
thread (``source_style.py``), and the UI thread only applies its runs.
``SourceBrowser`` (``source_tree.py``) puts the view beside the repository's file tree.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from functools import partial

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QIntValidator, QKeySequence, QPainter, QPalette,
                           QShortcut, QSyntaxHighlighter, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QSizePolicy, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from pygments.token import Token

from .pyside_fixes import emit
from .source_style import FAMILIES, iter_line_runs, lexer_for  # noqa: F401 (lexer_for: callers' and tests' name)

SYNC_STYLE_CHARS = 8_000   # a file this small is coloured at once (a few ms); a larger one between events
STYLE_SLICE_S = 0.008      # lexing time per turn of the event loop for a larger file
CACHED_FILES = 32          # texts (and their colours) kept, so going back to a file reads nothing again
RECOLOUR_SLICE = 250      # lines recoloured per turn of the event loop (~5 ms)
MAX_FIND_MARKS = 2_000     # matches marked in the text; the count still says how many there are


class RunHighlighter(QSyntaxHighlighter):
    """Applies precomputed runs (``source_style``) block by block; formats derive from the widget's palette."""

    finished = Signal()   # every line has the colours of the runs last set

    def __init__(self, document, palette: QPalette):
        super().__init__(document)
        self._runs: list | None = None
        self._todo = None
        self._formats: list[QTextCharFormat] = []
        self.set_palette(palette)

    def set_runs(self, runs: list | None, first_line: int = 0) -> None:
        """Colour the document with ``runs`` (one tuple per line), or not at all with None.

        The lines are recoloured a slice at a time from ``first_line`` (the top of the view) on,
        so a large file never holds the event loop for long; None applies to the next text set.
        """
        self._runs = runs
        self._todo = None
        if runs is None:
            return
        count = self.document().blockCount()
        first_line = max(0, min(first_line, count - 1))
        self._todo = iter(list(range(first_line, count)) + list(range(0, first_line)))
        self._apply_slice()

    def runs(self) -> list | None:
        return self._runs

    def extend(self, lines: list) -> None:
        """Append the runs of the next lines (lexed since) and colour those lines now."""
        if self._runs is None:
            self._runs = []
        doc, first = self.document(), len(self._runs)
        self._runs.extend(lines)
        for line in range(first, min(len(self._runs), doc.blockCount())):
            self.rehighlightBlock(doc.findBlockByNumber(line))

    def pending(self) -> bool:
        """Lines still to be coloured with the current runs."""
        return self._todo is not None

    def _apply_slice(self) -> None:
        todo, doc = self._todo, self.document()
        if todo is None:
            return
        for _ in range(RECOLOUR_SLICE):
            line = next(todo, None)
            if line is None:
                self._todo = None
                self.finished.emit()
                return
            self.rehighlightBlock(doc.findBlockByNumber(line))
        QTimer.singleShot(0, self._apply_slice)

    def has_runs(self) -> bool:
        return self._runs is not None

    def set_palette(self, palette: QPalette) -> None:
        """Derive the token colours from ``palette`` (dark base → light colours)."""
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        lightness = 175 if dark else 85
        self._formats = []
        for token, (hue, saturation) in FAMILIES:
            fmt = QTextCharFormat()
            if token is Token.Comment:   # the palette's quiet colour, in italics
                fmt.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
                fmt.setFontItalic(True)
            else:
                fmt.setForeground(QColor.fromHsl(hue, saturation, lightness))
            if token in (Token.Keyword, Token.Name.Class):
                fmt.setFontWeight(QFont.Weight.Bold)
            self._formats.append(fmt)
        if self._runs is not None:
            self.set_runs(self._runs)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Apply this line's runs."""
        runs = self._runs
        line = self.currentBlock().blockNumber()
        if runs is None or line >= len(runs):
            return
        row, formats = runs[line], self._formats
        for i in range(0, len(row), 3):
            self.setFormat(row[i], row[i + 1], formats[row[i + 2]])


class _LineNumbers(QWidget):
    """The gutter; painting is delegated to the editor, which knows the block geometry."""

    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802
        self._editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A read-only monospace plain-text view with a line number gutter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._gutter = _LineNumbers(self)
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._on_update_request)
        self._update_margins()

    def gutter_width(self) -> int:
        """Room for the largest line number plus padding."""
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event) -> None:
        """Paint the numbers of the visible blocks."""
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), self.palette().color(QPalette.ColorRole.AlternateBase))
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                painter.drawText(0, top, self._gutter.width() - 5, height,
                                 Qt.AlignmentFlag.AlignRight, str(block.blockNumber() + 1))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()




class FindBar(QWidget):
    """Find in file (next, previous, how many) and go to line; hidden until Ctrl+F or Ctrl+G."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.find_edit = QLineEdit(self)
        self.find_edit.setPlaceholderText(self.tr("Find in file"))
        self.find_edit.setClearButtonEnabled(True)
        self.prev_button = QToolButton(self)
        self.prev_button.setText("↑")
        self.prev_button.setToolTip(self.tr("Previous match (Shift+Enter, Shift+F3)"))
        self.next_button = QToolButton(self)
        self.next_button.setText("↓")
        self.next_button.setToolTip(self.tr("Next match (Enter, F3)"))
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.goto_edit = QLineEdit(self)
        self.goto_edit.setPlaceholderText(self.tr("Go to line"))
        self.goto_edit.setToolTip(self.tr("Type a line number and press Enter (Ctrl+G)"))
        self.goto_edit.setValidator(QIntValidator(1, 10_000_000, self.goto_edit))
        self.goto_edit.setMaximumWidth(110)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setToolTip(self.tr("Close (Esc)"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.find_edit, self.prev_button, self.next_button, self.count_label):
            row.addWidget(w)
        row.addStretch(0)
        row.addWidget(self.goto_edit)
        row.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)


class SourceView(QWidget):
    """Shows one repository file, highlights a line range; the text is loaded through the bridge."""

    rangeShown = Signal(str, str, int, int)      # (repo, path, start_line, end_line), once the text is on screen
    rangeRequested = Signal(str, str, int, int)  # show_range/show_file was called: the window brings the view forward
    styled = Signal(str, str)                    # (repo, path): the file on screen has its colours

    def __init__(self, bridge, parent=None):
        super().__init__(parent)
        self._bridge = bridge
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._runs: dict[tuple[str, str], list] = {}
        self._pending: tuple[str, str, int, int] | None = None
        self._shown: tuple[str, str] | None = None
        self._range: tuple[int, int] | None = None
        self._generation = 0   # bumped per file shown: a pending styling step of the previous file stops
        self._styler = None    # the lazy lexer of the file on screen, until it is coloured
        self._find_marks: list[QTextEdit.ExtraSelection] = []
        self._title = QLabel(self.tr("No file open: pick one in the tree, or follow a citation or a search result"),
                             self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)  # a path is data, never markup
        # A long path or hint is cut at the pane's edge rather than widening the window.
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = CodeEditor(self)
        self.highlighter = RunHighlighter(self.editor.document(), self.editor.palette())
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self.editor)
        layout.addWidget(self.find_bar)
        self._shortcuts()
        self.find_bar.find_edit.textChanged.connect(self._on_find_text)
        self.find_bar.find_edit.returnPressed.connect(self._on_find_return)
        self.find_bar.next_button.clicked.connect(lambda: self.find_next())
        self.find_bar.prev_button.clicked.connect(lambda: self.find_next(backwards=True))
        self.find_bar.goto_edit.returnPressed.connect(self._on_goto_return)
        self.highlighter.finished.connect(self._on_coloured)
        bridge.sourceLoaded.connect(self._on_source_loaded)
        bridge.sourceFailed.connect(self._on_source_failed)

    def _shortcuts(self) -> None:
        """Keys of the view (whatsThis names them in Help ▸ Keyboard shortcuts)."""
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, what, slot in ((QKeySequence.StandardKey.Find, self.tr("Find in file"), self.open_find),
                                 (QKeySequence("Ctrl+G"), self.tr("Go to line"), self.open_goto),
                                 (QKeySequence("F3"), self.tr("Next match"), lambda: self.find_next()),
                                 (QKeySequence("Shift+F3"), self.tr("Previous match"),
                                  lambda: self.find_next(backwards=True))):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(context)
            shortcut.setWhatsThis(what)
            shortcut.activated.connect(slot)

    # --- what is on screen ------------------------------------------------------------
    def current_path(self) -> tuple[str, str] | None:
        """(repo, path) of the file on screen, or None."""
        return self._shown

    def highlighted_range(self) -> tuple[int, int] | None:
        """The highlighted (start_line, end_line), 1-based inclusive; None when a file is shown without one."""
        return self._range

    def current_line(self) -> int:
        """The 1-based line of the cursor."""
        return self.editor.textCursor().blockNumber() + 1

    def is_styled(self) -> bool:
        """The file on screen has all its colours (a large file gets them a moment after the text)."""
        return self._styler is None and self.highlighter.has_runs() and not self.highlighter.pending()

    # --- opening ------------------------------------------------------------------------
    def show_range(self, repo: str, path: str, start: int, end: int) -> None:
        """Show ``path`` of ``repo`` with lines start..end highlighted; loads the file if needed."""
        self._open(repo, path, start, end)

    def show_file(self, repo: str, path: str, line: int = 1) -> None:
        """Show ``path`` of ``repo`` with the cursor on ``line`` and no range highlighted."""
        self._open(repo, path, line, 0)

    def _open(self, repo: str, path: str, start: int, end: int) -> None:
        self._pending = (repo, path, start, end)
        emit(self.rangeRequested, repo, path, start, end)
        if (repo, path) in self._cache:
            self._cache.move_to_end((repo, path))
            self._display()
        else:
            self._title.setText(self.tr("Loading %1…").replace("%1", path))
            self._bridge.call("readSource", repo, path)  # runs in the bridge thread

    def _on_source_loaded(self, repo: str, path: str, text: str) -> None:
        self._cache[(repo, path)] = text
        self._runs.pop((repo, path), None)   # a re-read file may have changed
        while len(self._cache) > CACHED_FILES:
            old, _ = self._cache.popitem(last=False)
            self._runs.pop(old, None)
        if self._pending and self._pending[:2] == (repo, path):
            self._display()

    def _on_source_failed(self, repo: str, path: str, why: str) -> None:
        if self._pending and self._pending[:2] == (repo, path):
            self._title.setText(why)  # instead of "Loading…" forever

    def _display(self) -> None:
        repo, path, start, end = self._pending
        new_file = self._shown != (repo, path)
        if new_file:
            self._generation += 1
            self._styler = None
            self.highlighter.set_runs(None)   # no colours of the previous file on this one's lines
            self.editor.setPlainText(self._cache[(repo, path)])
            self._shown = (repo, path)
            if self.find_bar.isVisible() and self.find_bar.find_edit.text():
                self._mark_matches(self.find_bar.find_edit.text())
        if end:
            self._title.setText(f"{repo}: {path}  ({start}–{end})")
            self._highlight(start, end)
        else:
            self._title.setText(f"{repo}: {path}")
            self._range = None
            self._apply_selections()
            self.goto_line(start)
        if new_file:   # after scrolling: known colours are applied from the lines on screen outwards
            self._style(repo, path, self._cache[(repo, path)])
        self.rangeShown.emit(repo, path, *(self._range or (start, start)))

    # --- colours ---------------------------------------------------------------------
    def _style(self, repo: str, path: str, text: str) -> None:
        if (repo, path) in self._runs:   # known colours: applied a slice at a time from the top of the view
            self._styler = None
            self.highlighter.set_runs(self._runs[(repo, path)], self.editor.firstVisibleBlock().blockNumber())
            return
        self._styler = iter_line_runs(path, text)
        self.highlighter.set_runs([])
        if len(text) <= SYNC_STYLE_CHARS:
            self._style_step(self._generation, budget_s=None)
        else:   # after this event: the text is on screen first
            QTimer.singleShot(0, partial(self._style_step, self._generation))

    def _style_step(self, generation: int, budget_s: float | None = STYLE_SLICE_S) -> None:
        """Lex for about ``budget_s`` (all of it with None), colour the lines done, and come back later."""
        if generation != self._generation or self._styler is None:
            return   # another file is on screen now
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        batch, done = [], True
        for runs in self._styler:
            batch.append(runs)
            if deadline is not None and len(batch) % 16 == 0 and time.perf_counter() > deadline:
                done = False
                break
        self.highlighter.extend(batch)
        if not done:
            QTimer.singleShot(0, partial(self._style_step, generation))
            return
        self._styler = None
        self._runs[self._shown] = self.highlighter.runs()
        self._on_coloured()

    @Slot()
    def _on_coloured(self) -> None:
        if self._shown is not None and self._styler is None:
            emit(self.styled, *self._shown)

    # --- the highlighted range and going to a line ------------------------------------------
    def _line_count(self) -> int:
        doc = self.editor.document()
        lines = doc.blockCount()
        if lines > 1 and not doc.lastBlock().text():
            lines -= 1  # a file's final newline opens an empty block that is no line of the file
        return lines

    def _highlight(self, start: int, end: int) -> None:
        doc = self.editor.document()
        lines = self._line_count()
        start = max(1, min(start, lines))
        end = max(start, min(end, lines))
        self._range = (start, end)
        self._apply_selections()
        self.goto_line(start)

    def _range_selection(self) -> list[QTextEdit.ExtraSelection]:
        if self._range is None:
            return []
        doc = self.editor.document()
        start, end = self._range
        cursor = QTextCursor(doc.findBlockByNumber(start - 1))
        last = doc.findBlockByNumber(end - 1)
        cursor.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlpha(60)  # translucent so the syntax colours stay readable
        selection.format.setBackground(colour)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = cursor
        return [selection]

    def _apply_selections(self) -> None:
        self.editor.setExtraSelections(self._range_selection() + self._find_marks)

    def goto_line(self, line: int) -> int:
        """Put the cursor on ``line`` (clamped) with it near the top of the view; the line it went to."""
        doc = self.editor.document()
        line = max(1, min(int(line), self._line_count()))
        # Scroll to the end first, then back: the line lands near the top rather than at the bottom.
        self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self.editor.setTextCursor(QTextCursor(doc.findBlockByNumber(max(0, line - 3))))
        self.editor.setTextCursor(QTextCursor(doc.findBlockByNumber(line - 1)))
        return line

    # --- find and go to line ---------------------------------------------------------------
    def open_find(self) -> None:
        """Show the find bar with the selected text (if any) and focus it."""
        selected = self.editor.textCursor().selectedText()
        self.find_bar.show()
        if selected and "\u2029" not in selected:
            self.find_bar.find_edit.setText(selected)
        self.find_bar.find_edit.setFocus()
        self.find_bar.find_edit.selectAll()

    def open_goto(self) -> None:
        """Show the bar and focus its line box."""
        self.find_bar.show()
        self.find_bar.goto_edit.setFocus()
        self.find_bar.goto_edit.selectAll()

    def find_next(self, backwards: bool = False) -> bool:
        """Select the next (or previous) match of the find box's text, wrapping around; False if none."""
        needle = self.find_bar.find_edit.text()
        if not needle:
            return False
        doc = self.editor.document()
        flags = QTextDocument.FindFlag.FindBackward if backwards else QTextDocument.FindFlag(0)
        found = doc.find(needle, self.editor.textCursor(), flags)
        if found.isNull():   # wrap around
            wrap = QTextCursor(doc)
            if backwards:
                wrap.movePosition(QTextCursor.MoveOperation.End)
            found = doc.find(needle, wrap, flags)
        if found.isNull():
            return False
        self.editor.setTextCursor(found)
        self.editor.centerCursor()
        return True

    def match_count(self) -> int:
        """How many times the find box's text occurs (case-insensitive)."""
        needle = self.find_bar.find_edit.text().lower()
        return self.editor.toPlainText().lower().count(needle) if needle else 0

    def _on_find_text(self, text: str) -> None:
        self._mark_matches(text)
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionStart())   # search again from where the last match began
        self.editor.setTextCursor(cursor)
        if text and not self.find_next():
            self.find_bar.count_label.setText(self.tr("not found"))

    def _on_find_return(self) -> None:
        from PySide6.QtWidgets import QApplication

        backwards = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.find_next(backwards=backwards)

    def _mark_matches(self, needle: str) -> None:
        self._find_marks = []
        count = self.match_count()
        doc = self.editor.document()
        cursor = QTextCursor(doc)
        colour = QColor(self.palette().color(QPalette.ColorRole.Link))
        colour.setAlpha(70)
        while needle and len(self._find_marks) < MAX_FIND_MARKS:
            cursor = doc.find(needle, cursor)
            if cursor.isNull():
                break
            mark = QTextEdit.ExtraSelection()
            mark.format.setBackground(colour)
            mark.cursor = cursor
            self._find_marks.append(mark)
        self.find_bar.count_label.setText((f"{count} match" + ("es" if count != 1 else "")) if needle else "")
        self._apply_selections()

    def _on_goto_return(self) -> None:
        text = self.find_bar.goto_edit.text()
        if text.isdigit() and self._shown is not None:
            self.goto_line(int(text))
            self.editor.setFocus()

    def changeEvent(self, event) -> None:  # noqa: N802
        """Recolour when the system switches between light and dark."""
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.editor.palette())
        super().changeEvent(event)
