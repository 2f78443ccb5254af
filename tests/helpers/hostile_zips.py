"""A corpus of hostile and broken ZIPs, each with the outcome RepoWiki owes the user.

Every case is built fresh into a directory the caller owns (a test's tmp dir).
The crafting helpers (``make_zip``, ``patch``, ``headers``, ``info``) are those
of ``helpers.zip_crafting``, shared with ``tests/core/ingest/test_archive.py``: where
zipfile will not write the hostile thing itself, they patch header bytes after the fact.

A case expects either an ``error`` (a phrase its one-sentence message must
contain) or an index (the ``paths`` indexed, relative to the repository root,
and optionally the ``skipped`` counts). Entries that try to escape name a file
``ESCAPE_NAME``: a test can look for it anywhere and must never find it.
"""
from __future__ import annotations

import base64
import io
import os
import stat
import struct
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.zip_crafting import GOOD, headers, info, make_zip, patch


ESCAPE_NAME = "repowiki_escaped.py"
ABSOLUTE_TARGET = f"/tmp/{ESCAPE_NAME}"
GOOD_PATHS = ("README.md", "src/app.py")
HTML_BAIT = '<img src=x onerror="alert(1)"> <b>bold</b> <script>alert(2)</script>\n'
# Files a careless tool would run or import: conftest.py (pytest), setup.py (pip),
# __init__.py (import), sitecustomize.py (the interpreter at start-up).
EXECUTABLE_BAIT = ("conftest.py", "setup.py", "pkg/__init__.py", "sitecustomize.py")


@dataclass(frozen=True)
class Case:
    name: str
    what: str                                    # one line for the report
    build: Callable[[Path], Path]                # writes the case into a folder, returns the file
    error: str | None = None                     # the message must contain this phrase
    paths: tuple[str, ...] = ()                  # the indexed paths (sorted), when it indexes
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def expect(self) -> str:
        return "error" if self.error else "index"

    @property
    def expected(self) -> str:
        """The outcome in words, for a report."""
        return f"error: …{self.error}…" if self.error else f"index {len(self.paths)} files"


def marker_path(folder: Path) -> Path:
    """Where the executable bait of ``folder``'s corpus would write if anything ran it."""
    return folder / "EXECUTED_FROM_ZIP"


# --- builders ----------------------------------------------------------------------

def _with(*entries, compression=zipfile.ZIP_DEFLATED, file="repo.zip"):
    """A builder of GOOD plus ``entries``."""
    def build(folder: Path) -> Path:
        return make_zip(folder / file, [*GOOD, *entries], compression)
    return build


def _patched(entries, member: bytes, compression=zipfile.ZIP_DEFLATED, **fields):
    def build(folder: Path) -> Path:
        path = make_zip(folder / "repo.zip", [*GOOD, *entries], compression)
        patch(path, member, **fields)
        return path
    return build


def _raw(data: bytes, file: str = "repo.zip"):
    def build(folder: Path) -> Path:
        path = folder / file
        path.write_bytes(data)
        return path
    return build


def _cut(keep: Callable[[bytes], int]):
    """GOOD, cut short at ``keep(data)`` bytes."""
    def build(folder: Path) -> Path:
        path = make_zip(folder / "repo.zip", GOOD)
        data = path.read_bytes()
        path.write_bytes(data[:keep(data)])
        return path
    return build


