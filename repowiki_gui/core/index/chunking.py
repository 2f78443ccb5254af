"""Split one file into chunks that each fit the embedding model's token budget.

Code follows its definitions (classes, functions, methods), documentation its
headings, anything else becomes overlapping line windows.  Every chunk names
its file and symbol in a header line that is embedded with it, so a question
about "Greeter.hello" can find the method even when its body never says so.

The one hard rule: ``count_tokens(chunk.embed_text) <= max_tokens`` for every
chunk.  Each chunk is built from the exact string that was counted, and a
piece that does not fit is split (into members, line windows, or, for one
enormous line, character slices), never truncated.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable

from repowiki_gui.core.index.symbols import CODE_LANGUAGES, Definition, find_definitions
from repowiki_gui.core.markup import markdown_headings, rst_headings
from repowiki_gui.core.span import Span

TEXT_OVERLAP_LINES = 3

_ALIASES = {
    "py": "python", "js": "javascript", "jsx": "javascript", "mjs": "javascript",
    "ts": "typescript", "c++": "cpp", "cxx": "cpp", "cc": "cpp", "hpp": "cpp", "c#": "csharp",
    "cs": "csharp", "c_sharp": "csharp", "rb": "ruby", "golang": "go", "rs": "rust",
    "md": "markdown", "restructuredtext": "rst", "rest": "rst",
}

# A closing line ("}", "end", "#endif", "?>"), perhaps with a trailing comment:
# on its own it is a useless chunk, so it joins the chunk above it.
_CLOSER = re.compile(r"^\s*(?:[\]\)\};,]+|end|\?>|#\s*endif\b.*|#\s*endregion\b.*)\s*"
                     r"(?:(?://|#).*|/\*.*\*/)?\s*$")
_MAX_CLOSER_LINES = 3

# Sizing a window: guess from a tokens-per-character ratio, aim a little under
# the limit so the first guess usually fits, and accept a fit this full.
_DEFAULT_TOKENS_PER_CHAR = 0.3
_MIN_TOKENS_PER_CHAR = 1 / 64  # a wild guess costs extra counts, a huge one a huge join
_AIM = 0.95
_FULL_ENOUGH = 0.85
_SECANT_STEPS = 4
# Whether a long piece fits is decided on a prefix of this many characters per
# token of budget: if whole lines of that prefix already exceed the budget, so
# does the piece, and counting a 5,000-line class just to learn that is waste.
_SAMPLE_CHARS_PER_TOKEN = 8
# A line estimated at this many budgets is sliced without counting it first.
_HOPELESS = 8
_SYMBOL_LIST_MAX_CHARS = 80


@dataclass(frozen=True)
class Chunk(Span):
    """One embeddable piece of a file: its exact 1-based line range, and the text to embed."""

    language: str | None
    symbol: str
    kind: str
    text: str
    embed_text: str

    @property
    def content_hash(self) -> str:
        """sha256 hex of ``embed_text``: equal chunks share it, a moved or renamed one does not."""
        return hashlib.sha256(self.embed_text.encode("utf-8", "surrogatepass")).hexdigest()


def chunk_file(path: str, language: str | None, text: str, count_tokens: Callable[[str], int],
               max_tokens: int = 256) -> list[Chunk]:
    """Chunks of one file, in line order, covering every non-blank line at least once.

    ``path`` is the posix path relative to the repository root; ``language`` a
    name such as "python" or "markdown" (None for plain text); ``count_tokens``
    counts model tokens including the special ones.  Raises ValueError only if
    ``max_tokens`` is too small to hold a chunk header and a single character.
    """
    if not text.strip():
        return []
    return _Chunker(path, language, text, count_tokens, max_tokens).run()


def normalize_language(language: str | None) -> str | None:
    """The canonical name of ``language`` ("C#" -> "csharp", "md" -> "markdown")."""
    if not language:
        return None
    name = language.strip().lower()
    return _ALIASES.get(name, name)


@dataclass
class _Piece:
    """A line range [start, end] (0-based rows) about to become one or more chunks."""

    kind: str
    symbol: str
    start: int
    end: int
    tokens: int | None = None  # of its embed text once counted (or of a prefix, if over budget)
    ratio: float | None = None  # tokens per character, for sizing windows
    group: str = ""  # the split class it came from: merging never crosses containers


@dataclass
class _Out:
    chunk: Chunk
    tokens: int
    mergeable: bool  # False for parts of a split piece: they are big by construction
    symbols: list[str] = field(default_factory=list)
    merged: bool = False  # already a run of small chunks, which may keep growing
    group: str = ""


class _Chunker:
    def __init__(self, path, language, text, count_tokens, max_tokens):
        self.path = path
        self.language = language
        self.lang = normalize_language(language)
        self.text = text
        self.lines = text.split("\n")
        self.count = count_tokens
        self.max = int(max_tokens)
        self.small = max(1, self.max // 4)

    def run(self) -> list[Chunk]:
        if self.lang in CODE_LANGUAGES:
            definitions = find_definitions(self.lang, self.text)
            if definitions is not None:
                pieces = self.layout(definitions, 0, len(self.lines) - 1, "module", "")
                return self.merge(self.emit(pieces, overlap=0))
        if self.lang == "markdown":
            return self.merge(self.emit(self.sections(markdown_headings(self.lines)), overlap=0))
        if self.lang == "rst":
            return self.merge(self.emit(self.sections(rst_headings(self.lines)), overlap=0))
        start, end = self.trim(0, len(self.lines) - 1)
        return [out.chunk for out in self.emit([_Piece("text", "", start, end)],
                                                 overlap=TEXT_OVERLAP_LINES)]

    # -- building blocks ---------------------------------------------------------

    def header(self, symbol: str, kind: str) -> str:
        if symbol:
            return f"{self.path} · {symbol} ({kind})\n"
        return f"{self.path} ({kind})\n"

    def roomy_header(self, symbol: str, kind: str, part: int, slice_: bool) -> tuple[str, int]:
        """The header of part ``part`` of a piece, shortened if it would take over half the budget.

        Only windows and slices come here: a piece that fits whole keeps its full header.
        A slice's header always keeps its part number, even with no symbol to attach
        it to, because equal slices of one line must not be one chunk to the store.
        """
        name = self.path.rsplit("/", 1)[-1]
        tail = self.path if len(self.path) <= 60 else "…" + self.path[-59:]
        short = symbol if len(symbol) <= 40 else symbol[:39] + "…"
        tiny = short if len(short) <= 16 else short[:15] + "…"
        ladder = [(self.path, symbol), (self.path, short), (tail, short), (name, tiny), (name, ""),
                  ("…", "")]
        for path, label in ladder:
            if label:
                header = f"{path} · {_part(label, part)} ({kind})\n"
            elif slice_:
                header = f"{path} ({kind}, part {part})\n"
            else:
                header = f"{path} ({kind})\n"
            tokens = self.count(header)
            if tokens <= self.max // 2:
                break
        return header, tokens

    def source(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end + 1])

    def measure(self, piece: _Piece) -> int:
        """Tokens of the piece as one chunk: exact if it fits, else some number over the budget."""
        if piece.tokens is None:
            header = self.header(piece.symbol, piece.kind)
            text = self.source(piece.start, piece.end)
            cap = self.max * _SAMPLE_CHARS_PER_TOKEN
            if len(text) > cap:
                # Cut at whitespace: a word cut in two can count more tokens than whole.
                cut = max(text.rfind("\n", 0, cap), text.rfind(" ", 0, cap))
                prefix = text[:cut] if cut > 0 else text[:cap]
                tokens = self.count(header + prefix)
                piece.ratio = _ratio(tokens, len(prefix))
                if tokens > self.max:
                    piece.tokens = tokens
                    return tokens
            piece.tokens = self.count(header + text)
            piece.ratio = _ratio(piece.tokens, len(text))
        return piece.tokens

    def blank(self, row: int) -> bool:
        return not self.lines[row].strip()

    def trim(self, start: int, end: int) -> tuple[int, int]:
        while start <= end and self.blank(start):
            start += 1
        while end >= start and self.blank(end):
            end -= 1
        return start, end

    def make(self, symbol, kind, start, end, text, header) -> Chunk:
        return Chunk(self.path, start + 1, end + 1, self.language, symbol, kind, text, header + text)

    # -- code -------------------------------------------------------------------

    def layout(self, definitions: list[Definition], lo: int, hi: int, gap_kind: str,
               gap_symbol: str) -> list[_Piece]:
        """Pieces covering rows lo..hi: definitions, and the code between them as gap pieces."""
        pieces: list[_Piece] = []
        cursor = lo
        group = gap_symbol
        for definition in definitions:
            if definition.start < cursor and pieces:
                # Shares a row with the previous piece (minified code, one-line
                # classes): line ranges cannot split a row, so it joins that piece.
                if definition.end > pieces[-1].end:
                    pieces[-1].end, pieces[-1].tokens = definition.end, None
                cursor = max(cursor, definition.end + 1)
                continue
            self.gap(pieces, cursor, definition.start - 1, gap_kind, gap_symbol)
            self.place(definition, pieces, group)
            cursor = definition.end + 1
        self.gap(pieces, cursor, hi, gap_kind, gap_symbol)
        return pieces

    def place(self, definition: Definition, pieces: list[_Piece], group: str) -> None:
        piece = _Piece(definition.kind, definition.symbol, definition.start, definition.end,
                       group=group)
        if self.measure(piece) <= self.max or not definition.members:
            pieces.append(piece)  # too big and memberless: emit() windows it
            return
        pieces.extend(self.layout(definition.members, definition.start, definition.end, "class",
                                  definition.symbol))

    def gap(self, pieces: list[_Piece], start: int, end: int, kind: str, symbol: str) -> None:
        start, end = self.trim(start, end)
        if start > end:
            return
        filled = [row for row in range(start, end + 1) if not self.blank(row)]
        if pieces and len(filled) <= _MAX_CLOSER_LINES and all(
                _CLOSER.match(self.lines[row]) for row in filled):
            pieces[-1].end, pieces[-1].tokens = end, None
            return
        pieces.append(_Piece(kind, symbol, start, end, group=symbol))

    # -- documents --------------------------------------------------------------

    def sections(self, headings: list[tuple[int, int, str]]) -> list[_Piece]:
        """Pieces from (row, level, title) headings; the text before the first has symbol ""."""
        pieces: list[_Piece] = []
        bounds = [row for row, _, _ in headings] + [len(self.lines)]
        start, end = self.trim(0, bounds[0] - 1)
        if start <= end:
            pieces.append(_Piece("section", "", start, end))
        path: list[tuple[int, str]] = []
        for (row, level, title), next_row in zip(headings, bounds[1:]):
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title))
            start, end = self.trim(row, next_row - 1)
            if start <= end:
                symbol = " > ".join(t for _, t in path if t)
                pieces.append(_Piece("section", symbol, start, end))
        return pieces

    # -- emitting within budget --------------------------------------------------

    def emit(self, pieces: list[_Piece], overlap: int) -> list[_Out]:
        out: list[_Out] = []
        for piece in pieces:
            if self.measure(piece) <= self.max:
                header = self.header(piece.symbol, piece.kind)
                text = self.source(piece.start, piece.end)
                chunk = self.make(piece.symbol, piece.kind, piece.start, piece.end, text, header)
                out.append(_Out(chunk, piece.tokens, True, [piece.symbol], group=piece.group))
            else:
                out.extend(self.windows(piece, overlap))
        return out

    def windows(self, piece: _Piece, overlap: int) -> list[_Out]:
        """Consecutive line windows of ``piece``, each as long as the budget allows."""
        lines = self.lines
        rows = [row for row in range(piece.start, piece.end + 1) if not self.blank(row)]
        offsets = [0]  # offsets[i]: characters before row piece.start + i, newlines included
        for row in range(piece.start, piece.end + 1):
            offsets.append(offsets[-1] + len(lines[row]) + 1)
        ends = [offsets[row - piece.start + 1] for row in rows]
        ratio = piece.ratio or _DEFAULT_TOKENS_PER_CHAR
        out: list[_Out] = []
        part = 1
        first = 0
        while first < len(rows):
            symbol = _part(piece.symbol, part)
            header, header_tokens = self.roomy_header(piece.symbol, piece.kind, part, False)
            counted: dict[int, tuple[int, int]] = {}

            def probe(last: int) -> tuple[int, int]:
                if last not in counted:
                    text = "\n".join(lines[rows[first]:rows[last] + 1])
                    counted[last] = (self.count(header + text), len(text))
                return counted[last]

            def last_within(allowance: float) -> int:
                start_offset = offsets[rows[first] - piece.start]
                return bisect.bisect_right(ends, start_offset + allowance) - 1

            if len(lines[rows[first]]) * ratio > _HOPELESS * self.max:
                last = None  # a minified megabyte: no need to count it to know it must be sliced
            else:
                last = _fit_search(first, len(rows) - 1, probe, last_within, self.max,
                                   header_tokens, ratio)
            if last is None:
                slices, part = self.split_line(rows[first], piece, part)
                out.extend(slices)
                first += 1
                continue
            tokens, chars = counted[last]
            text = "\n".join(lines[rows[first]:rows[last] + 1])
            chunk = self.make(symbol, piece.kind, rows[first], rows[last], text, header)
            out.append(_Out(chunk, tokens, False, [symbol]))
            ratio = _ratio(tokens - header_tokens, chars)
            part += 1
            if last == len(rows) - 1:
                break
            # Overlap helps retrieval across a cut, but never more than a third
            # of a window, so windows of a few long lines still advance.
            first = last + 1 - min(overlap, (last - first) // 3)
        return out

    def split_line(self, row: int, piece: _Piece, part: int) -> tuple[list[_Out], int]:
        """Character slices of one line too long for any chunk; all share its line number."""
        line = self.lines[row]
        sample = line[:self.max * _SAMPLE_CHARS_PER_TOKEN]
        ratio = _ratio(self.count(sample), len(sample))
        out: list[_Out] = []
        position = 0
        while position < len(line):
            symbol = _part(piece.symbol, part)
            header, header_tokens = self.roomy_header(piece.symbol, piece.kind, part, True)
            counted: dict[int, tuple[int, int]] = {}

            def probe(size: int) -> tuple[int, int]:
                if size not in counted:
                    counted[size] = (self.count(header + line[position:position + size]), size)
                return counted[size]

            size = _fit_search(1, len(line) - position, probe, int, self.max, header_tokens, ratio)
            if size is None:
                raise ValueError(f"max_tokens={self.max} leaves no room for text after the header "
                                 f"{header.strip()!r}")
            text = line[position:position + size]
            position += size
            tokens = counted[size][0]
            ratio = _ratio(tokens - header_tokens, size)
            if not text.strip():
                continue  # a run of spaces: nothing worth embedding
            out.append(_Out(self.make(symbol, piece.kind, row, row, text, header), tokens, False,
                            [symbol]))
            part += 1
        return out, part

    # -- merging tiny neighbours ---------------------------------------------------

    def merge(self, outs: list[_Out]) -> list[Chunk]:
        """Join runs of small chunks of the same kind while the result fits the budget."""
        merged: list[_Out] = []
        for item in outs:
            if merged and self.mergeable(merged[-1], item):
                joined = self.join(merged[-1], item)
                if joined is not None:
                    merged[-1] = joined
                    continue
            merged.append(item)
        return [item.chunk for item in merged]

    def is_small(self, item: _Out) -> bool:
        chunk = item.chunk
        return item.tokens <= self.small or chunk.end_line - chunk.start_line < 3

    def mergeable(self, a: _Out, b: _Out) -> bool:
        return (a.mergeable and b.mergeable and a.chunk.kind == b.chunk.kind
                and a.group == b.group
                and b.chunk.start_line > a.chunk.end_line
                and (a.merged or self.is_small(a)) and self.is_small(b))

    def join(self, a: _Out, b: _Out) -> _Out | None:
        symbols = a.symbols + [s for s in b.symbols if s not in a.symbols]
        named = [s for s in symbols if s]
        symbol = ", ".join(named)
        if len(symbol) > _SYMBOL_LIST_MAX_CHARS:
            symbol = named[0] + " …"
        kind = a.chunk.kind
        start, end = a.chunk.start_line - 1, b.chunk.end_line - 1
        header = self.header(symbol, kind)
        text = self.source(start, end)
        tokens = self.count(header + text)
        if tokens > self.max:
            return None
        return _Out(self.make(symbol, kind, start, end, text, header), tokens, True, symbols,
                    merged=True, group=a.group)


def _part(symbol: str, part: int) -> str:
    return f"{symbol} (part {part})" if symbol else ""


def _ratio(tokens: int, chars: int) -> float:
    return max(_MIN_TOKENS_PER_CHAR, tokens / max(1, chars))


def _fit_search(lo: int, hi: int, probe: Callable[[int], tuple[int, int]],
                k_for_chars: Callable[[float], int], limit: int, header_tokens: int,
                ratio: float) -> int | None:
    """A large k in [lo, hi] whose text fits ``limit`` tokens; None if not even lo fits.

    probe(k) counts candidate k and returns (tokens, characters of its text);
    k_for_chars maps a character allowance to the longest candidate within it.
    Each guess comes from a tokens-per-character ratio refined by the previous
    probe, so a window usually costs one or two counts; a fit at least
    _FULL_ENOUGH of the limit is taken without looking for a longer one.  The
    answer is always a k whose probe fitted, so a tokenizer that defies the
    estimate yields a shorter chunk, never an oversized one.
    """
    room = max(1, limit - header_tokens)
    good, bad = None, hi + 1
    for _ in range(_SECANT_STEPS):
        floor = lo if good is None else good + 1
        k = min(max(k_for_chars(room * _AIM / ratio), floor), bad - 1)
        tokens, chars = probe(k)
        if tokens <= limit:
            good = k
            if k == hi or tokens >= limit * _FULL_ENOUGH:
                return good
        else:
            bad = k
            if k == lo:
                return None
        if good is not None and bad == good + 1:
            return good
        ratio = _ratio(tokens - header_tokens, chars)
    if good is None:
        if probe(lo)[0] > limit:
            return None
        good = lo
    while bad - good > 1:
        middle = (good + bad) // 2
        if probe(middle)[0] <= limit:
            good = middle
        else:
            bad = middle
    return good


