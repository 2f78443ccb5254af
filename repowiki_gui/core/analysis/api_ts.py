"""The public API of non-Python source files, from tree-sitter definitions (``index.symbols``).

A definition gives a name and a row range; the signature is the source
text of its header (up to the body's ``{`` or a ``;``) and the doc is the
first line of the comment directly above. Each language's own notion of
"public" is applied where it is visible in the header (Go capitals, Rust
``pub``, Java/C# ``public``, C ``static``, JS/TS ``export``).
"""
from __future__ import annotations

import re

from repowiki_gui.core.analysis.api import ApiItem
from repowiki_gui.core.analysis.entry import EntryPoint
from repowiki_gui.core.index.symbols import Definition, _parser, find_definitions

MAX_SIGNATURE_CHARS = 160
_HEADER_ROWS = 12  # a header longer than this is cut at the character limit anyway
_COMMENT_MARKS = re.compile(r"^(///?!?|/\*\*?|\*/|\*|#|--)\s?")
_TAGS = re.compile(r"<[^>]+>")
_ES_EXPORT = re.compile(r"^\s*export\s", re.MULTILINE)
_NON_PUBLIC = re.compile(r"\b(private|protected|internal)\b")
_GO_MAIN_PACKAGE = re.compile(r"^package\s+main\b", re.MULTILINE)


def treesitter_file(path: str, module: str, language: str, text: str,
                    with_api: bool) -> tuple[list[ApiItem], list[EntryPoint], bool]:
    """API items, main functions, and whether the parse tree holds errors.

    A tree with errors still yields the definitions tree-sitter recovered
    (C macros alone produce error nodes); each is kept only if its name is
    in its own lines.
    """
    data = text.encode("utf-8", "surrogatepass")
    try:
        has_error = _parser(language).parse(data).root_node.has_error
    except LookupError:  # no grammar for this language in the installed pack
        return [], [], False
    definitions = find_definitions(language, text) or []
    lines = text.split("\n")
    reader = _Reader(language, lines, bool(_ES_EXPORT.search(text)))
    items: list[ApiItem] = []
    entries: list[EntryPoint] = []
    seen: set[tuple[str, str]] = set()
    for definition in definitions:
        head = reader.head(definition)
        if head is None:
            continue
        entry = _main_entry(language, definition, head, path, text)
        if entry is not None:
            entries.append(entry)
        for member in definition.members:
            member_head = reader.head(member) if definition.kind == "class" else None
            if member_head is not None and _is_main_method(language, member, member_head):
                entries.append(EntryPoint("main_function", member.symbol, f"{path}:{member.symbol}",
                                          path, member_head.row + 1))
        if not with_api or not reader.public(definition, head, None):
            continue
        for item_def, item_head in [(definition, head)] + [
                (m, reader.head(m)) for m in definition.members if m.kind == "method"]:
            if item_head is None or (item_def.kind, item_def.symbol) in seen:
                continue
            if item_def is not definition and not reader.public(item_def, item_head, head):
                continue
            seen.add((item_def.kind, item_def.symbol))
            items.append(ApiItem(path, item_def.start + 1, item_def.end + 1, module, item_def.kind, item_def.symbol,
                                 item_head.signature, item_head.doc))
    return items, entries, has_error


class _Head:
    """Where a definition's name is declared, its header text and its doc comment."""

    def __init__(self, row: int, modifiers: str, signature: str, doc: str):
        self.row, self.modifiers, self.signature, self.doc = row, modifiers, signature, doc


class _Reader:
    def __init__(self, language: str, lines: list[str], es_module: bool):
        self.lang, self.lines, self.es_module = language, lines, es_module

    def head(self, definition: Definition) -> _Head | None:
        """The header of ``definition``, or None if its name is not in its own lines."""
        name = definition.symbol.rsplit(".", 1)[-1]
        if not name or ", " in name:
            return None  # Go's grouped "type ( A ...; B ... )" names no single identifier
        word = re.compile(r"(?<![\w$#~])" + re.escape(name) + r"(?![\w$])")
        doc, first_code, row = "", None, None
        for index in range(definition.start, min(definition.end, len(self.lines) - 1) + 1):
            line = self.lines[index].strip()
            if first_code is None and _is_comment(line):
                doc = doc or _comment_text(line)
                continue
            if first_code is None and line:
                first_code = index
            if first_code is not None and word.search(self.lines[index]):
                row = index
                break
        if row is None:
            return None
        modifiers = " ".join(self.lines[first_code:row + 1])
        return _Head(row, modifiers, self.signature(row, definition.end), doc)

    def signature(self, row: int, end: int) -> str:
        """The header from ``row`` up to the body, collapsed to one line."""
        text = "\n".join(self.lines[row:min(end, row + _HEADER_ROWS) + 1])
        if self.lang == "ruby":
            text = text.split("\n", 1)[0]
        depth, cut = 0, len(text)
        for index, char in enumerate(text):
            if char in "([":
                depth += 1
            elif char in ")]":
                depth = max(depth - 1, 0)
            elif char in "{;" and depth == 0:
                cut = index
                break
        header = " ".join(text[:cut].split())
        if len(header) > MAX_SIGNATURE_CHARS:
            header = header[:MAX_SIGNATURE_CHARS - 1].rstrip() + "…"
        return header

    def public(self, definition: Definition, head: _Head, parent: _Head | None) -> bool:
        name = definition.symbol.rsplit(".", 1)[-1]
        if name.startswith(("_", "#")):
            return False
        modifiers = head.modifiers
        if self.lang == "go":
            return all(part[:1].isupper() for part in definition.symbol.split("."))
        if self.lang == "rust":
            if parent is not None and re.search(r"\b(trait|for)\b", parent.signature):
                return True  # trait methods are as public as the trait
            return re.search(r"\bpub\b", modifiers) is not None or (
                parent is None and modifiers.lstrip().startswith("impl"))
        if self.lang in ("java", "csharp"):
            if parent is not None and "interface" in parent.signature:
                return True
            return re.search(r"\bpublic\b", modifiers) is not None
        if self.lang in ("c", "cpp"):
            return not modifiers.lstrip().startswith("static") or parent is not None
        if self.lang in ("javascript", "typescript", "tsx") and parent is None and self.es_module:
            return modifiers.lstrip().startswith("export")
        return _NON_PUBLIC.search(modifiers) is None


def _is_comment(line: str) -> bool:
    return line.startswith(("//", "/*", "*", "--")) or (line.startswith("#")
                                                      and not line.startswith(("#[", "#!")))


def _comment_text(line: str) -> str:
    """The words of one comment line, without markers, XML tags (C#) or JSDoc tags."""
    text = _COMMENT_MARKS.sub("", line).strip()
    text = _TAGS.sub("", text).rstrip("*/").strip()
    return "" if text.startswith("@") else text


def _main_entry(language: str, definition: Definition, head: _Head, path: str,
                text: str) -> EntryPoint | None:
    if definition.kind != "function" or definition.symbol != "main":
        return None
    if language == "go" and not _GO_MAIN_PACKAGE.search(text):
        return None  # func main outside package main is an ordinary function
    if language not in ("go", "rust", "c", "cpp"):
        return None
    return EntryPoint("main_function", "main", f"{path}:main", path, head.row + 1)


def _is_main_method(language: str, member: Definition, head: _Head) -> bool:
    name = member.symbol.rsplit(".", 1)[-1]
    return (language in ("java", "csharp") and name in ("main", "Main")
            and re.search(r"\bstatic\b", head.modifiers) is not None)
