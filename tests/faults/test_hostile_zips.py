"""Issue 7, point 2: every hostile or broken ZIP is one clear sentence or a correct index.

Issue 15, point 3: so is every hostile or broken ``.tar.gz`` (``hostile_tarballs.py``),
under the same rules and the same checks.

The whole corpus (``hostile_zips.py``) goes through ``core.index.indexer.index_zip``
with the real ONNX embedder and a real LanceDB, against a repository that is
already indexed: a failing case must leave it searchable with the same chunks,
and no case may write anything outside the data dir (an audit hook sees every
write Python makes; a snapshot of the tmp tree sees the rest). A handful goes
through the real ``repowiki index`` command: Redis, a bulk worker, the job.
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from repowiki_gui.core.errors import ArchiveError, UserError
from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.core.qa.search import search
from repowiki_gui.settings import prepare_home

from helpers import hostile_tarballs
from helpers.disk_audit import no_disk_writes
from helpers.processes import run_cli
from helpers.hostile_zips import (
    ABSOLUTE_TARGET,
    BY_NAME,
    CASES,
    ESCAPE_NAME,
    build,
    build_corpus,
    marker_path,
)
from helpers.sample_repos import SHOP_FILES

VICTIM = "victim"  # the repository every failing case tries to replace
QUESTION = "how is the webhook signature verified?"
ANSWER_PATH = "src/shop/payment.py"


def shop_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in SHOP_FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    return path


def tree(root: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (but ``skip``) with its size and mtime."""
    found = {}
    for path in root.rglob("*"):
        if skip is not None and path.is_relative_to(skip):
            continue
        if path.is_file():
            st = path.stat()
            found[str(path)] = (st.st_size, st.st_mtime_ns)
    return found


def assert_one_sentence(message: str, phrase: str) -> None:
    assert phrase in message, message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message, message
    assert not re.search(r"[.;:]\s+[A-Z][a-z]", message), f"more than one sentence: {message}"


def assert_nothing_escaped(*roots: Path) -> None:
    """No file from a traversal entry anywhere it could have landed, and no bait ever ran."""
    assert not Path(ABSOLUTE_TARGET).exists()
    for root in roots:
        for up in (root, *list(root.parents)[:3]):
            assert not (up / ESCAPE_NAME).exists(), up
        assert not list(root.rglob(ESCAPE_NAME))
        assert not list(root.rglob(marker_path(Path()).name))


def written_paths(writes) -> list[str]:
    """The file paths named by the audit events an index run made."""
    paths = []
    for _event, args in writes:
        paths += [os.fsdecode(a) for a in args if isinstance(a, (str, bytes, os.PathLike))]
    return paths


