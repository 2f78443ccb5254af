"""Static facts about a repository, computed from its files alone (no language model).

Generated wiki pages are built on these facts, so each is true by
construction: every path, name and line number comes from the input files.
The work is split by subject:

* ``deps``: declared dependencies (pyproject, requirements, npm, Cargo, go.mod...);
* ``entry``: entry points declared by manifests, Makefiles, Dockerfiles;
* ``api`` / ``api_ts``: public API (Python ``ast``, else tree-sitter);
* ``units``: the module units that get a page each;
* ``imports`` / ``graph``: the import graph between units, and its Mermaid;
* ``readme``: the README's title, summary and sections.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from repowiki_gui.core.analysis.api import ApiItem, python_file
from repowiki_gui.core.analysis.api_ts import treesitter_file
from repowiki_gui.core.analysis.common import (code_language, is_non_api, line_count, package_dirs,
                                               python_module)
from repowiki_gui.core.analysis.deps import Dependency, dependencies
from repowiki_gui.core.analysis.entry import EntryPoint, manifest_entry_points
from repowiki_gui.core.analysis.graph import ImportGraph, build_graph, import_graph_mermaid
from repowiki_gui.core.analysis.imports import ImportResolver
from repowiki_gui.core.analysis.readme import ReadmeDigest, find_readme, readme_digest
from repowiki_gui.core.analysis.units import ModuleUnit, module_units, unit_of
from repowiki_gui.core.ingest.files import detect_language
from repowiki_gui.core.progress import NullProgress, Progress

__all__ = ["LanguageStat", "EntryPoint", "Dependency", "ApiItem", "ModuleUnit", "ImportGraph",
           "ReadmeDigest", "RepoFacts", "analyse", "import_graph_mermaid"]

# Progress is reported, and cancellation checked, once per this many files.
_REPORT_EVERY = 50
TEXT_LANGUAGE = "text"


@dataclass
class LanguageStat:
    language: str  # tree-sitter-language-pack name, or "text"
    files: int
    lines: int


@dataclass
class RepoFacts:
    """Everything ``analyse`` found; lists are in a stable order so the JSON hashes stably."""

    languages: list[LanguageStat]
    entry_points: list[EntryPoint]
    dependencies: list[Dependency]
    api: list[ApiItem]
    modules: list[ModuleUnit]
    imports: ImportGraph
    readme: ReadmeDigest | None
    total_files: int
    total_lines: int
    unparsed: list[str]  # files skipped because they do not parse (Python syntax errors)
    # Files tree-sitter parsed with error nodes (C macros cause some): their API is
    # what tree-sitter recovered, each item checked against its own lines.
    partially_parsed: list[str] = field(default_factory=list)

    def module_of(self, path: str) -> ModuleUnit | None:
        """The module unit ``path`` belongs to, or None if it is outside every unit."""
        return unit_of(self.modules, path)

    def to_json(self) -> dict:
        """Plain JSON data (import edges as [from, to, count] lists)."""
        data = asdict(self)
        data["imports"] = {"nodes": list(self.imports.nodes),
                           "edges": [[a, b, n] for (a, b), n in sorted(self.imports.edges.items())]}
        return data


@dataclass
class _CodeFile:
    """What one parsed code file gives: its API, entry points and imports."""

    api: list[ApiItem]
    entries: list[EntryPoint]
    imports: list[set[str]]  # for each import statement, the repository files it imports
    partial: bool = False    # tree-sitter found errors in it


def analyse(files: dict[str, str], progress: Progress = NullProgress()) -> RepoFacts:
    """Static facts about the repository ``files`` (posix path -> text with "\\n" newlines)."""
    paths = sorted(files)
    packages = package_dirs(paths)
    resolver = ImportResolver(files)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    code: dict[str, tuple[str, int]] = {}
    imports: dict[str, list[set[str]]] = {}
    api: list[ApiItem] = []
    mains: list[EntryPoint] = []
    unparsed: list[str] = []
    partial: list[str] = []
    total = len(paths)
    for index, path in enumerate(paths):
        if index % _REPORT_EVERY == 0:
            progress.check()
            progress.update("analyse", "Analysing files", index, total)
        text = files[path]
        lines = line_count(text)
        stat = stats[detect_language(path) or TEXT_LANGUAGE]
        stat[0] += 1
        stat[1] += lines
        language = code_language(path)
        if language is None:
            continue
        code[path] = (language, lines)
        parsed = _parse_code(path, language, text, packages, resolver)
        if parsed is None:
            unparsed.append(path)
            continue
        if parsed.partial:
            partial.append(path)
        imports[path] = parsed.imports
        api += parsed.api
        mains += parsed.entries
    progress.update("analyse", "Analysing files", total, total)
    units = module_units(code)
    readme_path = find_readme(paths)
    return RepoFacts(
        languages=_languages(stats),
        entry_points=manifest_entry_points(files) + mains,
        dependencies=dependencies(files),
        api=api,
        modules=units,
        imports=build_graph(units, imports),
        readme=readme_digest(readme_path, files[readme_path]) if readme_path else None,
        total_files=total,
        total_lines=sum(lines for _, lines in stats.values()),
        unparsed=unparsed,
        partially_parsed=partial,
    )


def _parse_code(path: str, language: str, text: str, packages: set[str],
                resolver: ImportResolver) -> _CodeFile | None:
    """One code file's API, entry points and imports; None when Python source does not parse."""
    with_api = not is_non_api(path)
    if language == "python":
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            # ValueError: NUL bytes; RecursionError/MemoryError: absurdly nested code.
            return None
        items, entries = python_file(path, python_module(path, packages), tree, with_api)
        return _CodeFile(items, entries, resolver.python_imports(path, tree))
    module = path.rsplit(".", 1)[0]
    items, entries, has_error = treesitter_file(path, module, language, text, with_api)
    return _CodeFile(items, entries, resolver.source_imports(path, language, text), has_error)


def _languages(stats: dict[str, list[int]]) -> list[LanguageStat]:
    """Files and lines per language, the most lines first."""
    return sorted((LanguageStat(name, n_files, n_lines) for name, (n_files, n_lines) in stats.items()),
                  key=lambda s: (-s.lines, -s.files, s.language))
