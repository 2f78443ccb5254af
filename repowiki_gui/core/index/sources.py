"""Lines a–b of an indexed file, read from the index (never the filesystem), for readers outside the window.

The MCP server's ``read_source`` comes here.  A path is a repository-relative
path as the index holds it: an absolute path, a ``..`` step or a file that is
not indexed is refused with one sentence, so no caller can read past the
repository.
"""
from __future__ import annotations

import posixpath

from ..errors import UserError
from .store import ChunkStore


def checked_source_path(repo: str, path: str) -> str:
    """``path`` when it names a place inside the repository; UserError for absolute paths and ``..`` steps."""
    text = (path or "").strip()
    if not text:
        raise UserError(f"Give the path of a file of {repo}, relative to its root (e.g. src/app.py).")
    if "\\" in text or "\0" in text or text.startswith(("/", "~")) or posixpath.isabs(text) or ":" in text[:3]:
        raise UserError(f"The path {path!r} is outside the repository {repo}; give a path relative to its root.")
    clean = posixpath.normpath(text)
    if clean == ".." or clean.startswith("../") or clean == ".":
        raise UserError(f"The path {path!r} is outside the repository {repo}; give a path relative to its root.")
    return clean


def read_lines(store: ChunkStore, repo: str, path: str, start_line: int = 1, end_line: int | None = None) -> dict:
    """``{"repo", "path", "start_line", "end_line", "total_lines", "text"}`` of lines a–b (to the end when b is None).

    A range past the end is clamped to the file; one that starts past it is refused.
    """
    clean = checked_source_path(repo, path)
    text = store.file_text(repo, clean)
    if text is None:
        raise UserError(f"{clean} is not an indexed file of {repo}; `search_code` or the wiki names the files.")
    lines = text.split("\n")
    total = len(lines)
    start = 1 if start_line is None else int(start_line)
    end = total if end_line is None else int(end_line)
    if start > total:
        raise UserError(f"{clean} has {total} lines; line {start} is past its end.")
    if start < 1 or end < start:
        raise UserError(f"Lines {start}-{end} are not a range; start at 1 or later and end at or after the start.")
    end = min(end, total)
    return {"repo": repo, "path": clean, "start_line": start, "end_line": end, "total_lines": total,
            "text": "\n".join(lines[start - 1:end])}
