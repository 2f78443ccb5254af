"""Indexing speed of a real repository, end to end, against the bare ONNX model in the same run.

    python bench/index_bench.py [--package flask==3.1.3]

Gets the package's source with `pip download --no-binary :all: --no-deps`
(a registry, at bench time only), turns the sdist into a ZIP, and indexes it
through the real path: ServiceManager -> Redis -> bulk worker -> index job.
Then embeds the same chunk texts with the bare model in this process.
Prints files, chunks, end-to-end chunks/s, bare chunks/s, their ratio
(target >= 0.85), the re-index time of the unchanged ZIP against the first
(target >= 20x faster), and the peak RSS of the job process.

Then, each on the same sample of those texts, in this process (issue 16, point 2):
the bare model with other onnxruntime session options (optimisation level,
threads, arena, spinning), and other graphs of the same model
(bench/minilm_graphs.py: the published fp32 weights, and those quantised
dynamically to int8 compute) when the ``onnx`` package is importable.  Last,
the peer recipe (AnythingLLM's default: 1,000-character splits with 200
overlap, the same ONNX model, truncation at its 256-token window) over the
same files, and the ratio of our time to fully indexed to the peer's
(target <= 0.5).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from repowiki_gui.core.index.chunking import chunk_file
from repowiki_gui.core.index.data_chunks import is_data
from repowiki_gui.core.ingest.files import IngestLimits, ingest_zip
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

CACHE = Path.home() / ".cache" / "repowiki-bench"
SAMPLE = 480  # texts per variant: every fifth-or-so of the job's texts, across all lengths
OPTION_VARIANTS = {
    "current (ENABLE_ALL, arena on, spinning)": {},
    "ENABLE_EXTENDED": {"graph_optimization_level": "ORT_ENABLE_EXTENDED"},
    "ENABLE_BASIC": {"graph_optimization_level": "ORT_ENABLE_BASIC"},
    "arena off": {"enable_cpu_mem_arena": False},
    "no spinning": {"config:session.intra_op.allow_spinning": "0"},
    "1 thread": {"threads": 1},
    "parallel mode, 2 inter-op": {"execution_mode": "ORT_PARALLEL", "inter_op_num_threads": 2},
}


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


def _session_options(variant: dict) -> tuple[dict, int | None]:
    import onnxruntime as ort

    opts, threads = {}, None
    for key, value in variant.items():
        if key == "threads":
            threads = value
        elif key == "graph_optimization_level":
            opts[key] = getattr(ort.GraphOptimizationLevel, value)
        elif key == "execution_mode":
            opts[key] = getattr(ort.ExecutionMode, value)
        else:
            opts[key] = value
    return opts, threads


def timed_embed(embedder: OnnxEmbedder, texts: list[str], rounds: int = 2) -> float:
    """The best of ``rounds`` embeddings of ``texts`` (after a warm-up), in seconds."""
    embedder.embed(texts[:8])
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        embedder.embed(texts)
        best = min(best, time.perf_counter() - t0)
    return best


def peer_splits(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """LangChain's RecursiveCharacterTextSplitter as AnythingLLM configures it by default:
    split on paragraphs, then lines, then spaces, merging pieces up to ``size`` with ``overlap``."""
    def split(piece: str, seps: list[str]) -> list[str]:
        if len(piece) <= size or not seps:
            return [piece[i:i + size] for i in range(0, len(piece), size - overlap)] if len(piece) > size else [piece]
        sep, rest = seps[0], seps[1:]
        parts = [p for p in piece.split(sep) if p]
        out: list[str] = []
        current = ""
        for part in parts:
            for sub in (split(part, rest) if len(part) > size else [part]):
                if current and len(current) + len(sep) + len(sub) > size:
                    out.append(current)
                    tail = current[-overlap:]
                    current = tail[tail.find(sep) + len(sep):] if sep in tail else ""
                current = f"{current}{sep}{sub}" if current else sub
        if current:
            out.append(current)
        return out
    return [c for c in split(text, ["\n\n", "\n", " "]) if c.strip()]


def peer_recipe(zip_path: Path, settings: Settings) -> tuple[int, float]:
    """Chunks and seconds to fully indexed of the peer's recipe: read, split, embed (the same model), store flat."""
    t0 = time.perf_counter()
    embedder = OnnxEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                            max_tokens=10**6, max_batch_tokens=settings.embed_batch_tokens)
    embedder.tokenizer.enable_truncation(max_length=256)  # sentence-transformers' window for MiniLM
    texts = [c for f in ingest_zip(zip_path, IngestLimits()).files for c in peer_splits(f.text)]
    vectors = embedder.embed(texts)
    assert vectors.shape[0] == len(texts)
    return len(texts), time.perf_counter() - t0


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
        data = sum(map(is_data, unique))

        sample = sorted(unique, key=len)[::max(1, len(unique) // SAMPLE)]
        variants: dict[str, float] = {}
        for label, variant in OPTION_VARIANTS.items():
            opts, threads = _session_options(variant)
            e = OnnxEmbedder(threads=threads or settings.embed_threads, batch_size=settings.embed_batch_size,
                             max_tokens=settings.chunk_max_tokens, max_batch_tokens=settings.embed_batch_tokens,
                             session_options=opts)
            variants[label] = timed_embed(e, sample)
        graphs_note = ""
        try:
            from minilm_graphs import graphs
            graph_paths = graphs()
        except ImportError as exc:
            graph_paths, graphs_note = {}, f"skipped: {exc}"
        shipped = OnnxEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                               max_tokens=settings.chunk_max_tokens, max_batch_tokens=settings.embed_batch_tokens)
        base_vectors = shipped.embed(sample)
        graph_rows = {"shipped (int8 weights, fp32 compute)": (timed_embed(shipped, sample), 1.0)}
        for name, path in graph_paths.items():
            e = OnnxEmbedder(model_path=path, threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                             max_tokens=settings.chunk_max_tokens, max_batch_tokens=settings.embed_batch_tokens)
            cos = float(np.median((e.embed(sample) * base_vectors).sum(axis=1)))
            graph_rows[name] = (timed_embed(e, sample), cos)
        peer_chunks, peer_s = peer_recipe(zip_path, settings)

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
    print(f"data chunks (no vector): {first.get('data_chunks', 0)} of the job's, {data} of the unique texts")
    flags = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni") if f in _cpu_flags())
    print(f"CPU: {_cpu_name()}, {os.cpu_count()} cores; {flags}")
    base = variants["current (ENABLE_ALL, arena on, spinning)"]
    print(f"session options ({len(sample)} texts each, best of 2, ratio to current; < 1 is faster):")
    for label, secs in variants.items():
        print(f"  {label:<42} {secs:6.2f} s  {secs / base:.2f}")
    base = graph_rows["shipped (int8 weights, fp32 compute)"][0]
    print(f"graphs of the model (same texts; cosine to the shipped vectors, median) {graphs_note}:")
    for label, (secs, cos) in graph_rows.items():
        print(f"  {label:<42} {secs:6.2f} s  {secs / base:.2f}  cos {cos:.4f}")
    print(f"peer recipe:         {peer_chunks} chunks (1,000 chars, 200 overlap) fully indexed in {peer_s:.1f} s")
    print(f"ours / peer:         {first_s:.1f} s / {peer_s:.1f} s = {first_s / peer_s:.2f}  (target <= 0.5)")
    return 0


def _cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
