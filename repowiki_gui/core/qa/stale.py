"""Stale answers: an earlier answer whose cited lines changed since it was given (docs/design.md, "Stale marks").

When the answer job saves a turn it stamps each reference with the hash of its cited lines
(``Span.lines_hash``) in ``cited_lines`` beside the ``turns`` table (a table of its own: a data dir
from before simply has no stamps).  A reopened conversation's references are compared with the
index as it is now: one whose lines hash differently, or whose file is no longer indexed, carries
``"stale": true``, and so does its turn.  A wiki section cited by an answer is not code and is never
stamped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from ..appdb import connect
from ..datadir import lancedb_dir
from ..index.store import ChunkStore
from ..models.embedder import DIM
from ..span import Span
from .conversations import Conversations

FileText = Callable[[str, str], "str | None"]   # (repo, path) -> the file's text as indexed now; None: gone


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cited_lines (
    conversation_id TEXT NOT NULL,
    idx             INTEGER NOT NULL,
    ref_hashes      TEXT NOT NULL,
    PRIMARY KEY (conversation_id, idx)
);
"""


def indexed_text(home: Path) -> FileText:
    """Files' text as the index of the data dir ``home`` holds them now, each read once."""
    store = ChunkStore(lancedb_dir(home), DIM)
    seen: dict[tuple[str, str], str | None] = {}

    def text(repo: str, path: str) -> str | None:
        if (repo, path) not in seen:
            seen[(repo, path)] = store.file_text(repo, path)
        return seen[(repo, path)]
    return text


def _span(ref: dict) -> Span:
    return Span(ref["path"], int(ref["start_line"]), int(ref["end_line"]))


def reference_hashes(references: list[dict], repo: str, file_text: FileText) -> list[str]:
    """The hash of each reference's cited lines now ("" for a wiki section); ``repo`` for one without its own."""
    return ["" if ref.get("kind") == "wiki" else _span(ref).lines_hash(file_text(ref.get("repo") or repo, ref["path"]))
            for ref in references]


def stamp_last_turn(db_path: Path, conv_id: str, hashes: list[str]) -> None:
    """Keep ``hashes`` (``reference_hashes`` of its references) beside the conversation's newest turn."""
    Conversations(db_path)   # the turns table exists
    with connect(db_path, _SCHEMA) as db:
        db.execute("INSERT OR REPLACE INTO cited_lines SELECT conversation_id, MAX(idx), ? FROM turns"
                   " WHERE conversation_id=? GROUP BY conversation_id", (json.dumps(hashes), conv_id))


def mark_stale(db_path: Path, conv_id: str, turns: list[dict], repo: str, file_text: FileText) -> list[dict]:
    """``turns`` (``Conversations.turns``) with ``stale`` on each stamped code reference and on each turn.

    ``repo`` is the conversation's: a reference saved without its own repository is of it.
    """
    Conversations(db_path)
    with connect(db_path, _SCHEMA) as db:
        stamps = [json.loads(r[0]) if r[0] else [] for r in db.execute(
            "SELECT c.ref_hashes FROM turns t LEFT JOIN cited_lines c ON c.conversation_id = t.conversation_id"
            " AND c.idx = t.idx WHERE t.conversation_id=? ORDER BY t.idx", (conv_id,))]
    marked = []
    for turn, hashes in zip(turns, stamps):
        refs = [dict(r) for r in turn["references"]]
        if len(hashes) == len(refs):   # turns saved before stamps have none: nothing is known of them
            now = reference_hashes(refs, repo, file_text)
            for ref, then, current in zip(refs, hashes, now):
                if then:
                    ref["stale"] = current != then
            turn = dict(turn, references=refs, stale=any(r.get("stale") for r in refs))
        marked.append(turn)
    return marked
