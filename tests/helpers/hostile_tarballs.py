"""A corpus of hostile and broken ``.tar.gz`` archives, each with the outcome RepoWiki owes the user.

The tar counterpart of ``helpers.hostile_zips`` (same ``Case``, same escape
names, so a test can look for an escaped file anywhere): every case is built
fresh into a folder the caller owns. Where tarfile will not write the hostile
thing itself (a header whose data is missing, a pax header past the cap), the
tar bytes are put together by hand and gzipped here.
"""
from __future__ import annotations

import gzip
import random
import tarfile
import zlib
from pathlib import Path

from helpers import hostile_zips
from helpers.hostile_zips import ABSOLUTE_TARGET, ESCAPE_NAME, Case
from helpers.hostile_zips import build  # noqa: F401  (one case of any corpus, offered here too)

GOOD = [("pkg-1.0/src/app.py", b"print('hello')\n"), ("pkg-1.0/README.md", b"# Hello\n")]
GOOD_PATHS = ("README.md", "src/app.py")
BOMB_BYTES = 200_000_000  # zeros in the gzip bomb: ~200 KB of gzip, stopped near 40 MB (the 200-fold limit)
MANY = 200_001            # one past the default limit of entries


def entry(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, **fields) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(data) if kind == tarfile.REGTYPE else 0
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def tar_body(entries) -> bytes:
    """The members of a tar, (TarInfo or name, data) pairs in order, GNU format, without the end blocks."""
    parts = []
    for item, data in entries:
        info = item if isinstance(item, tarfile.TarInfo) else entry(item, data)[0]
        parts.append(info.tobuf(tarfile.GNU_FORMAT))
        if info.isreg():
            parts.append(data + bytes(-len(data) % tarfile.BLOCKSIZE))
    return b"".join(parts)


def tar_bytes(entries) -> bytes:
    """A whole uncompressed tar: the members, then the two zero blocks that end it."""
    return tar_body(entries) + bytes(2 * tarfile.BLOCKSIZE)


def write_tgz(path: Path, raw: bytes, level: int = 6) -> Path:
    path.write_bytes(gzip.compress(raw, compresslevel=level, mtime=0))
    return path


def make_tgz(path: Path, entries) -> Path:
    return write_tgz(path, tar_bytes(entries))


def _with(*entries, file: str = "pkg-1.0.tar.gz"):
    """A builder of GOOD plus ``entries``."""
    return lambda folder: make_tgz(folder / file, [*GOOD, *entries])


def _header_only(name: str, size: int) -> bytes:
    """A file header declaring ``size`` bytes that never follow (tarfile would want the data)."""
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(tarfile.GNU_FORMAT)


def _huge_member(folder: Path) -> Path:
    return write_tgz(folder / "pkg-1.0.tar.gz", tar_body(GOOD) + _header_only("pkg-1.0/huge.bin", 5 * 1024**3))


