"""The job service: enqueue the seed's tasks, follow them, cancel them, watch the queues.

No Qt here: the CLI uses it directly and the window through a worker thread.
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Callable

from redis import Redis
from rq import Queue, Retry
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from ..core.datadir import app_db
from ..core.errors import JobNotFound, UserError
from ..settings import Settings
from .catalog import ALL_QUEUES, spec_for
from .history import TaskHistory, summarize_args
from . import keys
from .names import GENERATE_ANSWER, RETRIEVAL, TERMINAL_STATES
from .progress import END_STAGE, progress_meta, request_cancel
from .worker import INTERACTIVE_QUEUES, worker_kind

_PROGRESS_KEYS = ("stage", "message", "progress", "processed", "total", "timestamp")


def _decode_progress(fields: dict) -> dict:
    out = {k.decode(): v.decode() for k, v in fields.items()}
    for key in ("processed", "total"):
        out[key] = int(out.get(key, 0))
    out["progress"] = float(out.get("progress", 0.0))
    return out


def _iso(dt) -> str | None:
    return dt.isoformat() if dt else None


class JobService:
    def __init__(self, connection: Redis, settings: Settings, home: Path):
        self.connection = connection
        self.settings = settings
        self.home = Path(home)
        self.history = TaskHistory(app_db(self.home))

    # --- enqueue ----------------------------------------------------------
    def enqueue(self, name: str, *args, depends_on: str | list[str] | None = None,
                job_id: str | None = None, **kwargs) -> str:
        """Enqueue a seed task by name (``indexing.index_zip`` ...) and return its job id."""
        spec = spec_for(name)
        return self.submit(spec.func, spec.queue, name, args, kwargs, retry=spec.retry,
                           depends_on=depends_on, job_id=job_id, repo=spec.repo_of(args, kwargs))

    def submit(self, func: str | Callable, queue: str, description: str, args: tuple = (),
               kwargs: dict | None = None, *, retry: bool = True,
               depends_on: str | list[str] | None = None, job_id: str | None = None,
               repo: str | None = None) -> str:
        """Enqueue any importable function on one of our queues with our limits and TTLs.

        ``repo`` is the repository the job is about: its meta and its history
        row keep it, so nobody parses it back out of the arguments.
        """
        if queue not in ALL_QUEUES:
            raise UserError(f"Unknown queue {queue!r}; queues are {', '.join(ALL_QUEUES)}.")
        kwargs = kwargs or {}
        s = self.settings
        interactive = queue in INTERACTIVE_QUEUES
        hard = s.interactive_hard_limit_s if interactive else s.job_hard_limit_s
        soft = s.interactive_soft_limit_s if interactive else s.job_soft_limit_s
        job_id = job_id or uuid.uuid4().hex
        meta = progress_meta("queued", "Waiting for a worker", 0, 0, 0.0)
        meta.update(task=description, soft_limit_s=soft, repo=repo)
        # The history row comes first: a fast worker may start the job before enqueue returns.
        self.history.queued(job_id, description, queue, summarize_args(args, kwargs), repo)
        Queue(queue, connection=self.connection).enqueue_call(
            func=func, args=args, kwargs=kwargs, timeout=hard, description=description,
            result_ttl=s.result_ttl_s, failure_ttl=s.failure_ttl_s, job_id=job_id, meta=meta,
            retry=Retry(max=s.retry_max, interval=list(s.retry_intervals_s)) if retry and s.retry_max else None,
            depends_on=depends_on)
        return job_id

    # --- follow -----------------------------------------------------------
    def _fetch(self, job_id: str) -> Job | None:
        try:
            return Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return None

    def status(self, job_id: str) -> dict:
        """State, progress, result, error and traceback of one job."""
        job = self._fetch(job_id)
        if job is None:
            row = self.history.get(job_id)
            if row is None:
                raise JobNotFound(f"No job with id {job_id} exists.")
            return {"id": job_id, "name": row["name"], "repo": row["repo"], "queue": row["queue"],
                    "state": row["outcome"], "progress": {}, "result": None, "error": row["error"], "traceback": None,
                    "enqueued_at": row["enqueued_at"], "started_at": row["started_at"],
                    "ended_at": row["ended_at"], "duration_s": row["duration_s"], "worker": None,
                    "expired": True}
        return self._describe(job)

    def _describe(self, job: Job) -> dict:
        state = job.get_status(refresh=False)
        state = state.value if isinstance(state, JobStatus) else str(state)
        meta = job.meta or {}
        result = error = traceback = None
        latest = job.latest_result() if state in TERMINAL_STATES else None
        if latest is not None:
            if latest.type == latest.Type.SUCCESSFUL:
                result = latest.return_value
            else:
                traceback = latest.exc_string
        if state in ("failed", "stopped"):
            error = meta.get("error") or (traceback.strip().splitlines()[-1] if traceback else state)
            if state == "stopped":
                error = "Cancelled by the user."
        duration = None
        if job.started_at:
            end = job.ended_at if state in TERMINAL_STATES and job.ended_at else None
            duration = ((end.timestamp() if end else time.time()) - job.started_at.timestamp())
        return {"id": job.id, "name": job.description, "repo": meta.get("repo"), "queue": job.origin,
                "state": state,
                "progress": {k: meta[k] for k in _PROGRESS_KEYS if k in meta},
                "result": result, "error": error, "traceback": traceback,
                "enqueued_at": _iso(job.enqueued_at), "started_at": _iso(job.started_at),
                "ended_at": _iso(job.ended_at), "duration_s": duration, "worker": job.worker_name,
                "retries_left": job.retries_left, "expired": False}

    def wait(self, job_id: str, on_update: Callable[[dict], None] | None = None,
             timeout_s: float | None = None, poll_s: float = 0.2) -> dict:
        """Block until the job ends, calling ``on_update`` for every progress update, in order.

        Updates come from the job's progress stream (XREAD BLOCK), so none is
        missed however short a stage is; the job's state is re-read between reads.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        stream = keys.PROGRESS.format(job_id)
        last_id = "0-0"
        last_state = None
        refresh = True
        while True:
            if refresh:  # Redis is asked for the state only when the stream is quiet or a run ended
                st = self.status(job_id)
            done = st["state"] in TERMINAL_STATES or st.get("expired")
            if on_update and st["state"] != last_state and not done:
                on_update(st)
            last_state = st["state"]
            block = None if done else max(1, int(poll_s * 1000))
            replies = self.connection.xread({stream: last_id}, block=block, count=500) or []
            refresh = not replies
            for _, events in replies:
                for event_id, fields in events:
                    last_id = event_id
                    if fields.get(b"stage") == END_STAGE.encode():
                        refresh = True  # finished, failed, or about to be retried
                    elif on_update:
                        on_update(dict(st, state="started", progress=_decode_progress(fields)))
            if done:
                if on_update:
                    on_update(st)
                return st
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {st['state']} after {timeout_s} s")

    def result_of(self, job_id: str, on_update: Callable[[dict], None] | None = None, poll_s: float = 0.2) -> dict:
        """Wait for the job and return its result; a UserError with the job's own sentence if it did not finish."""
        final = self.wait(job_id, on_update=on_update, poll_s=poll_s)
        if final["state"] != "finished":
            raise UserError(final.get("error") or f"The {final['name']} job {final['state']}.")
        return final["result"]

    def jobs(self, limit: int = 50) -> list[dict]:
        """Recent jobs, newest first: the history table with live state where Redis has it."""
        rows = self.history.recent(limit)
        live = Job.fetch_many([r["job_id"] for r in rows], connection=self.connection)
        out = []
        for row, job in zip(rows, live):
            if job is not None:
                out.append(self._describe(job))
            else:
                out.append({"id": row["job_id"], "name": row["name"], "repo": row["repo"], "queue": row["queue"],
                            "state": row["outcome"], "progress": {}, "error": row["error"],
                            "enqueued_at": row["enqueued_at"], "started_at": row["started_at"],
                            "ended_at": row["ended_at"], "duration_s": row["duration_s"],
                            "worker": None, "expired": True})
        return out

    # --- questions ----------------------------------------------------------
    def open_conversation(self, repo: str, question: str, conversation: str | None) -> str | None:
        """``"new"``: a new conversation for this question; an id: that one, checked; None: none (jobs/qa.py)."""
        from .qa import open_conversation

        return open_conversation(self.home, repo, question, conversation)

    def ask(self, repo: str, question: str, k: int = 8, conversation_id: str | None = None) -> tuple[str, str]:
        """Enqueue qa.retrieval and qa.generate_answer (which depends on it); return both ids."""
        retrieval = self.enqueue(RETRIEVAL, repo, question, k, conversation_id)
        answer = self.enqueue(GENERATE_ANSWER, repo, question, retrieval, conversation_id,
                              depends_on=retrieval)
        return retrieval, answer

    def follow_answer(self, answer_id: str, retrieval_id: str, on_token: Callable[[str], None],
                      block_ms: int = 500, on_sources: Callable[[list[dict]], None] | None = None,
                      on_reading: Callable[[int, int], None] | None = None) -> dict:
        """Read the answer's token stream from the start until its ``done`` event.

        ``on_sources`` gets the references in the prompt (reference objects,
        numbered from 1 in order) before the model has read them, and
        ``on_reading(done, total)`` the prompt tokens it has read.
        Raises the job's own error if retrieval or the answer fails first.
        """
        stream, last = keys.ANSWER_STREAM.format(answer_id), "0-0"
        while True:
            events = self.connection.xread({stream: last}, block=block_ms, count=200) or []
            for _, items in events:
                for event_id, fields in items:
                    last = event_id
                    data = {k.decode(): v.decode() for k, v in fields.items()}
                    if data["type"] == "token":
                        on_token(data["text"])
                    elif data["type"] == "sources" and on_sources:
                        on_sources(json.loads(data["references"]))
                    elif data["type"] == "reading" and on_reading:
                        on_reading(int(data["done"]), int(data["total"]))
                    elif data["type"] == "done":
                        data["references"] = json.loads(data["references"])
                        data["stopped"] = data["stopped"] == "1"
                        return data
            if events:
                continue
            for job_id in (retrieval_id, answer_id):
                st = self.status(job_id)
                if st["state"] in ("failed", "stopped", "canceled"):
                    if job_id == retrieval_id:
                        self._cancel_quietly(answer_id)
                    raise UserError(st["error"] or f"The question's {st['name']} job {st['state']}.")

    def _cancel_quietly(self, job_id: str) -> None:
        try:
            self.cancel(job_id)
        except UserError:
            pass  # it ended on its own

    # --- control ----------------------------------------------------------
    def cancel(self, job_id: str) -> str:
        """Cancel a queued job, or stop a running one; returns what was done."""
        job = self._fetch(job_id)
        if job is None:
            raise JobNotFound(f"No job with id {job_id} exists (it may have expired).")
        state = job.get_status()
        if state in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            job.cancel()
            self.history.ended(job_id, "canceled")
            return "canceled"
        if state == JobStatus.STARTED:
            request_cancel(self.connection, job_id)
            if job.worker_name and worker_kind(job.worker_name) == "bulk":
                try:
                    send_stop_job_command(self.connection, job_id)
                except InvalidJobOperation:
                    pass  # it ended between our read and the command
            return "stopping"
        raise UserError(f"Job {job_id} is already {state.value}; there is nothing to cancel.")

    def requeue(self, job_id: str) -> str:
        """Run a failed or stopped job again (the Retry button)."""
        job = self._fetch(job_id)
        if job is None:
            raise JobNotFound(f"No job with id {job_id} exists (it may have expired).")
        state = job.get_status()
        if state not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            raise UserError(f"Job {job_id} is {state.value}; only failed or cancelled jobs can be retried.")
        self.connection.delete(keys.CANCEL.format(job_id))
        if state == JobStatus.CANCELED:
            job.failed_job_registry.add(job, ttl=self.settings.failure_ttl_s, exc_string="canceled")
        job.requeue()
        self.history.queued(job_id, job.description, job.origin, "")
        return "queued"

    # --- monitor ----------------------------------------------------------
    def monitor(self) -> dict:
        """Queue lengths by state and workers with their state, job and heartbeat."""
        queues = {}
        for name in ALL_QUEUES:
            q = Queue(name, connection=self.connection)
            queues[name] = {"queued": q.count, "started": q.started_job_registry.count,
                            "failed": q.failed_job_registry.count,
                            "deferred": q.deferred_job_registry.count,
                            "scheduled": q.scheduled_job_registry.count}
        workers = []
        for w in Worker.all(connection=self.connection):
            workers.append({"name": w.name, "kind": worker_kind(w.name), "state": str(w.get_state()),
                            "queues": w.queue_names(), "current_job": w.get_current_job_id(),
                            "last_heartbeat": _iso(w.last_heartbeat), "pid": w.pid,
                            "hostname": w.hostname})
        return {"queues": queues, "workers": sorted(workers, key=lambda w: w["name"])}
