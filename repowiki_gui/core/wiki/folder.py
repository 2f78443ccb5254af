"""Where a generated wiki lives and what its folder holds (shared by the job, the CLI and the window).

``<home>/wiki/<repo>/`` is an mkdocs project::

    mkdocs.yml            navigation; ``mkdocs build --strict`` passes on it
    wiki.json             the manifest: pages in order, model, spec types, counts
    cache.json            prose by the hash of its sources (re-generation reuses it)
    cited.json            each section's cited ranges with the hash of their lines (``stale``)
    docs/index.md         the home page
    docs/overview.md      one page per spec type; modules/<slug>.md per module
    docs/sources/<path>.md  the cited source files, with an anchor per cited range

Links to sources are relative links to ``sources/<path>.md#L<start>-L<end>``;
``source_link_target`` turns one back into (path, start, end) for the window.
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from ..errors import UserError

MANIFEST = "wiki.json"
CACHE = "cache.json"
CITED = "cited.json"
DOCS = "docs"
SOURCES = "sources"


@dataclass(frozen=True)
class SpecType:
    id: str        # what `repowiki wiki --spec` takes
    title: str     # the seed's name, used as the page title
    page: str      # page path under docs/ ("modules" makes one page per module under modules/)


SPEC_TYPES: dict[str, SpecType] = {s.id: s for s in (
    SpecType("overview", "Repository Overview", "overview.md"),
    SpecType("architecture", "Architecture", "architecture.md"),
    SpecType("modules", "Modules", "modules/"),
    SpecType("api", "API Reference", "api.md"),
    SpecType("getting-started", "Getting Started", "getting-started.md"),
)}
DEFAULT_SPECS = ("overview",)

_ALIASES = {re.sub(r"[^a-z]", "", s.title.lower()): s.id for s in SPEC_TYPES.values()}
_ALIASES.update({"apireference": "api", "gettingstarted": "getting-started", "module": "modules"})


def parse_spec_types(values: list[str] | tuple[str, ...] | None) -> list[str]:
    """Spec ids in canonical order from ids or titles ("API Reference", "api", "all"); UserError if unknown."""
    if not values:
        return list(DEFAULT_SPECS)
    wanted: set[str] = set()
    for value in values:
        for part in str(value).split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key == "all":
                wanted.update(SPEC_TYPES)
                continue
            spec = key if key in SPEC_TYPES else _ALIASES.get(re.sub(r"[^a-z]", "", key))
            if spec is None:
                raise UserError(f"There is no wiki spec type {part.strip()!r}; choose from "
                                f"{', '.join(SPEC_TYPES)} or all.")
            wanted.add(spec)
    return [s for s in SPEC_TYPES if s in wanted] or list(DEFAULT_SPECS)


def load_manifest(folder: Path) -> dict | None:
    """The wiki's manifest, or None when no wiki was generated (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_DOT = "_dot_"   # mkdocs skips files and folders whose name starts with "."


def source_page(path: str) -> str:
    """The docs-relative page that shows source file ``path`` (``.github/x.yml`` -> ``sources/_dot_github/x.yml.md``)."""
    parts = [_DOT + p[1:] if p.startswith(".") else p for p in path.split("/")]
    return f"{SOURCES}/{'/'.join(parts)}.md"


def _source_path(page_part: str) -> str:
    return "/".join("." + p[len(_DOT):] if p.startswith(_DOT) else p for p in page_part.split("/"))


def source_anchor(start: int, end: int) -> str:
    return f"L{start}-L{end}"


def relative_link(from_page: str, to_page: str, anchor: str = "") -> str:
    """A link from one docs page to another, relative, as mkdocs resolves it."""
    rel = posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")
    return quote(rel) + (f"#{anchor}" if anchor else "")


_ANCHOR = re.compile(r"^L(\d+)-L(\d+)$")


def source_link_target(from_page: str, href: str) -> tuple[str, int, int] | None:
    """(path, start, end) when ``href`` on page ``from_page`` links to a source range, else None."""
    target, _, fragment = href.partition("#")
    target = unquote(target)
    if "://" in target or not target.endswith(".md"):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_page), target))
    if not resolved.startswith(SOURCES + "/"):
        return None
    path = _source_path(resolved[len(SOURCES) + 1:-3])
    m = _ANCHOR.match(fragment)
    if m:
        return path, int(m.group(1)), int(m.group(2))
    return path, 1, 1


def page_link_target(from_page: str, href: str) -> tuple[str, str] | None:
    """(docs page, fragment) when ``href`` on ``from_page`` links to another wiki page (not a source)."""
    target, _, fragment = href.partition("#")
    target = unquote(target)
    if "://" in target or target.startswith(("/", "mailto:")):
        return None
    if not target:
        return from_page, fragment
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_page), target))
    if not resolved.endswith(".md") or resolved.startswith(("..", SOURCES + "/")):
        return None
    return resolved, fragment


def docs_pages(manifest: dict) -> list[str]:
    """Every docs-relative page a generated wiki holds (its pages, then its source pages), from its manifest."""
    prefix = DOCS + "/"
    listed = [p["path"] for p in manifest.get("pages", [])]
    files = [f[len(prefix):] for f in manifest.get("files", []) if f.startswith(prefix) and f.endswith(".md")]
    return listed + sorted(set(files) - set(listed))


def read_page(folder: Path, repo: str, page: str) -> str:
    """The markdown of one page the manifest lists; UserError for no wiki, a page it lacks, or any other path.

    Only listed pages are read, so ``../`` or an absolute path never reaches the filesystem.
    """
    manifest = load_manifest(folder)
    if manifest is None:
        raise UserError(f"{repo} has no wiki yet; generate it first (`repowiki wiki {repo}`).")
    pages = docs_pages(manifest)
    if page not in pages:
        raise UserError(f"The wiki of {repo} has no page {page!r}; its pages are listed by read_wiki_structure.")
    try:
        return (Path(folder) / DOCS / page).read_text(encoding="utf-8", errors="replace")
    except OSError:
        raise UserError(f"The page {page} of the wiki of {repo} is missing on disk; generate the wiki again.") from None
