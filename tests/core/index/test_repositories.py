"""Removing a repository: one core function for the window and the CLI, over real LanceDB and SQLite."""
import pytest

from repowiki_gui.core.datadir import index_lock, run_dir, wiki_dir
from repowiki_gui.core.errors import UserError
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.fsutil import file_lock
from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.progress import NullProgress
from repowiki_gui.core.index.repositories import RepoRegistry, remove_repository
from repowiki_gui.core.index.store import ChunkStore

from helpers.demo_repo import APP, UTIL, make_zip, rows
from helpers.fakes import FakeEmbedder

DIM = FakeEmbedder().dim


@pytest.fixture
def two_repos(tmp_path):
    """``demo`` and ``other`` indexed in the data dir ``tmp_path``, ``demo`` with a wiki page."""
    embedder = FakeEmbedder()
    store = ChunkStore(tmp_path / "lancedb", embedder.dim)
    registry = RepoRegistry(tmp_path / "app.sqlite")
    for repo, files in (("demo", {"src/app.py": APP}), ("other", {"src/util.py": UTIL})):
        index_zip(make_zip(tmp_path / f"{repo}.zip", files), repo, store=store, registry=registry,
                  embedder=embedder, limits=IngestLimits(), progress=NullProgress())
    page = wiki_dir(tmp_path, "demo") / "docs" / "index.md"
    page.parent.mkdir(parents=True)
    page.write_text("# demo\n")
    return tmp_path, store, registry


def test_remove_deletes_the_index_the_wiki_and_the_row_and_nothing_of_another(two_repos):
    home, store, registry = two_repos
    assert rows(store, "demo") and rows(store, "other")
    remove_repository(home, "demo", DIM)
    store = ChunkStore(home / "lancedb", DIM)  # a table handle stays at the version it opened
    assert rows(store, "demo") == [] and registry.get("demo") is None
    assert not wiki_dir(home, "demo").exists()
    assert rows(store, "other") and registry.get("other") is not None


def test_remove_of_an_unknown_repository_is_one_sentence(two_repos):
    home, _, _ = two_repos
    with pytest.raises(UserError, match="There is no indexed repository named 'nope'"):
        remove_repository(home, "nope", DIM)
    with pytest.raises(UserError, match="is not allowed"):
        remove_repository(home, "../demo")


def test_remove_is_refused_while_a_job_holds_the_repository_and_loses_nothing(two_repos):
    home, store, registry = two_repos
    run_dir(home).mkdir(exist_ok=True)
    before = len(rows(store, "demo"))
    with file_lock(index_lock(home, "demo")):  # what an index or wiki job holds while it writes
        with pytest.raises(UserError, match="demo is being indexed or its wiki written"):
            remove_repository(home, "demo", DIM)
    assert len(rows(store, "demo")) == before and registry.get("demo") is not None
    assert wiki_dir(home, "demo").exists()
    remove_repository(home, "demo", DIM)  # once the job is done, it goes
    assert registry.get("demo") is None
