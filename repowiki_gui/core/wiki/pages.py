"""The skeleton of every wiki page, built from static analysis: true by construction, no model involved.

Each page is a list of sections; a section holds its facts as markdown, the
source ranges those facts come from, and (optionally) the task the model's
prose answers and where its sources may come from.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ..analysis import RepoFacts, import_graph_mermaid
from ..analysis.readme import readme_headings
from ..ingest.files import detect_language
from ..span import Span
from .folder import SPEC_TYPES, relative_link, source_anchor, source_page

API_ITEMS_MAX = 400         # an API page past this is a phone book; the rest is in the module pages
MODULE_API_MAX = 40
SOURCES_LISTED_MAX = 12
MODULE_MIN_LINES = 3


@dataclass
class SectionPlan:
    title: str
    facts: str = ""
    fact_sources: list[Span] = field(default_factory=list)
    instruction: str | None = None   # the model's task; None: facts only
    query: str = ""                  # what to retrieve for the model
    scope: list[str] | None = None   # path prefixes the retrieval keeps to (None: the whole repository)


@dataclass
class PagePlan:
    path: str                        # docs-relative, e.g. "modules/flask-json.md"
    title: str
    group: str                       # "" or the nav group ("Modules")
    sections: list[SectionPlan]
    intro: str = ""


class Links:
    """Markdown links from one page, recording every source range it cites."""

    def __init__(self, page: str):
        self.page = page
        self.refs: list[Span] = []

    def take(self) -> list[Span]:
        refs, self.refs = list(dict.fromkeys(self.refs)), []
        return refs

    def source(self, path: str, start: int, end: int, label: str | None = None) -> str:
        self.refs.append(Span(path, start, end))
        text = label or f"{path}:{start}" + (f"-{end}" if end != start else "")
        return f"[{_label(text)}]({self.to_source(path, start, end)})"

    def to_source(self, path: str, start: int, end: int) -> str:
        return relative_link(self.page, source_page(path), source_anchor(start, end))

    def page_link(self, target: str, label: str) -> str:
        return f"[{_label(label)}]({relative_link(self.page, target)})"


def _label(text: str) -> str:
    return re.sub(r"([\[\]|*_`<>\\])", r"\\\1", text)


def _code(text: str) -> str:
    """An inline code span of ``text`` (markdown escapes do not work inside one; a longer fence does)."""
    fence = "`" * (1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def module_page(key: str, taken: set[str]) -> str:
    """A page path for module unit ``key``, unique among ``taken``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower() or "root"
    path, n = f"modules/{slug}.md", 2
    while path in taken:
        path, n = f"modules/{slug}-{n}.md", n + 1
    taken.add(path)
    return path


def _line_of(text: str | None, needle: str) -> int:
    """The 1-based line where ``needle`` first appears in ``text`` (1 when it does not)."""
    if not text or not needle:
        return 1
    i = text.find(needle)
    return 1 if i < 0 else text.count("\n", 0, i) + 1


def _head(path: str, files: dict[str, str], lines: int = 30) -> Span:
    total = files.get(path, "").count("\n") + 1
    return Span(path, 1, max(1, min(lines, total)))