def _gzip_bomb(folder: Path) -> Path:
    """200 MB of zeros in one member, compressed as it is written (never 200 MB in memory)."""
    path = folder / "pkg-1.0.tar.gz"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
    with open(path, "wb") as fp:
        fp.write(compressor.compress(tar_body(GOOD) + _header_only("pkg-1.0/zeros.txt", BOMB_BYTES)))
        zeros = bytes(1 << 20)
        for _ in range(BOMB_BYTES // len(zeros)):
            fp.write(compressor.compress(zeros))
        fp.write(compressor.compress(bytes(1024)) + compressor.flush())
    return path


def _many_members(folder: Path) -> Path:
    """MANY folder entries (one header repeated): the count is refused before any name repeats matter."""
    one = tarfile.TarInfo("pkg-1.0/d")
    one.type = tarfile.DIRTYPE
    return write_tgz(folder / "pkg-1.0.tar.gz", tar_body(GOOD) + one.tobuf() * MANY + bytes(1024), level=1)


def _pax_bomb(folder: Path) -> Path:
    """A pax header 2 MiB long: tarfile would read it into memory whole, whatever it declared.

    Its bytes are random, so the ratio limit cannot be what stops it.
    """
    pax = tarfile.TarInfo("pkg-1.0/././@PaxHeader")
    pax.type, pax.size = tarfile.XHDTYPE, 2 * 1024 * 1024
    body = pax.tobuf(tarfile.USTAR_FORMAT) + random.Random(15).randbytes(pax.size)
    return write_tgz(folder / "pkg-1.0.tar.gz", body + tar_bytes(GOOD))


def _truncated(folder: Path) -> Path:
    data = make_tgz(folder / "whole.tar.gz", [*GOOD, ("pkg-1.0/big.py", b"x = 1\n" * 20_000)]).read_bytes()
    path = folder / "pkg-1.0.tar.gz"
    path.write_bytes(data[:len(data) // 2])
    return path


def _raw(data: bytes, file: str = "pkg-1.0.tar.gz"):
    """A builder writing ``data`` as it is (the ZIP corpus's, under a tarball's name)."""
    return hostile_zips._raw(data, file)


CASES: tuple[Case, ...] = (
    Case("tar_good", "an sdist-like tarball under one top folder", _with(), paths=GOOD_PATHS),
    Case("tar_tgz_suffix", "the same under .tgz", _with(file="pkg.tgz"), paths=GOOD_PATHS),
    Case("tar_selection", "gitignored, vendored and binary members: the rules of a ZIP", _with(
        ("pkg-1.0/.gitignore", b"*.log\n"), ("pkg-1.0/debug.log", b"x\n"),
        ("pkg-1.0/node_modules/a/index.js", b"x\n"), ("pkg-1.0/logo.png", b"\x89PNG\x00")),
         paths=(".gitignore", *GOOD_PATHS), skipped={"gitignored": 1, "vendored": 1, "binary": 1}),
    Case("tar_traversal", "../ at the top", _with((f"../{ESCAPE_NAME}", b"x = 1\n")),
         error="escapes its folder"),
    Case("tar_traversal_deep", "../ deep inside a path", _with((f"pkg-1.0/src/../../../{ESCAPE_NAME}", b"x = 1\n")),
         error="escapes its folder"),
    Case("tar_absolute", "an absolute /tmp path", _with((ABSOLUTE_TARGET, b"x = 1\n")), error="absolute path"),
    Case("tar_symlink", "a symlink to /etc/passwd",
         _with(entry("pkg-1.0/passwd", kind=tarfile.SYMTYPE, linkname="/etc/passwd")), error="symbolic link"),
    Case("tar_hard_link", "a hard link to /etc/passwd",
         _with(entry("pkg-1.0/passwd", kind=tarfile.LNKTYPE, linkname="/etc/passwd")), error="hard link"),
    Case("tar_device", "a character device (/dev/null's numbers)",
         _with(entry("pkg-1.0/null", kind=tarfile.CHRTYPE, devmajor=1, devminor=3)), error="special file"),
    Case("tar_fifo", "a named pipe", _with(entry("pkg-1.0/pipe", kind=tarfile.FIFOTYPE)), error="special file"),
    Case("tar_duplicate", "the same path twice", _with(("pkg-1.0/src/app.py", b"evil()\n")), error="same path twice"),
    Case("tar_gzip_bomb", "200 MB of zeros in ~200 KB of gzip", _gzip_bomb, error="compression bomb"),
    Case("tar_huge_member", "a header declaring 5 GiB", _huge_member, error="more than 4.0 GiB"),
    Case("tar_many_members", f"{MANY:,} entries", _many_members, error="more than 200,000 files and folders"),
    Case("tar_pax_bomb", "a 2 MiB pax header", _pax_bomb, error="header larger than"),
    Case("tar_truncated", "cut in half", _truncated, error="corrupt or truncated"),
    Case("tar_not_gzip", "text named .tar.gz", _raw(b"just some text\n"), error="not a gzip-compressed tar"),
    Case("tar_gzip_not_tar", "a gzipped text file named .tar.gz", _raw(gzip.compress(b"x" * 2000)),
         error="corrupt or truncated"),
    Case("tar_zero_byte", "an empty file", _raw(b""), error="empty (0 bytes)"),
    Case("tar_empty_archive", "a valid tar.gz of nothing", lambda folder: make_tgz(folder / "pkg.tar.gz", []),
         error="holds no files at all"),
)
BY_NAME = {case.name: case for case in CASES}


def build_corpus(root: Path) -> dict[str, Path]:
    """Every case, built under ``root``: case name -> file."""
    return hostile_zips.build_corpus(root, CASES)
