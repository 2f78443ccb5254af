"""The wiki from a small repository: facts, checked prose, links that resolve, reuse, cancel, mkdocs."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from repowiki_gui.core.errors import JobCancelled
from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.sections import SectionStore
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.qa.search import search
from repowiki_gui.core.errors import UserError
from repowiki_gui.core.wiki.check import UNVERIFIED_MARK
from repowiki_gui.core.wiki.folder import SPEC_TYPES, load_manifest, page_link_target, source_link_target
from repowiki_gui.core.wiki.generation import export_wiki, generate_wiki

from helpers.fakes import FakeEmbedder, FakeGenerator
from helpers.mermaid_check import mermaid_errors
from helpers.progress_recorder import Recorder
from helpers.sample_repos import SHOPWIKI, write_zip

ALL = list(SPEC_TYPES)
REPLY = "The `Cart` class in `cart.py` keeps items; `Cart.add_item` adds one and `Cart.teleport` is invented [1]."
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCED = re.compile(r"^(`{3,}).*?^\1$", re.S | re.M)


class Env:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.embedder = FakeEmbedder()
        self.store = ChunkStore(tmp_path / "lancedb", self.embedder.dim)
        self.sections = SectionStore(tmp_path / "lancedb", self.embedder.dim)
        self.registry = RepoRegistry(tmp_path / "app.sqlite")
        self.folder = tmp_path / "wiki" / "shop"

    def index(self, files: dict[str, str]) -> None:
        z = write_zip(self.tmp / "shop.zip", files)
        index_zip(z, "shop", store=self.store, registry=self.registry, embedder=self.embedder, limits=IngestLimits())

    def wiki(self, specs=ALL, generator=None, progress=None):
        kwargs = {"progress": progress} if progress else {}
        gen = generator or FakeGenerator([REPLY] * 50)
        return generate_wiki("shop", self.folder, store=self.store, sections=self.sections, embedder=self.embedder,
                             generator=gen, specs=specs, **kwargs), gen


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    e.index(SHOPWIKI)
    return e


def pages(folder: Path) -> dict[str, str]:
    docs = folder / "docs"
    return {p.relative_to(docs).as_posix(): p.read_text() for p in docs.rglob("*.md")}


def test_the_wiki_has_every_page_and_every_link_resolves(env):
    report, gen = env.wiki()
    manifest = load_manifest(env.folder)
    listed = [p["path"] for p in manifest["pages"]]
    modules = [p for p in listed if p.startswith("modules/")]
    assert listed == ["index.md", "overview.md", "architecture.md", *modules, "api.md", "getting-started.md"]
    assert len(modules) >= 3, modules      # the dominant package is split into its parts
    found = pages(env.folder)
    assert set(listed) <= set(found) and (env.folder / "mkdocs.yml").is_file()
    for page, text in found.items():
        for href in LINK.findall(FENCED.sub("", text)):
            src = source_link_target(page, href)
            if src:
                path, start, end = src
                assert path in SHOPWIKI and 1 <= start <= end <= SHOPWIKI[path].count("\n") + 1, (page, href)
                target = (env.folder / "docs" / page).parent / href.split("#")[0]
                assert f'id="L{start}-L{end}"' in target.resolve().read_text(), (page, href)
                continue
            dest = page_link_target(page, href)
            assert dest and dest[0] in found, (page, href)
    assert report.pages == len(listed) and report.prose_generated == len(gen.prompts) > 0


def test_facts_come_from_the_code_and_sections_end_with_sources(env):
    env.wiki()
    found = pages(env.folder)
    overview, arch, api, start = (found[p] for p in ("overview.md", "architecture.md", "api.md", "getting-started.md"))
    assert "shop-cli" in overview and "shopwiki.cli:main" in overview          # console script
    assert "requests" in overview and "click" in overview                       # declared dependencies
    assert "A tiny shop: carts, payments and receipts." in overview             # README digest
    assert "def add_item(self, sku: str, qty: int=1) -> None" in api and "Put qty of sku in the cart." in api
    assert "pip install ." in start and "shop-cli" in start
    diagrams = re.findall(r"```mermaid\n(.*?)```", arch, re.S)
    assert diagrams and "-->" in diagrams[0] and mermaid_errors(diagrams) == [None]
    for page, text in found.items():
        if page.startswith("sources/") or page == "index.md":
            continue
        for section in re.split(r"\n(?=## )", FENCED.sub("", text))[1:]:
            assert "**Sources:** [" in section.strip().split("\n")[-1], (page, section[:80])


def test_model_names_are_checked_against_the_index(env):
    report, _ = env.wiki(specs=["overview"])
    overview = pages(env.folder)["overview.md"]
    assert "`Cart.add_item`" in overview and "`src/shopwiki/cart.py`" in overview   # cart.py completed
    assert "Cart.teleport" + UNVERIFIED_MARK in overview and "`Cart.teleport`" not in overview
    raw, final = report.grounding_model, report.grounding_final
    assert raw["identifiers_ok"] < raw["identifiers"]
    assert final["paths_ok"] == final["paths"] and final["identifiers_ok"] == final["identifiers"]


def test_sections_are_indexed_for_chat(env):
    env.wiki(specs=["overview", "architecture"])
    assert env.sections.count("shop") >= 5
    hits = search(env.store, env.embedder, "shop", "internal dependencies mermaid imports", k=8, sections=env.sections)
    wiki = [h for h in hits if h.kind == "wiki"]
    assert wiki and wiki[0].path in ("overview.md", "architecture.md")
    text = pages(env.folder)[wiki[0].path].split("\n")
    assert text[wiki[0].start_line - 1].startswith("## ")   # the hit's lines are the section in the page


def test_regenerating_reuses_unchanged_pages_and_prose(env):
    env.wiki()
    before = {p: (env.folder / "docs" / p).stat().st_mtime_ns for p in pages(env.folder)}
    again, gen = env.wiki()
    assert again.prose_generated == 0 and not gen.prompts and again.pages_written == 0
    assert {p: (env.folder / "docs" / p).stat().st_mtime_ns for p in pages(env.folder)} == before
    changed = dict(SHOPWIKI)
    changed["src/shopwiki/pricing.py"] = changed["src/shopwiki/pricing.py"].replace('"apple": 3', '"apple": 4, "pear": 5')
    env.index(changed)
    third, gen = env.wiki(generator=FakeGenerator(["`price_of` knows pears now [1]."] * 50))
    # sections whose retrieved sources changed: the ones that now see the pears (and any that lost them)
    assert len(gen.prompts) == third.prose_generated and any("pear" in str(p) for p in gen.prompts)
    assert 0 < third.prose_generated < again.prose_reused and third.prose_reused > 0
    after = {p: (env.folder / "docs" / p).stat().st_mtime_ns for p in pages(env.folder)}
    rewritten = {p for p in before if p in after and after[p] != before[p] and not p.startswith("sources/")}
    assert "modules/src-shopwiki-pricing-py.md" in rewritten and "modules/src-shopwiki-payments.md" not in rewritten


def test_a_cancel_leaves_the_previous_wiki_as_it_was(env):
    env.wiki(specs=["overview"])
    before = {p: t for p, t in pages(env.folder).items()}
    manifest = load_manifest(env.folder)
    with pytest.raises(JobCancelled):
        env.wiki(specs=ALL, progress=Recorder(cancel_after=8))
    assert pages(env.folder) == before and load_manifest(env.folder) == manifest
    # the prose written before the cancel is not lost: the next run reuses it
    report, _ = env.wiki(specs=ALL)
    assert report.prose_reused >= 2


def test_export_builds_with_mkdocs_strict(env, tmp_path):
    env.wiki()
    out = export_wiki(env.folder, tmp_path / "export", "shop")
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(out / "mkdocs.yml"),
                          "-d", str(site)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (site / "index.html").is_file() and (site / "architecture.html").is_file() or (site / "architecture" / "index.html").is_file()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        export_wiki(env.folder, tmp_path / "busy", "shop")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
    export_wiki(env.folder, out, "shop")  # an earlier export of the same repository is replaced


def test_a_repository_without_code_still_gets_a_wiki_that_builds(tmp_path):
    e = Env(tmp_path)
    e.index({"README.md": "# Notes\n\nA collection of notes about <b>gardening</b>.\n",
             "docs/soil.md": "# Soil\n\nClay holds water.\n"})
    report, _ = e.wiki()
    found = pages(e.folder)
    assert {"overview.md", "architecture.md", "api.md", "getting-started.md"} <= set(found)
    assert "<b>" not in found["index.md"] and "notes about gardening" in found["index.md"]
    diagrams = re.findall(r"```mermaid\n(.*?)```", found["architecture.md"], re.S)
    assert mermaid_errors(diagrams) == [None] * len(diagrams)
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(e.folder / "mkdocs.yml"),
                          "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
