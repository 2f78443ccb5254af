"""A repository's wiki: static analysis for the skeleton, the local model for prose, markdown for the result.

``generate_wiki`` reads the repository back from the index (so the wiki
describes exactly what chat answers from), plans the pages (``pages``),
asks the model for each section's prose (``prose``, cached by the hash
of its sources), renders markdown with source pages and an ``mkdocs.yml``,
writes only the files whose content changed, and indexes the sections for
chat.  Each section's cited lines are stamped (``stale``): the next run
keeps the prose of a section whose cited code is unchanged, and asks the
model again only for the stale ones.  No page is written until every page is ready, so a cancelled or
failed run leaves the previous wiki as it was; the prose it already wrote is
kept in the cache for the next run.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..analysis import RepoFacts, analyse
from ..errors import JobCancelled, SoftTimeLimitExceeded, UserError
from ..fitting import largest_fitting
from ..fsutil import atomic_write_text
from ..index.sections import SectionRow, SectionStore
from ..index.store import ChunkStore
from ..models.embedder import Embedder
from ..models.llm import Generator
from ..progress import NullProgress, Progress
from ..qa.answer import Reference
from ..qa.search import search
from ..span import Span
from .check import CheckStats, Vocabulary, measure_spans
from .folder import CACHE, DOCS, MANIFEST, SPEC_TYPES, load_manifest, relative_link, source_page
from .pages import SOURCES_LISTED_MAX, Links, PagePlan, Planner, SectionPlan, _label
from .prose import PROMPT_VERSION, write_prose
from .stale import SectionStamp, load_stamps, save_stamps, stamp

PROSE_SOURCES = 6          # chunks retrieved per section; the context budget may keep fewer


@dataclass
class WikiOptions:
    max_tokens: int = 220          # prose per section: a paragraph, not an essay
    # Prompt time grows with the sources (a 135M model reads ~170 tokens/s on one core): a few
    # strong chunks describe a section as well as a full context window of weaker ones.
    max_prompt_tokens: int = 1100
    temperature: float = 0.2
    embed_max_tokens: int = 256


@dataclass
class WikiReport:
    repo: str
    specs: list[str]
    pages: int
    pages_written: int
    pages_reused: int
    sections: int
    prose_generated: int
    prose_reused: int
    grounding_model: dict          # the model's backticked spans before the check
    grounding_final: dict          # every inline code span of the finished wiki
    seconds_per_page: dict[str, float] = field(default_factory=dict)
    prose_s: float = 0.0           # time inside the model (prompt + generation) for the written prose
    folder: str = ""
    exported_to: str | None = None
    total_s: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def generate_wiki(repo: str, folder: Path, *, store: ChunkStore, sections: SectionStore, embedder: Embedder,
                  generator: Generator, specs: list[str], options: WikiOptions = WikiOptions(),
                  progress: Progress = NullProgress()) -> WikiReport:
    """Generate (or update) the wiki of ``repo`` in ``folder``; see the module docstring."""
    t0 = time.perf_counter()
    files, facts, vocab = _read_repository(store, repo, progress)
    previous = load_manifest(folder) or {}
    keep = set(previous.get("specs", [])) if previous.get("repo") == repo else set()
    specs = [s for s in SPEC_TYPES if s in set(specs) | keep]  # regenerating one spec keeps the others
    plans = Planner(facts, files, specs).pages()
    writer = _ProseWriter(repo, folder, store, embedder, generator, vocab, options, progress,
                          total=sum(1 for p in plans for s in p.sections if s.instruction), files=files,
                          before=load_stamps(folder, repo))
    rendered: dict[str, str] = {}
    section_rows: list[SectionRow] = []
    cited: set[Span] = set()
    stamps: list[SectionStamp] = []
    per_page: dict[str, float] = {}
    for plan in plans:
        tp = time.perf_counter()
        links = Links(plan.path)
        blocks = []
        for section in plan.sections:
            prose_md, prose_refs, key = writer.write(plan, section, links) if section.instruction else ("", [], "")
            refs = list(dict.fromkeys(prose_refs + section.fact_sources))
            cited.update(refs)
            stamps.append(stamp(plan.path, section.title, refs, files, prompt=writer.prompt_id(section) if key else "",
                                prose_key=key, prose_sources=prose_refs))
            blocks.append((section.title, _section_markdown(section.title, prose_md, section.facts, refs, links)))
        rendered[plan.path], rows_of_page = _page_markdown(plan, blocks)
        section_rows.extend(rows_of_page)
        per_page[plan.path] = round(time.perf_counter() - tp, 2)
    progress.update("page", f"Wrote the prose of {writer.total} sections", writer.total, writer.total)

    rendered["index.md"] = _index_markdown(repo, facts, plans, generator.model_id)
    rendered.update(_source_pages(cited, files))
    outputs = {f"{DOCS}/{p}": text for p, text in rendered.items()}
    outputs["mkdocs.yml"] = _mkdocs_yml(repo, plans)
    final = _grounding(rendered, vocab)

    progress.check()  # the last moment a cancel leaves the previous wiki untouched
    progress.update("write", "Writing the pages", 0, 1)
    written = _write_folder(folder, outputs, previous.get("files", []))
    pages_written = sum(1 for p in written if p.startswith(f"{DOCS}/") and not p.startswith(f"{DOCS}/sources/"))
    report = WikiReport(repo, specs, len(plans) + 1, pages_written, len(plans) + 1 - pages_written,
                        len(section_rows), writer.generated, writer.reused, writer.raw_stats.to_json(),
                        final.to_json(), per_page, round(writer.prose_s, 2), str(folder))
    atomic_write_text(folder / CACHE, json.dumps(writer.new_cache))
    atomic_write_text(folder / MANIFEST, json.dumps(_manifest(report, plans, generator.model_id, outputs), indent=1))
    save_stamps(folder, repo, stamps)

    progress.update("sections", f"Indexing {len(section_rows)} sections for chat", 0, 1)
    _index_sections(repo, section_rows, sections, embedder, options.embed_max_tokens)
    progress.update("sections", "Sections indexed", 1, 1)
    report.total_s = round(time.perf_counter() - t0, 2)
    return report


def _read_repository(store: ChunkStore, repo: str, progress: Progress) -> tuple[dict[str, str], RepoFacts, Vocabulary]:
    """The indexed files' text, their static facts, and the names the grounding check accepts."""
    progress.update("analyse", "Reading the repository from the index", 0, 0)
    rows = store.repo_rows(repo)
    if not rows:
        raise UserError(f"The repository {repo!r} has nothing indexed; index its ZIP first.")
    files = store.repo_texts(repo, rows)
    facts = analyse(files, progress)
    return files, facts, Vocabulary.from_rows(files, (r["symbol"] for r in rows), (r["text"] for r in rows))


