"""Stale sections: the code under a section's cited lines changed since the wiki was written.

At generation every section's cited ranges (its prose sources and its fact sources) are stamped
with the hash of their lines (``Span.lines_hash``) in ``cited.json`` beside the manifest.  Read
against the index as it is now, a stamp names what changed: a range whose lines hash differently,
or whose file is no longer indexed.  ``repowiki wiki REPO --check`` lists the stale sections, the
Wiki tab marks them, and the next generation rewrites exactly them: a fresh section keeps its
prose (``generation``), a stale one is written again by the model.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..datadir import lancedb_dir, wiki_dir
from ..errors import UserError
from ..fsutil import atomic_write_text
from ..index.repositories import check_repo_name
from ..index.store import ChunkStore
from ..models.embedder import DIM
from ..span import Span
from .folder import CITED, load_manifest


@dataclass
class SectionStamp:
    """One section as it was generated: what the model was asked, and the hash of every range it cites."""

    page: str                      # docs-relative page path
    title: str                     # the section's title on that page
    prompt: str = ""               # what the model was asked (``generation._prompt_id``); "" for facts only
    prose_key: str = ""            # its prose in the cache; "" when it has none
    prose_sources: list[Span] = field(default_factory=list)
    cited: dict[Span, str] = field(default_factory=dict)   # every cited range -> the hash of its lines

    def changed(self, files: dict[str, str]) -> list[Span]:
        """The cited ranges whose lines in ``files`` (path -> text, as indexed now) differ from the stamp."""
        return [s for s, h in self.cited.items() if s.lines_hash(files.get(s.path)) != h]

    def to_json(self) -> dict:
        return {"page": self.page, "title": self.title, "prompt": self.prompt, "prose_key": self.prose_key,
                "prose_sources": [s.range_json() for s in self.prose_sources],
                "cited": [dict(s.range_json(), sha256=h) for s, h in self.cited.items()]}

    @classmethod
    def from_json(cls, record: dict) -> SectionStamp:
        def span(r: dict) -> Span:
            return Span(r["path"], int(r["start_line"]), int(r["end_line"]))
        return cls(record["page"], record["title"], record.get("prompt", ""), record.get("prose_key", ""),
                   [span(r) for r in record.get("prose_sources", [])],
                   {span(r): r["sha256"] for r in record.get("cited", [])})


def stamp(page: str, title: str, refs: list[Span], files: dict[str, str], *, prompt: str = "",
          prose_key: str = "", prose_sources: list[Span] | None = None) -> SectionStamp:
    """The stamp of a section citing ``refs`` of ``files`` now."""
    return SectionStamp(page, title, prompt, prose_key, list(prose_sources or []),
                        {r.span: r.lines_hash(files.get(r.path)) for r in refs})


@dataclass(frozen=True)
class StaleSection:
    page: str
    title: str
    changed: tuple[Span, ...]      # the cited ranges whose code changed (or whose file is gone)

    def to_json(self) -> dict:
        return {"page": self.page, "title": self.title, "changed": [s.range_json() for s in self.changed]}


def save_stamps(folder: Path, repo: str, stamps: list[SectionStamp]) -> None:
    atomic_write_text(Path(folder) / CITED, json.dumps({"repo": repo, "sections": [s.to_json() for s in stamps]}))


def load_stamps(folder: Path, repo: str) -> dict[tuple[str, str], SectionStamp]:
    """(page, title) -> stamp of the wiki of ``repo`` in ``folder``; empty when it has none (or another repo's)."""
    try:
        data = json.loads((Path(folder) / CITED).read_text(encoding="utf-8"))
        if data.get("repo") != repo:
            return {}
        stamps = [SectionStamp.from_json(r) for r in data.get("sections", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}   # no stamps: nothing is known stale, and the next generation writes new ones
    return {(s.page, s.title): s for s in stamps}


def stale_sections(folder: Path, repo: str, files: dict[str, str]) -> list[StaleSection]:
    """The sections of the wiki whose cited code changed, in page order, each with the ranges that did."""
    found = []
    for section in load_stamps(folder, repo).values():
        changed = section.changed(files)
        if changed:
            found.append(StaleSection(section.page, section.title, tuple(changed)))
    return found


def check_wiki(home: Path, repo: str) -> tuple[dict, list[StaleSection]]:
    """The manifest of ``repo``'s wiki in the data dir ``home`` and its stale sections, against the index now.

    ``repowiki wiki REPO --check`` and the Wiki tab ask this; a UserError when there is no wiki.
    """
    folder = wiki_dir(home, check_repo_name(repo))
    manifest = load_manifest(folder)
    if manifest is None:
        raise UserError(f"{repo} has no wiki yet; generate it first (`repowiki wiki {repo}`).")
    files = ChunkStore(lancedb_dir(home), DIM).repo_texts(repo)
    return manifest, stale_sections(folder, repo, files)


def stale_titles(folder: Path, repo: str, page: str, file_text: Callable[[str], str | None]) -> frozenset[str]:
    """The titles of ``page``'s stale sections; ``file_text(path)`` is a file's text as indexed now (None: gone).

    Only the files the page cites are read, so the Wiki tab can ask this for every page it shows.
    """
    texts: dict[str, str | None] = {}
    titles = set()
    for (on, title), section in load_stamps(folder, repo).items():
        if on != page:
            continue
        for path in {s.path for s in section.cited} - set(texts):
            texts[path] = file_text(path)
        if section.changed({p: t for p, t in texts.items() if t is not None}):
            titles.add(title)
    return frozenset(titles)
