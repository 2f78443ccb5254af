"""Indexing throughput with 1 and then 2 bulk workers, in the same run.

    python bench/scale_bench.py [--packages http,logging,...] [--rounds 1]

Builds one ZIP per package of this Python's standard library (real code, nothing
downloaded), then for each worker count starts the services on a fresh data dir
with ``bulk_workers`` set to it, enqueues every ZIP at once and waits until all
are indexed: the real path, ServiceManager -> Redis -> forking bulk workers ->
index job -> ONNX -> LanceDB. Prints jobs/min per worker count, the ratio 2:1,
and the load average before and after each pass (other work on the machine
changes the result; --rounds alternates 1, 2, 1, 2 ... to spread it evenly).
"""
from __future__ import annotations

import argparse
import os
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

DEFAULT_PACKAGES = "http,logging,urllib,html,concurrent,wsgiref,ctypes,zoneinfo"


def stdlib_zip(package: str, out: Path) -> tuple[Path, int]:
    """A ZIP of one stdlib package's .py files (tests left out), and its line count."""
    root = Path(sysconfig.get_paths()["stdlib"]) / package
    lines = 0
    path = out / f"{package}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for src in sorted(root.rglob("*.py")):
            rel = src.relative_to(root)
            if any(part.startswith("test") for part in rel.parts):
                continue
            text = src.read_text(encoding="utf-8", errors="replace")
            lines += text.count("\n")
            zf.writestr(f"{package}/{rel}", text)
    return path, lines


def one_pass(zips: list[Path], workers: int, scratch: Path) -> dict:
    """Index every ZIP on a fresh data dir with ``workers`` bulk workers; jobs/min and chunks."""
    settings = Settings(bulk_workers=workers, cleanup_interval_s=10**6)
    home = Path(tempfile.mkdtemp(prefix=f"scale-{workers}w-", dir=scratch))
    load_before = os.getloadavg()
    manager = ServiceManager(home, settings).start()
    try:
        service = JobService(manager.connection(), settings, manager.home)
        t0 = time.perf_counter()
        ids = [service.enqueue("indexing.index_zip", str(z), z.stem) for z in zips]
        chunks, ran_on = 0, set()
        for job_id in ids:
            final = service.wait(job_id, poll_s=1.0, timeout_s=3600)
            if final["state"] != "finished":
                raise SystemExit(f"indexing failed: {final.get('error')}")
            chunks += final["result"]["chunks"]
            ran_on.add(final.get("worker") or "")
        elapsed = time.perf_counter() - t0
    finally:
        manager.stop()
    return {"workers": workers, "jobs": len(zips), "chunks": chunks, "seconds": elapsed,
            "jobs_per_min": len(zips) / elapsed * 60, "workers_used": len(ran_on), "chunks_per_s": chunks / elapsed,
            "load_before": load_before, "load_after": os.getloadavg()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", default=DEFAULT_PACKAGES, help="stdlib packages, one ZIP each")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the 1-worker/2-worker pair")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="repowiki-scale-bench-") as tmp:
        scratch = Path(tmp)
        made = [stdlib_zip(p, scratch) for p in args.packages.split(",")]
        zips = [z for z, _ in made]
        print(f"{len(zips)} ZIPs, {sum(n for _, n in made)} lines of Python; {os.cpu_count()} cores; "
              f"embed_threads {Settings().embed_threads} per job", flush=True)
        results: dict[int, list[dict]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                r = one_pass(zips, workers, scratch)
                results[workers].append(r)
                print(f"  {workers} bulk worker(s): {r['jobs']} jobs (run by {r['workers_used']}), {r['chunks']} chunks in "
                      f"{r['seconds']:.1f} s = {r['jobs_per_min']:.2f} jobs/min, {r['chunks_per_s']:.1f} chunks/s "
                      f"(load average {r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after)",
                      flush=True)
    rate = {w: sum(r["jobs_per_min"] for r in rs) / len(rs) for w, rs in results.items()}
    print(f"jobs/min: 1 worker {rate[1]:.2f}, 2 workers {rate[2]:.2f}, ratio {rate[2] / rate[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
