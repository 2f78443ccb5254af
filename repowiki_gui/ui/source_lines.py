"""A source's lines unfolded under it in the transcript: blocks found, written and removed by a marker.

Each unfolded line is a block whose format carries the marker ``lines:<turn>:<n>``
(a user property), so the transcript can find and remove exactly what it inserted
while the rest of the document (an answer streaming below) goes on changing.
"""
from __future__ import annotations

from PySide6.QtGui import QPalette, QTextBlock, QTextCharFormat, QTextCursor, QTextFormat

from .code_blocks import CodeWriter, lexer_for

EXCERPT_LINES = 60    # a source's lines unfolded in the transcript; the source view shows the rest


def marker_of(block: QTextBlock) -> str:
    """The marker a block carries ("" for every other block)."""
    if not block.isValid():
        return ""
    value = block.blockFormat().property(QTextFormat.Property.UserProperty)
    return value if isinstance(value, str) else ""


def toggle_block(document, href: str):
    """The block holding the link ``href`` and that link's fragment, or (None, None)."""
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid() and frag.charFormat().anchorHref() == href:
                return block, frag
            it += 1
        block = block.next()
    return None, None


def remove_lines(block: QTextBlock, marker: str) -> QTextCursor:
    """Remove the marked blocks right after ``block``; the cursor returned is at ``block``'s end."""
    last = block
    while marker_of(last.next()) == marker:
        last = last.next()
    cursor = QTextCursor(block.document())
    cursor.setPosition(block.position() + block.length() - 1)
    cursor.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    return cursor


def write_note(cursor: QTextCursor, text: str, marker: str, palette: QPalette, fmt: QTextCharFormat) -> None:
    """One marked block saying ``text`` (the lines are on their way, or why they cannot come)."""
    cursor.insertBlock(CodeWriter(palette).block_format(True, True, marker), fmt)
    cursor.insertText(text, fmt)


def write_lines(cursor: QTextCursor, ref: dict, text: str, marker: str, palette: QPalette,
                note_fmt: QTextCharFormat, more: str) -> None:
    """Lines start..end of the file ``text`` (EXCERPT_LINES at most), numbered and coloured; ``more``
    (its %1: the lines left out) ends a longer source."""
    code = CodeWriter(palette)
    lines = text.split("\n")
    start = max(1, int(ref["start_line"]))
    end = min(len(lines), int(ref["end_line"]), start + EXCERPT_LINES - 1)
    excerpt = "\n".join(lines[start - 1:end]) + "\n"
    code.write(cursor, excerpt, lexer_for(path=ref["path"]), fresh=False, marker=marker, first_line=start)
    if end < int(ref["end_line"]):
        cursor.insertBlock(code.block_format(False, True, marker), note_fmt)
        cursor.insertText(more.replace("%1", str(int(ref["end_line"]) - end)), note_fmt)
