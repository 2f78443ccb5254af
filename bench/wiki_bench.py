"""The wiki of a real public repository: time per page and in total, and how grounded its names are.

Runs ``specs_v2.generate_specs_with_index`` (all spec types) through Redis and
the bulk worker with the bundled models, twice: the second run, on the
unchanged ZIP, is the baseline the first is compared to (same machine, same
minute).  Grounding is measured on the exported markdown against the ZIP's
own files (not the index the wiki was checked with): the share of backticked
paths that exist in the repository, and of backticked identifiers found in
its text.  The model's own spans, before the check rewrote them, are shown too.

    python bench/wiki_bench.py [--package flask==3.1.3] [--spec all]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from index_bench import fetch_sdist_as_zip  # noqa: E402

from repowiki_gui.core.ingest.files import IngestLimits, ingest_zip  # noqa: E402
from repowiki_gui.core.wiki.check import SPAN, CheckStats, Vocabulary, classify, outside_fences  # noqa: E402
from repowiki_gui.jobs.manager import ServiceManager  # noqa: E402
from repowiki_gui.jobs.service import JobService  # noqa: E402
from repowiki_gui.settings import Settings  # noqa: E402


def run_wiki(service: JobService, repo: str, specs: list[str], out: Path | None) -> tuple[dict, float]:
    t0 = time.perf_counter()
    job_id = service.enqueue("specs_v2.generate_specs_with_index", repo, specs, str(out) if out else None)
    final = service.wait(job_id, poll_s=1.0, timeout_s=3600)
    elapsed = time.perf_counter() - t0
    if final["state"] != "finished":
        raise SystemExit(f"wiki failed: {final['error']}\n{final.get('traceback')}")
    return final["result"], elapsed


def grounding(docs: Path, zip_path: Path) -> tuple[CheckStats, list[str]]:
    """Inline code spans of every wiki page (not the copied source pages) against the ZIP's files."""
    files = {f.path: f.text for f in ingest_zip(zip_path, IngestLimits()).files}
    vocab = Vocabulary.from_rows(files, [], files.values())
    stats, missing = CheckStats(), []
    for page in sorted(docs.rglob("*.md")):
        rel = page.relative_to(docs).as_posix()
        if rel.startswith("sources/"):
            continue
        for block in outside_fences(page.read_text(encoding="utf-8")):
            for m in SPAN.finditer(block):
                kind, found, _ = classify(m.group(1), vocab)
                stats.paths += kind == "path"
                stats.paths_ok += kind == "path" and found
                stats.identifiers += kind == "identifier"
                stats.identifiers_ok += kind == "identifier" and found
                if not found:
                    missing.append(f"{rel}: {kind} `{m.group(1)}`")
    return stats, missing


def share(ok: int, total: int) -> str:
    return f"{ok}/{total} = {ok / total:.3f}" if total else "0/0"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="flask==3.1.3")
    ap.add_argument("--spec", action="append", default=None)
    args = ap.parse_args()
    specs = args.spec or ["all"]
    zip_path = fetch_sdist_as_zip(args.package)
    settings = Settings(cleanup_interval_s=10**6)
    with tempfile.TemporaryDirectory(prefix="repowiki-bench-") as tmp:
        out = Path(tmp) / "export"
        manager = ServiceManager(Path(tmp) / "home", settings).start()
        try:
            service = JobService(manager.connection(), settings, manager.home)
            index_job = service.enqueue("indexing.index_zip", str(zip_path), "bench")
            if service.wait(index_job, timeout_s=3600)["state"] != "finished":
                raise SystemExit("indexing failed")
            first, first_s = run_wiki(service, "bench", specs, out)
            again, again_s = run_wiki(service, "bench", specs, None)
        finally:
            manager.stop()
        final, missing = grounding(out / "docs", zip_path)

    per_page = first["seconds_per_page"]
    prose_pages = [s for s in per_page.values() if s > 0.05]
    print(f"repository: {args.package} ({zip_path.name}), specs: {', '.join(first['specs'])}")
    print(f"pages: {first['pages']}, sections: {first['sections']}, prose sections written: "
          f"{first['prose_generated']}")
    print(f"first run: {first_s:.1f} s end to end (job {first['total_s']:.1f} s; inside the model "
          f"{first['prose_s']:.1f} s = {first['prose_s'] / first['total_s']:.0%})")
    print(f"time per page: mean {statistics.mean(per_page.values()):.2f} s, "
          f"median {statistics.median(per_page.values()):.2f} s, max {max(per_page.values()):.2f} s "
          f"({max(per_page, key=per_page.get)}); pages with prose: {len(prose_pages)}")
    print(f"second run, unchanged ZIP: {again_s:.1f} s, {again['prose_generated']} sections written, "
          f"{again['prose_reused']} reused, {again['pages_written']} pages rewritten")
    print(f"ratio first / unchanged re-run: {first_s / again_s:.1f}x")
    raw = first["grounding_model"]
    print(f"grounding of the model's own spans (before the check): paths {share(raw['paths_ok'], raw['paths'])}, "
          f"identifiers {share(raw['identifiers_ok'], raw['identifiers'])}")
    print(f"grounding of the exported wiki against the ZIP: paths {share(final.paths_ok, final.paths)} "
          f"(target 1.0), identifiers {share(final.identifiers_ok, final.identifiers)} (target >= 0.95)")
    for line in missing[:15]:
        print(f"  not found: {line}")
    slow = sorted(per_page.items(), key=lambda kv: -kv[1])[:5]
    print("slowest pages: " + ", ".join(f"{p} {s:.1f} s" for p, s in slow))
    return 0 if (final.paths_ok == final.paths and final.identifiers_ok >= 0.95 * final.identifiers) else 1


if __name__ == "__main__":
    raise SystemExit(main())