class Planner:
    """Plans the pages of the chosen spec types from ``facts`` and the files' text."""

    def __init__(self, facts: RepoFacts, files: dict[str, str], specs: list[str]):
        self.facts = facts
        self.files = files
        self.specs = specs
        taken: set[str] = set()
        # a unit of a few lines (an empty __init__.py) is not worth a page of its own
        self.module_pages = ({m.key: module_page(m.key or "root", taken) for m in facts.modules
                              if m.lines >= MODULE_MIN_LINES} if "modules" in specs else {})

    def pages(self) -> list[PagePlan]:
        out: list[PagePlan] = []
        for spec in self.specs:
            if spec == "modules":
                out.extend(self.module(m) for m in self.facts.modules if m.key in self.module_pages)
            else:
                out.append(getattr(self, spec.replace("-", "_"))())
        return out

    # -- Repository Overview ------------------------------------------------------------------
    def overview(self) -> PagePlan:
        page = SPEC_TYPES["overview"].page
        links = Links(page)
        sections = [SectionPlan(
            "What it is", self._readme_facts(links), links.take(),
            "Explain what this repository is for and what it does, for a developer who is new to it.",
            "what is this project for overview purpose introduction readme")]
        sections.append(SectionPlan("Languages and size", self._languages(links), links.take()))
        if self.facts.entry_points:
            sections.append(SectionPlan("Entry points", self._entry_points(links), links.take()))
        if self.facts.dependencies:
            sections.append(SectionPlan("Dependencies", self._dependencies(links), links.take()))
        sections.append(SectionPlan("Layout", self._layout(links), links.take()))
        return PagePlan(page, SPEC_TYPES["overview"].title, "", sections)

    def _readme_facts(self, links: Links) -> str:
        r = self.facts.readme
        if r is None:
            return "*The repository has no README.*"
        text = self.files.get(r.path, "")
        first = _line_of(text, r.summary[:40])
        last = min(text.count("\n") + 1, first + r.summary.count("\n") + 12)
        quote = "\n".join("> " + _escape(line) for line in (r.summary or r.title).split("\n"))
        return f"From {links.source(r.path, first, last, r.path)}:\n\n{quote}"

    def _languages(self, links: Links) -> str:
        rows = ["| Language | Files | Lines |", "|---|---:|---:|"]
        for s in self.facts.languages:
            rows.append(f"| {_cell(s.language)} | {s.files} | {s.lines} |")
        rows.append(f"| **total** | **{self.facts.total_files}** | **{self.facts.total_lines}** |")
        biggest = sorted(self.files, key=lambda p: -self.files[p].count("\n"))[:3]
        for p in biggest:
            links.refs.append(_head(p, self.files))
        return "\n".join(rows) + "\n\nLargest files: " + ", ".join(f"`{p}`" for p in biggest) + "."

    def _entry_points(self, links: Links) -> str:
        rows = ["| Name | Kind | Target | Declared in |", "|---|---|---|---|"]
        for e in self.facts.entry_points[:60]:
            rows.append(f"| {_cell(_escape(e.name))} | {e.kind.replace('_', ' ')} | {_cell(_escape(e.target))} | "
                        f"{links.source(e.path, e.line, e.line)} |")
        return "\n".join(rows)

    def _dependencies(self, links: Links) -> str:
        groups: dict[str, list] = {}
        for d in self.facts.dependencies:
            groups.setdefault(d.group, []).append(d)
        out = []
        for group, deps in groups.items():
            items = []
            for d in deps:
                line = _line_of(self.files.get(d.path), d.name)
                items.append(f"{_escape(d.name)}{(' ' + _escape(d.spec)) if d.spec else ''} "
                             f"({links.source(d.path, line, line, posixpath.basename(d.path))})")
            out.append(f"- **{_escape(group)}**: " + "; ".join(items))
        return "\n".join(out)

    def _layout(self, links: Links) -> str:
        rows = ["| Part | Files | Lines | Languages |", "|---|---:|---:|---|"]
        for m in self.facts.modules:
            name = (links.page_link(self.module_pages[m.key], m.name) if m.key in self.module_pages
                    else _escape(m.name))
            langs = ", ".join(sorted(m.languages, key=lambda k: -m.languages[k])[:3])
            rows.append(f"| {_cell(name)} | {len(m.files)} | {m.lines} | {_cell(langs)} |")
            if m.files:
                links.refs.append(_head(m.files[0], self.files, 10))
        return "\n".join(rows)

    # -- Architecture -------------------------------------------------------------------------
    def architecture(self) -> PagePlan:
        page = SPEC_TYPES["architecture"].page
        links = Links(page)
        graph = self.facts.imports
        sections = [SectionPlan(
            "How it fits together", "", [],
            "Describe how the code is organised into components and how they work together.",
            "architecture main components how modules interact core classes")]
        diagram = import_graph_mermaid(graph, self.facts.modules)
        rows = ["| From | To | Imports |", "|---|---|---:|"]
        names = {m.key: m.name for m in self.facts.modules}
        for (a, b), n in sorted(graph.edges.items(), key=lambda kv: -kv[1])[:40]:
            rows.append(f"| {_cell(self._module_ref(links, a, names))} | {_cell(self._module_ref(links, b, names))} | {n} |")
        for m in self.facts.modules:
            if m.files:
                links.refs.append(_head(m.files[0], self.files, 10))
        body = f"```mermaid\n{diagram}\n```"
        if graph.edges:
            body += "\n\n" + "\n".join(rows)
        else:
            body += "\n\nNo part of the code imports another part."
        sections.append(SectionPlan("Internal dependencies", body, links.take()))
        if self.facts.entry_points:
            lines = []
            for e in self.facts.entry_points[:30]:
                unit = self.facts.module_of(e.path)
                where = self._module_ref(links, unit.key, names) if unit else "the repository root"
                lines.append(f"- {_escape(e.name)} ({e.kind.replace('_', ' ')}) in {where}: "
                             f"{links.source(e.path, e.line, e.line)}")
            sections.append(SectionPlan("Where execution starts", "\n".join(lines), links.take()))
        return PagePlan(page, SPEC_TYPES["architecture"].title, "", sections)

    def _module_ref(self, links: Links, key: str, names: dict[str, str]) -> str:
        name = names.get(key, key or "(root)")
        return links.page_link(self.module_pages[key], name) if key in self.module_pages else _escape(name)

    # -- Modules ------------------------------------------------------------------------------
    def module(self, m) -> PagePlan:
        page = self.module_pages[m.key]
        links = Links(page)
        scope = [m.key] if m.key else list(m.files)
        sections = [SectionPlan(
            "Purpose", "", [],
            f"Describe what the part `{m.name}` of this repository does and what its main pieces are.",
            f"{m.name} purpose responsibilities main classes functions", scope)]
        rows = ["| File | Language | Lines |", "|---|---|---:|"]
        for path in m.files[:80]:
            text = self.files.get(path, "")
            n = text.count("\n") + (0 if text.endswith("\n") else 1)
            rows.append(f"| {_cell(links.source(path, 1, max(1, n), path))} | "
                        f"{_cell(_language(path))} | {n} |")
        if len(m.files) > 80:
            rows.append(f"| … and {len(m.files) - 80} more | | |")
        sections.append(SectionPlan("Files", "\n".join(rows), links.take()))
        api = [a for a in self.facts.api if a.path in set(m.files)]
        if api:
            items = [f"- [{_code(a.name)}]({links.to_source(a.path, a.start_line, a.end_line)})"
                     + (f": {_doc(a.doc)}" if a.doc else "") for a in api[:MODULE_API_MAX]]
            for a in api[:MODULE_API_MAX]:
                links.refs.append(a.span)
            if len(api) > MODULE_API_MAX:
                more = (links.page_link(SPEC_TYPES["api"].page, "API Reference") if "api" in self.specs
                        else "the code")
                items.append(f"- … {len(api) - MODULE_API_MAX} more in {more}")
            sections.append(SectionPlan("Public API", "\n".join(items), links.take()))
        names = {u.key: u.name for u in self.facts.modules}
        uses = sorted({b for (a, b) in self.facts.imports.edges if a == m.key})
        used_by = sorted({a for (a, b) in self.facts.imports.edges if b == m.key})
        if uses or used_by:
            rel = []
            if uses:
                rel.append("Uses: " + ", ".join(self._module_ref(links, k, names) for k in uses) + ".")
            if used_by:
                rel.append("Used by: " + ", ".join(self._module_ref(links, k, names) for k in used_by) + ".")
            links.refs.append(_head(m.files[0], self.files, 20))
            sections.append(SectionPlan("Relations", "\n\n".join(rel), links.take()))
        return PagePlan(page, m.name, SPEC_TYPES["modules"].title, sections)

    # -- API Reference ------------------------------------------------------------------------
    def api(self) -> PagePlan:
        page = SPEC_TYPES["api"].page
        links = Links(page)
        sections = [SectionPlan(
            "Overview", "", [],
            "Summarise the main public classes and functions that a user of this code calls.",
            "public api main classes functions entry usage")]
        by_module: dict[str, list] = {}
        for a in self.facts.api[:API_ITEMS_MAX]:
            by_module.setdefault(a.module, []).append(a)
        for module, items in by_module.items():
            body = []
            for a in items:
                lang = _language(a.path)
                body.append(f"### {_code(a.name)}\n\n```{lang if lang != 'text' else ''}\n{a.signature}\n```\n\n"
                            + (f"{_doc(a.doc)} " if a.doc else "")
                            + links.source(a.path, a.start_line, a.end_line))
            sections.append(SectionPlan(module, "\n\n".join(body), links.take()))
        if len(self.facts.api) > API_ITEMS_MAX:
            sections.append(SectionPlan("More", f"{len(self.facts.api) - API_ITEMS_MAX} more public names are "
                                                "listed on the module pages and in the code."))
        return PagePlan(page, SPEC_TYPES["api"].title, "", sections)

    # -- Getting Started ----------------------------------------------------------------------
    def getting_started(self) -> PagePlan:
        page = SPEC_TYPES["getting-started"].page
        links = Links(page)
        sections = [SectionPlan(
            "First steps", "", [],
            "Explain step by step how to install, configure and run this project.",
            "install setup usage quickstart getting started run configure")]
        setup = self._setup_commands(links)
        if setup:
            sections.append(SectionPlan("Build and install", setup, links.take()))
        if self.facts.entry_points:
            sections.append(SectionPlan("Run it", self._run_commands(links), links.take()))
        for title, path, start, end in self._readme_howto()[:3]:
            text = "\n".join(self.files[path].split("\n")[start - 1:end])
            fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
            body = f"From {links.source(path, start, end, path)}:\n\n{fence}text\n{text}\n{fence}"
            sections.append(SectionPlan(f"README: {_escape(title)}", body, links.take()))
        return PagePlan(page, SPEC_TYPES["getting-started"].title, "", sections)

    def _setup_commands(self, links: Links) -> str:
        steps = []
        known = [("pyproject.toml", "pip install ."), ("setup.py", "pip install ."),
                 ("requirements.txt", "pip install -r requirements.txt"), ("package.json", "npm install"),
                 ("Cargo.toml", "cargo build"), ("go.mod", "go build ./..."), ("pom.xml", "mvn package"),
                 ("build.gradle", "gradle build"), ("CMakeLists.txt", "cmake -B build && cmake --build build"),
                 ("Gemfile", "bundle install"), ("composer.json", "composer install")]
        seen = set()
        for name, command in known:
            if name in self.files and command not in seen:
                seen.add(command)
                steps.append(f"```sh\n{command}\n```\n\n(because of {links.source(name, 1, 1, name)})")
        return "\n\n".join(steps)

    def _run_commands(self, links: Links) -> str:
        out = []
        for e in self.facts.entry_points[:20]:
            command = {"console_script": e.name, "gui_script": e.name, "npm_script": f"npm run {e.name}",
                       "npm_bin": e.name, "make_target": f"make {e.name}",
                       "main_module": f"python -m {e.target}" if e.target else "",
                       "dockerfile": f"docker build -f {e.path} ."}.get(e.kind, "")
            where = links.source(e.path, e.line, e.line)
            if command:
                out.append(f"```sh\n{command}\n```\n\n{e.kind.replace('_', ' ')} {_escape(e.name)}, from {where}")
            else:
                out.append(f"- {e.kind.replace('_', ' ')} {_escape(e.name)} in {where}")
        return "\n\n".join(out)

    def _readme_howto(self) -> list[tuple[str, str, int, int]]:
        """README sections about installing or using: (heading, path, first line, last line)."""
        r = self.facts.readme
        if r is None or r.path not in self.files:
            return []
        lines = self.files[r.path].split("\n")
        heads = [(h.row, h.title) for h in readme_headings(r.path, self.files[r.path])]
        out = []
        for n, (i, title) in enumerate(heads):
            if re.search(r"install|usage|quick|getting started|setup|example|run", title, re.I):
                end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
                end = min(end, i + 40)
                first = i + 2  # the heading itself is this section's title
                if end >= first:
                    out.append((title, r.path, first, end))
        return out


def _language(path: str) -> str:
    return detect_language(path) or "text"


_RST_ROLE = re.compile(r":[\w:+-]+:`([^`<]*?)\s*(?:<[^`>]*>)?`")
_RST_LITERAL = re.compile(r"``([^`]+)``")
_SPAN_SPLIT = re.compile(r"(`[^`\n]+`)")


def _doc(text: str) -> str:
    """A docstring's first line as markdown: RST roles and literals become code spans, the rest is escaped."""
    text = _RST_ROLE.sub(lambda m: f"`{m.group(1).lstrip('~.')}`", text)
    text = _RST_LITERAL.sub(r"`\1`", text)
    return "".join(part if part.startswith("`") and part.endswith("`") and len(part) > 1 else _escape(part)
                   for part in _SPAN_SPLIT.split(text))


def _escape(text: str) -> str:
    """Repository text inside markdown prose: no HTML, no accidental emphasis or links."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("[", "\\[").replace("]", "\\]"))
