"""Conversations in ``app.sqlite``: listed, resumed, and fed back to the model as history.

A conversation asked of several repositories records them all in ``repo``, comma-separated (``a,b``).
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

from ..appdb import connect
from ..errors import UserError
from .answer import Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id          TEXT PRIMARY KEY,
    repo        TEXT NOT NULL,
    title       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    idx             INTEGER NOT NULL,
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL,
    refs            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (conversation_id, idx)
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Conversations:
    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        connect(self.db_path, _SCHEMA).close()

    def _connect(self) -> sqlite3.Connection:
        return connect(self.db_path)

    def create(self, repo: str, title: str) -> str:
        """A new conversation about ``repo`` (one name, or several as ``a,b``); its id."""
        conv_id = uuid.uuid4().hex[:12]
        with self._connect() as db:
            db.execute("INSERT INTO conversations VALUES (?,?,?,?,?)", (conv_id, repo, title[:120], _now(), _now()))
        return conv_id

    def get(self, conv_id: str) -> dict:
        with self._connect() as db:
            row = db.execute("SELECT id, repo, title, created_at, updated_at FROM conversations WHERE id=?",
                             (conv_id,)).fetchone()
        if row is None:
            raise UserError(f"No conversation with id {conv_id} exists.")
        return dict(zip(("id", "repo", "title", "created_at", "updated_at"), row))

    def add_turn(self, conv_id: str, question: str, answer: str, references: list[dict]) -> None:
        with self._connect() as db:
            idx = db.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM turns WHERE conversation_id=?",
                             (conv_id,)).fetchone()[0]
            db.execute("INSERT INTO turns VALUES (?,?,?,?,?,?)",
                       (conv_id, idx, question, answer, json.dumps(references), _now()))
            db.execute("UPDATE conversations SET updated_at=? WHERE id=?", (_now(), conv_id))

    def turns(self, conv_id: str) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT question, answer, refs, created_at FROM turns WHERE conversation_id=?"
                              " ORDER BY idx", (conv_id,)).fetchall()
        return [{"question": q, "answer": a, "references": json.loads(r), "created_at": c} for q, a, r, c in rows]

    def history(self, conv_id: str) -> list[Turn]:
        return [Turn(t["question"], t["answer"]) for t in self.turns(conv_id)]

    def list(self, repo: str | None = None) -> list[dict]:
        """Every conversation, newest first; with ``repo``, those that asked it (alone or with others)."""
        query = "SELECT id, repo, title, created_at, updated_at FROM conversations"
        args: tuple = ()
        if repo:
            query += " WHERE repo=? OR instr(',' || repo || ',', ',' || ? || ',') > 0"
            args = (repo, repo)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY updated_at DESC", args).fetchall()
        return [dict(zip(("id", "repo", "title", "created_at", "updated_at"), r)) for r in rows]
