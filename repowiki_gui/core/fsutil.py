"""Two file habits the data dir relies on, each written once: a write that lands whole, and a lock.

``atomic_output`` (and ``atomic_write_text`` on it) writes beside the target and
renames it into place, so a reader sees the old file or the new one, never half
of it; ``file_lock`` holds
an exclusive ``flock`` on a lock file for the length of a ``with`` block (or,
with ``wait=False``, raises ``LockBusy`` at once when another process holds it).
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_output(path: Path, binary: bool = False) -> Iterator[IO]:
    """A file that becomes ``path`` when the block ends (flushed and synced first), and is gone if it raises.

    It is written beside ``path``, so the rename is atomic: a reader sees the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all."""
    with atomic_output(path) as out:
        out.write(text)


class LockBusy(Exception):
    """Another process holds the lock and the caller chose not to wait."""


@contextmanager
def file_lock(path: Path, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); another holder waits, or raises ``LockBusy``."""
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
