"""What a repository says about itself: the title, opening prose and sections of its README.

Markdown (ATX and setext headings, HTML ``<h1>``) and reStructuredText
(underlined titles) are read line by line; badges, images, HTML, code,
tables, lists and lines that are only links are not prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..markup import Heading, fenced_rows, markdown_headings, rst_headings

MAX_SUMMARY_CHARS = 800
MAX_PARAGRAPHS = 3
_README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")
_HTML_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.IGNORECASE)
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")
_RST_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_LIST_ITEM = re.compile(r"^([-*+]|\d+[.)])\s")


@dataclass
class ReadmeDigest:
    path: str
    title: str
    summary: str
    headings: list[str]  # level-2 headings, in order


def find_readme(paths) -> str | None:
    """The README at the root, else the shallowest one (case-insensitive names)."""
    candidates = [p for p in paths if p.rsplit("/", 1)[-1].lower() in _README_NAMES]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.count("/"), _README_NAMES.index(
        p.rsplit("/", 1)[-1].lower()), p))


def readme_headings(path: str, text: str) -> list[Heading]:
    """Every heading of a README (Markdown, HTML or rST) as ``Heading(row, level, title)``, fences skipped."""
    return _headings(text.split("\n"), path.lower().endswith(".rst"))


def readme_digest(path: str, text: str) -> ReadmeDigest:
    """Title, first prose paragraphs and level-2 headings of one README."""
    lines = text.split("\n")
    headings = _headings(lines, path.lower().endswith(".rst"))
    title = next((h.title for h in headings), "")
    if not title:
        title = next((_plain(line) for line in lines if _plain(line)), "")
    # an overlined rST title's row is its overline: the title itself is the next line
    paragraphs = _prose(lines, {h.row + bool(_UNDERLINE.match(lines[h.row].strip())) for h in headings})
    return ReadmeDigest(path, title, _summary(paragraphs),
                        [h.title for h in headings if h.level == 2 and h.title])


def _headings(lines: list[str], rst: bool) -> list[Heading]:
    """Every heading (core/markup.py's, plus HTML ``<hN>`` in Markdown), its title as plain text."""
    found = rst_headings(lines) if rst else markdown_headings(lines)
    if not rst:
        taken = {h.row for h in found}
        fenced = fenced_rows(lines)
        for row, line in enumerate(lines):
            html = None if fenced[row] or row in taken else _HTML_HEADING.search(line)
            if html:
                found.append(Heading(row, int(html.group(1)), html.group(2)))
    return [Heading(h.row, h.level, _plain(h.title)) for h in sorted(found)]


def _prose(lines: list[str], heading_rows: set[int]) -> list[str]:
    """The first prose paragraphs, up to the first heading that follows some prose."""
    paragraphs: list[str] = []
    current: list[str] = []
    fenced = fenced_rows(lines) + [False]
    directive = False
    for row, raw in enumerate(lines + [""]):
        line = raw.strip()
        if fenced[row]:
            continue
        if line.startswith(".. "):
            directive = True  # an rST directive and its indented options
            continue
        if directive and (raw.startswith((" ", "\t")) and line):
            continue
        directive = False
        boundary = not line or row in heading_rows or _UNDERLINE.match(line)
        if boundary or not _is_prose(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
                if len(paragraphs) >= MAX_PARAGRAPHS:
                    break
            if row in heading_rows and paragraphs:
                break
            continue
        current.append(_plain(line))
    return [p for p in paragraphs if p]


def _is_prose(line: str) -> bool:
    if line.startswith(("<", "|", ">", "[!", "![", ":")) or _LIST_ITEM.match(line):
        return False
    words = _plain(line)
    return bool(words) and not _only_links(line)


def _only_links(line: str) -> bool:
    rest = _LINK.sub("", _IMAGE.sub("", _RST_LINK.sub("", line)))
    return len(line) > 0 and not re.sub(r"[\s|·•,/-]", "", rest)


def _plain(text: str) -> str:
    """Inline markup dropped: images, link targets, tags, emphasis and code marks."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _RST_LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = re.sub(r"(\*\*|__|``)", "", text)
    return " ".join(text.split())


def _summary(paragraphs: list[str]) -> str:
    text = "\n\n".join(paragraphs)
    if len(text) <= MAX_SUMMARY_CHARS:
        return text
    window = text[:MAX_SUMMARY_CHARS]
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends:
        return window[:ends[-1]]
    return window.rsplit(None, 1)[0] + "…"  # no sentence ends inside the limit
