"""Safe reading of a gzip-compressed tar archive (``.tar.gz``, ``.tgz``: an sdist), standard library only.

The same rule as for a ZIP (``archive.py``): a bad archive fails whole, with one
sentence that says which problem it has, and nothing is written anywhere. A
gzip stream cannot be listed without inflating it, so an archive is read in
two streaming passes, never unpacked:

* the listing pass looks at every header before any content is kept: names
  (traversal, absolute, NUL), links, devices and pipes, sparse files,
  duplicates, the member count and the declared sizes; it keeps the small
  ``.gitignore`` files on the way, since the selection needs them first;
* the reading pass inflates the stream again and keeps the bytes of the
  members asked for, stopping after the last of them.

Every byte that comes out of gzip is counted as it comes (``_Inflated``): past
the total-size limit, or past the compression-ratio limit against the file's
size, the pass stops there, so a gzip bomb is refused after at most that many
bytes, never inflated whole. Headers (pax, GNU long names) are capped too:
tarfile reads them into memory whole, whatever size they declare.
"""
from __future__ import annotations

import gzip
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import ArchiveError
from ..progress import Progress
from .archive import RATIO_FLOOR_BYTES, Listing, Member, ReadBudget, bomb_total, listing_of, normalise_name, show

KIND = "tar archive"
HEADER_CAP_BYTES = 1024 * 1024  # pax headers and long names of honest archives take a few KiB
_CHUNK = 64 * 1024
_CHECK_EVERY = 256
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, tarfile.ReadError, tarfile.HeaderError)


class _Inflated:
    """The decompressed stream, its bytes counted against the limits as they come out."""

    def __init__(self, path: Path, archive_size: int, max_total: int, max_ratio: float) -> None:
        self._gz = gzip.GzipFile(path, "rb")
        self.archive_size, self.max_total, self.max_ratio = max(archive_size, 1), max_total, max_ratio
        self.out = 0
        self.headers_end = HEADER_CAP_BYTES  # where the headers before the next member must end

    def read(self, n: int = -1) -> bytes:
        try:
            data = self._gz.read(n)
        except OSError as exc:
            if exc.errno is not None:
                raise  # a real I/O error reading the file: transient, not the archive's fault
            raise _corrupt() from exc  # BadGzipFile is an errno-less OSError
        except (EOFError, zlib.error) as exc:
            raise _corrupt() from exc
        self.out += len(data)
        if self.out > self.max_total:
            raise ArchiveError(bomb_total(self.max_total, KIND))
        if self.out > RATIO_FLOOR_BYTES and self.out > self.max_ratio * self.archive_size:
            raise ArchiveError(f"The {KIND} expands more than {self.max_ratio:,.0f}-fold, the limit; "
                               "it looks like a compression bomb.")
        if self.out > self.headers_end:
            raise ArchiveError(f"The {KIND} holds a header larger than {HEADER_CAP_BYTES // 1024:,} KiB; "
                               "it is corrupt or hostile.")
        return data

    def close(self) -> None:
        self._gz.close()


def _corrupt() -> ArchiveError:
    return ArchiveError(f"The {KIND} is corrupt or truncated.")


