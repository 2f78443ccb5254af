"""Housekeeping on Redis and the data dir: stale workers, abandoned jobs, temp dirs."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from pathlib import Path

import psutil
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import clean_registries
from rq.worker import Worker
from rq.worker_registration import clean_worker_registry

from .catalog import ALL_QUEUES
from .history import TaskHistory

log = logging.getLogger(__name__)


def _local_pid_dead(worker: Worker) -> bool:
    """A worker registered from this host whose process no longer runs."""
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False
    try:
        return psutil.Process(worker.pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def clean_stale_workers(connection: Redis, extra_dead: set[str] = frozenset()) -> list[str]:
    """Drop worker registrations whose key expired or whose local process died."""
    for name in ALL_QUEUES:
        clean_worker_registry(Queue(name, connection=connection))
    removed = []
    for w in Worker.all(connection=connection):
        if w.name in extra_dead or _local_pid_dead(w):
            w.register_death()
            with connection.pipeline() as pipe:
                pipe.delete(w.key)
                for name in ALL_QUEUES:
                    pipe.srem(f"rq:workers:{name}", w.key)
                pipe.srem("rq:workers", w.key)
                pipe.execute()
            removed.append(w.name)
    release_dead_scheduler_locks(connection)
    return removed


def release_dead_scheduler_locks(connection: Redis) -> None:
    """A killed worker's scheduler holds its queue locks for a minute; free them now.

    Without this, retries scheduled with an interval wait for the lock to expire.
    """
    here = socket.gethostname()
    for name in ALL_QUEUES:
        key = f"rq:scheduler-lock:{name}"
        owner = connection.get(key)
        if owner is None:
            continue
        info = connection.hgetall(f"rq:scheduler:{owner.decode()}")
        host = info.get(b"hostname", b"").decode()
        pid = int(info.get(b"pid", b"0") or 0)
        if host == here and pid and not psutil.pid_exists(pid):
            connection.delete(key)


def fail_abandoned_jobs(connection: Redis, history: TaskHistory | None = None,
                        dead_workers: set[str] = frozenset()) -> list[str]:
    """Mark started jobs whose worker is gone failed (or retried if they have retries left).

    A job is abandoned when the worker named in its execution is in
    ``dead_workers`` or is no longer registered (its key expired).
    """
    alive = {w.name for w in Worker.all(connection=connection)} - set(dead_workers)
    failed = []
    for name in ALL_QUEUES:
        registry = Queue(name, connection=connection).started_job_registry
        expired = []
        for job_id, execution_id in registry.get_job_and_execution_ids():
            try:
                worker_name = Execution.fetch(execution_id, job_id, connection=connection).worker_name
            except (ValueError, NoSuchJobError):
                worker_name = ""
            if worker_name not in alive:
                expired.append(f"{job_id}:{execution_id}")
        if not expired:
            continue
        # Backdate their registry entries; rq's own cleanup then fails or retries them.
        connection.zadd(registry.key, {key: 1 for key in expired}, xx=True)
        registry.cleanup(timestamp=2)
        for key in expired:
            job_id = key.split(":", 1)[0]
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            outcome = "retrying" if job.get_status() != JobStatus.FAILED else "failed"
            job.meta["error"] = "The worker running this job died; the job was abandoned."
            job.save_meta()
            if history:
                history.ended(job_id, outcome, job.meta["error"])
            failed.append(job_id)
    if failed:
        log.warning("abandoned jobs marked failed or retried: %s", ", ".join(failed))
    return failed


def expire_registries(connection: Redis) -> None:
    """rq's own sweep of expired entries in every registry of every queue."""
    for name in ALL_QUEUES:
        clean_registries(Queue(name, connection=connection))


def remove_stale_temp_dirs(tmp_root: Path, max_age_s: float, running: set[str]) -> list[str]:
    """Delete temp dirs older than ``max_age_s`` that no running job owns (named by job id)."""
    removed = []
    if not tmp_root.is_dir():
        return removed
    now = time.time()
    for entry in tmp_root.iterdir():
        if entry.name in running:
            continue
        try:
            age = now - entry.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > max_age_s:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def remove_orphan_horse(pid_file: Path) -> None:
    """Kill the job process a dead bulk worker left behind (its pid is in pid_file)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.killpg(pid, 9)
    except OSError:
        pass
    pid_file.unlink(missing_ok=True)
