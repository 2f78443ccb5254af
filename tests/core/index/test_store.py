"""ChunkStore.indexed_files: every indexed file of one repository, for the window's file tree."""
import numpy as np

from repowiki_gui.core.index.chunking import Chunk
from repowiki_gui.core.index.store import ChunkStore

DIM = 8


def chunk(path, start, end, language="python", symbol=""):
    text = "\n".join(f"line {n}" for n in range(start, end + 1))
    return Chunk(path=path, language=language, symbol=symbol, kind="code", start_line=start, end_line=end,
                 text=text, embed_text=f"{path}:{text}")


def put(store, repo, chunks):
    vectors = np.ones((len(chunks), DIM), np.float32)
    store.apply(repo, chunks, vectors, {c.path: "sha-" + c.path for c in chunks}, set())


def test_every_file_once_with_its_language_and_length(tmp_path):
    store = ChunkStore(tmp_path / "lancedb", DIM)
    assert store.indexed_files("demo") == []
    put(store, "demo", [chunk("src/app.py", 1, 40), chunk("src/app.py", 41, 120), chunk("README.md", 1, 9, "markdown"),
                        chunk("Makefile", 1, 3, None)])
    put(store, "other", [chunk("lib/x.py", 1, 5)])
    assert store.indexed_files("demo") == [
        {"path": "Makefile", "language": "", "lines": 3},
        {"path": "README.md", "language": "markdown", "lines": 9},
        {"path": "src/app.py", "language": "python", "lines": 120},
    ]
    assert [f["path"] for f in store.indexed_files("other")] == ["lib/x.py"]


def test_a_reader_sees_a_later_index_after_refresh(tmp_path):
    reader = ChunkStore(tmp_path / "lancedb", DIM)
    assert reader.indexed_files("demo") == []
    put(ChunkStore(tmp_path / "lancedb", DIM), "demo", [chunk("a.py", 1, 2)])   # another process indexes
    reader.refresh()
    assert [f["path"] for f in reader.indexed_files("demo")] == ["a.py"]
    assert reader.file_text("demo", "a.py") == "line 1\nline 2"


def test_a_row_without_a_vector_is_found_by_full_text_only_flat_and_with_a_vector_index(tmp_path):
    dim = 16
    store = ChunkStore(tmp_path / "lancedb", dim)
    rng = np.random.default_rng(3)
    chunks = [Chunk(path=f"src/m{i}.py", language="python", symbol=f"func{i}", kind="code", start_line=1,
                    end_line=1, text=f"def func{i}(): pass", embed_text=f"func{i}") for i in range(600)]
    chunks.append(Chunk(path="data/blob.txt", language=None, symbol="", kind="text", start_line=1, end_line=1,
                        text="iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB zebrablob", embed_text="blob"))
    vectors = rng.normal(size=(len(chunks), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[-1] = 0.0  # the data chunk: no vector
    store.apply("demo", chunks, vectors, {c.path: "sha" for c in chunks}, set())
    for min_rows in (10**6, 500):  # flat first, then with an IVF_PQ index built over the zero row too
        store.ensure_indexes(vector_index_min_rows=min_rows)
        assert store.has_vector_index() == (min_rows == 500)
        for query in (vectors[0], -vectors[0], rng.normal(size=dim).astype(np.float32)):
            hits = (store.table().search(query, vector_column_name="vector").distance_type("cosine").nprobes(24)
                    .refine_factor(4).limit(len(chunks)).to_list())
            assert hits and "data/blob.txt" not in {h["path"] for h in hits}
        found = store.table().search("zebrablob", query_type="fts").limit(5).to_list()
        assert [h["path"] for h in found] == ["data/blob.txt"]
