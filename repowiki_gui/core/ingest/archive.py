"""Safe reading of a ZIP of a source repository, with the standard library only.

The archive may be hostile. Everything here works to one rule from docs/design.md:
a bad ZIP fails whole, with one sentence that says which problem it has, and
nothing is written anywhere. So:

* ``open_zip`` tells "not a ZIP" from "corrupt" and counts the central
  directory *before* ``zipfile`` builds an object per entry (millions of
  entries would otherwise cost gigabytes before any limit is checked);
* ``validate`` looks at every member before any content is read: names
  (traversal, absolute, NUL), encryption, links and special files, compression
  method, data offsets, duplicates, declared sizes and ratios;
* ``read_member`` streams one member into memory and counts the bytes that
  really come out, because the sizes in the headers are the attacker's word.

Messages name a member as it is written in the ZIP (top folder included), so
the user can find it with any archive tool.

Selection of files (gitignore, vendored trees, binaries) lives in ``files.py``.
"""
from __future__ import annotations

import bz2
import copy
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError
from ..progress import NullProgress, Progress

try:  # zipfile reads LZMA members only when Python was built with lzma
    import lzma
    _LZMA_ERRORS: tuple[type[BaseException], ...] = (lzma.LZMAError,)
except ImportError:  # pragma: no cover - depends on the Python build
    _LZMA_ERRORS = ()

MACOS_METADATA_DIR = "__MACOSX"  # Finder's resource forks, beside the real top folder
RATIO_FLOOR_BYTES = 1024 * 1024  # below this, a high ratio is a file of zeros, not a bomb

_CHUNK = 64 * 1024
_CHECK_EVERY = 256
_NO_CAP = 1 << 62
_DRIVE = re.compile(r"^[A-Za-z]:")
_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_SPECIAL_KINDS = {stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK}
# Errors that zipfile and its decompressors raise on damaged data.
_DATA_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError,
                *_LZMA_ERRORS)


@dataclass(frozen=True)
class Member:
    """One regular file of a source (a ZIP, a tar archive, a folder), validated."""

    info: object  # what its source reads it by: a ZipInfo, a TarInfo, a path in the folder
    path: str  # posix, normalised, the single top folder (if any) stripped
    name: str  # posix, normalised, as in the archive: what error messages show
    size: int  # the declared size (an archive's real bytes are counted on reading)


@dataclass
class Listing:
    """What ``validate`` found: the file members and the folder it stripped."""

    members: list[Member]
    root_folder: str | None
    entries: int  # files and folders in the central directory


def format_size(n: float) -> str:
    """``4294967296`` -> ``"4.0 GiB"``: sizes in messages a person reads."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def show(name: str) -> str:
    """A member name fit for a one-line message: control characters escaped, length capped."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)
    return shown if len(shown) <= 120 else shown[:117] + "..."


def bomb_total(limit: int, kind: str = "ZIP") -> str:
    """The message for an archive whose total size (declared or real) passes ``limit``."""
    return f"The {kind} expands to more than {format_size(limit)}; it looks like a compression bomb."


def open_zip(zip_path: Path, max_members: int) -> zipfile.ZipFile:
    """Open ``zip_path`` for reading, or raise ``ArchiveError`` saying why it cannot be.

    The entry count is checked on the raw central directory first, so an archive
    with millions of entries is refused before ``zipfile`` parses them all.
    """
    zip_path = Path(zip_path)
    try:
        size = zip_path.stat().st_size
        with open(zip_path, "rb") as fp:
            head = fp.read(4)
            entries, exact = _count_entries(fp, size, max_members)
    except FileNotFoundError as exc:
        raise ArchiveError(f"The file {zip_path.name} does not exist.") from exc
    except OSError as exc:
        raise ArchiveError(f"The file {zip_path.name} cannot be read ({exc.strerror or exc}).") from exc
    if size == 0:
        raise ArchiveError("The file is empty (0 bytes), not a ZIP archive.")
    if entries is not None and entries > max_members:
        if exact:
            raise ArchiveError(_too_many(entries, max_members))
        raise ArchiveError(f"The ZIP holds more than {max_members:,} files and folders, the limit.")
    try:
        return zipfile.ZipFile(zip_path)
    except UnicodeDecodeError as exc:  # flag 0x800 says UTF-8, the bytes say otherwise
        raise ArchiveError("The ZIP archive is corrupt: a member name marked as UTF-8 is not "
                           "valid UTF-8.") from exc
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, struct.error) as exc:
        # A local-header signature up front means it was meant to be a ZIP.
        if head.startswith(b"PK"):
            raise ArchiveError("The ZIP archive is corrupt or truncated.") from exc
        raise ArchiveError("This file is not a ZIP archive.") from exc


