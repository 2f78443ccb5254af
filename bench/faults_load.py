"""Issue 7, point 3: load on the real services, with nothing lost, duplicated or stuck.

    python bench/faults_load.py [--only NAME] [--llm-threads N]

The three scenarios (100 questions from 4 clients, 20 ZIPs at once, answers while the
bulk queue is full) live in tests/helpers/load_scenarios.py, where tests/faults/test_load.py
runs them with more asserts. Here they run with the shipped defaults (short answers, one
llama.cpp thread unless asked) and print one table row each, with the figures measured.

``scenarios()`` gives (name, callable) pairs for bench/faults_report.py; a callable takes
an optional work folder and returns (expected, observed, passed).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the package helpers lives in tests/

from repowiki_gui.settings import Settings

from helpers.load_scenarios import (
    Outcome,
    QuestionsRun,
    ResponsiveRun,
    ZipsRun,
    answers_under_bulk_load,
    pct,
    questions_from_clients,
    zips_at_once,
)


# --- the report ------------------------------------------------------------------------------------

def _in_folder(workdir: Path | None, run: Callable[[Path], object]):
    if workdir is not None:
        return run(Path(workdir))
    with tempfile.TemporaryDirectory(prefix="repowiki-load-") as tmp:
        return run(Path(tmp))


def bench_settings(llm_threads: int = 1) -> Settings:
    """The shipped defaults but short answers (the load is in the number of questions) and, unless
    asked, one llama.cpp thread: on 2 busy cores the shipped 2 threads measured 5-15x slower per answer."""
    return Settings(llm_max_tokens=16, llm_threads=llm_threads, cleanup_interval_s=3600)


def runs(llm_threads: int = 1) -> dict[str, Callable[[Path], object]]:
    settings = bench_settings(llm_threads)
    return {
        "load: 100 questions, 4 clients": lambda wd: questions_from_clients(wd / "home", wd, settings),
        "load: 20 ZIPs at once": lambda wd: zips_at_once(wd / "home", wd, settings),
        "load: answers, bulk queue full": lambda wd: answers_under_bulk_load(wd / "home", wd, settings,
                                                                             questions=10),
    }


def scenarios() -> list[tuple[str, Callable[..., Outcome]]]:
    """(name, callable) for the fault report; ``callable(workdir=None)`` -> (expected, observed, passed)."""
    def scenario(run):
        return lambda workdir=None: _in_folder(workdir, run).outcome()
    return [(name, scenario(run)) for name, run in runs().items()]


def figures(results: dict[str, object]) -> list[str]:
    lines = []
    for run in results.values():
        if isinstance(run, QuestionsRun) and run.records:
            lat = [r["latency_s"] for r in run.records]
            lines.append(f"questions: {len(run.records)} in {run.wall_s:.1f} s = {len(run.records) / run.wall_s:.2f} "
                         f"answers/s; enqueue->done p50 {pct(lat, .5):.1f} s, p95 {pct(lat, .95):.1f} s")
        if isinstance(run, ZipsRun):
            lines.append(f"zips: {len(run.final)} in {run.wall_s:.1f} s = {len(run.final) / run.wall_s:.2f} ZIPs/s "
                         "on 2 bulk workers")
        if isinstance(run, ResponsiveRun):
            lines.append(f"answer latency idle: p50 {pct(run.idle_s, .5):.2f} s, p95 {pct(run.idle_s, .95):.2f} s; "
                         f"bulk queue full: p50 {pct(run.loaded_s, .5):.2f} s, p95 {pct(run.loaded_s, .95):.2f} s; "
                         f"ratio (p50) {run.ratio:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run the scenarios whose name contains this")
    ap.add_argument("--llm-threads", type=int, default=1, help="llama.cpp threads (the shipped default: cores - 1, so 1 on 2 cores)")
    args = ap.parse_args(argv)
    results, rows = {}, []
    for name, run in runs(args.llm_threads).items():
        if args.only not in name:
            continue
        try:
            results[name] = _in_folder(None, run)
            rows.append((name, results[name].outcome()))
        except Exception as exc:  # noqa: BLE001  (a crashed scenario is a failed row)
            rows.append((name, Outcome("(see scenario)", f"CRASH {type(exc).__name__}: {exc}", False)))
    print("scenario | expected | observed | pass")
    for name, o in rows:
        print(f"{name} | {o.expected} | {o.observed} | {'yes' if o.passed else 'NO'}")
    print("", *figures(results), sep="\n")
    return 0 if all(o.passed for _, o in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
