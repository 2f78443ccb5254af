"""Memory and search speed at size (issue 16, point 3): the index job's peak RSS, search p50, the whole app.

    python bench/memory_bench.py [--files 400,1600] [--search-rows 200000] [--skip-app]

1. The index job's peak RSS: ZIPs of the first N ``.py`` files of this
   Python's standard library (real code, nothing downloaded), each indexed on
   a fresh data dir through the real path (ServiceManager -> Redis -> forking
   bulk worker -> index job -> ONNX -> LanceDB).  The job process is sampled
   every 0.2 s (psutil: the bulk worker's children) with the progress it
   reports; the peak and the chunks are printed.  Embedding 200,000 chunks
   takes hours on 2 cores, so the figure at that size is an extrapolation,
   labelled so: the largest run's peak plus, per further chunk, what the job
   holds until its single commit (measured here: the Chunk objects, the
   vectors and the Arrow rows).
2. Search p50 at ``--search-rows`` rows: bench/qa_bench.py's synthetic
   corpus at that size (random words, random unit vectors: no model run, so
   minutes, not hours), indexed as the indexer indexes (full text, IVF_PQ);
   ``core.qa.search`` hybrid with the real question embedder.
3. The whole app resident: ``repowiki`` (the window, offscreen) with its Redis
   and workers; once the interactive worker's models are loaded (the tree's
   RSS stops growing), the RSS and PSS (shared pages split between the
   processes) of every process of the tree, and the sums.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa

from repowiki_gui.core.index.chunking import chunk_file
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits, ingest_source
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qa_bench import retrieval_latency  # noqa: E402  (bench/ is not a package)

def stdlib_zip(n_files: int, out: Path) -> Path:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts)
    path = out / f"stdlib-{n_files}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for src in files[:n_files]:
            zf.writestr(f"stdlib/{src.relative_to(root)}", src.read_text(encoding="utf-8", errors="replace"))
    return path


def _job_processes(manager_pid: int) -> list[psutil.Process]:
    """The forked work-horses: children of a bulk worker (a worker whose command line names the indexing queue)."""
    found = []
    for proc in psutil.Process(manager_pid).children(recursive=True):
        try:
            if proc.parent() and "indexing" in " ".join(proc.parent().cmdline()) and proc.children() == []:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def index_peak(zip_path: Path, scratch: Path) -> dict:
    settings = Settings(cleanup_interval_s=10**6)
    manager = ServiceManager(Path(tempfile.mkdtemp(dir=scratch)), settings).start()
    peak = {"rss": 0, "samples": 0}
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            for proc in _job_processes(os.getpid()):
                try:
                    peak["rss"] = max(peak["rss"], proc.memory_info().rss)
                    peak["samples"] += 1
                except psutil.Error:
                    pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        service = JobService(manager.connection(), settings, manager.home)
        t0 = time.perf_counter()
        final = service.wait(service.enqueue("indexing.index_zip", str(zip_path), zip_path.stem),
                             poll_s=1.0, timeout_s=4 * 3600)
        elapsed = time.perf_counter() - t0
    finally:
        done.set()
        sampler.join()
        manager.stop()
    if final["state"] != "finished":
        raise SystemExit(f"indexing failed: {final.get('error')}")
    r = final["result"]
    return {"files": r["files"], "chunks": r["chunks"], "seconds": elapsed, "peak_mb": peak["rss"] / 2**20,
            "samples": peak["samples"]}


def held_per_chunk(zip_path: Path) -> float:
    """Bytes per chunk of what index_zip keeps until its commit: the Chunk objects, the vector array
    and the Arrow table that ChunkStore.apply builds (Python heap by tracemalloc, Arrow by its pool)."""
    import tracemalloc

    embedder = OnnxEmbedder(threads=1)
    files = ingest_source(zip_path, IngestLimits()).files
    store = ChunkStore(Path(tempfile.mkdtemp()) / "lancedb", embedder.dim)
    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    chunks = [c for f in files for c in chunk_file(f.path, f.language, f.text, embedder.count_tokens,
                                                     embedder.max_tokens)]
    vectors = np.zeros((len(chunks), embedder.dim), np.float32)
    table = store._rows("big", chunks, vectors, {f.path: f.sha256 for f in files})
    heap = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    arrow = pa.total_allocated_bytes() - arrow_before
    del table
    return (heap + arrow) / max(1, len(chunks))


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _label(cmdline: list[str]) -> str:
    """"worker qa,retrieval" for a worker (its queues say which), else the first arguments."""
    if "--queues" in cmdline:
        return "worker " + cmdline[cmdline.index("--queues") + 1]
    return " ".join(cmdline[:4])[-70:]


def whole_app(scratch: Path, settle_s: float = 20.0, timeout_s: float = 600.0) -> dict:
    """The window (offscreen) and everything it starts, once its resident size stops growing."""
    home = scratch / "app-home"
    home.mkdir(mode=0o700)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", REPOWIKI_HOME=str(home))
    app = subprocess.Popen([sys.executable, "-m", "repowiki_gui"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        root = psutil.Process(app.pid)
        deadline = time.monotonic() + timeout_s
        best, stable_since = 0, time.monotonic()
        while time.monotonic() < deadline:
            procs = [root] + root.children(recursive=True)
            total = sum(p.memory_info().rss for p in procs if p.is_running())
            if total > best * 1.01:
                best, stable_since = total, time.monotonic()
            elif len(procs) >= 4 and time.monotonic() - stable_since > settle_s:
                break
            time.sleep(1.0)
        rows = []
        for p in [root] + root.children(recursive=True):
            try:
                rows.append((_label(p.cmdline()) or p.name(), p.memory_info().rss / 2**20, _pss_kb(p.pid) / 1024))
            except psutil.Error:
                continue
        return {"processes": rows, "rss_mb": sum(r[1] for r in rows), "pss_mb": sum(r[2] for r in rows)}
    finally:
        app.terminate()
        try:
            app.wait(60)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default="150,600", help="stdlib .py files per ZIP, one index run each")
    ap.add_argument("--search-rows", type=int, default=200_000)
    ap.add_argument("--skip-app", action="store_true")
    args = ap.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    print(f"CPU: {cpu}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    with tempfile.TemporaryDirectory(prefix="repowiki-memory-bench-") as tmp:
        scratch = Path(tmp)
        runs = []
        for n in map(int, args.files.split(",")):
            r = index_peak(stdlib_zip(n, scratch), scratch)
            runs.append(r)
            print(f"index job: {r['files']} files, {r['chunks']} chunks in {r['seconds']:.0f} s: peak RSS "
                  f"{r['peak_mb']:.0f} MB ({r['samples']} samples)", flush=True)
        largest = stdlib_zip(int(args.files.split(",")[-1]), scratch)
        per_chunk = held_per_chunk(largest)
        at = runs[-1]["peak_mb"] + per_chunk * (200_000 - runs[-1]["chunks"]) / 2**20
        print(f"  the job holds {per_chunk / 1024:.1f} KB per chunk until its one commit (chunks, vectors, the "
              f"Arrow rows; measured in this process); EXTRAPOLATED to 200,000 chunks: {at:.0f} MB "
              f"(target <= 1,024 MB; the largest run's peak plus that per chunk, not a measurement)", flush=True)
        n, p50, p95, build_s, indexed = retrieval_latency([args.search_rows], Settings(),
                                                          OnnxEmbedder(threads=Settings().embed_threads))[0]
        print(f"search: {n} rows (bench/qa_bench.py's corpus: random words, random vectors; vector index "
              f"{'built' if indexed else 'NOT built'}, {build_s:.0f} s with the full-text index): hybrid p50 "
              f"{p50:.1f} ms, p95 {p95:.1f} ms (target p50 <= 50 ms)", flush=True)
        if not args.skip_app:
            a = whole_app(scratch)
            print("whole app (window offscreen, Redis, workers, models loaded):")
            for name, rss, pss in a["processes"]:
                print(f"  {name:<70} RSS {rss:6.0f} MB  PSS {pss:6.0f} MB")
            print(f"  total RSS {a['rss_mb']:.0f} MB, PSS {a['pss_mb']:.0f} MB (target <= 1,536 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