def _grounding(rendered: dict[str, str], vocab: Vocabulary) -> CheckStats:
    """The inline code spans of the finished pages, checked against the code (source pages are the code)."""
    final = CheckStats()
    for path, text in rendered.items():
        if not path.startswith("sources/"):
            final.add(measure_spans(text, vocab))
    return final


class _ProseWriter:
    """The model's prose for the sections that ask for it: retrieval, the prose cache, the counts."""

    def __init__(self, repo: str, folder: Path, store: ChunkStore, embedder: Embedder, generator: Generator,
                 vocab: Vocabulary, options: WikiOptions, progress: Progress, total: int, files: dict[str, str],
                 before: dict[tuple[str, str], SectionStamp]):
        self.repo, self.folder, self.store, self.embedder, self.generator = repo, folder, store, embedder, generator
        self.vocab, self.options, self.progress, self.total = vocab, options, progress, total
        self.files, self.before = files, before   # the code as indexed now; the last run's stamps
        self.cache = _load_cache(folder)
        self.new_cache: dict = {}   # keeps only what this wiki uses
        self.raw_stats = CheckStats()
        self.done = self.generated = self.reused = 0
        self.prose_s = 0.0

    def prompt_id(self, section: SectionPlan) -> str:
        """What the model is asked for ``section``: a section asked the same keeps its prose while it is fresh."""
        payload = json.dumps([PROMPT_VERSION, self.generator.model_id, section.instruction, section.query,
                              section.scope])
        return hashlib.sha256(payload.encode()).hexdigest()

    def write(self, plan: PagePlan, section: SectionPlan, links: Links) -> tuple[str, list[Span], str]:
        """The section's prose (markdown), the spans it cites, and its key in the cache ("" for none)."""
        self.progress.check()
        self.progress.update("page", f"{plan.title}: {section.title}", self.done, self.total)
        before = self.before.get((plan.path, section.title))
        stale_key = ""
        if before is not None and before.prompt == self.prompt_id(section) and before.prose_key in self.cache:
            if not before.changed(self.files):
                return self._keep(before)
            stale_key = before.prose_key   # stale: the model writes it again, even from the same sources
        hits = search(self.store, self.embedder, self.repo, section.query, k=PROSE_SOURCES, mode="vector",
                      scope=section.scope)
        held = self.cache.pop(stale_key, None) if stale_key else None
        prose = write_prose(section.instruction, [Reference.of(h, i) for i, h in enumerate(hits, 1)],
                            self.generator, self.vocab, max_tokens=self.options.max_tokens,
                            temperature=self.options.temperature, cache=self.cache,
                            link=lambda r: links.to_source(r.path, r.start_line, r.end_line),
                            should_stop=_stop_flag(self.progress), max_prompt_tokens=self.options.max_prompt_tokens)
        if held is not None:
            self.cache.setdefault(stale_key, held)   # a stopped reply is not cached: keep the old one for later
        self.generated += prose.generated
        self.prose_s += prose.seconds
        self.reused += not prose.generated and bool(prose.sources)
        self.raw_stats.add(prose.raw)
        if prose.key in self.cache:
            self.new_cache[prose.key] = self.cache[prose.key]
        if prose.generated:
            # kept at once: a run that is cancelled or times out still saves the next one this work
            atomic_write_text(self.folder / CACHE, json.dumps(self.cache))
        self.done += 1
        return prose.text, [r.span for r in prose.sources], prose.key

    def _keep(self, before: SectionStamp) -> tuple[str, list[Span], str]:
        """A fresh section's prose as the last run wrote it (its sources' lines are as they were)."""
        kept = self.cache[before.prose_key]
        self.new_cache[before.prose_key] = kept
        self.raw_stats.add(CheckStats(**kept["raw"]))
        self.reused += 1
        self.done += 1
        return kept["text"], list(before.prose_sources), before.prose_key


