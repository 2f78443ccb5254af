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


# --- the name a source is indexed under (repo_name_for, the one owner) ---------------

def test_the_default_name_of_each_kind_of_source(tmp_path):
    from repowiki_gui.core.index.repositories import default_repo_name, repo_name_for

    folder = tmp_path / "my.project"
    folder.mkdir()
    assert default_repo_name(tmp_path / "My Project (1).zip") == "My-Project-1"
    assert default_repo_name(tmp_path / "requests-2.32.3.tar.gz") == "requests-2.32.3"
    assert default_repo_name(tmp_path / "pkg-1.0.TGZ") == "pkg-1.0"
    assert default_repo_name(folder) == "my.project"  # a folder keeps its whole name, dots and all
    assert default_repo_name(folder / "sub" / "..") == "my.project"
    assert repo_name_for(folder, "other") == "other"
    with pytest.raises(UserError, match="is not allowed"):
        repo_name_for(folder, "../escape")


def test_a_wiki_argument_is_a_source_only_when_it_looks_like_one(tmp_path, monkeypatch):
    from repowiki_gui.core.index.repositories import source_path

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop.tar.gz").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert source_path("shop") is None  # a name, even with a folder of that name here
    assert source_path("./shop") is not None and source_path(str(tmp_path / "shop")).is_dir()
    assert source_path("shop.tar.gz") is not None and source_path("missing.zip") is None
