"""What is indexed: one row per repository in ``app.sqlite`` (the chunks live in LanceDB)."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..appdb import connect
from ..errors import UserError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    name        TEXT PRIMARY KEY,
    zip_path    TEXT NOT NULL,
    zip_sha256  TEXT NOT NULL,
    files       INTEGER NOT NULL,
    skipped     TEXT NOT NULL,
    chunks      INTEGER NOT NULL,
    languages   TEXT NOT NULL,
    indexed_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_files (
    repo    TEXT NOT NULL,
    path    TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    PRIMARY KEY (repo, path)
);
"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


def check_repo_name(name: str) -> str:
    """Repository names become file and folder names: keep them plain."""
    if not _NAME.match(name or ""):
        raise UserError(f"The repository name {name!r} is not allowed; use letters, digits, '.', '_', '+' "
                        "or '-' (at most 100, starting with a letter or digit).")
    return name


def default_repo_name(path: Path) -> str:
    """The source's name made safe: `My Project (1).zip` -> `My-Project-1`.

    A ZIP's stem, a tarball's name without ``.tar.gz``/``.tgz`` (``pkg-1.0.tar.gz`` -> ``pkg-1.0``),
    a folder's own name.
    """
    path = Path(path)
    if path.name in ("", ".."):  # "." or "/x/.."
        path = path.resolve()
    if path.is_dir():
        stem = path.name
    elif path.name.lower().endswith(".tar.gz"):
        stem = path.name[:-len(".tar.gz")]
    else:
        stem = path.stem
    name = re.sub(r"[^A-Za-z0-9._+-]+", "-", stem).strip("-._+")[:100]
    return name or "repository"


def repo_name_for(path: Path, name: str | None = None) -> str:
    """The repository a source is indexed as: ``name`` when given, else ``default_repo_name``; checked.

    The one place the window, the command line and the jobs name a repository (so a bad name is
    refused before a job is queued, with the same sentence everywhere).
    """
    return check_repo_name(name or default_repo_name(Path(path)))


ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


def source_path(text: str) -> Path | None:
    """``text`` as the path of a source to index, or None when it is a repository's name.

    An archive by its suffix (``.zip``, ``.tar.gz``, ``.tgz``) that is a file, or a folder
    written as a path (with a ``/``, so a name never means a folder that happens to share it).
    """
    path = Path(text).expanduser()
    if text.lower().endswith(ARCHIVE_SUFFIXES) and path.is_file():
        return path
    if "/" in text and path.is_dir():
        return path
    return None


@dataclass
class Repository:
    name: str
    zip_path: str
    zip_sha256: str
    files: int
    skipped: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    languages: dict[str, int] = field(default_factory=dict)   # language -> files
    indexed_at: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class RepoRegistry:
    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        connect(self.db_path, _SCHEMA).close()

    def _connect(self) -> sqlite3.Connection:
        return connect(self.db_path)

    def save(self, repo: Repository, files: dict[str, str] | None = None) -> None:
        """Record a finished index; ``files`` (path -> sha256) replaces the file manifest."""
        repo.indexed_at = repo.indexed_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO repositories VALUES (?,?,?,?,?,?,?,?)",
                       (repo.name, repo.zip_path, repo.zip_sha256, repo.files, json.dumps(repo.skipped),
                        repo.chunks, json.dumps(repo.languages), repo.indexed_at))
            if files is not None:
                db.execute("DELETE FROM repo_files WHERE repo=?", (repo.name,))
                db.executemany("INSERT INTO repo_files VALUES (?,?,?)",
                               [(repo.name, p, sha) for p, sha in files.items()])

    def file_manifest(self, name: str) -> dict[str, str]:
        """path -> sha256 of every file of the last finished index (files without chunks included)."""
        with self._connect() as db:
            return dict(db.execute("SELECT path, sha256 FROM repo_files WHERE repo=?", (name,)).fetchall())

    def get(self, name: str) -> Repository | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM repositories WHERE name=?", (name,)).fetchone()
        return self._repo(row) if row else None

    def all(self) -> list[Repository]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM repositories ORDER BY name").fetchall()
        return [self._repo(r) for r in rows]

    def remove(self, name: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM repositories WHERE name=?", (name,))
            db.execute("DELETE FROM repo_files WHERE repo=?", (name,))

    @staticmethod
    def _repo(row) -> Repository:
        return Repository(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], json.loads(row[6]), row[7])


def remove_repository(home: Path, name: str, dim: int | None = None) -> None:
    """Delete ``name`` everywhere it lives: chunks and wiki sections in LanceDB, its wiki, its registry row.

    The window and ``repowiki remove`` both come here.  A repository that an
    index or wiki job is writing is refused (they hold its lock) rather than
    half deleted; the registry row goes last, so a failure part way leaves it
    listed and the removal can simply be asked again.  ``dim`` is the index's
    vector width (the bundled embedder's by default).
    """
    import shutil

    from ..datadir import app_db, index_lock, lancedb_dir, run_dir, wiki_dir
    from ..fsutil import LockBusy, file_lock
    from ..models.embedder import DIM
    from .sections import SectionStore
    from .store import ChunkStore

    registry = RepoRegistry(app_db(home))
    if registry.get(check_repo_name(name)) is None:
        raise UserError(f"There is no indexed repository named {name!r}; see `repowiki repos`.")
    run_dir(home).mkdir(parents=True, exist_ok=True)
    try:
        with file_lock(index_lock(home, name), wait=False):
            ChunkStore(lancedb_dir(home), dim or DIM).drop_repo(name)
            SectionStore(lancedb_dir(home), dim or DIM).drop_repo(name)
            shutil.rmtree(wiki_dir(home, name), ignore_errors=True)
            registry.remove(name)
    except LockBusy:
        raise UserError(f"{name} is being indexed or its wiki written; cancel that job before removing it.") from None
