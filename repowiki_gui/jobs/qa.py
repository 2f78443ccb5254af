"""The qa family: ``qa.retrieval`` and ``qa.generate_answer`` (interactive worker).

Retrieval keeps its references in Redis for 300 s; the answer job depends on
it, reads them, and streams token deltas to ``repowiki:stream:<job id>``,
ending with a ``done`` event that holds the answer and its references, so a
reader that arrives late loses nothing.

A conversation is this module's too: ``open_conversation`` starts one (or
checks the one asked for) when a question is submitted, and the answer job
adds the turn, so the window and the CLI never write one themselves.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from rq import get_current_job

from ..core.datadir import app_db, lancedb_dir
from ..core.errors import UserError
from ..core.index.repositories import RepoRegistry
from ..core.index.sections import SectionStore
from ..core.index.store import ChunkStore
from ..core.qa.answer import AnswerResult, Reference, answer_question
from ..core.qa.conversations import Conversations
from ..core.qa.search import parse_repos, search
from ..core.qa.stale import indexed_text, reference_hashes, stamp_last_turn
from ..settings import Settings, default_home
from . import keys, models
from .progress import JobProgress, cancel_requested

STREAM_TTL_S = 3600


def _context() -> tuple[Path, Settings]:
    home = default_home()
    return home, Settings.load(home)


def repositories(home: Path, repo: str) -> list[str]:
    """The indexed repositories ``repo`` names: one name, ``a,b`` or ``all`` (a UserError for an unknown one)."""
    return parse_repos(repo, [r.name for r in RepoRegistry(app_db(home)).all()])


def open_conversation(home: Path, repo: str, question: str, conversation: str | None) -> str | None:
    """The conversation a question goes into: ``"new"`` starts one titled by it, an id must exist, None is none.

    A new conversation records the repositories ``repo`` names (``a,b``; ``all`` as the names it means now).
    """
    if not conversation:
        return None
    conversations = Conversations(app_db(home))
    if conversation == "new":
        return conversations.create(",".join(repositories(home, repo)), question)
    conversations.get(conversation)  # a clear error for an unknown id
    return conversation


def _search_query(home: Path, question: str, conversation_id: str | None) -> str:
    """A follow-up ("and what does it return?") is searched together with the question before it."""
    if not conversation_id:
        return question
    turns = Conversations(app_db(home)).turns(conversation_id)
    return f"{turns[-1]['question']} {question}" if turns else question


def retrieval(repo: str, question: str, top_k: int = 8, conversation_id: str | None = None) -> dict:
    """qa.retrieval: embed the question, hybrid search, keep the references for the answer job.

    ``repo`` may name several repositories (``a,b``) or ``all``; each reference carries its own.
    """
    t0 = time.perf_counter()
    job = get_current_job()
    home, settings = _context()
    repos = repositories(home, repo)
    progress = JobProgress.current()
    progress.update("search", "Searching the index", 0, 1)
    embedder = models.embedder(settings)
    store = ChunkStore(lancedb_dir(home), embedder.dim)
    hits = search(store, embedder, repos, _search_query(home, question, conversation_id), k=top_k,
                  sections=SectionStore(lancedb_dir(home), embedder.dim))
    progress.update("search", f"Found {len(hits)} references", 1, 1)
    refs = [dict(h.to_json(), text=h.text, similarity=h.similarity) for h in hits]
    job.connection.set(keys.REFS.format(job.id), json.dumps(refs), ex=settings.references_ttl_s)
    return {"references": [h.to_json() for h in hits], "retrieval_ms": (time.perf_counter() - t0) * 1000}


def generate_answer(repo: str, question: str, retrieval_job_id: str, conversation_id: str | None = None) -> dict:
    """qa.generate_answer: references from Redis -> prompt within the budget -> streamed answer."""
    job = get_current_job()
    home, settings = _context()
    references = _references(job.connection, retrieval_job_id, settings.min_similarity)
    conversations = Conversations(app_db(home))
    history = conversations.history(conversation_id) if conversation_id else []
    progress = JobProgress.current()
    progress.update("read", "Reading the sources", 0, 1)
    stream = _AnswerStream(job.connection, job.id, progress, settings.llm_max_tokens)
    result = answer_question(question, references, history, models.generator(settings),
                             max_answer_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature,
                             max_prompt_tokens=settings.llm_prompt_tokens, focus_lines=settings.llm_focus_lines,
                             key_line_count=settings.answer_key_lines,
                             on_token=stream.on_token, should_stop=stream.should_stop,
                             on_sources=stream.on_sources, on_reading=stream.on_reading)
    used = [r.to_json() for r in result.references]
    if conversation_id and not result.stopped:
        # saved before `done`: a reader that sees the end can ask its follow-up at once
        conversations.add_turn(conversation_id, question, result.text, used)
        # the cited lines' hash, so a reopened conversation can say which answers' code changed since
        stamp_last_turn(app_db(home), conversation_id, reference_hashes(used, repo, indexed_text(home)))
    stream.finish(result, used)
    progress.update("done", "Stopped by the user" if result.stopped else "Answered", stream.emitted, stream.emitted)
    return {"answer": result.text, "references": used, "cited": result.cited, "stopped": result.stopped}


def _references(conn, retrieval_job_id: str, min_similarity: float) -> list[Reference]:
    """The retrieval job's references that bear on the question, numbered from 1."""
    raw = conn.get(keys.REFS.format(retrieval_job_id))
    if raw is None:
        raise UserError("The references of this question expired before the answer started; ask again.")
    # References unrelated to the question (low cosine similarity) are dropped, so a question the
    # index cannot answer gets "I could not find anything" instead of an invention.
    refs = [r for r in json.loads(raw) if r["similarity"] >= min_similarity]
    return [Reference.from_json(r, i) for i, r in enumerate(refs, 1)]


