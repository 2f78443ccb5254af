"""Rows as the bridge hands them to the window: a job of ``jobsChanged``, repositories of ``reposChanged``."""
from __future__ import annotations


def job(job_id, state="started", progress=40.0, name="indexing.index_zip", repo="demo", **extra) -> dict:
    """A job row (JobService.status's shape); ``extra`` overrides any field."""
    row = {"id": job_id, "name": name, "queue": "indexing", "state": state,
           "progress": {"stage": "embed", "message": f"Embedded {int(progress)} chunks", "progress": progress,
                        "processed": int(progress), "total": 100, "timestamp": "2026-01-01T00:00:00"},
           "result": None, "error": None, "traceback": None, "enqueued_at": "2026-01-01T00:00:00",
           "started_at": "2026-01-01T00:00:01", "ended_at": None, "duration_s": 3.5, "worker": "bulk-1",
           "retries_left": None, "expired": False, "repo": repo}
    row.update(extra)
    return row


REPOS = [{"name": "flask", "zip_path": "/z/flask.zip", "zip_sha256": "ab", "files": 216, "skipped": {},
          "chunks": 2288, "languages": {"python": 200}, "indexed_at": "2026-01-01T00:00:00"},
         {"name": "demo", "zip_path": "/z/demo.zip", "zip_sha256": "cd", "files": 2, "skipped": {},
          "chunks": 5, "languages": {"python": 2}, "indexed_at": "2026-01-01T00:00:00"}]
