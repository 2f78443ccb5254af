"""Hybrid retrieval: vector search + full-text search + a symbol/path signal, fused and merged.

Each signal ranks candidates on its own; reciprocal rank fusion combines the
ranks (scores of different signals are not comparable), a few cheap features
rerank the fused list, and overlapping chunks of one file become one hit.

Several repositories are searched one by one, each with its own candidates, and
their ranked lists are merged fairly (``merge_repositories``): one query over all
of them would let a big repository fill every candidate slot of a small one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from ..errors import UserError
from ..index.sections import SectionStore
from ..index.store import ChunkStore, sql_str
from ..index.terms import expand_identifiers, split_identifier
from ..models.embedder import Embedder
from ..span import Span

RRF_K = 60
# Tuned on bench/questions_flask.json (see README): identifiers and words in code questions make
# full-text the sharper signal; two hits per file leave room for other files; tests rank lower.
FTS_WEIGHT = 1.5
MAX_PER_FILE = 2
TEST_PENALTY = 0.15
# The wiki summarises the code: worth citing, but the code itself is the stronger evidence.
WIKI_WEIGHT = 0.5
_COLUMNS = ["chunk_id", "path", "language", "symbol", "kind", "start_line", "end_line", "text"]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_STOP = {"the", "a", "an", "is", "are", "of", "to", "in", "how", "what", "where", "which", "when", "do", "does",
         "i", "it", "for", "on", "and", "or", "with", "be", "by", "from", "this", "that", "can", "new", "add"}


@dataclass(frozen=True)
class Hit(Span):
    """One ranked result: a span of a file (or a wiki page) and what retrieval knows of it."""
    symbol: str
    kind: str             # "code" or "wiki"
    language: str
    text: str
    score: float          # fused rank score, 0..1 (1 = first in every signal)
    similarity: float     # cosine similarity of the question and the best chunk: an absolute relevance
    chunk_ids: list[str] = field(default_factory=list)
    repo: str = ""        # the repository it is of

    def to_json(self) -> dict:
        return {**self.range_json(), "symbol": self.symbol, "score": round(self.score, 4), "kind": self.kind,
                "repo": self.repo}


ALL_REPOS = "all"


def parse_repos(spec: str, known: Sequence[str]) -> list[str]:
    """The repositories ``spec`` names: one name, ``a,b``, or ``all``; an unknown name is a UserError."""
    names = [n.strip() for n in spec.split(",") if n.strip()] if spec else []
    if names == [ALL_REPOS] and ALL_REPOS not in known:
        if not known:
            raise UserError("No repository is indexed yet; index one with `repowiki index ZIP`.")
        return sorted(known)
    if not names:
        raise UserError("Name a repository (or several as a,b, or all); see `repowiki repos`.")
    unknown = [n for n in names if n not in known]
    if unknown:
        which = ", ".join(repr(n) for n in unknown)
        noun = "repository named" if len(unknown) == 1 else "repositories named"
        raise UserError(f"There is no indexed {noun} {which}; see `repowiki repos`.")
    return list(dict.fromkeys(names))


def _fts_query(question: str) -> str:
    # The full-text parser has its own syntax; keep words only, and add identifier parts.
    words = re.sub(r"[^A-Za-z0-9_ ]+", " ", question)
    return expand_identifiers(words).replace("\n", " ").strip()


def _symbol_terms(question: str) -> list[str]:
    """Identifier-looking words of the question (snake_case, camelCase, dotted, or code in backticks)."""
    terms = []
    for tok in _IDENT.findall(question):
        base = tok.strip(".")
        if ("_" in base or "." in base or re.search(r"[a-z][A-Z]", base)) and len(base) >= 3:
            terms.append(base.split(".")[-1])
    for tok in re.findall(r"`([^`]+)`", question):
        terms.append(tok.strip("()").split(".")[-1])
    return list(dict.fromkeys(t for t in terms if len(t) >= 3))


def scope_filter(prefixes: list[str]) -> str:
    """SQL for "path is one of ``prefixes`` or under one of them"."""
    conds = []
    for p in prefixes:
        p = p.rstrip("/")
        conds.append(f"path = {sql_str(p)} OR starts_with(path, {sql_str(p + '/')})")
    return " OR ".join(conds) or "false"


def search(store: ChunkStore, embedder: Embedder, repo: str | Sequence[str], question: str, k: int = 10, *,
           mode: str = "hybrid", candidates: int = 40, scope: list[str] | None = None,
           sections: SectionStore | None = None) -> list[Hit]:
    """The ``k`` best hits of ``repo`` (a name, or several) for ``question``; ``mode`` is hybrid, vector or fts.

    ``scope`` keeps to files under those path prefixes; ``sections`` adds the wiki's sections as hits of kind "wiki".
    Each hit carries its repository in ``repo``.
    """
    repos = [repo] if isinstance(repo, str) else list(dict.fromkeys(repo))
    qvec = embedder.embed([question])[0]
    per_repo = {name: _search_one(store, name, question, qvec, k, mode=mode, candidates=candidates, scope=scope,
                                  sections=sections) for name in repos}
    return per_repo[repos[0]] if len(repos) == 1 else merge_repositories(per_repo, k)


def merge_repositories(per_repo: dict[str, list[Hit]], k: int) -> list[Hit]:
    """The ``k`` best of several repositories' ranked hits, each repository searched on its own.

    A hit's score is rank-based (reciprocal rank fusion over its own repository's
    signals, 1 = first in every one), so it does not depend on how big a
    repository is or on its full-text statistics.  It is weighed by how well its
    repository answers the question at all: the repository's best cosine
    similarity over the best of any (one embedder makes cosines comparable).
    A repository the question is not about then yields; one it is about, small
    or big, keeps its ranks.  Each hit's ``score`` becomes the weighed one.
    bench/retrieval_eval.py --together chose this over merging by score alone
    and over interleaving by rank (README).
    """
    best = {repo: max((h.similarity for h in hits), default=0.0) for repo, hits in per_repo.items()}
    top = max(best.values(), default=0.0)
    weight = {repo: (b / top if top > 0 else 1.0) for repo, b in best.items()}
    merged = [replace(h, score=h.score * weight[repo]) for repo, hits in per_repo.items() for h in hits]
    merged.sort(key=lambda h: (-h.score, -h.similarity))   # the score is the one the answer's prompt orders by
    return merged[:k]


def _search_one(store: ChunkStore, repo: str, question: str, qvec: np.ndarray, k: int, *, mode: str,
                candidates: int, scope: list[str] | None, sections: SectionStore | None) -> list[Hit]:
    """The ``k`` best hits of one repository: every signal's candidates, fused, reranked, merged."""
    table = store.table()
    where = f"repo = {sql_str(repo)}"
    if scope is not None:
        where += f" AND ({scope_filter(scope)})"
    ranked: list[tuple[float, list[dict]]] = []
    rows: dict[str, dict] = {}

    if mode in ("hybrid", "vector"):
        # nprobes/refine only matter once a vector index exists; refine re-ranks with exact distances
        vec = (table.search(qvec, vector_column_name="vector").distance_type("cosine").nprobes(24)
               .refine_factor(4)
               .where(where, prefilter=True).select(_COLUMNS + ["vector", "_distance"]).limit(candidates).to_list())
        ranked.append((1.0, vec))
    if mode in ("hybrid", "fts"):
        query = _fts_query(question)
        fts = (table.search(query, query_type="fts").where(where, prefilter=True)
               .select(_COLUMNS + ["vector", "_score"]).limit(candidates).to_list()) if query else []
        ranked.append((FTS_WEIGHT, fts))
    if mode == "hybrid":
        terms = _symbol_terms(question)
        if terms:
            cond = " OR ".join(f"lower(symbol) LIKE {sql_str('%' + t.lower() + '%')}" for t in terms)
            sym = table.search().where(f"{where} AND ({cond})").select(_COLUMNS + ["vector"]).limit(candidates).to_list()
            # exact symbol matches first, then the shortest symbols (the definition, not its users)
            sym.sort(key=lambda r: (not any(r["symbol"].split(".")[-1].lower() == t.lower() for t in terms),
                                    len(r["symbol"])))
            ranked.append((1.5, sym))

    if sections is not None and mode == "hybrid":
        ranked.extend(_section_lists(sections, repo, question, qvec, candidates))

    fused: dict[str, float] = {}
    for weight, hits in ranked:
        for rank, row in enumerate(hits):
            rows.setdefault(row["chunk_id"], row)
            fused[row["chunk_id"]] = fused.get(row["chunk_id"], 0.0) + weight / (RRF_K + rank + 1)
    if not fused:
        return []
    best_possible = sum(w for w, _ in ranked) / (RRF_K + 1)
    sims = {cid: float(np.dot(qvec, np.asarray(row["vector"], np.float32))) for cid, row in rows.items()}
    qwords = {w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in _STOP and len(w) > 2}
    for cid, row in rows.items():
        fused[cid] = fused[cid] / best_possible + _rerank_bonus(row, qwords)
    order = sorted(fused, key=lambda cid: -fused[cid])
    return _merge_overlaps([(rows[cid], fused[cid], sims[cid]) for cid in order], k, repo)


