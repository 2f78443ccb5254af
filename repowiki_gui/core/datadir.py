"""The data dir's layout: each path in it has its name here, once (docs/design.md, "Processes").

Every function takes the data dir (``home``) and returns a path inside it;
none creates anything (``settings.prepare_home`` makes the folders).
"""
from __future__ import annotations

from pathlib import Path

APP_DB = "app.sqlite"   # repositories, conversations, task history
LANCEDB = "lancedb"     # chunks and wiki sections, vectors and full text
RUN = "run"             # the Redis socket, pid files, locks
TMP = "tmp"             # a job's unzipped files, removed when it ends
LOGS = "logs"           # redis.log, worker-<kind>.log
REDIS = "redis"         # the append-only file
WIKI = "wiki"           # wiki/<repo>/: the markdown pages

SUBDIRS = (RUN, REDIS, TMP, LOGS)  # made when the data dir is prepared


def app_db(home: Path | str) -> Path:
    return Path(home) / APP_DB


def lancedb_dir(home: Path | str) -> Path:
    return Path(home) / LANCEDB


def run_dir(home: Path | str) -> Path:
    return Path(home) / RUN


def index_lock(home: Path | str, repo: str) -> Path:
    """Held by whatever writes the repository's index (an index or wiki job) or deletes it."""
    return run_dir(home) / f"index-{repo}.lock"


def tmp_dir(home: Path | str) -> Path:
    return Path(home) / TMP


def logs_dir(home: Path | str) -> Path:
    return Path(home) / LOGS


def wiki_dir(home: Path | str, repo: str) -> Path:
    return Path(home) / WIKI / repo