class TarSource:
    """A ``.tar.gz`` as a source of members (see ``sources.Source``): validated on opening."""

    kind = KIND

    def __init__(self, path: Path, *, max_members: int, max_total: int, max_ratio: float,
                 max_file_bytes: int, progress: Progress) -> None:
        self.path = Path(path)
        self._limits = (self.path.stat().st_size, max_total, max_ratio)
        self._max_members, self._max_file_bytes = max_members, max_file_bytes
        self.cache: dict[int, bytes] = {}  # header offset -> bytes of a .gitignore kept by the listing pass
        self.skipped: dict[str, int] = {}
        listing = self._list(progress)
        self.members, self.root_folder = listing.members, listing.root_folder

    def _stream(self) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
        """Every header of the archive with the open tar stream, the cap on headers moved past each."""
        inflated = _Inflated(self.path, *self._limits)
        try:
            try:
                tar = tarfile.open(fileobj=inflated, mode="r|", encoding="utf-8", errors="surrogateescape")
            except tarfile.ReadError as exc:
                if "empty file" in str(exc):
                    return  # a valid gzip of nothing: no members
                raise _corrupt() from exc
            with tar:
                while True:
                    try:
                        info = tar.next()
                    except _GZIP_ERRORS as exc:
                        raise _corrupt() from exc
                    if info is None:
                        return
                    inflated.headers_end = tar.offset + HEADER_CAP_BYTES
                    yield tar, info
        finally:
            inflated.close()

    def _list(self, progress: Progress) -> Listing:
        files: list[tuple[object, str, int]] = []
        seen: set[str] = set()
        entries = total = 0
        progress.update("extract", "Checking the tar archive", 0, 0)
        for tar, info in self._stream():
            entries += 1
            if entries % _CHECK_EVERY == 0:
                progress.check()
            if entries > self._max_members:
                raise ArchiveError(f"The {KIND} holds more than {self._max_members:,} files and folders, "
                                   "the limit.")
            path = _check_entry(info)
            if path is None:
                continue
            if path in seen:
                raise ArchiveError(f"The {KIND} holds the same path twice ({show(path)}).")
            seen.add(path)
            total += info.size
            if total > self._limits[1]:
                raise ArchiveError(bomb_total(self._limits[1], KIND))
            files.append((info.offset, path, info.size))
            if path.rpartition("/")[2] == ".gitignore" and info.size <= self._max_file_bytes:
                self.cache[info.offset] = _read_data(tar, info, None, path)
        return listing_of(files, entries, KIND)

    def read(self, members: list[Member], budget: ReadBudget) -> Iterator[tuple[Member, bytes | None]]:
        """The bytes of ``members``, in the archive's order: one more pass, stopped after the last one."""
        wanted = {m.info: m for m in members}
        for offset in [o for o in wanted if o in self.cache]:
            budget.add(len(self.cache[offset]))
            yield wanted.pop(offset), self.cache[offset]
        if not wanted:
            return
        for tar, info in self._stream():
            member = wanted.pop(info.offset, None)
            if member is None:
                continue
            if info.size != member.size or _check_entry(info) != member.name:
                raise ArchiveError(f"The {KIND} changed while it was being read; index it again.")
            yield member, _read_data(tar, info, budget, member.name)
            if not wanted:
                return
        raise ArchiveError(f"The {KIND} changed while it was being read; index it again.")

    def budget(self, max_total: int) -> ReadBudget:
        return ReadBudget(max_total, bomb_total(max_total, KIND))

    def digest(self, progress: Progress) -> str | None:
        from .sources import sha256_file

        return sha256_file(self.path, progress)

    def close(self) -> None:
        self.cache.clear()


def _name_of(info: tarfile.TarInfo) -> str:
    """The member's name as its author meant it: UTF-8 when it decodes, else cp1252 (Latin-1 for its gaps)."""
    raw = info.name.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _check_entry(info: tarfile.TarInfo) -> str | None:
    """The entry's normalised path, or None for a folder; ``ArchiveError`` for an unsafe name or kind."""
    name = _name_of(info)
    if "\x00" in name:
        raise ArchiveError(f"The {KIND} holds a member name with a NUL character ({show(name)}).")
    path = normalise_name(name, KIND)
    if info.issym():
        raise ArchiveError(f"The {KIND} holds a symbolic link ({show(path)}); links are not followed.")
    if info.islnk():
        raise ArchiveError(f"The {KIND} holds a hard link ({show(path)}); links are not followed.")
    if info.ischr() or info.isblk() or info.isfifo():
        raise ArchiveError(f"The {KIND} holds a special file ({show(path)}), such as a device or "
                           "pipe; only regular files are accepted.")
    if info.isdir():
        return None
    if not info.isreg() or info.issparse():
        raise ArchiveError(f"The {KIND} holds a member of a kind that is not supported ({show(path)}); "
                           "only regular files are accepted.")
    return path or None


def _read_data(tar: tarfile.TarFile, info: tarfile.TarInfo, budget: ReadBudget | None, name: str) -> bytes:
    """The member's bytes from the stream, counted against ``budget`` as they come."""
    stream = tar.extractfile(info)
    chunks, got = [], 0
    try:
        while chunk := stream.read(min(_CHUNK, info.size - got)):
            got += len(chunk)
            if budget is not None:
                budget.add(len(chunk))
            chunks.append(chunk)
    except _GZIP_ERRORS as exc:
        raise ArchiveError(f"The {KIND} is corrupt or truncated: {show(name)} cannot be read.") from exc
    if got < info.size:
        raise ArchiveError(f"The {KIND} is corrupt or truncated: {show(name)} cannot be read.")
    return b"".join(chunks)