def _too_many(entries: int, limit: int) -> str:
    return f"The ZIP holds {entries:,} files and folders, more than the limit of {limit:,}."


def _count_entries(fp, size: int, limit: int) -> tuple[int | None, bool]:
    """(entries in the central directory, exact?), counted without building objects.

    The count field of the end record is taken when it is over the limit.
    Otherwise the records are walked, since zipfile walks by byte size and
    ignores the count (a lying or overflowed count would not protect it); the
    walk stops just past ``limit``, and then the number is only a lower bound.
    ``(None, False)`` when the directory cannot be parsed: zipfile will say why.
    """
    tail_len = min(size, 22 + 0xFFFF + 20)  # end record, longest comment, zip64 locator
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None, False
    count, cd_size = struct.unpack_from("<HI", tail, pos + 10)
    end_at = size - tail_len + pos
    if (count == 0xFFFF or cd_size == 0xFFFFFFFF) and pos >= 20 and tail[pos - 20:pos - 16] == b"PK\x06\x07":
        (z64_at,) = struct.unpack_from("<Q", tail, pos - 12)
        fp.seek(z64_at)
        record = fp.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            return None, False
        count, cd_size = struct.unpack_from("<QQ", record, 32)
        end_at = z64_at
    if count > limit:
        return count, True
    start = end_at - cd_size  # like zipfile: tolerate data prepended to the archive
    if start < 0:
        return None, False
    fp.seek(start)
    walked, buffer, offset = 0, fp.read(min(cd_size, 1 << 20)), 0
    consumed = 0
    while consumed < cd_size and walked <= limit:
        if len(buffer) - offset < 46:
            buffer = buffer[offset:] + fp.read(1 << 20)
            offset = 0
            if len(buffer) < 46:
                break
        if buffer[offset:offset + 4] != b"PK\x01\x02":
            return None, False  # let zipfile describe the damage
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buffer, offset + 28)
        record_len = 46 + name_len + extra_len + comment_len
        consumed += record_len
        walked += 1
        skip = offset + record_len - len(buffer)
        if skip > 0:
            fp.seek(skip, 1)
            buffer, offset = fp.read(1 << 20), 0
        else:
            offset += record_len
    return walked, walked <= limit


def normalise_name(name: str, kind: str = "ZIP") -> str:
    """The posix form of a member name, or ``ArchiveError`` if it is unsafe.

    Backslashes count as separators (Windows tools write them); ``.`` and empty
    parts are dropped. Any ``..`` is refused, even one that stays inside, since
    no honest archiver writes it and it could alias another member. ``kind``
    names the archive in messages ("ZIP", "tar archive").
    """
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        raise ArchiveError(f"The {kind} holds an absolute path ({show(name)}).")
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if parts and _DRIVE.match(parts[0]):  # "./C:/x" is "C:/x" once the "." is gone
        raise ArchiveError(f"The {kind} holds an absolute path ({show(name)}).")
    depth = 0
    for part in parts:
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            raise ArchiveError(f"The {kind} holds a path that escapes its folder ({show(name)}).")
    if ".." in parts:
        raise ArchiveError(f"The {kind} holds a path with '..' in it ({show(name)}); "
                           "such paths are not accepted.")
    return "/".join(parts)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author meant it.

    Without the UTF-8 flag zipfile decodes names as cp437, but most tools that
    omit the flag wrote UTF-8 anyway: use that when it decodes, cp437 otherwise.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # genuinely cp437 (or unknown): keep zipfile's reading, never crash
    return name


def validate(zf: zipfile.ZipFile, *, archive_size: int, max_members: int,
             max_uncompressed_bytes: int, max_compression_ratio: float,
             progress: Progress = NullProgress()) -> Listing:
    """Check every member before any content is read; return the regular files.

    Raises ``ArchiveError`` for the first problem found. Folders are dropped;
    a single top-level folder shared by every member is stripped from paths.
    """
    infos = zf.infolist()
    if len(infos) > max_members:
        raise ArchiveError(_too_many(len(infos), max_members))
    progress.update("extract", f"Checking {len(infos):,} entries", 0, len(infos))
    files: list[tuple[zipfile.ZipInfo, str]] = []
    seen: set[str] = set()
    for index, info in enumerate(infos):
        if index % _CHECK_EVERY == 0:
            progress.check()
        path = _check_entry(info)
        if path is None:
            continue  # a folder: nothing to read
        _check_file(info, path, seen, max_compression_ratio)
        files.append((info, path))
    _check_totals([info for info, _ in files], archive_size=archive_size,
                  max_uncompressed_bytes=max_uncompressed_bytes,
                  max_compression_ratio=max_compression_ratio)
    return _listing(files, entries=len(infos))


