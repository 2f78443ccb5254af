"""A read-only source viewer: line numbers, pygments colouring, a highlighted line range.

Source text comes from the indexed repository, so it is only ever set with
``setPlainText``; nothing in a file can become live HTML.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPainter, QPalette, QSyntaxHighlighter,
                           QTextCharFormat, QTextCursor, QTextFormat)
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.token import Token
from pygments.util import ClassNotFound

# Hues per token family; lightness is chosen from the palette so light and dark both read well.
_HUES = {
    Token.Keyword: (280, 160),
    Token.Name.Builtin: (200, 160),
    Token.Name.Function: (210, 200),
    Token.Name.Class: (30, 200),
    Token.Name.Decorator: (40, 160),
    Token.Literal.String: (120, 150),
    Token.Literal.Number: (15, 170),
    Token.Comment: (0, 0),
    Token.Operator.Word: (280, 160),
}


def lexer_for(path: str):
    """The pygments lexer for a file name, or plain text when pygments knows none."""
    options = {"stripnl": False, "stripall": False, "ensurenl": False}
    try:
        return get_lexer_for_filename(path, **options)
    except ClassNotFound:
        return TextLexer(**options)


class PygmentsHighlighter(QSyntaxHighlighter):
    """Colours each block with a pygments lexer; formats derive from the widget's palette.

    Lexing block by block loses multi-line state (a triple-quoted string spanning
    lines is coloured line by line), a price paid for never lexing the whole file
    on each keystroke-free rehighlight of a large file.
    """

    def __init__(self, document, palette: QPalette):
        super().__init__(document)
        self._lexer = TextLexer(stripnl=False)
        self._formats: dict = {}
        self.set_palette(palette)

    def set_lexer(self, lexer) -> None:
        """Use ``lexer`` for the document and recolour it."""
        self._lexer = lexer
        self.rehighlight()

    def set_palette(self, palette: QPalette) -> None:
        """Derive the token colours from ``palette`` (dark base → light colours)."""
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        lightness = 175 if dark else 85
        self._formats = {}
        for token, (hue, saturation) in _HUES.items():
            fmt = QTextCharFormat()
            if token is Token.Comment:
                fmt.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
                fmt.setFontItalic(True)
            else:
                fmt.setForeground(QColor.fromHsl(hue, saturation, lightness))
            if token in (Token.Keyword, Token.Name.Class):
                fmt.setFontWeight(QFont.Weight.Bold)
            self._formats[token] = fmt
        self.rehighlight()

    def _format_for(self, token) -> QTextCharFormat | None:
        while token is not None:
            if token in self._formats:
                return self._formats[token]
            token = token.parent
        return None

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Apply the format of each pygments token of this line."""
        pos = 0
        for token, value in self._lexer.get_tokens(text):
            fmt = self._format_for(token)
            if fmt is not None and value:
                self.setFormat(pos, len(value), fmt)
            pos += len(value)


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


class SourceView(QWidget):
    """Shows one repository file and highlights a line range; the text is loaded through the bridge."""

    rangeShown = Signal(str, str, int, int)  # (repo, path, start_line, end_line), once the text is on screen

    def __init__(self, bridge, parent=None):
        super().__init__(parent)
        self._bridge = bridge
        self._cache: dict[tuple[str, str], str] = {}
        self._pending: tuple[str, str, int, int] | None = None
        self._shown: tuple[str, str] | None = None
        self._range: tuple[int, int] | None = None
        self._title = QLabel(self.tr("No file open"), self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)  # a path is data, never markup
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = CodeEditor(self)
        self.highlighter = PygmentsHighlighter(self.editor.document(), self.editor.palette())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self.editor)
        bridge.sourceLoaded.connect(self._on_source_loaded)
        bridge.sourceFailed.connect(self._on_source_failed)

    def current_path(self) -> tuple[str, str] | None:
        """(repo, path) of the file on screen, or None."""
        return self._shown

    def highlighted_range(self) -> tuple[int, int] | None:
        """The highlighted (start_line, end_line), 1-based inclusive."""
        return self._range

    def show_range(self, repo: str, path: str, start: int, end: int) -> None:
        """Show ``path`` of ``repo`` with lines start..end highlighted; loads the file if needed."""
        self._pending = (repo, path, start, end)
        if (repo, path) in self._cache:
            self._display()
        else:
            self._title.setText(self.tr("Loading %1…").replace("%1", path))
            self._bridge.call("readSource", repo, path)  # runs in the bridge thread

    def _on_source_loaded(self, repo: str, path: str, text: str) -> None:
        self._cache[(repo, path)] = text
        if self._pending and self._pending[:2] == (repo, path):
            self._display()

    def _on_source_failed(self, repo: str, path: str, why: str) -> None:
        if self._pending and self._pending[:2] == (repo, path):
            self._title.setText(why)  # instead of "Loading…" forever

    def _display(self) -> None:
        repo, path, start, end = self._pending
        if self._shown != (repo, path):
            self.editor.setPlainText(self._cache[(repo, path)])
            self.highlighter.set_lexer(lexer_for(path))
            self._shown = (repo, path)
        self._title.setText(f"{repo}: {path}  ({start}–{end})")
        self._highlight(start, end)
        self.rangeShown.emit(repo, path, start, end)

    def _highlight(self, start: int, end: int) -> None:
        doc = self.editor.document()
        lines = doc.blockCount()
        if lines > 1 and not doc.lastBlock().text():
            lines -= 1  # a file's final newline opens an empty block that is no line of the file
        start = max(1, min(start, lines))
        end = max(start, min(end, lines))
        self._range = (start, end)
        cursor = QTextCursor(doc.findBlockByNumber(start - 1))
        last = doc.findBlockByNumber(end - 1)
        cursor.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlpha(60)  # translucent so the syntax colours stay readable
        selection.format.setBackground(colour)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = cursor
        self.editor.setExtraSelections([selection])
        # Put the start near the top: scroll to the end of the file first, then back to the start.
        self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self.editor.setTextCursor(QTextCursor(doc.findBlockByNumber(max(0, start - 3))))
        self.editor.setTextCursor(QTextCursor(doc.findBlockByNumber(start - 1)))

    def changeEvent(self, event) -> None:  # noqa: N802
        """Recolour when the system switches between light and dark."""
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.editor.palette())
        super().changeEvent(event)
