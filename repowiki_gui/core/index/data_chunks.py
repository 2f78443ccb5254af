"""Which chunks are data rather than words: base64 blobs, tables of numbers, hex arrays, minified lines.

Such a chunk's vector says nothing a question could match (the model sees a
soup of sub-word pieces), yet it costs as much to embed as a function.  The
indexer leaves these to full-text search alone: they are stored, shown and
found by their exact strings, but get no vector.  The test is cheap (two
regular expressions over the text) and errs towards embedding: a chunk is
data only when almost none of it is made of words.
"""
from __future__ import annotations

import re

# A word: letters (and underscores) between non-word characters, so "QWxhZGRp9w" in a base64 run,
# "0x1f" and "3e10" are not words, while "snake_case", "camelCase" and "the" (and "img" in a URL) are.
_WORD = re.compile(r"(?<![0-9A-Za-z_])[A-Za-z_]{1,40}(?![0-9A-Za-z_])")
_SPACE = re.compile(r"\s")

MIN_CHARS = 120          # shorter chunks are cheap to embed and too small to judge
# Code and prose have 0.4-0.8 of their visible characters in words; SVG paths, base64 and tables of
# numbers under 0.15 (measured on the Flask, humanize and itsdangerous sdists; a test's table of
# numbers and strings sits at 0.1-0.3, so only the emptiest are left out).
MAX_WORD_SHARE = 0.15
MINIFIED_LINE = 400      # a line this long with (nearly) no spaces was written by a tool, not a person
MINIFIED_SPACE = 0.03


def is_data(text: str) -> bool:
    """True when ``text`` carries no meaning for an embedding model (see the module docstring)."""
    visible = len(text) - len(_SPACE.findall(text))
    if visible < MIN_CHARS:
        return False
    in_words = sum(len(w) for w in _WORD.findall(text))
    if in_words < MAX_WORD_SHARE * visible:
        return True
    longest = max(len(line) for line in text.split("\n"))
    return longest >= MINIFIED_LINE and (len(text) - visible) < MINIFIED_SPACE * len(text)
