"""Progress, cancel and soft time limit for the job that is running now.

``JobProgress.current()`` is the one helper every job uses to write the meta
contract of docs/design.md and to learn, at its own checkpoints, that it has been
cancelled or has passed its soft time limit.
"""
from __future__ import annotations

import time

from redis import Redis
from rq import get_current_job
from rq.job import Job

from ..core.errors import JobCancelled, SoftTimeLimitExceeded
from . import keys
from .history import utcnow_iso

CANCEL_TTL_S = 24 * 3600
# Every progress update is also appended here, so a follower sees each stage, however fast.
PROGRESS_STREAM_LEN = 1000


def request_cancel(connection: Redis, job_id: str) -> None:
    """Raise the cancel flag that a running job sees at its next check()."""
    connection.set(keys.CANCEL.format(job_id), "1", ex=CANCEL_TTL_S)


def cancel_requested(connection: Redis, job_id: str) -> bool:
    return bool(connection.exists(keys.CANCEL.format(job_id)))


END_STAGE = "_end"


def announce_end(job: Job, outcome: str) -> None:
    """Tell followers of the progress stream that this run ended (they stop waiting at once)."""
    key = keys.PROGRESS.format(job.id)
    with job.connection.pipeline() as pipe:
        pipe.xadd(key, {"stage": END_STAGE, "state": outcome}, maxlen=PROGRESS_STREAM_LEN, approximate=True)
        pipe.expire(key, CANCEL_TTL_S)
        pipe.execute()


def progress_meta(stage: str, message: str, processed: int, total: int, progress: float | None) -> dict:
    if progress is None:
        progress = (100.0 * processed / total) if total else 0.0
    return {"stage": stage, "message": message, "progress": round(max(0.0, min(100.0, progress)), 1),
            "processed": int(processed), "total": int(total), "timestamp": utcnow_iso()}


class JobProgress:
    """The ``core.progress.Progress`` of an rq job."""

    def __init__(self, job: Job, soft_limit_s: float | None = None, check_interval_s: float = 0.1):
        self.job = job
        self.soft_limit_s = soft_limit_s
        self.check_interval_s = check_interval_s
        self._started = time.monotonic()
        self._last_check = 0.0

    @classmethod
    def current(cls) -> "JobProgress":
        job = get_current_job()
        if job is None:
            raise RuntimeError("JobProgress.current() called outside an rq job")
        return cls(job, soft_limit_s=job.meta.get("soft_limit_s"))

    def update(self, stage: str, message: str = "", processed: int = 0, total: int = 0,
               progress: float | None = None) -> None:
        meta = progress_meta(stage, message, processed, total, progress)
        self.job.meta.update(meta)
        self.job.save_meta()
        key = keys.PROGRESS.format(self.job.id)
        with self.job.connection.pipeline() as pipe:
            pipe.xadd(key, {k: str(v) for k, v in meta.items()}, maxlen=PROGRESS_STREAM_LEN, approximate=True)
            pipe.expire(key, CANCEL_TTL_S)
            pipe.execute()

    def check(self) -> None:
        """Raise if the user cancelled this job or its soft time limit passed.

        Reads Redis at most every ``check_interval_s`` so a per-token call is cheap.
        """
        now = time.monotonic()
        if self.soft_limit_s is not None and now - self._started > self.soft_limit_s:
            raise SoftTimeLimitExceeded(
                f"The job passed its soft time limit of {self.soft_limit_s:.0f} s and stopped.")
        if now - self._last_check < self.check_interval_s:
            return
        self._last_check = now
        if cancel_requested(self.job.connection, self.job.id):
            raise JobCancelled("Cancelled by the user.")
