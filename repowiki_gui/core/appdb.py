"""``app.sqlite``: the one SQLite file that several processes share (WAL mode)."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(db_path: Path, schema: str | None = None) -> sqlite3.Connection:
    """A connection in WAL mode that waits for other writers instead of failing; applies ``schema``."""
    db = sqlite3.connect(Path(db_path), timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=30000")
    if schema:
        with db:
            db.executescript(schema)
    return db