def _section_lists(sections: SectionStore, repo: str, question: str, qvec: np.ndarray,
                   candidates: int) -> list[tuple[float, list[dict]]]:
    """The wiki's sections as two more ranked lists, shaped like chunk rows (kind "wiki", path = the page)."""
    table = sections.table()
    if table is None:
        return []
    where = f"repo = {sql_str(repo)}"
    cols = ["section_id", "page", "title", "start_line", "end_line", "text", "vector"]
    vec = (table.search(qvec, vector_column_name="vector").distance_type("cosine")
           .where(where, prefilter=True).select(cols + ["_distance"]).limit(candidates // 2).to_list())
    query = _fts_query(question)
    fts = []
    if query and any(idx.index_type == "FTS" for idx in table.list_indices()):
        fts = (table.search(query, query_type="fts").where(where, prefilter=True).select(cols + ["_score"])
               .limit(candidates // 2).to_list())

    def as_chunk(r: dict) -> dict:
        return {"chunk_id": "wiki:" + r["section_id"], "path": r["page"], "language": "markdown",
                "symbol": r["title"], "kind": "wiki", "start_line": r["start_line"], "end_line": r["end_line"],
                "text": r["text"], "vector": r["vector"]}

    return [(WIKI_WEIGHT, [as_chunk(r) for r in vec]), (WIKI_WEIGHT, [as_chunk(r) for r in fts])]


def _rerank_bonus(row: dict, qwords: set[str]) -> float:
    """Small nudges the rank signals miss: the question names the file or the symbol."""
    bonus = 0.0
    stem = row["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    if stem in qwords:
        bonus += 0.05
    parts = set(split_identifier(row["symbol"].split(".")[-1])) if row["symbol"] else set()
    if parts and parts <= qwords:
        bonus += 0.1
    if row["path"].startswith(("tests/", "test/")) and not {"test", "tests"} & qwords:
        bonus -= TEST_PENALTY  # users ask about the code more often than about its tests
    return bonus


def _merge_overlaps(scored: list[tuple[dict, float, float]], k: int, repo: str = "") -> list[Hit]:
    """Fold chunks of one file whose line ranges overlap or touch into one hit (best score kept)."""
    hits: list[Hit] = []
    lines_of: list[dict[int, str]] = []
    for row, score, sim in scored:
        span = Span(row["path"], row["start_line"], row["end_line"])
        i = next((i for i, hit in enumerate(hits) if hit.touches(span)), None)
        if i is not None:
            hit = hits[i]
            lines_of[i].update(_numbered(row))
            symbol = hit.symbol
            if row["symbol"] and row["symbol"] not in symbol.split(", "):
                symbol = f"{symbol}, {row['symbol']}" if symbol else row["symbol"]
            hits[i] = replace(hit, start_line=min(hit.start_line, span.start_line),
                              end_line=max(hit.end_line, span.end_line), symbol=symbol,
                              text="\n".join(lines_of[i][n] for n in sorted(lines_of[i])),
                              similarity=max(hit.similarity, sim), chunk_ids=hit.chunk_ids + [row["chunk_id"]])
            continue
        if len(hits) >= k or sum(h.path == span.path for h in hits) >= MAX_PER_FILE:
            continue
        lines_of.append(_numbered(row))
        hits.append(Hit(span.path, span.start_line, span.end_line, row["symbol"],
                        "wiki" if row["kind"] == "wiki" else "code", row["language"], row["text"],
                        min(1.0, max(0.0, score)), sim, [row["chunk_id"]], repo))
    return hits


def _numbered(row: dict) -> dict[int, str]:
    lines = row["text"].split("\n")
    if len(lines) != row["end_line"] - row["start_line"] + 1:  # a slice of one long line
        return {row["start_line"]: row["text"]}
    return {row["start_line"] + i: line for i, line in enumerate(lines)}
