"""Small path and text helpers shared by the analysis modules.

Everything here works on the repository's posix paths and decoded texts
only; nothing looks at a disk.
"""
from __future__ import annotations

import posixpath
import re

from repowiki_gui.core.index.symbols import CODE_LANGUAGES
from repowiki_gui.core.ingest.files import detect_language

# Folders whose code shows how to use or check the project rather than being it.
NON_API_DIRS = frozenset({"tests", "test", "testing", "__tests__", "examples", "example", "docs"})
_TEST_FILE = re.compile(
    r"^(test_.*\.py|.*_test\.py|conftest\.py|.*_test\.go|.*\.(test|spec)\.[cm]?[jt]sx?"
    r"|.*_spec\.rb|.*_test\.rb|.*Tests?\.java|.*Tests?\.cs)$")
# Folders that only hold the real top-level packages (src/flask, packages/ui, cmd/tool).
WRAPPER_DIRS = frozenset({"src", "lib", "packages", "pkg", "cmd"})
# Folders a manifest (package.json, Cargo.toml...) inside is not the project's own.
FOREIGN_DIRS = frozenset({"node_modules", "vendor", "third_party", "site-packages"})


def line_count(text: str) -> int:
    """Lines as tree-sitter and ``ast`` number them: "\\n"-separated, a last unterminated line counts."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def code_language(path: str) -> str | None:
    """The language of ``path`` if it is code (not markdown, not plain text)."""
    language = detect_language(path)
    return language if language in CODE_LANGUAGES else None


def is_non_api(path: str) -> bool:
    """True for tests, examples and docs: they use the public API rather than define it."""
    parts = path.split("/")
    return bool(NON_API_DIRS.intersection(parts[:-1])) or bool(_TEST_FILE.match(parts[-1]))


def is_foreign(path: str) -> bool:
    """True inside vendored folders, whose manifests describe someone else's project."""
    return bool(FOREIGN_DIRS.intersection(path.split("/")[:-1]))


def package_dirs(paths) -> set[str]:
    """Folders that are Python packages (hold an ``__init__.py``)."""
    found = set()
    for path in paths:
        name = posixpath.basename(path)
        if name in ("__init__.py", "__init__.pyi"):
            found.add(posixpath.dirname(path))
    return found


def python_module(path: str, packages: set[str]) -> str:
    """The dotted module name of a Python file: "src/flask/app.py" -> "flask.app".

    The name starts at the topmost folder of its chain of packages; a file
    outside any package is named from the root, with a leading ``src/`` dropped.
    """
    stem = posixpath.splitext(path)[0]
    parts = stem.split("/")
    dirs = parts[:-1]
    top = len(dirs)
    while top > 0 and "/".join(dirs[:top]) in packages:
        top -= 1
    if top == len(dirs):
        top = 1 if dirs and dirs[0] == "src" else 0
    names = parts[top:]
    if names and names[-1] == "__init__" and len(names) > 1:
        names = names[:-1]
    return ".".join(names)


def line_of(lines: list[str], pattern: re.Pattern, start: int = 0, default: int = 1) -> int:
    """1-based number of the first line at or after index ``start`` matching ``pattern``."""
    for index in range(max(start, 0), len(lines)):
        if pattern.search(lines[index]):
            return index + 1
    return default


def key_line(lines: list[str], key: str, start: int = 0, default: int = 1) -> int:
    """The line declaring ``key`` (bare or quoted, followed by ``=`` or ``:``) at or after ``start``."""
    quoted = re.escape(key)
    pattern = re.compile(rf"""^\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*[=:]""")
    found = line_of(lines, pattern, start, default=0)
    if found:
        return found
    return line_of(lines, re.compile(re.escape(key)), start, default)


def section_index(lines: list[str], header: str) -> int:
    """0-based index of a TOML/INI ``[header]`` line, or 0 when the file has none."""
    pattern = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, header.split("."))) + r"\s*\]")
    return line_of(lines, pattern, default=1) - 1
