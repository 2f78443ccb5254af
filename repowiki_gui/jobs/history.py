"""Task history in ``app.sqlite``: one row per job, kept after Redis forgets it.

Rows are written by the job service (queued), by the worker (started, ended)
and by the manager (abandoned jobs); SQLite in WAL mode lets these processes
write the same file.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from ..core.appdb import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS task_history (
    job_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    args        TEXT NOT NULL DEFAULT '',
    queue       TEXT NOT NULL,
    enqueued_at TEXT,
    started_at  TEXT,
    ended_at    TEXT,
    duration_s  REAL,
    outcome     TEXT NOT NULL DEFAULT 'queued',
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    repo        TEXT
);
CREATE INDEX IF NOT EXISTS task_history_enqueued ON task_history(enqueued_at);
"""

_FIELDS = ("job_id", "name", "args", "queue", "enqueued_at", "started_at", "ended_at",
           "duration_s", "outcome", "error", "attempts", "repo")


def utcnow_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def summarize_args(args: tuple, kwargs: dict, limit: int = 200) -> str:
    """A short, readable summary of a job's arguments for the history table."""
    parts = [json.dumps(a, default=str)[:80] for a in args]
    parts += [f"{k}={json.dumps(v, default=str)[:80]}" for k, v in kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TaskHistory:
    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(task_history)")}
            if "repo" not in columns:  # a data dir from before jobs recorded their repository
                db.execute("ALTER TABLE task_history ADD COLUMN repo TEXT")

    def _connect(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked job process opens its own)."""
        cached = getattr(self._local, "db", None)
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        db = connect(self.db_path)
        # WAL + NORMAL survives a process crash; only an OS crash may lose the last rows.
        db.execute("PRAGMA synchronous=NORMAL")
        self._local.db = (os.getpid(), db)
        return db

    def queued(self, job_id: str, name: str, queue: str, args: str, repo: str | None = None) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO task_history(job_id, name, args, queue, enqueued_at, outcome, repo)"
                " VALUES (?,?,?,?,?, 'queued', ?) ON CONFLICT(job_id) DO UPDATE SET outcome='queued'",
                (job_id, name, args, queue, utcnow_iso(), repo))

    def started(self, job_id: str, name: str, queue: str) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO task_history(job_id, name, queue, started_at, outcome, attempts)"
                " VALUES (?,?,?,?, 'started', 1) ON CONFLICT(job_id) DO UPDATE SET"
                " started_at=excluded.started_at, ended_at=NULL, duration_s=NULL, error=NULL,"
                " outcome='started', attempts=attempts+1",
                (job_id, name, queue, utcnow_iso()))

    def ended(self, job_id: str, outcome: str, error: str | None = None) -> None:
        """Record the end of a run: outcome is finished, failed, stopped, retrying or canceled."""
        now = utcnow_iso()
        with self._connect() as db:
            row = db.execute("SELECT started_at FROM task_history WHERE job_id=?", (job_id,)).fetchone()
            duration = None
            if row and row[0]:
                duration = (datetime.fromisoformat(now) - datetime.fromisoformat(row[0])).total_seconds()
            db.execute("UPDATE task_history SET ended_at=?, duration_s=?, outcome=?, error=? WHERE job_id=?",
                       (now, duration, outcome, error, job_id))

    def get(self, job_id: str) -> dict | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {','.join(_FIELDS)} FROM task_history WHERE job_id=?",
                             (job_id,)).fetchone()
        return dict(zip(_FIELDS, row)) if row else None

    def recent(self, limit: int = 50) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {','.join(_FIELDS)} FROM task_history"
                              " ORDER BY COALESCE(enqueued_at, started_at) DESC LIMIT ?", (limit,)).fetchall()
        return [dict(zip(_FIELDS, r)) for r in rows]

    def prune(self, keep_days: int) -> int:
        cutoff = datetime.fromtimestamp(time.time() - keep_days * 86400, timezone.utc).isoformat()
        with self._connect() as db:
            cur = db.execute("DELETE FROM task_history WHERE COALESCE(ended_at, enqueued_at) < ?"
                             " AND outcome NOT IN ('queued','started')", (cutoff,))
            return cur.rowcount
