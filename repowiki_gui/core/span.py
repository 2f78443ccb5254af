"""Lines a–b of one file: the range every search hit, cited reference, wiki source and wiki section is.

``Span`` is the one type for it. ``search.Hit``, ``answer.Reference`` and ``sections.SectionRow``
are spans with more fields, so anything that only needs the range (a link, an anchor, an overlap
test, the reference object of docs/design.md) takes any of them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    path: str          # repository-relative (or docs-relative, for a wiki page)
    start_line: int    # 1-based, inclusive
    end_line: int      # inclusive, >= start_line

    @property
    def span(self) -> Span:
        """Only the range (what a subclass is, without its other fields): hashable and comparable."""
        return Span(self.path, self.start_line, self.end_line)

    def touches(self, other: Span) -> bool:
        """Same file, and the ranges overlap or are adjacent."""
        return (self.path == other.path and other.start_line <= self.end_line + 1
                and other.end_line >= self.start_line - 1)

    def label(self) -> str:
        """``path:a-b`` (``path:a`` for one line), as the window and the wiki show a range."""
        lines = str(self.start_line) if self.end_line == self.start_line else f"{self.start_line}-{self.end_line}"
        return f"{self.path}:{lines}"

    def range_json(self) -> dict:
        return {"path": self.path, "start_line": self.start_line, "end_line": self.end_line}

    def lines_hash(self, file_text: str | None) -> str:
        """The sha256 of this range's lines in ``file_text`` ("" for a file that is gone).

        Kept beside a citation when it is written, compared when it is read again: a different hash
        means the cited code changed (a range past the file's new end hashes fewer lines, so it differs too).
        """
        if file_text is None:
            return ""
        lines = file_text.split("\n")[self.start_line - 1:self.end_line]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()