class _AnswerStream:
    """One answer's events on ``repowiki:stream:<job id>``, its progress, and the cancel check."""

    def __init__(self, conn, job_id: str, progress: JobProgress, max_tokens: int) -> None:
        self._conn, self._job_id = conn, job_id
        self._key = keys.ANSWER_STREAM.format(job_id)
        self._progress, self._max_tokens = progress, max_tokens
        self.emitted = 0  # tokens streamed so far
        self._checked_at, self._cancelled = 0.0, False

    def on_token(self, delta: str) -> None:
        if not self.emitted:
            self._progress.update("generate", "Writing the answer", 0, self._max_tokens)
        self.emitted += 1
        self._conn.xadd(self._key, {"type": "token", "text": delta})

    def should_stop(self) -> bool:
        # a Redis read at most every 50 ms keeps cancel well inside a second
        now = time.monotonic()
        if now - self._checked_at > 0.05:
            self._checked_at = now
            self._cancelled = cancel_requested(self._conn, self._job_id)
        return self._cancelled

    def on_sources(self, used: list[Reference]) -> None:
        # the person reads these while the model reads them too
        self._conn.xadd(self._key, {"type": "sources", "references": json.dumps([r.to_json() for r in used])})

    def on_reading(self, done: int, total: int) -> None:
        self._conn.xadd(self._key, {"type": "reading", "done": done, "total": total})
        self._progress.update("read", f"Reading the sources: {done}/{total} tokens", done, total)

    def finish(self, result: AnswerResult, used: list[dict]) -> None:
        """The ``done`` event, and the stream's expiry."""
        done = {"type": "done", "answer": result.text, "references": json.dumps(used),
                "stopped": int(result.stopped),
                "first_token_ms": "" if result.first_token_s is None else f"{result.first_token_s * 1000:.1f}",
                "total_ms": f"{result.total_s * 1000:.1f}"}
        with self._conn.pipeline() as pipe:
            pipe.xadd(self._key, done)
            pipe.expire(self._key, STREAM_TTL_S)
            pipe.execute()
