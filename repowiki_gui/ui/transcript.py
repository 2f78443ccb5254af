"""The chat transcript: questions, answers rendered from Markdown, sources that open and unfold.

Nothing from the model or the repository is handed to Qt's HTML reader: the
question and the sources go in through ``QTextCursor.insertText`` with explicit
formats, and answers through chat_markdown's writer, which does the same. Every
link is one of the transcript's own ``ref:`` hrefs, checked again on a click:

- ``ref:<turn>:<n>`` opens source n of a turn (``ref:<n>``: of the latest turn);
- ``ref:<turn>:<n>:lines`` shows or hides that source's lines under it;
- ``ref:<turn>:link:<i>`` opens the i-th link the answer wrote to a file or a wiki page.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser

from .answer_links import link_target, reference_label, several_repos
from .chat_markdown import AnswerWriter, answer_parser, settled_length
from .source_lines import marker_of, remove_lines, toggle_block, write_lines, write_note
from .pyside_fixes import emit
from .widgets import document_anchors

STREAM_FLUSH_MS = 50  # tokens arrive far faster than anyone reads; re-render at most 20 times a second
COLLAPSED, EXPANDED = "▸", "▾"


class Transcript(QTextBrowser):
    """Read-only transcript; clicking a source, a citation or a file link emits ``referenceActivated``.

    Unfolding a source whose text it does not hold emits ``sourceTextNeeded(repo, path)``; the
    owner answers with ``source_text_loaded`` (or ``source_text_failed``).
    """

    referenceActivated = Signal(str, dict)
    sourceTextNeeded = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)  # hrefs are ours ("ref:…"); never navigate the document
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self._turns: list[dict] = []  # {"repo", "references", "links"} per question, in document order
        self._answer_start: int | None = None
        self._settled: tuple[int, int, int] | None = None  # streaming: (text done, its end in the document, links)
        self._streamed = ""
        self._pending = ""
        self._texts: dict[tuple[str, str], str] = {}     # (repo, path) -> file text, for unfolded sources
        self._unreadable: dict[tuple[str, str], str] = {}  # (repo, path) -> why it could not be read
        self._waiting: set[tuple[int, int]] = set()      # (turn, n) unfolded, its text not here yet
        self._parser = answer_parser()
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

    def _break(self, count: int = 1) -> None:
        """New plain paragraphs: what follows an answer's list or code block is not part of it."""
        cursor = self._end()
        for _ in range(count):
            cursor.insertBlock(QTextBlockFormat(), self._fmt())

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- building the transcript -------------------------------------------------
    def clear_turns(self) -> None:
        """Empty the transcript (a new or another conversation)."""
        self._flush.stop()
        self._pending, self._streamed, self._answer_start, self._turns = "", "", None, []
        self._settled = None
        self._waiting.clear()
        self.document().clear()

    def begin_turn(self, repo: str, question: str) -> None:
        """Show the question and open the answer area that tokens stream into."""
        self._turns.append({"repo": repo, "question": question, "references": [], "links": [], "answer": None,
                            "stopped": False, "error": "", "partial": "", "sources_shown": False,
                            "unfolded": set()})
        self._write_head(len(self._turns) - 1)
        self._answer_start = self._end().position()
        self._streamed, self._settled = "", None
        self._scroll_to_end()

    def _write_head(self, turn: int) -> None:
        if turn:
            self._break(2)
        self._put(self.tr("You"), self._fmt("speaker"))
        self._break()
        self._put(self._turns[turn]["question"], self._fmt())
        self._break(2)
        self._put(self.tr("RepoWiki"), self._fmt("speaker"))
        self._break()

    def show_sources(self, references: list[dict]) -> None:
        """Show the open answer's numbered sources now, above where its text will stream.

        They come before the model has read them: a person reads (and opens, or unfolds)
        them while the answer is on its way, and the answer's [n] link to them.
        """
        if self._answer_start is None or not references:
            return
        turn = len(self._turns) - 1
        self._turns[turn]["references"] = list(references)
        self._turns[turn]["sources_shown"] = True
        self._put_sources(references, turn)
        self._break(2)
        self._answer_start = self._end().position()
        self._render(self._streamed, turn)
        self._scroll_to_end()

    def _put_sources(self, references: list[dict], turn: int) -> None:
        self._put(self.tr("Sources"), self._fmt("note"))
        with_repo = several_repos(references)
        for n, ref in enumerate(references, 1):
            self._break()
            if ref.get("kind") != "wiki":   # a wiki section unfolds in the Wiki tab, not here
                glyph = EXPANDED if n in self._turns[turn]["unfolded"] else COLLAPSED
                self._put(glyph, self._link(f"ref:{turn}:{n}:lines"))
                self._put(" ", self._fmt())
            self._put(f"[{n}] {reference_label(ref, with_repo)}", self._link(f"ref:{turn}:{n}"))
            if ref.get("stale"):   # a reopened answer whose cited lines changed since (core/qa/stale.py)
                self._put("  " + self.tr("(changed since)"), self._fmt("note"))

    def append_stream(self, delta: str) -> None:
        """Buffer a token; the timer renders the answer so far at most every STREAM_FLUSH_MS."""
        self._pending += delta
        if not self._flush.isActive():
            self._flush.start()

    def streamed_text(self) -> str:
        """The answer's Markdown streamed so far, including what still waits for the timer."""
        return self._streamed + self._pending if self._answer_start is not None else ""

    def _flush_stream(self) -> None:
        if self._pending and self._answer_start is not None:
            self._streamed += self._pending
            self._render_stream(len(self._turns) - 1)
            self._scroll_to_end()
        self._pending = ""

    def _render(self, text: str, turn: int) -> None:
        """Replace everything after the answer's start with ``text`` rendered from Markdown."""
        self._settled = None
        self._turns[turn]["links"] = []
        cursor = self._cut(self._answer_start)
        self._writer(cursor, turn).write(text)
        cursor.endEditBlock()

    def _render_stream(self, turn: int) -> None:
        """Render the streamed answer again from its last finished block on (chat_markdown.settled_length).

        The blocks before it stay as they are: each flush costs the answer's last block, not all of it.
        """
        text = self._streamed
        done, position, links = self._settled or (0, self._answer_start, 0)
        entry = self._turns[turn]
        del entry["links"][links:]
        cursor = self._cut(position)
        cut = settled_length(text)
        if cut > done:
            writer = self._writer(cursor, turn)
            writer.write(text[done:cut])
            if not writer.fresh:
                cursor.insertBlock(QTextBlockFormat(), self._fmt())
            done, position, links = cut, cursor.position(), len(entry["links"])
            self._settled = (done, position, links)
        self._writer(cursor, turn).write(text[done:], growing=True)
        cursor.endEditBlock()

    def _cut(self, position: int) -> QTextCursor:
        """A cursor in an open edit block (one relayout for all it writes), everything from ``position`` removed."""
        cursor = self._end()
        cursor.beginEditBlock()
        cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setBlockFormat(QTextBlockFormat())
        return cursor

    def _writer(self, cursor: QTextCursor, turn: int) -> AnswerWriter:
        entry = self._turns[turn]
        count = len(entry["references"])

        def link_href(href: str) -> str | None:
            target = link_target(href, entry["references"])
            if target is None:
                return None
            entry["links"].append(target)
            return f"ref:{turn}:link:{len(entry['links']) - 1}"

        return AnswerWriter(cursor, self.palette(), self._fmt(), link_href,
                            lambda n: f"ref:{turn}:{n}" if 1 <= n <= count else None,
                            self.font().pointSizeF(), self._parser)

    def finish_answer(self, answer: str, references: list[dict], stopped: bool = False) -> None:
        """Replace the streamed text with the final answer, its citation links and numbered sources."""
        self._flush.stop()
        self._pending = ""
        if self._answer_start is None:   # a loaded conversation's turn, or after an error
            self._answer_start = self._end().position()
        entry = self._turns[-1]
        # shown above the answer already, unless they changed: then they follow it
        entry["sources_shown"] = entry["sources_shown"] and entry["references"] == list(references)
        entry.update(references=list(references), answer=answer, stopped=stopped)
        self._write_answer(len(self._turns) - 1)
        self._streamed = ""
        self._scroll_to_end()

    def _write_answer(self, turn: int) -> None:
        entry = self._turns[turn]
        self._render(entry["answer"], turn)
        if entry["stopped"]:
            self._break()
            self._put(self.tr("(stopped)"), self._fmt("note"))
        if any(r.get("stale") for r in entry["references"]):
            self._break()
            self._put(self.tr("stale: the code this answer cites changed since it was written"), self._fmt("note"))
        if entry["references"] and not entry["sources_shown"]:
            self._break(2)
            self._put_sources(entry["references"], turn)
        self._answer_start = None

    def show_error(self, message: str) -> None:
        """End the open answer with an error sentence."""
        self._flush.stop()
        if self._pending and self._answer_start is not None:
            self._streamed += self._pending
            self._render(self._streamed, len(self._turns) - 1)
        self._pending = ""
        if self._turns:
            self._turns[-1].update(error=message, partial=self._streamed)
        self._break()
        self._put(message, self._fmt("error"))
        self._answer_start = None

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._turns:
            self._rebuild()   # the formats were built from the old palette

    def _rebuild(self) -> None:
        """Write every turn again (with the current palette), the open answer and unfolded sources too."""
        open_turn = len(self._turns) - 1 if self._answer_start is not None else -1
        self._streamed += self._pending
        self._pending = ""
        self.document().clear()
        for turn, entry in enumerate(self._turns):
            self._write_head(turn)
            if entry["sources_shown"]:
                self._put_sources(entry["references"], turn)
                self._break(2)
            self._answer_start = self._end().position()
            if entry["answer"] is not None:
                self._write_answer(turn)
            else:
                self._render(self._streamed if turn == open_turn else entry["partial"], turn)
                if entry["error"]:
                    self._break()
                    self._put(entry["error"], self._fmt("error"))
            if turn != open_turn:
                self._answer_start = None
            for n in sorted(entry["unfolded"]):
                key = (self._repo_of(turn, entry["references"][n - 1]), entry["references"][n - 1]["path"])
                text = self._texts.get(key)
                note = self._unreadable.get(key) or self.tr("Loading the lines…")
                self._replace_lines(turn, n, text if text is not None else note, note=text is None)

    def _repo_of(self, turn: int, ref: dict) -> str:
        """The repository a source is of: its own ``repo`` (a question asked of several), else the turn's."""
        return ref.get("repo") or self._turns[turn]["repo"]

    # --- a source's lines, unfolded under it -----------------------------------------
    def is_unfolded(self, turn: int, n: int) -> bool:
        """Whether source n of ``turn`` shows its lines."""
        block, _ = toggle_block(self.document(), f"ref:{turn}:{n}:lines")
        return block is not None and marker_of(block.next()) == f"lines:{turn}:{n}"

    def toggle_lines(self, turn: int, n: int) -> None:
        """Show source n's lines under it, or hide them when they show."""
        block, frag = toggle_block(self.document(), f"ref:{turn}:{n}:lines")
        if block is None:
            return
        marker = f"lines:{turn}:{n}"
        unfold = marker_of(block.next()) != marker
        cursor = QTextCursor(self.document())
        cursor.setPosition(frag.position())
        cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(EXPANDED if unfold else COLLAPSED, frag.charFormat())
        if not unfold:
            self._turns[turn]["unfolded"].discard(n)
            self._waiting.discard((turn, n))
            self._replace_lines(turn, n, None)
            return
        self._turns[turn]["unfolded"].add(n)
        ref = self._turns[turn]["references"][n - 1]
        repo = self._repo_of(turn, ref)
        text = self._texts.get((repo, ref["path"]))
        self._replace_lines(turn, n, text if text is not None else self.tr("Loading the lines…"),
                            note=text is None)
        if text is None:
            self._waiting.add((turn, n))
            emit(self.sourceTextNeeded, repo, ref["path"])

    def source_text_loaded(self, repo: str, path: str, text: str) -> None:
        """A file's text arrived: fill every unfolded source of it that waits."""
        self._texts[(repo, path)] = text
        self._fill_waiting(repo, path, text, note=False)

    def source_text_failed(self, repo: str, path: str, why: str) -> None:
        """A file could not be read: its unfolded sources say why."""
        self._unreadable[(repo, path)] = why
        self._fill_waiting(repo, path, why, note=True)

    def _fill_waiting(self, repo: str, path: str, text: str, note: bool) -> None:
        for turn, n in sorted(self._waiting):
            ref = self._turns[turn]["references"][n - 1] if turn < len(self._turns) else None
            if ref is not None and self._repo_of(turn, ref) == repo and ref["path"] == path:
                self._waiting.discard((turn, n))
                self._replace_lines(turn, n, text, note)

    def _replace_lines(self, turn: int, n: int, text: str | None, note: bool = False) -> None:
        """Put ``text`` (the file, or a note) under source n in place of what is there; None removes it."""
        block, _ = toggle_block(self.document(), f"ref:{turn}:{n}:lines")
        if block is None:
            return
        marker = f"lines:{turn}:{n}"
        before = self.document().characterCount()
        edit_at = block.position() + block.length() - 1
        cursor = remove_lines(block, marker)
        if text is not None and note:
            write_note(cursor, text, marker, self.palette(), self._fmt("note"))
        elif text is not None:
            more = self.tr("… %1 more lines: open the source to read them")
            write_lines(cursor, self._turns[turn]["references"][n - 1], text, marker, self.palette(),
                        self._fmt("note"), more)
        if self._answer_start is not None and edit_at < self._answer_start:
            moved = self.document().characterCount() - before
            self._answer_start += moved
            if self._settled is not None:
                self._settled = (self._settled[0], self._settled[1] + moved, self._settled[2])

    # --- links -------------------------------------------------------------------
    def anchors(self) -> list[tuple[str, str]]:
        """Every (href, text) link in document order."""
        return document_anchors(self.document())

    def activate(self, href: QUrl | str) -> None:
        """Follow one of the transcript's ``ref:`` hrefs (module docstring); anything else does nothing."""
        href = href.toString() if isinstance(href, QUrl) else href
        scheme, _, rest = href.partition(":")
        parts = rest.split(":")
        if scheme != "ref":
            return
        if len(parts) == 3 and parts[1] == "link" and parts[0].isdigit() and parts[2].isdigit():
            turn, i = int(parts[0]), int(parts[2])
            if turn < len(self._turns) and i < len(self._turns[turn]["links"]):
                link = self._turns[turn]["links"][i]
                emit(self.referenceActivated, self._repo_of(turn, link), link)
            return
        lines = len(parts) == 3 and parts[2] == "lines"
        parts = parts[:2] if lines else parts
        if not all(p.isdigit() for p in parts) or len(parts) not in (1, 2):
            return
        turn, n = (len(self._turns) - 1, int(parts[0])) if len(parts) == 1 else (int(parts[0]), int(parts[1]))
        if 0 <= turn < len(self._turns) and 1 <= n <= len(self._turns[turn]["references"]):
            if lines:
                self.toggle_lines(turn, n)
            else:
                ref = self._turns[turn]["references"][n - 1]
                emit(self.referenceActivated, self._repo_of(turn, ref), ref)
