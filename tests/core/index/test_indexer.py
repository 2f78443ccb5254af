"""Indexing into real LanceDB on a temp dir, with the fake embedder (the real one has its own tests)."""
import base64
import threading

import numpy as np
import pytest

from repowiki_gui.core.errors import ArchiveError, JobCancelled
from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.progress import NullProgress
from repowiki_gui.core.qa.search import search

from helpers.demo_repo import APP, README, UTIL, make_zip, rows
from helpers.fakes import FakeEmbedder


@pytest.fixture
def env(tmp_path):
    embedder = FakeEmbedder()
    store = ChunkStore(tmp_path / "lancedb", embedder.dim)
    registry = RepoRegistry(tmp_path / "app.sqlite")

    def run(zip_path, repo="demo", progress=NullProgress()):
        return index_zip(zip_path, repo, store=store, registry=registry, embedder=embedder,
                         limits=IngestLimits(), progress=progress)

    return embedder, store, registry, run


def test_first_index_writes_chunks_with_their_fields(env, tmp_path):
    embedder, store, registry, run = env
    report = run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "src/util.py": UTIL, "README.md": README,
                                                "node_modules/x/index.js": "x"}))
    assert report.files == 3 and report.skipped.get("vendored") == 1
    got = rows(store)
    assert len(got) == report.chunks > 3
    by_symbol = {r["symbol"]: r for r in got}
    assert any("parse_config" in s for s in by_symbol)
    row = next(r for r in got if "parse_config" in r["symbol"])
    assert row["path"] == "src/app.py" and row["language"] == "python"
    assert APP.split("\n")[row["start_line"] - 1].startswith("def parse_config")
    assert len(row["vector"]) == embedder.dim and len(row["content_hash"]) == 64
    repo = registry.get("demo")
    assert repo.files == 3 and repo.chunks == report.chunks and repo.languages["python"] == 2
    assert len(repo.zip_sha256) == 64


def test_full_text_index_splits_identifiers(env, tmp_path):
    _, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "src/util.py": UTIL}))
    hits = store.table().search("parse config", query_type="fts").limit(5).to_list()
    assert hits and "parse_config" in hits[0]["symbol"]
    store.table()  # camelCase too
    run(make_zip(tmp_path / "b.zip", {"lib.js": "function getUserName(user) {\n  return user.name;\n}\n"}),
        repo="js")
    hits = store.table().search("user name", query_type="fts").where("repo = 'js'").limit(5).to_list()
    assert hits and hits[0]["symbol"] == "getUserName"


def test_unchanged_zip_writes_and_embeds_nothing(env, tmp_path):
    embedder, store, _, run = env
    zip_path = make_zip(tmp_path / "a.zip", {"src/app.py": APP, "src/util.py": UTIL})
    run(zip_path)
    version, calls = store.table().version, len(embedder.calls)
    report = run(zip_path)
    assert report.unchanged and report.embedded == 0 and report.changed_files == 0
    assert store.table().version == version and len(embedder.calls) == calls


def test_reindex_touches_only_changed_added_and_removed_files(env, tmp_path):
    embedder, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "src/util.py": UTIL, "README.md": README}))
    before = {r["chunk_id"]: r for r in rows(store)}
    edited = APP.replace('return f"bye {name}"', 'return f"goodbye {name}"')
    report = run(make_zip(tmp_path / "b.zip", {"src/app.py": edited, "README.md": README,
                                                "src/new.py": "def fresh():\n    return 1\n"}))
    assert report.changed_files == 2 and report.removed_files == 1
    after = rows(store)
    paths = {r["path"] for r in after}
    assert "src/util.py" not in paths and "src/new.py" in paths
    readme_before = {k for k, r in before.items() if r["path"] == "README.md"}
    assert readme_before <= {r["chunk_id"] for r in after}  # untouched rows keep their ids
    # chunks of the edited file whose text did not change reuse their vectors
    assert report.reused_vectors >= 1 and report.embedded >= 2
    assert any("goodbye" in r["text"] for r in after) and not any('"bye' in r["text"] for r in after)


def test_a_bad_zip_leaves_the_previous_index_searchable(env, tmp_path):
    _, store, registry, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP}))
    version, count = store.table().version, store.count("demo")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(ArchiveError):
        run(bad)
    assert store.table().version == version and store.count("demo") == count
    assert registry.get("demo").files == 1


def test_a_cancel_before_the_write_commits_nothing(env, tmp_path):
    _, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP}))
    version = store.table().version

    class CancelAtEmbed(NullProgress):
        def update(self, stage, *a, **k):
            self.stage = stage

        def check(self):
            if getattr(self, "stage", "") == "embed":
                raise JobCancelled("Cancelled by the user.")

    with pytest.raises(JobCancelled):
        run(make_zip(tmp_path / "b.zip", {"src/app.py": APP + "\n\ndef extra():\n    return 2\n"}),
            progress=CancelAtEmbed())
    assert store.table().version == version


