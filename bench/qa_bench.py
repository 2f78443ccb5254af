"""Retrieval latency at scale and the chat's first token on a real repository, measured in one run.

    python bench/qa_bench.py [--sizes 10000,100000] [--questions 8] [--no-load] [--skip-retrieval]

1. Retrieval: a synthetic corpus (random words, random unit vectors) of each
   size in LanceDB, indexed as the indexer indexes (full-text, and a vector
   index past the settings' threshold); p50/p95 of core.qa.search.search with
   the question embedding included (real ONNX model).
2. Chat: the itsdangerous 2.2.0 sdist indexed through the services, and the
   first questions of bench/answers_itsdangerous.json asked with the default
   model through the job path (qa.retrieval + qa.generate_answer on the
   interactive worker, which preloads its models); the very prompt each
   built is then answered by bare llama-cpp-python in this process (same
   model, threads and context), the baseline of the same run.  Asked once
   with the machine idle and once while an index job of the Flask sdist runs
   on the bulk worker.  Prints first-token p50/p95 of both and their ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repowiki_gui.core.index.chunking import Chunk
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.core.models.llm import LlamaGenerator, load_llama
from repowiki_gui.core.qa.answer import SYSTEM_PROMPT, Reference, build_messages
from repowiki_gui.core.qa.search import search
from repowiki_gui.jobs import keys
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

WORDS = ("request response session config blueprint route view template render cache token user "
         "parse load save query index vector chunk file path module class function method error retry "
         "timeout worker queue job stream socket handler client server database model field record").split()
QUESTIONS = ["where is the session cookie signed?", "how does the retry of a failed job work?",
             "which function parses the config file?", "what does the stream handler return on timeout?",
             "how is a new route registered on a blueprint?", "where are database records saved?",
             "how does the worker pick the next job from the queue?", "what renders the template for a view?"]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def build_corpus(store: ChunkStore, n: int, settings: Settings) -> float:
    rng = np.random.default_rng(7)
    words = random.Random(7)
    t0 = time.perf_counter()
    for start in range(0, n, 20_000):
        chunks, count = [], min(20_000, n - start)
        for i in range(start, start + count):
            text = " ".join(words.choice(WORDS) for _ in range(40))
            chunks.append(Chunk(f"src/pkg{i % 200}/mod{i}.py", 1, 20, "python", f"func_{i}", "function",
                                text, f"src/pkg/mod{i}.py · func_{i}\n{text}"))
        vecs = rng.standard_normal((count, store.dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        store.apply("synthetic", chunks, vecs, {c.path: "0" * 64 for c in chunks}, set())
    store.ensure_indexes(vector_index_min_rows=settings.vector_index_min_rows)
    return time.perf_counter() - t0


def retrieval_latency(sizes: list[int], settings: Settings, embedder: OnnxEmbedder) -> list[tuple]:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = ChunkStore(Path(tmp) / "lancedb", embedder.dim)
            build_s = build_corpus(store, n, settings)
            for q in QUESTIONS[:3]:
                search(store, embedder, "synthetic", q)  # warm caches
            times = []
            for _ in range(5):
                for q in QUESTIONS:
                    t0 = time.perf_counter()
                    search(store, embedder, "synthetic", q, k=8)
                    times.append((time.perf_counter() - t0) * 1000)
            indexed = any(i.index_type != "FTS" for i in store.table().list_indices())
            rows.append((n, statistics.median(times), pct(times, 0.95), build_s, indexed))
    return rows


def _bare_first_token(llm, messages: list[dict], settings: Settings) -> float:
    """Seconds to the first content chunk from llama-cpp-python itself, no RepoWiki code between."""
    t0 = time.perf_counter()
    chunks = llm.create_chat_completion(messages, stream=True, max_tokens=settings.llm_max_tokens,
                                        temperature=settings.llm_temperature)
    try:
        for chunk in chunks:
            if chunk["choices"][0]["delta"].get("content"):
                return time.perf_counter() - t0
    finally:
        chunks.close()
    return time.perf_counter() - t0


def _ask_round(service, manager, settings, repo, questions, bare, gen) -> dict:
    """Each question through the job path, then its very prompt through bare llama.cpp."""
    job_ft, bare_ft, retr, prompt_tokens = [], [], [], []
    for q in questions:
        t0 = time.perf_counter()
        first = []
        r, a = service.ask(repo, q)
        service.follow_answer(a, r, lambda t: first or first.append(time.perf_counter()))
        job_ft.append(first[0] - t0)
        retr.append(service.status(r)["result"]["retrieval_ms"])
        refs = [x for x in json.loads(manager.connection().get(keys.REFS.format(r)))
                if x["similarity"] >= settings.min_similarity]
        references = [Reference.from_json(x, j) for j, x in enumerate(refs, 1)]
        if not references:
            continue
        messages, _ = build_messages(q, references, [], gen, max_answer_tokens=settings.llm_max_tokens,
                                     min_score=0.0, max_prompt_tokens=settings.llm_prompt_tokens,
                                     focus_lines=settings.llm_focus_lines)
        prompt_tokens.append(gen.count_message_tokens(messages))
        bare_ft.append(_bare_first_token(bare, messages, settings))
    return {"job": job_ft, "bare": bare_ft, "retrieval_ms": retr, "prompt_tokens": prompt_tokens}


def chat_first_token(settings: Settings, n_questions: int, load_zip: Path | None) -> dict:
    """First-token times on a real repository, idle and (with ``load_zip``) while an index job runs."""
    from answer_eval import DEFAULT_SETS, load_set, resolve_model
    from index_bench import fetch_sdist_as_zip

    data = load_set(DEFAULT_SETS[0])
    repo = data["package"].split("==")[0]
    questions = [q["q"] for q in data["questions"] if not q.get("unanswerable")][:n_questions]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        manager = ServiceManager(Path(tmp) / "home", settings).start()
        try:
            service = JobService(manager.connection(), settings, manager.home)
            final = service.wait(service.enqueue("indexing.index_zip", str(fetch_sdist_as_zip(data["package"])),
                                                 repo), timeout_s=900)
            if final["state"] != "finished":
                raise SystemExit(f"indexing failed: {final['error']}")
            path = resolve_model(settings.llm_model)
            bare = load_llama(path, n_ctx=settings.llm_n_ctx, n_threads=settings.llm_threads,
                              n_threads_batch=settings.llm_threads)
            gen = LlamaGenerator(path, n_ctx=settings.llm_n_ctx, threads=1)  # counts tokens only
            r, a = service.ask(repo, "warm up: what does this package do?")  # the worker preloads; be sure
            service.follow_answer(a, r, lambda t: None)
            _bare_first_token(bare, [{"role": "system", "content": SYSTEM_PROMPT},
                                     {"role": "user", "content": "warm up"}], settings)
            out["idle"] = _ask_round(service, manager, settings, repo, questions, bare, gen)
            if load_zip is not None:
                job = service.enqueue("indexing.index_zip", str(load_zip), "load")
                while service.status(job)["state"] != "started":
                    time.sleep(0.2)
                out["indexing"] = _ask_round(service, manager, settings, repo, questions, bare, gen)
                out["indexing"]["load_still_running"] = service.status(job)["state"] == "started"
                service.cancel(job)
        finally:
            manager.stop()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--questions", type=int, default=8)
    ap.add_argument("--no-load", action="store_true", help="skip the round asked while an index job runs")
    ap.add_argument("--skip-retrieval", action="store_true")
    args = ap.parse_args()
    settings = Settings(cleanup_interval_s=10**6)
    embedder = OnnxEmbedder(threads=settings.embed_threads)
    if not args.skip_retrieval:
        lat = retrieval_latency([int(s) for s in args.sizes.split(",")], settings, embedder)
        print(f"{'chunks':>8} {'search p50':>11} {'p95':>9} {'build s':>8}  vector index")
        for n, p50, p95, build_s, indexed in lat:
            print(f"{n:>8} {p50:>8.1f} ms {p95:>6.1f} ms {build_s:>8.1f}  {'yes' if indexed else 'no (flat)'}")
    from index_bench import fetch_sdist_as_zip

    cpu = platform.processor() or "cpu"
    if Path("/proc/cpuinfo").exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), cpu)
    print(f"\nchat on a real repository: {cpu}, {os.cpu_count()} cores, model {settings.llm_model}, "
          f"{settings.llm_threads} llama.cpp threads, prompt cap {settings.llm_prompt_tokens} tokens")
    chat = chat_first_token(settings, args.questions, None if args.no_load else fetch_sdist_as_zip("flask==3.1.3"))
    print(f"{'':10} {'first token p50':>16} {'p95':>7} {'bare llama.cpp p50':>19} {'p95':>7} {'ratio':>6} "
          f"{'retrieval':>10} {'prompt':>7}")
    for label, row in chat.items():
        job, bare = row["job"], row["bare"]
        print(f"{label:10} {pct(job, .5):14.1f} s {pct(job, .95):5.1f} s {pct(bare, .5):17.1f} s "
              f"{pct(bare, .95):5.1f} s {pct(job, .5) / pct(bare, .5):6.2f} {pct(row['retrieval_ms'], .5):7.0f} ms "
              f"{pct(row['prompt_tokens'], .5):7.0f}")
        if label == "indexing" and not row["load_still_running"]:
            print("           (the index job ended before the last question: a shorter load than intended)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
