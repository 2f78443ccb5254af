"""The code index in LanceDB: one ``chunks`` table for every repository.

A re-index is a single ``merge_insert`` commit: rows of changed and new files
go in, rows of changed and removed files go out, rows of unchanged files are
not touched.  LanceDB versions every commit, so a reader sees the index before
or after a re-index, never half of it; a failed or killed job commits nothing.

A row whose vector is all zeros has no vector (a data chunk, ``data_chunks``):
its cosine distance is undefined, so LanceDB's vector search never returns it,
flat or through IVF_PQ, while full-text and symbol search find it as any other
row (tests/core/index/test_store.py).  The column stays non-null, so readers
that take a row's vector need no special case: its similarity is 0.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa

from .chunking import Chunk
from .terms import search_terms

log = logging.getLogger(__name__)

TABLE = "chunks"


def chunk_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("chunk_id", pa.string()),
        pa.field("repo", pa.string()),
        pa.field("path", pa.string()),
        pa.field("language", pa.string()),
        pa.field("symbol", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("start_line", pa.int32()),
        pa.field("end_line", pa.int32()),
        pa.field("text", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("file_sha256", pa.string()),
        pa.field("terms", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ])


def sql_str(value: str) -> str:
    """A SQL string literal (LanceDB filters are SQL)."""
    return "'" + value.replace("'", "''") + "'"


def chunk_id(repo: str, chunk: Chunk) -> str:
    key = f"{repo}\0{chunk.path}\0{chunk.start_line}\0{chunk.end_line}\0{chunk.content_hash}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class WriteResult:
    inserted: int
    deleted: int
    version: int | None


class ChunkStore:
    def __init__(self, db_dir: Path, dim: int):
        self.db_dir = Path(db_dir)
        self.dim = dim
        self.db = lancedb.connect(str(self.db_dir))
        self._table = None

    def table(self):
        """The chunks table, created empty on first use."""
        if self._table is None:
            try:
                self._table = self.db.open_table(TABLE)
            except (FileNotFoundError, ValueError):
                self._table = self.db.create_table(TABLE, schema=chunk_schema(self.dim), exist_ok=True)
            width = self._table.schema.field("vector").type.list_size
            if width != self.dim:
                raise ValueError(f"the index holds {width}-d vectors, the embedder makes {self.dim}-d")
        return self._table

    def refresh(self) -> None:
        """See the commits made since this handle was opened (by an index job in another process)."""
        self.table().checkout_latest()

    def _where(self, repo: str, extra: str = "") -> str:
        return f"repo = {sql_str(repo)}" + (f" AND ({extra})" if extra else "")

    def file_manifest(self, repo: str) -> dict[str, str]:
        """path -> sha256 of every indexed file of ``repo``."""
        rows = (self.table().search().where(self._where(repo)).select(["path", "file_sha256"])
                .limit(None).to_arrow())
        return dict(zip(rows.column("path").to_pylist(), rows.column("file_sha256").to_pylist()))

    def indexed_files(self, repo: str) -> list[dict]:
        """Every indexed file of ``repo``, by path: ``{"path", "language", "lines"}`` (lines = its last chunk's end)."""
        rows = (self.table().search().where(self._where(repo)).select(["path", "language", "end_line"])
                .limit(None).to_arrow())
        if rows.num_rows == 0:
            return []
        grouped = rows.group_by(["path", "language"]).aggregate([("end_line", "max")])
        files = [{"path": p, "language": lang or "", "lines": int(n)} for p, lang, n in
                 zip(grouped.column("path").to_pylist(), grouped.column("language").to_pylist(),
                     grouped.column("end_line_max").to_pylist())]
        return sorted(files, key=lambda f: f["path"])

    def vectors_for(self, hashes: set[str]) -> dict[str, np.ndarray]:
        """Stored vectors by content hash (any repository): unchanged text is never embedded twice."""
        found: dict[str, np.ndarray] = {}
        wanted = sorted(hashes)
        for start in range(0, len(wanted), 2000):
            batch = wanted[start:start + 2000]
            rows = (self.table().search().where(f"content_hash IN ({', '.join(sql_str(h) for h in batch)})")
                    .select(["content_hash", "vector"]).limit(None).to_arrow())
            vecs = rows.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, self.dim)
            for h, v in zip(rows.column("content_hash").to_pylist(), vecs):
                found.setdefault(h, v)
        return found

    def apply(self, repo: str, chunks: list[Chunk], vectors: np.ndarray, file_sha: dict[str, str],
              replace_paths: set[str]) -> WriteResult:
        """One atomic commit: ``chunks`` in, every other row of ``replace_paths`` out."""
        table = self.table()
        data = self._rows(repo, chunks, vectors, file_sha)
        if not replace_paths and not chunks:
            return WriteResult(0, 0, None)
        builder = table.merge_insert("chunk_id").when_not_matched_insert_all()
        if replace_paths:
            paths = ", ".join(sql_str(p) for p in sorted(replace_paths))
            builder = builder.when_not_matched_by_source_delete(self._where(repo, f"path IN ({paths})"))
        result = builder.execute(data)
        return WriteResult(result.num_inserted_rows, result.num_deleted_rows, result.version)

    def _rows(self, repo: str, chunks: list[Chunk], vectors: np.ndarray, file_sha: dict[str, str]) -> pa.Table:
        schema = chunk_schema(self.dim)
        cols = {
            "chunk_id": [chunk_id(repo, c) for c in chunks],
            "repo": [repo] * len(chunks),
            "path": [c.path for c in chunks],
            "language": [c.language or "" for c in chunks],
            "symbol": [c.symbol for c in chunks],
            "kind": [c.kind for c in chunks],
            "start_line": [c.start_line for c in chunks],
            "end_line": [c.end_line for c in chunks],
            "text": [c.text for c in chunks],
            "content_hash": [c.content_hash for c in chunks],
            "file_sha256": [file_sha[c.path] for c in chunks],
            "terms": [search_terms(c.path, c.symbol, c.text) for c in chunks],
        }
        flat = np.asarray(vectors, np.float32).reshape(-1)
        arrays = [pa.array(cols[f.name], f.type) for f in schema if f.name != "vector"]
        arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), self.dim))
        return pa.Table.from_arrays(arrays, schema=schema)

    def ensure_indexes(self, vector_index_min_rows: int = 50_000) -> None:
        """Bring the full-text index (and, past ``vector_index_min_rows``, a vector index) up to date.

        New rows are searched even before this (flat), so it only costs speed, never correctness.
        A flat scan of 100k x 384 takes ~250 ms; IVF_PQ answers in ~10 ms.
        """
        from lancedb.index import FTS, IvfPq

        table = self.table()
        kinds = {idx.index_type for idx in table.list_indices()}
        if "FTS" not in kinds:
            table.create_index("terms", config=FTS(with_position=False), replace=True)
        rows = table.count_rows()
        if rows >= vector_index_min_rows and not kinds - {"FTS"}:
            partitions = max(16, int(rows ** 0.5))
            table.create_index("vector", config=IvfPq(distance_type="cosine", num_partitions=partitions,
                                                      num_sub_vectors=self.dim // 8))
        elif "FTS" in kinds:
            table.optimize()  # folds new rows into the existing indexes

    def has_vector_index(self) -> bool:
        return any(idx.index_type != "FTS" for idx in self.table().list_indices())

    def file_text(self, repo: str, path: str) -> str | None:
        """A file's text rebuilt from its chunks (blank lines no chunk holds come back blank)."""
        rows = (self.table().search().where(self._where(repo, f"path = {sql_str(path)}"))
                .select(["start_line", "end_line", "text"]).limit(None).to_list())
        return rebuild_text(rows) if rows else None

    def repo_rows(self, repo: str) -> list[dict]:
        """Every chunk of ``repo`` (path, symbol, lines, text), ordered by path and line."""
        rows = (self.table().search().where(self._where(repo))
                .select(["path", "symbol", "start_line", "end_line", "text", "content_hash"])
                .limit(None).to_list())
        return sorted(rows, key=lambda r: (r["path"], r["start_line"], r["end_line"]))

    def repo_texts(self, repo: str, rows: list[dict] | None = None) -> dict[str, str]:
        """path -> text of every indexed file of ``repo``, rebuilt from its chunks."""
        by_path: dict[str, list[dict]] = {}
        for r in rows if rows is not None else self.repo_rows(repo):
            by_path.setdefault(r["path"], []).append(r)
        return {path: rebuild_text(chunks) for path, chunks in by_path.items()}

    def count(self, repo: str) -> int:
        return self.table().count_rows(self._where(repo))

    def drop_repo(self, repo: str) -> None:
        self.table().delete(self._where(repo))

    def cleanup_versions(self, older_than: timedelta) -> None:
        """Remove table versions older than ``older_than`` (readers of older versions are long gone)."""
        self.table().optimize(cleanup_older_than=older_than)


def rebuild_text(rows: list[dict]) -> str:
    """A file's text from its chunk rows (start_line, end_line, text)."""
    lines: dict[int, str] = {}
    for r in sorted(rows, key=lambda r: (r["start_line"], r["end_line"])):
        parts = r["text"].split("\n")
        if len(parts) == r["end_line"] - r["start_line"] + 1:
            lines.update(zip(range(r["start_line"], r["end_line"] + 1), parts))
        else:  # character slices of one very long line: join them in order
            lines[r["start_line"]] = lines.get(r["start_line"], "") + r["text"]
    return "\n".join(lines.get(n, "") for n in range(1, max(lines) + 1))
