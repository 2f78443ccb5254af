"""Which files of a repository are worth indexing, and their text.

``ingest_source`` is the whole first step of indexing: it opens the source (a
ZIP, a ``.tar.gz``/``.tgz`` or a folder, ``sources.py``) which validates it,
picks the files a reader of the code cares about, reads them straight from the
source into memory (nothing is written to disk) and decodes them. The rules,
limits and decoding here are the same for every kind of source.

Skipped files are counted by reason, never an error. A file gets the first
reason that applies, in this order:

``os_metadata``  macOS/Windows debris: ``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``
``vendored``     third-party or generated trees (``node_modules``, ``.git``, a virtualenv, ...)
``gitignored``   matched by the root or a nested ``.gitignore`` (git's own rules, via pathspec)
``lockfile``     dependency lock files
``binary``       a binary extension, or content that is not text (NUL bytes, a nested ZIP,
                 mostly control characters)
``minified``     ``*.min.js`` and friends, source maps, or JS/CSS with very long lines
``too_large``    declared size above ``max_file_bytes``; decided before reading
``link``, ``special``, ``unreadable``  a folder's symbolic links, pipes or devices, and files
                 it cannot open (``folder.py``); an archive refuses the first two whole

The content tests (``binary`` and ``minified`` by what a file holds) come last,
after reading, since they need the bytes.

``.gitignore`` files themselves are indexed like any other text: they say what
a project produces, which a reader may ask about. Empty text files are kept
(an empty ``__init__.py`` still marks a package), but a ZIP whose files are all
skipped or blank "contains no text files" and fails.
"""
from __future__ import annotations

import codecs
import hashlib
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from ..errors import ArchiveError
from ..progress import NullProgress, Progress
from .archive import MACOS_METADATA_DIR, Member
from .sources import Source, open_source

_CHECK_EVERY = 256
_SNIFF_BYTES = 8192

LANGUAGES = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".java": "java", ".go": "go", ".rs": "rust", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".md": "markdown", ".markdown": "markdown", ".rst": "rst",
}

# Folder names whose whole tree is third-party or generated.
VENDORED_DIRS = frozenset({
    "node_modules", "bower_components", "jspm_packages", "vendor",
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "site-packages",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode",
    "coverage", "htmlcov", ".nyc_output", ".next", ".nuxt", ".gradle", ".eggs",
})
# Usual build outputs, but also legitimate package names (pypa/build has src/build/):
# skipped unless the folder holds an __init__.py of its own.
BUILD_DIRS = frozenset({"build", "dist", "target"})
LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "Cargo.lock", "composer.lock",
    "Gemfile.lock", "go.sum", "mix.lock", "pubspec.lock", "Podfile.lock", "packages.lock.json",
    "flake.lock", "gradle.lockfile",
})
OS_METADATA_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
BINARY_EXTENSIONS = frozenset("""
    .png .jpg .jpeg .gif .bmp .ico .icns .tif .tiff .webp .psd .heic .avif
    .zip .jar .war .ear .whl .egg .gz .tgz .bz2 .xz .zst .7z .rar .tar .apk .ipa .nupkg
    .pyc .pyo .pyd .so .dll .dylib .exe .bin .o .obj .a .lib .class .dex .wasm .node
    .ttf .otf .woff .woff2 .eot .pdf .doc .docx .xls .xlsx .ppt .pptx .odt .ods
    .mp3 .mp4 .wav .ogg .flac .avi .mov .mkv .webm .m4a
    .sqlite .sqlite3 .db .pkl .pickle .npy .npz .h5 .onnx .pt .pth .safetensors .gguf
    .parquet .feather .arrow .lockb .iso .dmg .deb .rpm .msi
""".split())
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.css", ".bundle.js", "-min.js",
                     ".js.map", ".mjs.map", ".css.map")
_MINIFIABLE = (".js", ".mjs", ".cjs", ".css")
# Control characters that text does not use: C0 but for \t \n \v \f \r and ESC
# (logs with colours), and DEL. C1 (0x80-0x9f) is left out on purpose: Latin-1
# turns cp1252's curly quotes and dashes into C1, and that is still text.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


@dataclass(frozen=True)
class IngestLimits:
    """Limits against hostile or accidental input (the defaults mirror ``Settings``)."""

    max_zip_members: int = 200_000
    max_uncompressed_bytes: int = 4 * 1024**3
    max_compression_ratio: float = 200.0
    max_file_bytes: int = 1024 * 1024


@dataclass
class SourceFile:
    """One file chosen for indexing, decoded."""

    path: str               # posix, relative to the repository root (single top folder stripped)
    language: str | None    # tree-sitter-language-pack name, None for other text
    text: str               # decoded, newlines normalised to "\n"
    sha256: str             # of the raw bytes
    size: int               # raw bytes


@dataclass
class Ingested:
    """What ``ingest_source`` found in a source."""

    files: list[SourceFile]                              # sorted by path
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (see module doc)
    zip_sha256: str = ""                                 # of the archive file; of the files read, for a folder
    root_folder: str | None = None                       # the stripped top-level folder, if any
    members: int = 0                                     # file members in the source (folders not counted)


