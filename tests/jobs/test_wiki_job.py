"""The wiki end to end: the CLI, the specs job on a real bulk worker, the ONNX embedder and the bundled GGUF."""
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pathspec
import pytest

from helpers.mermaid_check import mermaid_errors
from helpers.processes import run_cli
from helpers.sample_repos import SHOPWIKI, write_zip
from helpers.waiting import wait_until


def pathspec_zip(tmp_path: Path) -> Path:
    """A real small repository: the installed pathspec package, with its README from the package metadata."""
    src = Path(pathspec.__file__).parent
    meta = next(src.parent.glob("pathspec-*.dist-info")) / "METADATA"
    readme = meta.read_text().split("\n\n", 1)[1]
    path = tmp_path / "pathspec.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pathspec-main/README.rst", readme)
        for f in sorted(src.rglob("*.py")):
            zf.write(f, f"pathspec-main/{f.relative_to(src.parent).as_posix()}")
    return path


@pytest.mark.timeout(1500)  # ~15 sections of prose by the real model: minutes on a busy 2-core machine
def test_wiki_of_a_real_repository_exports_a_site_that_builds_strict(home, tmp_path):
    out = tmp_path / "export"
    run = run_cli("wiki", str(pathspec_zip(tmp_path)), "--spec", "all", "--out", str(out), "--json",
                  home=home, timeout=900)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout[run.stdout.index("{"):])
    assert report["repo"] == "pathspec" and report["exported_to"] == str(out)
    assert report["prose_generated"] > 3 and report["pages"] >= 6
    g = report["grounding_final"]
    assert g["paths_ok"] == g["paths"] and g["identifiers_ok"] >= 0.95 * g["identifiers"]
    docs = out / "docs"
    arch = (docs / "architecture.md").read_text()
    diagrams = re.findall(r"```mermaid\n(.*?)```", arch, re.S)
    assert diagrams and mermaid_errors(diagrams) == [None] * len(diagrams)
    site = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(out / "mkdocs.yml"),
                            "-d", str(site)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    assert (site / "api" / "index.html").is_file() and any((site / "modules").rglob("index.html"))

    # chat retrieval cites the wiki's sections
    search = run_cli("search", "pathspec", "what is this repository for", "-k", "10",
                     "--json", home=home, timeout=300)
    assert search.returncode == 0, search.stderr
    kinds = {r["kind"] for r in json.loads(search.stdout)["references"]}
    assert "wiki" in kinds and "code" in kinds

    # a second run re-indexes (nothing changed) and reuses every page and every paragraph; its HTML site
    # holds the same pages, diagrams drawn by the mermaid.min.js beside them
    html_site = tmp_path / "html"
    again = run_cli("wiki", "pathspec", "--json", "--export-html", str(html_site), home=home, timeout=600)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout[again.stdout.index("{"):])
    assert second["prose_generated"] == 0 and second["pages_written"] == 0
    assert second["prose_reused"] == report["prose_generated"] and second["specs"] == report["specs"]
    assert second["html_exported_to"] == str(html_site)
    assert len(list(html_site.rglob("*.html"))) == len(list(docs.rglob("*.md"))) + 1   # and search.html
    assert '<div class="diagram" data-kind="' in (html_site / "architecture.html").read_text()
    assert (html_site / "assets" / "mermaid.min.js").is_file()


def test_wiki_of_an_unknown_repository_is_a_clear_error(home):
    run = run_cli("wiki", "nothing-here", home=home, timeout=300)
    assert run.returncode == 1 and "no indexed repository named 'nothing-here'" in run.stderr
    bad = run_cli("wiki", "x", "--spec", "novel", home=home, timeout=60)
    assert bad.returncode != 0 and "no wiki spec type 'novel'" in bad.stderr
    busy = home.parent / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    taken = run_cli("wiki", "x", "--export-html", str(busy), home=home, timeout=60)   # refused before any job
    assert taken.returncode == 1 and "is not empty and is not an earlier HTML export of x" in taken.stderr
    assert (busy / "notes.txt").read_text() == "mine"


@pytest.mark.timeout(900)
def test_cancelling_a_wiki_job_keeps_the_previous_wiki(service, home, tmp_path):
    from repowiki_gui.core.datadir import wiki_dir

    zip_path = write_zip(tmp_path / "shop.zip", SHOPWIKI)
    first = service.enqueue("specs_v2.generate_specs_with_index", str(zip_path), ["overview"], None)
    assert service.wait(first, timeout_s=600)["state"] == "finished"
    folder = wiki_dir(home, "shop")
    def pages():  # cache.json may gain the prose written before the cancel: that is kept on purpose
        return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "cache.json"}

    before = pages()
    job = service.enqueue("specs_v2.generate_specs_with_index", "shop", ["all"], None)
    wait_until(lambda: (service.status(job).get("progress") or {}).get("stage") == "page", timeout_s=300,
               what="the wiki job writing pages")
    service.cancel(job)
    final = service.wait(job, timeout_s=60)
    assert final["state"] in ("stopped", "canceled", "failed")
    assert pages() == before


@pytest.mark.timeout(1500)
def test_a_reindex_marks_the_sections_over_changed_lines_and_the_next_wiki_rewrites_them(service, home, tmp_path):
    from repowiki_gui.core.datadir import wiki_dir
    from repowiki_gui.core.wiki.stale import load_stamps

    zip_path = write_zip(tmp_path / "shop.zip", SHOPWIKI)
    first = service.enqueue("specs_v2.generate_specs_with_index", str(zip_path), ["overview"], None)
    assert service.wait(first, timeout_s=900)["state"] == "finished"
    fresh = run_cli("wiki", "shop", "--check", home=home, timeout=120)
    assert fresh.returncode == 0 and "wiki of shop: fresh" in fresh.stdout, fresh.stderr

    # change one line that a written section cites
    stamps = load_stamps(wiki_dir(home, "shop"), "shop")
    written = {k: s for k, s in stamps.items() if s.prose_key}
    target = next(iter(written.values())).prose_sources[0]
    lines = SHOPWIKI[target.path].split("\n")
    lines[target.start_line - 1] += "  # changed"
    write_zip(zip_path, dict(SHOPWIKI, **{target.path: "\n".join(lines)}))
    indexed = run_cli("index", str(zip_path), home=home, timeout=300)
    assert indexed.returncode == 0 and "1 changed" in indexed.stdout, indexed.stderr

    check = run_cli("wiki", "shop", "--check", "--json", home=home, timeout=120)
    assert check.returncode == 3, check.stderr
    report = json.loads(check.stdout)
    stale = {(s["page"], s["title"]) for s in report["stale"]}
    assert report["fresh"] is False and stale
    assert all(c["path"] == target.path for s in report["stale"] for c in s["changed"])
    assert any(all(s.path != target.path for s in st.cited) for st in stamps.values()), "every section cites it"
    text = run_cli("wiki", "shop", "--check", home=home, timeout=120)
    assert text.returncode == 3 and f"{len(stale)} stale sections" in text.stdout

    again = service.enqueue("specs_v2.generate_specs_with_index", "shop", ["overview"], None)
    final = service.wait(again, timeout_s=900)
    assert final["state"] == "finished"
    assert final["result"]["prose_generated"] == len(stale & set(written))
    assert final["result"]["prose_reused"] == len(set(written) - stale)
    after = run_cli("wiki", "shop", "--check", home=home, timeout=120)
    assert after.returncode == 0 and "fresh" in after.stdout