def _check_entry(info: zipfile.ZipInfo) -> str | None:
    """The entry's normalised path, or None for a folder; ``ArchiveError`` for an unsafe name, encryption or kind."""
    if "\x00" in info.orig_filename:  # zipfile silently cuts the name at the NUL
        raise ArchiveError(f"The ZIP holds a member name with a NUL character "
                           f"({show(info.orig_filename)}).")
    raw_name = member_name(info)
    path = normalise_name(raw_name)
    if info.flag_bits & 0x1:
        raise ArchiveError(f"The ZIP holds an encrypted member ({show(path)}); "
                           "encrypted archives are not supported.")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise ArchiveError(f"The ZIP holds a symbolic link ({show(path)}); links are not followed.")
    if kind in _SPECIAL_KINDS:
        raise ArchiveError(f"The ZIP holds a special file ({show(path)}), such as a device or "
                           "pipe; only regular files are accepted.")
    if raw_name.replace("\\", "/").endswith("/") or kind == stat.S_IFDIR or not path:
        return None
    return path


def _check_file(info: zipfile.ZipInfo, path: str, seen: set[str],
                max_compression_ratio: float) -> None:
    """Refuse a file member that cannot be read, repeats a path (added to ``seen``) or is a bomb."""
    if info.header_offset < 0:  # the directory says the data starts before the file does
        raise ArchiveError(f"The ZIP archive is corrupt or truncated: {show(path)} cannot be read.")
    if info.compress_type not in _SUPPORTED_METHODS:
        raise ArchiveError(f"The ZIP holds a member compressed with an unsupported method "
                           f"({show(path)}, method {info.compress_type}).")
    if path in seen:
        raise ArchiveError(f"The ZIP holds the same path twice ({show(path)}).")
    seen.add(path)
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_compression_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise ArchiveError(f"The ZIP holds a member that expands {ratio:,.0f}-fold ({show(path)}), "
                           f"more than the limit of {max_compression_ratio:,.0f}; "
                           "it looks like a compression bomb.")


def _check_totals(infos: list[zipfile.ZipInfo], *, archive_size: int,
                  max_uncompressed_bytes: int, max_compression_ratio: float) -> None:
    """Refuse file members whose declared sizes, added up, make a bomb."""
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos)
    if total > max_uncompressed_bytes:
        raise ArchiveError(bomb_total(max_uncompressed_bytes))
    # Honest members own disjoint bytes of the file; more compressed bytes than the
    # file holds means entries share data, the trick of non-recursive zip bombs.
    if compressed > archive_size:
        raise ArchiveError("The ZIP's members overlap one another; it looks like a compression bomb.")
    if total > RATIO_FLOOR_BYTES and total > max_compression_ratio * archive_size:
        raise ArchiveError(f"The ZIP as a whole expands {total / archive_size:,.0f}-fold, more than "
                           f"the limit of {max_compression_ratio:,.0f}; it looks like a compression bomb.")


def _listing(files: list[tuple[zipfile.ZipInfo, str]], entries: int) -> Listing:
    """The validated files as members, the single top folder (if any) stripped from their paths."""
    return listing_of([(info, path, info.file_size) for info, path in files], entries, "ZIP")


def listing_of(files: list[tuple[object, str, int]], entries: int, kind: str) -> Listing:
    """(what to read it by, normalised path, declared size) of each file as a ``Listing`` of members.

    The single top folder (if any) is stripped from their paths; shared by the ZIP and
    the tar archive, whose ``kind`` names it in messages.
    """
    root = _single_root([path for _, path, _ in files])
    cut = len(root) + 1 if root else 0
    members = [Member(info, path[cut:] if root and path.startswith(root + "/") else path, path, size)
               for info, path, size in files]
    for member in members:  # "repo/C:/x.py" is "C:/x.py" once the top folder is gone
        if _DRIVE.match(member.path):
            raise ArchiveError(f"The {kind} holds a path that names a drive once its top folder is removed "
                               f"({show(member.name)}).")
    return Listing(members=members, root_folder=root, entries=entries)