def detect_language(path: str) -> str | None:
    """The tree-sitter-language-pack name for ``path``'s extension, or None for other text."""
    return LANGUAGES.get(posixpath.splitext(path)[1].lower())


def ingest_source(path: Path, limits: IngestLimits,
                  progress: Progress = NullProgress()) -> Ingested:
    """Validate the whole source (a ZIP, a .tar.gz/.tgz, a folder), select files, read and decode them.

    Raises ArchiveError. Nothing is written to disk: files go from the source
    straight to memory. Stages: "extract" (validating, then reading) and "scan" (decoding).
    """
    skipped: Counter[str] = Counter()
    with open_source(Path(path), limits, VENDORED_DIRS, progress) as source:
        skipped.update(source.skipped)
        digest = source.digest(progress)  # after validation: a bad archive fails fast
        raw = _read_selected(source, limits, progress, skipped)
    files = _decode_all(raw, progress, skipped)
    if not any(f.text.strip() for f in files):
        raise ArchiveError(_no_text_message(source.kind, len(source.members), skipped, len(files)))
    files.sort(key=lambda f: f.path)
    return Ingested(files=files, skipped=dict(skipped), zip_sha256=digest or _manifest_digest(files),
                    root_folder=source.root_folder, members=len(source.members))


ingest_zip = ingest_source  # the name the benches and older callers know; any kind of source


def _read_selected(source: Source, limits: IngestLimits, progress: Progress,
                   skipped: Counter[str]) -> list[tuple[Member, bytes]]:
    """The raw bytes of the members worth reading; the others are counted in ``skipped``."""
    budget = source.budget(limits.max_uncompressed_bytes)
    selector = _Selector(source.members)
    selector.load_gitignores(lambda members: source.read(members, budget), limits.max_file_bytes)
    chosen: list[Member] = []
    raw: list[tuple[Member, bytes]] = []
    for index, member in enumerate(source.members):
        if index % _CHECK_EVERY == 0:
            progress.check()
        reason = selector.reason(member) or _size_reason(member, limits)
        if reason:
            skipped[reason] += 1
        elif member.path in selector.preread:
            raw.append((member, selector.preread.pop(member.path)))
        else:
            chosen.append(member)
    total = len(chosen)
    for index, (member, data) in enumerate(source.read(chosen, budget)):
        if index % _CHECK_EVERY == 0:
            progress.check()
            progress.update("extract", "Reading files", index, total)
        if data is None:
            skipped["unreadable"] += 1
        else:
            raw.append((member, data))
    progress.update("extract", "Reading files", total, total)
    return raw


def _decode_all(raw: list[tuple[Member, bytes]], progress: Progress,
                skipped: Counter[str]) -> list[SourceFile]:
    """The members that decode to source text, emptying ``raw``; the others are counted in ``skipped``."""
    files: list[SourceFile] = []
    raw.reverse()  # pop from the end: each file's bytes are freed once decoded
    done, to_scan = 0, len(raw)
    while raw:
        member, data = raw.pop()
        if done % _CHECK_EVERY == 0:
            progress.check()
            progress.update("scan", "Decoding files", done, to_scan)
        done += 1
        text = decode_text(data)
        if text is None:
            skipped["binary"] += 1
        elif looks_minified(member.path, text, len(data)):
            skipped["minified"] += 1
        else:
            files.append(SourceFile(path=member.path, language=detect_language(member.path),
                                    text=text, sha256=hashlib.sha256(data).hexdigest(),
                                    size=len(data)))
    progress.update("scan", f"{len(files):,} files to index", to_scan, to_scan)
    return files


def _size_reason(member: Member, limits: IngestLimits) -> str | None:
    return "too_large" if member.size > limits.max_file_bytes else None


