"""Indexing speed of a real repository, end to end, against the bare ONNX model in the same run.

    python bench/index_bench.py [--package flask==3.1.3]

Gets the package's source with `pip download --no-binary :all: --no-deps`
(a registry, at bench time only), turns the sdist into a ZIP, and indexes it
through the real path: ServiceManager -> Redis -> bulk worker -> index job.
Then embeds the same chunk texts with the bare model in this process.
Prints files, chunks, end-to-end chunks/s, bare chunks/s, their ratio
(target >= 0.85), the re-index time of the unchanged ZIP against the first
(target >= 20x faster), and the peak RSS of the job process.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from repowiki_gui.core.index.chunking import chunk_file
from repowiki_gui.core.ingest.files import IngestLimits, ingest_zip
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

CACHE = Path.home() / ".cache" / "repowiki-bench"


def fetch_sdist_as_zip(spec: str) -> Path:
    """The package's sdist from the registry, re-packed as a ZIP (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = spec.replace("==", "-")
    zip_path = CACHE / f"{name}.zip"
    if zip_path.exists():
        return zip_path
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                        spec, "-d", tmp], check=True)
        sdist = next(Path(tmp).glob("*.tar.gz"))
        with tarfile.open(sdist) as tar, zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for member in tar.getmembers():
                if member.isfile():
                    zf.writestr(member.name, tar.extractfile(member).read())
    return zip_path


def run_index(service: JobService, zip_path: Path, name: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    job_id = service.enqueue("indexing.index_zip", str(zip_path), name)
    final = service.wait(job_id, poll_s=1.0, timeout_s=3600)  # the end event wakes it at once
    elapsed = time.perf_counter() - t0
    if final["state"] != "finished":
        raise SystemExit(f"indexing failed: {final['error']}\n{final.get('traceback')}")
    return final["result"], elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="flask==3.1.3")
    args = ap.parse_args()
    zip_path = fetch_sdist_as_zip(args.package)
    settings = Settings(cleanup_interval_s=10**6)
    with tempfile.TemporaryDirectory(prefix="repowiki-bench-") as tmp:
        manager = ServiceManager(Path(tmp) / "home", settings).start()
        try:
            service = JobService(manager.connection(), settings, manager.home)
            first, first_s = run_index(service, zip_path, "bench")
            again, again_s = run_index(service, zip_path, "bench")
        finally:
            manager.stop()
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        embedder = OnnxEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                                max_tokens=settings.chunk_max_tokens,
                                max_batch_tokens=settings.embed_batch_tokens)
        # the same texts the job embedded: rebuilt exactly as the job's chunker made them
        texts = []
        for f in ingest_zip(zip_path, IngestLimits()).files:
            texts.extend(c.embed_text for c in chunk_file(f.path, f.language, f.text, embedder.count_tokens,
                                                          embedder.max_tokens))
        unique = list(dict.fromkeys(texts))
        embedder.embed(unique[:8])  # warm-up, as the job's first batch is
        t0 = time.perf_counter()
        embedder.embed(unique)
        bare_s = time.perf_counter() - t0

    chunks = first["chunks"]
    e2e_rate = first["embedded"] / first_s
    bare_rate = len(unique) / bare_s
    print(f"package:             {args.package} ({zip_path.stat().st_size / 1e6:.1f} MB zip)")
    print(f"files indexed:       {first['files']}  skipped: {first['skipped']}")
    print(f"chunks:              {chunks} ({first['embedded']} embedded, unique texts {len(unique)})")
    print(f"first index:         {first_s:.1f} s end to end (job timings: "
          + ", ".join(f"{k} {v:.2f}" for k, v in first["timings"].items()) + ")")
    print(f"end-to-end chunks/s: {e2e_rate:.1f}")
    print(f"bare ONNX chunks/s:  {bare_rate:.1f} (same {len(unique)} texts, this process)")
    print(f"ratio:               {e2e_rate / bare_rate:.2f}  (target >= 0.85)")
    print(f"re-index unchanged:  {again_s:.2f} s, {first_s / again_s:.1f}x faster than the first "
          f"(target >= 20x); unchanged={again['unchanged']}")
    print(f"peak RSS (largest child process): {peak_rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
