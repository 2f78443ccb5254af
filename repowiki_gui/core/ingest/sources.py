"""Where a repository's files come from: a ZIP, a ``.tar.gz``/``.tgz``, or a folder read in place.

Each kind is a ``Source``: its members are validated when it is opened, and it
reads the bytes of the members asked for, into memory, never writing a file.
What happens next (selection, limits, decoding) is the same for all three and
lives in ``files.py``. The content decides the kind, not the name: a folder is
a folder, gzip's magic bytes make a tar archive, anything else is read as a ZIP
(which says "not a ZIP archive" when it is not one).
"""
from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ..errors import ArchiveError
from ..progress import NullProgress, Progress
from .archive import Member, ReadBudget, bomb_total, open_zip, read_member, validate

GZIP_MAGIC = b"\x1f\x8b"
TAR_SUFFIXES = (".tar.gz", ".tgz")


class Source(Protocol):
    kind: str                   # what messages call it: "ZIP", "tar archive", "folder"
    members: list[Member]       # the regular files, validated
    root_folder: str | None     # the single top folder stripped from paths, if any
    skipped: dict[str, int]     # entries left out while listing (a folder's links), by reason

    def read(self, members: list[Member], budget: ReadBudget) -> Iterator[tuple[Member, bytes | None]]:
        """The bytes of ``members`` (in the source's own order), each counted against ``budget``; None if unreadable."""

    def budget(self, max_total: int) -> ReadBudget:
        """The budget of bytes to read, with this kind's message for passing it."""

    def digest(self, progress: Progress) -> str | None:
        """The sha256 of the archive file, or None where there is no one file (a folder)."""

    def close(self) -> None: ...


def is_tarball_name(path: Path) -> bool:
    return Path(path).name.lower().endswith(TAR_SUFFIXES)


@contextmanager
def open_source(path: Path, limits, skip_dirs: frozenset[str] = frozenset(),
                progress: Progress = NullProgress()) -> Iterator[Source]:
    """The source at ``path``, validated; ``ArchiveError`` saying why it cannot be read.

    ``limits`` is an ``IngestLimits``; ``skip_dirs`` are folder names a folder's walk
    never enters (its vendored trees).
    """
    path = Path(path)
    if path.is_dir():
        from .folder import FolderSource

        source = FolderSource(path, max_members=limits.max_zip_members, skip_dirs=skip_dirs, progress=progress)
    elif _head(path) == GZIP_MAGIC:
        from .tarball import TarSource

        source = TarSource(path, max_members=limits.max_zip_members, max_total=limits.max_uncompressed_bytes,
                           max_ratio=limits.max_compression_ratio, max_file_bytes=limits.max_file_bytes,
                           progress=progress)
    elif is_tarball_name(path) and not zipfile.is_zipfile(path):
        if path.stat().st_size == 0:
            raise ArchiveError("The file is empty (0 bytes), not a tar archive.")
        raise ArchiveError("This file is not a gzip-compressed tar archive.")
    else:
        source = ZipSource(path, limits, progress)
    try:
        yield source
    finally:
        source.close()


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fp:
            return fp.read(2)
    except FileNotFoundError as exc:
        raise ArchiveError(f"The file {path.name} does not exist.") from exc
    except OSError as exc:
        raise ArchiveError(f"The file {path.name} cannot be read ({exc.strerror or exc}).") from exc


class ZipSource:
    """A ZIP as a source: every member checked by ``archive.validate`` before any is read."""

    kind = "ZIP"

    def __init__(self, path: Path, limits, progress: Progress) -> None:
        self.path = path
        self.skipped: dict[str, int] = {}
        self._zf = open_zip(path, limits.max_zip_members)
        try:
            listing = validate(self._zf, archive_size=path.stat().st_size, max_members=limits.max_zip_members,
                               max_uncompressed_bytes=limits.max_uncompressed_bytes,
                               max_compression_ratio=limits.max_compression_ratio, progress=progress)
        except BaseException:
            self._zf.close()
            raise
        self.members, self.root_folder = listing.members, listing.root_folder

    def read(self, members: list[Member], budget: ReadBudget) -> Iterator[tuple[Member, bytes | None]]:
        for member in members:
            yield member, read_member(self._zf, member, budget)

    def budget(self, max_total: int) -> ReadBudget:
        return ReadBudget(max_total, bomb_total(max_total, self.kind))

    def digest(self, progress: Progress) -> str | None:
        return sha256_file(self.path, progress)

    def close(self) -> None:
        self._zf.close()


def sha256_file(path: Path, progress: Progress) -> str:
    """The sha256 of a file, read in 1 MiB blocks, a cancel checked every 64."""
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for count, block in enumerate(iter(lambda: fp.read(1 << 20), b"")):
            if count % 64 == 0:
                progress.check()
            digest.update(block)
    return digest.hexdigest()
