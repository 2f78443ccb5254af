"""Retrieval quality on a real repository: recall@1/5/10 and MRR of vector, full-text and hybrid search.

    python bench/retrieval_eval.py [--questions bench/questions_flask.json] [--zip PATH] [--k 10]
                                   [--home DIR]

Indexes the ZIP (default: the Flask 3.1.3 sdist that bench/index_bench.py
caches) once, in this process, with the real ONNX embedder, then asks every
question of the question set in each search mode.  A question is a hit at
rank r when the r-th result's path is one of its gold files (the first gold
result counts; several chunks of one file may appear).  Prints one row per
mode: recall@1, recall@5, recall@10, MRR within k and the median query
latency, then the hybrid misses at 5 so a developer can see the failures.

``--home DIR`` keeps the index in DIR (DIR/lancedb, DIR/app.sqlite) and skips
indexing when DIR already holds the repository, so re-runs are quick.

``--together flask,humanize`` indexes those question sets' sdists into one
data dir and asks each set's questions twice: of its own repository alone, and
of the repositories together (a hit must then also be of the right repository).
It prints hit@5 (recall@5) and MRR of each, the difference, and the same for
interleaving the per-repository lists by rank, the alternative to merging by
score and merging by score alone, the alternatives ``core.qa.search.merge_repositories``
was measured against.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from repowiki_gui.core.index.indexer import index_zip  # noqa: E402
from repowiki_gui.core.index.repositories import RepoRegistry  # noqa: E402
from repowiki_gui.core.index.store import ChunkStore  # noqa: E402
from repowiki_gui.core.ingest.files import IngestLimits  # noqa: E402
from repowiki_gui.core.models.embedder import OnnxEmbedder  # noqa: E402

REPO = "flask"
MODES = ("vector", "fts", "hybrid")
DEFAULT_QUESTIONS = BENCH_DIR / "questions_flask.json"
DEFAULT_ZIP = Path.home() / ".cache" / "repowiki-bench" / "flask-3.1.3.zip"
# --together: each question set with its sdist (bench/answer_eval.py's sets carry their gold files too)
SETS = {"flask": (BENCH_DIR / "questions_flask.json", "flask==3.1.3"),
        "humanize": (BENCH_DIR / "answers_humanize.json", "humanize==4.11.0"),
        "itsdangerous": (BENCH_DIR / "answers_itsdangerous.json", "itsdangerous==2.2.0")}


def load_questions(path: Path) -> list[dict]:
    questions = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(questions, dict):   # an answer_eval set: its questions with gold files (not the unanswerable)
        questions = [q for q in questions["questions"] if q.get("gold")]
    for i, item in enumerate(questions):
        if not item.get("q") or not item.get("gold"):
            raise SystemExit(f"{path}: question {i} needs a non-empty 'q' and 'gold'")
    return questions


def resolve_zip(arg: str | None) -> Path:
    if arg:
        path = Path(arg).expanduser()
        if not path.is_file():
            raise SystemExit(f"no such ZIP: {path}")
        return path
    if DEFAULT_ZIP.is_file():
        return DEFAULT_ZIP
    from index_bench import fetch_sdist_as_zip  # a registry download, at bench time only

    return fetch_sdist_as_zip("flask==3.1.3")


def ensure_index(home: Path, zip_path: Path, embedder: OnnxEmbedder, repo: str = REPO) -> ChunkStore:
    """The store for ``home``, indexing ``zip_path`` into it as ``repo`` unless it already holds it."""
    home.mkdir(parents=True, exist_ok=True)
    store = ChunkStore(home / "lancedb", embedder.dim)
    registry = RepoRegistry(home / "app.sqlite")
    existing = store.count(repo)
    if existing and registry.get(repo) is not None:
        print(f"index:   reusing {home} ({existing} chunks of '{repo}')")
        return store
    print(f"index:   indexing {zip_path.name} into {home} ...", flush=True)
    t0 = time.perf_counter()
    report = index_zip(zip_path, repo, store=store, registry=registry, embedder=embedder, limits=IngestLimits())
    elapsed = time.perf_counter() - t0
    print(f"index:   {report.files} files, {report.chunks} chunks ({report.embedded} embedded) "
          f"in {elapsed:.1f} s")
    return store


def first_gold_rank(paths: list[str], gold: set[str]) -> int | None:
    """1-based rank of the first result whose path is gold, or None."""
    for rank, path in enumerate(paths, 1):
        if path in gold:
            return rank
    return None


def evaluate(store, embedder, questions: list[dict], k: int) -> dict[str, dict]:
    from repowiki_gui.core.qa.search import search

    # One untimed query per mode first: model session and table caches warm up.
    for mode in MODES:
        search(store, embedder, REPO, questions[0]["q"], k=k, mode=mode)

    results: dict[str, dict] = {}
    for mode in MODES:
        ranks: list[int | None] = []
        latencies: list[float] = []
        tops: list[list[str]] = []
        for item in questions:
            t0 = time.perf_counter()
            hits = search(store, embedder, REPO, item["q"], k=k, mode=mode)
            latencies.append((time.perf_counter() - t0) * 1000)
            paths = [h.path for h in hits[:k]]
            tops.append(paths)
            ranks.append(first_gold_rank(paths, set(item["gold"])))
        n = len(questions)
        results[mode] = {
            "ranks": ranks,
            "tops": tops,
            "r1": sum(1 for r in ranks if r is not None and r <= 1) / n,
            "r5": sum(1 for r in ranks if r is not None and r <= 5) / n,
            "r10": sum(1 for r in ranks if r is not None and r <= 10) / n,
            "mrr": sum(1 / r for r in ranks if r is not None) / n,
            "p50_ms": statistics.median(latencies),
        }
    return results


def print_report(results: dict[str, dict], questions: list[dict], k: int) -> None:
    print()
    print(f"{len(questions)} questions, k={k}")
    print(f"{'mode':<8} {'recall@1':>9} {'recall@5':>9} {'recall@10':>10} {'MRR':>7} {'p50 ms':>8}")
    for mode in MODES:
        r = results[mode]
        print(f"{mode:<8} {r['r1']:>9.3f} {r['r5']:>9.3f} {r['r10']:>10.3f} {r['mrr']:>7.3f} {r['p50_ms']:>8.1f}")

    hybrid = results["hybrid"]
    misses = [i for i, r in enumerate(hybrid["ranks"]) if r is None or r > 5]
    print()
    print(f"hybrid misses at 5: {len(misses)}")
    for i in misses:
        rank = hybrid["ranks"][i]
        print(f"- {questions[i]['q']}")
        print(f"    gold:  {', '.join(questions[i]['gold'])}  (rank {rank if rank else f'>{k}'})")
        print(f"    top-3: {', '.join(hybrid['tops'][i][:3]) or '(no results)'}")


def set_zip(requirement: str) -> Path:
    """The cached sdist ZIP of ``requirement`` (name==version), fetched once from the registry if absent."""
    name, version = requirement.split("==")
    cached = DEFAULT_ZIP.parent / f"{name}-{version}.zip"
    if cached.is_file():
        return cached
    from index_bench import fetch_sdist_as_zip  # a registry download, at bench time only

    return fetch_sdist_as_zip(requirement)


def interleave(per_repo: dict[str, list], k: int) -> list:
    """The per-repository ranked lists taken in turn, rank by rank (the alternative to merging by score)."""
    out = []
    for rank in range(max((len(v) for v in per_repo.values()), default=0)):
        out += [hits[rank] for hits in per_repo.values() if rank < len(hits)]
    return out[:k]


def evaluate_together(home: Path, names: list[str], embedder, k: int) -> int:
    from repowiki_gui.core.qa.search import search

    if len(names) < 2 or any(n not in SETS for n in names):
        raise SystemExit(f"--together needs two or more of {', '.join(SETS)}")
    store = None
    for name in names:
        store = ensure_index(home, set_zip(SETS[name][1]), embedder, repo=name)
    search(store, embedder, names, "warm up", k=k)
    total = {"alone": [], "together": [], "interleaved": [], "by score": []}
    latency = {"alone": [], "together": []}
    print(f"\n{'set':<13} {'n':>3} {'hit@5 alone':>12} {'together':>9} {'diff':>7} {'interleaved':>12} "
          f"{'by score':>9} {'MRR alone':>10} {'together':>9}")
    for name in names:
        ranks = {"alone": [], "together": [], "interleaved": [], "by score": []}
        for item in load_questions(SETS[name][0]):
            gold = set(item["gold"])
            t0 = time.perf_counter()
            alone = search(store, embedder, name, item["q"], k=k)
            latency["alone"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            together = search(store, embedder, names, item["q"], k=k)
            latency["together"].append((time.perf_counter() - t0) * 1000)
            per_repo = {n: (alone if n == name else search(store, embedder, n, item["q"], k=k)) for n in names}
            by_score = sorted((h for hs in per_repo.values() for h in hs), key=lambda h: -h.score)[:k]
            for key, hits in (("alone", alone), ("together", together), ("interleaved", interleave(per_repo, k)),
                              ("by score", by_score)):
                ranks[key].append(first_gold_rank([h.path if h.repo == name else "" for h in hits], gold))
        row = {key: _recall(r, 5) for key, r in ranks.items()}
        mrr = {key: sum(1 / x for x in r if x) / len(r) for key, r in ranks.items()}
        for key in total:
            total[key] += ranks[key]
        print(f"{name:<13} {len(ranks['alone']):>3} {row['alone']:>12.3f} {row['together']:>9.3f} "
              f"{row['together'] - row['alone']:>+7.3f} {row['interleaved']:>12.3f} {row['by score']:>9.3f} "
              f"{mrr['alone']:>10.3f} {mrr['together']:>9.3f}")
    row = {key: _recall(r, 5) for key, r in total.items()}
    print(f"{'all':<13} {len(total['alone']):>3} {row['alone']:>12.3f} {row['together']:>9.3f} "
          f"{row['together'] - row['alone']:>+7.3f} {row['interleaved']:>12.3f} {row['by score']:>9.3f}")
    ratio = statistics.median(latency["together"]) / statistics.median(latency["alone"])
    print(f"\nsearch p50: alone {statistics.median(latency['alone']):.1f} ms, together "
          f"{statistics.median(latency['together']):.1f} ms ({ratio:.2f}x, one search per repository)")
    return 0


def _recall(ranks: list[int | None], at: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= at) / len(ranks)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    ap.add_argument("--zip", default=None, help=f"the repository ZIP (default {DEFAULT_ZIP})")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--home", default=None, help="keep (and reuse) the index in this directory")
    ap.add_argument("--together", default=None, metavar="A,B",
                    help=f"question sets asked alone and of their repositories together ({', '.join(SETS)})")
    args = ap.parse_args()
    if args.k < 1:
        raise SystemExit("--k must be at least 1")
    if args.together:
        names = [n.strip() for n in args.together.split(",") if n.strip()]
        embedder = OnnxEmbedder(threads=2, batch_size=16)
        if args.home:
            return evaluate_together(Path(args.home).expanduser(), names, embedder, args.k)
        with tempfile.TemporaryDirectory(prefix="repowiki-eval-") as tmp:
            return evaluate_together(Path(tmp), names, embedder, args.k)

    questions = load_questions(Path(args.questions))
    zip_path = resolve_zip(args.zip)
    embedder = OnnxEmbedder(threads=2, batch_size=16)
    if args.home:
        store = ensure_index(Path(args.home).expanduser(), zip_path, embedder)
        results = evaluate(store, embedder, questions, args.k)
    else:
        with tempfile.TemporaryDirectory(prefix="repowiki-eval-") as tmp:
            store = ensure_index(Path(tmp), zip_path, embedder)
            results = evaluate(store, embedder, questions, args.k)
    print_report(results, questions, args.k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
