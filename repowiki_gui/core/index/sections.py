"""The wiki's sections in LanceDB (the seed's ``index_specs_content``): chat retrieval can cite them.

One ``sections`` table for every repository, beside ``chunks``.  A wiki
generation replaces a repository's rows in one ``merge_insert`` commit;
unchanged sections keep their row and their vector.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import lancedb
import numpy as np
import pyarrow as pa

from ..span import Span
from .store import sql_str
from .terms import search_terms

TABLE = "sections"


@dataclass(frozen=True)
class SectionRow(Span):
    """A section of a wiki page: ``path`` is the docs-relative page ("overview.md"), the lines are the page's."""
    title: str
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\0{self.text}".encode()).hexdigest()


def section_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("section_id", pa.string()), pa.field("repo", pa.string()), pa.field("page", pa.string()),
        pa.field("title", pa.string()), pa.field("start_line", pa.int32()), pa.field("end_line", pa.int32()),
        pa.field("text", pa.string()), pa.field("content_hash", pa.string()), pa.field("terms", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ])


class SectionStore:
    def __init__(self, db_dir, dim: int):
        self.db = lancedb.connect(str(db_dir))
        self.dim = dim
        self._table = None

    def table(self, create: bool = False):
        """The sections table; None when no wiki was ever indexed (unless ``create``)."""
        if self._table is None:
            try:
                self._table = self.db.open_table(TABLE)
            except (FileNotFoundError, ValueError):
                if not create:
                    return None
                self._table = self.db.create_table(TABLE, schema=section_schema(self.dim), exist_ok=True)
        return self._table

    def vectors_for(self, repo: str, hashes: set[str]) -> dict[str, np.ndarray]:
        table = self.table()
        if table is None or not hashes:
            return {}
        rows = (table.search().where(f"repo = {sql_str(repo)}").select(["content_hash", "vector"])
                .limit(None).to_list())
        return {r["content_hash"]: np.asarray(r["vector"], np.float32) for r in rows if r["content_hash"] in hashes}

    def replace(self, repo: str, sections: list[SectionRow], vectors: np.ndarray) -> None:
        """``sections`` become the repository's rows, in one commit; the full-text index follows."""
        from lancedb.index import FTS

        table = self.table(create=True)
        ids = [hashlib.sha256(f"{repo}\0{s.path}\0{s.start_line}\0{s.content_hash}".encode()).hexdigest()[:32]
               for s in sections]
        schema = section_schema(self.dim)
        cols = {"section_id": ids, "repo": [repo] * len(sections), "page": [s.path for s in sections],
                "title": [s.title for s in sections], "start_line": [s.start_line for s in sections],
                "end_line": [s.end_line for s in sections], "text": [s.text for s in sections],
                "content_hash": [s.content_hash for s in sections],
                "terms": [search_terms(s.path, s.title, s.text) for s in sections]}
        arrays = [pa.array(cols[f.name], f.type) for f in schema if f.name != "vector"]
        flat = np.asarray(vectors, np.float32).reshape(-1)
        arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), self.dim))
        data = pa.Table.from_arrays(arrays, schema=schema)
        (table.merge_insert("section_id").when_not_matched_insert_all()
         .when_not_matched_by_source_delete(f"repo = {sql_str(repo)}").execute(data))
        if not any(idx.index_type == "FTS" for idx in table.list_indices()):
            table.create_index("terms", config=FTS(with_position=False), replace=True)
        else:
            table.optimize()

    def count(self, repo: str) -> int:
        table = self.table()
        return 0 if table is None else table.count_rows(f"repo = {sql_str(repo)}")

    def drop_repo(self, repo: str) -> None:
        table = self.table()
        if table is not None:
            table.delete(f"repo = {sql_str(repo)}")