def _manifest(report: WikiReport, plans: list[PagePlan], model_id: str, outputs: dict[str, str]) -> dict:
    return {"repo": report.repo, "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": model_id, "specs": report.specs,
            "pages": [{"path": "index.md", "title": "Home", "group": ""}]
            + [{"path": p.path, "title": p.title, "group": p.group} for p in plans],
            "files": sorted(outputs),
            "stats": {"pages": report.pages, "pages_written": report.pages_written,
                      "pages_reused": report.pages_reused, "prose_generated": report.prose_generated,
                      "prose_reused": report.prose_reused, "grounding_model": report.grounding_model,
                      "grounding_final": report.grounding_final}}


def _stop_flag(progress: Progress):
    """A should_stop for the model: true once the job was asked to stop (checked at most every 0.2 s)."""
    last = [0.0, False]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            try:
                progress.check()
            except (JobCancelled, SoftTimeLimitExceeded):  # raised again by the next progress.check()
                last[1] = True
        return last[1]
    return should_stop


def _section_markdown(title: str, prose: str, facts: str, refs: list[Span], links: Links) -> str:
    parts = [f"## {_label(title)}"]
    if prose:
        parts.append(prose)
    if facts:
        parts.append(facts)
    if not prose and not facts:
        parts.append("*Nothing in the index describes this.*")
    if refs:
        shown = [f"[{_label(r.path)}:{r.start_line}-{r.end_line}]({links.to_source(r.path, r.start_line, r.end_line)})"
                 for r in refs[:SOURCES_LISTED_MAX]]
        more = f" and {len(refs) - SOURCES_LISTED_MAX} more" if len(refs) > SOURCES_LISTED_MAX else ""
        parts.append("**Sources:** " + ", ".join(shown) + more)
    return "\n\n".join(parts)


def _page_markdown(plan: PagePlan, blocks: list[tuple[str, str]]) -> tuple[str, list[SectionRow]]:
    """The page's markdown and one SectionRow per section with its line range in the page."""
    text = f"# {_label(plan.title)}\n"
    rows = []
    for title, block in blocks:
        start = text.count("\n") + 2
        text += "\n" + block + "\n"
        rows.append(SectionRow(plan.path, start, text.count("\n"), f"{plan.title}: {title}", block))
    return text, rows


def _index_markdown(repo: str, facts, plans: list[PagePlan], model_id: str) -> str:
    lines = [f"# {_label(repo)}", ""]
    if facts.readme and facts.readme.summary:
        lines += [facts.readme.summary.replace("<", "&lt;").replace(">", "&gt;"), ""]
    lines += [f"{facts.total_files} files, {facts.total_lines} lines"
              + (f", mostly {facts.languages[0].language}" if facts.languages else "") + ".", "", "## Pages", ""]
    group = None
    for p in plans:
        if p.group and p.group != group:
            lines.append(f"- {p.group}")
        group = p.group
        lines.append(("  " if p.group else "") + f"- [{_label(p.title)}]({relative_link('index.md', p.path)})")
    lines += ["", "---", "",
              f"Generated by RepoWiki. Tables, lists, diagrams and signatures come from static analysis of the "
              f"code; the prose of each section was written by the local model {_label(model_id)} from the "
              "sources listed under it. Names the model wrote that are not in the code are marked (?)."]
    return "\n".join(lines) + "\n"