ALL_CASES = (*CASES, *hostile_tarballs.CASES)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("corpus")
    return root, {**build_corpus(root), **hostile_tarballs.build_corpus(root / "tar")}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A data dir holding the shop repository as ``victim``, indexed with the real model."""
    base = tmp_path_factory.mktemp("index")
    home = prepare_home(base / "home")
    embedder = OnnxEmbedder(threads=2, batch_size=16)
    store = ChunkStore(home / "lancedb", embedder.dim)
    registry = RepoRegistry(home / "app.sqlite")

    def run(zip_path: Path, repo: str):
        return index_zip(zip_path, repo, store=store, registry=registry, embedder=embedder, limits=IngestLimits())

    run(shop_zip(base / "shop.zip"), VICTIM)
    before = (store.count(VICTIM), search(store, embedder, VICTIM, QUESTION, k=3)[0].path)
    assert before[0] > 0 and before[1] == ANSWER_PATH
    return home, store, registry, embedder, run, before


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 20 and len(BY_NAME) == len(CASES)
    assert sum(c.expect == "error" for c in CASES) >= 20
    for topic in ("traversal", "drive", "unc", "symlink", "hard_link", "nested", "bomb_ratio", "bomb_count",
                  "encrypted", "truncated", "tar_gz", "zero_byte", "non_utf8", "duplicate", "huge_single_line",
                  "binary_as_text"):
        assert any(topic in c.name for c in CASES), topic


def test_the_tarball_corpus_covers_the_zip_rules():
    names = set(hostile_tarballs.BY_NAME)
    assert not names & set(BY_NAME) and sum(c.expect == "error" for c in hostile_tarballs.CASES) >= 15
    for topic in ("traversal", "absolute", "symlink", "hard_link", "device", "fifo", "gzip_bomb", "huge_member",
                  "many_members", "duplicate", "truncated", "pax_bomb"):
        assert any(topic in name for name in names), topic


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_each_case_through_the_indexer(case, corpus, indexed):
    _root, files = corpus
    home, store, registry, embedder, run, before = indexed
    base = home.parent.parent  # tmp_path_factory's base: corpus, index and every other tmp dir
    outside = tree(base, skip=home)
    lance_version = store.table().version
    with no_disk_writes() as writes:
        if case.expect == "error":
            with pytest.raises(ArchiveError) as caught:
                run(files[case.name], VICTIM)
        else:
            report = run(files[case.name], case.name)

    if case.expect == "error":
        assert isinstance(caught.value, UserError)  # never retried
        assert_one_sentence(str(caught.value), case.error)
        assert writes == []  # a failing case writes nothing at all
        assert store.table().version == lance_version
    else:
        allowed = (home / "lancedb", home / "tmp", home / "app.sqlite")
        assert all(any(p.startswith(str(a)) for a in allowed) for p in written_paths(writes)), writes
        assert tuple(sorted(registry.file_manifest(case.name))) == case.paths
        assert report.files == len(case.paths) and store.count(case.name) > 0
        if case.skipped:
            assert report.skipped == case.skipped
    # the previous index of the victim is untouched and still answers
    assert (store.count(VICTIM), search(store, embedder, VICTIM, QUESTION, k=3)[0].path) == before
    assert tree(base, skip=home) == outside
    assert not list((home / "tmp").iterdir())
    assert_nothing_escaped(base, home)


# The real job path: `repowiki index` starts Redis and a bulk worker, the job runs in a forked
# work horse. One error of each family, and the nested ZIP that must index without unpacking.
CLI_ERRORS = ("traversal_backslash", "bomb_ratio", "symlink", "encrypted")
CLI_TAR_ERRORS = ("tar_traversal", "tar_gzip_bomb")


@pytest.mark.timeout(900)
def test_a_handful_through_the_command_line(home, tmp_path):
    victim = run_cli("index", str(shop_zip(tmp_path / "shop.zip")), "--name", VICTIM, home=home, timeout=300)
    assert victim.returncode == 0, victim.stderr
    repos = {r["name"]: r for r in json.loads(run_cli("repos", "--json", home=home).stdout)}
    chunks = repos[VICTIM]["chunks"]
    files = {name: build(BY_NAME[name], tmp_path / "corpus") for name in (*CLI_ERRORS, "nested_zip")}
    files |= {name: hostile_tarballs.build(hostile_tarballs.BY_NAME[name], tmp_path / "corpus")
              for name in CLI_TAR_ERRORS}
    outside = tree(tmp_path, skip=home)

    for name in (*CLI_ERRORS, *CLI_TAR_ERRORS):
        result = run_cli("index", str(files[name]), "--name", VICTIM, home=home, timeout=300)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        message = result.stderr.strip()
        assert message.startswith("repowiki: "), message
        case = BY_NAME.get(name) or hostile_tarballs.BY_NAME[name]
        assert_one_sentence(message.removeprefix("repowiki: "), case.error)

    nested = run_cli("index", str(files["nested_zip"]), "--name", "nested", home=home, timeout=300)
    assert nested.returncode == 0, nested.stderr
    repos = {r["name"]: r for r in json.loads(run_cli("repos", "--json", home=home).stdout)}
    assert repos[VICTIM]["chunks"] == chunks
    assert repos["nested"]["files"] == len(BY_NAME["nested_zip"].paths)
    assert repos["nested"]["skipped"] == BY_NAME["nested_zip"].skipped
    found = json.loads(run_cli("search", VICTIM, QUESTION, "--json", home=home).stdout)
    assert found["references"][0]["path"] == ANSWER_PATH

    assert tree(tmp_path, skip=home) == outside
    assert not list((home / "tmp").iterdir())
    assert_nothing_escaped(tmp_path)
