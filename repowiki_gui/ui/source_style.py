"""Syntax colouring as data: a file lexed once with pygments into per-line runs of token families.

No widget here.  The runs come line by line from a lazy generator, so the
window lexes a large file a few milliseconds at a time between events (no
thread: pygments is pure Python and would hold the GIL against the UI).
Lexing the whole file in order keeps multi-line strings and comments whole.
"""
from __future__ import annotations

from typing import Iterator

from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.token import Token
from pygments.util import ClassNotFound

# Token families in the order their index appears in a run; (hue, saturation) for each.
FAMILIES = (
    (Token.Keyword, (280, 160)),
    (Token.Name.Builtin, (200, 160)),
    (Token.Name.Function, (210, 200)),
    (Token.Name.Class, (30, 200)),
    (Token.Name.Decorator, (40, 160)),
    (Token.Literal.String, (120, 150)),
    (Token.Literal.Number, (15, 170)),
    (Token.Comment, (0, 0)),
    (Token.Operator.Word, (280, 160)),
)
_INDEX = {token: i for i, (token, _) in enumerate(FAMILIES)}

# Runs of one line: a flat tuple (start, length, family, start, length, family, ...).
LineRuns = tuple


def lexer_for(path: str):
    """The pygments lexer for a file name, or plain text when pygments knows none."""
    options = {"stripnl": False, "stripall": False, "ensurenl": False}
    try:
        return get_lexer_for_filename(path, **options)
    except ClassNotFound:
        return TextLexer(**options)


def family_of(token) -> int | None:
    """The index in FAMILIES of ``token`` or of its nearest listed parent; None when uncoloured."""
    while token is not None:
        if token in _INDEX:
            return _INDEX[token]
        token = token.parent
    return None


def iter_line_runs(path: str, text: str) -> Iterator[LineRuns]:
    """The coloured runs of each line of ``text`` in turn, lexed lazily: a caller can stop and go on later."""
    line: list[int] = []
    col = 0
    families: dict = {}
    for token, value in lexer_for(path).get_tokens(text):
        fam = families.get(token, -1)
        if fam == -1:
            fam = families[token] = family_of(token)
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                yield tuple(line)
                line, col = [], 0
            if part and fam is not None:
                line.extend((col, len(part), fam))
            col += len(part)
    yield tuple(line)


def style_runs(path: str, text: str) -> list[LineRuns]:
    """Per line of ``text``, its coloured runs."""
    return list(iter_line_runs(path, text))
