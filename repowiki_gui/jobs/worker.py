"""The two kinds of worker process and the entry point that runs one.

* interactive (queues qa, retrieval): rq's SimpleWorker, jobs run in this
  process so models stay loaded; a heartbeat thread keeps the worker and its
  job alive while a long answer streams (SimpleWorker alone does not).
* bulk (queues indexing, specs, maintenance): rq's forking Worker; a crash or
  a hard stop kills only the job process.

Both record the task history, never retry user errors, and turn a
cooperative ``JobCancelled`` into rq's *stopped* state.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.worker import SimpleWorker, Worker
from rq.worker.base import BaseWorker

from ..core.datadir import app_db, run_dir
from ..core.errors import JobCancelled, SoftTimeLimitExceeded, UserError
from .history import TaskHistory
from .progress import announce_end

log = logging.getLogger(__name__)

INTERACTIVE_QUEUES = ("qa", "retrieval")
BULK_QUEUES = ("indexing", "specs", "maintenance")


def make_worker_name(kind: str) -> str:
    """Unique per start: kind, host, pid and a random suffix."""
    return f"{kind}.{os.uname().nodename}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def worker_kind(name: str) -> str:
    return name.split(".", 1)[0]


def _error_line(exc_value: BaseException | None) -> str:
    if exc_value is None:
        return "failed"
    text = str(exc_value).strip() or type(exc_value).__name__
    return text.splitlines()[0][:500]


class _RepoWikiWorkerMixin:
    """History, retry policy and cooperative cancel shared by both worker kinds."""

    history: TaskHistory | None = None

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        if self.history:
            self.history.started(job.id, job.description or job.func_name, job.origin)

    def handle_exception(self, job: Job, *exc_info):
        exc_type, exc_value = exc_info[0], exc_info[1]
        if exc_type is not None and issubclass(exc_type, JobCancelled):
            self._stopped_job_id = job.id  # rq then marks it STOPPED and never retries it
        elif exc_type is not None and issubclass(exc_type, (UserError, SoftTimeLimitExceeded)):
            job.retries_left = 0  # bad input fails the same way every time
        job.meta["error"] = _error_line(exc_value)
        job.save_meta()
        return super().handle_exception(job, *exc_info)

    def handle_job_failure(self, job: Job, queue: Queue, started_job_registry=None, exc_string="",
                           execution=None):
        stopped = self._stopped_job_id == job.id
        retry = job.should_retry and not stopped
        super().handle_job_failure(job, queue, started_job_registry=started_job_registry,
                                   exc_string=exc_string, execution=execution)
        outcome = "stopped" if stopped else "retrying" if retry else "failed"
        if self.history:
            error = job.meta.get("error") or (exc_string.strip().splitlines() or ["failed"])[-1]
            self.history.ended(job.id, outcome, None if stopped else error)
        announce_end(job, outcome)

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry, execution):
        super().handle_job_success(job, queue, started_job_registry, execution)
        if self.history:
            self.history.ended(job.id, "finished")
        announce_end(job, "finished")


class BulkWorker(_RepoWikiWorkerMixin, Worker):
    """Forking worker; the horse's pid goes to a file so a supervisor can reap it."""

    horse_pid_dir: Path | None = None

    def fork_work_horse(self, job: Job, queue: Queue):
        super().fork_work_horse(job, queue)
        if self.horse_pid_dir is not None:
            (self.horse_pid_dir / f"{self.name}.horse").write_text(str(self._horse_pid))

    def execute_job(self, job: Job, queue: Queue):
        try:
            super().execute_job(job, queue)
        finally:
            if self.horse_pid_dir is not None:
                (self.horse_pid_dir / f"{self.name}.horse").unlink(missing_ok=True)


class InteractiveWorker(_RepoWikiWorkerMixin, SimpleWorker):
    """In-process worker whose heartbeat keeps going while a job runs."""

    # rq's SimpleWorker promises the whole job timeout up front instead of
    # heartbeating; we heartbeat, so the short TTL of the forking worker applies.
    get_heartbeat_ttl = BaseWorker.get_heartbeat_ttl

    def execute_job(self, job: Job, queue: Queue):
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, execution, stop),
                                name="rq-heartbeat", daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
        self.set_state("idle")

    def _beat(self, job: Job, execution, stop: threading.Event) -> None:
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # a lost connection must not kill the answer; the next beat retries
                log.warning("heartbeat for job %s failed", job.id, exc_info=True)


def _watch_parent(parent_pid: int, worker: BaseWorker) -> None:
    """Stop this worker (and its job process) when the process that started it dies."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)  # no portable signal for "parent died" without prctl from the spawner
    log.warning("parent %s is gone; worker %s exits", parent_pid, worker.name)
    horse = getattr(worker, "_horse_pid", 0)
    if horse:
        try:
            os.killpg(horse, signal.SIGKILL)
        except OSError:
            pass
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)  # our group: this worker and its scheduler child
    else:
        os.kill(os.getpid(), signal.SIGKILL)  # not a group leader: never take others down with us


def run_worker(connection: Redis, queues: list[str], *, home: Path, name: str | None = None,
               kind: str | None = None, burst: bool = False, parent_pid: int | None = None,
               monitoring_interval_s: int = 5, worker_ttl_s: int = 60,
               result_ttl_s: int = 86400) -> bool:
    """Run one worker until stopped; the kind follows the queues unless given."""
    if kind is None:
        kind = "interactive" if set(queues) <= set(INTERACTIVE_QUEUES) else "bulk"
    cls = InteractiveWorker if kind == "interactive" else BulkWorker
    worker = cls([Queue(q, connection=connection) for q in queues], connection=connection,
                 name=name or make_worker_name(kind), job_monitoring_interval=monitoring_interval_s,
                 worker_ttl=worker_ttl_s, default_result_ttl=result_ttl_s)
    worker.history = TaskHistory(app_db(home))
    from ..settings import Settings

    settings = Settings.load(Path(home))
    if cls is BulkWorker:
        worker.horse_pid_dir = run_dir(home)
        nice = settings.bulk_nice
        if nice > os.nice(0):
            os.nice(nice - os.nice(0))  # the job processes it forks inherit it
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid, worker), daemon=True,
                         name="parent-watch").start()
    if cls is InteractiveWorker:
        from .models import preload

        threading.Thread(target=preload, args=(settings,), daemon=True, name="preload").start()
    # Retries with an interval are moved back to their queue by rq's scheduler.
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
