"""A source (a ZIP, a ``.tar.gz``/``.tgz``, a folder) becomes or updates a repository's index:
ingest, chunk, embed, write, full-text.

Only files whose bytes changed are chunked; only chunks whose text is new to
the index are embedded; the write is one atomic LanceDB commit.  Nothing is
committed until every stage before it succeeded, so a bad archive, a cancel or
a crash leaves the previous index as it was. "Changed" is by content hash, per
file, whatever the kind of source: a folder touched but not edited is unchanged.
"""
from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DiskFullError, is_disk_full
from ..ingest.files import IngestLimits, ingest_source
from ..models.embedder import Embedder
from ..progress import NullProgress, Progress
from .chunking import Chunk, chunk_file
from .data_chunks import is_data
from .repositories import RepoRegistry, Repository, check_repo_name
from .store import ChunkStore

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    repo: str
    files: int
    skipped: dict[str, int]
    chunks: int
    changed_files: int
    removed_files: int
    embedded: int           # chunks that went through the model
    reused_vectors: int     # chunks whose vector came from the index or from a copy of their text
    unchanged: bool         # nothing to write: the index already matched the source
    timings: dict[str, float] = field(default_factory=dict)
    data_chunks: int = 0    # new chunks that are data (no vector: full text alone finds them)

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def index_zip(zip_path: Path, repo: str, *, store: ChunkStore, registry: RepoRegistry, embedder: Embedder,
              limits: IngestLimits, progress: Progress = NullProgress(),
              vector_index_min_rows: int = 50_000) -> IndexReport:
    """Index the ZIP, tarball or folder at ``zip_path`` as ``repo`` (the name is the seed task's)."""
    check_repo_name(repo)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    ingested = ingest_source(Path(zip_path), limits, progress)
    timings["ingest_s"] = time.perf_counter() - t0

    current = {f.path: f for f in ingested.files}
    old = _manifest(repo, store, registry)
    changed = [f for f in ingested.files if old.get(f.path) != f.sha256]
    removed = sorted(set(old) - set(current))

    t = time.perf_counter()
    chunks: list[Chunk] = []
    for i, f in enumerate(changed):
        if i % 50 == 0:
            progress.check()
            progress.update("chunk", f"Chunking {f.path}", i, len(changed))
        chunks.extend(chunk_file(f.path, f.language, f.text, embedder.count_tokens, embedder.max_tokens))
    progress.update("chunk", f"Chunked {len(changed)} changed files", len(changed), len(changed))
    timings["chunk_s"] = time.perf_counter() - t

    t = time.perf_counter()
    vectors, embedded, reused, data_chunks = _vectors(chunks, store, embedder, progress)
    timings["embed_s"] = time.perf_counter() - t

    t = time.perf_counter()
    progress.check()  # the last moment a cancel can stop the job before it commits
    progress.update("write", f"Writing {len(chunks)} chunks", 0, 1)
    replace = {f.path for f in changed if f.path in old} | set(removed)
    with disk_full_is_a_user_error(store.db_dir):
        store.apply(repo, chunks, vectors, {f.path: f.sha256 for f in changed}, replace)
    progress.update("write", "Written", 1, 1)
    timings["write_s"] = time.perf_counter() - t

    t = time.perf_counter()
    unchanged = not changed and not removed
    if not unchanged:
        progress.update("full-text", "Updating the full-text and vector indexes", 0, 1)
        with disk_full_is_a_user_error(store.db_dir):
            store.ensure_indexes(vector_index_min_rows)
    progress.update("full-text", "Full-text index ready", 1, 1)
    timings["fts_s"] = time.perf_counter() - t

    total_chunks = store.count(repo)
    languages = Counter(f.language or "text" for f in ingested.files)
    with disk_full_is_a_user_error(store.db_dir):
        registry.save(Repository(repo, str(Path(zip_path).resolve()), ingested.zip_sha256, len(ingested.files),
                                 dict(ingested.skipped), total_chunks, dict(languages)),
                      files={f.path: f.sha256 for f in ingested.files})
    timings["total_s"] = time.perf_counter() - t0
    return IndexReport(repo, len(ingested.files), dict(ingested.skipped), total_chunks, len(changed),
                       len(removed), embedded, reused, unchanged, timings, data_chunks)


@contextmanager
def disk_full_is_a_user_error(data_dir: Path):
    """A full disk becomes one clear sentence that is never retried (a retry seconds later fails the same).

    LanceDB removes the data files of a commit that failed, so the previous index stays as it was.
    """
    try:
        yield
    except Exception as exc:  # re-raised unless it is a full disk
        if not is_disk_full(exc):
            raise
        try:
            free = f"{shutil.disk_usage(data_dir).free / 1e6:.1f} MB free"
        except OSError:
            free = "no room left"
        raise DiskFullError(f"The disk holding the data dir is full ({free} on the disk of {data_dir}); "
                            "free some space and index again.") from exc


def _manifest(repo: str, store: ChunkStore, registry: RepoRegistry) -> dict[str, str]:
    """Files of the last index.  The registry knows files that made no chunk (empty ones);
    if it disagrees with the store (a crash between their two writes), trust the store's rows."""
    known = registry.get(repo)
    from_store = store.file_manifest(repo)
    if known is None or known.chunks != store.count(repo):
        return from_store
    from_registry = registry.file_manifest(repo)
    return from_registry if set(from_store) <= set(from_registry) else from_store


def _vectors(chunks: list[Chunk], store: ChunkStore, embedder: Embedder,
             progress: Progress) -> tuple[np.ndarray, int, int, int]:
    """Vectors for ``chunks``: from the index where the text is known, else from the model, once per text.

    Copies of one text in several files (licence headers, vendored or generated files) go through the
    model once: their embedded texts differ only by the path in the header, and all get the first
    copy's vector.  A chunk that is data (``data_chunks.is_data``) gets the zero vector: the store keeps
    it out of vector search and full text still finds it.
    Returns (vectors, texts embedded, chunks whose vector was reused, data chunks).
    """
    vectors = np.zeros((len(chunks), embedder.dim), np.float32)
    if not chunks:
        return vectors, 0, 0, 0
    data = {c.content_hash for c in chunks if is_data(c.text)}
    # a stored zero vector is "data" by an older rule: decide again rather than reuse it
    known = {h: v for h, v in store.vectors_for({c.content_hash for c in chunks} - data).items() if v.any()}
    todo: dict[tuple[str, str, str], list[int]] = {}  # (symbol, kind, text) -> the chunks it is
    for i, c in enumerate(chunks):
        if c.content_hash in known:
            vectors[i] = known[c.content_hash]
        elif c.content_hash not in data:
            todo.setdefault((c.symbol, c.kind, c.text), []).append(i)
    # One global sort by length keeps padding small in every model batch.
    hashes = sorted(todo, key=lambda h: len(chunks[todo[h][0]].embed_text))
    step = max(1, embedder.batch_size) * 4
    for start in range(0, len(hashes), step):
        progress.check()
        progress.update("embed", f"Embedding chunks ({len(known)} reused)", start, len(hashes))
        batch = hashes[start:start + step]
        out = embedder.embed([chunks[todo[h][0]].embed_text for h in batch])
        for h, v in zip(batch, out):
            vectors[todo[h]] = v
    progress.update("embed", f"Embedded {len(hashes)} chunks ({len(known)} reused)", len(hashes), len(hashes))
    data_chunks = sum(c.content_hash in data for c in chunks)
    return vectors, len(hashes), len(chunks) - len(hashes) - data_chunks, data_chunks
