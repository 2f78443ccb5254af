"""An answer's Markdown written into the transcript's document with the palette's formats.

The answer comes from a model that read an untrusted repository. Python-Markdown
parses it with raw HTML and images switched off; its output is only read here,
tag by tag, against a short list (paragraphs, headings, lists, emphasis, code,
quotes, tables, links) and written through ``QTextCursor`` with explicit
formats: Qt's HTML reader never sees any of it. A link becomes a link only when
the transcript maps it to a source or a wiki page (``link_href``); any other URL
stays text. Fenced code is cut out first with core.markup's fences and written
by code_blocks.CodeWriter.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Callable

import markdown
from pygments.lexers import TextLexer
from PySide6.QtGui import (QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextFormat, QTextLength,
                           QTextListFormat, QTextTableFormat)

from ..core.markup import closes_fence, fence_opening, split_fences
from ..core.qa.answer import CITATION  # [3], [1, 2], each bracket of [1][2]; not x[1] (code)
from .code_blocks import CodeWriter, lexer_for

HEADING_SCALE = {1: 1.4, 2: 1.25, 3: 1.1}
# Tags between which Python-Markdown's line breaks are layout, not a space of the text
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre", "blockquote", "hr", "table", "thead",
           "tbody", "tr", "th", "td", "br"}
_LIST_ITEM = re.compile(r"^( +)(?:[-*+]|\d+[.)])[ \t]")
_TOP_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])(?:[ \t]|$)")
_BULLETS = (QTextListFormat.Style.ListDisc, QTextListFormat.Style.ListCircle, QTextListFormat.Style.ListSquare)


def answer_parser() -> markdown.Markdown:
    """Python-Markdown for answers: tables and lists; raw HTML is text, images are plain links."""
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    for name in ("image_link", "image_reference", "short_image_ref"):   # never load what a page names
        md.inlinePatterns.deregister(name)
    return md


def list_after_line(text: str) -> str:
    """A blank line before a list that follows a paragraph's line: CommonMark starts the list there
    (the answer's "From the sources:" does), Python-Markdown would keep it in the paragraph."""
    out: list[str] = []
    for line in text.split("\n"):
        previous = out[-1] if out else ""
        if _TOP_LIST_ITEM.match(line) and previous.strip() and not previous[0].isspace() \
                and not _TOP_LIST_ITEM.match(previous):
            out.append("")
        out.append(line)
    return "\n".join(out)


def widen_nesting(text: str) -> str:
    """Lists nested by two spaces (as models and CommonMark write them) get Python-Markdown's four."""
    lines = text.split("\n")
    if not any(m and len(m.group(1)) % 4 == 2 for m in map(_LIST_ITEM.match, lines)):
        return text
    return "\n".join(re.sub(r"^ +", lambda m: m.group(0) * 2, line) for line in lines)


def settled_length(text: str) -> int:
    """Where the last top-level block of a streaming answer begins: what comes before it is finished.

    A block begins on a complete line after a blank line (or a closing fence) that is neither
    indented nor a list item, so nothing written later can change how the text before it renders.
    """
    best, offset, fence, open_after = 0, 0, None, False
    lines = text.split("\n")
    for line in lines[:-1]:   # the last line may still be growing
        if fence is not None:
            if closes_fence(fence, line):
                fence, open_after = None, True
        else:
            if line.strip() and open_after and not line[0].isspace() and not _TOP_LIST_ITEM.match(line):
                best = offset
            fence = fence_opening(line)
            open_after = not line.strip()
        offset += len(line) + 1
    return best


def fence_left_open(text: str) -> bool:
    """Whether ``text`` ends inside a fenced block."""
    fence = None
    for line in text.split("\n"):
        if fence is None:
            fence = fence_opening(line)
        elif closes_fence(fence, line):
            fence = None
    return fence is not None


class AnswerWriter(HTMLParser):
    """Reads Python-Markdown's HTML of an answer and writes it at ``cursor`` (the document's end).

    ``link_href(href)`` is the transcript's href for a link the answer wrote (None: show it as
    text); ``cite_href(n)`` the one for citation [n] (None: no such source).
    """

    def __init__(self, cursor: QTextCursor, palette: QPalette, base: QTextCharFormat,
                 link_href: Callable[[str], str | None], cite_href: Callable[[int], str | None],
                 point_size: float, parser: markdown.Markdown | None = None):
        super().__init__(convert_charrefs=True)
        self.cursor, self.palette, self.base = cursor, palette, base
        self.link_href, self.cite_href = link_href, cite_href
        self.point_size = point_size if point_size > 0 else 10.0
        self.code = CodeWriter(palette)
        self.md = parser or answer_parser()
        self.fresh = True               # the current block is empty and may take the next block's format
        self.after_block = True         # the last tag read opened or closed a block
        self.bold = self.italic = self.inline_code = 0
        self.heading = 0
        self.quote = 0
        self.href: str | None = None    # the open link's transcript href
        self.external: str | None = None  # the open link's URL, written after its text
        self.lists: list[list] = []     # [QTextListFormat, QTextList | None] per open list
        self.items: list[bool] = []     # per open <li>: whether its first paragraph is written
        self.pre: list[str] | None = None
        self.table: list[list[tuple[str, bool]]] | None = None

    # --- entry -------------------------------------------------------------------------
    def write(self, text: str, growing: bool = False) -> None:
        """The whole answer: prose through Markdown, fenced code straight to pygments.

        ``growing``: the text is a streaming answer's tail; a code block still open at its end is
        written plain (colouring it again on every flush would cost more than a frame), and is
        coloured once its fence closes.
        """
        runs = split_fences(text)
        open_code = growing and runs and runs[-1][0] == "code" and fence_left_open(text)
        for i, (kind, body, lang) in enumerate(runs):
            if kind == "code":
                plain = open_code and i == len(runs) - 1
                self._code(body, TextLexer(stripnl=False) if plain else lexer_for(lang))
            elif body.strip():
                self.md.reset()
                self.feed(self.md.convert(widen_nesting(list_after_line(body))))
                self.close()

    # --- formats -----------------------------------------------------------------------
    def _char(self) -> QTextCharFormat:
        fmt = QTextCharFormat(self.base)
        if self.inline_code:
            fmt = self.code.char_format()
            fmt.setBackground(self.code.background)
        if self.bold or self.heading:
            fmt.setFontWeight(QFont.Weight.Bold)
        if self.italic:
            fmt.setFontItalic(True)
        if self.heading in HEADING_SCALE:
            fmt.setFontPointSize(self.point_size * HEADING_SCALE[self.heading])
        if self.quote:
            fmt.setForeground(self.palette.color(QPalette.ColorRole.PlaceholderText))
        if self.href:
            fmt.setAnchor(True)
            fmt.setAnchorHref(self.href)
            fmt.setForeground(self.palette.color(QPalette.ColorRole.Link))
            fmt.setFontUnderline(True)
        return fmt

    def _block(self, fmt: QTextBlockFormat | None = None) -> None:
        """Start a block (or reuse the current one while it is empty)."""
        fmt = fmt or QTextBlockFormat()
        if self.quote:
            fmt.setLeftMargin(fmt.leftMargin() + 18 * self.quote)
        if self.fresh:
            self.cursor.setBlockFormat(fmt)
        else:
            self.cursor.insertBlock(fmt, QTextCharFormat(self.base))
        self.fresh = True

    def _text(self, text: str) -> None:
        if not text:
            return
        self.fresh = False
        self.cursor.insertText(text, self._char())

    def _code(self, code: str, lexer) -> None:
        self.code.write(self.cursor, code, lexer, self.fresh)
        self.fresh = False
        self.cursor.insertBlock(QTextBlockFormat(), QTextCharFormat(self.base))
        self.fresh = True

    # --- the parser's events -------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.after_block = tag in _BLOCKS
        if self.pre is not None or (self.table is not None and tag not in ("tr", "th", "td")):
            return
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "code":
            self.inline_code += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.href = self.link_href(href)
            self.external = None if self.href else href
        elif tag == "br":
            self._text("\u2028")
        elif tag == "pre":
            self.pre = []
        elif tag in ("ul", "ol"):
            fmt = QTextListFormat()
            depth = len(self.lists)
            fmt.setStyle(QTextListFormat.Style.ListDecimal if tag == "ol" else _BULLETS[min(depth, 2)])
            fmt.setIndent(depth + 1)
            self.lists.append([fmt, None])
        elif tag == "li" and self.lists:
            self._block()
            level = self.lists[-1]
            if level[1] is None:
                level[1] = self.cursor.createList(level[0])
            else:
                level[1].add(self.cursor.block())
            self.items.append(False)
        elif tag == "p":
            if self.items and not self.items[-1]:
                self.items[-1] = True   # a loose list's first paragraph is the item's own block
                if self.fresh:
                    return
            fmt = QTextBlockFormat()
            if self.items:
                fmt.setIndent(len(self.lists))
            else:
                fmt.setBottomMargin(4)
            self._block(fmt)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            fmt = QTextBlockFormat()
            fmt.setTopMargin(6)
            fmt.setBottomMargin(2)
            self._block(fmt)
            self.heading = int(tag[1])
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "hr":
            fmt = QTextBlockFormat()
            fmt.setProperty(QTextFormat.Property.BlockTrailingHorizontalRulerWidth,
                            QTextLength(QTextLength.Type.PercentageLength, 100))
            self._block(fmt)
            self.fresh = False
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("th", "td") and self.table is not None and self.table:
            self.table[-1].append(("", tag == "th"))

    def handle_endtag(self, tag: str) -> None:
        self.after_block = tag in _BLOCKS
        if tag == "pre" and self.pre is not None:
            code, self.pre = "".join(self.pre), None
            self._code(code, TextLexer(stripnl=False))
        elif self.pre is not None:
            return
        elif tag == "table" and self.table is not None:
            rows, self.table = self.table, None
            self._table(rows)
        elif self.table is not None:
            return
        elif tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "code":
            self.inline_code = max(0, self.inline_code - 1)
        elif tag == "a":
            external, self.href, self.external = self.external, None, None
            if external:
                self._text(f" ({external})")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "li" and self.items:
            self.items.pop()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = 0
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)

    def handle_data(self, data: str) -> None:
        if self.pre is not None:
            self.pre.append(data)
            return
        if self.after_block and not data.strip():
            return
        text = re.sub(r"\s+", " ", data)
        if self.table is not None:
            if self.table and self.table[-1]:
                cell, header = self.table[-1][-1]
                self.table[-1][-1] = (cell + text, header)
            return
        if self.fresh:
            text = text.lstrip()
        if not text.strip() and self.fresh:
            return
        if self.inline_code or self.href or self.external is not None:
            self._text(text)
            return
        pos = 0
        for m in CITATION.finditer(text):   # [n] becomes a link to source n when it exists
            self._text(text[pos:m.start()])
            numbers = [int(x) for x in (m.group(1) or m.group(2)).split(",")]
            for i, n in enumerate(numbers):
                self.href = self.cite_href(n)
                self._text(("[" if i == 0 else "") + str(n) + ("]" if i == len(numbers) - 1 else ""))
                self.href = None
                if i < len(numbers) - 1:
                    self._text(", ")
            pos = m.end()
        self._text(text[pos:])

    def _table(self, rows: list[list[tuple[str, bool]]]) -> None:
        columns = max((len(r) for r in rows), default=0)
        if not rows or not columns:
            return
        if not self.fresh:
            self.cursor.insertBlock(QTextBlockFormat(), QTextCharFormat(self.base))
        fmt = QTextTableFormat()
        fmt.setBorder(1)
        fmt.setCellPadding(4)
        fmt.setCellSpacing(0)
        fmt.setBorderBrush(self.palette.color(QPalette.ColorRole.Mid))
        table = self.cursor.insertTable(len(rows), columns, fmt)
        for r, row in enumerate(rows):
            for c, (text, header) in enumerate(row):
                cell_fmt = QTextCharFormat(self.base)
                if header:
                    cell_fmt.setFontWeight(QFont.Weight.Bold)
                table.cellAt(r, c).firstCursorPosition().insertText(text.strip(), cell_fmt)
        self.cursor.setPosition(table.lastPosition() + 1)   # the empty block Qt keeps after a table
        self.fresh = True