def test_a_reader_sees_the_old_or_the_new_index_never_a_mix(env, tmp_path):
    _, store, _, run = env
    old = {f"src/m{i}.py": f"def f{i}():\n    return {i}\n" for i in range(30)}
    run(make_zip(tmp_path / "a.zip", old))
    old_count = store.count("demo")
    new = {f"src/n{i}.py": f"def g{i}(x):\n    return x * {i}\n" for i in range(45)}
    seen, stop = set(), threading.Event()
    reader = ChunkStore(store.db_dir, store.dim)

    def read():
        while not stop.is_set():
            reader._table = None  # a fresh open, like another process
            seen.add(reader.count("demo"))

    t = threading.Thread(target=read)
    t.start()
    try:
        run(make_zip(tmp_path / "b.zip", new))
    finally:
        stop.set()
        t.join()
    new_count = store.count("demo")
    assert old_count != new_count
    assert seen <= {old_count, new_count}, seen


def test_vectors_match_what_the_embedder_makes(env, tmp_path):
    embedder, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/util.py": UTIL}))
    row = rows(store)[0]
    from repowiki_gui.core.index.chunking import chunk_file

    chunk = chunk_file("src/util.py", "python", UTIL, embedder.count_tokens, embedder.max_tokens)[0]
    assert np.allclose(row["vector"], embedder.embed([chunk.embed_text])[0])


def test_files_without_chunks_do_not_make_an_unchanged_zip_look_changed(env, tmp_path):
    embedder, store, _, run = env
    zip_path = make_zip(tmp_path / "a.zip", {"src/__init__.py": "", "src/app.py": APP})
    first = run(zip_path)
    assert first.files == 2
    report = run(zip_path)
    assert report.unchanged and report.changed_files == 0


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")
def test_old_table_versions_are_cleaned(env, tmp_path):
    from datetime import timedelta

    _, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP}))
    run(make_zip(tmp_path / "b.zip", {"src/app.py": APP + "\n\ndef more():\n    return 3\n"}))
    assert len(store.table().list_versions()) > 2
    count = store.count("demo")
    store.cleanup_versions(timedelta(seconds=0))  # no other reader here, so "all but the latest" is safe
    assert len(store.table().list_versions()) == 1 and store.count("demo") == count


def test_a_file_comes_back_from_its_chunks(env, tmp_path):
    _, store, _, run = env
    run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "README.md": README}))
    assert store.file_text("demo", "src/app.py") == APP.rstrip("\n")
    assert store.file_text("demo", "README.md") == README.rstrip("\n")
    assert store.file_text("demo", "nope.py") is None


LICENCE = '''# Copyright (c) 2024 The Demo Authors. All rights reserved.
# Licensed under the Apache License, Version 2.0 (the "License"); you may not use
# this file except in compliance with the License.
'''
BLOB = "\n".join(base64.b64encode(bytes((i * 37 + j) % 256 for j in range(57))).decode() for i in range(10))


def test_identical_chunk_texts_are_embedded_once_and_each_copy_is_found_by_vector(env, tmp_path):
    embedder, store, _, run = env
    report = run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "copy/app.py": APP, "src/util.py": UTIL}))
    got = rows(store)
    copies = {p: [r for r in got if r["path"] == p] for p in ("src/app.py", "copy/app.py")}
    assert report.chunks == len(got) and len(copies["src/app.py"]) == len(copies["copy/app.py"]) > 1
    assert report.embedded == len(got) - len(copies["copy/app.py"]) == sum(embedder.calls)
    assert report.reused_vectors == len(copies["copy/app.py"])
    for a, b in zip(*copies.values()):
        assert a["text"] == b["text"] and np.array_equal(a["vector"], b["vector"]) and np.asarray(a["vector"]).any()
    hits = search(store, embedder, "demo", "parse_config path read", k=10, mode="vector")
    assert {"src/app.py", "copy/app.py"} <= {h.path for h in hits}


def test_a_data_chunk_gets_no_vector_and_is_found_by_full_text(env, tmp_path):
    embedder, store, _, run = env
    report = run(make_zip(tmp_path / "a.zip", {"src/app.py": APP, "assets/logo.b64": BLOB}))
    blob_rows = [r for r in rows(store) if r["path"] == "assets/logo.b64"]
    assert blob_rows and report.data_chunks == len(blob_rows)
    assert all(not np.asarray(r["vector"]).any() for r in blob_rows)
    assert report.embedded == len(rows(store)) - len(blob_rows) == sum(embedder.calls)
    token = BLOB.split("\n")[3]
    assert "assets/logo.b64" not in {h.path for h in search(store, embedder, "demo", token, k=20, mode="vector")}
    assert [h.path for h in search(store, embedder, "demo", token, k=3, mode="fts")][:1] == ["assets/logo.b64"]
    assert "assets/logo.b64" in {h.path for h in search(store, embedder, "demo", token, k=5)}


def test_a_stored_zero_vector_is_not_reused_for_text_that_is_not_data(env, tmp_path):
    embedder, store, _, run = env
    zip_path = make_zip(tmp_path / "a.zip", {"src/app.py": APP})
    run(zip_path)
    row = rows(store)[0]
    store.table().update(where=f"chunk_id = '{row['chunk_id']}'", values={"vector": [0.0] * embedder.dim})
    before = sum(embedder.calls)
    report = run(zip_path, repo="again")  # the same texts: every vector reused but the zero one
    assert report.data_chunks == 0 and report.embedded == 1 == sum(embedder.calls) - before
    assert all(np.asarray(r["vector"]).any() for r in rows(store, "again"))
