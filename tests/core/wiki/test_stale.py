"""Stale sections: cited lines stamped at generation, compared with the index, and rewritten next time."""
import re
from pathlib import Path

import pytest

from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.sections import SectionStore
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.span import Span
from repowiki_gui.core.wiki.folder import CITED, SPEC_TYPES
from repowiki_gui.core.wiki.generation import generate_wiki
from repowiki_gui.core.wiki.stale import load_stamps, save_stamps, stale_sections, stamp

from helpers.fakes import FakeEmbedder, FakeGenerator
from helpers.sample_repos import SHOPWIKI, write_zip

CODE = "\n".join(f"line {n}" for n in range(1, 21))
REPLY = "The `Cart` class in `cart.py` keeps items [1]."


class Env:
    """The shop repository indexed with the fake embedder, and its wiki written by a fake model."""

    def __init__(self, tmp_path: Path):
        self.tmp, self.embedder = tmp_path, FakeEmbedder()
        self.store = ChunkStore(tmp_path / "lancedb", self.embedder.dim)
        self.sections = SectionStore(tmp_path / "lancedb", self.embedder.dim)
        self.registry = RepoRegistry(tmp_path / "app.sqlite")
        self.folder = tmp_path / "wiki" / "shop"

    def index(self, files: dict[str, str]) -> None:
        index_zip(write_zip(self.tmp / "shop.zip", files), "shop", store=self.store, registry=self.registry,
                  embedder=self.embedder, limits=IngestLimits())

    def wiki(self, specs=tuple(SPEC_TYPES), generator=None):
        gen = generator or FakeGenerator([REPLY] * 50)
        return generate_wiki("shop", self.folder, store=self.store, sections=self.sections, embedder=self.embedder,
                             generator=gen, specs=list(specs)), gen


def pages(folder: Path) -> dict[str, str]:
    docs = folder / "docs"
    return {p.relative_to(docs).as_posix(): p.read_text() for p in docs.rglob("*.md")}


def test_a_change_inside_a_cited_range_is_stale_outside_it_fresh_and_a_removed_file_stale(tmp_path):
    cited = [Span("a.py", 5, 8), Span("b.py", 1, 3)]
    save_stamps(tmp_path, "r", [stamp("p.md", "Purpose", cited, {"a.py": CODE, "b.py": CODE})])
    assert stale_sections(tmp_path, "r", {"a.py": CODE, "b.py": CODE}) == []

    outside = CODE.replace("line 12", "line twelve")
    assert stale_sections(tmp_path, "r", {"a.py": outside, "b.py": outside}) == []

    inside = CODE.replace("line 6", "line six")
    [section] = stale_sections(tmp_path, "r", {"a.py": inside, "b.py": CODE})
    assert (section.page, section.title, section.changed) == ("p.md", "Purpose", (Span("a.py", 5, 8),))
    assert section.to_json()["changed"] == [{"path": "a.py", "start_line": 5, "end_line": 8}]

    [gone] = stale_sections(tmp_path, "r", {"a.py": CODE})
    assert gone.changed == (Span("b.py", 1, 3),)
    # a file cut short before the range's end: fewer lines, another hash
    assert stale_sections(tmp_path, "r", {"a.py": "\n".join(CODE.split("\n")[:6]), "b.py": CODE})


def test_stamps_of_another_repository_or_unreadable_ones_mark_nothing(tmp_path):
    save_stamps(tmp_path, "r", [stamp("p.md", "Purpose", [Span("a.py", 1, 2)], {"a.py": CODE})])
    assert stale_sections(tmp_path, "other", {}) == [] and load_stamps(tmp_path, "other") == {}
    (tmp_path / CITED).write_text("{not json")
    assert stale_sections(tmp_path, "r", {}) == []


def _prose_sections(folder) -> dict[tuple[str, str], str]:
    """(page, heading) -> the section's markdown, of every page of the wiki."""
    found = {}
    for page, text in pages(folder).items():
        for block in text.split("\n## ")[1:]:
            heading, _, body = block.partition("\n")
            found[(page, heading)] = body
    return found


def _heading(title: str) -> str:
    return re.sub(r"([\[\]|*_`<>\\])", r"\\\1", title)


