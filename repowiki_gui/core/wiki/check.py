"""Checks what the model writes in backticks against the index: a wiki never names a file or symbol that is not there.

A small model writes `flask/app.py` for `src/flask/app.py`, or invents
`FlaskServer.start()`.  Every inline code span of its prose is classified as
a path or as code and looked up: paths among the repository's files (a unique
suffix is completed to the full path), identifiers among the symbols and the
identifiers of the indexed text.  What is not found loses its backticks and is
marked ``(?)``, so a reader sees it is unverified.
"""
from __future__ import annotations

import keyword
import re
from collections import Counter
from dataclasses import dataclass, field

from ..markup import outside_fences

UNVERIFIED_MARK = " (?)"

SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUALIFIED = re.compile(r"^[A-Za-z_]\w*(?:(?:\.|::|->|#|:)[A-Za-z_]\w*)*(?:\(.*\))?$")
_PATHISH = re.compile(r"^[\w.@+-]+(?:/[\w.@+-]+)*/?$")
# Words of commands and code that are not the repository's own names.
_COMMON = {w.lower() for w in keyword.kwlist} | {
    "self", "cls", "none", "true", "false", "null", "undefined", "this", "new", "var", "let", "const",
    "pip", "install", "python", "python3", "npm", "npx", "yarn", "node", "cargo", "go", "make", "run",
    "build", "test", "tests", "docker", "git", "cd", "sudo", "apt", "get", "str", "int", "bool", "dict",
    "list", "float", "bytes", "print", "m", "e", "venv",
}


@dataclass
class Vocabulary:
    """What exists in one repository's index."""

    paths: set[str]
    identifiers: set[str]
    _basenames: Counter = field(default_factory=Counter, repr=False)
    _dirs: set[str] = field(default_factory=set, repr=False)
    top_level: set[str] = field(default_factory=set, repr=False)
    extensions: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self):
        for p in self.paths:
            self.top_level.add(p.split("/", 1)[0])
            name = p.rsplit("/", 1)[-1]
            if "." in name:
                self.extensions.add(name.rsplit(".", 1)[1].lower())
            self._basenames[p.rsplit("/", 1)[-1]] += 1
            parts = p.split("/")
            self._dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))

    @classmethod
    def from_rows(cls, paths, symbols, texts) -> "Vocabulary":
        """From the index's paths, symbols and chunk texts (any iterables of str)."""
        idents: set[str] = set()
        for sym in symbols:
            idents.update(_IDENT.findall(sym or ""))
        for text in texts:
            idents.update(_IDENT.findall(text))
        return cls(set(paths), idents)

    def resolve_path(self, span: str) -> str | None:
        """The repository path ``span`` names (itself, or the one file it is a unique suffix of), else None."""
        p = span.strip().removeprefix("./").rstrip("/")
        if p in self.paths or p in self._dirs:
            return p
        matches = [q for q in self.paths if q.endswith("/" + p)]
        if len(matches) == 1:
            return matches[0]
        if matches or ("/" not in p and self._basenames.get(p)):
            return p  # several files end so: it exists, but which one is not ours to guess
        return None

    def knows(self, ident: str) -> bool:
        return ident in self.identifiers


@dataclass
class CheckStats:
    """Inline code spans by kind: how many there were and how many were found in the index."""

    paths: int = 0
    paths_ok: int = 0
    identifiers: int = 0
    identifiers_ok: int = 0

    def add(self, other: "CheckStats") -> None:
        for name in ("paths", "paths_ok", "identifiers", "identifiers_ok"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict:
        return dict(self.__dict__)


def classify(span: str, vocab: Vocabulary) -> tuple[str, bool, str]:
    """(kind "path" or "identifier", found, the span to keep) for one inline code span."""
    s = span.strip()
    if _PATHISH.match(s) and (_names_a_folder(s, vocab) or _looks_like_file(s, vocab)):
        found = vocab.resolve_path(s)
        if found is not None:
            return "path", True, found
        parts = re.split(r"\.|::|->|#|:", s)
        if "/" in s or not _QUALIFIED.match(s) or not all(vocab.knows(p) for p in parts if p):
            return "path", False, s
        return "identifier", True, s  # `flask.json`: a module's dotted name, not a file
    if _QUALIFIED.match(s):
        head = s.split("(", 1)[0]
        parts = re.split(r"\.|::|->|#|:", head)
        return "identifier", all(vocab.knows(p) for p in parts if p), s
    words = [w for w in _IDENT.findall(s) if len(w) > 1 and w.lower() not in _COMMON]
    return "identifier", all(vocab.knows(w) for w in words), s


def _names_a_folder(span: str, vocab: Vocabulary) -> bool:
    """`src/flask` or `./docs/` claims a place in the repository; `application/json` does not."""
    if "/" not in span:
        return False
    if span.startswith(("./", "../")) or span.endswith("/"):
        return True
    first = span.split("/", 1)[0]
    return first in vocab.top_level


def _looks_like_file(span: str, vocab: Vocabulary) -> bool:
    """`app.py` is a file name; `flask.Flask` is a dotted name: decide by the extensions the repo has."""
    if "." not in span:
        return False
    ext = span.rsplit(".", 1)[-1].lower()
    return ext in vocab.extensions or ext in {
        "py", "js", "ts", "tsx", "jsx", "go", "rs", "java", "c", "h", "cpp", "hpp", "cs", "rb", "php",
        "md", "rst", "txt", "toml", "json", "yaml", "yml", "cfg", "ini", "sh", "lock"}


def check_spans(text: str, vocab: Vocabulary) -> tuple[str, CheckStats]:
    """``text`` with every inline code span checked: found paths completed, unknown spans unwrapped and marked."""
    stats = CheckStats()

    def fix(m: re.Match) -> str:
        kind, found, keep = classify(m.group(1), vocab)
        if kind == "path":
            stats.paths += 1
            stats.paths_ok += found
        else:
            stats.identifiers += 1
            stats.identifiers_ok += found
        return f"`{keep}`" if found else m.group(1).strip() + UNVERIFIED_MARK

    return SPAN.sub(fix, text), stats


def measure_spans(markdown: str, vocab: Vocabulary) -> CheckStats:
    """The same classification over a whole page, outside fenced code blocks (for the grounding score)."""
    stats = CheckStats()
    for block in outside_fences(markdown):
        stats.add(check_spans(block, vocab)[1])
    return stats
