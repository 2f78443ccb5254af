"""What a repository says about itself: the title, opening prose and sections of its README.

Markdown (ATX and setext headings, HTML ``<h1>``) and reStructuredText
(underlined titles) are read line by line; badges, images, HTML, code,
tables, lists and lines that are only links are not prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SUMMARY_CHARS = 800
MAX_PARAGRAPHS = 3
_README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
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


def readme_headings(path: str, text: str) -> list[tuple[int, str, int]]:
    """(level, text, 0-based row) of every heading of a README (Markdown, HTML or rST), fences skipped."""
    return _headings(text.split("\n"), path.lower().endswith(".rst"))


def readme_digest(path: str, text: str) -> ReadmeDigest:
    """Title, first prose paragraphs and level-2 headings of one README."""
    lines = text.split("\n")
    headings = _headings(lines, path.lower().endswith(".rst"))
    title = next((t for level, t, _ in headings), "")
    if not title:
        title = next((_plain(line) for line in lines if _plain(line)), "")
    paragraphs = _prose(lines, {row for _, _, row in headings})
    return ReadmeDigest(path, title, _summary(paragraphs),
                        [t for level, t, _ in headings if level == 2 and t])


def _headings(lines: list[str], rst: bool) -> list[tuple[int, str, int]]:
    """(level, text, row) of every heading; rST levels follow the order adornments appear."""
    found = []
    rst_styles: list[str] = []
    fenced = False
    for row, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            continue
        atx = _ATX.match(line)
        html = _HTML_HEADING.search(line)
        following = lines[row + 1] if row + 1 < len(lines) else ""
        if atx:
            found.append((len(atx.group(1)), _plain(atx.group(2)), row))
        elif html:
            found.append((int(html.group(1)), _plain(html.group(2)), row))
        elif line.strip() and not _UNDERLINE.match(line) and _UNDERLINE.match(following):
            char = following.strip()[0]
            if not rst:  # Markdown setext: "=" is h1, "-" is h2
                if char not in "=-":
                    continue
                level = 1 if char == "=" else 2
            else:  # rST: levels follow the order in which adornment styles first appear
                overlined = row > 0 and lines[row - 1].strip() == following.strip()
                style = char + ("/" if overlined else "")
                if style not in rst_styles:
                    rst_styles.append(style)
                level = rst_styles.index(style) + 1
            found.append((level, _plain(line), row))
    return found


def _prose(lines: list[str], heading_rows: set[int]) -> list[str]:
    """The first prose paragraphs, up to the first heading that follows some prose."""
    paragraphs: list[str] = []
    current: list[str] = []
    fenced = False
    directive = False
    for row, raw in enumerate(lines + [""]):
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
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
