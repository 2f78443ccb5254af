"""Markdown and reStructuredText structure, read once: fenced code and headings.

The chunker cuts documents at these headings, the README digest takes its
title and sections from them, and the wiki's checks skip the same fenced code.
Each heading is a ``Heading(row, level, title)`` with ``row`` counted from 0.
Fences follow CommonMark: up to three spaces, then three or more backticks or
tildes; the fence closes on a line of the same character, at least as long,
with nothing after it.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NOT_SETEXT_TEXT = re.compile(r"^\s*(?:[-*+>|]|\d+[.)]\s|<)")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.!$%&,/;?@\[\\\]{|}])\1+[ \t]*$")


class Heading(NamedTuple):
    row: int
    level: int
    title: str


def fence_opening(line: str) -> str | None:
    """The fence (``` or ~~~, and longer) that ``line`` opens, or None."""
    m = _FENCE.match(line)
    return m.group(1) if m else None


def closes_fence(fence: str, line: str) -> bool:
    """Whether ``line`` closes a block opened by ``fence``."""
    m = _FENCE.match(line)
    return bool(m) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
        and not line.strip()[len(m.group(1)):].strip()


def fence_info(line: str, fence: str) -> str | None:
    """The info string after ``fence`` on its opening line; None when a backtick in it makes the line text."""
    info = line.strip()[len(fence):].strip()
    return None if fence[0] == "`" and "`" in info else info


def split_fences(text: str) -> list[tuple[str, str, str]]:
    """``text`` as runs in order: ("text", markdown, "") between fenced blocks, ("code", code, lang) for each.

    A block's lines lose its opening fence's indentation; ``lang`` is the info string's first
    word, lower-cased; an unclosed fence runs to the end.
    """
    runs: list[tuple[str, str, str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = fence_opening(lines[i])
        info = fence_info(lines[i], fence) if fence else None
        if info is None:
            prose.append(lines[i])
            i += 1
            continue
        if prose:
            runs.append(("text", "\n".join(prose), ""))
            prose = []
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        body, j = [], i + 1
        while j < len(lines) and not closes_fence(fence, lines[j]):
            line = lines[j]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            j += 1
        runs.append(("code", "\n".join(body) + "\n", info.split()[0].lower() if info else ""))
        i = j + 1   # past the closing fence
    if prose:
        runs.append(("text", "\n".join(prose), ""))
    return runs


def fenced_rows(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to fenced code (its fence lines included)."""
    inside, fence = [], None
    for line in lines:
        if fence is None:
            fence = fence_opening(line)
            inside.append(fence is not None)
        else:
            inside.append(True)
            if closes_fence(fence, line):
                fence = None
    return inside


def outside_fences(text: str) -> list[str]:
    """The runs of ``text`` between fenced code blocks (the blocks left out)."""
    lines = text.split("\n")
    parts: list[str] = []
    current: list[str] | None = []
    for line, fenced in zip(lines, fenced_rows(lines)):
        if fenced:
            if current is not None:
                parts.append("\n".join(current))
                current = None
        else:
            if current is None:
                current = []
            current.append(line)
    parts.append("\n".join(current or []))
    return parts


def markdown_headings(lines: list[str]) -> list[Heading]:
    """ATX and setext headings outside fenced code and YAML front matter."""
    headings: list[Heading] = []
    row = 0
    if lines and lines[0].strip() == "---":  # YAML front matter: its "---" is no heading
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                row = end + 1
                break
    fence: str | None = None
    previous_text = False  # whether the previous line could be a setext title
    while row < len(lines):
        line = lines[row].rstrip("\r")
        if fence is not None:
            if closes_fence(fence, line):
                fence = None
            row += 1
            continue
        fence = fence_opening(line)
        if fence is not None:
            previous_text = False
            row += 1
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append(Heading(row, len(atx.group(1)), _ATX_CLOSING.sub("", atx.group(2) or "").strip()))
            previous_text = False
        elif previous_text and _SETEXT.match(line):
            headings.append(Heading(row - 1, 1 if line.strip()[0] == "=" else 2, lines[row - 1].strip()))
            previous_text = False
        else:
            previous_text = bool(line.strip()) and not line.startswith(("    ", "\t")) \
                and not _NOT_SETEXT_TEXT.match(line)
        row += 1
    return headings


def rst_headings(lines: list[str]) -> list[Heading]:
    """reStructuredText titles; levels follow the order in which each adornment style is first used."""
    headings: list[Heading] = []
    styles: list[tuple[str, bool]] = []
    row = 0
    while row + 1 < len(lines):
        title = lines[row].rstrip()
        under = _RST_ADORNMENT.match(lines[row + 1].rstrip())
        over = under is not None and row > 0 and lines[row - 1].rstrip() == lines[row + 1].rstrip()
        # An indented line is a block quote unless an overline makes it a centred title.
        if (title.strip() and (over or not title[0].isspace()) and not _RST_ADORNMENT.match(title)
                and under and len(lines[row + 1].rstrip()) >= min(len(title.strip()), 3)):
            style = (under.group(1), over)
            if style not in styles:
                styles.append(style)
            headings.append(Heading(row - 1 if over else row, styles.index(style) + 1, title.strip()))
            row += 2
            continue
        row += 1
    return headings
