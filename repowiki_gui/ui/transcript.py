"""The chat transcript: questions, streamed answers, citations as links — all inserted as plain text.

Model and repository text is never parsed as HTML: every piece goes in through
``QTextCursor.insertText`` with an explicit ``QTextCharFormat``; links are
character formats with an anchor href, not markup.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser

from .widgets import document_anchors

# Same shape as core.qa.answer's citation pattern: [3], [1, 2], each bracket of [1][2]; not x[1] (code).
CITATION = re.compile(r"(?<![\w)\]'\"])\[(\d+(?:\s*,\s*\d+)*)\]|(?<=\])\[(\d+(?:\s*,\s*\d+)*)\]")
STREAM_FLUSH_MS = 50  # tokens arrive far faster than anyone reads; re-render at most 20 times a second


def reference_label(ref: dict) -> str:
    """``path:start-end (symbol)`` as the user sees a source."""
    label = f"{ref['path']}:{ref['start_line']}-{ref['end_line']}"
    if ref.get("kind") == "wiki":
        label = f"wiki {label}"   # a page of the generated wiki, not a file of the repository
    return f"{label} ({ref['symbol']})" if ref.get("symbol") else label


class Transcript(QTextBrowser):
    """Read-only transcript; clicking a citation emits ``referenceActivated(repo, reference)``."""

    referenceActivated = Signal(str, dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)  # hrefs are ours ("ref:…"); never navigate the document
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self._turns: list[dict] = []  # {"repo", "references"} per question, in document order
        self._answer_start: int | None = None
        self._pending = ""
        self._flush = QTimer(self, singleShot=True, interval=STREAM_FLUSH_MS, timeout=self._flush_stream)
        self.anchorClicked.connect(self.activate)

    # --- formats: built from the palette so light and dark both read well ----------
    def _fmt(self, role: str = "text") -> QTextCharFormat:
        pal = self.palette()
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Normal)
        if role == "speaker":
            fmt.setForeground(pal.color(QPalette.ColorRole.Link))
            fmt.setFontPointSize(self.font().pointSizeF() * 1.1)
        elif role == "note":
            fmt.setForeground(pal.color(QPalette.ColorRole.PlaceholderText))
            fmt.setFontItalic(True)
        elif role == "error":
            fmt.setForeground(pal.color(QPalette.ColorRole.BrightText))
            fmt.setBackground(pal.color(QPalette.ColorRole.Highlight))
        else:
            fmt.setForeground(pal.color(QPalette.ColorRole.Text))
        return fmt

    def _link(self, href: str) -> QTextCharFormat:
        fmt = self._fmt()
        fmt.setAnchor(True)
        fmt.setAnchorHref(href)
        fmt.setForeground(self.palette().color(QPalette.ColorRole.Link))
        fmt.setFontUnderline(True)
        return fmt

    def _end(self) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _put(self, text: str, fmt: QTextCharFormat) -> None:
        self._end().insertText(text, fmt)

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- building the transcript -------------------------------------------------
    def clear_turns(self) -> None:
        """Empty the transcript (a new or another conversation)."""
        self._flush.stop()
        self._pending, self._answer_start, self._turns = "", None, []
        self.document().clear()

    def begin_turn(self, repo: str, question: str) -> None:
        """Show the question and open the answer area that tokens stream into."""
        if not self.document().isEmpty():
            self._put("\n\n", self._fmt())
        self._put(self.tr("You") + "\n", self._fmt("speaker"))
        self._put(question + "\n\n", self._fmt())
        self._put(self.tr("RepoWiki") + "\n", self._fmt("speaker"))
        self._turns.append({"repo": repo, "references": []})
        self._answer_start = self._end().position()
        self._scroll_to_end()

    def show_sources(self, references: list[dict]) -> None:
        """Show the open answer's numbered sources now, above where its text will stream.

        They come before the model has read them: a person reads (and opens)
        them while the answer is on its way, and the answer's [n] link to them.
        """
        if self._answer_start is None or not references:
            return
        turn = len(self._turns) - 1
        self._turns[turn]["references"] = list(references)
        self._turns[turn]["sources_shown"] = True
        self._put_sources(references, turn)
        self._put("\n\n", self._fmt())
        self._answer_start = self._end().position()
        self._scroll_to_end()

    def _put_sources(self, references: list[dict], turn: int) -> None:
        self._put(self.tr("Sources") + "\n", self._fmt("note"))
        for n, ref in enumerate(references, 1):
            self._put(f"[{n}] {reference_label(ref)}", self._link(f"ref:{turn}:{n}"))
            self._put("\n" if n < len(references) else "", self._fmt())

    def append_stream(self, delta: str) -> None:
        """Buffer a token; the timer inserts the buffer at most every STREAM_FLUSH_MS."""
        self._pending += delta
        if not self._flush.isActive():
            self._flush.start()

    def streamed_text(self) -> str:
        """The answer text streamed so far, including what still waits for the timer."""
        if self._answer_start is None:
            return ""
        cursor = self._end()
        cursor.setPosition(self._answer_start, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n") + self._pending

    def _flush_stream(self) -> None:
        if self._pending and self._answer_start is not None:
            self._put(self._pending, self._fmt())
            self._scroll_to_end()
        self._pending = ""

    def finish_answer(self, answer: str, references: list[dict], stopped: bool = False) -> None:
        """Replace the streamed text with the final answer, its citation links and numbered sources."""
        self._flush.stop()
        self._pending = ""
        if self._answer_start is not None:
            cursor = self._end()
            cursor.setPosition(self._answer_start, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
        turn = len(self._turns) - 1
        shown = self._turns[turn].get("sources_shown") and self._turns[turn]["references"] == list(references)
        self._turns[turn]["references"] = list(references)
        self._put_cited(answer, turn, len(references))
        if stopped:
            self._put("\n" + self.tr("(stopped)"), self._fmt("note"))
        if references and not shown:  # shown above the answer already, unless they changed
            self._put("\n\n", self._fmt())
            self._put_sources(references, turn)
        self._answer_start = None
        self._scroll_to_end()

    def _put_cited(self, text: str, turn: int, count: int) -> None:
        pos = 0
        for m in CITATION.finditer(text):
            self._put(text[pos:m.start()], self._fmt())
            numbers = [int(x) for x in (m.group(1) or m.group(2)).split(",")]
            for i, n in enumerate(numbers):
                piece = ("[" if i == 0 else "") + str(n) + ("]" if i == len(numbers) - 1 else "")
                self._put(piece, self._link(f"ref:{turn}:{n}") if 1 <= n <= count else self._fmt())
                if i < len(numbers) - 1:
                    self._put(", ", self._fmt())
            pos = m.end()
        self._put(text[pos:], self._fmt())

    def show_error(self, message: str) -> None:
        """End the open answer with an error sentence."""
        self._flush_stream()
        self._put("\n" + message, self._fmt("error"))
        self._answer_start = None

    # --- links -------------------------------------------------------------------
    def anchors(self) -> list[tuple[str, str]]:
        """Every (href, text) link in document order."""
        return document_anchors(self.document())

    def activate(self, href: QUrl | str) -> None:
        """Follow ``ref:<turn>:<n>`` (or ``ref:<n>`` for the latest turn): emit the reference."""
        href = href.toString() if isinstance(href, QUrl) else href
        scheme, _, rest = href.partition(":")
        parts = rest.split(":")
        if scheme != "ref" or not all(p.isdigit() for p in parts) or len(parts) not in (1, 2):
            return
        turn, n = (len(self._turns) - 1, int(parts[0])) if len(parts) == 1 else (int(parts[0]), int(parts[1]))
        if 0 <= turn < len(self._turns) and 1 <= n <= len(self._turns[turn]["references"]):
            self.referenceActivated.emit(self._turns[turn]["repo"], self._turns[turn]["references"][n - 1])
