"""Queue latency and throughput on both worker kinds, against a bare-rq baseline in the same run.

    python bench/queue_bench.py [--jobs 200] [--burst 400]

Prints, for the interactive (in-process) and bulk (forking) workers started by
the ServiceManager: enqueue->start latency p50/p95 of one job at a time, and
jobs/s for a burst enqueued at once.  The baseline is rq's own SimpleWorker and
Worker in burst mode on the same Redis, with no RepoWiki code around them;
the ratios say what our layer (history, heartbeat thread, meta) costs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])

from rq import Queue  # noqa: E402
from rq.job import Job  # noqa: E402
from rq.worker import SimpleWorker, Worker  # noqa: E402

from repowiki_gui.jobs.manager import ServiceManager  # noqa: E402
from repowiki_gui.jobs.service import JobService  # noqa: E402
from repowiki_gui.settings import Settings  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def latency(service: JobService, queue: str, n: int) -> list[float]:
    """Enqueue one job, wait for it to end, read rq's enqueued_at/started_at; n times."""
    out = []
    for i in range(n):
        job_id = service.submit("benchjobs.noop", queue, "bench.noop", (i,), retry=False)
        service.wait(job_id, poll_s=0.002, timeout_s=60)
        job = Job.fetch(job_id, connection=service.connection)
        out.append((job.started_at - job.enqueued_at).total_seconds() * 1000)
    return out


def throughput(service: JobService, queue: str, n: int) -> float:
    """Enqueue n jobs at once; time until the finished registry has them all."""
    registry = Queue(queue, connection=service.connection).finished_job_registry
    before = registry.count
    t0 = time.perf_counter()
    for i in range(n):
        service.submit("benchjobs.noop", queue, "bench.noop", (i,), retry=False)
    while registry.count < before + n:
        time.sleep(0.005)
    return n / (time.perf_counter() - t0)


def bare_rq_throughput(conn, worker_cls, n: int) -> float:
    """rq alone: enqueue n jobs on a private queue, then drain it with a burst worker."""
    q = Queue(f"bare-{worker_cls.__name__}", connection=conn)
    t0 = time.perf_counter()
    for i in range(n):
        q.enqueue("benchjobs.noop", i, result_ttl=60)
    worker_cls([q], connection=conn).work(burst=True, logging_level="WARNING")
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200, help="sequential jobs for latency")
    ap.add_argument("--burst", type=int, default=400, help="jobs enqueued at once for throughput")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="repowiki-bench-") as tmp:
        settings = Settings(bulk_workers=1, cleanup_interval_s=10**6)
        manager = ServiceManager(Path(tmp) / "home", settings).start()
        try:
            service = JobService(manager.connection(), settings, manager.home)
            service.wait(service.submit("benchjobs.noop", "qa", "warmup", (0,)), timeout_s=60)
            service.wait(service.submit("benchjobs.noop", "indexing", "warmup", (0,)), timeout_s=60)
            rows = []
            for kind, queue, bare_cls in (("interactive", "qa", SimpleWorker), ("bulk", "indexing", Worker)):
                lat = latency(service, queue, args.jobs)
                ours = throughput(service, queue, args.burst)
                bare = bare_rq_throughput(manager.connection(), bare_cls, args.burst)
                rows.append((kind, statistics.median(lat), pct(lat, 0.95), ours, bare))
        finally:
            manager.stop()
    print(f"{'worker':<12} {'enqueue->start p50':>19} {'p95':>9} {'jobs/s':>9} "
          f"{'bare rq jobs/s':>15} {'ratio':>7}")
    for kind, p50, p95, ours, bare in rows:
        print(f"{kind:<12} {p50:>16.1f} ms {p95:>6.1f} ms {ours:>9.1f} {bare:>15.1f} {ours / bare:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