def _single_root(paths: list[str]) -> str | None:
    """The one folder every file sits under (``__MACOSX`` ignored), or None."""
    tops = set()
    for path in paths:
        top, sep, _ = path.partition("/")
        if top == MACOS_METADATA_DIR:
            continue
        if not sep:
            return None  # a file at the top: nothing to strip
        tops.add(top)
        if len(tops) > 1:
            return None
    return tops.pop() if tops else None


class ReadBudget:
    """Bytes really decompressed so far, against the archive-wide limit."""

    def __init__(self, max_total: int, message: str | None = None) -> None:
        self.max_total = max_total
        self.message = message or bomb_total(max_total)  # what passing the limit says
        self.used = 0

    def add(self, n: int) -> None:
        """Count ``n`` more bytes; ``ArchiveError`` once the total passes the limit."""
        self.used += n
        if self.used > self.max_total:
            raise ArchiveError(self.message)


def read_member(zf: zipfile.ZipFile, member: Member, budget: ReadBudget) -> bytes:
    """The member's content, read into memory; never more than one byte past its declared size.

    zipfile trusts the declared size: it cuts the output there and then fails the
    CRC, which would hide a header that lies. So the cap is lifted on a copy of
    the entry and the real bytes are counted here instead.
    """
    declared = member.info.file_size
    chunks, got = [], 0
    try:
        with _open_uncapped(zf, member.info) as stream:
            while chunk := stream.read(min(_CHUNK, declared + 1 - got)):
                got += len(chunk)
                budget.add(len(chunk))
                if got > declared:
                    raise ArchiveError(f"The ZIP holds a member whose data is larger than its header "
                                       f"declares ({show(member.name)}); it looks like a compression bomb.")
                chunks.append(chunk)
    except OSError as exc:
        if exc.errno is not None:
            raise  # a real I/O error reading the file: transient, not the archive's fault
        raise _corrupt(member, exc) from exc  # bz2 reports bad data as an errno-less OSError
    except _DATA_ERRORS as exc:
        raise _corrupt(member, exc) from exc
    if got < declared:
        raise ArchiveError(f"The ZIP archive is corrupt: {show(member.name)} is shorter than its "
                           "header declares.")
    return b"".join(chunks)


def _open_uncapped(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A reader of the member's decompressed bytes that stops at the real end of its data."""
    if info.compress_type == zipfile.ZIP_BZIP2:
        # zipfile decompresses bzip2 without an output cap, 4 KiB at a time, and
        # 4 KiB of bzip2 can hold gigabytes of zeros: take the raw bytes (a
        # "stored" view of the member, with no CRC to check) and cap it here.
        raw = copy.copy(info)
        raw.compress_type, raw.file_size = zipfile.ZIP_STORED, info.compress_size
        del raw.CRC  # zipfile checks no CRC then; _Bz2Reader checks the real one
        return _Bz2Reader(zf.open(raw), info.CRC)
    uncapped = copy.copy(info)
    uncapped.file_size = _NO_CAP
    # Deflate output is capped per call by zipfile; LZMA is not, but its ratio tops out
    # near 8,000:1, so one 4 KiB read holds tens of MB at worst, not gigabytes.
    return zf.open(uncapped)


class _Bz2Reader:
    """``read(n)`` over a raw bzip2 stream, never more than ``n`` bytes per decompression."""

    def __init__(self, raw, expected_crc: int) -> None:
        self._raw, self._expected_crc = raw, expected_crc
        self._decompressor = bz2.BZ2Decompressor()
        self._crc = 0

    def read(self, n: int) -> bytes:
        while not self._decompressor.eof:
            needs_input = self._decompressor.needs_input
            data = self._raw.read(_CHUNK) if needs_input else b""
            if needs_input and not data:
                raise EOFError("the bzip2 data ends early")
            out = self._decompressor.decompress(data, n)
            if out:
                self._crc = zlib.crc32(out, self._crc)
                return out
        if self._crc != self._expected_crc:
            raise zipfile.BadZipFile("Bad CRC-32")
        return b""

    def __enter__(self) -> "_Bz2Reader":
        return self

    def __exit__(self, *exc) -> None:
        self._raw.close()


def _corrupt(member: Member, exc: BaseException) -> ArchiveError:
    if "CRC" in str(exc):
        return ArchiveError(f"The ZIP archive is corrupt: {show(member.name)} fails its checksum.")
    return ArchiveError(f"The ZIP archive is corrupt or truncated: {show(member.name)} cannot be read.")