def _hard_link(folder: Path) -> Path:
    """ZIP has no hard links; the nearest thing is two directory entries sharing one file's data."""
    path = make_zip(folder / "repo.zip", [*GOOD, ("repo/orig.py", b"x = 1\n"), ("repo/link.py", b"y = 2\n")],
                    zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    found = {name: (cd, local) for cd, local, name in headers(data)}
    struct.pack_into("<I", data, found[b"repo/link.py"][0] + 42, found[b"repo/orig.py"][1])
    path.write_bytes(bytes(data))
    return path


def _overlap(folder: Path) -> Path:
    path = make_zip(folder / "repo.zip", GOOD, zipfile.ZIP_STORED)
    patch(path, b"repo/README.md", central={20: ("<I", path.stat().st_size)})
    return path


def _inner_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner/evil.py", "print('from the inner zip')\n")
        zf.writestr("inner/zeros.txt", bytes(5_000_000))  # a bomb if it were ever unpacked
    return buffer.getvalue()


def _count_bomb(folder: Path) -> Path:
    path = folder / "repo.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("repo/app.py", "x = 1\n")
        for i in range(200_000):  # one past the default limit of 200,000
            zf.writestr(f"r/{i}", b"")
    return path


def _tar_gz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"print('hello')\n"
        member = tarfile.TarInfo("repo/src/app.py")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _non_utf8_names(folder: Path) -> Path:
    path = make_zip(folder / "repo.zip", [*GOOD, ("repo/cafX.py", b"x = 1\n"), ("repo/utfXX.py", b"y = 2\n")])
    patch(path, b"repo/cafX.py", new_name=b"repo/caf\xe9.py")        # cp437/Latin-1, no UTF-8 flag
    patch(path, b"repo/utfXX.py", new_name="repo/utfé.py".encode())  # UTF-8 without the flag
    return path


def _duplicate(folder: Path) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name": the point
        return make_zip(folder / "repo.zip", [*GOOD, ("repo/src/app.py", b"evil()\n")])


def _executable_bait(folder: Path) -> Path:
    code = f"import os\nopen({str(marker_path(folder))!r}, 'w').write('ran')\n".encode()
    return make_zip(folder / "repo.zip", [*GOOD, *((f"repo/{name}", code) for name in EXECUTABLE_BAIT)])


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(300)
LINK = info("repo/src/passwd", stat.S_IFLNK | 0o777)
FIFO = info("repo/dev/pipe", stat.S_IFIFO | 0o644)
ODD_TYPE = info("repo/odd.py", 0o130000 | 0o644)  # file-type bits that name no type at all
ONE_LINE_JS = b"var a=" + b"1+" * 4000 + b"1;"
# Random base64: barely compressible, so 10 MB is 10 MB on disk and not a ratio bomb.
HUGE_LINE = base64.b64encode(os.urandom(7_500_000))

CASES: tuple[Case, ...] = (
    # --- paths that leave the folder ---
    Case("traversal_dotdot", "../ at the top", _with((f"../{ESCAPE_NAME}", b"x = 1\n")),
         error="path that escapes its folder"),
    Case("traversal_backslash", "Windows ..\\..\\ traversal", _with((f"..\\..\\{ESCAPE_NAME}", b"x = 1\n")),
         error="path that escapes its folder"),
    Case("traversal_deep", "../ deep inside a path", _with((f"repo/src/../../../{ESCAPE_NAME}", b"x = 1\n")),
         error="path that escapes its folder"),
    Case("dotdot_inside", "'..' that stays inside (aliasing)", _with(("repo/a/../src/app2.py", b"x = 1\n")),
         error="with '..' in it"),
    Case("absolute_posix", "an absolute /tmp path", _with((ABSOLUTE_TARGET, b"x = 1\n")),
         error="absolute path"),
    Case("drive_letter", "a C:\\ drive path", _with((f"C:\\{ESCAPE_NAME}", b"x = 1\n")),
         error="absolute path"),
    Case("drive_relative", "a drive-relative c: path", _with((f"c:{ESCAPE_NAME}", b"x = 1\n")),
         error="absolute path"),
    Case("unc_path", "a \\\\server\\share UNC path", _with((f"\\\\server\\share\\{ESCAPE_NAME}", b"x = 1\n")),
         error="absolute path"),
    Case("drive_after_root_strip", "repo/C:/x.py, a drive once the top folder goes (found by the fuzz)",
         _with(("repo/C:/x.py", b"x = 1\n")), error="names a drive"),
    Case("nul_in_name", "a NUL in a name", _patched([("repo/a.pyXx", b"x = 1\n")], b"repo/a.pyXx",
                                                    new_name=b"repo/a.py\x00x"),
         error="NUL character"),
    # --- members that are not regular files ---
    Case("symlink", "a symlink to /etc/passwd", _with((LINK, b"/etc/passwd")), error="symbolic link"),
    Case("hard_link", "two entries sharing one file's data", _hard_link, error="corrupt"),
    Case("fifo", "a named pipe", _with((FIFO, b"")), error="special file"),
    Case("unknown_file_type", "type bits naming no type: read as a plain file", _with((ODD_TYPE, b"x = 1\n")),
         paths=("README.md", "odd.py", "src/app.py")),
    # --- nested archives ---
    Case("nested_zip", "a ZIP inside, also under .py and .txt names", _with(
        ("repo/vendor.zip", _inner_zip()), ("repo/sneaky.py", _inner_zip()), ("repo/notes.txt", _inner_zip())),
         paths=GOOD_PATHS, skipped={"binary": 3}),
    # --- bombs ---
    Case("bomb_ratio", "20 MB of zeros in one member", _with(("repo/zeros.txt", bytes(20_000_000))),
         error="compression bomb"),
    Case("bomb_overlap", "members sharing their data", _overlap, error="overlap"),
    Case("bomb_lying_header", "2 MB declared as 100 bytes", _patched(
        [("repo/liar.py", bytes(2_000_000))], b"repo/liar.py", central={24: ("<I", 100)}, local={22: ("<I", 100)}),
         error="larger than its header declares"),
    Case("bomb_count", "200,001 entries", _count_bomb, error="more than the limit of 200,000"),
    # --- damaged or not a ZIP ---
    Case("encrypted", "an encrypted member", _patched([("repo/key.txt", b"hunter2\n")], b"repo/key.txt",
                                                      central={8: ("<H", 1)}, local={6: ("<H", 1)}),
         error="encrypted"),
    Case("truncated", "cut in half", _cut(lambda d: len(d) // 2), error="corrupt or truncated"),
    Case("truncated_central_directory", "cut inside the central directory",
         _cut(lambda d: next(headers(d))[0] + 10), error="corrupt or truncated"),
    Case("head_cut_off", "its first bytes cut off: offsets point before the file (found by the fuzz)",
         lambda folder: _raw(make_zip(folder / "whole.zip", GOOD).read_bytes()[10:])(folder),
         error="corrupt or truncated"),
    Case("crc_mismatch", "one byte changed in stored data", _patched(
        [], b"repo/src/app.py", zipfile.ZIP_STORED, local={30 + len(b"repo/src/app.py"): ("<B", ord("P"))}),
         error="fails its checksum"),
    Case("unsupported_method", "method 9 (deflate64)", _patched(
        [("repo/odd.py", b"x = 1\n" * 100)], b"repo/odd.py", central={10: ("<H", 9)}, local={8: ("<H", 9)}),
         error="unsupported method"),
    Case("bad_utf8_flag", "a name flagged UTF-8 that is not", _patched(
        [("repo/caf\u00e9.py", b"x = 1\n")], "repo/caf\u00e9.py".encode(), new_name=b"repo/caf\xff\xfe.py"),
         error="not valid UTF-8"),
    Case("zero_byte", "an empty file", _raw(b""), error="empty (0 bytes)"),
    Case("tar_gz_named_zip", "a .tar.gz renamed .zip: the content decides (issue 15)", _raw(_tar_gz()),
         paths=("src/app.py",)),
    Case("text_named_zip", "a text file renamed .zip", _raw(b"just some text\n"), error="not a ZIP archive"),
    Case("zip_named_tar_gz", "a ZIP named .tar.gz: the content decides", _with(file="repo.tar.gz"),
         paths=GOOD_PATHS),
    Case("sfx_prefix", "a program before the ZIP (self-extracting)",
         lambda folder: _raw(b"MZ" + bytes(1000) + make_zip(folder / "plain.zip", GOOD).read_bytes())(folder),
         paths=GOOD_PATHS),
    # --- names ---
    Case("non_utf8_names", "cp437 and unflagged UTF-8 names", _non_utf8_names,
         paths=("README.md", "caf\u0398.py", "src/app.py", "utfé.py")),
    Case("duplicate_names", "the same name twice", _duplicate, error="same path twice"),
    Case("duplicate_by_separator", "a/b and a\\b", _with(("repo\\src\\app.py", b"evil()\n")),
         error="same path twice"),
    # --- content ---
    Case("huge_single_line", "10 MB on one line, and a one-line bundle", _with(
        ("repo/huge.py", HUGE_LINE), ("repo/bundle.js", ONE_LINE_JS)),
         paths=GOOD_PATHS, skipped={"too_large": 1, "minified": 1}),
    Case("binary_as_text", "PNG named .py, ELF named .txt", _with(("repo/logo.py", PNG), ("repo/run.txt", ELF)),
         paths=GOOD_PATHS, skipped={"binary": 2}),
    Case("no_text", "nothing but binaries", lambda folder: make_zip(
        folder / "repo.zip", [("repo/logo.png", PNG), ("repo/a.py", ELF)]), error="contains no text files"),
    Case("empty_archive", "a valid ZIP with no entries", lambda folder: make_zip(folder / "repo.zip", []),
         error="holds no files at all"),
    Case("html_in_file", "a file holding <img onerror>", _with(("repo/page.html", HTML_BAIT.encode())),
         paths=("README.md", "page.html", "src/app.py")),
    Case("executable_bait", "conftest.py, setup.py, __init__.py, sitecustomize.py that write a marker",
         _executable_bait, paths=tuple(sorted((*GOOD_PATHS, *EXECUTABLE_BAIT)))),
)
BY_NAME = {case.name: case for case in CASES}


def build(case: Case, root: Path) -> Path:
    """Build ``case`` in a folder of its own under ``root``; return the file to index."""
    folder = root / case.name
    folder.mkdir(parents=True, exist_ok=True)
    return case.build(folder)


def build_corpus(root: Path, cases: tuple[Case, ...] | None = None) -> dict[str, Path]:
    """Every case (of this corpus, or ``cases``), built under ``root``: case name -> file."""
    return {case.name: build(case, root) for case in (CASES if cases is None else cases)}
