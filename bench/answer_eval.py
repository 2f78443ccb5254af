"""Answer quality of the chat on real repositories: key facts stated, refusals, citations, first token.

    python bench/answer_eval.py [--sets bench/answers_itsdangerous.json,bench/answers_humanize.json]
                                [--models qwen2.5-coder-0.5b,smollm2-135m] [--limit N] [--home DIR]
                                [--prompt-tokens 600] [--focus-lines 12] [--json OUT]

Each question set names a package (``itsdangerous==2.2.0``): its sdist is
fetched from the registry once (bench/index_bench.py caches it as a ZIP) and
indexed in this process with the real ONNX embedder.  Every question is
retrieved once, as ``qa.retrieval`` does (hybrid search, ``retrieval_k``
hits, those under ``min_similarity`` dropped), and the same references go
to every model, through the same prompt builder the chat uses.

Grading, per answer, after fenced code and ``[n]`` marks are removed (code
the model invents states nothing, and a number in brackets is no fact):

* fact recall: the share of the question's key-fact regexes (case-insensitive)
  found in the answer as the chat shows it (the model's sentences and the
  source lines quoted under them, core.qa.answer.key_lines); "fully correct"
  when all are; "prose" is the fact recall of the model's sentences alone;
* a question marked ``unanswerable`` is right when the answer says the
  sources do not show it (or the model was not called: nothing relevant);
* citations: answers that cite at least one numbered source (cleaned answers
  only keep numbers that exist), and those that cite a gold file.

A model is a bundled id (``repowiki models``) or a GGUF path.  Per model it
prints fact recall, fully correct, refusals right, cited, cited gold, first
token p50/p95, total p50 and prompt tokens p50; ``--json`` keeps every answer.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from repowiki_gui.core.markup import outside_fences  # noqa: E402
from repowiki_gui.core.models import catalog  # noqa: E402
from repowiki_gui.core.models.embedder import OnnxEmbedder  # noqa: E402
from repowiki_gui.core.models.llm import LlamaGenerator  # noqa: E402
from repowiki_gui.core.qa.answer import NO_CONTEXT_ANSWER, Reference, answer_question, warm_up  # noqa: E402
from repowiki_gui.core.qa.search import search  # noqa: E402
from repowiki_gui.settings import Settings  # noqa: E402

DEFAULT_SETS = [BENCH_DIR / "answers_itsdangerous.json", BENCH_DIR / "answers_humanize.json"]
DEFAULT_MODELS = "qwen2.5-coder-0.5b,smollm2-135m"

# An answer that says the sources do not hold the answer.
REFUSAL = re.compile(
    r"\b(?:do(?:es)?\s*n[o']t|cannot|can't|could\s*n[o']t|unable to|no)\s+(?:know|find|found|determine|answer|"
    r"information|mention|contain|show|say|provide|support|cover|specify|appear|indicate|include|have|offer|"
    r"describe|seem|tell)|\bnot\s+(?:mentioned|found|shown|specified|provided|supported|covered|included|"
    r"available|described|present|documented|possible|stated|clear)|\bno\s+(?:mention|support|information|"
    r"indication|evidence|such)|isn't\s+(?:mentioned|shown|covered|supported)", re.IGNORECASE)
MARK = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def gradable(text: str) -> str:
    """The answer without fenced code and citation marks."""
    return MARK.sub("", "\n".join(outside_fences(text)))


def grade(item: dict, text: str, cited_paths: list[str]) -> dict:
    plain = gradable(text)
    if item.get("unanswerable"):
        refused = text == NO_CONTEXT_ANSWER or bool(REFUSAL.search(plain))
        return {"refused_right": refused}
    hits = [bool(re.search(f, plain, re.IGNORECASE)) for f in item["facts"]]
    return {"recall": sum(hits) / len(hits), "correct": all(hits), "facts_hit": hits,
            "cited": bool(cited_paths), "cited_gold": any(p in item["gold"] for p in cited_paths)}


def load_set(path: Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for i, item in enumerate(data["questions"]):
        if not item.get("q"):
            raise SystemExit(f"{path}: question {i} has no 'q'")
        if not item.get("unanswerable") and not (item.get("gold") and item.get("facts")):
            raise SystemExit(f"{path}: question {i} needs 'gold' and 'facts' (or 'unanswerable': true)")
        for fact in item.get("facts", []):
            re.compile(fact)
    return data


def indexed_store(home: Path, package: str, embedder: OnnxEmbedder):
    """The store of ``home`` holding the package's sdist under its name (indexed unless already there)."""
    from index_bench import fetch_sdist_as_zip  # a registry download, at bench time only
    from retrieval_eval import ensure_index

    name = package.split("==")[0].lower()
    return ensure_index(home, fetch_sdist_as_zip(package), embedder, repo=name), name


def references_for(store, embedder, repo: str, question: str, settings: Settings) -> list[Reference]:
    """What qa.retrieval hands to qa.generate_answer: hybrid hits over min_similarity, numbered."""
    hits = [h for h in search(store, embedder, repo, question, k=settings.retrieval_k)
            if h.similarity >= settings.min_similarity]
    return [Reference.of(h, i) for i, h in enumerate(hits, 1)]


