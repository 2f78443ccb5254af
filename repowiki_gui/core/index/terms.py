"""Identifier-aware terms for full-text search: `getUserName` also matches "user name".

The full-text index tokenises on non-alphanumerics, so snake_case already
splits; camelCase and PascalCase do not.  Indexed text and queries are both
expanded here, so they meet in the middle.
"""
from __future__ import annotations

import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_identifier(ident: str) -> list[str]:
    """`parseHTTPResponse_v2` -> ['parse', 'http', 'response', 'v', '2'] (lower case)."""
    parts = []
    for piece in ident.split("_"):
        parts.extend(m.group(0).lower() for m in _CAMEL.finditer(piece))
    return [p for p in parts if p]


def expand_identifiers(text: str) -> str:
    """``text`` followed by the parts of every compound identifier in it (each once)."""
    extra: list[str] = []
    seen: set[str] = set()
    for m in _IDENT.finditer(text):
        ident = m.group(0)
        if ident in seen:
            continue
        seen.add(ident)
        parts = split_identifier(ident)
        if len(parts) > 1:
            extra.extend(parts)
    return text if not extra else text + "\n" + " ".join(extra)


def search_terms(path: str, symbol: str, text: str) -> str:
    """The text the full-text index sees for one chunk: path words, symbol and body, expanded."""
    path_words = re.sub(r"[/._-]+", " ", path)
    return expand_identifiers(f"{path_words}\n{symbol}\n{text}")
