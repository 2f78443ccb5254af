"""Retrieval latency at scale and the chat job path's first-token overhead, measured in one run.

    python bench/qa_bench.py [--sizes 10000,100000] [--questions 5]

1. Retrieval: a synthetic corpus (random words, random unit vectors) of each
   size in LanceDB, indexed as the indexer indexes (full-text, and a vector
   index past the settings' threshold); p50/p95 of core.search.search with
   the question embedding included (real ONNX model).
2. Chat: the same prompt answered by llama.cpp called directly in this process
   and through the job path (enqueue qa.retrieval + qa.generate_answer, read
   the token stream), each prompt new to each process; first-token times,
   their difference, and tokens/s.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from repowiki_gui.core.answer import Reference, answer_question
from repowiki_gui.core.chunking import Chunk
from repowiki_gui.core.embedder import OnnxEmbedder
from repowiki_gui.core.llm import LlamaGenerator
from repowiki_gui.core.search import search
from repowiki_gui.core.store import ChunkStore
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
            chunks.append(Chunk(f"src/pkg{i % 200}/mod{i}.py", "python", f"func_{i}", "function", 1, 20,
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


def chat_overhead(settings: Settings, questions: int) -> dict:
    src = {f"src/app/part{i}.py": f"def handler_{i}(request):\n    \"\"\"Handle {w} requests.\"\"\"\n"
           f"    return render('{w}.html', user=request.user)\n" for i, w in enumerate(WORDS[:12])}
    with tempfile.TemporaryDirectory() as tmp:
        zip_path = Path(tmp) / "app.zip"
        with zipfile.ZipFile(zip_path, "w") as zf:
            for name, text in src.items():
                zf.writestr(f"app/{name}", text)
        manager = ServiceManager(Path(tmp) / "home", settings).start()
        try:
            service = JobService(manager.connection(), settings, manager.home)
            service.wait(service.enqueue("indexing.index_zip", str(zip_path), "app"), timeout_s=600)
            r, a = service.ask("app", "warm up the worker's models")  # both processes load their models first
            service.follow_answer(a, r, lambda t: None)
            direct_gen = LlamaGenerator(None, n_ctx=settings.llm_n_ctx, threads=settings.llm_threads)
            answer_question("warm up", [], [], direct_gen)
            job_ft, direct_ft, retr, rates = [], [], [], []
            for i in range(questions):
                q = f"Question {i}: which handler renders the {WORDS[i]} template and what does it return?"
                t0 = time.perf_counter()
                first = []
                r, a = service.ask("app", q)
                service.follow_answer(a, r, lambda t: first or first.append(time.perf_counter()))
                job_ft.append((first[0] - t0) * 1000)
                retr.append(service.status(r)["result"]["retrieval_ms"])
                refs = [x for x in json.loads(manager.connection().get(f"repowiki:refs:{r}"))
                        if x["similarity"] >= settings.min_similarity]
                references = [Reference(j + 1, x["path"], x["start_line"], x["end_line"], x["symbol"], x["score"],
                                        x["kind"], x["text"]) for j, x in enumerate(refs)]
                tokens = []
                res = answer_question(q, references, [], direct_gen, max_answer_tokens=settings.llm_max_tokens,
                                      temperature=settings.llm_temperature, on_token=tokens.append)
                direct_ft.append(res.first_token_s * 1000)
                if res.total_s > res.first_token_s and len(tokens) > 1:
                    rates.append((len(tokens) - 1) / (res.total_s - res.first_token_s))
            cancel_ms = []
            for i in range(3):
                r, a = service.ask("app", f"Explain every handler in detail, one by one, round {i}.")
                marks = {}

                def on_token(_t, a=a, marks=marks):
                    marks["n"] = marks.get("n", 0) + 1
                    if marks["n"] == 3:
                        marks["cancel"] = time.perf_counter()
                        service.cancel(a)

                done = service.follow_answer(a, r, on_token)
                if done["stopped"] and "cancel" in marks:
                    cancel_ms.append((time.perf_counter() - marks["cancel"]) * 1000)
        finally:
            manager.stop()
    return {"cancel_to_done_ms": max(cancel_ms) if cancel_ms else float("nan"),
            "job_first_token_ms": statistics.median(job_ft), "direct_first_token_ms": statistics.median(direct_ft),
            "retrieval_ms": statistics.median(retr), "tokens_per_s": statistics.median(rates) if rates else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--questions", type=int, default=5)
    args = ap.parse_args()
    settings = Settings(cleanup_interval_s=10**6)
    embedder = OnnxEmbedder(threads=settings.embed_threads)
    lat = retrieval_latency([int(s) for s in args.sizes.split(",")], settings, embedder)
    print(f"{'chunks':>8} {'search p50':>11} {'p95':>9} {'build s':>8}  vector index")
    for n, p50, p95, build_s, indexed in lat:
        print(f"{n:>8} {p50:>8.1f} ms {p95:>6.1f} ms {build_s:>8.1f}  {'yes' if indexed else 'no (flat)'}")
    chat = chat_overhead(settings, args.questions)
    overhead = chat["job_first_token_ms"] - chat["direct_first_token_ms"]
    print(f"first token, direct llama.cpp: {chat['direct_first_token_ms']:.0f} ms (p50)")
    print(f"first token, job path:         {chat['job_first_token_ms']:.0f} ms (p50; retrieval "
          f"{chat['retrieval_ms']:.0f} ms of it)")
    print(f"job path overhead:             {overhead:.0f} ms (target <= 100 ms); without retrieval "
          f"{overhead - chat['retrieval_ms']:.0f} ms; ratio {chat['job_first_token_ms'] / chat['direct_first_token_ms']:.2f}")
    print(f"tokens/s (direct):             {chat['tokens_per_s']:.1f}")
    print(f"cancel -> generation stopped:  {chat['cancel_to_done_ms']:.0f} ms (worst of 3; target < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