def _manifest_digest(files: list[SourceFile]) -> str:
    """A folder's digest: its indexed files' paths and hashes, so it changes when they do."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.sha256}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _no_text_message(kind: str, members: int, skipped: Counter, blank: int) -> str:
    if members == 0:
        return f"The {kind} contains no text files; it holds no files at all."
    parts = [f"{count:,} {reason}" for reason, count in skipped.most_common()]
    if blank:
        parts.append(f"{blank:,} empty")
    noun = "file" if members == 1 else "files"
    return f"The {kind} contains no text files; of its {members:,} {noun}: {', '.join(parts)}."


class _Selector:
    """Path rules: OS debris, vendored trees, .gitignore, lock, binary and minified names."""

    def __init__(self, members: list[Member]) -> None:
        self.members = members
        paths = [m.path for m in members]
        # A folder holding pyvenv.cfg or bin/activate is a virtualenv, whatever its name.
        self.venvs = {_parent(p) for p in paths if _name(p) == "pyvenv.cfg"}
        self.venvs |= {_parent(_parent(p)) for p in paths
                       if _name(p) == "activate" and _name(_parent(p)) in ("bin", "Scripts")}
        self.packages = {_parent(p) for p in paths if _name(p) == "__init__.py"}
        self.gitignores: dict[str, pathspec.GitIgnoreSpec] = {}  # folder ("" = root) -> rules
        self.preread: dict[str, bytes] = {}  # .gitignore bytes, so they are read only once

    def load_gitignores(self, read, max_bytes: int) -> None:
        """Read the .gitignore files that git itself would read, shallowest first.

        One inside an ignored or vendored folder is never seen by git, so it
        cannot re-include anything. ``read(members)`` yields (member, bytes or
        None); the files of one depth are read together (one pass of a tar archive).
        """
        by_depth: dict[int, list[Member]] = {}
        for member in self.members:
            if _name(member.path) == ".gitignore" and member.size <= max_bytes:
                by_depth.setdefault(member.path.count("/"), []).append(member)
        for depth in sorted(by_depth):
            wanted = [m for m in by_depth[depth] if not self._path_reason(m.path)]
            for member, data in read(wanted):
                if data is not None:
                    self.preread[member.path] = data
                    self.gitignores[_parent(member.path)] = _gitignore_spec(decode_text(data) or "")

    def reason(self, member: Member) -> str | None:
        """Why ``member`` is skipped by its path alone, or None to read it."""
        reason = self._path_reason(member.path)
        if reason:
            return reason
        name = _name(member.path)
        lower = name.lower()
        if name in LOCKFILES:
            return "lockfile"
        if posixpath.splitext(lower)[1] in BINARY_EXTENSIONS:
            return "binary"
        if lower.endswith(MINIFIED_SUFFIXES):
            return "minified"
        return None

    def _path_reason(self, path: str) -> str | None:
        parts = path.split("/")
        if parts[0] == MACOS_METADATA_DIR or parts[-1] in OS_METADATA_FILES:
            return "os_metadata"
        folder = ""
        for part in parts[:-1]:
            folder = f"{folder}/{part}" if folder else part
            if (part in VENDORED_DIRS or part.endswith(".egg-info") or folder in self.venvs
                    or (part in BUILD_DIRS and folder not in self.packages)):
                return "vendored"
        if "" in self.venvs:  # the whole archive is a virtualenv
            return "vendored"
        return "gitignored" if self._ignored(path) else None

    def _ignored(self, path: str) -> bool:
        # Each .gitignore from the root down judges the path relative to its folder;
        # the deepest one with an opinion wins, as in git. (Git also refuses to
        # re-include a file whose folder a shallower file excluded; that edge is
        # only honoured within one .gitignore, by pathspec.)
        if not self.gitignores:
            return False
        ignored = False
        folder, rest = "", path
        while True:
            spec = self.gitignores.get(folder)
            if spec is not None:
                verdict = spec.check_file(rest).include
                if verdict is not None:
                    ignored = verdict
            head, sep, rest = rest.partition("/")
            if not sep:
                return ignored
            folder = f"{folder}/{head}" if folder else head


def _gitignore_spec(text: str) -> pathspec.GitIgnoreSpec:
    """The rules of one .gitignore; lines git would not understand are dropped, as git does."""
    lines = text.splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):  # e.g. "!" alone, a trailing backslash, "[z-a]"
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_rule(line)])


def _valid_rule(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return False
    return True


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _name(path: str) -> str:
    return path.rpartition("/")[2]


def decode_text(data: bytes) -> str | None:
    """The text of ``data`` with newlines normalised to "\\n", or None if it looks binary.

    UTF-8 (BOM stripped), UTF-32/UTF-16 with a BOM, then cp1252/Latin-1, which
    decode anything: so the last word belongs to a count of control characters.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: same prefix
        text = data.decode("utf-32", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        head = data[:_SNIFF_BYTES]
        if b"\x00" in head or head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return None  # binary, or a nested ZIP under an innocent name
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_8bit(data)
    if _mostly_controls(text[:_SNIFF_BYTES]):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_8bit(data: bytes) -> str:
    # cp1252 is Latin-1 with printable characters (curly quotes, dashes, euro) where
    # Latin-1 has unused C1 controls, so it reads legacy Windows files right and
    # honest Latin-1 the same; Latin-1 catches the five bytes cp1252 leaves undefined.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _mostly_controls(sample: str) -> bool:
    # Random bytes are ~10% such controls (and, short of 8 KiB, may hold no NUL);
    # text has next to none: a stray form feed or DOS end-of-file mark at most.
    return len(_CONTROLS.findall(sample)) > len(sample) * 0.05


def looks_minified(path: str, text: str, size: int) -> bool:
    """JS/CSS that is one long line or close to it: a build artefact, not source.

    Average line length counts only above 2 KiB, so a short one-line config
    stays; a line over 5,000 characters always marks a bundle.
    """
    if not path.lower().endswith(_MINIFIABLE):
        return False
    lines = text.split("\n")
    longest = max(map(len, lines))
    return longest > 5000 or (size > 2048 and len(text) / len(lines) > 300)


__all__ = ["IngestLimits", "SourceFile", "Ingested", "ingest_source", "ingest_zip", "detect_language",
           "decode_text", "looks_minified"]