def resolve_model(spec: str) -> Path:
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        return path
    return catalog.ensure_model(spec)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def summarise(rows: list[dict]) -> dict:
    answerable = [r for r in rows if "recall" in r]
    unanswerable = [r for r in rows if "refused_right" in r]
    firsts = [r["first_token_s"] for r in rows if r["first_token_s"] is not None and r["called"]]
    mean = (lambda xs: sum(xs) / len(xs) if xs else float("nan"))
    return {"questions": len(rows), "fact_recall": mean([r["recall"] for r in answerable]),
            "prose_recall": mean([r.get("prose_recall", r["recall"]) for r in answerable]),
            "fully_correct": mean([float(r["correct"]) for r in answerable]),
            "refusals_right": mean([float(r["refused_right"]) for r in unanswerable]),
            "cited": mean([float(r["cited"]) for r in answerable]),
            "cited_gold": mean([float(r["cited_gold"]) for r in answerable]),
            "first_token_p50_s": pct(firsts, 0.5), "first_token_p95_s": pct(firsts, 0.95),
            "total_p50_s": pct([r["total_s"] for r in rows if r["called"]], 0.5),
            "prompt_tokens_p50": pct([r["prompt_tokens"] for r in rows if r["called"]], 0.5)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(str(p) for p in DEFAULT_SETS))
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--limit", type=int, default=0, help="first N questions of each set")
    parser.add_argument("--home", help="keep the indexes here between runs")
    parser.add_argument("--prompt-tokens", type=int, default=None, help="default: the settings' llm_prompt_tokens")
    parser.add_argument("--focus-lines", type=int, default=None, help="default: the settings' llm_focus_lines")
    parser.add_argument("--json", dest="json_out", help="write every answer and grade here")
    args = parser.parse_args()

    settings = Settings()
    prompt_tokens = settings.llm_prompt_tokens if args.prompt_tokens is None else args.prompt_tokens
    focus_lines = settings.llm_focus_lines if args.focus_lines is None else args.focus_lines
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    print(f"cpu:     {cpu}, {os.cpu_count()} cores; llama.cpp threads {settings.llm_threads}; "
          f"prompt cap {prompt_tokens or 'n_ctx'} tokens, focus {focus_lines or 'whole chunks'} lines")

    embedder = OnnxEmbedder()
    tmp = None if args.home else tempfile.TemporaryDirectory()
    home = Path(args.home or tmp.name)
    asked: list[tuple[dict, str, list[Reference]]] = []
    for set_path in args.sets.split(","):
        data = load_set(Path(set_path))
        store, repo = indexed_store(home, data["package"], embedder)
        questions = data["questions"][:args.limit] if args.limit else data["questions"]
        if args.limit:  # keep some unanswerable ones in a short run
            questions += [q for q in data["questions"][args.limit:] if q.get("unanswerable")][:1]
        for item in questions:
            asked.append((item, repo, references_for(store, embedder, repo, item["q"], settings)))
    print(f"asked:   {len(asked)} questions "
          f"({sum(1 for i, _, _ in asked if i.get('unanswerable'))} unanswerable) over "
          f"{len({r for _, r, _ in asked})} repositories; same references for every model")

    results: dict[str, dict] = {}
    detail: list[dict] = []
    for spec in args.models.split(","):
        path = resolve_model(spec)
        t0 = time.perf_counter()
        generator = LlamaGenerator(path, n_ctx=settings.llm_n_ctx, threads=settings.llm_threads)
        warm_up(generator)  # as the interactive worker does at start
        print(f"model:   {spec} loaded in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB)",
              flush=True)
        rows = []
        for n, (item, repo, refs) in enumerate(asked, 1):
            result = answer_question(item["q"], refs, [], generator, max_answer_tokens=settings.llm_max_tokens,
                                     temperature=settings.llm_temperature, max_prompt_tokens=prompt_tokens,
                                     focus_lines=focus_lines, key_line_count=settings.answer_key_lines)
            cited_paths = [result.references[c - 1].path for c in result.cited]
            row = {"model": spec, "repo": repo, "q": item["q"], "answer": result.text,
                   "called": bool(result.references), "first_token_s": result.first_token_s,
                   "total_s": result.total_s, "prompt_tokens": result.prompt_tokens,
                   "sources": [f"{r.path}:{r.start_line}-{r.end_line}" for r in result.references],
                   **grade(item, result.text, cited_paths)}
            if "recall" in row:
                row["prose_recall"] = grade(item, result.prose, cited_paths)["recall"]
            rows.append(row)
            mark = (f"recall {row['recall']:.2f}" if "recall" in row else f"refused {row['refused_right']}")
            print(f"  {n:3d}/{len(asked)} {mark:13s} first {result.first_token_s or 0:5.1f} s  "
                  f"prompt {result.prompt_tokens:4d}  {item['q'][:60]}", flush=True)
        results[spec] = summarise(rows)
        detail += rows
        del generator

    print("\nmodel                      facts  prose  correct  refusals  cited  gold  first p50  p95   total p50  prompt")
    for spec, s in results.items():
        print(f"{spec[:26]:26s} {s['fact_recall']:5.2f}  {s['prose_recall']:5.2f}  {s['fully_correct']:6.2f}  {s['refusals_right']:8.2f}  "
              f"{s['cited']:5.2f}  {s['cited_gold']:4.2f}  {s['first_token_p50_s']:7.1f} s {s['first_token_p95_s']:4.1f} s"
              f"  {s['total_p50_s']:7.1f} s  {s['prompt_tokens_p50']:6.0f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"summary": results, "answers": detail}, indent=1))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
