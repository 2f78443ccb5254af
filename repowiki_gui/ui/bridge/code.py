"""The bridge's requests about a repository's code: its file tree, and code search as you type.

Code search runs the hybrid retrieval of ``core/qa/search.py`` here, in the
window's process, on one thread of its own (``CodeSearcher``): a search per
keystroke through the job queue would wait behind an answer on the
interactive worker and fill the tasks panel with retrievals.  The newest
request wins: one still waiting when a newer one comes is dropped unanswered.
"""
from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import Slot

from ...core.datadir import lancedb_dir
from ...core.errors import RepoWikiError
from ..code_search import query_words
from ..pyside_fixes import emit

log = logging.getLogger(__name__)

CODE_SEARCH_K = 20          # results shown
FILTERED_CANDIDATES = 60    # hits asked for when a language filter drops some after ranking
WARM = ("", "", "", "", "")   # a request that only loads the embedder
MATCH_LINES = 3             # lines of a hit shown under it, those that name the query's words first


def matching_lines(text: str, start_line: int, words: list[str], limit: int = MATCH_LINES) -> list[list]:
    """``[line number, text]`` of the hit's lines that name a query word (the first lines if none do)."""
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if any(w in line.lower() for w in words)]
    chosen = hits[:limit] or [i for i, line in enumerate(lines) if line.strip()][:1]
    return [[start_line + i, lines[i]] for i in chosen]


def code_result(hit, words: list[str]) -> dict:
    """One search hit as the code search panel shows it."""
    return {"path": hit.path, "start_line": hit.start_line, "end_line": hit.end_line, "symbol": hit.symbol,
            "language": hit.language or "", "score": round(hit.score, 4),
            "lines": matching_lines(hit.text, hit.start_line, words)}


class CodeSearcher:
    """One daemon thread running the newest code search request; the embedder loads on the first one."""

    def __init__(self, home, settings_source, on_done, on_failed):
        self._home = home
        self._settings_source = settings_source   # -> Settings, read when the embedder loads
        self._on_done, self._on_failed = on_done, on_failed
        self._cond = threading.Condition()
        self._next: tuple | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._embedder = None
        self._store = None

    def submit(self, request_id: str, repo: str, query: str, language: str, prefix: str) -> None:
        with self._cond:
            self._next = (request_id, repo, query, language, prefix)   # replaces any request not yet taken
            self._start()
            self._cond.notify()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="code-search", daemon=True)
            self._thread.start()

    def warm(self) -> None:
        """Load the embedder on the searcher's thread now, unless it is loaded or a search is waiting."""
        with self._cond:
            if self._embedder is None and self._next is None:
                self._next = WARM
                self._start()
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._next is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                request, self._next = self._next, None
            request_id = request[0]
            try:
                if request is WARM:
                    self._load()
                    continue
                results = self.search(*request[1:])
            except (RepoWikiError, OSError, ValueError) as exc:
                self._on_failed(request_id, str(exc))
                continue
            self._on_done(request_id, results)

    def _load(self) -> None:
        from ...core.models.embedder import OnnxEmbedder

        if self._embedder is None:
            settings = self._settings_source()
            t0 = time.perf_counter()
            # One thread: the workers own the cores; a query is a few tokens.
            self._embedder = OnnxEmbedder(threads=1, max_tokens=settings.chunk_max_tokens)
            log.info("code search: embedder loaded in %.0f ms", (time.perf_counter() - t0) * 1000)

    def search(self, repo: str, query: str, language: str, prefix: str) -> list[dict]:
        """The ranked code hits of ``query`` in ``repo``, kept to ``language`` and under ``prefix`` when given."""
        from ...core.index.store import ChunkStore
        from ...core.qa.search import search

        self._load()
        if self._store is None:
            self._store = ChunkStore(lancedb_dir(self._home), self._embedder.dim)
        self._store.refresh()   # an index job commits in another process
        scope = [prefix.strip().strip("/")] if prefix.strip().strip("/") else None
        k = FILTERED_CANDIDATES if language else CODE_SEARCH_K
        hits = search(self._store, self._embedder, repo, query, k=k, scope=scope)
        if language:
            hits = [h for h in hits if (h.language or "") == language]
        words = query_words(query)
        return [code_result(h, words) for h in hits[:CODE_SEARCH_K]]


class CodeRequests:
    """Mixed into ServiceBridge: the file tree is read in the bridge thread, searches on the searcher's."""

    def _code_searcher(self) -> CodeSearcher:
        if self._searcher is None:
            self._searcher = CodeSearcher(
                self.home, lambda: (self.manager.settings if self.manager is not None else self._own_settings()),
                lambda rid, results: emit(self.codeSearchDone, rid, results),
                lambda rid, why: emit(self.codeSearchFailed, rid, why))
        return self._searcher

    def _own_settings(self):
        from ...settings import Settings

        return self.settings or Settings.load(self.home)

    @Slot(str)
    def listFiles(self, repo: str) -> None:
        """Every indexed file of ``repo`` (path, language, lines) for the source tree."""
        def run():
            store = self._chunk_store()
            store.refresh()
            emit(self.filesListed, repo, store.indexed_files(repo))
        self._guard(run)

    @Slot(str, str, str, str, str)
    def searchCode(self, request_id: str, repo: str, query: str, language: str, prefix: str) -> None:
        """Queue a code search; codeSearchDone or codeSearchFailed answers it unless a newer one comes first."""
        if not query.strip():   # answered at once; the searcher loads its model meanwhile, for the real one
            self._code_searcher().warm()
            emit(self.codeSearchDone, request_id, [])
            return
        self._code_searcher().submit(request_id, repo, query, language, prefix)
