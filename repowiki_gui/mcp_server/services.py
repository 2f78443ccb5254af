"""The services an MCP session needs, started on its first job and stopped when it ends.

The server finds a running window's (or ``repowiki serve``'s) Redis and workers
as every CLI command does, or starts them; the first tool that needs a job
pays for that, so listing repositories or reading a page starts nothing.
Everything here blocks: the tools call it from a worker thread.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from redis import RedisError

from ..core.errors import UserError
from ..jobs.names import INDEX_ZIP, RETRIEVAL

log = logging.getLogger(__name__)

# Progress: (done, total, message); the tools turn it into MCP progress notifications.
Report = Callable[[float, float, str], None]

# How often a streamed answer reports its tokens: an agent needs a sign of life, not every token.
TOKEN_REPORT_EVERY = 16


class Call:
    """The jobs one tool call enqueued, cancelled with it: the client gave up on the call, or the session ended.

    A job enqueued after the cancel (the call's thread had not got that far) is cancelled at once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: list[tuple[object, str]] = []
        self.cancelled = False

    def enqueued(self, service, job_id: str) -> str:
        with self._lock:
            self._jobs.append((service, job_id))
            late = self.cancelled
        if late:
            _cancel_quietly(service, job_id)
        return job_id

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            jobs = list(self._jobs)
        for service, job_id in jobs:
            _cancel_quietly(service, job_id)


def _cancel_quietly(service, job_id: str) -> None:
    try:
        service.cancel(job_id)
    except UserError:
        pass  # it had ended
    except (RedisError, OSError):  # a Redis already gone must not keep the rest running
        log.warning("could not cancel job %s", job_id, exc_info=True)


class SessionServices:
    """The job service of one MCP session, and the calls that still run jobs."""

    def __init__(self, args):
        self.args = args
        self.manager = None
        self._service = None
        self._lock = threading.Lock()
        self._calls: set[Call] = set()
        self._stopped = False

    def job_service(self):
        from ..cli.services import job_service, start_services

        with self._lock:
            if self._stopped:
                raise UserError("The RepoWiki MCP server is shutting down; start it again.")
            if self._service is None:
                self.manager = start_services(self.args)
                self._service = job_service(self.manager)
            return self._service

    def open_call(self) -> Call:
        call = Call()
        with self._lock:
            self._calls.add(call)
        return call

    def close_call(self, call: Call) -> None:
        with self._lock:
            self._calls.discard(call)

    def stop(self) -> None:
        """Cancel the jobs of the calls still running, then stop what this session started (nothing it found)."""
        with self._lock:
            self._stopped = True
            calls, self._calls = list(self._calls), set()
            manager = self.manager
        for call in calls:
            call.cancel()
        if manager is not None:
            manager.stop()

    # --- the jobs ---------------------------------------------------------------
    def search(self, call: Call, repo: str, query: str, k: int) -> dict:
        service = self.job_service()
        t0 = time.perf_counter()
        job_id = call.enqueued(service, service.enqueue(RETRIEVAL, repo, query, k))
        result = service.result_of(job_id, poll_s=0.05)
        return {"question": query, "references": result["references"],
                "timings": {"retrieval_ms": round(result["retrieval_ms"], 1),
                            "total_ms": round((time.perf_counter() - t0) * 1000, 1)}}

    def ask(self, call: Call, repo: str, question: str, k: int, report: Report) -> dict:
        """Retrieval and the streamed answer, as `repowiki ask` runs them; ``report`` hears each stage."""
        service = self.job_service()
        t0 = time.perf_counter()
        report(0, 100, "Searching the index")
        retrieval_id, answer_id = service.ask(repo, question, k, None)
        call.enqueued(service, retrieval_id)
        call.enqueued(service, answer_id)
        progress = _AnswerProgress(report, self.manager.settings.llm_max_tokens)
        done = service.follow_answer(answer_id, retrieval_id, progress.on_token, on_sources=progress.on_sources,
                                     on_reading=progress.on_reading)
        retrieval = service.status(retrieval_id)["result"] or {}
        report(100, 100, "Answered" if not done["stopped"] else "Stopped")
        first = progress.first_token_at
        return {"question": question, "answer": done["answer"], "references": done["references"],
                "stopped": done["stopped"],
                "timings": {"retrieval_ms": round(retrieval.get("retrieval_ms", 0.0), 1),
                            "first_token_ms": round((first - t0) * 1000, 1) if first else None,
                            "total_ms": round((time.perf_counter() - t0) * 1000, 1)}}

    def index(self, call: Call, path: Path, name: str, report: Report) -> dict:
        """The index job of `repowiki index`, its progress reported; the job's result."""
        service = self.job_service()
        job_id = call.enqueued(service, service.enqueue(INDEX_ZIP, str(path), name))

        def on_update(status: dict) -> None:
            prog = status.get("progress") or {}
            if status["state"] == "queued":
                report(0, 100, "Waiting for a worker")
            elif status["state"] == "started" and prog:
                report(float(prog.get("progress", 0.0)), 100, prog.get("message") or prog.get("stage", ""))

        return service.result_of(job_id, on_update=on_update)


class _AnswerProgress:
    """An answer's stream as progress: searching 0–10, reading the prompt 10–50, writing 50–99."""

    def __init__(self, report: Report, max_tokens: int):
        self.report, self.max_tokens = report, max(1, max_tokens)
        self.tokens = 0
        self.first_token_at: float | None = None
        self._last = 0.0

    def _send(self, value: float, message: str) -> None:
        self._last = max(self._last, min(99.0, value))  # progress only ever grows
        self.report(self._last, 100, message)

    def on_sources(self, refs: list[dict]) -> None:
        self._send(10, f"Found {len(refs)} sources; the model reads them")

    def on_reading(self, done: int, total: int) -> None:
        if total > 0:
            self._send(10 + 40 * done / total, f"Reading the sources: {done}/{total} tokens")

    def on_token(self, text: str) -> None:
        self.tokens += 1
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        if self.tokens == 1 or self.tokens % TOKEN_REPORT_EVERY == 0:
            self._send(50 + 49 * self.tokens / self.max_tokens, f"Writing the answer: {self.tokens} tokens")