def test_the_next_generation_rewrites_exactly_the_stale_sections(tmp_path):
    env = Env(tmp_path)
    env.index(SHOPWIKI)
    first, _ = env.wiki()
    files = env.store.repo_texts("shop")
    assert stale_sections(env.folder, "shop", files) == []
    stamps = load_stamps(env.folder, "shop")
    assert len(stamps) == first.sections and all(s.cited for s in stamps.values() if s.prose_key)

    changed = dict(SHOPWIKI)
    changed["src/shopwiki/pricing.py"] = changed["src/shopwiki/pricing.py"].replace('"apple": 3', '"apple": 4')
    env.index(changed)
    stale = stale_sections(env.folder, "shop", env.store.repo_texts("shop"))
    assert stale and all(all(s.path == "src/shopwiki/pricing.py" for s in x.changed) for x in stale)
    with_prose = {(x.page, x.title) for x in stale if stamps[(x.page, x.title)].prose_key}
    fresh_prose = {k for k, s in stamps.items() if s.prose_key} - with_prose
    assert with_prose and fresh_prose

    replies = [f"Rewritten {n}: `price_of` [1]." for n in range(50)]
    second, gen = env.wiki(generator=FakeGenerator(replies))
    assert second.prose_generated == len(gen.prompts) == len(with_prose)
    assert second.prose_reused == len(fresh_prose)
    sections = _prose_sections(env.folder)
    rewritten = {(p, t) for (p, t), s in stamps.items() if "Rewritten" in sections[(p, _heading(t))]}
    assert rewritten == with_prose
    assert all(REPLY.split()[0] in sections[(p, _heading(t))] for p, t in fresh_prose)
    assert stale_sections(env.folder, "shop", env.store.repo_texts("shop")) == []

    # unchanged again: nothing is stale and the model is not asked
    third, gen = env.wiki()
    assert third.prose_generated == 0 and not gen.prompts


def test_a_stale_section_is_rewritten_even_when_its_retrieved_sources_read_the_same(tmp_path):
    env = Env(tmp_path)
    env.index(SHOPWIKI)
    env.wiki(specs=["overview"])
    stamps = load_stamps(env.folder, "shop")
    page, title = next(k for k, s in stamps.items() if s.prose_key)
    target = stamps[(page, title)]
    # forge the stamp of one cited range, as if its code had been different when the wiki was written
    first = next(iter(target.prose_sources))
    target.cited[first] = "0" * 64
    save_stamps(env.folder, "shop", list(stamps.values()))
    [stale] = stale_sections(env.folder, "shop", env.store.repo_texts("shop"))
    assert (stale.page, stale.title) == (page, title)
    again, gen = env.wiki(specs=["overview"], generator=FakeGenerator(["Rewritten once [1]."] * 5))
    assert again.prose_generated == 1 == len(gen.prompts)
    assert "Rewritten once" in _prose_sections(env.folder)[(page, _heading(title))]


def test_check_wiki_reads_the_data_dir_and_repowiki_wiki_check_lists_the_stale_sections(tmp_path, capsys):
    from repowiki_gui.cli import main
    from repowiki_gui.core.datadir import lancedb_dir, wiki_dir
    from repowiki_gui.core.errors import UserError
    from repowiki_gui.core.models.embedder import DIM
    from repowiki_gui.core.wiki.stale import check_wiki

    home = tmp_path / "home"
    env = Env(tmp_path)
    env.embedder = FakeEmbedder(dim=DIM)
    env.store = ChunkStore(lancedb_dir(home), DIM)
    env.sections = SectionStore(lancedb_dir(home), DIM)
    env.folder = wiki_dir(home, "shop")
    env.index(SHOPWIKI)
    with pytest.raises(UserError, match="has no wiki yet"):
        check_wiki(home, "shop")
    env.wiki(specs=["overview", "modules"])
    assert check_wiki(home, "shop")[1] == []
    assert main(["--home", str(home), "wiki", "shop", "--check"]) == 0
    assert "wiki of shop: fresh" in capsys.readouterr().out

    changed = dict(SHOPWIKI)
    changed["src/shopwiki/pricing.py"] = changed["src/shopwiki/pricing.py"].replace('"apple": 3', '"apple": 4')
    env.index(changed)
    stale = check_wiki(home, "shop")[1]
    assert stale
    assert main(["--home", str(home), "wiki", "shop", "--check"]) == 3
    out = capsys.readouterr().out
    assert f"{len(stale)} stale sections" in out
    assert all(f"  {s.page}: {s.title}: src/shopwiki/pricing.py:" in out for s in stale)
    assert main(["--home", str(home), "wiki", "shop", "--check", "--out", str(tmp_path / "x")]) == 1
    assert "--check only reads the wiki" in capsys.readouterr().err


def test_stale_titles_reads_only_the_files_a_page_cites(tmp_path):
    from repowiki_gui.core.wiki.stale import stale_titles

    files = {"a.py": CODE, "b.py": CODE}
    save_stamps(tmp_path, "r", [stamp("p.md", "One", [Span("a.py", 1, 2)], files),
                                stamp("p.md", "Two", [Span("b.py", 1, 2)], files),
                                stamp("q.md", "Three", [Span("a.py", 1, 2)], files)])
    asked = []

    def now(path):
        asked.append(path)
        return {"a.py": CODE.replace("line 2", "two")}.get(path)   # b.py is gone
    assert stale_titles(tmp_path, "r", "p.md", now) == {"One", "Two"}
    assert sorted(asked) == ["a.py", "b.py"]
    assert stale_titles(tmp_path, "r", "other.md", now) == frozenset()