def _source_pages(cited: set[Span], files: dict[str, str]) -> dict[str, str]:
    """A page per cited file showing each cited range under an anchor ``L<start>-L<end>``."""
    by_path: dict[str, set[tuple[int, int]]] = {}
    for r in cited:
        by_path.setdefault(r.path, set()).add((r.start_line, r.end_line))
    pages = {}
    for path, ranges in sorted(by_path.items()):
        page = source_page(path)
        lines = files.get(path, "").split("\n")
        out = [f"# {_label(path)}", "", f"[Back to the wiki]({relative_link(page, 'index.md')})", ""]
        for start, end in sorted(ranges):
            body = "\n".join(lines[start - 1:end])
            fence = "`" * max(3, 1 + max((len(x) for x in re.findall(r"`+", body)), default=0))
            out += [f'<a id="L{start}-L{end}"></a>', "", f"## Lines {start}-{end}", "", f"{fence}", body, fence, ""]
        pages[page] = "\n".join(out)
    return pages


def _mkdocs_yml(repo: str, plans: list[PagePlan]) -> str:
    # JSON strings are valid YAML scalars: titles with ':' or quotes need no YAML escaping of our own.
    q = json.dumps
    lines = [f"site_name: {q(repo + ' - RepoWiki')}", "docs_dir: docs", "nav:", f"  - {q('Home')}: index.md"]
    groups: dict[str, list[PagePlan]] = {}
    for p in plans:
        if p.group:
            if p.group not in groups:
                groups[p.group] = []
                lines.append(f"  - {q(p.group)}:")
            groups[p.group].append(p)
            lines.append(f"      - {q(p.title)}: {q(p.path)}")
        else:
            lines.append(f"  - {q(p.title)}: {q(p.path)}")
    lines += ["markdown_extensions:", "  - tables", "  - fenced_code", "  - toc"]
    return "\n".join(lines) + "\n"


def _load_cache(folder: Path) -> dict:
    try:
        return json.loads((folder / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_folder(folder: Path, outputs: dict[str, str], previous_files: list[str]) -> list[str]:
    """Write the files whose content changed, remove the ones this wiki no longer has; the written ones."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in outputs.items():
        path = folder / rel
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except (OSError, UnicodeDecodeError):
            pass
        atomic_write_text(path, text)
        written.append(rel)
    for rel in set(previous_files) - set(outputs):
        path = folder / rel
        if path.is_file() and folder.resolve() in path.resolve().parents:
            path.unlink()
    return written


def _index_sections(repo: str, rows: list[SectionRow], sections: SectionStore, embedder: Embedder,
                    max_tokens: int) -> None:
    known = sections.vectors_for(repo, {r.content_hash for r in rows})
    vectors = np.zeros((len(rows), embedder.dim), np.float32)
    todo = [i for i, r in enumerate(rows) if r.content_hash not in known]
    for i, r in enumerate(rows):
        if r.content_hash in known:
            vectors[i] = known[r.content_hash]
    if todo:
        texts = [_fit(rows[i].title + "\n" + rows[i].text, embedder, max_tokens) for i in todo]
        for i, v in zip(todo, embedder.embed(texts)):
            vectors[i] = v
    sections.replace(repo, rows, vectors)


def _fit(text: str, embedder: Embedder, max_tokens: int) -> str:
    """The longest word prefix of ``text`` within the embedder's window (a section's start says what it is)."""
    limit = min(max_tokens, embedder.max_tokens)
    if embedder.count_tokens(text) <= limit:
        return text
    words = text.split(" ")
    kept = largest_fitting(len(words), lambda k: embedder.count_tokens(" ".join(words[:k])) <= limit)
    return " ".join(words[:kept])


def export_wiki(folder: Path, out_dir: Path, repo: str) -> Path:
    """Copy the wiki (mkdocs.yml + docs/) to ``out_dir``: empty, new, or a previous export of the same repo."""
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"The export target {out} is a file, not a folder.")
    if out.is_dir() and any(out.iterdir()):
        marker = load_manifest(out) or {}
        if marker.get("repo") != repo:
            raise UserError(f"The folder {out} is not empty and is not an earlier export of {repo}; "
                            "choose an empty folder.")
        shutil.rmtree(out / DOCS, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder / DOCS, out / DOCS)
    shutil.copy2(folder / "mkdocs.yml", out / "mkdocs.yml")
    shutil.copy2(folder / MANIFEST, out / MANIFEST)
    return out
