"""Code written into a QTextDocument: one shaded block per line, coloured by pygments token by token.

The shade and the pygments style follow the palette (a dark style on a dark
palette), so code reads in either; the transcript uses it for an answer's
fenced blocks and for a source's lines unfolded under it.
"""
from __future__ import annotations

from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor,
                           QTextFormat)

LIGHT_STYLE, DARK_STYLE = "default", "github-dark"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def code_background(palette: QPalette) -> QColor:
    """A shade off the text background, darker on a light palette and lighter on a dark one."""
    base = palette.color(QPalette.ColorRole.Base)
    return base.lighter(135) if is_dark(palette) else base.darker(106)


def lexer_for(lang: str = "", path: str = ""):
    try:
        if lang:
            return get_lexer_by_name(lang, stripnl=False)
        if path:
            return get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        pass
    return TextLexer(stripnl=False)


class CodeWriter:
    """Writes code as blocks on a shaded background, coloured by pygments with the palette's style."""

    def __init__(self, palette: QPalette):
        self.palette = palette
        self.style = get_style_by_name(DARK_STYLE if is_dark(palette) else LIGHT_STYLE)
        self.font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.background = code_background(palette)
        self._formats: dict = {}

    def char_format(self, token=None) -> QTextCharFormat:
        """The plain code format (a fresh copy), or the cached one of a pygments token."""
        if token is not None and token in self._formats:
            return self._formats[token]
        fmt = QTextCharFormat()
        fmt.setFontFamilies([self.font.family()])
        fmt.setFontFixedPitch(True)
        fmt.setForeground(self.palette.color(QPalette.ColorRole.Text))
        if token is None:
            return fmt
        style = self.style.style_for_token(token)
        if style["color"]:
            fmt.setForeground(QColor("#" + style["color"]))
        fmt.setFontWeight(QFont.Weight.Bold if style["bold"] else QFont.Weight.Normal)
        fmt.setFontItalic(bool(style["italic"]))
        self._formats[token] = fmt
        return fmt

    def block_format(self, first: bool, last: bool, marker: str = "") -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setBackground(self.background)
        fmt.setNonBreakableLines(True)
        fmt.setLeftMargin(6)
        fmt.setTopMargin(6 if first else 0)
        fmt.setBottomMargin(6 if last else 0)
        if marker:   # lets the transcript find (and remove) the blocks it inserted
            fmt.setProperty(QTextFormat.Property.UserProperty, marker)
        return fmt

    def write(self, cursor: QTextCursor, code: str, lexer, fresh: bool, marker: str = "",
              first_line: int = 0) -> None:
        """Code from the cursor on, one block per line; ``first_line`` > 0 numbers the lines."""
        lines = code.rstrip("\n").split("\n")
        number_fmt = self.char_format()
        number_fmt.setForeground(self.palette.color(QPalette.ColorRole.PlaceholderText))
        width = len(str(first_line + len(lines) - 1)) if first_line else 0
        tokens = iter(_token_lines(code, lexer))
        for row, _line in enumerate(lines):
            fmt = self.block_format(row == 0, row == len(lines) - 1, marker)
            if fresh and row == 0:
                cursor.setBlockFormat(fmt)
            else:
                cursor.insertBlock(fmt, self.char_format())
            if first_line:
                cursor.insertText(f"{first_line + row:>{width}}  ", number_fmt)
            for token, text in next(tokens, []):
                cursor.insertText(text, self.char_format(token))


def _token_lines(code: str, lexer) -> list[list[tuple]]:
    """Pygments tokens of ``code`` cut at its line ends: one list of (token, text) per line."""
    lines: list[list[tuple]] = [[]]
    for token, text in lexer.get_tokens(code):
        for i, piece in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((token, piece))
    return lines
